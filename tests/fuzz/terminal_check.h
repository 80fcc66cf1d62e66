/* What a fuzz target checks of text wary prints to a terminal: UTF-8
 * with no C0 control but tab (and newline where the text is many lines),
 * no DEL, no C1, no bidi embedding, override or isolate, and no line or
 * paragraph separator. */
#ifndef WARY_FUZZ_TERMINAL_CHECK_H
#define WARY_FUZZ_TERMINAL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/base.h"

static inline void fuzz_check_terminal_safe(const char *s, size_t len, bool newlines)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t k = utf8_decode((const unsigned char *)s + i, len - i, &cp);

		if (k == 0)
			abort(); /* not UTF-8 */
		if ((cp < 0x20 && cp != '\t' && !(newlines && cp == '\n')) || cp == 0x7f)
			abort();
		if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029)
			abort();
		i += k;
	}
}

#endif
