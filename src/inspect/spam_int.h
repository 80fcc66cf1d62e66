#ifndef WARY_INSPECT_SPAM_INT_H
#define WARY_INSPECT_SPAM_INT_H
/* Between inspect.c and spamfacts.c: the spam filter's state in a context
 * (the user's token store, opened the first time, never created) and the
 * "spam" and "score" members of the report. */
#include "auth/auth.h"
#include "inspect/inspect.h"
#include "render/render.h"
#include "spam/spam.h"

struct inspect_sstate;
void inspect_sstate_free(struct inspect_sstate **ss);
/* The context's state (inspect.c owns it). */
struct inspect_sstate **inspect_sstate_of(struct inspect *in);
/* The facts of the hybrid score from what the analyses found; verdict
 * may be NULL (not known).  lying and exec count attachments; dnsbl is 1
 * (a hop listed), 0 (not) or -1 (no list asked). */
void inspect_spam_facts(struct inspect_sstate **ss, const struct mail_msg *msg,
                        const struct render_doc *doc, const struct auth_verdict *verdict,
                        int lying, int exec, int dnsbl, struct spam_facts *f,
                        struct spam_result *bayes);
/* "spam":{...}|null,"score":{...} (no braces around, no comma). */
void inspect_spam_json(struct inspect_sstate **ss, const struct mail_msg *msg,
                       const struct render_doc *doc, const struct auth_verdict *verdict,
                       int lying, int exec, int dnsbl, struct buf *out);
/* The text report's "Spam:" section. */
void inspect_spam_text(struct inspect_sstate **ss, const struct mail_msg *msg,
                       const struct render_doc *doc, const struct auth_verdict *verdict,
                       int lying, int exec, int dnsbl, struct buf *out);
#endif
