/* The UI's models without a terminal: the index (threading, cursor,
 * updates, tree prefixes, lazy decoding), wrapped text views, and the
 * store worker thread against a real Maildir (the demo). */
#include <locale.h>
#include <unistd.h>

#include "base/base.h"
#include "store/store.h"
#include "ui/index.h"
#include "ui/textview.h"
#include "ui/worker.h"
#include "t.h"

static struct store_row mkrow(const char *key, time_t date, const char *msgid, const char *irt,
                              const char *subject, const char *from)
{
	struct store_row r, packed;

	memset(&r, 0, sizeof(r));
	r.key = (char *)key;
	r.date = date;
	r.message_id = (char *)msgid;
	r.in_reply_to = (char *)irt;
	r.subject = (char *)subject;
	r.from = (char *)from;
	r.flags = STORE_SEEN;
	worker_row_pack(&packed, &r);
	return packed;
}

static void test_index(void)
{
	struct index *ix = index_new();
	struct store_row rows[5];
	struct buf tree = BUF_INIT;
	struct index_counts c;
	size_t p;

	rows[0] = mkrow("a", 100, "<a@x>", NULL, "Pump broken", "Ann <ann@x.test>");
	rows[1] = mkrow("b", 200, "<b@x>", "<a@x>", "Re: Pump broken", "=?UTF-8?Q?B=C3=A9a?= <bea@x.test>");
	rows[2] = mkrow("c", 300, "<c@x>", "<a@x>", "Re: Pump broken", "cid@x.test");
	rows[3] = mkrow("d", 400, "<d@x>", "<b@x>", "Re: Pump broken", "Dan <dan@x.test>");
	rows[4] = mkrow("e", 50, "<e@x>", NULL, "Older, alone", "Eve <eve@x.test>");
	rows[4].flags = 0;
	index_take_rows(ix, rows, 5);
	T_OK(rows[0].key == NULL, "index_take_rows moves the strings out");
	T_OK(index_dirty(ix), "new rows make the index dirty");
	index_rebuild(ix);
	T_INT(index_count(ix), 5, "five rows");
	T_STR(index_row(ix, 0)->key, "e", "threads: the oldest root first");
	T_STR(index_row(ix, 1)->key, "a", "then the pump thread root");
	T_INT(index_row_depth(ix, 2), 1, "first reply at depth 1");
	T_INT(index_cursor(ix), 4, "cursor starts on the last (newest) row");
	T_STR(index_row(ix, 3)->key, "d", "a reply to a reply follows its parent");
	T_INT(index_row_depth(ix, 3), 2, "at depth 2");
	index_row_tree(ix, 2, &tree);
	T_STR(tree.data, "\u251c\u2500>", "b has a later sibling: a branch");
	index_row_tree(ix, 3, &tree);
	T_STR(tree.data, "\u2502 \u2514\u2500>", "d under b: a line for b's sibling, then the end");
	index_row_tree(ix, 4, &tree);
	T_STR(tree.data, "\u2514\u2500>", "c is the last child");
	T_STR(index_row_from(ix, 2), "B\u00e9a", "sender display name decoded from RFC 2047");
	T_STR(index_row_from(ix, 4), "cid@x.test", "a bare address is shown as the address");
	T_STR(index_row_subject(ix, 1), "Pump broken", "root shows its subject");
	T_STR(index_row_subject(ix, 2), "", "a reply repeating the subject shows none");

	index_set_cursor(ix, 2);
	{
		struct store_row late = mkrow("f", 10, "<f@x>", NULL, "Very old", "F <f@x.test>");

		index_take_rows(ix, &late, 1);
	}
	index_rebuild(ix);
	T_STR(index_row(ix, index_cursor(ix))->key, "b", "cursor follows its message when rows arrive above");
	index_counts(ix, &c);
	T_INT(c.total, 6, "counts: total");
	T_INT(c.unread, 1, "counts: unread");

	{
		struct store_row again = mkrow("b", 200, "<b@x>", "<a@x>", "Re: Pump broken", "B <b@x.test>");

		again.flags = STORE_SEEN | STORE_FLAGGED;
		index_take_rows(ix, &again, 1);
	}
	index_rebuild(ix);
	T_INT(index_count(ix), 6, "a known key replaces its row instead of adding one");
	index_counts(ix, &c);
	T_INT(c.flagged, 1, "the replaced row's flags count");

	p = index_search(ix, index_cursor(ix), 1, "older, ALONE");
	T_OK(p != SIZE_MAX && strcmp(index_row(ix, p)->key, "e") == 0,
	     "search is case-insensitive and wraps around");
	T_INT(index_search(ix, 0, -1, "no such text"), SIZE_MAX, "search without a match");

	{
		char *gone[] = { "a", "zz" };

		index_remove_keys(ix, gone, 2);
	}
	index_rebuild(ix);
	T_INT(index_count(ix), 5, "removing a key (and an unknown one)");
	T_INT(index_find(ix, "a"), SIZE_MAX, "the removed key is gone");
	T_OK(index_find(ix, "d") != SIZE_MAX, "its replies stay");

	{
		char *keep[] = { "d", "e", "nosuch" };
		struct store_row again = mkrow("d", 400, "<d@x>", "<b@x>", "Re: Pump broken", "D <d@x.test>");

		index_set_limit(ix, keep, 3);
		index_rebuild(ix);
		T_INT(index_count(ix), 2, "a limit shows only its keys (an unknown key is ignored)");
		T_OK(index_limited(ix), "and says it is limited");
		again.flags = STORE_SEEN | STORE_FLAGGED;
		index_take_rows(ix, &again, 1);
		index_rebuild(ix);
		T_INT(index_count(ix), 2, "a flag change keeps a row inside the limit");
		index_set_limit(ix, NULL, 0);
		index_rebuild(ix);
		T_INT(index_count(ix), 5, "clearing the limit shows every row again");
	}

	index_set_sort(ix, INDEX_DATE_REVERSE);
	index_rebuild(ix);
	T_STR(index_row(ix, 0)->key, "d", "date-reverse: newest first");
	T_INT(index_row_depth(ix, 0), 0, "no depth when not threaded");

	/* Loops and self references must not hang or lose rows. */
	index_clear(ix);
	index_set_sort(ix, INDEX_THREADS);
	{
		struct store_row loop[3];

		loop[0] = mkrow("x", 1, "<x@l>", "<y@l>", "loop", NULL);
		loop[1] = mkrow("y", 2, "<y@l>", "<x@l>", "loop", NULL);
		loop[2] = mkrow("z", 3, "<z@l>", "<z@l>", "self", NULL);
		index_take_rows(ix, loop, 3);
	}
	index_rebuild(ix);
	T_INT(index_count(ix), 3, "reference loops keep every row");

	/* Hostile header values come out safe. */
	index_clear(ix);
	{
		struct store_row h = mkrow("h", 1, NULL, NULL, "Invoice \x1b]0;pwned\x07 \x1b[2J",
		                           "=?UTF-8?B?G10yO2V2aWwHIE1hbGxvcnk=?= <m@x.test>");

		index_take_rows(ix, &h, 1);
	}
	index_rebuild(ix);
	T_OK(strchr(index_row_subject(ix, 0), 0x1b) == NULL, "ESC in a subject never reaches the row");
	T_OK(strstr(index_row_subject(ix, 0), "^[") != NULL, "it is shown as ^[");
	T_OK(strchr(index_row_from(ix, 0), 0x1b) == NULL && strchr(index_row_from(ix, 0), 0x07) == NULL,
	     "ESC and BEL hidden in an encoded-word name are neutralised after decoding");
	buf_release(&tree);
	index_free(&ix);
	T_OK(ix == NULL, "index_free clears the pointer");
}

static void test_textview(void)
{
	struct textview *tv = textview_new();
	size_t line, off, len;

	T_INT(text_width("abc", 3), 3, "ASCII width");
	T_INT(text_width("\u65e5\u672c", 6), 4, "CJK characters are two columns");
	T_INT(text_width("e\u0301", 3), 1, "a combining accent takes no column");
	T_INT(text_width("\U0001F382", 4), 2, "emoji are two columns");
	{
		int used;
		size_t n = text_fit("\u65e5\u672c\u8a9e", 9, 5, &used);

		T_INT(n, 6, "text_fit never splits a wide character");
		T_INT(used, 4, "and reports the columns used");
	}
	{
		/* The gate in front of curses: what a caller forgot to make
		 * safe is made safe there, and widths stay what text_fit says. */
		static const struct {
			const char *in, *want, *what;
		} g[] = {
			{ "plain ASCII", "plain ASCII", "printable ASCII passes untouched" },
			{ "a\x1b]0;t\x07" "b", "a^[]0;t^Gb", "ESC and BEL never reach curses" },
			{ "x\xc2\x9b" "2J", "x<U+009B>2J", "a C1 CSI is shown" },
			{ "ab\tc", "ab      c", "TAB becomes spaces to the column text_fit counts" },
			{ "\xe6\x97\xa5\tz", "\xe6\x97\xa5      z", "TAB after a wide character" },
			{ "l1\nl2\r\n", "l1 l2 ", "LF never moves the cursor" },
			{ "\xcc\xb8" "bad", "\xe2\x97\x8c\xcc\xb8" "bad", "a leading mark gets its own base" },
			{ "e\xcc\x81", "e\xcc\x81", "a mark after its letter is kept" },
			{ "\xef\xbb\xbfHi", "\xef\xbb\xbfHi", "a BOM opening a line gets no base" },
			{ "r\xe2\x80\xaeo", "r<U+202E>o", "a bidi override is shown" },
			{ "cut\xe6\x97", "cut\xef\xbf\xbd\xef\xbf\xbd", "a UTF-8 sequence cut short is replaced" },
			{ "p\xe2\x80\xa8q", "p\nq", "U+2028 becomes a line break, then a space" },
		};
		for (size_t i = 0; i < ARRAY_SIZE(g); i++) {
			struct buf tmp = BUF_INIT;
			size_t n = strlen(g[i].in);
			const char *out = text_for_terminal(g[i].in, &n, &tmp);
			const char *want = strcmp(g[i].want, "p\nq") == 0 ? "p q" : g[i].want;

			T_OK(n == strlen(want) && memcmp(out, want, n) == 0, g[i].what);
			if (i == 0)
				T_OK(out == g[i].in, "and without a copy");
			buf_release(&tmp);
		}
	}
	textview_add_text(tv, "one two three four five six\n\nend", 33, RENDER_BODY);
	T_INT(textview_lines(tv), 3, "text split at LF");
	textview_layout(tv, 10);
	T_INT(textview_rows(tv), 6, "wrapped at spaces into 10 columns");
	textview_row(tv, 0, &line, &off, &len);
	T_INT(len, 8, "first row breaks after a space");
	textview_row(tv, 4, &line, &off, &len);
	T_INT(len, 0, "an empty line is one empty row");
	T_INT(textview_search(tv, 0, 1, "FIVE"), 2, "search finds the row of the match");
	T_INT(textview_search(tv, 5, -1, "one"), 0, "backward search");
	T_INT(textview_search(tv, 1, 1, "one"), SIZE_MAX, "forward search stops at the end");
	textview_scroll(tv, 100, 3);
	T_INT(textview_top(tv), 3, "scrolling stops at the last full page");
	textview_scroll(tv, -100, 3);
	T_INT(textview_top(tv), 0, "and at the top");

	textview_clear(tv);
	{
		/* A line of 5000 CJK characters: every row fits in 7 columns. */
		struct buf b = BUF_INIT;
		bool fits = true;

		for (int i = 0; i < 5000; i++)
			buf_adds(&b, "\u6f22");
		textview_add(tv, b.data, b.len, RENDER_BODY);
		textview_layout(tv, 7);
		for (size_t r = 0; r < textview_rows(tv); r++) {
			textview_row(tv, r, &line, &off, &len);
			if (text_width(b.data + off, len) > 7)
				fits = false;
		}
		T_INT(textview_rows(tv), 1667, "5000 wide characters, 3 to a 7-column row");
		T_OK(fits, "no row is wider than the screen");
		textview_layout(tv, 1);
		T_INT(textview_rows(tv), 5000, "a screen narrower than a character still progresses");
		buf_release(&b);
	}
	textview_free(&tv);
}

struct seen {
	size_t rows, batches;
	bool index_done;
	int index_status;
	bool fetched;
	size_t fetched_len;
};

static void drain(struct worker *w, struct seen *s, enum wk_kind until, unsigned gen)
{
	for (int spins = 0; spins < 3000; spins++) {
		struct wk_reply *r;
		bool done = false;

		while ((r = worker_take(w)) != NULL) {
			if (r->gen == gen) {
				if (r->kind == WK_ROWS) {
					s->rows += r->nrows;
					s->batches++;
				} else if (r->kind == WK_INDEX) {
					s->index_done = true;
					s->index_status = r->status;
				} else if (r->kind == WK_FETCH) {
					s->fetched = r->status == WARY_OK;
					s->fetched_len = r->data.len;
				}
				if (r->kind == until)
					done = true;
			}
			wk_reply_free(&r);
		}
		if (done)
			return;
		usleep(2000);
	}
}

static void test_worker(void)
{
	struct worker *w = NULL;
	char err[WARY_ERRLEN];
	char path[4096];
	struct seen s;
	size_t files = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/tests/demo/Maildir", TOP_SRCDIR);
	for (const char *sub = "cur"; sub; sub = strcmp(sub, "cur") == 0 ? "new" : NULL) {
		char d[4200];
		struct buf cmd = BUF_INIT;
		FILE *f;

		snprintf(d, sizeof(d), "%s/%s", path, sub);
		buf_addf(&cmd, "ls -1 '%s' | wc -l", d);
		f = popen(cmd.data, "r");
		if (f) {
			unsigned long n = 0;

			if (fscanf(f, "%lu", &n) == 1)
				files += n;
			pclose(f);
		}
		buf_release(&cmd);
	}
	rc = worker_new(NULL, &w, err, sizeof(err));
	T_INT(rc, WARY_OK, "worker starts");
	if (rc != WARY_OK)
		return;
	memset(&s, 0, sizeof(s));
	worker_send(w, WK_OPEN, 1, path, 0, 0);
	worker_send(w, WK_INDEX, 1, NULL, 0, 0);
	drain(w, &s, WK_INDEX, 1);
	T_OK(s.index_done && s.index_status == WARY_OK, "index of the demo completes");
	T_INT(s.rows, files, "every demo message arrives as a row");
	T_OK(s.batches >= 1, "in batches");

	/* A newer generation drops the old one's work; its replies carry it. */
	memset(&s, 0, sizeof(s));
	worker_send(w, WK_INDEX, 2, NULL, 0, 0);
	worker_send(w, WK_INDEX, 3, NULL, 0, 0);
	drain(w, &s, WK_INDEX, 3);
	T_INT(s.rows, files, "the newest generation gets every row");

	memset(&s, 0, sizeof(s));
	worker_send(w, WK_FETCH, 3, "no-such-key", 0, 0);
	drain(w, &s, WK_FETCH, 3);
	T_OK(!s.fetched, "fetching an unknown key is an error reply, not a crash");

	memset(&s, 0, sizeof(s));
	worker_send(w, WK_OPEN, 4, "/nonexistent/wary-test", 0, 0);
	worker_send(w, WK_INDEX, 4, NULL, 0, 0);
	drain(w, &s, WK_INDEX, 4);
	T_OK(s.index_done && s.index_status != WARY_OK, "a missing Maildir is a clear error");
	worker_free(&w);
	T_OK(w == NULL, "worker_free joins and clears");
}

static void test_secret_command(void)
{
	char buf[64], err[WARY_ERRLEN];

	/* The buffer starts dirty, as a heap buffer does: the secret must be
	 * terminated where its line ends, not where old bytes stop. */
	memset(buf, 'x', sizeof(buf));

	T_INT(worker_run_secret_command("printf 'hunter2\\nsecond line\\n'", buf, sizeof(buf), err,
	                                sizeof(err)), WARY_OK, "a secret command runs");
	T_STR(buf, "hunter2", "only its first line is the secret");
	T_INT(worker_run_secret_command("printf 'no newline'", buf, sizeof(buf), err, sizeof(err)),
	      WARY_OK, "a last line without a newline");
	T_STR(buf, "no newline", "is taken whole");
	T_OK(worker_run_secret_command("exit 3", buf, sizeof(buf), err, sizeof(err)) != WARY_OK,
	     "a failing command is an error");
	T_OK(strstr(err, "status 3") != NULL, "that names its exit status");
	T_OK(worker_run_secret_command("true", buf, sizeof(buf), err, sizeof(err)) != WARY_OK,
	     "a command that prints nothing is an error");
	T_OK(worker_run_secret_command("read x; echo got:$x", buf, sizeof(buf), err, sizeof(err)) == WARY_OK &&
	     strcmp(buf, "got:") == 0, "its stdin is /dev/null, so it cannot wait for the terminal");
	T_INT(worker_run_secret_command("head -c 5000 /dev/zero | tr '\\0' a", buf, sizeof(buf), err,
	                                sizeof(err)), WARY_OK, "a huge line does not overflow");
	T_INT(strlen(buf), sizeof(buf) - 1, "it is cut to the buffer");
}


/* ---- the thread order kept between runs ---- */

#define SAVED_N 400

/* SAVED_N rows: threads of replies (some to messages not in the folder),
 * equal dates (ties), a duplicate Message-ID, subject-only replies; in
 * arrival order `rev` reversed or not; row `changed` gets another
 * subject (SIZE_MAX: none). */
static void saved_rows(struct index *ix, bool rev, size_t changed)
{
	struct store_row rows[SAVED_N];

	for (size_t k = 0; k < SAVED_N; k++) {
		size_t i = rev ? SAVED_N - 1 - k : k;
		char key[16], id[32], irt[32], subj[48];

		snprintf(key, sizeof(key), "%zu", i + 1);
		snprintf(id, sizeof(id), "<m%zu@x>", i % 97 == 5 ? (size_t)5 : i);
		snprintf(irt, sizeof(irt), "<m%zu@x>", i % 3 == 0 ? i + 1000 : i / 3);
		snprintf(subj, sizeof(subj), "%sTopic %zu%s", i % 5 == 1 ? "Re: " : "", i % 40,
		         i == changed ? " (edited)" : "");
		rows[k] = mkrow(key, (time_t)(1000 + (i / 2) * 10), id, i % 4 == 0 ? NULL : irt, subj,
		                "a@x.test");
	}
	index_take_rows(ix, rows, SAVED_N);
}

/* The display order as text: "key/depth key/depth ...". */
static void order_text(struct index *ix, struct buf *out)
{
	buf_release(out);
	for (size_t p = 0; p < index_count(ix); p++)
		buf_addf(out, "%s/%d ", index_row(ix, p)->key, index_row_depth(ix, p));
}

/* A fresh index of the rows given the saved text: whether it was used
 * and the order it shows; *again (when not NULL) gets what the index
 * would keep afterwards (empty: nothing new). */
static bool try_saved_again(const char *text, size_t len, bool rev, size_t changed,
                            enum index_sort sort, struct buf *order, struct buf *again)
{
	struct index *ix = index_new();
	struct buf data = BUF_INIT, tmp = BUF_INIT;
	bool used;

	index_set_sort(ix, sort);
	saved_rows(ix, rev, changed);
	buf_add(&data, text, len);
	index_use_saved_threads(ix, &data);
	index_rebuild(ix);
	used = index_used_saved_threads(ix);
	if (!index_export_threads(ix, again ? again : &tmp) && again)
		buf_release(again);
	/* used and made afresh exclude each other */
	T_OK(!(used && !rev && (again ? again->len : tmp.len) > 0),
	     "an order used as saved (same arrival) is not kept again");
	order_text(ix, order);
	buf_release(&data);
	buf_release(&tmp);
	index_free(&ix);
	return used;
}

static bool try_saved(const char *text, size_t len, bool rev, size_t changed,
                      enum index_sort sort, struct buf *order)
{
	return try_saved_again(text, len, rev, changed, sort, order, NULL);
}

static void test_saved_threads(void)
{
	struct index *ix = index_new();
	struct buf saved = BUF_INIT, fresh = BUF_INIT, got = BUF_INIT, bad = BUF_INIT, x = BUF_INIT;
	char *nl;

	saved_rows(ix, false, SIZE_MAX);
	index_rebuild(ix);
	T_OK(index_export_threads(ix, &saved), "a fresh threading is exported");
	T_OK(!index_export_threads(ix, &x), "and only once");
	order_text(ix, &fresh);
	T_OK(strncmp(saved.data, "wary-threads 2 ", 15) == 0, "the text starts with its version");
	index_free(&ix);

	T_OK(try_saved(saved.data, saved.len, false, SIZE_MAX, INDEX_THREADS, &got),
	     "the same rows in the same order: the saved order is used");
	T_STR(got.data, fresh.data, "and it is the order threading gives");
	{
		struct buf again = BUF_INIT, got2 = BUF_INIT;

		T_OK(try_saved_again(saved.data, saved.len, true, SIZE_MAX, INDEX_THREADS, &got, &again),
		     "the same rows in another order: used, found by key");
		T_STR(got.data, fresh.data, "found by key: the saved order as it was saved");
		T_OK(again.len > 0, "found by key: kept again for the order the rows come in now");
		T_OK(try_saved(again.data, again.len, true, SIZE_MAX, INDEX_THREADS, &got2) &&
		             strcmp(got2.data, fresh.data) == 0,
		     "kept again: used by row number, the same order");
		buf_release(&again);
		buf_release(&got2);
	}
	T_OK(!try_saved(saved.data, saved.len, false, 7, INDEX_THREADS, &got),
	     "one row's subject changed: not used");
	T_OK(!try_saved(saved.data, saved.len, false, SIZE_MAX, INDEX_THREADS_REVERSE, &got),
	     "another sort: not used");

	/* Damage and hostile text: never used, the rows threaded as without it. */
	{
		static const char *const hostile[] = {
			"", "\n", "wary-threads 2\n", "garbage\n0 0 1\n",
			"wary-threads 1 2 0 0 400 0\n",
			"wary-threads 2 2 ffffffffffffffffff 0 400 0\n0 0 1\n",
		};

		for (size_t i = 0; i < ARRAY_SIZE(hostile); i++) {
			T_OK(!try_saved(hostile[i], strlen(hostile[i]), false, SIZE_MAX, INDEX_THREADS,
			                &got),
			     "a malformed header is not used");
			T_STR(got.data, fresh.data, "and the rows are threaded as usual");
		}
	}
	/* One byte of a line changed: the sum over the lines no longer fits. */
	buf_release(&bad);
	buf_add(&bad, saved.data, saved.len);
	nl = strchr(bad.data, '\n');
	nl[1] = nl[1] == '0' ? '1' : '0';
	T_OK(!try_saved(bad.data, bad.len, false, SIZE_MAX, INDEX_THREADS, &got),
	     "a damaged line: not used");
	T_STR(got.data, fresh.data, "a damaged line: threaded as usual");
	/* Cut short, and without its last newline. */
	T_OK(!try_saved(saved.data, saved.len / 2, false, SIZE_MAX, INDEX_THREADS, &got),
	     "cut in the middle: not used");
	T_OK(!try_saved(saved.data, saved.len - 1, false, SIZE_MAX, INDEX_THREADS, &got),
	     "without its last newline: not used");
	/* Lines that fit the sum but not the rows: a forged file with a
	 * correct header for bodies that repeat a row, jump two levels, name
	 * an unknown key or a row number out of range. */
	{
		const char *body_start = strchr(saved.data, '\n') + 1;
		unsigned sort;
		unsigned long long set, seq, sum;
		size_t n;

		T_OK(sscanf(saved.data, "wary-threads 2 %u %llx %llx %zu %llx", &sort, &set, &seq, &n,
		            &sum) == 5, "the header reads back");
		static const char *const forged[] = {
			"0 0 1\n0 0 1\n", "0 0 1\n2 1 2\n", "1 0 1\n", "0 0 nosuchkey\n", "0 999999 1\n",
			"0 0\n", "x 0 1\n", "0  1\n", "99999999999999999999 0 1\n",
		};
		for (size_t i = 0; i < ARRAY_SIZE(forged); i++) {
			struct buf f = BUF_INIT;
			struct buf body = BUF_INIT;
			/* the forged lines first, then the real ones: as many lines as rows */
			const char *rest = body_start;
			size_t lines = 0;

			buf_addf(&body, "%s", forged[i]);
			for (const char *c = forged[i]; *c; c++)
				lines += *c == '\n';
			for (size_t skip = 0; skip < lines; skip++)
				rest = strchr(rest, '\n') + 1;
			buf_add(&body, rest, (size_t)(saved.data + saved.len - rest));
			buf_addf(&f, "wary-threads 2 %u %016llx %016llx %zu %016llx\n", sort, set, seq, n,
			         (unsigned long long)index_saved_sum(body.data, body.len));
			buf_add(&f, body.data, body.len);
			T_OK(!try_saved(f.data, f.len, false, SIZE_MAX, INDEX_THREADS, &got),
			     "a forged body that does not fit the rows: not used");
			T_STR(got.data, fresh.data, "a forged body: threaded as usual");
			buf_release(&f);
			buf_release(&body);
		}
	}
	buf_release(&saved);
	buf_release(&fresh);
	buf_release(&got);
	buf_release(&bad);
	buf_release(&x);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	test_index();
	test_saved_threads();
	test_textview();
	test_worker();
	test_secret_command();
	return t_done();
}
