#!/bin/sh
# `make install`: copies the built binaries, units, configuration, hooks, man pages and shell
# completions into DESTDIR/PREFIX in the FHS layout. Builds nothing; the Makefile builds first.
#   scripts/install.sh BUILD_DIR MAN_DIR COMPLETION_DIR
# Environment: DESTDIR (default empty), PREFIX (default /usr/local), SYSCONFDIR (default /etc),
# UNITDIR (default PREFIX/lib/systemd/system; the Debian package uses /lib/systemd/system).
set -eu
build=$1 man=$2 completions=$3
prefix=${PREFIX:-/usr/local}
sysconf=${SYSCONFDIR:-/etc}
unitdir=${UNITDIR:-$prefix/lib/systemd/system}
root=${DESTDIR:-}
src=$(cd "$(dirname "$0")/.." && pwd)

# One binary for the three commands: verifyd runs verifyctl or verifyd-hooks when called by
# those names (Sources/verifyd/main.swift), so both are links to it. Each static Swift binary
# carries its own copy of Foundation's ICU data; three copies tripled the installed size.
[ -x "$build/verifyd" ] || { echo "install: $build/verifyd is not built (make release)" >&2; exit 1; }
for page in verifyctl.1 verifyd.8 verifyd-hooks.8 verifyd.toml.5; do
    [ -s "$man/$page" ] || { echo "install: $man/$page is not generated (make man)" >&2; exit 1; }
done

# Units and the sysusers/tmpfiles entries name the installed paths.
paths() {
    sed -e "s|/usr/local/bin/|$prefix/bin/|g" -e "s|/usr/local/sbin/|$prefix/sbin/|g" \
        -e "s|/usr/local/share/|$prefix/share/|g" -e "s|/etc/verifyd/|$sysconf/verifyd/|g" "$1"
}

install -d "$root$prefix/bin" "$root$prefix/sbin"
install -m 0755 "$build/verifyd" "$root$prefix/sbin/verifyd"
ln -sfn ../sbin/verifyd "$root$prefix/bin/verifyctl"
ln -sfn verifyd "$root$prefix/sbin/verifyd-hooks"

install -d "$root$unitdir" "$root$prefix/lib/sysusers.d" "$root$prefix/lib/tmpfiles.d"
for unit in verifyd.service verifyd-hooks.service; do
    paths "$src/systemd/$unit" > "$root$unitdir/$unit"
    chmod 0644 "$root$unitdir/$unit"
done
install -m 0644 "$src/systemd/verifyd.sysusers" "$root$prefix/lib/sysusers.d/verifyd.conf"
install -m 0644 "$src/systemd/verifyd.tmpfiles" "$root$prefix/lib/tmpfiles.d/verifyd.conf"

# The configuration and the hooks' settings are the administrator's: never overwritten.
install -d -m 0755 "$root$sysconf/verifyd" "$root$sysconf/verifyd/hooks.d"
[ -e "$root$sysconf/verifyd/verifyd.toml" ] || install -m 0644 "$src/systemd/verifyd.toml.example" "$root$sysconf/verifyd/verifyd.toml"
[ -e "$root$sysconf/verifyd/hooks.d/email.conf" ] || install -m 0644 "$src/hooks/email.conf" "$root$sysconf/verifyd/hooks.d/email.conf"

# Hooks are enabled by linking them into hooks.d (hooks/README.md).
install -d "$root$prefix/share/verifyd/hooks"
install -m 0755 "$src/hooks/all-email.sh" "$root$prefix/share/verifyd/hooks/all-email.sh"
install -m 0644 "$src/hooks/README.md" "$root$prefix/share/verifyd/hooks/README.md"

install -d "$root$prefix/share/doc/verifyd"
install -m 0644 "$src/README.md" "$root$prefix/share/doc/verifyd/README.md"
install -m 0644 "$src/systemd/verifyd.toml.example" "$root$prefix/share/doc/verifyd/verifyd.toml.example"
for doc in "$src"/docs/*.md; do install -m 0644 "$doc" "$root$prefix/share/doc/verifyd/"; done

install -d "$root$prefix/share/man/man1" "$root$prefix/share/man/man5" "$root$prefix/share/man/man8"
install -m 0644 "$man/verifyctl.1" "$root$prefix/share/man/man1/"
install -m 0644 "$man/verifyd.toml.5" "$root$prefix/share/man/man5/"
install -m 0644 "$man/verifyd.8" "$man/verifyd-hooks.8" "$root$prefix/share/man/man8/"

# Where each shell looks: bash-completion's lazy-loading folder; zsh's fpath, which on Debian
# holds /usr/share/zsh/vendor-completions and /usr/local/share/zsh/site-functions; fish's
# vendor_completions.d.
zsh_dir=$prefix/share/zsh/site-functions
[ "$prefix" = /usr ] && zsh_dir=/usr/share/zsh/vendor-completions
install -d "$root$prefix/share/bash-completion/completions" "$root$zsh_dir" "$root$prefix/share/fish/vendor_completions.d"
install -m 0644 "$completions/verifyctl.bash" "$root$prefix/share/bash-completion/completions/verifyctl"
install -m 0644 "$completions/_verifyctl" "$root$zsh_dir/_verifyctl"
install -m 0644 "$completions/verifyctl.fish" "$root$prefix/share/fish/vendor_completions.d/verifyctl.fish"
