# Keymaps in the real binary: the vim and simple presets drive it, a
# user's keys file with a mistake is reported with file:line and what
# parsed still works, a macro runs functions, and an unbound key says so.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

if ! command -v tmux >/dev/null; then
	skip "UI keymap tests" "tmux is not installed"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'tm_stop; rm -rf "$tmp"' EXIT
cp -a "$TOP/tests/demo/Maildir" "$tmp/"
md=$tmp/Maildir
total=$(find "$md/cur" "$md/new" -type f | wc -l)
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache
ready="\[$total msgs, "

# vim: gg goes to the first message, G to the last, ^D pages.
tm_start 120 40 "'$WARY' -o keymap=vim -f '$md' 2>'$tmp/stderr'"
check "vim preset: the index opens" tm_wait "$ready" 15
tm_keys g g Enter
check "vim preset: gg then Enter opens the first (oldest) message" tm_wait "^-- wary: Welcome to the wary demo mailbox"
tm_keys q G Enter
check "vim preset: G then Enter opens the last row" tm_wait "^-- wary: (Your password|Overdue|Pay|Invoice|Shared|Re: Shared|The best|L0se|New address)"
tm_keys q F1
check "vim preset: help names the vim keymap" tm_wait "keymap: vim"
tm_keys q q
tm_stop

# simple: arrows and Enter, F1 for help, Esc back.
tm_start 120 40 "'$WARY' -o keymap=simple -f '$md' 2>'$tmp/stderr'"
check "simple preset: the index opens" tm_wait "$ready" 15
tm_keys F1
check "simple preset: F1 opens help" tm_wait "keymap: simple"
tm_keys Escape
check "simple preset: Esc leaves help" tm_wait "$ready"
tm_stop

# A user's file with an unknown function: the error names file and line,
# the good lines still work (a macro that searches, then opens).
cat >"$tmp/my.keys" <<'EOF'
include default
bind index x no-such-function
macro index W "/Welcome<Enter><display-message>" "open the welcome message"
EOF
tm_start 120 40 "'$WARY' -o keymap='$tmp/my.keys' -f '$md' 2>'$tmp/stderr'"
check "a bad line is reported with file:line" tm_wait "my.keys:2: unknown function 'no-such-function'" 15
tm_keys W
check "a macro mixing keys and <function> calls runs" tm_wait "^-- wary: Welcome to the wary demo mailbox"
tm_keys q x
check "the broken binding is not bound" tm_wait "Key is not bound"
tm_keys q
tm_stop
[ -s "$tmp/stderr" ] && { not_ok "nothing on stderr"; sed 's/^/#   /' "$tmp/stderr"; } || ok "nothing on stderr"
t_done
