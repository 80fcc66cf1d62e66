# What the command line writes for hostile messages: every payload of
# tests/unit/hostile_gen.py (escape sequences of each family, C0 and C1
# controls, bidi, line separators, invisibles, tag characters, variation
# selectors, mark floods, wide and very long text, invalid UTF-8) in every
# header field and part name, raw and encoded.  The raw bytes of stdout
# and stderr of show, inspect (text and JSON), spam classify --explain,
# browser-copy and compose are scanned (tests/unit/hostile_scan.py): nothing a terminal
# acts on, and in one-line fields no invisible code point.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
if [ ! -x "$WARY" ]; then
	not_ok "wary binary at $WARY"
	t_done; exit
fi
if [ ! -x "$PY" ]; then
	skip "hostile output" "no /usr/bin/python3"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/config XDG_CACHE_HOME=$tmp/home/cache \
	XDG_DATA_HOME=$tmp/home/data
mkdir -p "$HOME"
SCAN="$PY $TOP/tests/unit/hostile_scan.py"
n=$("$PY" "$TOP/tests/unit/hostile_gen.py" "$tmp/m")
[ "${n:-0}" -ge 1500 ] && ok "hostile_gen wrote $n messages" || not_ok "hostile_gen wrote messages ($n)"
ls "$tmp"/m/*.eml >"$tmp/all"

# scanned NAME FILE [--lines]: one check, the first findings shown.
scanned() {
	local what=$1 file=$2 lines=$3
	if $SCAN $lines "$file" "$tmp/err" >"$tmp/found"; then
		ok "$what: nothing a terminal acts on${lines:+, no invisible in a one-line field}"
	else
		not_ok "$what: $(wc -l <"$tmp/found") findings"
		head -5 "$tmp/found" | sed 's/^/#   /'
	fi
}

xargs "$WARY" show <"$tmp/all" >"$tmp/show" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && ok "show prints all $n" || not_ok "show prints all (exit $rc)"
[ "$(grep -c '^Date: ' "$tmp/show")" -ge "$n" ] && ok "show printed a header block for each" ||
	not_ok "show printed a header block for each ($(grep -c '^Date: ' "$tmp/show"))"
scanned "show" "$tmp/show"
# the header block and the attachment lines are one-line fields
grep -aE '^([A-Z][A-Za-z-]*: |\[attachment: |\[-- )' "$tmp/show" >"$tmp/show.h"
scanned "show's header and attachment lines" "$tmp/show.h" --lines
# the payload's own terminal text never arrives intact
grep -aq 'PWNED-TITLE' "$tmp/show" && ok "the title payload is shown as text" || not_ok "the title payload is shown as text"
LC_ALL=C grep -aq "$(printf '\033')]0;PWNED" "$tmp/show" && not_ok "no OSC title set" || ok "no OSC title set"

# inspect is the slow one (libmagic on every part): the text report gets
# the raw and B-encoded half, JSON the Q and Latin-1 half (each payload in
# each field both ways)
grep -E '\.(raw|b)\.eml$' "$tmp/all" >"$tmp/half1"
grep -vE '\.(raw|b)\.eml$' "$tmp/all" >"$tmp/half2"
n1=$(wc -l <"$tmp/half1"); n2=$(wc -l <"$tmp/half2")
xargs "$WARY" inspect <"$tmp/half1" >"$tmp/insp" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && ok "inspect reports all $n1" || not_ok "inspect reports all (exit $rc)"
[ "$(grep -c '^From verdict:' "$tmp/insp")" = "$n1" ] && ok "inspect: a report for each" ||
	not_ok "inspect: a report for each ($(grep -c '^From verdict:' "$tmp/insp") of $n1)"
scanned "inspect" "$tmp/insp" --lines

xargs "$WARY" inspect --json <"$tmp/half2" >"$tmp/json" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && ok "inspect --json reports all $n2" || not_ok "inspect --json reports all (exit $rc)"
scanned "inspect --json" "$tmp/json" --lines
# the strings inside, decoded from their JSON escapes, are safe too: a
# script printing a field must not get back what the escape hid
"$PY" - "$tmp/json" "$TOP/tests/unit" >"$tmp/jfound" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
import hostile_scan as hs
dec, text, i, docs, bad = json.JSONDecoder(), open(sys.argv[1], encoding="utf-8").read(), 0, 0, []
def walk(v, path):
    if isinstance(v, str):
        # links keep the text's own invisibles, with flags saying so
        for f in hs.problems(v, not path.startswith("/links"), 1):
            bad.append("%s: %s" % (path, f))
    elif isinstance(v, dict):
        for k, x in v.items():
            walk(k, path + "/<key>"); walk(x, path + "/" + k)
    elif isinstance(v, list):
        for x in v:
            walk(x, path + "[]")
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    doc, i = dec.raw_decode(text, i)
    docs += 1
    walk(doc, "")
print(docs)
for b in bad[:5]:
    print(b)
PY
docs=$(head -1 "$tmp/jfound")
[ "$docs" = "$n2" ] && ok "inspect --json: $n2 documents that parse" || not_ok "inspect --json: documents that parse ($docs of $n2)"
[ "$(wc -l <"$tmp/jfound")" = 1 ] && ok "inspect --json: no decoded string holds a control, bidi or invisible" ||
	{ not_ok "inspect --json: decoded strings hold controls"; tail -n +2 "$tmp/jfound" | sed 's/^/#   /'; }

# The spam filter quotes message tokens in --explain.
grep -E '\.(raw|b)\.eml$' "$tmp/all" | awk 'NR % 4 == 1' >"$tmp/spam"
grep -E '\.(q|latin1)\.eml$' "$tmp/all" | awk 'NR % 4 == 1' >"$tmp/ham"
xargs "$WARY" spam train --spam <"$tmp/spam" >/dev/null 2>&1 &&
	xargs "$WARY" spam train --ham <"$tmp/ham" >/dev/null 2>&1 && ok "spam trained on hostile messages" ||
	not_ok "spam trained on hostile messages"
grep -E '^'"$tmp"'/m/(Subject|From-name|X-Evil)\.' "$tmp/all" >"$tmp/cls"
xargs "$WARY" spam classify --explain <"$tmp/cls" >"$tmp/explain" 2>"$tmp/err"
grep -aq 'spam [0-9]* ham [0-9]*' "$tmp/explain" && ok "spam classify --explain lists clues" || not_ok "spam classify --explain lists clues"
scanned "spam classify --explain" "$tmp/explain" --lines

# wary browser-copy prints the HTML a browser is given.
: >"$tmp/bcopy"
for f in "$tmp"/m/All.*.raw.eml "$tmp"/m/All.*.q.eml; do
	"$WARY" browser-copy "$f" >>"$tmp/bcopy" 2>>"$tmp/err"
done
grep -aq 'Content-Security-Policy' "$tmp/bcopy" && ok "browser-copy wrote the copies" || not_ok "browser-copy wrote the copies"
scanned "browser-copy" "$tmp/bcopy"

# A reply and a forward quote the hostile headers and body into a draft.
: >"$tmp/drafts"
for f in "$tmp"/m/From-name.*.raw.eml "$tmp"/m/Subject.*.b.eml "$tmp"/m/Reply-To.*.q.eml; do
	"$WARY" -o from=me@example.org -o sendmail_command=/bin/true compose --reply "$f" >>"$tmp/drafts" 2>>"$tmp/err"
	"$WARY" -o from=me@example.org -o sendmail_command=/bin/true compose --forward "$f" >>"$tmp/drafts" 2>>"$tmp/err"
done
for f in "$tmp"/m/To.*.raw.eml "$tmp"/m/Cc.*.b.eml; do
	"$WARY" -o from=me@example.org -o sendmail_command=/bin/true compose --group "$f" >>"$tmp/drafts" 2>>"$tmp/err"
done
for f in "$tmp"/m/List-Post.*.raw.eml; do
	"$WARY" -o from=me@example.org -o sendmail_command=/bin/true compose --list "$f" >>"$tmp/drafts" 2>>"$tmp/err"
done
grep -aq '^Subject: Re: ' "$tmp/drafts" && ok "compose wrote replies" || not_ok "compose wrote replies"
# every draft keeps its header block: no field broke into a line of its own
"$PY" - "$tmp/drafts" >"$tmp/hdr" <<'PY'
import re, sys
known = ("From", "To", "Cc", "Bcc", "Subject", "Reply-To", "In-Reply-To", "References")
bad = 0
for block in re.split(rb"(?m)^From: me@example\.org\n", open(sys.argv[1], "rb").read())[1:]:
    head = block.split(b"\n\n", 1)[0]
    for line in head.split(b"\n"):
        name = line.split(b":", 1)[0].decode("latin-1")
        if name not in known:
            bad += 1
            print(repr(line[:80]))
print("bad %d" % bad)
PY
grep -q '^bad 0$' "$tmp/hdr" && ok "every draft's header block holds only its own fields" ||
	{ not_ok "a draft's header block gained a line"; head -5 "$tmp/hdr" | sed 's/^/#   /'; }
scanned "compose --reply and --forward" "$tmp/drafts"
t_done
