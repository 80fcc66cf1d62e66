/* libFuzzer target: safe_text in each mode and err_set, the gates every
 * foreign string passes before a terminal.  What comes out is valid UTF-8
 * holding nothing a terminal acts on (ESC and the other C0 controls but
 * TAB and LF where kept, DEL, C1, bidi embeddings, overrides and
 * isolates, U+2028/2029), in a one-line field no invisible code point but
 * a ZWJ after a pictograph, never more than eight stacking marks in a
 * row, and a second pass changes nothing. */
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_mark(uint32_t cp)
{
	return (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
	       (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe20 && cp <= 0xfe2f);
}

static bool is_pictograph(uint32_t cp)
{
	return (cp >= 0x1f000 && cp <= 0x1faff) || (cp >= 0x2600 && cp <= 0x27bf) ||
	       (cp >= 0x2300 && cp <= 0x23ff) || (cp >= 0x2b00 && cp <= 0x2bff);
}

static void check(const struct buf *b, enum safe_mode mode)
{
	size_t i = 0;
	unsigned marks = 0;
	uint32_t prev = 0;

	while (i < b->len) {
		uint32_t cp;
		size_t k = utf8_decode((const unsigned char *)b->data + i, b->len - i, &cp);

		if (k == 0)
			abort(); /* not UTF-8 */
		if ((cp < 0x20 && !(mode != SAFE_LINE && (cp == '\t' || cp == '\n'))) || cp == 0x7f)
			abort();
		if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029)
			abort();
		if (mode == SAFE_LINE && safe_is_invisible(cp) && !(cp == 0x200d && is_pictograph(prev)))
			abort();
		marks = is_mark(cp) ? marks + 1 : 0;
		if (marks > 8)
			abort();
		prev = cp;
		i += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum safe_mode modes[] = { SAFE_LINE, SAFE_BODY, SAFE_RAW };
	char err[64];

	for (size_t m = 0; m < 3; m++) {
		struct buf a = BUF_INIT, b = BUF_INIT;

		safe_text(&a, (const char *)data, size, modes[m]);
		check(&a, modes[m]);
		if (modes[m] != SAFE_RAW) {
			safe_text(&b, a.data, a.len, modes[m]);
			if (b.len != a.len || memcmp(a.data, b.data, a.len) != 0)
				abort(); /* a second pass changes nothing */
		}
		buf_release(&a);
		buf_release(&b);
	}
	{
		char *s = xstrndup((const char *)data, size);
		struct buf e = BUF_INIT;

		err_set(err, sizeof(err), WARY_ERR, "x: %s", s);
		buf_adds(&e, err);
		check(&e, SAFE_LINE);
		buf_release(&e);
		free(s);
	}
	return 0;
}
