/* libFuzzer target: the DMARC record parser and policy (src/auth/dmarc.c).
 * The input is the TXT record at _dmarc of the From's organizational
 * domain; the From is a subdomain, so the record is found by the
 * organizational-domain walk, and both alignment modes meet the same
 * DKIM and SPF results. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct auth_dmarc *d)
{
	/* every string is terminated inside its array, the result in range */
	if (strnlen(d->policy, sizeof(d->policy)) == sizeof(d->policy) ||
	    strnlen(d->requested, sizeof(d->requested)) == sizeof(d->requested) ||
	    strnlen(d->sub_policy, sizeof(d->sub_policy)) == sizeof(d->sub_policy) ||
	    strnlen(d->record_domain, sizeof(d->record_domain)) == sizeof(d->record_domain) ||
	    d->result > AUTH_DMARC_PERMERROR || d->pct < 0 || d->pct > 100)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dkim[] = { "mail.example.com", "other.example" };
	struct auth_zone *z;
	struct auth_dns dns;
	struct auth_dmarc out;
	struct auth_dmarc_in in = { "news.mail.example.com", dkim, 2, AUTH_SPF_PASS,
		                    "bounce.example.com" };
	char err[WARY_ERRLEN];

	if (size > 65536)
		return 0;
	auth_zone_new(&z);
	auth_zone_add(z, "_dmarc.example.com", "TXT", (const char *)data, size);
	auth_zone_dns(z, &dns);
	memset(&out, 0, sizeof(out));
	auth_dmarc_check(&dns, &in, &out, err, sizeof(err));
	check(&out);
	in.n_dkim = 0;
	in.spf = AUTH_SPF_FAIL;
	memset(&out, 0, sizeof(out));
	auth_dmarc_check(&dns, &in, &out, err, sizeof(err));
	check(&out);
	auth_zone_free(&z);
	return 0;
}
