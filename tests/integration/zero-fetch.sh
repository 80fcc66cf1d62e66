#!/usr/bin/env bash
# Zero fetches (design 4.4): every HTML fixture and the whole demo mailbox,
# with each of their URLs rewritten to point at a loopback HTTP logger,
# go through wary show, wary inspect (text and JSON) and the pager under
# tmux (every message, HTML preferred, the link list and the details
# view): the logger must log nothing, and strace must see no network
# socket opened.  Then the pager's browser key hands the copy to headless
# Chromium with every host mapped to the logger: still nothing.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"
. "$TOP/tests/ui/tmux.bash"

if [ ! -x "$WARY" ]; then
	not_ok "wary binary at $WARY"
	t_done
	exit 1
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/wary-zero.XXXXXX")
LOGGER_PID=
cleanup() {
	tm_stop 2>/dev/null
	[ -n "$LOGGER_PID" ] && kill "$LOGGER_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
export HOME=$W/home XDG_DATA_HOME=$W/data XDG_CONFIG_HOME=$W/config XDG_CACHE_HOME=$W/cache
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"

python3 "$TOP/tests/integration/http-logger.py" "$W/log" "$W/port" &
LOGGER_PID=$!
for _ in $(seq 50); do [ -s "$W/port" ] && break; sleep 0.1; done
PORT=$(cat "$W/port" 2>/dev/null)
[ -n "$PORT" ] || { not_ok "the request logger started"; t_done; exit 1; }
: >"$W/log"
# The logger works: one request of ours is seen.
python3 -c "import urllib.request,sys
try: urllib.request.urlopen('http://127.0.0.1:$PORT/probe', timeout=5)
except Exception: pass"
grep -q "^http 127.0.0.1 /probe" "$W/log" && ok "control: the logger on 127.0.0.1:$PORT logs a request" ||
	not_ok "control: the logger on 127.0.0.1:$PORT logs a request"
: >"$W/log"

# Every URL points at the logger: scheme://host becomes
# http://127.0.0.1:PORT/host, //host (protocol-relative) the same.
rewrite() {
	sed -e "s#[Hh][Tt][Tt][Pp][Ss]\?://\([A-Za-z0-9._-]*\)#http://127.0.0.1:$PORT/\1#g" \
	    -e "s#\([\"'(=]\)//\([A-Za-z0-9][A-Za-z0-9._-]*\.[A-Za-z]\)#\1//127.0.0.1:$PORT/\2#g"
}
mkdir -p "$W/Maildir/cur" "$W/Maildir/new" "$W/Maildir/tmp"
for f in "$TOP"/tests/fixtures/html/*.html; do
	{
		printf 'From: Fixture <fixture@example.org>\nTo: you@example.org\nSubject: fixture %s\n' "$(basename "$f")"
		printf 'Date: Mon, 01 Jul 2024 10:00:00 +0000\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n'
		rewrite <"$f"
	} >"$W/Maildir/cur/1719828000.$(basename "$f" .html).fx:2,S"
done
for sub in cur new; do
	for m in "$TOP"/tests/demo/Maildir/$sub/*; do
		[ -f "$m" ] && rewrite <"$m" >"$W/Maildir/$sub/$(basename "$m")"
	done
done
files=("$W"/Maildir/cur/* "$W"/Maildir/new/*)
ok "${#files[@]} messages, their URLs pointing at the logger"

# The rewriting reached the references: wary sees them at the logger.
refs=0
for m in "${files[@]}"; do
	n=$("$WARY" inspect --json "$m" 2>/dev/null | grep -o "\"\(url\|href\)\":\"http://127.0.0.1:$PORT/" | wc -l)
	refs=$((refs + n))
done
[ "$refs" -ge 100 ] && ok "wary finds $refs references and links at the logger in them" ||
	not_ok "wary finds $refs references and links at the logger in them (expected 100+)"

has_strace=$(command -v strace || true)
trace() { # cmd...: run under strace when there is one, network calls to $W/strace.*
	if [ -n "$has_strace" ]; then
		# LeakSanitizer cannot run under ptrace
		env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -qq -e trace=socket,connect,sendto -o "$W/strace.$1" "${@:2}"
	else
		"${@:2}"
	fi
}
inet_calls() { cat "$W"/strace.* 2>/dev/null | grep -E "AF_INET|AF_INET6|sin_port" || true; }

trace show "$WARY" -o prefer_html=yes show "${files[@]}" >"$W/show.out" 2>&1
trace show-text "$WARY" show "${files[@]}" >/dev/null 2>&1
trace inspect "$WARY" inspect "${files[@]}" >/dev/null 2>&1
trace json "$WARY" inspect --json "${files[@]}" >/dev/null 2>&1
for m in "$W"/Maildir/cur/*.fx:2,S; do trace "copy.$(basename "$m")" "$WARY" browser-copy "$m" >/dev/null 2>&1; done
grep -q "wary blocked" "$W/show.out" && ok "wary show rendered the HTML (and says what it blocked)" ||
	not_ok "wary show rendered the HTML (and says what it blocked)"
sleep 0.3
[ ! -s "$W/log" ] && ok "wary show, inspect, inspect --json and browser-copy fetch nothing" ||
	{ not_ok "wary show, inspect, inspect --json and browser-copy fetch nothing"; sed 's/^/#   /' "$W/log" | head; }
if [ -n "$has_strace" ]; then
	[ -z "$(inet_calls)" ] && ok "strace: no network socket opened by any of them" ||
		{ not_ok "strace: no network socket opened by any of them"; inet_calls | head -5 | sed 's/^/#   /'; }
else
	skip "strace: no network socket opened" "strace is not installed"
fi

# ---- the pager under tmux, HTML preferred, every message
if ! command -v tmux >/dev/null; then
	skip "the pager fetches nothing" "tmux missing"
	t_done
	exit
fi
rm -f "$W"/strace.*
CHROMIUM=$(command -v chromium || true)
cat >"$W/browser" <<EOF
#!/bin/sh
cp "\$1" "$W/copy-\$(date +%s%N).html"
[ -n "$CHROMIUM" ] && timeout 20 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$W/profile-\$\$" \
	--disable-background-networking --disable-component-update --disable-sync --no-first-run \
	--host-resolver-rules="MAP * 127.0.0.1:$PORT" --virtual-time-budget=2000 --dump-dom "file://\$1" >"$W/dom.\$\$" 2>/dev/null
exit 0
EOF
chmod +x "$W/browser"
st=""
[ -n "$has_strace" ] && st="env ASAN_OPTIONS='${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0' strace -f -qq -e trace=execve,socket,connect -o '$W/strace.pager'"
tm_start 120 40 "BROWSER='$W/browser %s' $st '$WARY' -o prefer_html=yes -f '$W/Maildir' 2>'$W/stderr'"
tm_wait "msgs, " 20 >/dev/null
tm_keys Enter
tm_wait "^-- wary: " 10 >/dev/null
n=${#files[@]}
for _ in $(seq "$n"); do
	tm_keys J
	sleep 0.03
done
check "the pager showed all $n messages in turn" tm_wait "You are on the last message" 30
tm_keys q / "fixture css" Enter Enter
check "the pager shows an HTML fixture" tm_wait "^Subject: fixture css\.html"
tm_wait "wary blocked 9 remote references" 10 >/dev/null
tm_keys L
check "its link list" tm_wait "-- wary: links"
tm_keys q S
check "its details view" tm_wait "safety details"
tm_keys q q q
tm_stop
if [ -n "$has_strace" ]; then
	# only wary's own process and its threads: the first pid is wary
	bad=$(grep -E "AF_INET|AF_INET6" "$W/strace.pager" 2>/dev/null || true)
	grep -q "execve(.*wary" "$W/strace.pager" 2>/dev/null && [ -z "$bad" ] && ok "strace: the pager opened no network socket" ||
		{ not_ok "strace: the pager opened no network socket"; echo "$bad" | head -3 | sed 's/^/#   /'; }
fi
# The browser copies, without strace (it would trace chromium too).
tm_start 120 40 "BROWSER='$W/browser %s' '$WARY' -o prefer_html=yes -f '$W/Maildir' 2>>'$W/stderr'"
tm_wait "msgs, " 20 >/dev/null
tm_keys / "June offers" Enter Enter
check "the shop newsletter in the pager" tm_wait "remote references? blocked"
tm_keys W
check "W hands its browser copy to headless chromium" tm_wait "message.html: 1[0-9] remote references removed" 30
tm_keys q q q
sleep 0.5
ls "$W"/copy-*.html >/dev/null 2>&1 && ok "the browser got the copies" || not_ok "the browser got the copies"
if [ -n "$CHROMIUM" ]; then
	ls "$W"/dom.* >/dev/null 2>&1 && grep -q "Aurora desk lamp" "$W"/dom.* && ok "chromium loaded a copy" ||
		not_ok "chromium loaded a copy"
else
	skip "chromium loaded a copy" "chromium is not installed"
fi
# Chromium's own services land on the logger too: only our names count.
grep -E '^(http|tls) ([a-z0-9.-]*(\.example|\.test|example\.com|example\.org|example\.net)|127\.0\.0\.1)( |$)' \
	"$W/log" >"$W/ours.log" || true
[ ! -s "$W/ours.log" ] && ok "the pager, the link list, the details and chromium on the browser copies fetch nothing" ||
	{ not_ok "the pager, the link list, the details and chromium on the browser copies fetch nothing"; sed 's/^/#   /' "$W/ours.log" | head; }
[ -s "$W/stderr" ] && { not_ok "nothing on stderr"; sed 's/^/#   /' "$W/stderr" | head -5; } || ok "nothing on stderr"
t_done
