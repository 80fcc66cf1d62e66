/* Wrapped text for the pager, the raw view and help. */
#include <wchar.h>

#include "base/base.h"
#include "ui/textview.h"

struct tv_line {
	char *text;
	size_t len;
	enum render_kind kind;
};

struct tv_row {
	size_t line, off, len;
};

struct textview {
	struct tv_line *lines;
	size_t n, cap;
	struct tv_row *rows;
	size_t nrows, rcap;
	int width; /* of the current layout; 0 = none */
	size_t top;
};

static int cp_width(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);

	return w < 0 ? 1 : w;
}

int text_width(const char *s, size_t len)
{
	int used = 0;

	text_fit(s, len, 1 << 30, &used);
	return used;
}

size_t text_fit(const char *s, size_t len, int cols, int *used)
{
	size_t i = 0;
	int w = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		int cw;

		if (n == 0) { /* cannot happen in safe text; count it and go on */
			n = 1;
			cw = 1;
		} else {
			cw = cp == '\t' ? 8 - (w % 8) : cp_width(cp);
		}
		if (w + cw > cols)
			break;
		w += cw;
		i += n;
	}
	if (used)
		*used = w;
	return i;
}

const char *text_for_terminal(const char *s, size_t *len, struct buf *tmp)
{
	struct buf safe = BUF_INIT;
	size_t i = 0;
	int w = 0;

	while (i < *len && (unsigned char)(s[i] - 0x20) < 0x5f)
		i++;
	if (i == *len)
		return s;
	safe_text(&safe, s, *len, SAFE_BODY);
	buf_reset(tmp);
	for (i = 0; i < safe.len;) {
		uint32_t cp;
		size_t n = utf8_decode((const unsigned char *)safe.data + i, safe.len - i, &cp);

		if (n == 0) { /* safe_text leaves no invalid UTF-8: never here */
			i++;
			continue;
		}
		if (cp == '\t') {
			do
				buf_addch(tmp, ' ');
			while (++w % 8 != 0);
		} else if (cp == '\n') {
			buf_addch(tmp, ' ');
			w++;
		} else {
			int cw = cp_width(cp);

			/* a mark, not a format character (a BOM opening a part) */
			if (i == 0 && cp >= 0x300 && wcwidth((wchar_t)cp) == 0 && !safe_is_ignorable(cp)) {
				utf8_encode(tmp, 0x25cc); /* a combining mark's usual base */
				cw = 1;
			}
			buf_add(tmp, safe.data + i, n);
			w += cw;
		}
		i += n;
	}
	buf_release(&safe);
	*len = tmp->len;
	return tmp->data ? tmp->data : "";
}

struct textview *textview_new(void)
{
	return xcalloc(1, sizeof(struct textview));
}

void textview_clear(struct textview *tv)
{
	for (size_t i = 0; i < tv->n; i++)
		free(tv->lines[i].text);
	free(tv->lines);
	free(tv->rows);
	memset(tv, 0, sizeof(*tv));
}

void textview_free(struct textview **ptv)
{
	if (*ptv == NULL)
		return;
	textview_clear(*ptv);
	free(*ptv);
	*ptv = NULL;
}

void textview_add(struct textview *tv, const char *line, size_t len, enum render_kind kind)
{
	if (tv->n == tv->cap) {
		tv->cap = tv->cap ? tv->cap * 2 : 256;
		tv->lines = xreallocarray(tv->lines, tv->cap, sizeof(*tv->lines));
	}
	tv->lines[tv->n].text = xstrndup(line, len);
	tv->lines[tv->n].len = len;
	tv->lines[tv->n].kind = kind;
	tv->n++;
	tv->width = 0;
}

void textview_add_text(struct textview *tv, const char *text, size_t len, enum render_kind kind)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		textview_add(tv, p, n, kind);
		p += n + (nl ? 1 : 0);
	}
}

size_t textview_lines(const struct textview *tv)
{
	return tv->n;
}

const char *textview_line(const struct textview *tv, size_t i, enum render_kind *kind)
{
	if (i >= tv->n)
		return NULL;
	if (kind)
		*kind = tv->lines[i].kind;
	return tv->lines[i].text;
}

static void add_row(struct textview *tv, size_t line, size_t off, size_t len)
{
	if (tv->nrows == tv->rcap) {
		tv->rcap = tv->rcap ? tv->rcap * 2 : 256;
		tv->rows = xreallocarray(tv->rows, tv->rcap, sizeof(*tv->rows));
	}
	tv->rows[tv->nrows].line = line;
	tv->rows[tv->nrows].off = off;
	tv->rows[tv->nrows].len = len;
	tv->nrows++;
}

void textview_layout(struct textview *tv, int width)
{
	size_t top_line = 0, top_off = 0;

	if (width < 1)
		width = 1;
	if (tv->width == width)
		return;
	if (tv->top < tv->nrows) {
		top_line = tv->rows[tv->top].line;
		top_off = tv->rows[tv->top].off;
	}
	tv->nrows = 0;
	for (size_t i = 0; i < tv->n; i++) {
		const char *s = tv->lines[i].text;
		size_t len = tv->lines[i].len, off = 0;

		if (len == 0)
			add_row(tv, i, 0, 0);
		while (off < len) {
			size_t take = text_fit(s + off, len - off, width, NULL);
			size_t brk;

			if (take == 0) /* one character wider than the screen */
				take = utf8_decode((const unsigned char *)s + off, len - off, &(uint32_t){ 0 });
			if (take == 0)
				take = 1;
			brk = take;
			/* Break at the last space when the line goes on, as a
			 * reader expects; a word longer than the line is cut. */
			if (off + take < len) {
				size_t sp = take;

				while (sp > 0 && s[off + sp - 1] != ' ')
					sp--;
				if (sp > take / 3)
					brk = sp;
			}
			add_row(tv, i, off, brk);
			off += brk;
		}
	}
	tv->width = width;
	/* Keep the first line that was on screen on screen. */
	tv->top = 0;
	for (size_t r = 0; r < tv->nrows; r++) {
		if (tv->rows[r].line > top_line ||
		    (tv->rows[r].line == top_line && tv->rows[r].off + tv->rows[r].len > top_off)) {
			tv->top = r;
			break;
		}
	}
}

size_t textview_rows(const struct textview *tv)
{
	return tv->nrows;
}

void textview_row(const struct textview *tv, size_t row, size_t *line, size_t *off, size_t *len)
{
	*line = tv->rows[row].line;
	*off = tv->rows[row].off;
	*len = tv->rows[row].len;
}

size_t textview_top(const struct textview *tv)
{
	return tv->top;
}

void textview_scroll_to(struct textview *tv, size_t row, int page)
{
	size_t max = tv->nrows > (size_t)page ? tv->nrows - (size_t)page : 0;

	tv->top = row > max ? max : row;
}

void textview_scroll(struct textview *tv, long n, int page)
{
	if (n < 0 && (size_t)-n > tv->top)
		textview_scroll_to(tv, 0, page);
	else
		textview_scroll_to(tv, (size_t)((long)tv->top + n), page);
}

size_t textview_search(const struct textview *tv, size_t from, int dir, const char *pattern)
{
	size_t plen = strlen(pattern);

	if (plen == 0 || tv->nrows == 0)
		return SIZE_MAX;
	for (size_t step = 0; step < tv->nrows; step++) {
		size_t r;
		const struct tv_row *row;

		if (dir > 0) {
			r = from + step;
			if (r >= tv->nrows)
				return SIZE_MAX;
		} else {
			if (step > from)
				return SIZE_MAX;
			r = from - step;
		}
		row = &tv->rows[r];
		/* Search the whole line, but report only the row where the
		 * match starts, so a match across a wrap is still found once. */
		const char *hit = str_memcasemem(tv->lines[row->line].text, tv->lines[row->line].len,
		                                 pattern);
		while (hit) {
			size_t at = (size_t)(hit - tv->lines[row->line].text);

			if (at >= row->off && at < row->off + row->len + (row->len == 0))
				return r;
			if (at >= row->off + row->len)
				break;
			hit = str_memcasemem(hit + 1,
			                     tv->lines[row->line].len - at - 1, pattern);
		}
	}
	return SIZE_MAX;
}
