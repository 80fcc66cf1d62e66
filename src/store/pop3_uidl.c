/* The record of POP3 downloads: an fsynced journal in the Maildir (the
 * truth) and an SQLite table in the cache directory (a rebuildable copy).
 * pop3_int.h explains the order of writes and why it never loses or
 * duplicates a message. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "store/store.h"
#include "store/pop3_int.h"
#include "store/store_int.h"

/* "WUID": tells our table from the header cache and from strangers. */
#define UIDL_APP_ID 0x57554944
/* A journal line longer than this is damage, not data. */
#define JOURNAL_MAX_LINE 1024

struct pop3_uidl {
	sqlite3 *db;
	sqlite3_stmt *get, *put;
	char *db_path, *maildir, *journal_path;
	int lock_fd, jfd;
	bool broken;
};

static const char schema_sql[] =
	"CREATE TABLE uidl (uidl TEXT PRIMARY KEY NOT NULL, size INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL, file TEXT NOT NULL, downloaded INTEGER NOT NULL,"
	" deleted INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX uidl_sha ON uidl (sha256);"
	/* How far the journal is already in the table, and which file that
	 * was (a rewritten journal is a new inode). */
	"CREATE TABLE meta (k TEXT PRIMARY KEY NOT NULL, v INTEGER NOT NULL);";

void pop3_uidl_rec_clear(struct pop3_uidl_rec *r)
{
	if (r == NULL)
		return;
	free(r->file);
	memset(r, 0, sizeof(*r));
}

void pop3_sha256_hex(const void *data, size_t len, char out[POP3_SHA_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

bool pop3_uidl_valid(const char *uidl, size_t len)
{
	if (len == 0 || len > POP3_UIDL_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)uidl[i] < 0x21 || (unsigned char)uidl[i] > 0x7e)
			return false;
	return true;
}

static bool sha_valid(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The unique part of a Maildir name: a client that changes flags keeps it. */
static size_t unique_len(const char *name)
{
	const char *colon = strchr(name, ':');

	return colon != NULL ? (size_t)(colon - name) : strlen(name);
}

/* File names go into the journal with white space, controls and '%' as
 * %XX, so a line always splits on spaces. */
static void add_name(struct buf *b, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p <= 0x20 || *p == '%' || *p >= 0x7f)
			buf_addf(b, "%%%02X", *p);
		else
			buf_addch(b, *p);
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undo add_name; NULL when it is not a name we could have written. */
static char *parse_name(const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int h, l;

			if (i + 2 >= len || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0 ||
			    (h == 0 && l == 0)) {
				buf_release(&b);
				return NULL;
			}
			buf_addch(&b, h * 16 + l);
			i += 2;
		} else {
			buf_addch(&b, s[i]);
		}
	}
	if (b.len == 0 || strchr(b.data, '/') != NULL || b.data[0] == '.') {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void note(struct pop3_uidl *u, int rc)
{
	/* A full disk too: the table then no longer matches the journal. */
	if (store_db_damage(rc) || (rc & 0xff) == SQLITE_FULL)
		u->broken = true;
}

static int db_status(struct pop3_uidl *u, int rc, char *err, size_t errlen, const char *what)
{
	note(u, rc);
	return err_set(err, errlen, WARY_EIO, "%s: %s: %s", u->db_path, what,
	               u->db != NULL ? sqlite3_errmsg(u->db) : sqlite3_errstr(rc));
}

static const char *const probes[] = {
	"SELECT uidl, size, sha256, file, downloaded, deleted FROM uidl LIMIT 1",
	"SELECT k, v FROM meta LIMIT 1",
	NULL,
};

static int prepare(void *ctx, sqlite3 *db)
{
	struct pop3_uidl *u = ctx;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT size, sha256, file, downloaded, deleted FROM uidl"
	                            " WHERE uidl = ?1",
	                        -1, &u->get, NULL);
	if (rc != SQLITE_OK)
		return rc;
	return sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO uidl (uidl, size, sha256, file,"
	                              " downloaded, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                          -1, &u->put, NULL);
}

static const struct store_db_spec spec = {
	.app_id = UIDL_APP_ID,
	.version = POP3_UIDL_SCHEMA,
	.schema = schema_sql,
	/* NORMAL is enough: a commit lost to a power cut is replayed from the
	 * journal, which is fsynced before the server may delete anything. */
	.pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
	.probes = probes,
	/* Every page of the table is read at open: damage found now costs a
	 * rebuild from the journal, damage found in the middle of a download
	 * would stop it. */
	.quick_check = true,
	.kind = "wary POP3 table",
	.noun = "POP3 table",
	.prepare = prepare,
};

static void close_db(struct pop3_uidl *u)
{
	u->get = u->put = NULL; /* finalized with the connection */
	store_db_close(&u->db);
}

/* Open the table, making a new one when the file is not a usable table
 * of this version.  *fresh says whether it starts empty. */
static int open_db(struct pop3_uidl *u, bool *fresh, char *err, size_t errlen)
{
	return store_db_open(u->db_path, &spec, u, &u->db, fresh, err, errlen);
}

/* Append whole lines and make them durable before returning. */
static int journal_append(struct pop3_uidl *u, const struct buf *lines, char *err, size_t errlen)
{
	if (fs_write_all(u->jfd, lines->data, lines->len) < 0 || fdatasync(u->jfd) < 0)
		return err_set(err, errlen, WARY_EIO, "%s: %s", u->journal_path, strerror(errno));
	return WARY_OK;
}

static int open_journal(struct pop3_uidl *u, char *err, size_t errlen)
{
	struct stat st;
	bool created;
	char last = '\n';

	created = stat(u->journal_path, &st) < 0;
	u->jfd = open(u->journal_path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (u->jfd < 0 || fstat(u->jfd, &st) < 0)
		return err_set(err, errlen, WARY_EIO, "%s: %s", u->journal_path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, errlen, WARY_EIO, "%s: not a regular file", u->journal_path);
	if (created)
		return fs_fsync_dir(u->maildir, err, errlen);
	/* A line cut short by a crash stays a bad line; the next one must not
	 * be glued to it. */
	if (st.st_size > 0 && pread(u->jfd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
		struct buf nl = BUF_INIT;
		int rc;

		buf_init(&nl);
		buf_addch(&nl, '\n');
		rc = journal_append(u, &nl, err, errlen);
		buf_release(&nl);
		return rc;
	}
	return WARY_OK;
}

static int64_t meta_get(struct pop3_uidl *u, const char *k, int64_t dflt)
{
	sqlite3_stmt *st = NULL;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(u->db, "SELECT v FROM meta WHERE k = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER)
			v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

static int meta_set(struct pop3_uidl *u, const char *k, int64_t v)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(u->db, "INSERT OR REPLACE INTO meta (k, v) VALUES (?1, ?2)", -1,
	                            &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, v);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Note that the table now holds the journal up to its current end. */
static int mark_applied(struct pop3_uidl *u)
{
	struct stat st;
	int rc;

	if (fstat(u->jfd, &st) < 0)
		return SQLITE_IOERR;
	rc = meta_set(u, "journal_ino", (int64_t)st.st_ino);
	if (rc == SQLITE_OK)
		rc = meta_set(u, "journal_off", (int64_t)st.st_size);
	return rc;
}

static int put_row(struct pop3_uidl *u, const char *uidl, int64_t size, const char *sha,
                   const char *file, int64_t when, bool deleted)
{
	sqlite3_stmt *st = u->put;
	int rc;

	sqlite3_bind_text(st, 1, uidl, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, size);
	sqlite3_bind_text(st, 3, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, when);
	sqlite3_bind_int(st, 6, deleted ? 1 : 0);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void add_t_line(struct buf *b, const char *uidl, int64_t size, const char *sha, int64_t when)
{
	buf_addf(b, "T %s %lld %s %lld\n", uidl, (long long)size, sha, (long long)when);
}

static void add_s_line(struct buf *b, const char *uidl, const char *file)
{
	buf_addf(b, "S %s ", uidl);
	add_name(b, file);
	buf_addch(b, '\n');
}

/* ---- replaying the journal ---- */

/* An intent seen in the journal without its delivery (yet). */
struct intent {
	char uidl[POP3_UIDL_MAX + 1];
	int64_t size, when;
	char sha[POP3_SHA_HEX];
	bool done;
};

struct replay {
	struct intent *v;
	size_t n, cap;
};

static struct intent *find_intent(struct replay *r, const char *uidl)
{
	for (size_t i = r->n; i-- > 0;)
		if (!r->v[i].done && strcmp(r->v[i].uidl, uidl) == 0)
			return &r->v[i];
	return NULL;
}

static bool parse_i64(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	if (len == 0 || len > 18)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Split a line on single spaces into at most max fields. */
static size_t split(const char *line, size_t len, const char **f, size_t *fl, size_t max)
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || line[i] == ' ') {
			if (n == max)
				return max + 1;
			f[n] = line + start;
			fl[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

static int replay_line(struct pop3_uidl *u, struct replay *r, const char *line, size_t len,
                       struct pop3_uidl_open_info *info)
{
	const char *f[6];
	size_t fl[6], n = split(line, len, f, fl, 5);
	char uidl[POP3_UIDL_MAX + 1];

	if (n < 2 || fl[0] != 1 || !pop3_uidl_valid(f[1], fl[1]))
		goto bad;
	memcpy(uidl, f[1], fl[1]);
	uidl[fl[1]] = '\0';
	if (f[0][0] == 'T' && n == 5) {
		struct intent *it;

		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 64;
			r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
		}
		it = &r->v[r->n];
		memset(it, 0, sizeof(*it));
		memcpy(it->uidl, uidl, fl[1] + 1);
		if (!parse_i64(f[2], fl[2], &it->size) || !sha_valid(f[3], fl[3]) ||
		    !parse_i64(f[4], fl[4], &it->when))
			goto bad;
		memcpy(it->sha, f[3], 64);
		it->sha[64] = '\0';
		r->n++;
		return SQLITE_OK;
	}
	if (f[0][0] == 'S' && n == 3) {
		struct intent *it = find_intent(r, uidl);
		char *file = parse_name(f[2], fl[2]);
		int rc;

		if (it == NULL || file == NULL) {
			free(file);
			goto bad;
		}
		it->done = true;
		rc = put_row(u, uidl, it->size, it->sha, file, it->when, false);
		free(file);
		if (rc == SQLITE_OK && info != NULL)
			info->replayed++;
		return rc;
	}
	if (f[0][0] == 'D' && n == 2) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(u->db, "UPDATE uidl SET deleted = 1 WHERE uidl = ?1", -1,
		                            &st, NULL);

		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, uidl, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			if (rc == SQLITE_DONE)
				rc = SQLITE_OK;
		}
		sqlite3_finalize(st);
		return rc;
	}
bad:
	if (info != NULL)
		info->bad_lines++;
	return SQLITE_OK;
}

/* Is a file whose unique part is `name` already the file of a row with
 * this content?  Then it belongs to that row and cannot prove a second
 * delivery. */
static bool file_claimed(struct pop3_uidl *u, const char *sha, const char *name)
{
	sqlite3_stmt *st = NULL;
	size_t ul = unique_len(name);
	bool claimed = false;

	if (sqlite3_prepare_v2(u->db, "SELECT file FROM uidl WHERE sha256 = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return true; /* unsure: never adopt on a guess */
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	while (!claimed && sqlite3_step(st) == SQLITE_ROW) {
		const char *f = (const char *)sqlite3_column_text(st, 0);

		claimed = f != NULL && unique_len(f) == ul && strncmp(f, name, ul) == 0;
	}
	sqlite3_finalize(st);
	return claimed;
}

/* Intents without a delivery line: the crash came after the intent.  A
 * file of that size and hash in new/ or cur/ means maildir_deliver got
 * to the end; adopt it.  Otherwise the message was never delivered and
 * is fetched again. */
static int adopt(struct pop3_uidl *u, struct replay *r, struct pop3_uidl_open_info *info,
                 char *err, size_t errlen)
{
	static const char *const subs[] = { "new", "cur" };
	struct buf data = BUF_INIT, line = BUF_INIT;
	size_t open_n = 0;
	int rc = WARY_OK;

	buf_init(&data);
	buf_init(&line);
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].done)
			continue;
		if (pop3_uidl_get(u, r->v[i].uidl, NULL) == 1)
			r->v[i].done = true; /* recorded later under the same UIDL */
		else
			open_n++;
	}
	for (size_t s = 0; s < ARRAY_SIZE(subs) && open_n > 0 && rc == WARY_OK; s++) {
		char *dirpath = xasprintf("%s/%s", u->maildir, subs[s]);
		DIR *d = opendir(dirpath);
		struct dirent *e;

		while (d != NULL && open_n > 0 && rc == WARY_OK && (e = readdir(d)) != NULL) {
			struct stat st;
			char sha[POP3_SHA_HEX];
			bool hashed = false;

			if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, 0) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			for (size_t i = 0; i < r->n; i++) {
				struct intent *it = &r->v[i];

				if (it->done || it->size != (int64_t)st.st_size)
					continue;
				if (!hashed) {
					char *path = xasprintf("%s/%s", dirpath, e->d_name);

					buf_reset(&data);
					hashed = fs_read_file(path, &data, 0, NULL, 0) == WARY_OK &&
					         data.len == (size_t)st.st_size;
					free(path);
					if (!hashed)
						break;
					pop3_sha256_hex(data.data, data.len, sha);
				}
				if (strcmp(sha, it->sha) != 0 || file_claimed(u, sha, e->d_name))
					continue;
				buf_reset(&line);
				add_t_line(&line, it->uidl, it->size, it->sha, it->when);
				add_s_line(&line, it->uidl, e->d_name);
				rc = journal_append(u, &line, err, errlen);
				if (rc != WARY_OK)
					break;
				if (put_row(u, it->uidl, it->size, it->sha, e->d_name, it->when, false) !=
				    SQLITE_OK) {
					rc = db_status(u, sqlite3_errcode(u->db), err, errlen, "adopt");
					break;
				}
				it->done = true;
				open_n--;
				if (info != NULL)
					info->adopted++;
				break; /* one file proves one delivery */
			}
		}
		if (d != NULL)
			closedir(d);
		free(dirpath);
	}
	buf_release(&data);
	buf_release(&line);
	return rc;
}

static int read_from(int fd, off_t start, struct buf *out)
{
	char chunk[65536];

	for (off_t off = start;;) {
		ssize_t n = pread(fd, chunk, sizeof(chunk), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		buf_add(out, chunk, (size_t)n);
		off += n;
	}
}

/* Bring the table up to the end of the journal. */
static int replay(struct pop3_uidl *u, struct pop3_uidl_open_info *info, char *err,
                  size_t errlen)
{
	struct buf text = BUF_INIT;
	struct replay r = { NULL, 0, 0 };
	struct stat st;
	int64_t off = 0;
	int rc = WARY_OK, src;

	buf_init(&text);
	if (fstat(u->jfd, &st) < 0) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", u->journal_path, strerror(errno));
		goto out;
	}
	if (meta_get(u, "journal_ino", -1) == (int64_t)st.st_ino)
		off = meta_get(u, "journal_off", 0);
	if (off < 0 || off > (int64_t)st.st_size)
		off = 0; /* not the file the table knew: read it all (replay is idempotent) */
	if (st.st_size == 0 && pop3_uidl_count(u) > 0) {
		/* The journal went missing: write it again from the table, so a
		 * later loss of the table is still survivable. */
		rc = pop3_uidl_compact(u, err, errlen);
		goto out;
	}
	if (off == (int64_t)st.st_size)
		goto out;
	if (read_from(u->jfd, (off_t)off, &text) < 0) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", u->journal_path, strerror(errno));
		goto out;
	}
	src = store_db_exec(u->db, "BEGIN");
	for (size_t pos = 0; src == SQLITE_OK && pos < text.len;) {
		const char *nl = memchr(text.data + pos, '\n', text.len - pos);
		size_t len;

		if (nl == NULL) {
			if (info != NULL)
				info->bad_lines++; /* torn by a crash; open_journal ended it */
			break;
		}
		len = (size_t)(nl - (text.data + pos));
		if (len > 0 && len <= JOURNAL_MAX_LINE)
			src = replay_line(u, &r, text.data + pos, len, info);
		else if (len > 0 && info != NULL)
			info->bad_lines++;
		pos += len + 1;
	}
	if (src == SQLITE_OK)
		rc = adopt(u, &r, info, err, errlen);
	else
		rc = db_status(u, src, err, errlen, "journal replay");
	if (rc == WARY_OK) {
		src = mark_applied(u);
		if (src == SQLITE_OK)
			src = store_db_exec(u->db, "COMMIT");
		if (src != SQLITE_OK)
			rc = db_status(u, src, err, errlen, "journal replay");
	}
	if (rc != WARY_OK)
		store_db_exec(u->db, "ROLLBACK");
out:
	free(r.v);
	buf_release(&text);
	return rc;
}

int pop3_uidl_open(const char *db_path, const char *maildir, const char *journal_name,
                   struct pop3_uidl **out, struct pop3_uidl_open_info *info, char *err,
                   size_t errlen)
{
	struct pop3_uidl *u = xcalloc(1, sizeof(*u));
	char *lock = NULL;
	bool fresh = false;
	int rc = WARY_OK;

	*out = NULL;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	u->lock_fd = u->jfd = -1;
	u->db_path = xstrdup(db_path);
	u->maildir = xstrdup(maildir);
	u->journal_path = xasprintf("%s/%s", maildir, journal_name);
	rc = store_db_mkdir_parent(db_path, err, errlen);
	if (rc == WARY_OK)
		rc = fs_mkdir_p(maildir, 0700, err, errlen);
	if (rc != WARY_OK)
		goto fail;
	/* Two downloads of one account at once would each see the other's
	 * intent as a crash and fetch it again. */
	lock = xasprintf("%s.lock", db_path);
	u->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (u->lock_fd < 0) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", lock, strerror(errno));
		goto fail;
	}
	if (flock(u->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		rc = err_set(err, errlen, WARY_ERR, "%s",
		             errno == EWOULDBLOCK ? "another download of this account is running"
		                                  : strerror(errno));
		goto fail;
	}
	rc = open_db(u, &fresh, err, errlen);
	if (rc != WARY_OK)
		goto fail;
	if (info != NULL)
		info->rebuilt = fresh;
	rc = open_journal(u, err, errlen);
	if (rc == WARY_OK)
		rc = replay(u, info, err, errlen);
	if (rc != WARY_OK)
		goto fail;
	free(lock);
	*out = u;
	return WARY_OK;
fail:
	free(lock);
	pop3_uidl_close(&u);
	return rc;
}

void pop3_uidl_close(struct pop3_uidl **pu)
{
	struct pop3_uidl *u = pu ? *pu : NULL;

	if (u == NULL)
		return;
	close_db(u);
	if (u->jfd >= 0)
		close(u->jfd);
	if (u->lock_fd >= 0)
		close(u->lock_fd); /* drops the flock */
	free(u->db_path);
	free(u->maildir);
	free(u->journal_path);
	free(u);
	*pu = NULL;
}

int pop3_uidl_get(struct pop3_uidl *u, const char *uidl, struct pop3_uidl_rec *rec)
{
	sqlite3_stmt *st = u->get;
	int rc, found = 0;

	sqlite3_bind_text(st, 1, uidl, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *sha = sqlite3_column_text(st, 1);
		const unsigned char *file = sqlite3_column_text(st, 2);

		/* A row we cannot read counts as recorded: fetching it again
		 * could duplicate, leaving it on the server loses nothing. */
		found = 1;
		if (rec != NULL) {
			memset(rec, 0, sizeof(*rec));
			rec->size = sqlite3_column_int64(st, 0);
			if (sha != NULL && sha_valid((const char *)sha, strlen((const char *)sha)))
				memcpy(rec->sha256, sha, POP3_SHA_HEX);
			rec->file = xstrdup(file != NULL ? (const char *)file : "");
			rec->downloaded = sqlite3_column_int64(st, 3);
			rec->deleted = sqlite3_column_int(st, 4) != 0;
		}
	} else if (rc != SQLITE_DONE) {
		note(u, rc);
		found = WARY_EIO;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

int pop3_uidl_find_sha(struct pop3_uidl *u, const char *sha256, char ***uidls, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	*uidls = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(u->db, "SELECT uidl FROM uidl WHERE sha256 = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		note(u, rc);
		return WARY_EIO;
	}
	sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		if (t == NULL)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 4;
			*uidls = xreallocarray(*uidls, cap, sizeof(**uidls));
		}
		(*uidls)[(*n)++] = xstrdup((const char *)t);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		note(u, rc);
		store_keys_free(*uidls, *n);
		*uidls = NULL;
		*n = 0;
		return WARY_EIO;
	}
	return WARY_OK;
}

int pop3_uidl_intend(struct pop3_uidl *u, const char *uidl, int64_t size, const char *sha256,
                     int64_t now, char *err, size_t errlen)
{
	struct buf line = BUF_INIT;
	int rc;

	if (!pop3_uidl_valid(uidl, strlen(uidl)) || !sha_valid(sha256, strlen(sha256)))
		return err_set(err, errlen, WARY_ERR, "bad UIDL or hash for the journal");
	buf_init(&line);
	add_t_line(&line, uidl, size, sha256, now);
	rc = journal_append(u, &line, err, errlen);
	buf_release(&line);
	return rc;
}

int pop3_uidl_record(struct pop3_uidl *u, const char *uidl, int64_t size, const char *sha256,
                     const char *file, int64_t now, char *err, size_t errlen)
{
	struct buf line = BUF_INIT;
	int rc, src;

	if (!pop3_uidl_valid(uidl, strlen(uidl)) || !sha_valid(sha256, strlen(sha256)) ||
	    file == NULL || file[0] == '\0')
		return err_set(err, errlen, WARY_ERR, "bad UIDL, hash or file name for the journal");
	buf_init(&line);
	/* T again with S in one write: replay needs only these two lines. */
	add_t_line(&line, uidl, size, sha256, now);
	add_s_line(&line, uidl, file);
	rc = journal_append(u, &line, err, errlen);
	buf_release(&line);
	if (rc != WARY_OK)
		return rc;
	src = store_db_exec(u->db, "BEGIN");
	if (src == SQLITE_OK)
		src = put_row(u, uidl, size, sha256, file, now, false);
	if (src == SQLITE_OK)
		src = mark_applied(u);
	if (src == SQLITE_OK)
		src = store_db_exec(u->db, "COMMIT");
	if (src != SQLITE_OK) {
		rc = db_status(u, src, err, errlen, "record");
		store_db_exec(u->db, "ROLLBACK");
	}
	return rc;
}

int pop3_uidl_mark_deleted(struct pop3_uidl *u, char *const *uidls, size_t n, char *err,
                           size_t errlen)
{
	struct buf lines = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = WARY_OK, src;

	if (n == 0)
		return WARY_OK;
	buf_init(&lines);
	for (size_t i = 0; i < n; i++)
		if (pop3_uidl_valid(uidls[i], strlen(uidls[i])))
			buf_addf(&lines, "D %s\n", uidls[i]);
	rc = journal_append(u, &lines, err, errlen);
	buf_release(&lines);
	if (rc != WARY_OK)
		return rc;
	src = store_db_exec(u->db, "BEGIN");
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(u->db, "UPDATE uidl SET deleted = 1 WHERE uidl = ?1", -1, &st,
		                         NULL);
	for (size_t i = 0; src == SQLITE_OK && i < n; i++) {
		sqlite3_bind_text(st, 1, uidls[i], -1, SQLITE_STATIC);
		src = sqlite3_step(st);
		sqlite3_reset(st);
		if (src == SQLITE_DONE)
			src = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (src == SQLITE_OK)
		src = mark_applied(u);
	if (src == SQLITE_OK)
		src = store_db_exec(u->db, "COMMIT");
	if (src != SQLITE_OK) {
		rc = db_status(u, src, err, errlen, "mark deleted");
		store_db_exec(u->db, "ROLLBACK");
	}
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Another row with this content is still on the server: the row at
 * hand is an old UIDL of it (the server renumbered). */
static bool superseded(sqlite3_stmt *by_sha, const char *sha, char *const *listed, size_t n)
{
	bool yes = false;

	sqlite3_bind_text(by_sha, 1, sha, -1, SQLITE_TRANSIENT);
	while (!yes && sqlite3_step(by_sha) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(by_sha, 0);

		yes = t != NULL && bsearch(&t, listed, n, sizeof(*listed), cmp_str) != NULL;
	}
	sqlite3_reset(by_sha);
	return yes;
}

int pop3_uidl_prune(struct pop3_uidl *u, char *const *listed, size_t n, char *err,
                    size_t errlen)
{
	sqlite3_stmt *sel = NULL, *del = NULL, *by_sha = NULL;
	struct stat st;
	long rows;
	int src;

	src = store_db_exec(u->db, "BEGIN");
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(u->db, "SELECT uidl, sha256, deleted FROM uidl", -1, &sel,
		                         NULL);
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(u->db, "DELETE FROM uidl WHERE uidl = ?1", -1, &del, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(u->db, "SELECT uidl FROM uidl WHERE sha256 = ?1", -1, &by_sha,
		                         NULL);
	while (src == SQLITE_OK && (src = sqlite3_step(sel)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(sel, 0);
		const char *sha = (const char *)sqlite3_column_text(sel, 1);

		src = SQLITE_OK;
		/* Still listed: needed.  Not listed and never confirmed deleted,
		 * with no newer UIDL for its content: kept, so that a server
		 * which shows it again does not get it fetched twice. */
		if (t == NULL || sha == NULL ||
		    bsearch(&t, listed, n, sizeof(*listed), cmp_str) != NULL)
			continue;
		if (sqlite3_column_int(sel, 2) == 0 && !superseded(by_sha, sha, listed, n))
			continue;
		sqlite3_bind_text(del, 1, t, -1, SQLITE_TRANSIENT);
		src = sqlite3_step(del);
		sqlite3_reset(del);
		if (src == SQLITE_DONE)
			src = SQLITE_OK;
	}
	if (src == SQLITE_DONE)
		src = SQLITE_OK;
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	sqlite3_finalize(by_sha);
	if (src == SQLITE_OK)
		src = store_db_exec(u->db, "COMMIT");
	if (src != SQLITE_OK) {
		store_db_exec(u->db, "ROLLBACK");
		return db_status(u, src, err, errlen, "prune");
	}
	/* A row costs about 200 bytes of journal; rewrite once the journal
	 * is mostly history. */
	rows = pop3_uidl_count(u);
	if (fstat(u->jfd, &st) == 0 && rows >= 0 && st.st_size > 65536 &&
	    st.st_size > 4 * 200 * (off_t)(rows + 1))
		return pop3_uidl_compact(u, err, errlen);
	return WARY_OK;
}

int pop3_uidl_compact(struct pop3_uidl *u, char *err, size_t errlen)
{
	struct buf text = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = WARY_OK, src, fd;

	buf_init(&text);
	src = sqlite3_prepare_v2(u->db, "SELECT uidl, size, sha256, file, downloaded, deleted"
	                                " FROM uidl",
	                         -1, &st, NULL);
	while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
		const char *uidl = (const char *)sqlite3_column_text(st, 0);
		const char *sha = (const char *)sqlite3_column_text(st, 2);
		const char *file = (const char *)sqlite3_column_text(st, 3);

		src = SQLITE_OK;
		if (uidl == NULL || sha == NULL || file == NULL ||
		    !pop3_uidl_valid(uidl, strlen(uidl)) || !sha_valid(sha, strlen(sha)) ||
		    file[0] == '\0')
			continue;
		add_t_line(&text, uidl, sqlite3_column_int64(st, 1), sha, sqlite3_column_int64(st, 4));
		add_s_line(&text, uidl, file);
		if (sqlite3_column_int(st, 5) != 0)
			buf_addf(&text, "D %s\n", uidl);
	}
	sqlite3_finalize(st);
	if (src != SQLITE_DONE) {
		rc = db_status(u, src, err, errlen, "compact");
		goto out;
	}
	rc = fs_write_atomic(u->journal_path, text.data, text.len, 0600, err, errlen);
	if (rc != WARY_OK)
		goto out;
	fd = open(u->journal_path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", u->journal_path, strerror(errno));
		goto out;
	}
	close(u->jfd);
	u->jfd = fd;
	src = mark_applied(u);
	if (src != SQLITE_OK)
		rc = db_status(u, src, err, errlen, "compact");
out:
	buf_release(&text);
	return rc;
}

long pop3_uidl_count(struct pop3_uidl *u)
{
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (sqlite3_prepare_v2(u->db, "SELECT count(*) FROM uidl", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
