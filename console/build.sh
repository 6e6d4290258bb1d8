#!/bin/sh
# The console's build step, run by meson (console/meson.build) and so by both packages:
#   build.sh SRCDIR WORKDIR OUT
# Installs the locked npm dependencies (package-lock.json, production only) into WORKDIR with
# `npm ci` (again only when the lock file changed), then writes the stylesheet OUT. Nothing is
# written to the source tree; node_modules stays in the build directory.
set -eu
src=$1 work=$2 out=$3
mkdir -p "$work"
if ! cmp -s "$src/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules" ]; then
    cp "$src/package.json" "$src/package-lock.json" "$work/"
    (cd "$work" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error) ||
        { echo "console/build.sh: npm ci failed (the npm registry or its cache is needed; -Dconsole=disabled builds without the console)" >&2; exit 1; }
fi
node "$src/build-css.mjs" "$work/node_modules" "$src/page.css" "$out"
