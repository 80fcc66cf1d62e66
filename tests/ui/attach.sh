# Attachments in the real binary: the pager's status line says how many
# are suspicious, the attach view shows each one's declared and true type,
# and saving writes the decoded bytes under a cleaned name (no bidi, no
# path), 0600, never over an existing file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

if ! command -v tmux >/dev/null || [ ! -x /usr/bin/python3 ]; then
	skip "attachment UI tests" "tmux or python3 missing"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'tm_stop; rm -rf "$tmp"' EXIT
cp -a "$TOP/tests/demo/Maildir" "$tmp/"
md=$tmp/Maildir
mkdir -p "$tmp/saved"
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache HOME=$tmp
liar=$(grep -l "^Subject: Overdue invoice INV-20931" "$md"/new/* "$md"/cur/* | head -1)

# The decoded bytes of a named attachment, as Python's email package sees them.
part_sha() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import email, hashlib, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
for p in m.walk():
    if p.get_filename() == sys.argv[2]:
        print(hashlib.sha256(p.get_payload(decode=True)).hexdigest())
PY
}

want=$(part_sha "$liar" invoice.pdf) # before wary reads it into cur/
tm_start 120 40 "'$WARY' -f '$md' 2>'$tmp/stderr'"
tm_wait "msgs, " 15 >/dev/null
tm_keys / "Overdue invoice" Enter Enter
check "the pager's status line counts the attachments" tm_wait "2 attachments \(v\)"
check "the safety panel says what they really are" tm_wait "attachment is an executable named \.pdf"
tm_keys v
check "v lists the attachments" tm_wait "attachments \[2, 2 suspicious\]"
exe='application/(x-dosexec|vnd\.microsoft\.portable-executable)'
check "invoice.pdf is shown as the executable it is" tm_wait "invoice\.pdf +\[type-mismatch, executable\] application/pdf, really application/"
check "the .txt is shown as the ZIP it is" tm_wait "shipping-label\.txt +\[type-mismatch\] text/plain, really application/zip"
tm_keys s C-u "$tmp/saved" Enter
check "saving warns what it really is" tm_wait "Saved $tmp/saved/invoice\.pdf -- it is really $exe"
got=$(sha256sum "$tmp/saved/invoice.pdf" 2>/dev/null | cut -d' ' -f1)
[ -n "$want" ] && [ "$got" = "$want" ] && ok "the saved file holds the decoded bytes" || not_ok "the saved file holds the decoded bytes ($got vs $want)"
[ "$(stat -c %a "$tmp/saved/invoice.pdf" 2>/dev/null)" = 600 ] && ok "the saved file is 0600" || not_ok "the saved file is 0600"
tm_keys s Enter
check "saving again never overwrites" tm_wait "Saved $tmp/saved/invoice \(2\)\.pdf"
tm_keys q
check "q goes back to the pager" tm_wait "^-- wary: Overdue invoice"
tm_keys q

# The bidi file name: shown with its escape, saved without it.
tm_keys / "Pay.*roll" Enter
tm_keys / "update" Enter v
check "the bidi name is shown with the override visible" tm_wait "payslip-june-<U\+202E>fdp\.exe"
tm_keys s C-u "$tmp/saved" Enter
check "it is saved as what it is: an .exe" tm_wait "Saved $tmp/saved/payslip-june-fdp\.exe"
ls "$tmp/saved" | LC_ALL=C grep -q "$(printf '\342\200\256')" && not_ok "no saved name holds U+202E" || ok "no saved name holds U+202E"
tm_keys q q q
[ -s "$tmp/stderr" ] && { not_ok "nothing on stderr"; sed 's/^/#   /' "$tmp/stderr" | head; } || ok "nothing on stderr"
t_done
