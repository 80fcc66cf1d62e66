/* libFuzzer target: a whole message: the MIME tree, every part decoded
 * and converted, nested messages opened, within the limits. */
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct mail_msg *m, size_t *budget)
{
	const struct mail_part *stack[MAIL_MAX_DEPTH * 4 + 8];
	size_t sp = 0, parts = 0;

	stack[sp++] = mail_root(m);
	while (sp > 0) {
		const struct mail_part *p = stack[--sp];
		size_t i, nk = mail_part_count_children(p), blen;
		const char *body = mail_part_body(p, &blen);
		const char *raw;
		size_t rawlen;
		struct buf t;
		char err[WARY_ERRLEN];

		raw = mail_raw(m, &rawlen);
		if (blen > 0 && (body < raw || body + blen > raw + rawlen))
			abort(); /* bodies lie inside the message */
		if (mail_part_depth(p) > MAIL_MAX_DEPTH)
			abort();
		parts++;
		(void)mail_part_filename(p);
		(void)mail_part_is_attachment(p);
		if (mail_part_decode(p, &t, err, sizeof(err)) == WARY_OK)
			buf_release(&t);
		if (mail_part_text(p, &t, err, sizeof(err)) == WARY_OK) {
			size_t k = 0;
			while (k < t.len) {
				uint32_t cp;
				size_t n = utf8_decode((const unsigned char *)t.data + k, t.len - k, &cp);
				if (n == 0)
					abort(); /* text is valid UTF-8 */
				k += n;
			}
			buf_release(&t);
		}
		for (i = 0; i < nk; i++) {
			if (mail_part_parent(mail_part_child(p, i)) != p)
				abort();
			if (sp < sizeof(stack) / sizeof(stack[0]))
				stack[sp++] = mail_part_child(p, i);
		}
		if (mail_part_message(p) != NULL && *budget > 0) {
			(*budget)--;
			parts += walk(mail_part_message(p), budget);
		}
	}
	return parts;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];
	struct mail_from f;
	size_t budget = 64, i;

	if (mail_parse((const char *)data, size, &m, err, sizeof(err)) != WARY_OK)
		return 0;
	if (walk(m, &budget) > (MAIL_MAX_PARTS + 1) * 65)
		abort();
	mail_from_get(m, &f);
	mail_from_clear(&f);
	for (i = 0; i < mail_warning_count(m); i++)
		(void)strlen(mail_warning(m, i));
	mail_free(&m);
	return 0;
}
