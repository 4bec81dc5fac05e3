#!/bin/sh
# The demo: a small backup folder with archives in several formats, their manifests made at
# "backup time", one archive silently corrupted afterwards; then verifyctl check on each.
set -eu
verifyctl=$(realpath "$1")
demo=demo
rm -rf "$demo"
mkdir -p "$demo/source/etc/app" "$demo/source/home/alice/photos" "$demo/source/var/db" "$demo/backups"
src=$demo/source

# Reproducible content: text from seq, noise from a fixed-key byte stream.
seq 1 5000 | sed 's/^/config line /' > "$src/etc/app/settings.conf"
seq 1 200 | sed 's/^/127.0.0./' > "$src/etc/hosts"
seq 1 40000 | sed 's/$/ journal entry of the database/' > "$src/var/db/journal.log"
for i in 1 2 3 4; do
    seq -f "%g" "$i" 3 900000 | sha256sum | cut -c1-64 | awk -v n="$i" '{ for (k = 0; k < 3000; k++) print $0 n k }' > "$src/home/alice/photos/img-$i.raw"
done
printf 'notes with a space in the name\n' > "$src/home/alice/my notes.txt"

backups=$demo/backups
( cd "$src/etc" && "$verifyctl" manifest create . -o ../../backups/etc.sha256 && tar -czf ../../backups/etc.tar.gz . )
( cd "$src/home" && "$verifyctl" manifest create . --format mtree -o ../../backups/home.mtree && bsdtar --format=zip -cf ../../backups/home.zip . )
( cd "$src/var" && "$verifyctl" manifest create . --format json -o ../../backups/var.json && tar --zstd -cf ../../backups/var.tar.zst . )
( cd "$src/home" && "$verifyctl" manifest create . -o ../../backups/photos.sha256 && tar -cf ../../backups/photos.tar . )
( cd "$backups" && sha256sum etc.tar.gz > etc.tar.gz.sha256 )

# Bit rot: one byte of img-3.raw inside photos.tar is flipped (XOR 0x01), size unchanged.
offset=$(grep -abo 'img-3.raw' "$backups/photos.tar" | head -n 1 | cut -d: -f1)
offset=$((offset + 512 + 1000))
byte=$(od -An -tu1 -j "$offset" -N1 "$backups/photos.tar" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$backups/photos.tar" bs=1 seek="$offset" conv=notrunc status=none

echo "Demo backup folder: $backups"
ls -l "$backups"
for pair in etc.tar.gz:etc.sha256 home.zip:home.mtree var.tar.zst:var.json photos.tar:photos.sha256; do
    archive=${pair%%:*}
    manifest=${pair#*:}
    echo
    echo "\$ verifyctl check $backups/$archive --manifest $backups/$manifest"
    status=0
    "$verifyctl" check "$backups/$archive" --manifest "$backups/$manifest" --seed 1 || status=$?
    echo "(exit status $status)"
done
echo
echo "\$ verifyctl check $backups/photos.tar --manifest $backups/photos.sha256 --sample 2 --seed 42 --json"
"$verifyctl" check "$backups/photos.tar" --manifest "$backups/photos.sha256" --sample 2 --seed 42 --json || true
