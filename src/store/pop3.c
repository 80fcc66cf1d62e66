/*
 * POP3 download into a local Maildir (design 4.10).
 *
 * The connection comes from net (verified TLS, STARTTLS required when
 * configured); everything said on it after that is here, over the
 * session's mailstream, not through libetpan's mailpop3_* commands: those
 * index a table with whatever number the server sends, keep only the
 * text before a NUL, do not bound a message, and cannot tell a QUIT that
 * was answered -ERR from one that was not.
 *
 * For each message, in this order:
 *   RETR into memory (bounded by pop3_max_size), dot-unstuffed, CRLF->LF
 *   intent "T uidl size sha256" journaled and fsynced   (pop3_uidl)
 *   maildir_deliver: tmp/, fsync, link into new/, fsync new/
 *   "S uidl file" journaled and fsynced, row in the table
 *   only then DELE (pop3_keep = no, or pop3_keep_days passed)
 * and QUIT, which is what makes the server delete.  A SIGKILL anywhere
 * leaves every message either recorded (and in the Maildir exactly once)
 * or not recorded and not deleted; an interrupted delivery is recognised
 * by its intent and its file's hash at the next run.
 *
 * What is stored: the message as the server sent it after removing the
 * transparency dots, with each CRLF turned into LF (the Maildir
 * convention, and what Dovecot itself keeps on disk).  A bare LF stays LF,
 * a bare CR stays, a NUL byte stays: nothing else is changed.  A message
 * that does not end in a line break gains one, because POP3 cannot say
 * that it lacked it.
 */
#include <errno.h>
#include <libetpan/libetpan.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "net/net.h"
#include "store/store.h"
#include "store/pop3_int.h"

/* RFC 1939 allows 512 bytes a response line; be generous, not unbounded. */
#define POP3_MAX_LINE 8192
/* The most messages a maildrop may list before we call it broken. */
#define POP3_MAX_MSGS 10000000u
/* pop3_max_size 0 means "no limit" for the user, still one for memory. */
#define POP3_HARD_MAX ((size_t)2 << 30)
/* Progress during one long RETR, every this many bytes. */
#define POP3_PROGRESS_STEP (256 * 1024)
#define SECRET_MAX 1024

struct conn {
	struct mailpop3 *pop;
	mailstream *s;
	char in[65536];
	size_t ipos, ilen;
	bool dead;
};

struct msg {
	unsigned num;
	uint64_t size; /* from LIST: octets on the wire */
	char *uidl;
	bool unusable; /* no UIDL, a bad UIDL, or one shared with another message */
};

struct fetch {
	const struct store_account *acct;
	struct conn c;
	struct pop3_uidl *u;
	struct store_pop3_report *rep;
	store_pop3_progress_cb cb;
	void *ctx;
	struct msg *msgs;
	size_t nmsgs;
	char **listed; /* sorted UIDLs, for pruning and the same-content check */
	size_t nlisted;
	char **dele;   /* UIDLs marked DELE in this session */
	size_t ndele;
	uint64_t bytes, total_bytes;
	size_t done;
	int64_t now;
	bool cancelled;
};

static void notice(struct store_pop3_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void notice(struct store_pop3_report *rep, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	rep->notices = xreallocarray(rep->notices, rep->nnotices + 1, sizeof(*rep->notices));
	/* Server text is part of some notices: safe before anyone shows it. */
	rep->notices[rep->nnotices++] = safe_str(b.data, SAFE_LINE);
	buf_release(&b);
}

void store_pop3_report_clear(struct store_pop3_report *rep)
{
	if (rep == NULL)
		return;
	store_keys_free(rep->notices, rep->nnotices);
	memset(rep, 0, sizeof(*rep));
}

/* ---- names of the per-account files ---- */

/* The account name as a file-name part: [A-Za-z0-9._-] kept; anything
 * else makes it "_"-escaped and suffixed with a hash, so two names never
 * share a file. */
static char *file_part(const char *name)
{
	struct buf b = BUF_INIT;
	bool changed = false;
	uint64_t h = 0xcbf29ce484222325ULL;

	buf_init(&b);
	if (name == NULL || name[0] == '\0' || name[0] == '.')
		changed = true;
	for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p; p++) {
		h = (h ^ *p) * 0x100000001b3ULL;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '_' || *p == '-')
			buf_addch(&b, *p);
		else {
			buf_addch(&b, '_');
			changed = true;
		}
		if (b.len >= 64)
			break;
	}
	if (changed)
		buf_addf(&b, "-%08llx", (unsigned long long)(h & 0xffffffffULL));
	return buf_detach(&b, NULL);
}

char *store_pop3_table_path(const struct store_account *acct)
{
	char *part = file_part(acct->name), *dir = NULL, *p;

	if (acct->cache_dir == NULL)
		dir = fs_xdg_dir(FS_XDG_CACHE);
	p = xasprintf("%s/pop3-%s.db", acct->cache_dir ? acct->cache_dir : dir, part);
	free(dir);
	free(part);
	return p;
}

static char *journal_name(const struct store_account *acct)
{
	char *part = file_part(acct->name), *n = xasprintf("wary-pop3-%s.uidl", part);

	free(part);
	return n;
}

/* ---- the wire ---- */

static int conn_fill(struct conn *c, char *err, size_t errlen)
{
	ssize_t n;

	if (c->dead)
		return err_set(err, errlen, WARY_ENET, "the connection is gone");
	n = mailstream_read(c->s, c->in, sizeof(c->in));
	if (n <= 0) {
		c->dead = true;
		return err_set(err, errlen, WARY_ENET, "the server closed the connection");
	}
	c->ipos = 0;
	c->ilen = (size_t)n;
	return WARY_OK;
}

/* One line with its LF (and CR) into line; at most max bytes. */
static int conn_line(struct conn *c, struct buf *line, size_t max, char *err, size_t errlen)
{
	buf_reset(line);
	for (;;) {
		const char *p, *nl;
		size_t take;
		int rc;

		if (c->ipos == c->ilen && (rc = conn_fill(c, err, errlen)) != WARY_OK)
			return rc;
		p = c->in + c->ipos;
		nl = memchr(p, '\n', c->ilen - c->ipos);
		take = nl ? (size_t)(nl - p) + 1 : c->ilen - c->ipos;
		if (line->len + take > max) {
			c->dead = true; /* out of step with the server from here */
			return err_set(err, errlen, WARY_EPARSE, "the server sent a line over %zu bytes",
			               max);
		}
		buf_add(line, p, take);
		c->ipos += take;
		if (nl != NULL)
			return WARY_OK;
	}
}

static void chomp(struct buf *line)
{
	if (line->len > 0 && line->data[line->len - 1] == '\n')
		buf_truncate(line, line->len - 1);
	if (line->len > 0 && line->data[line->len - 1] == '\r')
		buf_truncate(line, line->len - 1);
}

/* The text after +OK/-ERR, for messages. */
static const char *resp_text(const struct buf *line)
{
	const char *t = line->data;

	t += line->data[0] == '+' ? 3 : 4;
	return *t == ' ' ? t + 1 : t;
}

/* Read a status line: WARY_OK for +OK, WARY_ERR for -ERR (line holds
 * it), WARY_EPARSE for anything else. */
static int conn_status(struct conn *c, struct buf *line, char *err, size_t errlen)
{
	int rc = conn_line(c, line, POP3_MAX_LINE, err, errlen);

	if (rc != WARY_OK)
		return rc;
	chomp(line);
	/* Anything but a status line leaves us out of step with the server:
	 * hang up rather than read its next answer as ours. */
	if (memchr(line->data, '\0', line->len) != NULL) {
		c->dead = true;
		return err_set(err, errlen, WARY_EPARSE, "the server sent a NUL in a status line");
	}
	if (str_starts_with(line->data, "+OK") &&
	    (line->data[3] == '\0' || line->data[3] == ' '))
		return WARY_OK;
	if (str_starts_with(line->data, "-ERR") &&
	    (line->data[4] == '\0' || line->data[4] == ' '))
		return WARY_ERR;
	c->dead = true;
	return err_set(err, errlen, WARY_EPARSE, "not a POP3 answer: %.80s", line->data);
}

/* Send one command line.  With secret, the bytes are wiped from our
 * buffer and from the stream's write buffer once sent. */
static int conn_send(struct conn *c, const char *cmd, bool secret, char *err, size_t errlen)
{
	size_t len = strlen(cmd);
	int rc = WARY_OK;

	if (c->dead)
		return err_set(err, errlen, WARY_ENET, "the connection is gone");
	if (mailstream_write(c->s, cmd, len) != (ssize_t)len ||
	    mailstream_write(c->s, "\r\n", 2) != 2 || mailstream_flush(c->s) != 0) {
		c->dead = true;
		rc = err_set(err, errlen, WARY_ENET, "the connection dropped while sending");
	}
	if (secret && c->s->write_buffer != NULL)
		explicit_bzero(c->s->write_buffer, c->s->buffer_max_size);
	return rc;
}

/* A command and its status line; -ERR text goes into err. */
static int conn_cmd(struct conn *c, const char *cmd, struct buf *line, char *err, size_t errlen)
{
	int rc = conn_send(c, cmd, false, err, errlen);

	if (rc != WARY_OK)
		return rc;
	rc = conn_status(c, line, err, errlen);
	if (rc == WARY_ERR)
		err_set(err, errlen, WARY_ERR, "%s: %s", cmd, resp_text(line));
	return rc;
}

/* The lines of a multi-line answer, dot-unstuffed, until ".". */
typedef int (*line_cb)(void *ctx, const char *line, size_t len, char *err, size_t errlen);

static int conn_multi(struct conn *c, line_cb cb, void *ctx, char *err, size_t errlen)
{
	struct buf line = BUF_INIT;
	int rc;

	buf_init(&line);
	for (;;) {
		const char *p;
		size_t n;

		rc = conn_line(c, &line, POP3_MAX_LINE, err, errlen);
		if (rc != WARY_OK)
			break;
		chomp(&line);
		p = line.data;
		n = line.len;
		if (n == 1 && p[0] == '.')
			break;
		if (n > 0 && p[0] == '.') {
			p++;
			n--;
		}
		rc = cb(ctx, p, n, err, errlen);
		if (rc != WARY_OK) {
			c->dead = true; /* the rest of the answer is unread */
			break;
		}
	}
	buf_release(&line);
	return rc;
}

/* Hand back the stream without a QUIT from libetpan (mailpop3_free sends
 * one whenever a stream is attached, and cannot say how it went). */
static void conn_close(struct conn *c)
{
	if (c->pop == NULL)
		return;
	if (c->pop->pop3_stream != NULL)
		mailstream_close(c->pop->pop3_stream);
	c->pop->pop3_stream = NULL;
	free(c->pop->pop3_timestamp);
	c->pop->pop3_timestamp = NULL;
	mailpop3_free(c->pop);
	c->pop = NULL;
	c->s = NULL;
}

/* ---- one message ---- */

static int report_progress(struct fetch *f)
{
	if (f->cb != NULL && f->cb(f->ctx, f->done, f->nmsgs, f->bytes, f->total_bytes) != 0)
		f->cancelled = true;
	return f->cancelled;
}

/*
 * The body of a RETR into out, dot-unstuffed, CRLF as LF.  Over limit
 * bytes the rest is read and thrown away (the session stays usable) and
 * *over is set.  The message buffer doubles as the line buffer: each
 * line is appended, then its leading dot and CR are fixed in place.
 */
static int read_body(struct fetch *f, struct buf *out, size_t limit, bool *over, char *err,
                     size_t errlen)
{
	struct conn *c = &f->c;
	size_t line_start = 0, next_report = POP3_PROGRESS_STEP;
	uint64_t base = f->bytes;
	bool bol = true; /* out[line_start] is the first byte of a line */

	*over = false;
	buf_reset(out);
	for (;;) {
		const char *p, *nl;
		size_t take;
		int rc;

		if (c->ipos == c->ilen && (rc = conn_fill(c, err, errlen)) != WARY_OK)
			return rc;
		p = c->in + c->ipos;
		nl = memchr(p, '\n', c->ilen - c->ipos);
		take = nl ? (size_t)(nl - p) + 1 : c->ilen - c->ipos;
		buf_add(out, p, take);
		c->ipos += take;
		if (nl == NULL) {
			/* A line longer than any limit: drop what is buffered of it;
			 * the rest of it is no line start, so no dot rule applies. */
			if (out->len - line_start > limit + 2) {
				*over = true;
				buf_truncate(out, line_start);
				bol = false;
			}
			continue;
		}
		if (bol && out->data[line_start] == '.') {
			size_t len = out->len - line_start;

			if (len == 2 || (len == 3 && out->data[line_start + 1] == '\r')) {
				buf_truncate(out, line_start);
				f->bytes = base + out->len;
				return WARY_OK;
			}
			memmove(out->data + line_start, out->data + line_start + 1, len - 1);
			buf_truncate(out, out->len - 1);
		}
		if (out->len - line_start >= 2 && out->data[out->len - 2] == '\r') {
			out->data[out->len - 2] = '\n';
			buf_truncate(out, out->len - 1);
		}
		bol = true;
		if (*over || out->len > limit) {
			*over = true;
			buf_truncate(out, 0);
		}
		line_start = out->len;
		if (!*over && out->len >= next_report) {
			f->bytes = base + out->len;
			next_report = out->len + POP3_PROGRESS_STEP;
			if (report_progress(f))
				return err_set(err, errlen, WARY_ERR, "cancelled");
		}
	}
}

static bool listed(const struct fetch *f, const char *uidl)
{
	for (size_t lo = 0, hi = f->nlisted; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(uidl, f->listed[mid]);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* The file of a row with the same content whose UIDL the server no
 * longer lists: the server renumbered (lost its UIDL state) and this is
 * the same message.  NULL when there is none. */
static char *same_content(struct fetch *f, const char *sha)
{
	char **uidls = NULL, *file = NULL;
	size_t n = 0;

	if (pop3_uidl_find_sha(f->u, sha, &uidls, &n) != WARY_OK)
		return NULL;
	for (size_t i = 0; i < n && file == NULL; i++) {
		struct pop3_uidl_rec rec = { 0 };

		if (!listed(f, uidls[i]) && pop3_uidl_get(f->u, uidls[i], &rec) == 1 &&
		    rec.file[0] != '\0')
			file = xstrdup(rec.file);
		pop3_uidl_rec_clear(&rec);
	}
	store_keys_free(uidls, n);
	return file;
}

static bool want_delete(const struct fetch *f, int64_t downloaded)
{
	const struct store_account *a = f->acct;

	if (!a->pop3_keep)
		return true;
	return a->pop3_keep_days > 0 && f->now - downloaded >= (int64_t)a->pop3_keep_days * 86400;
}

static int dele(struct fetch *f, const struct msg *m, struct buf *line, char *err, size_t errlen)
{
	char cmd[32];
	int rc;

	snprintf(cmd, sizeof(cmd), "DELE %u", m->num);
	rc = conn_cmd(&f->c, cmd, line, err, errlen);
	if (rc == WARY_ERR) {
		notice(f->rep, "the server refused to delete message %u (UIDL %s): %s; it stays there",
		       m->num, m->uidl, resp_text(line));
		return WARY_OK;
	}
	if (rc != WARY_OK)
		return rc;
	f->dele = xreallocarray(f->dele, f->ndele + 1, sizeof(*f->dele));
	f->dele[f->ndele++] = xstrdup(m->uidl);
	return WARY_OK;
}

/* Fetch and store one message not recorded yet. */
static int fetch_one(struct fetch *f, const struct msg *m, struct buf *data, struct buf *line,
                     char *err, size_t errlen)
{
	const struct store_account *a = f->acct;
	size_t limit = a->pop3_max_size > 0 ? (size_t)a->pop3_max_size : POP3_HARD_MAX;
	char cmd[32], sha[POP3_SHA_HEX], *name = NULL, *had = NULL;
	bool over = false;
	int rc;

	if (a->pop3_max_size > 0 && m->size > (uint64_t)a->pop3_max_size) {
		f->rep->skipped_size++;
		notice(f->rep, "message %u (UIDL %s) has %llu bytes, over pop3_max_size (%ld): "
		       "left on the server", m->num, m->uidl, (unsigned long long)m->size,
		       a->pop3_max_size);
		return WARY_OK;
	}
	snprintf(cmd, sizeof(cmd), "RETR %u", m->num);
	rc = conn_cmd(&f->c, cmd, line, err, errlen);
	if (rc == WARY_ERR) {
		f->rep->failed++;
		notice(f->rep, "the server refused message %u (UIDL %s): %s; left on the server",
		       m->num, m->uidl, resp_text(line));
		return WARY_OK;
	}
	if (rc != WARY_OK)
		return rc;
	rc = read_body(f, data, limit, &over, err, errlen);
	if (rc != WARY_OK)
		return rc;
	if (over) {
		f->rep->skipped_size++;
		notice(f->rep, "message %u (UIDL %s) is larger than its listed size and over "
		       "the limit of %zu bytes: left on the server", m->num, m->uidl, limit);
		return WARY_OK;
	}
	pop3_sha256_hex(data->data, data->len, sha);
	had = same_content(f, sha);
	if (had != NULL) {
		rc = pop3_uidl_record(f->u, m->uidl, (int64_t)data->len, sha, had, f->now, err,
		                      errlen);
		if (rc == WARY_OK)
			f->rep->same_content++;
		goto out;
	}
	rc = pop3_uidl_intend(f->u, m->uidl, (int64_t)data->len, sha, f->now, err, errlen);
	if (rc == WARY_OK)
		rc = maildir_deliver(a->maildir, data->data, data->len, STORE_NEW, &name, err, errlen);
	if (rc == WARY_OK)
		rc = pop3_uidl_record(f->u, m->uidl, (int64_t)data->len, sha, name, f->now, err,
		                      errlen);
	if (rc == WARY_OK)
		f->rep->fetched++;
out:
	if (rc == WARY_OK) {
		f->rep->bytes += data->len;
		if (want_delete(f, f->now))
			rc = dele(f, m, line, err, errlen);
	}
	free(name);
	free(had);
	return rc;
}

/* ---- the session ---- */

/* Does a CAPA answer (lines joined by LF) offer "SASL ... PLAIN ..."? */
static bool capa_sasl_plain(const char *capa)
{
	for (const char *p = capa; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len > 5 && str_ncasecmp(p, "SASL ", 5) == 0)
			for (size_t i = 5; i + 5 <= len; i++)
				if (p[i - 1] == ' ' && str_ncasecmp(p + i, "PLAIN", 5) == 0 &&
				    (i + 5 == len || p[i + 5] == ' '))
					return true;
		p += len + (e ? 1 : 0);
	}
	return false;
}

static int capa_line(void *ctx, const char *line, size_t len, char *err, size_t errlen)
{
	struct buf *b = ctx;

	(void)err;
	(void)errlen;
	if (memchr(line, '\0', len) == NULL && b->len < 65536) {
		buf_add(b, line, len);
		buf_addch(b, '\n');
	}
	return WARY_OK;
}

static void md5_hex(const char *a, const char *b, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	EVP_DigestUpdate(ctx, a, strlen(a));
	EVP_DigestUpdate(ctx, b, strlen(b));
	EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
	explicit_bzero(md, sizeof(md));
}

/* Log in on the verified TLS session.  The password is asked for here,
 * used once, and wiped with everything that held it. */
static int login(struct fetch *f, char *err, size_t errlen)
{
	const struct store_account *a = f->acct;
	const char *auth = a->auth != NULL ? a->auth : "auto";
	struct buf capa = BUF_INIT, line = BUF_INIT, cmd = BUF_INIT;
	char pw[SECRET_MAX];
	int rc;

	buf_init(&capa);
	buf_init(&line);
	buf_init(&cmd);
	memset(pw, 0, sizeof(pw));
	if (a->user == NULL || a->user[0] == '\0' || strpbrk(a->user, "\r\n") != NULL) {
		rc = err_set(err, errlen, WARY_ERR, "account %s: no usable user name", a->name);
		goto out;
	}
	rc = conn_cmd(&f->c, "CAPA", &line, err, errlen);
	if (rc == WARY_OK)
		rc = conn_multi(&f->c, capa_line, &capa, err, errlen);
	else if (rc == WARY_ERR)
		rc = WARY_OK; /* CAPA is optional (RFC 2449) */
	if (rc != WARY_OK)
		goto out;
	if (a->secret == NULL ||
	    a->secret(a->secret_ctx, "password", pw, sizeof(pw)) != WARY_OK) {
		rc = err_set(err, errlen, WARY_EAUTH, "account %s: no password", a->name);
		goto out;
	}
	pw[sizeof(pw) - 1] = '\0';
	if (strpbrk(pw, "\r\n") != NULL) {
		rc = err_set(err, errlen, WARY_EAUTH, "account %s: the password holds a line break",
		             a->name);
		goto out;
	}
	if (a->pop3_apop) {
		const char *ts = f->c.pop->pop3_timestamp;
		char digest[33];

		if (ts == NULL || ts[0] != '<') {
			rc = err_set(err, errlen, WARY_EAUTH,
			             "account %s: pop3_apop is set but the server's greeting offers no "
			             "APOP timestamp", a->name);
			goto out;
		}
		md5_hex(ts, pw, digest);
		buf_addf(&cmd, "APOP %s %s", a->user, digest);
		explicit_bzero(digest, sizeof(digest));
		f->rep->apop = true;
		notice(f->rep, "logged in with APOP, as the account asks: APOP rests on MD5 and is "
		       "weak; the TLS session is what protects the password");
	} else if (str_casecmp(auth, "plain") == 0 ||
	           (str_casecmp(auth, "auto") == 0 && capa_sasl_plain(capa.data))) {
		struct buf raw = BUF_INIT;
		size_t ulen = strlen(a->user), plen = strlen(pw);
		unsigned char *b64;

		buf_init(&raw);
		buf_addch(&raw, '\0');
		buf_add(&raw, a->user, ulen);
		buf_addch(&raw, '\0');
		buf_add(&raw, pw, plen);
		b64 = xmalloc(4 * (raw.len / 3 + 1) + 1);
		EVP_EncodeBlock(b64, (const unsigned char *)raw.data, (int)raw.len);
		buf_addf(&cmd, "AUTH PLAIN %s", (const char *)b64);
		explicit_bzero(b64, strlen((const char *)b64));
		free(b64);
		explicit_bzero(raw.data, raw.cap);
		buf_release(&raw);
	} else if (str_casecmp(auth, "auto") == 0 || str_casecmp(auth, "login") == 0 ||
	           str_casecmp(auth, "user") == 0) {
		char *user = xasprintf("USER %s", a->user);

		rc = conn_cmd(&f->c, user, &line, err, errlen);
		free(user);
		if (rc == WARY_ERR)
			rc = err_set(err, errlen, WARY_EAUTH, "the server refused the user: %s",
			             resp_text(&line));
		if (rc != WARY_OK)
			goto out;
		buf_addf(&cmd, "PASS %s", pw);
	} else {
		rc = err_set(err, errlen, WARY_ERR, "account %s: auth %s is not available for POP3",
		             a->name, auth);
		goto out;
	}
	rc = conn_send(&f->c, cmd.data, true, err, errlen);
	if (rc == WARY_OK)
		rc = conn_status(&f->c, &line, err, errlen);
	if (rc == WARY_ERR)
		rc = err_set(err, errlen, WARY_EAUTH, "the server refused the login: %s",
		             resp_text(&line));
out:
	explicit_bzero(pw, sizeof(pw));
	if (cmd.data != NULL)
		explicit_bzero(cmd.data, cmd.cap);
	buf_release(&cmd);
	buf_release(&capa);
	buf_release(&line);
	return rc;
}

static bool parse_uint(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* "N REST": the number and where REST starts. */
static bool split_num(const char *line, size_t len, uint64_t *num, const char **rest,
                      size_t *restlen)
{
	const char *sp = memchr(line, ' ', len);

	if (sp == NULL || !parse_uint(line, (size_t)(sp - line), num))
		return false;
	*rest = sp + 1;
	*restlen = len - (size_t)(sp + 1 - line);
	/* A trailing word after the size is allowed by RFC 1939 for LIST. */
	return *restlen > 0;
}

/* LIST numbers are kept ascending (list_line refuses anything else). */
static struct msg *msg_by_num(struct fetch *f, uint64_t num)
{
	for (size_t lo = 0, hi = f->nmsgs; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->msgs[mid].num == num)
			return &f->msgs[mid];
		if (f->msgs[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int list_line(void *ctx, const char *line, size_t len, char *err, size_t errlen)
{
	struct fetch *f = ctx;
	uint64_t num, size;
	const char *rest;
	size_t rl;

	if (!split_num(line, len, &num, &rest, &rl) || num == 0 || num > POP3_MAX_MSGS)
		return err_set(err, errlen, WARY_EPARSE, "a LIST line the server should not send");
	{
		const char *sp = memchr(rest, ' ', rl);

		if (!parse_uint(rest, sp ? (size_t)(sp - rest) : rl, &size))
			return err_set(err, errlen, WARY_EPARSE, "a LIST size that is not a number");
	}
	if (f->nmsgs > 0 && f->msgs[f->nmsgs - 1].num >= num)
		return err_set(err, errlen, WARY_EPARSE, "LIST numbers out of order");
	f->msgs = xreallocarray(f->msgs, f->nmsgs + 1, sizeof(*f->msgs));
	memset(&f->msgs[f->nmsgs], 0, sizeof(*f->msgs));
	f->msgs[f->nmsgs].num = (unsigned)num;
	f->msgs[f->nmsgs].size = size;
	f->nmsgs++;
	return WARY_OK;
}

static int uidl_line(void *ctx, const char *line, size_t len, char *err, size_t errlen)
{
	struct fetch *f = ctx;
	uint64_t num;
	const char *rest;
	size_t rl;
	struct msg *m;

	(void)err;
	(void)errlen;
	if (!split_num(line, len, &num, &rest, &rl) || (m = msg_by_num(f, num)) == NULL)
		return WARY_OK; /* a number LIST did not give: nothing to fetch there */
	if (m->uidl != NULL || !pop3_uidl_valid(rest, rl)) {
		m->unusable = true;
		return WARY_OK;
	}
	m->uidl = xstrndup(rest, rl);
	return WARY_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* LIST and UIDL; messages whose UIDL is missing, malformed or shared
 * cannot be tracked and are never fetched nor deleted. */
static int list(struct fetch *f, char *err, size_t errlen)
{
	struct buf line = BUF_INIT;
	int rc;

	buf_init(&line);
	rc = conn_cmd(&f->c, "LIST", &line, err, errlen);
	if (rc == WARY_OK)
		rc = conn_multi(&f->c, list_line, f, err, errlen);
	if (rc != WARY_OK)
		goto out;
	rc = conn_cmd(&f->c, "UIDL", &line, err, errlen);
	if (rc == WARY_ERR) {
		rc = err_set(err, errlen, WARY_ERR,
		             "the server does not give UIDLs (%s); without them a download could "
		             "lose or duplicate mail, so none is made", resp_text(&line));
		goto out;
	}
	if (rc == WARY_OK)
		rc = conn_multi(&f->c, uidl_line, f, err, errlen);
	if (rc != WARY_OK)
		goto out;
	f->listed = xcalloc(f->nmsgs + 1, sizeof(*f->listed));
	for (size_t i = 0; i < f->nmsgs; i++)
		if (f->msgs[i].uidl != NULL)
			f->listed[f->nlisted++] = xstrdup(f->msgs[i].uidl);
	qsort(f->listed, f->nlisted, sizeof(*f->listed), cmp_str);
	for (size_t i = 0; i + 1 < f->nlisted; i++) {
		if (strcmp(f->listed[i], f->listed[i + 1]) != 0)
			continue;
		for (size_t j = 0; j < f->nmsgs; j++)
			if (f->msgs[j].uidl != NULL && strcmp(f->msgs[j].uidl, f->listed[i]) == 0)
				f->msgs[j].unusable = true;
	}
	for (size_t i = 0; i < f->nmsgs; i++) {
		struct msg *m = &f->msgs[i];

		if (m->uidl == NULL)
			m->unusable = true;
		if (m->unusable) {
			f->rep->failed++;
			notice(f->rep, "message %u has no usable UIDL (missing, malformed or shared): "
			       "left on the server", m->num);
		} else {
			f->total_bytes += m->size;
		}
	}
out:
	buf_release(&line);
	return rc;
}

static int session(struct fetch *f, char *err, size_t errlen)
{
	struct buf data = BUF_INIT, line = BUF_INIT;
	int rc;

	buf_init(&data);
	buf_init(&line);
	rc = login(f, err, errlen);
	if (rc == WARY_OK)
		rc = list(f, err, errlen);
	if (rc != WARY_OK)
		goto out;
	f->rep->listed = f->nmsgs;
	rc = pop3_uidl_prune(f->u, f->listed, f->nlisted, err, errlen);
	for (size_t i = 0; rc == WARY_OK && i < f->nmsgs; i++) {
		struct msg *m = &f->msgs[i];
		struct pop3_uidl_rec rec = { 0 };
		int known;

		if (report_progress(f)) {
			rc = err_set(err, errlen, WARY_ERR, "cancelled");
			break;
		}
		if (m->unusable) {
			f->done++;
			continue;
		}
		known = pop3_uidl_get(f->u, m->uidl, &rec);
		if (known < 0) {
			rc = err_set(err, errlen, known, "the POP3 table could not be read");
		} else if (known == 1) {
			f->rep->known++;
			if (want_delete(f, rec.downloaded))
				rc = dele(f, m, &line, err, errlen);
		} else {
			rc = fetch_one(f, m, &data, &line, err, errlen);
		}
		pop3_uidl_rec_clear(&rec);
		f->done++;
	}
	if (rc == WARY_OK)
		report_progress(f);
out:
	/* Every DELE sent was for a recorded message, so a QUIT is right
	 * whenever the session can still carry one, even after an error. */
	if (!f->c.dead) {
		char qerr[WARY_ERRLEN];
		int q = conn_cmd(&f->c, "QUIT", &line, qerr, sizeof(qerr));

		if (q == WARY_OK) {
			f->rep->deleted = f->ndele;
			if (pop3_uidl_mark_deleted(f->u, f->dele, f->ndele, qerr, sizeof(qerr)) !=
			    WARY_OK)
				notice(f->rep, "%s", qerr);
		} else if (f->ndele > 0) {
			notice(f->rep, "the server did not confirm QUIT (%s): the %zu deletions of "
			       "this session may not have happened", qerr, f->ndele);
		}
	} else if (f->ndele > 0) {
		notice(f->rep, "the connection was lost before QUIT: the %zu deletions of this "
		       "session did not happen and are repeated next time", f->ndele);
	}
	buf_release(&data);
	buf_release(&line);
	return rc;
}

int pop3_open_account(const struct store_account *acct, struct store **out, char *err,
                      size_t errlen)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	int rc;

	*out = NULL;
	if (acct->maildir == NULL || acct->maildir[0] == '\0')
		return err_set(err, errlen, WARY_ERR, "account %s: a POP3 account needs a maildir",
		               acct->name ? acct->name : "?");
	rc = fs_mkdir_p(acct->maildir, 0700, err, errlen);
	for (size_t i = 0; rc == WARY_OK && i < ARRAY_SIZE(subs); i++) {
		char *p = xasprintf("%s/%s", acct->maildir, subs[i]);

		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = err_set(err, errlen, WARY_EIO, "mkdir %s: %s", p, strerror(errno));
		free(p);
	}
	if (rc != WARY_OK)
		return rc;
	return store_open(acct->maildir, out, err, errlen);
}

int store_pop3_fetch(const struct store_account *acct, store_pop3_progress_cb cb, void *ctx,
                     struct store_pop3_report *rep, char *err, size_t errlen)
{
	struct fetch f;
	struct pop3_uidl_open_info info;
	struct net_opts opts;
	char *db = NULL, *jname = NULL;
	int rc;

	memset(&f, 0, sizeof(f));
	memset(rep, 0, sizeof(*rep));
	f.acct = acct;
	f.rep = rep;
	f.cb = cb;
	f.ctx = ctx;
	f.now = (int64_t)time(NULL);
	if (acct == NULL || acct->kind == NULL || strcmp(acct->kind, "pop3") != 0 ||
	    acct->host == NULL || acct->maildir == NULL || acct->maildir[0] == '\0') {
		rc = err_set(err, errlen, WARY_ERR, "not a POP3 account with a host and a maildir");
		goto out;
	}
	db = store_pop3_table_path(acct);
	jname = journal_name(acct);
	/* The record first: a second download of this account stops here,
	 * before it talks to the server. */
	rc = pop3_uidl_open(db, acct->maildir, jname, &f.u, &info, err, errlen);
	if (rc != WARY_OK)
		goto out;
	rep->rebuilt = info.rebuilt && info.replayed > 0;
	rep->recovered = info.adopted;
	if (rep->rebuilt)
		notice(rep, "the POP3 table was rebuilt from the Maildir's journal (%zu messages)",
		       info.replayed);
	if (info.adopted > 0)
		notice(rep, "%zu messages delivered by an interrupted download were recognised",
		       info.adopted);
	if (info.bad_lines > 0)
		notice(rep, "%zu damaged lines in the Maildir's POP3 journal were ignored",
		       info.bad_lines);
	memset(&opts, 0, sizeof(opts));
	opts.host = acct->host;
	opts.port = acct->port;
	opts.tls = acct->tls == STORE_TLS_STARTTLS ? NET_TLS_STARTTLS : NET_TLS_IMPLICIT;
	opts.ca_file = acct->ca_file;
	opts.trusted_sha256 = acct->trusted_sha256;
	rc = net_pop3_connect(&opts, &f.c.pop, NULL, err, errlen);
	if (rc != WARY_OK)
		goto out;
	f.c.s = f.c.pop->pop3_stream;
	rc = session(&f, err, errlen);
	if (f.cancelled)
		rep->cancelled = true;
out:
	conn_close(&f.c);
	pop3_uidl_close(&f.u);
	for (size_t i = 0; i < f.nmsgs; i++)
		free(f.msgs[i].uidl);
	free(f.msgs);
	store_keys_free(f.listed, f.nlisted);
	store_keys_free(f.dele, f.ndele);
	free(db);
	free(jname);
	return rc;
}
