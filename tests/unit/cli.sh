# The command line faces of the real binary: usage errors, check-config
# with file:line errors, -o overrides, inspect and show on real messages,
# and errors that quote hostile names made safe.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$WARY" ]; then
	not_ok "wary binary at $WARY"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache HOME=$tmp
demo=$TOP/tests/demo/Maildir
welcome=$(grep -l "^Subject: Welcome to the wary demo mailbox" "$demo"/cur/* | head -1)

"$WARY" --version | grep -Eq '^wary [0-9]+\.[0-9]+' && ok "--version" || not_ok "--version"
"$WARY" --help | grep -q "wary inspect" && ok "--help lists the commands" || not_ok "--help lists the commands"
"$WARY" --no-such-option >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "unknown option" "$tmp/err" && ok "an unknown option is a usage error (2)" || not_ok "an unknown option is a usage error (got $rc)"
"$WARY" frobnicate >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "unknown command frobnicate" "$tmp/err" && ok "an unknown command is a usage error" || not_ok "an unknown command is a usage error (got $rc)"

# check-config: clean, then a file with mistakes.
"$WARY" check-config >"$tmp/out" 2>&1 && ok "check-config with no file passes" || not_ok "check-config with no file passes"
mkdir -p "$tmp/config/wary"
printf 'set sort = threads\nset no_such_setting = 1\nset wrap = many\n' >"$tmp/config/wary/config"
"$WARY" check-config >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && ok "check-config fails on a bad file" || not_ok "check-config fails on a bad file (got $rc)"
grep -q "config:2:" "$tmp/out" && ok "the unknown setting is reported at line 2" || { not_ok "the unknown setting is reported at line 2"; sed 's/^/#   /' "$tmp/out"; }
"$WARY" -f "$demo" </dev/null >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "config:2:" "$tmp/err" && ok "the client refuses to start on a bad config, naming file:line" || not_ok "client refuses a bad config (got $rc)"
rm "$tmp/config/wary/config"

"$WARY" -o sort=date check-config >"$tmp/out"
grep -q 'sort = "date"   # -o' "$tmp/out" && ok "-o overrides a setting and says so" || not_ok "-o overrides a setting and says so"
"$WARY" -o sort=sideways check-config >/dev/null 2>&1 && not_ok "-o with a bad value fails" || ok "-o with a bad value fails"
printf 'bind index x no-such-function\n' >"$tmp/bad.keys"
"$WARY" -o keymap="$tmp/bad.keys" check-config >"$tmp/out"; rc=$?
[ $rc = 1 ] && grep -q "bad.keys:1: unknown function 'no-such-function'" "$tmp/out" &&
	ok "check-config reports the keys file with file:line" || not_ok "check-config reports the keys file (got $rc)"

# inspect and show on real messages.
"$WARY" inspect "$welcome" >"$tmp/out" && grep -q "Welcome to the wary demo mailbox" "$tmp/out" &&
	ok "inspect prints the decoded headers" || not_ok "inspect prints the decoded headers"
if [ -x /usr/bin/python3 ]; then
	"$WARY" inspect --json "$welcome" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["from"]["address"]=="demo@wary.example.org", d["from"]' &&
		ok "inspect --json gives the real From address" || not_ok "inspect --json gives the real From address"
else
	skip "inspect --json" "no /usr/bin/python3"
fi
"$WARY" inspect --json - <"$welcome" | grep -q '"ambiguous": *false' && ok "inspect reads stdin with -" || not_ok "inspect reads stdin with -"
"$WARY" show "$welcome" >"$tmp/out" && grep -q "^Subject: Welcome to the wary demo mailbox" "$tmp/out" && grep -q "^Hello Alex," "$tmp/out" &&
	ok "show prints header block and body" || not_ok "show prints header block and body"
n=$("$WARY" show "$demo"/cur/* "$demo"/new/* | grep -c "^Date: ")
[ "$n" -ge 50 ] && ok "show renders the whole demo ($n header blocks)" || not_ok "show renders the whole demo ($n)"
"$WARY" show "$demo"/cur/* "$demo"/new/* | LC_ALL=C grep -q "$(printf '\033')" && not_ok "no ESC in show's output" || ok "no ESC in show's output"

# Many files are rendered in parallel but printed in order: the same bytes
# as one file at a time, joined by the blank line show puts between them.
ls "$demo"/cur/* "$demo"/new/* >"$tmp/files"
xargs "$WARY" show <"$tmp/files" >"$tmp/par" 2>/dev/null
first=1; : >"$tmp/ser"
while read -r f; do
	[ $first = 1 ] || echo >>"$tmp/ser"
	first=0
	"$WARY" show "$f" >>"$tmp/ser" 2>/dev/null
done <"$tmp/files"
cmp -s "$tmp/par" "$tmp/ser" && ok "show of many files keeps their order and bytes" || not_ok "show of many files keeps their order and bytes"

# Errors quote what they could not read, made safe.
evil="$tmp/$(printf 'x\033]0;pwned\007y')"
"$WARY" inspect "$evil" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && ok "a missing file is an error (1)" || not_ok "a missing file is an error (got $rc)"
LC_ALL=C grep -q "$(printf '\033')" "$tmp/err" && not_ok "the error shows the name without its ESC" || ok "the error shows the name without its ESC"
grep -q '\^\[' "$tmp/err" && ok "and with ^[ in its place" || not_ok "and with ^[ in its place"

"$WARY" -f "$tmp/nowhere" </dev/null >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "nowhere: No such file" "$tmp/err" && ok "a missing Maildir is a clear error" || not_ok "a missing Maildir is a clear error (got $rc)"
"$WARY" -f "$demo" </dev/null >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "needs a terminal" "$tmp/err" && ok "without a terminal the client says so" || not_ok "without a terminal the client says so (got $rc)"
t_done
