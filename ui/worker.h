#ifndef WARY_UI_WORKER_H
#define WARY_UI_WORKER_H
/*
 * worker: one thread that owns a struct store and serves the UI by
 * messages, so a slow disk (and later the network) never blocks a key.
 *
 * The UI sends requests; the worker answers with replies on a queue and
 * writes one byte to a pipe whose read end the UI polls.  Every request
 * carries the UI's generation number: opening another folder bumps it,
 * the worker stops a long index read as soon as it sees a newer one, and
 * the UI drops replies of an old generation.
 */
#include "base/base.h"
#include "store/store.h"

enum wk_kind {
	WK_OPEN,     /* arg: location; reply: status, then starts nothing */
	WK_SELECT,   /* arg: folder */
	WK_INDEX,    /* replies: WK_ROWS batches, then WK_INDEX with status */
	WK_FETCH,    /* key; reply carries the message bytes */
	WK_FLAGS,    /* key, set, clear */
	WK_EXPUNGE,
	WK_CHECK,    /* replies: WK_ROWS for new/changed, then WK_CHECK with vanished keys */
	WK_FOLDERS,  /* reply: folders */
	WK_ROWS,     /* reply only */
	WK_OPEN_ACCOUNT, /* open the account given to worker_set_account */
	WK_SECRET,   /* reply only: the store waits for a secret (arg: "password"
	              * or "token"); answer with worker_answer_secret */
	WK_POP3_FETCH, /* download the POP3 account's new mail; WK_PROGRESS replies,
	                * then this one with the summary in data */
	WK_PROGRESS, /* reply only: done/total (messages) of a long job */
	WK_SEARCH,   /* arg: a mutt pattern; reply: the matching keys */
	WK_FETCH_PART, /* arg: "KEY\tPART" (an IMAP section number); reply data:
	                * the part's MIME header and body, still encoded */
	WK_CONN,     /* reply only: the connection's state changed (conn) */
	WK_COPY,     /* arg: "KEY\tFOLDER" */
	WK_MOVE,     /* arg: "KEY\tFOLDER" */
	WK_SEND,     /* arg for the sender of worker_set_sender (ui/compose.c): a
	              * draft to send, or "flush"; reply data: what happened */
	WK_SEND_PROGRESS, /* reply only: a step of a send (data: text) */
	WK_SPAM,     /* arg for the spam filter's handler (worker_set_spam, ui/spam_ui.c) */
	WK_SPAM_PROGRESS, /* reply only: done/total of a folder being trained */
	WK_SAVE_THREADS, /* arg: "TAG\nTEXT", a folder's thread order (ui/index.c) kept
	                  * beside the header cache; WK_INDEX with arg TAG replies
	                  * with it in data */
};

struct wk_reply {
	enum wk_kind kind;
	unsigned gen;
	int status;                 /* WARY_OK or an error code */
	char err[WARY_ERRLEN];
	char *arg;                  /* the request's key or folder */
	struct store_row *rows;     /* WK_ROWS: copies whose strings are in arena */
	char *arena;
	size_t nrows, done, total;
	struct buf data;            /* WK_FETCH: message bytes; WK_OPEN_ACCOUNT refused
	                             * with WARY_ECERT: the certificate, see probe_cert */
	struct store_folder *folders;
	size_t nfolders;
	char **vanished;            /* WK_CHECK */
	size_t nvanished;
	char **keys;                /* WK_SEARCH */
	size_t nkeys;
	unsigned set, clear;        /* WK_FLAGS, echoed */
	struct store_conn_state conn; /* WK_CONN */
	struct wk_reply *next;
};
void wk_reply_free(struct wk_reply **r);

/* Rows cross from the worker packed: every string of a row lives in one
 * block that starts at its key, so worker_row_free (free the key) frees
 * it all.  Whoever takes rows from a reply frees them this way. */
void worker_row_pack(struct store_row *dst, const struct store_row *src);
void worker_row_free(struct store_row *r);

/* A server account as the worker opens it.  The store asks for secrets
 * on the worker's thread: a configured command is run there (stdin
 * /dev/null, first line of its output); without one the UI is asked by a
 * WK_SECRET reply and the worker waits for worker_answer_secret(). */
struct worker_account {
	struct store_account acct; /* strings owned by the caller for the worker's life */
	const char *password_command;
	const char *token_command;
};

struct worker;
/* Starts the thread.  cache: the header cache directory, NULL for none,
 * or "" for the store's default. */
int worker_new(const char *cache, struct worker **out, char *err, size_t errlen);
/* Stops the thread (a running index read is cancelled) and frees all. */
void worker_free(struct worker **w);
/* The fd to poll for readability; drain it with worker_take(). */
int worker_fd(const struct worker *w);
/* Queue a request.  arg may be NULL.  Bumping the generation (gen greater
 * than any seen before) cancels a running index read. */
void worker_send(struct worker *w, enum wk_kind kind, unsigned gen, const char *arg,
                 unsigned set, unsigned clear);
/* The same with arg (malloc'd, may be NULL) handed over, not copied. */
void worker_send_take(struct worker *w, enum wk_kind kind, unsigned gen, char *arg,
                      unsigned set, unsigned clear);
/* Before WK_OPEN_ACCOUNT; wa is borrowed for the worker's life. */
void worker_set_account(struct worker *w, const struct worker_account *wa);
/* The answer to a WK_SECRET reply: the secret, or NULL to give up.  The
 * worker wipes its copy once the store has used it. */
void worker_answer_secret(struct worker *w, const char *secret);
/* Run a secret command as the worker does: first line of its output into
 * buf.  For tests and check-config. */
int worker_run_secret_command(const char *cmd, char *buf, size_t len, char *err, size_t errlen);

/* WK_SEND runs fn on the worker's thread with what it holds: the open
 * store (NULL when none), the store's way of asking for a secret, and a
 * progress callback that posts WK_SEND_PROGRESS replies. */
struct worker_send_env {
	struct store *store;
	int (*secret)(void *ctx, const char *what, char *buf, size_t len);
	void *secret_ctx;
	void (*progress)(void *ctx, const char *what);
	void *progress_ctx;
};
typedef int (*worker_send_fn)(void *ctx, const char *arg, const struct worker_send_env *env,
                              struct buf *out, char *err, size_t errlen);
void worker_set_sender(struct worker *w, worker_send_fn fn, void *ctx);

/* WK_SPAM runs fn on the worker's thread with the open store, the
 * request's arg and set, and a progress callback that posts
 * WK_SPAM_PROGRESS replies (done, total). */
typedef int (*worker_spam_fn)(void *ctx, struct store *store, const char *arg, unsigned set,
                              void (*progress)(void *pctx, size_t done, size_t total),
                              void *pctx, struct buf *out, char *err, size_t errlen);
void worker_set_spam(struct worker *w, worker_spam_fn fn, void *ctx);

/* Pop the next reply, or NULL when none is waiting. */
struct wk_reply *worker_take(struct worker *w);

#endif
