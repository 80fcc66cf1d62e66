/* libFuzzer target: address lists and the From rules. */
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_addr_list l;
	struct mail_from f;
	struct mail_msg *m = NULL;
	struct buf b;
	char err[WARY_ERRLEN];
	char *s = xstrndup((const char *)data, size);
	size_t i;

	(void)mail_addr_parse(s, &l, err, sizeof(err));
	for (i = 0; i < l.n; i++) {
		if (l.v[i].address != NULL && (l.v[i].local == NULL || l.v[i].domain == NULL))
			abort(); /* an address always has both halves */
		if (l.v[i].domain != NULL) {
			const char *p;
			for (p = l.v[i].domain; *p != '\0'; p++)
				if (*p >= 'A' && *p <= 'Z')
					abort(); /* domains are lower-cased */
		}
	}
	mail_addr_list_clear(&l);

	/* the same bytes as the value of a From field */
	buf_init(&b);
	buf_adds(&b, "From: ");
	buf_add(&b, data, size);
	buf_adds(&b, "\n\n");
	if (mail_parse(b.data, b.len, &m, err, sizeof(err)) == WARY_OK) {
		mail_from_get(m, &f);
		if (!f.ambiguous && (f.address == NULL || mail_header_count_named(m, "From") != 1))
			abort(); /* one sender means one From with a real address */
		for (i = 0; i < 16; i++)
			if ((f.flags & (1u << i)) && mail_from_flag_name(1u << i) == NULL)
				abort();
		mail_from_clear(&f);
		mail_free(&m);
	}
	buf_release(&b);
	free(s);
	return 0;
}
