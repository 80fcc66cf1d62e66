/* libFuzzer target: the thread order kept between runs (ui/index.c) on
 * arbitrary bytes, for a folder of fixed rows.  The first byte picks how
 * the rest is read: as the whole file, or as its lines under a header
 * made right for these rows (fingerprints and the sum), which is what
 * reaches the line parser.  Besides not crashing, the index must show
 * every row exactly once with depths a tree can have, used or not. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "store/store.h"
#include "ui/index.h"
#include "ui/worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NROWS 60

static void add_rows(struct index *ix)
{
	struct store_row rows[NROWS];

	for (size_t i = 0; i < NROWS; i++) {
		struct store_row r;
		char key[16], id[32], irt[32], subj[32];

		snprintf(key, sizeof(key), "%zu", i + 1);
		snprintf(id, sizeof(id), "<m%zu@x>", i % 17 == 3 ? (size_t)3 : i);
		snprintf(irt, sizeof(irt), "<m%zu@x>", i % 3 == 0 ? i + 500 : i / 3);
		snprintf(subj, sizeof(subj), "%sTopic %zu", i % 5 == 1 ? "Re: " : "", i % 7);
		memset(&r, 0, sizeof(r));
		r.key = key;
		r.date = (time_t)(1000 + (i / 2) * 10);
		r.message_id = id;
		r.in_reply_to = i % 4 == 0 ? NULL : irt;
		r.subject = subj;
		r.from = "a@x.test";
		worker_row_pack(&rows[i], &r);
	}
	index_take_rows(ix, rows, NROWS);
}

static void check(struct index *ix)
{
	uint8_t seen[NROWS] = { 0 };

	if (index_count(ix) != NROWS)
		abort();
	for (size_t p = 0; p < NROWS; p++) {
		const struct store_row *r = index_row(ix, p);
		unsigned long k = r ? strtoul(r->key, NULL, 10) : 0;
		int d = index_row_depth(ix, p);

		if (k < 1 || k > NROWS || seen[k - 1]++)
			abort();
		if (d < 0 || (p == 0 && d != 0) || (p > 0 && d > index_row_depth(ix, p - 1) + 1))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char header[160];
	struct index *ix;
	struct buf text = BUF_INIT;

	if (header[0] == '\0') {
		/* The header a real threading of these rows is kept under. */
		struct buf b = BUF_INIT;
		char *nl;

		ix = index_new();
		add_rows(ix);
		index_rebuild(ix);
		if (!index_export_threads(ix, &b) || (nl = strchr(b.data, '\n')) == NULL)
			abort();
		*nl = '\0';
		str_copy(header, b.data, sizeof(header));
		buf_release(&b);
		index_free(&ix);
	}
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		/* "wary-threads 2 SORT SET SEQ N SUM": SUM replaced for these lines */
		char *last = strrchr(header, ' ');

		buf_add(&text, header, (size_t)(last - header));
		buf_addf(&text, " %016llx\n",
		         (unsigned long long)index_saved_sum((const char *)data + 1, size - 1));
	}
	buf_add(&text, data + 1, size - 1);
	ix = index_new();
	add_rows(ix);
	index_use_saved_threads(ix, &text);
	index_rebuild(ix);
	check(ix);
	buf_release(&text);
	index_free(&ix);
	return 0;
}
