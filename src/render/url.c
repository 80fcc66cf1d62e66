/*
 * URLs as a browser reads them, without ever loading one: references
 * resolved against <base>, IPv4 hosts in every spelling a browser accepts
 * (WHATWG URL: decimal, hex, octal, fewer than four parts), IDN hosts in
 * both forms and the scripts they mix (libidn2, libunistring).
 */
#include <idn2.h>
#include <unictype.h>

#include "render/render_int.h"

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t render_url_scheme(const char *u, size_t len)
{
	size_t i = 0;

	if (len == 0 || !is_alpha(u[0]))
		return 0;
	while (i < len && (is_alpha(u[i]) || (u[i] >= '0' && u[i] <= '9') || u[i] == '+' ||
	                   u[i] == '-' || u[i] == '.'))
		i++;
	return i < len && u[i] == ':' ? i : 0;
}

static bool scheme_is(const char *u, size_t n, const char *s)
{
	return strlen(s) == n && str_ncasecmp(u, s, n) == 0;
}

static bool special_scheme(const char *u, size_t n)
{
	return scheme_is(u, n, "http") || scheme_is(u, n, "https") || scheme_is(u, n, "ftp") ||
	       scheme_is(u, n, "ws") || scheme_is(u, n, "wss") || scheme_is(u, n, "file");
}

/* Leading and trailing C0/space stripped, tab and newline removed inside,
 * as the URL parser does before anything else. */
static char *url_clean(const char *u, size_t len)
{
	char *o = xmalloc(len + 1), *p = o;
	size_t first = len;
	const char *c;

	while (len > 0 && (unsigned char)*u <= ' ') {
		u++;
		len--;
	}
	while (len > 0 && (unsigned char)u[len - 1] <= ' ')
		len--;
	/* Most URLs have no TAB, LF or CR: copied in one go up to the first. */
	for (const char *drop = "\t\n\r"; *drop; drop++)
		if ((c = memchr(u, *drop, first < len ? first : len)) != NULL)
			first = (size_t)(c - u);
	if (first > len)
		first = len;
	memcpy(p, u, first);
	p += first;
	for (size_t i = first; i < len; i++)
		if (u[i] != '\t' && u[i] != '\n' && u[i] != '\r')
			*p++ = u[i];
	*p = '\0';
	return o;
}

/* Remove dot segments (RFC 3986 5.2.4) from a path, in place. */
static void remove_dots(struct buf *path)
{
	struct buf out = BUF_INIT;
	const char *in = path->data;
	size_t n = path->len, i = 0;

	buf_init(&out);
	while (i < n) {
		if (n - i >= 3 && memcmp(in + i, "../", 3) == 0) {
			i += 3;
		} else if (n - i >= 2 && memcmp(in + i, "./", 2) == 0) {
			i += 2;
		} else if (n - i >= 3 && memcmp(in + i, "/./", 3) == 0) {
			i += 2;
		} else if (n - i == 2 && memcmp(in + i, "/.", 2) == 0) {
			i += 1;
			buf_truncate(path, i + 1);
			path->data[i] = '/';
			n = i + 1;
		} else if ((n - i >= 4 && memcmp(in + i, "/../", 4) == 0) ||
		           (n - i == 3 && memcmp(in + i, "/..", 3) == 0)) {
			char *slash;

			if (n - i == 3) {
				i += 2;
				path->data[i] = '/';
			} else {
				i += 3;
			}
			slash = out.len ? memrchr(out.data, '/', out.len) : NULL;
			buf_truncate(&out, slash ? (size_t)(slash - out.data) : 0);
		} else if ((n - i == 1 && in[i] == '.') || (n - i == 2 && memcmp(in + i, "..", 2) == 0)) {
			i = n;
		} else {
			size_t e = i + (in[i] == '/' ? 1 : 0);

			while (e < n && in[e] != '/')
				e++;
			buf_add(&out, in + i, e - i);
			i = e;
		}
	}
	buf_reset(path);
	buf_add(path, out.data, out.len);
	buf_release(&out);
}

char *render_url_resolve(const char *base, const char *ref, size_t rlen)
{
	char *r = url_clean(ref, rlen), *b = NULL, *res = NULL;
	size_t rs = render_url_scheme(r, strlen(r)), bs, auth_end, path_start;
	struct buf o = BUF_INIT, path = BUF_INIT;
	const char *q;

	if (rs > 0) {
		/* http:foo with the base's scheme is relative in a browser; a
		 * different scheme is absolute. */
		if (base == NULL || !special_scheme(r, rs) || r[rs + 1] == '/' || r[rs + 1] == '\\' ||
		    str_ncasecmp(base, r, rs) != 0 || base[rs] != ':')
			return r;
		memmove(r, r + rs + 1, strlen(r + rs + 1) + 1);
	}
	if (base == NULL)
		return r;
	b = url_clean(base, strlen(base));
	bs = render_url_scheme(b, strlen(b));
	if (bs == 0 || b[bs + 1] != '/' || b[bs + 2] != '/') {
		/* base without an authority (about:, cid:): nothing to join */
		free(b);
		return r;
	}
	for (char *p = r; *p && special_scheme(b, bs); p++)
		if (*p == '\\')
			*p = '/';
	buf_init(&o);
	buf_init(&path);
	auth_end = bs + 3;
	while (b[auth_end] && b[auth_end] != '/' && b[auth_end] != '?' && b[auth_end] != '#')
		auth_end++;
	if (r[0] == '/' && r[1] == '/') {
		buf_add(&o, b, bs + 1);
		buf_adds(&o, r);
		goto done;
	}
	buf_add(&o, b, auth_end);
	path_start = auth_end;
	if (r[0] == '/') {
		q = r;
		buf_adds(&path, r);
	} else if (r[0] == '?' || r[0] == '#' || r[0] == '\0') {
		size_t e = path_start;

		while (b[e] && b[e] != (r[0] == '#' ? '#' : '?') && b[e] != '#')
			e++;
		buf_add(&o, b + path_start, e - path_start);
		buf_adds(&o, r);
		goto done;
	} else {
		size_t e = path_start, last = path_start;

		while (b[e] && b[e] != '?' && b[e] != '#') {
			if (b[e] == '/')
				last = e + 1;
			e++;
		}
		if (last == path_start)
			buf_addch(&path, '/');
		else
			buf_add(&path, b + path_start, last - path_start);
		buf_adds(&path, r);
		q = NULL;
	}
	(void)q;
	{
		/* dots only in the path, not in the query or fragment */
		char *qm = strpbrk(path.data, "?#");
		char *tail = qm ? xstrdup(qm) : xstrdup("");

		if (qm)
			buf_truncate(&path, (size_t)(qm - path.data));
		remove_dots(&path);
		if (path.len == 0 || path.data[0] != '/')
			buf_addch(&o, '/');
		buf_add(&o, path.data, path.len);
		buf_adds(&o, tail);
		free(tail);
	}
done:
	res = buf_detach(&o, NULL);
	buf_release(&path);
	free(b);
	free(r);
	return res;
}

/* One part of a WHATWG IPv4 host: 0x.. hex, 0.. octal, else decimal. */
static bool ipv4_part(const char *s, size_t n, unsigned long long *v)
{
	int base = 10;

	*v = 0;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
	} else if (n >= 2 && s[0] == '0') {
		base = 8;
		s++;
		n--;
	}
	if (n == 0)
		return base != 10; /* "0x" is 0 */
	for (size_t i = 0; i < n; i++) {
		int d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return false;
		if (d >= base)
			return false;
		*v = *v * (unsigned)base + (unsigned)d;
		if (*v > 0xffffffffull)
			*v = 0x100000000ull; /* too big, kept too big */
	}
	return true;
}

bool render_host_ipv4(const char *host, char out[16])
{
	unsigned long long parts[4], ip = 0;
	size_t n = 0, len = strlen(host);
	const char *p = host;

	if (len == 0)
		return false;
	if (host[len - 1] == '.')
		len--;
	while (p < host + len) {
		const char *dot = memchr(p, '.', (size_t)(host + len - p));
		size_t pl = dot ? (size_t)(dot - p) : (size_t)(host + len - p);

		if (n == 4 || pl == 0 || !ipv4_part(p, pl, &parts[n]))
			return false;
		n++;
		p += pl + (dot ? 1 : 0);
		if (dot && p == host + len)
			return false;
	}
	if (n == 0)
		return false;
	for (size_t i = 0; i + 1 < n; i++) {
		if (parts[i] > 255)
			return false;
		ip = ip * 256 + parts[i];
	}
	if (parts[n - 1] >= (1ull << (8 * (5 - n))))
		return false;
	ip = (ip << (8 * (5 - n))) + parts[n - 1];
	snprintf(out, 16, "%u.%u.%u.%u", (unsigned)(ip >> 24) & 255, (unsigned)(ip >> 16) & 255,
	         (unsigned)(ip >> 8) & 255, (unsigned)ip & 255);
	return true;
}

char *render_host_ascii(const char *host)
{
	char *a = NULL, quad[16];
	bool plain = true;

	for (const char *p = host; *p; p++)
		if ((unsigned char)*p >= 0x80)
			plain = false;
	if (render_host_ipv4(host, quad))
		return xstrdup(quad);
	if (plain)
		return str_lower(xstrdup(host));
	if (idn2_to_ascii_8z(host, &a, IDN2_NONTRANSITIONAL) != IDN2_OK &&
	    idn2_to_ascii_8z(host, &a, IDN2_TRANSITIONAL) != IDN2_OK) {
		return str_lower(xstrdup(host));
	}
	{
		char *r = str_lower(xstrdup(a));

		idn2_free(a);
		return r;
	}
}

/* Scripts that mix in ordinary names: Japanese writes Han, Hiragana,
 * Katakana and Latin together, Korean Hangul and Han, Chinese Bopomofo. */
static bool cjk_script(const char *name)
{
	return strcmp(name, "Han") == 0 || strcmp(name, "Hiragana") == 0 ||
	       strcmp(name, "Katakana") == 0 || strcmp(name, "Hangul") == 0 ||
	       strcmp(name, "Bopomofo") == 0;
}

/* Cyrillic and Greek letters drawn like Latin ones. */
static bool lookalike_cp(uint32_t cp)
{
	static const uint32_t v[] = {
		0x0430, 0x0435, 0x043e, 0x0440, 0x0441, 0x0443, 0x0445, 0x0455, 0x0456, 0x0458,
		0x04bb, 0x04cf, 0x0501, 0x051b, 0x051d, 0x0410, 0x0412, 0x0415, 0x041a, 0x041c,
		0x041d, 0x041e, 0x0420, 0x0421, 0x0422, 0x0425, 0x03bf, 0x03b1, 0x03bd, 0x03c1,
		0x03b9, 0x03ba, 0x03c5, 0x0391, 0x0392, 0x0395, 0x0396, 0x0397, 0x0399, 0x039a,
		0x039c, 0x039d, 0x039f, 0x03a1, 0x03a4, 0x03a5, 0x03a7,
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i] == cp)
			return true;
	return false;
}

/* A label of non-ASCII letters that all look Latin. */
static bool latin_lookalike(const char *u)
{
	size_t len = strlen(u), i = 0;
	bool label_ok = true, any_nonascii = false;

	while (i <= len) {
		uint32_t cp = '.';
		size_t n = i < len ? utf8_decode((const unsigned char *)u + i, len - i, &cp) : 1;

		if (n == 0)
			n = 1;
		if (cp == '.') {
			if (label_ok && any_nonascii)
				return true;
			label_ok = true;
			any_nonascii = false;
		} else if (cp >= 0x80) {
			any_nonascii = true;
			if (!lookalike_cp(cp))
				label_ok = false;
		} else if (!(cp == '-' || (cp >= '0' && cp <= '9'))) {
			label_ok = false; /* ASCII letters mixed in: the per-label check */
		}
		i += n;
	}
	return false;
}

unsigned render_host_idn(const char *host, struct buf *detail)
{
	char *uni = NULL, *ascii = NULL;
	bool idn = false, any_ace = false;
	unsigned flags = 0;
	const char *scripts[8];
	size_t nscripts = 0;
	bool mixed = false;

	for (const char *p = host; *p; p++)
		if ((unsigned char)*p >= 0x80)
			idn = true;
	for (const char *p = host; *p; p = strchr(p, '.') ? strchr(p, '.') + 1 : p + strlen(p))
		if (str_ncasecmp(p, "xn--", 4) == 0)
			any_ace = idn = true;
	if (!idn)
		return 0;
	flags |= RENDER_LINK_PUNYCODE;
	ascii = render_host_ascii(host);
	if (any_ace) {
		if (idn2_to_unicode_8z8z(host, &uni, 0) != IDN2_OK)
			uni = NULL;
	} else {
		uni = xstrdup(host);
	}
	{
		const char *u = uni ? uni : host;
		size_t len = strlen(u), i = 0;
		const char *label_scripts[8];
		size_t nl = 0;

		/* per label: two scripts in one label is the trick */
		while (i <= len) {
			uint32_t cp = '.';
			size_t n = i < len ? utf8_decode((const unsigned char *)u + i, len - i, &cp) : 1;

			if (n == 0)
				n = 1;
			if (cp == '.' || i == len) {
				size_t distinct = 0, cjk_n = 0;
				bool latin = false;

				for (size_t k = 0; k < nl; k++) {
					distinct++;
					if (cjk_script(label_scripts[k]))
						cjk_n++;
					if (strcmp(label_scripts[k], "Latin") == 0)
						latin = true;
				}
				if (distinct > 1 && !(cjk_n + (latin ? 1 : 0) == distinct && cjk_n > 0))
					mixed = true;
				nl = 0;
				i += n;
				continue;
			}
			{
				const uc_script_t *s = uc_script(cp);

				if (s != NULL && strcmp(s->name, "Common") != 0 && strcmp(s->name, "Inherited") != 0) {
					bool seen = false;

					for (size_t k = 0; k < nl; k++)
						if (strcmp(label_scripts[k], s->name) == 0)
							seen = true;
					if (!seen && nl < ARRAY_SIZE(label_scripts))
						label_scripts[nl++] = s->name;
					seen = false;
					for (size_t k = 0; k < nscripts; k++)
						if (strcmp(scripts[k], s->name) == 0)
							seen = true;
					if (!seen && nscripts < ARRAY_SIZE(scripts))
						scripts[nscripts++] = s->name;
				}
			}
			i += n;
		}
	}
	if (!mixed && uni != NULL && latin_lookalike(uni)) {
		/* one script, but every letter of a label looks Latin: аррӏе */
		mixed = true;
	}
	if (mixed)
		flags |= RENDER_LINK_MIXED_SCRIPT;
	if (detail != NULL) {
		if (detail->len)
			buf_adds(detail, "; ");
		buf_addf(detail, "punycode %s = %s, script%s ", ascii, uni ? uni : host,
		         nscripts == 1 ? "" : "s");
		for (size_t k = 0; k < nscripts; k++)
			buf_addf(detail, "%s%s", k ? "+" : "", scripts[k]);
		if (nscripts == 0)
			buf_adds(detail, "none");
	}
	free(ascii);
	if (any_ace)
		idn2_free(uni);
	else
		free(uni);
	return flags;
}

/* The userinfo of a URL with a host ("paypal.com" in
 * https://paypal.com@evil.example/), or NULL.  Caller frees. */
char *render_url_userinfo(const char *url, size_t len)
{
	char *u = url_clean(url, len);
	size_t s = render_url_scheme(u, strlen(u)), i, e, at = SIZE_MAX;
	char *r = NULL;

	if (s > 0 && scheme_is(u, s, "mailto"))
		goto out;
	i = s > 0 ? s + 1 : 0;
	if (s > 0 && special_scheme(u, s)) {
		while (u[i] == '/' || u[i] == '\\')
			i++;
	} else if (u[i] == '/' && u[i + 1] == '/') {
		i += 2;
	} else {
		goto out;
	}
	for (e = i; u[e] && u[e] != '/' && u[e] != '?' && u[e] != '#' && u[e] != '\\'; e++)
		if (u[e] == '@')
			at = e;
	if (at != SIZE_MAX)
		r = xstrndup(u + i, at - i);
out:
	free(u);
	return r;
}
