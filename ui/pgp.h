#ifndef WARY_UI_PGP_H
#define WARY_UI_PGP_H
/*
 * PGP in the pager: the message in the pager is verified and decrypted
 * on a thread of its own (gpg can take seconds), which answers by a byte
 * on the app's wake-up pipe; the verdict goes to the chrome slot
 * APP_CHROME_PGP, a decrypted message replaces the pager's body, rendered
 * by render/ like any message.  And the `wary pgp` command line.
 */
#include <stdbool.h>

struct app;
struct pgp_ui;

/* The byte the thread writes on the wake-up pipe. */
#define PGP_UI_WAKE 0x7e

/* wake_fd: the app's wake-up pipe (write end).  NULL when no thread can
 * be started (the chrome then says PGP was not checked). */
struct pgp_ui *pgp_ui_new(int wake_fd);
void pgp_ui_free(struct pgp_ui **p);
/* After the pager rendered a->msg_bytes: clear or fill the PGP chrome,
 * ask the thread when the message has PGP content. */
void pgp_ui_message(struct app *a);
/* The wake-up byte arrived: take the answer, if it is still for the
 * message in the pager. */
void pgp_ui_poll(struct app *a);

/* extract-keys: import the OpenPGP keys of the message in the pager (its
 * application/pgp-keys parts), or of one part (the attachment view's). */
struct mail_part;
void pgp_ui_extract_keys(struct app *a, const struct mail_part *part);
/* view-pgp: the result in full and the signer's key into tv; false (and
 * a message said) when there is nothing to show yet. */
struct textview;
bool pgp_ui_details(struct app *a, struct textview *tv);

/* `wary pgp import FILE... | show KEY | keys ADDRESS` */
int pgp_cli(int argc, char **argv);

#endif
