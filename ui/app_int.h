#ifndef WARY_UI_APP_INT_H
#define WARY_UI_APP_INT_H
/*
 * Inside the interactive client: the state every view shares and the
 * drawing helpers, for the ui/ files that add a view or a chrome line to
 * app.c.  Not a public interface: only ui/ includes it, and it includes
 * curses.
 */
#include <curses.h>
#include <stdbool.h>

#include "base/base.h"
#include "config/config.h"
#include "inspect/inspect.h"
#include "render/render.h"
#include "store/store.h"
#include "ui/index.h"
#include "ui/keymap.h"
#include "ui/textview.h"
#include "ui/theme.h"
#include "ui/worker.h"

/*
 * The pager's chrome: one line per analysis above the body (the sender
 * verdict, PGP, the safety panel), drawn from wary's own words only.  A
 * slot with an empty text takes no row.  attr is a theme object, so the
 * colour means what the theme says: TH_CHROME_GOOD is kept for a trusted,
 * aligned pass and a good signature, nothing else.
 */
enum app_chrome_slot { APP_CHROME_VERDICT, APP_CHROME_PGP, APP_CHROME_SAFETY, APP_CHROME_SLOTS };
struct app_chrome {
	char text[512]; /* safe text */
	enum theme_obj attr;
};

#define MAX_SEQ 8
#define MAX_PENDING 4096
#define SIDEBAR_COLS 24

enum view { V_INDEX, V_PAGER, V_RAW, V_HELP, V_BROWSER, V_ATTACH, V_LINKS, V_SAFETY, V_SENDER,
            V_COMPOSE, V_PGP };

enum prompt_kind { P_NONE, P_SEARCH, P_SEARCH_REVERSE, P_PURGE, P_QUIT, P_SECRET, P_TRUST,
                   P_LIMIT, P_SAVE, P_MOVE, P_COPY, P_OPEN_LINK, P_COMPOSE };

struct app {
	struct config *cfg;
	struct keymap *km;
	struct theme *th;
	struct worker *wk;
	struct worker_account *wa; /* the server account, or NULL for a Maildir */
	char trust_fpr[128];       /* the certificate a P_TRUST prompt is about */
	struct index *ix;
	struct textview *pager, *raw, *help, *browser;
	enum view view;
	enum view help_from;   /* where help returns to */
	enum view raw_from;
	unsigned gen;          /* of the folder being shown */
	char *location;
	char *folder;
	bool loading, check_running;
	bool fetching;            /* a POP3 download runs in the worker */
	bool open_failed;
	size_t fetch_done, fetch_total;
	long long check_every_ms; /* fetch_interval; 0: no timer */
	bool keyed_while_loading; /* the user moved while the index streams in */
	bool traced_first, traced_full;
	bool spam_known_due; /* spam_ui_index_loaded after the full index is drawn */
	/* the folder list (and for IMAP a check) to ask for once the index
	 * that just came is drawn */
	bool index_followups_due, index_check_due;
	size_t load_done, load_total;
	long long last_rebuild_ms, rebuild_cost_ms, next_check_ms;

	/* the message in the pager */
	char *msg_key;
	struct buf msg_bytes;
	bool msg_loaded;
	enum view want_view;   /* what to show when the fetch arrives */
	bool weed, prefer_html;

	struct store_folder *folders;
	size_t nfolders, browser_cursor;
	size_t index_top;      /* first index row on screen */
	bool sidebar;

	char status[512];
	bool status_err;

	/* keys: a sequence being typed, and keys fed back by macros */
	int seq[MAX_SEQ];
	size_t nseq;
	int pending[MAX_PENDING];
	size_t npending;

	enum prompt_kind prompt;
	char prompt_label[128];
	struct buf input;
	char search[256];
	int search_dir;
	char limit[256];       /* the pattern of the limit in force, "" for none */

	/* the attachments of the message in msg_bytes (the attach view) */
	struct inspect *insp;  /* libmagic, loaded the first time it is needed */
	struct mail_msg *att_msg;
	struct inspect_attachment *atts;
	size_t natts, att_cursor;
	enum view att_from;
	char save_dir[1024];
	size_t pager_atts, pager_bad; /* of the message in the pager, for its status line */
	char save_pending[1024];      /* the folder a part being fetched is saved into */
	struct store_conn_state conn; /* of a server account, as the worker last said */
	long long conn_at;            /* now_ms() when it said so */

	/* Lines drawn above the pager body, in the chrome where a message
	 * cannot draw: one slot per analysis, set by render_current(). */
	struct app_chrome chrome[APP_CHROME_SLOTS];
	struct safety_ui *safety; /* the safety panel's links (ui/safety_view.c) */
	struct pgp_ui *pgp; /* verifies and decrypts off this thread (ui/pgp.c) */
	struct verdict_ui *verdict; /* the sender verdict, DNS off this thread (ui/verdict.c) */
	struct spam_ui *spam; /* marks and the score line (ui/spam_ui.c) */

	struct compose *compose;      /* the message being written (ui/compose.c) */

	bool quit;
	int sig_rd, sig_wr;
	int attr[TH_OBJ_COUNT];
};

/* Draw LEN bytes of safe text at y,x in at most cols columns; the columns used. */
int app_put(int y, int x, const char *s, size_t len, int cols, int attr);
void app_fill(int y, int x, int cols, int attr);
/* A line padded to exactly cols columns. */
void app_put_padded(int y, int x, const char *s, int cols, int attr);
/* The message line; the text is made safe here. */
void app_say(struct app *a, bool is_err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int app_kind_attr(const struct app *a, enum render_kind k);
/* Set a chrome slot (text made safe here); "" clears it. */
void app_chrome_set(struct app *a, enum app_chrome_slot slot, enum theme_obj attr, const char *text);
/* Rows the chrome takes above the pager body now. */
int app_chrome_rows(const struct app *a);

#endif
