#!/usr/bin/env python3
"""Writes the benchmark corpus: a reproducible tree (seeded) of many small files and a few
large ones, half compressible text-like content and half incompressible noise, and its
sha256sum manifest.  Usage: make-corpus.py DIR SIZE_BYTES SEED"""
import hashlib, os, random, sys

root, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
words = [w.encode() for w in "backup verify archive entry manifest the of data disk restore host nightly block".split()]

def text(n):
    out = bytearray()
    while len(out) < n:
        line = b" ".join(rng.choice(words) for _ in range(rng.randint(4, 14)))
        out += line + b"\n"
    return bytes(out[:n])

def noise(n):
    return rng.randbytes(n)

plan = []
half = size // 2
# Text half: many small files (1 to 64 KiB) and two large ones.
small_text = half // 2
while small_text > 0:
    n = rng.randint(1 << 10, 64 << 10)
    plan.append(("text", n)); small_text -= n
plan += [("text", half // 4), ("text", half // 4)]
# Noise half: many small files and two large ones.
small_noise = half // 2
while small_noise > 0:
    n = rng.randint(1 << 10, 64 << 10)
    plan.append(("noise", n)); small_noise -= n
plan += [("noise", half // 4), ("noise", half // 4)]

lines = []
for index, (kind, n) in enumerate(plan):
    folder = os.path.join(root, kind, f"d{index % 50:02d}")
    os.makedirs(folder, exist_ok=True)
    name = f"{kind}/d{index % 50:02d}/f{index:06d}.{'txt' if kind == 'text' else 'bin'}"
    data = text(n) if kind == "text" else noise(n)
    with open(os.path.join(root, name), "wb") as f:
        f.write(data)
    lines.append(f"{hashlib.sha256(data).hexdigest()}  {name}\n")
with open(root + ".sha256", "w") as f:
    f.writelines(lines)
print(f"{len(plan)} files, {size} bytes")
