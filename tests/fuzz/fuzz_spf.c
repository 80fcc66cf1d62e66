/* libFuzzer target: the SPF record parser and evaluator (src/auth/spf.c).
 * The input is the TXT record of the checked domain; a few other names
 * exist so includes, redirects, a:, mx:, ptr and exp= macros run too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_zone *z;
	struct auth_dns dns;
	struct auth_spf out;
	char err[WARY_ERRLEN];
	static const char base[] =
		"inc.example TXT \"v=spf1 ip4:192.0.2.0/24 ?all\"\n"
		"x.example A 192.0.2.7\n"
		"x.example AAAA 2001:db8::7\n"
		"x.example MX 10 x.example\n"
		"7.2.0.192.in-addr.arpa PTR x.example\n"
		"exp.example TXT \"%{i} %{s} %{l1r-} %{d2} %{c} %{r} %{t} %{p}\"\n";

	if (size > 65536)
		return 0;
	auth_zone_new(&z);
	auth_zone_load(z, base, err, sizeof(err));
	auth_zone_add(z, "f.example", "TXT", (const char *)data, size);
	auth_zone_dns(z, &dns);
	auth_spf_check(&dns, "192.0.2.7", "x.example", "user+tag@f.example", &out, err, sizeof(err));
	if (strlen(out.explanation) >= sizeof(out.explanation) || out.dns_mechs > 11)
		__builtin_trap();
	auth_spf_check(&dns, "2001:db8::7", "x.example", "", &out, err, sizeof(err));
	auth_zone_free(&z);
	return 0;
}
