/* The interactive client: event loop, views and key dispatch.  Every
 * string drawn here is safe text by the time it arrives: index fields are
 * made safe by index.c, message lines by render/, raw lines here through
 * SAFE_RAW, store errors and folder names through safe_str(). */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "base/base.h"
#include "config/config.h"
#include "inspect/inspect.h"
#include "mail/mail.h"
#include "pattern/pattern.h"
#include "render/render.h"
#include "store/store.h"
#include "ui/trace_view.h"
#include "ui/app.h"
#include "ui/app_int.h"
#include "ui/compose.h"
#include "ui/index.h"
#include "ui/keymap.h"
#include "ui/pgp.h"
#include "ui/verdict.h"
#include "ui/safety_view.h"
#include "ui/spam_ui.h"
#include "ui/textview.h"
#include "ui/theme.h"
#include "ui/worker.h"


static int sig_pipe_wr = -1;

/* WARY_TRACE=FILE appends when the milestones of a folder load happen
 * (ms since start), so speed can be measured without scraping a screen. */
static FILE *trace_file;
static long long trace_t0;

static long long now_ms(void);
static void wtrace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void wtrace(const char *fmt, ...)
{
	va_list ap;

	if (trace_file == NULL)
		return;
	fprintf(trace_file, "%lld ", now_ms() - trace_t0);
	va_start(ap, fmt);
	vfprintf(trace_file, fmt, ap);
	va_end(ap);
	fputc('\n', trace_file);
	fflush(trace_file);
}

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (sig_pipe_wr >= 0 && write(sig_pipe_wr, &c, 1) < 0) {
		/* the loop wakes on the bytes already there */
	}
	errno = saved;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void app_say(struct app *a, bool is_err, const char *fmt, ...)
{
	va_list ap;
	struct buf raw = BUF_INIT, safe = BUF_INIT;

	va_start(ap, fmt);
	buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	/* Messages quote store errors and names from disk: make them safe. */
	safe_text(&safe, raw.data, raw.len, SAFE_LINE);
	str_copy(a->status, safe.data, sizeof(a->status));
	a->status_err = is_err;
	buf_release(&raw);
	buf_release(&safe);
}

/* ------------------------------------------------------------------ colours */

static int curses_attrs(unsigned attrs)
{
	int at = A_NORMAL;

	if (attrs & THEME_A_BOLD)
		at |= A_BOLD;
	if (attrs & THEME_A_UNDERLINE)
		at |= A_UNDERLINE;
	if (attrs & THEME_A_REVERSE)
		at |= A_REVERSE;
	if (attrs & THEME_A_STANDOUT)
		at |= A_STANDOUT;
	if (attrs & THEME_A_DIM)
		at |= A_DIM;
#ifdef A_ITALIC
	if (attrs & THEME_A_ITALIC)
		at |= A_ITALIC;
#endif
	return at;
}

static void setup_colors(struct app *a)
{
	bool color = has_colors();

	if (color) {
		start_color();
		use_default_colors();
	}
	for (int o = 0; o < TH_OBJ_COUNT; o++) {
		const struct theme_color *c = theme_get(a->th, (enum theme_obj)o);
		int at;

		/* A terminal without colours gets the theme's mono lines. */
		if (!color || c == NULL) {
			a->attr[o] = curses_attrs(theme_get_mono(a->th, (enum theme_obj)o));
			continue;
		}
		at = curses_attrs(c->attrs);
		if ((c->fg >= 0 || c->bg >= 0) && o + 1 < COLOR_PAIRS && c->fg < COLORS &&
		    c->bg < COLORS) {
			init_pair((short)(o + 1), (short)c->fg, (short)c->bg);
			at |= COLOR_PAIR(o + 1);
		}
		a->attr[o] = at;
	}
}

int app_kind_attr(const struct app *a, enum render_kind k)
{
	switch (k) {
	case RENDER_HEADER: return a->attr[TH_HEADER];
	case RENDER_QUOTE1: return a->attr[TH_QUOTE1];
	case RENDER_QUOTE2: return a->attr[TH_QUOTE2];
	case RENDER_SIGNATURE: return a->attr[TH_SIGNATURE];
	case RENDER_PART: return a->attr[TH_PART];
	case RENDER_ATTACHMENT: return a->attr[TH_ATTACHMENT];
	case RENDER_LINK: return a->attr[TH_LINK];
	case RENDER_NOTICE: return a->attr[TH_NOTICE];
	case RENDER_BODY: break;
	}
	return a->attr[TH_NORMAL];
}

/* ------------------------------------------------------------------ drawing */

/* Draw safe text at (y, x), at most cols columns; returns columns used. */
int app_put(int y, int x, const char *s, size_t len, int cols, int attr)
{
	int used = 0;
	size_t n;
	struct buf tmp = BUF_INIT;

	if (cols <= 0)
		return 0;
	/* no text needs 64 bytes a column: a huge field costs a screenful */
	if (len > (size_t)cols * 64 + 64)
		len = (size_t)cols * 64 + 64;
	/* every drawn string passes here: the one gate, whatever the caller did */
	s = text_for_terminal(s, &len, &tmp);
	n = text_fit(s, len, cols, &used);
	attrset(attr);
	mvaddnstr(y, x, s, (int)n);
	buf_release(&tmp);
	return used;
}

void app_fill(int y, int x, int cols, int attr)
{
	if (cols <= 0)
		return;
	attrset(attr);
	mvhline(y, x, ' ', cols);
}

/* A line padded to exactly cols columns. */
void app_put_padded(int y, int x, const char *s, int cols, int attr)
{
	int used = app_put(y, x, s, strlen(s), cols, attr);

	app_fill(y, x + used, cols - used, attr);
}

static void draw_helpbar(struct app *a, enum km_menu menu)
{
	static const struct {
		enum km_func f;
		const char *label;
	} items[] = {
		{ KF_QUIT, "Quit" }, { KF_EXIT, "Back" }, { KF_DISPLAY_MESSAGE, "Open" },
		{ KF_DELETE_MESSAGE, "Del" }, { KF_UNDELETE_MESSAGE, "Undel" },
		{ KF_VIEW_RAW_MESSAGE, "Raw" }, { KF_DISPLAY_TOGGLE_WEED, "Headers" },
		{ KF_CHANGE_FOLDER, "Folders" }, { KF_SEARCH, "Search" }, { KF_HELP, "Help" },
	};
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(items); i++) {
		const char *k = keymap_key_for(a->km, menu, items[i].f);

		if (k == NULL)
			continue;
		if (menu == KM_INDEX && items[i].f == KF_EXIT)
			continue;
		if (menu != KM_INDEX && items[i].f == KF_QUIT && keymap_key_for(a->km, menu, KF_EXIT))
			continue;
		buf_addf(&b, "%s:%s  ", k, items[i].label);
	}
	app_put_padded(0, 0, b.data, COLS, a->attr[TH_HELPBAR]);
	buf_release(&b);
}

static void draw_status(struct app *a, const char *text)
{
	app_put_padded(LINES - 2, 0, text, COLS, a->attr[TH_STATUS]);
}

static void draw_message_line(struct app *a)
{
	int y = LINES - 1;

	if (a->prompt != P_NONE) {
		int used = app_put(y, 0, a->prompt_label, strlen(a->prompt_label), COLS,
		               a->attr[TH_PROMPT]);
		struct buf safe = BUF_INIT;

		/* A secret is never drawn, not even as its length. */
		if (a->prompt != P_SECRET)
			safe_text(&safe, a->input.data, a->input.len, SAFE_LINE);
		used += app_put(y, used, safe.data, safe.len, COLS - used, a->attr[TH_NORMAL]);
		app_fill(y, used, COLS - used, a->attr[TH_NORMAL]);
		move(y, used < COLS ? used : COLS - 1);
		buf_release(&safe);
		return;
	}
	app_put_padded(y, 0, a->status, COLS, a->attr[a->status_err ? TH_ERROR : TH_MESSAGE]);
}

static void format_date(time_t t, char *out, size_t n)
{
	struct tm tm;

	if (t <= 0 || localtime_r(&t, &tm) == NULL || strftime(out, n, "%Y-%m-%d", &tm) == 0)
		str_copy(out, "          ", n);
}

static char flag_char(unsigned f)
{
	if (f & STORE_DELETED)
		return 'D';
	if (f & STORE_FLAGGED)
		return '!';
	if (!(f & STORE_SEEN))
		return (f & STORE_NEW) ? 'N' : 'O';
	if (f & STORE_ANSWERED)
		return 'r';
	return ' ';
}

static int sidebar_width(const struct app *a)
{
	return a->sidebar && COLS > SIDEBAR_COLS * 2 ? SIDEBAR_COLS : 0;
}

static void draw_sidebar(struct app *a, int top, int rows)
{
	int w = sidebar_width(a);

	for (int r = 0; r < rows; r++) {
		size_t i = (size_t)r;

		if (i < a->nfolders) {
			char line[256];
			const struct store_folder *f = &a->folders[i];
			char *name = safe_str(f->name, SAFE_LINE);
			bool cur = a->folder && strcmp(f->id, a->folder) == 0;

			snprintf(line, sizeof(line), "%s%s", cur ? ">" : " ", name);
			free(name);
			app_put_padded(top + r, 0, line, w - 7, a->attr[cur ? TH_INDICATOR : TH_SIDEBAR]);
			snprintf(line, sizeof(line), "%6u", f->unread);
			app_put_padded(top + r, w - 7, f->unread ? line : "", 6, a->attr[TH_SIDEBAR]);
		} else {
			app_fill(top + r, 0, w - 1, a->attr[TH_SIDEBAR]);
		}
		app_put(top + r, w - 1, "\u2502", 3, 1, a->attr[TH_SIDEBAR]);
	}
}

static void draw_index(struct app *a)
{
	int top = 1, rows = LINES - 3, x0 = sidebar_width(a), w = COLS - x0;
	size_t n = index_count(a->ix), cur = index_cursor(a->ix);
	struct buf line = BUF_INIT, tree = BUF_INIT;
	struct index_counts c;
	char status[512];

	if (rows < 1)
		rows = 1;
	if (cur < a->index_top)
		a->index_top = cur;
	if (cur >= a->index_top + (size_t)rows)
		a->index_top = cur - (size_t)rows + 1;
	if (a->index_top + (size_t)rows > n)
		a->index_top = n > (size_t)rows ? n - (size_t)rows : 0;
	if (x0)
		draw_sidebar(a, top, rows);
	for (int r = 0; r < rows; r++) {
		size_t p = a->index_top + (size_t)r;
		const struct store_row *row = index_row(a->ix, p);
		char date[32];
		int attr, used;
		const char *from;

		if (row == NULL) {
			app_fill(top + r, x0, w, a->attr[TH_NORMAL]);
			continue;
		}
		format_date(row->date, date, sizeof(date));
		attr = a->attr[TH_NORMAL];
		if (row->flags & STORE_DELETED)
			attr = a->attr[TH_INDEX_DELETED];
		else if (row->flags & STORE_FLAGGED)
			attr = a->attr[TH_INDEX_FLAGGED];
		else if (!(row->flags & STORE_SEEN))
			attr = a->attr[TH_INDEX_NEW];
		if (p == cur)
			attr = a->attr[TH_INDICATOR];
		buf_reset(&line);
		buf_addf(&line, "%5zu %c %s %c ", p + 1, flag_char(row->flags), date,
		         spam_ui_mark(a, row->key));
		used = app_put(top + r, x0, line.data, line.len, w, attr);
		from = index_row_from(a->ix, p);
		{
			int fw = 20, fu = app_put(top + r, x0 + used, from, strlen(from), fw, attr);

			app_fill(top + r, x0 + used + fu, fw - fu + 2, attr);
			used += fw + 2;
		}
		index_row_tree(a->ix, p, &tree);
		if (tree.len)
			used += app_put(top + r, x0 + used, tree.data, tree.len, w - used,
			            p == cur ? attr : a->attr[TH_TREE]);
		{
			const char *subj = index_row_subject(a->ix, p);

			used += app_put(top + r, x0 + used, subj, strlen(subj), w - used, attr);
		}
		app_fill(top + r, x0 + used, w - used, attr);
	}
	index_counts(a->ix, &c);
	if (a->loading) {
		char bar[24];
		size_t total = a->load_total ? a->load_total : 1;
		size_t filled = a->load_done * 20 / total;

		for (size_t i = 0; i < 20; i++)
			bar[i] = i < filled ? '#' : '.';
		bar[20] = '\0';
		snprintf(status, sizeof(status), "-- wary: %s [loading %zu/%zu] [%s] -- (%s)",
		         a->folder ? a->folder : "", a->load_done, a->load_total, bar,
		         index_sort_name(index_sort(a->ix)));
	} else {
		snprintf(status, sizeof(status), "-- wary: %s [%zu msgs, %zu unread, %zu flagged, %zu deleted] -- (%s)",
		         a->folder ? a->folder : "", c.total, c.unread, c.flagged, c.deleted,
		         index_sort_name(index_sort(a->ix)));
	}
	if (a->conn.state == STORE_CONN_RECONNECTING || a->conn.state == STORE_CONN_OFFLINE) {
		size_t len = strlen(status);

		/* Counted down from when the worker said it, so the user sees
		 * time pass, not a number frozen since the last attempt. */
		long long left = a->conn_at + a->conn.retry_in_ms - now_ms();

		if (left < 0)
			left = 0;
		if (a->conn.state == STORE_CONN_RECONNECTING)
			snprintf(status + len, sizeof(status) - len, a->conn.from_cache
			             ? " -- offline: %.160s, retrying in %lld s"
			             : " -- connection lost: %.160s; reconnecting in %lld s",
			         a->conn.reason[0] ? a->conn.reason : "no answer", (left + 999) / 1000);
		else
			snprintf(status + len, sizeof(status) - len, " -- offline: %.200s", a->conn.reason);
		len = strlen(status);
		if (a->conn.queued)
			snprintf(status + len, sizeof(status) - len, " (%zu queued)", a->conn.queued);
	}
	if (a->limit[0]) {
		size_t len = strlen(status);

		snprintf(status + len, sizeof(status) - len, " -- limit: %s (%zu shown)", a->limit,
		         index_count(a->ix));
	}
	if (a->fetching) {
		size_t len = strlen(status);

		snprintf(status + len, sizeof(status) - len, " -- fetching %zu/%zu", a->fetch_done,
		         a->fetch_total);
	}
	{
		char *safe = safe_str(status, SAFE_LINE);

		draw_status(a, safe);
		free(safe);
	}
	buf_release(&line);
	buf_release(&tree);
}

void app_chrome_set(struct app *a, enum app_chrome_slot slot, enum theme_obj attr, const char *text)
{
	struct buf safe = BUF_INIT;

	/* The words are wary's, but they quote names from the message. */
	safe_text(&safe, text, strlen(text), SAFE_LINE);
	str_copy(a->chrome[slot].text, safe.data ? safe.data : "", sizeof(a->chrome[slot].text));
	a->chrome[slot].attr = attr;
	buf_release(&safe);
}

int app_chrome_rows(const struct app *a)
{
	int n = 0;

	for (int i = 0; i < APP_CHROME_SLOTS; i++)
		if (a->chrome[i].text[0])
			n++;
	/* The body keeps at least one row on a tiny terminal. */
	return n < LINES - 4 ? n : (LINES - 4 > 0 ? LINES - 4 : 0);
}

static void draw_textview(struct app *a, struct textview *tv, const char *title)
{
	int top = 1, rows = LINES - 3;
	size_t first, nrows;
	char status[512];

	if (tv == a->pager) {
		/* The chrome sits between the help bar and the body, so no body
		 * line can pretend to be it by scrolling into its place. */
		int n = app_chrome_rows(a), drawn = 0;

		for (int i = 0; i < APP_CHROME_SLOTS && drawn < n; i++) {
			if (!a->chrome[i].text[0])
				continue;
			app_put_padded(top + drawn, 0, a->chrome[i].text, COLS, a->attr[a->chrome[i].attr]);
			drawn++;
		}
		top += n;
		rows -= n;
	}
	if (rows < 1)
		rows = 1;
	textview_layout(tv, COLS);
	first = textview_top(tv);
	nrows = textview_rows(tv);
	for (int r = 0; r < rows; r++) {
		size_t row = first + (size_t)r, line, off, len;
		enum render_kind kind;
		const char *text;
		int used;

		if (row >= nrows) {
			app_fill(top + r, 0, COLS, a->attr[TH_NORMAL]);
			continue;
		}
		textview_row(tv, row, &line, &off, &len);
		text = textview_line(tv, line, &kind);
		used = app_put(top + r, 0, text + off, len, COLS, app_kind_attr(a, kind));
		if (a->search[0]) {
			/* Highlight matches inside this row. */
			const char *p = text + off, *end = text + off + len;
			size_t plen = strlen(a->search);
			const char *hit;

			while (p < end && (hit = str_memcasemem(p, (size_t)(end - p), a->search))) {
				int x = text_width(text + off, (size_t)(hit - (text + off)));
				size_t hl = (size_t)(end - hit) < plen ? (size_t)(end - hit) : plen;

				app_put(top + r, x, hit, hl, COLS - x, a->attr[TH_SEARCH]);
				p = hit + hl;
			}
		}
		app_fill(top + r, used, COLS - used, a->attr[TH_NORMAL]);
	}
	{
		size_t end = first + (size_t)rows;
		int pct = nrows == 0 || end >= nrows ? 100 : (int)(end * 100 / nrows);
		char *safe;

		snprintf(status, sizeof(status), "-- wary: %s -- %zu/%zu (%s%d%%)", title,
		         nrows ? first + 1 : 0, nrows, end >= nrows ? "end, " : "", pct);
		safe = safe_str(status, SAFE_LINE);
		draw_status(a, safe);
		free(safe);
	}
}

static void draw_browser(struct app *a)
{
	int top = 1, rows = LINES - 3;
	size_t first = 0;

	if (rows < 1)
		rows = 1;
	if (a->browser_cursor >= (size_t)rows)
		first = a->browser_cursor - (size_t)rows + 1;
	for (int r = 0; r < rows; r++) {
		size_t i = first + (size_t)r;
		char line[512];

		if (i >= a->nfolders) {
			app_fill(top + r, 0, COLS, a->attr[TH_NORMAL]);
			continue;
		}
		char *name = safe_str(a->folders[i].name, SAFE_LINE);
		snprintf(line, sizeof(line), "%4zu %s %-30s %6u msgs %6u unread %s", i + 1,
		         a->folder && strcmp(a->folders[i].id, a->folder) == 0 ? "*" : " ", name,
		         a->folders[i].total, a->folders[i].unread,
		         a->folders[i].special ? a->folders[i].special : "");
		free(name);
		app_put_padded(top + r, 0, line, COLS,
		           a->attr[i == a->browser_cursor ? TH_INDICATOR : TH_NORMAL]);
	}
	{
		char status[256];

		snprintf(status, sizeof(status), "-- wary: folders [%zu] -- Enter opens", a->nfolders);
		draw_status(a, status);
	}
}

static void atts_clear(struct app *a)
{
	inspect_attachments_free(&a->atts, a->natts);
	a->natts = a->att_cursor = 0;
	mail_free(&a->att_msg);
}

/* The attachments of the loaded message, typed by their bytes. */
static bool build_attachments(struct app *a)
{
	char err[WARY_ERRLEN];

	atts_clear(a);
	if (a->insp == NULL && inspect_new(&a->insp, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "%s", err);
		return false;
	}
	if (mail_parse(a->msg_bytes.data, a->msg_bytes.len, &a->att_msg, err, sizeof(err)) != WARY_OK ||
	    inspect_attachments(a->insp, a->att_msg, &a->atts, &a->natts, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "%s", err);
		return false;
	}
	return true;
}

static void format_size(size_t n, char *out, size_t len)
{
	if (n < 10240)
		snprintf(out, len, "%zu B", n);
	else if (n < 10u * 1024 * 1024)
		snprintf(out, len, "%zu KB", n / 1024);
	else
		snprintf(out, len, "%zu MB", n / (1024 * 1024));
}

static void draw_attach(struct app *a)
{
	int top = 1, rows = LINES - 3;
	size_t first = 0, bad = 0;
	char status[256];

	if (rows < 1)
		rows = 1;
	if (a->att_cursor >= (size_t)rows)
		first = a->att_cursor - (size_t)rows + 1;
	for (size_t i = 0; i < a->natts; i++)
		if (a->atts[i].flags)
			bad++;
	for (int r = 0; r < rows; r++) {
		size_t i = first + (size_t)r;
		struct buf line = BUF_INIT;
		const struct inspect_attachment *at;
		char size[32];
		int attr;

		if (i >= a->natts) {
			app_fill(top + r, 0, COLS, a->attr[TH_NORMAL]);
			continue;
		}
		at = &a->atts[i];
		format_size(at->size, size, sizeof(size));
		/* Strings here are inspect's, already safe.  Warnings first: a
		 * narrow screen cuts the end of the line, never them. */
		buf_addf(&line, "%3zu %8s  %-30s ", i + 1, size, at->name[0] ? at->name : "(no name)");
		if (at->flags) {
			const char *sep = "[";

			for (unsigned bit = 1; bit; bit <<= 1)
				if ((at->flags & bit) && inspect_att_flag_name(bit)) {
					buf_addf(&line, "%s%s", sep, inspect_att_flag_name(bit));
					sep = ", ";
				}
			buf_adds(&line, "] ");
		}
		buf_adds(&line, at->declared);
		if (strcmp(at->declared, at->detected) != 0)
			buf_addf(&line, ", really %s", at->detected);
		attr = a->attr[at->flags ? TH_ERROR : TH_ATTACHMENT];
		if (i == a->att_cursor)
			attr = a->attr[TH_INDICATOR];
		app_put_padded(top + r, 0, line.data, COLS, attr);
		buf_release(&line);
	}
	snprintf(status, sizeof(status), "-- wary: attachments [%zu, %zu suspicious] -- s saves",
	         a->natts, bad);
	draw_status(a, status);
}

static const char *pager_title(struct app *a)
{
	size_t cur = index_cursor(a->ix);
	const struct store_row *r = index_row(a->ix, cur);

	if (r && a->msg_key && strcmp(r->key, a->msg_key) == 0) {
		return index_row_subject(a->ix, cur)[0] ? index_row_subject(a->ix, cur) : "(message)";
	}
	return "(message)";
}

static void draw(struct app *a)
{
	static const enum km_menu menus[] = { KM_INDEX, KM_PAGER, KM_RAW, KM_HELP, KM_BROWSER,
	                                      KM_ATTACH, KM_LINKS, KM_HELP, KM_HELP, KM_COMPOSE,
	                                      KM_HELP };

	erase();
	if (LINES < 4 || COLS < 10) {
		attrset(a->attr[TH_NORMAL]);
		mvaddstr(0, 0, "window too small");
		refresh();
		return;
	}
	draw_helpbar(a, menus[a->view]);
	switch (a->view) {
	case V_INDEX:
		draw_index(a);
		break;
	case V_PAGER: {
		char title[300];

		/* what the attachments really are is in the safety panel */
		if (a->pager_atts)
			snprintf(title, sizeof(title), "%s -- %zu attachment%s (v)", pager_title(a),
			         a->pager_atts, a->pager_atts == 1 ? "" : "s");
		else
			snprintf(title, sizeof(title), "%s", pager_title(a));
		spam_ui_title(a, title, sizeof(title));
		draw_textview(a, a->pager, title);
		break;
	}
	case V_RAW:
		draw_textview(a, a->raw, "raw source (escapes shown)");
		break;
	case V_HELP:
		draw_textview(a, a->help, "help");
		break;
	case V_BROWSER:
		draw_browser(a);
		break;
	case V_ATTACH:
		draw_attach(a);
		break;
	case V_LINKS:
		safety_draw_links(a);
		break;
	case V_SAFETY:
		draw_textview(a, a->help, "safety details -- L lists the links, W opens the HTML in a browser");
		break;
	case V_SENDER:
		draw_textview(a, a->help, "sender verdict -- who really sent this message");
		break;
	case V_PGP:
		draw_textview(a, a->help, "PGP -- what was checked, and the signer's key");
		break;
	case V_COMPOSE:
		compose_draw(a);
		break;
	}
	draw_message_line(a);
	if (a->prompt == P_NONE)
		move(LINES - 1, COLS - 1);
	refresh();
	if (a->view == V_INDEX && !a->traced_first && index_count(a->ix) > 0) {
		a->traced_first = true;
		wtrace("first screen %zu rows", index_count(a->ix));
	}
	if (a->view == V_INDEX && !a->traced_full && !a->loading) {
		a->traced_full = true;
		wtrace("full index %zu rows", index_count(a->ix));
	}
}

/* ------------------------------------------------------------------ models */

static const char *func_name(enum km_func f)
{
	size_t n = 0;
	const struct km_func_def *defs = keymap_funcs(&n);

	for (size_t i = 0; i < n; i++)
		if (defs[i].id == f)
			return defs[i].name;
	return "?";
}

static void build_help(struct app *a, enum km_menu menu)
{
	struct buf b = BUF_INIT;
	enum km_menu menus[2] = { menu, KM_GENERIC };

	textview_clear(a->help);
	buf_addf(&b, "Keys of the %s view (keymap: %s)", keymap_menu_name(menu),
	         config_get(a->cfg, "keymap"));
	{
		char *s = safe_str(b.data, SAFE_LINE);

		textview_add(a->help, s, strlen(s), RENDER_HEADER);
		free(s);
	}
	textview_add(a->help, "", 0, RENDER_BODY);
	for (size_t m = 0; m < 2; m++) {
		size_t n = keymap_binding_count(a->km, menus[m]);

		if (m == 1 && menu == KM_GENERIC)
			break;
		if (m == 1) {
			textview_add(a->help, "", 0, RENDER_BODY);
			textview_add(a->help, "Generic keys (every view):", 26, RENDER_HEADER);
		}
		for (size_t i = 0; i < n; i++) {
			const char *keys = NULL;
			const struct km_binding *bd = keymap_binding_at(a->km, menus[m], i, &keys);
			const char *fname = "macro";
			char *safe;

			if (bd == NULL)
				continue;
			/* A generic key the view binds itself is not what it does here. */
			if (m == 1) {
				int codes[MAX_SEQ];
				int nk = keymap_parse_keys(keys, codes, MAX_SEQ);
				bool pre;

				if (nk > 0 && keymap_lookup(a->km, menu, codes, (size_t)nk, &pre) != bd)
					continue;
			}
			if (bd->func != KF_NONE)
				fname = func_name(bd->func);
			buf_reset(&b);
			buf_addf(&b, "%-14s %-26s %s", keys ? keys : "?", fname, bd->help ? bd->help : "");
			safe = safe_str(b.data, SAFE_LINE);
			textview_add(a->help, safe, strlen(safe), RENDER_BODY);
			free(safe);
		}
	}
	buf_release(&b);
	textview_scroll_to(a->help, 0, 1);
}

static void render_current(struct app *a)
{
	struct mail_msg *msg = NULL;
	struct render_doc *doc = NULL;
	struct render_opts opts = { a->weed ? RENDER_HEADERS_WEED : RENDER_HEADERS_ALL,
	                            a->prefer_html, (int)config_get_int(a->cfg, "wrap") };
	char err[WARY_ERRLEN];

	textview_clear(a->pager);
	if (mail_parse(a->msg_bytes.data, a->msg_bytes.len, &msg, err, sizeof(err)) != WARY_OK ||
	    render_message(msg, &opts, &doc, err, sizeof(err)) != WARY_OK) {
		char *s = safe_str(err, SAFE_LINE);
		struct buf b = BUF_INIT;

		buf_addf(&b, "[wary could not show this message: %s; the raw view shows its bytes]", s);
		textview_add(a->pager, b.data, b.len, RENDER_NOTICE);
		buf_release(&b);
		free(s);
	} else {
		for (size_t i = 0; i < render_line_count(doc); i++) {
			enum render_kind k;
			const char *l = render_line(doc, i, &k);

			textview_add(a->pager, l, strlen(l), k);
		}
	}
	render_free(&doc);
	mail_free(&msg);
	textview_scroll_to(a->pager, 0, 1);
	/* PGP: verified off this thread; a decrypted message replaces the body */
	pgp_ui_message(a);
	/* the sender verdict: DNS off this thread, the line fills in */
	verdict_ui_message(a);
	/* What the attachments really are goes in the chrome (the status
	 * line), where a message cannot draw. */
	a->pager_atts = a->pager_bad = 0;
	if (build_attachments(a)) {
		a->pager_atts = a->natts;
		for (size_t i = 0; i < a->natts; i++)
			if (a->atts[i].flags)
				a->pager_bad++;
	}
	safety_refresh(a);
	spam_ui_message(a);
	atts_clear(a);
}

static void build_raw(struct app *a)
{
	struct buf safe = BUF_INIT;

	textview_clear(a->raw);
	trace_view_fill(a->raw, a->cfg, a->wa ? a->wa->acct.name : NULL, a->msg_bytes.data,
	                a->msg_bytes.len);
	safe_text(&safe, a->msg_bytes.data, a->msg_bytes.len, SAFE_RAW);
	textview_add_text(a->raw, safe.data, safe.len, RENDER_BODY);
	buf_release(&safe);
	textview_scroll_to(a->raw, 0, 1);
}

/* Ask the worker for the message under the cursor; the view switches when
 * its bytes arrive. */
static void open_current(struct app *a, enum view want)
{
	const struct store_row *r = index_row(a->ix, index_cursor(a->ix));

	if (r == NULL) {
		app_say(a, true, "No messages.");
		return;
	}
	if (a->msg_key && strcmp(a->msg_key, r->key) == 0 && a->msg_loaded) {
		if (want == V_ATTACH) {
			if (!build_attachments(a))
				return;
			a->att_from = a->view;
		} else if (want == V_RAW) {
			a->raw_from = a->view;
			build_raw(a);
		} else {
			render_current(a);
		}
		a->view = want;
		return;
	}
	free(a->msg_key);
	a->msg_key = xstrdup(r->key);
	a->msg_loaded = false;
	a->want_view = want;
	worker_send(a->wk, WK_FETCH, a->gen, r->key, 0, 0);
	app_say(a, false, "Reading message...");
}

static void set_flags(struct app *a, size_t pos, unsigned set, unsigned clear)
{
	const struct store_row *r = index_row(a->ix, pos);
	unsigned nf;

	if (r == NULL)
		return;
	nf = (r->flags | set) & ~clear;
	if (nf == r->flags)
		return;
	/* Shown at once; the worker's reply reverts it if the store refuses. */
	worker_send(a->wk, WK_FLAGS, a->gen, r->key, set, clear);
	index_set_flags(a->ix, r->key, nf);
}

static bool is_pop3(const struct app *a)
{
	return a->wa && a->wa->acct.kind && strcmp(a->wa->acct.kind, "pop3") == 0;
}

static bool is_imap(const struct app *a)
{
	return a->wa && a->wa->acct.kind && strcmp(a->wa->acct.kind, "imap") == 0;
}

static long long next_check(const struct app *a)
{
	return a->check_every_ms > 0 ? now_ms() + a->check_every_ms : LLONG_MAX;
}

static void start_folder(struct app *a, const char *folder)
{
	a->gen++;
	index_clear(a->ix);
	free(a->msg_key);
	a->msg_key = NULL;
	a->msg_loaded = false;
	free(a->folder);
	a->folder = xstrdup(folder);
	a->limit[0] = '\0';
	a->loading = true;
	a->keyed_while_loading = false;
	a->traced_first = a->traced_full = false;
	a->spam_known_due = false;
	a->index_followups_due = a->index_check_due = false;
	a->load_done = a->load_total = 0;
	a->index_top = 0;
	if (a->gen > 1)
		worker_send(a->wk, WK_SELECT, a->gen, folder, 0, 0);
	{
		char tag[17]; /* the worker answers with the thread order kept for it */

		index_folder_tag(folder, tag);
		worker_send(a->wk, WK_INDEX, a->gen, tag, 0, 0);
	}
	a->next_check_ms = next_check(a);
}

static void maybe_rebuild(struct app *a, bool force)
{
	long long t = now_ms();

	if (!index_dirty(a->ix))
		return;
	/* Re-threading 100k rows costs a good part of a second of CPU over a
	 * load: while rows stream in (older ones, mostly above the screen),
	 * do it at most once a second and never more than a fifth of the
	 * time, so the reading threads keep the cores and keys stay quick. */
	if (!force && a->last_rebuild_ms &&
	    t - a->last_rebuild_ms < 1000 + 4 * a->rebuild_cost_ms)
		return;
	/* Nobody has touched a key since the first screen: what streams in
	 * is older mail above it, so the one rebuild at the end will do. */
	if (!force && a->loading && !a->keyed_while_loading)
		return;
	index_rebuild(a->ix);
	a->last_rebuild_ms = now_ms();
	a->rebuild_cost_ms = a->last_rebuild_ms - t;
	wtrace("rebuild %zu rows %lld ms%s", index_count(a->ix), a->rebuild_cost_ms,
	       index_used_saved_threads(a->ix) ? " (saved thread order)" : "");
}

static void start_prompt(struct app *a, enum prompt_kind k, const char *label);
static void run_func(struct app *a, enum km_func f);
static void start_folder(struct app *a, const char *folder);
static void save_fetched_part(struct app *a, const struct buf *raw);

/* A certificate that did not verify: show what it is and ask, as mutt
 * does.  Nothing was sent to that server. */
static void ask_trust(struct app *a, const struct wk_reply *r)
{
	static const char *const what[] = { "SHA-256 fingerprint", "Subject", "Issuer",
	                                    "Valid until", "Why it is refused" };
	const char *p = r->data.data;
	struct buf b = BUF_INIT;

	textview_clear(a->help);
	buf_addf(&b, "The server %s (account %s) presented a certificate wary cannot verify.",
	         a->wa->acct.host, a->wa->acct.name);
	{
		char *safe = safe_str(b.data, SAFE_LINE);

		textview_add(a->help, safe, strlen(safe), RENDER_NOTICE);
		free(safe);
	}
	textview_add(a->help, "", 0, RENDER_BODY);
	a->trust_fpr[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(what) && p; i++) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, n), *safe = safe_str(line, SAFE_LINE);

		if (i == 0)
			str_copy(a->trust_fpr, line, sizeof(a->trust_fpr));
		buf_reset(&b);
		buf_addf(&b, "%-20s %s", what[i], safe);
		textview_add(a->help, b.data, b.len, i == 0 ? RENDER_HEADER : RENDER_BODY);
		free(line);
		free(safe);
		p = nl ? nl + 1 : NULL;
	}
	textview_add(a->help, "", 0, RENDER_BODY);
	textview_add_text(a->help,
	                  "Compare the fingerprint with one you got another way before you accept.\n"
	                  "Accepted always, it is recorded for this account (wary check-config shows it).",
	                  strlen("Compare the fingerprint with one you got another way before you accept.\n"
	                         "Accepted always, it is recorded for this account (wary check-config shows it)."),
	                  RENDER_BODY);
	buf_release(&b);
	textview_scroll_to(a->help, 0, 1);
	a->help_from = V_INDEX;
	a->view = V_HELP;
	start_prompt(a, P_TRUST, "(r)eject, accept (o)nce, accept (a)lways: ");
}

static void answer_trust(struct app *a, int key)
{
	char err[WARY_ERRLEN];

	if (key != 'o' && key != 'a') {
		a->prompt = P_NONE;
		a->view = V_INDEX;
		app_say(a, true, "Certificate rejected: not connected.");
		return;
	}
	if (key == 'a') {
		char *path = config_trust_default_path();

		if (path == NULL || config_trust_record(path, a->wa->acct.name, a->wa->acct.host,
		                                        a->trust_fpr, err, sizeof(err)) != WARY_OK) {
			app_say(a, true, "Could not record the trust: %s", path ? err : "no data directory");
			free(path);
			a->prompt = P_NONE;
			a->view = V_INDEX;
			return;
		}
		free(path);
	}
	a->prompt = P_NONE;
	a->view = V_INDEX;
	a->wa->acct.trusted_sha256 = a->trust_fpr;
	/* A new generation: whatever the refused attempt still sends is old. */
	worker_send(a->wk, WK_OPEN_ACCOUNT, a->gen + 1, NULL, 0, 0);
	start_folder(a, "INBOX");
	app_say(a, false, key == 'a' ? "Certificate trusted for this account; connecting..."
	                         : "Certificate accepted for this session; connecting...");
}

static void handle_reply(struct app *a, struct wk_reply *r)
{
	if (r->gen != a->gen && r->kind != WK_FOLDERS && r->kind != WK_OPEN && r->kind != WK_SEND &&
	    r->kind != WK_SEND_PROGRESS)
		return; /* an answer about a folder no longer shown */
	switch (r->kind) {
	case WK_SAVE_THREADS: /* kept or not, nothing to show */
		break;
	case WK_SEND:
	case WK_SEND_PROGRESS:
		compose_reply(a, r);
		break;
	case WK_SPAM:
	case WK_SPAM_PROGRESS:
		if (spam_ui_reply(a, r))
			maybe_rebuild(a, true);
		break;
	case WK_COPY:
	case WK_MOVE: {
		const char *tab = r->arg ? strchr(r->arg, '\t') : NULL;

		if (r->status != WARY_OK) {
			app_say(a, true, "%s failed: %s", r->kind == WK_MOVE ? "Move" : "Copy", r->err);
			break;
		}
		if (r->kind == WK_MOVE && tab) {
			char *key = xstrndup(r->arg, (size_t)(tab - r->arg));

			index_remove_keys(a->ix, &key, 1);
			maybe_rebuild(a, true);
			free(key);
		}
		app_say(a, false, "%s to %s.", r->kind == WK_MOVE ? "Moved" : "Copied", tab ? tab + 1 : "?");
		break;
	}
	case WK_CONN: {
		bool was_down = a->conn.state == STORE_CONN_RECONNECTING ||
		                a->conn.state == STORE_CONN_OFFLINE;

		a->conn = r->conn;
		a->conn_at = now_ms();
		if (was_down && r->conn.state == STORE_CONN_ONLINE)
			app_say(a, false, "Connected again%s.",
			    r->conn.queued ? "; replaying what was done offline" : "");
		break;
	}
	case WK_FETCH_PART:
		if (r->status != WARY_OK) {
			app_say(a, true, "The attachment could not be fetched: %s", r->err);
			break;
		}
		save_fetched_part(a, &r->data);
		break;
	case WK_SEARCH:
		if (r->status != WARY_OK) {
			app_say(a, true, "Limit: %s", r->err);
			break;
		}
		str_copy(a->limit, r->arg ? r->arg : "", sizeof(a->limit));
		index_set_limit(a->ix, r->keys, r->nkeys);
		maybe_rebuild(a, true);
		index_set_cursor(a->ix, index_count(a->ix) ? index_count(a->ix) - 1 : 0);
		app_say(a, r->nkeys == 0, r->nkeys ? "%zu messages match." : "No message matches.", r->nkeys);
		break;
	case WK_PROGRESS:
		a->fetch_done = r->done;
		a->fetch_total = r->total;
		break;
	case WK_POP3_FETCH: {
		const char *nl = strchr(r->data.data, '\n');

		a->fetching = false;
		if (r->status != WARY_OK)
			app_say(a, true, "Fetching mail failed: %s", r->err);
		else if (nl)
			app_say(a, false, "Fetched: %.*s (%s)", (int)(nl - r->data.data), r->data.data, nl + 1);
		else
			app_say(a, false, "Fetched: %s", r->data.data);
		/* New files in the Maildir: pick them up as a check would. */
		if (r->done > 0 && !a->loading && !a->check_running) {
			a->check_running = true;
			worker_send(a->wk, WK_CHECK, a->gen, NULL, 0, 0);
		}
		break;
	}
	case WK_SECRET: {
		char label[160];
		const struct store_account *ac = a->wa ? &a->wa->acct : NULL;

		snprintf(label, sizeof(label), "%s for %s@%s: ",
		         r->arg && strcmp(r->arg, "token") == 0 ? "OAuth token" : "Password",
		         ac && ac->user ? ac->user : "?", ac && ac->host ? ac->host : "?");
		start_prompt(a, P_SECRET, label);
		break;
	}
	case WK_OPEN_ACCOUNT:
	case WK_OPEN:
		a->open_failed = r->status != WARY_OK;
		if (r->status != WARY_OK) {
			app_say(a, true, "%s", r->err);
			a->loading = false;
		}
		if (r->status == WARY_ECERT && r->kind == WK_OPEN_ACCOUNT && r->data.len > 0)
			ask_trust(a, r);
		break;
	case WK_SELECT:
		if (r->status != WARY_OK) {
			app_say(a, true, "%s", r->err);
			a->loading = false;
		}
		break;
	case WK_ROWS: {
		bool first = index_count(a->ix) == 0 && !index_dirty(a->ix);

		index_take_rows(a->ix, r->rows, r->nrows);
		if (a->loading) {
			a->load_done = r->done;
			a->load_total = r->total;
		}
		maybe_rebuild(a, first);
		break;
	}
	case WK_INDEX:
		wtrace("index read %zu rows", index_count(a->ix));
		a->loading = false;
		if (r->status == WARY_OK)
			index_use_saved_threads(a->ix, &r->data);
		maybe_rebuild(a, true);
		/* Listing 100k keys for the spam filter waits until the index is
		 * on screen (the main loop, after its draw). */
		a->spam_known_due = true;
		/* A POP3 account shows its Maildir at once, then downloads. */
		if (is_pop3(a) && !a->fetching && r->status == WARY_OK && a->gen == 1)
			run_func(a, KF_CHECK_NEW);
		/* After a failed open, that failure is the message to keep. */
		if (r->status != WARY_OK && !a->open_failed)
			app_say(a, true, "%s", r->err);
		/* The folder list and a check go out once the index is drawn:
		 * the check brings what a cold open left for later (References,
		 * Content-Type: the store's second pass), and the server's work
		 * on it took the cores from the last rebuild. */
		a->index_followups_due = !a->open_failed;
		a->index_check_due = !a->open_failed && r->status == WARY_OK && is_imap(a);
		break;
	case WK_CHECK:
		a->check_running = false;
		wtrace("check done");
		if (r->status == WARY_OK) {
			index_remove_keys(a->ix, r->vanished, r->nvanished);
			maybe_rebuild(a, true);
			if (a->spam_known_due) { /* no draw since the index came: list them now */
				a->spam_known_due = false;
				spam_ui_index_loaded(a);
			}
			spam_ui_check_done(a);
		}
		break;
	case WK_FETCH:
		if (a->msg_key == NULL || r->arg == NULL || strcmp(r->arg, a->msg_key) != 0)
			break;
		if (r->status != WARY_OK) {
			app_say(a, true, "%s", r->err);
			break;
		}
		buf_release(&a->msg_bytes);
		a->msg_bytes = r->data;
		buf_init(&r->data);
		a->msg_loaded = true;
		a->status[0] = '\0';
		if (a->want_view == V_RAW) {
			a->raw_from = a->view;
			build_raw(a);
			a->view = V_RAW;
		} else if (a->want_view == V_ATTACH) {
			if (build_attachments(a)) {
				a->att_from = a->view;
				a->view = V_ATTACH;
			}
		} else if (a->want_view == V_COMPOSE) {
			compose_fetched(a);
		} else {
			render_current(a);
			a->view = V_PAGER;
			{
				size_t p = index_find(a->ix, a->msg_key);
				const struct store_row *row = index_row(a->ix, p);

				if (row && !(row->flags & STORE_SEEN))
					set_flags(a, p, STORE_SEEN, STORE_NEW);
			}
		}
		break;
	case WK_FLAGS:
		if (r->status != WARY_OK) {
			size_t p = r->arg ? index_find(a->ix, r->arg) : SIZE_MAX;
			const struct store_row *row = index_row(a->ix, p);

			if (row)
				index_set_flags(a->ix, r->arg, (row->flags & ~r->set) | r->clear);
			app_say(a, true, "%s", r->err);
		}
		break;
	case WK_EXPUNGE:
		if (r->status != WARY_OK) {
			app_say(a, true, "%s", r->err);
		} else {
			/* Drop what the store removed: the rows marked deleted. */
			size_t n = index_count(a->ix), k = 0;
			char **keys = xcalloc(n ? n : 1, sizeof(char *));

			for (size_t p = 0; p < n; p++) {
				const struct store_row *row = index_row(a->ix, p);

				if (row->flags & STORE_DELETED)
					keys[k++] = xstrdup(row->key);
			}
			index_remove_keys(a->ix, keys, k);
			store_keys_free(keys, k);
			maybe_rebuild(a, true);
			app_say(a, false, "Mailbox synced: %zu deleted message%s removed.", k, k == 1 ? "" : "s");
		}
		break;
	case WK_FOLDERS:
		if (r->status == WARY_OK) {
			store_folders_free(&a->folders, a->nfolders);
			a->folders = r->folders;
			a->nfolders = r->nfolders;
			r->folders = NULL;
			r->nfolders = 0;
			if (a->browser_cursor >= a->nfolders)
				a->browser_cursor = 0;
		} else {
			app_say(a, true, "%s", r->err);
		}
		break;
	}
}

/* ------------------------------------------------------------------ actions */

static int page_rows(const struct app *a)
{
	int rows = LINES - 3 - (a->view == V_PAGER ? app_chrome_rows(a) : 0);

	return rows > 1 ? rows : 1;
}

static struct textview *current_tv(struct app *a)
{
	switch (a->view) {
	case V_PAGER: return a->pager;
	case V_RAW: return a->raw;
	case V_HELP: return a->help;
	case V_SAFETY: return a->help;
	case V_SENDER: return a->help;
	case V_PGP: return a->help;
	default: return NULL;
	}
}

static void start_prompt(struct app *a, enum prompt_kind k, const char *label)
{
	a->prompt = k;
	str_copy(a->prompt_label, label, sizeof(a->prompt_label));
	buf_reset(&a->input);
}

static void index_move(struct app *a, long delta)
{
	size_t n = index_count(a->ix), cur = index_cursor(a->ix);

	if (n == 0)
		return;
	if (delta < 0 && (size_t)-delta > cur)
		index_set_cursor(a->ix, 0);
	else
		index_set_cursor(a->ix, (size_t)((long)cur + delta));
}

/* Move to the next/previous row matching want (flags), from the cursor. */
static bool index_step(struct app *a, int dir, bool undeleted, bool unread)
{
	size_t n = index_count(a->ix), p = index_cursor(a->ix);

	while (n > 0) {
		if (dir > 0 && p + 1 >= n)
			return false;
		if (dir < 0 && p == 0)
			return false;
		p = dir > 0 ? p + 1 : p - 1;
		const struct store_row *r = index_row(a->ix, p);

		if (undeleted && (r->flags & STORE_DELETED))
			continue;
		if (unread && (r->flags & STORE_SEEN))
			continue;
		index_set_cursor(a->ix, p);
		return true;
	}
	return false;
}

static void do_search(struct app *a, int dir)
{
	struct textview *tv = current_tv(a);

	if (a->search[0] == '\0') {
		app_say(a, true, "No search pattern.");
		return;
	}
	if (a->view == V_INDEX) {
		size_t p = index_search(a->ix, index_cursor(a->ix), dir, a->search);

		if (p == SIZE_MAX)
			app_say(a, true, "Not found.");
		else
			index_set_cursor(a->ix, p);
		return;
	}
	if (tv) {
		size_t top = textview_top(tv), r;

		textview_layout(tv, COLS);
		r = dir > 0 ? textview_search(tv, top + 1, 1, a->search)
		            : (top > 0 ? textview_search(tv, top - 1, -1, a->search) : SIZE_MAX);
		if (r == SIZE_MAX)
			app_say(a, true, "Not found.");
		else
			textview_scroll_to(tv, r, 1);
	}
}

static void open_browser(struct app *a)
{
	a->view = V_BROWSER;
	worker_send(a->wk, WK_FOLDERS, a->gen, NULL, 0, 0);
}

static void quit_requested(struct app *a)
{
	struct index_counts c;

	index_counts(a->ix, &c);
	if (c.deleted > 0) {
		char label[128];

		snprintf(label, sizeof(label), "Purge %zu deleted message%s? ([y]/n/Esc): ", c.deleted,
		         c.deleted == 1 ? "" : "s");
		start_prompt(a, P_PURGE, label);
		return;
	}
	if (config_get_bool(a->cfg, "confirm_quit")) {
		start_prompt(a, P_QUIT, "Quit wary? (y/n): ");
		return;
	}
	a->quit = true;
}

static void leave_view(struct app *a)
{
	switch (a->view) {
	case V_INDEX:
		a->quit = true;
		break;
	case V_PAGER:
	case V_BROWSER:
		a->view = V_INDEX;
		break;
	case V_RAW:
		a->view = a->raw_from == V_PAGER ? V_PAGER : V_INDEX;
		if (a->view == V_PAGER)
			render_current(a);
		break;
	case V_HELP:
		a->view = a->help_from;
		break;
	case V_ATTACH:
		a->view = a->att_from == V_PAGER ? V_PAGER : V_INDEX;
		atts_clear(a);
		break;
	case V_LINKS:
	case V_SAFETY:
	case V_SENDER:
	case V_PGP:
		a->view = V_PAGER;
		break;
	case V_COMPOSE:
		break; /* compose_func asks first */
	}
}

static void run_func(struct app *a, enum km_func f)
{
	struct textview *tv = current_tv(a);
	int page = page_rows(a);

	if (compose_func(a, (int)f))
		return;
	switch (f) {
	case KF_NONE:
	case KF_FUNC_COUNT:
	case KF_MAIL: /* ui/compose.c, from here down */
	case KF_REPLY:
	case KF_GROUP_REPLY:
	case KF_LIST_REPLY:
	case KF_FORWARD:
	case KF_FORWARD_ATTACHED:
	case KF_RECALL:
	case KF_SEND:
	case KF_ATTACH_FILE:
	case KF_DETACH_FILE:
	case KF_POSTPONE:
	case KF_EDIT_FROM:
	case KF_EDIT_TO:
	case KF_EDIT_CC:
	case KF_EDIT_BCC:
	case KF_EDIT_SUBJECT:
	case KF_EDIT_MESSAGE:
	case KF_PGP_SIGN:
	case KF_PGP_ENCRYPT:
		break;
	case KF_QUIT:
		if (a->view == V_INDEX)
			quit_requested(a);
		else
			leave_view(a);
		break;
	case KF_EXIT:
		if (a->view == V_INDEX)
			quit_requested(a);
		else
			leave_view(a);
		break;
	case KF_HELP: {
		static const enum km_menu menus[] = { KM_INDEX, KM_PAGER, KM_RAW, KM_HELP, KM_BROWSER,
	                                      KM_ATTACH, KM_LINKS, KM_HELP, KM_HELP, KM_COMPOSE,
	                                      KM_HELP };

		if (a->view == V_HELP)
			break;
		build_help(a, menus[a->view]);
		a->help_from = a->view;
		a->view = V_HELP;
		break;
	}
	case KF_REDRAW:
		clearok(curscr, TRUE);
		break;
	case KF_SEARCH:
		start_prompt(a, P_SEARCH, "Search for: ");
		break;
	case KF_SEARCH_REVERSE:
		start_prompt(a, P_SEARCH_REVERSE, "Reverse search for: ");
		break;
	case KF_SEARCH_NEXT:
		do_search(a, a->search_dir ? a->search_dir : 1);
		break;
	case KF_SEARCH_OPPOSITE:
		do_search(a, a->search_dir < 0 ? 1 : -1);
		break;
	case KF_FIRST_ENTRY:
	case KF_TOP:
		if (tv)
			textview_scroll_to(tv, 0, page);
		else if (a->view == V_BROWSER)
			a->browser_cursor = 0;
		else
			index_set_cursor(a->ix, 0);
		break;
	case KF_LAST_ENTRY:
	case KF_BOTTOM:
		if (tv)
			textview_scroll_to(tv, SIZE_MAX, page);
		else if (a->view == V_BROWSER)
			a->browser_cursor = a->nfolders ? a->nfolders - 1 : 0;
		else
			index_set_cursor(a->ix, SIZE_MAX);
		break;
	case KF_NEXT_ENTRY:
	case KF_PREVIOUS_ENTRY:
	case KF_NEXT_UNDELETED:
	case KF_PREVIOUS_UNDELETED:
	case KF_NEXT_NEW:
	case KF_PREVIOUS_NEW: {
		int dir = (f == KF_NEXT_ENTRY || f == KF_NEXT_UNDELETED || f == KF_NEXT_NEW) ? 1 : -1;
		bool und = f == KF_NEXT_UNDELETED || f == KF_PREVIOUS_UNDELETED;
		bool unr = f == KF_NEXT_NEW || f == KF_PREVIOUS_NEW;

		if (a->view == V_BROWSER) {
			if (dir > 0 && a->browser_cursor + 1 < a->nfolders)
				a->browser_cursor++;
			else if (dir < 0 && a->browser_cursor > 0)
				a->browser_cursor--;
			break;
		}
		if (a->view == V_LINKS) {
			safety_link_move(a, dir);
			break;
		}
		if (a->view == V_ATTACH) {
			if (dir > 0 && a->att_cursor + 1 < a->natts)
				a->att_cursor++;
			else if (dir < 0 && a->att_cursor > 0)
				a->att_cursor--;
			break;
		}
		if (a->view == V_HELP || a->view == V_RAW) {
			textview_scroll(tv, dir, page);
			break;
		}
		if (!index_step(a, dir, und, unr)) {
			app_say(a, true, dir > 0 ? "You are on the last message." : "You are on the first message.");
			break;
		}
		if (a->view == V_PAGER)
			open_current(a, V_PAGER);
		break;
	}
	case KF_NEXT_LINE:
	case KF_PREVIOUS_LINE:
		if (tv)
			textview_scroll(tv, f == KF_NEXT_LINE ? 1 : -1, page);
		else
			run_func(a, f == KF_NEXT_LINE ? KF_NEXT_ENTRY : KF_PREVIOUS_ENTRY);
		break;
	case KF_NEXT_PAGE:
	case KF_PREVIOUS_PAGE:
	case KF_HALF_DOWN:
	case KF_HALF_UP: {
		long step = (f == KF_HALF_DOWN || f == KF_HALF_UP) ? page / 2 : page;

		if (step < 1)
			step = 1;
		if (f == KF_PREVIOUS_PAGE || f == KF_HALF_UP)
			step = -step;
		if (tv) {
			if (f == KF_NEXT_PAGE && a->view == V_PAGER &&
			    textview_top(tv) + (size_t)page >= textview_rows(tv)) {
				/* At the end, space goes on to the next message, as in mutt. */
				if (index_step(a, 1, true, false))
					open_current(a, V_PAGER);
				else
					app_say(a, true, "You are on the last message.");
				break;
			}
			textview_scroll(tv, step, page);
		} else if (a->view == V_INDEX) {
			index_move(a, step);
			a->index_top = (size_t)((long)a->index_top + step < 0 ? 0 : (long)a->index_top + step);
		}
		break;
	}
	case KF_SELECT_ENTRY:
	case KF_DISPLAY_MESSAGE:
		if (a->view == V_BROWSER) {
			if (a->browser_cursor < a->nfolders) {
				char *id = xstrdup(a->folders[a->browser_cursor].id);

				a->view = V_INDEX;
				start_folder(a, id);
				free(id);
			}
		} else if (a->view == V_INDEX) {
			open_current(a, V_PAGER);
		} else if (a->view == V_PAGER) {
			textview_scroll(tv, 1, page);
		} else if (a->view == V_LINKS) {
			char label[sizeof(a->prompt_label)];

			if (safety_link_ask(a, label, sizeof(label)))
				start_prompt(a, P_OPEN_LINK, label);
		}
		break;
	case KF_DELETE_MESSAGE:
	case KF_UNDELETE_MESSAGE:
		if (a->view != V_INDEX && a->view != V_PAGER)
			break;
		if (f == KF_DELETE_MESSAGE)
			set_flags(a, index_cursor(a->ix), STORE_DELETED, 0);
		else
			set_flags(a, index_cursor(a->ix), 0, STORE_DELETED);
		if (index_step(a, 1, true, false) && a->view == V_PAGER)
			open_current(a, V_PAGER);
		break;
	case KF_FLAG_MESSAGE: {
		const struct store_row *r = index_row(a->ix, index_cursor(a->ix));

		if (r && (a->view == V_INDEX || a->view == V_PAGER))
			set_flags(a, index_cursor(a->ix), (r->flags & STORE_FLAGGED) ? 0 : STORE_FLAGGED,
			          (r->flags & STORE_FLAGGED) ? STORE_FLAGGED : 0);
		break;
	}
	case KF_TOGGLE_NEW: {
		const struct store_row *r = index_row(a->ix, index_cursor(a->ix));

		if (r && (a->view == V_INDEX || a->view == V_PAGER))
			set_flags(a, index_cursor(a->ix), (r->flags & STORE_SEEN) ? 0 : STORE_SEEN,
			          (r->flags & STORE_SEEN) ? STORE_SEEN : STORE_NEW);
		break;
	}
	case KF_SYNC_MAILBOX:
		worker_send(a->wk, WK_EXPUNGE, a->gen, NULL, 0, 0);
		break;
	case KF_CHANGE_FOLDER:
		open_browser(a);
		break;
	case KF_SORT_MAILBOX: {
		enum index_sort s = (enum index_sort)((index_sort(a->ix) + 1) % 4);

		index_set_sort(a->ix, s);
		maybe_rebuild(a, true);
		app_say(a, false, "Sorted by %s.", index_sort_name(s));
		break;
	}
	case KF_VIEW_RAW_MESSAGE:
		if (a->view == V_INDEX || a->view == V_PAGER)
			open_current(a, V_RAW);
		else if (a->view == V_RAW)
			leave_view(a);
		break;
	case KF_CHECK_NEW:
		if (is_pop3(a)) {
			if (!a->fetching) {
				a->fetching = true;
				a->fetch_done = a->fetch_total = 0;
				worker_send(a->wk, WK_POP3_FETCH, a->gen, NULL, 0, 0);
				app_say(a, false, "Fetching mail from %s...", a->wa->acct.host);
			}
		} else if (!a->check_running && !a->loading) {
			a->check_running = true;
			worker_send(a->wk, WK_CHECK, a->gen, NULL, 0, 0);
		}
		a->next_check_ms = next_check(a);
		break;
	case KF_LIMIT:
		start_prompt(a, P_LIMIT, "Limit to messages matching: ");
		break;
	case KF_SAVE_MESSAGE:
	case KF_COPY_MESSAGE:
		if ((a->view == V_INDEX || a->view == V_PAGER) && index_row(a->ix, index_cursor(a->ix)))
			start_prompt(a, f == KF_SAVE_MESSAGE ? P_MOVE : P_COPY,
			             f == KF_SAVE_MESSAGE ? "Move to folder: " : "Copy to folder: ");
		break;
	case KF_VIEW_ATTACHMENTS:
		if (a->view == V_INDEX || a->view == V_PAGER)
			open_current(a, V_ATTACH);
		break;
	case KF_SAVE_ENTRY:
		if (a->view != V_ATTACH || a->att_cursor >= a->natts) {
			app_say(a, true, "No attachment here.");
			break;
		}
		start_prompt(a, P_SAVE, "Save into folder: ");
		buf_adds(&a->input, a->save_dir);
		break;
	case KF_SIDEBAR_TOGGLE:
		a->sidebar = !a->sidebar;
		if (a->sidebar)
			worker_send(a->wk, WK_FOLDERS, a->gen, NULL, 0, 0);
		break;
	case KF_DISPLAY_TOGGLE_WEED:
		if (a->view == V_PAGER) {
			a->weed = !a->weed;
			render_current(a);
		}
		break;
	case KF_TOGGLE_HTML:
		if (a->view == V_PAGER) {
			a->prefer_html = !a->prefer_html;
			render_current(a);
			app_say(a, false, a->prefer_html ? "Showing the HTML part (as text)."
			                             : "Showing the plain text part.");
		}
		break;
	case KF_VIEW_LINKS:
	case KF_VIEW_SAFETY:
	case KF_VIEW_BROWSER:
		if (a->view == V_INDEX) {
			open_current(a, V_PAGER); /* then the key again */
			break;
		}
		if (a->view != V_PAGER || !a->msg_loaded)
			break;
		if (f == KF_VIEW_LINKS) {
			safety_refresh(a);
			a->view = V_LINKS;
		} else if (f == KF_VIEW_SAFETY) {
			safety_details(a, a->help);
			a->view = V_SAFETY;
		} else {
			struct mail_msg *m = NULL;
			char err[WARY_ERRLEN];

			if (mail_parse(a->msg_bytes.data, a->msg_bytes.len, &m, err, sizeof(err)) == WARY_OK)
				safety_open_browser(a, m);
			else
				app_say(a, true, "%s", err);
			mail_free(&m);
		}
		break;
	case KF_VIEW_PGP:
		if (a->view == V_PAGER && pgp_ui_details(a, a->help))
			a->view = V_PGP;
		break;
	case KF_EXTRACT_KEYS:
		pgp_ui_extract_keys(a, a->view == V_ATTACH && a->att_cursor < a->natts
		                               ? a->atts[a->att_cursor].part : NULL);
		break;
	case KF_VIEW_SENDER:
		if (a->view == V_INDEX) {
			open_current(a, V_PAGER); /* then the key again */
			break;
		}
		if (a->view != V_PAGER || !a->msg_loaded)
			break;
		verdict_ui_details(a, a->help);
		a->view = V_SENDER;
		break;
	case KF_VIEW_MAILCAP:
		if (a->view == V_ATTACH && a->att_cursor < a->natts)
			safety_open_attachment(a, &a->atts[a->att_cursor]);
		break;
	case KF_MARK_SPAM:
	case KF_MARK_HAM:
	case KF_TRAIN_FOLDER_SPAM:
	case KF_TRAIN_FOLDER_HAM:
		spam_ui_func(a, f);
		break;
	}
}

/* Save the attachment under the cursor into dir: decoded, under a name
 * made safe, never over a file or through a link (design 4.8). */
static void save_attachment(struct app *a, const char *dir)
{
	const struct inspect_attachment *at = &a->atts[a->att_cursor];
	struct buf data = BUF_INIT;
	char err[WARY_ERRLEN], *name = NULL, *path = NULL;
	const char *raw = mail_part_filename(at->part);

	if (dir[0] == '\0')
		dir = ".";
	{
		/* Left on the server by store_fetch: ask for it now. */
		const char *om = mail_part_header(at->part, "X-Wary-Omitted");
		const char *as = om ? strstr(om, "as part ") : NULL;

		if (as && a->msg_key) {
			char part[64];
			struct buf arg = BUF_INIT;

			str_copy(part, as + 8, sizeof(part));
			part[strspn(part, "0123456789.")] = '\0';
			buf_addf(&arg, "%s\t%s", a->msg_key, part);
			worker_send(a->wk, WK_FETCH_PART, a->gen, arg.data, 0, 0);
			buf_release(&arg);
			str_copy(a->save_pending, dir, sizeof(a->save_pending));
			app_say(a, false, "Fetching the attachment from the server...");
			goto out;
		}
	}
	if (mail_part_decode(at->part, &data, err, sizeof(err)) != WARY_OK && data.len == 0) {
		app_say(a, true, "Cannot decode the attachment: %s", err);
		goto out;
	}
	name = fs_safe_filename(raw);
	if (fs_create_in_dir(dir, name, data.data, data.len, &path, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "Not saved: %s", err);
		goto out;
	}
	str_copy(a->save_dir, dir, sizeof(a->save_dir));
	if (at->flags & (INSPECT_ATT_EXECUTABLE | INSPECT_ATT_TYPE_MISMATCH))
		app_say(a, true, "Saved %s -- it is really %s: do not open it", path, at->detected);
	else
		app_say(a, false, "Saved %s", path);
out:
	free(name);
	free(path);
	buf_release(&data);
}

/* The part came from the server: its MIME header and body, as
 * store_fetch_part gives them; decode and save as save_attachment does. */
static void save_fetched_part(struct app *a, const struct buf *raw)
{
	struct mail_msg *pm = NULL;
	struct buf data = BUF_INIT;
	char err[WARY_ERRLEN], *name = NULL, *path = NULL;
	const char *dir = a->save_pending[0] ? a->save_pending : ".";

	if (mail_parse(raw->data, raw->len, &pm, err, sizeof(err)) != WARY_OK ||
	    (mail_part_decode(mail_root(pm), &data, err, sizeof(err)) != WARY_OK && data.len == 0)) {
		app_say(a, true, "Cannot decode the attachment: %s", err);
		goto out;
	}
	name = fs_safe_filename(mail_part_filename(mail_root(pm)));
	if (fs_create_in_dir(dir, name, data.data, data.len, &path, err, sizeof(err)) != WARY_OK) {
		app_say(a, true, "Not saved: %s", err);
		goto out;
	}
	{
		const char *t = a->insp ? inspect_detect(a->insp, data.data, data.len) : "";

		app_say(a, false, "Saved %s (%s)", path, t);
	}
out:
	free(name);
	free(path);
	buf_release(&data);
	mail_free(&pm);
}

static void prompt_key(struct app *a, int key)
{
	enum prompt_kind k = a->prompt;

	if (k == P_COMPOSE && compose_prompt_key(a, key))
		return;
	if (k == P_OPEN_LINK) {
		a->prompt = P_NONE;
		safety_link_answer(a, key);
		return;
	}
	if (k == P_TRUST) {
		answer_trust(a, key);
		return;
	}
	if (k == P_PURGE || k == P_QUIT) {
		a->prompt = P_NONE;
		if (key == 27 || key == 7) {
			a->status[0] = '\0';
			return;
		}
		if (k == P_PURGE) {
			if (key == 'y' || key == 'Y' || key == '\n' || key == '\r' || key == KEY_ENTER)
				worker_send(a->wk, WK_EXPUNGE, a->gen, NULL, 0, 0);
			a->quit = true; /* the loop drains the worker before it stops */
		} else if (key == 'y' || key == 'Y') {
			a->quit = true;
		}
		return;
	}
	if (key == 27 || key == 7) { /* Esc, ^G: cancel, as in mutt */
		a->prompt = P_NONE;
		if (k == P_SECRET) {
			worker_answer_secret(a->wk, NULL);
			explicit_bzero(a->input.data, a->input.len);
			buf_reset(&a->input);
			app_say(a, true, "No password given: not logged in.");
		}
		return;
	}
	if ((key == '\n' || key == '\r' || key == KEY_ENTER) && k == P_SECRET) {
		a->prompt = P_NONE;
		worker_answer_secret(a->wk, a->input.data);
		explicit_bzero(a->input.data, a->input.len);
		buf_reset(&a->input);
		app_say(a, false, "Logging in...");
		return;
	}
	if ((key == '\n' || key == '\r' || key == KEY_ENTER) && (k == P_MOVE || k == P_COPY)) {
		const struct store_row *row = index_row(a->ix, index_cursor(a->ix));
		struct buf arg = BUF_INIT;

		a->prompt = P_NONE;
		if (row == NULL || a->input.len == 0 || strchr(a->input.data, '\t')) {
			app_say(a, true, "No folder given.");
			return;
		}
		buf_addf(&arg, "%s\t%s", row->key, a->input.data);
		worker_send(a->wk, k == P_MOVE ? WK_MOVE : WK_COPY, a->gen, arg.data, 0, 0);
		buf_release(&arg);
		if (k == P_MOVE && a->view == V_PAGER)
			a->view = V_INDEX;
		return;
	}
	if ((key == '\n' || key == '\r' || key == KEY_ENTER) && k == P_SAVE) {
		a->prompt = P_NONE;
		save_attachment(a, a->input.data);
		return;
	}
	if ((key == '\n' || key == '\r' || key == KEY_ENTER) && k == P_LIMIT) {
		struct pattern *p = NULL;
		char err[WARY_ERRLEN];

		a->prompt = P_NONE;
		/* ~A (or nothing) is everything: no round trip for that. */
		if (a->input.len == 0 || strcmp(a->input.data, "~A") == 0 ||
		    strcmp(a->input.data, "all") == 0) {
			a->limit[0] = '\0';
			index_set_limit(a->ix, NULL, 0);
			maybe_rebuild(a, true);
			app_say(a, false, "All messages shown.");
			return;
		}
		/* Parse here first, so a typo is shown at once with its column. */
		if (pattern_parse(a->input.data, a->input.len, 0, &p, err, sizeof(err)) != WARY_OK) {
			app_say(a, true, "%s", err);
			return;
		}
		pattern_free(&p);
		worker_send(a->wk, WK_SEARCH, a->gen, a->input.data, 0, 0);
		app_say(a, false, "Searching...");
		return;
	}
	if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		a->prompt = P_NONE;
		if (a->input.len > 0)
			str_copy(a->search, a->input.data, sizeof(a->search));
		a->search_dir = k == P_SEARCH_REVERSE ? -1 : 1;
		do_search(a, a->search_dir);
		return;
	}
	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		while (a->input.len > 0) {
			unsigned char c = (unsigned char)a->input.data[a->input.len - 1];

			buf_truncate(&a->input, a->input.len - 1);
			if ((c & 0xc0) != 0x80)
				break;
		}
		return;
	}
	if (key == 21) { /* ^U */
		buf_reset(&a->input);
		return;
	}
	if (key >= 32 && key != 127 && key < 0x110000 && !(key >= 0x80 && key < 0xa0) &&
	    a->input.len < (k == P_SECRET ? 1000u : 200u))
		utf8_encode(&a->input, (uint32_t)key);
}

static enum km_menu view_menu(const struct app *a)
{
	static const enum km_menu menus[] = { KM_INDEX, KM_PAGER, KM_RAW, KM_HELP, KM_BROWSER,
	                                      KM_ATTACH, KM_LINKS, KM_HELP, KM_HELP, KM_COMPOSE,
	                                      KM_HELP };

	return menus[a->view];
}

static void handle_key(struct app *a, int key)
{
	const struct km_binding *b;
	bool prefix = false;

	if (key < 0) { /* a function call fed back by a macro */
		run_func(a, (enum km_func)-key);
		return;
	}
	if (a->prompt != P_NONE) {
		prompt_key(a, key);
		return;
	}
	if (a->nseq == 0)
		a->status[0] = '\0';
	if (a->nseq < MAX_SEQ)
		a->seq[a->nseq++] = key;
	b = keymap_lookup(a->km, view_menu(a), a->seq, a->nseq, &prefix);
	if (b == NULL && prefix)
		return; /* wait for the rest of the sequence */
	a->nseq = 0;
	if (b == NULL) {
		const char *hk = keymap_key_for(a->km, view_menu(a), KF_HELP);

		app_say(a, true, "Key is not bound.  Press '%s' for help.", hk ? hk : "?");
		return;
	}
	if (b->macro) {
		/* Fed before what is already pending, in order. */
		size_t n = b->macro_len;

		if (n + a->npending > MAX_PENDING) {
			app_say(a, true, "Macro too long or recursive; stopped.");
			a->npending = 0;
			return;
		}
		memmove(a->pending + n, a->pending, a->npending * sizeof(int));
		memcpy(a->pending, b->macro, n * sizeof(int));
		a->npending += n;
		return;
	}
	run_func(a, b->func);
}

static void on_resize(struct app *a)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	(void)a;
}

static void read_keys(struct app *a)
{
	wint_t ch;
	int rc;

	while ((rc = get_wch(&ch)) != ERR) {
		int key = (int)ch;

		/* resizeterm() (from the signal pipe) queues this; the size
		 * is already taken. */
		if (rc == KEY_CODE_YES && ch == KEY_RESIZE)
			continue;
		if (rc == OK && ch == '\r')
			key = '\n';
		handle_key(a, key);
		while (a->npending > 0 && !a->quit) {
			int k = a->pending[0];

			memmove(a->pending, a->pending + 1, (a->npending - 1) * sizeof(int));
			a->npending--;
			handle_key(a, k);
		}
		if (a->quit)
			break;
	}
}

/* ------------------------------------------------------------------ set-up */

const char *app_preset_dir(void)
{
	static char dir[4096];
	const char *env = getenv("WARY_KEYMAP_DIR");
	char probe[4200];

	if (env && *env)
		return env;
	snprintf(probe, sizeof(probe), "%s/keymaps/default.keys", WARY_DATADIR);
	if (access(probe, R_OK) == 0) {
		snprintf(dir, sizeof(dir), "%s/keymaps", WARY_DATADIR);
		return dir;
	}
	/* Run from the build tree before `make install`. */
	snprintf(dir, sizeof(dir), "%s/keymaps", WARY_SRCDIR);
	return dir;
}

/* A broken keys or theme file of the user's must not leave wary without
 * keys: what parsed is kept, a keymap with no bindings at all falls back
 * to the default preset, and the errors are shown once the screen is up. */
static int load_ui_files(struct app *a, struct buf *problems, char *err, size_t errlen)
{
	const char *dir = app_preset_dir();
	const char *km = config_get(a->cfg, "keymap");
	const char *th = config_get(a->cfg, "theme");
	char msg[WARY_ERRLEN];

	a->km = keymap_new();
	keymap_set_preset_dir(a->km, dir);
	if (keymap_load(a->km, km ? km : "default", msg, sizeof(msg)) != WARY_OK) {
		buf_addf(problems, "%s%s", problems->len ? "; " : "", msg);
		if (keymap_binding_count(a->km, KM_GENERIC) == 0 &&
		    keymap_binding_count(a->km, KM_INDEX) == 0) {
			keymap_free(&a->km);
			a->km = keymap_new();
			keymap_set_preset_dir(a->km, dir);
			if (keymap_load(a->km, "default", err, errlen) != WARY_OK)
				return WARY_ERR; /* no keys at all: do not start */
		}
	}
	a->th = theme_new();
	theme_set_preset_dir(a->th, dir);
	if (theme_load(a->th, th ? th : "default", msg, sizeof(msg)) != WARY_OK)
		buf_addf(problems, "%s%s", problems->len ? "; " : "", msg);
	return WARY_OK;
}

int app_run(struct config *cfg, const char *location, struct worker_account *wa,
            char *err, size_t errlen)
{
	struct app a;
	const char *cache = config_get(cfg, "header_cache");
	struct sigaction sa;
	int fds[2] = { -1, -1 };
	int rc = 1;
	enum index_sort sort = INDEX_THREADS;
	struct buf problems = BUF_INIT;
	long long last_draw = 0, key_ms = 0;
	bool pending_draw = false;

	memset(&a, 0, sizeof(a));
	a.cfg = cfg;
	trace_t0 = now_ms();
	if (getenv("WARY_TRACE") && *getenv("WARY_TRACE"))
		trace_file = fopen(getenv("WARY_TRACE"), "ae");
	a.sig_rd = a.sig_wr = -1;
	buf_init(&a.msg_bytes);
	buf_init(&a.input);
	str_copy(a.save_dir, getenv("HOME") ? getenv("HOME") : ".", sizeof(a.save_dir));
	a.weed = !(config_get(cfg, "pager_headers") && strcmp(config_get(cfg, "pager_headers"), "all") == 0);
	a.prefer_html = config_get_bool(cfg, "prefer_html");
	a.sidebar = config_get_bool(cfg, "sidebar");
	if (load_ui_files(&a, &problems, err, errlen) != WARY_OK)
		goto out;
	if (cache && strcmp(cache, "off") == 0)
		cache = NULL;
	if (worker_new(cache, &a.wk, err, errlen) != WARY_OK)
		goto out;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		err_set(err, errlen, WARY_EIO, "pipe: %s", strerror(errno));
		goto out;
	}
	a.sig_rd = fds[0];
	a.sig_wr = fds[1];
	/* The connection and the first folder's index are asked for first:
	 * what follows (GPGME's set-up runs gpg and gpgconf, 30-40 ms) then
	 * overlaps the TLS handshake, the login and the first rows. */
	if (wa) {
		worker_set_account(a.wk, wa);
		worker_send(a.wk, WK_OPEN_ACCOUNT, 1, NULL, 0, 0);
	} else {
		worker_send(a.wk, WK_OPEN, 1, location, 0, 0);
	}
	a.ix = index_new();
	if (index_sort_parse(config_get(cfg, "sort"), &sort) == WARY_OK)
		index_set_sort(a.ix, sort);
	{
		long every = wa ? config_account_get_int(cfg, wa->acct.name, "fetch_interval")
		                : config_get_int(cfg, "fetch_interval");

		a.check_every_ms = every > 0 ? every * 1000LL : 0;
	}
	a.location = xstrdup(location ? location : (wa && wa->acct.host ? wa->acct.host : ""));
	a.wa = wa;
	a.gen = 0;
	start_folder(&a, "INBOX");
	a.pgp = pgp_ui_new(a.sig_wr);
	a.verdict = verdict_ui_new(cfg, wa ? wa->acct.name : NULL, a.sig_wr);
	spam_ui_start(&a);
	a.pager = textview_new();
	a.raw = textview_new();
	a.help = textview_new();
	a.browser = textview_new();
	compose_init(&a);

	/* The screen. */
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(50);
	if (initscr() == NULL) {
		err_set(err, errlen, WARY_ERR, "cannot start the terminal (is TERM set?)");
		goto out;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	setup_colors(&a);
	if (problems.len)
		app_say(&a, true, "%s", problems.data);
	else if (keymap_warning_count(a.km) > 0)
		app_say(&a, true, "%s (and %zu more warnings)", keymap_warning(a.km, 0),
		    keymap_warning_count(a.km) - 1);

	sig_pipe_wr = a.sig_wr;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	draw(&a);
	last_draw = now_ms();
	while (!a.quit) {
		bool keyed;
		struct pollfd pfd[3] = {
			{ STDIN_FILENO, POLLIN, 0 },
			{ worker_fd(a.wk), POLLIN, 0 },
			{ a.sig_rd, POLLIN, 0 },
		};
		long long t = now_ms();
		long long wait = a.next_check_ms > t ? a.next_check_ms - t : 0;
		int timeout = wait > 60000 ? 60000 : (int)wait;
		struct wk_reply *r;

		if (index_dirty(a.ix) && timeout > 100)
			timeout = 100; /* a throttled rebuild is waiting */
		if (pending_draw && timeout > 40)
			timeout = 40;
		if (a.conn.state == STORE_CONN_RECONNECTING && timeout > 1000)
			timeout = 1000; /* the reconnect countdown on the status line */
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[2].revents & POLLIN) {
			unsigned char s[16];
			ssize_t n = read(a.sig_rd, s, sizeof(s));

			for (ssize_t i = 0; i < n; i++) {
				if (s[i] == SIGWINCH)
					on_resize(&a);
				else if (s[i] == PGP_UI_WAKE)
					pgp_ui_poll(&a);
				else if (s[i] == VERDICT_UI_WAKE)
					verdict_ui_poll(&a);
				else
					a.quit = true;
			}
		}
		/* Replies first, keys after: but never more than a frame's worth
		 * of replies before looking at the keyboard again. */
		{
			long long until = now_ms() + 30;

			while ((r = worker_take(a.wk)) != NULL) {
				handle_reply(&a, r);
				wk_reply_free(&r);
				if (now_ms() > until)
					break;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (a.loading)
				a.keyed_while_loading = true;
			key_ms = now_ms();
			read_keys(&a);
		}
		if (pfd[0].revents & (POLLHUP | POLLERR))
			a.quit = true;
		maybe_rebuild(&a, false);
		if (now_ms() >= a.next_check_ms)
			run_func(&a, KF_CHECK_NEW);
		/* A key is answered at once; rows streaming in are drawn at
		 * most every 40 ms, which is all an eye sees anyway. */
		keyed = (pfd[0].revents & POLLIN) || (pfd[2].revents & POLLIN);
		if (!a.quit && (keyed || now_ms() - last_draw >= 40 || !a.loading)) {
			draw(&a);
			last_draw = now_ms();
			pending_draw = false;
			if (a.index_followups_due) {
				a.index_followups_due = false;
				worker_send(a.wk, WK_FOLDERS, a.gen, NULL, 0, 0);
				if (a.index_check_due && !a.check_running) {
					a.check_running = true;
					worker_send(a.wk, WK_CHECK, a.gen, NULL, 0, 0);
				}
				a.index_check_due = false;
			}
			if (a.spam_known_due) {
				a.spam_known_due = false;
				spam_ui_index_loaded(&a);
			}
			/* A thread order made afresh is kept once it is on screen. */
			if (!a.loading)
				index_keep_threads(a.ix, a.wk, a.gen, a.folder);
			if (key_ms) {
				wtrace("key answered in %lld ms%s", last_draw - key_ms,
				       a.loading ? " (loading)" : "");
				key_ms = 0;
			}
		} else {
			pending_draw = true;
		}
	}
	endwin();
	rc = 0;
out:
	/* worker_free lets requests already queued (flags, a purge) finish;
	 * only a running index read is cut short. */
	sig_pipe_wr = -1;
	worker_free(&a.wk);
	compose_free(&a); /* after the worker: it may be sending with it */
	spam_ui_free(&a);
	pgp_ui_free(&a.pgp);
	verdict_ui_free(&a.verdict);
	index_free(&a.ix);
	textview_free(&a.pager);
	textview_free(&a.raw);
	textview_free(&a.help);
	textview_free(&a.browser);
	keymap_free(&a.km);
	theme_free(&a.th);
	store_folders_free(&a.folders, a.nfolders);
	atts_clear(&a);
	inspect_free(&a.insp);
	safety_free(&a);
	buf_release(&a.msg_bytes);
	explicit_bzero(a.input.data, a.input.len);
	buf_release(&a.input);
	buf_release(&problems);
	free(a.msg_key);
	free(a.folder);
	free(a.location);
	if (trace_file) {
		fclose(trace_file);
		trace_file = NULL;
	}
	if (a.sig_rd >= 0)
		close(a.sig_rd);
	if (a.sig_wr >= 0)
		close(a.sig_wr);
	return rc;
}
