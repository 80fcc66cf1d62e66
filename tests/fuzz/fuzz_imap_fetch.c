/* libFuzzer target: one untagged IMAP response through imap_fetch_parse
 * (parsed in place), then its address lists formatted as the index rows
 * are.  Every string it hands out must lie inside the response. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "store/imap_int.h"
#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *s, const char *buf, size_t size)
{
	if (s != NULL && (s < buf || s > buf + size || strnlen(s, (size_t)(buf + size - s) + 1) >
	                                                        (size_t)(buf + size - s)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* its own block, one byte for the NUL a caller keeps after the text */
	char *buf = malloc(size + 1);
	struct imap_fetch x;
	struct buf b = BUF_INIT;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(&x, 0, sizeof(x));
	if (imap_fetch_parse(buf, size, &x) == WARY_OK && x.kind == IMAP_RESP_FETCH) {
		const char *s[] = { x.env_date, x.env_subject, x.env_in_reply_to, x.env_message_id };

		for (size_t i = 0; i < ARRAY_SIZE(s); i++)
			inside(s[i], buf, size);
		if (x.from + x.nfrom > x.naddrs || x.to + x.nto > x.naddrs || x.nfrom > IMAP_MAX_ADDRS ||
		    x.nto > IMAP_MAX_ADDRS)
			abort();
		for (size_t i = 0; i < x.naddrs; i++) {
			inside(x.addrs[i].name, buf, size);
			inside(x.addrs[i].mailbox, buf, size);
			inside(x.addrs[i].host, buf, size);
		}
		if (x.has_body && (x.body < buf || x.body + x.body_len > buf + size))
			abort();
		buf_init(&b);
		imap_addrs_format(&b, &x, x.from, x.nfrom);
		imap_addrs_format(&b, &x, x.to, x.nto);
		if (b.len > 2 * (STORE_MAX_VALUE + 4 * STORE_MAX_VALUE + 16))
			abort();
		buf_release(&b);
	}
	imap_fetch_release(&x);
	free(buf);
	return 0;
}
