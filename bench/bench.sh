#!/usr/bin/env bash
# make bench: verifyd against the tools a sysadmin would use, on a reproducible corpus.
# BENCH_SIZE (default 1G), BENCH_SEED (42), BENCH_RUNS (5), BENCH_DIR (.build/bench).
# BENCH_SEEK_ONLY=1: only the seek index rows of the tar and the tar.gz (printed, no results file).
# Writes bench/results/latest.md and latest.json; prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
size_text=${BENCH_SIZE:-1G}
seed=${BENCH_SEED:-42}
runs=${BENCH_RUNS:-5}
work=$(realpath -m "${BENCH_DIR:-.build/bench}")
verifyctl=$(realpath .build/release/verifyctl)
bytes=$(numfmt --from=iec "$size_text")
corpus=$work/corpus-$size_text-$seed
mkdir -p "$work" bench/results

if [ ! -f "$corpus.done" ]; then
    rm -rf "$corpus" "$corpus".*
    echo "making the corpus ($size_text, seed $seed)..."
    python3 bench/make-corpus.py "$corpus" "$bytes" "$seed"
    echo "archiving..."
    tar -cf "$corpus.tar" -C "$corpus" .
    gzip -6 -c "$corpus.tar" > "$corpus.tar.gz"
    zstd -q -3 -T2 -c "$corpus.tar" > "$corpus.tar.zst"
    xz -1 -T2 -c "$corpus.tar" > "$corpus.tar.xz"
    (cd "$corpus" && zip -q -r -6 "$corpus.zip" .)
    touch "$corpus.done"
fi
manifest=$corpus.sha256
scratch=$work/scratch
rm -rf "$scratch"

json=$work/hyperfine.json
rows=()
measure() { # measure LABEL FORMAT COMMAND [RUNS]
    local label=$1 format=$2 command=$3 n=${4:-$runs}
    hyperfine --style none -N -w 1 -r "$n" --export-json "$json" "$command" > /dev/null 2>&1 ||
        hyperfine --style none -w 1 -r "$n" --export-json "$json" "$command" > /dev/null
    local median user system rss
    median=$(python3 -c "import json;r=json.load(open('$json'))['results'][0];print('%.3f'%r['median'])")
    user=$(python3 -c "import json;r=json.load(open('$json'))['results'][0];print('%.3f'%r['user'])")
    system=$(python3 -c "import json;r=json.load(open('$json'))['results'][0];print('%.3f'%r['system'])")
    /usr/bin/time -o "$work/rss" -f '%M' bash -c "$command" > /dev/null 2>&1 || true
    rss=$(tail -n 1 "$work/rss")
    last_median=$median
    rows+=("$format"$'\t'"$label"$'\t'"$median"$'\t'"$user"$'\t'"$system"$'\t'"$((rss / 1024))")
    printf '%-8s %-44s %8ss  (user %ss, sys %ss, peak RSS %s MiB)\n' "$format" "$label" "$median" "$user" "$system" "$((rss / 1024))"
}

check="$verifyctl check --manifest $manifest --no-archive-digest"
seek_rows() { # seek_rows FORMAT ARCHIVE: the seek index (docs/seek-index.md)
    local format=$1 archive=$2
    "$verifyctl" index "$archive" -o "$work/$format.vidx" > /dev/null
    echo "$format seek index: $(stat -c %s "$work/$format.vidx") bytes, $(python3 -c "import os;print('%.2f' % (100 * os.path.getsize('$work/$format.vidx') / os.path.getsize('$archive')))")% of the archive"
    measure "verifyd 5% sample through the seek index" "$format" "$check --sample-percent 5 --seed 1 --index $work/$format.vidx $archive"
    measure "verifyd 100 entries through the seek index" "$format" "$check --sample 100 --seed 1 --index $work/$format.vidx $archive"
    measure "verifyd full verify, building the seek index" "$format" "$check --index $work/$format.build.vidx $archive"
}
if [ -n "${BENCH_SEEK_ONLY:-}" ]; then
    for format in tar tar.gz; do
        measure "verifyd full verify" "$format" "$check $corpus.$format"
        measure "verifyd 5% sample" "$format" "$check --sample-percent 5 --seed 1 $corpus.$format"
        seek_rows "$format" "$corpus.$format"
    done
    exit 0
fi
stream_rows=()
for format in tar tar.gz tar.zst tar.xz zip; do
    archive=$corpus.$format
    measure "verifyd full verify" "$format" "$check $archive"
    case $format in
        tar.gz | tar.zst | zip)
            # A stream costs no more than a file (issue 22): the same check of the same bytes, from a pipe.
            file_median=$last_median
            measure "verifyd full verify of a stream (cat | check -)" "$format" "sh -c 'cat $archive | $check -'"
            stream_rows+=("| $format | $file_median s | $last_median s | $(python3 -c "print('%.2f' % ($last_median / $file_median))") |") ;;
    esac
    measure "verifyd 5% sample" "$format" "$check --sample-percent 5 --seed 1 $archive"
    case $format in
        tar | tar.gz | tar.xz) seek_rows "$format" "$archive" ;; # the seek index (docs/seek-index.md; xz -T2
            # writes blocks of 3 MiB; the tar.zst is one frame, which has no index)
    esac
    case $format in
        tar | tar.gz | tar.zst | zip) measure "verifyd full verify, one thread (--threads 1)" "$format" "$check --threads 1 $archive" ;;
    esac
    case $format in
        tar.gz)
            measure "verifyd full verify, zlib inflater" "$format" "$check --inflater zlib $archive"
            measure "python3 zlib inflate (floor)" "$format" "python3 -c \"import zlib,sys;d=zlib.decompressobj(31);f=open(sys.argv[1],'rb');[d.decompress(b) for b in iter(lambda:f.read(1<<20),b'')]\" $archive"
            measure "igzip -dc" "$format" "sh -c 'igzip -dc $archive > /dev/null'"
            measure "gzip -dc" "$format" "sh -c 'gzip -dc $archive > /dev/null'" 3
            measure "pigz -dc" "$format" "sh -c 'pigz -dc $archive > /dev/null'" 3 ;;
        tar.zst) measure "zstd -dc" "$format" "sh -c 'zstd -q -dc $archive > /dev/null'" ;;
        tar.xz) measure "xz -dc" "$format" "sh -c 'xz -dc $archive > /dev/null'" 3 ;;
        tar) measure "openssl dgst -sha256 (floor)" "$format" "openssl dgst -sha256 $archive" ;;
        zip) measure "bsdtar -xOf > /dev/null" "$format" "sh -c 'bsdtar -xOf $archive > /dev/null'" 3 ;;
    esac
    measure "bsdtar -xOf | sha256sum" "$format" "sh -c 'bsdtar -xOf $archive | sha256sum > /dev/null'" 3
    measure "shell: tar -xf, then sha256sum -c" "$format" \
        "sh -c 'rm -rf $scratch && mkdir -p $scratch && bsdtar -xf $archive -C $scratch && cd $scratch && sha256sum --quiet -c $(realpath "$manifest") && cd / && rm -rf $scratch'" 3
done

# The daemon under load, and a manifest of a million entries.
echo "daemon under load..."
daemon_rows=$(bench/daemon-load.sh "$corpus.tar.gz" "$manifest" 1000 "$runs")
echo "$daemon_rows"
many=$work/many-1000000.tar.gz
if [ ! -f "$many.sha256" ]; then
    echo "making a .tar.gz of 1,000,000 tiny files (about a minute)..."
    python3 bench/make-many.py "$many" 1000000
fi
/usr/bin/time -o "$work/many" -f '%e %M' "$verifyctl" check --manifest "$many.sha256" "$many" > /dev/null || true
read -r many_seconds many_rss < "$work/many"
many_row="| 1,000,000-entry manifest, full verify of its .tar.gz | ${many_seconds} s, peak RSS $((many_rss / 1024)) MiB |"
echo "$many_row"
printf '%s\n' "${stream_rows[@]}"
echo "encrypted archives..."
encrypted_rows=$(bench/encrypted.sh "$verifyctl" "$corpus" "$manifest" "$work" "$runs")
echo "$encrypted_rows"

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
{
    echo "Corpus: $size_text (seed $seed): $(find "$corpus" -type f | wc -l) files, half text-like, half noise."
    echo "Machine: $machine. Medians of $runs runs (3 for the slow peers), warm page cache, $(date -u +%Y-%m-%d)."
    echo
    echo "| format | command | median (s) | user (s) | sys (s) | peak RSS (MiB) |"
    echo "|---|---|---|---|---|---|"
    for row in "${rows[@]}"; do
        row=${row//|/\\|}
        echo "| ${row//$'\t'/ | } |"
    done
    echo
    echo "| the daemon, and many entries | |"
    echo "|---|---|"
    echo "$daemon_rows"
    echo "$many_row"
    echo
    echo "| stream against file (full verify) | file | cat \| check - | ratio |"
    echo "|---|---|---|---|"
    printf '%s\n' "${stream_rows[@]}"
    echo
    echo "| encrypted (full verify) | verifyd check | tool alone + plain verify | ratio |"
    echo "|---|---|---|---|"
    echo "$encrypted_rows"
} > bench/results/latest.md
python3 - "$work" "${rows[@]}" > bench/results/latest.json <<'PY'
import json, sys
rows = [r.split("\t") for r in sys.argv[2:]]
print(json.dumps([{"format": f, "command": c, "median": float(m), "user": float(u), "system": float(s), "peakRssMiB": int(r)}
                  for f, c, m, u, s, r in rows], indent=1))
PY
echo
cat bench/results/latest.md
