#ifndef WARY_UI_SAFETY_VIEW_H
#define WARY_UI_SAFETY_VIEW_H
/* The safety panel, its details and the link list, for app.c. */
#include "ui/app_int.h"

/* After the pager rendered the message in a->msg_bytes (a->atts still
 * filled): the APP_CHROME_SAFETY line and the link list. */
void safety_refresh(struct app *a);
void safety_update(struct app *a, const struct render_doc *doc);
/* The details of the message in a->msg_bytes into tv. */
void safety_details(struct app *a, struct textview *tv);
void safety_free(struct app *a);

size_t safety_link_count(struct app *a);
void safety_link_move(struct app *a, long delta);
void safety_draw_links(struct app *a);
/* Enter: the question to ask in label; false when nothing to open. */
bool safety_link_ask(struct app *a, char *label, size_t len);
void safety_link_answer(struct app *a, int key);

void safety_open_browser(struct app *a, const struct mail_msg *msg);
void safety_open_attachment(struct app *a, const struct inspect_attachment *at);

#endif
