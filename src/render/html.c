/*
 * HTML to text through gumbo, the HTML5 parsing algorithm, so that links
 * and remote references are found where a browser would find them.
 * Nothing is loaded or resolved: references are only counted (design 4.4).
 */
#include <gumbo.h>

#include "render/render_int.h"

/* Per open element: what it changed, to undo on the way out. */
enum {
	EL_HIDE = 1 << 0,  /* started a hidden subtree */
	EL_LINK = 1 << 1,  /* started a link */
	EL_QUOTE = 1 << 2, /* blockquote */
	EL_PRE = 1 << 3,
	EL_LIST = 1 << 4,
	EL_STYLE = 1 << 5, /* saved colour/size state below */
};

struct el_state {
	unsigned char flags;
	bool white, dark_bg, tiny; /* state before this element */
};

#define MAX_LISTS 16
#define MAX_LINKS_OPEN 8

struct hctx {
	struct render_doc *d;
	struct buf out; /* raw UTF-8 text, LF line ends; made safe at the end */
	int width;
	int want_nl;    /* line breaks owed before the next text */
	bool space;     /* a collapsed space owed */
	bool bol;       /* at the start of a line, prefix not written */
	int pre, quote, hide;
	bool white, dark_bg, tiny; /* inherited style: white text, non-white background, 0/1px */
	int nlists;
	struct { bool ordered; long n; } lists[MAX_LISTS];
	size_t cells_with_text;
	bool cell_fresh; /* no text in this cell yet */
	size_t nopen_links;
	struct { size_t start; const char *href; size_t hlen; } links[MAX_LINKS_OPEN];
	struct el_state *stack;
	size_t depth, cap;
	size_t remote[RENDER_REMOTE_KINDS];
	size_t hidden;
	bool hidden_counted; /* this hidden run already counted */
	const char *base;    /* the first <base href> that is a URL, or NULL */
	int nest;            /* iframe srcdoc documents inside this one */
};

/*
 * The parser makes many small allocations and frees each one again when
 * the tree is destroyed; that was a fifth of the time spent on a typical
 * HTML mail.  They come from a bump arena instead, freed in one go, so
 * gumbo_destroy_output is not needed at all.
 */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct arena_chunk *head;
};

#define ARENA_CHUNK (256u * 1024)
/* Under AddressSanitizer every block is its own allocation, so an
 * overflow inside the parser's data is still caught (fuzzing, tests). */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_EXACT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_EXACT 1
#endif
#endif
#ifndef ARENA_EXACT
#define ARENA_EXACT 0
#endif

static void *arena_alloc(void *userdata, size_t size)
{
	struct arena *a = userdata;
	struct arena_chunk *c = a->head;
	size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);

	if (need == 0)
		need = sizeof(max_align_t);
	if (ARENA_EXACT || c == NULL || c->size - c->used < need) {
		size_t sz = ARENA_EXACT || need > ARENA_CHUNK / 4 ? need : ARENA_CHUNK;

		c = xmalloc(sizeof(*c) + sz);
		c->size = sz;
		c->used = 0;
		if (!ARENA_EXACT && need > ARENA_CHUNK / 4 && a->head != NULL) {
			/* a big block gets its own chunk behind the current one */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	c->used += need;
	return (char *)c->data + c->used - need;
}

static void arena_free_one(void *userdata, void *ptr)
{
	(void)userdata;
	(void)ptr;
}

static void arena_release(struct arena *a)
{
	while (a->head != NULL) {
		struct arena_chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

static bool isxdigit_ascii(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* ---------------------------------------------------------------- text */

static void put_prefix(struct hctx *c)
{
	for (int i = 0; i < c->quote && i < 32; i++)
		buf_add(&c->out, "> ", 2);
	c->bol = false;
}

static size_t trailing_newlines(const struct buf *b)
{
	size_t n = 0;

	while (n < b->len && n < 3 && b->data[b->len - 1 - n] == '\n')
		n++;
	return n;
}

/* Pay the breaks owed and the line prefix before visible text. */
static void flush(struct hctx *c)
{
	if (c->want_nl > 0 && c->out.len > 0) {
		size_t have = trailing_newlines(&c->out);
		size_t need = c->want_nl > 2 ? 2 : (size_t)c->want_nl;

		if (have == 0 || (have < need))
			for (size_t i = have; i < need; i++)
				buf_addch(&c->out, '\n');
		c->bol = true;
		c->space = false;
	}
	c->want_nl = 0;
	if (c->bol)
		put_prefix(c);
}

static void want(struct hctx *c, int n)
{
	if (c->want_nl < n)
		c->want_nl = n;
}

static bool text_hidden(const struct hctx *c)
{
	return c->hide > 0 || c->tiny || (c->white && !c->dark_bg);
}

static void count_hidden(struct hctx *c, const char *s, size_t len)
{
	if (c->hidden_counted)
		return;
	for (size_t i = 0; i < len; i++) {
		if (!is_space((unsigned char)s[i])) {
			c->hidden++;
			c->hidden_counted = true;
			return;
		}
	}
}

static void cell_text_starts(struct hctx *c)
{
	if (!c->cell_fresh)
		return;
	c->cell_fresh = false;
	if (c->cells_with_text++ > 0 && c->want_nl == 0) {
		if (c->bol)
			put_prefix(c);
		buf_add(&c->out, " | ", 3);
		c->space = false;
	}
}

static void emit_text(struct hctx *c, const char *s, size_t len)
{
	size_t i = 0;

	if (text_hidden(c)) {
		count_hidden(c, s, len);
		return;
	}
	c->hidden_counted = false;
	if (c->pre > 0) {
		if (len == 0)
			return;
		cell_text_starts(c);
		flush(c);
		while (i < len) {
			const char *nl = memchr(s + i, '\n', len - i);
			size_t end = nl ? (size_t)(nl - s) : len;

			if (c->bol)
				put_prefix(c);
			buf_add(&c->out, s + i, end - i);
			if (nl == NULL)
				break;
			buf_addch(&c->out, '\n');
			c->bol = true;
			i = end + 1;
		}
		c->space = false;
		return;
	}
	while (i < len) {
		size_t run = i;

		if (is_space((unsigned char)s[i])) {
			while (i < len && is_space((unsigned char)s[i]))
				i++;
			if (!c->bol && c->out.len > 0 && c->out.data[c->out.len - 1] != '\n')
				c->space = true;
			continue;
		}
		while (run < len && !is_space((unsigned char)s[run]))
			run++;
		cell_text_starts(c);
		flush(c);
		if (c->space) {
			buf_addch(&c->out, ' ');
			c->space = false;
		}
		buf_add(&c->out, s + i, run - i);
		i = run;
	}
}

static void emit_literal(struct hctx *c, const char *s)
{
	if (text_hidden(c))
		return;
	cell_text_starts(c);
	flush(c);
	if (c->space) {
		buf_addch(&c->out, ' ');
		c->space = false;
	}
	buf_adds(&c->out, s);
}

/* ---------------------------------------------------------------- CSS */

static const char *attr(const GumboElement *el, const char *name)
{
	const GumboAttribute *a = gumbo_get_attribute(&el->attributes, name);

	return a ? a->value : NULL;
}

/* The attributes every element is asked for, found in one pass over its
 * attributes instead of one lookup each; the first of a name counts, as
 * with gumbo_get_attribute. */
struct common_attrs {
	const char *style, *background, *hidden, *bgcolor;
};

static void common_attrs_read(const GumboElement *el, struct common_attrs *ca)
{
	memset(ca, 0, sizeof(*ca));
	for (unsigned i = 0; i < el->attributes.length; i++) {
		const GumboAttribute *a = el->attributes.data[i];
		const char **slot = NULL;

		switch (a->name[0] | 0x20) {
		case 's':
			if (str_casecmp(a->name, "style") == 0)
				slot = &ca->style;
			break;
		case 'b':
			if (str_casecmp(a->name, "background") == 0)
				slot = &ca->background;
			else if (str_casecmp(a->name, "bgcolor") == 0)
				slot = &ca->bgcolor;
			break;
		case 'h':
			if (str_casecmp(a->name, "hidden") == 0)
				slot = &ca->hidden;
			break;
		default:
			break;
		}
		if (slot != NULL && *slot == NULL)
			*slot = a->value;
	}
}

/* Lower-case, comments removed, hex escapes decoded, white space
 * dropped: "U\52L ( x )" and "url(x)" look the same to the scanner. */
static void css_normalise(struct buf *out, const char *s, size_t len)
{
	size_t i = 0;

	buf_reset(out);
	while (i < len) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '/' && i + 1 < len && s[i + 1] == '*') {
			const char *e = str_memcasemem(s + i + 2, len - i - 2, "*/");

			i = e ? (size_t)(e - s) + 2 : len;
			continue;
		}
		if (ch == '\\' && i + 1 < len) {
			unsigned v = 0;
			size_t k = i + 1, n = 0;

			while (k < len && n < 6 && isxdigit_ascii((unsigned char)s[k])) {
				char h = s[k];

				v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
				k++;
				n++;
			}
			if (n > 0) {
				if (k < len && is_space((unsigned char)s[k]))
					k++;
				buf_addch(out, v < 0x80 ? (int)(v >= 'A' && v <= 'Z' ? v | 0x20 : v) : '?');
				i = k;
			} else {
				ch = (unsigned char)s[i + 1];
				buf_addch(out, ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch);
				i += 2;
			}
			continue;
		}
		if (!is_space(ch))
			buf_addch(out, ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch);
		i++;
	}
}

static bool url_is_local(const char *u, size_t len)
{
	size_t i = 0;

	while (i < len && ((unsigned char)u[i] <= ' ' || u[i] == '"' || u[i] == '\''))
		i++;
	u += i;
	len -= i;
	while (len > 0 && ((unsigned char)u[len - 1] <= ' ' || u[len - 1] == '"' || u[len - 1] == '\''))
		len--;
	if (len == 0 || u[0] == '#')
		return true;
	return (len >= 4 && str_ncasecmp(u, "cid:", 4) == 0) ||
	       (len >= 4 && str_ncasecmp(u, "mid:", 4) == 0) ||
	       (len >= 5 && str_ncasecmp(u, "data:", 5) == 0) ||
	       (len >= 6 && str_ncasecmp(u, "about:", 6) == 0) ||
	       (len >= 11 && str_ncasecmp(u, "javascript:", 11) == 0);
}

static struct render_ref *remote(struct hctx *c, enum render_remote_kind kind, const char *url,
                                 size_t len)
{
	if (url == NULL || url_is_local(url, len))
		return NULL;
	c->remote[kind]++;
	return render_doc_add_ref(c->d, kind, url, len, c->base);
}

static void css_found(void *ctx, enum render_css_kind k, const char *url, size_t len)
{
	remote(ctx, k == RENDER_CSS_IMPORT ? RENDER_REMOTE_STYLESHEET
	            : k == RENDER_CSS_FONT ? RENDER_REMOTE_FONT : RENDER_REMOTE_IMAGE, url, len);
}

/* The value of a property in normalised CSS, or NULL: "color:" finds
 * "color:#fff" but not "background-color:". */
static const char *css_prop(const char *s, size_t len, const char *prop, size_t *vlen)
{
	size_t pl = strlen(prop);

	for (size_t i = 0; i + pl <= len; i++) {
		/* memchr to each candidate first letter: a style is read for
		 * a dozen properties */
		const char *hit = memchr(s + i, prop[0], len - pl + 1 - i);

		if (hit == NULL)
			break;
		i = (size_t)(hit - s);
		if (memcmp(s + i, prop, pl) != 0)
			continue;
		if (i > 0 && s[i - 1] != ';' && s[i - 1] != '{' && s[i - 1] != '"')
			continue;
		{
			size_t e = i + pl;

			while (e < len && s[e] != ';' && s[e] != '}')
				e++;
			*vlen = e - i - pl;
			return s + i + pl;
		}
	}
	return NULL;
}

static bool colour_is_white(const char *v, size_t len)
{
	char tmp[64];
	size_t n = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;

	for (size_t i = 0; i < n; i++)
		tmp[i] = (char)(v[i] >= 'A' && v[i] <= 'Z' ? v[i] | 0x20 : v[i]);
	tmp[n] = '\0';
	for (char *p = tmp; *p; p++)
		if (*p == '!') /* !important */
			*p = '\0';
	return strcmp(tmp, "#fff") == 0 || strcmp(tmp, "#ffffff") == 0 || strcmp(tmp, "white") == 0 ||
	       strcmp(tmp, "#fefefe") == 0 || strcmp(tmp, "#fffffe") == 0 ||
	       strcmp(tmp, "rgb(255,255,255)") == 0 || str_starts_with(tmp, "rgba(255,255,255,") ||
	       strcmp(tmp, "#ffff") == 0 || strcmp(tmp, "#ffffffff") == 0;
}

/* 0, 0px, 1px, 0.5pt, 1pt...: text nobody can read. */
static bool size_is_tiny(const char *v, size_t len)
{
	double x = 0;
	size_t i = 0;
	bool digit = false, frac = false;
	double scale = 1;

	while (i < len && ((v[i] >= '0' && v[i] <= '9') || (v[i] == '.' && !frac))) {
		if (v[i] == '.') {
			frac = true;
		} else {
			digit = true;
			if (frac) {
				scale /= 10;
				x += (v[i] - '0') * scale;
			} else if (x < 1000) {
				x = x * 10 + (v[i] - '0');
			}
		}
		i++;
	}
	if (!digit)
		return false;
	if (i == len || v[i] == '!')
		return x == 0;
	if (len - i >= 2 && (memcmp(v + i, "px", 2) == 0 || memcmp(v + i, "pt", 2) == 0))
		return x <= 1.5;
	if (len - i >= 2 && (memcmp(v + i, "em", 2) == 0))
		return x <= 0.1;
	if (v[i] == '%')
		return x <= 10;
	return x == 0;
}

struct style_info {
	bool hide, tiny, has_colour, white, has_bg, bg_white;
	int w, h; /* -1 unknown */
};

static int css_px(const char *v, size_t len)
{
	int x = 0;
	size_t i = 0;

	if (len == 0 || v[0] < '0' || v[0] > '9')
		return -1;
	while (i < len && v[i] >= '0' && v[i] <= '9' && x < 100000)
		x = x * 10 + (v[i++] - '0');
	if (i == len || (len - i >= 2 && memcmp(v + i, "px", 2) == 0))
		return x;
	return -1;
}

static void style_read(struct hctx *c, const char *style, struct buf *norm, struct style_info *si)
{
	const char *v;
	size_t vl;

	render_css_scan(style, strlen(style), css_found, c);
	css_normalise(norm, style, strlen(style));
	if ((v = css_prop(norm->data, norm->len, "display:", &vl)) && vl >= 4 && memcmp(v, "none", 4) == 0)
		si->hide = true;
	if ((v = css_prop(norm->data, norm->len, "visibility:", &vl)) && vl >= 6 &&
	    (memcmp(v, "hidden", 6) == 0 || memcmp(v, "collapse", vl < 8 ? vl : 8) == 0))
		si->hide = true;
	if ((v = css_prop(norm->data, norm->len, "opacity:", &vl)) && size_is_tiny(v, vl))
		si->hide = true;
	if ((v = css_prop(norm->data, norm->len, "font-size:", &vl)) && size_is_tiny(v, vl))
		si->tiny = true;
	if ((v = css_prop(norm->data, norm->len, "max-height:", &vl)) && vl >= 1 && v[0] == '0' &&
	    css_prop(norm->data, norm->len, "overflow:", &vl) != NULL)
		si->hide = true;
	if ((v = css_prop(norm->data, norm->len, "color:", &vl))) {
		si->has_colour = true;
		si->white = colour_is_white(v, vl);
	}
	if ((v = css_prop(norm->data, norm->len, "background-color:", &vl)) ||
	    (v = css_prop(norm->data, norm->len, "background:", &vl))) {
		si->has_bg = true;
		si->bg_white = colour_is_white(v, vl) || vl == 0;
	}
	if ((v = css_prop(norm->data, norm->len, "width:", &vl)))
		si->w = css_px(v, vl);
	if ((v = css_prop(norm->data, norm->len, "height:", &vl)))
		si->h = css_px(v, vl);
}

static int attr_px(const GumboElement *el, const char *name)
{
	const char *v = attr(el, name);

	if (v == NULL)
		return -1;
	while (*v == ' ')
		v++;
	return css_px(v, strlen(v));
}

/* ------------------------------------------------------------ elements */

static int block_breaks(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_P: case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
	case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_PRE:
	case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_TABLE: case GUMBO_TAG_HR: case GUMBO_TAG_DL:
	case GUMBO_TAG_FIGURE: case GUMBO_TAG_LISTING: case GUMBO_TAG_XMP:
		return 2;
	case GUMBO_TAG_UL: case GUMBO_TAG_OL: case GUMBO_TAG_MENU: case GUMBO_TAG_DIR:
	case GUMBO_TAG_DIV: case GUMBO_TAG_LI: case GUMBO_TAG_TR: case GUMBO_TAG_DT:
	case GUMBO_TAG_DD: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_HEADER:
	case GUMBO_TAG_FOOTER: case GUMBO_TAG_NAV: case GUMBO_TAG_MAIN: case GUMBO_TAG_ASIDE:
	case GUMBO_TAG_FORM: case GUMBO_TAG_FIELDSET: case GUMBO_TAG_CENTER: case GUMBO_TAG_CAPTION:
	case GUMBO_TAG_ADDRESS: case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_DETAILS:
	case GUMBO_TAG_SUMMARY: case GUMBO_TAG_LEGEND: case GUMBO_TAG_OPTION: case GUMBO_TAG_BODY:
	case GUMBO_TAG_TBODY: case GUMBO_TAG_THEAD: case GUMBO_TAG_TFOOT: case GUMBO_TAG_HGROUP:
		return 1;
	default:
		return 0;
	}
}

static void srcset(struct hctx *c, const char *v)
{
	/* Candidates are "url [descriptor]" separated by commas. */
	while (v != NULL && *v) {
		const char *s, *e;

		while (*v == ',' || is_space((unsigned char)*v))
			v++;
		s = v;
		while (*v && !is_space((unsigned char)*v))
			v++;
		e = v;
		if (e > s && e[-1] == ',')
			e--;
		if (e > s)
			remote(c, RENDER_REMOTE_IMAGE, s, (size_t)(e - s));
		while (*v && *v != ',')
			v++;
	}
}

static void link_rel(struct hctx *c, const GumboElement *el)
{
	const char *rel = attr(el, "rel"), *href = attr(el, "href");
	struct buf r = BUF_INIT;

	if (rel == NULL || href == NULL)
		return;
	buf_init(&r);
	buf_adds(&r, " ");
	buf_adds(&r, rel);
	buf_adds(&r, " ");
	str_lower(r.data);
	for (char *p = r.data; *p; p++)
		if (is_space((unsigned char)*p))
			*p = ' ';
	if (strstr(r.data, " stylesheet "))
		remote(c, RENDER_REMOTE_STYLESHEET, href, strlen(href));
	else if (strstr(r.data, " icon ") || strstr(r.data, " apple-touch-icon ") ||
	         strstr(r.data, " apple-touch-icon-precomposed ") || strstr(r.data, " mask-icon "))
		remote(c, RENDER_REMOTE_ICON, href, strlen(href));
	else if (strstr(r.data, " prefetch ") || strstr(r.data, " dns-prefetch ") ||
	         strstr(r.data, " preconnect ") || strstr(r.data, " preload ") ||
	         strstr(r.data, " prerender ") || strstr(r.data, " modulepreload ") ||
	         strstr(r.data, " manifest ") || strstr(r.data, " import "))
		remote(c, RENDER_REMOTE_PREFETCH, href, strlen(href));
	if (strstr(r.data, " preload ") && attr(el, "imagesrcset") != NULL)
		srcset(c, attr(el, "imagesrcset"));
	buf_release(&r);
}

static void meta_refresh(struct hctx *c, const GumboElement *el)
{
	const char *he = attr(el, "http-equiv"), *content = attr(el, "content");
	const char *u;

	if (he == NULL || content == NULL || str_casecmp(he, "refresh") != 0)
		return;
	u = strchr(content, ';');
	if (u == NULL)
		u = strchr(content, ',');
	if (u == NULL)
		return;
	u++;
	while (is_space((unsigned char)*u))
		u++;
	if (str_ncasecmp(u, "url", 3) == 0) {
		const char *eq = u + 3;

		while (is_space((unsigned char)*eq))
			eq++;
		if (*eq == '=')
			u = eq + 1;
	}
	remote(c, RENDER_REMOTE_REFRESH, u, strlen(u));
}

/* A URL that names one reader: an address in it, or a run of letters
 * and digits that reads as a token (hex of 10+, or 16+ mixed), in the
 * path or query, not the host. */
static bool url_has_identifier(const char *u)
{
	const char *p = strstr(u, "//");

	p = p ? strpbrk(p + 2, "/?#") : strpbrk(u, "/?#");
	if (p == NULL)
		return false;
	if (strchr(p, '@') || str_memcasemem(p, strlen(p), "%40"))
		return true;
	while (*p) {
		size_t n = 0, digits = 0, upper = 0, lower = 0, hex = 0;

		while ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z')) {
			char ch = p[n];

			if (ch >= '0' && ch <= '9')
				digits++;
			else if (ch >= 'a' && ch <= 'z')
				lower++;
			else
				upper++;
			if ((ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))
				hex++;
			n++;
		}
		if (n >= 10 && digits + hex == n && digits >= 3 && hex >= 3)
			return true;
		if (n >= 16 && (digits >= 2 || (upper >= 2 && lower >= 2)))
			return true;
		p += n ? n : 1;
	}
	return false;
}

static bool is_tracker(const GumboElement *el, const struct style_info *si, bool hidden)
{
	int w = attr_px(el, "width"), h = attr_px(el, "height");

	if (si->w >= 0)
		w = si->w;
	if (si->h >= 0)
		h = si->h;
	if ((w >= 0 && w <= 2 && (h < 0 || h <= 2)) || (h >= 0 && h <= 2 && w < 0))
		return true;
	return hidden;
}

static void image(struct hctx *c, const GumboElement *el, const struct style_info *si, bool hidden)
{
	const char *src = attr(el, "src"), *alt = attr(el, "alt");
	struct render_ref *ref = remote(c, RENDER_REMOTE_IMAGE, src, src ? strlen(src) : 0);
	bool tracker = ref != NULL && (is_tracker(el, si, hidden || text_hidden(c)) ||
	                               url_has_identifier(ref->url));

	/* marked before anything else is recorded: that may move the refs */
	if (tracker) {
		ref->tracker = true;
		render_doc_add_tracker(c->d, ref->host[0] ? ref->host : "(no host)");
	}
	ref = NULL;
	srcset(c, attr(el, "srcset"));
	if (attr(el, "lowsrc"))
		remote(c, RENDER_REMOTE_IMAGE, attr(el, "lowsrc"), strlen(attr(el, "lowsrc")));
	if (attr(el, "dynsrc"))
		remote(c, RENDER_REMOTE_MEDIA, attr(el, "dynsrc"), strlen(attr(el, "dynsrc")));
	if (tracker) {
		if (!is_tracker(el, si, hidden || text_hidden(c)) && !hidden && !text_hidden(c))
			emit_literal(c, "[tracking image]");
		return;
	}
	if (hidden)
		return;
	if (alt != NULL) {
		while (is_space((unsigned char)*alt))
			alt++;
	}
	if (alt != NULL && *alt) {
		struct buf b = BUF_INIT;

		buf_init(&b);
		buf_adds(&b, "[image: ");
		for (const char *p = alt; *p; p++)
			buf_addch(&b, is_space((unsigned char)*p) ? ' ' : *p);
		buf_addch(&b, ']');
		emit_literal(c, b.data);
		buf_release(&b);
	} else {
		emit_literal(c, "[image]");
	}
}

static void push(struct hctx *c, unsigned char flags)
{
	if (c->depth == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->stack = xreallocarray(c->stack, c->cap, sizeof(*c->stack));
	}
	c->stack[c->depth].flags = flags;
	c->stack[c->depth].white = c->white;
	c->stack[c->depth].dark_bg = c->dark_bg;
	c->stack[c->depth].tiny = c->tiny;
	c->depth++;
}

/* Link text between start and the end of out, whitespace collapsed. */
static void end_link(struct hctx *c)
{
	size_t k = --c->nopen_links;
	size_t start = c->links[k].start;
	struct buf t = BUF_INIT;
	struct render_link *l;
	bool sp = false;

	if (start > c->out.len)
		start = c->out.len;
	buf_init(&t);
	for (size_t i = start; i < c->out.len; i++) {
		unsigned char ch = (unsigned char)c->out.data[i];

		if (is_space(ch)) {
			sp = t.len > 0;
			continue;
		}
		if (ch == '>' && i + 1 < c->out.len && c->out.data[i + 1] == ' ' &&
		    (i == 0 || c->out.data[i - 1] == '\n' || c->out.data[i - 1] == ' '))
			continue; /* a blockquote prefix, not link text */
		if (sp)
			buf_addch(&t, ' ');
		sp = false;
		buf_addch(&t, (char)ch);
	}
	if (c->d->nlinks >= 10000) {
		buf_release(&t);
		return;
	}
	l = render_doc_add_link(c->d, t.data, t.len, c->links[k].href, c->links[k].hlen, true);
	buf_release(&t);
	if (!text_hidden(c)) {
		char num[32];

		snprintf(num, sizeof(num), "[%u]", l->number);
		flush(c);
		buf_adds(&c->out, num);
	}
}

/* The element's name as written, for the SVG elements gumbo has no tag
 * for (use, feImage). */
static bool el_named(const GumboElement *el, const char *name)
{
	GumboStringPiece p = el->original_tag;

	if (p.data == NULL || p.length < 2)
		return false;
	gumbo_tag_from_original_text(&p);
	return p.length == strlen(name) && str_ncasecmp(p.data, name, p.length) == 0;
}

/* SVG loads through href and xlink:href (image, use, feImage, script)
 * and url() in presentation attributes (fill, filter, mask...). */
static void svg_refs(struct hctx *c, const GumboElement *el)
{
	bool loads = el->tag == GUMBO_TAG_IMAGE || el_named(el, "image") || el_named(el, "use") ||
	             el_named(el, "feimage") || el->tag == GUMBO_TAG_SCRIPT;

	for (unsigned i = 0; i < el->attributes.length; i++) {
		const GumboAttribute *a = el->attributes.data[i];

		if (loads && (str_casecmp(a->name, "href") == 0 || str_casecmp(a->name, "xlink:href") == 0)) {
			const char *h = a->value;

			/* a fragment alone is inside this document */
			if (h[0] != '#')
				remote(c, el->tag == GUMBO_TAG_SCRIPT ? RENDER_REMOTE_SCRIPT : RENDER_REMOTE_IMAGE,
				       h, strlen(h));
		} else if (str_casecmp(a->name, "style") != 0 && strstr(a->value, "(") != NULL &&
		           str_memcasemem(a->value, strlen(a->value), "url") != NULL) {
			render_css_scan(a->value, strlen(a->value), css_found, c);
		}
	}
}

static void walk(struct hctx *c, const GumboNode *root);

/* iframe srcdoc: a document of its own that a browser loads with the
 * page; its references count, its text is not shown. */
static void nested_doc(struct hctx *c, const char *html)
{
	GumboOptions opts = kGumboDefaultOptions;
	GumboOutput *g;
	struct hctx sub;
	struct buf limited = BUF_INIT;
	size_t len = strlen(html);

	if (c->nest >= 3 || len > RENDER_HTML_MAX_BYTES / 4)
		return;
	memset(&sub, 0, sizeof(sub));
	sub.d = c->d;
	sub.width = c->width;
	sub.bol = true; /* its text goes to sub.out, which is dropped */
	sub.base = c->base;
	sub.nest = c->nest + 1;
	buf_init(&sub.out);
	buf_init(&limited);
	if (render_html_limit_depth(html, len, &limited) > 0) {
		html = limited.data;
		len = limited.len;
	}
	opts.max_errors = 0;
	g = gumbo_parse_with_options(&opts, html, len);
	if (g != NULL) {
		walk(&sub, g->document);
		gumbo_destroy_output(&opts, g);
	}
	buf_release(&limited);
	for (size_t k = 0; k < RENDER_REMOTE_KINDS; k++)
		c->remote[k] += sub.remote[k];
	buf_release(&sub.out);
	free(sub.stack);
}

/* A form is listed with the links: where it sends what is typed. */
static void form_link(struct hctx *c, const GumboNode *node)
{
	const GumboElement *el = &node->v.element;
	const char *action = attr(el, "action"), *method = attr(el, "method");
	struct buf t = BUF_INIT;
	struct render_link *l;
	size_t fields = 0;
	bool password = false;
	const GumboNode *stack[64];
	size_t sp = 0;

	if (c->d->nlinks >= 10000)
		return;
	stack[sp++] = node;
	while (sp > 0) {
		const GumboNode *n = stack[--sp];

		if (n->type != GUMBO_NODE_ELEMENT)
			continue;
		if (n->v.element.tag == GUMBO_TAG_INPUT || n->v.element.tag == GUMBO_TAG_TEXTAREA ||
		    n->v.element.tag == GUMBO_TAG_SELECT) {
			const char *ty = attr(&n->v.element, "type");

			if (ty == NULL || (str_casecmp(ty, "hidden") != 0 && str_casecmp(ty, "submit") != 0 &&
			                   str_casecmp(ty, "button") != 0 && str_casecmp(ty, "image") != 0))
				fields++;
			if (ty != NULL && str_casecmp(ty, "password") == 0)
				password = true;
		}
		for (unsigned i = n->v.element.children.length; i > 0 && sp < ARRAY_SIZE(stack); i--)
			stack[sp++] = n->v.element.children.data[i - 1];
	}
	buf_init(&t);
	buf_addf(&t, "form (%s, %zu field%s%s)", method && str_casecmp(method, "post") == 0 ? "POST" : "GET",
	         fields, fields == 1 ? "" : "s", password ? ", asks for a password" : "");
	l = render_doc_add_link(c->d, t.data, t.len, action ? action : "", action ? strlen(action) : 0,
	                        false);
	l->flags |= RENDER_LINK_FORM;
	buf_release(&t);
}

/* Returns true to walk the children (and then call leave). */
static bool enter(struct hctx *c, const GumboNode *node, struct buf *norm)
{
	const GumboElement *el = &node->v.element;
	struct style_info si = { .w = -1, .h = -1 };
	struct common_attrs ca;
	unsigned char flags = EL_STYLE;
	GumboTag t = el->tag;
	const char *v;
	bool hidden = false;
	int br;

	switch (t) {
	case GUMBO_TAG_SCRIPT:
		/* never run, but a browser would fetch it */
		if ((v = attr(el, "src")) != NULL || (v = attr(el, "href")) != NULL)
			remote(c, RENDER_REMOTE_SCRIPT, v, strlen(v));
		return false;
	case GUMBO_TAG_TEMPLATE: case GUMBO_TAG_NOSCRIPT:
	case GUMBO_TAG_TITLE: case GUMBO_TAG_NOFRAMES: case GUMBO_TAG_NOEMBED:
		return false;
	case GUMBO_TAG_STYLE:
		for (unsigned i = 0; i < el->children.length; i++) {
			const GumboNode *ch = el->children.data[i];

			if (ch->type == GUMBO_NODE_TEXT || ch->type == GUMBO_NODE_WHITESPACE ||
			    ch->type == GUMBO_NODE_CDATA)
				render_css_scan(ch->v.text.text, strlen(ch->v.text.text), css_found, c);
		}
		return false;
	default:
		break;
	}
	common_attrs_read(el, &ca);
	if (el->tag_namespace == GUMBO_NAMESPACE_SVG)
		svg_refs(c, el);
	if ((v = ca.style) != NULL)
		style_read(c, v, norm, &si);
	if ((v = ca.background) != NULL)
		remote(c, RENDER_REMOTE_IMAGE, v, strlen(v));
	if (ca.hidden != NULL || si.hide)
		hidden = true;
	if (t == GUMBO_TAG_INPUT && (v = attr(el, "type")) != NULL && str_casecmp(v, "hidden") == 0)
		hidden = true;
	if (t == GUMBO_TAG_HEAD)
		hidden = true; /* walked for link, meta and style; no text */

	switch (t) {
	case GUMBO_TAG_IMG: case GUMBO_TAG_IMAGE:
		if (el->tag_namespace == GUMBO_NAMESPACE_SVG)
			return false; /* svg_refs counted its href */
		image(c, el, &si, hidden);
		return false;
	case GUMBO_TAG_INPUT:
		v = attr(el, "type");
		if (v != NULL && str_casecmp(v, "image") == 0)
			image(c, el, &si, hidden);
		else if (!hidden && v != NULL && str_casecmp(v, "password") == 0)
			emit_literal(c, "[password field]");
		else if (!hidden && v != NULL && (str_casecmp(v, "submit") == 0 || str_casecmp(v, "button") == 0))
			emit_literal(c, "[button]");
		else if (!hidden && (v == NULL || str_casecmp(v, "text") == 0 || str_casecmp(v, "email") == 0 ||
		                     str_casecmp(v, "tel") == 0 || str_casecmp(v, "number") == 0))
			emit_literal(c, "[text field]");
		return false;
	case GUMBO_TAG_LINK:
		link_rel(c, el);
		return false;
	case GUMBO_TAG_META:
		meta_refresh(c, el);
		return false;
	case GUMBO_TAG_IFRAME: case GUMBO_TAG_FRAME:
		if ((v = attr(el, "src")) != NULL)
			remote(c, RENDER_REMOTE_FRAME, v, strlen(v));
		if (t == GUMBO_TAG_IFRAME && (v = attr(el, "srcdoc")) != NULL)
			nested_doc(c, v);
		if (!hidden)
			emit_literal(c, "[frame]");
		return false;
	case GUMBO_TAG_OBJECT: case GUMBO_TAG_EMBED: case GUMBO_TAG_APPLET:
		if ((v = attr(el, "data")) || (v = attr(el, "src")) || (v = attr(el, "code")))
			remote(c, RENDER_REMOTE_OBJECT, v, strlen(v));
		if ((v = attr(el, "archive")) != NULL)
			remote(c, RENDER_REMOTE_OBJECT, v, strlen(v));
		if (t == GUMBO_TAG_EMBED)
			return false;
		break;
	case GUMBO_TAG_VIDEO: case GUMBO_TAG_AUDIO: case GUMBO_TAG_SOURCE: case GUMBO_TAG_TRACK:
		if ((v = attr(el, "src")) != NULL)
			remote(c, RENDER_REMOTE_MEDIA, v, strlen(v));
		if ((v = attr(el, "poster")) != NULL)
			remote(c, RENDER_REMOTE_IMAGE, v, strlen(v));
		srcset(c, attr(el, "srcset"));
		if (t == GUMBO_TAG_SOURCE || t == GUMBO_TAG_TRACK)
			return false;
		break;
	case GUMBO_TAG_FORM:
		if ((v = attr(el, "action")) != NULL)
			remote(c, RENDER_REMOTE_FORM, v, strlen(v));
		form_link(c, node);
		break;
	case GUMBO_TAG_BR:
		if (!text_hidden(c) && !hidden) {
			if (c->want_nl > 0)
				flush(c);
			if (trailing_newlines(&c->out) < 3)
				buf_addch(&c->out, '\n');
			c->bol = true;
			c->space = false;
		}
		return false;
	case GUMBO_TAG_HR:
		if (!text_hidden(c) && !hidden) {
			char rule[256];
			int w = c->width > 0 && c->width < (int)sizeof(rule) ? c->width : 72;

			want(c, 1);
			memset(rule, '-', (size_t)w);
			rule[w] = '\0';
			emit_literal(c, rule);
			want(c, 2);
		}
		return false;
	default:
		break;
	}

	if (hidden) {
		flags |= EL_HIDE;
		c->hide++;
	}
	push(c, 0);
	if (si.has_colour)
		c->white = si.white;
	if (si.has_bg)
		c->dark_bg = !si.bg_white;
	if ((v = ca.bgcolor) != NULL)
		c->dark_bg = !colour_is_white(v, strlen(v));
	if (t == GUMBO_TAG_FONT && (v = attr(el, "color")) != NULL)
		c->white = colour_is_white(v, strlen(v));
	if (si.tiny)
		c->tiny = true;

	br = block_breaks(t);
	if (br)
		want(c, br);
	switch (t) {
	case GUMBO_TAG_BLOCKQUOTE:
		flags |= EL_QUOTE;
		c->quote++;
		break;
	case GUMBO_TAG_PRE: case GUMBO_TAG_LISTING: case GUMBO_TAG_XMP: case GUMBO_TAG_PLAINTEXT:
		flags |= EL_PRE;
		c->pre++;
		break;
	case GUMBO_TAG_UL: case GUMBO_TAG_OL: case GUMBO_TAG_MENU: case GUMBO_TAG_DIR:
		flags |= EL_LIST;
		if (c->nlists < MAX_LISTS) {
			c->lists[c->nlists].ordered = t == GUMBO_TAG_OL;
			c->lists[c->nlists].n = 0;
			if (t == GUMBO_TAG_OL && (v = attr(el, "start")) != NULL)
				c->lists[c->nlists].n = strtol(v, NULL, 10) - 1;
		}
		c->nlists++;
		break;
	case GUMBO_TAG_LI:
		if (!text_hidden(c)) {
			char bullet[48];
			int lvl = c->nlists > 0 ? c->nlists - 1 : 0;
			size_t pos = 0;

			for (int i = 0; i < lvl && i < 8; i++)
				pos += (size_t)snprintf(bullet + pos, sizeof(bullet) - pos, "  ");
			if (c->nlists > 0 && c->nlists <= MAX_LISTS && c->lists[c->nlists - 1].ordered)
				snprintf(bullet + pos, sizeof(bullet) - pos, "%ld. ",
				         ++c->lists[c->nlists - 1].n);
			else
				snprintf(bullet + pos, sizeof(bullet) - pos, "* ");
			emit_literal(c, bullet);
		}
		break;
	case GUMBO_TAG_TR:
		c->cells_with_text = 0;
		break;
	case GUMBO_TAG_TD: case GUMBO_TAG_TH:
		c->cell_fresh = true;
		break;
	case GUMBO_TAG_A: case GUMBO_TAG_AREA:
		if ((v = attr(el, "href")) != NULL && c->nopen_links < MAX_LINKS_OPEN) {
			c->links[c->nopen_links].start = c->out.len;
			c->links[c->nopen_links].href = v;
			c->links[c->nopen_links].hlen = strlen(v);
			c->nopen_links++;
			flags |= EL_LINK;
			if (c->space && !text_hidden(c)) {
				/* the space before the link is not part of its text */
				flush(c);
				if (c->space)
					buf_addch(&c->out, ' ');
				c->space = false;
				c->links[c->nopen_links - 1].start = c->out.len;
			}
		}
		break;
	default:
		break;
	}
	c->stack[c->depth - 1].flags = flags;
	return true;
}

static void leave(struct hctx *c, const GumboNode *node)
{
	const struct el_state *st;
	GumboTag t = node->v.element.tag;
	int br = block_breaks(t);

	if (c->depth == 0)
		return;
	st = &c->stack[--c->depth];
	if (st->flags & EL_LINK)
		end_link(c);
	if (st->flags & EL_QUOTE) {
		want(c, 2);
		c->quote--;
	}
	if (st->flags & EL_PRE)
		c->pre--;
	if (st->flags & EL_LIST)
		c->nlists--;
	if (st->flags & EL_HIDE)
		c->hide--;
	if (t == GUMBO_TAG_TD || t == GUMBO_TAG_TH)
		c->cell_fresh = false;
	c->white = st->white;
	c->dark_bg = st->dark_bg;
	c->tiny = st->tiny;
	if (br)
		want(c, br);
}

static const GumboVector *children_of(const GumboNode *n)
{
	if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE)
		return &n->v.element.children;
	if (n->type == GUMBO_NODE_DOCUMENT)
		return &n->v.document.children;
	return NULL;
}

/* Iterative walk: the tree can be as deep as the parser allows, the C
 * stack is not. */
static void walk(struct hctx *c, const GumboNode *root)
{
	struct buf norm = BUF_INIT;
	const GumboVector *kids = children_of(root);
	const GumboNode *cur = kids && kids->length ? kids->data[0] : NULL;

	buf_init(&norm);
	while (cur != NULL) {
		bool descend = false;

		switch (cur->type) {
		case GUMBO_NODE_TEXT: case GUMBO_NODE_WHITESPACE: case GUMBO_NODE_CDATA:
			emit_text(c, cur->v.text.text, strlen(cur->v.text.text));
			break;
		case GUMBO_NODE_ELEMENT: case GUMBO_NODE_TEMPLATE:
			descend = enter(c, cur, &norm);
			break;
		default:
			break;
		}
		if (descend) {
			kids = children_of(cur);
			if (kids->length > 0) {
				cur = kids->data[0];
				continue;
			}
			leave(c, cur);
		}
		/* Next sibling, or climb (leaving each parent) until one has one. */
		while (cur != NULL) {
			const GumboNode *parent = cur->parent;
			size_t idx = cur->index_within_parent;

			if (parent == NULL || cur == root) {
				cur = NULL;
				break;
			}
			kids = children_of(parent);
			if (kids == NULL) {
				cur = NULL;
				break;
			}
			if (idx >= kids->length || kids->data[idx] != cur) {
				idx = 0;
				while (idx < kids->length && kids->data[idx] != cur)
					idx++;
			}
			if (idx + 1 < kids->length) {
				cur = kids->data[idx + 1];
				break;
			}
			cur = parent;
			if (cur == root) {
				cur = NULL;
				break;
			}
			leave(c, cur);
		}
	}
	buf_release(&norm);
}

/* ---------------------------------------------------- before the parser */

/* Tag names with their lengths: limit_depth looks at every tag, and
 * comparing the length first rules out almost every name at once. */
struct tag_name {
	const char *s;
	size_t n;
};
#define TAG_NAME(lit) { lit, sizeof(lit) - 1 }

static bool tag_is(const struct tag_name *t, const char *name, size_t n)
{
	return t->n == n && ((unsigned char)name[0] | 0x20) == (unsigned char)t->s[0] &&
	       str_ncasecmp(t->s, name, n) == 0;
}

/* Void elements and those whose end tag may be left out, by first
 * letter: limit_depth asks this for every tag, so it looks at only the
 * few names that could match. */
static bool void_or_optional(const char *name, size_t n)
{
	static const struct tag_name none[] = { { NULL, 0 } };
	static const struct tag_name a[] = { TAG_NAME("area"), { NULL, 0 } };
	static const struct tag_name b[] = { TAG_NAME("base"), TAG_NAME("br"), TAG_NAME("basefont"),
		                             TAG_NAME("bgsound"), TAG_NAME("body"), { NULL, 0 } };
	static const struct tag_name c[] = { TAG_NAME("col"), TAG_NAME("colgroup"), { NULL, 0 } };
	static const struct tag_name d[] = { TAG_NAME("dt"), TAG_NAME("dd"), { NULL, 0 } };
	static const struct tag_name e[] = { TAG_NAME("embed"), { NULL, 0 } };
	static const struct tag_name f[] = { TAG_NAME("frame"), { NULL, 0 } };
	static const struct tag_name h[] = { TAG_NAME("hr"), TAG_NAME("html"), TAG_NAME("head"),
		                             { NULL, 0 } };
	static const struct tag_name i[] = { TAG_NAME("img"), TAG_NAME("input"), TAG_NAME("image"),
		                             { NULL, 0 } };
	static const struct tag_name k[] = { TAG_NAME("keygen"), { NULL, 0 } };
	static const struct tag_name l[] = { TAG_NAME("link"), TAG_NAME("li"), { NULL, 0 } };
	static const struct tag_name m[] = { TAG_NAME("meta"), { NULL, 0 } };
	static const struct tag_name o[] = { TAG_NAME("option"), TAG_NAME("optgroup"), { NULL, 0 } };
	static const struct tag_name p[] = { TAG_NAME("param"), TAG_NAME("p"), { NULL, 0 } };
	static const struct tag_name r[] = { TAG_NAME("rt"), TAG_NAME("rp"), { NULL, 0 } };
	static const struct tag_name s[] = { TAG_NAME("source"), { NULL, 0 } };
	static const struct tag_name t[] = { TAG_NAME("track"), TAG_NAME("td"), TAG_NAME("th"),
		                             TAG_NAME("tr"), TAG_NAME("tbody"), TAG_NAME("thead"),
		                             TAG_NAME("tfoot"), { NULL, 0 } };
	static const struct tag_name w[] = { TAG_NAME("wbr"), { NULL, 0 } };
	static const struct tag_name *const by_letter[26] = {
		a, b, c, d, e, f, none, h, i, none, k, l, m, none, o, p, none, r, s, t, none,
		none, w, none, none, none,
	};
	unsigned char first = (unsigned char)name[0] | 0x20;

	if (first < 'a' || first > 'z')
		return false;
	for (const struct tag_name *tn = by_letter[first - 'a']; tn->s != NULL; tn++)
		if (tag_is(tn, name, n))
			return true;
	return false;
}

/*
 * The parser's time grows with the square of the nesting depth (100k
 * nested divs: 20 s).  This pass estimates the depth the way the parser
 * will build it and drops the tags that would go deeper than the limit,
 * keeping all the text.  It is an estimate: a wrong guess only costs a
 * dropped tag, never text or a reference.
 */
size_t render_html_limit_depth(const char *in, size_t len, struct buf *out)
{
	size_t i = 0, copied = 0, dropped = 0;
	long depth = 0;

	/* Each level is opened by a '<': with no more of them than the limit,
	 * nothing can go deeper (most mails), and counting them is cheap. */
	{
		const char *p = in, *end = in + len;
		size_t lts = 0;

		while (lts <= RENDER_HTML_MAX_DEPTH && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
			lts++;
			p++;
		}
		if (lts <= RENDER_HTML_MAX_DEPTH)
			return 0;
	}

	while (i < len) {
		const char *lt = memchr(in + i, '<', len - i);
		size_t s, ns, ne;
		bool end_tag;

		if (lt == NULL)
			break;
		s = (size_t)(lt - in);
		i = s + 1;
		if (i < len && in[i] == '!') {
			const char *e;

			if (len - i >= 3 && in[i + 1] == '-' && in[i + 2] == '-')
				e = str_memcasemem(in + i + 3, len - i - 3, "-->");
			else
				e = memchr(in + i, '>', len - i);
			i = e ? (size_t)(e - in) + 1 : len;
			continue;
		}
		end_tag = i < len && in[i] == '/';
		if (end_tag)
			i++;
		ns = i;
		while (i < len && ((in[i] >= 'a' && in[i] <= 'z') || (in[i] >= 'A' && in[i] <= 'Z') ||
		                   (i > ns && in[i] >= '0' && in[i] <= '9')))
			i++;
		ne = i;
		if (ne == ns)
			continue;
		/* To the end of the tag; quotes matter only after '='. */
		{
			char q = 0;
			bool eq = false;

			while (i < len) {
				char ch = in[i];

				if (q) {
					if (ch == q)
						q = 0;
				} else if (ch == '>') {
					break;
				} else if (eq && (ch == '"' || ch == '\'')) {
					q = ch;
				}
				if (!q)
					eq = ch == '=' || (eq && is_space((unsigned char)ch));
				i++;
			}
			if (i < len)
				i++;
		}
		if (!end_tag) {
			static const struct tag_name raw[] = {
				TAG_NAME("script"), TAG_NAME("style"), TAG_NAME("textarea"),
				TAG_NAME("title"), TAG_NAME("xmp"), TAG_NAME("iframe"),
				TAG_NAME("noembed"), TAG_NAME("noframes"),
			};
			bool self_closing = i >= 2 && in[i - 2] == '/';

			for (size_t k = 0; k < ARRAY_SIZE(raw); k++) {
				if (tag_is(&raw[k], in + ns, ne - ns)) {
					char close[16];
					const char *e;

					snprintf(close, sizeof(close), "</%s", raw[k].s);
					e = str_memcasemem(in + i, len - i, close);
					i = e ? (size_t)(e - in) : len;
					break;
				}
			}
			if (self_closing || void_or_optional(in + ns, ne - ns))
				continue;
			depth++;
			if (depth > RENDER_HTML_MAX_DEPTH) {
				buf_add(out, in + copied, s - copied);
				copied = i;
				dropped++;
			}
		} else {
			if (void_or_optional(in + ns, ne - ns))
				continue;
			if (depth > RENDER_HTML_MAX_DEPTH) {
				buf_add(out, in + copied, s - copied);
				copied = i;
			}
			if (depth > 0)
				depth--;
		}
	}
	if (dropped > 0)
		buf_add(out, in + copied, len - copied);
	return dropped;
}

/*
 * The squeeze: the parser spends most of its time per character, and a
 * run of whitespace in text costs a token per byte although the renderer
 * collapses it to one space (emit_text).  Runs are cut to their first byte
 * before the parse, only where the parser would read them as text in the
 * data state.  To know where that is, the tokenizer's own states are
 * followed (HTML5 13.2.5, as gumbo implements them): tags with their
 * quoted attribute values, comments, bogus comments, doctypes, and the
 * raw text of style, xmp, iframe, noembed, noframes, title and textarea
 * up to their exact end tag, script data to its end tag when no "<!--"
 * comes before it.  Comments, the text of elements the walk never enters
 * and the quoted values of attributes nothing reads (but on formatting
 * elements, whose attributes the parser compares) go to the parser
 * empty.  After an element where whitespace counts (pre, listing,
 * plaintext), whose text is read by other rules (svg, math), or where the
 * tree builder may ignore a raw-text start tag (select, frameset,
 * template, noscript), the rest is left as it came.
 */
static bool is_alpha_ascii(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* The squeeze's output: in[copied..] not yet written out. */
struct sq {
	struct buf *out;
	size_t copied, removed;
};

/* Drop in[from, to) from the output. */
static void sq_cut(struct sq *z, const char *in, size_t from, size_t to)
{
	buf_add(z->out, in + z->copied, from - z->copied);
	z->copied = to;
	z->removed += to - from;
}

/* Attributes whose value nothing reads: presentation the text does not
 * show (font faces, alignment, borders, titles, classes) and handlers
 * that are never run.  The attribute stays, with an empty value. */
static bool sq_unread_attr(const char *name, size_t n)
{
	static const struct tag_name unread[] = {
		TAG_NAME("face"), TAG_NAME("title"), TAG_NAME("align"), TAG_NAME("valign"),
		TAG_NAME("class"), TAG_NAME("id"), TAG_NAME("border"), TAG_NAME("cellpadding"),
		TAG_NAME("cellspacing"), TAG_NAME("target"), TAG_NAME("bordercolor"), TAG_NAME("lang"),
		TAG_NAME("onmouseover"), TAG_NAME("onmouseout"), TAG_NAME("onclick"),
	};

	for (size_t k = 0; k < ARRAY_SIZE(unread); k++)
		if (tag_is(&unread[k], name, n))
			return true;
	return false;
}

/* The formatting elements: the parser compares their attributes, values
 * and all, to keep at most three equal ones open (the Noah's Ark clause),
 * so their attributes must reach it as they came. */
static bool sq_formatting(const char *name, size_t n)
{
	static const struct tag_name fmt[] = {
		TAG_NAME("a"), TAG_NAME("b"), TAG_NAME("big"), TAG_NAME("code"), TAG_NAME("em"),
		TAG_NAME("font"), TAG_NAME("i"), TAG_NAME("nobr"), TAG_NAME("s"), TAG_NAME("small"),
		TAG_NAME("strike"), TAG_NAME("strong"), TAG_NAME("tt"), TAG_NAME("u"),
	};

	for (size_t k = 0; k < ARRAY_SIZE(fmt); k++)
		if (tag_is(&fmt[k], name, n))
			return true;
	return false;
}

/* Where a tag ends, from the byte that ended its name: a '>' ends it
 * outside a quoted value, and a value is quoted only when the quote comes
 * first after its '=' (before/after attribute name, value states).
 * With cut_attrs, quoted values of unread attributes are cut on the way. */
static size_t sq_tag_end(const char *in, size_t len, size_t i, struct sq *z, bool cut_attrs)
{
	enum { T_BEFORE, T_NAME, T_AFTER_NAME, T_BEFORE_VALUE, T_DQ, T_SQ, T_UNQ, T_AFTER_QUOTED,
	       T_SELF } st;
	size_t ns = 0, ne = 0; /* the attribute name last read */

	if (i >= len)
		return len;
	if (in[i] == '>')
		return i + 1;
	st = in[i] == '/' ? T_SELF : T_BEFORE;
	for (i++; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		bool ws = is_space(ch);

		switch (st) {
		case T_BEFORE:
			if (ch == '>')
				return i + 1;
			if (!ws && ch == '/') {
				st = T_SELF;
			} else if (!ws) {
				st = T_NAME;
				ns = i;
			}
			break;
		case T_NAME:
			if (ch == '>')
				return i + 1;
			if (ws || ch == '/' || ch == '=')
				ne = i;
			if (ws)
				st = T_AFTER_NAME;
			else if (ch == '/')
				st = T_SELF;
			else if (ch == '=')
				st = T_BEFORE_VALUE;
			break;
		case T_AFTER_NAME:
			if (ch == '>')
				return i + 1;
			if (ch == '/') {
				st = T_SELF;
			} else if (ch == '=') {
				st = T_BEFORE_VALUE;
			} else if (!ws) {
				st = T_NAME;
				ns = i;
			}
			break;
		case T_BEFORE_VALUE:
			if (ch == '>')
				return i + 1;
			if (ch == '"')
				st = T_DQ;
			else if (ch == '\'')
				st = T_SQ;
			else if (!ws)
				st = T_UNQ;
			break;
		case T_DQ:
		case T_SQ: {
			/* values are the long part of a tag (URLs, styles) */
			const char *q = memchr(in + i, st == T_DQ ? '"' : '\'', len - i);

			if (q == NULL)
				return len;
			/* after white space the whole attribute goes (what follows
			 * starts a name either way); else just its value */
			if (cut_attrs && sq_unread_attr(in + ns, ne - ns)) {
				if (ns > 0 && is_space((unsigned char)in[ns - 1]) && ns >= z->copied)
					sq_cut(z, in, ns, (size_t)(q - in) + 1);
				else if ((size_t)(q - in) > i)
					sq_cut(z, in, i, (size_t)(q - in));
			}
			i = (size_t)(q - in);
			st = T_AFTER_QUOTED;
			break;
		}
		case T_UNQ:
			if (ch == '>')
				return i + 1;
			if (ws)
				st = T_BEFORE;
			break;
		case T_AFTER_QUOTED:
		case T_SELF:
			if (ch == '>')
				return i + 1;
			/* anything else is read again as before an attribute name */
			st = ws ? T_BEFORE : ch == '/' ? T_SELF : T_NAME;
			if (st == T_NAME)
				ns = i;
			break;
		}
	}
	return len;
}

/* Where a comment ends, from the byte after "<!--" (comment start, start
 * dash, comment, end dash, end, end bang): "-->", "--!>", or at once for
 * "<!-->" and "<!--->".  *whole: it ended with "-->" or "--!>". */
static size_t sq_comment_end(const char *in, size_t len, size_t i, bool *whole)
{
	enum { C_START, C_START_DASH, C_BODY, C_END_DASH, C_END, C_BANG } st = C_START;

	*whole = false;
	for (; i < len; i++) {
		const char *dash;

		switch (st) {
		case C_START:
		case C_START_DASH:
			if (in[i] == '>')
				return i + 1;
			st = in[i] != '-' ? C_BODY : st == C_START ? C_START_DASH : C_END;
			break;
		case C_BODY:
			/* only a dash leaves the comment state */
			if ((dash = memchr(in + i, '-', len - i)) == NULL)
				return len;
			i = (size_t)(dash - in);
			st = C_END_DASH;
			break;
		case C_END_DASH:
			st = in[i] == '-' ? C_END : C_BODY;
			break;
		case C_END:
			if (in[i] == '>') {
				*whole = true;
				return i + 1;
			}
			if (in[i] == '!')
				st = C_BANG;
			else if (in[i] != '-')
				st = C_BODY;
			break;
		case C_BANG:
			if (in[i] == '>') {
				*whole = true;
				return i + 1;
			}
			st = in[i] == '-' ? C_END_DASH : C_BODY;
			break;
		}
	}
	return len;
}

/* The start of the end tag that closes raw text opened by a start tag
 * named name: "</" name, then whitespace, '/' or '>'; len when none. */
static size_t sq_raw_end(const char *in, size_t len, size_t i, const char *name, size_t n)
{
	while (i < len) {
		const char *lt = memchr(in + i, '<', len - i);
		size_t k, e;

		if (lt == NULL)
			return len;
		k = (size_t)(lt - in);
		if (k + 1 < len && in[k + 1] == '/') {
			for (e = k + 2; e < len && is_alpha_ascii((unsigned char)in[e]); e++)
				;
			if (e - k - 2 == n && e < len && str_ncasecmp(in + k + 2, name, n) == 0 &&
			    (is_space((unsigned char)in[e]) || in[e] == '/' || in[e] == '>'))
				return k;
		}
		i = k + 1;
	}
	return len;
}

size_t render_html_squeeze(const char *in, size_t len, struct buf *out)
{
	static const struct tag_name stop[] = {
		TAG_NAME("pre"), TAG_NAME("listing"), TAG_NAME("plaintext"), TAG_NAME("svg"),
		TAG_NAME("math"), TAG_NAME("select"), TAG_NAME("frameset"), TAG_NAME("template"),
		TAG_NAME("noscript"),
	};
	/* the first RAW_READ are read (style for its URLs, xmp and textarea
	 * shown); the walk never enters the rest */
	enum { RAW_READ = 3 };
	static const struct tag_name raw[] = {
		TAG_NAME("style"), TAG_NAME("xmp"), TAG_NAME("textarea"), TAG_NAME("iframe"),
		TAG_NAME("noembed"), TAG_NAME("noframes"), TAG_NAME("title"),
	};
	static const struct tag_name script = TAG_NAME("script");
	/* 1: whitespace, 2: '<'; the rest of the text is skipped unread */
	static const unsigned char cls[256] = {
		['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1, ['<'] = 2,
	};
	struct sq z = { out, 0, 0 };
	size_t i = 0;

	while (i < len) {
		unsigned char ch;
		size_t ns, ne;
		bool stopped = false, special;

		while (i < len && cls[(unsigned char)in[i]] == 0)
			i++;
		if (i >= len)
			break;
		ch = (unsigned char)in[i];
		if (is_space(ch)) {
			size_t e = i + 1;

			while (e < len && is_space((unsigned char)in[e]))
				e++;
			if (e - i > 1)
				sq_cut(&z, in, i + 1, e);
			i = e;
			continue;
		}
		if (ch != '<' || i + 1 >= len) {
			i++;
			continue;
		}
		ch = (unsigned char)in[i + 1];
		if (ch == '!') {
			if (i + 3 < len && in[i + 2] == '-' && in[i + 3] == '-') {
				bool whole;
				size_t e = sq_comment_end(in, len, i + 4, &whole);

				/* Nothing reads a comment's text (it makes no node the
				 * renderer looks at, in any insertion mode), so a whole
				 * one goes to the parser empty. */
				if (whole && e - i > 7) {
					sq_cut(&z, in, i + 4, e);
					buf_add(out, "-->", 3);
					z.removed -= 3;
				}
				i = e;
			} else {
				/* doctype or bogus comment: to the first '>' */
				const char *gt = memchr(in + i + 2, '>', len - i - 2);

				i = gt ? (size_t)(gt - in) + 1 : len;
			}
			continue;
		}
		if (ch == '?') {
			const char *gt = memchr(in + i + 2, '>', len - i - 2);

			i = gt ? (size_t)(gt - in) + 1 : len;
			continue;
		}
		if (ch == '/') {
			if (i + 2 < len && is_alpha_ascii((unsigned char)in[i + 2])) {
				for (ne = i + 3; ne < len && !is_space((unsigned char)in[ne]) && in[ne] != '/' &&
				                 in[ne] != '>'; ne++)
					;
				i = sq_tag_end(in, len, ne, &z, true); /* an end tag's are dropped */
			} else if (i + 2 < len && in[i + 2] == '>') {
				i += 3;
			} else if (i + 2 < len) {
				const char *gt = memchr(in + i + 2, '>', len - i - 2);

				i = gt ? (size_t)(gt - in) + 1 : len;
			} else {
				i = len;
			}
			continue;
		}
		if (!is_alpha_ascii(ch)) {
			i++;
			continue;
		}
		ns = i + 1;
		for (ne = ns + 1; ne < len && !is_space((unsigned char)in[ne]) && in[ne] != '/' &&
		                  in[ne] != '>'; ne++)
			;
		/* every name below has 3 letters or more and starts with one of
		 * these: most tags (a, p, td, br, div, font...) are ruled out */
		special = ne - ns >= 3 && strchr("filmnpstx", in[ns] | 0x20) != NULL;
		for (size_t k = 0; special && k < ARRAY_SIZE(stop) && !stopped; k++)
			stopped = tag_is(&stop[k], in + ns, ne - ns);
		if (stopped)
			break;
		i = sq_tag_end(in, len, ne, &z, !sq_formatting(in + ns, ne - ns));
		for (size_t k = 0; special && k < ARRAY_SIZE(raw); k++) {
			if (tag_is(&raw[k], in + ns, ne - ns)) {
				size_t e = sq_raw_end(in, len, i, raw[k].s, raw[k].n);

				if (k >= RAW_READ && e < len && e > i)
					sq_cut(&z, in, i, e);
				i = e;
				break;
			}
		}
		if (special && tag_is(&script, in + ns, ne - ns)) {
			/* Script data ends at its first end tag unless a "<!--"
			 * comes first (the escaped states); then nothing more.
			 * Its text is never read either. */
			size_t e = sq_raw_end(in, len, i, "script", 6);

			if (e >= len || str_memcasemem(in + i, e - i, "<!--") != NULL)
				break;
			if (e > i)
				sq_cut(&z, in, i, e);
			i = e;
		}
	}
	if (z.removed > 0)
		buf_add(out, in + z.copied, len - z.copied);
	return z.removed;
}

/* The first <base href> in tree order that is an absolute URL: a mail
 * has no address of its own, so a relative base resolves to nothing. */
static const char *find_base(const GumboNode *n, int depth)
{
	const GumboVector *kids = children_of(n);

	if (n->type == GUMBO_NODE_ELEMENT && n->v.element.tag == GUMBO_TAG_BASE) {
		const char *h = attr(&n->v.element, "href");
		size_t sl;

		if (h == NULL)
			return NULL;
		while ((unsigned char)*h <= ' ' && *h)
			h++;
		sl = render_url_scheme(h, strlen(h));
		if (sl > 0 && (str_ncasecmp(h, "http:", 5) == 0 || str_ncasecmp(h, "https:", 6) == 0 ||
		               str_ncasecmp(h, "ftp:", 4) == 0))
			return h;
		return NULL;
	}
	if (kids == NULL || depth > RENDER_HTML_MAX_DEPTH + 10)
		return NULL;
	for (unsigned i = 0; i < kids->length; i++) {
		const GumboNode *k = kids->data[i];
		const char *b;

		if (k->type == GUMBO_NODE_ELEMENT && k->v.element.tag == GUMBO_TAG_BASE &&
		    attr(&k->v.element, "href") == NULL)
			continue; /* a base without href does not count */
		if ((b = find_base(k, depth + 1)) != NULL)
			return b;
	}
	return NULL;
}

static const char *plural(enum render_remote_kind k, size_t n)
{
	static const char *const many[RENDER_REMOTE_KINDS] = {
		"images", "stylesheets", "fonts", "frames", "objects", "media",
		"prefetches", "icons", "refreshes", "forms", "external bodies", "scripts",
	};

	return n == 1 ? render_remote_kind_name(k) : many[k];
}

static void add_notices(struct render_doc *d, const struct hctx *c, size_t trackers0,
                        size_t cut, size_t dropped)
{
	struct buf notice = BUF_INIT;
	size_t total = 0;
	bool first = true;

	for (size_t k = 0; k < RENDER_REMOTE_KINDS; k++) {
		d->remote[k] += c->remote[k];
		total += c->remote[k];
	}
	buf_init(&notice);
	if (total > 0) {
		buf_addf(&notice, "[wary blocked %zu remote reference%s: ", total, total == 1 ? "" : "s");
		for (size_t k = 0; k < RENDER_REMOTE_KINDS; k++) {
			if (c->remote[k] == 0)
				continue;
			buf_addf(&notice, "%s%zu %s", first ? "" : ", ", c->remote[k],
			         plural((enum render_remote_kind)k, c->remote[k]));
			first = false;
		}
		if (d->ntrackers > trackers0) {
			buf_addf(&notice, "; tracking pixel%s from ", d->ntrackers - trackers0 > 1 ? "s" : "");
			for (size_t k = trackers0; k < d->ntrackers; k++)
				buf_addf(&notice, "%s%s", k > trackers0 ? ", " : "", d->trackers[k]);
		}
		buf_addch(&notice, ']');
		render_doc_add_line(d, RENDER_NOTICE, notice.data, notice.len);
	}
	buf_release(&notice);
	d->hidden += c->hidden;
	if (c->hidden > 0)
		render_doc_addf(d, RENDER_NOTICE, "[wary dropped %zu piece%s of hidden text]",
		                c->hidden, c->hidden == 1 ? "" : "s");
	if (cut > 0)
		render_doc_addf(d, RENDER_NOTICE, "[wary rendered the first %u MB of %zu MB of HTML]",
		                RENDER_HTML_MAX_BYTES >> 20, (cut + (1u << 20) - 1) >> 20);
	if (dropped > 0)
		render_doc_addf(d, RENDER_NOTICE, "[wary flattened HTML nested deeper than %d levels]",
		                RENDER_HTML_MAX_DEPTH);
}

int render_html_into(struct render_doc *d, const char *html, size_t len, int width,
                     char *err, size_t errlen)
{
	GumboOptions opts = kGumboDefaultOptions;
	GumboOutput *g = NULL;
	struct hctx c;
	struct buf limited = BUF_INIT, squeezed = BUF_INIT;
	struct arena arena = { NULL };
	size_t cut = 0, dropped, trackers0 = d->ntrackers, links0 = d->nlinks;
	bool footnotes = false;
	int rc = WARY_OK;

	memset(&c, 0, sizeof(c));
	c.d = d;
	c.width = width > 0 ? width : 80;
	c.bol = true;
	buf_init(&c.out);
	buf_init(&limited);
	buf_init(&squeezed);
	if (len > RENDER_HTML_MAX_BYTES) {
		cut = len;
		len = RENDER_HTML_MAX_BYTES;
	}
	dropped = render_html_limit_depth(html, len, &limited);
	if (dropped > 0) {
		html = limited.data;
		len = limited.len;
	}
	if (!d->html_exact && render_html_squeeze(html, len, &squeezed) > 0) {
		html = squeezed.data;
		len = squeezed.len;
	}
	opts.max_errors = 0; /* collecting parse errors costs time we do not spend */
	opts.allocator = arena_alloc;
	opts.deallocator = arena_free_one;
	opts.userdata = &arena;
	g = gumbo_parse_with_options(&opts, html, len);
	if (g == NULL) {
		rc = err_set(err, errlen, WARY_EPARSE, "HTML parser failed");
		goto out;
	}
	c.base = find_base(g->document, 0);
	d->base = c.base;
	walk(&c, g->document);
	d->base = NULL;
	add_notices(d, &c, trackers0, cut, dropped);
	while (c.out.len > 0 && c.out.data[c.out.len - 1] == '\n')
		buf_truncate(&c.out, c.out.len - 1);
	if (c.out.len > 0)
		render_doc_add_body(d, c.out.data, c.out.len, true);
	for (size_t i = links0; i < d->nlinks; i++) {
		const struct render_link *l = &d->links[i];

		if (l->number == 0)
			continue;
		if (!footnotes)
			render_doc_add_safe(d, RENDER_BODY, "", 0);
		footnotes = true;
		/* href is already safe; the number is ours */
		{
			char num[16];
			int nl = snprintf(num, sizeof(num), "[%u] ", l->number);

			buf_reset(&c.out);
			buf_add(&c.out, num, (size_t)nl);
			buf_adds(&c.out, l->href);
			render_doc_add_safe(d, RENDER_LINK, c.out.data, c.out.len);
			/* what is deceptive about it, under the target, in wary's words */
			if ((l->flags & RENDER_LINK_DECEPTIVE) && l->detail[0]) {
				buf_reset(&c.out);
				buf_adds(&c.out, "    [wary: ");
				buf_adds(&c.out, l->detail); /* already safe */
				buf_addch(&c.out, ']');
				render_doc_add_safe(d, RENDER_NOTICE, c.out.data, c.out.len);
			}
		}
	}
out:
	arena_release(&arena); /* the whole parse tree */
	buf_release(&limited);
	buf_release(&squeezed);
	buf_release(&c.out);
	free(c.stack);
	return rc;
}

int render_html(const char *html, size_t len, int width, struct render_doc **out,
                char *err, size_t errlen)
{
	struct render_doc *d = render_doc_new();
	int rc = render_html_into(d, html, len, width, err, errlen);

	if (rc != WARY_OK) {
		render_free(&d);
		return rc;
	}
	*out = d;
	return WARY_OK;
}

int render_html_to_text(const char *html, size_t len, int width, struct buf *out,
                        char *err, size_t errlen)
{
	struct render_doc *d = NULL;
	int rc = render_html(html, len, width, &d, err, errlen);

	if (rc != WARY_OK)
		return rc;
	for (size_t i = 0; i < d->nlines; i++) {
		buf_adds(out, d->text.data + d->lines[i].off);
		buf_addch(out, '\n');
	}
	render_free(&d);
	return WARY_OK;
}
