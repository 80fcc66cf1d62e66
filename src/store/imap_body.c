/* Message bodies of the IMAP backend: store_fetch and store_fetch_part.
 *
 * A body read once is kept in the account's cache file (table body,
 * keyed by folder, UIDVALIDITY and UID), so reading it again costs no
 * network and works while the connection is down.  The table is made
 * here when first needed rather than in imap_cache.c's schema: it is a
 * pure cache, and a file of an older schema simply gains it.
 *
 * A big message is not downloaded whole to show its text: its
 * BODYSTRUCTURE is read first, then the header, the MIME headers of the
 * parts and the text bodies, and a MIME message of the same tree is put
 * together in which every other part is an empty body with a field
 * saying what was left out.  The parser and the renderer then treat it
 * like any message.  Nothing in a BODYSTRUCTURE is trusted further than
 * the limits here: too many parts, too deep, or sections that do not come
 * back as announced, and the message is fetched whole instead (the
 * parser's own limits apply to that). */
#include <libetpan/libetpan.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "store/imap_int.h"
#include "store/store.h"
#include "store/store_int.h"

#define MAX_MESSAGE (256 * 1024 * 1024)
/* A FETCH line we build; servers take far longer ones (Dovecot 64 KB). */
#define MAX_LINE 4000
#define MAX_NAME 200

struct imap_body {
	struct imap_body_stats st;
};

void imap_body_free(struct imap_body **b)
{
	if (b == NULL || *b == NULL)
		return;
	free(*b);
	*b = NULL;
}

static struct imap_body *body_state(struct imap_body **b)
{
	if (*b == NULL)
		*b = xcalloc(1, sizeof(**b));
	return *b;
}

const struct imap_body_stats *imap_body_counters(const struct imap_body *b)
{
	static const struct imap_body_stats none;

	return b != NULL ? &b->st : &none;
}

int imap_body_stats(struct store *s, struct imap_body_stats *out)
{
	struct imap_body **b;

	memset(out, 0, sizeof(*out));
	b = s != NULL ? imap_body_of(s) : NULL;
	if (b == NULL)
		return WARY_ENOENT;
	if (*b != NULL)
		*out = (*b)->st;
	return WARY_OK;
}

/* ---- the cache table ---- */

static const char body_schema[] =
	"CREATE TABLE IF NOT EXISTS body ("
	" folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" len INTEGER NOT NULL, whole INTEGER NOT NULL, used INTEGER NOT NULL,"
	" data BLOB NOT NULL, PRIMARY KEY (folder, uidvalidity, uid));"
	"CREATE INDEX IF NOT EXISTS body_used ON body (used);"
	/* Parts brought on demand (store_fetch_part), as handed out: saving
	 * the same attachment again needs no server.  Same budget as body. */
	"CREATE TABLE IF NOT EXISTS part ("
	" folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" part TEXT NOT NULL, len INTEGER NOT NULL, used INTEGER NOT NULL,"
	" data BLOB NOT NULL, PRIMARY KEY (folder, uidvalidity, uid, part));"
	"CREATE INDEX IF NOT EXISTS part_used ON part (used);";

static bool table_ready(struct icache *ic)
{
	int rc;

	if (ic == NULL || icache_broken(ic))
		return false;
	rc = store_db_exec(icache_db(ic), body_schema);
	if (rc != SQLITE_OK) {
		icache_note(ic, rc);
		return false;
	}
	return true;
}

static sqlite3_stmt *prep(struct icache *ic, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(icache_db(ic), sql, -1, &st, NULL);

	if (rc != SQLITE_OK) {
		icache_note(ic, rc);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* One statement that returns no rows; the rows it changed. */
static int run(struct icache *ic, sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return 0;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		icache_note(ic, rc);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes(icache_db(ic)) : 0;
}

static void delete_row(struct icache *ic, const char *folder, uint32_t uv, uint32_t uid)
{
	sqlite3_stmt *st = prep(ic, "DELETE FROM body WHERE folder = ?1 AND uidvalidity = ?2"
	                            " AND uid = ?3");

	if (st != NULL) {
		sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, uv);
		sqlite3_bind_int64(st, 3, uid);
	}
	run(ic, st);
}

/* Bodies of folder under another UIDVALIDITY name other messages now. */
static void prune(struct imap_body *b, struct icache *ic, const char *folder, uint32_t uv)
{
	static const char *const sql[] = {
		"DELETE FROM body WHERE folder = ?1 AND uidvalidity <> ?2",
		"DELETE FROM part WHERE folder = ?1 AND uidvalidity <> ?2",
	};

	for (size_t i = 0; i < 2; i++) {
		sqlite3_stmt *st = prep(ic, sql[i]);

		if (st != NULL) {
			sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, uv);
		}
		b->st.dropped_uidvalidity += (unsigned)run(ic, st);
	}
}

/* One clock of use for both tables, so eviction compares them. */
static int64_t next_use(struct icache *ic)
{
	sqlite3_stmt *st = prep(ic, "SELECT max(coalesce((SELECT max(used) FROM body), 0),"
	                            " coalesce((SELECT max(used) FROM part), 0)) + 1");
	int64_t n = 1;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The cached body, appended to out; false when there is none that can
 * be trusted (a damaged one is dropped so it is fetched again). */
static bool cache_get(struct imap_body *b, struct icache *ic, const char *folder, uint32_t uv,
                      uint32_t uid, struct buf *out, bool *whole)
{
	sqlite3_stmt *st = prep(ic, "SELECT len, whole, data FROM body WHERE folder = ?1"
	                            " AND uidvalidity = ?2 AND uid = ?3");
	bool hit = false, bad = false;
	int rc;

	if (st == NULL)
		return false;
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uv);
	sqlite3_bind_int64(st, 3, uid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t len = store_db_col_int(st, 0, &bad), w = store_db_col_int(st, 1, &bad);
		const void *data = sqlite3_column_blob(st, 2);
		int64_t got = sqlite3_column_bytes(st, 2);

		if (bad || sqlite3_column_type(st, 2) != SQLITE_BLOB || len <= 0 || len != got ||
		    len > MAX_MESSAGE || (w != 0 && w != 1) || data == NULL) {
			bad = true;
		} else {
			buf_add(out, data, (size_t)len);
			*whole = w == 1;
			hit = true;
		}
	} else if (rc != SQLITE_DONE) {
		icache_note(ic, rc);
	}
	sqlite3_finalize(st);
	if (bad) {
		b->st.corrupt++;
		delete_row(ic, folder, uv, uid);
	}
	if (hit) {
		st = prep(ic, "UPDATE body SET used = ?4 WHERE folder = ?1 AND uidvalidity = ?2"
		              " AND uid = ?3");
		if (st != NULL) {
			sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, uv);
			sqlite3_bind_int64(st, 3, uid);
			sqlite3_bind_int64(st, 4, next_use(ic));
		}
		run(ic, st);
	}
	return hit;
}

static int64_t cached_bytes(struct icache *ic)
{
	sqlite3_stmt *st = prep(ic, "SELECT (SELECT total(len) FROM body) +"
	                            " (SELECT total(len) FROM part)");
	int64_t n = 0;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		n = (int64_t)sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The least recently read go until the account is under cap. */
static void evict(struct imap_body *b, struct icache *ic, int64_t cap)
{
	int64_t total = cached_bytes(ic);

	while (total > cap) {
		sqlite3_stmt *st = prep(ic, "SELECT 0, rowid, len, used FROM body UNION ALL"
		                            " SELECT 1, rowid, len, used FROM part"
		                            " ORDER BY 4 LIMIT 64");
		int64_t ids[64], lens[64];
		bool parts[64];
		int n = 0;

		if (st == NULL)
			return;
		while (n < 64 && sqlite3_step(st) == SQLITE_ROW) {
			parts[n] = sqlite3_column_int(st, 0) == 1;
			ids[n] = sqlite3_column_int64(st, 1);
			lens[n] = sqlite3_column_int64(st, 2);
			n++;
		}
		sqlite3_finalize(st);
		if (n == 0)
			return;
		for (int i = 0; i < n && total > cap; i++) {
			st = prep(ic, parts[i] ? "DELETE FROM part WHERE rowid = ?1"
			                       : "DELETE FROM body WHERE rowid = ?1");
			if (st != NULL)
				sqlite3_bind_int64(st, 1, ids[i]);
			if (run(ic, st) == 1) {
				total -= lens[i];
				b->st.evicted++;
			} else {
				return;
			}
		}
	}
}

/* A body (part NULL) or one part of it into the cache, then the cache
 * brought back under its budget: bodies and parts share it. */
static void cache_store(struct imap_body *b, struct icache *ic, bool persistent, const char *folder,
                        uint32_t uv, uint32_t uid, const char *part, bool whole, const char *data,
                        size_t len)
{
	int64_t cap = persistent ? IMAP_BODY_CACHE_MAX : IMAP_BODY_CACHE_MEMORY;
	sqlite3_stmt *st;

	/* One huge message must not push out everything else. */
	if (len == 0 || (int64_t)len > cap / 4)
		return;
	st = prep(ic, part ? "INSERT OR REPLACE INTO part (folder, uidvalidity, uid, part, len, used,"
	                     " data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	                   : "INSERT OR REPLACE INTO body (folder, uidvalidity, uid, whole, len, used,"
	                     " data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uv);
	sqlite3_bind_int64(st, 3, uid);
	if (part)
		sqlite3_bind_text(st, 4, part, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int(st, 4, whole ? 1 : 0);
	sqlite3_bind_int64(st, 5, (int64_t)len);
	sqlite3_bind_int64(st, 6, next_use(ic));
	sqlite3_bind_blob64(st, 7, data, len, SQLITE_STATIC);
	run(ic, st);
	evict(b, ic, cap);
}

/* A part cached by store_fetch_part, appended to out. */
static bool part_get(struct imap_body *b, struct icache *ic, const char *folder, uint32_t uv,
                     uint32_t uid, const char *part, struct buf *out)
{
	sqlite3_stmt *st = prep(ic, "SELECT len, data FROM part WHERE folder = ?1"
	                            " AND uidvalidity = ?2 AND uid = ?3 AND part = ?4");
	bool hit = false, bad = false;
	int rc;

	if (st == NULL)
		return false;
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uv);
	sqlite3_bind_int64(st, 3, uid);
	sqlite3_bind_text(st, 4, part, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t len = store_db_col_int(st, 0, &bad);
		const void *data = sqlite3_column_blob(st, 1);

		if (bad || sqlite3_column_type(st, 1) != SQLITE_BLOB || len <= 0 ||
		    len != sqlite3_column_bytes(st, 1) || len > MAX_MESSAGE || data == NULL) {
			bad = true;
		} else {
			buf_add(out, data, (size_t)len);
			hit = true;
		}
	} else if (rc != SQLITE_DONE) {
		icache_note(ic, rc);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (bad) {
		b->st.corrupt++;
		st = prep(ic, "DELETE FROM part WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3"
		              " AND part = ?4");
	} else if (hit) {
		st = prep(ic, "UPDATE part SET used = ?5 WHERE folder = ?1 AND uidvalidity = ?2"
		              " AND uid = ?3 AND part = ?4");
		if (st != NULL)
			sqlite3_bind_int64(st, 5, next_use(ic));
	}
	if (st != NULL) {
		sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, uv);
		sqlite3_bind_int64(st, 3, uid);
		sqlite3_bind_text(st, 4, part, -1, SQLITE_STATIC);
		run(ic, st);
	}
	return hit;
}

void imap_body_cache_count(struct icache *ic, const char *folder, uint32_t uidvalidity,
                           long *rows, int64_t *bytes, long *stale)
{
	sqlite3_stmt *st;

	*rows = *stale = 0;
	*bytes = 0;
	if (!table_ready(ic))
		return;
	st = prep(ic, "SELECT count(*), total(len), total(folder = ?1 AND uidvalidity <> ?2)"
	              " FROM body");
	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uidvalidity);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*rows = (long)sqlite3_column_int64(st, 0);
		*bytes = (int64_t)sqlite3_column_double(st, 1);
		*stale = (long)sqlite3_column_double(st, 2);
	}
	sqlite3_finalize(st);
}

void imap_body_forget_folder(struct icache *ic, const char *folder)
{
	sqlite3_stmt *st;

	if (!table_ready(ic))
		return;
	st = prep(ic, "DELETE FROM body WHERE folder = ?1");
	if (st != NULL)
		sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	run(ic, st);
	st = prep(ic, "DELETE FROM part WHERE folder = ?1");
	if (st != NULL)
		sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	run(ic, st);
}

void imap_body_cache_damage(struct icache *ic, const char *folder, uint32_t uid)
{
	sqlite3_stmt *st;

	if (!table_ready(ic))
		return;
	st = prep(ic, "UPDATE body SET len = len + 1 WHERE folder = ?1 AND uid = ?2");
	if (st != NULL) {
		sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, uid);
	}
	run(ic, st);
}

/* ---- sections ---- */

bool imap_section_name(const struct mailimap_section *sec, char *out, size_t len)
{
	const struct mailimap_section_spec *sp = sec != NULL ? sec->sec_spec : NULL;
	struct buf b = BUF_INIT;
	bool ok = true;

	buf_init(&b);
	if (sp == NULL) {
		/* BODY[] */
	} else if (sp->sec_type == MAILIMAP_SECTION_SPEC_SECTION_MSGTEXT) {
		const struct mailimap_section_msgtext *mt = sp->sec_data.sec_msgtext;

		if (mt != NULL && mt->sec_type == MAILIMAP_SECTION_MSGTEXT_HEADER)
			buf_adds(&b, "HEADER");
		else if (mt != NULL && mt->sec_type == MAILIMAP_SECTION_MSGTEXT_TEXT)
			buf_adds(&b, "TEXT");
		else
			ok = false;
	} else if (sp->sec_type == MAILIMAP_SECTION_SPEC_SECTION_PART &&
	           sp->sec_data.sec_part != NULL && sp->sec_data.sec_part->sec_id != NULL) {
		unsigned n = 0;

		for (clistiter *c = clist_begin(sp->sec_data.sec_part->sec_id); c != NULL;
		     c = clist_next(c)) {
			const uint32_t *id = clist_content(c);

			if (id == NULL || ++n > STORE_MAX_DEPTH || b.len > STORE_MAX_PART_ID) {
				ok = false;
				break;
			}
			buf_addf(&b, "%s%u", n > 1 ? "." : "", *id);
		}
		if (ok && sp->sec_text != NULL) {
			if (sp->sec_text->sec_type == MAILIMAP_SECTION_TEXT_MIME)
				buf_adds(&b, ".MIME");
			else
				ok = false;
		}
	} else {
		ok = false;
	}
	if (ok && b.len + 1 > len)
		ok = false;
	if (ok)
		str_copy(out, b.len ? b.data : "", len);
	buf_release(&b);
	return ok;
}

/* ---- the plan ---- */

enum pkind { PK_MULTI, PK_TEXT, PK_OMIT };

struct ppart {
	char id[STORE_MAX_PART_ID + 1]; /* "" for the root */
	enum pkind kind;
	size_t child, next;             /* first child, next sibling (SIZE_MAX: none) */
	char type[64], subtype[64];     /* tokens only, lowered */
	char name[MAX_NAME + 1];        /* filename or name parameter, printable, or "" */
	uint64_t size;                  /* octets of the body, as announced or as received */
	char boundary[64];
	struct buf mime, body;
	bool got_mime, got_body;
};

struct imap_body_plan {
	struct ppart *v;
	size_t n, cap;
	bool single;                    /* the root is not multipart: its body is part 1 */
	struct buf header;
	bool got_header;
};

void imap_body_plan_free(struct imap_body_plan **pp)
{
	struct imap_body_plan *p = pp ? *pp : NULL;

	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		buf_release(&p->v[i].mime);
		buf_release(&p->v[i].body);
	}
	free(p->v);
	buf_release(&p->header);
	free(p);
	*pp = NULL;
}

/* A MIME token from the server, or fallback: it goes into a header we write. */
static void token(char *out, size_t len, const char *in, const char *fallback)
{
	size_t n = 0;

	for (const char *s = in; s != NULL && *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", c) != NULL) ||
		    n + 1 >= len) {
			n = 0;
			break;
		}
		out[n++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	if (n == 0)
		str_copy(out, fallback, len);
	else
		out[n] = '\0';
}

static void param_name(char *out, const struct mailimap_body_fld_param *prm, const char *want)
{
	if (prm == NULL || prm->pa_list == NULL)
		return;
	for (clistiter *c = clist_begin(prm->pa_list); c != NULL; c = clist_next(c)) {
		const struct mailimap_single_body_fld_param *sp = clist_content(c);
		size_t n = 0;

		if (sp == NULL || sp->pa_name == NULL || sp->pa_value == NULL ||
		    str_casecmp(sp->pa_name, want) != 0)
			continue;
		/* Only what is safe inside a quoted string of a header we write;
		 * the real name comes from the part's own header when it arrives. */
		for (const unsigned char *s = (const unsigned char *)sp->pa_value; *s && n < MAX_NAME;
		     s++)
			if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
				out[n++] = (char)*s;
		out[n] = '\0';
		return;
	}
}

static size_t add_part(struct imap_body_plan *p)
{
	struct ppart *x;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
	}
	x = &p->v[p->n];
	memset(x, 0, sizeof(*x));
	x->child = x->next = SIZE_MAX;
	buf_init(&x->mime);
	buf_init(&x->body);
	return p->n++;
}

static int plan_part(struct imap_body_plan *p, const struct mailimap_body *bd, const char *id,
                     int depth, size_t *out, char *err, size_t errlen)
{
	size_t i;
	struct ppart *x;

	if (depth > IMAP_BODY_MAX_DEPTH)
		return err_set(err, errlen, WARY_ELIMIT, "MIME nesting over %d levels",
		               IMAP_BODY_MAX_DEPTH);
	if (p->n >= IMAP_BODY_MAX_PARTS)
		return err_set(err, errlen, WARY_ELIMIT, "over %d MIME parts", IMAP_BODY_MAX_PARTS);
	if (bd == NULL)
		return err_set(err, errlen, WARY_EPARSE, "an empty BODYSTRUCTURE");
	i = add_part(p);
	x = &p->v[i];
	str_copy(x->id, id, sizeof(x->id));
	*out = i;
	if (bd->bd_type == MAILIMAP_BODY_MPART) {
		const struct mailimap_body_type_mpart *mp = bd->bd_data.bd_body_mpart;
		size_t prev = SIZE_MAX;
		unsigned k = 0;

		if (mp == NULL || mp->bd_list == NULL || clist_count(mp->bd_list) == 0)
			return err_set(err, errlen, WARY_EPARSE, "a multipart without parts");
		if (clist_count(mp->bd_list) > IMAP_BODY_MAX_PARTS)
			return err_set(err, errlen, WARY_ELIMIT, "over %d MIME parts",
			               IMAP_BODY_MAX_PARTS);
		x->kind = PK_MULTI;
		str_copy(x->type, "multipart", sizeof(x->type));
		token(x->subtype, sizeof(x->subtype), mp->bd_media_subtype, "mixed");
		for (clistiter *c = clist_begin(mp->bd_list); c != NULL; c = clist_next(c)) {
			char cid[STORE_MAX_PART_ID + 16];
			size_t ci;
			int rc;

			k++;
			if (id[0] == '\0')
				snprintf(cid, sizeof(cid), "%u", k);
			else
				snprintf(cid, sizeof(cid), "%s.%u", id, k);
			if (strlen(cid) > STORE_MAX_PART_ID)
				return err_set(err, errlen, WARY_ELIMIT, "a part number too long");
			rc = plan_part(p, clist_content(c), cid, depth + 1, &ci, err, errlen);
			if (rc != WARY_OK)
				return rc;
			/* p->v may have moved */
			if (prev == SIZE_MAX)
				p->v[i].child = ci;
			else
				p->v[prev].next = ci;
			prev = ci;
		}
		return WARY_OK;
	}
	if (bd->bd_type != MAILIMAP_BODY_1PART || bd->bd_data.bd_body_1part == NULL)
		return err_set(err, errlen, WARY_EPARSE, "a BODYSTRUCTURE of no known kind");
	{
		const struct mailimap_body_type_1part *op = bd->bd_data.bd_body_1part;
		const struct mailimap_body_fields *f = NULL;
		const struct mailimap_body_fld_dsp *dsp = NULL;
		bool attachment = false;

		if (op->bd_ext_1part != NULL)
			dsp = op->bd_ext_1part->bd_disposition;
		if (dsp != NULL && dsp->dsp_type != NULL && str_casecmp(dsp->dsp_type, "inline") != 0)
			attachment = true;
		x->kind = PK_OMIT;
		switch (op->bd_type) {
		case MAILIMAP_BODY_TYPE_1PART_TEXT:
			if (op->bd_data.bd_type_text == NULL)
				return err_set(err, errlen, WARY_EPARSE, "a text part without fields");
			f = op->bd_data.bd_type_text->bd_fields;
			str_copy(x->type, "text", sizeof(x->type));
			token(x->subtype, sizeof(x->subtype), op->bd_data.bd_type_text->bd_media_text,
			      "plain");
			if (!attachment &&
			    (strcmp(x->subtype, "plain") == 0 || strcmp(x->subtype, "html") == 0))
				x->kind = PK_TEXT;
			break;
		case MAILIMAP_BODY_TYPE_1PART_MSG:
			if (op->bd_data.bd_type_msg == NULL)
				return err_set(err, errlen, WARY_EPARSE, "a message part without fields");
			f = op->bd_data.bd_type_msg->bd_fields;
			str_copy(x->type, "message", sizeof(x->type));
			str_copy(x->subtype, "rfc822", sizeof(x->subtype));
			break;
		case MAILIMAP_BODY_TYPE_1PART_BASIC: {
			const struct mailimap_body_type_basic *bb = op->bd_data.bd_type_basic;
			static const char *const basic[] = {
				[MAILIMAP_MEDIA_BASIC_APPLICATION] = "application",
				[MAILIMAP_MEDIA_BASIC_AUDIO] = "audio",
				[MAILIMAP_MEDIA_BASIC_IMAGE] = "image",
				[MAILIMAP_MEDIA_BASIC_MESSAGE] = "message",
				[MAILIMAP_MEDIA_BASIC_VIDEO] = "video",
			};
			const struct mailimap_media_basic *mb;

			if (bb == NULL || bb->bd_media_basic == NULL)
				return err_set(err, errlen, WARY_EPARSE, "a part without a type");
			mb = bb->bd_media_basic;
			f = bb->bd_fields;
			if (mb->med_type >= 0 && mb->med_type < (int)(sizeof(basic) / sizeof(basic[0])) &&
			    basic[mb->med_type] != NULL)
				str_copy(x->type, basic[mb->med_type], sizeof(x->type));
			else
				token(x->type, sizeof(x->type), mb->med_basic_type, "application");
			token(x->subtype, sizeof(x->subtype), mb->med_subtype, "octet-stream");
			break;
		}
		default:
			return err_set(err, errlen, WARY_EPARSE, "a part of no known kind");
		}
		if (f != NULL) {
			x->size = f->bd_size;
			param_name(x->name, f->bd_parameter, "name");
		}
		if (dsp != NULL)
			param_name(x->name, dsp->dsp_attributes, "filename");
		if (x->kind == PK_TEXT && x->size > IMAP_BODY_TEXT_MAX)
			x->kind = PK_OMIT;
	}
	return WARY_OK;
}

int imap_body_plan_new(const struct mailimap_body *bs, struct imap_body_plan **out, char *err,
                       size_t errlen)
{
	struct imap_body_plan *p = xcalloc(1, sizeof(*p));
	size_t root;
	int rc;

	*out = NULL;
	buf_init(&p->header);
	p->single = bs != NULL && bs->bd_type == MAILIMAP_BODY_1PART;
	rc = plan_part(p, bs, p->single ? "1" : "", 0, &root, err, errlen);
	if (rc != WARY_OK) {
		if (rc != WARY_ELIMIT)
			rc = WARY_ELIMIT; /* not to be trusted: the caller fetches it whole */
		imap_body_plan_free(&p);
		return rc;
	}
	*out = p;
	return WARY_OK;
}

char **imap_body_plan_commands(const struct imap_body_plan *p, uint32_t uid, size_t max,
                               size_t *n)
{
	char **v = NULL;
	size_t cap = 0;
	struct buf line = BUF_INIT, item = BUF_INIT;
	char head[64];

	*n = 0;
	buf_init(&line);
	buf_init(&item);
	snprintf(head, sizeof(head), "UID FETCH %u (", uid);
	for (size_t i = 0; i <= p->n; i++) {
		buf_reset(&item);
		if (i == 0) {
			buf_adds(&item, "BODY.PEEK[HEADER]");
			if (p->single && p->v[0].kind == PK_TEXT)
				buf_adds(&item, " BODY.PEEK[1]");
		} else if (i < p->n && !p->single && p->v[i].kind != PK_MULTI) {
			buf_addf(&item, "BODY.PEEK[%s.MIME]", p->v[i].id);
			if (p->v[i].kind == PK_TEXT)
				buf_addf(&item, " BODY.PEEK[%s]", p->v[i].id);
		}
		if (item.len > 0 && line.len > 0 && line.len + 1 + item.len + 1 > max) {
			buf_addch(&line, ')');
			if (*n == cap) {
				cap = cap ? cap * 2 : 4;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[(*n)++] = buf_detach(&line, NULL);
			buf_init(&line);
		}
		if (item.len > 0) {
			if (line.len == 0)
				buf_adds(&line, head);
			else
				buf_addch(&line, ' ');
			buf_add(&line, item.data, item.len);
		}
	}
	if (line.len > 0) {
		buf_addch(&line, ')');
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[(*n)++] = buf_detach(&line, NULL);
	}
	buf_release(&line);
	buf_release(&item);
	return v;
}

static struct ppart *find(struct imap_body_plan *p, const char *id, size_t len)
{
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->v[i].id) == len && memcmp(p->v[i].id, id, len) == 0)
			return &p->v[i];
	return NULL;
}

void imap_body_plan_take(struct imap_body_plan *p, const char *section, const char *data,
                         size_t len)
{
	size_t sl = strlen(section);
	struct ppart *x;

	if (data == NULL)
		return;
	if (strcmp(section, "HEADER") == 0) {
		if (!p->got_header && len <= STORE_MAX_HEADER) {
			buf_add(&p->header, data, len);
			p->got_header = true;
		}
		return;
	}
	if (sl > 5 && strcmp(section + sl - 5, ".MIME") == 0) {
		x = find(p, section, sl - 5);
		if (x != NULL && !p->single && x->kind != PK_MULTI && !x->got_mime &&
		    len <= STORE_MAX_HEADER) {
			buf_add(&x->mime, data, len);
			x->got_mime = true;
		}
		return;
	}
	x = find(p, section, sl);
	if (x == NULL || x->kind != PK_TEXT || x->got_body)
		return;
	if (len > IMAP_BODY_TEXT_MAX) {
		/* Announced small, sent big: it is left out like an attachment. */
		x->kind = PK_OMIT;
		x->size = len;
		return;
	}
	buf_add(&x->body, data, len);
	x->got_body = true;
}

/* Is the field starting at s (a header line) one we drop? */
static bool dropped_field(const char *s, size_t n, bool content_type)
{
	if (n >= 7 && str_ncasecmp(s, "X-Wary-", 7) == 0)
		return true;
	return content_type && n >= 13 && str_ncasecmp(s, "Content-Type:", 13) == 0;
}

/* The fields of header block h, each line ending in CRLF, without the
 * empty line that ends it, without the fields we write ourselves. */
static void copy_fields(struct buf *out, const char *h, size_t len, bool drop_ctype)
{
	const char *p = h, *end;
	bool skipping = false;

	if (h == NULL || len == 0)
		return;
	end = h + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the end of the block */
		if (p[0] == ' ' || p[0] == '\t') {
			if (!skipping) {
				buf_add(out, p, n);
				buf_adds(out, "\r\n");
			}
		} else {
			skipping = dropped_field(p, n, drop_ctype);
			if (!skipping) {
				buf_add(out, p, n);
				buf_adds(out, "\r\n");
			}
		}
		p = nl ? nl + 1 : end;
	}
}

static void omitted_field(struct buf *out, const struct ppart *x)
{
	buf_addf(out, "X-Wary-Omitted: %llu bytes, fetch on demand as part %s\r\n",
	         (unsigned long long)x->size, x->id[0] ? x->id : "1");
}

/* A part whose MIME header did not come: what the BODYSTRUCTURE said. */
static void synth_header(struct buf *out, const struct ppart *x)
{
	buf_addf(out, "Content-Type: %s/%s", x->type, x->subtype);
	if (x->name[0])
		buf_addf(out, "; name=\"%s\"", x->name);
	buf_adds(out, "\r\n");
	if (x->name[0])
		buf_addf(out, "Content-Disposition: attachment; filename=\"%s\"\r\n", x->name);
}

static void emit(struct imap_body_plan *p, size_t i, struct buf *out, uint64_t *omitted,
                 int depth)
{
	struct ppart *x = &p->v[i];

	if (x->kind == PK_MULTI) {
		buf_addf(out, "Content-Type: multipart/%s; boundary=\"%s\"\r\n\r\n", x->subtype,
		         x->boundary);
		for (size_t c = x->child; c != SIZE_MAX; c = p->v[c].next) {
			buf_addf(out, "--%s\r\n", x->boundary);
			emit(p, c, out, omitted, depth + 1);
			buf_adds(out, "\r\n");
		}
		buf_addf(out, "--%s--\r\n", x->boundary);
		return;
	}
	if (x->got_mime)
		copy_fields(out, x->mime.data, x->mime.len, false);
	else
		synth_header(out, x);
	if (x->kind == PK_TEXT && x->got_body) {
		buf_adds(out, "\r\n");
		buf_add(out, x->body.data, x->body.len);
		return;
	}
	omitted_field(out, x);
	buf_adds(out, "\r\n");
	*omitted += x->size;
}

/* New boundaries: ours cannot be mistaken for a line of a text we keep. */
static bool boundaries(struct imap_body_plan *p)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		unsigned char r[12];
		char hex[25];
		bool clash = false;

		if (getentropy(r, sizeof(r)) != 0)
			return false;
		for (size_t k = 0; k < sizeof(r); k++)
			snprintf(hex + 2 * k, 3, "%02x", r[k]);
		for (size_t i = 0; i < p->n; i++)
			if (p->v[i].kind == PK_MULTI)
				snprintf(p->v[i].boundary, sizeof(p->v[i].boundary), "=_wary_%s_%zu", hex, i);
		for (size_t i = 0; i < p->n && !clash; i++)
			if (p->v[i].got_body && p->v[i].body.len > 0 &&
			    str_memcasemem(p->v[i].body.data, p->v[i].body.len, hex) != NULL)
				clash = true;
		if (!clash)
			return true;
	}
	return false;
}

int imap_body_plan_assemble(struct imap_body_plan *p, struct buf *out, uint64_t *omitted,
                            char *err, size_t errlen)
{
	struct ppart *root = &p->v[0];

	*omitted = 0;
	if (!p->got_header)
		return err_set(err, errlen, WARY_EPARSE, "the server sent no header");
	if (!boundaries(p))
		return err_set(err, errlen, WARY_ERR, "no boundary for the message");
	if (p->single) {
		copy_fields(out, p->header.data, p->header.len, false);
		if (root->kind == PK_TEXT && root->got_body) {
			buf_adds(out, "\r\n");
			buf_add(out, root->body.data, root->body.len);
		} else {
			omitted_field(out, root);
			buf_adds(out, "\r\n");
			*omitted += root->size;
		}
	} else {
		copy_fields(out, p->header.data, p->header.len, true);
		emit(p, 0, out, omitted, 0);
	}
	if (out->len > MAX_MESSAGE)
		return err_set(err, errlen, WARY_ELIMIT, "the message is over %d MB", MAX_MESSAGE >> 20);
	return WARY_OK;
}

/* ---- talking through the link ---- */

struct grab {
	uint32_t uid;
	/* BODY[] or one part: sections by name */
	const char *want_body, *want_mime;
	struct buf *body, *mime;
	bool got_body, got_mime, too_big;
	/* RFC822.SIZE and BODYSTRUCTURE */
	bool got_size;
	uint32_t size;
	bool structure;
	struct imap_body_plan *plan;
	int plan_rc;
	char plan_err[WARY_ERRLEN];
	/* the sections of a plan */
	struct imap_body_plan *fill;
};

static uint32_t att_uid(const struct mailimap_msg_att *att)
{
	for (clistiter *c = clist_begin(att->att_list); c != NULL; c = clist_next(c)) {
		const struct mailimap_msg_att_item *it = clist_content(c);

		if (it->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
		    it->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
			return it->att_data.att_static->att_data.att_uid;
	}
	return 0;
}

static void on_att(void *ctx, const struct mailimap_msg_att *att)
{
	struct grab *g = ctx;

	if (att == NULL || att->att_list == NULL || att_uid(att) != g->uid)
		return; /* another message's news: the next check brings it */
	for (clistiter *c = clist_begin(att->att_list); c != NULL; c = clist_next(c)) {
		const struct mailimap_msg_att_item *it = clist_content(c);
		const struct mailimap_msg_att_static *st;

		if (it->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = it->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) {
			g->size = st->att_data.att_rfc822_size;
			g->got_size = true;
		} else if (st->att_type == MAILIMAP_MSG_ATT_BODYSTRUCTURE && g->structure &&
		           g->plan == NULL) {
			g->plan_rc = imap_body_plan_new(st->att_data.att_bodystructure, &g->plan,
			                                g->plan_err, sizeof(g->plan_err));
		} else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION) {
			const struct mailimap_msg_att_body_section *b = st->att_data.att_body_section;
			char name[STORE_MAX_PART_ID + 16];

			if (b == NULL || b->sec_body_part == NULL ||
			    !imap_section_name(b->sec_section, name, sizeof(name)))
				continue;
			if (b->sec_length > MAX_MESSAGE) {
				g->too_big = true;
				continue;
			}
			if (g->fill != NULL) {
				imap_body_plan_take(g->fill, name, b->sec_body_part, b->sec_length);
			} else if (g->want_body != NULL && strcmp(name, g->want_body) == 0 &&
			           !g->got_body) {
				buf_add(g->body, b->sec_body_part, b->sec_length);
				g->got_body = true;
			} else if (g->want_mime != NULL && strcmp(name, g->want_mime) == 0 &&
			           !g->got_mime) {
				buf_add(g->mime, b->sec_body_part, b->sec_length);
				g->got_mime = true;
			}
		}
	}
}

static int fetch_whole(const struct imap_link *l, uint32_t uid, struct buf *out, char *err,
                       size_t errlen)
{
	struct grab g;
	char line[64];
	int rc;

	memset(&g, 0, sizeof(g));
	g.uid = uid;
	g.want_body = "";
	g.body = out;
	snprintf(line, sizeof(line), "UID FETCH %u (BODY.PEEK[])", uid);
	rc = l->command(l->ctx, line, on_att, &g, err, errlen);
	if (rc != WARY_OK)
		return rc;
	if (g.too_big)
		return err_set(err, errlen, WARY_ELIMIT, "message %u is over %d MB", uid,
		               MAX_MESSAGE >> 20);
	if (!g.got_body)
		return err_set(err, errlen, WARY_ENOENT, "message %u is not on the server", uid);
	return WARY_OK;
}

/* A big message: the BODYSTRUCTURE, then the sections of its plan.
 * *fallback says to fetch it whole instead. */
static int fetch_planned(struct imap_body *b, const struct imap_link *l, uint32_t uid,
                         uint64_t known_size, struct buf *out, bool *whole, char *err,
                         size_t errlen)
{
	struct grab g;
	char line[96];
	char **cmds = NULL;
	size_t ncmds = 0;
	uint64_t omitted = 0;
	int rc;

	*whole = false;
	memset(&g, 0, sizeof(g));
	g.uid = uid;
	g.structure = true;
	g.plan_rc = WARY_ELIMIT;
	snprintf(line, sizeof(line), "UID FETCH %u (RFC822.SIZE BODYSTRUCTURE)", uid);
	rc = l->command(l->ctx, line, on_att, &g, err, errlen);
	if (rc != WARY_OK)
		goto out;
	if (!g.got_size && known_size == 0) {
		rc = err_set(err, errlen, WARY_ENOENT, "message %u is not on the server", uid);
		goto out;
	}
	if ((g.got_size && g.size <= IMAP_BODY_SMALL) || g.plan == NULL) {
		if (g.plan == NULL && !(g.got_size && g.size <= IMAP_BODY_SMALL))
			b->st.whole_fallback++;
		*whole = true;
		rc = fetch_whole(l, uid, out, err, errlen);
		goto out;
	}
	cmds = imap_body_plan_commands(g.plan, uid, MAX_LINE, &ncmds);
	g.fill = g.plan;
	for (size_t i = 0; i < ncmds && rc == WARY_OK; i++)
		rc = l->command(l->ctx, cmds[i], on_att, &g, err, errlen);
	if (rc != WARY_OK)
		goto out;
	{
		size_t start = out->len;

		rc = imap_body_plan_assemble(g.plan, out, &omitted, err, errlen);
		if (rc != WARY_OK) {
			buf_truncate(out, start);
			b->st.whole_fallback++;
			*whole = true;
			rc = fetch_whole(l, uid, out, err, errlen);
			goto out;
		}
	}
	b->st.partial++;
	b->st.omitted_bytes = omitted;
out:
	store_keys_free(cmds, ncmds);
	imap_body_plan_free(&g.plan);
	return rc;
}

int imap_body_fetch(struct imap_body **pb, const struct imap_link *l, uint32_t uid,
                    struct buf *out, char *err, size_t errlen)
{
	struct imap_body *b = body_state(pb);
	struct imap_link_state s0, s1;
	struct buf got = BUF_INIT;
	bool whole = true, cached;
	char *folder = NULL;
	int rc;

	buf_init(&got);
	l->state(l->ctx, uid, &s0);
	if (s0.folder == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no folder selected");
	folder = xstrdup(s0.folder);
	cached = table_ready(s0.ic);
	if (cached) {
		prune(b, s0.ic, folder, s0.uidvalidity);
		if (cache_get(b, s0.ic, folder, s0.uidvalidity, uid, out, &whole)) {
			b->st.hits++;
			b->st.omitted_bytes = 0;
			rc = WARY_OK;
			goto out;
		}
	}
	b->st.misses++;
	b->st.omitted_bytes = 0;
	if (s0.row_size != 0 && s0.row_size <= IMAP_BODY_SMALL) {
		/* Small, as the index knows: one round trip. */
		whole = true;
		rc = fetch_whole(l, uid, &got, err, errlen);
	} else {
		rc = fetch_planned(b, l, uid, s0.row_size, &got, &whole, err, errlen);
	}
	if (rc != WARY_OK)
		goto out;
	l->state(l->ctx, uid, &s1);
	if (s1.folder == NULL || strcmp(s1.folder, folder) != 0 ||
	    s1.uidvalidity != s0.uidvalidity) {
		/* Connected again meanwhile, and the UID now names another
		 * message (or none): these bytes are not the one asked for. */
		rc = err_set(err, errlen, WARY_ENOENT,
		             "the folder changed on the server while the message was read");
		goto out;
	}
	if (table_ready(s1.ic))
		cache_store(b, s1.ic, s1.persistent, folder, s1.uidvalidity, uid, NULL, whole,
		            got.data, got.len);
	buf_add(out, got.data, got.len);
out:
	buf_release(&got);
	free(folder);
	return rc;
}

/* Is part in the tree?  Inside a message/rfc822 part the plan does not
 * look (it stops there), so anything below one is let through. */
static bool plan_has(struct imap_body_plan *p, const char *part)
{
	for (size_t i = 0; i < p->n; i++) {
		size_t n = strlen(p->v[i].id);

		if (strcmp(p->v[i].id, part) == 0)
			return p->v[i].id[0] != '\0';
		if (n > 0 && strncmp(part, p->v[i].id, n) == 0 && part[n] == '.' &&
		    strcmp(p->v[i].type, "message") == 0)
			return true;
	}
	return false;
}

int imap_body_fetch_part(struct imap_body **pb, const struct imap_link *l, uint32_t uid,
                         const char *part, struct buf *out, char *err, size_t errlen)
{
	struct imap_body *b = body_state(pb);
	struct imap_link_state s0, s1;
	struct buf mime = BUF_INIT, body = BUF_INIT, cached = BUF_INIT;
	struct grab g;
	char line[STORE_MAX_PART_ID * 2 + 96], wmime[STORE_MAX_PART_ID + 8];
	bool whole = false;
	int rc;

	buf_init(&mime);
	buf_init(&body);
	buf_init(&cached);
	memset(&g, 0, sizeof(g)); /* every way out frees g.plan */
	if (!store_part_id_valid(part))
		return err_set(err, errlen, WARY_ENOENT, "not a part number");
	l->state(l->ctx, uid, &s0);
	if (s0.folder == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no folder selected");
	if (table_ready(s0.ic) &&
	    cache_get(b, s0.ic, s0.folder, s0.uidvalidity, uid, &cached, &whole) && whole) {
		size_t off, len;

		rc = store_part_cut(cached.data, cached.len, part, &off, &len, err, errlen);
		if (rc == WARY_OK) {
			buf_add(out, cached.data + off, len);
			b->st.parts++;
			b->st.parts_local++;
		}
		goto out;
	}
	if (table_ready(s0.ic)) {
		prune(b, s0.ic, s0.folder, s0.uidvalidity);
		if (part_get(b, s0.ic, s0.folder, s0.uidvalidity, uid, part, out)) {
			b->st.parts++;
			b->st.parts_cached++;
			rc = WARY_OK;
			goto out;
		}
	}
	g.uid = uid;
	/* The structure comes along: servers answer a section that does not
	 * exist with an empty string, which is also an empty part. */
	g.structure = true;
	snprintf(wmime, sizeof(wmime), "%s.MIME", part);
	g.want_body = part;
	g.want_mime = wmime;
	g.body = &body;
	g.mime = &mime;
	snprintf(line, sizeof(line), "UID FETCH %u (BODYSTRUCTURE BODY.PEEK[%s] BODY.PEEK[%s])", uid,
	         wmime, part);
	rc = l->command(l->ctx, line, on_att, &g, err, errlen);
	if (rc != WARY_OK)
		goto out;
	l->state(l->ctx, uid, &s1);
	if (s1.uidvalidity != s0.uidvalidity) {
		rc = err_set(err, errlen, WARY_ENOENT,
		             "the folder changed on the server while the part was read");
		goto out;
	}
	if (g.too_big) {
		rc = err_set(err, errlen, WARY_ELIMIT, "part %s is over %d MB", part, MAX_MESSAGE >> 20);
		goto out;
	}
	if (!g.got_body || (g.plan != NULL && !plan_has(g.plan, part))) {
		rc = err_set(err, errlen, WARY_ENOENT, "no part %s in message %u", part, uid);
		goto out;
	}
	/* The part's own header, as the parser will read it; a part without
	 * one (the body of a message that is not multipart) is plain text. */
	{
		size_t start = out->len;

		copy_fields(out, mime.data, mime.len, false);
		buf_adds(out, "\r\n");
		buf_add(out, body.data, body.len);
		if (s1.folder != NULL && table_ready(s1.ic))
			cache_store(b, s1.ic, s1.persistent, s1.folder, s1.uidvalidity, uid, part,
			            false, out->data + start, out->len - start);
	}
	b->st.parts++;
out:
	buf_release(&mime);
	buf_release(&body);
	buf_release(&cached);
	imap_body_plan_free(&g.plan);
	return rc;
}
