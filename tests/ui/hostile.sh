# The real binary drawing hostile messages (tests/unit/hostile_gen.py: each
# payload in the From name and the Subject, raw and RFC 2047, and in every
# part name, description and link of each message): the index, the pager
# with all headers, the attachments, links, safety, sender and raw views.
# Every byte wary wrote to the terminal is checked: no OSC, DCS, APC, PM,
# SOS, no C1 control, none of the payloads' own sequences, no invalid
# UTF-8; the layout holds (help bar on the first row, status on its row,
# one index row per line with the subject column where it belongs); and
# saving the hostile names writes only plain files inside the folder.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"
PY=/usr/bin/python3
if ! command -v tmux >/dev/null || [ ! -x "$PY" ]; then
	skip "hostile UI tests" "tmux or python3 missing"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'tm_stop; rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data HOME=$tmp
"$PY" "$TOP/tests/unit/hostile_gen.py" "$tmp/gen" >/dev/null
md=$tmp/Maildir
mkdir -p "$md/cur" "$md/new" "$md/tmp" "$tmp/saved"
i=0
for f in "$tmp"/gen/Subject.*.raw.eml "$tmp"/gen/From-name.*.raw.eml "$tmp"/gen/Subject.*.b.eml \
	"$tmp"/gen/All.*.raw.eml; do
	i=$((i + 1))
	cp "$f" "$md/cur/$(printf '%03d' $i).hostile:2,S"
done
total=$i
# a symlink planted in the save folder under a name a part could clean to
ln -s "$tmp/victim" "$tmp/saved/bashrc"
# Attachments whose names are shell code, opened through a mailcap line
# that puts %s bare, inside "..." and inside sh -c '...' (a second shell):
# each command gets the file, no name runs anything ($HOME is $tmp).
{
	printf 'From: Sender <sender@example.net>\nTo: Alex <alex@example.org>\nSubject: mailcap names\n'
	printf 'Date: Mon, 10 Jun 2024 10:00:00 +0000\nMessage-ID: <mc@example.net>\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nsee attached\n'
	for nm in 'a$(cd;touch pwned1)b.txt' "c'\$(cd;touch pwned2)'d.txt" 'e"$(cd;touch pwned3)"`cd;touch pwned4`f.txt'; do
		printf -- '--B\nContent-Type: text/plain; charset=us-ascii\nContent-Disposition: attachment; filename="%s"\n\nhello from %s\n' \
			"$(printf '%s' "$nm" | sed 's/"/\\"/g')" "$nm"
	done
	printf -- '--B--\n'
} >"$md/cur/999.mailcap:2,S"
total=$((total + 1))
mkdir -p "$tmp/out"
printf 'text/plain; cat "%%s" >>%s/out/o1 && sh -c '"'"'cat %%s'"'"' >>%s/out/o2 && cat %%s >>%s/out/o3\n' \
	"$tmp" "$tmp" "$tmp" >"$tmp/mailcap"
export MAILCAPS=$tmp/mailcap

W=120 H=40
tm_start $W $H "'$WARY' -f '$md' 2>'$tmp/stderr'"
check "the index opens on $total hostile messages" tm_wait "\[$total msgs, " 15

# layout_ok WHAT: the help bar on row 0 and the status line on row H-2
# (nothing drawn spilled onto another row).
layout_ok() {
	local s
	s=$(tm_screen)
	if printf '%s\n' "$s" | sed -n 1p | grep -q '^q:Quit\|^Q:Back\|^q:Back\|:Back ' &&
		printf '%s\n' "$s" | sed -n "$((H - 1))p" | grep -q '^-- wary: '; then
		ok "layout holds: $1"
	else
		not_ok "layout holds: $1"
		printf '%s\n' "$s" | sed 's/^/#   | /' | head -8
		printf '%s\n' "$s" | sed 's/^/#   | /' | tail -3
	fi
}

# Index rows: every row between the bars is a row of the index, and the
# From name ends where the subject column begins (display columns counted
# with the C library's wcwidth, as wary counts them).
index_ok() {
	tm_screen >"$tmp/screen"
	if "$PY" - "$tmp/screen" "$H" >"$tmp/why" <<'PY'
import ctypes, locale, re, sys
locale.setlocale(locale.LC_ALL, "C.UTF-8")
libc = ctypes.CDLL(None)
libc.wcwidth.restype = ctypes.c_int
def width(s):
    return sum(max(libc.wcwidth(ctypes.c_wchar(c)), 0) for c in s)
rows = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")
h = int(sys.argv[2])
bad = []
body = rows[1:h - 2]
for r in body:
    if not re.match(r"^ +[0-9]+ +[0-9]{4}-[0-9]{2}-[0-9]{2}   ", r):
        bad.append("not an index row: %r" % r[:60])
        continue
    m = re.search(r"  plain\s*$", r)
    if m:
        col = width(r[:m.start() + 2])
        if col != 43:
            bad.append("subject at column %d, not 43: %r" % (col, r[:70]))
print("\n".join(bad[:5]))
sys.exit(1 if bad else 0)
PY
	then ok "index rows keep their columns: $1"
	else not_ok "index rows keep their columns: $1"; sed 's/^/#   /' "$tmp/why"; fi
}
layout_ok "index"
index_ok "first page"
tm_keys '*'
sleep 0.3
index_ok "last page"
layout_ok "index, last page"
tm_keys '='

# Each message: pager with all headers, attachments, links, safety panel,
# sender verdict, raw source; back to the index and on to the next.
views=0
for k in $(seq 1 "$total"); do
	tm_keys Enter
	# the pager is open (its status line names the message, not INBOX) before
	# the next key: a key meant for it would act on the index
	tm_wait "^-- wary: ([^I]|I[^N])" 5 >/dev/null || { not_ok "message $k opens"; break; }
	tm_keys h
	[ $((k % 6)) = 1 ] && layout_ok "pager with all headers, message $k"
	# every view of every third message (the same payloads come three
	# ways: raw Subject, raw From name, encoded Subject)
	[ $((k % 3)) = 1 ] && for v in v:attachments L:links S:safety V:sender e:raw; do
		title="^-- wary: ${v#*:}"
		tm_keys "${v%%:*}"
		tm_wait "$title" 5 >/dev/null || { not_ok "view ${v#*:} of message $k opens"; continue; }
		[ $((k % 6)) = 1 ] && layout_ok "view ${v#*:} of message $k"
		if [ "${v%%:*}" = v ]; then
			# save the first attachment: its name carries the payload
			tm_keys s
			if tm_wait "Save into folder:" 5 >/dev/null; then
				tm_keys C-u "$tmp/saved" Enter
				tm_gone "Save into folder:" 5 >/dev/null
			else
				not_ok "s asks where to save an attachment of message $k"
			fi
		fi
		tm_keys q
		tm_gone "$title" 5 || not_ok "view ${v#*:} of message $k closes"
		views=$((views + 1))
	done
	tm_keys q
	tm_wait "\[$total msgs, " 5 >/dev/null || { not_ok "back to the index after message $k"; tm_screen | sed "s/^/#   | /" | head -50; break; }
	tm_keys j
done
ok "opened $total messages in $views views"

# Open the three shell-named attachments through mailcap.
tm_keys / "mailcap names" Enter Enter
tm_wait "^-- wary: mailcap names" 5 >/dev/null
tm_keys v
tm_wait "attachments \[" 5 >/dev/null
for a in 1 2 3; do
	tm_keys m
	tm_wait "exited with" 5 >/dev/null || { not_ok "attachment $a opened through mailcap"; tm_screen | tail -2 | sed 's/^/#   | /'; }
	tm_keys j
done
tm_keys q q
tm_wait "\[$total msgs, " 5 >/dev/null
ls "$tmp" | grep -q pwned && { not_ok "no attachment name ran a command"; ls "$tmp" | grep pwned | sed 's/^/#   /'; } ||
	ok "no attachment name ran a command (bare, in \"...\", in sh -c '...')"
for o in o1 o2 o3; do
	[ "$(grep -o 'hello from ' "$tmp/out/$o" 2>/dev/null | wc -l)" = 3 ] && ok "mailcap's %s ($o) got each file" ||
		{ not_ok "mailcap's %s ($o) got each file"; head -5 "$tmp/out/$o" 2>/dev/null | sed 's/^/#   /'; }
done

# Save every attachment of one message with hostile names.
tm_keys '=' Enter
tm_wait "^-- wary: ([^I]|I[^N])" 5 >/dev/null
tm_keys v
tm_wait "attachments \[" 5 >/dev/null
for a in 1 2 3 4; do
	tm_keys s
	tm_wait "Save into folder:" 5 >/dev/null || { not_ok "s asks where to save attachment $a"; tm_screen | tail -2 | sed 's/^/#   | /'; }
	tm_keys C-u "$tmp/saved" Enter
	tm_gone "Save into folder:" 5
	tm_keys j
done
tm_keys q q
sleep 0.3
tm_keys Q
for _ in $(seq 100); do tm_alive || break; sleep 0.05; done

"$PY" - "$TMUX_LOG" >"$tmp/bytes" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
print(len(data))
# ncurses' own: orig_colors (xterm's oc, OSC 104 ended by BEL), sent when
# the screen is left for a mailcap command
data = data.replace(b"\x1b]104\x07", b"")
bad = {b"\x1b]": "OSC", b"\x1bP": "DCS", b"\x1b_": "APC", b"\x1b^": "PM", b"\x1bX": "SOS",
       b"\x1b[6n": "a cursor position query", b"\x1b[c": "a device attributes query",
       b"\x1b[31;5m": "the payload's SGR", b"PWNED-TITLE\x07": "the title payload ended by BEL",
       b"\x1b\\": "ST", b"\x07": "BEL", b"\x0b": "VT", b"\x0c": "FF"}
for seq, name in bad.items():
    print(("FOUND " if seq in data else "none ") + name)
try:
    text = data.decode("utf-8")
    print("none invalid UTF-8")
except UnicodeDecodeError as e:
    print("FOUND invalid UTF-8 at %d: %r" % (e.start, data[max(0, e.start - 8):e.start + 8]))
    text = data.decode("utf-8", "replace")
c1 = re.search("[\u0080-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]", text)
print(("FOUND " if c1 else "none ") + "C1, bidi or line separator code points" +
      (" (U+%04X)" % ord(c1.group()) if c1 else ""))
PY
n=$(head -1 "$tmp/bytes")
[ "${n:-0}" -gt 100000 ] && ok "wary's output was captured ($n bytes)" || not_ok "wary's output was captured ($n)"
while read -r verdict name; do
	[ "$verdict" = none ] && ok "no $name in wary's output" || not_ok "no $name in wary's output"
done < <(tail -n +2 "$tmp/bytes" | sed 's/^FOUND/found/')
title=$(tm display-message -p -t t '#{pane_title}' 2>/dev/null)
case $title in *PWNED*) not_ok "pane title untouched ($title)" ;; *) ok "pane title untouched" ;; esac
[ -z "$(tm list-buffers 2>/dev/null)" ] && ok "no clipboard (OSC 52) buffer was set" || not_ok "no clipboard (OSC 52) buffer was set"

# What the saves wrote: plain files in the folder, nothing through the link.
[ ! -e "$tmp/victim" ] && ok "the planted symlink was not followed" || not_ok "the planted symlink was not followed"
saved=$(find "$tmp/saved" -mindepth 1 -type f | wc -l)
[ "$saved" -ge 15 ] && ok "attachments with hostile names were saved ($saved)" || not_ok "attachments with hostile names were saved ($saved)"
[ -z "$(find "$tmp/saved" -mindepth 1 ! -type f ! -name bashrc)" ] && [ -z "$(find "$tmp/saved" -mindepth 2)" ] &&
	ok "only plain files, directly in the folder" || not_ok "only plain files, directly in the folder"
"$PY" - "$tmp/saved" "$TOP/tests/unit" <<'PY' >"$tmp/names"
import os, sys
sys.path.insert(0, sys.argv[2])
import hostile_scan as hs
for n in os.listdir(sys.argv[1]):
    f = hs.problems(n, True, 1)
    if f or n.startswith(".") or n.startswith("-") or len(n.encode()) > 255:
        print(repr(n), f)
PY
[ ! -s "$tmp/names" ] && ok "saved names hold no control, bidi or invisible, no leading dot or dash" ||
	{ not_ok "saved names are clean"; sed 's/^/#   /' "$tmp/names"; }
find "$tmp/saved" -type f -perm /077 | grep -q . && not_ok "saved files are 0600" || ok "saved files are 0600"

if [ -s "$tmp/stderr" ]; then
	not_ok "wary wrote nothing to stderr"; sed 's/^/#   /' "$tmp/stderr" | head -20
else
	ok "wary wrote nothing to stderr"
fi
t_done
