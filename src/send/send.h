#ifndef WARY_SEND_H
#define WARY_SEND_H
/*
 * send: everything between "the user finished writing" and "the message
 * is in the Sent folder".
 *
 *   compose  a draft (headers, UTF-8 text, attachments) -> MIME bytes:
 *            8bit/QP/base64 only when needed, RFC 2047 encoded words
 *            only where needed, RFC 2231 file names, Message-ID, Date,
 *            In-Reply-To/References; reply, group/list reply and forward
 *            drafts made from a parsed message; the $EDITOR file format
 *   dlp      outbound checks: card numbers (Luhn + IIN), IBANs (mod 97),
 *            US SSNs, private key blocks, a pattern from the config
 *   hashcash version-1 stamps: mint, verify, spent-stamp table (SQLite)
 *   submit   SMTP submission on net's verified session (AUTH PLAIN,
 *            LOGIN, XOAUTH2, OAUTHBEARER; SIZE, 8BITMIME, SMTPUTF8), or a
 *            sendmail_command
 *   outbox   the durable path (design 4.10): outbox Maildir (fsynced) ->
 *            submission -> Sent -> removed, every step journalled, so a
 *            crash anywhere loses nothing and sends nothing twice
 *
 * Strings returned here that came from a message or a server are NOT
 * made safe: pass them through safe_text() before a terminal sees them.
 */
#include "base/base.h"

struct mail_msg;
struct store;

/* ------------------------------------------------------------ compose */

struct send_attach {
	char *path;      /* where the bytes were read from (for the compose view), or NULL */
	char *name;      /* file name in the message (UTF-8), or NULL */
	char *type;      /* MIME type; NULL: detected by libmagic from the bytes */
	char *data;      /* the bytes */
	size_t len;
	bool inline_msg; /* message/rfc822 forwarded as a message */
};

struct send_draft {
	char *from, *to, *cc, *bcc, *subject; /* UTF-8, as the user writes them */
	char *reply_to;
	char *in_reply_to, *references;       /* raw msg-ids, or NULL */
	char *message_id;                     /* "<...>"; NULL: made when built */
	char *body;                           /* UTF-8 text, LF or CRLF line ends */
	struct send_attach *att;
	size_t natt;
	char **extra;                         /* more header fields "Name: value", e.g. X-Hashcash */
	size_t nextra;
};
void send_draft_init(struct send_draft *d);
void send_draft_clear(struct send_draft *d);
/* Read a file (libmagic types it when type is NULL) and add it. */
int send_draft_attach_file(struct send_draft *d, const char *path, const char *type,
                           char *err, size_t errlen);
void send_draft_attach_data(struct send_draft *d, const char *name, const char *type,
                            const char *data, size_t len);
void send_draft_detach(struct send_draft *d, size_t i);
void send_draft_add_header(struct send_draft *d, const char *name, const char *value);

struct send_build_opts {
	time_t date;            /* 0: now */
	const char *boundary;   /* NULL: random (tests fix it) */
	const char *msgid_host; /* right side of a new Message-ID; NULL: the From's domain */
};

/* The body as ONE MIME entity (its Content-* headers, an empty line, the
 * body; CRLF line ends): text/plain alone, or multipart/mixed with the
 * attachments.  This is what crypto_sign_entity/crypto_encrypt_entity
 * take and give back.  Also tells whether 8bit text is inside. */
int send_build_entity(const struct send_draft *d, const struct send_build_opts *o,
                      struct buf *entity, bool *eightbit, char *err, size_t errlen);
/* The top-level header fields (From, To, Cc, Subject, Date, Message-ID,
 * In-Reply-To, References, MIME-Version, extra...), Bcc never, CRLF
 * ends, no empty line.  Sets d->message_id when it was NULL. */
int send_build_headers(struct send_draft *d, const struct send_build_opts *o, struct buf *out,
                       char *err, size_t errlen);
/* Both, joined: the whole message. */
int send_build(struct send_draft *d, const struct send_build_opts *o, struct buf *out,
               char *err, size_t errlen);

/* RFC 2047: value as one unstructured header field body, encoded words
 * only for the words that need them, folded at 78 columns; name_len is
 * the length of "Name: " already on the first line. */
void send_encode_unstructured(struct buf *out, const char *value, size_t name_len);
/* An address list as the user wrote it ("Ada Lovelace <ada@x>, bob@y")
 * made into a header field body: display names encoded where needed,
 * addresses as written, folded between addresses.  WARY_EPARSE names the
 * address that does not parse. */
int send_encode_addresses(struct buf *out, const char *list, size_t name_len, char *err,
                          size_t errlen);
/* The bare addresses of a user's list (for RCPT TO); caller frees with
 * send_strv_free.  WARY_EPARSE on an address that does not parse, and for
 * a list over 1000 addresses. */
int send_addresses(const char *list, char ***out, size_t *n, char *err, size_t errlen);
void send_strv_free(char **v, size_t n);

/* Drafts from a message read. */
enum send_reply { SEND_REPLY_SENDER, SEND_REPLY_ALL, SEND_REPLY_LIST };
/* me: the user's own addresses (left out of a group reply), may be NULL.
 * attribution: "On %d, %n wrote:" (%d date, %n name or address, %a
 * address), NULL for that default.  WARY_ENOENT for a list reply to a
 * message without a List-Post mailto. */
int send_reply_draft(const struct mail_msg *m, enum send_reply how, const char *from,
                     const char *const *me, size_t nme, const char *attribution,
                     struct send_draft *out, char *err, size_t errlen);
/* Forward inline (text quoted under a header block) or as a
 * message/rfc822 attachment carrying the original bytes. */
int send_forward_draft(const struct mail_msg *m, bool as_attachment, const char *from,
                       struct send_draft *out, char *err, size_t errlen);
/* Append "\n-- \n" and the file's text (at most 64 KB). */
int send_add_signature(struct send_draft *d, const char *path, char *err, size_t errlen);

/* The file handed to $EDITOR: with headers, "From:", "To:", "Cc:",
 * "Bcc:", "Subject:" (and "Reply-To:", "In-Reply-To:", "References:", the
 * extra fields when set), one "Attach: PATH" a file ("Attach-Message:"
 * for a message/rfc822), an empty line, then the body; without, only the
 * body. */
void send_draft_to_edit(const struct send_draft *d, bool headers, struct buf *out);
/* Read it back into d (headers replace the draft's, attachments listed
 * are read).  WARY_EPARSE with the line that is wrong. */
int send_draft_from_edit(struct send_draft *d, const char *text, size_t len, bool headers,
                         char *err, size_t errlen);

/* Address completion: candidates beginning with prefix (case-insensitive,
 * on the alias name, the display name or the address), from an aliases
 * file ("alias NAME Full Name <addr>" lines, mutt's syntax) and from
 * addresses seen (raw From/To header values of index rows). */
struct send_book;
struct send_book *send_book_new(void);
void send_book_free(struct send_book **b);
int send_book_load_aliases(struct send_book *b, const char *path, char *err, size_t errlen);
void send_book_add_seen(struct send_book *b, const char *raw_header_value);
/* Up to max matches ("Name <addr>" or the alias's expansion), best first;
 * free with send_strv_free. */
size_t send_book_complete(const struct send_book *b, const char *prefix, char ***out, size_t max);

/* ---------------------------------------------------------------- dlp */

enum send_dlp_kind {
	SEND_DLP_CARD,
	SEND_DLP_IBAN,
	SEND_DLP_SSN,
	SEND_DLP_PRIVATE_KEY,
	SEND_DLP_PATTERN,
};
struct send_dlp_hit {
	enum send_dlp_kind kind;
	size_t offset, len; /* in the scanned text */
	unsigned line;      /* 1-based */
	char what[96];      /* "Visa card number ending 1111", "IBAN DE.. 3000", ... (masked) */
};
struct send_dlp_report {
	struct send_dlp_hit *v;
	size_t n;
};
const char *send_dlp_kind_name(enum send_dlp_kind k);
/* Scan text (the body, the subject, attachment text) for all detectors;
 * pattern is a POSIX extended regex from the config, or NULL. */
int send_dlp_scan(const char *text, size_t len, const char *pattern, struct send_dlp_report *out,
                  char *err, size_t errlen);
/* Scan a draft: subject, body and every text-like attachment; hits name
 * where ("body line 3", "attachment key.pem"). */
int send_dlp_scan_draft(const struct send_draft *d, const char *pattern,
                        struct send_dlp_report *out, char ***where, char *err, size_t errlen);
void send_dlp_report_clear(struct send_dlp_report *r);
/* The single checks, for tests. */
bool send_dlp_luhn(const char *digits, size_t n);
bool send_dlp_iban_valid(const char *iban_compact);

/* ----------------------------------------------------------- hashcash */

#define SEND_HASHCASH_MAX_BITS 40
/* Mint "1:bits:YYMMDD:resource::rand:counter" (the X-Hashcash value)
 * for resource (an address), date now (or when, for tests).  *tries:
 * hashes computed (may be NULL). */
int send_hashcash_mint(const char *resource, unsigned bits, time_t when, struct buf *out,
                       uint64_t *tries, char *err, size_t errlen);
/* The leading zero bits of SHA-1 of the stamp. */
unsigned send_hashcash_bits(const char *stamp, size_t len);

enum send_hashcash_result {
	SEND_HC_NONE = 0,   /* no stamp for one of our addresses */
	SEND_HC_VALID,      /* enough bits, our resource, in the window, not spent (now spent) */
	SEND_HC_SPENT,      /* replayed: seen before */
	SEND_HC_EXPIRED,    /* date outside the window */
	SEND_HC_FUTURE,     /* date too far ahead */
	SEND_HC_WEAK,       /* fewer zero bits than asked or than it claims */
	SEND_HC_MALFORMED,
	SEND_HC_WRONG_RESOURCE,
};
const char *send_hashcash_result_name(enum send_hashcash_result r);
struct send_hashcash_db;
/* The spent-stamp table (SQLite file; created). */
int send_hashcash_db_open(const char *path, struct send_hashcash_db **out, char *err, size_t errlen);
void send_hashcash_db_free(struct send_hashcash_db **db);
/*
 * Check one stamp.  mine: the user's addresses (case-insensitive);
 * min_bits: the bits asked; window_s: how old (and how far ahead) the
 * date may be.  A valid stamp is recorded as spent (db may be NULL: no
 * replay check).  *bits_out (may be NULL): the value of the stamp.
 */
enum send_hashcash_result send_hashcash_check(struct send_hashcash_db *db, const char *stamp,
                                              const char *const *mine, size_t nmine,
                                              unsigned min_bits, time_t now, long window_s,
                                              unsigned *bits_out);
/*
 * For the spam score: every X-Hashcash (and Hashcash) field of a parsed
 * message checked; the best result wins (VALID over SPENT over the rest).
 * *bits_out: the bits of the valid stamp, 0 otherwise.  A stamp is spent
 * by the first message that shows it: the same message read again (same
 * Message-ID) stays VALID, another message with that stamp is SPENT.
 * The date window is 28 days.  db NULL: no replay check.
 */
enum send_hashcash_result send_hashcash_verify_msg(struct send_hashcash_db *db,
                                                   const struct mail_msg *m,
                                                   const char *const *mine, size_t nmine,
                                                   unsigned min_bits, time_t now,
                                                   unsigned *bits_out);

/* ------------------------------------------------------------- submit */

struct send_account {
	const char *name;            /* account name ("" when none) */
	const char *from;            /* envelope sender is its address */
	const char *smtp_host;       /* NULL: sendmail_command must be set */
	int smtp_port;               /* 0: default for tls */
	bool smtp_starttls;          /* else implicit TLS */
	const char *smtp_user;
	const char *ca_file;
	const char *trusted_sha256;
	const char *auth;            /* "auto", "plain", "login", "xoauth2", "oauthbearer" */
	const char *sendmail_command;/* used instead of SMTP when set: message on stdin,
	                              * recipients as arguments */
	int timeout_s;
	/* Asked for "password" or "token"; fills buf. */
	int (*secret)(void *ctx, const char *what, char *buf, size_t len);
	void *secret_ctx;
	/* Progress text for the status line (may be NULL). */
	void (*progress)(void *ctx, const char *what);
	void *progress_ctx;
};

/* What the server said when it refused; raw (make it safe to show). */
struct send_result {
	int smtp_code;       /* last reply code, 0 when none */
	char reply[1024];    /* the refusing reply, verbatim (lines joined by "\n") */
	char step[16];       /* "connect", "AUTH", "MAIL", "RCPT", "DATA", ... */
};

/* Test hook (never set outside tests): called at each named step of the
 * submission and of the outbox; a test kills the process there. */
typedef void (*send_step_hook)(const char *step);

/*
 * Submit msg to rcpts.  WARY_EAUTH: the login was refused; WARY_ECERT /
 * WARY_ESECURITY / WARY_ENET from net; WARY_ERR: the server refused
 * (res->reply says how).  before_dot is called after the last data byte
 * and before the final "." (the outbox journals there).
 */
int send_submit(const struct send_account *a, const char *envelope_from, char *const *rcpts,
                size_t nrcpt, const char *msg, size_t len, struct send_result *res,
                int (*before_dot)(void *ctx), void *ctx, send_step_hook hook, char *err,
                size_t errlen);

/* ------------------------------------------------------------- outbox */

/* Where a sent message is stored: a store (IMAP APPEND or Maildir, the
 * folder's name; NULL: the folder marked \Sent, else "Sent"), or a plain
 * local Maildir path.  All NULL: not kept. */
struct send_sent {
	struct store *store;
	const char *folder;
	const char *maildir;
	const char *unavailable; /* Sent exists but cannot be reached now (why):
	                          * messages wait in the outbox, submitted */
};

struct send_outbox;
/* dir: the outbox Maildir (created, 0700). */
int send_outbox_open(const char *dir, struct send_outbox **out, char *err, size_t errlen);
void send_outbox_free(struct send_outbox **ob);
void send_outbox_set_hook(struct send_outbox *ob, send_step_hook hook);
/* Put a finished message (with its envelope) in the outbox, fsynced.
 * *id_out: its name in the outbox (caller frees), may be NULL. */
int send_outbox_add(struct send_outbox *ob, const char *msg, size_t len, char **id_out,
                    char *err, size_t errlen);

enum send_state {
	SEND_QUEUED,     /* in the outbox, not submitted */
	SEND_SUBMITTING, /* the final "." may have gone: not sent again without retry */
	SEND_SUBMITTED,  /* the server took it; not yet stored in Sent */
	SEND_STORED,     /* in Sent; about to leave the outbox */
};
const char *send_state_name(enum send_state s);
struct send_outbox_entry {
	char *id;
	char *message_id;
	char *subject;  /* raw */
	char *to;       /* raw */
	enum send_state state;
	char *last_error;
};
int send_outbox_list(struct send_outbox *ob, struct send_outbox_entry **out, size_t *n,
                     char *err, size_t errlen);
void send_outbox_entries_free(struct send_outbox_entry *v, size_t n);

struct send_flush_report {
	size_t sent, stored, failed, held; /* held: SUBMITTING, waiting for a retry */
	struct send_result last;
	char last_error[WARY_ERRLEN];
};
/*
 * Finish every message in the outbox: submit what is not submitted (a
 * Message-ID recorded as submitted is never submitted again), store in
 * Sent what is not stored (looking first whether Sent has it already),
 * then remove.  A failure keeps the message and moves on to the next.
 * retry: also submit messages left SUBMITTING (the user said so).
 * only_id: just this one, or NULL.
 */
int send_outbox_flush(struct send_outbox *ob, const struct send_account *a,
                      const struct send_sent *sent, bool retry, const char *only_id,
                      struct send_flush_report *rep, char *err, size_t errlen);

/* The user says a message left SUBMITTING was in fact sent (it arrived):
 * record it as submitted, so the next flush only stores it in Sent. */
int send_outbox_confirm(struct send_outbox *ob, const char *id, char *err, size_t errlen);

/* The envelope of a message: From's address, all of To, Cc and Bcc; the
 * Bcc field is cut from the bytes that go out (out gets them). */
int send_envelope(const char *msg, size_t len, char **from, char ***rcpts, size_t *nrcpt,
                  struct buf *out, char *err, size_t errlen);

#endif
