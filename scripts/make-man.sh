#!/bin/sh
# `make man`: the man pages, generated so that they never drift. verifyctl(1), verifyd(8) and
# verifyd-hooks(8) by swift-argument-parser's generate-manual plugin from the commands'
# definitions (their --help); verifyd.toml(5) from docs/configuration.md.
#   scripts/make-man.sh OUT_DIR
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
out=$1
version=$(sed -n 's/.*static let version = "\(.*\)"/\1/p' "$src/Sources/VerifyDaemon/Daemon.swift")
date=$(git -C "$src" log -1 --format=%cs 2>/dev/null || date +%F)
mkdir -p "$out"
cd "$src"
# The plugin builds the package and runs each command's --experimental-dump-help. In release:
# the compiled modules are those of `make release`, so only the executables are linked again
# (dynamically: the plugin cannot pass --static-swift-stdlib), and the Makefile runs `make
# release` after this, which links them statically again. A debug build here would compile
# everything a second time on a machine that has not run `make test`.
swift package generate-manual --configuration release --date "$date" --authors "verifyd developers" > "$out/generate-manual.log" 2>&1 || {
    tail -20 "$out/generate-manual.log" >&2; echo "make-man: generate-manual failed" >&2; exit 1; }
generated=.build/plugins/GenerateManual/outputs
# generate-manual keeps the help's blank lines, which mdoc warns about: paragraph breaks instead.
sed 's/^$/.Pp/' "$generated/verifyctl/verifyctl.1" > "$out/verifyctl.1"
for command in verifyd verifyd-hooks; do
    upper=$(echo "$command" | tr '[:lower:]' '[:upper:]')
    sed -e "s/^\.Dt $upper 1\$/.Dt $upper 8/" -e 's/^$/.Pp/' "$generated/$command/$command.1" > "$out/$command.8"
    grep -q "^\.Dt $upper 8\$" "$out/$command.8" || { echo "make-man: no .Dt line in $command.1" >&2; exit 1; }
done
python3 packaging/config-man.py docs/configuration.md "$version" | go-md2man > "$out/verifyd.toml.5"
