/*
 * The sender verdict in the pager (see verdict.h).  The thread keeps one
 * inspect context (its resolver from dns_server and its DKIM key cache)
 * and answers only the newest request; an answer for a message the pager
 * no longer shows is dropped.
 */
#include <string.h>

#include "inspect/inspect.h"
#include "mail/mail.h"
#include "ui/app_int.h"
#include "ui/auth_setup.h"
#include "ui/latest.h"
#include "ui/verdict.h"

struct verdict_ui {
	struct latest *job;
	const struct config *cfg;
	char *account;
	/* the thread's own: one context without DNS (answers at once), one
	 * with (NULL when no dns_server is set) */
	struct inspect *offline, *online;
	struct auth_setup *as;
	/* what the pager shows now */
	struct auth_verdict *shown;
	bool shown_final;
	char *shown_key;
};

static void verdict_free(struct auth_verdict **v)
{
	if (*v) {
		auth_verdict_clear(*v);
		free(*v);
		*v = NULL;
	}
}

static void verdict_start(void *ctx)
{
	struct verdict_ui *p = ctx;
	struct inspect_auth ia;
	char err[WARY_ERRLEN];

	if (inspect_new(&p->offline, err, sizeof(err)) != WARY_OK)
		p->offline = NULL;
	if (auth_setup_new(p->cfg, p->account, &p->as, err, sizeof(err)) != WARY_OK)
		p->as = NULL;
	if (p->offline && p->as) {
		auth_setup_apply(p->as, p->offline);
		memset(&ia, 0, sizeof(ia));
		ia.trusted_authserv_id = config_get(p->cfg, "trusted_authserv_id");
		if (p->account && config_account_get(p->cfg, p->account, "trusted_authserv_id"))
			ia.trusted_authserv_id =
				config_account_get(p->cfg, p->account, "trusted_authserv_id");
		ia.trusted_hosts = auth_setup_trace(p->as)->trusted_hosts;
		ia.n_trusted = auth_setup_trace(p->as)->n_trusted;
		ia.dns = NULL;
		inspect_set_auth(p->offline, &ia); /* the same, without the resolver */
		if (auth_setup_dns(p->as) && inspect_new(&p->online, err, sizeof(err)) == WARY_OK)
			auth_setup_apply(p->as, p->online);
	}
}

static void verdict_stop(void *ctx)
{
	struct verdict_ui *p = ctx;

	inspect_free(&p->offline);
	inspect_free(&p->online);
	auth_setup_free(&p->as);
}

static void verdict_work(struct latest *l, void *ctx, const char *bytes, size_t len,
                         const char *key, unsigned gen)
{
	struct verdict_ui *p = ctx;
	struct mail_msg *m = NULL;
	struct auth_verdict *v;
	char err[WARY_ERRLEN];

	if (mail_parse(bytes, len, &m, err, sizeof(err)) == WARY_OK && p->offline) {
		v = xcalloc(1, sizeof(*v));
		if (inspect_verdict(p->offline, m, v, err, sizeof(err)) != WARY_OK)
			verdict_free(&v);
		/* the answer without DNS first; the lookups only if the user
		 * is still on this message */
		if (latest_post(l, v, p->online == NULL, key, gen) && p->online) {
			v = xcalloc(1, sizeof(*v));
			if (inspect_verdict(p->online, m, v, err, sizeof(err)) != WARY_OK)
				verdict_free(&v);
			(void)latest_post(l, v, true, key, gen);
		}
	} else {
		(void)latest_post(l, NULL, true, key, gen);
	}
	mail_free(&m);
}

static void verdict_free_answer(void *answer)
{
	struct auth_verdict *v = answer;

	verdict_free(&v);
}

static const struct latest_ops verdict_ops = { verdict_start, verdict_stop, verdict_work,
	                                       verdict_free_answer };

struct verdict_ui *verdict_ui_new(const struct config *cfg, const char *account, int wake_fd)
{
	struct verdict_ui *p = xcalloc(1, sizeof(*p));

	p->cfg = cfg;
	p->account = xstrdup_null(account);
	p->job = latest_new(&verdict_ops, p, wake_fd, VERDICT_UI_WAKE);
	if (p->job == NULL) {
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
	latest_free(&p->job); /* joins the thread, which frees its contexts */
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
	latest_ask(p->job, a->msg_bytes.data, a->msg_bytes.len, a->msg_key);
}

void verdict_ui_poll(struct app *a)
{
	struct verdict_ui *p = a->verdict;
	void *answer = NULL;
	bool final = false;

	if (p == NULL || !latest_take(p->job, a->msg_key, &answer, &final))
		return;
	if (answer == NULL) {
		app_chrome_set(a, APP_CHROME_VERDICT, TH_CHROME_WARN, "Sender: could not be checked");
		return;
	}
	verdict_free(&p->shown);
	free(p->shown_key);
	p->shown = answer;
	p->shown_key = xstrdup(a->msg_key);
	p->shown_final = final;
	apply(a, p->shown, final);
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
