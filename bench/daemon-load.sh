#!/usr/bin/env bash
# The daemon under load: how fast `status` answers while a worker verifies a large archive at
# full speed, and what the daemon adds over `verifyctl check` on the same archive.
# Usage: bench/daemon-load.sh ARCHIVE MANIFEST [QUERIES] [RUNS]
# Prints Markdown lines; writes nothing outside a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
archive=$(realpath "$1")
manifest=$(realpath "$2")
queries=${3:-1000}
runs=${4:-3}
bin=$(realpath .build/release)
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
pid=

name=$(basename "$archive")
mkdir -p "$work/dest" "$work/state"
ln "$archive" "$work/dest/$name" 2>/dev/null || cp "$archive" "$work/dest/$name"
cp "$manifest" "$work/dest/$name.sha256"
cat > "$work/verifyd.toml" <<TOML
state_directory = "$work/state"
socket = "$work/verifyd.sock"
# Like verifyctl check, which runs at the caller's priority (the status latency is measured
# with the default, 10, below).
worker_nice = 0

[[destination]]
name = "bench"
path = "$work/dest"
manifest = "{archive}.sha256"
settle = "1s"
poll_interval = "1h"
TOML

"$bin/verifyd" --config "$work/verifyd.toml" 2> "$work/verifyd.log" &
pid=$!
i=0; until [ -S "$work/verifyd.sock" ]; do i=$((i + 1)); [ $i -lt 300 ] || { cat "$work/verifyd.log"; exit 1; }; sleep 0.1; done
ctl() { "$bin/verifyctl" "$@" --socket "$work/verifyd.sock"; }

# The first run happens on arrival; the measured ones are asked for.
ctl verify "$work/dest/$name" --wait > /dev/null || true

elapsed() { python3 -c 'import sys,time; t=time.monotonic(); import subprocess; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); print("%.3f" % (time.monotonic()-t))' "$@"; }
daemon_times=() check_times=()
for _ in $(seq "$runs"); do
    daemon_times+=("$(elapsed "$bin/verifyctl" verify "$work/dest/$name" --wait --socket "$work/verifyd.sock")")
    check_times+=("$(elapsed "$bin/verifyctl" check --manifest "$manifest" --no-archive-digest "$archive")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
daemon=$(median "${daemon_times[@]}")
check=$(median "${check_times[@]}")

# status while a run goes on, workers at their default priority (worker_nice = 10): one
# connection per query, as verifyctl does.
sed -i '/^worker_nice/d' "$work/verifyd.toml"
ctl reload > /dev/null
ctl verify "$work/dest/$name" > /dev/null
python3 - "$work/verifyd.sock" "$queries" > "$work/latency" <<'PY'
import json, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
times, running_seen = [], 0
for i in range(n):
    t = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rwb")
    f.readline()  # hello
    f.write(b'{"id":1,"cmd":"status"}\n'); f.flush()
    reply = json.loads(f.readline())
    times.append(time.monotonic() - t)
    s.close()
    if reply["result"]["daemon"]["running"] > 0: running_seen += 1
times.sort()
q = lambda p: times[min(len(times) - 1, int(p * len(times)))] * 1000
print("%.2f %.2f %.2f %.2f %d" % (q(0.5), q(0.99), times[-1] * 1000, sum(times) * 1000 / len(times), running_seen))
PY
read -r p50 p99 max _ during < "$work/latency"
ctl history --limit 1 > /dev/null
rss=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$pid/status")

overhead=$(python3 -c "print('%.1f' % ((float('$daemon') / float('$check') - 1) * 100))")
echo "| \`status\` over $queries queries while verifying $name (one connection each; worker_nice 10) | p50 ${p50} ms, p99 ${p99} ms, max ${max} ms; a run was going on for $during of them |"
echo "| \`verifyctl verify --wait\` (daemon, worker, history) vs \`verifyctl check\`, medians of $runs | ${daemon} s vs ${check} s: ${overhead}% overhead |"
echo "| daemon peak RSS | ${rss} MiB |"
