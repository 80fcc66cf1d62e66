#ifndef WARY_UI_APP_H
#define WARY_UI_APP_H
/*
 * app: the interactive client.  One poll() loop over the keyboard, a
 * signal pipe (SIGWINCH, SIGTERM, SIGHUP), timers and the worker's wake-up
 * pipe; views (index, pager, raw source, help, folder browser) draw from
 * models that hold only safe text.
 */
#include "config/config.h"
#include "ui/worker.h"

/* Run the UI on a mailbox: a Maildir path, or a server account (wa, with
 * location NULL; the UI may set its trusted_sha256 when the user accepts
 * a certificate).  Returns the exit status for main(); errors before the
 * screen starts are written to err. */
int app_run(struct config *cfg, const char *location, struct worker_account *wa,
            char *err, size_t errlen);

/* Where keymap presets and themes are: $WARY_KEYMAP_DIR, the installed
 * data directory, else the source tree (running from the build tree). */
const char *app_preset_dir(void);

#endif
