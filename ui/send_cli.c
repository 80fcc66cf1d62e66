/*
 * Sending from the client and from scripts: an account's settings made
 * into a send account, queueing (hashcash, MIME, the outbox) and
 * flushing, and the `wary send` and `wary outbox` commands that the
 * kill tests drive.
 */
#include <errno.h>
#include <signal.h>
#include <strings.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "mail/mail.h"
#include "store/store.h"
#include "ui/cli.h"
#include "ui/compose.h"

/* The account that sends: the one asked for, else the first that can. */
static const char *pick_account(const struct config *cfg, const char *want)
{
	for (size_t i = 0; i < config_account_count(cfg); i++) {
		const char *n = config_account_name(cfg, i);

		if (want ? strcmp(want, n) == 0 :
		           config_account_get(cfg, n, "smtp_host") != NULL ||
		           config_account_get(cfg, n, "sendmail_command") != NULL)
			return n;
	}
	return NULL;
}

int send_setup_from_config(const struct config *cfg, const char *want, struct send_setup *s,
                           char *err, size_t errlen)
{
	const char *name = pick_account(cfg, want);
	const char *tls = NULL, *smtp_tls = NULL, *ob, *from, *real, *maildir;
	char **v = NULL;
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	if (want != NULL && name == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no account named %s in the config", want);
	if (name != NULL) {
		tls = config_account_get(cfg, name, "tls");
		smtp_tls = config_account_get(cfg, name, "smtp_tls");
		s->a.smtp_host = config_account_get(cfg, name, "smtp_host");
		s->a.smtp_port = (int)config_account_get_int(cfg, name, "smtp_port");
		if (smtp_tls == NULL || strcmp(smtp_tls, "auto") == 0)
			smtp_tls = tls;
		s->a.smtp_starttls = smtp_tls != NULL && strcmp(smtp_tls, "starttls") == 0;
		s->a.smtp_user = config_account_get(cfg, name, "smtp_user");
		if (s->a.smtp_user == NULL)
			s->a.smtp_user = config_account_get(cfg, name, "imap_user");
		s->a.ca_file = config_account_get(cfg, name, "ca_file");
		s->a.trusted_sha256 = config_account_get(cfg, name, "trusted_cert_sha256");
		s->a.auth = config_account_get(cfg, name, "auth");
		s->password_command = config_account_get(cfg, name, "password_command");
		s->token_command = config_account_get(cfg, name, "oauth_token_command");
	}
	s->account = xstrdup(name ? name : "default");
	s->a.name = s->account;
	s->a.sendmail_command = name ? config_account_get(cfg, name, "sendmail_command") :
	                               config_get(cfg, "sendmail_command");
	from = name ? config_account_get(cfg, name, "from") : config_get(cfg, "from");
	real = name ? config_account_get(cfg, name, "realname") : config_get(cfg, "realname");
	if (from == NULL)
		return err_set(err, errlen, WARY_ERR, "no from address set%s%s", name ? " for account " : "",
		               name ? name : "");
	if (real != NULL && strchr(from, '<') == NULL) {
		struct buf b = BUF_INIT;

		buf_init(&b);
		buf_addf(&b, "\"%s\" <%s>", real, from);
		s->a.from = buf_detach(&b, NULL);
	} else {
		s->a.from = xstrdup(from);
	}
	if (s->a.smtp_host == NULL && s->a.sendmail_command == NULL)
		return err_set(err, errlen, WARY_ERR, "account %s has neither smtp_host nor sendmail_command",
		               s->account);
	ob = config_get(cfg, "outbox");
	s->outbox_dir = xasprintf("%s/%s", ob ? ob : ".", s->account);
	s->sent_folder = name ? config_account_get(cfg, name, "sent_folder") :
	                        config_get(cfg, "sent_folder");
	if (s->sent_folder == NULL)
		s->sent_folder = "Sent";
	{
		const char *o = config_origin(cfg, name, "sent_folder");

		s->sent_folder_default = o == NULL || strcmp(o, "default") == 0;
	}
	s->imap = name && config_account_get(cfg, name, "imap_host") != NULL;
	maildir = name ? config_account_get(cfg, name, "maildir") : config_get(cfg, "mailbox");
	if (!s->imap && maildir != NULL)
		s->sent_maildir = xasprintf("%s/.%s", maildir, s->sent_folder);
	if (s->imap) {
		struct store_account *ac = &s->wa.acct;

		ac->name = s->account;
		ac->kind = "imap";
		ac->host = config_account_get(cfg, name, "imap_host");
		ac->port = (int)config_account_get_int(cfg, name, "imap_port");
		ac->user = config_account_get(cfg, name, "imap_user");
		ac->tls = tls && strcmp(tls, "starttls") == 0 ? STORE_TLS_STARTTLS : STORE_TLS_IMPLICIT;
		ac->ca_file = s->a.ca_file;
		ac->trusted_sha256 = s->a.trusted_sha256;
		ac->auth = s->a.auth;
		s->wa.password_command = s->password_command;
		s->wa.token_command = s->token_command;
	}
	s->hashcash_bits = (unsigned)(name ? config_account_get_int(cfg, name, "hashcash_bits") :
	                                     config_get_int(cfg, "hashcash_bits"));
	s->dlp_pattern = config_get(cfg, "dlp_pattern");
	s->signing_key = name ? config_account_get(cfg, name, "signing_key") : config_get(cfg, "signing_key");
	if (send_addresses(s->a.from, &v, &n, err, errlen) == WARY_OK) {
		s->me = v;
		s->nme = n;
	}
	return WARY_OK;
}

void send_setup_clear(struct send_setup *s)
{
	free(s->account);
	free((char *)s->a.from);
	free(s->outbox_dir);
	free(s->sent_maildir);
	send_strv_free(s->me, s->nme);
	memset(s, 0, sizeof(*s));
}

/* The body entity signed and/or encrypted (RFC 3156) by crypto/. */
static int build_pgp(struct send_setup *s, struct send_draft *d, unsigned pgp, struct buf *msg,
                     char *err, size_t errlen)
{
	struct crypto *c = NULL;
	struct buf ent = BUF_INIT, out = BUF_INIT;
	char **rc_all = NULL;
	size_t nall = 0;
	const char *signer = s->signing_key ? s->signing_key : s->nme ? s->me[0] : NULL;
	int rc;

	buf_init(&ent);
	buf_init(&out);
	rc = send_build_headers(d, NULL, msg, err, errlen);
	if (rc == WARY_OK)
		rc = send_build_entity(d, NULL, &ent, NULL, err, errlen);
	if (rc == WARY_OK)
		rc = crypto_new(&c, err, errlen);
	if (rc == WARY_OK && (pgp & 2)) {
		const char *lists[] = { d->to, d->cc, d->bcc };

		for (size_t k = 0; k < 3 && rc == WARY_OK; k++) {
			char **v = NULL;
			size_t n = 0;

			rc = send_addresses(lists[k], &v, &n, err, errlen);
			rc_all = xreallocarray(rc_all, nall + n + 1, sizeof(*rc_all));
			for (size_t i = 0; i < n; i++) {
				/* a key picked for this address replaces it */
				for (size_t j = 0; j < s->npgp_keys; j++) {
					const char *eq = strrchr(s->pgp_keys[j], '=');

					if (eq && (size_t)(eq - s->pgp_keys[j]) == strlen(v[i]) &&
					    strncasecmp(s->pgp_keys[j], v[i], strlen(v[i])) == 0) {
						free(v[i]);
						v[i] = xstrdup(eq + 1);
						break;
					}
				}
				rc_all[nall++] = v[i];
			}
			free(v);
		}
		if (rc == WARY_OK)
			rc = crypto_encrypt_entity(c, (const char *const *)rc_all, nall,
			                           (pgp & 1) ? signer : NULL, ent.data, ent.len, &out, err,
			                           errlen);
	} else if (rc == WARY_OK) {
		if (signer == NULL)
			rc = err_set(err, errlen, WARY_ERR, "no signing_key and no from address to sign with");
		else
			rc = crypto_sign_entity(c, signer, ent.data, ent.len, &out, err, errlen);
	}
	if (rc == WARY_OK)
		buf_add(msg, out.data, out.len);
	send_strv_free(rc_all, nall);
	crypto_free(&c);
	buf_release(&ent);
	buf_release(&out);
	return rc;
}

int send_setup_queue(struct send_setup *s, struct send_draft *d, unsigned pgp, char **id,
                     long *mint_ms, char *err, size_t errlen)
{
	struct send_outbox *ob = NULL;
	struct buf msg = BUF_INIT;
	int rc = WARY_OK;

	buf_init(&msg);
	*id = NULL;
	if (mint_ms)
		*mint_ms = 0;
	if (d->from == NULL)
		d->from = xstrdup_null(s->a.from);
	if (s->hashcash_bits > 0) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* To and Cc only: a stamp names its address, and every recipient
		 * sees the header, so one for a Bcc recipient would give them away */
		for (size_t k = 0; k < 2 && rc == WARY_OK; k++) {
			const char *list = k == 0 ? d->to : d->cc;
			char **v = NULL;
			size_t n = 0;

			rc = send_addresses(list, &v, &n, err, errlen);
			for (size_t i = 0; rc == WARY_OK && i < n; i++) {
				struct buf st = BUF_INIT;

				buf_init(&st);
				rc = send_hashcash_mint(v[i], s->hashcash_bits, 0, &st, NULL, err, errlen);
				if (rc == WARY_OK)
					send_draft_add_header(d, "X-Hashcash", st.data);
				buf_release(&st);
			}
			send_strv_free(v, n);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (mint_ms)
			*mint_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	}
	if (rc == WARY_OK)
		rc = pgp ? build_pgp(s, d, pgp, &msg, err, errlen) : send_build(d, NULL, &msg, err, errlen);
	if (rc == WARY_OK)
		rc = send_outbox_open(s->outbox_dir, &ob, err, errlen);
	if (rc == WARY_OK)
		rc = send_outbox_add(ob, msg.data, msg.len, id, err, errlen);
	send_outbox_free(&ob);
	buf_release(&msg);
	return rc;
}

/* The hook of the kill tests: WARY_TEST_SEND_KILL_AT names a step. */
static void test_hook(const char *step)
{
	const char *at = getenv("WARY_TEST_SEND_KILL_AT");

	if (at != NULL && strcmp(at, step) == 0)
		raise(SIGKILL);
}

struct cli_secret {
	struct send_setup *s;
};

static int cli_secret(void *ctx, const char *what, char *buf, size_t len)
{
	struct cli_secret *cs = ctx;
	bool token = strcmp(what, "token") == 0;
	const char *cmd = token ? cs->s->token_command : cs->s->password_command;
	char err[WARY_ERRLEN], prompt[512];
	int rc;

	if (cmd && *cmd) {
		rc = worker_run_secret_command(cmd, buf, len, err, sizeof(err));
		if (rc != WARY_OK)
			cli_complain("password_command", err);
		return rc;
	}
	snprintf(prompt, sizeof(prompt), "%s for %s: ", token ? "OAuth token" : "Password",
	         cs->s->account);
	return cli_ask_secret(prompt, buf, len);
}

static int store_secret(void *ctx, const char *what, char *buf, size_t len)
{
	return cli_secret(ctx, what, buf, len);
}

int send_setup_flush(struct send_setup *s, struct store *store, bool retry, const char *only,
                     struct send_flush_report *rep, char *err, size_t errlen)
{
	struct send_outbox *ob = NULL;
	struct send_sent sent;
	struct store *own = NULL;
	char serr[WARY_ERRLEN];
	int rc;

	memset(&sent, 0, sizeof(sent));
	memset(rep, 0, sizeof(*rep));
	rc = send_outbox_open(s->outbox_dir, &ob, err, errlen);
	if (rc != WARY_OK)
		return rc;
	send_outbox_set_hook(ob, getenv("WARY_TEST_SEND_KILL_AT") ? test_hook : NULL);
	if (s->imap) {
		/* not set by the user: the server's own \Sent folder */
		sent.folder = s->sent_folder_default ? NULL : s->sent_folder;
		if (store != NULL) {
			sent.store = store;
		} else {
			struct store_account acct = s->wa.acct;
			struct cli_secret *cs = xcalloc(1, sizeof(*cs));

			cs->s = s;
			acct.secret = store_secret;
			acct.secret_ctx = cs;
			if (store_open_account(&acct, &own, serr, sizeof(serr)) == WARY_OK)
				sent.store = own;
			else
				sent.unavailable = serr;
			free(cs);
		}
	} else if (s->sent_maildir) {
		sent.maildir = s->sent_maildir;
	}
	rc = send_outbox_flush(ob, &s->a, &sent, retry, only, rep, err, errlen);
	store_free(&own);
	send_outbox_free(&ob);
	return rc;
}

/* ------------------------------------------------------------- CLI */

static void print_safe(FILE *f, const char *label, const char *s)
{
	char *t = safe_str(s ? s : "", SAFE_LINE);

	fprintf(f, "%s%s", label, t);
	free(t);
}

static int cli_dlp(const struct send_setup *s, const struct send_draft *d)
{
	struct send_dlp_report r = { NULL, 0 };
	char **where = NULL, err[WARY_ERRLEN];
	int rc = send_dlp_scan_draft(d, s->dlp_pattern, &r, &where, err, sizeof(err));

	if (rc != WARY_OK) {
		fprintf(stderr, "wary: send: %s\n", err);
		send_dlp_report_clear(&r);
		return -1;
	}
	for (size_t i = 0; i < r.n; i++) {
		fprintf(stderr, "wary: send: outbound check: %s: ", send_dlp_kind_name(r.v[i].kind));
		print_safe(stderr, "", r.v[i].what);
		print_safe(stderr, " (", where ? where[i] : "");
		fputs(")\n", stderr);
	}
	send_strv_free(where, r.n);
	rc = (int)r.n;
	send_dlp_report_clear(&r);
	return rc;
}

static void report(const struct send_flush_report *rep)
{
	printf("outbox: %zu sent, %zu stored in Sent, %zu failed, %zu held\n", rep->sent, rep->stored,
	       rep->failed, rep->held);
	if (rep->last_error[0]) {
		print_safe(stderr, "wary: outbox: ", rep->last_error);
		fputc('\n', stderr);
	}
}

static void setup_secret(struct send_setup *s, struct cli_secret *cs)
{
	cs->s = s;
	s->a.secret = cli_secret;
	s->a.secret_ctx = cs;
}

static int cmd_send(struct send_setup *s, int argc, char **argv)
{
	struct send_draft d;
	struct buf file = BUF_INIT;
	struct send_flush_report rep;
	struct cli_secret cs;
	const char *path = NULL;
	bool raw = false, force = false, queue_only = false;
	unsigned pgp = 0;
	char err[WARY_ERRLEN], *id = NULL;
	long ms = 0;
	int rc, status = 1;

	send_draft_init(&d);
	buf_init(&file);
	setup_secret(s, &cs);
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--raw") == 0)
			raw = true;
		else if (strcmp(argv[i], "--force") == 0)
			force = true;
		else if (strcmp(argv[i], "--queue") == 0)
			queue_only = true;
		else if (strcmp(argv[i], "--sign") == 0)
			pgp |= 1;
		else if (strcmp(argv[i], "--encrypt") == 0)
			pgp |= 2;
		else if (path == NULL)
			path = argv[i];
	}
	if (path == NULL) {
		fputs("usage: wary send [-a ACCOUNT] [--raw] [--force] [--queue] [--sign] [--encrypt] FILE\n", stderr);
		return 2;
	}
	rc = strcmp(path, "-") == 0 ? WARY_OK : fs_read_file(path, &file, 0, err, sizeof(err));
	if (strcmp(path, "-") == 0) {
		char b[65536];
		size_t n;

		while ((n = fread(b, 1, sizeof(b), stdin)) > 0)
			buf_add(&file, b, n);
	}
	if (rc != WARY_OK) {
		fprintf(stderr, "wary: send: %s\n", err);
		goto out;
	}
	if (raw) {
		struct send_outbox *ob = NULL;

		rc = send_outbox_open(s->outbox_dir, &ob, err, sizeof(err));
		if (rc == WARY_OK)
			rc = send_outbox_add(ob, file.data, file.len, &id, err, sizeof(err));
		send_outbox_free(&ob);
	} else {
		rc = send_draft_from_edit(&d, file.data, file.len, true, err, sizeof(err));
		if (rc == WARY_OK && !force && cli_dlp(s, &d) != 0) {
			fputs("wary: send: not sent (--force sends anyway)\n", stderr);
			status = 3;
			goto out;
		}
		if (rc == WARY_OK)
			rc = send_setup_queue(s, &d, pgp, &id, &ms, err, sizeof(err));
		if (rc == WARY_OK && s->hashcash_bits)
			printf("hashcash: %u bits minted in %ld ms\n", s->hashcash_bits, ms);
	}
	if (rc != WARY_OK) {
		print_safe(stderr, "wary: send: ", err);
		fputc('\n', stderr);
		goto out;
	}
	printf("queued %s %s\n", id, d.message_id ? d.message_id : "");
	fflush(stdout);
	test_hook("queued");
	if (queue_only) {
		status = 0;
		goto out;
	}
	rc = send_setup_flush(s, NULL, false, NULL, &rep, err, sizeof(err));
	report(&rep);
	status = rc == WARY_OK ? 0 : 1;
out:
	free(id);
	send_draft_clear(&d);
	buf_release(&file);
	return status;
}

static int cmd_outbox(struct send_setup *s, int argc, char **argv)
{
	struct send_flush_report rep;
	struct cli_secret cs;
	char err[WARY_ERRLEN];
	int rc;

	setup_secret(s, &cs);
	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		struct send_outbox *ob = NULL;
		struct send_outbox_entry *v = NULL;
		size_t n = 0;

		rc = send_outbox_open(s->outbox_dir, &ob, err, sizeof(err));
		if (rc == WARY_OK)
			rc = send_outbox_list(ob, &v, &n, err, sizeof(err));
		for (size_t i = 0; rc == WARY_OK && i < n; i++) {
			print_safe(stdout, "", v[i].id);
			printf("\t%s", send_state_name(v[i].state));
			print_safe(stdout, "\t", v[i].message_id);
			print_safe(stdout, "\t", v[i].to);
			print_safe(stdout, "\t", v[i].subject);
			if (v[i].last_error)
				print_safe(stdout, "\t", v[i].last_error);
			fputc('\n', stdout);
		}
		send_outbox_entries_free(v, n);
		send_outbox_free(&ob);
		if (rc != WARY_OK)
			fprintf(stderr, "wary: outbox: %s\n", err);
		return rc == WARY_OK ? 0 : 1;
	}
	if (argc >= 1 && (strcmp(argv[0], "flush") == 0 || strcmp(argv[0], "retry") == 0)) {
		rc = send_setup_flush(s, NULL, strcmp(argv[0], "retry") == 0, argc > 1 ? argv[1] : NULL,
		                      &rep, err, sizeof(err));
		report(&rep);
		return rc == WARY_OK ? 0 : 1;
	}
	if (argc == 2 && strcmp(argv[0], "confirm") == 0) {
		struct send_outbox *ob = NULL;

		rc = send_outbox_open(s->outbox_dir, &ob, err, sizeof(err));
		if (rc == WARY_OK)
			rc = send_outbox_confirm(ob, argv[1], err, sizeof(err));
		send_outbox_free(&ob);
		if (rc != WARY_OK) {
			print_safe(stderr, "wary: outbox: ", err);
			fputc('\n', stderr);
			return 1;
		}
		rc = send_setup_flush(s, NULL, false, argv[1], &rep, err, sizeof(err));
		report(&rep);
		return rc == WARY_OK ? 0 : 1;
	}
	fputs("usage: wary outbox list | flush | retry [ID] | confirm ID\n", stderr);
	return 2;
}

/* wary compose --reply|--group|--list|--forward|--forward-attach FILE:
 * the draft a reply or forward starts from, in the editor's format. */
static int cmd_compose(struct send_setup *s, const struct config *cfg, int argc, char **argv)
{
	struct buf raw = BUF_INIT, out = BUF_INIT;
	struct mail_msg *m = NULL;
	struct send_draft d;
	const char *how = argc >= 2 ? argv[0] : "", *path = argc >= 2 ? argv[1] : NULL;
	const char *sig = config_account_get(cfg, s->account, "signature");
	const char *attr = config_account_get(cfg, s->account, "attribution");
	char err[WARY_ERRLEN];
	int rc = WARY_ERR;

	buf_init(&raw);
	buf_init(&out);
	send_draft_init(&d);
	if (config_account_count(cfg) == 0 || strcmp(s->account, "default") == 0) {
		sig = config_get(cfg, "signature");
		attr = config_get(cfg, "attribution");
	}
	if (path == NULL) {
		fputs("usage: wary compose --reply|--group|--list|--forward|--forward-attach FILE\n", stderr);
		return 2;
	}
	rc = fs_read_file(path, &raw, MAIL_MAX_SIZE, err, sizeof(err));
	if (rc == WARY_OK)
		rc = mail_parse(raw.data, raw.len, &m, err, sizeof(err));
	if (rc == WARY_OK) {
		if (strcmp(how, "--reply") == 0 || strcmp(how, "--group") == 0 || strcmp(how, "--list") == 0)
			rc = send_reply_draft(m, how[2] == 'r' ? SEND_REPLY_SENDER :
			                         how[2] == 'g' ? SEND_REPLY_ALL : SEND_REPLY_LIST,
			                      s->a.from, (const char *const *)s->me, s->nme, attr, &d, err,
			                      sizeof(err));
		else if (strcmp(how, "--forward") == 0 || strcmp(how, "--forward-attach") == 0)
			rc = send_forward_draft(m, how[9] == '-', s->a.from, &d, err, sizeof(err));
		else
			rc = err_set(err, sizeof(err), WARY_ERR, "unknown %s", how);
	}
	if (rc == WARY_OK && d.natt == 1 && d.att[0].inline_msg)
		d.att[0].path = xstrdup(path);
	if (rc == WARY_OK && sig != NULL)
		rc = send_add_signature(&d, sig, err, sizeof(err));
	if (rc == WARY_OK) {
		send_draft_to_edit(&d, true, &out);
		fwrite(out.data, 1, out.len, stdout);
	} else {
		print_safe(stderr, "wary: compose: ", err);
		fputc('\n', stderr);
	}
	mail_free(&m);
	send_draft_clear(&d);
	buf_release(&raw);
	buf_release(&out);
	return rc == WARY_OK ? 0 : 1;
}

/* The user's addresses: every from in the config. */
static size_t my_addresses(const struct config *cfg, char ***out)
{
	char **all = NULL;
	size_t n = 0;

	for (size_t i = 0; i <= config_account_count(cfg); i++) {
		const char *f = i < config_account_count(cfg) ?
		                config_account_get(cfg, config_account_name(cfg, i), "from") :
		                config_get(cfg, "from");
		char **v = NULL, e[128];
		size_t k = 0;

		if (f && send_addresses(f, &v, &k, e, sizeof(e)) == WARY_OK) {
			all = xreallocarray(all, n + k + 1, sizeof(*all));
			for (size_t j = 0; j < k; j++)
				all[n++] = v[j];
			free(v);
		}
	}
	*out = all;
	return n;
}

/* wary hashcash mint ADDRESS BITS | check [--bits N] [--me ADDRESS]... FILE */
static int cmd_hashcash(const struct config *cfg, int argc, char **argv)
{
	char err[WARY_ERRLEN];
	int status = 2;

	if (argc == 3 && strcmp(argv[0], "mint") == 0) {
		struct buf st = BUF_INIT;
		uint64_t tries = 0;
		struct timespec t0, t1;

		buf_init(&st);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (send_hashcash_mint(argv[1], (unsigned)atoi(argv[2]), 0, &st, &tries, err, sizeof(err)) ==
		    WARY_OK) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			printf("X-Hashcash: %s\n", st.data);
			fprintf(stderr, "hashcash: %llu tries in %ld ms\n", (unsigned long long)tries,
			        (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
			status = 0;
		} else {
			fprintf(stderr, "wary: hashcash: %s\n", err);
			status = 1;
		}
		buf_release(&st);
	} else if (argc >= 2 && strcmp(argv[0], "check") == 0) {
		char **me = NULL, *dbp = NULL, *dir = fs_xdg_dir(FS_XDG_DATA);
		size_t nme = my_addresses(cfg, &me);
		unsigned bits = 0, minb = 0;
		const char *file = NULL;
		struct send_hashcash_db *db = NULL;
		struct buf raw = BUF_INIT;
		struct mail_msg *m = NULL;

		buf_init(&raw);
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--bits") == 0 && i + 1 < argc) {
				minb = (unsigned)atoi(argv[++i]);
			} else if (strcmp(argv[i], "--me") == 0 && i + 1 < argc) {
				me = xreallocarray(me, nme + 1, sizeof(*me));
				me[nme++] = xstrdup(argv[++i]);
			} else {
				file = argv[i];
			}
		}
		if (dir != NULL && fs_mkdir_p(dir, 0700, err, sizeof(err)) == WARY_OK)
			dbp = xasprintf("%s/hashcash.sqlite", dir);
		status = 1;
		if (file == NULL || dbp == NULL) {
			fputs("usage: wary hashcash check [--bits N] [--me ADDRESS]... FILE\n", stderr);
			status = 2;
		} else if (send_hashcash_db_open(dbp, &db, err, sizeof(err)) != WARY_OK ||
		           fs_read_file(file, &raw, MAIL_MAX_SIZE, err, sizeof(err)) != WARY_OK ||
		           mail_parse(raw.data, raw.len, &m, err, sizeof(err)) != WARY_OK) {
			fprintf(stderr, "wary: hashcash: %s\n", err);
		} else {
			enum send_hashcash_result r = send_hashcash_verify_msg(
				db, m, (const char *const *)me, nme, minb, time(NULL), &bits);

			printf("hashcash: %s", send_hashcash_result_name(r));
			if (r == SEND_HC_VALID)
				printf(" (%u bits)", bits);
			putchar('\n');
			status = r == SEND_HC_VALID ? 0 : 1;
		}
		mail_free(&m);
		send_hashcash_db_free(&db);
		buf_release(&raw);
		send_strv_free(me, nme);
		free(dbp);
		free(dir);
	} else {
		fputs("usage: wary hashcash mint ADDRESS BITS | check [--bits N] [--me ADDRESS]... FILE\n",
		      stderr);
	}
	return status;
}

int send_cli(struct config *cfg, const char *account, const char *cmd, int argc, char **argv)
{
	struct send_setup s;
	char err[WARY_ERRLEN];
	int status;

	if (strcmp(cmd, "hashcash") == 0)
		return cmd_hashcash(cfg, argc, argv);

	if (send_setup_from_config(cfg, account, &s, err, sizeof(err)) != WARY_OK) {
		fprintf(stderr, "wary: %s: %s\n", cmd, err);
		send_setup_clear(&s);
		return 1;
	}
	status = strcmp(cmd, "send") == 0      ? cmd_send(&s, argc, argv) :
	         strcmp(cmd, "compose") == 0   ? cmd_compose(&s, cfg, argc, argv) :
	                                         cmd_outbox(&s, argc, argv);
	send_setup_clear(&s);
	return status;
}
