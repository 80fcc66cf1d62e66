# The real client on a POP3 account of the test Dovecot, under tmux: it
# opens the account's Maildir, asks for the password at a prompt that
# never shows it, downloads in its worker with progress, and the new mail
# appears in the index; G fetches again and finds nothing new.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ui/tmux.bash"

if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "POP3 account in the UI" "the test servers are not running (tests/servers/env.sh)"
	t_done; exit 0
fi
if ! command -v tmux >/dev/null; then
	skip "POP3 account in the UI" "tmux is not installed"
	t_done; exit 0
fi

tmp=$(mktemp -d /tmp/wary-uipop3.XXXXXX)
trap 'tm_stop; rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data

# alice's server mailbox holds the demo messages.
srv=$WARY_TEST_MAILDIR_ROOT/alice/Maildir
rm -rf "$srv"
mkdir -p "$srv/new" "$srv/cur" "$srv/tmp"
cp "$TOP"/tests/demo/Maildir/cur/* "$TOP"/tests/demo/Maildir/new/* "$srv/new/"
chown -R 65534:65534 "$WARY_TEST_MAILDIR_ROOT/alice"
total=$(ls "$srv/new" | wc -l)

mkdir -p "$XDG_CONFIG_HOME/wary"
cat >"$XDG_CONFIG_HOME/wary/config" <<EOF
account pop {
	set pop3_host = $WARY_TEST_HOST
	set pop3_port = $WARY_TEST_POP3S_PORT
	set imap_user = $WARY_TEST_ALICE
	set ca_file = $WARY_TEST_CA
	set maildir = $tmp/Mail
	set fetch_interval = 0
}
EOF

tm_start 120 40 "'$WARY' 2>'$tmp/stderr'"
check "the client asks for alice's password" tm_wait "Password for $WARY_TEST_ALICE@$WARY_TEST_HOST:" 20
tm_keys "$WARY_TEST_ALICE_PASS"
sleep 0.2
if tm_screen | grep -qF -- "$WARY_TEST_ALICE_PASS"; then
	not_ok "the password is not drawn while typed"
else
	ok "the password is not drawn while typed"
fi
tm_keys Enter
check "the download reports what it fetched" tm_wait "Fetched: $total new" 30
check "the new mail is in the index" tm_wait "\[$total msgs, " 15
check "a decoded demo subject is listed" tm_wait "Shared document: Q2 plan"
n=$(find "$tmp/Mail/new" "$tmp/Mail/cur" -type f | wc -l)
[ "$n" = "$total" ] && ok "the Maildir holds $total messages" || not_ok "the Maildir holds $total messages (has $n)"
[ "$(ls "$srv/new" "$srv/cur" 2>/dev/null | grep -vc ':$')" -ge "$total" ] &&
	ok "pop3_keep (the default) left them on the server" || not_ok "pop3_keep left them on the server"

# G again: nothing new, nothing twice; the password is asked once more
# (it is kept nowhere).
tm_keys G
check "G asks again for the password (not kept)" tm_wait "Password for " 10
tm_keys "$WARY_TEST_ALICE_PASS" Enter
check "a second fetch finds nothing new" tm_wait "Fetched: 0 new, $total already here" 30
n=$(find "$tmp/Mail/new" "$tmp/Mail/cur" -type f | wc -l)
[ "$n" = "$total" ] && ok "still $total messages: nothing stored twice" || not_ok "still $total messages (has $n)"

# A wrong password is a clear message, not a hang or a crash.
tm_keys G
tm_wait "Password for " 10 >/dev/null
tm_keys "not-the-password" Enter
check "a refused login says so" tm_wait "Fetching mail failed" 30
tm_keys q
ended=no
for i in $(seq 100); do tm_alive || { ended=yes; break; }; sleep 0.05; done
[ "$ended" = yes ] && ok "q quits" || not_ok "q quits"
if [ -s "$tmp/stderr" ]; then
	not_ok "nothing on stderr"; sed 's/^/#   /' "$tmp/stderr" | head -20
else
	ok "nothing on stderr"
fi
# wary fetch, for scripts: the same download without a screen.
cat >>"$XDG_CONFIG_HOME/wary/config" <<EOF
account pop2 {
	set pop3_host = $WARY_TEST_HOST
	set pop3_port = $WARY_TEST_POP3S_PORT
	set imap_user = $WARY_TEST_ALICE
	set ca_file = $WARY_TEST_CA
	set maildir = $tmp/Mail2
	set password_command = "echo '$WARY_TEST_ALICE_PASS'"
}
EOF
out=$("$WARY" -a pop2 fetch 2>&1)
case $out in "pop2: $total new, 0 already here"*) ok "wary fetch downloads ($total new)" ;; *) not_ok "wary fetch downloads: $out" ;; esac
out=$("$WARY" -a pop2 fetch 2>&1)
case $out in "pop2: 0 new, $total already here"*) ok "a second wary fetch stores nothing twice" ;; *) not_ok "a second wary fetch: $out" ;; esac
"$WARY" -a nosuch fetch >/dev/null 2>&1 && not_ok "fetch of an unknown account fails" || ok "fetch of an unknown account fails"

grep -rqF -- "$WARY_TEST_ALICE_PASS" "$tmp/cache" "$tmp/data" "$tmp/Mail" 2>/dev/null &&
	not_ok "the password is written nowhere" || ok "the password is written nowhere"
t_done
