/* libFuzzer target: every analysis a shown message gets (the From
 * verdict without DNS, the Received chain, render's links and remote
 * references, the attachments' true types, the spam filter's facts), in
 * both of inspect's reports.  Both are printed to a terminal, so every
 * byte of them must be safe there, and the JSON is one object on one
 * line. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/base.h"
#include "inspect/inspect.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_safe(const struct buf *b, bool one_line)
{
	const unsigned char *p = (const unsigned char *)b->data;

	for (size_t i = 0; i < b->len; i++) {
		if (p[i] == '\n') {
			if (one_line && i + 1 != b->len)
				abort();
			continue;
		}
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			abort();
		if (i + 1 < b->len && p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			abort(); /* C1 */
		if (i + 2 < b->len && p[i] == 0xe2 && p[i + 1] == 0x80 && p[i + 2] >= 0xaa &&
		    p[i + 2] <= 0xae)
			abort(); /* bidi embedding and override */
		if (i + 2 < b->len && p[i] == 0xe2 && p[i + 1] == 0x81 && p[i + 2] >= 0xa6 &&
		    p[i + 2] <= 0xa9)
			abort(); /* bidi isolate */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct inspect *in;
	struct mail_msg *m = NULL;
	struct buf out;
	char err[WARY_ERRLEN];

	if (in == NULL) {
		/* never the user's token store */
		setenv("WARY_SPAM_DB", "/nonexistent/wary-fuzz/spam.db", 1);
		if (inspect_new(&in, err, sizeof(err)) != WARY_OK)
			abort();
	}
	if (mail_parse((const char *)data, size, &m, err, sizeof(err)) != WARY_OK)
		return 0;
	buf_init(&out);
	if (inspect_report_text(in, m, &out, err, sizeof(err)) == WARY_OK)
		check_safe(&out, false);
	buf_reset(&out);
	if (inspect_report_json(in, m, &out, err, sizeof(err)) == WARY_OK) {
		if (out.len < 3 || out.data[0] != '{' || out.data[out.len - 1] != '\n' ||
		    out.data[out.len - 2] != '}')
			abort();
		check_safe(&out, true);
	}
	buf_release(&out);
	mail_free(&m);
	return 0;
}
