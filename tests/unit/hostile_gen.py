#!/usr/bin/python3
"""Write hostile messages into DIR: every payload below in every header
field and part name wary shows, raw, as RFC 2047 (B and Q, UTF-8 and
ISO-8859-1), as RFC 2231 parameters and as HTML entities.

    /usr/bin/python3 tests/unit/hostile_gen.py DIR

Unlike tests/fixtures/hostile/ (one trick per message) these are a cross
product, so a field nobody thought of is covered too.  Deterministic.
"""
import base64
import os
import sys
import urllib.parse

ESC = "\x1b"
# name -> text: what a terminal acts on, and what breaks a layout.
PAYLOADS = {
    "osc-title": ESC + "]0;PWNED-TITLE\x07" + ESC + "]2;PWNED2" + ESC + "\\",
    "osc52": ESC + "]52;c;ZWNobyBwd25lZA==\x07",
    "osc8": ESC + "]8;;https://evil.example/\x07click" + ESC + "]8;;\x07",
    "csi": ESC + "[2J" + ESC + "[H" + ESC + "[31;5m" + ESC + "[6n" + ESC + "[c",
    "dcs": ESC + "P+q544e" + ESC + "\\" + ESC + "_apc" + ESC + "\\" + ESC + "^pm" + ESC + "\\",
    "c1": "\u009b2J\u009d0;T\u009c\u0085\u008d\u0090q\u009c",
    "c0": "a\x08\x08b\rc\x07d\x0be\x0cf\x7fg\x00h\x0e\x0f\x1a",
    "bidi": "\u202egpj.exe\u202c \u2066x\u2069 \u2067y\u2069 \u2068z\u2069 \u202a\u202b\u202d",
    "marks": "\u200e\u200f\u061c",
    "seps": "line1\u2028line2\u2029line3\u0085line4",
    "invisible": "a\u200bb\u200cc\u200dd\u2060e\ufefff\u00adg\u180eh\u115fi\u3164j\u2061k\u034fl",
    "tags": "safe\U000e0001\U000e0069\U000e0067\U000e006e\U000e006f\U000e0072\U000e0065\U000e007f",
    "variation": "a\ufe0fb\ufe0e\ufe00c\U000e0100d\u180be\u200d\u2764\ufe0f",
    "combining": "Z" + "\u0301\u0316\u0337" * 700,
    "zalgo-lead": "\u0301\u0302\u0303start",
    "wide": "\u65e5\u672c\u8a9e\uff21\uff22" * 80 + "\U0001f600\U0001f468\u200d\U0001f469",
    "long": "L" * 20000,
    "long-wide": "\u4e2d" * 9000,
}
# Raw bytes that are not UTF-8 (the raw variant only).
RAW_BYTES = {
    "bad-utf8": b"\xff\xfe\xc0\x9b\xe0\x80\x9b\xed\xa0\x80\xf8\x88\x80\x80\x80\x9b2J\xc2",
    "raw-c1": b"\x9b2J\x9d0;X\x07",
}

FIELDS = ["From-name", "From-local", "To", "Cc", "Reply-To", "Sender", "Subject", "Date",
          "Message-ID", "In-Reply-To", "References", "List-Id", "List-Unsubscribe",
          "Organization", "User-Agent", "X-Mailer", "Return-Path", "Received",
          "Authentication-Results", "DKIM-Signature", "Disposition-Notification-To",
          "Keywords", "Comments", "X-Evil", "ARC-Seal", "ARC-Message-Signature",
          "ARC-Authentication-Results", "List-Post", "Resent-From", "Autocrypt"]


def b_word(t, cs="UTF-8"):
    return "=?%s?B?%s?=" % (cs, base64.b64encode(t.encode(cs, "replace")).decode())


def q_word(t):
    out = []
    for ch in t.encode("utf-8"):
        if 0x21 <= ch <= 0x7e and ch not in b"=?_ ":
            out.append(chr(ch))
        else:
            out.append("=%02X" % ch)
    return "=?UTF-8?Q?%s?=" % "".join(out)


def encodings(text):
    """(name, header value as bytes) for one payload."""
    yield "raw", text.encode("utf-8")
    # encoded words are at most 75 characters: split into several
    chunks = [text[i:i + 12] for i in range(0, min(len(text), 3000), 12)] or [""]
    yield "b", " ".join(b_word(c) for c in chunks).encode()
    yield "q", " ".join(q_word(c) for c in chunks).encode()
    latin = "".join(c if ord(c) < 256 else "?" for c in text[:2000])
    yield "latin1", " ".join(b_word(latin[i:i + 12], "ISO-8859-1")
                             for i in range(0, len(latin), 12)).encode()


def field_line(field, v):
    """A header block fragment putting value bytes v in field."""
    if field == "From-name":
        return b'From: "' + v.replace(b'"', b"'") + b'" <sender@example.net>\n'
    if field == "From-local":
        return b'From: Sender <"' + v.replace(b'"', b"'") + b'"@example.net>\n'
    if field in ("To", "Cc", "Reply-To", "Sender", "Disposition-Notification-To"):
        return field.encode() + b": " + v + b" <a@example.org>\n"
    if field in ("Message-ID", "In-Reply-To", "References"):
        return field.encode() + b": <" + v + b"@example.net>\n"
    if field == "Received":
        return (b"Received: from " + v + b" (" + v + b" [192.0.2.1])\n\tby " + v +
                b" with ESMTP id " + v + b"\n\tfor <" + v + b">; Mon, 10 Jun 2024 09:00:00 +0000\n")
    if field == "Authentication-Results":
        return (b"Authentication-Results: " + v + b"; dkim=pass header.d=" + v +
                b" reason=\"" + v.replace(b'"', b"'") + b"\"; spf=fail smtp.mailfrom=" + v + b"\n")
    if field == "ARC-Seal":
        return b"ARC-Seal: i=1; a=rsa-sha256; cv=" + v + b"; d=" + v + b"; s=" + v + b"; b=AAAA\n"
    if field == "ARC-Message-Signature":
        return (b"ARC-Message-Signature: i=1; a=rsa-sha256; d=" + v + b"; s=" + v +
                b"; h=from; bh=AAAA; b=AAAA\n")
    if field == "ARC-Authentication-Results":
        return b"ARC-Authentication-Results: i=1; " + v + b"; dkim=pass header.d=" + v + b"\n"
    if field == "List-Post":
        return b"List-Post: <mailto:" + v + b"@lists.example>\n"
    if field == "Autocrypt":
        return b"Autocrypt: addr=" + v + b"@example.net; prefer-encrypt=" + v + b"; keydata=AAAA\n"
    if field == "DKIM-Signature":
        return (b"DKIM-Signature: v=1; a=rsa-sha256; d=" + v + b"; s=" + v +
                b"; h=from:subject; bh=AAAA; b=AAAA; z=" + v + b"\n")
    return field.encode() + b": " + v + b"\n"


BASE = {
    "From": b"From: Sender <sender@example.net>\n",
    "Subject": b"Subject: plain\n",
    "Date": b"Date: Mon, 10 Jun 2024 10:00:00 +0000\n",
    "Message-ID": b"Message-ID: <base@example.net>\n",
}


def message(field, v, pname, body_text):
    head = []
    have = {"From": field.startswith("From-"), "Subject": field == "Subject",
            "Date": field == "Date", "Message-ID": field == "Message-ID"}
    for k, line in BASE.items():
        if not have[k]:
            head.append(line)
    head.append(b"To: Alex <alex@example.org>\n")
    head.append(field_line(field, v))
    head.append(b"MIME-Version: 1.0\n")
    return b"".join(head) + part_tree(pname, body_text)


def part_tree(pname, text):
    """A multipart body whose part names, descriptions, charsets and HTML
    carry the payload: filename= raw and RFC 2047, filename*= (RFC 2231),
    name= on Content-Type, Content-Description, an HTML part with the
    payload in link text, href, title, alt and img src."""
    enc = urllib.parse.quote(text.encode("utf-8")[:4000], safe="")
    raw = text.encode("utf-8")[:4000].replace(b'"', b"'").replace(b"\n", b" ")
    ent = "".join("&#x%x;" % ord(c) for c in text[:1500])
    ewords = " ".join(b_word(text[i:i + 12]) for i in range(0, min(len(text), 600), 12))
    b = b"BOUNDARY-" + pname.encode()
    html = ("<html><head><title>%s</title></head><body><p>%s</p>"
            "<a href=\"https://example.com/%s\">%s</a> <a href=\"https://%s.example/\">x</a>"
            "<img alt=\"%s\" src=\"cid:%s\"><p title=\"%s\">t</p></body></html>"
            % (ent, ent, enc, ent, enc, ent, enc, ent)).encode()
    parts = [
        b"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n" +
        b"body: " + text.encode("utf-8") + b"\nhttps://" + enc.encode() + b".example/\n",
        b"Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n" + html,
        b"Content-Type: application/octet-stream; name=\"" + raw + b"\"\n"
        b"Content-Disposition: attachment; filename=\"" + raw + b"\"\n"
        b"Content-Description: " + raw + b"\n"
        b"Content-ID: <" + raw + b">\nContent-Transfer-Encoding: base64\n\nAAECAwQ=\n",
        b"Content-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename*=UTF-8''" + enc.encode() + b"\n\nx\n",
        b"Content-Type: text/plain; charset=\"" + raw[:200] + b"\"; name=\"" + ewords.encode() + b"\"\n"
        b"Content-Disposition: attachment; filename=\"" + ewords.encode() + b"\"\n\nbody\n",
        b"Content-Type: message/rfc822\nContent-Disposition: attachment\n\n"
        b"From: \"" + raw + b"\" <inner@example.net>\nSubject: " + raw + b"\n\ninner body " +
        text.encode("utf-8") + b"\n",
    ]
    out = b"Content-Type: multipart/mixed; boundary=\"" + b + b"\"\n\n"
    for p in parts:
        out += b"--" + b + b"\n" + p + b"\n"
    return out + b"--" + b + b"--\n"


def all_fields(v, pname, text):
    """One message with the payload in every field at once (the pager's
    full header view draws them all)."""
    head = [b"To: Alex <alex@example.org>\n"]
    for field in FIELDS:
        if field != "From-local":
            head.append(field_line(field, v))
    head.append(b"MIME-Version: 1.0\n")
    return b"".join(head) + part_tree(pname, text)


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    n = 0
    for pname, text in PAYLOADS.items():
        for ename, v in encodings(text):
            with open(os.path.join(d, "All.%s.%s.eml" % (pname, ename)), "wb") as f:
                f.write(all_fields(v, pname, text))
            n += 1
    for field in FIELDS:
        for pname, text in PAYLOADS.items():
            for ename, v in encodings(text):
                body = message(field, v, pname, text)
                with open(os.path.join(d, "%s.%s.%s.eml" % (field, pname, ename)), "wb") as f:
                    f.write(body)
                n += 1
        for pname, v in RAW_BYTES.items():
            body = message(field, v, pname, "x")
            body = body.replace(b"body: x", b"body: " + v)
            with open(os.path.join(d, "%s.%s.raw.eml" % (field, pname)), "wb") as f:
                f.write(body)
            n += 1
    print(n)


if __name__ == "__main__":
    main()
