/* libFuzzer target: mutt patterns.  Every input either fails with a
 * "pattern: " message or parses; a parsed pattern must translate to
 * IMAP SEARCH keys a server cannot misread (CRLF only after "{N}", N
 * bytes present, nothing but printable ASCII outside literals, quoted
 * strings without quote or backslash inside), and must evaluate on a row
 * and a message without asking for the message when it said it would
 * not need one. */
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "pattern/pattern.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char message[] =
	"From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.net>\n"
	"To: a@example.org\nCc: b@example.org\nSubject: pump\nX-A: b\n"
	"Content-Type: text/plain; charset=iso-8859-1\n"
	"Content-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe\n";

static int calls;

static int get(void *ctx, const struct store_row *row, struct buf *out)
{
	(void)ctx;
	(void)row;
	calls++;
	buf_adds(out, message);
	return WARY_OK;
}

static void check_wire(const char *s, size_t len)
{
	size_t i = 0;
	bool quoted = false;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r') {
			size_t j = i, n = 0, mul = 1;

			if (quoted || i + 1 >= len || s[i + 1] != '\n' || j == 0 || s[j - 1] != '}')
				abort();
			j--;
			while (j > 0 && s[j - 1] >= '0' && s[j - 1] <= '9') {
				n += (size_t)(s[j - 1] - '0') * mul;
				mul *= 10;
				j--;
			}
			if (mul == 1 || j == 0 || s[j - 1] != '{' || i + 2 + n > len)
				abort();
			for (size_t k = i + 2; k < i + 2 + n; k++)
				if (s[k] == '\r' || s[k] == '\n' || s[k] == '\0')
					abort(); /* the parser refuses line breaks and NULs */
			i += 2 + n;
			continue;
		}
		if (c < 0x20 || c > 0x7e || c == '\\')
			abort();
		if (c == '"')
			quoted = !quoted;
		i++;
	}
	if (quoted)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pattern *p = NULL;
	struct store_row row;
	struct buf b;
	char err[WARY_ERRLEN];
	int m;

	if (pattern_parse((const char *)data, size, (time_t)1710504000, &p, err, sizeof(err)) !=
	    WARY_OK) {
		if (p != NULL || strncmp(err, "pattern: ", 9) != 0)
			abort();
		return 0;
	}
	buf_init(&b);
	if (pattern_imap(p, &b, err, sizeof(err)) != WARY_OK)
		abort();
	check_wire(b.data, b.len);
	buf_release(&b);

	memset(&row, 0, sizeof(row));
	row.key = (char *)"1";
	row.from = (char *)"=?UTF-8?Q?J=C3=BCrgen?= <j@example.net>";
	row.to = (char *)"a@example.org";
	row.subject = (char *)"pump";
	row.date = (time_t)1709632800;
	row.flags = STORE_SEEN | STORE_FLAGGED;
	calls = 0;
	m = pattern_match(p, &row, get, NULL);
	if (m != 0 && m != 1)
		abort();
	if (calls > 1 || (calls > 0 && !pattern_needs_message(p)))
		abort();
	/* Without a callback the answer may differ, never the range. */
	m = pattern_match(p, &row, NULL, NULL);
	if (m != 0 && m != 1)
		abort();
	pattern_free(&p);
	return 0;
}
