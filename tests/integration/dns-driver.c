/*
 * DNS, SPF, DMARC and the Received chain against the test unbound
 * (tests/servers, zones from tests/servers/dns-records): every record type,
 * NXDOMAIN and NODATA, the TTL cache, the asynchronous interface and its
 * deadline, then the analyses over the real resolver.  Run by dns.sh with
 * the server's address as argv[1] ("127.0.0.1@PORT").
 */
#include "auth/auth.h"
#include "net/net.h"
#include "trace/trace.h"
#include "../unit/t.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool has(const struct net_dns_reply *r, const char *want)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->rr[i], want) == 0)
			return true;
	return false;
}

static void lookups(struct net_dns *d)
{
	struct net_dns_reply r;
	net_dns_query(d, "example.test", NET_DNS_A, &r);
	T_OK(r.status == NET_DNS_OK && r.n == 1 && has(&r, "127.0.0.1"), "A example.test");
	T_OK(r.ttl > 0 && r.ttl <= 300, "A has its TTL");
	net_dns_reply_clear(&r);
	net_dns_query(d, "mx.dm.test", NET_DNS_AAAA, &r);
	T_OK(r.status == NET_DNS_OK && has(&r, "::1"), "AAAA mx.dm.test");
	net_dns_reply_clear(&r);
	net_dns_query(d, "EXAMPLE.test.", NET_DNS_MX, &r);
	T_OK(r.status == NET_DNS_OK && has(&r, "10 mail.example.test"), "MX, name in any case with a dot");
	net_dns_reply_clear(&r);
	net_dns_query(d, "30.0.0.127.in-addr.arpa", NET_DNS_PTR, &r);
	T_OK(r.status == NET_DNS_OK && has(&r, "mx.dm.test"), "PTR 127.0.0.30");
	net_dns_reply_clear(&r);
	net_dns_query(d, "long.test", NET_DNS_TXT, &r);
	T_OK(r.status == NET_DNS_OK && r.n == 1 && r.len[0] > 255
	     && strncmp(r.rr[0], "v=spf1 ip4:127.0.0.50", 21) == 0
	     && strstr(r.rr[0], "ip4:127.0.0.66 -all"), "TXT over 255 bytes joined into one record");
	net_dns_reply_clear(&r);
	net_dns_query(d, "nothing-here.test", NET_DNS_TXT, &r);
	T_INT(r.status, NET_DNS_NXDOMAIN, "NXDOMAIN");
	net_dns_reply_clear(&r);
	net_dns_query(d, "news.dm.test", NET_DNS_TXT, &r);
	T_OK(r.status == NET_DNS_OK && r.n == 0, "NODATA: the name exists, no TXT");
	net_dns_reply_clear(&r);
	net_dns_query(d, "a..b.test", NET_DNS_A, &r);
	T_INT(r.status, NET_DNS_PERMFAIL, "empty label: refused before asking");
	net_dns_reply_clear(&r);
	char longname[400];
	memset(longname, 'a', 300);
	longname[300] = '\0';
	net_dns_query(d, longname, NET_DNS_A, &r);
	T_INT(r.status, NET_DNS_PERMFAIL, "300-byte name: refused");
	net_dns_reply_clear(&r);

	size_t hits0, miss0, hits1, miss1;
	net_dns_stats(d, &hits0, &miss0);
	net_dns_query(d, "example.test", NET_DNS_A, &r);
	net_dns_stats(d, &hits1, &miss1);
	T_OK(hits1 == hits0 + 1 && miss1 == miss0 && r.status == NET_DNS_OK,
	     "a second lookup is answered from the cache");
	net_dns_reply_clear(&r);
	net_dns_query(d, "nothing-here.test", NET_DNS_TXT, &r);
	net_dns_stats(d, &hits0, &miss0);
	T_OK(hits0 == hits1 + 1 && r.status == NET_DNS_NXDOMAIN, "NXDOMAIN is cached too");
	net_dns_reply_clear(&r);

	/* a TTL of 1 s: cached at once, asked again after it */
	net_dns_query(d, "short-ttl.test", NET_DNS_TXT, &r);
	T_OK(r.status == NET_DNS_OK && r.n == 1 && r.ttl <= 1, "a record with a TTL of 1 s");
	net_dns_reply_clear(&r);
	net_dns_stats(d, &hits0, &miss0);
	net_dns_query(d, "short-ttl.test", NET_DNS_TXT, &r);
	net_dns_reply_clear(&r);
	net_dns_stats(d, &hits1, &miss1);
	T_OK(hits1 == hits0 + 1, "within its TTL it comes from the cache");
	struct timespec nap = { 1, 200000000 };
	nanosleep(&nap, NULL);
	net_dns_query(d, "short-ttl.test", NET_DNS_TXT, &r);
	net_dns_stats(d, &hits0, &miss0);
	T_OK(miss0 == miss1 + 1 && r.status == NET_DNS_OK, "after its TTL it is asked again");
	net_dns_reply_clear(&r);
}

struct collect {
	int answered;
	int ok;
};

static void on_answer(void *arg, int id, const struct net_dns_reply *r)
{
	(void)id;
	struct collect *c = arg;
	c->answered++;
	if (r->status == NET_DNS_OK && r->n > 0)
		c->ok++;
}

static void async(struct net_dns *d)
{
	static const char *const names[] = { "dm.test", "pct.test", "badrec.test", "inc.test",
		                             "elsewhere.test" };
	struct collect c = { 0, 0 };
	for (size_t i = 0; i < 5; i++)
		net_dns_submit(d, names[i], NET_DNS_TXT, on_answer, &c, NULL);
	T_OK(net_dns_pending(d) == 5 && c.answered == 0, "5 lookups in flight, none answered yet");
	T_OK(net_dns_fd(d) >= 0, "a descriptor to poll");
	for (int loops = 0; net_dns_pending(d) && loops < 200; loops++) {
		struct pollfd p = { net_dns_fd(d), POLLIN, 0 };
		poll(&p, 1, net_dns_next_timeout_ms(d));
		net_dns_process(d);
	}
	T_INT(c.answered, 5, "all 5 answered through the callback");
	T_INT(c.ok, 5, "all 5 with a TXT record");
}

static void timeout(void)
{
	/* a forwarder that never answers: nothing listens on this UDP port */
	struct net_dns_opts o = { "127.0.0.1@9", 400, NULL };
	struct net_dns *d;
	char err[256];
	T_OK(net_dns_new(&o, &d, err, sizeof err) == WARY_OK, "resolver with a dead forwarder");
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct net_dns_reply r;
	net_dns_query(d, "example.test", NET_DNS_A, &r);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	T_INT(r.status, NET_DNS_TEMPFAIL, "no answer: temporary failure");
	printf("# timed out after %ld ms\n", ms);
	T_OK(ms >= 350 && ms < 3000, "within the lookup's deadline (400 ms)");
	net_dns_reply_clear(&r);
	size_t hits, miss;
	net_dns_query(d, "example.test", NET_DNS_A, &r);
	net_dns_stats(d, &hits, &miss);
	T_OK(hits == 0 && miss == 2, "a failure is not cached");
	net_dns_reply_clear(&r);
	net_dns_free(&d);
	T_OK(net_dns_new(&(struct net_dns_opts){ "not an address", 0, NULL }, &d, err, sizeof err) != WARY_OK,
	     "a malformed dns_server is refused");
}

static void analyses(struct net_dns *nd)
{
	struct auth_dns dns;
	auth_dns_use_net(&dns, nd);
	struct auth_spf spf;
	char err[256];
	auth_spf_check(&dns, "127.0.0.1", "mail.example.test", "alice@example.test", &spf, err, sizeof err);
	T_STR(auth_spf_result_name(spf.result), "pass", "SPF example.test from 127.0.0.1: pass");
	auth_spf_check(&dns, "127.0.0.1", "x", "bob@elsewhere.test", &spf, err, sizeof err);
	T_STR(auth_spf_result_name(spf.result), "fail", "SPF elsewhere.test from 127.0.0.1: fail");
	auth_spf_check(&dns, "127.0.0.30", "x", "a@inc.test", &spf, err, sizeof err);
	T_STR(auth_spf_result_name(spf.result), "pass", "SPF include: then mx: pass");
	auth_spf_check(&dns, "127.0.0.40", "x", "a@inc.test", &spf, err, sizeof err);
	T_STR(auth_spf_result_name(spf.result), "pass", "SPF second include: pass");
	auth_spf_check(&dns, "127.0.0.66", "x", "a@long.test", &spf, err, sizeof err);
	T_STR(auth_spf_result_name(spf.result), "pass", "SPF record over 255 bytes");
	auth_spf_check(&dns, "127.0.0.1", "x", "a@nothing-here.test", &spf, err, sizeof err);
	T_STR(auth_spf_result_name(spf.result), "none", "SPF of a name that does not exist: none");

	struct {
		const char *what, *from, *dkim;
		enum auth_spf_result spf;
		const char *spf_dom, *want, *policy, *record;
	} c[] = {
		{ "DMARC pass by DKIM", "dm.test", "dm.test", AUTH_SPF_NONE, NULL, "pass", "reject", "dm.test" },
		{ "DMARC pass by SPF", "dm.test", NULL, AUTH_SPF_PASS, "dm.test", "pass", "reject", "dm.test" },
		{ "DMARC fail", "dm.test", "elsewhere.test", AUTH_SPF_PASS, "elsewhere.test", "fail", "reject",
		  "dm.test" },
		{ "DMARC sp= for a subdomain (org-domain fallback)", "news.dm.test", NULL, AUTH_SPF_NONE, NULL,
		  "fail", "quarantine", "dm.test" },
		{ "DMARC relaxed alignment across the org", "news.dm.test", "dm.test", AUTH_SPF_NONE, NULL,
		  "pass", "quarantine", "dm.test" },
		{ "DMARC pct=20", "pct.test", NULL, AUTH_SPF_FAIL, "pct.test", "fail", "quarantine", "pct.test" },
		{ "DMARC no record", "nodmarc.test", "nodmarc.test", AUTH_SPF_PASS, "nodmarc.test", "none",
		  "none", "" },
		{ "DMARC bad record", "badrec.test", NULL, AUTH_SPF_NONE, NULL, "permerror", "none",
		  "badrec.test" },
		{ "DMARC strict alignment (adkim=s) of example.test", "example.test", "sub.example.test",
		  AUTH_SPF_NONE, NULL, "fail", "reject", "example.test" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		const char *dk[1] = { c[i].dkim };
		struct auth_dmarc_in in = { c[i].from, dk, c[i].dkim ? 1 : 0, c[i].spf, c[i].spf_dom };
		struct auth_dmarc out;
		auth_dmarc_check(&dns, &in, &out, err, sizeof err);
		char what[200];
		snprintf(what, sizeof what, "%s: %s, policy %s, record at '%s'", c[i].what, c[i].want,
		         c[i].policy, c[i].record);
		bool ok = strcmp(auth_dmarc_result_name(out.result), c[i].want) == 0
		          && strcmp(out.policy, c[i].policy) == 0 && strcmp(out.record_domain, c[i].record) == 0;
		if (!ok)
			printf("#   got %s, policy %s, record at '%s'\n", auth_dmarc_result_name(out.result),
			       out.policy, out.record_domain);
		T_OK(ok, what);
	}
	/* multiple From: dm.test aligned, elsewhere.test not */
	const char *froms[] = { "dm.test", "elsewhere.test" };
	const char *dk[] = { "dm.test" };
	struct auth_dmarc_in in = { NULL, dk, 1, AUTH_SPF_NONE, NULL };
	struct auth_dmarc out;
	auth_dmarc_check_all(&dns, froms, 2, &in, &out, err, sizeof err);
	T_OK(out.result == AUTH_DMARC_FAIL && strcmp(out.policy, "reject") == 0,
	     "DMARC with two From domains: the unaligned one fails it, strictest policy");

	/* the Received chain, forward-confirmed and DNSBL-checked over unbound */
	struct trace_dns tdns;
	auth_trace_dns(&dns, &tdns);
	static const char *const v[] = {
		"from mx.dm.test (elsewhere.test [127.0.0.30]) by mail.example.test; Wed, 05 Jun 2024 11:00:01 +0000",
		"from google.com (dialup.example.net [198.51.100.5]) by mx.dm.test; Wed, 05 Jun 2024 11:00:00 +0000",
	};
	static const char *const zones[] = { "bl.test", "clean.test" };
	struct trace_opts o = { NULL, 0, 1717588800, zones, 2 };
	struct trace *t;
	trace_build_values(v, 2, &o, &t, err, sizeof err);
	trace_check_dns(t, &tdns, err, sizeof err);
	T_OK(!(trace_hop(t, 0)->flags & TRACE_F_HELO_MISMATCH), "HELO mx.dm.test forward-confirmed for 127.0.0.30");
	T_OK(trace_hop(t, 1)->flags & TRACE_F_HELO_MISMATCH, "HELO google.com does not hold 198.51.100.5");
	T_STR(trace_origin_ip(t), "198.51.100.5", "origin IP");
	T_STR(trace_hop(t, 1)->dnsbl, "bl.test", "origin listed in bl.test, not clean.test");
	trace_free(&t);
}

/* DNSSEC: with a trust anchor for dm.test that the (unsigned) test zone
 * cannot satisfy, its answers are bogus and believed as nothing; a name
 * outside the anchor stays answered, insecure. */
static void dnssec(const char *server)
{
	char path[] = "/tmp/wary-dns-ta.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		T_OK(0, "trust anchor file");
		return;
	}
	static const char ta[] =
		"dm.test. IN DS 12345 13 2 "
		"49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE12345678901234567890ABCD\n";
	if (write(fd, ta, sizeof ta - 1) != (ssize_t)(sizeof ta - 1))
		T_OK(0, "trust anchor written");
	close(fd);
	struct net_dns_opts o = { server, 3000, path };
	struct net_dns *d;
	char err[256];
	if (net_dns_new(&o, &d, err, sizeof err) != WARY_OK) {
		printf("# %s\n", err);
		T_OK(0, "resolver with a trust anchor");
		unlink(path);
		return;
	}
	struct net_dns_reply r;
	net_dns_query(d, "dm.test", NET_DNS_TXT, &r);
	T_OK(r.bogus && r.status == NET_DNS_TEMPFAIL && r.n == 0,
	     "DNSSEC: an unsigned answer under a trust anchor is bogus, nothing believed");
	net_dns_reply_clear(&r);
	net_dns_query(d, "example.test", NET_DNS_A, &r);
	T_OK(r.status == NET_DNS_OK && r.n == 1 && !r.secure && !r.bogus,
	     "DNSSEC: outside the anchor the answer stands, not marked secure");
	net_dns_reply_clear(&r);
	net_dns_free(&d);
	unlink(path);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: dns-driver 127.0.0.1@PORT\n");
		return 2;
	}
	struct net_dns_opts o = { argv[1], 3000, NULL };
	struct net_dns *d;
	char err[256];
	if (net_dns_new(&o, &d, err, sizeof err) != WARY_OK) {
		printf("not ok 1 - resolver: %s\n", err);
		return 1;
	}
	lookups(d);
	async(d);
	analyses(d);
	net_dns_free(&d);
	timeout();
	dnssec(argv[1]);
	return t_done();
}
