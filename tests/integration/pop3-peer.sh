#!/usr/bin/env bash
# POP3 download against scripted bad servers (tests/peer/peer.py): a -ERR
# in the middle, a connection dropped inside a message, bare LFs and NUL
# bytes on the wire, a message longer than LIST said, missing and shared
# UIDLs, no UIDL at all, garbage, a STARTTLS account whose server offers
# no STLS (no password may leave), and APOP when asked for.  Each gives a
# clear status and loses nothing.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=$TOP/_build}"
. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/pop3-common.bash"
p3_setup
if [ ! -f "$TOP/tests/peer/peer.py" ]; then
	skip "POP3 against scripted bad servers" "tests/peer/peer.py is not there"
	t_done
	exit 0
fi
R=$P3_WORK/report
MD=$P3_WORK/Mail
S=$P3_WORK/scripts
mkdir -p "$S"

# peer_fetch SCRIPT LOG ARGS...: serve SCRIPT once and download from it.
peer_fetch() {
	local script=$1 log=$2
	shift 2
	p3_peer "$script" "$log"
	"$P3_DRIVER" fetch --host 127.0.0.1 --port "$P3_PEER_PORT" --ca "$WARY_TEST_CA" --user bob \
		--maildir "$MD" --cache "$P3_WORK/cache" "$@" >"$R" 2>&1
	wait "$P3_PEER_PID" 2>/dev/null
}

# absent LOG REGEX WHAT: the client never sent a line matching REGEX, in
# a log that shows a conversation took place.
absent() {
	if grep -q '^\*: connected' "$1" && ! grep -qE "$2" "$1"; then
		ok "$3"
	else
		not_ok "$3"
		sed 's/^/# /' "$1" | tail -5
	fi
}

# The start every script shares: implicit TLS, USER/PASS.
login='tls $CERT $KEY
send +OK POP3 peer ready
expect ^CAPA$
send +OK\r\nUSER\r\nUIDL\r\n.
expect ^USER bob$
send +OK
expect ^PASS
send +OK logged in'

# ---- -ERR in the middle ------------------------------------------------------
cat >"$S/err-middle.peer" <<EOF
$login
expect ^LIST$
send +OK\r\n1 20\r\n2 20\r\n3 20\r\n.
expect ^UIDL$
send +OK\r\n1 u1\r\n2 u2\r\n3 u3\r\n.
expect ^RETR 1$
send +OK\r\nSubject: 1\r\n\r\none\r\n.
expect ^RETR 2$
send -ERR message 2 is locked by another session
expect ^RETR 3$
send +OK\r\nSubject: 3\r\n\r\nthree\r\n.
expect ^QUIT$
send +OK bye
EOF
peer_fetch "$S/err-middle.peer" "$P3_WORK/err-middle.log"
p3_expect "$R" status ok "a -ERR to one RETR: the session goes on"
p3_expect "$R" fetched 2 "the other two are stored"
p3_expect "$R" failed 1 "the refused one is counted"
check "and explained, with the server's words" grep -q 'notice: the server refused message 2 (UIDL u2): message 2 is locked' "$R"
check "the session ended with QUIT" grep -q '^C: QUIT' "$P3_WORK/err-middle.log"

# ---- a connection dropped inside a message, then a good run --------------------
rm -rf "$MD" "$P3_WORK/cache"
cat >"$S/drop.peer" <<EOF
$login
expect ^LIST$
send +OK\r\n1 20\r\n2 20\r\n.
expect ^UIDL$
send +OK\r\n1 d1\r\n2 d2\r\n.
expect ^RETR 1$
send +OK\r\nSubject: d1\r\n\r\nwhole\r\n.
expect ^DELE 1$
send +OK
expect ^RETR 2$
send-raw +OK\r\nSubject: d2\r\n\r\nhalf of it
close
EOF
peer_fetch "$S/drop.peer" "$P3_WORK/drop.log" --keep no
p3_expect "$R" status enet "a connection dropped inside a message is a network error"
p3_expect "$R" fetched 1 "the message before it is stored"
p3_expect "$R" deleted 0 "no deletion counts without a QUIT"
check "the cut message is not in the Maildir" test "$(p3_hashes "$MD" | wc -l)" = 1
check "the report says the deletions did not happen" grep -q 'notice: the connection was lost before QUIT' "$R"
cat >"$S/after-drop.peer" <<EOF
$login
expect ^LIST$
send +OK\r\n1 20\r\n2 20\r\n.
expect ^UIDL$
send +OK\r\n1 d1\r\n2 d2\r\n.
expect ^DELE 1$
send +OK
expect ^RETR 2$
send +OK\r\nSubject: d2\r\n\r\nwhole this time\r\n.
expect ^DELE 2$
send +OK
expect ^QUIT$
send +OK bye
EOF
peer_fetch "$S/after-drop.peer" "$P3_WORK/after-drop.log" --keep no
p3_expect "$R" status ok "the next run"
p3_expect "$R" known 1 "knows the first without fetching it"
p3_expect "$R" fetched 1 "fetches the second whole"
p3_expect "$R" deleted 2 "and deletes both at QUIT"
check "two messages in the Maildir, each once" test "$(p3_hashes "$MD" | sort -u | wc -l)" = 2
absent "$P3_WORK/after-drop.log" '^C: RETR 1' "the first was not fetched again"

# ---- bare LF and NUL on the wire, dots ------------------------------------------
rm -rf "$MD" "$P3_WORK/cache"
cat >"$S/bytes.peer" <<EOF
$login
expect ^LIST$
send +OK\r\n1 80\r\n.
expect ^UIDL$
send +OK\r\n1 b1\r\n.
expect ^RETR 1$
send +OK\r\nSubject: bytes\r\n\r\nbare\nLF\nnul \x00 here\r\n..dot-stuffed\r\n.\x00after a dot\r\nlone\rCR\r\n.
expect ^QUIT$
send +OK bye
EOF
peer_fetch "$S/bytes.peer" "$P3_WORK/bytes.log"
p3_expect "$R" fetched 1 "a message with bare LFs and a NUL"
printf 'Subject: bytes\n\nbare\nLF\nnul \000 here\n.dot-stuffed\n\000after a dot\nlone\rCR\n' >"$P3_WORK/want"
got=$(find "$MD/new" -type f | head -1)
check "stored exactly: dots unstuffed, CRLF as LF, bare LF, CR and NUL kept" cmp -s "$got" "$P3_WORK/want"

# ---- longer than LIST said, over the limit --------------------------------------
rm -rf "$MD" "$P3_WORK/cache"
body=$(python3 -c "print('\\\\r\\\\n'.join(['y' * 70] * 40))")
cat >"$S/liar.peer" <<EOF
$login
expect ^LIST$
send +OK\r\n1 10\r\n2 20\r\n.
expect ^UIDL$
send +OK\r\n1 l1\r\n2 l2\r\n.
expect ^RETR 1$
send +OK\r\nSubject: liar\r\n\r\n$body\r\n.
expect ^RETR 2$
send +OK\r\nSubject: honest\r\n\r\nshort\r\n.
expect ^DELE 2$
send +OK
expect ^QUIT$
send +OK bye
EOF
peer_fetch "$S/liar.peer" "$P3_WORK/liar.log" --max-size 1000 --keep no
p3_expect "$R" skipped_size 1 "a message longer than LIST said and over the limit is skipped"
p3_expect "$R" fetched 1 "the session stays in step and fetches the next"
absent "$P3_WORK/liar.log" '^C: DELE 1' "the skipped one is not deleted"

# ---- missing, malformed and shared UIDLs ---------------------------------------
rm -rf "$MD" "$P3_WORK/cache"
cat >"$S/uidls.peer" <<EOF
$login
expect ^LIST$
send +OK\r\n1 20\r\n2 20\r\n3 20\r\n4 20\r\n.
expect ^UIDL$
send +OK\r\n1 same\r\n2 same\r\n4 has space\r\n.
expect ^QUIT$
send +OK bye
EOF
peer_fetch "$S/uidls.peer" "$P3_WORK/uidls.log" --keep no
p3_expect "$R" status ok "UIDLs that cannot track a message"
p3_expect "$R" failed 4 "shared, missing and malformed: all four left alone"
absent "$P3_WORK/uidls.log" '^C: (RETR|DELE)' "none was fetched or deleted"

# ---- no UIDL at all ----------------------------------------------------------------
cat >"$S/no-uidl.peer" <<EOF
$login
expect ^LIST$
send +OK\r\n1 20\r\n.
expect ^UIDL$
send -ERR unknown command
expect ^QUIT$
send +OK bye
EOF
peer_fetch "$S/no-uidl.peer" "$P3_WORK/no-uidl.log" --keep no
p3_expect "$R" status err "a server without UIDL: refused with a clear error"
check "saying why" grep -q 'error=the server does not give UIDLs' "$R"
absent "$P3_WORK/no-uidl.log" '^C: RETR' "and nothing was fetched"

# ---- garbage instead of an answer ---------------------------------------------------
cat >"$S/garbage.peer" <<EOF
$login
expect ^LIST$
send hello there
drain
EOF
peer_fetch "$S/garbage.peer" "$P3_WORK/garbage.log"
p3_expect "$R" status eparse "an answer that is not POP3 is a parse error"
absent "$P3_WORK/garbage.log" '^C: QUIT' "and the client hangs up at once rather than talk on out of step"

# ---- a wrong password -----------------------------------------------------------------
cat >"$S/badpass.peer" <<'EOF'
tls $CERT $KEY
send +OK POP3 peer ready
expect ^CAPA$
send +OK\r\nUSER\r\nUIDL\r\n.
expect ^USER bob$
send +OK
expect ^PASS
send -ERR [AUTH] no
expect ^QUIT$
send +OK bye
EOF
peer_fetch "$S/badpass.peer" "$P3_WORK/badpass.log"
p3_expect "$R" status eauth "-ERR to PASS is a login error"
check "and the client still says QUIT" grep -q '^C: QUIT' "$P3_WORK/badpass.log"

# ---- STARTTLS required, STLS not offered: no password ---------------------------------
peer_fetch "$TOP/tests/peer/pop3-no-stls.peer" "$P3_WORK/no-stls.log" --starttls
p3_expect "$R" status esecurity "a STARTTLS account against a server without STLS is refused"
absent "$P3_WORK/no-stls.log" '^C: (USER|PASS|AUTH|APOP)' "no user name, password or AUTH was sent"
check "the peer saw the client hang up" grep -q 'client closed' "$P3_WORK/no-stls.log"

# ---- APOP, only when asked for ----------------------------------------------------------
rm -rf "$MD" "$P3_WORK/cache"
digest=$(python3 -c "import hashlib,sys; print(hashlib.md5(b'<1896.697170952@peer.test>' + sys.argv[1].encode()).hexdigest())" "$WARY_POP3_PASS")
cat >"$S/apop.peer" <<EOF
tls \$CERT \$KEY
send +OK POP3 peer ready <1896.697170952@peer.test>
expect ^CAPA$
send +OK\r\nUSER\r\nUIDL\r\n.
expect ^APOP bob $digest\$
send +OK
expect ^LIST$
send +OK\r\n.
expect ^UIDL$
send +OK\r\n.
expect ^QUIT$
send +OK bye
EOF
peer_fetch "$S/apop.peer" "$P3_WORK/apop.log" --apop
p3_expect "$R" status ok "APOP with the right digest when the account asks for it"
p3_expect "$R" apop 1 "the report says APOP was used"
check "with a warning that it is weak" grep -q 'notice: .*APOP.*weak' "$R"
absent "$P3_WORK/apop.log" "$WARY_POP3_PASS" "the password itself never crossed the wire"

t_done
