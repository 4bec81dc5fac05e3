#!/bin/sh
# `make deb`: dist/verifyd_VERSION_amd64.deb (and its debug symbols, verifyd-dbgsym_*.ddeb)
# with debhelper, from the binaries, man pages and completions the Makefile built.
#   scripts/make-deb.sh BUILD_DIR MAN_DIR COMPLETION_DIR
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd) man=$(cd "$2" && pwd) completions=$(cd "$3" && pwd)
# The version the built binary says (VerifydRelease.version).
version=$("$build/verifyd" --version)
echo "$version" | grep -Eq '^[0-9][0-9A-Za-z.+~-]*$' || { echo "make-deb: $build/verifyd --version said '$version', not a version" >&2; exit 1; }

stage=$src/.build/deb
rm -rf "$stage" && mkdir -p "$stage/verifyd-$version" "$src/dist"
cp -R "$src/packaging/debian" "$stage/verifyd-$version/debian"
cp "$src/systemd/verifyd.sysusers" "$stage/verifyd-$version/debian/verifyd.sysusers"
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
# The date of the commit, not of the build, so that two builds of one commit are the same.
date=$(git -C "$src" log -1 --format=%aD 2>/dev/null || date -R)
cat > "$stage/verifyd-$version/debian/changelog" <<CHANGELOG
verifyd ($version) unstable; urgency=medium

  * Built from commit $commit.

 -- verifyd developers <verifyd@example.org>  $date
CHANGELOG

cd "$stage/verifyd-$version"
export VERIFYD_SOURCE="$src" VERIFYD_BUILD="$build" VERIFYD_MAN="$man" VERIFYD_COMPLETIONS="$completions"
export SOURCE_DATE_EPOCH="$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)"
# dpkg-buildpackage -b: build dependencies (-d: they are the Makefile's) and signing skipped.
dpkg-buildpackage -b -d -us -uc --no-pre-clean >"$stage/build.log" 2>&1 || {
    tail -40 "$stage/build.log" >&2; echo "make-deb: dpkg-buildpackage failed (log: $stage/build.log)" >&2; exit 1; }
rm -f "$src"/dist/verifyd_*.deb "$src"/dist/verifyd-dbgsym_*.ddeb
mv "$stage"/verifyd_"$version"_amd64.deb "$src/dist/"
# Debian names debug-symbol packages .ddeb (dpkg-buildpackage leaves it as .deb).
mv "$stage"/verifyd-dbgsym_"$version"_amd64.*deb "$src/dist/verifyd-dbgsym_${version}_amd64.ddeb"
ls -l "$src"/dist/verifyd_"$version"_*.deb
