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

/* ---- SPF (RFC 7208), spf.c ---- */

enum auth_spf_result {
	AUTH_SPF_NONE, AUTH_SPF_NEUTRAL, AUTH_SPF_PASS, AUTH_SPF_FAIL,
	AUTH_SPF_SOFTFAIL, AUTH_SPF_TEMPERROR, AUTH_SPF_PERMERROR
};

struct auth_spf {
	enum auth_spf_result result;
	char domain[256];       /* the domain checked: MAIL FROM's, or HELO's when MAIL FROM is empty */
	char ip[64];
	char helo[256];
	char explanation[512];  /* exp= text on fail (from DNS: make it safe before display) */
	unsigned dns_mechs;     /* DNS-querying terms counted against the limit of 10 */
	unsigned void_lookups;  /* of the limit of 2 */
};

/*
 * check_host() for IP (dotted quad or IPv6), HELO and MAIL FROM (the
 * Return-Path; "" or NULL = the null sender, HELO is then checked as
 * postmaster@HELO).  WARY_OK with out->result set, whatever it is; a WARY_E*
 * only for bad arguments or memory.
 */
int auth_spf_check(const struct auth_dns *dns, const char *ip, const char *helo,
                   const char *mail_from, struct auth_spf *out, char *err, size_t errlen);
/* "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror". */
const char *auth_spf_result_name(enum auth_spf_result r);

/* ---- DMARC (RFC 7489), dmarc.c ---- */

struct auth_dmarc_in {
	const char *from_domain;              /* RFC5322.From's domain */
	const char *const *dkim_pass_domains; /* d= of every DKIM signature that passed */
	size_t n_dkim;
	enum auth_spf_result spf;
	const char *spf_domain;               /* the domain SPF checked (auth_spf.domain) */
};

enum auth_dmarc_result {
	AUTH_DMARC_NONE, AUTH_DMARC_PASS, AUTH_DMARC_FAIL,
	AUTH_DMARC_TEMPERROR, AUTH_DMARC_PERMERROR
};

struct auth_dmarc {
	enum auth_dmarc_result result;
	char policy[16];         /* none|quarantine|reject: the one that applies (sp for subdomains,
	                          * pct sampling: below 100 a failing message gets the next milder
	                          * policy, RFC 7489 6.6.4, decided without randomness) */
	char record_domain[256]; /* where the record was found ("" = none) */
	char org_domain[256];    /* the From domain's organizational domain */
	bool dkim_aligned, spf_aligned;
	char adkim, aspf;        /* 'r' or 's' */
	int pct;
	char requested[16];      /* p= as published */
	char sub_policy[16];     /* sp= as published, or p= when absent */
};

int auth_dmarc_check(const struct auth_dns *dns, const struct auth_dmarc_in *in,
                     struct auth_dmarc *out, char *err, size_t errlen);
const char *auth_dmarc_result_name(enum auth_dmarc_result r);
/* A message with several From addresses (RFC 7489 6.6.1): each domain
 * checked with the same DKIM and SPF inputs; the worst result (fail >
 * permerror > temperror > none > pass) and the strictest policy win.
 * n == 0 is a permerror ("no From domain"). */
int auth_dmarc_check_all(const struct auth_dns *dns, const char *const *from_domains, size_t n,
                         const struct auth_dmarc_in *in, struct auth_dmarc *out,
                         char *err, size_t errlen);
/* The organizational domain of DOMAIN by the public suffix list (Debian's
 * publicsuffix file when installed), lower-case.  WARY_OK, or WARY_EPARSE
 * when DOMAIN is itself a public suffix or not a name. */
int auth_org_domain(const char *domain, char *out, size_t outlen);

/* ---- zone data in memory (zone.c): a struct auth_dns for tests and offline use ---- */

struct auth_zone;
/*
 * Lines of "NAME TYPE DATA" (TYPE one of A AAAA MX PTR TXT, or the special
 * TIMEOUT / NXDOMAIN / SERVFAIL with no data).  TXT data is one or more
 * "quoted" character-strings (joined) or the rest of the line; MX data is
 * "PRIO HOST".  A name with records of some type answers NODATA for the
 * others; a name with none answers NXDOMAIN.  '#' starts a comment line.
 */
int auth_zone_new(struct auth_zone **out);
void auth_zone_free(struct auth_zone **z);
int auth_zone_add(struct auth_zone *z, const char *name, const char *type,
                  const char *data, size_t len);
int auth_zone_load(struct auth_zone *z, const char *text, char *err, size_t errlen);
void auth_zone_dns(struct auth_zone *z, struct auth_dns *out);
/* How many queries the zone answered (tests check limits with it). */
size_t auth_zone_queries(const struct auth_zone *z);

/* ---- net's libunbound resolver as a struct auth_dns (dns_net.c) ---- */

struct net_dns;
void auth_dns_use_net(struct auth_dns *out, struct net_dns *dns);

/* ---- the Received chain through auth's DNS (trace_dns.c) ---- */

struct trace_dns;
/* Fill *out so the trace module can look names up through DNS. */
void auth_trace_dns(const struct auth_dns *dns, struct trace_dns *out);

/* ---- DKIM (RFC 6376, RFC 8301, RFC 8463), dkim.c ---- */

enum auth_dkim_result {
	AUTH_DKIM_NONE,      /* no signature */
	AUTH_DKIM_PASS,
	AUTH_DKIM_FAIL,      /* signature or body hash does not verify */
	AUTH_DKIM_NEUTRAL,   /* verifies, but not usable (rsa-sha1 is kept pass + "weak") */
	AUTH_DKIM_POLICY,    /* verifies, but against the key's rules (t=s, h=, expired) */
	AUTH_DKIM_TEMPERROR, /* key not available now */
	AUTH_DKIM_PERMERROR, /* malformed signature or key, revoked key, key too small */
};

/* Header fields a signature reports on (covers / duplicated bits). */
enum auth_dkim_hdr {
	AUTH_DKIM_H_FROM = 1 << 0,
	AUTH_DKIM_H_SUBJECT = 1 << 1,
	AUTH_DKIM_H_CONTENT_TYPE = 1 << 2,
	AUTH_DKIM_H_TO = 1 << 3,
	AUTH_DKIM_H_DATE = 1 << 4,
	AUTH_DKIM_H_CC = 1 << 5,
	AUTH_DKIM_H_MESSAGE_ID = 1 << 6,
	AUTH_DKIM_H_REPLY_TO = 1 << 7,
	AUTH_DKIM_H_MIME_VERSION = 1 << 8,
	AUTH_DKIM_H_COUNT = 9,
};

enum auth_dkim_flag {
	AUTH_DKIM_F_WEAK = 1 << 0,        /* rsa-sha1 (RFC 8301) */
	AUTH_DKIM_F_LENGTH = 1 << 1,      /* l= : body bytes after it are unsigned */
	AUTH_DKIM_F_TESTING = 1 << 2,     /* key t=y */
	AUTH_DKIM_F_EXPIRED = 1 << 3,     /* x= before the clock */
	AUTH_DKIM_F_FUTURE = 1 << 4,      /* t= after the clock */
	AUTH_DKIM_F_BODY_HASH = 1 << 5,   /* bh= does not match the body */
	AUTH_DKIM_F_REVOKED = 1 << 6,     /* p= empty */
	AUTH_DKIM_F_SMALL_KEY = 1 << 7,   /* RSA under 1024 bits */
	AUTH_DKIM_F_NO_KEY = 1 << 8,      /* no key record */
	AUTH_DKIM_F_BAD_KEY = 1 << 9,     /* key record malformed */
	AUTH_DKIM_F_IDENTITY = 1 << 10,   /* i= not in d= (or t=s and not equal) */
	AUTH_DKIM_F_SYNTAX = 1 << 11,     /* signature tag list malformed */
	AUTH_DKIM_F_UNSIGNED_HDR = 1 << 12, /* one of From/Subject/Content-Type/To/Date unsigned */
	AUTH_DKIM_F_DUPLICATED = 1 << 13, /* a reported header appears more often than signed */
	AUTH_DKIM_F_UNSIGNED_BODY = 1 << 14,/* l= shorter than the body */
	AUTH_DKIM_F_TOO_MANY = 1 << 15,   /* signatures past AUTH_DKIM_MAX_SIGS not checked */
};

#define AUTH_DKIM_MAX_SIGS 16

struct auth_dkim_sig {
	enum auth_dkim_result result;
	char domain[256];     /* d=, lower-case */
	char selector[128];   /* s= */
	char identity[320];   /* i= (or @d) */
	char algorithm[24];   /* a= as written (lower-case) */
	char canon[24];       /* "relaxed/simple" */
	char reason[160];     /* why not pass, plain ASCII */
	bool body_ok;         /* bh= matched (checked even when the key is missing) */
	bool body_checked;
	long long length;     /* l=, -1 when absent */
	unsigned long long unsigned_body; /* canonical body bytes after l= */
	unsigned covers;      /* enum auth_dkim_hdr: listed in h= and present */
	unsigned duplicated;  /* enum auth_dkim_hdr: more copies than h= covers */
	unsigned flags;       /* enum auth_dkim_flag */
	int key_bits;
	long long t, x;       /* -1 when absent */
	size_t header_index;  /* which field of the message (0-based) */
};

struct auth_dkim {
	size_t n;             /* signatures checked, at most AUTH_DKIM_MAX_SIGS */
	size_t total;         /* DKIM-Signature fields on the message */
	struct auth_dkim_sig sig[AUTH_DKIM_MAX_SIGS];
};

/*
 * A verifier: the key cache (parsed keys per selector and domain, kept for
 * their TTL, so many messages from one sender need neither DNS nor key
 * parsing again) and scratch space reused between messages.  One per
 * thread: not safe to share.
 */
struct auth_dkim_ctx;
int auth_dkim_ctx_new(struct auth_dkim_ctx **out, char *err, size_t errlen);
void auth_dkim_ctx_free(struct auth_dkim_ctx **ctx);
/* Keys cached now, DNS queries made so far (for tests). */
size_t auth_dkim_ctx_keys(const struct auth_dkim_ctx *ctx);
size_t auth_dkim_ctx_queries(const struct auth_dkim_ctx *ctx);

/*
 * Verify every DKIM-Signature of the message in RAW (the bytes as stored,
 * CRLF or LF line ends) at time NOW.  WARY_OK with *out filled (out->n may
 * be 0); a WARY_E* only for a local failure.  ctx may be NULL (a
 * throwaway one).
 */
int auth_dkim_verify(struct auth_dkim_ctx *ctx, const struct auth_dns *dns, const char *raw,
                     size_t len, time_t now, struct auth_dkim *out, char *err, size_t errlen);
const char *auth_dkim_result_name(enum auth_dkim_result r);
/* "from", "subject", "content-type", ... for one bit. */
const char *auth_dkim_hdr_name(unsigned bit);
/* "weak-rsa-sha1", "body-length-limit", ... for one bit; NULL if unknown. */
const char *auth_dkim_flag_name(unsigned bit);
/* Header names in the message split the way DKIM sees them: [start,end)
 * of each field (name through its last line's line end), at most max. */
size_t auth_dkim_split_headers(const char *raw, size_t len, size_t *start, size_t *end,
                               size_t max, size_t *body);

/* ---- Authentication-Results (RFC 8601), authres.c ---- */

#define AUTH_AR_MAX_RESULTS 16
#define AUTH_AR_MAX_PROPS 6
#define AUTH_AR_VALUE 192
#define AUTH_AR_MAX_HEADERS 8

struct auth_ar_prop {
	char ptype[16];    /* smtp, header, body, policy (lower-case) */
	char property[64]; /* mailfrom, d, i, b, from ... (lower-case) */
	char value[AUTH_AR_VALUE];
};
struct auth_ar_result {
	char method[32];   /* dkim, spf, dmarc, arc, ... (lower-case) */
	int version;
	char result[32];   /* pass, fail, none, ... (lower-case) */
	char reason[AUTH_AR_VALUE];
	char comment[128]; /* the comment after the result, "(good signature)" */
	size_t nprop;
	struct auth_ar_prop prop[AUTH_AR_MAX_PROPS];
};
struct auth_ar {
	char authserv_id[256];
	int version;
	bool none;          /* "id; none" */
	bool truncated;     /* more results or properties than kept */
	size_t skipped;     /* properties not in ptype.property=value form, skipped */
	size_t n;
	struct auth_ar_result r[AUTH_AR_MAX_RESULTS];
};
/* Parse one header value (after the colon, folding kept).  WARY_EPARSE
 * (nothing believed) when the structure is malformed. */
int auth_ar_parse(const char *value, size_t len, struct auth_ar *out, char *err, size_t errlen);
/* A property's value, NULL if absent. */
const char *auth_ar_prop_get(const struct auth_ar_result *r, const char *ptype, const char *prop);

struct auth_ar_entry {
	size_t header_index;  /* field of the message */
	bool parsed;
	bool id_matches;      /* authserv-id is the trusted one */
	bool above_boundary;  /* above the boundary hop's Received: written by own servers */
	bool trusted;         /* both: believed */
	struct auth_ar ar;
};
struct auth_ar_set {
	size_t total;         /* Authentication-Results fields on the message */
	size_t n;             /* kept (at most AUTH_AR_MAX_HEADERS) */
	size_t n_trusted;
	size_t forged;        /* the trusted id below the boundary: someone wrote it for us */
	struct auth_ar_entry e[AUTH_AR_MAX_HEADERS];
};
/*
 * Every Authentication-Results of MSG, each marked believed or not: the
 * authserv-id must equal TRUSTED_ID (NULL or "": none is believed) and the
 * field must stand above the Received field of BOUNDARY_HOP (0 = the
 * topmost Received; (size_t)-1 = 0), which the user's own server wrote.
 */
int auth_ar_collect(const struct mail_msg *msg, const char *trusted_id, size_t boundary_hop,
                    struct auth_ar_set *out, char *err, size_t errlen);

/* ---- ARC (RFC 8617), arc.c ---- */

/* temperror: a key could not be looked up now (no DNS), so no cv yet */
enum auth_arc_cv { AUTH_ARC_NONE, AUTH_ARC_PASS, AUTH_ARC_FAIL, AUTH_ARC_TEMPERROR };
#define AUTH_ARC_MAX 50 /* RFC 8617 5.1.1: instances are 1..50 */

struct auth_arc {
	enum auth_arc_cv cv;  /* the chain: none (no sets), pass or fail */
	size_t n;             /* ARC sets found */
	int failed;           /* instance where it broke (0: none or structure) */
	char reason[160];     /* why fail, plain ASCII */
	char sealer[AUTH_ARC_MAX][256]; /* d= of each ARC-Seal, instance 1 first */
	enum auth_arc_cv last_cv; /* cv= the newest seal claims */
	bool ams_ok;          /* the newest ARC-Message-Signature verifies */
	char last_aar[512];   /* the newest ARC-Authentication-Results payload, raw */
};
/*
 * Validate the ARC chain of the message in RAW (RFC 8617 5.2) at NOW.
 * WARY_OK with out->cv set; ctx as for auth_dkim_verify (its key cache
 * serves ARC keys too).
 */
int auth_arc_verify(struct auth_dkim_ctx *ctx, const struct auth_dns *dns, const char *raw,
                    size_t len, time_t now, struct auth_arc *out, char *err, size_t errlen);
const char *auth_arc_cv_name(enum auth_arc_cv cv);

/* ---- the verdict (design 4.6), verdict.c ---- */

enum auth_verdict_flag {
	AUTH_V_AMBIGUOUS = 1 << 0,     /* not exactly one well-formed From */
	AUTH_V_DECEPTIVE_FROM = 1 << 1,/* address in the display name, encoded address, invisibles */
	AUTH_V_PUNYCODE = 1 << 2,      /* the From domain is an IDN */
	AUTH_V_MIXED_SCRIPT = 1 << 3,  /* ... with scripts mixed in one label */
	AUTH_V_FORGED_AR = 1 << 4,     /* the trusted authserv-id below the boundary */
	AUTH_V_DISAGREE = 1 << 5,      /* the server's and wary's results differ */
	AUTH_V_BODY_CHANGED = 1 << 6,  /* the server passed a signature whose body hash fails now */
	AUTH_V_KEY_CHANGED = 1 << 7,   /* the server passed it, the key is gone or different now */
	AUTH_V_UNSIGNED_BODY = 1 << 8, /* the aligned signature has l= with body after it */
	AUTH_V_UNSIGNED_SUBJECT = 1 << 9, /* the aligned signature does not cover the Subject */
	AUTH_V_DUPLICATED = 1 << 10,   /* From/Subject/Content-Type more often than signed */
	AUTH_V_WEAK = 1 << 11,         /* the only aligned signature is rsa-sha1 or t=y */
	AUTH_V_NO_TRUSTED_AR = 1 << 12,/* no trusted_authserv_id, or none of its headers */
	AUTH_V_OFFLINE = 1 << 13,      /* no DNS: wary's own checks are pending */
};
#define AUTH_V_COUNT 14
const char *auth_verdict_flag_name(unsigned bit);

enum auth_verdict_level {
	AUTH_LEVEL_NEUTRAL, /* nothing proven either way (unsigned mail) */
	AUTH_LEVEL_GOOD,    /* aligned_pass: the one green */
	AUTH_LEVEL_WARN,    /* flags worth reading */
	AUTH_LEVEL_BAD,     /* a failure or a trick */
};

struct auth_verdict_in {
	const struct mail_msg *msg;
	const struct auth_dns *dns;     /* NULL: no lookups now (AUTH_V_OFFLINE) */
	struct auth_dkim_ctx *dkim;     /* key cache; NULL: a throwaway one */
	const char *trusted_authserv_id;/* NULL/"": no Authentication-Results believed */
	size_t boundary_hop;            /* trace_boundary_index(); (size_t)-1 = the topmost */
	const char *spf_ip, *spf_helo;  /* the boundary hop's client; NULL: SPF not checked */
	time_t now;
};

struct auth_verdict {
	/* the From that is displayed (mail_from_get) */
	char *display, *address, *domain;
	char domain_unicode[256];       /* U-label form when the domain is an IDN */
	unsigned from_flags;            /* enum mail_from_flag */
	bool ambiguous;
	/* what wary verified now */
	struct auth_dkim dkim;
	bool spf_checked;
	struct auth_spf spf;
	char spf_mail_from[320];
	bool dmarc_checked;
	struct auth_dmarc dmarc;
	struct auth_arc arc;
	/* what the receiving server said (believed Authentication-Results) */
	struct auth_ar_set ar;
	char said_dkim[32], said_spf[32], said_dmarc[32], said_arc[32]; /* "" = not said */
	char said_dkim_domain[256], said_dmarc_from[256];
	/* the result */
	unsigned flags;                 /* enum auth_verdict_flag */
	bool aligned_pass;              /* design 4.6: the only green */
	char pass_by[24];               /* "dmarc", "dkim", "server" */
	enum auth_verdict_level level;
	char summary[256];              /* one line for the chrome, plain UTF-8 (make it safe) */
};

int auth_verdict(const struct auth_verdict_in *in, struct auth_verdict *out, char *err,
                 size_t errlen);
void auth_verdict_clear(struct auth_verdict *v);

#endif
