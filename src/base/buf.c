/* Growable buffers and the allocation wrappers everything else uses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* An empty buffer points here so data is never NULL and always terminated. */
static char buf_empty[1];

int err_set(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		size_t i;

		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		/* Errors quote servers, file names and message bytes and are
		 * printed and drawn everywhere: made safe here, once, so no
		 * caller can print a server's escape sequence (design 4.3). */
		for (i = 0; err[i] != '\0' && (unsigned char)(err[i] - 0x20) < 0x5f; i++)
			;
		if (err[i] != '\0') {
			struct buf b = BUF_INIT;
			size_t n;

			safe_text(&b, err, strlen(err), SAFE_LINE);
			n = b.len < errlen ? b.len : errlen - 1;
			while (n > 0 && n < b.len && ((unsigned char)b.data[n] & 0xc0) == 0x80)
				n--; /* not inside a UTF-8 sequence */
			memcpy(err, b.data, n);
			err[n] = '\0';
			buf_release(&b);
		}
	}
	return code;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		abort();
	return q;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		abort();
	return xrealloc(p, nmemb * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrdup_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b, NULL);
}

void buf_init(struct buf *b)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t want;

	if (b->data == NULL)
		buf_init(b);
	if (extra > SIZE_MAX - b->len - 1)
		abort();
	want = b->len + extra + 1;
	if (want <= b->cap)
		return;
	if (b->cap == 0) {
		size_t cap = want < 64 ? 64 : want;
		char *p = xmalloc(cap);

		memcpy(p, b->data, b->len + 1);
		b->data = p;
		b->cap = cap;
		return;
	}
	while (b->cap < want)
		b->cap = b->cap < SIZE_MAX / 2 ? b->cap * 2 : want;
	b->data = xrealloc(b->data, b->cap);
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	if (len == 0) {
		if (b->data == NULL)
			buf_init(b);
		return;
	}
	if (b->cap == 0 || len > b->cap - b->len - 1)
		buf_grow(b, len);
	memmove(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, int c)
{
	/* Called once per byte in many loops: room for the byte and the
	 * terminator is the common case and needs no call. */
	if (b->cap == 0 || b->len + 2 > b->cap)
		buf_grow(b, 1);
	b->data[b->len++] = (char)c;
	b->data[b->len] = '\0';
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		if (n < 0) {
			b->data[b->len] = '\0';
			return;
		}
	}
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (b->data == NULL)
		buf_init(b);
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

void buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (b->data == NULL)
		buf_init(b);
	if (len != NULL)
		*len = b->len;
	p = b->cap ? b->data : xstrdup("");
	buf_init(b);
	return p;
}

void buf_release(struct buf *b)
{
	if (b->data != NULL && b->cap != 0)
		free(b->data);
	buf_init(b);
}

void buf_add_json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	if (s == NULL) {
		buf_adds(b, "null");
		return;
	}
	buf_addch(b, '"');
	for (; *p; p++) {
		switch (*p) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				buf_adds(b, "\\u00");
				buf_addch(b, hex[*p >> 4]);
				buf_addch(b, hex[*p & 15]);
			} else {
				buf_addch(b, *p);
			}
		}
	}
	buf_addch(b, '"');
}

void buf_add_json_flags(struct buf *b, unsigned flags, const char *(*name)(unsigned))
{
	bool first = true;

	buf_addch(b, '[');
	for (unsigned bit = 0; bit < 32; bit++) {
		const char *n = (flags & (1u << bit)) ? name(1u << bit) : NULL;

		if (n == NULL)
			continue;
		if (!first)
			buf_addch(b, ',');
		buf_add_json_str(b, n);
		first = false;
	}
	buf_addch(b, ']');
}
