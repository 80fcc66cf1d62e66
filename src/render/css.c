/*
 * The URLs a browser would load from CSS, found the way its tokenizer
 * finds them (CSS Syntax 3): comments are not code, but a comment inside
 * a string is text; escapes spell identifiers ("u\72l(" is url(); case
 * does not matter) and URLs, whose case is kept.  url(), @import with a
 * string or url(), image-set() with strings; url() inside @font-face is a
 * font.  Counting only: nothing here is fetched.
 */
#include "render/render_int.h"

struct css_tok {
	const char *s;
	size_t len, i;
	struct buf val; /* the decoded value of the last ident/string/url */
};

static bool hexd(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static bool css_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c >= 0x80;
}

/* An escape at t->i (the backslash): decoded into val. */
static void escape(struct css_tok *t)
{
	size_t k = t->i + 1, n = 0;
	uint32_t v = 0;

	if (k >= t->len) {
		t->i = k;
		return;
	}
	while (k < t->len && n < 6 && hexd(t->s[k])) {
		char h = t->s[k++];

		v = v * 16 + (uint32_t)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
		n++;
	}
	if (n > 0) {
		if (k < t->len && css_space(t->s[k]))
			k++;
		if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			v = 0xfffd;
		utf8_encode(&t->val, v);
	} else {
		buf_addch(&t->val, t->s[k]);
		k++;
	}
	t->i = k;
}

static bool valid_escape(const struct css_tok *t, size_t at)
{
	return at + 1 < t->len && t->s[at] == '\\' && t->s[at + 1] != '\n';
}

static void read_name(struct css_tok *t)
{
	buf_reset(&t->val);
	while (t->i < t->len) {
		if (valid_escape(t, t->i))
			escape(t);
		else if (name_char((unsigned char)t->s[t->i]))
			buf_addch(&t->val, t->s[t->i++]);
		else
			break;
	}
}

static void read_string(struct css_tok *t)
{
	char q = t->s[t->i++];

	buf_reset(&t->val);
	while (t->i < t->len && t->s[t->i] != q) {
		if (t->s[t->i] == '\\') {
			if (t->i + 1 < t->len && t->s[t->i + 1] == '\n')
				t->i += 2; /* a line continuation */
			else
				escape(t);
		} else if (t->s[t->i] == '\n') {
			return; /* a bad string ends at the line */
		} else {
			buf_addch(&t->val, t->s[t->i++]);
		}
	}
	if (t->i < t->len)
		t->i++;
}

static void skip_space_comments(struct css_tok *t)
{
	while (t->i < t->len) {
		if (css_space(t->s[t->i])) {
			t->i++;
		} else if (t->i + 1 < t->len && t->s[t->i] == '/' && t->s[t->i + 1] == '*') {
			const char *e = str_memcasemem(t->s + t->i + 2, t->len - t->i - 2, "*/");

			t->i = e ? (size_t)(e - t->s) + 2 : t->len;
		} else {
			break;
		}
	}
}

/* After "url(": a string argument or an unquoted URL, to ')'. */
static bool read_url(struct css_tok *t)
{
	while (t->i < t->len && css_space(t->s[t->i]))
		t->i++;
	if (t->i < t->len && (t->s[t->i] == '"' || t->s[t->i] == '\'')) {
		read_string(t);
		skip_space_comments(t);
		if (t->i < t->len && t->s[t->i] == ')')
			t->i++;
		return true;
	}
	buf_reset(&t->val);
	while (t->i < t->len && t->s[t->i] != ')') {
		char c = t->s[t->i];

		if (css_space(c)) {
			while (t->i < t->len && css_space(t->s[t->i]))
				t->i++;
			if (t->i < t->len && t->s[t->i] != ')') {
				/* a bad url: consume to ')' and load nothing */
				while (t->i < t->len && t->s[t->i] != ')')
					t->i++;
				if (t->i < t->len)
					t->i++;
				return false;
			}
			break;
		}
		if (c == '"' || c == '\'' || c == '(') {
			while (t->i < t->len && t->s[t->i] != ')')
				t->i++;
			if (t->i < t->len)
				t->i++;
			return false;
		}
		if (c == '\\') {
			if (!valid_escape(t, t->i)) {
				t->i++;
				continue;
			}
			escape(t);
			continue;
		}
		buf_addch(&t->val, c);
		t->i++;
	}
	if (t->i < t->len)
		t->i++;
	return true;
}

void render_css_scan(const char *s, size_t len, render_css_cb cb, void *ctx)
{
	struct css_tok t = { s, len, 0, BUF_INIT };
	int depth = 0, font_depth = -1, import_pending = 0, set_depth = 0;
	bool font_next_block = false;

	buf_init(&t.val);
	while (t.i < t.len) {
		char c = s[t.i];

		if (c == '/' && t.i + 1 < t.len && s[t.i + 1] == '*') {
			skip_space_comments(&t);
		} else if (c == '"' || c == '\'') {
			read_string(&t);
			if (import_pending)
				cb(ctx, RENDER_CSS_IMPORT, t.val.data, t.val.len);
			else if (set_depth > 0)
				cb(ctx, font_depth >= 0 ? RENDER_CSS_FONT : RENDER_CSS_IMAGE, t.val.data,
				   t.val.len);
			import_pending = 0;
		} else if (c == '@') {
			t.i++;
			read_name(&t);
			import_pending = t.val.len == 6 && str_ncasecmp(t.val.data, "import", 6) == 0;
			if (t.val.len == 9 && str_ncasecmp(t.val.data, "font-face", 9) == 0)
				font_next_block = true;
		} else if (c == '{') {
			t.i++;
			if (font_next_block && font_depth < 0)
				font_depth = depth;
			font_next_block = false;
			depth++;
			import_pending = 0;
		} else if (c == '}') {
			t.i++;
			if (depth > 0)
				depth--;
			if (font_depth >= 0 && depth <= font_depth)
				font_depth = -1;
			import_pending = 0;
			set_depth = 0;
		} else if (c == ';') {
			t.i++;
			import_pending = 0;
			set_depth = 0;
		} else if (c == ')') {
			t.i++;
			if (set_depth > 0)
				set_depth--;
		} else if (c == '(') {
			t.i++;
			if (set_depth > 0)
				set_depth++;
		} else if (name_char((unsigned char)c) || valid_escape(&t, t.i)) {
			read_name(&t);
			if (t.i < t.len && s[t.i] == '(') {
				bool is_url = t.val.len == 3 && str_ncasecmp(t.val.data, "url", 3) == 0;
				bool is_set = (t.val.len == 9 && str_ncasecmp(t.val.data, "image-set", 9) == 0) ||
				              (t.val.len == 17 &&
				               str_ncasecmp(t.val.data, "-webkit-image-set", 17) == 0);

				t.i++;
				if (is_url) {
					if (read_url(&t)) {
						enum render_css_kind k = import_pending ? RENDER_CSS_IMPORT
						                         : font_depth >= 0 ? RENDER_CSS_FONT
						                                           : RENDER_CSS_IMAGE;

						cb(ctx, k, t.val.data, t.val.len);
					}
					import_pending = 0;
				} else if (is_set || set_depth > 0) {
					set_depth++;
				}
			}
		} else {
			t.i++;
		}
	}
	buf_release(&t.val);
}
