#!/bin/sh
# The demo: verifyd watches a demo backup destination (state and socket under demo/, no root
# needed). A good archive arrives and passes; a corrupted one arrives and fails; verifyctl shows
# status, history, the failed run and the alert log; then the daemon is stopped.
set -eu
bin=$(realpath "$1")
verifyd=$bin/verifyd
verifyctl=$bin/verifyctl
demo=$(pwd)/demo
rm -rf "$demo"
mkdir -p "$demo/source/etc/app" "$demo/source/home/alice/photos" "$demo/backups/nightly" "$demo/staging" "$demo/state"
src=$demo/source
backups=$demo/backups/nightly

# Reproducible content: text from seq, noise from a fixed-key byte stream.
seq 1 5000 | sed 's/^/config line /' > "$src/etc/app/settings.conf"
seq 1 200 | sed 's/^/127.0.0./' > "$src/etc/hosts"
for i in 1 2 3 4; do
    seq -f "%g" "$i" 3 900000 | sha256sum | cut -c1-64 | awk -v n="$i" '{ for (k = 0; k < 3000; k++) print $0 n k }' > "$src/home/alice/photos/img-$i.raw"
done
printf 'notes with a space in the name\n' > "$src/home/alice/my notes.txt"

cat > "$demo/verifyd.toml" <<TOML
state_directory = "$demo/state"
socket = "$demo/verifyd.sock"

[[destination]]
name = "nightly"
path = "$backups"
manifest = "{archive}.sha256"
settle = "1s"
poll_interval = "1s"
max_age = "26h"
TOML

ctl() { "$verifyctl" "$@" --socket "$demo/verifyd.sock"; }
show() { echo; echo "\$ verifyctl $*"; status=0; ctl "$@" || status=$?; echo "(exit status $status)"; }
wait_for() { # wait_for STATUS: until `verifyctl status` exits with STATUS (at most 30 s)
    i=0
    while :; do
        s=0; ctl status >/dev/null 2>&1 || s=$?
        [ "$s" -eq "$1" ] && return 0
        i=$((i + 1)); [ $i -lt 300 ] || { echo "timed out waiting for status $1" >&2; return 1; }
        sleep 0.1
    done
}

echo "\$ verifyd --config $demo/verifyd.toml --check-config"
"$verifyd" --config "$demo/verifyd.toml" --check-config
"$verifyd" --config "$demo/verifyd.toml" 2> "$demo/verifyd.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
i=0; until [ -S "$demo/verifyd.sock" ]; do i=$((i + 1)); [ $i -lt 300 ] || exit 1; sleep 0.1; done
show status

echo
echo "# the nightly backup job writes etc.tar.gz and its manifest"
( cd "$src/etc" && "$verifyctl" manifest create . -o "$backups/etc.tar.gz.sha256" && tar -czf "$demo/staging/etc.tar.gz" . )
mv "$demo/staging/etc.tar.gz" "$backups/"
wait_for 0
show status
check() { # the same archive checked by hand, as a reader runs it from the folder that holds demo/
    echo; echo "\$ verifyctl check $*"
    status=0; (cd "$demo/.." && "$verifyctl" check "$@") || status=$?; echo "(exit status $status)"
}
# etc.tar.gz.sha256 lists entries: it is the manifest, for verifyctl check as for the daemon.
check demo/backups/nightly/etc.tar.gz --seed 1

echo
echo "# photos.tar arrives, but one byte of img-3.raw rotted on the way (XOR 0x01, size unchanged)"
( cd "$src/home" && "$verifyctl" manifest create . -o "$backups/photos.tar.sha256" && tar -cf "$demo/staging/photos.tar" . )
offset=$(grep -abo 'img-3.raw' "$demo/staging/photos.tar" | head -n 1 | cut -d: -f1)
offset=$((offset + 512 + 1000))
byte=$(od -An -tu1 -j "$offset" -N1 "$demo/staging/photos.tar" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$demo/staging/photos.tar" bs=1 seek="$offset" conv=notrunc status=none
mv "$demo/staging/photos.tar" "$backups/"
wait_for 2
show status
check demo/backups/nightly/photos.tar --seed 1
show history nightly
failed=$(ctl history nightly --json | tr '{' '\n' | grep '"verdict":"fail"' | head -n 1 | sed 's/.*"id":\([0-9]*\).*/\1/')
show show "$failed"
show alerts list
echo
echo "\$ verifyctl metrics | grep -v '^#' | grep -E 'destination_state|last_run_(success|failures)'"
ctl metrics | grep -v '^#' | grep -E 'destination_state|last_run_(success|failures)'

echo
echo "# the report of this demo run: one self-contained HTML page (calendar, sizes, coverage, failures)"
show report --html "$demo/report.html"

echo
echo "\$ kill -TERM verifyd"
kill -TERM $pid
wait $pid || true
trap - EXIT
echo "(stopped; its log is $demo/verifyd.log, its history $demo/state/history.sqlite)"
sed 's/^/    /' "$demo/verifyd.log"
echo
echo "The report of this demo run is $demo/report.html: open it in a browser (it needs no network)."
