#ifndef WARY_UI_SPAM_UI_H
#define WARY_UI_SPAM_UI_H
/*
 * The spam filter in the interactive client: one key marks a message
 * spam (trained, moved to the account's Junk folder), one marks it not
 * spam (retrained, moved back to the inbox when it is in Junk); a whole
 * folder can be trained with progress on the message line; new mail is
 * classified on arrival and moved to Junk or only marked, per the
 * account's spam_action; the index shows S (spam) or ? (unsure) after
 * the date; the pager's status line carries the score.
 *
 * The token store is used on the worker's thread only (WK_SPAM), so a
 * big training never blocks a key.
 */
#include <stdbool.h>

#include "ui/app_int.h"

void spam_ui_start(struct app *a); /* after worker_new */
void spam_ui_free(struct app *a);  /* after worker_free */
/* mark-spam, mark-ham, train-folder-spam, train-folder-ham */
void spam_ui_func(struct app *a, enum km_func f);
/* A WK_SPAM or WK_SPAM_PROGRESS reply; true when rows left the index
 * (the caller rebuilds it). */
bool spam_ui_reply(struct app *a, struct wk_reply *r);
/* The folder's index is complete: the keys known so far are not new. */
void spam_ui_index_loaded(struct app *a);
/* A check for new mail finished: classify the rows that arrived. */
void spam_ui_check_done(struct app *a);
/* ' ', 'S' or '?' for the index column. */
char spam_ui_mark(const struct app *a, const char *key);
/* The message in the pager was rendered: work out its score line. */
void spam_ui_message(struct app *a);
/* Append " -- spam 0.97, score=..." to the pager's title. */
void spam_ui_title(const struct app *a, char *title, size_t size);

#endif
