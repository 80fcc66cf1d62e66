/* The trace module's resolver hook, answered through auth's struct
 * auth_dns (so the forensics use the same resolver, cache and test zones
 * as the other analyses). */
#include "auth/auth.h"
#include "trace/trace.h"

#include <string.h>

static int lookup(void *ctx, const char *name, int rrtype, char (*out)[256], size_t max, size_t *n)
{
	const struct auth_dns *dns = ctx;
	struct auth_dns_reply r;
	memset(&r, 0, sizeof r);
	*n = 0;
	if (dns->query(dns->ctx, name, (enum auth_rrtype)rrtype, &r) != WARY_OK) {
		auth_dns_reply_clear(&r);
		return -1;
	}
	int rc = 0;
	if (r.status == AUTH_DNS_NXDOMAIN)
		rc = 1;
	else if (r.status != AUTH_DNS_OK)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < r.n && *n < max; i++)
		str_copy(out[(*n)++], r.rr[i], 256);
	auth_dns_reply_clear(&r);
	return rc;
}

void auth_trace_dns(const struct auth_dns *dns, struct trace_dns *out)
{
	out->lookup = lookup;
	out->ctx = (void *)dns;
}
