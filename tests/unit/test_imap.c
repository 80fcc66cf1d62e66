/* Tests for the server-free parts of the IMAP backend: flag names, UID
 * keys, addresses rebuilt from an ENVELOPE, SASL initial responses,
 * modified UTF-7 and the SQLite cache (UIDVALIDITY, damage, versions). */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "store/imap_int.h"
#include "store/store_int.h"
#include "store/store.h"
#include "tests/unit/t.h"

static char err[WARY_ERRLEN];

static void test_flags(void)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	T_INT(imap_flag_from_name("\\Seen", 5), STORE_SEEN, "\\Seen maps to seen");
	T_INT(imap_flag_from_name("\\sEEN", 5), STORE_SEEN, "flag names are case-insensitive");
	T_INT(imap_flag_from_name("$Forwarded", 10), STORE_PASSED, "$Forwarded maps to passed");
	T_INT(imap_flag_from_name("\\Recent", 7), STORE_NEW, "\\Recent maps to new");
	T_INT(imap_flag_from_name("\\Seenx", 6), 0, "a longer name is not \\Seen");
	T_INT(imap_flag_from_name("\\See", 4), 0, "a prefix is not \\Seen");
	T_INT(imap_flag_from_name("Junk", 4), 0, "other keywords are not ours");
	imap_flags_to_list(STORE_SEEN | STORE_FLAGGED | STORE_DELETED | STORE_NEW, &b);
	T_STR(b.data, "\\Seen \\Flagged \\Deleted", "flag list, \\Recent never sent");
	buf_reset(&b);
	imap_flags_to_list(0, &b);
	T_STR(b.data, "", "no flags, empty list");
	buf_reset(&b);
	imap_flags_to_list(STORE_ANSWERED | STORE_DRAFT | STORE_PASSED, &b);
	T_STR(b.data, "\\Answered \\Draft $Forwarded", "answered, draft, forwarded");
	buf_release(&b);
}

static void test_keys(void)
{
	uint32_t u = 0;

	T_OK(imap_key_to_uid("1", &u) && u == 1, "key 1");
	T_OK(imap_key_to_uid("4294967295", &u) && u == 4294967295u, "the largest UID");
	T_OK(!imap_key_to_uid("4294967296", &u), "past 2^32-1 refused");
	{
		static const uint32_t v[] = { 1, 9, 10, 99, 100, 65535, 1000000007u, 4294967295u };
		bool same = true;

		for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
			char k[IMAP_KEY_SIZE], want[16];
			uint32_t back = 0;

			snprintf(want, sizeof(want), "%u", v[i]);
			if (imap_uid_to_key(v[i], k) != strlen(want) || strcmp(k, want) != 0 ||
			    !imap_key_to_uid(k, &back) || back != v[i])
				same = false;
		}
		T_OK(same, "imap_uid_to_key writes what %u does, and it reads back");
	}
	T_OK(!imap_key_to_uid("0", &u), "UID 0 refused");
	T_OK(!imap_key_to_uid("012", &u), "leading zero refused");
	T_OK(!imap_key_to_uid("-1", &u), "sign refused");
	T_OK(!imap_key_to_uid("12a", &u), "trailing junk refused");
	T_OK(!imap_key_to_uid("", &u), "empty refused");
	T_OK(!imap_key_to_uid("99999999999999999999", &u), "overlong refused");
	T_OK(!imap_key_to_uid(NULL, &u), "NULL refused");
}

static void test_addr(void)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	imap_addr_format(&b, "Alice Example", "alice", "example.test");
	T_STR(b.data, "Alice Example <alice@example.test>", "plain phrase unquoted");
	buf_reset(&b);
	imap_addr_format(&b, "Doe, John", "john", "example.test");
	T_STR(b.data, "\"Doe, John\" <john@example.test>", "comma quoted");
	buf_reset(&b);
	imap_addr_format(&b, "a \"q\" \\b", "x", "h");
	T_STR(b.data, "\"a \\\"q\\\" \\\\b\" <x@h>", "quotes and backslashes escaped");
	buf_reset(&b);
	imap_addr_format(&b, "=?UTF-8?B?w6lsw6h2ZQ==?=", "e", "h.test");
	T_STR(b.data, "=?UTF-8?B?w6lsw6h2ZQ==?= <e@h.test>", "encoded-word kept raw, unquoted");
	buf_reset(&b);
	imap_addr_format(&b, "evil\r\nBcc: x", "e", "h");
	T_OK(strchr(b.data, '\r') == NULL && strchr(b.data, '\n') == NULL,
	     "CR/LF in a name cannot end the header");
	buf_reset(&b);
	imap_addr_format(&b, NULL, "bob", "example.test");
	T_STR(b.data, "bob@example.test", "no name: bare address");
	buf_reset(&b);
	imap_addr_format(&b, "", "undisclosed", NULL);
	T_STR(b.data, "undisclosed", "no host: mailbox only");
	buf_release(&b);
}

static void test_sasl(void)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	imap_base64(&b, "", 0);
	T_STR(b.data, "", "base64 of nothing");
	imap_base64(&b, "f", 1);
	T_STR(b.data, "Zg==", "base64 f");
	buf_reset(&b);
	imap_base64(&b, "fo", 2);
	T_STR(b.data, "Zm8=", "base64 fo");
	buf_reset(&b);
	imap_base64(&b, "foobar", 6);
	T_STR(b.data, "Zm9vYmFy", "base64 foobar (RFC 4648)");
	buf_reset(&b);
	imap_sasl_plain(&b, "alice", "pw");
	/* "\0alice\0pw" */
	T_STR(b.data, "AGFsaWNlAHB3", "PLAIN initial response");
	buf_reset(&b);
	imap_sasl_xoauth2(&b, "a@b", "tok");
	/* "user=a@b\1auth=Bearer tok\1\1" */
	T_STR(b.data, "dXNlcj1hQGIBYXV0aD1CZWFyZXIgdG9rAQE=", "XOAUTH2 initial response");
	buf_reset(&b);
	imap_sasl_oauthbearer(&b, "a,=b", "tok");
	/* "n,a=a=2C=3Db,\1auth=Bearer tok\1\1" */
	T_STR(b.data, "bixhPWE9MkM9M0RiLAFhdXRoPUJlYXJlciB0b2sBAQ==",
	      "OAUTHBEARER, with , and = in the user escaped");
	imap_buf_wipe(&b);
	T_OK(b.data != NULL && b.len == 0, "wiped buffer is empty and usable");
	buf_release(&b);
}

static void test_mutf7(void)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	T_OK(imap_mutf7_decode("INBOX", &b), "ASCII name");
	T_STR(b.data, "INBOX", "ASCII kept");
	buf_reset(&b);
	T_OK(imap_mutf7_decode("Entw&APw-rfe", &b), "ü in modified UTF-7");
	T_STR(b.data, "Entw\xc3\xbcrfe", "decoded to UTF-8");
	buf_reset(&b);
	T_OK(imap_mutf7_decode("&ZeVnLIqe-", &b), "RFC 3501 example (Japanese)");
	T_STR(b.data, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "decoded");
	buf_reset(&b);
	T_OK(imap_mutf7_decode("A&-B", &b), "&- is a literal &");
	T_STR(b.data, "A&B", "ampersand");
	buf_reset(&b);
	T_OK(imap_mutf7_decode("&2D3eAA-", &b), "a surrogate pair");
	T_STR(b.data, "\xf0\x9f\x98\x80", "U+1F600");
	buf_reset(&b);
	T_OK(!imap_mutf7_decode("&APw", &b), "unterminated refused");
	T_OK(!imap_mutf7_decode("&2D0-", &b), "lone high surrogate refused");
	T_OK(!imap_mutf7_decode("a\x1b[2Jb", &b), "control byte refused");
	T_OK(!imap_mutf7_decode("caf\xc3\xa9", &b), "8-bit refused");
	T_INT(b.len, 0, "nothing appended on refusal");
	buf_release(&b);

	T_STR(imap_special_of("\\Sent"), "sent", "\\Sent");
	T_STR(imap_special_of("Junk"), "junk", "Junk without backslash");
	T_STR(imap_special_of("\\ARCHIVE"), "archive", "case-insensitive");
	T_OK(imap_special_of("\\All") == NULL, "\\All is none of ours");
	T_INT(imap_caps_mask_parse("qresync, condstore,move"),
	      IMAP_CAP_QRESYNC | IMAP_CAP_CONDSTORE | IMAP_CAP_MOVE, "caps mask list");
	T_INT(imap_caps_mask_parse("nonsense"), 0, "unknown caps ignored");
}

/* ---- cache ---- */

struct got {
	uint32_t uids[16];
	char subj[16][32];
	unsigned flags[16];
	size_t n;
};

static int collect(void *ctx, uint32_t uid, struct store_row *row)
{
	struct got *g = ctx;

	if (g->n < 16) {
		g->uids[g->n] = uid;
		str_copy(g->subj[g->n], row->subject ? row->subject : "", sizeof(g->subj[0]));
		g->flags[g->n] = row->flags;
		g->n++;
	}
	return 0;
}

/* ctx: the row that was put; checks every value of the one read back. */
static int collect_row(void *ctx, uint32_t uid, struct store_row *row)
{
	const struct store_row *want = ctx;
	bool same = uid == 7 && row->packed && row->from && strcmp(row->from, want->from) == 0 &&
	            row->to && row->to[0] == '\0' && row->subject == NULL && row->message_id &&
	            strcmp(row->message_id, want->message_id) == 0 && row->in_reply_to == NULL &&
	            row->references && strlen(row->references) == STORE_MAX_VALUE &&
	            strncmp(row->references, want->references, STORE_MAX_VALUE) == 0 &&
	            row->content_type && strcmp(row->content_type, "text/plain") == 0;

	T_OK(same, "every value read back: absent stays absent, empty stays empty, long is cut");
	return 1;
}

static void put_row(struct icache *ic, const char *folder, uint32_t uid, const char *subject,
                    unsigned flags)
{
	struct store_row r;

	memset(&r, 0, sizeof(r));
	r.flags = flags;
	r.date = 1700000000 + uid;
	r.size = 100 + uid;
	r.subject = (char *)subject;
	r.from = (char *)"a@example.test";
	icache_put(ic, folder, uid, &r);
}

static void test_cache(const char *dir)
{
	char *path = xasprintf("%s/imap.db", dir);
	struct icache *ic = NULL;
	struct icache_folder f;
	struct got g;
	unsigned fl = 0;
	uint32_t *uids;
	size_t n;
	int fd;

	T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "cache created");
	T_OK(!icache_folder_get(ic, "INBOX", &f), "unknown folder: nothing cached");
	icache_folder_reset(ic, "INBOX", 77);
	icache_begin(ic);
	put_row(ic, "INBOX", 3, "three", STORE_SEEN);
	put_row(ic, "INBOX", 10, "ten", 0);
	put_row(ic, "INBOX", 7, "seven", STORE_FLAGGED);
	icache_folder_reset(ic, "Other", 5);
	put_row(ic, "Other", 5, "other", 0);
	/* the highest UID there is: the top of the folder's key range */
	put_row(ic, "Other", UINT32_MAX, "last", 0);
	/* no folder row: no row either (the key is made from the folder's id) */
	put_row(ic, "Nowhere", 5, "lost", 0);
	icache_folder_set_sync(ic, "INBOX", 1234, 11);
	T_INT(icache_commit(ic), WARY_OK, "commit");
	T_OK(icache_folder_get(ic, "INBOX", &f), "folder known");
	T_INT(f.uidvalidity, 77, "UIDVALIDITY kept");
	T_INT(f.modseq, 1234, "modseq kept");
	T_INT(f.uidnext, 11, "UIDNEXT kept");
	T_INT(f.maxuid, 10, "highest UID");
	T_INT(f.count, 3, "rows of this folder only");
	memset(&g, 0, sizeof(g));
	icache_scan(ic, "INBOX", collect, &g);
	T_INT(g.n, 3, "scan sees three rows");
	T_OK(g.uids[0] == 10 && g.uids[1] == 7 && g.uids[2] == 3, "newest (highest UID) first");
	T_STR(g.subj[1], "seven", "row fields come back");
	icache_set_flags(ic, "INBOX", 10, STORE_SEEN | STORE_ANSWERED);
	T_OK(icache_flags(ic, "INBOX", 10, &fl) && fl == (STORE_SEEN | STORE_ANSWERED),
	     "flags updated");
	T_OK(!icache_flags(ic, "INBOX", 11, &fl), "no flags for a UID not cached");
	icache_delete(ic, "INBOX", 7);
	uids = icache_uids(ic, "INBOX", &n);
	T_OK(n == 2 && uids[0] == 3 && uids[1] == 10, "delete removes one row; UIDs ascending");
	free(uids);
	uids = icache_uids_between(ic, "INBOX", 4, UINT32_MAX, &n);
	T_OK(n == 1 && uids[0] == 10, "UIDs in a range");
	free(uids);
	memset(&g, 0, sizeof(g));
	T_OK(icache_get(ic, "INBOX", 3, collect, &g) && g.n == 1 && strcmp(g.subj[0], "three") == 0,
	     "one row by UID");
	T_OK(!icache_get(ic, "INBOX", 7, collect, &g), "a deleted row is gone");
	icache_close(&ic);

	/* Reopen: everything still there. */
	T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "reopen");
	T_OK(icache_folder_get(ic, "INBOX", &f) && f.count == 2 && f.modseq == 1234,
	     "rows and modseq survive a reopen");
	/* A new UIDVALIDITY empties the folder, and only that folder. */
	icache_folder_reset(ic, "INBOX", 78);
	T_OK(icache_folder_get(ic, "INBOX", &f) && f.count == 0 && f.uidvalidity == 78 &&
	             f.modseq == 0,
	     "UIDVALIDITY change drops the rows and the modseq");
	T_OK(icache_folder_get(ic, "Other", &f) && f.uidvalidity == 5 && f.count == 2 &&
	             f.maxuid == UINT32_MAX,
	     "other folder's rows untouched, its highest UID read back");
	T_INT(icache_count(ic, "Nowhere"), 0, "a row for a folder without its row was not kept");
	memset(&g, 0, sizeof(g));
	T_OK(icache_get(ic, "Other", UINT32_MAX, collect, &g) && g.n == 1 &&
	             strcmp(g.subj[0], "last") == 0,
	     "the row of UID 2^32-1 by its UID");
	uids = icache_uids_between(ic, "Other", 6, UINT32_MAX, &n);
	T_OK(n == 1 && uids[0] == UINT32_MAX, "a range up to 2^32-1 ends in its folder");
	free(uids);
	uids = icache_uids(ic, "INBOX", &n);
	T_OK(n == 0, "the INBOX's range holds none of the other folder's rows");
	free(uids);
	icache_close(&ic);

	/* Another schema version: rebuilt, not trusted. */
	{
		sqlite3 *db = NULL;

		sqlite3_open(path, &db);
		sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "other version opens");
	T_INT(icache_count(ic, "Other"), 0, "other version: rebuilt empty");
	put_row(ic, "INBOX", 1, "one", 0);
	icache_close(&ic);

	/* A cache of the previous layout (schema 2: msg a rowid table with a
	 * separate index) is rebuilt, not read with the new one's queries. */
	{
		sqlite3 *db = NULL;

		unlink(path);
		sqlite3_open(path, &db);
		sqlite3_exec(db,
		             "PRAGMA application_id=1465014601; PRAGMA user_version=2;"
		             "CREATE TABLE folder (name TEXT PRIMARY KEY NOT NULL, uidvalidity INTEGER"
		             " NOT NULL, modseq INTEGER NOT NULL, uidnext INTEGER NOT NULL);"
		             "CREATE TABLE msg (folder TEXT NOT NULL, uid INTEGER NOT NULL, flags INTEGER"
		             " NOT NULL, date INTEGER NOT NULL, size INTEGER NOT NULL, hfrom TEXT, hto TEXT,"
		             " subject TEXT, msgid TEXT, irt TEXT, refs TEXT, ctype TEXT);"
		             "CREATE UNIQUE INDEX msg_uid ON msg (folder, uid);"
		             "INSERT INTO folder VALUES ('INBOX', 5, 9, 3);"
		             "INSERT INTO msg VALUES ('INBOX', 2, 0, 1, 1, 'a', 'b', 'old', '<x@y>', NULL,"
		             " NULL, NULL);",
		             NULL, NULL, NULL);
		sqlite3_close(db);
	}
	T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "schema 2 cache opens");
	T_OK(!icache_folder_get(ic, "INBOX", &f) && icache_count(ic, "INBOX") == 0,
	     "schema 2 cache: rebuilt empty, its rows not used");
	icache_folder_reset(ic, "INBOX", 5);
	put_row(ic, "INBOX", 4, "four", 0);
	put_row(ic, "INBOX", 9, "nine", 0);
	put_row(ic, "INBOX", 1, "one", 0);
	memset(&g, 0, sizeof(g));
	icache_scan(ic, "INBOX", collect, &g);
	T_OK(g.n == 3 && strcmp(g.subj[0], "nine") == 0 && strcmp(g.subj[1], "four") == 0 &&
	             strcmp(g.subj[2], "one") == 0,
	     "rebuilt cache: rows come back newest UID first");
	icache_close(&ic);

	/* Garbage over the file: rebuilt. */
	fd = open(path, O_WRONLY | O_TRUNC);
	T_OK(fd >= 0 && write(fd, "this is not sqlite at all, not even close.........", 50) == 50,
	     "file overwritten with garbage");
	close(fd);
	T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "garbage file opens");
	T_OK(!icache_folder_get(ic, "INBOX", &f) && icache_count(ic, "INBOX") == 0,
	     "garbage: rebuilt empty");
	icache_close(&ic);

	/* A cache of schema 3 (the header values in seven text columns) is
	 * rebuilt, not read as schema 4's blob. */
	{
		sqlite3 *db = NULL;

		unlink(path);
		sqlite3_open(path, &db);
		sqlite3_exec(db,
		             "PRAGMA application_id=1465014601; PRAGMA user_version=3;"
		             "CREATE TABLE folder (name TEXT PRIMARY KEY NOT NULL, uidvalidity INTEGER"
		             " NOT NULL, modseq INTEGER NOT NULL, uidnext INTEGER NOT NULL);"
		             "CREATE TABLE msg (folder TEXT NOT NULL, uid INTEGER NOT NULL, flags INTEGER"
		             " NOT NULL, date INTEGER NOT NULL, size INTEGER NOT NULL, hfrom TEXT, hto TEXT,"
		             " subject TEXT, msgid TEXT, irt TEXT, refs TEXT, ctype TEXT,"
		             " PRIMARY KEY (folder, uid)) WITHOUT ROWID;"
		             "INSERT INTO folder VALUES ('INBOX', 5, 9, 3);"
		             "INSERT INTO msg VALUES ('INBOX', 2, 0, 1, 1, 'a', 'b', 'old', '<x@y>', NULL,"
		             " NULL, NULL);",
		             NULL, NULL, NULL);
		sqlite3_close(db);
	}
	T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "schema 3 cache opens");
	T_OK(!icache_folder_get(ic, "INBOX", &f) && icache_count(ic, "INBOX") == 0,
	     "schema 3 cache: rebuilt empty, its rows not used");
	icache_close(&ic);

	/* Values that are absent, empty and long come back as they went in. */
	T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "open for the blob round trip");
	icache_folder_reset(ic, "INBOX", 5);
	{
		struct store_row r;
		struct buf big = BUF_INIT;

		for (int i = 0; i < 70000; i++)
			buf_add(&big, "r", 1);
		memset(&r, 0, sizeof(r));
		r.from = "Ann <a@x.test>";
		r.to = "";
		r.subject = NULL;
		r.message_id = "<id@x>";
		r.references = big.data;
		r.content_type = "text/plain";
		icache_put(ic, "INBOX", 7, &r);
		T_OK(icache_get(ic, "INBOX", 7, collect_row, &r) && !icache_broken(ic),
		     "a row with absent, empty and over-long values reads back");
		/* many at once: two statements of 32 rows and 7 one by one,
		 * the over-long row among them, UID 40 twice (the later row
		 * wins, as with separate statements) */
		{
			struct store_row rows[71];
			uint32_t u[71];
			char subj[71][16];
			bool all = true;

			for (int i = 0; i < 71; i++) {
				memset(&rows[i], 0, sizeof(rows[i]));
				u[i] = i == 70 ? 40 : (uint32_t)(i + 10);
				snprintf(subj[i], sizeof(subj[i]), "s%d", i);
				rows[i].subject = subj[i];
				rows[i].flags = (unsigned)i & STORE_SEEN;
				rows[i].date = 1700000000 + i;
				rows[i].size = i;
			}
			rows[33].references = big.data;
			icache_put_rows(ic, "INBOX", u, rows, 71);
			T_INT(icache_count(ic, "INBOX"), 71, "70 UIDs put at once, and the row before");
			for (int i = 0; i < 70; i++) {
				memset(&g, 0, sizeof(g));
				if (!icache_get(ic, "INBOX", u[i], collect, &g) || g.n != 1 ||
				    strcmp(g.subj[0], u[i] == 40 ? "s70" : subj[i]) != 0 ||
				    g.flags[0] != rows[i == 30 ? 70 : i].flags)
					all = false;
			}
			T_OK(all && !icache_broken(ic), "each row put at once reads back as it went in");
		}
		buf_release(&big);
	}
	icache_close(&ic);

	/* A row whose hdr is not what hdr_pack makes marks the cache broken
	 * instead of dropping one message silently. */
	{
		static const char *const damage[][2] = {
			{ "'text'", "text where the blob belongs" },
			{ "x'01'", "a value announced but missing" },
			{ "x'0161'", "a value without its NUL" },
			{ "x'01610062'", "bytes after the last value" },
			{ "x'01610000'", "an extra NUL" },
			{ "x'80'", "a bit for no field" },
			{ "x''", "an empty blob" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(damage); i++) {
			sqlite3 *db = NULL;
			char sql[160];

			T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "open for damage");
			icache_folder_reset(ic, "INBOX", 5);
			put_row(ic, "INBOX", 1, "one", 0);
			icache_close(&ic);
			sqlite3_open(path, &db);
			snprintf(sql, sizeof(sql), "UPDATE msg SET hdr = %s WHERE (k & 4294967295) = 1",
			         damage[i][0]);
			T_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, damage[i][1]);
			sqlite3_close(db);
			T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "open damaged rows");
			memset(&g, 0, sizeof(g));
			icache_scan(ic, "INBOX", collect, &g);
			T_OK(g.n == 0 && icache_broken(ic), "damaged hdr: cache broken, row not used");
			icache_destroy(&ic, path);
			T_OK(access(path, F_OK) != 0, "destroy removes the file");
		}
	}
	/* The one valid row with no values at all: read, not damage. */
	{
		sqlite3 *db = NULL;

		T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "open for an empty hdr");
		icache_folder_reset(ic, "INBOX", 5);
		put_row(ic, "INBOX", 1, "one", 0);
		icache_close(&ic);
		sqlite3_open(path, &db);
		sqlite3_exec(db, "UPDATE msg SET hdr = x'00' WHERE (k & 4294967295) = 1", NULL, NULL,
		             NULL);
		sqlite3_close(db);
		T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "open");
		memset(&g, 0, sizeof(g));
		icache_scan(ic, "INBOX", collect, &g);
		T_OK(g.n == 1 && g.subj[0][0] == '\0' && !icache_broken(ic),
		     "a row without header values reads as one");
		icache_destroy(&ic, path);
	}

	/* A database that belongs to something else is left alone. */
	{
		sqlite3 *db = NULL;

		sqlite3_open(path, &db);
		sqlite3_exec(db, "PRAGMA application_id=12345; CREATE TABLE t (x);", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	T_OK(icache_open(path, &ic, err, sizeof(err)) == WARY_ERR && ic == NULL,
	     "a foreign SQLite file is refused");
	T_OK(access(path, F_OK) == 0, "and not deleted");
	unlink(path);

	/* No cache configured: memory, same behaviour. */
	T_INT(icache_open(":memory:", &ic, err, sizeof(err)), WARY_OK, "in-memory cache");
	icache_folder_reset(ic, "INBOX", 1);
	put_row(ic, "INBOX", 2, "two", 0);
	T_INT(icache_count(ic, "INBOX"), 1, "in-memory rows");
	T_OK(access(":memory:", F_OK) != 0, "no file named :memory: created");
	icache_close(&ic);
	{
		struct stat st;

		T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "new file");
		T_OK(stat(path, &st) == 0 && (st.st_mode & 077) == 0, "cache file is private (0600)");
		icache_destroy(&ic, path);
	}
	free(path);
}

/* The outbox: order, what each entry keeps, attempted, removal, and that
 * it survives a close (a crash) and a rebuild of the cache rows. */
static void test_outbox(const char *dir)
{
	char *path = xasprintf("%s/outbox.db", dir);
	struct imap_outbox_entry e, got;
	struct icache *ic = NULL;
	static const char msg[] = "Message-ID: <a@x>\r\n\r\nbody with a \0 NUL";
	uint32_t *uids;
	size_t n;

	T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "outbox: cache created");
	T_INT(icache_outbox_count(ic), 0, "outbox: empty at first");
	T_OK(!icache_outbox_first(ic, &got), "outbox: no first entry when empty");
	memset(&e, 0, sizeof(e));
	e.op = IMAP_OP_FLAGS;
	e.folder = (char *)"INBOX";
	e.uidvalidity = 7;
	e.uid = 42;
	e.set = STORE_FLAGGED;
	e.clear = STORE_SEEN;
	T_INT(icache_outbox_add(ic, &e), WARY_OK, "outbox: flags queued");
	memset(&e, 0, sizeof(e));
	e.op = IMAP_OP_APPEND;
	e.folder = (char *)"Sent";
	e.set = STORE_SEEN;
	e.message_id = (char *)"<a@x>";
	e.data = (char *)msg;
	e.len = sizeof(msg) - 1;
	e.attempted = true;
	T_INT(icache_outbox_add(ic, &e), WARY_OK, "outbox: append queued");
	icache_close(&ic);

	T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "outbox: reopened (after a crash)");
	T_INT(icache_outbox_count(ic), 2, "outbox: both entries kept");
	T_OK(icache_outbox_first(ic, &got), "outbox: first entry");
	T_OK(got.op == IMAP_OP_FLAGS && got.uid == 42 && got.uidvalidity == 7 &&
	             got.set == STORE_FLAGGED && got.clear == STORE_SEEN && !got.attempted &&
	             strcmp(got.folder, "INBOX") == 0 && got.data == NULL,
	     "outbox: the oldest first, as queued");
	T_INT(icache_outbox_mark_attempted(ic, got.id), WARY_OK, "outbox: marked attempted");
	imap_outbox_entry_clear(&got);
	T_OK(icache_outbox_first(ic, &got) && got.attempted, "outbox: attempted is kept");
	T_INT(icache_outbox_remove(ic, got.id), WARY_OK, "outbox: removed once confirmed");
	imap_outbox_entry_clear(&got);
	T_OK(icache_outbox_first(ic, &got), "outbox: then the next");
	T_OK(got.op == IMAP_OP_APPEND && got.attempted && got.len == sizeof(msg) - 1 &&
	             memcmp(got.data, msg, got.len) == 0 && strcmp(got.message_id, "<a@x>") == 0,
	     "outbox: an append keeps its bytes (NUL included) and Message-ID");
	imap_outbox_entry_clear(&got);

	/* A new UIDVALIDITY empties the rows of a folder, not its queue:
	 * the replay is what decides about entries of the old numbering. */
	icache_folder_reset(ic, "INBOX", 8);
	T_INT(icache_outbox_count(ic), 1, "outbox: untouched by a folder reset");

	put_row(ic, "INBOX", 3, "three", STORE_DELETED);
	put_row(ic, "INBOX", 5, "five", STORE_SEEN);
	put_row(ic, "INBOX", 9, "nine", STORE_DELETED | STORE_SEEN);
	uids = icache_uids_with(ic, "INBOX", STORE_DELETED, &n);
	T_OK(n == 2 && uids[0] == 3 && uids[1] == 9, "uids_with: the \\Deleted ones, ascending");
	free(uids);
	icache_close(&ic);
	/* A foreign value in the queue is damage, not an action to send. */
	{
		sqlite3 *db = NULL;

		sqlite3_open(path, &db);
		sqlite3_exec(db, "UPDATE outbox SET op = 99", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	T_INT(icache_open(path, &ic, err, sizeof(err)), WARY_OK, "outbox: open with a bad entry");
	T_OK(!icache_outbox_first(ic, &got) && icache_broken(ic),
	     "outbox: an unknown op marks the file broken, nothing replayed");
	icache_destroy(&ic, path);
	free(path);
}

int main(void)
{
	struct buf dir = BUF_INIT;

	test_flags();
	test_keys();
	test_addr();
	test_sasl();
	test_mutf7();
	buf_init(&dir);
	if (fs_private_tmpdir(&dir, err, sizeof(err)) != WARY_OK) {
		printf("# %s\n", err);
		return 1;
	}
	test_cache(dir.data);
	test_outbox(dir.data);
	rmdir(dir.data);
	buf_release(&dir);
	return t_done();
}
