#ifndef WARY_UI_THEME_H
#define WARY_UI_THEME_H
/*
 * theme: colours from a theme file (keymaps/default.theme), mutt-like:
 *
 *     color OBJECT FOREGROUND BACKGROUND [ATTRIBUTE...]
 *     mono  OBJECT ATTRIBUTE...
 *     include FILE
 *
 * Colours: default, black, red, green, yellow, blue, magenta, cyan, white,
 * brightCOLOR, colorN (0-255).  Attributes: bold, underline, reverse,
 * standout, dim, italic, none.  Errors are "file:line: message".
 * The parser does not touch the terminal; the UI turns entries into
 * colour pairs.
 */
#include "base/base.h"

enum theme_obj {
	TH_NORMAL,
	TH_INDICATOR,     /* the selected index row */
	TH_STATUS,        /* status line */
	TH_HELPBAR,       /* top key hint line */
	TH_MESSAGE,       /* bottom message line */
	TH_ERROR,         /* errors on the message line */
	TH_PROMPT,
	TH_INDEX_NEW,     /* unread rows */
	TH_INDEX_DELETED,
	TH_INDEX_FLAGGED,
	TH_TREE,          /* thread arrows */
	TH_HEADER_NAME,   /* "From:" in the pager */
	TH_HEADER,        /* header values */
	TH_QUOTE1,
	TH_QUOTE2,
	TH_SIGNATURE,
	TH_PART,          /* part separators */
	TH_ATTACHMENT,
	TH_LINK,
	TH_NOTICE,        /* wary's own notices in the body area */
	TH_ESCAPE,        /* visible escapes (^[, <U+202E>) */
	TH_SEARCH,        /* search matches */
	TH_SIDEBAR,
	TH_CHROME,        /* the pager's chrome lines: what wary found */
	TH_CHROME_GOOD,   /* only a trusted aligned pass or a good signature */
	TH_CHROME_WARN,
	TH_CHROME_BAD,
	TH_OBJ_COUNT
};

struct theme_color {
	int fg, bg;      /* -1 = terminal default, 0-255 */
	unsigned attrs;  /* THEME_A_* */
	bool set;        /* given by a file (else the built-in default) */
};
enum {
	THEME_A_BOLD = 1 << 0,
	THEME_A_UNDERLINE = 1 << 1,
	THEME_A_REVERSE = 1 << 2,
	THEME_A_STANDOUT = 1 << 3,
	THEME_A_DIM = 1 << 4,
	THEME_A_ITALIC = 1 << 5,
};

struct theme;
struct theme *theme_new(void);      /* built-in defaults */
void theme_free(struct theme **t);
void theme_set_preset_dir(struct theme *t, const char *dir);
/* A path or a preset name ("default" -> DIR/default.theme). */
int theme_load(struct theme *t, const char *path_or_preset, char *err, size_t errlen);
int theme_load_string(struct theme *t, const char *name, const char *text, char *err,
                      size_t errlen);
const struct theme_color *theme_get(const struct theme *t, enum theme_obj obj);
const char *theme_obj_name(enum theme_obj obj);
/* The attributes for a terminal without colours: a `mono` line's, else
 * the built-in ones (a `color` line does not change them). */
unsigned theme_get_mono(const struct theme *t, enum theme_obj obj);
/* An object by its name or mutt's (quoted, quoted1, hdrdefault); -1. */
int theme_obj_by_name(const char *name);
/* Every error so far (the first 100 are kept), for a report. */
size_t theme_error_count(const struct theme *t);
const char *theme_error(const struct theme *t, size_t i);
/* Whether `include` lines are followed (default yes); off for the fuzz
 * target. */
void theme_set_include_allowed(struct theme *t, bool allowed);

#endif
