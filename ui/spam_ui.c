/* The spam filter in the interactive client (see spam_ui.h). */
#include <errno.h>
#include <sys/stat.h>

#include "mail/mail.h"
#include "spam/spam.h"
#include "ui/spam_ui.h"

/* key -> what the filter said, for the index column */
struct mark {
	char *key;
	char cls; /* 'S', '?', 'h' */
};

struct spam_ui {
	/* UI thread */
	struct mark *marks;
	size_t nmarks, cap;       /* open addressing, cap a power of two */
	/* The keys present when the index was complete, as sorted 64-bit
	 * hashes: 800 KB and one sort of integers for 100k rows, where copies
	 * of the keys cost 100k allocations and a sort of strings.  A new key
	 * whose hash meets an old one's (odds 2^-64 a pair) is not classified
	 * on arrival, no more. */
	uint64_t *known;
	size_t nknown;
	bool have_known;
	char *line_key;           /* the message the score line is about */
	char line[400];
	/* worker thread only */
	struct spam_db *db;
	bool db_tried;
	struct inspect *in;       /* the score of an unsure arrival */
};

static size_t hash_str(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct mark *mark_slot(struct spam_ui *u, const char *key, bool add)
{
	size_t j;

	if (add && (u->nmarks + 1) * 2 > u->cap) {
		size_t ncap = u->cap ? u->cap * 2 : 256;
		struct mark *nm = xcalloc(ncap, sizeof(*nm));

		for (size_t i = 0; i < u->cap; i++) {
			if (u->marks[i].key == NULL)
				continue;
			j = hash_str(u->marks[i].key) & (ncap - 1);
			while (nm[j].key)
				j = (j + 1) & (ncap - 1);
			nm[j] = u->marks[i];
		}
		free(u->marks);
		u->marks = nm;
		u->cap = ncap;
	}
	if (u->cap == 0)
		return NULL;
	j = hash_str(key) & (u->cap - 1);
	while (u->marks[j].key && strcmp(u->marks[j].key, key) != 0)
		j = (j + 1) & (u->cap - 1);
	if (u->marks[j].key == NULL) {
		if (!add)
			return NULL;
		u->marks[j].key = xstrdup(key);
		u->nmarks++;
	}
	return &u->marks[j];
}

static void set_mark(struct spam_ui *u, const char *key, char cls)
{
	struct mark *m = mark_slot(u, key, true);

	m->cls = cls;
}

char spam_ui_mark(const struct app *a, const char *key)
{
	struct mark *m;

	if (a->spam == NULL || key == NULL)
		return ' ';
	m = mark_slot(a->spam, key, false);
	if (m == NULL || m->cls == 'h')
		return ' ';
	return m->cls;
}

/* ---- on the worker's thread ---------------------------------------- */

static struct spam_db *worker_db(struct spam_ui *u, char *err, size_t errlen)
{
	if (!u->db_tried) {
		char *path = spam_db_default_path();

		u->db_tried = true;
		if (path == NULL)
			err_set(err, errlen, WARY_ENOENT, "no place for the token store (XDG_DATA_HOME)");
		else if (spam_db_open(path, &u->db, err, errlen) != WARY_OK)
			u->db = NULL;
		free(path);
	} else if (u->db == NULL) {
		err_set(err, errlen, WARY_ENOENT, "the token store could not be opened");
	}
	return u->db;
}

static bool same_folder(const char *a, const char *b)
{
	while (*a == '.')
		a++;
	while (*b == '.')
		b++;
	return str_casecmp(a, b) == 0;
}

/* The account's Junk folder: the one the store marks as junk, else a
 * Junk Maildir made beside the inbox (a Maildir account), else "Junk". */
static char *junk_folder(struct store *s, bool *is_current)
{
	struct store_folder *f = NULL;
	size_t n = 0;
	char err[WARY_ERRLEN];
	char *junk = NULL;
	const char *cur = store_current(s);

	if (store_list_folders(s, &f, &n, err, sizeof(err)) == WARY_OK)
		for (size_t i = 0; i < n && junk == NULL; i++)
			if (f[i].special && strcmp(f[i].special, "junk") == 0)
				junk = xstrdup(f[i].id);
	store_folders_free(&f, n);
	if (junk == NULL && strcmp(store_kind(s), "maildir") == 0) {
		const char *loc = store_location(s);
		char *cur_dir = xasprintf("%s/cur", loc);
		struct stat st;
		/* Maildir++ keeps folders as dot-directories inside the inbox;
		 * a folder of Maildirs keeps them side by side. */
		char *base = stat(cur_dir, &st) == 0 ? xasprintf("%s/.Junk", loc)
		                                     : xasprintf("%s/Junk", loc);
		static const char *const subs[] = { "cur", "new", "tmp" };
		bool ok = true;

		for (size_t i = 0; i < ARRAY_SIZE(subs) && ok; i++) {
			char *d = xasprintf("%s/%s", base, subs[i]);

			ok = fs_mkdir_p(d, 0700, err, sizeof(err)) == WARY_OK;
			free(d);
		}
		free(cur_dir);
		free(base);
		if (ok)
			junk = xstrdup("Junk");
	}
	if (junk == NULL)
		junk = xstrdup("Junk");
	*is_current = cur && same_folder(cur, junk);
	return junk;
}

static const char *result_name(enum spam_train_result r)
{
	switch (r) {
	case SPAM_ALREADY: return "already trained";
	case SPAM_RETRAINED: return "retrained";
	default: return "trained";
	}
}

/* "m\tKEY": train, then move. */
static int serve_mark(struct spam_ui *u, struct store *s, const char *key, bool is_spam,
                      struct buf *out, char *err, size_t errlen)
{
	struct buf data = BUF_INIT;
	struct spam_db *db = worker_db(u, err, errlen);
	enum spam_train_result res = SPAM_TRAINED;
	bool in_junk = false;
	char *junk = NULL;
	int rc;

	if (db == NULL)
		return WARY_ERR;
	buf_init(&data);
	rc = store_fetch(s, key, &data, err, errlen);
	if (rc == WARY_OK)
		rc = spam_db_train(db, data.data, data.len, is_spam, &res, err, errlen);
	if (rc != WARY_OK)
		goto out;
	junk = junk_folder(s, &in_junk);
	buf_adds(out, result_name(res));
	buf_addch(out, '\t');
	if (is_spam && !in_junk) {
		rc = store_move(s, key, junk, err, errlen);
		if (rc == WARY_OK)
			buf_adds(out, junk);
	} else if (!is_spam && in_junk) {
		rc = store_move(s, key, "INBOX", err, errlen);
		if (rc == WARY_OK)
			buf_adds(out, "INBOX");
	}
out:
	free(junk);
	buf_release(&data);
	return rc;
}

/* As `wary spam classify`: an unsure verdict is decided by the hybrid
 * score of what the message itself shows (no DNS). */
static enum spam_class unsure_by_score(struct spam_ui *u, const struct mail_msg *m, double prob)
{
	struct spam_score sc;
	char err[WARY_ERRLEN];

	if (u->in == NULL && inspect_new(&u->in, err, sizeof(err)) != WARY_OK)
		return SPAM_UNSURE;
	if (inspect_spam_score(u->in, m, prob, &sc, err, sizeof(err)) != WARY_OK)
		return SPAM_UNSURE;
	return spam_score_is_spam(&sc) ? SPAM_SPAM : SPAM_UNSURE;
}

/* "s\tKEY\nKEY...": classify new mail; set: move spam to Junk. */
static int serve_scan(struct spam_ui *u, struct store *s, const char *keys, bool move,
                      struct buf *out, char *err, size_t errlen)
{
	struct spam_db *db = worker_db(u, err, errlen);
	struct spam_stats st;
	struct buf data = BUF_INIT;
	char *junk = NULL;
	bool in_junk = false;
	const char *p = keys;

	if (db == NULL || spam_db_stats(db, &st, err, errlen) != WARY_OK)
		return WARY_ERR;
	/* an untrained filter says nothing */
	if (st.nspam == 0 || st.nham == 0)
		return WARY_OK;
	buf_init(&data);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t kl = nl ? (size_t)(nl - p) : strlen(p);
		char *key = xstrndup(p, kl);
		struct mail_msg *m = NULL;
		struct spam_result r;
		char e2[WARY_ERRLEN];

		p += kl + (nl != NULL);
		buf_reset(&data);
		if (store_fetch(s, key, &data, e2, sizeof(e2)) == WARY_OK &&
		    mail_parse(data.data, data.len, &m, e2, sizeof(e2)) == WARY_OK &&
		    spam_db_classify(db, m, 0, &r, e2, sizeof(e2)) == WARY_OK) {
			bool moved = false;

			if (r.cls == SPAM_UNSURE)
				r.cls = unsure_by_score(u, m, r.prob);
			if (r.cls == SPAM_SPAM && move) {
				if (junk == NULL)
					junk = junk_folder(s, &in_junk);
				if (!in_junk && store_move(s, key, junk, e2, sizeof(e2)) == WARY_OK)
					moved = true;
			}
			buf_addf(out, "%s\t%c\t%.4f\t%d\n", key,
			         r.cls == SPAM_SPAM ? 'S' : r.cls == SPAM_UNSURE ? '?' : 'h', r.prob,
			         moved ? 1 : 0);
			spam_result_clear(&r);
		}
		mail_free(&m);
		free(key);
	}
	free(junk);
	buf_release(&data);
	return WARY_OK;
}

/* "f\tKEY\nKEY...": train them all, one transaction, with progress. */
static int serve_folder(struct spam_ui *u, struct store *s, const char *keys, bool is_spam,
                        void (*progress)(void *, size_t, size_t), void *pctx, struct buf *out,
                        char *err, size_t errlen)
{
	struct spam_db *db = worker_db(u, err, errlen);
	struct buf data = BUF_INIT;
	size_t total = 0, done = 0, counts[5] = { 0 }, failed = 0;
	const char *p;
	int rc;

	if (db == NULL)
		return WARY_ERR;
	for (p = keys; *p; p++)
		total += *p == '\n';
	if (p > keys && p[-1] != '\n')
		total++;
	if ((rc = spam_db_begin(db, err, errlen)) != WARY_OK)
		return rc;
	buf_init(&data);
	for (p = keys; *p;) {
		const char *nl = strchr(p, '\n');
		size_t kl = nl ? (size_t)(nl - p) : strlen(p);
		char *key = xstrndup(p, kl);
		enum spam_train_result r = SPAM_TRAINED;
		char e2[WARY_ERRLEN];

		p += kl + (nl != NULL);
		buf_reset(&data);
		if (store_fetch(s, key, &data, e2, sizeof(e2)) == WARY_OK &&
		    spam_db_train(db, data.data, data.len, is_spam, &r, e2, sizeof(e2)) == WARY_OK)
			counts[r]++;
		else
			failed++;
		free(key);
		done++;
		if (progress && (done % 25 == 0 || done == total))
			progress(pctx, done, total);
	}
	buf_release(&data);
	rc = spam_db_commit(db, err, errlen);
	if (rc == WARY_OK) {
		buf_addf(out, "%zu trained as %s, %zu already, %zu retrained", counts[SPAM_TRAINED],
		         is_spam ? "spam" : "ham", counts[SPAM_ALREADY], counts[SPAM_RETRAINED]);
		if (failed)
			buf_addf(out, ", %zu could not be read", failed);
	}
	return rc;
}

static int spam_serve(void *ctx, struct store *s, const char *arg, unsigned set,
                      void (*progress)(void *, size_t, size_t), void *pctx, struct buf *out,
                      char *err, size_t errlen)
{
	struct spam_ui *u = ctx;

	if (s == NULL || arg == NULL || arg[0] == '\0' || arg[1] != '\t')
		return err_set(err, errlen, WARY_ERR, "bad spam request");
	switch (arg[0]) {
	case 'm': return serve_mark(u, s, arg + 2, set != 0, out, err, errlen);
	case 's': return serve_scan(u, s, arg + 2, set != 0, out, err, errlen);
	case 'f': return serve_folder(u, s, arg + 2, set != 0, progress, pctx, out, err, errlen);
	default: return err_set(err, errlen, WARY_ERR, "bad spam request");
	}
}

/* ---- on the UI thread ---------------------------------------------- */

void spam_ui_start(struct app *a)
{
	a->spam = xcalloc(1, sizeof(*a->spam));
	worker_set_spam(a->wk, spam_serve, a->spam);
}

static void known_clear(struct spam_ui *u)
{
	free(u->known);
	u->known = NULL;
	u->nknown = 0;
	u->have_known = false;
}

void spam_ui_free(struct app *a)
{
	struct spam_ui *u = a->spam;

	if (u == NULL)
		return;
	for (size_t i = 0; i < u->cap; i++)
		free(u->marks[i].key);
	free(u->marks);
	known_clear(u);
	free(u->line_key);
	spam_db_free(&u->db);
	inspect_free(&u->in);
	free(u);
	a->spam = NULL;
}

static const char *current_key(const struct app *a)
{
	const struct store_row *row;

	if (a->view == V_PAGER && a->msg_key)
		return a->msg_key;
	if (a->view != V_INDEX)
		return NULL;
	row = index_row(a->ix, index_cursor(a->ix));
	return row ? row->key : NULL;
}

static bool spam_action_move(const struct app *a)
{
	const char *v = a->wa ? config_account_get(a->cfg, a->wa->acct.name, "spam_action")
	                      : config_get(a->cfg, "spam_action");

	return v && strcmp(v, "move") == 0;
}

void spam_ui_func(struct app *a, enum km_func f)
{
	if (a->spam == NULL)
		return;
	if (f == KF_MARK_SPAM || f == KF_MARK_HAM) {
		const char *key = current_key(a);
		char *arg;

		if (key == NULL) {
			app_say(a, true, "No message selected.");
			return;
		}
		arg = xasprintf("m\t%s", key);
		worker_send(a->wk, WK_SPAM, a->gen, arg, f == KF_MARK_SPAM, 0);
		free(arg);
		app_say(a, false, "Training as %s...", f == KF_MARK_SPAM ? "spam" : "not spam");
		return;
	}
	{
		/* the whole folder, as shown (a limit in force narrows it) */
		struct buf keys = BUF_INIT;
		size_t n = index_count(a->ix);

		buf_init(&keys);
		buf_adds(&keys, "f\t");
		for (size_t i = 0; i < n; i++) {
			const struct store_row *row = index_row(a->ix, i);

			if (row) {
				buf_adds(&keys, row->key);
				buf_addch(&keys, '\n');
			}
		}
		if (n == 0) {
			app_say(a, true, "No messages to train.");
		} else {
			worker_send(a->wk, WK_SPAM, a->gen, keys.data, f == KF_TRAIN_FOLDER_SPAM, 0);
			app_say(a, false, "Training %zu messages as %s: 0/%zu", n,
			        f == KF_TRAIN_FOLDER_SPAM ? "spam" : "ham", n);
		}
		buf_release(&keys);
	}
}

bool spam_ui_reply(struct app *a, struct wk_reply *r)
{
	struct spam_ui *u = a->spam;
	const char *arg = r->arg ? r->arg : "";

	if (u == NULL)
		return false;
	if (r->kind == WK_SPAM_PROGRESS) {
		app_say(a, false, "Training the folder as %s: %zu/%zu", r->set ? "spam" : "ham", r->done,
		        r->total);
		return false;
	}
	if (r->status != WARY_OK) {
		if (arg[0] != 's') /* a scan that fails is not worth a message */
			app_say(a, true, "Spam filter: %s", r->err);
		return false;
	}
	if (arg[0] == 'm') {
		const char *key = arg + 2, *tab = strchr(r->data.data, '\t');
		const char *moved = tab ? tab + 1 : "";
		bool is_spam = r->set != 0;

		set_mark(u, key, is_spam ? 'S' : 'h');
		if (*moved) {
			char *k = xstrdup(key);

			index_remove_keys(a->ix, &k, 1);
			free(k);
			if (a->view == V_PAGER && a->msg_key && strcmp(a->msg_key, key) == 0)
				a->view = V_INDEX;
			app_say(a, false, "Marked as %s (%.*s), moved to %s.", is_spam ? "spam" : "not spam",
			        tab ? (int)(tab - r->data.data) : 0, r->data.data, moved);
			return true;
		}
		app_say(a, false, "Marked as %s (%.*s).", is_spam ? "spam" : "not spam",
		        tab ? (int)(tab - r->data.data) : 0, r->data.data);
		return false;
	}
	if (arg[0] == 'f') {
		app_say(a, false, "Done: %s.", r->data.data);
		return false;
	}
	if (arg[0] == 's') {
		/* lines "KEY\tC\tPROB\tMOVED" */
		const char *p = r->data.data;
		size_t spam = 0, moved = 0;
		char **gone = NULL;
		size_t ngone = 0;

		while (*p) {
			const char *nl = strchr(p, '\n'), *t1 = strchr(p, '\t');
			size_t ll = nl ? (size_t)(nl - p) : strlen(p);

			if (t1 && (size_t)(t1 - p) < ll && t1[1]) {
				char *key = xstrndup(p, (size_t)(t1 - p));

				set_mark(u, key, t1[1]);
				if (t1[1] == 'S')
					spam++;
				if (ll >= 2 && p[ll - 1] == '1' && p[ll - 2] == '\t') {
					gone = xreallocarray(gone, ngone + 1, sizeof(*gone));
					gone[ngone++] = key;
					moved++;
				} else {
					free(key);
				}
			}
			p += ll + (nl != NULL);
		}
		if (ngone)
			index_remove_keys(a->ix, gone, ngone);
		for (size_t i = 0; i < ngone; i++)
			free(gone[i]);
		free(gone);
		if (spam)
			app_say(a, false, "%zu new message%s classified spam%s.", spam, spam == 1 ? "" : "s",
			        moved ? ", moved to Junk" : " (marked S)");
		return ngone > 0;
	}
	return false;
}

static uint64_t key_hash(const char *key)
{
	return str_hash64(key, strlen(key), 0);
}

static int cmp_hash(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

void spam_ui_index_loaded(struct app *a)
{
	struct spam_ui *u = a->spam;
	size_t n;

	if (u == NULL)
		return;
	known_clear(u);
	n = index_count(a->ix);
	u->known = xreallocarray(NULL, n ? n : 1, sizeof(*u->known));
	for (size_t i = 0; i < n; i++) {
		const struct store_row *row = index_row(a->ix, i);

		if (row)
			u->known[u->nknown++] = key_hash(row->key);
	}
	if (u->nknown > 0)
		qsort(u->known, u->nknown, sizeof(*u->known), cmp_hash);
	u->have_known = true;
}

void spam_ui_check_done(struct app *a)
{
	struct spam_ui *u = a->spam;
	struct buf keys = BUF_INIT;
	size_t n, fresh = 0;

	if (u == NULL || !u->have_known)
		return;
	buf_init(&keys);
	buf_adds(&keys, "s\t");
	n = index_count(a->ix);
	for (size_t i = 0; i < n; i++) {
		const struct store_row *row = index_row(a->ix, i);
		uint64_t k;

		if (row == NULL)
			continue;
		k = key_hash(row->key);
		if (u->nknown > 0 && bsearch(&k, u->known, u->nknown, sizeof(*u->known), cmp_hash))
			continue;
		/* arrived since: classify once, unread mail only */
		if (!(row->flags & STORE_SEEN)) {
			buf_adds(&keys, row->key);
			buf_addch(&keys, '\n');
			fresh++;
		}
	}
	if (fresh) {
		worker_send(a->wk, WK_SPAM, a->gen, keys.data, spam_action_move(a), 0);
		spam_ui_index_loaded(a); /* they are known now */
	}
	buf_release(&keys);
}

void spam_ui_message(struct app *a)
{
	struct spam_ui *u = a->spam;
	struct mail_msg *m = NULL;
	struct buf line = BUF_INIT;
	char err[WARY_ERRLEN];

	if (u == NULL || a->msg_key == NULL || !a->msg_loaded)
		return;
	if (u->line_key && strcmp(u->line_key, a->msg_key) == 0)
		return;
	free(u->line_key);
	u->line_key = xstrdup(a->msg_key);
	u->line[0] = '\0';
	if (a->insp == NULL && inspect_new(&a->insp, err, sizeof(err)) != WARY_OK) {
		a->insp = NULL;
		return;
	}
	buf_init(&line);
	if (mail_parse(a->msg_bytes.data, a->msg_bytes.len, &m, err, sizeof(err)) == WARY_OK &&
	    inspect_spam_line(a->insp, m, &line, err, sizeof(err)) == WARY_OK) {
		char *safe = safe_str(line.data, SAFE_LINE);

		str_copy(u->line, safe, sizeof(u->line));
		free(safe);
	}
	mail_free(&m);
	buf_release(&line);
}

void spam_ui_title(const struct app *a, char *title, size_t size)
{
	const struct spam_ui *u = a->spam;
	size_t len = strlen(title);

	if (u == NULL || u->line[0] == '\0' || u->line_key == NULL || a->msg_key == NULL ||
	    strcmp(u->line_key, a->msg_key) != 0 || len + 5 >= size)
		return;
	snprintf(title + len, size - len, " -- %s", u->line);
}
