/* Tests for the POP3 download record (src/store/pop3_uidl.c): the table,
 * its journal in the Maildir, and every way the two are recovered:
 * a crash between delivery and record, a lost, corrupt, foreign or
 * other-version table, a lost or torn journal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "store/store.h"
#include "store/pop3_int.h"
#include "tests/unit/t.h"

static char err[WARY_ERRLEN];
static char *top;

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

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", path, e->d_name);
		rm_rf(p);
		free(p);
	}
	closedir(d);
	rmdir(path);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
	close(fd);
}

static size_t count_files(const char *maildir)
{
	static const char *const subs[] = { "new", "cur" };
	size_t n = 0;

	for (int i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s", maildir, subs[i]);
		DIR *d = opendir(p);
		struct dirent *e;

		while (d != NULL && (e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				n++;
		if (d != NULL)
			closedir(d);
		free(p);
	}
	return n;
}

struct env {
	char *db, *md;
};

static const char *journal = "wary-pop3-test.uidl";

static struct pop3_uidl *open_ok(struct env *e, struct pop3_uidl_open_info *info, const char *what)
{
	struct pop3_uidl *u = NULL;
	int rc = pop3_uidl_open(e->db, e->md, journal, &u, info, err, sizeof(err));

	if (rc != WARY_OK)
		printf("# %s\n", err);
	T_OK(rc == WARY_OK && u != NULL, what);
	return u;
}

/* Deliver text and record it, as a download does. */
static char *deliver(struct pop3_uidl *u, const char *md, const char *uidl, const char *text,
                     int64_t now)
{
	char sha[POP3_SHA_HEX], *name = NULL;
	size_t len = strlen(text);

	pop3_sha256_hex(text, len, sha);
	if (pop3_uidl_intend(u, uidl, (int64_t)len, sha, now, err, sizeof(err)) != WARY_OK ||
	    maildir_deliver(md, text, len, STORE_NEW, &name, err, sizeof(err)) != WARY_OK ||
	    pop3_uidl_record(u, uidl, (int64_t)len, sha, name, now, err, sizeof(err)) != WARY_OK) {
		printf("# deliver %s: %s\n", uidl, err);
		free(name);
		return NULL;
	}
	return name;
}

static void test_basics(struct env *e)
{
	struct pop3_uidl *u = open_ok(e, NULL, "open a new table");
	struct pop3_uidl_rec rec = { 0 };
	char sha[POP3_SHA_HEX], **uidls = NULL;
	char *n1, *n2;
	size_t n = 0;

	if (u == NULL)
		return;
	T_INT(pop3_uidl_get(u, "U1", NULL), 0, "an unknown UIDL is not recorded");
	n1 = deliver(u, e->md, "U1", "Subject: one\n\nbody 1\n", 1000);
	n2 = deliver(u, e->md, "U2", "Subject: two\n\nbody 2\n", 2000);
	T_OK(n1 != NULL && n2 != NULL, "two messages delivered and recorded");
	T_INT(pop3_uidl_get(u, "U1", &rec), 1, "U1 is recorded");
	T_STR(rec.file, n1, "U1 names its file");
	T_INT(rec.downloaded, 1000, "U1 keeps its download time");
	T_INT(rec.size, (long long)strlen("Subject: one\n\nbody 1\n"), "U1 keeps its size");
	pop3_uidl_rec_clear(&rec);
	pop3_sha256_hex("Subject: two\n\nbody 2\n", strlen("Subject: two\n\nbody 2\n"), sha);
	T_INT(pop3_uidl_find_sha(u, sha, &uidls, &n), WARY_OK, "find by content");
	T_OK(n == 1 && strcmp(uidls[0], "U2") == 0, "the content of U2 is found as U2");
	store_keys_free(uidls, n);
	{
		struct pop3_uidl *second = NULL;
		int rc = pop3_uidl_open(e->db, e->md, journal, &second, NULL, err, sizeof(err));

		T_INT(rc, WARY_ERR, "a second open of the same account is refused while the first runs");
		pop3_uidl_close(&second);
	}
	pop3_uidl_close(&u);
	u = open_ok(e, NULL, "reopen");
	T_INT(pop3_uidl_count(u), 2, "both rows survive a reopen");
	pop3_uidl_close(&u);
	free(n1);
	free(n2);
}

/* The classic window: delivered into the Maildir, killed before the
 * record.  The intent and the file's hash must bring it back. */
static void test_crash_after_delivery(struct env *e)
{
	const char *text = "Subject: three\n\nkilled before the record\n";
	struct pop3_uidl_open_info info;
	struct pop3_uidl *u = open_ok(e, NULL, "open");
	struct pop3_uidl_rec rec = { 0 };
	char sha[POP3_SHA_HEX], *name = NULL;
	size_t before;

	if (u == NULL)
		return;
	pop3_sha256_hex(text, strlen(text), sha);
	T_INT(pop3_uidl_intend(u, "U3", (int64_t)strlen(text), sha, 3000, err, sizeof(err)), WARY_OK,
	      "intent journaled");
	T_INT(maildir_deliver(e->md, text, strlen(text), STORE_NEW, &name, err, sizeof(err)), WARY_OK,
	      "delivered");
	pop3_uidl_close(&u); /* no record: the process died here */
	T_INT(pop3_uidl_get(u = open_ok(e, &info, "reopen after the crash"), "U3", &rec), 1,
	      "the delivered message is recognised");
	T_INT(info.adopted, 1, "one interrupted delivery adopted");
	T_STR(rec.file, name, "adopted with its file name");
	T_INT(rec.downloaded, 3000, "and its download time");
	pop3_uidl_rec_clear(&rec);
	before = count_files(e->md);
	pop3_uidl_close(&u);
	u = open_ok(e, &info, "reopen once more");
	T_INT(info.adopted, 0, "nothing adopted twice");
	T_INT(count_files(e->md), before, "recovery never writes messages");
	pop3_uidl_close(&u);
	free(name);
}

/* Killed after the intent but before the file reached new/: fetch again. */
static void test_crash_before_delivery(struct env *e)
{
	const char *text = "Subject: four\n\nnever delivered\n";
	struct pop3_uidl_open_info info;
	struct pop3_uidl *u = open_ok(e, NULL, "open");
	char sha[POP3_SHA_HEX];

	if (u == NULL)
		return;
	pop3_sha256_hex(text, strlen(text), sha);
	pop3_uidl_intend(u, "U4", (int64_t)strlen(text), sha, 4000, err, sizeof(err));
	pop3_uidl_close(&u);
	u = open_ok(e, &info, "reopen");
	T_INT(pop3_uidl_get(u, "U4", NULL), 0, "an intent without a file is not a delivery");
	T_INT(info.adopted, 0, "nothing adopted");
	pop3_uidl_close(&u);
}

/* Same content as a message already recorded (U1): its file belongs to
 * U1 and cannot prove a delivery of U5. */
static void test_claimed_file(struct env *e)
{
	const char *text = "Subject: one\n\nbody 1\n";
	struct pop3_uidl *u = open_ok(e, NULL, "open");
	char sha[POP3_SHA_HEX];

	if (u == NULL)
		return;
	pop3_sha256_hex(text, strlen(text), sha);
	pop3_uidl_intend(u, "U5", (int64_t)strlen(text), sha, 5000, err, sizeof(err));
	pop3_uidl_close(&u);
	u = open_ok(e, NULL, "reopen");
	T_INT(pop3_uidl_get(u, "U5", NULL), 0,
	      "a file already recorded for another UIDL is not adopted again");
	pop3_uidl_close(&u);
}

static void expect_all(struct env *e, const char *why)
{
	struct pop3_uidl_open_info info;
	struct pop3_uidl *u = open_ok(e, &info, why);
	struct pop3_uidl_rec rec = { 0 };

	if (u == NULL)
		return;
	T_OK(info.rebuilt, "the table was made anew");
	T_INT(pop3_uidl_count(u), 3, "U1, U2 and U3 are back from the journal");
	T_INT(pop3_uidl_get(u, "U3", &rec), 1, "the adopted message is back too");
	T_INT(rec.downloaded, 3000, "with its download time");
	pop3_uidl_rec_clear(&rec);
	T_INT(pop3_uidl_get(u, "U4", NULL), 0, "the undelivered intent stays undelivered");
	pop3_uidl_close(&u);
}

static void test_rebuild(struct env *e)
{
	char *wal = xasprintf("%s-wal", e->db), *shm = xasprintf("%s-shm", e->db);
	sqlite3 *db = NULL;

	unlink(e->db);
	unlink(wal);
	unlink(shm);
	expect_all(e, "open after the table was deleted");

	{
		static const char junk[] = "this is not an SQLite database at all, just junk bytes";

		write_file(e->db, junk, sizeof(junk) - 1);
	}
	unlink(wal);
	unlink(shm);
	expect_all(e, "open after the table was overwritten with junk");

	/* Damage inside the file: the header survives, the pages do not. */
	{
		struct buf b = BUF_INIT;

		buf_init(&b);
		if (fs_read_file(e->db, &b, 0, NULL, 0) == WARY_OK && b.len > 4096) {
			memset(b.data + 4096, 0x5a, b.len - 4096 < 4096 ? b.len - 4096 : 4096);
			write_file(e->db, b.data, b.len);
		}
		buf_release(&b);
		unlink(wal);
		unlink(shm);
		expect_all(e, "open after the table's pages were damaged");
	}

	if (sqlite3_open(e->db, &db) == SQLITE_OK) {
		sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA user_version=99;", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	expect_all(e, "open a table of another schema version");
	free(wal);
	free(shm);
}

static void test_foreign(struct env *e)
{
	char *path = xasprintf("%s/foreign.db", top);
	struct pop3_uidl *u = NULL;
	sqlite3 *db = NULL;
	int rc, n = -1;
	sqlite3_stmt *st = NULL;

	if (sqlite3_open(path, &db) == SQLITE_OK) {
		sqlite3_exec(db, "CREATE TABLE mine (x); INSERT INTO mine VALUES (42);", NULL, NULL,
		             NULL);
		sqlite3_close(db);
	}
	rc = pop3_uidl_open(path, e->md, "wary-pop3-foreign.uidl", &u, NULL, err, sizeof(err));
	T_INT(rc, WARY_ERR, "an SQLite file that is not ours is refused");
	pop3_uidl_close(&u);
	db = NULL;
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT x FROM mine", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	T_INT(n, 42, "and left as it was");
	free(path);
}

static void test_journal_loss_and_tear(struct env *e)
{
	char *jpath = xasprintf("%s/%s", e->md, journal);
	struct pop3_uidl_open_info info;
	struct pop3_uidl *u;
	struct stat st;
	int fd;

	unlink(jpath);
	u = open_ok(e, NULL, "open after the journal was deleted");
	T_OK(stat(jpath, &st) == 0 && st.st_size > 0, "the journal is written again from the table");
	pop3_uidl_close(&u);
	unlink(e->db);
	expect_all(e, "and the table can then be lost too");

	/* A line cut short by a crash at the end of the journal. */
	fd = open(jpath, O_WRONLY | O_APPEND);
	T_OK(fd >= 0 && write(fd, "T U9 12 abc", 11) == 11, "tear the journal's last line");
	if (fd >= 0)
		close(fd);
	u = open_ok(e, &info, "open with a torn journal");
	T_OK(info.bad_lines >= 1, "the torn line is counted as bad");
	free(deliver(u, e->md, "U6", "Subject: six\n\nafter the tear\n", 6000));
	pop3_uidl_close(&u);
	unlink(e->db);
	u = open_ok(e, &info, "rebuild after the tear");
	T_INT(pop3_uidl_get(u, "U6", NULL), 1, "a record after a torn line is not glued to it");
	T_INT(pop3_uidl_count(u), 4, "all four rows rebuilt");
	pop3_uidl_close(&u);
	free(jpath);
}

static void test_delete_and_prune(struct env *e)
{
	char *jpath = xasprintf("%s/%s", e->md, journal);
	struct pop3_uidl *u = open_ok(e, NULL, "open");
	struct pop3_uidl_rec rec = { 0 };
	char *gone[] = { "U1", "U2" };
	char *listed[] = { "U2", "U3", "U6" }; /* sorted */
	struct stat before, after;

	if (u == NULL)
		return;
	T_INT(pop3_uidl_mark_deleted(u, gone, 2, err, sizeof(err)), WARY_OK, "mark two deleted");
	T_INT(pop3_uidl_get(u, "U1", &rec), 1, "a deleted row stays until the server stops listing it");
	T_OK(rec.deleted, "and says it was deleted");
	pop3_uidl_rec_clear(&rec);
	T_INT(pop3_uidl_prune(u, listed, 3, err, sizeof(err)), WARY_OK, "prune");
	T_INT(pop3_uidl_get(u, "U1", NULL), 0, "deleted and no longer listed: forgotten");
	T_INT(pop3_uidl_get(u, "U2", NULL), 1, "deleted but still listed: kept");
	T_INT(pop3_uidl_count(u), 3, "three rows left");
	stat(jpath, &before);
	T_INT(pop3_uidl_compact(u, err, sizeof(err)), WARY_OK, "compact the journal");
	stat(jpath, &after);
	T_OK(after.st_size < before.st_size, "the journal shrank");
	free(deliver(u, e->md, "U7", "Subject: seven\n\nafter compaction\n", 7000));
	pop3_uidl_close(&u);
	unlink(e->db);
	u = open_ok(e, NULL, "rebuild from the compacted journal");
	T_INT(pop3_uidl_count(u), 4, "U2, U3, U6 and U7");
	T_INT(pop3_uidl_get(u, "U2", &rec), 1, "U2 is back");
	T_OK(rec.deleted, "still marked deleted");
	pop3_uidl_rec_clear(&rec);
	T_INT(pop3_uidl_get(u, "U1", NULL), 0, "the pruned row stays gone");
	/* The server renumbered: U3's content is now listed as U8. */
	{
		struct pop3_uidl_rec r3 = { 0 };
		char *relisted[] = { "U6", "U7", "U8" };

		if (pop3_uidl_get(u, "U3", &r3) == 1)
			pop3_uidl_record(u, "U8", r3.size, r3.sha256, r3.file, 8000, err, sizeof(err));
		pop3_uidl_rec_clear(&r3);
		T_INT(pop3_uidl_prune(u, relisted, 3, err, sizeof(err)), WARY_OK, "prune after renumbering");
		T_INT(pop3_uidl_get(u, "U3", NULL), 0, "an old UIDL whose content is listed anew is forgotten");
		T_INT(pop3_uidl_get(u, "U8", NULL), 1, "its new UIDL stays");
		T_INT(pop3_uidl_get(u, "U2", NULL), 0, "deleted and no longer listed: forgotten");
		T_INT(pop3_uidl_count(u), 3, "U6, U7 and U8 left");
	}
	pop3_uidl_close(&u);
	free(jpath);
}

static void test_valid(void)
{
	char long_uidl[80];

	memset(long_uidl, 'a', sizeof(long_uidl));
	T_OK(pop3_uidl_valid("0000000100000001", 16), "a Dovecot UIDL is valid");
	T_OK(!pop3_uidl_valid("a b", 3), "a space is not");
	T_OK(!pop3_uidl_valid("a\nb", 3), "a line break is not");
	T_OK(!pop3_uidl_valid("", 0), "empty is not");
	T_OK(pop3_uidl_valid(long_uidl, 70), "70 characters are");
	T_OK(!pop3_uidl_valid(long_uidl, 71), "71 are not");
	{
		char sha[POP3_SHA_HEX];

		pop3_sha256_hex("abc", 3, sha);
		T_STR(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		      "SHA-256 of abc");
	}
}

int main(void)
{
	struct buf dir = BUF_INIT;
	struct env e;

	buf_init(&dir);
	if (fs_private_tmpdir(&dir, err, sizeof(err)) != WARY_OK) {
		printf("not ok 1 - private temp dir: %s\n", err);
		return 1;
	}
	top = dir.data;
	e.db = xasprintf("%s/cache/pop3-test.db", top);
	e.md = xasprintf("%s/Mail", top);
	test_valid();
	test_basics(&e);
	test_crash_after_delivery(&e);
	test_crash_before_delivery(&e);
	test_claimed_file(&e);
	test_rebuild(&e);
	test_foreign(&e);
	test_journal_loss_and_tear(&e);
	test_delete_and_prune(&e);
	rm_rf(top);
	free(e.db);
	free(e.md);
	buf_release(&dir);
	return t_done();
}
