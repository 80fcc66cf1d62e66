#!/usr/bin/env bash
# Smoke test of the test servers (tests/servers/servers): each one is driven
# through a real client, with TLS verified against the throwaway CA, and
# every refusal is checked for its reason, beside a control that shows the
# same endpoint works when the refused thing is taken away.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"

# Always read the current environment: one inherited from an earlier start
# would name a GnuPG home and keys that are gone.
status="tests/servers/env.sh: no environment, the servers were not started"
if ! . "$TOP/tests/servers/env.sh" 2>/dev/null ||
	! status=$(bash "$TOP/tests/servers/servers" status 2>&1); then
	not_ok "test servers are running"
	echo "$status" | sed 's/^/# /'
	t_done
	exit 1
fi
ok "test servers are running (env from $WARY_TEST_RUNDIR)"

# One Python program, many checks: "pyc CHECK ARGS" exits 0 when the check
# holds, and says why not in TAP comments.
read -r -d '' PY <<'EOF'
import imaplib, os, poplib, re, smtplib, socket, ssl, subprocess, sys, time, uuid
E = os.environ
CA = E['WARY_TEST_CA']
HOST, NAME = E['WARY_TEST_HOST'], E['WARY_TEST_HOSTNAME']
A, AP = E['WARY_TEST_ALICE'], E['WARY_TEST_ALICE_PASS']
B, BP = E['WARY_TEST_BOB'], E['WARY_TEST_BOB_PASS']
ADDR_A, ADDR_B = E['WARY_TEST_ALICE_ADDR'], E['WARY_TEST_BOB_ADDR']
P = {k: int(E['WARY_TEST_%s_PORT' % k.upper()])
     for k in ('imap', 'imaps', 'pop3', 'pop3s', 'submission', 'smtps', 'smtp', 'dns')}
TIMEOUT = 10

def say(*a):
    for line in ' '.join(str(x) for x in a).splitlines():
        print('# ' + line)

def fail(*a):
    say(*a)
    sys.exit(1)

def ctx(cafile=CA, check_hostname=True):
    c = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
    c.check_hostname = check_hostname
    return c

def insecure():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c

def tls_connect(addr, port, server_hostname, context):
    raw = socket.create_connection((addr, port), timeout=TIMEOUT)
    try:
        return context.wrap_socket(raw, server_hostname=server_hostname)
    except BaseException:
        raw.close()
        raise

def expect_verify_error(addr, port, server_hostname, codes, context=None):
    try:
        s = tls_connect(addr, port, server_hostname, context or ctx())
    except ssl.SSLCertVerificationError as e:
        if e.verify_code not in codes:
            fail('refused, but for the wrong reason: %d %s' % (e.verify_code, e.verify_message))
        say('refused as expected: %d %s' % (e.verify_code, e.verify_message))
        return
    s.close()
    fail('TLS to %s:%d as %r was accepted' % (addr, port, server_hostname))

def der(path):
    return ssl.PEM_cert_to_DER_cert(open(path).read())

def imaps(user=A, pw=AP, host=NAME):
    m = imaplib.IMAP4_SSL(host, P['imaps'], ssl_context=ctx(), timeout=TIMEOUT)
    m.login(user, pw)
    return m

# --- IMAP -------------------------------------------------------------------
def imaps_list():
    m = imaps()
    typ, data = m._simple_command('LIST', '""', '"*"', 'RETURN', '(SPECIAL-USE)')
    typ, data = m._untagged_response(typ, data, 'LIST')
    m.logout()
    got = {}
    for line in data:
        line = line.decode() if isinstance(line, bytes) else str(line)
        mt = re.match(r'\(([^)]*)\) "[^"]*" "?([^"]*)"?$', line)
        if mt:
            got[mt.group(2)] = mt.group(1).split()
    say('LIST:', got)
    want = {'Sent': '\\Sent', 'Drafts': '\\Drafts', 'Junk': '\\Junk',
            'Trash': '\\Trash', 'Archive': '\\Archive'}
    for box, flag in want.items():
        if flag not in got.get(box, []):
            fail('%s is not listed with %s' % (box, flag))
    if 'INBOX' not in got:
        fail('no INBOX')

def imaps_ip_literal():
    m = imaplib.IMAP4_SSL(HOST, P['imaps'], ssl_context=ctx(), timeout=TIMEOUT)
    m.login(A, AP)
    m.logout()

def imaps_system_store_refuses():
    # Only the throwaway CA makes the server trusted: without it, refusal.
    expect_verify_error(HOST, P['imaps'], NAME, {19, 20, 21}, ctx(cafile=None))

def imaps_bad_password():
    m = imaplib.IMAP4_SSL(NAME, P['imaps'], ssl_context=ctx(), timeout=TIMEOUT)
    try:
        m.login(A, AP + 'x')
    except imaplib.IMAP4.error as e:
        say('refused:', e)
        return
    fail('a wrong password was accepted')

def raw_lines(sock, f, tag):
    out = []
    while True:
        line = f.readline()
        if not line:
            fail('connection closed; got', out)
        out.append(line.decode(errors='replace').rstrip())
        if line.startswith(tag + b' '):
            return out

def imap_plain_login_refused(addr, source=None):
    # A raw socket: no client library gets to decide what is sent.
    s = socket.create_connection((addr, P['imap']), timeout=TIMEOUT,
                                 source_address=(source, 0) if source else None)
    f = s.makefile('rb')
    greet = f.readline().decode()
    if 'LOGINDISABLED' not in greet and 'STARTTLS' not in greet:
        s.sendall(b'c CAPABILITY\r\n')
        greet += ' '.join(raw_lines(s, f, b'c'))
    if 'STARTTLS' not in greet or 'LOGINDISABLED' not in greet:
        fail('capabilities before TLS lack STARTTLS/LOGINDISABLED:', greet)
    s.sendall(('a LOGIN %s %s\r\n' % (A, AP)).encode())
    r = raw_lines(s, f, b'a')
    say('LOGIN before STARTTLS:', r[-1])
    if not re.match(r'a (NO|BAD)', r[-1]):
        fail('plaintext LOGIN was not refused')
    s.sendall(b'b SELECT INBOX\r\n')
    r = raw_lines(s, f, b'b')
    if not re.match(r'b (NO|BAD)', r[-1]):
        fail('the session is authenticated after a refused LOGIN:', r[-1])
    s.close()

def imap_plain_login_refused_strict():
    imap_plain_login_refused(E['WARY_TEST_HOST_STRICT'])

def imap_plain_login_refused_other_source():
    # The same rules on 127.0.0.1 for a client that is not "the server
    # itself" to Dovecot: disable_plaintext_auth is really in force.
    imap_plain_login_refused(HOST, '127.0.0.9')

def imap_starttls(addr=HOST):
    m = imaplib.IMAP4(addr, P['imap'], timeout=TIMEOUT)
    if 'STARTTLS' not in m.capabilities:
        fail('no STARTTLS offered:', m.capabilities)
    m.starttls(ssl_context=ctx())
    # imaplib asks CAPABILITY again after STARTTLS, as a client must.
    if 'LOGINDISABLED' in m.capabilities:
        fail('LOGINDISABLED still there after STARTTLS')
    m.login(A, AP)
    typ, data = m.select('INBOX')
    if typ != 'OK':
        fail('SELECT INBOX:', typ, data)
    m.logout()

def imaps_count(user, pw):
    m = imaps(user, pw)
    typ, data = m.select('INBOX', readonly=True)
    m.logout()
    return int(data[0])

def imaps_find(user, pw, token, seconds=20):
    # Delivery is asynchronous (Postfix queue -> LMTP): poll, do not sleep.
    deadline = time.time() + seconds
    while True:
        m = imaps(user, pw)
        m.select('INBOX', readonly=True)
        typ, data = m.search(None, 'HEADER', 'X-Wary-Token', token)
        if typ == 'OK' and data[0].split():
            num = data[0].split()[-1]
            typ, msg = m.fetch(num, '(BODY.PEEK[])')
            m.logout()
            return msg[0][1].decode(errors='replace')
        m.logout()
        if time.time() > deadline:
            fail('no message with token %s in %s\'s INBOX after %ds' % (token, user, seconds))
        time.sleep(0.2)

# --- TLS refusals -----------------------------------------------------------
def selfsigned_refused():
    addr = E['WARY_TEST_HOST_SELFSIGNED']
    # 18: self-signed leaf; 19: self-signed in chain.  Its names are right.
    expect_verify_error(addr, P['imaps'], NAME, {18, 19})
    expect_verify_error(addr, P['pop3s'], NAME, {18, 19})
    expect_verify_error(addr, P['imaps'], addr, {18, 19})
    # STARTTLS on the plain port gets the same certificate.
    m = imaplib.IMAP4(addr, P['imap'], timeout=TIMEOUT)
    try:
        m.starttls(ssl_context=ctx())
        fail('STARTTLS to the self-signed endpoint was accepted')
    except ssl.SSLCertVerificationError as e:
        say('STARTTLS refused: %d %s' % (e.verify_code, e.verify_message))
    # Control: the endpoint is up and serves exactly that certificate.
    s = tls_connect(addr, P['imaps'], NAME, insecure())
    if s.getpeercert(binary_form=True) != der(E['WARY_TEST_SELFSIGNED_CERT']):
        fail('the endpoint does not serve the self-signed certificate')
    s.close()

def wrongname_refused():
    addr = E['WARY_TEST_HOST_WRONGNAME']
    # 62: hostname mismatch (OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH).
    expect_verify_error(addr, P['imaps'], NAME, {62})
    expect_verify_error(addr, P['pop3s'], NAME, {62})
    expect_verify_error(addr, P['imaps'], addr, {64, 62})
    # Control: the chain itself verifies; only the name is wrong.
    s = tls_connect(addr, P['imaps'], NAME, ctx(check_hostname=False))
    if s.getpeercert(binary_form=True) != der(E['WARY_TEST_WRONGNAME_CERT']):
        fail('the endpoint does not serve the wrong-name certificate')
    s.close()

# --- POP3 -------------------------------------------------------------------
def pop3s_stat(user=A, pw=AP):
    p = poplib.POP3_SSL(NAME, P['pop3s'], context=ctx(), timeout=TIMEOUT)
    p.user(user)
    p.pass_(pw)
    n, size = p.stat()
    p.quit()
    say('STAT', n, size)
    return n, size

def pop3s_login_stat():
    n, size = pop3s_stat()
    if n < 0 or size < 0:
        fail('bad STAT')

def imap_starttls_strict():
    imap_starttls(E['WARY_TEST_HOST_STRICT'])

def pop3_stls():
    p = poplib.POP3(E['WARY_TEST_HOST_STRICT'], P['pop3'], timeout=TIMEOUT)
    caps = p.capa()
    if 'STLS' not in caps:
        fail('no STLS before TLS:', caps)
    try:
        p.user(A)
        p.pass_(AP)
        fail('USER/PASS accepted before STLS')
    except poplib.error_proto as e:
        say('before STLS:', e)
    p.stls(context=ctx())
    p.user(A)
    p.pass_(AP)
    p.stat()
    p.quit()

# --- SMTP -------------------------------------------------------------------
def message(frm, to, token, subject='wary smoke test'):
    return ('From: %s\r\nTo: %s\r\nSubject: %s %s\r\nMessage-ID: <%s@example.test>\r\n'
            'X-Wary-Token: %s\r\n\r\nbody of %s\r\n' % (frm, to, subject, token, token, token, token))

def submission():
    s = smtplib.SMTP(HOST, P['submission'], timeout=TIMEOUT)
    s.ehlo('client.example.test')
    return s

def smtp_no_auth_before_starttls():
    s = submission()
    if not s.has_extn('starttls'):
        fail('no STARTTLS offered:', s.esmtp_features)
    if s.has_extn('auth'):
        fail('AUTH offered before STARTTLS:', s.esmtp_features['auth'])
    code, msg = s.mail(ADDR_A)
    say('MAIL before STARTTLS:', code, msg.decode())
    if code < 500:
        fail('MAIL FROM accepted before STARTTLS')
    s.close()
    s = submission()
    s.starttls(context=ctx())
    s.ehlo('client.example.test')
    if not s.has_extn('auth'):
        fail('no AUTH after STARTTLS (the control)')
    s.quit()

def smtp_auth_tls(port='submission'):
    if port == 'smtps':
        s = smtplib.SMTP_SSL(NAME, P['smtps'], context=ctx(), timeout=TIMEOUT)
        s.ehlo('client.example.test')
    else:
        s = submission()
        s.starttls(context=ctx())
        s.ehlo('client.example.test')
    s.login(A, AP)
    return s

def smtp_deliver():
    token = uuid.uuid4().hex
    before = imaps_count(B, BP)
    s = smtp_auth_tls()
    refused = s.sendmail(ADDR_A, [ADDR_B], message(ADDR_A, ADDR_B, token))
    s.quit()
    if refused:
        fail('refused:', refused)
    msg = imaps_find(B, BP, token)
    if ('body of %s' % token) not in msg:
        fail('the body did not arrive:', msg[:500])
    # Postfix's own trace: submitted over TLS, authenticated.
    if not re.search(r'Received: from .*\n?\s*by mail\.example\.test .*ESMTPSA', msg):
        fail('no ESMTPSA Received line by the test Postfix:', msg[:800])
    after = imaps_count(B, BP)
    n, size = pop3s_stat(B, BP)
    if after != before + 1 or n != after:
        fail('counts: IMAP before %d after %d, POP3 %d' % (before, after, n))
    say('delivered to %s; INBOX %d -> %d, POP3 STAT %d' % (B, before, after, n))

def smtp_outside_refused():
    s = smtp_auth_tls()
    s.mail(ADDR_A)
    code, msg = s.rcpt('someone@example.com')
    say('RCPT outside:', code, msg.decode())
    if code < 500:
        fail('an outside recipient was accepted')
    code2, msg2 = s.rcpt(ADDR_B)
    if code2 != 250:
        fail('control: a local recipient was refused too:', code2, msg2)
    s.rset()
    s.mail(ADDR_A)
    code3, msg3 = s.rcpt('nobody-here@example.test')
    say('RCPT unknown local user:', code3, msg3.decode())
    if code3 < 500:
        fail('an unknown local user was accepted')
    s.quit()

def smtp_needs_auth():
    s = submission()
    s.starttls(context=ctx())
    s.ehlo('client.example.test')
    s.mail(ADDR_A)
    code, msg = s.rcpt(ADDR_B)
    say('RCPT without AUTH:', code, msg.decode())
    if code == 250:
        fail('submission without AUTH was accepted')
    s.close()
    s = submission()
    s.starttls(context=ctx())
    s.ehlo('client.example.test')
    try:
        s.login(A, AP + 'x')
        fail('a wrong password was accepted')
    except smtplib.SMTPAuthenticationError as e:
        say('wrong password:', e.smtp_code)
    s.close()

def smtps_implicit():
    s = smtp_auth_tls('smtps')
    code, _ = s.noop()
    s.quit()
    if code != 250:
        fail('NOOP:', code)

def smtp_inbound():
    s = smtplib.SMTP(HOST, P['smtp'], timeout=TIMEOUT)
    s.ehlo('mx-client.example.test')
    if s.has_extn('auth'):
        fail('AUTH offered on the inbound port')
    s.mail('someone@elsewhere.test')
    code, msg = s.rcpt('someone@example.com')
    say('inbound relay attempt:', code, msg.decode())
    if code < 500:
        fail('the inbound port relays')
    code, msg = s.rcpt(ADDR_A)
    if code != 250:
        fail('inbound mail for a local user refused:', code, msg)
    s.quit()

def lmtp_deliver():
    token = uuid.uuid4().hex
    l = smtplib.LMTP(E['WARY_TEST_LMTP'])
    l.ehlo('smoke')
    refused = l.sendmail('someone@elsewhere.test', [ADDR_A], message('someone@elsewhere.test', ADDR_A, token, 'lmtp'))
    l.quit()
    if refused:
        fail('refused:', refused)
    msg = imaps_find(A, AP, token, 5)
    if ('body of %s' % token) not in msg:
        fail('the body did not arrive')

# --- DNS --------------------------------------------------------------------
def dig(*args):
    r = subprocess.run(['dig', '@' + HOST, '-p', str(P['dns']), '+time=2', '+tries=1'] + list(args),
                       capture_output=True, text=True, timeout=10)
    return r.stdout

def strings(text):
    return re.findall(r'"((?:[^"\\]|\\.)*)"', text)

def dns_a_mx_txt():
    a = dig('+short', 'A', 'mail.example.test').split()
    if a != ['127.0.0.1']:
        fail('A mail.example.test:', a)
    mx = dig('+short', 'MX', 'example.test').split()
    if mx != ['10', 'mail.example.test.']:
        fail('MX example.test:', mx)
    txt = strings(dig('+short', 'TXT', 'example.test'))
    if txt != ['v=spf1 ip4:127.0.0.0/8 -all']:
        fail('TXT example.test:', txt)
    if 'status: NOERROR' not in dig('TXT', '_dmarc.example.test'):
        fail('no DMARC record')

def dns_long_txt():
    key = os.path.join(E['WARY_TEST_DKIM_DIR'], 'rsa2048.example.test.key')
    pub = subprocess.run(['openssl', 'pkey', '-in', key, '-pubout', '-outform', 'DER'],
                         capture_output=True, check=True).stdout
    import base64
    want = 'v=DKIM1; k=rsa; p=' + base64.b64encode(pub).decode()
    for transport in ('+notcp', '+tcp'):
        parts = strings(dig('+short', transport, 'TXT', 'rsa2048._domainkey.example.test'))
        whole = ''.join(parts)
        say('%s: %d strings, %d bytes' % (transport, len(parts), len(whole)))
        if len(parts) < 2 or max(len(p) for p in parts) > 255:
            fail('not split into strings of at most 255 bytes:', [len(p) for p in parts])
        if whole != want:
            fail('the record does not match the public key in dkim/')

def dns_nothing_outside():
    for name in ('www.example.com', 'unknown.example.test'):
        out = dig('A', name)
        if 'status: NXDOMAIN' not in out:
            fail('%s is not NXDOMAIN:' % name, out)
    if 'status: NOERROR' not in dig('A', 'example.test'):
        fail('control: example.test does not resolve')

checks = {k: v for k, v in globals().items() if callable(v) and not k.startswith('_')}
try:
    checks[sys.argv[1]]()
except SystemExit:
    raise
except Exception as e:
    fail('%s: %s' % (type(e).__name__, e))
EOF

pyc() { python3 -c "$PY" "$@"; }

check "IMAPS login, LIST shows Sent/Drafts/Junk/Trash/Archive by special-use" pyc imaps_list
check "IMAPS verifies by IP literal ($WARY_TEST_HOST)" pyc imaps_ip_literal
check "IMAPS is refused without the test CA (system store only)" pyc imaps_system_store_refuses
check "IMAPS refuses a wrong password" pyc imaps_bad_password
check "IMAP plain port ($WARY_TEST_HOST_STRICT): LOGIN before STARTTLS refused (LOGINDISABLED), session stays unauthenticated" pyc imap_plain_login_refused_strict
check "IMAP plain port ($WARY_TEST_HOST, client from 127.0.0.9): LOGIN before STARTTLS refused" pyc imap_plain_login_refused_other_source
check "IMAP STARTTLS verified, login and SELECT after it" pyc imap_starttls
check "IMAP STARTTLS on $WARY_TEST_HOST_STRICT verified by IP literal, login after it" pyc imap_starttls_strict
check "self-signed endpoint ($WARY_TEST_HOST_SELFSIGNED) fails verification (IMAPS, POP3S, STARTTLS)" pyc selfsigned_refused
check "wrong-name endpoint ($WARY_TEST_HOST_WRONGNAME) fails verification, its chain is good" pyc wrongname_refused
check "POP3S login and STAT" pyc pop3s_login_stat
check "POP3 plain port ($WARY_TEST_HOST_STRICT): USER/PASS refused before STLS, works after" pyc pop3_stls
check "submission: AUTH not offered and MAIL refused before STARTTLS" pyc smtp_no_auth_before_starttls
check "submission: STARTTLS+AUTH delivers to bob, seen over IMAP and POP3" pyc smtp_deliver
check "submission: outside and unknown recipients refused, local accepted" pyc smtp_outside_refused
check "submission: no relay without AUTH, wrong password refused" pyc smtp_needs_auth
check "smtps: implicit TLS and AUTH" pyc smtps_implicit
check "inbound smtp: no AUTH, local mail accepted, no relay" pyc smtp_inbound
check "LMTP socket delivers to alice, seen over IMAP" pyc lmtp_deliver
check "DNS: A, MX and TXT of example.test" pyc dns_a_mx_txt
check "DNS: the 2048-bit DKIM TXT comes back whole over UDP and TCP" pyc dns_long_txt
check "DNS: names outside the records are NXDOMAIN" pyc dns_nothing_outside

# --- GnuPG ------------------------------------------------------------------
G=$WARY_TEST_GNUPGHOME
work=$(mktemp -d "${TMPDIR:-/tmp}/wary-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
gpgq() { GNUPGHOME=$G gpg --batch --no-tty "$@"; }

mode=$(stat -c %a "$G" 2>/dev/null)
if [ "$mode" = 700 ] && [ ${#G} -lt 80 ]; then
	ok "GnuPG home is private (0700) and short ($G)"
else
	not_ok "GnuPG home $G: mode $mode, ${#G} bytes"
fi

colons=$(gpgq --with-colons --list-keys 2>/dev/null)
va=$(echo "$colons" | awk -F: -v f="$WARY_TEST_ALICE_FPR" '$1=="pub"{v=$2} $1=="fpr"&&$10==f{print v; exit}')
vb=$(echo "$colons" | awk -F: -v f="$WARY_TEST_BOB_FPR" '$1=="pub"{v=$2} $1=="fpr"&&$10==f{print v; exit}')
tm=$(echo "$colons" | awk -F: '$1=="tru"{print $3; exit}')
otb=$(gpgq --export-ownertrust 2>/dev/null | awk -F: -v f="$WARY_TEST_BOB_FPR" '$1==f{print $2}')
sigb=$(gpgq --with-colons --check-signatures "$WARY_TEST_BOB_FPR" 2>/dev/null |
	awk -F: -v k="${WARY_TEST_ALICE_FPR: -16}" '$1=="sig"&&$2=="!"&&$5==k&&$11~/l$/{n++} END{print n+0}')
if [ "$va" = u ] && [ "$vb" = f ] && [ "$tm" = 1 ] && [ "${otb:-0}" != 6 ] && [ "$sigb" -ge 1 ]; then
	ok "keys: alice ultimate, bob full by alice's local signature (pgp trust model)"
else
	not_ok "keys: alice '$va' bob '$vb' model '$tm' bob ownertrust '$otb' local sigs '$sigb'"
fi

printf 'signed by alice, %s\n' "$(date)" >"$work/msg"
gpgq --local-user "$WARY_TEST_ALICE_FPR" --armor --detach-sign -o "$work/msg.asc" "$work/msg" 2>"$work/sign.err"
gpgq --status-fd 1 --verify "$work/msg.asc" "$work/msg" >"$work/verify.st" 2>/dev/null
if grep -q "^\[GNUPG:\] VALIDSIG $WARY_TEST_ALICE_FPR " "$work/verify.st" &&
	grep -q '^\[GNUPG:\] GOODSIG ' "$work/verify.st" &&
	grep -q '^\[GNUPG:\] TRUST_ULTIMATE' "$work/verify.st"; then
	ok "gpg: alice signs, the signature verifies as hers, ultimately trusted"
else
	not_ok "gpg: sign/verify"; sed 's/^/# /' "$work/sign.err" "$work/verify.st"
fi

printf 'X' >>"$work/msg"
if gpgq --status-fd 1 --verify "$work/msg.asc" "$work/msg" >"$work/bad.st" 2>/dev/null; then
	not_ok "gpg: a changed message still verifies"
elif grep -q '^\[GNUPG:\] BADSIG ' "$work/bad.st"; then
	ok "gpg: a changed message gives BADSIG"
else
	not_ok "gpg: a changed message failed without BADSIG"; sed 's/^/# /' "$work/bad.st"
fi

# No --trust-model, no --always-trust: gpg encrypts in batch mode only to a
# valid key, so this also proves bob's validity.
echo "for bob only $RANDOM$RANDOM" >"$work/plain"
bob_subs=$(echo "$colons" | awk -F: -v f="$WARY_TEST_BOB_FPR" '$1=="pub"{p=""} $1=="fpr"&&p==""{p=$10; next} p==f&&$1=="sub"{print $5}')
if gpgq --status-fd 1 --armor --recipient "$WARY_TEST_BOB_FPR" -o "$work/enc.asc" --encrypt "$work/plain" >"$work/enc.st" 2>&1 &&
	gpgq --status-fd 1 -o "$work/dec" --decrypt "$work/enc.asc" >"$work/dec.st" 2>/dev/null &&
	cmp -s "$work/plain" "$work/dec" &&
	grep -q '^\[GNUPG:\] DECRYPTION_OKAY' "$work/dec.st" &&
	enc_to=$(awk '$2=="ENC_TO"{print $3}' "$work/dec.st") &&
	[ -n "$enc_to" ] && echo "$bob_subs" | grep -qx "$enc_to"; then
	ok "gpg: encrypts to bob (his subkey $enc_to) and decrypts to the same text"
else
	not_ok "gpg: encrypt to bob / decrypt"; sed 's/^/# /' "$work/enc.st" "$work/dec.st" 2>/dev/null
fi

t_done
