/* libFuzzer target: DKIM and ARC verification of arbitrary message bytes
 * (header splitting, tag lists, both canonicalisations, l=, the key
 * records), DNS answered from the RFC 8463 example's records, so a mutated
 * copy of that message reaches the crypto.  A pass must have its body hash
 * matched. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone_text[] =
	"brisbane._domainkey.football.example.com TXT \"v=DKIM1; k=ed25519; "
	"p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"
	"test._domainkey.football.example.com TXT \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
	"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
	"DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
	"Ip3G+2kryOTIKT+l/K4w3QIDAQAB\"\n"
	"revoked._domainkey.football.example.com TXT \"v=DKIM1; p=\"\n"
	"bad._domainkey.football.example.com TXT \"v=DKIM1; k=rsa; h=sha1; t=y:s; p=AAAA\"\n"
	"slow._domainkey.football.example.com TIMEOUT\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_zone *z;
	static struct auth_dkim_ctx *ctx;
	static struct auth_dkim res;
	static struct auth_arc arc;
	struct auth_dns dns;
	char err[WARY_ERRLEN];

	if (!z) {
		if (auth_zone_new(&z) != WARY_OK || auth_zone_load(z, zone_text, err, sizeof(err)) != WARY_OK ||
		    auth_dkim_ctx_new(&ctx, err, sizeof(err)) != WARY_OK)
			abort();
	}
	auth_zone_dns(z, &dns);
	if (auth_dkim_verify(ctx, &dns, (const char *)data, size, 1528637969, &res, err, sizeof(err)) !=
	    WARY_OK)
		abort();
	if (res.n > AUTH_DKIM_MAX_SIGS || res.n > res.total)
		abort();
	for (size_t i = 0; i < res.n; i++) {
		const struct auth_dkim_sig *s = &res.sig[i];

		if (s->result == AUTH_DKIM_PASS && (!s->body_checked || !s->body_ok))
			abort();
		if (s->result > AUTH_DKIM_PERMERROR)
			abort();
	}
	if (auth_arc_verify(ctx, &dns, (const char *)data, size, 1528637969, &arc, err, sizeof(err)) !=
	    WARY_OK)
		abort();
	if (arc.cv == AUTH_ARC_PASS && (arc.n == 0 || !arc.ams_ok))
		abort();
	return 0;
}
