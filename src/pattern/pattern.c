/* mutt patterns: the parser, the evaluation on index rows and the
 * translation to IMAP SEARCH.
 *
 * The tree is n-ary (an AND or an OR holds all its operands), so only
 * parentheses and ! make it deeper, and both count against
 * PATTERN_MAX_DEPTH before the parser recurses: a hostile pattern cannot
 * exhaust the stack here, in the evaluation or in the translation. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicase.h>

#include "base/base.h"
#include "mail/mail.h"
#include "pattern/pattern.h"
#include "store/store.h"

enum node_kind { N_AND, N_OR, N_NOT, N_TERM };

enum term {
	T_FROM, T_TO, T_CC, T_TOCC, T_SUBJECT, T_SIMPLE, T_BODY, T_WHOLE, T_HEADER, T_DATE,
	T_NEW, T_OLD, T_UNREAD, T_READ, T_FLAGGED, T_DELETED, T_ALL,
};

/* An open end of a date range. */
#define DAY_NONE LONG_MIN

struct node {
	enum node_kind kind;
	enum term term;
	bool needs_msg;      /* this subtree asks for the message */
	struct node **kids;  /* N_AND, N_OR: nkids >= 2; N_NOT: 1 */
	size_t nkids;
	char *str;           /* the string as typed (unescaped), UTF-8 */
	char *fold;          /* str case-folded, for local matching */
	char *hname;         /* ~h: the field name */
	long min_day, max_day; /* ~d: days since 1970-01-01, inclusive, or DAY_NONE */
};

struct pattern {
	struct node *root;
};

/* ---- strings ---- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Unicode simple lower-casing; bytes that are not UTF-8 are kept, so a
 * needle and a haystack fold the same way whatever they hold.  With
 * `squeeze`, a run of white space becomes one space: servers store
 * header values so (Dovecot keeps "x  y" and "x<TAB>y" as "x y", which
 * the key "x y" finds and "x  y" does not). */
static void fold_into(struct buf *out, const char *s, size_t len, bool squeeze)
{
	size_t i = 0;

	buf_grow(out, len);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t k;

		if (squeeze && is_ws((char)c)) {
			while (i < len && is_ws(s[i]))
				i++;
			buf_addch(out, ' ');
			continue;
		}
		if (c < 0x80) {
			/* ASCII in runs: bodies are mostly ASCII and can be large. */
			size_t j = i, at = out->len;

			while (j < len && (unsigned char)s[j] < 0x80 && !(squeeze && is_ws(s[j])))
				j++;
			buf_add(out, s + i, j - i);
			for (char *p = out->data + at; p < out->data + out->len; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + ('a' - 'A'));
			i = j;
			continue;
		}
		k = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (k == 0) {
			buf_addch(out, (char)c);
			i++;
			continue;
		}
		utf8_encode(out, uc_tolower(cp));
		i += k;
	}
}

static char *fold_str(const char *s)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	fold_into(&b, s, strlen(s), false);
	return buf_detach(&b, NULL);
}

/* Does the folded needle occur in hay[0..len) (folded here)? */
static bool contains(const char *hay, size_t len, const char *fold, bool squeeze)
{
	struct buf b = BUF_INIT;
	bool hit;

	if (hay == NULL)
		return false;
	buf_init(&b);
	fold_into(&b, hay, len, squeeze);
	hit = memmem(b.data, b.len, fold, strlen(fold)) != NULL;
	buf_release(&b);
	return hit;
}

/* A raw header value (RFC 2047 encoded-words and folding) contains it. */
static bool value_contains(const char *raw, const char *fold)
{
	char *dec;
	bool hit;

	if (raw == NULL)
		return false;
	dec = mail_rfc2047_decode(raw, strlen(raw));
	hit = contains(dec, strlen(dec), fold, true);
	free(dec);
	return hit;
}

/* ---- days ---- */

static void civil_from_days(long z, long *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int month_days(long y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return n[m - 1];
}

static long local_day(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return time_days_from_civil(tm.tm_year + 1900L, tm.tm_mon + 1L, tm.tm_mday);
}

/* ---- the parser ---- */

struct parser {
	const char *s;
	size_t len, pos;
	int depth;
	int parens; /* ( open around the current position */
	size_t terms;
	time_t now;
	struct tm today;
	char *err;
	size_t errlen;
};

static void node_free(struct node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n->fold);
	free(n->hname);
	free(n);
}

static struct node *node_new(enum node_kind kind)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->min_day = n->max_day = DAY_NONE;
	return n;
}

static void node_add(struct node *n, struct node *kid)
{
	n->kids = xreallocarray(n->kids, n->nkids + 1, sizeof(*n->kids));
	n->kids[n->nkids++] = kid;
	n->needs_msg = n->needs_msg || kid->needs_msg;
}

/* The column of byte offset pos, in characters from 1. */
static size_t column(const struct parser *ps, size_t pos)
{
	size_t col = 1;

	for (size_t i = 0; i < pos && i < ps->len; i++)
		if (((unsigned char)ps->s[i] & 0xc0) != 0x80)
			col++;
	return col;
}

static int perr(struct parser *ps, size_t pos, int code, const char *what)
{
	return err_set(ps->err, ps->errlen, code, "pattern: column %zu: %s", column(ps, pos), what);
}

static void skip_space(struct parser *ps)
{
	while (ps->pos < ps->len && is_ws(ps->s[ps->pos]))
		ps->pos++;
}

static bool at_end_of_word(const struct parser *ps)
{
	char c;

	if (ps->pos >= ps->len)
		return true;
	c = ps->s[ps->pos];
	return is_ws(c) || c == ')' || c == '|';
}

/* Add one byte of a string.  No unfolded header field holds a line
 * break and servers take one in a search string as they please (Dovecot
 * finds every message), so a string with one is refused. */
static int string_byte(struct parser *ps, struct buf *out)
{
	char c = ps->s[ps->pos];

	if (c == '\r' || c == '\n')
		return perr(ps, ps->pos, WARY_EPARSE, "a line break inside a string");
	buf_addch(out, c);
	ps->pos++;
	return WARY_OK;
}

/* One string argument into out; WARY_ENOENT when there is none, an
 * error (err set) when a quote is not closed. */
static int read_string(struct parser *ps, struct buf *out, size_t *start)
{
	char q;

	skip_space(ps);
	*start = ps->pos;
	if (at_end_of_word(ps))
		return WARY_ENOENT;
	q = ps->s[ps->pos];
	if (q == '"' || q == '\'') {
		ps->pos++;
		while (ps->pos < ps->len && ps->s[ps->pos] != q) {
			if (q == '"' && ps->s[ps->pos] == '\\' && ps->pos + 1 < ps->len)
				ps->pos++;
			if (string_byte(ps, out) != WARY_OK)
				return WARY_EPARSE;
		}
		if (ps->pos >= ps->len)
			return perr(ps, *start, WARY_EPARSE,
			            q == '"' ? "unterminated \"" : "unterminated '");
		ps->pos++;
		return WARY_OK;
	}
	while (!at_end_of_word(ps)) {
		if (ps->s[ps->pos] == '\\' && ps->pos + 1 < ps->len)
			ps->pos++;
		if (string_byte(ps, out) != WARY_OK)
			return WARY_EPARSE;
	}
	return WARY_OK;
}

/* Up to `max` decimal digits at *p; -1 when there are none. */
static long digits(const char **p, int max, int *count)
{
	long v = 0;
	int n = 0;

	while (n < max && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*count = n;
	return n > 0 ? v : -1;
}

/* DD[/MM[/YY|/YYYY]] or YYYYMMDD in s[0..len) -> a day; false if not a date. */
static bool abs_date(const struct parser *ps, const char *s, size_t len, long *day)
{
	char tmp[16];
	const char *p = tmp;
	long d, m, y;
	int n;

	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	m = ps->today.tm_mon + 1;
	y = ps->today.tm_year + 1900L;
	if (len == 8 && strspn(tmp, "0123456789") == 8) {
		y = digits(&p, 4, &n);
		m = digits(&p, 2, &n);
		d = digits(&p, 2, &n);
	} else {
		d = digits(&p, 2, &n);
		if (d < 0)
			return false;
		if (*p == '/') {
			p++;
			m = digits(&p, 2, &n);
			if (m < 0)
				return false;
			if (*p == '/') {
				p++;
				y = digits(&p, 4, &n);
				if (n == 2)
					y += y < 70 ? 2000 : 1900;
				else if (n != 4)
					return false;
			}
		}
		if (*p != '\0')
			return false;
	}
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > month_days(y, (int)m))
		return false;
	*day = time_days_from_civil(y, m, d);
	return true;
}

/* <Nu, >Nu, =Nu: the day N units before today. */
static bool rel_date(const struct parser *ps, const char *s, size_t len, long *day)
{
	long y = ps->today.tm_year + 1900L, m = ps->today.tm_mon + 1L, d = ps->today.tm_mday;
	long n = 0;
	size_t i = 1;

	if (len < 3 || len > 9)
		return false;
	for (; i < len - 1; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (s[i] - '0');
	}
	switch (s[len - 1]) {
	case 'd': *day = time_days_from_civil(y, m, d) - n; break;
	case 'w': *day = time_days_from_civil(y, m, d) - 7 * n; break;
	case 'm': {
		/* As mutt does: the same day of the month, rolling over when
		 * that month is shorter (31 March - 1m is 3 March). */
		long t = y * 12 + (m - 1) - n;

		*day = time_days_from_civil(t / 12, t % 12 + 1, 1) + d - 1;
		break;
	}
	case 'y': *day = time_days_from_civil(y - n, m, 1) + d - 1; break;
	default: return false;
	}
	return *day >= time_days_from_civil(1900, 1, 1);
}

static int parse_date(struct parser *ps, struct node *n, const char *s, size_t start)
{
	size_t len = strlen(s);
	const char *dash = memchr(s, '-', len);
	long day;

	if (s[0] == '<' || s[0] == '>' || s[0] == '=') {
		if (!rel_date(ps, s, len, &day))
			return perr(ps, start, WARY_EPARSE,
			            "~d: a relative date is <Nd, >Nw, =Nm or <Ny (days, weeks, months, years)");
		if (s[0] == '<')
			n->min_day = day + 1;
		else if (s[0] == '>')
			n->max_day = day;
		else
			n->min_day = n->max_day = day;
		return WARY_OK;
	}
	if (dash == NULL) {
		if (!abs_date(ps, s, len, &day))
			goto bad;
		n->min_day = n->max_day = day;
		return WARY_OK;
	}
	if (dash == s && len == 1)
		goto bad;
	if (dash > s && !abs_date(ps, s, (size_t)(dash - s), &n->min_day))
		goto bad;
	if ((size_t)(dash - s) + 1 < len &&
	    !abs_date(ps, dash + 1, len - (size_t)(dash - s) - 1, &n->max_day))
		goto bad;
	if (n->min_day != DAY_NONE && n->max_day != DAY_NONE && n->min_day > n->max_day) {
		/* mutt takes the two ends in either order. */
		long t = n->min_day;

		n->min_day = n->max_day;
		n->max_day = t;
	}
	return WARY_OK;
bad:
	return perr(ps, start, WARY_EPARSE,
	            "~d: not a date range (DD/MM/YY, DD/MM/YYYY, YYYYMMDD, MIN-MAX, -MAX, MIN-, <3d, >1w, =2m)");
}

static const struct {
	char c;
	enum term term;
	enum { ARG_NONE, ARG_STRING, ARG_HEADER, ARG_DATE } arg;
	bool needs_msg;
} letters[] = {
	{ 'f', T_FROM, ARG_STRING, false },   { 't', T_TO, ARG_STRING, false },
	{ 'c', T_CC, ARG_STRING, true },      { 'C', T_TOCC, ARG_STRING, true },
	{ 's', T_SUBJECT, ARG_STRING, false },{ 'b', T_BODY, ARG_STRING, true },
	{ 'B', T_WHOLE, ARG_STRING, true },   { 'h', T_HEADER, ARG_HEADER, true },
	{ 'd', T_DATE, ARG_DATE, false },     { 'N', T_NEW, ARG_NONE, false },
	{ 'O', T_OLD, ARG_NONE, false },      { 'U', T_UNREAD, ARG_NONE, false },
	{ 'R', T_READ, ARG_NONE, false },     { 'F', T_FLAGGED, ARG_NONE, false },
	{ 'D', T_DELETED, ARG_NONE, false },  { 'A', T_ALL, ARG_NONE, false },
};

static bool field_name_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 || s[i] == ':')
			return false;
	return true;
}

static int set_string(struct parser *ps, struct node *n, struct buf *arg, size_t start,
                      const char *what)
{
	char msg[96];

	if (arg->len == 0) {
		snprintf(msg, sizeof(msg), "%s needs a non-empty string", what);
		return perr(ps, start, WARY_EPARSE, msg);
	}
	n->str = buf_detach(arg, NULL);
	n->fold = fold_str(n->str);
	return WARY_OK;
}

static int count_term(struct parser *ps, size_t at)
{
	if (++ps->terms > PATTERN_MAX_TERMS) {
		char msg[64];

		snprintf(msg, sizeof(msg), "more than %d terms", PATTERN_MAX_TERMS);
		return perr(ps, at, WARY_ELIMIT, msg);
	}
	return WARY_OK;
}

static int parse_term(struct parser *ps, struct node **out)
{
	size_t at = ps->pos, start;
	struct buf arg = BUF_INIT;
	struct node *n = NULL;
	char what[4] = { '~', 0, 0, 0 };
	char msg[160];
	size_t k;
	int rc;

	buf_init(&arg);
	rc = count_term(ps, at);
	if (rc != WARY_OK)
		goto out;
	ps->pos++;
	if (ps->pos >= ps->len || is_ws(ps->s[ps->pos])) {
		rc = perr(ps, at, WARY_EPARSE, "~ needs a letter after it (~f, ~s, ~d, ...)");
		goto out;
	}
	what[1] = ps->s[ps->pos];
	for (k = 0; k < ARRAY_SIZE(letters); k++)
		if (letters[k].c == what[1])
			break;
	if (k == ARRAY_SIZE(letters)) {
		if ((unsigned char)what[1] < 0x21 || (unsigned char)what[1] > 0x7e)
			what[1] = '?';
		snprintf(msg, sizeof(msg),
		         "%s is not supported (supported: ~f ~t ~c ~C ~s ~b ~B ~h ~d ~N ~O ~U ~R ~F ~D ~A)",
		         what);
		rc = perr(ps, at, WARY_EPARSE, msg);
		goto out;
	}
	ps->pos++;
	n = node_new(N_TERM);
	n->term = letters[k].term;
	n->needs_msg = letters[k].needs_msg;
	if (letters[k].arg == ARG_NONE) {
		rc = WARY_OK;
		goto out;
	}
	rc = read_string(ps, &arg, &start);
	if (rc == WARY_ENOENT) {
		snprintf(msg, sizeof(msg), "%s needs %s", what,
		         letters[k].arg == ARG_DATE     ? "a date range"
		         : letters[k].arg == ARG_HEADER ? "a header, as in ~h 'X-Mailer: foo'"
		                                        : "a string");
		rc = perr(ps, at, WARY_EPARSE, msg);
	}
	if (rc != WARY_OK)
		goto out;
	if (letters[k].arg == ARG_STRING) {
		rc = set_string(ps, n, &arg, start, what);
	} else if (letters[k].arg == ARG_DATE) {
		rc = parse_date(ps, n, arg.data, start);
	} else {
		const char *colon = memchr(arg.data, ':', arg.len);
		size_t nl;

		if (colon == NULL) {
			rc = perr(ps, start, WARY_EPARSE,
			          "~h needs a header name and a colon, as in ~h 'X-Mailer: foo'");
			goto out;
		}
		nl = (size_t)(colon - arg.data);
		while (nl > 0 && is_ws(arg.data[nl - 1]))
			nl--;
		if (!field_name_ok(arg.data, nl)) {
			rc = perr(ps, start, WARY_EPARSE, "~h: not a header field name before the colon");
			goto out;
		}
		n->hname = xstrndup(arg.data, nl);
		n->str = xstrdup(colon + 1);
		str_trim(n->str);
		n->fold = fold_str(n->str);
	}
out:
	buf_release(&arg);
	if (rc != WARY_OK) {
		node_free(n);
		n = NULL;
	}
	*out = n;
	return rc;
}

/* A word without ~: mutt's simple search, ~f WORD | ~s WORD. */
static int parse_word(struct parser *ps, struct node **out)
{
	struct buf arg = BUF_INIT;
	size_t at = ps->pos, start;
	struct node *n = NULL;
	int rc;

	*out = NULL;
	buf_init(&arg);
	rc = count_term(ps, at);
	if (rc == WARY_OK)
		rc = read_string(ps, &arg, &start);
	if (rc == WARY_ENOENT)
		rc = perr(ps, at, WARY_EPARSE, "a search term is missing");
	if (rc == WARY_OK) {
		n = node_new(N_TERM);
		n->term = T_SIMPLE;
		rc = set_string(ps, n, &arg, start, "a quoted word");
	}
	buf_release(&arg);
	if (rc != WARY_OK)
		node_free(n);
	else
		*out = n;
	return rc;
}

static int parse_or(struct parser *ps, struct node **out);

static int deeper(struct parser *ps, size_t at)
{
	if (++ps->depth > PATTERN_MAX_DEPTH) {
		char msg[80];

		snprintf(msg, sizeof(msg), "nested more than %d deep", PATTERN_MAX_DEPTH);
		return perr(ps, at, WARY_ELIMIT, msg);
	}
	return WARY_OK;
}

static int parse_unary(struct parser *ps, struct node **out)
{
	size_t at;
	struct node *kid = NULL;
	int rc;

	*out = NULL;
	skip_space(ps);
	at = ps->pos;
	if (ps->pos >= ps->len)
		return perr(ps, at, WARY_EPARSE, "a search term is missing");
	switch (ps->s[ps->pos]) {
	case '!':
		rc = deeper(ps, at);
		if (rc != WARY_OK)
			return rc;
		ps->pos++;
		rc = parse_unary(ps, &kid);
		ps->depth--;
		if (rc != WARY_OK)
			return rc;
		*out = node_new(N_NOT);
		node_add(*out, kid);
		return WARY_OK;
	case '(':
		rc = deeper(ps, at);
		if (rc != WARY_OK)
			return rc;
		ps->pos++;
		ps->parens++;
		rc = parse_or(ps, &kid);
		ps->parens--;
		ps->depth--;
		if (rc != WARY_OK)
			return rc;
		skip_space(ps);
		if (ps->pos >= ps->len || ps->s[ps->pos] != ')') {
			node_free(kid);
			return perr(ps, at, WARY_EPARSE, "( without its )");
		}
		ps->pos++;
		*out = kid;
		return WARY_OK;
	case ')':
		return perr(ps, at, WARY_EPARSE, ") without its (");
	case '|':
		return perr(ps, at, WARY_EPARSE, "| needs a search term on each side");
	case '~':
		return parse_term(ps, out);
	default:
		return parse_word(ps, out);
	}
}

/* A list of one kind (AND, OR): a single operand stands for itself. */
static struct node *collapse(struct node *n)
{
	struct node *only;

	if (n->nkids != 1)
		return n;
	only = n->kids[0];
	free(n->kids);
	free(n);
	return only;
}

static int parse_and(struct parser *ps, struct node **out)
{
	struct node *n = node_new(N_AND), *kid;
	int rc = WARY_OK;

	for (;;) {
		skip_space(ps);
		if (ps->pos >= ps->len || ps->s[ps->pos] == '|' || ps->s[ps->pos] == ')') {
			if (n->nkids == 0)
				rc = perr(ps, ps->pos, WARY_EPARSE,
				          ps->pos >= ps->len        ? "a search term is missing"
				          : ps->s[ps->pos] == '|'   ? "| needs a search term on each side"
				          : ps->parens == 0         ? ") without its ("
				                                    : "a search term is missing before )");
			break;
		}
		rc = parse_unary(ps, &kid);
		if (rc != WARY_OK)
			break;
		/* (A B) C is A B C: one flat list. */
		if (kid->kind == N_AND) {
			for (size_t i = 0; i < kid->nkids; i++)
				node_add(n, kid->kids[i]);
			kid->nkids = 0;
			node_free(kid);
		} else {
			node_add(n, kid);
		}
	}
	if (rc != WARY_OK) {
		node_free(n);
		*out = NULL;
		return rc;
	}
	*out = collapse(n);
	return WARY_OK;
}

static int parse_or(struct parser *ps, struct node **out)
{
	struct node *n = node_new(N_OR), *kid;
	int rc;

	*out = NULL;
	for (;;) {
		rc = parse_and(ps, &kid);
		if (rc != WARY_OK)
			break;
		if (kid->kind == N_OR) {
			for (size_t i = 0; i < kid->nkids; i++)
				node_add(n, kid->kids[i]);
			kid->nkids = 0;
			node_free(kid);
		} else {
			node_add(n, kid);
		}
		skip_space(ps);
		if (ps->pos >= ps->len || ps->s[ps->pos] != '|')
			break;
		ps->pos++;
	}
	if (rc != WARY_OK) {
		node_free(n);
		return rc;
	}
	*out = collapse(n);
	return WARY_OK;
}

int pattern_parse(const char *text, size_t len, time_t now, struct pattern **out, char *err,
                  size_t errlen)
{
	struct parser ps;
	struct node *root = NULL;
	int rc;

	*out = NULL;
	if (text == NULL)
		return err_set(err, errlen, WARY_EPARSE, "pattern: no pattern");
	if (len > PATTERN_MAX_LEN)
		return err_set(err, errlen, WARY_ELIMIT, "pattern: longer than %d bytes",
		               PATTERN_MAX_LEN);
	memset(&ps, 0, sizeof(ps));
	ps.s = text;
	ps.len = len;
	ps.now = now != 0 ? now : time(NULL);
	ps.err = err;
	ps.errlen = errlen;
	if (localtime_r(&ps.now, &ps.today) == NULL)
		return err_set(err, errlen, WARY_ERR, "pattern: the local time is unknown");
	/* Refused before parsing, so nothing below meets them: a NUL would
	 * end the C strings the terms keep early, and an invalid sequence
	 * could not be sent as UTF-8 to a server. */
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k;

		if (text[i] == '\0')
			return perr(&ps, i, WARY_EPARSE, "a NUL byte");
		if ((unsigned char)text[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_decode((const unsigned char *)text + i, len - i, &cp);
		if (k == 0)
			return perr(&ps, i, WARY_EPARSE, "not valid UTF-8");
		i += k;
	}
	skip_space(&ps);
	if (ps.pos >= len)
		return err_set(err, errlen, WARY_EPARSE, "pattern: empty");
	rc = parse_or(&ps, &root);
	if (rc == WARY_OK) {
		skip_space(&ps);
		if (ps.pos < len) {
			/* Only a ) can stop the top level before the end. */
			rc = perr(&ps, ps.pos, WARY_EPARSE, ") without its (");
			node_free(root);
			root = NULL;
		}
	}
	if (rc != WARY_OK)
		return rc;
	*out = xcalloc(1, sizeof(**out));
	(*out)->root = root;
	return WARY_OK;
}

void pattern_free(struct pattern **p)
{
	if (p == NULL || *p == NULL)
		return;
	node_free((*p)->root);
	free(*p);
	*p = NULL;
}

bool pattern_needs_message(const struct pattern *p)
{
	return p != NULL && p->root->needs_msg;
}

/* ---- evaluation ---- */

struct eval {
	const struct store_row *row;
	pattern_msg_cb get;
	void *ctx;
	bool tried;
	int status;          /* of get */
	struct buf raw;
	struct mail_msg *msg;
};

/* The parsed message, fetched on first use; NULL when there is none. */
static const struct mail_msg *message(struct eval *ev)
{
	char err[WARY_ERRLEN];

	if (!ev->tried) {
		ev->tried = true;
		if (ev->get == NULL)
			return NULL;
		buf_init(&ev->raw);
		ev->status = ev->get(ev->ctx, ev->row, &ev->raw);
		if (ev->status == WARY_OK &&
		    mail_parse(ev->raw.data, ev->raw.len, &ev->msg, err, sizeof(err)) != WARY_OK)
			ev->msg = NULL;
	}
	return ev->msg;
}

static bool header_contains(const struct mail_msg *m, const char *name, const char *fold)
{
	for (size_t i = 0; i < mail_header_count(m); i++)
		if (str_casecmp(mail_header_name(m, i), name) == 0 &&
		    value_contains(mail_header_value(m, i), fold))
			return true;
	return false;
}

static bool parts_contain(const struct mail_part *p, const char *fold)
{
	size_t n = mail_part_count_children(p);
	char err[WARY_ERRLEN];
	bool hit = false;

	if (n > 0) {
		for (size_t i = 0; i < n && !hit; i++)
			hit = parts_contain(mail_part_child(p, i), fold);
		return hit;
	}
	{
		struct buf t = BUF_INIT;
		int rc;

		if (str_starts_with(mail_part_type(p), "text/"))
			rc = mail_part_text(p, &t, err, sizeof(err));
		else
			rc = mail_part_decode(p, &t, err, sizeof(err));
		hit = rc == WARY_OK && contains(t.data, t.len, fold, false);
		buf_release(&t);
	}
	return hit;
}

static bool any_header_contains(const struct mail_msg *m, const char *fold)
{
	for (size_t i = 0; i < mail_header_count(m); i++) {
		char *line = xasprintf("%s: %s", mail_header_name(m, i), mail_header_value(m, i));
		bool hit = value_contains(line, fold);

		free(line);
		if (hit)
			return true;
	}
	return false;
}

/* 1, 0 or the negative status of the message callback. */
static int term_eval(const struct node *n, struct eval *ev)
{
	const struct store_row *r = ev->row;
	const struct mail_msg *m = NULL;
	unsigned f = r->flags;

	switch (n->term) {
	case T_FROM: return value_contains(r->from, n->fold);
	case T_TO: return value_contains(r->to, n->fold);
	case T_SUBJECT: return value_contains(r->subject, n->fold);
	case T_SIMPLE: return value_contains(r->from, n->fold) || value_contains(r->subject, n->fold);
	case T_DATE: {
		long d = local_day(r->date);

		return (n->min_day == DAY_NONE || d >= n->min_day) &&
		       (n->max_day == DAY_NONE || d <= n->max_day);
	}
	case T_NEW: return (f & STORE_NEW) && !(f & STORE_SEEN);
	case T_OLD: return !(f & STORE_NEW) && !(f & STORE_SEEN);
	case T_UNREAD: return !(f & STORE_SEEN);
	case T_READ: return (f & STORE_SEEN) != 0;
	case T_FLAGGED: return (f & STORE_FLAGGED) != 0;
	case T_DELETED: return (f & STORE_DELETED) != 0;
	case T_ALL: return 1;
	case T_TOCC:
		if (value_contains(r->to, n->fold))
			return 1;
		break;
	default:
		break;
	}
	m = message(ev);
	if (ev->status != WARY_OK)
		return ev->status;
	if (m == NULL)
		return 0;
	switch (n->term) {
	case T_CC:
	case T_TOCC: return header_contains(m, "Cc", n->fold);
	case T_HEADER: return header_contains(m, n->hname, n->fold);
	case T_BODY: return parts_contain(mail_root(m), n->fold);
	case T_WHOLE: return any_header_contains(m, n->fold) || parts_contain(mail_root(m), n->fold);
	default: return 0;
	}
}

static int node_eval(const struct node *n, struct eval *ev)
{
	int r;

	switch (n->kind) {
	case N_TERM:
		return term_eval(n, ev);
	case N_NOT:
		r = node_eval(n->kids[0], ev);
		return r < 0 ? r : !r;
	case N_AND:
	case N_OR:
		/* Terms the row answers first: a message is read only when
		 * they leave the answer open. */
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; i < n->nkids; i++) {
				if (n->kids[i]->needs_msg != (pass == 1))
					continue;
				r = node_eval(n->kids[i], ev);
				if (r < 0)
					return r;
				if (n->kind == N_AND && r == 0)
					return 0;
				if (n->kind == N_OR && r == 1)
					return 1;
			}
		}
		return n->kind == N_AND;
	}
	return 0;
}

int pattern_match(const struct pattern *p, const struct store_row *row, pattern_msg_cb get,
                  void *ctx)
{
	struct eval ev;
	int r;

	memset(&ev, 0, sizeof(ev));
	ev.row = row;
	ev.get = get;
	ev.ctx = ctx;
	r = node_eval(p->root, &ev);
	mail_free(&ev.msg);
	buf_release(&ev.raw);
	return r;
}

/* ---- IMAP SEARCH ---- */

struct imap_out {
	struct buf b;
	bool utf8; /* some string is 8-bit: CHARSET UTF-8 */
};

/* A quoted string when that cannot be misread, else a literal. */
static void imap_string(struct imap_out *o, const char *s)
{
	size_t n = strlen(s);
	bool plain = true;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			plain = false;
		if (c >= 0x80)
			o->utf8 = true;
	}
	if (plain) {
		buf_addch(&o->b, '"');
		buf_add(&o->b, s, n);
		buf_addch(&o->b, '"');
	} else {
		buf_addf(&o->b, "{%zu}\r\n", n);
		buf_add(&o->b, s, n);
	}
}

static void imap_day(struct buf *b, long day)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	long y;
	int m, d;

	civil_from_days(day, &y, &m, &d);
	buf_addf(b, "%d-%s-%ld", d, mon[m - 1], y);
}

/* How many search keys n is written as at the top of a list. */
static size_t imap_keys(const struct node *n)
{
	if (n->kind == N_AND)
		return n->nkids;
	if (n->kind == N_TERM && n->term == T_OLD)
		return 2;
	if (n->kind == N_TERM && n->term == T_DATE)
		return n->min_day != DAY_NONE && n->max_day != DAY_NONE && n->min_day != n->max_day ? 2
		                                                                                    : 1;
	return 1;
}

static void imap_node(struct imap_out *o, const struct node *n, bool one);

/* kids[0..k) as one key: a balanced tree of ORs, so 256 terms nest 8 deep. */
static void imap_or(struct imap_out *o, struct node *const *kids, size_t k)
{
	if (k == 1) {
		imap_node(o, kids[0], true);
		return;
	}
	buf_adds(&o->b, "OR ");
	imap_or(o, kids, k / 2);
	buf_addch(&o->b, ' ');
	imap_or(o, kids + k / 2, k - k / 2);
}

static void imap_term(struct imap_out *o, const struct node *n)
{
	static const char *const key[] = {
		[T_FROM] = "FROM", [T_TO] = "TO", [T_CC] = "CC", [T_SUBJECT] = "SUBJECT",
		[T_BODY] = "BODY", [T_WHOLE] = "TEXT", [T_NEW] = "NEW", [T_OLD] = "OLD UNSEEN",
		[T_UNREAD] = "UNSEEN", [T_READ] = "SEEN", [T_FLAGGED] = "FLAGGED",
		[T_DELETED] = "DELETED", [T_ALL] = "ALL",
	};

	switch (n->term) {
	case T_FROM:
	case T_TO:
	case T_CC:
	case T_SUBJECT:
	case T_BODY:
	case T_WHOLE:
		buf_adds(&o->b, key[n->term]);
		buf_addch(&o->b, ' ');
		imap_string(o, n->str);
		break;
	case T_TOCC:
	case T_SIMPLE:
		buf_adds(&o->b, n->term == T_TOCC ? "OR TO " : "OR FROM ");
		imap_string(o, n->str);
		buf_adds(&o->b, n->term == T_TOCC ? " CC " : " SUBJECT ");
		imap_string(o, n->str);
		break;
	case T_HEADER:
		buf_adds(&o->b, "HEADER ");
		imap_string(o, n->hname);
		buf_addch(&o->b, ' ');
		imap_string(o, n->str);
		break;
	case T_DATE:
		if (n->min_day != DAY_NONE && n->min_day == n->max_day) {
			buf_adds(&o->b, "SENTON ");
			imap_day(&o->b, n->min_day);
			break;
		}
		if (n->min_day != DAY_NONE) {
			buf_adds(&o->b, "SENTSINCE ");
			imap_day(&o->b, n->min_day);
		}
		if (n->min_day != DAY_NONE && n->max_day != DAY_NONE)
			buf_addch(&o->b, ' ');
		if (n->max_day != DAY_NONE) {
			buf_adds(&o->b, "SENTBEFORE ");
			imap_day(&o->b, n->max_day + 1);
		}
		break;
	default:
		buf_adds(&o->b, key[n->term]);
		break;
	}
}

/* Write n; with `one`, as a single search key (parenthesised when it is
 * several), as OR and NOT operands must be. */
static void imap_node(struct imap_out *o, const struct node *n, bool one)
{
	bool paren = one && imap_keys(n) > 1;

	if (paren)
		buf_addch(&o->b, '(');
	switch (n->kind) {
	case N_TERM:
		imap_term(o, n);
		break;
	case N_NOT:
		buf_adds(&o->b, "NOT ");
		imap_node(o, n->kids[0], true);
		break;
	case N_OR:
		imap_or(o, n->kids, n->nkids);
		break;
	case N_AND:
		for (size_t i = 0; i < n->nkids; i++) {
			if (i > 0)
				buf_addch(&o->b, ' ');
			imap_node(o, n->kids[i], false);
		}
		break;
	}
	if (paren)
		buf_addch(&o->b, ')');
}

int pattern_imap(const struct pattern *p, struct buf *out, char *err, size_t errlen)
{
	struct imap_out o;

	if (p == NULL)
		return err_set(err, errlen, WARY_ERR, "pattern: no pattern");
	memset(&o, 0, sizeof(o));
	buf_init(&o.b);
	imap_node(&o, p->root, false);
	if (o.utf8)
		buf_adds(out, "CHARSET UTF-8 ");
	buf_add(out, o.b.data, o.b.len);
	buf_release(&o.b);
	return WARY_OK;
}
