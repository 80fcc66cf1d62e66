/*
 * send/outbox: the durable send path (design 4.10).
 *
 *   DIR/new/ID           the message, fsynced before anything goes out
 *   DIR/state/ID         "submitting", "submitted" or "stored" (+ the last
 *                        error), replaced atomically at each step
 *   DIR/submitted.log    every Message-ID the server accepted, appended
 *                        and fsynced before the state moves on: a
 *                        Message-ID in it is never submitted again
 *
 * "submitting" is written after the last data byte and before the final
 * "."; a message found in that state after a crash may or may not have
 * been accepted, so it is held until the user asks for a retry rather
 * than risk sending it twice.  Before a message is stored in Sent, Sent
 * is searched for its Message-ID, so a crash between the store and the
 * state change does not store it twice.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/mail.h"
#include "pattern/pattern.h"
#include "store/store.h"
#include "send/send_int.h"

#define OUTBOX_MAX_MSG (64u * 1024 * 1024 + 1024 * 1024)

struct send_outbox {
	char *dir;
	send_step_hook hook;
};

const char *send_state_name(enum send_state s)
{
	switch (s) {
	case SEND_QUEUED:
		return "queued";
	case SEND_SUBMITTING:
		return "uncertain";
	case SEND_SUBMITTED:
		return "submitted";
	case SEND_STORED:
		return "stored";
	}
	return "?";
}

static void step(const struct send_outbox *ob, const char *what)
{
	if (ob->hook)
		ob->hook(what);
}

int send_outbox_open(const char *dir, struct send_outbox **out, char *err, size_t errlen)
{
	static const char *const sub[] = { "tmp", "new", "cur", "state" };
	struct send_outbox *ob;
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < ARRAY_SIZE(sub); i++) {
		char *p = xasprintf("%s/%s", dir, sub[i]);

		rc = fs_mkdir_p(p, 0700, err, errlen);
		free(p);
		if (rc != WARY_OK)
			return rc;
	}
	ob = xcalloc(1, sizeof(*ob));
	ob->dir = xstrdup(dir);
	*out = ob;
	return WARY_OK;
}

void send_outbox_free(struct send_outbox **ob)
{
	if (*ob == NULL)
		return;
	free((*ob)->dir);
	free(*ob);
	*ob = NULL;
}

void send_outbox_set_hook(struct send_outbox *ob, send_step_hook hook)
{
	ob->hook = hook;
}

int send_outbox_add(struct send_outbox *ob, const char *msg, size_t len, char **id_out, char *err,
                    size_t errlen)
{
	char *name = NULL;
	int rc;

	rc = maildir_deliver(ob->dir, msg, len, STORE_NEW, &name, err, errlen);
	if (rc == WARY_OK) {
		step(ob, "queued");
		if (id_out)
			*id_out = name;
		else
			free(name);
	}
	return rc;
}

/* ---------------------------------------------------------- journal */

static char *state_path(const struct send_outbox *ob, const char *id)
{
	return xasprintf("%s/state/%s", ob->dir, id);
}

static enum send_state read_state(const struct send_outbox *ob, const char *id, char **last_error)
{
	char *p = state_path(ob, id), e[64];
	struct buf b = BUF_INIT;
	enum send_state s = SEND_QUEUED;

	buf_init(&b);
	if (last_error)
		*last_error = NULL;
	if (fs_read_file(p, &b, 65536, e, sizeof(e)) == WARY_OK) {
		char *nl = strchr(b.data, '\n');

		if (str_starts_with(b.data, "submitting"))
			s = SEND_SUBMITTING;
		else if (str_starts_with(b.data, "submitted"))
			s = SEND_SUBMITTED;
		else if (str_starts_with(b.data, "stored"))
			s = SEND_STORED;
		if (last_error && nl && nl[1])
			*last_error = str_trim(xstrdup(nl + 1));
	}
	free(p);
	buf_release(&b);
	return s;
}

static int write_state(const struct send_outbox *ob, const char *id, const char *state,
                       const char *error, char *err, size_t errlen)
{
	char *p = state_path(ob, id);
	char *text = xasprintf("%s\n%s\n", state, error ? error : "");
	int rc;

	/* keep the error one line */
	for (char *q = strchr(text, '\n') + 1; *q; q++)
		if (*q == '\n' && q[1] != '\0')
			*q = ' ';
	rc = fs_write_atomic(p, text, strlen(text), 0600, err, errlen);
	free(p);
	free(text);
	return rc;
}

static char *log_path(const struct send_outbox *ob)
{
	return xasprintf("%s/submitted.log", ob->dir);
}

static bool was_submitted(const struct send_outbox *ob, const char *msgid)
{
	char *p = log_path(ob), e[64];
	struct buf b = BUF_INIT;
	bool found = false;

	buf_init(&b);
	if (msgid && fs_read_file(p, &b, 0, e, sizeof(e)) == WARY_OK) {
		char *key = xasprintf("\n%s\n", msgid);

		buf_addch(&b, '\n');
		memmove(b.data + 1, b.data, b.len - 1);
		b.data[0] = '\n';
		found = strstr(b.data, key) != NULL;
		free(key);
	}
	free(p);
	buf_release(&b);
	return found;
}

static int record_submitted(const struct send_outbox *ob, const char *msgid, char *err,
                            size_t errlen)
{
	char *p = log_path(ob), *line = xasprintf("%s\n", msgid);
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600), rc = WARY_OK;

	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line) || fsync(fd) != 0)
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", p, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc == WARY_OK)
		rc = fs_fsync_dir(ob->dir, err, errlen);
	free(p);
	free(line);
	return rc;
}

/* ---------------------------------------------------------- entries */

static char *header_of(const char *msg, size_t len, const char *name)
{
	struct mail_msg *m = NULL;
	char e[64], *v = NULL;
	const char *end = memmem(msg, len, "\r\n\r\n", 4);
	size_t hl = end ? (size_t)(end - msg) + 4 : len;

	/* the header block is enough */
	if (mail_parse(msg, hl, &m, e, sizeof(e)) == WARY_OK) {
		const char *raw = mail_header_get(m, name);

		if (raw)
			v = str_trim(xstrdup(raw));
	}
	mail_free(&m);
	return v;
}

static char *message_id_of(const char *msg, size_t len)
{
	char *v = header_of(msg, len, "Message-ID"), *lt, *gt;
	char *id = NULL;

	if (v && (lt = strchr(v, '<')) && (gt = strchr(lt, '>')))
		id = xstrndup(lt, (size_t)(gt - lt + 1));
	free(v);
	return id;
}

static int list_ids(const struct send_outbox *ob, char ***ids, size_t *n, char *err,
                    size_t errlen)
{
	char *p = xasprintf("%s/new", ob->dir);
	DIR *d = opendir(p);
	struct dirent *de;
	char **v = NULL;
	size_t nv = 0;

	*ids = NULL;
	*n = 0;
	if (d == NULL) {
		int rc = err_set(err, errlen, WARY_EIO, "%s: %s", p, strerror(errno));

		free(p);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		v = xreallocarray(v, nv + 1, sizeof(*v));
		v[nv++] = xstrdup(de->d_name);
	}
	closedir(d);
	free(p);
	/* oldest first: names begin with the delivery time */
	for (size_t i = 1; i < nv; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*ids = v;
	*n = nv;
	return WARY_OK;
}

static int read_msg(const struct send_outbox *ob, const char *id, struct buf *out, char *err,
                    size_t errlen)
{
	char *p;
	int rc;

	if (strchr(id, '/') != NULL || id[0] == '.')
		return err_set(err, errlen, WARY_ENOENT, "no message %s in the outbox", id);
	p = xasprintf("%s/new/%s", ob->dir, id);
	rc = fs_read_file(p, out, OUTBOX_MAX_MSG, err, errlen);
	free(p);
	return rc;
}

int send_outbox_list(struct send_outbox *ob, struct send_outbox_entry **out, size_t *n, char *err,
                     size_t errlen)
{
	char **ids;
	size_t nids, i;
	struct send_outbox_entry *v;
	int rc;

	*out = NULL;
	*n = 0;
	rc = list_ids(ob, &ids, &nids, err, errlen);
	if (rc != WARY_OK)
		return rc;
	v = xcalloc(nids ? nids : 1, sizeof(*v));
	for (i = 0; i < nids; i++) {
		struct buf m = BUF_INIT;
		char e[64];

		buf_init(&m);
		v[i].id = ids[i];
		v[i].state = read_state(ob, ids[i], &v[i].last_error);
		if (read_msg(ob, ids[i], &m, e, sizeof(e)) == WARY_OK) {
			v[i].message_id = message_id_of(m.data, m.len);
			v[i].subject = header_of(m.data, m.len, "Subject");
			v[i].to = header_of(m.data, m.len, "To");
			if (v[i].state == SEND_QUEUED && was_submitted(ob, v[i].message_id))
				v[i].state = SEND_SUBMITTED;
		}
		buf_release(&m);
	}
	free(ids);
	*out = v;
	*n = nids;
	return WARY_OK;
}

void send_outbox_entries_free(struct send_outbox_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].message_id);
		free(v[i].subject);
		free(v[i].to);
		free(v[i].last_error);
	}
	free(v);
}

/* --------------------------------------------------------- envelope */

int send_envelope(const char *msg, size_t len, char **from, char ***rcpts, size_t *nrcpt,
                  struct buf *out, char *err, size_t errlen)
{
	struct mail_msg *m = NULL;
	static const char *const fields[] = { "To", "Cc", "Bcc" };
	char **all = NULL;
	size_t nall = 0, i, j;
	int rc;
	const char *p = msg, *end = msg + len;

	*from = NULL;
	*rcpts = NULL;
	*nrcpt = 0;
	rc = mail_parse(msg, len, &m, err, errlen);
	if (rc != WARY_OK)
		return rc;
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		size_t nh = mail_header_count(m);

		for (j = 0; j < nh; j++) {
			struct mail_addr_list l = { NULL, 0 };
			char e[128];

			if (str_casecmp(mail_header_name(m, j), fields[i]) != 0)
				continue;
			mail_addr_parse(mail_header_value(m, j), &l, e, sizeof(e));
			for (size_t k = 0; k < l.n; k++) {
				size_t d;

				if (l.v[k].address == NULL || l.v[k].domain == NULL)
					continue;
				for (d = 0; d < nall; d++)
					if (str_casecmp(all[d], l.v[k].address) == 0)
						break;
				if (d < nall)
					continue;
				all = xreallocarray(all, nall + 1, sizeof(*all));
				all[nall++] = xstrdup(l.v[k].address);
			}
			mail_addr_list_clear(&l);
		}
	}
	{
		struct mail_from f;

		memset(&f, 0, sizeof(f));
		mail_from_get(m, &f);
		if (f.address && !f.ambiguous)
			*from = xstrdup(f.address);
		mail_from_clear(&f);
	}
	mail_free(&m);
	if (*from == NULL) {
		send_strv_free(all, nall);
		return err_set(err, errlen, WARY_EPARSE, "the message has no single From address");
	}
	if (nall == 0) {
		free(*from);
		*from = NULL;
		return err_set(err, errlen, WARY_EPARSE, "the message has no recipients");
	}
	/* The bytes that go out: the header block without Bcc (and its
	 * continuation lines), the body untouched. */
	if (out != NULL) {
		bool skipping = false;

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl + 1 : end;

			if (le - p <= 2 && (p[0] == '\n' || (p[0] == '\r' && le - p == 2))) {
				buf_add(out, p, (size_t)(end - p));
				break;
			}
			if (p[0] == ' ' || p[0] == '\t') {
				if (!skipping)
					buf_add(out, p, (size_t)(le - p));
			} else {
				skipping = str_ncasecmp(p, "Bcc:", 4) == 0 || str_ncasecmp(p, "Bcc :", 5) == 0;
				if (!skipping)
					buf_add(out, p, (size_t)(le - p));
			}
			p = le;
		}
	}
	*rcpts = all;
	*nrcpt = nall;
	return WARY_OK;
}

/* ------------------------------------------------------------ flush */

struct dot_ctx {
	struct send_outbox *ob;
	const char *id;
};

static int before_dot(void *ctx)
{
	struct dot_ctx *d = ctx;
	char e[WARY_ERRLEN];

	/* a crash here leaves the message queued: the server drops a
	 * transaction without its final dot, so sending again is right */
	step(d->ob, "before-dot");
	return write_state(d->ob, d->id, "submitting", NULL, e, sizeof(e));
}

/* Is there a message with this Message-ID in the Maildir already? */
static bool maildir_has(const char *maildir, const char *msgid)
{
	static const char *const sub[] = { "cur", "new" };
	bool found = false;

	for (size_t s = 0; s < 2 && !found; s++) {
		char *p = xasprintf("%s/%s", maildir, sub[s]);
		DIR *d = opendir(p);
		struct dirent *de;

		while (d && !found && (de = readdir(d)) != NULL) {
			char *f, *v;
			struct buf b = BUF_INIT;
			char e[64];

			if (de->d_name[0] == '.')
				continue;
			buf_init(&b);
			f = xasprintf("%s/%s", p, de->d_name);
			if (fs_read_file(f, &b, OUTBOX_MAX_MSG, e, sizeof(e)) == WARY_OK) {
				v = message_id_of(b.data, b.len);
				found = v && strcmp(v, msgid) == 0;
				free(v);
			}
			free(f);
			buf_release(&b);
		}
		if (d)
			closedir(d);
		free(p);
	}
	return found;
}

static int store_has(struct store *s, const char *folder, const char *msgid, bool *has, char *err,
                     size_t errlen)
{
	struct buf q = BUF_INIT;
	struct pattern *p = NULL;
	char **keys = NULL, *prev;
	size_t n = 0;
	int rc;

	*has = false;
	buf_init(&q);
	buf_adds(&q, "~h \"Message-ID: ");
	for (const char *c = msgid; *c; c++) {
		if (*c == '"' || *c == '\\')
			buf_addch(&q, '\\');
		buf_addch(&q, *c);
	}
	buf_addch(&q, '"');
	/* the store may be the one the index shows: select its folder back after */
	prev = xstrdup_null(store_current(s));
	rc = store_select(s, folder, err, errlen);
	if (rc == WARY_OK)
		rc = pattern_parse(q.data, q.len, time(NULL), &p, err, errlen);
	if (rc == WARY_OK)
		rc = store_search(s, p, &keys, &n, err, errlen);
	if (rc == WARY_OK)
		*has = n > 0;
	if (prev != NULL && strcmp(prev, folder) != 0) {
		char e2[WARY_ERRLEN];

		store_select(s, prev, e2, sizeof(e2));
	}
	free(prev);
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	pattern_free(&p);
	buf_release(&q);
	return rc;
}

static int store_sent(struct send_outbox *ob, const struct send_sent *sent, const char *msg,
                      size_t len, const char *msgid, char *err, size_t errlen)
{
	bool has = false;
	int rc = WARY_OK;

	if (sent == NULL || (sent->store == NULL && sent->maildir == NULL && sent->unavailable == NULL))
		return WARY_OK;
	if (sent->unavailable != NULL)
		return err_set(err, errlen, WARY_ENET, "Sent is not reachable: %s", sent->unavailable);
	if (sent->maildir != NULL) {
		if (msgid && maildir_has(sent->maildir, msgid))
			return WARY_OK;
		rc = maildir_deliver(sent->maildir, msg, len, STORE_SEEN, NULL, err, errlen);
	} else {
		char *special = NULL;
		const char *folder = sent->folder;

		if (folder == NULL) {
			/* the folder the server marks \Sent (RFC 6154), else "Sent" */
			struct store_folder *v = NULL;
			size_t n = 0;
			char e2[WARY_ERRLEN];

			if (store_list_folders(sent->store, &v, &n, e2, sizeof(e2)) == WARY_OK)
				for (size_t i = 0; i < n && special == NULL; i++)
					if (v[i].special && strcmp(v[i].special, "sent") == 0 && v[i].id)
						special = xstrdup(v[i].id);
			store_folders_free(&v, n);
			folder = special ? special : "Sent";
		}
		if (msgid)
			rc = store_has(sent->store, folder, msgid, &has, err, errlen);
		if (rc == WARY_OK && !has)
			rc = store_append(sent->store, folder, msg, len, STORE_SEEN, NULL, err, errlen);
		free(special);
	}
	if (rc == WARY_OK)
		step(ob, "appended");
	return rc;
}

static int flush_one(struct send_outbox *ob, const struct send_account *a,
                     const struct send_sent *sent, bool retry, const char *id,
                     struct send_flush_report *rep, char *err, size_t errlen)
{
	struct buf msg = BUF_INIT, wire = BUF_INIT;
	char *from = NULL, **rcpts = NULL, *msgid = NULL, *last = NULL;
	size_t nrcpt = 0;
	enum send_state st;
	int rc;

	buf_init(&msg);
	buf_init(&wire);
	rc = read_msg(ob, id, &msg, err, errlen);
	if (rc != WARY_OK)
		goto out;
	msgid = message_id_of(msg.data, msg.len);
	st = read_state(ob, id, &last);
	if (st == SEND_QUEUED && msgid && was_submitted(ob, msgid))
		st = SEND_SUBMITTED;
	if (st == SEND_SUBMITTING && !retry) {
		rep->held++;
		rc = err_set(err, errlen, WARY_ERR,
		             "%s may have been sent already (the connection ended after the message "
		             "went out); `wary outbox retry` sends it again",
		             msgid ? msgid : id);
		goto out;
	}
	if (st == SEND_QUEUED || st == SEND_SUBMITTING) {
		struct dot_ctx dc = { ob, id };

		rc = send_envelope(msg.data, msg.len, &from, &rcpts, &nrcpt, &wire, err, errlen);
		if (rc != WARY_OK)
			goto out;
		rc = send_submit(a, from, rcpts, nrcpt, wire.data, wire.len, &rep->last, before_dot, &dc,
		                 ob->hook, err, errlen);
		if (rc != WARY_OK) {
			char e2[WARY_ERRLEN];
			/* A refusal of the final dot, or any error before it, means the
			 * server has not taken it; a dropped connection after the dot
			 * leaves it uncertain. */
			enum send_state now = read_state(ob, id, NULL);
			bool uncertain = now == SEND_SUBMITTING && rc == WARY_ENET;

			write_state(ob, id, uncertain ? "submitting" : "queued", err, e2, sizeof(e2));
			goto out;
		}
		if (msgid) {
			rc = record_submitted(ob, msgid, err, errlen);
			if (rc != WARY_OK)
				goto out;
		}
		rc = write_state(ob, id, "submitted", NULL, err, errlen);
		if (rc != WARY_OK)
			goto out;
		rep->sent++;
		step(ob, "submitted");
		st = SEND_SUBMITTED;
	}
	if (st == SEND_SUBMITTED) {
		rc = store_sent(ob, sent, msg.data, msg.len, msgid, err, errlen);
		if (rc != WARY_OK) {
			char e2[WARY_ERRLEN];

			write_state(ob, id, "submitted", err, e2, sizeof(e2));
			goto out;
		}
		rc = write_state(ob, id, "stored", NULL, err, errlen);
		if (rc != WARY_OK)
			goto out;
		rep->stored++;
		step(ob, "stored");
	}
	{
		char *p = xasprintf("%s/new/%s", ob->dir, id), *s = state_path(ob, id);
		char *nd = xasprintf("%s/new", ob->dir), *sd = xasprintf("%s/state", ob->dir);

		if (unlink(p) != 0 && errno != ENOENT)
			rc = err_set(err, errlen, WARY_EIO, "%s: %s", p, strerror(errno));
		if (rc == WARY_OK)
			rc = fs_fsync_dir(nd, err, errlen);
		if (rc == WARY_OK) {
			unlink(s);
			fs_fsync_dir(sd, err, errlen);
			step(ob, "removed");
		}
		free(p);
		free(s);
		free(nd);
		free(sd);
	}
out:
	free(from);
	send_strv_free(rcpts, nrcpt);
	free(msgid);
	free(last);
	buf_release(&msg);
	buf_release(&wire);
	return rc;
}

int send_outbox_flush(struct send_outbox *ob, const struct send_account *a,
                      const struct send_sent *sent, bool retry, const char *only_id,
                      struct send_flush_report *rep, char *err, size_t errlen)
{
	char **ids = NULL;
	size_t n = 0, i;
	int rc, first = WARY_OK;

	memset(rep, 0, sizeof(*rep));
	rc = list_ids(ob, &ids, &n, err, errlen);
	if (rc != WARY_OK)
		return rc;
	for (i = 0; i < n; i++) {
		char e[WARY_ERRLEN];

		if (only_id && strcmp(only_id, ids[i]) != 0)
			continue;
		size_t held = rep->held;

		rc = flush_one(ob, a, sent, retry, ids[i], rep, e, sizeof(e));
		if (rc != WARY_OK) {
			if (rep->held == held)
				rep->failed++;
			str_copy(rep->last_error, e, sizeof(rep->last_error));
			if (first == WARY_OK) {
				first = rc;
				str_copy(err, e, errlen);
			}
		}
	}
	send_strv_free(ids, n);
	return first;
}

int send_outbox_confirm(struct send_outbox *ob, const char *id, char *err, size_t errlen)
{
	struct buf msg = BUF_INIT;
	char *msgid = NULL;
	int rc;

	buf_init(&msg);
	rc = read_msg(ob, id, &msg, err, errlen);
	if (rc == WARY_OK && read_state(ob, id, NULL) != SEND_SUBMITTING)
		rc = err_set(err, errlen, WARY_ERR, "%s is not waiting for a decision", id);
	if (rc == WARY_OK && (msgid = message_id_of(msg.data, msg.len)) != NULL)
		rc = record_submitted(ob, msgid, err, errlen);
	if (rc == WARY_OK)
		rc = write_state(ob, id, "submitted", NULL, err, errlen);
	free(msgid);
	buf_release(&msg);
	return rc;
}
