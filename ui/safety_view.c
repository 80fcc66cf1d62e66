/*
 * The safety panel: one line of the pager's chrome saying what render/
 * and inspect/ found (remote content blocked, tracking pixels, deceptive
 * links, lying attachments, a read-receipt request), its details view,
 * and the link list (like urlview) whose Enter shows the real target and
 * asks before anything is opened.  Everything shown here comes from
 * render/ and inspect/, already safe; the chrome setter makes it safe
 * again all the same.
 */
#include "ui/app_int.h"
#include "ui/safety.h"
#include "ui/safety_view.h"

struct safety_link {
	char *text, *href, *detail;
	unsigned flags, number;
};

struct safety_ui {
	struct safety_link *links;
	size_t nlinks, cursor, top;
	char *pending_url; /* the link a P_OPEN_LINK question is about */
};

static struct safety_ui *sui(struct app *a)
{
	if (a->safety == NULL)
		a->safety = xcalloc(1, sizeof(*a->safety));
	return a->safety;
}

static void add_line(struct textview *tv, enum render_kind k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void links_clear(struct safety_ui *s)
{
	for (size_t i = 0; i < s->nlinks; i++) {
		free(s->links[i].text);
		free(s->links[i].href);
		free(s->links[i].detail);
	}
	free(s->links);
	s->links = NULL;
	s->nlinks = s->cursor = s->top = 0;
}

void safety_free(struct app *a)
{
	if (a->safety == NULL)
		return;
	links_clear(a->safety);
	free(a->safety->pending_url);
	free(a->safety);
	a->safety = NULL;
}

static void flag_names(struct buf *b, unsigned flags)
{
	const char *sep = "";

	for (unsigned bit = 1; bit; bit <<= 1) {
		const char *n = (flags & bit) ? render_link_flag_name(bit) : NULL;

		if (n != NULL) {
			buf_addf(b, "%s%s", sep, n);
			sep = ", ";
		}
	}
}

/* "attachment is an executable named .pdf" and the like, for one. */
static void attachment_words(struct buf *b, const struct inspect_attachment *at)
{
	const char *dot = strrchr(at->name, '.');

	if ((at->flags & INSPECT_ATT_EXECUTABLE) && dot != NULL &&
	    (at->flags & (INSPECT_ATT_TYPE_MISMATCH | INSPECT_ATT_DOUBLE_EXT)))
		buf_addf(b, "attachment is an executable named %s", dot);
	else if (at->flags & INSPECT_ATT_EXECUTABLE)
		buf_adds(b, "attachment is a program");
	else if (at->flags & INSPECT_ATT_TYPE_MISMATCH)
		buf_addf(b, "attachment %s is really %s", dot ? dot : at->name, at->detected);
	else if (at->flags & INSPECT_ATT_BIDI)
		buf_adds(b, "attachment name reversed by a bidi control");
	else if (at->flags & INSPECT_ATT_DOUBLE_EXT)
		buf_adds(b, "attachment with a double extension");
	else
		buf_adds(b, "attachment name has hidden characters");
}

static bool attachment_bad(unsigned f)
{
	return (f & (INSPECT_ATT_EXECUTABLE | INSPECT_ATT_TYPE_MISMATCH | INSPECT_ATT_BIDI |
	             INSPECT_ATT_DOUBLE_EXT | INSPECT_ATT_PATH)) != 0;
}

/* The message in the pager rendered as inspect renders it: the HTML
 * alternative too, so its references and links count even when the text
 * part is shown. */
static struct render_doc *render_for_safety(struct app *a, struct mail_msg **msg)
{
	struct render_opts o = { RENDER_HEADERS_NONE, true, 80 };
	struct render_doc *doc = NULL;
	char err[WARY_ERRLEN];

	*msg = NULL;
	if (mail_parse(a->msg_bytes.data, a->msg_bytes.len, msg, err, sizeof(err)) != WARY_OK ||
	    render_message(*msg, &o, &doc, err, sizeof(err)) != WARY_OK) {
		mail_free(msg);
		return NULL;
	}
	return doc;
}

void safety_refresh(struct app *a)
{
	struct mail_msg *msg = NULL;
	struct render_doc *doc = render_for_safety(a, &msg);

	if (doc == NULL) {
		app_chrome_set(a, APP_CHROME_SAFETY, TH_CHROME_WARN, "wary could not analyse this message");
		return;
	}
	safety_update(a, doc);
	render_free(&doc);
	mail_free(&msg);
}

void safety_update(struct app *a, const struct render_doc *doc)
{
	struct safety_ui *s = sui(a);
	struct buf line = BUF_INIT, d = BUF_INIT;
	/* a form's target is listed with the links, not as something loaded */
	size_t remote = render_remote_blocked(doc) - render_remote_count(doc, RENDER_REMOTE_FORM);
	size_t images = render_remote_count(doc, RENDER_REMOTE_IMAGE);
	size_t deceptive = 0, forms = 0, bad_atts = 0;
	bool bad = false, warn = false;
	const char *sep = "";

	links_clear(s);
	buf_init(&line);
	buf_init(&d);
	s->links = xcalloc(render_link_count(doc) + 1, sizeof(*s->links));
	for (size_t i = 0; i < render_link_count(doc); i++) {
		const struct render_link *l = render_link_get(doc, i);
		struct safety_link *sl = &s->links[s->nlinks++];

		sl->text = xstrdup(l->text);
		sl->href = xstrdup(l->href);
		sl->detail = xstrdup(l->detail);
		sl->flags = l->flags;
		sl->number = l->number;
		if ((l->flags & RENDER_LINK_DECEPTIVE) && !(l->flags & RENDER_LINK_FORM))
			deceptive++;
		if (l->flags & RENDER_LINK_FORM)
			forms++;
	}
	/* The panel line: counts first, then the names that matter. */
	if (remote > 0) {
		if (images == remote)
			buf_addf(&line, "%zu remote image%s blocked", images, images == 1 ? "" : "s");
		else
			buf_addf(&line, "%zu remote reference%s blocked (%zu image%s)", remote,
			         remote == 1 ? "" : "s", images, images == 1 ? "" : "s");
		sep = ", ";
		warn = true;
	}
	if (render_tracker_count(doc) > 0) {
		size_t n = render_tracker_count(doc);

		buf_addf(&line, "%s%zu tracking pixel%s (", sep, n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n && i < 3; i++)
			buf_addf(&line, "%s%s", i ? ", " : "", render_tracker(doc, i));
		buf_adds(&line, n > 3 ? ", ...)" : ")");
		sep = " \xc2\xb7 ";
		warn = true;
	} else if (remote > 0) {
		sep = " \xc2\xb7 ";
	}
	if (deceptive > 0) {
		buf_addf(&line, "%s%zu deceptive link%s", sep, deceptive, deceptive == 1 ? "" : "s");
		sep = " \xc2\xb7 ";
		bad = true;
	}
	if (forms > 0) {
		buf_addf(&line, "%s%zu form%s", sep, forms, forms == 1 ? "" : "s");
		sep = " \xc2\xb7 ";
		warn = true;
	}
	for (size_t i = 0; i < a->natts; i++) {
		if (!a->atts[i].flags)
			continue;
		bad_atts++;
		if (bad_atts <= 2) {
			buf_adds(&line, sep);
			attachment_words(&line, &a->atts[i]);
			sep = " \xc2\xb7 ";
		}
		if (attachment_bad(a->atts[i].flags))
			bad = true;
		else
			warn = true;
	}
	if (bad_atts > 2)
		buf_addf(&line, " (+%zu more)", bad_atts - 2);
	if (render_receipt_request(doc) != NULL) {
		buf_addf(&line, "%sread receipt asked (never sent)", sep);
		sep = " \xc2\xb7 ";
		warn = true;
	}
	if (render_hidden_count(doc) > 0) {
		buf_addf(&line, "%s%zu hidden text%s dropped", sep, render_hidden_count(doc),
		         render_hidden_count(doc) == 1 ? "" : "s");
		warn = true;
	}
	if (line.len > 0) {
		/* the keys of this keymap, not the default's */
		const char *kd = keymap_key_for(a->km, KM_PAGER, KF_VIEW_SAFETY);
		const char *kl = keymap_key_for(a->km, KM_PAGER, KF_VIEW_LINKS);

		if (kd != NULL || kl != NULL)
			buf_addf(&line, "  (%s%s%s%s%s)", kd ? kd : "", kd ? ": details" : "",
			         kd && kl ? ", " : "", kl ? kl : "", kl ? ": links" : "");
	}
	app_chrome_set(a, APP_CHROME_SAFETY, bad ? TH_CHROME_BAD : warn ? TH_CHROME_WARN : TH_CHROME,
	               line.len ? line.data : "");

	/* The details view, kept in the help text view until asked for. */
	buf_release(&line);
	buf_release(&d);
}


static void add_line(struct textview *tv, enum render_kind k, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	char *s;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	s = safe_str(b.data, SAFE_LINE);
	textview_add(tv, s, strlen(s), k);
	free(s);
	buf_release(&b);
}

void safety_details(struct app *a, struct textview *tv)
{
	struct safety_ui *s = sui(a);
	struct buf b = BUF_INIT;
	struct mail_msg *msg = NULL;
	struct render_doc *doc = render_for_safety(a, &msg);
	struct inspect_attachment *atts = NULL;
	size_t natts = 0;
	char err[WARY_ERRLEN];

	textview_clear(tv);
	if (doc == NULL) {
		add_line(tv, RENDER_NOTICE, "wary could not analyse this message");
		return;
	}
	safety_update(a, doc);
	if (a->insp == NULL && inspect_new(&a->insp, err, sizeof(err)) != WARY_OK)
		a->insp = NULL;
	if (a->insp == NULL || inspect_attachments(a->insp, msg, &atts, &natts, err, sizeof(err)) != WARY_OK)
		natts = 0;
	buf_init(&b);
	add_line(tv, RENDER_HEADER, "What wary found in this message (nothing was loaded)");
	add_line(tv, RENDER_BODY, "%s", "");
	add_line(tv, RENDER_HEADER, "Remote references blocked: %zu", render_remote_blocked(doc));
	for (int k = 0; k < RENDER_REMOTE_KINDS; k++) {
		size_t n = render_remote_count(doc, (enum render_remote_kind)k);

		if (n > 0)
			add_line(tv, RENDER_BODY, "  %zu %s", n, render_remote_kind_name((enum render_remote_kind)k));
	}
	for (size_t i = 0; i < render_ref_count(doc); i++) {
		const struct render_ref *r = render_ref_get(doc, i);

		add_line(tv, r->tracker ? RENDER_NOTICE : RENDER_LINK, "  %-10s %s%s",
		         render_remote_kind_name(r->kind), r->url, r->tracker ? "  [tracking pixel]" : "");
	}
	if (render_tracker_count(doc) > 0) {
		buf_reset(&b);
		for (size_t i = 0; i < render_tracker_count(doc); i++)
			buf_addf(&b, "%s%s", i ? ", " : "", render_tracker(doc, i));
		add_line(tv, RENDER_NOTICE, "Tracking pixels from: %s", b.data);
	}
	if (render_receipt_request(doc) != NULL)
		add_line(tv, RENDER_NOTICE, "Read receipt asked for, to %s: wary never sends one",
		         render_receipt_request(doc));
	{
		/* the allow list decides only what a browser copy keeps */
		struct mail_from f;
		struct render_allow *al = NULL;

		memset(&f, 0, sizeof(f));
		if (mail_from_get(msg, &f) == WARY_OK && f.address != NULL && !f.ambiguous) {
			bool allowed = render_allow_open(NULL, &al, err, sizeof(err)) == WARY_OK &&
			               render_allow_has(al, f.address);

			add_line(tv, RENDER_BODY, allowed ?
			         "Remote content of %s: allowed in the browser copy (wary remote revoke %s)" :
			         "Remote content of %s: removed from the browser copy too (wary remote allow %s)",
			         f.address, f.address);
			render_allow_close(&al);
		}
		mail_from_clear(&f);
	}
	if (render_hidden_count(doc) > 0)
		add_line(tv, RENDER_NOTICE, "Hidden text dropped: %zu pieces (display:none, white on white, tiny)",
		         render_hidden_count(doc));
	add_line(tv, RENDER_BODY, "%s", "");
	add_line(tv, RENDER_HEADER, "Links: %zu (L lists them; Enter there shows the target and asks)",
	         s->nlinks);
	for (size_t i = 0; i < s->nlinks; i++) {
		const struct safety_link *l = &s->links[i];

		if (!l->flags)
			continue;
		buf_reset(&b);
		flag_names(&b, l->flags);
		add_line(tv, (l->flags & RENDER_LINK_DECEPTIVE) ? RENDER_NOTICE : RENDER_BODY,
		         "  \"%s\" -> %s [%s]", l->text, l->href, b.data);
		if (l->detail[0])
			add_line(tv, RENDER_BODY, "      %s", l->detail);
	}
	add_line(tv, RENDER_BODY, "%s", "");
	add_line(tv, RENDER_HEADER, "Attachments: %zu (v lists them)", natts);
	for (size_t i = 0; i < natts; i++) {
		const struct inspect_attachment *at = &atts[i];

		buf_reset(&b);
		for (unsigned bit = 1; bit; bit <<= 1)
			if ((at->flags & bit) && inspect_att_flag_name(bit))
				buf_addf(&b, "%s%s", b.len ? ", " : "", inspect_att_flag_name(bit));
		add_line(tv, at->flags ? RENDER_NOTICE : RENDER_ATTACHMENT,
		         "  %s: declared %s, really %s, %zu bytes%s%s%s", at->name[0] ? at->name : "(no name)",
		         at->declared, at->detected, at->size, b.len ? " [" : "", b.data, b.len ? "]" : "");
	}
	buf_release(&b);
	inspect_attachments_free(&atts, natts);
	render_free(&doc);
	mail_free(&msg);
	textview_scroll_to(tv, 0, 1);
}

/* ------------------------------------------------------------ link list */

size_t safety_link_count(struct app *a)
{
	return sui(a)->nlinks;
}

void safety_link_move(struct app *a, long delta)
{
	struct safety_ui *s = sui(a);

	if (s->nlinks == 0)
		return;
	if (delta < 0 && (size_t)-delta > s->cursor)
		s->cursor = 0;
	else if (delta > 0 && s->cursor + (size_t)delta >= s->nlinks)
		s->cursor = s->nlinks - 1;
	else
		s->cursor = (size_t)((long)s->cursor + delta);
}

/* Rows the target of a link takes: the selected one is shown whole,
 * wrapped, so a long URL cannot hide where it goes. */
static int target_rows(const struct safety_link *l, bool selected, int width)
{
	size_t len = strlen(l->href) + (l->detail[0] ? strlen(l->detail) + 4 : 0) + 7;
	int n;

	if (!selected || width < 10)
		return 1;
	n = (int)((len + (size_t)width - 1) / (size_t)width);
	return n < 1 ? 1 : n > 8 ? 8 : n;
}

void safety_draw_links(struct app *a)
{
	struct safety_ui *s = sui(a);
	int top = 1, rows = LINES - 3, r = 0;
	struct buf line = BUF_INIT;
	char status[256];
	size_t bad = 0;

	if (rows < 2)
		rows = 2;
	/* the cursor's link on screen, with its target whole */
	if (s->cursor < s->top)
		s->top = s->cursor;
	for (;;) {
		int used = 0;

		for (size_t i = s->top; i <= s->cursor && i < s->nlinks; i++)
			used += 1 + target_rows(&s->links[i], i == s->cursor, COLS);
		if (used <= rows || s->top >= s->cursor)
			break;
		s->top++;
	}
	buf_init(&line);
	for (size_t i = s->top; i < s->nlinks && r < rows; i++) {
		const struct safety_link *l = &s->links[i];
		bool sel = i == s->cursor;
		int tr = target_rows(l, sel, COLS);
		size_t off = 0;

		buf_reset(&line);
		if (l->number)
			buf_addf(&line, "%3u ", l->number);
		else
			buf_adds(&line, "  - ");
		if (l->flags) {
			buf_addch(&line, '[');
			flag_names(&line, l->flags);
			buf_adds(&line, "] ");
		}
		buf_addf(&line, "\"%s\"", l->text);
		app_put_padded(top + r++, 0, line.data, COLS,
		               a->attr[sel ? TH_INDICATOR : (l->flags & RENDER_LINK_DECEPTIVE) ? TH_ERROR : TH_NORMAL]);
		buf_reset(&line);
		buf_addf(&line, "    -> %s", l->href[0] ? l->href : "(no target)");
		if (l->detail[0])
			buf_addf(&line, "  (%s)", l->detail);
		for (int k = 0; k < tr && r < rows; k++) {
			size_t take = line.len - off;

			if (k + 1 < tr && take > (size_t)COLS) {
				take = (size_t)COLS;
				/* do not cut a UTF-8 sequence */
				while (take > 1 && ((unsigned char)line.data[off + take] & 0xc0) == 0x80)
					take--;
			}
			{
				char *piece = xstrndup(line.data + off, take);

				app_put_padded(top + r++, 0, piece, COLS, a->attr[sel ? TH_INDICATOR : TH_LINK]);
				free(piece);
			}
			off += take;
		}
	}
	for (; r < rows; r++)
		app_fill(top + r, 0, COLS, a->attr[TH_NORMAL]);
	buf_release(&line);
	for (size_t i = 0; i < s->nlinks; i++)
		bad += (s->links[i].flags & RENDER_LINK_DECEPTIVE) && !(s->links[i].flags & RENDER_LINK_FORM);
	snprintf(status, sizeof(status), "-- wary: links [%zu, %zu deceptive] -- Enter shows the target and asks",
	         s->nlinks, bad);
	app_put_padded(LINES - 2, 0, status, COLS, a->attr[TH_STATUS]);
}

/* Enter on a link: the real target, then a question. */
bool safety_link_ask(struct app *a, char *label, size_t len)
{
	struct safety_ui *s = sui(a);
	const struct safety_link *l;

	if (s->cursor >= s->nlinks)
		return false;
	l = &s->links[s->cursor];
	free(s->pending_url);
	s->pending_url = NULL;
	if (l->href[0] == '\0' || (l->flags & (RENDER_LINK_SCRIPT_URL | RENDER_LINK_FORM))) {
		app_say(a, true, "Not opened: %s", l->flags & RENDER_LINK_FORM ? "a form's target" :
		                                   l->href[0] ? "a script or data URL" : "no target");
		return false;
	}
	s->pending_url = xstrdup(l->href);
	/* the answer and the warning first: a long target is cut at the end
	 * of the line, and the list above shows it whole */
	snprintf(label, len, "%sOpen the target shown above? (y/n) %s ",
	         (l->flags & RENDER_LINK_DECEPTIVE) ? "DECEPTIVE link. " : "", l->href);
	return true;
}

void safety_link_answer(struct app *a, int key)
{
	struct safety_ui *s = sui(a);
	char *cmd;

	if (s->pending_url == NULL || !(key == 'y' || key == 'Y')) {
		app_say(a, false, "Not opened.");
		return;
	}
	{
		char *url = safety_url_for_shell(s->pending_url);

		cmd = safety_open_command("text/html", url);
		free(url);
	}
	if (cmd == NULL) {
		app_say(a, true, "No $BROWSER and no text/html entry in mailcap.");
		return;
	}
	def_prog_mode();
	endwin();
	{
		int st = safety_run(cmd);

		reset_prog_mode();
		refresh();
		app_say(a, st != 0, "exited with %d: %s", st, cmd);
	}
	free(cmd);
}

/* ------------------------------------------------------------ browser */

void safety_open_browser(struct app *a, const struct mail_msg *msg)
{
	char err[WARY_ERRLEN], *path = NULL, *cmd = NULL;
	bool allowed = false;
	size_t removed = 0;

	if (safety_write_browser_copy(msg, &path, &allowed, &removed, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "%s", err);
		return;
	}
	cmd = safety_open_command("text/html", path);
	if (cmd == NULL) {
		app_say(a, true, "Wrote %s; no $BROWSER and no text/html entry in mailcap to open it.", path);
		free(path);
		return;
	}
	def_prog_mode();
	endwin();
	{
		int st = safety_run(cmd);

		reset_prog_mode();
		refresh();
		app_say(a, st != 0, "%s: %zu remote reference%s removed%s (browser exit %d)", path, removed,
		        removed == 1 ? "" : "s", allowed ? ", sender allowed: remote images kept" : "", st);
	}
	free(cmd);
	free(path);
}

void safety_open_attachment(struct app *a, const struct inspect_attachment *at)
{
	struct buf data = BUF_INIT;
	char err[WARY_ERRLEN], *path = NULL, *cmd = NULL;

	if (at->flags & (INSPECT_ATT_EXECUTABLE | INSPECT_ATT_TYPE_MISMATCH)) {
		app_say(a, true, "Not opened: it is really %s. Save it (s) if you must.", at->detected);
		return;
	}
	buf_init(&data);
	if (mail_part_decode(at->part, &data, err, sizeof(err)) != WARY_OK && data.len == 0) {
		app_say(a, true, "Cannot decode the attachment: %s", err);
		goto out;
	}
	if (safety_private_copy(mail_part_filename(at->part) ? mail_part_filename(at->part) : "attachment",
	                        data.data, data.len, &path, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "%s", err);
		goto out;
	}
	/* the declared type picks the program, libmagic agreed with it */
	cmd = safety_open_command(at->declared, path);
	if (cmd == NULL) {
		app_say(a, true, "No mailcap entry for %s (copy in %s).", at->declared, path);
		goto out;
	}
	def_prog_mode();
	endwin();
	{
		int st = safety_run(cmd);

		reset_prog_mode();
		refresh();
		app_say(a, st != 0, "exited with %d: %s", st, cmd);
	}
out:
	free(cmd);
	free(path);
	buf_release(&data);
}
