#ifndef WARY_AUTH_H
#define WARY_AUTH_H
/*
 * auth: who really sent a message.  DKIM (RFC 6376/8301/8463), SPF (RFC
 * 7208), DMARC (RFC 7489), ARC (RFC 8617) and Authentication-Results (RFC
 * 8601), each reading a parsed message and returning a result struct, and
 * the verdict that binds them to the From wary displays (design 4.6).
 *
 * No analysis here opens a socket: DNS comes through struct auth_dns, a
 * query function.  In the client it is net's libunbound resolver; in
 * tests it can answer from zone data in memory.  So the analyses are
 * deterministic under test and the suites (OpenSPF, ARC) run offline.
 */
#include "base/base.h"
#include "mail/mail.h"

/* Record types by their DNS numbers. */
enum auth_rrtype {
	AUTH_RR_A = 1,
	AUTH_RR_PTR = 12,
	AUTH_RR_MX = 15,
	AUTH_RR_TXT = 16,
	AUTH_RR_AAAA = 28,
};

enum auth_dns_status {
	AUTH_DNS_OK = 0,     /* an answer; n may be 0 (NODATA) */
	AUTH_DNS_NXDOMAIN,   /* the name does not exist */
	AUTH_DNS_TEMPFAIL,   /* timeout, SERVFAIL, no resolver: try later */
	AUTH_DNS_PERMFAIL,   /* a malformed name or answer */
};

/*
 * One answer, records in text form so every analysis reads them alike:
 *   A     "192.0.2.1"            AAAA  "2001:db8::1" (inet_ntop form)
 *   MX    "10 mx.example.org"    PTR   "host.example.org"
 *   TXT   the character-strings of one record joined with nothing between
 *         (RFC 7208 3.3, RFC 6376 3.6.2.2); may hold NULs, hence len[].
 * Names are lower-case without the trailing dot.
 */
struct auth_dns_reply {
	enum auth_dns_status status;
	size_t n;
	char **rr;     /* n strings, each NUL-terminated */
	size_t *len;   /* their lengths (TXT may hold NULs) */
	bool secure;   /* DNSSEC validated */
	unsigned ttl;  /* seconds */
};

/* Fill *out (zeroed by the caller) for NAME and TYPE; return WARY_OK when
 * out->status says what happened, a WARY_E* only for a local failure. */
typedef int (*auth_dns_query_fn)(void *ctx, const char *name, enum auth_rrtype type,
                                 struct auth_dns_reply *out);
struct auth_dns {
	auth_dns_query_fn query;
	void *ctx;
};

/* Free what a query put in *r and zero it. */
void auth_dns_reply_clear(struct auth_dns_reply *r);
/* Append one record to a reply (for resolvers and test zones). */
int auth_dns_reply_add(struct auth_dns_reply *r, const char *data, size_t len);

#endif
