#ifndef WARY_STORE_H
#define WARY_STORE_H
/*
 * store: one ops table for every kind of mailbox (Maildir now; IMAP and
 * POP3->Maildir later).  A struct store is owned by one thread at a time:
 * the UI runs it inside a worker and talks to it by messages, so a slow
 * disk or network never blocks the keys.
 *
 * Messages are named by a key the backend chooses (the Maildir base name
 * without its ":2,FLAGS" info; an IMAP UID later).  Keys are stable while
 * the folder is open, also across flag changes.
 */
#include "base/base.h"

enum store_flag {
	STORE_SEEN = 1 << 0,
	STORE_ANSWERED = 1 << 1,
	STORE_FLAGGED = 1 << 2,
	STORE_DELETED = 1 << 3, /* marked for expunge (Maildir "T") */
	STORE_DRAFT = 1 << 4,
	STORE_PASSED = 1 << 5,  /* forwarded */
	STORE_NEW = 1 << 6,     /* not seen by any client yet (Maildir new/) */
};

/* One row of a folder index: the header fields the index, sorting and
 * threading need, raw (undecoded) as they stand in the message. */
struct store_row {
	char *key;
	unsigned flags;      /* enum store_flag */
	/* Every string is in one block that key starts (free(key) frees them
	 * all): a store_row_cb may take such a row by moving it out and
	 * clearing it, instead of copying it.  (Beside flags: no padding.) */
	bool packed;
	time_t date;         /* Date header, or delivery time when absent/bad */
	int64_t size;        /* bytes */
	char *from;          /* raw header values, NULL when absent */
	char *to;
	char *subject;
	char *message_id;
	char *in_reply_to;
	char *references;
	char *content_type;  /* to mark attachments in the index */
};
void store_row_clear(struct store_row *r);
/* dst = a copy of src with every string its own (not packed). */
void store_row_copy(struct store_row *dst, const struct store_row *src);

struct store_folder {
	char *name;         /* display name, "INBOX" for the top Maildir */
	char *id;           /* what store_select() takes */
	unsigned total, unread;
	char *special;      /* "sent", "drafts", "junk", "trash", "archive" or NULL */
};
void store_folder_clear(struct store_folder *f);

/* Called for every batch of rows while an index is read; `done` and
 * `total` give progress (total may be 0 when unknown).  Rows are
 * borrowed: copy what you keep, or take a packed one (and clear it).
 * Return non-zero to cancel. */
typedef int (*store_row_cb)(void *ctx, struct store_row *rows, size_t n,
                            size_t done, size_t total);

struct store;
struct pattern; /* src/pattern/pattern.h */

struct store_ops {
	const char *kind; /* "maildir", ... */
	int (*open)(struct store *s, const char *location, char *err, size_t errlen);
	void (*close)(struct store *s);
	int (*list_folders)(struct store *s, struct store_folder **out, size_t *n,
	                    char *err, size_t errlen);
	int (*select)(struct store *s, const char *folder, char *err, size_t errlen);
	int (*index)(struct store *s, store_row_cb cb, void *ctx, char *err, size_t errlen);
	int (*fetch)(struct store *s, const char *key, struct buf *out, char *err, size_t errlen);
	int (*set_flags)(struct store *s, const char *key, unsigned set, unsigned clear,
	                 char *err, size_t errlen);
	int (*expunge)(struct store *s, char *err, size_t errlen);
	int (*copy)(struct store *s, const char *key, const char *folder, char *err, size_t errlen);
	int (*move)(struct store *s, const char *key, const char *folder, char *err, size_t errlen);
	int (*append)(struct store *s, const char *folder, const char *data, size_t len,
	              unsigned flags, char **key_out, char *err, size_t errlen);
	/* New mail since the last index/check: rows for new messages and
	 * keys that vanished.  *changed says whether anything changed. */
	int (*check)(struct store *s, bool *changed, char *err, size_t errlen);
	/* Optional: the details of check (see store_check_changes). */
	int (*check_changes)(struct store *s, store_row_cb cb, void *ctx, char ***vanished,
	                     size_t *nvanished, char *err, size_t errlen);
	/* Optional: the keys matching a pattern (see store_search). */
	int (*search)(struct store *s, const struct pattern *p, char ***keys, size_t *n,
	              char *err, size_t errlen);
	/* Optional: one MIME part (see store_fetch_part); without it the
	 * part is cut from the whole message store_fetch gives. */
	int (*fetch_part)(struct store *s, const char *key, const char *part, struct buf *out,
	                  char *err, size_t errlen);
};

/* A server account, for store_open_account.  Strings are borrowed for
 * the call; the store copies what it keeps. */
enum store_tls { STORE_TLS_IMPLICIT, STORE_TLS_STARTTLS };
struct store_account {
	const char *name;          /* the account's name in the config */
	const char *kind;          /* "imap" or "pop3" */
	const char *host;
	int port;                  /* 0: the default for kind and tls */
	const char *user;
	enum store_tls tls;
	const char *ca_file;       /* extra CAs, NULL: the system store only */
	const char *trusted_sha256;/* a certificate fingerprint the user trusts, or NULL */
	const char *auth;          /* "auto", "login", "plain", "xoauth2", "oauthbearer" */
	const char *cache_dir;     /* header/UIDL caches; NULL: none */
	const char *maildir;       /* pop3: where mail is delivered */
	bool pop3_keep;
	int pop3_keep_days;
	long pop3_max_size;
	bool pop3_apop;
	int keepalive_s;           /* imap: an IDLE is checked this often (DONE must be
	                            * answered within 6 s); 0: 120 s (imap_keepalive) */
	/* Asked on the store's thread when a secret is needed ("password" or
	 * "token"); fills buf (NUL-terminated) and returns WARY_OK, or an
	 * error to give up.  Secrets live in memory only. */
	int (*secret)(void *ctx, const char *what, char *buf, size_t len);
	void *secret_ctx;
};

/* Open a mailbox: a path to a Maildir (or a folder holding Maildirs, in
 * the Maildir++ or plain-folder layout). */
int store_open(const char *location, struct store **out, char *err, size_t errlen);
void store_free(struct store **s);
/* Open a server account (IMAP; POP3 downloads into acct->maildir and is
 * then read as that Maildir).  A certificate that does not verify fails
 * with WARY_ECERT and err holding its SHA-256 fingerprint. */
int store_open_account(const struct store_account *acct, struct store **out, char *err,
                       size_t errlen);

/*
 * POP3 download (design 4.10): fetch what is new on the server into
 * acct->maildir, then store_open_account opens that Maildir.  Runs on the
 * account's worker thread; blocks on the network.
 *
 * Each message is read into memory (at most pop3_max_size; larger ones
 * stay on the server with a notice), delivered with maildir_deliver and
 * recorded in a journal in the Maildir and in a table in cache_dir
 * (pop3-NAME.db) before the server is asked to delete it (pop3_keep = no,
 * or pop3_keep_days after the download).  A kill at any point loses and
 * duplicates nothing.  Stored bytes: dot-unstuffed, CRLF as LF, nothing
 * else changed (a bare LF, CR or NUL stays).
 *
 * cb (may be NULL) is called with messages handled of total and bytes
 * downloaded of the listed total, after each message and every 256 KiB
 * of a long one; non-zero cancels (rep->cancelled, WARY_ERR): what was
 * recorded stays recorded, the rest stays on the server.
 *
 * Status: WARY_OK when every message was handled (some may have been
 * skipped or refused: see the counts and notices); WARY_ENET,
 * WARY_ECERT, WARY_ESECURITY, WARY_EAUTH, WARY_EPARSE from the
 * connection and the login; WARY_ERR for a second download of the same
 * account at once, a server without UIDL, or cancel; WARY_EIO when the
 * Maildir or the table cannot be written.  rep is filled in every case;
 * free its notices with store_pop3_report_clear.
 */
struct store_pop3_report {
	size_t listed;        /* messages on the server */
	size_t fetched;       /* downloaded and stored by this run */
	size_t known;         /* stored by an earlier run */
	size_t recovered;     /* found in the Maildir after an interrupted run */
	size_t same_content;  /* a new UIDL for a message already stored (the server
	                       * renumbered): recorded, not stored twice */
	size_t deleted;       /* deleted from the server (QUIT confirmed) */
	size_t skipped_size;  /* over pop3_max_size: left on the server */
	size_t failed;        /* refused by the server or without a usable UIDL: left there */
	uint64_t bytes;       /* stored by this run */
	bool apop;            /* logged in with APOP (weak; the account asked for it) */
	bool rebuilt;         /* the table was rebuilt from the Maildir's journal */
	bool cancelled;
	char **notices;       /* one line each, already safe for a terminal */
	size_t nnotices;
};
typedef int (*store_pop3_progress_cb)(void *ctx, size_t done, size_t total, uint64_t bytes,
                                      uint64_t total_bytes);
int store_pop3_fetch(const struct store_account *acct, store_pop3_progress_cb cb, void *ctx,
                     struct store_pop3_report *rep, char *err, size_t errlen);
void store_pop3_report_clear(struct store_pop3_report *rep);
/* The account's table file (caller frees). */
char *store_pop3_table_path(const struct store_account *acct);
const char *store_kind(const struct store *s);
const char *store_location(const struct store *s);
/* The folder currently selected ("INBOX" after open). */
const char *store_current(const struct store *s);

int store_list_folders(struct store *s, struct store_folder **out, size_t *n,
                       char *err, size_t errlen);
void store_folders_free(struct store_folder **v, size_t n);
int store_select(struct store *s, const char *folder, char *err, size_t errlen);
/* Read the index of the selected folder, in batches, through cb. */
int store_index(struct store *s, store_row_cb cb, void *ctx, char *err, size_t errlen);
/*
 * The message key as bytes, appended to out.  Blocks on the disk or the
 * network: call it on the worker thread.
 *
 * IMAP: a message up to 256 KB (RFC822.SIZE) is one BODY.PEEK[].  A bigger
 * one is fetched by its BODYSTRUCTURE: the header, the MIME header of
 * every part and the bodies of the text/plain and text/html parts that
 * are not attachments (up to 4 MB each), put together as a well-formed
 * MIME message of the same tree.  Every other part keeps its own header
 * (type, name, disposition) plus
 *     X-Wary-Omitted: 2097152 bytes, fetch on demand as part 2
 * and an empty body; such a field in a part the sender wrote is dropped.
 * The multiparts of such a message get new boundaries.  A BODYSTRUCTURE
 * over the limits (4096 parts, 32 levels) or one the server's bytes do
 * not match is not trusted: the message is fetched whole instead.
 *
 * The bytes are kept in the account's cache file (folder, UIDVALIDITY,
 * UID; at most 256 MB an account, the least recently read go first): a
 * message read before is read from there, without the network, also
 * while the connection is down.  A cached copy whose length is not the
 * one recorded is dropped and fetched again.
 */
int store_fetch(struct store *s, const char *key, struct buf *out, char *err, size_t errlen);
/*
 * One MIME part of message key, for saving an attachment store_fetch left
 * on the server (or any other part).  part is the IMAP section number
 * ("2", "1.3"; RFC 3501 6.4.5): the one in the part's X-Wary-Omitted
 * field, or counted in the tree (a multipart's children from 1, parts
 * inside a message/rfc822 part n as n.1, n.2 ...; the body of a message
 * that is not multipart is part 1).
 *
 * out gets the part as it stands in the message: its MIME header, an
 * empty line and its body, still transfer-encoded.  To save it:
 *
 *   struct buf raw; struct mail_msg *pm; struct buf bytes;
 *   rc = store_fetch_part(s, key, "2", &raw, err, len);
 *   rc = mail_parse(raw.data, raw.len, &pm, err, len);
 *   name = mail_part_filename(mail_root(pm));
 *   rc = mail_part_decode(mail_root(pm), &bytes, err, len);
 *
 * IMAP: one UID FETCH (BODY.PEEK[part.MIME] BODY.PEEK[part]), or none when
 * the message is cached whole; Maildir: cut from the file.  WARY_ENOENT
 * for no such message or part, WARY_ELIMIT over 256 MB, and the errors of
 * store_fetch.
 */
int store_fetch_part(struct store *s, const char *key, const char *part, struct buf *out,
                     char *err, size_t errlen);
int store_set_flags(struct store *s, const char *key, unsigned set, unsigned clear,
                    char *err, size_t errlen);
/* Remove messages flagged STORE_DELETED from the selected folder. */
int store_expunge(struct store *s, char *err, size_t errlen);
int store_copy(struct store *s, const char *key, const char *folder, char *err, size_t errlen);
/* Move is atomic where the backend allows, otherwise copy-then-delete:
 * a failure in the middle leaves the message in at least one place. */
int store_move(struct store *s, const char *key, const char *folder, char *err, size_t errlen);
int store_append(struct store *s, const char *folder, const char *data, size_t len,
                 unsigned flags, char **key_out, char *err, size_t errlen);
int store_check(struct store *s, bool *changed, char *err, size_t errlen);

/*
 * The connection of a server store (IMAP).  A dropped connection (read or
 * write error, BYE, timeout) is noticed by the call that meets it; from
 * then on every call that needs the server first tries to connect again,
 * at most once per backoff step (1, 2, 4 ... 60 s between attempts, never
 * in a loop), logs in again (asking acct->secret again), replays the
 * queued actions, selects the folder again; the next store_check_changes
 * resyncs it through the cache.  Between attempts such calls fail at once
 * with WARY_ENET ("reconnecting in N s").
 *
 * Actions (set_flags, expunge, copy, move, append) taken while the
 * connection is down, or that it drops in the middle of, are queued in
 * the account's cache file (durable before the call returns), applied to
 * the local state, and return WARY_OK; they are replayed in order on
 * reconnect (also after a crash, at the next open), each removed only
 * once the server confirmed it.  A replay looks before it repeats a copy,
 * move or append that may have been done (by Message-ID), so nothing is
 * done twice.  An action the server refuses at replay (a folder deleted
 * meanwhile) is dropped and counted.  Without a cache file (cache_dir
 * NULL) the queue lives in memory only.
 */
/*
 * Opening an account whose server cannot be reached (no route, refused,
 * timed out; not a refused login or certificate) still succeeds when the
 * account's cache file knows INBOX: the folder, its rows and flags and
 * the bodies read before come from the cache, actions are queued, the
 * state is RECONNECTING with from_cache set, and the attempts go on with
 * the same backoff.  store_select of another folder the cache knows works
 * the same way.  Once a connection is made, store_wait returns
 * STORE_WAIT_CHANGED and the check resyncs the folder.
 */
enum store_conn {
	STORE_CONN_LOCAL,        /* no connection (Maildir) */
	STORE_CONN_ONLINE,
	STORE_CONN_RECONNECTING, /* down; an attempt is made in retry_in_ms */
	STORE_CONN_OFFLINE,      /* down; no attempt without store_reconnect (the
	                          * login or the certificate was refused) */
};
struct store_conn_state {
	enum store_conn state;
	long retry_in_ms;        /* RECONNECTING: until the next attempt, 0: due now */
	unsigned attempts;       /* failed attempts since the connection dropped */
	size_t queued;           /* actions waiting for the server */
	unsigned refused;        /* queued actions the server refused at replay */
	char reason[WARY_ERRLEN];/* why it is down (already safe for a terminal), "" */
	bool from_cache;         /* down since open: what is shown is the cache's */
};
/* Cheap, no network: call it after any store call and show it. */
void store_connection_state(struct store *s, struct store_conn_state *out);
/* Try to connect now, whatever the backoff (the user asked; the machine
 * woke from suspend).  WARY_OK when online (also when it was). */
int store_reconnect(struct store *s, char *err, size_t errlen);

/*
 * Wait for news of the selected folder, for the worker between requests.
 * Returns one of
 *   STORE_WAIT_CHANGED  the server announced new mail, an expunge or flag
 *                       changes, or the connection was made again: call
 *                       store_check_changes now
 *   STORE_WAIT_WAKE     wake_fd became readable (not drained here): serve
 *                       the request
 *   STORE_WAIT_TIMEOUT  timeout_ms passed without news (-1: no limit)
 * or a negative WARY_E*: WARY_ENET when the connection dropped during the
 * wait or an attempt to make it again failed; show store_connection_state
 * and call store_wait again, which sleeps (on wake_fd) until the next
 * attempt is due, so a loop over store_wait never spins.
 *
 * IMAP with IDLE: IDLE until news, wake_fd or timeout, then DONE; renewed
 * every 25 minutes (servers end an IDLE after 30).  Without IDLE (or
 * masked): a NOOP every min(timeout_ms, 60 s).  Other kinds: waits on
 * wake_fd for timeout_ms and returns WAKE or TIMEOUT.
 *
 * The worker's loop (ui/worker.c):
 *   for (;;) {
 *       if a request is queued: serve it; continue;
 *       rc = store_wait(s, wake_rd, timeout, err, len);
 *       post store_connection_state(s) to the UI when it changed;
 *       if (rc == STORE_WAIT_CHANGED) run WK_CHECK (store_check_changes);
 *       rc == STORE_WAIT_WAKE: read the wake byte(s); the loop serves it
 *   }
 * where wake_rd is a pipe or eventfd that worker_send writes to.
 */
enum store_wait_result { STORE_WAIT_CHANGED = 1, STORE_WAIT_WAKE = 2, STORE_WAIT_TIMEOUT = 3 };
int store_wait(struct store *s, int wake_fd, int timeout_ms, char *err, size_t errlen);

/* The header cache file.  By default a store caches index rows in
 * $XDG_CACHE_HOME/wary/<kind>-<hash of the location>.db; call this
 * before store_index() to use another file, or with NULL to disable the
 * cache.  A corrupt cache, or one of another schema version, is rebuilt. */
void store_set_cache(struct store *s, const char *path_or_null);
/* The cache file in use, or NULL when disabled. */
const char *store_cache_path(const struct store *s);
/* The default cache file for a location inside directory `dir` (the
 * header_cache setting). */
char *store_default_cache_path(const char *dir, const char *kind, const char *location);

/* What check found: rows of new messages (and of messages whose flags
 * changed) through cb, and the keys that vanished (caller frees with
 * store_keys_free).  store_check() is this without the details. */
int store_check_changes(struct store *s, store_row_cb cb, void *ctx, char ***vanished,
                        size_t *nvanished, char *err, size_t errlen);
void store_keys_free(char **keys, size_t n);

/*
 * Search and limit: the keys of the messages in the selected folder that
 * match p (pattern_parse, src/pattern/pattern.h), in no particular order;
 * free them with store_keys_free.  Blocks on the network or the disk:
 * call it on the worker thread.
 *
 *  IMAP     one UID SEARCH on the server (pattern_imap's keys; literals
 *           wait for the go-ahead).  Only UIDs come back: no header is
 *           fetched, the rows are in the index already.  A UID the index
 *           does not have yet (mail that arrived since) is new mail for
 *           store_check_changes to bring.
 *  Maildir  pattern_match on the index rows (the header cache makes that
 *           a pass over SQLite); a file is read only for a row that ~c,
 *           ~C, ~h, ~b or ~B must decide after the row's own fields did
 *           not.  A file that vanished meanwhile does not match.
 *
 * The UI's limit: p = pattern_parse(text...), then store_search on the
 * worker, then show the rows whose keys came back.  A pattern for which
 * pattern_needs_message() is false may instead be matched on the rows the
 * UI holds with pattern_match(p, row, NULL, NULL), without a round trip.
 * WARY_ERR when the backend cannot search (no such op).
 */
int store_search(struct store *s, const struct pattern *p, char ***keys, size_t *n,
                 char *err, size_t errlen);

/* For backends: the table and private data of a store. */
struct store *store_new_with(const struct store_ops *ops, void *priv);
void *store_priv(struct store *s);
void store_set_priv(struct store *s, void *priv);
void store_set_current(struct store *s, const char *folder);
/* What store_location() reports, for backends opened from an account. */
void store_set_location(struct store *s, const char *location);

/* Maildir helpers also used by POP3 download and the outbox. */
extern const struct store_ops store_maildir_ops;
/* Deliver data into a Maildir (tmp/, fsync, link into new/ or cur/ with
 * flags, fsync the directory).  Creates the Maildir if missing.  With
 * STORE_NEW in flags the file goes to new/ (no info), else to cur/ with
 * ":2,FLAGS".  Names are time.M<usec>P<pid>R<random>.host (the host with
 * "/" and ":" escaped as \057 and \072); an existing file is never
 * replaced.  *name_out (may be NULL) is the file name, info included. */
int maildir_deliver(const char *maildir, const char *data, size_t len, unsigned flags,
                    char **name_out, char *err, size_t errlen);
/* "2,FS" style info suffix for flags, and back. */
void maildir_flags_to_info(unsigned flags, char out[16]);
unsigned maildir_info_to_flags(const char *name);

#endif
