/*
 * The Received chain: one hop as every common MTA writes it, the seed's
 * forged HELO, the demo mailbox's forged chain, the trust boundary with and
 * without trusted_hosts, dates, delays, private addresses, forward-
 * confirmation and DNSBL through zone data, and hostile headers.
 */
#include "auth/auth.h"
#include "trace/trace.h"
#include "t.h"
#include "t_msg.h"

#include <stdlib.h>
#include <string.h>

/* 2024-06-05 12:00:00 UTC: "now" for the fixtures */
#define NOW 1717588800

static const char *flags_of(unsigned f, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned bit = 0; bit < TRACE_F_COUNT; bit++) {
		if (!(f & (1u << bit)))
			continue;
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s", l ? "," : "", trace_flag_name(1u << bit));
	}
	return buf;
}

struct want_hop {
	const char *helo, *rdns, *ip, *by, *with, *id, *for_;
	const char *flags;
};

static void check_hops(const struct trace *t, const struct want_hop *w, size_t n, const char *name)
{
	char what[256], fb[256];
	snprintf(what, sizeof what, "%s: %zu hops", name, n);
	T_INT(trace_hop_count(t), n, what);
	for (size_t i = 0; i < n && i < trace_hop_count(t); i++) {
		const struct trace_hop *h = trace_hop(t, i);
		const char *got[] = { h->helo, h->rdns, h->ip, h->by, h->with, h->id, h->for_ };
		const char *want[] = { w[i].helo, w[i].rdns, w[i].ip, w[i].by, w[i].with, w[i].id,
		                       w[i].for_ };
		static const char *const field[] = { "helo", "rdns", "ip", "by", "with", "id", "for" };
		for (size_t f = 0; f < 7; f++) {
			if (!want[f])
				continue;
			snprintf(what, sizeof what, "%s hop %zu %s = '%s'", name, i, field[f], want[f]);
			T_STR(got[f], want[f], what);
		}
		snprintf(what, sizeof what, "%s hop %zu flags [%s]", name, i, w[i].flags);
		T_STR(flags_of(h->flags, fb, sizeof fb), w[i].flags, what);
	}
}

static struct trace *trace_file(const char *rel, const char *const *trusted, size_t nt)
{
	struct mail_msg *m = t_load_msg(rel);
	if (!m)
		return NULL;
	struct trace_opts o = { trusted, nt, NOW, NULL, 0 };
	struct trace *t = NULL;
	char err[256];
	trace_build(m, &o, &t, err, sizeof err);
	mail_free(&m);
	return t;
}

static void formats(void)
{
	struct trace *t = trace_file("tests/fixtures/trace/mta-formats.eml", NULL, 0);
	T_OK(t != NULL, "mta-formats.eml parsed");
	if (!t)
		return;
	static const struct want_hop w[] = {
		{ "mx.example.org", "mx.example.org", "192.0.2.10", "imap.example.org", "LMTP",
		  "4Vq1Lh0bDkz1", "", "trust-boundary" },
		{ "mail-sor-f41.google.com", "mail-sor-f41.google.com", "209.85.220.41", "mx.example.org",
		  "SMTPS", "a640c23a62f3a-a6f0e3b1c2dsor1234567ad.2.2024.06.03.03.00.08",
		  "alex@example.org", "" },
		{ "ex02.corp.example.com", "", "2001:db8:20b:1::12", "ex01.corp.example.com", "Microsoft",
		  "15.20.7633.12", "", "" },
		{ "mail.shop.example", "", "198.51.100.7", "ex02.corp.example.com", "SMTP", "", "", "" },
		{ "", "", "", "", "", "", "", "" },
		{ "relay.example.net", "relay.example.net", "198.51.100.20", "mail.shop.example", "ESMTPS",
		  "453A03kQ012345", "orders@shop.example", "" },
		{ "desk.example.net", "", "198.51.100.30", "relay.example.net", "esmtpsa",
		  "1sE2xY-000AbC-2Q", "orders@shop.example", "" },
	};
	check_hops(t, w, sizeof w / sizeof w[0], "formats");
	const struct trace_hop *h = trace_hop(t, 1);
	T_OK(h && h->has_delay && h->delay_s == 2, "Gmail hop: 2 s after the Exchange hop (PDT vs UTC)");
	T_STR(trace_origin_ip(t), "198.51.100.30", "formats: origin is the Exim client");
	T_INT(trace_flags(t), 0, "formats: no chain flags");
	const char *ip, *helo;
	T_OK(trace_boundary(t, &ip, &helo) && strcmp(ip, "192.0.2.10") == 0
	     && strcmp(helo, "mx.example.org") == 0, "formats: boundary IP and HELO for SPF");
	trace_free(&t);
}

/* single values of the variants the chain fixture does not hold */
static void variants(void)
{
	static const struct { const char *v, *helo, *rdns, *ip, *by; } c[] = {
		{ "from host.example.net ([198.51.100.1] helo=mail.example.com) by mx.example with esmtp (Exim 4.96) id 1a; Wed, 05 Jun 2024 11:00:00 +0000",
		  "mail.example.com", "host.example.net", "198.51.100.1", "mx.example" },
		{ "from laptop (user@dsl.example.net [198.51.100.2]) by mail.example (8.17.1/8.17.1) with ESMTP id x; Wed, 05 Jun 2024 11:00:00 +0000",
		  "laptop", "", "198.51.100.2", "mail.example" },
		{ "from mail.example.com (mail.example.com [IPv6:2001:db8::25]) by mx.example (Postfix) with ESMTPS id Q; Wed, 05 Jun 2024 11:00:00 +0000",
		  "mail.example.com", "mail.example.com", "2001:db8::25", "mx.example" },
		{ "from [192.0.2.9] (port=4711 helo=[192.0.2.9]) by mx.example with esmtpa (Exim 4.96) id 2b; Wed, 05 Jun 2024 11:00:00 +0000",
		  "[192.0.2.9]", "", "192.0.2.9", "mx.example" },
		{ "FROM Mail.Example.COM. (Mail.Example.COM. [192.0.2.10]) BY MX.example; Wed, 05 Jun 2024 11:00:00 +0000",
		  "mail.example.com", "mail.example.com", "192.0.2.10", "mx.example" },
		{ "by 10.70.63.2 with HTTP; Tue, 5 Sep 2006 08:34:31 -0700 (PDT)", "", "", "", "10.70.63.2" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct trace_hop h;
		char what[160];
		trace_parse_received(c[i].v, strlen(c[i].v), &h);
		snprintf(what, sizeof what, "variant %zu: helo %s, rdns '%s', ip %s, by %s", i, c[i].helo,
		         c[i].rdns, c[i].ip, c[i].by);
		bool ok = strcmp(h.helo, c[i].helo) == 0 && strcmp(h.rdns, c[i].rdns) == 0
		          && strcmp(h.ip, c[i].ip) == 0 && strcmp(h.by, c[i].by) == 0 && h.when != 0;
		if (!ok)
			printf("#   got helo '%s' rdns '%s' ip '%s' by '%s' when %lld\n", h.helo, h.rdns, h.ip,
			       h.by, (long long)h.when);
		T_OK(ok, what);
	}
}

static void seed(void)
{
	struct trace *t = trace_file("tests/fixtures/trace/seed-forged.eml", NULL, 0);
	T_OK(t != NULL, "seed-forged.eml parsed");
	if (!t)
		return;
	static const struct want_hop w[] = {
		{ "smtp.server1.com", "smtp.server1.com", "134.72.98.54", "smtp.server2.com", "ESMTP",
		  "73659812", "", "trust-boundary" },
		{ "google.com", "dklku64.someisp.com", "234.56.67.78", "smtp.server1.com", "", "", "",
		  "helo-mismatch,private-ip" },
	};
	check_hops(t, w, 2, "seed");
	T_STR(trace_origin_ip(t), "234.56.67.78", "seed: the originating IP is the dial-up host's");
	T_OK(trace_flags(t) & TRACE_C_FORGED_HOPS, "seed: suspicious hops below the boundary");
	const struct trace_hop *h = trace_hop(t, 0);
	T_OK(h && h->has_delay && h->delay_s == 86, "seed: 86 s between the hops");
	trace_free(&t);
}

static struct trace *chain(const char *const *v, size_t n, const char *const *trusted, size_t nt);

static void demo(void)
{
	static const char *const own[] = { "mx1.example.org", "imap.example.org" };
	struct mail_msg *m = t_demo_msg("1712943928");
	T_OK(m != NULL, "demo forged-chain message found");
	if (!m)
		return;
	for (int pass = 0; pass < 2; pass++) {
		struct trace_opts o = { own, pass ? 2 : 0, NOW, NULL, 0 };
		struct trace *t;
		char err[256];
		trace_build(m, &o, &t, err, sizeof err);
		static const struct want_hop w[] = {
			{ "mx1.example.org", "", "", "imap.example.org", "LMTP", "8kQ2FqFXGWZ1NAAAx7kq8g",
			  "alex@example.org", "internal" },
			{ "smtp.relay-one.test", "198-51-100-54.static.hosting.test", "198.51.100.54",
			  "mx1.example.org", "ESMTP", "4VGxQ2m0ZbLz9sV", "alex@example.org",
			  "helo-mismatch,may-be-forged,trust-boundary" },
			{ "relay-two.relay-one.test", "", "10.44.3.9", "smtp.relay-one.test", "ESMTP",
			  "43CHkpXq011834", "", "date-backwards,private-ip" },
			{ "google.com", "dialup-78.pool.someisp.test", "203.0.113.78",
			  "relay-two.relay-one.test", "SMTP", "43CEjS01", "", "helo-mismatch" },
		};
		check_hops(t, w, 4, pass ? "demo (trusted_hosts)" : "demo (no trusted_hosts)");
		T_STR(trace_origin_ip(t), "203.0.113.78", "demo: origin is the dial-up address");
		T_INT(trace_boundary_index(t), 1, "demo: boundary is mx1's hop");
		T_OK(trace_flags(t) & TRACE_C_FORGED_HOPS, "demo: chain flagged");
		trace_free(&t);
	}
	mail_free(&m);

	/* a laptop behind NAT names its private address in HELO (ESMTPSA): no flag */
	m = t_demo_msg("1705596130");
	if (m) {
		struct trace_opts o = { own, 2, NOW, NULL, 0 };
		struct trace *t;
		char err[256];
		trace_build(m, &o, &t, err, sizeof err);
		T_INT(trace_flags(t), 0, "demo NAT submission: HELO [192.168.1.24] from 203.0.113.14 not flagged");
		T_STR(trace_origin_ip(t), "203.0.113.14", "demo NAT submission: origin the public address");
		trace_free(&t);
		mail_free(&m);
	}
	static const char *const nat[] = {
		"from [192.0.2.77] ([198.51.100.3]) by mx.example.org with ESMTP; Wed, 05 Jun 2024 11:00:00 +0000",
	};
	struct trace *tn = chain(nat, 1, NULL, 0);
	T_OK(trace_hop(tn, 0)->flags & TRACE_F_HELO_IP_LIT, "a public literal of another address is flagged");
	trace_free(&tn);

	/* a clean list message of the demo: no anomaly, origin the laptop */
	m = t_demo_msg("1710606045");
	if (m) {
		struct trace_opts o = { own, 2, NOW, NULL, 0 };
		struct trace *t;
		char err[256], fb[256];
		trace_build(m, &o, &t, err, sizeof err);
		unsigned all = 0;
		for (size_t i = 0; i < trace_hop_count(t); i++)
			all |= trace_hop(t, i)->flags & ~(TRACE_F_BOUNDARY | TRACE_F_INTERNAL);
		T_STR(flags_of(all, fb, sizeof fb), "", "demo list message: no hop flags");
		T_STR(trace_origin_ip(t), "198.51.100.45", "demo list message: origin is the laptop");
		T_INT(trace_flags(t), 0, "demo list message: no chain flags");
		trace_free(&t);
		mail_free(&m);
	}
}

/* The second lecture notes' two forensics examples. */
static void seed2(void)
{
	struct trace *t = trace_file("tests/fixtures/trace/seed2-webmail.eml", NULL, 0);
	T_OK(t != NULL, "seed2-webmail.eml parsed");
	if (t) {
		static const struct want_hop w[] = {
			{ "nf-out-0910.email.mta", "nf-out-0910.email.mta", "192.168.182.188",
			  "vulcan.ece.mail.spam", "ESMTTP", "k85FaxBT1486661", "john@ee.mail.spam",
			  "private-ip,trust-boundary" },
			{ "", "", "", "nf-out-0910.email.mta", "SMTP", "p77sol1381355nfc", "john@ee.mail.spam", "" },
			{ "", "", "", "10.65.237.1", "SMTP", "o1mr4809264qbr", "", "" },
			{ "", "", "", "10.70.63.2", "HTTP", "", "", "" },
		};
		check_hops(t, w, 4, "seed2 webmail");
		T_OK(trace_hop(t, 0)->delay_s == 147, "seed2 webmail: 147 s from the webmail relay to vulcan");
		T_STR(trace_origin_ip(t), "192.168.182.188", "seed2 webmail: the only client address");
		trace_free(&t);
	}
	static const char *const own[] = { "*.mail.spam" };
	t = trace_file("tests/fixtures/trace/seed2-roundtrip.eml", own, 1);
	T_OK(t != NULL, "seed2-roundtrip.eml parsed");
	if (!t)
		return;
	static const struct want_hop w[] = {
		{ "pop-5.mail.spam", "pop-5.mail.spam", "172.16.7.12", "vulcan.ece.mail.spam", NULL, NULL,
		  NULL, "internal" },
		{ "devirus-2.mail.spam", "devirus-2.mail.spam", "172.16.7.10", "pop-5.mail.spam", NULL, NULL,
		  NULL, "internal,long-delay" },
		{ "", "despam-3.mail.spam", "172.16.7.5", "devirus-2.mail.spam", "smtp",
		  "0df9_ae8af2c2_3cca_1ldb_969a_001372537fef", "", "date-backwards,internal" },
		{ "magellan.sender.mta", "magellan.sender.mta", "192.168.16.211", "despam-3.mail.spam", NULL,
		  NULL, "john@mail.spam", "private-ip,trust-boundary" },
		{ "vulcan.ece.mail.spam", "vulcan.ece.mail.spam", "172.20.5.6", "magellan.sender.mta", NULL,
		  NULL, "dwj@sender.mta", "date-backwards,private-ip" },
		{ "[172.21.4.7]", "babylon4.ece.mail.spam", "172.21.4.7", "vulcan.ece.mail.spam", "ESMTTP",
		  "k85Fj6BT1501144", "dwj@sender.mta", "" },
	};
	check_hops(t, w, 6, "seed2 roundtrip");
	T_INT(trace_boundary_index(t), 3, "seed2 roundtrip: the boundary is where it came back in");
	T_OK(trace_hop(t, 2)->delay_s == -18261, "UTC stamped as local time: 5 h 4 min backwards");
	T_OK(trace_hop(t, 4)->delay_s == -146, "vulcan's clock ahead: 146 s backwards");
	T_STR(trace_origin_ip(t), "172.21.4.7", "seed2 roundtrip: origin is babylon4, the lowest client");
	trace_free(&t);
}

static struct trace *chain(const char *const *v, size_t n, const char *const *trusted, size_t nt)
{
	struct trace_opts o = { trusted, nt, NOW, NULL, 0 };
	struct trace *t;
	char err[256];
	trace_build_values(v, n, &o, &t, err, sizeof err);
	return t;
}

static void anomalies(void)
{
	char fb[256];
	static const char *const v1[] = {
		"from a.example.net (a.example.net [192.0.2.1]) by mx.example.org; Wed, 05 Jun 2024 13:00:00 +0000",
		"from b.example.net (b.example.net [192.0.2.2]) by a.example.net; Wed, 05 Jun 2024 12:10:00 +0000",
		"from [192.0.2.99] (c.example.net [192.0.2.3]) by b.example.net; Wed, 05 Jun 2024 09:00:00 +0000",
		"from d.example.net (d.example.net [192.0.2.4]) by c.example.net; Wed, 05 Jun 2024 09:05:00 +0000",
	};
	struct trace *t = chain(v1, 4, NULL, 0);
	T_STR(flags_of(trace_hop(t, 0)->flags, fb, sizeof fb), "date-future,greylist-delay,trust-boundary",
	      "an hour in the future, 50 minutes after the hop below");
	T_STR(flags_of(trace_hop(t, 1)->flags, fb, sizeof fb), "long-delay", "3 h 10 min: long delay (10 min ahead is clock skew, not future)");
	T_STR(flags_of(trace_hop(t, 2)->flags, fb, sizeof fb), "date-backwards,helo-ip-mismatch",
	      "5 min earlier than the hop below; HELO literal of another IP");
	T_OK(trace_hop(t, 2)->delay_s == -300, "negative delay kept");
	trace_free(&t);

	/* trusted hosts: the boundary is where our servers took it from outside */
	static const char *const v2[] = {
		"from mx2.example.org (mx2.example.org [192.0.2.50]) by imap.example.org with LMTP; Wed, 05 Jun 2024 11:00:02 +0000",
		"from mx.evil.example (mx.evil.example [198.51.100.9]) by mx2.example.org with ESMTP; Wed, 05 Jun 2024 11:00:01 +0000",
		"from mx1.example.org (mx1.example.org [192.0.2.51]) by mx.evil.example; Wed, 05 Jun 2024 11:00:00 +0000",
	};
	static const char *const own[] = { "imap.example.org", "192.0.2.50", "*.example.org" };
	t = chain(v2, 3, own, 3);
	T_INT(trace_boundary_index(t), 1, "trusted_hosts: boundary below the internal hop");
	const char *ip, *helo;
	T_OK(trace_boundary(t, &ip, &helo) && strcmp(ip, "198.51.100.9") == 0, "boundary IP for SPF");
	T_OK(trace_hop(t, 0)->flags & TRACE_F_INTERNAL, "the hop above is internal");
	trace_free(&t);
	/* a HELO naming our own server proves nothing: the IP decides */
	static const char *const v3[] = {
		"from mx1.example.org ([198.51.100.66]) by imap.example.org; Wed, 05 Jun 2024 11:00:02 +0000",
		"from x by mx1.example.org; Wed, 05 Jun 2024 11:00:01 +0000",
	};
	static const char *const own2[] = { "imap.example.org", "mx1.example.org" };
	t = chain(v3, 2, own2, 2);
	T_INT(trace_boundary_index(t), 0, "a forged HELO of our own server does not move the boundary");
	trace_free(&t);
	static const char *const own3[] = { "mail.elsewhere.example" };
	t = chain(v2, 3, own3, 1);
	T_OK(trace_flags(t) & TRACE_C_NO_BOUNDARY, "trusted_hosts not in the chain: flagged");
	trace_free(&t);

	/* private address at the boundary; a LAN submission hop is fine */
	static const char *const v4[] = {
		"from gw.example.net (gw.example.net [10.1.2.3]) by mx.example.org with ESMTP; Wed, 05 Jun 2024 11:00:01 +0000",
		"from pc ([192.168.1.20]) by gw.example.net with ESMTPSA; Wed, 05 Jun 2024 11:00:00 +0000",
	};
	t = chain(v4, 2, NULL, 0);
	T_OK(trace_hop(t, 0)->flags & TRACE_F_PRIVATE_IP, "private address at the boundary");
	T_OK(!(trace_hop(t, 1)->flags & TRACE_F_PRIVATE_IP), "private address of a submission hop");
	trace_free(&t);

	T_OK(trace_ip_is_private("172.20.0.1") && trace_ip_is_private("fe80::1")
	     && trace_ip_is_private("::1") && trace_ip_is_private("100.64.0.1")
	     && trace_ip_is_private("fd00::5") && !trace_ip_is_private("172.32.0.1")
	     && !trace_ip_is_private("2001:db8::1") && !trace_ip_is_private("nonsense"),
	     "private address ranges");
}

static void dns(void)
{
	struct auth_zone *z;
	char err[256];
	auth_zone_new(&z);
	auth_zone_load(z,
	               "mail.real.example A 198.51.100.5\n"
	               "claims.example A 192.0.2.200\n"
	               "5.100.51.198.bl.example A 127.0.0.2\n"
	               "5.100.51.198.clean.example NXDOMAIN\n", err, sizeof err);
	struct auth_dns adns;
	auth_zone_dns(z, &adns);
	struct trace_dns tdns;
	auth_trace_dns(&adns, &tdns);
	static const char *const v[] = {
		"from mail.real.example (other.hosting.example [198.51.100.5]) by mx.example.org; Wed, 05 Jun 2024 11:00:01 +0000",
	};
	static const char *const zones[] = { "bl.example", "clean.example" };
	struct trace_opts o = { NULL, 0, NOW, zones, 2 };
	struct trace *t;
	trace_build_values(v, 1, &o, &t, err, sizeof err);
	T_OK(trace_hop(t, 0)->flags & TRACE_F_HELO_MISMATCH, "without DNS: HELO and reverse name differ");
	trace_check_dns(t, &tdns, err, sizeof err);
	T_OK(!(trace_hop(t, 0)->flags & TRACE_F_HELO_MISMATCH), "forward-confirmed HELO clears it");
	T_OK(trace_hop(t, 0)->flags & TRACE_F_DNSBL, "origin listed in a DNSBL");
	T_STR(trace_hop(t, 0)->dnsbl, "bl.example", "listed by bl.example only");
	trace_free(&t);
	static const char *const v2[] = {
		"from claims.example ([198.51.100.5]) by mx.example.org; Wed, 05 Jun 2024 11:00:01 +0000",
	};
	struct trace_opts o2 = { NULL, 0, NOW, NULL, 0 };
	trace_build_values(v2, 1, &o2, &t, err, sizeof err);
	T_OK(!(trace_hop(t, 0)->flags & TRACE_F_HELO_MISMATCH), "no reverse name: nothing to compare");
	trace_check_dns(t, &tdns, err, sizeof err);
	T_OK(trace_hop(t, 0)->flags & TRACE_F_HELO_MISMATCH, "HELO's address is not the client's");
	trace_free(&t);
	auth_zone_free(&z);
}

static void hostile(void)
{
	char fb[256];
	/* many headers: cut at the limit */
	const char **v = xcalloc(1000, sizeof *v);
	for (int i = 0; i < 1000; i++)
		v[i] = "from x.example (x.example [192.0.2.1]) by y.example; Wed, 05 Jun 2024 11:00:00 +0000";
	struct trace *t = chain(v, 1000, NULL, 0);
	T_INT(trace_hop_count(t), TRACE_MAX_HOPS, "1000 Received headers: 100 kept");
	T_OK(trace_flags(t) & TRACE_C_TRUNCATED, "truncated flagged");
	trace_free(&t);
	free(v);
	/* deep nesting, unbalanced, huge, controls, nothing at all */
	struct buf b = BUF_INIT;
	buf_adds(&b, "from ");
	for (int i = 0; i < 100000; i++)
		buf_addch(&b, '(');
	buf_adds(&b, "[192.0.2.1]");
	struct trace_hop h;
	trace_parse_received(b.data, b.len, &h);
	T_OK(1, "100000 open parentheses: no crash");
	buf_reset(&b);
	for (int i = 0; i < 20000; i++)
		buf_adds(&b, "from by with id for ; ");
	trace_parse_received(b.data, b.len, &h);
	T_OK(strlen(h.date) < sizeof h.date, "keywords 20000 times: bounded");
	buf_release(&b);
	static const char *const odd[] = {
		"", ";", "from", "by", "(((", ")))", "from [", "from [IPv6:::1]", "from <<<>>>",
		"from \x1b[31mred\x1b[0m (x [192.0.2.1]) by y; Wed, 05 Jun 2024 11:00:00 +0000",
		"from x (y [1.2.3.4] (may be", /* an unclosed comment ends the value (found by fuzzing) */
	};
	t = chain(odd, sizeof odd / sizeof odd[0], NULL, 0);
	T_INT(trace_hop_count(t), sizeof odd / sizeof odd[0], "odd values all become hops");
	T_STR(flags_of(trace_hop(t, 0)->flags & ~(TRACE_F_INTERNAL | TRACE_F_BOUNDARY), fb, sizeof fb),
	      "unparsed,no-date",
	      "an empty Received is unparsed");
	bool clean = true;
	for (size_t i = 0; i < trace_hop_count(t); i++)
		for (const char *c = trace_hop(t, i)->helo; *c; c++)
			if ((unsigned char)*c < 0x20)
				clean = false;
	T_OK(clean, "no control character survives into a field");
	T_STR(trace_hop(t, 7)->ip, "::1", "IPv6 literal in the from word");
	T_STR(trace_hop(t, 10)->ip, "1.2.3.4", "unclosed comment: the address still read");
	trace_free(&t);
	t = chain(NULL, 0, NULL, 0);
	T_OK(trace_flags(t) & TRACE_C_NONE_RECEIVED, "no Received at all");
	T_OK(!trace_boundary(t, NULL, NULL), "no boundary without hops");
	trace_free(&t);
}

int main(void)
{
	formats();
	variants();
	seed();
	seed2();
	demo();
	anomalies();
	dns();
	hostile();
	return t_done();
}
