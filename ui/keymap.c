/* Keymaps: keys files -> bindings per menu, in mutt's key notation so a
 * muttrc line works unchanged.  The line syntax and include live in
 * keyfile.c; this file knows the commands, the key notation and the
 * function table. */
#include <ctype.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "ui/keyfile.h"
#include "ui/keymap.h"

#define KM_MAX_SEQ 8        /* keys in one binding */
#define KM_MAX_MACRO 1024   /* keys a macro feeds back */
#define KM_MAX_BINDINGS 1000 /* per menu: keeps the shadow checks cheap */
#define KM_MAX_HELP 200
#define KM_MAX_FKEY 63      /* ncurses has KEY_F(0)..KEY_F(63) */
#define KM_ESC 27
#define KM_DEL 127

#define M(x) (1u << (x))
#define ALL ((1u << KM_MENU_COUNT) - 1)
#define MSG (M(KM_INDEX) | M(KM_PAGER))

/* In enum order: keymap_func_def() indexes it by id, a test checks it. */
static const struct km_func_def funcs[] = {
	{ KF_QUIT, "quit", ALL, "Leave wary" },
	{ KF_EXIT, "exit", ALL, "Leave this view" },
	{ KF_HELP, "help", ALL, "Show the keys of this view" },
	{ KF_REDRAW, "redraw-screen", ALL, "Clear and redraw the screen" },
	{ KF_SEARCH, "search", ALL, "Search forward" },
	{ KF_SEARCH_REVERSE, "search-reverse", ALL, "Search backward" },
	{ KF_SEARCH_NEXT, "search-next", ALL, "Repeat the last search" },
	{ KF_SEARCH_OPPOSITE, "search-opposite", ALL, "Repeat the last search the other way" },
	{ KF_FIRST_ENTRY, "first-entry", ALL, "Go to the first entry" },
	{ KF_LAST_ENTRY, "last-entry", ALL, "Go to the last entry" },
	{ KF_NEXT_ENTRY, "next-entry", ALL, "Go to the next entry" },
	{ KF_PREVIOUS_ENTRY, "previous-entry", ALL, "Go to the previous entry" },
	{ KF_NEXT_PAGE, "next-page", ALL, "Go down one page" },
	{ KF_PREVIOUS_PAGE, "previous-page", ALL, "Go up one page" },
	{ KF_HALF_DOWN, "half-down", ALL, "Go down half a page" },
	{ KF_HALF_UP, "half-up", ALL, "Go up half a page" },
	{ KF_NEXT_LINE, "next-line", ALL, "Scroll down one line" },
	{ KF_PREVIOUS_LINE, "previous-line", ALL, "Scroll up one line" },
	{ KF_TOP, "top", ALL, "Go to the top" },
	{ KF_BOTTOM, "bottom", ALL, "Go to the bottom" },
	{ KF_SELECT_ENTRY, "select-entry", ALL, "Open the selected entry" },
	{ KF_DISPLAY_MESSAGE, "display-message", M(KM_INDEX), "Show the selected message" },
	{ KF_NEXT_UNDELETED, "next-undeleted", MSG, "Go to the next undeleted message" },
	{ KF_PREVIOUS_UNDELETED, "previous-undeleted", MSG, "Go to the previous undeleted message" },
	{ KF_NEXT_NEW, "next-new", MSG, "Go to the next unread message" },
	{ KF_PREVIOUS_NEW, "previous-new", MSG, "Go to the previous unread message" },
	{ KF_DELETE_MESSAGE, "delete-message", MSG, "Mark the message for deletion" },
	{ KF_UNDELETE_MESSAGE, "undelete-message", MSG, "Remove the deletion mark" },
	{ KF_FLAG_MESSAGE, "flag-message", MSG, "Flag or unflag the message" },
	{ KF_TOGGLE_NEW, "toggle-new", MSG, "Mark the message read or unread" },
	{ KF_SYNC_MAILBOX, "sync-mailbox", MSG, "Write deletions and flags to the mailbox" },
	{ KF_CHANGE_FOLDER, "change-folder", MSG, "Open another folder" },
	{ KF_SORT_MAILBOX, "sort-mailbox", M(KM_INDEX), "Change the sort order (threads, date)" },
	{ KF_VIEW_RAW_MESSAGE, "view-raw-message", MSG | M(KM_RAW),
	  "Show the raw source of the message" },
	{ KF_CHECK_NEW, "check-new", MSG | M(KM_BROWSER), "Look for new mail now (a POP3 account downloads it)" },
	{ KF_SIDEBAR_TOGGLE, "sidebar-toggle-visible", MSG | M(KM_BROWSER),
	  "Show or hide the folder list" },
	{ KF_LIMIT, "limit", M(KM_INDEX), "Show only messages matching a pattern (~A: all)" },
	{ KF_VIEW_ATTACHMENTS, "view-attachments", MSG,
	  "List the attachments with their true types" },
	{ KF_SAVE_ENTRY, "save-entry", M(KM_ATTACH), "Save the attachment into a folder" },
	{ KF_SAVE_MESSAGE, "save-message", MSG, "Move the message to another folder" },
	{ KF_COPY_MESSAGE, "copy-message", MSG, "Copy the message to another folder" },
	{ KF_DISPLAY_TOGGLE_WEED, "display-toggle-weed", M(KM_PAGER),
	  "Show all headers or the short list" },
	{ KF_TOGGLE_HTML, "toggle-prefer-html", M(KM_PAGER),
	  "Show the HTML part instead of the plain text" },
	{ KF_VIEW_LINKS, "view-links", MSG, "List the links with their real targets and warnings" },
	{ KF_VIEW_SAFETY, "view-safety", MSG,
	  "Show what the safety panel found in full: remote content, links, attachments" },
	{ KF_VIEW_SENDER, "view-sender", MSG,
	  "Show the sender verdict in full: DKIM, SPF, DMARC, ARC, what your server said" },
	{ KF_VIEW_BROWSER, "view-in-browser", M(KM_PAGER),
	  "Open a copy of the HTML in $BROWSER, remote content removed" },
	{ KF_VIEW_MAILCAP, "view-mailcap", M(KM_ATTACH),
	  "Open a private copy of the attachment through mailcap" },
	{ KF_MARK_SPAM, "mark-spam", MSG, "Spam: train the filter and move the message to Junk" },
	{ KF_MARK_HAM, "mark-ham", MSG,
	  "Not spam: train the filter and move the message back from Junk" },
	{ KF_TRAIN_FOLDER_SPAM, "train-folder-spam", M(KM_INDEX),
	  "Train the filter with every message shown, as spam" },
	{ KF_TRAIN_FOLDER_HAM, "train-folder-ham", M(KM_INDEX),
	  "Train the filter with every message shown, as not spam" },
	{ KF_EXTRACT_KEYS, "extract-keys", MSG | M(KM_ATTACH),
	  "Import the OpenPGP keys attached to the message into the keyring" },
	{ KF_VIEW_PGP, "view-pgp", M(KM_PAGER),
	  "Show what PGP checked in full: signatures, recipients, the signer's key" },
	{ KF_MAIL, "mail", MSG, "Write a new message" },
	{ KF_REPLY, "reply", MSG, "Reply to the sender (Reply-To if set)" },
	{ KF_GROUP_REPLY, "group-reply", MSG, "Reply to the sender and all recipients" },
	{ KF_LIST_REPLY, "list-reply", MSG, "Reply to the mailing list (List-Post)" },
	{ KF_FORWARD, "forward-message", MSG, "Forward the message, its text inline" },
	{ KF_FORWARD_ATTACHED, "forward-attached", MSG, "Forward the message as an attachment" },
	{ KF_RECALL, "recall-message", MSG, "Go on writing a postponed draft" },
	{ KF_SEND, "send-message", M(KM_COMPOSE), "Send the message (outbound checks first)" },
	{ KF_ATTACH_FILE, "attach-file", M(KM_COMPOSE), "Attach a file" },
	{ KF_DETACH_FILE, "detach-file", M(KM_COMPOSE), "Remove the selected attachment" },
	{ KF_POSTPONE, "postpone-message", M(KM_COMPOSE), "Keep the draft for later" },
	{ KF_EDIT_FROM, "edit-from", M(KM_COMPOSE), "Edit the From address" },
	{ KF_EDIT_TO, "edit-to", M(KM_COMPOSE), "Edit the To list (Tab completes)" },
	{ KF_EDIT_CC, "edit-cc", M(KM_COMPOSE), "Edit the Cc list (Tab completes)" },
	{ KF_EDIT_BCC, "edit-bcc", M(KM_COMPOSE), "Edit the Bcc list (Tab completes)" },
	{ KF_EDIT_SUBJECT, "edit-subject", M(KM_COMPOSE), "Edit the subject" },
	{ KF_EDIT_MESSAGE, "edit-message", M(KM_COMPOSE), "Edit the text in $EDITOR" },
	{ KF_PGP_SIGN, "pgp-toggle-sign", M(KM_COMPOSE), "Sign with OpenPGP, or not" },
	{ KF_PGP_ENCRYPT, "pgp-toggle-encrypt", M(KM_COMPOSE), "Encrypt with OpenPGP, or not" },
};

/* mutt's names for functions wary names otherwise, so muttrc lines work */
static const struct {
	const char *alias;
	enum km_func id;
} func_aliases[] = {
	{ "refresh", KF_REDRAW },
	/* mutt's POP download key: here check-new does it for a POP3 account */
	{ "fetch-mail", KF_CHECK_NEW },
};

static const char *const menu_names[KM_MENU_COUNT] = {
	[KM_GENERIC] = "generic", [KM_INDEX] = "index", [KM_PAGER] = "pager",
	[KM_RAW] = "raw", [KM_HELP] = "help", [KM_BROWSER] = "browser", [KM_ATTACH] = "attach",
	[KM_LINKS] = "links", [KM_COMPOSE] = "compose",
};

/* Printing uses the first name of a code: "\n" is <Enter>, not <Return>. */
static const struct {
	const char *name;
	int code;
} key_names[] = {
	{ "Down", KEY_DOWN }, { "Up", KEY_UP }, { "Left", KEY_LEFT }, { "Right", KEY_RIGHT },
	{ "PageUp", KEY_PPAGE }, { "PageDown", KEY_NPAGE }, { "Home", KEY_HOME },
	{ "End", KEY_END }, { "Enter", '\n' }, { "Return", '\r' }, { "KeypadEnter", KEY_ENTER },
	{ "Tab", '\t' }, { "BackTab", KEY_BTAB }, { "Space", ' ' },
	{ "Backspace", KEY_BACKSPACE }, { "Delete", KEY_DC }, { "Insert", KEY_IC },
	{ "Esc", KM_ESC },
};

struct kbind {
	int keys[KM_MAX_SEQ];
	size_t nkeys;
	char *name;      /* printable, for the help view */
	char *origin;    /* "file:line", for warnings */
	unsigned file_id;
	int *macro;
	char *help;
	struct km_binding b;
};

struct kmenu {
	struct kbind **v; /* file order: the help view's order */
	size_t n;
};

struct keymap {
	struct kmenu menus[KM_MENU_COUNT];
	struct keyfile *kf;
};

static void on_line(void *ctx, struct keyfile *kf, const struct keyfile_line *l);

/* ---- the function table ---- */

const struct km_func_def *keymap_funcs(size_t *n)
{
	if (n != NULL)
		*n = ARRAY_SIZE(funcs);
	return funcs;
}

static const struct km_func_def *func_def(enum km_func id)
{
	if (id <= KF_NONE || id >= KF_FUNC_COUNT)
		return NULL;
	return &funcs[id - 1];
}

const struct km_func_def *keymap_func_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		if (strcmp(funcs[i].name, name) == 0)
			return &funcs[i];
	for (size_t i = 0; i < ARRAY_SIZE(func_aliases); i++)
		if (strcmp(func_aliases[i].alias, name) == 0)
			return func_def(func_aliases[i].id);
	return NULL;
}

const char *keymap_menu_name(enum km_menu m)
{
	if ((unsigned)m >= KM_MENU_COUNT)
		return NULL;
	return menu_names[m];
}

/* Edit distance, for "did you mean"; names longer than 40 never match. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[41], cur[41];

	if (la > 40 || lb > 40)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t m = sub < del ? sub : del;

			cur[j] = m < ins ? m : ins;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

/* The function a mistyped name most likely meant, or NULL. */
static const char *suggest_func(const char *name)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX, len = strlen(name);
	size_t limit = len <= 5 ? 1 : len <= 10 ? 2 : 3;

	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++) {
		size_t d = distance(name, funcs[i].name);

		if (d < bestd) {
			bestd = d;
			best = funcs[i].name;
		}
	}
	return bestd <= limit ? best : NULL;
}

/* ---- key notation ---- */

static int ctrl_of(int c)
{
	if (c == '?')
		return KM_DEL;
	if (isalpha(c))
		return toupper(c) & 0x1f;
	if (c >= '@' && c <= '_')
		return c & 0x1f;
	return -1;
}

static bool is_name_char(int c)
{
	return c >= 0 && c < 128 && (isalnum(c) || c == '-');
}

/* The code of <name> (without the brackets).  In a macro a function
 * name means "call it", given back as -(KF_*). */
static bool named_key(const char *name, size_t len, bool macro, int *code)
{
	char buf[64];

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (macro) {
		const struct km_func_def *f = keymap_func_by_name(buf);

		if (f != NULL) {
			*code = -(int)f->id;
			return true;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(key_names); i++) {
		if (str_casecmp(key_names[i].name, buf) == 0) {
			*code = key_names[i].code;
			return true;
		}
	}
	if ((buf[0] == 'F' || buf[0] == 'f') && len >= 2 && len <= 3 && isdigit((unsigned char)buf[1]) &&
	    (len == 2 || isdigit((unsigned char)buf[2]))) {
		int n = atoi(buf + 1);

		if (n > KM_MAX_FKEY)
			return false;
		*code = KEY_F(n);
		return true;
	}
	/* mutt's <177>: a raw code in octal */
	if (len <= 7 && strspn(buf, "01234567") == len) {
		long v = strtol(buf, NULL, 8);

		if (v > 0x10FFFF)
			return false;
		*code = (int)v;
		return true;
	}
	return false;
}

/* One character at *pp as a key code. */
static bool parse_char(const unsigned char **pp, const unsigned char *end, int *code, char *why,
                       size_t whylen)
{
	uint32_t cp;
	size_t k = utf8_decode(*pp, (size_t)(end - *pp), &cp);

	if (k == 0) {
		err_set(why, whylen, WARY_EPARSE, "not valid UTF-8");
		return false;
	}
	/* ncurses returns KEY_* codes in this range, so these code points
	 * cannot be told from keys */
	if (cp >= KEY_MIN && cp <= KEY_MAX) {
		err_set(why, whylen, WARY_EPARSE, "U+%04X cannot be bound: ncurses uses its code for a key",
		        (unsigned)cp);
		return false;
	}
	*code = (int)cp;
	*pp += k;
	return true;
}

/* A backslash sequence at *pp (at the backslash). */
static bool parse_escape(const unsigned char **pp, const unsigned char *end, int *code, char *why,
                         size_t whylen)
{
	const unsigned char *p = *pp;

	if (p + 1 >= end) {
		err_set(why, whylen, WARY_EPARSE, "a backslash ends it");
		return false;
	}
	switch (p[1]) {
	case 'C':
	case 'c':
		*code = p + 2 < end ? ctrl_of(p[2]) : -1;
		if (*code < 0) {
			err_set(why, whylen, WARY_EPARSE,
			        "\\C must be followed by a letter or one of @[\\]^_?");
			return false;
		}
		*pp += 3;
		return true;
	case 'e':
	case 'E':
		*code = KM_ESC;
		break;
	case 'n':
		*code = '\n';
		break;
	case 't':
		*code = '\t';
		break;
	case 'r':
		*code = '\r';
		break;
	default:
		/* \x is x itself: \\ \< \# \" \^ */
		*pp += 1;
		return parse_char(pp, end, code, why, whylen);
	}
	*pp += 2;
	return true;
}

/* <name> at *pp.  Returns 1 for a key, 0 when this < starts no name (it
 * is then a plain <), -1 for an unknown name. */
static int parse_named(const unsigned char **pp, const unsigned char *end, bool macro, int *code,
                       char *why, size_t whylen)
{
	const unsigned char *p = *pp, *q = p + 1;
	size_t len;

	while (q < end && is_name_char(*q))
		q++;
	if (q == p + 1 || q >= end || *q != '>')
		return 0;
	len = (size_t)(q - p - 1);
	if (!named_key((const char *)p + 1, len, macro, code)) {
		err_set(why, whylen, WARY_EPARSE, "unknown %s <%.*s>",
		        macro ? "function or key" : "key name", (int)(len > 40 ? 40 : len),
		        (const char *)p + 1);
		return -1;
	}
	*pp = q + 1;
	return 1;
}

/* Parse key notation.  escapes is false for single-quoted text, where
 * only <names> are special (as in mutt).  Returns the count or -1 with
 * why filled. */
static int parse_keys(const char *s, bool escapes, bool macro, int *out, size_t max, char *why,
                      size_t whylen)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	size_t n = 0;

	while (p < end) {
		int code, named;
		bool ok;

		if (n >= max) {
			err_set(why, whylen, WARY_ELIMIT, "longer than %zu keys", max);
			return -1;
		}
		if (escapes && *p == '\\') {
			ok = parse_escape(&p, end, &code, why, whylen);
		} else if (escapes && *p == '^' && p + 1 < end && p[1] == '^') {
			code = '^';
			p += 2;
			ok = true;
		} else if (escapes && *p == '^' && p + 1 < end && ctrl_of(p[1]) >= 0) {
			code = ctrl_of(p[1]);
			p += 2;
			ok = true;
		} else if (*p == '<' && (named = parse_named(&p, end, macro, &code, why, whylen)) != 0) {
			ok = named > 0;
		} else {
			/* "^" before anything else is itself, as in mutt */
			ok = parse_char(&p, end, &code, why, whylen);
		}
		if (!ok)
			return -1;
		out[n++] = code;
	}
	return (int)n;
}

int keymap_parse_keys(const char *text, int *out, size_t max)
{
	char why[WARY_ERRLEN];

	if (text == NULL || out == NULL)
		return -1;
	return parse_keys(text, true, true, out, max, why, sizeof(why));
}

static bool printable_cp(int c)
{
	return c >= 0xa0 && c <= 0x10ffff && !(c >= 0xd800 && c <= 0xdfff) &&
	       !safe_is_invisible((uint32_t)c);
}

/* One key in the notation, such that parsing the result gives it back. */
static void key_name_add(struct buf *b, const int *keys, size_t n, size_t i)
{
	int c = keys[i];

	if (c < 0) {
		const struct km_func_def *f = func_def((enum km_func)-c);

		if (f != NULL)
			buf_addf(b, "<%s>", f->name);
		else
			buf_adds(b, "<?>");
		return;
	}
	for (size_t k = 0; k < ARRAY_SIZE(key_names); k++) {
		if (key_names[k].code == c) {
			buf_addf(b, "<%s>", key_names[k].name);
			return;
		}
	}
	if (c >= KEY_F(0) && c <= KEY_F(KM_MAX_FKEY)) {
		buf_addf(b, "<F%d>", c - KEY_F(0));
		return;
	}
	if (c == 0x1e) {
		buf_adds(b, "\\C^"); /* "^^" is a plain ^ */
		return;
	}
	if (c < 0x20) {
		buf_addf(b, "^%c", c + '@');
		return;
	}
	if (c == KM_DEL) {
		buf_adds(b, "^?");
		return;
	}
	if (c == '\\' || c == '^') {
		buf_addch(b, c == '\\' ? '\\' : '^');
		buf_addch(b, c);
		return;
	}
	if (c == '<') {
		/* escaped only where it would start a <name> */
		if (i + 1 < n && is_name_char(keys[i + 1]))
			buf_addch(b, '\\');
		buf_addch(b, '<');
		return;
	}
	if (c < 0x7f) {
		buf_addch(b, c);
		return;
	}
	if (printable_cp(c) && !(c >= KEY_MIN && c <= KEY_MAX)) {
		utf8_encode(b, (uint32_t)c);
		return;
	}
	buf_addf(b, "<%o>", (unsigned)c);
}

char *keymap_key_name(const int *keys, size_t n)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < n; i++)
		key_name_add(&b, keys, n, i);
	return buf_detach(&b, NULL);
}

/* ---- bindings ---- */

static void kbind_free(struct kbind *kb)
{
	if (kb == NULL)
		return;
	free(kb->name);
	free(kb->origin);
	free(kb->macro);
	free(kb->help);
	free(kb);
}

struct keymap *keymap_new(void)
{
	struct keymap *km = xcalloc(1, sizeof(*km));

	km->kf = keyfile_new(".keys", on_line, km);
	return km;
}

static void menu_clear(struct kmenu *m)
{
	for (size_t i = 0; i < m->n; i++)
		kbind_free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

void keymap_free(struct keymap **pkm)
{
	struct keymap *km = *pkm;

	if (km == NULL)
		return;
	for (size_t m = 0; m < KM_MENU_COUNT; m++)
		menu_clear(&km->menus[m]);
	keyfile_free(&km->kf);
	free(km);
	*pkm = NULL;
}

void keymap_set_preset_dir(struct keymap *km, const char *dir)
{
	keyfile_set_preset_dir(km->kf, dir);
}

void keymap_set_include_allowed(struct keymap *km, bool allowed)
{
	keyfile_set_include_allowed(km->kf, allowed);
}

size_t keymap_warning_count(const struct keymap *km)
{
	return keyfile_warning_count(km->kf);
}

const char *keymap_warning(const struct keymap *km, size_t i)
{
	return keyfile_warning_at(km->kf, i);
}

size_t keymap_error_count(const struct keymap *km)
{
	return keyfile_error_count(km->kf);
}

const char *keymap_error(const struct keymap *km, size_t i)
{
	return keyfile_error_at(km->kf, i);
}

static bool keys_equal(const int *a, size_t na, const int *b, size_t nb)
{
	return na == nb && memcmp(a, b, na * sizeof(int)) == 0;
}

/* Is a strictly shorter than b and its start? */
static bool keys_prefix(const int *a, size_t na, const int *b, size_t nb)
{
	return na < nb && memcmp(a, b, na * sizeof(int)) == 0;
}

static struct kbind *menu_find(const struct kmenu *m, const int *keys, size_t n, bool *longer)
{
	struct kbind *exact = NULL;

	for (size_t i = 0; i < m->n; i++) {
		struct kbind *kb = m->v[i];

		if (keys_equal(kb->keys, kb->nkeys, keys, n))
			exact = kb;
		else if (longer != NULL && keys_prefix(keys, n, kb->keys, kb->nkeys))
			*longer = true;
	}
	return exact;
}

const struct km_binding *keymap_lookup(const struct keymap *km, enum km_menu menu,
                                       const int *keys, size_t n, bool *is_prefix)
{
	const struct kbind *kb;
	bool longer = false;

	if (is_prefix != NULL)
		*is_prefix = false;
	if ((unsigned)menu >= KM_MENU_COUNT || keys == NULL || n == 0 || n > KM_MAX_SEQ)
		return NULL;
	/* the view's own bindings first, its prefixes included: a view that
	 * binds "gg" means g to wait there even if generic binds g */
	kb = menu_find(&km->menus[menu], keys, n, &longer);
	if (kb == NULL && !longer && menu != KM_GENERIC)
		kb = menu_find(&km->menus[KM_GENERIC], keys, n, &longer);
	if (is_prefix != NULL)
		*is_prefix = longer;
	return kb != NULL ? &kb->b : NULL;
}

size_t keymap_binding_count(const struct keymap *km, enum km_menu menu)
{
	if ((unsigned)menu >= KM_MENU_COUNT)
		return 0;
	return km->menus[menu].n;
}

const struct km_binding *keymap_binding_at(const struct keymap *km, enum km_menu menu,
                                           size_t i, const char **keys)
{
	const struct kbind *kb;

	if (keys != NULL)
		*keys = NULL;
	if ((unsigned)menu >= KM_MENU_COUNT || i >= km->menus[menu].n)
		return NULL;
	kb = km->menus[menu].v[i];
	if (keys != NULL)
		*keys = kb->name;
	return &kb->b;
}

const char *keymap_key_for(const struct keymap *km, enum km_menu menu, enum km_func func)
{
	const struct kmenu *g = &km->menus[KM_GENERIC];

	if ((unsigned)menu >= KM_MENU_COUNT || func == KF_NONE)
		return NULL;
	for (size_t i = 0; i < km->menus[menu].n; i++)
		if (km->menus[menu].v[i]->b.func == func)
			return km->menus[menu].v[i]->name;
	for (size_t i = 0; i < g->n; i++) {
		const struct kbind *kb = g->v[i];
		bool pre;

		/* a generic key the view binds otherwise does not do func there */
		if (kb->b.func == func &&
		    keymap_lookup(km, menu, kb->keys, kb->nkeys, &pre) == &kb->b)
			return kb->name;
	}
	return NULL;
}

/* ---- the commands ---- */

struct newbind {
	const int *keys;
	size_t nkeys;
	enum km_func func;
	const int *macro;
	size_t macro_len;
	const char *help; /* from the file, or NULL */
};

/* Warn when kb, new in menu `where`, and a binding of menu `other` hide
 * one another.  Within a menu the longer key loses (the shorter fires
 * first); between a menu and generic, generic's loses in that menu (the
 * menu's own keys, prefixes included, are looked up first). */
static bool warn_shadow(struct keyfile *kf, const struct keyfile_line *l, enum km_menu where,
                        const struct kbind *kb, enum km_menu other, const struct kmenu *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct kbind *o = m->v[i], *loser;
		enum km_menu in;

		if (!keys_prefix(kb->keys, kb->nkeys, o->keys, o->nkeys) &&
		    !keys_prefix(o->keys, o->nkeys, kb->keys, kb->nkeys))
			continue;
		if (where == other)
			loser = kb->nkeys > o->nkeys ? kb : o;
		else
			loser = where == KM_GENERIC ? kb : o;
		in = where == KM_GENERIC ? other : where;
		if (where == other)
			keyfile_warn(kf, l, "%s: '%s' and '%s' (%s) overlap: '%s' can never be typed",
			             menu_names[where], kb->name, o->name, o->origin, loser->name);
		else
			keyfile_warn(kf, l, "%s: '%s' and '%s' (%s, %s) overlap: '%s' can never be typed in %s",
			             menu_names[where], kb->name, o->name, menu_names[other], o->origin,
			             loser->name, menu_names[in]);
		return true;
	}
	return false;
}

static void check_shadows(struct keymap *km, const struct keyfile_line *l, enum km_menu menu,
                          const struct kbind *kb)
{
	if (warn_shadow(km->kf, l, menu, kb, menu, &km->menus[menu]))
		return;
	if (menu != KM_GENERIC) {
		warn_shadow(km->kf, l, menu, kb, KM_GENERIC, &km->menus[KM_GENERIC]);
		return;
	}
	for (size_t m = 1; m < KM_MENU_COUNT; m++)
		if (warn_shadow(km->kf, l, menu, kb, (enum km_menu)m, &km->menus[m]))
			return;
}

static void kbind_set(struct kbind *kb, const struct keyfile_line *l, const struct newbind *nb)
{
	const struct km_func_def *f = func_def(nb->func);

	free(kb->origin);
	free(kb->macro);
	free(kb->help);
	kb->origin = xasprintf("%s:%d", l->file, l->line);
	kb->file_id = l->file_id;
	kb->macro = NULL;
	if (nb->macro != NULL) {
		kb->macro = xreallocarray(NULL, nb->macro_len, sizeof(int));
		memcpy(kb->macro, nb->macro, nb->macro_len * sizeof(int));
	}
	/* help is drawn on the terminal: never let a file put escapes there */
	kb->help = nb->help != NULL ? safe_str(nb->help, SAFE_LINE) : NULL;
	kb->b.func = nb->func;
	kb->b.macro = kb->macro;
	kb->b.macro_len = kb->macro != NULL ? nb->macro_len : 0;
	kb->b.help = kb->help != NULL ? kb->help : f != NULL ? f->help : NULL;
}

static void add_binding(struct keymap *km, const struct keyfile_line *l, enum km_menu menu,
                        const struct newbind *nb)
{
	struct kmenu *m = &km->menus[menu];
	struct kbind *kb = menu_find(m, nb->keys, nb->nkeys, NULL);

	if (kb != NULL) {
		/* replacing a binding from an included file is what an include
		 * is for; twice in one file is a mistake */
		if (kb->file_id == l->file_id)
			keyfile_warn(km->kf, l, "%s: '%s' was already bound at %s; this line replaces it",
			             menu_names[menu], kb->name, kb->origin);
		kbind_set(kb, l, nb);
		return;
	}
	if (m->n >= KM_MAX_BINDINGS) {
		keyfile_error(km->kf, l, "%s: more than %d bindings", menu_names[menu],
		              KM_MAX_BINDINGS);
		return;
	}
	kb = xcalloc(1, sizeof(*kb));
	memcpy(kb->keys, nb->keys, nb->nkeys * sizeof(int));
	kb->nkeys = nb->nkeys;
	kb->name = keymap_key_name(nb->keys, nb->nkeys);
	kbind_set(kb, l, nb);
	check_shadows(km, l, menu, kb);
	m->v = xreallocarray(m->v, m->n + 1, sizeof(*m->v));
	m->v[m->n++] = kb;
}

/* "index,pager" -> a mask; "*" only where star is allowed. */
static bool parse_menus(struct keymap *km, const struct keyfile_line *l, const char *s,
                        bool star, unsigned *mask)
{
	const char *p = s;

	*mask = 0;
	if (star && strcmp(s, "*") == 0) {
		*mask = ALL;
		return true;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		size_t m;

		for (m = 0; m < KM_MENU_COUNT; m++)
			if (strlen(menu_names[m]) == len && strncmp(menu_names[m], p, len) == 0)
				break;
		if (m == KM_MENU_COUNT) {
			char *w = xstrndup(p, len);
			char *q = keyfile_quote_word(w);

			keyfile_error(km->kf, l, "unknown menu '%s' (menus: generic, index, pager, raw, help, browser)",
			              q);
			free(q);
			free(w);
			return false;
		}
		*mask |= M(m);
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

static bool parse_key_word(struct keymap *km, const struct keyfile_line *l,
                           const struct keyfile_word *w, bool macro, int *out, size_t max,
                           size_t *n)
{
	char why[WARY_ERRLEN];
	int k = parse_keys(w->raw, w->quote != KEYFILE_SQUOTE, macro, out, max, why, sizeof(why));

	if (k == 0) {
		keyfile_error(km->kf, l, macro ? "empty key sequence" : "empty key");
		return false;
	}
	if (k < 0) {
		char *q = keyfile_quote_word(w->raw);

		keyfile_error(km->kf, l, "bad %s '%s': %s", macro ? "key sequence" : "key", q, why);
		free(q);
		return false;
	}
	*n = (size_t)k;
	return true;
}

static const char *help_word(struct keymap *km, const struct keyfile_line *l, size_t i)
{
	if (i >= l->n || l->w[i].text[0] == '\0')
		return NULL;
	if (strlen(l->w[i].text) > KM_MAX_HELP) {
		keyfile_error(km->kf, l, "help text longer than %d bytes", KM_MAX_HELP);
		return NULL;
	}
	return l->w[i].text;
}

static void cmd_bind(struct keymap *km, const struct keyfile_line *l)
{
	int keys[KM_MAX_SEQ];
	struct newbind nb;
	const struct km_func_def *f = NULL;
	unsigned mask;

	memset(&nb, 0, sizeof(nb));
	if (l->n < 4 || l->n > 5) {
		keyfile_error(km->kf, l, "usage: bind MENU[,MENU...] KEY FUNCTION [\"help\"]");
		return;
	}
	if (!parse_menus(km, l, l->w[1].text, false, &mask) ||
	    !parse_key_word(km, l, &l->w[2], false, keys, KM_MAX_SEQ, &nb.nkeys))
		return;
	/* mutt's noop: the key does nothing, and hides generic's binding */
	if (strcmp(l->w[3].text, "noop") != 0) {
		f = keymap_func_by_name(l->w[3].text);
		if (f == NULL) {
			char *q = keyfile_quote_word(l->w[3].text);
			const char *hint = suggest_func(l->w[3].text);

			if (hint != NULL)
				keyfile_error(km->kf, l, "unknown function '%s'; did you mean '%s'?", q, hint);
			else
				keyfile_error(km->kf, l, "unknown function '%s'", q);
			free(q);
			return;
		}
		for (size_t m = 0; m < KM_MENU_COUNT; m++) {
			if ((mask & M(m)) && !(f->menus & M(m))) {
				keyfile_error(km->kf, l, "function '%s' cannot be bound in menu '%s'",
				              f->name, menu_names[m]);
				return;
			}
		}
	}
	nb.keys = keys;
	nb.func = f != NULL ? f->id : KF_NONE;
	nb.help = help_word(km, l, 4);
	if (l->n == 5 && nb.help == NULL && l->w[4].text[0] != '\0')
		return;
	for (size_t m = 0; m < KM_MENU_COUNT; m++)
		if (mask & M(m))
			add_binding(km, l, (enum km_menu)m, &nb);
}

static void cmd_macro(struct keymap *km, const struct keyfile_line *l)
{
	int keys[KM_MAX_SEQ];
	int *seq = NULL;
	struct newbind nb;
	unsigned mask;

	memset(&nb, 0, sizeof(nb));
	if (l->n < 4 || l->n > 5) {
		keyfile_error(km->kf, l, "usage: macro MENU[,MENU...] KEY \"keys\" [\"help\"]");
		goto out;
	}
	seq = xreallocarray(NULL, KM_MAX_MACRO, sizeof(int));
	if (!parse_menus(km, l, l->w[1].text, false, &mask) ||
	    !parse_key_word(km, l, &l->w[2], false, keys, KM_MAX_SEQ, &nb.nkeys) ||
	    !parse_key_word(km, l, &l->w[3], true, seq, KM_MAX_MACRO, &nb.macro_len))
		goto out;
	nb.keys = keys;
	nb.func = KF_NONE;
	nb.macro = seq;
	nb.help = help_word(km, l, 4);
	if (l->n == 5 && nb.help == NULL && l->w[4].text[0] != '\0')
		goto out;
	for (size_t m = 0; m < KM_MENU_COUNT; m++)
		if (mask & M(m))
			add_binding(km, l, (enum km_menu)m, &nb);
out:
	free(seq);
}

static void cmd_unbind(struct keymap *km, const struct keyfile_line *l)
{
	int keys[KM_MAX_SEQ];
	size_t nkeys = 0;
	bool all_keys;
	unsigned mask;

	if (l->n != 3) {
		keyfile_error(km->kf, l, "usage: unbind MENU[,MENU...]|* KEY|*");
		return;
	}
	if (!parse_menus(km, l, l->w[1].text, true, &mask))
		return;
	all_keys = l->w[2].quote == KEYFILE_BARE && strcmp(l->w[2].raw, "*") == 0;
	if (!all_keys && !parse_key_word(km, l, &l->w[2], false, keys, KM_MAX_SEQ, &nkeys))
		return;
	for (size_t m = 0; m < KM_MENU_COUNT; m++) {
		struct kmenu *menu = &km->menus[m];
		size_t j = 0;

		if (!(mask & M(m)))
			continue;
		for (size_t i = 0; i < menu->n; i++) {
			struct kbind *kb = menu->v[i];

			if (all_keys || keys_equal(kb->keys, kb->nkeys, keys, nkeys))
				kbind_free(kb);
			else
				menu->v[j++] = kb;
		}
		menu->n = j;
	}
}

static void on_line(void *ctx, struct keyfile *kf, const struct keyfile_line *l)
{
	struct keymap *km = ctx;
	const char *cmd = l->w[0].text;

	if (strcmp(cmd, "bind") == 0) {
		cmd_bind(km, l);
	} else if (strcmp(cmd, "macro") == 0) {
		cmd_macro(km, l);
	} else if (strcmp(cmd, "unbind") == 0) {
		cmd_unbind(km, l);
	} else {
		char *q = keyfile_quote_word(cmd);

		keyfile_error(kf, l, "unknown command '%s' (expected bind, macro, unbind or include)", q);
		free(q);
	}
}

int keymap_load(struct keymap *km, const char *path_or_preset, char *err, size_t errlen)
{
	return keyfile_load(km->kf, path_or_preset, err, errlen);
}

int keymap_load_string(struct keymap *km, const char *name, const char *text, char *err,
                       size_t errlen)
{
	return keyfile_load_string(km->kf, name, text, err, errlen);
}
