/*
 * The libetpan stream driver: plaintext (only until STARTTLS) or OpenSSL
 * over a non-blocking socket, every wait bounded by poll(), and the
 * certificate checks libetpan's GnuTLS build does not do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/net_int.h"

/* What one read of the socket may take: many of Dovecot's records. */
#define TLS_READ_BUFFER (64 * 1024)

struct net_conn {
	int fd;
	SSL *ssl;              /* NULL while plaintext */
	int timeout_ms;
	int cancel_pipe[2];    /* written by mailstream_cancel(), from any thread */
	int idle_pipe[2];      /* written by mailstream_interrupt_idle() */
	atomic_bool cancelled;
	char error[160];
};

/* Filled by the verify callback while the handshake runs. */
struct net_verify {
	const char *trusted;
	X509 *leaf;            /* a reference of our own */
	bool trusted_match;
	int first_error;       /* X509_V_OK when the chain gave none */
	int first_depth;
};

static mailstream_low_driver net_driver;

static long long net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pipe_close(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

static void conn_free(struct net_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	pipe_close(c->cancel_pipe);
	pipe_close(c->idle_pipe);
	free(c);
}

static struct net_conn *conn_new(int fd, int timeout_ms, char *err, size_t errlen)
{
	struct net_conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->timeout_ms = timeout_ms;
	c->cancel_pipe[0] = c->cancel_pipe[1] = -1;
	c->idle_pipe[0] = c->idle_pipe[1] = -1;
	atomic_init(&c->cancelled, false);
	if (pipe2(c->cancel_pipe, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(c->idle_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		err_set(err, errlen, WARY_ERR, "pipe: %s", strerror(errno));
		conn_free(c);
		return NULL;
	}
	return c;
}

/*
 * Wait until fd is ready for events, the deadline passes or the stream is
 * cancelled.  1 ready, 0 timeout, -1 error or cancelled (c->error says).
 */
static int conn_wait(struct net_conn *c, short events, long long deadline)
{
	struct pollfd p[2];
	long long left;
	int r;

	for (;;) {
		if (atomic_load(&c->cancelled)) {
			str_copy(c->error, "cancelled", sizeof(c->error));
			return -1;
		}
		left = deadline - net_now_ms();
		if (left <= 0) {
			snprintf(c->error, sizeof(c->error), "timed out after %d s",
			         c->timeout_ms / 1000);
			return 0;
		}
		p[0].fd = c->fd;
		p[0].events = events;
		p[0].revents = 0;
		p[1].fd = c->cancel_pipe[0];
		p[1].events = POLLIN;
		p[1].revents = 0;
		r = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(c->error, sizeof(c->error), "poll: %s", strerror(errno));
			return -1;
		}
		if (p[1].revents)
			continue; /* the flag above decides */
		if (p[0].revents)
			return 1; /* errors and hang-ups show in the read or write */
	}
}

/*
 * A peer that closed its end makes a write raise SIGPIPE, which would kill
 * the whole client.  OpenSSL writes with write(2), where MSG_NOSIGNAL
 * cannot be passed, so the signal is blocked for this thread around the
 * write and a SIGPIPE it caused is taken off the pending set.
 */
struct sigpipe_guard {
	sigset_t old;
	bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void sigpipe_unblock(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (!g->was_pending) {
		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE) == 1)
			while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
				;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* One SSL_* step failed with code r: wait as OpenSSL asks, or give up. */
static int conn_ssl_retry(struct net_conn *c, int r, long long deadline, const char *what)
{
	int e = SSL_get_error(c->ssl, r);
	unsigned long q;

	if (e == SSL_ERROR_WANT_READ)
		return conn_wait(c, POLLIN, deadline) > 0 ? 1 : -1;
	if (e == SSL_ERROR_WANT_WRITE)
		return conn_wait(c, POLLOUT, deadline) > 0 ? 1 : -1;
	if (e == SSL_ERROR_ZERO_RETURN) {
		str_copy(c->error, "the server closed the TLS connection", sizeof(c->error));
		return 0;
	}
	q = ERR_peek_last_error();
	if (e == SSL_ERROR_SYSCALL && q == 0)
		snprintf(c->error, sizeof(c->error), "TLS %s: %s", what,
		         errno ? strerror(errno) : "the server closed the connection");
	else
		snprintf(c->error, sizeof(c->error), "TLS %s: %s", what,
		         q ? ERR_reason_error_string(q) : "failed");
	ERR_clear_error();
	return -1;
}

/* After one record: the records already read from the socket too (an
 * SSL_read gives one record's bytes at most), so libetpan's buffer fills
 * with a read instead of a record's couple of KB. */
static ssize_t more_records(struct net_conn *c, char *buf, int room)
{
	BIO *rb = SSL_get_rbio(c->ssl);
	ssize_t got = 0;

	while (room > 0 && (SSL_pending(c->ssl) > 0 || BIO_ctrl_pending(rb) > 0)) {
		int r;

		ERR_clear_error();
		r = SSL_read(c->ssl, buf + got, room);
		if (r <= 0) {
			/* a record not whole yet, or an alert: the next read
			 * sees it again */
			ERR_clear_error();
			break;
		}
		got += r;
		room -= r;
	}
	return got;
}

static ssize_t drv_read(mailstream_low *s, void *buf, size_t count)
{
	struct net_conn *c = s->data;
	long long deadline = net_now_ms() + c->timeout_ms;
	int n = count > INT_MAX ? INT_MAX : (int)count;
	ssize_t r;
	int w;

	if (c->fd < 0)
		return -1;
	for (;;) {
		if (atomic_load(&c->cancelled))
			return -1;
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_read(c->ssl, buf, n);
			if (r > 0)
				return r + more_records(c, (char *)buf + r, n - (int)r);
			w = conn_ssl_retry(c, (int)r, deadline, "read");
			if (w <= 0)
				return w < 0 ? -1 : 0;
			continue;
		}
		r = recv(c->fd, buf, (size_t)n, 0);
		if (r > 0)
			return r;
		if (r == 0) {
			str_copy(c->error, "the server closed the connection", sizeof(c->error));
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(c->error, sizeof(c->error), "read: %s", strerror(errno));
			return -1;
		}
		if (conn_wait(c, POLLIN, deadline) <= 0)
			return -1;
	}
}

static ssize_t drv_write(mailstream_low *s, const void *buf, size_t count)
{
	struct net_conn *c = s->data;
	long long deadline = net_now_ms() + c->timeout_ms;
	int n = count > INT_MAX ? INT_MAX : (int)count;
	struct sigpipe_guard g;
	ssize_t r = -1;
	int w;

	if (c->fd < 0)
		return -1;
	sigpipe_block(&g);
	for (;;) {
		if (atomic_load(&c->cancelled)) {
			r = -1;
			break;
		}
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_write(c->ssl, buf, n);
			if (r > 0)
				break;
			w = conn_ssl_retry(c, (int)r, deadline, "write");
			if (w <= 0) {
				r = -1;
				break;
			}
			continue;
		}
		r = send(c->fd, buf, (size_t)n, MSG_NOSIGNAL);
		if (r >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(c->error, sizeof(c->error), "write: %s", strerror(errno));
			r = -1;
			break;
		}
		if (conn_wait(c, POLLOUT, deadline) <= 0) {
			r = -1;
			break;
		}
	}
	sigpipe_unblock(&g);
	return r;
}

static int drv_close(mailstream_low *s)
{
	struct net_conn *c = s->data;
	struct sigpipe_guard g;

	if (c->ssl != NULL && c->fd >= 0) {
		/* One try at close_notify; a peer that does not read it must not
		 * hold up the close. */
		sigpipe_block(&g);
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
		sigpipe_unblock(&g);
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return 0;
}

static int drv_get_fd(mailstream_low *s)
{
	struct net_conn *c = s->data;

	return c->fd;
}

static void drv_free(mailstream_low *s)
{
	conn_free(s->data);
	free(s);
}

static void pipe_poke(int fd)
{
	char b = 1;
	ssize_t r;

	do
		r = write(fd, &b, 1);
	while (r < 0 && errno == EINTR);
	/* EAGAIN: the pipe is full, so a wake-up is already waiting. */
}

static bool pipe_drain(int fd)
{
	char b[64];
	bool any = false;
	ssize_t r;

	for (;;) {
		r = read(fd, b, sizeof(b));
		if (r > 0) {
			any = true;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		return any;
	}
}

static void drv_cancel(mailstream_low *s)
{
	struct net_conn *c = s->data;

	atomic_store(&c->cancelled, true);
	pipe_poke(c->cancel_pipe[1]);
	/* An IDLE wait polls only the idle pipe; it reads the flag. */
	pipe_poke(c->idle_pipe[1]);
}

static struct mailstream_cancel *drv_get_cancel(mailstream_low *s)
{
	/* libetpan's own wait_idle needs one; net_imap_wait replaces it. */
	return NULL;
}

static carray *drv_get_certificate_chain(mailstream_low *s)
{
	struct net_conn *c = s->data;
	STACK_OF(X509) *chain;
	carray *out = NULL;
	int i, len;

	if (c->ssl == NULL || (chain = SSL_get_peer_cert_chain(c->ssl)) == NULL)
		return NULL;
	out = carray_new(4);
	if (out == NULL)
		return NULL;
	for (i = 0; i < sk_X509_num(chain); i++) {
		unsigned char *der = NULL;
		MMAPString *str;

		len = i2d_X509(sk_X509_value(chain, i), &der);
		if (len < 0)
			continue;
		str = mmap_string_new_len((const char *)der, (size_t)len);
		OPENSSL_free(der);
		if (str != NULL && carray_add(out, str, NULL) != 0)
			mmap_string_free(str);
	}
	return out;
}

static int drv_setup_idle(mailstream_low *s)
{
	struct net_conn *c = s->data;

	/* A wake-up left from an earlier idle must not end the next one. */
	pipe_drain(c->idle_pipe[0]);
	return 0;
}

static int drv_unsetup_idle(mailstream_low *s)
{
	return 0;
}

static int drv_interrupt_idle(mailstream_low *s)
{
	struct net_conn *c = s->data;

	pipe_poke(c->idle_pipe[1]);
	return 0;
}

static mailstream_low_driver net_driver = {
	.mailstream_read = drv_read,
	.mailstream_write = drv_write,
	.mailstream_close = drv_close,
	.mailstream_get_fd = drv_get_fd,
	.mailstream_free = drv_free,
	.mailstream_cancel = drv_cancel,
	.mailstream_get_cancel = drv_get_cancel,
	.mailstream_get_certificate_chain = drv_get_certificate_chain,
	.mailstream_setup_idle = drv_setup_idle,
	.mailstream_unsetup_idle = drv_unsetup_idle,
	.mailstream_interrupt_idle = drv_interrupt_idle,
};

static mailstream_low *low_wrap(struct net_conn *c, char *err, size_t errlen)
{
	mailstream_low *low = mailstream_low_new(c, &net_driver);

	if (low == NULL) {
		err_set(err, errlen, WARY_ENOMEM, "out of memory");
		conn_free(c);
	}
	return low;
}

mailstream_low *net_low_plain_new(int fd, int timeout_ms, char *err, size_t errlen)
{
	struct net_conn *c = conn_new(fd, timeout_ms, err, errlen);

	if (c == NULL)
		return NULL;
	return low_wrap(c, err, errlen);
}

bool net_low_is_ours(mailstream_low *low)
{
	return low != NULL && low->driver == &net_driver;
}

int net_low_take_fd(mailstream_low *low)
{
	struct net_conn *c = low->data;
	int fd = c->fd;

	c->fd = -1;
	return fd;
}

size_t net_low_pending(mailstream_low *low)
{
	struct net_conn *c = low->data;
	int n;

	if (c->ssl == NULL)
		return 0;
	n = SSL_pending(c->ssl);
	if (n > 0)
		return (size_t)n;
	/* bytes of records not yet decrypted, in OpenSSL or in our buffer
	 * below it (set_bios) */
	if (SSL_has_pending(c->ssl))
		return 1;
	return BIO_ctrl_pending(SSL_get_rbio(c->ssl));
}

int net_low_idle_fd(mailstream_low *low)
{
	struct net_conn *c = low->data;

	return c->idle_pipe[0];
}

bool net_low_idle_drain(mailstream_low *low)
{
	struct net_conn *c = low->data;

	return pipe_drain(c->idle_pipe[0]);
}

bool net_low_cancelled(mailstream_low *low)
{
	struct net_conn *c = low->data;

	return atomic_load(&c->cancelled);
}

const char *net_low_error(mailstream_low *low)
{
	struct net_conn *c = low->data;

	return c->error;
}

/* ------------------------------------------------------------ certificates */

void net_cert_fingerprint_format(const unsigned char *md, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	if (outlen == 0)
		return;
	for (i = 0; i < n; i++) {
		if (o + (i ? 3 : 2) >= outlen)
			break;
		if (i)
			out[o++] = ':';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 15];
	}
	out[o] = '\0';
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int net_cert_fingerprint_parse(const char *in, char out[NET_FPR_LEN], char *err, size_t errlen)
{
	unsigned char md[32];
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t n = 0;
	int hi, lo, rc = WARY_OK;

	out[0] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p != '\0') {
		if (n > 0) {
			/* Separators only between byte pairs, never inside one. */
			while (*p == ':' || *p == ' ' || *p == '\t')
				p++;
			if (*p == '\0')
				break;
		}
		hi = hexval(p[0]);
		lo = hi < 0 ? -1 : hexval(p[1]);
		if (hi < 0 || lo < 0) {
			rc = err_set(err, errlen, WARY_EPARSE,
			             "not a SHA-256 fingerprint: unexpected character at position %zu",
			             (size_t)((const char *)p - in) + (hi < 0 ? 1 : 2));
			goto out;
		}
		if (n == sizeof(md)) {
			rc = err_set(err, errlen, WARY_EPARSE,
			             "not a SHA-256 fingerprint: more than 32 bytes");
			goto out;
		}
		md[n++] = (unsigned char)(hi << 4 | lo);
		p += 2;
	}
	if (n != sizeof(md)) {
		rc = err_set(err, errlen, WARY_EPARSE,
		             "not a SHA-256 fingerprint: %zu bytes, want 32 (64 hex digits)", n);
		goto out;
	}
	net_cert_fingerprint_format(md, n, out, NET_FPR_LEN);
out:
	return rc;
}

static int cert_fingerprint(X509 *x, char out[NET_FPR_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32)
		return WARY_ERR;
	net_cert_fingerprint_format(md, n, out, NET_FPR_LEN);
	return WARY_OK;
}

int net_cert_file_fingerprint(const char *path, char out[NET_FPR_LEN], char *err, size_t errlen)
{
	FILE *f = NULL;
	X509 *x = NULL;
	int rc = WARY_OK;

	out[0] = '\0';
	f = fopen(path, "r");
	if (f == NULL) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (x == NULL) {
		rc = err_set(err, errlen, WARY_EPARSE, "%s: no PEM certificate", path);
		goto out;
	}
	if (cert_fingerprint(x, out) != WARY_OK)
		rc = err_set(err, errlen, WARY_ERR, "%s: cannot compute the fingerprint", path);
out:
	ERR_clear_error();
	X509_free(x);
	if (f != NULL)
		fclose(f);
	return rc;
}

static void name_line(X509_NAME *name, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(b, &data);
		if (n > 0) {
			size_t len = (size_t)n < outlen - 1 ? (size_t)n : outlen - 1;
			memcpy(out, data, len);
			out[len] = '\0';
		}
	}
	BIO_free(b);
}

static void cert_fill(struct net_cert *cert, X509 *leaf, SSL *ssl)
{
	const ASN1_TIME *t;
	struct tm tm;

	if (cert == NULL)
		return;
	if (ssl != NULL) {
		str_copy(cert->tls_version, SSL_get_version(ssl), sizeof(cert->tls_version));
		if (SSL_get_current_cipher(ssl) != NULL)
			str_copy(cert->cipher, SSL_get_cipher_name(ssl), sizeof(cert->cipher));
	}
	if (leaf == NULL)
		return;
	cert->seen = true;
	cert_fingerprint(leaf, cert->sha256);
	name_line(X509_get_subject_name(leaf), cert->subject, sizeof(cert->subject));
	name_line(X509_get_issuer_name(leaf), cert->issuer, sizeof(cert->issuer));
	t = X509_get0_notAfter(leaf);
	memset(&tm, 0, sizeof(tm));
	if (t != NULL && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(cert->not_after, sizeof(cert->not_after), "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct net_verify *v = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	char fpr[NET_FPR_LEN];

	if (v == NULL)
		return ok;
	if (v->leaf == NULL && leaf != NULL && X509_up_ref(leaf) == 1) {
		v->leaf = leaf;
		v->trusted_match = v->trusted != NULL && cert_fingerprint(leaf, fpr) == WARY_OK &&
		                   strcmp(fpr, v->trusted) == 0;
	}
	if (ok)
		return 1;
	if (v->first_error == X509_V_OK) {
		v->first_error = X509_STORE_CTX_get_error(xs);
		v->first_depth = X509_STORE_CTX_get_error_depth(xs);
	}
	/* The user's recorded choice overrides the chain and the name, for
	 * exactly this certificate and no other. */
	return v->trusted_match ? 1 : 0;
}

static const char *verify_reason(int e)
{
	switch (e) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return "wrong host";
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return "expired certificate";
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return "certificate not valid yet";
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return "unknown CA";
	default:
		return NULL;
	}
}

static bool host_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* Whether one directory of a list (':'-separated, as SSL_CERT_DIR) holds
 * certificates under OpenSSL's subject-hash names (c_rehash, openssl
 * rehash, update-ca-certificates). */
static bool hashed_dir(const char *list)
{
	char path[PATH_MAX];

	for (const char *p = list; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		DIR *d;

		if (n > 0 && n < sizeof(path)) {
			memcpy(path, p, n);
			path[n] = '\0';
			d = opendir(path);
			if (d != NULL) {
				struct dirent *e;
				bool found = false;

				while (!found && (e = readdir(d)) != NULL) {
					const char *s = e->d_name;
					size_t h = strspn(s, "0123456789abcdef");

					found = h == 8 && s[8] == '.' && s[9] >= '0' && s[9] <= '9' &&
					        strspn(s + 9, "0123456789") == strlen(s + 9);
				}
				closedir(d);
				if (found)
					return true;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* The system's trusted CAs, as SSL_CTX_set_default_verify_paths finds
 * them (SSL_CERT_FILE, SSL_CERT_DIR, else OpenSSL's defaults), but the
 * directory is searched by subject hash only when a chain needs an
 * issuer: reading the whole bundle file parses every CA (30-40 ms)
 * before each handshake.  The bundle is read only when SSL_CERT_FILE
 * names one or no directory has hashed names; either way a chain must
 * end at one of the system's CAs, so nothing is trusted that was not. */
static int load_system_cas(SSL_CTX *ctx)
{
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dir = getenv(X509_get_default_cert_dir_env());
	bool have_dir;

	if (dir == NULL || *dir == '\0')
		dir = X509_get_default_cert_dir();
	have_dir = hashed_dir(dir);
	/* Like the default paths, a file or directory that cannot be read
	 * adds nothing rather than failing: its CAs are simply not trusted. */
	if (file != NULL && *file != '\0')
		SSL_CTX_load_verify_locations(ctx, file, NULL);
	else if (!have_dir)
		SSL_CTX_load_verify_locations(ctx, X509_get_default_cert_file(), NULL);
	if (have_dir && SSL_CTX_load_verify_locations(ctx, NULL, dir) != 1)
		return -1;
	ERR_clear_error();
	return 0;
}

static SSL_CTX *ctx_new(const struct net_tls_params *p, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		err_set(err, errlen, WARY_ERR, "TLS: cannot create a context");
		goto out;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	if (load_system_cas(ctx) != 0) {
		err_set(err, errlen, WARY_ERR, "TLS: cannot load the system's trusted CAs");
		goto fail;
	}
	if (p->ca_file != NULL && p->ca_file[0] != '\0' &&
	    SSL_CTX_load_verify_locations(ctx, p->ca_file, NULL) != 1) {
		err_set(err, errlen, WARY_ERR, "TLS: cannot read the CA file %s", p->ca_file);
		goto fail;
	}
	goto out;
fail:
	SSL_CTX_free(ctx);
	ctx = NULL;
out:
	ERR_clear_error();
	return ctx;
}

/*
 * OpenSSL reads a record's 5-byte header and then its body, two system
 * calls per record: a 100k-message FETCH from Dovecot (records of about
 * 2 KB) took 48,000 reads.  Its read-ahead takes what the socket holds in
 * one read but moves what is left of its buffer to the front before each
 * record, so a 64 KB buffer copied 14 times what arrived.  A buffering
 * BIO below the TLS layer reads up to 64 KB at once and hands out records
 * without moving anything; writes go straight to the socket, since a
 * write buffer would hold a command until flushed.  What it holds is
 * pending data (net_low_pending), which poll() would never see again.
 */
static int set_bios(SSL *ssl, int fd)
{
	BIO *sock = BIO_new_socket(fd, BIO_NOCLOSE), *buffer = BIO_new(BIO_f_buffer());

	if (sock == NULL || buffer == NULL || BIO_set_read_buffer_size(buffer, TLS_READ_BUFFER) != 1 ||
	    BIO_up_ref(sock) != 1) {
		BIO_free(sock);
		BIO_free(buffer);
		return 0;
	}
	/* ssl owns both chains now: the buffer and one reference to sock
	 * for reading, the other reference for writing */
	SSL_set_bio(ssl, BIO_push(buffer, sock), sock);
	return 1;
}

int net_low_tls_new(int fd, const struct net_tls_params *p, mailstream_low **out,
                    struct net_cert *cert, char *err, size_t errlen)
{
	struct net_verify v = { .trusted = p->trusted, .first_error = X509_V_OK };
	struct net_conn *c = NULL;
	SSL_CTX *ctx = NULL;
	long long deadline;
	long vr;
	int rc = WARY_OK, r, w;

	*out = NULL;
	c = conn_new(fd, p->timeout_ms, err, errlen);
	if (c == NULL) {
		rc = WARY_ERR;
		goto out;
	}
	ctx = ctx_new(p, err, errlen);
	if (ctx == NULL) {
		rc = WARY_ERR;
		goto out;
	}
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL || set_bios(c->ssl, fd) != 1) {
		rc = err_set(err, errlen, WARY_ERR, "TLS: cannot set up the connection");
		goto out;
	}
	SSL_set_app_data(c->ssl, &v);
	if (host_is_ip(p->host)) {
		/* No SNI for an address (RFC 6066); verify the address itself. */
		r = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), p->host);
	} else {
		r = SSL_set_tlsext_host_name(c->ssl, p->host) == 1 &&
		    SSL_set1_host(c->ssl, p->host) == 1;
	}
	if (r != 1) {
		rc = err_set(err, errlen, WARY_ERR, "TLS: cannot set the host to verify (%s)", p->host);
		goto out;
	}
	deadline = net_now_ms() + p->timeout_ms;
	for (;;) {
		ERR_clear_error();
		r = SSL_connect(c->ssl);
		if (r == 1)
			break;
		w = conn_ssl_retry(c, r, deadline, "handshake");
		if (w > 0)
			continue;
		cert_fill(cert, v.leaf, c->ssl);
		if (v.first_error != X509_V_OK && !v.trusted_match) {
			const char *why = verify_reason(v.first_error);
			char fpr[NET_FPR_LEN] = "";

			if (v.leaf != NULL)
				cert_fingerprint(v.leaf, fpr);
			if (cert != NULL)
				snprintf(cert->verify_error, sizeof(cert->verify_error), "%s%s%s (depth %d)",
				         why ? why : "", why ? ": " : "",
				         X509_verify_cert_error_string(v.first_error), v.first_depth);
			rc = err_set(err, errlen, WARY_ECERT,
			             "certificate of %s refused: %s%s%s%s; SHA-256 fingerprint %s",
			             p->host, why ? why : "", why ? " (" : "",
			             X509_verify_cert_error_string(v.first_error), why ? ")" : "",
			             fpr[0] ? fpr : "(none)");
		} else {
			rc = err_set(err, errlen, WARY_ENET, "%s: %s", p->host,
			             c->error[0] ? c->error : "TLS handshake failed");
		}
		goto out;
	}
	SSL_set_app_data(c->ssl, NULL);
	if (v.leaf == NULL) {
		X509 *peer = SSL_get1_peer_certificate(c->ssl);

		v.leaf = peer;
	}
	cert_fill(cert, v.leaf, c->ssl);
	vr = SSL_get_verify_result(c->ssl);
	if (v.leaf == NULL) {
		rc = err_set(err, errlen, WARY_ECERT, "%s sent no certificate", p->host);
		goto out;
	}
	if (vr == X509_V_OK && v.first_error == X509_V_OK) {
		if (cert != NULL)
			cert->verified = true;
	} else if (v.trusted_match) {
		if (cert != NULL) {
			cert->trusted = true;
			snprintf(cert->verify_error, sizeof(cert->verify_error), "%s",
			         X509_verify_cert_error_string(v.first_error != X509_V_OK ?
			                                       v.first_error : vr));
		}
	} else {
		/* The callback refuses every error, so this is only reached if
		 * OpenSSL changed its mind; refuse all the same. */
		rc = err_set(err, errlen, WARY_ECERT, "certificate of %s refused: %s", p->host,
		             X509_verify_cert_error_string(vr));
		goto out;
	}
	*out = low_wrap(c, err, errlen);
	c = NULL;
	if (*out == NULL)
		rc = WARY_ENOMEM;
out:
	ERR_clear_error();
	X509_free(v.leaf);
	SSL_CTX_free(ctx);
	if (c != NULL && c->ssl != NULL)
		SSL_set_app_data(c->ssl, NULL);
	conn_free(c);
	return rc;
}
