#!/usr/bin/env python3
"""Authentication-Results corpus (authres-ar-corpus/ar-corpus.json): every
header through wary's RFC 8601 parser, compared with the reference parse of
python3-authres.  Where the references disagree or are wrong by RFC 8601,
the expectation is written here with its reason.  Prints TAP.

usage: authres_corpus.py TOOL CORPUS.json
"""
import json
import subprocess
import sys

tool, corpus = sys.argv[1:3]
cases = json.load(open(corpus))
# header prefix -> (expected canonical line or "ERROR", why)
OVERRIDES = {
    # authres refuses ':' inside a value; RFC 8601 2.7.3's policy.iprev
    # carries an IP address, and an IPv6 one has colons (Mail::
    # AuthenticationResults accepts it too).  wary reads the address.
    "Authentication-Results: mail.bmsi.com; iprev=pass policy.iprev=2001:":
        ("mail.bmsi.com|iprev=pass||policy.iprev=2001:748:100:40::2:2;spf=none||smtp.mailfrom=markuslaudi@freenet.de",
         "an IPv6 address in policy.iprev (RFC 8601 2.7.3)"),
}


def canon(a):
    parts = []
    for r in a["results"]:
        props = ",".join("%s.%s=%s" % (p["type"], p["name"], p["value"]) for p in r["properties"])
        parts.append("%s=%s|%s|%s" % (r["method"], r["result"], r["reason"] or "", props))
    return a["authserv_id"] + "|" + ";".join(parts)


values = []
for c in cases:
    h = c["header"]
    values.append(h.split(":", 1)[1] if ":" in h else h)
inp = "".join(v.encode().hex() + "\n" for v in values)
out = subprocess.run([tool, "authres"], input=inp, capture_output=True, text=True).stdout.splitlines()
n = failed = 0
for c, got in zip(cases, out):
    n += 1
    want, why = None, "as python3-authres parses it"
    for k, (w, y) in OVERRIDES.items():
        if c["header"].startswith(k):
            want, why = w, y
    if want is None:
        a = c["authres"]
        want = "ERROR" if "error" in a else canon(a)
    if got == want:
        print("ok %d - %s: %s" % (n, c["header"][:70], why))
    else:
        failed += 1
        print("not ok %d - %s\n#   got:  %s\n#   want: %s" % (n, c["header"][:70], got, want))
if len(out) != len(cases):
    n += 1
    failed += 1
    print("not ok %d - the parser answered %d of %d headers" % (n, len(out), len(cases)))
print("# %d checks, %d failed" % (n, failed))
sys.exit(1 if failed else 0)
