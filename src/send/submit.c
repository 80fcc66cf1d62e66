/*
 * send/submit: SMTP submission on net's verified session, or a
 * sendmail_command.  net refuses anything that is not TLS, so the AUTH
 * here can never go out in clear; a server that offers no mechanism we
 * speak gets no password at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <libetpan/libetpan.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net.h"
#include "send/send_int.h"

#define SECRET_MAX 4096

static void progress(const struct send_account *a, const char *what)
{
	if (a->progress)
		a->progress(a->progress_ctx, what);
}

static int refused(struct send_result *res, const char *step, int code, const struct buf *reply,
                   int status, char *err, size_t errlen)
{
	res->smtp_code = code;
	str_copy(res->step, step, sizeof(res->step));
	str_copy(res->reply, reply->data, sizeof(res->reply));
	return err_set(err, errlen, status, "the SMTP server refused %s: %s", step, reply->data);
}

static void b64(struct buf *out, const char *s, size_t n)
{
	struct buf t = BUF_INIT;

	buf_init(&t);
	send_base64(&t, s, n);
	/* one line: drop the CRLFs the MIME encoder puts every 76 columns */
	for (size_t i = 0; i < t.len; i++)
		if (t.data[i] != '\r' && t.data[i] != '\n')
			buf_addch(out, t.data[i]);
	OPENSSL_cleanse(t.data, t.len);
	buf_release(&t);
}

static void wipe(struct buf *b)
{
	OPENSSL_cleanse(b->data, b->cap ? b->cap : b->len);
	buf_release(b);
}

static int auth(struct mailsmtp *smtp, const struct send_account *a,
                const struct net_smtp_caps *caps, struct send_result *res, char *err,
                size_t errlen)
{
	const char *mech = a->auth ? a->auth : "auto";
	char secret[SECRET_MAX];
	struct buf cmd = BUF_INIT, raw = BUF_INIT, reply = BUF_INIT;
	bool oauth = strcmp(mech, "xoauth2") == 0 || strcmp(mech, "oauthbearer") == 0;
	unsigned want;
	int code = 0, rc;

	buf_init(&cmd);
	buf_init(&raw);
	buf_init(&reply);
	secret[0] = '\0';
	if (strcmp(mech, "auto") == 0)
		want = caps->auth & NET_SMTP_AUTH_PLAIN ? NET_SMTP_AUTH_PLAIN :
		       caps->auth & NET_SMTP_AUTH_LOGIN ? NET_SMTP_AUTH_LOGIN : 0;
	else if (strcmp(mech, "plain") == 0)
		want = NET_SMTP_AUTH_PLAIN;
	else if (strcmp(mech, "login") == 0)
		want = NET_SMTP_AUTH_LOGIN;
	else if (strcmp(mech, "xoauth2") == 0)
		want = NET_SMTP_AUTH_XOAUTH2;
	else
		want = NET_SMTP_AUTH_OAUTHBEARER;
	if (want == 0 || !(caps->auth & want)) {
		rc = err_set(err, errlen, WARY_EAUTH,
		             "%s: the server offers no login mechanism wary may use (%s); no password "
		             "was sent", a->smtp_host, mech);
		goto out;
	}
	if (a->secret == NULL ||
	    a->secret(a->secret_ctx, oauth ? "token" : "password", secret, sizeof(secret)) != WARY_OK) {
		rc = err_set(err, errlen, WARY_EAUTH, "no %s for %s", oauth ? "token" : "password",
		             a->smtp_user);
		goto out;
	}
	progress(a, "logging in");
	if (want == NET_SMTP_AUTH_PLAIN) {
		buf_addch(&raw, '\0');
		buf_adds(&raw, a->smtp_user);
		buf_addch(&raw, '\0');
		buf_adds(&raw, secret);
		buf_adds(&cmd, "AUTH PLAIN ");
		b64(&cmd, raw.data, raw.len);
		rc = net_smtp_command(smtp, cmd.data, &code, &reply, err, errlen);
	} else if (want == NET_SMTP_AUTH_LOGIN) {
		rc = net_smtp_command(smtp, "AUTH LOGIN", &code, &reply, err, errlen);
		if (rc == WARY_OK && code == 334) {
			b64(&cmd, a->smtp_user, strlen(a->smtp_user));
			rc = net_smtp_command(smtp, cmd.data, &code, &reply, err, errlen);
		}
		if (rc == WARY_OK && code == 334) {
			wipe(&cmd);
			buf_init(&cmd);
			b64(&cmd, secret, strlen(secret));
			rc = net_smtp_command(smtp, cmd.data, &code, &reply, err, errlen);
		}
	} else {
		if (want == NET_SMTP_AUTH_XOAUTH2) {
			buf_addf(&raw, "user=%s\001auth=Bearer %s\001\001", a->smtp_user, secret);
			buf_adds(&cmd, "AUTH XOAUTH2 ");
		} else {
			buf_addf(&raw, "n,a=%s,\001host=%s\001port=%d\001auth=Bearer %s\001\001",
			         a->smtp_user, a->smtp_host, a->smtp_port, secret);
			buf_adds(&cmd, "AUTH OAUTHBEARER ");
		}
		b64(&cmd, raw.data, raw.len);
		rc = net_smtp_command(smtp, cmd.data, &code, &reply, err, errlen);
		/* a 334 carries the error as JSON; an empty line ends the exchange */
		if (rc == WARY_OK && code == 334)
			rc = net_smtp_command(smtp, "", &code, &reply, err, errlen);
	}
	if (rc == WARY_OK && code != 235)
		rc = refused(res, "AUTH", code, &reply, WARY_EAUTH, err, errlen);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	wipe(&cmd);
	wipe(&raw);
	buf_release(&reply);
	return rc;
}

static bool has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Non-ASCII in the header block or an address: the message needs SMTPUTF8. */
static bool needs_utf8(const char *from, char *const *rcpts, size_t n, const char *msg,
                       size_t len)
{
	const char *end = memmem(msg, len, "\r\n\r\n", 4);
	size_t i;

	if (end == NULL)
		end = memmem(msg, len, "\n\n", 2);
	if (has_8bit(from, strlen(from)) || has_8bit(msg, end ? (size_t)(end - msg) : len))
		return true;
	for (i = 0; i < n; i++)
		if (has_8bit(rcpts[i], strlen(rcpts[i])))
			return true;
	return false;
}

static bool addr_ok(const char *a)
{
	for (; *a; a++)
		if ((unsigned char)*a <= 0x20 || *a == '<' || *a == '>' || *a == 0x7f)
			return false;
	return true;
}

static int run_sendmail(const struct send_account *a, char *const *rcpts, size_t n,
                        const char *msg, size_t len, struct send_result *res, char *err,
                        size_t errlen)
{
	int in[2] = { -1, -1 }, errp[2] = { -1, -1 }, status = 0, rc = WARY_OK;
	char **argv = xcalloc(n + 5, sizeof(*argv));
	char *script = xasprintf("%s \"$@\"", a->sendmail_command);
	struct buf eout = BUF_INIT, body = BUF_INIT;
	pid_t pid = -1;
	size_t i, off = 0;

	buf_init(&eout);
	buf_init(&body);
	/* the MTA reads local line ends */
	for (i = 0; i < len; i++)
		if (!(msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n'))
			buf_addch(&body, msg[i]);
	for (i = 0; i < n; i++)
		if (rcpts[i][0] == '-' || !addr_ok(rcpts[i])) {
			rc = err_set(err, errlen, WARY_ERR, "recipient \"%s\" cannot go to a command",
			             rcpts[i]);
			goto out;
		}
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = "sendmail";
	for (i = 0; i < n; i++)
		argv[4 + i] = rcpts[i];
	if (pipe(in) != 0 || pipe(errp) != 0) {
		rc = err_set(err, errlen, WARY_EIO, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = err_set(err, errlen, WARY_EIO, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(errp[1], 2);
		dup2(errp[1], 1);
		close(in[0]);
		close(in[1]);
		close(errp[0]);
		close(errp[1]);
		execv("/bin/sh", argv);
		_exit(127);
	}
	close(in[0]);
	in[0] = -1;
	close(errp[1]);
	errp[1] = -1;
	{
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);
		struct pollfd pf[2];

		fcntl(in[1], F_SETFL, O_NONBLOCK);
		while (in[1] >= 0 || errp[0] >= 0) {
			int np = 0;

			if (in[1] >= 0)
				pf[np++] = (struct pollfd){ in[1], POLLOUT, 0 };
			if (errp[0] >= 0)
				pf[np++] = (struct pollfd){ errp[0], POLLIN, 0 };
			if (poll(pf, (nfds_t)np, 60000) <= 0)
				break;
			for (int k = 0; k < np; k++) {
				if (pf[k].fd == in[1] && pf[k].revents) {
					ssize_t w = off < body.len ? write(in[1], body.data + off, body.len - off) : 0;

					if (w > 0)
						off += (size_t)w;
					if (w < 0 && errno == EAGAIN)
						continue;
					if (off >= body.len || w < 0) {
						close(in[1]);
						in[1] = -1;
					}
				} else if (pf[k].fd == errp[0] && pf[k].revents) {
					char b[512];
					ssize_t r = read(errp[0], b, sizeof(b));

					if (r <= 0) {
						close(errp[0]);
						errp[0] = -1;
					} else if (eout.len < 2048) {
						buf_add(&eout, b, (size_t)r);
					}
				}
			}
		}
		signal(SIGPIPE, old);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || off < body.len) {
		str_copy(res->step, "sendmail", sizeof(res->step));
		str_copy(res->reply, eout.data, sizeof(res->reply));
		rc = err_set(err, errlen, WARY_ERR, "sendmail_command failed (%s %d): %s",
		             WIFEXITED(status) ? "exit" : "signal",
		             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), eout.data);
	}
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	free(argv);
	free(script);
	buf_release(&eout);
	buf_release(&body);
	return rc;
}

int send_submit(const struct send_account *a, const char *from, char *const *rcpts, size_t nrcpt,
                const char *msg, size_t len, struct send_result *res,
                int (*before_dot)(void *ctx), void *ctx, send_step_hook hook, char *err,
                size_t errlen)
{
	struct net_opts o;
	struct net_cert cert;
	struct net_smtp_caps caps;
	struct mailsmtp *smtp = NULL;
	struct buf cmd = BUF_INIT, reply = BUF_INIT;
	bool eight = has_8bit(msg, len), utf8 = needs_utf8(from, rcpts, nrcpt, msg, len);
	int code = 0, rc;
	size_t i;
	bool in_data = false;

	memset(res, 0, sizeof(*res));
	buf_init(&cmd);
	buf_init(&reply);
	if (nrcpt == 0)
		return err_set(err, errlen, WARY_ERR, "no recipients");
	if (!addr_ok(from))
		return err_set(err, errlen, WARY_ERR, "bad sender address \"%s\"", from);
	for (i = 0; i < nrcpt; i++)
		if (!addr_ok(rcpts[i]))
			return err_set(err, errlen, WARY_ERR, "bad recipient \"%s\"", rcpts[i]);
	if (a->sendmail_command && a->sendmail_command[0]) {
		progress(a, "handing the message to sendmail_command");
		rc = run_sendmail(a, rcpts, nrcpt, msg, len, res, err, errlen);
		if (rc == WARY_OK && before_dot)
			before_dot(ctx);
		return rc;
	}
	if (a->smtp_host == NULL || a->smtp_host[0] == '\0')
		return err_set(err, errlen, WARY_ERR, "no smtp_host (nor sendmail_command) for account %s",
		               a->name ? a->name : "");
	memset(&o, 0, sizeof(o));
	o.host = a->smtp_host;
	o.port = a->smtp_port;
	o.tls = a->smtp_starttls ? NET_TLS_STARTTLS : NET_TLS_IMPLICIT;
	o.ca_file = a->ca_file;
	o.trusted_sha256 = a->trusted_sha256;
	o.timeout_s = a->timeout_s;
	progress(a, "connecting");
	str_copy(res->step, "connect", sizeof(res->step));
	rc = net_smtp_connect(&o, &smtp, &cert, err, errlen);
	if (rc != WARY_OK)
		goto out;
	if (hook)
		hook("connected");
	net_smtp_caps(smtp, &caps);
	if (a->smtp_user && a->smtp_user[0]) {
		rc = auth(smtp, a, &caps, res, err, errlen);
		if (rc != WARY_OK)
			goto out;
	}
	if (hook)
		hook("authenticated");
	if (utf8 && !caps.smtputf8) {
		rc = err_set(err, errlen, WARY_ERR,
		             "the message needs SMTPUTF8 (non-ASCII addresses), which %s does not offer",
		             a->smtp_host);
		goto out;
	}
	if (eight && !caps.eightbitmime) {
		rc = err_set(err, errlen, WARY_ERR,
		             "the message holds 8-bit data and %s does not offer 8BITMIME", a->smtp_host);
		goto out;
	}
	if (caps.size && caps.max_size && len > caps.max_size) {
		rc = err_set(err, errlen, WARY_ELIMIT, "the message (%zu bytes) is over %s's limit (%llu)",
		             len, a->smtp_host, caps.max_size);
		goto out;
	}
	progress(a, "sending");
	buf_addf(&cmd, "MAIL FROM:<%s>", from);
	if (caps.size)
		buf_addf(&cmd, " SIZE=%zu", len);
	if (eight && caps.eightbitmime)
		buf_adds(&cmd, " BODY=8BITMIME");
	if (utf8)
		buf_adds(&cmd, " SMTPUTF8");
	rc = net_smtp_command(smtp, cmd.data, &code, &reply, err, errlen);
	if (rc == WARY_OK && code != 250)
		rc = refused(res, "MAIL FROM", code, &reply, WARY_ERR, err, errlen);
	for (i = 0; rc == WARY_OK && i < nrcpt; i++) {
		buf_reset(&cmd);
		buf_addf(&cmd, "RCPT TO:<%s>", rcpts[i]);
		rc = net_smtp_command(smtp, cmd.data, &code, &reply, err, errlen);
		if (rc == WARY_OK && code != 250 && code != 251) {
			rc = refused(res, "RCPT TO", code, &reply, WARY_ERR, err, errlen);
			/* the user sees which address: err gets it */
			err_set(err, errlen, WARY_ERR, "the SMTP server refused RCPT TO:<%s>: %s", rcpts[i],
			        reply.data);
		}
	}
	if (rc == WARY_OK) {
		rc = net_smtp_command(smtp, "DATA", &code, &reply, err, errlen);
		if (rc == WARY_OK && code != 354)
			rc = refused(res, "DATA", code, &reply, WARY_ERR, err, errlen);
	}
	if (rc == WARY_OK) {
		in_data = true;
		rc = net_smtp_data_body(smtp, msg, len, before_dot, ctx, &code, &reply, err, errlen);
		if (rc == WARY_OK && code != 250)
			rc = refused(res, "end of DATA", code, &reply, WARY_ERR, err, errlen);
	}
	if (rc == WARY_OK) {
		res->smtp_code = code;
		str_copy(res->reply, reply.data, sizeof(res->reply));
		str_copy(res->step, "done", sizeof(res->step));
		if (hook)
			hook("accepted");
	}
	if (smtp != NULL && !(in_data && rc != WARY_OK)) {
		/* after a failure inside DATA the server would read these as
		 * text: closing the connection is what drops the message */
		char e2[WARY_ERRLEN];
		int c2;

		if (rc != WARY_OK && rc != WARY_ENET)
			net_smtp_command(smtp, "RSET", &c2, &reply, e2, sizeof(e2));
		if (rc != WARY_ENET)
			net_smtp_command(smtp, "QUIT", &c2, &reply, e2, sizeof(e2));
	}
out:
	if (smtp != NULL)
		mailsmtp_free(smtp);
	buf_release(&cmd);
	buf_release(&reply);
	return rc;
}
