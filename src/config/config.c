/* The config file: a small hand-written parser over one table of settings.
 * Every value is checked when it is set, so a bad value is reported with
 * the file and line it came from, not later when it is used. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "config/config.h"

#define MAX_FILE (1024 * 1024)
#define MAX_VALUE 4096
#define MAX_NAME 64
#define MAX_DEPTH 8
#define MAX_ERRORS 200
#define MAX_ACCOUNTS 1000

/* The table.  Keep it sorted by scope then by topic; the man page
 * (doc/wary.conf.5) lists every entry and a unit test checks that. */
static const struct config_def defs[] = {
	/* global */
	{ "editor", CONFIG_STRING, CONFIG_GLOBAL, NULL, NULL,
	  "Command that edits a message; default $VISUAL, then $EDITOR, then vi." },
	{ "pager_headers", CONFIG_ENUM, CONFIG_GLOBAL, "weed", "weed|all",
	  "Headers shown above a message: a short list (weed) or all of them." },
	{ "sort", CONFIG_ENUM, CONFIG_GLOBAL, "threads", "date|date-reverse|threads|threads-reverse",
	  "Order of the message index." },
	{ "keymap", CONFIG_PATH, CONFIG_GLOBAL, "default", "default|vim|simple",
	  "Key bindings: a builtin preset (default, vim, simple) or the path of a keys file." },
	{ "theme", CONFIG_PATH, CONFIG_GLOBAL, "default", "default",
	  "Colours: the builtin theme (default) or the path of a theme file." },
	{ "mailbox", CONFIG_PATH, CONFIG_GLOBAL, "~/Maildir", NULL,
	  "Maildir opened when no account is configured and no -f is given." },
	{ "prefer_html", CONFIG_BOOL, CONFIG_GLOBAL, "no", NULL,
	  "Show the HTML part of multipart/alternative (as text) instead of the plain part." },
	{ "sidebar", CONFIG_BOOL, CONFIG_GLOBAL, "no", NULL,
	  "Show the folder list beside the index." },
	{ "wrap", CONFIG_INT, CONFIG_GLOBAL, "0", NULL,
	  "Wrap message text at this column; 0 means the terminal width." },
	{ "confirm_quit", CONFIG_BOOL, CONFIG_GLOBAL, "no", NULL,
	  "Ask before quitting." },
	{ "header_cache", CONFIG_PATH, CONFIG_GLOBAL, "$XDG_CACHE_HOME/wary", "off",
	  "Directory of the header caches (one SQLite file per mailbox), or off." },
	{ "edit_headers", CONFIG_BOOL, CONFIG_GLOBAL, "no", NULL,
	  "Put From, To, Cc, Bcc, Subject and Attach lines in the file the editor opens." },
	{ "alias_file", CONFIG_PATH, CONFIG_GLOBAL, "$XDG_CONFIG_HOME/wary/aliases", NULL,
	  "Aliases for address completion, mutt's \"alias NAME ADDRESS\" lines." },
	{ "outbox", CONFIG_PATH, CONFIG_GLOBAL, "$XDG_DATA_HOME/wary/outbox", NULL,
	  "Directory of the outboxes (one Maildir per account) that hold mail until it is sent and stored." },
	{ "postponed", CONFIG_PATH, CONFIG_GLOBAL, "$XDG_DATA_HOME/wary/drafts", NULL,
	  "Directory where drafts are autosaved and postponed (one file per draft)." },
	{ "dlp_pattern", CONFIG_STRING, CONFIG_GLOBAL, NULL, NULL,
	  "Extended regular expression that outgoing mail is checked for, besides cards, IBANs, SSNs and keys." },
	{ "dns_server", CONFIG_STRING, CONFIG_GLOBAL, NULL, NULL,
	  "Resolver for sender checks: IP or IP@PORT, or system (/etc/resolv.conf); unset: no DNS lookups." },
	{ "dns_timeout", CONFIG_INT, CONFIG_GLOBAL, "5", NULL,
	  "Seconds a DNS lookup may take before it counts as a temporary failure." },
	{ "dns_trust_anchor", CONFIG_PATH, CONFIG_GLOBAL, NULL, NULL,
	  "DNSSEC root key file (e.g. /usr/share/dns/root.key): answers are validated and marked secure." },
	{ "dnsbl_zones", CONFIG_STRING, CONFIG_GLOBAL, NULL, NULL,
	  "DNS blocklist zones the originating IP is looked up in, space-separated; unset: none." },
	/* global defaults that an account may override */
	{ "trusted_hosts", CONFIG_STRING, CONFIG_BOTH, NULL, NULL,
	  "Host names or IPs of the account's own receiving servers (*.example.org for a whole domain): the Received trust boundary." },
	{ "from", CONFIG_STRING, CONFIG_BOTH, NULL, NULL,
	  "Sender address of outgoing mail, e.g. \"Ada <ada@example.org>\"." },
	{ "realname", CONFIG_STRING, CONFIG_BOTH, NULL, NULL,
	  "Display name used with from when from has none." },
	{ "signing_key", CONFIG_STRING, CONFIG_BOTH, NULL, NULL,
	  "OpenPGP key (fingerprint or user ID) that signs outgoing mail." },
	{ "encrypt_drafts", CONFIG_BOOL, CONFIG_BOTH, "no", NULL,
	  "Autosave and postpone drafts encrypted (PGP/MIME) to the account's own key (signing_key, else from)." },
	{ "spam_action", CONFIG_ENUM, CONFIG_BOTH, "tag", "tag|move",
	  "What happens to a message classified as spam: tag it, or move it to the junk folder." },
	{ "trusted_authserv_id", CONFIG_STRING, CONFIG_BOTH, NULL, NULL,
	  "authserv-id of the receiving server whose Authentication-Results are trusted." },
	{ "signature", CONFIG_PATH, CONFIG_BOTH, NULL, NULL,
	  "File appended to new messages and replies after a \"-- \" line." },
	{ "attribution", CONFIG_STRING, CONFIG_BOTH, "On %d, %n wrote:", NULL,
	  "Line above quoted text in a reply: %d the date, %n the sender's name, %a the address." },
	{ "sendmail_command", CONFIG_STRING, CONFIG_BOTH, NULL, NULL,
	  "Command that sends mail instead of SMTP (message on stdin, recipients as arguments), e.g. msmtp." },
	{ "sent_folder", CONFIG_STRING, CONFIG_BOTH, "Sent", NULL,
	  "Folder where sent mail is stored (IMAP folder, or a Maildir folder of a local account)." },
	{ "hashcash_bits", CONFIG_INT, CONFIG_BOTH, "0", NULL,
	  "Mint a hashcash stamp of this many bits per recipient on outgoing mail; 0 turns it off." },
	/* account */
	{ "imap_host", CONFIG_STRING, CONFIG_ACCOUNT, NULL, NULL,
	  "IMAP server host name." },
	{ "imap_port", CONFIG_INT, CONFIG_ACCOUNT, NULL, NULL,
	  "IMAP port; default 993 with tls = implicit, 143 with tls = starttls." },
	{ "imap_user", CONFIG_STRING, CONFIG_ACCOUNT, NULL, NULL,
	  "IMAP (and POP3) login name." },
	{ "pop3_host", CONFIG_STRING, CONFIG_ACCOUNT, NULL, NULL,
	  "POP3 server host name; mail is downloaded into maildir." },
	{ "pop3_port", CONFIG_INT, CONFIG_ACCOUNT, NULL, NULL,
	  "POP3 port; default 995 with tls = implicit, 110 with tls = starttls." },
	{ "smtp_host", CONFIG_STRING, CONFIG_ACCOUNT, NULL, NULL,
	  "SMTP submission server host name." },
	{ "smtp_port", CONFIG_INT, CONFIG_ACCOUNT, NULL, NULL,
	  "SMTP submission port; default 465 with tls = implicit, 587 with tls = starttls." },
	{ "smtp_user", CONFIG_STRING, CONFIG_ACCOUNT, NULL, NULL,
	  "SMTP login name; default imap_user." },
	{ "smtp_tls", CONFIG_ENUM, CONFIG_ACCOUNT, "auto", "auto|implicit|starttls",
	  "TLS of the SMTP submission: implicit (465), starttls (587, required), or auto: as tls." },
	{ "maildir", CONFIG_PATH, CONFIG_ACCOUNT, NULL, NULL,
	  "Local Maildir of the account (the mailbox itself, or where POP3 mail goes)." },
	{ "tls", CONFIG_ENUM, CONFIG_ACCOUNT, "implicit", "implicit|starttls",
	  "implicit: TLS from the first byte; starttls: STARTTLS, required (never plaintext)." },
	{ "password_command", CONFIG_STRING, CONFIG_ACCOUNT, NULL, NULL,
	  "Command whose first output line is the password; passwords are never stored in this file." },
	{ "trusted_cert_sha256", CONFIG_STRING, CONFIG_ACCOUNT, NULL, NULL,
	  "SHA-256 fingerprint of a server certificate accepted although it does not verify." },
	{ "ca_file", CONFIG_PATH, CONFIG_ACCOUNT, NULL, NULL,
	  "Extra CA certificates (PEM) trusted for this account, besides the system store." },
	{ "auth", CONFIG_ENUM, CONFIG_ACCOUNT, "auto", "auto|login|plain|xoauth2|oauthbearer",
	  "How to log in: auto (PLAIN if offered, else LOGIN), or one mechanism." },
	{ "oauth_token_command", CONFIG_STRING, CONFIG_ACCOUNT, NULL, NULL,
	  "Command whose first output line is an OAuth 2 access token (auth = xoauth2 or oauthbearer)." },
	{ "pop3_keep", CONFIG_BOOL, CONFIG_ACCOUNT, "yes", NULL,
	  "Leave downloaded messages on the POP3 server (see pop3_keep_days)." },
	{ "pop3_keep_days", CONFIG_INT, CONFIG_ACCOUNT, "0", NULL,
	  "With pop3_keep, delete a message from the server this many days after download; 0 keeps it." },
	{ "pop3_max_size", CONFIG_INT, CONFIG_ACCOUNT, "104857600", NULL,
	  "Skip (and report) POP3 messages larger than this many bytes; they stay on the server." },
	{ "pop3_apop", CONFIG_BOOL, CONFIG_ACCOUNT, "no", NULL,
	  "Log in to POP3 with APOP (weak: MD5 of a shared secret) instead of PASS or AUTH PLAIN." },
	{ "imap_keepalive", CONFIG_INT, CONFIG_ACCOUNT, "120", NULL,
	  "Seconds between checks that an idle IMAP connection still answers (DONE must come back within 6 s)." },
	{ "fetch_interval", CONFIG_INT, CONFIG_BOTH, "300", NULL,
	  "Seconds between automatic checks for new mail (POP3 download, IMAP poll); 0 turns them off." },
};

struct range {
	const char *name;
	long min, max;
};
static const struct range ranges[] = {
	{ "wrap", 0, 10000 },
	{ "imap_port", 1, 65535 },
	{ "pop3_port", 1, 65535 },
	{ "smtp_port", 1, 65535 },
	{ "pop3_keep_days", 0, 36500 },
	{ "pop3_max_size", 0, 1L << 30 },
	{ "imap_keepalive", 1, 1500 },
	{ "fetch_interval", 0, 86400 },
	{ "dns_timeout", 1, 120 },
	{ "hashcash_bits", 0, 40 },
};

struct cval {
	char *value;
	char *origin;
	bool override; /* from -o: a file read later does not replace it */
};

struct account {
	char *name;
	char *origin;
	struct cval *v; /* one per def */
};

struct config {
	struct cval *g;
	char **dflt; /* defaults with paths expanded */
	struct account *acc;
	size_t nacc;
	char **errs;
	size_t nerr, nerr_total;
	bool no_source;
};

#define NDEFS ARRAY_SIZE(defs)

const struct config_def *config_defs(size_t *n)
{
	if (n != NULL)
		*n = NDEFS;
	return defs;
}

static int def_index(const char *name)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (strcmp(defs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ---- small helpers ---- */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[MAX_NAME + 1], cur[MAX_NAME + 1];

	if (la > MAX_NAME || lb > MAX_NAME)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
			                            tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t m = sub < del ? sub : del;

			cur[j] = m < ins ? m : ins;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

/* The known name closest to `name`, when it is close enough to be a typo. */
static const char *suggest(const char *name, const char *const *extra)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX, len = strlen(name);
	size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;

	for (size_t i = 0; i < NDEFS; i++) {
		size_t d = edit_distance(name, defs[i].name);

		if (d < bestd) {
			bestd = d;
			best = defs[i].name;
		}
	}
	for (; extra != NULL && *extra != NULL; extra++) {
		size_t d = edit_distance(name, *extra);

		if (d < bestd) {
			bestd = d;
			best = *extra;
		}
	}
	return bestd <= limit ? best : NULL;
}

/* Names are echoed in messages only when they look like names, so a
 * secret typed in the wrong place never ends up on the screen. */
static bool printable_name(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return n > 0 && n <= 40;
}

static bool valid_account_name(const char *s)
{
	size_t n = 0;

	if (s[0] == '.' || s[0] == '-')
		return false;
	for (; *s; s++, n++)
		if (!(isalnum((unsigned char)*s) || strchr("_-.@+", *s) != NULL))
			return false;
	return n > 0 && n <= MAX_NAME;
}

static void add_error(struct config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_error(struct config *cfg, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;

	cfg->nerr_total++;
	if (cfg->nerr >= MAX_ERRORS)
		return;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	cfg->errs = xreallocarray(cfg->errs, cfg->nerr + 1, sizeof(char *));
	cfg->errs[cfg->nerr++] = buf_detach(&b, NULL);
}

/* Fill err with the first error recorded since `mark`. */
static int report_since(const struct config *cfg, size_t mark_total, size_t mark,
                        char *err, size_t errlen)
{
	size_t n = cfg->nerr_total - mark_total;

	if (n == 0)
		return WARY_OK;
	if (mark < cfg->nerr) {
		if (n > 1)
			return err_set(err, errlen, WARY_EPARSE, "%s (and %zu more)", cfg->errs[mark], n - 1);
		return err_set(err, errlen, WARY_EPARSE, "%s", cfg->errs[mark]);
	}
	return err_set(err, errlen, WARY_EPARSE, "%zu configuration errors", n);
}

/* ---- path expansion ---- */

static const char *home_dir(void)
{
	const char *h = getenv("HOME");

	return h != NULL && h[0] == '/' ? h : NULL;
}

/* $XDG_* with the fallbacks of the XDG base directory spec. */
static bool xdg_value(const char *var, struct buf *out)
{
	static const struct {
		const char *var, *fallback;
	} xdg[] = {
		{ "XDG_CONFIG_HOME", ".config" },
		{ "XDG_CACHE_HOME", ".cache" },
		{ "XDG_DATA_HOME", ".local/share" },
		{ "XDG_STATE_HOME", ".local/state" },
		{ "XDG_RUNTIME_DIR", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(xdg); i++) {
		const char *v, *h;

		if (strcmp(var, xdg[i].var) != 0)
			continue;
		v = getenv(var);
		if (v != NULL && v[0] == '/') {
			buf_adds(out, v);
			return true;
		}
		h = home_dir();
		if (xdg[i].fallback == NULL || h == NULL)
			return false;
		buf_addf(out, "%s/%s", h, xdg[i].fallback);
		return true;
	}
	return false;
}

/* Expand ~ and $HOME / $XDG_* (also as ${...}); anything else that looks
 * like a variable is an error, so a path never silently keeps a literal
 * "$FOO". */
static int expand_path(const char *in, const char *base_dir, const char *words,
                       char **out, char *msg, size_t msglen)
{
	struct buf b = BUF_INIT;
	const char *p = in;
	int rc = WARY_OK;

	buf_init(&b);
	if (words != NULL) {
		size_t len = strlen(in);

		for (const char *w = words; *w;) {
			const char *bar = strchr(w, '|');
			size_t wl = bar ? (size_t)(bar - w) : strlen(w);

			if (wl == len && strncmp(w, in, len) == 0) {
				*out = xstrdup(in);
				return WARY_OK;
			}
			w += wl + (bar != NULL);
		}
	}
	if (p[0] == '~') {
		const char *h = home_dir();

		if (p[1] != '\0' && p[1] != '/') {
			rc = err_set(msg, msglen, WARY_EPARSE, "~user paths are not supported");
			goto out;
		}
		if (h == NULL) {
			rc = err_set(msg, msglen, WARY_EPARSE, "~ used but $HOME is not set");
			goto out;
		}
		buf_adds(&b, h);
		p++;
	}
	while (*p) {
		if (*p == '$' && (isalpha((unsigned char)p[1]) || p[1] == '_' || p[1] == '{')) {
			char var[64];
			size_t n = 0;
			bool brace = p[1] == '{';
			const char *q = p + 1 + brace;

			while ((isalnum((unsigned char)*q) || *q == '_') && n < sizeof(var) - 1)
				var[n++] = *q++;
			var[n] = '\0';
			if (brace) {
				if (*q != '}') {
					rc = err_set(msg, msglen, WARY_EPARSE, "unterminated ${ in path");
					goto out;
				}
				q++;
			}
			if (strcmp(var, "HOME") == 0) {
				const char *h = home_dir();

				if (h == NULL) {
					rc = err_set(msg, msglen, WARY_EPARSE, "$HOME is not set");
					goto out;
				}
				buf_adds(&b, h);
			} else if (str_starts_with(var, "XDG_")) {
				if (!xdg_value(var, &b)) {
					rc = err_set(msg, msglen, WARY_EPARSE, "$%s is not set", var);
					goto out;
				}
			} else {
				rc = err_set(msg, msglen, WARY_EPARSE,
				             "only $HOME and $XDG_* are expanded in paths, not $%s",
				             printable_name(var) ? var : "...");
				goto out;
			}
			p = q;
			continue;
		}
		buf_addch(&b, *p++);
	}
	if (words != NULL && strchr(b.data, '/') == NULL) {
		rc = err_set(msg, msglen, WARY_EPARSE, "not a builtin name (%s) nor a path", words);
		goto out;
	}
	if (b.data[0] != '/' && base_dir != NULL) {
		char *rel = buf_detach(&b, NULL);

		buf_addf(&b, "%s/%s", base_dir, rel);
		free(rel);
	}
	*out = buf_detach(&b, NULL);
out:
	buf_release(&b);
	return rc;
}

/* ---- values ---- */

static bool parse_bool(const char *s, bool *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (str_casecmp(s, yes[i]) == 0) {
			*v = true;
			return true;
		}
		if (str_casecmp(s, no[i]) == 0) {
			*v = false;
			return true;
		}
	}
	return false;
}

static bool choice_ok(const char *choices, const char *s)
{
	size_t len = strlen(s);

	for (const char *w = choices; *w;) {
		const char *bar = strchr(w, '|');
		size_t wl = bar ? (size_t)(bar - w) : strlen(w);

		if (wl == len && strncmp(w, s, len) == 0)
			return true;
		w += wl + (bar != NULL);
	}
	return false;
}

static bool is_hex_fingerprint(const char *s, struct buf *norm)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s))
			return false;
		buf_addch(norm, tolower((unsigned char)*s));
		n++;
	}
	return n == 64;
}

/* Check and normalise one value; *out is the value to store. */
static int check_value(const struct config_def *d, const char *raw, const char *base_dir,
                       char **out, char *msg, size_t msglen)
{
	size_t len = strlen(raw);

	if (len > MAX_VALUE)
		return err_set(msg, msglen, WARY_ELIMIT, "value of %s is longer than %d bytes",
		               d->name, MAX_VALUE);
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return err_set(msg, msglen, WARY_EPARSE, "control character in the value of %s",
			               d->name);
	switch (d->type) {
	case CONFIG_BOOL: {
		bool v;

		if (!parse_bool(raw, &v))
			return err_set(msg, msglen, WARY_EPARSE,
			               "%s is a yes/no setting, not \"%.40s\"", d->name, raw);
		*out = xstrdup(v ? "yes" : "no");
		return WARY_OK;
	}
	case CONFIG_INT: {
		long v, min = LONG_MIN, max = LONG_MAX;
		char *end;

		for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
			if (strcmp(ranges[i].name, d->name) == 0) {
				min = ranges[i].min;
				max = ranges[i].max;
			}
		errno = 0;
		v = strtol(raw, &end, 10);
		if (raw[0] == '\0' || isspace((unsigned char)raw[0]) || raw[0] == '+' || *end != '\0' ||
		    errno == ERANGE)
			return err_set(msg, msglen, WARY_EPARSE, "%s wants a number, not \"%.40s\"",
			               d->name, raw);
		if (v < min || v > max)
			return err_set(msg, msglen, WARY_EPARSE, "%s must be between %ld and %ld, not %ld",
			               d->name, min, max, v);
		*out = xasprintf("%ld", v);
		return WARY_OK;
	}
	case CONFIG_ENUM:
		if (!choice_ok(d->choices, raw))
			return err_set(msg, msglen, WARY_EPARSE, "%s must be one of %s, not \"%.40s\"",
			               d->name, d->choices, raw);
		*out = xstrdup(raw);
		return WARY_OK;
	case CONFIG_PATH: {
		char sub[WARY_ERRLEN];
		int rc;

		if (raw[0] == '\0')
			return err_set(msg, msglen, WARY_EPARSE, "%s wants a path, not an empty value",
			               d->name);
		rc = expand_path(raw, base_dir, d->choices, out, sub, sizeof(sub));
		if (rc != WARY_OK)
			return err_set(msg, msglen, rc, "%s: %s", d->name, sub);
		return WARY_OK;
	}
	case CONFIG_STRING:
		if (strcmp(d->name, "trusted_cert_sha256") == 0) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			if (!is_hex_fingerprint(raw, &b)) {
				buf_release(&b);
				return err_set(msg, msglen, WARY_EPARSE,
				               "trusted_cert_sha256 wants 64 hex digits (colons allowed)");
			}
			*out = buf_detach(&b, NULL);
			return WARY_OK;
		}
		*out = xstrdup(raw);
		return WARY_OK;
	}
	return err_set(msg, msglen, WARY_ERR, "bad setting type");
}

static void cval_set(struct cval *c, char *value, const char *origin, bool override)
{
	free(c->value);
	free(c->origin);
	c->value = value;
	c->origin = xstrdup(origin);
	c->override = override;
}

static void cvals_free(struct cval *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < NDEFS; i++) {
		free(v[i].value);
		free(v[i].origin);
	}
	free(v);
}

static struct account *find_account(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nacc; i++)
		if (strcmp(cfg->acc[i].name, name) == 0)
			return &cfg->acc[i];
	return NULL;
}

static struct account *add_account(struct config *cfg, const char *name, const char *origin)
{
	struct account *a;

	cfg->acc = xreallocarray(cfg->acc, cfg->nacc + 1, sizeof(*cfg->acc));
	a = &cfg->acc[cfg->nacc++];
	a->name = xstrdup(name);
	a->origin = xstrdup(origin);
	a->v = xcalloc(NDEFS, sizeof(struct cval));
	return a;
}

/* Set `name` in the global scope (vals == cfg->g) or an account's. */
static int assign(struct config *cfg, struct cval *vals, bool in_account, const char *acc_name,
                  const char *name, const char *raw, const char *base_dir, const char *origin,
                  bool override, char *msg, size_t msglen)
{
	int i = def_index(name);
	char *value = NULL;
	int rc;

	if (i < 0) {
		const char *s = suggest(name, NULL);

		if (!printable_name(name))
			return err_set(msg, msglen, WARY_ENOENT, "unknown setting");
		if (s != NULL)
			return err_set(msg, msglen, WARY_ENOENT,
			               "unknown setting '%s'; did you mean '%s'?", name, s);
		return err_set(msg, msglen, WARY_ENOENT, "unknown setting '%s'", name);
	}
	if (in_account && !(defs[i].scope & CONFIG_ACCOUNT))
		return err_set(msg, msglen, WARY_EPARSE,
		               "%s is a global setting; it is not allowed inside account '%s'",
		               name, acc_name);
	if (!in_account && !(defs[i].scope & CONFIG_GLOBAL))
		return err_set(msg, msglen, WARY_EPARSE,
		               "%s is an account setting; put it inside an account { } block", name);
	rc = check_value(&defs[i], raw, base_dir, &value, msg, msglen);
	if (rc != WARY_OK)
		return rc;
	if (vals[i].override && !override) {
		free(value); /* -o wins over the file, whatever the order */
		return WARY_OK;
	}
	cval_set(&vals[i], value, origin, override);
	return WARY_OK;
}

/* ---- lifecycle ---- */

struct config *config_new(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->g = xcalloc(NDEFS, sizeof(struct cval));
	cfg->dflt = xcalloc(NDEFS, sizeof(char *));
	for (size_t i = 0; i < NDEFS; i++) {
		char msg[WARY_ERRLEN];

		if (defs[i].def == NULL)
			continue;
		if (defs[i].type != CONFIG_PATH ||
		    expand_path(defs[i].def, NULL, defs[i].choices, &cfg->dflt[i], msg,
		                sizeof(msg)) != WARY_OK)
			cfg->dflt[i] = xstrdup(defs[i].def);
	}
	return cfg;
}

void config_free(struct config **pcfg)
{
	struct config *cfg = pcfg ? *pcfg : NULL;

	if (cfg == NULL)
		return;
	cvals_free(cfg->g);
	for (size_t i = 0; i < NDEFS; i++)
		free(cfg->dflt[i]);
	free(cfg->dflt);
	for (size_t i = 0; i < cfg->nacc; i++) {
		free(cfg->acc[i].name);
		free(cfg->acc[i].origin);
		cvals_free(cfg->acc[i].v);
	}
	free(cfg->acc);
	for (size_t i = 0; i < cfg->nerr; i++)
		free(cfg->errs[i]);
	free(cfg->errs);
	free(cfg);
	*pcfg = NULL;
}

void config_set_source_allowed(struct config *cfg, bool allowed)
{
	cfg->no_source = !allowed;
}

size_t config_error_count(const struct config *cfg)
{
	return cfg->nerr_total;
}

char *config_default_path(void)
{
	char *dir = fs_xdg_dir(FS_XDG_CONFIG);
	char *p = xasprintf("%s/config", dir);

	free(dir);
	return p;
}

/* ---- the parser ---- */

struct parser {
	struct config *cfg;
	const char *path; /* as shown in messages */
	char *dir;        /* for relative paths and `source` */
	const char *p, *end;
	int line;
	int depth;
	struct account *acc; /* inside account { } */
	struct account scratch; /* a duplicate account's block goes here */
	bool in_block;
	int block_line;
};

static int load_text(struct config *cfg, const char *path, const char *text, size_t len,
                     int depth);

static void perr(struct parser *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void perr(struct parser *ps, int line, const char *fmt, ...)
{
	char msg[WARY_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	add_error(ps->cfg, "%s:%d: %s", ps->path, line, msg);
}

/* Skip spaces, tabs and a comment, not the newline. */
static void skip_blank(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r'))
		ps->p++;
	if (ps->p < ps->end && *ps->p == '#')
		while (ps->p < ps->end && *ps->p != '\n')
			ps->p++;
}

static void skip_line(struct parser *ps)
{
	while (ps->p < ps->end && *ps->p != '\n')
		ps->p++;
}

static bool at_eol(const struct parser *ps)
{
	return ps->p >= ps->end || *ps->p == '\n';
}

/* A word: letters, digits and _-.@+ (setting names, account names). */
static size_t read_word(struct parser *ps, char *out, size_t outlen)
{
	size_t n = 0, total = 0;

	while (ps->p < ps->end &&
	       (isalnum((unsigned char)*ps->p) || strchr("_-.@+", *ps->p) != NULL) && *ps->p) {
		if (n + 1 < outlen)
			out[n++] = *ps->p;
		ps->p++;
		total++;
	}
	out[n] = '\0';
	return total;
}

/* A value: "quoted with \" and \\" or a bare word up to white space, #,
 * { or }.  Returns false (after reporting) on a malformed value. */
static bool read_value(struct parser *ps, struct buf *v)
{
	buf_reset(v);
	if (ps->p < ps->end && *ps->p == '"') {
		ps->p++;
		for (;;) {
			if (ps->p >= ps->end || *ps->p == '\n') {
				perr(ps, ps->line, "unterminated quoted value");
				return false;
			}
			if (*ps->p == '"') {
				ps->p++;
				return true;
			}
			if (*ps->p == '\\') {
				char c = ps->p + 1 < ps->end ? ps->p[1] : '\0';

				if (c != '"' && c != '\\') {
					perr(ps, ps->line, "unknown escape in quoted value (only \\\" and \\\\)");
					return false;
				}
				buf_addch(v, c);
				ps->p += 2;
				continue;
			}
			if (v->len > MAX_VALUE) {
				perr(ps, ps->line, "value longer than %d bytes", MAX_VALUE);
				return false;
			}
			buf_addch(v, *ps->p++);
		}
	}
	while (ps->p < ps->end && strchr(" \t\r\n#{}\"", *ps->p) == NULL) {
		if (v->len > MAX_VALUE) {
			perr(ps, ps->line, "value longer than %d bytes", MAX_VALUE);
			return false;
		}
		/* ${VAR} in a bare path: its braces are not block braces */
		if (*ps->p == '$' && ps->p + 1 < ps->end && ps->p[1] == '{') {
			const char *close = memchr(ps->p, '}', (size_t)(ps->end - ps->p));
			const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));

			if (close != NULL && (nl == NULL || close < nl)) {
				buf_add(v, ps->p, (size_t)(close + 1 - ps->p));
				ps->p = close + 1;
				continue;
			}
		}
		buf_addch(v, *ps->p++);
	}
	if (v->len == 0) {
		perr(ps, ps->line, "missing value");
		return false;
	}
	return true;
}

/* After a statement only a comment, a newline or a } may follow. */
static bool end_of_statement(struct parser *ps, const char *what)
{
	skip_blank(ps);
	if (at_eol(ps) || *ps->p == '}')
		return true;
	perr(ps, ps->line, "unexpected text after %s (quote values that hold spaces)", what);
	return false;
}

static bool parse_set(struct parser *ps)
{
	char name[MAX_NAME + 2], msg[WARY_ERRLEN];
	struct buf v = BUF_INIT;
	bool ok = false;
	size_t n;
	int line = ps->line;

	buf_init(&v);
	skip_blank(ps);
	n = read_word(ps, name, sizeof(name));
	if (n == 0) {
		perr(ps, line, "set: missing setting name");
		goto out;
	}
	if (n > MAX_NAME) {
		perr(ps, line, "unknown setting (name too long)");
		goto out;
	}
	skip_blank(ps);
	if (ps->p < ps->end && *ps->p == '=') {
		ps->p++;
		skip_blank(ps);
		if (!read_value(ps, &v))
			goto out;
	} else if (at_eol(ps) || *ps->p == '}') {
		/* `set sidebar` alone means yes, as in mutt */
		int i = def_index(name);

		if (i >= 0 && defs[i].type != CONFIG_BOOL) {
			perr(ps, line, "set %s: missing '= value'", name);
			goto out;
		}
		buf_adds(&v, "yes");
	} else {
		perr(ps, line, "set %s: expected '=' after the name", printable_name(name) ? name : "...");
		goto out;
	}
	if (!end_of_statement(ps, "the value"))
		goto out;
	{
		char origin[PATH_MAX + 32];
		struct account *a = ps->in_block ? ps->acc : NULL;

		snprintf(origin, sizeof(origin), "%s:%d", ps->path, line);
		if (assign(ps->cfg, a ? a->v : ps->cfg->g, ps->in_block, a ? a->name : NULL, name,
		           v.data, ps->dir, origin, false, msg, sizeof(msg)) != WARY_OK) {
			perr(ps, line, "%s", msg);
			goto out;
		}
	}
	ok = true;
out:
	buf_release(&v);
	return ok;
}

static bool parse_account(struct parser *ps)
{
	char name[MAX_NAME + 2], origin[PATH_MAX + 32];
	size_t n;
	int line = ps->line;
	struct account *a;

	if (ps->in_block) {
		perr(ps, line, "account blocks cannot be nested (account opened at line %d)",
		     ps->block_line);
		return false;
	}
	skip_blank(ps);
	if (ps->p < ps->end && *ps->p == '"') {
		struct buf v = BUF_INIT;

		buf_init(&v);
		if (!read_value(ps, &v)) {
			buf_release(&v);
			return false;
		}
		str_copy(name, v.data, sizeof(name));
		n = v.len;
		buf_release(&v);
	} else {
		n = read_word(ps, name, sizeof(name));
	}
	if (n == 0) {
		perr(ps, line, "account: missing name");
		return false;
	}
	if (n > MAX_NAME || !valid_account_name(name) ||
	    (ps->p < ps->end && strchr(" \t\r\n{#", *ps->p) == NULL)) {
		perr(ps, line, "account name must be 1-%d letters, digits or _-.@+", MAX_NAME);
		return false;
	}
	/* The brace may stand on the next line. */
	for (;;) {
		skip_blank(ps);
		if (ps->p < ps->end && *ps->p == '\n') {
			ps->p++;
			ps->line++;
			continue;
		}
		break;
	}
	if (ps->p >= ps->end || *ps->p != '{') {
		perr(ps, line, "account %s: expected '{'", name);
		return false;
	}
	ps->p++;
	snprintf(origin, sizeof(origin), "%s:%d", ps->path, line);
	a = find_account(ps->cfg, name);
	if (a != NULL && a->origin != NULL && strcmp(a->origin, "-o") != 0) {
		perr(ps, line, "duplicate account '%s' (first defined at %s)", name, a->origin);
		/* Read the block anyway so its own errors are reported. */
		ps->scratch.name = xstrdup(name);
		ps->scratch.origin = xstrdup(origin);
		ps->scratch.v = xcalloc(NDEFS, sizeof(struct cval));
		a = &ps->scratch;
	} else if (a != NULL) {
		free(a->origin); /* created by -o before the file was read */
		a->origin = xstrdup(origin);
	} else if (ps->cfg->nacc >= MAX_ACCOUNTS) {
		perr(ps, line, "more than %d accounts", MAX_ACCOUNTS);
		ps->scratch.name = xstrdup(name);
		ps->scratch.origin = xstrdup(origin);
		ps->scratch.v = xcalloc(NDEFS, sizeof(struct cval));
		a = &ps->scratch;
	} else {
		a = add_account(ps->cfg, name, origin);
	}
	ps->acc = a;
	ps->in_block = true;
	ps->block_line = line;
	return true;
}

static void close_block(struct parser *ps)
{
	if (ps->acc == &ps->scratch) {
		free(ps->scratch.name);
		free(ps->scratch.origin);
		cvals_free(ps->scratch.v);
		memset(&ps->scratch, 0, sizeof(ps->scratch));
	}
	ps->acc = NULL;
	ps->in_block = false;
}

static bool parse_source(struct parser *ps)
{
	struct buf v = BUF_INIT, text = BUF_INIT;
	char msg[WARY_ERRLEN], *path = NULL;
	int line = ps->line, rc;
	bool ok = false;
	static const struct config_def source_def = { "source", CONFIG_PATH, CONFIG_GLOBAL,
		                                      NULL, NULL, NULL };

	buf_init(&v);
	buf_init(&text);
	skip_blank(ps);
	if (!read_value(ps, &v) || !end_of_statement(ps, "the path"))
		goto out;
	if (ps->in_block) {
		perr(ps, line, "source is not allowed inside an account block");
		goto out;
	}
	if (ps->cfg->no_source) {
		perr(ps, line, "source is disabled here");
		goto out;
	}
	if (ps->depth + 1 >= MAX_DEPTH) {
		perr(ps, line, "source nested more than %d deep (a loop?)", MAX_DEPTH);
		goto out;
	}
	if (check_value(&source_def, v.data, ps->dir, &path, msg, sizeof(msg)) != WARY_OK) {
		perr(ps, line, "%s", msg);
		goto out;
	}
	rc = fs_read_file(path, &text, MAX_FILE, msg, sizeof(msg));
	if (rc != WARY_OK) {
		perr(ps, line, "source: %s", msg);
		goto out;
	}
	if (memchr(text.data, '\0', text.len) != NULL) {
		perr(ps, line, "source: %s holds a NUL byte; not a config file", path);
		goto out;
	}
	load_text(ps->cfg, path, text.data, text.len, ps->depth + 1);
	ok = true;
out:
	free(path);
	buf_release(&v);
	buf_release(&text);
	return ok;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return NULL; /* relative to the working directory */
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int load_text(struct config *cfg, const char *path, const char *text, size_t len,
                     int depth)
{
	struct parser ps;
	static const char *const commands[] = { "set", "account", "source", NULL };

	memset(&ps, 0, sizeof(ps));
	ps.cfg = cfg;
	ps.path = path;
	ps.dir = dir_of(path);
	ps.p = text;
	ps.end = text + len;
	ps.line = 1;
	ps.depth = depth;
	while (ps.p < ps.end) {
		char word[MAX_NAME + 2];
		size_t n;
		bool ok;

		skip_blank(&ps);
		if (ps.p >= ps.end)
			break;
		if (*ps.p == '\n') {
			ps.p++;
			ps.line++;
			continue;
		}
		if (*ps.p == '}') {
			ps.p++;
			if (!ps.in_block)
				perr(&ps, ps.line, "'}' without an open account block");
			else
				close_block(&ps);
			skip_blank(&ps);
			if (!at_eol(&ps) && *ps.p != '}') {
				perr(&ps, ps.line, "unexpected text after '}'");
				skip_line(&ps);
			}
			continue;
		}
		n = read_word(&ps, word, sizeof(word));
		if (n == 0) {
			perr(&ps, ps.line, "expected set, account, source or '}'");
			ok = false;
		} else if (strcmp(word, "set") == 0) {
			ok = parse_set(&ps);
		} else if (strcmp(word, "account") == 0) {
			/* a statement may follow the { on the same line */
			if (parse_account(&ps))
				continue;
			ok = false;
		} else if (strcmp(word, "source") == 0) {
			ok = parse_source(&ps);
		} else {
			const char *s = n <= MAX_NAME ? suggest(word, commands) : NULL;

			if (s != NULL && def_index(s) >= 0)
				perr(&ps, ps.line, "unknown command; did you mean 'set %s = ...'?", s);
			else if (s != NULL)
				perr(&ps, ps.line, "unknown command; did you mean '%s'?", s);
			else
				perr(&ps, ps.line, "unknown command (expected set, account, source or '}')");
			ok = false;
		}
		if (!ok) {
			skip_line(&ps);
			continue;
		}
		/* a } may close the block on the same line as a set */
		skip_blank(&ps);
		if (ps.p < ps.end && *ps.p == '}')
			continue;
		if (!at_eol(&ps)) {
			perr(&ps, ps.line, "unexpected text");
			skip_line(&ps);
		}
	}
	if (ps.in_block) {
		perr(&ps, ps.block_line, "account '%s' is not closed with '}'", ps.acc->name);
		close_block(&ps);
	}
	free(ps.dir);
	return WARY_OK;
}

int config_load_string(struct config *cfg, const char *name, const char *text,
                       char *err, size_t errlen)
{
	size_t mark_total = cfg->nerr_total, mark = cfg->nerr;
	size_t len = strlen(text);

	if (len > MAX_FILE) {
		add_error(cfg, "%s: larger than %d bytes; not a config file", name, MAX_FILE);
		return report_since(cfg, mark_total, mark, err, errlen);
	}
	load_text(cfg, name, text, len, 0);
	return report_since(cfg, mark_total, mark, err, errlen);
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct buf text = BUF_INIT;
	char msg[WARY_ERRLEN];
	size_t mark_total = cfg->nerr_total, mark = cfg->nerr;
	int rc;

	buf_init(&text);
	rc = fs_read_file(path, &text, MAX_FILE, msg, sizeof(msg));
	if (rc == WARY_ENOENT) {
		err_set(err, errlen, WARY_ENOENT, "%s", msg);
		goto out;
	}
	if (rc != WARY_OK) {
		add_error(cfg, "%s", msg);
		rc = report_since(cfg, mark_total, mark, err, errlen);
		goto out;
	}
	if (memchr(text.data, '\0', text.len) != NULL) {
		add_error(cfg, "%s: holds a NUL byte; not a config file", path);
		rc = report_since(cfg, mark_total, mark, err, errlen);
		goto out;
	}
	load_text(cfg, path, text.data, text.len, 0);
	rc = report_since(cfg, mark_total, mark, err, errlen);
out:
	buf_release(&text);
	return rc;
}

/* Undo "quoted" with \" and \\ escapes, the whole of s. */
static bool unquote(const char *s, struct buf *out)
{
	if (*s++ != '"')
		return false;
	for (; *s && *s != '"'; s++) {
		if (*s == '\\') {
			if (s[1] != '"' && s[1] != '\\')
				return false;
			s++;
		}
		buf_addch(out, *s);
	}
	return *s == '"' && s[1] == '\0';
}

int config_override(struct config *cfg, const char *assignment, char *err, size_t errlen)
{
	char msg[WARY_ERRLEN], *lhs = NULL, *val = NULL;
	const char *eq = strchr(assignment, '=');
	struct account *a = NULL;
	const char *name;
	int rc;

	if (eq == NULL) {
		rc = err_set(msg, sizeof(msg), WARY_EPARSE, "-o: expected name=value");
		goto fail;
	}
	lhs = xstrndup(assignment, (size_t)(eq - assignment));
	str_trim(lhs);
	val = xstrdup(eq + 1);
	str_trim(val);
	if (val[0] == '"') {
		/* Quoted as in the file, for values with leading spaces. */
		struct buf v = BUF_INIT;

		buf_init(&v);
		if (!unquote(val, &v)) {
			buf_release(&v);
			rc = err_set(msg, sizeof(msg), WARY_EPARSE,
			             "-o: malformed quoted value (only \\\" and \\\\ escapes)");
			goto fail;
		}
		free(val);
		val = buf_detach(&v, NULL);
	}
	name = lhs;
	if (str_starts_with(lhs, "account.")) {
		char *acc = lhs + strlen("account.");
		char *dot = strrchr(acc, '.');

		if (dot == NULL || dot == acc) {
			rc = err_set(msg, sizeof(msg), WARY_EPARSE,
			             "-o: expected account.NAME.setting=value");
			goto fail;
		}
		*dot = '\0';
		name = dot + 1;
		if (!valid_account_name(acc)) {
			rc = err_set(msg, sizeof(msg), WARY_EPARSE, "-o: bad account name");
			goto fail;
		}
		a = find_account(cfg, acc);
		if (a == NULL) {
			if (cfg->nacc >= MAX_ACCOUNTS) {
				rc = err_set(msg, sizeof(msg), WARY_ELIMIT, "-o: too many accounts");
				goto fail;
			}
			a = add_account(cfg, acc, "-o");
		}
	}
	{
		char sub[WARY_ERRLEN];

		rc = assign(cfg, a ? a->v : cfg->g, a != NULL, a ? a->name : NULL, name, val, NULL,
		            "-o", true, sub, sizeof(sub));
		if (rc != WARY_OK) {
			err_set(msg, sizeof(msg), rc, "-o: %s", sub);
			goto fail;
		}
	}
	goto out;
fail:
	add_error(cfg, "%s", msg);
	err_set(err, errlen, rc, "%s", msg);
out:
	free(lhs);
	free(val);
	return rc;
}

/* ---- queries ---- */

static const char *global_value(const struct config *cfg, int i)
{
	return cfg->g[i].value != NULL ? cfg->g[i].value : cfg->dflt[i];
}

const char *config_get(const struct config *cfg, const char *name)
{
	int i = def_index(name);

	if (i < 0 || !(defs[i].scope & CONFIG_GLOBAL))
		return NULL;
	return global_value(cfg, i);
}

bool config_get_bool(const struct config *cfg, const char *name)
{
	const char *v = config_get(cfg, name);

	return v != NULL && strcmp(v, "yes") == 0;
}

long config_get_int(const struct config *cfg, const char *name)
{
	const char *v = config_get(cfg, name);

	return v != NULL ? strtol(v, NULL, 10) : 0;
}

size_t config_account_count(const struct config *cfg)
{
	return cfg->nacc;
}

const char *config_account_name(const struct config *cfg, size_t i)
{
	return i < cfg->nacc ? cfg->acc[i].name : NULL;
}

/* The standard port for a protocol under the account's tls mode. */
static const char *derived_port(const struct account *a, const char *name)
{
	int t = def_index("tls");
	bool starttls = a->v[t].value != NULL && strcmp(a->v[t].value, "starttls") == 0;

	if (strcmp(name, "imap_port") == 0)
		return starttls ? "143" : "993";
	if (strcmp(name, "pop3_port") == 0)
		return starttls ? "110" : "995";
	if (strcmp(name, "smtp_port") == 0)
		return starttls ? "587" : "465";
	return NULL;
}

const char *config_account_get(const struct config *cfg, const char *account, const char *name)
{
	const struct account *a = find_account(cfg, account);
	int i = def_index(name);
	const char *d;

	if (a == NULL || i < 0 || !(defs[i].scope & CONFIG_ACCOUNT))
		return NULL;
	if (a->v[i].value != NULL)
		return a->v[i].value;
	if (defs[i].scope & CONFIG_GLOBAL)
		return global_value(cfg, i);
	if (strcmp(name, "smtp_user") == 0)
		return config_account_get(cfg, account, "imap_user");
	d = derived_port(a, name);
	return d != NULL ? d : cfg->dflt[i];
}

bool config_account_get_bool(const struct config *cfg, const char *account, const char *name)
{
	const char *v = config_account_get(cfg, account, name);

	return v != NULL && strcmp(v, "yes") == 0;
}

long config_account_get_int(const struct config *cfg, const char *account, const char *name)
{
	const char *v = config_account_get(cfg, account, name);

	return v != NULL ? strtol(v, NULL, 10) : 0;
}

const char *config_origin(const struct config *cfg, const char *account, const char *name)
{
	int i = def_index(name);

	if (i < 0)
		return NULL;
	if (account != NULL) {
		const struct account *a = find_account(cfg, account);

		if (a == NULL || !(defs[i].scope & CONFIG_ACCOUNT))
			return NULL;
		if (a->v[i].value != NULL)
			return a->v[i].origin;
		if (strcmp(name, "smtp_user") == 0)
			return config_origin(cfg, account, "imap_user");
		if (!(defs[i].scope & CONFIG_GLOBAL))
			return "default";
	}
	if (!(defs[i].scope & CONFIG_GLOBAL))
		return NULL;
	return cfg->g[i].value != NULL ? cfg->g[i].origin : "default";
}

/* ---- check-config ---- */

static void report_value(struct buf *r, const char *indent, const struct config_def *d,
                         const char *v, const char *origin)
{
	buf_addf(r, "%s%s = ", indent, d->name);
	if (v == NULL) {
		buf_adds(r, "(unset)");
	} else if (strcmp(d->name, "password_command") == 0) {
		/* The command may carry a secret in its arguments: show only
		 * the program. */
		size_t n = strcspn(v, " \t");
		char *prog = xstrndup(v, n);
		char *safe = safe_str(prog, SAFE_LINE);

		buf_add_json_str(r, safe);
		if (v[n] != '\0')
			buf_adds(r, " (arguments hidden)");
		free(safe);
		free(prog);
	} else {
		char *safe = safe_str(v, SAFE_LINE);

		buf_add_json_str(r, safe);
		free(safe);
	}
	buf_addf(r, "   # %s\n", origin);
}

static bool port_is(const char *v, const char *const *ok)
{
	for (; *ok; ok++)
		if (strcmp(v, *ok) == 0)
			return true;
	return false;
}

int config_check(const struct config *cfg, struct buf *report)
{
	struct buf problems = BUF_INIT;
	size_t nerr = cfg->nerr_total, nwarn = 0;

	buf_init(&problems);
	for (size_t i = 0; i < cfg->nerr; i++) {
		char *safe = safe_str(cfg->errs[i], SAFE_LINE);

		buf_addf(&problems, "error: %s\n", safe);
		free(safe);
	}
	if (cfg->nerr_total > cfg->nerr)
		buf_addf(&problems, "error: ... and %zu more errors\n", cfg->nerr_total - cfg->nerr);

	for (size_t k = 0; k < cfg->nacc; k++) {
		const struct account *a = &cfg->acc[k];
		const char *n = a->name, *tls = config_account_get(cfg, n, "tls");
		static const char *const stls_ports[] = { "587", "110", "143", NULL };
		static const char *const plain_ports[] = { "587", "110", "143", "25", NULL };
		static const char *const ports[] = { "imap_port", "pop3_port", "smtp_port" };

		if (config_account_get(cfg, n, "imap_host") == NULL &&
		    config_account_get(cfg, n, "pop3_host") == NULL &&
		    config_account_get(cfg, n, "maildir") == NULL) {
			buf_addf(&problems,
			         "error: %s: account '%s' has neither imap_host nor pop3_host nor maildir\n",
			         a->origin, n);
			nerr++;
		}
		if (config_account_get(cfg, n, "pop3_host") != NULL &&
		    config_account_get(cfg, n, "maildir") == NULL) {
			buf_addf(&problems,
			         "error: %s: account '%s' uses POP3 but has no maildir to download into\n",
			         a->origin, n);
			nerr++;
		}
		for (size_t p = 0; p < ARRAY_SIZE(ports); p++) {
			int i = def_index(ports[p]);
			const char *v = a->v[i].value;

			if (v == NULL)
				continue;
			if (strcmp(tls, "starttls") == 0 && !port_is(v, stls_ports)) {
				buf_addf(&problems,
				         "warning: %s: account '%s': tls = starttls with %s %s (STARTTLS "
				         "ports are 587, 110 and 143)\n", a->v[i].origin, n, ports[p], v);
				nwarn++;
			} else if (strcmp(tls, "implicit") == 0 && port_is(v, plain_ports)) {
				buf_addf(&problems,
				         "warning: %s: account '%s': tls = implicit with %s %s, a STARTTLS "
				         "port; the connection will likely fail\n", a->v[i].origin, n,
				         ports[p], v);
				nwarn++;
			}
		}
		{
			const char *from = config_account_get(cfg, n, "from");

			if (config_account_get(cfg, n, "smtp_host") != NULL && from == NULL) {
				buf_addf(&problems, "warning: %s: account '%s' can send but has no from\n",
				         a->origin, n);
				nwarn++;
			}
			if (from != NULL && strchr(from, '@') == NULL) {
				buf_addf(&problems, "warning: %s: account '%s': from has no address\n",
				         config_origin(cfg, n, "from"), n);
				nwarn++;
			}
		}
	}

	buf_adds(report, "# global settings (value, then where it came from)\n");
	for (size_t i = 0; i < NDEFS; i++) {
		if (!(defs[i].scope & CONFIG_GLOBAL))
			continue;
		report_value(report, "", &defs[i], global_value(cfg, (int)i),
		             config_origin(cfg, NULL, defs[i].name));
	}
	for (size_t k = 0; k < cfg->nacc; k++) {
		const struct account *a = &cfg->acc[k];

		buf_addf(report, "\naccount %s {   # %s\n", a->name, a->origin);
		for (size_t i = 0; i < NDEFS; i++) {
			const char *v;

			if (!(defs[i].scope & CONFIG_ACCOUNT))
				continue;
			v = config_account_get(cfg, a->name, defs[i].name);
			if (v == NULL)
				continue;
			/* A derived port of a protocol the account does not use is noise. */
			if (str_starts_with(defs[i].name, "imap_port") ||
			    str_starts_with(defs[i].name, "pop3_port") ||
			    str_starts_with(defs[i].name, "smtp_port")) {
				char host[16];

				snprintf(host, sizeof(host), "%.4s_host", defs[i].name);
				if (config_account_get(cfg, a->name, host) == NULL &&
				    a->v[i].value == NULL)
					continue;
			}
			report_value(report, "    ", &defs[i], v,
			             config_origin(cfg, a->name, defs[i].name));
		}
		buf_adds(report, "}\n");
	}
	if (problems.len > 0) {
		buf_adds(report, "\n");
		buf_add(report, problems.data, problems.len);
	}
	buf_addf(report, "\n%zu error%s, %zu warning%s\n", nerr, nerr == 1 ? "" : "s", nwarn,
	         nwarn == 1 ? "" : "s");
	buf_release(&problems);
	return nerr == 0 ? WARY_OK : WARY_EPARSE;
}

/* ---- certificates the user chose to trust ---- */

char *config_trust_default_path(void)
{
	char *dir = fs_xdg_dir(FS_XDG_DATA);
	char *p = dir ? xasprintf("%s/trusted-certs", dir) : NULL;

	free(dir);
	return p;
}

int config_load_trust(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct buf text = BUF_INIT;
	int idx = def_index("trusted_cert_sha256");
	int rc, line = 0;
	const char *p, *end;

	rc = fs_read_file(path, &text, 1024 * 1024, err, errlen);
	if (rc != WARY_OK)
		goto out;
	for (p = text.data, end = text.data + text.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char lbuf[512], acc[128], fpr[160], host[256];
		struct account *a;
		struct buf norm = BUF_INIT;

		line++;
		if (n < sizeof(lbuf)) {
			memcpy(lbuf, p, n);
			lbuf[n] = '\0';
			/* "ACCOUNT SHA256 HOST"; anything else is skipped, the file
			 * is wary's own and a bad line must not stop the client. */
			if (lbuf[0] != '#' && sscanf(lbuf, "%127s %159s %255s", acc, fpr, host) == 3 &&
			    (a = find_account(cfg, acc)) != NULL && a->v[idx].value == NULL &&
			    is_hex_fingerprint(fpr, &norm)) {
				char origin[600];

				snprintf(origin, sizeof(origin), "%s:%d", path, line);
				cval_set(&a->v[idx], buf_detach(&norm, NULL), origin, false);
			}
		}
		buf_release(&norm);
		p += n + (nl ? 1 : 0);
	}
out:
	buf_release(&text);
	return rc;
}

int config_trust_record(const char *path, const char *account, const char *host,
                        const char *sha256, char *err, size_t errlen)
{
	struct buf text = BUF_INIT, norm = BUF_INIT;
	char *dir = NULL, *slash;
	int rc;

	if (!valid_account_name(account) || host == NULL || strpbrk(host, " \t\r\n") != NULL ||
	    host[0] == '\0') {
		rc = err_set(err, errlen, WARY_ERR, "cannot record a trust for that account or host");
		goto out;
	}
	if (!is_hex_fingerprint(sha256, &norm)) {
		rc = err_set(err, errlen, WARY_EPARSE, "not a SHA-256 fingerprint");
		goto out;
	}
	rc = fs_read_file(path, &text, 1024 * 1024, err, errlen);
	if (rc == WARY_ENOENT) {
		buf_adds(&text, "# Server certificates trusted by an explicit choice in wary.\n"
		                "# ACCOUNT SHA256 HOST; remove a line to withdraw the trust.\n");
	} else if (rc != WARY_OK) {
		goto out;
	}
	if (text.len && text.data[text.len - 1] != '\n')
		buf_addch(&text, '\n');
	buf_addf(&text, "%s %s %s\n", account, norm.data, host);
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		rc = fs_mkdir_p(dir, 0700, err, errlen);
		if (rc != WARY_OK)
			goto out;
	}
	rc = fs_write_atomic(path, text.data, text.len, 0600, err, errlen);
out:
	free(dir);
	buf_release(&text);
	buf_release(&norm);
	return rc;
}
