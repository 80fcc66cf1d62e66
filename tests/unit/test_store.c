/* Tests for src/store: the Maildir backend, its header cache, the header
 * block reader and the date parser.  Every Maildir is built in a private
 * temporary directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/base.h"
#include "store/store.h"
#include "store/store_int.h"
#include "tests/unit/t.h"

static char err[WARY_ERRLEN];
static char *top; /* private temp dir */

/* ---- helpers ---- */

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
	close(fd);
}

static void put(const char *dir, const char *sub, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s/%s", dir, sub, name);

	write_file(p, text, strlen(text));
	free(p);
}

static char *mkmaildir(const char *rel)
{
	char *p = xasprintf("%s/%s", top, rel);
	static const char *const subs[] = { "cur", "new", "tmp" };

	fs_mkdir_p(p, 0700, NULL, 0);
	for (int i = 0; i < 3; i++) {
		char *s = xasprintf("%s/%s", p, subs[i]);

		mkdir(s, 0700);
		free(s);
	}
	return p;
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *p;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", path, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			chmod(p, 0700);
			rm_rf(p);
		} else {
			unlink(p);
		}
		free(p);
	}
	closedir(d);
	rmdir(path);
}

/* Number of entries (not starting with '.') in dir/sub. */
static int count_files(const char *dir, const char *sub)
{
	char *p = xasprintf("%s/%s", dir, sub);
	DIR *d = opendir(p);
	struct dirent *e;
	int n = 0;

	free(p);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The name in dir/sub that starts with prefix (caller frees), or NULL. */
static char *find_name(const char *dir, const char *sub, const char *prefix)
{
	char *p = xasprintf("%s/%s", dir, sub), *found = NULL;
	DIR *d = opendir(p);
	struct dirent *e;

	free(p);
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL)
		if (str_starts_with(e->d_name, prefix) && found == NULL)
			found = xstrdup(e->d_name);
	closedir(d);
	return found;
}

static bool has_name(const char *dir, const char *sub, const char *prefix)
{
	char *n = find_name(dir, sub, prefix);

	free(n);
	return n != NULL;
}

struct got {
	char *key, *from, *subject, *msgid, *refs, *ctype, *irt, *to;
	unsigned flags;
	time_t date;
	int64_t size;
};

struct coll {
	struct got *v;
	size_t n;
	size_t calls, first_n, last_done, last_total;
	bool monotone;
	char *first_batch_keys; /* "|k1|k2|..." */
	int cancel_after;       /* >0: cancel after this many calls */
	void (*hook)(struct coll *); /* run after the first batch */
	void *hook_arg;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int collect(void *ctx, struct store_row *rows, size_t n, size_t done, size_t total)
{
	struct coll *c = ctx;

	if (c->calls == 0) {
		struct buf b = BUF_INIT;

		buf_init(&b);
		c->first_n = n;
		c->monotone = true;
		for (size_t i = 0; i < n; i++)
			buf_addf(&b, "|%s", rows[i].key);
		buf_adds(&b, "|");
		c->first_batch_keys = buf_detach(&b, NULL);
	} else if (done < c->last_done) {
		c->monotone = false;
	}
	c->calls++;
	c->last_done = done;
	c->last_total = total;
	c->v = xreallocarray(c->v, c->n + n, sizeof(*c->v));
	for (size_t i = 0; i < n; i++) {
		struct got *g = &c->v[c->n++];

		g->key = xstrdup(rows[i].key);
		g->from = dup_or_null(rows[i].from);
		g->to = dup_or_null(rows[i].to);
		g->subject = dup_or_null(rows[i].subject);
		g->msgid = dup_or_null(rows[i].message_id);
		g->irt = dup_or_null(rows[i].in_reply_to);
		g->refs = dup_or_null(rows[i].references);
		g->ctype = dup_or_null(rows[i].content_type);
		g->flags = rows[i].flags;
		g->date = rows[i].date;
		g->size = rows[i].size;
	}
	if (c->calls == 1 && c->hook != NULL)
		c->hook(c);
	return c->cancel_after > 0 && (int)c->calls >= c->cancel_after;
}

static void coll_free(struct coll *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct got *g = &c->v[i];

		free(g->key);
		free(g->from);
		free(g->to);
		free(g->subject);
		free(g->msgid);
		free(g->irt);
		free(g->refs);
		free(g->ctype);
	}
	free(c->v);
	free(c->first_batch_keys);
	memset(c, 0, sizeof(*c));
}

static const struct got *by_key(const struct coll *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0)
			return &c->v[i];
	return NULL;
}

static int index_into(struct store *s, struct coll *c)
{
	coll_free(c);
	return store_index(s, collect, c, err, sizeof(err));
}

/* ---- flags, names and dates ---- */

static void test_flags(void)
{
	char info[16];

	maildir_flags_to_info(STORE_SEEN | STORE_DRAFT | STORE_DELETED | STORE_ANSWERED |
	                      STORE_FLAGGED | STORE_PASSED, info);
	T_STR(info, "2,DFPRST", "all flags, sorted");
	maildir_flags_to_info(0, info);
	T_STR(info, "2,", "no flags");
	maildir_flags_to_info(STORE_NEW | STORE_SEEN, info);
	T_STR(info, "2,S", "NEW is not an info letter");
	T_INT(maildir_info_to_flags("123.abc:2,FS"), STORE_FLAGGED | STORE_SEEN, "F and S");
	T_INT(maildir_info_to_flags("123.abc:2,Tabc"), STORE_DELETED, "keywords ignored");
	T_INT(maildir_info_to_flags("123.abc"), 0, "no info");
	T_INT(maildir_info_to_flags("123.a:b:2,R"), STORE_ANSWERED, "colon in the name");
	T_INT(maildir_info_to_flags("123.abc:1,S"), 0, "experimental info has no flags");
}

static void test_dates(void)
{
	static const struct {
		const char *in;
		long long want; /* -1: no date */
	} cases[] = {
		{ "Tue, 3 Jun 2008 11:05:30 +0000", 1212491130 },
		{ "Tue, 03 Jun 2008 11:05:30 -0700 (PDT)", 1212516330 },
		{ "3 Jun 2008 11:05 +0200", 1212483900 },
		{ "Tue, 3 Jun 08 11:05:30 GMT", 1212491130 },
		{ "Tue, 3 Jun 98 11:05:30 EST", 896889930 },
		{ "Tue Jun  3 11:05:30 2008", 1212491130 },
		{ "Tue, 3 June 2008 11:05:30 +0000", 1212491130 },
		{ "  (comment (nested)) Tue , 3 Jun 2008 11:05:30 +0000", 1212491130 },
		{ "Thu, 1 Jan 1970 00:00:00 +0000", 0 },
		{ "Sat, 29 Feb 2020 23:59:60 +0000", 1583020799 },
		{ "Fri, 31 Dec 1999 23:59:59 -1200", 946727999 },
		{ "", -1 },
		{ "yesterday", -1 },
		{ "Tue, 3 Foo 2008 11:05:30 +0000", -1 },
		{ "Tue, 3 Jun 2008", -1 },
		{ "Tue, 3 Jun 2008 25:05:30 +0000", -1 },
		{ "Tue, 99 Jun 2008 11:05:30 +0000", -1 },
		{ "99999999999999999999999 Jun 2008 11:05", -1 },
		{ "\xff\xfe\x01 Jun 11:11", -1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		time_t t = 0;
		bool ok = hdr_parse_date(cases[i].in, &t);
		char what[128];

		snprintf(what, sizeof(what), "date %zu: \"%.40s\"", i, cases[i].in);
		if (cases[i].want < 0) {
			T_OK(!ok, what);
		} else {
			T_OK(ok, what);
			T_INT((long long)t, cases[i].want, what);
		}
	}
	/* Random bytes never crash it. */
	{
		unsigned seed = 7;
		char s[64];

		for (int r = 0; r < 20000; r++) {
			time_t t;

			for (size_t i = 0; i < sizeof(s) - 1; i++) {
				seed = seed * 1103515245u + 12345u;
				s[i] = "0123456789 :+-(),JunFebGMTabc\\\x80"[(seed >> 16) % 32];
			}
			s[sizeof(s) - 1] = '\0';
			(void)hdr_parse_date(s, &t);
		}
		T_OK(1, "20000 random dates parsed without a crash");
	}
}

static void test_header_block(void)
{
	struct store_row r;
	const char *h = "From: Ada <ada@example.org>\r\nSubject: one\r\n two\r\n\tthree\r\n"
	                "subject: second\r\nX-Other: x\r\nTo:   b@example.org  \r\n"
	                "Message-ID : <m@x>\r\nContent-Type: multipart/mixed;\r\n boundary=x\r\n"
	                "\r\nbody\r\nFrom: not a header\r\n";

	memset(&r, 0, sizeof(r));
	T_INT(hdr_block_end(h, strlen(h)), (long long)(strstr(h, "\r\n\r\n") + 2 - h),
	      "block ends at the empty line");
	hdr_parse_block(h, strlen(h), &r);
	T_STR(r.from, "Ada <ada@example.org>", "From");
	T_STR(r.subject, "one two\tthree", "Subject unfolded, first one wins");
	T_STR(r.to, "b@example.org", "To trimmed");
	T_STR(r.message_id, "<m@x>", "space before the colon");
	T_STR(r.content_type, "multipart/mixed; boundary=x", "Content-Type unfolded");
	T_OK(r.references == NULL && r.in_reply_to == NULL, "absent fields are NULL");
	store_row_clear(&r);
	T_INT(hdr_block_end("\nbody", 5), 0, "empty header block");
	T_INT(hdr_block_end("A: b\nC: d", 9), (long long)SIZE_MAX, "no end inside");
	hdr_parse_block("Subject: a\0b\n\n", 14, &r);
	T_STR(r.subject, "a\xEF\xBF\xBD" "b", "NUL becomes U+FFFD");
	store_row_clear(&r);
	hdr_parse_block("garbage line\nSubject: ok\nno colon here\n", 38, &r);
	T_STR(r.subject, "ok", "lines without a colon are skipped");
	store_row_clear(&r);
}

/* ---- a small Maildir ---- */

static const char msg_a[] =
	"From: Ada <ada@example.org>\nTo: b@example.org\nSubject: Hello\n"
	"Date: Tue, 3 Jun 2008 11:05:30 +0000\nMessage-ID: <a@x>\n\nBody A\n";
static const char msg_b[] =
	"From: Bob <bob@example.org>\nSubject: Re: Hello\nIn-Reply-To: <a@x>\n"
	"References: <a@x>\nMessage-ID: <b@x>\n\nBody B\n";

static void test_basic(void)
{
	char *md = mkmaildir("basic");
	struct store *s = NULL;
	struct coll c;
	const struct got *g;
	struct buf b = BUF_INIT;
	char *name;

	memset(&c, 0, sizeof(c));
	buf_init(&b);
	put(md, "cur", "1212491130.M1P1.host:2,S", msg_a);
	put(md, "new", "1212491200.M2P1.host", msg_b);
	put(md, "cur", "1212491300.M3P1.host:2,FRab", "Subject: kw\n\nx\n");
	put(md, "cur", ".hidden", "Subject: hidden\n\n");
	put(md, "tmp", "1212491400.M4P1.host", "Subject: in tmp\n\n");
	T_INT(store_open(md, &s, err, sizeof(err)), WARY_OK, "open a Maildir");
	if (s == NULL)
		return;
	store_set_cache(s, NULL);
	T_STR(store_kind(s), "maildir", "kind");
	T_STR(store_current(s), "INBOX", "INBOX selected");
	T_STR(store_location(s), md, "location");
	T_INT(index_into(s, &c), WARY_OK, "index");
	T_INT(c.n, 3, "three messages (hidden and tmp/ skipped)");
	g = by_key(&c, "1212491130.M1P1.host");
	T_OK(g != NULL, "key is the name without info");
	if (g != NULL) {
		T_INT(g->flags, STORE_SEEN, "seen flag");
		T_STR(g->from, "Ada <ada@example.org>", "from");
		T_STR(g->subject, "Hello", "subject");
		T_STR(g->msgid, "<a@x>", "message-id");
		T_INT((long long)g->date, 1212491130, "date header");
		T_INT(g->size, (long long)strlen(msg_a), "size");
	}
	g = by_key(&c, "1212491200.M2P1.host");
	if (T_OK(g != NULL, "message in new/")) {
		T_INT(g->flags, STORE_NEW, "new/ gives STORE_NEW");
		T_STR(g->irt, "<a@x>", "in-reply-to");
		T_STR(g->refs, "<a@x>", "references");
		T_INT((long long)g->date, 1212491200, "no Date: delivery time from the name");
	}
	g = by_key(&c, "1212491300.M3P1.host");
	if (T_OK(g != NULL, "keyword message"))
		T_INT(g->flags, STORE_FLAGGED | STORE_ANSWERED, "F and R, keywords ignored");

	T_INT(store_fetch(s, "1212491130.M1P1.host", &b, err, sizeof(err)), WARY_OK, "fetch");
	T_STR(b.data, msg_a, "fetched bytes");
	buf_reset(&b);
	T_INT(store_fetch(s, "nope", &b, err, sizeof(err)), WARY_ENOENT, "fetch unknown key");

	/* Flags: new/ -> cur/ with info; keywords kept. */
	T_INT(store_set_flags(s, "1212491200.M2P1.host", STORE_SEEN, 0, err, sizeof(err)), WARY_OK,
	      "set seen on a new message");
	T_INT(count_files(md, "new"), 0, "it left new/");
	name = find_name(md, "cur", "1212491200.M2P1.host");
	T_STR(name, "1212491200.M2P1.host:2,S", "and is in cur/ with :2,S");
	free(name);
	T_INT(store_set_flags(s, "1212491300.M3P1.host", STORE_SEEN | STORE_DELETED, STORE_ANSWERED,
	                      err, sizeof(err)), WARY_OK, "set and clear");
	name = find_name(md, "cur", "1212491300.M3P1.host");
	T_STR(name, "1212491300.M3P1.host:2,FSTab", "sorted, keywords kept");
	free(name);
	T_INT(store_set_flags(s, "1212491300.M3P1.host", STORE_SEEN, 0, err, sizeof(err)), WARY_OK,
	      "no change is fine");
	T_INT(store_set_flags(s, "nope", STORE_SEEN, 0, err, sizeof(err)), WARY_ENOENT,
	      "flags of an unknown key");
	T_INT(index_into(s, &c), WARY_OK, "index again");
	g = by_key(&c, "1212491300.M3P1.host");
	if (T_OK(g != NULL, "key stable across flag changes"))
		T_INT(g->flags, STORE_FLAGGED | STORE_SEEN | STORE_DELETED, "new flags read back");

	T_INT(store_expunge(s, err, sizeof(err)), WARY_OK, "expunge");
	T_INT(count_files(md, "cur"), 2, "the T message is gone");
	T_OK(!has_name(md, "cur", "1212491300"), "it was the T one");
	T_INT(index_into(s, &c), WARY_OK, "index after expunge");
	T_INT(c.n, 2, "two left");

	/* Select errors. */
	T_INT(store_select(s, "../basic", err, sizeof(err)), WARY_ENOENT, "no climbing out");
	T_INT(store_select(s, "/etc", err, sizeof(err)), WARY_ENOENT, "no absolute ids");
	T_INT(store_select(s, "missing", err, sizeof(err)), WARY_ENOENT, "unknown folder");
	T_STR(store_current(s), "INBOX", "selection unchanged");
	buf_release(&b);
	coll_free(&c);
	store_free(&s);
	T_OK(s == NULL, "store_free clears");
	store_free(&s);
	free(md);
}

static void test_open_errors(void)
{
	struct store *s = NULL;
	char *file = xasprintf("%s/plainfile", top), *empty = xasprintf("%s/emptydir", top);

	write_file(file, "x", 1);
	mkdir(empty, 0700);
	T_INT(store_open(file, &s, err, sizeof(err)), WARY_EPARSE, "a file is not a Maildir");
	T_INT(store_open("/nonexistent/wary", &s, err, sizeof(err)), WARY_ENOENT, "missing path");
	T_INT(store_open(empty, &s, err, sizeof(err)), WARY_EPARSE, "empty directory");
	T_OK(s == NULL, "no store on error");
	T_INT(store_open("", &s, err, sizeof(err)), WARY_ENOENT, "empty location");
	free(file);
	free(empty);
}

/* ---- folders ---- */

static const struct store_folder *folder_named(const struct store_folder *v, size_t n,
                                               const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static void test_folders(void)
{
	char *root = mkmaildir("tree");
	char *sub = mkmaildir("tree/.Lists.wary"), *sent = mkmaildir("tree/.Sent");
	char *plain = mkmaildir("tree/Archive"), *deep = mkmaildir("tree/Archive/2020");
	char *junk = mkmaildir("tree/.Junk");
	struct store *s = NULL;
	struct store_folder *f = NULL;
	size_t n = 0;
	const struct store_folder *x;
	struct coll c;
	char *key = NULL;

	memset(&c, 0, sizeof(c));
	put(root, "new", "1.M1P1.h", "Subject: n\n\n");
	put(root, "cur", "2.M1P1.h:2,S", "Subject: s\n\n");
	put(root, "cur", "3.M1P1.h:2,", "Subject: u\n\n");
	put(sub, "cur", "4.M1P1.h:2,S", "Subject: in lists\n\n");
	if (!T_OK(store_open(root, &s, err, sizeof(err)) == WARY_OK, "open a tree"))
		return;
	store_set_cache(s, NULL);
	T_INT(store_list_folders(s, &f, &n, err, sizeof(err)), WARY_OK, "list folders");
	T_INT(n, 6, "INBOX, 3 Maildir++ and 2 plain folders");
	T_STR(n > 0 ? f[0].name : NULL, "INBOX", "INBOX first");
	if (n > 0) {
		T_INT(f[0].total, 3, "INBOX total");
		T_INT(f[0].unread, 2, "INBOX unread (new + unseen)");
		T_OK(f[0].special == NULL, "INBOX is not special");
	}
	x = folder_named(f, n, "Lists/wary");
	if (T_OK(x != NULL, "Maildir++ .Lists.wary is Lists/wary")) {
		T_STR(x->id, ".Lists.wary", "its id");
		T_INT(x->total, 1, "its total");
		T_INT(x->unread, 0, "its unread");
	}
	x = folder_named(f, n, "Sent");
	T_OK(x != NULL && x->special != NULL && strcmp(x->special, "sent") == 0, "Sent is special");
	x = folder_named(f, n, "Junk");
	T_OK(x != NULL && x->special != NULL && strcmp(x->special, "junk") == 0, "Junk is special");
	x = folder_named(f, n, "Archive/2020");
	T_OK(x != NULL && strcmp(x->id, "Archive/2020") == 0, "plain nested folder");
	x = folder_named(f, n, "Archive");
	T_OK(x != NULL && x->special && strcmp(x->special, "archive") == 0, "Archive is special");
	store_folders_free(&f, n);
	T_OK(f == NULL, "folders freed");

	T_INT(store_select(s, ".Lists.wary", err, sizeof(err)), WARY_OK, "select by id");
	T_STR(store_current(s), ".Lists.wary", "current folder");
	T_INT(index_into(s, &c), WARY_OK, "index the subfolder");
	T_INT(c.n, 1, "its one message");
	T_INT(store_select(s, "Lists/wary", err, sizeof(err)), WARY_OK, "select by name");
	T_STR(store_current(s), ".Lists.wary", "name resolves to the id");
	T_INT(store_append(s, "Sent", "Subject: sent\n\nx\n", 17, STORE_SEEN, &key, err,
	                   sizeof(err)), WARY_OK, "append to Sent");
	T_OK(key != NULL && strchr(key, ':') == NULL, "append returns a key without info");
	T_INT(count_files(sent, "cur"), 1, "appended into cur/");
	T_INT(count_files(sent, "tmp"), 0, "tmp/ left empty");
	free(key);
	key = NULL;
	T_INT(store_append(s, NULL, "Subject: new\n\n", 14, STORE_NEW, &key, err, sizeof(err)),
	      WARY_OK, "append NEW to the current folder");
	T_INT(count_files(sub, "new"), 1, "NEW goes to new/");
	free(key);
	T_INT(store_append(s, "Nope", "x", 1, 0, NULL, err, sizeof(err)), WARY_ENOENT,
	      "append to an unknown folder");
	coll_free(&c);
	store_free(&s);

	/* A folder of Maildirs without its own cur/new. */
	{
		char *r2 = xasprintf("%s/plainroot", top), *inbox = mkmaildir("plainroot/INBOX");
		char *work = mkmaildir("plainroot/work");

		T_INT(store_open(r2, &s, err, sizeof(err)), WARY_OK, "open a folder of Maildirs");
		if (s != NULL) {
			store_set_cache(s, NULL);
			T_STR(store_current(s), "INBOX", "its INBOX selected");
			T_INT(store_list_folders(s, &f, &n, err, sizeof(err)), WARY_OK, "list");
			T_INT(n, 2, "INBOX and work");
			store_folders_free(&f, n);
			T_INT(store_select(s, "work", err, sizeof(err)), WARY_OK, "select work");
			store_free(&s);
		}
		free(r2);
		free(inbox);
		free(work);
	}
	free(root);
	free(sub);
	free(sent);
	free(plain);
	free(deep);
	free(junk);
}

/* ---- delivery ---- */

static void test_deliver(void)
{
	char *md = xasprintf("%s/deliver/box", top), *name = NULL, *path;
	struct stat st;
	const char *p;

	T_INT(maildir_deliver(md, "Subject: d\n\nx\n", 14, STORE_NEW, &name, err, sizeof(err)),
	      WARY_OK, "deliver creates the Maildir");
	T_INT(count_files(md, "new"), 1, "one file in new/");
	T_INT(count_files(md, "tmp"), 0, "nothing left in tmp/");
	T_OK(name != NULL && strchr(name, '/') == NULL && strchr(name, ':') == NULL,
	     "name without / or :");
	/* time.M<usec>P<pid>R<hex>.host */
	p = name ? name : "";
	while (*p >= '0' && *p <= '9')
		p++;
	T_OK(p != name && str_starts_with(p, ".M"), "starts with the time, then .M");
	T_OK(strstr(name ? name : "", "P") != NULL && strstr(name ? name : "", "R") != NULL,
	     "has P<pid> and R<random>");
	path = xasprintf("%s/new/%s", md, name ? name : "");
	T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "file is 0600");
	free(path);
	free(name);
	name = NULL;
	T_INT(maildir_deliver(md, "x", 1, STORE_SEEN | STORE_FLAGGED, &name, err, sizeof(err)),
	      WARY_OK, "deliver with flags");
	T_OK(name != NULL && strstr(name, ":2,FS") != NULL, "cur/ name has :2,FS");
	T_INT(count_files(md, "cur"), 1, "into cur/");
	free(name);
	for (int i = 0; i < 200; i++)
		maildir_deliver(md, "y", 1, STORE_NEW, NULL, err, sizeof(err));
	T_INT(count_files(md, "new"), 201, "200 quick deliveries, all unique");
	{
		char *bad = xasprintf("%s/deliver/file", top);

		write_file(bad, "x", 1);
		T_OK(maildir_deliver(bad, "x", 1, 0, NULL, err, sizeof(err)) != WARY_OK,
		     "deliver into a file fails cleanly");
		free(bad);
	}
	free(md);
}

/* ---- copy and move, and their failures ---- */

static void test_copy_move(void)
{
	char *src = mkmaildir("cm"), *dst = mkmaildir("cm/.Dst");
	char *shm_parent = NULL, *far = NULL;
	struct store *s = NULL;
	struct buf b = BUF_INIT;
	char *name;

	buf_init(&b);
	put(src, "cur", "100.M1P1.h:2,S", msg_a);
	put(src, "cur", "101.M1P1.h:2,F", msg_b);
	put(src, "new", "102.M1P1.h", "Subject: fresh\n\nz\n");
	put(src, "cur", "103.M1P1.h:2,", "Subject: stay\n\nz\n");
	put(src, "cur", "104.M1P1.h:2,", "Subject: cross\n\nz\n");
	if (!T_OK(store_open(src, &s, err, sizeof(err)) == WARY_OK, "open"))
		return;
	store_set_cache(s, NULL);

	T_INT(store_copy(s, "100.M1P1.h", ".Dst", err, sizeof(err)), WARY_OK, "copy");
	T_INT(count_files(dst, "cur"), 1, "copy in the target cur/");
	T_INT(count_files(src, "cur"), 4, "original still there");
	T_INT(count_files(dst, "tmp"), 0, "target tmp/ empty");
	{
		struct store *t = NULL;
		struct coll c;

		memset(&c, 0, sizeof(c));
		if (store_open(dst, &t, err, sizeof(err)) == WARY_OK) {
			store_set_cache(t, NULL);
			index_into(t, &c);
			T_INT(c.n, 1, "target indexes one message");
			if (c.n == 1) {
				T_STR(c.v[0].subject, "Hello", "same content");
				T_INT(c.v[0].flags, STORE_SEEN, "same flags");
			}
			coll_free(&c);
			store_free(&t);
		}
	}
	T_INT(store_copy(s, "102.M1P1.h", "Dst", err, sizeof(err)), WARY_OK, "copy a new message");
	T_INT(count_files(dst, "new"), 1, "a new message stays new");
	T_INT(store_copy(s, "nope", ".Dst", err, sizeof(err)), WARY_ENOENT, "copy unknown key");
	T_INT(store_copy(s, "100.M1P1.h", ".Nope", err, sizeof(err)), WARY_ENOENT,
	      "copy to unknown folder");

	T_INT(store_move(s, "101.M1P1.h", ".Dst", err, sizeof(err)), WARY_OK, "move, same fs");
	T_OK(!has_name(src, "cur", "101."), "gone from the source");
	name = find_name(dst, "cur", "101.M1P1.h");
	T_STR(name, "101.M1P1.h:2,F", "in the target with its name and flags");
	free(name);
	T_INT(store_fetch(s, "101.M1P1.h", &b, err, sizeof(err)), WARY_ENOENT,
	      "moved key no longer in the source");
	T_INT(store_move(s, "103.M1P1.h", "INBOX", err, sizeof(err)), WARY_OK,
	      "move into the same folder is a no-op");
	T_OK(has_name(src, "cur", "103."), "still there");

	/* Failure in the middle: target cur/ is not a directory. */
	{
		char *tcur = xasprintf("%s/cur", dst), *saved = xasprintf("%s/cur.saved", dst);

		rename(tcur, saved);
		write_file(tcur, "not a dir", 9);
		T_OK(store_move(s, "103.M1P1.h", ".Dst", err, sizeof(err)) != WARY_OK,
		     "move into a broken target fails");
		T_OK(has_name(src, "cur", "103.M1P1.h"), "the message is still in the source");
		unlink(tcur);
		rename(saved, tcur);
		free(tcur);
		free(saved);
	}
	/* Unwritable target (only meaningful without root's override). */
	if (geteuid() != 0) {
		char *tcur = xasprintf("%s/cur", dst), *ttmp = xasprintf("%s/tmp", dst);

		chmod(tcur, 0500);
		chmod(ttmp, 0500);
		T_OK(store_move(s, "103.M1P1.h", ".Dst", err, sizeof(err)) != WARY_OK,
		     "move into an unwritable target fails");
		T_OK(has_name(src, "cur", "103.M1P1.h"), "and leaves the source alone");
		chmod(tcur, 0700);
		chmod(ttmp, 0700);
		free(tcur);
		free(ttmp);
	} else {
		t_skip("move into an unwritable target", "running as root");
	}

	/* Another file system: copy-then-delete. */
	{
		struct stat a, bst;

		shm_parent = xstrdup("/dev/shm/wary-test-XXXXXX");
		if (mkdtemp(shm_parent) != NULL && stat(shm_parent, &a) == 0 && stat(top, &bst) == 0 &&
		    a.st_dev != bst.st_dev) {
			struct store *t = NULL;
			char *ttmp;

			far = xasprintf("%s/far", shm_parent);
			maildir_deliver(far, "seed", 4, 0, NULL, err, sizeof(err));
			/* Break tmp/ first: the copy must fail and nothing be lost. */
			ttmp = xasprintf("%s/tmp", far);
			rmdir(ttmp);
			write_file(ttmp, "x", 1);
			T_INT(store_open(far, &t, err, sizeof(err)), WARY_OK, "open the far Maildir");
			store_free(&t);
			{
				/* Moves go between folders of one store: link the far
				 * Maildir in as a folder of the source. */
				char *link_path = xasprintf("%s/.Far", src);

				T_OK(symlink(far, link_path) == 0, "far folder linked in");
				T_OK(store_move(s, "104.M1P1.h", ".Far", err, sizeof(err)) != WARY_OK,
				     "cross-fs move with a broken target fails");
				T_OK(has_name(src, "cur", "104.M1P1.h"), "source kept");
				unlink(ttmp);
				mkdir(ttmp, 0700);
				T_INT(store_move(s, "104.M1P1.h", ".Far", err, sizeof(err)), WARY_OK,
				      "cross-fs move (copy, fsync, then delete)");
				T_OK(!has_name(src, "cur", "104.M1P1.h"), "source removed");
				T_INT(count_files(far, "cur"), 2, "message in the far Maildir");
				unlink(link_path);
				free(link_path);
			}
			free(ttmp);
		} else {
			t_skip("cross-filesystem move", "/dev/shm is not another file system");
		}
	}
	buf_release(&b);
	store_free(&s);
	if (shm_parent != NULL)
		rm_rf(shm_parent);
	free(shm_parent);
	free(far);
	free(src);
	free(dst);
}

/* ---- files renamed or removed under us ---- */

static void test_renamed_under_us(void)
{
	char *md = mkmaildir("race"), *other = mkmaildir("race/.Other");
	struct store *s = NULL;
	struct coll c;
	struct buf b = BUF_INIT;
	char *from, *to, *name;

	memset(&c, 0, sizeof(c));
	buf_init(&b);
	put(md, "cur", "200.M1P1.h:2,", "Subject: r1\n\nbody1\n");
	put(md, "new", "201.M1P1.h", "Subject: r2\n\nbody2\n");
	put(md, "cur", "202.M1P1.h:2,", "Subject: r3\n\nbody3\n");
	put(md, "cur", "203.M1P1.h:2,", "Subject: r4\n\nbody4\n");
	if (!T_OK(store_open(md, &s, err, sizeof(err)) == WARY_OK, "open"))
		return;
	store_set_cache(s, NULL);
	index_into(s, &c);
	T_INT(c.n, 4, "indexed");

	/* Another client marks 200 seen. */
	from = xasprintf("%s/cur/200.M1P1.h:2,", md);
	to = xasprintf("%s/cur/200.M1P1.h:2,S", md);
	rename(from, to);
	free(from);
	free(to);
	T_INT(store_fetch(s, "200.M1P1.h", &b, err, sizeof(err)), WARY_OK, "fetch after rename");
	T_STR(b.data, "Subject: r1\n\nbody1\n", "right bytes");
	T_INT(store_set_flags(s, "200.M1P1.h", STORE_FLAGGED, 0, err, sizeof(err)), WARY_OK,
	      "set flags after rename");
	name = find_name(md, "cur", "200.");
	T_STR(name, "200.M1P1.h:2,FS", "their S and our F both kept");
	free(name);

	/* Another client moves 201 from new/ to cur/. */
	from = xasprintf("%s/new/201.M1P1.h", md);
	to = xasprintf("%s/cur/201.M1P1.h:2,", md);
	rename(from, to);
	free(from);
	free(to);
	T_INT(store_set_flags(s, "201.M1P1.h", STORE_SEEN, 0, err, sizeof(err)), WARY_OK,
	      "flags after new/ -> cur/ under us");
	name = find_name(md, "cur", "201.");
	T_STR(name, "201.M1P1.h:2,S", "found and renamed");
	free(name);

	/* And renames 202 just before we move it. */
	from = xasprintf("%s/cur/202.M1P1.h:2,", md);
	to = xasprintf("%s/cur/202.M1P1.h:2,R", md);
	rename(from, to);
	free(from);
	free(to);
	T_INT(store_move(s, "202.M1P1.h", ".Other", err, sizeof(err)), WARY_OK, "move after rename");
	name = find_name(other, "cur", "202.");
	T_STR(name, "202.M1P1.h:2,R", "moved with the other client's flags");
	free(name);
	T_OK(!has_name(md, "cur", "202."), "and gone here");

	/* A message deleted by another client. */
	from = xasprintf("%s/cur/203.M1P1.h:2,", md);
	unlink(from);
	free(from);
	buf_reset(&b);
	T_INT(store_fetch(s, "203.M1P1.h", &b, err, sizeof(err)), WARY_ENOENT, "vanished: ENOENT");
	T_INT(store_set_flags(s, "203.M1P1.h", STORE_SEEN, 0, err, sizeof(err)), WARY_ENOENT,
	      "vanished: flags ENOENT");
	T_INT(store_move(s, "203.M1P1.h", ".Other", err, sizeof(err)), WARY_ENOENT,
	      "vanished: move ENOENT");
	buf_release(&b);
	coll_free(&c);
	store_free(&s);
	free(md);
	free(other);
}

/* During the first batch, rename some unread files and delete others. */
static void race_hook(struct coll *c)
{
	const char *md = c->hook_arg;

	for (int i = 0; i < 10; i++) {
		char *from = xasprintf("%s/cur/%d.M1P1.h:2,", md, 1000000000 + i);
		char *to = xasprintf("%s/cur/%d.M1P1.h:2,S", md, 1000000000 + i);

		rename(from, to);
		free(from);
		free(to);
	}
	for (int i = 10; i < 15; i++) {
		char *p = xasprintf("%s/cur/%d.M1P1.h:2,", md, 1000000000 + i);

		unlink(p);
		free(p);
	}
}

static void test_batches_and_races(void)
{
	char *md = mkmaildir("batch");
	struct store *s = NULL;
	struct coll c;
	char name[64], text[128];
	const struct got *g;

	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 1500; i++) {
		snprintf(name, sizeof(name), "%d.M1P1.h:2,", 1000000000 + i);
		snprintf(text, sizeof(text), "Subject: m%d\nMessage-ID: <%d@x>\n\nbody\n", i, i);
		put(md, "cur", name, text);
	}
	if (!T_OK(store_open(md, &s, err, sizeof(err)) == WARY_OK, "open 1500"))
		return;
	store_set_cache(s, NULL);
	T_INT(index_into(s, &c), WARY_OK, "index 1500");
	T_INT(c.n, 1500, "all rows");
	T_INT(c.first_n, 200, "first batch is 200 rows");
	T_OK(c.first_batch_keys && strstr(c.first_batch_keys, "|1000001499.M1P1.h|") &&
	     strstr(c.first_batch_keys, "|1000001300.M1P1.h|") &&
	     !strstr(c.first_batch_keys, "|1000001299.M1P1.h|"), "the first batch is the newest 200");
	T_INT(c.calls, 3, "then batches of 1000");
	T_OK(c.monotone, "progress only grows");
	T_INT(c.last_done, 1500, "done reaches the total");
	T_INT(c.last_total, 1500, "total");

	c.cancel_after = 1;
	coll_free(&c);
	c.cancel_after = 1;
	T_INT(store_index(s, collect, &c, err, sizeof(err)), WARY_OK, "cancelled index");
	T_INT(c.n, 200, "stops after the callback asks");
	coll_free(&c);

	c.hook = race_hook;
	c.hook_arg = md;
	T_INT(store_index(s, collect, &c, err, sizeof(err)), WARY_OK, "index with files changing");
	T_INT(c.n, 1495, "renamed ones found again, deleted ones skipped");
	g = by_key(&c, "1000000003.M1P1.h");
	T_OK(g != NULL && g->flags == STORE_SEEN, "renamed file read under its new name");
	T_OK(by_key(&c, "1000000012.M1P1.h") == NULL, "deleted file skipped");
	coll_free(&c);
	store_free(&s);
	free(md);
}

/* ---- check ---- */

static void test_check(void)
{
	char *md = mkmaildir("check");
	struct store *s = NULL;
	struct coll c;
	bool changed = true;
	char **gone = NULL;
	size_t ngone = 0;
	char *p;

	memset(&c, 0, sizeof(c));
	put(md, "cur", "300.M1P1.h:2,S", "Subject: a\n\n");
	put(md, "cur", "301.M1P1.h:2,S", "Subject: b\n\n");
	if (!T_OK(store_open(md, &s, err, sizeof(err)) == WARY_OK, "open"))
		return;
	store_set_cache(s, NULL);
	index_into(s, &c);
	T_INT(store_check(s, &changed, err, sizeof(err)), WARY_OK, "check");
	T_OK(!changed, "nothing new");
	put(md, "new", "302.M1P1.h", "Subject: c\n\n");
	T_INT(store_check(s, &changed, err, sizeof(err)), WARY_OK, "check again");
	T_OK(changed, "new mail noticed");
	T_INT(store_check(s, &changed, err, sizeof(err)), WARY_OK, "and again");
	T_OK(!changed, "only once");
	put(md, "cur", "303.M1P1.h:2,", "Subject: d\n\n");
	p = xasprintf("%s/cur/300.M1P1.h:2,S", md);
	unlink(p);
	free(p);
	coll_free(&c);
	T_INT(store_check_changes(s, collect, &c, &gone, &ngone, err, sizeof(err)), WARY_OK,
	      "check with details");
	T_INT(c.n, 1, "one new row");
	T_OK(c.n == 1 && strcmp(c.v[0].subject, "d") == 0, "the new message's row");
	T_INT(ngone, 1, "one vanished");
	T_STR(ngone == 1 ? gone[0] : NULL, "300.M1P1.h", "its key");
	store_keys_free(gone, ngone);
	p = xasprintf("%s/cur/301.M1P1.h:2,S", md);
	{
		char *q = xasprintf("%s/cur/301.M1P1.h:2,FS", md);

		rename(p, q);
		free(q);
	}
	free(p);
	coll_free(&c);
	T_INT(store_check_changes(s, collect, &c, &gone, &ngone, err, sizeof(err)), WARY_OK,
	      "check a flag change");
	T_OK(c.n == 1 && c.v[0].flags == (STORE_FLAGGED | STORE_SEEN), "changed flags reported");
	T_INT(ngone, 0, "nothing vanished");
	store_keys_free(gone, ngone);
	coll_free(&c);
	store_free(&s);
	free(md);
}

/* ---- hostile files ---- */

static void test_hostile(void)
{
	char *md = mkmaildir("hostile");
	struct store *s = NULL;
	struct coll c;
	struct buf big = BUF_INIT;
	const struct got *g;
	char *p;

	memset(&c, 0, sizeof(c));
	buf_init(&big);
	{
		static const char nul[] = "From: evil@x\0<good@bank.example>\nSubject: n\0l\n\nbody\0\n";

		p = xasprintf("%s/cur/400.nul:2,", md);
		write_file(p, nul, sizeof(nul) - 1);
		free(p);
	}
	put(md, "cur", "401.nosep:2,", "Subject: no separator\nFrom: x@y\nX-A: b");
	buf_adds(&big, "Subject: ");
	while (big.len < 2 * 1024 * 1024)
		buf_adds(&big, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	buf_adds(&big, "\nFrom: after@long\n\nbody\n");
	p = xasprintf("%s/cur/402.hugeline:2,", md);
	write_file(p, big.data, big.len);
	free(p);
	buf_reset(&big);
	for (int i = 0; i < 1000; i++)
		buf_addf(&big, "Received: from host%d.example by relay with ESMTP id %d\n", i, i);
	buf_adds(&big, "Subject: after 50 KB of Received\n\nbody\n");
	p = xasprintf("%s/cur/403.longblock:2,", md);
	write_file(p, big.data, big.len);
	free(p);
	buf_reset(&big);
	{
		unsigned seed = 99;

		for (int i = 0; i < 50000; i++) {
			seed = seed * 1103515245u + 12345u;
			buf_addch(&big, (int)((seed >> 16) & 0xff));
		}
	}
	p = xasprintf("%s/cur/404.junk:2,", md);
	write_file(p, big.data, big.len);
	free(p);
	put(md, "cur", "405.empty:2,", "");
	put(md, "cur", "406.\x1b[31mred\x07\x01:2,S", "Subject: control name\n\n");
	put(md, "new", "407.\n\t name", "Subject: newline name\n\n");
	p = xasprintf("%s/cur/408.fifo:2,", md);
	T_OK(mkfifo(p, 0600) == 0, "a FIFO in cur/");
	free(p);
	p = xasprintf("%s/cur/409.dir", md);
	mkdir(p, 0700);
	free(p);
	buf_reset(&big);
	buf_adds(&big, "Subject: header block over 1 MB\n");
	while (big.len < 1100 * 1024)
		buf_adds(&big, "X-Pad: 0123456789012345678901234567890123456789012345678901234567\n");
	buf_adds(&big, "From: beyond@limit\n\nbody\n");
	p = xasprintf("%s/cur/410.bigblock:2,", md);
	write_file(p, big.data, big.len);
	free(p);
	put(md, "cur", "411.crlf:2,", "Subject: crlf\r\n folded\r\nFrom: a@b\r\n\r\nbody\r\n");

	if (!T_OK(store_open(md, &s, err, sizeof(err)) == WARY_OK, "open the hostile Maildir"))
		return;
	store_set_cache(s, NULL);
	T_INT(index_into(s, &c), WARY_OK, "index hostile files (FIFO must not hang)");
	T_INT(c.n, 10, "every regular file gives a row; FIFO and directory skipped");
	g = by_key(&c, "400.nul");
	T_OK(g && g->from && strstr(g->from, "\xEF\xBF\xBD<good@bank.example>") != NULL,
	     "NUL in From kept visible, the rest not cut off");
	g = by_key(&c, "401.nosep");
	T_OK(g && g->subject && strcmp(g->subject, "no separator") == 0, "no separator: headers read");
	g = by_key(&c, "402.hugeline");
	T_OK(g && g->subject && strlen(g->subject) <= STORE_MAX_VALUE && strlen(g->subject) > 1000,
	     "2 MB header line cut to the value limit");
	T_OK(g && g->from == NULL, "after a 2 MB line the block was cut (1 MB limit)");
	T_OK(g && g->size > 2 * 1024 * 1024, "size is the whole file");
	g = by_key(&c, "403.longblock");
	T_OK(g && g->subject && strcmp(g->subject, "after 50 KB of Received") == 0,
	     "block longer than the first read is extended");
	T_OK(by_key(&c, "404.junk") != NULL, "binary junk gives a row");
	g = by_key(&c, "405.empty");
	T_OK(g && g->size == 0 && g->subject == NULL, "empty file gives an empty row");
	g = by_key(&c, "406.\x1b[31mred\x07\x01");
	T_OK(g && g->flags == STORE_SEEN, "name with control characters is a key");
	g = by_key(&c, "407.\n\t name");
	T_OK(g && g->flags == STORE_NEW, "name with a newline is a key");
	g = by_key(&c, "410.bigblock");
	T_OK(g && g->subject && strcmp(g->subject, "header block over 1 MB") == 0 && g->from == NULL,
	     "a header block over 1 MB is truncated, the row still produced");
	g = by_key(&c, "411.crlf");
	T_OK(g && g->subject && strcmp(g->subject, "crlf folded") == 0 && g->from &&
	     strcmp(g->from, "a@b") == 0, "CRLF unfolded");
	{
		struct buf b = BUF_INIT;

		buf_init(&b);
		T_INT(store_fetch(s, "406.\x1b[31mred\x07\x01", &b, err, sizeof(err)), WARY_OK,
		      "fetch by a control-character key");
		T_STR(b.data, "Subject: control name\n\n", "its bytes");
		buf_release(&b);
		T_INT(store_set_flags(s, "407.\n\t name", STORE_SEEN, 0, err, sizeof(err)), WARY_OK,
		      "flags on a newline key");
	}
	T_OK(!by_key(&c, "408.fifo") && !by_key(&c, "409.dir"), "no rows for FIFO or directory");
	buf_release(&big);
	coll_free(&c);
	store_free(&s);
	free(md);
}

/* ---- the header cache ---- */

static int sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK)
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
}

/* Rewrite a message with new bytes but its old size and mtime. */
static void rewrite_same_stat(const char *path, const char *text)
{
	struct stat st;
	struct timespec ts[2];

	stat(path, &st);
	write_file(path, text, strlen(text));
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	utimensat(AT_FDCWD, path, ts, 0);
}

static const char *subject_of(const struct coll *c, const char *key)
{
	const struct got *g = by_key(c, key);

	return g ? g->subject : NULL;
}

static void test_cache(void)
{
	char *md = mkmaildir("cache"), *cpath = xasprintf("%s/hc/cache.db", top);
	char *m1 = xasprintf("%s/cur/500.M1P1.h:2,S", md);
	struct store *s = NULL;
	struct coll c;

	memset(&c, 0, sizeof(c));
	put(md, "cur", "500.M1P1.h:2,S", "Subject: original\n\nx\n");
	put(md, "cur", "501.M1P1.h:2,", "Subject: other\n\nx\n");
	if (!T_OK(store_open(md, &s, err, sizeof(err)) == WARY_OK, "open"))
		return;
	store_set_cache(s, cpath);
	T_STR(store_cache_path(s), cpath, "cache path set");
	T_INT(index_into(s, &c), WARY_OK, "cold index");
	T_INT(c.n, 2, "cold rows");
	T_INT(sql_int(cpath, "SELECT count(*) FROM hdr"), 2, "rows written to the cache");
	T_INT(sql_int(cpath, "PRAGMA user_version"), HCACHE_SCHEMA, "schema version recorded");
	{
		struct stat st;

		T_OK(stat(cpath, &st) == 0 && (st.st_mode & 0777) == 0600, "cache file is 0600");
	}

	/* Same size and mtime: the cached row is used (proof the cache is read). */
	rewrite_same_stat(m1, "Subject: CHANGED!\n\nx\n");
	T_INT(index_into(s, &c), WARY_OK, "warm index");
	T_STR(subject_of(&c, "500.M1P1.h"), "original", "warm index reads the cache");
	T_INT(c.v[0].flags | c.v[1].flags, STORE_SEEN, "flags come from the name, not the cache");
	/* A different mtime: the row is stale and read again. */
	{
		struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };

		utimensat(AT_FDCWD, m1, ts, 0);
	}
	T_INT(index_into(s, &c), WARY_OK, "index after mtime change");
	T_STR(subject_of(&c, "500.M1P1.h"), "CHANGED!", "stale row not trusted");
	put(md, "cur", "501.M1P1.h:2,", "Subject: other, longer now\n\nx\n");
	T_INT(index_into(s, &c), WARY_OK, "index after size change");
	T_STR(subject_of(&c, "501.M1P1.h"), "other, longer now", "size change re-read");
	store_free(&s);

	/* Garbage over the whole file. */
	write_file(cpath, "this is not an sqlite database at all, just junk bytes\n", 55);
	T_INT(store_open(md, &s, err, sizeof(err)), WARY_OK, "open");
	store_set_cache(s, cpath);
	T_INT(index_into(s, &c), WARY_OK, "index with a garbage cache");
	T_INT(c.n, 2, "rows correct");
	T_STR(subject_of(&c, "500.M1P1.h"), "CHANGED!", "values from the files");
	store_free(&s);
	T_INT(sql_int(cpath, "PRAGMA application_id"), 0x57415259, "cache rebuilt as ours");
	T_INT(sql_int(cpath, "SELECT count(*) FROM hdr"), 2, "and refilled");

	/* Another schema version. */
	sql_exec(cpath, "PRAGMA user_version = 999; UPDATE hdr SET subject = 'POISON';");
	T_INT(store_open(md, &s, err, sizeof(err)), WARY_OK, "open");
	store_set_cache(s, cpath);
	T_INT(index_into(s, &c), WARY_OK, "index with an old-version cache");
	T_STR(subject_of(&c, "501.M1P1.h"), "other, longer now", "old version not trusted");
	store_free(&s);
	T_INT(sql_int(cpath, "PRAGMA user_version"), HCACHE_SCHEMA, "rebuilt with our version");

	/* Damage inside the file (past the header page). */
	{
		int fd = open(cpath, O_WRONLY);
		char junk[4096];

		memset(junk, 0xA5, sizeof(junk));
		if (fd >= 0) {
			T_INT(pwrite(fd, junk, sizeof(junk), 4096), 4096, "damage page 2");
			close(fd);
		}
	}
	T_INT(store_open(md, &s, err, sizeof(err)), WARY_OK, "open");
	store_set_cache(s, cpath);
	T_INT(index_into(s, &c), WARY_OK, "index with a damaged cache");
	T_INT(c.n, 2, "rows still correct");
	T_OK(subject_of(&c, "501.M1P1.h") &&
	     strcmp(subject_of(&c, "501.M1P1.h"), "other, longer now") == 0, "values still right");
	T_INT(index_into(s, &c), WARY_OK, "index again");
	T_INT(c.n, 2, "and again");
	store_free(&s);
	T_OK(sql_int(cpath, "SELECT count(*) FROM hdr") == 2 ||
	     sql_int(cpath, "SELECT count(*) FROM hdr") == -1, "rebuilt or removed, never half");

	/* Pruning: a removed message's row goes away. */
	unlink(m1);
	T_INT(store_open(md, &s, err, sizeof(err)), WARY_OK, "open");
	store_set_cache(s, cpath);
	index_into(s, &c);
	index_into(s, &c);
	store_free(&s);
	T_INT(sql_int(cpath, "SELECT count(*) FROM hdr"), 1, "stale rows pruned");

	/* An SQLite file that is not ours is left alone. */
	{
		char *foreign = xasprintf("%s/hc/foreign.db", top);

		sql_exec(foreign, "CREATE TABLE precious (x); INSERT INTO precious VALUES (42);");
		T_INT(store_open(md, &s, err, sizeof(err)), WARY_OK, "open");
		store_set_cache(s, foreign);
		T_INT(index_into(s, &c), WARY_OK, "index with a foreign database as cache");
		T_INT(c.n, 1, "rows still right");
		store_free(&s);
		T_INT(sql_int(foreign, "SELECT x FROM precious"), 42, "foreign data untouched");
		free(foreign);
	}

	/* Default location and disabling. */
	{
		char *xdg = xasprintf("%s/xdgcache", top);
		char *want_dir = xasprintf("%s/wary/", xdg);

		setenv("XDG_CACHE_HOME", xdg, 1);
		T_INT(store_open(md, &s, err, sizeof(err)), WARY_OK, "open with XDG_CACHE_HOME");
		T_OK(store_cache_path(s) && str_starts_with(store_cache_path(s), want_dir),
		     "default cache under $XDG_CACHE_HOME/wary/");
		store_set_cache(s, NULL);
		T_OK(store_cache_path(s) == NULL, "cache disabled");
		index_into(s, &c);
		T_OK(access(want_dir, F_OK) != 0, "disabled cache writes nothing");
		store_free(&s);
		free(xdg);
		free(want_dir);
	}
	coll_free(&c);
	free(m1);
	free(md);
	free(cpath);
}

/* ---- 10k messages ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_10k(void)
{
	char *md = mkmaildir("tenk"), *cpath = xasprintf("%s/hc/tenk.db", top);
	struct store *s = NULL;
	struct coll c;
	char name[64], text[512];
	double t0, cold, warm;

	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "%d.M%dP1.h:2,%s", 1600000000 + i, i, i % 3 ? "S" : "");
		snprintf(text, sizeof(text),
		         "From: Sender %d <s%d@example.org>\nTo: r@example.org\nSubject: message %d\n"
		         "Date: Mon, 14 Sep 2020 12:%02d:%02d +0000\nMessage-ID: <%d@example.org>\n"
		         "\nbody %d\n", i, i, i, (i / 60) % 60, i % 60, i, i);
		put(md, "cur", name, text);
	}
	if (!T_OK(store_open(md, &s, err, sizeof(err)) == WARY_OK, "open 10k"))
		return;
	store_set_cache(s, cpath);
	t0 = now_s();
	T_INT(index_into(s, &c), WARY_OK, "cold index of 10k");
	cold = now_s() - t0;
	T_INT(c.n, 10000, "10k rows");
	{
		size_t unread = 0;

		for (size_t i = 0; i < c.n; i++)
			unread += !(c.v[i].flags & STORE_SEEN);
		T_INT(unread, 3334, "unread count from the names");
	}
	t0 = now_s();
	T_INT(index_into(s, &c), WARY_OK, "warm index of 10k");
	warm = now_s() - t0;
	T_INT(c.n, 10000, "10k rows from the cache");
	T_STR(subject_of(&c, "1600009999.M9999P1.h"), "message 9999", "a cached subject");
	printf("# 10k index: cold %.3f s, warm %.3f s\n", cold, warm);
	coll_free(&c);
	store_free(&s);
	free(md);
	free(cpath);
}

/* A copy owns every string: the source changed or freed leaves it whole,
 * and NULL fields stay NULL. */
static void test_row_copy(void)
{
	struct store_row src = { 0 }, dst;

	src.key = xstrdup("k1");
	src.flags = STORE_SEEN;
	src.date = 1234567890;
	src.size = 42;
	src.from = xstrdup("a@example.com");
	src.subject = xstrdup("subject");
	src.references = xstrdup("<r@x>");
	store_row_copy(&dst, &src);
	src.subject[0] = 'X';
	store_row_clear(&src);
	T_OK(!dst.packed && dst.flags == STORE_SEEN && dst.date == 1234567890 && dst.size == 42,
	     "store_row_copy: flags, date and size");
	T_STR(dst.key, "k1", "store_row_copy: the key is its own");
	T_STR(dst.subject, "subject", "store_row_copy: the subject is its own");
	T_STR(dst.references, "<r@x>", "store_row_copy: References too");
	T_OK(dst.to == NULL && dst.message_id == NULL && dst.content_type == NULL,
	     "store_row_copy: absent fields stay NULL");
	store_row_clear(&dst);
}

int main(void)
{
	struct buf dir = BUF_INIT;

	buf_init(&dir);
	if (fs_private_tmpdir(&dir, err, sizeof(err)) != WARY_OK) {
		printf("not ok 1 - private temp dir: %s\n", err);
		return 1;
	}
	top = dir.data;
	test_flags();
	test_dates();
	test_header_block();
	test_basic();
	test_open_errors();
	test_folders();
	test_deliver();
	test_copy_move();
	test_renamed_under_us();
	test_batches_and_races();
	test_check();
	test_hostile();
	test_cache();
	test_10k();
	test_row_copy();
	rm_rf(top);
	buf_release(&dir);
	return t_done();
}
