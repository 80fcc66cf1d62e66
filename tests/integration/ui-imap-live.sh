# The real client on an IMAP account while things happen on the server:
# new mail shows up by itself (IDLE), Dovecot stopped and started again
# (the client says it is offline, queues a flag change, reconnects and the
# server gets the flag), and a big attachment left on the server by the
# first fetch is brought on demand when saved.
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
dovecot_up() { pgrep -f "dovecot -c $WARY_TEST_DOVECOT_CONF" >/dev/null || dovecot -c "$WARY_TEST_DOVECOT_CONF" </dev/null >/dev/null 2>&1; }
trap 'tm_stop; dovecot_up; rm -rf "$tmp"' EXIT
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

tm_start 120 40 "'$WARY' 2>'$tmp/stderr'"
check "the INBOX is open" tm_wait "wary: INBOX \[$total msgs, " 30

# New mail, appended by another client, appears without a key press.
imap_py 'M.append("INBOX", None, None, b"From: Idle Test <idle@example.test>\r\nSubject: arrived while idle\r\nMessage-ID: <idle1@example.test>\r\n\r\nhello\r\n")'
check "new mail shows up by itself (IDLE)" tm_wait "\[$((total + 1)) msgs, " 15
check "with its subject" tm_wait "arrived while idle"
total=$((total + 1))

# Dovecot goes away; a flag change is queued; Dovecot comes back.
dovecot -c "$WARY_TEST_DOVECOT_CONF" stop
for i in $(seq 50); do pgrep -f "dovecot -c $WARY_TEST_DOVECOT_CONF" >/dev/null || break; sleep 0.1; done
tm_keys / "Lunch on Friday" Enter F
check "the client says it is offline" tm_wait "OFFLINE" 90
dovecot -c "$WARY_TEST_DOVECOT_CONF" </dev/null >/dev/null 2>&1
check "it connects again by itself" tm_wait "Connected again" 90
IMAP_N=0
for i in $(seq 50); do
	IMAP_N=$(imap_py 'typ, d = M.search(None, "FLAGGED", "SUBJECT", "\"Lunch on Friday\""); print(len(d[0].split()))' 2>/dev/null)
	[ "$IMAP_N" = 1 ] && break
	sleep 0.2
done
[ "$IMAP_N" = 1 ] && ok "the queued flag reached the server" || not_ok "the queued flag reached the server ($IMAP_N)"
check "the status no longer says offline" tm_gone "OFFLINE" 10

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
tm_keys q q q
ended=no
for i in $(seq 100); do tm_alive || { ended=yes; break; }; sleep 0.05; done
[ "$ended" = yes ] && ok "q quits" || not_ok "q quits"
[ -s "$tmp/stderr" ] && { not_ok "nothing on stderr"; sed 's/^/#   /' "$tmp/stderr" | head; } || ok "nothing on stderr"
t_done
