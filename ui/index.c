/* The folder index model: rows, a key table, sorting and JWZ threading
 * (from mail/), and lazily decoded display strings. */
#include <string.h>

#include "base/base.h"
#include "mail/mail.h"
#include "ui/index.h"

/* Trees deeper than this are drawn flat: no screen is that wide, and it
 * bounds the per-row tree bits to one word. */
#define TREE_LEVELS 31

struct irow {
	struct store_row r;
	char *from;     /* decoded, safe; NULL until drawn */
	char *subject;
	char *base;     /* subject without Re:/Fwd:, for thread subject hiding */
	bool shown;     /* inside the limit (when there is one) */
	uint32_t hash;  /* of r.key, so a rehash reads no key again */
};

/* A slot keeps the key's hash beside the row number: a probe compares
 * hashes in the table itself and touches a row (and its key) only on a
 * match, instead of two cache misses per probe. */
struct islot {
	uint32_t hash;
	uint32_t row; /* row number + 1; 0 = empty (no folder has 4G rows) */
};

struct index {
	struct irow *rows;
	size_t n, cap;
	size_t *order;     /* display position -> row */
	int *depth;        /* by display position */
	uint32_t *tree;    /* by position: bit 0 = a later sibling, bit L = a line at level L */
	size_t norder;
	struct islot *slots; /* key hash table, open addressing */
	size_t nslots;
	size_t cursor;
	enum index_sort sort;
	bool dirty;
	bool limited;
};

struct index *index_new(void)
{
	struct index *ix = xcalloc(1, sizeof(*ix));

	ix->sort = INDEX_THREADS;
	return ix;
}

static void irow_clear(struct irow *r)
{
	worker_row_free(&r->r);
	free(r->from);
	free(r->subject);
	free(r->base);
	memset(r, 0, sizeof(*r));
}

void index_clear(struct index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		irow_clear(&ix->rows[i]);
	free(ix->rows);
	free(ix->order);
	free(ix->depth);
	free(ix->tree);
	free(ix->slots);
	enum index_sort sort = ix->sort;
	memset(ix, 0, sizeof(*ix));
	ix->sort = sort; /* a new folder starts without a limit */
}

void index_free(struct index **pix)
{
	if (*pix == NULL)
		return;
	index_clear(*pix);
	free(*pix);
	*pix = NULL;
}

static uint32_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

static struct islot *slot_for(const struct index *ix, const char *key, uint32_t h)
{
	size_t mask = ix->nslots - 1;
	size_t i = (size_t)h & mask;

	for (;;) {
		struct islot *s = &ix->slots[i];

		if (s->row == 0 || (s->hash == h && strcmp(ix->rows[s->row - 1].r.key, key) == 0))
			return s;
		i = (i + 1) & mask;
	}
}

/* Only for rows whose key is not in the table yet (a rebuild of it). */
static struct islot *free_slot(const struct index *ix, uint32_t h)
{
	size_t mask = ix->nslots - 1;
	size_t i = (size_t)h & mask;

	while (ix->slots[i].row != 0)
		i = (i + 1) & mask;
	return &ix->slots[i];
}

static void rehash(struct index *ix, size_t want)
{
	size_t n = 64;

	while (n < want * 2)
		n *= 2;
	free(ix->slots);
	ix->slots = xcalloc(n, sizeof(*ix->slots));
	ix->nslots = n;
	for (size_t i = 0; i < ix->n; i++) {
		struct islot *s = free_slot(ix, ix->rows[i].hash); /* keys are unique */

		s->hash = ix->rows[i].hash;
		s->row = (uint32_t)(i + 1);
	}
}

static size_t row_of(const struct index *ix, const char *key)
{
	struct islot *s;

	if (ix->nslots == 0)
		return SIZE_MAX;
	s = slot_for(ix, key, hash_key(key));
	return s->row ? s->row - 1 : SIZE_MAX;
}

void index_take_rows(struct index *ix, struct store_row *rows, size_t n)
{
	if (ix->n + n > ix->nslots / 2)
		rehash(ix, ix->n + n);
	for (size_t i = 0; i < n; i++) {
		struct islot *s;
		uint32_t h;

		if (rows[i].key == NULL)
			continue;
		h = hash_key(rows[i].key);
		s = slot_for(ix, rows[i].key, h);
		if (s->row != 0) {
			size_t at = s->row - 1;
			bool shown = ix->rows[at].shown; /* a flag change keeps its place in a limit */

			irow_clear(&ix->rows[at]);
			ix->rows[at].r = rows[i];
			ix->rows[at].shown = shown;
			ix->rows[at].hash = h;
		} else {
			if (ix->n == ix->cap) {
				ix->cap = ix->cap ? ix->cap * 2 : 1024;
				ix->rows = xreallocarray(ix->rows, ix->cap, sizeof(*ix->rows));
			}
			memset(&ix->rows[ix->n], 0, sizeof(ix->rows[ix->n]));
			ix->rows[ix->n].r = rows[i];
			ix->rows[ix->n].hash = h;
			ix->n++;
			s->hash = h;
			s->row = (uint32_t)ix->n;
		}
		memset(&rows[i], 0, sizeof(rows[i]));
	}
	ix->dirty = true;
}

void index_remove_keys(struct index *ix, char *const *keys, size_t n)
{
	bool any = false;
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		size_t at = row_of(ix, keys[i]);

		if (at != SIZE_MAX) {
			irow_clear(&ix->rows[at]);
			any = true;
		}
	}
	if (!any)
		return;
	for (size_t i = 0; i < ix->n; i++) {
		if (ix->rows[i].r.key == NULL) {
			irow_clear(&ix->rows[i]);
			continue;
		}
		ix->rows[j++] = ix->rows[i];
	}
	ix->n = j;
	rehash(ix, ix->n);
	ix->dirty = true;
}

void index_set_sort(struct index *ix, enum index_sort sort)
{
	ix->sort = sort;
	ix->dirty = true;
}

enum index_sort index_sort(const struct index *ix)
{
	return ix->sort;
}

static const char *const sort_names[] = { "date", "date-reverse", "threads", "threads-reverse" };

const char *index_sort_name(enum index_sort sort)
{
	return sort_names[sort];
}

int index_sort_parse(const char *name, enum index_sort *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(sort_names); i++) {
		if (name && strcmp(name, sort_names[i]) == 0) {
			*out = (enum index_sort)i;
			return WARY_OK;
		}
	}
	return WARY_EPARSE;
}

bool index_dirty(const struct index *ix)
{
	return ix->dirty;
}

static int cmp_date(const void *a, const void *b, void *arg)
{
	const struct index *ix = arg;
	const struct store_row *x = &ix->rows[*(const size_t *)a].r;
	const struct store_row *y = &ix->rows[*(const size_t *)b].r;

	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	return strcmp(x->key, y->key); /* a total order keeps redraws stable */
}

/* Tree bits from the end backwards: a row has a later sibling when a row
 * of its depth follows before one of a lower depth. */
static void compute_tree(struct index *ix)
{
	bool later[TREE_LEVELS + 2] = { false };

	for (size_t p = ix->norder; p-- > 0;) {
		int d = ix->depth[p] > TREE_LEVELS ? TREE_LEVELS : ix->depth[p];
		uint32_t bits = 0;

		if (d > 0 && later[d])
			bits |= 1;
		for (int l = 1; l < d; l++)
			if (later[l])
				bits |= (uint32_t)1 << l;
		ix->tree[p] = bits;
		later[d] = true;
		for (int l = d + 1; l <= TREE_LEVELS; l++)
			later[l] = false;
	}
}

void index_rebuild(struct index *ix)
{
	const char *cur_key = NULL;
	char *keep = NULL;
	size_t n = ix->n;
	bool threads = ix->sort == INDEX_THREADS || ix->sort == INDEX_THREADS_REVERSE;
	bool reverse = ix->sort == INDEX_DATE_REVERSE || ix->sort == INDEX_THREADS_REVERSE;
	bool at_end = ix->norder > 0 && ix->cursor + 1 >= ix->norder;

	if (ix->cursor < ix->norder)
		cur_key = ix->rows[ix->order[ix->cursor]].r.key;
	keep = cur_key ? xstrdup(cur_key) : NULL;

	ix->order = xreallocarray(ix->order, n ? n : 1, sizeof(*ix->order));
	ix->depth = xreallocarray(ix->depth, n ? n : 1, sizeof(*ix->depth));
	ix->tree = xreallocarray(ix->tree, n ? n : 1, sizeof(*ix->tree));
	ix->norder = n;
	if (threads && n > 0) {
		struct mail_thread_in *in = xcalloc(n, sizeof(*in));
		struct mail_thread_out *out = xcalloc(n, sizeof(*out));
		char err[WARY_ERRLEN];

		for (size_t i = 0; i < n; i++) {
			in[i].message_id = ix->rows[i].r.message_id;
			in[i].in_reply_to = ix->rows[i].r.in_reply_to;
			in[i].references = ix->rows[i].r.references;
			in[i].subject = ix->rows[i].r.subject;
			in[i].date = ix->rows[i].r.date;
		}
		if (mail_thread(in, n, reverse, out, err, sizeof(err)) == WARY_OK) {
			for (size_t i = 0; i < n; i++) {
				ix->order[i] = out[i].index;
				ix->depth[i] = out[i].depth;
			}
		} else {
			threads = false; /* fall back to date order, never to nothing */
		}
		free(in);
		free(out);
	}
	if (!threads) {
		for (size_t i = 0; i < n; i++) {
			ix->order[i] = i;
			ix->depth[i] = 0;
		}
		qsort_r(ix->order, n, sizeof(*ix->order), cmp_date, ix);
		if (reverse) {
			for (size_t i = 0; i < n / 2; i++) {
				size_t t = ix->order[i];

				ix->order[i] = ix->order[n - 1 - i];
				ix->order[n - 1 - i] = t;
			}
		}
	}
	if (ix->limited) {
		/* Drop what the limit hides; the tree is drawn for what stays. */
		size_t j = 0;

		for (size_t p = 0; p < n; p++) {
			if (!ix->rows[ix->order[p]].shown)
				continue;
			ix->order[j] = ix->order[p];
			ix->depth[j] = ix->depth[p];
			j++;
		}
		ix->norder = n = j;
	}
	compute_tree(ix);
	ix->dirty = false;

	/* The cursor follows its message; a cursor on the last row stays on
	 * the last row while older mail streams in above it. */
	ix->cursor = 0;
	if (keep && !at_end) {
		size_t at = row_of(ix, keep);

		for (size_t p = 0; at != SIZE_MAX && p < n; p++) {
			if (ix->order[p] == at) {
				ix->cursor = p;
				break;
			}
		}
	} else if (n > 0 && (at_end || (!reverse && keep == NULL))) {
		ix->cursor = n - 1;
	}
	free(keep);
}

size_t index_count(const struct index *ix)
{
	return ix->norder;
}

size_t index_cursor(const struct index *ix)
{
	return ix->cursor;
}

void index_set_cursor(struct index *ix, size_t pos)
{
	if (ix->norder == 0)
		ix->cursor = 0;
	else
		ix->cursor = pos >= ix->norder ? ix->norder - 1 : pos;
}

const struct store_row *index_row(const struct index *ix, size_t pos)
{
	if (pos >= ix->norder)
		return NULL;
	return &ix->rows[ix->order[pos]].r;
}

static char *decode_from(const char *raw)
{
	struct mail_addr_list l = { NULL, 0 };
	char err[WARY_ERRLEN];
	char *s = NULL;

	if (raw == NULL)
		return xstrdup("");
	mail_addr_parse(raw, &l, err, sizeof(err));
	if (l.n > 0) {
		const struct mail_addr *a = &l.v[0];

		if (a->display && a->display[0])
			s = safe_str(a->display, SAFE_LINE);
		else if (a->address)
			s = safe_str(a->address, SAFE_LINE);
	}
	mail_addr_list_clear(&l);
	if (s == NULL) {
		char *d = mail_rfc2047_decode(raw, strlen(raw));

		s = safe_str(d ? d : raw, SAFE_LINE);
		free(d);
	}
	return s;
}

const char *index_row_from(struct index *ix, size_t pos)
{
	struct irow *r;

	if (pos >= ix->norder)
		return "";
	r = &ix->rows[ix->order[pos]];
	if (r->from == NULL)
		r->from = decode_from(r->r.from);
	return r->from;
}

static struct irow *subject_row(struct index *ix, size_t pos)
{
	struct irow *r = &ix->rows[ix->order[pos]];

	if (r->subject == NULL) {
		char *d = r->r.subject ? mail_rfc2047_decode(r->r.subject, strlen(r->r.subject)) : NULL;

		r->subject = safe_str(d ? d : (r->r.subject ? r->r.subject : ""), SAFE_LINE);
		free(d);
		r->base = mail_subject_base(r->subject);
		if (r->base == NULL)
			r->base = xstrdup(r->subject);
	}
	return r;
}

const char *index_row_subject(struct index *ix, size_t pos)
{
	struct irow *r;

	if (pos >= ix->norder)
		return "";
	r = subject_row(ix, pos);
	/* In a thread, a reply that only repeats its parent's subject shows
	 * none, as mutt does: the tree already says what it answers. */
	if (ix->depth[pos] > 0 && pos > 0) {
		struct irow *prev = subject_row(ix, pos - 1);

		if (strcmp(prev->base, r->base) == 0)
			return "";
	}
	return r->subject;
}

int index_row_depth(const struct index *ix, size_t pos)
{
	return pos < ix->norder ? ix->depth[pos] : 0;
}

void index_row_tree(const struct index *ix, size_t pos, struct buf *out)
{
	int d;
	uint32_t bits;

	buf_reset(out);
	if (pos >= ix->norder || ix->depth[pos] == 0)
		return;
	d = ix->depth[pos] > TREE_LEVELS ? TREE_LEVELS : ix->depth[pos];
	bits = ix->tree[pos];
	for (int l = 1; l < d; l++)
		buf_adds(out, bits & ((uint32_t)1 << l) ? "\u2502 " : "  ");
	buf_adds(out, bits & 1 ? "\u251c\u2500>" : "\u2514\u2500>");
}

void index_set_limit(struct index *ix, char *const *keys, size_t n)
{
	ix->limited = keys != NULL;
	for (size_t i = 0; i < ix->n; i++)
		ix->rows[i].shown = !ix->limited;
	for (size_t i = 0; keys && i < n; i++) {
		size_t at = row_of(ix, keys[i]);

		if (at != SIZE_MAX)
			ix->rows[at].shown = true;
	}
	ix->dirty = true;
}

bool index_limited(const struct index *ix)
{
	return ix->limited;
}

size_t index_find(const struct index *ix, const char *key)
{
	size_t at = row_of(ix, key);

	if (at == SIZE_MAX)
		return SIZE_MAX;
	for (size_t p = 0; p < ix->norder; p++)
		if (ix->order[p] == at)
			return p;
	return SIZE_MAX;
}

void index_set_flags(struct index *ix, const char *key, unsigned flags)
{
	size_t at = row_of(ix, key);

	if (at != SIZE_MAX)
		ix->rows[at].r.flags = flags;
}

void index_counts(const struct index *ix, struct index_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->total = ix->n;
	for (size_t i = 0; i < ix->n; i++) {
		unsigned f = ix->rows[i].r.flags;

		if (!(f & STORE_SEEN))
			c->unread++;
		if (f & STORE_FLAGGED)
			c->flagged++;
		if (f & STORE_DELETED)
			c->deleted++;
	}
}

size_t index_search(struct index *ix, size_t from, int dir, const char *pattern)
{
	size_t n = ix->norder, plen = strlen(pattern);

	if (n == 0 || plen == 0)
		return SIZE_MAX;
	for (size_t step = 1; step <= n; step++) {
		size_t p = dir > 0 ? (from + step) % n : (from + n - step % n) % n;
		struct irow *r = subject_row(ix, p);
		const char *f = index_row_from(ix, p);

		if (str_memcasemem(r->subject, strlen(r->subject), pattern) ||
		    str_memcasemem(f, strlen(f), pattern))
			return p;
	}
	return SIZE_MAX;
}
