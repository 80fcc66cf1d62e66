#ifndef WARY_CONFIG_H
#define WARY_CONFIG_H
/*
 * config: one file, $XDG_CONFIG_HOME/wary/config, mutt-like:
 *
 *     # comment
 *     set editor = "vim"
 *     set keymap = vim
 *     account work {
 *         set imap_host = imap.example.org
 *         set from = "Ada <ada@example.org>"
 *     }
 *
 * Every setting is declared in one table (name, type, default, scope,
 * help) so unknown names, bad values and misplaced settings are errors
 * with file:line.  `-o name=value` on the command line (or
 * `-o account.NAME.name=value`) overrides a setting for one run.
 */
#include "base/base.h"

enum config_type { CONFIG_STRING, CONFIG_BOOL, CONFIG_INT, CONFIG_PATH, CONFIG_ENUM };
enum config_scope { CONFIG_GLOBAL = 1, CONFIG_ACCOUNT = 2, CONFIG_BOTH = 3 };

struct config_def {
	const char *name;
	enum config_type type;
	enum config_scope scope;
	const char *def;     /* default value as text, NULL for unset */
	const char *choices; /* CONFIG_ENUM: "a|b|c"; CONFIG_PATH: builtin words
	                      * accepted instead of a path ("default|vim|simple") */
	const char *help;
};
/* The table of every known setting (for check-config and the man page). */
const struct config_def *config_defs(size_t *n);

struct config;
struct config *config_new(void);
void config_free(struct config **cfg);

/* Default path: $XDG_CONFIG_HOME/wary/config (~/.config/wary/config). */
char *config_default_path(void);
/* Parse a file.  On error err holds "path:line: message" and the
 * settings read so far are kept.  A missing file is WARY_ENOENT. */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);
/* Parse text as if it were a file named `name` (for tests). */
int config_load_string(struct config *cfg, const char *name, const char *text,
                       char *err, size_t errlen);
/* Whether `source PATH` lines are followed (default yes).  Off for input
 * that must not reach the file system, such as the fuzz target. */
void config_set_source_allowed(struct config *cfg, bool allowed);
/* Apply one "-o name=value" (or "account.NAME.name=value"). */
int config_override(struct config *cfg, const char *assignment, char *err, size_t errlen);

/* Global settings: the value in force (override > file > default). */
const char *config_get(const struct config *cfg, const char *name);
bool config_get_bool(const struct config *cfg, const char *name);
long config_get_int(const struct config *cfg, const char *name);

/* Accounts, in file order. */
size_t config_account_count(const struct config *cfg);
const char *config_account_name(const struct config *cfg, size_t i);
/* An account setting; falls back to the global value for CONFIG_BOTH. */
const char *config_account_get(const struct config *cfg, const char *account, const char *name);
bool config_account_get_bool(const struct config *cfg, const char *account, const char *name);
long config_account_get_int(const struct config *cfg, const char *account, const char *name);
/* Where a value came from: "path:line", "-o", or "default".  account may
 * be NULL for a global setting. */
const char *config_origin(const struct config *cfg, const char *account, const char *name);

/* Server certificates the user chose to trust, recorded by wary (not in
 * the config file) as "ACCOUNT SHA256 HOST" lines, by default in
 * $XDG_DATA_HOME/wary/trusted-certs.  Loading sets an account's
 * trusted_cert_sha256 unless the config file set it, with the file and
 * line as its origin, so check-config shows where a trust came from.
 * A missing file is WARY_ENOENT. */
char *config_trust_default_path(void);
int config_load_trust(struct config *cfg, const char *path, char *err, size_t errlen);
int config_trust_record(const char *path, const char *account, const char *host,
                        const char *sha256, char *err, size_t errlen);

/* Validate (e.g. an account without a mailbox) and write a report of
 * every setting in force and where it came from, as `wary check-config`
 * prints it.  Returns WARY_OK when there are no errors. */
int config_check(const struct config *cfg, struct buf *report);
/* How many errors loading and overrides have recorded so far. */
size_t config_error_count(const struct config *cfg);

#endif
