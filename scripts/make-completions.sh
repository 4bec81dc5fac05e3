#!/bin/sh
# `make completions`: verifyctl's bash, zsh and fish completions, from the built binary
# (swift-argument-parser writes them from the command definitions).
#   scripts/make-completions.sh BUILD_DIR OUT_DIR
set -eu
mkdir -p "$2"
# bash-completion sources the file: no #! line (lintian: bash-completion-with-hashbang).
"$1/verifyctl" --generate-completion-script bash | sed '1{/^#!/d}' > "$2/verifyctl.bash"
"$1/verifyctl" --generate-completion-script zsh > "$2/_verifyctl"
"$1/verifyctl" --generate-completion-script fish > "$2/verifyctl.fish"
