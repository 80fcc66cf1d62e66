/* The IMAP header cache in SQLite: per folder its UIDVALIDITY and the
 * HIGHESTMODSEQ its rows are in sync with, per message the UID, flags and
 * index fields.  It is only ever a cache: a file that is not ours in the
 * right version, or that shows damage, is deleted and filled again from
 * the server; a row with a wrong type marks the whole file broken rather
 * than hiding one message.  The exception is the outbox table, actions
 * still to be sent: it lives in the same file so one transaction can
 * change a row and queue the action, and it is lost only with a file
 * that is damaged. */
#include <sqlite3.h>
#include <string.h>

#include "base/base.h"
#include "store/imap_int.h"
#include "store/store_int.h"

/* "WRYI": not the Maildir header cache's id, so neither takes the other's file. */
#define ICACHE_APP_ID 0x57525949

struct icache {
	sqlite3 *db;
	sqlite3_stmt *put, *put_many, *flags, *del, *getflags, *get1, *fid;
	bool broken;
	bool in_txn;
	/* the folder last looked up, and its id (0: no such folder yet) */
	char *fid_name;
	int64_t fid_id;
	struct buf hdr;        /* icache_put's blob, kept for the next row */
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS folder ("
	" id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, uidvalidity INTEGER NOT NULL,"
	" modseq INTEGER NOT NULL, uidnext INTEGER NOT NULL,"
	/* rows with a UID up to this still lack References, Content-Type
	 * and a date from INTERNALDATE (a cold open's first pass; schema 5) */
	" detail_hi INTEGER NOT NULL DEFAULT 0);"
	/* hdr: the seven header values of a row in one blob (hdr_pack): a
	 * 100k-row read takes one column a row, not seven (schema 4).
	 * k: the folder's id << 32 | the UID, the table's rowid (schema 6).
	 * A key of (folder name, UID) made SQLite compare the name on every
	 * step down its tree and store it in every row: a cold open's 100k
	 * inserts took twice as long. */
	"CREATE TABLE IF NOT EXISTS msg ("
	" k INTEGER PRIMARY KEY, flags INTEGER NOT NULL,"
	" date INTEGER NOT NULL, size INTEGER NOT NULL, hdr BLOB NOT NULL);"
	/* No index beside the key: a second tree to write doubled what a
	 * cold open's 100k rows cost SQLite, for a count(*) that the key
	 * answers too (about 10 ms at 100k, read when a folder opens). */
	/* Not a cache: actions that still have to reach the server. */
	"CREATE TABLE IF NOT EXISTS outbox ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, op INTEGER NOT NULL, folder TEXT NOT NULL,"
	" uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL, fset INTEGER NOT NULL,"
	" fclear INTEGER NOT NULL, target TEXT, uids TEXT, msgid TEXT, data BLOB,"
	" attempted INTEGER NOT NULL DEFAULT 0);";

static void note(struct icache *ic, int rc)
{
	/* A value of the wrong type where we wrote one: the file is not what
	 * we made it. */
	if (store_db_damage(rc) || (rc & 0xff) == SQLITE_MISMATCH)
		ic->broken = true;
}

static const char *const probes[] = {
	"SELECT id, name, uidvalidity, modseq, uidnext, detail_hi FROM folder LIMIT 1",
	"SELECT k, flags, date, size, hdr FROM msg LIMIT 1",
	"SELECT id, op, folder, uidvalidity, uid, fset, fclear, target, uids, msgid, data,"
	" attempted FROM outbox LIMIT 1",
	NULL,
};

/* Rows a statement of icache_put_rows writes: SQLite's work for a
 * statement (its transaction check, cursor, halt, reset) is shared by
 * this many rows instead of paid by each. */
#define PUT_MANY 32

static int prepare(void *ctx, sqlite3 *db)
{
	struct icache *ic = ctx;
	struct buf sql = BUF_INIT;
	int rc;

	rc = sqlite3_prepare_v2(db,
	                        "INSERT OR REPLACE INTO msg (k, flags, date, size, hdr)"
	                        " VALUES (?1, ?2, ?3, ?4, ?5)",
	                        -1, &ic->put, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "UPDATE msg SET flags = ?2 WHERE k = ?1", -1, &ic->flags,
		                        NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "DELETE FROM msg WHERE k = ?1", -1, &ic->del, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT flags FROM msg WHERE k = ?1", -1, &ic->getflags,
		                        NULL);
	/* one row by UID: the second pass of a cold open reads 100k so */
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT k, flags, date, size, hdr FROM msg WHERE k = ?1", -1,
		                        &ic->get1, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT id FROM folder WHERE name = ?1", -1, &ic->fid, NULL);
	if (rc == SQLITE_OK) {
		buf_init(&sql);
		buf_adds(&sql, "INSERT OR REPLACE INTO msg (k, flags, date, size, hdr) VALUES ");
		for (int i = 0; i < PUT_MANY; i++)
			buf_adds(&sql, i ? ", (?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?)");
		rc = sqlite3_prepare_v2(db, sql.data, (int)sql.len, &ic->put_many, NULL);
		buf_release(&sql);
	}
	return rc;
}

static const struct store_db_spec spec = {
	.app_id = ICACHE_APP_ID,
	.version = ICACHE_SCHEMA,
	.schema = schema_sql,
	/* WAL with NORMAL sync: a crash may lose the last rows, never
	 * corrupt the file; a lost row is fetched again.  A small page cache:
	 * the index is read once, in order, from the kernel's page cache, so
	 * 16 MB of our own would only be 16 MB more resident memory (512 KB:
	 * at a 100k warm open 1.2 MB less than 2 MB, and as fast). */
	/* 16 KB pages (set before the first table; a no-op on an existing
	 * file): a warm open walks every row in order, and bigger pages make
	 * that walk a fifth cheaper. */
	.pragmas = "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	           " PRAGMA cache_size=-512;",
	.probes = probes,
	.kind = "wary IMAP cache",
	.noun = "IMAP cache",
	.prepare = prepare,
};

static void close_db(struct icache *ic)
{
	/* finalized with the connection */
	ic->put = ic->put_many = ic->flags = ic->del = ic->getflags = ic->get1 = ic->fid = NULL;
	store_db_close(&ic->db);
	free(ic->fid_name);
	ic->fid_name = NULL;
	ic->fid_id = 0;
	buf_release(&ic->hdr);
}

/* The id of folder's row, 0 when it has none: a folder without a row has
 * no messages either (icache_folder_reset makes the row first).  The last
 * answer is kept, since nearly every call names the selected folder. */
static int64_t folder_id(struct icache *ic, const char *folder)
{
	sqlite3_stmt *st = ic->fid;
	int64_t id = 0;
	int rc;

	if (ic->fid_name != NULL && strcmp(ic->fid_name, folder) == 0)
		return ic->fid_id;
	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		bool bad = false;

		id = store_db_col_int(st, 0, &bad);
		/* the id is the top half of a row's key */
		if (bad || id <= 0 || id > INT32_MAX) {
			ic->broken = true;
			id = 0;
		}
	} else if (rc != SQLITE_DONE) {
		note(ic, rc);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (id != 0) {
		free(ic->fid_name);
		ic->fid_name = xstrdup(folder);
		ic->fid_id = id;
	}
	return id;
}

static int64_t row_key(int64_t fid, uint32_t uid)
{
	return (int64_t)((uint64_t)fid << 32 | uid);
}

int icache_open(const char *path, struct icache **out, char *err, size_t errlen)
{
	struct icache *ic = xcalloc(1, sizeof(*ic));
	int rc;

	*out = NULL;
	/* "" (a private temporary file) or ":memory:" when no cache is
	 * configured: the same tables, for this connection only. */
	rc = store_db_open(path, &spec, ic, &ic->db, NULL, err, errlen);
	if (rc != WARY_OK) {
		close_db(ic);
		free(ic);
		return rc;
	}
	*out = ic;
	return WARY_OK;
}

void icache_close(struct icache **pic)
{
	struct icache *ic = pic ? *pic : NULL;

	if (ic == NULL)
		return;
	if (ic->in_txn)
		icache_commit(ic);
	close_db(ic);
	free(ic);
	*pic = NULL;
}

void icache_destroy(struct icache **pic, const char *path)
{
	struct icache *ic = pic ? *pic : NULL;

	if (ic == NULL)
		return;
	if (ic->in_txn)
		store_db_exec(ic->db, "ROLLBACK");
	close_db(ic);
	free(ic);
	*pic = NULL;
	store_db_remove(path);
}

bool icache_broken(const struct icache *ic)
{
	return ic->broken;
}

bool icache_folder_get(struct icache *ic, const char *folder, struct icache_folder *out)
{
	sqlite3_stmt *st = NULL;
	bool found = false, bad = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ic->broken)
		return false;
	rc = sqlite3_prepare_v2(ic->db,
	                        "SELECT f.uidvalidity, f.modseq, f.uidnext,"
	                        " (SELECT max(k) & 4294967295 FROM msg"
	                        "  WHERE k BETWEEN f.id << 32 AND (f.id << 32) + 4294967295),"
	                        " (SELECT count(*) FROM msg"
	                        "  WHERE k BETWEEN f.id << 32 AND (f.id << 32) + 4294967295),"
	                        " f.detail_hi, f.id FROM folder f WHERE f.name = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		note(ic, rc);
		return false;
	}
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t v = store_db_col_int(st, 0, &bad), m = store_db_col_int(st, 1, &bad), n = store_db_col_int(st, 2, &bad);
		int64_t mx = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : store_db_col_int(st, 3, &bad);
		int64_t c = store_db_col_int(st, 4, &bad), d = store_db_col_int(st, 5, &bad);
		int64_t id = store_db_col_int(st, 6, &bad);

		if (v <= 0 || v > UINT32_MAX || m < 0 || n < 0 || n > UINT32_MAX || mx < 0 ||
		    mx > UINT32_MAX || c < 0 || d < 0 || d > UINT32_MAX || id <= 0 || id > INT32_MAX)
			bad = true;
		if (!bad) {
			out->uidvalidity = (uint32_t)v;
			out->modseq = (uint64_t)m;
			out->uidnext = (uint32_t)n;
			out->maxuid = (uint32_t)mx;
			out->count = (long)c;
			out->detail_hi = (uint32_t)d;
			found = true;
		} else {
			ic->broken = true; /* a row we did not write this way */
		}
	} else if (rc != SQLITE_DONE) {
		note(ic, rc);
	}
	sqlite3_finalize(st);
	return found;
}

void icache_folder_reset(struct icache *ic, const char *folder, uint32_t uidvalidity)
{
	sqlite3_stmt *st = NULL;
	int64_t fid;
	int rc;

	if (ic->broken)
		return;
	fid = folder_id(ic, folder);
	rc = fid == 0 ? SQLITE_OK /* no row for the folder: no messages */
	              : sqlite3_prepare_v2(ic->db, "DELETE FROM msg WHERE k BETWEEN ?1 AND ?2", -1,
	                                   &st, NULL);
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, row_key(fid, 0));
		sqlite3_bind_int64(st, 2, row_key(fid, UINT32_MAX));
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(ic->db);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_OK) {
		note(ic, rc);
		return;
	}
	imap_body_forget_folder(ic, folder); /* the UIDs name other messages now */
	/* The folder keeps its id: the keys of its rows are made from it. */
	rc = sqlite3_prepare_v2(ic->db,
	                        "INSERT INTO folder (name, uidvalidity, modseq, uidnext)"
	                        " VALUES (?1, ?2, 0, 0) ON CONFLICT (name) DO UPDATE SET"
	                        " uidvalidity = excluded.uidvalidity, modseq = 0, uidnext = 0,"
	                        " detail_hi = 0", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, uidvalidity);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		note(ic, rc);
	sqlite3_finalize(st);
}

void icache_folder_set_detail(struct icache *ic, const char *folder, uint32_t hi)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (ic->broken)
		return;
	rc = sqlite3_prepare_v2(ic->db, "UPDATE folder SET detail_hi = ?2 WHERE name = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, hi);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		note(ic, rc);
	sqlite3_finalize(st);
}

void icache_folder_set_sync(struct icache *ic, const char *folder, uint64_t modseq,
                            uint32_t uidnext)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (ic->broken)
		return;
	/* SQLite integers are signed: a modseq past 2^63 is not kept, so
	 * the next open fetches flags in full rather than trusting it. */
	if (modseq > INT64_MAX)
		modseq = 0;
	rc = sqlite3_prepare_v2(ic->db, "UPDATE folder SET modseq = ?2, uidnext = ?3 WHERE name = ?1",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)modseq);
		sqlite3_bind_int64(st, 3, uidnext);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		note(ic, rc);
	sqlite3_finalize(st);
}

static void step_reset(struct icache *ic, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		note(ic, rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* The seven header values of a row, in this order, as the hdr blob:
 * one byte with a bit for each value present, then each present value
 * and a NUL.  A value holds no NUL (a header line cannot), so the blob
 * is read back by counting NULs; anything else in it is damage. */
#define HDR_FIELDS 7

static void hdr_values(const struct store_row *row, const char *v[HDR_FIELDS])
{
	v[0] = row->from;
	v[1] = row->to;
	v[2] = row->subject;
	v[3] = row->message_id;
	v[4] = row->in_reply_to;
	v[5] = row->references;
	v[6] = row->content_type;
}

/* Append row's hdr blob to b; returns its length. */
static size_t hdr_pack(const struct store_row *row, struct buf *b)
{
	const char *v[HDR_FIELDS];
	size_t start = b->len;
	unsigned char mask = 0;

	hdr_values(row, v);
	buf_add(b, "", 1); /* the mask, set below */
	for (int i = 0; i < HDR_FIELDS; i++) {
		size_t n;

		if (v[i] == NULL)
			continue;
		/* What a read would refuse is not written: longer than a value
		 * may be, it is cut (the index shows a header line, not all). */
		n = strnlen(v[i], STORE_MAX_VALUE);
		buf_add(b, v[i], n);
		buf_add(b, "", 1);
		mask |= (unsigned char)(1u << i);
	}
	b->data[start] = (char)mask;
	return b->len - start;
}

/* A row's five values to ?first.. of st; its blob must outlive the step. */
static void bind_row(sqlite3_stmt *st, int first, int64_t k, const struct store_row *row,
                     const char *blob, size_t len)
{
	sqlite3_bind_int64(st, first, k);
	sqlite3_bind_int64(st, first + 1, row->flags);
	sqlite3_bind_int64(st, first + 2, (sqlite3_int64)row->date);
	sqlite3_bind_int64(st, first + 3, row->size);
	sqlite3_bind_blob(st, first + 4, blob, (int)len, SQLITE_STATIC);
}

void icache_put(struct icache *ic, const char *folder, uint32_t uid, const struct store_row *row)
{
	size_t len;
	int64_t fid;

	if (ic->broken || (fid = folder_id(ic, folder)) == 0)
		return;
	buf_reset(&ic->hdr);
	len = hdr_pack(row, &ic->hdr);
	/* the blob lives until step_reset has cleared the bindings */
	bind_row(ic->put, 1, row_key(fid, uid), row, ic->hdr.data, len);
	step_reset(ic, ic->put);
}

void icache_put_rows(struct icache *ic, const char *folder, const uint32_t *uids,
                     const struct store_row *rows, size_t n)
{
	size_t i = 0;
	int64_t fid;

	if (ic->broken || (fid = folder_id(ic, folder)) == 0)
		return;
	/* Rows of one statement in the order given: a UID twice is written
	 * as its last row, as separate statements would. */
	for (; n - i >= PUT_MANY && ic->put_many != NULL && !ic->broken; i += PUT_MANY) {
		size_t off[PUT_MANY], len[PUT_MANY];

		buf_reset(&ic->hdr);
		for (size_t j = 0; j < PUT_MANY; j++) {
			off[j] = ic->hdr.len;
			len[j] = hdr_pack(&rows[i + j], &ic->hdr);
		}
		/* bound once every blob is in place: the buffer moved as it grew */
		for (size_t j = 0; j < PUT_MANY; j++)
			bind_row(ic->put_many, (int)j * 5 + 1, row_key(fid, uids[i + j]), &rows[i + j],
			         ic->hdr.data + off[j], len[j]);
		step_reset(ic, ic->put_many);
	}
	for (; i < n; i++)
		icache_put(ic, folder, uids[i], &rows[i]);
}

void icache_set_flags(struct icache *ic, const char *folder, uint32_t uid, unsigned flags)
{
	int64_t fid;

	if (ic->broken || (fid = folder_id(ic, folder)) == 0)
		return;
	sqlite3_bind_int64(ic->flags, 1, row_key(fid, uid));
	sqlite3_bind_int64(ic->flags, 2, flags);
	step_reset(ic, ic->flags);
}

void icache_delete(struct icache *ic, const char *folder, uint32_t uid)
{
	int64_t fid;

	if (ic->broken || (fid = folder_id(ic, folder)) == 0)
		return;
	sqlite3_bind_int64(ic->del, 1, row_key(fid, uid));
	step_reset(ic, ic->del);
}

bool icache_flags(struct icache *ic, const char *folder, uint32_t uid, unsigned *flags)
{
	sqlite3_stmt *st = ic->getflags;
	bool found = false;
	int64_t fid;
	int rc;

	if (ic->broken || (fid = folder_id(ic, folder)) == 0)
		return false;
	sqlite3_bind_int64(st, 1, row_key(fid, uid));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		bool bad = false;
		int64_t f = store_db_col_int(st, 0, &bad);

		if (bad || f < 0 || f > 0xffff)
			ic->broken = true;
		else {
			*flags = (unsigned)f;
			found = true;
		}
	} else if (rc != SQLITE_DONE) {
		note(ic, rc);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

long icache_count(struct icache *ic, const char *folder)
{
	sqlite3_stmt *st = NULL;
	long n = -1;
	int64_t fid;
	int rc;

	if (ic->broken)
		return -1;
	if ((fid = folder_id(ic, folder)) == 0)
		return ic->broken ? -1 : 0;
	rc = sqlite3_prepare_v2(ic->db, "SELECT count(*) FROM msg WHERE k BETWEEN ?1 AND ?2", -1,
	                        &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, row_key(fid, 0));
		sqlite3_bind_int64(st, 2, row_key(fid, UINT32_MAX));
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			n = (long)sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_ROW)
		note(ic, rc);
	sqlite3_finalize(st);
	return n;
}

struct store_folder *icache_folders(struct icache *ic, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct store_folder *v = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	if (ic->broken)
		return NULL;
	rc = sqlite3_prepare_v2(ic->db,
	                        "SELECT f.name, (SELECT count(*) FROM msg m"
	                        "  WHERE m.k BETWEEN f.id << 32 AND (f.id << 32) + 4294967295),"
	                        " (SELECT count(*) FROM msg m"
	                        "  WHERE m.k BETWEEN f.id << 32 AND (f.id << 32) + 4294967295"
	                        "  AND (m.flags & ?1) = 0) FROM folder f ORDER BY f.name",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK) {
		note(ic, rc);
		return NULL;
	}
	sqlite3_bind_int(st, 1, STORE_SEEN);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t len;
		bool bad = false;
		const char *name = (const char *)store_db_col_text(st, 0, &len, &bad);
		int64_t total = store_db_col_int(st, 1, &bad), unread = store_db_col_int(st, 2, &bad);

		if (bad || name == NULL || len == 0 || memchr(name, '\0', len) != NULL || total < 0 ||
		    unread < 0 || total > UINT32_MAX || unread > total) {
			ic->broken = true;
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].id = xstrndup(name, len);
		v[*n].total = (unsigned)total;
		v[*n].unread = (unsigned)unread;
		(*n)++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		note(ic, rc);
	sqlite3_finalize(st);
	if (ic->broken) {
		store_folders_free(&v, *n);
		*n = 0;
	}
	return v;
}

/* Rows of folder, newest first; only uid when it is not 0.  Returns
 * how many rows reached cb.  Each row is made packed, straight from the
 * hdr blob: its key and the blob's values in one block, one copy. */
static size_t scan(struct icache *ic, const char *folder, uint32_t only, icache_row_cb cb,
                   void *ctx)
{
	sqlite3_stmt *st = NULL;
	size_t seen = 0;
	int64_t fid;
	int rc;

	if (ic->broken || (fid = folder_id(ic, folder)) == 0)
		return 0;
	if (only != 0) {
		st = ic->get1;
		rc = st != NULL ? SQLITE_OK : SQLITE_MISUSE;
	} else {
		rc = sqlite3_prepare_v2(ic->db, "SELECT k, flags, date, size, hdr FROM msg"
		                        " WHERE k BETWEEN ?1 AND ?2 ORDER BY k DESC", -1, &st, NULL);
	}
	if (rc != SQLITE_OK) {
		note(ic, rc);
		return 0;
	}
	if (only != 0) {
		sqlite3_bind_int64(st, 1, row_key(fid, only));
	} else {
		sqlite3_bind_int64(st, 1, row_key(fid, 0));
		sqlite3_bind_int64(st, 2, row_key(fid, UINT32_MAX));
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_row row;
		bool bad = false;
		int64_t k = store_db_col_int(st, 0, &bad), flags = store_db_col_int(st, 1, &bad);
		int64_t uid = k - row_key(fid, 0);
		char **dst[HDR_FIELDS] = { &row.from, &row.to, &row.subject, &row.message_id,
		                           &row.in_reply_to, &row.references, &row.content_type };
		const unsigned char *hdr = NULL;
		size_t hlen = 0, klen;
		char key[IMAP_KEY_SIZE], *block, *p, *end;
		unsigned mask = 0;
		int stop;

		memset(&row, 0, sizeof(row));
		row.date = (time_t)store_db_col_int(st, 2, &bad);
		row.size = store_db_col_int(st, 3, &bad);
		if (sqlite3_column_type(st, 4) == SQLITE_BLOB) {
			hdr = sqlite3_column_blob(st, 4);
			hlen = (size_t)sqlite3_column_bytes(st, 4);
		}
		if (bad || hdr == NULL || hlen < 1 || hlen > 1 + HDR_FIELDS * (STORE_MAX_VALUE + 1) ||
		    uid <= 0 || uid > UINT32_MAX || flags < 0 || flags > 0xffff || hdr[0] >> HDR_FIELDS) {
			ic->broken = true;
			break;
		}
		mask = hdr[0];
		klen = imap_uid_to_key((uint32_t)uid, key);
		block = xmalloc(klen + 1 + hlen - 1);
		memcpy(block, key, klen + 1);
		memcpy(block + klen + 1, hdr + 1, hlen - 1);
		row.key = block;
		/* The values in place: one NUL-ended run per bit set, no more,
		 * no less. */
		p = block + klen + 1;
		end = block + klen + hlen;
		for (int i = 0; i < HDR_FIELDS && !bad; i++) {
			char *nul;

			if (!(mask & (1u << i)))
				continue;
			nul = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
			if (nul == NULL || (size_t)(nul - p) > STORE_MAX_VALUE) {
				bad = true;
				break;
			}
			*dst[i] = p;
			p = nul + 1;
		}
		if (bad || p != end) {
			free(block);
			ic->broken = true;
			break;
		}
		row.flags = (unsigned)flags;
		row.packed = true;
		seen++;
		stop = cb(ctx, (uint32_t)uid, &row);
		free(row.key); /* NULL when cb took the row */
		if (stop != 0)
			break;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		note(ic, rc);
	if (st == ic->get1)
		sqlite3_reset(st); /* kept for the next */
	else
		sqlite3_finalize(st);
	return seen;
}

void icache_scan(struct icache *ic, const char *folder, icache_row_cb cb, void *ctx)
{
	scan(ic, folder, 0, cb, ctx);
}

bool icache_get(struct icache *ic, const char *folder, uint32_t uid, icache_row_cb cb, void *ctx)
{
	return uid != 0 && scan(ic, folder, uid, cb, ctx) > 0;
}

uint32_t *icache_uids(struct icache *ic, const char *folder, size_t *n)
{
	return icache_uids_between(ic, folder, 1, UINT32_MAX, n);
}

/* The UIDs a prepared, bound statement selects, in order; a value that is
 * not a UID marks the cache broken (it is rebuilt, never trusted).  The
 * statement is finalized here. */
static uint32_t *collect_uids(struct icache *ic, sqlite3_stmt *st, int64_t fid, size_t *n)
{
	uint32_t *v = NULL;
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bool bad = false;
		int64_t uid = store_db_col_int(st, 0, &bad) - row_key(fid, 0);

		if (bad || uid <= 0 || uid > UINT32_MAX) {
			ic->broken = true;
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[(*n)++] = (uint32_t)uid;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		note(ic, rc);
	sqlite3_finalize(st);
	return v;
}

uint32_t *icache_uids_between(struct icache *ic, const char *folder, uint32_t first,
                              uint32_t last, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int64_t fid;
	int rc;

	*n = 0;
	if (ic->broken || (fid = folder_id(ic, folder)) == 0)
		return NULL;
	rc = sqlite3_prepare_v2(ic->db, "SELECT k FROM msg WHERE k BETWEEN ?1 AND ?2 ORDER BY k", -1,
	                        &st, NULL);
	if (rc != SQLITE_OK) {
		note(ic, rc);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, row_key(fid, first));
	sqlite3_bind_int64(st, 2, row_key(fid, last));
	return collect_uids(ic, st, fid, n);
}

int icache_begin(struct icache *ic)
{
	return store_db_begin(ic->db, &ic->in_txn, &ic->broken);
}

int icache_commit(struct icache *ic)
{
	return store_db_commit(ic->db, &ic->in_txn, &ic->broken);
}

uint32_t *icache_uids_with(struct icache *ic, const char *folder, unsigned flag, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int64_t fid;
	int rc;

	*n = 0;
	if (ic->broken || (fid = folder_id(ic, folder)) == 0)
		return NULL;
	rc = sqlite3_prepare_v2(ic->db,
	                        "SELECT k FROM msg WHERE k BETWEEN ?1 AND ?2 AND (flags & ?3) = ?3"
	                        " ORDER BY k", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		note(ic, rc);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, row_key(fid, 0));
	sqlite3_bind_int64(st, 2, row_key(fid, UINT32_MAX));
	sqlite3_bind_int64(st, 3, flag);
	return collect_uids(ic, st, fid, n);
}

/* ---- the outbox ---- */

void imap_outbox_entry_clear(struct imap_outbox_entry *e)
{
	if (e == NULL)
		return;
	free(e->folder);
	free(e->target);
	free(e->uids);
	free(e->message_id);
	free(e->data);
	memset(e, 0, sizeof(*e));
}

/* One statement in its own transaction, synced before it returns: the
 * outbox is the one table here whose rows a power cut must not take. */
static int durable_step(struct icache *ic, sqlite3_stmt *st)
{
	int rc;

	if (ic->in_txn)
		icache_commit(ic);
	store_db_exec(ic->db, "PRAGMA synchronous=FULL");
	rc = sqlite3_step(st);
	store_db_exec(ic->db, "PRAGMA synchronous=NORMAL");
	if (rc != SQLITE_DONE) {
		note(ic, rc);
		return WARY_EIO;
	}
	return WARY_OK;
}

int icache_outbox_add(struct icache *ic, const struct imap_outbox_entry *e)
{
	sqlite3_stmt *st = NULL;
	int rc = WARY_EIO;

	if (ic->broken)
		return WARY_EIO;
	if (sqlite3_prepare_v2(ic->db,
	                       "INSERT INTO outbox (op, folder, uidvalidity, uid, fset, fclear,"
	                       " target, uids, msgid, data, attempted)"
	                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	                       -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int(st, 1, (int)e->op);
	sqlite3_bind_text(st, 2, e->folder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, e->uidvalidity);
	sqlite3_bind_int64(st, 4, e->uid);
	sqlite3_bind_int64(st, 5, e->set);
	sqlite3_bind_int64(st, 6, e->clear);
	store_db_bind_opt(st, 7, e->target);
	store_db_bind_opt(st, 8, e->uids);
	store_db_bind_opt(st, 9, e->message_id);
	if (e->data != NULL)
		sqlite3_bind_blob64(st, 10, e->data, e->len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_int(st, 11, e->attempted ? 1 : 0);
	rc = durable_step(ic, st);
out:
	sqlite3_finalize(st);
	return rc;
}

static char *dup_text(sqlite3_stmt *st, int i, bool *bad)
{
	size_t n;
	const char *t = store_db_col_text(st, i, &n, bad);

	return t != NULL ? xstrndup(t, n) : NULL;
}

bool icache_outbox_first(struct icache *ic, struct imap_outbox_entry *e)
{
	sqlite3_stmt *st = NULL;
	bool found = false, bad = false;
	int rc;

	memset(e, 0, sizeof(*e));
	if (ic->broken)
		return false;
	rc = sqlite3_prepare_v2(ic->db,
	                        "SELECT id, op, folder, uidvalidity, uid, fset, fclear, target, uids,"
	                        " msgid, data, attempted FROM outbox ORDER BY id LIMIT 1",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t op = store_db_col_int(st, 1, &bad), uv = store_db_col_int(st, 3, &bad);
		int64_t uid = store_db_col_int(st, 4, &bad);
		int type = sqlite3_column_type(st, 10);

		e->id = store_db_col_int(st, 0, &bad);
		e->folder = dup_text(st, 2, &bad);
		e->set = (unsigned)store_db_col_int(st, 5, &bad);
		e->clear = (unsigned)store_db_col_int(st, 6, &bad);
		e->target = dup_text(st, 7, &bad);
		e->uids = dup_text(st, 8, &bad);
		e->message_id = dup_text(st, 9, &bad);
		e->attempted = store_db_col_int(st, 11, &bad) != 0;
		if (type == SQLITE_BLOB) {
			const void *p = sqlite3_column_blob(st, 10);
			int n = sqlite3_column_bytes(st, 10);

			if (p != NULL && n > 0) {
				e->data = xmalloc((size_t)n);
				memcpy(e->data, p, (size_t)n);
				e->len = (size_t)n;
			}
		} else if (type != SQLITE_NULL) {
			bad = true;
		}
		if (op < IMAP_OP_FLAGS || op > IMAP_OP_APPEND || uv < 0 || uv > UINT32_MAX ||
		    uid < 0 || uid > UINT32_MAX || e->folder == NULL)
			bad = true;
		e->op = (enum imap_op)op;
		e->uidvalidity = (uint32_t)uv;
		e->uid = (uint32_t)uid;
		found = !bad;
		if (bad) {
			ic->broken = true; /* not a row we wrote */
			imap_outbox_entry_clear(e);
		}
	} else if (rc != SQLITE_DONE) {
		note(ic, rc);
	}
	sqlite3_finalize(st);
	return found;
}

static int outbox_by_id(struct icache *ic, const char *sql, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int rc = WARY_EIO;

	if (ic->broken)
		return WARY_EIO;
	if (sqlite3_prepare_v2(ic->db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		rc = durable_step(ic, st);
	}
	sqlite3_finalize(st);
	return rc;
}

int icache_outbox_mark_attempted(struct icache *ic, int64_t id)
{
	return outbox_by_id(ic, "UPDATE outbox SET attempted = 1 WHERE id = ?1", id);
}

int icache_outbox_remove(struct icache *ic, int64_t id)
{
	return outbox_by_id(ic, "DELETE FROM outbox WHERE id = ?1", id);
}

long icache_outbox_count(struct icache *ic)
{
	sqlite3_stmt *st = NULL;
	long n = 0;

	if (ic->broken)
		return 0;
	if (sqlite3_prepare_v2(ic->db, "SELECT count(*) FROM outbox", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- for the body cache (imap_body.c), which keeps its table here ---- */

struct sqlite3 *icache_db(struct icache *ic)
{
	return ic->db;
}

void icache_note(struct icache *ic, int sqlite_rc)
{
	note(ic, sqlite_rc);
}
