/* wary's command line: the interactive client and the thin script faces
 * over the library (inspect, show, check-config). */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include "base/base.h"
#include "config/config.h"
#include "inspect/inspect.h"
#include "ui/auth_setup.h"
#include "mail/mail.h"
#include "render/render.h"
#include "ui/compose.h"
#include "ui/app.h"
#include "ui/cli.h"
#include "ui/keymap.h"
#include "ui/pgp.h"
#include "ui/safety.h"
#include "ui/spam_cli.h"
#include "ui/theme.h"

static int cmd_inspect(const struct config *cfg, const char *account, int argc, char **argv)
{
	bool json = false;
	int nfiles = 0, status = 0;
	struct inspect *in = NULL;
	struct auth_setup *as = NULL;
	struct buf data = BUF_INIT, out = BUF_INIT;
	char err[WARY_ERRLEN];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			nfiles++;
	}
	if (nfiles == 0) {
		fputs("usage: wary inspect [--json] FILE...\n", stderr);
		return 2;
	}
	/* One analysis context (libmagic's database loaded once) for all files. */
	if (inspect_new(&in, err, sizeof(err)) != WARY_OK) {
		cli_complain("inspect", err);
		return 1;
	}
	/* the sender verdict believes only the user's own server; DNS only
	 * when dns_server says which resolver (auth_setup.h) */
	if (auth_setup_new(cfg, account, &as, err, sizeof(err)) != WARY_OK) {
		cli_complain("dns_server", err);
		inspect_free(&in);
		return 1;
	}
	auth_setup_apply(as, in);
	for (int i = 0; i < argc; i++) {
		struct mail_msg *msg = NULL;
		int rc;

		if (strcmp(argv[i], "--json") == 0)
			continue;
		buf_reset(&data);
		buf_reset(&out);
		rc = cli_read_message(argv[i], &data, err, sizeof(err));
		if (rc == WARY_OK)
			rc = mail_parse(data.data, data.len, &msg, err, sizeof(err));
		if (rc == WARY_OK)
			rc = json ? inspect_report_json(in, msg, &out, err, sizeof(err))
			          : inspect_report_text(in, msg, &out, err, sizeof(err));
		mail_free(&msg);
		if (rc != WARY_OK) {
			cli_complain(argv[i], err);
			status = 1;
			continue;
		}
		fwrite(out.data, 1, out.len, stdout);
	}
	inspect_free(&in);
	auth_setup_free(&as);
	buf_release(&data);
	buf_release(&out);
	return status;
}

/* A server account from the config, as the worker opens it.  The strings
 * stay the config's, which outlives the client. */
static int account_from_config(const struct config *cfg, const char *name,
                               struct worker_account *wa, char *err, size_t errlen)
{
	struct store_account *ac = &wa->acct;
	const char *imap = config_account_get(cfg, name, "imap_host");
	const char *pop3 = config_account_get(cfg, name, "pop3_host");
	const char *cache = config_get(cfg, "header_cache");
	const char *tls = config_account_get(cfg, name, "tls");

	memset(wa, 0, sizeof(*wa));
	ac->name = name;
	ac->kind = imap ? "imap" : "pop3";
	ac->host = imap ? imap : pop3;
	ac->port = (int)config_account_get_int(cfg, name, imap ? "imap_port" : "pop3_port");
	ac->user = config_account_get(cfg, name, "imap_user");
	ac->tls = tls && strcmp(tls, "starttls") == 0 ? STORE_TLS_STARTTLS : STORE_TLS_IMPLICIT;
	ac->ca_file = config_account_get(cfg, name, "ca_file");
	ac->trusted_sha256 = config_account_get(cfg, name, "trusted_cert_sha256");
	ac->auth = config_account_get(cfg, name, "auth");
	ac->cache_dir = cache && strcmp(cache, "off") != 0 ? cache : NULL;
	ac->maildir = config_account_get(cfg, name, "maildir");
	ac->pop3_keep = config_account_get_bool(cfg, name, "pop3_keep");
	ac->pop3_keep_days = (int)config_account_get_int(cfg, name, "pop3_keep_days");
	ac->pop3_max_size = config_account_get_int(cfg, name, "pop3_max_size");
	ac->pop3_apop = config_account_get_bool(cfg, name, "pop3_apop");
	ac->keepalive_s = (int)config_account_get_int(cfg, name, "imap_keepalive");
	wa->password_command = config_account_get(cfg, name, "password_command");
	wa->token_command = config_account_get(cfg, name, "oauth_token_command");
	if (ac->user == NULL)
		return err_set(err, errlen, WARY_ERR, "account %s: imap_user is not set", name);
	if (!imap && ac->maildir == NULL)
		return err_set(err, errlen, WARY_ERR,
		               "account %s: a POP3 account needs a maildir to download into", name);
	return WARY_OK;
}

/* What to open with no -f: the named account, else the first one, else
 * the mailbox setting.  Sets *wa_used for a server account. */
static const char *default_location(const struct config *cfg, const char *want,
                                    struct worker_account *wa, bool *wa_used, char *err,
                                    size_t errlen)
{
	*wa_used = false;
	for (size_t i = 0; i < config_account_count(cfg); i++) {
		const char *name = config_account_name(cfg, i);

		if (want && strcmp(want, name) != 0)
			continue;
		if (!config_account_get(cfg, name, "imap_host") &&
		    !config_account_get(cfg, name, "pop3_host")) {
			const char *md = config_account_get(cfg, name, "maildir");

			if (md)
				return md;
			err_set(err, errlen, WARY_ERR, "account %s has no maildir and no server", name);
			return NULL;
		}
		if (account_from_config(cfg, name, wa, err, errlen) != WARY_OK)
			return NULL;
		*wa_used = true;
		return "";
	}
	if (want) {
		err_set(err, errlen, WARY_ENOENT, "no account named %s in the config", want);
		return NULL;
	}
	return config_get(cfg, "mailbox");
}

/* The password for a command-line run: from the account's command (as
 * the worker does), else asked on the terminal with echo off. */
struct cli_secret {
	const struct worker_account *wa;
};

static int cli_secret_cb(void *ctx, const char *what, char *buf, size_t len)
{
	struct cli_secret *cs = ctx;
	const char *cmd = strcmp(what, "token") == 0 ? cs->wa->token_command : cs->wa->password_command;
	char err[WARY_ERRLEN], prompt[512];
	int rc;

	if (cmd && *cmd) {
		rc = worker_run_secret_command(cmd, buf, len, err, sizeof(err));
		if (rc != WARY_OK)
			cli_complain("password_command", err);
		return rc;
	}
	snprintf(prompt, sizeof(prompt), "%s for %s@%s: ",
	         strcmp(what, "token") == 0 ? "OAuth token" : "Password", cs->wa->acct.user,
	         cs->wa->acct.host);
	return cli_ask_secret(prompt, buf, len);
}

/* wary fetch: download a POP3 account's new mail, for scripts and cron. */
static int cmd_fetch(const struct config *cfg, const char *want)
{
	struct worker_account wa;
	struct cli_secret cs = { &wa };
	struct store_pop3_report rep;
	char err[WARY_ERRLEN];
	const char *name = NULL;
	int rc;

	for (size_t i = 0; i < config_account_count(cfg) && name == NULL; i++) {
		const char *n = config_account_name(cfg, i);

		if ((want == NULL || strcmp(want, n) == 0) && config_account_get(cfg, n, "pop3_host"))
			name = n;
	}
	if (name == NULL) {
		fprintf(stderr, "wary: fetch: no POP3 account%s%s in the config\n",
		        want ? " named " : "", want ? want : "");
		return 1;
	}
	if (account_from_config(cfg, name, &wa, err, sizeof(err)) != WARY_OK) {
		cli_complain("fetch", err);
		return 1;
	}
	wa.acct.secret = cli_secret_cb;
	wa.acct.secret_ctx = &cs;
	memset(&rep, 0, sizeof(rep));
	rc = store_pop3_fetch(&wa.acct, NULL, NULL, &rep, err, sizeof(err));
	printf("%s: %zu new, %zu already here, %zu deleted from the server, %zu too big, %zu refused%s\n",
	       name, rep.fetched, rep.known + rep.same_content, rep.deleted, rep.skipped_size,
	       rep.failed, rep.apop ? " (APOP: weak)" : "");
	for (size_t i = 0; i < rep.nnotices; i++)
		printf("%s\n", rep.notices[i]);
	store_pop3_report_clear(&rep);
	if (rc != WARY_OK) {
		cli_complain("fetch", err);
		return 1;
	}
	return 0;
}

/* check-config also reads the keys and theme files the config names, so
 * a mistake there is found before the screen starts. */
static int check_ui_files(const struct config *cfg, struct buf *report)
{
	struct keymap *km = keymap_new();
	struct theme *th = theme_new();
	const char *kmname = config_get(cfg, "keymap"), *thname = config_get(cfg, "theme");
	char err[WARY_ERRLEN];
	size_t errors = 0, warnings = 0;

	keymap_set_preset_dir(km, app_preset_dir());
	theme_set_preset_dir(th, app_preset_dir());
	buf_addf(report, "\n# keys (%s) and theme (%s)\n", kmname ? kmname : "default",
	         thname ? thname : "default");
	keymap_load(km, kmname ? kmname : "default", err, sizeof(err));
	theme_load(th, thname ? thname : "default", err, sizeof(err));
	for (size_t i = 0; i < keymap_error_count(km); i++, errors++)
		buf_addf(report, "error: %s\n", keymap_error(km, i));
	for (size_t i = 0; i < theme_error_count(th); i++, errors++)
		buf_addf(report, "error: %s\n", theme_error(th, i));
	for (size_t i = 0; i < keymap_warning_count(km); i++, warnings++)
		buf_addf(report, "warning: %s\n", keymap_warning(km, i));
	buf_addf(report, "%zu errors, %zu warnings\n", errors, warnings);
	keymap_free(&km);
	theme_free(&th);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct config *cfg = config_new();
	struct cli c;
	const char *folder, *cmd, *account;
	char **rest;
	int nrest, status;
	char err[WARY_ERRLEN] = "";

	/* A block of 128 KB or more is mapped on its own and given back when
	 * freed.  glibc otherwise raises that bound to the largest block
	 * freed so far, and a cold open's batches of rows (300 KB each, freed
	 * by the UI) then stayed resident in the worker's heap while the last
	 * rebuild threaded 100k rows: 1.2 MB more at the peak. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	cli_setup_locale();
	status = cli_parse(argc, argv, true, &c);
	if (status < 0)
		status = cli_config(&c, cfg);
	if (status >= 0)
		goto out;
	status = 2;
	folder = c.folder;
	cmd = c.cmd;
	account = c.account;
	rest = c.rest;
	nrest = c.nrest;

	if (cmd == NULL) {
		struct worker_account wa;
		bool wa_used = false;
		const char *loc = folder ? folder
		                         : default_location(cfg, account, &wa, &wa_used, err, sizeof(err));

		if (loc == NULL) {
			cli_complain("open", err);
			status = 1;
			goto out;
		}
		if (!wa_used && access(loc, F_OK) != 0) {
			char msg[WARY_ERRLEN];

			snprintf(msg, sizeof(msg), "%s: %s", loc, strerror(errno));
			cli_complain("open", msg);
			status = 1;
			goto out;
		}
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fputs("wary: the interactive client needs a terminal (try wary inspect or wary show)\n",
			      stderr);
			status = 1;
			goto out;
		}
		status = app_run(cfg, wa_used ? NULL : loc, wa_used ? &wa : NULL, err, sizeof(err));
		if (status != 0)
			cli_complain("open", err);
	} else if (strcmp(cmd, "inspect") == 0) {
		status = cmd_inspect(cfg, account, nrest, rest);
	} else if (strcmp(cmd, "remote") == 0) {
		status = safety_cli_remote(nrest, rest);
	} else if (strcmp(cmd, "browser-copy") == 0) {
		status = safety_cli_browser_copy(nrest, rest);
	} else if (strcmp(cmd, "spam") == 0) {
		status = spam_cli(nrest, rest);
	} else if (strcmp(cmd, "fetch") == 0) {
		status = cmd_fetch(cfg, account);
	} else if (strcmp(cmd, "send") == 0 || strcmp(cmd, "outbox") == 0 ||
	           strcmp(cmd, "compose") == 0 || strcmp(cmd, "hashcash") == 0) {
		status = send_cli(cfg, account, cmd, nrest, rest);
	} else if (strcmp(cmd, "pgp") == 0) {
		status = pgp_cli(nrest, rest);
	} else if (strcmp(cmd, "show") == 0) {
		status = cli_show(cfg, nrest, rest);
	} else if (strcmp(cmd, "check-config") == 0) {
		struct buf report = BUF_INIT;

		status = config_check(cfg, &report) == WARY_OK && config_error_count(cfg) == 0 ? 0 : 1;
		if (check_ui_files(cfg, &report) != 0)
			status = 1;
		fwrite(report.data, 1, report.len, stdout);
		buf_release(&report);
	} else {
		char *s = safe_str(cmd, SAFE_LINE);

		fprintf(stderr, "wary: unknown command %s\n", s);
		free(s);
		cli_usage(stderr);
	}
out:
	config_free(&cfg);
	cli_release(&c);
	return status;
}
