/*
 * The compose view, as in mutt: the text is written in $EDITOR (with the
 * header fields in the file when edit_headers is set), then the view
 * shows From, To, Cc, Bcc, Subject, the OpenPGP choice and the
 * attachments; keys edit the fields (Tab completes addresses from the
 * aliases and the folder's senders), attach and detach files, postpone
 * and send.  The draft is autosaved after every change into the
 * postponed directory, so a crash loses nothing.  Sending checks the
 * message (send/dlp) on this thread, then the worker builds, stamps,
 * signs or encrypts, queues in the outbox (the message is on disk from
 * then on) and submits, with each step on the status line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "mail/mail.h"
#include "ui/app_int.h"
#include "ui/compose.h"

enum cprompt { CP_NONE, CP_FROM, CP_TO, CP_CC, CP_BCC, CP_SUBJECT, CP_ATTACH, CP_DLP, CP_ABORT,
               CP_PICK };

struct compose {
	struct send_setup setup;
	bool setup_ok;
	char setup_err[WARY_ERRLEN];
	struct send_draft d;
	char *path;          /* the autosaved draft */
	bool active;
	enum view from_view;
	size_t cursor;       /* attachment row */
	bool sign, encrypt;
	bool have_crypto;
	enum cprompt cp;
	int pending_reply;   /* KF_* waiting for the message to arrive, 0: none */
	struct send_book *book;
	char dlp_text[400];
	char dlp_lines[8][200]; /* every hit shown, up to 8 */
	size_t ndlp, dlp_total;
	bool sending;
	struct keypick *kp;  /* recipient keys picked for this message */
};

static struct compose *cs(struct app *a)
{
	if (a->compose == NULL) {
		struct compose *c = xcalloc(1, sizeof(struct compose));

		c->kp = keypick_new();
		a->compose = c;
	}
	return a->compose;
}

/* ------------------------------------------------------------ worker side */

/* The account's own password command first (the SMTP password is often
 * the IMAP one, which the store's way then supplies or asks for). */
struct wsecret {
	const struct send_setup *s;
	const struct worker_send_env *env;
};

static int worker_secret(void *ctx, const char *what, char *buf, size_t len)
{
	struct wsecret *ws = ctx;
	const char *cmd = strcmp(what, "token") == 0 ? ws->s->token_command : ws->s->password_command;
	char err[WARY_ERRLEN];

	if (cmd && *cmd)
		return worker_run_secret_command(cmd, buf, len, err, sizeof(err));
	return ws->env->secret ? ws->env->secret(ws->env->secret_ctx, what, buf, len) : WARY_ERR;
}

/* On the worker's thread: arg is "flush", or "PGP\tPATH" with the draft. */
static int worker_sender(void *ctx, const char *arg, const struct worker_send_env *env,
                         struct buf *out, char *err, size_t errlen)
{
	struct compose *c = ctx;
	struct send_setup s = c->setup;
	struct wsecret ws = { &c->setup, env };
	struct send_flush_report rep;
	int rc = WARY_OK;

	s.a.secret = worker_secret;
	s.a.secret_ctx = &ws;
	s.a.progress = env->progress;
	s.a.progress_ctx = env->progress_ctx;
	if (arg != NULL && strcmp(arg, "flush") != 0) {
		const char *tab = strchr(arg, '\t');
		unsigned pgp = (unsigned)atoi(arg);
		struct send_draft d;
		struct buf f = BUF_INIT;
		char *id = NULL, *path = NULL, **keys = NULL;
		size_t nkeys = 0;
		long ms = 0;

		buf_init(&f);
		send_draft_init(&d);
		if (tab) {
			/* PATH, then "\naddress=FPR" for each key picked */
			const char *nl = strchr(tab + 1, '\n');

			path = nl ? xstrndup(tab + 1, (size_t)(nl - tab - 1)) : xstrdup(tab + 1);
			while (nl) {
				const char *next = strchr(nl + 1, '\n');

				keys = xreallocarray(keys, nkeys + 1, sizeof(*keys));
				keys[nkeys++] = next ? xstrndup(nl + 1, (size_t)(next - nl - 1)) : xstrdup(nl + 1);
				nl = next;
			}
			s.pgp_keys = keys;
			s.npgp_keys = nkeys;
		}
		rc = path ? compose_draft_load(path, &f, err, errlen) : err_set(err, errlen, WARY_ERR, "no draft");
		if (rc == WARY_OK)
			rc = send_draft_from_edit(&d, f.data, f.len, true, err, errlen);
		if (rc == WARY_OK)
			rc = compose_draft_open_attachments(&d, err, errlen);
		if (rc == WARY_OK) {
			if (s.hashcash_bits && env->progress)
				env->progress(env->progress_ctx, "minting hashcash stamps");
			rc = send_setup_queue(&s, &d, pgp, &id, &ms, err, errlen);
		}
		if (rc == WARY_OK) {
			/* the message is in the outbox now: the draft has done its job */
			char *eml = xasprintf("%s.eml", path);

			unlink(path);
			unlink(eml);
			free(eml);
			if (ms > 0)
				buf_addf(out, "hashcash %u bits in %ld ms; ", s.hashcash_bits, ms);
		}
		free(id);
		free(path);
		send_strv_free(keys, nkeys);
		send_draft_clear(&d);
		if (f.data)
			explicit_bzero(f.data, f.cap);
		buf_release(&f);
		if (rc != WARY_OK)
			return rc;
	}
	rc = send_setup_flush(&s, env->store, false, NULL, &rep, err, errlen);
	buf_addf(out, "%zu sent, %zu stored in %s", rep.sent, rep.stored, s.sent_folder);
	if (rep.held)
		buf_addf(out, ", %zu held (wary outbox list)", rep.held);
	return rc;
}

void compose_init(struct app *a)
{
	struct compose *c = cs(a);
	const char *acct = a->wa ? a->wa->acct.name : NULL;

	c->setup_ok = send_setup_from_config(a->cfg, acct, &c->setup, c->setup_err,
	                                     sizeof(c->setup_err)) == WARY_OK;
	if (!c->setup_ok && acct != NULL) {
		/* the open account may not send; another one may */
		send_setup_clear(&c->setup);
		c->setup_ok = send_setup_from_config(a->cfg, NULL, &c->setup, c->setup_err,
		                                     sizeof(c->setup_err)) == WARY_OK;
	}
	{
		struct crypto *cr = NULL;
		char err[WARY_ERRLEN];

		c->have_crypto = crypto_new(&cr, err, sizeof(err)) == WARY_OK;
		crypto_free(&cr);
	}
	if (!c->setup_ok)
		return;
	if (a->wa == NULL && a->location && a->location[0] && !c->setup.imap) {
		/* a Maildir opened with -f keeps its own Sent */
		free(c->setup.sent_maildir);
		c->setup.sent_maildir = xasprintf("%s/.%s", a->location, c->setup.sent_folder);
	}
	worker_set_sender(a->wk, worker_sender, c);
	/* finish what an earlier run left in the outbox */
	{
		struct send_outbox *ob = NULL;
		struct send_outbox_entry *v = NULL;
		size_t n = 0;
		char err[WARY_ERRLEN];

		if (send_outbox_open(c->setup.outbox_dir, &ob, err, sizeof(err)) == WARY_OK &&
		    send_outbox_list(ob, &v, &n, err, sizeof(err)) == WARY_OK && n > 0)
			worker_send(a->wk, WK_SEND, a->gen, "flush", 0, 0);
		send_outbox_entries_free(v, n);
		send_outbox_free(&ob);
	}
}

void compose_free(struct app *a)
{
	struct compose *c = a->compose;

	if (c == NULL)
		return;
	send_setup_clear(&c->setup);
	send_draft_clear(&c->d);
	send_book_free(&c->book);
	keypick_free(&c->kp);
	free(c->path);
	free(c);
	a->compose = NULL;
}

/* ------------------------------------------------------------- drafts */

static char *drafts_dir(const struct app *a)
{
	const char *p = config_get(a->cfg, "postponed");

	return xstrdup(p ? p : ".");
}

/* encrypt_drafts: the account's own key (signing_key, else From). */
static const char *draft_key(struct app *a)
{
	struct compose *c = cs(a);
	const char *v = config_account_get(a->cfg, c->setup.account, "encrypt_drafts");

	/* "default" (no account section) takes the global setting */
	if (!(v ? strcmp(v, "yes") == 0 : config_get_bool(a->cfg, "encrypt_drafts")))
		return NULL;
	return c->setup.signing_key && *c->setup.signing_key ? c->setup.signing_key : c->setup.a.from;
}

static int autosave(struct app *a)
{
	struct compose *c = cs(a);
	struct buf b = BUF_INIT;
	char err[WARY_ERRLEN];
	int rc;

	buf_init(&b);
	if (c->path == NULL) {
		char *dir = drafts_dir(a), hex[17];

		if (fs_mkdir_p(dir, 0700, err, sizeof(err)) != WARY_OK) {
			app_say(a, true, "Cannot autosave the draft: %s", err);
			free(dir);
			return WARY_EIO;
		}
		{
			unsigned char r[8];
			FILE *u = fopen("/dev/urandom", "rbe");

			if (u == NULL || fread(r, 1, sizeof(r), u) != sizeof(r))
				memset(r, 0, sizeof(r));
			if (u)
				fclose(u);
			for (size_t i = 0; i < sizeof(r); i++)
				snprintf(hex + 2 * i, 3, "%02x", r[i]);
		}
		c->path = xasprintf("%s/%ld.%s.draft", dir, (long)time(NULL), hex);
		free(dir);
	}
	send_draft_to_edit(&c->d, true, &b);
	rc = compose_draft_store(c->path, b.data, b.len, draft_key(a), err, sizeof(err));
	if (rc != WARY_OK)
		app_say(a, true, "Cannot autosave the draft: %s", err);
	explicit_bzero(b.data, b.cap);
	buf_release(&b);
	return rc;
}

static const char *editor(const struct app *a)
{
	const char *e = config_get(a->cfg, "editor");

	if (e == NULL || *e == '\0')
		e = getenv("VISUAL");
	if (e == NULL || *e == '\0')
		e = getenv("EDITOR");
	return e && *e ? e : "vi";
}

/* $EDITOR on the draft's text (with the header when edit_headers). */
static int run_editor(struct app *a)
{
	struct compose *c = cs(a);
	bool headers = config_get_bool(a->cfg, "edit_headers");
	struct buf b = BUF_INIT, tmpdir = BUF_INIT, back = BUF_INIT;
	char err[WARY_ERRLEN], *file = NULL;
	int rc, st = -1;

	buf_init(&b);
	buf_init(&tmpdir);
	buf_init(&back);
	send_draft_to_edit(&c->d, headers, &b);
	rc = fs_private_tmpdir(&tmpdir, err, sizeof(err));
	if (rc == WARY_OK) {
		file = xasprintf("%s/message.txt", tmpdir.data);
		rc = fs_write_atomic(file, b.data, b.len, 0600, err, sizeof(err));
	}
	if (rc != WARY_OK) {
		app_say(a, true, "Cannot write the draft for the editor: %s", err);
		goto out;
	}
	def_prog_mode();
	endwin();
	{
		pid_t pid = fork();

		if (pid == 0) {
			char *script = xasprintf("%s \"$1\"", editor(a));

			execl("/bin/sh", "sh", "-c", script, "sh", file, (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
	}
	reset_prog_mode();
	refresh();
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		app_say(a, true, "The editor failed (%s); the draft is as it was.", editor(a));
		rc = WARY_ERR;
		goto out;
	}
	rc = fs_read_file(file, &back, 16u * 1024 * 1024, err, sizeof(err));
	if (rc == WARY_OK)
		rc = send_draft_from_edit(&c->d, back.data, back.len, headers, err, sizeof(err));
	if (rc != WARY_OK)
		app_say(a, true, "%s", err);
	else
		autosave(a);
out:
	if (file) {
		/* the editor's file and whatever it left beside it (backups,
		 * swap files): the clear text lives only in memory and the draft */
		DIR *dd = opendir(tmpdir.data);
		struct dirent *de;

		unlink(file);
		while (dd && (de = readdir(dd)) != NULL) {
			char *p;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			p = xasprintf("%s/%s", tmpdir.data, de->d_name);
			unlink(p);
			free(p);
		}
		if (dd)
			closedir(dd);
		rmdir(tmpdir.data);
	}
	free(file);
	buf_release(&b);
	buf_release(&tmpdir);
	buf_release(&back);
	return rc;
}

static void enter(struct app *a)
{
	struct compose *c = cs(a);

	c->active = true;
	c->cursor = 0;
	c->sign = c->encrypt = false;
	keypick_reset(c->kp);
	c->from_view = a->view == V_COMPOSE ? V_INDEX : a->view;
	autosave(a);
	run_editor(a);
	a->view = V_COMPOSE;
}

static bool ready(struct app *a)
{
	struct compose *c = cs(a);

	if (!c->setup_ok) {
		app_say(a, true, "Cannot send: %s", c->setup_err);
		return false;
	}
	if (c->active) {
		a->view = V_COMPOSE;
		app_say(a, false, "A message is being written already.");
		return false;
	}
	return true;
}

static void add_signature(struct app *a)
{
	struct compose *c = cs(a);
	const char *sig = config_account_get(a->cfg, c->setup.account, "signature");
	char err[WARY_ERRLEN];

	if (sig == NULL)
		sig = config_get(a->cfg, "signature");
	if (sig != NULL && send_add_signature(&c->d, sig, err, sizeof(err)) != WARY_OK)
		app_say(a, true, "signature: %s", err);
}

static void start_new(struct app *a)
{
	struct compose *c = cs(a);

	send_draft_clear(&c->d);
	send_draft_init(&c->d);
	free(c->path);
	c->path = NULL;
	c->d.from = xstrdup(c->setup.a.from);
	add_signature(a);
	enter(a);
}

static void start_from_message(struct app *a, enum km_func f)
{
	struct compose *c = cs(a);
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];
	const char *attr = config_account_get(a->cfg, c->setup.account, "attribution");
	int rc;

	if (attr == NULL)
		attr = config_get(a->cfg, "attribution");
	rc = mail_parse(a->msg_bytes.data, a->msg_bytes.len, &m, err, sizeof(err));
	send_draft_clear(&c->d);
	send_draft_init(&c->d);
	free(c->path);
	c->path = NULL;
	if (rc == WARY_OK) {
		if (f == KF_FORWARD || f == KF_FORWARD_ATTACHED)
			rc = send_forward_draft(m, f == KF_FORWARD_ATTACHED, c->setup.a.from, &c->d, err,
			                        sizeof(err));
		else
			rc = send_reply_draft(m, f == KF_REPLY ? SEND_REPLY_SENDER :
			                         f == KF_GROUP_REPLY ? SEND_REPLY_ALL : SEND_REPLY_LIST,
			                      c->setup.a.from, (const char *const *)c->setup.me, c->setup.nme,
			                      attr, &c->d, err, sizeof(err));
	}
	mail_free(&m);
	if (rc != WARY_OK) {
		app_say(a, true, "%s", err);
		send_draft_clear(&c->d);
		return;
	}
	add_signature(a);
	enter(a);
	if (f == KF_FORWARD_ATTACHED && c->d.natt == 1 && c->d.att[0].path == NULL) {
		/* the original bytes ride in the draft file as a private copy */
		char *p = xasprintf("%s.eml", c->path);
		char e2[WARY_ERRLEN];

		if (compose_draft_store(p, c->d.att[0].data, c->d.att[0].len, draft_key(a), e2,
		                        sizeof(e2)) == WARY_OK)
			c->d.att[0].path = p;
		else
			free(p);
		autosave(a);
	}
}

/* The message under the cursor (or in the pager), then the reply. */
static void reply_to_current(struct app *a, enum km_func f)
{
	struct compose *c = cs(a);
	const struct store_row *r = index_row(a->ix, index_cursor(a->ix));

	if (a->view == V_PAGER && a->msg_loaded) {
		start_from_message(a, f);
		return;
	}
	if (r == NULL) {
		app_say(a, true, "No message to answer.");
		return;
	}
	if (a->msg_key && strcmp(a->msg_key, r->key) == 0 && a->msg_loaded) {
		start_from_message(a, f);
		return;
	}
	free(a->msg_key);
	a->msg_key = xstrdup(r->key);
	a->msg_loaded = false;
	a->want_view = V_COMPOSE;
	c->pending_reply = f;
	worker_send(a->wk, WK_FETCH, a->gen, r->key, 0, 0);
	app_say(a, false, "Reading the message...");
}

void compose_fetched(struct app *a)
{
	struct compose *c = cs(a);
	enum km_func f = (enum km_func)c->pending_reply;

	c->pending_reply = 0;
	a->want_view = V_PAGER;
	if (f != KF_NONE)
		start_from_message(a, f);
}

/* The newest postponed draft. */
static void recall(struct app *a)
{
	struct compose *c = cs(a);
	char *dir = drafts_dir(a), *best = NULL, err[WARY_ERRLEN];
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	struct buf b = BUF_INIT;

	buf_init(&b);
	while (d && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l < 7 || strcmp(e->d_name + l - 6, ".draft") != 0)
			continue;
		n++;
		if (best == NULL || strcmp(e->d_name, best) > 0) {
			free(best);
			best = xstrdup(e->d_name);
		}
	}
	if (d)
		closedir(d);
	if (best == NULL) {
		app_say(a, false, "No postponed messages.");
		goto out;
	}
	send_draft_clear(&c->d);
	send_draft_init(&c->d);
	free(c->path);
	c->path = xasprintf("%s/%s", dir, best);
	keypick_reset(c->kp);
	if (compose_draft_load(c->path, &b, err, sizeof(err)) != WARY_OK ||
	    send_draft_from_edit(&c->d, b.data, b.len, true, err, sizeof(err)) != WARY_OK ||
	    compose_draft_open_attachments(&c->d, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "%s", err);
		goto out;
	}
	c->active = true;
	c->cursor = 0;
	c->from_view = a->view;
	a->view = V_COMPOSE;
	if (n > 1)
		app_say(a, false, "Recalled the newest draft; %zu more postponed.", n - 1);
out:
	if (b.data)
		explicit_bzero(b.data, b.cap);
	buf_release(&b);
	free(best);
	free(dir);
}

static void leave(struct app *a, bool delete_draft)
{
	struct compose *c = cs(a);

	if (delete_draft && c->path) {
		char *eml = xasprintf("%s.eml", c->path);

		unlink(c->path);
		unlink(eml);
		free(eml);
	}
	free(c->path);
	c->path = NULL;
	send_draft_clear(&c->d);
	c->active = false;
	c->cp = CP_NONE;
	a->view = c->from_view == V_COMPOSE ? V_INDEX : c->from_view;
	if (a->view == V_PAGER && !a->msg_loaded)
		a->view = V_INDEX;
}

/* -------------------------------------------------------------- send */

static void start_cprompt(struct app *a, enum cprompt k, const char *label, const char *init);

static void really_send(struct app *a)
{
	struct compose *c = cs(a);
	struct buf arg = BUF_INIT;
	char err[WARY_ERRLEN];

	if (c->encrypt) {
		/* every recipient needs one key: picked here when it has several */
		int rc = keypick_check(c->kp, &c->d, err, sizeof(err));

		if (rc == WARY_ELIMIT) {
			start_cprompt(a, CP_PICK, "Key to encrypt to: 1-9 choose, c)ancel: ", NULL);
			return;
		}
		if (rc != WARY_OK) {
			app_say(a, true, "%s", err);
			return;
		}
	}
	if (autosave(a) != WARY_OK)
		return;
	/* the worker removes the draft once the message is in the outbox */
	buf_init(&arg);
	buf_addf(&arg, "%u\t%s", (c->sign ? 1u : 0u) | (c->encrypt ? 2u : 0u), c->path);
	if (c->encrypt)
		keypick_arg(c->kp, &arg);
	worker_send(a->wk, WK_SEND, a->gen, arg.data, 0, 0);
	buf_release(&arg);
	c->sending = true;
	free(c->path);
	c->path = NULL;
	send_draft_clear(&c->d);
	c->active = false;
	a->view = c->from_view == V_COMPOSE ? V_INDEX : c->from_view;
	if (a->view == V_PAGER && !a->msg_loaded)
		a->view = V_INDEX;
	app_say(a, false, "Sending...");
}

static void start_cprompt(struct app *a, enum cprompt k, const char *label, const char *init)
{
	struct compose *c = cs(a);

	c->cp = k;
	a->prompt = P_COMPOSE;
	str_copy(a->prompt_label, label, sizeof(a->prompt_label));
	buf_reset(&a->input);
	if (init)
		buf_adds(&a->input, init);
}

static void try_send(struct app *a)
{
	struct compose *c = cs(a);
	struct send_dlp_report r = { NULL, 0 };
	char **where = NULL, err[WARY_ERRLEN];

	if ((c->d.to == NULL || !*c->d.to) && (c->d.cc == NULL || !*c->d.cc) &&
	    (c->d.bcc == NULL || !*c->d.bcc)) {
		app_say(a, true, "No recipients.");
		return;
	}
	if (send_dlp_scan_draft(&c->d, c->setup.dlp_pattern, &r, &where, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "%s", err);
		return;
	}
	if (r.n == 0) {
		send_strv_free(where, 0);
		send_dlp_report_clear(&r);
		really_send(a);
		return;
	}
	if (r.n > 1)
		snprintf(c->dlp_text, sizeof(c->dlp_text), "%s (%s), and %zu more", r.v[0].what, where[0],
		         r.n - 1);
	else
		snprintf(c->dlp_text, sizeof(c->dlp_text), "%s (%s)", r.v[0].what, where[0]);
	c->dlp_total = r.n;
	c->ndlp = r.n < 8 ? r.n : 8;
	for (size_t i = 0; i < c->ndlp; i++)
		snprintf(c->dlp_lines[i], sizeof(c->dlp_lines[i]), "%s: %s (%s)",
		         send_dlp_kind_name(r.v[i].kind), r.v[i].what, where[i]);
	start_cprompt(a, CP_DLP,
	              c->have_crypto ? "Outbound check! s)end anyway, e)dit, E)ncrypt, c)ancel: " :
	                               "Outbound check! s)end anyway, e)dit, c)ancel: ",
	              NULL);
	send_strv_free(where, r.n);
	send_dlp_report_clear(&r);
}

/* ------------------------------------------------------------- prompts */

static void ensure_book(struct app *a)
{
	struct compose *c = cs(a);
	const char *af = config_get(a->cfg, "alias_file");
	char err[WARY_ERRLEN];

	if (c->book != NULL)
		return;
	c->book = send_book_new();
	if (af && access(af, R_OK) == 0)
		send_book_load_aliases(c->book, af, err, sizeof(err));
	for (size_t i = 0; i < index_count(a->ix) && i < 20000; i++) {
		const struct store_row *r = index_row(a->ix, i);

		if (r) {
			send_book_add_seen(c->book, r->from);
			send_book_add_seen(c->book, r->to);
		}
	}
}

static void complete(struct app *a)
{
	struct compose *c = cs(a);
	char *in = xstrdup(a->input.data), *last = strrchr(in, ','), **v = NULL;
	const char *word = last ? last + 1 : in;
	size_t n;

	while (*word == ' ')
		word++;
	ensure_book(a);
	n = send_book_complete(c->book, word, &v, 5);
	if (n == 0) {
		app_say(a, true, "No address starts with that.");
	} else {
		buf_reset(&a->input);
		if (last) {
			buf_add(&a->input, in, (size_t)(last - in) + 1);
			buf_addch(&a->input, ' ');
		}
		buf_adds(&a->input, v[0]);
		if (n > 1) {
			struct buf more = BUF_INIT;

			buf_init(&more);
			for (size_t i = 1; i < n; i++)
				buf_addf(&more, "%s%s", i > 1 ? " | " : "", v[i]);
			app_say(a, false, "Also: %s", more.data);
			buf_release(&more);
		}
	}
	send_strv_free(v, n);
	free(in);
}

static void set_from_input(char **field, const struct buf *in)
{
	free(*field);
	*field = in->len ? xstrdup(in->data) : NULL;
}

/* Returns true when it took the key; the line editing is app.c's. */
bool compose_prompt_key(struct app *a, int key)
{
	struct compose *c = cs(a);
	bool enter = key == '\n' || key == '\r' || key == KEY_ENTER;
	char err[WARY_ERRLEN];

	if (c->cp == CP_PICK) {
		a->prompt = P_NONE;
		c->cp = CP_NONE;
		if (key >= '1' && key <= '9' && keypick_choose(c->kp, (size_t)(key - '1'))) {
			really_send(a);
		} else {
			keypick_cancel(c->kp);
			app_say(a, false, "Not sent.");
		}
		return true;
	}
	if (c->cp == CP_DLP || c->cp == CP_ABORT) {
		enum cprompt k = c->cp;

		a->prompt = P_NONE;
		c->cp = CP_NONE;
		if (k == CP_ABORT) {
			if (key == 'y' || key == 'Y') {
				leave(a, true);
				app_say(a, false, "Message discarded.");
			}
			return true;
		}
		if (key == 's') {
			really_send(a);
		} else if (key == 'E' && c->have_crypto) {
			c->encrypt = true;
			really_send(a);
		} else if (key == 'e') {
			run_editor(a);
		} else {
			app_say(a, false, "Not sent.");
		}
		return true;
	}
	if (key == 27 || key == 7) {
		a->prompt = P_NONE;
		c->cp = CP_NONE;
		return true;
	}
	if (key == '\t' && (c->cp == CP_TO || c->cp == CP_CC || c->cp == CP_BCC)) {
		complete(a);
		return true;
	}
	if (!enter)
		return false;
	a->prompt = P_NONE;
	switch (c->cp) {
	case CP_FROM:
	case CP_TO:
	case CP_CC:
	case CP_BCC: {
		char **v = NULL;
		size_t n = 0;

		if (a->input.len && send_addresses(a->input.data, &v, &n, err, sizeof(err)) != WARY_OK) {
			app_say(a, true, "%s", err);
			break;
		}
		send_strv_free(v, n);
		set_from_input(c->cp == CP_FROM ? &c->d.from : c->cp == CP_TO ? &c->d.to :
		               c->cp == CP_CC ? &c->d.cc : &c->d.bcc, &a->input);
		autosave(a);
		break;
	}
	case CP_SUBJECT:
		set_from_input(&c->d.subject, &a->input);
		autosave(a);
		break;
	case CP_ATTACH:
		if (a->input.len == 0)
			break;
		{
			char *p = a->input.data[0] == '~' && getenv("HOME") ?
			          xasprintf("%s%s", getenv("HOME"), a->input.data + 1) : xstrdup(a->input.data);

			if (send_draft_attach_file(&c->d, p, NULL, err, sizeof(err)) != WARY_OK)
				app_say(a, true, "%s", err);
			else
				autosave(a);
			free(p);
		}
		break;
	case CP_NONE:
	case CP_DLP:
	case CP_ABORT:
	case CP_PICK:
		break;
	}
	c->cp = CP_NONE;
	return true;
}

/* ------------------------------------------------------------- keys */

bool compose_func(struct app *a, int fi)
{
	enum km_func f = (enum km_func)fi;
	struct compose *c = cs(a);

	switch (f) {
	case KF_MAIL:
		if (ready(a))
			start_new(a);
		return true;
	case KF_REPLY:
	case KF_GROUP_REPLY:
	case KF_LIST_REPLY:
	case KF_FORWARD:
	case KF_FORWARD_ATTACHED:
		if (ready(a))
			reply_to_current(a, f);
		return true;
	case KF_RECALL:
		if (ready(a))
			recall(a);
		return true;
	default:
		break;
	}
	if (a->view != V_COMPOSE)
		return false;
	switch (f) {
	case KF_SEND:
		try_send(a);
		return true;
	case KF_ATTACH_FILE:
		start_cprompt(a, CP_ATTACH, "Attach file: ", NULL);
		return true;
	case KF_DETACH_FILE:
		if (c->cursor < c->d.natt) {
			send_draft_detach(&c->d, c->cursor);
			if (c->cursor > 0 && c->cursor >= c->d.natt)
				c->cursor--;
			autosave(a);
		} else {
			app_say(a, true, "No attachment selected.");
		}
		return true;
	case KF_POSTPONE:
		/* not saved (e.g. encrypt_drafts without a key to encrypt to):
		 * the message stays here, with autosave's error on the status line */
		if (autosave(a) != WARY_OK || c->path == NULL)
			return true;
		free(c->path);
		c->path = NULL;
		leave(a, false);
		app_say(a, false, "Message postponed.");
		return true;
	case KF_EDIT_FROM:
		start_cprompt(a, CP_FROM, "From: ", c->d.from);
		return true;
	case KF_EDIT_TO:
		start_cprompt(a, CP_TO, "To: ", c->d.to);
		return true;
	case KF_EDIT_CC:
		start_cprompt(a, CP_CC, "Cc: ", c->d.cc);
		return true;
	case KF_EDIT_BCC:
		start_cprompt(a, CP_BCC, "Bcc: ", c->d.bcc);
		return true;
	case KF_EDIT_SUBJECT:
		start_cprompt(a, CP_SUBJECT, "Subject: ", c->d.subject);
		return true;
	case KF_EDIT_MESSAGE:
		run_editor(a);
		return true;
	case KF_PGP_SIGN:
	case KF_PGP_ENCRYPT:
		if (!c->have_crypto) {
			app_say(a, true, "OpenPGP is not available (GnuPG could not start).");
			return true;
		}
		if (f == KF_PGP_SIGN)
			c->sign = !c->sign;
		else
			c->encrypt = !c->encrypt;
		return true;
	case KF_NEXT_ENTRY:
	case KF_NEXT_UNDELETED:
	case KF_NEXT_LINE:
		if (c->cursor + 1 < c->d.natt)
			c->cursor++;
		return true;
	case KF_PREVIOUS_ENTRY:
	case KF_PREVIOUS_UNDELETED:
	case KF_PREVIOUS_LINE:
		if (c->cursor > 0)
			c->cursor--;
		return true;
	case KF_EXIT:
		start_cprompt(a, CP_ABORT, "Discard this message? (y/n) ", NULL);
		return true;
	case KF_QUIT:
		/* the draft is saved: quitting postpones it */
		autosave(a);
		free(c->path);
		c->path = NULL;
		leave(a, false);
		return false;
	case KF_HELP:
	case KF_REDRAW:
		return false;
	default:
		/* the other views' functions mean nothing here */
		return true;
	}
}

/* ------------------------------------------------------------- replies */

void compose_reply(struct app *a, const struct wk_reply *r)
{
	struct compose *c = cs(a);

	if (r->kind == WK_SEND_PROGRESS) {
		app_say(a, false, "Sending: %s...", r->data.data);
		return;
	}
	c->sending = false;
	if (r->status == WARY_OK)
		app_say(a, false, "%s: %s.", r->arg && strcmp(r->arg, "flush") == 0 ? "Outbox" : "Sent",
		        r->data.data);
	else
		app_say(a, true, "Not sent: %s (kept: wary outbox list, or R for the draft)", r->err);
}

/* ------------------------------------------------------------- drawing */

static void field(struct app *a, int y, const char *name, const char *value)
{
	char line[1200];

	snprintf(line, sizeof(line), "%8s: %s", name, value ? value : "");
	{
		char *s = safe_str(line, SAFE_LINE);

		app_put_padded(y, 0, s, COLS, a->attr[TH_NORMAL]);
		free(s);
	}
}

void compose_draw(struct app *a)
{
	struct compose *c = cs(a);
	int y = 1, rows = LINES - 3;
	char line[600];

	field(a, y++, "From", c->d.from);
	field(a, y++, "To", c->d.to);
	field(a, y++, "Cc", c->d.cc);
	field(a, y++, "Bcc", c->d.bcc);
	field(a, y++, "Subject", c->d.subject);
	if (c->d.reply_to)
		field(a, y++, "Reply-To", c->d.reply_to);
	field(a, y++, "PGP", !c->have_crypto ? "(not available)" :
	                    c->sign && c->encrypt ? "sign, encrypt" :
	                    c->sign ? "sign" : c->encrypt ? "encrypt" : "none");
	if (c->setup.hashcash_bits) {
		snprintf(line, sizeof(line), "%u bits per recipient", c->setup.hashcash_bits);
		field(a, y++, "Hashcash", line);
	}
	y++;
	{
		size_t lines = 0;
		const char *p = c->d.body ? c->d.body : "";

		for (; *p; p++)
			lines += *p == '\n';
		snprintf(line, sizeof(line), "-- text/plain, %zu bytes, %zu lines (e edits)",
		         c->d.body ? strlen(c->d.body) : 0, lines);
		app_put_padded(y++, 0, line, COLS, a->attr[TH_STATUS]);
	}
	for (size_t i = 0; i < c->d.natt && y < rows; i++) {
		const struct send_attach *at = &c->d.att[i];
		char *s;

		snprintf(line, sizeof(line), "%c %2zu %-24s %8zu  %s", i == c->cursor ? '>' : ' ', i + 1,
		         at->type ? at->type : "?", at->len, at->name ? at->name : "(no name)");
		s = safe_str(line, SAFE_LINE);
		app_put_padded(y++, 0, s, COLS,
		               i == c->cursor ? a->attr[TH_INDICATOR] : a->attr[TH_NORMAL]);
		free(s);
	}
	if (c->cp == CP_DLP && y + 1 < rows) {
		y++;
		snprintf(line, sizeof(line), "Outbound check found %zu thing%s that should not leave by mistake:",
		         c->dlp_total, c->dlp_total == 1 ? "" : "s");
		app_put_padded(y++, 0, line, COLS, a->attr[TH_CHROME_BAD]);
		for (size_t i = 0; i < c->ndlp && y < rows; i++) {
			char *s = safe_str(c->dlp_lines[i], SAFE_LINE);

			app_put_padded(y++, 2, s, COLS - 2, a->attr[TH_CHROME_BAD]);
			free(s);
		}
		if (c->dlp_total > c->ndlp && y < rows) {
			snprintf(line, sizeof(line), "... and %zu more", c->dlp_total - c->ndlp);
			app_put_padded(y++, 2, line, COLS - 2, a->attr[TH_CHROME_BAD]);
		}
	}
	if (c->cp == CP_PICK && y + 1 < rows)
		y = keypick_draw(c->kp, a, y + 1, rows);
	snprintf(line, sizeof(line), "compose -- %s%s", c->setup.account,
	         c->path ? " (autosaved)" : "");
	app_put_padded(LINES - 2, 0, line, COLS, a->attr[TH_STATUS]);
}
