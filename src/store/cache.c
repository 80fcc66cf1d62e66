/* The header cache in SQLite.  It is only ever a cache: anything odd
 * about the file (not a database, corrupt, another schema version) makes
 * us delete it and start over, and a row is used only while the message
 * file still has the size and mtime it had when the row was written. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "store/store_int.h"

/* "WARY" */
#define HCACHE_APP_ID 0x57415259

struct hcache {
	sqlite3 *db;
	sqlite3_stmt *get, *put;
	bool broken;
	bool in_txn;
};

/* A rowid table: new rows go at its end, and only the small index takes
 * random inserts (rows of ~600 bytes make a WITHOUT ROWID table slow). */
static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS hdr ("
	" folder TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL,"
	" mtime INTEGER NOT NULL, date INTEGER NOT NULL,"
	" hfrom TEXT, hto TEXT, subject TEXT, msgid TEXT, irt TEXT, refs TEXT, ctype TEXT);"
	"CREATE UNIQUE INDEX IF NOT EXISTS hdr_key ON hdr (folder, key);";

static void note(struct hcache *hc, int rc)
{
	int prim = rc & 0xff;

	if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB || prim == SQLITE_IOERR ||
	    prim == SQLITE_FORMAT)
		hc->broken = true;
}

static void remove_files(const char *path)
{
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path),
	     *jnl = xasprintf("%s-journal", path);

	unlink(path);
	unlink(wal);
	unlink(shm);
	unlink(jnl);
	free(wal);
	free(shm);
	free(jnl);
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

enum verdict { V_OURS, V_EMPTY, V_REBUILD, V_FOREIGN };

/* Decide what the file is without trusting any of it. */
static enum verdict inspect(sqlite3 *db)
{
	int app = 0, ver = 0, tables = 0;

	if (pragma_int(db, "PRAGMA application_id", &app) != SQLITE_OK ||
	    pragma_int(db, "PRAGMA user_version", &ver) != SQLITE_OK ||
	    pragma_int(db, "SELECT count(*) FROM sqlite_master", &tables) != SQLITE_OK)
		return V_REBUILD;
	if (app == 0 && tables == 0)
		return V_EMPTY;
	if (app != HCACHE_APP_ID)
		return V_FOREIGN;
	if (ver != HCACHE_SCHEMA)
		return V_REBUILD;
	/* The table must be there and readable; a damaged first page of it
	 * shows up here rather than in the middle of an index. */
	{
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(db, "SELECT folder, key, size, mtime, date FROM hdr LIMIT 1",
		                            -1, &st, NULL);

		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return V_REBUILD;
	}
	return V_OURS;
}

static int setup(struct hcache *hc, bool fresh)
{
	char *msg = NULL;
	int rc;

	sqlite3_busy_timeout(hc->db, 2000);
	/* WAL with NORMAL sync: a crash may lose the last rows, never
	 * corrupt the file, and nothing here is precious. */
	rc = sqlite3_exec(hc->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	                          " PRAGMA cache_size=-16384;", NULL,
	                  NULL, &msg);
	sqlite3_free(msg);
	msg = NULL;
	if (rc != SQLITE_OK)
		return rc;
	if (fresh) {
		char sql[256];

		rc = sqlite3_exec(hc->db, schema_sql, NULL, NULL, &msg);
		sqlite3_free(msg);
		msg = NULL;
		if (rc != SQLITE_OK)
			return rc;
		snprintf(sql, sizeof(sql), "PRAGMA application_id=%d; PRAGMA user_version=%d;",
		         HCACHE_APP_ID, HCACHE_SCHEMA);
		rc = sqlite3_exec(hc->db, sql, NULL, NULL, &msg);
		sqlite3_free(msg);
		if (rc != SQLITE_OK)
			return rc;
	}
	rc = sqlite3_prepare_v2(hc->db,
	                        "SELECT size, mtime, date, hfrom, hto, subject, msgid, irt, refs,"
	                        " ctype FROM hdr WHERE folder = ?1 AND key = ?2",
	                        -1, &hc->get, NULL);
	if (rc != SQLITE_OK)
		return rc;
	return sqlite3_prepare_v2(hc->db,
	                          "INSERT OR REPLACE INTO hdr (folder, key, size, mtime, date,"
	                          " hfrom, hto, subject, msgid, irt, refs, ctype)"
	                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	                          -1, &hc->put, NULL);
}

static void close_db(struct hcache *hc)
{
	sqlite3_finalize(hc->get);
	sqlite3_finalize(hc->put);
	hc->get = hc->put = NULL;
	if (hc->db != NULL)
		sqlite3_close(hc->db);
	hc->db = NULL;
}

int hcache_open(const char *path, struct hcache **out, char *err, size_t errlen)
{
	struct hcache *hc = xcalloc(1, sizeof(*hc));
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int rc = WARY_OK;

	*out = NULL;
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		rc = fs_mkdir_p(dir, 0700, err, errlen);
		if (rc != WARY_OK)
			goto fail;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		enum verdict v;
		int fd;

		/* Create it 0600 ourselves: headers of private mail live here. */
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			rc = err_set(err, errlen, WARY_EIO, "%s: %s", path, strerror(errno));
			goto fail;
		}
		close(fd);
		if (sqlite3_open_v2(path, &hc->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		                    NULL) != SQLITE_OK) {
			close_db(hc);
			remove_files(path);
			continue;
		}
		v = inspect(hc->db);
		if (v == V_FOREIGN) {
			rc = err_set(err, errlen, WARY_ERR,
			             "%s: an SQLite file that is not a wary cache; not touching it", path);
			goto fail;
		}
		if (v == V_REBUILD) {
			close_db(hc);
			remove_files(path);
			continue;
		}
		if (setup(hc, v == V_EMPTY) != SQLITE_OK) {
			close_db(hc);
			remove_files(path);
			continue;
		}
		free(dir);
		*out = hc;
		return WARY_OK;
	}
	rc = err_set(err, errlen, WARY_EIO, "%s: cannot create the header cache", path);
fail:
	close_db(hc);
	free(hc);
	free(dir);
	return rc;
}

void hcache_close(struct hcache **phc)
{
	struct hcache *hc = phc ? *phc : NULL;

	if (hc == NULL)
		return;
	if (hc->in_txn)
		hcache_commit(hc);
	close_db(hc);
	free(hc);
	*phc = NULL;
}

void hcache_destroy(struct hcache **phc, const char *path)
{
	struct hcache *hc = phc ? *phc : NULL;

	if (hc == NULL)
		return;
	if (hc->in_txn)
		sqlite3_exec(hc->db, "ROLLBACK", NULL, NULL, NULL);
	close_db(hc);
	free(hc);
	*phc = NULL;
	remove_files(path);
}

bool hcache_broken(const struct hcache *hc)
{
	return hc->broken;
}

static char *col_text(sqlite3_stmt *st, int i, bool *bad)
{
	int type = sqlite3_column_type(st, i);
	const unsigned char *t;
	int n;

	if (type == SQLITE_NULL)
		return NULL;
	if (type != SQLITE_TEXT) {
		*bad = true;
		return NULL;
	}
	t = sqlite3_column_text(st, i);
	n = sqlite3_column_bytes(st, i);
	if (t == NULL || n < 0 || n > STORE_MAX_VALUE || memchr(t, '\0', (size_t)n) != NULL) {
		*bad = true;
		return NULL;
	}
	return xstrndup((const char *)t, (size_t)n);
}

bool hcache_get(struct hcache *hc, const char *folder, const char *key, int64_t size,
                int64_t mtime, struct store_row *row)
{
	sqlite3_stmt *st = hc->get;
	bool hit = false, bad = false;
	int rc;

	if (hc->broken)
		return false;
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
		    sqlite3_column_int64(st, 0) == size &&
		    sqlite3_column_type(st, 1) == SQLITE_INTEGER &&
		    sqlite3_column_int64(st, 1) == mtime &&
		    sqlite3_column_type(st, 2) == SQLITE_INTEGER) {
			row->date = (time_t)sqlite3_column_int64(st, 2);
			row->from = col_text(st, 3, &bad);
			row->to = col_text(st, 4, &bad);
			row->subject = col_text(st, 5, &bad);
			row->message_id = col_text(st, 6, &bad);
			row->in_reply_to = col_text(st, 7, &bad);
			row->references = col_text(st, 8, &bad);
			row->content_type = col_text(st, 9, &bad);
			hit = !bad;
			if (bad) {
				free(row->from);
				free(row->to);
				free(row->subject);
				free(row->message_id);
				free(row->in_reply_to);
				free(row->references);
				free(row->content_type);
				row->from = row->to = row->subject = row->message_id = NULL;
				row->in_reply_to = row->references = row->content_type = NULL;
			}
		}
	} else if (rc != SQLITE_DONE) {
		note(hc, rc);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return hit;
}

void hcache_scan(struct hcache *hc, const char *folder, hcache_scan_cb cb, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (hc->broken)
		return;
	rc = sqlite3_prepare_v2(hc->db,
	                        "SELECT key, size, mtime, date, hfrom, hto, subject, msgid, irt,"
	                        " refs, ctype FROM hdr NOT INDEXED WHERE folder = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		note(hc, rc);
		return;
	}
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *vals[7];
		size_t lens[7];
		bool bad = sqlite3_column_type(st, 0) != SQLITE_TEXT;

		for (int c = 1; c <= 3; c++)
			bad |= sqlite3_column_type(st, c) != SQLITE_INTEGER;
		for (int c = 0; c < 7 && !bad; c++) {
			int type = sqlite3_column_type(st, 4 + c);

			vals[c] = NULL;
			lens[c] = 0;
			if (type == SQLITE_NULL)
				continue;
			if (type != SQLITE_TEXT) {
				bad = true;
				break;
			}
			vals[c] = (const char *)sqlite3_column_text(st, 4 + c);
			lens[c] = (size_t)sqlite3_column_bytes(st, 4 + c);
			if (vals[c] == NULL || lens[c] > STORE_MAX_VALUE ||
			    memchr(vals[c], '\0', lens[c]) != NULL)
				bad = true;
		}
		if (bad)
			continue; /* never trusted: that message is read from its file */
		cb(ctx, (const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0),
		   sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
		   vals, lens);
	}
	if (rc != SQLITE_DONE)
		note(hc, rc);
	sqlite3_finalize(st);
}

int hcache_begin(struct hcache *hc)
{
	int rc;

	if (hc->broken || hc->in_txn)
		return WARY_OK;
	rc = sqlite3_exec(hc->db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		note(hc, rc);
		return WARY_EIO;
	}
	hc->in_txn = true;
	return WARY_OK;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

void hcache_put(struct hcache *hc, const char *folder, const struct store_row *row,
                int64_t mtime)
{
	sqlite3_stmt *st = hc->put;
	int rc;

	if (hc->broken)
		return;
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, row->key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, row->size);
	sqlite3_bind_int64(st, 4, mtime);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)row->date);
	bind_opt(st, 6, row->from);
	bind_opt(st, 7, row->to);
	bind_opt(st, 8, row->subject);
	bind_opt(st, 9, row->message_id);
	bind_opt(st, 10, row->in_reply_to);
	bind_opt(st, 11, row->references);
	bind_opt(st, 12, row->content_type);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		note(hc, rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int hcache_commit(struct hcache *hc)
{
	int rc;

	if (!hc->in_txn)
		return WARY_OK;
	hc->in_txn = false;
	rc = sqlite3_exec(hc->db, hc->broken ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		note(hc, rc);
		sqlite3_exec(hc->db, "ROLLBACK", NULL, NULL, NULL);
		return WARY_EIO;
	}
	return WARY_OK;
}

long hcache_count(struct hcache *hc, const char *folder)
{
	sqlite3_stmt *st = NULL;
	long n = -1;
	int rc;

	rc = sqlite3_prepare_v2(hc->db, "SELECT count(*) FROM hdr WHERE folder = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			n = (long)sqlite3_column_int64(st, 0);
		else
			note(hc, rc);
	} else {
		note(hc, rc);
	}
	sqlite3_finalize(st);
	return n;
}

void hcache_prune(struct hcache *hc, const char *folder, const char *const *keys, size_t n)
{
	sqlite3_stmt *ins = NULL, *del = NULL;
	long have;
	int rc;

	if (hc->broken)
		return;
	have = hcache_count(hc, folder);
	if (have < 0 || (size_t)have <= n)
		return; /* nothing stale (every live key has at most one row) */
	rc = sqlite3_exec(hc->db, "CREATE TEMP TABLE IF NOT EXISTS live (key TEXT PRIMARY KEY);"
	                          "DELETE FROM live; BEGIN;", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(hc->db, "INSERT OR IGNORE INTO live VALUES (?1)", -1, &ins, NULL) !=
	    SQLITE_OK)
		goto rollback;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(ins, 1, keys[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (rc != SQLITE_DONE)
			goto rollback;
	}
	if (sqlite3_prepare_v2(hc->db,
	                       "DELETE FROM hdr WHERE folder = ?1 AND key NOT IN (SELECT key FROM live)",
	                       -1, &del, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_text(del, 1, folder, -1, SQLITE_STATIC);
	rc = sqlite3_step(del);
	if (rc != SQLITE_DONE)
		goto rollback;
	rc = sqlite3_exec(hc->db, "COMMIT; DELETE FROM live;", NULL, NULL, NULL);
	goto out;
rollback:
	sqlite3_exec(hc->db, "ROLLBACK", NULL, NULL, NULL);
out:
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		note(hc, rc);
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
}
