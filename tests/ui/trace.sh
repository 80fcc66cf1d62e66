# The raw-headers view's hop table: the demo mailbox's forged chain under
# tmux, with the account's own servers given by -o trusted_hosts.
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
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache

tm_start 150 50 "'$WARY' -o 'trusted_hosts=mx1.example.org imap.example.org' -f '$md' 2>'$tmp/stderr'"
check "index is shown" tm_wait "msgs, " 15
tm_keys / "The best offer only for you" Enter e
check "raw view opens on the forged message" tm_wait "raw source"
check "the hop table counts 4 hops, boundary at hop 2" tm_wait "Received chain: 4 hops, newest first; trust boundary at hop 2; origin 203.0.113.78"
check "mx1's hop: HELO against the reverse name, may-be-forged" tm_wait "\[helo-mismatch\] \[may-be-forged\] \[trust-boundary\]"
check "the relay hop: date backwards, private address" tm_wait "\[date-backwards\] \[private-ip\]"
check "the bottom hop claims google.com from a dial-up host" tm_wait "relay-two.relay-one.test <- google.com \(dialup-78.pool.someisp.test \[203.0.113.78\]\)"
check "the raw source follows the table" tm_wait "^Return-Path: <fake@anywhere.test>"
tm_keys q
tm_keys q
t_done
