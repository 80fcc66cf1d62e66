#ifndef WARY_UI_KEYMAP_H
#define WARY_UI_KEYMAP_H
/*
 * keymap: keymaps/NAME.keys files -> bindings per menu.
 *
 *     bind MENU[,MENU...] KEY FUNCTION ["help text"]
 *     macro MENU[,MENU...] KEY "key sequence" ["help text"]
 *     unbind MENU[,MENU...]|* KEY|*
 *     include FILE            (relative to the including file, else a preset name)
 *
 * Keys use mutt's notation so a muttrc binding works: plain characters,
 * <Down> <Up> <Left> <Right> <PageUp> <PageDown> <Home> <End> <Enter>
 * <Return> <Tab> <BackTab> <Space> <Backspace> <Delete> <Insert> <Esc>
 * <F1>..<F12>, \Cx / ^X (control), \ex / <Esc>x (meta = an ESC prefix),
 * \n \t \r \\, and multi-key sequences ("gg").  Function names are mutt's
 * where the meaning is the same.  Unknown menus, functions and keys are
 * errors with file:line; a key that shadows another binding's prefix
 * (binding "g" when "gg" exists) and a rebinding of a key already bound
 * in the same file are warnings with file:line.
 *
 * Keys are ints: a character's code point, or an ncurses KEY_* code.  The
 * generic menu's bindings apply in every menu that does not bind the key.
 *
 * Details of the notation: names in <> are case-insensitive; <KeypadEnter>
 * is KEY_ENTER, <F0>..<F63> work, and <NNN> is a raw code in octal (as in
 * mutt).  \x for any other x is x itself (\< \# \" \^).  Inside single
 * quotes only <names> are special.  Code points U+0101..U+01FF cannot be
 * bound: ncurses uses the same numbers for KEY_* codes.
 *
 * In a macro, <function-name> means "call that function" and is stored as
 * the negative code -(KF_*); any other <Name> is that key.  Binding a key
 * to `noop` makes it do nothing (func KF_NONE, macro NULL) and hides the
 * generic binding of that key.  `refresh` is accepted for redraw-screen.
 */
#include "base/base.h"

enum km_menu {
	KM_GENERIC,
	KM_INDEX,
	KM_PAGER,
	KM_RAW,     /* the raw source view */
	KM_HELP,
	KM_BROWSER, /* the folder list */
	KM_ATTACH,  /* the attachments of a message */
	KM_LINKS,   /* the links of a message, with their real targets */
	KM_COMPOSE, /* a message being written (ui/compose.c) */
	KM_MENU_COUNT
};

enum km_func {
	KF_NONE = 0,
	/* generic */
	KF_QUIT,              /* quit */
	KF_EXIT,              /* exit: leave the current view */
	KF_HELP,              /* help */
	KF_REDRAW,            /* redraw-screen */
	KF_SEARCH,            /* search */
	KF_SEARCH_REVERSE,    /* search-reverse */
	KF_SEARCH_NEXT,       /* search-next */
	KF_SEARCH_OPPOSITE,   /* search-opposite */
	KF_FIRST_ENTRY,       /* first-entry */
	KF_LAST_ENTRY,        /* last-entry */
	KF_NEXT_ENTRY,        /* next-entry */
	KF_PREVIOUS_ENTRY,    /* previous-entry */
	KF_NEXT_PAGE,         /* next-page */
	KF_PREVIOUS_PAGE,     /* previous-page */
	KF_HALF_DOWN,         /* half-down */
	KF_HALF_UP,           /* half-up */
	KF_NEXT_LINE,         /* next-line */
	KF_PREVIOUS_LINE,     /* previous-line */
	KF_TOP,               /* top */
	KF_BOTTOM,            /* bottom */
	KF_SELECT_ENTRY,      /* select-entry */
	/* index */
	KF_DISPLAY_MESSAGE,   /* display-message */
	KF_NEXT_UNDELETED,    /* next-undeleted */
	KF_PREVIOUS_UNDELETED,/* previous-undeleted */
	KF_NEXT_NEW,          /* next-new */
	KF_PREVIOUS_NEW,      /* previous-new */
	KF_DELETE_MESSAGE,    /* delete-message */
	KF_UNDELETE_MESSAGE,  /* undelete-message */
	KF_FLAG_MESSAGE,      /* flag-message */
	KF_TOGGLE_NEW,        /* toggle-new */
	KF_SYNC_MAILBOX,      /* sync-mailbox */
	KF_CHANGE_FOLDER,     /* change-folder */
	KF_SORT_MAILBOX,      /* sort-mailbox: cycle threads/date */
	KF_VIEW_RAW_MESSAGE,  /* view-raw-message */
	KF_CHECK_NEW,         /* check-new: look for new mail now */
	KF_SIDEBAR_TOGGLE,    /* sidebar-toggle-visible */
	KF_LIMIT,             /* limit: show only messages matching a pattern */
	KF_VIEW_ATTACHMENTS,  /* view-attachments */
	KF_SAVE_ENTRY,        /* save-entry: save an attachment */
	KF_SAVE_MESSAGE,      /* save-message: move the message to another folder */
	KF_COPY_MESSAGE,      /* copy-message */
	/* pager */
	KF_DISPLAY_TOGGLE_WEED, /* display-toggle-weed */
	KF_TOGGLE_HTML,       /* toggle-prefer-html (wary) */
	KF_VIEW_LINKS,        /* view-links: the link list (wary, like urlview) */
	KF_VIEW_SAFETY,       /* view-safety: the safety panel in full (wary) */
	KF_VIEW_SENDER,       /* view-sender: the sender verdict in full (wary) */
	KF_VIEW_BROWSER,      /* view-in-browser: the HTML, remote content removed (wary) */
	KF_VIEW_MAILCAP,      /* view-mailcap: open an attachment through mailcap */
	KF_MARK_SPAM,         /* mark-spam: train as spam, move to Junk (wary) */
	KF_MARK_HAM,          /* mark-ham: train as not spam, move back from Junk (wary) */
	KF_TRAIN_FOLDER_SPAM, /* train-folder-spam: every message shown, as spam (wary) */
	KF_TRAIN_FOLDER_HAM,  /* train-folder-ham (wary) */
	KF_EXTRACT_KEYS,      /* extract-keys: import the message's OpenPGP keys */
	KF_VIEW_PGP,          /* view-pgp: the PGP result in full, the signer's key (wary) */
	/* writing mail (ui/compose.c) */
	KF_MAIL,              /* mail: a new message */
	KF_REPLY,             /* reply */
	KF_GROUP_REPLY,       /* group-reply */
	KF_LIST_REPLY,        /* list-reply */
	KF_FORWARD,           /* forward-message */
	KF_FORWARD_ATTACHED,  /* forward-attached: as message/rfc822 (wary) */
	KF_RECALL,            /* recall-message: a postponed draft */
	KF_SEND,              /* send-message */
	KF_ATTACH_FILE,       /* attach-file */
	KF_DETACH_FILE,       /* detach-file */
	KF_POSTPONE,          /* postpone-message */
	KF_EDIT_FROM,         /* edit-from */
	KF_EDIT_TO,           /* edit-to */
	KF_EDIT_CC,           /* edit-cc */
	KF_EDIT_BCC,          /* edit-bcc */
	KF_EDIT_SUBJECT,      /* edit-subject */
	KF_EDIT_MESSAGE,      /* edit-message */
	KF_PGP_SIGN,          /* pgp-toggle-sign (wary) */
	KF_PGP_ENCRYPT,       /* pgp-toggle-encrypt (wary) */
	KF_FUNC_COUNT
};

struct km_func_def {
	enum km_func id;
	const char *name;  /* mutt's name, e.g. "next-entry" */
	unsigned menus;    /* 1 << enum km_menu where it may be bound */
	const char *help;  /* default help text */
};
/* The table of every function. */
const struct km_func_def *keymap_funcs(size_t *n);
const struct km_func_def *keymap_func_by_name(const char *name);
const char *keymap_menu_name(enum km_menu m);

struct km_binding {
	enum km_func func;  /* KF_NONE for a macro */
	const int *macro;   /* the keys a macro feeds back, or NULL */
	size_t macro_len;
	const char *help;   /* from the file, else the function's; may be NULL */
};

struct keymap;
struct keymap *keymap_new(void);
void keymap_free(struct keymap **km);
/* Directory where preset names ("default", "vim", "simple") are found. */
void keymap_set_preset_dir(struct keymap *km, const char *dir);
/* Load a file (a path, or a preset name).  Errors fill err with
 * "file:line: message" and return WARY_EPARSE; the lines that parsed are
 * kept.  Warnings are collected, see keymap_warning(). */
int keymap_load(struct keymap *km, const char *path_or_preset, char *err, size_t errlen);
int keymap_load_string(struct keymap *km, const char *name, const char *text,
                       char *err, size_t errlen);
size_t keymap_warning_count(const struct keymap *km);
const char *keymap_warning(const struct keymap *km, size_t i);
/* Every error so far (the first 100 are kept), for a report. */
size_t keymap_error_count(const struct keymap *km);
const char *keymap_error(const struct keymap *km, size_t i);
/* Whether `include` lines are followed (default yes).  Off for input that
 * must not reach the file system, such as the fuzz target. */
void keymap_set_include_allowed(struct keymap *km, bool allowed);

/* Look a key sequence up in a menu (then in generic).  Returns the
 * binding, or NULL; *is_prefix is set when keys are the start of a longer
 * binding (wait for the next key).  An exact binding wins over a longer
 * one (that overlap is warned about when loading); a menu's own keys,
 * prefixes included, win over generic's.  The pointers stay valid until
 * the keymap is loaded into again or freed. */
const struct km_binding *keymap_lookup(const struct keymap *km, enum km_menu menu,
                                       const int *keys, size_t n, bool *is_prefix);
/* Every binding of a menu (not including generic), for the help view, in
 * a stable order: *keys is a printable key name ("<PageDown>", "^F", "gg"). */
size_t keymap_binding_count(const struct keymap *km, enum km_menu menu);
const struct km_binding *keymap_binding_at(const struct keymap *km, enum km_menu menu,
                                           size_t i, const char **keys);
/* The first key bound to func in menu (or generic), as a printable name
 * for the help bar; NULL if unbound. */
const char *keymap_key_for(const struct keymap *km, enum km_menu menu, enum km_func func);
/* Parse a key name in the notation above into key codes (for tests and
 * macros).  Returns the count, or -1 when malformed. */
int keymap_parse_keys(const char *text, int *out, size_t max);
/* The printable name of a key sequence (caller frees); parsing it with
 * keymap_parse_keys gives the same codes back. */
char *keymap_key_name(const int *keys, size_t n);

#endif
