/* DKIM and Authentication-Results: the RFC 8463 example (RSA and Ed25519)
 * and what breaks it, key records, hostile signatures, the key cache; the
 * Authentication-Results parser and the rule of which ones are believed.
 *
 * With arguments it is the tool the shell tests and the benchmark drive:
 *   test_dkim verify ZONE NOW FILE...   one line per signature
 *   test_dkim bench ZONE SECONDS FILE... verify in a loop, messages/s
 *   test_dkim authres                   stdin: hex header values, one a line
 *   test_dkim arc ZONE NOW FILE...      the ARC chain's cv per message
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "auth/auth.h"
#include "t.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static char *slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	char err[WARY_ERRLEN];

	if (fs_read_file(path, &b, MAIL_MAX_SIZE, err, sizeof(err)) != WARY_OK) {
		buf_release(&b);
		return NULL;
	}
	buf_addch(&b, '\0');
	*len = b.len - 1;
	return buf_detach(&b, NULL);
}

static struct auth_zone *zone_from(const char *text)
{
	struct auth_zone *z = NULL;
	char err[WARY_ERRLEN];

	if (auth_zone_new(&z) != WARY_OK)
		return NULL;
	if (auth_zone_load(z, text, err, sizeof(err)) != WARY_OK) {
		printf("# zone: %s\n", err);
		auth_zone_free(&z);
	}
	return z;
}

/* ------------------------------------------------------------ tool */

static int tool_verify(int argc, char **argv)
{
	size_t zl;
	char *zt = slurp(argv[0], &zl), err[WARY_ERRLEN];
	struct auth_zone *z = zt ? zone_from(zt) : NULL;
	struct auth_dns dns;
	struct auth_dkim_ctx *ctx = NULL;
	time_t now = (time_t)strtoll(argv[1], NULL, 10);
	struct auth_dkim *res = malloc(sizeof(*res));
	int status = 0;

	if (!z || !res || auth_dkim_ctx_new(&ctx, err, sizeof(err)) != WARY_OK) {
		fprintf(stderr, "test_dkim: cannot load zone %s\n", argv[0]);
		return 2;
	}
	auth_zone_dns(z, &dns);
	for (int i = 2; i < argc; i++) {
		size_t len;
		char *m = slurp(argv[i], &len);

		if (!m || auth_dkim_verify(ctx, &dns, m, len, now, res, err, sizeof(err)) != WARY_OK) {
			printf("%s\t-\terror\t\t\t\n", argv[i]);
			status = 1;
			free(m);
			continue;
		}
		if (res->n == 0)
			printf("%s\t-\tnone\t\t\t\n", argv[i]);
		for (size_t k = 0; k < res->n; k++) {
			const struct auth_dkim_sig *s = &res->sig[k];

			printf("%s\t%zu\t%s\t%s\t%s\t%s\t", argv[i], k, auth_dkim_result_name(s->result),
			       s->domain, s->selector, s->reason);
			for (unsigned b = 0; b < 32; b++)
				if ((s->flags & (1u << b)) && auth_dkim_flag_name(1u << b))
					printf("%s%s", b ? "," : "", auth_dkim_flag_name(1u << b));
			printf("\n");
		}
		free(m);
	}
	auth_dkim_ctx_free(&ctx);
	auth_zone_free(&z);
	free(zt);
	free(res);
	return status;
}

static int tool_arc(int argc, char **argv)
{
	size_t zl;
	char *zt = slurp(argv[0], &zl), err[WARY_ERRLEN];
	struct auth_zone *z = zt ? zone_from(zt) : NULL;
	struct auth_dns dns;
	struct auth_dkim_ctx *ctx = NULL;
	time_t now = (time_t)strtoll(argv[1], NULL, 10);
	struct auth_arc *res = malloc(sizeof(*res));

	if (!z || !res || auth_dkim_ctx_new(&ctx, err, sizeof(err)) != WARY_OK)
		return 2;
	auth_zone_dns(z, &dns);
	for (int i = 2; i < argc; i++) {
		size_t len;
		char *m = slurp(argv[i], &len);

		if (!m || auth_arc_verify(ctx, &dns, m, len, now, res, err, sizeof(err)) != WARY_OK) {
			printf("%s\terror\t\n", argv[i]);
		} else {
			printf("%s\t%s\t%s\t", argv[i], auth_arc_cv_name(res->cv), res->reason);
			for (size_t k = 0; k < res->n && k < AUTH_ARC_MAX; k++)
				printf("%s%s", k ? "," : "", res->sealer[k]);
			printf("\n");
		}
		free(m);
	}
	auth_dkim_ctx_free(&ctx);
	auth_zone_free(&z);
	free(zt);
	free(res);
	return 0;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static int tool_bench(int argc, char **argv)
{
	size_t zl, nmsg = (size_t)(argc - 2), done = 0, pass = 0, bytes = 0;
	char *zt = slurp(argv[0], &zl), err[WARY_ERRLEN];
	struct auth_zone *z = zt ? zone_from(zt) : NULL;
	struct auth_dns dns;
	struct auth_dkim_ctx *ctx = NULL;
	double secs = atof(argv[1]), t0, t1, c0, c1;
	char **m = calloc(nmsg ? nmsg : 1, sizeof(*m));
	size_t *ml = calloc(nmsg ? nmsg : 1, sizeof(*ml));
	struct auth_dkim *res = malloc(sizeof(*res));
	time_t now = time(NULL);

	if (!z || !m || !ml || !res || auth_dkim_ctx_new(&ctx, err, sizeof(err)) != WARY_OK)
		return 2;
	auth_zone_dns(z, &dns);
	for (size_t i = 0; i < nmsg; i++)
		if ((m[i] = slurp(argv[i + 2], &ml[i])) == NULL)
			return 2;
	/* one round to fill the key cache, as a reader opening a folder would */
	for (size_t i = 0; i < nmsg; i++)
		(void)auth_dkim_verify(ctx, &dns, m[i], ml[i], now, res, err, sizeof(err));
	t0 = now_s();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	do {
		for (size_t i = 0; i < nmsg; i++) {
			(void)auth_dkim_verify(ctx, &dns, m[i], ml[i], now, res, err, sizeof(err));
			done++;
			bytes += ml[i];
			if (res->n > 0 && res->sig[0].result == AUTH_DKIM_PASS)
				pass++;
		}
		t1 = now_s();
	} while (t1 - t0 < secs);
	c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	/* the CPU time too: on a shared machine the wall clock counts others' work */
	printf("messages %zu seconds %.3f rate %.0f pass %zu bytes %zu queries %zu cpu %.3f\n", done,
	       t1 - t0, (double)done / (t1 - t0), pass, bytes, auth_dkim_ctx_queries(ctx), c1 - c0);
	for (size_t i = 0; i < nmsg; i++)
		free(m[i]);
	free(m);
	free(ml);
	free(res);
	auth_dkim_ctx_free(&ctx);
	auth_zone_free(&z);
	free(zt);
	return 0;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One canonical line per header, for the corpus comparison:
 * "id|method=result|reason|ptype.prop=value,...;..." or "ERROR". */
static int tool_authres(void)
{
	char line[65536];
	struct auth_ar *ar = malloc(sizeof(*ar));

	if (!ar)
		return 2;
	while (fgets(line, sizeof(line), stdin)) {
		char v[32768], err[WARY_ERRLEN];
		size_t n = 0;

		for (size_t i = 0; line[i] && line[i + 1] && n + 1 < sizeof(v); i += 2) {
			int a = hexval(line[i]), b = hexval(line[i + 1]);

			if (a < 0 || b < 0)
				break;
			v[n++] = (char)(a * 16 + b);
		}
		v[n] = '\0';
		if (auth_ar_parse(v, n, ar, err, sizeof(err)) != WARY_OK) {
			printf("ERROR\n");
			continue;
		}
		printf("%s", ar->authserv_id);
		for (size_t i = 0; i < ar->n; i++) {
			const struct auth_ar_result *r = &ar->r[i];

			printf("%s%s=%s|%s|", i ? ";" : "|", r->method, r->result, r->reason);
			for (size_t j = 0; j < r->nprop; j++)
				printf("%s%s.%s=%s", j ? "," : "", r->prop[j].ptype, r->prop[j].property,
				       r->prop[j].value);
		}
		printf("\n");
	}
	free(ar);
	return 0;
}

/* ------------------------------------------------------------ unit tests */

#define RFC_NOW 1528637909 + 60

static const char *zone8463;
static char *msg8463;
static size_t len8463;

/* Replace the first occurrence of from with to in s (fresh copy). */
static char *subst(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	struct buf b = BUF_INIT;

	if (!p)
		return NULL;
	buf_add(&b, s, (size_t)(p - s));
	buf_adds(&b, to);
	buf_adds(&b, p + strlen(from));
	return buf_detach(&b, NULL);
}

static int run(const char *zone_text, const char *msg, size_t len, time_t now,
               struct auth_dkim *res)
{
	struct auth_zone *z = zone_from(zone_text);
	struct auth_dns dns;
	char err[WARY_ERRLEN];
	int rc;

	if (!z)
		return WARY_ERR;
	auth_zone_dns(z, &dns);
	rc = auth_dkim_verify(NULL, &dns, msg, len, now, res, err, sizeof(err));
	auth_zone_free(&z);
	return rc;
}

static void both(const char *what, const char *zone_text, const char *msg,
                 enum auth_dkim_result want0, enum auth_dkim_result want1, unsigned flag)
{
	struct auth_dkim *res = calloc(1, sizeof(*res));
	char name[256];

	T_OK(run(zone_text, msg, strlen(msg), RFC_NOW, res) == WARY_OK && res->n == 2, what);
	snprintf(name, sizeof(name), "%s: Ed25519 %s", what, auth_dkim_result_name(want0));
	if (res->sig[0].result != want0)
		printf("#   got %s (%s)\n", auth_dkim_result_name(res->sig[0].result), res->sig[0].reason);
	T_OK(res->sig[0].result == want0, name);
	snprintf(name, sizeof(name), "%s: RSA %s", what, auth_dkim_result_name(want1));
	if (res->sig[1].result != want1)
		printf("#   got %s (%s)\n", auth_dkim_result_name(res->sig[1].result), res->sig[1].reason);
	T_OK(res->sig[1].result == want1, name);
	if (flag) {
		snprintf(name, sizeof(name), "%s: flagged %s", what, auth_dkim_flag_name(flag));
		T_OK((res->sig[0].flags & flag) && (res->sig[1].flags & flag), name);
	}
	free(res);
}

static void test_rfc8463(void)
{
	struct auth_dkim *res = calloc(1, sizeof(*res));
	const struct auth_dkim_sig *s0 = &res->sig[0], *s1 = &res->sig[1];
	char *crlf, *m, *z;
	struct buf b = BUF_INIT;

	T_OK(run(zone8463, msg8463, len8463, RFC_NOW, res) == WARY_OK, "RFC 8463 example verifies");
	T_INT(res->n, 2, "two signatures");
	T_OK(s0->result == AUTH_DKIM_PASS, "RFC 8463 ed25519-sha256 signature passes");
	T_OK(s1->result == AUTH_DKIM_PASS, "RFC 8463 rsa-sha256 signature passes");
	T_STR(s0->domain, "football.example.com", "d=");
	T_STR(s0->selector, "brisbane", "s= of the Ed25519 one");
	T_STR(s1->selector, "test", "s= of the RSA one");
	T_STR(s0->algorithm, "ed25519-sha256", "a=");
	T_STR(s0->canon, "relaxed/relaxed", "c=");
	T_OK(s0->body_ok && s1->body_ok, "body hashes match");
	T_OK((s0->covers & AUTH_DKIM_H_FROM) && (s0->covers & AUTH_DKIM_H_SUBJECT) &&
	     (s0->covers & AUTH_DKIM_H_DATE) && (s0->covers & AUTH_DKIM_H_TO),
	     "covers From, Subject, Date, To");
	T_OK(!(s0->covers & AUTH_DKIM_H_CONTENT_TYPE), "does not cover Content-Type");
	T_OK(s0->duplicated == 0, "nothing duplicated (over-signing is not duplication)");
	T_INT(s0->length, -1, "no l=");
	T_INT(s1->key_bits, 1024, "RSA key of 1024 bits");

	/* the same bytes with CRLF line ends, as on the wire */
	for (size_t i = 0; i < len8463; i++) {
		if (msg8463[i] == '\n')
			buf_addch(&b, '\r');
		buf_addch(&b, msg8463[i]);
	}
	buf_addch(&b, '\0');
	crlf = buf_detach(&b, NULL);
	both("CRLF line ends", zone8463, crlf, AUTH_DKIM_PASS, AUTH_DKIM_PASS, 0);
	free(crlf);

	m = subst(msg8463, "We lost the game", "We won the game");
	both("body changed", zone8463, m, AUTH_DKIM_FAIL, AUTH_DKIM_FAIL, AUTH_DKIM_F_BODY_HASH);
	free(m);
	m = subst(msg8463, "Joe.\n", "Joe.\n\n\n\n");
	both("empty lines appended to the body (ignored)", zone8463, m, AUTH_DKIM_PASS, AUTH_DKIM_PASS, 0);
	free(m);
	m = subst(msg8463, "Are you hungry", "Are   you \t hungry");
	both("white space changed in the body (relaxed)", zone8463, m, AUTH_DKIM_PASS, AUTH_DKIM_PASS, 0);
	free(m);
	m = subst(msg8463, "Subject: Is dinner ready?", "Subject:   Is dinner\n  ready?  ");
	both("Subject refolded (relaxed)", zone8463, m, AUTH_DKIM_PASS, AUTH_DKIM_PASS, 0);
	free(m);
	m = subst(msg8463, "Subject: Is dinner ready?", "Subject: Is lunch ready?");
	both("Subject changed", zone8463, m, AUTH_DKIM_FAIL, AUTH_DKIM_FAIL, 0);
	free(m);
	m = subst(msg8463, "From: Joe", "From: Mallory <m@evil.example>\nFrom: Joe");
	both("a From added on top (over-signed From)", zone8463, m, AUTH_DKIM_FAIL, AUTH_DKIM_FAIL, 0);
	free(m);
	m = subst(msg8463, "Message-ID:", "X-Added: anything\nMessage-ID:");
	both("an unsigned header added", zone8463, m, AUTH_DKIM_PASS, AUTH_DKIM_PASS, 0);
	free(m);
	m = subst(msg8463, "Message-ID:", "Message-ID: <evil@x>\nMessage-ID:");
	{
		T_OK(run(zone8463, m, strlen(m), RFC_NOW, res) == WARY_OK && res->n == 2 &&
		     res->sig[0].result == AUTH_DKIM_PASS && (res->sig[0].duplicated & AUTH_DKIM_H_MESSAGE_ID) &&
		     (res->sig[0].flags & AUTH_DKIM_F_DUPLICATED),
		     "a second Message-ID on top: still passes (bottom copy signed), flagged duplicated");
	}
	free(m);

	/* signature tag lists */
	m = subst(msg8463, "q=dns/txt; s=brisbane;", "q=dns/txt; s=brisbane; s=brisbane;");
	T_OK(run(zone8463, m, strlen(m), RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR && (res->sig[0].flags & AUTH_DKIM_F_SYNTAX),
	     "a repeated tag is a permerror");
	free(m);
	m = subst(msg8463, "h=from : to :\n subject : date : message-id : from : subject : date;",
	          "h=to : subject : date;");
	T_OK(m && run(zone8463, m, strlen(m), RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR,
	     "h= without From is a permerror");
	free(m);
	m = subst(msg8463, "v=1; a=ed25519-sha256;", "a=ed25519-sha256;");
	T_OK(m && run(zone8463, m, strlen(m), RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR, "missing v= is a permerror");
	free(m);
	m = subst(msg8463, "v=1; a=ed25519-sha256;", "v=1;; a=ed25519-sha256;");
	T_OK(m && run(zone8463, m, strlen(m), RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR, "an empty tag-spec (;;) is a permerror");
	free(m);
	m = subst(msg8463, "i=@football.example.com;\n q=dns/txt; s=brisbane",
	          "i=@evil.example;\n q=dns/txt; s=brisbane");
	T_OK(m && run(zone8463, m, strlen(m), RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR && (res->sig[0].flags & AUTH_DKIM_F_IDENTITY),
	     "i= outside d= is a permerror");
	free(m);
	m = subst(msg8463, "s=brisbane; t=1528637909;", "s=brisbane; t=1528637909; x=1528637000;");
	T_OK(m && run(zone8463, m, strlen(m), RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR, "x= before t= is a permerror");
	free(m);
	m = subst(msg8463, "a=ed25519-sha256", "a=ed448-sha512");
	T_OK(m && run(zone8463, m, strlen(m), RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR, "an unknown algorithm is a permerror");
	free(m);
	m = subst(msg8463, "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n b=/gC",
	          "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n b=!gC");
	T_OK(m && run(zone8463, m, strlen(m), RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR, "b= that is not base64 is a permerror");
	free(m);

	/* key records */
	z = subst(zone8463, "p=11qY", "t=y; p=11qY");
	both("key with t=y", z, msg8463, AUTH_DKIM_PASS, AUTH_DKIM_PASS, 0);
	T_OK(run(z, msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     (res->sig[0].flags & AUTH_DKIM_F_TESTING), "t=y is reported as a testing key");
	free(z);
	z = subst(zone8463, "k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "k=ed25519; p=");
	T_OK(run(z, msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR && (res->sig[0].flags & AUTH_DKIM_F_REVOKED),
	     "an empty p= (revoked key) is a permerror");
	free(z);
	z = subst(zone8463, "k=rsa; p=MIGf", "k=rsa; h=sha1; p=MIGf");
	T_OK(run(z, msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     res->sig[1].result == AUTH_DKIM_PERMERROR, "key h=sha1 refuses an rsa-sha256 signature");
	free(z);
	z = subst(zone8463, "k=rsa; p=MIGf", "k=rsa; h=sha1:sha256; p=MIGf");
	T_OK(run(z, msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     res->sig[1].result == AUTH_DKIM_PASS, "key h=sha1:sha256 allows it");
	free(z);
	z = subst(zone8463, "k=ed25519;", "k=rsa;");
	T_OK(run(z, msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR, "an ed25519 signature with a k=rsa key is a permerror");
	free(z);
	z = subst(zone8463, "v=DKIM1; k=ed25519;", "k=ed25519; v=DKIM1;");
	T_OK(run(z, msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR, "v= not first in the key record is a permerror");
	free(z);
	z = subst(zone8463, "k=ed25519;", "k=ed25519; s=tlsrpt;");
	T_OK(run(z, msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR, "a key for another service (s=) is refused");
	free(z);
	z = subst(zone8463, "k=ed25519;", "k=ed25519; t=s;");
	T_OK(run(z, msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PASS, "t=s with i= equal to d= passes");
	free(z);
	z = subst(zone8463, "brisbane._domainkey.football.example.com TXT",
	          "brisbane._domainkey.football.example.com TIMEOUT\nx.invalid TXT");
	T_OK(run(z, msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_TEMPERROR && res->sig[1].result == AUTH_DKIM_PASS,
	     "a DNS timeout is a temperror for that signature only");
	free(z);
	T_OK(run("x.invalid TXT x\n", msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     res->sig[0].result == AUTH_DKIM_PERMERROR && (res->sig[0].flags & AUTH_DKIM_F_NO_KEY) &&
	     res->sig[0].body_checked && res->sig[0].body_ok,
	     "no key record: permerror, the body hash still reported");
	free(res);
}

static void test_small_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(512);
	unsigned char *der = NULL;
	int n = k ? i2d_PUBKEY(k, &der) : -1;
	struct buf b = BUF_INIT;
	struct auth_dkim *res = calloc(1, sizeof(*res));
	char *z;

	if (n <= 0) {
		t_skip("a 512-bit RSA key is refused", "OpenSSL will not make one");
		EVP_PKEY_free(k);
		free(res);
		return;
	}
	{
		unsigned char b64[2048];
		int bl = EVP_EncodeBlock(b64, der, n);

		buf_adds(&b, "test._domainkey.football.example.com TXT \"v=DKIM1; k=rsa; p=");
		buf_add(&b, b64, (size_t)bl);
		buf_adds(&b, "\"\n");
	}
	buf_addch(&b, '\0');
	z = buf_detach(&b, NULL);
	T_OK(run(z, msg8463, len8463, RFC_NOW, res) == WARY_OK &&
	     res->sig[1].result == AUTH_DKIM_PERMERROR && (res->sig[1].flags & AUTH_DKIM_F_SMALL_KEY),
	     "an RSA key under 1024 bits is refused (RFC 8301)");
	free(z);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	free(res);
}

static void test_cache_and_hostile(void)
{
	struct auth_zone *z = zone_from(zone8463);
	struct auth_dns dns;
	struct auth_dkim_ctx *ctx = NULL;
	struct auth_dkim *res = calloc(1, sizeof(*res));
	char err[WARY_ERRLEN];
	struct buf b = BUF_INIT;

	auth_zone_dns(z, &dns);
	T_OK(auth_dkim_ctx_new(&ctx, err, sizeof(err)) == WARY_OK, "verifier");
	for (int i = 0; i < 50; i++)
		(void)auth_dkim_verify(ctx, &dns, msg8463, len8463, RFC_NOW, res, err, sizeof(err));
	T_INT(auth_dkim_ctx_queries(ctx), 2, "50 messages from one sender: 2 key lookups, then the cache");
	T_INT(auth_dkim_ctx_keys(ctx), 2, "two keys cached");
	T_OK(res->sig[0].result == AUTH_DKIM_PASS && res->sig[1].result == AUTH_DKIM_PASS,
	     "cached keys still verify");
	(void)auth_dkim_verify(ctx, &dns, msg8463, len8463, RFC_NOW + 100000, res, err, sizeof(err));
	T_INT(auth_dkim_ctx_queries(ctx), 4, "keys are looked up again once their TTL is over");

	/* 40 signatures: 16 checked, the rest counted */
	for (int i = 0; i < 40; i++)
		buf_adds(&b, "DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; h=from; bh=AAAA; b=AAAA\n");
	buf_add(&b, msg8463, len8463);
	T_OK(auth_dkim_verify(ctx, &dns, b.data, b.len, RFC_NOW, res, err, sizeof(err)) == WARY_OK &&
	     res->n == AUTH_DKIM_MAX_SIGS && res->total == 42 &&
	     (res->sig[AUTH_DKIM_MAX_SIGS - 1].flags & AUTH_DKIM_F_TOO_MANY),
	     "42 signatures: 16 checked, 42 counted, flagged");
	buf_reset(&b);
	/* garbage signatures of every shape */
	{
		static const char *const bad[] = {
			"DKIM-Signature:\n", "DKIM-Signature: ;\n", "DKIM-Signature: =\n",
			"DKIM-Signature: v\n", "DKIM-Signature: v=1; a=rsa-sha256; b=\n",
			"DKIM-Signature: v=1; a=rsa-sha256; d=; s=; h=; bh=; b=\n",
			"DKIM-Signature: v=1; a=rsa-sha256; d=a; s=b; h=from::to; bh=AAAA; b=AAAA\n",
			"DKIM-Signature: v=1; a=rsa-sha256; d=a; s=b; h=from; bh=AAAA; b=AAAA; l=99999999999999999999999999999\n",
			"DKIM-Signature: v=1; a=rsa-sha256; d=a; s=b/../c; h=from; bh=AAAA; b=AAAA\n",
			"DKIM-Signature: v=1; a=rsa-sha256; d=a; s=b; h=from; bh=AAAA; b=AAAA; \x01=x\n",
		};
		bool all_perm = true;

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			buf_reset(&b);
			buf_adds(&b, bad[i]);
			buf_adds(&b, "From: a@a\n\nbody\n");
			if (auth_dkim_verify(ctx, &dns, b.data, b.len, RFC_NOW, res, err, sizeof(err)) != WARY_OK ||
			    res->n != 1 || (res->sig[0].result != AUTH_DKIM_PERMERROR &&
			                    res->sig[0].result != AUTH_DKIM_FAIL)) {
				printf("# case %zu: %s\n", i, res->n ? auth_dkim_result_name(res->sig[0].result) : "-");
				all_perm = false;
			}
		}
		T_OK(all_perm, "malformed signatures are permerrors, never passes");
	}
	/* a header that never ends, a message of only a signature, nothing */
	buf_reset(&b);
	buf_adds(&b, "DKIM-Signature: v=1; a=rsa-sha256; d=a; s=b; h=from; bh=AAAA; b=");
	for (int i = 0; i < 100000; i++)
		buf_adds(&b, "AAAA");
	T_OK(auth_dkim_verify(ctx, &dns, b.data, b.len, RFC_NOW, res, err, sizeof(err)) == WARY_OK &&
	     res->n == 1 && res->sig[0].result == AUTH_DKIM_PERMERROR,
	     "a 400 KB b= with no body: permerror");
	T_OK(auth_dkim_verify(ctx, &dns, "", 0, RFC_NOW, res, err, sizeof(err)) == WARY_OK && res->n == 0,
	     "an empty message has no signature");
	buf_release(&b);
	auth_dkim_ctx_free(&ctx);
	auth_zone_free(&z);
	free(res);
}

/* ------------------------------------------------------------ authres */

static void test_authres(void)
{
	struct auth_ar *ar = calloc(1, sizeof(*ar));
	char err[WARY_ERRLEN];
	const char *v;

	v = " mx.example.org 1; dkim=pass (good signature) header.d=example.com header.b=Qgi/FoC0;\n"
	    "\tspf=fail reason=\"no match\" smtp.mailfrom=a@example.com; dmarc=pass header.from=example.com";
	T_OK(auth_ar_parse(v, strlen(v), ar, err, sizeof(err)) == WARY_OK, "a full header parses");
	T_STR(ar->authserv_id, "mx.example.org", "authserv-id");
	T_INT(ar->n, 3, "three results");
	T_STR(ar->r[0].method, "dkim", "method");
	T_STR(ar->r[0].comment, "good signature", "comment kept");
	T_STR(auth_ar_prop_get(&ar->r[0], "header", "b"), "Qgi/FoC0", "header.b");
	T_STR(ar->r[1].reason, "no match", "reason");
	T_STR(auth_ar_prop_get(&ar->r[1], "smtp", "mailfrom"), "a@example.com", "smtp.mailfrom");
	T_STR(ar->r[2].result, "pass", "dmarc=pass");
	v = "example.org; none";
	T_OK(auth_ar_parse(v, strlen(v), ar, err, sizeof(err)) == WARY_OK && ar->none && ar->n == 0,
	     "the none form");
	v = "(comment (nested)) \"quoted id\" ; SPF = PASS (x) smtp . mailfrom = x@y";
	T_OK(auth_ar_parse(v, strlen(v), ar, err, sizeof(err)) == WARY_OK &&
	     strcmp(ar->authserv_id, "quoted id") == 0 && strcmp(ar->r[0].method, "spf") == 0 &&
	     strcmp(ar->r[0].result, "pass") == 0 &&
	     strcmp(auth_ar_prop_get(&ar->r[0], "smtp", "mailfrom"), "x@y") == 0,
	     "CFWS everywhere, quoted authserv-id, keywords case-insensitive");
	{
		static const char *const bad[] = {
			"", " ", ";", "example.org", "example.org;", "example.org; =pass",
			"example.org; dkim", "example.org; dkim=", "example.org; dkim=pass (unclosed",
			"example.org 2; dkim=pass", "example.org; dkim=pass; spf", "\"unterminated; dkim=pass",
			"example.org; dkim/x=pass", "example.org; dkim=pass reason=",
			"thehesiod.com; dkim=none header.d=none;thehesiod.com; dmarc=none",
		};
		bool all = true;

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
			if (auth_ar_parse(bad[i], strlen(bad[i]), ar, err, sizeof(err)) == WARY_OK) {
				printf("#   accepted: %s\n", bad[i]);
				all = false;
			}
		T_OK(all, "malformed headers are refused (nothing from them is believed)");
	}
	{
		struct buf b = BUF_INIT;

		buf_adds(&b, "x;");
		for (int i = 0; i < 5000; i++)
			buf_adds(&b, " dkim=pass header.d=a header.d=b header.d=c header.d=d header.d=e "
			             "header.d=f header.d=g header.d=h header.d=i;");
		T_OK(auth_ar_parse(b.data, b.len, ar, err, sizeof(err)) == WARY_OK && ar->truncated &&
		     ar->n == AUTH_AR_MAX_RESULTS, "5000 results: kept up to the limit, marked truncated");
		buf_release(&b);
	}
	free(ar);
}

static void test_authres_trust(void)
{
	const char *m =
	        "Authentication-Results: mx.example.test; dkim=pass header.d=example.test\n"
	        "Received: from mail.sender.example (mail.sender.example [192.0.2.1])\n"
	        "\tby mx.example.test with ESMTPS id 1; Mon, 30 Nov 2026 10:00:00 +0000\n"
	        "Authentication-Results: mx.example.test; dmarc=pass header.from=bank.example\n"
	        "Authentication-Results: other.example; spf=pass smtp.mailfrom=x@y\n"
	        "Received: from [10.0.0.1] by mail.sender.example; Mon, 30 Nov 2026 09:59:00 +0000\n"
	        "Authentication-Results: broken\n"
	        "From: a@example.test\n\nhi\n";
	struct mail_msg *msg = NULL;
	struct auth_ar_set *set = calloc(1, sizeof(*set));
	char err[WARY_ERRLEN];

	T_OK(mail_parse(m, strlen(m), &msg, err, sizeof(err)) == WARY_OK, "message parses");
	T_OK(auth_ar_collect(msg, "mx.example.test", 0, set, err, sizeof(err)) == WARY_OK, "collect");
	T_INT(set->total, 4, "four Authentication-Results fields");
	T_INT(set->n_trusted, 1, "one believed: the trusted id above the boundary's Received");
	T_OK(set->e[0].trusted && !set->e[1].trusted && !set->e[2].trusted && !set->e[3].trusted,
	     "the right one");
	T_INT(set->forged, 1, "the trusted id below the boundary is counted as forged");
	T_OK(!set->e[3].parsed, "the malformed one is not parsed");
	T_OK(auth_ar_collect(msg, "MX.EXAMPLE.TEST", 1, set, err, sizeof(err)) == WARY_OK &&
	     set->n_trusted == 2 && set->forged == 0,
	     "with the boundary one hop lower both are believed (ids compare case-insensitively)");
	T_OK(auth_ar_collect(msg, NULL, 0, set, err, sizeof(err)) == WARY_OK && set->n_trusted == 0,
	     "no trusted_authserv_id: nothing believed");
	T_OK(auth_ar_collect(msg, "other.example", 5, set, err, sizeof(err)) == WARY_OK &&
	     set->n_trusted == 1, "another id believed only when configured");
	mail_free(&msg);
	free(set);
}

/* ------------------------------------------------------------ verdict */

static struct auth_verdict *verdict_of(const char *zone_text, const char *msgtext, const char *trusted)
{
	struct auth_zone *z = zone_text ? zone_from(zone_text) : NULL;
	struct auth_dns dns;
	struct auth_verdict_in in;
	struct auth_verdict *v = calloc(1, sizeof(*v));
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];

	if (mail_parse(msgtext, strlen(msgtext), &m, err, sizeof(err)) != WARY_OK) {
		free(v);
		auth_zone_free(&z);
		return NULL;
	}
	memset(&in, 0, sizeof(in));
	if (z)
		auth_zone_dns(z, &dns);
	in.msg = m;
	in.dns = z ? &dns : NULL;
	in.trusted_authserv_id = trusted;
	in.boundary_hop = (size_t)-1;
	in.now = RFC_NOW;
	if (auth_verdict(&in, v, err, sizeof(err)) != WARY_OK) {
		printf("# verdict: %s\n", err);
		auth_verdict_clear(v);
		free(v);
		v = NULL;
	}
	mail_free(&m);
	auth_zone_free(&z);
	return v;
}

static void verdict_done(struct auth_verdict *v)
{
	if (v) {
		auth_verdict_clear(v);
		free(v);
	}
}

static void test_verdict(void)
{
	static const char ar[] =
	        "Authentication-Results: mx.shopping.example.net; dkim=pass header.d=football.example.com\n"
	        "Received: from mail.football.example.com by mx.shopping.example.net; Fri, 11 Jul 2003 21:01:00 -0700\n";
	struct auth_verdict *v;
	struct buf b = BUF_INIT;
	char *m;

	v = verdict_of(zone8463, msg8463, NULL);
	T_OK(v && v->aligned_pass && strstr(v->pass_by, "DKIM") && v->level == AUTH_LEVEL_GOOD,
	     "RFC 8463 example with its keys: an aligned DKIM pass, green");
	T_OK(v && v->dmarc_checked && v->dmarc.result == AUTH_DMARC_NONE, "no DMARC record: dmarc none");
	T_OK(v && strstr(v->summary, "football.example.com verified") != NULL, "summary names the domain");
	verdict_done(v);
	v = verdict_of(NULL, msg8463, NULL);
	T_OK(v && !v->aligned_pass && (v->flags & AUTH_V_OFFLINE) && v->dkim.sig[0].result == AUTH_DKIM_TEMPERROR,
	     "without DNS: pending, not green");
	verdict_done(v);

	/* the user's server said pass; wary looks again */
	buf_adds(&b, ar);
	buf_adds(&b, msg8463);
	m = subst(b.data, "We lost the game", "We won the game");
	v = verdict_of(zone8463, m, "mx.shopping.example.net");
	T_OK(v && !v->aligned_pass && (v->flags & AUTH_V_BODY_CHANGED) && (v->flags & AUTH_V_DISAGREE),
	     "server said pass, the body changed since: flagged, not green");
	verdict_done(v);
	free(m);
	v = verdict_of("x.invalid TXT x\n", b.data, "mx.shopping.example.net");
	T_OK(v && v->aligned_pass && strcmp(v->pass_by, "server") == 0 && (v->flags & AUTH_V_KEY_CHANGED),
	     "server said pass, the key is gone now: the server's word stands, key change flagged");
	verdict_done(v);
	v = verdict_of(NULL, b.data, "mx.shopping.example.net");
	T_OK(v && v->aligned_pass && strcmp(v->said_dkim, "pass") == 0 && v->ar.n_trusted == 1,
	     "offline: the trusted server's pass is believed");
	verdict_done(v);
	v = verdict_of(NULL, b.data, "other.example");
	T_OK(v && !v->aligned_pass && (v->flags & AUTH_V_NO_TRUSTED_AR), "another authserv-id: not believed");
	verdict_done(v);
	buf_release(&b);

	/* a pass for another domain is not a pass for this From */
	m = subst(msg8463, "From: Joe SixPack <joe@football.example.com>", "From: Joe SixPack <joe@bank.example>");
	v = verdict_of(zone8463, m, NULL);
	T_OK(v && !v->aligned_pass && v->dkim.sig[0].result != AUTH_DKIM_PASS,
	     "From changed to another domain: the signature breaks, no pass");
	verdict_done(v);
	free(m);
	/* mixed scripts (Cyrillic a in a Latin name) */
	v = verdict_of(NULL, "From: Support <help@p\xd0\xb0ypal.example>\nSubject: x\n\nhi\n", NULL);
	T_OK(v && !v->aligned_pass && (v->flags & AUTH_V_MIXED_SCRIPT), "a mixed-script From domain is flagged");
	verdict_done(v);
	v = verdict_of(NULL, "From: \"ceo@bank.example\" <x@evil.example>\nSubject: x\n\nhi\n", NULL);
	T_OK(v && (v->flags & AUTH_V_DECEPTIVE_FROM) && v->level == AUTH_LEVEL_BAD,
	     "an address in the display name: deceptive, red");
	verdict_done(v);
	v = verdict_of(NULL, "Subject: no sender\n\nhi\n", NULL);
	T_OK(v && v->ambiguous && !v->aligned_pass, "no From: ambiguous");
	verdict_done(v);
}

static void test_arc_offline(void)
{
	static const char m[] =
	        "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=sealer.example; s=s; b=AAAA\r\n"
	        "ARC-Message-Signature: i=1; a=rsa-sha256; d=sealer.example; s=s; h=from; bh=AAAA; b=AAAA\r\n"
	        "ARC-Authentication-Results: i=1; mx.sealer.example; dkim=pass\r\n"
	        "From: a@b.example\r\n\r\nhi\r\n";
	struct auth_arc *a = calloc(1, sizeof(*a));
	char err[WARY_ERRLEN];

	T_OK(auth_arc_verify(NULL, NULL, m, sizeof(m) - 1, RFC_NOW, a, err, sizeof(err)) == WARY_OK &&
	     a->cv == AUTH_ARC_TEMPERROR && a->n == 1 && strcmp(a->sealer[0], "sealer.example") == 0,
	     "ARC without DNS: temperror, not fail, the sealer named");
	const char *noseal = strstr(m, "ARC-Message-Signature");

	T_OK(auth_arc_verify(NULL, NULL, noseal, strlen(noseal), RFC_NOW, a, err, sizeof(err)) == WARY_OK &&
	     a->cv == AUTH_ARC_FAIL, "an ARC set without its seal: fail");
	T_OK(auth_arc_verify(NULL, NULL, "From: a@b\r\n\r\nx\r\n", 16, RFC_NOW, a, err, sizeof(err)) == WARY_OK &&
	     a->cv == AUTH_ARC_NONE, "no ARC headers: none");
	free(a);
}

int main(int argc, char **argv)
{
	char path[4096];

	if (argc >= 5 && strcmp(argv[1], "verify") == 0)
		return tool_verify(argc - 2, argv + 2);
	if (argc >= 5 && strcmp(argv[1], "bench") == 0)
		return tool_bench(argc - 2, argv + 2);
	if (argc >= 5 && strcmp(argv[1], "arc") == 0)
		return tool_arc(argc - 2, argv + 2);
	if (argc == 2 && strcmp(argv[1], "authres") == 0)
		return tool_authres();
	{
		size_t n;

		snprintf(path, sizeof(path), "%s/tests/fixtures/dkim/rfc8463.zone", TOP_SRCDIR);
		zone8463 = slurp(path, &n);
		snprintf(path, sizeof(path), "%s/tests/fixtures/dkim/rfc8463.eml", TOP_SRCDIR);
		msg8463 = slurp(path, &len8463);
	}
	if (!zone8463 || !msg8463) {
		T_OK(0, "the RFC 8463 fixture is readable");
		return t_done();
	}
	test_rfc8463();
	test_small_key();
	test_cache_and_hostile();
	test_authres();
	test_authres_trust();
	test_verdict();
	test_arc_offline();
	free((char *)zone8463);
	free(msg8463);
	return t_done();
}
