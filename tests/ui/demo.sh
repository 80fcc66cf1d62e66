# The real binary on a copy of the demo Maildir, driven under tmux with
# the default keymap: open, move, search, pager, header toggle, raw view,
# help, resize, flag, delete and sync; and no escape sequence from a
# message ever reaches the terminal.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

if ! command -v tmux >/dev/null; then
	skip "UI tests" "tmux is not installed"
	t_done; exit
fi
if [ ! -x "$WARY" ]; then
	not_ok "wary binary at $WARY"
	t_done; exit
fi

tmp=$(mktemp -d)
trap 'tm_stop; rm -rf "$tmp"' EXIT
cp -a "$TOP/tests/demo/Maildir" "$tmp/"
md=$tmp/Maildir
total=$(find "$md/cur" "$md/new" -type f | wc -l)
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache

tm_start 120 40 "'$WARY' -f '$md' 2>'$tmp/stderr'"
check "index shows the whole demo folder ($total msgs)" tm_wait "\[$total msgs, " 15
screen=$(tm_screen)
row38=$(tm_row 38)
case $row38 in *"wary: INBOX [$total msgs"*) ok "status line at row 38 of 40" ;; *) not_ok "status line at row 38 of 40: '$row38'" ;; esac
case $(tm_row 0) in *"?:Help"*) ok "help bar names the help key" ;; *) not_ok "help bar names the help key: '$(tm_row 0)'" ;; esac
printf '%s\n' "$screen" | grep -q "Shared water pump is broken again" &&
	ok "a thread root is listed" || not_ok "a thread root is listed"
printf '%s\n' "$screen" | grep -Eq "(├─>|└─>)" && ok "thread tree is drawn" || not_ok "thread tree is drawn"

# Decoding: encoded subjects and names arrive as UTF-8 text.
tm_keys / "Vacances" Enter
check "search finds the Q-encoded Latin-1 subject" tm_wait "Vacances à Annecy"

# The message with escapes in its Subject is shown with them visible.
tm_keys / "Invoice 8812" Enter
check "escape subject is listed with ESC shown as ^[" tm_wait 'Invoice 8812 \^\[\[2J'
tm_keys Enter
check "pager opens the escape message" tm_wait "^-- wary: Invoice 8812"
tm_keys q
check "q leaves the pager" tm_wait "\[$total msgs, "

# The welcome message: pager, weeding, raw view.
tm_keys / "Welcome to the wary" Enter Enter
check "pager shows the welcome message" tm_wait "^-- wary: Welcome to the wary demo mailbox"
if tm_screen | grep -q "^Message-ID:"; then not_ok "weeded headers hide Message-ID"; else ok "weeded headers hide Message-ID"; fi
tm_keys h
check "h shows every header" tm_wait "^Message-I[Dd]:"
tm_keys h
check "h again weeds them" tm_gone "^Message-I[Dd]:"
tm_keys e
check "e opens the raw source view" tm_wait "raw source"
tm_keys q
check "q leaves the raw view for the pager" tm_wait "^-- wary: Welcome to the wary demo mailbox"
tm_keys q

# Help is generated from the keymap.
tm_keys "?"
check "? opens help for the index" tm_wait "Keys of the index view"
check "help lists functions by their mutt names" tm_wait "display-message"
tm_keys q
check "q leaves help" tm_wait "\[$total msgs, "

# Raw view of the hostile message: escapes visible there too.
tm_keys / "Invoice 8812" Enter e
check "raw view shows the subject's ESC as ^[" tm_wait 'Subject: Invoice 8812 \^\['
tm_keys q

# Resize: the layout follows the window.
tm resize-window -t t -x 80 -y 24
check "after a resize the status line is at row 22 of 24" sh -c "
	for i in \$(seq 250); do
		tmux -L '$TMUX_SOCK' capture-pane -p -t t | sed -n 23p | grep -q 'wary: INBOX' && exit 0
		sleep 0.02
	done; exit 1"
screen=$(tm_screen)
wide=$(printf '%s\n' "$screen" | awk '{ if (length($0) > 80) n++ } END { print n + 0 }')
[ "$wide" = 0 ] && ok "no line is wider than the 80-column window" || not_ok "$wide lines wider than 80 columns"
tm resize-window -t t -x 120 -y 40
check "back to 40 rows" tm_wait "\[$total msgs, "

# Limit with a mutt pattern: only the matching rows stay.
pump=$(grep -il "^Subject:.*pump" "$md"/cur/* "$md"/new/* | wc -l)
tm_keys l "~s pump" Enter
check "l ~s pump limits the index to the $pump pump messages" tm_wait "limit: ~s pump \($pump shown\)"
rows=$(tm_screen | grep -cE "^ +[0-9]+ . [0-9]{4}-")
[ "$rows" = "$pump" ] && ok "exactly $pump rows are drawn" || not_ok "exactly $pump rows are drawn (saw $rows)"
tm_keys l "~s pump !~R" Enter
check "a pattern with ! narrows it further" tm_wait "limit: ~s pump !~R \([0-9]+ shown\)"
tm_keys l "~z" Enter
check "a bad pattern is an error that names its column" tm_wait "column [0-9]+"
tm_keys l "~A" Enter
check "~A shows everything again" tm_wait "All messages shown"
check "and the status has no limit" tm_gone "limit: "

# Flag a message: the flag lands in the Maildir file name.
tm_keys / "Lunch on Friday" Enter F
lunch=$(grep -l "^Subject: Lunch on Friday" "$md"/cur/* "$md"/new/* 2>/dev/null | head -1)
flagged=no
for i in $(seq 100); do
	if ls "$md/cur" | grep -q "$(basename "${lunch%%:*}").*:2,.*F"; then flagged=yes; break; fi
	sleep 0.05
done
[ "$flagged" = yes ] && ok "F sets the F flag in the file name" || not_ok "F sets the F flag in the file name"

# Delete and sync: the file goes away, nothing else does.
tm_keys / "Running late" Enter d
check "d marks the message deleted" tm_wait ", 1 deleted\]"
tm_keys '$'
check "\$ syncs the mailbox" tm_wait ", 0 deleted\]"
left=$(find "$md/cur" "$md/new" -type f | wc -l)
[ "$left" = $((total - 1)) ] && ok "sync removed exactly one file" || not_ok "sync removed exactly one file ($total -> $left)"
grep -lq "^Subject: Running late" "$md"/cur/* "$md"/new/* 2>/dev/null &&
	not_ok "the deleted message is gone from the Maildir" || ok "the deleted message is gone from the Maildir"

# The message whose escapes appear only after decoding (an OSC 8 link in
# a B-encoded Subject; OSC 8, C1 CSI, DCS and a fake status line in its
# body), opened in the pager and the raw view.
tm_keys / "Shared document" Enter Enter
check "pager opens the message with escapes in its body" tm_wait "^-- wary: Shared document"
tm_keys e
check "and its raw view" tm_wait "raw source"
tm_keys q q
check "back to the index" tm_wait "\[$((total - 1)) msgs, "

# No message bytes drove the terminal: what wary wrote holds no OSC, DCS,
# APC or PM introducer (ncurses needs none of them to draw), no C1 control
# as a code point, and not the hostile subject's blinking SGR.
if [ -x /usr/bin/python3 ]; then
	/usr/bin/python3 - "$TMUX_LOG" >"$tmp/bytes" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
bad = {b"\x1b]": "OSC", b"\x1bP": "DCS", b"\x1b_": "APC", b"\x1b^": "PM",
       b"\xc2\x9b": "C1 CSI", b"\xc2\x9d": "C1 OSC", b"\xc2\x90": "C1 DCS",
       b"\x1b[5;31m": "the subject's blink"}
print(len(data))
for seq, name in bad.items():
    print(("FOUND " if seq in data else "none ") + name)
PY
	n=$(head -1 "$tmp/bytes")
	[ "${n:-0}" -gt 1000 ] && ok "wary's output was captured ($n bytes)" || not_ok "wary's output was captured"
	while read -r verdict name; do
		[ "$verdict" = none ] && ok "no $name in wary's output" || not_ok "no $name in wary's output"
	done < <(tail -n +2 "$tmp/bytes" | sed 's/^FOUND/found/')
else
	skip "raw output checks" "no /usr/bin/python3"
fi
title=$(tm display-message -p -t t '#{pane_title}')
case $title in *pwned*) not_ok "pane title untouched ($title)" ;; *) ok "pane title untouched" ;; esac
[ -z "$(tm list-buffers 2>/dev/null)" ] && ok "no clipboard (OSC 52) buffer was set" || not_ok "no clipboard (OSC 52) buffer was set"

tm_keys q
ended=no
for i in $(seq 100); do tm_alive || { ended=yes; break; }; sleep 0.05; done
[ "$ended" = yes ] && ok "q quits wary" || not_ok "q quits wary"
# Under the sanitizer build a leak or UB report lands here.
if [ -s "$tmp/stderr" ]; then
	not_ok "wary wrote nothing to stderr"; sed 's/^/#   /' "$tmp/stderr" | head -30
else
	ok "wary wrote nothing to stderr"
fi
t_done
