#ifndef WARY_UI_AUTH_SETUP_H
#define WARY_UI_AUTH_SETUP_H
/*
 * The settings of the sender checks, read once from the configuration:
 * the resolver (dns_server, dns_timeout, dns_trust_anchor), the account's
 * own servers (trusted_hosts), DNSBL zones and trusted_authserv_id, in
 * the forms inspect and trace take.  `wary inspect` and the client use
 * the same one, so `-o dns_server=...` works for both.
 */
#include "config/config.h"
#include "inspect/inspect.h"
#include "trace/trace.h"

struct auth_setup;
/* ACCOUNT may be NULL (global settings).  A bad dns_server is an error;
 * an unset one means no lookups (auth_setup_dns gives NULL). */
int auth_setup_new(const struct config *cfg, const char *account, struct auth_setup **out,
                   char *err, size_t errlen);
void auth_setup_free(struct auth_setup **s);
/* Give an inspect context the verdict's and the trace's settings. */
void auth_setup_apply(struct auth_setup *s, struct inspect *in);
const struct trace_opts *auth_setup_trace(const struct auth_setup *s);
const struct auth_dns *auth_setup_dns(const struct auth_setup *s);
#endif
