#ifndef WARY_INSPECT_H
#define WARY_INSPECT_H
/*
 * inspect: the one place that runs every analysis on a parsed message.
 * `wary inspect FILE [--json]` is a thin face over these calls, so the
 * pager, the panel and scripts see the same results.  Analyses not built
 * yet are null in the JSON (design section 7).  Every string in the output
 * has been made safe.
 */
#include "base/base.h"
#include "mail/mail.h"

/* Human-readable report: decoded headers, the From verdict, the MIME tree
 * and the parts. */
int inspect_text(const struct mail_msg *msg, struct buf *out, char *err, size_t errlen);
/* The JSON contract of design section 7, one object, newline-terminated. */
int inspect_json(const struct mail_msg *msg, struct buf *out, char *err, size_t errlen);

#endif
