/* net's libunbound resolver as the struct auth_dns every analysis asks. */
#include "auth/auth.h"
#include "net/net.h"

#include <string.h>

static int net_query(void *ctx, const char *name, enum auth_rrtype type, struct auth_dns_reply *out)
{
	struct net_dns_reply r;
	net_dns_query(ctx, name, (int)type, &r);
	int rc = WARY_OK;
	switch (r.status) {
	case NET_DNS_OK: out->status = AUTH_DNS_OK; break;
	case NET_DNS_NXDOMAIN: out->status = AUTH_DNS_NXDOMAIN; break;
	case NET_DNS_TEMPFAIL: out->status = AUTH_DNS_TEMPFAIL; break;
	case NET_DNS_PERMFAIL: out->status = AUTH_DNS_PERMFAIL; break;
	}
	out->secure = r.secure;
	out->ttl = r.ttl;
	for (size_t i = 0; i < r.n && rc == WARY_OK; i++)
		rc = auth_dns_reply_add(out, r.rr[i], r.len[i]);
	net_dns_reply_clear(&r);
	return rc;
}

void auth_dns_use_net(struct auth_dns *out, struct net_dns *dns)
{
	out->query = net_query;
	out->ctx = dns;
}
