#!/usr/bin/env bash
# The two passes of a cold IMAP open against real Dovecot: a folder past
# one screen comes from envelopes alone (every row known, dates from the
# Date header), and the check after it brings References,
# Content-Type and, where Date does not parse, INTERNALDATE.  What the
# backend ends with is compared with what a second client (python
# imaplib) reads from the server, after a check in the same session and
# after one in the next session (a pass cut short resumes).
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"

if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "the two passes of a cold IMAP open" "test servers not running (tests/servers/env.sh has no environment)"
	t_done
	exit 0
fi
DRIVER=$BUILD/tests/integration/imap-driver
if ! (cd "$BUILD" && make tests/integration/imap-driver >/dev/null 2>&1); then
	not_ok "the test driver builds (make tests/integration/imap-driver in $BUILD)"
	t_done
	exit 1
fi
WORK=$(mktemp -d /tmp/wary-imap-details.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT
export IMAP_DRIVER_SECRET=$WARY_TEST_ALICE_PASS
F="d$$"
N=450

drv() { "$DRIVER" --host "$WARY_TEST_HOSTNAME" --port "$WARY_TEST_IMAPS_PORT" --user "$WARY_TEST_ALICE" \
	--ca "$WARY_TEST_CA" "$@"; }
st() { grep '^stats ' "$2" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# The second client.  fill: N messages, every one with References (one
# folded over two lines), every 4th multipart, every 7th with a Date that
# does not parse, each appended with its own INTERNALDATE.  want: what the
# rows must end with, "UID DATE REFERENCES CONTENT-TYPE" (whitespace runs
# as one space), DATE the Date header's or else INTERNALDATE.
read -r -d '' PY <<'EOF'
import email.utils, imaplib, os, re, ssl, sys, time
E = os.environ
ctx = ssl.create_default_context(cafile=E['WARY_TEST_CA'])
m = imaplib.IMAP4_SSL(E['WARY_TEST_HOSTNAME'], int(E['WARY_TEST_IMAPS_PORT']), ssl_context=ctx, timeout=30)
m.login(E['WARY_TEST_ALICE'], E['WARY_TEST_ALICE_PASS'])
op, folder = sys.argv[1], '"' + sys.argv[2] + '"'
BASE = 1704189600  # Tue, 2 Jan 2024 10:00:00 +0000
if op == 'fill':
    m.create(folder)
    for i in range(int(sys.argv[3])):
        date = 'not a date at all' if i % 7 == 0 else email.utils.formatdate(BASE + 60 * i, usegmt=True)
        ct = ('multipart/mixed; boundary="b%d"' % i) if i % 4 == 0 else 'text/plain; charset=utf-8'
        body = ('--b%d\r\nContent-Type: text/plain\r\n\r\nx\r\n--b%d--\r\n' % (i, i)) if i % 4 == 0 else 'x\r\n'
        msg = ('From: s%d@example.test\r\nSubject: m %d\r\nMessage-ID: <m%d@example.test>\r\n'
               'In-Reply-To: <m%d@example.test>\r\nReferences: <root@example.test>\r\n <m%d@example.test>\r\n'
               'Date: %s\r\nContent-Type: %s\r\n\r\n%s' % (i, i, i, i - 1, i - 1, date, ct, body))
        m.append(folder, None, imaplib.Time2Internaldate(BASE + 3600 + i), msg.encode())
elif op == 'want':
    m.select(folder, readonly=True)
    typ, data = m.uid('FETCH', '1:*', '(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE REFERENCES CONTENT-TYPE)])')
    out = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        head = item[0].decode()
        uid = int(re.search(r'UID (\d+)', head).group(1))
        idate = int(time.mktime(imaplib.Internaldate2tuple(item[0])))
        h = {}
        for line in re.sub(r'\r\n[ \t]+', ' ', item[1].decode()).split('\r\n'):
            if ':' in line:
                k, v = line.split(':', 1)
                h[k.lower()] = ' '.join(v.split())
        d = email.utils.parsedate_to_datetime(h['date']).timestamp() if h['date'] != 'not a date at all' else idate
        out.append('%d\t%d\t%s\t%s' % (uid, int(d), h['references'], h['content-type']))
    print('\n'.join(sorted(out, key=lambda l: int(l.split('\t')[0]))))
m.logout()
EOF
py() { python3 -c "$PY" "$@"; }
# The driver's "ref" lines, UID ascending, whitespace runs as one space.
refs() { grep '^ref ' "$1" | sed 's/^ref //' | awk -F'\t' '{ for (i = 3; i <= 4; i++) { gsub(/[ \t]+/, " ", $i) }
	printf "%s\t%s\t%s\t%s\n", $1, $2, $3, $4 }' | sort -n -k1,1; }

py fill "$F" "$N"
py want "$F" >"$WORK/want"
check "the server holds $N messages to compare with" test "$(wc -l <"$WORK/want")" = "$N"

# ---- the first pass ----
C="$WORK/cache"
mkdir -p "$C"
drv --cache "$C" select "$F" , index-refs , stats >"$WORK/cold" 2>&1
check "cold index of $N messages succeeds" grep -q "^index rows=$N\$" "$WORK/cold"
refs "$WORK/cold" >"$WORK/got1"
check "every row waits for its References and Content-Type (the second pass)" \
	bash -c "awk -F'\t' '\$3 != \"\" || \$4 != \"\" { bad++ } END { exit bad > 0 }' '$WORK/got1'"
check "every row of the first pass has the Date header's date where it parses" \
	bash -c "paste '$WORK/want' '$WORK/got1' | awk -F'\t' '\$1 % 7 != 1 && \$2 != \$6 { bad++ } END { exit bad > 0 }'"
check "the first pass asked for no header fields (fetch_details=0)" test "$(st fetch_details "$WORK/cold")" = 0

# ---- the check after it: the second pass ----
drv --cache "$C" select "$F" , index-quiet , check-refs , index-refs , stats >"$WORK/both" 2>&1
check "the check re-sends the $N rows it completed" grep -q "^check rows=$N vanished=0\$" "$WORK/both"
check "the backend counts them as completed (fetch_details=$N)" test "$(st fetch_details "$WORK/both")" = "$N"
awk '/^check rows=/ { seen = 1; next } seen' "$WORK/both" >"$WORK/after"
refs "$WORK/after" >"$WORK/got2"
if cmp -s "$WORK/want" "$WORK/got2"; then ok "after the check every row equals the server: date (INTERNALDATE where Date does not parse), References, Content-Type"
else not_ok "after the check every row equals the server"; diff "$WORK/want" "$WORK/got2" | head -6 | sed 's/^/# /'; fi
drv --cache "$C" select "$F" , check-refs , stats >"$WORK/again" 2>&1
# (its rows are the flag changes \Recent makes between sessions)
check "a second check has nothing left to complete (fetch_details=0)" test "$(st fetch_details "$WORK/again")" = 0

# ---- a pass that did not run in its session runs in the next one ----
C2="$WORK/cache2"
mkdir -p "$C2"
drv --cache "$C2" select "$F" , index-quiet >/dev/null 2>&1
drv --cache "$C2" select "$F" , index-quiet , check-refs , index-refs >"$WORK/next" 2>&1
check "the next session's check completes what the first left" grep -q "^check rows=$N " "$WORK/next"
awk '/^check rows=/ { seen = 1; next } seen' "$WORK/next" >"$WORK/after2"
refs "$WORK/after2" >"$WORK/got3"
check "and its rows equal the server" cmp -s "$WORK/want" "$WORK/got3"

# ---- a folder of one screen comes whole, in one pass ----
py fill "$F-small" 150
py want "$F-small" >"$WORK/want-small"
drv select "$F-small" , index-refs , stats >"$WORK/small" 2>&1
refs "$WORK/small" >"$WORK/got-small"
check "a folder of 150 messages comes whole in one pass" cmp -s "$WORK/want-small" "$WORK/got-small"

# ---- without a cache file (the index in memory): the same two passes ----
drv select "$F" , index-quiet , check-refs , index-refs >"$WORK/mem" 2>&1
awk '/^check rows=/ { seen = 1; next } seen' "$WORK/mem" >"$WORK/after3"
refs "$WORK/after3" >"$WORK/got4"
check "with no cache file the check completes the rows too" cmp -s "$WORK/want" "$WORK/got4"

t_done
