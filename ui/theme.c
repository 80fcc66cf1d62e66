/* Themes: colour and mono lines -> a colour per screen object.  The
 * built-in look needs no file and stays readable on dark and light
 * terminals: it leans on bold, reverse and the terminal's own colours,
 * and pairs a coloured background only with a foreground that contrasts
 * with it whatever the terminal's background is. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "ui/keyfile.h"
#include "ui/theme.h"

#define BOLD THEME_A_BOLD
#define UNDER THEME_A_UNDERLINE
#define REV THEME_A_REVERSE
#define DIM THEME_A_DIM

enum { C_DEF = -1, C_BLACK, C_RED, C_GREEN, C_YELLOW, C_BLUE, C_MAGENTA, C_CYAN, C_WHITE };

struct objdef {
	const char *name;
	struct theme_color color; /* built in */
	unsigned mono;            /* built in, for terminals without colour */
};

/* In enum order; a test checks it. */
static const struct objdef objs[TH_OBJ_COUNT] = {
	[TH_NORMAL] = { "normal", { C_DEF, C_DEF, 0, false }, 0 },
	[TH_INDICATOR] = { "indicator", { C_DEF, C_DEF, REV, false }, REV },
	[TH_STATUS] = { "status", { C_DEF, C_DEF, REV, false }, REV },
	[TH_HELPBAR] = { "helpbar", { C_DEF, C_DEF, REV, false }, REV },
	[TH_MESSAGE] = { "message", { C_DEF, C_DEF, 0, false }, 0 },
	[TH_ERROR] = { "error", { C_WHITE, C_RED, BOLD, false }, BOLD | REV },
	[TH_PROMPT] = { "prompt", { C_DEF, C_DEF, BOLD, false }, BOLD },
	[TH_INDEX_NEW] = { "index_new", { C_DEF, C_DEF, BOLD, false }, BOLD },
	[TH_INDEX_DELETED] = { "index_deleted", { C_RED, C_DEF, 0, false }, DIM },
	[TH_INDEX_FLAGGED] = { "index_flagged", { C_MAGENTA, C_DEF, BOLD, false }, BOLD | UNDER },
	[TH_TREE] = { "tree", { C_GREEN, C_DEF, 0, false }, 0 },
	[TH_HEADER_NAME] = { "header_name", { C_DEF, C_DEF, BOLD, false }, BOLD },
	[TH_HEADER] = { "header", { C_DEF, C_DEF, 0, false }, 0 },
	[TH_QUOTE1] = { "quote1", { C_GREEN, C_DEF, 0, false }, 0 },
	[TH_QUOTE2] = { "quote2", { C_MAGENTA, C_DEF, 0, false }, DIM },
	[TH_SIGNATURE] = { "signature", { C_DEF, C_DEF, DIM, false }, DIM },
	[TH_PART] = { "part", { C_MAGENTA, C_DEF, BOLD, false }, BOLD },
	[TH_ATTACHMENT] = { "attachment", { C_DEF, C_DEF, BOLD, false }, BOLD },
	[TH_LINK] = { "link", { C_DEF, C_DEF, UNDER, false }, UNDER },
	[TH_NOTICE] = { "notice", { C_BLACK, C_YELLOW, 0, false }, REV },
	[TH_ESCAPE] = { "escape", { C_MAGENTA, C_DEF, REV, false }, REV },
	[TH_SEARCH] = { "search", { C_BLACK, C_CYAN, 0, false }, REV | BOLD },
	[TH_SIDEBAR] = { "sidebar", { C_DEF, C_DEF, 0, false }, 0 },
	[TH_CHROME] = { "chrome", { C_DEF, C_DEF, REV, false }, REV },
	[TH_CHROME_GOOD] = { "chrome_good", { C_BLACK, C_GREEN, 0, false }, REV },
	[TH_CHROME_WARN] = { "chrome_warn", { C_BLACK, C_YELLOW, 0, false }, REV | BOLD },
	[TH_CHROME_BAD] = { "chrome_bad", { C_WHITE, C_RED, BOLD, false }, REV | BOLD },
};

/* mutt's names for the same objects, so a muttrc colour line works */
static const struct {
	const char *alias;
	enum theme_obj obj;
} obj_aliases[] = {
	{ "quoted", TH_QUOTE1 },
	{ "quoted1", TH_QUOTE2 },
	{ "hdrdefault", TH_HEADER },
};

static const char *const color_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

static const struct {
	const char *name;
	unsigned attr;
} attr_names[] = {
	{ "bold", THEME_A_BOLD }, { "underline", THEME_A_UNDERLINE },
	{ "reverse", THEME_A_REVERSE }, { "standout", THEME_A_STANDOUT },
	{ "dim", THEME_A_DIM }, { "italic", THEME_A_ITALIC }, { "none", 0 },
};

struct theme {
	struct theme_color c[TH_OBJ_COUNT];
	unsigned mono[TH_OBJ_COUNT];
	struct keyfile *kf;
};

static void on_line(void *ctx, struct keyfile *kf, const struct keyfile_line *l);

struct theme *theme_new(void)
{
	struct theme *t = xcalloc(1, sizeof(*t));

	for (size_t i = 0; i < TH_OBJ_COUNT; i++) {
		t->c[i] = objs[i].color;
		t->mono[i] = objs[i].mono;
	}
	t->kf = keyfile_new(".theme", on_line, t);
	return t;
}

void theme_free(struct theme **pt)
{
	struct theme *t = *pt;

	if (t == NULL)
		return;
	keyfile_free(&t->kf);
	free(t);
	*pt = NULL;
}

void theme_set_preset_dir(struct theme *t, const char *dir)
{
	keyfile_set_preset_dir(t->kf, dir);
}

void theme_set_include_allowed(struct theme *t, bool allowed)
{
	keyfile_set_include_allowed(t->kf, allowed);
}

size_t theme_error_count(const struct theme *t)
{
	return keyfile_error_count(t->kf);
}

const char *theme_error(const struct theme *t, size_t i)
{
	return keyfile_error_at(t->kf, i);
}

const struct theme_color *theme_get(const struct theme *t, enum theme_obj obj)
{
	if ((unsigned)obj >= TH_OBJ_COUNT)
		return &t->c[TH_NORMAL];
	return &t->c[obj];
}

unsigned theme_get_mono(const struct theme *t, enum theme_obj obj)
{
	if ((unsigned)obj >= TH_OBJ_COUNT)
		return t->mono[TH_NORMAL];
	return t->mono[obj];
}

const char *theme_obj_name(enum theme_obj obj)
{
	if ((unsigned)obj >= TH_OBJ_COUNT)
		return NULL;
	return objs[obj].name;
}

int theme_obj_by_name(const char *name)
{
	for (size_t i = 0; i < TH_OBJ_COUNT; i++)
		if (str_casecmp(objs[i].name, name) == 0)
			return (int)i;
	for (size_t i = 0; i < ARRAY_SIZE(obj_aliases); i++)
		if (str_casecmp(obj_aliases[i].alias, name) == 0)
			return (int)obj_aliases[i].obj;
	return -1;
}

/* "red", "brightred", "color123", "default" -> -1..255; false if not a colour. */
static bool parse_color(const char *s, int *out, bool *range)
{
	bool bright = false;

	*range = false;
	if (str_casecmp(s, "default") == 0) {
		*out = -1;
		return true;
	}
	if (str_ncasecmp(s, "color", 5) == 0 && s[5] != '\0') {
		long v = 0;

		for (const char *p = s + 5; *p; p++) {
			if (!isdigit((unsigned char)*p))
				return false;
			if (v <= 255)
				v = v * 10 + (*p - '0');
		}
		if (v > 255) {
			*range = true;
			return false;
		}
		*out = (int)v;
		return true;
	}
	if (str_ncasecmp(s, "bright", 6) == 0) {
		bright = true;
		s += 6;
	}
	for (size_t i = 0; i < ARRAY_SIZE(color_names); i++) {
		if (str_casecmp(s, color_names[i]) == 0) {
			*out = (int)i + (bright ? 8 : 0);
			return true;
		}
	}
	return false;
}

static bool parse_attr(const char *s, unsigned *attrs)
{
	for (size_t i = 0; i < ARRAY_SIZE(attr_names); i++) {
		if (str_casecmp(s, attr_names[i].name) == 0) {
			if (attr_names[i].attr == 0)
				*attrs = 0;
			else
				*attrs |= attr_names[i].attr;
			return true;
		}
	}
	return false;
}

static int object_word(struct keyfile *kf, const struct keyfile_line *l, const char *s)
{
	int obj = theme_obj_by_name(s);
	char *q;

	if (obj >= 0)
		return obj;
	q = keyfile_quote_word(s);
	if (str_casecmp(s, "index") == 0)
		keyfile_error(kf, l, "unknown object 'index' (wary has index_new, index_deleted and index_flagged)");
	else
		keyfile_error(kf, l, "unknown object '%s'", q);
	free(q);
	return -1;
}

static void bad_word(struct keyfile *kf, const struct keyfile_line *l, const char *what,
                     const char *s)
{
	char *q = keyfile_quote_word(s);

	keyfile_error(kf, l, "unknown %s '%s'", what, q);
	free(q);
}

/* color OBJECT FG BG [ATTR...]; attributes may also come first, as in
 * NeoMutt's "color OBJECT ATTR... FG BG". */
static void cmd_color(struct theme *t, struct keyfile *kf, const struct keyfile_line *l)
{
	int colors[2], obj;
	size_t ncolors = 0;
	unsigned attrs = 0;

	if (l->n < 4) {
		keyfile_error(kf, l, "usage: color OBJECT FOREGROUND BACKGROUND [ATTRIBUTE...]");
		return;
	}
	obj = object_word(kf, l, l->w[1].text);
	if (obj < 0)
		return;
	for (size_t i = 2; i < l->n; i++) {
		const char *w = l->w[i].text;
		bool range;
		int c;

		if (parse_attr(w, &attrs))
			continue;
		if (!parse_color(w, &c, &range)) {
			if (range) {
				char *q = keyfile_quote_word(w);

				keyfile_error(kf, l, "colour '%s' out of range (color0 to color255)", q);
				free(q);
			} else {
				bad_word(kf, l, "colour or attribute", w);
			}
			return;
		}
		if (ncolors == 2) {
			keyfile_error(kf, l, "more than two colours (foreground, background)");
			return;
		}
		colors[ncolors++] = c;
	}
	if (ncolors < 2) {
		keyfile_error(kf, l, "missing %s colour", ncolors == 0 ? "foreground" : "background");
		return;
	}
	t->c[obj].fg = colors[0];
	t->c[obj].bg = colors[1];
	t->c[obj].attrs = attrs;
	t->c[obj].set = true;
}

static void cmd_mono(struct theme *t, struct keyfile *kf, const struct keyfile_line *l)
{
	unsigned attrs = 0;
	int obj;

	if (l->n < 3) {
		keyfile_error(kf, l, "usage: mono OBJECT ATTRIBUTE...");
		return;
	}
	obj = object_word(kf, l, l->w[1].text);
	if (obj < 0)
		return;
	for (size_t i = 2; i < l->n; i++) {
		if (!parse_attr(l->w[i].text, &attrs)) {
			bad_word(kf, l, "attribute", l->w[i].text);
			return;
		}
	}
	t->mono[obj] = attrs;
}

static void on_line(void *ctx, struct keyfile *kf, const struct keyfile_line *l)
{
	struct theme *t = ctx;
	const char *cmd = l->w[0].text;

	if (strcmp(cmd, "color") == 0 || strcmp(cmd, "colour") == 0) {
		cmd_color(t, kf, l);
	} else if (strcmp(cmd, "mono") == 0) {
		cmd_mono(t, kf, l);
	} else {
		char *q = keyfile_quote_word(cmd);

		keyfile_error(kf, l, "unknown command '%s' (expected color, mono or include)", q);
		free(q);
	}
}

int theme_load(struct theme *t, const char *path_or_preset, char *err, size_t errlen)
{
	return keyfile_load(t->kf, path_or_preset, err, errlen);
}

int theme_load_string(struct theme *t, const char *name, const char *text, char *err,
                      size_t errlen)
{
	return keyfile_load_string(t->kf, name, text, err, errlen);
}
