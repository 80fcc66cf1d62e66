/* Tests for src/pattern: the parser (every operator, precedence, quoting,
 * errors and their columns, hostile input), the evaluation on rows, the
 * IMAP SEARCH translation (golden strings, and a check that every output
 * is well-formed IMAP whatever went in), and store_search on the demo
 * Maildir.  Runs in UTC from a fixed "now" (Fri 15 Mar 2024 12:00). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "pattern/pattern.h"
#include "store/store.h"
#include "tests/unit/t.h"

#define NOW ((time_t)1710504000) /* 2024-03-15 12:00:00 UTC */

static char err[WARY_ERRLEN];

/* Is s what a client may send after "UID SEARCH "?  Outside literals
 * only printable ASCII; a CRLF only right after "{N}"; quoted strings
 * hold no quote or backslash (we never escape); every literal's N bytes
 * present. */
static bool wire_ok(const char *s, size_t len)
{
	size_t i = 0;
	bool quoted = false;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r') {
			size_t j = i, n = 0, mul = 1;

			if (quoted || i + 1 >= len || s[i + 1] != '\n' || j == 0 || s[j - 1] != '}')
				return false;
			j--;
			while (j > 0 && s[j - 1] >= '0' && s[j - 1] <= '9') {
				n += (size_t)(s[j - 1] - '0') * mul;
				mul *= 10;
				j--;
			}
			if (mul == 1 || j == 0 || s[j - 1] != '{' || i + 2 + n > len)
				return false;
			i += 2 + n;
			continue;
		}
		if (c < 0x20 || c > 0x7e || c == '\\')
			return false;
		if (c == '"')
			quoted = !quoted;
		i++;
	}
	return !quoted;
}

/* The IMAP keys of pattern text, or "ERR <code>: <message>". */
static char *imap_of_len(const char *text, size_t len, time_t now)
{
	struct pattern *p = NULL;
	struct buf b = BUF_INIT;
	int rc;

	buf_init(&b);
	rc = pattern_parse(text, len, now, &p, err, sizeof(err));
	if (rc != WARY_OK) {
		buf_addf(&b, "ERR %d: %s", rc, err);
		return buf_detach(&b, NULL);
	}
	rc = pattern_imap(p, &b, err, sizeof(err));
	if (rc != WARY_OK)
		buf_addf(&b, "ERR %d: %s", rc, err);
	else if (!wire_ok(b.data, b.len))
		buf_adds(&b, " <- NOT WELL-FORMED");
	pattern_free(&p);
	return buf_detach(&b, NULL);
}

static char *imap_of(const char *text)
{
	return imap_of_len(text, strlen(text), NOW);
}

/* A check's name with the pattern's controls escaped, so that a CR or
 * LF in a pattern does not break the TAP line. */
static char *name_of(const char *prefix, const char *pat)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, prefix);
	for (const unsigned char *c = (const unsigned char *)pat; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			buf_addf(&b, "\\x%02x", *c);
		else
			buf_addch(&b, (char)*c);
	}
	return buf_detach(&b, NULL);
}

#define GOLD(pat, want) do { \
	char *g_ = imap_of(pat), *n_ = name_of("imap: ", pat); \
	T_STR(g_, want, n_); \
	free(n_); \
	free(g_); } while (0)

#define FAILS(pat, want) do { \
	char *g_ = imap_of(pat), *n_ = name_of("error: ", pat); \
	T_STR(g_, want, n_); \
	free(n_); \
	free(g_); } while (0)

/* ---- the translation, which also shows the parse tree ---- */

static void test_terms(void)
{
	GOLD("~f hannah", "FROM \"hannah\"");
	GOLD("~t alex", "TO \"alex\"");
	GOLD("~c bob", "CC \"bob\"");
	GOLD("~C bob", "OR TO \"bob\" CC \"bob\"");
	GOLD("~s pump", "SUBJECT \"pump\"");
	GOLD("~b pump", "BODY \"pump\"");
	GOLD("~B pump", "TEXT \"pump\"");
	GOLD("~h 'X-Mailer: mutt 2.0'", "HEADER \"X-Mailer\" \"mutt 2.0\"");
	GOLD("~h X-Spam:", "HEADER \"X-Spam\" \"\"");
	GOLD("~h 'List-Id :  <a.b>  '", "HEADER \"List-Id\" \"<a.b>\"");
	GOLD("~N", "NEW");
	GOLD("~O", "OLD UNSEEN");
	GOLD("~U", "UNSEEN");
	GOLD("~R", "SEEN");
	GOLD("~F", "FLAGGED");
	GOLD("~D", "DELETED");
	GOLD("~A", "ALL");
	GOLD("hannah", "OR FROM \"hannah\" SUBJECT \"hannah\"");
	GOLD("  ~F  ", "FLAGGED");
	GOLD("~f\thannah", "FROM \"hannah\"");
	GOLD("~fhannah", "FROM \"hannah\"");
}

static void test_dates(void)
{
	GOLD("~d 01/03/24-10/03/24", "SENTSINCE 1-Mar-2024 SENTBEFORE 11-Mar-2024");
	GOLD("~d 10/03/24-01/03/24", "SENTSINCE 1-Mar-2024 SENTBEFORE 11-Mar-2024");
	GOLD("~d 01/03/24", "SENTON 1-Mar-2024");
	GOLD("~d 1/3/2024", "SENTON 1-Mar-2024");
	GOLD("~d 20240301", "SENTON 1-Mar-2024");
	GOLD("~d 20240301-20240310", "SENTSINCE 1-Mar-2024 SENTBEFORE 11-Mar-2024");
	GOLD("~d -10/03/24", "SENTBEFORE 11-Mar-2024");
	GOLD("~d 01/03/2024-", "SENTSINCE 1-Mar-2024");
	GOLD("~d 31/12/23-31/12/23", "SENTON 31-Dec-2023");
	GOLD("~d 28/02/24-", "SENTSINCE 28-Feb-2024");
	GOLD("~d 29/02/24", "SENTON 29-Feb-2024");
	GOLD("~d 31/12/99", "SENTON 31-Dec-1999");
	GOLD("~d 1/1/69", "SENTON 1-Jan-2069");
	GOLD("~d 1/1/70", "SENTON 1-Jan-1970");
	/* missing month and year are this one's */
	GOLD("~d 5", "SENTON 5-Mar-2024");
	GOLD("~d 5/2", "SENTON 5-Feb-2024");
	GOLD("~d 1-5", "SENTSINCE 1-Mar-2024 SENTBEFORE 6-Mar-2024");
	/* relative, from Fri 15 Mar 2024 */
	GOLD("~d <3d", "SENTSINCE 13-Mar-2024");
	GOLD("~d<3d", "SENTSINCE 13-Mar-2024");
	GOLD("~d >3d", "SENTBEFORE 13-Mar-2024");
	GOLD("~d =3d", "SENTON 12-Mar-2024");
	GOLD("~d >1w", "SENTBEFORE 9-Mar-2024");
	GOLD("~d <2w", "SENTSINCE 2-Mar-2024");
	GOLD("~d =2m", "SENTON 15-Jan-2024");
	GOLD("~d <1y", "SENTSINCE 16-Mar-2023");
	GOLD("~d >15m", "SENTBEFORE 16-Dec-2022");
	GOLD("~d \"<3d\"", "SENTSINCE 13-Mar-2024");
	{
		/* 31 March less a month is "31 February": 2 March (2024 is a
		 * leap year), rolled over as mutt does */
		char *g = imap_of_len("~d =1m", 6, (time_t)1711886400); /* 2024-03-31 12:00 */

		T_STR(g, "SENTON 2-Mar-2024", "imap: ~d =1m on 31 March rolls over");
		free(g);
	}
}

static void test_operators(void)
{
	GOLD("~f a ~s b", "FROM \"a\" SUBJECT \"b\"");
	GOLD("~f a ~s b ~F", "FROM \"a\" SUBJECT \"b\" FLAGGED");
	GOLD("~f a | ~s b", "OR FROM \"a\" SUBJECT \"b\"");
	GOLD("~f a|~s b", "OR FROM \"a\" SUBJECT \"b\"");
	/* AND binds tighter than OR */
	GOLD("~f a | ~s b ~F", "OR FROM \"a\" (SUBJECT \"b\" FLAGGED)");
	GOLD("~F ~f a | ~s b", "OR (FLAGGED FROM \"a\") SUBJECT \"b\"");
	GOLD("(~f a | ~s b) ~F", "OR FROM \"a\" SUBJECT \"b\" FLAGGED");
	GOLD("~F (~f a | ~s b)", "FLAGGED OR FROM \"a\" SUBJECT \"b\"");
	/* NOT binds tightest */
	GOLD("!~R", "NOT SEEN");
	GOLD("! ~R", "NOT SEEN");
	GOLD("!~f a ~F", "NOT FROM \"a\" FLAGGED");
	GOLD("!(~f a ~F)", "NOT (FROM \"a\" FLAGGED)");
	GOLD("!(~f a | ~F)", "NOT OR FROM \"a\" FLAGGED");
	GOLD("!~O", "NOT (OLD UNSEEN)");
	GOLD("!!~A", "NOT NOT ALL");
	GOLD("!~d 01/03/24-10/03/24", "NOT (SENTSINCE 1-Mar-2024 SENTBEFORE 11-Mar-2024)");
	GOLD("~O | ~F", "OR (OLD UNSEEN) FLAGGED");
	GOLD("~d 01/03/24-10/03/24 | ~F", "OR (SENTSINCE 1-Mar-2024 SENTBEFORE 11-Mar-2024) FLAGGED");
	GOLD("~d <3d | ~F", "OR SENTSINCE 13-Mar-2024 FLAGGED");
	/* grouping that changes nothing is flattened */
	GOLD("((~F))", "FLAGGED");
	GOLD("(~F ~N) ~D", "FLAGGED NEW DELETED");
	GOLD("(~F | ~N) | ~D", "OR FLAGGED OR NEW DELETED");
	/* OR chains nest as a balanced tree */
	GOLD("~f a | ~f b | ~f c", "OR FROM \"a\" OR FROM \"b\" FROM \"c\"");
	GOLD("~f a | ~f b | ~f c | ~f d",
	     "OR OR FROM \"a\" FROM \"b\" OR FROM \"c\" FROM \"d\"");
	GOLD("(~f a | ~f b) (~s c | !~s d)",
	     "OR FROM \"a\" FROM \"b\" OR SUBJECT \"c\" NOT SUBJECT \"d\"");
	GOLD("~s pump ~d 01/03/24-10/03/24",
	     "SUBJECT \"pump\" SENTSINCE 1-Mar-2024 SENTBEFORE 11-Mar-2024");
	GOLD("pump repair", "OR FROM \"pump\" SUBJECT \"pump\" OR FROM \"repair\" SUBJECT \"repair\"");
	GOLD("hannah | ~F", "OR OR FROM \"hannah\" SUBJECT \"hannah\" FLAGGED");
}

static void test_quoting(void)
{
	GOLD("~s \"pump repair\"", "SUBJECT \"pump repair\"");
	GOLD("~s 'pump repair'", "SUBJECT \"pump repair\"");
	GOLD("'pump repair'", "OR FROM \"pump repair\" SUBJECT \"pump repair\"");
	GOLD("~s a\\ b", "SUBJECT \"a b\"");
	GOLD("~s a\\|b", "SUBJECT \"a|b\"");
	GOLD("~s a\\)", "SUBJECT \"a)\"");
	GOLD("~s \"a|b)c\"", "SUBJECT \"a|b)c\"");
	GOLD("~s \"~f x\"", "SUBJECT \"~f x\"");
	GOLD("~s 'it\"s'", "SUBJECT {4}\r\nit\"s");
	GOLD("~s \"it\\\"s\"", "SUBJECT {4}\r\nit\"s");
	GOLD("~s \"back\\\\slash\"", "SUBJECT {10}\r\nback\\slash");
	GOLD("~s 'no\\escape'", "SUBJECT {9}\r\nno\\escape");
	/* a string that looks like a literal is only a quoted string */
	GOLD("~s \"{5}\"", "SUBJECT \"{5}\"");
	GOLD("~s '(parens)'", "SUBJECT \"(parens)\"");
	GOLD("~s f(x", "SUBJECT \"f(x\"");
	GOLD("~s a~b!c", "SUBJECT \"a~b!c\"");
	/* 8-bit: UTF-8 as a literal, and CHARSET once */
	GOLD("~s Grüße", "CHARSET UTF-8 SUBJECT {7}\r\nGrüße");
	GOLD("~f Jürgen ~s Grüße", "CHARSET UTF-8 FROM {7}\r\nJürgen SUBJECT {7}\r\nGrüße");
	GOLD("~f plain ~s Grüße", "CHARSET UTF-8 FROM \"plain\" SUBJECT {7}\r\nGrüße");
	GOLD("~h 'X-A: ç'", "CHARSET UTF-8 HEADER \"X-A\" {2}\r\nç");
	GOLD("~h 'X-{A}: b'", "HEADER \"X-{A}\" \"b\"");
}

static void test_injection(void)
{
	/* CR and LF inside a string are refused: no unfolded header holds
	 * one, and a server takes them as it pleases (Dovecot: everything) */
	FAILS("~s \"x\r\nA1 LOGOUT\"", "ERR -3: pattern: column 6: a line break inside a string");
	FAILS("~s 'x\") LOGOUT\r\n'", "ERR -3: pattern: column 15: a line break inside a string");
	FAILS("~s \"\n\"", "ERR -3: pattern: column 5: a line break inside a string");
	FAILS("~s a\\\r", "ERR -3: pattern: column 6: a line break inside a string");
	FAILS("~h 'X-A: b\r\nX-B: c'", "ERR -3: pattern: column 11: a line break inside a string");
	/* outside quotes they only separate words */
	GOLD("~s x\r\nA1 LOGOUT",
	     "SUBJECT \"x\" OR FROM \"A1\" SUBJECT \"A1\" OR FROM \"LOGOUT\" SUBJECT \"LOGOUT\"");
	/* a quote cannot close the quoted string early */
	GOLD("~s 'a\" OR ALL \"'", "SUBJECT {11}\r\na\" OR ALL \"");
	/* other controls go as literals too: ESC, TAB, DEL */
	GOLD("~s \"\x1b[2J\"", "SUBJECT {4}\r\n\x1b[2J");
	GOLD("~s \"a\tb\"", "SUBJECT {3}\r\na\tb");
	GOLD("~s \"a\x7f\"", "SUBJECT {2}\r\na\x7f");
	/* the header name is a string too */
	GOLD("~h '\"X\": y'", "HEADER {3}\r\n\"X\" \"y\"");
}

static void test_errors(void)
{
	FAILS("~d", "ERR -3: pattern: column 1: ~d needs a date range");
	FAILS("~s x ~d", "ERR -3: pattern: column 6: ~d needs a date range");
	FAILS("~s x ~d )", "ERR -3: pattern: column 6: ~d needs a date range");
	FAILS("~f", "ERR -3: pattern: column 1: ~f needs a string");
	FAILS("~f |~F", "ERR -3: pattern: column 1: ~f needs a string");
	FAILS("~h", "ERR -3: pattern: column 1: ~h needs a header, as in ~h 'X-Mailer: foo'");
	FAILS("~s ''", "ERR -3: pattern: column 4: ~s needs a non-empty string");
	FAILS("''", "ERR -3: pattern: column 1: a quoted word needs a non-empty string");
	FAILS("~Q foo", "ERR -3: pattern: column 1: ~Q is not supported (supported: ~f ~t ~c ~C ~s ~b ~B ~h ~d ~N ~O ~U ~R ~F ~D ~A)");
	FAILS("~F ~x", "ERR -3: pattern: column 4: ~x is not supported (supported: ~f ~t ~c ~C ~s ~b ~B ~h ~d ~N ~O ~U ~R ~F ~D ~A)");
	FAILS("~", "ERR -3: pattern: column 1: ~ needs a letter after it (~f, ~s, ~d, ...)");
	FAILS("~ f", "ERR -3: pattern: column 1: ~ needs a letter after it (~f, ~s, ~d, ...)");
	FAILS("(~f a", "ERR -3: pattern: column 1: ( without its )");
	FAILS("~F ((~f a)", "ERR -3: pattern: column 4: ( without its )");
	FAILS("~f a)", "ERR -3: pattern: column 5: ) without its (");
	FAILS(")", "ERR -3: pattern: column 1: ) without its (");
	FAILS("()", "ERR -3: pattern: column 2: a search term is missing before )");
	FAILS("~f a |", "ERR -3: pattern: column 7: a search term is missing");
	FAILS("| ~F", "ERR -3: pattern: column 1: | needs a search term on each side");
	FAILS("~F || ~N", "ERR -3: pattern: column 5: | needs a search term on each side");
	FAILS("!", "ERR -3: pattern: column 2: a search term is missing");
	FAILS("~F !", "ERR -3: pattern: column 5: a search term is missing");
	FAILS("~s \"abc", "ERR -3: pattern: column 4: unterminated \"");
	FAILS("~s 'abc", "ERR -3: pattern: column 4: unterminated '");
	FAILS("~s \"abc\\\"", "ERR -3: pattern: column 4: unterminated \"");
	FAILS("~h foo", "ERR -3: pattern: column 4: ~h needs a header name and a colon, as in ~h 'X-Mailer: foo'");
	FAILS("~h ': x'", "ERR -3: pattern: column 4: ~h: not a header field name before the colon");
	FAILS("~h 'X-Ü: x'", "ERR -3: pattern: column 4: ~h: not a header field name before the colon");
	FAILS("~h 'a b: x'", "ERR -3: pattern: column 4: ~h: not a header field name before the colon");
	FAILS("", "ERR -3: pattern: empty");
	FAILS(" \t\r\n", "ERR -3: pattern: empty");
	/* columns count characters, not bytes */
	FAILS("~s é ~d", "ERR -3: pattern: column 6: ~d needs a date range");
	FAILS("~s 日本語 (", "ERR -3: pattern: column 9: a search term is missing");
	/* dates */
	static const char *const bad_dates[] = {
		"~d 32/01/24", "~d 29/02/23", "~d 0/1/24", "~d 1/13/24", "~d 1/0/24",
		"~d 1/1/124", "~d 1/1/24/5", "~d 1/1/24x", "~d -", "~d x", "~d 01.03.24",
		"~d 20241301", "~d 18991231", "~d 1/1/1899", "~d 01/03/24--10/03/24",
		"~d 111/1/24",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_dates); i++) {
		char *g = imap_of(bad_dates[i]);
		char what[96];

		snprintf(what, sizeof(what), "error: %s is not a date", bad_dates[i]);
		T_STR(g, "ERR -3: pattern: column 4: ~d: not a date range (DD/MM/YY, DD/MM/YYYY, "
		         "YYYYMMDD, MIN-MAX, -MAX, MIN-, <3d, >1w, =2m)", what);
		free(g);
	}
	static const char *const bad_rel[] = {
		"~d <3h", "~d <3H", "~d <d", "~d <", "~d <3", "~d <-3d", "~d <3dd", "~d >99999999d",
		"~d <100000y", "~d <x3d",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_rel); i++) {
		char *g = imap_of(bad_rel[i]);
		char what[96];

		snprintf(what, sizeof(what), "error: %s is not a relative date", bad_rel[i]);
		T_STR(g, "ERR -3: pattern: column 4: ~d: a relative date is <Nd, >Nw, =Nm or <Ny "
		         "(days, weeks, months, years)", what);
		free(g);
	}
}

static void test_hostile(void)
{
	struct pattern *p = NULL;
	struct buf b = BUF_INIT;
	char *g;
	int rc;

	/* 1 MB */
	buf_init(&b);
	for (int i = 0; i < (1 << 20) / 4; i++)
		buf_adds(&b, "~F ");
	rc = pattern_parse(b.data, b.len, NOW, &p, err, sizeof(err));
	T_INT(rc, WARY_ELIMIT, "a 1 MB pattern is refused");
	T_STR(err, "pattern: longer than 4096 bytes", "  and says why");
	T_OK(p == NULL, "  and gives no pattern");

	/* 10k nesting, of ( and of ! */
	buf_reset(&b);
	for (int i = 0; i < 10000; i++)
		buf_addch(&b, '(');
	buf_adds(&b, "~A");
	for (int i = 0; i < 10000; i++)
		buf_addch(&b, ')');
	rc = pattern_parse(b.data, b.len, NOW, &p, err, sizeof(err));
	T_INT(rc, WARY_ELIMIT, "10k nested ( are refused");
	buf_reset(&b);
	for (int i = 0; i < 10000; i++)
		buf_addch(&b, '!');
	buf_adds(&b, "~A");
	rc = pattern_parse(b.data, b.len, NOW, &p, err, sizeof(err));
	T_INT(rc, WARY_ELIMIT, "10k nested ! are refused");

	/* the depth limit itself: 64 is fine, 65 is not, at the 65th */
	buf_reset(&b);
	for (int i = 0; i < PATTERN_MAX_DEPTH; i++)
		buf_addch(&b, '(');
	buf_adds(&b, "~F");
	for (int i = 0; i < PATTERN_MAX_DEPTH; i++)
		buf_addch(&b, ')');
	g = imap_of_len(b.data, b.len, NOW);
	T_STR(g, "FLAGGED", "64 nested ( parse");
	free(g);
	buf_reset(&b);
	for (int i = 0; i < PATTERN_MAX_DEPTH + 1; i++)
		buf_adds(&b, "(!");
	buf_adds(&b, "~F");
	g = imap_of_len(b.data, b.len, NOW);
	T_STR(g, "ERR -4: pattern: column 65: nested more than 64 deep", "65 deep is refused at column 65");
	free(g);
	buf_reset(&b);
	for (int i = 0; i < PATTERN_MAX_DEPTH; i++)
		buf_addch(&b, '!');
	buf_adds(&b, "~F");
	rc = pattern_parse(b.data, b.len, NOW, &p, err, sizeof(err));
	T_INT(rc, WARY_OK, "64 ! parse");
	{
		struct store_row r;

		memset(&r, 0, sizeof(r));
		r.flags = STORE_FLAGGED;
		T_INT(pattern_match(p, &r, NULL, NULL), 1, "  and 64 NOTs of true is true");
	}
	pattern_free(&p);

	/* terms */
	buf_reset(&b);
	for (int i = 0; i < PATTERN_MAX_TERMS; i++)
		buf_adds(&b, i ? "|~F" : "~F");
	g = imap_of_len(b.data, b.len, NOW);
	T_OK(strncmp(g, "OR OR OR OR OR OR OR OR FLAGGED FLAGGED ", 40) == 0,
	     "256 terms: a balanced OR tree, 8 deep");
	T_OK(strstr(g, "NOT WELL-FORMED") == NULL && strstr(g, "ERR") == NULL, "  well-formed");
	free(g);
	buf_adds(&b, "|~F");
	g = imap_of_len(b.data, b.len, NOW);
	T_STR(g, "ERR -4: pattern: column 769: more than 256 terms", "257 terms are refused");
	free(g);

	/* NUL bytes and invalid UTF-8 */
	g = imap_of_len("~s a\0b", 6, NOW);
	T_STR(g, "ERR -3: pattern: column 5: a NUL byte", "a NUL byte is refused with its column");
	free(g);
	g = imap_of_len("\0", 1, NOW);
	T_STR(g, "ERR -3: pattern: column 1: a NUL byte", "a lone NUL byte is refused");
	free(g);
	g = imap_of("~s \xff");
	T_STR(g, "ERR -3: pattern: column 4: not valid UTF-8", "invalid UTF-8 is refused");
	free(g);
	g = imap_of("~s \xc3");
	T_STR(g, "ERR -3: pattern: column 4: not valid UTF-8", "a cut UTF-8 sequence is refused");
	free(g);
	g = imap_of("~s \xed\xa0\x80");
	T_STR(g, "ERR -3: pattern: column 4: not valid UTF-8", "a UTF-16 surrogate is refused");
	free(g);
	g = imap_of("~s ~s ~F");
	T_STR(g, "SUBJECT \"~s\" FLAGGED", "~s takes the next word, even ~s");
	free(g);
	g = imap_of("~s \"\\");
	T_STR(g, "ERR -3: pattern: column 4: unterminated \"", "a backslash at the very end");
	free(g);

	/* random patterns from the pattern alphabet: never a crash, and
	 * every accepted one translates to well-formed IMAP */
	{
		static const char alpha[] = "~~~fstcCbBhdNOURFDA!|()  \"'\\\r\n<>=-/0123456789dwmy:x\xc3\xa9";
		unsigned seed = 12345;
		size_t accepted = 0, bad = 0;

		for (int i = 0; i < 20000; i++) {
			char text[48];
			size_t len = 1 + (seed >> 8) % (sizeof(text) - 1);

			for (size_t k = 0; k < len; k++) {
				seed = seed * 1103515245u + 12345u;
				text[k] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
			}
			g = imap_of_len(text, len, NOW);
			if (strncmp(g, "ERR", 3) != 0) {
				accepted++;
				if (strstr(g, "NOT WELL-FORMED") != NULL)
					bad++;
			} else if (strncmp(g, "ERR -3: pattern: ", 17) != 0 &&
			           strncmp(g, "ERR -4: pattern: ", 17) != 0) {
				bad++;
			}
			free(g);
		}
		printf("# %zu of 20000 random patterns accepted\n", accepted);
		T_OK(accepted > 500, "random patterns: many are accepted");
		T_INT(bad, 0, "random patterns: all translate to well-formed IMAP or fail cleanly");
	}
	buf_release(&b);
}

/* ---- evaluation ---- */

static struct pattern *P(const char *text)
{
	struct pattern *p = NULL;

	if (pattern_parse(text, strlen(text), NOW, &p, err, sizeof(err)) != WARY_OK) {
		printf("# cannot parse %s: %s\n", text, err);
		abort();
	}
	return p;
}

static int M(const char *text, const struct store_row *r)
{
	struct pattern *p = P(text);
	int m = pattern_match(p, r, NULL, NULL);

	pattern_free(&p);
	return m;
}

struct fake {
	const char *msg;
	int calls;
	int fail;
};

static int fake_get(void *ctx, const struct store_row *row, struct buf *out)
{
	struct fake *f = ctx;

	(void)row;
	f->calls++;
	if (f->fail)
		return f->fail;
	buf_adds(out, f->msg);
	return WARY_OK;
}

static int MF(const char *text, const struct store_row *r, struct fake *f)
{
	struct pattern *p = P(text);
	int m;

	f->calls = 0;
	m = pattern_match(p, r, fake_get, f);
	pattern_free(&p);
	return m;
}

static void test_eval_rows(void)
{
	struct store_row r;

	memset(&r, 0, sizeof(r));
	r.key = "k1";
	r.from = "=?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <juergen.weiss@post.example.net>";
	r.to = "Alex Morgan <alex@example.org>";
	r.subject = "=?ISO-8859-1?Q?Pumpe_kaputt_=FCberall?=";
	r.date = (time_t)1709632800; /* 2024-03-05 10:00 UTC */
	r.flags = STORE_SEEN;

	T_INT(M("~f juergen", &r), 1, "~f the address");
	T_INT(M("~f Jürgen", &r), 1, "~f the RFC 2047-decoded name");
	T_INT(M("~f JÜRGEN", &r), 1, "~f folds case beyond ASCII");
	T_INT(M("~f weiß", &r), 1, "~f finds ß");
	T_INT(M("~f hannah", &r), 0, "~f no match");
	T_INT(M("~f =?UTF-8?Q", &r), 0, "~f does not match the encoded form");
	T_INT(M("~t alex@example", &r), 1, "~t");
	T_INT(M("~t juergen", &r), 0, "~t is not From");
	T_INT(M("~s KAPUTT", &r), 1, "~s case-insensitive");
	T_INT(M("~s ÜBERALL", &r), 1, "~s decoded from ISO-8859-1 and folded");
	T_INT(M("~s pumpe.kaputt", &r), 0, "~s: . is a plain character, not a regex");
	T_INT(M("~s 'pumpe kaputt'", &r), 1, "~s a quoted phrase");
	{
		char *subj = r.subject, spaced[] = "x  y\tz";

		r.subject = spaced;
		T_INT(M("~s 'x y z'", &r), 1, "~s: white space in a header counts as one space");
		T_INT(M("~s 'x  y'", &r), 0, "  as IMAP servers store it, so two spaces do not match");
		T_INT(M("~s \"y\tz\"", &r), 0, "  nor a TAB");
		r.subject = subj;
	}
	T_INT(M("kaputt", &r), 1, "a plain word finds the subject");
	T_INT(M("juergen", &r), 1, "a plain word finds the sender");
	T_INT(M("alex", &r), 0, "a plain word is not To");
	T_INT(M("juergen kaputt", &r), 1, "two plain words: both");
	T_INT(M("juergen zzz", &r), 0, "two plain words: not just one");

	T_INT(M("~d 01/03/24-10/03/24", &r), 1, "~d inside a range");
	T_INT(M("~d 05/03/24", &r), 1, "~d on the day");
	T_INT(M("~d 06/03/24-", &r), 0, "~d after the day");
	T_INT(M("~d -04/03/24", &r), 0, "~d before the day");
	T_INT(M("~d -05/03/24", &r), 1, "~d up to the day, inclusive");
	T_INT(M("~d <3d", &r), 0, "~d <3d (ten days old)");
	T_INT(M("~d >1w", &r), 1, "~d >1w");
	T_INT(M("~d =10d", &r), 1, "~d =10d");
	T_INT(M("~d =9d", &r), 0, "~d =9d");

	/* flags: mutt's meanings of new, old, unread */
	static const struct {
		unsigned flags;
		int n, o, u, rd, f, d;
	} fl[] = {
		{ 0, 0, 1, 1, 0, 0, 0 },
		{ STORE_NEW, 1, 0, 1, 0, 0, 0 },
		{ STORE_NEW | STORE_SEEN, 0, 0, 0, 1, 0, 0 },
		{ STORE_SEEN | STORE_FLAGGED, 0, 0, 0, 1, 1, 0 },
		{ STORE_DELETED, 0, 1, 1, 0, 0, 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(fl); i++) {
		char what[64];

		r.flags = fl[i].flags;
		snprintf(what, sizeof(what), "flags %#x: ~N ~O ~U ~R ~F ~D ~A", fl[i].flags);
		T_OK(M("~N", &r) == fl[i].n && M("~O", &r) == fl[i].o && M("~U", &r) == fl[i].u &&
		     M("~R", &r) == fl[i].rd && M("~F", &r) == fl[i].f && M("~D", &r) == fl[i].d &&
		     M("~A", &r) == 1 && M("!~R", &r) == !fl[i].rd,
		     what);
	}
	r.flags = STORE_SEEN | STORE_FLAGGED;
	T_INT(M("~F ~f juergen", &r), 1, "AND: both");
	T_INT(M("~F ~f hannah", &r), 0, "AND: one");
	T_INT(M("~f hannah | ~F", &r), 1, "OR: one");
	T_INT(M("~f hannah | ~U", &r), 0, "OR: none");
	T_INT(M("!~f hannah", &r), 1, "NOT");
	T_INT(M("~f hannah | ~s pumpe ~U", &r), 0, "precedence: a | (b c)");
	T_INT(M("(~f juergen | ~s x) ~F", &r), 1, "grouping");
	T_INT(M("!(~F ~R)", &r), 0, "NOT of a group");

	/* absent fields match nothing, and nothing crashes */
	memset(&r, 0, sizeof(r));
	T_INT(M("~f a | ~t a | ~s a | a", &r), 0, "a row without From, To, Subject");
	T_INT(M("!~s a", &r), 1, "  and !~s matches it");
}

static const char message[] =
	"From: Hannah Cole <hannah@cole.example.com>\n"
	"To: Alex <alex@example.org>\n"
	"Cc: =?UTF-8?Q?Dev_P=C3=A4tel?= <dev@patel.example.net>\n"
	"Cc: Sam <sam@example.net>\n"
	"Subject: pump\n"
	"X-Tracking: =?UTF-8?B?R2VoZWltbmlz?=\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=b\n"
	"\n"
	"--b\n"
	"Content-Type: text/plain; charset=iso-8859-1\n"
	"Content-Transfer-Encoding: quoted-printable\n"
	"\n"
	"Gr=FC=DFe aus dem Garten\n"
	"--b\n"
	"Content-Type: application/octet-stream\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"c2VjcmV0IGluIGFuIGF0dGFjaG1lbnQ=\n"
	"--b--\n";

static void test_eval_message(void)
{
	struct store_row r;
	struct fake f = { message, 0, 0 };

	memset(&r, 0, sizeof(r));
	r.key = "k";
	r.from = "Hannah Cole <hannah@cole.example.com>";
	r.to = "Alex <alex@example.org>";
	r.subject = "pump";
	r.flags = STORE_SEEN;

	T_INT(MF("~b GRÜSSE", &r, &f), 0, "~b: ß does not fold to ss (simple case folding)");
	T_INT(MF("~b GRÜßE", &r, &f), 1, "~b: quoted-printable ISO-8859-1 text, folded");
	T_INT(f.calls, 1, "  the message was asked for once");
	T_INT(MF("~b 'secret in an'", &r, &f), 1, "~b: a base64 attachment, decoded");
	T_INT(MF("~b Hannah", &r, &f), 0, "~b: not the header");
	T_INT(MF("~B Hannah", &r, &f), 1, "~B: the header too");
	T_INT(MF("~B garten", &r, &f), 1, "~B: and the body");
	T_INT(MF("~B x-tracking", &r, &f), 1, "~B: a field's name");
	T_INT(MF("~B geheimnis", &r, &f), 1, "~B: a field's decoded value");
	T_INT(MF("~c pätel", &r, &f), 1, "~c: decoded Cc");
	T_INT(MF("~c sam@", &r, &f), 1, "~c: the second Cc field");
	T_INT(MF("~c alex", &r, &f), 0, "~c is not To");
	T_INT(MF("~C alex", &r, &f), 1, "~C: To");
	T_INT(f.calls, 0, "  decided by the row: the message was not asked for");
	T_INT(MF("~C sam", &r, &f), 1, "~C: Cc");
	T_INT(MF("~h 'x-tracking: GEHEIM'", &r, &f), 1, "~h: a decoded value, any case of the name");
	T_INT(MF("~h 'X-Tracking:'", &r, &f), 1, "~h Name: the field exists");
	T_INT(MF("~h 'X-Other:'", &r, &f), 0, "~h Name: a field that does not");
	T_INT(MF("~h 'Subject: pump'", &r, &f), 1, "~h Subject");

	/* laziness: the row decides first, in any order */
	T_INT(MF("~b garten ~f nobody", &r, &f), 0, "AND decided by the row");
	T_INT(f.calls, 0, "  without the message");
	T_INT(MF("~b nothing | ~f hannah", &r, &f), 1, "OR decided by the row");
	T_INT(f.calls, 0, "  without the message");
	T_INT(MF("~b garten | ~B zzz | ~c sam", &r, &f), 1, "several message terms");
	T_INT(f.calls, 1, "  one fetch");
	T_INT(MF("~b zzz | ~B zzz | ~c zzz | ~h 'X-A: b'", &r, &f), 0, "several, none match");
	T_INT(f.calls, 1, "  still one fetch");
	T_INT(MF("~f hannah", &r, &f), 1, "no message term");
	T_INT(f.calls, 0, "  no fetch");

	/* no callback, a failing one, a message that is not one */
	{
		struct pattern *p = P("~b garten");

		T_INT(pattern_match(p, &r, NULL, NULL), 0, "without a callback ~b does not match");
		pattern_free(&p);
		p = P("!~b garten");
		T_INT(pattern_match(p, &r, NULL, NULL), 1, "  so !~b does");
		pattern_free(&p);
	}
	f.fail = WARY_EIO;
	T_INT(MF("~b garten", &r, &f), WARY_EIO, "a failing callback's status comes back");
	T_INT(MF("!~b garten", &r, &f), WARY_EIO, "  also through NOT");
	T_INT(MF("~f hannah | ~b garten", &r, &f), 1, "  unless the row decides");
	f.fail = 0;
	f.msg = "";
	T_INT(MF("~b x", &r, &f), 0, "an empty message");
	f.msg = "\n\n\n";
	T_INT(MF("~B x | ~c x | ~h 'X: y'", &r, &f), 0, "a message without header");

	{
		struct pattern *p = P("~f a");

		T_OK(!pattern_needs_message(p), "pattern_needs_message: ~f no");
		pattern_free(&p);
		p = P("~f a | !(~F ~b x)");
		T_OK(pattern_needs_message(p), "pattern_needs_message: ~b deep inside yes");
		pattern_free(&p);
		p = P("~C a");
		T_OK(pattern_needs_message(p), "pattern_needs_message: ~C yes (Cc is not in a row)");
		pattern_free(&p);
	}
}

/* ---- store_search on the demo Maildir ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys found, sorted, space-separated, only their "time.Mxxx" part. */
static char *search(struct store *s, const char *text)
{
	struct pattern *p = P(text);
	struct buf b = BUF_INIT;
	char **keys = NULL;
	size_t n = 0;
	int rc;

	buf_init(&b);
	rc = store_search(s, p, &keys, &n, err, sizeof(err));
	if (rc != WARY_OK) {
		buf_addf(&b, "ERR %d: %s", rc, err);
	} else {
		if (n > 1)
			qsort(keys, n, sizeof(*keys), cmp_str);
		for (size_t i = 0; i < n; i++) {
			const char *dot = strstr(keys[i], "P0.demo");

			if (i > 0)
				buf_addch(&b, ' ');
			buf_add(&b, keys[i], dot ? (size_t)(dot - keys[i]) : strlen(keys[i]));
		}
	}
	store_keys_free(keys, n);
	pattern_free(&p);
	return buf_detach(&b, NULL);
}

#define FINDS(s, pat, want) do { \
	char *g_ = search((s), (pat)); \
	T_STR(g_, want, "demo Maildir: " pat); \
	free(g_); } while (0)

static void test_maildir(void)
{
	struct store *s = NULL;
	int rc = store_open(TOP_SRCDIR "/tests/demo/Maildir", &s, err, sizeof(err));

	T_INT(rc, WARY_OK, "the demo Maildir opens");
	if (rc != WARY_OK)
		return;
	store_set_cache(s, NULL);
	FINDS(s, "~f hannah", "1709392833.M441 1709803818.M662 1710872530.M590");
	FINDS(s, "hannah", "1709392833.M441 1709803818.M662 1710872530.M590");
	FINDS(s, "~s pump ~d 01/03/24-10/03/24",
	      "1709370842.M384 1709377360.M920 1709383635.M216 1709392833.M441 1709460300.M112 "
	      "1709663400.M821 1709669469.M908 1709710812.M377 1709722831.M432 1709803818.M662 "
	      "1710006300.M753 1710064920.M550");
	FINDS(s, "~s pump !~d 01/03/24-10/03/24", "1710606045.M304");
	FINDS(s, "!~R",
	      "1710606045.M304 1712943928.M222 1713150764.M679 1713766449.M218 1713887741.M873 "
	      "1714130405.M269 1714372818.M411 1715152900.M839 1715436133.M924 1715680022.M548 "
	      "1716633069.M463 1717401500.M207 1717508220.M248 1717578753.M991 1717660805.M292 "
	      "1717789452.M326 1717918262.M523");
	FINDS(s, "~O", "1713887741.M873 1715680022.M548 1716633069.M463");
	FINDS(s, "~F", "1710006300.M753 1710872530.M590");
	FINDS(s, "~F | ~f hannah", "1709392833.M441 1709803818.M662 1710006300.M753 1710872530.M590");
	FINDS(s, "~F ~f hannah", "1710872530.M590");
	FINDS(s, "~f jürgen", "1709383635.M216 1709722831.M432 1711381219.M809");
	FINDS(s, "~f WEISS", "1709383635.M216 1709722831.M432 1711381219.M809");
	FINDS(s, "~s 'vacances à'", "1707941820.M063");
	FINDS(s, "~b ЗОНТИКАМИ", "1708414262.M924");
	FINDS(s, "~B X-Hashcash", "1712045472.M063");
	FINDS(s, "~h 'X-Hashcash:'", "1712045472.M063");
	FINDS(s, "~c tom", "1705596130.M314");
	FINDS(s, "~C tom.becker", "1705596130.M314");
	FINDS(s, "~D", "");
	FINDS(s, "~f nobody-at-all", "");
	{
		char *all = search(s, "~A");
		size_t words = 1;

		for (const char *c = all; *c; c++)
			words += *c == ' ';
		T_INT(words, 57, "demo Maildir: ~A finds all 57");
		free(all);
	}
	store_free(&s);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_terms();
	test_dates();
	test_operators();
	test_quoting();
	test_injection();
	test_errors();
	test_hostile();
	test_eval_rows();
	test_eval_message();
	test_maildir();
	return t_done();
}
