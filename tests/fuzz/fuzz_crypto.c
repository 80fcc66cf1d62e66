/* libFuzzer target: the PGP structure of a message (crypto/) judged
 * without gpg: top level or part, inline blocks, nested and attached
 * signatures; the JSON and the chrome line it gives.  Nothing may be
 * valid without a signature checked. */
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "crypto/crypto.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_msg *m = NULL;
	struct crypto_result *r = NULL;
	struct buf j = BUF_INIT, line = BUF_INIT;
	char err[WARY_ERRLEN];

	if (mail_parse((const char *)data, size, &m, err, sizeof(err)) != WARY_OK)
		return 0;
	(void)crypto_msg_has_pgp(m);
	(void)crypto_key_part(m, 0);
	if (crypto_analyze(NULL, m, &r, err, sizeof(err)) == WARY_OK) {
		if (r->valid || r->plain != NULL || r->nsigs != 0)
			abort(); /* nothing was checked or decrypted */
		buf_init(&j);
		crypto_result_json(r, &j);
		if (!safe_is_clean(j.data, j.len))
			abort();
		if (crypto_result_summary(r, &line) == CRYPTO_LEVEL_GOOD)
			abort();
		buf_release(&j);
		buf_release(&line);
		crypto_result_free(&r);
	}
	mail_free(&m);
	return 0;
}
