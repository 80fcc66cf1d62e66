#ifndef WARY_TRACE_H
#define WARY_TRACE_H
/*
 * trace: where a message really came from.  Every Received header parsed
 * (from HELO, reverse name and IP, by, with, id, for, date), the trust
 * boundary (the hop where the account's own servers took the message from
 * the outside: below it every header was written by strangers and may be
 * invented), the hop table with delays, anomalies, the originating IP and
 * optional DNSBL lookups.
 *
 * Hops are numbered as they stand in the header: 0 is the topmost, the
 * newest, added last.  Every string is as the message had it, unfolded and
 * with controls replaced; make it safe (safe_text) before a terminal.
 *
 * DNS, when wanted, comes through struct trace_dns (auth fills one from
 * its struct auth_dns: auth_trace_dns()), so tests answer from memory.
 */
#include "base/base.h"
#include "mail/mail.h"

#include <time.h>

/* Per-hop flags. */
enum {
	TRACE_F_UNPARSED       = 1u << 0,  /* no from/by clause could be read */
	TRACE_F_HELO_MISMATCH  = 1u << 1,  /* HELO names a host the IP does not belong to */
	TRACE_F_DATE_BACKWARDS = 1u << 2,  /* earlier than the hop below it */
	TRACE_F_DATE_FUTURE    = 1u << 3,  /* later than now (or than the hop above) */
	TRACE_F_PRIVATE_IP     = 1u << 4,  /* private, loopback or reserved address in a public hop */
	TRACE_F_MAY_BE_FORGED  = 1u << 5,  /* the MTA's own "may be forged" marker */
	TRACE_F_GREYLIST       = 1u << 6,  /* a greylisting-sized delay (5 min .. 2 h) */
	TRACE_F_NO_DATE        = 1u << 7,  /* no readable date */
	TRACE_F_BOUNDARY       = 1u << 8,  /* this is the trust-boundary hop */
	TRACE_F_INTERNAL       = 1u << 9,  /* above the boundary: between the account's own servers */
	TRACE_F_DNSBL          = 1u << 10, /* the hop's IP is listed (origin only) */
	TRACE_F_LONG_DELAY     = 1u << 11, /* over 2 h in transit at this hop */
	TRACE_F_HELO_IP_LIT    = 1u << 12, /* HELO is an IP literal other than the IP */
	TRACE_F_NO_IP          = 1u << 13, /* a relay hop (has from) without a connecting IP */
};
#define TRACE_F_COUNT 14
/* "helo-mismatch", "date-backwards", ... for JSON and the UI. */
const char *trace_flag_name(unsigned flag);

struct trace_hop {
	char from[256];    /* the from clause as written, "google.com (host [1.2.3.4])" */
	char helo[256];    /* the name the client gave in HELO/EHLO */
	char rdns[256];    /* the reverse name the receiving server found ("" unknown) */
	char ip[64];       /* the connecting IP ("" unknown) */
	char by[256];
	char with[64];
	char id[128];
	char for_[320];
	char date[64];     /* as written */
	time_t when;       /* 0: no date */
	int tz_minutes;
	long delay_s;      /* when minus the hop below's (negative: backwards) */
	bool has_delay;    /* both dates known */
	unsigned flags;
	char dnsbl[128];   /* zones that list ip, comma-separated */
};

/* Chain flags (trace_flags). */
enum {
	TRACE_C_NONE_RECEIVED = 1u << 0, /* no Received header at all */
	TRACE_C_TRUNCATED     = 1u << 1, /* more hops than the limit: the rest ignored */
	TRACE_C_NO_BOUNDARY   = 1u << 2, /* trusted_hosts set but none of them found */
	TRACE_C_FORGED_HOPS   = 1u << 3, /* a flagged hop below the boundary */
};
const char *trace_chain_flag_name(unsigned flag);

#define TRACE_MAX_HOPS 100
#define TRACE_MAX_HEADER 8192   /* longer Received values are cut there */

struct trace_opts {
	const char *const *trusted_hosts; /* names or IPs of the account's own servers */
	size_t n_trusted;
	time_t now;                       /* 0: time(NULL) */
	const char *const *dnsbl_zones;   /* NULL: no DNSBL lookups */
	size_t n_dnsbl;
};

/*
 * A resolver for the checks that need DNS.  Answer RRTYPE (1 A, 28 AAAA,
 * 12 PTR, 16 TXT) for NAME: up to MAX records in text form (A/AAAA as
 * inet_ntop writes them, names lower-case without the dot) into OUT, their
 * number in *n.  Return 0 for an answer (n may be 0), 1 for NXDOMAIN,
 * negative when no answer could be had (timeout).
 */
typedef int (*trace_lookup_fn)(void *ctx, const char *name, int rrtype,
                               char (*out)[256], size_t max, size_t *n);
struct trace_dns {
	trace_lookup_fn lookup;
	void *ctx;
};

struct trace;

/* Read the Received chain of MSG.  WARY_OK also for a message without one. */
int trace_build(const struct mail_msg *msg, const struct trace_opts *opts,
                struct trace **out, char *err, size_t errlen);
/* The same from the header values, topmost first (tests, fuzzing). */
int trace_build_values(const char *const *values, size_t n, const struct trace_opts *opts,
                       struct trace **out, char *err, size_t errlen);
void trace_free(struct trace **t);

/* Parse one Received value into *hop (zeroed first).  WARY_OK, or
 * WARY_EPARSE when nothing could be read (hop->flags has TRACE_F_UNPARSED). */
int trace_parse_received(const char *value, size_t len, struct trace_hop *hop);

/* Forward-confirm HELOs and reverse names, and look the origin up in the
 * DNSBL zones of opts.  Flags only get more precise; no DNS = no change. */
int trace_check_dns(struct trace *t, const struct trace_dns *dns, char *err, size_t errlen);

size_t trace_hop_count(const struct trace *t);
const struct trace_hop *trace_hop(const struct trace *t, size_t i);
unsigned trace_flags(const struct trace *t);
/* Index of the trust-boundary hop, or (size_t)-1 when there are no hops. */
size_t trace_boundary_index(const struct trace *t);
/* The client IP and HELO the boundary hop recorded (the inputs of SPF);
 * false when there is no boundary or it has no IP.  Pointers live as long as T. */
bool trace_boundary(const struct trace *t, const char **ip, const char **helo);
/* The IP the message came from: the lowest hop's public address ("" unknown). */
const char *trace_origin_ip(const struct trace *t);

/* The chain as `wary inspect --json` gives it (design section 7) and as
 * the hop table of the raw-headers view; strings made safe (report.c). */
void trace_json(const struct trace *t, struct buf *out);
void trace_text(const struct trace *t, struct buf *out);

/* Classify an address: true for private, loopback, link-local, CGNAT,
 * multicast, reserved or documentation ranges (IPv4 and IPv6). */
bool trace_ip_is_private(const char *ip);

#endif
