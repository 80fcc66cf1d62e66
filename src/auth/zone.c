/*
 * Zone data in memory answering as a struct auth_dns: the test suites
 * (OpenSPF, DMARC, DKIM keys) run offline and deterministically with it,
 * and a test can count the queries an analysis made.
 */
#include "auth/auth.h"

#include <stdlib.h>
#include <string.h>

struct zone_rr {
	char *name;   /* lower-case, no trailing dot */
	int type;     /* enum auth_rrtype, or ZT_* below */
	int subtype;  /* for ZT_TIMEOUT: the type that times out, 0 = all */
	char *data;
	size_t len;
};

enum { ZT_CNAME = 5, ZT_TIMEOUT = 1000, ZT_NXDOMAIN, ZT_SERVFAIL };

struct auth_zone {
	struct zone_rr *rr;
	size_t n, cap;
	size_t queries;
};

int auth_zone_new(struct auth_zone **out)
{
	*out = xcalloc(1, sizeof **out);
	return WARY_OK;
}

void auth_zone_free(struct auth_zone **z)
{
	if (!z || !*z)
		return;
	for (size_t i = 0; i < (*z)->n; i++) {
		free((*z)->rr[i].name);
		free((*z)->rr[i].data);
	}
	free((*z)->rr);
	free(*z);
	*z = NULL;
}

static int type_of(const char *t)
{
	static const struct { const char *s; int v; } k[] = {
		{ "A", AUTH_RR_A }, { "AAAA", AUTH_RR_AAAA }, { "MX", AUTH_RR_MX },
		{ "PTR", AUTH_RR_PTR }, { "TXT", AUTH_RR_TXT }, { "CNAME", ZT_CNAME },
		{ "TIMEOUT", ZT_TIMEOUT }, { "NXDOMAIN", ZT_NXDOMAIN }, { "SERVFAIL", ZT_SERVFAIL },
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		if (str_casecmp(t, k[i].s) == 0)
			return k[i].v;
	return -1;
}

static char *norm_name(const char *name, size_t len)
{
	while (len && name[len - 1] == '.')
		len--;
	char *s = xstrndup(name, len);
	return str_lower(s);
}

static bool has_type(const struct auth_zone *z, const char *name, int type)
{
	for (size_t i = 0; i < z->n; i++)
		if (z->rr[i].type == type && strcmp(z->rr[i].name, name) == 0)
			return true;
	return false;
}

/* Names may carry \DDD escapes (a space in a label). */
static void unescape_name(char *s)
{
	char *w = s;
	for (char *r = s; *r; ) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '2' && r[2] >= '0' && r[2] <= '9'
		    && r[3] >= '0' && r[3] <= '9') {
			int v = (r[1] - '0') * 100 + (r[2] - '0') * 10 + (r[3] - '0');
			*w++ = (char)(v ? v : ' ');
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

int auth_zone_add(struct auth_zone *z, const char *name, const char *type,
                  const char *data, size_t len)
{
	int t = type_of(type);
	if (t < 0)
		return WARY_EPARSE;
	int sub = 0;
	if (t == ZT_TIMEOUT && len) {
		char tn[16];
		str_copy(tn, data, len + 1 < sizeof tn ? len + 1 : sizeof tn);
		sub = type_of(tn);
		if (sub < 0 || sub >= ZT_TIMEOUT)
			return WARY_EPARSE;
		len = 0;
	}
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 32;
		z->rr = xrealloc(z->rr, z->cap * sizeof *z->rr);
	}
	struct zone_rr *r = &z->rr[z->n++];
	r->name = norm_name(name, strlen(name));
	r->type = t;
	r->subtype = sub;
	if (t == ZT_CNAME || t == AUTH_RR_PTR || t == AUTH_RR_MX) {
		r->data = norm_name(data, len);
		r->len = strlen(r->data);
	} else {
		r->data = xmalloc(len + 1);
		memcpy(r->data, data, len);
		r->data[len] = '\0';
		r->len = len;
	}
	return WARY_OK;
}

/* One or more "quoted strings" with \" \\ and \DDD escapes, joined. */
static int parse_txt(const char *p, struct buf *out)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '"') {
		buf_adds(out, p);
		return WARY_OK;
	}
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (*p != '"')
			return WARY_EPARSE;
		p++;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'
			    && p[3] >= '0' && p[3] <= '9') {
				int v = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
				if (v > 255)
					return WARY_EPARSE;
				buf_addch(out, v);
				p += 4;
			} else if (*p == '\\' && p[1]) {
				buf_addch(out, p[1]);
				p += 2;
			} else {
				buf_addch(out, *p++);
			}
		}
		if (*p != '"')
			return WARY_EPARSE;
		p++;
	}
	return WARY_OK;
}

int auth_zone_load(struct auth_zone *z, const char *text, char *err, size_t errlen)
{
	int rc = WARY_OK;
	struct buf line = BUF_INIT, txt = BUF_INIT;
	size_t lineno = 0;
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		lineno++;
		buf_reset(&line);
		buf_add(&line, p, len);
		p += len + (e ? 1 : 0);
		char *s = str_trim(line.data);
		if (!*s || *s == '#')
			continue;
		char *name = s;
		char *sp = strpbrk(s, " \t");
		if (!sp) {
			snprintf(err, errlen, "zone line %zu: no type", lineno);
			rc = WARY_EPARSE;
			goto out;
		}
		*sp++ = '\0';
		unescape_name(name);
		while (*sp == ' ' || *sp == '\t')
			sp++;
		char *type = sp;
		char *data = strpbrk(sp, " \t");
		if (data) {
			*data++ = '\0';
			while (*data == ' ' || *data == '\t')
				data++;
		} else {
			data = type + strlen(type);
		}
		buf_reset(&txt);
		if (str_casecmp(type, "TXT") == 0) {
			if (parse_txt(data, &txt) != WARY_OK) {
				snprintf(err, errlen, "zone line %zu: bad TXT string", lineno);
				rc = WARY_EPARSE;
				goto out;
			}
		} else {
			buf_adds(&txt, data);
		}
		if (auth_zone_add(z, name, type, txt.data ? txt.data : "", txt.len) != WARY_OK) {
			snprintf(err, errlen, "zone line %zu: unknown type %s", lineno, type);
			rc = WARY_EPARSE;
			goto out;
		}
	}
out:
	buf_release(&line);
	buf_release(&txt);
	return rc;
}

static bool name_ok(const char *name)
{
	size_t total = strlen(name), label = 0;
	if (total == 0 || total > 253)
		return false;
	for (const char *c = name; ; c++) {
		if (*c == '.' || !*c) {
			if (label == 0 || label > 63)
				return false;
			label = 0;
			if (!*c)
				break;
		} else {
			label++;
		}
	}
	return true;
}

static int zone_query(void *ctx, const char *qname, enum auth_rrtype type,
                      struct auth_dns_reply *out)
{
	struct auth_zone *z = ctx;
	z->queries++;
	char *name = norm_name(qname, strlen(qname));
	int rc = WARY_OK;
	out->ttl = 300;
	if (!name_ok(name)) {
		out->status = AUTH_DNS_PERMFAIL;
		goto out;
	}
	for (int depth = 0; depth < 8; depth++) {
		bool known = false, timeout = false, cname = false;
		for (size_t i = 0; i < z->n; i++) {
			struct zone_rr *r = &z->rr[i];
			if (strcmp(r->name, name) != 0)
				continue;
			known = true;
			if (r->type == ZT_TIMEOUT && r->subtype == (int)type)
				timeout = true;
			else if (r->type == ZT_TIMEOUT && r->subtype == 0)
				timeout = !has_type(z, name, (int)type);
			else if (r->type == ZT_SERVFAIL)
				timeout = true;
		}
		if (timeout) {
			out->status = AUTH_DNS_TEMPFAIL;
			goto out;
		}
		for (size_t i = 0; i < z->n; i++) {
			struct zone_rr *r = &z->rr[i];
			if (strcmp(r->name, name) != 0)
				continue;
			if (r->type == (int)type) {
				rc = auth_dns_reply_add(out, r->data, r->len);
				if (rc != WARY_OK)
					goto out;
			} else if (r->type == ZT_CNAME && out->n == 0 && !cname) {
				free(name);
				name = xstrdup(r->data);
				cname = true;
			}
		}
		if (cname && out->n == 0)
			continue;
		out->status = known ? AUTH_DNS_OK : AUTH_DNS_NXDOMAIN;
		for (size_t i = 0; known && i < z->n; i++)
			if (strcmp(z->rr[i].name, name) == 0 && z->rr[i].type == ZT_NXDOMAIN)
				out->status = AUTH_DNS_NXDOMAIN;
		goto out;
	}
	out->status = AUTH_DNS_PERMFAIL; /* a CNAME loop */
out:
	free(name);
	return rc;
}

void auth_zone_dns(struct auth_zone *z, struct auth_dns *out)
{
	out->query = zone_query;
	out->ctx = z;
}

size_t auth_zone_queries(const struct auth_zone *z)
{
	return z->queries;
}
