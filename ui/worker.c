/* The store worker thread: requests in, replies out, a pipe byte to wake
 * the UI.  Only this thread touches the struct store. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/base.h"
#include "net/net.h"
#include "pattern/pattern.h"
#include "ui/worker.h"
#include <libetpan/libetpan.h>

struct wk_req {
	enum wk_kind kind;
	unsigned gen;
	char *arg;
	unsigned set, clear;
	struct wk_req *next;
};

struct worker {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct wk_req *req_head, *req_tail;
	struct wk_reply *rep_head, *rep_tail;
	/* WK_ROWS replies the UI has not taken yet, and the signal that it
	 * took one (rows_cb waits at ROWS_AHEAD). */
	size_t rows_queued;
	pthread_cond_t taken;
	bool quit;
	atomic_uint newest_gen; /* highest generation sent by the UI */
	atomic_bool quitting;
	int pipe_rd, pipe_wr;
	int req_rd, req_wr;     /* worker_send writes a byte: ends a store_wait */
	struct store_conn_state conn; /* as last posted to the UI */
	char *cache;            /* NULL: no cache; "": the store's default */
	struct store *store;    /* worker thread only */
	const struct worker_account *wa;
	/* a secret asked of the UI: the worker waits on secret_cond */
	pthread_cond_t secret_cond;
	bool secret_answered, secret_given;
	char secret[1024];
	worker_send_fn send_fn; /* WK_SEND (ui/compose.c) */
	void *send_ctx;
	const struct wk_req *send_req;
	worker_spam_fn spam_fn; /* WK_SPAM (ui/spam_ui.c) */
	void *spam_ctx;
	const struct wk_req *spam_req;
};

extern char **environ;

void wk_reply_free(struct wk_reply **pr)
{
	struct wk_reply *r = *pr;

	if (r == NULL)
		return;
	if (r->arena != NULL)
		free(r->arena); /* the rows' strings, all of them */
	else
		for (size_t i = 0; i < r->nrows; i++)
			worker_row_free(&r->rows[i]);
	free(r->rows);
	buf_release(&r->data);
	store_folders_free(&r->folders, r->nfolders);
	store_keys_free(r->vanished, r->nvanished);
	store_keys_free(r->keys, r->nkeys);
	free(r->arg);
	free(r);
	*pr = NULL;
}

static struct wk_reply *reply_new(enum wk_kind kind, const struct wk_req *q)
{
	struct wk_reply *r = xcalloc(1, sizeof(*r));

	r->kind = kind;
	r->gen = q->gen;
	r->arg = xstrdup_null(q->arg);
	r->set = q->set;
	r->clear = q->clear;
	buf_init(&r->data);
	return r;
}

static void post(struct worker *w, struct wk_reply *r)
{
	char c = 1;

	pthread_mutex_lock(&w->lock);
	if (w->rep_tail)
		w->rep_tail->next = r;
	else
		w->rep_head = r;
	w->rep_tail = r;
	if (r->kind == WK_ROWS)
		w->rows_queued++;
	pthread_mutex_unlock(&w->lock);
	/* A full pipe already wakes the UI; EAGAIN loses nothing. */
	while (write(w->pipe_wr, &c, 1) < 0 && errno == EINTR)
		;
}

static size_t row_bytes(const struct store_row *r)
{
	const char *f[8] = { r->key, r->from, r->to, r->subject, r->message_id,
	                     r->in_reply_to, r->references, r->content_type };
	size_t n = 0;

	for (size_t i = 0; i < 8; i++)
		n += f[i] ? strlen(f[i]) + 1 : 0;
	return n;
}

/* A copy of src whose strings are cut from *p (row_bytes(src) of room). */
static void row_into(struct store_row *dst, const struct store_row *src, char **p)
{
	const char *f[8] = { src->key, src->from, src->to, src->subject, src->message_id,
	                     src->in_reply_to, src->references, src->content_type };
	char **d[8] = { &dst->key, &dst->from, &dst->to, &dst->subject, &dst->message_id,
	                &dst->in_reply_to, &dst->references, &dst->content_type };

	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < 8; i++) {
		size_t len;

		if (f[i] == NULL)
			continue;
		len = strlen(f[i]) + 1;
		memcpy(*p, f[i], len);
		*d[i] = *p;
		*p += len;
	}
	dst->flags = src->flags;
	dst->date = src->date;
	dst->size = src->size;
}

void worker_row_pack(struct store_row *dst, const struct store_row *src)
{
	/* One allocation per row instead of eight. */
	size_t total = row_bytes(src);
	char *block = xmalloc(total ? total : 1), *p = block;

	if (src->key == NULL) { /* a row always has a key; keep the block owned */
		free(block);
		memset(dst, 0, sizeof(*dst));
		return;
	}
	row_into(dst, src, &p);
	dst->packed = true;
}

void worker_row_free(struct store_row *r)
{
	free(r->key);
	memset(r, 0, sizeof(*r));
}

struct rows_ctx {
	struct worker *w;
	const struct wk_req *q;
};

/* Batches of rows (1000 each from the IMAP cache) read ahead of the UI.
 * Without a bound a fast cache read runs the whole folder ahead of the
 * UI's taking, and every row then exists twice for a while: the peak
 * memory of a 100k open.  A few batches keep both threads busy. */
#define ROWS_AHEAD 4

static void wait_rows_taken(struct worker *w, unsigned gen)
{
	pthread_mutex_lock(&w->lock);
	while (w->rows_queued >= ROWS_AHEAD && !atomic_load(&w->quitting) &&
	       atomic_load(&w->newest_gen) == gen) {
		struct timespec until;

		/* Timed: a UI that moved on (newer generation) sends no signal. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->taken, &w->lock, &until);
	}
	pthread_mutex_unlock(&w->lock);
}

static int rows_cb(void *ctx, struct store_row *rows, size_t n, size_t done, size_t total)
{
	struct rows_ctx *c = ctx;
	struct wk_reply *r;

	wait_rows_taken(c->w, c->q->gen);
	if (atomic_load(&c->w->quitting) || atomic_load(&c->w->newest_gen) != c->q->gen)
		return 1; /* the UI moved on: stop reading */
	/* The batch crosses as one block, its rows borrowing from it: a
	 * block per row made the UI free 100k blocks of the worker's malloc
	 * arena, each free taking that arena's lock while the worker was
	 * allocating the next rows (futex traffic was a tenth of a warm
	 * open).  The rows given here are the caller's to free, on this
	 * thread. */
	r = reply_new(WK_ROWS, c->q);
	r->rows = xcalloc(n ? n : 1, sizeof(*r->rows));
	{
		size_t total = 0, kept = 0;
		char *p;

		for (size_t i = 0; i < n; i++)
			total += rows[i].key != NULL ? row_bytes(&rows[i]) : 0;
		r->arena = p = xmalloc(total ? total : 1);
		for (size_t i = 0; i < n; i++)
			if (rows[i].key != NULL) /* a row always has a key */
				row_into(&r->rows[kept++], &rows[i], &p);
		n = kept;
	}
	r->nrows = n;
	r->done = done;
	r->total = total;
	post(c->w, r);
	return 0;
}

static void set_cache(struct worker *w)
{
	char *path;

	if (w->cache == NULL) {
		store_set_cache(w->store, NULL);
		return;
	}
	if (w->cache[0] == '\0')
		return;
	path = store_default_cache_path(w->cache, store_kind(w->store), store_location(w->store));
	store_set_cache(w->store, path);
	free(path);
}

int worker_run_secret_command(const char *cmd, char *buf, size_t len, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	int fds[2] = { -1, -1 }, status = 0, rc = WARY_OK;
	size_t got = 0;
	pid_t pid = -1;
	char c;

	if (len == 0)
		return err_set(err, errlen, WARY_ERR, "no room for the secret");
	buf[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) != 0)
		return err_set(err, errlen, WARY_EIO, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ) != 0) {
		rc = err_set(err, errlen, WARY_ERR, "cannot run the secret command");
		goto out;
	}
	close(fds[1]);
	fds[1] = -1;
	/* The first line only; the rest is read and dropped so the command
	 * does not die of SIGPIPE and report a failure. */
	for (bool line_done = false;;) {
		ssize_t n = read(fds[0], &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (c == '\n')
			line_done = true;
		else if (!line_done && got + 1 < len)
			buf[got++] = c;
	}
	buf[got] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		explicit_bzero(buf, len);
		rc = err_set(err, errlen, WARY_ERR, "the secret command failed (status %d)",
		             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	} else if (buf[0] == '\0') {
		rc = err_set(err, errlen, WARY_ERR, "the secret command printed nothing");
	}
out:
	posix_spawn_file_actions_destroy(&fa);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return rc;
}

/* The store's secret callback, on the worker thread. */
static int secret_cb(void *ctx, const char *what, char *buf, size_t len)
{
	struct worker *w = ctx;
	bool token = strcmp(what, "token") == 0;
	const char *cmd = w->wa == NULL ? NULL : token ? w->wa->token_command : w->wa->password_command;
	struct wk_reply *r;
	char err[WARY_ERRLEN];
	int rc = WARY_ERR;

	if (cmd && *cmd)
		return worker_run_secret_command(cmd, buf, len, err, sizeof(err));
	r = xcalloc(1, sizeof(*r));
	r->kind = WK_SECRET;
	r->gen = atomic_load(&w->newest_gen);
	r->arg = xstrdup(token ? "token" : "password");
	buf_init(&r->data);
	pthread_mutex_lock(&w->lock);
	w->secret_answered = false;
	pthread_mutex_unlock(&w->lock);
	post(w, r);
	pthread_mutex_lock(&w->lock);
	while (!w->secret_answered && !atomic_load(&w->quitting))
		pthread_cond_wait(&w->secret_cond, &w->lock);
	if (w->secret_answered && w->secret_given && strlen(w->secret) < len) {
		str_copy(buf, w->secret, len);
		rc = WARY_OK;
	}
	explicit_bzero(w->secret, sizeof(w->secret));
	w->secret_answered = w->secret_given = false;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

struct fetch_ctx {
	struct worker *w;
	const struct wk_req *q;
	long long last_ms;
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int pop3_progress(void *ctx, size_t done, size_t total, uint64_t bytes, uint64_t total_bytes)
{
	struct fetch_ctx *c = ctx;
	long long t = mono_ms();

	(void)bytes;
	(void)total_bytes;
	if (atomic_load(&c->w->quitting))
		return 1; /* what is recorded stays; the rest stays on the server */
	/* A few updates a second are all a progress bar needs. */
	if (done < total && t - c->last_ms < 100)
		return 0;
	c->last_ms = t;
	{
		struct wk_reply *r = reply_new(WK_PROGRESS, c->q);

		r->done = done;
		r->total = total;
		post(c->w, r);
	}
	return 0;
}

/* One line a person can read, and the server's notices after it. */
static void pop3_summary(const struct store_pop3_report *rep, struct buf *out)
{
	buf_addf(out, "%zu new, %zu already here", rep->fetched, rep->known + rep->same_content);
	if (rep->recovered)
		buf_addf(out, ", %zu recovered", rep->recovered);
	if (rep->deleted)
		buf_addf(out, ", %zu deleted from the server", rep->deleted);
	if (rep->skipped_size)
		buf_addf(out, ", %zu too big (left on the server)", rep->skipped_size);
	if (rep->failed)
		buf_addf(out, ", %zu refused (left on the server)", rep->failed);
	if (rep->apop)
		buf_adds(out, "; logged in with APOP, which is weak");
	if (rep->cancelled)
		buf_adds(out, "; cancelled");
	for (size_t i = 0; i < rep->nnotices; i++)
		buf_addf(out, "\n%s", rep->notices[i]);
}

/* The certificate behind a refusal, for the trust question: connect once
 * more and keep what the server presented (net reports it on failure
 * too).  data gets "SHA256\nsubject\nissuer\nnot after\nreason". */
static void probe_cert(const struct store_account *acct, struct buf *data)
{
	struct net_opts o;
	struct net_cert cert;
	char err[WARY_ERRLEN];
	bool pop3 = strcmp(acct->kind, "pop3") == 0;

	memset(&o, 0, sizeof(o));
	memset(&cert, 0, sizeof(cert));
	o.host = acct->host;
	o.port = acct->port;
	o.tls = acct->tls == STORE_TLS_STARTTLS ? NET_TLS_STARTTLS : NET_TLS_IMPLICIT;
	o.ca_file = acct->ca_file;
	if (pop3) {
		struct mailpop3 *p = NULL;

		if (net_pop3_connect(&o, &p, &cert, err, sizeof(err)) == WARY_OK)
			mailpop3_free(p);
	} else {
		struct mailimap *m = NULL;

		if (net_imap_connect(&o, &m, &cert, err, sizeof(err)) == WARY_OK)
			mailimap_free(m);
	}
	if (cert.seen && !cert.verified)
		buf_addf(data, "%s\n%s\n%s\n%s\n%s", cert.sha256, cert.subject, cert.issuer,
		         cert.not_after, cert.verify_error);
}

static bool is_server_store(const struct worker *w);

/* A step of a send, for the status line. */
static void send_progress(void *ctx, const char *what)
{
	struct worker *w = ctx;
	struct wk_reply *r = reply_new(WK_SEND_PROGRESS, w->send_req);

	buf_adds(&r->data, what);
	post(w, r);
}

/* Training a folder, for the message line. */
static void spam_progress(void *ctx, size_t done, size_t total)
{
	struct worker *w = ctx;
	struct wk_reply *r = reply_new(WK_SPAM_PROGRESS, w->spam_req);

	r->done = done;
	r->total = total;
	post(w, r);
}

void worker_set_spam(struct worker *w, worker_spam_fn fn, void *ctx)
{
	pthread_mutex_lock(&w->lock);
	w->spam_fn = fn;
	w->spam_ctx = ctx;
	pthread_mutex_unlock(&w->lock);
}

void worker_set_sender(struct worker *w, worker_send_fn fn, void *ctx)
{
	pthread_mutex_lock(&w->lock);
	w->send_fn = fn;
	w->send_ctx = ctx;
	pthread_mutex_unlock(&w->lock);
}

/* The thread order the UI keeps for a folder (tag: index_folder_tag)
 * lives beside the store's header cache: none without one. */
static char *threads_path(struct worker *w, const char *tag, size_t taglen)
{
	const char *cache = store_cache_path(w->store);

	if (cache == NULL || taglen != 16 || strspn(tag, "0123456789abcdef") < 16)
		return NULL;
	return xasprintf("%s.threads-%.16s", cache, tag);
}

static void read_threads(struct worker *w, const char *tag, struct buf *out)
{
	char *path = threads_path(w, tag, strlen(tag));
	char err[WARY_ERRLEN];

	/* Missing or unreadable is the same as none; the UI checks the rest. */
	if (path != NULL && fs_read_file(path, out, 64u << 20, err, sizeof(err)) != WARY_OK)
		buf_release(out);
	free(path);
}

/* arg: "TAG\nTEXT".  A cache: failing to write it only costs the next
 * open its threading. */
static int save_threads(struct worker *w, const char *arg, char *err, size_t errlen)
{
	const char *nl = arg ? strchr(arg, '\n') : NULL;
	char *path = nl ? threads_path(w, arg, (size_t)(nl - arg)) : NULL;
	int rc = WARY_OK;

	if (path != NULL)
		rc = fs_write_atomic(path, nl + 1, strlen(nl + 1), 0600, err, errlen);
	free(path);
	return rc;
}

static void serve(struct worker *w, const struct wk_req *q)
{
	struct wk_reply *r = reply_new(q->kind, q);
	struct rows_ctx rc = { w, q };

	if (q->kind != WK_OPEN && q->kind != WK_OPEN_ACCOUNT && q->kind != WK_POP3_FETCH &&
	    q->kind != WK_SEND && w->store == NULL) {
		r->status = err_set(r->err, sizeof(r->err), WARY_ERR, "no mailbox is open");
		goto out;
	}
	switch (q->kind) {
	case WK_OPEN:
		store_free(&w->store);
		r->status = store_open(q->arg, &w->store, r->err, sizeof(r->err));
		if (r->status == WARY_OK)
			set_cache(w);
		break;
	case WK_OPEN_ACCOUNT: {
		struct store_account acct;

		store_free(&w->store);
		if (w->wa == NULL) {
			r->status = err_set(r->err, sizeof(r->err), WARY_ERR, "no account to open");
			break;
		}
		acct = w->wa->acct;
		acct.secret = secret_cb;
		acct.secret_ctx = w;
		r->status = store_open_account(&acct, &w->store, r->err, sizeof(r->err));
		if (r->status == WARY_ECERT)
			probe_cert(&acct, &r->data);
		break;
	}
	case WK_SELECT:
		r->status = store_select(w->store, q->arg, r->err, sizeof(r->err));
		break;
	case WK_INDEX:
		r->status = store_index(w->store, rows_cb, &rc, r->err, sizeof(r->err));
		if (r->status == WARY_OK && q->arg != NULL)
			read_threads(w, q->arg, &r->data);
		break;
	case WK_SAVE_THREADS:
		r->status = save_threads(w, q->arg, r->err, sizeof(r->err));
		break;
	case WK_FETCH:
		r->status = store_fetch(w->store, q->arg, &r->data, r->err, sizeof(r->err));
		break;
	case WK_FLAGS:
		r->status = store_set_flags(w->store, q->arg, q->set, q->clear, r->err, sizeof(r->err));
		break;
	case WK_EXPUNGE:
		r->status = store_expunge(w->store, r->err, sizeof(r->err));
		break;
	case WK_CHECK:
		/* check-new while offline means "try now", whatever the backoff. */
		if (is_server_store(w) && w->conn.state != STORE_CONN_ONLINE &&
		    w->conn.state != STORE_CONN_LOCAL) {
			char e2[WARY_ERRLEN];

			store_reconnect(w->store, e2, sizeof(e2));
		}
		r->status = store_check_changes(w->store, rows_cb, &rc, &r->vanished, &r->nvanished,
		                                r->err, sizeof(r->err));
		break;
	case WK_FOLDERS:
		r->status = store_list_folders(w->store, &r->folders, &r->nfolders, r->err,
		                               sizeof(r->err));
		break;
	case WK_POP3_FETCH: {
		struct store_account acct;
		struct store_pop3_report rep;
		struct fetch_ctx fc = { w, q, 0 };

		if (w->wa == NULL || strcmp(w->wa->acct.kind, "pop3") != 0) {
			r->status = err_set(r->err, sizeof(r->err), WARY_ERR, "not a POP3 account");
			break;
		}
		memset(&rep, 0, sizeof(rep));
		acct = w->wa->acct;
		acct.secret = secret_cb;
		acct.secret_ctx = w;
		r->status = store_pop3_fetch(&acct, pop3_progress, &fc, &rep, r->err, sizeof(r->err));
		pop3_summary(&rep, &r->data);
		r->done = rep.fetched;
		store_pop3_report_clear(&rep);
		break;
	}
	case WK_FETCH_PART: {
		/* arg: "KEY\tPART" */
		const char *tab = q->arg ? strchr(q->arg, '\t') : NULL;
		char *key = tab ? xstrndup(q->arg, (size_t)(tab - q->arg)) : NULL;

		if (key == NULL)
			r->status = err_set(r->err, sizeof(r->err), WARY_ERR, "no part given");
		else
			r->status = store_fetch_part(w->store, key, tab + 1, &r->data, r->err,
			                             sizeof(r->err));
		free(key);
		break;
	}
	case WK_COPY:
	case WK_MOVE: {
		const char *tab = q->arg ? strchr(q->arg, '\t') : NULL;
		char *key = tab ? xstrndup(q->arg, (size_t)(tab - q->arg)) : NULL;

		if (key == NULL)
			r->status = err_set(r->err, sizeof(r->err), WARY_ERR, "no folder given");
		else if (q->kind == WK_COPY)
			r->status = store_copy(w->store, key, tab + 1, r->err, sizeof(r->err));
		else
			r->status = store_move(w->store, key, tab + 1, r->err, sizeof(r->err));
		free(key);
		break;
	}
	case WK_SEARCH: {
		struct pattern *p = NULL;

		r->status = pattern_parse(q->arg ? q->arg : "", q->arg ? strlen(q->arg) : 0, 0, &p,
		                          r->err, sizeof(r->err));
		if (r->status == WARY_OK)
			r->status = store_search(w->store, p, &r->keys, &r->nkeys, r->err, sizeof(r->err));
		pattern_free(&p);
		break;
	}
	case WK_SEND: {
		struct worker_send_env env = { w->store, secret_cb, w, send_progress, w };

		w->send_req = q;
		if (w->send_fn == NULL)
			r->status = err_set(r->err, sizeof(r->err), WARY_ERR, "sending is not set up");
		else
			r->status = w->send_fn(w->send_ctx, q->arg, &env, &r->data, r->err, sizeof(r->err));
		w->send_req = NULL;
		break;
	}
	case WK_SPAM:
		w->spam_req = q;
		if (w->spam_fn == NULL)
			r->status = err_set(r->err, sizeof(r->err), WARY_ERR, "the spam filter is not set up");
		else
			r->status = w->spam_fn(w->spam_ctx, w->store, q->arg, q->set, spam_progress, w,
			                       &r->data, r->err, sizeof(r->err));
		w->spam_req = NULL;
		break;
	case WK_ROWS:
	case WK_SECRET:
	case WK_PROGRESS:
	case WK_CONN:
	case WK_SEND_PROGRESS:
	case WK_SPAM_PROGRESS:
		r->status = err_set(r->err, sizeof(r->err), WARY_ERR, "not a request");
		break;
	}
out:
	post(w, r);
}

/* Tell the UI when the connection's state changed (online, reconnecting,
 * offline, the queue of actions waiting for the server). */
static void post_conn(struct worker *w)
{
	struct store_conn_state now;
	struct wk_reply *r;

	if (w->store == NULL)
		return;
	store_connection_state(w->store, &now);
	if (now.state == w->conn.state && now.queued == w->conn.queued &&
	    now.attempts == w->conn.attempts && strcmp(now.reason, w->conn.reason) == 0)
		return;
	w->conn = now;
	r = xcalloc(1, sizeof(*r));
	r->kind = WK_CONN;
	r->gen = atomic_load(&w->newest_gen);
	r->conn = now;
	buf_init(&r->data);
	post(w, r);
}

/* Nothing to do: a server store waits for news (IDLE, or a NOOP poll),
 * ending at once when the UI sends a request. */
static void idle_wait(struct worker *w)
{
	char err[WARY_ERRLEN], drain[64];
	int rc = store_wait(w->store, w->req_rd, 300000, err, sizeof(err));

	while (read(w->req_rd, drain, sizeof(drain)) > 0)
		;
	post_conn(w);
	/* On a timeout too: the check's NOOP finds a connection that died
	 * without a word (a suspend, a dropped route). */
	if (rc == STORE_WAIT_CHANGED || rc == STORE_WAIT_TIMEOUT) {
		struct wk_req q = { WK_CHECK, atomic_load(&w->newest_gen), NULL, 0, 0, NULL };

		serve(w, &q);
		post_conn(w);
	}
}

static bool is_server_store(const struct worker *w)
{
	return w->store != NULL && strcmp(store_kind(w->store), "maildir") != 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		struct wk_req *q;

		pthread_mutex_lock(&w->lock);
		if (w->req_head == NULL && !w->quit && is_server_store(w)) {
			pthread_mutex_unlock(&w->lock);
			idle_wait(w);
			continue;
		}
		while (w->req_head == NULL && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		/* Quit only once the queue is empty: a flag change or a purge
		 * asked for just before quitting must still happen. */
		if (w->req_head == NULL) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		q = w->req_head;
		w->req_head = q->next;
		if (w->req_head == NULL)
			w->req_tail = NULL;
		pthread_mutex_unlock(&w->lock);

		serve(w, q);
		post_conn(w);
		free(q->arg);
		free(q);
	}
	store_free(&w->store);
	return NULL;
}

int worker_new(const char *cache, struct worker **out, char *err, size_t errlen)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	int fds[2];
	int rc = WARY_OK;

	w->pipe_rd = w->pipe_wr = w->req_rd = w->req_wr = -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_cond_init(&w->secret_cond, NULL);
	pthread_cond_init(&w->taken, NULL);
	w->cache = xstrdup_null(cache);
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = err_set(err, errlen, WARY_EIO, "pipe: %s", strerror(errno));
		goto fail;
	}
	w->pipe_rd = fds[0];
	w->pipe_wr = fds[1];
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = err_set(err, errlen, WARY_EIO, "pipe: %s", strerror(errno));
		goto fail;
	}
	w->req_rd = fds[0];
	w->req_wr = fds[1];
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		rc = err_set(err, errlen, WARY_ERR, "cannot start the mailbox thread");
		goto fail;
	}
	w->started = true;
	*out = w;
	return WARY_OK;
fail:
	worker_free(&w);
	return rc;
}

static void wake_worker(struct worker *w)
{
	char c = 1;

	if (w->req_wr >= 0 && write(w->req_wr, &c, 1) < 0) {
		/* a full pipe already wakes it */
	}
}

void worker_free(struct worker **pw)
{
	struct worker *w = *pw;

	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->quit = true;
		atomic_store(&w->quitting, true);
		pthread_cond_signal(&w->cond);
		pthread_cond_broadcast(&w->secret_cond);
		pthread_cond_broadcast(&w->taken);
		pthread_mutex_unlock(&w->lock);
		wake_worker(w);
		pthread_join(w->thread, NULL);
	}
	while (w->req_head) {
		struct wk_req *q = w->req_head;

		w->req_head = q->next;
		free(q->arg);
		free(q);
	}
	while (w->rep_head) {
		struct wk_reply *r = w->rep_head;

		w->rep_head = r->next;
		wk_reply_free(&r);
	}
	if (w->pipe_rd >= 0)
		close(w->pipe_rd);
	if (w->pipe_wr >= 0)
		close(w->pipe_wr);
	if (w->req_rd >= 0)
		close(w->req_rd);
	if (w->req_wr >= 0)
		close(w->req_wr);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->secret_cond);
	pthread_cond_destroy(&w->taken);
	explicit_bzero(w->secret, sizeof(w->secret));
	free(w->cache);
	free(w);
	*pw = NULL;
}

int worker_fd(const struct worker *w)
{
	return w->pipe_rd;
}

void worker_send(struct worker *w, enum wk_kind kind, unsigned gen, const char *arg,
                 unsigned set, unsigned clear)
{
	worker_send_take(w, kind, gen, xstrdup_null(arg), set, clear);
}

void worker_send_take(struct worker *w, enum wk_kind kind, unsigned gen, char *arg,
                      unsigned set, unsigned clear)
{
	struct wk_req *q = xcalloc(1, sizeof(*q));

	q->kind = kind;
	q->gen = gen;
	q->arg = arg;
	q->set = set;
	q->clear = clear;
	if (gen > atomic_load(&w->newest_gen))
		atomic_store(&w->newest_gen, gen);
	pthread_mutex_lock(&w->lock);
	if (w->req_tail)
		w->req_tail->next = q;
	else
		w->req_head = q;
	w->req_tail = q;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	wake_worker(w); /* it may be waiting in IDLE */
}

void worker_set_account(struct worker *w, const struct worker_account *wa)
{
	w->wa = wa;
}

void worker_answer_secret(struct worker *w, const char *secret)
{
	pthread_mutex_lock(&w->lock);
	w->secret_given = secret != NULL && strlen(secret) < sizeof(w->secret);
	if (w->secret_given)
		str_copy(w->secret, secret, sizeof(w->secret));
	w->secret_answered = true;
	pthread_cond_broadcast(&w->secret_cond);
	pthread_mutex_unlock(&w->lock);
}

struct wk_reply *worker_take(struct worker *w)
{
	struct wk_reply *r;
	char drain[64];

	pthread_mutex_lock(&w->lock);
	r = w->rep_head;
	if (r) {
		w->rep_head = r->next;
		if (w->rep_head == NULL)
			w->rep_tail = NULL;
		r->next = NULL;
		if (r->kind == WK_ROWS && w->rows_queued > 0) {
			w->rows_queued--;
			pthread_cond_signal(&w->taken);
		}
	} else {
		/* Empty queue: the pipe bytes are stale wake-ups. */
		while (read(w->pipe_rd, drain, sizeof(drain)) > 0)
			;
	}
	pthread_mutex_unlock(&w->lock);
	return r;
}
