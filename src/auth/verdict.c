/* The verdict: every check bound to the From that wary displays (design
 * 4.6).  A pass is only ever about that From's domain, and it is green
 * (aligned_pass) only when nothing about the message undermines it: one
 * well-formed From, no tricks in it, a signature that covers what the
 * user reads (From, Subject, the whole body), or SPF aligned with it, or
 * the user's own server saying so without wary finding the message
 * changed since. */
#include "auth/auth.h"
#include "render/render.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

/* snprintf that may cut (the texts are for people; a cut one is fine). */
static void fmt(char *dst, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *dst, size_t n, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(dst, n, f, ap);
	va_end(ap);
}

const char *auth_verdict_flag_name(unsigned bit)
{
	switch (bit) {
	case AUTH_V_AMBIGUOUS: return "ambiguous-from";
	case AUTH_V_DECEPTIVE_FROM: return "deceptive-from";
	case AUTH_V_PUNYCODE: return "punycode-domain";
	case AUTH_V_MIXED_SCRIPT: return "mixed-script-domain";
	case AUTH_V_FORGED_AR: return "forged-authentication-results";
	case AUTH_V_DISAGREE: return "server-and-wary-disagree";
	case AUTH_V_BODY_CHANGED: return "body-changed-since-delivery";
	case AUTH_V_KEY_CHANGED: return "key-changed-since-delivery";
	case AUTH_V_UNSIGNED_BODY: return "unsigned-body";
	case AUTH_V_UNSIGNED_SUBJECT: return "unsigned-subject";
	case AUTH_V_DUPLICATED: return "duplicated-header";
	case AUTH_V_WEAK: return "weak-signature";
	case AUTH_V_NO_TRUSTED_AR: return "no-trusted-authentication-results";
	case AUTH_V_OFFLINE: return "no-dns";
	}
	return NULL;
}

void auth_verdict_clear(struct auth_verdict *v)
{
	if (!v)
		return;
	free(v->display);
	free(v->address);
	free(v->domain);
	memset(v, 0, sizeof(*v));
}

/* Relaxed alignment (RFC 7489 3.1): the same organizational domain. */
static bool aligned(const char *d, const char *from)
{
	char a[256], b[256];

	if (!d || !from || !*d || !*from)
		return false;
	if (str_casecmp(d, from) == 0)
		return true;
	if (auth_org_domain(d, a, sizeof(a)) != WARY_OK || auth_org_domain(from, b, sizeof(b)) != WARY_OK)
		return false;
	return str_casecmp(a, b) == 0;
}

/* The domain of a header.i / header.d / header.from value. */
static const char *dom_of(const char *v)
{
	const char *at = v ? strrchr(v, '@') : NULL;

	return at ? at + 1 : v;
}

/* A passing signature that covers what the user reads. */
static unsigned sig_problems(const struct auth_dkim_sig *s)
{
	unsigned p = 0;

	if (s->flags & AUTH_DKIM_F_UNSIGNED_BODY)
		p |= AUTH_V_UNSIGNED_BODY;
	if (!(s->covers & AUTH_DKIM_H_SUBJECT))
		p |= AUTH_V_UNSIGNED_SUBJECT;
	if (s->duplicated & (AUTH_DKIM_H_FROM | AUTH_DKIM_H_SUBJECT | AUTH_DKIM_H_CONTENT_TYPE |
	                     AUTH_DKIM_H_TO | AUTH_DKIM_H_DATE))
		p |= AUTH_V_DUPLICATED;
	if (s->flags & (AUTH_DKIM_F_WEAK | AUTH_DKIM_F_TESTING))
		p |= AUTH_V_WEAK;
	return p;
}

static void said(struct auth_verdict *v)
{
	for (size_t i = 0; i < v->ar.n; i++) {
		const struct auth_ar_entry *e = &v->ar.e[i];

		if (!e->trusted)
			continue;
		for (size_t k = 0; k < e->ar.n; k++) {
			const struct auth_ar_result *r = &e->ar.r[k];

			if (strcmp(r->method, "dkim") == 0) {
				const char *d = auth_ar_prop_get(r, "header", "d");

				if (!d)
					d = dom_of(auth_ar_prop_get(r, "header", "i"));
				/* the best word about the From's domain wins */
				if (v->said_dkim[0] == '\0' ||
				    (strcmp(r->result, "pass") == 0 && d && aligned(d, v->domain) &&
				     !(strcmp(v->said_dkim, "pass") == 0 &&
				       aligned(v->said_dkim_domain, v->domain)))) {
					str_copy(v->said_dkim, r->result, sizeof(v->said_dkim));
					str_copy(v->said_dkim_domain, d ? d : "", sizeof(v->said_dkim_domain));
				}
			} else if (strcmp(r->method, "spf") == 0 && v->said_spf[0] == '\0') {
				str_copy(v->said_spf, r->result, sizeof(v->said_spf));
			} else if (strcmp(r->method, "dmarc") == 0 && v->said_dmarc[0] == '\0') {
				const char *f = auth_ar_prop_get(r, "header", "from");

				str_copy(v->said_dmarc, r->result, sizeof(v->said_dmarc));
				str_copy(v->said_dmarc_from, f ? dom_of(f) : "", sizeof(v->said_dmarc_from));
			} else if (strcmp(r->method, "arc") == 0 && v->said_arc[0] == '\0') {
				str_copy(v->said_arc, r->result, sizeof(v->said_arc));
			}
		}
	}
}

/* The Return-Path's address (MAIL FROM), "" for the null sender. */
static void return_path(const struct mail_msg *msg, char *out, size_t max)
{
	const char *v = mail_header_get(msg, "Return-Path");
	size_t o = 0;

	out[0] = '\0';
	if (!v)
		return;
	for (; *v && o + 1 < max; v++) {
		if (*v == '<' || *v == '>' || *v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
			continue;
		out[o++] = *v;
	}
	out[o] = '\0';
}

static void summarise(struct auth_verdict *v, bool offline)
{
	const char *dom = v->domain && *v->domain ? v->domain : "(no domain)";
	bool any_fail = false, any_pass_other = false;

	for (size_t i = 0; i < v->dkim.n; i++) {
		const struct auth_dkim_sig *s = &v->dkim.sig[i];

		if (s->result == AUTH_DKIM_FAIL && aligned(s->domain, v->domain))
			any_fail = true;
		if (s->result == AUTH_DKIM_PASS && !aligned(s->domain, v->domain))
			any_pass_other = true;
	}
	if (v->dmarc_checked && v->dmarc.result == AUTH_DMARC_FAIL)
		any_fail = true;
	if (v->spf_checked && v->spf.result == AUTH_SPF_FAIL && aligned(v->spf.domain, v->domain))
		any_fail = true;
	if (strcmp(v->said_dmarc, "fail") == 0)
		any_fail = true;

	if (v->ambiguous) {
		v->level = AUTH_LEVEL_BAD;
		fmt(v->summary, sizeof(v->summary), "sender AMBIGUOUS (%s): no verdict",
		         v->from_flags & MAIL_FROM_NONE ? "no From"
		         : v->from_flags & MAIL_FROM_MULTIPLE_HEADERS ? "several From headers"
		         : v->from_flags & MAIL_FROM_MULTIPLE_ADDRS ? "several From addresses"
		         : v->from_flags & MAIL_FROM_SPACE_BEFORE_COLON ? "\"From :\""
		                                                        : "malformed From");
		return;
	}
	if (v->aligned_pass) {
		v->level = AUTH_LEVEL_GOOD;
		fmt(v->summary, sizeof(v->summary), "%s verified (%s)%s", dom,
		         strcmp(v->pass_by, "server") == 0 ? "by your server" : v->pass_by,
		         (v->flags & AUTH_V_KEY_CHANGED) ? "; key changed since" : "");
		return;
	}
	if (v->flags & AUTH_V_DECEPTIVE_FROM) {
		v->level = AUTH_LEVEL_BAD;
		fmt(v->summary, sizeof(v->summary), "%s NOT verified: deceptive From (%s)", dom,
		         v->from_flags & MAIL_FROM_ADDR_IN_DISPLAY ? "address in the name"
		         : v->from_flags & MAIL_FROM_ENCODED_ADDR  ? "encoded address"
		                                                   : "invisible characters");
		return;
	}
	if (v->flags & AUTH_V_BODY_CHANGED) {
		v->level = AUTH_LEVEL_BAD;
		fmt(v->summary, sizeof(v->summary), "%s: your server verified it, but the body changed since",
		         dom);
		return;
	}
	if (v->flags & AUTH_V_FORGED_AR) {
		v->level = AUTH_LEVEL_BAD;
		fmt(v->summary, sizeof(v->summary), "%s NOT verified: forged Authentication-Results", dom);
		return;
	}
	if (any_fail) {
		v->level = AUTH_LEVEL_BAD;
		fmt(v->summary, sizeof(v->summary), "%s FAILED authentication (%s%s%s)", dom,
		         v->dmarc_checked && v->dmarc.result == AUTH_DMARC_FAIL ? "DMARC fail" : "",
		         v->dmarc_checked && v->dmarc.result == AUTH_DMARC_FAIL ? ", " : "",
		         "see panel");
		return;
	}
	if (v->flags & (AUTH_V_PUNYCODE | AUTH_V_MIXED_SCRIPT)) {
		v->level = AUTH_LEVEL_WARN;
		fmt(v->summary, sizeof(v->summary), "%s%s%s%s: look-alike domain (%s), not verified", dom,
		         v->domain_unicode[0] ? " (" : "", v->domain_unicode, v->domain_unicode[0] ? ")" : "",
		         v->flags & AUTH_V_MIXED_SCRIPT ? "mixed scripts" : "IDN");
		return;
	}
	if (v->flags & (AUTH_V_UNSIGNED_BODY | AUTH_V_DUPLICATED | AUTH_V_UNSIGNED_SUBJECT | AUTH_V_WEAK)) {
		v->level = AUTH_LEVEL_WARN;
		fmt(v->summary, sizeof(v->summary), "%s signed, but %s", dom,
		         v->flags & AUTH_V_UNSIGNED_BODY ? "part of the body is unsigned (l=)"
		         : v->flags & AUTH_V_DUPLICATED  ? "a signed header is duplicated"
		         : v->flags & AUTH_V_UNSIGNED_SUBJECT ? "the Subject is unsigned"
		                                              : "only weakly (rsa-sha1 or test key)");
		return;
	}
	if (offline) {
		v->level = AUTH_LEVEL_NEUTRAL;
		fmt(v->summary, sizeof(v->summary), "%s: not verified yet (no DNS)", dom);
		return;
	}
	v->level = any_pass_other ? AUTH_LEVEL_WARN : AUTH_LEVEL_NEUTRAL;
	fmt(v->summary, sizeof(v->summary), "%s: not authenticated%s", dom,
	         v->dkim.n == 0 ? " (no DKIM signature)"
	         : any_pass_other ? " (signed by another domain)" : "");
}

int auth_verdict(const struct auth_verdict_in *in, struct auth_verdict *v, char *err, size_t errlen)
{
	struct mail_from f;
	const char *raw;
	size_t rawlen;
	bool offline = in->dns == NULL;
	bool good_dkim = false, spf_pass = false, server_pass = false, dkim_issues = false;
	unsigned problems = ~0u;
	int rc;

	memset(v, 0, sizeof(*v));
	if (!in->msg)
		return err_set(err, errlen, WARY_ERR, "verdict: no message");
	memset(&f, 0, sizeof(f));
	mail_from_get(in->msg, &f);
	v->display = f.display;
	v->address = f.address;
	v->domain = f.domain;
	v->from_flags = f.flags;
	v->ambiguous = f.ambiguous || f.domain == NULL;
	if (v->ambiguous)
		v->flags |= AUTH_V_AMBIGUOUS;
	if (f.flags & (MAIL_FROM_ADDR_IN_DISPLAY | MAIL_FROM_ENCODED_ADDR | MAIL_FROM_INVISIBLE))
		v->flags |= AUTH_V_DECEPTIVE_FROM;
	if (v->domain) {
		unsigned idn = render_host_idn(v->domain, NULL);
		char *u = NULL;

		if (idn & RENDER_LINK_PUNYCODE)
			v->flags |= AUTH_V_PUNYCODE;
		if (idn & RENDER_LINK_MIXED_SCRIPT)
			v->flags |= AUTH_V_MIXED_SCRIPT;
		if (f.flags & MAIL_FROM_NON_ASCII_DOMAIN)
			v->flags |= AUTH_V_PUNYCODE;
		if ((v->flags & AUTH_V_PUNYCODE) && idn2_to_unicode_8z8z(v->domain, &u, 0) == IDN2_OK && u) {
			str_copy(v->domain_unicode, u, sizeof(v->domain_unicode));
			idn2_free(u);
		}
	}
	if (offline)
		v->flags |= AUTH_V_OFFLINE;

	raw = mail_raw(in->msg, &rawlen);
	rc = auth_dkim_verify(in->dkim, in->dns, raw, rawlen, in->now, &v->dkim, err, errlen);
	if (rc != WARY_OK)
		return rc;
	rc = auth_arc_verify(in->dkim, in->dns, raw, rawlen, in->now, &v->arc, err, errlen);
	if (rc != WARY_OK)
		return rc;
	rc = auth_ar_collect(in->msg, in->trusted_authserv_id, in->boundary_hop, &v->ar, err, errlen);
	if (rc != WARY_OK)
		return rc;
	if (v->ar.forged)
		v->flags |= AUTH_V_FORGED_AR;
	if (v->ar.n_trusted == 0)
		v->flags |= AUTH_V_NO_TRUSTED_AR;
	said(v);

	/* wary's own: DKIM signatures of the From's domain */
	for (size_t i = 0; i < v->dkim.n; i++) {
		const struct auth_dkim_sig *s = &v->dkim.sig[i];
		unsigned p;

		if (!aligned(s->domain, v->domain))
			continue;
		p = sig_problems(s);
		if (s->result == AUTH_DKIM_PASS || offline) {
			problems &= p;
			if (s->result == AUTH_DKIM_PASS && p == 0)
				good_dkim = true;
		}
	}
	if (problems != ~0u && problems != 0) {
		dkim_issues = true;
		v->flags |= problems;
	}
	/* a header RFC 5322 allows once, twice: a reader shows one, a checker
	 * may have looked at the other */
	{
		static const char *const once[] = { "Subject", "Date", "To", "Content-Type", "Message-ID",
		                                     "Reply-To", "Sender", "MIME-Version" };

		for (size_t i = 0; i < ARRAY_SIZE(once); i++)
			if (mail_header_count_named(in->msg, once[i]) > 1)
				v->flags |= AUTH_V_DUPLICATED;
	}

	if (!offline && in->spf_ip && *in->spf_ip) {
		return_path(in->msg, v->spf_mail_from, sizeof(v->spf_mail_from));
		rc = auth_spf_check(in->dns, in->spf_ip, in->spf_helo ? in->spf_helo : "",
		                    v->spf_mail_from, &v->spf, err, errlen);
		if (rc != WARY_OK)
			return rc;
		v->spf_checked = true;
		spf_pass = v->spf.result == AUTH_SPF_PASS && aligned(v->spf.domain, v->domain);
	}
	if (!offline && !v->ambiguous && v->domain) {
		const char *doms[AUTH_DKIM_MAX_SIGS];
		struct auth_dmarc_in di;
		size_t nd = 0;

		for (size_t i = 0; i < v->dkim.n; i++)
			if (v->dkim.sig[i].result == AUTH_DKIM_PASS)
				doms[nd++] = v->dkim.sig[i].domain;
		memset(&di, 0, sizeof(di));
		di.from_domain = v->domain;
		di.dkim_pass_domains = doms;
		di.n_dkim = nd;
		di.spf = v->spf_checked ? v->spf.result : AUTH_SPF_NONE;
		di.spf_domain = v->spf_checked ? v->spf.domain : "";
		rc = auth_dmarc_check(in->dns, &di, &v->dmarc, err, errlen);
		if (rc != WARY_OK)
			return rc;
		v->dmarc_checked = true;
		if (v->dmarc.result == AUTH_DMARC_PASS && v->dmarc.spf_aligned && v->spf_checked &&
		    v->spf.result == AUTH_SPF_PASS)
			spf_pass = true;
	}

	/* what the user's server said about this From */
	if ((strcmp(v->said_dmarc, "pass") == 0 && v->domain &&
	     str_casecmp(v->said_dmarc_from, v->domain) == 0) ||
	    (strcmp(v->said_dkim, "pass") == 0 && aligned(v->said_dkim_domain, v->domain)))
		server_pass = true;

	/* the server and wary now */
	if (!offline && strcmp(v->said_dkim, "pass") == 0 && v->said_dkim_domain[0]) {
		for (size_t i = 0; i < v->dkim.n; i++) {
			const struct auth_dkim_sig *s = &v->dkim.sig[i];

			if (str_casecmp(s->domain, v->said_dkim_domain) != 0 || s->result == AUTH_DKIM_PASS)
				continue;
			v->flags |= AUTH_V_DISAGREE;
			if (s->body_checked && !s->body_ok)
				v->flags |= AUTH_V_BODY_CHANGED;
			else if (s->flags & (AUTH_DKIM_F_NO_KEY | AUTH_DKIM_F_REVOKED | AUTH_DKIM_F_BAD_KEY) ||
			         s->result == AUTH_DKIM_FAIL)
				v->flags |= AUTH_V_KEY_CHANGED;
		}
	}
	if (!offline && strcmp(v->said_dkim, "fail") == 0 && good_dkim)
		v->flags |= AUTH_V_DISAGREE;
	if (!offline && v->dmarc_checked && v->said_dmarc[0] &&
	    (strcmp(v->said_dmarc, "pass") == 0) != (v->dmarc.result == AUTH_DMARC_PASS) &&
	    v->dmarc.result != AUTH_DMARC_TEMPERROR)
		v->flags |= AUTH_V_DISAGREE;
	if (server_pass && (v->flags & AUTH_V_BODY_CHANGED))
		server_pass = false;
	if (server_pass && dkim_issues && !spf_pass)
		server_pass = false;

	if (!v->ambiguous &&
	    !(v->flags & (AUTH_V_DECEPTIVE_FROM | AUTH_V_PUNYCODE | AUTH_V_MIXED_SCRIPT | AUTH_V_FORGED_AR |
	                  AUTH_V_BODY_CHANGED | AUTH_V_DUPLICATED | AUTH_V_UNSIGNED_BODY)) &&
	    (good_dkim || spf_pass || server_pass)) {
		v->aligned_pass = true;
		str_copy(v->pass_by, good_dkim ? "DKIM" : spf_pass ? "SPF" : "server", sizeof(v->pass_by));
		if (good_dkim && v->dmarc_checked && v->dmarc.result == AUTH_DMARC_PASS)
			str_copy(v->pass_by, "DKIM, DMARC", sizeof(v->pass_by));
	}
	summarise(v, offline);
	return WARY_OK;
}
