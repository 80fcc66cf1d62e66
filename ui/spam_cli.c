/* `wary spam ...`: the command-line face of the spam filter.
 *
 *   train --spam|--ham FILE|MAILDIR...   (both may appear; one transaction)
 *   untrain FILE|MAILDIR...
 *   classify [--explain] FILE|MAILDIR...  exit 0 spam, 1 ham, 2 unsure, 3 error
 *   stats [TOKEN...]
 *   prune [--days N] [--max-count N]
 *   rules                                 the hybrid score's table
 *   cv --spam DIR --ham DIR [--folds K]   cross-validation, for the parameters
 *      [--toe] [--exhaust N] [--heldout-retrain]  training regimes, measured
 *
 * --db PATH picks the token store (default $WARY_SPAM_DB, else
 * $XDG_DATA_HOME/wary/spam.db); --set NAME=VALUE changes a classifier
 * parameter for this run (s, x, min_dev, max_tokens, ham_cutoff,
 * spam_cutoff, bigrams). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "inspect/inspect.h"
#include "mail/mail.h"
#include "spam/spam.h"
#include "ui/spam_cli.h"

struct paths {
	char **v;
	size_t n, cap;
};

static void paths_add(struct paths *p, char *s)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
	}
	p->v[p->n++] = s;
}

static void paths_free(struct paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void complain(const char *what, const char *err)
{
	char *s = safe_str(err, SAFE_LINE), *w = safe_str(what, SAFE_LINE);

	fprintf(stderr, "wary spam: %s: %s\n", w, s);
	free(s);
	free(w);
}

/* Regular files of one directory, sorted. */
static void add_dir_files(struct paths *out, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = out->n;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *p;
		struct stat sb;

		if (e->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
			paths_add(out, p);
		else
			free(p);
	}
	closedir(d);
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof(*out->v), cmp_str);
}

/* A file, a Maildir (cur/ and new/), or a directory of message files. */
static int expand(struct paths *out, const char *arg)
{
	struct stat sb;

	if (strcmp(arg, "-") == 0) {
		paths_add(out, xstrdup(arg));
		return 0;
	}
	if (stat(arg, &sb) != 0) {
		complain(arg, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		paths_add(out, xstrdup(arg));
		return 0;
	}
	{
		char *cur = xasprintf("%s/cur", arg), *nw = xasprintf("%s/new", arg);
		struct stat c1, c2;
		bool md = stat(cur, &c1) == 0 && S_ISDIR(c1.st_mode);

		md = md || (stat(nw, &c2) == 0 && S_ISDIR(c2.st_mode));
		if (md) {
			add_dir_files(out, cur);
			add_dir_files(out, nw);
		} else {
			add_dir_files(out, arg);
		}
		free(cur);
		free(nw);
	}
	return 0;
}

static int read_msg(const char *path, struct buf *out, char *err, size_t errlen)
{
	buf_reset(out);
	if (strcmp(path, "-") == 0) {
		char chunk[65536];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
			if (out->len + n > MAIL_MAX_SIZE)
				return err_set(err, errlen, WARY_ELIMIT, "message over %u bytes",
				               MAIL_MAX_SIZE);
			buf_add(out, chunk, n);
		}
		return ferror(stdin) ? err_set(err, errlen, WARY_EIO, "read error") : WARY_OK;
	}
	return fs_read_file(path, out, MAIL_MAX_SIZE, err, errlen);
}

static int set_param(struct spam_params *p, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char name[32];
	double v;
	char *end;

	if (eq == NULL || (size_t)(eq - kv) >= sizeof(name))
		return -1;
	memcpy(name, kv, (size_t)(eq - kv));
	name[eq - kv] = '\0';
	errno = 0;
	v = strtod(eq + 1, &end);
	if (errno || *end || end == eq + 1)
		return -1;
	if (strcmp(name, "s") == 0 && v > 0)
		p->s = v;
	else if (strcmp(name, "s_once") == 0 && v >= 0)
		p->s_once = v;
	else if (strcmp(name, "x") == 0 && v > 0 && v < 1)
		p->x = v;
	else if (strcmp(name, "min_dev") == 0 && v >= 0 && v < 0.5)
		p->min_dev = v;
	else if (strcmp(name, "max_tokens") == 0 && v >= 0)
		p->max_tokens = (size_t)v;
	else if (strcmp(name, "ham_cutoff") == 0 && v >= 0 && v <= 1)
		p->ham_cutoff = v;
	else if (strcmp(name, "spam_cutoff") == 0 && v >= 0 && v <= 1)
		p->spam_cutoff = v;
	else if (strcmp(name, "esf") == 0 && v > 0 && v <= 1)
		p->esf = v;
	else if (strcmp(name, "bigrams") == 0)
		p->bigrams = v != 0;
	else
		return -1;
	return 0;
}

struct common {
	const char *db;
	struct spam_params params;
	bool quiet, explain;
};

/* Options shared by every subcommand; the rest stays in argv (compacted). */
static int common_opts(int *argc, char **argv, struct common *c)
{
	int k = 0;

	spam_params_default(&c->params);
	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < *argc) {
			c->db = argv[++i];
		} else if (strcmp(argv[i], "--set") == 0 && i + 1 < *argc) {
			if (set_param(&c->params, argv[++i]) != 0) {
				complain("--set", "unknown parameter or bad value (s, x, min_dev, max_tokens, "
				                  "ham_cutoff, spam_cutoff, bigrams)");
				return -1;
			}
		} else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
			c->quiet = true;
		} else if (strcmp(argv[i], "--explain") == 0) {
			c->explain = true;
		} else {
			argv[k++] = argv[i];
		}
	}
	*argc = k;
	return 0;
}

static int open_db(const struct common *c, struct spam_db **db)
{
	char err[WARY_ERRLEN];
	char *def = c->db ? NULL : spam_db_default_path();
	const char *path = c->db ? c->db : def;
	int rc;

	if (path == NULL) {
		complain("token store", "no path (set WARY_SPAM_DB or XDG_DATA_HOME, or use --db)");
		return -1;
	}
	rc = spam_db_open(path, db, err, sizeof(err));
	free(def);
	if (rc != WARY_OK) {
		complain("token store", err);
		return -1;
	}
	spam_db_set_params(*db, &c->params);
	return 0;
}

/* Progress on stderr for big sets: at most about twice a second. */
struct progress {
	const char *what;
	size_t total;
	bool on;
	struct timespec last;
};

static void progress_tick(struct progress *p, size_t done)
{
	struct timespec now;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < p->total && (now.tv_sec - p->last.tv_sec) * 1000 +
	                               (now.tv_nsec - p->last.tv_nsec) / 1000000 < 500)
		return;
	p->last = now;
	fprintf(stderr, "\r%s %zu/%zu", p->what, done, p->total);
	if (done >= p->total)
		fputc('\n', stderr);
	fflush(stderr);
}

/*
 * An unsure Bayes verdict is decided by the hybrid score of what the
 * message itself shows (render's deceptive links, remote references and
 * hidden text, the attachments, the From, a hashcash stamp; no DNS): at
 * the required score it is spam (tests/bench/spam/README: measured on
 * the training split).  Only unsure messages are rendered, so the cost is
 * theirs.  *in is the caller's context (one a thread), made when first
 * needed; score_out (may be NULL) gets the line for --explain.
 */
static enum spam_class decide_unsure(struct inspect **in, const struct mail_msg *m, double prob,
                                     struct buf *score_out)
{
	struct spam_score sc;
	char err[WARY_ERRLEN];
	enum spam_class cls = SPAM_UNSURE;

	if (*in == NULL && inspect_new(in, err, sizeof(err)) != WARY_OK)
		return cls;
	if (inspect_spam_score(*in, m, prob, &sc, err, sizeof(err)) == WARY_OK) {
		if (spam_score_is_spam(&sc))
			cls = SPAM_SPAM;
		if (score_out)
			spam_score_format(&sc, score_out);
	}
	return cls;
}

static enum spam_class decide_unsure_raw(struct inspect **in, const struct buf *raw, double prob,
                                         struct buf *score_out)
{
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];
	enum spam_class cls = SPAM_UNSURE;

	if (mail_parse(raw->data, raw->len, &m, err, sizeof(err)) == WARY_OK)
		cls = decide_unsure(in, m, prob, score_out);
	mail_free(&m);
	return cls;
}

/* Classifying many files: parse and tokenize on every core, look up and
 * print in order on this thread. */
struct job {
	const char **paths;
	size_t n;
	size_t next; /* guarded by mu */
	pthread_mutex_t mu;
	bool bigrams, keep_text;
	struct spam_db *db;
	size_t nclues;
	bool table_known;  /* the main thread has read the table, or will not */
	bool parallel;     /* it is in memory: the threads classify too */
	struct slot {
		struct spam_toks *toks;
		int rc;
		char err[WARY_ERRLEN];
		bool ready;
		bool classified;
		struct spam_result res;
		struct buf raw;      /* kept for training, or an unsure one (keep_raw) */
		bool decided;        /* an unsure one decided by the score here */
		enum spam_class cls;
		struct buf score;    /* its line, for --explain */
	} *slots;
	bool keep_raw;
	bool decide;       /* classify: an unsure verdict goes to the score */
	pthread_cond_t cv;
	size_t window;   /* slots ahead of the consumer */
	size_t consumed; /* guarded by mu */
};

static void *worker(void *arg)
{
	struct job *j = arg;
	struct buf data = BUF_INIT;
	struct spam_tok_opts o = { j->bigrams, j->keep_text };
	struct inspect *in = NULL;

	buf_init(&data);
	for (;;) {
		size_t i;
		struct slot *s;
		struct mail_msg *m = NULL;
		int rc;

		pthread_mutex_lock(&j->mu);
		while (j->next < j->n && j->next >= j->consumed + j->window)
			pthread_cond_wait(&j->cv, &j->mu);
		if (j->next >= j->n) {
			pthread_mutex_unlock(&j->mu);
			break;
		}
		i = j->next++;
		pthread_mutex_unlock(&j->mu);
		s = &j->slots[i % j->window];
		{
			struct buf *b = j->keep_raw ? &s->raw : &data;

			rc = read_msg(j->paths[i], b, s->err, sizeof(s->err));
			if (rc == WARY_OK)
				rc = mail_parse(b->data, b->len, &m, s->err, sizeof(s->err));
		}
		if (rc == WARY_OK)
			rc = spam_tokenize(m, &o, s->toks, s->err, sizeof(s->err));
		{
			bool par;

			pthread_mutex_lock(&j->mu);
			while (!j->table_known)
				pthread_cond_wait(&j->cv, &j->mu);
			par = j->parallel;
			pthread_mutex_unlock(&j->mu);
			/* the table in memory is only read: every thread may ask it */
			if (par && rc == WARY_OK)
				rc = spam_db_classify_toks(j->db, s->toks, j->nclues, &s->res, s->err,
				                           sizeof(s->err));
			s->classified = par && rc == WARY_OK;
			s->decided = false;
			if (s->classified && j->decide && s->res.cls == SPAM_UNSURE) {
				buf_reset(&s->score);
				s->cls = decide_unsure(&in, m, s->res.prob, j->nclues ? &s->score : NULL);
				s->decided = true;
			}
		}
		mail_free(&m);
		pthread_mutex_lock(&j->mu);
		s->rc = rc;
		s->ready = true;
		pthread_cond_broadcast(&j->cv);
		pthread_mutex_unlock(&j->mu);
	}
	buf_release(&data);
	inspect_free(&in);
	return NULL;
}

static int nthreads(size_t n)
{
	long cpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *env = getenv("WARY_SPAM_THREADS");

	if (env && atoi(env) > 0)
		cpu = atoi(env);
	if (cpu < 1)
		cpu = 1;
	if (cpu > 8)
		cpu = 8;
	if ((size_t)cpu > n)
		cpu = (long)n;
	return (int)cpu;
}

static int cmd_train(int argc, char **argv, bool untrain)
{
	struct common c = { 0 };
	struct paths ps = { 0 }, spam = { 0 };
	struct spam_db *db = NULL;
	struct buf data = BUF_INIT;
	char err[WARY_ERRLEN];
	int status = 0;
	int mode = untrain ? 2 : -1; /* -1 none yet, 0 ham, 1 spam, 2 untrain */
	bool *is_spam = NULL;
	size_t counts[5] = { 0 };
	struct progress pr = { untrain ? "untrained" : "trained", 0, false, { 0, 0 } };
	struct job j;
	pthread_t th[8];
	int nt = 0;

	if (common_opts(&argc, argv, &c) != 0)
		return 3;
	for (int i = 0; i < argc; i++) {
		if (!untrain && strcmp(argv[i], "--spam") == 0) {
			mode = 1;
		} else if (!untrain && strcmp(argv[i], "--ham") == 0) {
			mode = 0;
		} else if (mode < 0) {
			fputs("usage: wary spam train --spam|--ham FILE|MAILDIR...\n", stderr);
			status = 3;
			goto out;
		} else {
			size_t before = ps.n;

			if (expand(&ps, argv[i]) != 0)
				status = 3;
			for (size_t k = before; k < ps.n; k++)
				paths_add(&spam, mode == 1 ? xstrdup("1") : xstrdup("0"));
		}
	}
	if (ps.n == 0) {
		fprintf(stderr, "usage: wary spam %s\n",
		        untrain ? "untrain FILE|MAILDIR..." : "train --spam|--ham FILE|MAILDIR...");
		status = 3;
		goto out;
	}
	if (open_db(&c, &db) != 0) {
		status = 3;
		goto out;
	}
	is_spam = xcalloc(ps.n, sizeof(*is_spam));
	for (size_t i = 0; i < ps.n; i++)
		is_spam[i] = spam.v[i][0] == '1';
	pr.total = ps.n;
	pr.on = !c.quiet && ps.n >= 200;
	if (spam_db_begin(db, err, sizeof(err)) != WARY_OK) {
		complain("token store", err);
		status = 3;
		goto out;
	}
	/* Training: the files are read and tokenized on every core, the
	 * counts applied here in order (untraining reads them here). */
	memset(&j, 0, sizeof(j));
	j.paths = (const char **)ps.v;
	j.n = ps.n;
	j.bigrams = c.params.bigrams;
	j.keep_raw = true;
	j.table_known = true;
	j.window = 64;
	j.slots = xcalloc(j.window, sizeof(*j.slots));
	for (size_t i = 0; i < j.window; i++) {
		spam_toks_new(&j.slots[i].toks);
		buf_init(&j.slots[i].raw);
	}
	pthread_mutex_init(&j.mu, NULL);
	pthread_cond_init(&j.cv, NULL);
	nt = untrain ? 0 : nthreads(ps.n);
	for (int t = 0; t < nt; t++)
		if (pthread_create(&th[t], NULL, worker, &j) != 0) {
			nt = t;
			break;
		}
	for (size_t i = 0; i < ps.n; i++) {
		enum spam_train_result r = SPAM_TRAINED;
		struct slot *s = &j.slots[i % j.window];
		int rc;

		if (nt > 0) {
			pthread_mutex_lock(&j.mu);
			while (!s->ready)
				pthread_cond_wait(&j.cv, &j.mu);
			pthread_mutex_unlock(&j.mu);
			rc = s->rc;
			if (rc != WARY_OK)
				str_copy(err, s->err, sizeof(err));
			else
				rc = spam_db_train_tokenized(db, s->raw.data, s->raw.len, s->toks, is_spam[i],
				                             &r, err, sizeof(err));
			pthread_mutex_lock(&j.mu);
			s->ready = false;
			j.consumed = i + 1;
			pthread_cond_broadcast(&j.cv);
			pthread_mutex_unlock(&j.mu);
		} else {
			rc = read_msg(ps.v[i], &data, err, sizeof(err));
			if (rc == WARY_OK)
				rc = untrain ? spam_db_untrain(db, data.data, data.len, &r, err, sizeof(err))
				             : spam_db_train(db, data.data, data.len, is_spam[i], &r, err,
				                             sizeof(err));
		}
		if (rc != WARY_OK) {
			complain(ps.v[i], err);
			status = 3;
			if (rc == WARY_EIO)
				break;
			continue;
		}
		counts[r]++;
		progress_tick(&pr, i + 1);
	}
	if (nt > 0) {
		/* after an I/O error: let the threads finish the files they hold */
		pthread_mutex_lock(&j.mu);
		j.consumed = j.n;
		j.next = j.n;
		pthread_cond_broadcast(&j.cv);
		pthread_mutex_unlock(&j.mu);
	}
	for (int t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	for (size_t i = 0; i < j.window; i++) {
		spam_toks_free(&j.slots[i].toks);
		buf_release(&j.slots[i].raw);
	}
	free(j.slots);
	pthread_mutex_destroy(&j.mu);
	pthread_cond_destroy(&j.cv);
	if (status == 3 && counts[0] + counts[2] + counts[3] == 0) {
		spam_db_rollback(db);
	} else if (spam_db_commit(db, err, sizeof(err)) != WARY_OK) {
		complain("token store", err);
		status = 3;
		goto out;
	}
	if (!c.quiet) {
		if (untrain)
			fprintf(stderr, "untrained %zu, not trained before %zu\n", counts[SPAM_UNTRAINED],
			        counts[SPAM_NOT_TRAINED]);
		else
			fprintf(stderr, "trained %zu, already trained %zu, retrained %zu\n",
			        counts[SPAM_TRAINED], counts[SPAM_ALREADY], counts[SPAM_RETRAINED]);
	}
out:
	spam_db_free(&db);
	paths_free(&ps);
	paths_free(&spam);
	free(is_spam);
	buf_release(&data);
	return status;
}

static void print_result(const char *path, const struct spam_result *r, enum spam_class cls,
                         const struct buf *score, bool explain, bool many)
{
	char *sp = safe_str(path, SAFE_LINE);

	if (many)
		printf("%s %.17g %s\n", spam_class_name(cls), r->prob, sp);
	else
		printf("%s %.17g\n", spam_class_name(cls), r->prob);
	if (explain) {
		if (score && score->len)
			printf("\tbayes %s, %s\n", spam_class_name(r->cls), score->data);
		printf("\ttokens %zu, used %zu\n", r->tokens, r->used);
		for (size_t k = 0; k < r->nclues; k++) {
			char *t = safe_str(r->clues[k].text ? r->clues[k].text : "?", SAFE_LINE);

			printf("\t%.4f  spam %u ham %u  %s\n", r->clues[k].f, r->clues[k].spam,
			       r->clues[k].ham, t);
			free(t);
		}
	}
	free(sp);
}

static int cmd_classify(int argc, char **argv)
{
	struct common c = { 0 };
	struct paths ps = { 0 };
	struct spam_db *db = NULL;
	struct inspect *in = NULL;
	struct buf score = BUF_INIT;
	char err[WARY_ERRLEN];
	int status = 0, last = 3;
	struct job j;
	pthread_t th[8];
	int nt = 0;

	memset(&j, 0, sizeof(j));
	if (common_opts(&argc, argv, &c) != 0)
		return 3;
	for (int i = 0; i < argc; i++)
		if (expand(&ps, argv[i]) != 0)
			status = 3;
	if (ps.n == 0) {
		fputs("usage: wary spam classify [--explain] FILE|MAILDIR...\n", stderr);
		return 3;
	}
	if (open_db(&c, &db) != 0) {
		paths_free(&ps);
		return 3;
	}
	j.paths = (const char **)ps.v;
	j.n = ps.n;
	j.bigrams = c.params.bigrams;
	j.keep_text = c.explain;
	j.db = db;
	j.nclues = c.explain ? 12 : 0;
	/* a few files are classified here: an unsure one is parsed again */
	j.keep_raw = true;
	j.decide = true;
	j.window = 64;
	j.slots = xcalloc(j.window, sizeof(*j.slots));
	for (size_t i = 0; i < j.window; i++) {
		spam_toks_new(&j.slots[i].toks);
		buf_init(&j.slots[i].raw);
		buf_init(&j.slots[i].score);
	}
	pthread_mutex_init(&j.mu, NULL);
	pthread_cond_init(&j.cv, NULL);
	/* The parse and tokenize work goes to threads; with one file, one. */
	nt = nthreads(ps.n);
	for (int t = 0; t < nt; t++)
		if (pthread_create(&th[t], NULL, worker, &j) != 0) {
			nt = t;
			break;
		}
	/* A few messages: a query per token; many: the table in memory, read
	 * while the threads already parse the first messages. */
	if (ps.n > 16 && spam_db_load(db, err, sizeof(err)) != WARY_OK)
		complain("token store", err);
	pthread_mutex_lock(&j.mu);
	j.table_known = true;
	j.parallel = spam_db_loaded(db);
	pthread_cond_broadcast(&j.cv);
	pthread_mutex_unlock(&j.mu);
	for (size_t i = 0; i < ps.n; i++) {
		struct slot *s = &j.slots[i % j.window];

		pthread_mutex_lock(&j.mu);
		while (!s->ready)
			pthread_cond_wait(&j.cv, &j.mu);
		pthread_mutex_unlock(&j.mu);
		if (s->rc != WARY_OK) {
			complain(ps.v[i], s->err);
			status = 3;
			last = 3;
		} else {
			bool have = s->classified;

			if (!have) {
				if (spam_db_classify_toks(db, s->toks, c.explain ? 12 : 0, &s->res, err,
				                          sizeof(err)) == WARY_OK) {
					have = true;
				} else {
					complain(ps.v[i], err);
					status = 3;
					last = 3;
				}
			}
			if (have) {
				enum spam_class cls = s->res.cls;

				buf_reset(&score);
				if (s->decided)
					cls = s->cls;
				else if (cls == SPAM_UNSURE)
					cls = decide_unsure_raw(&in, &s->raw, s->res.prob,
					                        c.explain ? &score : NULL);
				print_result(ps.v[i], &s->res, cls, s->decided ? &s->score : &score,
				             c.explain, ps.n > 1);
				last = cls == SPAM_SPAM ? 0 : cls == SPAM_HAM ? 1 : 2;
				spam_result_clear(&s->res);
			}
		}
		pthread_mutex_lock(&j.mu);
		s->ready = false;
		s->classified = false;
		j.consumed = i + 1;
		pthread_cond_broadcast(&j.cv);
		pthread_mutex_unlock(&j.mu);
	}
	for (int t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	for (size_t i = 0; i < j.window; i++) {
		spam_toks_free(&j.slots[i].toks);
		buf_release(&j.slots[i].raw);
		buf_release(&j.slots[i].score);
	}
	free(j.slots);
	pthread_mutex_destroy(&j.mu);
	pthread_cond_destroy(&j.cv);
	spam_db_free(&db);
	paths_free(&ps);
	inspect_free(&in);
	buf_release(&score);
	fflush(stdout);
	/* bogofilter's codes: of the one message, or the last of many; any
	 * message that could not be read makes it 3. */
	return status == 3 ? 3 : last;
}

static int cmd_stats(int argc, char **argv)
{
	struct common c = { 0 };
	struct spam_db *db = NULL;
	struct spam_stats st;
	char err[WARY_ERRLEN];
	int status = 0;

	if (common_opts(&argc, argv, &c) != 0 || open_db(&c, &db) != 0)
		return 3;
	if (spam_db_stats(db, &st, err, sizeof(err)) != WARY_OK) {
		complain("token store", err);
		spam_db_free(&db);
		return 3;
	}
	printf("spam messages: %u\nham messages: %u\ntokens: %llu\nmessages remembered: %llu\n"
	       "file bytes: %lld\ntokenizer version: %d%s\n",
	       st.nspam, st.nham, (unsigned long long)st.tokens, (unsigned long long)st.messages,
	       (long long)st.file_bytes, st.tokenizer_version,
	       st.tokenizer_version != SPAM_TOKENIZER_VERSION && st.nspam + st.nham > 0
	           ? " (not this wary's: retrain from scratch)" : "");
	for (int i = 0; i < argc; i++) {
		uint32_t s = 0, h = 0;
		char *t = safe_str(argv[i], SAFE_LINE);

		spam_db_token(db, argv[i], &s, &h, err, sizeof(err));
		printf("token %s: spam %u ham %u f %.4f\n", t, s, h,
		       spam_token_f(h, s, st.nham, st.nspam, &c.params));
		free(t);
	}
	spam_db_free(&db);
	return status;
}

static int cmd_prune(int argc, char **argv)
{
	struct common c = { 0 };
	struct spam_db *db = NULL;
	unsigned days = 90, maxc = 1;
	uint64_t removed = 0;
	char err[WARY_ERRLEN];
	int k = 0;

	if (common_opts(&argc, argv, &c) != 0)
		return 3;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--days") == 0 && i + 1 < argc)
			days = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--max-count") == 0 && i + 1 < argc)
			maxc = (unsigned)strtoul(argv[++i], NULL, 10);
		else
			argv[k++] = argv[i];
	}
	if (k > 0) {
		fputs("usage: wary spam prune [--days N] [--max-count N]\n", stderr);
		return 3;
	}
	if (open_db(&c, &db) != 0)
		return 3;
	if (spam_db_prune(db, maxc, days, &removed, err, sizeof(err)) != WARY_OK) {
		complain("token store", err);
		spam_db_free(&db);
		return 3;
	}
	printf("pruned %llu tokens seen in at most %u messages and not trained for %u days\n",
	       (unsigned long long)removed, maxc, days);
	spam_db_free(&db);
	return 0;
}

static int cmd_rules(void)
{
	printf("required %g\n", spam_score_required());
	for (size_t i = 0; i < spam_rule_count(); i++) {
		const struct spam_rule_info *r = spam_rule(i);

		printf("%-22s %6.2f  %s\n", r->name, r->points, r->what);
	}
	return 0;
}

/* ---- cross-validation ----------------------------------------------- */

struct cvmsg {
	uint64_t *h;
	size_t n;
	bool spam;
	int fold;
	double prob;
	const char *path;
};

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

static double auc(struct cvmsg *m, size_t n)
{
	/* Mann-Whitney: the chance a spam scores above a ham, ties half. */
	double sum = 0;
	size_t ns = 0, nh = 0;
	double *sp, *hp;
	size_t a = 0, b = 0;

	sp = xcalloc(n + 1, sizeof(*sp));
	hp = xcalloc(n + 1, sizeof(*hp));
	for (size_t i = 0; i < n; i++) {
		if (m[i].spam)
			sp[ns++] = m[i].prob;
		else
			hp[nh++] = m[i].prob;
	}
	qsort(sp, ns, sizeof(*sp), cmp_dbl);
	qsort(hp, nh, sizeof(*hp), cmp_dbl);
	/* for every spam, hams below it (+ half the equal ones) */
	for (a = 0; a < ns; a++) {
		size_t lo, eq = 0;

		while (b < nh && hp[b] < sp[a])
			b++;
		lo = b;
		while (lo + eq < nh && hp[lo + eq] == sp[a])
			eq++;
		sum += (double)lo + (double)eq / 2.0;
	}
	free(sp);
	free(hp);
	return ns && nh ? sum / ((double)ns * (double)nh) : 0;
}

static bool cv_wrong(const struct spam_model *mo, const struct cvmsg *q, const struct spam_params *p)
{
	double prob = spam_model_prob(mo, q->h, q->n, p);

	return q->spam ? prob < p->spam_cutoff : prob >= p->ham_cutoff;
}

static void cv_exhaust(struct spam_model *mo, struct cvmsg *m, size_t nm, int f,
                       const struct spam_params *p, int passes)
{
	for (int pass = 0; pass < passes; pass++) {
		size_t wrong = 0;

		for (size_t i = 0; i < nm; i++)
			if (m[i].fold != f && cv_wrong(mo, &m[i], p)) {
				spam_model_add(mo, m[i].h, m[i].n, m[i].spam, 1);
				wrong++;
			}
		fprintf(stderr, "fold %d pass %d: %zu retrained\n", f, pass + 1, wrong);
		if (wrong == 0)
			break;
	}
}

/* The messages an inner split of model f's own training messages finds
 * hard (spam_hard) count weight times in it: SpamBayes' train to
 * exhaustion, with the errors of held-out messages, since a model gets its
 * own training messages right.  Every CV_INNER_FOLDS-th of each class is
 * an inner fold. */
#define CV_INNER_FOLDS 5
static void cv_heldout_retrain(struct spam_model *mo, struct cvmsg *m, size_t nm, int f,
                               const struct spam_params *p, double hard_spam, double hard_ham,
                               int weight)
{
	const uint64_t **h = xcalloc(nm ? nm : 1, sizeof(*h));
	size_t *nh = xcalloc(nm ? nm : 1, sizeof(*nh)), found = 0;
	bool *sp = xcalloc(nm ? nm : 1, sizeof(*sp)), *hard = xcalloc(nm ? nm : 1, sizeof(*hard));
	int *fold = xcalloc(nm ? nm : 1, sizeof(*fold));
	size_t cnt[2] = { 0, 0 };

	for (size_t i = 0; i < nm; i++) {
		h[i] = m[i].h;
		nh[i] = m[i].n;
		sp[i] = m[i].spam;
		fold[i] = m[i].fold == f ? -1 : (int)(cnt[m[i].spam]++ % CV_INNER_FOLDS);
	}
	found = spam_hard(h, nh, sp, fold, nm, CV_INNER_FOLDS, p, hard_spam, hard_ham, hard);
	for (size_t i = 0; i < nm; i++)
		if (hard[i])
			for (int w = 1; w < weight; w++)
				spam_model_add(mo, m[i].h, m[i].n, m[i].spam, 1);
	fprintf(stderr, "fold %d: %zu hard messages weighted %d\n", f, found, weight);
	free(h);
	free(nh);
	free(sp);
	free(hard);
	free(fold);
}

static void cv_toe(struct spam_model *mo, struct cvmsg *m, size_t nm, int f,
                   const struct spam_params *p, int passes)
{
	size_t nh = 0, ns = 0;

	for (size_t i = 0; i < nm; i++)
		if (m[i].spam)
			ns++;
		else
			nh++;
	for (int pass = 0; pass < passes; pass++) {
		size_t wrong = 0, a = 0, b = nh;

		/* ham and spam interleaved in proportion, as mail arrives */
		while (a < nh || b < nm) {
			size_t i;

			if (b >= nm || (a < nh && (double)a / (double)nh <= (double)(b - nh) / (double)ns))
				i = a++;
			else
				i = b++;
			if (m[i].fold == f)
				continue;
			if (cv_wrong(mo, &m[i], p)) {
				spam_model_add(mo, m[i].h, m[i].n, m[i].spam, 1);
				wrong++;
			}
		}
		fprintf(stderr, "fold %d toe pass %d: %zu trained\n", f, pass + 1, wrong);
		if (wrong == 0)
			break;
	}
}

/* The second model in the cross-validation: for every fold a logistic
 * model of the other folds scores the fold's messages (lr); what counts is
 * the unsure band of the Bayes probability (prob, at p's cut-offs): how
 * many of its spam score above its highest ham. */
static void cv_lr(struct cvmsg *m, size_t nm, int folds, const struct spam_params *p,
                  const struct spam_lr_params *lp, bool list)
{
	const uint64_t **h = xcalloc(nm ? nm : 1, sizeof(*h));
	size_t *nh = xcalloc(nm ? nm : 1, sizeof(*nh));
	bool *sp = xcalloc(nm ? nm : 1, sizeof(*sp)), *use = xcalloc(nm ? nm : 1, sizeof(*use));
	double *lr = xcalloc(nm ? nm : 1, sizeof(*lr)), maxham = -1, keep;
	size_t bs = 0, bh = 0, above = 0, caught = 0, nsp = 0, fp = 0, atcut = 0;
	char err[WARY_ERRLEN];

	for (size_t i = 0; i < nm; i++) {
		h[i] = m[i].h;
		nh[i] = m[i].n;
		sp[i] = m[i].spam;
	}
	for (int f = 0; f < folds; f++) {
		struct spam_lr *mo = NULL;

		for (size_t i = 0; i < nm; i++)
			use[i] = m[i].fold != f;
		spam_lr_new(&mo);
		if (spam_lr_train(mo, h, nh, sp, use, nm, lp, err, sizeof(err)) != WARY_OK)
			complain("logistic model", err);
		for (size_t i = 0; i < nm; i++)
			if (m[i].fold == f)
				lr[i] = spam_lr_prob(mo, m[i].h, m[i].n);
		spam_lr_free(&mo);
	}
	for (size_t i = 0; i < nm; i++) {
		enum spam_class cl = spam_classify_prob(m[i].prob, p);

		nsp += m[i].spam;
		if (cl == SPAM_SPAM) {
			caught += m[i].spam;
			fp += !m[i].spam;
		}
		if (cl != SPAM_UNSURE)
			continue;
		if (m[i].spam)
			bs++;
		else {
			bh++;
			if (lr[i] > maxham)
				maxham = lr[i];
		}
	}
	for (size_t i = 0; i < nm; i++)
		if (spam_classify_prob(m[i].prob, p) == SPAM_UNSURE) {
			if (m[i].spam && lr[i] > maxham)
				above++;
			if (lr[i] >= lp->cutoff) {
				atcut += m[i].spam;
				fp += !m[i].spam;
			}
		}
	/* the AUC of the second model over every message */
	for (size_t i = 0; i < nm; i++) {
		keep = m[i].prob;
		m[i].prob = lr[i];
		lr[i] = keep;
	}
	printf("LR lambda %g epochs %d eta %g: auc %.6f  band %zu spam %zu ham, highest band ham "
	       "%.4f, band spam above it %zu: %zu of %zu (%.2f%%); at cutoff %.3f %zu spam, fp %zu "
	       "(%zu of %zu, %.2f%%)\n",
	       lp->lambda, lp->epochs, lp->eta0, auc(m, nm), bs, bh, maxham, above, caught + above,
	       nsp, nsp ? 100.0 * (double)(caught + above) / (double)nsp : 0, lp->cutoff, atcut, fp,
	       caught + atcut, nsp, nsp ? 100.0 * (double)(caught + atcut) / (double)nsp : 0);
	for (size_t i = 0; i < nm; i++) {
		keep = m[i].prob;
		m[i].prob = lr[i];
		lr[i] = keep;
		if (list && spam_classify_prob(m[i].prob, p) == SPAM_UNSURE) {
			char *sf = safe_str(m[i].path, SAFE_LINE);

			printf("B %d %.4f %.4f %s\n", m[i].spam, m[i].prob, lr[i], sf);
			free(sf);
		}
	}
	fflush(stdout);
	free(h);
	free(nh);
	free(sp);
	free(use);
	free(lr);
}

static int cmd_cv(int argc, char **argv)
{
	struct common c = { 0 };
	struct paths sp = { 0 }, hp = { 0 };
	int mode = -1, folds = 5, status = 0;
	struct cvmsg *m = NULL;
	size_t nm = 0;
	struct spam_toks *t = NULL;
	struct buf data = BUF_INIT;
	char err[WARY_ERRLEN];
	bool grid = false, toe = false, heldout = false, lr = false, lr_grid = false, lr_list = false;
	struct spam_lr_params lp;
	int exhaust = 0, weight = 3;
	double hard_spam = 0.95, hard_ham = 0.05;

	if (common_opts(&argc, argv, &c) != 0)
		return 3;
	spam_lr_params_default(&lp);
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--spam") == 0)
			mode = 1;
		else if (strcmp(argv[i], "--lr") == 0)
			lr = true;
		else if (strcmp(argv[i], "--lr-grid") == 0)
			lr = lr_grid = true;
		else if (strcmp(argv[i], "--lr-list") == 0)
			lr = lr_list = true;
		else if (strcmp(argv[i], "--lr-lambda") == 0 && i + 1 < argc)
			lp.lambda = atof(argv[++i]);
		else if (strcmp(argv[i], "--lr-epochs") == 0 && i + 1 < argc)
			lp.epochs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--lr-eta") == 0 && i + 1 < argc)
			lp.eta0 = atof(argv[++i]);
		else if (strcmp(argv[i], "--lr-cutoff") == 0 && i + 1 < argc)
			lp.cutoff = atof(argv[++i]);
		else if (strcmp(argv[i], "--exhaust") == 0 && i + 1 < argc)
			exhaust = atoi(argv[++i]);
		else if (strcmp(argv[i], "--toe") == 0)
			toe = true;
		else if (strcmp(argv[i], "--heldout-retrain") == 0)
			heldout = true;
		else if (strcmp(argv[i], "--hard-spam") == 0 && i + 1 < argc)
			hard_spam = atof(argv[++i]);
		else if (strcmp(argv[i], "--hard-ham") == 0 && i + 1 < argc)
			hard_ham = atof(argv[++i]);
		else if (strcmp(argv[i], "--weight") == 0 && i + 1 < argc)
			weight = atoi(argv[++i]);
		else if (strcmp(argv[i], "--ham") == 0)
			mode = 0;
		else if (strcmp(argv[i], "--folds") == 0 && i + 1 < argc)
			folds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--grid") == 0)
			grid = true;
		else if (mode >= 0)
			expand(mode ? &sp : &hp, argv[i]);
	}
	if (sp.n == 0 || hp.n == 0 || folds < 2 || weight < 1 || weight > 100) {
		fputs("usage: wary spam cv --spam FILE|DIR... --ham FILE|DIR... [--folds K] [--grid]\n"
		      "       [--toe] [--exhaust PASSES] [--heldout-retrain [--hard-spam P] [--hard-ham P] "
		      "[--weight W]]\n"
		      "       [--lr|--lr-grid|--lr-list [--lr-lambda L] [--lr-epochs N] [--lr-eta E] "
		      "[--lr-cutoff P]]\n",
		      stderr);
		paths_free(&sp);
		paths_free(&hp);
		return 3;
	}
	spam_toks_new(&t);
	m = xcalloc(sp.n + hp.n, sizeof(*m));
	for (int pass = 0; pass < 2; pass++) {
		struct paths *ps = pass ? &sp : &hp;

		for (size_t i = 0; i < ps->n; i++) {
			struct mail_msg *msg = NULL;
			struct spam_tok_opts o = { c.params.bigrams, false };

			if (read_msg(ps->v[i], &data, err, sizeof(err)) != WARY_OK ||
			    mail_parse(data.data, data.len, &msg, err, sizeof(err)) != WARY_OK ||
			    spam_tokenize(msg, &o, t, err, sizeof(err)) != WARY_OK) {
				complain(ps->v[i], err);
				mail_free(&msg);
				continue;
			}
			mail_free(&msg);
			m[nm].n = spam_toks_count(t);
			m[nm].h = xcalloc(m[nm].n ? m[nm].n : 1, sizeof(uint64_t));
			for (size_t k = 0; k < m[nm].n; k++)
				m[nm].h[k] = spam_toks_hash(t, k);
			m[nm].spam = pass == 1;
			m[nm].path = ps->v[i];
			/* every K-th of each class, in its sorted order */
			m[nm].fold = (int)(i % (size_t)folds);
			nm++;
		}
	}
	{
		static const double ss[] = { 0.01, 0.1, 0.45 };
		static const double xs[] = { 0.5 };
		static const double es[] = { 1.0, 0.5, 0.3, 0.15 };
		static const double ds[] = { 0.1, 0.25, 0.375, 0.42 };
		static const size_t mts[] = { 0, 30, 80, 150 };
		struct spam_params p = c.params;
		struct spam_model **models = xcalloc((size_t)folds, sizeof(*models));
		size_t ni = grid ? ARRAY_SIZE(ss) : 1, nj = grid ? ARRAY_SIZE(xs) : 1;
		size_t nk = grid ? ARRAY_SIZE(ds) : 1, nl = grid ? ARRAY_SIZE(mts) : 1;
		size_t ne = grid ? ARRAY_SIZE(es) : 1;

		/* a model per fold: everything except that fold */
		for (int f = 0; f < folds; f++) {
			spam_model_new(&models[f]);
			if (toe)
				cv_toe(models[f], m, nm, f, &c.params, exhaust > 0 ? exhaust : 1);
			else {
				for (size_t i = 0; i < nm; i++)
					if (m[i].fold != f)
						spam_model_add(models[f], m[i].h, m[i].n, m[i].spam, 1);
				if (exhaust > 0)
					cv_exhaust(models[f], m, nm, f, &c.params, exhaust);
				if (heldout)
					cv_heldout_retrain(models[f], m, nm, f, &c.params, hard_spam,
					                   hard_ham, weight);
			}
		}
		printf("# %zu messages, %d folds%s\n", nm, folds, c.params.bigrams ? ", bigrams" : "");
		printf("# esf     s      x  min_dev  max  auc        fp  fn  unsure  fp@0.5  fn@0.5  "
		       "max_ham   min_spam  recall@0fp\n");
		for (size_t i = 0; i < ni; i++)
			for (size_t jx = 0; jx < nj; jx++)
				for (size_t k = 0; k < nk; k++)
					for (size_t l = 0; l < nl; l++)
					for (size_t e = 0; e < ne; e++) {
						size_t fp = 0, fn = 0, un = 0, fp5 = 0, fn5 = 0;
						double maxham = 0, minspam = 1;

						if (grid) {
							p.s = ss[i];
							p.x = xs[jx];
							p.min_dev = ds[k];
							p.max_tokens = mts[l];
							p.esf = es[e];
						}
						for (size_t q = 0; q < nm; q++) {
							enum spam_class cl;

							m[q].prob = spam_model_prob(models[m[q].fold], m[q].h, m[q].n, &p);
							cl = spam_classify_prob(m[q].prob, &p);
							if (!m[q].spam && cl == SPAM_SPAM)
								fp++;
							if (m[q].spam && cl == SPAM_HAM)
								fn++;
							if (cl == SPAM_UNSURE)
								un++;
							if (!m[q].spam && m[q].prob >= 0.5)
								fp5++;
							if (m[q].spam && m[q].prob < 0.5)
								fn5++;
							if (!m[q].spam && m[q].prob > maxham)
								maxham = m[q].prob;
							if (m[q].spam && m[q].prob < minspam)
								minspam = m[q].prob;
						}
						size_t above = 0, nsp = 0;

						for (size_t q = 0; q < nm; q++)
							if (m[q].spam) {
								nsp++;
								above += m[q].prob > maxham;
							}
						printf("%5.2f %7.3f %6.3f %7.3f %5zu  %.6f %3zu %3zu %6zu  %6zu  %6zu  "
						       "%.6f  %.6f  %.4f\n",
						       p.esf, p.s, p.x, p.min_dev, p.max_tokens, auc(m, nm), fp, fn, un, fp5,
						       fn5, maxham, minspam, nsp ? (double)above / (double)nsp : 0);
						fflush(stdout);
					}
		if (lr && !grid) {
			static const double lams[] = { 1e-3, 1e-4, 1e-5, 1e-6 };
			static const int eps[] = { 5, 10, 20 };
			static const double etas[] = { 0.1, 0.5, 2.0 };

			if (!lr_grid)
				cv_lr(m, nm, folds, &p, &lp, lr_list);
			else
				for (size_t a = 0; a < ARRAY_SIZE(lams); a++)
					for (size_t b = 0; b < ARRAY_SIZE(eps); b++)
						for (size_t d = 0; d < ARRAY_SIZE(etas); d++) {
							struct spam_lr_params g = lp;

							g.lambda = lams[a];
							g.epochs = eps[b];
							g.eta0 = etas[d];
							cv_lr(m, nm, folds, &p, &g, false);
						}
		}
		if (!grid && !lr) {
			/* the probabilities, for a threshold study */
			for (size_t q = 0; q < nm; q++) {
				char *sp = safe_str(m[q].path, SAFE_LINE); /* a file name */

				printf("P %d %.17g %s\n", m[q].spam, m[q].prob, sp);
				free(sp);
			}
		}
		for (int f = 0; f < folds; f++)
			spam_model_free(&models[f]);
		free(models);
	}
	for (size_t i = 0; i < nm; i++)
		free(m[i].h);
	free(m);
	spam_toks_free(&t);
	paths_free(&sp);
	paths_free(&hp);
	buf_release(&data);
	return status;
}

int spam_cli(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";

	if (strcmp(sub, "train") == 0)
		return cmd_train(argc - 1, argv + 1, false);
	if (strcmp(sub, "untrain") == 0)
		return cmd_train(argc - 1, argv + 1, true);
	if (strcmp(sub, "classify") == 0)
		return cmd_classify(argc - 1, argv + 1);
	if (strcmp(sub, "stats") == 0)
		return cmd_stats(argc - 1, argv + 1);
	if (strcmp(sub, "prune") == 0)
		return cmd_prune(argc - 1, argv + 1);
	if (strcmp(sub, "rules") == 0)
		return cmd_rules();
	if (strcmp(sub, "cv") == 0)
		return cmd_cv(argc - 1, argv + 1);
	fputs("usage: wary spam train --spam|--ham FILE|MAILDIR...\n"
	      "       wary spam untrain FILE|MAILDIR...\n"
	      "       wary spam classify [--explain] FILE|MAILDIR...  (exit 0 spam, 1 ham, 2 unsure, 3 error)\n"
	      "       wary spam stats [TOKEN...]\n"
	      "       wary spam prune [--days N] [--max-count N]\n"
	      "       wary spam rules\n"
	      "       wary spam cv --spam DIR... --ham DIR... [--folds K] [--grid] [--toe]\n"
	      "            [--exhaust N] [--heldout-retrain [--hard-spam P] [--hard-ham P] [--weight W]]\n"
	      "            [--lr|--lr-grid|--lr-list ...]\n"
	      "options: --db PATH, --set NAME=VALUE, -q\n",
	      stderr);
	return 3;
}
