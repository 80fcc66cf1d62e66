#!/usr/bin/env bash
# The IMAP backend when the connection goes away, against real Dovecot:
# Dovecot stopped and started again while the client is connected (flag
# changes made meanwhile are queued and reach the server), attempts with
# backoff rather than a loop, a client killed in the middle of replaying
# its queue (run again: nothing lost, nothing done twice), the imap
# process of the session killed (noticed in an action and in IDLE), the
# server's BYE, IDLE seeing mail delivered over LMTP, and the NOOP polls
# when IDLE is masked off.  What the server holds is read back by a second
# client (python imaplib).
#
# It stops and starts the Dovecot of tests/servers (only Dovecot, its mail
# stays), and always leaves it running.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"

if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "IMAP reconnect against Dovecot" "test servers not running (tests/servers/env.sh has no environment)"
	t_done
	exit 0
fi
DRIVER=$BUILD/tests/integration/imap-driver
if ! (cd "$BUILD" && make tests/integration/imap-driver >/dev/null 2>&1); then
	not_ok "the test driver builds (make tests/integration/imap-driver in $BUILD)"
	t_done
	exit 1
fi
WORK=$(mktemp -d /tmp/wary-imap-rc.XXXXXX)
CTL=$TOP/tests/integration/dovecot-ctl.bash
# Whatever happens, Dovecot runs again when this script ends.
trap 'bash "$CTL" start >/dev/null 2>&1; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
export IMAP_DRIVER_SECRET=$WARY_TEST_ALICE_PASS
P="r$$"

ctl() { bash "$CTL" "$@"; }

drv() { "$DRIVER" --host "$WARY_TEST_HOSTNAME" --port "$WARY_TEST_IMAPS_PORT" --user "$WARY_TEST_ALICE" \
	--ca "$WARY_TEST_CA" "$@"; }
st() { grep '^stats ' "$2" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# conn FIELD FILE [N]: a field of the N-th "conn" line (default: the last).
conn() { grep '^conn ' "$2" | sed -n "${3:-\$}p" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
connstate() { grep '^conn ' "$1" | sed -n "${2:-\$}p" | cut -d' ' -f2; }

read -r -d '' PY <<'EOF'
import imaplib, os, re, smtplib, ssl, sys
E = os.environ
op, a = sys.argv[1], sys.argv[2:]
if op == 'lmtp':              # lmtp SUBJECT: deliver one message to alice's INBOX
    l = smtplib.LMTP(E['WARY_TEST_LMTP'])
    l.sendmail('bob@example.test', [E['WARY_TEST_ALICE_ADDR']],
               ('From: bob@example.test\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@example.test>\r\n\r\nhi\r\n'
                % (E['WARY_TEST_ALICE_ADDR'], a[0], a[0])).encode())
    l.quit()
    sys.exit(0)
ctx = ssl.create_default_context(cafile=E['WARY_TEST_CA'])
m = imaplib.IMAP4_SSL(E['WARY_TEST_HOSTNAME'], int(E['WARY_TEST_IMAPS_PORT']), ssl_context=ctx, timeout=30)
m.login(E['WARY_TEST_ALICE'], E['WARY_TEST_ALICE_PASS'])
def q(name): return '"' + name + '"'
if op == 'create':
    m.create(q(a[0]))
elif op == 'fill':            # fill FOLDER N START
    for i in range(int(a[2]), int(a[2]) + int(a[1])):
        m.append(q(a[0]), None, None, ('From: s%d@example.test\r\nSubject: rc %s %d\r\n'
                 'Message-ID: <rc.%s.%d@example.test>\r\n\r\nbody %d\r\n' % (i, a[0], i, a[0], i, i)).encode())
elif op == 'state':           # state FOLDER: "UID FLAGS" lines
    m.select(q(a[0]), readonly=True)
    typ, data = m.uid('FETCH', '1:*', '(UID FLAGS)')
    for item in data:
        if item is None:
            continue
        head = item.decode() if isinstance(item, bytes) else item[0].decode()
        uid = re.search(r'UID (\d+)', head).group(1)
        fl = re.search(r'FLAGS \(([^)]*)\)', head).group(1).split()
        print(uid, ''.join(sorted(c for f, c in [('\\Flagged', 'F'), ('\\Answered', 'R'), ('\\Seen', 'S'),
                                                  ('\\Deleted', 'T')] if f in fl)))
elif op == 'msgid':           # msgid FOLDER: every Message-ID, one a line (repeats kept)
    m.select(q(a[0]), readonly=True)
    typ, data = m.uid('FETCH', '1:*', '(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
    for item in data:
        if isinstance(item, tuple):
            print(item[1].decode().split(':', 1)[1].strip())
elif op == 'delete':
    m.delete(q(a[0]))
m.logout()
EOF
export IMAP_PY=$PY
py() { python3 -c "$PY" "$@"; }
# has FOLDER UID LETTERS: the server's flags of UID include LETTERS.
has() { py state "$1" | awk -v u="$2" -v f="$3" '$1 == u { n = split(f, c, ""); for (i = 1; i <= n; i++) if (index($2, c[i]) == 0) exit 1; found = 1 } END { exit !found }'; }
count_id() { py msgid "$1" | grep -cF "$2"; }

py create "$P-A"; py create "$P-B"
py fill "$P-A" 20 0
uids=($(py state "$P-A" | cut -d' ' -f1))
C=$WORK/cache

# ---- Dovecot restarted while the client is connected ----
drv --cache "$C" --backoff 500 select "$P-A" , index-quiet , state , sh "bash $CTL stop" , \
	flags "${uids[0]}" +F , flags "${uids[1]}" +S , flags "${uids[2]}" +R -S , state , \
	wait-online 4000 , state , sh "bash $CTL start" , wait-online 20000 , state , stats >"$WORK/r1" 2>&1
check "online at first" test "$(connstate "$WORK/r1" 1)" = online
check "three flag changes while Dovecot is down all return OK" test "$(grep -c '^done flags' "$WORK/r1")" = 3
check "the drop is noticed: the state says reconnecting, with the 3 changes queued" \
	test "$(connstate "$WORK/r1" 2)" = reconnecting -a "$(conn queued "$WORK/r1" 2)" = 3
check "the state names a retry time within the backoff (<= 500 ms)" test "$(conn retry_in_ms "$WORK/r1" 2)" -le 500
check "4 s of store_wait while the server is down: not online" grep -q '^not-online ms=' "$WORK/r1"
n_att=$(conn attempts "$WORK/r1" 3)
check "4 s down with a 0.5 s backoff: 2..6 attempts, not a loop (got $n_att)" test "${n_att:-0}" -ge 2 -a "${n_att:-99}" -le 6
check "Dovecot back: the client is online again" grep -q '^online ms=' "$WORK/r1"
check "the queue is empty once online" test "$(connstate "$WORK/r1" 4)" = online -a "$(conn queued "$WORK/r1" 4)" = 0
r1_server() { has "$P-A" "${uids[0]}" F && has "$P-A" "${uids[1]}" S && has "$P-A" "${uids[2]}" R && ! has "$P-A" "${uids[2]}" S; }
check "the queued changes reached the server (\\Flagged, \\Seen, \\Answered without \\Seen)" r1_server
check "stats: one drop, one reconnect, 3 replayed" \
	test "$(st drops "$WORK/r1")" = 1 -a "$(st reconnects "$WORK/r1")" = 1 -a "$(st replayed "$WORK/r1")" = 3
sed 's/^/# /' "$WORK/r1" | grep -v '^# row ' | tail -12

# ---- killed in the middle of a replay, run again ----
printf 'From: me@example.test\r\nSubject: queued append %s\r\nMessage-ID: <app.%s@example.test>\r\n\r\nhello\r\n' "$P" "$P" >"$WORK/m.eml"
# fill numbers messages from 0 in UID order: uids[3] is message 3.
id3="<rc.$P-A.3@example.test>" id4="<rc.$P-A.4@example.test>"
drv --cache "$C" select "$P-A" , index-quiet , sh "bash $CTL stop" , copy "${uids[3]}" "$P-B" , \
	move "${uids[4]}" "$P-B" , append "$P-B" "$WORK/m.eml" , flags "${uids[5]}" +F , state >"$WORK/k0" 2>&1
check "offline copy, move, append, flags: all OK, 4 queued" \
	test "$(conn queued "$WORK/k0")" = 4 -a "$(grep -c '^done \(copy\|move\|append\|flags\)$' "$WORK/k0")" = 4
ctl start
drv --cache "$C" --lazy-replay 1 --die-after 1 select "$P-A" >"$WORK/k1" 2>&1; rc=$?
check "run 1 killed after the copy was confirmed, before it left the queue" test "$rc" = 9 -a "$(grep -c '^dying after replay 1' "$WORK/k1")" = 1
drv --cache "$C" --lazy-replay 1 --die-after 2 select "$P-A" >"$WORK/k2" 2>&1; rc=$?
check "run 2 finds the copy done and is killed after the move was confirmed" test "$rc" = 9
drv --cache "$C" --lazy-replay 1 --die-after 2 select "$P-A" >"$WORK/k3" 2>&1; rc=$?
check "run 3 finds the move done and is killed after the append was confirmed" test "$rc" = 9
drv --cache "$C" --lazy-replay 1 select "$P-A" , state , stats >"$WORK/k4" 2>&1
check "run 4 finishes the queue" test "$(conn queued "$WORK/k4")" = 0
check "run 4: the append found done (skipped), the flags sent" \
	test "$(st replay_skipped "$WORK/k4")" = 1 -a "$(st replayed "$WORK/k4")" = 1
check "the copy is in the target once, not twice ($id3)" test "$(count_id "$P-B" "$id3")" = 1
check "the copy's original stays" test "$(count_id "$P-A" "$id3")" = 1
check "the moved message is in the target once ($id4)" test "$(count_id "$P-B" "$id4")" = 1
check "the moved message left the source" test "$(count_id "$P-A" "$id4")" = 0
check "the append is there once" test "$(count_id "$P-B" "<app.$P@example.test>")" = 1
check "the last flag change arrived" has "$P-A" "${uids[5]}" F

# ---- the session's imap process killed ----
drv --cache "$C" --backoff 200 select "$P-A" , index-quiet , sh "bash $CTL kill" , flags "${uids[6]}" +F , \
	state , wait-online 10000 , state , stats >"$WORK/s1" 2>&1
check "killed imap process: the flag change is queued, not an error" \
	test "$(connstate "$WORK/s1" 1)" = reconnecting -a "$(conn queued "$WORK/s1" 1)" = 1
check "killed imap process: online again, queue empty" grep -q '^online ms=' "$WORK/s1"
check "killed imap process: the change reached the server" has "$P-A" "${uids[6]}" F
drv --backoff 200 select "$P-A" , index-quiet , sh "(sleep 1; bash $CTL kill) >/dev/null 2>&1 &" , wait 20000 , \
	state , wait-online 10000 , stats >"$WORK/s2" 2>&1
ms=$(sed -n 's/^wait ENET ms=\([0-9]*\).*/\1/p' "$WORK/s2")
check "killed in IDLE: store_wait returns WARY_ENET at once (${ms:-?} ms, the kill came at 1000)" test "${ms:-99999}" -lt 3000
check "killed in IDLE: the state says reconnecting, then online" \
	bash -c "grep -q '^conn reconnecting' '$WORK/s2' && grep -q '^online ms=' '$WORK/s2'"
drv --backoff 200 select "$P-A" , index-quiet , sh "(sleep 1; bash $CTL kick) >/dev/null 2>&1 &" , wait 20000 , \
	wait-online 10000 , stats >"$WORK/s3" 2>&1
ms=$(sed -n 's/^wait ENET ms=\([0-9]*\).*/\1/p' "$WORK/s3")
check "the server's BYE (doveadm kick) in IDLE: noticed (${ms:-?} ms) and online again" \
	bash -c "test '${ms:-99999}' -lt 3000 && grep -q '^online ms=' '$WORK/s3'"

# ---- IDLE and NOOP ----
drv select INBOX , index-quiet , sh "(sleep 1; python3 -c \"\$IMAP_PY\" lmtp idle-$P) >/dev/null 2>&1 &" , \
	wait-news 10000 10000 , check , stats >"$WORK/i1" 2>&1
ms=$(sed -n 's/^news ms=\([0-9]*\).*/\1/p' "$WORK/i1")
check "IDLE: a message delivered by LMTP 1 s in is news within 1 s of it (${ms:-?} ms)" test "${ms:-99999}" -lt 2000
check "IDLE: check then brings its row" grep -q $'\tidle-'"$P"$'\t' "$WORK/i1"
check "IDLE in use (IDLE sent, no NOOP polls)" test "$(st idle "$WORK/i1")" = 1 -a "$(st idles "$WORK/i1")" -ge 1 -a "$(st noops "$WORK/i1")" = 0
drv --mask idle select "$P-A" , index-quiet , sh "(sleep 1; python3 -c \"\$IMAP_PY\" fill $P-A 1 500) >/dev/null 2>&1 &" , \
	wait-news 10000 500 , check , stats >"$WORK/n1" 2>&1
ms=$(sed -n 's/^news ms=\([0-9]*\).*/\1/p' "$WORK/n1")
check "IDLE masked: a NOOP every 0.5 s finds the new message (${ms:-?} ms)" test "${ms:-99999}" -lt 3000
check "IDLE masked: check brings its row" grep -q $'\trc '"$P-A"$' 500\t' "$WORK/n1"
check "IDLE masked: NOOP polls, no IDLE" test "$(st idle "$WORK/n1")" = 0 -a "$(st idles "$WORK/n1")" = 0 -a "$(st noops "$WORK/n1")" -ge 1
drv --mask idle select "$P-A" , index-quiet , wait 700 , stats >"$WORK/n2" 2>&1
check "nothing new: store_wait times out after its 700 ms" grep -q '^wait timeout ms=[67][0-9][0-9]$' "$WORK/n2"

py delete "$P-A"; py delete "$P-B"
t_done
