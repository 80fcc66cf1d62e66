#ifndef WARY_STORE_INT_H
#define WARY_STORE_INT_H
/* Inside src/store only: the header-block reader, the date parser, the
 * SQLite header cache shared by the backends and the way every SQLite
 * file of the store is opened. */
#include "base/base.h"
#include "store/store.h"

/* A header block longer than this is cut; the row is still produced. */
#define STORE_MAX_HEADER (1024 * 1024)
/* One raw header value kept for the index is at most this long. */
#define STORE_MAX_VALUE (64 * 1024)

/* Offset of the empty line that ends the header block in buf[0..len),
 * or SIZE_MAX when the block does not end inside it. */
size_t hdr_block_end(const char *buf, size_t len);
/* Fill the raw header fields of row (from, to, subject, ...) from the
 * header block in buf[0..len) (the block may be cut short).  Folded
 * lines are unfolded; a NUL byte becomes U+FFFD; the first occurrence of
 * a field wins.  Returns true when a Date was found and understood. */
bool hdr_parse_block(const char *buf, size_t len, struct store_row *row);
/* A small, forgiving RFC 5322 date parser (also the obsolete forms and
 * the asctime() form).  Returns false when no date could be read. */
bool hdr_parse_date(const char *s, time_t *out);

/* The header cache: rows keyed by (folder, key), valid while the
 * message file keeps its size and mtime.  Flags are not cached (they
 * live in the file name). */
struct hcache;
/* Bump when the table or the meaning of a column changes. */
#define HCACHE_SCHEMA 2
/* Open or create.  A file that is not an SQLite database, is corrupt or
 * has another schema version is deleted and created anew; a database
 * that belongs to something else is left alone (WARY_ERR). */
int hcache_open(const char *path, struct hcache **out, char *err, size_t errlen);
void hcache_close(struct hcache **hc);
/* Look up one row; fills the header fields and date of row and returns
 * true on a valid hit. */
bool hcache_get(struct hcache *hc, const char *folder, const char *key, int64_t size,
                int64_t mtime, struct store_row *row);
/* Every row of a folder in one pass (much faster than one lookup per key
 * for a big folder).  vals are from, to, subject, message-id,
 * in-reply-to, references, content-type (NULL when absent), borrowed. */
typedef void (*hcache_scan_cb)(void *ctx, const char *key, size_t keylen, int64_t size,
                               int64_t mtime, int64_t date, const char *const vals[7],
                               const size_t lens[7]);
void hcache_scan(struct hcache *hc, const char *folder, hcache_scan_cb cb, void *ctx);
int hcache_begin(struct hcache *hc);
void hcache_put(struct hcache *hc, const char *folder, const struct store_row *row,
                int64_t mtime);
int hcache_commit(struct hcache *hc);
/* Drop the rows of `folder` whose keys are not in keys[0..n). */
void hcache_prune(struct hcache *hc, const char *folder, const char *const *keys, size_t n);
/* True once an SQLite call reported corruption: the caller reopens. */
bool hcache_broken(const struct hcache *hc);
/* Close and delete the file (after corruption showed up in use). */
void hcache_destroy(struct hcache **hc, const char *path);
/* Rows stored for a folder (for tests and pruning). */
long hcache_count(struct hcache *hc, const char *folder);

/* ---- SQLite files (store_db.c) ----
 * The header cache, the IMAP cache and the POP3 table open their files
 * through store_db_open: a file is used only when its application_id and
 * user_version are the spec's and its probes read; a file of another
 * version, damaged or not a database at all is deleted (with its -wal,
 * -shm, -journal) and made anew, once; an SQLite file with another
 * application_id belongs to someone else and is refused (WARY_ERR). */
struct sqlite3;
struct sqlite3_stmt;
struct store_db_spec {
	int app_id;                 /* PRAGMA application_id: whose file it is */
	int version;                /* PRAGMA user_version: bump when the tables change */
	const char *schema;         /* run once on a new file */
	const char *pragmas;        /* run at every open (journal mode, cache size) */
	const char *const *probes;  /* SELECTs that must step, NULL-terminated */
	bool quick_check;           /* read every page at open (small, precious tables) */
	const char *kind;           /* "wary IMAP cache": the refusal names it */
	const char *noun;           /* "IMAP cache": the failure names it */
	/* Prepare the owner's statements (may be NULL).  A failure counts as
	 * a bad file; the statements are then finalized by store_db_close. */
	int (*prepare)(void *ctx, struct sqlite3 *db);
};
/* Open (creating the parent directory 0700 and the file 0600) or, for
 * ":memory:", make a private in-memory database.  *fresh (may be NULL)
 * says the tables were just created.  WARY_EIO, WARY_ERR (foreign),
 * WARY_ENOMEM (memory). */
int store_db_open(const char *path, const struct store_db_spec *spec, void *ctx,
                  struct sqlite3 **out, bool *fresh, char *err, size_t errlen);
/* Finalize every statement left on the connection and close it. */
void store_db_close(struct sqlite3 **db);
/* Delete the file and its -wal, -shm and -journal. */
void store_db_remove(const char *path);
int store_db_mkdir_parent(const char *path, char *err, size_t errlen);
/* sqlite3_exec without an error message to free. */
int store_db_exec(struct sqlite3 *db, const char *sql);
/* An SQLite result that means the file is damaged (corrupt, not a
 * database, I/O error, wrong format): the owner stops trusting it. */
bool store_db_damage(int rc);
/* BEGIN unless *broken or already *in_txn; COMMIT, or ROLLBACK when
 * *broken.  A damaging failure sets *broken.  WARY_OK or WARY_EIO. */
int store_db_begin(struct sqlite3 *db, bool *in_txn, bool *broken);
int store_db_commit(struct sqlite3 *db, bool *in_txn, bool *broken);
/* Bind s, or NULL when s is NULL (borrowed until the step). */
void store_db_bind_opt(struct sqlite3_stmt *st, int i, const char *s);
/* A column read without trusting it: text is NULL for NULL, else borrowed
 * text of at most STORE_MAX_VALUE bytes without NUL, *len its length; an
 * integer must be stored as one.  Anything else sets *bad. */
const char *store_db_col_text(struct sqlite3_stmt *st, int i, size_t *len, bool *bad);
int64_t store_db_col_int(struct sqlite3_stmt *st, int i, bool *bad);

/* ---- MIME parts by number (part.c) ----
 * IMAP section numbers (RFC 3501 6.4.5: "2", "1.3"): a multipart's
 * children count from 1, a message that is not multipart has its body as
 * part 1, and the parts inside a message/rfc822 part n are n.1, n.2 ... */
#define STORE_MAX_PARTS 4096  /* children of one multipart looked through */
#define STORE_MAX_DEPTH 32    /* numbers in a part id */
#define STORE_MAX_PART_ID 128 /* bytes of a part id */
/* "1", "2.10": numbers from 1, no leading zero, at most STORE_MAX_DEPTH. */
bool store_part_id_valid(const char *id);
/* Where part id of the whole message msg[0..len) stands: its MIME header,
 * the empty line and its body, transfer-encoded as in the message
 * (msg[*off .. *off + *plen)).  WARY_ENOENT when there is no such part. */
int store_part_cut(const char *msg, size_t len, const char *id, size_t *off, size_t *plen,
                   char *err, size_t errlen);

#endif
