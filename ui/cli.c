/* What the two programs of wary share: the command line, the config it
 * names, messages read from files or stdin, and `wary show`. */
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <termios.h>
#include <unistd.h>

#include "base/base.h"
#include "config/config.h"
#include "mail/mail.h"
#include "render/render.h"
#include "ui/cli.h"

void cli_usage(FILE *f)
{
	fputs("usage: wary [-F CONFIG] [-o NAME=VALUE]... [-f MAILDIR | -a ACCOUNT]\n"
	      "       wary inspect [--json] FILE...   what wary sees in a message ('-' reads stdin)\n"
	      "       wary show FILE...               print messages as the pager shows them\n"
	      "       wary fetch [-a ACCOUNT]         download a POP3 account's new mail\n"
	      "       wary send [-a ACCOUNT] [--force] FILE   send a draft (headers, empty line, text)\n"
	      "       wary outbox list|flush|retry    what waits to be sent; send it\n"
	      "       wary compose --reply|--group|--list|--forward|--forward-attach MSG   a draft\n"
	      "       wary hashcash mint ADDR BITS | check [--bits N] MSG   hashcash stamps\n"
	      "       wary spam train|untrain|classify|stats|prune|rules ...   the spam filter\n"
	      "       wary remote list|allow ADDR|revoke ADDR   senders whose remote content a browser copy keeps\n"
	      "       wary browser-copy FILE          the HTML a browser is given, remote references removed\n"
	      "       wary pgp import FILE... | show FPR | keys ADDRESS   OpenPGP keys (GNUPGHOME)\n"
	      "       wary check-config               validate the config, show every setting\n"
	      "       wary --version | --help\n"
	      "Options go before or after the command.  -o overrides one setting for this\n"
	      "run (account.NAME.SETTING=VALUE for an account).  See wary(1), wary.conf(5).\n",
	      f);
}

/* A UTF-8 locale, or the terminal cannot show what wary decodes: take the
 * user's, else C.UTF-8. */
void cli_setup_locale(void)
{
	if (setlocale(LC_ALL, "") == NULL || strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_ALL, "C.UTF-8");
}

int cli_read_message(const char *path, struct buf *out, char *err, size_t errlen)
{
	if (strcmp(path, "-") == 0) {
		char chunk[65536];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
			if (out->len + n > MAIL_MAX_SIZE)
				return err_set(err, errlen, WARY_ELIMIT, "stdin: message over %u bytes",
				               MAIL_MAX_SIZE);
			buf_add(out, chunk, n);
		}
		if (ferror(stdin))
			return err_set(err, errlen, WARY_EIO, "stdin: read error");
		return WARY_OK;
	}
	return fs_read_file(path, out, MAIL_MAX_SIZE, err, errlen);
}

/* Print an error that may quote a file name or message bytes. */
void cli_complain(const char *what, const char *err)
{
	char *s = safe_str(err, SAFE_LINE);
	char *w = safe_str(what, SAFE_LINE);

	fprintf(stderr, "wary: %s: %s\n", w, s);
	free(s);
	free(w);
}


/* The command line: options may come before or after the command.
 * Returns -1 to go on, else the exit status (help, version, a mistake),
 * having said why when report is true. */
int cli_parse(int argc, char **argv, bool report, struct cli *c)
{
	FILE *out = report ? stdout : NULL, *errs = report ? stderr : NULL;

	memset(c, 0, sizeof(*c));
	c->rest = xcalloc((size_t)argc + 1, sizeof(char *));
	c->overrides = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			if (out)
				cli_usage(out);
			return 0;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
			if (out)
				fprintf(out, "wary %s\n", PACKAGE_VERSION);
			return 0;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "-F") == 0 || strcmp(a, "-f") == 0 ||
		           strcmp(a, "-a") == 0) {
			if (i + 1 >= argc) {
				if (errs) {
					fprintf(errs, "wary: %s needs a value\n", a);
					cli_usage(errs);
				}
				return 2;
			}
			if (a[1] == 'o')
				c->overrides[c->noverrides++] = argv[++i];
			else if (a[1] == 'F')
				c->cfg_path = argv[++i];
			else if (a[1] == 'a')
				c->account = argv[++i];
			else
				c->folder = argv[++i];
		} else if (strncmp(a, "-o", 2) == 0 && a[2]) {
			c->overrides[c->noverrides++] = argv[i] + 2;
		} else if (c->cmd == NULL && a[0] != '-') {
			c->cmd = a;
		} else if (c->cmd != NULL) {
			c->rest[c->nrest++] = argv[i];
		} else {
			if (errs) {
				fprintf(errs, "wary: unknown option %s\n", a);
				cli_usage(errs);
			}
			return 2;
		}
	}
	return -1;
}

/* The config file the command line names (else the default one, which
 * may be absent), the certificates trusted earlier and the -o overrides.
 * check-config goes on after a mistake, to report it with the rest.
 * Returns -1 to go on, else the exit status. */
int cli_config(const struct cli *c, struct config *cfg)
{
	const char *cfg_path = c->cfg_path;
	char *def_path = NULL, *tp;
	char err[WARY_ERRLEN] = "";
	bool checking = c->cmd && strcmp(c->cmd, "check-config") == 0;
	int status = -1;

	if (cfg_path == NULL)
		cfg_path = def_path = config_default_path();
	if (cfg_path) {
		int rc = config_load_file(cfg, cfg_path, err, sizeof(err));

		if (rc != WARY_OK && !(rc == WARY_ENOENT && def_path)) {
			cli_complain("config", err);
			if (!checking) {
				status = 1;
				goto out;
			}
		}
	}
	/* Certificates trusted by an earlier explicit choice. */
	tp = config_trust_default_path();
	if (tp && config_load_trust(cfg, tp, err, sizeof(err)) != WARY_OK && access(tp, F_OK) == 0)
		cli_complain("trusted certificates", err);
	free(tp);
	for (int i = 0; i < c->noverrides; i++) {
		if (config_override(cfg, c->overrides[i], err, sizeof(err)) != WARY_OK) {
			cli_complain("-o", err);
			if (!checking) {
				status = 2;
				goto out;
			}
		}
	}
out:
	free(def_path);
	return status;
}

void cli_release(struct cli *c)
{
	free(c->rest);
	free(c->overrides);
	c->rest = c->overrides = NULL;
}

/* One message rendered as the pager shows it, into out. */
static int show_one(const char *path, const struct render_opts *opts, struct buf *out,
                    char *err, size_t errlen)
{
	struct buf data = BUF_INIT;
	struct mail_msg *msg = NULL;
	struct render_doc *doc = NULL;
	int rc;

	rc = cli_read_message(path, &data, err, errlen);
	if (rc == WARY_OK)
		rc = mail_parse(data.data, data.len, &msg, err, errlen);
	if (rc == WARY_OK)
		rc = render_message(msg, opts, &doc, err, errlen);
	if (rc == WARY_OK)
		render_text(doc, out);
	render_free(&doc);
	mail_free(&msg);
	buf_release(&data);
	return rc;
}

/* Many files are rendered by a few threads, printed in order: parsing and
 * rendering share nothing between messages, and a window bounds how far
 * the threads run ahead of the printing.  The printing thread renders too
 * whenever the message it prints next is not ready, so there is one
 * thread per CPU, and a thread is woken only when one waits: the printer
 * for the message it needs, a renderer for room in the window. */
#define SHOW_WINDOW 256
struct show_job {
	struct buf out;
	char err[WARY_ERRLEN];
	int rc;
	bool done;
};
struct show_pool {
	char **paths;
	struct show_job *jobs;
	int n, next, printed;
	int waiting;      /* the job the printer sleeps on, or -1 */
	int room_waiters; /* renderers asleep on a full window */
	const struct render_opts *opts;
	pthread_mutex_t lock;
	pthread_cond_t done, room;
};

/* Take the next job (lock held), or -1 when none is left or the window is
 * full (then *full). */
static int show_take(struct show_pool *p, bool *full)
{
	*full = p->next < p->n && p->next >= p->printed + SHOW_WINDOW;
	if (p->next >= p->n || *full)
		return -1;
	return p->next++;
}

/* Render job i without the lock, then mark it done (lock held again). */
static void show_run(struct show_pool *p, int i)
{
	pthread_mutex_unlock(&p->lock);
	buf_init(&p->jobs[i].out);
	p->jobs[i].rc = show_one(p->paths[i], p->opts, &p->jobs[i].out, p->jobs[i].err,
	                         sizeof(p->jobs[i].err));
	pthread_mutex_lock(&p->lock);
	p->jobs[i].done = true;
	if (p->waiting == i)
		pthread_cond_signal(&p->done);
}

static void *show_thread(void *arg)
{
	struct show_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		bool full;
		int i = show_take(p, &full);

		if (i >= 0) {
			show_run(p, i);
		} else if (full) {
			p->room_waiters++;
			pthread_cond_wait(&p->room, &p->lock);
			p->room_waiters--;
		} else {
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int cli_show(const struct config *cfg, int argc, char **argv)
{
	struct render_opts opts = { RENDER_HEADERS_WEED, config_get_bool(cfg, "prefer_html"),
	                            (int)config_get_int(cfg, "wrap") };
	struct show_pool p;
	pthread_t th[8];
	int nth = 0, status = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool serial = argc < 8;

	if (config_get(cfg, "pager_headers") && strcmp(config_get(cfg, "pager_headers"), "all") == 0)
		opts.headers = RENDER_HEADERS_ALL;
	if (argc == 0) {
		fputs("usage: wary show FILE...\n", stderr);
		return 2;
	}
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") == 0)
			serial = true; /* stdin is read once, in order */
	memset(&p, 0, sizeof(p));
	p.paths = argv;
	p.n = argc;
	p.opts = &opts;
	p.waiting = -1;
	p.jobs = xcalloc((size_t)argc, sizeof(*p.jobs));
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.done, NULL);
	pthread_cond_init(&p.room, NULL);
	if (!serial) {
		/* this thread renders too: one fewer to start */
		for (; nth < (int)ARRAY_SIZE(th) && nth < cpus - 1; nth++)
			if (pthread_create(&th[nth], NULL, show_thread, &p) != 0)
				break;
	}
	for (int i = 0; i < argc; i++) {
		struct show_job *j = &p.jobs[i];

		/* alone, this takes the jobs in order, so stdin is read in turn */
		pthread_mutex_lock(&p.lock);
		while (!j->done) {
			bool full;
			int k = show_take(&p, &full);

			if (k >= 0) {
				show_run(&p, k);
			} else {
				p.waiting = i;
				pthread_cond_wait(&p.done, &p.lock);
				p.waiting = -1;
			}
		}
		pthread_mutex_unlock(&p.lock);
		if (j->rc != WARY_OK) {
			cli_complain(argv[i], j->err);
			status = 1;
		} else {
			if (i > 0)
				fputc('\n', stdout);
			fwrite(j->out.data, 1, j->out.len, stdout);
		}
		buf_release(&j->out);
		pthread_mutex_lock(&p.lock);
		p.printed = i + 1;
		if (p.room_waiters > 0)
			pthread_cond_broadcast(&p.room);
		pthread_mutex_unlock(&p.lock);
	}
	for (int t = 0; t < nth; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.done);
	pthread_cond_destroy(&p.room);
	free(p.jobs);
	return status;
}

int cli_ask_secret(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool restore = false;
	FILE *tty;
	int rc = WARY_ERR;

	if (len == 0)
		return WARY_ERR;
	buf[0] = '\0';
	tty = fopen("/dev/tty", "r+e");
	if (tty == NULL)
		return WARY_ERR;
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
	}
	if (fgets(buf, len > INT_MAX ? INT_MAX : (int)len, tty) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		rc = buf[0] ? WARY_OK : WARY_ERR;
	}
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	return rc;
}
