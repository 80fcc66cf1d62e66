#!/usr/bin/env python3
"""wary's spam filter beside bogofilter on the SpamAssassin public corpus.

The split: the file names of each group (easy-ham-1, easy-ham-2,
hard-ham-1, spam-1, spam-2) sorted, every 5th message (index % 5 == 4)
is test, the rest train.  The other four offsets give the 5-fold figure.
Both filters train on the same files and classify the same files, in the
same run, each from an empty database.  Only the standard library.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GROUPS = ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"]


def is_spam(group):
    return group.startswith("spam")


def split(corpus, offset):
    """{group: (train files, test files)} for one offset of every-5th."""
    by = {g: [] for g in GROUPS}
    for n in sorted(os.listdir(corpus)):
        g = n.split(".", 1)[0]
        if g in by:
            by[g].append(os.path.join(corpus, n))
    out = {}
    for g, names in by.items():
        names.sort()
        out[g] = ([p for i, p in enumerate(names) if i % 5 != offset],
                  [p for i, p in enumerate(names) if i % 5 == offset])
    return out


def cpu_of(ru0, ru1):
    return (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)


def timed(cmd, **kw):
    """Run cmd; its output, wall-clock seconds and CPU seconds (all threads)."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, **kw)
    t1 = time.monotonic()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return p, t1 - t0, cpu_of(ru0, ru1)


# ---- the two filters -------------------------------------------------

class Wary:
    name = "wary"

    def __init__(self, binary, extra=()):
        self.bin = binary
        self.extra = list(extra)

    def version(self):
        p = subprocess.run([self.bin, "--version"], capture_output=True, text=True)
        return p.stdout.strip()

    def train(self, dbdir, spam, ham):
        db = os.path.join(dbdir, "spam.db")
        p, wall, cpu = timed([self.bin, "spam", "train", "-q", "--db", db] + self.extra +
                             ["--spam"] + spam + ["--ham"] + ham)
        if p.returncode != 0:
            sys.exit("wary spam train failed: %s" % p.stderr.decode(errors="replace")[-500:])
        return wall, cpu

    def db_bytes(self, dbdir):
        # the SQLite store; its flat copy (spam.db.snap) is counted apart
        return os.path.getsize(os.path.join(dbdir, "spam.db"))

    def extra_bytes(self, dbdir):
        p = os.path.join(dbdir, "spam.db.snap")
        return os.path.getsize(p) if os.path.exists(p) else 0

    def classify(self, dbdir, files):
        db = os.path.join(dbdir, "spam.db")
        p, wall, cpu = timed([self.bin, "spam", "classify", "--db", db] + self.extra + files)
        if p.returncode == 3:
            sys.exit("wary spam classify failed: %s" % p.stderr.decode(errors="replace")[-500:])
        res = {}
        for line in p.stdout.decode(errors="replace").splitlines():
            cls, prob, path = line.split(" ", 2)
            res[path] = ({"spam": "S", "ham": "H"}.get(cls, "U"), float(prob))
        return res, wall, cpu


class Bogofilter:
    """Debian's bogofilter with its default settings: -s/-n to train,
    -T to classify, in its batch mode -B (file names as arguments)."""
    name = "bogofilter"

    def version(self):
        p = subprocess.run(["bogofilter", "-V"], capture_output=True, text=True)
        return " ".join(p.stdout.split("\n")[0:2]).strip()

    def train(self, dbdir, spam, ham):
        w = c = 0
        for flag, files in (("-s", spam), ("-n", ham)):
            p, wall, cpu = timed(["bogofilter", "-d", dbdir, flag, "-B"] + files)
            if p.returncode != 0:
                sys.exit("bogofilter %s failed: %s" % (flag, p.stderr.decode(errors="replace")[-500:]))
            w += wall
            c += cpu
        return w, c

    def db_bytes(self, dbdir):
        return sum(os.path.getsize(os.path.join(dbdir, f)) for f in os.listdir(dbdir)
                   if os.path.isfile(os.path.join(dbdir, f)))

    def classify(self, dbdir, files):
        p, wall, cpu = timed(["bogofilter", "-d", dbdir, "-T", "-B"] + files)
        if p.returncode == 3:
            sys.exit("bogofilter -T failed: %s" % p.stderr.decode(errors="replace")[-500:])
        res = {}
        for line in p.stdout.decode(errors="replace").splitlines():
            path, cls, prob = line.rsplit(" ", 2)
            res[path] = (cls, float(prob))
        return res, wall, cpu


# ---- measures ----------------------------------------------------------

def auc(res, truth):
    """Mann-Whitney: the chance a spam scores above a ham, ties half."""
    s = sorted(res[p][1] for p in res if truth[p])
    h = sorted(res[p][1] for p in res if not truth[p])
    if not s or not h:
        return 0.0
    import bisect
    tot = 0.0
    for x in s:
        lo = bisect.bisect_left(h, x)
        hi = bisect.bisect_right(h, x)
        tot += lo + (hi - lo) / 2.0
    return tot / (len(s) * len(h))


def counts(res, files):
    c = {"S": 0, "H": 0, "U": 0}
    for p in files:
        c[res[p][0]] += 1
    return c


def evaluate(res, sp):
    truth = {}
    groups = {}
    for g, (_, test) in sp.items():
        for p in test:
            truth[p] = is_spam(g)
        groups[g] = counts(res, test)
    ham = [p for p in truth if not truth[p]]
    spam = [p for p in truth if truth[p]]
    ch, cs = counts(res, ham), counts(res, spam)
    return {
        "ham": len(ham), "spam": len(spam),
        "fp": ch["S"], "ham_unsure": ch["U"],
        "fn": cs["H"], "spam_unsure": cs["U"], "spam_caught": cs["S"],
        "auc": auc(res, truth), "groups": groups,
    }


def bayes_only(res):
    """wary's classes from its Bayes probability alone (cut-offs 0.3 and
    0.55), without the hybrid score that decides an unsure one."""
    return {p: ("S" if pr >= 0.55 else "H" if pr < 0.3 else "U", pr) for p, (_, pr) in res.items()}


def run_once(tool, sp, work):
    train_spam = [p for g, (tr, _) in sp.items() if is_spam(g) for p in tr]
    train_ham = [p for g, (tr, _) in sp.items() if not is_spam(g) for p in tr]
    test = [p for g in GROUPS for p in sp[g][1]]
    d = tempfile.mkdtemp(dir=work)
    tw, tc = tool.train(d, train_spam, train_ham)
    size = tool.db_bytes(d)
    res, cw, cc = tool.classify(d, test)
    extra = tool.extra_bytes(d) if hasattr(tool, "extra_bytes") else 0
    missing = [p for p in test if p not in res]
    if missing:
        sys.exit("%s gave no result for %d messages (first: %s)" % (tool.name, len(missing), missing[0]))
    shutil.rmtree(d)
    return {"train_s": tw, "train_cpu": tc, "classify_s": cw, "classify_cpu": cc,
            "ntrain": len(train_spam) + len(train_ham), "ntest": len(test), "db_bytes": size,
            "extra_bytes": extra, "res": res}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--wary", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--top", required=True)
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="wary-bench-spam.")
    try:
        return bench(a, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench(a, work):
    tools = [Wary(a.wary), Bogofilter()]
    primary = split(a.corpus, 4)
    lines = []

    def say(s=""):
        print(s, flush=True)
        lines.append(s)

    load0 = open("/proc/loadavg").read().split()[0]
    # one untimed pass reads every file into the page cache
    for g in GROUPS:
        for p in primary[g][0] + primary[g][1]:
            with open(p, "rb") as f:
                f.read()
    report = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
              "runs": a.runs, "versions": {t.name: t.version() for t in tools}, "tools": {}}
    # round robin, so both meet the same load on a shared machine
    allruns = {t.name: [] for t in tools}
    for _ in range(a.runs):
        for t in tools:
            allruns[t.name].append(run_once(t, primary, work))
    for t in tools:
        runs = allruns[t.name]
        # the scores of the first run; every run of a tool gives the same
        ev = evaluate(runs[0]["res"], primary)
        same = all(r["res"] == runs[0]["res"] for r in runs)
        med = lambda k: statistics.median(r[k] for r in runs)
        report["tools"][t.name] = dict(ev, deterministic=same,
                                       train_s=med("train_s"), train_cpu=med("train_cpu"),
                                       classify_s=med("classify_s"), classify_cpu=med("classify_cpu"),
                                       ntrain=runs[0]["ntrain"], ntest=runs[0]["ntest"],
                                       db_bytes=runs[0]["db_bytes"],
                                       extra_bytes=runs[0]["extra_bytes"])
    # the other four offsets, once each
    folds = {t.name: [] for t in tools}
    folds_bayes = []
    report["wary_bayes_only"] = {k: v for k, v in
                                 evaluate(bayes_only(allruns["wary"][0]["res"]), primary).items()
                                 if k != "groups"}
    for off in range(5):
        sp = primary if off == 4 else split(a.corpus, off)
        for t in tools:
            if off == 4:
                r = report["tools"][t.name]
                folds[t.name].append({k: r[k] for k in ("fp", "fn", "ham_unsure", "spam_unsure",
                                                         "spam_caught", "auc", "ham", "spam")})
                if t.name == "wary":
                    folds_bayes.append(report["wary_bayes_only"])
            else:
                res = run_once(t, sp, work)["res"]
                folds[t.name].append({k: v for k, v in evaluate(res, sp).items() if k != "groups"})
                if t.name == "wary":
                    folds_bayes.append({k: v for k, v in evaluate(bayes_only(res), sp).items()
                                        if k != "groups"})
    report["folds"] = folds
    report["folds_wary_bayes_only"] = folds_bayes
    # does the bigram option help? the same split without it
    nobi = evaluate(run_once(Wary(a.wary, ["--set", "bigrams=0"]), primary, work)["res"], primary)
    report["wary_without_bigrams"] = {k: v for k, v in nobi.items() if k != "groups"}
    load1 = open("/proc/loadavg").read().split()[0]

    say("spam: wary's filter beside bogofilter on the SpamAssassin public corpus (6046 msgs)")
    say("split: file names sorted per group, every 5th (index %% 5 == 4) is test: %d train, %d test"
        % (report["tools"]["wary"]["ntrain"], report["tools"]["wary"]["ntest"]))
    say("machine: %s, %s cores; load average %s at the start, %s at the end; median of %d runs"
        % (report["machine"], report["cpus"], load0, load1, a.runs))
    for t in tools:
        say("  %-10s %s" % (t.name, report["versions"][t.name]))
    say()
    say("%-10s %9s %9s %11s %11s %10s %9s %11s %12s %12s %9s"
        % ("tool", "FP", "FN", "unsure ham", "unsure spam", "spam->spam", "AUC",
           "train msg/s", "classify/s", "classify CPU", "db KB"))
    for t in tools:
        r = report["tools"][t.name]
        say("%-10s %5d/%-3d %5d/%-3d %11d %11d %9.1f%% %9.5f %11.0f %12.0f %11.2fs %9.0f"
            % (t.name, r["fp"], r["ham"], r["fn"], r["spam"], r["ham_unsure"], r["spam_unsure"],
               100.0 * r["spam_caught"] / r["spam"], r["auc"], r["ntrain"] / r["train_s"],
               r["ntest"] / r["classify_s"], r["classify_cpu"], r["db_bytes"] / 1024.0))
    w, b = report["tools"]["wary"], report["tools"]["bogofilter"]
    if w.get("extra_bytes"):
        say("(wary's db is the SQLite store; beside it the flat copy of its token table that batch "
            "classification reads, spam.db.snap: %.0f KB more)" % (w["extra_bytes"] / 1024.0))
    say()
    say("wary / bogofilter: classification %.2fx (messages/s), %.2fx by CPU time; training %.2fx; "
        "database %.2fx the size"
        % ((w["ntest"] / w["classify_s"]) / (b["ntest"] / b["classify_s"]),
           b["classify_cpu"] / w["classify_cpu"] if w["classify_cpu"] else 0,
           (w["ntrain"] / w["train_s"]) / (b["ntrain"] / b["train_s"]), w["db_bytes"] / b["db_bytes"]))
    say("goals (issue): no false positive at the default cut-off and >= 97%% of the test spam classed "
        "spam: %s (%d FP, %.1f%%); AUC above bogofilter's 0.99944 and SpamAssassin Bayes' 0.99969: "
        "%s (%.5f; bogofilter here %.5f); classification >= 2x bogofilter's batch throughput: %s (%.2fx)"
        % ("met" if w["fp"] == 0 and w["spam_caught"] >= 0.97 * w["spam"] else "NOT met", w["fp"],
           100.0 * w["spam_caught"] / w["spam"],
           "met" if w["auc"] > 0.99969 and w["auc"] > b["auc"] else "NOT met", w["auc"], b["auc"],
           "met" if (w["ntest"] / w["classify_s"]) >= 2 * (b["ntest"] / b["classify_s"]) else "NOT met",
           (w["ntest"] / w["classify_s"]) / (b["ntest"] / b["classify_s"])))
    say()
    say("by group (test messages classed spam / unsure / ham):")
    say("%-12s %6s   %-20s %-20s" % ("group", "msgs", "wary S/U/H", "bogofilter S/U/H"))
    for g in GROUPS:
        cw, cb = w["groups"][g], b["groups"][g]
        say("%-12s %6d   %-20s %-20s" % (g, sum(cw.values()), "%d/%d/%d" % (cw["S"], cw["U"], cw["H"]),
                                       "%d/%d/%d" % (cb["S"], cb["U"], cb["H"])))
    say()
    say("5-fold (every offset of the every-5th split, each trained from empty):")
    say("%-10s %-7s %5s %5s %8s %8s %10s %9s" % ("tool", "offset", "FP", "FN", "U ham", "U spam",
                                                 "spam->spam", "AUC"))
    for t in tools:
        for off, f in enumerate(folds[t.name]):
            say("%-10s %-7s %5d %5d %8d %8d %9.1f%% %9.5f" % (t.name, off, f["fp"], f["fn"], f["ham_unsure"],
                                                        f["spam_unsure"], 100.0 * f["spam_caught"] / f["spam"],
                                                        f["auc"]))
        tot = lambda k: sum(f[k] for f in folds[t.name])
        say("%-10s %-7s %5d %5d %8d %8d %9.1f%% %9.5f" % (t.name, "all", tot("fp"), tot("fn"), tot("ham_unsure"),
                                                    tot("spam_unsure"), 100.0 * tot("spam_caught") / tot("spam"),
                                                    statistics.mean(f["auc"] for f in folds[t.name])))
    wb = report["wary_bayes_only"]
    say()
    say("wary's class of an unsure Bayes verdict comes from the hybrid score of the message's offline "
        "facts (wary(1)); by the Bayes probability alone: %d FP, %d FN, %d+%d unsure, %.1f%% spam caught; "
        "5-fold: %d FP, %d FN, %.1f%% spam caught (with the score: %d FP, %d FN, %.1f%%)"
        % (wb["fp"], wb["fn"], wb["ham_unsure"], wb["spam_unsure"], 100.0 * wb["spam_caught"] / wb["spam"],
           sum(f["fp"] for f in folds_bayes), sum(f["fn"] for f in folds_bayes),
           100.0 * sum(f["spam_caught"] for f in folds_bayes) / sum(f["spam"] for f in folds_bayes),
           sum(f["fp"] for f in folds["wary"]), sum(f["fn"] for f in folds["wary"]),
           100.0 * sum(f["spam_caught"] for f in folds["wary"]) / sum(f["spam"] for f in folds["wary"])))
    say("5-fold, Bayes alone, spam caught by offset: %s"
        % ", ".join("%d %d/%d" % (o, f["spam_caught"], f["spam"]) for o, f in enumerate(folds_bayes)))
    nb = report["wary_without_bigrams"]
    say("bigrams: with %d FP, %d FN, %d+%d unsure, %.1f%% spam caught, AUC %.5f; without: %d FP, %d FN, "
        "%d+%d unsure, %.1f%% spam caught, AUC %.5f"
        % (w["fp"], w["fn"], w["ham_unsure"], w["spam_unsure"], 100.0 * w["spam_caught"] / w["spam"], w["auc"],
           nb["fp"], nb["fn"], nb["ham_unsure"], nb["spam_unsure"], 100.0 * nb["spam_caught"] / nb["spam"],
           nb["auc"]))
    if not (w["deterministic"] and b["deterministic"]):
        say("note: a tool gave different scores in different runs")

    os.makedirs(a.out, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix, data in ((".txt", "\n".join(lines) + "\n"),
                         (".json", json.dumps(report, indent=1, sort_keys=True) + "\n")):
        for name in ("spam-%s%s" % (stamp, suffix), "spam-latest%s" % suffix):
            with open(os.path.join(a.out, name), "w") as f:
                f.write(data)
    with open(os.path.join(a.out, "spam-latest.tsv"), "w") as f:
        f.write("tool\tfp\tfn\tham_unsure\tspam_unsure\tspam_caught\tauc\ttrain_msgs_s\tclassify_msgs_s\tdb_bytes\n")
        for t in tools:
            r = report["tools"][t.name]
            f.write("%s\t%d\t%d\t%d\t%d\t%d\t%.6f\t%.1f\t%.1f\t%d\n" % (
                t.name, r["fp"], r["fn"], r["ham_unsure"], r["spam_unsure"], r["spam_caught"], r["auc"],
                r["ntrain"] / r["train_s"], r["ntest"] / r["classify_s"], r["db_bytes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
