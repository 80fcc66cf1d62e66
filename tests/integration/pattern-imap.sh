#!/usr/bin/env bash
# Pattern search on IMAP against real Dovecot (tests/servers): eight
# messages written for the test are appended by a second client (python
# imaplib), then for each pattern the UIDs the server finds (store_search:
# one UID SEARCH) must equal both the UIDs the local evaluation finds on
# the same messages (pattern_match on the index rows, messages fetched for
# ~b ~B ~c ~C ~h) and the answer written down here.  Strings that could
# inject IMAP (quotes, backslashes, CR/LF, 8-bit) go as literals; after
# each of them the connection must still answer the next pattern right.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"

if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "pattern search against Dovecot" "test servers not running (tests/servers/env.sh has no environment)"
	t_done
	exit 0
fi
DRIVER=$BUILD/tests/integration/pattern-driver
if ! (cd "$BUILD" && make tests/integration/pattern-driver >/dev/null 2>&1); then
	not_ok "the test driver builds (make tests/integration/pattern-driver in $BUILD)"
	t_done
	exit 1
fi
WORK=$(mktemp -d /tmp/wary-pattern-test.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT
export IMAP_DRIVER_SECRET=$WARY_TEST_ALICE_PASS
# A folder of our own per run, so reruns and other tests do not meet.
F="pat$$"
export PAT_FOLDER=$F

python3 - <<'EOF'
import base64, imaplib, os, ssl
E = os.environ
ctx = ssl.create_default_context(cafile=E['WARY_TEST_CA'])
m = imaplib.IMAP4_SSL(E['WARY_TEST_HOSTNAME'], int(E['WARY_TEST_IMAPS_PORT']), ssl_context=ctx, timeout=30)
m.login(E['WARY_TEST_ALICE'], E['WARY_TEST_ALICE_PASS'])
f = '"' + E['PAT_FOLDER'] + '"'
m.create(f)
def b64(s, cs='utf-8'): return base64.b64encode(s.encode(cs)).decode()
def msg(head, body):
    return (head.strip('\n').replace('\n', '\r\n') + '\r\n\r\n' + body.replace('\n', '\r\n')).encode('latin-1')
koi_name = '=?KOI8-R?B?' + b64('Ольга Петрова', 'koi8-r') + '?='
koi_subj = '=?KOI8-R?B?' + b64('Смета на ремонт дачи', 'koi8-r') + '?='
msgs = [
 ('(\\Seen)', msg('''
From: Hannah Cole <hannah@cole.example.com>
To: alex@example.test
Subject: Shared water pump is broken
Date: Sat, 02 Mar 2024 09:14:02 +0000
Message-ID: <p1@example.test>
''', 'The pump in the allotment is broken again.\n')),
 ('(\\Seen \\Flagged)', msg('''
From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <juergen@example.net>
To: alex@example.test
Cc: Hannah Cole <hannah@cole.example.com>
Subject: =?UTF-8?Q?Re:_Gr=C3=BC=C3=9Fe?=
Date: Tue, 05 Mar 2024 12:00:00 +0000
Message-ID: <p2@example.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable
''', 'Gr=FC=DFe aus dem Garten\n')),
 ('()', msg('''
From: Sam Reyes <sam@example.net>
To: alex@example.test
Subject: Pump quote
Date: Sat, 09 Mar 2024 12:00:00 +0000
Message-ID: <p3@example.test>
X-Priority-Tag: urgent
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64
''', b64('Quote for the new Pumpe: 400 EUR\n') + '\n')),
 ('(\\Seen \\Deleted)', msg('''
From: Dev Patel <dev@patel.example.net>
To: Sam <sam@example.net>
Cc: alex@example.test
Subject: Minutes
Date: Tue, 12 Mar 2024 12:00:00 +0000
Message-ID: <p4@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b4"
''', '--b4\nContent-Type: text/plain\n\nminutes attached\n--b4\nContent-Type: text/plain; name="l.txt"\n'
     'Content-Disposition: attachment; filename="l.txt"\nContent-Transfer-Encoding: base64\n\n'
     + b64('the secret ledger\n') + '\n--b4--\n')),
 ('(\\Answered)', msg('''
From: "Weird \\"quoted\\" name" <w@example.org>
To: bob@example.test
Subject: back\\slash and "quotes"
Date: Thu, 14 Mar 2024 12:00:00 +0000
Message-ID: <p5@example.test>
''', 'a line with a (paren) and {5} braces\n')),
 ('(\\Flagged)', msg('''
From: Hannah Cole <hannah@cole.example.com>
To: bob@example.test
Subject: tea and cake
Date: Wed, 20 Mar 2024 12:00:00 +0000
Message-ID: <p6@example.test>
''', 'On the 30th.\n')),
 ('(\\Seen)', msg('''
From: news@example.com
To: bob@example.test
Subject: Newsletter
Date: Thu, 01 Feb 2024 12:00:00 +0000
Message-ID: <p7@example.test>
''', 'unsubscribe here\n')),
]
olga = ('Привет, Алекс!\nКрышу надо чинить до лета, иначе будем спать под зонтиками.\n')
msgs.append(('(\\Seen)', ('From: %s <olga@pochta.test>\r\nTo: bob@example.test\r\nSubject: %s\r\n'
    'Date: Wed, 28 Feb 2024 12:00:00 +0000\r\nMessage-ID: <p8@example.test>\r\nMIME-Version: 1.0\r\n'
    'Content-Type: text/plain; charset=KOI8-R\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n'
    % (koi_name, koi_subj, b64(olga, 'koi8-r'))).encode()))
for flags, data in msgs:
    typ, _ = m.append(f, flags, None, data)
    assert typ == 'OK'
m.logout()
EOF
check "eight messages appended by a second client" test $? = 0

# case PATTERN UIDS: the pattern and the right answer (written down from
# the messages above).  "~d <10d" and "~d >2w" are reckoned from Fri 15
# Mar 2024 12:00 UTC, the driver's --now.
PATS=() WANTS=()
case_() { PATS+=("$1"); WANTS+=("$2"); }
case_ '~f hannah' '1 6'
case_ 'hannah' '1 6'
case_ '~c hannah' '2'
case_ '~C alex' '1 2 3 4'
case_ '~t bob' '5 6 7 8'
case_ '~s pump' '1 3'
case_ '~s pump ~d 01/03/24-05/03/24' '1'
case_ '~d 05/03/24' '2'
case_ '~d 02/03/24-12/03/24' '1 2 3 4'
case_ '~d <10d' '3 4 5 6'
case_ '~d >2w' '7 8'
case_ '~b garten' '2'
case_ '~b PUMPE' '3'
case_ '~B urgent' '3'
case_ "~h 'X-Priority-Tag: urg'" '3'
case_ '~h X-Priority-Tag:' '3'
case_ "~h 'X-Absent:'" ''
case_ '!~R' '3 5 6'
case_ '~U' '3 5 6'
case_ '~R' '1 2 4 7 8'
case_ '~F' '2 6'
case_ '~D' '4'
case_ '~N' '3 5 6'
case_ '~O' ''
case_ '~A' '1 2 3 4 5 6 7 8'
case_ '(~f hannah | ~f sam) !~F' '1 3'
case_ '~f hannah | ~s pump ~U' '1 3 6'
case_ '!(~F | ~D) ~R' '1 7 8'
case_ "~s 'back\\slash'" '5'
case_ "~s '\"quotes\"'" '5'
case_ "~b '(paren) and {5}'" '5'
case_ '~f Jürgen' '2'
case_ '~s GRÜ' '2'
case_ '~f ольга' '8'
case_ '~s СМЕТА' '8'
case_ '~b ЗОНТИКАМИ' '8'
case_ '~b ledger' '4'
case_ "~B 'secret ledger'" '4'
# injection attempts: each would find every message if it got through
case_ "~s 'a\" OR ALL \"'" ''
case_ "~s 'x\") OR ALL ('" ''
case_ "~s '\\'" '5'
case_ "~h 'X-{5}: x'" ''
# a line break in a string is refused before anything is sent
case_ $'~b "a\r\nA1 LOGOUT"' 'refused: pattern: column 6: a line break inside a string'
case_ $'~s "\n" | ~A' 'refused: pattern: column 5: a line break inside a string'
# and the connection is still in step
case_ '~s pump' '1 3'

TZ=UTC "$DRIVER" --host "$WARY_TEST_HOSTNAME" --port "$WARY_TEST_IMAPS_PORT" --user "$WARY_TEST_ALICE" \
	--ca "$WARY_TEST_CA" --now 1710504000 "$F" "${PATS[@]}" >"$WORK/out" 2>&1
check "the driver ran every pattern" test $? = 0
check "the index holds the eight messages" grep -qx 'rows 8' "$WORK/out"
for i in "${!PATS[@]}"; do
	n=$((i + 1))
	want=${WANTS[$i]}
	shown=$(printf '%s' "${PATS[$i]}" | sed 's/\r/\\r/g' | tr '\n' '|')
	server=$(sed -n "s/^server $n: *//p" "$WORK/out")
	local_=$(sed -n "s/^local $n: *//p" "$WORK/out")
	if [ "${want#refused: }" != "$want" ]; then
		if grep -qxF "error $n -3: ${want#refused: }" "$WORK/out"; then
			ok "$shown: refused (${want#refused: })"
		else
			not_ok "$shown: want refused (${want#refused: }), got: $(grep "^[a-z]* $n[: ]" "$WORK/out")"
		fi
	elif grep -q "^error $n " "$WORK/out"; then
		not_ok "$shown: $(grep "^error $n " "$WORK/out" | head -1)"
	elif [ "$server" = "$want" ] && [ "$local_" = "$want" ]; then
		ok "$shown: server and local evaluation both find [$want]"
	else
		not_ok "$shown: want [$want], server [$server], local [$local_]"
	fi
done

# The folder goes; the messages were ours.
python3 -c '
import imaplib, os, ssl
E = os.environ
m = imaplib.IMAP4_SSL(E["WARY_TEST_HOSTNAME"], int(E["WARY_TEST_IMAPS_PORT"]),
    ssl_context=ssl.create_default_context(cafile=E["WARY_TEST_CA"]), timeout=30)
m.login(E["WARY_TEST_ALICE"], E["WARY_TEST_ALICE_PASS"])
m.delete("\"" + E["PAT_FOLDER"] + "\"")
m.logout()' >/dev/null 2>&1
t_done
