/*
 * The copy of an HTML part a browser is given (design 4.4).  The part is
 * parsed as a browser parses it (gumbo) and written out again from the
 * tree, so what the browser reads is exactly what was checked: no markup
 * survives that the parser did not see.  Scripts, frames, objects,
 * <base>, <meta> and <link> go; every attribute that loads something goes
 * (unless the user allowed the sender), event handlers and javascript:
 * links always; a Content-Security-Policy comes first in <head>.
 */
#include <ctype.h>
#include <gumbo.h>

#include "render/render_int.h"

struct cid_image {
	char *id;   /* Content-ID without <> */
	char *data; /* data:TYPE;base64,... */
};

struct bctx {
	struct buf *out;
	bool allow;
	size_t removed;
	const struct cid_image *cids; /* the message's inline images */
	size_t ncids;
	const char *base; /* the <base href> the copy drops, for its links */
};

/* The data: URI for a cid: reference (RFC 2392: percent-encoded), or NULL. */
static const char *cid_lookup(const struct bctx *b, const char *v)
{
	struct buf id = BUF_INIT;
	const char *found = NULL;

	while ((unsigned char)*v <= ' ' && *v)
		v++;
	if (b->ncids == 0 || str_ncasecmp(v, "cid:", 4) != 0)
		return NULL;
	buf_init(&id);
	for (const char *p = v + 4; *p; p++) {
		if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char h[3] = { p[1], p[2], 0 };

			buf_addch(&id, (int)strtol(h, NULL, 16));
			p += 2;
		} else {
			buf_addch(&id, *p);
		}
	}
	for (size_t i = 0; i < b->ncids && found == NULL; i++)
		if (strcmp(b->cids[i].id, id.data) == 0)
			found = b->cids[i].data;
	buf_release(&id);
	return found;
}

#define BROWSER_MAX_DEPTH 1000

static bool local_url(const char *v)
{
	while ((unsigned char)*v <= ' ' && *v)
		v++;
	return *v == '\0' || *v == '#' || str_ncasecmp(v, "data:", 5) == 0 || str_ncasecmp(v, "cid:", 4) == 0;
}

static void css_any(void *ctx, enum render_css_kind k, const char *url, size_t len)
{
	char *u = xstrndup(url, len);

	(void)k;
	if (!local_url(u))
		(*(size_t *)ctx)++;
	free(u);
}

static size_t css_remote(const char *css)
{
	size_t n = 0;

	render_css_scan(css, strlen(css), css_any, &n);
	return n;
}

/* Controls a terminal acts on (C0 but TAB and LF, DEL, C1, bidi
 * embeddings, overrides and isolates, U+2028/2029): the copy is also
 * printed by `wary browser-copy`, so they are written as references (CSS
 * escapes in style text), which a browser reads as the same text.
 * Returns the bytes of s it stands for, 0 when s[0] is none of them. */
static size_t put_control(struct buf *o, const char *s, bool css)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp = u[0];
	size_t n = 1;

	if (u[0] >= 0x80) {
		n = utf8_decode(u, strnlen(s, 4), &cp);
		if (n == 0)
			return 0;
	}
	if (!((cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp <= 0x9f) ||
	      (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
	      cp == 0x2029))
		return 0;
	buf_addf(o, css ? "\\%x " : "&#x%x;", (unsigned)cp);
	return n;
}

static void esc(struct buf *o, const char *s, bool attr)
{
	for (; *s; s++) {
		size_t n = put_control(o, s, false);

		if (n > 0) {
			s += n - 1;
			continue;
		}
		switch (*s) {
		case '&': buf_adds(o, "&amp;"); break;
		case '<': buf_adds(o, "&lt;"); break;
		case '>': buf_adds(o, "&gt;"); break;
		case '"':
			if (attr) {
				buf_adds(o, "&quot;");
				break;
			}
			/* fall through */
		default: buf_addch(o, *s); break;
		}
	}
}

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == ':'))
			return false;
	}
	return true;
}

/* The element's name to write, or false to write its children only. */
static bool el_name(const GumboElement *el, struct buf *name)
{
	buf_reset(name);
	if (el->tag != GUMBO_TAG_UNKNOWN && el->tag_namespace == GUMBO_NAMESPACE_HTML) {
		buf_adds(name, gumbo_normalized_tagname(el->tag));
	} else {
		GumboStringPiece p = el->original_tag;

		if (p.data == NULL || p.length < 2)
			return false;
		gumbo_tag_from_original_text(&p);
		buf_add(name, p.data, p.length);
		if (el->tag_namespace == GUMBO_NAMESPACE_HTML)
			str_lower(name->data);
	}
	return name_ok(name->data, name->len);
}

static bool dropped_element(const GumboElement *el, const struct bctx *b)
{
	switch (el->tag) {
	case GUMBO_TAG_SCRIPT: case GUMBO_TAG_IFRAME: case GUMBO_TAG_FRAME: case GUMBO_TAG_FRAMESET:
	case GUMBO_TAG_OBJECT: case GUMBO_TAG_EMBED: case GUMBO_TAG_APPLET: case GUMBO_TAG_PARAM:
	case GUMBO_TAG_BASE: case GUMBO_TAG_META: case GUMBO_TAG_LINK: case GUMBO_TAG_TEMPLATE:
	case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_NOEMBED: case GUMBO_TAG_NOFRAMES: case GUMBO_TAG_BGSOUND:
		return true;
	case GUMBO_TAG_AUDIO: case GUMBO_TAG_VIDEO: case GUMBO_TAG_SOURCE: case GUMBO_TAG_TRACK:
		return !b->allow;
	default:
		return false;
	}
}

/* Attributes that make a browser load something. */
static bool loading_attr(const char *n)
{
	static const char *const names[] = {
		"src", "srcset", "lowsrc", "dynsrc", "background", "poster", "data", "code", "codebase",
		"archive", "action", "formaction", "ping", "longdesc", "imagesrcset", "manifest",
		"profile", "classid", "usemap", "srcdoc", "attributionsrc",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (str_casecmp(n, names[i]) == 0)
			return true;
	return false;
}

static void write_attrs(struct bctx *b, const GumboElement *el)
{
	bool is_link = el->tag_namespace == GUMBO_NAMESPACE_HTML &&
	               (el->tag == GUMBO_TAG_A || el->tag == GUMBO_TAG_AREA);

	for (unsigned i = 0; i < el->attributes.length; i++) {
		const GumboAttribute *a = el->attributes.data[i];
		const char *n = a->name, *v = a->value;
		const char *prefix = a->attr_namespace == GUMBO_ATTR_NAMESPACE_XLINK ? "xlink:"
		                     : a->attr_namespace == GUMBO_ATTR_NAMESPACE_XML ? "xml:" : "";

		if (!name_ok(n, strlen(n)) || str_ncasecmp(n, "on", 2) == 0) {
			b->removed += str_ncasecmp(n, "on", 2) == 0;
			continue;
		}
		if (str_casecmp(n, "href") == 0) {
			size_t sl = render_url_scheme(v, strlen(v));
			bool script = (sl == 10 && str_ncasecmp(v, "javascript", 10) == 0) ||
			              (sl == 8 && str_ncasecmp(v, "vbscript", 8) == 0);

			/* a link is followed only when clicked; anything else
			 * with an href (svg image, use) loads it */
			if (script || (!is_link && !b->allow && !local_url(v)) ||
			    (!is_link && str_ncasecmp(v, "data:", 5) == 0 && el->tag == GUMBO_TAG_SCRIPT)) {
				b->removed++;
				continue;
			}
		} else if (loading_attr(n)) {
			bool keep = b->allow ? str_casecmp(n, "srcdoc") != 0 && str_casecmp(n, "code") != 0 &&
			                           str_casecmp(n, "codebase") != 0 && str_casecmp(n, "archive") != 0 &&
			                           str_casecmp(n, "classid") != 0 && str_casecmp(n, "ping") != 0
			                     : (str_casecmp(n, "src") == 0 && local_url(v) && v[0] != '\0');

			if (!keep) {
				b->removed++;
				continue;
			}
		} else if (!b->allow && (str_casecmp(n, "style") == 0 || strstr(v, "url") || strstr(v, "URL"))) {
			if (css_remote(v) > 0) {
				b->removed++;
				continue;
			}
		}
		/* an inline image of the message travels with the copy */
		if (str_casecmp(n, "src") == 0 && cid_lookup(b, v) != NULL)
			v = cid_lookup(b, v);
		buf_addf(b->out, " %s%s=\"", prefix, n);
		if (is_link && b->base != NULL && str_casecmp(n, "href") == 0) {
			char *abs = render_url_resolve(b->base, v, strlen(v));

			esc(b->out, abs, true);
			free(abs);
		} else {
			esc(b->out, v, true);
		}
		buf_addch(b->out, '"');
	}
}

static bool void_element(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_AREA: case GUMBO_TAG_BR: case GUMBO_TAG_COL: case GUMBO_TAG_HR:
	case GUMBO_TAG_IMG: case GUMBO_TAG_INPUT: case GUMBO_TAG_WBR: case GUMBO_TAG_KEYGEN:
		return true;
	default:
		return false;
	}
}

static void write_node(struct bctx *b, const GumboNode *n, int depth, bool raw);

static void write_children(struct bctx *b, const GumboVector *kids, int depth, bool raw)
{
	for (unsigned i = 0; i < kids->length; i++)
		write_node(b, kids->data[i], depth + 1, raw);
}

static void write_node(struct bctx *b, const GumboNode *n, int depth, bool raw)
{
	const GumboElement *el;
	struct buf name = BUF_INIT;
	bool named;

	switch (n->type) {
	case GUMBO_NODE_TEXT: case GUMBO_NODE_WHITESPACE: case GUMBO_NODE_CDATA:
		if (raw) {
			/* style text, checked by the caller */
			for (const char *t = n->v.text.text; *t; t++) {
				size_t k = put_control(b->out, t, true);

				if (k > 0)
					t += k - 1;
				else
					buf_addch(b->out, *t);
			}
		} else
			esc(b->out, n->v.text.text, false);
		return;
	case GUMBO_NODE_ELEMENT: case GUMBO_NODE_TEMPLATE:
		break;
	default:
		return; /* comments, the doctype */
	}
	el = &n->v.element;
	if (depth > 2 * BROWSER_MAX_DEPTH) {
		b->removed++; /* deeper than any estimate: not written at all */
		return;
	}
	if (dropped_element(el, b) ||
	    (el->tag_namespace == GUMBO_NAMESPACE_SVG && el->tag == GUMBO_TAG_SCRIPT)) {
		b->removed++;
		return;
	}
	if (el->tag == GUMBO_TAG_STYLE) {
		size_t remote = 0;

		for (unsigned i = 0; i < el->children.length; i++) {
			const GumboNode *c = el->children.data[i];

			if (c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_WHITESPACE ||
			    c->type == GUMBO_NODE_CDATA)
				remote += css_remote(c->v.text.text);
			if (c->type == GUMBO_NODE_TEXT &&
			    str_memcasemem(c->v.text.text, strlen(c->v.text.text), "</style") != NULL)
				remote++; /* cannot be written back as it was read */
		}
		if (remote > 0 && !b->allow) {
			b->removed += remote;
			return;
		}
		buf_adds(b->out, "<style>");
		/* raw text only in HTML; in SVG a style's text is parsed as
		 * text, entities and all, so it is written escaped */
		write_children(b, &el->children, depth, el->tag_namespace == GUMBO_NAMESPACE_HTML);
		buf_adds(b->out, "</style>");
		return;
	}
	buf_init(&name);
	named = depth < BROWSER_MAX_DEPTH && el_name(el, &name);
	if (named) {
		buf_addf(b->out, "<%s", name.data);
		write_attrs(b, el);
		if (el->tag_namespace != GUMBO_NAMESPACE_HTML && el->children.length == 0) {
			buf_adds(b->out, "/>");
			goto out;
		}
		buf_addch(b->out, '>');
		if (el->tag_namespace == GUMBO_NAMESPACE_HTML && void_element(el->tag))
			goto out;
	}
	write_children(b, &el->children, depth, false);
	if (named)
		buf_addf(b->out, "</%s>", name.data);
out:
	buf_release(&name);
}

static int browser_copy(const char *html, size_t len, bool allow_remote, const struct cid_image *cids,
                        size_t ncids, struct buf *out, size_t *removed, char *err, size_t errlen)
{
	GumboOptions opts = kGumboDefaultOptions;
	GumboOutput *g;
	struct bctx b = { out, allow_remote, 0, cids, ncids, NULL };
	const GumboNode *head = NULL, *body = NULL;
	const GumboVector *top;
	struct buf limited = BUF_INIT;

	if (len > RENDER_HTML_MAX_BYTES)
		return err_set(err, errlen, WARY_ELIMIT, "the HTML is over %u MB", RENDER_HTML_MAX_BYTES >> 20);
	/* as for rendering: the parser's time grows with the square of the
	 * nesting, and the writer below recurses */
	buf_init(&limited);
	if (render_html_limit_depth(html, len, &limited) > 0) {
		html = limited.data;
		len = limited.len;
	}
	opts.max_errors = 0;
	g = gumbo_parse_with_options(&opts, html, len);
	if (g == NULL) {
		buf_release(&limited);
		return err_set(err, errlen, WARY_EPARSE, "HTML parser failed");
	}
	top = &g->root->v.element.children;
	for (unsigned i = 0; i < top->length; i++) {
		const GumboNode *n = top->data[i];

		if (n->type != GUMBO_NODE_ELEMENT)
			continue;
		if (n->v.element.tag == GUMBO_TAG_HEAD && head == NULL) {
			const GumboVector *hk = &n->v.element.children;

			head = n;
			/* <base> is dropped; links are written resolved instead */
			for (unsigned k = 0; k < hk->length && b.base == NULL; k++) {
				const GumboNode *c = hk->data[k];
				const GumboAttribute *h;

				if (c->type == GUMBO_NODE_ELEMENT && c->v.element.tag == GUMBO_TAG_BASE &&
				    (h = gumbo_get_attribute(&c->v.element.attributes, "href")) != NULL &&
				    (str_istarts_with(h->value, "http://") || str_istarts_with(h->value, "https://")))
					b.base = h->value;
			}
		}
		else if ((n->v.element.tag == GUMBO_TAG_BODY || n->v.element.tag == GUMBO_TAG_FRAMESET) &&
		         body == NULL)
			body = n;
	}
	buf_adds(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	              "<meta http-equiv=\"Content-Security-Policy\" content=\"");
	buf_adds(out, allow_remote ? RENDER_CSP_ALLOWED : RENDER_CSP);
	buf_adds(out, "\"><meta name=\"referrer\" content=\"no-referrer\">\n");
	if (head != NULL)
		write_children(&b, &head->v.element.children, 1, false);
	buf_adds(out, "</head>\n");
	if (body != NULL && body->v.element.tag == GUMBO_TAG_BODY) {
		write_node(&b, body, 1, false);
	} else {
		if (body != NULL)
			b.removed++;
		buf_adds(out, "<body></body>");
	}
	buf_adds(out, "</html>\n");
	gumbo_destroy_output(&opts, g);
	buf_release(&limited);
	if (removed != NULL)
		*removed = b.removed;
	return WARY_OK;
}

int render_html_browser_copy(const char *html, size_t len, bool allow_remote, struct buf *out,
                             size_t *removed, char *err, size_t errlen)
{
	return browser_copy(html, len, allow_remote, NULL, 0, out, removed, err, errlen);
}

#define BROWSER_MAX_INLINE (8u * 1024 * 1024)

/* Images with a Content-ID anywhere in the message, as data: URIs, up to
 * BROWSER_MAX_INLINE bytes in all. */
static void collect_cids(const struct mail_part *p, struct cid_image **v, size_t *n, size_t *bytes,
                         int depth)
{
	size_t kids = mail_part_count_children(p);
	const char *t = mail_part_type(p), *id = mail_part_id(p);

	if (depth > 40 || *n >= 200)
		return;
	for (size_t i = 0; i < kids; i++)
		collect_cids(mail_part_child(p, i), v, n, bytes, depth + 1);
	if (kids == 0 && id != NULL && t != NULL && str_istarts_with(t, "image/") && strchr(t, '"') == NULL) {
		struct buf data = BUF_INIT, uri = BUF_INIT;
		static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

		buf_init(&data);
		buf_init(&uri);
		if ((mail_part_decode(p, &data, NULL, 0) == WARY_OK || data.len > 0) &&
		    *bytes + data.len <= BROWSER_MAX_INLINE) {
			const unsigned char *d = (const unsigned char *)data.data;
			char *cid = xstrdup(id);

			*bytes += data.len;
			str_trim(cid);
			if (cid[0] == '<' && cid[strlen(cid) - 1] == '>') {
				memmove(cid, cid + 1, strlen(cid));
				cid[strlen(cid) - 1] = '\0';
			}
			buf_addf(&uri, "data:%s;base64,", t);
			for (size_t i = 0; i < data.len; i += 3) {
				unsigned x = (unsigned)d[i] << 16 | (i + 1 < data.len ? (unsigned)d[i + 1] << 8 : 0) |
				             (i + 2 < data.len ? d[i + 2] : 0);

				buf_addch(&uri, tab[(x >> 18) & 63]);
				buf_addch(&uri, tab[(x >> 12) & 63]);
				buf_addch(&uri, i + 1 < data.len ? tab[(x >> 6) & 63] : '=');
				buf_addch(&uri, i + 2 < data.len ? tab[x & 63] : '=');
			}
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			(*v)[*n].id = cid;
			(*v)[*n].data = buf_detach(&uri, NULL);
			(*n)++;
		}
		buf_release(&data);
		buf_release(&uri);
	}
}

int render_message_browser_copy(const struct mail_msg *msg, bool allow_remote, struct buf *out,
                                size_t *removed, char *err, size_t errlen)
{
	struct buf html = BUF_INIT;
	struct cid_image *cids = NULL;
	size_t ncids = 0, bytes = 0;
	int rc;

	buf_init(&html);
	rc = render_message_html(msg, &html, err, errlen);
	if (rc == WARY_OK) {
		collect_cids(mail_root(msg), &cids, &ncids, &bytes, 0);
		rc = browser_copy(html.data, html.len, allow_remote, cids, ncids, out, removed, err, errlen);
	}
	for (size_t i = 0; i < ncids; i++) {
		free(cids[i].id);
		free(cids[i].data);
	}
	free(cids);
	buf_release(&html);
	return rc;
}

/* The first text/html leaf a reader would see, depth first, not an
 * attachment; message/rfc822 parts are their own messages. */
static const struct mail_part *find_html(const struct mail_part *p, int depth)
{
	size_t n = mail_part_count_children(p);
	const char *t = mail_part_type(p);

	if (depth > 40)
		return NULL;
	if (n == 0)
		return t != NULL && str_casecmp(t, "text/html") == 0 && !mail_part_is_attachment(p) ? p : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct mail_part *h = find_html(mail_part_child(p, i), depth + 1);

		if (h != NULL)
			return h;
	}
	return NULL;
}

int render_message_html(const struct mail_msg *msg, struct buf *out, char *err, size_t errlen)
{
	const struct mail_part *h = mail_root(msg) ? find_html(mail_root(msg), 0) : NULL;

	if (h == NULL)
		return err_set(err, errlen, WARY_ENOENT, "the message has no HTML part");
	if (mail_part_text(h, out, err, errlen) != WARY_OK && out->len == 0)
		return WARY_EPARSE;
	return WARY_OK;
}
