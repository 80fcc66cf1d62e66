/* libFuzzer target: the Authentication-Results parser (RFC 8601) on one
 * header value, and the rule of which fields are believed on a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_ar ar;
	static struct auth_ar_set set;
	char err[WARY_ERRLEN];
	struct mail_msg *m = NULL;

	if (auth_ar_parse((const char *)data, size, &ar, err, sizeof(err)) == WARY_OK) {
		if (ar.n > AUTH_AR_MAX_RESULTS || strlen(ar.authserv_id) >= sizeof(ar.authserv_id))
			abort();
		for (size_t i = 0; i < ar.n; i++)
			if (ar.r[i].nprop > AUTH_AR_MAX_PROPS || ar.r[i].method[0] == '\0' ||
			    ar.r[i].result[0] == '\0')
				abort();
	}
	/* the same bytes as a message: every field of it judged */
	if (mail_parse((const char *)data, size, &m, err, sizeof(err)) == WARY_OK) {
		if (auth_ar_collect(m, "mx.example.test", 0, &set, err, sizeof(err)) != WARY_OK)
			abort();
		if (set.n_trusted > set.n || set.n > AUTH_AR_MAX_HEADERS || set.n > set.total)
			abort();
		for (size_t i = 0; i < set.n; i++)
			if (set.e[i].trusted && (!set.e[i].parsed || !set.e[i].above_boundary))
				abort();
		mail_free(&m);
	}
	return 0;
}
