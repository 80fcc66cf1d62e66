/* The sender verdict in inspect's reports: the "from" and "verdict"
 * objects of the JSON contract (design section 7) and their text form.
 * The checks are auth's (auth_verdict); this file finds their inputs (the
 * trust boundary of the Received chain, the account's trusted
 * authserv-id, the resolver) and writes the results, every string made
 * safe. */
#include "inspect/inspect.h"
#include "inspect/verdict_int.h"
#include "trace/trace.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct inspect_vstate {
	struct inspect_auth opts;
	struct auth_dkim_ctx *dkim; /* key cache for every message of this context */
};

void inspect_vstate_free(struct inspect_vstate **vs)
{
	if (!vs || !*vs)
		return;
	auth_dkim_ctx_free(&(*vs)->dkim);
	free(*vs);
	*vs = NULL;
}

void inspect_vstate_set(struct inspect_vstate **vs, const struct inspect_auth *a)
{
	if (!*vs)
		*vs = xcalloc(1, sizeof(**vs));
	(*vs)->opts = *a;
}

int inspect_vstate_verdict(struct inspect_vstate **vs, const struct mail_msg *msg,
                           struct auth_verdict *out, char *err, size_t errlen)
{
	struct auth_verdict_in vin;
	struct trace_opts to;
	struct trace *t = NULL;
	const char *ip = NULL, *helo = NULL;
	int rc;

	if (!*vs)
		*vs = xcalloc(1, sizeof(**vs));
	if (!(*vs)->dkim && auth_dkim_ctx_new(&(*vs)->dkim, err, errlen) != WARY_OK)
		return WARY_ENOMEM;
	memset(&vin, 0, sizeof(vin));
	memset(&to, 0, sizeof(to));
	to.trusted_hosts = (*vs)->opts.trusted_hosts;
	to.n_trusted = (*vs)->opts.n_trusted;
	to.now = (*vs)->opts.now;
	vin.boundary_hop = (size_t)-1;
	if (trace_build(msg, &to, &t, err, errlen) == WARY_OK && t) {
		vin.boundary_hop = trace_boundary_index(t);
		if (!trace_boundary(t, &ip, &helo))
			ip = helo = NULL;
	}
	vin.msg = msg;
	vin.dns = (*vs)->opts.dns;
	vin.dkim = (*vs)->dkim;
	vin.trusted_authserv_id = (*vs)->opts.trusted_authserv_id;
	vin.spf_ip = ip;
	vin.spf_helo = helo;
	vin.now = (*vs)->opts.now ? (*vs)->opts.now : time(NULL);
	rc = auth_verdict(&vin, out, err, errlen);
	trace_free(&t);
	return rc;
}

/* ------------------------------------------------------------ JSON */

static void js(struct buf *out, const char *s)
{
	char *safe = safe_str(s ? s : "", SAFE_LINE);

	buf_add_json_str(out, safe);
	free(safe);
}

static void js_or_null(struct buf *out, const char *s)
{
	if (s && *s)
		js(out, s);
	else
		buf_adds(out, "null");
}

void inspect_from_json(const struct auth_verdict *v, struct buf *out)
{
	bool first = true;

	buf_adds(out, "\"from\":{\"display\":");
	js(out, v->display);
	buf_adds(out, ",\"address\":");
	js(out, v->address);
	buf_adds(out, ",\"domain\":");
	js(out, v->domain);
	buf_addf(out, ",\"ambiguous\":%s,\"flags\":[", v->ambiguous ? "true" : "false");
	for (unsigned bit = 0; bit < 32; bit++) {
		const char *n = (v->from_flags & (1u << bit)) ? mail_from_flag_name(1u << bit) : NULL;

		if (!n)
			continue;
		if (!first)
			buf_addch(out, ',');
		buf_add_json_str(out, n);
		first = false;
	}
	if (v->flags & AUTH_V_PUNYCODE) {
		buf_adds(out, first ? "\"punycode\"" : ",\"punycode\"");
		first = false;
	}
	if (v->flags & AUTH_V_MIXED_SCRIPT)
		buf_adds(out, first ? "\"mixed-script\"" : ",\"mixed-script\"");
	buf_adds(out, "]");
	if (v->domain_unicode[0]) {
		buf_adds(out, ",\"domain_unicode\":");
		js(out, v->domain_unicode);
	}
	buf_addch(out, '}');
}

static const char *dkim_flag(unsigned bit)
{
	return auth_dkim_flag_name(bit);
}

void inspect_verdict_json(const struct auth_verdict *v, struct buf *out)
{
	buf_adds(out, "\"verdict\":{\"dkim\":[");
	for (size_t i = 0; i < v->dkim.n; i++) {
		const struct auth_dkim_sig *s = &v->dkim.sig[i];
		unsigned extra = 0;

		if (i)
			buf_addch(out, ',');
		buf_adds(out, "{\"domain\":");
		js(out, s->domain);
		buf_adds(out, ",\"selector\":");
		js(out, s->selector);
		buf_adds(out, ",\"algorithm\":");
		js(out, s->algorithm);
		buf_adds(out, ",\"result\":");
		buf_add_json_str(out, auth_dkim_result_name(s->result));
		buf_adds(out, ",\"reason\":");
		js(out, s->reason);
		buf_adds(out, ",\"covers\":{");
		for (unsigned b = 0; b < AUTH_DKIM_H_COUNT; b++) {
			const char *n = auth_dkim_hdr_name(1u << b);

			buf_addf(out, "%s\"%s\":%s", b ? "," : "", n, (s->covers & (1u << b)) ? "true" : "false");
		}
		if (s->length >= 0)
			buf_addf(out, ",\"body_length\":%lld,\"unsigned_body_bytes\":%llu", s->length,
			         s->unsigned_body);
		else
			buf_adds(out, ",\"body_length\":null,\"unsigned_body_bytes\":0");
		buf_addf(out, ",\"body_hash_ok\":%s}", s->body_ok ? "true" : "false");
		buf_adds(out, ",\"flags\":");
		/* one flag per duplicated header: "duplicated-from", "duplicated-subject" */
		{
			struct buf f = BUF_INIT;

			buf_add_json_flags(&f, s->flags & ~extra, dkim_flag);
			if (s->duplicated) {
				buf_truncate(&f, f.len - 1); /* reopen the list */
				for (unsigned b = 0; b < AUTH_DKIM_H_COUNT; b++)
					if (s->duplicated & (1u << b))
						buf_addf(&f, "%s\"duplicated-%s\"", f.len > 1 ? "," : "",
						         auth_dkim_hdr_name(1u << b));
				buf_addch(&f, ']');
			}
			buf_add(out, f.data, f.len);
			buf_release(&f);
		}
		buf_addf(out, ",\"key_bits\":%d}", s->key_bits);
	}
	buf_adds(out, "],\"spf\":");
	if (v->spf_checked) {
		buf_adds(out, "{\"result\":");
		buf_add_json_str(out, auth_spf_result_name(v->spf.result));
		buf_adds(out, ",\"domain\":");
		js(out, v->spf.domain);
		buf_adds(out, ",\"ip\":");
		js(out, v->spf.ip);
		buf_addch(out, '}');
	} else {
		buf_adds(out, "null");
	}
	buf_adds(out, ",\"dmarc\":");
	if (v->dmarc_checked) {
		buf_adds(out, "{\"result\":");
		buf_add_json_str(out, auth_dmarc_result_name(v->dmarc.result));
		buf_adds(out, ",\"policy\":");
		js(out, v->dmarc.policy);
		buf_adds(out, ",\"record_domain\":");
		js(out, v->dmarc.record_domain);
		buf_addf(out, ",\"dkim_aligned\":%s,\"spf_aligned\":%s}", v->dmarc.dkim_aligned ? "true" : "false",
		         v->dmarc.spf_aligned ? "true" : "false");
	} else {
		buf_adds(out, "null");
	}
	buf_adds(out, ",\"arc\":{\"cv\":");
	buf_add_json_str(out, auth_arc_cv_name(v->arc.cv));
	buf_adds(out, ",\"sealers\":[");
	for (size_t i = 0; i < v->arc.n && i < AUTH_ARC_MAX; i++) {
		if (i)
			buf_addch(out, ',');
		js(out, v->arc.sealer[i]);
	}
	buf_adds(out, "],\"reason\":");
	js(out, v->arc.reason);
	buf_addf(out, "},\"authres\":{\"trusted\":%s,\"headers\":%zu,\"forged\":%zu,\"said\":{",
	         v->ar.n_trusted > 0 ? "true" : "false", v->ar.total, v->ar.forged);
	buf_adds(out, "\"dkim\":");
	js_or_null(out, v->said_dkim);
	buf_adds(out, ",\"dkim_domain\":");
	js_or_null(out, v->said_dkim_domain);
	buf_adds(out, ",\"spf\":");
	js_or_null(out, v->said_spf);
	buf_adds(out, ",\"dmarc\":");
	js_or_null(out, v->said_dmarc);
	buf_adds(out, ",\"dmarc_from\":");
	js_or_null(out, v->said_dmarc_from);
	buf_adds(out, ",\"arc\":");
	js_or_null(out, v->said_arc);
	buf_adds(out, "}},\"flags\":");
	buf_add_json_flags(out, v->flags, auth_verdict_flag_name);
	buf_addf(out, ",\"aligned_pass\":%s,\"pass_by\":", v->aligned_pass ? "true" : "false");
	js_or_null(out, v->pass_by);
	buf_adds(out, ",\"level\":");
	buf_add_json_str(out, v->level == AUTH_LEVEL_GOOD ? "good" : v->level == AUTH_LEVEL_BAD ? "bad"
	                      : v->level == AUTH_LEVEL_WARN ? "warn" : "neutral");
	buf_adds(out, ",\"summary\":");
	js(out, v->summary);
	buf_addch(out, '}');
}

/* ------------------------------------------------------------ text */

static void ts(struct buf *out, const char *s)
{
	safe_text(out, s ? s : "", strlen(s ? s : ""), SAFE_LINE);
}

void inspect_verdict_text(const struct auth_verdict *v, struct buf *out)
{
	buf_adds(out, "\nSender verdict: ");
	ts(out, v->summary);
	buf_adds(out, v->aligned_pass ? "\n  aligned pass: yes\n" : "\n  aligned pass: no\n");
	buf_adds(out, "  From:      ");
	ts(out, v->address);
	if (v->display) {
		buf_adds(out, "  (name \"");
		ts(out, v->display);
		buf_adds(out, "\")");
	}
	if (v->domain_unicode[0]) {
		buf_adds(out, "  domain shown as ");
		ts(out, v->domain_unicode);
	}
	buf_addch(out, '\n');
	for (size_t i = 0; i < v->dkim.n; i++) {
		const struct auth_dkim_sig *s = &v->dkim.sig[i];

		buf_adds(out, "  DKIM:      ");
		buf_adds(out, auth_dkim_result_name(s->result));
		buf_adds(out, " d=");
		ts(out, s->domain);
		buf_adds(out, " s=");
		ts(out, s->selector);
		buf_adds(out, " a=");
		ts(out, s->algorithm);
		if (s->reason[0]) {
			buf_adds(out, " (");
			ts(out, s->reason);
			buf_addch(out, ')');
		}
		buf_adds(out, "\n             covers:");
		for (unsigned b = 0; b < 5; b++)
			buf_addf(out, " %s%s", (s->covers & (1u << b)) ? "" : "NOT-", auth_dkim_hdr_name(1u << b));
		if (s->length >= 0)
			buf_addf(out, "; l=%lld, %llu body bytes unsigned", s->length, s->unsigned_body);
		for (unsigned b = 0; b < AUTH_DKIM_H_COUNT; b++)
			if (s->duplicated & (1u << b))
				buf_addf(out, "; %s duplicated (the first one shown is unsigned)",
				         auth_dkim_hdr_name(1u << b));
		buf_addch(out, '\n');
	}
	if (v->dkim.n == 0)
		buf_adds(out, "  DKIM:      no signature\n");
	if (v->spf_checked) {
		buf_addf(out, "  SPF:       %s for ", auth_spf_result_name(v->spf.result));
		ts(out, v->spf.domain);
		buf_adds(out, " from ");
		ts(out, v->spf.ip);
		buf_addch(out, '\n');
	}
	if (v->dmarc_checked) {
		buf_addf(out, "  DMARC:     %s (the domain's policy: ", auth_dmarc_result_name(v->dmarc.result));
		ts(out, v->dmarc.policy[0] ? v->dmarc.policy : "none");
		buf_adds(out, ")\n");
	}
	buf_addf(out, "  ARC:       %s", auth_arc_cv_name(v->arc.cv));
	for (size_t i = 0; i < v->arc.n && i < AUTH_ARC_MAX; i++) {
		buf_adds(out, i ? ", " : " sealed by ");
		ts(out, v->arc.sealer[i]);
	}
	buf_addch(out, '\n');
	buf_addf(out, "  server said (%zu of %zu Authentication-Results believed):", v->ar.n_trusted,
	         v->ar.total);
	if (v->said_dkim[0]) {
		buf_adds(out, " dkim=");
		ts(out, v->said_dkim);
	}
	if (v->said_spf[0]) {
		buf_adds(out, " spf=");
		ts(out, v->said_spf);
	}
	if (v->said_dmarc[0]) {
		buf_adds(out, " dmarc=");
		ts(out, v->said_dmarc);
	}
	buf_addch(out, '\n');
	buf_adds(out, "  flags:    ");
	if (v->flags == 0)
		buf_adds(out, " none");
	for (unsigned b = 0; b < 32; b++) {
		const char *n = (v->flags & (1u << b)) ? auth_verdict_flag_name(1u << b) : NULL;

		if (n) {
			buf_addch(out, ' ');
			buf_adds(out, n);
		}
	}
	buf_addch(out, '\n');
}
