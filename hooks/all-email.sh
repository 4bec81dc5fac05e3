#!/bin/sh
# verifyd hook: mails each alert over SMTP to a relay (default localhost:25), with curl, so no
# local MTA and no setuid helper is needed. Settings: email.conf beside this file.
#
# Contract (hooks/README.md): the alert's fields arrive as VERIFYD_* variables, its JSON on
# stdin. Exit 0: sent. Exit 75: the relay could not be reached, retry later. Other: failed.
set -eu

conf="${VERIFYD_HOOKS_DIR:-/etc/verifyd/hooks.d}/email.conf"
to="root@localhost"
from="verifyd@${VERIFYD_HOST:-localhost}"
relay="localhost:25"
subject_prefix="[verifyd]"
timeout=30

# email.conf holds KEY=VALUE lines; it is read, never executed.
if [ -r "$conf" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
            ''|'#'*) continue ;;
        esac
        key=${line%%=*}
        value=${line#*=}
        case "$key" in
            to) to=$value ;;
            from) from=$value ;;
            relay) relay=$value ;;
            subject_prefix) subject_prefix=$value ;;
            timeout) timeout=$value ;;
            *) echo "email hook: $conf: unknown key '$key' (ignored)" >&2 ;;
        esac
    done < "$conf"
fi

severity=$(printf '%s' "${VERIFYD_SEVERITY:-info}" | tr '[:lower:]' '[:upper:]')
# VERIFYD_SUMMARY, VERIFYD_DESCRIPTION and VERIFYD_ARCHIVE_PRINTABLE come with their control
# characters escaped; the Subject is also RFC 2047-encoded below.
summary=${VERIFYD_SUMMARY:-verifyd alert}
subject="$subject_prefix $severity: $summary"
repeat=${VERIFYD_REPEAT:-1}
if [ "$repeat" -gt 1 ]; then
    subject="$subject (reminder $((repeat - 1)))"
fi

# RFC 2047: the Subject as Q-encoded UTF-8 words of at most 75 characters, folded onto
# continuation lines, never cutting a character in two. Every byte but letters and digits is
# written =XX, so nothing in a name (a line feed, a colon, non-ASCII) reaches the header raw.
rfc2047() {
    printf '%s' "$1" | od -An -v -tx1 | awk '
        function flush() {
            if (word == "") return
            out = out (out == "" ? "" : "\n ") "=?UTF-8?Q?" word "?="
            word = ""
        }
        function add() {
            if (char == "") return
            if (length(word) + length(char) > 63) flush()
            word = word char
            char = ""
        }
        BEGIN { digits = "0123456789abcdef"; out = ""; word = ""; char = "" }
        {
            for (i = 1; i <= NF; i++) {
                b = (index(digits, substr($i, 1, 1)) - 1) * 16 + index(digits, substr($i, 2, 1)) - 1
                # A byte that is not a UTF-8 continuation byte starts a new character.
                if (b < 128 || b >= 192) add()
                if ((b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)) char = char sprintf("%c", b)
                else if (b == 32) char = char "_"
                else char = char "=" toupper($i)
            }
        }
        END { add(); flush(); printf "%s", out }'
}

message=$(mktemp)
trap 'rm -f "$message"' EXIT
{
    printf 'From: %s\r\n' "$from"
    printf 'To: %s\r\n' "$to"
    printf 'Subject: %s\r\n' "$(rfc2047 "$subject")"
    printf 'Date: %s\r\n' "$(date -R)"
    printf 'Message-ID: <verifyd-%s-%s@%s>\r\n' "${VERIFYD_SEQ:-0}" "$(date +%s)" "${VERIFYD_HOST:-localhost}"
    printf 'MIME-Version: 1.0\r\n'
    printf 'Content-Type: text/plain; charset=utf-8\r\n'
    printf 'Content-Transfer-Encoding: 8bit\r\n'
    printf 'X-Verifyd-Kind: %s\r\n' "${VERIFYD_KIND:-}"
    printf 'X-Verifyd-Fingerprint: %s\r\n' "${VERIFYD_FINGERPRINT:-}"
    printf '\r\n'
    printf '%s\n\n' "$summary"
    printf 'destination  %s\n' "${VERIFYD_DESTINATION:-}"
    [ -n "${VERIFYD_ARCHIVE_PRINTABLE:-}" ] && printf 'archive      %s\n' "$VERIFYD_ARCHIVE_PRINTABLE"
    printf 'alert        %s (%s, #%s)\n' "${VERIFYD_KIND:-}" "$severity" "${VERIFYD_SEQ:-}"
    printf 'time         %s\n' "${VERIFYD_TIME:-}"
    printf 'host         %s\n' "${VERIFYD_HOST:-}"
    if [ "${VERIFYD_FAILURE_COUNT:-0}" -gt 0 ]; then
        printf '\nFailures (%s):\n' "$VERIFYD_FAILURE_COUNT"
        # The description's first line is the summary; the rest lists the failures.
        printf '%s\n' "${VERIFYD_DESCRIPTION:-}" | sed '1d; s/^/  /'
    fi
    if [ -n "${VERIFYD_RUN_ID:-}" ]; then
        printf '\nDetails:  verifyctl show %s\n' "$VERIFYD_RUN_ID"
    fi
    printf 'Status:   verifyctl status %s\n' "${VERIFYD_DESTINATION:-}"
} | sed 's/\r*$/\r/' > "$message"

set -- --silent --show-error --max-time "$timeout" --url "smtp://$relay" --mail-from "$from" --upload-file "$message"
old_ifs=$IFS
IFS=', '
for rcpt in $to; do
    [ -n "$rcpt" ] && set -- "$@" --mail-rcpt "$rcpt"
done
IFS=$old_ifs

status=0
curl "$@" || status=$?
case "$status" in
    0) exit 0 ;;
    6|7|28|52|55|56) echo "email hook: cannot reach the relay $relay (curl exit $status); will retry" >&2; exit 75 ;;
    *) echo "email hook: sending to $to through $relay failed (curl exit $status)" >&2; exit 1 ;;
esac
