#!/usr/bin/env python3
"""Damages archives made by the real tools, at random, and checks verifyctl on each one.

Usage: scripts/damage-fuzz.py [--seed N] [--rounds N] [--damage flip,zero,cut,drop,dup]
                               [--formats tar,tar.gz,...] [--bin .build/release]

For each format, the same small tree (text and noise files, an empty file) is archived with
GNU tar, bsdtar, zip, 7z or cpio, then damaged `rounds` times: a flipped byte (flip), a
zeroed 512-4096-byte block (zero), the file cut short (cut), a run of bytes deleted (drop) or
repeated (dup). Each damaged file is checked against the tree's manifest with one thread and
with two. It is a finding when verifyctl
  - exits with anything but 0, 1 or 2 (a crash), or does not end within 60 s (a hang); or
  - passes (0) a file that bsdtar does not extract to exactly the tree (damage missed).
A pass is fine where bsdtar extracts the tree exactly: the damage hit padding or a field no
check covers (an mtime). Findings are printed and their files kept in the work folder; the
exit status is 1 when there is one. The same seed gives the same tree, times and damage; only
what the tools write from the system (cpio's inode numbers, pax's atime and ctime) differs.
"""
import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile

MAKERS = {
    'tar': 'tar -cf {o} -C src d empty',
    'tar.gz': 'tar -czf {o} -C src d empty',
    'tar.bz2': 'tar -cjf {o} -C src d empty',
    'tar.xz': 'tar -cJf {o} -C src d empty',
    'tar.zst': 'tar --zstd -cf {o} -C src d empty',
    'pax': 'bsdtar --format=pax -cf {o} -C src d empty',
    'zip': 'cd src && zip -q -X -r {o} d empty',
    'zip-stored': 'cd src && zip -q -X -0 -r {o} d empty',
    '7z': 'cd src && 7z a -bd -bso0 {o} d empty',
    'cpio': 'cd src && find d empty | cpio --quiet -o -H newc > {o}',
}


def make_tree(work, rnd):
    os.makedirs(os.path.join(work, 'src', 'd'))
    for i in range(12):
        if i % 2 == 0:
            data = ''.join('line %d of file %d\n' % (j, i) for j in range(50 + i * 40)).encode()
        else:
            data = bytes(rnd.getrandbits(8) for _ in range(1500 + i * 300))
        with open(os.path.join(work, 'src', 'd', 'f%02d.txt' % i), 'wb') as f:
            f.write(data)
    open(os.path.join(work, 'src', 'empty'), 'wb').close()
    # Fixed times, so that the archives (and so the damage) are the same on every run.
    for folder, _, files in os.walk(os.path.join(work, 'src')):
        for name in files:
            os.utime(os.path.join(folder, name), (1_000_000_000, 1_000_000_000))
        os.utime(folder, (1_000_000_000, 1_000_000_000))
    names = sorted(['d/' + n for n in os.listdir(os.path.join(work, 'src', 'd'))] + ['empty'])
    expected = {}
    for name in names:
        with open(os.path.join(work, 'src', name), 'rb') as f:
            expected[name] = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(work, 'MANIFEST.sha256'), 'w') as f:
        f.writelines('%s  %s\n' % (expected[n], n) for n in names)
    return expected


def damaged(good, mode, rnd):
    data = bytearray(good)
    pos = rnd.randrange(len(data))
    if mode == 'flip':
        data[pos] ^= rnd.choice([1, 2, 4, 8, 16, 32, 64, 128, 0xff, 0x55])
    elif mode == 'zero':
        pos -= pos % 512
        n = rnd.choice([512, 1024, 4096])
        data[pos:pos + n] = bytes(len(data[pos:pos + n]))
    elif mode == 'cut':
        del data[pos:]
    elif mode == 'drop':
        del data[pos:pos + rnd.randrange(1, 600)]
    elif mode == 'dup':
        n = rnd.randrange(1, 600)
        data[pos:pos] = data[pos:pos + n]
    return bytes(data), pos


def extracts_exactly(path, expected, work):
    target = tempfile.mkdtemp(dir=work)
    try:
        r = subprocess.run(['bsdtar', '-xf', path, '-C', target], capture_output=True, timeout=60)
        if r.returncode != 0:
            return False
        for name, digest in expected.items():
            p = os.path.join(target, name)
            if not os.path.isfile(p):
                return False
            with open(p, 'rb') as f:
                if hashlib.sha256(f.read()).hexdigest() != digest:
                    return False
        return True
    except subprocess.TimeoutExpired:
        return False
    finally:
        shutil.rmtree(target, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--rounds', type=int, default=100, help='damaged files per format and kind of damage')
    parser.add_argument('--damage', default='flip,zero,cut,drop,dup')
    parser.add_argument('--formats', default=','.join(MAKERS))
    parser.add_argument('--bin', default='.build/release', help='folder holding verifyctl')
    args = parser.parse_args()
    verifyctl = os.path.abspath(os.path.join(args.bin, 'verifyctl'))
    work = tempfile.mkdtemp(prefix='verifyd-fuzz-')
    rnd = random.Random(args.seed)
    expected = make_tree(work, rnd)
    findings = 0
    for kind in args.formats.split(','):
        good_path = os.path.join(work, 'good.' + kind)
        subprocess.run(MAKERS[kind].format(o=good_path), shell=True, cwd=work, check=True)
        with open(good_path, 'rb') as f:
            good = f.read()
        for mode in args.damage.split(','):
            tally = {}
            for _ in range(args.rounds):
                data, pos = damaged(good, mode, rnd)
                if data == good:
                    continue
                bad = os.path.join(work, 'bad.' + kind)
                with open(bad, 'wb') as f:
                    f.write(data)
                for threads in ('1', '2'):
                    command = [verifyctl, 'check', '--manifest', os.path.join(work, 'MANIFEST.sha256'),
                               '--no-archive-digest', '--threads', threads, '--stall-timeout', '3', bad]
                    try:
                        status = subprocess.run(command, capture_output=True, timeout=60).returncode
                    except subprocess.TimeoutExpired:
                        status = 'hang'
                    tally[status] = tally.get(status, 0) + 1
                    problem = None
                    if status not in (0, 1, 2):
                        problem = 'exit %s' % status
                    elif status == 0 and not extracts_exactly(bad, expected, work):
                        problem = 'passed, but bsdtar does not extract the tree from it'
                    if problem:
                        findings += 1
                        kept = os.path.join(work, 'finding-%d-%s-%s-%d' % (findings, kind, mode, pos))
                        shutil.copy(bad, kept)
                        print('FINDING %s %s at byte %d, %s thread(s): %s (kept as %s)' % (kind, mode, pos, threads, problem, kept), flush=True)
            print('%-10s %-5s exit statuses %s' % (kind, mode, dict(sorted(tally.items(), key=str))), flush=True)
    print('%d finding(s); work folder %s' % (findings, work))
    if findings == 0:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
