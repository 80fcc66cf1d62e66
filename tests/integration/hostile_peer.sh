#!/usr/bin/env bash
# Servers that put terminal sequences in what they say (tests/peer/*-hostile-*):
# an SMTP refusal through `wary send` and `wary outbox list`, a POP3 login
# refusal through `wary fetch`, POP3 UIDLs and a message that look like
# paths (the Maildir names are wary's own), and IMAP folder names with ESC,
# BEL, RLO and backspaces drawn by the folder view under tmux (one with a
# CR LF that would split the client's next command is left out).  The raw
# bytes of stdout, stderr and the terminal are scanned.  Needs no servers.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"
. "$TOP/tests/ui/tmux.bash"
PEER=$TOP/tests/peer
PY=/usr/bin/python3
if [ ! -x "$PY" ] || [ ! -x "$WARY" ]; then
	skip "hostile peers" "no python3 or no wary binary"
	t_done; exit
fi
W=$(mktemp -d /tmp/wary-hostile-peer.XXXXXX)
trap 'tm_stop; rm -rf "$W"' EXIT
export HOME=$W/home XDG_CONFIG_HOME=$W/home/config XDG_DATA_HOME=$W/home/data XDG_CACHE_HOME=$W/home/cache
mkdir -p "$XDG_CONFIG_HOME/wary" "$W/md/cur" "$W/md/new" "$W/md/tmp"
SCAN="$PY $TOP/tests/unit/hostile_scan.py"
(
	cd "$W" &&
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out ca.crt -days 2 -subj "/O=wary tests/CN=hostile peer CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout leaf.key -out leaf.csr -subj "/O=wary tests/CN=localhost" &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >leaf.ext &&
	openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile leaf.ext -out good.crt
) >"$W/openssl.log" 2>&1
check "test certificates made with openssl" test -s "$W/good.crt"

# start_peer NAME SCRIPT: the peer in the background; its port in $PORT.
start_peer() {
	local i
	"$PY" "$PEER/peer.py" "$PEER/$2" --set CERT="$W/good.crt" --set KEY="$W/leaf.key" --timeout 10 \
		--log "$W/$1.log" >"$W/$1.port" 2>"$W/$1.peer-err" &
	PEER_PID=$!
	PORT=
	for i in $(seq 1 100); do
		PORT=$(sed -n 's/^port //p' "$W/$1.port" 2>/dev/null)
		[ -n "$PORT" ] && break
		sleep 0.05
	done
}
# config ACCOUNT SETTINGS...: one account block, the file rewritten.
config() {
	local name=$1
	shift
	{
		echo "account $name {"
		for s in "$@"; do echo "    set $s"; done
		echo "    set ca_file = $W/ca.crt"
		echo "    set password_command = \"echo peer-pw\""
		echo "}"
	} >"$XDG_CONFIG_HOME/wary/config"
}
# scanned WHAT FILE...: nothing a terminal acts on in the files.
scanned() {
	local what=$1
	shift
	if $SCAN "$@" >"$W/found"; then ok "$what: nothing a terminal acts on"
	else not_ok "$what"; head -5 "$W/found" | sed 's/^/#   /'; fi
}

# ------------------------------------------------------------------ SMTP
start_peer smtp smtp-hostile-reply.peer
config s "smtp_host = 127.0.0.1" "smtp_port = $PORT" "smtp_tls = implicit" "smtp_user = alice" \
	"from = alice@example.test"
printf 'To: bob@example.test\nSubject: hi\n\nbody\n' >"$W/draft"
timeout 20 "$WARY" send -a s "$W/draft" >"$W/send.out" 2>"$W/send.err"; rc=$?
wait "$PEER_PID"
[ $rc = 1 ] && ok "send: the refusal is a failure (1)" || not_ok "send: the refusal is a failure (got $rc)"
grep -q '550' "$W/send.err" && grep -q 'PWNED-TITLE' "$W/send.err" &&
	ok "send: the server's refusal is quoted" || { not_ok "send: the server's refusal is quoted"; sed 's/^/#   /' "$W/send.err"; }
grep -q '^C: MAIL FROM' "$W/smtp.log" && ok "send: the peer got as far as MAIL FROM" || not_ok "send: the peer got as far as MAIL FROM"
scanned "send's stdout and stderr" "$W/send.out" "$W/send.err"
timeout 20 "$WARY" outbox list -a s >"$W/list.out" 2>"$W/list.err"
grep -q 'PWNED-TITLE' "$W/list.out" && ok "outbox list shows the last error" || not_ok "outbox list shows the last error"
scanned "outbox list" "$W/list.out" "$W/list.err"

# ------------------------------------------------------------------ POP3
start_peer pop3 pop3-hostile-reply.peer
config p "pop3_host = 127.0.0.1" "pop3_port = $PORT" "tls = implicit" "imap_user = alice" \
	"maildir = $W/md"
timeout 20 "$WARY" fetch -a p >"$W/fetch.out" 2>"$W/fetch.err"; rc=$?
wait "$PEER_PID"
[ $rc = 1 ] && grep -q 'PWNED-TITLE' "$W/fetch.err" && ok "fetch: the refused login is reported with the server's text" ||
	{ not_ok "fetch: the refused login is reported (exit $rc)"; sed 's/^/#   /' "$W/fetch.err"; }
scanned "fetch's stdout and stderr" "$W/fetch.out" "$W/fetch.err"

start_peer uidl pop3-hostile-uidl.peer
config p "pop3_host = 127.0.0.1" "pop3_port = $PORT" "tls = implicit" "imap_user = alice" \
	"maildir = $W/md"
timeout 20 "$WARY" fetch -a p >"$W/fetch2.out" 2>"$W/fetch2.err"; rc=$?
wait "$PEER_PID"
grep -q '^p: 1 new' "$W/fetch2.out" && ok "fetch: the message with a path-like UIDL is delivered" ||
	{ not_ok "fetch: the message with a path-like UIDL is delivered"; sed 's/^/#   /' "$W/fetch2.out" "$W/fetch2.err"; }
grep -q 'no usable UIDL' "$W/fetch2.out" && ok "fetch: the UIDL with controls is refused, saying so" || not_ok "fetch: the UIDL with controls is refused"
scanned "fetch's notices" "$W/fetch2.out" "$W/fetch2.err"
[ -z "$(find "$W" -name '*pwned*')" ] && ok "no file named after the UIDL, Subject or Message-ID" ||
	{ not_ok "no file named after the UIDL, Subject or Message-ID"; find "$W" -name '*pwned*' | sed 's/^/#   /'; }
bad=$(find "$W/md/new" "$W/md/cur" -type f | sed 's|.*/||' | grep -Ev '^[0-9]+\.M[0-9]+P[0-9]+R[0-9a-f]+\.[A-Za-z0-9._-]+(:2,[A-Z]*)?$')
n=$(find "$W/md/new" "$W/md/cur" -type f | wc -l)
[ "$n" = 1 ] && [ -z "$bad" ] && ok "the Maildir holds one file under a name wary made" ||
	{ not_ok "the Maildir holds one file under a name wary made ($n)"; echo "$bad" | sed 's/^/#   /'; }

# ------------------------------------------------------------------ IMAP
if command -v tmux >/dev/null; then
	start_peer imap imap-hostile-list.peer
	config i "imap_host = 127.0.0.1" "imap_port = $PORT" "tls = implicit" "imap_user = alice"
	tm_start 120 30 "'$WARY' -a i 2>'$W/ui.err'"
	check "the client opens the hostile IMAP account" tm_wait "INBOX \[" 15
	tm_keys c
	check "the folder view lists the hostile names, not the two with raw controls" tm_wait "folders \[5\]" 10
	check "ESC and BEL in modified UTF-7 shown as ^[ and ^G" tm_wait '\^\[\]0;PWNED-TITLE\^G'
	check "RLO in a folder name shown as <U+202E>" tm_wait 'c<U\+202E>gpj\.exe'
	check "backspaces shown, CR as a space" tm_wait '\^H\^H\^Hover write'
	tm_screen >"$W/screen"
	grep -q 'lit\|Shared' "$W/screen" && not_ok "names with raw controls (a literal) are not listed" ||
		ok "names with raw controls (a literal) are not listed"
	tm_keys q Q
	for _ in $(seq 100); do tm_alive || break; sleep 0.05; done
	cp "$TMUX_LOG" "$W/tty"
	tm_stop
	kill "$PEER_PID" 2>/dev/null
	wait "$PEER_PID" 2>/dev/null
	"$PY" - "$W/tty" >"$W/tty.found" <<'PY'
import sys
data = open(sys.argv[1], "rb").read().replace(b"\x1b]104\x07", b"")  # ncurses' own oc
for seq, name in ((b"\x1b]", "OSC"), (b"\x1bP", "DCS"), (b"\x07", "BEL"), (b"\x1b[2J\x1b[H\x1b[31", "payload"),
                  (b"\xc2\x9b", "C1 CSI"), (b"\xe2\x80\xae", "RLO")):
    if seq in data:
        print("found %s" % name)
if b"PWNED-TITLE" not in data:
    print("found no trace of the names: nothing captured")
print("bytes %d" % len(data))
PY
	grep -q '^found' "$W/tty.found" && { not_ok "the terminal got none of the names' sequences"; sed 's/^/#   /' "$W/tty.found"; } ||
		ok "the terminal got none of the names' sequences ($(sed -n 's/^bytes //p' "$W/tty.found") bytes)"
	grep -Eq '^C: (Z1|Z2) ' "$W/imap.log" && { not_ok "a folder name's CR LF never split a command"; grep '^C:' "$W/imap.log" | sed 's/^/#   /'; } ||
		ok "a folder name's CR LF never split a command"
	grep -q '^C: .*STATUS' "$W/imap.log" && ok "(the client did send STATUS for the other folders)" ||
		not_ok "the client sent STATUS for the folders"
	[ -s "$W/ui.err" ] && { not_ok "the client wrote nothing to stderr"; head -5 "$W/ui.err" | sed 's/^/#   /'; } ||
		ok "the client wrote nothing to stderr"
else
	skip "IMAP folder names in the folder view" "tmux missing"
fi
t_done
