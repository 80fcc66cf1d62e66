/*
 * The token store: the user's counts in one SQLite file.
 *
 *   tok(k, s, h, d)      token hash, spam and ham messages it was in, the
 *                        day it was last trained
 *   msg(digest, spam, d) every message trained (SHA-256 of its bytes, first
 *                        16 bytes), so training twice counts once and
 *                        training the other way moves its counts
 *   meta(k, v)           nspam, nham, the tokenizer version
 *
 * Training gathers the changes of a batch in memory and writes each
 * token once, in one transaction, at commit.  For many classifications
 * the whole table is read into a hash once (spam_db_load).  A file that
 * is not ours or is damaged is refused, never rebuilt: training is the
 * user's work.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spam/spam_int.h"

#define SPAM_APP_ID 0x57535044 /* "WSPD" */
#define SPAM_SCHEMA 1

/* u64 -> two int32 counts, open addressing, with the keys in order.  One
 * 16-byte entry holds a key and its counts, so a lookup in a table much
 * bigger than the caches costs one miss, not three. */
struct centry {
	uint64_t key; /* 0 = empty */
	int32_t a, b;
};
struct cmap {
	struct centry *e;
	size_t cap, n;
	uint64_t *order;
	size_t ocap;
};

static void cmap_init(struct cmap *m, size_t hint)
{
	size_t cap = 1024;

	/* at most 70% full */
	while (cap * 7 < hint * 10)
		cap *= 2;
	memset(m, 0, sizeof(*m));
	m->cap = cap;
	m->e = xcalloc(cap, sizeof(*m->e));
}

static void cmap_free(struct cmap *m)
{
	free(m->e);
	free(m->order);
	memset(m, 0, sizeof(*m));
}

static size_t cmap_find(const struct cmap *m, uint64_t k)
{
	size_t mask = m->cap - 1, j = (size_t)(k ^ (k >> 29)) & mask;

	while (m->e[j].key != 0 && m->e[j].key != k)
		j = (j + 1) & mask;
	return j;
}

static void cmap_grow(struct cmap *m)
{
	struct cmap nm;

	cmap_init(&nm, m->cap);
	for (size_t i = 0; i < m->cap; i++) {
		if (m->e[i].key)
			nm.e[cmap_find(&nm, m->e[i].key)] = m->e[i];
	}
	nm.n = m->n;
	nm.order = m->order;
	nm.ocap = m->ocap;
	m->order = NULL;
	cmap_free(m);
	*m = nm;
}

/* The slot of k, added with zero counts when absent. */
static size_t cmap_slot(struct cmap *m, uint64_t k, bool keep_order)
{
	size_t j;

	if ((m->n + 1) * 10 > m->cap * 7)
		cmap_grow(m);
	j = cmap_find(m, k);
	if (m->e[j].key == 0) {
		m->e[j].key = k;
		m->e[j].a = m->e[j].b = 0;
		m->n++;
		if (keep_order) {
			if (m->n > m->ocap) {
				m->ocap = m->ocap ? m->ocap * 2 : 4096;
				m->order = xreallocarray(m->order, m->ocap, sizeof(*m->order));
			}
			m->order[m->n - 1] = k;
		}
	}
	return j;
}

static bool cmap_get(const struct cmap *m, uint64_t k, int32_t *a, int32_t *b)
{
	size_t j;

	if (m->cap == 0)
		return false;
	j = cmap_find(m, k);
	if (m->e[j].key == 0)
		return false;
	*a = m->e[j].a;
	*b = m->e[j].b;
	return true;
}

/*
 * The whole token table for many classifications: the rows as SQLite
 * gives them (by key, so loading is one sequential pass), found through
 * an index of the top bits of the key (the keys are hashes, uniform):
 * about one entry per bucket, so a lookup costs two cache misses and
 * building it no random writes at all.
 */
#define KEY_SIGN 0x8000000000000000ULL
struct snap {
	struct centry *e;
	size_t n;
	uint32_t *start; /* (1 << bits) + 1 offsets into e */
	unsigned shift;
};

static void snap_free(struct snap *sn)
{
	free(sn->e);
	free(sn->start);
	memset(sn, 0, sizeof(*sn));
}

static int cmp_centry(const void *x, const void *y)
{
	uint64_t a = ((const struct centry *)x)->key ^ KEY_SIGN, b = ((const struct centry *)y)->key ^ KEY_SIGN;

	return a < b ? -1 : a > b;
}

/* e sorted by key ^ KEY_SIGN (SQLite's order of the signed keys). */
static void snap_index(struct snap *sn)
{
	unsigned bits = 10;
	size_t nb, j = 0;

	while (bits < 28 && ((size_t)1 << bits) < sn->n)
		bits++;
	nb = (size_t)1 << bits;
	sn->shift = 64 - bits;
	sn->start = xreallocarray(NULL, nb + 1, sizeof(*sn->start));
	for (size_t b = 0; b <= nb; b++) {
		while (j < sn->n && ((sn->e[j].key ^ KEY_SIGN) >> sn->shift) < b)
			j++;
		sn->start[b] = (uint32_t)j;
	}
}

static struct centry *snap_find(const struct snap *sn, uint64_t k)
{
	uint64_t b = (k ^ KEY_SIGN) >> sn->shift;

	for (uint32_t i = sn->start[b]; i < sn->start[b + 1]; i++)
		if (sn->e[i].key == k)
			return &sn->e[i];
	return NULL;
}

struct spam_db {
	sqlite3 *db;
	char *path;
	struct spam_params params;
	sqlite3_stmt *get_tok, *get_msg, *put_msg, *set_msg, *del_msg, *upd_tok;
	bool in_batch;
	struct cmap delta;       /* pending token changes of the batch */
	int64_t dspam, dham;     /* pending message counts */
	size_t batch_msgs;       /* messages trained or untrained in the batch */
	bool any_decrement;
	bool loaded;
	struct snap mem;         /* the whole table, after spam_db_load */
	uint32_t nspam, nham;    /* committed */
	int tokver;
	int64_t today;           /* 0: the real day */
	struct spam_toks *toks;
};

static int db_err(struct spam_db *d, char *err, size_t errlen, const char *what)
{
	return err_set(err, errlen, WARY_EIO, "%s: %s: %s", d->path, what, sqlite3_errmsg(d->db));
}

char *spam_db_default_path(void)
{
	const char *env = getenv("WARY_SPAM_DB");
	char *dir;
	char *p;

	if (env && *env)
		return xstrdup(env);
	dir = fs_xdg_dir(FS_XDG_DATA);
	if (dir == NULL)
		return NULL;
	p = xasprintf("%s/spam.db", dir);
	free(dir);
	return p;
}

static int64_t day_now(const struct spam_db *d)
{
	return d->today ? d->today : (int64_t)(time(NULL) / 86400);
}

void spam_db_set_today(struct spam_db *db, int64_t day)
{
	db->today = day;
}

static int meta_get(struct spam_db *d, const char *k, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(d->db, "SELECT v FROM meta WHERE k=?", -1, &st, NULL);

	*v = 0;
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*v = sqlite3_column_int64(st, 0);
		rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	return rc;
}

static int meta_set(struct spam_db *d, const char *k, int64_t v)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(d->db, "INSERT INTO meta(k,v) VALUES(?,?) "
	                                   "ON CONFLICT(k) DO UPDATE SET v=excluded.v",
	                            -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, v);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	return rc;
}

static int read_counts(struct spam_db *d)
{
	int64_t s, h, v;
	int rc;

	if ((rc = meta_get(d, "nspam", &s)) != SQLITE_OK || (rc = meta_get(d, "nham", &h)) != SQLITE_OK ||
	    (rc = meta_get(d, "tokenizer", &v)) != SQLITE_OK)
		return rc;
	d->nspam = s < 0 ? 0 : (uint32_t)s;
	d->nham = h < 0 ? 0 : (uint32_t)h;
	d->tokver = (int)v;
	return SQLITE_OK;
}

int spam_db_open(const char *path, struct spam_db **out, char *err, size_t errlen)
{
	struct spam_db *d = NULL;
	int rc = WARY_OK, app = 0, ver = 0;
	sqlite3_stmt *st = NULL;
	char *dir = NULL, *slash;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return err_set(err, errlen, WARY_ENOENT, "no token store path");
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if ((rc = fs_mkdir_p(dir, 0700, err, errlen)) != WARY_OK)
			goto out;
	}
	{
		/* Create it private before SQLite does (mode 0644 otherwise). */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0) {
			rc = err_set(err, errlen, WARY_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		close(fd);
	}
	d = xcalloc(1, sizeof(*d));
	d->path = xstrdup(path);
	spam_params_default(&d->params);
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = db_err(d, err, errlen, "open");
		goto out;
	}
	sqlite3_busy_timeout(d->db, 5000);
	if (sqlite3_prepare_v2(d->db, "PRAGMA application_id", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = err_set(err, errlen, WARY_EIO, "%s: not a token store (%s)", path,
		             sqlite3_errmsg(d->db));
		goto out;
	}
	app = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(d->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ver = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (app == 0) {
		sqlite3_stmt *cnt = NULL;
		int tables = 0;

		if (sqlite3_prepare_v2(d->db, "SELECT count(*) FROM sqlite_master", -1, &cnt, NULL) ==
		        SQLITE_OK &&
		    sqlite3_step(cnt) == SQLITE_ROW)
			tables = sqlite3_column_int(cnt, 0);
		sqlite3_finalize(cnt);
		if (tables != 0) {
			rc = err_set(err, errlen, WARY_EPARSE, "%s: an SQLite file that is not a token store",
			             path);
			goto out;
		}
		{
			char sql[512];

			snprintf(sql, sizeof(sql),
			         "PRAGMA application_id=%d; PRAGMA user_version=%d;"
			         "CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
			         "CREATE TABLE tok(k INTEGER PRIMARY KEY, s INTEGER NOT NULL, "
			         "h INTEGER NOT NULL, d INTEGER NOT NULL);"
			         "CREATE TABLE msg(digest BLOB PRIMARY KEY, spam INTEGER NOT NULL, "
			         "d INTEGER NOT NULL) WITHOUT ROWID;"
			         "INSERT INTO meta VALUES('nspam',0),('nham',0),('tokenizer',%d),('gen',0);",
			         SPAM_APP_ID, SPAM_SCHEMA, SPAM_TOKENIZER_VERSION);
			if (sqlite3_exec(d->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
				rc = db_err(d, err, errlen, "create");
				goto out;
			}
		}
	} else if (app != SPAM_APP_ID) {
		rc = err_set(err, errlen, WARY_EPARSE, "%s: an SQLite file that is not a token store",
		             path);
		goto out;
	} else if (ver != SPAM_SCHEMA) {
		rc = err_set(err, errlen, WARY_EPARSE, "%s: token store version %d, this wary reads %d",
		             path, ver, SPAM_SCHEMA);
		goto out;
	}
	sqlite3_exec(d->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (read_counts(d) != SQLITE_OK) {
		rc = db_err(d, err, errlen, "read");
		goto out;
	}
#define PREP(field, sql)                                                             \
	if (sqlite3_prepare_v2(d->db, sql, -1, &d->field, NULL) != SQLITE_OK) {        \
		rc = db_err(d, err, errlen, "prepare");                                    \
		goto out;                                                                  \
	}
	PREP(get_tok, "SELECT s,h FROM tok WHERE k=?");
	PREP(get_msg, "SELECT spam FROM msg WHERE digest=?");
	PREP(put_msg, "INSERT INTO msg(digest,spam,d) VALUES(?,?,?)");
	PREP(set_msg, "UPDATE msg SET spam=?, d=? WHERE digest=?");
	PREP(del_msg, "DELETE FROM msg WHERE digest=?");
	PREP(upd_tok, "INSERT INTO tok(k,s,h,d) VALUES(?1,max(?2,0),max(?3,0),?4) "
	              "ON CONFLICT(k) DO UPDATE SET s=max(s+?2,0), h=max(h+?3,0), "
	              "d=CASE WHEN ?4 > d THEN ?4 ELSE d END");
#undef PREP
	spam_toks_new(&d->toks);
	*out = d;
	d = NULL;
out:
	sqlite3_finalize(st);
	spam_db_free(&d);
	free(dir);
	return rc;
}

void spam_db_free(struct spam_db **dp)
{
	struct spam_db *d = dp ? *dp : NULL;

	if (d == NULL)
		return;
	if (d->in_batch)
		spam_db_rollback(d);
	sqlite3_finalize(d->get_tok);
	sqlite3_finalize(d->get_msg);
	sqlite3_finalize(d->put_msg);
	sqlite3_finalize(d->set_msg);
	sqlite3_finalize(d->del_msg);
	sqlite3_finalize(d->upd_tok);
	if (d->db)
		sqlite3_close(d->db);
	cmap_free(&d->delta);
	snap_free(&d->mem);
	spam_toks_free(&d->toks);
	free(d->path);
	free(d);
	*dp = NULL;
}

void spam_db_set_params(struct spam_db *db, const struct spam_params *p)
{
	db->params = *p;
}

const struct spam_params *spam_db_params(const struct spam_db *db)
{
	return &db->params;
}

static int cmp_key_order(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x ^ KEY_SIGN, b = *(const uint64_t *)y ^ KEY_SIGN;

	return a < b ? -1 : a > b;
}

/* Every change of the table gets a new generation: the flat copy of an
 * older one is not used. */
static int bump_gen(struct spam_db *d)
{
	return sqlite3_exec(d->db, "INSERT INTO meta(k,v) VALUES('gen',1) "
	                           "ON CONFLICT(k) DO UPDATE SET v=v+1", NULL, NULL, NULL);
}

static int64_t read_gen(struct spam_db *d)
{
	int64_t g = -1;

	if (meta_get(d, "gen", &g) != SQLITE_OK)
		return -1;
	return g;
}

/*
 * The flat copy, PATH.snap: "WSPSNAP1", the generation and the count
 * (8 bytes each), then the entries (key, spam, ham) in key order.  A
 * cache only: made from the table, checked (size, order) when read,
 * ignored when it is of another generation, rewritten atomically.
 */
#define SNAP_MAGIC "WSPSNAP1"
#define SNAP_HEAD 24

static char *snap_path(const struct spam_db *d)
{
	return xasprintf("%s.snap", d->path);
}

static int table_read(struct spam_db *d, struct snap *sn, char *err, size_t errlen);

static void snap_write(struct spam_db *d, const struct snap *sn, int64_t gen)
{
	char *path = snap_path(d);
	size_t len = SNAP_HEAD + sn->n * sizeof(*sn->e);
	char *data = xmalloc(len);
	uint64_t g = (uint64_t)gen, n = sn->n;

	memcpy(data, SNAP_MAGIC, 8);
	memcpy(data + 8, &g, 8);
	memcpy(data + 16, &n, 8);
	if (sn->n)
		memcpy(data + SNAP_HEAD, sn->e, sn->n * sizeof(*sn->e));
	(void)fs_write_atomic(path, data, len, 0600, NULL, 0);
	free(data);
	free(path);
}

static void snap_write_from_table(struct spam_db *d)
{
	struct snap sn;
	int64_t gen = read_gen(d);

	memset(&sn, 0, sizeof(sn));
	if (gen >= 0 && table_read(d, &sn, NULL, 0) == WARY_OK)
		snap_write(d, &sn, gen);
	snap_free(&sn);
}

/* The flat copy of generation gen into sn; false when there is none. */
static bool snap_read(struct spam_db *d, struct snap *sn, int64_t gen)
{
	char *path = snap_path(d);
	struct buf b = BUF_INIT;
	uint64_t g, n;
	bool ok = false;

	buf_init(&b);
	if (gen < 0 || fs_read_file(path, &b, 0, NULL, 0) != WARY_OK || b.len < SNAP_HEAD ||
	    memcmp(b.data, SNAP_MAGIC, 8) != 0)
		goto out;
	memcpy(&g, b.data + 8, 8);
	memcpy(&n, b.data + 16, 8);
	if (g != (uint64_t)gen || n > UINT32_MAX - 1 || b.len != SNAP_HEAD + n * sizeof(*sn->e))
		goto out;
	sn->n = (size_t)n;
	sn->e = xreallocarray(NULL, sn->n ? sn->n : 1, sizeof(*sn->e));
	if (sn->n)
		memcpy(sn->e, b.data + SNAP_HEAD, sn->n * sizeof(*sn->e));
	ok = true;
	for (size_t i = 1; i < sn->n && ok; i++)
		if ((sn->e[i - 1].key ^ KEY_SIGN) >= (sn->e[i].key ^ KEY_SIGN))
			ok = false;
	if (!ok)
		snap_free(sn);
out:
	buf_release(&b);
	free(path);
	return ok;
}

int spam_db_begin(struct spam_db *d, char *err, size_t errlen)
{
	if (d->in_batch)
		return WARY_OK;
	if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(d, err, errlen, "begin");
	d->in_batch = true;
	cmap_free(&d->delta);
	cmap_init(&d->delta, 4096);
	d->dspam = d->dham = 0;
	d->batch_msgs = 0;
	d->any_decrement = false;
	return WARY_OK;
}

void spam_db_rollback(struct spam_db *d)
{
	if (!d->in_batch)
		return;
	sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
	d->in_batch = false;
	/* The memory copy saw the batch: read it again when asked. */
	if (d->loaded) {
		snap_free(&d->mem);
		d->loaded = false;
	}
	cmap_free(&d->delta);
	read_counts(d);
}

int spam_db_commit(struct spam_db *d, char *err, size_t errlen)
{
	int64_t day = day_now(d);
	int rc = WARY_OK;

	if (!d->in_batch)
		return WARY_OK;
	/* in key order: a fresh table is written by appending */
	if (d->delta.n > 0) /* order is NULL while nothing changed */
		qsort(d->delta.order, d->delta.n, sizeof(*d->delta.order), cmp_key_order);
	for (size_t i = 0; i < d->delta.n; i++) {
		uint64_t k = d->delta.order[i];
		int32_t ds = 0, dh = 0;

		cmap_get(&d->delta, k, &ds, &dh);
		if (ds == 0 && dh == 0)
			continue;
		sqlite3_reset(d->upd_tok);
		sqlite3_bind_int64(d->upd_tok, 1, (int64_t)k);
		sqlite3_bind_int(d->upd_tok, 2, ds);
		sqlite3_bind_int(d->upd_tok, 3, dh);
		sqlite3_bind_int64(d->upd_tok, 4, (ds > 0 || dh > 0) ? day : 0);
		if (sqlite3_step(d->upd_tok) != SQLITE_DONE) {
			rc = db_err(d, err, errlen, "update");
			goto fail;
		}
	}
	if (d->any_decrement &&
	    sqlite3_exec(d->db, "DELETE FROM tok WHERE s=0 AND h=0", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(d, err, errlen, "delete");
		goto fail;
	}
	{
		int64_t ns = (int64_t)d->nspam + d->dspam, nh = (int64_t)d->nham + d->dham;

		if (meta_set(d, "nspam", ns < 0 ? 0 : ns) != SQLITE_OK ||
		    meta_set(d, "nham", nh < 0 ? 0 : nh) != SQLITE_OK ||
		    meta_set(d, "tokenizer", SPAM_TOKENIZER_VERSION) != SQLITE_OK ||
		    bump_gen(d) != SQLITE_OK) {
			rc = db_err(d, err, errlen, "meta");
			goto fail;
		}
	}
	if (sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(d, err, errlen, "commit");
		goto fail;
	}
	d->in_batch = false;
	cmap_free(&d->delta);
	read_counts(d);
	/* A big batch writes the flat copy for the classifications that
	 * follow; a small one leaves the old copy stale (the next batch
	 * classification writes it anew). */
	if (d->batch_msgs >= 100 && !d->loaded)
		snap_write_from_table(d);
	return WARY_OK;
fail:
	spam_db_rollback(d);
	return rc;
}

/* Counts now: committed plus the batch's. */
static uint32_t cur_nspam(const struct spam_db *d)
{
	int64_t v = (int64_t)d->nspam + (d->in_batch ? d->dspam : 0);

	return v < 0 ? 0 : (uint32_t)v;
}

static uint32_t cur_nham(const struct spam_db *d)
{
	int64_t v = (int64_t)d->nham + (d->in_batch ? d->dham : 0);

	return v < 0 ? 0 : (uint32_t)v;
}

static void lookup(struct spam_db *d, uint64_t k, uint32_t *s, uint32_t *h)
{
	int32_t a = 0, b = 0;
	int64_t vs = 0, vh = 0;

	if (d->loaded) {
		const struct centry *e = snap_find(&d->mem, k);

		if (e) {
			vs = e->a;
			vh = e->b;
		}
	} else {
		sqlite3_reset(d->get_tok);
		sqlite3_bind_int64(d->get_tok, 1, (int64_t)k);
		if (sqlite3_step(d->get_tok) == SQLITE_ROW) {
			vs = sqlite3_column_int64(d->get_tok, 0);
			vh = sqlite3_column_int64(d->get_tok, 1);
		}
		/* A statement left on its row keeps its read transaction open:
		 * another connection's training (the pager's store beside the
		 * worker's) then waits for the lock and fails. */
		sqlite3_reset(d->get_tok);
		if (d->in_batch && cmap_get(&d->delta, k, &a, &b)) {
			vs += a;
			vh += b;
		}
	}
	*s = vs < 0 ? 0 : (uint32_t)vs;
	*h = vh < 0 ? 0 : (uint32_t)vh;
}

int spam_db_train_toks(struct spam_db *d, const struct spam_toks *t, bool is_spam, int sign,
                       char *err, size_t errlen)
{
	bool own = !d->in_batch;
	int rc;

	if (own && (rc = spam_db_begin(d, err, errlen)) != WARY_OK)
		return rc;
	for (size_t i = 0; i < t->n; i++) {
		uint64_t k = t->order[i];
		size_t j = cmap_slot(&d->delta, k, true);

		if (is_spam)
			d->delta.e[j].a += sign;
		else
			d->delta.e[j].b += sign;
		if (d->loaded) {
			struct centry *e = snap_find(&d->mem, k);

			if (e == NULL) {
				/* a new token: the copy cannot take it; from now on
				 * the table and the batch are asked */
				snap_free(&d->mem);
				d->loaded = false;
			} else if (is_spam) {
				e->a = e->a + sign < 0 ? 0 : e->a + sign;
			} else {
				e->b = e->b + sign < 0 ? 0 : e->b + sign;
			}
		}
	}
	if (sign < 0)
		d->any_decrement = true;
	d->batch_msgs++;
	if (is_spam)
		d->dspam += sign;
	else
		d->dham += sign;
	if (own)
		return spam_db_commit(d, err, errlen);
	return WARY_OK;
}

void spam_digest(const char *raw, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(raw, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
}

static void digest16(const char *raw, size_t len, unsigned char out[16])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(raw, len, md, &mdlen, EVP_sha256(), NULL);
	memcpy(out, md, 16);
}

/* -1: never trained, 0 ham, 1 spam */
static int msg_class(struct spam_db *d, const unsigned char dg[16])
{
	int c = -1;

	sqlite3_reset(d->get_msg);
	sqlite3_bind_blob(d->get_msg, 1, dg, 16, SQLITE_STATIC);
	if (sqlite3_step(d->get_msg) == SQLITE_ROW)
		c = sqlite3_column_int(d->get_msg, 0) ? 1 : 0;
	sqlite3_reset(d->get_msg);
	return c;
}

static int tokenize_raw(struct spam_db *d, const char *raw, size_t len, char *err, size_t errlen)
{
	struct mail_msg *m = NULL;
	struct spam_tok_opts o = { d->params.bigrams, false };
	int rc = mail_parse(raw, len, &m, err, errlen);

	if (rc == WARY_OK)
		rc = spam_tokenize(m, &o, d->toks, err, errlen);
	mail_free(&m);
	return rc;
}

static int step_done(struct spam_db *d, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? WARY_OK : db_err(d, err, errlen, "write");
}

/* Train raw (its tokens t, or NULL: tokenized here when needed). */
static int train_msg(struct spam_db *d, const char *raw, size_t len, const struct spam_toks *t,
                     bool is_spam, enum spam_train_result *res, char *err, size_t errlen)
{
	unsigned char dg[16];
	bool own = !d->in_batch;
	int rc, was;
	enum spam_train_result r = SPAM_TRAINED;

	digest16(raw, len, dg);
	if (own && (rc = spam_db_begin(d, err, errlen)) != WARY_OK)
		return rc;
	was = msg_class(d, dg);
	if (was == (is_spam ? 1 : 0)) {
		r = SPAM_ALREADY;
		rc = WARY_OK;
		goto out;
	}
	if (t == NULL) {
		if ((rc = tokenize_raw(d, raw, len, err, errlen)) != WARY_OK)
			goto out;
		t = d->toks;
	}
	if (was >= 0) {
		/* trained the other way: take those counts back first */
		if ((rc = spam_db_train_toks(d, t, was == 1, -1, err, errlen)) != WARY_OK)
			goto out;
		sqlite3_bind_int(d->set_msg, 1, is_spam);
		sqlite3_bind_int64(d->set_msg, 2, day_now(d));
		sqlite3_bind_blob(d->set_msg, 3, dg, 16, SQLITE_STATIC);
		rc = step_done(d, d->set_msg, err, errlen);
		r = SPAM_RETRAINED;
	} else {
		sqlite3_bind_blob(d->put_msg, 1, dg, 16, SQLITE_STATIC);
		sqlite3_bind_int(d->put_msg, 2, is_spam);
		sqlite3_bind_int64(d->put_msg, 3, day_now(d));
		rc = step_done(d, d->put_msg, err, errlen);
	}
	if (rc == WARY_OK)
		rc = spam_db_train_toks(d, t, is_spam, 1, err, errlen);
out:
	if (own) {
		if (rc == WARY_OK)
			rc = spam_db_commit(d, err, errlen);
		else
			spam_db_rollback(d);
	}
	if (res)
		*res = r;
	return rc;
}

int spam_db_train(struct spam_db *d, const char *raw, size_t len, bool is_spam,
                  enum spam_train_result *res, char *err, size_t errlen)
{
	return train_msg(d, raw, len, NULL, is_spam, res, err, errlen);
}

int spam_db_train_tokenized(struct spam_db *d, const char *raw, size_t len,
                            const struct spam_toks *t, bool is_spam, enum spam_train_result *res,
                            char *err, size_t errlen)
{
	return train_msg(d, raw, len, t, is_spam, res, err, errlen);
}

int spam_db_untrain(struct spam_db *d, const char *raw, size_t len, enum spam_train_result *res,
                    char *err, size_t errlen)
{
	unsigned char dg[16];
	bool own = !d->in_batch;
	int rc = WARY_OK, was;
	enum spam_train_result r = SPAM_UNTRAINED;

	digest16(raw, len, dg);
	if (own && (rc = spam_db_begin(d, err, errlen)) != WARY_OK)
		return rc;
	was = msg_class(d, dg);
	if (was < 0) {
		r = SPAM_NOT_TRAINED;
		goto out;
	}
	if ((rc = tokenize_raw(d, raw, len, err, errlen)) != WARY_OK)
		goto out;
	if ((rc = spam_db_train_toks(d, d->toks, was == 1, -1, err, errlen)) != WARY_OK)
		goto out;
	sqlite3_bind_blob(d->del_msg, 1, dg, 16, SQLITE_STATIC);
	rc = step_done(d, d->del_msg, err, errlen);
out:
	if (own) {
		if (rc == WARY_OK)
			rc = spam_db_commit(d, err, errlen);
		else
			spam_db_rollback(d);
	}
	if (res)
		*res = r;
	return rc;
}

/* The whole table into sn, in key order. */
static int table_read(struct spam_db *d, struct snap *sn, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0;
	size_t cap;
	bool sorted = true;
	int rc;

	if (sqlite3_prepare_v2(d->db, "SELECT count(*) FROM tok", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (n < 0 || n > (int64_t)UINT32_MAX - 1)
		return err_set(err, errlen, WARY_ELIMIT, "%s: too many tokens", d->path);
	cap = (size_t)n + 1;
	sn->n = 0;
	sn->e = xreallocarray(NULL, cap, sizeof(*sn->e));
	if (sqlite3_prepare_v2(d->db, "SELECT k,s,h FROM tok ORDER BY k", -1, &st, NULL) != SQLITE_OK) {
		snap_free(sn);
		return db_err(d, err, errlen, "load");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct centry *e;

		if (sn->n == cap) {
			cap *= 2;
			sn->e = xreallocarray(sn->e, cap, sizeof(*sn->e));
		}
		e = &sn->e[sn->n++];
		e->key = (uint64_t)sqlite3_column_int64(st, 0);
		e->a = sqlite3_column_int(st, 1);
		e->b = sqlite3_column_int(st, 2);
		if (sn->n > 1 && (e[-1].key ^ KEY_SIGN) >= (e->key ^ KEY_SIGN))
			sorted = false;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snap_free(sn);
		return db_err(d, err, errlen, "load");
	}
	if (!sorted)
		qsort(sn->e, sn->n, sizeof(*sn->e), cmp_centry);
	return WARY_OK;
}

int spam_db_load(struct spam_db *d, char *err, size_t errlen)
{
	int64_t gen;
	int rc;

	/* inside a batch the counts are the table's and the batch's */
	if (d->loaded || d->in_batch)
		return WARY_OK;
	snap_free(&d->mem);
	gen = read_gen(d);
	if (!snap_read(d, &d->mem, gen)) {
		if ((rc = table_read(d, &d->mem, err, errlen)) != WARY_OK)
			return rc;
		if (gen >= 0)
			snap_write(d, &d->mem, gen);
	}
	snap_index(&d->mem);
	d->loaded = true;
	return WARY_OK;
}

bool spam_db_loaded(const struct spam_db *db)
{
	return db->loaded;
}

void spam_result_clear(struct spam_result *r)
{
	for (size_t i = 0; i < r->nclues; i++)
		free(r->clues[i].text);
	free(r->clues);
	memset(r, 0, sizeof(*r));
}

struct fk {
	double f;
	size_t i;
	uint32_t s, h;
};

static int fk_strength(const void *a, const void *b)
{
	double da = fabs(((const struct fk *)a)->f - 0.5), db = fabs(((const struct fk *)b)->f - 0.5);

	if (da != db)
		return da < db ? 1 : -1;
	/* ties broken by position, so the result does not depend on qsort */
	return ((const struct fk *)a)->i < ((const struct fk *)b)->i ? -1 : 1;
}

int spam_db_classify_toks(struct spam_db *d, const struct spam_toks *t, size_t nclues,
                          struct spam_result *out, char *err, size_t errlen)
{
	const struct spam_params *p = &d->params;
	uint32_t ns = cur_nspam(d), nh = cur_nham(d);
	struct fk *v = NULL;
	double *f = NULL;
	size_t k = 0;

	(void)err;
	(void)errlen;
	memset(out, 0, sizeof(*out));
	out->tokens = t->n;
	v = xreallocarray(NULL, t->n ? t->n : 1, sizeof(*v));
	if (d->loaded) {
		/* Ask the memory for every bucket, then every first entry, before
		 * looking: the misses overlap instead of coming one by one. */
		for (size_t i = 0; i < t->n; i++)
			__builtin_prefetch(&d->mem.start[(t->order[i] ^ KEY_SIGN) >> d->mem.shift]);
		for (size_t i = 0; i < t->n; i++)
			__builtin_prefetch(&d->mem.e[d->mem.start[(t->order[i] ^ KEY_SIGN) >> d->mem.shift]]);
	}
	for (size_t i = 0; i < t->n; i++) {
		uint32_t s, h;
		double fw;

		lookup(d, t->order[i], &s, &h);
		if (s == 0 && h == 0)
			continue;
		fw = spam_token_f(h, s, nh, ns, p);
		if (fabs(fw - 0.5) < p->min_dev)
			continue;
		v[k].f = fw;
		v[k].i = i;
		v[k].s = s;
		v[k].h = h;
		k++;
	}
	if ((p->max_tokens > 0 && k > p->max_tokens) || nclues > 0)
		qsort(v, k, sizeof(*v), fk_strength);
	if (p->max_tokens > 0 && k > p->max_tokens)
		k = p->max_tokens;
	f = xreallocarray(NULL, k ? k : 1, sizeof(*f));
	for (size_t i = 0; i < k; i++)
		f[i] = v[i].f;
	out->prob = (ns == 0 || nh == 0) ? 0.5 : spam_fisher_esf(f, k, p->esf);
	out->used = k;
	out->cls = spam_classify_prob(out->prob, p);
	if (nclues > 0) {
		size_t nc = k < nclues ? k : nclues;

		out->clues = xcalloc(nc ? nc : 1, sizeof(*out->clues));
		for (size_t i = 0; i < nc; i++) {
			const char *tx = spam_toks_text(t, v[i].i);

			out->clues[i].text = xstrdup_null(tx);
			out->clues[i].f = v[i].f;
			out->clues[i].spam = v[i].s;
			out->clues[i].ham = v[i].h;
		}
		out->nclues = nc;
	}
	free(v);
	free(f);
	return WARY_OK;
}

int spam_db_classify(struct spam_db *d, const struct mail_msg *msg, size_t nclues,
                     struct spam_result *out, char *err, size_t errlen)
{
	struct spam_tok_opts o = { d->params.bigrams, nclues > 0 };
	int rc = spam_tokenize(msg, &o, d->toks, err, errlen);

	if (rc != WARY_OK)
		return rc;
	return spam_db_classify_toks(d, d->toks, nclues, out, err, errlen);
}

int spam_db_token(struct spam_db *d, const char *tok, uint32_t *spam, uint32_t *ham, char *err,
                  size_t errlen)
{
	(void)err;
	(void)errlen;
	lookup(d, spam_token_hash(tok, strlen(tok)), spam, ham);
	return WARY_OK;
}

int spam_db_stats(struct spam_db *d, struct spam_stats *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct stat sb;

	memset(out, 0, sizeof(*out));
	out->nspam = cur_nspam(d);
	out->nham = cur_nham(d);
	out->tokenizer_version = d->tokver;
	if (sqlite3_prepare_v2(d->db, "SELECT (SELECT count(*) FROM tok), (SELECT count(*) FROM msg)",
	                       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_err(d, err, errlen, "stats");
	}
	out->tokens = (uint64_t)sqlite3_column_int64(st, 0);
	out->messages = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (stat(d->path, &sb) == 0)
		out->file_bytes = (int64_t)sb.st_size;
	return WARY_OK;
}

int spam_db_prune(struct spam_db *d, unsigned max_count, unsigned days, uint64_t *removed,
                  char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = WARY_OK;

	*removed = 0;
	if (d->in_batch)
		return err_set(err, errlen, WARY_ERR, "prune inside a training batch");
	if (sqlite3_prepare_v2(d->db, "DELETE FROM tok WHERE s+h <= ? AND d <= ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(d, err, errlen, "prune");
	sqlite3_bind_int(st, 1, (int)max_count);
	sqlite3_bind_int64(st, 2, day_now(d) - (int64_t)days);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_err(d, err, errlen, "prune");
	else
		*removed = (uint64_t)sqlite3_changes(d->db);
	sqlite3_finalize(st);
	if (rc == WARY_OK && *removed > 0)
		bump_gen(d);
	if (d->loaded) {
		snap_free(&d->mem);
		d->loaded = false;
	}
	if (rc == WARY_OK && *removed > 0)
		sqlite3_exec(d->db, "VACUUM", NULL, NULL, NULL);
	return rc;
}

/* ---- an in-memory model (cross-validation, tools) ------------------- */

struct spam_model {
	struct cmap m;
	uint32_t nspam, nham;
};

int spam_model_new(struct spam_model **out)
{
	struct spam_model *m = xcalloc(1, sizeof(*m));

	cmap_init(&m->m, 1 << 16);
	*out = m;
	return WARY_OK;
}

void spam_model_free(struct spam_model **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	cmap_free(&(*mp)->m);
	free(*mp);
	*mp = NULL;
}

void spam_model_add(struct spam_model *m, const uint64_t *h, size_t n, bool is_spam, int sign)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = cmap_slot(&m->m, h[i], false);

		if (is_spam)
			m->m.e[j].a += sign;
		else
			m->m.e[j].b += sign;
	}
	if (is_spam)
		m->nspam = (uint32_t)((int64_t)m->nspam + sign);
	else
		m->nham = (uint32_t)((int64_t)m->nham + sign);
}

double spam_model_prob(const struct spam_model *m, const uint64_t *h, size_t n,
                       const struct spam_params *p)
{
	double *f = xreallocarray(NULL, n ? n : 1, sizeof(*f)), prob;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int32_t s, g;
		double fw;

		if (!cmap_get(&m->m, h[i], &s, &g) || (s <= 0 && g <= 0))
			continue;
		fw = spam_token_f((uint32_t)(g > 0 ? g : 0), (uint32_t)(s > 0 ? s : 0), m->nham,
		                  m->nspam, p);
		f[k++] = fw;
	}
	k = spam_select(f, k, p);
	prob = (m->nspam == 0 || m->nham == 0) ? 0.5 : spam_fisher_esf(f, k, p->esf);
	free(f);
	return prob;
}

size_t spam_hard(const uint64_t *const *h, const size_t *nh, const bool *is_spam, const int *fold,
                 size_t n, int folds, const struct spam_params *p, double hard_spam,
                 double hard_ham, bool *hard)
{
	size_t found = 0;

	for (size_t i = 0; i < n; i++)
		hard[i] = false;
	for (int g = 0; g < folds; g++) {
		struct spam_model *m = NULL;

		spam_model_new(&m);
		for (size_t i = 0; i < n; i++)
			if (fold[i] >= 0 && fold[i] != g)
				spam_model_add(m, h[i], nh[i], is_spam[i], 1);
		for (size_t i = 0; i < n; i++)
			if (fold[i] == g) {
				double pr = spam_model_prob(m, h[i], nh[i], p);

				hard[i] = is_spam[i] ? pr < hard_spam : pr >= hard_ham;
				found += hard[i];
			}
		spam_model_free(&m);
	}
	return found;
}
