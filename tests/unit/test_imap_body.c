/* Message bodies of the IMAP backend without a server: the BODYSTRUCTURE
 * plan and the MIME message put together from it (also from hostile
 * structures: huge part counts, deep nesting, lying sizes, bad tokens),
 * parts cut by number from whole messages, and the body cache behind a
 * fake link (hits, least-recently-used eviction, damage, UIDVALIDITY). */
#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "mail/mail.h"
#include "store/imap_int.h"
#include "store/store_int.h"
#include "t.h"

/* ---- BODYSTRUCTUREs built the way libetpan's parser builds them ---- */

/* libetpan frees the strings of a body with mmap_string_unref, which
 * lets go only of strings its parser made: ours are kept here. */
static char **pool;
static size_t npool, cappool;

static char *keep(const char *s)
{
	if (npool == cappool) {
		cappool = cappool ? cappool * 2 : 1024;
		pool = xreallocarray(pool, cappool, sizeof(*pool));
	}
	return pool[npool++] = xstrdup(s);
}

static void pool_free(void)
{
	for (size_t i = 0; i < npool; i++)
		free(pool[i]);
	free(pool);
	pool = NULL;
	npool = cappool = 0;
}

static struct mailimap_body_fld_param *params(const char *name, const char *value)
{
	clist *l = clist_new();

	if (name != NULL)
		clist_append(l, mailimap_single_body_fld_param_new(keep(name), keep(value)));
	return mailimap_body_fld_param_new(l);
}

static struct mailimap_body_fields *fields(uint32_t size, int enc, const char *pname,
                                           const char *pvalue)
{
	return mailimap_body_fields_new(pname ? params(pname, pvalue) : NULL, NULL, NULL,
	                                mailimap_body_fld_enc_new(enc, NULL), size);
}

static struct mailimap_body *text_part(const char *subtype, uint32_t size, const char *dsp)
{
	struct mailimap_body_ext_1part *ext = NULL;

	if (dsp != NULL)
		ext = mailimap_body_ext_1part_new(NULL, mailimap_body_fld_dsp_new(keep(dsp), NULL),
		                                  NULL, NULL, NULL);
	return mailimap_body_new(
		MAILIMAP_BODY_1PART,
		mailimap_body_type_1part_new(
			MAILIMAP_BODY_TYPE_1PART_TEXT, NULL, NULL,
			mailimap_body_type_text_new(keep(subtype),
			                            fields(size, MAILIMAP_BODY_FLD_ENC_7BIT, "charset",
			                                   "utf-8"),
			                            1),
			ext),
		NULL);
}

static struct mailimap_body *basic_part(int type, const char *subtype, uint32_t size,
                                        const char *name)
{
	return mailimap_body_new(
		MAILIMAP_BODY_1PART,
		mailimap_body_type_1part_new(
			MAILIMAP_BODY_TYPE_1PART_BASIC,
			mailimap_body_type_basic_new(
				mailimap_media_basic_new(type, NULL, keep(subtype)),
				fields(size, MAILIMAP_BODY_FLD_ENC_BASE64, name ? "name" : NULL, name)),
			NULL, NULL, NULL),
		NULL);
}

/* A multipart of the n parts given (taken over). */
static struct mailimap_body *multi(const char *subtype, struct mailimap_body **parts, size_t n)
{
	clist *l = clist_new();

	for (size_t i = 0; i < n; i++)
		clist_append(l, parts[i]);
	return mailimap_body_new(MAILIMAP_BODY_MPART, NULL,
	                         mailimap_body_type_mpart_new(l, keep(subtype), NULL));
}

static const char HEADER[] = "From: Carol <carol@example.test>\r\n"
                             "Subject: the report\r\n"
                             "MIME-Version: 1.0\r\n"
                             "Content-Type: multipart/mixed;\r\n boundary=\"orig\"\r\n"
                             "X-Wary-Omitted: 1 bytes, fetch on demand as part 9\r\n"
                             "\r\n";

static void take(struct imap_body_plan *p, const char *section, const char *s)
{
	imap_body_plan_take(p, section, s, strlen(s));
}

static const struct mail_part *find_type(const struct mail_part *p, const char *type)
{
	if (strcmp(mail_part_type(p), type) == 0)
		return p;
	for (size_t i = 0; i < mail_part_count_children(p); i++) {
		const struct mail_part *c = find_type(mail_part_child(p, i), type);

		if (c != NULL)
			return c;
	}
	return NULL;
}

static void test_plan_normal(void)
{
	struct mailimap_body *alt[2], *top[2], *bs;
	struct imap_body_plan *p = NULL;
	struct mail_msg *msg = NULL;
	struct buf out = BUF_INIT, t = BUF_INIT;
	char err[WARY_ERRLEN], **cmds;
	const struct mail_part *pdf, *plain;
	uint64_t omitted = 0;
	size_t n = 0;

	buf_init(&out);
	buf_init(&t);
	alt[0] = text_part("PLAIN", 40, NULL);
	alt[1] = text_part("html", 60, NULL);
	top[0] = multi("ALTERNATIVE", alt, 2);
	top[1] = basic_part(MAILIMAP_MEDIA_BASIC_APPLICATION, "PDF", 2869788, "report.pdf");
	bs = multi("mixed", top, 2);
	T_INT(imap_body_plan_new(bs, &p, err, sizeof(err)), WARY_OK, "a plain plan is made");
	cmds = imap_body_plan_commands(p, 42, 4000, &n);
	T_INT(n, 1, "one command");
	T_STR(n ? cmds[0] : NULL,
	      "UID FETCH 42 (BODY.PEEK[HEADER] BODY.PEEK[1.1.MIME] BODY.PEEK[1.1] BODY.PEEK[1.2.MIME]"
	      " BODY.PEEK[1.2] BODY.PEEK[2.MIME])",
	      "the header, every leaf's MIME header, the text bodies and not the attachment's");
	store_keys_free(cmds, n);
	take(p, "HEADER", HEADER);
	take(p, "1.1.MIME", "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	take(p, "1.1", "Hello Alice, the report is attached.");
	take(p, "1.2.MIME", "Content-Type: text/html\r\n\r\n");
	take(p, "1.2", "<p>Hello <b>Alice</b></p>");
	take(p, "2.MIME", "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
	                  "Content-Disposition: attachment;\r\n filename=\"report.pdf\"\r\n"
	                  "X-Wary-Omitted: 5 bytes, fetch on demand as part 1\r\n"
	                  "Content-Transfer-Encoding: base64\r\n\r\n");
	take(p, "2", "QUJD"); /* not asked for: ignored */
	T_INT(imap_body_plan_assemble(p, &out, &omitted, err, sizeof(err)), WARY_OK, "assembled");
	T_INT(omitted, 2869788, "the attachment's bytes are what was left out");
	T_OK(strstr(out.data, "orig") == NULL, "the original boundary is gone with its field");
	T_OK(strstr(out.data, "part 9") == NULL && strstr(out.data, "part 1\r\n") == NULL,
	     "X-Wary-Omitted fields the sender wrote are dropped");
	T_INT(mail_parse(out.data, out.len, &msg, err, sizeof(err)), WARY_OK, "the result parses");
	T_STR(mail_header_get(msg, "Subject"), "the report", "with the message's header");
	plain = find_type(mail_root(msg), "text/plain");
	T_OK(plain != NULL && mail_part_text(plain, &t, err, sizeof(err)) == WARY_OK &&
	             t.len == 36 && memcmp(t.data, "Hello Alice, the report is attached.", 36) == 0,
	     "the text part is there, byte for byte");
	T_OK(find_type(mail_root(msg), "text/html") != NULL, "and the HTML alternative");
	pdf = find_type(mail_root(msg), "application/pdf");
	T_OK(pdf != NULL && mail_part_is_attachment(pdf), "the attachment is one");
	T_STR(pdf ? mail_part_filename(pdf) : NULL, "report.pdf", "with its real name");
	T_STR(pdf ? mail_part_header(pdf, "X-Wary-Omitted") : NULL,
	      "2869788 bytes, fetch on demand as part 2", "marked as left out, with its part number");
	{
		size_t len = 99;

		T_OK(pdf != NULL && mail_part_body(pdf, &len) != NULL && len == 0, "its body is empty");
	}
	mail_free(&msg);
	imap_body_plan_free(&p);
	mailimap_body_free(bs);
	buf_release(&out);
	buf_release(&t);
}

static void test_plan_single(void)
{
	struct mailimap_body *bs = text_part("plain", 300000, NULL);
	struct imap_body_plan *p = NULL;
	struct mail_msg *msg = NULL;
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN], **cmds;
	uint64_t omitted = 9;
	size_t n = 0;

	buf_init(&out);
	T_INT(imap_body_plan_new(bs, &p, err, sizeof(err)), WARY_OK, "a single part is planned");
	cmds = imap_body_plan_commands(p, 7, 4000, &n);
	T_STR(n == 1 ? cmds[0] : NULL, "UID FETCH 7 (BODY.PEEK[HEADER] BODY.PEEK[1])",
	      "a big text message: its header and its body");
	store_keys_free(cmds, n);
	take(p, "HEADER", "Subject: long\r\nContent-Type: text/plain\r\n\r\n");
	take(p, "1", "line\r\nline\r\n");
	T_INT(imap_body_plan_assemble(p, &out, &omitted, err, sizeof(err)), WARY_OK, "assembled");
	T_INT(omitted, 0, "nothing left out");
	T_STR(out.data, "Subject: long\r\nContent-Type: text/plain\r\n\r\nline\r\nline\r\n",
	      "the message as it was");
	imap_body_plan_free(&p);
	mailimap_body_free(bs);
	buf_reset(&out);

	/* A message that is one big image: header only, marked. */
	bs = basic_part(MAILIMAP_MEDIA_BASIC_IMAGE, "png", 900000, "x.png");
	T_INT(imap_body_plan_new(bs, &p, err, sizeof(err)), WARY_OK, "a single image is planned");
	cmds = imap_body_plan_commands(p, 7, 4000, &n);
	T_STR(n == 1 ? cmds[0] : NULL, "UID FETCH 7 (BODY.PEEK[HEADER])", "only its header");
	store_keys_free(cmds, n);
	take(p, "HEADER", "Subject: pic\r\nContent-Type: image/png\r\n\r\n");
	T_INT(imap_body_plan_assemble(p, &out, &omitted, err, sizeof(err)), WARY_OK, "assembled");
	T_OK(mail_parse(out.data, out.len, &msg, err, sizeof(err)) == WARY_OK &&
	             mail_part_header(mail_root(msg), "X-Wary-Omitted") != NULL,
	     "the root is marked left out");
	T_INT(omitted, 900000, "900000 bytes left out");
	mail_free(&msg);
	imap_body_plan_free(&p);
	mailimap_body_free(bs);
	buf_release(&out);
}

static void test_plan_hostile(void)
{
	struct imap_body_plan *p = NULL;
	struct mailimap_body *bs, *one;
	struct mail_msg *msg = NULL;
	struct buf out = BUF_INIT, big = BUF_INIT;
	char err[WARY_ERRLEN], **cmds;
	uint64_t omitted;
	size_t n = 0;

	buf_init(&out);
	buf_init(&big);
	T_INT(imap_body_plan_new(NULL, &p, err, sizeof(err)), WARY_ELIMIT,
	      "no BODYSTRUCTURE: fetch whole");

	/* 100 levels deep: over the limit, so fetched whole. */
	bs = text_part("plain", 10, NULL);
	for (int i = 0; i < 100; i++)
		bs = multi("mixed", &bs, 1);
	T_INT(imap_body_plan_new(bs, &p, err, sizeof(err)), WARY_ELIMIT, "100 levels: refused");
	T_OK(p == NULL, "and no plan");
	mailimap_body_free(bs);

	/* 20 levels: fine, and the result parses to the same depth. */
	bs = text_part("plain", 10, NULL);
	for (int i = 0; i < 20; i++)
		bs = multi("mixed", &bs, 1);
	T_INT(imap_body_plan_new(bs, &p, err, sizeof(err)), WARY_OK, "20 levels: planned");
	take(p, "HEADER", "Subject: deep\r\n\r\n");
	take(p, "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1", "deep text");
	T_INT(imap_body_plan_assemble(p, &out, &omitted, err, sizeof(err)), WARY_OK, "assembled");
	T_OK(mail_parse(out.data, out.len, &msg, err, sizeof(err)) == WARY_OK &&
	             find_type(mail_root(msg), "text/plain") != NULL,
	     "the deep text part is found by the parser");
	mail_free(&msg);
	imap_body_plan_free(&p);
	mailimap_body_free(bs);
	buf_reset(&out);

	/* 100000 parts in one multipart: refused before any is looked at. */
	{
		size_t count = 100000;
		struct mailimap_body **v = xcalloc(count, sizeof(*v));

		for (size_t i = 0; i < count; i++)
			v[i] = basic_part(MAILIMAP_MEDIA_BASIC_IMAGE, "gif", 10, NULL);
		bs = multi("mixed", v, count);
		free(v);
		T_INT(imap_body_plan_new(bs, &p, err, sizeof(err)), WARY_ELIMIT, "100000 parts: refused");
		mailimap_body_free(bs);
	}
	/* 4000 parts: planned, asked for in many short lines, every one
	 * kept in the result (headers made up where none came). */
	{
		size_t count = 4000;
		struct mailimap_body **v = xcalloc(count, sizeof(*v));
		bool short_lines = true;

		for (size_t i = 0; i < count; i++)
			v[i] = basic_part(MAILIMAP_MEDIA_BASIC_IMAGE, "gif", 10, "a\r\nb\"c.gif");
		bs = multi("mixed", v, count);
		free(v);
		T_INT(imap_body_plan_new(bs, &p, err, sizeof(err)), WARY_OK, "4000 parts: planned");
		cmds = imap_body_plan_commands(p, 1, 4000, &n);
		for (size_t i = 0; i < n; i++)
			if (strlen(cmds[i]) > 4000 || !str_starts_with(cmds[i], "UID FETCH 1 ("))
				short_lines = false;
		T_OK(n > 10 && short_lines, "the sections go out in lines of at most 4000 bytes");
		store_keys_free(cmds, n);
		take(p, "HEADER", "Subject: many\r\n\r\n");
		T_INT(imap_body_plan_assemble(p, &out, &omitted, err, sizeof(err)), WARY_OK,
		      "assembled without any MIME header");
		T_OK(mail_parse(out.data, out.len, &msg, err, sizeof(err)) == WARY_OK &&
		             mail_part_count_children(mail_root(msg)) == 4000,
		     "the parser sees 4000 parts");
		T_STR(msg ? mail_part_filename(mail_part_child(mail_root(msg), 3999)) : NULL, "abc.gif",
		      "a name from the BODYSTRUCTURE loses its CR, LF and quote");
		T_INT(omitted, 40000, "their sizes add up");
		mail_free(&msg);
		imap_body_plan_free(&p);
		mailimap_body_free(bs);
		buf_reset(&out);
	}

	/* Lying sizes: a text part announced at 10 bytes arrives at 5 MB;
	 * one announced at 4 GB is not asked for at all. */
	{
		struct mailimap_body *v[2] = {text_part("plain", 10, NULL),
		                              text_part("html", UINT32_MAX, NULL)};

		bs = multi("mixed", v, 2);
		T_INT(imap_body_plan_new(bs, &p, err, sizeof(err)), WARY_OK, "lying sizes: planned");
		cmds = imap_body_plan_commands(p, 1, 4000, &n);
		T_OK(n == 1 && strstr(cmds[0], "BODY.PEEK[1]") != NULL &&
		             strstr(cmds[0], "BODY.PEEK[2]") == NULL,
		     "a text part of 4 GB is not asked for");
		store_keys_free(cmds, n);
		take(p, "HEADER", "Subject: liar\r\n\r\n");
		buf_grow(&big, 5 * 1024 * 1024);
		memset(big.data, 'x', 5 * 1024 * 1024);
		big.len = 5 * 1024 * 1024;
		imap_body_plan_take(p, "1", big.data, big.len);
		T_INT(imap_body_plan_assemble(p, &out, &omitted, err, sizeof(err)), WARY_OK, "assembled");
		T_OK(out.len < 4096, "the 5 MB the server sent instead of 10 bytes are not kept");
		T_INT(omitted, 5 * 1024 * 1024 + (uint64_t)UINT32_MAX, "both count as left out");
		imap_body_plan_free(&p);
		mailimap_body_free(bs);
		buf_reset(&out);
	}

	/* A subtype that would write a header of its own. */
	one = text_part("plain", 10, NULL);
	bs = multi("mixed\r\nX-Evil: 1", &one, 1);
	T_INT(imap_body_plan_new(bs, &p, err, sizeof(err)), WARY_OK, "a bad subtype: planned");
	take(p, "HEADER", "Subject: x\r\n\r\n");
	T_INT(imap_body_plan_assemble(p, &out, &omitted, err, sizeof(err)), WARY_OK, "assembled");
	T_OK(strstr(out.data, "X-Evil") == NULL && strstr(out.data, "multipart/mixed;") != NULL,
	     "a subtype that is not a token becomes mixed");
	imap_body_plan_free(&p);
	mailimap_body_free(bs);
	buf_reset(&out);

	/* No header from the server: nothing to show, an error. */
	one = text_part("plain", 10, NULL);
	bs = multi("mixed", &one, 1);
	imap_body_plan_new(bs, &p, err, sizeof(err));
	T_INT(imap_body_plan_assemble(p, &out, &omitted, err, sizeof(err)), WARY_EPARSE,
	      "no header: an error, and the caller fetches whole");
	imap_body_plan_free(&p);
	mailimap_body_free(bs);
	buf_release(&out);
	buf_release(&big);
}

/* ---- parts cut by number ---- */

static const char NESTED[] =
	"Subject: n\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
	"preamble\r\n"
	"--B\r\nContent-Type: multipart/alternative; boundary=B2\r\n\r\n"
	"--B2\r\nContent-Type: text/plain\r\n\r\nplain\r\n--Bx is text\r\n"
	"--B2\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
	"--B2--\r\n"
	"--B\r\nContent-Type: message/rfc822\r\n\r\n"
	"Subject: inner\r\nContent-Type: multipart/mixed; boundary=\"I\"\r\n\r\n"
	"--I\r\nContent-Type: text/plain\r\n\r\ninner one\r\n"
	"--I\r\nContent-Type: application/zip\r\n\r\nUEsDBA==\r\n"
	"--I--\r\n"
	"--B\r\nContent-Type: application/pdf\r\n\r\nJVBERi0=\r\n"
	"--B--\r\n";

static char *cut(const char *msg, const char *id)
{
	size_t off = 0, len = 0;
	char err[WARY_ERRLEN];

	if (store_part_cut(msg, strlen(msg), id, &off, &len, err, sizeof(err)) != WARY_OK)
		return NULL;
	return xstrndup(msg + off, len);
}

static void test_cut(void)
{
	static const char single[] = "Subject: s\r\n\r\nbody\r\n";
	char *s;

	s = cut(NESTED, "1.1");
	T_STR(s, "Content-Type: text/plain\r\n\r\nplain\r\n--Bx is text", "1.1: a line --Bx stays text");
	free(s);
	s = cut(NESTED, "1.2");
	T_STR(s, "Content-Type: text/html\r\n\r\n<p>html</p>", "1.2");
	free(s);
	s = cut(NESTED, "2.2");
	T_STR(s, "Content-Type: application/zip\r\n\r\nUEsDBA==", "2.2: inside the message/rfc822");
	free(s);
	s = cut(NESTED, "3");
	T_STR(s, "Content-Type: application/pdf\r\n\r\nJVBERi0=", "3: the last part");
	free(s);
	s = cut(single, "1");
	T_STR(s, single, "part 1 of a message that is not multipart: all of it");
	free(s);
	T_OK(cut(NESTED, "4") == NULL, "no part 4");
	T_OK(cut(NESTED, "3.1") == NULL, "no part under a leaf");
	T_OK(cut(single, "2") == NULL, "no part 2 of a single part");
	T_OK(cut(NESTED, "0") == NULL && cut(NESTED, "01") == NULL && cut(NESTED, "1..1") == NULL &&
	             cut(NESTED, "") == NULL && cut(NESTED, "1.") == NULL &&
	             cut(NESTED, "99999999999") == NULL,
	     "malformed part numbers are refused");
	{
		struct buf deep = BUF_INIT;

		buf_init(&deep);
		for (int i = 0; i < 40; i++)
			buf_adds(&deep, i ? ".1" : "1");
		T_OK(!store_part_id_valid(deep.data), "a part number 40 deep is refused");
		buf_release(&deep);
	}
}

/* ---- the cache behind a fake link ---- */

struct fake {
	struct icache *ic;
	uint32_t uidvalidity, uidvalidity_after;
	unsigned commands;
	uint64_t served;
	size_t msg_size;
};

static void fake_state(void *ctx, uint32_t uid, struct imap_link_state *out)
{
	struct fake *f = ctx;

	(void)uid;
	memset(out, 0, sizeof(*out));
	out->ic = f->ic;
	out->folder = "INBOX";
	out->uidvalidity = f->commands > 0 && f->uidvalidity_after ? f->uidvalidity_after
	                                                           : f->uidvalidity;
	out->row_size = 100; /* small, as the index says: BODY.PEEK[] */
}

/* Answers "UID FETCH n (BODY.PEEK[])" with msg_size bytes naming n. */
static int fake_command(void *ctx, const char *line, imap_att_hook hook, void *hookctx, char *err,
                        size_t errlen)
{
	struct fake *f = ctx;
	unsigned uid = 0;
	struct buf body = BUF_INIT;
	struct mailimap_section whole = {NULL};
	struct mailimap_msg_att_static s_uid, s_body;
	struct mailimap_msg_att_body_section sec;
	struct mailimap_msg_att_item i_uid, i_body;
	struct mailimap_msg_att att;

	if (sscanf(line, "UID FETCH %u (BODY.PEEK[])", &uid) != 1)
		return err_set(err, errlen, WARY_ERR, "unexpected command %s", line);
	f->commands++;
	buf_init(&body);
	buf_addf(&body, "Subject: message %u\r\n\r\n", uid);
	while (body.len < f->msg_size)
		buf_addch(&body, 'a' + (char)(uid % 26));
	memset(&s_uid, 0, sizeof(s_uid));
	s_uid.att_type = MAILIMAP_MSG_ATT_UID;
	s_uid.att_data.att_uid = uid;
	memset(&sec, 0, sizeof(sec));
	sec.sec_section = &whole;
	sec.sec_body_part = body.data;
	sec.sec_length = body.len;
	memset(&s_body, 0, sizeof(s_body));
	s_body.att_type = MAILIMAP_MSG_ATT_BODY_SECTION;
	s_body.att_data.att_body_section = &sec;
	memset(&i_uid, 0, sizeof(i_uid));
	i_uid.att_type = MAILIMAP_MSG_ATT_ITEM_STATIC;
	i_uid.att_data.att_static = &s_uid;
	i_body = i_uid;
	i_body.att_data.att_static = &s_body;
	att.att_list = clist_new();
	att.att_number = 1;
	clist_append(att.att_list, &i_uid);
	clist_append(att.att_list, &i_body);
	hook(hookctx, &att);
	f->served += body.len;
	clist_free(att.att_list);
	buf_release(&body);
	return WARY_OK;
}

static int fetch(struct imap_body **b, struct fake *f, uint32_t uid, struct buf *out)
{
	struct imap_link l = {f, fake_state, fake_command};
	char err[WARY_ERRLEN];

	buf_reset(out);
	return imap_body_fetch(b, &l, uid, out, err, sizeof(err));
}

static void test_cache(void)
{
	struct imap_body *b = NULL;
	struct fake f;
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN];
	unsigned before;
	long rows, stale;
	int64_t bytes;

	buf_init(&out);
	memset(&f, 0, sizeof(f));
	f.uidvalidity = 7;
	f.msg_size = 1000;
	T_INT(icache_open(":memory:", &f.ic, err, sizeof(err)), WARY_OK, "a cache in memory");
	T_INT(fetch(&b, &f, 1, &out), WARY_OK, "a first fetch");
	T_INT(f.commands, 1, "goes to the server");
	T_OK(out.len == 1000 && str_starts_with(out.data, "Subject: message 1\r\n"),
	     "and brings the message");
	T_INT(fetch(&b, &f, 1, &out), WARY_OK, "a second fetch");
	T_INT(f.commands, 1, "does not");
	T_OK(out.len == 1000 && str_starts_with(out.data, "Subject: message 1\r\n"),
	     "and gives the same bytes");

	/* Damage: the recorded length no longer matches. */
	imap_body_cache_damage(f.ic, "INBOX", 1);
	T_INT(fetch(&b, &f, 1, &out), WARY_OK, "a damaged copy");
	T_INT(f.commands, 2, "is fetched again");
	T_OK(out.len == 1000, "whole");

	/* Least recently read first: 3 MB bodies in 16 MB (memory). */
	f.msg_size = 3 * 1024 * 1024;
	for (uint32_t uid = 10; uid < 15; uid++)
		fetch(&b, &f, uid, &out);
	before = f.commands;
	fetch(&b, &f, 10, &out); /* 10 read again: now the newest */
	T_INT(f.commands, before, "five of 3 MB fit");
	fetch(&b, &f, 15, &out); /* the sixth pushes out the least recent: 1, then 11 */
	imap_body_cache_count(f.ic, "INBOX", 7, &rows, &bytes, &stale);
	T_OK(bytes <= IMAP_BODY_CACHE_MEMORY, "the cache stays under its cap");
	before = f.commands;
	fetch(&b, &f, 10, &out);
	T_INT(f.commands, before, "the one read last stayed");
	fetch(&b, &f, 11, &out);
	T_INT(f.commands, before + 1, "the least recently read went");
	T_OK(imap_body_counters(b)->evicted >= 2, "evictions are counted");
	/* One body over a quarter of the cap is not kept. */
	f.msg_size = 5 * 1024 * 1024;
	before = f.commands;
	fetch(&b, &f, 30, &out);
	fetch(&b, &f, 30, &out);
	T_INT(f.commands, before + 2, "a body over a quarter of the cap is not cached");

	/* A new UIDVALIDITY: the old bodies go, UID 10 is asked again. */
	f.msg_size = 1000;
	f.uidvalidity = 8;
	before = f.commands;
	fetch(&b, &f, 10, &out);
	T_INT(f.commands, before + 1, "after a UIDVALIDITY change the server is asked");
	imap_body_cache_count(f.ic, "INBOX", 8, &rows, &bytes, &stale);
	T_INT(rows, 1, "only the new body is cached");
	T_INT(stale, 0, "none of the old UIDVALIDITY");

	/* The UIDVALIDITY changes while the command runs (a reconnect): the
	 * bytes are not handed out or kept. */
	f.uidvalidity_after = 9;
	f.commands = 0;
	T_INT(fetch(&b, &f, 50, &out), WARY_ENOENT, "a UIDVALIDITY that changed underway: refused");
	f.uidvalidity = 9;
	f.uidvalidity_after = 0;
	before = f.commands;
	fetch(&b, &f, 50, &out);
	T_INT(f.commands, before + 1, "and nothing was cached under it");

	imap_body_free(&b);
	icache_close(&f.ic);
	buf_release(&out);
}

/* Answers "UID FETCH n (BODYSTRUCTURE BODY.PEEK[2.MIME] BODY.PEEK[2])"
 * with part 2 of msg_size bytes naming n (no BODYSTRUCTURE: the part is
 * taken as there). */
static int fake_part_command(void *ctx, const char *line, imap_att_hook hook, void *hookctx,
                             char *err, size_t errlen)
{
	struct fake *f = ctx;
	unsigned uid = 0;
	uint32_t two = 2;
	struct buf body = BUF_INIT;
	clist *ids = clist_new();
	struct mailimap_section_part part = { ids };
	struct mailimap_section_text mime = { MAILIMAP_SECTION_TEXT_MIME, NULL };
	struct mailimap_section_spec sp_body, sp_mime;
	struct mailimap_section sec_body = { &sp_body }, sec_mime = { &sp_mime };
	struct mailimap_msg_att_body_section b_body, b_mime;
	struct mailimap_msg_att_static s_uid, s_body, s_mime;
	struct mailimap_msg_att_item i_uid, i_body, i_mime;
	struct mailimap_msg_att att;
	static char mime_text[] = "Content-Type: application/octet-stream\r\n\r\n";

	if (sscanf(line, "UID FETCH %u (BODYSTRUCTURE BODY.PEEK[2.MIME] BODY.PEEK[2])", &uid) != 1)
		return err_set(err, errlen, WARY_ERR, "unexpected command %s", line);
	f->commands++;
	clist_append(ids, &two);
	memset(&sp_body, 0, sizeof(sp_body));
	sp_body.sec_type = MAILIMAP_SECTION_SPEC_SECTION_PART;
	sp_body.sec_data.sec_part = &part;
	sp_mime = sp_body;
	sp_mime.sec_text = &mime;
	buf_init(&body);
	buf_addf(&body, "part of %u ", uid);
	while (body.len < f->msg_size)
		buf_addch(&body, 'a' + (char)(uid % 26));
	memset(&b_body, 0, sizeof(b_body));
	b_body.sec_section = &sec_body;
	b_body.sec_body_part = body.data;
	b_body.sec_length = body.len;
	b_mime = b_body;
	b_mime.sec_section = &sec_mime;
	b_mime.sec_body_part = mime_text;
	b_mime.sec_length = strlen(mime_text);
	memset(&s_uid, 0, sizeof(s_uid));
	s_uid.att_type = MAILIMAP_MSG_ATT_UID;
	s_uid.att_data.att_uid = uid;
	memset(&s_body, 0, sizeof(s_body));
	s_body.att_type = MAILIMAP_MSG_ATT_BODY_SECTION;
	s_body.att_data.att_body_section = &b_body;
	s_mime = s_body;
	s_mime.att_data.att_body_section = &b_mime;
	memset(&i_uid, 0, sizeof(i_uid));
	i_uid.att_type = MAILIMAP_MSG_ATT_ITEM_STATIC;
	i_uid.att_data.att_static = &s_uid;
	i_body = i_uid;
	i_body.att_data.att_static = &s_body;
	i_mime = i_uid;
	i_mime.att_data.att_static = &s_mime;
	att.att_list = clist_new();
	att.att_number = 1;
	clist_append(att.att_list, &i_uid);
	clist_append(att.att_list, &i_mime);
	clist_append(att.att_list, &i_body);
	hook(hookctx, &att);
	clist_free(att.att_list);
	clist_free(ids);
	buf_release(&body);
	return WARY_OK;
}

static int fetch_part(struct imap_body **b, struct fake *f, uint32_t uid, struct buf *out)
{
	struct imap_link l = {f, fake_state, fake_part_command};
	char err[WARY_ERRLEN];

	buf_reset(out);
	return imap_body_fetch_part(b, &l, uid, "2", out, err, sizeof(err));
}

/* Parts brought on demand are cached beside the bodies, in the same
 * budget and the same order of use. */
static void test_part_cache(void)
{
	struct imap_body *b = NULL;
	struct fake f;
	struct buf out = BUF_INIT, first = BUF_INIT;
	char err[WARY_ERRLEN];
	unsigned before;

	buf_init(&out);
	buf_init(&first);
	memset(&f, 0, sizeof(f));
	f.uidvalidity = 7;
	f.msg_size = 1000;
	T_INT(icache_open(":memory:", &f.ic, err, sizeof(err)), WARY_OK, "a cache in memory");
	T_INT(fetch_part(&b, &f, 1, &out), WARY_OK, "a part on demand");
	T_INT(f.commands, 1, "goes to the server");
	T_OK(str_starts_with(out.data, "Content-Type: application/octet-stream\r\n\r\npart of 1 "),
	     "its MIME header, an empty line, its body");
	buf_add(&first, out.data, out.len);
	T_INT(fetch_part(&b, &f, 1, &out), WARY_OK, "the same part again");
	T_INT(f.commands, 1, "needs no server");
	T_OK(out.len == first.len && memcmp(out.data, first.data, out.len) == 0,
	     "and gives the same bytes");
	T_INT(imap_body_counters(b)->parts_cached, 1, "counted as from the cache");

	/* 3 MB parts and bodies share 16 MB (memory): the least recently
	 * read of either kind goes first. */
	f.msg_size = 3 * 1024 * 1024;
	fetch_part(&b, &f, 20, &out);          /* part 20: oldest */
	for (uint32_t uid = 21; uid < 25; uid++)
		fetch(&b, &f, uid, &out);      /* four bodies */
	before = f.commands;
	fetch_part(&b, &f, 20, &out);          /* part 20 read again: newest */
	T_INT(f.commands, before, "parts and bodies: five of 3 MB fit");
	fetch(&b, &f, 25, &out);               /* pushes out body 21, not part 20 */
	before = f.commands;
	fetch_part(&b, &f, 20, &out);
	T_INT(f.commands, before, "the part read last stayed");
	fetch(&b, &f, 21, &out);
	T_INT(f.commands, before + 1, "the body read least recently went");

	/* A new UIDVALIDITY: the cached part means another message now. */
	f.msg_size = 1000;
	fetch_part(&b, &f, 1, &out);
	before = f.commands;
	fetch_part(&b, &f, 1, &out);
	T_INT(f.commands, before, "part 1 is cached under UIDVALIDITY 7");
	f.uidvalidity = 8;
	before = f.commands;
	T_INT(fetch_part(&b, &f, 1, &out), WARY_OK, "after a UIDVALIDITY change");
	T_INT(f.commands, before + 1, "the part is asked for again");

	imap_body_free(&b);
	icache_close(&f.ic);
	buf_release(&out);
	buf_release(&first);
}

int main(void)
{
	test_plan_normal();
	test_plan_single();
	test_plan_hostile();
	test_cut();
	test_cache();
	test_part_cache();
	pool_free();
	return t_done();
}
