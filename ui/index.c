/* The folder index model: rows, a key table, sorting and JWZ threading
 * (from mail/), and lazily decoded display strings. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "mail/mail.h"
#include "ui/index.h"

/* Trees deeper than this are drawn flat: no screen is that wide, and it
 * bounds the per-row tree bits to one word. */
#define TREE_LEVELS 31

/* What a row shows, decoded and safe: made when it is first drawn (or
 * searched), so a row never drawn costs one pointer, not three. */
struct idec {
	char *from;
	char *subject;
	char *base;     /* subject without Re:/Fwd:, for thread subject hiding */
};

/* 96 bytes a row: at 100k rows every field here is 100 KB of the
 * index's memory, so what can be made again cheaply is (a key's hash,
 * the fingerprint of the saved thread order) and what is one bit sits
 * in an array of its own (shown). */
struct irow {
	struct store_row r;
	struct idec *dec; /* NULL until drawn */
};

/* A slot keeps the key's hash beside the row number: a probe compares
 * hashes in the table itself and touches a row (and its key) only on a
 * match, instead of two cache misses per probe. */
struct islot {
	uint32_t hash;
	uint32_t row; /* row number + 1; 0 = empty (no folder has 4G rows) */
};

/* Header values that repeat from row to row (senders, recipients,
 * content types, subjects of a thread) are kept once: a table of
 * distinct strings in large chunks.  A row keeps its key and the ids
 * (Message-ID, In-Reply-To, References: mostly its own) in a block of its
 * own and points into the pool for the rest, so a 100k folder holds each
 * sender once, not once a message. */
struct pslot {
	uint32_t hash;
	uint32_t len;
	const char *s; /* NULL: empty slot */
};

struct pool {
	struct pslot *slot;
	size_t mask, used;
	char *chunk;   /* the chunk being filled */
	size_t left;
	char **chunks; /* every allocation, to free */
	size_t nchunks, capchunks;
};

#define POOL_CHUNK (256u * 1024u)

struct index {
	struct irow *rows;
	size_t n, cap;
	unsigned char *shown; /* by row: inside the limit (when there is one) */
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
	/* The thread order kept from an earlier run (index_use_saved_threads),
	 * tried by the next rebuild; and whether the last rebuild threaded
	 * afresh, so its order is worth keeping (index_export_threads). */
	struct buf saved;
	struct pool pool;
	bool fresh_threads;
	bool used_saved;         /* the last rebuild took the saved order */
	uint64_t fp_set, fp_seq; /* of the rows that last rebuild threaded */
};

struct index *index_new(void)
{
	struct index *ix = xcalloc(1, sizeof(*ix));

	ix->sort = INDEX_THREADS;
	return ix;
}

static void irow_clear(struct irow *r)
{
	/* r->r's strings live in the pool's chunks (compact_row), freed with
	 * the index; a row replaced or removed meanwhile leaves its few bytes
	 * there until the folder is closed. */
	if (r->dec != NULL) {
		free(r->dec->from);
		free(r->dec->subject);
		free(r->dec->base);
		free(r->dec);
	}
	memset(r, 0, sizeof(*r));
}

void index_clear(struct index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		irow_clear(&ix->rows[i]);
	free(ix->rows);
	free(ix->shown);
	free(ix->order);
	free(ix->depth);
	free(ix->tree);
	free(ix->slots);
	buf_release(&ix->saved);
	for (size_t i = 0; i < ix->pool.nchunks; i++)
		free(ix->pool.chunks[i]);
	free(ix->pool.chunks);
	free(ix->pool.slot);
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

/* Filled to at most 4/5: 100k rows take 131072 slots (1 MB), where half
 * full took twice that; a probe compares hashes in the table, so the
 * longer runs stay cheap. */
static bool slots_full(const struct index *ix, size_t rows)
{
	return rows * 5 > ix->nslots * 4;
}

static void rehash(struct index *ix, size_t want)
{
	size_t n = 64;

	while (want * 5 > n * 4)
		n *= 2;
	free(ix->slots);
	ix->slots = xcalloc(n, sizeof(*ix->slots));
	ix->nslots = n;
	for (size_t i = 0; i < ix->n; i++) {
		uint32_t h = hash_key(ix->rows[i].r.key);
		struct islot *s = free_slot(ix, h); /* keys are unique */

		s->hash = h;
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

static uint64_t hash_bytes(const char *s, size_t n)
{
	return str_hash64(s, n, 0);
}

/* What the fingerprint takes for a pooled string: the hash of its bytes,
 * kept in the 8 bytes before it, so a row's part needs no pass over its
 * strings once they are in the pool. */
static uint64_t pooled_hash(const char *s)
{
	uint64_t h;

	if (s == NULL)
		return 0x6e756c6cull;
	memcpy(&h, s - 8, 8);
	return h;
}

static char *pool_alloc(struct pool *p, size_t n)
{
	char *s;

	if (n > POOL_CHUNK / 4 || n > p->left) {
		size_t size = n > POOL_CHUNK / 4 ? n : POOL_CHUNK;

		if (p->nchunks == p->capchunks) {
			p->capchunks = p->capchunks ? p->capchunks * 2 : 64;
			p->chunks = xreallocarray(p->chunks, p->capchunks, sizeof(*p->chunks));
		}
		s = xmalloc(size);
		p->chunks[p->nchunks++] = s;
		if (size == n) /* a big one of its own; the chunk being filled stays */
			return s;
		p->chunk = s;
		p->left = size;
	}
	s = p->chunk;
	p->chunk += n;
	p->left -= n;
	return s;
}

static void pool_grow(struct pool *p)
{
	size_t size = p->slot ? (p->mask + 1) * 2 : 4096;
	struct pslot *old = p->slot;

	p->slot = xcalloc(size, sizeof(*p->slot));
	for (size_t i = 0; old != NULL && i <= p->mask; i++) {
		size_t j;

		if (old[i].s == NULL)
			continue;
		for (j = old[i].hash & (size - 1); p->slot[j].s != NULL; j = (j + 1) & (size - 1))
			;
		p->slot[j] = old[i];
	}
	free(old);
	p->mask = size - 1;
}

/* The pool's copy of s (NULL stays NULL). */
static char *intern(struct pool *p, const char *s)
{
	size_t n, i;
	uint64_t full;
	uint32_t h;
	char *c;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n > UINT32_MAX - 1)
		n = UINT32_MAX - 1; /* no header value is 4 GB; a bound, not a case */
	full = hash_bytes(s, n);
	h = (uint32_t)full;
	if (p->slot == NULL || p->used >= p->mask / 2)
		pool_grow(p);
	for (i = h & p->mask; p->slot[i].s != NULL; i = (i + 1) & p->mask) {
		const struct pslot *sl = &p->slot[i];

		if (sl->hash == h && sl->len == n && memcmp(sl->s, s, n) == 0)
			return (char *)sl->s;
	}
	c = pool_alloc(p, 8 + n + 1);
	memcpy(c, &full, 8);
	c += 8;
	memcpy(c, s, n);
	c[n] = '\0';
	p->slot[i].hash = h;
	p->slot[i].len = (uint32_t)n;
	p->slot[i].s = c;
	p->used++;
	return c;
}

/* The row as the index keeps it: key and ids in a block of its own (cut
 * from the pool's chunks too: no allocation of its own), the rest shared
 * in the pool; the worker's block is freed.  A row that replaces `old`
 * (a flag change, the store's second pass adding References) keeps the
 * old row's ids where they are the same and cuts only the new ones: the
 * pool frees nothing before the folder closes, so a copy of 100k blocks
 * would stay there as waste. */
static struct store_row compact_row(struct pool *p, struct store_row *in, const struct store_row *old)
{
	struct store_row r = *in;
	const char *own[4] = { in->key, in->message_id, in->in_reply_to, in->references };
	const char *had[4] = { old ? old->key : NULL, old ? old->message_id : NULL,
	                       old ? old->in_reply_to : NULL, old ? old->references : NULL };
	char **to[4] = { &r.key, &r.message_id, &r.in_reply_to, &r.references };
	size_t len[4], total = 0;
	bool keep[4];
	char *block;

	for (size_t i = 0; i < 4; i++) {
		len[i] = own[i] ? strlen(own[i]) : 0;
		keep[i] = own[i] != NULL && had[i] != NULL && strcmp(own[i], had[i]) == 0;
		total += own[i] && !keep[i] ? len[i] + 1 : 0;
	}
	block = total ? pool_alloc(p, total) : NULL;
	for (size_t i = 0; i < 4; i++) {
		*to[i] = NULL;
		if (own[i] == NULL)
			continue;
		if (keep[i]) {
			*to[i] = (char *)had[i];
			continue;
		}
		memcpy(block, own[i], len[i] + 1);
		*to[i] = block;
		block += len[i] + 1;
	}
	r.from = intern(p, in->from);
	r.to = intern(p, in->to);
	r.subject = intern(p, in->subject);
	r.content_type = intern(p, in->content_type);
	r.packed = false; /* its strings are not all in the block */
	if (in->packed)
		worker_row_free(in);
	return r;
}

void index_take_rows(struct index *ix, struct store_row *rows, size_t n)
{
	if (slots_full(ix, ix->n + n))
		rehash(ix, ix->n + n);
	for (size_t i = 0; i < n; i++) {
		struct islot *s;
		uint32_t h;

		if (rows[i].key == NULL)
			continue;
		h = hash_key(rows[i].key);
		s = slot_for(ix, rows[i].key, h);
		rows[i] = compact_row(&ix->pool, &rows[i], s->row ? &ix->rows[s->row - 1].r : NULL);
		if (s->row != 0) {
			size_t at = s->row - 1;

			/* (a flag change keeps its place in a limit: shown stays) */
			irow_clear(&ix->rows[at]);
			ix->rows[at].r = rows[i];
		} else {
			if (ix->n == ix->cap) {
				ix->cap = ix->cap ? ix->cap * 2 : 1024;
				ix->rows = xreallocarray(ix->rows, ix->cap, sizeof(*ix->rows));
				ix->shown = xrealloc(ix->shown, ix->cap);
			}
			memset(&ix->rows[ix->n], 0, sizeof(ix->rows[ix->n]));
			ix->rows[ix->n].r = rows[i];
			ix->shown[ix->n] = 0;
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
		ix->shown[j] = ix->shown[i];
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

/* ---- the thread order kept between runs ----
 * Threading 100k rows is most of a warm open's work after the rows are
 * read, and its result depends only on the rows: so the order is kept in
 * a file beside the header cache, with a fingerprint of every field
 * threading reads, and used again while the fingerprint is the same.
 * The file is only ever a hint: anything in it that does not fit the
 * rows exactly (count, keys, each row once, depths a tree can have)
 * and the rows are threaded as if there were none. */

#define SAVED_MAGIC "wary-threads 2"

static uint64_t fold64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t str_fp(const char *s, uint64_t none)
{
	return s ? hash_bytes(s, strlen(s)) : none;
}

/* A row's part of the fingerprint: its key and every field threading
 * reads (the pooled ones by the hash the pool keeps).  Made at each
 * rebuild (about 10 MB hashed at 100k rows, a few ms) rather than kept:
 * 8 bytes a row. */
static uint64_t row_fp(const struct store_row *r)
{
	uint64_t h = 0x7761727974687233ull;

	h = fold64(h ^ str_fp(r->key, 0));
	h = fold64(h ^ (uint64_t)(int64_t)r->date);
	h = fold64(h ^ str_fp(r->message_id, 0x6e756c6cull));
	h = fold64(h + str_fp(r->in_reply_to, 0x6e756c6dull));
	h = fold64(h ^ str_fp(r->references, 0x6e756c6eull));
	h = fold64(h + pooled_hash(r->subject));
	return h;
}

/* Of the set of rows whatever order they came in (set), and of the rows
 * in the order they came (seq): with seq the same, a saved row number is
 * the same row. */
static void rows_fingerprint(const struct index *ix, bool reverse, uint64_t *set, uint64_t *seq)
{
	uint64_t sum = 0, o = 0;

	for (size_t i = 0; i < ix->n; i++) {
		uint64_t fp = row_fp(&ix->rows[i].r);

		sum += fp;
		o = (o + fp) * 0x9e3779b97f4a7c15ull;
	}
	*set = fold64(sum ^ ((uint64_t)ix->n << 1) ^ (reverse ? 1 : 0));
	*seq = fold64(o ^ *set);
}

uint64_t index_saved_sum(const char *s, size_t n)
{
	return fold64(str_hash64(s, n, 0x7761727974687232ull));
}

static bool parse_num(char **sp, unsigned long long max, unsigned long long *out)
{
	char *s = *sp;
	unsigned long long v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned long long)(*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	*sp = s;
	return true;
}

/* The saved order into ix->order and ix->depth when it is exactly one
 * for these rows; false leaves them to be overwritten.  The text:
 *   wary-threads 2 SORT SET SEQ N SUM       (SET, SEQ, SUM in hex)
 *   DEPTH ROW KEY                           N lines in display order
 * SUM covers every line after the first: a damaged file is not used. */
static bool apply_saved(struct index *ix, uint64_t set, uint64_t seq)
{
	char *p = ix->saved.data, *end, *nl;
	unsigned long long got_set, got_seq, got_sum;
	unsigned got_sort;
	size_t got_n, pos = 0;
	uint8_t *used = NULL;
	bool ok = false, same_seq;
	int nread = 0;

	if (ix->saved.len == 0 || p[ix->saved.len - 1] != '\n')
		return false;
	end = p + ix->saved.len;
	nl = memchr(p, '\n', ix->saved.len);
	*nl = '\0';
	if (sscanf(p, SAVED_MAGIC " %u %16llx %16llx %zu %16llx%n", &got_sort, &got_set, &got_seq,
	           &got_n, &got_sum, &nread) != 5 ||
	    p[nread] != '\0' || got_sort != (unsigned)ix->sort || got_set != set || got_n != ix->n ||
	    got_sum != index_saved_sum(nl + 1, (size_t)(end - nl - 1)))
		return false;
	same_seq = got_seq == seq;
	used = xcalloc(ix->n ? ix->n : 1, 1);
	for (p = nl + 1; p < end; p = nl + 1) {
		unsigned long long d, row;
		size_t at;

		nl = memchr(p, '\n', (size_t)(end - p));
		*nl = '\0';
		if (pos >= ix->n || !parse_num(&p, ix->n, &d) || *p++ != ' ' ||
		    !parse_num(&p, ix->n, &row) || *p++ != ' ' || *p == '\0')
			goto out;
		/* Depths of a tree in display order: a root first, and a row
		 * at most one deeper than the row above it. */
		if ((pos == 0 && d != 0) || (pos > 0 && d > (unsigned long long)ix->depth[pos - 1] + 1))
			goto out;
		/* The rows came in the same order: the number is the row.  Else
		 * the same rows in another order: found by key. */
		at = same_seq ? (size_t)row : row_of(ix, p);
		if (at >= ix->n || used[at] || (same_seq && strcmp(ix->rows[at].r.key, p) != 0))
			goto out;
		used[at] = 1;
		ix->order[pos] = at;
		ix->depth[pos] = (int)d;
		pos++;
	}
	ok = pos == ix->n;
	/* Found by key: kept again with the order the rows come in now, so
	 * the next open takes the row numbers as they are. */
	if (ok && !same_seq)
		ix->fresh_threads = true;
out:
	free(used);
	return ok;
}

bool index_used_saved_threads(const struct index *ix)
{
	return ix->used_saved;
}

void index_use_saved_threads(struct index *ix, struct buf *data)
{
	buf_release(&ix->saved);
	ix->saved = *data;
	buf_init(data);
}

/* "N " without printf: 100k lines are made between two key presses. */
static void add_num(struct buf *b, unsigned long long v, char end)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	tmp[--i] = end;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_add(b, tmp + i, sizeof(tmp) - i);
}

bool index_export_threads(struct index *ix, struct buf *out)
{
	size_t start = out->len, blen;
	char head[160];
	int hlen;

	if (!ix->fresh_threads || ix->limited || ix->norder != ix->n)
		return false;
	ix->fresh_threads = false;
	/* The lines go straight into out and the header (it holds their
	 * sum) is put before them after: for 100k rows a copy of the body
	 * beside out, and its doubling, were 4 MB at the peak of a cold
	 * open.  A line is about 16 bytes. */
	buf_grow(out, ix->norder * 16);
	for (size_t p = 0; p < ix->norder; p++) {
		const char *k = ix->rows[ix->order[p]].r.key;

		/* A key the line format cannot hold: keep nothing. */
		if (k[0] == '\0' || strpbrk(k, " \n") != NULL) {
			buf_truncate(out, start);
			return false;
		}
		add_num(out, (unsigned long long)ix->depth[p], ' ');
		add_num(out, ix->order[p], ' ');
		buf_add(out, k, strlen(k));
		buf_add(out, "\n", 1);
	}
	blen = out->len - start;
	hlen = snprintf(head, sizeof(head), SAVED_MAGIC " %u %016llx %016llx %zu %016llx\n",
	                (unsigned)ix->sort, (unsigned long long)ix->fp_set,
	                (unsigned long long)ix->fp_seq, ix->n,
	                (unsigned long long)index_saved_sum(out->data + start, blen));
	if (hlen <= 0 || (size_t)hlen >= sizeof(head)) {
		buf_truncate(out, start);
		return false;
	}
	buf_grow(out, (size_t)hlen);
	memmove(out->data + start + hlen, out->data + start, blen + 1);
	memcpy(out->data + start, head, (size_t)hlen);
	out->len += (size_t)hlen;
	return true;
}

void index_folder_tag(const char *folder, char out[17])
{
	uint64_t h = 1469598103934665603ull;

	for (const char *s = folder ? folder : ""; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void index_keep_threads(struct index *ix, struct worker *wk, unsigned gen, const char *folder)
{
	struct buf b = BUF_INIT;
	char tag[17];

	if (!ix->fresh_threads)
		return;
	index_folder_tag(folder, tag);
	buf_addf(&b, "%s\n", tag);
	if (index_export_threads(ix, &b))
		worker_send_take(wk, WK_SAVE_THREADS, gen, buf_detach(&b, NULL), 0, 0); /* no copy */
	buf_release(&b);
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
	keep = xstrdup_null(cur_key);

	ix->order = xreallocarray(ix->order, n ? n : 1, sizeof(*ix->order));
	ix->depth = xreallocarray(ix->depth, n ? n : 1, sizeof(*ix->depth));
	ix->tree = xreallocarray(ix->tree, n ? n : 1, sizeof(*ix->tree));
	ix->norder = n;
	ix->fresh_threads = false;
	ix->used_saved = false;
	if (threads && n > 0) {
		uint64_t set, seq;

		rows_fingerprint(ix, reverse, &set, &seq);
		ix->fp_set = set;
		ix->fp_seq = seq;
		if (apply_saved(ix, set, seq)) {
			buf_release(&ix->saved);
			ix->used_saved = true;
			goto threaded;
		}
		buf_release(&ix->saved);
		ix->fresh_threads = !ix->limited;
	}
	if (threads && n > 0) {
		/* threaded where the rows are: a copy of their fields and of the
		 * result was 5.6 MB more at the peak of a 100k cold open */
		const struct mail_thread_view v = {
			ix->rows, sizeof(*ix->rows), offsetof(struct irow, r.message_id),
			offsetof(struct irow, r.in_reply_to), offsetof(struct irow, r.references),
			offsetof(struct irow, r.subject), offsetof(struct irow, r.date),
		};
		char err[WARY_ERRLEN];

		if (mail_thread_view(&v, n, reverse, ix->order, ix->depth, err, sizeof(err)) != WARY_OK) {
			threads = false; /* fall back to date order, never to nothing */
			ix->fresh_threads = false;
		}
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
threaded:
	if (ix->limited) {
		/* Drop what the limit hides; the tree is drawn for what stays. */
		size_t j = 0;

		for (size_t p = 0; p < n; p++) {
			if (!ix->shown[ix->order[p]])
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
	if (r->dec == NULL)
		r->dec = xcalloc(1, sizeof(*r->dec));
	if (r->dec->from == NULL)
		r->dec->from = decode_from(r->r.from);
	return r->dec->from;
}

static struct irow *subject_row(struct index *ix, size_t pos)
{
	struct irow *r = &ix->rows[ix->order[pos]];

	if (r->dec == NULL)
		r->dec = xcalloc(1, sizeof(*r->dec));
	if (r->dec->subject == NULL) {
		struct idec *d = r->dec;
		char *t = r->r.subject ? mail_rfc2047_decode(r->r.subject, strlen(r->r.subject)) : NULL;

		d->subject = safe_str(t ? t : (r->r.subject ? r->r.subject : ""), SAFE_LINE);
		free(t);
		d->base = mail_subject_base(d->subject);
		if (d->base == NULL)
			d->base = xstrdup(d->subject);
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

		if (strcmp(prev->dec->base, r->dec->base) == 0)
			return "";
	}
	return r->dec->subject;
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
	if (ix->n > 0)
		memset(ix->shown, !ix->limited, ix->n);
	for (size_t i = 0; keys && i < n; i++) {
		size_t at = row_of(ix, keys[i]);

		if (at != SIZE_MAX)
			ix->shown[at] = 1;
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

		if (str_memcasemem(r->dec->subject, strlen(r->dec->subject), pattern) ||
		    str_memcasemem(f, strlen(f), pattern))
			return p;
	}
	return SIZE_MAX;
}
