#ifndef WARY_UI_TEXTVIEW_H
#define WARY_UI_TEXTVIEW_H
/*
 * textview: lines of safe text with a kind each (the pager, the raw view
 * and help share it), wrapped to the screen width by display columns,
 * with a scroll position and a search.  No drawing here.
 */
#include "base/base.h"
#include "render/render.h"

/* Display columns of UTF-8 text (wide CJK and emoji count 2, combining
 * marks 0; anything unprintable 1). */
int text_width(const char *s, size_t len);
/* Bytes of s that fit in cols columns, never splitting a character;
 * *used gets the columns they take. */
size_t text_fit(const char *s, size_t len, int cols, int *used);
/* The last gate before curses: s itself when it holds only printable
 * ASCII, else a copy in *tmp (its data returned, *len updated) made safe
 * for any terminal whatever the caller forgot: safe_text, TAB expanded to
 * spaces by the columns text_fit counts, LF as a space, and a leading
 * combining mark put on U+25CC instead of on whatever is drawn left of it. */
const char *text_for_terminal(const char *s, size_t *len, struct buf *tmp);

struct textview;
struct textview *textview_new(void);
void textview_free(struct textview **tv);
void textview_clear(struct textview *tv);
/* Lines are copied; they must already be safe. */
void textview_add(struct textview *tv, const char *line, size_t len, enum render_kind kind);
/* Split text at LF into lines of one kind. */
void textview_add_text(struct textview *tv, const char *text, size_t len, enum render_kind kind);
size_t textview_lines(const struct textview *tv);
const char *textview_line(const struct textview *tv, size_t i, enum render_kind *kind);

/* Wrap to width columns (re-wraps only when the width changes). */
void textview_layout(struct textview *tv, int width);
/* Rows after wrapping, and one row: the line it belongs to and the
 * byte range of that line it shows. */
size_t textview_rows(const struct textview *tv);
void textview_row(const struct textview *tv, size_t row, size_t *line, size_t *off, size_t *len);
/* First row shown. */
size_t textview_top(const struct textview *tv);
void textview_scroll_to(struct textview *tv, size_t row, int page);
/* Scroll by n rows (negative up), clamped so the last page stays full. */
void textview_scroll(struct textview *tv, long n, int page);

/* Search: the next row at or after (dir>0) / before (dir<0) `from` whose
 * line contains pattern, case-insensitive; SIZE_MAX if none. */
size_t textview_search(const struct textview *tv, size_t from, int dir, const char *pattern);

#endif
