/*
 * SPF (RFC 7208): macro expansion by the RFC's own examples, the lookup
 * limits, record syntax, and the whole OpenSPF suite (rfc7208-tests.yml)
 * with DNS answered from its zone data in memory.
 */
#include "auth/auth.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct auth_zone *zone_of(const char *text)
{
	struct auth_zone *z;
	char err[256];
	auth_zone_new(&z);
	if (auth_zone_load(z, text, err, sizeof err) != WARY_OK)
		printf("# zone: %s\n", err);
	return z;
}

static enum auth_spf_result spf(struct auth_zone *z, const char *ip, const char *helo,
                                const char *from, struct auth_spf *out)
{
	struct auth_dns dns;
	char err[256];
	auth_zone_dns(z, &dns);
	if (auth_spf_check(&dns, ip, helo, from, out, err, sizeof err) != WARY_OK)
		printf("# spf: %s\n", err);
	return out->result;
}

/* RFC 7208 7.4: the examples, with the exp= text carrying the expansion. */
static void macros(void)
{
	static const struct { const char *macro, *want; } ex[] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "1.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		  "bad.strong.lp.1.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		  "1.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net" },
		{ "%% %_ %-", "%   %20" },
		{ "%{c} %{r}", "192.0.2.1 unknown" },
		{ "%{L}", "strong-bad" },
		{ "%{S}", "strong-bad%40email.example.com" },
		{ "%{h}", "mx.example.org" },
	};
	for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
		struct buf zt = BUF_INIT;
		buf_addf(&zt, "email.example.com TXT \"v=spf1 -all exp=x.example.net\"\n"
		              "x.example.net TXT \"%s\"\n", ex[i].macro);
		struct auth_zone *z = zone_of(zt.data);
		struct auth_spf out;
		spf(z, "192.0.2.1", "mx.example.org", "strong-bad@email.example.com", &out);
		char what[128];
		snprintf(what, sizeof what, "macro %s", ex[i].macro);
		T_STR(out.explanation, ex[i].want, what);
		auth_zone_free(&z);
		buf_release(&zt);
	}
	/* IPv6 %{i}: 32 nibbles */
	struct auth_zone *z = zone_of("e.example TXT \"v=spf1 -all exp=x.e.example\"\n"
	                              "x.e.example TXT \"%{ir}.%{v}\"\n");
	struct auth_spf out;
	spf(z, "2001:db8::cb01", "h.example", "a@e.example", &out);
	T_STR(out.explanation,
	      "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6", "macro %{ir} IPv6");
	auth_zone_free(&z);
	/* %{p}: validated name, unvalidated "unknown" */
	z = zone_of("p.example TXT \"v=spf1 -all exp=x.p.example\"\n"
	            "x.p.example TXT \"%{p}\"\n"
	            "1.2.0.192.in-addr.arpa PTR mail.p.example\n"
	            "1.2.0.192.in-addr.arpa PTR forged.other.example\n"
	            "mail.p.example A 192.0.2.1\n");
	spf(z, "192.0.2.1", "h.example", "a@p.example", &out);
	T_STR(out.explanation, "mail.p.example", "macro %{p} validated");
	spf(z, "192.0.2.9", "h.example", "a@p.example", &out);
	T_STR(out.explanation, "unknown", "macro %{p} not validated");
	auth_zone_free(&z);
}

static void limits(void)
{
	struct auth_spf out;
	/* 10 includes are fine, the 11th is a permerror */
	struct buf zt = BUF_INIT;
	for (int i = 0; i < 11; i++)
		buf_addf(&zt, "l%d.example TXT \"v=spf1 include:l%d.example\"\n", i, i + 1);
	buf_adds(&zt, "l11.example TXT \"v=spf1 +all\"\n");
	struct auth_zone *z = zone_of(zt.data);
	T_INT(spf(z, "192.0.2.1", "h", "x@l1.example", &out), AUTH_SPF_PASS, "10 DNS terms pass");
	T_INT(out.dns_mechs, 10, "10 counted");
	T_INT(spf(z, "192.0.2.1", "h", "x@l0.example", &out), AUTH_SPF_PERMERROR,
	      "11 DNS terms: permerror");
	auth_zone_free(&z);
	buf_release(&zt);
	/* an include loop ends at the limit, not in a stack overflow */
	z = zone_of("loop.example TXT \"v=spf1 include:loop.example -all\"\n");
	T_INT(spf(z, "192.0.2.1", "h", "x@loop.example", &out), AUTH_SPF_PERMERROR, "include loop");
	T_OK(auth_zone_queries(z) <= 12, "include loop: bounded queries");
	auth_zone_free(&z);
	/* void lookups: 2 allowed, the 3rd is a permerror */
	z = zone_of("v2.example TXT \"v=spf1 a:n1.v2.example a:n2.v2.example ip4:192.0.2.1 -all\"\n"
	            "v3.example TXT \"v=spf1 a:n1.v3.example a:n2.v3.example exists:n3.v3.example "
	            "ip4:192.0.2.1 -all\"\n");
	T_INT(spf(z, "192.0.2.1", "h", "x@v2.example", &out), AUTH_SPF_PASS, "2 void lookups pass");
	T_INT(spf(z, "192.0.2.1", "h", "x@v3.example", &out), AUTH_SPF_PERMERROR,
	      "3 void lookups: permerror");
	auth_zone_free(&z);
	/* more than 10 MX names */
	zt = (struct buf)BUF_INIT;
	buf_adds(&zt, "mx.example TXT \"v=spf1 mx -all\"\n");
	for (int i = 0; i < 11; i++)
		buf_addf(&zt, "mx.example MX %d m%d.mx.example\nm%d.mx.example A 192.0.2.%d\n",
		         i, i, i, i + 10);
	z = zone_of(zt.data);
	T_INT(spf(z, "192.0.2.10", "h", "x@mx.example", &out), AUTH_SPF_PERMERROR, "11 MX: permerror");
	auth_zone_free(&z);
	buf_release(&zt);
}

static void syntax(void)
{
	static const struct { const char *rec; const char *ip; enum auth_spf_result want; } c[] = {
		{ "v=spf1 ip4:192.0.2.0/24 -all", "192.0.2.77", AUTH_SPF_PASS },
		{ "v=spf1 ip4:192.0.2.0/24 -all", "198.51.100.1", AUTH_SPF_FAIL },
		{ "v=spf1 ip4:192.0.2.0/33 -all", "192.0.2.1", AUTH_SPF_PERMERROR },
		{ "v=spf1 ip4:192.0.02.1 -all", "192.0.2.1", AUTH_SPF_PERMERROR },
		{ "v=spf1 ip6:2001:db8::/32 ~all", "2001:db8:1::5", AUTH_SPF_PASS },
		{ "v=spf1 ip6:2001:db8::/32 ~all", "2001:db9::5", AUTH_SPF_SOFTFAIL },
		{ "v=spf1 ip4:192.0.2.1 ?all", "::ffff:192.0.2.1", AUTH_SPF_PASS },
		{ "v=spf1 -all foo", "192.0.2.1", AUTH_SPF_PERMERROR },
		{ "v=spf1 -all foo=%{x}", "192.0.2.1", AUTH_SPF_PERMERROR },
		{ "v=spf1 -all foo=bar", "192.0.2.1", AUTH_SPF_FAIL },
		{ "v=spf1 redirect=a.example redirect=b.example", "192.0.2.1", AUTH_SPF_PERMERROR },
		{ "v=spf1 a:museum -all", "192.0.2.1", AUTH_SPF_PERMERROR },
		{ "v=spf1 a:%{d}/24 -all", "192.0.2.1", AUTH_SPF_FAIL },
		{ "v=spf1 ?all", "192.0.2.1", AUTH_SPF_NEUTRAL },
		{ "v=spf1", "192.0.2.1", AUTH_SPF_NEUTRAL },
		{ "v=spf1 include:none.example -all", "192.0.2.1", AUTH_SPF_PERMERROR },
		{ "v=spf10 -all", "192.0.2.1", AUTH_SPF_NONE },
		{ "v=spf1 exists:%{i}.tmp.example -all", "192.0.2.1", AUTH_SPF_FAIL },
		{ "v=spf1 -all exp=", "192.0.2.1", AUTH_SPF_PERMERROR },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct buf zt = BUF_INIT;
		buf_addf(&zt, "s.example TXT \"%s\"\n", c[i].rec);
		struct auth_zone *z = zone_of(zt.data);
		struct auth_spf out;
		char what[160];
		snprintf(what, sizeof what, "%s from %s: %s", c[i].rec, c[i].ip,
		         auth_spf_result_name(c[i].want));
		T_INT(spf(z, c[i].ip, "h.example", "x@s.example", &out), c[i].want, what);
		auth_zone_free(&z);
		buf_release(&zt);
	}
	struct auth_zone *z = zone_of("two.example TXT \"v=spf1 +all\"\ntwo.example TXT \"v=spf1 -all\"\n"
	                              "tmp.example TIMEOUT\n"
	                              "helo.example TXT \"v=spf1 a -all\"\nhelo.example A 192.0.2.5\n");
	struct auth_spf out;
	T_INT(spf(z, "192.0.2.1", "h", "x@two.example", &out), AUTH_SPF_PERMERROR,
	      "two records: permerror");
	T_INT(spf(z, "192.0.2.1", "h", "x@tmp.example", &out), AUTH_SPF_TEMPERROR, "timeout: temperror");
	T_INT(spf(z, "192.0.2.5", "helo.example", "", &out), AUTH_SPF_PASS, "null sender checks HELO");
	T_STR(out.domain, "helo.example", "null sender: domain is the HELO");
	T_INT(spf(z, "192.0.2.5", "helo.example", "<>", &out), AUTH_SPF_PASS, "<> is the null sender");
	/* hostile: a huge record */
	struct buf big = BUF_INIT;
	buf_adds(&big, "big.example TXT \"v=spf1");
	for (int i = 0; i < 5000; i++)
		buf_adds(&big, " ?ip4:10.0.0.1");
	buf_adds(&big, " -all\"\n");
	auth_zone_free(&z);
	z = zone_of(big.data);
	T_INT(spf(z, "192.0.2.1", "h", "x@big.example", &out), AUTH_SPF_PERMERROR,
	      "5000 terms: permerror");
	auth_zone_free(&z);
	buf_release(&big);
	T_STR(auth_spf_result_name(AUTH_SPF_SOFTFAIL), "softfail", "result names");
}

static const char *suite_path(void)
{
	static const char *const candidates[] = {
		"/usr/share/doc/python3-spf/rfc7208-tests.yml.gz",
		"/usr/share/doc/python3-spf/rfc7208-tests.yml",
		TOP_SRCDIR "/../shared/auth-suites/openspf-rfc7208/rfc7208-tests.yml",
	};
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return NULL;
}

static bool result_in(const char *list, const char *r)
{
	size_t n = strlen(r);
	for (const char *p = list; *p; ) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && strncmp(p, r, n) == 0)
			return true;
		p += l + (e ? 1 : 0);
	}
	return false;
}

static void openspf(void)
{
	const char *path = suite_path();
	if (!path || access("/usr/bin/python3", X_OK) != 0) {
		t_skip("OpenSPF rfc7208-tests.yml",
		       "not found (python3-spf's copy or ../shared/auth-suites/openspf-rfc7208)");
		return;
	}
	struct buf cmd = BUF_INIT;
	buf_addf(&cmd, "python3 '%s/tests/unit/openspf2zone.py' '%s'", TOP_SRCDIR, path);
	FILE *f = popen(cmd.data, "r");
	buf_release(&cmd);
	if (!f) {
		t_skip("OpenSPF suite", "cannot run python3");
		return;
	}
	struct buf zt = BUF_INIT;
	struct auth_zone *z = NULL;
	char line[8192];
	int total = 0, passed = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "@scenario") == 0) {
			auth_zone_free(&z);
			buf_reset(&zt);
			continue;
		}
		if (strncmp(line, "@test\t", 6) != 0) {
			buf_adds(&zt, line);
			buf_addch(&zt, '\n');
			continue;
		}
		if (!z)
			z = zone_of(zt.data ? zt.data : "");
		char *fld[7] = { 0 };
		char *p = line;
		for (int i = 0; i < 7; i++) {
			fld[i] = p;
			char *tab = p ? strchr(p, '\t') : NULL;
			if (tab)
				*tab = '\0';
			p = tab ? tab + 1 : NULL;
		}
		if (!fld[6])
			continue;
		struct auth_spf out;
		spf(z, fld[3], fld[2], fld[4], &out);
		const char *got = auth_spf_result_name(out.result);
		bool ok = result_in(fld[5], got);
		const char *want_exp = fld[6];
		if (ok && strcmp(want_exp, "!") != 0 && out.result == AUTH_SPF_FAIL) {
			if (strcmp(want_exp, "DEFAULT") == 0)
				want_exp = "";
			ok = strcmp(out.explanation, want_exp) == 0;
		}
		total++;
		if (ok)
			passed++;
		else
			printf("# openspf %s: got %s \"%s\", want %s \"%s\"\n", fld[1], got,
			       out.explanation, fld[5], fld[6]);
	}
	pclose(f);
	auth_zone_free(&z);
	buf_release(&zt);
	printf("# OpenSPF rfc7208-tests: %d/%d\n", passed, total);
	char what[128];
	snprintf(what, sizeof what, "OpenSPF rfc7208-tests: %d/%d", passed, total);
	T_OK(total == 203 && passed == total, what);
}

int main(void)
{
	macros();
	limits();
	syntax();
	openspf();
	return t_done();
}
