/* Transfer encodings and format=flowed.  All of them stream over the input
 * once and accept any bytes: broken encodings decode as far as they make
 * sense, never read past the end, and never need a line-length limit. */
#include "mail/mail_int.h"

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The output is never longer than the input ("=41" is one byte, CRLF
 * one LF), so room for all of it is made once and bytes are written
 * straight into the buffer; runs of plain bytes are copied whole. */
void mail_qp_decode(struct buf *out, const char *in, size_t len, bool header_mode)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
	char *o;

	buf_grow(out, len);
	o = out->data + out->len;
	while (i < len) {
		unsigned char c = s[i];

		if (c == '=') {
			size_t j = i + 1;
			int h, l;

			if (j + 1 < len && (h = hexval(s[j])) >= 0 && (l = hexval(s[j + 1])) >= 0) {
				*o++ = (char)(h * 16 + l);
				i += 3;
				continue;
			}
			/* "=" then only padding up to the line end is a soft break. */
			while (j < len && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j < len && s[j] == '\r' && j + 1 < len && s[j + 1] == '\n') {
				i = j + 2;
				continue;
			}
			if (j < len && s[j] == '\n') {
				i = j + 1;
				continue;
			}
			if (j >= len) {
				i = len;
				continue;
			}
			*o++ = '=';
			i++;
			continue;
		}
		if (c == ' ' || c == '\t') {
			/* Trailing white space on a line is transport padding. */
			size_t j = i;
			while (j < len && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (!header_mode && (j >= len || s[j] == '\n' ||
			                     (s[j] == '\r' && j + 1 < len && s[j + 1] == '\n'))) {
				i = j;
				continue;
			}
			memcpy(o, s + i, j - i);
			o += j - i;
			i = j;
			continue;
		}
		if (c == '\r' && i + 1 < len && s[i + 1] == '\n') {
			*o++ = '\n';
			i += 2;
			continue;
		}
		if (c == '_' && header_mode) {
			*o++ = ' ';
			i++;
			continue;
		}
		{
			/* a run of bytes that stand for themselves */
			size_t j = i + 1;

			while (j < len && s[j] != '=' && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' &&
			       !(header_mode && s[j] == '_'))
				j++;
			memcpy(o, s + i, j - i);
			o += j - i;
			i = j;
		}
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
}

static const signed char b64_table[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
	['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
	['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
	['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

/* Characters outside the alphabet are skipped; '=' ends a quantum, so
 * padding in the middle (concatenated encodings) decodes on. */
bool mail_base64_decode(struct buf *out, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	uint32_t acc = 0;
	int bits = 0;
	bool clean = true;
	size_t i;
	char *o;

	/* Four characters make at most three bytes: room is made once. */
	buf_grow(out, len / 4 * 3 + 3);
	o = out->data + out->len;
	for (i = 0; i < len; i++) {
		int v = b64_table[s[i]];

		if (v == 0) {
			if (s[i] == '=') {
				acc = 0;
				bits = 0;
			} else if (s[i] != '\r' && s[i] != '\n' && s[i] != ' ' && s[i] != '\t') {
				clean = false;
			}
			continue;
		}
		acc = (acc << 6) | (uint32_t)(v - 1);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((acc >> bits) & 0xff);
			acc &= (1u << bits) - 1;
		}
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	if (bits >= 6)
		clean = false; /* a lone sextet cannot make a byte */
	return clean;
}

static size_t quote_depth(const char *s, size_t len)
{
	size_t d = 0;

	while (d < len && s[d] == '>')
		d++;
	return d;
}

void mail_flowed_decode(struct buf *out, const char *text, size_t len, bool delsp)
{
	size_t pos = 0;
	bool in_para = false;
	size_t para_depth = 0;

	buf_grow(out, len);
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		size_t depth, start;
		const char *body;
		size_t blen;
		bool flowed, sig;

		pos += ll + (nl ? 1 : 0);
		while (ll > 0 && line[ll - 1] == '\r')
			ll--;
		depth = quote_depth(line, ll);
		start = depth;
		if (start < ll && line[start] == ' ')
			start++; /* space-stuffing */
		body = line + start;
		blen = ll - start;
		sig = blen == 3 && memcmp(body, "-- ", 3) == 0;
		flowed = !sig && blen > 0 && body[blen - 1] == ' ';

		if (in_para && depth != para_depth) {
			/* a quote-depth change ends a paragraph (RFC 3676 4.5) */
			buf_addch(out, '\n');
			in_para = false;
		}
		if (!in_para) {
			size_t k;
			for (k = 0; k < depth; k++)
				buf_addch(out, '>');
			if (depth > 0)
				buf_addch(out, ' ');
		}
		if (flowed && delsp)
			blen--;
		buf_add(out, body, blen);
		if (flowed) {
			in_para = true;
			para_depth = depth;
		} else {
			buf_addch(out, '\n');
			in_para = false;
		}
	}
	if (in_para)
		buf_addch(out, '\n');
}
