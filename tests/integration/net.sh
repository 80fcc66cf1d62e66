#!/usr/bin/env bash
# net: verified TLS and the STARTTLS rules (design 4.1-4.2), through
# tests/integration/net_check, against the hostile peer (tests/peer) and
# the real Dovecot and Postfix of tests/servers.  The peer part needs no
# servers; the server part skips, saying why, when they are not running.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"
NC=$BUILD/tests/integration/net_check
PEER=$TOP/tests/peer
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SECRET=peer-secret-pw-$$

# tests/run builds only the unit tests; the driver is made here, a no-op
# when it is up to date.
make -C "$BUILD" -s tests/integration/net_check tests/integration/imap-driver >/dev/null 2>&1
DRIVER=$BUILD/tests/integration/imap-driver
if [ ! -x "$NC" ]; then
	not_ok "net_check is built ($NC)"
	t_done
	exit 1
fi
W=$(mktemp -d /tmp/wary-net-test.XXXXXX)
trap 'rm -rf "$W"' EXIT

# out NAME KEY: a field of what net_check printed.
out() { sed -n "s/^$2=//p" "$W/$1.out" | head -1; }
# is NAME KEY WANT WHAT: the field must be WANT.
is() {
	local got
	got=$(out "$1" "$2")
	if [ "$got" = "$3" ]; then
		ok "$4"
	else
		not_ok "$4"
		echo "#   $2: got '$got', want '$3'"
		sed 's/^/#   | /' "$W/$1.out" | head -12
	fi
}
# has NAME KEY PATTERN WHAT: the field must match the extended regex.
has() {
	local got
	got=$(out "$1" "$2")
	if printf '%s' "$got" | grep -Eq -- "$3"; then
		ok "$4"
	else
		not_ok "$4"
		echo "#   $2: '$got' does not match /$3/"
	fi
}
openssl_fpr() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^[^=]*=//'; }

# ---------------------------------------------------------------- certificates
# A CA of the test's own, a good leaf for localhost/127.0.0.1 and one that
# expired in 2020 (openssl ca, since x509 -req cannot set a start date).
(
	cd "$W" &&
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out ca.crt -days 2 -subj "/O=wary tests/CN=net peer CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout leaf.key -out leaf.csr -subj "/O=wary tests/CN=localhost" &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >leaf.ext &&
	openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile leaf.ext -out good.crt &&
	printf 'subjectAltName=DNS:other.example.test\nextendedKeyUsage=serverAuth\n' >other.ext &&
	openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile other.ext -out other.crt &&
	printf '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' >ca.cnf &&
	: >index.txt && echo 1000 >serial &&
	openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in leaf.csr -out expired.crt \
		-startdate 20200101000000Z -enddate 20200102000000Z -extfile leaf.ext -notext
) >"$W/openssl.log" 2>&1
check "test certificates made with openssl" test -s "$W/good.crt" -a -s "$W/expired.crt" -a -s "$W/other.crt"

# peer NAME SCRIPT CERT -- NET_CHECK_ARGS...: run the peer with SCRIPT and
# net_check against it; @PORT in the arguments becomes the peer's port.
# The peer's log is $W/NAME.log, net_check's output $W/NAME.out.
peer() {
	local name=$1 script=$2 cert=$3 port="" i pid a
	shift 4
	"$PY" "$PEER/peer.py" "$PEER/$script" --set CERT="$W/$cert.crt" --set KEY="$W/leaf.key" \
		--timeout 5 --log "$W/$name.log" >"$W/$name.port" 2>"$W/$name.peer-err" &
	pid=$!
	for i in $(seq 1 100); do
		port=$(sed -n 's/^port //p' "$W/$name.port" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.05
	done
	local args=()
	for a in "$@"; do args+=("${a//@PORT/$port}"); done
	local t0 t1
	t0=$(date +%s%N)
	"${CLIENT:-$NC}" "${args[@]}" >"$W/$name.out" 2>&1
	echo $? >"$W/$name.rc"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >"$W/$name.ms"
	wait "$pid"
}
# no_secret NAME WHAT: the client said nothing that logs in.
no_secret() {
	if grep -Eiq '^C: (\S+ )?(LOGIN|AUTHENTICATE|USER|PASS|AUTH|APOP)( |$)' "$W/$1.log" ||
		grep -Fq "$SECRET" "$W/$1.log"; then
		not_ok "$2"
		sed 's/^/#   | /' "$W/$1.log"
	else
		ok "$2"
	fi
}
log_has() {
	if grep -Eq -- "$2" "$W/$1.log"; then ok "$3"; else not_ok "$3"; sed 's/^/#   | /' "$W/$1.log"; fi
}
log_lacks() {
	if grep -Eq -- "$2" "$W/$1.log"; then not_ok "$3"; sed 's/^/#   | /' "$W/$1.log"; else ok "$3"; fi
}

# ---------------------------------------------------------------- hostile peer
# Controls first: the same peer, done right, lets the client in and the log
# shows its login, so the "no login" checks below can fail.
peer imap-ok imap-starttls-ok.peer good -- imap starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3 --login alice "$SECRET"
is imap-ok status OK "peer control: IMAP STARTTLS verified with the CA"
is imap-ok cert.verified 1 "peer control: certificate verified"
is imap-ok caps " IMAP4rev1 AUTH=PLAIN IDLE" "peer control: capabilities are the ones asked over TLS (pre-TLS STARTTLS/LOGINDISABLED dropped)"
is imap-ok login ok "peer control: the session logs in"
log_has imap-ok "^C: [0-9]+ LOGIN alice" "peer control: the peer's log shows the login it got"
log_has imap-ok "^\*: tls TLSv1\.[23]" "peer control: TLS started"

peer imap-inject imap-starttls-inject.peer good -- imap starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3 --login alice "$SECRET"
is imap-inject status ESECURITY "IMAP: response injected with the STARTTLS go-ahead -> ESECURITY"
has imap-inject err "injection" "IMAP injection: the error says so"
no_secret imap-inject "IMAP injection: no login sent"
log_lacks imap-inject "^\*: tls TLS" "IMAP injection: no TLS session was set up"

peer imap-inject2 imap-starttls-inject-late.peer good -- imap starttls 127.0.0.1 @PORT \
	--ca "$W/ca.crt" --timeout 3 --login alice "$SECRET"
has imap-inject2 status "^(ESECURITY|ENET)$" "IMAP: response injected in its own write after the go-ahead -> refused"
no_secret imap-inject2 "IMAP late injection: no login sent"
log_lacks imap-inject2 "^\*: tls TLS" "IMAP late injection: no TLS session was set up"

peer imap-refused imap-starttls-refused.peer good -- imap starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3 --login alice "$SECRET"
is imap-refused status ESECURITY "IMAP: STARTTLS refused -> ESECURITY"
has imap-refused err "refused STARTTLS" "IMAP STARTTLS refused: the error says so"
no_secret imap-refused "IMAP STARTTLS refused: no login sent"

peer imap-nostarttls imap-no-starttls.peer good -- imap starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3 --login alice "$SECRET"
is imap-nostarttls status ESECURITY "IMAP: STARTTLS not in CAPABILITY -> ESECURITY"
has imap-nostarttls err "does not offer STARTTLS" "IMAP no STARTTLS: the error says so"
no_secret imap-nostarttls "IMAP no STARTTLS: no login sent"
log_has imap-nostarttls "^\*: end \(client closed\)" "IMAP no STARTTLS: the client closed the connection"

peer imap-preauth imap-preauth.peer good -- imap starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3 --login alice "$SECRET"
is imap-preauth status ESECURITY "IMAP: PREAUTH greeting on a STARTTLS account -> ESECURITY"
has imap-preauth err "PREAUTH" "IMAP PREAUTH: the error says so"
log_lacks imap-preauth "^C: " "IMAP PREAUTH: the client sent nothing at all"

peer imap-garbage imap-garbage.peer good -- imap starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3 --login alice "$SECRET"
is imap-garbage status EPARSE "IMAP: garbage greeting -> EPARSE"
log_lacks imap-garbage "^C: " "IMAP garbage greeting: the client sent nothing"

peer imaps-preauth imaps-preauth.peer good -- imap implicit localhost @PORT --ca "$W/ca.crt" --timeout 3
is imaps-preauth status OK "IMAP: PREAUTH over implicit TLS is accepted"
is imaps-preauth state authenticated "IMAP PREAUTH over TLS: the session is authenticated"

peer pop3-ok pop3-stls-ok.peer good -- pop3 starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3 --login alice "$SECRET"
is pop3-ok status OK "peer control: POP3 STLS verified with the CA"
is pop3-ok apop_timestamp none "POP3 STLS: the APOP timestamp of the clear greeting is dropped"
is pop3-ok login ok "peer control: POP3 logs in over TLS"
log_has pop3-ok "^C: USER alice" "peer control: the POP3 peer's log shows the login"

peer pop3-nostls pop3-no-stls.peer good -- pop3 starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3 --login alice "$SECRET"
is pop3-nostls status ESECURITY "POP3: STLS not in CAPA -> ESECURITY"
has pop3-nostls err "does not offer STLS" "POP3 no STLS: the error says so"
no_secret pop3-nostls "POP3 no STLS: no USER/PASS/APOP sent"

peer pop3-inject pop3-stls-inject.peer good -- pop3 starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3 --login alice "$SECRET"
is pop3-inject status ESECURITY "POP3: response injected with the STLS go-ahead -> ESECURITY"
no_secret pop3-inject "POP3 injection: no login sent"

peer smtp-ok smtp-starttls-ok.peer good -- smtp starttls 127.0.0.1 @PORT --ca "$W/ca.crt" --timeout 3
is smtp-ok status OK "peer control: SMTP STARTTLS verified with the CA"
is smtp-ok esmtp " AUTH=PLAIN" "SMTP STARTTLS: extensions are those of the EHLO over TLS"
log_lacks smtp-ok "expect failed" "SMTP: EHLO names the address literal, before and after TLS"

peer smtp-nostarttls smtp-no-starttls.peer good -- smtp starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3
is smtp-nostarttls status ESECURITY "SMTP: STARTTLS not in EHLO -> ESECURITY"
no_secret smtp-nostarttls "SMTP no STARTTLS: no AUTH sent"
log_lacks smtp-nostarttls "expect failed" "SMTP: EHLO names [127.0.0.1], not the host name"

peer smtp-inject smtp-starttls-inject.peer good -- smtp starttls 127.0.0.1 @PORT --ca "$W/ca.crt" \
	--timeout 3
is smtp-inject status ESECURITY "SMTP: response injected with the STARTTLS go-ahead -> ESECURITY"
no_secret smtp-inject "SMTP injection: no AUTH sent"

# Certificates served by the peer's TLS mode.
peer tls-good imaps-greet.peer good -- imap implicit localhost @PORT --ca "$W/ca.crt" --timeout 3
is tls-good status OK "peer control: implicit TLS with a good certificate"
is tls-good cert.sha256 "$(openssl_fpr "$W/good.crt")" "cert.sha256 equals openssl's fingerprint"
is tls-good cert.subject "CN=localhost,O=wary tests" "cert.subject in RFC 2253"
is tls-good cert.issuer "CN=net peer CA,O=wary tests" "cert.issuer in RFC 2253"
has tls-good tls.version "^TLSv1\.[23]$" "TLS 1.2 or later"

peer tls-expired imaps-greet.peer expired -- imap implicit localhost @PORT --ca "$W/ca.crt" \
	--timeout 3 --login alice "$SECRET"
is tls-expired status ECERT "expired certificate -> ECERT"
has tls-expired err "expired" "expired: the error says so"
has tls-expired err "$(openssl_fpr "$W/expired.crt")" "expired: the error gives the fingerprint"
is tls-expired cert.not_after "2020-01-02 00:00:00 UTC" "expired: not_after reported"
is tls-expired cert.verified 0 "expired: not verified"
log_lacks tls-expired "^\*: tls TLS" "expired: the handshake was not completed"

peer tls-expired-trusted imaps-greet.peer expired -- imap implicit localhost @PORT --ca "$W/ca.crt" \
	--timeout 3 --trust "$(openssl_fpr "$W/expired.crt")"
is tls-expired-trusted status OK "expired certificate accepted once exactly its fingerprint is trusted"
is tls-expired-trusted cert.trusted 1 "trusted, not verified"
has tls-expired-trusted cert.verify_error "expired" "trusted: why it did not verify is still reported"

peer tls-trust-other imaps-greet.peer expired -- imap implicit localhost @PORT --ca "$W/ca.crt" \
	--timeout 3 --trust "$(openssl_fpr "$W/good.crt")"
is tls-trust-other status ECERT "trusting another certificate's fingerprint does not help"

peer tls-noca imaps-greet.peer good -- imap implicit localhost @PORT --timeout 3
is tls-noca status ECERT "a CA only the test knows: refused with the system store alone"
has tls-noca err "unknown CA" "no CA: the error says unknown CA"

peer tls-othername imaps-greet.peer other -- imap implicit localhost @PORT --ca "$W/ca.crt" --timeout 3
is tls-othername status ECERT "a certificate for another DNS name -> ECERT"
has tls-othername err "wrong host" "other name: the error says wrong host"

peer tls-ip imaps-greet.peer good -- imap implicit 127.0.0.1 @PORT --ca "$W/ca.crt" --timeout 3
is tls-ip status OK "an IP literal is verified against the certificate's IP address"

# The system store is a hashed directory looked up lazily, not the whole
# bundle parsed up front: SSL_CERT_DIR and SSL_CERT_FILE still decide it.
mkdir -p "$W/cadir" "$W/nohash"
ln -s ../ca.crt "$W/cadir/$(openssl x509 -hash -noout -in "$W/ca.crt").0"
cp "$W/ca.crt" "$W/nohash/ca.pem"
SSL_CERT_DIR="$W/cadir" peer tls-certdir imaps-greet.peer good -- imap implicit localhost @PORT --timeout 3
is tls-certdir status OK "the CA found by its hash in SSL_CERT_DIR, no CA file"
is tls-certdir cert.verified 1 "SSL_CERT_DIR: chain and name verified, not trusted by fingerprint"
SSL_CERT_DIR="$W/cadir" peer tls-certdir-name imaps-greet.peer other -- imap implicit localhost @PORT --timeout 3
is tls-certdir-name status ECERT "SSL_CERT_DIR: a certificate for another name is still refused"
SSL_CERT_DIR="$W/cadir" peer tls-certdir-expired imaps-greet.peer expired -- imap implicit localhost @PORT --timeout 3
is tls-certdir-expired status ECERT "SSL_CERT_DIR: an expired certificate is still refused"
SSL_CERT_DIR="$W/nohash" peer tls-nohash imaps-greet.peer good -- imap implicit localhost @PORT --timeout 3
is tls-nohash status ECERT "a directory without hashed names trusts nothing in it"
SSL_CERT_FILE="$W/ca.crt" peer tls-certfile imaps-greet.peer good -- imap implicit localhost @PORT --timeout 3
is tls-certfile status OK "SSL_CERT_FILE names a bundle: it is read"
SSL_CERT_FILE="$W/nohash/none.pem" SSL_CERT_DIR="$W/nohash" peer tls-certnone imaps-greet.peer good -- \
	imap implicit localhost @PORT --timeout 3
is tls-certnone status ECERT "an unreadable SSL_CERT_FILE trusts nothing (the connection is refused)"

peer silent silent.peer good -- imap implicit 127.0.0.1 @PORT --ca "$W/ca.crt" --timeout 1
is silent status ENET "a server that never answers -> ENET"
has silent err "timed out" "silent server: the error says timed out"
ms=$(cat "$W/silent.ms")
check "silent server: given up after the 1 s timeout, before the peer's 3 s (${ms} ms)" \
	test "$ms" -ge 900 -a "$ms" -lt 2500

"$NC" imap implicit 127.0.0.1 1 --timeout 2 >"$W/refused.out" 2>&1
is refused status ENET "nothing listening -> ENET"

# Hostile answers to the index's FETCH, read by the store itself (the
# test driver of imap.sh): each must end in a clean error, in bounded
# time and memory, with the connection dropped rather than read on.
# fetch_peer NAME SCRIPT: the index of INBOX against the peer.
fetch_peer() {
	CLIENT=/usr/bin/time peer "$1" "$2" good -- -f "maxrss %M" -o "$W/$1.rss" env IMAP_DRIVER_SECRET="$SECRET" \
		timeout 20 "$DRIVER" --host 127.0.0.1 --port @PORT --ca "$W/ca.crt" --user alice index
}
fetch_refused() {
	local name=$1 label=$2 kb
	kb=$(sed -n 's/^maxrss //p' "$W/$name.rss")
	if [ "$(cat "$W/$name.rc")" = 3 ] && grep -q "^error index EPARSE: index: the server's response did not parse" "$W/$name.out"; then
		ok "$label: a clean parse error"
	else
		not_ok "$label: a clean parse error"
		sed 's/^/#   | /' "$W/$name.out" | head -8
	fi
	check "$label: the client's peak memory stays bounded (${kb:-?} KB)" test "${kb:-999999}" -lt 65536
	log_has "$name" "client closed|send failed" "$label: the client hung up instead of reading on"
}
fetch_peer imap-literal imap-literal-oversized.peer
fetch_refused imap-literal "a literal of 4 GiB + 1 announced"
fetch_peer imap-endless imap-line-endless.peer
fetch_refused imap-endless "a response line that never ends (5 MB sent)"
fetch_peer imap-bogus imap-bogus-set.peer
fetch_refused imap-bogus "VANISHED with sequence sets out of range or malformed"

# ---------------------------------------------------------------- real servers
if ! . "$TOP/tests/servers/env.sh" 2>/dev/null || [ -z "${WARY_TEST_IMAPS_PORT:-}" ]; then
	skip "real servers" "tests/servers/env.sh: the test servers are not running"
	t_done
	exit
fi
CA=$WARY_TEST_CA
H=$WARY_TEST_HOSTNAME
STRICT=$WARY_TEST_HOST_STRICT
U=$WARY_TEST_ALICE
PW=$WARY_TEST_ALICE_PASS
GOOD_FPR=$(openssl_fpr "$WARY_TEST_CERT")
SELF_FPR=$(openssl_fpr "$WARY_TEST_SELFSIGNED_CERT")

run() { local name=$1; shift; "$NC" "$@" >"$W/$name.out" 2>&1; }

run imaps imap implicit "$H" "$WARY_TEST_IMAPS_PORT" --ca "$CA" --login "$U" "$PW"
is imaps status OK "Dovecot IMAPS verified with the test CA"
is imaps cert.verified 1 "IMAPS: chain and name verified"
is imaps cert.sha256 "$GOOD_FPR" "IMAPS: fingerprint equals openssl's"
is imaps login ok "IMAPS: login works on the session"

run imap-stls imap starttls "$STRICT" "$WARY_TEST_IMAP_PORT" --ca "$CA" --login "$U" "$PW"
is imap-stls status OK "Dovecot IMAP+STARTTLS (strict address) verified"
has imap-stls caps "AUTH=PLAIN" "IMAP STARTTLS: capabilities asked again over TLS offer AUTH=PLAIN"
if out imap-stls caps | grep -q LOGINDISABLED; then
	not_ok "IMAP STARTTLS: LOGINDISABLED of the clear session is gone"
else
	ok "IMAP STARTTLS: LOGINDISABLED of the clear session is gone"
fi
is imap-stls login ok "IMAP STARTTLS: login works where plaintext login is refused"

run pop3s pop3 implicit "$H" "$WARY_TEST_POP3S_PORT" --ca "$CA" --login "$U" "$PW"
is pop3s status OK "Dovecot POP3S verified"
is pop3s login ok "POP3S: login works"
run pop3-stls pop3 starttls "$STRICT" "$WARY_TEST_POP3_PORT" --ca "$CA" --login "$U" "$PW"
is pop3-stls status OK "Dovecot POP3+STLS (strict address) verified"
is pop3-stls login ok "POP3 STLS: USER/PASS works where plaintext is refused"

run sub smtp starttls "$H" "$WARY_TEST_SUBMISSION_PORT" --ca "$CA"
is sub status OK "Postfix submission+STARTTLS verified"
is sub esmtp " AUTH=PLAIN" "submission: AUTH (offered only over TLS) seen, so EHLO was sent again"
run smtps smtp implicit "$H" "$WARY_TEST_SMTPS_PORT" --ca "$CA"
is smtps status OK "Postfix smtps verified"

run noca imap implicit "$H" "$WARY_TEST_IMAPS_PORT"
is noca status ECERT "IMAPS without the CA file -> ECERT"
has noca err "$GOOD_FPR" "no CA: the error gives the fingerprint"
run noca-pop3 pop3 starttls "$STRICT" "$WARY_TEST_POP3_PORT"
is noca-pop3 status ECERT "POP3 STLS without the CA file -> ECERT"

run self imap implicit "$WARY_TEST_HOST_SELFSIGNED" "$WARY_TEST_IMAPS_PORT" --ca "$CA"
is self status ECERT "self-signed certificate refused"
has self err "$SELF_FPR" "self-signed: the error gives its fingerprint (as openssl prints it)"
is self cert.sha256 "$SELF_FPR" "self-signed: cert.sha256 filled on refusal"
run self-trust imap implicit "$WARY_TEST_HOST_SELFSIGNED" "$WARY_TEST_IMAPS_PORT" --ca "$CA" \
	--trust "$SELF_FPR" --login "$U" "$PW"
is self-trust status OK "self-signed accepted once its fingerprint is trusted"
is self-trust cert.trusted 1 "self-signed: reported as trusted, not verified"
is self-trust login ok "self-signed trusted: login works"
lower=$(printf '%s' "$SELF_FPR" | tr -d : | tr A-F a-f)
run self-trust2 imap starttls "$WARY_TEST_HOST_SELFSIGNED" "$WARY_TEST_IMAP_PORT" --ca "$CA" --trust "$lower"
is self-trust2 status OK "self-signed over STARTTLS, trusted as lower-case hex without colons"
run self-pop3 pop3 implicit "$WARY_TEST_HOST_SELFSIGNED" "$WARY_TEST_POP3S_PORT" --ca "$CA"
is self-pop3 status ECERT "self-signed refused for POP3S too"

run wrong imap implicit "$WARY_TEST_HOST_WRONGNAME" "$WARY_TEST_IMAPS_PORT" --ca "$CA"
is wrong status ECERT "wrong-name certificate refused"
has wrong err "wrong host" "wrong name: the error says wrong host"
run wrong-stls imap starttls "$WARY_TEST_HOST_WRONGNAME" "$WARY_TEST_IMAP_PORT" --ca "$CA"
is wrong-stls status ECERT "wrong-name certificate refused after STARTTLS"
run wrong-dns imap implicit 127.0.0.1 "$WARY_TEST_IMAPS_PORT" --ca "$CA"
is wrong-dns status OK "control: the good certificate verifies by its IP address"

run idle imap implicit "$H" "$WARY_TEST_IMAPS_PORT" --ca "$CA" --idle "$WARY_TEST_BOB" "$WARY_TEST_BOB_PASS"
is idle idle.quiet timeout "IDLE: nothing happens -> NET_WAIT_TIMEOUT"
is idle idle.pipe wake "IDLE: the wake-up pipe -> NET_WAIT_WAKE"
is idle idle.interrupt wake "IDLE: mailstream_interrupt_idle from another thread -> NET_WAIT_WAKE"
is idle idle.append data "IDLE: a message appended by another session -> NET_WAIT_DATA"
is idle idle.done ok "IDLE: DONE completes over the same session"
is idle idle.cancel ENET "IDLE: mailstream_cancel from another thread ends the wait with ENET"
is idle idle.after_cancel failed "IDLE: a cancelled session does no more I/O"

t_done
