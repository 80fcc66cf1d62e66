/*
 * PGP in the pager and `wary pgp`.  The pager never waits for gpg: a
 * thread owns its own GPGME context and answers the latest request only.
 */
#include <errno.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "mail/mail.h"
#include "render/render.h"
#include "ui/app_int.h"
#include "ui/latest.h"
#include "ui/pgp.h"

struct pgp_ui {
	struct latest *job;
	/* the thread's own: its GPGME context, made at the first message
	 * with PGP in it */
	struct crypto *c;
	bool tried;
	/* what the pager shows now, kept so a redraw (h, toggling HTML) does
	 * not run gpg again */
	char *shown_key;
	size_t shown_len;
	struct crypto_result *shown;
};

static void pgp_work(struct latest *l, void *ctx, const char *bytes, size_t len, const char *key,
                     unsigned gen)
{
	struct pgp_ui *p = ctx;
	struct mail_msg *m = NULL;
	struct crypto_result *r = NULL;
	char err[WARY_ERRLEN];

	if (!p->tried) {
		p->tried = true;
		if (crypto_new(&p->c, err, sizeof(err)) != WARY_OK)
			p->c = NULL; /* crypto_analyze says gpg is missing */
		else
			crypto_no_pinentry(p->c); /* the screen is ours */
	}
	if (mail_parse(bytes, len, &m, err, sizeof(err)) == WARY_OK)
		(void)crypto_analyze(p->c, m, &r, err, sizeof(err));
	mail_free(&m);
	(void)latest_post(l, r, true, key, gen);
}

static void pgp_stop(void *ctx)
{
	struct pgp_ui *p = ctx;

	crypto_free(&p->c);
}

static void pgp_free_answer(void *answer)
{
	struct crypto_result *r = answer;

	crypto_result_free(&r);
}

static const struct latest_ops pgp_ops = { NULL, pgp_stop, pgp_work, pgp_free_answer };

struct pgp_ui *pgp_ui_new(int wake_fd)
{
	struct pgp_ui *p = xcalloc(1, sizeof(*p));

	crypto_global_init();
	p->job = latest_new(&pgp_ops, p, wake_fd, PGP_UI_WAKE);
	if (p->job == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void pgp_ui_free(struct pgp_ui **pp)
{
	struct pgp_ui *p = pp ? *pp : NULL;

	if (p == NULL)
		return;
	latest_free(&p->job); /* joins the thread, which frees p->c */
	crypto_result_free(&p->shown);
	free(p->shown_key);
	free(p);
	*pp = NULL;
}

static enum theme_obj level_attr(enum crypto_level lv)
{
	switch (lv) {
	case CRYPTO_LEVEL_GOOD: return TH_CHROME_GOOD;
	case CRYPTO_LEVEL_BAD: return TH_CHROME_BAD;
	case CRYPTO_LEVEL_WARN: return TH_CHROME_WARN;
	case CRYPTO_LEVEL_NONE:
	default: return TH_CHROME;
	}
}

/* The decrypted message in place of the encrypted one: rendered by
 * render/ like any message, so remote content stays blocked. */
static void show_plain(struct app *a, const struct crypto_result *r)
{
	struct mail_msg *msg = NULL;
	struct render_doc *doc = NULL;
	struct render_opts opts = { a->weed ? RENDER_HEADERS_WEED : RENDER_HEADERS_ALL,
	                            a->prefer_html, (int)config_get_int(a->cfg, "wrap") };
	char err[WARY_ERRLEN];

	if (mail_parse(r->plain, r->plainlen, &msg, err, sizeof(err)) != WARY_OK ||
	    render_message(msg, &opts, &doc, err, sizeof(err)) != WARY_OK) {
		mail_free(&msg);
		return;
	}
	textview_clear(a->pager);
	for (size_t i = 0; i < render_line_count(doc); i++) {
		enum render_kind k;
		const char *l = render_line(doc, i, &k);

		textview_add(a->pager, l, strlen(l), k);
	}
	textview_scroll_to(a->pager, 0, 1);
	render_free(&doc);
	mail_free(&msg);
}

static void apply(struct app *a, const struct crypto_result *r)
{
	struct buf line = BUF_INIT;
	enum crypto_level lv = crypto_result_summary(r, &line);

	app_chrome_set(a, APP_CHROME_PGP, level_attr(lv), lv == CRYPTO_LEVEL_NONE ? "" : line.data);
	buf_release(&line);
	if (r->plain != NULL)
		show_plain(a, r);
}

void pgp_ui_message(struct app *a)
{
	struct pgp_ui *p = a->pgp;
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];
	bool has;

	app_chrome_set(a, APP_CHROME_PGP, TH_CHROME, "");
	if (a->msg_key == NULL)
		return;
	if (p != NULL && p->shown && p->shown_key && strcmp(p->shown_key, a->msg_key) == 0 &&
	    p->shown_len == a->msg_bytes.len) {
		apply(a, p->shown);
		return;
	}
	if (mail_parse(a->msg_bytes.data, a->msg_bytes.len, &m, err, sizeof(err)) != WARY_OK)
		return;
	has = crypto_msg_has_pgp(m);
	mail_free(&m);
	if (!has)
		return;
	if (p == NULL) {
		app_chrome_set(a, APP_CHROME_PGP, TH_CHROME_WARN, "PGP: not checked (no thread for gpg)");
		return;
	}
	app_chrome_set(a, APP_CHROME_PGP, TH_CHROME, "PGP: checking...");
	latest_ask(p->job, a->msg_bytes.data, a->msg_bytes.len, a->msg_key);
}

void pgp_ui_poll(struct app *a)
{
	struct pgp_ui *p = a->pgp;
	void *answer = NULL;
	bool final;

	if (p == NULL || !latest_take(p->job, a->msg_key, &answer, &final) || answer == NULL)
		return;
	crypto_result_free(&p->shown);
	free(p->shown_key);
	p->shown = answer;
	p->shown_key = xstrdup(a->msg_key);
	p->shown_len = a->msg_bytes.len;
	apply(a, p->shown);
}

/* Import the keys in data, saying what happened on the message line.
 * Local gpg work, done here: it takes well under a second. */
static void import_and_say(struct app *a, const char *data, size_t len)
{
	struct crypto *c = NULL;
	struct buf sum = BUF_INIT, fprs = BUF_INIT;
	char err[WARY_ERRLEN];

	if (crypto_new(&c, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "extract-keys: %s", err);
		return;
	}
	if (crypto_import(c, data, len, &sum, &fprs, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "extract-keys: %s", err);
	} else {
		/* one line: the fingerprints after the counts */
		for (size_t i = 0; i < fprs.len; i++)
			if (fprs.data[i] == '\n')
				fprs.data[i] = ' ';
		app_say(a, false, "Keys: %s. %s", sum.data, fprs.data);
		/* what was verified before may read differently now */
		if (a->pgp != NULL) {
			crypto_result_free(&a->pgp->shown);
			free(a->pgp->shown_key);
			a->pgp->shown_key = NULL;
		}
	}
	buf_release(&sum);
	buf_release(&fprs);
	crypto_free(&c);
}

void pgp_ui_extract_keys(struct app *a, const struct mail_part *part)
{
	struct mail_msg *m = NULL;
	struct buf keys = BUF_INIT;
	char err[WARY_ERRLEN];
	const struct mail_part *kp;

	if (part != NULL) {
		if (mail_part_decode(part, &keys, err, sizeof(err)) == WARY_OK)
			import_and_say(a, keys.data, keys.len);
		else
			app_say(a, true, "extract-keys: %s", err);
		buf_release(&keys);
		return;
	}
	if (!a->msg_loaded || a->view == V_INDEX) {
		app_say(a, true, "extract-keys: open the message first");
		return;
	}
	if (mail_parse(a->msg_bytes.data, a->msg_bytes.len, &m, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "extract-keys: %s", err);
		return;
	}
	for (size_t i = 0; (kp = crypto_key_part(m, i)) != NULL; i++)
		(void)mail_part_decode(kp, &keys, err, sizeof(err));
	(void)crypto_autocrypt(m, &keys, NULL, 0, NULL);
	if (keys.len == 0)
		app_say(a, true, "No OpenPGP keys in this message.");
	else
		import_and_say(a, keys.data, keys.len);
	buf_release(&keys);
	mail_free(&m);
}

/* Add lines of text (already safe) to tv. */
static void add_lines(struct textview *tv, const char *text, enum render_kind kind)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		textview_add(tv, p, n, kind);
		p += n + (nl ? 1 : 0);
	}
}

bool pgp_ui_details(struct app *a, struct textview *tv)
{
	struct pgp_ui *p = a->pgp;
	const struct crypto_result *r;
	struct buf t = BUF_INIT;
	struct crypto *c = NULL;
	char err[WARY_ERRLEN];

	if (p == NULL || p->shown == NULL || p->shown_key == NULL || a->msg_key == NULL ||
	    strcmp(p->shown_key, a->msg_key) != 0) {
		app_say(a, true, a->chrome[APP_CHROME_PGP].text[0] ? "PGP: still checking..."
		                                                    : "No PGP in this message.");
		return false;
	}
	r = p->shown;
	textview_clear(tv);
	buf_init(&t);
	(void)crypto_result_summary(r, &t);
	textview_add(tv, t.data, t.len, RENDER_NOTICE);
	buf_reset(&t);
	textview_add(tv, "", 0, RENDER_BODY);
	crypto_result_text(r, &t);
	add_lines(tv, t.data, RENDER_BODY);
	if (crypto_new(&c, err, sizeof(err)) == WARY_OK) {
		for (size_t i = 0; i < r->nsigs; i++) {
			const char *f = r->sigs[i].key_fpr[0] ? r->sigs[i].key_fpr : r->sigs[i].fpr;

			textview_add(tv, "", 0, RENDER_BODY);
			buf_reset(&t);
			if (crypto_key_describe(c, f, &t, err, sizeof(err)) == WARY_OK) {
				add_lines(tv, "The signer's key:", RENDER_PART);
				add_lines(tv, t.data, RENDER_BODY);
			} else {
				char *s = safe_str(err, SAFE_LINE);

				buf_reset(&t);
				buf_addf(&t, "The signer's key %s: %s", f, s);
				textview_add(tv, t.data, t.len, RENDER_NOTICE);
				free(s);
			}
		}
		crypto_free(&c);
	}
	buf_release(&t);
	textview_scroll_to(tv, 0, 1);
	return true;
}

/* ---- wary pgp ------------------------------------------------------------ */
static int cli_import(struct crypto *c, int argc, char **argv)
{
	int status = 0;

	if (argc < 1) {
		fputs("usage: wary pgp import FILE...\n", stderr);
		return 2;
	}
	for (int i = 0; i < argc; i++) {
		struct buf data = BUF_INIT, sum = BUF_INIT, fprs = BUF_INIT;
		char err[WARY_ERRLEN];
		struct mail_msg *m = NULL;
		const struct mail_part *kp;
		int rc;

		if (fs_read_file(argv[i], &data, MAIL_MAX_SIZE, err, sizeof(err)) != WARY_OK) {
			fprintf(stderr, "wary: pgp import: %s\n", err);
			status = 1;
			continue;
		}
		/* a message: the keys attached to it (application/pgp-keys) */
		if (mail_parse(data.data, data.len, &m, err, sizeof(err)) == WARY_OK &&
		    ((kp = crypto_key_part(m, 0)) != NULL || mail_header_get(m, "Autocrypt"))) {
			struct buf keys = BUF_INIT;

			for (size_t k = 0; (kp = crypto_key_part(m, k)) != NULL; k++)
				(void)mail_part_decode(kp, &keys, err, sizeof(err));
			(void)crypto_autocrypt(m, &keys, NULL, 0, NULL);
			buf_release(&data);
			data = keys;
		}
		mail_free(&m);
		rc = crypto_import(c, data.data, data.len, &sum, &fprs, err, sizeof(err));
		if (rc != WARY_OK) {
			char *s = safe_str(err, SAFE_LINE);

			fprintf(stderr, "wary: pgp import: %s\n", s);
			free(s);
			status = 1;
		} else {
			printf("%s\n%s", sum.data, fprs.data);
		}
		buf_release(&data);
		buf_release(&sum);
		buf_release(&fprs);
	}
	return status;
}

int pgp_cli(int argc, char **argv)
{
	struct crypto *c = NULL;
	char err[WARY_ERRLEN];
	int status = 0;

	if (argc < 1 || (strcmp(argv[0], "import") != 0 && strcmp(argv[0], "show") != 0 &&
	                 strcmp(argv[0], "keys") != 0)) {
		fputs("usage: wary pgp import FILE... | show FINGERPRINT | keys ADDRESS\n", stderr);
		return 2;
	}
	if (crypto_new(&c, err, sizeof(err)) != WARY_OK) {
		fprintf(stderr, "wary: pgp: %s\n", err);
		return 1;
	}
	if (strcmp(argv[0], "import") == 0) {
		status = cli_import(c, argc - 1, argv + 1);
	} else if (argc != 2) {
		fprintf(stderr, "usage: wary pgp %s %s\n", argv[0],
		        strcmp(argv[0], "show") == 0 ? "FINGERPRINT" : "ADDRESS");
		status = 2;
	} else if (strcmp(argv[0], "show") == 0) {
		struct buf out = BUF_INIT;

		if (crypto_key_describe(c, argv[1], &out, err, sizeof(err)) != WARY_OK) {
			fprintf(stderr, "wary: pgp show: %s\n", err);
			status = 1;
		} else {
			fwrite(out.data, 1, out.len, stdout);
		}
		buf_release(&out);
	} else {
		struct crypto_key *k = NULL;
		size_t n = 0;

		if (crypto_keys_for(c, argv[1], false, false, &k, &n, err, sizeof(err)) != WARY_OK) {
			fprintf(stderr, "wary: pgp keys: %s\n", err);
			status = 1;
		}
		for (size_t i = 0; i < n; i++) {
			bool usable = !k[i].revoked && !k[i].expired && !k[i].disabled && !k[i].invalid &&
			              k[i].can_encrypt && k[i].validity >= CRYPTO_VALIDITY_MARGINAL;

			printf("%s %s validity=%s%s%s\n", k[i].fpr, k[i].algo,
			       crypto_validity_name(k[i].validity), usable ? " usable" : " not-usable",
			       k[i].revoked ? " revoked" : k[i].expired ? " expired" : "");
			for (size_t u = 0; u < k[i].nuids; u++)
				printf("  uid [%s] %s\n", crypto_validity_name(k[i].uids[u].validity),
				       k[i].uids[u].uid);
		}
		if (status == 0 && n == 0) {
			char *s = safe_str(argv[1], SAFE_LINE);

			fprintf(stderr, "wary: pgp keys: no key for %s\n", s);
			free(s);
			status = 1;
		}
		crypto_keys_free(&k, n);
	}
	crypto_free(&c);
	return status;
}
