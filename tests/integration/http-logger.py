#!/usr/bin/env python3
"""A loopback server that logs every request a client makes and loads nothing.

Plain HTTP: one line "http HOST PATH" per request, answered 404 (or the
fixture itself for paths under /fixture/ on the page host).  TLS: the
server name of the ClientHello, "tls HOST", then the connection is closed.
A connection that sends nothing is logged as "conn".  Used by the browser
oracle and zero-fetch tests; listens on 127.0.0.1 only.

usage: http-logger.py LOGFILE PORTFILE [FIXTURE_DIR]
"""
import os
import socketserver
import sys
import threading

LOG, PORTFILE = sys.argv[1], sys.argv[2]
FIXTURES = sys.argv[3] if len(sys.argv) > 3 else None
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


def sni(data):
    """The server_name of a TLS ClientHello, or '?'."""
    try:
        if data[0] != 0x16 or data[5] != 0x01:
            return "?"
        p = 9 + 2 + 32  # record + handshake headers, version, random
        p += 1 + data[p]  # session id
        p += 2 + int.from_bytes(data[p:p + 2], "big")  # cipher suites
        p += 1 + data[p]  # compression
        end = p + 2 + int.from_bytes(data[p:p + 2], "big")
        p += 2
        while p + 4 <= end:
            typ = int.from_bytes(data[p:p + 2], "big")
            ln = int.from_bytes(data[p + 2:p + 4], "big")
            if typ == 0:
                n = int.from_bytes(data[p + 7:p + 9], "big")
                return data[p + 9:p + 9 + n].decode("ascii", "replace")
            p += 4 + ln
    except (IndexError, ValueError):
        pass
    return "?"


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = self.request.recv(4096)
                if not chunk:
                    break
                data += chunk
                if data[:1] == b"\x16" and len(data) >= 5:
                    need = 5 + int.from_bytes(data[3:5], "big")
                    while len(data) < need:
                        chunk = self.request.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    log("tls " + sni(data))
                    return
        except OSError:
            pass
        if not data:
            log("conn")
            return
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        parts = head[0].split(" ")
        path = parts[1] if len(parts) > 1 else "?"
        host = "?"
        for h in head[1:]:
            if h.lower().startswith("host:"):
                host = h[5:].strip()
        body, ctype, status = b"", "text/plain", "404 Not Found"
        if FIXTURES and path.startswith("/fixture/") and ".." not in path:
            fn = os.path.join(FIXTURES, path[len("/fixture/"):].split("?")[0])
            if os.path.isfile(fn):
                body, ctype, status = open(fn, "rb").read(), "text/html; charset=utf-8", "200 OK"
        if status != "200 OK":
            log("http %s %s" % (host.split(":")[0].lower(), path))
        try:
            self.request.sendall(("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                                  "Connection: close\r\n\r\n" % (status, ctype, len(body))).encode() + body)
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
