/*
 * net: SMTP commands on a session from net_smtp_connect.  libetpan's own
 * SMTP calls cannot say SMTPUTF8 or XOAUTH2, hide the server's reply text
 * behind an error number, and log in through Cyrus SASL (which fails
 * with a misleading "Login failed" when a module is missing), so the
 * submission speaks its commands itself through the same stream, and
 * keeps every reply verbatim for the user to read.
 */
#include <signal.h>

#include "net/net_int.h"

#define SMTP_MAX_REPLY_LINES 200
#define SMTP_MAX_LINE 4096

static void add_keyword(struct net_smtp_caps *c, const char *line, size_t len)
{
	char word[64];
	size_t i = 0;

	while (i < len && i + 1 < sizeof(word) && line[i] != ' ' && line[i] != '=') {
		word[i] = line[i];
		i++;
	}
	word[i] = '\0';
	if (str_casecmp(word, "SIZE") == 0) {
		c->size = true;
		if (i < len && line[i] == ' ')
			c->max_size = strtoull(line + i + 1, NULL, 10);
	} else if (str_casecmp(word, "8BITMIME") == 0) {
		c->eightbitmime = true;
	} else if (str_casecmp(word, "SMTPUTF8") == 0) {
		c->smtputf8 = true;
	} else if (str_casecmp(word, "PIPELINING") == 0) {
		c->pipelining = true;
	} else if (str_casecmp(word, "STARTTLS") == 0) {
		c->starttls = true;
	} else if (str_casecmp(word, "AUTH") == 0) {
		/* "AUTH PLAIN LOGIN XOAUTH2" (and the old "AUTH=PLAIN LOGIN") */
		const char *p = line + i + 1, *end = line + len;

		while (p < end) {
			const char *q = p;
			size_t n;

			while (q < end && *q != ' ')
				q++;
			n = (size_t)(q - p);
			if (n == 5 && str_ncasecmp(p, "PLAIN", 5) == 0)
				c->auth |= NET_SMTP_AUTH_PLAIN;
			else if (n == 5 && str_ncasecmp(p, "LOGIN", 5) == 0)
				c->auth |= NET_SMTP_AUTH_LOGIN;
			else if (n == 7 && str_ncasecmp(p, "XOAUTH2", 7) == 0)
				c->auth |= NET_SMTP_AUTH_XOAUTH2;
			else if (n == 11 && str_ncasecmp(p, "OAUTHBEARER", 11) == 0)
				c->auth |= NET_SMTP_AUTH_OAUTHBEARER;
			p = q < end ? q + 1 : end;
		}
	}
}

void net_smtp_caps_parse(const char *reply, struct net_smtp_caps *c)
{
	const char *p = reply;

	memset(c, 0, sizeof(*c));
	if (reply == NULL)
		return;
	/* The first line is the greeting part of the EHLO reply. */
	p = strchr(p, '\n');
	while (p != NULL && *p == '\n') {
		const char *line = p + 1, *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		/* Lines of our own replies keep their "250-" prefix; libetpan's do not. */
		if (len >= 4 && line[0] >= '0' && line[0] <= '9' && (line[3] == '-' || line[3] == ' ')) {
			line += 4;
			len -= 4;
		}
		add_keyword(c, line, len);
		p = nl;
	}
}

void net_smtp_caps(struct mailsmtp *smtp, struct net_smtp_caps *c)
{
	net_smtp_caps_parse(smtp->response, c);
}

static int write_all(struct mailsmtp *smtp, const char *data, size_t len, char *err, size_t errlen)
{
	while (len > 0) {
		ssize_t w = mailstream_write(smtp->stream, data, len);

		if (w <= 0)
			return err_set(err, errlen, WARY_ENET, "SMTP: the connection dropped while writing");
		data += w;
		len -= (size_t)w;
	}
	return WARY_OK;
}

int net_smtp_read_reply(struct mailsmtp *smtp, int *code, struct buf *reply, char *err,
                        size_t errlen)
{
	MMAPString *line = mmap_string_new("");
	unsigned lines = 0;
	int rc = WARY_OK;

	*code = 0;
	buf_reset(reply);
	if (line == NULL)
		return err_set(err, errlen, WARY_ENOMEM, "out of memory");
	for (;;) {
		char *l = mailstream_read_line_remove_eol(smtp->stream, line);
		size_t n;

		if (l == NULL) {
			rc = err_set(err, errlen, WARY_ENET, "SMTP: the connection dropped (%s)",
			             net_low_error(smtp->stream->low));
			goto out;
		}
		n = strlen(l);
		if (n < 3 || n > SMTP_MAX_LINE || !(l[0] >= '2' && l[0] <= '5') || l[1] < '0' ||
		    l[1] > '9' || l[2] < '0' || l[2] > '9' || (n > 3 && l[3] != ' ' && l[3] != '-')) {
			rc = err_set(err, errlen, WARY_EPARSE, "SMTP: not a reply line");
			buf_add(reply, l, n > 200 ? 200 : n);
			goto out;
		}
		if (reply->len > 0)
			buf_addch(reply, '\n');
		buf_add(reply, l, n);
		if (++lines > SMTP_MAX_REPLY_LINES) {
			rc = err_set(err, errlen, WARY_ELIMIT, "SMTP: a reply of over %d lines",
			             SMTP_MAX_REPLY_LINES);
			goto out;
		}
		if (n == 3 || l[3] == ' ') {
			*code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
			break;
		}
	}
out:
	mmap_string_free(line);
	return rc;
}

int net_smtp_command(struct mailsmtp *smtp, const char *line, int *code, struct buf *reply,
                     char *err, size_t errlen)
{
	int rc;

	if (strchr(line, '\r') != NULL || strchr(line, '\n') != NULL)
		return err_set(err, errlen, WARY_ERR, "SMTP: a line break inside a command");
	rc = write_all(smtp, line, strlen(line), err, errlen);
	if (rc == WARY_OK)
		rc = write_all(smtp, "\r\n", 2, err, errlen);
	if (rc == WARY_OK && mailstream_flush(smtp->stream) != 0)
		rc = err_set(err, errlen, WARY_ENET, "SMTP: the connection dropped while writing");
	if (rc == WARY_OK)
		rc = net_smtp_read_reply(smtp, code, reply, err, errlen);
	return rc;
}

int net_smtp_data_body(struct mailsmtp *smtp, const char *msg, size_t len,
                       int (*before_dot)(void *ctx), void *ctx, int *code, struct buf *reply,
                       char *err, size_t errlen)
{
	struct buf out = BUF_INIT;
	size_t i = 0;
	int rc = WARY_OK;

	buf_init(&out);
	/* Line by line: CRLF ends everywhere (a bare LF or CR becomes CRLF),
	 * a dot at the start of a line doubled (RFC 5321 4.5.2). */
	while (i < len) {
		size_t j = i;

		while (j < len && msg[j] != '\n' && msg[j] != '\r')
			j++;
		if (j > i && msg[i] == '.')
			buf_addch(&out, '.');
		buf_add(&out, msg + i, j - i);
		buf_add(&out, "\r\n", 2);
		if (j < len && msg[j] == '\r' && j + 1 < len && msg[j + 1] == '\n')
			j++;
		i = j + 1;
		if (out.len >= 65536 || i >= len) {
			rc = write_all(smtp, out.data, out.len, err, errlen);
			buf_reset(&out);
			if (rc != WARY_OK)
				goto out;
		}
	}
	if (mailstream_flush(smtp->stream) != 0) {
		rc = err_set(err, errlen, WARY_ENET, "SMTP: the connection dropped while writing");
		goto out;
	}
	if (before_dot != NULL) {
		rc = before_dot(ctx);
		if (rc != WARY_OK) {
			rc = err_set(err, errlen, rc, "the outbox could not record the submission");
			goto out;
		}
	}
	rc = net_smtp_command(smtp, ".", code, reply, err, errlen);
out:
	buf_release(&out);
	return rc;
}
