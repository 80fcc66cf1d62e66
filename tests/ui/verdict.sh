# The sender verdict in the pager's chrome, through the real binary: a
# message the user's server vouched for (trusted_authserv_id) gets a green
# line, two From headers a red AMBIGUOUS one, never green; V opens the full
# panel.  With the test unbound running (tests/servers), DNS is on
# (dns_server) and the signed message's DKIM key is fetched off the UI
# thread: the line then says DKIM verified it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

if ! command -v tmux >/dev/null; then
	skip "sender verdict UI tests" "tmux missing"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'tm_stop; rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache HOME=$tmp
md=$tmp/Maildir
mkdir -p "$md/cur" "$md/new" "$md/tmp"
fx=$TOP/tests/fixtures/spoof
cp "$fx/control.eml" "$md/cur/1000000001.$$_1.test:2,S"
cp "$fx/two-from.eml" "$md/cur/1000000002.$$_2.test:2,S"
cp "$fx/duplicated-subject.eml" "$md/cur/1000000003.$$_3.test:2,S"
# the two-From message's Subject differs so the index can find it
sed -i 's/^Subject: Lunch on Friday/Subject: Two senders/' "$md/cur/1000000002.$$_2.test:2,S"

dns=
if . "$TOP/tests/servers/env.sh" 2>/dev/null && [ -n "$WARY_TEST_DNS_PORT" ]; then
	dns="-o dns_server=127.0.0.1@$WARY_TEST_DNS_PORT"
fi
tm_start 120 40 "'$WARY' -o trusted_authserv_id=mx.example.test $dns -f '$md' 2>'$tmp/stderr'"
check "the test messages are listed" tm_wait "\\[3 msgs, " 15

tm_keys / "Lunch on Friday" Enter Enter
if [ -n "$dns" ]; then
	check "signed message: the chrome line says DKIM verified example.test" \
		tm_wait "Sender: example\\.test verified \\(DKIM" 15
else
	check "vouched-for message: the chrome line says example.test verified by your server" \
		tm_wait "Sender: example\\.test verified \\(by your server\\)" 15
	skip "the DKIM key fetched over DNS off the UI thread" "test servers not running"
fi
line=$(tm capture-pane -p -e -t t | grep -- "Sender: example" | head -1)
printf '%s' "$line" | grep -q $'\e\[[0-9;]*42m' && ok "the aligned pass is drawn on green" ||
	{ not_ok "the aligned pass is drawn on green"; printf '%s' "$line" | od -c | head -3 | sed 's/^/# /'; }
tm_screen | grep -n "Sender: example" | grep -q "^[1-4]:" && ok "the line is in the chrome, above the body" ||
	not_ok "the line is in the chrome, above the body"
tm_keys V
check "V opens the sender panel" tm_wait "sender verdict -- who really sent this message"
check "the panel lists the DKIM signature and what it covers" tm_wait "DKIM: .* d=example\\.test s=rsa2048"
check "the panel shows what the server said" tm_wait "server said \\(1 of 1 Authentication-Results believed\\)"
tm_keys q
tm_wait "Sender: example" >/dev/null
tm_keys q
tm_wait "msgs, " >/dev/null

tm_keys = / "Two senders" Enter Enter
check "two From headers: the line says AMBIGUOUS" tm_wait "Sender: sender AMBIGUOUS \\(several From headers\\)" 15
line=$(tm capture-pane -p -e -t t | grep -- "Sender: sender AMBIGUOUS" | head -1)
printf '%s' "$line" | grep -q $'\e\[[0-9;]*41m' && ok "ambiguous: drawn on red" || not_ok "ambiguous: drawn on red"
printf '%s' "$line" | grep -q $'\e\[[0-9;]*42m' && not_ok "ambiguous: never green" || ok "ambiguous: never green"
tm_keys q
tm_wait "msgs, " >/dev/null
tm_keys = / "Urgent: new bank" Enter Enter
check "a second Subject above the signed one: the line says a signed header is duplicated" \
	tm_wait "signed, but a signed header is duplicated" 15
line=$(tm capture-pane -p -e -t t | grep -- "a signed header is duplicated" | head -1)
printf '%s' "$line" | grep -q $'\e\[[0-9;]*42m' && not_ok "duplicated Subject: never green" || ok "duplicated Subject: never green"
tm_keys q q
tm_stop
t_done
