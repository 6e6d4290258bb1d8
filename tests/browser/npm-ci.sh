#!/bin/sh
# The browser suite's npm dependencies (playwright-core, locked in package-lock.json), installed
# into the build directory:  npm-ci.sh SRCDIR WORKDIR STAMP
set -eu
src=$1 work=$2 stamp=$3
mkdir -p "$work"
if ! cmp -s "$src/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules/playwright-core" ]; then
    cp "$src/package.json" "$src/package-lock.json" "$work/"
    (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
fi
touch "$stamp"
