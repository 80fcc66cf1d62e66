#ifndef WARY_UI_COMPOSE_H
#define WARY_UI_COMPOSE_H
/*
 * Sending from the client: the config made into a send account, the
 * queue-and-flush both the compose view and the command line use
 * (`wary send`, `wary outbox`), and the compose view itself.
 */
#include "base/base.h"
#include "config/config.h"
#include "send/send.h"
#include "ui/worker.h"

struct send_setup {
	struct send_account a;
	char *account;        /* config name, or "default" */
	char *outbox_dir;
	char *sent_maildir;   /* a local account's Sent Maildir, or NULL */
	const char *sent_folder;
	bool sent_folder_default; /* not set: IMAP takes the folder marked \Sent */
	bool imap;            /* Sent by IMAP APPEND */
	struct worker_account wa; /* for the IMAP Sent store (CLI) */
	const char *password_command, *token_command;
	unsigned hashcash_bits;
	const char *dlp_pattern;
	const char *signing_key;
	char **me;            /* the user's addresses (hashcash resources, group reply) */
	size_t nme;
	/* keys picked in the compose view: "address=FPR" each (not owned) */
	char *const *pgp_keys;
	size_t npgp_keys;
};
int send_setup_from_config(const struct config *cfg, const char *want, struct send_setup *s,
                           char *err, size_t errlen);
void send_setup_clear(struct send_setup *s);
/* Stamps, build, outbox: the message is safe on disk when this returns.
 * *id: its outbox name (caller frees); *mint_ms: hashcash time. */
/* pgp: 1 sign, 2 encrypt (3 both), through crypto/ (GPGME). */
int send_setup_queue(struct send_setup *s, struct send_draft *d, unsigned pgp, char **id,
                     long *mint_ms, char *err, size_t errlen);
/* Flush the outbox; store: an open store of the account for Sent (IMAP),
 * or NULL to open one (CLI) when the account is IMAP. */
int send_setup_flush(struct send_setup *s, struct store *store, bool retry, const char *only,
                     struct send_flush_report *rep, char *err, size_t errlen);

/* The compose view (ui/compose.c), hooked into app.c. */
struct app;
struct wk_reply;
void compose_init(struct app *a);   /* after the worker starts: flushes the outbox */
void compose_free(struct app *a);
/* A key's function: true when compose handled it (mail, reply...
 * anywhere; everything in the compose view). */
bool compose_func(struct app *a, int f);
/* A key in a P_COMPOSE prompt: true when taken (else app.c edits the line). */
bool compose_prompt_key(struct app *a, int key);
void compose_reply(struct app *a, const struct wk_reply *r); /* WK_SEND, WK_SEND_PROGRESS */
void compose_fetched(struct app *a); /* the message to answer has arrived */
void compose_draw(struct app *a);

/* Drafts on disk (ui/compose_pgp.c).  own: the key to encrypt the draft
 * to (encrypt_drafts), NULL to write it as it is; load decrypts either. */
int compose_draft_store(const char *path, const char *text, size_t len, const char *own,
                        char *err, size_t errlen);
int compose_draft_load(const char *path, struct buf *text, char *err, size_t errlen);
/* After send_draft_from_edit: attachments saved with the draft the same
 * way (a forwarded message's private copy) decrypted in memory. */
int compose_draft_open_attachments(struct send_draft *d, char *err, size_t errlen);
/* The key picker: keypick_check gives WARY_OK when every recipient has
 * one valid key or a choice, WARY_ENOENT (err) when one has none, and
 * WARY_ELIMIT when one has several: keypick_draw lists them until
 * keypick_choose or keypick_cancel.  Choices last until keypick_reset. */
struct keypick;
struct keypick *keypick_new(void);
void keypick_free(struct keypick **kp);
void keypick_reset(struct keypick *kp);
int keypick_check(struct keypick *kp, const struct send_draft *d, char *err, size_t errlen);
size_t keypick_count(const struct keypick *kp);
bool keypick_choose(struct keypick *kp, size_t i);
void keypick_cancel(struct keypick *kp);
void keypick_arg(const struct keypick *kp, struct buf *out); /* "\naddr=FPR"... */
int keypick_draw(const struct keypick *kp, struct app *a, int y, int rows);

/* wary send / wary outbox */
int send_cli(struct config *cfg, const char *account, const char *cmd, int argc, char **argv);

#endif
