/* libFuzzer target: the header-block reader and the date parser that the
 * Maildir index runs on every message file. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "store/store.h"
#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct store_row row;
	size_t end = hdr_block_end(p, size);
	char *s;
	time_t t;

	if (end != SIZE_MAX && end > size)
		abort(); /* the end of the block lies inside the input */
	memset(&row, 0, sizeof(row));
	hdr_parse_block(p, end != SIZE_MAX ? end : size, &row);
	if (row.subject != NULL && strlen(row.subject) > STORE_MAX_VALUE + 3)
		abort(); /* values respect the limit */
	store_row_clear(&row);
	s = xstrndup(p, size);
	(void)hdr_parse_date(s, &t);
	free(s);
	return 0;
}
