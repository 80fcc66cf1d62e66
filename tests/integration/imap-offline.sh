#!/usr/bin/env bash
# The IMAP backend without a server, against real Dovecot: an account
# opened while Dovecot is down opens from its cache file (the folder
# list, INBOX and another folder with their rows and flags, a body read
# before), says
# it is offline and why, queues a flag change, and once Dovecot is back
# connects by itself, replays the change and resyncs (a message that
# arrived meanwhile comes in), also when the folder was renumbered (a new
# UIDVALIDITY) meanwhile.  Then a peer that stops answering without
# closing (the session's imap process stopped with SIGSTOP): noticed in
# IDLE by the DONE check and in a NOOP poll within seconds, not after the
# 30 s I/O timeout; online again after SIGCONT.  The socket has TCP
# keepalive.  What the server holds is read back by a second client.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"

if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "IMAP offline against Dovecot" "test servers not running (tests/servers/env.sh has no environment)"
	t_done
	exit 0
fi
DRIVER=$BUILD/tests/integration/imap-driver
if ! (cd "$BUILD" && make tests/integration/imap-driver >/dev/null 2>&1); then
	not_ok "the test driver builds (make tests/integration/imap-driver in $BUILD)"
	t_done
	exit 1
fi
WORK=$(mktemp -d /tmp/wary-imap-off.XXXXXX)
CTL=$TOP/tests/integration/dovecot-ctl.bash
trap 'bash "$CTL" thaw >/dev/null 2>&1; bash "$CTL" start >/dev/null 2>&1; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
export IMAP_DRIVER_SECRET=$WARY_TEST_ALICE_PASS CTL
P="off$$"
C=$WORK/cache

drv() { "$DRIVER" --host "$WARY_TEST_HOSTNAME" --port "$WARY_TEST_IMAPS_PORT" --user "$WARY_TEST_ALICE" \
	--ca "$WARY_TEST_CA" "$@"; }
st() { grep '^stats ' "$2" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }
conn() { grep '^conn ' "$2" | sed -n "${3:-\$}p" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
connstate() { grep '^conn ' "$1" | sed -n "${2:-\$}p" | cut -d' ' -f2; }
# index N FILE: the rows= of the N-th index line
rows() { grep '^index ' "$2" | sed -n "$1p" | sed 's/.*rows=\([0-9]*\).*/\1/'; }

read -r -d '' PY <<'EOF'
import imaplib, os, re, ssl, sys
E = os.environ
op, a = sys.argv[1], sys.argv[2:]
ctx = ssl.create_default_context(cafile=E['WARY_TEST_CA'])
m = imaplib.IMAP4_SSL(E['WARY_TEST_HOSTNAME'], int(E['WARY_TEST_IMAPS_PORT']), ssl_context=ctx, timeout=30)
m.login(E['WARY_TEST_ALICE'], E['WARY_TEST_ALICE_PASS'])
def q(name): return '"' + name + '"'
if op == 'create':
    m.create(q(a[0]))
elif op == 'fill':            # fill FOLDER N START
    for i in range(int(a[2]), int(a[2]) + int(a[1])):
        tag = a[3] if len(a) > 3 else a[0]
        m.append(q(a[0]), None, None, ('From: s%d@example.test\r\nSubject: off %s %d\r\n'
                 'Message-ID: <off.%s.%d@example.test>\r\n\r\nbody %d\r\n' % (i, tag, i, tag, i, i)).encode())
elif op == 'flags':           # flags FOLDER UID: the server's flags
    m.select(q(a[0]), readonly=True)
    typ, data = m.uid('FETCH', a[1], '(FLAGS)')
    print(re.search(r'FLAGS \(([^)]*)\)', data[0].decode()).group(1))
elif op == 'delete':
    m.delete(q(a[0]))
elif op == 'recreate':        # recreate FOLDER N: a new UIDVALIDITY, N new messages
    m.delete(q(a[0]))
    m.create(q(a[0]))
    for i in range(int(a[1])):
        m.append(q(a[0]), None, None, ('From: n%d@example.test\r\nSubject: renumbered %d\r\n'
                 'Message-ID: <ren.%s.%d@example.test>\r\n\r\nnew %d\r\n' % (i, i, a[0], i, i)).encode())
elif op == 'purge':           # purge FOLDER WORD: messages with WORD in the subject go
    m.select(q(a[0]))
    typ, data = m.uid('SEARCH', 'SUBJECT', a[1])
    for uid in data[0].split():
        m.uid('STORE', uid, '+FLAGS.SILENT', '(\\Deleted)')
        m.uid('EXPUNGE', uid)
m.logout()
EOF
export IMAP_PY=$PY
py() { python3 -c "$PY" "$@"; }

py create "$P-A"
py fill "$P-A" 10 0
# INBOX too: open selects it, so the cache must hold it (taken out at the end).
py fill INBOX 2 0 "$P"

# ---- opened while Dovecot is down ----
drv --cache "$C" index-quiet , select "$P-A" , index , fetch 1 , state >"$WORK/o0" 2>&1
check "online first: the folder has its 10 rows, message 1 is read" \
	test "$(rows 2 "$WORK/o0")" = 10 -a "$(grep -c '^fetch-end' "$WORK/o0")" = 1
inbox_rows=$(rows 1 "$WORK/o0")
sed -n '/^fetch [0-9]/,/^fetch-end/p' "$WORK/o0" >"$WORK/body-online"
bash "$CTL" stop
drv --cache "$C" state , folders , index , select "$P-A" , index , fetch 1 , flags 2 +F , state , \
	sh 'bash "$CTL" start && python3 -c "$IMAP_PY" fill '"$P-A"' 1 100' , \
	wait-online 20000 , state , check , stats >"$WORK/o1" 2>&1
check "Dovecot down: the account opens anyway" grep -q '^open ok' "$WORK/o1"
check "the state says reconnecting, from the cache, with the reason" \
	bash -c "test '$(connstate "$WORK/o1" 1)' = reconnecting -a '$(conn from_cache "$WORK/o1" 1)' = 1 &&
	grep '^conn ' '$WORK/o1' | head -1 | grep -q 'reason=cannot connect.*refused'"
check "the first attempt is due within the backoff (<= 1000 ms)" test "$(conn retry_in_ms "$WORK/o1" 1)" -le 1000
check "the folder list from the cache, with the cached rows counted (10, 10 unseen)" \
	bash -c "grep -q '^folder INBOX' '$WORK/o1' && grep -q $'^folder $P-A\t$P-A\t-\t10\t10\$' '$WORK/o1'"
check "INBOX from the cache: the rows it had online ($inbox_rows, 2 or more)" \
	test "$(rows 1 "$WORK/o1")" = "$inbox_rows" -a "$inbox_rows" -ge 2
check "another folder from the cache: its 10 rows" test "$(rows 2 "$WORK/o1")" = 10
check "with the subjects the server gave" grep -q $'^row 3\t[^\t]*\t[0-9]*\toff '"$P-A"$' 2\t' "$WORK/o1"
sed -n '/^fetch [0-9]/,/^fetch-end/p' "$WORK/o1" >"$WORK/body-offline"
check "a message read before reads from the body cache, byte for byte" \
	bash -c "test -s '$WORK/body-offline' && cmp -s '$WORK/body-online' '$WORK/body-offline'"
check "a flag change offline is queued (1 queued)" \
	bash -c "grep -q '^done flags' '$WORK/o1' && test '$(conn queued "$WORK/o1" 2)' = 1"
check "Dovecot back: online by itself" grep -q '^online ms=' "$WORK/o1"
check "online: the queue is empty, no longer from the cache" \
	test "$(connstate "$WORK/o1" 3)" = online -a "$(conn queued "$WORK/o1" 3)" = 0 -a "$(conn from_cache "$WORK/o1" 3)" = 0
check "the queued flag reached the server" bash -c "py() { python3 -c \"\$IMAP_PY\" \"\$@\"; }; py flags '$P-A' 2 | grep -q Flagged"
check "the resync brings the message that arrived meanwhile" grep -q $'^row 11\t[^\t]*\t[0-9]*\toff '"$P-A"$' 100\t' "$WORK/o1"
check "and the flag change made offline (2 rows)" grep -q '^check rows=2 ' "$WORK/o1"
check "stats: one reconnect, one replayed" test "$(st reconnects "$WORK/o1")" = 1 -a "$(st replayed "$WORK/o1")" = 1
grep -v '^row \|^[^a-z]\|^$' "$WORK/o1" | sed 's/^/# /' | tail -8

# Renumbered while shown from the cache: Dovecot back with the folder
# made anew (a new UIDVALIDITY, 3 messages): the check brings the 3 and
# takes the 8 old UIDs no new message has.
bash "$CTL" stop
drv --cache "$C" select "$P-A" , index-quiet , state , \
	sh 'bash "$CTL" start && python3 -c "$IMAP_PY" recreate '"$P-A"' 3' , wait-online 20000 , check , stats >"$WORK/o3" 2>&1
check "renumbered: the folder opened from the cache (11 rows), offline" \
	test "$(rows 1 "$WORK/o3")" = 11 -a "$(conn from_cache "$WORK/o3" 1)" = 1
check "renumbered: online again, the check brings the 3 new messages" \
	test "$(grep -c '^check rows=3 vanished=8$' "$WORK/o3")" = 1 -a \
	"$(grep -c $'^row [123]\t[^\t]*\t[0-9]*\trenumbered [012]\t' "$WORK/o3")" = 3
check "renumbered: the 8 old UIDs beyond them are gone (4..11)" \
	test "$(grep '^vanished ' "$WORK/o3" | cut -d' ' -f2 | sort -n | tr '\n' ' ')" = "4 5 6 7 8 9 10 11 "

# A refused login is no reason to open from the cache.
IMAP_DRIVER_SECRET=wrong drv --cache "$C" state >"$WORK/o2" 2>&1
check "a wrong password still fails the open (no cache fallback)" grep -q '^error open EAUTH' "$WORK/o2"

# ---- a peer that stops answering ----
drv --keepalive 2 --probe 2000 select "$P-A" , index-quiet , sh '(sleep 0.5; bash "$CTL" freeze) >/dev/null 2>&1 &' , \
	wait 30000 , state , \
	sh 'bash "$CTL" thaw' , wait-online 15000 , stats >"$WORK/h1" 2>&1
ms=$(sed -n 's/^wait ENET ms=\([0-9]*\).*/\1/p' "$WORK/h1")
check "frozen server in IDLE: the DONE check at 2 s gets no answer in 2 s, lost at ${ms:-?} ms (< 7000, not 30000)" \
	test "${ms:-99999}" -lt 7000 -a "${ms:-0}" -ge 2000
check "the state names the missing answer" bash -c "grep '^conn ' '$WORK/h1' | head -1 | grep -q 'reason=no answer to DONE'"
check "after SIGCONT: online again" grep -q '^online ms=' "$WORK/h1"
check "stats: one probe timed out, the socket has TCP keepalive (idle 30 s)" \
	test "$(st probe_timeouts "$WORK/h1")" = 1 -a "$(st keepalive_idle_s "$WORK/h1")" = 30
drv --mask idle --probe 2000 select "$P-A" , index-quiet , sh 'bash "$CTL" freeze' , wait 2000 , \
	sh 'bash "$CTL" thaw' , wait-online 15000 , stats >"$WORK/h2" 2>&1
ms=$(sed -n 's/^wait ENET ms=\([0-9]*\).*/\1/p' "$WORK/h2")
check "frozen server, IDLE masked: the NOOP poll at 2 s unanswered, lost at ${ms:-?} ms (< 6000)" \
	test "${ms:-99999}" -lt 6000
check "IDLE masked: online again after SIGCONT" grep -q '^online ms=' "$WORK/h2"

py delete "$P-A"
py purge INBOX "$P"
t_done
