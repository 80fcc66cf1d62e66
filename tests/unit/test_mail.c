/* Unit tests of src/mail: every parser with well-formed, malformed, huge
 * and hostile input, the hostile fixtures and the demo Maildir. */
#include "mail/mail.h"
#include "t.h"

#include <dirent.h>
#include <sys/stat.h>

static struct mail_msg *parse_str(const char *s)
{
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];

	if (mail_parse(s, strlen(s), &m, err, sizeof(err)) != WARY_OK)
		printf("# parse failed: %s\n", err);
	return m;
}

static struct mail_msg *parse_file(const char *rel)
{
	struct buf b;
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];
	char *path = xasprintf("%s/%s", TOP_SRCDIR, rel);

	buf_init(&b);
	if (fs_read_file(path, &b, 0, err, sizeof(err)) != WARY_OK)
		printf("# %s: %s\n", path, err);
	else if (mail_parse(b.data, b.len, &m, err, sizeof(err)) != WARY_OK)
		printf("# %s: %s\n", path, err);
	buf_release(&b);
	free(path);
	return m;
}

static char *dec(const char *s)
{
	return mail_rfc2047_decode(s, strlen(s));
}

static void check_dec(const char *in, const char *want, const char *what)
{
	char *got = dec(in);
	T_STR(got, want, what);
	free(got);
}

static void test_qp(void)
{
	struct buf b;

	buf_init(&b);
	mail_qp_decode(&b, "caf=C3=A9 =\r\nnext=3d line  \r\nend", 33, false);
	T_STR(b.data, "caf\xc3\xa9 next= line\nend", "qp: hex (any case), soft break, trailing space");
	buf_reset(&b);
	mail_qp_decode(&b, "bad =ZZ and =4", 14, false);
	T_STR(b.data, "bad =ZZ and =4", "qp: bad escapes kept as written");
	buf_reset(&b);
	mail_qp_decode(&b, "end=", 4, false);
	T_STR(b.data, "end", "qp: '=' at EOF is a soft break");
	buf_reset(&b);
	mail_qp_decode(&b, "a_b=5F", 6, true);
	T_STR(b.data, "a b_", "qp header mode: underscore is space");
	buf_reset(&b);
	mail_qp_decode(&b, "=1B[2J", 6, false);
	T_OK(b.len == 4 && b.data[0] == 0x1b, "qp: =1B decodes to ESC (made safe later)");
	buf_release(&b);
	{
		/* a 1 MB line with no break */
		size_t n = 1 << 20, i;
		char *big = xmalloc(n);
		for (i = 0; i < n; i++)
			big[i] = i % 3 == 0 ? '=' : 'A';
		buf_init(&b);
		mail_qp_decode(&b, big, n, false);
		T_INT(b.len, n / 3 + (n % 3 ? 1 : 0) - (n % 3 == 1 ? 1 : 0), "qp: 1 MB line decodes");
		buf_release(&b);
		free(big);
	}
}

static void test_base64(void)
{
	struct buf b;

	buf_init(&b);
	T_OK(mail_base64_decode(&b, "aGVsbG8gd29ybGQ=\r\n", 18), "base64: clean input is clean");
	T_STR(b.data, "hello world", "base64: decodes");
	buf_reset(&b);
	T_OK(!mail_base64_decode(&b, "aGVs*bG8", 8), "base64: garbage reported");
	T_STR(b.data, "hello", "base64: garbage skipped, decoding goes on");
	buf_reset(&b);
	(void)mail_base64_decode(&b, "aGk=aGk=", 8);
	T_STR(b.data, "hihi", "base64: padding in the middle");
	buf_reset(&b);
	(void)mail_base64_decode(&b, "aGVsbG8", 7);
	T_STR(b.data, "hello", "base64: truncated quantum keeps whole bytes");
	buf_reset(&b);
	T_OK(!mail_base64_decode(&b, "aGVsb", 5), "base64: lone sextet reported");
	buf_release(&b);
}

static void test_flowed(void)
{
	struct buf b;
	const char *t = "This is a \r\nflowed para.\r\n> quoted \r\n> more\r\n \r\n-- \r\nsig\r\n";

	buf_init(&b);
	mail_flowed_decode(&b, t, strlen(t), false);
	T_STR(b.data, "This is a flowed para.\n> quoted more\n\n-- \nsig\n",
	      "flowed: joined, quotes kept, signature not flowed");
	buf_reset(&b);
	mail_flowed_decode(&b, "https://exa \nmple.org/x\n", 24, true);
	T_STR(b.data, "https://example.org/x\n", "flowed DelSp=yes: space removed");
	buf_reset(&b);
	mail_flowed_decode(&b, " From me\n", 9, false);
	T_STR(b.data, "From me\n", "flowed: space-stuffing undone");
	buf_reset(&b);
	mail_flowed_decode(&b, "> a \n>> b\n", 10, false);
	T_STR(b.data, "> a \n>> b\n", "flowed: quote depth change ends a paragraph");
	buf_release(&b);
}

static void test_charset(void)
{
	size_t n;
	char *s;

	s = mail_to_utf8("UTF-8", "ok \xff\xc3\xa9", 6, &n);
	T_STR(s, "ok \xef\xbf\xbd\xc3\xa9", "utf-8: invalid byte becomes U+FFFD");
	free(s);
	s = mail_to_utf8(NULL, "caf\xe9 \x93q\x94 \xc3\xa9", 11, &n);
	T_STR(s, "caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d \xc3\xa9",
	      "no charset: UTF-8 with windows-1252 for invalid bytes");
	free(s);
	s = mail_to_utf8("iso-8859-1", "\x80 \xe9", 3, &n);
	T_STR(s, "\xe2\x82\xac \xc3\xa9", "iso-8859-1 read as windows-1252");
	free(s);
	s = mail_to_utf8("KOI8-R", "\xf3\xcd\xc5\xd4\xc1", 5, &n);
	T_STR(s, "\xd0\xa1\xd0\xbc\xd0\xb5\xd1\x82\xd0\xb0", "koi8-r through iconv");
	free(s);
	s = mail_to_utf8("../../../etc/passwd", "abc\xe9", 4, &n);
	T_STR(s, "abc\xc3\xa9", "path-like charset: safe fallback");
	free(s);
	s = mail_to_utf8("x-no-such-charset", "abc", 3, &n);
	T_STR(s, "abc", "unknown charset: fallback");
	free(s);
	s = mail_to_utf8("UTF-7", "a+ABs-[2J+AAc-b", 15, &n);
	T_OK(strchr(s, 0x1b) == NULL && strchr(s, 0x07) == NULL, "utf-7: no ESC/BEL smuggled");
	T_STR(s, "a\xef\xbf\xbd[2J\xef\xbf\xbd" "b", "utf-7: controls become U+FFFD");
	free(s);
	s = mail_to_utf8("Shift_JIS", "\x82\xa0\x82", 3, &n);
	T_STR(s, "\xe3\x81\x82\xef\xbf\xbd", "shift_jis: cut sequence at end becomes U+FFFD");
	free(s);
	s = mail_to_utf8("UTF-8", "a\0b", 3, &n);
	T_INT(n, 3, "NUL bytes do not truncate a conversion");
	free(s);
}

static void test_rfc2047(void)
{
	check_dec("=?UTF-8?B?Y2Fmw6k=?=", "caf\xc3\xa9", "2047: B");
	check_dec("=?iso-8859-1?q?caf=E9_ol=E9?=", "caf\xc3\xa9 ol\xc3\xa9", "2047: Q");
	check_dec("=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab", "2047: white space between words dropped");
	check_dec("=?UTF-8?Q?a?=\r\n\t=?UTF-8?Q?b?=", "ab", "2047: joined across a fold");
	check_dec("=?UTF-8?Q?a?= x =?UTF-8?Q?b?=", "a x b", "2047: text between words kept");
	check_dec("=?UTF-8?B?w6k=?= plain", "\xc3\xa9 plain", "2047: trailing text");
	check_dec("=?UTF-8?Q?=E2=82?= =?UTF-8?Q?=AC?=", "\xe2\x82\xac",
	          "2047: multibyte split over two words");
	check_dec("=?Shift_JIS?B?gg==?= =?Shift_JIS?B?oA==?=", "\xe3\x81\x82",
	          "2047: Shift_JIS split over two words");
	check_dec("=?x-unknown-cs?Q?abc?=", "=?x-unknown-cs?Q?abc?=", "2047: unknown charset kept");
	check_dec("=?UTF-8?B?!!!?=", "=?UTF-8?B?!!!?=", "2047: bad base64 kept");
	check_dec("=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=", "2047: unknown encoding kept");
	check_dec("=??Q?abc?=", "=??Q?abc?=", "2047: empty charset kept");
	check_dec("=?UTF-8?Q?" "?=", "", "2047: empty text");
	check_dec("=?UTF-8?Q?unterminated", "=?UTF-8?Q?unterminated", "2047: unterminated kept");
	check_dec("=?UTF-8?Q?=3D=3FUTF-8=3FQ=3Fx=3F=3D?=", "=?UTF-8?Q?x?=",
	          "2047: decoded text is not decoded again");
	check_dec("=?UTF-8*en?Q?hi?=", "hi", "2047: RFC 2231 language suffix");
	check_dec("=?ISO-8859-1?Q?Vacances_=E0_Annecy?=\n =?UTF-8?Q?_=E2=80=94_photos?=",
	          "Vacances \xc3\xa0 Annecy \xe2\x80\x94 photos", "2047: two charsets adjacent");
	check_dec("raw \xe9t\xe9", "raw \xc3\xa9t\xc3\xa9", "raw 8-bit outside words: fallback");
	{
		char *s = mail_rfc2047_decode("a\0b", 3);
		T_STR(s, "a\xef\xbf\xbd" "b", "2047: NUL becomes U+FFFD");
		free(s);
	}
	{
		/* 3000 words: linear, and all decoded */
		struct buf b;
		char *s;
		int i;
		buf_init(&b);
		for (i = 0; i < 3000; i++)
			buf_adds(&b, "=?UTF-8?Q?x?= ");
		s = dec(b.data);
		T_INT(strlen(s), 3001, "2047: 3000 words decoded and joined");
		free(s);
		buf_release(&b);
	}
}

static void test_params(void)
{
	struct mail_msg *m;
	const struct mail_part *p;

	m = parse_str("Content-Type: text/plain; charset=\"utf-8\"; format=Flowed (c); DelSp=yes\n"
	              "Content-Disposition: attachment;\n filename*0*=UTF-8''%E2%82;\n"
	              " filename*1*=%AC%20x;\n filename*2=\".txt\"\n\nbody");
	p = mail_root(m);
	T_STR(mail_part_param(p, "charset"), "utf-8", "param: quoted");
	T_STR(mail_part_param(p, "format"), "Flowed", "param: comment after value");
	T_STR(mail_part_param(p, "DELSP"), "yes", "param: names case-insensitive");
	T_STR(mail_part_disposition(p), "attachment", "disposition");
	T_STR(mail_part_filename(p), "\xe2\x82\xac x.txt",
	      "2231: continuations joined, UTF-8 split across sections");
	mail_free(&m);

	m = parse_str("Content-Type: application/octet-stream; name*=iso-8859-1'fr'%E9t%E9.txt;"
	              " name=fallback.txt\n\n");
	T_STR(mail_part_filename(mail_root(m)), "\xc3\xa9t\xc3\xa9.txt", "2231: charset'lang' form wins");
	mail_free(&m);

	m = parse_str("Content-Type: text/plain; name=\"=?UTF-8?B?0KHQvNC10YLQsC50eHQ=?=\"\n\n");
	T_STR(mail_part_filename(mail_root(m)), "\xd0\xa1\xd0\xbc\xd0\xb5\xd1\x82\xd0\xb0.txt",
	      "encoded-word in a quoted name decoded");
	mail_free(&m);

	m = parse_str("Content-Type: application/x; name*0=a; name*2=c; name*1=b; name*1=dup\n\n");
	T_STR(mail_part_filename(mail_root(m)), "abc", "2231: sections sorted, duplicate ignored");
	mail_free(&m);

	m = parse_str("Content-Type: application/x; name*0=a; name*2=c\n\n");
	T_STR(mail_part_filename(mail_root(m)), "a", "2231: a gap ends the value");
	mail_free(&m);

	m = parse_str("Content-Type: application/x; name=report (1).pdf\n\n");
	T_STR(mail_part_filename(mail_root(m)), "report (1).pdf", "unquoted name with parentheses");
	mail_free(&m);

	m = parse_str("Content-Type: application/x; name*0*=UTF-8''a%00.exe\n\n");
	T_STR(mail_part_filename(mail_root(m)), "a\xef\xbf\xbd.exe", "2231: %00 cannot cut a name");
	mail_free(&m);

	m = parse_str("Content-Type: text/; ; =x; charset=\"unterminated\n\nhi");
	T_STR(mail_part_type(mail_root(m)), "text/plain", "malformed Content-Type: text/plain");
	T_OK(mail_warning_count(m) > 0, "malformed Content-Type warned");
	mail_free(&m);

	m = parse_file("tests/fixtures/hostile/rfc2231-broken.eml");
	T_OK(m != NULL, "rfc2231-broken parses");
	if (m != NULL) {
		const struct mail_part *a = mail_part_child(mail_root(m), 1);
		const struct mail_part *b = mail_part_child(mail_root(m), 2);
		T_STR(a ? mail_part_filename(a) : NULL, "part0-%ZZ%4part2-missing-1",
		      "2231 broken: bad escapes kept, duplicate and huge index ignored");
		T_STR(b ? mail_part_filename(b) : NULL, "\xc3\xa9t\xc3\xa9.txt",
		      "2231 broken: unknown charset falls back safely");
	}
	mail_free(&m);
}

static void test_headers(void)
{
	struct mail_msg *m;
	char *s;
	const char *msg = "From mbox line\r\nSubject: hello\r\n world\r\nX-A:  raw\tvalue \r\n"
	                  "garbage line\r\nsubject: second\r\n\r\nbody\r\n";

	m = parse_str(msg);
	T_INT(mail_header_count(m), 3, "headers: mbox line and garbage skipped");
	T_STR(mail_header_name(m, 0), "Subject", "header name as written");
	T_STR(mail_header_value(m, 0), "hello\r\n world", "header value raw, folding kept");
	T_STR(mail_header_get(m, "SUBJECT"), "hello\r\n world", "header_get case-insensitive");
	T_INT(mail_header_count_named(m, "subject"), 2, "header_count_named");
	s = mail_header_decoded(m, "Subject");
	T_STR(s, "hello world", "header decoded: unfolded");
	free(s);
	T_OK(mail_header_decoded(m, "X-None") == NULL, "absent header decoded is NULL");
	{
		size_t len;
		const char *b = mail_part_body(mail_root(m), &len);
		T_OK(len == 6 && memcmp(b, "body\r\n", 6) == 0, "body after the blank line");
	}
	T_OK(mail_warning_count(m) >= 1, "garbage header line warned");
	mail_free(&m);

	m = parse_str("Subject:\n \n\t\n  a  b \nX: b\n\nbody");
	T_INT(mail_header_count(m), 2, "whitespace-only continuation lines do not end headers");
	s = mail_header_decoded(m, "Subject");
	T_STR(s, "a  b", "decoded value trimmed at the ends only");
	free(s);
	mail_free(&m);

	m = parse_str("Subject: x\rFrom: evil@x\nFrom: a@b\n\n");
	T_INT(mail_header_count_named(m, "From"), 1, "bare CR is not a line end");
	mail_free(&m);

	m = parse_str("Subject: no body");
	T_STR(mail_header_get(m, "Subject"), "no body", "header-only message");
	mail_free(&m);

	m = parse_str("");
	T_OK(m != NULL && mail_header_count(m) == 0, "empty message parses");
	mail_free(&m);

	{
		static const char nulmsg[] = "Subject: Before\0after\nFrom: a@b\n\nx\0y";
		char err[WARY_ERRLEN];
		size_t len;
		m = NULL;
		T_OK(mail_parse(nulmsg, sizeof(nulmsg) - 1, &m, err, sizeof(err)) == WARY_OK,
		     "NUL message parses");
		T_STR(mail_header_get(m, "Subject"), "Before\xef\xbf\xbd" "after",
		      "NUL in a header does not truncate");
		(void)mail_part_body(mail_root(m), &len);
		T_INT(len, 3, "NUL in the body kept");
		mail_free(&m);
	}
}

static void test_limits(void)
{
	struct buf b;
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];
	size_t i;
	int rc;

	/* a 10 MB header folded over many lines */
	buf_init(&b);
	buf_adds(&b, "From: a@b.example\nSubject: x");
	while (b.len < 10u * 1024 * 1024)
		buf_adds(&b, "\n aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	buf_adds(&b, "\nTo: c@d.example\n\nbody\n");
	rc = mail_parse(b.data, b.len, &m, err, sizeof(err));
	T_OK(rc == WARY_OK, "10 MB header parses");
	T_OK(m && strlen(mail_header_get(m, "Subject")) <= MAIL_MAX_HEADER_LEN,
	     "10 MB header cut at the length limit");
	T_STR(m ? mail_header_get(m, "To") : NULL, "c@d.example", "field after the huge one found");
	mail_free(&m);

	/* 100k headers */
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_addf(&b, "X-H%zu: v\n", i);
	buf_adds(&b, "Subject: late\n\nbody\n");
	rc = mail_parse(b.data, b.len, &m, err, sizeof(err));
	T_OK(rc == WARY_OK && mail_header_count(m) == MAIL_MAX_HEADERS,
	     "100k headers: count limit applies");
	T_OK(m && mail_header_get(m, "Subject") == NULL && mail_warning_count(m) > 0,
	     "fields past the limit ignored, with a warning");
	{
		size_t len;
		const char *body = m ? mail_part_body(mail_root(m), &len) : NULL;
		T_OK(body && len == 5 && memcmp(body, "body\n", 5) == 0,
		     "body still found after 100k headers");
	}
	mail_free(&m);

	/* 100k sibling parts */
	buf_reset(&b);
	buf_adds(&b, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < 100000; i++)
		buf_adds(&b, "--b\n\nx\n");
	buf_adds(&b, "--b--\n");
	rc = mail_parse(b.data, b.len, &m, err, sizeof(err));
	T_OK(rc == WARY_OK && mail_part_count_children(mail_root(m)) < MAIL_MAX_PARTS,
	     "100k parts: part limit applies");
	mail_free(&m);

	/* 100k nested multiparts */
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_addf(&b, "Content-Type: multipart/mixed; boundary=\"n%zu\"\n\n--n%zu\n", i, i);
	buf_adds(&b, "\ninnermost\n");
	rc = mail_parse(b.data, b.len, &m, err, sizeof(err));
	T_OK(rc == WARY_OK, "100k nested multiparts parse");
	{
		const struct mail_part *p = m ? mail_root(m) : NULL;
		int d = 0;
		while (p && mail_part_count_children(p) > 0) {
			p = mail_part_child(p, 0);
			d++;
		}
		T_OK(d <= MAIL_MAX_DEPTH && d >= MAIL_MAX_DEPTH - 1, "nesting stops at the depth limit");
	}
	mail_free(&m);
	buf_release(&b);

	/* over the size limit: mail_parse refuses before touching the bytes */
	{
		static const char one[1] = "x";
		rc = mail_parse(one, (size_t)MAIL_MAX_SIZE + 1, &m, err, sizeof(err));
		T_INT(rc, WARY_ELIMIT, "message over MAIL_MAX_SIZE refused");
		T_OK(m == NULL, "no message on refusal");
	}
}

static void test_mime(void)
{
	struct mail_msg *m;
	const struct mail_part *r, *c;
	struct buf t;
	char err[WARY_ERRLEN];

	m = parse_str("Content-Type: multipart/mixed; boundary=\"b\"\n\npreamble\n--b\n"
	              "Content-Type: multipart/alternative; boundary=b1\n\n--b1\n"
	              "Content-Type: text/plain; charset=iso-8859-1\n"
	              "Content-Transfer-Encoding: quoted-printable\n\ncaf=E9\n--b1--\n"
	              "--b\nContent-Type: image/png; name=x.png\nContent-Transfer-Encoding: base64\n"
	              "Content-ID: <id1>\n\naGk=\n--b \n"
	              "Content-Type: message/rfc822\n\nSubject: inner\nFrom: i@n.example\n\ninner body\n"
	              "--b--\nepilogue\n");
	r = mail_root(m);
	T_STR(mail_part_type(r), "multipart/mixed", "root type");
	T_INT(mail_part_count_children(r), 3, "three parts; --b1 is not --b");
	c = mail_part_child(mail_part_child(r, 0), 0);
	T_STR(c ? mail_part_type(c) : NULL, "text/plain", "nested text part");
	T_INT(c ? mail_part_depth(c) : -1, 2, "depth 2");
	T_OK(c && mail_part_parent(mail_part_parent(c)) == r, "parent links");
	if (c != NULL) {
		T_OK(mail_part_text(c, &t, err, sizeof(err)) == WARY_OK, "part text");
		T_STR(t.data, "caf\xc3\xa9", "QP + charset to UTF-8");
		buf_release(&t);
	}
	c = mail_part_child(r, 1);
	T_STR(mail_part_id(c), "<id1>", "Content-ID");
	T_STR(mail_part_encoding(c), "base64", "encoding");
	T_OK(mail_part_is_attachment(c), "image is an attachment");
	T_OK(!mail_part_is_attachment(mail_part_child(mail_part_child(r, 0), 0)),
	     "text/plain is not");
	mail_part_decode(c, &t, err, sizeof(err));
	T_STR(t.data, "hi", "base64 part decoded");
	buf_release(&t);
	c = mail_part_child(r, 2);
	T_OK(mail_part_message(c) != NULL, "message/rfc822 parsed on demand");
	T_OK(mail_part_message(c) == mail_part_message(c), "and only once");
	T_STR(mail_header_get(mail_part_message(c), "Subject"), "inner", "inner headers");
	T_INT(mail_part_depth(mail_root(mail_part_message(c))), 2, "nested message continues depth");
	T_OK(mail_part_message(r) == NULL, "not a message part: NULL");
	mail_free(&m);

	m = parse_str("Content-Type: multipart/mixed; boundary=x\n\n--x\n\nfirst\n--x\n\nsecond");
	T_INT(mail_part_count_children(mail_root(m)), 2, "never-closed boundary keeps both parts");
	mail_free(&m);

	m = parse_str("Content-Type: multipart/mixed\n\nJust text.\n");
	T_STR(mail_part_type(mail_root(m)), "text/plain", "multipart without boundary: text");
	mail_free(&m);

	m = parse_str("Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\nx\n----\n");
	T_STR(mail_part_type(mail_root(m)), "text/plain", "empty boundary: text");
	mail_free(&m);

	m = parse_str("Content-Type: text/plain; format=flowed; delsp=yes\n"
	              "Content-Transfer-Encoding: 7bit\n\nwrap \r\nped\r\n");
	mail_part_text(mail_root(m), &t, err, sizeof(err));
	T_STR(t.data, "wrapped\n", "flowed text part reflowed");
	buf_release(&t);
	mail_free(&m);

	m = parse_str("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: s\n\nb\n--d--\n");
	T_STR(mail_part_type(mail_part_child(mail_root(m), 0)), "message/rfc822",
	      "digest children default to message/rfc822");
	mail_free(&m);

	m = parse_str("Subject: plain\n\nbody");
	T_STR(mail_part_type(mail_root(m)), "text/plain", "no Content-Type: text/plain");
	T_OK(mail_part_param(mail_root(m), "charset") == NULL, "no params");
	mail_free(&m);
}

static void test_addr(void)
{
	struct mail_addr_list l;
	char err[WARY_ERRLEN];

	T_INT(mail_addr_parse("\"Doe, Jane\" <Jane@Example.COM>, bob@b.example (Bob)", &l, err,
	                      sizeof(err)), WARY_OK, "address list parses");
	T_INT(l.n, 2, "two addresses");
	T_STR(l.v[0].display, "Doe, Jane", "quoted display name");
	T_STR(l.v[0].domain, "example.com", "domain lower-cased");
	T_STR(l.v[0].address, "Jane@example.com", "local part case kept");
	T_STR(l.v[1].address, "bob@b.example", "bare addr-spec");
	T_OK(l.v[1].display == NULL, "comment is not a display name");
	mail_addr_list_clear(&l);

	T_INT(mail_addr_parse("a@x.example (one \\) (two, c@evil.example)), b@y.example", &l, err,
	                      sizeof(err)), WARY_OK, "a comment with a quoted ')' and a nested one");
	T_INT(l.n, 2, "the comment's address is not an address");
	T_STR(l.n == 2 ? l.v[1].address : NULL, "b@y.example", "the list goes on after the comment");
	mail_addr_list_clear(&l);

	T_INT(mail_addr_parse("team: a@x.example, B <b@y.example>;, c@z.example", &l, err,
	                      sizeof(err)), WARY_OK, "group parses");
	T_INT(l.n, 4, "group entry and three mailboxes");
	T_OK(l.v[0].domain == NULL && l.v[0].address == NULL, "group entry has no address");
	T_STR(l.v[0].display, "team", "group name");
	T_STR(l.v[2].display, "B", "member display");
	mail_addr_list_clear(&l);

	T_INT(mail_addr_parse("=?UTF-8?Q?J=C3=B6rg?= <j@x.example>", &l, err, sizeof(err)), WARY_OK,
	      "encoded display parses");
	T_STR(l.v[0].display, "J\xc3\xb6rg", "encoded-word display decoded");
	mail_addr_list_clear(&l);

	T_INT(mail_addr_parse("John Q. Public <@relay.example,@r2.example:jqp@x.example>", &l, err,
	                      sizeof(err)), WARY_OK, "obsolete route and dotted phrase");
	T_STR(l.v[0].display, "John Q. Public", "obs-phrase");
	T_STR(l.v[0].address, "jqp@x.example", "route dropped");
	mail_addr_list_clear(&l);

	T_INT(mail_addr_parse("a . b @ x . example", &l, err, sizeof(err)), WARY_OK,
	      "obs-local-part with CFWS");
	T_STR(l.v[0].address, "a.b@x.example", "obs-local-part joined");
	mail_addr_list_clear(&l);

	T_INT(mail_addr_parse(", , a@x.example,", &l, err, sizeof(err)), WARY_OK,
	      "empty list elements (obs-addr-list)");
	T_INT(l.n, 1, "one address among empties");
	mail_addr_list_clear(&l);

	T_INT(mail_addr_parse("<\"a@bank.example\"@evil.example>", &l, err, sizeof(err)), WARY_OK,
	      "quoted local part");
	T_STR(l.v[0].domain, "evil.example", "quoted local part: real domain");
	T_STR(l.v[0].local, "\"a@bank.example\"", "quoted local part keeps its quotes");
	mail_addr_list_clear(&l);

	T_INT(mail_addr_parse("undisclosed, ok@x.example, <broken", &l, err, sizeof(err)),
	      WARY_EPARSE, "malformed list is an error");
	T_OK(l.n >= 2 && l.v[1].address && strcmp(l.v[1].address, "ok@x.example") == 0,
	     "partial list still filled");
	mail_addr_list_clear(&l);

	T_INT(mail_addr_parse("((((((((((((((((((((((((((((((((( deep <a@b.example>", &l, err,
	                      sizeof(err)), WARY_OK, "unbalanced comment runs to the end");
	mail_addr_list_clear(&l);
	T_INT(mail_addr_parse("", &l, err, sizeof(err)), WARY_OK, "empty list");
	T_INT(l.n, 0, "empty list has no entries");
	mail_addr_list_clear(&l);
}

struct from_case {
	const char *file;
	bool ambiguous;
	unsigned flags_set;
	const char *address;
};

static void test_from_fixtures(void)
{
	static const struct from_case cases[] = {
		{ "from-two-headers", true, MAIL_FROM_MULTIPLE_HEADERS, "alerts@northwind-bank.example.com" },
		{ "from-space-before-colon", true,
		  MAIL_FROM_MULTIPLE_HEADERS | MAIL_FROM_SPACE_BEFORE_COLON, NULL },
		{ "from-missing", true, MAIL_FROM_NONE, NULL },
		{ "from-empty", true, MAIL_FROM_MALFORMED, NULL },
		{ "from-multiple-addresses", true, MAIL_FROM_MULTIPLE_ADDRS, NULL },
		{ "from-group-syntax", true, MAIL_FROM_MALFORMED, NULL },
		{ "from-display-address", false, MAIL_FROM_ADDR_IN_DISPLAY, "x@evil.example" },
		{ "from-encoded-address", false, MAIL_FROM_ENCODED_ADDR | MAIL_FROM_ADDR_IN_DISPLAY,
		  "x@evil.example" },
		{ "from-encoded-word-in-address", false, MAIL_FROM_ENCODED_ADDR, NULL },
		{ "from-comment-address", false, 0, "x@evil.example" },
		{ "from-punycode", false, MAIL_FROM_NON_ASCII_DOMAIN, "service@xn--pypal-4ve.example" },
		{ "from-mixed-script", false, MAIL_FROM_NON_ASCII_DOMAIN, NULL },
		{ "from-quoted-local-part", false, 0, NULL },
		{ "from-zero-width", false, MAIL_FROM_INVISIBLE, NULL },
		{ "from-bidi-name", false, MAIL_FROM_INVISIBLE, NULL },
		{ "header-nul-byte", true, MAIL_FROM_MALFORMED, NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *rel = xasprintf("tests/fixtures/hostile/%s.eml", cases[i].file);
		struct mail_msg *m = parse_file(rel);
		struct mail_from f;
		char what[160];

		snprintf(what, sizeof(what), "%s: verdict %s", cases[i].file,
		         cases[i].ambiguous ? "ambiguous" : "one sender");
		if (m == NULL) {
			T_OK(0, what);
			free(rel);
			continue;
		}
		mail_from_get(m, &f);
		T_OK(f.ambiguous == cases[i].ambiguous, what);
		snprintf(what, sizeof(what), "%s: flags 0x%x include 0x%x", cases[i].file, f.flags,
		         cases[i].flags_set);
		T_OK((f.flags & cases[i].flags_set) == cases[i].flags_set, what);
		if (cases[i].address != NULL) {
			snprintf(what, sizeof(what), "%s: address shown", cases[i].file);
			T_STR(f.address, cases[i].address, what);
		}
		snprintf(what, sizeof(what), "%s: some address is always shown", cases[i].file);
		T_OK(cases[i].flags_set == MAIL_FROM_NONE || f.address != NULL, what);
		mail_from_clear(&f);
		mail_free(&m);
		free(rel);
	}
	{
		struct mail_msg *m = parse_file("tests/fixtures/hostile/from-quoted-local-part.eml");
		struct mail_from f;
		mail_from_get(m, &f);
		T_STR(f.domain, "evil.example", "quoted local part: domain is evil.example");
		mail_from_clear(&f);
		mail_free(&m);
	}
	{
		struct mail_msg *m = parse_str("From: Alice <alice@a.example>\n\n");
		struct mail_from f;
		mail_from_get(m, &f);
		T_OK(!f.ambiguous && f.flags == 0, "plain From: one sender, no flags");
		T_STR(f.display, "Alice", "display");
		T_STR(f.domain, "a.example", "domain");
		mail_from_clear(&f);
		mail_free(&m);
		m = parse_str("Sender: s@a.example\nResent-From: r@a.example\n\n");
		mail_from_get(m, &f);
		T_OK(f.ambiguous && f.address == NULL, "Sender/Resent-From never substituted");
		mail_from_clear(&f);
		mail_free(&m);
	}
	T_STR(mail_from_flag_name(MAIL_FROM_MULTIPLE_HEADERS), "multiple-from-headers", "flag name");
	T_OK(mail_from_flag_name(1u << 20) == NULL, "unknown flag has no name");
}

static void test_dates(void)
{
	time_t t;
	int tz;

	T_INT(mail_date_parse("Mon, 10 Jun 2024 10:00:00 +0000", &t, &tz), WARY_OK, "RFC 5322 date");
	T_INT(t, 1718013600, "date value");
	T_INT(mail_date_parse("10 Jun 2024 12:00 +0200", &t, &tz), WARY_OK, "no weekday/seconds");
	T_INT(t, 1718013600, "zone applied");
	T_INT(tz, 120, "zone minutes");
	T_INT(mail_date_parse("Mon, 10 Jun 24 06:00:00 EDT", &t, &tz), WARY_OK, "2-digit year, EDT");
	T_INT(t, 1718013600, "obsolete zone");
	T_INT(mail_date_parse("Thu, 1 Jan 098 00:00:00 GMT", &t, &tz), WARY_OK, "3-digit year");
	T_INT(t, 883612800, "3-digit year is 1900+");
	T_INT(mail_date_parse("Mon Jun 10 10:00:00 2024", &t, &tz), WARY_OK, "asctime form");
	T_INT(t, 1718013600, "asctime value");
	T_INT(mail_date_parse("Mon, 10 Jun 2024 10:00:00 +0000 (UTC)", &t, &tz), WARY_OK,
	      "trailing comment");
	T_INT(mail_date_parse("(sent (from \\) here)) Mon, 10 Jun 2024 10:00:00 +0000", &t, &tz),
	      WARY_OK, "a nested comment with a quoted ')' before the date");
	T_INT(t, 1718013600, "the date after that comment");
	T_INT(mail_date_parse("29 Feb 2024 00:00:00 +0000", &t, NULL), WARY_OK, "leap day");
	T_INT(mail_date_parse("29 Feb 2023 00:00:00 +0000", &t, NULL), WARY_EPARSE, "no leap day");
	T_INT(mail_date_parse("Thu, 31 Feb 2024 25:61:00 +9900", &t, NULL), WARY_EPARSE,
	      "impossible date rejected");
	T_INT(mail_date_parse("10 Jun 2024 10:00:00 +9900", &t, NULL), WARY_EPARSE, "zone +9900");
	T_INT(mail_date_parse("Mon, 01 Jan 99999999999999999999 99:99:99 -99999999999", &t, NULL),
	      WARY_EPARSE, "overflowing numbers rejected");
	T_INT(mail_date_parse("", &t, NULL), WARY_EPARSE, "empty date");
	{
		static const struct {
			const char *date;
			bool known;
		} zones[] = {
			{ "Mon, 10 Jun 2024 10:00:00 +0000", true },
			{ "Mon, 10 Jun 2024 10:00:00 -0400 (EDT)", true },
			{ "Mon, 10 Jun 2024 10:00:00 EDT", true },
			{ "Mon, 10 Jun 2024 10:00:00 GMT+0100", true },
			{ "Mon, 10 Jun 2024 10:00:00 -0000", false },
			{ "Mon, 10 Jun 2024 10:00:00 XYZ", false },
			{ "Mon, 10 Jun 2024 10:00:00 A", false },
			{ "Mon Jun 10 10:00:00 2024", false },
		};

		for (size_t i = 0; i < ARRAY_SIZE(zones); i++) {
			bool known = !zones[i].known;

			T_OK(mail_date_parse_zone(zones[i].date, &t, &tz, &known) == WARY_OK &&
			             known == zones[i].known,
			     zones[i].date);
		}
	}
	T_INT(mail_date_parse("yesterday", &t, NULL), WARY_EPARSE, "words");
	T_INT(mail_date_parse(NULL, &t, NULL), WARY_EPARSE, "NULL date");
}

static void test_subject_base(void)
{
	static const char *const cases[][2] = {
		{ "Re: hello", "hello" }, { "RE: Fwd: Re[2]: hello", "hello" },
		{ "[list] Re: [other] hello  world", "hello world" }, { "AW: SV: x (fwd)", "x" },
		{ "Reply", "Reply" }, { "", "" }, { "Re:", "" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *b = mail_subject_base(cases[i][0]);
		char what[80];
		snprintf(what, sizeof(what), "subject base of \"%s\"", cases[i][0]);
		T_STR(b, cases[i][1], what);
		free(b);
	}
	{
		char *b = mail_subject_base(NULL);
		T_STR(b, "", "subject base of NULL");
		free(b);
	}
}

static void test_thread(void)
{
	struct mail_thread_in in[8];
	struct mail_thread_out out[8];
	char err[WARY_ERRLEN];
	size_t i;

	memset(in, 0, sizeof(in));
	in[0] = (struct mail_thread_in){ "<a@x>", NULL, NULL, "topic", 100 };
	in[1] = (struct mail_thread_in){ "<b@x>", "<a@x>", "<a@x>", "Re: topic", 200 };
	in[2] = (struct mail_thread_in){ "<c@x>", NULL, "<a@x> <b@x>", "Re: topic", 300 };
	in[3] = (struct mail_thread_in){ "<d@x>", "<a@x>", NULL, "Re: topic", 150 };
	in[4] = (struct mail_thread_in){ "<e@x>", NULL, "<missing@x>", "other", 50 };
	in[5] = (struct mail_thread_in){ "<f@x>", "<missing@x>", NULL, "Re: other", 60 };
	in[6] = (struct mail_thread_in){ NULL, NULL, NULL, "Re: topic", 400 };
	in[7] = (struct mail_thread_in){ "<a@x>", NULL, NULL, "dup id", 10 };
	T_INT(mail_thread(in, 8, false, out, err, sizeof(err)), WARY_OK, "thread ok");
	{
		/* 7(10); 4(50) and 5(60) hang from a missing message: the dummy goes,
		 * and 5 "Re: other" joins 4 "other" by subject; 0(100) > 3(150),
		 * 1(200) > 2(300); 6 has no ids and joins 0 by subject */
		static const size_t want_idx[] = { 7, 4, 5, 0, 3, 1, 2, 6 };
		static const int want_depth[] = { 0, 0, 1, 0, 1, 1, 2, 1 };
		bool same = true;
		for (i = 0; i < 8; i++) {
			if (out[i].index != want_idx[i] || out[i].depth != want_depth[i])
				same = false;
			printf("#   %zu: %zu depth %d\n", i, out[i].index, out[i].depth);
		}
		T_OK(same, "thread order and depths");
	}
	T_INT(mail_thread(in, 8, true, out, err, sizeof(err)), WARY_OK, "reverse ok");
	T_INT(out[0].index, 0, "reverse: newest root first");

	/* a list tag is not a reply: "[l] topic" stays its own thread */
	memset(in, 0, sizeof(in));
	in[0] = (struct mail_thread_in){ "<p@x>", NULL, NULL, "topic", 1 };
	in[1] = (struct mail_thread_in){ "<q@x>", NULL, NULL, "[l] topic", 2 };
	in[2] = (struct mail_thread_in){ "<r@x>", NULL, NULL, "[l] Re: topic", 3 };
	T_INT(mail_thread(in, 3, false, out, err, sizeof(err)), WARY_OK, "list tags: ok");
	T_OK(out[0].index == 0 && out[1].index == 2 && out[1].depth == 1 && out[2].index == 1 &&
	     out[2].depth == 0, "list tag alone: own thread; tagged reply joins by subject");

	/* loops and self references */
	memset(in, 0, sizeof(in));
	in[0] = (struct mail_thread_in){ "<a@x>", "<b@x>", "<b@x>", "s", 1 };
	in[1] = (struct mail_thread_in){ "<b@x>", "<a@x>", "<a@x>", "s", 2 };
	in[2] = (struct mail_thread_in){ "<c@x>", "<c@x>", "<c@x> <c@x> <a@x> <c@x>", "s", 3 };
	in[3] = (struct mail_thread_in){ "garbage", "<<<>", "< > <a b> <", "s", 4 };
	T_INT(mail_thread(in, 4, false, out, err, sizeof(err)), WARY_OK, "loops: ok");
	{
		bool seen[4] = { false, false, false, false }, all = true;
		for (i = 0; i < 4; i++)
			if (out[i].index < 4)
				seen[out[i].index] = true;
		for (i = 0; i < 4; i++)
			all = all && seen[i];
		T_OK(all, "loops: every message emitted once");
		T_INT(out[0].depth, 0, "loops: output starts at a root");
	}
	{
		struct mail_msg *m = parse_file("tests/fixtures/hostile/references-loop.eml");
		struct mail_thread_in one = { NULL, NULL, NULL, NULL, 0 };
		struct mail_thread_out o;
		one.message_id = mail_header_get(m, "Message-ID");
		one.in_reply_to = mail_header_get(m, "In-Reply-To");
		one.references = mail_header_get(m, "References");
		T_INT(mail_thread(&one, 1, false, &o, err, sizeof(err)), WARY_OK,
		      "references-loop fixture threads");
		T_OK(o.index == 0 && o.depth == 0, "self-reference: a root");
		mail_free(&m);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_thread_big(void)
{
	size_t n = 100000, i;
	struct mail_thread_in *in = xcalloc(n, sizeof(*in));
	struct mail_thread_out *out = xcalloc(n, sizeof(*out));
	char **ids = xcalloc(n, sizeof(*ids));
	char **refs = xcalloc(n, sizeof(*refs));
	char err[WARY_ERRLEN];
	double t0, t1;
	int rc;
	bool ok = true;

	for (i = 0; i < n; i++) {
		ids[i] = xasprintf("<m%zu@bench.example>", i);
		/* threads of 10: each message answers the previous one of its thread */
		refs[i] = i % 10 ? xasprintf("<m%zu@bench.example> <m%zu@bench.example>", i - i % 10,
		                             i - 1)
		                 : NULL;
		in[i].message_id = ids[i];
		in[i].references = refs[i];
		in[i].subject = i % 10 ? "Re: subject" : "subject";
		in[i].date = (time_t)(1700000000 + i);
	}
	t0 = now_s();
	rc = mail_thread(in, n, false, out, err, sizeof(err));
	t1 = now_s();
	printf("# threading 100k messages: %.3f s\n", t1 - t0);
	T_INT(rc, WARY_OK, "100k thread ok");
	for (i = 0; i < n; i++)
		if (out[i].index != i || out[i].depth != (int)(i % 10))
			ok = false;
	T_OK(ok, "100k: chains of 10 in order with depths");
	T_OK(t1 - t0 < 0.3, "100k messages threaded in under 0.3 s");

	/* one chain of 100k, newest first in the input */
	for (i = 0; i < n; i++) {
		free(refs[i]);
		refs[i] = i ? xasprintf("<m%zu@bench.example>", i - 1) : NULL;
		in[n - 1 - i].message_id = ids[i];
		in[n - 1 - i].in_reply_to = refs[i];
		in[n - 1 - i].references = NULL;
		in[n - 1 - i].date = (time_t)i;
	}
	t0 = now_s();
	rc = mail_thread(in, n, false, out, err, sizeof(err));
	t1 = now_s();
	printf("# one 100k chain: %.3f s\n", t1 - t0);
	T_OK(rc == WARY_OK && out[n - 1].depth == (int)(n - 1), "100k chain: depth n-1, no recursion");
	T_OK(t1 - t0 < 0.3, "100k chain threaded in under 0.3 s");
	for (i = 0; i < n; i++) {
		free(ids[i]);
		free(refs[i]);
	}
	free(ids);
	free(refs);
	free(in);
	free(out);
}

/* References name far more ids than there are messages: one message with
 * 300 distinct ones, and 40 each with 256 of their own (the id table starts
 * at a few slots per message and has to grow, not fill up and spin). */
static void test_thread_many_refs(void)
{
	struct mail_thread_in in[41];
	struct mail_thread_out out[41];
	struct buf b = BUF_INIT;
	char *refs[41], *ids[41];
	char err[WARY_ERRLEN];
	size_t i, k;
	bool ok = true;

	memset(in, 0, sizeof(in));
	for (k = 0; k < 300; k++)
		buf_addf(&b, "<r%zu.solo@x> ", k);
	buf_addf(&b, "<parent@x>");
	in[0] = (struct mail_thread_in){ "<solo@x>", NULL, b.data, "many", 5 };
	T_INT(mail_thread(in, 1, false, out, err, sizeof(err)), WARY_OK, "300 references, one message");
	T_OK(out[0].index == 0 && out[0].depth == 0, "300 references: a root (dummies are not shown)");
	buf_release(&b);

	for (i = 0; i < 41; i++) {
		buf_reset(&b);
		/* message i > 0 answers message 0 through 255 ids of its own */
		if (i > 0)
			buf_addf(&b, "<m0@x> ");
		for (k = 0; k < 255; k++)
			buf_addf(&b, "<r%zu.%zu@x> ", k, i);
		refs[i] = xstrdup(b.data);
		ids[i] = xasprintf("<m%zu@x>", i);
		in[i] = (struct mail_thread_in){ ids[i], NULL, refs[i], "s", (time_t)(100 + i) };
	}
	buf_release(&b);
	T_INT(mail_thread(in, 41, false, out, err, sizeof(err)), WARY_OK, "41 x 256 references");
	for (i = 0; i < 41; i++)
		if (out[i].index != i || out[i].depth != (i > 0))
			ok = false;
	T_OK(ok, "41 x 256 references: 40 replies under message 0 through missing ids");
	for (i = 0; i < 41; i++) {
		free(refs[i]);
		free(ids[i]);
	}
}

/* Walk a whole message the way the renderer does; returns parts seen. */
static size_t walk(const struct mail_msg *m, int guard)
{
	const struct mail_part *stack[64];
	size_t sp = 0, seen = 0;

	stack[sp++] = mail_root(m);
	while (sp > 0) {
		const struct mail_part *p = stack[--sp];
		struct buf t;
		char err[WARY_ERRLEN];
		size_t i, nk = mail_part_count_children(p);

		seen++;
		if (nk == 0) {
			mail_part_text(p, &t, err, sizeof(err));
			buf_release(&t);
		}
		for (i = nk; i-- > 0 && sp < ARRAY_SIZE(stack);)
			stack[sp++] = mail_part_child(p, i);
		if (mail_part_message(p) != NULL && guard < 40)
			seen += walk(mail_part_message(p), guard + 1);
	}
	return seen;
}

static int parse_dir(const char *rel, size_t *count)
{
	char *dir = xasprintf("%s/%s", TOP_SRCDIR, rel);
	DIR *d = opendir(dir);
	struct dirent *e;
	int bad = 0;

	*count = 0;
	if (d == NULL) {
		free(dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char *path;
		struct buf b;
		struct mail_msg *m = NULL;
		char err[WARY_ERRLEN];
		struct mail_from f;
		char *s;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".py") || strcmp(e->d_name, "README") == 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		buf_init(&b);
		if (fs_read_file(path, &b, 0, err, sizeof(err)) != WARY_OK ||
		    mail_parse(b.data, b.len, &m, err, sizeof(err)) != WARY_OK) {
			printf("# %s: %s\n", e->d_name, err);
			bad++;
		} else {
			(*count)++;
			mail_from_get(m, &f);
			mail_from_clear(&f);
			s = mail_header_decoded(m, "Subject");
			free(s);
			if (walk(m, 0) == 0)
				bad++;
		}
		mail_free(&m);
		buf_release(&b);
		free(path);
	}
	closedir(d);
	free(dir);
	return bad;
}

static void test_corpora(void)
{
	size_t n;
	int bad;

	bad = parse_dir("tests/fixtures/hostile", &n);
	printf("# hostile fixtures parsed: %zu\n", n);
	T_OK(bad == 0 && n >= 80, "every hostile fixture parses and walks");
	bad = parse_dir("tests/demo/Maildir/cur", &n);
	{
		size_t n2;
		bad += parse_dir("tests/demo/Maildir/new", &n2);
		n += n2;
	}
	printf("# demo messages parsed: %zu\n", n);
	T_OK(bad == 0 && n >= 50, "every demo message parses and walks");
}

static void check_subject(const char *file, const char *want)
{
	char *rel = xasprintf("tests/demo/Maildir/cur/%s", file);
	struct mail_msg *m = parse_file(rel);
	char *s = m ? mail_header_decoded(m, "Subject") : NULL;
	char what[120];

	snprintf(what, sizeof(what), "demo subject of %s", file);
	T_STR(s, want, what);
	free(s);
	mail_free(&m);
	free(rel);
}

static void test_demo(void)
{
	struct mail_msg *m;
	struct mail_from f;

	check_subject("1708414262.M924P0.demo:2,S",
	              "\xd0\xa1\xd0\xbc\xd0\xb5\xd1\x82\xd0\xb0 \xd0\xbd\xd0\xb0 \xd1\x80\xd0\xb5\xd0\xbc"
	              "\xd0\xbe\xd0\xbd\xd1\x82 \xd0\xb4\xd0\xb0\xd1\x87\xd0\xb8");
	check_subject("1708577110.M264P0.demo:2,S",
	              "\xe6\x9d\xa5\xe6\x9c\x88\xe3\x81\xae\xe6\x9d\xb1\xe4\xba\xac\xe5\x87\xba\xe5\xbc"
	              "\xb5\xe3\x81\xab\xe3\x81\xa4\xe3\x81\x84\xe3\x81\xa6\xef\xbc\x88\xe6\x97\xa5\xe7"
	              "\xa8\x8b\xe7\xa2\xba\xe5\xae\x9a\xef\xbc\x89");
	check_subject("1708822800.M692P0.demo:2,S",
	              "\xe3\x80\x90\xe3\x81\x95\xe3\x81\x8f\xe3\x82\x89\xe6\x96\x87\xe5\x85\xb7\xe3\x80"
	              "\x91\xe6\x98\xa5\xe3\x81\xae\xe6\x96\xb0\xe5\x95\x86\xe5\x93\x81\xe3\x81\xae\xe3"
	              "\x81\x8a\xe7\x9f\xa5\xe3\x82\x89\xe3\x81\x9b");
	check_subject("1709122364.M159P0.demo:2,S", "\xe5\x91\xa8\xe6\x9c\xab\xe8\x81\x9a\xe9\xa4\x90");
	check_subject("1710119151.M943P0.demo:2,S",
	              "\xe5\x8f\xb0\xe5\x8c\x97\xe7\x9a\x84\xe7\x85\xa7\xe7\x89\x87");
	check_subject("1707941820.M063P0.demo:2,S",
	              "Vacances \xc3\xa0 Annecy \xe2\x80\x94 photos \xc3\xa0 venir");

	m = parse_file("tests/demo/Maildir/cur/1711381219.M809P0.demo:2,S");
	{
		const struct mail_part *r = m ? mail_root(m) : NULL;
		const char *name = NULL;
		size_t i;
		for (i = 0; r && i < mail_part_count_children(r); i++)
			if (mail_part_filename(mail_part_child(r, i)))
				name = mail_part_filename(mail_part_child(r, i));
		T_STR(name, "\xc3\x9c" "bersicht Gartenparzellen 2024 \xe2\x80\x93 Entwurf f\xc3\xbcr die "
		            "Mitgliederversammlung.txt",
		      "RFC 2231 name split inside a UTF-8 sequence decodes");
	}
	mail_free(&m);

	m = parse_file("tests/demo/Maildir/cur/1708414262.M924P0.demo:2,S");
	{
		const struct mail_part *r = m ? mail_root(m) : NULL;
		const struct mail_part *t = r && mail_part_count_children(r) ? mail_part_child(r, 0) : r;
		struct buf b;
		char err[WARY_ERRLEN];
		T_OK(t && mail_part_text(t, &b, err, sizeof(err)) == WARY_OK && b.len > 0 &&
		     strstr(b.data, "\xd0") != NULL, "KOI8-R base64 body decodes to Cyrillic UTF-8");
		if (t)
			buf_release(&b);
	}
	mail_free(&m);

	m = parse_file("tests/demo/Maildir/new/1714372818.M411P0.demo");
	T_OK(m != NULL, "demo two-From message parses");
	if (m != NULL) {
		mail_from_get(m, &f);
		T_OK(f.ambiguous && (f.flags & MAIL_FROM_MULTIPLE_HEADERS), "demo two-From: ambiguous");
		mail_from_clear(&f);
	}
	mail_free(&m);
}

static void test_hostile_mime(void)
{
	struct mail_msg *m;

	m = parse_file("tests/fixtures/hostile/mime-deep-nesting.eml");
	{
		const struct mail_part *p = m ? mail_root(m) : NULL;
		int d = 0;
		while (p && mail_part_count_children(p) > 0) {
			p = mail_part_child(p, 0);
			d++;
		}
		T_OK(m && d <= MAIL_MAX_DEPTH && mail_warning_count(m) > 0,
		     "mime-deep-nesting: cut at the depth limit, warned");
	}
	mail_free(&m);
	m = parse_file("tests/fixtures/hostile/rfc822-deep-nesting.eml");
	{
		const struct mail_msg *cur = m;
		int levels = 0;
		while (cur != NULL && levels < 2000) {
			const struct mail_part *p = mail_root(cur);
			const struct mail_msg *next = NULL;
			while (p != NULL && next == NULL) {
				next = mail_part_message(p);
				p = mail_part_count_children(p) ? mail_part_child(p, 0) : NULL;
			}
			cur = next;
			levels++;
		}
		T_OK(m && levels <= MAIL_MAX_DEPTH + 1, "rfc822-deep-nesting: depth limit applies");
	}
	mail_free(&m);
	m = parse_file("tests/fixtures/hostile/mime-many-parts.eml");
	T_OK(m && mail_part_count_children(mail_root(m)) < MAIL_MAX_PARTS,
	     "mime-many-parts: part limit");
	mail_free(&m);
	m = parse_file("tests/fixtures/hostile/boundary-prefix.eml");
	T_OK(m != NULL, "boundary-prefix parses");
	if (m) {
		const struct mail_part *r = mail_root(m);
		printf("# boundary-prefix: %zu children\n", mail_part_count_children(r));
		T_OK(mail_part_count_children(r) >= 1 &&
		     str_starts_with(mail_part_type(mail_part_child(r, 0)), "multipart/"),
		     "boundary-prefix: inner multipart kept whole");
	}
	mail_free(&m);
	m = parse_file("tests/fixtures/hostile/charset-utf7.eml");
	{
		char *s = m ? mail_header_decoded(m, "Subject") : NULL;
		struct buf b;
		char err[WARY_ERRLEN];
		T_OK(s && strchr(s, 0x1b) == NULL, "charset-utf7: no ESC in the subject");
		free(s);
		T_OK(m && mail_part_text(mail_root(m), &b, err, sizeof(err)) == WARY_OK &&
		     memchr(b.data, 0x1b, b.len) == NULL && memchr(b.data, 0x07, b.len) == NULL,
		     "charset-utf7: no ESC or BEL in the body");
		if (m)
			buf_release(&b);
	}
	mail_free(&m);
	m = parse_file("tests/fixtures/hostile/header-nul-byte.eml");
	{
		char *s = m ? mail_header_decoded(m, "Subject") : NULL;
		T_OK(s && strstr(s, "after NUL") != NULL, "header-nul-byte: text after NUL kept");
		free(s);
	}
	mail_free(&m);
}

int main(void)
{
	test_qp();
	test_base64();
	test_flowed();
	test_charset();
	test_rfc2047();
	test_params();
	test_headers();
	test_limits();
	test_mime();
	test_addr();
	test_from_fixtures();
	test_dates();
	test_subject_base();
	test_thread();
	test_thread_big();
	test_thread_many_refs();
	test_corpora();
	test_demo();
	test_hostile_mime();
	return t_done();
}
