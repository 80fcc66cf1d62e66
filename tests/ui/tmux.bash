# Driving the real wary under tmux: start it in a private tmux server,
# send keys, wait for screen content (never a fixed sleep), capture.
# Sourced by tests/ui/*.sh after tests/lib.sh.
TMUX_N=0
TMUX_SOCK=wary-test-$$-0
TMUX_LOG=
tm() { tmux -L "$TMUX_SOCK" "$@"; }

# tm_start W H CMD...: a detached session running CMD, its raw output
# (every byte wary writes) copied to $TMUX_LOG.
tm_start() {
	local w=$1 h=$2; shift 2
	# A new server each time: a killed one may still hold its socket.
	TMUX_N=$((TMUX_N + 1))
	TMUX_SOCK=wary-test-$$-$TMUX_N
	TMUX_LOG=$(mktemp)
	tm -f /dev/null new-session -d -s t -x "$w" -y "$h" \
		"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $*; sleep 30" || return 1
	tm set-option -t t -g remain-on-exit on >/dev/null 2>&1
	tm pipe-pane -t t -o "cat >>'$TMUX_LOG'"
}
tm_stop() {
	# Let a client that was told to quit finish first: killing the pane
	# under it mid-exit (a sanitizer's leak check runs then) can hang it.
	local i=0
	while [ "$i" -lt 150 ] && tm_alive 2>/dev/null; do
		sleep 0.02
		i=$((i + 1))
	done
	tm kill-server >/dev/null 2>&1
	rm -f "/tmp/tmux-$(id -u)/$TMUX_SOCK"
	[ -n "$TMUX_LOG" ] && rm -f "$TMUX_LOG"
	TMUX_LOG=
}
tm_screen() { tm capture-pane -p -t t; }
tm_keys() { tm send-keys -t t "$@"; }
# tm_wait REGEX [SECONDS]: until the screen matches (grep -E).
tm_wait() {
	local re=$1 limit=${2:-10} i=0
	while [ "$i" -lt $((limit * 50)) ]; do
		tm_screen 2>/dev/null | grep -Eq -- "$re" && return 0
		sleep 0.02
		i=$((i + 1))
	done
	echo "# timed out waiting for: $re"; tm_screen | sed 's/^/#   | /'
	return 1
}
# tm_gone REGEX [SECONDS]: until the screen no longer matches.
tm_gone() {
	local re=$1 limit=${2:-10} i=0
	while [ "$i" -lt $((limit * 50)) ]; do
		tm_screen 2>/dev/null | grep -Eq -- "$re" || return 0
		sleep 0.02
		i=$((i + 1))
	done
	echo "# still on screen: $re"; return 1
}
# tm_row N: one screen row (0-based).
tm_row() { tm_screen | sed -n "$(($1 + 1))p"; }
# tm_alive: is wary still running in the pane?
tm_alive() {
	local c
	c=$(tm display-message -p -t t '#{pane_current_command}' 2>/dev/null) || return 1
	[ -n "$c" ] && [ "$c" != sleep ]
}
