# Helpers shared by tests/integration/send*.sh, sourced after tests/lib.sh
# with W (a work directory) set; not a test itself (tests/run runs only
# *.sh).  The sender is alice (IMAPS for Sent, SMTPS to submit), mail goes
# to bob, and both are read from the servers' Maildirs.

export XDG_DATA_HOME=$W/data XDG_CONFIG_HOME=$W/config XDG_CACHE_HOME=$W/cache
MROOT=$WARY_TEST_MAILDIR_ROOT
cat >"$W/cfg" <<EOF
set outbox = $W/outbox
set header_cache = off
account a {
	set imap_host = localhost
	set imap_port = $WARY_TEST_IMAPS_PORT
	set imap_user = alice
	set smtp_host = localhost
	set smtp_port = $WARY_TEST_SMTPS_PORT
	set ca_file = $WARY_TEST_CA
	set password_command = "echo $WARY_TEST_ALICE_PASS"
	set from = "Alice Ärger <alice@example.test>"
}
EOF

# sn_send NAME DRAFT [ARGS...]: wary send; NAME.out, NAME.err, NAME.rc
sn_send() {
	local name=$1 draft=$2
	shift 2
	timeout 60 "$WARY" -F "$W/cfg" send "$draft" "$@" >"$W/$name.out" 2>"$W/$name.err"
	echo $? >"$W/$name.rc"
}

# sn_rc NAME WANT WHAT: wary send's exit status (its stderr shown when not)
sn_rc() {
	if [ "$(cat "$W/$1.rc")" = "$2" ]; then ok "$3"; else
		not_ok "$3"
		sed 's/^/# /' "$W/$1.err" "$W/$1.out" | tail -5
	fi
}

# sn_msgid NAME: the Message-ID wary send printed
sn_msgid() {
	sed -n 's/^queued [^ ]* //p' "$W/$1.out" | head -1
}

# sn_find USER MSGID: the files of USER's INBOX with that Message-ID
sn_find() {
	grep -lsF "Message-ID: $2" "$MROOT/$1/Maildir/new/"* "$MROOT/$1/Maildir/cur/"* 2>/dev/null
}

# sn_wait USER MSGID: wait (up to 20 s) for the delivery; print its file
sn_wait() {
	local i f
	[ -n "$2" ] || return 0
	for i in $(seq 1 200); do
		f=$(sn_find "$1" "$2" | head -1)
		if [ -n "$f" ]; then
			echo "$f"
			return 0
		fi
		sleep 0.1
	done
}

# sn_count USER MSGID: how many copies arrived
sn_count() {
	sn_find "$1" "$2" | wc -l
}

# sn_sent MSGID: copies in alice's Sent; sn_sent_file MSGID: the first
sn_sent() {
	grep -lsF "Message-ID: $1" "$MROOT/alice/Maildir/.Sent/new/"* "$MROOT/alice/Maildir/.Sent/cur/"* \
		2>/dev/null | wc -l
}
sn_sent_file() {
	grep -lsF "Message-ID: $1" "$MROOT/alice/Maildir/.Sent/new/"* "$MROOT/alice/Maildir/.Sent/cur/"* \
		2>/dev/null | head -1
}

sn_outbox_list() {
	"$WARY" -F "$W/cfg" outbox list 2>/dev/null
}
sn_outbox_has() {
	sn_outbox_list | grep -q "	$1	"
}
sn_outbox_clear() {
	rm -f "$W/outbox/a/new/"* "$W/outbox/a/state/"*
}

# sn_has FILE REGEX WHAT / sn_lacks FILE REGEX WHAT (header block only)
sn_has() {
	if tr -d '\r' <"$1" | grep -qE -- "$2"; then ok "$3"; else
		not_ok "$3"
		echo "# no line matching: $2"
	fi
}
sn_lacks() {
	if tr -d '\r' <"$1" | sed '/^$/q' | grep -qE -- "$2"; then not_ok "$3"; else ok "$3"; fi
}

# sn_peer_send NAME SCRIPT CERT TLS [HOST]: a send to the hostile peer
# serving SCRIPT with CERT (its key beside it); the peer's log NAME.log
sn_peer_send() {
	local name=$1 script=$2 cert=$3 tls=$4 host=${5:-127.0.0.1} port="" i pid
	"$PY" "$TOP/tests/peer/peer.py" "$script" --set CERT="$cert" --set KEY="${cert%.crt}.key" \
		--timeout 5 --log "$W/$name.log" >"$W/$name.port" 2>"$W/$name.peer-err" &
	pid=$!
	for i in $(seq 1 100); do
		port=$(sed -n 's/^port //p' "$W/$name.port" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.05
	done
	if [ -n "${SN_DRAFT:-}" ]; then
		cp "$SN_DRAFT" "$W/$name.txt"
	else
		printf 'To: bob@example.test\nSubject: to the peer\n\nx\n' >"$W/$name.txt"
	fi
	sn_send "$name" "$W/$name.txt" -o "account.a.smtp_host=$host" -o "account.a.smtp_port=$port" \
		-o "account.a.smtp_tls=$tls" ${SN_OPTS[@]+"${SN_OPTS[@]}"}
	wait "$pid" 2>/dev/null
}

# sn_peer_no_auth NAME WHAT: the peer saw a connection and no AUTH
sn_peer_no_auth() {
	if grep -q '^\*: connected' "$W/$1.log" && ! grep -qiE '^C: (AUTH|MAIL|RCPT|DATA)|YWxpY2U|'"$WARY_TEST_ALICE_PASS" "$W/$1.log"; then
		ok "$2"
	else
		not_ok "$2"
		sed 's/^/# /' "$W/$1.log" | tail -5
	fi
}

# sn_py FILE MODE WHAT [ARGS...]: checks with Python's own email parser
sn_py() {
	local f=$1 mode=$2 what=$3
	shift 3
	if [ -z "$f" ]; then
		not_ok "$what (nothing delivered)"
		return
	fi
	if "$PY" - "$f" "$mode" "$@" >"$W/py.out" 2>&1 <<'EOF'; then ok "$what"; else not_ok "$what"; sed 's/^/# /' "$W/py.out"; fi
import email, email.policy, hashlib, sys, time
path, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
raw = open(path, 'rb').read()
m = email.message_from_bytes(raw, policy=email.policy.default)
def want(cond, msg):
    if not cond:
        print('failed:', msg)
        sys.exit(1)
if mode == 'utf8':
    want(m['Subject'] == 'Grüße aus Köln, 日本', 'subject %r' % m['Subject'])
    want(m['To'].addresses[0].display_name == 'Bøb Ünïcode', 'to %r' % m['To'])
    want(m.get_content() == 'Ça va? Ünïcode body.\nLine with trailing space \n', 'body %r' % m.get_content())
elif mode == 'attach':
    want(m.get_content_type() == 'multipart/mixed', 'type')
    parts = list(m.iter_parts())
    want(len(parts) == 3, 'three parts, not %d' % len(parts))
    want(parts[0].get_content() == 'See the files.\n', 'text %r' % parts[0].get_content())
    want(parts[1].get_content_type() == 'image/png', 'png typed by content: %s' % parts[1].get_content_type())
    for p, f in zip(parts[1:], args):
        want(p.get_filename() == f.rsplit('/', 1)[1], 'name %r' % p.get_filename())
        want(p.get_content() == open(f, 'rb').read(), 'bytes of %s' % f)
        want(p['Content-Transfer-Encoding'] == 'base64', 'base64')
elif mode == 'forward':
    parts = list(m.iter_parts())
    want(len(parts) == 2 and parts[1].get_content_type() == 'message/rfc822', 'two parts, the second a message')
    text = raw.replace(b'\r\n', b'\n')
    b = m.get_boundary().encode()
    sec = text.split(b'--' + b + b'\n')[2].split(b'\n--' + b + b'--')[0]
    inner = sec.split(b'\n\n', 1)[1]
    orig = open(args[0], 'rb').read().replace(b'\r\n', b'\n')
    want(inner.rstrip(b'\n') == orig.rstrip(b'\n'), 'enclosed bytes differ')
elif mode == 'hashcash':
    stamps = m.get_all('X-Hashcash') or []
    want(len(stamps) == 1, 'one stamp, not %d' % len(stamps))
    s = str(stamps[0]).strip()
    f = s.split(':')
    want(len(f) == 7 and f[0] == '1' and f[1] == '14', 'fields %r' % f)
    want(f[3] == 'bob@example.test', 'resource %r' % f[3])
    want(f[2] == time.strftime('%y%m%d', time.gmtime()), 'date %r' % f[2])
    d = hashlib.sha1(s.encode()).digest()
    bits = 0
    for byte in d:
        if byte == 0:
            bits += 8
            continue
        bits += 8 - byte.bit_length()
        break
    want(bits >= 14, 'only %d zero bits' % bits)
print('ok')
EOF
}
