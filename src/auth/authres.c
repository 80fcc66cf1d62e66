/* Authentication-Results (RFC 8601): a parser, and the rule for which of
 * these headers wary believes.  Anyone can write this header; only the
 * user's own receiving server, named by trusted_authserv_id and sitting
 * above the trust boundary, is believed (design 4.6).
 *
 * The parser is strict about the structure (authserv-id, methodspec,
 * reasonspec) and tolerant about properties: a property that does not
 * have the ptype.property=value form is skipped and counted, as receiving
 * servers write such things ("x-tls=pass version=TLSv1.2"). */
#include "auth/auth.h"

#include <ctype.h>
#include <string.h>

struct lex {
	const char *s;
	size_t i, n;
	char comment[128]; /* the last comment skipped */
	bool bad;
};

/* Skip white space, line ends and (nested) comments; keep the last
 * comment's text. */
static void cfws(struct lex *l)
{
	for (;;) {
		while (l->i < l->n && (l->s[l->i] == ' ' || l->s[l->i] == '\t' || l->s[l->i] == '\r' ||
		                       l->s[l->i] == '\n'))
			l->i++;
		if (l->i < l->n && l->s[l->i] == '(') {
			int depth = 0;
			size_t o = 0;

			do {
				char c = l->s[l->i];

				if (c == '\\' && l->i + 1 < l->n) {
					l->i++;
					c = l->s[l->i];
				} else if (c == '(') {
					depth++;
					if (depth == 1) {
						l->i++;
						continue;
					}
				} else if (c == ')') {
					depth--;
					if (depth == 0) {
						l->i++;
						break;
					}
				}
				if (o + 1 < sizeof(l->comment) && c != '\r' && c != '\n')
					l->comment[o++] = c;
				l->i++;
			} while (l->i < l->n);
			l->comment[o] = '\0';
			if (depth != 0) {
				l->bad = true;
				return;
			}
			continue;
		}
		return;
	}
}

static bool is_kw(int c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* A Keyword (RFC 8601 2.2: ALPHA *(["-"] ALPHA / DIGIT), read loosely
 * as letters, digits, '-' and '_'), lower-cased into out. */
static bool keyword(struct lex *l, char *out, size_t max)
{
	size_t o = 0;

	if (l->i >= l->n || !isalnum((unsigned char)l->s[l->i]))
		return false;
	while (l->i < l->n && is_kw((unsigned char)l->s[l->i])) {
		if (o + 1 < max)
			out[o++] = (char)tolower((unsigned char)l->s[l->i]);
		l->i++;
	}
	out[o] = '\0';
	return true;
}

/* value = token / quoted-string; with_at also takes local-part@domain and
 * the '/', ':' met in real header.b= and policy.iprev= values. */
static bool value(struct lex *l, char *out, size_t max, bool with_at)
{
	size_t o = 0;

	if (l->i < l->n && l->s[l->i] == '"') {
		l->i++;
		while (l->i < l->n && l->s[l->i] != '"') {
			char c = l->s[l->i];

			if (c == '\\' && l->i + 1 < l->n)
				c = l->s[++l->i];
			if (o + 1 < max && c != '\r' && c != '\n')
				out[o++] = c;
			l->i++;
		}
		if (l->i >= l->n)
			return false;
		l->i++;
		out[o] = '\0';
		return true;
	}
	while (l->i < l->n) {
		unsigned char c = (unsigned char)l->s[l->i];

		if (c <= 0x20 || c >= 0x7f || c == ';' || c == '(' || c == ')' || c == '"' ||
		    c == '=' || c == ',' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\')
			break;
		if (!with_at && (c == '@' || c == '/' || c == ':' || c == '?'))
			break;
		if (o + 1 < max)
			out[o++] = (char)c;
		l->i++;
	}
	out[o] = '\0';
	return o > 0;
}

static bool at(struct lex *l, char c)
{
	return l->i < l->n && l->s[l->i] == c;
}

/* Skip to the next ';' outside quotes and comments. */
static void skip_to_semicolon(struct lex *l)
{
	while (l->i < l->n && l->s[l->i] != ';') {
		if (l->s[l->i] == '(') {
			cfws(l);
			if (l->bad)
				return;
			continue;
		}
		if (l->s[l->i] == '"') {
			char tmp[8];

			if (!value(l, tmp, sizeof(tmp), true)) {
				l->bad = true;
				return;
			}
			continue;
		}
		l->i++;
	}
}

int auth_ar_parse(const char *v, size_t len, struct auth_ar *out, char *err, size_t errlen)
{
	struct lex l = { v, 0, len, "", false };

	memset(out, 0, sizeof(*out));
	out->version = 1;
	cfws(&l);
	if (l.bad || !value(&l, out->authserv_id, sizeof(out->authserv_id), true))
		return err_set(err, errlen, WARY_EPARSE, "Authentication-Results: no authserv-id");
	cfws(&l);
	if (l.i < l.n && isdigit((unsigned char)l.s[l.i])) {
		int ver = 0;

		while (l.i < l.n && isdigit((unsigned char)l.s[l.i])) {
			if (ver < 1000)
				ver = ver * 10 + (l.s[l.i] - '0');
			l.i++;
		}
		out->version = ver;
		cfws(&l);
	}
	if (out->version != 1)
		return err_set(err, errlen, WARY_EPARSE, "Authentication-Results: unknown version");
	if (l.bad)
		return err_set(err, errlen, WARY_EPARSE, "Authentication-Results: bad comment");
	if (l.i >= l.n)
		return err_set(err, errlen, WARY_EPARSE, "Authentication-Results: no result");
	while (l.i < l.n) {
		struct auth_ar_result *r;
		char kw[64];

		if (!at(&l, ';'))
			return err_set(err, errlen, WARY_EPARSE, "Authentication-Results: ';' expected");
		l.i++;
		cfws(&l);
		if (l.i >= l.n)
			break; /* a trailing ';' is seen in the wild; harmless */
		if (!keyword(&l, kw, sizeof(kw)))
			return err_set(err, errlen, WARY_EPARSE, "Authentication-Results: method expected");
		cfws(&l);
		if (strcmp(kw, "none") == 0 && (l.i >= l.n || at(&l, ';')) && out->n == 0) {
			out->none = true;
			continue;
		}
		if (out->n >= AUTH_AR_MAX_RESULTS) {
			out->truncated = true;
			skip_to_semicolon(&l);
			continue;
		}
		r = &out->r[out->n];
		memset(r, 0, sizeof(*r));
		str_copy(r->method, kw, sizeof(r->method));
		r->version = 1;
		if (at(&l, '/')) {
			l.i++;
			cfws(&l);
			if (l.i >= l.n || !isdigit((unsigned char)l.s[l.i]))
				return err_set(err, errlen, WARY_EPARSE,
				               "Authentication-Results: bad method version");
			r->version = 0;
			while (l.i < l.n && isdigit((unsigned char)l.s[l.i])) {
				if (r->version < 1000)
					r->version = r->version * 10 + (l.s[l.i] - '0');
				l.i++;
			}
			cfws(&l);
		}
		if (!at(&l, '='))
			return err_set(err, errlen, WARY_EPARSE, "Authentication-Results: '=' expected");
		l.i++;
		cfws(&l);
		if (!keyword(&l, r->result, sizeof(r->result)))
			return err_set(err, errlen, WARY_EPARSE, "Authentication-Results: result expected");
		l.comment[0] = '\0';
		cfws(&l);
		str_copy(r->comment, l.comment, sizeof(r->comment));
		out->n++;
		/* reasonspec and propspecs until the next ';' */
		while (l.i < l.n && !at(&l, ';') && !l.bad) {
			size_t save = l.i;
			char ptype[32], prop[64], val[AUTH_AR_VALUE];

			if (!keyword(&l, ptype, sizeof(ptype))) {
				out->skipped++;
				skip_to_semicolon(&l);
				break;
			}
			cfws(&l);
			if (strcmp(ptype, "reason") == 0 && at(&l, '=')) {
				l.i++;
				cfws(&l);
				if (!value(&l, r->reason, sizeof(r->reason), true))
					return err_set(err, errlen, WARY_EPARSE,
					               "Authentication-Results: bad reason");
				cfws(&l);
				continue;
			}
			if (!at(&l, '.')) {
				l.i = save;
				out->skipped++;
				skip_to_semicolon(&l);
				break;
			}
			l.i++;
			cfws(&l);
			if (!keyword(&l, prop, sizeof(prop))) {
				out->skipped++;
				skip_to_semicolon(&l);
				break;
			}
			cfws(&l);
			if (!at(&l, '=')) {
				out->skipped++;
				skip_to_semicolon(&l);
				break;
			}
			l.i++;
			cfws(&l);
			val[0] = '\0';
			if (!value(&l, val, sizeof(val), true) && !(at(&l, ';') || l.i >= l.n)) {
				out->skipped++;
				skip_to_semicolon(&l);
				break;
			}
			cfws(&l);
			if (r->nprop < AUTH_AR_MAX_PROPS) {
				struct auth_ar_prop *p = &r->prop[r->nprop++];

				str_copy(p->ptype, ptype, sizeof(p->ptype));
				str_copy(p->property, prop, sizeof(p->property));
				str_copy(p->value, val, sizeof(p->value));
			} else {
				out->truncated = true;
			}
		}
		if (l.bad)
			return err_set(err, errlen, WARY_EPARSE, "Authentication-Results: bad comment");
	}
	if (out->n == 0 && !out->none)
		return err_set(err, errlen, WARY_EPARSE, "Authentication-Results: no result");
	return WARY_OK;
}

const char *auth_ar_prop_get(const struct auth_ar_result *r, const char *ptype, const char *prop)
{
	for (size_t i = 0; i < r->nprop; i++)
		if (strcmp(r->prop[i].ptype, ptype) == 0 && strcmp(r->prop[i].property, prop) == 0)
			return r->prop[i].value;
	return NULL;
}

/*
 * Which Authentication-Results fields to believe.  The boundary hop's own
 * Received field was written by the user's server; every field below it
 * was in the message when it arrived from outside, so only fields above
 * it can be the server's own.  An Authentication-Results with the trusted
 * authserv-id below that line is a forgery (or a stale copy) and says so.
 */
int auth_ar_collect(const struct mail_msg *msg, const char *trusted_id, size_t boundary_hop,
                    struct auth_ar_set *out, char *err, size_t errlen)
{
	size_t n = mail_header_count(msg), received = 0, limit = n;
	bool have_trusted = trusted_id != NULL && trusted_id[0] != '\0';

	(void)err;
	(void)errlen;
	memset(out, 0, sizeof(*out));
	if (boundary_hop == (size_t)-1)
		boundary_hop = 0;
	for (size_t i = 0; i < n; i++) {
		if (str_casecmp(mail_header_name(msg, i), "Received") != 0)
			continue;
		if (received == boundary_hop) {
			limit = i;
			break;
		}
		received++;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = mail_header_name(msg, i), *v;
		struct auth_ar_entry *e;
		char perr[WARY_ERRLEN];

		if (str_casecmp(name, "Authentication-Results") != 0)
			continue;
		out->total++;
		if (out->n >= AUTH_AR_MAX_HEADERS)
			continue;
		e = &out->e[out->n];
		v = mail_header_value(msg, i);
		e->header_index = i;
		e->parsed = auth_ar_parse(v, strlen(v), &e->ar, perr, sizeof(perr)) == WARY_OK;
		e->above_boundary = i < limit;
		e->id_matches = have_trusted && e->parsed &&
		                str_casecmp(e->ar.authserv_id, trusted_id) == 0;
		e->trusted = e->id_matches && e->above_boundary;
		if (e->trusted)
			out->n_trusted++;
		if (e->id_matches && !e->above_boundary)
			out->forged++;
		out->n++;
	}
	return WARY_OK;
}
