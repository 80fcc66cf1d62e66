#!/usr/bin/env python3
"""Signs the corpus for tests/bench/dkim: every message once with the
test key rsa2048 of example.test and once with ed25519 (tests/servers/dkim),
relaxed/relaxed, the usual headers, by dkimpy, into OUT/rsa2048/ and
OUT/ed25519/ (the same file names).  Messages dkimpy cannot sign (broken
header blocks) are left out and counted.  Deterministic but for t=.

usage: dkim_sign.py CORPUS KEYDIR OUT [JOBS]
"""
import base64
import multiprocessing
import os
import subprocess
import sys

import dkim

corpus, keydir, out = sys.argv[1:4]
jobs = int(sys.argv[4]) if len(sys.argv) > 4 else 2


def pem(name):
    k = os.path.join(keydir, name)
    p = subprocess.run(["openssl", "pkey", "-in", k, "-traditional"], capture_output=True).stdout
    if b"BEGIN RSA" not in p:
        p = subprocess.run(["openssl", "rsa", "-in", k, "-traditional"], capture_output=True).stdout
    return p


RSA = pem("rsa2048.example.test.key")
ED = base64.b64encode(subprocess.run(["openssl", "pkey", "-in", os.path.join(keydir, "ed25519.example.test.key"),
                                      "-outform", "DER"], capture_output=True, check=True).stdout[-32:])
HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"content-type", b"mime-version"]


def one(name):
    with open(os.path.join(corpus, name), "rb") as f:
        m = f.read()
    m = m.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    done = 0
    for sel, key, alg in (("rsa2048", RSA, b"rsa-sha256"), ("ed25519", ED, b"ed25519-sha256")):
        try:
            hdrs = [h for h in HEADERS if h in m.lower()]
            if b"from" not in hdrs:
                return 0
            sig = dkim.sign(m, sel.encode(), b"example.test", key, signature_algorithm=alg,
                            canonicalize=(b"relaxed", b"relaxed"), include_headers=hdrs)
        except Exception:
            return 0
        with open(os.path.join(out, sel, name), "wb") as f:
            f.write(sig + m)
        done += 1
    return 1 if done == 2 else 0


if __name__ == "__main__":
    for sel in ("rsa2048", "ed25519"):
        os.makedirs(os.path.join(out, sel), exist_ok=True)
    names = sorted(os.listdir(corpus))
    with multiprocessing.Pool(jobs) as p:
        ok = sum(p.map(one, names, chunksize=64))
    print("signed %d of %d corpus messages (%d left out: no From or a header block dkimpy refuses)"
          % (ok, len(names), len(names) - ok))
