/*
 * DNS on libunbound: asynchronous lookups with a file descriptor the
 * caller polls, a deadline per lookup (libunbound has none of its own: an
 * expired query is cancelled and answered as a temporary failure),
 * answers in text form, DNSSEC status when a trust anchor is given, a
 * forwarder ("127.0.0.1@5353"), and a cache that keeps each answer for its
 * TTL so a message's many lookups (SPF includes, DKIM keys, the trace)
 * cost one round trip each.
 */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>

#define CACHE_MAX 4096
#define TTL_MAX 86400u
#define NEG_TTL 300u

struct cache_ent {
	char *name;
	int type;
	struct net_dns_reply r;
	long long expires_ms;
	long long used_ms;
};

struct pending {
	int id;               /* ours */
	int ub_id;            /* libunbound's async id */
	bool done;
	char *name;
	int type;
	long long deadline_ms;
	net_dns_cb cb;
	void *arg;
	struct net_dns *dns;
	struct pending *next;
};

struct net_dns {
	struct ub_ctx *ub;
	int timeout_ms;
	struct cache_ent *cache;
	size_t ncache;
	struct pending *pend;
	int next_id;
	size_t hits, misses;
	bool validating;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void net_dns_reply_clear(struct net_dns_reply *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->rr[i]);
	free(r->rr);
	free(r->len);
	memset(r, 0, sizeof *r);
}

static void reply_add(struct net_dns_reply *r, const char *data, size_t len)
{
	r->rr = xreallocarray(r->rr, r->n + 1, sizeof *r->rr);
	r->len = xreallocarray(r->len, r->n + 1, sizeof *r->len);
	char *c = xmalloc(len + 1);
	memcpy(c, data, len);
	c[len] = '\0';
	r->rr[r->n] = c;
	r->len[r->n] = len;
	r->n++;
}

static void reply_copy(struct net_dns_reply *dst, const struct net_dns_reply *src)
{
	memset(dst, 0, sizeof *dst);
	dst->status = src->status;
	dst->secure = src->secure;
	dst->bogus = src->bogus;
	dst->ttl = src->ttl;
	for (size_t i = 0; i < src->n; i++)
		reply_add(dst, src->rr[i], src->len[i]);
}

/* An uncompressed wire-format name (libunbound hands rdata decompressed)
 * as text, lower-case, no trailing dot.  false when malformed. */
static bool wire_name(const unsigned char *p, size_t len, struct buf *out)
{
	size_t i = 0, labels = 0;
	while (i < len) {
		unsigned l = p[i++];
		if (l == 0) {
			if (labels == 0)
				buf_addch(out, '.');
			return true;
		}
		if (l > 63 || i + l > len || ++labels > 127)
			return false;
		if (labels > 1)
			buf_addch(out, '.');
		for (unsigned k = 0; k < l; k++) {
			unsigned char c = p[i + k];
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c + 32);
			buf_addch(out, (char)c);
		}
		i += l;
	}
	return false;
}

static bool rdata_text(int type, const unsigned char *d, size_t len, struct buf *out)
{
	char ip[INET6_ADDRSTRLEN];
	switch (type) {
	case NET_DNS_A:
		if (len != 4)
			return false;
		inet_ntop(AF_INET, d, ip, sizeof ip);
		buf_adds(out, ip);
		return true;
	case NET_DNS_AAAA:
		if (len != 16)
			return false;
		inet_ntop(AF_INET6, d, ip, sizeof ip);
		buf_adds(out, ip);
		return true;
	case NET_DNS_MX:
		if (len < 3)
			return false;
		buf_addf(out, "%u ", (unsigned)(d[0] << 8 | d[1]));
		return wire_name(d + 2, len - 2, out);
	case NET_DNS_PTR:
		return wire_name(d, len, out);
	case NET_DNS_TXT:
		/* character-strings joined with nothing between (RFC 7208 3.3) */
		for (size_t i = 0; i < len; ) {
			size_t l = d[i++];
			if (i + l > len)
				return false;
			buf_add(out, d + i, l);
			i += l;
		}
		return true;
	}
	return false;
}

static void from_ub(int err, struct ub_result *res, struct net_dns_reply *r)
{
	memset(r, 0, sizeof *r);
	if (err != 0 || !res) {
		r->status = NET_DNS_TEMPFAIL;
		return;
	}
	r->secure = res->secure != 0;
	r->bogus = res->bogus != 0;
	r->ttl = res->ttl > 0 ? (unsigned)res->ttl : 0;
	if (res->bogus) {
		r->status = NET_DNS_TEMPFAIL; /* validation failed: no answer to believe */
		return;
	}
	if (res->nxdomain || res->rcode == 3) {
		r->status = NET_DNS_NXDOMAIN;
		if (!r->ttl)
			r->ttl = NEG_TTL;
		return;
	}
	if (res->rcode != 0) {
		r->status = res->rcode == 2 ? NET_DNS_TEMPFAIL : NET_DNS_PERMFAIL;
		return;
	}
	r->status = NET_DNS_OK;
	if (!res->havedata && !r->ttl)
		r->ttl = NEG_TTL;
	struct buf b = BUF_INIT;
	for (int i = 0; res->havedata && res->data[i]; i++) {
		buf_reset(&b);
		if (rdata_text(res->qtype, (const unsigned char *)res->data[i], (size_t)res->len[i], &b))
			reply_add(r, b.data ? b.data : "", b.len);
	}
	buf_release(&b);
}

/* ---------- cache ---------- */

static struct cache_ent *cache_find(struct net_dns *d, const char *name, int type)
{
	long long now = now_ms();
	for (size_t i = 0; i < d->ncache; i++) {
		struct cache_ent *e = &d->cache[i];
		if (e->type == type && strcmp(e->name, name) == 0) {
			if (e->expires_ms <= now)
				return NULL;
			e->used_ms = now;
			return e;
		}
	}
	return NULL;
}

static void cache_put(struct net_dns *d, const char *name, int type, const struct net_dns_reply *r)
{
	if (r->status == NET_DNS_TEMPFAIL)
		return;
	long long now = now_ms();
	unsigned ttl = r->ttl > TTL_MAX ? TTL_MAX : r->ttl;
	if (ttl == 0)
		return;
	struct cache_ent *slot = NULL;
	for (size_t i = 0; i < d->ncache && !slot; i++)
		if ((d->cache[i].type == type && strcmp(d->cache[i].name, name) == 0)
		    || d->cache[i].expires_ms <= now)
			slot = &d->cache[i];
	if (!slot && d->ncache < CACHE_MAX) {
		d->cache = xreallocarray(d->cache, d->ncache + 1, sizeof *d->cache);
		slot = &d->cache[d->ncache++];
		memset(slot, 0, sizeof *slot);
	}
	if (!slot) {
		slot = &d->cache[0];
		for (size_t i = 1; i < d->ncache; i++)
			if (d->cache[i].used_ms < slot->used_ms)
				slot = &d->cache[i];
	}
	free(slot->name);
	net_dns_reply_clear(&slot->r);
	slot->name = xstrdup(name);
	slot->type = type;
	reply_copy(&slot->r, r);
	slot->expires_ms = now + (long long)ttl * 1000;
	slot->used_ms = now;
}

/* ---------- the resolver ---------- */

int net_dns_new(const struct net_dns_opts *o, struct net_dns **out, char *err, size_t errlen)
{
	*out = NULL;
	struct net_dns *d = xcalloc(1, sizeof *d);
	int rc = WARY_OK;
	d->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : 5000;
	d->ub = ub_ctx_create();
	if (!d->ub) {
		rc = err_set(err, errlen, WARY_ERR, "dns: cannot create a resolver");
		goto fail;
	}
	/* a thread, not a forked process, answers the async queries */
	int u = ub_ctx_async(d->ub, 1);
	if (u == 0 && o && o->server && *o->server) {
		u = ub_ctx_set_fwd(d->ub, o->server);
		/* the user named this resolver: ask it even on loopback */
		if (u == 0)
			u = ub_ctx_set_option(d->ub, "do-not-query-localhost:", "no");
		if (u != 0) {
			rc = err_set(err, errlen, WARY_EPARSE, "dns_server %s: %s", o->server, ub_strerror(u));
			goto fail;
		}
	} else if (u == 0) {
		u = ub_ctx_resolvconf(d->ub, NULL);
		if (u != 0)
			u = 0; /* no resolv.conf: resolve from the root */
	}
	if (u == 0 && o && o->trust_anchor_file && *o->trust_anchor_file) {
		u = ub_ctx_add_ta_file(d->ub, o->trust_anchor_file);
		d->validating = u == 0;
	}
	if (u != 0) {
		rc = err_set(err, errlen, WARY_ERR, "dns: %s", ub_strerror(u));
		goto fail;
	}
	if (o && o->server && *o->server) {
		/* and for the names libunbound otherwise answers itself (RFC 6761's
		 * test., the loopback reverse zone).  This finalizes the context,
		 * so it comes last. */
		ub_ctx_zone_remove(d->ub, "test.");
		ub_ctx_zone_remove(d->ub, "127.in-addr.arpa.");
	}
	*out = d;
	return WARY_OK;
fail:
	net_dns_free(&d);
	return rc;
}

void net_dns_free(struct net_dns **dp)
{
	if (!dp || !*dp)
		return;
	struct net_dns *d = *dp;
	while (d->pend) {
		struct pending *p = d->pend;
		d->pend = p->next;
		if (!p->done && d->ub)
			ub_cancel(d->ub, p->ub_id);
		free(p->name);
		free(p);
	}
	if (d->ub)
		ub_ctx_delete(d->ub);
	for (size_t i = 0; i < d->ncache; i++) {
		free(d->cache[i].name);
		net_dns_reply_clear(&d->cache[i].r);
	}
	free(d->cache);
	free(d);
	*dp = NULL;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 253)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '.') {
			if (label == 0 && i + 1 < n)
				return false;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return true;
}

static void key_of(const char *name, char *key, size_t keylen)
{
	str_copy(key, name, keylen);
	str_lower(key);
	size_t n = strlen(key);
	while (n > 1 && key[n - 1] == '.')
		key[--n] = '\0';
}

static void ub_done(void *arg, int err, struct ub_result *res)
{
	struct pending *p = arg;
	struct net_dns_reply r;
	from_ub(err, res, &r);
	if (res)
		ub_resolve_free(res);
	p->done = true;
	cache_put(p->dns, p->name, p->type, &r);
	if (p->cb)
		p->cb(p->arg, p->id, &r);
	net_dns_reply_clear(&r);
}

int net_dns_submit(struct net_dns *d, const char *name, int type, net_dns_cb cb, void *arg, int *id)
{
	char key[300];
	key_of(name, key, sizeof key);
	int my = ++d->next_id;
	if (id)
		*id = my;
	struct cache_ent *e = name_ok(key) ? cache_find(d, key, type) : NULL;
	if (e || !name_ok(key)) {
		/* answered at once, still through the callback */
		struct net_dns_reply r;
		if (e) {
			d->hits++;
			reply_copy(&r, &e->r);
		} else {
			memset(&r, 0, sizeof r);
			r.status = NET_DNS_PERMFAIL;
		}
		if (cb)
			cb(arg, my, &r);
		net_dns_reply_clear(&r);
		return WARY_OK;
	}
	d->misses++;
	struct pending *p = xcalloc(1, sizeof *p);
	p->id = my;
	p->name = xstrdup(key);
	p->type = type;
	p->cb = cb;
	p->arg = arg;
	p->dns = d;
	p->deadline_ms = now_ms() + d->timeout_ms;
	int u = ub_resolve_async(d->ub, key, type, 1 /* IN */, p, ub_done, &p->ub_id);
	if (u != 0) {
		free(p->name);
		free(p);
		struct net_dns_reply r = { .status = NET_DNS_TEMPFAIL };
		if (cb)
			cb(arg, my, &r);
		return WARY_OK;
	}
	p->next = d->pend;
	d->pend = p;
	return WARY_OK;
}

int net_dns_fd(const struct net_dns *d)
{
	return d ? ub_fd(d->ub) : -1;
}

int net_dns_next_timeout_ms(const struct net_dns *d)
{
	long long now = now_ms(), best = -1;
	for (const struct pending *p = d->pend; p; p = p->next) {
		if (p->done)
			continue;
		long long left = p->deadline_ms - now;
		if (left < 0)
			left = 0;
		if (best < 0 || left < best)
			best = left;
	}
	return (int)best;
}

size_t net_dns_pending(const struct net_dns *d)
{
	size_t n = 0;
	for (const struct pending *p = d->pend; p; p = p->next)
		n += !p->done;
	return n;
}

int net_dns_process(struct net_dns *d)
{
	if (ub_poll(d->ub))
		ub_process(d->ub);
	long long now = now_ms();
	/* expired lookups: cancelled, answered as a temporary failure */
	for (struct pending *p = d->pend; p; p = p->next) {
		if (p->done || p->deadline_ms > now)
			continue;
		ub_cancel(d->ub, p->ub_id);
		p->done = true;
		struct net_dns_reply r = { .status = NET_DNS_TEMPFAIL };
		if (p->cb)
			p->cb(p->arg, p->id, &r);
	}
	struct pending **pp = &d->pend;
	while (*pp) {
		struct pending *p = *pp;
		if (p->done) {
			*pp = p->next;
			free(p->name);
			free(p);
		} else {
			pp = &p->next;
		}
	}
	return WARY_OK;
}

void net_dns_cancel(struct net_dns *d, int id)
{
	for (struct pending *p = d->pend; p; p = p->next)
		if (p->id == id && !p->done) {
			ub_cancel(d->ub, p->ub_id);
			p->done = true;
		}
}

struct sync_wait {
	bool done;
	struct net_dns_reply *out;
};

static void sync_cb(void *arg, int id, const struct net_dns_reply *r)
{
	(void)id;
	struct sync_wait *w = arg;
	reply_copy(w->out, r);
	w->done = true;
}

int net_dns_query(struct net_dns *d, const char *name, int type, struct net_dns_reply *out)
{
	memset(out, 0, sizeof *out);
	struct sync_wait w = { false, out };
	int id;
	net_dns_submit(d, name, type, sync_cb, &w, &id);
	while (!w.done) {
		int t = net_dns_next_timeout_ms(d);
		struct pollfd pfd = { ub_fd(d->ub), POLLIN, 0 };
		int n = poll(&pfd, 1, t < 0 ? 1000 : t);
		if (n < 0 && errno != EINTR)
			break;
		net_dns_process(d);
	}
	if (!w.done) {
		net_dns_cancel(d, id);
		net_dns_process(d);
		out->status = NET_DNS_TEMPFAIL;
	}
	return WARY_OK;
}

void net_dns_stats(const struct net_dns *d, size_t *hits, size_t *misses)
{
	if (hits)
		*hits = d->hits;
	if (misses)
		*misses = d->misses;
}
