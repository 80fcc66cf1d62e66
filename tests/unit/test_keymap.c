/* Tests for ui/keymap.c, ui/theme.c and the line reader they share: the
 * presets, the key notation, lookups, every error and warning with its
 * file:line, hostile input and the theme format. */
#include <curses.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "ui/keymap.h"
#include "ui/theme.h"
#include "tests/unit/t.h"

#define PRESETS TOP_SRCDIR "/keymaps"

static char err[WARY_ERRLEN];

static bool has(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

/* A fresh keymap loaded from text; returns the status. */
static int load(struct keymap **km, const char *text)
{
	keymap_free(km);
	*km = keymap_new();
	keymap_set_preset_dir(*km, PRESETS);
	err[0] = '\0';
	return keymap_load_string(*km, "t.keys", text, err, sizeof(err));
}

/* The function a key (in notation) runs in a menu, KF_NONE if none. */
static enum km_func func_of(const struct keymap *km, enum km_menu menu, const char *keys)
{
	int codes[16];
	int n = keymap_parse_keys(keys, codes, 16);
	const struct km_binding *b;
	bool pre;

	if (n <= 0)
		return KF_NONE;
	b = keymap_lookup(km, menu, codes, (size_t)n, &pre);
	return b != NULL ? b->func : KF_NONE;
}

static bool waits(const struct keymap *km, enum km_menu menu, const char *keys)
{
	int codes[16];
	int n = keymap_parse_keys(keys, codes, 16);
	bool pre = false;

	return n > 0 && keymap_lookup(km, menu, codes, (size_t)n, &pre) == NULL && pre;
}

static const char *warning_with(const struct keymap *km, const char *needle)
{
	for (size_t i = 0; i < keymap_warning_count(km); i++)
		if (has(keymap_warning(km, i), needle))
			return keymap_warning(km, i);
	return NULL;
}

static void test_table(void)
{
	size_t n = 0;
	const struct km_func_def *f = keymap_funcs(&n);

	T_INT(n, KF_FUNC_COUNT - 1, "the table has every function of the enum");
	for (size_t i = 0; i < n; i++) {
		char what[128];
		bool unique = true;

		for (size_t j = 0; j < i; j++)
			if (strcmp(f[i].name, f[j].name) == 0)
				unique = false;
		snprintf(what, sizeof(what), "%s: in enum order, unique, with help and a menu",
		         f[i].name);
		T_OK(f[i].id == (enum km_func)(i + 1) && unique && f[i].help != NULL &&
		             f[i].help[0] != '\0' && f[i].menus != 0,
		     what);
		T_OK(keymap_func_by_name(f[i].name) == &f[i], "found by its name");
	}
	T_OK(keymap_func_by_name("no-such-function") == NULL, "unknown name gives NULL");
	T_OK(keymap_func_by_name("refresh") != NULL &&
	             keymap_func_by_name("refresh")->id == KF_REDRAW,
	     "mutt's refresh is redraw-screen");
	T_OK(keymap_func_by_name("fetch-mail") != NULL &&
	             keymap_func_by_name("fetch-mail")->id == KF_CHECK_NEW,
	     "mutt's fetch-mail is check-new (which downloads on a POP3 account)");
	T_STR(keymap_menu_name(KM_GENERIC), "generic", "menu name generic");
	T_STR(keymap_menu_name(KM_BROWSER), "browser", "menu name browser");
	T_OK(keymap_menu_name(KM_MENU_COUNT) == NULL, "no name past the last menu");
}

static void test_presets(void)
{
	static const char *const names[] = { "default", "vim", "simple" };
	struct keymap *km = NULL;
	int codes[4];
	bool pre;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char what[128];
		int rc;

		keymap_free(&km);
		km = keymap_new();
		keymap_set_preset_dir(km, PRESETS);
		rc = keymap_load(km, names[i], err, sizeof(err));
		snprintf(what, sizeof(what), "preset %s loads", names[i]);
		if (rc != WARY_OK)
			printf("# %s\n", err);
		T_INT(rc, WARY_OK, what);
		snprintf(what, sizeof(what), "preset %s: no errors, no warnings", names[i]);
		for (size_t w = 0; w < keymap_warning_count(km); w++)
			printf("# %s\n", keymap_warning(km, w));
		T_OK(keymap_error_count(km) == 0 && keymap_warning_count(km) == 0, what);
		snprintf(what, sizeof(what), "preset %s binds quit and help", names[i]);
		T_OK(keymap_key_for(km, KM_INDEX, KF_QUIT) != NULL &&
		             keymap_key_for(km, KM_PAGER, KF_HELP) != NULL,
		     what);
	}

	keymap_free(&km);
	km = keymap_new();
	keymap_set_preset_dir(km, PRESETS);
	T_INT(keymap_load(km, "default", err, sizeof(err)), WARY_OK, "default again");
	T_INT(func_of(km, KM_INDEX, "j"), KF_NEXT_UNDELETED, "default: j in index");
	T_INT(func_of(km, KM_INDEX, "k"), KF_PREVIOUS_UNDELETED, "default: k in index");
	T_INT(func_of(km, KM_INDEX, "<Down>"), KF_NEXT_ENTRY, "default: <Down> from generic");
	T_INT(func_of(km, KM_INDEX, "<Up>"), KF_PREVIOUS_ENTRY, "default: <Up> from generic");
	T_INT(func_of(km, KM_INDEX, "<Enter>"), KF_DISPLAY_MESSAGE, "default: Enter opens");
	T_INT(func_of(km, KM_INDEX, "q"), KF_QUIT, "default: q quits the index");
	T_INT(func_of(km, KM_PAGER, "q"), KF_EXIT, "default: q leaves the pager");
	T_INT(func_of(km, KM_PAGER, "i"), KF_EXIT, "default: i leaves the pager");
	T_INT(func_of(km, KM_INDEX, "?"), KF_HELP, "default: ? from generic");
	T_INT(func_of(km, KM_INDEX, "/"), KF_SEARCH, "default: /");
	T_INT(func_of(km, KM_INDEX, "n"), KF_SEARCH_NEXT, "default: n");
	T_INT(func_of(km, KM_INDEX, "N"), KF_TOGGLE_NEW, "default: N is toggle-new (mutt)");
	T_INT(func_of(km, KM_INDEX, "d"), KF_DELETE_MESSAGE, "default: d");
	T_INT(func_of(km, KM_INDEX, "u"), KF_UNDELETE_MESSAGE, "default: u");
	T_INT(func_of(km, KM_INDEX, "F"), KF_FLAG_MESSAGE, "default: F");
	T_INT(func_of(km, KM_INDEX, "$"), KF_SYNC_MAILBOX, "default: $");
	T_INT(func_of(km, KM_INDEX, "c"), KF_CHANGE_FOLDER, "default: c");
	T_INT(func_of(km, KM_INDEX, "o"), KF_SORT_MAILBOX, "default: o");
	T_INT(func_of(km, KM_PAGER, "<Space>"), KF_NEXT_PAGE, "default: Space pages the pager");
	T_INT(func_of(km, KM_PAGER, "<PageDown>"), KF_NEXT_PAGE, "default: PageDown");
	T_INT(func_of(km, KM_PAGER, "-"), KF_PREVIOUS_PAGE, "default: -");
	T_INT(func_of(km, KM_PAGER, "<PageUp>"), KF_PREVIOUS_PAGE, "default: PageUp");
	T_INT(func_of(km, KM_PAGER, "h"), KF_DISPLAY_TOGGLE_WEED, "default: h in the pager");
	T_INT(func_of(km, KM_PAGER, "e"), KF_VIEW_RAW_MESSAGE, "default: e is view-raw-message");
	T_INT(func_of(km, KM_INDEX, "^L"), KF_REDRAW, "default: ^L");
	T_INT(func_of(km, KM_INDEX, "<Home>"), KF_FIRST_ENTRY, "default: Home");
	T_INT(func_of(km, KM_INDEX, "<End>"), KF_LAST_ENTRY, "default: End");
	T_INT(func_of(km, KM_INDEX, "="), KF_FIRST_ENTRY, "default: =");
	T_INT(func_of(km, KM_INDEX, "*"), KF_LAST_ENTRY, "default: *");
	T_INT(func_of(km, KM_PAGER, "<Down>"), KF_NEXT_LINE, "default: Down scrolls the pager");
	T_OK(waits(km, KM_INDEX, "\\e"), "default: Esc waits for the rest of Esc-/");
	T_INT(func_of(km, KM_INDEX, "\\e/"), KF_SEARCH_REVERSE, "default: Esc-/");
	T_INT(func_of(km, KM_INDEX, "x"), KF_NONE, "default: x is not bound");
	codes[0] = 'x';
	T_OK(keymap_lookup(km, KM_INDEX, codes, 1, &pre) == NULL && !pre, "an unbound key");
	T_STR(keymap_key_for(km, KM_INDEX, KF_HELP), "?", "key_for falls back to generic");
	T_STR(keymap_key_for(km, KM_INDEX, KF_NEXT_ENTRY), "J", "key_for prefers the menu");
	T_OK(keymap_key_for(km, KM_INDEX, KF_EXIT) == NULL,
	     "key_for skips a generic key the menu rebinds (q is quit in the index)");
	T_OK(keymap_key_for(km, KM_INDEX, KF_TOGGLE_HTML) == NULL, "key_for of an unbound one");
	T_OK(keymap_binding_count(km, KM_INDEX) > 10, "index has its bindings");
	{
		const char *keys = NULL;
		const struct km_binding *b = keymap_binding_at(km, KM_INDEX, 0, &keys);

		T_OK(b != NULL && b->func == KF_QUIT && keys != NULL && strcmp(keys, "q") == 0,
		     "binding_at keeps file order");
		T_OK(b != NULL && has(b->help, "Leave"), "a binding has the function's help");
		T_OK(keymap_binding_at(km, KM_INDEX, 9999, &keys) == NULL && keys == NULL,
		     "binding_at past the end");
	}

	keymap_free(&km);
	km = keymap_new();
	keymap_set_preset_dir(km, PRESETS);
	T_INT(keymap_load(km, "vim", err, sizeof(err)), WARY_OK, "vim again");
	T_OK(waits(km, KM_INDEX, "g"), "vim: g waits");
	T_INT(func_of(km, KM_INDEX, "gg"), KF_FIRST_ENTRY, "vim: gg in index");
	T_INT(func_of(km, KM_INDEX, "G"), KF_LAST_ENTRY, "vim: G in index");
	T_INT(func_of(km, KM_PAGER, "gg"), KF_TOP, "vim: gg in the pager");
	T_INT(func_of(km, KM_PAGER, "G"), KF_BOTTOM, "vim: G in the pager");
	T_INT(func_of(km, KM_PAGER, "j"), KF_NEXT_LINE, "vim: j scrolls the pager");
	T_INT(func_of(km, KM_INDEX, "j"), KF_NEXT_ENTRY, "vim: j moves in the index");
	T_INT(func_of(km, KM_PAGER, "^D"), KF_HALF_DOWN, "vim: ^D");
	T_INT(func_of(km, KM_PAGER, "^U"), KF_HALF_UP, "vim: ^U");
	T_INT(func_of(km, KM_INDEX, "^F"), KF_NEXT_PAGE, "vim: ^F");
	T_INT(func_of(km, KM_INDEX, "^B"), KF_PREVIOUS_PAGE, "vim: ^B");
	T_INT(func_of(km, KM_INDEX, "?"), KF_SEARCH_REVERSE, "vim: ?");
	T_INT(func_of(km, KM_INDEX, "N"), KF_SEARCH_OPPOSITE, "vim: N");
	T_INT(func_of(km, KM_PAGER, "N"), KF_SEARCH_OPPOSITE, "vim: N in the pager");
	T_INT(func_of(km, KM_INDEX, "<F1>"), KF_HELP, "vim: help on F1");
	T_INT(func_of(km, KM_INDEX, "d"), KF_DELETE_MESSAGE, "vim keeps the default d");

	keymap_free(&km);
	km = keymap_new();
	keymap_set_preset_dir(km, PRESETS);
	T_INT(keymap_load(km, "simple", err, sizeof(err)), WARY_OK, "simple again");
	T_INT(func_of(km, KM_PAGER, "<Esc>"), KF_EXIT, "simple: Esc goes back");
	T_INT(func_of(km, KM_PAGER, "q"), KF_EXIT, "simple: q goes back");
	T_INT(func_of(km, KM_INDEX, "<F1>"), KF_HELP, "simple: F1 help");
	T_INT(func_of(km, KM_INDEX, "<Down>"), KF_NEXT_ENTRY, "simple: arrows");
	T_INT(func_of(km, KM_INDEX, "<Enter>"), KF_DISPLAY_MESSAGE, "simple: Enter opens");
	T_INT(func_of(km, KM_INDEX, "j"), KF_NONE, "simple: no mutt keys");
	keymap_free(&km);
	T_OK(km == NULL, "keymap_free clears the pointer");
	keymap_free(&km);
}

static void test_lookup(void)
{
	struct keymap *km = NULL;
	const struct km_binding *b;
	int codes[8];
	bool pre;

	T_INT(load(&km, "bind index,pager \\Cf next-page\n"
	                "bind pager <Down> next-line\n"
	                "macro index gi \"<change-folder>=INBOX<Enter>\" \"Go to the inbox\"\n"
	                "bind generic g help\n"
	                "bind index gg top\n"
	                "bind generic x quit\n"
	                "bind index x noop\n"),
	      WARY_OK, "muttrc lines load");
	T_INT(keymap_warning_count(km), 2, "generic g is hidden in index by gg and gi");
	T_STR(keymap_warning(km, 0),
	      "t.keys:4: generic: 'g' and 'gi' (index, t.keys:3) overlap: 'g' can never be typed in index",
	      "the first names both lines");
	T_INT(func_of(km, KM_INDEX, "^F"), KF_NEXT_PAGE, "\\Cf is ^F in index");
	T_INT(func_of(km, KM_PAGER, "^F"), KF_NEXT_PAGE, "and in the pager");
	T_INT(func_of(km, KM_PAGER, "<down>"), KF_NEXT_LINE, "key names ignore case");
	codes[0] = 'g';
	codes[1] = 'i';
	b = keymap_lookup(km, KM_INDEX, codes, 2, &pre);
	T_OK(b != NULL && b->func == KF_NONE && b->macro != NULL, "gi is a macro");
	if (b != NULL && b->macro != NULL) {
		static const int want[] = { -KF_CHANGE_FOLDER, '=', 'I', 'N', 'B', 'O', 'X', '\n' };

		T_INT(b->macro_len, ARRAY_SIZE(want), "macro length");
		T_OK(b->macro_len == ARRAY_SIZE(want) &&
		             memcmp(b->macro, want, sizeof(want)) == 0,
		     "<change-folder> is -(KF_CHANGE_FOLDER), <Enter> is a key");
		T_STR(b->help, "Go to the inbox", "macro help from the file");
	}
	T_OK(waits(km, KM_INDEX, "g"), "a menu's prefix waits even where generic binds g");
	T_INT(func_of(km, KM_PAGER, "g"), KF_HELP, "generic g where the menu does not bind g");
	T_INT(func_of(km, KM_INDEX, "gg"), KF_TOP, "gg in index");
	codes[0] = 'x';
	b = keymap_lookup(km, KM_INDEX, codes, 1, &pre);
	T_OK(b != NULL && b->func == KF_NONE && b->macro == NULL, "noop binds to nothing");
	T_INT(func_of(km, KM_PAGER, "x"), KF_QUIT, "and hides generic only in its menu");
	T_OK(keymap_lookup(km, KM_INDEX, codes, 0, &pre) == NULL && !pre, "no keys, no binding");
	T_OK(keymap_lookup(km, KM_MENU_COUNT, codes, 1, &pre) == NULL, "a bad menu");

	T_INT(load(&km, "bind index j next-entry \"Down one\"\n"
	                "bind generic j previous-entry\n"
	                "unbind index j\n"),
	      WARY_OK, "unbind loads");
	T_INT(func_of(km, KM_INDEX, "j"), KF_PREVIOUS_ENTRY, "unbind leaves generic's key");
	T_INT(load(&km, "bind index j next-entry\nbind pager j next-line\nunbind * j\n"),
	      WARY_OK, "unbind * KEY");
	T_OK(func_of(km, KM_INDEX, "j") == KF_NONE && func_of(km, KM_PAGER, "j") == KF_NONE,
	     "unbind * removes the key everywhere");
	T_INT(load(&km, "include default\nunbind * *\n"), WARY_OK, "unbind * *");
	{
		size_t total = 0;

		for (int m = 0; m < KM_MENU_COUNT; m++)
			total += keymap_binding_count(km, (enum km_menu)m);
		T_INT(total, 0, "unbind * * clears every menu");
	}
	T_INT(load(&km, "include default\nunbind index *\n"), WARY_OK, "unbind MENU *");
	T_OK(keymap_binding_count(km, KM_INDEX) == 0 && keymap_binding_count(km, KM_PAGER) > 0,
	     "unbind index * clears only the index");

	T_INT(load(&km, "bind index 'a b' help 'it''s'\n"), WARY_EPARSE,
	      "text right after a closing quote");
	T_INT(load(&km, "bind index \"\\\"\" help \"say \\\"hi\\\" \\\\ now\"\n"
	                "bind index '\\Cf' exit\n"
	                "bind index \\# top   # a comment\n"),
	      WARY_OK, "quotes, escapes and comments");
	codes[0] = '"';
	b = keymap_lookup(km, KM_INDEX, codes, 1, &pre);
	T_OK(b != NULL && b->func == KF_HELP, "a double-quoted \\\" key");
	T_STR(b != NULL ? b->help : NULL, "say \"hi\" \\ now", "help unescapes \\\" and \\\\");
	T_INT(func_of(km, KM_INDEX, "\\\\Cf"), KF_EXIT, "single quotes keep the backslash");
	T_INT(func_of(km, KM_INDEX, "#"), KF_TOP, "\\# is a key, # after it a comment");
	keymap_free(&km);
}

static void expect_error(const char *text, const char *want, const char *what)
{
	struct keymap *km = NULL;
	int rc = load(&km, text);

	if (rc != WARY_EPARSE || !has(err, want))
		printf("#   err: %s\n#   want: %s\n", err, want);
	T_OK(rc == WARY_EPARSE && has(err, want), what);
	keymap_free(&km);
}

static void test_errors(void)
{
	struct keymap *km = NULL;

	expect_error("\nbind indx j next-entry\n", "t.keys:2: unknown menu 'indx'", "unknown menu");
	expect_error("bind index j next-entri\n",
	             "t.keys:1: unknown function 'next-entri'; did you mean 'next-entry'?",
	             "unknown function, with a suggestion");
	expect_error("bind index j frobnicate\n", "t.keys:1: unknown function 'frobnicate'",
	             "unknown function");
	expect_error("bind index h display-toggle-weed\n",
	             "t.keys:1: function 'display-toggle-weed' cannot be bound in menu 'index'",
	             "function not allowed in that menu");
	expect_error("bind pager,raw o sort-mailbox\n",
	             "t.keys:1: function 'sort-mailbox' cannot be bound in menu 'pager'",
	             "menu list checked too");
	expect_error("bind index <Dwn> next-entry\n",
	             "t.keys:1: bad key '<Dwn>': unknown key name <Dwn>", "unknown key name");
	expect_error("bind index <next-entry> next-entry\n", "unknown key name <next-entry>",
	             "a function name is not a key");
	expect_error("bind index \\C1 next-entry\n", "t.keys:1: bad key '\\C1'", "bad control key");
	expect_error("bind index abcdefghi next-entry\n", "longer than 8 keys", "key too long");
	expect_error("bind index \"\" next-entry\n", "t.keys:1: empty key", "empty key");
	expect_error("bind index \xc4\x82 next-entry\n", "U+0102 cannot be bound",
	             "a code point that is also an ncurses key code");
	expect_error("bind index \xff next-entry\n", "not valid UTF-8", "invalid UTF-8");
	expect_error("macro index x \"abc\n", "t.keys:1: unterminated double quote",
	             "unterminated double quote");
	expect_error("\n\nmacro index x 'abc\n", "t.keys:3: unterminated single quote",
	             "unterminated single quote");
	expect_error("macro index x \"<no-such>\"\n",
	             "t.keys:1: bad key sequence '<no-such>': unknown function or key <no-such>",
	             "unknown function in a macro");
	expect_error("macro index x \"\"\n", "empty key sequence", "empty macro");
	expect_error("bind index j\n", "t.keys:1: usage: bind", "bind with too few words");
	expect_error("bind index j next-entry help extra\n", "usage: bind", "bind, too many");
	expect_error("unbind index\n", "usage: unbind", "unbind usage");
	expect_error("unbind * <Nope>\n", "unknown key name <Nope>", "unbind a malformed key");
	expect_error("bnd index j next-entry\n", "t.keys:1: unknown command 'bnd'",
	             "unknown command");
	expect_error("bind index j next-entry \\\n", "backslash at the end of the line",
	             "a backslash at the end of a line");
	expect_error("include\n", "include: expected one file name", "include usage");
	expect_error("include /nonexistent/x.keys\n", "t.keys:1: include: /nonexistent/x.keys",
	             "include of a missing file");
	expect_error("include /\n", "not a regular file", "include of a directory");
	expect_error("a b c d e f g h i j k l m n o p q\n", "more than 16 words", "too many words");

	T_INT(load(&km, "bind indx j next-entry\nbind index k previous-entry\nbind x y z\n"),
	      WARY_EPARSE, "two errors");
	T_OK(has(err, "t.keys:1:") && has(err, "(and 1 more)"), "the first error and a count");
	T_INT(keymap_error_count(km), 2, "both errors are kept");
	T_OK(has(keymap_error(km, 1), "t.keys:3: unknown menu 'x'"), "the second one");
	T_INT(func_of(km, KM_INDEX, "k"), KF_PREVIOUS_ENTRY, "the lines that parsed are kept");

	keymap_free(&km);
	km = keymap_new();
	keymap_set_include_allowed(km, false);
	T_INT(keymap_load_string(km, "t.keys", "include /etc/passwd\n", err, sizeof(err)),
	      WARY_EPARSE, "include can be disabled");
	T_OK(has(err, "t.keys:1: include is disabled here"), err);
	keymap_free(&km);
	km = keymap_new();
	keymap_set_preset_dir(km, "/nonexistent");
	T_INT(keymap_load(km, "default", err, sizeof(err)), WARY_ENOENT, "a missing preset");
	T_OK(has(err, "/nonexistent/default.keys"), "names the file it looked for");
	keymap_free(&km);
}

static void test_warnings(void)
{
	struct keymap *km = NULL;
	const char *w;

	T_INT(load(&km, "bind index gg first-entry\nbind index g last-entry\n"), WARY_OK,
	      "warnings are not errors");
	w = warning_with(km, "overlap");
	T_STR(w, "t.keys:2: index: 'g' and 'gg' (t.keys:1) overlap: 'gg' can never be typed",
	      "a key that is a prefix of another");
	T_INT(load(&km, "bind index g last-entry\nbind index gg first-entry\n"), WARY_OK,
	      "the other order");
	T_STR(warning_with(km, "overlap"),
	      "t.keys:2: index: 'gg' and 'g' (t.keys:1) overlap: 'gg' can never be typed",
	      "a key whose prefix is bound");
	T_INT(load(&km, "bind generic gg first-entry\nbind pager g top\n"), WARY_OK, "generic");
	T_STR(warning_with(km, "overlap"),
	      "t.keys:2: pager: 'g' and 'gg' (generic, t.keys:1) overlap: 'gg' can never be typed in pager",
	      "a menu key hiding a generic one");
	T_INT(load(&km, "bind pager gg top\n\nbind generic g help\n"), WARY_OK, "generic later");
	T_STR(warning_with(km, "overlap"),
	      "t.keys:3: generic: 'g' and 'gg' (pager, t.keys:1) overlap: 'g' can never be typed in pager",
	      "a generic key hidden in one menu");
	T_INT(load(&km, "bind index x top\nbind pager x top\n\nbind index x bottom\n"), WARY_OK,
	      "a key bound twice");
	T_INT(keymap_warning_count(km), 1, "one warning");
	T_STR(keymap_warning(km, 0),
	      "t.keys:4: index: 'x' was already bound at t.keys:1; this line replaces it",
	      "the warning names the earlier line");
	T_INT(func_of(km, KM_INDEX, "x"), KF_BOTTOM, "the later binding wins");
	T_INT(load(&km, "include default\nbind index j next-entry\n"), WARY_OK, "rebinding");
	T_INT(keymap_warning_count(km), 0, "rebinding a key of an included file is no warning");
	T_INT(func_of(km, KM_INDEX, "j"), KF_NEXT_ENTRY, "and it wins");
	T_OK(keymap_warning(km, 5) == NULL, "no warning past the count");
	keymap_free(&km);
}

static void write_file(const char *path, const char *text)
{
	fs_write_atomic(path, text, strlen(text), 0600, err, sizeof(err));
}

static void test_files(void)
{
	struct buf dir = BUF_INIT;
	struct keymap *km = NULL;
	char *a, *b, *c, *chain[12];
	int fd;

	buf_init(&dir);
	if (!T_OK(fs_private_tmpdir(&dir, err, sizeof(err)) == WARY_OK, "tmpdir"))
		return;
	a = xasprintf("%s/a.keys", dir.data);
	b = xasprintf("%s/b.keys", dir.data);
	c = xasprintf("%s/c.keys", dir.data);
	write_file(a, "bind index x top\ninclude b.keys\nbind index y bottom\n");
	write_file(b, "bind index z help\ninclude a.keys\n");
	km = keymap_new();
	T_INT(keymap_load(km, a, err, sizeof(err)), WARY_EPARSE, "an include loop stops");
	{
		char *want = xasprintf("%s:2: include loop: %s/a.keys is already being read", b,
		                       dir.data);

		T_OK(has(err, want), "the loop is named at the include that closes it");
		if (!has(err, want))
			printf("#   err: %s\n", err);
		free(want);
	}
	T_OK(func_of(km, KM_INDEX, "x") == KF_TOP && func_of(km, KM_INDEX, "z") == KF_HELP &&
	             func_of(km, KM_INDEX, "y") == KF_BOTTOM,
	     "both files were read once, in order");
	keymap_free(&km);

	/* a chain of distinct files deeper than the limit */
	for (int i = 0; i < 12; i++)
		chain[i] = xasprintf("%s/n%d.keys", dir.data, i);
	for (int i = 0; i < 12; i++) {
		char *t = i < 11 ? xasprintf("include n%d.keys\n", i + 1) : xstrdup("bind index q quit\n");

		write_file(chain[i], t);
		free(t);
	}
	km = keymap_new();
	T_INT(keymap_load(km, chain[0], err, sizeof(err)), WARY_EPARSE, "deep nesting stops");
	T_OK(has(err, "n7.keys:1: include nested more than 8 deep"), err);
	T_INT(func_of(km, KM_INDEX, "q"), KF_NONE, "the file past the limit was not read");
	keymap_free(&km);

	/* relative includes and preset names from a file elsewhere */
	write_file(a, "include default\ninclude c.keys\n");
	write_file(c, "bind index x top\n");
	km = keymap_new();
	keymap_set_preset_dir(km, PRESETS);
	T_INT(keymap_load(km, a, err, sizeof(err)), WARY_OK, "include relative, then a preset");
	T_OK(func_of(km, KM_INDEX, "x") == KF_TOP && func_of(km, KM_INDEX, "j") == KF_NEXT_UNDELETED,
	     "both were read");
	keymap_free(&km);

	fd = open(c, O_WRONLY | O_TRUNC);
	if (fd >= 0) {
		T_INT(write(fd, "bind index x top\n\0bind\n", 23), 23, "write a NUL byte");
		close(fd);
	}
	km = keymap_new();
	T_INT(keymap_load(km, c, err, sizeof(err)), WARY_EPARSE, "a NUL byte is refused");
	T_OK(has(err, "NUL byte"), err);
	keymap_free(&km);
	{
		struct buf big = BUF_INIT;

		buf_init(&big);
		while (big.len <= 1024 * 1024)
			buf_adds(&big, "# padding padding padding padding padding padding\n");
		write_file(c, big.data);
		km = keymap_new();
		T_INT(keymap_load(km, c, err, sizeof(err)), WARY_EPARSE, "a file over 1 MB");
		T_INT(keymap_load_string(km, "big", big.data, err, sizeof(err)), WARY_EPARSE,
		      "a string over 1 MB");
		T_OK(has(err, "big: larger than"), err);
		keymap_free(&km);
		buf_release(&big);
	}
	unlink(a);
	unlink(b);
	unlink(c);
	for (int i = 0; i < 12; i++) {
		unlink(chain[i]);
		free(chain[i]);
	}
	rmdir(dir.data);
	free(a);
	free(b);
	free(c);
	buf_release(&dir);
}

static void test_hostile(void)
{
	struct keymap *km = NULL;
	struct theme *th = NULL;
	struct buf t = BUF_INIT;
	unsigned seed = 12345;
	int rc;

	buf_init(&t);
	buf_adds(&t, "bind index ");
	for (int i = 0; i < 10000; i++)
		buf_addch(&t, 'x');
	buf_adds(&t, " top\nbind index y bottom\n");
	T_INT(load(&km, t.data), WARY_EPARSE, "a huge line");
	T_OK(has(err, "t.keys:1: line longer than 4096 bytes"), err);
	T_INT(func_of(km, KM_INDEX, "y"), KF_BOTTOM, "the next line still counts");

	buf_reset(&t);
	buf_adds(&t, "macro index x \"");
	for (int i = 0; i < 1100; i++)
		buf_addch(&t, 'a');
	buf_adds(&t, "\"\n");
	T_INT(load(&km, t.data), WARY_EPARSE, "a huge macro");
	T_OK(has(err, "longer than 1024 keys"), err);

	buf_reset(&t);
	for (int i = 0; i < 1100; i++)
		buf_addf(&t, "bind index <%o> top\n", 0x4e00 + i);
	T_INT(load(&km, t.data), WARY_EPARSE, "too many bindings");
	T_OK(has(err, "t.keys:1001: index: more than 1000 bindings"), err);

	T_INT(load(&km, "bind index \x1b[31m top\n"), WARY_OK, "an ESC byte is a key");
	T_INT(load(&km, "bind index x top \"\x1b]52;c;aGk=\x07 help\"\n"
	                "bind \x1b[2J x top\n"),
	      WARY_EPARSE, "escapes in a help text and a menu name");
	{
		int codes[1] = { 'x' };
		bool pre;
		const struct km_binding *b = keymap_lookup(km, KM_INDEX, codes, 1, &pre);

		T_OK(b != NULL && b->help != NULL && strchr(b->help, 0x1b) == NULL &&
		             strchr(b->help, 0x07) == NULL,
		     "a help text reaches the screen without control characters");
		T_OK(strchr(err, 0x1b) == NULL && has(err, "unknown menu"),
		     "an error message has no control characters");
	}

	/* 1 MB of garbage, then the same made of pieces of the syntax */
	buf_reset(&t);
	while (t.len < 1024 * 1024) {
		char ch;

		seed = seed * 1103515245u + 12345u;
		ch = (char)((seed >> 16) & 0xff);
		buf_addch(&t, ch == 0 ? '\n' : ch);
	}
	rc = load(&km, t.data);
	T_OK(rc == WARY_EPARSE || rc == WARY_OK, "1 MB of random bytes");
	T_OK(keymap_error_count(km) <= 100, "errors are capped");
	for (size_t i = 0; i < keymap_error_count(km); i++)
		if (!str_starts_with(keymap_error(km, i), "t.keys:"))
			T_OK(0, keymap_error(km, i));
	th = theme_new();
	theme_set_include_allowed(th, false);
	rc = theme_load_string(th, "t.theme", t.data, err, sizeof(err));
	T_OK(rc == WARY_EPARSE || rc == WARY_OK, "1 MB of random bytes as a theme");
	theme_free(&th);
	{
		static const char *const pieces[] = {
			"bind ", "macro ", "unbind ", "include ", "index", "pager", ",", "*", " ",
			"\"", "'", "\\", "<", ">", "<Down>", "^", "\\C", "\\e", "g", "next-page",
			"<help>", "noop", "\n", "#", "\t", "color ", "mono ", "red ", "bold",
		};

		buf_reset(&t);
		while (t.len < 256 * 1024) {
			seed = seed * 1103515245u + 12345u;
			buf_adds(&t, pieces[(seed >> 16) % ARRAY_SIZE(pieces)]);
		}
		keymap_free(&km);
		km = keymap_new();
		keymap_set_include_allowed(km, false);
		rc = keymap_load_string(km, "t.keys", t.data, err, sizeof(err));
		T_OK(rc == WARY_EPARSE || rc == WARY_OK, "256 KB of syntax soup");
		T_OK(keymap_warning_count(km) <= 100, "warnings are capped");
	}
	keymap_free(&km);
	buf_release(&t);
}

static void round_trip(const char *text, const char *want_name)
{
	int a[64], b[64];
	int na = keymap_parse_keys(text, a, 64), nb;
	char *name, what[160];

	snprintf(what, sizeof(what), "'%s' prints as '%s'", text, want_name);
	if (na <= 0) {
		T_OK(0, what);
		return;
	}
	name = keymap_key_name(a, (size_t)na);
	T_STR(name, want_name, what);
	nb = keymap_parse_keys(name, b, 64);
	snprintf(what, sizeof(what), "'%s' parses back to the same keys", name);
	T_OK(nb == na && memcmp(a, b, (size_t)na * sizeof(int)) == 0, what);
	free(name);
}

static void test_key_names(void)
{
	int k[8];
	bool all = true;

	round_trip("j", "j");
	round_trip("\\Cf", "^F");
	round_trip("\\cF", "^F");
	round_trip("^f", "^F");
	round_trip("<down>", "<Down>");
	round_trip("<PageDown><PageUp>", "<PageDown><PageUp>");
	round_trip("\\ex", "<Esc>x");
	round_trip("<Esc>/", "<Esc>/");
	round_trip("\\n\\r\\t ", "<Enter><Return><Tab><Space>");
	round_trip("^^", "^^");
	round_trip("\\\\", "\\\\");
	round_trip("<", "<");
	round_trip("<<", "<<");
	round_trip("\\<Down>", "\\<Down>");
	round_trip("^[", "<Esc>");
	round_trip("^?", "^?");
	round_trip("\\C^", "\\C^");
	round_trip("^@", "^@");
	round_trip("<F1><f12><F63>", "<F1><F12><F63>");
	round_trip("<KeypadEnter><BackTab><Backspace><Delete><Insert>",
	           "<KeypadEnter><BackTab><Backspace><Delete><Insert>");
	round_trip("<177>", "^?");
	round_trip("gg", "gg");
	round_trip("\xc3\xa9", "\xc3\xa9");
	round_trip("\xe2\x80\xae", "<20056>");
	round_trip("<help>x", "<help>x");
	round_trip("^", "^^");
	round_trip("^1", "^^1");

	T_INT(keymap_parse_keys("<Down>", k, 8), 1, "one key");
	T_INT(k[0], KEY_DOWN, "<Down> is KEY_DOWN");
	T_INT(keymap_parse_keys("<Enter>", k, 8) == 1 && k[0] == '\n', 1, "<Enter> is \\n");
	T_INT(keymap_parse_keys("<Return>", k, 8) == 1 && k[0] == '\r', 1, "<Return> is \\r");
	T_INT(keymap_parse_keys("<F5>", k, 8) == 1 && k[0] == KEY_F(5), 1, "<F5> is KEY_F(5)");
	T_INT(keymap_parse_keys("\\Cx", k, 8) == 1 && k[0] == 24, 1, "\\Cx is 24");
	T_INT(keymap_parse_keys("<Nope>", k, 8), -1, "unknown name");
	T_INT(keymap_parse_keys("\\", k, 8), -1, "a lone backslash");
	T_INT(keymap_parse_keys("\\C", k, 8), -1, "\\C at the end");
	T_INT(keymap_parse_keys("<F64>", k, 8), -1, "no F64");
	T_INT(keymap_parse_keys("<99999999>", k, 8), -1, "an octal code too long");
	T_INT(keymap_parse_keys("abc", k, 2), -1, "more keys than room");
	T_INT(keymap_parse_keys("", k, 8), 0, "nothing");

	/* every single code prints as something that parses back to it */
	for (int c = 0; c < 0x800 && all; c++) {
		int back[8], n;
		char *name = keymap_key_name(&c, 1);

		n = keymap_parse_keys(name, back, 8);
		if (n != 1 || back[0] != c) {
			printf("#   code %d -> '%s' -> %d keys\n", c, name, n);
			all = false;
		}
		free(name);
	}
	T_OK(all, "codes 0..0x7ff round trip");
	{
		size_t n;
		const struct km_func_def *f = keymap_funcs(&n);

		all = true;
		for (size_t i = 0; i < n; i++) {
			int c = -(int)f[i].id, back[2];
			char *name = keymap_key_name(&c, 1);

			if (keymap_parse_keys(name, back, 2) != 1 || back[0] != c)
				all = false;
			free(name);
		}
		T_OK(all, "every function call in a macro round trips");
	}
}

static void test_theme(void)
{
	struct theme *t = theme_new();
	const struct theme_color *c;
	bool all = true;

	for (int o = 0; o < TH_OBJ_COUNT; o++) {
		const char *name = theme_obj_name((enum theme_obj)o);

		if (name == NULL || theme_obj_by_name(name) != o || theme_get(t, (enum theme_obj)o)->set)
			all = false;
	}
	T_OK(all, "every object has a name that maps back, and built-in defaults");
	T_OK(theme_obj_name(TH_OBJ_COUNT) == NULL, "no name past the end");
	c = theme_get(t, TH_NORMAL);
	T_OK(c->fg == -1 && c->bg == -1 && c->attrs == 0, "normal is the terminal's colours");
	c = theme_get(t, TH_INDICATOR);
	T_OK((c->attrs & THEME_A_REVERSE) || c->bg >= 0, "the built-in indicator stands out");
	c = theme_get(t, TH_NOTICE);
	T_OK(c->fg >= 0 && c->bg >= 0 && c->fg != c->bg, "a notice has its own background");
	for (int o = 0; o < TH_OBJ_COUNT; o++) {
		c = theme_get(t, (enum theme_obj)o);
		/* yellow, cyan and white text on the terminal's background
		 * vanishes on a light terminal, blue on a dark one */
		if (c->bg == -1 && (c->fg == 3 || c->fg == 4 || c->fg == 6 || c->fg == 7))
			all = false;
	}
	T_OK(all, "no built-in colour depends on the terminal's background");
	theme_set_preset_dir(t, PRESETS);
	T_INT(theme_load(t, "default", err, sizeof(err)), WARY_OK, "default.theme loads");
	T_INT(theme_error_count(t), 0, "with no errors");
	all = true;
	for (int o = 0; o < TH_OBJ_COUNT; o++) {
		c = theme_get(t, (enum theme_obj)o);
		if (!c->set || (c->bg == -1 && (c->fg == 3 || c->fg == 4 || c->fg == 6 || c->fg == 7)))
			all = false;
	}
	T_OK(all, "default.theme sets every object, readable on any background");
	c = theme_get(t, TH_NOTICE);
	T_OK(c->fg == 0 && c->bg == 3, "notice is black on yellow");
	T_OK(theme_get_mono(t, TH_INDICATOR) & THEME_A_REVERSE, "mono indicator is reverse");
	theme_free(&t);
	T_OK(t == NULL, "theme_free clears the pointer");

	t = theme_new();
	T_INT(theme_load_string(t, "t.theme",
	                        "color status brightred color123 bold underline\n"
	                        "color quoted green default\n"
	                        "color LINK Default BLUE reverse none italic\n"
	                        "color hdrdefault bold cyan black\n"
	                        "mono error standout dim\n"
	                        "# a comment\n\n",
	                        err, sizeof(err)),
	      WARY_OK, "colours, attributes and mutt's names");
	c = theme_get(t, TH_STATUS);
	T_OK(c->fg == 9 && c->bg == 123 && c->attrs == (THEME_A_BOLD | THEME_A_UNDERLINE) && c->set,
	     "brightred, color123, bold underline");
	T_OK(theme_get(t, TH_QUOTE1)->fg == 2 && theme_get(t, TH_QUOTE1)->set, "quoted is quote1");
	c = theme_get(t, TH_LINK);
	T_OK(c->fg == -1 && c->bg == 4 && c->attrs == THEME_A_ITALIC, "none clears what came before");
	c = theme_get(t, TH_HEADER);
	T_OK(c->fg == 6 && c->bg == 0 && c->attrs == THEME_A_BOLD, "attributes before the colours");
	T_INT(theme_get_mono(t, TH_ERROR), THEME_A_STANDOUT | THEME_A_DIM, "mono");
	T_OK(!theme_get(t, TH_NORMAL)->set, "untouched objects keep the default");

	T_INT(theme_load_string(t, "t.theme", "\ncolor nrmal red default\n", err, sizeof(err)),
	      WARY_EPARSE, "unknown object");
	T_OK(has(err, "t.theme:2: unknown object 'nrmal'"), err);
	T_INT(theme_load_string(t, "t.theme", "color index red default ~N\n", err, sizeof(err)),
	      WARY_EPARSE, "mutt's index colour with a pattern");
	T_OK(has(err, "t.theme:1: unknown object 'index' (wary has index_new"), err);
	T_INT(theme_load_string(t, "t.theme", "color normal purple default\n", err, sizeof(err)),
	      WARY_EPARSE, "unknown colour");
	T_OK(has(err, "t.theme:1: unknown colour or attribute 'purple'"), err);
	T_INT(theme_load_string(t, "t.theme", "color normal color256 default\n", err, sizeof(err)),
	      WARY_EPARSE, "colour out of range");
	T_OK(has(err, "t.theme:1: colour 'color256' out of range"), err);
	T_INT(theme_load_string(t, "t.theme", "color normal brightdefault red\n", err, sizeof(err)),
	      WARY_EPARSE, "brightdefault");
	T_INT(theme_load_string(t, "t.theme", "color normal red bold\n", err, sizeof(err)),
	      WARY_EPARSE, "missing background");
	T_OK(has(err, "t.theme:1: missing background colour"), err);
	T_INT(theme_load_string(t, "t.theme", "color normal red red red\n", err, sizeof(err)),
	      WARY_EPARSE, "three colours");
	T_INT(theme_load_string(t, "t.theme", "color normal red\n", err, sizeof(err)),
	      WARY_EPARSE, "too short");
	T_OK(has(err, "t.theme:1: usage: color"), err);
	T_INT(theme_load_string(t, "t.theme", "mono normal blink\n", err, sizeof(err)),
	      WARY_EPARSE, "bad mono attribute");
	T_OK(has(err, "t.theme:1: unknown attribute 'blink'"), err);
	T_INT(theme_load_string(t, "t.theme", "colr normal red default\n", err, sizeof(err)),
	      WARY_EPARSE, "unknown command");
	T_OK(has(err, "t.theme:1: unknown command 'colr'"), err);
	T_INT(theme_load_string(t, "t.theme", "color normal \"red\n", err, sizeof(err)),
	      WARY_EPARSE, "unterminated quote");
	T_OK(has(err, "t.theme:1: unterminated double quote"), err);
	theme_set_include_allowed(t, false);
	T_INT(theme_load_string(t, "t.theme", "include default\n", err, sizeof(err)), WARY_EPARSE,
	      "theme include can be disabled");
	T_OK(has(err, "include is disabled here"), err);
	T_INT(theme_get(t, TH_STATUS)->fg, 9, "a failed line leaves earlier settings");
	theme_free(&t);
}

/* The man page's line for func in a preset, as it is written there:
 * "vim: generic \fBgg\fP; index \fBgg\fP." */
static void preset_line(const struct keymap *km, const char *preset, enum km_func func,
                        struct buf *out)
{
	bool any = false;

	buf_reset(out);
	buf_addf(out, "%s: ", preset);
	for (int m = 0; m < KM_MENU_COUNT; m++) {
		bool first = true;

		for (size_t i = 0; i < keymap_binding_count(km, (enum km_menu)m); i++) {
			const char *keys = NULL;
			const struct km_binding *b = keymap_binding_at(km, (enum km_menu)m, i, &keys);

			if (b->func != func)
				continue;
			if (first)
				buf_addf(out, "%s%s ", any ? "; " : "", keymap_menu_name((enum km_menu)m));
			else
				buf_addch(out, ' ');
			first = false;
			any = true;
			buf_adds(out, "\\fB");
			for (const char *k = keys; *k; k++) {
				if (*k == '\\')
					buf_adds(out, "\\e");
				else if (*k == '-')
					buf_adds(out, "\\-");
				else
					buf_addch(out, *k);
			}
			buf_adds(out, "\\fP");
		}
	}
	if (!any)
		buf_adds(out, "unbound");
	buf_addch(out, '.');
}

/* Every function and theme object is documented in the man page, and
 * the keys it gives for each preset are the keys the preset binds. */
static void test_man_page(void)
{
	struct buf man = BUF_INIT;
	size_t n;
	const struct km_func_def *f = keymap_funcs(&n);

	buf_init(&man);
	if (fs_read_file(TOP_SRCDIR "/doc/wary-keys.5", &man, 0, err, sizeof(err)) != WARY_OK) {
		T_OK(0, "doc/wary-keys.5 readable");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char needle[128], what[128];

		snprintf(needle, sizeof(needle), ".B %s\n", f[i].name);
		snprintf(what, sizeof(what), "man page documents function %s", f[i].name);
		T_OK(has(man.data, needle), what);
	}
	{
		static const char *const presets[] = { "default", "vim", "simple" };
		struct buf line = BUF_INIT;

		buf_init(&line);
		for (size_t p = 0; p < ARRAY_SIZE(presets); p++) {
			struct keymap *km = keymap_new();
			bool all = true;
			char what[128];

			keymap_set_preset_dir(km, PRESETS);
			keymap_load(km, presets[p], err, sizeof(err));
			for (size_t i = 0; i < n; i++) {
				preset_line(km, presets[p], f[i].id, &line);
				if (!has(man.data, line.data)) {
					printf("#   %s: want the line: %s\n", f[i].name, line.data);
					all = false;
				}
			}
			snprintf(what, sizeof(what), "man page gives the keys of preset %s", presets[p]);
			T_OK(all, what);
			keymap_free(&km);
		}
		buf_release(&line);
	}
	for (int o = 0; o < TH_OBJ_COUNT; o++) {
		char needle[128], what[128];
		const char *name = theme_obj_name((enum theme_obj)o);

		snprintf(needle, sizeof(needle), ".B %s\n", name);
		snprintf(what, sizeof(what), "man page documents object %s", name);
		T_OK(has(man.data, needle), what);
	}
	buf_release(&man);
}

int main(void)
{
	test_table();
	test_presets();
	test_lookup();
	test_errors();
	test_warnings();
	test_files();
	test_hostile();
	test_key_names();
	test_theme();
	test_man_page();
	return t_done();
}
