/*
 * DMARC, RFC 7489: the policy record at _dmarc.<From domain>, else at the
 * organizational domain's (3.2, by the public suffix list), strict tag
 * syntax (6.3/6.4: v=DMARC1 first, every tag name=value), identifier
 * alignment (3.1) for DKIM (adkim) and SPF (aspf), and the policy that
 * applies (p, sp for a subdomain, np of RFC 9091 for a name that does not
 * exist, pct).
 */
#include "auth/auth.h"

#include <libpsl.h>
#include <stdlib.h>
#include <string.h>

const char *auth_dmarc_result_name(enum auth_dmarc_result r)
{
	switch (r) {
	case AUTH_DMARC_NONE: return "none";
	case AUTH_DMARC_PASS: return "pass";
	case AUTH_DMARC_FAIL: return "fail";
	case AUTH_DMARC_TEMPERROR: return "temperror";
	case AUTH_DMARC_PERMERROR: return "permerror";
	}
	return "none";
}

/* The newest list: Debian's publicsuffix file when it is newer than the
 * copy built into libpsl (psl_latest compares them). */
static psl_ctx_t *psl_open(void)
{
	psl_ctx_t *p = psl_latest(NULL);
	if (!p)
		p = psl_load_file("/usr/share/publicsuffix/public_suffix_list.dat");
	return p;
}

static void lower_name(char *out, size_t outlen, const char *in)
{
	str_copy(out, in ? in : "", outlen);
	str_lower(out);
	size_t n = strlen(out);
	while (n && out[n - 1] == '.')
		out[--n] = '\0';
}

static int org_domain(psl_ctx_t *psl, const char *domain, char *out, size_t outlen)
{
	char d[256];
	lower_name(d, sizeof d, domain);
	if (!*d || strchr(d, ' ') || strstr(d, ".."))
		return WARY_EPARSE;
	const char *reg = psl ? psl_registrable_domain(psl, d) : NULL;
	if (!reg) {
		out[0] = '\0';
		return WARY_EPARSE;
	}
	str_copy(out, reg, outlen);
	return WARY_OK;
}

int auth_org_domain(const char *domain, char *out, size_t outlen)
{
	psl_ctx_t *psl = psl_open();
	int rc = org_domain(psl, domain, out, outlen);
	psl_free(psl);
	return rc;
}

struct policy {
	bool valid;      /* a syntactically correct record */
	bool has_p;
	char p[16], sp[16], np[16];
	char adkim, aspf;
	int pct;
	bool rua;
};

static bool policy_word(const char *v, char *out)
{
	if (str_casecmp(v, "none") == 0 || str_casecmp(v, "quarantine") == 0
	    || str_casecmp(v, "reject") == 0) {
		str_copy(out, v, 16);
		str_lower(out);
		return true;
	}
	return false;
}

/* Parse one record.  Returns false for a record that is not DMARC at all
 * (no v=DMARC1 first); pol->valid says whether the rest was well-formed. */
static bool record_parse(const char *rec, size_t len, struct policy *pol, char *why, size_t whylen)
{
	memset(pol, 0, sizeof *pol);
	pol->adkim = pol->aspf = 'r';
	pol->pct = 100;
	if (strlen(rec) != len)
		return false;
	char *copy = xstrdup(rec);
	bool dmarc = false;
	char *save = copy;
	int idx = 0;
	pol->valid = true;
	for (char *tag = save; tag; idx++) {
		char *semi = strchr(tag, ';');
		if (semi)
			*semi = '\0';
		char *t = str_trim(tag);
		tag = semi ? semi + 1 : NULL;
		if (idx == 0) {
			char *eq = strchr(t, '=');
			if (!eq)
				break;
			*eq = '\0';
			if (strcmp(str_trim(t), "v") != 0 || strcmp(str_trim(eq + 1), "DMARC1") != 0)
				break;
			dmarc = true;
			continue;
		}
		if (!*t) {
			if (!tag)
				break; /* a trailing ';' */
			continue;
		}
		char *eq = strchr(t, '=');
		if (!eq || eq == t) {
			pol->valid = false;
			snprintf(why, whylen, "missing tag or value: \"%s\"", rec);
			break;
		}
		*eq = '\0';
		char *name = str_trim(t), *val = str_trim(eq + 1);
		if (!*val) {
			pol->valid = false;
			snprintf(why, whylen, "missing tag or value: \"%s\"", rec);
			break;
		}
		if (strcmp(name, "p") == 0) {
			pol->has_p = policy_word(val, pol->p);
		} else if (strcmp(name, "sp") == 0) {
			if (!policy_word(val, pol->sp))
				pol->sp[0] = '\0';
		} else if (strcmp(name, "np") == 0) {
			if (!policy_word(val, pol->np))
				pol->np[0] = '\0';
		} else if (strcmp(name, "adkim") == 0 || strcmp(name, "aspf") == 0) {
			char m = (char)(val[0] | 0x20);
			if ((m == 'r' || m == 's') && !val[1]) {
				if (name[1] == 'd')
					pol->adkim = m;
				else
					pol->aspf = m;
			}
		} else if (strcmp(name, "pct") == 0) {
			char *end;
			long v = strtol(val, &end, 10);
			if (*end || v < 0 || v > 100 || end == val)
				pol->pct = 100;
			else
				pol->pct = (int)v;
		} else if (strcmp(name, "rua") == 0) {
			pol->rua = str_istarts_with(val, "mailto:");
		}
		/* ruf, fo, rf, ri and unknown tags do not change a verdict */
	}
	free(copy);
	return dmarc;
}

static bool aligned(psl_ctx_t *psl, const char *a, const char *from, const char *from_org, char mode)
{
	char x[256];
	lower_name(x, sizeof x, a);
	if (!*x)
		return false;
	if (strcmp(x, from) == 0)
		return true;
	if (mode == 's')
		return false;
	char org[256];
	if (org_domain(psl, x, org, sizeof org) != WARY_OK)
		return false;
	return *from_org && strcmp(org, from_org) == 0;
}

/* Fetch and parse _dmarc.DOMAIN: 1 found, 0 none, -1 tempfail, -2 malformed. */
static int fetch(const struct auth_dns *dns, const char *domain, struct policy *pol,
                 char *why, size_t whylen)
{
	char name[300];
	snprintf(name, sizeof name, "_dmarc.%s", domain);
	struct auth_dns_reply r;
	memset(&r, 0, sizeof r);
	if (dns->query(dns->ctx, name, AUTH_RR_TXT, &r) != WARY_OK)
		r.status = AUTH_DNS_TEMPFAIL;
	int res = 0;
	if (r.status == AUTH_DNS_TEMPFAIL) {
		res = -1;
	} else if (r.status == AUTH_DNS_OK) {
		size_t found = 0;
		struct policy p;
		for (size_t i = 0; i < r.n; i++) {
			char w[256] = "";
			if (record_parse(r.rr[i], r.len[i], &p, w, sizeof w)) {
				if (found++ == 0) {
					*pol = p;
					str_copy(why, w, whylen);
				}
			}
		}
		/* 6.6.3: more than one record is no record */
		if (found == 1)
			res = pol->valid ? 1 : -2;
	}
	auth_dns_reply_clear(&r);
	return res;
}

/* Does DOMAIN exist at all (RFC 9091 np=)?  Any answer but NXDOMAIN to A,
 * AAAA or MX counts as existing; a failure counts as existing too. */
static bool domain_exists(const struct auth_dns *dns, const char *domain)
{
	static const enum auth_rrtype types[] = { AUTH_RR_A, AUTH_RR_AAAA, AUTH_RR_MX };
	for (size_t i = 0; i < 3; i++) {
		struct auth_dns_reply r;
		memset(&r, 0, sizeof r);
		int rc = dns->query(dns->ctx, domain, types[i], &r);
		bool nx = rc == WARY_OK && r.status == AUTH_DNS_NXDOMAIN;
		auth_dns_reply_clear(&r);
		if (!nx)
			return true;
	}
	return false;
}

static const char *milder(const char *p)
{
	if (strcmp(p, "reject") == 0)
		return "quarantine";
	return "none";
}

int auth_dmarc_check(const struct auth_dns *dns, const struct auth_dmarc_in *in,
                     struct auth_dmarc *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	str_copy(out->policy, "none", sizeof out->policy);
	out->adkim = out->aspf = 'r';
	out->pct = 100;
	if (!dns || !dns->query || !in)
		return err_set(err, errlen, WARY_ERR, "dmarc: no resolver");
	char from[256];
	lower_name(from, sizeof from, in->from_domain);
	if (!*from || strchr(from, '@') || strchr(from, ' ')) {
		out->result = AUTH_DMARC_PERMERROR;
		snprintf(err, errlen, "no From domain");
		return WARY_OK;
	}
	psl_ctx_t *psl = psl_open();
	if (org_domain(psl, from, out->org_domain, sizeof out->org_domain) != WARY_OK)
		str_copy(out->org_domain, from, sizeof out->org_domain);

	struct policy pol;
	char why[256] = "";
	int f = fetch(dns, from, &pol, why, sizeof why);
	bool at_org = false;
	if (f == 0 && strcmp(out->org_domain, from) != 0) {
		f = fetch(dns, out->org_domain, &pol, why, sizeof why);
		at_org = true;
	}
	if (f == -1) {
		out->result = AUTH_DMARC_TEMPERROR;
		goto done;
	}
	if (f == -2) {
		out->result = AUTH_DMARC_PERMERROR;
		str_copy(out->record_domain, at_org ? out->org_domain : from, sizeof out->record_domain);
		snprintf(err, errlen, "%s", why);
		goto done;
	}
	if (f == 0)
		goto done; /* none */
	str_copy(out->record_domain, at_org ? out->org_domain : from, sizeof out->record_domain);
	if (!pol.has_p) {
		/* 6.6.3: without a valid p=, a record with a reporting address acts
		 * as p=none; without one, no DMARC processing at all */
		if (!pol.rua) {
			out->record_domain[0] = '\0';
			goto done;
		}
		str_copy(pol.p, "none", sizeof pol.p);
	}
	out->adkim = pol.adkim;
	out->aspf = pol.aspf;
	out->pct = pol.pct;
	str_copy(out->requested, pol.p, sizeof out->requested);
	str_copy(out->sub_policy, pol.sp[0] ? pol.sp : pol.p, sizeof out->sub_policy);

	for (size_t i = 0; i < in->n_dkim && !out->dkim_aligned; i++)
		if (in->dkim_pass_domains[i]
		    && aligned(psl, in->dkim_pass_domains[i], from, out->org_domain, pol.adkim))
			out->dkim_aligned = true;
	if (in->spf == AUTH_SPF_PASS && in->spf_domain)
		out->spf_aligned = aligned(psl, in->spf_domain, from, out->org_domain, pol.aspf);
	out->result = out->dkim_aligned || out->spf_aligned ? AUTH_DMARC_PASS : AUTH_DMARC_FAIL;

	const char *apply = pol.p;
	if (at_org) {
		apply = pol.sp[0] ? pol.sp : pol.p;
		if (pol.np[0] && !domain_exists(dns, from))
			apply = pol.np;
	}
	if (out->result == AUTH_DMARC_FAIL && pol.pct < 100)
		apply = milder(apply);
	str_copy(out->policy, apply, sizeof out->policy);
done:
	psl_free(psl);
	return WARY_OK;
}

int auth_dmarc_check_all(const struct auth_dns *dns, const char *const *from_domains, size_t n,
                         const struct auth_dmarc_in *in, struct auth_dmarc *out,
                         char *err, size_t errlen)
{
	static const int rank[] = {
		[AUTH_DMARC_NONE] = 1, [AUTH_DMARC_PASS] = 0, [AUTH_DMARC_FAIL] = 4,
		[AUTH_DMARC_TEMPERROR] = 2, [AUTH_DMARC_PERMERROR] = 3,
	};
	static const char *const strict[] = { "none", "quarantine", "reject" };
	memset(out, 0, sizeof *out);
	if (n == 0) {
		out->result = AUTH_DMARC_PERMERROR;
		str_copy(out->policy, "none", sizeof out->policy);
		snprintf(err, errlen, "no From domain");
		return WARY_OK;
	}
	int worst_policy = -1;
	for (size_t i = 0; i < n; i++) {
		struct auth_dmarc_in one = *in;
		one.from_domain = from_domains[i];
		struct auth_dmarc d;
		int rc = auth_dmarc_check(dns, &one, &d, err, errlen);
		if (rc != WARY_OK)
			return rc;
		int pol = 0;
		for (int k = 0; k < 3; k++)
			if (strcmp(d.policy, strict[k]) == 0)
				pol = k;
		if (i == 0 || rank[d.result] > rank[out->result]) {
			*out = d;
		}
		if (pol > worst_policy)
			worst_policy = pol;
	}
	str_copy(out->policy, strict[worst_policy], sizeof out->policy);
	return WARY_OK;
}
