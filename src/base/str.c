/* Small string helpers; ASCII-only case rules, because protocol tokens
 * (header names, charsets, flags) are ASCII and the locale must not matter. */
#include <string.h>

#include "base/base.h"

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

size_t str_copy(char *dst, const char *src, size_t dstsize)
{
	size_t len = strlen(src);

	if (dstsize > 0) {
		size_t n = len < dstsize - 1 ? len : dstsize - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int str_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = ascii_lower((unsigned char)*a), cb = ascii_lower((unsigned char)*b);

		if (ca != cb || ca == 0)
			return ca - cb;
	}
}

int str_ncasecmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; a++, b++, n--) {
		int ca = ascii_lower((unsigned char)*a), cb = ascii_lower((unsigned char)*b);

		if (ca != cb || ca == 0)
			return ca - cb;
	}
	return 0;
}

bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_istarts_with(const char *s, const char *prefix)
{
	return str_ncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char *str_trim(char *s)
{
	size_t len, start = 0;

	while (is_space((unsigned char)s[start]))
		start++;
	len = strlen(s + start);
	memmove(s, s + start, len + 1);
	while (len > 0 && is_space((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

char *str_lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)ascii_lower((unsigned char)*p);
	return s;
}

/* Renderers call this over whole message bodies, so candidates are found
 * by the first byte alone (memchr when it has no case) before comparing. */
/* Eight bytes a step: ids and keys differ mostly at their ends, and
 * every byte reaches the result through the multiplies and the folds. */
uint64_t str_hash64(const void *p, size_t n, uint64_t seed)
{
	const char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n ^ seed, w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 32;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

const char *str_memcasemem(const char *h, size_t hlen, const char *needle)
{
	size_t nlen = strlen(needle), last;
	int first;

	if (nlen == 0)
		return h;
	if (hlen < nlen)
		return NULL;
	last = hlen - nlen; /* the last offset where the needle fits */
	first = ascii_lower((unsigned char)needle[0]);
	if (first >= 'a' && first <= 'z') {
		for (size_t i = 0; i <= last; i++)
			if (((unsigned char)h[i] | 0x20) == first &&
			    str_ncasecmp(h + i + 1, needle + 1, nlen - 1) == 0)
				return h + i;
		return NULL;
	}
	for (const char *p = h; (p = memchr(p, first, last - (size_t)(p - h) + 1)) != NULL; p++) {
		if (str_ncasecmp(p + 1, needle + 1, nlen - 1) == 0)
			return p;
		if (p == h + last)
			break;
	}
	return NULL;
}

int64_t time_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	/* H. Hinnant's algorithm: March-based years, 400-year eras. */
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
