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
#include <string.h>

#include "base/base.h"
#include "tests/fuzz/terminal_check.h"
#include "inspect/inspect.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
		fuzz_check_terminal_safe(out.data, out.len, true);
	buf_reset(&out);
	if (inspect_report_json(in, m, &out, err, sizeof(err)) == WARY_OK) {
		if (out.len < 3 || out.data[0] != '{' || out.data[out.len - 1] != '\n' ||
		    out.data[out.len - 2] != '}')
			abort();
		if (memchr(out.data, '\n', out.len - 1) != NULL)
			abort();
		fuzz_check_terminal_safe(out.data, out.len, true);
	}
	buf_release(&out);
	mail_free(&m);
	return 0;
}
