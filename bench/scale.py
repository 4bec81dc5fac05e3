#!/usr/bin/env python3
"""make bench-scale: the daemon on a host of many archives (issue 20).

DESTINATIONS x ARCHIVES small .tar.gz (20 files each, a sha256sum manifest beside each) arrive at
once (moved into the destinations of a running verifyd); the same per-archive work is measured
at SMALL archives (10 destinations) first. Reported for each: archives verified per second,
`status` (the whole host, one connection per query, as verifyctl) p50/p99 while the queue
drains, the daemon's own CPU per run (its threads; workers excluded), its peak RSS, the history
database's size; then the time from a restart to the socket answering `status` with that
history. concurrency = 2, worker_threads = 1, as the issue measured. A `status` is timed from
connecting to the reply's last byte (without the client's decoding of it).

Usage: scale.py BIN_DIR [--destinations 100] [--archives 1000] [--small 1000] [--runs N]
  --runs N: at scale, stop measuring after N runs (the rate is then that of the first N runs on
  the full host; the restart still loads every run recorded). Default: all of them.
Writes nothing outside its work folder (--work, default .build/bench-scale) but
bench/results/scale.md."""
import argparse, hashlib, io, json, os, shutil, signal, socket, statistics, subprocess, sys, tarfile, time

def make_templates(folder, count):
    """COUNT distinct small .tar.gz of 20 files (64 to 4,096 bytes each) with their manifests."""
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        lines, buffer = [], io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6, format=tarfile.GNU_FORMAT) as tar:
            for j in range(20):
                name = f"etc/conf-{j:02d}.txt"
                data = hashlib.sha256(b"%d/%d" % (i, j)).hexdigest().encode() * (1 + (i * 7 + j * 13) % 64)
                info = tarfile.TarInfo(name)
                info.size, info.mtime = len(data), 1700000000
                tar.addfile(info, io.BytesIO(data))
                lines.append(f"{hashlib.sha256(data).hexdigest()}  {name}\n")
        path = os.path.join(folder, f"backup-{i:05d}.tar.gz")
        with open(path, "wb") as f:
            f.write(buffer.getvalue())
        with open(path + ".sha256", "w") as f:
            f.writelines(lines)

def stage(templates, staging, destinations, per):
    """Copies of the templates into staging/dNNN (per archives each), ready to be moved in."""
    names = sorted(n for n in os.listdir(templates) if n.endswith(".tar.gz"))
    for d in range(destinations):
        folder = os.path.join(staging, f"d{d:03d}")
        os.makedirs(folder)
        for k in range(per):
            name = names[(d * per + k) % len(names)]
            for suffix in ("", ".sha256"):
                shutil.copyfile(os.path.join(templates, name + suffix), os.path.join(folder, f"{k:05d}-{name}{suffix}"))

def ask(sock_path, command):
    return ask_timed(sock_path, command)[0]

def ask_timed(sock_path, command):
    """The reply, and the seconds from connecting to the reply's last byte (the client's own
    JSON decoding of a reply of 100 destinations is left out: it is not the daemon's time)."""
    t = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock_path)
    f = s.makefile("rwb")
    f.readline()
    f.write(json.dumps(command).encode() + b"\n")
    f.flush()
    line = f.readline()
    latency = time.monotonic() - t
    s.close()
    return json.loads(line), latency

def finished_runs(state):
    """Runs with a verdict, read from the history database (WAL: beside the daemon's writes)."""
    import sqlite3
    db = sqlite3.connect(f"file:{state}/history.sqlite?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT count(*) FROM run WHERE verdict IS NOT NULL").fetchone()[0]
    finally:
        db.close()

def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def peak_rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

def start_daemon(bin_dir, config, sock_path, log):
    started = time.monotonic()
    daemon = subprocess.Popen([os.path.join(bin_dir, "verifyd"), "--config", config], stderr=open(log, "ab"),
                              stdout=subprocess.DEVNULL, start_new_session=True)
    while True:
        if daemon.poll() is not None:
            sys.exit(f"verifyd exited: see {log}")
        try:
            if "result" in ask(sock_path, {"id": 1, "cmd": "status"}):
                return daemon, time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() - started > 600:
            daemon.kill()
            sys.exit("verifyd did not answer within 600 s")
        time.sleep(0.02)

def stop_daemon(daemon):
    daemon.send_signal(signal.SIGTERM)
    try:
        daemon.wait(60)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()

def scenario(args, work, destinations, per, runs_wanted):
    """One host: returns a dict of what was measured."""
    root = os.path.join(work, f"host-{destinations}x{per}")
    shutil.rmtree(root, ignore_errors=True)
    staging, dests, state = (os.path.join(root, n) for n in ("staging", "dest", "state"))
    print(f"[{destinations} x {per}] staging {destinations * per} archives...", flush=True)
    stage(os.path.join(work, "templates"), staging, destinations, per)
    os.makedirs(state)
    sock_path = os.path.join(root, "verifyd.sock")
    config = os.path.join(root, "verifyd.toml")
    with open(config, "w") as f:
        f.write(f'state_directory = "{state}"\nsocket = "{sock_path}"\nmetrics_file = "{root}/metrics.prom"\n')
        f.write("concurrency = 2\nworker_threads = 1\n")
        for d in range(destinations):
            os.makedirs(os.path.join(dests, f"d{d:03d}"))
            f.write(f'\n[[destination]]\nname = "d{d:03d}"\npath = "{dests}/d{d:03d}"\narchives = ["*.tar.gz"]\n'
                    f'manifest = "{{archive}}.sha256"\nsettle = "1s"\ninterval = "30d"\n'
                    f'keep_verifying = {per}\n')
    log = os.path.join(root, "verifyd.log")
    daemon, _ = start_daemon(args.bin, config, sock_path, log)
    try:
        total = destinations * per
        print(f"[{destinations} x {per}] arriving...", flush=True)
        arrival = time.monotonic()
        for d in range(destinations):
            # Manifests first, then the archives, as backup jobs write them.
            src = os.path.join(staging, f"d{d:03d}")
            for name in sorted(os.listdir(src), key=lambda n: not n.endswith(".sha256")):
                os.rename(os.path.join(src, name), os.path.join(dests, f"d{d:03d}", name))
        cpu0, first_run, latencies, last_print, last_count, done = None, None, [], 0, 0, 0
        target = min(runs_wanted or total, total)
        done0 = 0
        while True:
            reply, latency = ask_timed(sock_path, {"id": 1, "cmd": "status"})
            reply = reply["result"]
            info = reply["daemon"]
            found = sum(d["archives"] for d in reply["destinations"])
            busy = info["running"] + info["queued"]
            if first_run is None and info["running"] > 0:
                # Runs start while the archives are still moving in: those finished by now (the
                # arrival's) are not counted, and the rate is that of the runs after them.
                first_run, cpu0, done0 = time.monotonic(), cpu_seconds(daemon.pid), finished_runs(state)
                print(f"  {done0} runs done during the arrival; measuring from here", flush=True)
            if first_run is not None:
                latencies.append(latency)
                if time.monotonic() - last_count >= 1:
                    last_count, done = time.monotonic(), finished_runs(state)
                if time.monotonic() - last_print > 30:
                    last_print = time.monotonic()
                    print(f"  {done} runs done, {info['queued']} queued, status {latency * 1000:.1f} ms", flush=True)
                if done - done0 >= target or (found == total and busy == 0 and finished_runs(state) >= total):
                    break
            if time.monotonic() - arrival > args.timeout:
                sys.exit(f"not done within {args.timeout} s")
            time.sleep(0.02)
        elapsed = time.monotonic() - first_run
        cpu = cpu_seconds(daemon.pid) - cpu0
        done = finished_runs(state)
        rss = peak_rss_mib(daemon.pid)
    finally:
        stop_daemon(daemon)
    db = sum(os.path.getsize(os.path.join(state, n)) for n in os.listdir(state) if n.startswith("history"))
    filled = fill_history(os.path.join(state, "history.sqlite"), dests) if done < total else 0
    daemon, startup = start_daemon(args.bin, config, sock_path, log)
    restarted = time.monotonic() - startup
    # The socket answers once history is loaded; the scans of the destinations go on after it.
    while sum(d["archives"] for d in ask(sock_path, {"id": 1, "cmd": "status"})["result"]["destinations"]) < total:
        if time.monotonic() - restarted > 600:
            sys.exit("the restarted verifyd did not find every archive within 600 s")
        time.sleep(0.05)
    all_found = time.monotonic() - restarted
    # `status` of the restarted host, idle (every archive has a run; none is due): what a reply
    # costs without runs and scans beside it.
    idle = sorted(ask_timed(sock_path, {"id": 1, "cmd": "status"})[1] for _ in range(300))
    stop_daemon(daemon)
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
    measured = done - done0
    return {"host": f"{destinations} x {per} = {total}", "runs": measured, "arrivalRuns": done0, "seconds": elapsed, "rate": measured / elapsed,
            "p50": q(0.5), "p99": q(0.99), "statusQueries": len(latencies), "cpuPerRunMs": cpu * 1000 / max(measured, 1),
            "rssMiB": rss, "dbMiB": db / 1048576, "startup": startup, "allFound": all_found,
            "idleP50": idle[len(idle) // 2] * 1000, "idleP99": idle[int(0.99 * len(idle))] * 1000, "load": os.getloadavg(), "historyFilled": filled, "runsInHistory": done + filled}

def fill_history(db_path, dests):
    """With --runs, the archives not run yet get a passed run in history (as if verified), so
    that the restart loads a history of every archive. Returns how many were added."""
    import sqlite3
    db = sqlite3.connect(db_path)
    have = {row[0] for row in db.execute("SELECT archive_path FROM run WHERE verdict IS NOT NULL")}
    now, rows = time.time(), []
    for d in sorted(os.listdir(dests)):
        for name in os.listdir(os.path.join(dests, d)):
            path = os.path.join(dests, d, name)
            if name.endswith(".tar.gz") and path not in have:
                st = os.stat(path)
                rows.append((d, path, st.st_size, st.st_mtime, now, now + 0.01))
    db.executemany("INSERT INTO run (destination, archive_path, archive_size, archive_mtime, trigger, started, finished, verdict, "
                   "sample, seed, entries_seen, entries_selected, entries_checked) VALUES (?, ?, ?, ?, 'arrival', ?, ?, 'pass', 'all', 1, 20, 20, 20)", rows)
    db.commit()
    db.close()
    return len(rows)

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin")
    parser.add_argument("--destinations", type=int, default=100)
    parser.add_argument("--archives", type=int, default=1000)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=7200)
    parser.add_argument("--work", default=".build/bench-scale")
    args = parser.parse_args()
    args.bin = os.path.realpath(args.bin)
    work = os.path.realpath(args.work)
    templates = os.path.join(work, "templates")
    if not os.path.exists(os.path.join(templates, "done")):
        print("making 1,000 small .tar.gz with manifests...", flush=True)
        shutil.rmtree(templates, ignore_errors=True)
        make_templates(templates, 1000)
        open(os.path.join(templates, "done"), "w").close()
    results = [scenario(args, work, 10, args.small // 10, 0),
               scenario(args, work, args.destinations, args.archives, args.runs)]
    lines = ["| host (destinations x archives) | runs measured | archives/s | `status` p50 / p99 while draining | daemon CPU per run | daemon peak RSS | history DB | start-up to `status` | start-up to every archive found | `status` p50 / p99 idle, after the restart | load average (1/5/15 min) at the end |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['host']} | {r['runs']} in {r['seconds']:.0f} s (after {r['arrivalRuns']} during the arrival) | {r['rate']:.1f} | {r['p50']:.2f} ms / {r['p99']:.2f} ms "
                     f"({r['statusQueries']} queries) | {r['cpuPerRunMs']:.2f} ms | {r['rssMiB']:.0f} MiB | {r['dbMiB']:.1f} MiB | {r['startup']:.2f} s"
                     + f" with {r['runsInHistory']} archives in history" + (f" ({r['historyFilled']} of them filled in as passed)" if r['historyFilled'] else '')
                     + f" | {r['allFound']:.2f} s | {r['idleP50']:.2f} ms / {r['idleP99']:.2f} ms | " + " / ".join(f"{x:.1f}" for x in r['load']) + " |")
    ratio = results[1]["rate"] / results[0]["rate"] * 100
    lines.append("")
    lines.append(f"Rate at {results[1]['host'].split('= ')[1]} archives: {ratio:.0f}% of the rate at {results[0]['host'].split('= ')[1]}.")
    print("\n".join(lines))
    os.makedirs("bench/results", exist_ok=True)
    with open("bench/results/scale.md", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open("bench/results/scale.json", "w") as f:
        json.dump(results, f, indent=1)

if __name__ == "__main__":
    main()
