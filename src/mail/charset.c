/* Charsets to UTF-8.  The common charsets of mail have their own fast
 * paths; the rest go through iconv, with a name that was checked first so
 * that nothing odd (a path, "//TRANSLIT", 300 bytes) reaches iconv_open. */
#include "mail/mail_int.h"

#include <errno.h>
#include <iconv.h>

#define CHARSET_NAME_MAX 40

/* 0x80..0x9f of windows-1252; 0 where the code page has a hole. */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

static void add_cp1252(struct buf *out, unsigned char c)
{
	uint32_t cp = c;

	if (c >= 0x80 && c <= 0x9f)
		cp = cp1252_high[c - 0x80] ? cp1252_high[c - 0x80] : 0xfffd;
	utf8_encode(out, cp);
}

enum cs_kind { CS_FALLBACK, CS_UTF8, CS_CP1252, CS_UTF7, CS_ICONV, CS_BAD };

static bool name_is(const char *a, const char *b)
{
	return str_casecmp(a, b) == 0;
}

/* Map the names seen in mail to what glibc's iconv calls them.  Labels
 * that mean Latin-1 are decoded as windows-1252 (as browsers do): mail
 * labelled ISO-8859-1 routinely carries 0x80-0x9f punctuation, and C1
 * controls have no business in text anyway. */
static enum cs_kind classify(const char *cs, char *iname, size_t inamelen)
{
	size_t i, n;

	if (cs == NULL || *cs == '\0')
		return CS_FALLBACK;
	n = strlen(cs);
	if (n > CHARSET_NAME_MAX)
		return CS_BAD;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)cs[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':' || c == '+'))
			return CS_BAD;
	}
	if (name_is(cs, "us-ascii") || name_is(cs, "ascii") || name_is(cs, "ansi_x3.4-1968") ||
	    name_is(cs, "x-unknown") || name_is(cs, "unknown-8bit") || name_is(cs, "default"))
		return CS_FALLBACK;
	if (name_is(cs, "utf-8") || name_is(cs, "utf8"))
		return CS_UTF8;
	if (name_is(cs, "iso-8859-1") || name_is(cs, "iso8859-1") || name_is(cs, "latin1") ||
	    name_is(cs, "iso_8859-1") || name_is(cs, "l1") || name_is(cs, "windows-1252") ||
	    name_is(cs, "cp1252") || name_is(cs, "x-cp1252"))
		return CS_CP1252;
	if (name_is(cs, "utf-7") || name_is(cs, "unicode-1-1-utf-7") || name_is(cs, "utf7"))
		return CS_UTF7;
	if (name_is(cs, "gb2312") || name_is(cs, "x-gbk") || name_is(cs, "euc-cn") ||
	    name_is(cs, "cp936"))
		cs = "GBK";
	else if (name_is(cs, "ks_c_5601-1987") || name_is(cs, "ks_c_5601") || name_is(cs, "euc-kr"))
		cs = "CP949";
	else if (name_is(cs, "iso-8859-8-i"))
		cs = "ISO-8859-8";
	else if (name_is(cs, "x-sjis") || name_is(cs, "sjis") || name_is(cs, "shift-jis"))
		cs = "SHIFT_JIS";
	else if (name_is(cs, "big5-hkscs"))
		cs = "BIG5-HKSCS";
	str_copy(iname, cs, inamelen);
	return CS_ICONV;
}

/* The end of the run of ASCII bytes at s[i], eight bytes at a time: most
 * mail text is ASCII, and this loop sees every byte of it. */
static size_t ascii_end(const unsigned char *s, size_t i, size_t len)
{
	while (len - i >= 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			break;
		i += 8;
	}
	while (i < len && s[i] < 0x80)
		i++;
	return i;
}

/* Unknown or absent charset: UTF-8 where it is valid, windows-1252 for
 * each byte where it is not.  Valid text is copied in runs as long as
 * they go; only a byte that is not UTF-8 stops one. */
static void from_fallback(const char *in, size_t len, struct buf *out, bool strict_utf8)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, start = 0;

	buf_grow(out, len + len / 4 + 1);
	while (i < len) {
		size_t n;
		uint32_t cp;

		i = ascii_end(s, i, len);
		if (i >= len)
			break;
		n = utf8_decode(s + i, len - i, &cp);
		if (n > 0) {
			i += n;
			continue;
		}
		buf_add(out, s + start, i - start);
		if (strict_utf8)
			utf8_encode(out, 0xfffd);
		else
			add_cp1252(out, s[i]);
		start = ++i;
	}
	buf_add(out, s + start, len - start);
}

static void from_cp1252(const char *in, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;

	buf_grow(out, len + len / 4 + 1);
	while (i < len) {
		size_t start = i;

		i = ascii_end(s, i, len);
		if (i > start)
			buf_add(out, s + start, i - start);
		if (i < len)
			add_cp1252(out, s[i++]);
	}
}

/* UTF-7 can spell ESC, BEL and friends without one such byte on the wire,
 * so whatever it decodes to loses its controls here, before anyone else
 * has to remember that. */
static void scrub_controls(struct buf *out, size_t from)
{
	struct buf clean;
	size_t i = from;
	const unsigned char *s = (const unsigned char *)out->data;

	buf_init(&clean);
	while (i < out->len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, out->len - i, &cp);

		if (n == 0) {
			utf8_encode(&clean, 0xfffd);
			i++;
			continue;
		}
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0))
			utf8_encode(&clean, 0xfffd);
		else
			buf_add(&clean, s + i, n);
		i += n;
	}
	buf_truncate(out, from);
	buf_add(out, clean.data, clean.len);
	buf_release(&clean);
}

static bool from_iconv(const char *name, const char *in, size_t len, struct buf *out)
{
	iconv_t cd = iconv_open("UTF-8", name);
	char *ip = (char *)in;
	size_t il = len;

	if (cd == (iconv_t)-1)
		return false;
	buf_grow(out, len * 2 + 16);
	for (;;) {
		char *op = out->data + out->len;
		size_t room = out->cap - out->len - 1, ol = room;
		size_t r = iconv(cd, il > 0 ? &ip : NULL, il > 0 ? &il : NULL, &op, &ol);
		int e = errno;

		out->len += room - ol;
		out->data[out->len] = '\0';
		if (r != (size_t)-1) {
			if (il == 0)
				break;
			continue;
		}
		if (e == E2BIG) {
			buf_grow(out, il * 2 + 64);
		} else if (e == EILSEQ) {
			utf8_encode(out, 0xfffd);
			ip++;
			il--;
		} else { /* EINVAL: a sequence cut off at the end */
			utf8_encode(out, 0xfffd);
			il = 0;
		}
	}
	iconv_close(cd);
	return true;
}

bool mail_charset_known(const char *charset)
{
	char iname[CHARSET_NAME_MAX + 1];
	iconv_t cd;

	switch (classify(charset, iname, sizeof(iname))) {
	case CS_BAD:
		return false;
	case CS_ICONV:
		cd = iconv_open("UTF-8", iname);
		if (cd == (iconv_t)-1)
			return false;
		iconv_close(cd);
		return true;
	default:
		return true;
	}
}

bool mail_charset_convert(const char *charset, const char *in, size_t len, struct buf *out)
{
	char iname[CHARSET_NAME_MAX + 1];
	size_t start = out->len;

	switch (classify(charset, iname, sizeof(iname))) {
	case CS_FALLBACK:
		from_fallback(in, len, out, false);
		return true;
	case CS_UTF8:
		from_fallback(in, len, out, true);
		return true;
	case CS_CP1252:
		from_cp1252(in, len, out);
		return true;
	case CS_UTF7:
		if (!from_iconv("UTF-7", in, len, out)) {
			from_fallback(in, len, out, false);
			return false;
		}
		scrub_controls(out, start);
		return true;
	case CS_ICONV:
		if (from_iconv(iname, in, len, out))
			return true;
		break;
	case CS_BAD:
		break;
	}
	buf_truncate(out, start);
	from_fallback(in, len, out, false);
	return false;
}

char *mail_to_utf8(const char *charset, const char *in, size_t len, size_t *outlen)
{
	struct buf b;

	buf_init(&b);
	(void)mail_charset_convert(charset, in, len, &b);
	return buf_detach(&b, outlen);
}
