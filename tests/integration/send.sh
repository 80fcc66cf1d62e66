#!/usr/bin/env bash
# Sending through the real Postfix of tests/servers: plain, UTF-8, with
# attachments, a reply and a forward, each read back from bob's Maildir
# as Dovecot stored it and checked field by field where the RFCs fix the
# bytes, and its MIME structure by Python's email parser (a parser that
# is not ours); the Sent copy by IMAP APPEND in alice's Sent; SMTPS (465)
# and submission with STARTTLS (587); refusals: no STARTTLS offered, a
# response injected after the go-ahead (no AUTH goes out in either), a
# self-signed and a wrong-name certificate, a wrong password (the message
# stays in the outbox, the server's words shown); the outbound check; a
# hashcash stamp checked by Python's own SHA-1, then refused as a replay.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=$TOP/_build}"
. "$TOP/tests/lib.sh"
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "sending through Postfix" "the test servers are not running (tests/servers/env.sh)"
	t_done
	exit 0
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
W=$(mktemp -d /tmp/wary-send-test.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
. "$TOP/tests/integration/send-common.bash"

# ---- plain over SMTPS ---------------------------------------------------------
printf 'To: Bob <bob@example.test>\nBcc: alice@example.test\nSubject: plain one\n\nHello Bob.\n.\nA line with a dot above.\n' >"$W/plain.txt"
sn_send plain "$W/plain.txt"
sn_rc plain 0 "plain: wary send exits 0"
ID=$(sn_msgid plain)
F=$(sn_wait bob "$ID")
check "plain: delivered to bob" test -n "$F"
sn_has "$F" '^Subject: plain one$' "plain: Subject as written"
sn_has "$F" '^To: Bob <bob@example.test>$' "plain: To as written"
sn_has "$F" '^From: Alice =\?UTF-8\?Q\?=C3=84rger\?= <alice@example.test>$' "plain: From: only the non-ASCII word of the name encoded"
sn_has "$F" '^MIME-Version: 1\.0$' "plain: MIME-Version"
sn_has "$F" '^Content-Type: text/plain; charset=utf-8$' "plain: text/plain; charset=utf-8"
sn_has "$F" '^Content-Transfer-Encoding: 7bit$' "plain: ASCII stays 7bit"
sn_has "$F" "^Message-ID: $ID\$" "plain: the Message-ID the outbox recorded"
sn_has "$F" '^Date: [A-Z][a-z][a-z], [0-9]{1,2} [A-Z][a-z][a-z] [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$' "plain: RFC 5322 Date"
sn_lacks "$F" '^Bcc:' "plain: no Bcc field reaches the recipient"
check "plain: the dot line arrived whole (dot-stuffing undone)" grep -qx '\.' <(tr -d '\r' <"$F")
A=$(sn_wait alice "$ID")
check "plain: the Bcc recipient got it" test -n "$A"
S=$(sn_sent "$ID")
check "plain: stored in Sent (IMAP APPEND) once" test "$S" = 1
check "plain: Sent copy keeps the Bcc" grep -q '^Bcc: alice@example.test' "$(sn_sent_file "$ID")"
check "plain: the outbox is empty" test -z "$(sn_outbox_list)"

# ---- UTF-8 over submission with STARTTLS -----------------------------------------
printf 'To: "Bøb Ünïcode" <bob@example.test>\nSubject: Grüße aus Köln, 日本\n\nÇa va? Ünïcode body.\nLine with trailing space \n' >"$W/utf8.txt"
sn_send utf8 "$W/utf8.txt" -o account.a.smtp_tls=starttls -o account.a.smtp_port="$WARY_TEST_SUBMISSION_PORT"
sn_rc utf8 0 "utf8: sent over 587 with STARTTLS"
ID=$(sn_msgid utf8)
F=$(sn_wait bob "$ID")
check "utf8: delivered" test -n "$F"
sn_has "$F" '^Subject: =\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe\?= aus$' "utf8: encoded words only for the words that need them"
sn_has "$F" '^ =\?UTF-8\?Q\?K=C3=B6ln=2C_=E6=97=A5=E6=9C=AC\?=$' "utf8: folded before column 78, adjacent words in one encoded word"
sn_has "$F" '^To: =\?UTF-8\?Q\?B=C3=B8b_=C3=9Cn=C3=AFcode\?= <bob@example.test>$' "utf8: display name encoded (phrase rules)"
sn_has "$F" '^Content-Transfer-Encoding: quoted-printable$' "utf8: quoted-printable"
sn_has "$F" '^Line with trailing space=20$' "utf8: trailing space protected"
sn_has "$F" 'ESMTPSA' "utf8: Postfix logged an authenticated TLS submission"
sn_py "$F" utf8 "utf8: Python's parser decodes subject, name and body to what was written"

# ---- attachments ----------------------------------------------------------------
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\10\6\0\0\0\x1f\x15\xc4\x89' >"$W/pixel.png"
head -c 5000 /dev/urandom >"$W/Ünïcode näme — 日本.bin"
cat >"$W/att.txt" <<EOF
To: bob@example.test
Subject: two files
Attach: $W/pixel.png
Attach: $W/Ünïcode näme — 日本.bin

See the files.
EOF
sn_send att "$W/att.txt"
ID=$(sn_msgid att)
F=$(sn_wait bob "$ID")
check "attach: delivered" test -n "$F"
sn_has "$F" '^Content-Type: multipart/mixed;$' "attach: multipart/mixed"
sn_has "$F" '^	filename\*0\*=utf-8'"''"'%C3%9Cn%C3%AFcode' "attach: RFC 2231 file name"
sn_py "$F" attach "attach: structure and bytes as Python reads them" "$W/pixel.png" "$W/Ünïcode näme — 日本.bin"

# ---- reply and forward ----------------------------------------------------------
PLAIN=$(sn_wait bob "$(sn_msgid plain)")
"$WARY" -F "$W/cfg" compose --reply "$PLAIN" >"$W/reply.txt" 2>"$W/reply.err"
printf 'My answer.\n' >>"$W/reply.txt"
check "reply: wary compose --reply makes a draft" grep -q '^Subject: Re: plain one$' "$W/reply.txt"
sed -i 's/^To: .*/To: bob@example.test/' "$W/reply.txt"
sn_send reply "$W/reply.txt"
ID=$(sn_msgid reply)
F=$(sn_wait bob "$ID")
check "reply: delivered" test -n "$F"
sn_has "$F" "^In-Reply-To: $(sn_msgid plain)\$" "reply: In-Reply-To the original"
sn_has "$F" "^References: $(sn_msgid plain)\$" "reply: References"
sn_has "$F" '^> Hello Bob\.$' "reply: quoted"
sn_has "$F" '^On .*, Alice .* wrote:$' "reply: attribution"
"$WARY" -F "$W/cfg" compose --forward-attach "$PLAIN" >"$W/fwd.txt" 2>"$W/fwd.err"
sed -i 's/^To: .*/To: bob@example.test/' "$W/fwd.txt"
sn_send fwd "$W/fwd.txt"
ID=$(sn_msgid fwd)
F=$(sn_wait bob "$ID")
check "forward: delivered" test -n "$F"
sn_has "$F" '^Subject: Fwd: plain one$' "forward: Fwd:"
sn_has "$F" '^Content-Type: message/rfc822' "forward: the original as message/rfc822"
sn_py "$F" forward "forward: the enclosed message is the original, byte for byte" "$PLAIN"

# ---- refusals ----------------------------------------------------------------------
sn_peer_send nostarttls "$TOP/tests/peer/smtp-no-starttls.peer" "$WARY_TEST_CERT" starttls
check "no STARTTLS: the send fails" test "$(cat "$W/nostarttls.rc")" != 0
check "no STARTTLS: the error says so" grep -q 'does not offer STARTTLS' "$W/nostarttls.err"
sn_peer_no_auth nostarttls "no STARTTLS: no AUTH, no password on the wire"
check "no STARTTLS: the message stays in the outbox" sn_outbox_has queued
sn_outbox_clear
sn_peer_send inject "$TOP/tests/peer/smtp-starttls-inject.peer" "$WARY_TEST_CERT" starttls
check "STARTTLS injection: refused" grep -qi 'after the' "$W/inject.err"
sn_peer_no_auth inject "STARTTLS injection: no AUTH sent"
sn_outbox_clear
cat >"$W/tls-only.peer" <<'EOF'
tls $CERT $KEY
send 220 peer.test ESMTP
drain
EOF
sn_peer_send selfsigned "$W/tls-only.peer" "$WARY_TEST_SELFSIGNED_CERT" implicit localhost
check "self-signed certificate: refused" grep -q 'fingerprint\|certificate' "$W/selfsigned.err"
sn_peer_no_auth selfsigned "self-signed certificate: nothing sent"
sn_outbox_clear
sn_peer_send wrongname "$W/tls-only.peer" "$WARY_TEST_WRONGNAME_CERT" implicit localhost
check "wrong-name certificate: refused" grep -qi 'host\|name' "$W/wrongname.err"
sn_peer_no_auth wrongname "wrong-name certificate: nothing sent"
sn_outbox_clear
printf 'To: bob@example.test\nSubject: unknown CA\n\nx\n' >"$W/noca.txt"
sn_send noca "$W/noca.txt" -o "account.a.ca_file=$WARY_TEST_SELFSIGNED_CERT"
check "Postfix's certificate without the test CA: refused" grep -q 'SHA-256\|fingerprint' "$W/noca.err"
check "unknown CA: kept in the outbox" sn_outbox_has queued
sn_outbox_clear
printf 'To: bob@example.test\nSubject: bad password\n\nx\n' >"$W/badpw.txt"
sn_send badpw "$W/badpw.txt" -o 'account.a.password_command=echo wrong-password'
check "wrong password: the send fails" test "$(cat "$W/badpw.rc")" != 0
check "wrong password: the server's reply, verbatim" grep -q '535 5\.7\.8' "$W/badpw.err"
check "wrong password: kept in the outbox, queued" sn_outbox_has queued
"$WARY" -F "$W/cfg" outbox flush >"$W/badpw2.out" 2>&1
ID=$(sn_msgid badpw)
check "wrong password: a later flush sends it" test -n "$(sn_wait bob "$ID")"
check "wrong password: then the outbox is empty" test -z "$(sn_outbox_list)"

# ---- outbound checks --------------------------------------------------------------
printf 'To: bob@example.test\nSubject: card\n\nmy card is 4111 1111 1111 1111\n' >"$W/card.txt"
sn_send card "$W/card.txt"
sn_rc card 3 "dlp: a card number stops the send (exit 3)"
check "dlp: what and where" grep -q 'card-number: Visa card number ending 1111 (body line 1)' "$W/card.err"
check "dlp: nothing queued" test -z "$(sn_outbox_list)"
sn_send card2 "$W/card.txt" --force
sn_rc card2 0 "dlp: --force sends anyway"

# ---- hashcash -----------------------------------------------------------------------
printf 'To: bob@example.test\nBcc: alice@example.test\nSubject: stamped\n\nx\n' >"$W/hc.txt"
sn_send hc "$W/hc.txt" -o account.a.hashcash_bits=14
check "hashcash: the minting time is shown" grep -q '^hashcash: 14 bits minted in [0-9]* ms$' "$W/hc.out"
ID=$(sn_msgid hc)
F=$(sn_wait bob "$ID")
sn_py "$F" hashcash "hashcash: the stamp has 14 zero bits by Python's SHA-1, for bob, dated today"
check "hashcash: no stamp names the Bcc recipient" sh -c "! grep -q '^X-Hashcash: .*alice@' '$F'"
XDG_DATA_HOME=$W/bobdata "$WARY" -F /dev/null hashcash check --bits 14 --me bob@example.test "$F" >"$W/hc1.out" 2>&1
check "hashcash: wary verifies it" grep -q '^hashcash: valid (14 bits)$' "$W/hc1.out"
XDG_DATA_HOME=$W/bobdata "$WARY" -F /dev/null hashcash check --bits 14 --me bob@example.test "$F" >"$W/hc2.out" 2>&1
check "hashcash: reading the same message again is no replay" grep -q '^hashcash: valid (14 bits)$' "$W/hc2.out"
sed 's/^Message-ID: .*/Message-ID: <replayed@spammer.test>/' "$F" >"$W/replay.eml"
XDG_DATA_HOME=$W/bobdata "$WARY" -F /dev/null hashcash check --bits 14 --me bob@example.test "$W/replay.eml" >"$W/hc4.out" 2>&1
check "hashcash: the stamp replayed in another message is refused as spent" grep -q '^hashcash: spent$' "$W/hc4.out"
XDG_DATA_HOME=$W/bobdata "$WARY" -F /dev/null hashcash check --bits 20 --me bob@example.test "$F" >"$W/hc3.out" 2>&1
check "hashcash: asking for more bits than it has" grep -q '^hashcash: weak$' "$W/hc3.out"

# ---- the protocol, against scripted servers ----------------------------------------
# AUTH LOGIN; a non-ASCII address: MAIL FROM carries SIZE, BODY=8BITMIME
# (the raw UTF-8 To field) and SMTPUTF8; dots doubled in DATA.
cat >"$W/login.peer" <<'EOF'
tls $CERT $KEY
send 220 peer.test ESMTP
expect ^EHLO \[127\.0\.0\.1\]$
send 250-peer.test\r\n250-SIZE 100000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH LOGIN
expect ^AUTH LOGIN$
send 334 VXNlcm5hbWU6
expect ^YWxpY2U=$
send 334 UGFzc3dvcmQ6
expect ^YWxpY2UtdGVzdC1wdy0x$
send 235 2.7.0 ok
expect ^MAIL FROM:<alice@example\.test> SIZE=[0-9]+ BODY=8BITMIME SMTPUTF8$
send 250 ok
expect ^RCPT TO:<j\xc3\xb6rg@example\.test>$
send 250 ok
expect ^DATA$
send 354 go ahead
read-until ^\.$
send 250 2.0.0 queued as PEER1
expect ^QUIT$
send 221 bye
EOF
printf 'To: jörg@example.test\nSubject: utf8 address\n\n.leading dot\n' >"$W/utf8addr.txt"
SN_DRAFT=$W/utf8addr.txt
SN_OPTS=(-o account.a.auth=login)
sn_peer_send login "$W/login.peer" "$WARY_TEST_CERT" implicit localhost
SN_DRAFT=
SN_OPTS=()
sn_rc login 0 "AUTH LOGIN, SIZE, 8BITMIME and SMTPUTF8 as the peer wanted them"
check "DATA: the leading dot doubled on the wire" grep -q '^C: \.\.leading dot$' "$W/login.log"
check "DATA: the To field in UTF-8, as SMTPUTF8 allows" grep -q '^C: To: j\\xc3\\xb6rg@example\.test$' "$W/login.log"
sn_outbox_clear
# SIZE: a message over the server's limit is not even started
cat >"$W/size.peer" <<'EOF'
tls $CERT $KEY
send 220 peer.test ESMTP
expect ^EHLO
send 250-peer.test\r\n250-SIZE 100\r\n250 AUTH PLAIN
expect ^AUTH PLAIN
send 235 ok
expect ^QUIT$
send 221 bye
EOF
sn_peer_send size "$W/size.peer" "$WARY_TEST_CERT" implicit localhost
check "SIZE: over the server's limit, refused before MAIL" grep -q "over localhost's limit (100)" "$W/size.err"
check "SIZE: no MAIL FROM sent" sh -c "! grep -q '^C: MAIL' '$W/size.log'"
check "SIZE: the message waits in the outbox" sn_outbox_has queued
sn_outbox_clear
# XOAUTH2 with the token command; a refusal with terminal escapes in it
cat >"$W/xoauth.peer" <<'EOF'
tls $CERT $KEY
send 220 peer.test ESMTP
expect ^EHLO
send 250-peer.test\r\n250 AUTH PLAIN XOAUTH2
expect ^AUTH XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciB0b2sxMjMBAQ==$
send 235 ok
expect ^MAIL FROM:<alice@example\.test>$
send 250 ok
expect ^RCPT TO:<bob@example\.test>$
send 550-5.7.1 \x1b[31mrefused\x1b[0m by policy\r\n550 5.7.1 see \x1b]8;;http://evil.test\x07here
expect ^RSET$
send 250 ok
expect ^QUIT$
send 221 bye
EOF
SN_OPTS=(-o account.a.auth=xoauth2 -o 'account.a.oauth_token_command=echo tok123')
sn_peer_send xoauth "$W/xoauth.peer" "$WARY_TEST_CERT" implicit localhost
SN_OPTS=()
check "XOAUTH2: the token command's token, in the SASL form" grep -q '^C: AUTH XOAUTH2 ' "$W/xoauth.log"
check "a refused RCPT: the server's reply, both lines" grep -q '550-5.7.1 ^\[\[31mrefused^\[\[0m by policy' "$W/xoauth.err"
check "a refused RCPT: escapes shown, never sent to the terminal" sh -c "! grep -q \$(printf '\\033') '$W/xoauth.err'"
check "a refused RCPT: kept in the outbox" sn_outbox_has queued
sn_outbox_clear

# OAUTHBEARER (RFC 7628): the GS2 header, host, port and the bearer token
cat >"$W/oauthbearer.peer" <<'EOF'
tls $CERT $KEY
send 220 peer.test ESMTP
expect ^EHLO
send 250-peer.test\r\n250 AUTH OAUTHBEARER
expect ^AUTH OAUTHBEARER [A-Za-z0-9+/]+=*$
send 235 ok
expect ^MAIL FROM:<alice@example\.test>$
send 250 ok
expect ^RCPT TO:<bob@example\.test>$
send 250 ok
expect ^DATA$
send 354 go ahead
read-until ^\.$
send 250 ok
expect ^QUIT$
send 221 bye
EOF
SN_OPTS=(-o account.a.auth=oauthbearer -o 'account.a.oauth_token_command=echo tok456')
sn_peer_send oauthbearer "$W/oauthbearer.peer" "$WARY_TEST_CERT" implicit localhost
SN_OPTS=()
check "OAUTHBEARER: logged in and sent" grep -q '^S: 250 ok' "$W/oauthbearer.log"
# auth applies to the account's IMAP too, which Dovecot refuses here: the
# message was submitted, and waits for Sent without being sent again
check "Sent unreachable: the message waits as submitted" sn_outbox_has submitted
check "Sent unreachable: the reason is shown" grep -q 'Sent is not reachable' "$W/oauthbearer.err"
port=$(sed -n 's/^port //p' "$W/oauthbearer.port")
check "OAUTHBEARER: the SASL message is RFC 7628's" "$PY" -c "
import base64, re, sys
log = open('$W/oauthbearer.log').read()
b = re.search(r'^C: AUTH OAUTHBEARER (\S+)$', log, re.M).group(1)
want = 'n,a=alice,\x01host=localhost\x01port=$port\x01auth=Bearer tok456\x01\x01'
sys.exit(base64.b64decode(b).decode() != want)"
sn_outbox_clear

# ---- OpenPGP: the body entity signed, then encrypted, checked by gpg itself ---------
if [ -n "${WARY_TEST_GNUPGHOME:-}" ] && command -v gpg >/dev/null; then
	printf 'To: bob@example.test\nSubject: signed one\n\nSigned text, gr\303\274\303\237e.\n' >"$W/signed.txt"
	GNUPGHOME=$WARY_TEST_GNUPGHOME sn_send signed "$W/signed.txt" --sign
	sn_rc signed 0 "pgp: wary send --sign"
	F=$(sn_wait bob "$(sn_msgid signed)")
	sn_has "$F" '^Content-Type: multipart/signed;' "pgp: multipart/signed (RFC 3156)"
	sn_has "$F" '^ protocol="application/pgp-signature";' "pgp: protocol application/pgp-signature"
	if "$PY" - "$F" "$W" >"$W/pgp.out" 2>&1 <<'EOF'; then
import email, sys
raw = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n')
m = email.message_from_bytes(raw)
b = m.get_boundary().encode()
parts = raw.split(b'\n--' + b)
signed = parts[1].split(b'\n', 1)[1]   # the first part, as it stands
sig = email.message_from_bytes(parts[2].split(b'\n', 1)[1]).get_payload(decode=True)
open(sys.argv[2] + '/signed.data', 'wb').write(signed.replace(b'\n', b'\r\n'))
open(sys.argv[2] + '/signed.sig', 'wb').write(sig)
EOF
		GNUPGHOME=$WARY_TEST_GNUPGHOME gpg --batch --status-fd 1 --verify "$W/signed.sig" "$W/signed.data" >"$W/verify.out" 2>&1
		check "pgp: gpg verifies the signature over the first part" grep -q "VALIDSIG $WARY_TEST_ALICE_FPR" "$W/verify.out"
	else
		not_ok "pgp: the signed parts could be cut out"
		sed 's/^/# /' "$W/pgp.out"
	fi
	GNUPGHOME=$WARY_TEST_GNUPGHOME sn_send encrypted "$W/signed.txt" --encrypt
	sn_rc encrypted 0 "pgp: wary send --encrypt"
	F=$(sn_wait bob "$(sn_msgid encrypted)")
	sn_has "$F" '^Content-Type: multipart/encrypted;' "pgp: multipart/encrypted (RFC 3156)"
	sn_has "$F" '^ protocol="application/pgp-encrypted";' "pgp: protocol application/pgp-encrypted"
	sn_lacks "$F" 'Signed text' "pgp: no plaintext in the header"
	check "pgp: no plaintext anywhere in what arrived" sh -c "! grep -q 'Signed text' '$F'"
	GNUPGHOME=$WARY_TEST_GNUPGHOME gpg --batch --decrypt "$F" >"$W/decrypted.out" 2>/dev/null
	check "pgp: gpg (bob's key) decrypts it to the text" grep -q 'Signed text' "$W/decrypted.out"
else
	skip "pgp: signed and encrypted sends" "no GnuPG home from the test servers"
fi

t_done
