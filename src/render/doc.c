/* The rendered document: lines in one buffer, plus what was found. */
#include "render/render_int.h"

static const char *const kind_names[RENDER_REMOTE_KINDS] = {
	"image", "stylesheet", "font", "frame", "object", "media",
	"prefetch", "icon", "refresh", "form", "external-body", "script",
};

struct render_doc *render_doc_new(void)
{
	struct render_doc *d = xcalloc(1, sizeof(*d));

	buf_init(&d->text);
	return d;
}

void render_free(struct render_doc **doc)
{
	struct render_doc *d;

	if (doc == NULL || *doc == NULL)
		return;
	d = *doc;
	buf_release(&d->text);
	free(d->lines);
	for (size_t i = 0; i < d->ntrackers; i++)
		free(d->trackers[i]);
	free(d->trackers);
	for (size_t i = 0; i < d->nlinks; i++) {
		free((char *)d->links[i].text);
		free((char *)d->links[i].href);
		free((char *)d->links[i].host);
		free((char *)d->links[i].detail);
	}
	free(d->links);
	for (size_t i = 0; i < d->nrefs; i++) {
		free((char *)d->refs[i].url);
		free((char *)d->refs[i].host);
	}
	free(d->refs);
	free(d->receipt);
	free(d);
	*doc = NULL;
}

size_t render_line_count(const struct render_doc *doc)
{
	return doc ? doc->nlines : 0;
}

const char *render_line(const struct render_doc *doc, size_t i, enum render_kind *kind)
{
	if (doc == NULL || i >= doc->nlines)
		return NULL;
	if (kind != NULL)
		*kind = doc->lines[i].kind;
	return doc->text.data + doc->lines[i].off;
}

/* The lines lie one after another in text, each ended by its NUL (safe
 * text has no NUL of its own), so the whole text is the document once
 * each NUL is a LF. */
void render_text(const struct render_doc *doc, struct buf *out)
{
	size_t start = out->len;
	char *p, *end;

	if (doc == NULL || doc->nlines == 0)
		return;
	buf_add(out, doc->text.data, doc->text.len);
	end = out->data + out->len;
	for (p = out->data + start; (p = memchr(p, '\0', (size_t)(end - p))) != NULL; p++)
		*p = '\n';
}

static void push_line(struct render_doc *d, enum render_kind kind, size_t off)
{
	if (d->nlines == d->caplines) {
		d->caplines = d->caplines ? d->caplines * 2 : 64;
		d->lines = xreallocarray(d->lines, d->caplines, sizeof(*d->lines));
	}
	d->lines[d->nlines].off = off;
	d->lines[d->nlines].kind = kind;
	d->nlines++;
	buf_addch(&d->text, '\0');
}

void render_doc_add_safe(struct render_doc *d, enum render_kind kind, const char *s, size_t len)
{
	size_t off = d->text.len;

	buf_add(&d->text, s, len);
	push_line(d, kind, off);
}

void render_doc_add_line(struct render_doc *d, enum render_kind kind, const char *s, size_t len)
{
	size_t off = d->text.len;

	safe_text(&d->text, s, len, SAFE_LINE);
	push_line(d, kind, off);
}

void render_doc_addf(struct render_doc *d, enum render_kind kind, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	render_doc_add_line(d, kind, b.data, b.len);
	buf_release(&b);
}

/* Quote depth of a line: '>' marks, spaces allowed between them. */
static int quote_depth(const char *s, size_t len)
{
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '>')
			depth++;
		else if (s[i] != ' ')
			break;
	}
	return depth;
}

void render_doc_add_body(struct render_doc *d, const char *text, size_t len, bool classify)
{
	size_t start = d->text.len, pos;
	bool sig = false;

	/* Made safe as a whole, then cut at the LFs that survive: SAFE_BODY
	 * turns CRLF into LF and shows a bare CR, so LF is the only break. */
	safe_text(&d->text, text, len, SAFE_BODY);
	if (d->text.len > start && d->text.data[d->text.len - 1] == '\n')
		buf_truncate(&d->text, d->text.len - 1);
	pos = start;
	for (;;) {
		char *nl = memchr(d->text.data + pos, '\n', d->text.len - pos);
		size_t end = nl ? (size_t)(nl - d->text.data) : d->text.len;
		enum render_kind kind = RENDER_BODY;

		if (classify) {
			const char *s = d->text.data + pos;
			size_t n = end - pos;
			int q;

			if (n == 3 && memcmp(s, "-- ", 3) == 0)
				sig = true;
			q = quote_depth(s, n);
			if (sig)
				kind = RENDER_SIGNATURE;
			else if (q == 1)
				kind = RENDER_QUOTE1;
			else if (q >= 2)
				kind = RENDER_QUOTE2;
		}
		if (d->nlines == d->caplines) {
			d->caplines = d->caplines ? d->caplines * 2 : 64;
			d->lines = xreallocarray(d->lines, d->caplines, sizeof(*d->lines));
		}
		d->lines[d->nlines].off = pos;
		d->lines[d->nlines].kind = kind;
		d->nlines++;
		if (nl == NULL)
			break;
		*nl = '\0';
		pos = end + 1;
	}
	buf_addch(&d->text, '\0');
}

/* A host in visible text: [scheme://]host[/...], no spaces, a dot, and a
 * last label that is a name (2+ letters) or a number (an IP). */
static char *text_host_whole(const char *t, size_t len)
{
	size_t i = 0, start, end, last_dot = 0;
	bool dot = false, letters = true, digits = true;

	while (i < len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	while (len > i && (t[len - 1] == ' ' || t[len - 1] == '\t'))
		len--;
	for (size_t k = i; k < len; k++)
		if (t[k] == ' ' || t[k] == '\t' || t[k] == '\n')
			return NULL;
	if (len - i > 8 && str_ncasecmp(t + i, "https://", 8) == 0)
		i += 8;
	else if (len - i > 7 && str_ncasecmp(t + i, "http://", 7) == 0)
		i += 7;
	else if (len - i > 2 && t[i] == '/' && t[i + 1] == '/')
		i += 2;
	start = i;
	for (end = start; end < len; end++) {
		unsigned char c = (unsigned char)t[end];

		if (c == '/' || c == '?' || c == '#' || c == ':')
			break;
		if (c == '.') {
			dot = true;
			last_dot = end;
		} else if (!(c >= 0x80 || c == '-' || (c >= '0' && c <= '9') ||
		             (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			return NULL;
		}
	}
	if (!dot || end == start || t[start] == '.' || t[end - 1] == '.')
		return NULL;
	for (size_t k = last_dot + 1; k < end; k++) {
		unsigned char c = (unsigned char)t[k];

		if (!(c >= '0' && c <= '9'))
			digits = false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80))
			letters = false;
	}
	if (!(digits || (letters && end - last_dot - 1 >= 2)))
		return NULL;
	return str_lower(xstrndup(t + start, end - start));
}

/* The whole text as a host, else the first word of it that is a URL
 * ("Sign in at https://bank.example/ today") or starts with www. */
static char *text_host(const char *t, size_t len)
{
	char *h = text_host_whole(t, len);
	size_t i = 0;

	if (h != NULL)
		return h;
	while (i < len) {
		size_t e;

		while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '(' || t[i] == '<' || t[i] == '"'))
			i++;
		e = i;
		while (e < len && t[e] != ' ' && t[e] != '\t')
			e++;
		if ((e - i > 8 && str_ncasecmp(t + i, "https://", 8) == 0) ||
		    (e - i > 7 && str_ncasecmp(t + i, "http://", 7) == 0) ||
		    (e - i > 4 && str_ncasecmp(t + i, "www.", 4) == 0)) {
			size_t k = e;

			while (k > i && strchr(".,;:!?)>\"'", t[k - 1]) != NULL)
				k--;
			if ((h = text_host_whole(t + i, k - i)) != NULL)
				return h;
		}
		i = e;
	}
	return NULL;
}

static bool text_says_https(const char *t, size_t len)
{
	return str_memcasemem(t, len, "https:") != NULL;
}

struct render_link *render_doc_add_link(struct render_doc *d, const char *text, size_t tlen,
                                        const char *href, size_t hlen, bool footnote)
{
	struct render_link *l;
	char *abs = render_url_resolve(d->base, href, hlen);
	char *host = render_url_host(abs, strlen(abs));
	char *th = text_host(text, tlen);
	struct buf b = BUF_INIT, detail = BUF_INIT;
	char *ui;

	if (d->nlinks == d->caplinks) {
		d->caplinks = d->caplinks ? d->caplinks * 2 : 16;
		d->links = xreallocarray(d->links, d->caplinks, sizeof(*d->links));
	}
	l = &d->links[d->nlinks++];
	memset(l, 0, sizeof(*l));
	buf_init(&detail);
	if (host != NULL) {
		char quad[16];

		if (host[0] == '[') {
			l->flags |= RENDER_LINK_NUMERIC_HOST;
			buf_addf(&detail, "ip %s", host);
		} else if (render_host_ipv4(host, quad)) {
			l->flags |= RENDER_LINK_NUMERIC_HOST;
			buf_addf(&detail, "ip %s", quad);
		}
		l->flags |= render_host_idn(host, &detail);
		if ((ui = render_url_userinfo(abs, strlen(abs))) != NULL) {
			l->flags |= RENDER_LINK_USERINFO;
			buf_addf(&detail, "%suserinfo \"%s\" before the real host %s", detail.len ? "; " : "",
			         ui, host);
			free(ui);
		}
	}
	{
		size_t sl = render_url_scheme(abs, strlen(abs));

		if ((sl == 10 && str_ncasecmp(abs, "javascript", 10) == 0) ||
		    (sl == 8 && str_ncasecmp(abs, "vbscript", 8) == 0) ||
		    (sl == 4 && str_ncasecmp(abs, "data", 4) == 0))
			l->flags |= RENDER_LINK_SCRIPT_URL;
		if (sl == 4 && str_ncasecmp(abs, "http", 4) == 0 && text_says_https(text, tlen))
			l->flags |= RENDER_LINK_HTTP_DOWNGRADE;
	}
	if (th != NULL) {
		char *ta = render_host_ascii(th), *ha = host ? render_host_ascii(host) : NULL;

		if (ha == NULL || strcmp(ta, ha) != 0) {
			l->flags |= RENDER_LINK_TEXT_HOST_MISMATCH;
			buf_addf(&detail, "%sthe text names %s, the link goes to %s", detail.len ? "; " : "",
			         ta, ha ? ha : "no host");
		}
		free(ta);
		free(ha);
	}
	buf_init(&b);
	safe_text(&b, text, tlen, SAFE_LINE);
	l->text = buf_detach(&b, NULL);
	buf_init(&b);
	safe_text(&b, abs, strlen(abs), SAFE_LINE);
	l->href = buf_detach(&b, NULL);
	l->host = host ? safe_str(host, SAFE_LINE) : xstrdup("");
	l->detail = safe_str(detail.data ? detail.data : "", SAFE_LINE);
	l->number = footnote ? ++d->footnotes : 0;
	buf_release(&detail);
	free(host);
	free(th);
	free(abs);
	return l;
}

void render_doc_add_tracker(struct render_doc *d, const char *host)
{
	char *safe;

	if (host == NULL || *host == '\0')
		return;
	safe = safe_str(host, SAFE_LINE);
	for (size_t i = 0; i < d->ntrackers; i++) {
		if (strcmp(d->trackers[i], safe) == 0) {
			free(safe);
			return;
		}
	}
	d->trackers = xreallocarray(d->trackers, d->ntrackers + 1, sizeof(*d->trackers));
	d->trackers[d->ntrackers++] = safe;
}

struct render_ref *render_doc_add_ref(struct render_doc *d, enum render_remote_kind kind,
                                      const char *url, size_t len, const char *base)
{
	struct render_ref *r;
	char *abs, *host;

	/* quotes around a meta refresh URL are not part of it */
	while (len > 0 && ((unsigned char)*url <= ' ' || *url == '"' || *url == '\'')) {
		url++;
		len--;
	}
	while (len > 0 && ((unsigned char)url[len - 1] <= ' ' || url[len - 1] == '"' || url[len - 1] == '\''))
		len--;
	if (d->nrefs >= 10000)
		return NULL;
	if (d->nrefs == d->caprefs) {
		d->caprefs = d->caprefs ? d->caprefs * 2 : 16;
		d->refs = xreallocarray(d->refs, d->caprefs, sizeof(*d->refs));
	}
	abs = render_url_resolve(base, url, len);
	host = render_url_host(abs, strlen(abs));
	r = &d->refs[d->nrefs++];
	r->kind = kind;
	r->url = safe_str(abs, SAFE_LINE);
	r->host = safe_str(host ? host : "", SAFE_LINE);
	r->tracker = false;
	free(abs);
	free(host);
	return r;
}

size_t render_ref_count(const struct render_doc *doc)
{
	return doc ? doc->nrefs : 0;
}

const struct render_ref *render_ref_get(const struct render_doc *doc, size_t i)
{
	return doc && i < doc->nrefs ? &doc->refs[i] : NULL;
}

const char *render_receipt_request(const struct render_doc *doc)
{
	return doc ? doc->receipt : NULL;
}

/* The first "www." (any case) in [p, end): found from its dot, since a
 * body has far fewer dots than bytes. */
static const char *find_www(const char *p, const char *end)
{
	const char *dot = p + 3;

	while (dot < end && (dot = memchr(dot, '.', (size_t)(end - dot))) != NULL) {
		if (((unsigned char)dot[-3] | 0x20) == 'w' && ((unsigned char)dot[-2] | 0x20) == 'w' &&
		    ((unsigned char)dot[-1] | 0x20) == 'w')
			return dot - 3;
		dot++;
	}
	return NULL;
}

void render_doc_scan_urls(struct render_doc *d, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	/* memchr on ':' keeps a long text without URLs cheap. */
	while (p < end && (p = memchr(p, ':', (size_t)(end - p))) != NULL) {
		const char *s = p, *e;

		if (p + 3 > end || p[1] != '/' || p[2] != '/') {
			p++;
			continue;
		}
		while (s > text && ((s[-1] >= 'a' && s[-1] <= 'z') || (s[-1] >= 'A' && s[-1] <= 'Z')))
			s--;
		if (!((p - s == 4 && str_ncasecmp(s, "http", 4) == 0) ||
		      (p - s == 5 && str_ncasecmp(s, "https", 5) == 0) ||
		      (p - s == 3 && str_ncasecmp(s, "ftp", 3) == 0))) {
			p++;
			continue;
		}
		e = p + 3;
		while (e < end && (unsigned char)*e > ' ' && *e != '<' && *e != '>' &&
		       *e != '"' && *e != 0x7f)
			e++;
		while (e > p + 3 && strchr(".,;:!?)]}'", e[-1]) != NULL)
			e--;
		if (e > p + 3 && d->nlinks < 10000)
			render_doc_add_link(d, s, (size_t)(e - s), s, (size_t)(e - s), false);
		p = e;
	}
	/* www.host without a scheme: a reader's client makes it a link */
	p = text;
	while (p + 4 < end && (p = find_www(p, end)) != NULL) {
		const char *e = p + 4;

		if (p > text && ((unsigned char)p[-1] > ' ' && p[-1] != '(' && p[-1] != '<')) {
			p += 4;
			continue;
		}
		while (e < end && (unsigned char)*e > ' ' && *e != '<' && *e != '>' && *e != '"' && *e != 0x7f)
			e++;
		while (e > p + 4 && strchr(".,;:!?)]}'", e[-1]) != NULL)
			e--;
		if (e > p + 4 && memchr(p + 4, '.', (size_t)(e - p - 4)) != NULL && d->nlinks < 10000) {
			struct buf u = BUF_INIT;

			buf_init(&u);
			buf_adds(&u, "http://");
			buf_add(&u, p, (size_t)(e - p));
			render_doc_add_link(d, p, (size_t)(e - p), u.data, u.len, false);
			buf_release(&u);
		}
		p = e;
	}
}

char *render_url_host(const char *url, size_t len)
{
	size_t i = 0, s, e, at, colon;
	bool special = false, scheme = false;

	/* Browsers strip leading C0 and spaces and ignore tabs and newlines
	 * inside URLs; only the leading part matters for the host here. */
	while (i < len && (unsigned char)url[i] <= ' ')
		i++;
	s = i;
	while (i < len && ((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
	                   (i > s && ((url[i] >= '0' && url[i] <= '9') || url[i] == '+' ||
	                              url[i] == '-' || url[i] == '.'))))
		i++;
	if (i < len && url[i] == ':' && i > s) {
		size_t n = i - s;

		if (n == 6 && str_ncasecmp(url + s, "mailto", 6) == 0) {
			const char *q = url + i + 1, *qe, *amp = NULL;

			qe = memchr(q, '?', len - i - 1);
			if (qe == NULL)
				qe = url + len;
			for (const char *k = q; k < qe; k++)
				if (*k == '@')
					amp = k;
			if (amp == NULL || amp + 1 >= qe)
				return NULL;
			return str_lower(xstrndup(amp + 1, (size_t)(qe - amp - 1)));
		}
		special = (n == 4 && str_ncasecmp(url + s, "http", 4) == 0) ||
		          (n == 5 && str_ncasecmp(url + s, "https", 5) == 0) ||
		          (n == 3 && str_ncasecmp(url + s, "ftp", 3) == 0) ||
		          (n == 2 && str_ncasecmp(url + s, "ws", 2) == 0) ||
		          (n == 3 && str_ncasecmp(url + s, "wss", 3) == 0);
		scheme = true;
		i++;
	} else {
		i = s;
	}
	if (scheme && special) {
		/* http:host, http:/host and http:\\host all reach the host. */
		while (i < len && (url[i] == '/' || url[i] == '\\' || url[i] == '\t' || url[i] == '\n'))
			i++;
	} else if (scheme) {
		if (i + 1 >= len || url[i] != '/' || url[i + 1] != '/')
			return NULL;
		i += 2;
	} else {
		/* No scheme: only a scheme-relative "//host" names a host. */
		if (i + 1 >= len || (url[i] != '/' && url[i] != '\\') ||
		    (url[i + 1] != '/' && url[i + 1] != '\\'))
			return NULL;
		special = true;
		while (i < len && (url[i] == '/' || url[i] == '\\'))
			i++;
	}
	for (e = i; e < len; e++)
		if (url[e] == '/' || url[e] == '?' || url[e] == '#' || (special && url[e] == '\\'))
			break;
	at = i;
	for (size_t k = i; k < e; k++)
		if (url[k] == '@')
			at = k + 1;
	i = at;
	colon = e;
	if (i < e && url[i] == '[') {
		const char *rb = memchr(url + i, ']', e - i);

		if (rb != NULL)
			colon = (size_t)(rb - url) + 1;
	} else {
		const char *c = memchr(url + i, ':', e - i);

		if (c != NULL)
			colon = (size_t)(c - url);
	}
	while (colon > i && url[colon - 1] == '.')
		colon--;
	if (colon <= i)
		return NULL;
	{
		char *host = xmalloc(colon - i + 1), *o = host;

		for (size_t k = i; k < colon; k++)
			if (url[k] != '\t' && url[k] != '\n' && url[k] != '\r')
				*o++ = url[k];
		*o = '\0';
		return str_lower(host);
	}
}

const char *render_remote_kind_name(enum render_remote_kind kind)
{
	if ((unsigned)kind >= RENDER_REMOTE_KINDS)
		return "unknown";
	return kind_names[kind];
}

size_t render_remote_blocked(const struct render_doc *doc)
{
	size_t n = 0;

	for (size_t k = 0; doc != NULL && k < RENDER_REMOTE_KINDS; k++)
		n += doc->remote[k];
	return n;
}

size_t render_remote_count(const struct render_doc *doc, enum render_remote_kind kind)
{
	if (doc == NULL || (unsigned)kind >= RENDER_REMOTE_KINDS)
		return 0;
	return doc->remote[kind];
}

size_t render_tracker_count(const struct render_doc *doc)
{
	return doc ? doc->ntrackers : 0;
}

const char *render_tracker(const struct render_doc *doc, size_t i)
{
	return doc && i < doc->ntrackers ? doc->trackers[i] : NULL;
}

size_t render_hidden_count(const struct render_doc *doc)
{
	return doc ? doc->hidden : 0;
}

size_t render_link_count(const struct render_doc *doc)
{
	return doc ? doc->nlinks : 0;
}

const struct render_link *render_link_get(const struct render_doc *doc, size_t i)
{
	return doc && i < doc->nlinks ? &doc->links[i] : NULL;
}

const char *render_link_flag_name(unsigned flag)
{
	switch (flag) {
	case RENDER_LINK_TEXT_HOST_MISMATCH: return "text-host-mismatch";
	case RENDER_LINK_NUMERIC_HOST: return "numeric-host";
	case RENDER_LINK_USERINFO: return "userinfo";
	case RENDER_LINK_PUNYCODE: return "punycode";
	case RENDER_LINK_MIXED_SCRIPT: return "mixed-script";
	case RENDER_LINK_HTTP_DOWNGRADE: return "http-not-https";
	case RENDER_LINK_FORM: return "form";
	case RENDER_LINK_SCRIPT_URL: return "script-url";
	default: return NULL;
	}
}
