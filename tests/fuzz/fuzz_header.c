/* libFuzzer target: the header block of mail_parse and the decoding of
 * every field (RFC 2047, charsets), plus the date parser on Date. */
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];
	size_t i, n;

	if (mail_parse((const char *)data, size, &m, err, sizeof(err)) != WARY_OK)
		return 0;
	n = mail_header_count(m);
	if (n > MAIL_MAX_HEADERS)
		abort();
	for (i = 0; i < n; i++) {
		const char *name = mail_header_name(m, i);
		const char *v = mail_header_value(m, i);
		char *d;

		if (strlen(v) > MAIL_MAX_HEADER_LEN + 8)
			abort(); /* one replacement character may straddle the cut */
		d = mail_header_decoded(m, name);
		if (d == NULL)
			abort(); /* the field exists, so its decoding must too */
		free(d);
	}
	{
		const char *date = mail_header_get(m, "Date");
		time_t t;
		int tz;
		time_t t2;
		int tz2;
		bool known;
		if (date != NULL && mail_date_parse(date, &t, &tz) == WARY_OK && (tz < -1439 || tz > 1439))
			abort();
		/* the zone-telling parse reads the same date */
		if (date != NULL && (mail_date_parse(date, &t, &tz) == WARY_OK) !=
		                            (mail_date_parse_zone(date, &t2, &tz2, &known) == WARY_OK))
			abort();
		if (date != NULL && mail_date_parse(date, &t, &tz) == WARY_OK && (t != t2 || tz != tz2))
			abort();
	}
	mail_free(&m);
	return 0;
}
