#!/usr/bin/env bash
# The IMAP backend against real Dovecot (tests/servers): login over IMAPS
# and STARTTLS, refused logins, folders with special-use, index, flags,
# copy, move, expunge, append, fetch, the warm cache and its resync
# (QRESYNC, CONDSTORE only, neither), UIDVALIDITY change, a corrupt cache
# file, and the memory of a 10k-message index.  What the backend reports
# is compared with what a second client (python imaplib, verifying TLS
# against the test CA) reads from the server.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"

if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "IMAP backend against Dovecot" "test servers not running (tests/servers/env.sh has no environment)"
	t_done
	exit 0
fi
DRIVER=$BUILD/tests/integration/imap-driver
if ! (cd "$BUILD" && make tests/integration/imap-driver >/dev/null 2>&1); then
	not_ok "the test driver builds (make tests/integration/imap-driver in $BUILD)"
	t_done
	exit 1
fi
WORK=$(mktemp -d /tmp/wary-imap-test.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT
export IMAP_DRIVER_SECRET=$WARY_TEST_ALICE_PASS
# A folder of our own per run, so reruns and other tests do not meet.
P="t$$"

drv() { "$DRIVER" --host "$WARY_TEST_HOSTNAME" --port "$WARY_TEST_IMAPS_PORT" --user "$WARY_TEST_ALICE" \
	--ca "$WARY_TEST_CA" "$@"; }
# st NAME FILE: a value from the last "stats" line of FILE.
st() { grep '^stats ' "$2" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# The second client: "py OP ARGS" (python imaplib, verified TLS).
read -r -d '' PY <<'EOF'
import imaplib, os, re, signal, ssl, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
E = os.environ
ctx = ssl.create_default_context(cafile=E['WARY_TEST_CA'])
m = imaplib.IMAP4_SSL(E['WARY_TEST_HOSTNAME'], int(E['WARY_TEST_IMAPS_PORT']), ssl_context=ctx, timeout=30)
m.login(E['WARY_TEST_ALICE'], E['WARY_TEST_ALICE_PASS'])
op, a = sys.argv[1], sys.argv[2:]
def q(name): return '"' + name + '"'
def msg(folder, i, extra=''):
    return ('From: "Sender, Number %d" <s%d@example.test>\r\nTo: alice@example.test\r\n'
            'Subject: =?UTF-8?Q?m=C3=A9ssage?= %s %d%s\r\nMessage-ID: <%s.%d@example.test>\r\n'
            'Date: Tue, 2 Jan 2024 10:%02d:00 +0000\r\n\r\nbody %d\r\n'
            % (i, i, folder, i, extra, folder, i, i % 60, i)).encode()
if op == 'create':
    m.create(q(a[0]))
elif op == 'fill':            # fill FOLDER N [START]
    start = int(a[2]) if len(a) > 2 else 0
    for i in range(start, start + int(a[1])):
        m.append(q(a[0]), '(\\Seen)' if i % 3 == 0 else None, None, msg(a[0], i))
elif op == 'state':           # state FOLDER: "UID FLAGS SUBJECT" lines, UID ascending
    m.select(q(a[0]), readonly=True)
    typ, data = m.uid('FETCH', '1:*', '(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
    rows = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        head = item[0].decode()
        uid = int(re.search(r'UID (\d+)', head).group(1))
        fl = re.search(r'FLAGS \(([^)]*)\)', head).group(1).split()
        letters = ''.join(sorted(c for f, c in [('\\Draft', 'D'), ('\\Flagged', 'F'), ('$Forwarded', 'P'),
                                              ('\\Answered', 'R'), ('\\Seen', 'S'), ('\\Deleted', 'T')] if f in fl))
        subj = item[1].decode().split(':', 1)[1].strip()
        rows.append((uid, letters, subj))
    for r in sorted(rows):
        print('%d\t%s\t%s' % r)
elif op == 'flags':           # flags FOLDER UID +FLAGS|-FLAGS (IMAP names)
    m.select(q(a[0]))
    m.uid('STORE', a[1], a[2][0] + 'FLAGS', '(' + a[2][1:] + ')')
elif op == 'expunge-uid':     # expunge-uid FOLDER UID
    m.select(q(a[0]))
    m.uid('STORE', a[1], '+FLAGS', '(\\Deleted)')
    m.expunge()
elif op == 'status':          # status FOLDER: "MESSAGES UNSEEN"
    typ, data = m.status(q(a[0]), '(MESSAGES UNSEEN)')
    s = data[0].decode()
    print(re.search(r'MESSAGES (\d+)', s).group(1), re.search(r'UNSEEN (\d+)', s).group(1))
elif op == 'msgid':           # msgid FOLDER: Message-IDs present, sorted
    m.select(q(a[0]), readonly=True)
    typ, data = m.uid('FETCH', '1:*', '(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
    ids = sorted(item[1].decode().split(':', 1)[1].strip() for item in data if isinstance(item, tuple))
    print('\n'.join(ids))
elif op == 'body':            # body FOLDER UID -> raw bytes
    m.select(q(a[0]), readonly=True)
    typ, data = m.uid('FETCH', a[1], '(BODY.PEEK[])')
    sys.stdout.buffer.write(data[0][1])
elif op == 'uidvalidity':
    typ, data = m.status(q(a[0]), '(UIDVALIDITY)')
    print(re.search(r'UIDVALIDITY (\d+)', data[0].decode()).group(1))
elif op == 'delete':
    m.delete(q(a[0]))
m.logout()
EOF
export IMAP_PY=$PY
py() { python3 -c "$PY" "$@"; }
# The driver's index rows as "UID FLAGS SUBJECT", UID ascending (N dropped:
# \Recent belongs to whichever session saw a message first).
rows() { grep '^row ' "$1" | sed 's/^row //' |
	awk -F'\t' '{ gsub("N", "", $2); printf "%s\t%s\t%s\n", $1, $2, $4 }' | sort -n; }
same_state() { # same_state FOLDER DRIVER-OUTPUT
	py state "$1" >"$WORK/want"
	rows "$2" >"$WORK/got"
	if cmp -s "$WORK/want" "$WORK/got"; then return 0; fi
	diff "$WORK/want" "$WORK/got" | head -10 | sed 's/^/# /'
	return 1
}

# ---- login ----
drv stats >"$WORK/o" 2>&1
check "IMAPS login (verified TLS, AUTH=PLAIN chosen by auto)" grep -q '^stats .*auth=PLAIN' "$WORK/o"
"$DRIVER" --host "$WARY_TEST_HOSTNAME" --port "$WARY_TEST_IMAP_PORT" --tls starttls --user "$WARY_TEST_ALICE" \
	--ca "$WARY_TEST_CA" stats >"$WORK/o" 2>&1
check "STARTTLS login" grep -q '^open ok imap://' "$WORK/o"
drv --auth login stats >"$WORK/o" 2>&1
check "auth = login uses LOGIN" grep -q '^stats .*auth=LOGIN' "$WORK/o"
drv --mask sasl-ir --auth plain stats >"$WORK/o" 2>&1
check "AUTHENTICATE PLAIN without SASL-IR (initial response after the +)" grep -q '^stats .*auth=PLAIN' "$WORK/o"
IMAP_DRIVER_SECRET="wrong-$RANDOM-pw" drv stats >"$WORK/o" 2>&1
check "wrong password: WARY_EAUTH with the server's text" grep -q '^error open EAUTH: .*refused the login of alice: .*Authentication failed' "$WORK/o"
check "the wrong password is not echoed" bash -c "! grep -q 'wrong-.*-pw' '$WORK/o'"
IMAP_DRIVER_SECRET="wrong" drv --mask sasl-ir stats >"$WORK/o" 2>&1
check "wrong password without SASL-IR: WARY_EAUTH" grep -q '^error open EAUTH' "$WORK/o"
"$DRIVER" --host "$WARY_TEST_HOST_WRONGNAME" --port "$WARY_TEST_IMAPS_PORT" --user "$WARY_TEST_ALICE" \
	--ca "$WARY_TEST_CA" stats >"$WORK/o" 2>&1
check "a certificate for another host is refused before any login (WARY_ECERT)" grep -q '^error open ECERT' "$WORK/o"

# ---- folders ----
py create "$P-A"; py create "$P-B"
py fill "$P-A" 300
drv folders >"$WORK/o" 2>&1
ok_special=1
for sp in Sent:sent Drafts:drafts Junk:junk Trash:trash Archive:archive; do
	grep -qP "^folder ${sp%%:*}\t${sp%%:*}\t${sp##*:}\t" "$WORK/o" || ok_special=0
done
check "LIST: the five special-use folders are marked" test "$ok_special" = 1
read -r want_total want_unseen < <(py status "$P-A")
check "STATUS counts of a folder equal the server's ($want_total, $want_unseen unseen)" \
	grep -qP "^folder $P-A\t$P-A\t-\t$want_total\t$want_unseen\$" "$WORK/o"
check "INBOX listed first" bash -c "grep '^folder ' '$WORK/o' | head -1 | grep -q '^folder INBOX'"

# ---- index (cold, no cache) ----
drv select "$P-A" , index , stats >"$WORK/cold" 2>&1
check "cold index of 300 messages succeeds" grep -q '^index rows=300 ' "$WORK/cold"
check "index equals the server's UIDs, flags and subjects" same_state "$P-A" "$WORK/cold"
fb=$(sed -n 's/^index .*first_batch=\([0-9]*\).*/\1/p' "$WORK/cold")
check "the first batch is a screenful (<= 200 rows), not the whole folder (got $fb)" test "${fb:-0}" -ge 1 -a "${fb:-999}" -le 200
first_uid=$(grep -m1 '^row ' "$WORK/cold" | cut -f1 | sed 's/row //')
check "the first rows delivered are the newest (UID $first_uid > 100)" test "${first_uid:-0}" -gt 100
check "subjects stay raw (RFC 2047 not decoded by the store)" grep -q $'\t=?UTF-8?Q?m=C3=A9ssage?= ' "$WORK/cold"
check "From rebuilt from the ENVELOPE with its display name quoted" grep -q $'\t"Sender, Number 5" <s5@example.test>$' "$WORK/cold"

# ---- warm cache: QRESYNC ----
C=$WORK/cache
# (the check completes the rows the cold open left to a second pass:
# imap-details.sh; the later checks here then count only what changed)
drv --cache "$C" select "$P-A" , index-quiet , check , stats >"$WORK/c1" 2>&1
check "cold index with a cache writes the cache file" bash -c "ls '$C'/imap-*.db >/dev/null 2>&1"
drv --cache "$C" select "$P-A" , index , stats >"$WORK/c2" 2>&1
check "warm open, nothing changed: the same index" same_state "$P-A" "$WORK/c2"
check "warm open, nothing changed: not one FETCH response" \
	test "$(st fetch_rows "$WORK/c2")" = 0 -a "$(st fetch_flags "$WORK/c2")" = 0
check "warm open: every row from the cache" test "$(st cache_rows "$WORK/c2")" = 300
b1=$(st bytes_in "$WORK/c1"); b2=$(st bytes_in "$WORK/c2")
check "warm open reads < 1/20 of the cold bytes ($b2 vs $b1)" test $((b2 * 20)) -lt "$b1"
py flags "$P-A" 10 +\\Flagged; py flags "$P-A" 20 +\\Answered; py expunge-uid "$P-A" 30; py fill "$P-A" 2 1000
drv --cache "$C" select "$P-A" , index , stats >"$WORK/c3" 2>&1
check "QRESYNC reopen after changes elsewhere: index equals the server" same_state "$P-A" "$WORK/c3"
check "QRESYNC reopen: 2 new rows fetched in full, 1 vanished, only changed flags fetched" \
	test "$(st fetch_rows "$WORK/c3")" = 2 -a "$(st vanished "$WORK/c3")" = 1 -a "$(st fetch_flags "$WORK/c3")" -le 4 -a "$(st qresync "$WORK/c3")" = 1

# ---- warm cache: CONDSTORE without QRESYNC, then neither ----
py flags "$P-A" 11 +\\Flagged; py expunge-uid "$P-A" 40; py fill "$P-A" 1 2000
drv --cache "$C" --mask qresync select "$P-A" , index , stats >"$WORK/c4" 2>&1
check "CONDSTORE-only reopen: index equals the server" same_state "$P-A" "$WORK/c4"
check "CONDSTORE-only reopen: 1 new row, 1 vanished (UID SEARCH), few flags" \
	test "$(st fetch_rows "$WORK/c4")" = 1 -a "$(st vanished "$WORK/c4")" = 1 -a "$(st fetch_flags "$WORK/c4")" -le 4 -a "$(st qresync "$WORK/c4")" = 0
py flags "$P-A" 12 +\\Flagged; py expunge-uid "$P-A" 50; py fill "$P-A" 1 3000
drv --cache "$C" --mask qresync,condstore select "$P-A" , index , stats >"$WORK/c5" 2>&1
check "no CONDSTORE: reopen by the full flag list equals the server" same_state "$P-A" "$WORK/c5"
check "no CONDSTORE: 1 new row, 1 vanished, flags of every message" \
	test "$(st fetch_rows "$WORK/c5")" = 1 -a "$(st vanished "$WORK/c5")" = 1 -a "$(st fetch_flags "$WORK/c5")" -ge 299

# ---- check (new mail and changes while open) ----
drv --cache "$C" select "$P-A" , index-quiet , sh "python3 -c \"\$IMAP_PY\" fill $P-A 1 4000 && python3 -c \"\$IMAP_PY\" flags $P-A 14 +\\\\Seen && python3 -c \"\$IMAP_PY\" expunge-uid $P-A 60" , check , stats \
	>"$WORK/c6" 2>&1 </dev/null
check "check: the new message and the flag change come as rows" grep -q '^check rows=2 vanished=1$' "$WORK/c6"
check "check: the expunged UID is reported vanished" grep -q '^vanished 60$' "$WORK/c6"

# ---- UIDVALIDITY change, corrupt cache ----
uv1=$(py uidvalidity "$P-B")
py fill "$P-B" 5
drv --cache "$C" select "$P-B" , index-quiet >/dev/null 2>&1
py delete "$P-B"; sleep 1; py create "$P-B"; py fill "$P-B" 3 100
uv2=$(py uidvalidity "$P-B")
drv --cache "$C" select "$P-B" , index , stats >"$WORK/u1" 2>&1
check "UIDVALIDITY changed ($uv1 -> $uv2): cache rebuilt, index equals the server" \
	bash -c "test '$uv1' != '$uv2' && grep -q '^index rows=3 ' '$WORK/u1' && test \"\$(grep '^stats ' '$WORK/u1' | sed -n 's/.*rebuilds=\([0-9]*\).*/\1/p')\" = 1"
check "UIDVALIDITY changed: the new messages, not the old rows" same_state "$P-B" "$WORK/u1"
for f in "$C"/imap-*.db; do head -c 4096 /dev/urandom >"$f"; done
rm -f "$C"/imap-*.db-wal "$C"/imap-*.db-shm
drv --cache "$C" select "$P-A" , index , stats >"$WORK/k1" 2>&1
check "corrupt cache file: rebuilt, index equals the server" same_state "$P-A" "$WORK/k1"
check "corrupt cache file: every row fetched again" test "$(st fetch_rows "$WORK/k1")" = "$(grep -c '^row ' "$WORK/k1")"

# ---- actions, read back by the second client ----
uids=($(py state "$P-A" | cut -f1))
k1=${uids[0]} k2=${uids[1]} k3=${uids[2]} k4=${uids[3]} k5=${uids[4]}
drv select "$P-A" , flags "$k1" +FR -S , flags "$k2" +T >"$WORK/o" 2>&1
check "set_flags: the server has \\Flagged \\Answered, not \\Seen" bash -c "python3 -c \"\$IMAP_PY\" state '$P-A' | grep -qP '^$k1\tFR\t'"
check "set_flags: \\Deleted set" bash -c "python3 -c \"\$IMAP_PY\" state '$P-A' | grep -qP '^$k2\t[A-Z]*T'"
drv select "$P-A" , expunge >"$WORK/o" 2>&1
check "expunge: the \\Deleted message is gone from the server" bash -c "! python3 -c \"\$IMAP_PY\" state '$P-A' | grep -qP '^$k2\t'"
check "expunge: the others stay" bash -c "python3 -c \"\$IMAP_PY\" state '$P-A' | grep -qP '^$k1\t'"
id3=$(drv select "$P-A" , fetch "$k3" | grep -m1 -i '^Message-ID:' | tr -d '\r' | cut -d' ' -f2)
drv select "$P-A" , copy "$k3" "$P-B" >"$WORK/o" 2>&1
check "copy: the message is in the target" bash -c "python3 -c \"\$IMAP_PY\" msgid '$P-B' | grep -qF '$id3'"
check "copy: and still in the source" bash -c "python3 -c \"\$IMAP_PY\" state '$P-A' | grep -qP '^$k3\t'"
id4=$(drv select "$P-A" , fetch "$k4" | grep -m1 -i '^Message-ID:' | tr -d '\r' | cut -d' ' -f2)
drv select "$P-A" , move "$k4" "$P-B" >"$WORK/o" 2>&1
check "move (UID MOVE): in the target" bash -c "python3 -c \"\$IMAP_PY\" msgid '$P-B' | grep -qF '$id4'"
check "move (UID MOVE): gone from the source" bash -c "! python3 -c \"\$IMAP_PY\" state '$P-A' | grep -qP '^$k4\t'"
id5=$(drv select "$P-A" , fetch "$k5" | grep -m1 -i '^Message-ID:' | tr -d '\r' | cut -d' ' -f2)
drv --mask move select "$P-A" , move "$k5" "$P-B" >"$WORK/o" 2>&1
check "move without MOVE (COPY, STORE, UID EXPUNGE): in the target" bash -c "python3 -c \"\$IMAP_PY\" msgid '$P-B' | grep -qF '$id5'"
check "move without MOVE: gone from the source" bash -c "! python3 -c \"\$IMAP_PY\" state '$P-A' | grep -qP '^$k5\t'"
k6=${uids[5]}
id6=$(drv select "$P-A" , fetch "$k6" | grep -m1 -i '^Message-ID:' | tr -d '\r' | cut -d' ' -f2)
drv --mask move,uidplus select "$P-A" , move "$k6" "$P-B" >"$WORK/o" 2>&1
check "move without MOVE or UIDPLUS: copied, original kept but marked \\Deleted (no blind EXPUNGE)" \
	bash -c "python3 -c \"\$IMAP_PY\" msgid '$P-B' | grep -qF '$id6' && python3 -c \"\$IMAP_PY\" state '$P-A' | grep -qP '^$k6\t[A-Z]*T'"
printf 'From: me@example.test\r\nSubject: appended %s\r\nMessage-ID: <app.%s@example.test>\r\n\r\nhello\r\n' "$P" "$P" >"$WORK/m.eml"
drv append "$P-B" "$WORK/m.eml" SF >"$WORK/o" 2>&1
akey=$(sed -n 's/^appended //p' "$WORK/o")
check "append: the server has it with \\Seen \\Flagged under the APPENDUID key ($akey)" \
	bash -c "python3 -c \"\$IMAP_PY\" state '$P-B' | grep -qP '^$akey\tFS\tappended $P\$'"
drv select "$P-B" , fetch "$akey" >"$WORK/o" 2>&1
py body "$P-B" "$akey" >"$WORK/want.eml"
sed -n '/^fetch [0-9]*$/,/^fetch-end$/p' "$WORK/o" | sed '1d;$d' | head -c "$(stat -c %s "$WORK/want.eml")" >"$WORK/got.eml"
check "fetch: the bytes equal the server's BODY[]" cmp -s "$WORK/want.eml" "$WORK/got.eml"
drv select "$P-B" , fetch 999999 >"$WORK/o" 2>&1
check "fetch of a UID that is not there: WARY_ENOENT" grep -q '^error fetch ENOENT' "$WORK/o"
drv select "$P-NOPE" >"$WORK/o" 2>&1
check "select of a folder that does not exist: WARY_ENOENT" grep -q '^error select ENOENT' "$WORK/o"

# ---- 10k messages: streamed, bounded memory ----
BIG="$P-Big"
py create "$BIG"
MD="$WARY_TEST_MAILDIR_ROOT/$WARY_TEST_ALICE/Maildir/.$BIG"
if [ -d "$MD/cur" ]; then
	python3 - "$MD" <<'EOF'
import os, sys, time
md = sys.argv[1]
now = int(time.time())
for i in range(10000):
    name = '%d.M%dP1.bench:2,%s' % (now, i, 'S' if i % 2 else '')
    data = ('From: "Big Sender %d" <big%d@example.test>\nTo: alice@example.test\nSubject: big message %d\n'
            'Message-ID: <big.%d@example.test>\nReferences: <big.%d@example.test>\nDate: Wed, 3 Jan 2024 10:00:00 +0000\n'
            'Content-Type: text/plain; charset=utf-8\n\n%s\n' % (i, i, i, i, i - 1, 'x' * 2000)).encode()
    with open(os.path.join(md, 'cur', name), 'wb') as f:
        f.write(data)
EOF
	chown -R nobody:nogroup "$MD" 2>/dev/null
	doveadm -c "$WARY_TEST_DOVECOT_CONF" index -u "$WARY_TEST_ALICE" "$BIG" >/dev/null 2>&1
	drv select "$P-B" , index-quiet , stats >"$WORK/small" 2>&1
	drv select "$BIG" , index-quiet , stats >"$WORK/big" 2>&1
	check "index of 10000 messages" grep -q '^index rows=10000 ' "$WORK/big"
	r0=$(st maxrss_kb "$WORK/small"); r1=$(st maxrss_kb "$WORK/big")
	echo "# peak RSS: ${r0} KB for a few messages, ${r1} KB for 10000 ($(( (r1 - r0) * 1024 / 10000 )) bytes a message)"
	if ldd "$DRIVER" 2>/dev/null | grep -q 'libasan'; then
		# ASan keeps freed memory in quarantine: its peak says nothing about ours.
		skip "10000 messages cost < 1.5 KB of peak memory each" "built with AddressSanitizer"
	else
		check "10000 messages cost < 1.5 KB of peak memory each (streamed, not 5 KB held)" \
			test $(( (r1 - r0) * 1024 )) -lt $((10000 * 1536))
	fi
	check "every FETCH response was handled one by one (10000)" test "$(st fetch_rows "$WORK/big")" = 10000
else
	skip "index of 10000 messages" "no Maildir++ folder at $MD to fill"
fi
py delete "$BIG" 2>/dev/null
py delete "$P-A"; py delete "$P-B"
t_done
