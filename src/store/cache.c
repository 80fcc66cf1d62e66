/* The header cache in SQLite.  It is only ever a cache: anything odd
 * about the file (not a database, corrupt, another schema version) makes
 * us delete it and start over, and a row is used only while the message
 * file still has the size and mtime it had when the row was written. */
#include <sqlite3.h>
#include <string.h>

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
	if (store_db_damage(rc))
		hc->broken = true;
}

static const char *const probes[] = {
	"SELECT folder, key, size, mtime, date FROM hdr LIMIT 1",
	NULL,
};

static int prepare(void *ctx, sqlite3 *db)
{
	struct hcache *hc = ctx;
	int rc;

	rc = sqlite3_prepare_v2(db,
	                        "SELECT size, mtime, date, hfrom, hto, subject, msgid, irt, refs,"
	                        " ctype FROM hdr WHERE folder = ?1 AND key = ?2",
	                        -1, &hc->get, NULL);
	if (rc != SQLITE_OK)
		return rc;
	return sqlite3_prepare_v2(db,
	                          "INSERT OR REPLACE INTO hdr (folder, key, size, mtime, date,"
	                          " hfrom, hto, subject, msgid, irt, refs, ctype)"
	                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	                          -1, &hc->put, NULL);
}

static const struct store_db_spec spec = {
	.app_id = HCACHE_APP_ID,
	.version = HCACHE_SCHEMA,
	.schema = schema_sql,
	/* WAL with NORMAL sync: a crash may lose the last rows, never
	 * corrupt the file, and nothing here is precious. */
	.pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;",
	.probes = probes,
	.kind = "wary cache",
	.noun = "header cache",
	.prepare = prepare,
};

static void close_db(struct hcache *hc)
{
	hc->get = hc->put = NULL; /* finalized with the connection */
	store_db_close(&hc->db);
}

int hcache_open(const char *path, struct hcache **out, char *err, size_t errlen)
{
	struct hcache *hc = xcalloc(1, sizeof(*hc));
	int rc;

	*out = NULL;
	rc = store_db_open(path, &spec, hc, &hc->db, NULL, err, errlen);
	if (rc != WARY_OK) {
		close_db(hc);
		free(hc);
		return rc;
	}
	*out = hc;
	return WARY_OK;
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
		store_db_exec(hc->db, "ROLLBACK");
	close_db(hc);
	free(hc);
	*phc = NULL;
	store_db_remove(path);
}

bool hcache_broken(const struct hcache *hc)
{
	return hc->broken;
}

static char *col_text(sqlite3_stmt *st, int i, bool *bad)
{
	size_t n;
	const char *t = store_db_col_text(st, i, &n, bad);

	return t != NULL ? xstrndup(t, n) : NULL;
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
	return store_db_begin(hc->db, &hc->in_txn, &hc->broken);
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
	store_db_bind_opt(st, 6, row->from);
	store_db_bind_opt(st, 7, row->to);
	store_db_bind_opt(st, 8, row->subject);
	store_db_bind_opt(st, 9, row->message_id);
	store_db_bind_opt(st, 10, row->in_reply_to);
	store_db_bind_opt(st, 11, row->references);
	store_db_bind_opt(st, 12, row->content_type);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		note(hc, rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int hcache_commit(struct hcache *hc)
{
	return store_db_commit(hc->db, &hc->in_txn, &hc->broken);
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
	rc = store_db_exec(hc->db, "CREATE TEMP TABLE IF NOT EXISTS live (key TEXT PRIMARY KEY);"
	                          "DELETE FROM live; BEGIN;");
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
	rc = store_db_exec(hc->db, "COMMIT; DELETE FROM live;");
	goto out;
rollback:
	store_db_exec(hc->db, "ROLLBACK");
out:
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		note(hc, rc);
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
}
