/* The SQLite files of the store (the Maildir header cache, the IMAP cache,
 * the POP3 table) are opened one way: a file is ours only when its
 * application_id and user_version say so and its tables read back; one of
 * another version or with damage is deleted and made anew, one that
 * belongs to something else is never touched.  The statement helpers here
 * are the ones every table needs. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "store/store_int.h"

bool store_db_damage(int rc)
{
	int prim = rc & 0xff;

	return prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB || prim == SQLITE_IOERR ||
	       prim == SQLITE_FORMAT;
}

void store_db_remove(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };

	for (size_t i = 0; i < ARRAY_SIZE(sfx); i++) {
		char *p = xasprintf("%s%s", path, sfx[i]);

		unlink(p);
		free(p);
	}
}

int store_db_exec(struct sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	sqlite3_free(msg);
	return rc;
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
static enum verdict inspect(sqlite3 *db, const struct store_db_spec *spec)
{
	int app = 0, ver = 0, tables = 0;

	if (pragma_int(db, "PRAGMA application_id", &app) != SQLITE_OK ||
	    pragma_int(db, "PRAGMA user_version", &ver) != SQLITE_OK ||
	    pragma_int(db, "SELECT count(*) FROM sqlite_master", &tables) != SQLITE_OK)
		return V_REBUILD;
	if (app == 0 && tables == 0)
		return V_EMPTY;
	if (app != spec->app_id)
		return V_FOREIGN;
	if (ver != spec->version)
		return V_REBUILD;
	if (spec->quick_check) {
		sqlite3_stmt *st = NULL;
		bool ok;
		int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);

		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		ok = rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT &&
		     strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
		sqlite3_finalize(st);
		if (!ok)
			return V_REBUILD;
	}
	/* The tables must be there and readable: a damaged first page shows
	 * here rather than in the middle of the work. */
	for (size_t i = 0; spec->probes != NULL && spec->probes[i] != NULL; i++) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(db, spec->probes[i], -1, &st, NULL);

		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return V_REBUILD;
	}
	return V_OURS;
}

static int setup(sqlite3 *db, const struct store_db_spec *spec, bool fresh)
{
	int rc;

	sqlite3_busy_timeout(db, 2000);
	rc = store_db_exec(db, spec->pragmas);
	if (rc != SQLITE_OK || !fresh)
		return rc;
	rc = store_db_exec(db, spec->schema);
	if (rc == SQLITE_OK) {
		char sql[128];

		snprintf(sql, sizeof(sql), "PRAGMA application_id=%d; PRAGMA user_version=%d;",
		         spec->app_id, spec->version);
		rc = store_db_exec(db, sql);
	}
	return rc;
}

void store_db_close(struct sqlite3 **pdb)
{
	sqlite3_stmt *st;

	if (*pdb == NULL)
		return;
	/* Whatever the owner prepared goes with the connection, so a failed
	 * open cannot leave a statement that keeps the file open. */
	while ((st = sqlite3_next_stmt(*pdb, NULL)) != NULL)
		sqlite3_finalize(st);
	sqlite3_close(*pdb);
	*pdb = NULL;
}

static int ready(sqlite3 *db, const struct store_db_spec *spec, bool fresh, void *ctx)
{
	int rc = setup(db, spec, fresh);

	if (rc == SQLITE_OK && spec->prepare != NULL)
		rc = spec->prepare(ctx, db);
	return rc;
}

int store_db_mkdir_parent(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int rc = WARY_OK;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		rc = fs_mkdir_p(dir, 0700, err, errlen);
	}
	free(dir);
	return rc;
}

int store_db_open(const char *path, const struct store_db_spec *spec, void *ctx,
                  struct sqlite3 **out, bool *fresh, char *err, size_t errlen)
{
	const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	sqlite3 *db = NULL;
	int rc = WARY_OK;

	*out = NULL;
	if (fresh != NULL)
		*fresh = false;
	/* "": SQLite's private temporary file, unlinked as soon as it is
	 * made and gone with the connection; only its page cache is memory. */
	if (strcmp(path, ":memory:") == 0 || path[0] == '\0') {
		if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK ||
		    ready(db, spec, true, ctx) != SQLITE_OK) {
			rc = err_set(err, errlen, WARY_ENOMEM, "cannot create the %s in memory",
			             spec->noun);
			goto out;
		}
		if (fresh != NULL)
			*fresh = true;
		goto out;
	}
	rc = store_db_mkdir_parent(path, err, errlen);
	if (rc != WARY_OK)
		goto out;
	for (int attempt = 0; attempt < 2; attempt++) {
		enum verdict v;
		/* 0600 from the start: what lives in these files is private. */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0) {
			rc = err_set(err, errlen, WARY_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		close(fd);
		if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
			store_db_close(&db);
			store_db_remove(path);
			continue;
		}
		v = inspect(db, spec);
		if (v == V_FOREIGN) {
			rc = err_set(err, errlen, WARY_ERR,
			             "%s: an SQLite file that is not a %s; not touching it", path,
			             spec->kind);
			goto out;
		}
		if (v == V_REBUILD || ready(db, spec, v == V_EMPTY, ctx) != SQLITE_OK) {
			store_db_close(&db);
			store_db_remove(path);
			continue;
		}
		if (fresh != NULL)
			*fresh = v == V_EMPTY;
		goto out;
	}
	rc = err_set(err, errlen, WARY_EIO, "%s: cannot create the %s", path, spec->noun);
out:
	if (rc != WARY_OK)
		store_db_close(&db);
	*out = db;
	return rc;
}

int store_db_begin(struct sqlite3 *db, bool *in_txn, bool *broken)
{
	int rc;

	if (*broken || *in_txn)
		return WARY_OK;
	rc = store_db_exec(db, "BEGIN");
	if (rc != SQLITE_OK) {
		*broken |= store_db_damage(rc);
		return WARY_EIO;
	}
	*in_txn = true;
	return WARY_OK;
}

int store_db_commit(struct sqlite3 *db, bool *in_txn, bool *broken)
{
	int rc;

	if (!*in_txn)
		return WARY_OK;
	*in_txn = false;
	rc = store_db_exec(db, *broken ? "ROLLBACK" : "COMMIT");
	if (rc != SQLITE_OK) {
		*broken |= store_db_damage(rc);
		store_db_exec(db, "ROLLBACK");
		return WARY_EIO;
	}
	return WARY_OK;
}

void store_db_bind_opt(struct sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

const char *store_db_col_text(struct sqlite3_stmt *st, int i, size_t *len, bool *bad)
{
	int type = sqlite3_column_type(st, i);
	const unsigned char *t;
	int n;

	*len = 0;
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
	*len = (size_t)n;
	return (const char *)t;
}

int64_t store_db_col_int(struct sqlite3_stmt *st, int i, bool *bad)
{
	if (sqlite3_column_type(st, i) != SQLITE_INTEGER) {
		*bad = true;
		return 0;
	}
	return sqlite3_column_int64(st, i);
}
