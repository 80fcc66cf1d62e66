/* Configuration -> the options of the sender checks (see auth_setup.h). */
#include "ui/auth_setup.h"
#include "net/net.h"

#include <stdlib.h>
#include <string.h>

struct auth_setup {
	struct net_dns *net;
	struct auth_dns dns;
	struct trace_opts topts;
	char **hosts, **zones;
	size_t nhosts, nzones;
	char *authserv;
};

/* "a, b c" -> a NULL-terminated list of words */
static char **split(const char *s, size_t *n)
{
	char **v = xcalloc(1, sizeof *v);
	*n = 0;
	for (const char *p = s ? s : ""; *p; ) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		const char *st = p;
		while (*p && *p != ' ' && *p != ',' && *p != '\t')
			p++;
		if (p > st) {
			v = xreallocarray(v, *n + 2, sizeof *v);
			v[(*n)++] = xstrndup(st, (size_t)(p - st));
			v[*n] = NULL;
		}
	}
	return v;
}

static const char *get(const struct config *cfg, const char *account, const char *name)
{
	return account ? config_account_get(cfg, account, name) : config_get(cfg, name);
}

int auth_setup_new(const struct config *cfg, const char *account, struct auth_setup **out,
                   char *err, size_t errlen)
{
	struct auth_setup *s = xcalloc(1, sizeof *s);
	int rc = WARY_OK;
	const char *server = config_get(cfg, "dns_server");

	s->hosts = split(get(cfg, account, "trusted_hosts"), &s->nhosts);
	s->zones = split(config_get(cfg, "dnsbl_zones"), &s->nzones);
	s->authserv = xstrdup(get(cfg, account, "trusted_authserv_id") ? get(cfg, account, "trusted_authserv_id") : "");
	s->topts.trusted_hosts = (const char *const *)s->hosts;
	s->topts.n_trusted = s->nhosts;
	s->topts.dnsbl_zones = (const char *const *)s->zones;
	s->topts.n_dnsbl = s->nzones;
	if (server && *server) {
		struct net_dns_opts o = {
			strcmp(server, "system") == 0 ? NULL : server,
			(int)config_get_int(cfg, "dns_timeout") * 1000,
			config_get(cfg, "dns_trust_anchor"),
		};
		rc = net_dns_new(&o, &s->net, err, errlen);
		if (rc != WARY_OK)
			goto out;
		auth_dns_use_net(&s->dns, s->net);
	}
out:
	if (rc != WARY_OK)
		auth_setup_free(&s);
	*out = s;
	return rc;
}

void auth_setup_free(struct auth_setup **sp)
{
	if (!sp || !*sp)
		return;
	struct auth_setup *s = *sp;
	net_dns_free(&s->net);
	for (size_t i = 0; i < s->nhosts; i++)
		free(s->hosts[i]);
	for (size_t i = 0; i < s->nzones; i++)
		free(s->zones[i]);
	free(s->hosts);
	free(s->zones);
	free(s->authserv);
	free(s);
	*sp = NULL;
}

const struct auth_dns *auth_setup_dns(const struct auth_setup *s)
{
	return s && s->net ? &s->dns : NULL;
}

const struct trace_opts *auth_setup_trace(const struct auth_setup *s)
{
	return s ? &s->topts : NULL;
}

void auth_setup_apply(struct auth_setup *s, struct inspect *in)
{
	struct inspect_auth a;

	memset(&a, 0, sizeof a);
	a.dns = auth_setup_dns(s);
	a.trusted_authserv_id = s->authserv[0] ? s->authserv : NULL;
	a.trusted_hosts = (const char *const *)s->hosts;
	a.n_trusted = s->nhosts;
	inspect_set_auth(in, &a);
	inspect_set_trace(in, &s->topts, auth_setup_dns(s));
}
