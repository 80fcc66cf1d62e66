#ifndef WARY_NET_H
#define WARY_NET_H
/*
 * net: verified TLS for IMAP, POP3 and SMTP, under libetpan, with OpenSSL.
 *
 * Debian's libetpan links GnuTLS and its own TLS connect never checks a
 * certificate, so the transport is ours: an OpenSSL stream driver that
 * libetpan reads and writes through.  The connect functions hand back a
 * libetpan session that is connected, TLS-protected and verified (chain
 * against the system store plus an optional extra CA file, and the host
 * name), greeting read and checked, STARTTLS done when configured and the
 * capabilities asked again after TLS.  There is no plaintext mode: a
 * caller that holds a session from here may send a password on it.
 *
 * The rules of design 4.1-4.2 live here: STARTTLS, when configured, is
 * required (not offered or refused -> WARY_ESECURITY), any byte already
 * received after the server's go-ahead aborts (response injection), every
 * pre-TLS capability is thrown away, and a PREAUTH or unparsable greeting
 * on a connection that needs TLS closes it.  Nothing in net sends a
 * password or any command beyond greeting, CAPABILITY/CAPA/EHLO and
 * STARTTLS/STLS on its own; the SMTP calls of smtp.c send the lines
 * send/ gives them, on a session that is already TLS.
 *
 * Sessions are freed with libetpan's own mailimap_free / mailpop3_free /
 * mailsmtp_free, which close the TLS connection through the driver.  A
 * session belongs to one thread at a time.
 */
#include "base/base.h"

struct mailimap;
struct mailpop3;
struct mailsmtp;

enum net_tls {
	NET_TLS_IMPLICIT,  /* TLS from the first byte (993, 995, 465) */
	NET_TLS_STARTTLS,  /* plain greeting, then STARTTLS/STLS, required */
};

/* Default ports by protocol and TLS mode (opts.port 0 picks these). */
#define NET_IMAPS_PORT 993
#define NET_IMAP_PORT 143
#define NET_POP3S_PORT 995
#define NET_POP3_PORT 110
#define NET_SMTPS_PORT 465
#define NET_SUBMISSION_PORT 587

struct net_opts {
	const char *host;           /* DNS name or IP literal (IPv6 without brackets) */
	int port;                   /* 0: the default for the protocol and tls */
	enum net_tls tls;
	const char *ca_file;        /* extra trusted CAs (PEM) besides the system store, or NULL */
	const char *trusted_sha256; /* the SHA-256 fingerprint of a certificate the user chose
	                             * to trust, hex with or without colons, or NULL */
	int timeout_s;              /* connect, handshake and every read and write; 0: 30 s */
};

/* "AB:CD:...:EF" for 32 bytes, with the NUL. */
#define NET_FPR_LEN 96

/* What the server presented; filled as far as the connection got (also on
 * failure, so a refusal can show the certificate).  Strings come from the
 * peer: pass them through safe_text() before a terminal sees them. */
struct net_cert {
	bool seen;               /* a certificate was received */
	bool verified;           /* chain and host name verified */
	bool trusted;            /* did not verify, but is exactly the trusted fingerprint */
	char sha256[NET_FPR_LEN];/* of the leaf certificate, upper-case hex with colons */
	char subject[256];       /* one line, RFC 2253 */
	char issuer[256];
	char not_after[32];      /* "2026-01-31 12:00:00 UTC" */
	char verify_error[160];  /* why it did not verify ("" when it did) */
	char tls_version[16];    /* "TLSv1.3" */
	char cipher[64];
};

/*
 * Connect and secure.  On WARY_OK *out is a session ready for login; on
 * failure *out is NULL, err says why and the status is one of
 *   WARY_ENET       no connection, timeout, dropped, TLS handshake failed
 *   WARY_ECERT      the certificate did not verify and is not the trusted
 *                   one; err names the reason (unknown CA, expired, wrong
 *                   host) and gives the SHA-256 fingerprint
 *   WARY_ESECURITY  STARTTLS/STLS not offered or refused, bytes injected
 *                   after the go-ahead, PREAUTH where TLS is needed
 *   WARY_EPARSE     a greeting that is not the protocol's
 *   WARY_ERR        bad options
 * cert may be NULL.
 *
 * IMAP: capabilities were asked over TLS, so mailimap_has_*() and
 * session->imap_connection_info->imap_capability describe the TLS session.
 * A PREAUTH greeting is refused on STARTTLS (it would skip TLS); over
 * implicit TLS it is accepted and session->imap_state is then
 * MAILIMAP_STATE_AUTHENTICATED (no login needed).
 * POP3: net reads CAPA only to find STLS and keeps nothing from before
 * TLS; call mailpop3_capa() for the TLS session's list.  After STLS the
 * APOP timestamp of the clear greeting is dropped too (pop3_timestamp is
 * NULL, so mailpop3_apop() refuses: APOP needs implicit TLS).  SMTP: EHLO was
 * sent again over TLS, so session->esmtp and session->auth describe the
 * TLS session.  EHLO names the local address as a literal ("[127.0.0.1]"),
 * never the machine's host name.
 *
 * Name resolution (getaddrinfo) is not under the timeout.  SIGPIPE is
 * blocked around every write, so a dropped peer is an error, not a signal.
 * mailstream_cancel() on the session's stream, from any thread, makes a
 * read or write blocked in it fail at once (and every later one).
 * mailstream_get_certificate_chain() gives the server's chain as DER.
 */
int net_imap_connect(const struct net_opts *opts, struct mailimap **out, struct net_cert *cert,
                     char *err, size_t errlen);
int net_pop3_connect(const struct net_opts *opts, struct mailpop3 **out, struct net_cert *cert,
                     char *err, size_t errlen);
int net_smtp_connect(const struct net_opts *opts, struct mailsmtp **out, struct net_cert *cert,
                     char *err, size_t errlen);

/*
 * SMTP commands (smtp.c), for the submission in send/: net_smtp_connect
 * left the session greeted and, over TLS, EHLOed; these speak on it.
 * Replies are kept verbatim ("535-5.7.8 ...\n535 5.7.8 ...") for the user
 * (make them safe first).  A command with CR or LF in it is refused.
 */
enum net_smtp_auth {
	NET_SMTP_AUTH_PLAIN = 1 << 0,
	NET_SMTP_AUTH_LOGIN = 1 << 1,
	NET_SMTP_AUTH_XOAUTH2 = 1 << 2,
	NET_SMTP_AUTH_OAUTHBEARER = 1 << 3,
};
struct net_smtp_caps {
	bool size, eightbitmime, smtputf8, pipelining, starttls;
	unsigned long long max_size; /* SIZE's value, 0: none given */
	unsigned auth;               /* enum net_smtp_auth */
};
/* What the session's last EHLO (the one over TLS) offered. */
void net_smtp_caps(struct mailsmtp *smtp, struct net_smtp_caps *c);
/* The same from an EHLO reply's text (lines after the first), for tests. */
void net_smtp_caps_parse(const char *reply, struct net_smtp_caps *c);
/* Send line + CRLF, read the whole reply: *code (0 when none), reply
 * text.  WARY_ENET dropped, WARY_EPARSE not an SMTP reply. */
int net_smtp_command(struct mailsmtp *smtp, const char *line, int *code, struct buf *reply,
                     char *err, size_t errlen);
int net_smtp_read_reply(struct mailsmtp *smtp, int *code, struct buf *reply, char *err,
                        size_t errlen);
/* After DATA's 354: the message, CRLF line ends and dots doubled; then
 * before_dot (may be NULL; an error stops before the final dot, so the
 * server drops the message), then "." and its reply. */
int net_smtp_data_body(struct mailsmtp *smtp, const char *msg, size_t len,
                       int (*before_dot)(void *ctx), void *ctx, int *code, struct buf *reply,
                       char *err, size_t errlen);

/*
 * IMAP IDLE in a worker: after mailimap_idle(), wait until the server
 * sends something, wake_fd (may be -1; e.g. the worker's wake-up pipe)
 * becomes readable, or timeout_ms passes (-1: no limit).  Bytes already
 * decrypted by OpenSSL or buffered by libetpan count as data, which a
 * plain poll() on mailimap_idle_get_fd() would miss.
 * Returns NET_WAIT_DATA, NET_WAIT_WAKE or NET_WAIT_TIMEOUT, or a negative
 * WARY_E* (WARY_ENET: the connection failed).  mailstream_interrupt_idle()
 * from another thread also ends the wait, as NET_WAIT_WAKE.  Use this
 * instead of libetpan's mailstream_wait_idle(), which cannot see data
 * inside OpenSSL.  libetpan's mailimap_idle() does not arm the interrupt:
 * call mailstream_setup_idle(imap->imap_stream) before it and
 * mailstream_unsetup_idle() after mailimap_idle_done(); an interrupt that
 * comes after the setup but before the wait is kept and ends it at once.
 */
enum net_wait { NET_WAIT_DATA = 1, NET_WAIT_WAKE = 2, NET_WAIT_TIMEOUT = 3 };
int net_imap_wait(struct mailimap *imap, int wake_fd, int timeout_ms, char *err, size_t errlen);

/* Fingerprints. */
/* Format a digest as upper-case hex with colons into out (NET_FPR_LEN for SHA-256). */
void net_cert_fingerprint_format(const unsigned char *md, size_t n, char *out, size_t outlen);
/* Parse a fingerprint a user typed (64 hex digits, any case, with or
 * without ':' or spaces between byte pairs) into the canonical form.
 * WARY_EPARSE when it is not a SHA-256 fingerprint. */
int net_cert_fingerprint_parse(const char *in, char out[NET_FPR_LEN], char *err, size_t errlen);
/* The SHA-256 fingerprint of the first certificate in a PEM file. */
int net_cert_file_fingerprint(const char *path, char out[NET_FPR_LEN], char *err, size_t errlen);

/*
 * DNS (dns.c), on libunbound.  Answers in text form, as the analyses read
 * them: A/AAAA as inet_ntop writes them, MX "PRIO host", PTR "host" (names
 * lower-case without the trailing dot), TXT the character-strings of one
 * record joined with nothing between (may hold NULs: see len[]).
 * Asynchronous: net_dns_submit() returns at once, the callback runs from
 * net_dns_process(), which the caller runs when net_dns_fd() is readable
 * or net_dns_next_timeout_ms() has passed.  net_dns_query() is the same,
 * blocking.  Every lookup has a deadline (opts.timeout_ms); past it the
 * answer is NET_DNS_TEMPFAIL.  Answers are cached for their TTL (failures
 * are not).  One struct net_dns belongs to one thread.
 */
enum net_dns_type { NET_DNS_A = 1, NET_DNS_PTR = 12, NET_DNS_MX = 15, NET_DNS_TXT = 16,
                    NET_DNS_AAAA = 28 };
enum net_dns_status { NET_DNS_OK = 0, NET_DNS_NXDOMAIN, NET_DNS_TEMPFAIL, NET_DNS_PERMFAIL };
struct net_dns_reply {
	enum net_dns_status status; /* OK with n == 0: the name exists, no such record */
	size_t n;
	char **rr;
	size_t *len;
	bool secure;  /* DNSSEC validated (only with a trust anchor) */
	bool bogus;   /* validation failed: status is TEMPFAIL, nothing to believe */
	unsigned ttl;
};
struct net_dns_opts {
	const char *server;            /* forwarder "IP" or "IP@PORT"; NULL: /etc/resolv.conf */
	int timeout_ms;                /* per lookup; 0: 5000 */
	const char *trust_anchor_file; /* DNSSEC root key (e.g. /usr/share/dns/root.key) or NULL */
};
struct net_dns;
int net_dns_new(const struct net_dns_opts *opts, struct net_dns **out, char *err, size_t errlen);
void net_dns_free(struct net_dns **dns);
typedef void (*net_dns_cb)(void *arg, int id, const struct net_dns_reply *r);
/* Start a lookup; *id names it for net_dns_cancel.  A cached or malformed
 * name is answered through the callback before this returns. */
int net_dns_submit(struct net_dns *dns, const char *name, int type, net_dns_cb cb, void *arg,
                   int *id);
int net_dns_fd(const struct net_dns *dns);
/* Milliseconds until the next deadline, -1 when nothing is pending. */
int net_dns_next_timeout_ms(const struct net_dns *dns);
size_t net_dns_pending(const struct net_dns *dns);
int net_dns_process(struct net_dns *dns);
void net_dns_cancel(struct net_dns *dns, int id);
/* Blocking: *out filled (free with net_dns_reply_clear); always WARY_OK. */
int net_dns_query(struct net_dns *dns, const char *name, int type, struct net_dns_reply *out);
void net_dns_reply_clear(struct net_dns_reply *r);
/* Cache hits and lookups sent, for tests and the benchmark. */
void net_dns_stats(const struct net_dns *dns, size_t *hits, size_t *misses);

#endif
