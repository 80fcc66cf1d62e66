/* RFC 5322 addresses (with the obsolete forms: routes, dotted phrases,
 * CFWS between the pieces of a local part, empty list elements) and the
 * strict From rules of the design (4.6).  A hand-written tokenizer keeps
 * every decision visible: comments never count as addresses, quoted local
 * parts keep their quotes, encoded-words are decoded only in display
 * names. */
#include "mail/mail_int.h"

enum tok_kind { T_END, T_ATOM, T_QUOTED, T_DLITERAL, T_SPECIAL };

struct tok {
	enum tok_kind kind;
	char c;        /* T_SPECIAL */
	struct buf text; /* T_ATOM, T_QUOTED (unquoted), T_DLITERAL (with []) */
	bool space_before;
};

struct lexer {
	const char *s;
	size_t i;
	struct tok cur;
	bool peeked;
};

static bool is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true; /* RFC 6532: UTF-8 in atoms */
	if (c <= 32 || c == 127)
		return false;
	switch (c) {
	case '(': case ')': case '<': case '>': case '[': case ']': case ':': case ';':
	case '@': case '\\': case ',': case '.': case '"':
		return false;
	default:
		return true;
	}
}

static void lex_next(struct lexer *lx)
{
	const char *s = lx->s;
	size_t i = lx->i;
	struct tok *t = &lx->cur;

	buf_reset(&t->text);
	t->space_before = false;
	for (;;) {
		while (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++;
			t->space_before = true;
		}
		if (s[i] != '(')
			break;
		i = mail_skip_comment(s, i);
		t->space_before = true;
	}
	if (s[i] == '\0') {
		t->kind = T_END;
	} else if (s[i] == '"') {
		t->kind = T_QUOTED;
		i++;
		while (s[i] != '\0' && s[i] != '"') {
			size_t run = i;

			/* the plain run up to the next quote, escape or line break */
			while (s[run] != '\0' && s[run] != '"' && s[run] != '\\' && s[run] != '\r' &&
			       s[run] != '\n')
				run++;
			if (run > i) {
				buf_add(&t->text, s + i, run - i);
				i = run;
				continue;
			}
			if (s[i] == '\\' && s[i + 1] != '\0')
				i++;
			if (s[i] != '\r' && s[i] != '\n')
				buf_addch(&t->text, s[i]);
			i++;
		}
		if (s[i] == '"')
			i++;
	} else if (s[i] == '[') {
		t->kind = T_DLITERAL;
		while (s[i] != '\0' && s[i] != ']') {
			if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
				buf_addch(&t->text, s[i]);
			i++;
		}
		buf_addch(&t->text, ']');
		if (s[i] == ']')
			i++;
	} else if (is_atext((unsigned char)s[i])) {
		size_t start = i;

		t->kind = T_ATOM;
		while (is_atext((unsigned char)s[i]))
			i++;
		buf_add(&t->text, s + start, i - start);
	} else {
		t->kind = T_SPECIAL;
		t->c = s[i++];
	}
	lx->i = i;
}

static bool is_special(const struct tok *t, char c)
{
	return t->kind == T_SPECIAL && t->c == c;
}

static bool looks_encoded(const char *s)
{
	const char *p = strstr(s, "=?");
	return p != NULL && strstr(p + 2, "?=") != NULL;
}

struct parser {
	struct lexer lx;
	struct mail_addr_list *out;
	struct mail_addr_extra *extra;
	size_t cap;
	bool bad;
};

static void push(struct parser *ps, char *display, char *local, char *domain, bool disp_enc,
                 bool addr_enc, bool group)
{
	struct mail_addr *a;

	if (ps->out->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 4;
		ps->out->v = xreallocarray(ps->out->v, ps->cap, sizeof(*ps->out->v));
		ps->extra = xreallocarray(ps->extra, ps->cap, sizeof(*ps->extra));
	}
	a = &ps->out->v[ps->out->n];
	a->display = display;
	a->local = local;
	a->domain = domain;
	a->address = NULL;
	if (local != NULL && domain != NULL) {
		size_t ll = strlen(local), dl = strlen(domain);
		char *addr = xmalloc(ll + 1 + dl + 1);

		memcpy(addr, local, ll);
		addr[ll] = '@';
		memcpy(addr + ll + 1, domain, dl + 1);
		a->address = addr;
	}
	ps->extra[ps->out->n].display_encoded = disp_enc;
	ps->extra[ps->out->n].addr_encoded = addr_enc;
	ps->extra[ps->out->n].is_group = group;
	ps->out->n++;
}

/* Words of a phrase or local part, up to a special that is not '.'.
 * joined: local-part style ("a.b"), or phrase style ("a b"). */
static void read_words(struct parser *ps, struct buf *phrase, struct buf *local,
                       bool *encoded, bool *any)
{
	struct tok *t = &ps->lx.cur;

	*any = false;
	while (t->kind == T_ATOM || t->kind == T_QUOTED || is_special(t, '.')) {
		if (phrase->len > 0 && t->space_before)
			buf_addch(phrase, ' ');
		if (t->kind == T_SPECIAL) {
			buf_addch(phrase, '.');
			buf_addch(local, '.');
		} else if (t->kind == T_QUOTED) {
			if (looks_encoded(t->text.data))
				*encoded = true;
			buf_add(phrase, t->text.data, t->text.len);
			buf_addch(local, '"');
			for (size_t k = 0; k < t->text.len; k++) {
				if (t->text.data[k] == '"' || t->text.data[k] == '\\')
					buf_addch(local, '\\');
				buf_addch(local, t->text.data[k]);
			}
			buf_addch(local, '"');
		} else {
			if (looks_encoded(t->text.data))
				*encoded = true;
			buf_add(phrase, t->text.data, t->text.len);
			buf_add(local, t->text.data, t->text.len);
		}
		*any = true;
		lex_next(&ps->lx);
	}
}

static char *read_domain(struct parser *ps, bool *encoded)
{
	struct tok *t = &ps->lx.cur;
	struct buf d;
	bool want_label = true;

	buf_init(&d);
	while (t->kind == T_ATOM || t->kind == T_DLITERAL || is_special(t, '.')) {
		if (t->kind == T_SPECIAL) {
			if (want_label)
				ps->bad = true;
			buf_addch(&d, '.');
			want_label = true;
		} else {
			if (!want_label)
				ps->bad = true;
			if (looks_encoded(t->text.data))
				*encoded = true;
			buf_add(&d, t->text.data, t->text.len);
			want_label = false;
		}
		lex_next(&ps->lx);
	}
	if (d.len == 0 || want_label) {
		ps->bad = true;
		if (d.len == 0) {
			buf_release(&d);
			return NULL;
		}
	}
	/* lower-case ASCII only: UTF-8 bytes of an IDN stay as they are */
	for (size_t k = 0; k < d.len; k++)
		if (d.data[k] >= 'A' && d.data[k] <= 'Z')
			d.data[k] = (char)(d.data[k] | 0x20);
	return buf_detach(&d, NULL);
}

static char *decode_display(struct buf *phrase)
{
	char *d;

	if (phrase->len == 0)
		return NULL;
	d = mail_rfc2047_decode(phrase->data, phrase->len);
	str_trim(d);
	if (d[0] == '\0') {
		free(d);
		return NULL;
	}
	return d;
}

/* "<" [route] addr-spec ">" with the '<' already read. */
static void read_angle(struct parser *ps, char **local, char **domain, bool *enc)
{
	struct tok *t = &ps->lx.cur;
	struct buf phrase, lp;
	bool any;

	buf_init(&phrase);
	buf_init(&lp);
	lex_next(&ps->lx);
	if (is_special(t, '@')) { /* obs-route: "@a,@b:" */
		while (t->kind != T_END && !is_special(t, ':') && !is_special(t, '>'))
			lex_next(&ps->lx);
		if (is_special(t, ':'))
			lex_next(&ps->lx);
	}
	read_words(ps, &phrase, &lp, enc, &any);
	if (any && is_special(t, '@')) {
		lex_next(&ps->lx);
		*local = buf_detach(&lp, NULL);
		*domain = read_domain(ps, enc);
	} else {
		if (any)
			*local = buf_detach(&lp, NULL);
		ps->bad = true;
	}
	if (is_special(t, '>'))
		lex_next(&ps->lx);
	else
		ps->bad = true;
	buf_release(&phrase);
	buf_release(&lp);
}

/* One mailbox, or a group when allow_group. */
static void read_address(struct parser *ps, bool allow_group)
{
	struct tok *t = &ps->lx.cur;
	struct buf phrase, lp;
	bool enc_disp = false, enc_addr = false, any;
	char *local = NULL, *domain = NULL;

	buf_init(&phrase);
	buf_init(&lp);
	read_words(ps, &phrase, &lp, &enc_disp, &any);
	if (is_special(t, '<')) {
		read_angle(ps, &local, &domain, &enc_addr);
		push(ps, decode_display(&phrase), local, domain, enc_disp, enc_addr, false);
	} else if (any && is_special(t, '@')) {
		lex_next(&ps->lx);
		domain = read_domain(ps, &enc_addr);
		push(ps, NULL, buf_detach(&lp, NULL), domain, false, enc_disp || enc_addr, false);
	} else if (is_special(t, ':') && allow_group) {
		lex_next(&ps->lx);
		push(ps, decode_display(&phrase), NULL, NULL, enc_disp, false, true);
		while (t->kind != T_END && !is_special(t, ';')) {
			if (is_special(t, ',')) {
				lex_next(&ps->lx);
				continue;
			}
			{
				size_t before = ps->lx.i;
				enum tok_kind k = t->kind;
				read_address(ps, false);
				if (ps->lx.i == before && t->kind == k && !is_special(t, ',') &&
				    !is_special(t, ';'))
					lex_next(&ps->lx); /* no progress: skip the token */
			}
		}
		if (is_special(t, ';'))
			lex_next(&ps->lx);
		else
			ps->bad = true;
	} else {
		ps->bad = true;
		if (any)
			push(ps, decode_display(&phrase), buf_detach(&lp, NULL), NULL, enc_disp, false,
			     false);
	}
	buf_release(&phrase);
	buf_release(&lp);
}

int mail_addr_parse_ex(const char *value, struct mail_addr_list *out, struct mail_addr_extra **extra,
                  char *err, size_t errlen)
{
	struct parser ps;
	struct tok *t = &ps.lx.cur;

	memset(&ps, 0, sizeof(ps));
	out->v = NULL;
	out->n = 0;
	ps.out = out;
	ps.lx.s = value != NULL ? value : "";
	buf_init(&t->text);
	lex_next(&ps.lx);
	while (t->kind != T_END) {
		size_t before = ps.lx.i;

		if (is_special(t, ',')) {
			lex_next(&ps.lx);
			continue;
		}
		read_address(&ps, true);
		if (t->kind != T_END && !is_special(t, ',')) {
			ps.bad = true;
			/* skip to the next comma so one bad entry does not eat the list */
			while (t->kind != T_END && !is_special(t, ','))
				lex_next(&ps.lx);
		}
		if (ps.lx.i == before && t->kind != T_END)
			lex_next(&ps.lx);
	}
	buf_release(&t->text);
	if (extra != NULL)
		*extra = ps.extra;
	else
		free(ps.extra);
	if (ps.bad)
		return err_set(err, errlen, WARY_EPARSE, "malformed address list");
	return WARY_OK;
}

int mail_addr_parse(const char *value, struct mail_addr_list *out, char *err, size_t errlen)
{
	return mail_addr_parse_ex(value, out, NULL, err, errlen);
}

void mail_addr_list_clear(struct mail_addr_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].display);
		free(l->v[i].local);
		free(l->v[i].domain);
		free(l->v[i].address);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The From rules. */

static bool has_invisible(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	if (s == NULL)
		return false;
	n = strlen(s);
	while (i < n) {
		uint32_t cp;
		size_t k = utf8_decode(u + i, n - i, &cp);

		if (k == 0) {
			i++;
			continue;
		}
		if (safe_is_invisible(cp))
			return true;
		i += k;
	}
	return false;
}

/* An '@' (or a look-alike of one) with something on both sides. */
static bool holds_address(const char *s)
{
	static const char *const ats[] = { "@", "\xef\xbc\xa0" /* U+FF20 */,
		                           "\xef\xb9\xab" /* U+FE6B */ };
	size_t k;

	if (s == NULL)
		return false;
	for (k = 0; k < ARRAY_SIZE(ats); k++) {
		const char *p = strstr(s, ats[k]);
		if (p != NULL && p > s && p[strlen(ats[k])] != '\0' && p[-1] != ' ' &&
		    p[strlen(ats[k])] != ' ')
			return true;
	}
	return false;
}

static bool non_ascii_domain(const char *d)
{
	const char *p;

	if (d == NULL)
		return false;
	for (p = d; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return true;
	for (p = d; p != NULL; p = strchr(p, '.')) {
		if (*p == '.')
			p++;
		if (str_istarts_with(p, "xn--"))
			return true;
	}
	return false;
}

int mail_from_get(const struct mail_msg *msg, struct mail_from *out)
{
	struct mail_addr_list l = { NULL, 0 };
	struct mail_addr_extra *ex = NULL;
	size_t i, nfrom = 0, first = SIZE_MAX, nmb = 0, mb = SIZE_MAX;
	int rc;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < mail_header_count(msg); i++) {
		if (str_casecmp(mail_header_name(msg, i), "From") != 0)
			continue;
		if (first == SIZE_MAX)
			first = i;
		nfrom++;
		if (mail_header_space_before_colon(msg, i))
			out->flags |= MAIL_FROM_SPACE_BEFORE_COLON;
	}
	if (nfrom == 0) {
		out->flags |= MAIL_FROM_NONE;
		out->ambiguous = true;
		return WARY_OK;
	}
	if (nfrom > 1)
		out->flags |= MAIL_FROM_MULTIPLE_HEADERS;
	rc = mail_addr_parse_ex(mail_header_value(msg, first), &l, &ex, NULL, 0);
	if (rc != WARY_OK)
		out->flags |= MAIL_FROM_MALFORMED;
	for (i = 0; i < l.n; i++) {
		if (ex[i].is_group)
			continue;
		if (mb == SIZE_MAX)
			mb = i;
		nmb++;
	}
	if (nmb > 1)
		out->flags |= MAIL_FROM_MULTIPLE_ADDRS;
	if (nmb == 0)
		out->flags |= MAIL_FROM_MALFORMED;
	if (mb != SIZE_MAX) {
		const struct mail_addr *a = &l.v[mb];

		if (a->address == NULL)
			out->flags |= MAIL_FROM_MALFORMED;
		out->display = xstrdup_null(a->display);
		out->domain = xstrdup_null(a->domain);
		if (a->address != NULL)
			out->address = xstrdup(a->address);
		if (holds_address(a->display)) {
			out->flags |= MAIL_FROM_ADDR_IN_DISPLAY;
			if (ex[mb].display_encoded)
				out->flags |= MAIL_FROM_ENCODED_ADDR;
		}
		if (ex[mb].addr_encoded)
			out->flags |= MAIL_FROM_ENCODED_ADDR;
		if (has_invisible(a->display) || has_invisible(a->local) || has_invisible(a->domain))
			out->flags |= MAIL_FROM_INVISIBLE;
		if (non_ascii_domain(a->domain))
			out->flags |= MAIL_FROM_NON_ASCII_DOMAIN;
	}
	if (out->address == NULL) {
		/* never show nothing: the field as written stands in */
		char *d = mail_header_decoded(msg, "From");
		out->address = str_trim(d);
	}
	out->ambiguous = (out->flags & (MAIL_FROM_NONE | MAIL_FROM_MULTIPLE_HEADERS |
	                                MAIL_FROM_MULTIPLE_ADDRS | MAIL_FROM_MALFORMED |
	                                MAIL_FROM_SPACE_BEFORE_COLON)) != 0;
	mail_addr_list_clear(&l);
	free(ex);
	return WARY_OK;
}

void mail_from_clear(struct mail_from *f)
{
	if (f == NULL)
		return;
	free(f->display);
	free(f->address);
	free(f->domain);
	memset(f, 0, sizeof(*f));
}

const char *mail_from_flag_name(unsigned flag)
{
	switch (flag) {
	case MAIL_FROM_NONE: return "no-from";
	case MAIL_FROM_MULTIPLE_HEADERS: return "multiple-from-headers";
	case MAIL_FROM_MULTIPLE_ADDRS: return "multiple-addresses";
	case MAIL_FROM_MALFORMED: return "malformed";
	case MAIL_FROM_ADDR_IN_DISPLAY: return "address-in-display-name";
	case MAIL_FROM_ENCODED_ADDR: return "encoded-address";
	case MAIL_FROM_INVISIBLE: return "invisible-characters";
	case MAIL_FROM_SPACE_BEFORE_COLON: return "space-before-colon";
	case MAIL_FROM_NON_ASCII_DOMAIN: return "non-ascii-domain";
	default: return NULL;
	}
}
