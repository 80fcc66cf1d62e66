/*
 * The senders whose remote content the user allowed.  Not part of
 * rendering (which never loads anything, allowed or not): it decides only
 * whether the copy handed to a browser keeps its remote references.
 */
#include <sqlite3.h>
#include <sys/stat.h>

#include "render/render_int.h"

struct render_allow {
	sqlite3 *db;
};

static char *norm_address(const char *a)
{
	char *s = xstrdup(a ? a : "");

	str_trim(s);
	if (s[0] == '<' && s[strlen(s) - 1] == '>') {
		memmove(s, s + 1, strlen(s));
		s[strlen(s) - 1] = '\0';
	}
	return str_lower(s);
}

int render_allow_open(const char *path, struct render_allow **out, char *err, size_t errlen)
{
	struct render_allow *a = xcalloc(1, sizeof(*a));
	char *dir = NULL, *p = NULL;
	char *msg = NULL;
	int rc = WARY_OK;

	if (path == NULL) {
		dir = fs_xdg_dir(FS_XDG_DATA);
		if (dir == NULL) {
			rc = err_set(err, errlen, WARY_ERR, "no data directory");
			goto out;
		}
		if ((rc = fs_mkdir_p(dir, 0700, err, errlen)) != WARY_OK)
			goto out;
		p = xasprintf("%s/remote.db", dir);
		path = p;
	}
	if (sqlite3_open_v2(path, &a->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", path, a->db ? sqlite3_errmsg(a->db) : "cannot open");
		goto out;
	}
	(void)chmod(path, 0600);
	sqlite3_busy_timeout(a->db, 2000);
	if (sqlite3_exec(a->db, "CREATE TABLE IF NOT EXISTS allow_remote ("
	                        " address TEXT PRIMARY KEY NOT NULL, added INTEGER NOT NULL)",
	                 NULL, NULL, &msg) != SQLITE_OK) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", path, msg ? msg : "cannot create the table");
		sqlite3_free(msg);
		goto out;
	}
	*out = a;
	a = NULL;
out:
	render_allow_close(&a);
	free(dir);
	free(p);
	return rc;
}

void render_allow_close(struct render_allow **a)
{
	if (a == NULL || *a == NULL)
		return;
	if ((*a)->db != NULL)
		sqlite3_close((*a)->db);
	free(*a);
	*a = NULL;
}

bool render_allow_has(struct render_allow *a, const char *address)
{
	sqlite3_stmt *st = NULL;
	char *addr = norm_address(address);
	bool found = false;

	if (a != NULL && addr[0] &&
	    sqlite3_prepare_v2(a->db, "SELECT 1 FROM allow_remote WHERE address = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, addr, -1, SQLITE_TRANSIENT);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	free(addr);
	return found;
}

static int exec_addr(struct render_allow *a, const char *sql, const char *address, int *changes,
                     char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char *addr = norm_address(address);
	int rc = WARY_OK;

	if (addr[0] == '\0' || strchr(addr, '@') == NULL) {
		rc = err_set(err, errlen, WARY_EPARSE, "not an address: %s", address);
		goto out;
	}
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, WARY_EIO, "%s", sqlite3_errmsg(a->db));
		goto out;
	}
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_TRANSIENT);
	if (sqlite3_bind_parameter_count(st) > 1)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = err_set(err, errlen, WARY_EIO, "%s", sqlite3_errmsg(a->db));
		goto out;
	}
	*changes = sqlite3_changes(a->db);
out:
	sqlite3_finalize(st);
	free(addr);
	return rc;
}

int render_allow_add(struct render_allow *a, const char *address, char *err, size_t errlen)
{
	int changes = 0;

	return exec_addr(a, "INSERT OR REPLACE INTO allow_remote (address, added) VALUES (?, ?)", address,
	                 &changes, err, errlen);
}

int render_allow_revoke(struct render_allow *a, const char *address, char *err, size_t errlen)
{
	int changes = 0;
	int rc = exec_addr(a, "DELETE FROM allow_remote WHERE address = ?", address, &changes, err, errlen);

	if (rc == WARY_OK && changes == 0)
		return err_set(err, errlen, WARY_ENOENT, "%s was not allowed", address);
	return rc;
}

int render_allow_list(struct render_allow *a, struct buf *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = WARY_OK, s;

	if (sqlite3_prepare_v2(a->db, "SELECT address, added FROM allow_remote ORDER BY address", -1, &st,
	                       NULL) != SQLITE_OK)
		return err_set(err, errlen, WARY_EIO, "%s", sqlite3_errmsg(a->db));
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *addr = (const char *)sqlite3_column_text(st, 0);
		time_t t = (time_t)sqlite3_column_int64(st, 1);
		struct tm tm;
		char when[32] = "?";

		if (gmtime_r(&t, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		safe_text(out, addr ? addr : "", addr ? strlen(addr) : 0, SAFE_LINE);
		buf_addf(out, "\t%s\n", when);
	}
	if (s != SQLITE_DONE)
		rc = err_set(err, errlen, WARY_EIO, "%s", sqlite3_errmsg(a->db));
	sqlite3_finalize(st);
	return rc;
}
