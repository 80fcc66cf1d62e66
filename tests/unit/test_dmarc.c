/*
 * DMARC (RFC 7489): record syntax, discovery at the From domain and the
 * organizational domain, alignment, p/sp/np/pct, several From addresses;
 * the authheaders test data when ../shared/auth-suites has it.  DNS comes
 * from zone data in memory (tests/integration/dmarc.sh asks unbound).
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

static const char zone_text[] =
	"_dmarc.example.com TXT \"v=DMARC1; p=reject; rua=mailto:d@example.com\"\n"
	"_dmarc.quar.example TXT \"v=DMARC1; p=quarantine; sp=none; adkim=s; aspf=s\"\n"
	"_dmarc.half.example TXT \"v=DMARC1; p=reject; pct=50\"\n"
	"_dmarc.zero.example TXT \"v=DMARC1; p=quarantine; pct=0\"\n"
	"_dmarc.sp.example TXT \"v=DMARC1; p=none; sp=reject\"\n"
	"_dmarc.bad1.example TXT \"p=reject; v=DMARC1\"\n"
	"_dmarc.bad2.example TXT \"v=DMARC1; p=reject; junk\"\n"
	"_dmarc.bad3.example TXT \"v=DMARC1; p=\"\n"
	"_dmarc.nop.example TXT \"v=DMARC1; sp=reject\"\n"
	"_dmarc.nopr.example TXT \"v=DMARC1; p=bogus; rua=mailto:r@nopr.example\"\n"
	"_dmarc.two.example TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.two.example TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.other.example TXT \"some other text\"\n"
	"_dmarc.other.example TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.slow.example TIMEOUT\n"
	"_dmarc.case.example TXT \"v=DMARC1; P=reject\"\n"
	"_dmarc.np.example TXT \"v=DMARC1; p=none; sp=quarantine; np=reject\"\n"
	"real.np.example A 192.0.2.1\n"
	"_dmarc.example.co.uk TXT \"v=DMARC1; p=reject\"\n";

struct dcase {
	const char *what;
	const char *from;
	const char *dkim;       /* a passing d=, or NULL */
	enum auth_spf_result spf;
	const char *spf_domain;
	enum auth_dmarc_result want;
	const char *policy;
	const char *record;     /* where the record must be found */
};

static void cases(void)
{
	static const struct dcase c[] = {
		{ "DKIM aligned exactly", "example.com", "example.com", AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_PASS, "reject", "example.com" },
		{ "DKIM relaxed: subdomain signer", "example.com", "mail.example.com", AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_PASS, "reject", "example.com" },
		{ "SPF relaxed: bounce subdomain", "example.com", NULL, AUTH_SPF_PASS, "bounce.example.com",
		  AUTH_DMARC_PASS, "reject", "example.com" },
		{ "SPF pass of another domain is no pass", "example.com", NULL, AUTH_SPF_PASS, "evil.example",
		  AUTH_DMARC_FAIL, "reject", "example.com" },
		{ "SPF softfail does not align", "example.com", NULL, AUTH_SPF_SOFTFAIL, "example.com",
		  AUTH_DMARC_FAIL, "reject", "example.com" },
		{ "DKIM of a look-alike org fails", "example.com", "example.com.evil.example", AUTH_SPF_NONE,
		  NULL, AUTH_DMARC_FAIL, "reject", "example.com" },
		{ "adkim=s: subdomain signer fails", "quar.example", "m.quar.example", AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_FAIL, "quarantine", "quar.example" },
		{ "aspf=s: subdomain bounce fails", "quar.example", NULL, AUTH_SPF_PASS, "b.quar.example",
		  AUTH_DMARC_FAIL, "quarantine", "quar.example" },
		{ "org fallback: sp= applies to a subdomain", "news.sp.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_FAIL, "reject", "sp.example" },
		{ "org fallback: sp=none", "a.b.quar.example", "quar.example", AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_FAIL, "none", "quar.example" },
		{ "org fallback: relaxed pass", "news.example.com", "example.com", AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_PASS, "reject", "example.com" },
		{ "pct=50: the milder policy is sure", "half.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_FAIL, "quarantine", "half.example" },
		{ "pct=0 quarantine -> none", "zero.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_FAIL, "none", "zero.example" },
		{ "no record", "norecord.example", "norecord.example", AUTH_SPF_PASS, "norecord.example",
		  AUTH_DMARC_NONE, "none", "" },
		{ "v= not first: not a DMARC record", "bad1.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_NONE, "none", "" },
		{ "a tag without =: permerror", "bad2.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_PERMERROR, "none", "bad2.example" },
		{ "empty p=: permerror", "bad3.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_PERMERROR, "none", "bad3.example" },
		{ "no p= and no rua: no policy", "nop.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_NONE, "none", "" },
		{ "bad p= with rua: acts as p=none", "nopr.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_FAIL, "none", "nopr.example" },
		{ "two records: none", "two.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_NONE, "none", "" },
		{ "other TXT beside the record ignored", "other.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_FAIL, "reject", "other.example" },
		{ "timeout: temperror", "slow.example", "slow.example", AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_TEMPERROR, "none", "" },
		{ "tag names are case-sensitive: P= is no p=", "case.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_NONE, "none", "" },
		{ "np= for a name that does not exist", "ghost.np.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_FAIL, "reject", "np.example" },
		{ "sp= for a name that exists", "real.np.example", NULL, AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_FAIL, "quarantine", "np.example" },
		{ "PSL: co.uk is a suffix, org is example.co.uk", "shop.example.co.uk", NULL, AUTH_SPF_NONE,
		  NULL, AUTH_DMARC_FAIL, "reject", "example.co.uk" },
		{ "upper-case From domain", "EXAMPLE.COM", "example.com", AUTH_SPF_NONE, NULL,
		  AUTH_DMARC_PASS, "reject", "example.com" },
	};
	struct auth_zone *z = zone_of(zone_text);
	struct auth_dns dns;
	auth_zone_dns(z, &dns);
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		const char *dk[1] = { c[i].dkim };
		struct auth_dmarc_in in = { c[i].from, dk, c[i].dkim ? 1 : 0, c[i].spf, c[i].spf_domain };
		struct auth_dmarc out;
		char err[256] = "", what[200];
		int rc = auth_dmarc_check(&dns, &in, &out, err, sizeof err);
		snprintf(what, sizeof what, "%s: %s", c[i].what, auth_dmarc_result_name(c[i].want));
		T_OK(rc == WARY_OK && out.result == c[i].want, what);
		if (out.result != c[i].want)
			printf("#   got %s (%s)\n", auth_dmarc_result_name(out.result), err);
		snprintf(what, sizeof what, "%s: policy %s", c[i].what, c[i].policy);
		T_STR(out.policy, c[i].policy, what);
		snprintf(what, sizeof what, "%s: record at '%s'", c[i].what, c[i].record);
		T_STR(out.record_domain, c[i].record, what);
	}
	/* several From domains: one failing one fails the message */
	const char *froms[] = { "example.com", "quar.example" };
	const char *dk[] = { "example.com" };
	struct auth_dmarc_in in = { NULL, dk, 1, AUTH_SPF_NONE, NULL };
	struct auth_dmarc out;
	char err[256];
	auth_dmarc_check_all(&dns, froms, 2, &in, &out, err, sizeof err);
	T_INT(out.result, AUTH_DMARC_FAIL, "two From domains, one unaligned: fail");
	T_STR(out.policy, "reject", "two From domains: the strictest policy");
	auth_dmarc_check_all(&dns, froms, 0, &in, &out, err, sizeof err);
	T_INT(out.result, AUTH_DMARC_PERMERROR, "no From domain: permerror");
	/* hostile input */
	struct auth_dmarc_in h = { "", NULL, 0, AUTH_SPF_NONE, NULL };
	auth_dmarc_check(&dns, &h, &out, err, sizeof err);
	T_INT(out.result, AUTH_DMARC_PERMERROR, "empty From domain: permerror");
	h.from_domain = "a@b.example";
	auth_dmarc_check(&dns, &h, &out, err, sizeof err);
	T_INT(out.result, AUTH_DMARC_PERMERROR, "an address as From domain: permerror");
	auth_zone_free(&z);

	struct buf big = BUF_INIT;
	buf_adds(&big, "_dmarc.big.example TXT \"v=DMARC1; p=reject");
	for (int i = 0; i < 20000; i++)
		buf_adds(&big, "; x=y");
	buf_adds(&big, "\"\n");
	z = zone_of(big.data);
	auth_zone_dns(z, &dns);
	h.from_domain = "big.example";
	auth_dmarc_check(&dns, &h, &out, err, sizeof err);
	T_INT(out.result, AUTH_DMARC_FAIL, "a 100 KB record with 20000 tags still parses");
	auth_zone_free(&z);
	buf_release(&big);
}

static void org(void)
{
	char o[256];
	T_OK(auth_org_domain("mail.example.com", o, sizeof o) == WARY_OK && strcmp(o, "example.com") == 0,
	     "org domain of mail.example.com");
	T_OK(auth_org_domain("a.b.example.co.uk", o, sizeof o) == WARY_OK
	     && strcmp(o, "example.co.uk") == 0, "org domain under co.uk");
	T_INT(auth_org_domain("co.uk", o, sizeof o), WARY_EPARSE, "a public suffix has none");
	T_OK(auth_org_domain("Www.Example.ORG.", o, sizeof o) == WARY_OK && strcmp(o, "example.org") == 0,
	     "org domain: case and trailing dot");
	/* a suffix only the real list knows (Debian's file, not the builtin only) */
	T_OK(auth_org_domain("x.user.github.io", o, sizeof o) == WARY_OK
	     && strcmp(o, "user.github.io") == 0, "private suffix github.io");
}

static void authheaders(void)
{
	const char *dir = TOP_SRCDIR "/../shared/auth-suites/authheaders-testdata";
	char probe[1024];
	snprintf(probe, sizeof probe, "%s/cases.json", dir);
	if (access(probe, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
		t_skip("authheaders DMARC cases", "../shared/auth-suites/authheaders-testdata absent");
		return;
	}
	struct buf cmd = BUF_INIT;
	buf_addf(&cmd, "python3 '%s/tests/unit/authheaders2cases.py' '%s'", TOP_SRCDIR, dir);
	FILE *f = popen(cmd.data, "r");
	buf_release(&cmd);
	struct buf zt = BUF_INIT;
	struct auth_zone *z = NULL;
	char line[8192];
	int total = 0, passed = 0, bis = 0;
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "@case\t", 6) != 0) {
			buf_adds(&zt, line);
			buf_addch(&zt, '\n');
			continue;
		}
		if (!z)
			z = zone_of(zt.data ? zt.data : "");
		char *fld[8] = { 0 };
		char *p = line;
		for (int i = 0; i < 8 && p; i++) {
			fld[i] = p;
			char *tab = strchr(p, '\t');
			if (tab)
				*tab = '\0';
			p = tab ? tab + 1 : NULL;
		}
		if (!fld[7])
			continue;
		if (strcmp(fld[7], "1") == 0) {
			/* DMARCbis's tree walk to a PSD record is not RFC 7489 */
			printf("# authheaders %s: DMARCbis (psd=), not RFC 7489: skipped\n", fld[1]);
			bis++;
			continue;
		}
		char path[1200], err[256];
		snprintf(path, sizeof path, "%s/%s", dir, fld[2]);
		struct buf raw = BUF_INIT;
		struct mail_msg *m = NULL;
		if (fs_read_file(path, &raw, 0, err, sizeof err) != WARY_OK
		    || mail_parse(raw.data, raw.len, &m, err, sizeof err) != WARY_OK) {
			printf("# %s: %s\n", fld[2], err);
			buf_release(&raw);
			total++;
			continue;
		}
		/* every address of every From field */
		const char *froms[16];
		size_t nf = 0;
		struct mail_addr_list lists[4];
		size_t nl = 0;
		for (size_t i = 0; i < mail_header_count(m) && nl < 4; i++) {
			if (str_casecmp(mail_header_name(m, i), "From") != 0)
				continue;
			memset(&lists[nl], 0, sizeof lists[nl]);
			mail_addr_parse(mail_header_value(m, i), &lists[nl], err, sizeof err);
			for (size_t k = 0; k < lists[nl].n && nf < 16; k++)
				if (lists[nl].v[k].domain)
					froms[nf++] = lists[nl].v[k].domain;
			nl++;
		}
		const char *dk[8];
		size_t nd = 0;
		for (char *s = fld[3]; s && *s && nd < 8; ) {
			char *comma = strchr(s, ',');
			if (comma)
				*comma = '\0';
			dk[nd++] = s;
			s = comma ? comma + 1 : NULL;
		}
		struct auth_dns dns;
		auth_zone_dns(z, &dns);
		struct auth_dmarc_in in = { NULL, dk, nd, AUTH_SPF_NONE, NULL };
		struct auth_dmarc out;
		auth_dmarc_check_all(&dns, froms, nf, &in, &out, err, sizeof err);
		bool ok = strcmp(auth_dmarc_result_name(out.result), fld[4]) == 0;
		if (ok && strcmp(fld[5], "-") != 0)
			ok = strcmp(out.policy, fld[5]) == 0;
		bool at_from = false;
		for (size_t i = 0; i < nf; i++)
			if (strcmp(out.record_domain, froms[i]) == 0)
				at_from = true;
		if (ok && strcmp(fld[6], "from") == 0)
			ok = at_from;
		if (ok && strcmp(fld[6], "org") == 0)
			ok = *out.record_domain && !at_from;
		total++;
		if (ok)
			passed++;
		else
			printf("# authheaders %s: got %s policy %s at '%s', want %s %s (%s)\n", fld[1],
			       auth_dmarc_result_name(out.result), out.policy, out.record_domain, fld[4],
			       fld[5], fld[6]);
		for (size_t i = 0; i < nl; i++)
			mail_addr_list_clear(&lists[i]);
		mail_free(&m);
		buf_release(&raw);
	}
	if (f)
		pclose(f);
	auth_zone_free(&z);
	buf_release(&zt);
	char what[160];
	snprintf(what, sizeof what, "authheaders DMARC cases: %d/%d (%d DMARCbis-only skipped)",
	         passed, total, bis);
	T_OK(total > 0 && passed == total, what);
}

int main(void)
{
	org();
	cases();
	authheaders();
	return t_done();
}
