#ifndef WARY_UI_TRACE_VIEW_H
#define WARY_UI_TRACE_VIEW_H
/* The hop table of the Received chain above the raw source (the raw
 * headers view): read from the headers alone, no DNS in the UI thread. */
#include "config/config.h"
#include "ui/textview.h"

/* ACCOUNT: the account's name for its trusted_hosts, NULL for the global one. */
void trace_view_fill(struct textview *tv, const struct config *cfg, const char *account,
                     const char *raw, size_t len);
#endif
