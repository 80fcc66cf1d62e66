/* libFuzzer target: the spam tokenizer on arbitrary bytes, as a message
 * (headers, the MIME walk, the text and HTML scanners, URLs) and as an
 * HTML fragment alone.  The token set must stay within its limit, and
 * every token must be found again by its text.  The header anomalies
 * of the same message must name only known bits. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "mail/mail.h"
#include "spam/spam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct spam_tok_opts opts = { true, true };
	struct spam_toks *t = NULL;
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];

	spam_toks_new(&t);
	if (mail_parse((const char *)data, size, &m, err, sizeof(err)) == WARY_OK) {
		spam_tokenize(m, &opts, t, err, sizeof(err));
		if (spam_toks_count(t) > 20000)
			abort();
		for (size_t i = 0; i < spam_toks_count(t); i++) {
			const char *tx = spam_toks_text(t, i);

			if (tx == NULL || !spam_toks_has(t, tx) ||
			    spam_token_hash(tx, strlen(tx)) != spam_toks_hash(t, i))
				abort();
		}
		if (spam_header_anomalies(m) & ~((SPAM_A_MIME_NO_VERSION << 1) - 1))
			abort();
		mail_free(&m);
	}
	spam_toks_clear(t);
	spam_tokenize_html(t, (const char *)data, size, &opts);
	spam_toks_clear(t);
	spam_tokenize_text(t, (const char *)data, size, &opts);
	spam_toks_free(&t);
	return 0;
}
