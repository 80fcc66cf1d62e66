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

/*
 * A context for many messages: it holds the libmagic cookie (the type
 * database is loaded once, not per message).  inspect_text and
 * inspect_json above make one for a single call.
 */
struct inspect;
int inspect_new(struct inspect **out, char *err, size_t errlen);
void inspect_free(struct inspect **in);
int inspect_report_text(struct inspect *in, const struct mail_msg *msg, struct buf *out,
                        char *err, size_t errlen);
int inspect_report_json(struct inspect *in, const struct mail_msg *msg, struct buf *out,
                        char *err, size_t errlen);
/* libmagic's MIME type of bytes ("application/pdf"); never NULL. */
const char *inspect_detect(struct inspect *in, const void *data, size_t len);

#endif
