#ifndef WARY_IMAP_INT_H
#define WARY_IMAP_INT_H
/* Inside src/store only (and its tests): the pieces of the IMAP backend
 * that do not need a server, its SQLite cache, and the counters and
 * switches the integration tests use to prove what went over the wire. */
#include "base/base.h"
#include "store/store.h"

/* ---- flags, keys, strings ---- */

/* One IMAP system flag or keyword -> enum store_flag bits (0: not ours). */
unsigned imap_flag_from_name(const char *name, size_t len);
/* The IMAP flag names for the settable bits of flags, in a fixed order,
 * separated by spaces ("\\Seen \\Flagged"); "" when none. */
void imap_flags_to_list(unsigned flags, struct buf *out);
/* A key is a UID: decimal, 1..4294967295, no sign, no leading zero. */
bool imap_key_to_uid(const char *key, uint32_t *uid);
/* The key of uid into key (NUL-ended); returns its length.  By hand: a
 * 100k-row index made snprintf a tenth of reading the cache. */
#define IMAP_KEY_SIZE 11
size_t imap_uid_to_key(uint32_t uid, char key[IMAP_KEY_SIZE]);

/* Append one address the way it would stand in a header:
 * `name <mbox@host>`, the name quoted when it is not a plain phrase.
 * name/route may be NULL; an empty host leaves just the mailbox. */
void imap_addr_format(struct buf *out, const char *name, const char *mbox, const char *host);

/* Standard base64 of data[0..len), appended (no line breaks). */
void imap_base64(struct buf *out, const void *data, size_t len);
/* The initial client responses (base64) of the SASL mechanisms we send
 * ourselves.  They hold secrets: wipe with imap_buf_wipe. */
void imap_sasl_plain(struct buf *out, const char *user, const char *password);
void imap_sasl_xoauth2(struct buf *out, const char *user, const char *token);
void imap_sasl_oauthbearer(struct buf *out, const char *user, const char *token);
/* Zero the bytes and release the buffer. */
void imap_buf_wipe(struct buf *b);

/* A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3) -> UTF-8.
 * Returns false (and leaves out as it was) when the name is malformed;
 * the caller then shows the raw name. */
bool imap_mutf7_decode(const char *in, struct buf *out);
/* The special-use attribute ("Sent", "\\Sent", any case) -> "sent", ...,
 * or NULL when it is none of ours. */
const char *imap_special_of(const char *attr);

/* ---- index FETCH responses (imap_fetch.c) ---- */

/* An address of an ENVELOPE list; NULL for NIL. */
struct imap_addr {
	char *name, *mailbox, *host;
};
#define IMAP_MAX_ADDRS 4096
enum imap_resp { IMAP_RESP_OTHER, IMAP_RESP_FETCH, IMAP_RESP_EXISTS, IMAP_RESP_EXPUNGE,
                 IMAP_RESP_VANISHED, IMAP_RESP_BYE };
/* One untagged response.  Its strings point into the text it was parsed
 * from (NUL-ended there), valid while that text is. */
struct imap_fetch {
	enum imap_resp kind;
	uint32_t seq;        /* EXISTS, EXPUNGE, FETCH: the number */
	uint32_t uid;        /* FETCH: 0 when it had no UID */
	bool has_flags, has_env, has_internal, has_body;
	unsigned flags;      /* enum store_flag */
	uint64_t modseq;
	int64_t size;
	time_t internal;
	char *env_date, *env_subject, *env_in_reply_to, *env_message_id;
	size_t from, nfrom, to, nto; /* ranges of addrs */
	char *body;          /* BODY[...] text, body_len bytes */
	size_t body_len;
	const char *set;     /* VANISHED: the UID set, set_len bytes */
	size_t set_len;
	struct imap_addr *addrs;
	size_t naddrs, capaddrs;
};
/* resp[0..len) is one untagged response as read from the wire, "* ..."
 * without its final CRLF, literals inline ({n} CRLF and n bytes); it is
 * rewritten in place.  WARY_OK (kind OTHER for responses the index does
 * not use) or WARY_EPARSE. */
int imap_fetch_parse(char *resp, size_t len, struct imap_fetch *out);
void imap_fetch_reset(struct imap_fetch *out);
void imap_fetch_release(struct imap_fetch *out);
/* The addresses first..first+n of x as they would stand in a header
 * (groups kept), appended up to about STORE_MAX_VALUE bytes. */
void imap_addrs_format(struct buf *b, const struct imap_fetch *x, size_t first, size_t n);

/* ---- the cache ----
 * One SQLite file per account: a row per folder (UIDVALIDITY,
 * HIGHESTMODSEQ, UIDNEXT) and a row per message (UID, flags, the index
 * fields).  A folder whose UIDVALIDITY changed is emptied; a file that is
 * corrupt, of another schema version or not ours is rebuilt or refused,
 * as the header cache does. */
struct icache;
/* 3: msg is kept in (folder, uid) order, so a folder's index is read
 * in one walk of the table instead of a seek per row. */
/* 5: a folder's detail_hi (rows still waiting for their second pass). */
/* 6: msg keyed by an integer (folder id << 32 | UID), not (name, UID). */
#define ICACHE_SCHEMA 6
struct icache_folder {
	uint32_t uidvalidity;
	uint64_t modseq;  /* HIGHESTMODSEQ the rows are in sync with, 0 unknown */
	uint32_t uidnext;
	uint32_t maxuid;  /* highest UID stored, 0 when no row */
	long count;       /* rows stored */
	uint32_t detail_hi; /* rows up to this UID lack References, Content-Type
	                     * and the INTERNALDATE fallback date; 0: none */
};
int icache_open(const char *path, struct icache **out, char *err, size_t errlen);
void icache_close(struct icache **ic);
/* Close and delete the file (after corruption showed up in use). */
void icache_destroy(struct icache **ic, const char *path);
bool icache_broken(const struct icache *ic);
/* What the cache holds for folder: false when nothing (never seen). */
bool icache_folder_get(struct icache *ic, const char *folder, struct icache_folder *out);
/* Start the folder over under a new UIDVALIDITY: every row dropped. */
void icache_folder_reset(struct icache *ic, const char *folder, uint32_t uidvalidity);
void icache_folder_set_detail(struct icache *ic, const char *folder, uint32_t hi);
void icache_folder_set_sync(struct icache *ic, const char *folder, uint64_t modseq,
                            uint32_t uidnext);
void icache_put(struct icache *ic, const char *folder, uint32_t uid, const struct store_row *row);
/* n rows at once (uids[i] is rows[i]'s UID): what a cold open writes, a
 * batch at a time. */
void icache_put_rows(struct icache *ic, const char *folder, const uint32_t *uids,
                     const struct store_row *rows, size_t n);
void icache_set_flags(struct icache *ic, const char *folder, uint32_t uid, unsigned flags);
void icache_delete(struct icache *ic, const char *folder, uint32_t uid);
/* The flags stored for uid; false when the cache has no such row. */
bool icache_flags(struct icache *ic, const char *folder, uint32_t uid, unsigned *flags);
long icache_count(struct icache *ic, const char *folder);
/* The folders the cache knows, by name, with their rows and unseen rows
 * counted; only id, total and unread are set (caller frees with
 * store_folders_free). */
struct store_folder *icache_folders(struct icache *ic, size_t *n);
/* Every row of folder, highest UID first; rows are borrowed for the
 * call.  Return non-zero from cb to stop. */
/* row is packed (store_row.packed): cb may take it (move it out, clear it). */
typedef int (*icache_row_cb)(void *ctx, uint32_t uid, struct store_row *row);
void icache_scan(struct icache *ic, const char *folder, icache_row_cb cb, void *ctx);
/* The one row of uid through cb; false when there is none. */
bool icache_get(struct icache *ic, const char *folder, uint32_t uid, icache_row_cb cb, void *ctx);
/* The UIDs stored for folder, ascending (caller frees). */
uint32_t *icache_uids(struct icache *ic, const char *folder, size_t *n);
/* The same for first <= uid <= last. */
uint32_t *icache_uids_between(struct icache *ic, const char *folder, uint32_t first,
                              uint32_t last, size_t *n);
/* The UIDs of folder whose stored flags have all of flag, ascending
 * (caller frees). */
uint32_t *icache_uids_with(struct icache *ic, const char *folder, unsigned flag, size_t *n);
int icache_begin(struct icache *ic);
int icache_commit(struct icache *ic);

/* ---- the outbox ----
 * Actions taken while the connection is down wait in the cache file, in
 * the order they were taken, until the server confirmed them.  Each write
 * is committed with a full sync before the call returns, so a crash loses
 * none; an entry is removed only after the server's OK, so a crash
 * between the two replays it (attempted tells the replay to look before
 * doing it again). */
enum imap_op { IMAP_OP_FLAGS = 1, IMAP_OP_EXPUNGE, IMAP_OP_COPY, IMAP_OP_MOVE, IMAP_OP_APPEND };
struct imap_outbox_entry {
	int64_t id;           /* set by the outbox */
	enum imap_op op;
	char *folder;         /* where uid lives; APPEND: the target */
	uint32_t uidvalidity; /* of folder when queued (0 for APPEND) */
	uint32_t uid;         /* FLAGS, COPY, MOVE */
	unsigned set, clear;  /* FLAGS; APPEND: the flags in set */
	char *target;         /* COPY, MOVE: the destination folder */
	char *uids;           /* EXPUNGE: the UID set marked \Deleted here */
	char *message_id;     /* COPY, MOVE, APPEND: how to find the message again */
	char *data;           /* APPEND: the message */
	size_t len;
	bool attempted;       /* sent at least once: the server may have done it */
};
void imap_outbox_entry_clear(struct imap_outbox_entry *e);
/* WARY_OK once the entry is on disk, else WARY_EIO. */
int icache_outbox_add(struct icache *ic, const struct imap_outbox_entry *e);
/* The oldest entry (caller clears it); false when there is none. */
bool icache_outbox_first(struct icache *ic, struct imap_outbox_entry *e);
int icache_outbox_mark_attempted(struct icache *ic, int64_t id);
int icache_outbox_remove(struct icache *ic, int64_t id);
long icache_outbox_count(struct icache *ic);

/* ---- what the backend did, for tests and WARY_TRACE ---- */
struct store_imap_stats {
	uint64_t bytes_in;       /* bytes received from the server since open */
	uint64_t fetch_rows;     /* FETCH responses that carried index fields */
	uint64_t fetch_flags;    /* FETCH responses with flags only */
	uint64_t fetch_details;  /* rows completed by their second pass (details) */
	uint64_t vanished;       /* UIDs reported gone (VANISHED or missing) */
	uint64_t cache_rows;     /* rows of the last index served from the cache */
	unsigned cache_rebuilds; /* cache file or folder started over */
	unsigned commands;       /* tagged commands sent */
	bool qresync, condstore; /* in use on this connection */
	bool idle;               /* IDLE in use (else NOOP polls) */
	char auth[16];           /* the mechanism that logged in */
	unsigned drops;          /* connections lost since open */
	unsigned reconnects;     /* connections made again */
	unsigned attempts;       /* connection attempts that failed */
	unsigned replayed;       /* queued actions the server confirmed */
	unsigned replay_skipped; /* queued actions found already done at replay */
	unsigned replay_refused; /* queued actions the server refused (dropped) */
	unsigned queued;         /* actions put in the outbox since open */
	unsigned idles;          /* IDLE commands sent */
	unsigned noops;          /* NOOP polls sent by store_wait */
	unsigned probe_timeouts; /* DONE or NOOP unanswered within the probe time: lost */
	unsigned keepalive_idle_s; /* TCP_KEEPIDLE of the socket, as the kernel reports it */
};
/* WARY_ENOENT when s is not an IMAP store. */
int store_imap_stats(struct store *s, struct store_imap_stats *out);

/* Capabilities the backend may pretend the server lacks, so a test can
 * drive the fallbacks against a server that has them all. */
enum imap_cap {
	IMAP_CAP_QRESYNC = 1 << 0,
	IMAP_CAP_CONDSTORE = 1 << 1,
	IMAP_CAP_MOVE = 1 << 2,
	IMAP_CAP_UIDPLUS = 1 << 3,
	IMAP_CAP_SASL_IR = 1 << 4,
	IMAP_CAP_AUTH_PLAIN = 1 << 5,
	IMAP_CAP_IDLE = 1 << 6,
	/* Not a capability: leave the outbox of an earlier run for the first
	 * call after open, so a test can set its replay hook first. */
	IMAP_TEST_LAZY_REPLAY = 1 << 16,
};
/* A list like "qresync,condstore" -> the mask imap_open_account takes
 * (the test driver's option; no config setting reaches it). */
unsigned imap_caps_mask_parse(const char *list);

/* For tests: called after the server confirmed the n-th action of a
 * replay (1, 2, ...) and before it leaves the outbox, the moment a crash
 * would leave an action done but still queued. */
void imap_set_replay_hook(struct store *s, void (*hook)(void *ctx, unsigned n), void *ctx);
/* For tests: the first delay between connection attempts, in ms (1000
 * by default; it doubles up to 60 s). */
void imap_set_backoff(struct store *s, int first_ms);
/* For tests: how long DONE or a poll's NOOP may go unanswered before the
 * connection counts as lost (6000 ms by default). */
void imap_set_probe(struct store *s, int probe_ms);

/* The IMAP side of store_connection_state, store_reconnect, store_wait. */
void imap_connection_state(struct store *s, struct store_conn_state *out);
int imap_reconnect(struct store *s, char *err, size_t errlen);
int imap_wait(struct store *s, int wake_fd, int timeout_ms, char *err, size_t errlen);

extern const struct store_ops store_imap_ops;
/* The backend's entry point, called by store_open_account. */
int imap_open_account(const struct store_account *acct, unsigned caps_mask, struct store **out,
                      char *err, size_t errlen);

/* ---- message bodies (imap_body.c) ----
 * store_fetch and store_fetch_part of the IMAP backend: the body cache
 * in the account's cache file, the BODYSTRUCTURE plan of a big message
 * and the MIME message put together from the parts a reader needs. */
struct mailimap_body;
struct mailimap_msg_att;
struct mailimap_section;
#define IMAP_BODY_SMALL (256 * 1024)          /* RFC822.SIZE up to this: BODY.PEEK[] */
#define IMAP_BODY_TEXT_MAX (4 * 1024 * 1024)  /* a text part fetched for reading */
#define IMAP_BODY_MAX_PARTS 4096
#define IMAP_BODY_MAX_DEPTH 32
#define IMAP_BODY_CACHE_MAX (256LL * 1024 * 1024) /* an account's cached bodies */
#define IMAP_BODY_CACHE_MEMORY (16LL * 1024 * 1024) /* without a cache file */

/* What the backend lends imap_body.c for one call. */
typedef void (*imap_att_hook)(void *ctx, const struct mailimap_msg_att *att);
struct imap_link_state {
	struct icache *ic;    /* NULL: no cache at all */
	bool persistent;      /* ic is a file (else memory) */
	const char *folder;   /* selected, or NULL */
	uint32_t uidvalidity;
	uint64_t row_size;    /* RFC822.SIZE from the index, 0 unknown */
};
struct imap_link {
	void *ctx;
	/* The current state (asked again after each command: a reconnect
	 * may have selected the folder anew). */
	void (*state)(void *ctx, uint32_t uid, struct imap_link_state *out);
	/* Connect if need be and send line (a UID FETCH of our own text);
	 * every FETCH response goes to hook.  WARY_OK when the server said OK. */
	int (*command)(void *ctx, const char *line, imap_att_hook hook, void *hookctx, char *err,
	               size_t errlen);
};
struct imap_body; /* per store: counters, the last folder pruned */
void imap_body_free(struct imap_body **b);
int imap_body_fetch(struct imap_body **b, const struct imap_link *l, uint32_t uid,
                    struct buf *out, char *err, size_t errlen);
int imap_body_fetch_part(struct imap_body **b, const struct imap_link *l, uint32_t uid,
                         const char *part, struct buf *out, char *err, size_t errlen);
struct imap_body_stats {
	unsigned hits;          /* store_fetch served from the cache */
	unsigned misses;        /* fetched from the server */
	unsigned partial;       /* of those, by BODYSTRUCTURE with parts left out */
	unsigned whole_fallback;/* BODYSTRUCTURE not trusted: fetched whole */
	unsigned corrupt;       /* cached copies dropped as damaged */
	unsigned evicted;       /* cached copies dropped for room */
	unsigned dropped_uidvalidity; /* cached copies dropped with a UIDVALIDITY */
	unsigned parts;         /* store_fetch_part calls served */
	unsigned parts_local;   /* of those, cut from a body cached whole */
	unsigned parts_cached;  /* of those, from the cache of parts fetched before */
	uint64_t omitted_bytes; /* left on the server by the last store_fetch */
};
/* WARY_ENOENT when s is not an IMAP store. */
int imap_body_stats(struct store *s, struct imap_body_stats *out);
const struct imap_body_stats *imap_body_counters(const struct imap_body *b);
/* The backend's state for s (NULL when s is not IMAP). */
struct imap_body **imap_body_of(struct store *s);
/* The cached bodies of the account (tests): rows, bytes, how many under
 * another UIDVALIDITY than uidvalidity for folder. */
void imap_body_cache_count(struct icache *ic, const char *folder, uint32_t uidvalidity,
                           long *rows, int64_t *bytes, long *stale);
/* Drop every cached body of folder (its UIDVALIDITY changed). */
void imap_body_forget_folder(struct icache *ic, const char *folder);
/* Damage one cached body (tests): its length no longer the recorded one. */
void imap_body_cache_damage(struct icache *ic, const char *folder, uint32_t uid);
/* The SQLite connection of the cache (imap_cache.c). */
struct sqlite3 *icache_db(struct icache *ic);
/* Whether ic is still usable; marks it broken after a damaging result. */
void icache_note(struct icache *ic, int sqlite_rc);

/* The plan of a big message from its BODYSTRUCTURE.  WARY_ELIMIT for
 * one over the limits or otherwise not to be trusted: fetch it whole. */
struct imap_body_plan;
int imap_body_plan_new(const struct mailimap_body *bs, struct imap_body_plan **out, char *err,
                       size_t errlen);
void imap_body_plan_free(struct imap_body_plan **p);
/* The FETCH items to ask for, in command lines of at most max bytes
 * ("UID FETCH 7 (BODY.PEEK[HEADER] ...)"); caller frees with store_keys_free. */
char **imap_body_plan_commands(const struct imap_body_plan *p, uint32_t uid, size_t max,
                               size_t *n);
/* One section the server sent ("HEADER", "2.MIME", "1.1"); others are ignored. */
void imap_body_plan_take(struct imap_body_plan *p, const char *section, const char *data,
                         size_t len);
/* The MIME message of the plan; *omitted gets the bytes left on the server. */
int imap_body_plan_assemble(struct imap_body_plan *p, struct buf *out, uint64_t *omitted,
                            char *err, size_t errlen);
/* The section of a FETCH body item as a string, "" for BODY[] (false for
 * one we never ask for). */
bool imap_section_name(const struct mailimap_section *sec, char *out, size_t len);

#endif
