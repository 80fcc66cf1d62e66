/* ARC (RFC 8617): validate the chain of ARC sets a message collected on
 * its way through forwarders and lists, and name the sealers.  The newest
 * ARC-Message-Signature is a DKIM signature (dkim.c verifies it); every
 * ARC-Seal signs the sets up to its own, oldest first (RFC 8617 5.1.1). */
#include "auth/auth.h"
#include "auth/dkim_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* snprintf that may cut (the texts are for people; a cut one is fine). */
static void fmt(char *dst, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *dst, size_t n, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(dst, n, f, ap);
	va_end(ap);
}

enum { ARC_AAR, ARC_AMS, ARC_AS };

const char *auth_arc_cv_name(enum auth_arc_cv cv)
{
	switch (cv) {
	case AUTH_ARC_NONE: return "none";
	case AUTH_ARC_PASS: return "pass";
	case AUTH_ARC_FAIL: return "fail";
	case AUTH_ARC_TEMPERROR: return "temperror";
	}
	return "none";
}

/* The value of tag NAME in a tag-list value [v, v+n), trimmed; NULL if
 * absent.  Enough to find i= and cv= before the full parse. */
static const char *find_tag(const char *v, size_t n, const char *name, size_t *vlen)
{
	size_t i = 0, nl = strlen(name);

	while (i < n) {
		size_t s = i, e, k;

		while (i < n && v[i] != ';')
			i++;
		e = i;
		i++;
		while (s < e && isspace((unsigned char)v[s]))
			s++;
		if (e - s < nl || str_ncasecmp(v + s, name, nl) != 0)
			continue;
		k = s + nl;
		while (k < e && isspace((unsigned char)v[k]))
			k++;
		if (k >= e || v[k] != '=')
			continue;
		k++;
		while (k < e && isspace((unsigned char)v[k]))
			k++;
		while (e > k && isspace((unsigned char)v[e - 1]))
			e--;
		*vlen = e - k;
		return v + k;
	}
	return NULL;
}

/* Instance number 1..50, or 0 when missing or bad. */
static int instance(const char *v, size_t n)
{
	size_t len = 0;
	const char *p = find_tag(v, n, "i", &len);
	int x = 0;

	if (!p || len == 0 || len > 2)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return 0;
		x = x * 10 + (p[i] - '0');
	}
	return x >= 1 && x <= AUTH_ARC_MAX ? x : 0;
}

static int fail(struct auth_arc *out, int inst, const char *why)
{
	out->cv = AUTH_ARC_FAIL;
	out->failed = inst;
	str_copy(out->reason, why, sizeof(out->reason));
	return WARY_OK;
}

int auth_arc_verify(struct auth_dkim_ctx *ctx, const struct auth_dns *dns, const char *raw,
                    size_t len, time_t now, struct auth_arc *out, char *err, size_t errlen)
{
	struct auth_dkim_ctx *own = NULL;
	struct dkim_msg m;
	size_t idx[AUTH_ARC_MAX + 1][3];
	bool seen[AUTH_ARC_MAX + 1][3];
	int max = 0, rc = WARY_OK;
	static const char *const names[3] = { "ARC-Authentication-Results", "ARC-Message-Signature",
	                                      "ARC-Seal" };

	memset(out, 0, sizeof(*out));
	memset(seen, 0, sizeof(seen));
	if (!ctx) {
		rc = auth_dkim_ctx_new(&own, err, errlen);
		if (rc != WARY_OK)
			return rc;
		ctx = own;
	}
	dkim_msg_split(ctx, raw, len, &m);
	for (size_t i = 0; i < m.nf; i++) {
		const char *f = raw + m.fs[i], *colon;
		size_t fn = m.fe[i] - m.fs[i];
		int kind = -1, inst;

		for (int k = 0; k < 3; k++)
			if (dkim_field_is(f, fn, names[k]))
				kind = k;
		if (kind < 0)
			continue;
		out->n++;
		colon = memchr(f, ':', fn);
		inst = instance(colon + 1, fn - (size_t)(colon + 1 - f));
		if (inst == 0) {
			fail(out, 0, "an ARC header without a valid instance (i=1..50)");
			goto out;
		}
		if (seen[inst][kind]) {
			fail(out, inst, "two ARC headers of one kind with the same instance");
			goto out;
		}
		seen[inst][kind] = true;
		idx[inst][kind] = i;
		if (inst > max)
			max = inst;
	}
	if (out->n == 0) {
		out->cv = AUTH_ARC_NONE;
		goto out;
	}
	out->n = (size_t)max;
	for (int i = 1; i <= max; i++)
		if (!seen[i][ARC_AAR] || !seen[i][ARC_AMS] || !seen[i][ARC_AS]) {
			fail(out, i, "an ARC set is incomplete or an instance is missing");
			goto out;
		}
	/* the seals' cv= (RFC 8617 5.2 step 2, 4.1.3) */
	for (int i = max; i >= 1; i--) {
		const char *f = raw + m.fs[idx[i][ARC_AS]], *colon = memchr(f, ':', m.fe[idx[i][ARC_AS]] - m.fs[idx[i][ARC_AS]]);
		size_t fn = m.fe[idx[i][ARC_AS]] - m.fs[idx[i][ARC_AS]], vl = 0;
		const char *cv = find_tag(colon + 1, fn - (size_t)(colon + 1 - f), "cv", &vl);
		enum auth_arc_cv c;

		{
			/* the sealer is named even when the chain breaks later */
			size_t dl = 0, o = 0;
			const char *d = find_tag(colon + 1, fn - (size_t)(colon + 1 - f), "d", &dl);

			for (size_t k = 0; d && k < dl && o + 1 < sizeof(out->sealer[i - 1]); k++)
				if (d[k] != ' ' && d[k] != '\t' && d[k] != '\r' && d[k] != '\n')
					out->sealer[i - 1][o++] = d[k];
			out->sealer[i - 1][o] = '\0';
		}
		if (!cv) {
			fail(out, i, "ARC-Seal without cv=");
			goto out;
		}
		if (vl == 4 && str_ncasecmp(cv, "none", 4) == 0)
			c = AUTH_ARC_NONE;
		else if (vl == 4 && str_ncasecmp(cv, "pass", 4) == 0)
			c = AUTH_ARC_PASS;
		else if (vl == 4 && str_ncasecmp(cv, "fail", 4) == 0)
			c = AUTH_ARC_FAIL;
		else {
			fail(out, i, "ARC-Seal cv= is not none, pass or fail");
			goto out;
		}
		if (i == max)
			out->last_cv = c;
		if (c == AUTH_ARC_FAIL) {
			fail(out, i, "a sealer already found the chain broken (cv=fail)");
			goto out;
		}
		if ((i == 1) != (c == AUTH_ARC_NONE)) {
			fail(out, i, i == 1 ? "the first ARC-Seal must say cv=none"
			                    : "a later ARC-Seal must say cv=pass");
			goto out;
		}
	}
	{
		const char *f = raw + m.fs[idx[max][ARC_AAR]], *colon;
		size_t fn = m.fe[idx[max][ARC_AAR]] - m.fs[idx[max][ARC_AAR]], o = 0;

		colon = memchr(f, ':', fn);
		for (const char *p = colon + 1; p < f + fn && o + 1 < sizeof(out->last_aar); p++)
			if (*p != '\r' && *p != '\n')
				out->last_aar[o++] = *p;
		out->last_aar[o] = '\0';
	}
	/* the newest ARC-Message-Signature */
	{
		struct auth_dkim_sig s;

		dkim_verify_sig(ctx, dns, &m, idx[max][ARC_AMS], now, true, &s);
		out->ams_ok = s.result == AUTH_DKIM_PASS;
		if (!out->ams_ok) {
			char why[160];

			fmt(why, sizeof(why), "ARC-Message-Signature %d: %s", max, s.reason);
			fail(out, max, why);
			if (s.result == AUTH_DKIM_TEMPERROR)
				out->cv = AUTH_ARC_TEMPERROR;
			goto out;
		}
	}
	/* every seal, newest first */
	for (int i = max; i >= 1; i--) {
		size_t fields[3 * AUTH_ARC_MAX], nf = 0;
		char why[128], dom[256], msg[160];
		enum auth_dkim_result r;

		for (int j = 1; j <= i; j++) {
			fields[nf++] = idx[j][ARC_AAR];
			fields[nf++] = idx[j][ARC_AMS];
			if (j < i)
				fields[nf++] = idx[j][ARC_AS];
		}
		why[0] = '\0';
		r = dkim_seal_check(ctx, dns, &m, fields, nf, idx[i][ARC_AS], now, dom, sizeof(dom), why,
		                    sizeof(why));
		if (dom[0])
			str_copy(out->sealer[i - 1], dom, sizeof(out->sealer[i - 1]));
		if (r != AUTH_DKIM_PASS) {
			fmt(msg, sizeof(msg), "ARC-Seal %d: %s", i, why);
			fail(out, i, msg);
			if (r == AUTH_DKIM_TEMPERROR)
				out->cv = AUTH_ARC_TEMPERROR;
			goto out;
		}
	}
	out->cv = AUTH_ARC_PASS;
out:
	auth_dkim_ctx_free(&own);
	return rc;
}
