# The demo Maildir and the hostile fixtures: well-formed, complete, in step
# with the scripts that write them; and, once `wary inspect --json` works,
# every one of them goes through it safely.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
DEMO=$TOP/tests/demo
HOSTILE=$TOP/tests/fixtures/hostile
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# report: turn the checker's "PASS what" / "FAIL what" / "SKIP what|why" lines into TAP.
report() {
	local kind rest
	while IFS= read -r line; do
		kind=${line%% *}; rest=${line#* }
		case $kind in
		PASS) ok "$rest" ;;
		FAIL) not_ok "$rest" ;;
		SKIP) skip "${rest%%|*}" "${rest#*|}" ;;
		*) echo "# $line" ;;
		esac
	done
}

# same_tree A B [diff options]: diff -r, its output shown as TAP comments.
same_tree() {
	diff -r "$@" >"$tmp/diff" 2>&1
	local rc=$?
	sed 's/^/# /' "$tmp/diff" | head -20
	return $rc
}

if [ ! -x "$PY" ]; then
	skip "demo checks" "$PY missing"
	t_done; exit
fi

# ---------------------------------------------------------------- the demo
cat >"$tmp/demo.py" <<'PY'
import binascii, email, email.utils, hashlib, os, re, sys
from email import policy

md = sys.argv[1]
OWNER = "alex@example.org"


def res(cond, what):
    print(("PASS " if cond else "FAIL ") + what)


for sub in ("cur", "new", "tmp"):
    res(os.path.isdir(os.path.join(md, sub)), "demo Maildir has %s/" % sub)
res(os.path.isfile(os.path.join(md, "tmp", ".keep")), "demo tmp/.keep exists so git keeps the empty tmp/")

msgs = []          # (folder, name, flags, raw bytes, parsed message)
bad_names = []
for sub in ("cur", "new"):
    for name in sorted(os.listdir(os.path.join(md, sub))):
        if name.startswith("."):
            continue
        flags = None
        if sub == "cur":
            m = re.fullmatch(r"\d+\.[^/:]+:2,([A-Z]*)", name)
            if not m or any(c not in "DFPRST" for c in m.group(1)) or list(m.group(1)) != sorted(set(m.group(1))):
                bad_names.append(name)
                continue
            flags = m.group(1)
        elif not re.fullmatch(r"\d+\.[^/:]+", name):
            bad_names.append(name)
            continue
        raw = open(os.path.join(md, sub, name), "rb").read()
        msgs.append((sub, name, flags, raw, email.message_from_bytes(raw, policy=policy.default)))
res(not bad_names, "demo file names follow the Maildir spec (cur: :2, + sorted flags from DFPRST; new: no info) %s" % bad_names[:3])
tmpfiles = [f for f in os.listdir(os.path.join(md, "tmp")) if not f.startswith(".")]
res(not tmpfiles, "demo tmp/ holds no messages")
res(30 <= len(msgs) <= 60, "demo holds 30-60 messages (%d)" % len(msgs))
flagsets = {m[2] for m in msgs}
res({"S", "RS", "FS", "PS", ""} <= flagsets and any(m[0] == "new" for m in msgs),
    "demo flags mix: S, RS, FS, PS, seen-unread and new/ (%s)" % sorted(f for f in flagsets if f is not None))

# -------------------------------------------------- per-message structure
problems = {"crlf": [], "no-blank-line": [], "msgid": [], "base64": [], "qp": [], "boundary": [], "mime-version": [], "8bit-no-cte": []}
ids = {}
for sub, name, flags, raw, m in msgs:
    if b"\r\n" in raw:
        problems["crlf"].append(name)
    if b"\n\n" not in raw:
        problems["no-blank-line"].append(name)
    mid = m.get("Message-ID")
    if not mid or not re.fullmatch(r"<[^<>\s]+@[^<>\s]+>", str(mid).strip()):
        problems["msgid"].append(name)
    else:
        ids.setdefault(str(mid).strip(), []).append(name)
    if m.is_multipart() and "MIME-Version" not in m:
        problems["mime-version"].append(name)
    for part in m.walk():
        ct = part.get_content_type()
        if part.get_content_maintype() == "multipart":
            b = part.get_param("boundary")
            if not b or ("--" + b + "--").encode() not in raw:
                problems["boundary"].append(name)
            continue
        if part.is_multipart():
            continue
        cte = str(part.get("Content-Transfer-Encoding", "7bit")).lower().strip()
        payload = part.get_payload(decode=False)
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        if cte == "base64":
            try:
                binascii.a2b_base64(re.sub(rb"\s+", b"", data), strict_mode=True)
            except (binascii.Error, ValueError):
                problems["base64"].append(name)
        elif cte == "quoted-printable":
            if re.search(rb"=(?![0-9A-F]{2}|\n|$)", data):
                problems["qp"].append(name)
dups = [v for v in ids.values() if len(v) > 1]
for k, v in problems.items():
    res(not v, "demo: no message fails the %s check %s" % (k, v[:3]))
res(not dups, "demo: Message-IDs are unique %s" % dups[:2])

# -------------------------------------------------------------- features
F = {}


def has(feature, cond=True):
    if cond:
        F[feature] = F.get(feature, 0) + 1


def dec(m, h):
    try:
        v = m.get(h)
        return None if v is None else str(v)
    except Exception:
        return None


def hosts_of(url):
    mm = re.match(r"(?i)[a-z][a-z0-9+.-]*://([^/?#]*)", url)
    return mm.group(1) if mm else ""


charsets = set()
dates = []
by_id = {}
for sub, name, flags, raw, m in msgs:
    hdr = raw.split(b"\n\n", 1)[0]
    subj = dec(m, "Subject")
    frm = dec(m, "From")
    raw_subj = re.search(rb"(?m)^Subject:(.*(?:\n[ \t].*)*)", hdr)
    raw_subj = raw_subj.group(1) if raw_subj else b""
    mid = str(m.get("Message-ID", "")).strip()
    by_id[mid] = m
    ct = m.get_content_type()
    parts = [p for p in m.walk() if not p.is_multipart()]
    has("plain text only", ct == "text/plain" and not m.is_multipart())
    has("HTML only", ct == "text/html")
    has("multipart/alternative", any(p.get_content_type() == "multipart/alternative" for p in m.walk()))
    has("format=flowed", any((p.get_param("format") or "").lower() == "flowed" for p in parts))
    has("format=flowed DelSp=yes", any((p.get_param("delsp") or "").lower() == "yes" for p in parts))
    has("base64 body", any(str(p.get("Content-Transfer-Encoding", "")).lower() == "base64" and p.get_content_maintype() == "text" for p in parts))
    has("quoted-printable body", any(str(p.get("Content-Transfer-Encoding", "")).lower() == "quoted-printable" for p in parts))
    texts = []
    for p in parts:
        cs = p.get_param("charset")
        if cs:
            charsets.add(cs.lower())
        if p.get_content_maintype() == "text":
            try:
                texts.append((p.get_content_type(), p.get_content()))
            except Exception:
                pass
    body = "\n".join(t for _, t in texts)
    html = "\n".join(t for c, t in texts if c == "text/html")
    has("nested quotes (3 levels)", re.search(r"(?m)^(> ?){3}", body) is not None)
    has("signature separator '-- '", re.search(r"(?m)^-- $", body) is not None)
    has("multipart/related with a cid: image", any(p.get_content_type() == "multipart/related" for p in m.walk()) and "cid:" in html)
    has("tracking pixel (1x1 img)", re.search(r'(?is)<img[^>]*width="1"[^>]*height="1"', html) is not None)
    has("CSS url()", "url(" in html)
    has("remote font (@font-face)", "@font-face" in html)
    for href, text in re.findall(r'(?is)<a\s[^>]*href="([^"]+)"[^>]*>(.*?)</a>', html):
        host = hosts_of(href)
        shown = re.search(r"(?i)(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})", re.sub("<[^>]+>", "", text))
        has("link text names a host that is not the href's", shown is not None and host and shown.group(1).lower() != host.lower().split("@")[-1].split(":")[0])
        has("userinfo link (user@host)", "@" in host)
        has("numeric IP link (hex or dotless decimal)", re.fullmatch(r"(?i)0x[0-9a-f]+|\d{8,10}", host) is not None)
        has("link to a punycode or mixed-script host", "xn--" in host or re.search("[\u0400-\u04ff]", host) is not None)
    has("HTML form", "<form" in html.lower())
    for p in parts:
        fn = p.get_filename()
        data = p.get_payload(decode=True) or b""
        declared = p.get_content_type()
        disp = p.get_content_disposition()
        if fn:
            has("attachment name RFC 2047 encoded", re.search(rb'(?i)name="=\?', raw) is not None)
            has("attachment name RFC 2231 with continuations", re.search(rb"(?i)filename\*0\*=", raw) is not None)
            has("attachment name with bidi override U+202E", "\u202e" in fn)
            has("double extension (.pdf.exe)", re.search(r"(?i)\.(pdf|doc|jpg)\.(exe|scr|bat|js)$", fn) is not None)
        has("real PDF attachment", declared == "application/pdf" and data.startswith(b"%PDF-"))
        has("real PNG attachment", declared == "image/png" and data.startswith(b"\x89PNG\r\n\x1a\n"))
        has("text file attachment", declared == "text/plain" and disp == "attachment" and fn and fn.endswith(".txt"))
        has("attachment lying about its type (PE or ZIP named .pdf/.txt)",
            fn and fn.endswith((".pdf", ".txt")) and declared in ("application/pdf", "text/plain") and data[:2] in (b"MZ", b"PK"))
    # message/rfc822 parts count as not multipart in walk(); look at the raw too
    has("message/rfc822 part", any(p.get_content_type() == "message/rfc822" for p in m.walk()))
    has("message/external-body part", any(p.get_content_type() == "message/external-body" for p in m.walk()))
    has("Q-encoded header", re.search(rb"=\?[^?]+\?[Qq]\?", hdr) is not None)
    has("B-encoded header", re.search(rb"=\?[^?]+\?[Bb]\?", hdr) is not None)
    has("adjacent encoded-words in two charsets", len(set(re.findall(rb"=\?([^?]+)\?", raw_subj))) >= 2)
    has("raw ESC [2J in Subject", b"\x1b[2J" in raw_subj)
    has("raw OSC 0 title in Subject", b"\x1b]0;" in raw_subj)
    has("raw OSC 52 clipboard write in Subject", b"\x1b]52;" in raw_subj)
    has("raw OSC 8 hyperlink in Subject", b"\x1b]8;" in raw_subj)
    has("ESC that appears only after RFC 2047 decoding", subj is not None and "\x1b" in subj and b"\x1b" not in raw_subj)
    has("C1 CSI (U+009B) in a body", "\u009b" in body)
    has("bidi override in a From display name", frm is not None and "\u202e" in frm)
    has("zero-width characters in Subject", subj is not None and re.search("[\u200b\u200c\u200d\u2060]", subj) is not None)
    has("CJK subject", subj is not None and re.search("[\u3040-\u30ff\u4e00-\u9fff]", subj) is not None)
    has("emoji in Subject", subj is not None and re.search("[\U0001F300-\U0001FAFF]", subj) is not None)
    has("emoji in a From name", frm is not None and re.search("[\U0001F300-\U0001FAFF]", frm) is not None)
    has("very long Subject (> 200 characters)", subj is not None and len(subj) > 200)
    has("no Subject header", "Subject" not in m)
    has("no Date header", "Date" not in m)
    if "Date" in m:
        try:
            d = email.utils.parsedate_to_datetime(str(m["Date"]))
            dates.append(d)
        except (TypeError, ValueError):
            has("unparsable Date")
    has("\"Re: Re: Fwd:\" subject", subj is not None and subj.startswith("Re: Re: Fwd:"))
    froms = re.findall(rb"(?im)^From ?:", hdr)
    has("two From headers", len(froms) == 2)
    has("display name holding an address", frm is not None and len(froms) == 1 and re.search(r'^"?[^<"]*@[^<"]*"?\s*<', frm) is not None)
    has("punycode look-alike From domain", frm is not None and "@xn--" in frm)
    has("raw Cyrillic letter in an address header", re.search("\u0430".encode(), hdr) is not None)
    has("DKIM-Signature header", "DKIM-Signature" in m)
    ars = m.get_all("Authentication-Results") or []
    has("forged Authentication-Results (a pass below a fail)", len(ars) >= 2 and "fail" in str(ars[0]) and any("dkim=pass" in str(a) for a in ars[1:]))
    has("Disposition-Notification-To", "Disposition-Notification-To" in m)
    has("PGP/MIME multipart/signed", ct == "multipart/signed" and m.get_param("protocol") == "application/pgp-signature")
    has("inline PGP clearsigned block", "-----BEGIN PGP SIGNED MESSAGE-----" in body and "-----BEGIN PGP SIGNATURE-----" in body)
    has("windows-1252 raw 8-bit bytes 0x80-0x9f", (m.get_param("charset") or "").lower() == "windows-1252" and re.search(rb"[\x80-\x9f]", raw.split(b"\n\n", 1)[1]) is not None)
    rcv = [str(r) for r in (m.get_all("Received") or [])]
    has("Received: (may be forged)", any("may be forged" in r for r in rcv))
    has("Received: HELO google.com from another host", any(re.search(r"from google\.com \((?!.*google)", r) for r in rcv))
    has("Received: private 10.x address in a hop to a public host", any(re.search(r"\[10\.\d+\.\d+\.\d+\]\)\s+by (?!.*internal)", r) for r in rcv))
    times = []
    for r in rcv:
        try:
            times.append(email.utils.parsedate_to_datetime(r.rsplit(";", 1)[1].strip()))
        except (IndexError, TypeError, ValueError):
            times.append(None)
    if len(times) >= 2 and None not in times:
        has("Received: a hop dated after the hop above it", any(times[i + 1] > times[i] for i in range(len(times) - 1)))
        has("Received: a sensible chain of 3+ hops with a DKIM pass", len(times) >= 3 and all(times[i + 1] <= times[i] for i in range(len(times) - 1))
            and ars and "dkim=pass" in str(ars[0]) and "DKIM-Signature" in m)
    stamp = m.get("X-Hashcash")
    if stamp:
        s = str(stamp).strip()
        fields = s.split(":")
        good = (len(fields) == 7 and fields[0] == "1" and fields[3] == OWNER
                and int.from_bytes(hashlib.sha1(s.encode()).digest()[:4], "big") >> (32 - int(fields[1])) == 0 and int(fields[1]) >= 20)
        has("valid X-Hashcash stamp (>= 20 bits, for the owner)", good)

res(len(dates) >= 40 and (max(dates) - min(dates)).days >= 90, "demo Dates spread over at least three months (%d dated)" % len(dates))
need = ["iso-8859-1", "windows-1252", "koi8-r", "iso-2022-jp", "shift_jis", "big5", "utf-8"]
res(all(c in charsets for c in need) and ({"gbk", "gb2312"} & charsets), "demo charsets include %s and GBK/GB2312 (%s)" % (", ".join(need), sorted(charsets)))

# threads: parent = In-Reply-To, else the last References id
parent = {}
for mid, m in by_id.items():
    irt = re.findall(r"<[^>]+>", str(m.get("In-Reply-To", "")))
    refs = re.findall(r"<[^>]+>", str(m.get("References", "")))
    p = irt[-1] if irt else (refs[-1] if refs else None)
    if p:
        parent[mid] = p
root = {}
for mid in by_id:
    seen = set()
    r = mid
    while r in parent and r not in seen:
        seen.add(r)
        r = parent[r]
    root[mid] = r
sizes = {}
for mid, r in root.items():
    sizes[r] = sizes.get(r, 0) + 1
biggest = max(sizes.values())
res(10 <= biggest <= 15, "demo has a thread of 10-15 messages (%d)" % biggest)
children = {}
for c, p in parent.items():
    children.setdefault(p, []).append(c)
res(any(len(v) >= 2 for p, v in children.items() if p in by_id), "demo thread branches (a message with two replies)")
res(any(p not in by_id for p in parent.values()), "demo has a reply whose parent is missing")

expected = [
    "plain text only", "HTML only", "multipart/alternative", "format=flowed", "format=flowed DelSp=yes", "base64 body",
    "quoted-printable body", "nested quotes (3 levels)", "signature separator '-- '", "multipart/related with a cid: image",
    "tracking pixel (1x1 img)", "CSS url()", "remote font (@font-face)", "link text names a host that is not the href's",
    "userinfo link (user@host)", "numeric IP link (hex or dotless decimal)", "link to a punycode or mixed-script host", "HTML form",
    "attachment name RFC 2047 encoded", "attachment name RFC 2231 with continuations", "attachment name with bidi override U+202E",
    "double extension (.pdf.exe)", "real PDF attachment", "real PNG attachment", "text file attachment",
    "attachment lying about its type (PE or ZIP named .pdf/.txt)", "message/rfc822 part", "message/external-body part",
    "Q-encoded header", "B-encoded header", "adjacent encoded-words in two charsets", "raw ESC [2J in Subject",
    "raw OSC 0 title in Subject", "raw OSC 52 clipboard write in Subject", "raw OSC 8 hyperlink in Subject",
    "ESC that appears only after RFC 2047 decoding", "C1 CSI (U+009B) in a body", "bidi override in a From display name",
    "zero-width characters in Subject", "CJK subject", "emoji in Subject", "emoji in a From name", "very long Subject (> 200 characters)",
    "no Subject header", "no Date header", "unparsable Date", "\"Re: Re: Fwd:\" subject", "two From headers",
    "display name holding an address", "punycode look-alike From domain", "raw Cyrillic letter in an address header",
    "DKIM-Signature header", "forged Authentication-Results (a pass below a fail)", "Disposition-Notification-To",
    "PGP/MIME multipart/signed", "inline PGP clearsigned block", "windows-1252 raw 8-bit bytes 0x80-0x9f",
    "Received: (may be forged)", "Received: HELO google.com from another host",
    "Received: private 10.x address in a hop to a public host", "Received: a hop dated after the hop above it",
    "Received: a sensible chain of 3+ hops with a DKIM pass", "valid X-Hashcash stamp (>= 20 bits, for the owner)",
]
for e in expected:
    res(F.get(e, 0) > 0, "demo shows: " + e)
subjects = [str(m[4].get("Subject", "")) for m in msgs]
res(sum(1 for s in subjects if re.search(r"(?i)best offer|d0ctors", s)) >= 2, "demo has at least two spam messages")
PY
"$PY" "$tmp/demo.py" "$DEMO/Maildir" >"$tmp/demo.out" 2>&1
rc=$?
report <"$tmp/demo.out"
[ "$rc" = 0 ] || not_ok "the demo checker itself failed (exit $rc)"

# The committed Maildir is exactly what the script writes (and the script is deterministic).
mkdir -p "$tmp/regen"
cp "$DEMO/make-demo.py" "$tmp/regen/"
if "$PY" "$tmp/regen/make-demo.py" >/dev/null 2>"$tmp/regen.err"; then
	check "demo Maildir is what make-demo.py writes" same_tree "$DEMO/Maildir" "$tmp/regen/Maildir"
	check "demo README table is what make-demo.py writes" cmp -s "$DEMO/README" "$tmp/regen/README"
else
	not_ok "make-demo.py runs: $(head -c 300 "$tmp/regen.err")"
fi

# The true types the demo promises, by libmagic's own tool when present.
if command -v file >/dev/null; then
	"$PY" - "$DEMO/Maildir" "$tmp/att" <<'PY'
import email, os, sys
from email import policy
os.makedirs(sys.argv[2], exist_ok=True)
for sub in ("cur", "new"):
    for n in os.listdir(os.path.join(sys.argv[1], sub)):
        if n.startswith("."):
            continue
        m = email.message_from_binary_file(open(os.path.join(sys.argv[1], sub, n), "rb"), policy=policy.default)
        for p in m.walk():
            fn = p.get_filename()
            if fn in ("invoice.pdf", "shipping-label.txt", "report.pdf.exe", "minutes-2024-03-07.pdf", "plot-map.png"):
                open(os.path.join(sys.argv[2], fn), "wb").write(p.get_payload(decode=True))
PY
	check "demo invoice.pdf is really a PE executable" grep -q "PE32 executable" <(file -b "$tmp/att/invoice.pdf")
	check "demo report.pdf.exe is a PE executable" grep -q "PE32 executable" <(file -b "$tmp/att/report.pdf.exe")
	check "demo shipping-label.txt is really a ZIP" grep -q "Zip archive" <(file -b "$tmp/att/shipping-label.txt")
	check "demo minutes PDF is a PDF" grep -q "PDF document" <(file -b "$tmp/att/minutes-2024-03-07.pdf")
	check "demo plot-map.png is a PNG" grep -q "PNG image data" <(file -b "$tmp/att/plot-map.png")
else
	skip "demo attachment true types" "file(1) not installed"
fi

# ------------------------------------------------------- hostile fixtures
n=$(ls "$HOSTILE"/*.eml 2>/dev/null | wc -l)
check "hostile: at least 40 fixtures ($n)" [ "$n" -ge 40 ]
for f in subject-osc52 from-two-headers mime-deep-nesting header-nul-byte bare-cr rfc2047-escape-in-name filename-bidi \
	filename-path-traversal c1-controls charset-bogus base64-garbage boundary-missing; do
	check "hostile: $f.eml exists" [ -f "$HOSTILE/$f.eml" ]
done
big=$(find "$HOSTILE" -name '*.eml' -size +200k | wc -l)
check "hostile: every fixture in the tree is under 200 KB" [ "$big" = 0 ]
missing=0
for f in "$HOSTILE"/*.eml; do grep -qx "$(basename "$f")" "$HOSTILE/README" || { missing=1; echo "# not in README: $(basename "$f")"; }; done
check "hostile: README describes every fixture" [ "$missing" = 0 ]
mkdir -p "$tmp/hregen"
cp "$HOSTILE/make-hostile.py" "$tmp/hregen/"
if "$PY" "$tmp/hregen/make-hostile.py" >/dev/null 2>"$tmp/hregen.err" && "$PY" "$tmp/hregen/make-hostile.py" --big "$tmp/big" 2>>"$tmp/hregen.err"; then
	check "hostile fixtures are what make-hostile.py writes" same_tree -x make-hostile.py -x __pycache__ "$HOSTILE" "$tmp/hregen"
	check "hostile: long-line.eml (--big) has a 1 MB line" [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$tmp/big/long-line.eml")" -ge 1048576 ]
else
	not_ok "make-hostile.py runs: $(head -c 300 "$tmp/hregen.err")"
fi
"$PY" - "$HOSTILE" >"$tmp/hostile.out" 2>&1 <<'PY'
import base64, os, re, sys
d = sys.argv[1]
def raw(n): return open(os.path.join(d, n), "rb").read()
def res(c, w): print(("PASS " if c else "FAIL ") + "hostile: " + w)
r = raw("rfc2047-escape-in-name.eml")
w = re.search(rb"=\?UTF-8\?B\?([^?]+)\?=", r)
res(b"\x1b" not in r and w and b"\x1b" in base64.b64decode(w.group(1)), "rfc2047-escape-in-name hides ESC inside an encoded-word only")
res(b"\x00" in raw("header-nul-byte.eml").split(b"\n\n")[0], "header-nul-byte has a NUL in its headers")
res(re.search(rb"\r(?!\n)", raw("bare-cr.eml").split(b"\n\n")[0]) is not None, "bare-cr has a bare CR in a header")
c1 = raw("c1-controls.eml")
res(re.search(rb"(?<![\xc2])\x9b", c1) is not None and b"\xc2\x9b" in c1, "c1-controls has raw 0x9b and UTF-8 U+009B")
res(raw("mime-deep-nesting.eml").count(b"Content-Type: multipart/mixed") >= 2000, "mime-deep-nesting nests 2000 multiparts")
res(b"../../.bashrc" in raw("filename-path-traversal.eml"), "filename-path-traversal names ../../.bashrc")
res(b"%E2%80%AE" in raw("filename-bidi.eml"), "filename-bidi carries U+202E in the name")
for n in ("subject-osc52", "subject-osc8", "subject-osc-title", "subject-csi-clear"):
    h = raw(n + ".eml").split(b"\n\n")[0]
    res(b"\x1b" in h, n + " has a raw ESC in its headers")
PY
rc=$?
report <"$tmp/hostile.out"
[ "$rc" = 0 ] || not_ok "the hostile fixture checker itself failed (exit $rc)"

# ------------------------------------------------------- wary inspect --json
# Every demo and hostile message: exit 0, JSON that parses, the contract's
# keys, and no ESC, C1 control or bidi override anywhere in the output,
# neither as raw bytes nor inside a decoded JSON string.
cat >"$tmp/out.py" <<'PY'
import json, re, sys
out, err, name = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(out, "rb").read()
bad = re.compile("[\x1b\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]")
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    print("output is not UTF-8: %s" % e); sys.exit(1)
m = bad.search(text)
if m:
    print("output holds U+%04X at offset %d" % (ord(m.group()), m.start())); sys.exit(1)
if b"\x1b" in open(err, "rb").read():
    print("stderr holds ESC"); sys.exit(1)
try:
    doc = json.loads(text)
except ValueError as e:
    print("JSON does not parse: %s" % e); sys.exit(1)
if not isinstance(doc, dict):
    print("JSON is not an object"); sys.exit(1)
missing = [k for k in ("from", "verdict", "trace", "remote", "links", "attachments", "pgp", "spam", "score") if k not in doc]
if missing:
    print("JSON lacks %s" % missing); sys.exit(1)
def walk(v, path):
    if isinstance(v, str):
        mm = bad.search(v)
        if mm:
            print("string at %s holds U+%04X" % (path, ord(mm.group()))); sys.exit(1)
    elif isinstance(v, dict):
        for k, x in v.items():
            walk(k, path + "/<key>"); walk(x, path + "/" + k)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(x, "%s[%d]" % (path, i))
walk(doc, "")
PY
probe=$(ls "$DEMO"/Maildir/cur/* | head -1)
if [ ! -x "$WARY" ]; then
	not_ok "wary inspect --json on the demo and hostile messages: no wary binary at $WARY"
elif ! "$WARY" inspect --json "$probe" >"$tmp/probe.out" 2>"$tmp/probe.err"; then
	not_ok "wary inspect --json on the demo and hostile messages: it failed"
	head -c 2000 "$tmp/probe.err" | tr -d '\033' | sed 's/^/#   /'
else
	for f in "$DEMO"/Maildir/cur/* "$DEMO"/Maildir/new/* "$HOSTILE"/*.eml "$tmp"/big/*.eml; do
		[ -f "$f" ] || continue
		name=${f#"$TOP"/}; case $f in "$tmp"/*) name="(big) $(basename "$f")" ;; esac
		timeout 60 "$WARY" inspect --json "$f" >"$tmp/o" 2>"$tmp/e"
		rc=$?
		if [ "$rc" != 0 ]; then
			not_ok "inspect --json $name: exit $rc $(head -c 160 "$tmp/e" | tr -d '\033\n')"
		elif why=$("$PY" "$tmp/out.py" "$tmp/o" "$tmp/e" "$name"); then
			ok "inspect --json $name: exits 0, valid JSON, no ESC/C1/bidi"
		else
			not_ok "inspect --json $name: $why"
		fi
	done
fi
t_done
