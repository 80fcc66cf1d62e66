/* Tests for imap_fetch.c, the in-place parser of the index FETCH
 * responses: every item the index reads, the string forms (quoted with
 * escapes, literals, NIL), the other untagged responses, and malformed,
 * huge and hostile input (each a clean WARY_EPARSE, never a read outside
 * the response: run under ASan). */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "store/imap_int.h"
#include "store/store_int.h"
#include "store/store.h"
#include "tests/unit/t.h"

/* The response in a block of its own, exactly its size plus the NUL the
 * reader keeps after it, so that ASan sees any read past its end. */
static char *own(const char *s, size_t len)
{
	char *b = xmalloc(len + 1);

	memcpy(b, s, len);
	b[len] = '\0';
	return b;
}

static int parse(const char *s, struct imap_fetch *x, char **keep)
{
	size_t len = strlen(s);

	*keep = own(s, len);
	return imap_fetch_parse(*keep, len, x);
}

static char *addrs(const struct imap_fetch *x, size_t first, size_t n)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	imap_addrs_format(&b, x, first, n);
	return buf_detach(&b, NULL);
}

static void test_full(void)
{
	static const char hdr[] = "References: <a@b>\r\n <p@x>\r\nContent-Type: text/plain\r\n\r\n";
	struct imap_fetch x;
	struct buf r = BUF_INIT;
	char *keep, *s;

	memset(&x, 0, sizeof(x));
	buf_init(&r);
	buf_addf(&r, "* 12 FETCH (UID 4711 FLAGS (\\Seen \\Recent \\fLaGgEd $Forwarded Junk) ENVELOPE "
	             "(\"Mon, 7 Feb 1994 21:52:25 -0800\" \"Re: \\\"hi\\\" \\\\o/\" "
	             "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.COM\")) NIL NIL "
	             "((NIL NIL \"grp\" NIL)(\"A, B\" NIL \"a\" \"b.example\")(NIL NIL NIL NIL) "
	             "(NIL NIL \"c\" \"d.example\")) NIL NIL \"<p@x>\" \"<B27397@Blurdybloop.COM>\") "
	             "RFC822.SIZE 4286 INTERNALDATE \" 7-Feb-1994 21:52:25 -0800\" MODSEQ (98765) "
	             "BODY[HEADER.FIELDS (REFERENCES \"CONTENT-TYPE\")] {%zu}\r\n%s)",
	         strlen(hdr), hdr);
	T_INT(imap_fetch_parse(r.data, r.len, &x), WARY_OK, "a full index response parses");
	T_INT(x.kind, IMAP_RESP_FETCH, "it is a FETCH");
	T_INT(x.seq, 12, "its sequence number");
	T_INT(x.uid, 4711, "UID");
	T_INT(x.flags, STORE_SEEN | STORE_NEW | STORE_FLAGGED | STORE_PASSED,
	      "FLAGS: system flags in any case, \\Recent as new, $Forwarded; other keywords ignored");
	T_OK(x.has_flags && x.has_env && x.has_internal && x.has_body, "every item was seen");
	T_INT(x.size, 4286, "RFC822.SIZE");
	T_INT(x.internal, 760686745, "INTERNALDATE with a space-padded day and a -0800 zone");
	T_INT(x.modseq, 98765, "MODSEQ");
	T_STR(x.env_date, "Mon, 7 Feb 1994 21:52:25 -0800", "envelope date");
	T_STR(x.env_subject, "Re: \"hi\" \\o/", "quoted string unescaped in place");
	T_STR(x.env_in_reply_to, "<p@x>", "in-reply-to");
	T_STR(x.env_message_id, "<B27397@Blurdybloop.COM>", "message-id");
	s = addrs(&x, x.from, x.nfrom);
	T_STR(s, "Fred Foobar <foobar@Blurdybloop.COM>", "From rebuilt");
	free(s);
	s = addrs(&x, x.to, x.nto);
	T_STR(s, "grp: \"A, B\" <a@b.example>;, c@d.example", "To: a group, a quoted name, a bare address");
	free(s);
	T_INT(x.body_len, strlen(hdr), "the header section's length");
	T_OK(x.body != NULL && memcmp(x.body, hdr, strlen(hdr)) == 0, "the header section's bytes");
	{
		struct store_row h;

		memset(&h, 0, sizeof(h));
		hdr_parse_block(x.body, x.body_len, &h);
		T_STR(h.references, "<a@b> <p@x>", "References from the section, unfolded");
		T_STR(h.content_type, "text/plain", "Content-Type from the section");
		store_row_clear(&h);
	}
	imap_fetch_release(&x);
	buf_release(&r);

	/* literals where quoted strings usually stand, NIL everywhere else */
	memset(&x, 0, sizeof(x));
	T_INT(parse("* 1 FETCH (ENVELOPE (NIL {5}\r\nhe)lo NIL NIL NIL NIL NIL NIL {0}\r\n {3}\r\n<x>) UID 7)",
	            &x, &keep),
	      WARY_OK, "literals in an envelope");
	T_STR(x.env_subject, "he)lo", "a literal holding a parenthesis");
	T_STR(x.env_in_reply_to, "", "an empty literal");
	T_STR(x.env_message_id, "<x>", "a literal right before the closing parenthesis");
	T_OK(x.env_date == NULL && x.nfrom == 0 && x.nto == 0, "NIL date and address lists");
	T_INT(x.uid, 7, "an item after the envelope is still read");
	free(keep);

	/* a NUL inside a literal shortens the C string, never the walk */
	buf_init(&r);
	{
		static const char nul[] = "* 1 FETCH (UID 3 ENVELOPE (NIL {4}\r\nab\0c NIL NIL NIL NIL NIL NIL NIL NIL))";

		buf_add(&r, nul, sizeof(nul) - 1);
	}
	T_INT(imap_fetch_parse(r.data, r.len, &x), WARY_OK, "a NUL inside a literal");
	T_STR(x.env_subject, "ab", "the subject ends at the NUL");
	T_INT(x.uid, 3, "and the rest parses");
	buf_release(&r);

	/* items the index does not ask for are skipped whatever their shape */
	T_INT(parse("* 2 FETCH (X-GM-LABELS (\\Inbox \"a b\") BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" "
	            "\"utf-8\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)(\"image\" \"png\" NIL NIL NIL \"base64\" 10 "
	            "NIL (\"attachment\" (\"filename\" {5}\r\na.png)) NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL) "
	            "UID 8 EMAILID (M6d99ac3275bb4e))",
	            &x, &keep),
	      WARY_OK, "unknown items and a BODYSTRUCTURE are skipped");
	T_INT(x.uid, 8, "the UID among them");
	free(keep);
	imap_fetch_release(&x);
}

static void test_other(void)
{
	struct imap_fetch x;
	char *keep;

	memset(&x, 0, sizeof(x));
	T_INT(parse("* 100001 EXISTS", &x, &keep), WARY_OK, "EXISTS");
	T_OK(x.kind == IMAP_RESP_EXISTS && x.seq == 100001, "EXISTS and its count");
	free(keep);
	T_INT(parse("* 5 EXPUNGE", &x, &keep), WARY_OK, "EXPUNGE");
	T_OK(x.kind == IMAP_RESP_EXPUNGE && x.seq == 5, "EXPUNGE and its number");
	free(keep);
	T_INT(parse("* VANISHED 1:5,9,12:*", &x, &keep), WARY_OK, "VANISHED");
	T_OK(x.kind == IMAP_RESP_VANISHED && x.set_len == 10 && memcmp(x.set, "1:5,9,12:*", 10) == 0,
	     "VANISHED and its set");
	free(keep);
	T_INT(parse("* VANISHED (EARLIER) 300", &x, &keep), WARY_OK, "VANISHED (EARLIER)");
	T_OK(x.kind == IMAP_RESP_VANISHED && x.set_len == 3, "its set");
	free(keep);
	T_INT(parse("* BYE shutting down", &x, &keep), WARY_OK, "BYE");
	T_INT(x.kind, IMAP_RESP_BYE, "BYE is told apart");
	free(keep);
	T_INT(parse("* OK [ALERT] \x1b]0;pwned\a", &x, &keep), WARY_OK, "an untagged OK");
	T_INT(x.kind, IMAP_RESP_OTHER, "is not the index's");
	free(keep);
	T_INT(parse("* FLAGS (\\Seen \\Answered)", &x, &keep), WARY_OK, "FLAGS of the mailbox");
	T_INT(x.kind, IMAP_RESP_OTHER, "is not a message's");
	free(keep);
	T_INT(parse("* 4 RECENT", &x, &keep), WARY_OK, "RECENT");
	free(keep);
	T_INT(parse("* 4 FETCH (UID 9 MODSEQ (9223372036854775807) RFC822.SIZE 9223372036854775807)", &x, &keep),
	      WARY_OK, "the largest MODSEQ (2^63 - 1) and size");
	T_OK(x.modseq == 9223372036854775807ull && x.size == INT64_MAX, "are read exactly");
	free(keep);
	T_INT(parse("* 9 FETCH (FLAGS (\\Deleted))", &x, &keep), WARY_OK, "a FETCH without UID");
	T_OK(x.uid == 0 && x.has_flags && x.flags == STORE_DELETED && !x.has_env,
	     "flags, no UID (the caller ignores it)");
	free(keep);
	imap_fetch_release(&x);
}

static void test_bad(void)
{
	static const char *const bad[] = {
		"",
		"*",
		"+ go ahead",
		"A1 OK done",
		"* 1 FETCH",
		"* 1 FETCH (",
		"* 1 FETCH (UID)",
		"* 1 FETCH (UID 0)",
		"* 1 FETCH (UID 4294967296)",
		"* 1 FETCH (UID 12x)",
		"* 1 FETCH (UID 1",
		"* 1 FETCH (UID 1) trailing",
		"* 1 FETCH (UID 1)(",
		"* 1 FETCH (FLAGS (\\Seen)",
		"* 1 FETCH (FLAGS (\\))",
		"* 1 FETCH (FLAGS \\Seen)",
		"* 1 FETCH (RFC822.SIZE 99999999999999999999999)",
		"* 1 FETCH (RFC822.SIZE -1)",
		"* 1 FETCH (INTERNALDATE \"yesterday\")",
		"* 1 FETCH (INTERNALDATE \"32-Feb-2002 10:00:00 +0000\")",
		"* 1 FETCH (INTERNALDATE \"01-Foo-2002 10:00:00 +0000\")",
		"* 1 FETCH (INTERNALDATE \"01-Jan-2002 10:00:00 *0000\")",
		"* 1 FETCH (ENVELOPE (NIL))",
		"* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL \"unterminated NIL NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL \"bad \\x escape\" NIL NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL \"a\r\nb\" NIL NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL NIL ((NIL NIL \"a\")) NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL NIL (NIL) NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL NIL \"not a list\" NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL {99}\r\nshort NIL NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL {5}short NIL NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (ENVELOPE (NIL {99999999999999999999}\r\n NIL NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (BODY[HEADER {3}\r\nabc)",
		"* 1 FETCH (BODY[HEADER] )",
		"* 1 FETCH (BODY[HEADER]<12 {3}\r\nabc)",
		"* 1 FETCH (X-UNKNOWN)",
		"* 1 FETCH (MODSEQ 5)",
		"* 1 FETCH (MODSEQ (99999999999999999999999))",
		"* 1 FETCH (MODSEQ (18446744073709551619))",  /* 2^64 + 3: must not wrap */
		"* 1 FROB",
		"* 99999999999 EXISTS",
		"* VANISHED",
		"* VANISHED 1:2 junk",
		"* VANISHED ;rm -rf",
	};
	struct imap_fetch x;

	memset(&x, 0, sizeof(x));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *keep;
		char what[160];
		int rc = parse(bad[i], &x, &keep);

		snprintf(what, sizeof(what), "malformed: %.120s", bad[i]);
		for (char *p = what; *p; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		T_INT(rc, WARY_EPARSE, what);
		free(keep);
	}
	/* (a tagged line is the caller's to recognise: here it is refused) */

	/* nesting: deep enough for any real BODYSTRUCTURE, bounded past it */
	{
		struct buf b = BUF_INIT;
		char *keep;

		for (int depth = 60; depth <= 70; depth += 10) {
			buf_init(&b);
			buf_adds(&b, "* 1 FETCH (X-DEEP ");
			for (int i = 0; i < depth; i++)
				buf_addch(&b, '(');
			buf_adds(&b, "NIL");
			for (int i = 0; i < depth; i++)
				buf_addch(&b, ')');
			buf_adds(&b, " UID 5)");
			keep = own(b.data, b.len);
			if (depth == 60)
				T_INT(imap_fetch_parse(keep, b.len, &x), WARY_OK, "a value nested 60 deep is skipped");
			else
				T_INT(imap_fetch_parse(keep, b.len, &x), WARY_EPARSE,
				      "one nested 70 deep is refused, not recursed into");
			free(keep);
			buf_release(&b);
		}
		/* a million open parentheses: refused at the bound, no stack overflow */
		buf_init(&b);
		buf_adds(&b, "* 1 FETCH (X-DEEP ");
		for (int i = 0; i < 1000000; i++)
			buf_addch(&b, '(');
		keep = own(b.data, b.len);
		T_INT(imap_fetch_parse(keep, b.len, &x), WARY_EPARSE, "a million open parentheses");
		free(keep);
		buf_release(&b);
	}
	imap_fetch_release(&x);
}

static void test_huge(void)
{
	struct imap_fetch x;
	struct buf b = BUF_INIT;
	char *keep, *s;

	memset(&x, 0, sizeof(x));
	buf_init(&b);
	buf_adds(&b, "* 1 FETCH (UID 1 ENVELOPE (NIL NIL NIL NIL NIL (");
	for (int i = 0; i < 20000; i++)
		buf_addf(&b, "(\"Name %d\" NIL \"user%d\" \"example.com\")", i, i);
	buf_adds(&b, ") NIL NIL NIL NIL))");
	keep = own(b.data, b.len);
	T_INT(imap_fetch_parse(keep, b.len, &x), WARY_OK, "a To of 20000 addresses parses");
	T_INT(x.nto, IMAP_MAX_ADDRS, "the list keeps IMAP_MAX_ADDRS of them");
	s = addrs(&x, x.to, x.nto);
	T_OK(strlen(s) <= STORE_MAX_VALUE + 4 * STORE_MAX_VALUE && strncmp(s, "Name 0 <user0@", 14) == 0,
	     "and is shown to about STORE_MAX_VALUE bytes");
	free(s);
	free(keep);
	buf_release(&b);

	/* a subject of 3 MB in a literal */
	buf_init(&b);
	buf_addf(&b, "* 1 FETCH (UID 2 ENVELOPE (NIL {%d}\r\n", 3 << 20);
	for (int i = 0; i < (3 << 20); i++)
		buf_addch(&b, 'x');
	buf_adds(&b, " NIL NIL NIL NIL NIL NIL NIL NIL))");
	keep = own(b.data, b.len);
	T_INT(imap_fetch_parse(keep, b.len, &x), WARY_OK, "a 3 MB literal subject");
	T_INT(strlen(x.env_subject), 3 << 20, "is read whole (the row caps it)");
	free(keep);
	buf_release(&b);
	imap_fetch_release(&x);
}

/* Every prefix and thousands of byte flips of valid responses: each
 * parses or is refused, and what it hands out lies inside the text. */
static void test_mutations(void)
{
	static const char hdr[] = "References: <a@b>\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n";
	static const char alphabet[] = "()\"\\{}\r\n 0123456789NIL*[]<>.:,";
	struct buf base = BUF_INIT;
	struct imap_fetch x;
	unsigned seed = 12345;
	int bad_ptr = 0, refused = 0, parsed = 0;

	memset(&x, 0, sizeof(x));
	buf_init(&base);
	buf_addf(&base, "* 12 FETCH (UID 4711 FLAGS (\\Seen) ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" "
	                "{5}\r\nhello ((\"F\" NIL \"f\" \"h\")) NIL NIL ((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b\")"
	                "(NIL NIL NIL NIL)) NIL NIL \"<p@x>\" \"<m@x>\") RFC822.SIZE 42 INTERNALDATE "
	                "\"07-Feb-1994 21:52:25 +0100\" BODY[HEADER.FIELDS (REFERENCES)] {%zu}\r\n%s)",
	          strlen(hdr), hdr);
	for (size_t round = 0; round < 6000; round++) {
		size_t len = base.len;
		char *t = own(base.data, base.len);

		if (round < base.len) {
			len = round; /* every prefix */
		} else {
			int flips = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;

			for (int k = 0; k < flips; k++) {
				seed = seed * 1103515245u + 12345u;
				t[(seed >> 8) % base.len] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
			}
		}
		if (imap_fetch_parse(t, len, &x) != WARY_OK) {
			refused++;
		} else {
			const char *s[] = { x.env_date, x.env_subject, x.env_in_reply_to, x.env_message_id };

			parsed++;
			for (size_t i = 0; i < ARRAY_SIZE(s); i++)
				if (s[i] != NULL && (s[i] < t || s[i] + strlen(s[i]) > t + len))
					bad_ptr++;
			for (size_t i = 0; i < x.naddrs; i++)
				if ((x.addrs[i].mailbox && (x.addrs[i].mailbox < t || x.addrs[i].mailbox > t + len)) ||
				    (x.addrs[i].host && (x.addrs[i].host < t || x.addrs[i].host > t + len)))
					bad_ptr++;
			if (x.has_body && (x.body < t || x.body + x.body_len > t + len))
				bad_ptr++;
		}
		free(t);
	}
	T_OK(parsed > 0 && refused > 0, "mutations both parse and are refused");
	T_INT(bad_ptr, 0, "no string handed out lies outside the response");
	buf_release(&base);
	imap_fetch_release(&x);
}

int main(void)
{
	test_full();
	test_other();
	test_bad();
	test_huge();
	test_mutations();
	return t_done();
}
