#!/usr/bin/env python3
"""Writes a .tar.gz of COUNT tiny files (content: their number) and its sha256sum manifest,
for the memory of a manifest of a million entries.  Usage: make-many.py OUT.tar.gz COUNT"""
import hashlib, io, sys, tarfile

out, count = sys.argv[1], int(sys.argv[2])
lines = []
with tarfile.open(out, "w:gz", compresslevel=1, format=tarfile.GNU_FORMAT) as tar:
    for i in range(count):
        name = f"d{i // 1000:04d}/file-{i:07d}.txt"
        data = b"%d\n" % i
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = 1700000000
        tar.addfile(info, io.BytesIO(data))
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {name}\n")
with open(out + ".sha256", "w") as f:
    f.writelines(lines)
print(f"{count} entries")
