#!/usr/bin/env bash
# Message bodies against real Dovecot (tests/servers): a message with a
# 2 MB attachment is read by its BODYSTRUCTURE (far less than 2 MB over
# the wire), its text renders with `wary show` and the attachment is
# listed with its name and size; the attachment fetched on demand is the
# original byte for byte; a second fetch comes from the body cache (0
# bytes read), also in a new process; the attachment is cached too and
# saved again with Dovecot stopped; a damaged cached copy is fetched
# again; a UIDVALIDITY change drops the folder's cached bodies; the same
# part cut from a Maildir copy is the same bytes.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"

if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "IMAP bodies against Dovecot" "test servers not running (tests/servers/env.sh has no environment)"
	t_done
	exit 0
fi
DRIVER=$BUILD/tests/integration/body-driver
if ! (cd "$BUILD" && make tests/integration/body-driver >/dev/null 2>&1); then
	not_ok "the test driver builds (make tests/integration/body-driver in $BUILD)"
	t_done
	exit 1
fi
WARY=$BUILD/wary
WORK=$(mktemp -d /tmp/wary-body-test.XXXXXX)
CTL=$TOP/tests/integration/dovecot-ctl.bash
# Dovecot is stopped once: it runs again whatever happens.
trap 'bash "$CTL" start >/dev/null 2>&1; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
export IMAP_DRIVER_SECRET=$WARY_TEST_ALICE_PASS
P="body$$"
CACHE=$WORK/cache

drv() { "$DRIVER" --host "$WARY_TEST_HOSTNAME" --port "$WARY_TEST_IMAPS_PORT" --user "$WARY_TEST_ALICE" \
	--ca "$WARY_TEST_CA" --cache "$CACHE" "$@"; }
line_val() { grep "^$1 " "$3" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# The messages, and the second client that puts them on the server.
read -r -d '' PY <<'EOF'
import base64, imaplib, os, ssl, sys
E = os.environ
op, a = sys.argv[1], sys.argv[2:]
def big(att):
    data = open(att, 'rb').read()
    b64 = base64.encodebytes(data).decode().replace('\n', '\r\n')
    return ('From: Carol <carol@example.test>\r\nTo: alice@example.test\r\n'
            'Subject: the quarterly report\r\nMessage-ID: <big.%s@example.test>\r\n'
            'Date: Tue, 2 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n'
            'Content-Type: multipart/mixed; boundary="outer-b"\r\n\r\n'
            'This is a multi-part message in MIME format.\r\n'
            '--outer-b\r\nContent-Type: multipart/alternative; boundary="inner-b"\r\n\r\n'
            '--inner-b\r\nContent-Type: text/plain; charset=utf-8\r\n'
            'Content-Transfer-Encoding: quoted-printable\r\n'
            'X-Wary-Omitted: 1 bytes, fetch on demand as part 9\r\n\r\n'
            'Hello Alice, the report is attached. Caf=C3=A9 at noon?\r\n'
            '--inner-b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n'
            '<p>Hello Alice, the <b>report</b> is attached.</p>\r\n'
            '--inner-b--\r\n\r\n'
            '--outer-b\r\nContent-Type: application/pdf; name="report.pdf"\r\n'
            'Content-Disposition: attachment; filename="report.pdf"\r\n'
            'Content-Transfer-Encoding: base64\r\n\r\n%s'
            '--outer-b--\r\n' % (a[0], b64)).encode()
def small(i):
    return ('From: Dave <dave@example.test>\r\nTo: alice@example.test\r\n'
            'Subject: small %d\r\nMessage-ID: <small.%d.%s@example.test>\r\n'
            'Date: Tue, 2 Jan 2024 11:00:00 +0000\r\n\r\n%s\r\n'
            % (i, i, a[0], 'a short note %d. ' % i * 40)).encode()
if op == 'eml':               # eml TAG ATTACHMENT OUT: the big message as a file
    open(a[2], 'wb').write(big(a[1]))
    sys.exit(0)
ctx = ssl.create_default_context(cafile=E['WARY_TEST_CA'])
m = imaplib.IMAP4_SSL(E['WARY_TEST_HOSTNAME'], int(E['WARY_TEST_IMAPS_PORT']), ssl_context=ctx, timeout=30)
m.login(E['WARY_TEST_ALICE'], E['WARY_TEST_ALICE_PASS'])
if op == 'fill':              # fill FOLDER TAG ATTACHMENT: big (UID 1), small (UID 2, 3)
    m.create('"%s"' % a[0])
    m.append('"%s"' % a[0], None, None, big(a[2]))
    m.append('"%s"' % a[0], None, None, small(1))
    m.append('"%s"' % a[0], None, None, small(2))
elif op == 'recreate':        # recreate FOLDER: a new UIDVALIDITY, other messages under the old UIDs
    m.delete('"%s"' % a[0])
    m.create('"%s"' % a[0])
    m.append('"%s"' % a[0], None, None, small(7))
    m.append('"%s"' % a[0], None, None, small(8))
elif op == 'size':            # size FOLDER UID: RFC822.SIZE
    m.select('"%s"' % a[0], readonly=True)
    t, d = m.uid('FETCH', a[1], '(RFC822.SIZE)')
    print(d[0].decode().split('RFC822.SIZE ')[1].rstrip(')'))
elif op == 'delete':
    m.delete('"%s"' % a[0])
m.logout()
EOF
py() { python3 -c "$PY" "$@"; }

head -c 2097152 /dev/urandom >"$WORK/report.pdf"
py fill "$P" "$P" "$WORK/report.pdf" || not_ok "the second client fills $P"
SIZE=$(py size "$P" 1)
check "the big message is over 2 MB on the server ($SIZE)" [ "${SIZE:-0}" -gt 2097152 ]

# 1. The big message by its BODYSTRUCTURE.
drv select "$P" , index , fetch 1 "$WORK/big.eml" , stats >"$WORK/o1" 2>&1
cat "$WORK/o1" >&2
READ=$(line_val fetched read "$WORK/o1")
check "the big message is read in far less than 2 MB (read $READ bytes)" eval ' [ -n "$READ" ] && [ "$READ" -lt 65536 ]'
check "it was fetched by its BODYSTRUCTURE (partial=1, misses=1)" eval ' [ "$(line_val stats partial "$WORK/o1")" = 1 ] && [ "$(line_val stats misses "$WORK/o1")" = 1 ]'
check "the bytes left on the server are the attachment's ($(line_val stats omitted "$WORK/o1"))"  [ "$(line_val stats omitted "$WORK/o1")" -gt 2097152 ]
"$DRIVER" parse "$WORK/big.eml" >"$WORK/p1" 2>&1
cat "$WORK/p1" >&2
check "the assembled message parses with its subject" grep -q '^subject the quarterly report$' "$WORK/p1"
check "the text part is there, decoded" grep -q 'Hello Alice, the report is attached. Café at noon?' "$WORK/p1"
check "the attachment is listed with its name, an empty body and what was left out"  grep -Eq '^attachment name=report.pdf type=application/pdf body=0 omitted=[0-9]+ bytes, fetch on demand as part 2$' "$WORK/p1"
check "a sender's own X-Wary-Omitted field is dropped" bash -c "! grep -q 'part 9' '$WORK/big.eml'"
if [ -x "$WARY" ]; then
	"$WARY" show "$WORK/big.eml" >"$WORK/show1" 2>&1
	cat "$WORK/show1" >&2
	check "wary show renders the text" grep -q 'Hello Alice, the report is attached' "$WORK/show1"
	check "wary show lists the attachment with its name and size"  grep -Eq 'attachment: report\.pdf \(application/pdf, 2(\.0)? ?MB' "$WORK/show1"
else
	skip "wary show renders the text" "no $WARY"
	skip "wary show lists the attachment" "no $WARY"
fi

# 2. The attachment on demand, byte for byte.
drv select "$P" , part 1 2 "$WORK/got.pdf" , stats >"$WORK/o2" 2>&1
cat "$WORK/o2" >&2
check "the part on demand is named report.pdf" grep -q '^part 1 2 name=report.pdf ' "$WORK/o2"
check "the part on demand is the original byte for byte" cmp -s "$WORK/report.pdf" "$WORK/got.pdf"
drv select "$P" , part 2 1 "$WORK/s.txt" >"$WORK/o2b" 2>&1
cat "$WORK/o2b" >&2
check "part 1 of a message that is not multipart is its body" grep -q 'a short note 1\.' "$WORK/s.txt"
check "a part that does not exist is ENOENT" bash -c "'$DRIVER' --host '$WARY_TEST_HOSTNAME' --port '$WARY_TEST_IMAPS_PORT' --user '$WARY_TEST_ALICE' --ca '$WARY_TEST_CA' --cache '$CACHE' select '$P' , part 1 7 '$WORK/none' | grep -q '^error part -2:'"

# 2b. The part fetched on demand is cached: saved again with the server
# down (the account opens from its cache), byte for byte, 0 bytes read.
drv index , select "$P" , part 1 2 "$WORK/got1.pdf" >"$WORK/o2c" 2>&1
bash "$CTL" stop
drv select "$P" , part 1 2 "$WORK/got2.pdf" , stats >"$WORK/o2d" 2>&1
bash "$CTL" start
cat "$WORK/o2d" >&2
check "Dovecot down: the attachment comes from the cache of parts, byte for byte" \
	bash -c "! grep -q '^error' '$WORK/o2d' && cmp -s '$WORK/report.pdf' '$WORK/got2.pdf'"
check "from the cache: parts_cached=1, 0 bytes read" \
	eval '[ "$(line_val stats parts_cached "$WORK/o2d")" = 1 ] && [ "$(line_val stats bytes_in "$WORK/o2d")" = 0 ]'

# 3. The cache: the big one and a small one again, in a new process.
drv select "$P" , fetch 2 "$WORK/s1.eml" , fetch 2 "$WORK/s2.eml" , fetch 1 "$WORK/big2.eml" , stats >"$WORK/o3" 2>&1
cat "$WORK/o3" >&2
R1=$(grep '^fetched 2 ' "$WORK/o3" | head -1 | tr ' ' '\n' | sed -n 's/^read=//p')
R2=$(grep '^fetched 2 ' "$WORK/o3" | tail -1 | tr ' ' '\n' | sed -n 's/^read=//p')
check "the small message's first fetch reads it ($R1 bytes)" [ "${R1:-0}" -gt 500 ]
check "its second fetch reads 0 bytes from the server" [ "$R2" = 0 ]
check "the two are the same bytes" cmp -s "$WORK/s1.eml" "$WORK/s2.eml"
check "the big message comes from the cache in a new process (0 bytes)"  [ "$(grep '^fetched 1 ' "$WORK/o3" | tr ' ' '\n' | sed -n 's/^read=//p')" = 0 ]
check "and is the same as the first time" cmp -s "$WORK/big.eml" "$WORK/big2.eml"
check "two hits, one miss" eval '[ "$(line_val stats hits "$WORK/o3")" = 2 ] && [ "$(line_val stats misses "$WORK/o3")" = 1 ]'
drv select "$P" , cache-count >"$WORK/o4" 2>&1
cat "$WORK/o4" >&2
check "two bodies are cached, none stale" eval '[ "$(line_val cached rows "$WORK/o4")" = 2 ] && [ "$(line_val cached stale "$WORK/o4")" = 0 ]'

# 4. A damaged cached copy is not trusted.
drv select "$P" , damage 2 , fetch 2 "$WORK/s3.eml" , stats >"$WORK/o5" 2>&1
cat "$WORK/o5" >&2
check "a cached body whose length does not match is fetched again" eval ' [ "$(line_val fetched read "$WORK/o5")" -gt 500 ] && [ "$(line_val stats corrupt "$WORK/o5")" = 1 ]'
check "and the bytes are right" cmp -s "$WORK/s1.eml" "$WORK/s3.eml"

# 5. A new UIDVALIDITY: UID 2 now names another message.
py recreate "$P"
drv select "$P" , index , cache-count , fetch 2 "$WORK/n2.eml" , stats , cache-count >"$WORK/o6" 2>&1
cat "$WORK/o6" >&2
check "the index that sees the new UIDVALIDITY drops the folder's cached bodies" \
	grep -q '^cached rows=0 bytes=0 stale=0$' "$WORK/o6"
check "after a UIDVALIDITY change the fetch goes to the server" [ "$(line_val fetched read "$WORK/o6")" -gt 500 ]
check "and brings the new message, not the cached one" grep -q '^Subject: small 8' "$WORK/n2.eml"
check "only the new message is cached, none under the old UIDVALIDITY" eval '[ "$(line_val cached rows "$WORK/o6")" = 1 ] && [ "$(line_val cached stale "$WORK/o6")" = 0 ]'

# 6. The same part cut from a Maildir copy of the message.
MD=$WORK/Maildir
mkdir -p "$MD/cur" "$MD/new" "$MD/tmp"
py eml "$P" "$WORK/report.pdf" "$MD/cur/1700000000.M1P1.test:2,S"
"$DRIVER" --maildir "$MD" part 1700000000.M1P1.test 2 "$WORK/md.pdf" >"$WORK/o7" 2>&1
cat "$WORK/o7" >&2
check "store_fetch_part on a Maildir gives the attachment byte for byte" cmp -s "$WORK/report.pdf" "$WORK/md.pdf"
"$DRIVER" --maildir "$MD" part 1700000000.M1P1.test 1.2 "$WORK/md.html" >"$WORK/o8" 2>&1
check "and part 1.2 is the HTML alternative" grep -q '<b>report</b>' "$WORK/md.html"

py delete "$P"
t_done
