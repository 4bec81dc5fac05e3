#!/bin/bash
# Runs inside the booted Debian 12 container (scripts/test-system.sh), as the oneshot unit
# verifyd-system-test.service: installs the package and checks it under the real systemd.
# /mnt/test (read-only) holds the .deb; results go to /mnt/out: one line per check
# ("ok NAME" or "FAIL NAME: why") in results, and 0 or 1 in status. It powers the container off.
set -u
out=/mnt/out
failures=0
deb=$(ls /mnt/test/verifyd_*.deb)
trap 'echo "$failures" > "$out/status.tmp"; mv "$out/status.tmp" "$out/status"; journalctl -b --no-pager -o short-precise > "$out/journal.txt" 2>&1; systemctl poweroff --no-block' EXIT

ok() { echo "ok $1" | tee -a "$out/results"; }
fail() { echo "FAIL $1: $2" | tee -a "$out/results"; failures=$((failures + 1)); }
# check NAME COMMAND...: the command's success is the check's.
check() { local name=$1; shift; local said; if said=$("$@" 2>&1); then ok "$name"; else fail "$name" "$(echo "$said" | tail -5 | tr '\n' ' ')"; return 1; fi; }
# must NAME COMMAND...: a check the rest depends on; the checks stop at its failure.
must() { check "$@" || exit 1; }
# until_true SECONDS COMMAND...: polls the command every 0.2 s until it succeeds, or fails.
until_true() { local deadline=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.2; done; }
main_pid() { systemctl show -P MainPID verifyd; }
history_has() { verifyctl history 2>/dev/null | awk -v v="$1" -v a="$2" '$4 == v && $6 == a { found = 1 } END { exit !found }'; }

# --- install: users, units enabled and started, as Debian policy says ---

# Offline: the root holds the dependencies, and apt has no lists to download from.
must "apt installs the package" apt-get install -y -q "$deb"
check "system users created by sysusers" getent passwd verifyd verifyd-hooks
check "verifyd enabled at install" systemctl is-enabled verifyd
check "verifyd-hooks enabled at install" systemctl is-enabled verifyd-hooks
must "verifyd started at install" until_true 30 systemctl is-active verifyd
check "the configuration is a conffile" grep -qx " /etc/verifyd/verifyd.toml [0-9a-f]*" <(dpkg-query -W -f='${Conffiles}\n' verifyd)
check "man verifyctl works" sh -c 'man -P cat verifyctl | grep -qw "status"'
check "man verifyd.toml works" sh -c 'man -P cat 5 verifyd.toml | grep -q "state_directory"'
check "bash completion installed where bash-completion looks" test -s /usr/share/bash-completion/completions/verifyctl
check "one binary: verifyctl and verifyd-hooks are links to verifyd" sh -c \
    '[ "$(readlink -f /usr/bin/verifyctl)" = /usr/sbin/verifyd ] && [ "$(readlink -f /usr/sbin/verifyd-hooks)" = /usr/sbin/verifyd ]'
check "verifyd-hooks answers under its own name" sh -c 'verifyd-hooks --help | grep -q "USAGE: verifyd-hooks "'

# --- the test's configuration: one destination, a readers' group, fast settle and watchdog ---
mkdir -p /srv/backups/nightly /srv/backups/weekly
(cd /tmp && mkdir etc-copy && cp -r /etc/apt etc-copy/ && find etc-copy -type f -exec sha256sum {} + > etc.tar.gz.sha256 \
    && tar czf etc.tar.gz etc-copy && mv etc.tar.gz.sha256 etc.tar.gz /srv/backups/nightly/)
groupadd --system readers && useradd --create-home -G readers alice && useradd --create-home bob
configure() {  # configure EXTRA_DESTINATION_NAME
    cat > /etc/verifyd/verifyd.toml <<TOML
socket_group = "readers"
[hooks]
directory = "/etc/verifyd/hooks.d"
[[destination]]
name = "nightly"
path = "/srv/backups/nightly"
archives = ["*.tar.gz", "*.tar"]
settle = "1s"
poll_interval = "1s"
TOML
    [ -z "${1:-}" ] || printf '[[destination]]\nname = "%s"\npath = "/srv/backups/weekly"\nmanifest = "none"\nsettle = "1s"\npoll_interval = "1s"\n' "$1" >> /etc/verifyd/verifyd.toml
}
configure
mkdir -p /etc/systemd/system/verifyd.service.d /etc/systemd/system/verifyd-hooks.service.d
# Restarts after 1 s (the watchdog check below shortens WatchdogSec too). verifyd gives the socket
# to socket_group, so it must be a member (systemd/README.md).
printf '[Service]\nRestartSec=1s\nSupplementaryGroups=readers\n' > /etc/systemd/system/verifyd.service.d/test.conf
# The hook runner reaches the socket through socket_group (systemd/README.md).
printf '[Service]\nSupplementaryGroups=readers\n' > /etc/systemd/system/verifyd-hooks.service.d/test.conf
systemctl daemon-reload
check "verifyd --check-config accepts the test configuration" verifyd --check-config
must "restart with the test configuration" systemctl restart verifyd verifyd-hooks

# --- READY=1 from a real systemd, STATUS= in systemctl status ---
must "active after READY=1" until_true 30 systemctl is-active verifyd
check "systemctl status shows the STATUS line" sh -c 'systemctl status verifyd --no-pager | grep -q "Status: \""'
check "the archive is verified" until_true 60 history_has pass etc.tar.gz

# --- who may ask ---
# Nagios exit codes: 0 to 2 are answers (a destination may be pending), 3 is "cannot connect".
answers() { "$@" > /tmp/answer 2>&1; [ $? -le 2 ] && grep -q "^VERIFYD " /tmp/answer; }
check "verifyctl status as root" answers verifyctl status
check "verifyctl status as a member of socket_group" answers runuser -u alice -- verifyctl status
check "a user outside socket_group is refused by the socket" sh -c '! runuser -u bob -- verifyctl status >/tmp/bob 2>&1 && grep -qi "permission denied" /tmp/bob'

# --- reload applies a good configuration and refuses a broken one ---
configure weekly
check "systemctl reload applies a changed configuration" systemctl reload verifyd
check "the new destination is in force" until_true 10 sh -c 'verifyctl status | grep -q "^weekly "'
cp /etc/verifyd/verifyd.toml /tmp/good.toml
echo 'concurrency = "many"' >> /etc/verifyd/verifyd.toml
check "systemctl reload refuses a broken configuration" sh -c '! systemctl reload verifyd'
check "still active after the refused reload" systemctl is-active verifyd
check "the old configuration stays in force" sh -c 'verifyctl status | grep -q "^weekly "'
cp /tmp/good.toml /etc/verifyd/verifyd.toml

# --- SIGKILL during a run: restarted, history intact, the interrupted run retried ---
runs_before=$(verifyctl history | grep -c etc.tar.gz)
# A run that lasts: a .tar.gz of 64 GiB of zeros in 512 identical gzip members (64 MB on disk),
# in the destination without a manifest; its worker is stopped as soon as it is seen.
python3 - <<'PY'
import gzip, tarfile
member = gzip.compress(b"\0" * (128 << 20), compresslevel=1)
info = tarfile.TarInfo("zeros.bin")
info.size = 512 * (128 << 20)
with open("/tmp/big.tar.gz", "wb") as out:
    out.write(gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT)))
    for _ in range(512):
        out.write(member)
    out.write(gzip.compress(b"\0" * 10240))  # the end-of-archive marker, padded to a record
PY
mv /tmp/big.tar.gz /srv/backups/weekly/
check "a worker starts on big.tar.gz" until_true 60 pgrep -f "verifyd worker"
kill -STOP $(pgrep -f "verifyd worker")
check "history shows the run in progress" until_true 30 history_has running big.tar.gz
before=$(main_pid)
systemctl kill -s KILL verifyd
check "SIGKILL leads to a restart" until_true 30 sh -c "pid=\$(systemctl show -P MainPID verifyd); [ \$pid != $before ] && [ \$pid != 0 ] && systemctl is-active verifyd"
check "history intact after SIGKILL" sh -c "[ \$(verifyctl history | grep -c etc.tar.gz) -ge $runs_before ]"
check "the killed run is recorded as interrupted" until_true 30 history_has interrupted big.tar.gz
check "the interrupted run is retried and passes" until_true 180 history_has pass big.tar.gz

# --- the watchdog restarts a verifyd that stops answering ---
# The watchdog at 3 s, so that this is quick.
printf '[Service]\nWatchdogSec=3s\nRestartSec=1s\nSupplementaryGroups=readers\n' > /etc/systemd/system/verifyd.service.d/test.conf
systemctl daemon-reload && systemctl restart verifyd && until_true 30 systemctl is-active verifyd
before=$(main_pid)
kill -STOP "$before"
# systemd sends SIGABRT at the watchdog timeout, then SIGKILL after TimeoutStopSec (30 s), as
# a stopped process does not act on SIGABRT.
check "the watchdog restarts a SIGSTOPped verifyd" until_true 90 sh -c "[ \"\$(systemctl show -P MainPID verifyd)\" != $before ] && systemctl is-active verifyd"
check "the journal says watchdog timeout" sh -c 'journalctl -u verifyd --no-pager | grep -qi "watchdog timeout"'

# --- the sandbox ---
pid=$(main_pid)
python3 -m http.server --bind 127.0.0.1 8631 >/dev/null 2>&1 &
server=$!
until_true 10 python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8631), 2)'
check "outside verifyd's namespace the probe connects" python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8631), 2)'
check "from verifyd's network namespace it cannot" sh -c "! nsenter -t $pid -n python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 8631), 2)'"
check "verifyd's network namespace has loopback only" sh -c "[ \"\$(nsenter -t $pid -n ip -o link | awk '{print \$2}' | tr -d '\n')\" = lo: ]"
kill "$server"
check "the destination is read-only in verifyd's mount namespace" sh -c "! nsenter -t $pid -m touch /srv/backups/nightly/x"
mkdir -p /var/lib/verifyd/scratch/probe
probe='{"archivePath":"/nonexistent.tar","stripComponents":0,"strict":false,"sample":{"all":{}},"seed":"1","stallTimeout":30,"memoryLimit":1073741824,"restoreDirectory":"/var/lib/verifyd/scratch/probe","probe":{"write":["/srv/backups/nightly/etc.tar.gz","/srv/backups/nightly/new","/var/lib/verifyd/history.sqlite","/tmp/outside","/var/lib/verifyd/scratch/probe/inside"],"remove":["/srv/backups/nightly/etc.tar.gz.sha256"],"connectUnix":[],"connectTCP":[],"signal":[],"chmod":[],"shellWrite":[],"hardLink":[]}}'
echo "$probe" | nsenter -t "$pid" -m /usr/sbin/verifyd worker > /tmp/probe.json 2>/tmp/probe.err
check "a sealed worker writes only inside its scratch folder" python3 - <<'PY'
import json, sys
try:
    report = json.load(open("/tmp/probe.json"))["probe"]
except ValueError:
    sys.exit("no probe report; the worker said: " + open("/tmp/probe.err").read())
outcome = {(a["operation"], a["target"]): a["errno"] for a in report["attempts"]}
inside = ("write", "/var/lib/verifyd/scratch/probe/inside")
bad = {k: v for k, v in outcome.items() if (v == 0) != (k == inside)}
sys.exit(f"unexpected: {bad}; all: {outcome}" if bad or len(outcome) != 6 else 0)
PY
check "the destination is untouched" sh -c '[ ! -e /srv/backups/nightly/new ] && [ -e /srv/backups/nightly/etc.tar.gz.sha256 ]'

# --- the shipped email hook through verifyd-hooks to an SMTP server in the container ---
python3 -W ignore - > /tmp/smtp.log 2>&1 <<'PY' &
import asyncore, smtpd
class Sink(smtpd.SMTPServer):
    def process_message(self, peer, sender, recipients, data, **kwargs):
        with open("/tmp/mail.txt", "ab") as mail:
            mail.write(data if isinstance(data, bytes) else data.encode())
Sink(("127.0.0.1", 2525), None, decode_data=False)
asyncore.loop()
PY
smtp=$!
ln -s /usr/share/verifyd/hooks/all-email.sh /etc/verifyd/hooks.d/all-email.sh
sed -i 's/^relay=.*/relay=127.0.0.1:2525/' /etc/verifyd/hooks.d/email.conf
until_true 10 python3 -c 'import socket; socket.create_connection(("127.0.0.1", 2525), 2)'
check "verifyctl alerts test" verifyctl alerts test
check "the test alert arrives by email" until_true 60 grep -q "^Subject: .*verifyd" /tmp/mail.txt
kill "$smtp"

# --- remove keeps configuration and history; purge removes both ---
check "apt-get remove" apt-get remove -y -q verifyd
check "remove keeps the configuration" test -s /etc/verifyd/verifyd.toml
check "remove keeps the history" test -s /var/lib/verifyd/history.sqlite
check "remove stops the services" sh -c '! systemctl is-active verifyd && ! systemctl is-active verifyd-hooks'
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' > /tmp/package-files
check "apt-get purge" apt-get purge -y -q verifyd
check "purge leaves no file of the package" sh -c 'while read -r f; do [ ! -e "$f" ] && [ ! -L "$f" ] || { echo "left: $f"; exit 1; }; done < /tmp/package-files'
check "purge leaves no configuration" test ! -e /etc/verifyd
check "purge leaves no history" sh -c '[ ! -e /var/lib/verifyd ] && [ ! -e /var/lib/verifyd-hooks ]'
