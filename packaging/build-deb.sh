#!/bin/bash
# Build the bootlink .deb without touching the source tree:
#   packaging/build-deb.sh [--rev REV] [--check] [OUTDIR]
# Copies the sources (the working tree's tracked and untracked-but-not-ignored files, or the
# commit REV with --rev) to a temporary directory, puts packaging/debian there as debian/,
# sets the package version to meson's project version, and runs dpkg-buildpackage -us -uc -b.
# The unit suite runs only with --check (DEB_BUILD_OPTIONS=nocheck otherwise). The .deb and
# .buildinfo/.changes land in OUTDIR (default: ./build-pkg/deb); prints the .deb's path last.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rev= check=false out=
while [ $# -gt 0 ]; do
    case "$1" in
        --rev) rev=$2; shift 2 ;;
        --check) check=true; shift ;;
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
        *) out=$1; shift ;;
    esac
done
out=${out:-$src/build-pkg/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for t in dpkg-buildpackage dh meson; do
    command -v "$t" >/dev/null || { echo "build-deb.sh: $t is missing (apt-get install dpkg-dev debhelper meson)" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bootlink-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tree=$tmp/bootlink
mkdir "$tree"
if [ -n "$rev" ]; then
    git -C "$src" archive --format=tar "$rev" | tar -x -C "$tree"
else
    (cd "$src" && git ls-files -z -co --exclude-standard | grep -zv -e '^build/' -e '^build-' |
        xargs -0 -r stat -c %n 2>/dev/null | tar -c -T - 2>/dev/null) | tar -x -C "$tree"
fi
[ -d "$tree/packaging/debian" ] || { echo "build-deb.sh: no packaging/debian in the sources" >&2; exit 1; }
cp -a "$tree/packaging/debian" "$tree/debian"

# One version: meson's. dpkg wants the changelog's top entry to carry it.
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$tree/meson.build" | head -1)
[ -n "$version" ] || { echo "build-deb.sh: no project version in meson.build" >&2; exit 1; }
sed -i "1s/^bootlink ([^)]*)/bootlink ($version)/" "$tree/debian/changelog"

opts=${DEB_BUILD_OPTIONS:-}
$check || opts="$opts nocheck"
profiles=
$check || profiles=-Pnocheck
(cd "$tree" && DEB_BUILD_OPTIONS="$opts" dpkg-buildpackage -us -uc -b $profiles) > "$tmp/build.log" 2>&1 || {
    tail -40 "$tmp/build.log" >&2
    cp "$tmp/build.log" "$out/build.log"
    echo "build-deb.sh: dpkg-buildpackage failed; full log in $out/build.log" >&2
    exit 1
}
cp "$tmp/build.log" "$out/build.log"
for f in "$tmp"/bootlink_"$version"_*.deb "$tmp"/bootlink-dbgsym_"$version"_*.deb "$tmp"/bootlink-cockpit_"$version"_*.deb \
         "$tmp"/bootlink_"$version"_*.buildinfo "$tmp"/bootlink_"$version"_*.changes; do
    [ -e "$f" ] && cp "$f" "$out/"
done
ls "$out"/bootlink_"$version"_*.deb
