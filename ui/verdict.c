/*
 * The sender verdict in the pager (see verdict.h).  The thread keeps one
 * inspect context (its resolver from dns_server and its DKIM key cache)
 * and answers only the newest request; an answer for a message the pager
 * no longer shows is dropped.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "inspect/inspect.h"
#include "mail/mail.h"
#include "ui/app_int.h"
#include "ui/auth_setup.h"
#include "ui/verdict.h"

struct verdict_ui {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int wake_fd;
	bool quit;
	const struct config *cfg;
	char *account;
	/* the request waiting (only the newest is kept) */
	struct buf req;
	char *req_key;
	unsigned req_gen;
	bool req_pending;
	/* the answers, partial (no DNS yet) then final */
	struct auth_verdict *res;
	bool res_final;
	char *res_key;
	unsigned res_gen;
	bool res_ready;
	/* what the pager shows now */
	struct auth_verdict *shown;
	bool shown_final;
	char *shown_key;
	unsigned gen;
};

static void verdict_free(struct auth_verdict **v)
{
	if (*v) {
		auth_verdict_clear(*v);
		free(*v);
		*v = NULL;
	}
}

/* Hand an answer to the UI; false when a newer request is waiting. */
static bool post(struct verdict_ui *p, struct auth_verdict *v, bool final, const char *key,
                 unsigned gen)
{
	unsigned char b = VERDICT_UI_WAKE;
	bool newer;

	pthread_mutex_lock(&p->mu);
	newer = p->req_pending || p->quit;
	verdict_free(&p->res);
	free(p->res_key);
	p->res = v;
	p->res_final = final;
	p->res_key = xstrdup(key);
	p->res_gen = gen;
	p->res_ready = true;
	if (write(p->wake_fd, &b, 1) < 0) {
		/* a full pipe wakes the loop anyway */
	}
	pthread_mutex_unlock(&p->mu);
	return !newer;
}

static void *verdict_thread(void *arg)
{
	struct verdict_ui *p = arg;
	struct inspect *offline = NULL, *online = NULL;
	struct auth_setup *as = NULL;
	struct inspect_auth ia;
	char err[WARY_ERRLEN];

	/* one context without DNS (answers at once), one with */
	if (inspect_new(&offline, err, sizeof(err)) != WARY_OK)
		offline = NULL;
	if (auth_setup_new(p->cfg, p->account, &as, err, sizeof(err)) != WARY_OK)
		as = NULL;
	if (offline && as) {
		auth_setup_apply(as, offline);
		memset(&ia, 0, sizeof(ia));
		ia.trusted_authserv_id = config_get(p->cfg, "trusted_authserv_id");
		if (p->account && config_account_get(p->cfg, p->account, "trusted_authserv_id"))
			ia.trusted_authserv_id = config_account_get(p->cfg, p->account, "trusted_authserv_id");
		ia.trusted_hosts = auth_setup_trace(as)->trusted_hosts;
		ia.n_trusted = auth_setup_trace(as)->n_trusted;
		ia.dns = NULL;
		inspect_set_auth(offline, &ia); /* the same, without the resolver */
		if (auth_setup_dns(as) && inspect_new(&online, err, sizeof(err)) == WARY_OK)
			auth_setup_apply(as, online);
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct buf bytes;
		char *key;
		unsigned gen;
		struct mail_msg *m = NULL;
		struct auth_verdict *v;

		while (!p->quit && !p->req_pending)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->quit)
			break;
		bytes = p->req;
		buf_init(&p->req);
		key = p->req_key;
		p->req_key = NULL;
		gen = p->req_gen;
		p->req_pending = false;
		pthread_mutex_unlock(&p->mu);

		if (mail_parse(bytes.data, bytes.len, &m, err, sizeof(err)) == WARY_OK && offline) {
			v = xcalloc(1, sizeof(*v));
			if (inspect_verdict(offline, m, v, err, sizeof(err)) != WARY_OK)
				verdict_free(&v);
			if (post(p, v, online == NULL, key, gen) && online) {
				v = xcalloc(1, sizeof(*v));
				if (inspect_verdict(online, m, v, err, sizeof(err)) != WARY_OK)
					verdict_free(&v);
				(void)post(p, v, true, key, gen);
			}
		} else {
			(void)post(p, NULL, true, key, gen);
		}
		mail_free(&m);
		buf_release(&bytes);
		free(key);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	inspect_free(&offline);
	inspect_free(&online);
	auth_setup_free(&as);
	return NULL;
}

struct verdict_ui *verdict_ui_new(const struct config *cfg, const char *account, int wake_fd)
{
	struct verdict_ui *p = xcalloc(1, sizeof(*p));

	p->wake_fd = wake_fd;
	p->cfg = cfg;
	p->account = account ? xstrdup(account) : NULL;
	buf_init(&p->req);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, verdict_thread, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p->account);
		free(p);
		return NULL;
	}
	return p;
}

void verdict_ui_free(struct verdict_ui **pp)
{
	struct verdict_ui *p = pp ? *pp : NULL;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	buf_release(&p->req);
	free(p->req_key);
	verdict_free(&p->res);
	free(p->res_key);
	verdict_free(&p->shown);
	free(p->shown_key);
	free(p->account);
	free(p);
	*pp = NULL;
}

static enum theme_obj level_attr(const struct auth_verdict *v)
{
	/* green only for the trusted aligned pass (design 4.6) */
	if (v->aligned_pass)
		return TH_CHROME_GOOD;
	switch (v->level) {
	case AUTH_LEVEL_BAD: return TH_CHROME_BAD;
	case AUTH_LEVEL_WARN: return TH_CHROME_WARN;
	default: return TH_CHROME;
	}
}

static void apply(struct app *a, const struct auth_verdict *v, bool final)
{
	struct buf line = BUF_INIT;

	buf_adds(&line, "Sender: ");
	buf_adds(&line, v->summary);
	if (!final)
		buf_adds(&line, " -- checking...");
	buf_adds(&line, "  (V: details)");
	buf_addch(&line, '\0');
	app_chrome_set(a, APP_CHROME_VERDICT, level_attr(v), line.data); /* made safe there */
	buf_release(&line);
}

void verdict_ui_message(struct app *a)
{
	struct verdict_ui *p = a->verdict;

	if (a->msg_key == NULL) {
		app_chrome_set(a, APP_CHROME_VERDICT, TH_CHROME, "");
		return;
	}
	if (p == NULL) {
		app_chrome_set(a, APP_CHROME_VERDICT, TH_CHROME_WARN, "Sender: not checked (no thread)");
		return;
	}
	/* a redraw of the same message keeps its answer */
	if (p->shown && p->shown_key && strcmp(p->shown_key, a->msg_key) == 0) {
		apply(a, p->shown, p->shown_final);
		if (p->shown_final)
			return;
	} else {
		app_chrome_set(a, APP_CHROME_VERDICT, TH_CHROME, "Sender: checking...");
	}
	pthread_mutex_lock(&p->mu);
	buf_reset(&p->req);
	buf_add(&p->req, a->msg_bytes.data, a->msg_bytes.len);
	free(p->req_key);
	p->req_key = xstrdup(a->msg_key);
	p->req_gen = ++p->gen;
	p->req_pending = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void verdict_ui_poll(struct app *a)
{
	struct verdict_ui *p = a->verdict;
	struct auth_verdict *v = NULL;
	char *key = NULL;
	unsigned gen = 0;
	bool final = false, ready = false;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->res_ready) {
		v = p->res;
		key = p->res_key;
		gen = p->res_gen;
		final = p->res_final;
		p->res = NULL;
		p->res_key = NULL;
		p->res_ready = false;
		ready = true;
	}
	pthread_mutex_unlock(&p->mu);
	if (!ready || gen != p->gen || a->msg_key == NULL || strcmp(key, a->msg_key) != 0) {
		verdict_free(&v);
		free(key);
		return;
	}
	if (v == NULL) {
		app_chrome_set(a, APP_CHROME_VERDICT, TH_CHROME_WARN, "Sender: could not be checked");
		free(key);
		return;
	}
	verdict_free(&p->shown);
	free(p->shown_key);
	p->shown = v;
	p->shown_key = key;
	p->shown_final = final;
	apply(a, v, final);
	if (a->view == V_SENDER)
		verdict_ui_details(a, a->help);
}

void verdict_ui_details(struct app *a, struct textview *tv)
{
	struct verdict_ui *p = a->verdict;
	struct buf b = BUF_INIT;

	textview_clear(tv);
	if (p == NULL || p->shown == NULL || p->shown_key == NULL || a->msg_key == NULL ||
	    strcmp(p->shown_key, a->msg_key) != 0) {
		static const char msg[] = "The sender checks are still running...";

		textview_add(tv, msg, sizeof(msg) - 1, RENDER_NOTICE);
		return;
	}
	inspect_verdict_text(p->shown, &b); /* safe */
	if (!p->shown_final)
		buf_adds(&b, "\n(DNS answers still coming: the panel fills in as they arrive)\n");
	buf_adds(&b, "\nGreen means: one well-formed From, its own domain authenticated (DKIM\n"
	             "covering From, Subject and the whole body, or SPF, aligned with it), or\n"
	             "your server (trusted_authserv_id) said so and nothing changed since.\n");
	textview_add_text(tv, b.data, b.len, RENDER_BODY);
	buf_release(&b);
}
