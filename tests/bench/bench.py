#!/usr/bin/env python3
"""The measuring half of tests/bench/maildir-open and tests/bench/render.

The shell scripts install the tools and build the corpus; this file times
them.  It is not meant to be run by hand (see tests/bench/README).
"""
import argparse
import hashlib
import json
import os
import platform
import resource
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402

COLS, ROWS = 120, 40
POLL_S = 0.005
STALL_S = 30
PROG = "bench"


class BenchError(Exception):
    pass


def log(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr, flush=True)


# ---------------------------------------------------------------- tmux ----

class Tmux:
    """A private tmux server, driven through one control-mode client.

    A capture over control mode costs about 0.2 ms, against 2.6 ms for a
    `tmux capture-pane` process, so polling every 5 ms takes almost no CPU
    from the client being measured (there are only two cores)."""

    END = re.compile(r"^%(end|error) \d+ \d+ \d+$")

    def __init__(self, env):
        self.sock = "wary-bench-%d" % os.getpid()
        self.env = env
        self.ctl = None
        self.pids = set()
        subprocess.run(self.base() + ["-f", "/dev/null", "new-session", "-d", "-s", "hold",
                                      "-x", str(COLS), "-y", str(ROWS), "exec sleep 2147483647"],
                       env=env, check=True)
        self.ctl = subprocess.Popen(self.base() + ["-C", "attach", "-t", "hold"], env=env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.read_block()  # the reply to attach itself
        self.cmd("refresh-client -f no-output")
        self.cmd("set -g remain-on-exit off")
        self.cmd("set -g history-limit 0")

    def base(self):
        return ["tmux", "-u", "-L", self.sock]

    def read_block(self):
        out, inside = [], False
        while True:
            ln = self.ctl.stdout.readline()
            if not ln:
                raise BenchError("the tmux control client went away")
            ln = ln.decode("utf-8", "replace").rstrip("\n")
            if not inside:
                if ln.startswith("%begin "):
                    inside, out = True, []
                elif ln.startswith("%exit"):
                    raise BenchError("the tmux control client exited: %s" % ln)
                continue
            m = self.END.match(ln)
            if m:
                if m.group(1) == "error":
                    raise TmuxError("\n".join(out))
                return out
            out.append(ln)

    def cmd(self, c):
        self.ctl.stdin.write((c + "\n").encode())
        return self.read_block()

    def close(self):
        if self.ctl is not None:
            try:
                self.ctl.stdin.close()
            except OSError:
                pass
        subprocess.run(self.base() + ["kill-server"], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.ctl is not None:
            try:
                self.ctl.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.ctl.kill()
        # The server sends SIGHUP to what runs in its panes; a client that
        # ignores it must not outlive the benchmark.
        for pid in self.pids:
            kill_quietly(pid, signal.SIGKILL)


class TmuxError(BenchError):
    pass


def kill_quietly(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def vm_hwm_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return None


def cpu_s(pid):
    """User + system CPU of a process and all its threads so far."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()
        return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        return st not in ("Z", "X")
    except OSError:
        return False


def show(screen):
    """A screen for an error message: without its trailing blank rows."""
    s = list(screen)
    while s and not s[-1].strip():
        s.pop()
    return "\n".join("    | " + ln.rstrip() for ln in s)


class Run:
    seq = 0


def tui_run(tm, work, argv, env, first_seen, full_seen, timeout, quit_keys="q", linger=None):
    """Start ARGV in a fresh 120x40 pane and time, from the exec, the first
    capture on which FIRST_SEEN and FULL_SEEN hold.  Returns a dict.
    LINGER: after the full index (and its figures), wait up to TIMEOUT
    until linger() is true before quitting."""
    Run.seq += 1
    name = "run%d" % Run.seq
    fifo = os.path.join(work, name + ".go")
    wrapper = os.path.join(work, name + ".sh")
    os.mkfifo(fifo, 0o600)
    # The pane waits on the fifo, so the clock starts at the exec and not
    # at tmux's fork, and the pid of the pane is the pid of the client.
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nread _ <%s\nexec env -i %s %s\n" % (
            shlex.quote(fifo),
            " ".join(shlex.quote("%s=%s" % kv) for kv in sorted(env.items())),
            " ".join(shlex.quote(a) for a in argv)))
    os.chmod(wrapper, 0o700)
    tm.cmd("new-session -d -s %s -x %d -y %d %s" % (name, COLS, ROWS, shlex.quote(wrapper)))
    pid = None
    try:
        info = tm.cmd("display -p -t %s '#{pane_pid} #{window_width}x#{window_height}'" % name)[0].split()
        pid = int(info[0])
        tm.pids.add(pid)
        if info[1] != "%dx%d" % (COLS, ROWS):
            raise BenchError("the pane is %s, not %dx%d" % (info[1], COLS, ROWS))
        deadline = time.monotonic() + 10
        while True:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError("the pane never started %s" % argv[0])
                time.sleep(0.001)
        t0 = time.perf_counter()
        os.write(fd, b"\n")
        os.close(fd)
        first = full = None
        screen = []
        changed, last = 0.0, None
        while True:
            try:
                screen = tm.cmd("capture-pane -p -t %s" % name)
            except TmuxError:
                raise BenchError("%s exited before its index was complete; last screen:\n%s"
                                 % (argv[0], show(screen)))
            t = time.perf_counter() - t0
            if screen != last:
                last, changed = screen, t
            elif t - changed > STALL_S:
                # Most likely the screen no longer says what the detection
                # looks for: fail now rather than at the timeout.
                raise BenchError("%s: the screen has not changed for %d s and does not show a %s; "
                                 "last screen:\n%s" % (argv[0], STALL_S,
                                                       "full index" if first else "first index row",
                                                       show(screen)))
            if first is None and first_seen(screen):
                first, screen_first = t, screen
            if first is not None and full_seen(screen):
                full = t
                break
            if t > timeout:
                raise BenchError("%s: no full index after %d s; last screen:\n%s"
                                 % (argv[0], timeout, show(screen)))
            time.sleep(POLL_S)
        rss = vm_hwm_kb(pid)
        cpu = cpu_s(pid)
        if linger is not None:
            while not linger() and time.perf_counter() - t0 < timeout:
                time.sleep(POLL_S)
        tq = time.perf_counter()
        tm.cmd("send-keys -t %s %s" % (name, quit_keys))
        # A client that writes its cache on quit must finish before the
        # next run reads it.
        while alive(pid):
            if time.perf_counter() - tq > 60:
                raise BenchError("%s did not quit within 60 s of %r; last screen:\n%s"
                                 % (argv[0], quit_keys, show(tm.cmd("capture-pane -p -t %s" % name))))
            time.sleep(0.005)
        return {"first_s": first, "full_s": full, "rss_kb": rss, "cpu_s": cpu,
                "quit_s": time.perf_counter() - tq, "screens": (screen_first, screen)}
    finally:
        try:
            tm.cmd("kill-session -t %s" % name)
        except TmuxError:
            pass
        if pid is not None and alive(pid):
            kill_quietly(pid, signal.SIGKILL)
        for p in (fifo, wrapper):
            try:
                os.unlink(p)
            except OSError:
                pass


# ------------------------------------------------------------- screens ----

DATE = r"(?:\d{4}-\d\d-\d\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d)"
# A message row: a number, flags, a date, then text (sender, subject).
ROW = re.compile(r"^\s*\d+\s.{0,8}?" + DATE + r"\s+\S.*\S")


def index_rows(screen):
    """Rows between the top line and the status line that look like messages."""
    return sum(1 for ln in screen[1:-2] if ROW.match(ln))


def count_re(n):
    # 100000, 100,000 or 100 000: whatever the client's number format is.
    s = str(n)
    parts = []
    while s:
        parts.insert(0, s[-3:])
        s = s[:-3]
    return "(?:%s|%s)" % (str(n), r"[ ,.\u202f]?".join(parts))


def neomutt_seen(n):
    msgs = re.compile(r"\bMsgs:%s\b" % count_re(n))

    def first(screen):
        return index_rows(screen) > 0

    def full(screen):
        return any(msgs.search(ln) for ln in screen)
    return first, full


def wary_seen(n):
    # The contract of wary's screen: the status line (second from the
    # bottom) says "loading N/M" while rows stream in, "M msgs" when done.
    msgs = re.compile(r"(?<![\d,.])%s msgs\b" % count_re(n))

    def first(screen):
        return index_rows(screen) > 0

    def full(screen):
        st = screen[-2] if len(screen) >= 2 else ""
        return "loading" not in st and bool(msgs.search(st))
    return first, full


# ------------------------------------------------------------- helpers ----

def tool_env(home):
    e = {
        "HOME": home,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "XDG_DATA_HOME": os.path.join(home, ".local/share"),
        "XDG_STATE_HOME": os.path.join(home, ".local/state"),
        "MBLAZE": os.path.join(home, ".mblaze"),
        "TMPDIR": os.path.join(home, "tmp"),
        "TZ": "UTC",
    }
    for k in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
              "MBLAZE", "TMPDIR"):
        os.makedirs(e[k], exist_ok=True)
    # mblaze complains on every call without a sequence file.
    open(os.path.join(e["MBLAZE"], "seq"), "a").close()
    # neomutt asks to create $folder when it is missing, and waits.
    os.makedirs(os.path.join(home, "Mail"), exist_ok=True)
    return e


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def warm_files(d):
    n = 0
    for root, _, files in os.walk(d):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                while f.read(1 << 20):
                    pass
            n += 1
    return n


def private_copy(exe, work):
    """The build tree may be rebuilt while the benchmark runs: every run
    uses one copy of the binary, taken at the start."""
    dst = os.path.join(work, "bin", os.path.basename(exe))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(exe, dst)
    # wary runs wary-client, found beside it, for everything but show
    client = os.path.join(os.path.dirname(exe), "wary-client")
    if os.path.exists(client):
        shutil.copy2(client, os.path.join(os.path.dirname(dst), "wary-client"))
    with open(dst, "rb") as f:
        WARY_ID["sha256"] = hashlib.sha256(f.read()).hexdigest()[:16]
    WARY_ID["mtime"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(os.path.getmtime(exe)))
    return dst


WARY_ID = {}


def du(d):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def version(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        out = (p.stdout or p.stderr).strip().splitlines()
        return out[0].strip() if out else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def deb_version(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return p.stdout.strip() or "?"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    cpu = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release()}


def git_rev(top):
    p = subprocess.run(["git", "-C", top, "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    return p.stdout.strip() or "?"


def fmt(x, nd=2):
    return "-" if x is None else ("%.*f" % (nd, x))


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def write_outputs(outdir, stem, rows_tsv, header, doc, text):
    stamp = time.strftime("%Y%m%d-%H%M%S")
    paths = []
    for suffix, write in (
            (".tsv", lambda f: f.write("\t".join(header) + "\n" +
                                       "".join("\t".join("" if v is None else str(v) for v in r) + "\n"
                                               for r in rows_tsv))),
            (".json", lambda f: json.dump(doc, f, indent=1)),
            (".txt", lambda f: f.write(text))):
        p = os.path.join(outdir, "%s-%s%s" % (stem, stamp, suffix))
        with open(p, "w") as f:
            write(f)
        shutil.copyfile(p, os.path.join(outdir, stem + "-latest" + suffix))
        paths.append(p)
    return paths


# -------------------------------------------------------- maildir-open ----

NEOMUTT_RC = """\
# Only what the benchmark needs: threads, and nothing that writes the Maildir.
set mbox_type=Maildir
set folder="{home}/Mail"
set sort=threads
set sort_aux=date
set mark_old=no
set move=no
set quit=yes
set wait_key=no
{cache}
"""


def maildir_open(a):
    sizes = [int(s) for s in a.sizes.split(",") if s]
    dirs = dict(kv.split("=", 1) for kv in a.dirs.split(","))
    tools = set(a.tools.split(","))
    work = tempfile.mkdtemp(prefix="wary-bench.")
    home = os.path.join(work, "home")
    env = tool_env(home)
    tm = None
    results = []   # one dict per (size, tool, mode)
    notes = []
    screens = {}   # the last run's screens at first screen and full index
    wary_missing = None
    if "wary" in tools:
        if not a.wary or not os.access(a.wary, os.X_OK):
            wary_missing = "no wary binary at %s (./setup.sh build, or BUILD=DIR)" % a.wary
            log(wary_missing)
            tools.discard("wary")
        else:
            a.wary = private_copy(a.wary, work)
    load0 = os.getloadavg()
    try:
        tm = Tmux({"PATH": env["PATH"], "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                   "HOME": home, "TERM": "xterm-256color", "TMUX_TMPDIR": work})
        for n in sizes:
            d = dirs[str(n)]
            if a.cold_disk:
                log("%d msgs: the page cache is dropped before every timed run" % n)
            else:
                log("%d msgs: reading every file once, so all runs start page-cache warm" % n)
                warm_files(d)

            def restore(label):
                moved = corpus.restore(d)
                if moved:
                    notes.append("%s moved %d files in the Maildir; put back before the next run"
                                 % (label, moved))

            modes = []
            if "neomutt" in tools:
                rc_off = os.path.join(work, "neomuttrc-off")
                rc_on = os.path.join(work, "neomuttrc-on-%d" % n)
                hc = os.path.join(work, "neomutt-hcache-%d" % n)
                with open(rc_off, "w") as f:
                    f.write(NEOMUTT_RC.format(home=home, cache="unset header_cache"))
                with open(rc_on, "w") as f:
                    f.write(NEOMUTT_RC.format(home=home, cache='set header_cache="%s/"' % hc))
                first, full = neomutt_seen(n)
                nm = ["neomutt", "-n", "-F"]
                modes.append(("neomutt", "no cache", "tui", nm + [rc_off, "-f", d], (first, full), None))
                modes.append(("neomutt", "cache fill", "tui", nm + [rc_on, "-f", d], (first, full), hc))
                modes.append(("neomutt", "cache warm", "tui", nm + [rc_on, "-f", d], (first, full), None))
            if "mblaze" in tools:
                modes.append(("mblaze", "mlist|mscan", "pipe", d, None, None))
            if "wary" in tools:
                hc = os.path.join(work, "wary-hcache-%d" % n)
                first, full = wary_seen(n)
                w = [a.wary, "-o", "confirm_quit=no", "-f", d]
                modes.append(("wary", "no cache", "tui", w + ["-o", "header_cache=off"], (first, full), None))
                modes.append(("wary", "cache fill", "tui", w + ["-o", "header_cache=" + hc], (first, full), hc))
                modes.append(("wary", "cache warm", "tui", w + ["-o", "header_cache=" + hc], (first, full), None))

            runs = {(t, m): [] for t, m, *_ in modes}
            errors = {}

            def one(tool, mode, kind, arg, seen):
                if a.cold_disk:
                    drop_caches()
                if kind == "tui":
                    try:
                        r = tui_run(tm, work, arg, env, seen[0], seen[1], a.timeout)
                    finally:
                        restore("%s (%s)" % (tool, mode))
                else:
                    r = mblaze_run(arg, n, env, os.path.join(work, "mscan.out"))
                log("%d msgs: %-7s %-11s first %6s s  full %6s s  RSS %6s MB  CPU %6s s" % (
                    n, tool, mode, fmt(r["first_s"], 3), fmt(r["full_s"], 3),
                    fmt(r["rss_kb"] / 1024 if r["rss_kb"] else None, 1), fmt(r.get("cpu_s"), 2)))
                sc = r.pop("screens", None)
                if sc:
                    screens[(n, tool, mode)] = sc
                runs[(tool, mode)].append(r)

            # The cache fills come first; then the timed runs go round
            # robin, so a slow minute of the machine is shared by all.
            for tool, mode, kind, arg, seen, cachedir in modes:
                if cachedir:
                    shutil.rmtree(cachedir, ignore_errors=True)
                    os.makedirs(cachedir, exist_ok=True)
                    try:
                        one(tool, mode, kind, arg, seen)
                        # A warm run that is no faster than a cold one may
                        # mean the cache was never written: show its size.
                        size = du(cachedir)
                        runs[(tool, mode)][-1]["cache_bytes"] = size
                        log("%d msgs: %s cache: %.1f MB" % (n, tool, size / 1e6))
                        if size == 0:
                            notes.append("%s wrote nothing into its cache directory" % tool)
                    except BenchError as e:
                        errors[(tool, mode)] = str(e)
                        errors[(tool, "cache warm")] = "cache fill failed"
                        log("%d msgs: %s %s: %s" % (n, tool, mode, e))
            for _ in range(a.runs):
                for tool, mode, kind, arg, seen, cachedir in modes:
                    if cachedir or (tool, mode) in errors:
                        continue
                    try:
                        one(tool, mode, kind, arg, seen)
                    except BenchError as e:
                        errors[(tool, mode)] = str(e)
                        log("%d msgs: %s %s: %s" % (n, tool, mode, e))
            for tool, mode, *_ in modes:
                rs = runs[(tool, mode)]
                results.append({
                    "size": n, "tool": tool, "mode": mode, "runs": len(rs),
                    "first_s": median([r["first_s"] for r in rs]),
                    "full_s": median([r["full_s"] for r in rs]),
                    "rss_mb": median([r["rss_kb"] / 1024 if r["rss_kb"] else None for r in rs]),
                    "cpu_s": median([r.get("cpu_s") for r in rs]),
                    "full_min": min([r["full_s"] for r in rs], default=None),
                    "full_max": max([r["full_s"] for r in rs], default=None),
                    "all": rs, "error": errors.get((tool, mode))})
            if wary_missing:
                results.append({"size": n, "tool": "wary", "mode": "-", "runs": 0, "first_s": None,
                                "full_s": None, "rss_mb": None, "cpu_s": None, "full_min": None,
                                "full_max": None, "all": [], "error": wary_missing})
    finally:
        if tm is not None:
            tm.close()
        shutil.rmtree(work, ignore_errors=True)
    report_open(a, sizes, results, notes, (load0, os.getloadavg()))
    # What the detection saw, to check it against the clients' real screens.
    p = os.path.join(a.out, "maildir-open-screens-latest.txt")
    with open(p, "w") as f:
        for (n, tool, mode), (s1, s2) in sorted(screens.items()):
            for what, s in (("first screen", s1), ("full index", s2)):
                f.write("=== %d msgs, %s %s, %s ===\n%s\n" % (n, tool, mode, what, "\n".join(s)))
    log("screens seen at detection: " + os.path.relpath(p, a.top))


def mblaze_run(d, n, env, outfile):
    """mlist DIR | mscan to a file (full index), and mlist DIR | mscan |
    head -40 (first screen: 40 rows printed)."""
    e = dict(env, COLUMNS=str(COLS))
    t0 = time.perf_counter()
    # mscan warns on stderr about undecodable headers of spam; keep that
    # off the terminal of the benchmark.
    with open(outfile, "wb") as out, open(outfile + ".err", "ab") as err:
        p1 = subprocess.Popen(["mlist", d], stdout=subprocess.PIPE, stderr=err, env=e)
        p2 = subprocess.Popen(["mscan"], stdin=p1.stdout, stdout=out, stderr=err, env=e)
        p1.stdout.close()
        _, st2, ru2 = os.wait4(p2.pid, 0)
        full = time.perf_counter() - t0
        _, st1, ru1 = os.wait4(p1.pid, 0)
        p1.returncode, p2.returncode = 0, 0
    if st1 or st2:
        raise BenchError("mlist | mscan failed (status %d, %d)" % (st1, st2))
    with open(outfile, "rb") as f:
        lines = sum(1 for _ in f)
    if lines != n:
        raise BenchError("mlist | mscan printed %d lines for %d messages" % (lines, n))
    t0 = time.perf_counter()
    p1 = subprocess.Popen(["mlist", d], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=e)
    p2 = subprocess.Popen(["mscan"], stdin=p1.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=e)
    p3 = subprocess.Popen(["head", "-%d" % ROWS], stdin=p2.stdout, stdout=subprocess.DEVNULL, env=e)
    p1.stdout.close()
    p2.stdout.close()
    p3.wait()
    first = time.perf_counter() - t0
    p2.wait()
    p1.wait()
    # Both run at once, so the pipeline's peak is at most the sum.
    return {"first_s": first, "full_s": full, "rss_kb": ru1.ru_maxrss + ru2.ru_maxrss, "lines": lines,
            "cpu_s": ru1.ru_utime + ru1.ru_stime + ru2.ru_utime + ru2.ru_stime}


def load_line(load):
    (s, _, _), (e, _, _) = load
    busy = " (others were busy: figures are noisier)" if max(s, e) > 1.5 else ""
    return "load average: %.2f at the start, %.2f at the end%s" % (s, e, busy)


def report_open(a, sizes, results, notes, load):
    m = machine()
    by = {(r["size"], r["tool"], r["mode"]): r for r in results}
    L = []
    L.append("maildir-open: time to first screen and to full index, tmux %dx%d, TERM=xterm-256color, "
             "C.UTF-8; median of %d runs" % (COLS, ROWS, a.runs))
    L.append("machine: %s, %d cores; %s" % (m["cpu"], m["cores"],
             "page cache dropped before every timed run (--cold-disk)" if a.cold_disk else
             "page-cache warm (every file read before timing; not a cold disk)"))
    L.append(load_line(load))
    L.append("")
    L.append("%-7s %-8s %-12s %9s %9s %15s %8s %7s %5s" % ("msgs", "tool", "mode", "first s", "full s",
                                                          "full min-max", "RSS MB", "CPU s", "runs"))
    for r in results:
        rng = "-" if r["full_min"] is None else "%.3f-%.3f" % (r["full_min"], r["full_max"])
        L.append("%-7d %-8s %-12s %9s %9s %15s %8s %7s %5d%s" % (
            r["size"], r["tool"], r["mode"], fmt(r["first_s"], 3), fmt(r["full_s"], 3), rng,
            fmt(r["rss_mb"], 1), fmt(r["cpu_s"], 2), r["runs"],
            ("   ERROR: " + r["error"].splitlines()[0]) if r["error"] else ""))
    L.append("")
    L.append("ratios, wary / peer (below 1: wary faster or smaller); design goals in brackets")
    ratios = []
    pairs = [
        (("wary", "no cache"), ("neomutt", "no cache"), "full <= 0.33, RSS <= 0.5"),
        (("wary", "cache warm"), ("neomutt", "cache warm"), "full <= 0.2, RSS <= 0.5"),
        (("wary", "no cache"), ("mblaze", "mlist|mscan"), ""),
        (("wary", "cache warm"), ("mblaze", "mlist|mscan"), ""),
    ]
    for n in sizes:
        for (wt, wm), (pt, pm), goal in pairs:
            w, p = by.get((n, wt, wm)), by.get((n, pt, pm))
            if not w or not p:
                continue
            rr = {"size": n, "wary": wm, "peer": "%s %s" % (pt, pm),
                  "first": ratio(w["first_s"], p["first_s"]), "full": ratio(w["full_s"], p["full_s"]),
                  "rss": ratio(w["rss_mb"], p["rss_mb"]), "cpu": ratio(w["cpu_s"], p["cpu_s"])}
            ratios.append(rr)
            L.append("%-7d wary %-10s / %-20s first %5s  full %5s  RSS %5s  CPU %5s%s" % (
                n, wm, rr["peer"], fmt(rr["first"]), fmt(rr["full"]), fmt(rr["rss"]), fmt(rr["cpu"]),
                ("   [%s]" % goal) if goal else ""))
    for n in sizes:
        fs = [(m, by[(n, "wary", m)]["first_s"]) for m in ("no cache", "cache warm")
              if (n, "wary", m) in by and by[(n, "wary", m)]["first_s"] is not None]
        if fs:
            L.append("%-7d wary first screen: %s   [< 0.5 s]" % (
                n, ", ".join("%s %.3f s" % (m, t) for m, t in fs)))
    if not ratios:
        L.append("(none: wary has no figures in this run)")
    L.append("")
    L.append("first screen: an index row with a date and a subject is on screen (mblaze: 40 lines "
             "printed by mlist|mscan|head -40).")
    L.append("full index: neomutt's status shows Msgs:N (it draws only after reading everything); wary's "
             "status line shows \"N msgs\" and no \"loading\"; mblaze: mlist|mscan >file has finished.")
    L.append("RSS: VmHWM just before quitting; mblaze: mlist + mscan peaks.  CPU: user+system time of the "
             "client (all threads) up to the full index; mblaze: mlist + mscan.")
    for nt in sorted(set(notes)):
        L.append("note: " + nt)
    text = "\n".join(L) + "\n"
    print(text, end="")
    doc = {"bench": "maildir-open", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": m,
           "page_cache": "dropped" if a.cold_disk else "warm", "runs": a.runs, "loadavg": load, "terminal": "%dx%d" % (COLS, ROWS),
           "versions": {"neomutt": deb_version("neomutt"), "mblaze": deb_version("mblaze"),
                        "tmux": deb_version("tmux"), "wary": git_rev(a.top), "wary_binary": WARY_ID},
           "results": results, "ratios": ratios, "notes": sorted(set(notes))}
    rows = [(r["size"], r["tool"], r["mode"], r["runs"], r["first_s"], r["full_s"], r["rss_mb"], r["cpu_s"],
             ",".join(fmt(x["first_s"], 4) for x in r["all"]),
             ",".join(fmt(x["full_s"], 4) for x in r["all"]), r["error"] or "") for r in results]
    paths = write_outputs(a.out, "maildir-open", rows,
                          ["msgs", "tool", "mode", "runs", "first_s", "full_s", "rss_mb", "cpu_s",
                           "first_all", "full_all", "error"], doc, text)
    log("written: " + ", ".join(os.path.relpath(p, a.top) for p in paths))


# -------------------------------------------------------------- render ----

def timed(argv, names, env, cwd, out):
    """Seconds for xargs to run ARGV over NAMES in batches, stdout to OUT."""
    data = b"\0".join(n.encode() for n in names) + b"\0"
    # xargs waits for its children, so their CPU time reaches ours.
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(["xargs", "-0", "-n", "500"] + argv, input=data, stdout=out,
                       stderr=subprocess.PIPE, env=env, cwd=cwd)
    t = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    TIMED_CPU[0] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return t, p.returncode, p.stderr.decode("utf-8", "replace")


TIMED_CPU = [0.0]


def render(a):
    work = tempfile.mkdtemp(prefix="wary-bench.")
    env = tool_env(os.path.join(work, "home"))
    # mshow reads a bare name as a message number of its sequence; a
    # path with a slash is a file, for both tools alike.
    names = ["./" + x for x in sorted(os.listdir(a.corpus))]
    n = len(names)
    tools = [("mblaze", "mshow", ["mshow"])]
    errors = {}
    if a.wary and os.access(a.wary, os.X_OK):
        a.wary = private_copy(a.wary, work)
        tools.append(("wary", "wary show", [a.wary, "show"]))
        # A clear word when the subcommand is not there yet, instead of a
        # figure for printing usage 6000 times.
        p = subprocess.run([a.wary, "show", names[0]], cwd=a.corpus, env=env,
                           capture_output=True, timeout=60)
        if p.returncode != 0 or not p.stdout.strip():
            errors["wary"] = "`wary show FILE` failed (status %d): %s" % (
                p.returncode, (p.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[0])
    else:
        errors["wary"] = "no wary binary at %s (./setup.sh build, or BUILD=DIR)" % a.wary
    res = []
    load0 = os.getloadavg()
    try:
        for tool, label, argv in tools:
            if tool in errors:
                continue
            # One untimed pass: warms the page cache and counts the output.
            outp = os.path.join(work, tool + ".out")
            with open(outp, "wb") as f:
                _, rc, err = timed(argv, names, env, a.corpus, f)
            size = os.path.getsize(outp)
            os.unlink(outp)
            if rc not in (0, 123) or size == 0:
                errors[tool] = "%s over the corpus: xargs status %d, %d bytes out: %s" % (
                    label, rc, size, err.strip().splitlines()[-1] if err.strip() else "")
                continue
            warn = err.strip().splitlines()
            res.append({"tool": tool, "command": label + " FILE...", "msgs": n, "runs": a.runs,
                        "all_s": [], "cpu_all_s": [], "output_bytes": size, "exit_status": rc, "stderr_lines": len(warn),
                        "stderr_first": warn[0] if warn else "", "argv": argv, "label": label})
        # The corpus's groups differ in kind (plain-text ham, HTML spam):
        # timed apart as well, they show where a difference comes from.
        groups = {}
        for x in names:
            groups.setdefault(x[2:].split(".", 1)[0], []).append(x)
        # Round robin, so a slow moment of the machine is shared.
        for i in range(a.runs):
            for r in res:
                with open(os.devnull, "wb") as f:
                    t, _, _ = timed(r["argv"], names, env, a.corpus, f)
                r["all_s"].append(t)
                r["cpu_all_s"].append(TIMED_CPU[0])
                log("%-9s run %d: %.3f s, %.0f msgs/s, CPU %.3f s" % (r["label"], i + 1, t, n / t, TIMED_CPU[0]))
                for g, gn in sorted(groups.items()):
                    with open(os.devnull, "wb") as f:
                        t, _, _ = timed(r["argv"], gn, env, a.corpus, f)
                    r.setdefault("groups", {}).setdefault(g, {"msgs": len(gn), "all_s": []})["all_s"].append(t)
        for r in res:
            r["median_s"] = statistics.median(r["all_s"])
            r["msgs_per_s"] = n / r["median_s"]
            r["cpu_s"] = statistics.median(r["cpu_all_s"])
            for g in r.get("groups", {}).values():
                g["msgs_per_s"] = g["msgs"] / statistics.median(g["all_s"])
            del r["argv"], r["label"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = (load0, os.getloadavg())
    by = {r["tool"]: r for r in res}
    m = machine()
    L = ["render: parse and render every corpus message to text (%d msgs), xargs batches of 500, "
         "stdout to /dev/null, median of %d runs" % (n, a.runs),
         "machine: %s, %d cores; page-cache warm (one untimed pass first)" % (m["cpu"], m["cores"]),
         load_line(load), "",
         "%-8s %-18s %9s %10s %8s %10s  %s" % ("tool", "command", "median s", "msgs/s", "CPU s",
                                                "output MB", "")]
    for tool, label, _ in [("mblaze", "mshow", None), ("wary", "wary show", None)]:
        r = by.get(tool)
        if r:
            note = ""
            if r["exit_status"] or r["stderr_lines"]:
                note = "exit %d, %d stderr lines (first: %s)" % (r["exit_status"], r["stderr_lines"],
                                                                 r["stderr_first"][:60])
            L.append("%-8s %-18s %9.3f %10.0f %8.3f %10.1f  %s" % (
                tool, label + " FILE...", r["median_s"], r["msgs_per_s"], r["cpu_s"],
                r["output_bytes"] / 1e6, note))
        else:
            L.append("%-8s %-18s %9s %10s %8s %10s  ERROR: %s" % (tool, label + " FILE...", "-", "-", "-", "-",
                                                                 errors.get(tool, "not run")))
    rt = None
    if "wary" in by and "mblaze" in by:
        rt = by["wary"]["msgs_per_s"] / by["mblaze"]["msgs_per_s"]
        L += ["", "wary / mshow: %.2f (messages per second; above 1: wary faster); by CPU time: %.2f" % (
            rt, by["mblaze"]["cpu_s"] / by["wary"]["cpu_s"]), "",
              "by corpus group (msgs/s, median):",
              "%-12s %6s %10s %10s %12s" % ("group", "msgs", "mshow", "wary", "wary/mshow")]
        for g in sorted(by["wary"]["groups"]):
            gw, gm = by["wary"]["groups"][g], by["mblaze"]["groups"][g]
            L.append("%-12s %6d %10.0f %10.0f %12.2f" % (g, gw["msgs"], gm["msgs_per_s"], gw["msgs_per_s"],
                                                         gw["msgs_per_s"] / gm["msgs_per_s"]))
    text = "\n".join(L) + "\n"
    print(text, end="")
    doc = {"bench": "render", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": m, "loadavg": load,
           "versions": {"mblaze": deb_version("mblaze"), "wary": git_rev(a.top), "wary_binary": WARY_ID},
           "results": res, "errors": errors, "ratio_wary_mshow": rt}
    rows = [(r["tool"], r["command"], r["msgs"], r["runs"], r["median_s"], r["msgs_per_s"], r["cpu_s"],
             ",".join("%.4f" % t for t in r["all_s"]), r["output_bytes"]) for r in res]
    paths = write_outputs(a.out, "render", rows,
                          ["tool", "command", "msgs", "runs", "median_s", "msgs_per_s", "cpu_s", "all_s",
                           "output_bytes"],
                          doc, text)
    log("written: " + ", ".join(os.path.relpath(p, a.top) for p in paths))
    return 0 if not errors else 3


# ---------------------------------------------------------------- main ----

def main():
    global PROG
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("maildir-open")
    o.add_argument("--sizes", required=True)
    o.add_argument("--dirs", required=True)
    o.add_argument("--runs", type=int, default=3)
    o.add_argument("--tools", default="neomutt,mblaze,wary")
    o.add_argument("--timeout", type=float, default=300)
    o.add_argument("--cold-disk", action="store_true")
    r = sub.add_parser("render")
    r.add_argument("--corpus", required=True)
    r.add_argument("--runs", type=int, default=3)
    for p in (o, r):
        p.add_argument("--wary", default="")
        p.add_argument("--out", required=True)
        p.add_argument("--top", required=True)
    a = ap.parse_args()
    PROG = a.cmd

    # Interrupted or killed: unwind through the finally blocks, which end
    # the tmux server and the clients it runs.
    def stop(sig, _):
        raise KeyboardInterrupt
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, stop)
    try:
        if a.cmd == "maildir-open":
            maildir_open(a)
            return 0
        return render(a)
    except KeyboardInterrupt:
        log("interrupted; tmux sessions and clients ended")
        return 130
    except BenchError as e:
        log(str(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
