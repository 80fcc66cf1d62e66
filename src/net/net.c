/*
 * net: connect, secure and greet IMAP, POP3 and SMTP sessions for libetpan
 * over the stream driver of tls.c, keeping the TLS rules of design 4.1-4.2.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net_int.h"

#define NET_DEFAULT_TIMEOUT_S 30
#define NET_STREAM_BUFFER 65536

enum net_proto { NET_IMAP, NET_POP3, NET_SMTP };

static const char *proto_name(enum net_proto proto)
{
	return proto == NET_IMAP ? "IMAP" : proto == NET_POP3 ? "POP3" : "SMTP";
}

static int default_port(enum net_proto proto, enum net_tls tls)
{
	bool implicit = tls == NET_TLS_IMPLICIT;

	switch (proto) {
	case NET_IMAP:
		return implicit ? NET_IMAPS_PORT : NET_IMAP_PORT;
	case NET_POP3:
		return implicit ? NET_POP3S_PORT : NET_POP3_PORT;
	default:
		return implicit ? NET_SMTPS_PORT : NET_SUBMISSION_PORT;
	}
}

/* Everything a connect needs, checked once. */
struct net_target {
	const char *host;
	int port;
	enum net_tls tls;
	int timeout_ms;
	char trusted[NET_FPR_LEN];
	struct net_tls_params tls_params;
};

static int target_init(struct net_target *t, const struct net_opts *opts, enum net_proto proto,
                       char *err, size_t errlen)
{
	char perr[WARY_ERRLEN];
	int rc = WARY_OK;

	memset(t, 0, sizeof(*t));
	if (opts == NULL || opts->host == NULL || opts->host[0] == '\0') {
		rc = err_set(err, errlen, WARY_ERR, "%s: no server host", proto_name(proto));
		goto out;
	}
	if (opts->port < 0 || opts->port > 65535) {
		rc = err_set(err, errlen, WARY_ERR, "%s: bad port %d", proto_name(proto), opts->port);
		goto out;
	}
	if (opts->tls != NET_TLS_IMPLICIT && opts->tls != NET_TLS_STARTTLS) {
		rc = err_set(err, errlen, WARY_ERR, "%s: unknown TLS mode", proto_name(proto));
		goto out;
	}
	if (opts->timeout_s < 0 || opts->timeout_s > INT_MAX / 1000) {
		rc = err_set(err, errlen, WARY_ERR, "%s: bad timeout %d s", proto_name(proto),
		             opts->timeout_s);
		goto out;
	}
	if (opts->trusted_sha256 != NULL && opts->trusted_sha256[0] != '\0' &&
	    net_cert_fingerprint_parse(opts->trusted_sha256, t->trusted, perr, sizeof(perr)) != WARY_OK) {
		rc = err_set(err, errlen, WARY_ERR, "trusted certificate: %s", perr);
		goto out;
	}
	t->host = opts->host;
	t->port = opts->port ? opts->port : default_port(proto, opts->tls);
	t->tls = opts->tls;
	t->timeout_ms = (opts->timeout_s ? opts->timeout_s : NET_DEFAULT_TIMEOUT_S) * 1000;
	t->tls_params.host = t->host;
	t->tls_params.ca_file = opts->ca_file;
	t->tls_params.trusted = t->trusted[0] ? t->trusted : NULL;
	t->tls_params.timeout_ms = t->timeout_ms;
out:
	return rc;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect one address within timeout_ms; the socket stays non-blocking. */
static int tcp_try(const struct addrinfo *ai, int timeout_ms, int *out, char *why, size_t whylen)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	long long deadline = mono_ms() + timeout_ms, left;
	int fd, r, soerr = 0, rc = WARY_ENET;

	*out = -1;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		goto out;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		rc = WARY_OK;
		goto out;
	}
	if (errno != EINPROGRESS && errno != EINTR) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto out;
	}
	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0) {
			snprintf(why, whylen, "timed out after %d s", timeout_ms / 1000);
			goto out;
		}
		p.fd = fd;
		p.events = POLLOUT;
		p.revents = 0;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, whylen, "poll: %s", strerror(errno));
			goto out;
		}
		if (r > 0)
			break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr != 0) {
		snprintf(why, whylen, "%s", strerror(soerr));
		goto out;
	}
	rc = WARY_OK;
out:
	if (rc == WARY_OK) {
		*out = fd;
	} else if (fd >= 0) {
		close(fd);
	}
	return rc;
}

static int tcp_connect(const struct net_target *t, int *out, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16], why[160] = "no address";
	int gai, rc = WARY_ENET;

	*out = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", t->port);
	gai = getaddrinfo(t->host, port, &hints, &res);
	if (gai != 0) {
		rc = err_set(err, errlen, WARY_ENET, "cannot resolve %s: %s", t->host,
		             gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		goto out;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		rc = tcp_try(ai, t->timeout_ms, out, why, sizeof(why));
		if (rc == WARY_OK)
			goto out;
	}
	rc = err_set(err, errlen, WARY_ENET, "cannot connect to %s port %d: %s", t->host, t->port, why);
out:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

/* The stream a session starts on: TLS at once, or plaintext until STARTTLS. */
static int stream_open(const struct net_target *t, mailstream **out, struct net_cert *cert,
                       char *err, size_t errlen)
{
	mailstream_low *low = NULL;
	int fd = -1, rc;

	*out = NULL;
	rc = tcp_connect(t, &fd, err, errlen);
	if (rc != WARY_OK)
		goto out;
	if (t->tls == NET_TLS_IMPLICIT) {
		rc = net_low_tls_new(fd, &t->tls_params, &low, cert, err, errlen);
	} else {
		low = net_low_plain_new(fd, t->timeout_ms, err, errlen);
		rc = low ? WARY_OK : WARY_ERR;
	}
	if (rc != WARY_OK)
		goto out;
	*out = mailstream_new(low, NET_STREAM_BUFFER);
	if (*out == NULL) {
		mailstream_low_close(low);
		mailstream_low_free(low);
		rc = err_set(err, errlen, WARY_ENOMEM, "out of memory");
	}
out:
	return rc;
}

/* Why the stream failed, for an error message. */
static const char *stream_why(mailstream *s)
{
	mailstream_low *low = s ? mailstream_get_low(s) : NULL;
	const char *why = net_low_is_ours(low) ? net_low_error(low) : "";

	return why[0] ? why : "the connection failed";
}

/*
 * After the server's go-ahead for STARTTLS nothing may have arrived yet: a
 * byte already in libetpan's read buffer or waiting on the socket was sent
 * in clear before the handshake and would be read as if it came over TLS.
 */
static int starttls_check_clean(mailstream *s, const char *cmd, char *err, size_t errlen)
{
	struct pollfd p;
	char b;
	ssize_t n;

	if (s->read_buffer_len > 0)
		return err_set(err, errlen, WARY_ESECURITY,
		               "%zu bytes arrived in clear after the %s go-ahead (response injection); "
		               "connection closed", s->read_buffer_len, cmd);
	p.fd = mailstream_low_get_fd(mailstream_get_low(s));
	p.events = POLLIN;
	p.revents = 0;
	if (p.fd < 0 || poll(&p, 1, 0) < 0)
		return err_set(err, errlen, WARY_ENET, "%s: the connection failed", cmd);
	if (p.revents == 0)
		return WARY_OK;
	n = recv(p.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0)
		return err_set(err, errlen, WARY_ESECURITY,
		               "bytes arrived in clear after the %s go-ahead (response injection); "
		               "connection closed", cmd);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return WARY_OK;
	return err_set(err, errlen, WARY_ENET, "the server closed the connection after %s", cmd);
}

/* Take the socket from the plaintext stream, handshake, and swap the TLS
 * stream in.  On failure the plaintext stream stays, without a socket. */
static int starttls_upgrade(mailstream *s, const struct net_target *t, const char *cmd,
                            struct net_cert *cert, char *err, size_t errlen)
{
	mailstream_low *old = mailstream_get_low(s), *tls = NULL;
	int rc;

	rc = starttls_check_clean(s, cmd, err, errlen);
	if (rc != WARY_OK)
		goto out;
	if (!net_low_is_ours(old)) {
		rc = err_set(err, errlen, WARY_ERR, "%s: not a stream of net", cmd);
		goto out;
	}
	rc = net_low_tls_new(net_low_take_fd(old), &t->tls_params, &tls, cert, err, errlen);
	if (rc != WARY_OK)
		goto out;
	mailstream_set_low(s, tls);
	mailstream_low_free(old);
out:
	return rc;
}

/* ------------------------------------------------------------------ IMAP */

static void imap_close(struct mailimap *imap)
{
	/* Closed without LOGOUT: after a refusal nothing more is said. */
	if (imap->imap_stream != NULL) {
		mailstream_close(imap->imap_stream);
		imap->imap_stream = NULL;
	}
	mailimap_free(imap);
}

static void imap_forget_capabilities(struct mailimap *imap)
{
	if (imap->imap_connection_info != NULL &&
	    imap->imap_connection_info->imap_capability != NULL) {
		mailimap_capability_data_free(imap->imap_connection_info->imap_capability);
		imap->imap_connection_info->imap_capability = NULL;
	}
}

static bool imap_has_capabilities(struct mailimap *imap)
{
	return imap->imap_connection_info != NULL &&
	       imap->imap_connection_info->imap_capability != NULL;
}

/* CAPABILITY; the session keeps its own copy for mailimap_has_*(). */
static int imap_ask_capabilities(struct mailimap *imap, char *err, size_t errlen)
{
	struct mailimap_capability_data *caps = NULL;
	int r;

	r = mailimap_capability(imap, &caps);
	if (caps != NULL)
		mailimap_capability_data_free(caps);
	if (r == MAILIMAP_NO_ERROR && imap_has_capabilities(imap))
		return WARY_OK;
	if (r == MAILIMAP_ERROR_STREAM)
		return err_set(err, errlen, WARY_ENET, "IMAP CAPABILITY: %s",
		               stream_why(imap->imap_stream));
	return err_set(err, errlen, WARY_EPARSE, "IMAP CAPABILITY failed");
}

static int imap_greeting(struct mailimap *imap, mailstream *s, const struct net_target *t,
                         char *err, size_t errlen)
{
	int r = mailimap_connect(imap, s);

	switch (r) {
	case MAILIMAP_NO_ERROR_NON_AUTHENTICATED:
		return WARY_OK;
	case MAILIMAP_NO_ERROR_AUTHENTICATED:
		if (t->tls == NET_TLS_IMPLICIT)
			return WARY_OK;
		return err_set(err, errlen, WARY_ESECURITY,
		               "%s greeted with PREAUTH before STARTTLS (it would skip TLS); "
		               "connection closed", t->host);
	case MAILIMAP_ERROR_STREAM:
		return err_set(err, errlen, WARY_ENET, "%s: no IMAP greeting: %s", t->host,
		               stream_why(s));
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		return err_set(err, errlen, WARY_ENET, "%s refused the connection (BYE)", t->host);
	default:
		return err_set(err, errlen, WARY_EPARSE, "%s: not an IMAP greeting; connection closed",
		               t->host);
	}
}

static int imap_starttls(struct mailimap *imap, const struct net_target *t, struct net_cert *cert,
                         char *err, size_t errlen)
{
	int r, rc;

	if (!imap_has_capabilities(imap)) {
		rc = imap_ask_capabilities(imap, err, errlen);
		if (rc != WARY_OK)
			goto out;
	}
	if (!mailimap_has_extension(imap, "STARTTLS")) {
		rc = err_set(err, errlen, WARY_ESECURITY,
		             "%s does not offer STARTTLS, which this account requires; nothing was sent",
		             t->host);
		goto out;
	}
	r = mailimap_starttls(imap);
	if (r != MAILIMAP_NO_ERROR) {
		/* libetpan refuses buffered bytes itself; say which it was. */
		rc = starttls_check_clean(imap->imap_stream, "STARTTLS", err, errlen);
		if (rc == WARY_OK)
			rc = err_set(err, errlen, r == MAILIMAP_ERROR_STREAM ? WARY_ENET : WARY_ESECURITY,
			             "%s refused STARTTLS%s%s", t->host,
			             r == MAILIMAP_ERROR_STREAM ? ": " : "",
			             r == MAILIMAP_ERROR_STREAM ? stream_why(imap->imap_stream) : "");
		goto out;
	}
	rc = starttls_upgrade(imap->imap_stream, t, "STARTTLS", cert, err, errlen);
	if (rc != WARY_OK)
		goto out;
	/* What the server said in clear may have been written by anyone. */
	imap_forget_capabilities(imap);
	rc = imap_ask_capabilities(imap, err, errlen);
out:
	return rc;
}

int net_imap_connect(const struct net_opts *opts, struct mailimap **out, struct net_cert *cert,
                     char *err, size_t errlen)
{
	struct net_target t;
	struct mailimap *imap = NULL;
	mailstream *s = NULL;
	int rc;

	*out = NULL;
	if (cert != NULL)
		memset(cert, 0, sizeof(*cert));
	rc = target_init(&t, opts, NET_IMAP, err, errlen);
	if (rc != WARY_OK)
		goto out;
	rc = stream_open(&t, &s, cert, err, errlen);
	if (rc != WARY_OK)
		goto out;
	imap = mailimap_new(0, NULL);
	if (imap == NULL) {
		mailstream_close(s);
		rc = err_set(err, errlen, WARY_ENOMEM, "out of memory");
		goto out;
	}
	rc = imap_greeting(imap, s, &t, err, errlen);
	if (rc != WARY_OK)
		goto out;
	if (t.tls == NET_TLS_STARTTLS)
		rc = imap_starttls(imap, &t, cert, err, errlen);
	else if (!imap_has_capabilities(imap))
		rc = imap_ask_capabilities(imap, err, errlen);
out:
	if (rc == WARY_OK) {
		*out = imap;
	} else if (imap != NULL) {
		imap_close(imap);
	}
	return rc;
}

/* ------------------------------------------------------------------ POP3 */

static void pop3_close(struct mailpop3 *pop3)
{
	/* Only QUIT frees the APOP timestamp, and a refusal sends no QUIT. */
	free(pop3->pop3_timestamp);
	pop3->pop3_timestamp = NULL;
	if (pop3->pop3_stream != NULL) {
		mailstream_close(pop3->pop3_stream);
		pop3->pop3_stream = NULL;
	}
	mailpop3_free(pop3);
}

static bool pop3_offers_stls(struct mailpop3 *pop3)
{
	clist *caps = NULL;
	clistiter *it;
	bool found = false;

	if (mailpop3_capa(pop3, &caps) != MAILPOP3_NO_ERROR)
		goto out;
	for (it = clist_begin(caps); it != NULL; it = clist_next(it)) {
		struct mailpop3_capa *cap = clist_content(it);

		if (cap->cap_name != NULL && str_casecmp(cap->cap_name, "STLS") == 0)
			found = true;
	}
out:
	if (caps != NULL)
		mailpop3_capa_resp_free(caps);
	return found;
}

static int pop3_stls(struct mailpop3 *pop3, const struct net_target *t, struct net_cert *cert,
                     char *err, size_t errlen)
{
	int r, rc;

	if (!pop3_offers_stls(pop3)) {
		rc = err_set(err, errlen, WARY_ESECURITY,
		             "%s does not offer STLS, which this account requires; nothing was sent",
		             t->host);
		goto out;
	}
	r = mailpop3_stls(pop3);
	if (r != MAILPOP3_NO_ERROR) {
		rc = starttls_check_clean(pop3->pop3_stream, "STLS", err, errlen);
		if (rc == WARY_OK)
			rc = err_set(err, errlen, r == MAILPOP3_ERROR_STREAM ? WARY_ENET : WARY_ESECURITY,
			             "%s refused STLS%s%s", t->host,
			             r == MAILPOP3_ERROR_STREAM ? ": " : "",
			             r == MAILPOP3_ERROR_STREAM ? stream_why(pop3->pop3_stream) : "");
		goto out;
	}
	rc = starttls_upgrade(pop3->pop3_stream, t, "STLS", cert, err, errlen);
	if (rc != WARY_OK)
		goto out;
	/* The APOP timestamp came in clear: an APOP digest over it would be
	 * the attacker's choice of challenge. */
	free(pop3->pop3_timestamp);
	pop3->pop3_timestamp = NULL;
out:
	return rc;
}

int net_pop3_connect(const struct net_opts *opts, struct mailpop3 **out, struct net_cert *cert,
                     char *err, size_t errlen)
{
	struct net_target t;
	struct mailpop3 *pop3 = NULL;
	mailstream *s = NULL;
	int r, rc;

	*out = NULL;
	if (cert != NULL)
		memset(cert, 0, sizeof(*cert));
	rc = target_init(&t, opts, NET_POP3, err, errlen);
	if (rc != WARY_OK)
		goto out;
	rc = stream_open(&t, &s, cert, err, errlen);
	if (rc != WARY_OK)
		goto out;
	pop3 = mailpop3_new(0, NULL);
	if (pop3 == NULL) {
		mailstream_close(s);
		rc = err_set(err, errlen, WARY_ENOMEM, "out of memory");
		goto out;
	}
	r = mailpop3_connect(pop3, s);
	if (r == MAILPOP3_ERROR_STREAM) {
		rc = err_set(err, errlen, WARY_ENET, "%s: no POP3 greeting: %s", t.host, stream_why(s));
		goto out;
	}
	if (r != MAILPOP3_NO_ERROR) {
		rc = err_set(err, errlen, WARY_EPARSE, "%s: not a POP3 greeting; connection closed",
		             t.host);
		goto out;
	}
	if (t.tls == NET_TLS_STARTTLS)
		rc = pop3_stls(pop3, &t, cert, err, errlen);
out:
	if (rc == WARY_OK) {
		*out = pop3;
	} else if (pop3 != NULL) {
		pop3_close(pop3);
	}
	return rc;
}

/* ------------------------------------------------------------------ SMTP */

static void smtp_close(struct mailsmtp *smtp)
{
	if (smtp->stream != NULL) {
		mailstream_close(smtp->stream);
		smtp->stream = NULL;
	}
	mailsmtp_free(smtp);
}

/* EHLO naming our address as a literal: the machine's name is nobody's business. */
static int smtp_ehlo(struct mailsmtp *smtp, const struct net_target *t, char *err, size_t errlen)
{
	int r;

	smtp->esmtp = 0;
	smtp->auth = MAILSMTP_AUTH_NOT_CHECKED;
	r = mailesmtp_ehlo_with_ip(smtp, 1);
	if (r == MAILSMTP_NO_ERROR)
		return WARY_OK;
	if (r == MAILSMTP_ERROR_STREAM)
		return err_set(err, errlen, WARY_ENET, "%s: EHLO: %s", t->host, stream_why(smtp->stream));
	return err_set(err, errlen, WARY_EPARSE, "%s refused EHLO: %s", t->host, mailsmtp_strerror(r));
}

static int smtp_starttls(struct mailsmtp *smtp, const struct net_target *t, struct net_cert *cert,
                         char *err, size_t errlen)
{
	int r, rc;

	if (!(smtp->esmtp & MAILSMTP_ESMTP_STARTTLS)) {
		rc = err_set(err, errlen, WARY_ESECURITY,
		             "%s does not offer STARTTLS, which this account requires; nothing was sent",
		             t->host);
		goto out;
	}
	r = mailesmtp_starttls(smtp);
	if (r != MAILSMTP_NO_ERROR) {
		rc = starttls_check_clean(smtp->stream, "STARTTLS", err, errlen);
		if (rc == WARY_OK)
			rc = err_set(err, errlen, r == MAILSMTP_ERROR_STREAM ? WARY_ENET : WARY_ESECURITY,
			             "%s refused STARTTLS: %s", t->host,
			             r == MAILSMTP_ERROR_STREAM ? stream_why(smtp->stream) :
			                                          mailsmtp_strerror(r));
		goto out;
	}
	rc = starttls_upgrade(smtp->stream, t, "STARTTLS", cert, err, errlen);
	if (rc != WARY_OK)
		goto out;
	rc = smtp_ehlo(smtp, t, err, errlen);
out:
	return rc;
}

int net_smtp_connect(const struct net_opts *opts, struct mailsmtp **out, struct net_cert *cert,
                     char *err, size_t errlen)
{
	struct net_target t;
	struct mailsmtp *smtp = NULL;
	mailstream *s = NULL;
	int r, rc;

	*out = NULL;
	if (cert != NULL)
		memset(cert, 0, sizeof(*cert));
	rc = target_init(&t, opts, NET_SMTP, err, errlen);
	if (rc != WARY_OK)
		goto out;
	rc = stream_open(&t, &s, cert, err, errlen);
	if (rc != WARY_OK)
		goto out;
	smtp = mailsmtp_new(0, NULL);
	if (smtp == NULL) {
		mailstream_close(s);
		rc = err_set(err, errlen, WARY_ENOMEM, "out of memory");
		goto out;
	}
	/* mailsmtp_connect closes the stream itself when it fails, so the
	 * reason is asked for before. */
	r = mailsmtp_connect(smtp, s);
	if (r == MAILSMTP_ERROR_STREAM) {
		rc = err_set(err, errlen, WARY_ENET, "%s: no SMTP greeting", t.host);
		goto out;
	}
	if (r == MAILSMTP_ERROR_SERVICE_NOT_AVAILABLE) {
		rc = err_set(err, errlen, WARY_ENET, "%s refused the connection (554)", t.host);
		goto out;
	}
	if (r != MAILSMTP_NO_ERROR) {
		rc = err_set(err, errlen, WARY_EPARSE, "%s: not an SMTP greeting; connection closed",
		             t.host);
		goto out;
	}
	rc = smtp_ehlo(smtp, &t, err, errlen);
	if (rc != WARY_OK)
		goto out;
	if (t.tls == NET_TLS_STARTTLS)
		rc = smtp_starttls(smtp, &t, cert, err, errlen);
out:
	if (rc == WARY_OK) {
		*out = smtp;
	} else if (smtp != NULL) {
		smtp_close(smtp);
	}
	return rc;
}

/* ------------------------------------------------------------------ IDLE */

int net_imap_wait(struct mailimap *imap, int wake_fd, int timeout_ms, char *err, size_t errlen)
{
	mailstream *s = imap ? imap->imap_stream : NULL;
	mailstream_low *low = s ? mailstream_get_low(s) : NULL;
	struct pollfd p[3];
	long long deadline = timeout_ms >= 0 ? mono_ms() + timeout_ms : 0;
	long long left;
	int n, r;

	if (!net_low_is_ours(low) || mailstream_low_get_fd(low) < 0)
		return err_set(err, errlen, WARY_ERR, "IDLE: not a connected session of net");
	for (;;) {
		/* A cancelled session is over even if the server said more. */
		if (net_low_cancelled(low))
			return err_set(err, errlen, WARY_ENET, "IDLE: the connection was cancelled");
		/* Data libetpan or OpenSSL already hold never shows on the socket. */
		if (s->read_buffer_len > 0 || net_low_pending(low) > 0)
			return NET_WAIT_DATA;
		p[0].fd = mailstream_low_get_fd(low);
		p[0].events = POLLIN;
		p[1].fd = net_low_idle_fd(low);
		p[1].events = POLLIN;
		p[2].fd = wake_fd;
		p[2].events = POLLIN;
		p[0].revents = p[1].revents = p[2].revents = 0;
		n = wake_fd >= 0 ? 3 : 2;
		if (timeout_ms < 0) {
			r = poll(p, (nfds_t)n, -1);
		} else {
			left = deadline - mono_ms();
			if (left < 0)
				left = 0;
			r = poll(p, (nfds_t)n, left > INT_MAX ? INT_MAX : (int)left);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_set(err, errlen, WARY_ENET, "IDLE: poll: %s", strerror(errno));
		if (r == 0)
			return NET_WAIT_TIMEOUT;
		if (net_low_cancelled(low))
			return err_set(err, errlen, WARY_ENET, "IDLE: the connection was cancelled");
		if (p[0].revents & (POLLERR | POLLNVAL))
			return err_set(err, errlen, WARY_ENET, "IDLE: the connection failed");
		if (p[0].revents & (POLLIN | POLLHUP))
			return NET_WAIT_DATA;
		if (p[1].revents) {
			net_low_idle_drain(low);
			return NET_WAIT_WAKE;
		}
		if (n == 3 && p[2].revents)
			return NET_WAIT_WAKE;
	}
}
