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
    enc = "".join(chr(c) if chr(c).isalnum() or chr(c) in "-._" else "%%%02X" % c for c in raw)
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
# write the Maildir and the table in README
# ======================================================================

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
        rows.append("%-30s %s" % (folder + "/" + name, desc))
    with open(os.path.join(HERE, "README"), "w", encoding="utf-8") as f:
        f.write(README_HEAD + "\n".join(rows) + "\n")
    print("wrote %d messages to %s" % (len(MESSAGES), os.path.relpath(MAILDIR)))


if __name__ == "__main__":
    main()
