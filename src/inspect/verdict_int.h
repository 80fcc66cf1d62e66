#ifndef WARY_INSPECT_VERDICT_INT_H
#define WARY_INSPECT_VERDICT_INT_H
/* Between inspect.c and verdict.c: the verdict's state in a context. */
#include "inspect/inspect.h"

struct inspect_vstate;
void inspect_vstate_free(struct inspect_vstate **vs);
void inspect_vstate_set(struct inspect_vstate **vs, const struct inspect_auth *a);
int inspect_vstate_verdict(struct inspect_vstate **vs, const struct mail_msg *msg,
                           struct auth_verdict *out, char *err, size_t errlen);
#endif
