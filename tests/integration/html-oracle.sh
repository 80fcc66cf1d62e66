#!/usr/bin/env bash
# A real browser as the oracle for remote references (design 4.4).
#
# 1. For every HTML fixture (tests/fixtures/html/), headless Chromium loads
#    the original page from a loopback logger with every host name mapped
#    to it, so each URL it fetches is logged (plain HTTP: host and path;
#    TLS: the server name).  wary inspect --json of the same HTML must list
#    every one of them among its remote references, and every href of the
#    page's DOM (--dump-dom) among its links.
# 2. The browser copy (wary browser-copy) of every fixture and of every
#    HTML message of the demo mailbox, loaded by the same Chromium: the
#    logger must see nothing at all.  A control run with the original
#    pages shows the same harness does see their fetches.
# Needs no mail server; skipped, saying so, when chromium is missing.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	skip "browser oracle" "chromium is not installed (setup.sh installs it)"
	t_done
	exit 0
fi
if [ ! -x "$WARY" ]; then
	not_ok "wary binary at $WARY"
	t_done
	exit 1
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/wary-oracle.XXXXXX")
LOGGER_PID=
LOGGER2_PID=
cleanup() {
	[ -n "$LOGGER_PID" ] && kill "$LOGGER_PID" 2>/dev/null
	[ -n "$LOGGER2_PID" ] && kill "$LOGGER2_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
export HOME=$W/home XDG_DATA_HOME=$W/data XDG_CONFIG_HOME=$W/config
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"

FIX=$TOP/tests/fixtures/html
# The pages Chromium loads: the fixtures, and the HTML of three demo
# messages (two newsletters, a phish), decoded from the message.  None
# loads from an IP literal, which no host mapping would catch.
mkdir -p "$W/pages"
cp "$FIX"/*.html "$W/pages/"
python3 - "$TOP/tests/demo/Maildir" "$W/pages" 1707202812 1717660805 1717789452 <<'PY'
import email, os, sys
from email import policy
src, out, want = sys.argv[1], sys.argv[2], sys.argv[3:]
for sub in ("cur", "new"):
    for n in sorted(os.listdir(os.path.join(src, sub))):
        if n.split(".")[0] not in want:
            continue
        path = os.path.join(src, sub, n)
        m = email.message_from_binary_file(open(path, "rb"), policy=policy.default)
        for p in m.walk():
            if p.get_content_type() == "text/html" and not p.is_attachment():
                base = os.path.join(out, "demo-" + n.split(".")[0])
                open(base + ".html", "w").write(p.get_content())
                open(base + ".msg", "w").write(path)
                break
PY
python3 "$TOP/tests/integration/http-logger.py" "$W/log" "$W/port" "$W/pages" &
LOGGER_PID=$!
# a second one, so two Chromiums run at once (one per core), each with
# its own logger
python3 "$TOP/tests/integration/http-logger.py" "$W/log2" "$W/port2" "$W/pages" &
LOGGER2_PID=$!
for _ in $(seq 50); do [ -s "$W/port" ] && [ -s "$W/port2" ] && break; sleep 0.1; done
PORT=$(cat "$W/port" 2>/dev/null)
PORT2=$(cat "$W/port2" 2>/dev/null)
if [ -z "$PORT" ] || [ -z "$PORT2" ]; then
	not_ok "the request logger started"
	t_done
	exit 1
fi
ok "the request logger listens on 127.0.0.1:$PORT"

# Chromium with no network but the logger: every name maps to it, and the
# background services (updates, sync, safe browsing) are off.
chrome() { # [-2] URL: -2 uses the second logger and profile
	local port=$PORT prof=$W/profile
	if [ "$1" = -2 ]; then
		port=$PORT2 prof=$W/profile2
		shift
	fi
	timeout 20 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$prof" \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-default-apps --disable-extensions --no-first-run --no-default-browser-check \
		--safebrowsing-disable-auto-update --metrics-recording-only --mute-audio \
		--allow-file-access-from-files --host-resolver-rules="MAP * 127.0.0.1:$port" \
		--virtual-time-budget=1500 --dump-dom "$@" 2>>"$W/chromium.err"
}

# Only the fixtures' own names count: Chromium's own services (google
# hosts) also land on the logger however much is turned off.
ours() {
	grep -E '^(http|tls) ([a-z0-9.-]*(\.example|\.test|example\.com|example\.org|example\.net)|127\.0\.0\.1)( |$)' "$1" || true
}

wrap() { # HTML file -> message
	printf 'From: Fixture <fixture@example.org>\nTo: you@example.org\nSubject: %s\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n' "$(basename "$1")"
	cat "$1"
}

COMPARE=$(cat <<'EOF'
import html.parser, json, sys, urllib.parse
log, dom, js = sys.argv[1], sys.argv[2], sys.argv[3]
j = json.load(open(js))
refs = [r["url"] for r in j["remote"]["refs"]]
links = [l["href"] for l in j["links"]]
def hp(u):
    p = urllib.parse.urlsplit(u if "//" in u else "http:" + u)
    return (p.hostname or "", (p.path or "/") + ("?" + p.query if p.query else ""))
have = {hp(u) for u in refs}
hosts = {h for h, _ in have} | {hp(u)[0] for u in links}
bad = 0
n = 0
for line in open(log):
    f = line.split()
    n += 1
    if f[0] == "http" and (f[1], f[2]) not in have:
        print("#   chromium fetched http://%s%s, wary did not list it" % (f[1], f[2])); bad += 1
    elif f[0] == "tls" and f[1] not in hosts:
        print("#   chromium connected to %s (TLS), wary did not list it" % f[1]); bad += 1
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.hrefs = []; s.base = None
    def handle_starttag(s, t, a):
        a = dict(a)
        if t == "base" and s.base is None and a.get("href"):
            s.base = a["href"]
        if t in ("a", "area") and a.get("href") is not None:
            s.hrefs.append(a["href"])
        if t == "form" and a.get("action") is not None:
            s.hrefs.append(a["action"])
p = P(); p.feed(open(dom, encoding="utf-8", errors="replace").read())
for h in p.hrefs:
    want = urllib.parse.urljoin(p.base, h) if p.base else h
    if want not in links and h not in links:
        print("#   DOM href %r (%r) is not among wary's links" % (h, want)); bad += 1
print("# %d fetches, %d DOM hrefs, %d refs and %d links from wary" % (n, len(p.hrefs), len(refs), len(links)))
sys.exit(1 if bad else 0)
EOF
)

# ---- 1. the oracle
# Two workers, each loading every other page with its own logger; each
# page's log and DOM are kept for the comparison below.
worker() { # 1|2 pages...
	local k=$1 log=$W/log opt=
	shift
	[ "$k" = 2 ] && log=$W/log2 opt=-2
	for f in "$@"; do
		: >"$log"
		chrome $opt "http://wary-fixture.invalid/fixture/$(basename "$f")" >"${f%.html}.dom"
		sleep 0.2 # a fetch started last may still be logging
		ours "$log" >"${f%.html}.fetched"
	done
}
pages=("$W"/pages/*.html)
odd=() even=()
for i in "${!pages[@]}"; do
	if [ $((i % 2)) = 0 ]; then odd+=("${pages[$i]}"); else even+=("${pages[$i]}"); fi
done
worker 1 "${odd[@]}" &
w1=$!
worker 2 "${even[@]}"
wait "$w1"
total=0
for f in "${pages[@]}"; do
	name=$(basename "$f")
	cp "${f%.html}.fetched" "$W/ours.log"
	cp "${f%.html}.dom" "$W/dom.html"
	n=$(wc -l <"$W/ours.log")
	total=$((total + n))
	if [ -f "${f%.html}.msg" ]; then
		cp "$(cat "${f%.html}.msg")" "$W/msg.eml" # the demo message itself
	else
		wrap "$f" >"$W/msg.eml"
	fi
	if ! "$WARY" inspect --json "$W/msg.eml" >"$W/inspect.json"; then
		not_ok "$name: wary inspect --json"
		continue
	fi
	if [ ! -s "$W/dom.html" ]; then
		not_ok "$name: chromium dumped the DOM"
		tail -3 "$W/chromium.err" | sed 's/^/#   /'
		continue
	fi
	if python3 -c "$COMPARE" "$W/ours.log" "$W/dom.html" "$W/inspect.json"; then
		ok "$name: wary lists all $n URLs chromium fetched and every href of its DOM"
	else
		not_ok "$name: wary lists all $n URLs chromium fetched and every href of its DOM"
	fi
done
[ "$total" -ge 50 ] && ok "chromium fetched $total URLs over the fixtures and three demo messages (the oracle saw them)" ||
	not_ok "chromium fetched $total URLs over the fixtures and three demo messages, expected at least 50"

# ---- 2. the browser copies load nothing
mkdir -p "$W/copies" "$W/orig"
ncopies=0
for f in "$FIX"/*.html; do
	wrap "$f" >"$W/msg.eml"
	"$WARY" browser-copy "$W/msg.eml" >"$W/copies/$(basename "$f")" 2>/dev/null && ncopies=$((ncopies + 1))
	cp "$f" "$W/orig/"
done
for m in "$TOP"/tests/demo/Maildir/cur/* "$TOP"/tests/demo/Maildir/new/*; do
	[ -f "$m" ] || continue
	"$WARY" browser-copy "$m" >"$W/copies/demo-$(basename "$m" | cut -c1-20).html" 2>/dev/null &&
		ncopies=$((ncopies + 1)) || rm -f "$W/copies/demo-$(basename "$m" | cut -c1-20).html"
done
index() { # dir -> a page that frames every file in it
	{
		echo '<!DOCTYPE html><html><body>'
		for c in "$1"/*.html; do echo "<iframe src=\"file://$c\"></iframe>"; done
		echo '</body></html>'
	} >"$1/index.htm"
}
index "$W/orig"
index "$W/copies"
: >"$W/log"
chrome "file://$W/orig/index.htm" >/dev/null
sleep 0.2
ours "$W/log" >"$W/ours.log"
n=$(wc -l <"$W/ours.log")
[ "$n" -ge 30 ] && ok "control: the original pages framed in one page make chromium fetch $n URLs" ||
	not_ok "control: the original pages framed in one page make chromium fetch $n URLs (expected 30+)"
for c in "$W"/copies/*.html; do
	grep -q "Content-Security-Policy" "$c" || { not_ok "$(basename "$c"): the copy has no CSP"; }
done
: >"$W/log"
chrome "file://$W/copies/index.htm" >/dev/null
sleep 0.2
ours "$W/log" >"$W/ours.log"
if [ ! -s "$W/ours.log" ]; then
	ok "the $ncopies browser copies (fixtures and demo HTML) make chromium fetch nothing"
else
	not_ok "the $ncopies browser copies (fixtures and demo HTML) make chromium fetch nothing"
	sed 's/^/#   /' "$W/ours.log" | head -20
fi
# The copy still shows the text.
grep -q "styled" "$W/copies/css.html" && ok "the copy keeps the text" || not_ok "the copy keeps the text"
t_done
