#ifndef WARY_UI_INDEX_H
#define WARY_UI_INDEX_H
/*
 * index: the rows of the open folder, sorted or threaded, with a cursor.
 * No drawing here: the index view asks for rows by display position and
 * gets their sender and subject decoded and made safe, lazily, so a 100k
 * folder decodes only what is on screen.
 */
#include "base/base.h"
#include "store/store.h"
#include "ui/worker.h"

enum index_sort { INDEX_DATE, INDEX_DATE_REVERSE, INDEX_THREADS, INDEX_THREADS_REVERSE };

struct index;
struct index *index_new(void);
void index_free(struct index **ix);
void index_clear(struct index *ix);
/* Take the rows: each is kept as its key and ids in a block of its own
 * and the values that repeat (from, to, subject, content type) in the
 * index's pool, valid until index_clear.  A packed row's block
 * (worker_row_pack) is freed; an unpacked row's strings are only read
 * (a WK_ROWS reply's arena, freed with the reply).  The array is cleared.
 * A key already present replaces its row (a flag change seen by check). */
void index_take_rows(struct index *ix, struct store_row *rows, size_t n);
void index_remove_keys(struct index *ix, char *const *keys, size_t n);
void index_set_sort(struct index *ix, enum index_sort sort);
enum index_sort index_sort(const struct index *ix);
const char *index_sort_name(enum index_sort sort);
int index_sort_parse(const char *name, enum index_sort *out);
/* Re-sort or re-thread after rows came or went; the cursor stays on the
 * same message. */
void index_rebuild(struct index *ix);
bool index_dirty(const struct index *ix);

/* The thread order of an earlier run (what index_export_threads wrote),
 * taken over and tried by the next rebuild: used when it fits these rows
 * exactly (same sort, same fingerprint of every field threading reads,
 * every key once), otherwise the rows are threaded as usual. */
void index_use_saved_threads(struct index *ix, struct buf *data);
/* Whether the last rebuild took that saved order (for WARY_TRACE). */
bool index_used_saved_threads(const struct index *ix);
/* When the last rebuild threaded afresh (no limit), that order as text
 * into out, once; false when there is nothing new to keep. */
bool index_export_threads(struct index *ix, struct buf *out);
/* The check sum over the lines of the saved text (for tests). */
uint64_t index_saved_sum(const char *s, size_t n);
/* A file-name tag for a folder's saved thread order. */
void index_folder_tag(const char *folder, char out[17]);
/* index_export_threads of the folder handed to the worker to keep. */
void index_keep_threads(struct index *ix, struct worker *wk, unsigned gen, const char *folder);

size_t index_count(const struct index *ix);
size_t index_cursor(const struct index *ix);
void index_set_cursor(struct index *ix, size_t pos);
/* The row at a display position. */
const struct store_row *index_row(const struct index *ix, size_t pos);
/* Sender (display name, else address) and subject, decoded and safe. */
const char *index_row_from(struct index *ix, size_t pos);
const char *index_row_subject(struct index *ix, size_t pos);
/* Thread depth and the tree prefix ("├─>", "│ └─>", ...) for the row. */
int index_row_depth(const struct index *ix, size_t pos);
void index_row_tree(const struct index *ix, size_t pos, struct buf *out);
/* Show only the rows with these keys (a limit), or all again with keys
 * NULL.  Takes effect at the next rebuild; rows that arrive later are
 * hidden until the limit is cleared. */
void index_set_limit(struct index *ix, char *const *keys, size_t n);
bool index_limited(const struct index *ix);

/* Position of a key, or SIZE_MAX. */
size_t index_find(const struct index *ix, const char *key);
void index_set_flags(struct index *ix, const char *key, unsigned flags);

struct index_counts {
	size_t total, unread, flagged, deleted;
};
void index_counts(const struct index *ix, struct index_counts *c);

/* Next position from `from` (exclusive) in direction dir (+1/-1) whose
 * sender or subject contains pattern (case-insensitive), or SIZE_MAX. */
size_t index_search(struct index *ix, size_t from, int dir, const char *pattern);

#endif
