#!/bin/bash
# `make test-system`: the Debian package under a real systemd, then lintian on it. A
# Debian 12 root (debootstrap, cached in VERIFYD_TEST_ROOT_CACHE keyed by its package list)
# booted read-only with a throw-away overlay by systemd-nspawn, where the oneshot unit
# verifyd-system-test.service runs packaging/system-test/checks.sh and powers off.
# A machine that cannot run containers skips with one line. On failure the container's journal
# is kept and its path printed.
#   scripts/test-system.sh DEB
#   scripts/test-system.sh --can-run   (the Makefile asks first, so that a machine that cannot run
#                                       containers skips before building anything; status 1 then)
set -euo pipefail
cache=${VERIFYD_TEST_ROOT_CACHE:-/var/cache/verifyd-test-root}
mirror=${VERIFYD_TEST_MIRROR:-http://deb.debian.org/debian}
limit=${VERIFYD_TEST_SYSTEM_TIMEOUT:-900}

mode=${1:?usage: scripts/test-system.sh DEB | --can-run}
skip() { echo "test-system: SKIPPED: $*"; [ "$mode" = --can-run ] && exit 1; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, systemd-nspawn)"
unshare --pid --mount --uts --ipc --fork true 2>/dev/null || skip "this machine cannot make the namespaces a container needs"
[ "$mode" != --can-run ] || exit 0
for tool in systemd-nspawn debootstrap lintian; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (make deps installs it)"
done
deb=$(realpath "$1")
src=$(cd "$(dirname "$0")/.." && pwd)

# The root: a minimal Debian 12 with systemd, what the checks use, and the package's dependencies
# (so that it installs offline, as from a local mirror).
depends=$( { dpkg-deb -f "$deb" Depends; dpkg-deb -f "$deb" Recommends; } | tr ',' '\n' \
    | sed 's/([^)]*)//; s/|.*//; s/ //g' | grep . | sort -u | tr '\n' ',')
packages=$(echo "systemd,systemd-sysv,dbus,python3,procps,iproute2,man-db,curl,$depends" | tr ',' '\n' | grep . | sort -u | paste -sd,)
key=$(printf 'bookworm %s' "$packages" | sha256sum | cut -c1-16)
root=$cache/bookworm-$key
if [ ! -d "$root" ]; then
    echo "test-system: building the Debian 12 root $root (once; minutes)"
    mkdir -p "$cache" && rm -rf "$root.tmp"
    started=$SECONDS
    debootstrap --variant=minbase --include="$packages" bookworm "$root.tmp" "$mirror" > "$cache/debootstrap-$key.log" 2>&1 || {
        tail -20 "$cache/debootstrap-$key.log"; echo "test-system: debootstrap failed (log: $cache/debootstrap-$key.log)"; exit 1; }
    rm -rf "$root.tmp"/var/cache/apt/archives/*.deb
    mv "$root.tmp" "$root"
    echo "test-system: root built in $((SECONDS - started)) s"
fi

work=$(mktemp -d /tmp/verifyd-test-system.XXXXXX)
# The container's journal is written to $work/journal (persistent storage, bound in), so that it
# is kept even when the boot fails before the checks run.
mkdir -p "$work/test" "$work/out" "$work/journal"
cp "$deb" "$src/packaging/system-test/checks.sh" "$work/test/"
cat > "$work/test/verifyd-system-test.service" <<'UNIT'
[Unit]
Description=verifyd package checks (scripts/test-system.sh)
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/mnt/test/checks.sh
StandardOutput=journal+console
UNIT

echo "test-system: $(basename "$deb"): Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB"
echo "test-system: booting the container (results: $work/out/results)"
started=$SECONDS
# nspawn's own seccomp filter lacks Landlock's calls: allowed, so that the unit's filter decides.
systemd-nspawn --register=no --keep-unit --quiet --volatile=overlay --link-journal=no \
    --system-call-filter="landlock_create_ruleset landlock_add_rule landlock_restrict_self" \
    --bind-ro="$work/test:/mnt/test" --bind="$work/out:/mnt/out" --bind="$work/journal:/var/log/journal" \
    --bind-ro="$work/test/verifyd-system-test.service:/etc/systemd/system/verifyd-system-test.service" \
    -D "$root" -b systemd.wants=verifyd-system-test.service > "$work/console.log" 2>&1 < /dev/null &
nspawn=$!
# Bounded: the container's init is killed if the checks never power it off.
while kill -0 "$nspawn" 2>/dev/null; do
    if [ $((SECONDS - started)) -gt "$limit" ]; then
        echo "test-system: no result after $limit s; killing the container"
        for child in $(cat /proc/"$nspawn"/task/*/children 2>/dev/null); do kill -KILL "$child" 2>/dev/null || true; done
        break
    fi
    sleep 1
done
wait "$nspawn" || true
cat "$work/out/results" 2>/dev/null || true
echo "test-system: $((SECONDS - started)) s in the container"
echo "test-system: lintian $(basename "$deb")"
# Clean: no error, no warning (the tags lintian still reports are information only).
lint=0
lintian --fail-on error,warning "$deb" || lint=$?
if [ "$(cat "$work/out/status" 2>/dev/null || echo none)" = 0 ] && [ "$lint" = 0 ]; then
    echo "test-system: all checks passed"
    rm -rf "$work"
    exit 0
fi
[ -s "$work/out/journal.txt" ] || journalctl -D "$work/journal" --no-pager -o short-precise > "$work/out/journal.txt" 2>&1 || true
echo "test-system: FAILED. The container's journal: $work/out/journal.txt (journalctl -D $work/journal); its console: $work/console.log"
exit 1
