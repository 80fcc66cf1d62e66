/* The line reader under keys and theme files: words, quotes, comments,
 * include.  Everything it is fed may be hostile (a keymap downloaded from
 * a wiki), so lines, words, files and nesting all have limits and every
 * message is made terminal-safe before it is stored. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "ui/keyfile.h"

#define MAX_MSGS 100
#define WORD_SHOWN 40

struct msgs {
	char **v;
	size_t n, total;
};

struct keyfile {
	char *ext;
	char *preset_dir;
	bool no_include;
	keyfile_fn fn;
	void *ctx;
	struct msgs errs, warns;
	/* real paths of the files being read, outermost first, for loops */
	char *stack[KEYFILE_MAX_DEPTH];
	size_t depth;
	unsigned next_id;
};

static void msgs_vadd(struct msgs *m, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void msgs_vadd(struct msgs *m, const char *fmt, va_list ap)
{
	struct buf b;

	m->total++;
	if (m->n >= MAX_MSGS)
		return;
	buf_init(&b);
	buf_vaddf(&b, fmt, ap);
	m->v = xreallocarray(m->v, m->n + 1, sizeof(char *));
	/* file names and words come from the file: never let them reach a
	 * terminal as control sequences */
	m->v[m->n++] = safe_str(b.data, SAFE_LINE);
	buf_release(&b);
}

static void msgs_add(struct msgs *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msgs_add(struct msgs *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msgs_vadd(m, fmt, ap);
	va_end(ap);
}

static void msgs_free(struct msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = m->total = 0;
}

struct keyfile *keyfile_new(const char *ext, keyfile_fn fn, void *ctx)
{
	struct keyfile *kf = xcalloc(1, sizeof(*kf));

	kf->ext = xstrdup(ext);
	kf->preset_dir = xstrdup(WARY_DATADIR "/keymaps");
	kf->fn = fn;
	kf->ctx = ctx;
	return kf;
}

void keyfile_free(struct keyfile **pkf)
{
	struct keyfile *kf = *pkf;

	if (kf == NULL)
		return;
	msgs_free(&kf->errs);
	msgs_free(&kf->warns);
	for (size_t i = 0; i < kf->depth; i++)
		free(kf->stack[i]);
	free(kf->ext);
	free(kf->preset_dir);
	free(kf);
	*pkf = NULL;
}

void keyfile_set_preset_dir(struct keyfile *kf, const char *dir)
{
	free(kf->preset_dir);
	kf->preset_dir = xstrdup(dir);
}

void keyfile_set_include_allowed(struct keyfile *kf, bool allowed)
{
	kf->no_include = !allowed;
}

void keyfile_error(struct keyfile *kf, const struct keyfile_line *l, const char *fmt, ...)
{
	char msg[WARY_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msgs_add(&kf->errs, "%s:%d: %s", l->file, l->line, msg);
}

void keyfile_warn(struct keyfile *kf, const struct keyfile_line *l, const char *fmt, ...)
{
	char msg[WARY_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msgs_add(&kf->warns, "%s:%d: %s", l->file, l->line, msg);
}

size_t keyfile_error_count(const struct keyfile *kf)
{
	return kf->errs.n;
}

const char *keyfile_error_at(const struct keyfile *kf, size_t i)
{
	return i < kf->errs.n ? kf->errs.v[i] : NULL;
}

size_t keyfile_warning_count(const struct keyfile *kf)
{
	return kf->warns.n;
}

const char *keyfile_warning_at(const struct keyfile *kf, size_t i)
{
	return i < kf->warns.n ? kf->warns.v[i] : NULL;
}

char *keyfile_quote_word(const char *s)
{
	struct buf b;
	size_t n = strlen(s);
	char *out;

	buf_init(&b);
	if (n > WORD_SHOWN) {
		/* cut on a UTF-8 boundary so safe_str shows no stray U+FFFD */
		n = WORD_SHOWN;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		buf_add(&b, s, n);
		buf_adds(&b, "...");
	} else {
		buf_add(&b, s, n);
	}
	out = safe_str(b.data, SAFE_LINE);
	buf_release(&b);
	return out;
}

/* ---- splitting a line into words ---- */

struct splitter {
	struct keyfile *kf;
	struct keyfile_line *l;
	const char *p, *end;   /* the line, without its newline */
	char *store;           /* raw and text of every word, NUL-separated */
	size_t used, cap;
};

static char *store_put(struct splitter *sp, const char *s, size_t n)
{
	char *at = sp->store + sp->used;

	/* sized so this cannot happen: a line is at most KEYFILE_MAX_LINE
	 * bytes, each of at most KEYFILE_MAX_WORDS words is stored twice with
	 * its NUL, and neither copy is longer than its source */
	if (sp->used + n + 1 > sp->cap)
		abort();
	memcpy(at, s, n);
	at[n] = '\0';
	sp->used += n + 1;
	return at;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One word at sp->p.  Returns false after reporting a malformed one. */
static bool split_word(struct splitter *sp, struct buf *raw, struct buf *text,
                       enum keyfile_quote *quote)
{
	char q = *sp->p;

	buf_reset(raw);
	buf_reset(text);
	if (q == '"' || q == '\'') {
		*quote = q == '"' ? KEYFILE_DQUOTE : KEYFILE_SQUOTE;
		sp->p++;
		for (;;) {
			if (sp->p >= sp->end) {
				keyfile_error(sp->kf, sp->l, "unterminated %s quote",
				              q == '"' ? "double" : "single");
				return false;
			}
			if (*sp->p == q) {
				sp->p++;
				break;
			}
			if (q == '"' && *sp->p == '\\' && sp->p + 1 < sp->end) {
				char c = sp->p[1];

				buf_add(raw, sp->p, 2);
				if (c == '"' || c == '\\')
					buf_addch(text, c);
				else
					buf_add(text, sp->p, 2);
				sp->p += 2;
				continue;
			}
			buf_addch(raw, *sp->p);
			buf_addch(text, *sp->p);
			sp->p++;
		}
		if (sp->p < sp->end && !is_blank(*sp->p) && *sp->p != '#') {
			keyfile_error(sp->kf, sp->l, "text right after a closing quote");
			return false;
		}
		return true;
	}
	*quote = KEYFILE_BARE;
	while (sp->p < sp->end && !is_blank(*sp->p) && *sp->p != '#') {
		if (*sp->p == '\\') {
			if (sp->p + 1 >= sp->end) {
				keyfile_error(sp->kf, sp->l, "backslash at the end of the line");
				return false;
			}
			buf_add(raw, sp->p, 2);
			buf_addch(text, sp->p[1]);
			sp->p += 2;
			continue;
		}
		buf_addch(raw, *sp->p);
		buf_addch(text, *sp->p);
		sp->p++;
	}
	return true;
}

static bool split_line(struct splitter *sp)
{
	struct buf raw, text;
	bool ok = false;

	buf_init(&raw);
	buf_init(&text);
	sp->l->n = 0;
	sp->used = 0;
	for (;;) {
		struct keyfile_word *w;
		enum keyfile_quote quote;

		while (sp->p < sp->end && is_blank(*sp->p))
			sp->p++;
		if (sp->p >= sp->end || *sp->p == '#')
			break;
		if (sp->l->n >= KEYFILE_MAX_WORDS) {
			keyfile_error(sp->kf, sp->l, "more than %d words on a line", KEYFILE_MAX_WORDS);
			goto out;
		}
		if (!split_word(sp, &raw, &text, &quote))
			goto out;
		w = &sp->l->w[sp->l->n++];
		w->raw = store_put(sp, raw.data, raw.len);
		w->text = store_put(sp, text.data, text.len);
		w->quote = quote;
	}
	ok = true;
out:
	buf_release(&raw);
	buf_release(&text);
	return ok;
}

/* ---- files and include ---- */

static int load_text(struct keyfile *kf, const char *name, const char *text, size_t len);

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return NULL;
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* "default", "vim": a name that can only mean a preset. */
static bool is_preset_name(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_'))
			return false;
	return n > 0 && n <= 64;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static char *preset_path(const struct keyfile *kf, const char *name)
{
	return xasprintf("%s/%s%s", kf->preset_dir, name, kf->ext);
}

/* Where `name` is, read from a file in base_dir (NULL: the top level). */
static char *resolve(const struct keyfile *kf, const char *name, const char *base_dir)
{
	const char *home = getenv("HOME");
	char *cand;

	if (base_dir == NULL && is_preset_name(name))
		return preset_path(kf, name);
	if (name[0] == '~' && name[1] == '/' && home != NULL && home[0] != '\0')
		return xasprintf("%s/%s", home, name + 2);
	if (name[0] == '/' || base_dir == NULL)
		return xstrdup(name);
	cand = xasprintf("%s/%s", base_dir, name);
	if (!exists(cand) && is_preset_name(name)) {
		free(cand);
		return preset_path(kf, name);
	}
	return cand;
}

/* Read path into text; msg says why not. */
static int read_file(const char *path, struct buf *text, char *msg, size_t msglen)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return err_set(msg, msglen, errno == ENOENT ? WARY_ENOENT : WARY_EIO, "%s: %s",
		               path, strerror(errno));
	/* a FIFO or a device would block or never end */
	if (!S_ISREG(st.st_mode))
		return err_set(msg, msglen, WARY_EIO, "%s: not a regular file", path);
	if (fs_read_file(path, text, KEYFILE_MAX_FILE, msg, msglen) != WARY_OK)
		return WARY_EIO;
	if (memchr(text->data, '\0', text->len) != NULL)
		return err_set(msg, msglen, WARY_EPARSE, "%s: holds a NUL byte; not a text file", path);
	return WARY_OK;
}

/* Read a file as one more level of the stack: top level or an include.
 * Returns the status of reading it (its lines report for themselves). */
static int load_path(struct keyfile *kf, const char *path, const struct keyfile_line *from)
{
	struct buf text;
	char msg[WARY_ERRLEN], *real = NULL;
	int rc = WARY_EPARSE;

	buf_init(&text);
	real = realpath(path, NULL);
	if (real == NULL)
		real = xstrdup(path);
	for (size_t i = 0; i < kf->depth; i++) {
		if (strcmp(kf->stack[i], real) == 0) {
			keyfile_error(kf, from, "include loop: %s is already being read", path);
			goto out;
		}
	}
	if (kf->depth >= KEYFILE_MAX_DEPTH) {
		keyfile_error(kf, from, "include nested more than %d deep", KEYFILE_MAX_DEPTH);
		goto out;
	}
	rc = read_file(path, &text, msg, sizeof(msg));
	if (rc != WARY_OK) {
		if (from != NULL)
			keyfile_error(kf, from, "include: %s", msg);
		else
			msgs_add(&kf->errs, "%s", msg);
		goto out;
	}
	kf->stack[kf->depth++] = real;
	real = NULL;
	load_text(kf, path, text.data, text.len);
	free(kf->stack[--kf->depth]);
out:
	free(real);
	buf_release(&text);
	return rc;
}

static void do_include(struct keyfile *kf, const struct keyfile_line *l)
{
	char *dir = NULL, *path = NULL;

	if (l->n != 2) {
		keyfile_error(kf, l, "include: expected one file name");
		goto out;
	}
	if (kf->no_include) {
		keyfile_error(kf, l, "include is disabled here");
		goto out;
	}
	if (l->w[1].text[0] == '\0') {
		keyfile_error(kf, l, "include: empty file name");
		goto out;
	}
	dir = dir_of(l->file);
	path = resolve(kf, l->w[1].text, dir != NULL ? dir : ".");
	load_path(kf, path, l);
out:
	free(dir);
	free(path);
}

static int load_text(struct keyfile *kf, const char *name, const char *text, size_t len)
{
	struct keyfile_line l;
	struct splitter sp;
	const char *p = text, *end = text + len;

	memset(&l, 0, sizeof(l));
	memset(&sp, 0, sizeof(sp));
	l.file = name;
	l.file_id = ++kf->next_id;
	sp.kf = kf;
	sp.l = &l;
	sp.cap = 2 * (KEYFILE_MAX_LINE + KEYFILE_MAX_WORDS);
	sp.store = xmalloc(sp.cap);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;

		l.line++;
		if (l.line == INT_MAX) {
			keyfile_error(kf, &l, "too many lines");
			break;
		}
		if ((size_t)(eol - p) > KEYFILE_MAX_LINE) {
			keyfile_error(kf, &l, "line longer than %d bytes", KEYFILE_MAX_LINE);
		} else {
			sp.p = p;
			sp.end = eol;
			if (split_line(&sp) && l.n > 0) {
				if (strcmp(l.w[0].text, "include") == 0 && l.w[0].quote == KEYFILE_BARE)
					do_include(kf, &l);
				else
					kf->fn(kf->ctx, kf, &l);
			}
		}
		p = nl != NULL ? nl + 1 : end;
	}
	free(sp.store);
	return WARY_OK;
}

/* The first error since the marks, as the loader's return value. */
static int report_since(const struct keyfile *kf, size_t mark_total, size_t mark, char *err,
                        size_t errlen)
{
	size_t n = kf->errs.total - mark_total;

	if (n == 0)
		return WARY_OK;
	if (mark < kf->errs.n) {
		if (n > 1)
			return err_set(err, errlen, WARY_EPARSE, "%s (and %zu more)", kf->errs.v[mark],
			               n - 1);
		return err_set(err, errlen, WARY_EPARSE, "%s", kf->errs.v[mark]);
	}
	return err_set(err, errlen, WARY_EPARSE, "%zu errors", n);
}

int keyfile_load(struct keyfile *kf, const char *path_or_preset, char *err, size_t errlen)
{
	size_t mark_total = kf->errs.total, mark = kf->errs.n;
	char *path;
	int rc;

	if (path_or_preset == NULL || path_or_preset[0] == '\0')
		return err_set(err, errlen, WARY_ENOENT, "no file name given");
	path = resolve(kf, path_or_preset, NULL);
	rc = load_path(kf, path, NULL);
	free(path);
	if (rc == WARY_ENOENT) {
		report_since(kf, mark_total, mark, err, errlen);
		return WARY_ENOENT;
	}
	return report_since(kf, mark_total, mark, err, errlen);
}

int keyfile_load_string(struct keyfile *kf, const char *name, const char *text, char *err,
                        size_t errlen)
{
	size_t mark_total = kf->errs.total, mark = kf->errs.n;
	size_t len = strlen(text);

	if (len > KEYFILE_MAX_FILE) {
		msgs_add(&kf->errs, "%s: larger than %d bytes", name, KEYFILE_MAX_FILE);
		return report_since(kf, mark_total, mark, err, errlen);
	}
	load_text(kf, name, text, len);
	return report_since(kf, mark_total, mark, err, errlen);
}
