#!/usr/bin/python3
"""Build tests/demo/Maildir (and the message table in tests/demo/README)
from the readable message sources in this file.

    /usr/bin/python3 tests/demo/make-demo.py

Deterministic: the same script gives the same files, byte for byte (no
clock, no randomness; binary attachments are built here from fixed data,
PNGs with stored zlib blocks).  The Maildir is committed; run this only
after editing a message below, then commit the script and the Maildir
together.  Every person, company, list and domain is invented; domains are
reserved example names (example.org/.com/.net, *.test, *.example).
"""
import base64
import codecs
import datetime as dt
import email.utils
import hashlib
import io
import os
import quopri
import shutil
import struct
import sys
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MAILDIR = os.path.join(HERE, "Maildir")
OWNER = "alex@example.org"
MX = "mx1.example.org"          # the account's own servers: the trust boundary
MX_IP = "198.51.100.25"

# ---------------------------------------------------------------- helpers


def b64(data, width=76):
    s = base64.b64encode(data).decode("ascii")
    return "\n".join(s[i:i + width] for i in range(0, len(s), width))


def qp(data):
    return quopri.encodestring(data).decode("ascii")


_QSAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def _q(raw):
    out = []
    for c in raw:
        if c == 0x20:
            out.append("_")
        elif c in _QSAFE:
            out.append(chr(c))
        else:
            out.append("=%02X" % c)
    return "".join(out)


def ew(text, charset="UTF-8", enc="B"):
    """RFC 2047 encoded-words for text, split so no word exceeds 75
    characters and no character is cut; words are joined by a fold."""
    words = []
    chunk = ""
    for ch in text:
        trial = chunk + ch
        raw = trial.encode(codecs.lookup(charset).name)
        body = base64.b64encode(raw).decode() if enc == "B" else _q(raw)
        if len("=?%s?%s?%s?=" % (charset, enc, body)) > 75 and chunk:
            words.append(chunk)
            chunk = ch
        else:
            chunk = trial
    if chunk:
        words.append(chunk)
    out = []
    for w in words:
        raw = w.encode(codecs.lookup(charset).name)
        body = base64.b64encode(raw).decode() if enc == "B" else _q(raw)
        out.append("=?%s?%s?%s?=" % (charset, enc, body))
    return "\n ".join(out)


def rfc2231(param, text, charset="UTF-8", piece=24):
    """An RFC 2231 parameter with percent-encoding and continuations."""
    raw = text.encode(charset)
    enc = "".join(chr(c) if c < 128 and (chr(c).isalnum() or chr(c) in "-._") else "%%%02X" % c for c in raw)
    parts = []
    i = 0
    while i < len(enc):
        j = min(i + piece, len(enc))
        # never split a %XX escape
        while j < len(enc) and "%" in enc[j - 2:j]:
            j += 1
        parts.append(enc[i:j])
        i = j
    if len(parts) == 1:
        return "%s*=%s''%s" % (param, charset, parts[0])
    out = []
    for n, p in enumerate(parts):
        out.append("%s*%d*=%s%s" % (param, n, "%s''" % charset if n == 0 else "", p))
    return ";\n\t".join(out)


def flow(text, width=66, delsp=False):
    """format=flowed (RFC 3676): every paragraph line becomes soft-broken
    lines ending in a space.  With delsp, the added space is deleted when
    the reader joins the lines, so lines may also break inside a word."""
    out = []
    for para in text.split("\n"):
        quote = ""
        while para.startswith(">"):
            quote += ">"
            para = para[1:]
        if quote and para.startswith(" "):
            para = para[1:]
        prefix = quote + " " if quote else ""
        if para == "-- " or len(para) + len(prefix) <= width:
            line = para
            if not quote and (line.startswith(" ") or line.startswith("From ") or line.startswith(">")):
                line = " " + line
            out.append(prefix + line if quote else line)
            continue
        lines = []
        rest = para
        while len(rest) + len(prefix) > width:
            cut = rest.rfind(" ", 0, width - len(prefix))
            if cut <= 0:
                if delsp:
                    cut = width - len(prefix) - 1   # break inside a long word
                    lines.append(rest[:cut] + " ")
                    rest = rest[cut:]
                    continue
                cut = rest.find(" ")
                if cut < 0:
                    break
            if delsp:
                lines.append(rest[:cut + 1] + " ")   # keep the real space, add the soft one
            else:
                lines.append(rest[:cut + 1])         # the real space is the soft break
            rest = rest[cut + 1:]
        lines.append(rest)
        for ln in lines:
            if not quote and (ln.startswith(" ") or ln.startswith("From ")):
                ln = " " + ln
            out.append(prefix + ln if quote else ln)
    return "\n".join(out)


def tz(hours, minutes=0):
    return dt.timezone(dt.timedelta(hours=hours, minutes=minutes))


def owner_tz(t):
    """The owner's clock: CET, CEST from 31 March 2024 01:00 UTC."""
    cest = dt.datetime(2024, 3, 31, 1, 0, tzinfo=dt.timezone.utc)
    return tz(2) if t >= cest else tz(1)


def T(s):
    """'2024-01-08 09:00:00 +0100' -> aware datetime"""
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S %z")


def fmt(t):
    return email.utils.format_datetime(t)


def at_owner(t):
    return fmt(t.astimezone(owner_tz(t)))


def token(seed, n=12, alphabet="0123456789BCDFGHJKLMNPQRSTVWXZbcdfghjkmnpqrstvwxz"):
    h = hashlib.sha256(seed.encode()).digest()
    num = int.from_bytes(h, "big")
    out = []
    for _ in range(n):
        num, r = divmod(num, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def env(date, mailfrom, out_host, out_ip, sub=None, relays=(), spf="pass",
        dkim="none", dmarc=None, ar=None, delays=(2, 3, 1)):
    """Trace headers as the owner's server stores them, newest first:
    Return-Path, Delivered-To, the LMTP hop, Authentication-Results of
    mx1.example.org (the trust boundary), the MX hop, then the sender's
    hops.  sub is (helo, ip) of the sender's own machine, or "http" for
    webmail; relays are (host, ip) hops between out_host and the MX."""
    t = T(date)
    sender_tz = t.tzinfo
    dom = mailfrom.split("@")[-1] if mailfrom else "unknown"
    hops = []
    tt = t + dt.timedelta(seconds=delays[0])
    if sub == "http":
        hops.append("Received: from [127.0.0.1] (localhost [127.0.0.1])\n"
                    "\tby %s with HTTP; %s" % (out_host, fmt(tt.astimezone(sender_tz))))
    elif sub:
        helo, ip = sub
        hops.append("Received: from %s ([%s])\n\tby %s with ESMTPSA id %s\n\t(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384);\n\t%s"
                    % (helo, ip, out_host, token(date + "sub", 10), fmt(tt.astimezone(sender_tz))))
    prev_host, prev_ip = out_host, out_ip
    for host, ip in relays:
        tt += dt.timedelta(seconds=delays[1])
        hops.append("Received: from %s (%s [%s])\n\tby %s with ESMTPS id %s;\n\t%s"
                    % (prev_host, prev_host, prev_ip, host, token(date + host, 10), fmt(tt.astimezone(sender_tz))))
        prev_host, prev_ip = host, ip
    tt += dt.timedelta(seconds=delays[1])
    hops.append("Received: from %s (%s [%s])\n\tby %s (Postfix) with ESMTPS id %s\n\tfor <%s>; %s"
                % (prev_host, prev_host, prev_ip, MX, token(date + "mx", 12), OWNER, at_owner(tt)))
    if ar is None:
        ar = "spf=%s smtp.mailfrom=%s" % (spf, dom)
        ar += ";\n\tdkim=%s" % dkim
        if dmarc:
            ar += ";\n\tdmarc=%s" % dmarc
    hops.append("Authentication-Results: %s;\n\t%s" % (MX, ar))
    tt += dt.timedelta(seconds=delays[2])
    hops.append("Received: from %s\n\tby imap.example.org with LMTP\n\tid %s\n\t(envelope-from <%s>)\n\tfor <%s>; %s"
                % (MX, token(date + "lmtp", 16), mailfrom, OWNER, at_owner(tt)))
    hops.append("Delivered-To: %s" % OWNER)
    hops.append("Return-Path: <%s>" % mailfrom)
    return "\n".join(reversed(hops))


def list_env(date, author, author_host, author_ip, sub):
    """A post to allotments@lists.example.net, as the list delivers it."""
    return env(date, "allotments-bounces@lists.example.net", author_host, author_ip, sub=sub,
               relays=(("lists.example.net", "192.0.2.80"),), spf="pass",
               ar="spf=pass smtp.mailfrom=lists.example.net;\n\tdkim=none")


LIST_HEADERS = """\
List-Id: Eastside Allotments members <allotments.lists.example.net>
List-Post: <mailto:allotments@lists.example.net>
List-Unsubscribe: <https://lists.example.net/mailman/options/allotments>,
 <mailto:allotments-request@lists.example.net?subject=unsubscribe>
List-Archive: <https://lists.example.net/pipermail/allotments/>
Precedence: list
Sender: "allotments" <allotments-bounces@lists.example.net>"""

LIST_FOOTER = """
_______________________________________________
allotments mailing list -- allotments@lists.example.net
To unsubscribe send an email to allotments-leave@lists.example.net
"""

# ------------------------------------------------------- binary attachments


def png(w, h, pixel):
    """A true-colour PNG; stored (uncompressed) deflate blocks keep the
    bytes identical whatever zlib build runs this."""
    raw = b"".join(b"\x00" + bytes(c for x in range(w) for c in pixel(x, y)) for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b""))


def cake_png():
    """24x24: a pink cake with a candle, for the inline (cid:) image."""
    def px(x, y):
        if 10 <= x <= 13 and 3 <= y <= 5:
            return (255, 200, 40)        # flame
        if 11 <= x <= 12 and 6 <= y <= 9:
            return (90, 140, 230)        # candle
        if 3 <= x <= 20 and 10 <= y <= 19:
            return (240, 130, 170) if y < 13 else (250, 225, 190)
        if 1 <= x <= 22 and 20 <= y <= 21:
            return (200, 200, 210)       # plate
        return (255, 255, 255)
    return png(24, 24, px)


def plotmap_png():
    """40x24: the allotment site, plots in greens, the path and the pump."""
    def px(x, y):
        if 18 <= x <= 21:
            return (200, 180, 140)       # path
        if 30 <= x <= 32 and 2 <= y <= 4:
            return (40, 90, 200)         # pump
        if x % 9 == 0 or y % 8 == 0:
            return (110, 80, 50)         # edges
        shade = 120 + ((x // 9 + y // 8) % 3) * 40
        return (60, shade, 70)
    return png(40, 24, px)


def pdf(title, lines):
    """A small, valid one-page PDF 1.4 with Helvetica text."""
    def esc(s):
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    text = ["BT", "/F1 16 Tf", "72 760 Td", "20 TL", "(%s) Tj" % esc(title), "/F1 11 Tf", "16 TL", "T*"]
    for ln in lines:
        text.append("T* (%s) Tj" % esc(ln))
    text.append("ET")
    stream = ("\n".join(text) + "\n").encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for o in offs:
        out.write(b"%010d 00000 n \n" % o)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info << /Title (%s) /Producer (wary demo) >> >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objs) + 1, esc(title).encode("latin-1"), xref))
    return out.getvalue()


def pe_stub(note):
    """A harmless Windows PE image: DOS header, stub text, a PE header with
    no sections and no code.  Enough for libmagic to call it an executable;
    it does nothing if anyone tried to run it."""
    dos = bytearray(0x80)
    dos[0:2] = b"MZ"
    struct.pack_into("<H", dos, 0x02, 0x90)
    struct.pack_into("<H", dos, 0x04, 3)
    struct.pack_into("<H", dos, 0x08, 4)
    struct.pack_into("<H", dos, 0x0C, 0xFFFF)
    struct.pack_into("<H", dos, 0x10, 0xB8)
    struct.pack_into("<H", dos, 0x18, 0x40)
    struct.pack_into("<I", dos, 0x3C, 0x80)
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    dos[0x40:0x40 + len(stub)] = stub
    coff = struct.pack("<4sHHIIIHH", b"PE\0\0", 0x14C, 0, 0x66000000, 0, 0, 0xE0, 0x0102)
    opt = bytearray(0xE0)
    struct.pack_into("<H", opt, 0, 0x10B)            # PE32
    struct.pack_into("<I", opt, 28, 0x400000)        # image base
    struct.pack_into("<I", opt, 32, 0x1000)          # section alignment
    struct.pack_into("<I", opt, 36, 0x200)           # file alignment
    struct.pack_into("<H", opt, 40, 4)               # OS version
    struct.pack_into("<H", opt, 48, 4)               # subsystem version
    struct.pack_into("<I", opt, 56, 0x1000)          # size of image
    struct.pack_into("<I", opt, 60, 0x200)           # size of headers
    struct.pack_into("<H", opt, 68, 2)               # subsystem: Windows GUI
    struct.pack_into("<I", opt, 92, 16)              # data directories
    body = bytes(dos) + coff + bytes(opt)
    body += b"\0" * (0x200 - len(body))
    return body + b"wary demo: " + note.encode() + b"\n"


def zip_with(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo(name, date_time=(2024, 4, 22, 8, 0, 0))
        info.create_system = 3
        info.external_attr = 0o644 << 16
        z.writestr(info, data)
    return buf.getvalue()


def hashcash(resource, date, bits=20, rand="c2VlZHNwdW1wa2lu"):
    """A real version-1 hashcash stamp: the SHA-1 of the stamp starts with
    `bits` zero bits.  The counter search is deterministic."""
    n = 0
    while True:
        stamp = "1:%d:%s:%s::%s:%x" % (bits, date, resource, rand, n)
        if int.from_bytes(hashlib.sha1(stamp.encode()).digest()[:4], "big") >> (32 - bits) == 0:
            return stamp
        n += 1


def crc24(data):
    crc = 0xB704CE
    for c in data:
        crc ^= c << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def placeholder_signature(who):
    """An ASCII-armoured block with a correct CRC whose payload says it is
    not a signature.  PLACEHOLDER: a later change replaces these with real
    OpenPGP signatures made by test keys."""
    payload = ("wary demo placeholder, not an OpenPGP packet: this stands where %s's "
               "signature will go once the demo has real test keys." % who).encode()
    crc = base64.b64encode(crc24(payload).to_bytes(3, "big")).decode()
    return "-----BEGIN PGP SIGNATURE-----\n\n%s\n=%s\n-----END PGP SIGNATURE-----" % (b64(payload, 64), crc)


# ------------------------------------------------------------ the mailbox

MESSAGES = []   # (epoch, folder, flags, bytes, description)


def add(flags, text, desc, when=None, raw_parts=None):
    """flags: None for new/ (unread, not yet seen by a client), else the
    Maildir info flags for cur/ ("" = seen by a client but unread).
    text is the message with LF line endings; {RAW0}, {RAW1}... are
    replaced by raw_parts (bytes) for 8-bit bodies in legacy charsets."""
    data = text.encode("utf-8")
    for i, part in enumerate(raw_parts or ()):
        data = data.replace(("{RAW%d}" % i).encode(), part)
    if when is None:
        d = [ln for ln in text.split("\n\n", 1)[0].split("\n") if ln.startswith("Date: ")][0][6:]
        when = email.utils.parsedate_to_datetime(d)
    else:
        when = T(when)
    MESSAGES.append((int(when.timestamp()), "new" if flags is None else "cur", flags, data, desc))


# ======================================================================
# January - February: everyday mail, newsletters, friends abroad
# ======================================================================

add("S", env("2024-01-08 09:00:00 +0100", "demo@wary.example.org", "mail.wary.example.org", "192.0.2.10", sub="http") + """
From: wary demo <demo@wary.example.org>
To: Alex Morgan <alex@example.org>
Subject: Welcome to the wary demo mailbox
Date: Mon, 08 Jan 2024 09:00:00 +0100
Message-ID: <welcome.20240108.0900@wary.example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hello Alex,

this mailbox belongs to Alex Morgan, who works at Harbor Analytics, keeps
a plot with the Eastside Allotments association and has friends who write
in French, German, Russian, Japanese and Chinese. Everyone in it is made
up, and every domain is a reserved example name.

Most of the mail here is ordinary: a thread about the allotments' water
pump, newsletters, an order that shipped, photos, minutes as a PDF. Some
of it is not, and wary should tell you so before you act on it:

  * a newsletter that would phone home through a 1x1 image, a CSS
    background and a web font, if anything were ever loaded;
  * a "bank" whose links say one address and go to another, one hidden
    behind a hexadecimal IP address;
  * an invoice.pdf that is really a Windows program, and a report.pdf.exe;
  * subjects that try to clear your screen, retitle your terminal, write
    to your clipboard or hide a link;
  * a sender name that is an address, two From headers, a look-alike
    domain written with a Cyrillic letter;
  * a Received chain that lies about where the message came from.

Grüße, and enjoy reading safely.

-- 
wary demo
""", "plain text, UTF-8 8bit, a signature; explains the mailbox")

add("S", env("2024-01-18 17:42:10 +0100", "priya.natarajan@harbor.example.com", "smtp.harbor.example.com", "192.0.2.33",
             sub=("[192.168.1.24]", "203.0.113.14"), dkim="none") + """
From: Priya Natarajan <priya.natarajan@harbor.example.com>
To: Alex Morgan <alex@example.org>
Cc: Tom Becker <tom.becker@harbor.example.com>
Subject: Notes from Thursday's planning meeting
Date: Thu, 18 Jan 2024 17:42:10 +0100
Message-ID: <5c1f0e2a-9d7b-4c61-a3f0-8b2e1d0c7a11@harbor.example.com>
User-Agent: Mozilla Thunderbird
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

""" + flow("""Hi Alex,

Here are my notes from today. I wrote them in a hurry between two calls, so shout if I got something wrong, especially the dates, which moved twice during the meeting.

1. The ingest pipeline moves to the new cluster in the week of 12 February. Tom owns the cut-over plan; you own the rollback plan, which should fit on one page.

2. We keep the nightly export for the finance team until they confirm the new dashboard matches their spreadsheets for a full month.

3. Nobody wants another status meeting. We will write a short note in the team channel every Friday instead.

Tom said during the meeting:
> I would rather move one service a week than everything in one weekend and then spend the following week explaining why the numbers are off.

I agree with him, and so did everyone else in the room.

Priya

-- 
Priya Natarajan · Harbor Analytics · data platform
""") + "\n", "format=flowed (DelSp=no) with a quoted flowed paragraph and a signature")

add("S", env("2024-01-26 08:51:33 +0100", "tom.becker@harbor.example.com", "smtp.harbor.example.com", "192.0.2.33",
             sub=("[10.0.0.8]", "203.0.113.201")) + """
From: Tom Becker <tom.becker@harbor.example.com>
To: Alex Morgan <alex@example.org>
Subject: Running late, start without me
Date: Fri, 26 Jan 2024 08:51:33 +0100
Message-ID: <E4C1B3F2-7A55-4E0B-9C1D-2F6A8B3D9E10@harbor.example.com>
X-Mailer: iPhone Mail (21C66)
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii; format=flowed; DelSp=yes
Content-Transfer-Encoding: 7bit

""" + flow("""Morning! The train is stuck outside the station and the driver says another twenty minutes at least. Please start the review without me, I have read the document and left my comments in it already.

If you need the room booking, it is here: https://rooms.harbor.example.com/booking/2024/01/26/third-floor-east/confirmation?ref=TB-4471-REVIEW

Sent from my phone""", width=60, delsp=True) + "\n", "format=flowed with DelSp=yes, one long URL broken inside the word")

add("RS", env("2024-02-04 19:20:41 +0000", "jane.morgan@example.net", "smtp.example.net", "192.0.2.61",
              sub=("[192.168.0.12]", "198.51.100.140")) + """
From: Jane Morgan <jane.morgan@example.net>
To: Alex Morgan <alex@example.org>
Subject: Re: Dinner on Saturday?
Date: Sun, 04 Feb 2024 19:20:41 +0000
Message-ID: <CAJm0rgan.20240204192041.7781@mail.example.net>
In-Reply-To: <87sf2m3k1x.fsf@example.org>
References: <CAJm0rgan.20240203184002.1102@mail.example.net>
 <87sf2m3k1x.fsf@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

""" + qp("""Lovely, see you both at seven then. Dad says he'll do the lamb, and I'll
make the lemon tart you liked at Christmas. Jordan is very welcome of
course.

On Sat, 3 Feb 2024 at 22:05, Alex Morgan <alex@example.org> wrote:
> Saturday works for us. Is it all right if Jordan comes too? We could
> bring dessert if you tell us what you are cooking.
>
> On Sat, 3 Feb 2024 at 18:40, Jane Morgan <jane.morgan@example.net> wrote:
> > Are you free for dinner next Saturday? It has been far too long.
> >
> > Dad wrote on the fridge note:
> > > Ask them about the garden too. And whether the pump got fixed.
> >
> > --\x20
> > Mum
>
> --\x20
> Alex Morgan
> Harbor Analytics · data engineering

--\x20
Jane Morgan
"Weeds are only flowers nobody has introduced you to yet."
""".encode("utf-8")),
    "reply with three levels of nested quotes, quoted signatures and its own; quoted-printable")

NEWSLETTER = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tidewater Bikes - spring rides</title>
<link rel="stylesheet" href="https://fonts.example.net/css2?family=Harbour+Grotesk:wght@400;700">
<link rel="dns-prefetch" href="//cdn.tidewater-bikes.example.com">
<style>
  @font-face { font-family: "Tide"; src: url(https://cdn.tidewater-bikes.example.com/fonts/tide-display.woff2) format("woff2"); }
  body { margin: 0; background: #f3efe6 url(https://cdn.tidewater-bikes.example.com/img/paper-texture.jpg); font-family: "Harbour Grotesk", sans-serif; }
  h1 { font-family: "Tide", serif; color: #14532d; }
  .card { background: #ffffff; padding: 16px; margin: 12px 0; }
</style>
</head>
<body>
<table width="600" align="center" cellpadding="0" cellspacing="0">
<tr><td style="background-image: url('https://cdn.tidewater-bikes.example.com/img/header-waves.png'); height: 90px;">
  <h1>Tidewater Bikes</h1>
</td></tr>
<tr><td>
  <img src="https://cdn.tidewater-bikes.example.com/img/spring-2024-hero.jpg" width="600" height="280" alt="Riders on the coast road at dawn">
  <div class="card">
    <h2>Spring rides are back</h2>
    <p>Every Sunday from 3 March we leave the shop at 8:30 for an easy 40 km loop
    along the estuary, with coffee at the halfway harbour. Helmets required, lights
    recommended, good humour compulsory.</p>
    <p><a href="https://click.tidewater-bikes.example.com/c/8f3a9c2e7b/rides?u=YWxleEBleGFtcGxlLm9yZw">See the ride calendar</a></p>
  </div>
  <div class="card">
    <h2>Workshop evenings</h2>
    <ul>
      <li>Tuesday: fixing punctures without swearing</li>
      <li>Thursday: brakes, cables and why they stretch</li>
    </ul>
    <p>Book a place at <a href="https://click.tidewater-bikes.example.com/c/8f3a9c2e7b/workshop?u=YWxleEBleGFtcGxlLm9yZw">tidewater-bikes.example.com/workshop</a>.</p>
  </div>
  <p style="font-size: 11px; color: #666;">You receive this because you bought a bike from us.
  <a href="https://click.tidewater-bikes.example.com/unsub/8f3a9c2e7b">Unsubscribe</a></p>
  <img src="https://t.tidewater-bikes.example.com/o/8f3a9c2e7b.gif?u=YWxleEBleGFtcGxlLm9yZw&amp;c=spring24" width="1" height="1" alt="" style="display:block;border:0;">
</td></tr>
</table>
</body>
</html>
"""

add("S", env("2024-02-06 07:00:12 +0000", "bounce-8f3a9c2e7b@mail.tidewater-bikes.example.com",
             "o12.mail.tidewater-bikes.example.com", "192.0.2.121", delays=(1, 2, 1)) + """
From: Tidewater Bikes <news@tidewater-bikes.example.com>
To: alex@example.org
Subject: Spring rides are back (and so is the workshop)
Date: Tue, 06 Feb 2024 07:00:12 +0000
Message-ID: <20240206070012.8f3a9c2e7b@mail.tidewater-bikes.example.com>
List-Unsubscribe: <https://click.tidewater-bikes.example.com/unsub/8f3a9c2e7b>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
Precedence: bulk
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

""" + qp(NEWSLETTER.encode()), "HTML only: tracking pixel (1x1), CSS background url(), @font-face and remote stylesheet font, dns-prefetch, remote images, click-tracking links")

ORDER_TEXT = """\
Hello Alex,

good news: your order #4411 has left our warehouse.

  1 x  "Soil, Seeds and Patience" (paperback)      14.90 EUR
  1 x  "The Small Orchard" (hardback)               24.00 EUR
  Shipping                                           3.50 EUR
  Total                                             42.40 EUR

Track the parcel: https://pinecone-books.example.com/track/4411-PB-77120

Happy reading,
Pinecone Books
"""
ORDER_HTML = """\
<html><body style="font-family: Georgia, serif; color: #2b2b2b;">
<p><img src="https://pinecone-books.example.com/img/logo-pinecone.png" alt="Pinecone Books" width="160" height="40"></p>
<p>Hello Alex,</p>
<p>good news: your order <b>#4411</b> has left our warehouse.</p>
<table cellpadding="4">
<tr><td>1 &times; <i>Soil, Seeds and Patience</i> (paperback)</td><td align="right">14.90&nbsp;&euro;</td></tr>
<tr><td>1 &times; <i>The Small Orchard</i> (hardback)</td><td align="right">24.00&nbsp;&euro;</td></tr>
<tr><td>Shipping</td><td align="right">3.50&nbsp;&euro;</td></tr>
<tr><td><b>Total</b></td><td align="right"><b>42.40&nbsp;&euro;</b></td></tr>
</table>
<p><a href="https://pinecone-books.example.com/track/4411-PB-77120">Track the parcel</a></p>
<p>Happy reading,<br>Pinecone Books</p>
</body></html>
"""

add("S", env("2024-02-12 14:03:55 +0000", "orders@pinecone-books.example.com", "mail.pinecone-books.example.com", "192.0.2.140") + """
From: Pinecone Books <orders@pinecone-books.example.com>
To: Alex Morgan <alex@example.org>
Subject: Your order #4411 has shipped
Date: Mon, 12 Feb 2024 14:03:55 +0000
Message-ID: <order-4411-shipped.1707746635@pinecone-books.example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="----=_Part_4411_shipped"

------=_Part_4411_shipped
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

""" + ORDER_TEXT + """
------=_Part_4411_shipped
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

""" + qp(ORDER_HTML.encode()) + """
------=_Part_4411_shipped--
""", "multipart/alternative: text and HTML saying the same thing, one remote logo")

add("S", env("2024-02-14 21:17:00 +0100", "sophie.lefevre@courriel.test", "smtp.courriel.test", "192.0.2.150",
             sub=("[192.168.1.33]", "203.0.113.61")) + """
From: %s <sophie.lefevre@courriel.test>
To: Alex Morgan <alex@example.org>
Subject: %s
 %s
Date: Wed, 14 Feb 2024 21:17:00 +0100
Message-ID: <65cd1f2c.8a1e.4f1b@courriel.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

""" % (ew("Sophie Lefèvre", "ISO-8859-1", "Q"), ew("Vacances à Annecy", "ISO-8859-1", "Q"),
       ew(" — photos à venir", "UTF-8", "Q")) + qp("""Coucou Alex,

nous sommes rentrés d'Annecy hier soir. Le lac était gelé sur les bords,
le ciel d'un bleu incroyable, et Théo a enfin appris à faire du ski sans
tomber toutes les cinq minutes. Je t'envoie les photos ce week-end, il y
en a trop pour un seul message.

Tu viens toujours à Lyon en avril ? On a une chambre d'amis, et la
pâtisserie en bas de chez nous fait des éclairs au café à tomber.

Bises,
Sophie
""".encode("iso-8859-1")), "ISO-8859-1 quoted-printable body; Q-encoded From name; subject of adjacent encoded-words in two charsets")

BRENDAN = """Hi Alex,

Quick one before Monday\x92s budget review \x96 I\x92ve gone through the \x93cloud costs\x94 tab and two things jump out:

\x95 the storage line is up from \x8012,400 to \x8015,100 a month, mostly snapshots nobody deleted;
\x95 the \x93temporary\x94 GPU nodes from October are still running\x85

Could you check whether the ingest team still needs the snapshots? If not, I\x92d like to say \x93we\x92ve already fixed it\x94 on Monday rather than \x93we\x92ll look into it\x94.

Cheers,
Brendan

Brendan O\x92Neill | Finance Business Partner | Harbor Analytics
"""

add("S", env("2024-02-16 11:08:27 +0000", "brendan.oneill@harbor.example.com", "smtp.harbor.example.com", "192.0.2.33",
             sub=("[10.1.4.77]", "203.0.113.14")) + """
From: %s <brendan.oneill@harbor.example.com>
To: Alex Morgan <alex@example.org>
Subject: %s
Date: Fri, 16 Feb 2024 11:08:27 +0000
Message-ID: <DB9PR02MB7312A0C4E1F3B2D5C7A9B8E1A2@DB9PR02MB7312.eurprd02.prod.harbor.example.com>
Thread-Topic: =?windows-1252?Q?=93Cloud_costs=94?=
X-Mailer: Microsoft Outlook 16.0
MIME-Version: 1.0
Content-Type: text/plain; charset="windows-1252"
Content-Transfer-Encoding: 8bit

{RAW0}""" % (ew("Brendan O’Neill", "windows-1252", "Q"), ew("“Cloud costs” – quick question before Monday’s review", "windows-1252", "Q")),
    "windows-1252 raw 8-bit body: smart quotes, dashes, euro sign, bullet, ellipsis (bytes 0x80-0x9f that are C1 controls in Latin-1)",
    raw_parts=[BRENDAN.encode("latin-1")])

OLGA = """Привет, Алекс!

Посылаю смету на ремонт дачи, как обещала. Крышу надо чинить до лета,
иначе в июне опять будем спать под зонтиками. Самое дорогое - доски для
веранды, но Серёжа говорит, что можно взять у соседа по дешёвке.

Если будешь в Москве в мае - приезжай, шашлыки за нами.

Обнимаю,
Оля
"""
SMETA = """Смета на ремонт дачи, весна 2024

Кровельное железо, 12 листов ......... 18 600 руб.
Доски для веранды, 40 шт. ............ 24 000 руб.
Краска, 10 л ......................... 6 500 руб.
Гвозди, саморезы ..................... 1 900 руб.
Работа (Серёжа и сосед) .............. шашлыки

Итого: 51 000 руб. и шашлыки
"""

add("S", env("2024-02-20 10:31:02 +0300", "olga.petrova@pochta.test", "smtp.pochta.test", "192.0.2.170",
             sub=("[192.168.88.5]", "198.51.100.77")) + """
From: %s <olga.petrova@pochta.test>
To: Alex Morgan <alex@example.org>
Subject: %s
Date: Tue, 20 Feb 2024 10:31:02 +0300
Message-ID: <1708414262.771203.olga@pochta.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==olga-smeta-2024=="

--==olga-smeta-2024==
Content-Type: text/plain; charset=KOI8-R
Content-Transfer-Encoding: base64

%s

--==olga-smeta-2024==
Content-Type: text/plain; charset=KOI8-R; name="%s"
Content-Disposition: attachment; filename="%s"
Content-Transfer-Encoding: base64

%s

--==olga-smeta-2024==--
""" % (ew("Ольга Петрова", "KOI8-R", "B"), ew("Смета на ремонт дачи", "KOI8-R", "B"),
       b64(OLGA.encode("koi8-r")), ew("Смета ремонта.txt", "UTF-8", "B"), ew("Смета ремонта.txt", "UTF-8", "B"),
       b64(SMETA.encode("koi8-r"))),
    "KOI8-R base64 body and B-encoded subject/name; attachment with an RFC 2047-encoded file name (Cyrillic)")

TANAKA = """アレックスさん

お疲れさまです。田中です。
来月の東京出張の件、日程が決まりましたのでご連絡します。

  3月18日(月) 午後 ハーバー東京オフィスで打ち合わせ
  3月19日(火) 終日 データ基盤ワークショップ

ホテルは品川駅の近くに予約しました。
何かご不明な点があれば、お気軽にどうぞ。

(English below)

Hi Alex, the dates for your Tokyo trip are fixed: a meeting at the
Harbor Tokyo office on the afternoon of Monday 18 March and the data
platform workshop all day Tuesday 19 March. Your hotel is near
Shinagawa station.

田中 宏 (Tanaka Hiroshi)
"""

add("S", env("2024-02-22 13:45:10 +0900", "tanaka@kaisha.test", "mx.kaisha.test", "192.0.2.190",
             sub=("[172.16.3.40]", "203.0.113.90")) + """
From: %s <tanaka@kaisha.test>
To: Alex Morgan <alex@example.org>
Subject: %s
Date: Thu, 22 Feb 2024 13:45:10 +0900
Message-ID: <20240222134510.4E8A.TANAKA@kaisha.test>
X-Mailer: Becky! ver. 2.81.04
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

{RAW0}""" % (ew("田中 宏", "ISO-2022-JP", "B"), ew("来月の東京出張について（日程確定）", "ISO-2022-JP", "B")),
    "ISO-2022-JP 7-bit body (escape sequences that are charset shifts, not terminal codes); CJK subject",
    raw_parts=[TANAKA.encode("iso2022_jp")])

SAKURA = """━━━━━━━━━━━━━━━━━━━━━━━━━━
【さくら文具】春の新商品のお知らせ
━━━━━━━━━━━━━━━━━━━━━━━━━━

アレックス・モーガン 様

いつもさくら文具をご利用いただき、ありがとうございます。
桜の季節に合わせて、春限定の商品が入荷しました。

■ 桜色の万年筆インク(50ml)  1,650円
■ 和紙のノート 三冊セット      1,320円
■ 花見のしおり(五枚入り)      550円

三月末まで、送料無料でお届けします。

さくら文具 オンラインショップ
https://sakura-bungu.test/shop/spring
"""

add("S", env("2024-02-25 10:00:00 +0900", "info@sakura-bungu.test", "mail.sakura-bungu.test", "192.0.2.195") + """
From: %s <info@sakura-bungu.test>
To: alex@example.org
Subject: %s
Date: Sun, 25 Feb 2024 10:00:00 +0900
Message-ID: <news-2024spring.0001@sakura-bungu.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=Shift_JIS
Content-Transfer-Encoding: base64

%s
""" % (ew("さくら文具", "Shift_JIS", "B"), ew("【さくら文具】春の新商品のお知らせ", "Shift_JIS", "B"), b64(SAKURA.encode("shift_jis"))),
    "Shift_JIS base64 plain-text newsletter with a B-encoded Shift_JIS subject")

LIWEI = """Alex 你好！

这个周末我们几个老同学要在城东的"小四川"聚餐，周六晚上七点。
你要是有空就一起来吧，好久没见了。我请客！

地址：东门路 18 号，地铁站出来走五分钟就到。

(Dinner with the old classmates on Saturday at seven, at Little Sichuan
on the east side. Come if you can - my treat!)

李伟
"""

add("S", env("2024-02-28 20:12:44 +0800", "li.wei@youxiang.test", "smtp.youxiang.test", "192.0.2.200",
             sub=("[192.168.31.7]", "198.51.100.99")) + """
From: %s <li.wei@youxiang.test>
To: Alex Morgan <alex@example.org>
Subject: %s
Date: Wed, 28 Feb 2024 20:12:44 +0800
Message-ID: <tencent_4F7A1B2C3D4E5F60@youxiang.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=GBK
Content-Transfer-Encoding: base64

%s
""" % (ew("李伟", "GB2312", "B"), ew("周末聚餐", "GB2312", "B"), b64(LIWEI.encode("gbk"))),
    "GBK base64 body, GB2312 B-encoded subject and name")

CHEN = """Alex：

上週在台北拍的照片終於整理好了，陽明山的櫻花開得正好，
九份的老街人好多，但芋圓還是一樣好吃。
下次你來台灣，我帶你去吃夜市！

(The photos from Taipei are finally sorted: cherry blossoms on
Yangmingshan, crowds in Jiufen, taro balls as good as ever. Next time
you visit I am taking you to the night market.)

陳美玲
"""

add("S", env("2024-03-11 09:05:51 +0800", "meiling.chen@youjian.test", "mail.youjian.test", "192.0.2.210",
             sub=("[192.168.50.21]", "203.0.113.150")) + """
From: %s <meiling.chen@youjian.test>
To: Alex Morgan <alex@example.org>
Subject: %s
Date: Mon, 11 Mar 2024 09:05:51 +0800
Message-ID: <20240311090551.3321.meiling@youjian.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=Big5
Content-Transfer-Encoding: quoted-printable

%s""" % (ew("陳美玲", "Big5", "B"), ew("台北的照片", "Big5", "B"), qp(CHEN.encode("big5"))),
    "Big5 quoted-printable body, Big5 B-encoded subject and name")


# ======================================================================
# March: the allotments' water pump, a thread of 13 on a mailing list
# (two branches, a reply whose parent never reached this mailbox, and a
# "Re: Re: Fwd:" subject)
# ======================================================================

T1 = "<CAMO+pump.20240302091402@mail.example.com>"
T2 = "<87a5m2b1z0.fsf@patel.example.net>"
T3 = "<trinity-5b2c81d0-pump-3@post.example.net>"
T4 = "<f3c2a1b0-hannah-0302@cole.example.com>"
T5 = "<CAMO+pump.20240303100500@mail.example.com>"
T6 = "<sam.20240305183000.fwd@example.net>"
T7 = "<87h6k4c9q2.fsf@patel.example.net>"
T8 = "<87zfw8alex.fsf@example.org>"
MISSING = "<ken-ito.secondhand-pump.20240305@example.test>"   # never delivered here
T9 = "<trinity-6e1f92a4-pump-9@post.example.net>"
T10 = "<f3c2a1b0-hannah-0307@cole.example.com>"
T11 = "<CAMO+pump.20240309174500@mail.example.com>"
T12 = "<sam.20240310100200.re@example.net>"
T13 = "<87r0b7d3m1.fsf@patel.example.net>"

AUTHORS = {
    "margaret": ("Margaret Okafor <margaret.okafor@example.com>", "smtp.example.com", "192.0.2.40", ("[192.168.1.10]", "198.51.100.31")),
    "dev": ("Dev Patel <dev@patel.example.net>", "mail.patel.example.net", "192.0.2.45", ("laptop.patel.example.net", "198.51.100.45")),
    "juergen": ("%s <juergen.weiss@post.example.net>" % ew("Jürgen Weiß", "UTF-8", "Q"), "mout.post.example.net", "192.0.2.47", ("[192.168.178.20]", "203.0.113.47")),
    "hannah": ("Hannah Cole <hannah@cole.example.com>", "smtp.cole.example.com", "192.0.2.52", ("[10.0.1.15]", "198.51.100.52")),
    "sam": ("Sam Reyes <sam.reyes@example.net>", "smtp.example.net", "192.0.2.61", ("[192.168.0.40]", "203.0.113.61")),
    "alex": ("Alex Morgan <alex@example.org>", "smtp.example.org", "198.51.100.26", ("[192.168.2.14]", "203.0.113.8")),
}


def post(flags, who, date, subject, mid, irt, refs, body, desc, ctype="text/plain; charset=UTF-8", cte="8bit"):
    name, host, ip, sub = AUTHORS[who]
    t = T(date)
    hdr = list_env(date, name.split("<")[1].rstrip(">"), host, ip, sub) + "\n"
    hdr += "From: %s\nTo: allotments@lists.example.net\nSubject: %s\nDate: %s\nMessage-ID: %s\n" % (name, subject, fmt(t), mid)
    if irt:
        hdr += "In-Reply-To: %s\n" % irt
    if refs:
        hdr += "References: %s\n" % "\n ".join(refs)
    hdr += LIST_HEADERS + "\nMIME-Version: 1.0\nContent-Type: %s\nContent-Transfer-Encoding: %s\n\n" % (ctype, cte)
    add(flags, hdr + body + LIST_FOOTER, "thread: " + desc)


post("S", "margaret", "2024-03-02 09:14:02 +0000", "Shared water pump is broken again", T1, None, None, """\
Dear all,

the shared water pump by the north gate has stopped again. The motor
hums when you switch it on but nothing comes out, so plots 12 to 20
have no water at the moment.

Is anyone handy with pumps? If not, I will ask the council for the
number of the contractor they used last time.

Margaret (chair)
""", "root: the pump is broken")

post("S", "dev", "2024-03-02 11:02:40 +0000", "Re: Shared water pump is broken again", T2, T1, [T1], """\
Margaret Okafor <margaret.okafor@example.com> writes:

> the shared water pump by the north gate has stopped again. The motor
> hums when you switch it on but nothing comes out

A hum and no spin usually means the start capacitor or a seized
impeller. I had a look this morning: the shaft turns by hand, so it is
probably not the impeller.

Dev
""", "reply to the root")

post("S", "juergen", "2024-03-02 13:47:15 +0100", "Re: Shared water pump is broken again", T3, T2, [T1, T2], """\
Am 02.03.24 um 12:02 schrieb Dev Patel:
> A hum and no spin usually means the start capacitor or a seized
> impeller. I had a look this morning: the shaft turns by hand, so it is
> probably not the impeller.

Then it is the capacitor, I would bet a crate of beer on it. I have a
meter with a capacitance range; I can test it tomorrow after ten if
someone has the key to the pump house.

Jürgen
""", "second level, UTF-8 name in a Q-encoded From")

post("S", "hannah", "2024-03-02 15:20:33 +0000", "Re: Shared water pump is broken again", T4, T1, [T1], """\
In the meantime: my two water butts are full after all the rain, and
anyone on plots 12-20 is welcome to fill a can from them. They are by
the shed with the blue door.

Hannah

On 02/03/2024 09:14, Margaret Okafor wrote:
> the shared water pump by the north gate has stopped again.
""", "a second branch off the root, top-posted")

post("S", "margaret", "2024-03-03 10:05:00 +0000", "Re: Shared water pump is broken again", T5, T3, [T1, T2, T3], """\
Jürgen tested it this morning: the capacitor is dead, as he said. But
he also pointed out that the pump is fifteen years old and the seals
are weeping, so a new capacitor may only buy us a few weeks.

Sam, as treasurer, could you ask Hydro Supplies for a quote for a
replacement? Then we can decide at the committee meeting on Thursday.

Margaret

Jürgen Weiß wrote:
> Then it is the capacitor, I would bet a crate of beer on it.
""", "third level")

post("S", "sam", "2024-03-05 18:30:00 +0000", "Fwd: Pump quote from Hydro Supplies", T6, T5, [T1, T2, T3, T5], """\
Here is the quote. The price includes fitting and taking the old pump
away. We have 1,400 in the maintenance fund, so we can afford it
without raising fees.

Sam

---------- Forwarded message ---------
From: Hydro Supplies Ltd <quotes@hydro-supplies.example.com>
Date: Tue, 5 Mar 2024 at 16:02
Subject: Pump quote from Hydro Supplies
To: Sam Reyes <sam.reyes@example.net>

Dear Mr Reyes,

thank you for your enquiry. For a 0.75 kW surface pump with pressure
switch, suitable for your standpipe network:

  Pump, pressure switch, fittings    640.00
  Fitting and removal of old unit    180.00
  VAT                                164.00
  Total                              984.00

This quote is valid for 30 days.

Kind regards,
Hydro Supplies Ltd
""", "a forwarded quote starts a sub-thread (Fwd:) but keeps the References")

post("S", "dev", "2024-03-05 20:11:09 +0000", "Re: Fwd: Pump quote from Hydro Supplies", T7, T6, [T1, T2, T3, T5, T6], """\
Sam Reyes <sam.reyes@example.net> writes:

> Here is the quote. The price includes fitting and taking the old pump
> away.
>
>> Pump, pressure switch, fittings    640.00
>> Fitting and removal of old unit    180.00

Looks fair to me. A 0.75 kW pump is plenty for nine standpipes.

Dev
""", "reply to the forward")

post("RS", "alex", "2024-03-06 08:40:12 +0100", "Re: Re: Fwd: Pump quote from Hydro Supplies", T8, T7, [T1, T2, T3, T5, T6, T7], """\
On Tue, Mar 05 2024, Dev Patel wrote:
> Sam Reyes <sam.reyes@example.net> writes:
>
>> Here is the quote. The price includes fitting and taking the old pump
>> away.
>>
>>> Pump, pressure switch, fittings    640.00
>>> Fitting and removal of old unit    180.00
>
> Looks fair to me. A 0.75 kW pump is plenty for nine standpipes.

Agreed. Can we ask them to fit a frost drain valve while they are at
it? We lost a week last winter waiting for the pipe to thaw.

Alex

--\x20
Alex Morgan · plot 14 · Eastside Allotments
""", "the owner's own post: \"Re: Re: Fwd:\", three quote levels, a signature")

post("S", "juergen", "2024-03-06 12:00:31 +0100", "Re: Shared water pump is broken again", T9, MISSING, [T1, MISSING], """\
Am 05.03.24 um 21:40 schrieb Ken Ito:
> My brother-in-law has a second-hand pump in his garage that he would
> give us for free.

Kind of Ken, but second-hand pumps are exactly how we got the current
one. I would rather buy the new one with a warranty.

Jürgen
""", "reply whose parent (Ken Ito's post) never reached this mailbox")

post("S", "hannah", "2024-03-07 09:30:18 +0000", "Re: Shared water pump is broken again", T10, T4, [T1, T4], """\
Update from the water butt branch: they are nearly empty now, so
please go easy until the new pump is in. If it rains at the weekend
they will fill up again.

Hannah
""", "the second branch continues")

post("FS", "margaret", "2024-03-09 17:45:00 +0000", "Re: Re: Fwd: Pump quote from Hydro Supplies", T11, T8, [T1, T2, T3, T5, T6, T7, T8], """\
The committee approved the new pump on Thursday, with the frost drain
valve Alex asked for (another 35). Sam will place the order on Monday.

Thank you all for the quick work,
Margaret

On 06/03/2024 07:40, Alex Morgan wrote:
> Agreed. Can we ask them to fit a frost drain valve while they are at
> it?
""", "decision, flagged")

post("S", "sam", "2024-03-10 10:02:00 +0000", "Re: Re: Fwd: Pump quote from Hydro Supplies", T12, T11, [T1, T2, T3, T5, T6, T7, T8, T11], """\
Ordered. Hydro Supplies will fit it on Friday the 15th between eight
and twelve. Someone needs to open the pump house for them; I can do it
unless a person who lives closer wants to.

Sam
""", "order placed")

post(None, "dev", "2024-03-16 16:20:45 +0000", "Re: Shared water pump is broken again", T13, T9, [T1, MISSING, T9], """\
Jürgen Weiß <juergen.weiss@post.example.net> writes:

> I would rather buy the new one with a warranty.

And so we did: the new pump went in yesterday and the water is back on
all plots. It is much quieter than the old one, too.

Dev
""", "the last word, still unread (new/)")

# ======================================================================
# March - April: attachments, signatures, stamps, forwarded mail
# ======================================================================

MINUTES_PDF = pdf("Eastside Allotments - committee minutes, 7 March 2024", [
    "Present: Margaret Okafor (chair), Sam Reyes (treasurer), Hannah Cole, Dev Patel.",
    "",
    "1. Water pump. The committee approved the quote from Hydro Supplies",
    "   (984.00 including fitting) plus a frost drain valve (35.00).",
    "2. Plot 7 is vacant from April. Offer it to the first person on the waiting list.",
    "3. Spring work day: Saturday 6 April, 10:00. Bring gloves.",
    "4. Seed swap: Dev collects the list; see his message.",
    "",
    "Next meeting: Thursday 4 April, 19:30, in the pavilion.",
])

add("S", env("2024-03-07 20:30:00 +0000", "margaret.okafor@example.com", "smtp.example.com", "192.0.2.40",
             sub=("[192.168.1.10]", "198.51.100.31")) + """
From: Margaret Okafor <margaret.okafor@example.com>
To: Alex Morgan <alex@example.org>, Dev Patel <dev@patel.example.net>,
 Hannah Cole <hannah@cole.example.com>, Sam Reyes <sam.reyes@example.net>
Subject: Minutes of tonight's committee meeting
Date: Thu, 07 Mar 2024 20:30:00 +0000
Message-ID: <CAMO+minutes.20240307203000@mail.example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="000000000000a1b2c3d4e5f60718"

--000000000000a1b2c3d4e5f60718
Content-Type: text/plain; charset=UTF-8

Hello all,

the minutes are attached as a PDF. Please tell me by Sunday if I have
misrecorded anything; otherwise they go on the notice board on Monday.

Margaret

--000000000000a1b2c3d4e5f60718
Content-Type: application/pdf; name="minutes-2024-03-07.pdf"
Content-Disposition: attachment; filename="minutes-2024-03-07.pdf"
Content-Transfer-Encoding: base64

%s
--000000000000a1b2c3d4e5f60718--
""" % b64(MINUTES_PDF), "attachment: a real, small PDF (application/pdf, named .pdf, is a PDF)")

INVITE_TEXT = """\
Hi Alex,

I'm turning forty (how?!) and having a few people round on Saturday
30 March from four o'clock: cake, tea, and later something stronger.
Jordan is invited too, of course.

Hannah
"""
INVITE_HTML = """\
<html><body style="font-family: sans-serif; text-align: center;">
<p><img src="cid:cake.7f3e@cole.example.com" width="96" height="96" alt="a cake"></p>
<h2>Hannah is turning forty</h2>
<p>Saturday 30 March, from four o'clock<br>
Cake, tea, and later something stronger.</p>
<p>Jordan is invited too, of course.</p>
</body></html>
"""

add("FS", env("2024-03-19 18:22:10 +0000", "hannah@cole.example.com", "smtp.cole.example.com", "192.0.2.52",
              sub=("[10.0.1.15]", "198.51.100.52")) + """
From: Hannah Cole <hannah@cole.example.com>
To: Alex Morgan <alex@example.org>
Subject: You're invited: tea and cake on the 30th
Date: Tue, 19 Mar 2024 18:22:10 +0000
Message-ID: <f3c2a1b0-hannah-0319-invite@cole.example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="------------alt-hannah-0319"

This is a multi-part message in MIME format.
--------------alt-hannah-0319
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

%s
--------------alt-hannah-0319
Content-Type: multipart/related; boundary="------------rel-hannah-0319"

--------------rel-hannah-0319
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: 7bit

%s
--------------rel-hannah-0319
Content-Type: image/png; name="cake.png"
Content-Disposition: inline; filename="cake.png"
Content-ID: <cake.7f3e@cole.example.com>
Content-Transfer-Encoding: base64

%s
--------------rel-hannah-0319--

--------------alt-hannah-0319--
""" % (flow(INVITE_TEXT), INVITE_HTML, b64(cake_png())),
    "multipart/alternative of text and multipart/related: HTML with a cid: inline PNG (no remote content)")

SEEDS = """Eastside Allotments - spring seed swap 2024
=============================================

Plot  Name       Offering                        Looking for
----  ---------  ------------------------------  -------------------------
 3    Hannah     runner beans 'Enorma', borage   leeks
 7    (vacant)   -                               -
 9    Dev        chillies (5 kinds), coriander   early potatoes
12    Margaret   rhubarb crowns, sweet peas      tomato 'Sungold'
14    Alex       courgettes, nasturtiums         garlic
18    Jürgen     Kohlrabi 'Azur Star', dill      anything purple
20    Sam        squash 'Crown Prince'           parsnips

Swap day: Saturday 6 April, after the work day, by the pump house.
"""

add("S", env("2024-03-22 12:14:00 +0000", "dev@patel.example.net", "mail.patel.example.net", "192.0.2.45",
             sub=("laptop.patel.example.net", "198.51.100.45")) + """
From: Dev Patel <dev@patel.example.net>
To: Alex Morgan <alex@example.org>
Subject: Plot map and the seed swap list
Date: Fri, 22 Mar 2024 12:14:00 +0000
Message-ID: <87v8f3m2c5.fsf@patel.example.net>
User-Agent: Gnus/5.13 (Gnus v5.13)
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=-=-="

--=-=-=
Content-Type: text/plain

Hi Alex,

as promised: a tiny map of the site (the blue square is the new pump)
and the seed swap list so far. You are down for courgettes and
nasturtiums; shout if that is wrong.

Dev

--=-=-=
Content-Type: image/png
Content-Disposition: attachment; filename=plot-map.png
Content-Transfer-Encoding: base64

%s

--=-=-=
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename=seed-swap-2024.txt
Content-Transfer-Encoding: quoted-printable

%s
--=-=-=--
""" % (b64(plotmap_png()), qp(SEEDS.encode())), "attachments: a PNG and a UTF-8 text file (quoted-printable); unquoted parameter values")

UEBERSICHT = """Parzellenübersicht 2024 (Entwurf)

Parzelle  Pächter/in        Größe   Bemerkung
  3       Hannah Cole       120 m²
  7       frei              100 m²  ab April
  9       Dev Patel         120 m²
 12       Margaret Okafor   150 m²  Vorsitz
 14       Alex Morgan       100 m²
 18       Jürgen Weiß       120 m²  Gewächshaus genehmigt
 20       Sam Reyes         100 m²  Kasse
"""

add("S", env("2024-03-25 16:40:19 +0100", "juergen.weiss@post.example.net", "mout.post.example.net", "192.0.2.47",
             sub=("[192.168.178.20]", "203.0.113.47")) + """
From: %s <juergen.weiss@post.example.net>
To: Alex Morgan <alex@example.org>
Subject: %s
Date: Mon, 25 Mar 2024 16:40:19 +0100
Message-ID: <trinity-7a3d01f5-uebersicht@post.example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_Part_7a3d01f5"

------=_Part_7a3d01f5
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hallo Alex,

anbei die Übersicht der Parzellen für die Mitgliederversammlung. Kannst
du kurz prüfen, ob deine Größe stimmt? Ich habe 100 m² eingetragen.

(The plot overview for the general meeting is attached; please check
that your plot size is right.)

Viele Grüße
Jürgen

------=_Part_7a3d01f5
Content-Type: text/plain; charset=UTF-8;
	%s
Content-Disposition: attachment;
	%s
Content-Transfer-Encoding: base64

%s
------=_Part_7a3d01f5--
""" % (ew("Jürgen Weiß", "ISO-8859-1", "Q"), ew("Übersicht der Gartenparzellen für die Versammlung", "ISO-8859-1", "Q"),
       rfc2231("name", "Übersicht Gartenparzellen 2024 – Entwurf für die Mitgliederversammlung.txt"),
       rfc2231("filename", "Übersicht Gartenparzellen 2024 – Entwurf für die Mitgliederversammlung.txt"),
       b64(UEBERSICHT.encode())),
    "attachment name in RFC 2231 form: UTF-8 percent-encoding split over continuations (filename*0*, *1*, ...), one split inside a UTF-8 sequence; ISO-8859-1 Q-encoded Subject and From")

add("S", """Return-Path: <bounce-statements@northwind-bank.example.com>
Delivered-To: alex@example.org
Received: from mx1.example.org
	by imap.example.org with LMTP
	id 2Qm9KcbQCmYt3wAAx7kq8g
	(envelope-from <bounce-statements@northwind-bank.example.com>)
	for <alex@example.org>; Mon, 01 Apr 2024 08:00:07 +0200
Authentication-Results: mx1.example.org;
	dkim=pass (2048-bit key) header.d=northwind-bank.example.com header.s=nwb2024 header.b=Rz4k0aXd;
	spf=pass (mx1.example.org: domain of bounce-statements@northwind-bank.example.com designates 192.0.2.44 as permitted sender) smtp.mailfrom=bounce-statements@northwind-bank.example.com;
	dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=northwind-bank.example.com
Received: from mail-out2.northwind-bank.example.com (mail-out2.northwind-bank.example.com [192.0.2.44])
	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
	by mx1.example.org (Postfix) with ESMTPS id 4V7Kq20XJgz9sT3
	for <alex@example.org>; Mon, 01 Apr 2024 08:00:06 +0200
Received: from app7.internal.northwind-bank.example.com (app7.internal.northwind-bank.example.com [10.20.4.17])
	by mail-out2.northwind-bank.example.com (Postfix) with ESMTP id 1C2D3E4F5A
	for <alex@example.org>; Mon, 01 Apr 2024 06:00:04 +0000 (UTC)
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
	d=northwind-bank.example.com; s=nwb2024; t=1711951203;
	h=from:to:subject:date:message-id:mime-version:content-type;
	bh=Hq1JYwV0dWVZrR5NHZbW4n1o0oNrw6Zt8xR9mI1kP2E=;
	b=Rz4k0aXdPLACEHOLDERnotARealSignatureK1x9Jm2d8Zq0Yw3Lr6Tv5Ns7Bp4Hc2Gf
	 1Xa8Wd3Ke6Qj9Uo0Iy2Pt5Rl7Mn4Vb1Cz8Sx3Fg6Hj0Kd9Lw2Qe5Ra7Ty4Ui1Op3As6Df
	 8Gh2Jk5Lz0Xc3Vb7Nm1Qw4Er9Ty6Ui2Op5As8Df0Gh3Jk7Lz1Xc4Vb8Nm2Qw5Er0Ty7Ui
	 3Op6As9Df1Gh4Jk8Lz2Xc5Vb9Nm3Qw6Er1Ty8Ui4Op7As0Df2Gh5Jk9Lz3Xc6Vb0Nm4Q==
From: Northwind Bank <statements@northwind-bank.example.com>
To: Alex Morgan <alex@example.org>
Subject: Your March statement is ready
Date: Mon, 01 Apr 2024 06:00:03 +0000
Message-ID: <stmt.2024-03.77120443@northwind-bank.example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

Dear Alex Morgan,

your statement for March 2024 is ready in Northwind Online Banking.

For your security this email contains no links and no attachments. To
read your statement, open the Northwind app or type our address into
your browser yourself.

We will never ask you for your password, PIN or a one-time code by
email or on the phone.

Northwind Bank
""", "the real bank: a sensible Received chain (internal hop, outbound relay, our MX), DKIM-Signature (placeholder b=), Authentication-Results pass from our own server")

TOM_STAMP = hashcash(OWNER, "240402")

add("S", env("2024-04-02 10:11:12 +0200", "tom.becker@harbor.example.com", "smtp.harbor.example.com", "192.0.2.33",
             sub=("[10.1.4.12]", "203.0.113.14")) + """
From: Tom Becker <tom.becker@harbor.example.com>
To: Alex Morgan <alex@example.org>
Subject: Lunch on Friday?
Date: Tue, 02 Apr 2024 10:11:12 +0200
Message-ID: <20240402081112.GA20931@harbor.example.com>
X-Hashcash: %s
User-Agent: Mutt/2.2.9 (2022-11-12)
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Disposition: inline

Hi Alex,

the new noodle place by the river opened last week. Friday at 12:30?
Priya is in too.

(I have started stamping my mail with hashcash, as a small experiment
after that lecture on spam. The X-Hashcash header is real: it costs my
laptop about a second per recipient and you nothing to check.)

Tom
""" % TOM_STAMP, "X-Hashcash: a real 20-bit stamp for alex@example.org, dated 240402")

add(None, """Return-Path: <fake@anywhere.test>
Delivered-To: alex@example.org
Received: from mx1.example.org
	by imap.example.org with LMTP
	id 8kQ2FqFXGWZ1NAAAx7kq8g
	(envelope-from <fake@anywhere.test>)
	for <alex@example.org>; Fri, 12 Apr 2024 19:46:56 +0200
Authentication-Results: mx1.example.org;
	spf=softfail (mx1.example.org: domain of transitioning fake@anywhere.test does not designate 198.51.100.54 as permitted sender) smtp.mailfrom=fake@anywhere.test;
	dkim=none;
	dmarc=none header.from=mail.example.com
Received: from smtp.relay-one.test (198-51-100-54.static.hosting.test [198.51.100.54] (may be forged))
	by mx1.example.org (Postfix) with ESMTP id 4VGxQ2m0ZbLz9sV
	for <alex@example.org>; Fri, 12 Apr 2024 19:46:54 +0200
Received: from relay-two.relay-one.test (unknown [10.44.3.9])
	by smtp.relay-one.test (8.14.4/8.14.4) with ESMTP id 43CHkpXq011834;
	Fri, 12 Apr 2024 13:46:51 -0400 (EDT)
Received: from google.com (dialup-78.pool.someisp.test [203.0.113.78])
	by relay-two.relay-one.test (8.14.4/8.14.4) with SMTP id 43CEjS01;
	Fri, 12 Apr 2024 13:30:28 -0700 (PDT)
Date: Fri, 12 Apr 2024 10:45:28 -0700 (PDT)
From: cheap products <cheap@mail.example.com>
To: something@somewhere.test
Subject: The best offer only for you
Message-ID: <0.0.0.7.1D8ABC.11F40@google.com>
X-Mailer: Microsoft Outlook Express 6.00.2600.0000
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Dear friend,

ONLY TODAY: designer watches, perfumes and software at 90% off the
retail price!!! Genuine quality, worldwide shipping, no questions asked.

Visit http://203.0.113.78/best-offer/ and enter your code FRIEND90.

You received this because you are a valued customer. To be removed from
our list reply with REMOVE in the subject.
""", "spam with a forged Received chain (the lecture's example): HELO google.com from a dial-up ISP address, a hop dated after its successor, a private 10.x address in a public hop, a \"(may be forged)\" marker; To is not the owner")

BANK_HTML = """\
<html>
<head><title>Northwind Bank</title></head>
<body style="font-family: Arial, sans-serif; font-size: 14px;">
<table width="560" align="center"><tr><td>
<p><img src="http://203.0.113.101/nwb/logo.gif" alt="Northwind Bank" width="180" height="48"></p>
<p>Dear customer,</p>
<p>We detected an unusual sign-in to your Northwind Online Banking account from a device in
another country on <b>14 April 2024 at 23:52</b>. For your protection we have temporarily
limited your account.</p>
<p>To restore full access, please confirm your details within 24 hours:</p>
<p style="text-align:center; padding: 12px;">
<a href="http://northwind-bank.example.com.secure-login.test/verify?id=88123&amp;s=1" style="background:#0b3d91;color:#fff;padding:10px 18px;text-decoration:none;">https://www.northwind-bank.example.com/security</a></p>
<p>Alternatively sign in here: <a href="http://0xcb007165/nwb/login.php">Northwind Online Banking</a>
or copy this address into your browser: <a href="http://3405803877/nwb/">www.northwind-bank.example.com</a></p>
<form action="http://203.0.113.101/nwb/collect.php" method="post">
<p>Customer number: <input type="text" name="cust"> PIN: <input type="password" name="pin">
<input type="submit" value="Confirm"></p>
</form>
<p>If you do not confirm, your account will be suspended.</p>
<p>Northwind Bank Security Team</p>
</td></tr></table>
</body>
</html>
"""

add(None, env("2024-04-15 03:12:44 +0000", "bounce-7781@bulk.nwb-secure-mail.test", "vps-3102.cheap-hosting.test", "203.0.113.101",
              spf="pass", dkim="none", dmarc="none header.from=nwb-secure-mail.test", delays=(0, 1, 1)) + """
From: "security@northwind-bank.example.com" <alerts@nwb-secure-mail.test>
Reply-To: security-team@nwb-secure-mail.test
To: alex@example.org
Subject: Unusual sign-in activity on your account
Date: Mon, 15 Apr 2024 03:12:44 +0000
Message-ID: <1713150764.5519@vps-3102.cheap-hosting.test>
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: base64

""" + b64(BANK_HTML.encode()) + "\n",
    "phishing, HTML only (base64): display name is an address; link text shows the bank's URL but goes elsewhere; hex (0xcb007165) and dotless decimal (3405803877) IP links; a password form; a remote logo from a bare IP")

VENUE_TEXT = """\
Dear Ms Natarajan,

we are pleased to confirm your booking for Harbor Analytics:

  Date:     Thursday 16 May 2024, 09:00-17:00
  Room:     The Boathouse (up to 24 people)
  Catering: coffee on arrival, lunch buffet, afternoon tea
  Price:    1,860.00 EUR excl. VAT

Our address and directions: https://lakeside-venue.example.com/directions

Kind regards,
Marta Lindqvist
Lakeside Conference Centre
"""

add("PS", env("2024-04-17 09:30:00 +0200", "priya.natarajan@harbor.example.com", "smtp.harbor.example.com", "192.0.2.33",
              sub=("[192.168.1.24]", "203.0.113.14")) + """
From: Priya Natarajan <priya.natarajan@harbor.example.com>
To: Alex Morgan <alex@example.org>
Subject: Fwd: Booking confirmation - Harbor Analytics offsite, 16 May
Date: Wed, 17 Apr 2024 09:30:00 +0200
Message-ID: <9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d@harbor.example.com>
User-Agent: Mozilla Thunderbird
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="------------fwd-priya-0417"

This is a multi-part message in MIME format.
--------------fwd-priya-0417
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

""" + flow("""Alex, for your calendar: the offsite venue is confirmed. The original message is attached. Could you sort out the projector with them? Priya""") + """

--------------fwd-priya-0417
Content-Type: message/rfc822; name="Booking confirmation.eml"
Content-Disposition: attachment; filename="Booking confirmation.eml"

Received: from mail.lakeside-venue.example.com (mail.lakeside-venue.example.com [192.0.2.230])
	by smtp.harbor.example.com with ESMTPS id 4VK2r01Qx9;
	Tue, 16 Apr 2024 15:12:40 +0000
From: Lakeside Conference Centre <bookings@lakeside-venue.example.com>
To: Priya Natarajan <priya.natarajan@harbor.example.com>
Subject: Booking confirmation - Harbor Analytics offsite, 16 May
Date: Tue, 16 Apr 2024 17:12:35 +0200
Message-ID: <bk-20240416-0042@lakeside-venue.example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="lakeside-alt-0042"

--lakeside-alt-0042
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

""" + VENUE_TEXT + """
--lakeside-alt-0042
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: 7bit

<html><body><p>Dear Ms Natarajan,</p><p>we are pleased to confirm your booking for
Harbor Analytics on <b>Thursday 16 May 2024</b>, 09:00-17:00, in The Boathouse.</p>
<p><a href="https://lakeside-venue.example.com/directions">Directions</a></p>
<img src="https://lakeside-venue.example.com/mail/open/bk-20240416-0042.gif" width="1" height="1" alt="">
<p>Marta Lindqvist<br>Lakeside Conference Centre</p></body></html>

--lakeside-alt-0042--

--------------fwd-priya-0417--
""", "forwarded as message/rfc822 attachment holding its own multipart/alternative (and a tracking pixel inside the nested HTML)")

add("S", env("2024-04-18 15:02:37 +0200", "dev@patel.example.net", "mail.patel.example.net", "192.0.2.45",
             sub=("laptop.patel.example.net", "198.51.100.45")) + """
From: Dev Patel <dev@patel.example.net>
To: Alex Morgan <alex@example.org>
Subject: Allotment survey results (big file, not attached)
Date: Thu, 18 Apr 2024 15:02:37 +0200
Message-ID: <87o7b2x9k4.fsf@patel.example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=-=-=survey"

--=-=-=survey
Content-Type: text/plain

The survey export is 48 MB, too big to mail, so my mail program
attached a reference to it instead. It is the raw CSV; I am still
writing the summary.

Dev

--=-=-=survey
Content-Type: message/external-body; access-type=URL;
	URL="https://data.example.net/exports/allotment-survey-2024.csv";
	size=48211337; expiration="Sat, 18 May 2024 15:00:00 +0200"

Content-Type: text/csv; charset=UTF-8
Content-ID: <survey-2024.csv@data.example.net>
Content-Description: Allotment survey 2024, raw export


--=-=-=survey
Content-Type: message/external-body; access-type=anon-ftp;
	site="ftp.data.example.net"; directory="pub/allotments"; name="allotment-survey-2024.csv"

Content-Type: text/csv


--=-=-=survey--
""", "message/external-body (access-type=URL and anon-ftp): references that must never be fetched")

add(None, env("2024-04-22 08:14:09 +0200", "ar@kestrel-office.test", "smtp.kestrel-office.test", "203.0.113.120",
              spf="neutral", dkim="none", dmarc="none header.from=kestrel-office.test") + """
From: Kestrel Office Supplies - Accounts <ar@kestrel-office.test>
To: alex@example.org
Subject: Overdue invoice INV-20931 - final reminder
Date: Mon, 22 Apr 2024 08:14:09 +0200
Message-ID: <20240422061409.77123@kestrel-office.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="_kestrel_20931_"

--_kestrel_20931_
Content-Type: text/plain; charset=UTF-8

Dear customer,

our records show invoice INV-20931 (EUR 1,284.50) is now 30 days
overdue. Please open the attached invoice and pay today to avoid a
late fee. The shipping label for your last order is attached as well.

Accounts department
Kestrel Office Supplies

--_kestrel_20931_
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="invoice.pdf"
Content-Transfer-Encoding: base64

%s

--_kestrel_20931_
Content-Type: text/plain; name="shipping-label.txt"
Content-Disposition: attachment; filename="shipping-label.txt"
Content-Transfer-Encoding: base64

%s

--_kestrel_20931_--
""" % (b64(pe_stub("a harmless stand-in for the program an attacker would send as invoice.pdf")),
       b64(zip_with("shipping-label.js", b"// wary demo: harmless. A real attack would hide a script here.\n"))),
    "attachments that lie: invoice.pdf (declared application/pdf) is a Windows PE executable; shipping-label.txt (text/plain) is a ZIP holding a .js file")

add("", env("2024-04-23 17:55:41 +0200", "finance@harbor-analytics.test", "mail.harbor-analytics.test", "203.0.113.130",
            spf="pass", dkim="none", dmarc="none header.from=harbor-analytics.test") + """
From: Harbor Analytics Finance <finance@harbor-analytics.test>
To: alex@example.org
Subject: Q1 report - please review before Friday
Date: Tue, 23 Apr 2024 17:55:41 +0200
Message-ID: <q1-report.20240423155541@harbor-analytics.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="q1rep"

--q1rep
Content-Type: text/plain; charset=UTF-8

Hi,

attached is the Q1 report. Please review it before Friday's meeting.

Finance

--q1rep
Content-Type: application/octet-stream; name="report.pdf.exe"
Content-Disposition: attachment; filename="report.pdf.exe"
Content-Transfer-Encoding: base64

%s
--q1rep--
""" % b64(pe_stub("a harmless stand-in named report.pdf.exe")),
    "double extension report.pdf.exe (a PE stub) from a look-alike of the owner's employer's domain; seen but unread")

PAYPAL_HTML = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"></head>
<body style="font-family: Helvetica, Arial, sans-serif; background:#f5f7fa;">
<div style="max-width:540px;margin:auto;background:#fff;padding:24px;">
<p><img src="https://www.p\u0430ypal.example/img/logo.png" alt="PayPal" width="120"></p>
<p>Hello,</p>
<p>We noticed a payment of <b>329.99 EUR</b> to <b>GameKeys Store</b> that does not look like you.
Your account has been <b>limited</b> until you confirm your identity.</p>
<p><a href="https://paypal.com@evil.example/resolution/case-4471">https://www.paypal.com/resolution</a></p>
<p>Or sign in at <a href="https://www.p\u0430ypal.example/signin">www.paypal.example</a> and open the Resolution Center.</p>
<p>If you made this payment you can ignore this message: <a href="http://www.xn--pypal-4ve.example/ok">https://www.paypal.example/confirm</a></p>
<p>Sincerely,<br>PayPal</p>
</div>
</body></html>
"""

add(None, env("2024-04-26 11:20:05 +0000", "service@xn--pypal-4ve.example", "mail.xn--pypal-4ve.example", "198.51.100.201",
              spf="pass", dkim="pass header.d=xn--pypal-4ve.example", dmarc="pass header.from=xn--pypal-4ve.example") + """
From: PayPal <service@xn--pypal-4ve.example>
Reply-To: PayPal Resolution <resolution@p\u0430ypal.example>
To: alex@example.org
Subject: Your account has been limited
Date: Fri, 26 Apr 2024 11:20:05 +0000
Message-ID: <RT-0426-88172@xn--pypal-4ve.example>
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=xn--pypal-4ve.example; s=mail;
	h=from:to:subject:date:message-id; bh=PLACEHOLDERbodyhashNotReal000000000000000000=;
	b=PLACEHOLDERnotARealSignatureGx3Fk8Lm2Nq5Rs9Tv1Wx4Yz7Ab0Cd3Ef6Gh9Ij2Kl5Mn8=
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

""" + qp(PAYPAL_HTML.encode()),
    "look-alike sender domain xn--pypal-4ve.example (p + Cyrillic a + ypal) that passes its own SPF/DKIM/DMARC; Reply-To with a raw Cyrillic letter; userinfo link https://paypal.com@evil.example/; links to the mixed-script host; http link whose text says https")

add(None, env("2024-04-29 06:40:18 +0000", "statements@evil.example", "out.evil.example", "198.51.100.66",
              spf="pass", dkim="pass header.d=evil.example", dmarc="fail header.from=northwind-bank.example.com") + """
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=evil.example; s=s1;
	h=from:to:subject:date:message-id; bh=PLACEHOLDERbodyhash2NotReal0000000000000000=;
	b=PLACEHOLDERnotARealSignatureQw8Er5Ty2Ui9Op6As3Df0Gh7Jk4Lz1Xc8Vb5Nm2=
From: Northwind Bank <statements@northwind-bank.example.com>
From: Northwind Statements <statements@evil.example>
To: Alex Morgan <alex@example.org>
Subject: Your April statement is ready - action needed
Date: Mon, 29 Apr 2024 06:40:18 +0000
Message-ID: <stmt.2024-04.99120003@evil.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Dear Alex Morgan,

your April statement shows a pending transfer of 2,450.00 EUR that
needs your confirmation. If you did not authorise it, cancel it here
within 12 hours:

    https://northwind-bank.example.com.cancel-transfer.test/c/99120003

Northwind Bank
""", "two From headers (the bank's first, the signer's second); DKIM by evil.example; the verdict must be \"ambiguous\"")

# ======================================================================
# May - June: signatures, spoofing, spam, odd headers, terminal attacks
# ======================================================================

KEYS_TEXT = """\
Hi all (and Alex, who asked),

I rotated the key I use for the allotments' shared accounts. The new
fingerprint is below; please update your keyring before the next work
day. The old key expires at the end of May.

    new: 7D2A 91C4 0E35 B6F8 21A9  4C3D 5E60 1F82 B7C4 9A03

This message is signed with the new key, so you can check it.

Dev
"""

add("S", env("2024-05-02 19:03:27 +0200", "dev@patel.example.net", "mail.patel.example.net", "192.0.2.45",
             sub=("laptop.patel.example.net", "198.51.100.45")) + """
From: Dev Patel <dev@patel.example.net>
To: Alex Morgan <alex@example.org>
Subject: New OpenPGP key for the allotments accounts
Date: Thu, 02 May 2024 19:03:27 +0200
Message-ID: <87k1m4a0e7.fsf@patel.example.net>
User-Agent: Gnus/5.13 (Gnus v5.13)
MIME-Version: 1.0
Content-Type: multipart/signed; boundary="=-=-=sig";
	micalg=pgp-sha256; protocol="application/pgp-signature"

--=-=-=sig
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

%s
--=-=-=sig
Content-Type: application/pgp-signature; name="signature.asc"
Content-Description: OpenPGP digital signature
Content-Disposition: attachment; filename="signature.asc"

%s
--=-=-=sig--
""" % (qp(KEYS_TEXT.encode()), placeholder_signature("Dev Patel")),
    "PGP/MIME multipart/signed shape (RFC 3156); the signature is a PLACEHOLDER, not a real signature")

TREASURER = """\
Treasurer's report, April 2024

Opening balance                      2,311.40
Membership fees (6 plots)              540.00
Pump (Hydro Supplies, paid 18 April)  -984.00
Frost drain valve                      -35.00
-----------------------------------------------
Closing balance                      1,832.40

- Receipts are in the blue folder in the pavilion.
- Next fees are due on 1 October.

Sam Reyes, treasurer
"""


def dash_escape(text):
    return "\n".join("- " + ln if ln.startswith("-") else ln for ln in text.split("\n"))


add("S", env("2024-05-06 20:15:00 +0000", "sam.reyes@example.net", "smtp.example.net", "192.0.2.61",
             sub=("[192.168.0.40]", "203.0.113.61")) + """
From: Sam Reyes <sam.reyes@example.net>
To: Alex Morgan <alex@example.org>, Margaret Okafor <margaret.okafor@example.com>
Subject: Treasurer's report for April (signed)
Date: Mon, 06 May 2024 20:15:00 +0000
Message-ID: <sam.20240506201500.report@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hello both, the April report is below, clearsigned as usual.

-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

%s
%s

Sam
""" % (dash_escape(TREASURER).rstrip("\n"), placeholder_signature("Sam Reyes")),
    "inline PGP clearsigned block with dash-escaped lines, text before and after it; the signature is a PLACEHOLDER")

add(None, """Return-Path: <it-helpdesk@harbor.example.com>
Delivered-To: alex@example.org
Received: from mx1.example.org
	by imap.example.org with LMTP
	id kM2rB3UPO2YvYQAAx7kq8g
	(envelope-from <it-helpdesk@harbor.example.com>)
	for <alex@example.org>; Wed, 08 May 2024 09:21:43 +0200
Authentication-Results: mx1.example.org;
	spf=fail (mx1.example.org: domain of it-helpdesk@harbor.example.com does not designate 203.0.113.200 as permitted sender) smtp.mailfrom=it-helpdesk@harbor.example.com;
	dkim=none;
	dmarc=fail (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=harbor.example.com
Received: from harbor.example.com (cpe-203-0-113-200.broadband.isp.test [203.0.113.200])
	by mx1.example.org (Postfix) with ESMTP id 4VZ9kQ3Lx2z8rT1
	for <alex@example.org>; Wed, 08 May 2024 09:21:42 +0200
Authentication-Results: mx1.example.org;
	dkim=pass header.d=harbor.example.com header.s=hrb2024;
	spf=pass smtp.mailfrom=harbor.example.com;
	dmarc=pass header.from=harbor.example.com
Authentication-Results: mx.harbor.example.com; dkim=pass header.d=harbor.example.com;
	spf=pass smtp.mailfrom=harbor.example.com; dmarc=pass
From: Harbor IT Helpdesk <it-helpdesk@harbor.example.com>
To: alex@example.org
Subject: Your password expires today - keep your current password
Date: Wed, 08 May 2024 07:21:40 +0000
Message-ID: <helpdesk-1715152900.4410@harbor.example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1_helpdesk"

--b1_helpdesk
Content-Type: text/plain; charset=UTF-8

Your Harbor network password expires today. To keep your current
password, confirm it here:
https://harbor.example.com.password-keep.test/keep?u=alex

Harbor IT Helpdesk

--b1_helpdesk
Content-Type: text/html; charset=UTF-8

<p>Your Harbor network password expires today.</p>
<p><a href="https://harbor.example.com.password-keep.test/keep?u=alex">Keep my current password</a></p>
<p>Harbor IT Helpdesk</p>

--b1_helpdesk--
""", "forged Authentication-Results claiming pass, inserted by the sender below the trust boundary (one even uses our authserv-id); the real one from mx1.example.org says spf=fail, dmarc=fail")

SPAM_TEXT = """\
L 0 S E  10 kg  B Y  S U M M E R !!!

d0ctors are amazed: this one n@tural p1ll melts fat while you sleep.
No diet. No gym. 100% s@fe and c e r t i f i e d.

>>> ORDER NOW: only 19.99 / bottle, FREE shipping <<<
http://slim-fast-rx.test/o/?id=alex

unsubscribe: http://slim-fast-rx.test/u/?id=alex
"""
SPAM_HTML = """\
<html><body>
<div style="color:#ffffff;font-size:1px;line-height:1px;">meeting agenda quarterly report allotment
committee minutes invoice attached project plan lunch friday thanks</div>
<p align="center"><a href="http://slim-fast-rx.test/o/?id=alex"><img src="http://img.slim-fast-rx.test/banner-may.jpg" width="600" height="400" alt="" border="0"></a></p>
<p align="center" style="font-size:10px;">L<span style="display:none">x</span>ose 10 kg by summer.
<a href="http://slim-fast-rx.test/u/?id=alex">unsubscribe</a></p>
<img src="http://img.slim-fast-rx.test/p.gif?id=alex&amp;m=0511" width="1" height="1">
</body></html>
"""

add(None, env("2024-05-11 14:02:13 +0000", "info@slim-fast-rx.test", "bulk7.mailer-farm.test", "203.0.113.222",
              spf="none", dkim="none", dmarc="none header.from=slim-fast-rx.test") + """
From: "Dr. Anna Weber" <offers@slim-fast-rx.test>
To: undisclosed-recipients:;
Subject: L0se 10 kg by summer - d0ctors are amazed
Date: Sat, 11 May 2024 14:02:13 +0000
Message-ID: <5f3c.0511.71aa@bulk7.mailer-farm.test>
X-Mailer: The Bat! (v3.5.25) Professional
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="--slim0511"

----slim0511
Content-Type: text/plain; charset=us-ascii

%s
----slim0511
Content-Type: text/html; charset=us-ascii

%s
----slim0511--
""" % (SPAM_TEXT, SPAM_HTML),
    "spam: misspellings and spaced-out words, an image-only HTML part, invisible white 1px \"ham\" words, display:none inside a word, a 1x1 pixel")

add("", env("2024-05-14 10:47:02 +0100", "kelly.marsh@talentbridge.test", "smtp.talentbridge.test", "192.0.2.240",
            sub=("[10.10.2.31]", "198.51.100.180")) + """
From: Kelly Marsh <kelly.marsh@talentbridge.test>
To: alex@example.org
Subject: Quick question about your availability
Date: Tue, 14 May 2024 10:47:02 +0100
Message-ID: <TB-KM-20240514-1047@talentbridge.test>
Disposition-Notification-To: Kelly Marsh <kelly.marsh@talentbridge.test>
Return-Receipt-To: kelly.marsh@talentbridge.test
X-Confirm-Reading-To: kelly.marsh@talentbridge.test
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Hi Alex,

I came across your profile and think you could be a great fit for a
senior data engineering role with one of our clients. Would you have
fifteen minutes for a call this week?

Best regards,
Kelly Marsh
TalentBridge Recruitment
""", "asks for a read receipt three ways (Disposition-Notification-To, Return-Receipt-To, X-Confirm-Reading-To); never answered automatically")

add("S", env("2024-05-19 18:05:55 +0100", "jane.morgan@example.net", "smtp.example.net", "192.0.2.61",
             sub=("[192.168.0.12]", "198.51.100.140")) + """
From: %s <jane.morgan@example.net>
To: Alex Morgan <alex@example.org>
Subject: %s
Date: Sun, 19 May 2024 18:05:55 +0100
Message-ID: <CAJm0rgan.20240519180555.4410@mail.example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

%s
""" % (ew("Mum 🌻", "UTF-8", "B"), ew("🎂 Dad's 60th — ideas? 🎉", "UTF-8", "Q"),
       b64("""Hello love,

Dad turns sixty on the 15th of June 🎂 and I want to do something
special. Ideas so far:

  🚂 a steam train trip to the coast
  🍽️ dinner at the place by the harbour
  👨‍👩‍👧 all of us together for a weekend in the cottage

Your sister votes for the cottage. What do you think? 🇬🇧🇫🇷 (Sophie could
come over too!)

Love,
Mum 🌻 xx
""".encode())),
    "emoji in From name and Subject (Q-encoded 4-byte UTF-8), ZWJ family sequence, flags and a variation selector in the body (column widths)")

add("S", env("2024-05-22 04:00:17 +0000", "noreply@ci.harbor.example.com", "smtp.harbor.example.com", "192.0.2.33",
             sub=("ci-runner-3.harbor.example.com", "192.0.2.35")) + """
From: Harbor Infra Bot <noreply@ci.harbor.example.com>
To: alex@example.org
Subject: [harbor-infra] Reminder: the quarterly access review for the data
 platform (ingest, warehouse, dashboards, the finance export and the
 legacy reporting cluster that was supposed to be switched off in January)
 is due on Friday 31 May; please confirm or revoke the 14 accounts listed
 below before then, or they will be suspended automatically
Date: Wed, 22 May 2024 04:00:17 +0000
Message-ID: <access-review.2024Q2.alex@ci.harbor.example.com>
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Access review 2024-Q2 for alex@example.org

  svc-ingest-prod        keep / revoke
  svc-ingest-staging     keep / revoke
  dash-finance-ro        keep / revoke
  legacy-report-admin    keep / revoke   (cluster scheduled for removal)
  ... and 10 more: https://access.harbor.example.com/review/2024Q2

This is an automated message.
""", "a very long subject (339 characters) folded over five lines")

add("", env("2024-05-25 12:31:09 +0200", "jordan.lee@example.com", "smtp.example.com", "192.0.2.40",
            sub=("[10.0.0.5]", "198.51.100.33")) + """
From: Jordan Lee <jordan.lee@example.com>
To: Alex Morgan <alex@example.org>
Date: Sat, 25 May 2024 12:31:09 +0200
Message-ID: <6A1D2F33-0C8E-4B7A-9E25-3C1F0D2B8A77@example.com>
X-Mailer: iPhone Mail (21E236)
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Key is under the blue pot. Back around six, I'll bring bread.
x
""", "no Subject header at all; seen but unread")

add("S", """Return-Path: <root@nas.home.test>
Delivered-To: alex@example.org
Received: from mx1.example.org
	by imap.example.org with LMTP
	id wQ7bK1uUVWZ4BQAAx7kq8g
	(envelope-from <root@nas.home.test>)
	for <alex@example.org>; Tue, 28 May 2024 03:30:02 +0200
Authentication-Results: mx1.example.org;
	spf=none smtp.mailfrom=nas.home.test;
	dkim=none
Received: from nas.home.test (cpe-203-0-113-8.broadband.isp.test [203.0.113.8])
	by mx1.example.org (Postfix) with ESMTPS id 4Vp3Zt1Hkqz9sV2
	for <alex@example.org>; Tue, 28 May 2024 03:30:01 +0200
From: Cron Daemon <root@nas.home.test>
To: alex@example.org
Subject: Nightly backup report for nas.home.test
Message-ID: <20240528013000.B9A1E4C0123@nas.home.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

backup: 3 snapshots kept, 1 pruned
backup: photos    41.2 GiB  (+0.3 GiB)
backup: documents  2.1 GiB  (+0.0 GiB)
backup: finished in 14m02s, no errors
""", "no Date header (only the Received dates say when it arrived)", when="2024-05-28 03:30:00 +0200")

add("S", env("2024-05-30 16:44:30 +0200", "scanner@harbor.example.com", "smtp.harbor.example.com", "192.0.2.33",
             sub=("MFP-3F", "10.1.9.30")) + """
From: Office Scanner MFP-3F <scanner@harbor.example.com>
To: alex@example.org
Subject: Scanned document from MFP-3F
Date: Thu, 31 Feb 2024 25:61:00 +9900
Message-ID: <MFP-3F.0042.20240530@harbor.example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="MFP3F_0042"

--MFP3F_0042
Content-Type: text/plain; charset=us-ascii

Please open the attached document. It was scanned and sent to you using
a multifunction printer.

Number of pages: 1
Device: MFP-3F (3rd floor, east)

--MFP3F_0042
Content-Type: application/pdf; name="scan_0042.pdf"
Content-Disposition: attachment; filename="scan_0042.pdf"
Content-Transfer-Encoding: base64

%s
--MFP3F_0042--
""" % b64(pdf("Scan 0042", ["Expense receipt: team lunch, 2 April 2024, 86.40 EUR.", "Approved: P. Natarajan"])),
    "an impossible Date (31 Feb, 25:61, zone +9900) from an office scanner; a real PDF attachment", when="2024-05-30 16:44:30 +0200")

OSC52 = base64.b64encode(b"echo this text was put on your clipboard by an email subject").decode()

add(None, env("2024-06-03 07:58:20 +0000", "billing@invoices-online.test", "mail.invoices-online.test", "203.0.113.140",
              spf="pass", dkim="none", dmarc="none header.from=invoices-online.test") + """
From: Accounts Receivable <billing@invoices-online.test>
To: alex@example.org
Subject: Invoice 8812 \x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]52;c;%s\x07\x1b]8;;https://evil.example/pay\x1b\\PAY NOW\x1b]8;;\x1b\\ \x1b[5;31mOVERDUE\x1b[0m
Date: Mon, 03 Jun 2024 07:58:20 +0000
Message-ID: <inv8812.1717401500@invoices-online.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Invoice 8812 is overdue. Please pay today.

(The subject of this message holds raw terminal escape sequences: clear
screen and home, set the window title to "pwned", write a command to
the clipboard with OSC 52, an OSC 8 hyperlink to evil.example labelled
PAY NOW, and blinking red text. A safe client shows them as visible
escapes and runs none of them.)
""" % OSC52, "raw ESC bytes in the Subject: CSI 2J clear screen, OSC 0 title \"pwned\", OSC 52 clipboard write, OSC 8 hyperlink, blinking red SGR")

ESC_SUBJECT = "Shared document: Q2 plan \x1b]8;;https://evil.example/login\x1b\\(open)\x1b]8;;\x1b\\\x1b[8m hidden\x1b[0m"
ESC_BODY = """\
Hello Alex,

Priya shared "Q2 plan" with you.\x1b[2K\x1b[1G

\x1b]8;;https://evil.example/login\x1b\\Open the document in Harbor Docs\x1b]8;;\x1b\\

\x1b[999;1H\x1b[42;30m wary: good signature from Priya Natarajan (fully trusted) \x1b[0m\x1b[H
Status lines drawn from inside a message are lies.
A C1 control sequence introducer, encoded as UTF-8: \u009b31mred\u009b0m
A device control string: \x1bP$q"p\x1b\\ and a terminal query: \x1b[6n \x1b]10;?\x07
Backspaces that overstrike: safe\x08\x08\x08\x08evil and a bare CR:\rOVERWRITTEN

Harbor Docs
"""

add(None, env("2024-06-04 13:37:00 +0000", "share@docs-harbor.test", "mail.docs-harbor.test", "203.0.113.141",
              spf="pass", dkim="none", dmarc="none header.from=docs-harbor.test") + """
From: "Priya Natarajan (via Harbor Docs)" <share@docs-harbor.test>
To: alex@example.org
Subject: %s
Date: Tue, 04 Jun 2024 13:37:00 +0000
Message-ID: <share.q2plan.1717508220@docs-harbor.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

%s""" % (ew(ESC_SUBJECT, "UTF-8", "B"), ESC_BODY),
    "escapes that appear only after decoding: an OSC 8 link and concealed text inside a B-encoded Subject; the body holds OSC 8, a fake status line at the bottom row, C1 CSI (U+009B), DCS, terminal queries, backspaces and a bare CR")

RLO_NAME = "\u202e" + "it-helpdesk@harbor.example.com"[::-1]

add(None, env("2024-06-05 09:12:33 +0000", "helpdesk@harbour-it.test", "smtp.harbour-it.test", "203.0.113.150",
              spf="pass", dkim="none", dmarc="none header.from=harbour-it.test") + """
From: %s <helpdesk@harbour-it.test>
To: alex@example.org
Subject: %s
Date: Wed, 05 Jun 2024 09:12:33 +0000
Message-ID: <payroll-0605.3391@harbour-it.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="bidi0605"

--bidi0605
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hello,

your June pay\u200bslip is attached. Please open it and confirm the
new bank details by Friday.

Payroll

--bidi0605
Content-Type: application/pdf;
	%s
Content-Disposition: attachment;
	%s
Content-Transfer-Encoding: base64

%s
--bidi0605--
""" % (ew(RLO_NAME, "UTF-8", "Q"), ew("Pay\u200broll\u200c update \u2014 action\u2060 needed", "UTF-8", "Q"),
       rfc2231("name", "payslip-june-\u202efdp.exe"), rfc2231("filename", "payslip-june-\u202efdp.exe"),
       b64(pe_stub("a harmless stand-in whose name shows as payslip-june-exe.pdf"))),
    "bidi: a From display name with U+202E that renders as it-helpdesk@harbor.example.com; zero-width characters in the Subject and body; attachment named payslip-june-<U+202E>fdp.exe, which displays as ...exe.pdf")

# ======================================================================
# write the Maildir and the table in README
# ======================================================================

# ======================================================================
# June: the safe MIME viewer's cases (remote content, links, attachments)
# ======================================================================

def elf_stub(note):
    """A harmless ELF header (x86-64, executable, no program headers): enough
    for libmagic to call it a program; there is nothing to run."""
    h = bytearray(64)
    h[0:4] = b"\x7fELF"
    h[4], h[5], h[6] = 2, 1, 1                        # 64-bit, little endian, version
    struct.pack_into("<HHI", h, 16, 2, 0x3E, 1)       # ET_EXEC, x86-64
    struct.pack_into("<Q", h, 24, 0x401000)           # entry
    struct.pack_into("<H", h, 52, 64)                 # header size
    return bytes(h) + b"\0" * 64 + b"wary demo: " + note.encode() + b"\n"


SHOP_HTML = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>June offers</title>
<link rel="stylesheet" href="https://static.lumen-outlet.test/css/june.css">
<link rel="preload" as="image" href="https://static.lumen-outlet.test/img/banner-wide.jpg">
<link rel="icon" href="https://static.lumen-outlet.test/favicon.ico">
<style>
@import 'https://fonts.lumen-outlet.test/css?family=Lumen';
@font-face { font-family: "Lumen"; src: url(https://fonts.lumen-outlet.test/lumen.woff2) format("woff2"); }
/* url(https://never.lumen-outlet.test/in-a-comment.png) is not loaded */
.hero { background-image: \\75 rl("https://static.lumen-outlet.test/img/Hero-June.jpg"); }
</style></head>
<body background="https://static.lumen-outlet.test/img/paper.gif">
<table width="600" align="center"><tr><td class="hero" style="height:200px">
<h1>June offers at Lumen Outlet</h1></td></tr>
<tr><td>
<picture><source srcset="https://static.lumen-outlet.test/img/lamp-2x.webp 2x" type="image/webp">
<img src="https://static.lumen-outlet.test/img/lamp.jpg" srcset="https://static.lumen-outlet.test/img/lamp-3x.jpg 3x" width="280" alt="The Aurora desk lamp"></picture>
<p>The Aurora desk lamp, now 30% off. <a href="https://click.lumen-outlet.test/c/77a1e9f03b/aurora">See the lamp</a></p>
<video poster="https://static.lumen-outlet.test/video/aurora-poster.jpg" width="280"><source src="https://static.lumen-outlet.test/video/aurora.mp4" type="video/mp4"></video>
<svg width="120" height="20"><image href="https://static.lumen-outlet.test/img/stars.svg" width="120" height="20"/></svg>
<iframe src="https://widgets.lumen-outlet.test/reviews?sku=AUR-1" width="280" height="60"></iframe>
<p style="color:#ffffff;font-size:1px">lamp lamp cheap lamp best lamp</p>
<p><a href="https://click.lumen-outlet.test/c/77a1e9f03b/unsub">Unsubscribe</a></p>
<img src="//px.lumen-outlet.test/open/77a1e9f03b?rcpt=YWxleEBleGFtcGxlLm9yZw" width="1" height="1" alt="">
</td></tr></table>
</body></html>
"""

add(None, env("2024-06-06 08:00:05 +0000", "news@mail.lumen-outlet.test", "mail.lumen-outlet.test", "203.0.113.160",
              spf="pass", dkim="none", dmarc="none header.from=lumen-outlet.test") + """
From: Lumen Outlet <news@lumen-outlet.test>
To: alex@example.org
Subject: June offers: the Aurora lamp, 30% off
Date: Thu, 06 Jun 2024 08:00:05 +0000
Message-ID: <june.77a1e9f03b@mail.lumen-outlet.test>
Disposition-Notification-To: <receipts@lumen-outlet.test>
Return-Receipt-To: <receipts@lumen-outlet.test>
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

""" + qp(SHOP_HTML.encode()),
    "a shop newsletter loading something every way a browser can: stylesheet, preload, icon, @import, @font-face, an escaped u\\72l() and one in a comment, body background, picture/srcset, video poster and source, svg image, iframe, white 1px text, a protocol-relative tracking pixel with the reader's address in it; asks for read receipts (never sent)")

PARCEL_HTML = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Parcel</title>
<base href="http://198.51.100.77/pe/">
</head><body>
<p>Dear customer,</p>
<p>Your parcel <b>PX-55120-GB</b> could not be delivered: the customs fee of 1.99 GBP is unpaid.</p>
<p>Track it at <a href="https://parcelexpress.example.com@198.51.100.77/track?id=PX-55120">https://parcelexpress.example.com/track</a></p>
<p>Or sign in to <a href="http://xn--prcelexpress-x9j.example/login">p\u0430rcelexpress.example</a>
(<a href="http://3325256781/pay">www.parcelexpress.example.com/pay</a>).</p>
<p><a href="fee.php">Pay the fee securely with https://pay.parcelexpress.example.com/</a></p>
<form action="collect.php" method="post">
<p>Card number <input name="cc"> Expiry <input name="exp"> CVV <input type="password" name="cvv"> <input type="submit" value="Pay 1.99 GBP"></p>
</form>
<p>Parcel Express customer service</p>
</body></html>
"""

add(None, env("2024-06-07 19:44:12 +0000", "noreply@parcel-notice.test", "vps-88.cheap-hosting.test", "203.0.113.161",
              spf="softfail", dkim="none", dmarc="none header.from=parcel-notice.test") + """
From: Parcel Express <noreply@parcel-notice.test>
To: alex@example.org
Subject: Your parcel PX-55120-GB is waiting: customs fee unpaid
Date: Fri, 07 Jun 2024 19:44:12 +0000
Message-ID: <px55120.1717789452@parcel-notice.test>
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

""" + qp(PARCEL_HTML.encode()),
    "a parcel-fee phish: link text naming one host and going to another, userinfo (parcelexpress.example.com@198.51.100.77), a mixed-script punycode host, a dotless decimal IP, http where the text says https, a <base href> sending relative links and the card form to an IP")

AUDIT_TXT = b"""Audit documents, June 2024

1. Balance sheet (PDF)
2. Notes for the auditors (this file)
3. The reconciliation tool (see below)
"""

add("S", env("2024-06-08 10:15:40 +0200", "dev@patel.example.net", "mail.patel.example.net", "192.0.2.45",
              sub=("dev-laptop.patel.example.net", "192.0.2.46"), spf="pass", dkim="pass header.d=patel.example.net",
              dmarc="pass header.from=patel.example.net") + """
From: Dev Patel <dev@patel.example.net>
To: Alex Kim <alex@example.org>
Subject: Documents for the audit
Date: Sat, 08 Jun 2024 10:15:40 +0200
Message-ID: <audit-docs.20240608@patel.example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="audit-boundary"

--audit-boundary
Content-Type: text/plain; charset=UTF-8

Hi Alex,

Here are the audit documents: the balance sheet, my notes, and the
reconciliation tool someone on the finance list sent round (it came as
a "PDF", but I have not opened it; wary says what it really is).

Dev

--audit-boundary
Content-Type: application/pdf; name="balance-sheet-2024.pdf"
Content-Disposition: attachment; filename="balance-sheet-2024.pdf"
Content-Transfer-Encoding: base64

""" + b64(pdf("Balance sheet 2024", ["Assets 1,204,500", "Liabilities 733,020", "Equity 471,480"])) + """

--audit-boundary
Content-Type: text/plain; charset=UTF-8; name="notes-for-auditors.txt"
Content-Disposition: attachment; filename="notes-for-auditors.txt"
Content-Transfer-Encoding: base64

""" + b64(AUDIT_TXT) + """

--audit-boundary
Content-Type: application/pdf; name="reconciliation.pdf"
Content-Disposition: attachment; filename="reconciliation.pdf"
Content-Transfer-Encoding: base64

""" + b64(elf_stub("an ELF program named .pdf")) + """

--audit-boundary--
""", "attachments told truly: a real PDF named .pdf, a text file, and a Linux program (ELF) named .pdf and declared application/pdf")

add(None, env("2024-06-09 07:31:02 +0000", "it-support@harbor-drive.test", "smtp.harbor-drive.test", "203.0.113.162",
              spf="pass", dkim="none", dmarc="none header.from=harbor-drive.test") + """
From: Harbor IT <it-support@harbor-drive.test>
To: alex@example.org
Subject: New address for the shared drive
Date: Sun, 09 Jun 2024 07:31:02 +0000
Message-ID: <drive-move.1717918262@harbor-drive.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Hello,

The shared drive has moved. Sign in at the new address before Monday:

  https://harbor.example.com@files.harbor-drive.test/login

If that does not work, use the direct server address http://0xC6336414/drive/
or www.harbor-drive.test/help (the help pages).

Harbor IT
""", "plain text with deceptive URLs: userinfo (harbor.example.com@files...), a hex IP host, a www. address without scheme")


README_HEAD = """\
wary demo mailbox
=================

Maildir/ is a mailbox written for wary: about fifty invented messages that
read like a real person's inbox and between them show every danger wary
flags.  Open it with `wary -f tests/demo/Maildir`.  All people, companies,
lists and domains are made up; domains are reserved example names.

Maildir/ is built by make-demo.py from the readable sources in that script
(run it with /usr/bin/python3; it is deterministic, so re-running it with no
edits changes nothing).  Edit the script, not the files, then commit both.
tests/unit/demo_check.sh checks the result.

Not real signatures (placeholders a later change replaces with real ones):
  * the PGP/MIME signature part and the inline clearsigned block are armoured
    placeholders (correct armour and CRC; the payload says it is not an
    OpenPGP packet);
  * every DKIM-Signature header carries an invented b= and bh=; none of them
    verifies.  The Authentication-Results of mx1.example.org say what that
    server claimed at delivery time.
The hashcash stamp IS real (20 bits, computed by the script).

The owner is Alex Morgan <alex@example.org>; the account's own servers are
mx1.example.org (the trust boundary; its authserv-id is mx1.example.org)
and imap.example.org.

File names: new/ holds messages no client has seen yet; cur/ names end in
:2,FLAGS (S seen, R replied, F flagged, P passed on).

Messages, oldest first (file, what it shows):
"""


def main():
    for sub in ("cur", "new", "tmp"):
        d = os.path.join(MAILDIR, sub)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
    open(os.path.join(MAILDIR, "tmp", ".keep"), "wb").close()
    rows = []
    assert len(set(m[0] for m in MESSAGES)) == len(MESSAGES), "two messages with the same second"
    for n, (epoch, folder, flags, data, desc) in enumerate(sorted(MESSAGES, key=lambda m: m[0]), 1):
        # names depend on the date only, so adding a message renames nothing
        name = "%d.M%03dP0.demo" % (epoch, epoch % 997)
        if folder == "cur":
            name += ":2," + flags
        with open(os.path.join(MAILDIR, folder, name), "wb") as f:
            f.write(data)
        rows.append("%-32s %s" % (folder + "/" + name, desc))
    with open(os.path.join(HERE, "README"), "w", encoding="utf-8") as f:
        f.write(README_HEAD + "\n".join(rows) + "\n")
    print("wrote %d messages to %s" % (len(MESSAGES), os.path.relpath(MAILDIR)))


if __name__ == "__main__":
    main()
