#ifndef WARY_AUTH_DKIM_INT_H
#define WARY_AUTH_DKIM_INT_H
/* What arc.c shares with dkim.c: an ARC-Message-Signature is a DKIM
 * signature with two tags changed, and an ARC-Seal is verified with the
 * same keys, canonicalisation and key cache. */
#include "auth/auth.h"

struct dkim_msg {
	const char *raw;
	size_t len, nf, body;
	const size_t *fs, *fe; /* [fs[i], fe[i]) is field i */
	const size_t *fnl;     /* length of field i's name (0: no colon) */
};
/* Split RAW into fields (the arrays live in ctx until the next call). */
void dkim_msg_split(struct auth_dkim_ctx *c, const char *raw, size_t len, struct dkim_msg *m);
bool dkim_field_is(const char *f, size_t n, const char *name);
void dkim_verify_sig(struct auth_dkim_ctx *c, const struct auth_dns *dns, const struct dkim_msg *m,
                     size_t fi, time_t now, bool ams, struct auth_dkim_sig *s);
/* The ARC-Seal in field seal_fi, over fields[0..n) then itself with b=
 * emptied, relaxed (RFC 8617 5.1.1).  Fills domain (d=) and reason. */
enum auth_dkim_result dkim_seal_check(struct auth_dkim_ctx *c, const struct auth_dns *dns,
                                      const struct dkim_msg *m, const size_t *fields, size_t n,
                                      size_t seal_fi, time_t now, char *domain, size_t dlen,
                                      char *reason, size_t rlen);
#endif
