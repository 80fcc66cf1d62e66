#!/usr/bin/env python3
"""DKIM verification throughput for tests/bench/dkim: wary, dkimpy,
Mail::DKIM and OpenDKIM on the same signed corpus, one core each
(taskset -c 0), keys answered locally (wary: zone data in memory, its key
cache; dkimpy: a dnsfunc over the zone; Mail::DKIM: its DNS query
replaced by the zone; OpenDKIM: TestPublicKeys), in one run.  Prints a
table with ratios and writes OUT/dkim-DATE.{txt,tsv,json} and
dkim-latest.*.

usage: dkim_bench.py SIGNED ZONE TOOL OUT SECONDS
  SIGNED  directory with rsa2048/ and ed25519/ (dkim_sign.py)
  TOOL    the test_dkim binary of the wary build ("bench" mode)
"""
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

signed, zone, tool, out, seconds = sys.argv[1:6]
seconds = float(seconds)
os.makedirs(out, exist_ok=True)
PIN = ["taskset", "-c", "0"] if shutil.which("taskset") else []
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
records = {}
for line in open(zone):
    parts = line.split(None, 2)
    if len(parts) == 3 and parts[1] == "TXT":
        records[parts[0]] = parts[2].strip().strip('"')
tmp = tempfile.mkdtemp(prefix="wary-dkim-bench.")

DKIMPY = r'''
import sys, time, dkim, json
recs = json.loads(sys.argv[1]); files = sys.argv[3:]; limit = float(sys.argv[2])
def dnsfunc(name, timeout=5):
    n = name.decode() if isinstance(name, bytes) else name
    r = recs.get(n.rstrip("."))
    return r.encode() if r else None
msgs = [open(f, "rb").read() for f in files]
done = ok = 0; t0 = time.monotonic(); c0 = time.process_time()
while True:
    for m in msgs:
        try:
            ok += bool(dkim.DKIM(m).verify(dnsfunc=dnsfunc))
        except Exception:
            pass
        done += 1
        if time.monotonic() - t0 >= limit:
            break
    if time.monotonic() - t0 >= limit:
        break
print(done, time.monotonic() - t0, ok, time.process_time() - c0)
'''

PERL = r'''
use strict; use warnings; use Time::HiRes qw(time);
use Mail::DKIM::Verifier; use Net::DNS;
my ($zone, $limit, @files) = @ARGV;
my %Z;
open(my $zf, '<', $zone) or die;
while (<$zf>) { next unless /^(\S+)\s+TXT\s+"?(.*?)"?\s*$/; $Z{lc $1} = $2; }
{
    no warnings 'redefine';
    *Mail::DKIM::DNS::query_async = sub {
        my ($name, $type, %a) = @_;
        my $cb = ($a{Callbacks} && $a{Callbacks}{Success}) || sub { @_ };
        my @rr;
        if (my $v = $Z{lc $name}) {
            my $q = join ' ', map { '"' . $_ . '"' } unpack('(A255)*', $v);
            @rr = (Net::DNS::RR->new("$name. 300 IN TXT $q"));
        }
        my @r = $cb->(@rr);
        return sub { wantarray ? @r : $r[0] };
    };
}
my @msgs = map { local $/; open(my $f, '<', $_) or die; binmode $f; my $d = <$f>; $d } @files;
my ($done, $ok, $t0) = (0, 0, time);
my @c0 = times;
OUTER: while (1) {
    for my $m (@msgs) {
        my $v = Mail::DKIM::Verifier->new();
        $v->PRINT($m); $v->CLOSE();
        $ok++ if $v->result eq 'pass';
        $done++;
        last OUTER if time - $t0 >= $limit;
    }
}
my @c1 = times;
printf "%d %.3f %d %.3f\n", $done, time - $t0, $ok, ($c1[0] + $c1[1]) - ($c0[0] + $c0[1]);
'''


def run_wary(files):
    r = subprocess.run(PIN + [tool, "bench", zone, str(seconds)] + files, capture_output=True, text=True)
    m = re.search(r"messages (\d+) seconds ([\d.]+) rate \d+ pass (\d+) .* cpu ([\d.]+)", r.stdout)
    if not m:
        return None, r.stderr.strip()[:200]
    return (int(m.group(1)), float(m.group(2)), int(m.group(3)), float(m.group(4))), ""


def run_py(files):
    r = subprocess.run(PIN + [PY, "-c", DKIMPY, json.dumps(records), str(seconds)] + files,
                       capture_output=True, text=True)
    try:
        d, t, ok, c = r.stdout.split()
        return (int(d), float(t), int(ok), float(c)), ""
    except ValueError:
        return None, r.stderr.strip()[-200:]


def run_perl(files):
    r = subprocess.run(PIN + ["perl", "-e", PERL, zone, str(seconds)] + files, capture_output=True, text=True)
    try:
        d, t, ok, c = r.stdout.split()
        return (int(d), float(t), int(ok), float(c)), ""
    except ValueError:
        return None, r.stderr.strip()[-200:]


def run_opendkim(files):
    keys = os.path.join(tmp, "opendkim.keys")
    conf = os.path.join(tmp, "opendkim.conf")
    with open(keys, "w") as f:
        for n, v in records.items():
            f.write("%s %s\n" % (n, v))
    with open(conf, "w") as f:
        f.write("Mode v\nTestPublicKeys %s\nSyslog no\n" % keys)
    done = ok = 0
    t0 = time.monotonic()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # -t takes a comma-separated list: batches, so process start-up is spread
    i = 0
    while time.monotonic() - t0 < seconds:
        batch = files[i:i + 400] or files[:400]
        i = i + 400 if i + 400 < len(files) else 0
        r = subprocess.run(PIN + ["opendkim", "-x", conf, "-t", ",".join(batch)], capture_output=True,
                           text=True)
        done += len(batch)
        ok += sum(1 for l in (r.stdout + r.stderr).splitlines() if "succeeded" in l)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)  # start-up included
    return (done, time.monotonic() - t0, ok, cpu), ""


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip().splitlines()[0]
    except Exception:
        return "?"


rows = []
for alg in ("rsa2048", "ed25519"):
    d = os.path.join(signed, alg)
    files = sorted(os.path.join(d, f) for f in os.listdir(d))
    for name, fn in (("wary", run_wary), ("dkimpy", run_py), ("Mail::DKIM", run_perl),
                     ("OpenDKIM", run_opendkim)):
        sys.stderr.write("dkim: %s %s over %d messages...\n" % (name, alg, len(files)))
        res, why = fn(files)
        if res is None:
            rows.append({"tool": name, "alg": alg, "error": why})
            continue
        n, t, ok, cpu = res
        rows.append({"tool": name, "alg": alg, "messages": n, "seconds": round(t, 3), "cpu": round(cpu, 3),
                     "wall_rate": n / t if t > 0 else 0, "rate": n / cpu if cpu > 0 else 0,
                     "pass": ok, "corpus": len(files)})

lines = ["DKIM verification on one core (taskset -c 0), keys answered locally; msgs/s per CPU second",
         "(the wall-clock rate beside it counts the other work of a shared machine)",
         "%-11s %-8s %9s %8s %10s %10s %13s %s" % ("tool", "key", "messages", "cpu s", "msgs/s", "wall msgs/s",
                                                   "passed", "wary/peer")]
for r in rows:
    if "error" in r:
        lines.append("%-11s %-8s  failed: %s" % (r["tool"], r["alg"], r["error"]))
        continue
    w = next((x for x in rows if x["tool"] == "wary" and x["alg"] == r["alg"] and "rate" in x), None)
    ratio = "%.1fx" % (w["rate"] / r["rate"]) if w and r["rate"] and r["tool"] != "wary" else ""
    if r["pass"] == 0 and r["messages"] > 0:
        ratio = "(verified none: not comparable; Mail::DKIM in Debian 12 has no ed25519-sha256)" \
            if r["tool"] == "Mail::DKIM" else "(verified none: not comparable)"
    lines.append("%-11s %-8s %9d %8.2f %10.0f %10.0f %13s %s" % (r["tool"], r["alg"], r["messages"], r["cpu"],
                                                                r["rate"], r["wall_rate"],
                                                                "%d/%d" % (r["pass"], r["messages"]), ratio))
goal = next((x for x in rows if x["tool"] == "wary" and x["alg"] == "rsa2048" and "rate" in x), None)
if goal:
    lines.append("goal: >= 20,000 RSA-2048 messages/s: %s (%.0f)" % ("met" if goal["rate"] >= 20000 else "NOT met",
                                                                     goal["rate"]))
text = "\n".join(lines) + "\n"
print(text, end="")
stamp = time.strftime("%Y%m%d-%H%M%S")
meta = {"rows": rows, "machine": platform.machine(), "cpus": os.cpu_count(),
        "load": open("/proc/loadavg").read().split()[:3],
        "versions": {"dkimpy": version(PY + " -c 'import dkim,sys; print(getattr(dkim, \"__version__\", \"?\"))'"),
                     "Mail::DKIM": version("perl -MMail::DKIM -e 'print $Mail::DKIM::VERSION'"),
                     "OpenDKIM": version("opendkim -V 2>&1")}}
for ext, data in (("txt", text), ("json", json.dumps(meta, indent=1) + "\n"),
                  ("tsv", "".join("%s\t%s\t%s\t%s\t%s\n" % (r["tool"], r["alg"], r.get("messages", ""),
                                                            r.get("seconds", ""), round(r.get("rate", 0)))
                                  for r in rows))):
    with open(os.path.join(out, "dkim-%s.%s" % (stamp, ext)), "w") as f:
        f.write(data)
    shutil.copy(os.path.join(out, "dkim-%s.%s" % (stamp, ext)), os.path.join(out, "dkim-latest.%s" % ext))
shutil.rmtree(tmp, ignore_errors=True)
