/*
 * Safe text: the single gate between message bytes and the terminal
 * (design 4.3).  It runs after all decoding (RFC 2047, charsets, HTML
 * entities), because an escape hidden in an encoded-word or written as
 * &#27; only exists once decoded.
 *
 * Controls are replaced by visible forms instead of being dropped so that
 * the user can see that the sender tried something.
 */
#include <string.h>

#include "base/base.h"

size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c;
	size_t n;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

void utf8_encode(struct buf *b, uint32_t cp)
{
	char s[4];

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		buf_addch(b, (int)cp);
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, s, 2);
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, s, 3);
	} else {
		s[0] = (char)(0xf0 | (cp >> 18));
		s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, s, 4);
	}
}

/* Bidi embeddings, overrides and isolates: they reorder what follows and
 * can make "exe.pdf" read as "fdp.exe".  Shown in every mode. */
static bool is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Bidi marks: harmless in running text, suspicious in a name. */
static bool is_bidi_mark(uint32_t cp)
{
	return cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

bool safe_is_invisible(uint32_t cp)
{
	if (is_bidi_control(cp) || is_bidi_mark(cp))
		return true;
	switch (cp) {
	case 0x00ad: /* soft hyphen */
	case 0x034f: /* combining grapheme joiner */
	case 0x115f: case 0x1160: case 0x3164: case 0xffa0: /* Hangul fillers */
	case 0x17b4: case 0x17b5:
	case 0x180e: /* Mongolian vowel separator */
	case 0xfeff: /* BOM / zero-width no-break space */
		return true;
	default:
		break;
	}
	if (cp >= 0x200b && cp <= 0x200d) /* zero-width space, ZWNJ, ZWJ */
		return true;
	if (cp >= 0x2060 && cp <= 0x2064) /* word joiner, invisible operators */
		return true;
	if (cp >= 0x206a && cp <= 0x206f) /* deprecated format characters */
		return true;
	if (cp >= 0xfff9 && cp <= 0xfffb) /* interlinear annotation */
		return true;
	if (cp >= 0x1bca0 && cp <= 0x1bca3) /* shorthand format controls */
		return true;
	if (cp >= 0xe0000 && cp <= 0xe007f) /* tag characters */
		return true;
	return false;
}

/* Emoji sequences use ZWJ and VS16 between pictographs; those are not a
 * trick and showing them as escapes would garble ordinary subjects. */
static bool is_pictograph(uint32_t cp)
{
	return (cp >= 0x1f000 && cp <= 0x1faff) || (cp >= 0x2600 && cp <= 0x27bf) ||
	       (cp >= 0x2300 && cp <= 0x23ff) || (cp >= 0x2b00 && cp <= 0x2bff);
}

static void add_escape_cp(struct buf *out, uint32_t cp)
{
	buf_addf(out, "<U+%04X>", (unsigned)cp);
}

static void add_caret(struct buf *out, unsigned c)
{
	buf_addch(out, '^');
	buf_addch(out, c == 0x7f ? '?' : (int)(c + 0x40));
}

/* Printable ASCII, and TAB and LF where they are kept. */
static inline bool is_plain(unsigned char c, bool keep_ws)
{
	return (unsigned char)(c - 0x20) < 0x5f || (keep_ws && (c == '\n' || c == '\t'));
}

/* From i, past every whole eight bytes that are all printable ASCII
 * (0x20..0x7e): a word holds none below 0x20 and none above 0x7e exactly
 * when these carry no high bit (the "hasless"/"hasmore" word tests). */
static inline size_t plain_words(const unsigned char *s, size_t i, size_t len)
{
	const uint64_t ones = 0x0101010101010101ull, highs = ones * 0x80;

	while (i + 8 <= len) {
		uint64_t x;

		memcpy(&x, s + i, 8);
		if ((((x - ones * 0x20) & ~x) | ((x + ones * (127 - 0x7e)) | x)) & highs)
			break;
		i += 8;
	}
	return i;
}

/* Variation selectors pick a glyph for the character before them and
 * draw nothing themselves; a run of them after one letter (VS1..VS256 are
 * 256 values: a byte each) carries hidden text through a name.  One after
 * a character it can belong to is ordinary (emoji presentation, CJK
 * ideographic variants, Mongolian forms); anything else is shown. */
static bool is_selector(uint32_t cp)
{
	return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef) ||
	       (cp >= 0x180b && cp <= 0x180d) || cp == 0x180f;
}

static bool selector_fits(uint32_t cp, uint32_t prev)
{
	/* not after what is shown as white space or replaced: a second pass
	 * would see that instead (U+2028/2029 become a space or a LF) */
	if (prev <= 0x20 || (prev >= 0x7f && prev < 0xa0) || is_selector(prev) ||
	    safe_is_invisible(prev) || prev == 0xfffd || prev == 0x2028 || prev == 0x2029)
		return false;
	if (cp >= 0xe0100)
		return (prev >= 0x3400 && prev <= 0x9fff) || (prev >= 0xf900 && prev <= 0xfaff) ||
		       (prev >= 0x20000 && prev <= 0x3ffff);
	if (cp < 0xfe00)
		return prev >= 0x1800 && prev <= 0x18af;
	return true;
}

/* The rest of Unicode's default-ignorable code points: drawn as nothing
 * by a terminal that knows them, so nothing a one-line field needs. */
static bool is_other_ignorable(uint32_t cp)
{
	return cp == 0x2065 || (cp >= 0xfff0 && cp <= 0xfff8) || (cp >= 0x1d173 && cp <= 0x1d17a) ||
	       (cp >= 0xe0080 && cp <= 0xe0fff && !(cp >= 0xe0100 && cp <= 0xe01ef));
}

bool safe_is_ignorable(uint32_t cp)
{
	return safe_is_invisible(cp) || is_selector(cp) || is_other_ignorable(cp);
}

/* Combining marks of the scripts whose marks stack: a few on one letter
 * is writing, hundreds is "zalgo" text that a terminal draws over the
 * lines above and below. */
static bool is_stacking_mark(uint32_t cp)
{
	return (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x483 && cp <= 0x489) ||
	       (cp >= 0x591 && cp <= 0x5c7) || (cp >= 0x610 && cp <= 0x61a) ||
	       (cp >= 0x64b && cp <= 0x65f) || (cp >= 0x6d6 && cp <= 0x6ed) ||
	       (cp >= 0x900 && cp <= 0x903) || (cp >= 0xe31 && cp <= 0xe4e) ||
	       (cp >= 0xf71 && cp <= 0xf84) || (cp >= 0xf90 && cp <= 0xfbc) ||
	       (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
	       (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe20 && cp <= 0xfe2f);
}

/* More marks in a row than any script puts on one letter. */
#define SAFE_MAX_MARKS 8

/* Does this valid code point (not ASCII) go out as it came in? */
static bool passes_unchanged(uint32_t cp, enum safe_mode mode, uint32_t prev)
{
	if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029 || is_bidi_control(cp))
		return false;
	if (mode == SAFE_BODY)
		return true;
	if (safe_is_invisible(cp))
		return cp == 0x200d && is_pictograph(prev);
	if (is_selector(cp))
		return selector_fits(cp, prev);
	return !is_other_ignorable(cp);
}

void safe_text(struct buf *out, const char *in, size_t len, enum safe_mode mode)
{
	const unsigned char *s = (const unsigned char *)in;
	const bool keep_ws = mode != SAFE_LINE; /* TAB and LF stay as they are */
	size_t i = 0, run = 0;
	uint32_t prev = 0;
	unsigned marks = 0; /* stacking marks just before i */

	if (out->data == NULL)
		buf_init(out);
	buf_grow(out, len);
	while (i < len) {
		uint32_t cp;
		size_t n;

		/* Fast path: what passes unchanged is only scanned here and
		 * copied in one go when something needs replacing. */
		if (is_plain(s[i], keep_ws)) {
			size_t k = i + 1;

			for (;;) {
				k = plain_words(s, k, len);
				if (k >= len || !is_plain(s[k], keep_ws))
					break;
				k++;
			}
			prev = s[k - 1];
			i = k;
			marks = 0;
			continue;
		}
		n = s[i] >= 0x80 ? utf8_decode(s + i, len - i, &cp) : 0;
		if (n > 0 && is_stacking_mark(cp)) {
			if (++marks > SAFE_MAX_MARKS) {
				/* the rest of the run becomes one visible count */
				size_t j = i, count = 0, m;
				uint32_t c2;

				while (j < len && (m = utf8_decode(s + j, len - j, &c2)) > 0 &&
				       is_stacking_mark(c2)) {
					j += m;
					count++;
				}
				buf_add(out, s + run, i - run);
				buf_addf(out, "<+%zu marks>", count);
				i = run = j;
				prev = cp;
				continue;
			}
		} else {
			marks = 0;
		}
		if (n > 0 && passes_unchanged(cp, mode, prev)) {
			i += n;
			prev = cp;
			continue;
		}
		buf_add(out, s + run, i - run);
		if (s[i] >= 0x80 && n == 0) {
			if (mode == SAFE_RAW)
				buf_addf(out, "\\x%02x", s[i]);
			else
				utf8_encode(out, 0xfffd);
			i++;
			prev = 0xfffd;
			run = i;
			continue;
		}
		if (n == 0) {
			cp = s[i]; /* an ASCII control */
			n = 1;
		}
		i += n;
		if (cp < 0x20 || cp == 0x7f) {
			if (cp == '\n') {
				buf_addch(out, mode == SAFE_LINE ? ' ' : '\n');
			} else if (cp == '\t') {
				buf_addch(out, mode == SAFE_LINE ? ' ' : '\t');
			} else if (cp == '\r') {
				if (i < len && s[i] == '\n') {
					/* CRLF: the LF that follows does the work. */
				} else if (mode == SAFE_LINE) {
					buf_addch(out, ' ');
				} else {
					add_caret(out, cp);
				}
			} else {
				add_caret(out, cp);
			}
		} else if (cp >= 0x80 && cp <= 0x9f) {
			add_escape_cp(out, cp);
		} else if (cp == 0x2028 || cp == 0x2029) {
			/* Unicode line/paragraph separators: some terminals move
			 * the cursor on them. */
			buf_addch(out, mode == SAFE_LINE ? ' ' : '\n');
		} else {
			/* a bidi control, or an invisible one outside a body */
			add_escape_cp(out, cp);
		}
		prev = cp;
		run = i;
	}
	buf_add(out, s + run, i - run);
}

char *safe_str(const char *in, enum safe_mode mode)
{
	struct buf b;

	buf_init(&b);
	if (in != NULL)
		safe_text(&b, in, strlen(in), mode);
	return buf_detach(&b, NULL);
}

bool safe_is_clean(const char *s, size_t len)
{
	struct buf b;
	bool same;

	buf_init(&b);
	safe_text(&b, s, len, SAFE_LINE);
	same = b.len == len && memcmp(b.data, s, len) == 0;
	buf_release(&b);
	return same;
}
