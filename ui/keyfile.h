#ifndef WARY_UI_KEYFILE_H
#define WARY_UI_KEYFILE_H
/*
 * keyfile: the line syntax shared by keys files (keymap.c) and theme files
 * (theme.c), so both read quotes, comments and `include` the same way.
 *
 *     # a comment runs to the end of the line
 *     word "double \"quoted\" \\ text" 'single quoted, no escapes'
 *     include FILE
 *
 * A line is split into words and handed to a callback; `include` is
 * handled here (relative to the including file, else a preset name in
 * the preset directory), with a depth limit and loop detection.  Errors
 * and warnings are kept as "file:line: message" strings.
 */
#include "base/base.h"

#define KEYFILE_MAX_FILE (1024 * 1024)
#define KEYFILE_MAX_LINE 4096
#define KEYFILE_MAX_WORDS 16
#define KEYFILE_MAX_DEPTH 8

enum keyfile_quote { KEYFILE_BARE, KEYFILE_DQUOTE, KEYFILE_SQUOTE };

struct keyfile_word {
	/* As written between the quotes, backslashes kept: key notation
	 * does its own escapes (\Cf, \e, \\) so it must see them. */
	const char *raw;
	/* Unescaped: \" and \\ inside double quotes, \x in a bare word. */
	const char *text;
	enum keyfile_quote quote;
};

struct keyfile_line {
	const char *file;  /* as shown in messages */
	int line;
	unsigned file_id;  /* a new id for every file read, includes too */
	struct keyfile_word w[KEYFILE_MAX_WORDS];
	size_t n;
};

struct keyfile;
/* Called once per line that holds words (never for `include`). */
typedef void (*keyfile_fn)(void *ctx, struct keyfile *kf, const struct keyfile_line *l);

/* ext is the preset file suffix (".keys", ".theme"). */
struct keyfile *keyfile_new(const char *ext, keyfile_fn fn, void *ctx);
void keyfile_free(struct keyfile **kf);
void keyfile_set_preset_dir(struct keyfile *kf, const char *dir);
void keyfile_set_include_allowed(struct keyfile *kf, bool allowed);

/* Read a file (a path, or a preset name).  Returns WARY_OK, or
 * WARY_EPARSE with the first new error in err ("and N more"). */
int keyfile_load(struct keyfile *kf, const char *path_or_preset, char *err, size_t errlen);
int keyfile_load_string(struct keyfile *kf, const char *name, const char *text,
                        char *err, size_t errlen);

/* For the callback: record "file:line: message". */
void keyfile_error(struct keyfile *kf, const struct keyfile_line *l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void keyfile_warn(struct keyfile *kf, const struct keyfile_line *l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The errors and warnings so far (the first 100 of each are kept). */
size_t keyfile_error_count(const struct keyfile *kf);
const char *keyfile_error_at(const struct keyfile *kf, size_t i);
size_t keyfile_warning_count(const struct keyfile *kf);
const char *keyfile_warning_at(const struct keyfile *kf, size_t i);

/* A word from a file made fit for a message: terminal-safe, shortened. */
char *keyfile_quote_word(const char *s);

#endif
