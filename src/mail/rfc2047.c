/* RFC 2047 encoded-words and RFC 2231 parameters.  Both decode in one
 * pass over their input, so thousands of encoded-words cost linear time. */
#include "mail/mail_int.h"

#define PARAM_MAX 256       /* raw parameters looked at per header */
#define PARAM_SECTION_MAX 999 /* RFC 2231 continuation index */

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Does an encoded-word start at s?  On success fill its parts. */
static bool ew_scan(const char *s, size_t len, size_t *cs_len, char *enc, const char **text,
                    size_t *text_len, size_t *total)
{
	size_t i = 2, cs_start = 2, t;

	if (len < 8 || s[0] != '=' || s[1] != '?')
		return false;
	while (i < len && s[i] != '?' && !is_wsp((unsigned char)s[i]))
		i++;
	if (i >= len || s[i] != '?' || i == cs_start || i - cs_start > 64)
		return false;
	*cs_len = i - cs_start;
	if (i + 2 >= len || s[i + 2] != '?')
		return false;
	*enc = s[i + 1];
	if (*enc != 'B' && *enc != 'b' && *enc != 'Q' && *enc != 'q')
		return false;
	t = i + 3;
	i = t;
	while (i < len && s[i] != '?' && !is_wsp((unsigned char)s[i]))
		i++;
	if (i + 1 >= len || s[i] != '?' || s[i + 1] != '=')
		return false;
	*text = s + t;
	*text_len = i - t;
	*total = i + 2;
	return true;
}

static bool b64_strict(const char *s, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			return false;
	}
	return mail_base64_decode(out, s, n) || n % 4 != 0;
}

struct ew_state {
	struct buf *out;
	char cs[65];    /* charset of the pending bytes, "" when none */
	struct buf pending;
};

static void ew_flush(struct ew_state *st)
{
	if (st->cs[0] != '\0')
		(void)mail_charset_convert(st->cs, st->pending.data, st->pending.len, st->out);
	st->cs[0] = '\0';
	buf_reset(&st->pending);
}

static void nul_to_replacement(struct buf *b)
{
	struct buf c;
	size_t i;

	if (memchr(b->data, '\0', b->len) == NULL)
		return;
	buf_init(&c);
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\0')
			utf8_encode(&c, 0xfffd);
		else
			buf_addch(&c, b->data[i]);
	}
	buf_release(b);
	*b = c;
}

char *mail_rfc2047_decode(const char *value, size_t len)
{
	struct buf u, out, word;
	struct ew_state st;
	size_t i, lit_start = 0;
	bool last_was_ew = false;
	char last_known[65] = "";

	buf_init(&u);
	buf_init(&out);
	buf_init(&word);
	/* Unfold: line breaks of a folded header go, the white space stays.
	 * The result is never longer, so it is written in place. */
	buf_grow(&u, len);
	{
		char *o = u.data;

		for (i = 0; i < len; i++) {
			if (value[i] == '\n')
				continue;
			if (value[i] == '\r' && i + 1 < len && value[i + 1] == '\n')
				continue;
			*o++ = value[i];
		}
		u.len = (size_t)(o - u.data);
		u.data[u.len] = '\0';
	}
	st.out = &out;
	st.cs[0] = '\0';
	buf_init(&st.pending);
	buf_grow(&out, u.len);

	i = 0;
	while (i < u.len) {
		size_t cs_len, text_len, total, k;
		const char *text;
		char enc, cs[65];
		bool ok, only_ws;

		if (u.data[i] != '=') {
			/* most of a header is not an encoded-word: jump to the next '=' */
			const char *eq = memchr(u.data + i, '=', u.len - i);

			i = eq ? (size_t)(eq - u.data) : u.len;
			continue;
		}
		if (i + 1 >= u.len || u.data[i + 1] != '?' ||
		    !ew_scan(u.data + i, u.len - i, &cs_len, &enc, &text, &text_len, &total)) {
			i++;
			continue;
		}
		memcpy(cs, u.data + i + 2, cs_len);
		cs[cs_len] = '\0';
		{
			char *star = strchr(cs, '*'); /* RFC 2231 language suffix */
			if (star != NULL)
				*star = '\0';
		}
		buf_reset(&word);
		if (enc == 'B' || enc == 'b')
			ok = b64_strict(text, text_len, &word);
		else {
			mail_qp_decode(&word, text, text_len, true);
			ok = true;
		}
		if (ok && cs[0] != '\0' && str_casecmp(cs, last_known) != 0) {
			ok = mail_charset_known(cs);
			if (ok)
				str_copy(last_known, cs, sizeof(last_known));
		}
		if (!ok || cs[0] == '\0') {
			i += total; /* kept as written: stays inside the literal run */
			continue;
		}
		only_ws = true;
		for (k = lit_start; k < i; k++) {
			if (!is_wsp((unsigned char)u.data[k])) {
				only_ws = false;
				break;
			}
		}
		if (!(last_was_ew && only_ws)) {
			ew_flush(&st);
			(void)mail_charset_convert(NULL, u.data + lit_start, i - lit_start, &out);
		} else if (str_casecmp(st.cs, cs) != 0) {
			ew_flush(&st);
		}
		if (st.cs[0] == '\0')
			str_copy(st.cs, cs, sizeof(st.cs));
		buf_add(&st.pending, word.data, word.len);
		last_was_ew = true;
		i += total;
		lit_start = i;
	}
	ew_flush(&st);
	(void)mail_charset_convert(NULL, u.data + lit_start, u.len - lit_start, &out);
	buf_release(&st.pending);
	buf_release(&word);
	buf_release(&u);
	nul_to_replacement(&out);
	return buf_detach(&out, NULL);
}

/* RFC 2231 parameters. */

struct raw_param {
	char *name;  /* base name, lower-case */
	int section; /* -1 when not a continuation */
	bool encoded;
	char *value;
};

static bool is_tspecial_end(unsigned char c)
{
	return c == ';' || c == '\0';
}

static size_t skip_cfws(const char *s, size_t i)
{
	for (;;) {
		while (s[i] != '\0' && is_wsp((unsigned char)s[i]))
			i++;
		if (s[i] != '(')
			return i;
		i = mail_skip_comment(s, i);
	}
}

size_t mail_skip_comment(const char *s, size_t i)
{
	size_t depth = 0;

	while (s[i] != '\0') {
		if (s[i] == '\\' && s[i + 1] != '\0') {
			i += 2;
			continue;
		}
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			return i + 1;
		i++;
	}
	return i;
}

static int hex1(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Bad escapes ("%ZZ", a "%4" at the end) stay as written. */
static void pct_decode(struct buf *out, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		int h = -1, l = -1;

		if (s[i] == '%' && i + 1 < n) {
			h = hex1(s[i + 1]);
			l = i + 2 < n ? hex1(s[i + 2]) : -1;
		}
		if (h >= 0 && l >= 0) {
			buf_addch(out, h * 16 + l);
			i += 2;
		} else {
			buf_addch(out, s[i]);
		}
	}
}

/* "charset'lang'rest": split off the charset; returns rest. */
static const char *split_charset(const char *v, char *cs, size_t cslen)
{
	const char *q1 = strchr(v, '\''), *q2;

	cs[0] = '\0';
	if (q1 == NULL)
		return v;
	q2 = strchr(q1 + 1, '\'');
	if (q2 == NULL)
		return v;
	if ((size_t)(q1 - v) < cslen) {
		memcpy(cs, v, (size_t)(q1 - v));
		cs[q1 - v] = '\0';
	}
	return q2 + 1;
}

static char *decode_plain(const char *v)
{
	size_t n;

	if (strstr(v, "=?") != NULL)
		return mail_rfc2047_decode(v, strlen(v));
	return mail_to_utf8(NULL, v, strlen(v), &n);
}

/* A NUL in a decoded name would cut it short (hiding ".exe" after it). */
static char *to_utf8_nonul(const char *cs, const char *in, size_t len)
{
	struct buf b;

	buf_init(&b);
	(void)mail_charset_convert(cs, in, len, &b);
	nul_to_replacement(&b);
	return buf_detach(&b, NULL);
}

static char *join_param(struct raw_param *rp, size_t n, const char *name)
{
	size_t i;
	int want;
	struct buf bytes;
	char cs[65] = "";
	char *plain = NULL, *res = NULL;
	bool any = false;

	for (i = 0; i < n; i++) {
		if (strcmp(rp[i].name, name) != 0)
			continue;
		if (rp[i].section < 0 && rp[i].encoded) {
			/* name*=charset'lang'value wins over everything else */
			struct buf b;
			const char *rest = split_charset(rp[i].value, cs, sizeof(cs));
			buf_init(&b);
			pct_decode(&b, rest);
			res = to_utf8_nonul(cs[0] ? cs : NULL, b.data, b.len);
			buf_release(&b);
			return res;
		}
		if (rp[i].section < 0 && plain == NULL)
			plain = rp[i].value;
	}
	buf_init(&bytes);
	for (want = 0; want <= PARAM_SECTION_MAX; want++) {
		bool found = false;
		for (i = 0; i < n; i++) {
			if (rp[i].section != want || strcmp(rp[i].name, name) != 0)
				continue;
			if (rp[i].encoded) {
				const char *v = rp[i].value;
				if (want == 0)
					v = split_charset(v, cs, sizeof(cs));
				pct_decode(&bytes, v);
			} else {
				buf_adds(&bytes, rp[i].value);
			}
			found = true;
			break; /* a duplicate section: the first one counts */
		}
		if (!found)
			break; /* a gap ends the value */
		any = true;
	}
	if (any)
		res = to_utf8_nonul(cs[0] ? cs : NULL, bytes.data, bytes.len);
	else if (plain != NULL)
		res = decode_plain(plain);
	buf_release(&bytes);
	return res;
}

void mail_params_parse(const char *value, char **type, struct mail_param **params, size_t *n)
{
	struct raw_param rp[PARAM_MAX];
	size_t nrp = 0, i = 0, k;
	struct buf t;

	*type = NULL;
	*params = NULL;
	*n = 0;
	buf_init(&t);
	i = skip_cfws(value, 0);
	while (!is_tspecial_end((unsigned char)value[i])) {
		if (value[i] == '(') {
			i = skip_cfws(value, i);
			continue;
		}
		if (!is_wsp((unsigned char)value[i]))
			buf_addch(&t, (unsigned char)value[i] >= 'A' && (unsigned char)value[i] <= 'Z' ?
			                  value[i] | 0x20 : value[i]);
		i++;
	}
	*type = buf_detach(&t, NULL);
	while (value[i] == ';' && nrp < PARAM_MAX) {
		size_t ns, ne;
		struct buf v;
		char *name, *star;

		i = skip_cfws(value, i + 1);
		ns = i;
		while (value[i] != '\0' && value[i] != '=' && value[i] != ';')
			i++;
		ne = i;
		while (ne > ns && is_wsp((unsigned char)value[ne - 1]))
			ne--;
		if (value[i] != '=' || ne == ns) {
			continue; /* "; junk" */
		}
		i = skip_cfws(value, i + 1);
		buf_init(&v);
		if (value[i] == '"') {
			i++;
			while (value[i] != '\0' && value[i] != '"') {
				if (value[i] == '\\' && value[i + 1] != '\0')
					i++;
				if (value[i] != '\r' && value[i] != '\n')
					buf_addch(&v, value[i]);
				i++;
			}
			if (value[i] == '"')
				i++;
			while (value[i] != '\0' && value[i] != ';')
				i++; /* a comment or junk after the quote */
		} else {
			size_t vs = i, ve;
			while (value[i] != '\0' && value[i] != ';')
				i++;
			ve = i;
			while (ve > vs && is_wsp((unsigned char)value[ve - 1]))
				ve--;
			/* a trailing " (comment)"; "report (1).pdf" keeps its own */
			if (ve > vs && value[ve - 1] == ')') {
				size_t o = ve - 1;
				while (o > vs && value[o] != '(')
					o--;
				if (value[o] == '(' && o > vs && is_wsp((unsigned char)value[o - 1])) {
					ve = o;
					while (ve > vs && is_wsp((unsigned char)value[ve - 1]))
						ve--;
				}
			}
			buf_add(&v, value + vs, ve - vs);
		}
		name = xstrndup(value + ns, ne - ns);
		str_lower(name);
		rp[nrp].section = -1;
		rp[nrp].encoded = false;
		star = strchr(name, '*');
		if (star != NULL) {
			char *p = star + 1;
			*star = '\0';
			if (*p == '\0') {
				rp[nrp].encoded = true;
			} else {
				long sec = 0;
				size_t digits = 0;
				while (*p >= '0' && *p <= '9' && digits < 4) {
					sec = sec * 10 + (*p - '0');
					p++;
					digits++;
				}
				if (digits == 0 || (*p != '\0' && strcmp(p, "*") != 0) ||
				    sec > PARAM_SECTION_MAX) {
					free(name);
					buf_release(&v);
					continue; /* unusable section number */
				}
				rp[nrp].section = (int)sec;
				rp[nrp].encoded = *p == '*';
			}
		}
		rp[nrp].name = name;
		rp[nrp].value = buf_detach(&v, NULL);
		nrp++;
	}
	for (k = 0; k < nrp; k++) {
		size_t j;
		bool seen = false;
		char *val;

		for (j = 0; j < *n; j++)
			if (strcmp((*params)[j].name, rp[k].name) == 0)
				seen = true;
		if (seen)
			continue;
		val = join_param(rp, nrp, rp[k].name);
		if (val == NULL)
			continue;
		*params = xreallocarray(*params, *n + 1, sizeof(**params));
		(*params)[*n].name = xstrdup(rp[k].name);
		(*params)[*n].value = val;
		(*n)++;
	}
	for (k = 0; k < nrp; k++) {
		free(rp[k].name);
		free(rp[k].value);
	}
}

void mail_params_free(struct mail_param *params, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(params[i].name);
		free(params[i].value);
	}
	free(params);
}

const char *mail_params_find(const struct mail_param *params, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (str_casecmp(params[i].name, name) == 0)
			return params[i].value;
	return NULL;
}
