#!/usr/bin/python3
"""A hostile mail server for the tests: it listens on loopback, replays a
script to the client that connects, and logs every line the client sent,
so a test can prove what a client did and did not say (no password on a
connection that should have been refused).

    peer.py SCRIPT [--log FILE] [--set NAME=VALUE]... [--timeout S]

It binds 127.0.0.1 on a free port, prints "port N" on stdout, serves one
connection and exits.  Script lines (# starts a comment):

    send TEXT        send TEXT and CRLF; \\r \\n \\t \\xNN escapes, $NAME
                     variables; TEXT may hold several lines, sent in one
                     write (an injection rides in the same segment)
    send-raw TEXT    the same without the CRLF at the end
    send-repeat N TEXT   TEXT (no CRLF) N times, logged once: a line that
                     does not end, or a flood
    expect REGEX     read one line from the client; it must match (case
                     does not matter), else the mismatch is logged and the
                     connection closed.  $TAG is then the line's first word
    read-until REGEX read lines without answering until one matches (the
                     body of an SMTP DATA, up to its "^\\.$")
    expect-until REGEX   read lines, answering each that does not match
                     with "$TAG OK done", until one matches (then as expect)
    tls CERT KEY     switch to TLS as the server, with that certificate
    drain            read and log what the client sends until it closes
    sleep SECONDS
    close

Variables: --set NAME=VALUE, and TAG.  The log has "C: " for what the
client sent, "S: " for what the peer sent and "*: " for events, one a
line, with bytes outside printable ASCII written as \\xNN.  The last line
is "*: end (REASON)".
"""
import os
import re
import socket
import ssl
import sys
import time


class Stop(Exception):
    """The script cannot go on (the client closed, a mismatch, an error)."""


def visible(data):
    out = []
    for b in data:
        if 32 <= b < 127 and b != 0x5c:
            out.append(chr(b))
        else:
            out.append('\\x%02x' % b)
    return ''.join(out)


def unescape(text):
    def one(m):
        s = m.group(0)
        if s == '\\r':
            return '\r'
        if s == '\\n':
            return '\n'
        if s == '\\t':
            return '\t'
        if s == '\\\\':
            return '\\'
        return chr(int(s[2:], 16))
    return re.sub(r'\\(?:x[0-9a-fA-F]{2}|[rnt\\])', one, text)


class Peer:
    def __init__(self, conn, log, variables, timeout):
        self.sock = conn
        self.log = log
        self.vars = variables
        self.timeout = timeout
        self.buf = b''
        self.sock.settimeout(timeout)

    def note(self, kind, text):
        self.log.write('%s: %s\n' % (kind, text))
        self.log.flush()

    def subst(self, text):
        return re.sub(r'\$([A-Z_][A-Z0-9_]*)', lambda m: self.vars.get(m.group(1), ''), text)

    def send(self, data):
        for line in data.split(b'\r\n'):
            if line:
                self.note('S', visible(line))
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Stop('send failed: %s' % e)

    def recv_more(self):
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise Stop('timed out waiting for the client')
        except (OSError, ssl.SSLError) as e:
            raise Stop('receive failed: %s' % e)
        if not chunk:
            if self.buf:
                self.note('C', visible(self.buf) + ' (no line end)')
                self.buf = b''
            raise Stop('client closed')
        self.buf += chunk

    def readline(self):
        while b'\n' not in self.buf:
            self.recv_more()
        line, self.buf = self.buf.split(b'\n', 1)
        if line.endswith(b'\r'):
            line = line[:-1]
        self.note('C', visible(line))
        return line.decode('latin-1')

    def start_tls(self, cert, key):
        if self.buf:
            # Sent in clear before the handshake: worth seeing in the log.
            self.note('C', visible(self.buf) + ' (before TLS)')
            self.buf = b''
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        try:
            self.sock = ctx.wrap_socket(self.sock, server_side=True)
        except (OSError, ssl.SSLError) as e:
            raise Stop('tls handshake failed: %s' % e)
        self.note('*', 'tls %s' % self.sock.version())

    def run(self, script):
        for lineno, raw in enumerate(script, 1):
            line = raw.rstrip('\n')
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            cmd, _, arg = line.partition(' ')
            if cmd == 'send':
                self.send((unescape(self.subst(arg)) + '\r\n').encode('latin-1'))
            elif cmd == 'send-raw':
                self.send(unescape(self.subst(arg)).encode('latin-1'))
            elif cmd == 'send-repeat':
                count, _, text = arg.partition(' ')
                chunk = unescape(self.subst(text)).encode('latin-1')
                self.note('S', '%s (x%d)' % (visible(chunk), int(count)))
                try:
                    for _ in range(int(count)):
                        self.sock.sendall(chunk)
                except OSError as e:
                    raise Stop('send failed: %s' % e)
            elif cmd == 'expect':
                got = self.readline()
                if not re.search(self.subst(arg), got, re.I):
                    raise Stop('expect failed at script line %d: wanted /%s/' % (lineno, arg))
                words = got.split(' ', 1)
                self.vars['TAG'] = words[0] if words else ''
            elif cmd == 'expect-until':
                while True:
                    got = self.readline()
                    words = got.split(' ', 1)
                    self.vars['TAG'] = words[0] if words else ''
                    if re.search(self.subst(arg), got, re.I):
                        break
                    self.send(('%s OK done\r\n' % self.vars['TAG']).encode('latin-1'))
            elif cmd == 'read-until':
                while not re.search(self.subst(arg), self.readline(), re.I):
                    pass
            elif cmd == 'tls':
                cert, key = self.subst(arg).split()
                self.start_tls(cert, key)
            elif cmd == 'drain':
                while True:
                    self.readline()
            elif cmd == 'sleep':
                time.sleep(float(arg))
            elif cmd == 'close':
                raise Stop('closed by the script')
            else:
                raise Stop('bad script line %d: %s' % (lineno, line))
        return 'script done'


def main(argv):
    script_path = None
    log_path = None
    variables = dict(os.environ)
    timeout = 10.0
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == '--log' and i + 1 < len(argv):
            log_path = argv[i + 1]
            i += 2
        elif a == '--set' and i + 1 < len(argv) and '=' in argv[i + 1]:
            k, v = argv[i + 1].split('=', 1)
            variables[k] = v
            i += 2
        elif a == '--timeout' and i + 1 < len(argv):
            timeout = float(argv[i + 1])
            i += 2
        elif script_path is None and not a.startswith('--'):
            script_path = a
            i += 1
        else:
            sys.stderr.write(__doc__)
            return 2
    if script_path is None:
        sys.stderr.write(__doc__)
        return 2
    with open(script_path) as f:
        script = f.readlines()
    log = open(log_path, 'w') if log_path else sys.stderr
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    srv.settimeout(timeout)
    sys.stdout.write('port %d\n' % srv.getsockname()[1])
    sys.stdout.flush()
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        log.write('*: end (nobody connected)\n')
        return 1
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    peer = Peer(conn, log, variables, timeout)
    log.write('*: connected\n')
    try:
        reason = peer.run(script)
    except Stop as e:
        reason = str(e)
    try:
        peer.sock.close()
    except OSError:
        pass
    srv.close()
    log.write('*: end (%s)\n' % reason)
    log.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
