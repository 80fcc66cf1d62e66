/*
 * The Received chain (RFC 5321 4.4): one parser for what Postfix,
 * Sendmail, Exim, qmail, Exchange and Gmail write, tolerant of what they
 * get wrong and bounded against hostile input; then the trust boundary and
 * the anomalies that show a chain was invented below it.
 */
#include "trace/trace.h"

#include <arpa/inet.h>
#include <libpsl.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 256
#define MAX_NEST 16

/* Clock skew we forgive between two servers before "backwards". */
#define SKEW_S 120
/* A date this far ahead of now is in the future. */
#define FUTURE_S 900
/* Greylisting retries come after minutes; a queue stuck for hours is "long". */
#define GREY_MIN_S 300
#define GREY_MAX_S 7200

struct trace {
	struct trace_hop *hops;
	size_t n;
	size_t boundary;
	unsigned flags;
	char origin[64];
	struct trace_opts opts;
	char **trusted;      /* own copies of opts.trusted_hosts */
	char **zones;        /* and of opts.dnsbl_zones */
};

const char *trace_flag_name(unsigned flag)
{
	switch (flag) {
	case TRACE_F_UNPARSED: return "unparsed";
	case TRACE_F_HELO_MISMATCH: return "helo-mismatch";
	case TRACE_F_DATE_BACKWARDS: return "date-backwards";
	case TRACE_F_DATE_FUTURE: return "date-future";
	case TRACE_F_PRIVATE_IP: return "private-ip";
	case TRACE_F_MAY_BE_FORGED: return "may-be-forged";
	case TRACE_F_GREYLIST: return "greylist-delay";
	case TRACE_F_NO_DATE: return "no-date";
	case TRACE_F_BOUNDARY: return "trust-boundary";
	case TRACE_F_INTERNAL: return "internal";
	case TRACE_F_DNSBL: return "dnsbl-listed";
	case TRACE_F_LONG_DELAY: return "long-delay";
	case TRACE_F_HELO_IP_LIT: return "helo-ip-mismatch";
	case TRACE_F_NO_IP: return "no-ip";
	}
	return NULL;
}

const char *trace_chain_flag_name(unsigned flag)
{
	switch (flag) {
	case TRACE_C_NONE_RECEIVED: return "no-received";
	case TRACE_C_TRUNCATED: return "truncated";
	case TRACE_C_NO_BOUNDARY: return "no-trust-boundary";
	case TRACE_C_FORGED_HOPS: return "suspicious-hops-below-boundary";
	}
	return NULL;
}

/* ---------- addresses ---------- */

static bool parse_ip(const char *s, unsigned char *a, int *family)
{
	if (inet_pton(AF_INET, s, a) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		static const unsigned char mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
		if (memcmp(a, mapped, 12) == 0) {
			memmove(a, a + 12, 4);
			*family = 4;
		} else {
			*family = 6;
		}
		return true;
	}
	return false;
}

bool trace_ip_is_private(const char *ip)
{
	unsigned char a[16];
	int fam;
	if (!ip || !parse_ip(ip, a, &fam))
		return false;
	if (fam == 4)
		return a[0] == 10 || a[0] == 127 || a[0] == 0
		       || (a[0] == 172 && (a[1] & 0xf0) == 16)
		       || (a[0] == 192 && a[1] == 168)
		       || (a[0] == 169 && a[1] == 254)
		       || (a[0] == 100 && (a[1] & 0xc0) == 64);
	static const unsigned char loop[16] = { [15] = 1 }, zero[16] = { 0 };
	return memcmp(a, loop, 16) == 0 || memcmp(a, zero, 16) == 0
	       || (a[0] & 0xfe) == 0xfc                 /* fc00::/7 unique local */
	       || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80); /* fe80::/10 link-local */
}

/* No TCP client can have these: multicast, reserved, broadcast. */
static bool ip_is_bogus(const char *ip)
{
	unsigned char a[16];
	int fam;
	if (!parse_ip(ip, a, &fam))
		return false;
	if (fam == 4)
		return a[0] >= 224;
	return a[0] == 0xff;
}

static bool same_ip(const char *x, const char *y)
{
	unsigned char a[16], b[16];
	int fa, fb;
	if (!parse_ip(x, a, &fa) || !parse_ip(y, b, &fb) || fa != fb)
		return false;
	return memcmp(a, b, fa == 4 ? 4 : 16) == 0;
}

/* "[1.2.3.4]", "[IPv6:2001:db8::1]", "1.2.3.4" -> the address, or false. */
static bool ip_literal(const char *s, char *out, size_t outlen)
{
	char t[80];
	size_t n = strlen(s);
	if (n >= sizeof t)
		return false;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		memcpy(t, s + 1, n - 2);
		t[n - 2] = '\0';
	} else {
		memcpy(t, s, n + 1);
	}
	char *p = t;
	if (str_istarts_with(p, "IPv6:"))
		p += 5;
	unsigned char a[16];
	int fam;
	if (!parse_ip(p, a, &fam))
		return false;
	inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, out, (socklen_t)outlen);
	return true;
}

/* ---------- tokens ---------- */

enum tok_kind { T_WORD, T_COMMENT, T_SEMI };
struct tok {
	enum tok_kind kind;
	const char *s;   /* for a comment: its inside */
	size_t len;
};

static size_t tokenize(const char *s, size_t len, struct tok *t, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len && n < max) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
			continue;
		}
		if (c == '(') {
			size_t st = ++i;
			int depth = 1;
			while (i < len && depth > 0) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				else if (s[i] == '(' && depth < MAX_NEST)
					depth++;
				else if (s[i] == ')')
					depth--;
				i++;
			}
			t[n++] = (struct tok){ T_COMMENT, s + st, (depth ? i : i - 1) - st };
			continue;
		}
		if (c == ';') {
			t[n++] = (struct tok){ T_SEMI, s + i, 1 };
			i++;
			continue;
		}
		size_t st = i;
		if (c == '[') {
			while (i < len && s[i] != ']' && s[i] != ' ')
				i++;
			if (i < len && s[i] == ']')
				i++;
		} else if (c == '<') {
			while (i < len && s[i] != '>')
				i++;
			if (i < len)
				i++;
		} else {
			while (i < len && !strchr(" \t\r\n();", s[i]))
				i++;
		}
		t[n++] = (struct tok){ T_WORD, s + st, i - st };
	}
	return n;
}

static bool tok_is(const struct tok *t, const char *kw)
{
	return t->kind == T_WORD && t->len == strlen(kw) && str_ncasecmp(t->s, kw, t->len) == 0;
}

static bool is_keyword(const struct tok *t)
{
	static const char *const kw[] = { "from", "by", "via", "with", "id", "for" };
	for (size_t i = 0; i < 6; i++)
		if (tok_is(t, kw[i]))
			return true;
	return false;
}

static void copy_tok(char *dst, size_t dstlen, const char *s, size_t len)
{
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* A host name as written, without a trailing dot, lower-case. */
static void copy_host(char *dst, size_t dstlen, const char *s, size_t len)
{
	copy_tok(dst, dstlen, s, len);
	size_t n = strlen(dst);
	while (n && dst[n - 1] == '.')
		dst[--n] = '\0';
	str_lower(dst);
}

/* Read what a from clause's comment says: "rdns [ip]", "[ip] helo=x",
 * "HELO x", "ip", "may be forged", "unknown [ip]". */
static void from_comment(struct trace_hop *h, const char *s, size_t len, bool *qmail_helo,
                         int depth)
{
	if (depth > MAX_NEST)
		return;
	if (str_memcasemem(s, len, "may be forged"))
		h->flags |= TRACE_F_MAY_BE_FORGED;
	struct tok t[32];
	size_t n = tokenize(s, len, t, 32);
	for (size_t i = 0; i < n; i++) {
		if (t[i].kind == T_COMMENT) {
			from_comment(h, t[i].s, t[i].len, qmail_helo, depth + 1);
			continue;
		}
		if (t[i].kind != T_WORD)
			continue;
		char w[300];
		copy_tok(w, sizeof w, t[i].s, t[i].len);
		char ip[64];
		if (str_istarts_with(w, "helo=")) {
			copy_host(h->helo, sizeof h->helo, w + 5, strlen(w + 5));
			*qmail_helo = true;
		} else if (str_casecmp(w, "helo") == 0 && i + 1 < n && t[i + 1].kind == T_WORD) {
			copy_host(h->helo, sizeof h->helo, t[i + 1].s, t[i + 1].len);
			*qmail_helo = true;
			i++;
		} else if (!h->ip[0] && ip_literal(w, ip, sizeof ip)) {
			str_copy(h->ip, ip, sizeof h->ip);
			/* the word before the address is the reverse name */
			if (i > 0 && t[i - 1].kind == T_WORD && !h->rdns[0]) {
				char r[256];
				copy_host(r, sizeof r, t[i - 1].s, t[i - 1].len);
				if (strcmp(r, "unknown") != 0 && !strchr(r, '=') && !strchr(r, '@'))
					str_copy(h->rdns, r, sizeof h->rdns);
			}
		} else if (strchr(w, '@') && i + 1 < n) {
			/* Sendmail's "user@host [ip]": ident, not a reverse name */
			continue;
		}
	}
}

int trace_parse_received(const char *value, size_t len, struct trace_hop *h)
{
	memset(h, 0, sizeof *h);
	h->delay_s = -1;
	if (len > TRACE_MAX_HEADER)
		len = TRACE_MAX_HEADER;
	struct tok *t = xmalloc(MAX_TOKENS * sizeof *t);
	size_t n = tokenize(value, len, t, MAX_TOKENS);
	/* the date follows the last ';' outside comments */
	size_t semi = n;
	for (size_t i = n; i > 0; i--)
		if (t[i - 1].kind == T_SEMI) {
			semi = i - 1;
			break;
		}
	if (semi < n) {
		const char *ds = t[semi].s + 1;
		const char *de = value + len;
		while (ds < de && (*ds == ' ' || *ds == '\t' || *ds == '\r' || *ds == '\n'))
			ds++;
		while (de > ds && (de[-1] == ' ' || de[-1] == '\t' || de[-1] == '\r' || de[-1] == '\n'))
			de--;
		copy_tok(h->date, sizeof h->date, ds, (size_t)(de - ds));
		time_t when;
		int tz;
		if (h->date[0] && mail_date_parse(h->date, &when, &tz) == WARY_OK) {
			h->when = when;
			h->tz_minutes = tz;
		}
	}
	if (!h->when)
		h->flags |= TRACE_F_NO_DATE;

	bool have_from = false, have_by = false, qmail_helo = false;
	char first[256] = "";
	struct buf from = BUF_INIT;
	for (size_t i = 0; i < semi; i++) {
		if (!is_keyword(&t[i]))
			continue;
		const struct tok *kw = &t[i];
		size_t j = i + 1;
		if (tok_is(kw, "from")) {
			have_from = true;
			const char *st = kw->s + kw->len;
			const char *en = st;
			for (; j < semi && !is_keyword(&t[j]); j++) {
				if (t[j].kind == T_WORD && !first[0])
					copy_tok(first, sizeof first, t[j].s, t[j].len);
				else if (t[j].kind == T_COMMENT)
					from_comment(h, t[j].s, t[j].len, &qmail_helo, 0);
				en = t[j].s + t[j].len + (t[j].kind == T_COMMENT ? 1 : 0);
			}
			if (en > value + len)
				en = value + len; /* an unclosed comment */
			buf_reset(&from);
			for (const char *c = st; c < en; c++) {
				char ch = (*c == '\t' || *c == '\r' || *c == '\n') ? ' ' : *c;
				if (ch == ' ' && (from.len == 0 || from.data[from.len - 1] == ' '))
					continue;
				buf_addch(&from, ch);
			}
			if (from.len && from.data[from.len - 1] == ' ')
				buf_truncate(&from, from.len - 1);
			str_copy(h->from, from.data ? from.data : "", sizeof h->from);
		} else if (j < semi && t[j].kind == T_WORD) {
			if (tok_is(kw, "by")) {
				have_by = true;
				copy_host(h->by, sizeof h->by, t[j].s, t[j].len);
			} else if (tok_is(kw, "with")) {
				copy_tok(h->with, sizeof h->with, t[j].s, t[j].len);
			} else if (tok_is(kw, "id")) {
				copy_tok(h->id, sizeof h->id, t[j].s, t[j].len);
			} else if (tok_is(kw, "for")) {
				const char *s = t[j].s;
				size_t l = t[j].len;
				if (l >= 2 && s[0] == '<' && s[l - 1] == '>') {
					s++;
					l -= 2;
				}
				copy_tok(h->for_, sizeof h->for_, s, l);
			}
			i = j;
		}
	}
	buf_release(&from);

	if (first[0]) {
		char ip[64];
		if (ip_literal(first, ip, sizeof ip)) {
			/* "from [1.2.3.4] (helo=...)": the literal is the peer */
			if (!h->ip[0])
				str_copy(h->ip, ip, sizeof h->ip);
			if (!h->helo[0])
				copy_tok(h->helo, sizeof h->helo, first, strlen(first));
		} else if (qmail_helo) {
			/* qmail: "from RDNS (HELO name) (ip)"; Exim: "from RDNS ([ip] helo=name)" */
			char r[256];
			copy_host(r, sizeof r, first, strlen(first));
			if (strcmp(r, "unknown") != 0 && !h->rdns[0])
				str_copy(h->rdns, r, sizeof h->rdns);
		} else {
			copy_host(h->helo, sizeof h->helo, first, strlen(first));
		}
	}
	if (!have_from && !have_by) {
		bool local = false;
		for (size_t i = 0; i < n; i++)
			if (t[i].kind == T_COMMENT && str_memcasemem(t[i].s, t[i].len, "invoked"))
				local = true;
		if (!local)
			h->flags |= TRACE_F_UNPARSED;
	}
	free(t);
	return (h->flags & TRACE_F_UNPARSED) ? WARY_EPARSE : WARY_OK;
}

/* ---------- the chain ---------- */

static bool host_trusted(const struct trace *t, const char *name)
{
	if (!name || !*name)
		return false;
	for (size_t i = 0; i < t->opts.n_trusted; i++) {
		const char *p = t->trusted[i];
		if (same_ip(p, name) || str_casecmp(p, name) == 0)
			return true;
		/* ".example.org" or "*.example.org": any host under it */
		const char *suf = p[0] == '*' && p[1] == '.' ? p + 1 : p[0] == '.' ? p : NULL;
		if (suf) {
			size_t ls = strlen(suf), ln = strlen(name);
			if (ln > ls && str_casecmp(name + ln - ls, suf) == 0)
				return true;
		}
	}
	return false;
}

static bool hop_from_trusted(const struct trace *t, const struct trace_hop *h)
{
	/* a HELO proves nothing; only the IP or the name the receiver looked up */
	return host_trusted(t, h->ip) || host_trusted(t, h->rdns)
	       || (!h->ip[0] && host_trusted(t, h->helo));
}

static bool submission(const struct trace_hop *h)
{
	/* ESMTPA, ESMTPSA, LMTPA...: the client logged in (RFC 3848) */
	size_t n = strlen(h->with);
	return (n && (h->with[n - 1] == 'A' || h->with[n - 1] == 'a'))
	       || str_casecmp(h->with, "HTTP") == 0 || str_casecmp(h->with, "local") == 0;
}

static bool org_differs(psl_ctx_t *psl, const char *a, const char *b)
{
	if (!psl)
		return str_casecmp(a, b) != 0;
	const char *ra = psl_registrable_domain(psl, a);
	const char *rb = psl_registrable_domain(psl, b);
	if (!ra || !rb)
		return str_casecmp(a, b) != 0;
	return str_casecmp(ra, rb) != 0;
}

static void analyse(struct trace *t)
{
	time_t now = t->opts.now ? t->opts.now : time(NULL);
	if (t->n == 0) {
		t->flags |= TRACE_C_NONE_RECEIVED;
		t->boundary = (size_t)-1;
		return;
	}
	/* The boundary: from the top, past the hops the account's servers
	 * passed among themselves, to the first one where they took the
	 * message from someone else.  Unconfigured: the topmost hop that
	 * recorded a connecting IP (local delivery hops above it carry none). */
	size_t b = 0;
	if (t->opts.n_trusted) {
		if (!host_trusted(t, t->hops[0].by)) {
			t->flags |= TRACE_C_NO_BOUNDARY;
		} else {
			while (b + 1 < t->n && hop_from_trusted(t, &t->hops[b])
			       && host_trusted(t, t->hops[b + 1].by))
				b++;
		}
	} else {
		while (b + 1 < t->n && !t->hops[b].ip[0])
			b++;
		if (!t->hops[b].ip[0])
			b = 0;
	}
	t->boundary = b;
	for (size_t i = 0; i < b; i++)
		t->hops[i].flags |= TRACE_F_INTERNAL;
	t->hops[b].flags |= TRACE_F_BOUNDARY;

	psl_ctx_t *psl = psl_latest(NULL);
	size_t lowest_from = t->n;
	for (size_t i = t->n; i > 0; i--)
		if (t->hops[i - 1].from[0]) {
			lowest_from = i - 1;
			break;
		}
	for (size_t i = 0; i < t->n; i++) {
		struct trace_hop *h = &t->hops[i];
		if (h->when && h->when > now + FUTURE_S)
			h->flags |= TRACE_F_DATE_FUTURE;
		if (i + 1 < t->n && h->when && t->hops[i + 1].when) {
			h->delay_s = (long)(h->when - t->hops[i + 1].when);
			h->has_delay = true;
			if (h->delay_s < -SKEW_S)
				h->flags |= TRACE_F_DATE_BACKWARDS;
			else if (h->delay_s > GREY_MAX_S)
				h->flags |= TRACE_F_LONG_DELAY;
			else if (h->delay_s >= GREY_MIN_S)
				h->flags |= TRACE_F_GREYLIST;
		}
		if (i < b)
			continue; /* between our own servers: nothing to suspect */
		if (h->ip[0]) {
			if (ip_is_bogus(h->ip))
				h->flags |= TRACE_F_PRIVATE_IP;
			else if (trace_ip_is_private(h->ip) && (i == b || i != lowest_from)
			         && !submission(h))
				h->flags |= TRACE_F_PRIVATE_IP;
		} else if (i == b && h->from[0]) {
			h->flags |= TRACE_F_NO_IP;
		}
		char lit[64];
		if (h->helo[0] && ip_literal(h->helo, lit, sizeof lit)) {
			/* a client behind NAT names its own private address, and a
			 * logged-in one may say what it likes */
			if (h->ip[0] && !same_ip(lit, h->ip) && !trace_ip_is_private(lit) && !submission(h))
				h->flags |= TRACE_F_HELO_IP_LIT;
		} else if (h->helo[0] && h->rdns[0] && strchr(h->helo, '.')
		           && org_differs(psl, h->helo, h->rdns)) {
			h->flags |= TRACE_F_HELO_MISMATCH;
		} else if (h->helo[0] && !strchr(h->helo, '.') && h->ip[0] && !submission(h)
		           && i == b) {
			/* a bare word ("OEMCOMPUTER") from the outside */
			h->flags |= TRACE_F_HELO_MISMATCH;
		}
	}
	psl_free(psl);
	const unsigned bad = TRACE_F_HELO_MISMATCH | TRACE_F_DATE_BACKWARDS | TRACE_F_DATE_FUTURE
	                     | TRACE_F_PRIVATE_IP | TRACE_F_MAY_BE_FORGED | TRACE_F_HELO_IP_LIT;
	for (size_t i = b; i < t->n; i++)
		if (t->hops[i].flags & bad)
			t->flags |= TRACE_C_FORGED_HOPS;
	/* The origin: the lowest hop at or below the boundary whose client
	 * address is not a private one (a LAN submission hop has that). */
	for (size_t i = t->n; i > b; i--) {
		const struct trace_hop *h = &t->hops[i - 1];
		if (h->ip[0] && !trace_ip_is_private(h->ip)) {
			str_copy(t->origin, h->ip, sizeof t->origin);
			break;
		}
	}
	/* a chain inside private networks only: its lowest client */
	for (size_t i = t->n; i > b && !t->origin[0]; i--)
		if (t->hops[i - 1].ip[0])
			str_copy(t->origin, t->hops[i - 1].ip, sizeof t->origin);
	if (!t->origin[0] && t->hops[b].ip[0])
		str_copy(t->origin, t->hops[b].ip, sizeof t->origin);
}

static int chain_new(const struct trace_opts *opts, struct trace **out)
{
	struct trace *t = xcalloc(1, sizeof *t);
	t->boundary = (size_t)-1;
	if (opts) {
		t->opts = *opts;
		t->trusted = xcalloc(opts->n_trusted + 1, sizeof *t->trusted);
		for (size_t i = 0; i < opts->n_trusted; i++)
			t->trusted[i] = xstrdup(opts->trusted_hosts[i]);
		t->zones = xcalloc(opts->n_dnsbl + 1, sizeof *t->zones);
		for (size_t i = 0; i < opts->n_dnsbl; i++)
			t->zones[i] = xstrdup(opts->dnsbl_zones[i]);
		t->opts.trusted_hosts = (const char *const *)t->trusted;
		t->opts.dnsbl_zones = (const char *const *)t->zones;
	}
	*out = t;
	return WARY_OK;
}

static void chain_add(struct trace *t, const char *value, size_t len)
{
	if (t->n >= TRACE_MAX_HOPS) {
		t->flags |= TRACE_C_TRUNCATED;
		return;
	}
	t->hops = xreallocarray(t->hops, t->n + 1, sizeof *t->hops);
	trace_parse_received(value, len, &t->hops[t->n]);
	/* controls from the message never reach a field */
	struct trace_hop *h = &t->hops[t->n];
	char *fields[] = { h->from, h->helo, h->rdns, h->by, h->with, h->id, h->for_, h->date };
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
		char *w = fields[f];
		for (char *c = fields[f]; *c; c++) {
			char ch = ((unsigned char)*c < 0x20 || *c == 0x7f) ? ' ' : *c;
			/* folding leaves runs of blanks: one is enough */
			if (ch == ' ' && w > fields[f] && w[-1] == ' ')
				continue;
			*w++ = ch;
		}
		*w = '\0';
	}
	t->n++;
}

int trace_build_values(const char *const *values, size_t n, const struct trace_opts *opts,
                       struct trace **out, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct trace *t;
	chain_new(opts, &t);
	for (size_t i = 0; i < n; i++)
		chain_add(t, values[i], strlen(values[i]));
	analyse(t);
	*out = t;
	return WARY_OK;
}

int trace_build(const struct mail_msg *msg, const struct trace_opts *opts,
                struct trace **out, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct trace *t;
	chain_new(opts, &t);
	for (size_t i = 0; i < mail_header_count(msg); i++) {
		if (str_casecmp(mail_header_name(msg, i), "Received") != 0)
			continue;
		const char *v = mail_header_value(msg, i);
		chain_add(t, v ? v : "", v ? strlen(v) : 0);
	}
	analyse(t);
	*out = t;
	return WARY_OK;
}

void trace_free(struct trace **tp)
{
	if (!tp || !*tp)
		return;
	struct trace *t = *tp;
	for (size_t i = 0; i < t->opts.n_trusted; i++)
		free(t->trusted[i]);
	for (size_t i = 0; i < t->opts.n_dnsbl; i++)
		free(t->zones[i]);
	free(t->trusted);
	free(t->zones);
	free(t->hops);
	free(t);
	*tp = NULL;
}

size_t trace_hop_count(const struct trace *t)
{
	return t ? t->n : 0;
}

const struct trace_hop *trace_hop(const struct trace *t, size_t i)
{
	return t && i < t->n ? &t->hops[i] : NULL;
}

unsigned trace_flags(const struct trace *t)
{
	return t ? t->flags : 0;
}

size_t trace_boundary_index(const struct trace *t)
{
	return t ? t->boundary : (size_t)-1;
}

bool trace_boundary(const struct trace *t, const char **ip, const char **helo)
{
	if (!t || t->boundary >= t->n || !t->hops[t->boundary].ip[0])
		return false;
	const struct trace_hop *h = &t->hops[t->boundary];
	if (ip)
		*ip = h->ip;
	if (helo)
		*helo = h->helo;
	return true;
}

const char *trace_origin_ip(const struct trace *t)
{
	return t ? t->origin : "";
}

/* ---------- DNS ---------- */

static bool addrs_hold(const struct trace_dns *dns, const char *name, const char *ip, int *status)
{
	char (*rr)[256] = xmalloc(16 * sizeof *rr);
	bool yes = false;
	*status = 1;
	for (int k = 0; k < 2 && !yes; k++) {
		size_t n = 0;
		int st = dns->lookup(dns->ctx, name, k == 0 ? 1 : 28, rr, 16, &n);
		if (st < 0)
			*status = -1;
		else if (st == 0 && *status != -1)
			*status = 0;
		for (size_t i = 0; i < n && !yes; i++)
			yes = same_ip(rr[i], ip);
	}
	free(rr);
	return yes;
}

int trace_check_dns(struct trace *t, const struct trace_dns *dns, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (!t || !dns || !dns->lookup || t->boundary >= t->n)
		return WARY_OK;
	/* forward-confirm each outside HELO: does the name hold the IP? */
	for (size_t i = t->boundary; i < t->n; i++) {
		struct trace_hop *h = &t->hops[i];
		char lit[64];
		if (!h->ip[0] || !h->helo[0] || !strchr(h->helo, '.')
		    || ip_literal(h->helo, lit, sizeof lit))
			continue;
		int st;
		bool holds = addrs_hold(dns, h->helo, h->ip, &st);
		if (holds)
			h->flags &= ~TRACE_F_HELO_MISMATCH;
		else if (st >= 0)
			h->flags |= TRACE_F_HELO_MISMATCH;
	}
	if (t->flags & TRACE_C_FORGED_HOPS) {
		/* recompute: DNS may have cleared the only reason */
		const unsigned bad = TRACE_F_HELO_MISMATCH | TRACE_F_DATE_BACKWARDS | TRACE_F_DATE_FUTURE
		                     | TRACE_F_PRIVATE_IP | TRACE_F_MAY_BE_FORGED | TRACE_F_HELO_IP_LIT;
		t->flags &= ~TRACE_C_FORGED_HOPS;
		for (size_t i = t->boundary; i < t->n; i++)
			if (t->hops[i].flags & bad)
				t->flags |= TRACE_C_FORGED_HOPS;
	}
	/* DNSBL: the origin's reversed address under each zone (RFC 5782) */
	if (!t->origin[0] || t->opts.n_dnsbl == 0)
		return WARY_OK;
	unsigned char a[16];
	int fam;
	if (!parse_ip(t->origin, a, &fam) || trace_ip_is_private(t->origin))
		return WARY_OK;
	struct trace_hop *oh = NULL;
	for (size_t i = t->boundary; i < t->n; i++)
		if (same_ip(t->hops[i].ip, t->origin))
			oh = &t->hops[i];
	char rev[80];
	if (fam == 4) {
		snprintf(rev, sizeof rev, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
	} else {
		static const char hex[] = "0123456789abcdef";
		size_t k = 0;
		for (int i = 15; i >= 0; i--) {
			rev[k++] = hex[a[i] & 15];
			rev[k++] = '.';
			rev[k++] = hex[a[i] >> 4];
			rev[k++] = '.';
		}
		rev[k - 1] = '\0';
	}
	char (*rr)[256] = xmalloc(8 * sizeof *rr);
	for (size_t z = 0; z < t->opts.n_dnsbl; z++) {
		char q[400];
		snprintf(q, sizeof q, "%s.%s", rev, t->zones[z]);
		size_t n = 0;
		if (dns->lookup(dns->ctx, q, 1, rr, 8, &n) != 0)
			continue;
		bool listed = false;
		for (size_t i = 0; i < n; i++)
			if (strncmp(rr[i], "127.", 4) == 0)
				listed = true;
		if (listed && oh) {
			oh->flags |= TRACE_F_DNSBL;
			size_t l = strlen(oh->dnsbl);
			snprintf(oh->dnsbl + l, sizeof oh->dnsbl - l, "%s%s", l ? "," : "", t->zones[z]);
		}
	}
	free(rr);
	return WARY_OK;
}
