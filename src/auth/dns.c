/* The DNS answer type shared by the analyses (see auth.h). */
#include "auth/auth.h"

#include <stdlib.h>
#include <string.h>

void auth_dns_reply_clear(struct auth_dns_reply *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->rr[i]);
	free(r->rr);
	free(r->len);
	memset(r, 0, sizeof *r);
}

int auth_dns_reply_add(struct auth_dns_reply *r, const char *data, size_t len)
{
	char **rr = realloc(r->rr, (r->n + 1) * sizeof *rr);
	if (!rr)
		return WARY_ENOMEM;
	r->rr = rr;
	size_t *lens = realloc(r->len, (r->n + 1) * sizeof *lens);
	if (!lens)
		return WARY_ENOMEM;
	r->len = lens;
	char *copy = malloc(len + 1);
	if (!copy)
		return WARY_ENOMEM;
	memcpy(copy, data, len);
	copy[len] = '\0';
	r->rr[r->n] = copy;
	r->len[r->n] = len;
	r->n++;
	return WARY_OK;
}
