/* libFuzzer target: a whole message as the pager shows it (headers
 * weeded and all, text or HTML preferred, narrow and wide), the path
 * every message takes to the terminal.  Every line must be safe there
 * and hold no line end; the lines of `wary show` are those lines. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "tests/fuzz/terminal_check.h"
#include "mail/mail.h"
#include "render/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *s)
{
	fuzz_check_terminal_safe(s, strlen(s), false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct render_opts opts[] = {
		{ RENDER_HEADERS_WEED, false, 80 },
		{ RENDER_HEADERS_ALL, true, 20 },
		{ RENDER_HEADERS_NONE, true, 0 },
	};
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];

	if (mail_parse((const char *)data, size, &m, err, sizeof(err)) != WARY_OK)
		return 0;
	for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		struct render_doc *doc = NULL;
		struct buf text;
		size_t lines = 0;

		if (render_message(m, &opts[k], &doc, err, sizeof(err)) != WARY_OK)
			continue;
		for (size_t i = 0; i < render_line_count(doc); i++)
			check_line(render_line(doc, i, NULL));
		buf_init(&text);
		render_text(doc, &text);
		for (size_t i = 0; i < text.len; i++)
			lines += text.data[i] == '\n';
		if (lines != render_line_count(doc) || memchr(text.data, '\0', text.len) != NULL)
			abort();
		buf_release(&text);
		render_free(&doc);
	}
	mail_free(&m);
	return 0;
}
