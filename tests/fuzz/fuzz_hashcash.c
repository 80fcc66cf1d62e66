/* libFuzzer target: hashcash stamps as they come in X-Hashcash fields. */
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "send/send.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *mine[] = { "bob@example.test", "" };
	char *s = xstrndup((const char *)data, size);
	unsigned bits = 0;
	enum send_hashcash_result r;

	r = send_hashcash_check(NULL, s, mine, 2, 0, 1700000000, 28L * 86400, &bits);
	if (r == SEND_HC_VALID) {
		/* valid means the claim holds: SHA-1 has at least the bits it claims */
		char *t = str_trim(xstrdup(s));

		if (send_hashcash_bits(t, strlen(t)) < bits || !str_starts_with(t, "1:"))
			abort();
		free(t);
	} else if (bits != 0) {
		abort(); /* only a valid stamp has a value */
	}
	free(s);
	return 0;
}
