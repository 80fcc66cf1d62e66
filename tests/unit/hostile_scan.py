#!/usr/bin/python3
"""Scan what wary wrote for anything a terminal acts on.

    hostile_scan.py [--lines] FILE...

Prints one line per finding ("FILE: offset N: what") and exits 1 when
there is one.  Everywhere: invalid UTF-8, ESC, C0 controls but TAB and LF,
DEL, C1 controls (U+0080..U+009F), bidi embeddings, overrides and
isolates, U+2028/U+2029.  With --lines the output is of one-line fields
(headers, names, reports): TAB is refused too, and so are the invisible
code points design 4.3 wants shown as escapes there (zero-width ones, BOM,
tag characters, variation selectors and the other default-ignorables),
except a ZWJ after a pictograph and one variation selector after a
character it can modify.
"""
import re
import sys

ALWAYS = re.compile("[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                       "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
                       "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")


def pictograph(c):
    o = ord(c)
    return (0x1f000 <= o <= 0x1faff or 0x2600 <= o <= 0x27bf or 0x2300 <= o <= 0x23ff or
            0x2b00 <= o <= 0x2bff)


def problems(text, lines, limit=10):
    """What in text a terminal would act on; with lines also the
    invisible code points a one-line field must show as escapes."""
    found = []
    for m in ALWAYS.finditer(text):
        found.append("offset %d: U+%04X" % (m.start(), ord(m.group())))
        if len(found) >= limit:
            return found
    if not lines:
        return found
    for m in INVISIBLE.finditer(text):
        c, i = m.group(), m.start()
        prev = text[i - 1] if i > 0 else " "
        if c == "\u200d" and pictograph(prev):
            continue
        # one selector on a character it can belong to is writing
        if ("\ufe00" <= c <= "\ufe0f" and prev > " " and not INVISIBLE.match(prev) and
                not "\x7f" <= prev <= "\x9f" and prev != "\ufffd"):
            continue
        if "\U000e0100" <= c <= "\U000e01ef" and ("\u3400" <= prev <= "\u9fff" or
                                                  "\U00020000" <= prev <= "\U0003ffff"):
            continue
        found.append("offset %d: invisible U+%04X in a one-line field" % (i, ord(c)))
        if len(found) >= limit:
            break
    return found


def scan(path, lines):
    data = open(path, "rb").read()
    found = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        found.append("offset %d: invalid UTF-8 %r" % (e.start, data[e.start:e.start + 8]))
        text = data.decode("utf-8", "replace")
    found += problems(text, lines)
    for f in found:
        print("%s: %s" % (path, f))
    return not found


def main():
    args = sys.argv[1:]
    lines = False
    if args and args[0] == "--lines":
        lines = True
        args = args[1:]
    good = True
    for p in args:
        good = scan(p, lines) and good
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
