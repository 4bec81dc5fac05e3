#!/usr/bin/env bash
# Encrypted archives (issue 19), called by bench/bench.sh: verifyd decrypting and verifying
# against the tool alone (`age -d`, `gpg -d` to /dev/null) plus verifyd's verify of the plain
# archive. Prints one table row per envelope; skips an envelope whose tool is missing.
#   bench/encrypted.sh VERIFYCTL CORPUS MANIFEST WORK RUNS
set -euo pipefail
verifyctl=$1 corpus=$2 manifest=$3 work=$4 runs=$5
keys=$work/keys
json=$work/encrypted.json
median() { # median COMMAND: hyperfine's median in seconds
    hyperfine --style none -N -w 1 -r "$runs" --export-json "$json" "$1" > /dev/null 2>&1
    python3 -c "import json;print('%.3f'%json.load(open('$json'))['results'][0]['median'])"
}
row() { # row ENVELOPE VERIFY_COMMAND TOOL_COMMAND PLAIN_MEDIAN
    local envelope=$1 verify tool
    verify=$(median "$2")
    tool=$(median "$3")
    echo "| $envelope | $verify s | $tool s + $4 s | $(python3 -c "print('%.2f' % ($verify / ($tool + $4)))") |"
}

mkdir -p "$keys" && chmod 700 "$keys"
plain=$corpus.tar.zst
check="$verifyctl check --manifest $manifest --no-archive-digest --no-progress"
plain_median=$(median "$check $plain")
if command -v age > /dev/null && command -v age-keygen > /dev/null; then
    [ -f "$keys/age.txt" ] || age-keygen -o "$keys/age.txt" 2> /dev/null
    chmod 600 "$keys/age.txt"
    if [ ! -f "$plain.age" ] || [ "$plain.age" -ot "$plain" ]; then
        age -r "$(age-keygen -y "$keys/age.txt")" -o "$plain.age" "$plain"
    fi
    row "tar.zst.age (X25519)" "$check --age-identity $keys/age.txt $plain.age" \
        "age -d -i $keys/age.txt -o /dev/null $plain.age" "$plain_median"
fi
if command -v gpg > /dev/null; then
    home=$keys/gnupg
    if [ ! -d "$home" ]; then
        mkdir -m 700 "$home"
        gpg --homedir "$home" --batch --passphrase '' --quick-gen-key bench@verifyd.invalid default default never 2> /dev/null
    fi
    if [ ! -f "$plain.gpg" ] || [ "$plain.gpg" -ot "$plain" ]; then
        gpg --homedir "$home" --batch --yes --trust-model always -r bench@verifyd.invalid -o "$plain.gpg" -e "$plain" 2> /dev/null
    fi
    row "tar.zst.gpg" "$check --gpg-home $home $plain.gpg" \
        "gpg --homedir $home --batch -q -d -o /dev/null $plain.gpg" "$plain_median"
fi
