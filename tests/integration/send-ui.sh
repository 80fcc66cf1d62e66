# Sending from the client on an IMAP account, under tmux: the message is
# written in $EDITOR (a script), sent from the worker thread through the
# test Postfix (SMTPS) and stored by IMAP APPEND in the Sent folder the
# server marks \Sent, through the account's own connection; the index
# goes on showing the INBOX, and bob gets the message exactly once.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ui/tmux.bash"

if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "sending from the UI" "the test servers are not running (tests/servers/env.sh)"
	t_done; exit 0
fi
if ! command -v tmux >/dev/null; then
	skip "sending from the UI" "tmux missing"
	t_done; exit 0
fi
tmp=$(mktemp -d /tmp/wary-sendui.XXXXXX)
trap 'tm_stop; rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data HOME=$tmp
mkdir -p "$XDG_CONFIG_HOME/wary"
subject="from the UI $$ $(date +%s)"
cat >"$tmp/ed.sh" <<EOF
#!/bin/sh
n=\$(cat "$tmp/ed.count" 2>/dev/null || echo 0)
n=\$((n + 1))
echo \$n >"$tmp/ed.count"
[ "\$n" = 1 ] && s="$subject" || s="$subject signed"
printf 'To: bob@example.test\nSubject: %s\n\nWritten in the editor.\n' "\$s" >"\$1"
EOF
chmod +x "$tmp/ed.sh"
cat >"$XDG_CONFIG_HOME/wary/config" <<EOF
set editor = "$tmp/ed.sh"
set edit_headers = yes
account work {
	set imap_host = $WARY_TEST_HOST
	set imap_port = $WARY_TEST_IMAPS_PORT
	set imap_user = $WARY_TEST_ALICE
	set smtp_host = localhost
	set smtp_port = $WARY_TEST_SMTPS_PORT
	set ca_file = $WARY_TEST_CA
	set password_command = "printf '%s\\\\n' '$WARY_TEST_ALICE_PASS'"
	set from = "Alice <alice@example.test>"
	set fetch_interval = 0
}
EOF
sent_count() {
	grep -lsF "Subject: $subject" "$WARY_TEST_MAILDIR_ROOT/$1/Maildir/$2/new/"* \
		"$WARY_TEST_MAILDIR_ROOT/$1/Maildir/$2/cur/"* 2>/dev/null | wc -l
}

tm_start 120 40 "GNUPGHOME='${WARY_TEST_GNUPGHOME:-$tmp/gnupg}' '$WARY' 2>'$tmp/stderr'"
check "the IMAP account opens" tm_wait "INBOX" 20
tm_keys m
check "m: the header fields came from the editor's file" tm_wait "Subject: $subject"
check "the text too" tm_wait "text/plain, [0-9]+ bytes, 1 lines"
tm_keys y
check "y: sent on the worker, and stored in the Sent folder" tm_wait "Sent: 1 sent, 1 stored in Sent" 30
check "the index shows the INBOX again" tm_wait "INBOX"
for i in $(seq 1 100); do
	[ "$(sent_count bob .)" -ge 1 ] && break
	sleep 0.1
done
check "bob got it once" test "$(sent_count bob .)" = 1
check "alice's Sent (IMAP APPEND) holds it once" test "$(sent_count alice .Sent)" = 1
check "the outbox is empty" test -z "$(ls "$XDG_DATA_HOME/wary/outbox/work/new" 2>/dev/null)"
# S signs (GnuPG home of the test servers): multipart/signed arrives
if [ -n "${WARY_TEST_GNUPGHOME:-}" ]; then
	tm_keys m
	tm_wait "Subject: $subject signed" >/dev/null
	check "the compose view offers OpenPGP" tm_wait "PGP: none"
	tm_keys S
	check "S: sign" tm_wait "PGP: sign"
	tm_keys y
	check "y: the signed message is sent" tm_wait "Sent: 1 sent, 1 stored in Sent" 30
	f=""
	for i in $(seq 1 100); do
		f=$(grep -lsF "Subject: $subject signed" "$WARY_TEST_MAILDIR_ROOT/bob/Maildir/new/"* | head -1)
		[ -n "$f" ] && break
		sleep 0.1
	done
	check "bob got it as multipart/signed" grep -q '^Content-Type: multipart/signed;' "$f"
else
	skip "signing from the compose view" "no GnuPG home from the test servers"
fi
tm_keys q
tm_stop
check "no errors on stderr" test ! -s "$tmp/stderr"
t_done
