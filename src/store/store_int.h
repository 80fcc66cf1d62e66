#ifndef WARY_STORE_INT_H
#define WARY_STORE_INT_H
/* Inside src/store only: the header-block reader, the date parser and the
 * SQLite header cache shared by the backends. */
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

#endif
