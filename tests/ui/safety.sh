# The safety panel in the real binary: its line in the pager's chrome
# (remote content, tracking pixel, deceptive links, lying attachments),
# the details view it expands into, the link list with the real targets,
# Enter asking before $BROWSER runs, the browser copy handed to $BROWSER
# (0600, private directory, remote references removed, CSP), and an
# attachment opened through mailcap on a private copy.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

if ! command -v tmux >/dev/null; then
	skip "safety panel UI tests" "tmux missing"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'tm_stop; rm -rf "$tmp"' EXIT
cp -a "$TOP/tests/demo/Maildir" "$tmp/"
md=$tmp/Maildir
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data HOME=$tmp
# A "browser" that keeps what it was given: the file, its mode and its
# directory's mode.
cat >"$tmp/browser" <<EOF
#!/bin/sh
echo "\$1" >>"$tmp/opened"
[ -f "\$1" ] && cp "\$1" "$tmp/copy.html" && stat -c %a "\$1" >"$tmp/mode" && stat -c %a "\$(dirname "\$1")" >"$tmp/dirmode"
exit 0
EOF
chmod +x "$tmp/browser"
export BROWSER="$tmp/browser %s"
# mailcap for the attachment: text/plain copied the same way
printf 'text/plain; cp %%s %s/att.txt && stat -c %%a %%s > %s/att.mode\n' "$tmp" "$tmp" >"$tmp/.mailcap"
export MAILCAPS=$tmp/.mailcap

tm_start 140 45 "'$WARY' -f '$md' 2>'$tmp/stderr'"
tm_wait "msgs, " 15 >/dev/null

# The phishing message: deceptive links, a form, a remote logo.
tm_keys / "Unusual sign-in" Enter Enter
check "the panel line names the deceptive links" tm_wait "deceptive links"
check "the panel line counts the blocked remote image" tm_wait "1 remote image blocked|remote references? blocked"
tm_screen | grep -E "deceptive links" | head -1 | sed 's/^/# panel: /'
check "the panel is in the chrome, above the body's header block" \
	bash -c "tm() { tmux -L '$TMUX_SOCK' \"\$@\"; }; tm capture-pane -p -t t | grep -n -E 'deceptive links|^From: ' | head -2 | awk -F: 'NR==1&&/deceptive/{ok=1} END{exit !ok}'"
tm_keys S
check "S expands the panel into the details view" tm_wait "safety details"
check "the details name the hex IP decoded" tm_wait "ip 203\.0\.113\.101"
check "the details give what the mismatch is" tm_wait "the text names www\.northwind-bank\.example\.com"
check "the details say the sender's remote content stays out of the browser copy" tm_wait "removed from the browser copy too \(wary remote allow "

tm_keys q
check "q goes back to the pager" tm_wait "deceptive links"
tm_keys L
check "L lists the links" tm_wait "links \[[0-9]+, [0-9]+ deceptive\]"
check "the link list shows the real target of the lying link" \
	tm_wait "-> http://northwind-bank\.example\.com\.secure-login\.test/verify"
check "the link list shows a numeric host decoded" tm_wait "-> http://0xcb007165/nwb/login\.php +\(ip 203\.0\.113\.101\)"
check "the form is listed with where it sends the password" tm_wait "form \(POST, 2 fields, asks for a password\)"
tm_keys Enter
check "Enter shows the real target and asks" tm_wait "DECEPTIVE link\. Open the target shown above\? \(y/n\) http://northwind-bank\.example\.com\.secure-login\.test/verify\?id=88123&s=1"
tm_keys n
check "n opens nothing" tm_wait "Not opened\."
[ -e "$tmp/opened" ] && not_ok "no browser ran after n" || ok "no browser ran after n"
tm_keys j j Enter y
check "y runs \$BROWSER on the real target" tm_wait "exited with 0"
grep -q "^http://3405803877/nwb/" "$tmp/opened" 2>/dev/null && ok "the browser got the real target" ||
	{ not_ok "the browser got the real target"; sed 's/^/#   /' "$tmp/opened" 2>/dev/null; }
rm -f "$tmp/opened"
tm_keys q

# The newsletter: the tracking pixel named, the HTML to the browser.
tm_keys q / "Spring rides" Enter Enter
check "the panel names the tracking pixel's host" tm_wait "1 tracking pixel \(t\.tidewater-bikes\.example\.com\)"
tm_keys W
check "W hands the browser copy to \$BROWSER" tm_wait "remote references? removed"
[ -s "$tmp/copy.html" ] && ok "the browser got a file" || not_ok "the browser got a file"
[ "$(cat "$tmp/mode" 2>/dev/null)" = 600 ] && ok "the copy is 0600" || not_ok "the copy is 0600 ($(cat "$tmp/mode" 2>/dev/null))"
[ "$(cat "$tmp/dirmode" 2>/dev/null)" = 700 ] && ok "in a private 0700 directory" || not_ok "in a private 0700 directory"
grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$tmp/copy.html" && ok "the copy starts with a strict CSP" || not_ok "the copy starts with a strict CSP"
grep -Eq "t\.tidewater-bikes|cdn\.tidewater-bikes" "$tmp/copy.html" && not_ok "no remote reference left in the copy" || ok "no remote reference left in the copy"
grep -q "fixing punctures" "$tmp/copy.html" && ok "the copy keeps the text" || not_ok "the copy keeps the text"

# Allowed sender: the copy keeps the images (rendering still loads nothing).
from=$(grep -m1 -h "^From:" $(grep -l "^Subject: Spring rides" "$md"/cur/* "$md"/new/* | head -1) | sed 's/.*<\(.*\)>.*/\1/')
"$WARY" remote allow "$from" && "$WARY" remote list | grep -q "^$from" && ok "wary remote allow and list" || not_ok "wary remote allow and list"
tm_keys W
check "an allowed sender's copy says so" tm_wait "sender allowed: remote images kept"
grep -q "cdn\.tidewater-bikes" "$tmp/copy.html" && ok "the allowed copy keeps the remote images" || not_ok "the allowed copy keeps the remote images"
"$WARY" remote revoke "$from" && ! "$WARY" remote list | grep -q "$from" && ok "wary remote revoke" || not_ok "wary remote revoke"
"$WARY" remote revoke "$from" 2>/dev/null && not_ok "revoking twice fails" || ok "revoking twice fails"
tm_keys q

# Attachments: the panel says what they are; m opens a private copy.
tm_keys / "Overdue invoice" Enter Enter
check "the panel says the attachment is an executable named .pdf" tm_wait "attachment is an executable named \.pdf"
check "and that the .txt is really a ZIP" tm_wait "attachment \.txt is really application/zip"
tm_keys v m
check "m refuses to open a program" tm_wait "Not opened: it is really application/"
tm_keys q q

# The audit documents: a real PDF, a text file, an ELF named .pdf.
tm_keys / "Documents for the audit" Enter Enter
check "the panel: the ELF named .pdf" tm_wait "attachment is an executable named \.pdf"
tm_screen | grep "attachment is an executable" | grep -q "balance-sheet\|notes-for" && not_ok "the real PDF and the text are not in the panel" ||
	ok "the real PDF and the text are not in the panel"
tm_keys v
check "the attach view: the real PDF shown as a PDF, unflagged" tm_wait "balance-sheet-2024\.pdf +application/pdf$"
check "the attach view: the ELF named .pdf" tm_wait "reconciliation\.pdf +\[type-mismatch, executable\] application/pdf, really application/x-executable"
tm_keys j
tm_keys m
check "m opens the text file through mailcap" tm_wait "exited with 0"
cmp -s "$tmp/att.txt" <(printf 'Audit documents, June 2024\n\n1. Balance sheet (PDF)\n2. Notes for the auditors (this file)\n3. The reconciliation tool (see below)\n') &&
	ok "mailcap got the decoded bytes" || not_ok "mailcap got the decoded bytes"
[ "$(cat "$tmp/att.mode" 2>/dev/null)" = 600 ] && ok "from a 0600 copy" || not_ok "from a 0600 copy ($(cat "$tmp/att.mode" 2>/dev/null))"
tm_keys q q q
tm_stop

# A name that climbs out of the folder is saved inside it.
mkdir -p "$tmp/md2/cur" "$tmp/md2/new" "$tmp/md2/tmp" "$tmp/saved/inner"
cp "$TOP/tests/fixtures/hostile/filename-path-traversal.eml" "$tmp/md2/cur/1.fx:2,S"
tm_start 140 45 "'$WARY' -f '$tmp/md2' 2>>'$tmp/stderr'"
tm_wait "msgs, " 15 >/dev/null
tm_keys v
check "the traversal names are flagged" tm_wait "path-in-name"
tm_keys s C-u "$tmp/saved/inner" Enter
check "saved under a cleaned name" tm_wait "Saved $tmp/saved/inner/[^/ ]+"
tm_keys j s C-u "$tmp/saved/inner" Enter
tm_wait "Saved $tmp/saved/inner/[^/ ]*cron" 10 >/dev/null
tm_keys j s C-u "$tmp/saved/inner" Enter
tm_wait "Saved $tmp/saved/inner/[^/ ]*evil" 10 >/dev/null
outside=$(find "$tmp" -newer "$tmp/browser" -type f \( -name '.bashrc' -o -name 'bashrc' -o -name 'x' -o -name 'evil.bat' \) -not -path "$tmp/saved/inner/*" | head -3)
n=$(ls -A "$tmp/saved/inner" | wc -l)
[ -z "$outside" ] && [ "$n" -ge 3 ] && ok "all $n saved inside the chosen folder, nothing outside" ||
	{ not_ok "all saved inside the chosen folder, nothing outside ($n inside; outside: $outside)"; ls -A "$tmp/saved/inner" | sed 's/^/#   /'; }
tm_keys q q q
tm_stop

# On a narrow screen the selected link's target is shown whole, wrapped.
tm_start 50 30 "'$WARY' -f '$md' 2>>'$tmp/stderr'"
tm_wait "msgs" 15 >/dev/null
tm_keys / "Spring rides" Enter Enter
tm_wait "tracking pixel" 10 >/dev/null
tm_keys L
check "a long target, wrapped, ends on screen" tm_wait "YWxleEBleGFtcGxlLm9yZw"
tm_keys q q q
[ -s "$tmp/stderr" ] && { not_ok "nothing on stderr"; sed 's/^/#   /' "$tmp/stderr" | head; } || ok "nothing on stderr"
t_done
