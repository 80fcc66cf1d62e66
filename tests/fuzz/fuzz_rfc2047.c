/* libFuzzer target: encoded-words, charset conversion, and RFC 2231
 * parameters through a Content-Type and Content-Disposition. */
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (k == 0)
			abort(); /* every decoder returns valid UTF-8 */
		i += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *d = mail_rfc2047_decode((const char *)data, size);
	struct buf b;
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];
	size_t n;

	check_utf8(d, strlen(d));
	free(d);

	/* the first line names a charset, the rest is text in it */
	{
		const char *nl = memchr(data, '\n', size);
		if (nl != NULL) {
			char *cs = xstrndup((const char *)data, (size_t)(nl - (const char *)data));
			char *u = mail_to_utf8(cs, nl + 1, size - (size_t)(nl + 1 - (const char *)data), &n);
			check_utf8(u, n);
			free(u);
			free(cs);
		}
	}

	buf_init(&b);
	buf_adds(&b, "Content-Type: text/plain; ");
	buf_add(&b, data, size);
	buf_adds(&b, "\nContent-Disposition: attachment; ");
	buf_add(&b, data, size);
	buf_adds(&b, "\n\nbody\n");
	if (mail_parse(b.data, b.len, &m, err, sizeof(err)) == WARY_OK) {
		const struct mail_part *p = mail_root(m);
		const char *f = mail_part_filename(p);
		const char *c = mail_part_param(p, "charset");
		struct buf t;

		if (f != NULL)
			check_utf8(f, strlen(f));
		if (c != NULL)
			check_utf8(c, strlen(c));
		if (strchr(mail_part_type(p), '/') == NULL)
			abort(); /* a type is always type/subtype */
		if (mail_part_text(p, &t, err, sizeof(err)) == WARY_OK)
			check_utf8(t.data, t.len);
		buf_release(&t);
		mail_free(&m);
	}
	buf_release(&b);
	return 0;
}
