/*
 * SPF, RFC 7208: check_host() with every mechanism, modifier and macro,
 * the limits of 4.6.4 (10 DNS-querying terms, 2 void lookups, 10 MX and
 * PTR names), and exp= explanations.  A record is parsed completely before
 * any term is evaluated, so a syntax error anywhere is a permerror (4.6)
 * whatever comes first.
 */
#include "auth/auth.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SPF_MAX_DNS 10
#define SPF_MAX_VOID 2
#define SPF_MAX_NAMES 10
#define SPF_MAX_TERMS 256  /* a longer record is hostile: permerror */

enum { R_NONE = AUTH_SPF_NONE, R_NEUTRAL = AUTH_SPF_NEUTRAL, R_PASS = AUTH_SPF_PASS,
       R_FAIL = AUTH_SPF_FAIL, R_SOFTFAIL = AUTH_SPF_SOFTFAIL,
       R_TEMPERROR = AUTH_SPF_TEMPERROR, R_PERMERROR = AUTH_SPF_PERMERROR };

/* A DNS failure inside the evaluation, carried up as a result. */
#define R_NOMATCH (-1)
#define R_MATCH (-2)

enum mech { M_ALL, M_INCLUDE, M_A, M_MX, M_PTR, M_IP4, M_IP6, M_EXISTS };

struct term {
	char qual;            /* + - ~ ? */
	enum mech kind;
	char *spec;           /* domain-spec, NULL when absent */
	int cidr4, cidr6;     /* -1 when absent */
	unsigned char net[16];
};

struct record {
	struct term *t;
	size_t n;
	char *redirect, *exp;
};

struct spf {
	const struct auth_dns *dns;
	int family;              /* 4 or 6 */
	unsigned char ip[16];
	char ipstr[64];          /* inet_ntop form */
	bool ip_upper;           /* the address was written with upper-case hex */
	char local[256];
	char sender_domain[256];
	char sender[520];
	char helo[256];
	unsigned dns_mechs, voids;
	int depth;
	struct auth_spf *out;
};

const char *auth_spf_result_name(enum auth_spf_result r)
{
	switch (r) {
	case AUTH_SPF_NONE: return "none";
	case AUTH_SPF_NEUTRAL: return "neutral";
	case AUTH_SPF_PASS: return "pass";
	case AUTH_SPF_FAIL: return "fail";
	case AUTH_SPF_SOFTFAIL: return "softfail";
	case AUTH_SPF_TEMPERROR: return "temperror";
	case AUTH_SPF_PERMERROR: return "permerror";
	}
	return "none";
}

/* ---------- names ---------- */

static bool is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A name DNS can be asked about: labels of 1..63, at most 253 in all, at
 * least two labels (4.3: a single label or a literal is "none"). */
static bool domain_queryable(const char *d, bool multi)
{
	size_t len = strlen(d);
	if (len && d[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	size_t label = 0, labels = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			labels++;
		} else {
			/* any byte may stand in a label (a macro can put a space
			 * there); only the first name checked must look like a host */
			if (multi && (c <= ' ' || c >= 0x7f || c == '[' || c == ']'))
				return false;
			if (++label > 63)
				return false;
		}
	}
	if (label == 0)
		return false;
	return !multi || labels >= 2;
}

/* ---------- macros (7) ---------- */

static bool macro_letter(int c, bool exp)
{
	c = c | 0x20;
	if (strchr("slodiphv", c))
		return true;
	return exp && strchr("crt", c);
}

static bool is_delim(int c)
{
	return c && strchr(".-+,/_=", c) != NULL;
}

/* Check macro-string syntax of S[0..len); exp allows c, r, t and spaces. */
static bool macro_syntax(const char *s, size_t len, bool exp)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 1 >= len)
				return false;
			char n = s[i + 1];
			if (n == '%' || n == '_' || n == '-') {
				i++;
				continue;
			}
			if (n != '{' || i + 2 >= len || !macro_letter(s[i + 2], exp))
				return false;
			size_t j = i + 3;
			while (j < len && is_digit(s[j]))
				j++;
			if (j < len && (s[j] | 0x20) == 'r')
				j++;
			while (j < len && is_delim(s[j]))
				j++;
			if (j >= len || s[j] != '}')
				return false;
			i = j;
			continue;
		}
		if (exp ? (c < 0x20 || c > 0x7e) : (c < 0x21 || c > 0x7e))
			return false;
	}
	return true;
}

/* %{i}: dotted quad, or 32 dot-separated nibbles (7.3) */
static void ip_dotted(const struct spf *s, struct buf *b)
{
	if (s->family == 4) {
		buf_addf(b, "%u.%u.%u.%u", s->ip[0], s->ip[1], s->ip[2], s->ip[3]);
		return;
	}
	/* The nibbles take the case the address was written in (DNS ignores
	 * it; the OpenSPF suite expects "CAFE:BABE::1" to give E.B.A.B...). */
	const char *hex = s->ip_upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		if (i)
			buf_addch(b, '.');
		buf_addch(b, hex[s->ip[i] >> 4]);
		buf_addch(b, '.');
		buf_addch(b, hex[s->ip[i] & 15]);
	}
}

static int lookup(struct spf *s, const char *name, enum auth_rrtype type,
                  struct auth_dns_reply *r)
{
	memset(r, 0, sizeof *r);
	if (!domain_queryable(name, false)) {
		r->status = AUTH_DNS_NXDOMAIN;
		return WARY_OK;
	}
	int rc = s->dns->query(s->dns->ctx, name, type, r);
	if (rc != WARY_OK) {
		auth_dns_reply_clear(r);
		r->status = AUTH_DNS_TEMPFAIL;
	}
	return WARY_OK;
}

static bool addr_match(const struct spf *s, const char *txt, int cidr)
{
	unsigned char a[16];
	if (s->family == 4) {
		if (inet_pton(AF_INET, txt, a) != 1)
			return false;
	} else if (inet_pton(AF_INET6, txt, a) != 1) {
		return false;
	}
	int bits = cidr;
	for (int i = 0; bits > 0; i++, bits -= 8) {
		unsigned char m = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((a[i] & m) != (s->ip[i] & m))
			return false;
	}
	return true;
}

/* Does NAME resolve to the client IP? */
static int name_has_ip(struct spf *s, const char *name, bool *yes)
{
	struct auth_dns_reply r;
	*yes = false;
	lookup(s, name, s->family == 4 ? AUTH_RR_A : AUTH_RR_AAAA, &r);
	int st = r.status;
	for (size_t i = 0; i < r.n && !*yes; i++)
		if (addr_match(s, r.rr[i], s->family == 4 ? 32 : 128))
			*yes = true;
	auth_dns_reply_clear(&r);
	return st;
}

static bool name_under(const char *name, const char *dom)
{
	size_t n = strlen(name), d = strlen(dom);
	while (d && dom[d - 1] == '.')
		d--;
	if (n == d)
		return str_ncasecmp(name, dom, n) == 0;
	return n > d && name[n - d - 1] == '.' && str_ncasecmp(name + n - d, dom, d) == 0;
}

/* The validated names of the client IP (5.5): up to 10 PTR names whose A/AAAA
 * holds the IP.  Returns the count, names in out (caller frees). */
static size_t validated_names(struct spf *s, char **out, int *status)
{
	struct buf q = BUF_INIT;
	static const char hex[] = "0123456789abcdef";
	if (s->family == 4) {
		buf_addf(&q, "%u.%u.%u.%u.in-addr.arpa", s->ip[3], s->ip[2], s->ip[1], s->ip[0]);
	} else {
		for (int i = 15; i >= 0; i--)
			buf_addf(&q, "%c.%c.", hex[s->ip[i] & 15], hex[s->ip[i] >> 4]);
		buf_adds(&q, "ip6.arpa");
	}
	struct auth_dns_reply r;
	lookup(s, q.data, AUTH_RR_PTR, &r);
	buf_release(&q);
	*status = r.status;
	size_t n = 0;
	for (size_t i = 0; i < r.n && i < SPF_MAX_NAMES; i++) {
		bool yes;
		name_has_ip(s, r.rr[i], &yes);
		if (yes)
			out[n++] = xstrdup(r.rr[i]);
	}
	auth_dns_reply_clear(&r);
	return n;
}

static void url_escape(struct buf *b, const char *v, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			buf_addch(b, c);
		} else {
			buf_addch(b, '%');
			buf_addch(b, hex[c >> 4]);
			buf_addch(b, hex[c & 15]);
		}
	}
}

/* Expand S[0..len) into B for the current DOMAIN.  -1 on a syntax error. */
static int expand(struct spf *s, const char *str, size_t len, const char *domain, bool exp,
                  struct buf *b)
{
	if (!macro_syntax(str, len, exp))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (str[i] != '%') {
			buf_addch(b, str[i]);
			continue;
		}
		char n = str[++i];
		if (n == '%') { buf_addch(b, '%'); continue; }
		if (n == '_') { buf_addch(b, ' '); continue; }
		if (n == '-') { buf_adds(b, "%20"); continue; }
		char letter = str[i + 1];
		size_t j = i + 2;
		unsigned long digits = 0;
		bool have_digits = false;
		while (is_digit(str[j])) {
			have_digits = true;
			if (digits < 1000)
				digits = digits * 10 + (unsigned long)(str[j] - '0');
			j++;
		}
		if (have_digits && digits == 0)
			return -1;
		bool rev = false;
		if ((str[j] | 0x20) == 'r') {
			rev = true;
			j++;
		}
		char delims[8] = "";
		size_t nd = 0;
		while (is_delim(str[j])) {
			if (nd < sizeof delims - 1 && !strchr(delims, str[j]))
				delims[nd++] = str[j];
			j++;
		}
		delims[nd] = '\0';
		if (!nd)
			str_copy(delims, ".", sizeof delims);
		i = j; /* at '}' */

		struct buf v = BUF_INIT;
		switch (letter | 0x20) {
		case 's': buf_adds(&v, s->sender); break;
		case 'l': buf_adds(&v, s->local); break;
		case 'o': buf_adds(&v, s->sender_domain); break;
		case 'd': buf_adds(&v, domain); break;
		case 'i': ip_dotted(s, &v); break;
		case 'v': buf_adds(&v, s->family == 4 ? "in-addr" : "ip6"); break;
		case 'h': buf_adds(&v, s->helo); break;
		case 'c': buf_adds(&v, s->ipstr); break;
		case 'r': buf_adds(&v, "unknown"); break;
		case 't': buf_addf(&v, "%lld", (long long)time(NULL)); break;
		case 'p': {
			char *names[SPF_MAX_NAMES];
			int st;
			size_t k = validated_names(s, names, &st);
			const char *pick = NULL;
			for (size_t x = 0; x < k && !pick; x++)
				if (str_casecmp(names[x], domain) == 0)
					pick = names[x];
			for (size_t x = 0; x < k && !pick; x++)
				if (name_under(names[x], domain))
					pick = names[x];
			if (!pick && k)
				pick = names[0];
			buf_adds(&v, pick ? pick : "unknown");
			for (size_t x = 0; x < k; x++)
				free(names[x]);
			break;
		}
		}
		/* split on the delimiters, reverse, keep the rightmost N, join with '.' */
		const char *parts[128];
		size_t plen[128], np = 0;
		const char *p = v.data ? v.data : "";
		const char *end = p + v.len;
		const char *st = p;
		for (const char *c = p; ; c++) {
			if (c == end || strchr(delims, *c)) {
				if (np < 128) {
					parts[np] = st;
					plen[np] = (size_t)(c - st);
					np++;
				}
				st = c + 1;
				if (c == end)
					break;
			}
		}
		if (rev)
			for (size_t a = 0, z = np - 1; a < z; a++, z--) {
				const char *tp = parts[a]; parts[a] = parts[z]; parts[z] = tp;
				size_t tl = plen[a]; plen[a] = plen[z]; plen[z] = tl;
			}
		size_t from = 0;
		if (have_digits && digits < np)
			from = np - digits;
		bool upper = letter >= 'A' && letter <= 'Z';
		for (size_t x = from; x < np; x++) {
			if (x > from)
				buf_addch(b, '.');
			if (upper)
				url_escape(b, parts[x], plen[x]);
			else
				buf_add(b, parts[x], plen[x]);
		}
		buf_release(&v);
	}
	return 0;
}

/* Expand a domain-spec and cut it to 253 from the left (4.8). */
static int expand_domain(struct spf *s, const char *spec, const char *domain, struct buf *out)
{
	buf_reset(out);
	if (expand(s, spec, strlen(spec), domain, false, out) < 0)
		return -1;
	char *d = out->data ? out->data : "";
	size_t len = out->len;
	if (len && d[len - 1] == '.')
		d[--len] = '\0';
	const char *p = d;
	while (strlen(p) > 253) {
		const char *dot = strchr(p, '.');
		if (!dot)
			break;
		p = dot + 1;
	}
	if (p != d) {
		memmove(d, p, strlen(p) + 1);
		out->len = strlen(d);
	}
	return 0;
}

/* ---------- record syntax (4.6, 12) ---------- */

static bool toplabel(const char *s, size_t len)
{
	if (len == 0 || s[0] == '-' || s[len - 1] == '-')
		return false;
	bool alpha = false, dash = false;
	for (size_t i = 0; i < len; i++) {
		if (is_alpha(s[i]))
			alpha = true;
		else if (s[i] == '-')
			dash = true;
		else if (!is_digit(s[i]))
			return false;
	}
	return alpha || dash;
}

static bool domain_spec_ok(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || !macro_syntax(s, len, false))
		return false;
	/* domain-end: a macro-expand, or "." toplabel ["."] */
	if (s[len - 1] == '}')
		return true;
	if (len >= 2 && s[len - 2] == '%' && strchr("%_-", s[len - 1])) {
		/* "%%" etc. end it only when that '%' is not itself escaped */
		size_t k = 0;
		for (size_t i = len - 1; i > 0 && s[i - 1] == '%'; i--)
			k++;
		if (k % 2 == 1)
			return true;
	}
	if (s[len - 1] == '.')
		len--;
	size_t dot = len;
	while (dot > 0 && s[dot - 1] != '.')
		dot--;
	if (dot == 0)
		return false;
	return toplabel(s + dot, len - dot);
}

static bool parse_cidr(const char *s, size_t len, int max, int *out)
{
	if (len == 0 || len > 3 || (s[0] == '0' && len > 1))
		return false;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* Strip a trailing dual-cidr-length from ARG (in place).  false = bad length. */
static bool take_dual_cidr(char *arg, int *c4, int *c6)
{
	size_t len = strlen(arg);
	*c4 = *c6 = -1;
	char *dd = NULL;
	for (size_t i = len; i >= 2; i--)
		if (arg[i - 1] == '/' && arg[i - 2] == '/') {
			dd = arg + i - 2;
			break;
		}
	if (dd) {
		const char *n = dd + 2;
		bool digits = *n != '\0';
		for (const char *c = n; *c; c++)
			if (!is_digit(*c))
				digits = false;
		if (digits) {
			if (!parse_cidr(n, strlen(n), 128, c6))
				return false;
			*dd = '\0';
			len = strlen(arg);
		}
	}
	char *sl = strrchr(arg, '/');
	if (sl) {
		const char *n = sl + 1;
		bool digits = *n != '\0';
		for (const char *c = n; *c; c++)
			if (!is_digit(*c))
				digits = false;
		if (digits) {
			if (!parse_cidr(n, strlen(n), 32, c4))
				return false;
			*sl = '\0';
		}
	}
	(void)len;
	return true;
}

static bool parse_ip4(const char *s, unsigned char *out)
{
	int part = 0;
	const char *p = s;
	for (part = 0; part < 4; part++) {
		if (!is_digit(*p))
			return false;
		int v = 0, nd = 0;
		const char *st = p;
		while (is_digit(*p)) {
			v = v * 10 + (*p - '0');
			if (++nd > 3 || v > 255)
				return false;
			p++;
		}
		if (nd > 1 && *st == '0')
			return false;
		out[part] = (unsigned char)v;
		if (part < 3) {
			if (*p != '.')
				return false;
			p++;
		}
	}
	return *p == '\0';
}

static void record_free(struct record *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->t[i].spec);
	free(r->t);
	free(r->redirect);
	free(r->exp);
	memset(r, 0, sizeof *r);
}

/* Parse the terms after "v=spf1".  false = permerror. */
static bool record_parse(const char *text, size_t textlen, struct record *rec)
{
	memset(rec, 0, sizeof *rec);
	for (size_t i = 0; i < textlen; i++)
		if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
			return false;
	const char *p = text + 6;
	const char *end = text + textlen;
	while (p < end) {
		if (*p != ' ')
			return false;
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		const char *st = p;
		while (p < end && *p != ' ')
			p++;
		char *term = xstrndup(st, (size_t)(p - st));
		bool ok = false;
		/* modifier: name "=" macro-string */
		size_t nl = 0;
		if (is_alpha(term[0]))
			while (is_alnum(term[nl]) || term[nl] == '-' || term[nl] == '_' || term[nl] == '.')
				nl++;
		if (nl && term[nl] == '=') {
			char *val = term + nl + 1;
			term[nl] = '\0';
			if (str_casecmp(term, "redirect") == 0) {
				ok = !rec->redirect && domain_spec_ok(val);
				if (ok)
					rec->redirect = xstrdup(val);
			} else if (str_casecmp(term, "exp") == 0) {
				ok = !rec->exp && domain_spec_ok(val);
				if (ok)
					rec->exp = xstrdup(val);
			} else {
				ok = macro_syntax(val, strlen(val), false);
			}
			free(term);
			if (!ok)
				return false;
			continue;
		}
		if (rec->n >= SPF_MAX_TERMS) {
			free(term);
			return false;
		}
		rec->t = xreallocarray(rec->t, rec->n + 1, sizeof *rec->t);
		struct term *t = &rec->t[rec->n++];
		memset(t, 0, sizeof *t);
		t->cidr4 = t->cidr6 = -1;
		char *m = term;
		t->qual = '+';
		if (*m && strchr("+-~?", *m))
			t->qual = *m++;
		size_t ml = 0;
		while (is_alnum(m[ml]))
			ml++;
		char *rest = m + ml;
		char name[16];
		str_copy(name, m, ml + 1 < sizeof name ? ml + 1 : sizeof name);
		if (ml >= sizeof name)
			name[0] = '\0';
		if (str_casecmp(name, "all") == 0) {
			t->kind = M_ALL;
			ok = *rest == '\0';
		} else if (str_casecmp(name, "include") == 0 || str_casecmp(name, "exists") == 0) {
			t->kind = (name[0] | 0x20) == 'i' ? M_INCLUDE : M_EXISTS;
			ok = rest[0] == ':' && domain_spec_ok(rest + 1);
			if (ok)
				t->spec = xstrdup(rest + 1);
		} else if (str_casecmp(name, "a") == 0 || str_casecmp(name, "mx") == 0) {
			t->kind = (name[0] | 0x20) == 'a' ? M_A : M_MX;
			ok = take_dual_cidr(rest, &t->cidr4, &t->cidr6);
			if (ok && rest[0] == ':') {
				ok = domain_spec_ok(rest + 1);
				if (ok)
					t->spec = xstrdup(rest + 1);
			} else if (ok) {
				ok = rest[0] == '\0';
			}
		} else if (str_casecmp(name, "ptr") == 0) {
			t->kind = M_PTR;
			if (rest[0] == ':') {
				ok = domain_spec_ok(rest + 1);
				if (ok)
					t->spec = xstrdup(rest + 1);
			} else {
				ok = rest[0] == '\0';
			}
		} else if (str_casecmp(name, "ip4") == 0) {
			t->kind = M_IP4;
			if (rest[0] == ':') {
				char *sl = strchr(rest + 1, '/');
				t->cidr4 = 32;
				ok = true;
				if (sl) {
					*sl = '\0';
					ok = parse_cidr(sl + 1, strlen(sl + 1), 32, &t->cidr4);
				}
				ok = ok && parse_ip4(rest + 1, t->net);
			}
		} else if (str_casecmp(name, "ip6") == 0) {
			t->kind = M_IP6;
			if (rest[0] == ':') {
				char *sl = strchr(rest + 1, '/');
				t->cidr6 = 128;
				ok = true;
				if (sl) {
					*sl = '\0';
					ok = parse_cidr(sl + 1, strlen(sl + 1), 128, &t->cidr6);
				}
				ok = ok && inet_pton(AF_INET6, rest + 1, t->net) == 1;
			}
		}
		free(term);
		if (!ok)
			return false;
	}
	return true;
}

/* ---------- evaluation (4, 5, 6) ---------- */

static int check_host(struct spf *s, const char *domain, bool want_exp, char *expl, size_t expllen);

static int count_dns(struct spf *s)
{
	return ++s->dns_mechs > SPF_MAX_DNS ? R_PERMERROR : 0;
}

static int count_void(struct spf *s, const struct auth_dns_reply *r)
{
	if (r->status == AUTH_DNS_NXDOMAIN || (r->status == AUTH_DNS_OK && r->n == 0))
		if (++s->voids > SPF_MAX_VOID)
			return R_PERMERROR;
	return 0;
}

static int match_a(struct spf *s, const char *name, const struct term *t, bool count_voids)
{
	struct auth_dns_reply r;
	lookup(s, name, s->family == 4 ? AUTH_RR_A : AUTH_RR_AAAA, &r);
	int res = R_NOMATCH;
	int cidr = s->family == 4 ? (t->cidr4 >= 0 ? t->cidr4 : 32) : (t->cidr6 >= 0 ? t->cidr6 : 128);
	if (r.status == AUTH_DNS_TEMPFAIL) {
		res = R_TEMPERROR;
	} else {
		if (count_voids && count_void(s, &r))
			res = R_PERMERROR;
		for (size_t i = 0; i < r.n && res == R_NOMATCH; i++)
			if (addr_match(s, r.rr[i], cidr))
				res = R_MATCH;
	}
	auth_dns_reply_clear(&r);
	return res;
}

static int eval_term(struct spf *s, const struct term *t, const char *domain)
{
	struct buf target = BUF_INIT;
	int res = R_NOMATCH;
	if (t->kind == M_INCLUDE || t->kind == M_A || t->kind == M_MX || t->kind == M_PTR
	    || t->kind == M_EXISTS) {
		if (count_dns(s)) {
			res = R_PERMERROR;
			goto out;
		}
		if (t->spec) {
			if (expand_domain(s, t->spec, domain, &target) < 0) {
				res = R_PERMERROR;
				goto out;
			}
		} else {
			buf_adds(&target, domain);
		}
	}
	switch (t->kind) {
	case M_ALL:
		res = R_MATCH;
		break;
	case M_IP4:
		if (s->family == 4) {
			char txt[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, t->net, txt, sizeof txt);
			res = addr_match(s, txt, t->cidr4) ? R_MATCH : R_NOMATCH;
		}
		break;
	case M_IP6:
		if (s->family == 6) {
			char txt[INET6_ADDRSTRLEN];
			inet_ntop(AF_INET6, t->net, txt, sizeof txt);
			res = addr_match(s, txt, t->cidr6) ? R_MATCH : R_NOMATCH;
		}
		break;
	case M_A:
		res = match_a(s, target.data, t, true);
		break;
	case M_EXISTS: {
		struct auth_dns_reply r;
		lookup(s, target.data, AUTH_RR_A, &r);
		if (r.status == AUTH_DNS_TEMPFAIL)
			res = R_TEMPERROR;
		else if (count_void(s, &r))
			res = R_PERMERROR;
		else
			res = r.n ? R_MATCH : R_NOMATCH;
		auth_dns_reply_clear(&r);
		break;
	}
	case M_MX: {
		struct auth_dns_reply r;
		lookup(s, target.data, AUTH_RR_MX, &r);
		if (r.status == AUTH_DNS_TEMPFAIL) {
			res = R_TEMPERROR;
		} else if (count_void(s, &r)) {
			res = R_PERMERROR;
		} else if (r.n > SPF_MAX_NAMES) {
			res = R_PERMERROR;
		} else {
			for (size_t i = 0; i < r.n && res == R_NOMATCH; i++) {
				const char *host = strchr(r.rr[i], ' ');
				host = host ? host + 1 : r.rr[i];
				if (!*host || strcmp(host, ".") == 0)
					continue;
				res = match_a(s, host, t, false);
			}
		}
		auth_dns_reply_clear(&r);
		break;
	}
	case M_PTR: {
		char *names[SPF_MAX_NAMES];
		int st;
		size_t k = validated_names(s, names, &st);
		if (st == AUTH_DNS_NXDOMAIN && ++s->voids > SPF_MAX_VOID)
			res = R_PERMERROR;
		for (size_t i = 0; i < k; i++) {
			if (res == R_NOMATCH && name_under(names[i], target.data))
				res = R_MATCH;
			free(names[i]);
		}
		break;
	}
	case M_INCLUDE: {
		if (s->depth > SPF_MAX_DNS + 2) {
			res = R_PERMERROR;
			break;
		}
		s->depth++;
		int r = check_host(s, target.data, false, NULL, 0);
		s->depth--;
		if (r == R_PASS)
			res = R_MATCH;
		else if (r == R_TEMPERROR)
			res = R_TEMPERROR;
		else if (r == R_PERMERROR || r == R_NONE)
			res = R_PERMERROR;
		else
			res = R_NOMATCH;
		break;
	}
	}
out:
	buf_release(&target);
	return res;
}

static void explain(struct spf *s, const char *spec, const char *domain, char *expl, size_t expllen)
{
	struct buf target = BUF_INIT, text = BUF_INIT;
	if (expand_domain(s, spec, domain, &target) < 0 || !domain_queryable(target.data, false))
		goto out;
	struct auth_dns_reply r;
	lookup(s, target.data, AUTH_RR_TXT, &r);
	if (r.status == AUTH_DNS_OK && r.n == 1 && strlen(r.rr[0]) == r.len[0]
	    && expand(s, r.rr[0], r.len[0], domain, true, &text) == 0) {
		bool ascii = true;
		for (size_t i = 0; i < text.len; i++)
			if ((unsigned char)text.data[i] > 0x7e)
				ascii = false;
		if (ascii)
			str_copy(expl, text.data, expllen);
	}
	auth_dns_reply_clear(&r);
out:
	buf_release(&target);
	buf_release(&text);
}

static int check_host(struct spf *s, const char *domain, bool want_exp, char *expl, size_t expllen)
{
	if (!domain_queryable(domain, true))
		return R_NONE;
	struct auth_dns_reply r;
	lookup(s, domain, AUTH_RR_TXT, &r);
	if (r.status == AUTH_DNS_TEMPFAIL) {
		auth_dns_reply_clear(&r);
		return R_TEMPERROR;
	}
	if (r.status != AUTH_DNS_OK) {
		auth_dns_reply_clear(&r);
		return R_NONE;
	}
	size_t found = 0, which = 0;
	for (size_t i = 0; i < r.n; i++)
		if (r.len[i] >= 6 && str_ncasecmp(r.rr[i], "v=spf1", 6) == 0
		    && (r.len[i] == 6 || r.rr[i][6] == ' ')) {
			found++;
			which = i;
		}
	if (found == 0) {
		auth_dns_reply_clear(&r);
		return R_NONE;
	}
	if (found > 1) {
		auth_dns_reply_clear(&r);
		return R_PERMERROR;
	}
	struct record rec;
	bool ok = record_parse(r.rr[which], r.len[which], &rec);
	auth_dns_reply_clear(&r);
	if (!ok) {
		record_free(&rec);
		return R_PERMERROR;
	}
	int result = R_NEUTRAL;
	bool matched = false;
	for (size_t i = 0; i < rec.n; i++) {
		int m = eval_term(s, &rec.t[i], domain);
		if (m == R_NOMATCH)
			continue;
		if (m != R_MATCH) {
			result = m;
			goto done;
		}
		matched = true;
		switch (rec.t[i].qual) {
		case '-': result = R_FAIL; break;
		case '~': result = R_SOFTFAIL; break;
		case '?': result = R_NEUTRAL; break;
		default: result = R_PASS; break;
		}
		break;
	}
	if (!matched && rec.redirect) {
		struct buf target = BUF_INIT;
		if (count_dns(s) || expand_domain(s, rec.redirect, domain, &target) < 0) {
			result = R_PERMERROR;
		} else if (s->depth > SPF_MAX_DNS + 2) {
			result = R_PERMERROR;
		} else {
			s->depth++;
			result = check_host(s, target.data, want_exp, expl, expllen);
			s->depth--;
			if (result == R_NONE)
				result = R_PERMERROR;
		}
		buf_release(&target);
		goto done;
	}
	if (result == R_FAIL && want_exp && rec.exp && expl)
		explain(s, rec.exp, domain, expl, expllen);
done:
	record_free(&rec);
	return result;
}

int auth_spf_check(const struct auth_dns *dns, const char *ip, const char *helo,
                   const char *mail_from, struct auth_spf *out, char *err, size_t errlen)
{
	struct spf s;
	memset(&s, 0, sizeof s);
	memset(out, 0, sizeof *out);
	if (!dns || !dns->query || !ip)
		return err_set(err, errlen, WARY_ERR, "spf: no resolver or no IP");
	s.dns = dns;
	s.out = out;
	str_copy(out->ip, ip, sizeof out->ip);
	str_copy(out->helo, helo ? helo : "", sizeof out->helo);
	str_copy(s.helo, helo ? helo : "", sizeof s.helo);
	if (inet_pton(AF_INET, ip, s.ip) == 1) {
		s.family = 4;
	} else if (inet_pton(AF_INET6, ip, s.ip) == 1) {
		s.family = 6;
		static const unsigned char mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
		if (memcmp(s.ip, mapped, 12) == 0) {
			memmove(s.ip, s.ip + 12, 4);
			s.family = 4;
		}
	} else {
		return err_set(err, errlen, WARY_EPARSE, "spf: not an IP address");
	}
	inet_ntop(s.family == 4 ? AF_INET : AF_INET6, s.ip, s.ipstr, sizeof s.ipstr);
	for (const char *c = ip; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			s.ip_upper = true;

	/* The sender: strip <>, an empty one is postmaster@HELO (2.4). */
	char from[520];
	str_copy(from, mail_from ? mail_from : "", sizeof from);
	char *f = str_trim(from);
	size_t fl = strlen(f);
	if (fl >= 2 && f[0] == '<' && f[fl - 1] == '>') {
		f[fl - 1] = '\0';
		f++;
	}
	const char *at = strrchr(f, '@');
	if (!*f) {
		str_copy(s.local, "postmaster", sizeof s.local);
		str_copy(s.sender_domain, s.helo, sizeof s.sender_domain);
	} else if (!at) {
		str_copy(s.local, "postmaster", sizeof s.local);
		str_copy(s.sender_domain, f, sizeof s.sender_domain);
	} else {
		size_t ll = (size_t)(at - f);
		if (ll == 0)
			str_copy(s.local, "postmaster", sizeof s.local);
		else
			str_copy(s.local, f, ll + 1 < sizeof s.local ? ll + 1 : sizeof s.local);
		str_copy(s.sender_domain, at + 1, sizeof s.sender_domain);
	}
	snprintf(s.sender, sizeof s.sender, "%s@%s", s.local, s.sender_domain);
	str_copy(out->domain, s.sender_domain, sizeof out->domain);
	int r = check_host(&s, s.sender_domain, true, out->explanation, sizeof out->explanation);
	out->result = (enum auth_spf_result)r;
	out->dns_mechs = s.dns_mechs;
	out->void_lookups = s.voids;
	return WARY_OK;
}
