#!/bin/bash
# Build the bootlink binary RPM without touching the source tree:
#   packaging/build-rpm.sh [--rev REV] [OUTDIR]
# Makes bootlink-VERSION.tar.gz from the working tree's tracked and untracked-but-not-ignored
# files (or the commit REV), then runs rpmbuild -bb packaging/rpm/bootlink.spec in a temporary
# _topdir. On a system that is not RPM-based (Debian CI) BuildRequires cannot be satisfied
# through rpm's database, so --nodeps is used there. Prints the .rpm's path last.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rev= out=
while [ $# -gt 0 ]; do
    case "$1" in
        --rev) rev=$2; shift 2 ;;
        -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "build-rpm.sh: unknown option $1" >&2; exit 2 ;;
        *) out=$1; shift ;;
    esac
done
out=${out:-$src/build-pkg/rpm}
mkdir -p "$out"
out=$(cd "$out" && pwd)
command -v rpmbuild >/dev/null || { echo "build-rpm.sh: rpmbuild is missing (apt-get install rpm)" >&2; exit 1; }

version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -1)
[ -n "$version" ] || { echo "build-rpm.sh: no project version in meson.build" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bootlink-rpm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{SOURCES,SPECS,BUILD,RPMS,SRPMS} "$tmp/bootlink-$version"
if [ -n "$rev" ]; then
    git -C "$src" archive --format=tar "$rev" | tar -x -C "$tmp/bootlink-$version"
else
    (cd "$src" && git ls-files -z -co --exclude-standard | grep -zv -e '^build/' -e '^build-' |
        xargs -0 -r stat -c %n 2>/dev/null | tar -c -T - 2>/dev/null) | tar -x -C "$tmp/bootlink-$version"
fi
tar -czf "$tmp/SOURCES/bootlink-$version.tar.gz" -C "$tmp" "bootlink-$version"
sed "s/^Version:.*/Version:        $version/" "$tmp/bootlink-$version/packaging/rpm/bootlink.spec" \
    > "$tmp/SPECS/bootlink.spec"

nodeps=
[ -f /etc/debian_version ] && nodeps=--nodeps
rpmbuild -bb $nodeps --define "_topdir $tmp" "$tmp/SPECS/bootlink.spec" > "$tmp/build.log" 2>&1 || {
    tail -40 "$tmp/build.log" >&2
    cp "$tmp/build.log" "$out/build.log"
    echo "build-rpm.sh: rpmbuild failed; full log in $out/build.log" >&2
    exit 1
}
cp "$tmp/build.log" "$out/build.log"
find "$tmp/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
ls "$out"/bootlink-"$version"-*.rpm | grep -v -e debuginfo -e debugsource
