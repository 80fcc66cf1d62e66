# The real client on an IMAP account while things happen on the server:
# new mail shows up by itself (IDLE); Dovecot stopped and started again
# (the status line says the connection is lost and counts down to the
# next attempt, a flag change made meanwhile shows as 1 queued, and the
# server gets it once back); the session's imap process stopped with
# SIGSTOP (the loss noticed within seconds, by the IDLE check and by a
# key that wakes the client); a big attachment left on the
# server by the first fetch is brought on demand when saved; and the
# account opened while Dovecot is down (the index, that message and its
# attachment from the cache, "offline: ... retrying in N s", online once
# Dovecot is back).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ui/tmux.bash"

if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "IMAP account live in the UI" "the test servers are not running (tests/servers/env.sh)"
	t_done; exit 0
fi
if ! command -v tmux >/dev/null || [ ! -x /usr/bin/python3 ]; then
	skip "IMAP account live in the UI" "tmux or python3 missing"
	t_done; exit 0
fi

tmp=$(mktemp -d /tmp/wary-uilive.XXXXXX)
CTL=$TOP/tests/integration/dovecot-ctl.bash
trap 'tm_stop; bash "$CTL" thaw; bash "$CTL" start; rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data
mkdir -p "$XDG_CONFIG_HOME/wary" "$tmp/saved"

srv=$WARY_TEST_MAILDIR_ROOT/alice/Maildir
rm -rf "$srv"
mkdir -p "$srv/new" "$srv/cur" "$srv/tmp"
cp "$TOP"/tests/demo/Maildir/cur/* "$srv/cur/"
chown -R 65534:65534 "$WARY_TEST_MAILDIR_ROOT/alice"
total=$(ls "$srv/cur" | wc -l)
cat >"$XDG_CONFIG_HOME/wary/config" <<EOF
account work {
	set imap_host = $WARY_TEST_HOST
	set imap_port = $WARY_TEST_IMAPS_PORT
	set imap_user = $WARY_TEST_ALICE
	set ca_file = $WARY_TEST_CA
	set password_command = "echo '$WARY_TEST_ALICE_PASS'"
	set fetch_interval = 0
	set imap_keepalive = 2
}
EOF

# imap_py: python statements with M logged in and INBOX selected.
imap_py() {
	/usr/bin/python3 - <<EOF
import imaplib, ssl, time
ctx = ssl.create_default_context(cafile="$WARY_TEST_CA")
M = imaplib.IMAP4_SSL("$WARY_TEST_HOST", $WARY_TEST_IMAPS_PORT, ssl_context=ctx)
M.login("$WARY_TEST_ALICE", "$WARY_TEST_ALICE_PASS")
M.select("INBOX")
$1
EOF
}

# Wide enough for the connection's state with its reason.
tm_start 200 40 "'$WARY' 2>'$tmp/stderr'"
check "the INBOX is open" tm_wait "wary: INBOX \[$total msgs, " 30

# New mail, appended by another client, appears without a key press.
imap_py 'M.append("INBOX", None, None, b"From: Idle Test <idle@example.test>\r\nSubject: arrived while idle\r\nMessage-ID: <idle1@example.test>\r\n\r\nhello\r\n")'
check "new mail shows up by itself (IDLE)" tm_wait "\[$((total + 1)) msgs, " 15
check "with its subject" tm_wait "arrived while idle"
total=$((total + 1))

# Dovecot goes away: the status line says the connection is lost and
# counts the delay to the next attempt down; a flag change made meanwhile
# is queued, the count shows, and it reaches the server once Dovecot is
# back.  Dovecot stays down until the count was seen.
bash "$CTL" stop
check "the client says the connection is lost" tm_wait "connection lost: .*; reconnecting in [0-9]+ s" 30
counted=no seen=
for i in $(seq 200); do
	n=$(tm_screen | sed -n 's/.*; reconnecting in \([0-9]*\) s.*/\1/p' | head -1)
	if [ -n "$n" ] && [ -n "$seen" ] && [ "$n" -eq $((seen - 1)) ]; then counted=yes; break; fi
	[ -n "$n" ] && seen=$n
	sleep 0.05
done
[ "$counted" = yes ] && ok "the delay counts down on the status line (saw $((seen)) then $((seen - 1)))" ||
	not_ok "the delay counts down on the status line"
tm_keys / "Lunch on Friday" Enter F
check "the flag change waits in the outbox: (1 queued) on the status line" tm_wait "reconnecting in [0-9]+ s \(1 queued\)" 15
bash "$CTL" start
check "it connects again by itself" tm_wait "Connected again" 90
server_has() { # server_has SUBJECT: one message with it, flagged
	local n=0 i
	for i in $(seq 50); do
		n=$(imap_py 'typ, d = M.search(None, "FLAGGED", "SUBJECT", "\"'"$1"'\""); print(len(d[0].split()))' 2>/dev/null)
		[ "$n" = 1 ] && return 0
		sleep 0.2
	done
	return 1
}
check "the queued flag reached the server" server_has "Lunch on Friday"
check "the status no longer says the connection is lost" tm_gone "connection lost|queued" 10

# A server that stops answering without closing (its imap process
# stopped): with no key pressed, the IDLE check (imap_keepalive = 2 s)
# finds out within the 6 s DONE may take and connects again (a new imap
# process); then a flag change that wakes the client does the same,
# queues and replays.
bash "$CTL" freeze
check "a frozen server, no key pressed: the loss is on the status line within 12 s" \
	tm_wait "connection lost: no answer to DONE within 6 s; reconnecting in [0-9]+ s" 12
check "and it is online again by itself" tm_gone "connection lost" 20
bash "$CTL" thaw
bash "$CTL" freeze
tm_keys / "Running late" Enter F
check "a frozen server: the loss is on the status line within 10 s" \
	tm_wait "connection lost: no answer to DONE within 6 s; reconnecting in [0-9]+ s" 10
check "online again without the frozen process" tm_gone "connection lost" 20
check "the flag change reached the server" server_has "Running late"
bash "$CTL" thaw

# A 2 MB attachment: the first fetch leaves it on the server; saving it
# brings it, byte for byte.
/usr/bin/python3 - "$tmp/big.bin" "$tmp/big.eml" <<'PY'
import base64, os, sys
data = os.urandom(2 * 1024 * 1024)
open(sys.argv[1], "wb").write(data)
b64 = base64.encodebytes(data)
msg = (b"From: Big <big@example.test>\r\nSubject: the big attachment\r\n"
       b"Message-ID: <big1@example.test>\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
       b"Content-Type: text/plain\r\n\r\nsee the attachment\r\n--b1\r\n"
       b"Content-Type: application/octet-stream; name=big.bin\r\n"
       b"Content-Disposition: attachment; filename=big.bin\r\n"
       b"Content-Transfer-Encoding: base64\r\n\r\n" + b64.replace(b"\n", b"\r\n") + b"--b1--\r\n")
open(sys.argv[2], "wb").write(msg)
PY
imap_py "M.append('INBOX', None, None, open('$tmp/big.eml', 'rb').read())"
check "the big message arrives" tm_wait "\[$((total + 1)) msgs, " 30
tm_keys / "the big attachment" Enter Enter
check "its text shows" tm_wait "see the attachment" 15
tm_keys v
check "the attachment is listed" tm_wait "big\.bin" 10
tm_keys s C-u "$tmp/saved" Enter
check "saving fetches it from the server" tm_wait "Saved $tmp/saved/big\.bin" 30
cmp -s "$tmp/big.bin" "$tmp/saved/big.bin" && ok "the saved attachment is byte for byte the sent one" ||
	not_ok "the saved attachment is byte for byte the sent one"
quit_wary() {
	tm_keys q q q
	ended=no
	for i in $(seq 100); do tm_alive || { ended=yes; break; }; sleep 0.05; done
	[ "$ended" = yes ] && ok "q quits" || not_ok "q quits"
	[ -s "$tmp/stderr" ] && { not_ok "nothing on stderr"; sed 's/^/#   /' "$tmp/stderr" | head; } || ok "nothing on stderr"
	tm_stop
}
quit_wary

# Opened while Dovecot is down: the index, the message read before and
# its attachment come from the cache; the status line says why it is
# offline and when it tries again; once Dovecot is back it is online.
total=$((total + 1))
bash "$CTL" stop
tm_start 200 40 "'$WARY' 2>'$tmp/stderr'"
check "Dovecot down: the INBOX opens from the cache" tm_wait "wary: INBOX \[$total msgs, " 30
check "the status line says offline, why, and when it retries" \
	tm_wait "offline: cannot connect to [^ ]+ port [0-9]+: Connection refused, retrying in [0-9]+ s" 10
tm_keys / "the big attachment" Enter Enter
check "the message read before shows, from the cache" tm_wait "see the attachment" 15
tm_keys v
check "its attachment is listed" tm_wait "big\.bin" 10
mkdir -p "$tmp/saved2"
tm_keys s C-u "$tmp/saved2" Enter
check "saving it again needs no server" tm_wait "Saved $tmp/saved2/big\.bin" 15
cmp -s "$tmp/big.bin" "$tmp/saved2/big.bin" && ok "the attachment saved offline is byte for byte the sent one" ||
	not_ok "the attachment saved offline is byte for byte the sent one"
bash "$CTL" start
check "Dovecot back: online by itself" tm_gone "offline:" 90
quit_wary
t_done
