#!/usr/bin/env python3
"""The measuring half of tests/bench/imap-open.

    imap.py run ...                        (called by imap-open)
    imap.py floor HOST PORT CA USER PASS   one envelope fetch of INBOX, read
                                           and discarded; prints JSON

The shell script installs the tools, builds the corpus Maildirs and starts
a private Dovecot; this file fills the server, times the clients and
writes the report.  It is not meant to be run by hand (see README).
"""
import argparse
import fcntl
import json
import os
import re
import shutil
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from bench import BenchError, fmt, log, median, ratio  # noqa: E402

# Bump when the server-side layout changes, so the cached copies are rebuilt.
SERVER_LAYOUT = "1"
LOG_WAIT_S = 10


# --------------------------------------------------------------- floor ----

ENVELOPES = "UID FLAGS ENVELOPE RFC822.SIZE"
# wary's cold index asks for the envelopes of the floor (past its first
# screen), then, in the check after the full index, for the rest of its
# rows in a second pass (src/store/imap.c, ROW_ITEMS_DETAIL): the floor of
# that second request, to tell its server cost.
WARY_ITEMS = "UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (REFERENCES CONTENT-TYPE)]"


def floor(host, port, ca, user, password, items, pause=None):
    """Connect, TLS (verified), LOGIN, SELECT INBOX, then one
    UID FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE), every byte read and
    thrown away: what any client must at least wait for to know every row.
    Only the tail of the stream is looked at (for the tagged answer), so
    the figure is the server, TLS and the loopback, not a parser."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    ctx = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection((host, port), timeout=600)
    s = ctx.wrap_socket(raw, server_hostname=host)
    buf = bytearray(1 << 18)
    view = memoryview(buf)
    got = [0]

    def until(tag):
        want = b"\r\n" + tag + b" "
        tail = b"\r\n"
        while True:
            n = s.recv_into(buf)
            if n == 0:
                raise BenchError("floor: the server closed the connection")
            got[0] += n
            # The tagged line may be long (a CAPABILITY list): keep 4 KB.
            tail = (tail + bytes(view[max(0, n - 4096):n]))[-4096:]
            i = tail.rfind(want)
            if i >= 0 and tail.endswith(b"\r\n"):
                line = tail[i + 2:].split(b"\r\n", 1)[0]
                if not line.startswith(tag + b" OK"):
                    raise BenchError("floor: %s" % line.decode("utf-8", "replace"))
                return

    until(b"*")  # the greeting: "* OK ..." (the tag check allows "*")
    t_tls = time.perf_counter()
    s.sendall(b"wbf1 LOGIN %s %s\r\n" % (quote(user), quote(password)))
    until(b"wbf1")
    s.sendall(b"wbf2 SELECT INBOX\r\n")
    until(b"wbf2")
    t_sel = time.perf_counter()
    got_sel = got[0]
    s.sendall(b"wbf3 UID FETCH 1:* (%s)\r\n" % items.encode())
    until(b"wbf3")
    t_fetch = time.perf_counter()
    c1 = time.process_time()
    fetch_bytes = got[0] - got_sel
    r = {"tls_s": t_tls - t0, "select_s": t_sel - t0, "fetch_s": t_fetch - t_sel,
         "full_s": t_fetch - t0, "cpu_s": c1 - c0, "fetch_bytes": fetch_bytes}
    if pause:
        # The caller reads the server's CPU while the session still lives.
        pause(r)
    try:
        s.sendall(b"wbf4 LOGOUT\r\n")
        until(b"wbf4")
    except (OSError, BenchError):
        pass
    s.close()
    r["bytes_read"] = got[0]
    return r


def quote(s):
    return b'"' + s.encode().replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def floor_run(srv, timeout, items=ENVELOPES):
    """The floor in a process of its own, so its CPU and memory are its
    own.  It stops after the FETCH until told to log out, so that the
    server's CPU for the session can be read."""
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "floor", srv["host"], srv["port"],
                          srv["ca"], srv["user"], srv["pass"], items], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    srv_cpu = None
    try:
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([p.stdout], [], [], left)[0]:
                raise BenchError("floor: no answer after %d s" % timeout)
            c = os.read(p.stdout.fileno(), 1)
            if not c:
                break
            line += c
        if line.startswith(b"{"):
            srv_cpu = server_cpu(srv)
            p.stdin.write(b"\n")
            p.stdin.flush()
        out, err = p.communicate(timeout=30)
    except (BenchError, subprocess.TimeoutExpired) as e:
        p.kill()
        p.communicate()
        raise BenchError(str(e) if isinstance(e, BenchError) else "floor: did not log out")
    if p.returncode != 0:
        raise BenchError("floor failed: %s" % (err.decode("utf-8", "replace").strip().splitlines() or ["?"])[-1])
    r = json.loads((line + out).decode().strip().splitlines()[-1])
    r["first_s"] = None
    r["srv_cpu_s"] = srv_cpu
    return r


# -------------------------------------------------------------- server ----

def server_env(run):
    env = {}
    with open(os.path.join(run, "env")) as f:
        for ln in f:
            m = re.match(r"^export (\w+)=(?:'(.*)'|(\S*))$", ln.strip())
            if m:
                env[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
    need = ("WARY_TEST_HOST", "WARY_TEST_IMAPS_PORT", "WARY_TEST_CA", "WARY_TEST_ALICE",
            "WARY_TEST_ALICE_PASS", "WARY_TEST_DOVECOT_CONF", "WARY_TEST_MAILDIR_ROOT")
    miss = [k for k in need if k not in env]
    if miss:
        raise BenchError("%s/env lacks %s" % (run, ", ".join(miss)))
    users = os.path.join(run, "dovecot", "users")
    uid = gid = home = None
    with open(users) as f:
        for ln in f:
            fs = ln.rstrip("\n").split(":")
            if fs[0] == env["WARY_TEST_ALICE"]:
                uid, gid, home = int(fs[2]), int(fs[3]), fs[5]
    if uid is None:
        raise BenchError("no user %s in %s" % (env["WARY_TEST_ALICE"], users))
    master = None
    with open(os.path.join(run, "state")) as f:
        for ln in f:
            if ln.startswith("SHORT="):
                try:
                    with open(os.path.join(ln.strip()[6:], "dovecot", "master.pid")) as g:
                        master = int(g.read().strip())
                except (OSError, ValueError):
                    pass
    if master is None:
        raise BenchError("cannot find the pid of our Dovecot (from %s/state)" % run)
    return {"master": master, "host": env["WARY_TEST_HOST"], "port": env["WARY_TEST_IMAPS_PORT"], "ca": env["WARY_TEST_CA"],
            "user": env["WARY_TEST_ALICE"], "pass": env["WARY_TEST_ALICE_PASS"],
            "conf": env["WARY_TEST_DOVECOT_CONF"], "home": home, "uid": uid, "gid": gid,
            "log": os.path.join(run, "dovecot.log")}


def server_cpu(srv):
    """CPU so far of the server's side of the sessions that are open: the
    imap processes and the imap-login processes (TLS) of our Dovecot.
    Only one client talks to it at a time, and Dovecot gives every session
    its own processes of each."""
    total = 0.0
    master = srv["master"]
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.find("(") + 1:raw.rfind(")")]
        st = raw.rsplit(")", 1)[1].split()
        if int(st[1]) == master and comm in ("imap", "imap-login"):
            total += (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
    return total


def doveadm(srv, *args):
    p = subprocess.run(["doveadm", "-c", srv["conf"]] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError("doveadm %s failed: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout


def chown_tree(d, uid, gid):
    os.chown(d, uid, gid)
    for root, ds, fs in os.walk(d):
        for x in ds + fs:
            os.lchown(os.path.join(root, x), uid, gid)


def server_maildir(srv, n, src, cache):
    """Put the N-message corpus Maildir in the user's place on the server:
    a copy owned by the mail user, kept in cache/imap-N and reused while
    the source is the same, linked as the user's Maildir and indexed by
    Dovecot.  Returns the directory."""
    sdir = os.path.join(cache, "imap-%d" % n)
    stamp_path = sdir + ".stamp"
    with open(src + ".stamp") as f:
        want = "%s server=%s owner=%d:%d" % (f.read().strip(), SERVER_LAYOUT, srv["uid"], srv["gid"])
    with open(os.path.join(cache, ".lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        have = None
        try:
            with open(stamp_path) as f:
                have = f.read().strip()
        except OSError:
            pass
        fresh = have != want or not os.path.isdir(os.path.join(sdir, "Maildir"))
        if fresh:
            log("%d msgs: copying %s for the server (once; kept in %s)" % (n, src, sdir))
            tmp = sdir + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            shutil.copytree(src, os.path.join(tmp, "Maildir"), symlinks=True)
            chown_tree(tmp, srv["uid"], srv["gid"])
            try:
                os.unlink(stamp_path)
            except OSError:
                pass
            shutil.rmtree(sdir, ignore_errors=True)
            os.rename(tmp, sdir)
        link_maildir(srv, sdir)
        t0 = time.perf_counter()
        doveadm(srv, "index", "-u", srv["user"], "INBOX")
        st = doveadm(srv, "mailbox", "status", "-u", srv["user"], "messages uidvalidity", "INBOX")
        m = re.search(r"messages=(\d+)", st)
        if not m or int(m.group(1)) != n:
            raise BenchError("the server's INBOX holds %s messages, not %d; delete %s to rebuild it"
                             % (m.group(1) if m else "?", n, sdir))
        if fresh:
            log("%d msgs: indexed by Dovecot in %.1f s" % (n, time.perf_counter() - t0))
            with open(stamp_path, "w") as f:
                f.write(want + "\n")
    return sdir


def link_maildir(srv, sdir):
    home = srv["home"]
    os.makedirs(home, exist_ok=True)
    os.chown(home, srv["uid"], srv["gid"])
    link = os.path.join(home, "Maildir")
    if os.path.islink(link):
        os.unlink(link)
    elif os.path.exists(link):
        raise BenchError("%s exists and is not a link: not replacing it" % link)
    os.symlink(os.path.join(sdir, "Maildir"), link)
    # Dovecot (as the mail user) must reach the copy.
    p = subprocess.run(["setpriv", "--reuid=%d" % srv["uid"], "--regid=%d" % srv["gid"], "--clear-groups",
                        "test", "-w", os.path.join(link, "cur")])
    if p.returncode != 0:
        raise BenchError("the mail user (uid %d) cannot write %s: a parent directory is closed to it"
                         % (srv["uid"], sdir))


class DovecotLog:
    """The sessions Dovecot logged since mark(): its logout line gives the
    bytes it sent (out=, the IMAP stream before TLS) and how many headers
    it fetched, for every client alike."""

    LOGIN = re.compile(r"imap-login: Info: Login: user=<([^>]*)>")
    END = re.compile(r"imap\(([^)]*)\)<\d+><[^>]*>: Info: (?:Disconnected|Logged out)\b.*?"
                     r"\bin=(\d+) out=(\d+)(?:.*?\bhdr_count=(\d+) hdr_bytes=(\d+) body_count=(\d+))?")

    def __init__(self, path):
        self.path = path
        self.pos = 0

    def mark(self):
        self.pos = os.path.getsize(self.path)

    def sessions(self):
        """Wait (a little) until every session logged in has logged out."""
        deadline = time.monotonic() + LOG_WAIT_S
        while True:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                text = f.read().decode("utf-8", "replace")
            logins = len(self.LOGIN.findall(text))
            ends = self.END.findall(text)
            if (logins and len(ends) >= logins) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        r = {"sessions": logins, "ended": len(ends), "in_bytes": sum(int(e[1]) for e in ends),
             "out_bytes": sum(int(e[2]) for e in ends),
             "hdr_count": sum(int(e[3] or 0) for e in ends), "body_count": sum(int(e[5] or 0) for e in ends)}
        if not logins or len(ends) < logins:
            r["out_bytes"] = None
        return r


# ------------------------------------------------------------- clients ----

MUTT_RC = """\
# Only what the benchmark needs: the test server over IMAPS, verified
# against the test CA; threads; nothing that writes to the server.
set folder="imaps://{user}@{host}:{port}/"
set spoolfile="+INBOX"
set imap_user="{user}"
set imap_pass="{pw}"
set ssl_ca_certificates_file="{ca}"
set certificate_file="{home}/certs-{tool}"
set ssl_verify_host=yes
set imap_check_subscribed=no
set sort=threads
set sort_aux=date
set mark_old=no
set move=no
set quit=yes
set wait_key=no
# Without this, both pause a second after the TLS details and other
# informational messages before they draw anything: a fixed second that
# is not their speed.
set sleep_time=0
{cache}
"""

AERC_ACCOUNT = """\
[bench]
source = imaps://{user}:{pw}@{host}:{port}
default = INBOX
from = Bench <{user}@example.test>
cache-headers = {cache}
"""

WARY_CONFIG = """\
account bench {{
	set imap_host = {host}
	set imap_port = {port}
	set imap_user = {user}
	set ca_file = {ca}
	set password_command = "printf '%s\\\\n' '{pw}'"
	set fetch_interval = 0
}}
"""

# aerc draws a date in every row of its message list: 2002-08-28 07:25 PM.
AERC_ROW = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def aerc_seen(n):
    """aerc fetches the headers of the visible rows only: its index is
    drawn when the list area (every row between the tab line and the
    status line) is full, or holds every message."""
    want = min(n, bench.ROWS - 2)

    def rows(screen):
        return sum(1 for ln in screen[1:-1] if AERC_ROW.search(ln))

    def first(screen):
        return rows(screen) > 0

    def full(screen):
        return rows(screen) >= want
    return first, full


def read_trace(path):
    """wary's WARY_TRACE milestones, in seconds since wary started."""
    out = {}
    try:
        with open(path) as f:
            for ln in f:
                m = re.match(r"^(\d+) (first screen|full index|check done)\b", ln)
                if m and m.group(2) not in out:
                    out[m.group(2)] = int(m.group(1)) / 1000.0
    except OSError:
        pass
    return out.get("first screen"), out.get("full index"), out.get("check done")


def setup_clients(a, srv, work, home, env, n):
    """(tool, mode, kind, argv, env, (first, full), cache dir or None, quit keys)
    for every client and mode asked for."""
    tools = a.tools
    modes = []
    fill = dict(host=srv["host"], port=srv["port"], user=srv["user"], pw=srv["pass"], ca=srv["ca"], home=home)
    for tool in ("neomutt", "mutt"):
        if tool not in tools:
            continue
        hc = os.path.join(work, "%s-hcache-%d" % (tool, n))
        rc_off = os.path.join(work, "%src-off" % tool)
        rc_on = os.path.join(work, "%src-on-%d" % (tool, n))
        with open(rc_off, "w") as f:
            f.write(MUTT_RC.format(tool=tool, cache="unset header_cache", **fill))
        with open(rc_on, "w") as f:
            f.write(MUTT_RC.format(tool=tool, cache='set header_cache="%s/"' % hc, **fill))
        os.chmod(rc_off, 0o600)
        os.chmod(rc_on, 0o600)
        seen = bench.neomutt_seen(n)
        modes.append((tool, "no cache", "tui", [tool, "-n", "-F", rc_off], env, seen, None, "q"))
        modes.append((tool, "cache fill", "tui", [tool, "-n", "-F", rc_on], env, seen, hc, "q"))
        modes.append((tool, "cache warm", "tui", [tool, "-n", "-F", rc_on], env, seen, None, "q"))
    if "aerc" in tools:
        ae = {}
        for mode, cache in (("off", "false"), ("on", "true")):
            cfg = os.path.join(work, "aerc-%s-%d" % (mode, n))
            d = os.path.join(cfg, "aerc")
            os.makedirs(d, exist_ok=True)
            for name in ("aerc.conf", "binds.conf"):
                shutil.copyfile(os.path.join("/usr/share/aerc", name), os.path.join(d, name))
            acc = os.path.join(d, "accounts.conf")
            with open(acc, "w") as f:
                f.write(AERC_ACCOUNT.format(cache=cache, **dict(fill, pw=urllib.parse.quote(srv["pass"], safe=""))))
            os.chmod(acc, 0o600)  # aerc refuses a readable one
            # Go's TLS takes its roots from SSL_CERT_FILE: the test CA only.
            ae[mode] = dict(env, XDG_CONFIG_HOME=cfg, XDG_CACHE_HOME=os.path.join(work, "aerc-cache-%s-%d" % (mode, n)),
                            SSL_CERT_FILE=srv["ca"])
            os.makedirs(ae[mode]["XDG_CACHE_HOME"], exist_ok=True)
        seen = aerc_seen(n)
        hc = ae["on"]["XDG_CACHE_HOME"]
        modes.append(("aerc", "no cache", "tui", ["aerc"], ae["off"], seen, None, "q"))
        modes.append(("aerc", "cache fill", "tui", ["aerc"], ae["on"], seen, hc, "q"))
        modes.append(("aerc", "cache warm", "tui", ["aerc"], ae["on"], seen, None, "q"))
    if "wary" in tools:
        cfgdir = os.path.join(env["XDG_CONFIG_HOME"], "wary")
        os.makedirs(cfgdir, exist_ok=True)
        with open(os.path.join(cfgdir, "config"), "w") as f:
            f.write(WARY_CONFIG.format(**fill))
        hc = os.path.join(work, "wary-hcache-%d" % n)
        seen = bench.wary_seen(n)
        w = [a.wary, "-a", "bench", "-o", "confirm_quit=no"]
        modes.append(("wary", "no cache", "tui", w + ["-o", "header_cache=off"], env, seen, None, "q"))
        modes.append(("wary", "cache fill", "tui", w + ["-o", "header_cache=" + hc], env, seen, hc, "q"))
        modes.append(("wary", "cache warm", "tui", w + ["-o", "header_cache=" + hc], env, seen, None, "q"))
    if "floor" in tools:
        modes.append(("floor", "envelopes", "floor", ENVELOPES, None, None, None, None))
        modes.append(("floor", "2nd pass", "floor", WARY_ITEMS, None, None, None, None))
    return modes


# ----------------------------------------------------------------- run ----

TOOL_ORDER = ("wary", "neomutt", "mutt", "aerc", "floor")


def run(a):
    sizes = [int(s) for s in a.sizes.split(",") if s]
    dirs = dict(kv.split("=", 1) for kv in a.dirs.split(","))
    a.tools = set(a.tools.split(","))
    srv = server_env(a.server)
    dlog = DovecotLog(srv["log"])
    work = tempfile.mkdtemp(prefix="wary-bench.")
    os.chmod(work, 0o700)
    home = os.path.join(work, "home")
    env = bench.tool_env(home)
    tm = None
    results, notes, screens = [], [], {}
    wary_missing = None
    if "wary" in a.tools:
        if not a.wary or not os.access(a.wary, os.X_OK):
            wary_missing = "no wary binary at %s (./setup.sh build, or BUILD=DIR)" % a.wary
            log(wary_missing)
            a.tools.discard("wary")
        else:
            a.wary = bench.private_copy(a.wary, work)
    load0 = os.getloadavg()
    try:
        tm = bench.Tmux({"PATH": env["PATH"], "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                         "HOME": home, "TERM": "xterm-256color", "TMUX_TMPDIR": work})
        for n in sizes:
            sdir = server_maildir(srv, n, dirs[str(n)], a.cache)
            # Untimed: the SELECT moves new/ to cur/ and clears \Recent, and
            # Dovecot caches the envelope fields, so every timed run meets
            # the same server state.  The files are then page-cache warm.
            floor_run(srv, a.timeout)
            nfiles = bench.warm_files(os.path.join(sdir, "Maildir"))
            log("%d msgs: server Maildir ready (%d files read once, page-cache warm)" % (n, nfiles))
            modes = setup_clients(a, srv, work, home, env, n)
            runs = {(t, m): [] for t, m, *_ in modes}
            errors = {}

            def one(tool, mode, kind, argv, tenv, seen, qkeys):
                dlog.mark()
                if kind == "floor":
                    r = floor_run(srv, a.timeout, argv)
                else:
                    tr = None
                    if tool == "wary":
                        tr = os.path.join(work, "trace")
                        try:
                            os.unlink(tr)
                        except OSError:
                            pass
                        tenv = dict(tenv, WARY_TRACE=tr)
                    at_full = []

                    def full(screen, seen_full=seen[1]):
                        ok = seen_full(screen)
                        if ok and not at_full:
                            at_full.append(server_cpu(srv))
                        return ok
                    # wary: quit once its first check is done too (after a
                    # cold index: the second pass), to time it; the figures
                    # of the full index are taken before.
                    def checked(path=tr):
                        try:
                            with open(path) as f:
                                return " check done" in f.read()
                        except OSError:
                            return False
                    r = bench.tui_run(tm, work, argv, tenv, seen[0], full, a.timeout, quit_keys=qkeys,
                                      linger=checked if tr else None)
                    r["srv_cpu_s"] = at_full[0] if at_full else None
                    if tr:
                        r["trace_first_s"], r["trace_full_s"], r["trace_complete_s"] = read_trace(tr)
                s = dlog.sessions()
                r.update(s)
                if s["out_bytes"] is None:
                    notes.append("%s %s: Dovecot logged %d logins and %d logouts; bytes not counted"
                                 % (tool, mode, s["sessions"], s["ended"]))
                r["kb_per_msg"] = s["out_bytes"] / n / 1024 if s["out_bytes"] is not None else None
                log("%d msgs: %-7s %-10s first %6s s  full %6s s  RSS %6s MB  CPU %6s s  server %5s s  %s KB/msg%s" % (
                    n, tool, mode, fmt(r["first_s"], 3), fmt(r["full_s"], 3),
                    fmt(r["rss_kb"] / 1024 if r.get("rss_kb") else None, 1), fmt(r.get("cpu_s"), 2),
                    fmt(r.get("srv_cpu_s"), 2),
                    fmt(r["kb_per_msg"], 2),
                    ("  (trace: first %s full %s)" % (fmt(r.get("trace_first_s"), 3), fmt(r.get("trace_full_s"), 3)))
                    if tool == "wary" else ""))
                sc = r.pop("screens", None)
                if sc:
                    screens[(n, tool, mode)] = sc
                runs[(tool, mode)].append(r)

            # The cache fills first (they are also each client's first look
            # at the server, which then has its header fields cached); then
            # the timed runs round robin, so a slow minute is shared by all.
            for tool, mode, kind, argv, tenv, seen, cachedir, qkeys in modes:
                if not cachedir:
                    continue
                shutil.rmtree(cachedir, ignore_errors=True)
                os.makedirs(cachedir, exist_ok=True)
                try:
                    one(tool, mode, kind, argv, tenv, seen, qkeys)
                    size = bench.du(cachedir)
                    runs[(tool, mode)][-1]["cache_bytes"] = size
                    log("%d msgs: %s cache: %.1f MB" % (n, tool, size / 1e6))
                    if size == 0:
                        notes.append("%s wrote nothing into its cache directory" % tool)
                except BenchError as e:
                    errors[(tool, mode)] = str(e)
                    errors[(tool, "cache warm")] = "cache fill failed"
                    log("%d msgs: %s %s: %s" % (n, tool, mode, e))
            for _ in range(a.runs):
                for tool, mode, kind, argv, tenv, seen, cachedir, qkeys in modes:
                    if cachedir or (tool, mode) in errors:
                        continue
                    try:
                        one(tool, mode, kind, argv, tenv, seen, qkeys)
                    except BenchError as e:
                        errors[(tool, mode)] = str(e)
                        log("%d msgs: %s %s: %s" % (n, tool, mode, e))
            for tool, mode, *_ in modes:
                rs = runs[(tool, mode)]
                fulls = [r["full_s"] for r in rs if r.get("full_s") is not None]
                res = {"size": n, "tool": tool, "mode": mode, "runs": len(rs),
                       "first_s": median([r.get("first_s") for r in rs]),
                       "full_s": median(fulls),
                       "full_min": min(fulls, default=None), "full_max": max(fulls, default=None),
                       "rss_mb": median([r["rss_kb"] / 1024 if r.get("rss_kb") else None for r in rs]),
                       "cpu_s": median([r.get("cpu_s") for r in rs]),
                       "srv_cpu_s": median([r.get("srv_cpu_s") for r in rs]),
                       "kb_per_msg": median([r.get("kb_per_msg") for r in rs]),
                       "hdr_count": median([r.get("hdr_count") for r in rs]),
                       "sessions": median([r.get("sessions") for r in rs]),
                       "all": rs, "error": errors.get((tool, mode))}
                if tool == "wary":
                    res["trace_first_s"] = median([r.get("trace_first_s") for r in rs])
                    res["trace_full_s"] = median([r.get("trace_full_s") for r in rs])
                    res["trace_complete_s"] = median([r.get("trace_complete_s") for r in rs])
                if tool == "floor":
                    res["fetch_s"] = median([r.get("fetch_s") for r in rs])
                    res["select_s"] = median([r.get("select_s") for r in rs])
                results.append(res)
            if wary_missing:
                results.append({"size": n, "tool": "wary", "mode": "-", "runs": 0, "first_s": None, "full_s": None,
                                "full_min": None, "full_max": None, "rss_mb": None, "cpu_s": None,
                                "srv_cpu_s": None, "kb_per_msg": None, "hdr_count": None, "sessions": None, "all": [],
                                "error": wary_missing})
    finally:
        if tm is not None:
            tm.close()
        shutil.rmtree(work, ignore_errors=True)
    report(a, sizes, results, notes, (load0, os.getloadavg()))
    p = os.path.join(a.out, "imap-open-screens-latest.txt")
    with open(p, "w") as f:
        for (n, tool, mode), (s1, s2) in sorted(screens.items()):
            for what, s in (("first screen", s1), ("full index", s2)):
                f.write("=== %d msgs, %s %s, %s ===\n%s\n" % (n, tool, mode, what, "\n".join(s)))
    log("screens seen at detection: " + os.path.relpath(p, a.top))
    return 0 if not any(r["error"] for r in results) else 3


# -------------------------------------------------------------- report ----

def report(a, sizes, results, notes, load):
    m = bench.machine()
    by = {(r["size"], r["tool"], r["mode"]): r for r in results}
    L = []
    L.append("imap-open: opening the INBOX of a private Dovecot 2.3 over IMAPS (implicit TLS, certificate "
             "verified against the test CA) on loopback; tmux %dx%d, TERM=xterm-256color, C.UTF-8; "
             "median of %d runs" % (bench.COLS, bench.ROWS, a.runs))
    L.append("machine: %s, %d cores; server Maildir page-cache warm, Dovecot's index and cache filled "
             "before timing" % (m["cpu"], m["cores"]))
    L.append(bench.load_line(load))
    L.append("")
    L.append("%-7s %-8s %-11s %8s %8s %15s %7s %7s %7s %8s %6s %4s" % (
        "msgs", "tool", "mode", "first s", "full s", "full min-max", "CPU s", "srv CPU", "RSS MB", "KB/msg",
        "hdrs", "runs"))
    order = {t: i for i, t in enumerate(TOOL_ORDER)}
    for r in sorted(results, key=lambda r: (r["size"], order.get(r["tool"], 9))):
        rng = "-" if r["full_min"] is None else "%.3f-%.3f" % (r["full_min"], r["full_max"])
        L.append("%-7d %-8s %-11s %8s %8s %15s %7s %7s %7s %8s %6s %4d%s" % (
            r["size"], r["tool"], r["mode"], fmt(r["first_s"], 3), fmt(r["full_s"], 3), rng,
            fmt(r["cpu_s"], 2), fmt(r.get("srv_cpu_s"), 2), fmt(r["rss_mb"], 1), fmt(r["kb_per_msg"], 2),
            "-" if r.get("hdr_count") is None else "%d" % r["hdr_count"], r["runs"],
            ("   ERROR: " + r["error"].splitlines()[0]) if r["error"] else ""))
    tr = [r for r in results if r["tool"] == "wary" and r.get("trace_full_s") is not None]
    if tr:
        L.append("")
        L.append("wary's own milestones (WARY_TRACE, s since wary started, median): first screen / full index"
                 " / its first check done (after a cold index: the second pass complete)")
        for r in tr:
            L.append("%-7d wary     %-11s %8s %8s %8s   (screen: %s / %s)" % (
                r["size"], r["mode"], fmt(r["trace_first_s"], 3), fmt(r["trace_full_s"], 3),
                fmt(r.get("trace_complete_s"), 3), fmt(r["first_s"], 3), fmt(r["full_s"], 3)))
    L.append("")
    L.append("ratios, wary / peer (below 1: wary faster, smaller or fewer bytes); goals of issue 3 in brackets")
    ratios = []
    pairs = [(("wary", "no cache"), (p, "no cache"), "") for p in ("neomutt", "mutt", "aerc")]
    pairs += [(("wary", "cache warm"), (p, "cache warm"), "") for p in ("neomutt", "mutt", "aerc")]
    pairs += [(("wary", "no cache"), ("floor", "envelopes"), "full <= 1.3"),
              (("wary", "cache warm"), ("floor", "envelopes"), ""),
              ]
    for n in sizes:
        for (wt, wm), (pt, pm), goal in pairs:
            w, p = by.get((n, wt, wm)), by.get((n, pt, pm))
            if not w or not p or w["error"] or p["error"]:
                continue
            if pt == "aerc":
                goal = "RSS < 1"
            rr = {"size": n, "wary": wm, "peer": "%s %s" % (pt, pm),
                  "first": ratio(w["first_s"], p["first_s"]), "full": ratio(w["full_s"], p["full_s"]),
                  "cpu": ratio(w["cpu_s"], p["cpu_s"]), "srv_cpu": ratio(w.get("srv_cpu_s"), p.get("srv_cpu_s")),
                  # The floor is a python3 process: its memory says nothing.
                  "rss": ratio(w["rss_mb"], p["rss_mb"]) if pt != "floor" else None,
                  "bytes": ratio(w["kb_per_msg"], p["kb_per_msg"])}
            ratios.append(rr)
            L.append("%-7d wary %-10s / %-20s first %5s  full %5s  CPU %5s  srv CPU %5s  RSS %5s  bytes %5s%s" % (
                n, wm, rr["peer"], fmt(rr["first"]), fmt(rr["full"]), fmt(rr["cpu"]), fmt(rr["srv_cpu"]),
                fmt(rr["rss"]),
                fmt(rr["bytes"]), ("   [%s]" % goal) if goal else ""))
    for n in sizes:
        c, w = by.get((n, "wary", "no cache")), by.get((n, "wary", "cache warm"))
        if c and w and not c["error"] and not w["error"]:
            L.append("%-7d wary first screen cold %s s [< 0.3]; warm open (full index) %s s [< 0.3]" % (
                n, fmt(c["first_s"], 3), fmt(w["full_s"], 3)))
    if not ratios:
        L.append("(none: wary has no figures in this run)")
    L.append("")
    L.append("first screen: an index row is on screen (wary: a row with a number and a date; neomutt and "
             "mutt draw nothing before every header is read, so theirs is their full index; aerc: a row of "
             "its message list with a date).")
    L.append("full index: wary's status line shows \"N msgs\" and no \"loading\"; neomutt's and mutt's "
             "status shows Msgs:N; aerc: its list area is full (min(N, %d) rows): aerc fetches the headers "
             "of the visible rows only, so its index is never the whole folder." % (bench.ROWS - 2))
    L.append("times: from the exec of the client to the first screen capture (polled about every 5 ms) "
             "showing it; wary's WARY_TRACE figures start later (at its UI start) but are exact to the ms.")
    L.append("floor: connect, TLS, LOGIN, SELECT, then UID FETCH 1:* (%s) read and discarded by python3's "
             "ssl; 'full' is connect to the tagged OK, CPU its process time.  '2nd pass' fetches what wary's "
             "check asks for after a cold index, for the rows past the first screen: (%s)." % (ENVELOPES, WARY_ITEMS))
    fl = [r for r in results if r["tool"] == "floor" and r.get("fetch_s") is not None]
    for r in fl:
        L.append("floor %-10s %d msgs: SELECT done at %.3f s, the FETCH itself %.3f s" % (
            r["mode"], r["size"], r["select_s"], r["fetch_s"]))
    L.append("CPU: user+system of the client (all threads) at its full index (floor: its process time).  "
             "srv CPU: the same for the server's side of the session (Dovecot's imap and imap-login processes).  "
             "RSS: VmHWM at the full index.  KB/msg: what Dovecot sent (its out=, the IMAP bytes before "
             "TLS) over every session of the run, divided by the folder's messages; hdrs: Dovecot's "
             "hdr_count (header fetches).")
    for nt in sorted(set(notes)):
        L.append("note: " + nt)
    text = "\n".join(L) + "\n"
    print(text, end="")
    doc = {"bench": "imap-open", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": m, "runs": a.runs,
           "loadavg": load, "terminal": "%dx%d" % (bench.COLS, bench.ROWS), "transport": "IMAPS, verified",
           "versions": {t: bench.deb_version(t) for t in ("neomutt", "mutt", "aerc", "tmux", "dovecot-imapd")},
           "results": results, "ratios": ratios, "notes": sorted(set(notes))}
    doc["versions"]["wary"] = bench.git_rev(a.top)
    doc["versions"]["wary_binary"] = bench.WARY_ID
    rows = [(r["size"], r["tool"], r["mode"], r["runs"], r["first_s"], r["full_s"], r["cpu_s"], r.get("srv_cpu_s"),
             r["rss_mb"],
             r["kb_per_msg"], r.get("hdr_count"), r.get("trace_first_s"), r.get("trace_full_s"),
             ",".join(fmt(x.get("first_s"), 4) for x in r["all"]),
             ",".join(fmt(x.get("full_s"), 4) for x in r["all"]), r["error"] or "") for r in results]
    paths = bench.write_outputs(a.out, "imap-open", rows,
                                ["msgs", "tool", "mode", "runs", "first_s", "full_s", "cpu_s", "srv_cpu_s", "rss_mb",
                                 "kb_per_msg", "hdr_count", "trace_first_s", "trace_full_s", "first_all",
                                 "full_all", "error"], doc, text)
    log("written: " + ", ".join(os.path.relpath(p, a.top) for p in paths))


# ---------------------------------------------------------------- main ----

def main():
    if sys.argv[1:2] == ["floor"] and len(sys.argv) == 8:
        host, port, ca, user, pw, items = sys.argv[2:]
        import resource

        def pause(r):
            r["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(json.dumps(r), flush=True)
            sys.stdin.readline()
        try:
            r = floor(host, int(port), ca, user, pw, items, pause)
        except (OSError, ssl.SSLError, BenchError) as e:
            print("floor: %s" % e, file=sys.stderr)
            return 1
        print(json.dumps(r))
        return 0
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("run")
    o.add_argument("--sizes", required=True)
    o.add_argument("--dirs", required=True)
    o.add_argument("--runs", type=int, default=3)
    o.add_argument("--tools", default="wary,neomutt,mutt,aerc,floor")
    o.add_argument("--timeout", type=float, default=300)
    o.add_argument("--server", required=True)
    o.add_argument("--cache", required=True)
    o.add_argument("--wary", default="")
    o.add_argument("--out", required=True)
    o.add_argument("--top", required=True)
    a = ap.parse_args()
    bench.PROG = "imap-open"

    def stop(sig, _):
        raise KeyboardInterrupt
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, stop)
    try:
        return run(a)
    except KeyboardInterrupt:
        log("interrupted; tmux sessions and clients ended")
        return 130
    except BenchError as e:
        log(str(e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
