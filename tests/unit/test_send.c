/*
 * send: MIME built from drafts parses back through mail/ to the same
 * structure (hostile names, long lines, header injection), replies and
 * forwards, the editor file, completion, the outbound checks (true
 * positives and near misses, the demo mailbox and the spam corpus as
 * negatives), hashcash (mint, verify, replay), EHLO capabilities, and
 * the outbox through a sendmail_command (no server needed).
 */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/mail.h"
#include "net/net.h"
#include "send/send.h"
#include "tests/unit/t.h"
#include "tests/unit/t_msg.h"

static struct mail_msg *parse(const struct buf *b)
{
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];

	if (mail_parse(b->data, b->len, &m, err, sizeof(err)) != WARY_OK)
		printf("# parse: %s\n", err);
	return m;
}

static size_t longest_line(const char *s, size_t len)
{
	size_t best = 0, cur = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n') {
			if (cur > best)
				best = cur;
			cur = 0;
		} else if (s[i] != '\r') {
			cur++;
		}
	}
	return cur > best ? cur : best;
}

static bool all_crlf(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) ||
		    (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n')))
			return false;
	return true;
}

static bool is_7bit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == 0)
			return false;
	return true;
}

static char *part_text(const struct mail_part *p)
{
	struct buf b = BUF_INIT;
	char err[WARY_ERRLEN];

	buf_init(&b);
	mail_part_text(p, &b, err, sizeof(err));
	return buf_detach(&b, NULL);
}

static void test_plain(void)
{
	struct send_draft d;
	struct send_build_opts o = { 1700000000, NULL, "example.test" };
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN], *s, *t;
	struct mail_msg *m;
	time_t when;
	int tz;

	buf_init(&out);
	send_draft_init(&d);
	d.from = xstrdup("Ada Lovelace <ada@example.test>");
	d.to = xstrdup("bob@example.test, \"Smith, Carol\" <carol@example.test>");
	d.bcc = xstrdup("hidden@example.test");
	d.subject = xstrdup("Plain ASCII subject");
	d.body = xstrdup("Hello.\n.\nFrom here on\nbye\n");
	T_INT(send_build(&d, &o, &out, err, sizeof(err)), WARY_OK, "plain: builds");
	T_OK(all_crlf(out.data, out.len), "plain: CRLF line ends only");
	T_OK(is_7bit(out.data, out.len), "plain: 7-bit");
	T_OK(strstr(out.data, "Content-Transfer-Encoding: 7bit\r\n") != NULL, "plain: ASCII text stays 7bit");
	T_OK(strstr(out.data, "\r\nMIME-Version: 1.0\r\n") != NULL, "plain: MIME-Version");
	T_OK(strstr(out.data, "To: bob@example.test, \"Smith, Carol\" <carol@example.test>\r\n") != NULL,
	     "plain: To as written, the quoted comma kept quoted");
	m = parse(&out);
	T_OK(m != NULL, "plain: parses back");
	if (m) {
		s = mail_header_decoded(m, "Subject");
		T_STR(s, "Plain ASCII subject", "plain: subject round trip");
		free(s);
		T_INT(mail_header_count_named(m, "Message-ID"), 1, "plain: one Message-ID");
		T_OK(d.message_id && str_starts_with(d.message_id, "<") &&
		     strstr(d.message_id, "@example.test>") != NULL, "plain: Message-ID uses the host");
		T_INT(mail_date_parse(mail_header_get(m, "Date"), &when, &tz), WARY_OK, "plain: Date parses");
		T_INT(when, 1700000000, "plain: Date is the build time");
		t = part_text(mail_root(m));
		T_STR(t, "Hello.\n.\nFrom here on\nbye\n", "plain: body round trip (dot line, From line)");
		free(t);
		T_INT(mail_header_count_named(m, "Bcc"), 1, "plain: Bcc kept for the outbox copy");
		mail_free(&m);
	}
	{
		char *from = NULL, **r = NULL;
		size_t n = 0;
		struct buf wire = BUF_INIT;

		buf_init(&wire);
		T_INT(send_envelope(out.data, out.len, &from, &r, &n, &wire, err, sizeof(err)), WARY_OK,
		      "envelope: parses");
		T_STR(from, "ada@example.test", "envelope: sender");
		T_INT(n, 3, "envelope: To, Cc and Bcc recipients");
		T_OK(n == 3 && strcmp(r[2], "hidden@example.test") == 0, "envelope: Bcc recipient");
		T_OK(strstr(wire.data, "hidden@") == NULL && str_memcasemem(wire.data, wire.len, "Bcc:") == NULL,
		     "envelope: Bcc cut from what is submitted");
		T_OK(strstr(wire.data, "\r\n\r\nHello.") != NULL, "envelope: body untouched");
		free(from);
		send_strv_free(r, n);
		buf_release(&wire);
	}
	send_draft_clear(&d);
	buf_release(&out);
}

static void test_utf8_headers(void)
{
	struct send_draft d;
	struct send_build_opts o = { 1700000000, NULL, NULL };
	struct buf out = BUF_INIT, subj = BUF_INIT;
	char err[WARY_ERRLEN], *s;
	struct mail_msg *m;
	struct mail_addr_list l = { NULL, 0 };

	buf_init(&out);
	buf_init(&subj);
	for (int i = 0; i < 30; i++)
		buf_adds(&subj, i % 3 ? "Grüße aus Köln " : "plain words here ");
	buf_adds(&subj, "日本語のテキスト =?UTF-8?Q?not_an_encoded_word?=");
	send_draft_init(&d);
	d.from = xstrdup("Ünïcødé Nämé <ada@example.test>");
	d.to = xstrdup("\"Quote \\\" Back\\\\slash\" <b@example.test>, Ålice <a@example.test>");
	d.subject = buf_detach(&subj, NULL);
	d.body = xstrdup("Ça va? Ünïcode body.\nSecond line with trailing space \n");
	T_INT(send_build(&d, &o, &out, err, sizeof(err)), WARY_OK, "utf8: builds");
	T_OK(is_7bit(out.data, out.len), "utf8: the whole message is 7-bit");
	T_OK(longest_line(out.data, out.len) <= 78, "utf8: no line over 78 (folded)");
	T_OK(strstr(out.data, "quoted-printable") != NULL, "utf8: mostly-ASCII text is quoted-printable");
	T_OK(strstr(out.data, "Subject: plain words here Gr") == NULL &&
	     strstr(out.data, "Subject: plain words here =?UTF-8?Q?Gr") != NULL,
	     "utf8: encoded words only where needed");
	m = parse(&out);
	T_OK(m != NULL, "utf8: parses back");
	if (m) {
		struct mail_from f;

		s = mail_header_decoded(m, "Subject");
		T_STR(s, d.subject[strlen(d.subject) - 1] == ' ' ? NULL : d.subject,
		      "utf8: subject decodes to the same text (incl. a literal =?...?=)");
		free(s);
		memset(&f, 0, sizeof(f));
		mail_from_get(m, &f);
		T_STR(f.display, "Ünïcødé Nämé", "utf8: From display name round trip");
		T_STR(f.address, "ada@example.test", "utf8: From address");
		T_OK(!f.ambiguous && f.flags == 0, "utf8: From is well-formed, no flags");
		mail_from_clear(&f);
		mail_addr_parse(mail_header_get(m, "To"), &l, err, sizeof(err));
		T_INT(l.n, 2, "utf8: two To addresses");
		if (l.n == 2) {
			T_STR(l.v[0].display, "Quote \" Back\\slash", "utf8: quoted specials round trip");
			T_STR(l.v[1].display, "Ålice", "utf8: encoded display name round trip");
		}
		mail_addr_list_clear(&l);
		s = part_text(mail_root(m));
		T_STR(s, d.body, "utf8: body round trip, trailing space kept");
		free(s);
		mail_free(&m);
	}
	send_draft_clear(&d);
	buf_reset(&out);

	/* header injection through every field a user or a message fills */
	send_draft_init(&d);
	d.from = xstrdup("ada@example.test");
	d.to = xstrdup("b@example.test");
	d.subject = xstrdup("hi\r\nBcc: victim@example.test\nX-Evil: 1");
	d.in_reply_to = xstrdup("<a@b>\r\nX-Evil: 2");
	d.body = xstrdup("x\n");
	T_INT(send_build(&d, &o, &out, err, sizeof(err)), WARY_OK, "injection: builds");
	m = parse(&out);
	T_OK(m && mail_header_count_named(m, "Bcc") == 0 && mail_header_count_named(m, "X-Evil") == 0,
	     "injection: CR/LF in subject and ids start no new field");
	mail_free(&m);
	send_draft_clear(&d);
	send_draft_init(&d);
	d.from = xstrdup("ada@example.test");
	d.to = xstrdup("Bob\r\nBcc: x@y <b@example.test>");
	d.body = xstrdup("x\n");
	buf_reset(&out);
	send_build(&d, &o, &out, err, sizeof(err));
	m = parse(&out);
	T_OK(m == NULL || mail_header_count_named(m, "Bcc") == 0, "injection: CR/LF in a display name");
	mail_free(&m);
	send_draft_clear(&d);
	send_draft_init(&d);
	d.from = xstrdup("ada@example.test");
	d.to = xstrdup("not an address, <also@bad");
	T_INT(send_build(&d, &o, &out, err, sizeof(err)), WARY_EPARSE, "address: a bad address is refused");
	T_OK(strstr(err, "not an address") != NULL, "address: the error names it");
	send_draft_clear(&d);
	buf_release(&out);

	/* an IDN domain as its A-label; an empty group; no recipient in it */
	buf_init(&out);
	T_INT(send_encode_addresses(&out, "Jörg <jörg@bücher.example>, undisclosed-recipients:;", 4, err,
	                            sizeof(err)), WARY_OK, "idn, group: encoded");
	T_STR(out.data, "=?UTF-8?Q?J=C3=B6rg?= <jörg@xn--bcher-kva.example>,\r\n undisclosed-recipients:;",
	      "idn, group: the A-label, the local part kept (SMTPUTF8), the group as written, folded");
	{
		char **v = NULL;
		size_t n = 0;

		T_INT(send_addresses("undisclosed-recipients:;, a@bücher.example", &v, &n, err, sizeof(err)),
		      WARY_OK, "group: parses");
		T_OK(n == 1 && strcmp(v[0], "a@xn--bcher-kva.example") == 0, "group: no recipient; idn: the A-label");
		send_strv_free(v, n);
		T_INT(send_addresses("a@b\xc3.example", &v, &n, err, sizeof(err)), WARY_EPARSE,
		      "idn: a domain that is not one is refused");
	}
	buf_release(&out);
}

static void test_attachments(void)
{
	static const char *const names[] = {
		"report.pdf",
		"Ünïcode näme — 日本.txt",
		"quote\"and\\back;semi=eq.bin",
		"../../etc/passwd",
		"bidi\xe2\x80\xaegnp.exe",
	};
	struct send_draft d;
	struct send_build_opts o = { 1700000000, NULL, NULL };
	struct buf out = BUF_INIT, longname = BUF_INIT, longbody = BUF_INIT;
	char err[WARY_ERRLEN], bin[4096];
	struct mail_msg *m;
	size_t i;

	buf_init(&out);
	buf_init(&longname);
	buf_init(&longbody);
	for (i = 0; i < 40; i++)
		buf_adds(&longname, "très-long-");
	buf_adds(&longname, ".txt");
	for (i = 0; i < 3000; i++)
		buf_addch(&longbody, (char)('a' + i % 26));
	buf_adds(&longbody, "\n");
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i * 7 + 3);
	send_draft_init(&d);
	d.from = xstrdup("ada@example.test");
	d.to = xstrdup("bob@example.test");
	d.subject = xstrdup("files");
	d.body = buf_detach(&longbody, NULL);
	send_draft_attach_data(&d, "%PDF", NULL, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", 24);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		send_draft_attach_data(&d, names[i], "application/octet-stream", bin, sizeof(bin));
	send_draft_attach_data(&d, longname.data, "text/plain", "short\n", 6);
	free(d.att[0].name);
	d.att[0].name = xstrdup(names[0]);
	T_STR(d.att[0].type, "application/pdf", "attach: libmagic types the bytes");
	T_INT(send_build(&d, &o, &out, err, sizeof(err)), WARY_OK, "attach: builds");
	T_OK(is_7bit(out.data, out.len) && all_crlf(out.data, out.len), "attach: 7-bit, CRLF");
	T_OK(longest_line(out.data, out.len) <= 78, "attach: no line over 78 (long body as QP)");
	T_OK(strstr(out.data, "filename*0*=utf-8''") != NULL, "attach: RFC 2231 file names");
	m = parse(&out);
	T_OK(m != NULL, "attach: parses back");
	if (m) {
		const struct mail_part *root = mail_root(m);
		char *t;

		T_STR(mail_part_type(root), "multipart/mixed", "attach: multipart/mixed");
		T_INT(mail_part_count_children(root), 1 + ARRAY_SIZE(names) + 2, "attach: part count");
		T_INT(mail_warning_count(m), 0, "attach: no parse warnings");
		t = part_text(mail_part_child(root, 0));
		T_STR(t, d.body, "attach: 3000-character line round trip");
		free(t);
		T_STR(mail_part_type(mail_part_child(root, 1)), "application/pdf", "attach: type kept");
		for (i = 0; i < ARRAY_SIZE(names); i++) {
			const struct mail_part *p = mail_part_child(root, 2 + i);
			struct buf dec = BUF_INIT;
			char what[80];

			buf_init(&dec);
			snprintf(what, sizeof(what), "attach: name %zu round trip", i);
			T_STR(mail_part_filename(p), names[i], what);
			mail_part_decode(p, &dec, err, sizeof(err));
			snprintf(what, sizeof(what), "attach: bytes %zu round trip", i);
			T_OK(dec.len == sizeof(bin) && memcmp(dec.data, bin, sizeof(bin)) == 0, what);
			buf_release(&dec);
		}
		T_STR(mail_part_filename(mail_part_child(root, 2 + ARRAY_SIZE(names))), longname.data,
		      "attach: 400-byte name in RFC 2231 continuations");
		T_OK(mail_part_is_attachment(mail_part_child(root, 1)), "attach: disposition attachment");
		mail_free(&m);
	}
	send_draft_detach(&d, 0);
	T_INT(d.natt, ARRAY_SIZE(names) + 1, "detach: one fewer");
	T_STR(d.att[0].name, names[0] == NULL ? NULL : names[0], "detach: the first is gone, order kept");
	send_draft_clear(&d);
	buf_release(&longname);
	buf_release(&out);

	/* mostly non-ASCII text: base64 */
	send_draft_init(&d);
	d.from = xstrdup("ada@example.test");
	d.to = xstrdup("bob@example.test");
	d.body = xstrdup("日本語のテキストです。これはテストです。\n二行目。\n");
	buf_init(&out);
	send_build(&d, &o, &out, err, sizeof(err));
	T_OK(strstr(out.data, "Content-Transfer-Encoding: base64") != NULL, "cjk: base64");
	m = parse(&out);
	if (m) {
		char *t = part_text(mail_root(m));

		T_STR(t, d.body, "cjk: body round trip");
		free(t);
	}
	mail_free(&m);
	send_draft_clear(&d);
	buf_release(&out);
}

static const char reply_src[] =
	"From: \"Carol Original\" <carol@example.test>\r\n"
	"Reply-To: carol-replies@example.test\r\n"
	"To: ada@example.test, dave@example.test\r\n"
	"Cc: eve@example.test, Ada <ADA@example.test>\r\n"
	"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
	"Date: Mon, 2 Jan 2023 10:00:00 +0000\r\n"
	"Message-ID: <orig@example.test>\r\n"
	"References: <root@example.test> <mid@example.test>\r\n"
	"List-Post: <mailto:list@lists.example.test>\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"Line one\r\n"
	"> already quoted\r\n";

static void test_reply_forward(void)
{
	struct mail_msg *m = NULL;
	struct send_draft d;
	const char *me[] = { "ada@example.test" };
	char err[WARY_ERRLEN];

	mail_parse(reply_src, sizeof(reply_src) - 1, &m, err, sizeof(err));
	T_INT(send_reply_draft(m, SEND_REPLY_SENDER, "ada@example.test", me, 1, NULL, &d, err,
	                       sizeof(err)), WARY_OK, "reply: made");
	T_STR(d.to, "carol-replies@example.test", "reply: to Reply-To");
	T_STR(d.cc, NULL, "reply: no Cc");
	T_STR(d.subject, "Re: Grüße", "reply: Re: and the decoded subject");
	T_STR(d.in_reply_to, "<orig@example.test>", "reply: In-Reply-To");
	T_STR(d.references, "<root@example.test> <mid@example.test> <orig@example.test>",
	      "reply: References");
	T_STR(d.body, "On Mon, 2 Jan 2023 10:00:00 +0000, Carol Original wrote:\n> Line one\n>> already quoted\n",
	      "reply: attribution and quoting");
	send_draft_clear(&d);
	T_INT(send_reply_draft(m, SEND_REPLY_ALL, "ada@example.test", me, 1, NULL, &d, err,
	                       sizeof(err)), WARY_OK, "group reply: made");
	T_STR(d.to, "carol-replies@example.test, dave@example.test", "group reply: To without me");
	T_STR(d.cc, "eve@example.test", "group reply: Cc without me (any case)");
	send_draft_clear(&d);
	T_INT(send_reply_draft(m, SEND_REPLY_LIST, "ada@example.test", me, 1, "%a said:", &d, err,
	                       sizeof(err)), WARY_OK, "list reply: made");
	T_STR(d.to, "list@lists.example.test", "list reply: to List-Post");
	T_OK(str_starts_with(d.body, "carol@example.test said:\n"), "list reply: attribution format");
	send_draft_clear(&d);
	T_INT(send_forward_draft(m, false, "ada@example.test", &d, err, sizeof(err)), WARY_OK,
	      "forward inline: made");
	T_STR(d.subject, "Fwd: Grüße", "forward: Fwd:");
	T_OK(strstr(d.body, "From: \"Carol Original\" <carol@example.test>\n") != NULL &&
	     strstr(d.body, "Line one\n") != NULL, "forward inline: header block and text");
	send_draft_clear(&d);
	T_INT(send_forward_draft(m, true, "ada@example.test", &d, err, sizeof(err)), WARY_OK,
	      "forward attached: made");
	d.to = xstrdup("bob@example.test");
	{
		struct buf out = BUF_INIT;
		struct mail_msg *f;

		buf_init(&out);
		send_build(&d, NULL, &out, err, sizeof(err));
		f = parse(&out);
		T_OK(f && mail_part_count_children(mail_root(f)) == 2, "forward attached: two parts");
		if (f && mail_part_count_children(mail_root(f)) == 2) {
			const struct mail_part *p = mail_part_child(mail_root(f), 1);
			const struct mail_msg *in = mail_part_message(p);
			char *s = in ? mail_header_decoded(in, "Subject") : NULL;

			T_STR(mail_part_type(p), "message/rfc822", "forward attached: message/rfc822");
			T_STR(mail_part_encoding(p), "7bit", "forward attached: not encoded (RFC 2046)");
			T_STR(s, "Grüße", "forward attached: the enclosed message parses");
			free(s);
		}
		mail_free(&f);
		buf_release(&out);
	}
	send_draft_clear(&d);
	mail_free(&m);
	m = NULL;
	{
		/* A hostile message replied to: its escapes, CRs and bidi never
		 * reach the draft (printed, edited, sent) as they came. */
		static const char evil[] =
			"From: =?UTF-8?B?G10wO3B3bmVkBw==?= <e@example.test>\r\n"
			"Subject: x\x1b[2J\xe2\x80\xae\r\n"
			"Date: Mon, 2 Jan 2023 10:00:00 +0000\x1b[H\r\n"
			"Message-ID: <a\rBcc: victim@example.test@x>\r\n"
			"References: <ok@example.test> <b\x1b[2J@x>\r\n"
			"Content-Type: text/plain; charset=utf-8\r\n\r\n"
			"hi\x1b]52;c;eA==\x07 \xc2\x9b" "2J\x08\r\n";

		mail_parse(evil, sizeof(evil) - 1, &m, err, sizeof(err));
		T_INT(send_reply_draft(m, SEND_REPLY_SENDER, NULL, NULL, 0, NULL, &d, err, sizeof(err)),
		      WARY_OK, "reply to a hostile message: made");
		T_STR(d.to, "\"^[]0;pwned^G\" <e@example.test>", "its display name made safe in To");
		T_STR(d.subject, "Re: x^[[2J<U+202E>", "its subject made safe");
		T_STR(d.in_reply_to, NULL, "a Message-ID with a CR is not copied into In-Reply-To");
		T_STR(d.references, "<ok@example.test>", "nor a reference with a control");
		T_STR(d.body, "On Mon, 2 Jan 2023 10:00:00 +0000^[[H, ^[]0;pwned^G wrote:\n"
		      "> hi^[]52;c;eA==^G <U+009B>2J^H\n", "attribution and quote made safe");
		send_draft_clear(&d);
		T_INT(send_forward_draft(m, false, NULL, &d, err, sizeof(err)), WARY_OK,
		      "forward of a hostile message: made");
		T_OK(strstr(d.body, "From: ^[]0;pwned^G <e@example.test>\n") != NULL,
		     "forward: the From name made safe");
		T_OK(strchr(d.body, '\x1b') == NULL && strstr(d.body, "Subject: x^[[2J<U+202E>\n") != NULL,
		     "forward: its header block made safe");
		send_draft_clear(&d);
		mail_free(&m);
		m = NULL;
	}
	{
		/* A subject and name whose encoded-words decode to line breaks
		 * and header lines: in the draft file they would become an
		 * Attach: of a local file and a Bcc, sent with the reply. */
		static const char inj[] =
			"From: =?UTF-8?B?RXZlCkF0dGFjaDogL2V0Yy9ob3N0bmFtZQ==?= <eve@example.test>\r\n"
			"Subject: =?UTF-8?B?aGkKQXR0YWNoOiAvZXRjL2hvc3RuYW1lCkJjYzogZXZpbEBleGFtcGxlLm5ldA==?=\r\n"
			"Message-ID: <inj@example.test>\r\n\r\nbody\r\n";
		struct buf f = BUF_INIT;
		struct send_draft back;

		mail_parse(inj, sizeof(inj) - 1, &m, err, sizeof(err));
		T_INT(send_reply_draft(m, SEND_REPLY_SENDER, "me@example.test", NULL, 0, NULL, &d, err,
		                       sizeof(err)), WARY_OK, "reply to a header-injecting message: made");
		T_OK(strchr(d.subject, '\n') == NULL && strchr(d.to, '\n') == NULL,
		     "no line break in its subject or To");
		free(d.subject);
		d.subject = xstrdup("typed\nAttach: /etc/hostname\r\nBcc: evil@example.net");
		buf_init(&f);
		send_draft_to_edit(&d, true, &f);
		send_draft_init(&back);
		T_INT(send_draft_from_edit(&back, f.data, f.len, true, err, sizeof(err)), WARY_OK,
		      "the draft file reads back");
		T_INT(back.natt, 0, "a line break in a field never becomes an Attach: line");
		send_draft_clear(&back);
		mail_free(&m);
		{
			static const char lp[] = "From: a@b.test\r\nList-Post: <mailto:l\xc2\x9b" "2J\xff@x.test>\r\n\r\nb\r\n";

			mail_parse(lp, sizeof(lp) - 1, &m, err, sizeof(err));
			send_draft_init(&back);
			T_INT(send_reply_draft(m, SEND_REPLY_LIST, NULL, NULL, 0, NULL, &back, err, sizeof(err)),
			      WARY_ENOENT, "a List-Post address with C1 or non-ASCII bytes is not used");
		}
		T_OK(back.bcc == NULL || back.bcc[0] == '\0', "nor a Bcc: line");
		send_draft_clear(&back);
		buf_release(&f);
		send_draft_clear(&d);
		mail_free(&m);
		m = NULL;
	}
	{
		static const char nolist[] = "From: a@b.test\r\nSubject: x\r\n\r\nbody\r\n";

		mail_parse(nolist, sizeof(nolist) - 1, &m, err, sizeof(err));
		T_INT(send_reply_draft(m, SEND_REPLY_LIST, NULL, NULL, 0, NULL, &d, err, sizeof(err)),
		      WARY_ENOENT, "list reply: no List-Post is an error");
		send_draft_clear(&d);
		mail_free(&m);
	}
}

static void test_edit_file(void)
{
	struct send_draft d, e;
	struct buf f = BUF_INIT;
	char err[WARY_ERRLEN], path[] = "/tmp/wary-send-att-XXXXXX";
	int fd = mkstemp(path);

	buf_init(&f);
	if (fd >= 0) {
		(void)!write(fd, "attached text\n", 14);
		close(fd);
	}
	send_draft_init(&d);
	d.from = xstrdup("ada@example.test");
	d.to = xstrdup("bob@example.test");
	d.subject = xstrdup("Über");
	d.body = xstrdup("text\n\nmore: not a header\n");
	send_draft_attach_file(&d, path, NULL, err, sizeof(err));
	send_draft_to_edit(&d, true, &f);
	T_OK(strstr(f.data, "Attach: ") != NULL, "edit: attachments listed");
	send_draft_init(&e);
	T_INT(send_draft_from_edit(&e, f.data, f.len, true, err, sizeof(err)), WARY_OK, "edit: read back");
	T_STR(e.subject, "Über", "edit: subject");
	T_STR(e.to, "bob@example.test", "edit: To");
	T_STR(e.body, d.body, "edit: body");
	T_INT(e.natt, 1, "edit: attachment read again");
	T_STR(e.natt ? e.att[0].type : NULL, "text/plain", "edit: attachment typed");
	send_draft_clear(&e);
	send_draft_init(&e);
	T_INT(send_draft_from_edit(&e, "To: x@y.test\nContent-Type: text/html\n\nb", 39, true, err,
	                           sizeof(err)), WARY_EPARSE, "edit: Content-Type may not be set");
	T_OK(strstr(err, "line 2") != NULL, "edit: the error names the line");
	send_draft_clear(&e);
	send_draft_init(&e);
	T_INT(send_draft_from_edit(&e, "To: x@y.test\nno colon here\n\nb", 29, true, err, sizeof(err)),
	      WARY_EPARSE, "edit: a line that is no field");
	send_draft_clear(&e);
	send_draft_clear(&d);
	buf_release(&f);
	unlink(path);
}

static void test_book(void)
{
	struct send_book *b = send_book_new();
	char path[] = "/tmp/wary-send-alias-XXXXXX", err[WARY_ERRLEN], **v = NULL;
	int fd = mkstemp(path);
	size_t n;

	if (fd >= 0) {
		const char *t = "# aliases\nalias team Ada <ada@example.test>, bob@example.test\n"
		                "alias zed \"Zed Z\" <zed@example.test>\nnot an alias line\n";

		(void)!write(fd, t, strlen(t));
		close(fd);
	}
	T_INT(send_book_load_aliases(b, path, err, sizeof(err)), WARY_OK, "book: aliases load");
	send_book_add_seen(b, "\"Teresa Green\" <teresa@example.test>");
	send_book_add_seen(b, "=?UTF-8?Q?T=C3=A9o?= <teo@example.test>, tom@example.test");
	n = send_book_complete(b, "te", &v, 10);
	T_INT(n, 3, "book: alias, display names and addresses that start with te");
	T_OK(n > 0 && strcmp(v[0], "Ada <ada@example.test>, bob@example.test") == 0,
	     "book: the alias first, expanded");
	send_strv_free(v, n);
	n = send_book_complete(b, "green", &v, 10);
	T_OK(n == 1 && strstr(v[0], "teresa@example.test") != NULL, "book: a later word of the name");
	send_strv_free(v, n);
	n = send_book_complete(b, "Té", &v, 10);
	T_OK(n == 1 && strstr(v[0], "Téo") != NULL, "book: decoded display names");
	send_strv_free(v, n);
	send_book_add_seen(b, "=?UTF-8?B?WmVsZGEbXTA7eAcgwpvigK4=?= <zelda@example.test>");
	n = send_book_complete(b, "zel", &v, 10);
	T_OK(n == 1 && strchr(v[0], 0x1b) == NULL && strstr(v[0], "Zelda^[]0;x^G <U+009B><U+202E>") != NULL,
	     "book: a sender's name with escapes is completed made safe");
	send_strv_free(v, n);
	send_book_free(&b);
	unlink(path);
}

/* --------------------------------------------------------------- dlp */

static size_t hits(const char *text, enum send_dlp_kind kind)
{
	struct send_dlp_report r = { NULL, 0 };
	char err[WARY_ERRLEN];
	size_t n = 0;

	send_dlp_scan(text, strlen(text), NULL, &r, err, sizeof(err));
	for (size_t i = 0; i < r.n; i++)
		if (r.v[i].kind == kind)
			n++;
	send_dlp_report_clear(&r);
	return n;
}

static void test_dlp(void)
{
	static const char *const cards[] = {
		"my card 4111 1111 1111 1111 thanks", "amex 378282246310005.", "mc 5555-5555-5555-4444",
		"discover 6011111111111117", "new mc range 2221000000000009", "jcb: 3530111333300000",
		"visa13 4222222222222", "diners 3056 930902 5904",
	};
	static const char *const not_cards[] = {
		"4111 1111 1111 1112",                 /* Luhn fails */
		"9111111111111119",                    /* no issuer */
		"https://track.example/?id=4111111111111111", /* inside a URL */
		"order 41111111111111110000",          /* longer run */
		"call +1 555 123 4567 or 0800 123 456",/* phone numbers */
		"4111-1111 1111-1111",                 /* mixed separators */
		"ref 41 11 11 11 11 11 11 11",         /* pairs are no card grouping */
		"v1.4111111111111111",                 /* glued to a word */
		"12345678901234",
	};
	static const char *const ibans[] = { "IBAN: DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432",
	                                     "pay to FR1420041010050500013M02606 now" };
	static const char *const not_ibans[] = { "DE89 3704 0044 0532 0130 01", "DE89370400440532013",
	                                         "XX89370400440532013000", "XDE89370400440532013000" };
	static const char *const ssns[] = { "SSN 536-22-1234", "ssn: 078-05-1121" };
	static const char *const not_ssns[] = { "000-12-3456", "666-12-3456", "900-12-3456", "536-00-1234",
	                                        "536-22-0000", "123-45-6789", "078-05-1120", "536221234",
	                                        "call 555-123-4567", "2023-10-1234", "x536-22-1234" };
	struct send_dlp_report r = { NULL, 0 };
	char err[WARY_ERRLEN], what[160];
	size_t i;

	T_OK(send_dlp_luhn("79927398713", 11) && !send_dlp_luhn("79927398710", 11), "luhn: known values");
	T_OK(send_dlp_iban_valid("DE89370400440532013000") && !send_dlp_iban_valid("DE89370400440532013001"),
	     "iban: mod 97");
	for (i = 0; i < ARRAY_SIZE(cards); i++) {
		snprintf(what, sizeof(what), "card found: %s", cards[i]);
		T_INT(hits(cards[i], SEND_DLP_CARD), 1, what);
	}
	for (i = 0; i < ARRAY_SIZE(not_cards); i++) {
		snprintf(what, sizeof(what), "card near miss quiet: %s", not_cards[i]);
		T_INT(hits(not_cards[i], SEND_DLP_CARD), 0, what);
	}
	for (i = 0; i < ARRAY_SIZE(ibans); i++) {
		snprintf(what, sizeof(what), "iban found: %s", ibans[i]);
		T_INT(hits(ibans[i], SEND_DLP_IBAN), 1, what);
	}
	for (i = 0; i < ARRAY_SIZE(not_ibans); i++) {
		snprintf(what, sizeof(what), "iban near miss quiet: %s", not_ibans[i]);
		T_INT(hits(not_ibans[i], SEND_DLP_IBAN), 0, what);
	}
	for (i = 0; i < ARRAY_SIZE(ssns); i++) {
		snprintf(what, sizeof(what), "ssn found: %s", ssns[i]);
		T_INT(hits(ssns[i], SEND_DLP_SSN), 1, what);
	}
	for (i = 0; i < ARRAY_SIZE(not_ssns); i++) {
		snprintf(what, sizeof(what), "ssn near miss quiet: %s", not_ssns[i]);
		T_INT(hits(not_ssns[i], SEND_DLP_SSN), 0, what);
	}
	T_INT(hits("here:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n",
	           SEND_DLP_PRIVATE_KEY), 1, "key: OpenSSH");
	T_INT(hits("> -----BEGIN RSA PRIVATE KEY-----\n> MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n",
	           SEND_DLP_PRIVATE_KEY), 1, "key: PEM, even quoted");
	T_INT(hits("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF1xL8cBCADC1234567890abcdefghij\n",
	           SEND_DLP_PRIVATE_KEY), 0, "key: PGP armor blank line: next line checked");
	T_INT(hits("-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: x\nlQOYBF1xL8cBCADC1234567890abcdefghij\n",
	           SEND_DLP_PRIVATE_KEY), 0, "key: a marker with a short next line is quiet");
	T_INT(hits("-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF1xL8cBCADC1234567890abcdefghij\n",
	           SEND_DLP_PRIVATE_KEY), 1, "key: OpenPGP secret key");
	T_INT(hits("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n", SEND_DLP_PRIVATE_KEY),
	      0, "key: a public key is quiet");
	T_INT(hits("-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQINBF1xL8cBCADC1234567890abcdef\n",
	           SEND_DLP_PRIVATE_KEY), 0, "key: a PGP public key is quiet");
	T_INT(hits("grep for '-----BEGIN OPENSSH PRIVATE KEY-----' in your files\nand more text here\n",
	           SEND_DLP_PRIVATE_KEY), 0, "key: the marker inside a sentence is quiet");
	T_INT(send_dlp_scan("ticket PROJ-1234 and PROJ-99\n", 28, "PROJ-[0-9]{3,}", &r, err,
	                    sizeof(err)), WARY_OK, "pattern: scans");
	T_INT(r.n, 1, "pattern: one match, the short one not");
	T_OK(r.n == 1 && r.v[0].offset == 7 && r.v[0].line == 1, "pattern: where");
	send_dlp_report_clear(&r);
	T_INT(send_dlp_scan("x", 1, "([", &r, err, sizeof(err)), WARY_EPARSE, "pattern: a bad regex is an error");
	send_dlp_report_clear(&r);
	{
		struct send_draft d;
		char **where = NULL;

		send_draft_init(&d);
		d.subject = xstrdup("card 4111 1111 1111 1111");
		d.body = xstrdup("hello\nIBAN DE89 3704 0044 0532 0130 00\n");
		send_draft_attach_data(&d, "key.pem", "text/plain",
		                       "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5C\n", 68);
		T_INT(send_dlp_scan_draft(&d, NULL, &r, &where, err, sizeof(err)), WARY_OK, "draft: scans");
		T_INT(r.n, 3, "draft: subject, body, attachment");
		if (r.n == 3) {
			T_STR(where[0], "subject", "draft: where subject");
			T_STR(where[1], "body line 2", "draft: where body line");
			T_STR(where[2], "attachment key.pem line 1", "draft: where attachment");
			T_OK(strstr(r.v[0].what, "ending 1111") && !strstr(r.v[0].what, "4111 1111"),
			     "draft: the number is masked");
		}
		send_strv_free(where, r.n);
		send_dlp_report_clear(&r);
		send_draft_clear(&d);
	}
}

/* Every text part of every message in a folder: no outbound alarm. */
static size_t scan_dir_negatives(const char *dir, size_t *nmsg, size_t max, char *first, size_t fl)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t alarms = 0;

	*nmsg = 0;
	first[0] = '\0';
	while (d && (e = readdir(d)) != NULL && *nmsg < max) {
		char path[2048], err[WARY_ERRLEN];
		struct buf b = BUF_INIT;
		struct mail_msg *m = NULL;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		buf_init(&b);
		if (fs_read_file(path, &b, 0, err, sizeof(err)) == WARY_OK &&
		    mail_parse(b.data, b.len, &m, err, sizeof(err)) == WARY_OK) {
			const struct mail_part *stack[64];
			size_t sp = 0;
			struct send_dlp_report r = { NULL, 0 };

			(*nmsg)++;
			stack[sp++] = mail_root(m);
			while (sp > 0) {
				const struct mail_part *p = stack[--sp];
				size_t nc = mail_part_count_children(p);

				for (size_t i = 0; i < nc && sp < 64; i++)
					stack[sp++] = mail_part_child(p, i);
				if (nc == 0 && str_istarts_with(mail_part_type(p), "text/")) {
					struct buf t = BUF_INIT;

					buf_init(&t);
					if (mail_part_text(p, &t, err, sizeof(err)) == WARY_OK)
						send_dlp_scan(t.data, t.len, NULL, &r, err, sizeof(err));
					buf_release(&t);
				}
			}
			if (r.n > 0 && first[0] == '\0')
				snprintf(first, fl, "%s: %s", e->d_name, r.v[0].what);
			alarms += r.n ? 1 : 0;
			send_dlp_report_clear(&r);
		}
		mail_free(&m);
		buf_release(&b);
	}
	if (d)
		closedir(d);
	return alarms;
}

static void test_dlp_negatives(void)
{
	char dir[1024], first[512], what[256];
	size_t n, alarms;

	snprintf(dir, sizeof(dir), "%s/tests/demo/Maildir/cur", TOP_SRCDIR);
	alarms = scan_dir_negatives(dir, &n, 100000, first, sizeof(first));
	if (first[0])
		printf("# first alarm: %s\n", first);
	snprintf(what, sizeof(what), "dlp: no alarm on the %zu demo messages", n);
	T_OK(n > 20 && alarms == 0, what);
	snprintf(dir, sizeof(dir), "%s/tests/bench/cache/corpus", TOP_SRCDIR);
	if (access(dir, R_OK) != 0) {
		t_skip("dlp: no alarm on the spam corpus", "tests/bench/cache/corpus is not here");
		return;
	}
	alarms = scan_dir_negatives(dir, &n, 100000, first, sizeof(first));
	if (first[0])
		printf("# first alarm: %s\n", first);
	snprintf(what, sizeof(what), "dlp: %zu alarms on the %zu corpus messages (ham and spam)", alarms, n);
	T_OK(n > 1000 && alarms == 0, what);
}

/* ---------------------------------------------------------- hashcash */

static void test_hashcash(void)
{
	struct buf st = BUF_INIT;
	struct send_hashcash_db *db = NULL;
	const char *mine[] = { "bob@example.test" };
	char err[WARY_ERRLEN], path[] = "/tmp/wary-send-hc-XXXXXX";
	uint64_t tries = 0;
	unsigned bits = 0;
	time_t now = 1700000000;
	int fd = mkstemp(path);

	if (fd >= 0)
		close(fd);
	buf_init(&st);
	T_INT(send_hashcash_mint("bob@example.test", 16, now, &st, &tries, err, sizeof(err)), WARY_OK,
	      "hashcash: mints 16 bits");
	printf("# %s (%llu tries)\n", st.data, (unsigned long long)tries);
	T_OK(str_starts_with(st.data, "1:16:231114:bob@example.test::"), "hashcash: version 1 fields");
	T_OK(send_hashcash_bits(st.data, st.len) >= 16, "hashcash: SHA-1 has 16 leading zero bits");
	T_INT(send_hashcash_db_open(path, &db, err, sizeof(err)), WARY_OK, "hashcash: spent table opens");
	T_INT(send_hashcash_check(db, st.data, mine, 1, 16, now + 3600, 28 * 86400, &bits), SEND_HC_VALID,
	      "hashcash: verifies");
	T_INT(bits, 16, "hashcash: its value");
	T_INT(send_hashcash_check(db, st.data, mine, 1, 16, now + 3600, 28 * 86400, NULL), SEND_HC_SPENT,
	      "hashcash: a replay is refused");
	send_hashcash_db_free(&db);
	T_INT(send_hashcash_db_open(path, &db, err, sizeof(err)), WARY_OK, "hashcash: reopened");
	T_INT(send_hashcash_check(db, st.data, mine, 1, 16, now + 7200, 28 * 86400, NULL), SEND_HC_SPENT,
	      "hashcash: spent survives a restart");
	T_INT(send_hashcash_check(db, st.data, mine, 1, 20, now, 28 * 86400, NULL), SEND_HC_WEAK,
	      "hashcash: fewer bits than asked");
	{
		const char *other[] = { "carol@example.test" };

		T_INT(send_hashcash_check(NULL, st.data, other, 1, 16, now, 28 * 86400, NULL),
		      SEND_HC_WRONG_RESOURCE, "hashcash: not our address");
	}
	T_INT(send_hashcash_check(NULL, st.data, mine, 1, 16, now + 60L * 86400, 28 * 86400, NULL),
	      SEND_HC_EXPIRED, "hashcash: too old");
	T_INT(send_hashcash_check(NULL, st.data, mine, 1, 16, now - 10L * 86400, 28 * 86400, NULL),
	      SEND_HC_FUTURE, "hashcash: from the future");
	{
		/* claims 20 bits but has (almost certainly) fewer */
		struct buf f = BUF_INIT;

		buf_init(&f);
		buf_adds(&f, st.data);
		f.data[2] = '2';
		f.data[3] = '0';
		T_INT(send_hashcash_check(NULL, f.data, mine, 1, 16, now, 28 * 86400, NULL),
		      send_hashcash_bits(f.data, f.len) >= 20 ? SEND_HC_VALID : SEND_HC_WEAK,
		      "hashcash: a claim above its real bits");
		buf_release(&f);
	}
	{
		static const char *const bad[] = {
			"", "1", "0:16:231114:bob@example.test::abc:1", "1:16:231114:bob@example.test::abc",
			"1:x:231114:bob@example.test::abc:1", "1:16:23111:bob@example.test::abc:1",
			"1:16:231399:bob@example.test::abc:1", "1:16:231114:bob@example.test::abc:1:2",
			"1:999:231114:bob@example.test::abc:1", "1:16:231114:bob@example.test:::",
			"1:16:231114:bob@exa\x01mple.test::abc:1",
		};
		bool all = true;

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
			if (send_hashcash_check(NULL, bad[i], mine, 1, 0, now, 28 * 86400, NULL) !=
			    SEND_HC_MALFORMED) {
				printf("# not refused: %s\n", bad[i]);
				all = false;
			}
		T_OK(all, "hashcash: malformed stamps refused");
	}
	{
		struct buf msg = BUF_INIT;
		struct mail_msg *m = NULL;
		struct buf st2 = BUF_INIT;

		buf_init(&msg);
		buf_init(&st2);
		send_hashcash_mint("bob@example.test", 10, now, &st2, NULL, err, sizeof(err));
		buf_addf(&msg, "From: a@b.test\r\nMessage-ID: <one@b.test>\r\nX-Hashcash: 1:10:231114:carol@example.test::x:1\r\n"
		               "X-Hashcash: %s\r\nSubject: x\r\n\r\nbody\r\n", st2.data);
		mail_parse(msg.data, msg.len, &m, err, sizeof(err));
		T_INT(send_hashcash_verify_msg(db, m, mine, 1, 10, now, &bits), SEND_HC_VALID,
		      "hashcash: message with one stamp for us");
		T_INT(bits, 10, "hashcash: message stamp value");
		T_INT(send_hashcash_verify_msg(db, m, mine, 1, 10, now, &bits), SEND_HC_VALID,
		      "hashcash: reading the same message again is no replay");
		mail_free(&m);
		buf_reset(&msg);
		buf_addf(&msg, "From: a@b.test\r\nMessage-ID: <other@b.test>\r\nX-Hashcash: %s\r\n\r\nbody\r\n",
		         st2.data);
		mail_parse(msg.data, msg.len, &m, err, sizeof(err));
		T_INT(send_hashcash_verify_msg(db, m, mine, 1, 10, now, &bits), SEND_HC_SPENT,
		      "hashcash: the stamp in another message is a replay");
		T_INT(bits, 0, "hashcash: a replay is worth nothing");
		mail_free(&m);
		buf_release(&msg);
		buf_release(&st2);
	}
	send_hashcash_db_free(&db);
	unlink(path);
	{
		char wal[64];

		snprintf(wal, sizeof(wal), "%s-wal", path);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", path);
		unlink(wal);
	}
	T_INT(send_hashcash_mint("a:b", 8, now, &st, NULL, err, sizeof(err)), WARY_EPARSE,
	      "hashcash: a resource with ':' is refused");
	buf_release(&st);
}

static void test_caps(void)
{
	struct net_smtp_caps c;

	net_smtp_caps_parse("mail.example.test\nPIPELINING\nSIZE 10240000\nAUTH PLAIN LOGIN XOAUTH2\n"
	                    "8BITMIME\nSMTPUTF8\n",
	                    &c);
	T_OK(c.pipelining && c.size && c.max_size == 10240000 && c.eightbitmime && c.smtputf8,
	     "caps: keywords");
	T_INT(c.auth, NET_SMTP_AUTH_PLAIN | NET_SMTP_AUTH_LOGIN | NET_SMTP_AUTH_XOAUTH2, "caps: AUTH list");
	net_smtp_caps_parse("250-mail\n250-AUTH=LOGIN\n250 OAUTHBEARER-NOT\n", &c);
	T_INT(c.auth, NET_SMTP_AUTH_LOGIN, "caps: old AUTH= form, no prefix match");
	net_smtp_caps_parse("greeting only", &c);
	T_OK(!c.size && !c.starttls && c.auth == 0, "caps: nothing offered");
}

/* ------------------------------------------------------------ outbox */

static void test_outbox(void)
{
	char dir[] = "/tmp/wary-send-ob-XXXXXX", err[WARY_ERRLEN];
	char *ob_dir, *sent, *deliv, *cmd, *id = NULL;
	struct send_outbox *ob = NULL;
	struct send_account a;
	struct send_sent s;
	struct send_flush_report rep;
	struct send_outbox_entry *v = NULL;
	struct send_draft d;
	struct buf msg = BUF_INIT, got = BUF_INIT;
	size_t n = 0;

	if (mkdtemp(dir) == NULL)
		return;
	buf_init(&msg);
	buf_init(&got);
	ob_dir = xasprintf("%s/outbox", dir);
	sent = xasprintf("%s/Sent", dir);
	deliv = xasprintf("%s/delivered", dir);
	cmd = xasprintf("sh -c 'cat >> %s; echo \"$@\" >> %s.rcpt' x", deliv, deliv);
	memset(&a, 0, sizeof(a));
	a.sendmail_command = cmd;
	memset(&s, 0, sizeof(s));
	s.maildir = sent;
	send_draft_init(&d);
	d.from = xstrdup("ada@example.test");
	d.to = xstrdup("bob@example.test");
	d.bcc = xstrdup("secret@example.test");
	d.subject = xstrdup("outbox");
	d.body = xstrdup("body\n");
	send_build(&d, NULL, &msg, err, sizeof(err));
	T_INT(send_outbox_open(ob_dir, &ob, err, sizeof(err)), WARY_OK, "outbox: opens");
	T_INT(send_outbox_add(ob, msg.data, msg.len, &id, err, sizeof(err)), WARY_OK, "outbox: queued");
	T_INT(send_outbox_list(ob, &v, &n, err, sizeof(err)), WARY_OK, "outbox: lists");
	T_OK(n == 1 && v[0].state == SEND_QUEUED && strcmp(v[0].message_id, d.message_id) == 0,
	     "outbox: one queued, its Message-ID");
	send_outbox_entries_free(v, n);
	T_INT(send_outbox_flush(ob, &a, &s, false, NULL, &rep, err, sizeof(err)), WARY_OK, "outbox: flushed");
	T_OK(rep.sent == 1 && rep.stored == 1 && rep.failed == 0, "outbox: sent and stored");
	fs_read_file(deliv, &got, 0, err, sizeof(err));
	T_OK(strstr(got.data, "Subject: outbox\n") != NULL && strstr(got.data, "secret@") == NULL,
	     "outbox: the command got the message, LF ends, no Bcc");
	buf_reset(&got);
	{
		char *rf = xasprintf("%s.rcpt", deliv);

		fs_read_file(rf, &got, 0, err, sizeof(err));
		T_STR(got.data, "bob@example.test secret@example.test\n", "outbox: recipients as arguments");
		free(rf);
	}
	send_outbox_list(ob, &v, &n, err, sizeof(err));
	T_INT(n, 0, "outbox: empty after");
	send_outbox_entries_free(v, n);
	{
		char *p = xasprintf("%s/cur", sent);
		DIR *dd = opendir(p);
		struct dirent *e;
		size_t files = 0;

		while (dd && (e = readdir(dd)) != NULL)
			files += e->d_name[0] != '.';
		if (dd)
			closedir(dd);
		T_INT(files, 1, "outbox: one copy in Sent");
		free(p);
	}
	/* the same Message-ID again: recorded as submitted, so only stored
	 * (and Sent has it already, so not stored twice either) */
	free(id);
	id = NULL;
	send_outbox_add(ob, msg.data, msg.len, &id, err, sizeof(err));
	send_outbox_list(ob, &v, &n, err, sizeof(err));
	T_OK(n == 1 && v[0].state == SEND_SUBMITTED, "outbox: a submitted Message-ID is known");
	send_outbox_entries_free(v, n);
	buf_reset(&got);
	send_outbox_flush(ob, &a, &s, false, NULL, &rep, err, sizeof(err));
	T_OK(rep.sent == 0 && rep.stored == 1, "outbox: never submitted twice");
	fs_read_file(deliv, &got, 0, err, sizeof(err));
	T_OK(strstr(got.data, "Subject: outbox") == strstr(got.data, "Subject: outbox") &&
	     strstr(strstr(got.data, "Subject: outbox") + 1, "Subject: outbox") == NULL,
	     "outbox: delivered once");
	/* uncertain: held until retry */
	send_draft_clear(&d);
	send_draft_init(&d);
	d.from = xstrdup("ada@example.test");
	d.to = xstrdup("bob@example.test");
	d.subject = xstrdup("uncertain");
	d.body = xstrdup("body\n");
	buf_reset(&msg);
	send_build(&d, NULL, &msg, err, sizeof(err));
	free(id);
	id = NULL;
	send_outbox_add(ob, msg.data, msg.len, &id, err, sizeof(err));
	{
		char *sp = xasprintf("%s/state/%s", ob_dir, id);

		fs_write_atomic(sp, "submitting\n\n", 12, 0600, err, sizeof(err));
		free(sp);
	}
	T_INT(send_outbox_flush(ob, &a, &s, false, NULL, &rep, err, sizeof(err)), WARY_ERR,
	      "outbox: an uncertain message is not sent again");
	T_OK(rep.held == 1 && rep.sent == 0 && strstr(err, "outbox retry") != NULL, "outbox: held, and says how");
	T_INT(send_outbox_flush(ob, &a, &s, true, id, &rep, err, sizeof(err)), WARY_OK, "outbox: retry sends it");
	T_INT(rep.sent, 1, "outbox: retried once");
	/* a failing command keeps the message */
	free(id);
	id = NULL;
	send_draft_clear(&d);
	send_draft_init(&d);
	d.from = xstrdup("ada@example.test");
	d.to = xstrdup("bob@example.test");
	d.subject = xstrdup("fails");
	buf_reset(&msg);
	send_build(&d, NULL, &msg, err, sizeof(err));
	send_outbox_add(ob, msg.data, msg.len, &id, err, sizeof(err));
	a.sendmail_command = "echo 'relay says no' >&2; exit 75";
	T_INT(send_outbox_flush(ob, &a, &s, false, NULL, &rep, err, sizeof(err)), WARY_ERR,
	      "outbox: a failing command fails");
	T_OK(strstr(err, "relay says no") != NULL, "outbox: the command's words are shown");
	send_outbox_list(ob, &v, &n, err, sizeof(err));
	T_OK(n == 1 && v[0].state == SEND_QUEUED && v[0].last_error &&
	     strstr(v[0].last_error, "relay says no"), "outbox: kept, queued, with the error");
	send_outbox_entries_free(v, n);
	{
		char *bad[] = { "-oQ/tmp/x" };
		struct send_result res;

		T_INT(send_submit(&a, "ada@example.test", bad, 1, "x", 1, &res, NULL, NULL, NULL, err,
		                  sizeof(err)), WARY_ERR, "sendmail: a recipient that looks like an option");
	}
	free(id);
	send_outbox_free(&ob);
	send_draft_clear(&d);
	buf_release(&msg);
	buf_release(&got);
	{
		char *rm = xasprintf("rm -rf '%s'", dir);

		(void)!system(rm);
		free(rm);
	}
	free(ob_dir);
	free(sent);
	free(deliv);
	free(cmd);
}

int main(void)
{
	test_plain();
	test_utf8_headers();
	test_attachments();
	test_reply_forward();
	test_edit_file();
	test_book();
	test_dlp();
	test_dlp_negatives();
	test_hashcash();
	test_caps();
	test_outbox();
	return t_done();
}
