# dovecot-ctl.bash stop|start|kill|kick|freeze|thaw: the Dovecot of
# tests/servers down and up again (its mail stays), the imap processes of
# the sessions killed with SIGKILL, told to log out, or stopped with
# SIGSTOP (a peer that vanished without a FIN: the kernel still answers
# TCP, the server never does) and let go on with SIGCONT.  Used by the
# IMAP integration tests, with the environment of tests/servers/env.sh.
set -u
conf=$WARY_TEST_DOVECOT_CONF
master() { tr -dc 0-9 2>/dev/null <"$(doveconf -c "$conf" -h base_dir)/master.pid"; }
alive() { [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
kids() { local p; for p in $(ps -o pid= --ppid "$1"); do echo "$p"; kids "$p"; done; }
imaps() { ps -o pid=,comm= --ppid "$(master)" | awk '$2 == "imap" { print $1 }'; }
port_open() { (exec 3<>"/dev/tcp/$WARY_TEST_HOST/$WARY_TEST_IMAPS_PORT") 2>/dev/null; }
case $1 in
stop)
	m=$(master)
	alive "$m" || exit 0
	# A stopped process would outlive the master's TERM.
	kill -CONT $(kids "$m") 2>/dev/null
	kill $m $(kids "$m") 2>/dev/null
	for i in $(seq 1 100); do alive "$m" || break; sleep 0.05; done
	for i in $(seq 1 100); do port_open || break; sleep 0.05; done
	! port_open ;;
start)
	alive "$(master)" && exit 0
	dovecot -c "$conf" </dev/null >/dev/null 2>&1
	for i in $(seq 1 100); do port_open && break; sleep 0.05; done
	port_open ;;
kill)
	for p in $(imaps); do kill -9 "$p"; done ;;
kick)
	doveadm -c "$conf" kick "$WARY_TEST_ALICE" >/dev/null ;;
freeze)
	n=0
	for p in $(imaps); do kill -STOP "$p" && n=$((n + 1)); done
	[ "$n" -gt 0 ] ;;
thaw)
	for p in $(imaps); do kill -CONT "$p"; done ;;
*)
	echo "dovecot-ctl: stop|start|kill|kick|freeze|thaw" >&2
	exit 2 ;;
esac
