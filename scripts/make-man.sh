#!/bin/sh
# `make man`: the man pages, generated so that they never drift. verifyctl(1), verifyd(8) and
# verifyd-hooks(8) by swift-argument-parser's generate-manual from the built commands'
# definitions (their --experimental-dump-help, what --help says); verifyd.toml(5) from
# docs/configuration.md.
#   scripts/make-man.sh BUILD_DIR OUT_DIR
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
out=$2
version=$("$build/verifyd" --version)
date=$(git -C "$src" log -1 --format=%cs 2>/dev/null || date +%F)
mkdir -p "$out"
cd "$src"
# generate-manual is swift-argument-parser's own tool, built here with `make release`'s settings,
# so that it shares the modules that build compiled. (Its package plugin, `swift package
# generate-manual`, would build the whole package again with other settings: 25 minutes more on
# the 2-core build machine.)
${SWIFT:-swift} build -c release --static-swift-stdlib --product generate-manual > "$out/generate-manual.log" 2>&1 || {
    tail -20 "$out/generate-manual.log" >&2; echo "make-man: building generate-manual failed" >&2; exit 1; }
tool=.build/release/generate-manual
for command in verifyctl:1 verifyd:8 verifyd-hooks:8; do
    name=${command%:*} section=${command#*:}
    # generate-manual keeps the help's blank lines, which mdoc warns about: paragraph breaks instead.
    "$tool" "$build/$name" --section "$section" --date "$date" --authors "verifyd developers" --output-directory - \
        2>>"$out/generate-manual.log" | sed 's/^$/.Pp/' > "$out/$name.$section"
    upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
    grep -q "^\.Dt $upper $section\$" "$out/$name.$section" || { echo "make-man: no .Dt line in $out/$name.$section" >&2; exit 1; }
done
python3 packaging/config-man.py docs/configuration.md "$version" | go-md2man > "$out/verifyd.toml.5"
