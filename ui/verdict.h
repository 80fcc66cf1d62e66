#ifndef WARY_UI_VERDICT_H
#define WARY_UI_VERDICT_H
/*
 * The sender verdict in the pager: one line in the chrome slot
 * APP_CHROME_VERDICT (green only for a trusted aligned pass, design 4.6),
 * the full panel on view-sender.  DNS never runs on the UI thread: a
 * thread of its own, with its own resolver and key cache, answers twice
 * for each message, first from the bytes alone (what the trusted server
 * said, what the signatures cover), then with its lookups done, each time
 * by a byte on the app's wake-up pipe; until then the line says
 * "checking...".
 */
#include "config/config.h"
#include "ui/textview.h"

struct app;
struct verdict_ui;

/* The byte the thread writes on the wake-up pipe. */
#define VERDICT_UI_WAKE 0x7d

/* account: the config account whose settings apply (NULL: global).  NULL
 * when no thread can be started (the line then says so). */
struct verdict_ui *verdict_ui_new(const struct config *cfg, const char *account, int wake_fd);
void verdict_ui_free(struct verdict_ui **v);
/* After the pager rendered a->msg_bytes: ask for its verdict. */
void verdict_ui_message(struct app *a);
/* The wake-up byte arrived: take the answer if it is for the message shown. */
void verdict_ui_poll(struct app *a);
/* The full panel of the message shown, into tv (what is known so far). */
void verdict_ui_details(struct app *a, struct textview *tv);

#endif
