/*
 * HTML for the tokenizer: a small lexer, not a full HTML5 parse.  The
 * filter needs the text a reader sees, the text a reader does not see
 * (display:none, white on white, 1px fonts, comments) kept apart, the
 * tags and attributes spam tools leave, and every URL.  It meets every
 * message a user receives, on arrival and in batch training, so it must
 * be much cheaper than the renderer's tree (gumbo); the pager's view of
 * hidden text is render's, this one only decides what is evidence.
 *
 * Inline tags and comments do not break words ("Vi<b></b>agra" is read as
 * a browser shows it, "Viagra"); block tags do.
 */
#include "spam/spam_int.h"

#define MAX_STACK 64
#define MAX_ATTRS 32

struct el {
	char name[16];
	bool hidden;
	char fg[8], bg[8]; /* "#rrggbb" or "" */
};

struct hx {
	struct spam_toks *t;
	const struct spam_tok_opts *opts;
	struct buf vis, hid;
	struct el stack[MAX_STACK];
	size_t depth;
	size_t images, numeric_letters;
	bool tag_split;
	bool last_hidden; /* the last text went to hid */
};

static const struct el *top(const struct hx *h)
{
	return h->depth ? &h->stack[h->depth - 1] : NULL;
}

static bool cur_hidden(const struct hx *h)
{
	const struct el *e = top(h);

	return e && e->hidden;
}

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Colour to "#rrggbb" (names spam uses, #rgb, #rrggbb, rgb(...)); "" else. */
static void norm_color(const char *v, size_t len, char out[8])
{
	char tmp[32];
	size_t n = 0;

	out[0] = '\0';
	while (len && (*v == ' ' || *v == '"' || *v == '\'')) {
		v++;
		len--;
	}
	for (size_t i = 0; i < len && n < sizeof(tmp) - 1; i++) {
		char c = v[i];

		if (c == ' ' || c == '"' || c == '\'' || c == ';' || c == '!')
			break;
		tmp[n++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	tmp[n] = '\0';
	if (strcmp(tmp, "white") == 0 || strcmp(tmp, "#fff") == 0) {
		memcpy(out, "#ffffff", 8);
	} else if (strcmp(tmp, "black") == 0 || strcmp(tmp, "#000") == 0) {
		memcpy(out, "#000000", 8);
	} else if (n == 7 && tmp[0] == '#') {
		memcpy(out, tmp, 8);
	} else if (n == 6 && strspn(tmp, "0123456789abcdef") == 6) {
		out[0] = '#';
		memcpy(out + 1, tmp, 7);
	} else if (n == 4 && tmp[0] == '#') {
		out[0] = '#';
		for (int i = 0; i < 3; i++)
			out[1 + 2 * i] = out[2 + 2 * i] = tmp[1 + i];
		out[7] = '\0';
	} else if (strncmp(tmp, "rgb(255,255,255", 15) == 0) {
		memcpy(out, "#ffffff", 8);
	}
}

static void decode_entity(struct hx *h, struct buf *b, const char **pp, const char *end)
{
	const char *p = *pp + 1;
	static const struct { const char *n; uint32_t cp; } ents[] = {
		{ "nbsp", 0xa0 }, { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' }, { "copy", 0xa9 }, { "reg", 0xae }, { "shy", 0xad },
		{ "zwnj", 0x200c }, { "zwj", 0x200d }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
		{ "euro", 0x20ac }, { "pound", 0xa3 }, { "trade", 0x2122 }, { "bull", 0x2022 },
	};

	if (p < end && *p == '#') {
		uint32_t cp = 0;
		bool hex = false;
		const char *q = p + 1;
		int digits = 0;

		if (q < end && (*q == 'x' || *q == 'X')) {
			hex = true;
			q++;
		}
		while (q < end && digits < 8) {
			int d;

			if (*q >= '0' && *q <= '9')
				d = *q - '0';
			else if (hex && *q >= 'a' && *q <= 'f')
				d = *q - 'a' + 10;
			else if (hex && *q >= 'A' && *q <= 'F')
				d = *q - 'A' + 10;
			else
				break;
			cp = cp * (hex ? 16 : 10) + (uint32_t)d;
			q++;
			digits++;
		}
		if (digits > 0) {
			if (q < end && *q == ';')
				q++;
			if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				cp = 0xfffd;
			if (cp < 0x80 && ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')))
				h->numeric_letters++;
			utf8_encode(b, cp);
			*pp = q;
			return;
		}
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(ents); i++) {
			size_t nl = strlen(ents[i].n);

			if ((size_t)(end - p) >= nl && memcmp(p, ents[i].n, nl) == 0) {
				const char *q = p + nl;

				if (q < end && *q == ';')
					q++;
				utf8_encode(b, ents[i].cp);
				*pp = q;
				return;
			}
		}
	}
	buf_addch(b, '&');
	*pp = *pp + 1;
}

static bool name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

static const char *const inline_tags[] = {
	"a", "b", "i", "u", "s", "em", "strong", "span", "font", "small", "big", "sub", "sup",
	"tt", "code", "abbr", "acronym", "cite", "q", "strike", "del", "ins", "mark", "o:p", NULL,
};
static const char *const void_tags[] = {
	"br", "img", "hr", "meta", "input", "link", "area", "base", "col", "wbr", "param",
	"source", "track", "embed", "basefont", "frame", "isindex", "keygen", NULL,
};

struct attr {
	char name[24];
	const char *v;
	size_t vl;
};

static void style_apply(struct hx *h, struct el *e, const char *v, size_t vl)
{
	size_t i = 0;

	while (i < vl) {
		char prop[24], val[40];
		size_t pl = 0, xl = 0;

		while (i < vl && (v[i] == ' ' || v[i] == ';' || v[i] == '\n' || v[i] == '\t' ||
		                  v[i] == '\r'))
			i++;
		while (i < vl && v[i] != ':' && v[i] != ';') {
			if (pl < sizeof(prop) - 1 && v[i] != ' ' && v[i] != '\n' && v[i] != '\t')
				prop[pl++] = (char)((v[i] >= 'A' && v[i] <= 'Z') ? v[i] + 32 : v[i]);
			i++;
		}
		prop[pl] = '\0';
		if (i < vl && v[i] == ':')
			i++;
		while (i < vl && v[i] == ' ')
			i++;
		{
			size_t a = i;

			while (i < vl && v[i] != ';')
				i++;
			for (size_t k = a; k < i && xl < sizeof(val) - 1; k++)
				if (v[k] != '\n' && v[k] != '\r' && v[k] != '\t')
					val[xl++] = (char)((v[k] >= 'A' && v[k] <= 'Z') ? v[k] + 32 : v[k]);
			while (xl > 0 && val[xl - 1] == ' ')
				xl--;
			val[xl] = '\0';
			if (pl == 0)
				continue;
			if (xl <= 20) {
				char tk[64];

				snprintf(tk, sizeof(tk), "%s:%s", prop, val);
				tok_add(h->t, "css:", tk, strlen(tk));
			}
			if ((strcmp(prop, "display") == 0 && strncmp(val, "none", 4) == 0) ||
			    (strcmp(prop, "visibility") == 0 && strncmp(val, "hidden", 6) == 0) ||
			    (strcmp(prop, "opacity") == 0 && (val[0] == '0' && strspn(val, "0.") == xl)) ||
			    ((strcmp(prop, "font-size") == 0 || strcmp(prop, "height") == 0 ||
			      strcmp(prop, "max-height") == 0) &&
			     (strcmp(val, "0") == 0 || strncmp(val, "0px", 3) == 0 ||
			      strncmp(val, "1px", 3) == 0 || strncmp(val, "2px", 3) == 0 ||
			      strncmp(val, "0pt", 3) == 0 || strncmp(val, "1pt", 3) == 0 ||
			      strncmp(val, "0em", 3) == 0)))
				e->hidden = true;
			else if (strcmp(prop, "color") == 0)
				norm_color(val, xl, e->fg);
			else if (strcmp(prop, "background-color") == 0 || strcmp(prop, "background") == 0)
				norm_color(val, xl, e->bg);
		}
	}
}

static void tag(struct hx *h, const char *name, bool closing, bool selfclose,
                const struct attr *a, size_t na)
{
	bool is_inline = name_in(name, inline_tags);

	tok_add(h->t, closing ? "tag:/" : "tag:", name, strlen(name));
	/* hidden pieces are not read as one text */
	buf_addch(&h->hid, ' ');
	if (!is_inline) {
		buf_addch(&h->vis, ' ');
	}
	if (closing) {
		for (size_t d = h->depth; d-- > 0;) {
			if (strcmp(h->stack[d].name, name) == 0) {
				h->depth = d;
				break;
			}
		}
		return;
	}
	{
		struct el e;
		const struct el *p = top(h);

		memset(&e, 0, sizeof(e));
		str_copy(e.name, name, sizeof(e.name));
		if (p) {
			e.hidden = p->hidden;
			memcpy(e.fg, p->fg, sizeof(e.fg));
			memcpy(e.bg, p->bg, sizeof(e.bg));
		}
		for (size_t i = 0; i < na; i++) {
			const char *an = a[i].name;

			if (strcmp(an, "href") == 0 || strcmp(an, "src") == 0 || strcmp(an, "action") == 0 ||
			    strcmp(an, "background") == 0 || strcmp(an, "lowsrc") == 0) {
				if (a[i].vl >= 5 && str_ncasecmp(a[i].v, "data:", 5) == 0)
					tok_add(h->t, "url:data", "", 0);
				else if (a[i].vl > 0)
					tok_url(h->t, strcmp(name, "img") == 0 ? "img:" : "url:", a[i].v, a[i].vl);
				continue;
			}
			if (strcmp(an, "style") == 0) {
				style_apply(h, &e, a[i].v, a[i].vl);
				continue;
			}
			if (strcmp(an, "hidden") == 0) {
				e.hidden = true;
				continue;
			}
			if (strcmp(an, "color") == 0 || strcmp(an, "text") == 0)
				norm_color(a[i].v, a[i].vl, e.fg);
			else if (strcmp(an, "bgcolor") == 0)
				norm_color(a[i].v, a[i].vl, e.bg);
			if (a[i].vl <= 20 && strcmp(an, "alt") != 0 && strcmp(an, "title") != 0) {
				char tk[64];
				size_t n = (size_t)snprintf(tk, sizeof(tk), "%s:%s=", name, an);

				for (size_t k = 0; k < a[i].vl && n < sizeof(tk) - 1; k++)
					tk[n++] = (char)((a[i].v[k] >= 'A' && a[i].v[k] <= 'Z') ? a[i].v[k] + 32
					                                                          : a[i].v[k]);
				tok_add(h->t, "attr:", tk, n);
			} else if (strcmp(an, "alt") == 0 || strcmp(an, "title") == 0) {
				/* what the sender wants read where the image is not */
				buf_addch(&h->vis, ' ');
				buf_add(&h->vis, a[i].v, a[i].vl);
				buf_addch(&h->vis, ' ');
			}
		}
		{
			/* White on white (the page is white unless a background is set). */
			const char *bg = e.bg[0] ? e.bg : "#ffffff";

			if (e.fg[0] && strcmp(e.fg, bg) == 0)
				e.hidden = true;
		}
		if (strcmp(name, "img") == 0)
			h->images++;
		if (selfclose || name_in(name, void_tags))
			return;
		if (h->depth < MAX_STACK)
			h->stack[h->depth++] = e;
	}
}

/* Skip the content of script/style up to its end tag. */
static const char *skip_raw(const char *p, const char *end, const char *name)
{
	size_t nl = strlen(name);

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));

		if (lt == NULL)
			return end;
		if ((size_t)(end - lt) > nl + 2 && lt[1] == '/' && str_ncasecmp(lt + 2, name, nl) == 0)
			return lt;
		p = lt + 1;
	}
	return end;
}

void tok_html(struct spam_toks *t, const struct spam_tok_opts *opts, const char *html,
              size_t len, size_t *images)
{
	struct hx h;
	const char *p = html, *end = html + len;

	memset(&h, 0, sizeof(h));
	h.t = t;
	h.opts = opts;
	buf_init(&h.vis);
	buf_init(&h.hid);
	while (p < end) {
		if (*p == '<' && p + 1 < end) {
			const char *q = p + 1;

			if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
				const char *c = p + 4, *ce = c;

				while (ce + 2 < end && !(ce[0] == '-' && ce[1] == '-' && ce[2] == '>'))
					ce++;
				tok_add(t, "html:comment", "", 0);
				if (h.vis.len && is_alnum((unsigned char)h.vis.data[h.vis.len - 1]) &&
				    ce + 3 < end && is_alnum((unsigned char)ce[3]))
					h.tag_split = true;
				buf_addch(&h.hid, ' ');
				buf_add(&h.hid, c, (size_t)(ce - c) > 4096 ? 4096 : (size_t)(ce - c));
				buf_addch(&h.hid, ' ');
				p = ce + 2 < end ? ce + 3 : end;
				continue;
			}
			if (*q == '!' || *q == '?') {
				const char *gt = memchr(q, '>', (size_t)(end - q));

				p = gt ? gt + 1 : end;
				continue;
			}
			if (*q == '/' || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')) {
				bool closing = *q == '/', selfclose = false;
				char name[16];
				size_t nl = 0;
				struct attr a[MAX_ATTRS];
				size_t na = 0;

				if (closing)
					q++;
				while (q < end && *q != '>' && *q != ' ' && *q != '/' && *q != '\t' &&
				       *q != '\n' && *q != '\r') {
					if (nl < sizeof(name) - 1)
						name[nl++] = (char)((*q >= 'A' && *q <= 'Z') ? *q + 32 : *q);
					q++;
				}
				name[nl] = '\0';
				/* attributes */
				while (q < end && *q != '>') {
					const char *an;
					size_t anl;

					while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r' ||
					                   *q == '/')) {
						if (*q == '/' && q + 1 < end && q[1] == '>')
							selfclose = true;
						q++;
					}
					if (q >= end || *q == '>')
						break;
					an = q;
					while (q < end && *q != '=' && *q != '>' && *q != ' ' && *q != '\t' &&
					       *q != '\n' && *q != '\r')
						q++;
					anl = (size_t)(q - an);
					while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
						q++;
					if (na < MAX_ATTRS) {
						size_t k;

						for (k = 0; k < anl && k < sizeof(a[na].name) - 1; k++)
							a[na].name[k] = (char)((an[k] >= 'A' && an[k] <= 'Z') ? an[k] + 32
							                                                      : an[k]);
						a[na].name[k] = '\0';
						a[na].v = "";
						a[na].vl = 0;
					}
					if (q < end && *q == '=') {
						const char *v;

						q++;
						while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
							q++;
						if (q < end && (*q == '"' || *q == '\'')) {
							char quote = *q++;
							const char *ve;

							v = q;
							ve = memchr(q, quote, (size_t)(end - q));
							q = ve ? ve : end;
							if (na < MAX_ATTRS) {
								a[na].v = v;
								a[na].vl = (size_t)(q - v);
							}
							if (q < end)
								q++;
						} else {
							v = q;
							while (q < end && *q != '>' && *q != ' ' && *q != '\t' && *q != '\n' &&
							       *q != '\r')
								q++;
							if (na < MAX_ATTRS) {
								a[na].v = v;
								a[na].vl = (size_t)(q - v);
							}
						}
					}
					if (na < MAX_ATTRS && a[na].name[0])
						na++;
				}
				if (q < end)
					q++; /* '>' */
				if (nl > 0) {
					bool inl = name_in(name, inline_tags);

					if (inl && h.vis.len && is_alnum((unsigned char)h.vis.data[h.vis.len - 1]) &&
					    q < end && is_alnum((unsigned char)*q))
						h.tag_split = true;
					tag(&h, name, closing, selfclose, a, na);
					if (!closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0)) {
						tok_add(t, "html:", name, strlen(name));
						q = skip_raw(q, end, name);
						if (h.depth && strcmp(h.stack[h.depth - 1].name, name) == 0)
							h.depth--;
					}
				}
				p = q;
				continue;
			}
		}
		{
			/* text up to the next tag */
			bool hidden = cur_hidden(&h);
			struct buf *b = hidden ? &h.hid : &h.vis;
			const char *q = p;

			/* separate hidden pieces are separate words; a hidden piece
			 * inside a visible word leaves the word whole */
			if (hidden && !h.last_hidden)
				buf_addch(&h.hid, ' ');
			h.last_hidden = hidden;

			if (*p == '<') {
				buf_addch(b, '<');
				p++;
				continue;
			}
			while (q < end && *q != '<' && *q != '&')
				q++;
			buf_add(b, p, (size_t)(q - p));
			p = q;
			if (p < end && *p == '&')
				decode_entity(&h, b, &p, end);
		}
	}
	{
		struct tok_ctx c = { .t = t, .opts = opts, .prefix = "" };

		tok_text(&c, h.vis.data, h.vis.len);
		tok_text_end(&c);
	}
	{
		struct tok_ctx c = { .t = t, .opts = NULL, .prefix = "hid:" };
		size_t before = t->body_bytes;
		bool any = false;

		for (size_t i = 0; i < h.hid.len; i++)
			if (is_alnum((unsigned char)h.hid.data[i])) {
				any = true;
				break;
			}
		if (any) {
			tok_text(&c, h.hid.data, h.hid.len);
			tok_text_end(&c);
			tok_add(t, "trick:hidden-text", "", 0);
		}
		t->body_bytes = before;
	}
	if (h.tag_split)
		tok_add(t, "trick:tag-split", "", 0);
	if (h.numeric_letters > 3)
		tok_add(t, "trick:entity-letters", "", 0);
	*images = h.images;
	buf_release(&h.vis);
	buf_release(&h.hid);
}
