/* Tests for src/config: the grammar, every error with its file:line,
 * overrides, accounts, origins, check-config and random garbage. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "config/config.h"
#include "tests/unit/t.h"

static char err[WARY_ERRLEN];

/* Load text into a fresh config; returns the status, err holds the message. */
static int load(struct config **cfg, const char *text)
{
	config_free(cfg);
	*cfg = config_new();
	err[0] = '\0';
	return config_load_string(*cfg, "t.conf", text, err, sizeof(err));
}

static bool has(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static void test_defaults(void)
{
	struct config *c = config_new();
	size_t n = 0;
	const struct config_def *d = config_defs(&n);

	T_OK(n >= 25, "the table has every setting of the brief");
	T_STR(config_get(c, "sort"), "threads", "sort defaults to threads");
	T_STR(config_get(c, "pager_headers"), "weed", "pager_headers defaults to weed");
	T_STR(config_get(c, "keymap"), "default", "keymap defaults to the builtin preset");
	T_OK(!config_get_bool(c, "prefer_html"), "prefer_html defaults to no");
	T_INT(config_get_int(c, "wrap"), 0, "wrap defaults to 0");
	T_STR(config_origin(c, NULL, "sort"), "default", "origin of a default");
	T_OK(config_get(c, "imap_host") == NULL, "an account setting is not a global one");
	T_OK(config_get(c, "no_such_thing") == NULL, "unknown name gives NULL");
	T_INT(config_account_count(c), 0, "no accounts");
	for (size_t i = 0; i < n; i++) {
		T_OK(d[i].help != NULL && d[i].help[0] != '\0', d[i].name);
		if (d[i].type == CONFIG_ENUM)
			T_OK(d[i].choices != NULL && d[i].def != NULL, "enum has choices and a default");
	}
	config_free(&c);
	T_OK(c == NULL, "config_free clears the pointer");
	config_free(&c);
}

static void test_paths(void)
{
	struct config *c = NULL;
	char *dp;

	setenv("HOME", "/home/ada", 1);
	setenv("XDG_CACHE_HOME", "/var/cache/ada", 1);
	unsetenv("XDG_DATA_HOME");
	setenv("XDG_CONFIG_HOME", "/cfg", 1);
	dp = config_default_path();
	T_STR(dp, "/cfg/wary/config", "default path under XDG_CONFIG_HOME");
	free(dp);
	T_INT(load(&c, "set mailbox = ~/Mail\n"), WARY_OK, "tilde path");
	T_STR(config_get(c, "mailbox"), "/home/ada/Mail", "~ expands to $HOME");
	T_INT(load(&c, "set mailbox = $HOME/x\nset header_cache = ${XDG_CACHE_HOME}/w\n"), WARY_OK,
	      "$HOME and ${XDG_CACHE_HOME}");
	T_STR(config_get(c, "mailbox"), "/home/ada/x", "$HOME expands");
	T_STR(config_get(c, "header_cache"), "/var/cache/ada/w", "${XDG_CACHE_HOME} expands");
	T_INT(load(&c, "set mailbox = $XDG_DATA_HOME/m\n"), WARY_OK, "unset XDG var");
	T_STR(config_get(c, "mailbox"), "/home/ada/.local/share/m", "XDG fallback used");
	T_INT(load(&c, "set header_cache = off\n"), WARY_OK, "header_cache off");
	T_STR(config_get(c, "header_cache"), "off", "off is a word, not a path");
	config_free(&c);
	c = config_new();
	T_STR(config_get(c, "header_cache"), "/var/cache/ada/wary", "default cache dir expanded");
	T_INT(load(&c, "set mailbox = $SHELL/x\n"), WARY_EPARSE, "other variables are refused");
	T_OK(has(err, "t.conf:1:") && has(err, "$SHELL"), err);
	T_INT(load(&c, "set mailbox = ~bob/x\n"), WARY_EPARSE, "~user refused");
	T_INT(load(&c, "set keymap = vim\n"), WARY_OK, "keymap preset");
	T_STR(config_get(c, "keymap"), "vim", "preset kept as a word");
	T_INT(load(&c, "set keymap = vimm\n"), WARY_EPARSE, "unknown preset without a slash");
	T_OK(has(err, "t.conf:1:"), err);
	config_free(&c);
	c = config_new();
	T_INT(config_load_string(c, "/etc/wary/main.conf", "set keymap = keys/my.keys\n", err,
	                         sizeof(err)), WARY_OK, "relative keymap path");
	T_STR(config_get(c, "keymap"), "/etc/wary/keys/my.keys", "relative to the config file");
	config_free(&c);
}

static void test_grammar(void)
{
	struct config *c = NULL;

	T_INT(load(&c, "# comment\n\n   \t\nset editor = \"vim -f\"   # trailing\n"
	               "set sort=date\nset sidebar\nset wrap = 72\r\n"
	               "set from = \"A \\\"B\\\" \\\\ C <a@b.example>\"\n"), WARY_OK, "valid file");
	T_STR(config_get(c, "editor"), "vim -f", "quoted value with a space");
	T_STR(config_get(c, "sort"), "date", "no spaces around =");
	T_OK(config_get_bool(c, "sidebar"), "bare set of a bool means yes");
	T_INT(config_get_int(c, "wrap"), 72, "int with CRLF line end");
	T_STR(config_get(c, "from"), "A \"B\" \\ C <a@b.example>", "escapes in quotes");
	T_STR(config_origin(c, NULL, "sort"), "t.conf:5", "origin is file:line");
	T_STR(config_origin(c, NULL, "editor"), "t.conf:4", "origin of the quoted one");

	T_INT(load(&c, "set prefer_html = TRUE\nset confirm_quit = off\n"), WARY_OK, "bool words");
	T_OK(config_get_bool(c, "prefer_html"), "TRUE is yes");
	T_OK(!config_get_bool(c, "confirm_quit"), "off is no");
	T_STR(config_get(c, "prefer_html"), "yes", "bools normalised");

	T_INT(load(&c, "set sort = date\nset sort = threads-reverse\n"), WARY_OK, "set twice");
	T_STR(config_get(c, "sort"), "threads-reverse", "the later value wins");
	T_STR(config_origin(c, NULL, "sort"), "t.conf:2", "and its origin");

	T_INT(load(&c, "account a { set imap_host = h }\naccount b\n{\n set maildir = /m\n}\n"),
	      WARY_OK, "one-line block and brace on the next line");
	T_INT(config_account_count(c), 2, "two accounts");
	T_STR(config_account_get(c, "a", "imap_host"), "h", "one-line block value");
	T_STR(config_account_get(c, "b", "maildir"), "/m", "second account value");
	T_STR(config_origin(c, "b", "maildir"), "t.conf:4", "account origin");
	config_free(&c);
}

struct bad {
	const char *text;
	const char *where;
	const char *what;
};

static void test_errors(void)
{
	static const struct bad bad[] = {
		{ "set edtor = vi\n", "t.conf:1:", "did you mean 'editor'" },
		{ "\n\nset imap_hots = x\n", "t.conf:3:", "did you mean 'imap_host'" },
		{ "set zzzzzzzzzz = 1\n", "t.conf:1:", "unknown setting 'zzzzzzzzzz'" },
		{ "set sidebar = maybe\n", "t.conf:1:", "yes/no" },
		{ "set wrap = 7x\n", "t.conf:1:", "wants a number" },
		{ "set wrap = -1\n", "t.conf:1:", "between" },
		{ "set wrap = 99999999999999999999999\n", "t.conf:1:", "wants a number" },
		{ "set sort = random\n", "t.conf:1:", "one of date|date-reverse" },
		{ "set pager_headers = some\n", "t.conf:1:", "weed|all" },
		{ "set imap_host = x\n", "t.conf:1:", "account setting" },
		{ "account a {\n set sort = date\n}\n", "t.conf:2:", "global setting" },
		{ "set editor = \"vim\n", "t.conf:1:", "unterminated" },
		{ "set editor = \"a\\nb\"\n", "t.conf:1:", "unknown escape" },
		{ "account a {\n set imap_host = x\n", "t.conf:1:", "not closed" },
		{ "account a { set maildir = /x }\naccount a { set maildir = /y }\n", "t.conf:2:",
		  "duplicate account 'a' (first defined at t.conf:1)" },
		{ "}\n", "t.conf:1:", "without an open account" },
		{ "account a {\naccount b {\n}\n}\n", "t.conf:2:", "nested" },
		{ "account {\n}\n", "t.conf:1:", "missing name" },
		{ "account a/b {\n}\n", "t.conf:1:", "account name" },
		{ "account a\nset x = 1\n", "t.conf:1:", "expected '{'" },
		{ "set editor = vim -f\n", "t.conf:1:", "unexpected text" },
		{ "set editor vim\n", "t.conf:1:", "expected '='" },
		{ "set editor\n", "t.conf:1:", "missing '= value'" },
		{ "set editor =\n", "t.conf:1:", "missing value" },
		{ "set\n", "t.conf:1:", "missing setting name" },
		{ "sett editor = x\n", "t.conf:1:", "did you mean 'set'" },
		{ "imap_host = x\n", "t.conf:1:", "did you mean 'set imap_host" },
		{ "%%%\n", "t.conf:1:", "expected set" },
		{ "account a {\n set imap_port = 0\n}\n", "t.conf:2:", "between 1 and 65535" },
		{ "account a {\n set tls = none\n}\n", "t.conf:2:", "implicit|starttls" },
		{ "account a {\n set trusted_cert_sha256 = abc\n}\n", "t.conf:2:", "64 hex" },
		{ "account a {\n source /x\n}\n", "t.conf:2:", "not allowed inside" },
		{ "set editor = \"a\tb\x01\"\n", "t.conf:1:", "control character" },
		{ "set mailbox = \"\"\n", "t.conf:1:", "empty" },
		{ "account a {\n} x\n", "t.conf:2:", "after '}'" },
	};
	struct config *c = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char what[200];
		int rc = load(&c, bad[i].text);

		snprintf(what, sizeof(what), "error %zu: %s", i, bad[i].what);
		T_OK(rc != WARY_OK, what);
		if (!T_OK(str_starts_with(err, bad[i].where) && has(err, bad[i].what), what))
			printf("#   err: %s\n", err);
	}

	/* Parsing goes on after an error, and every error is counted. */
	T_INT(load(&c, "set sort = x\nset wrap = 80\nset sidebar = q\nset editor = e\n"),
	      WARY_EPARSE, "several errors");
	T_OK(has(err, "t.conf:1:") && has(err, "(and 1 more)"), "first error and a count");
	T_INT(config_get_int(c, "wrap"), 80, "settings after an error are kept");
	T_STR(config_get(c, "editor"), "e", "and the last one too");
	T_INT(config_error_count(c), 2, "two errors counted");

	/* A secret typed in the wrong place is never echoed back. */
	T_INT(load(&c, "set password = hunter2\naccount a {\n set imap_pass = \"s3cr3t\"\n}\n"),
	      WARY_EPARSE, "password settings do not exist");
	{
		struct buf r = BUF_INIT;

		buf_init(&r);
		config_check(c, &r);
		T_OK(!has(r.data, "hunter2") && !has(r.data, "s3cr3t"), "no secret in the report");
		T_OK(has(r.data, "t.conf:3:"), "the error is still located");
		buf_release(&r);
	}
	T_INT(load(&c, "hunter2\n"), WARY_EPARSE, "a bare word line");
	T_OK(!has(err, "hunter2"), "is not echoed");
	config_free(&c);
}

static void test_overrides(void)
{
	struct config *c = config_new();

	T_INT(config_override(c, "sort=date", err, sizeof(err)), WARY_OK, "-o sort=date");
	T_INT(config_override(c, " wrap = 60 ", err, sizeof(err)), WARY_OK, "-o with spaces");
	T_INT(config_override(c, "editor=\"  ed \\\"x\\\"\"", err, sizeof(err)), WARY_OK,
	      "-o quoted");
	T_STR(config_get(c, "editor"), "  ed \"x\"", "quoted -o value");
	T_INT(config_load_string(c, "f", "set sort = threads\nset wrap = 10\nset sidebar = yes\n",
	                         err, sizeof(err)), WARY_OK, "file after -o");
	T_STR(config_get(c, "sort"), "date", "-o wins over a file read later");
	T_INT(config_get_int(c, "wrap"), 60, "-o int wins");
	T_STR(config_origin(c, NULL, "sort"), "-o", "origin -o");
	T_STR(config_origin(c, NULL, "sidebar"), "f:3", "file value still applies elsewhere");
	T_INT(config_override(c, "sidebar=no", err, sizeof(err)), WARY_OK, "-o after the file");
	T_OK(!config_get_bool(c, "sidebar"), "and it wins too");

	T_INT(config_override(c, "account.work.imap_host=imap.example.org", err, sizeof(err)),
	      WARY_OK, "-o account.NAME.name");
	T_INT(config_account_count(c), 1, "creates the account");
	T_STR(config_account_get(c, "work", "imap_host"), "imap.example.org", "account -o value");
	T_INT(config_override(c, "account.me@example.org.maildir=/m", err, sizeof(err)), WARY_OK,
	      "account name with dots");
	T_STR(config_account_get(c, "me@example.org", "maildir"), "/m", "split at the last dot");
	T_INT(config_load_string(c, "g", "account work {\n set imap_host = other\n"
	                                 " set imap_user = ada\n}\n", err, sizeof(err)),
	      WARY_OK, "file defines the -o account");
	T_STR(config_account_get(c, "work", "imap_host"), "imap.example.org", "-o still wins");
	T_STR(config_account_get(c, "work", "imap_user"), "ada", "file fills the rest");
	T_STR(config_origin(c, "work", "imap_user"), "g:3", "origin in the account");

	T_INT(config_override(c, "nonsense", err, sizeof(err)), WARY_EPARSE, "-o without =");
	T_INT(config_override(c, "sortt=date", err, sizeof(err)), WARY_ENOENT, "-o unknown");
	T_OK(has(err, "did you mean 'sort'"), err);
	T_INT(config_override(c, "imap_host=x", err, sizeof(err)), WARY_EPARSE,
	      "-o account setting as global");
	T_INT(config_override(c, "account..x=1", err, sizeof(err)), WARY_EPARSE, "-o empty account");
	T_INT(config_override(c, "account.w.sort=date", err, sizeof(err)), WARY_EPARSE,
	      "-o global setting in an account");
	T_INT(config_override(c, "wrap=abc", err, sizeof(err)), WARY_EPARSE, "-o bad int");
	T_INT(config_override(c, "editor=\"abc", err, sizeof(err)), WARY_EPARSE, "-o bad quote");
	T_INT(config_override(c, "account.bad/name.maildir=/x", err, sizeof(err)), WARY_EPARSE,
	      "-o bad account name");
	T_OK(config_error_count(c) >= 8, "-o errors are recorded for check-config");
	config_free(&c);
}

static void test_accounts(void)
{
	struct config *c = NULL;

	T_INT(load(&c, "set from = \"G <g@x.example>\"\nset spam_action = move\n"
	               "account one {\n set imap_host = h1\n set tls = starttls\n}\n"
	               "account two {\n set pop3_host = h2\n set maildir = /m2\n"
	               " set from = \"T <t@x.example>\"\n set imap_user = u\n}\n"),
	      WARY_OK, "two accounts");
	T_STR(config_account_name(c, 0), "one", "file order 1");
	T_STR(config_account_name(c, 1), "two", "file order 2");
	T_OK(config_account_name(c, 2) == NULL, "past the end");
	T_STR(config_account_get(c, "one", "from"), "G <g@x.example>", "falls back to global");
	T_STR(config_origin(c, "one", "from"), "t.conf:1", "origin of the fallback");
	T_STR(config_account_get(c, "two", "from"), "T <t@x.example>", "account overrides global");
	T_STR(config_account_get(c, "one", "spam_action"), "move", "global enum fallback");
	T_STR(config_account_get(c, "one", "tls"), "starttls", "tls set");
	T_STR(config_account_get(c, "two", "tls"), "implicit", "tls default");
	T_INT(config_account_get_int(c, "one", "imap_port"), 143, "starttls IMAP port");
	T_INT(config_account_get_int(c, "two", "imap_port"), 993, "implicit IMAP port");
	T_INT(config_account_get_int(c, "one", "smtp_port"), 587, "starttls SMTP port");
	T_INT(config_account_get_int(c, "two", "pop3_port"), 995, "implicit POP3 port");
	T_STR(config_account_get(c, "two", "smtp_user"), "u", "smtp_user falls back to imap_user");
	T_OK(config_account_get(c, "one", "password_command") == NULL, "unset is NULL");
	T_OK(config_account_get(c, "nobody", "imap_host") == NULL, "unknown account");
	T_OK(config_account_get(c, "one", "sort") == NULL, "global-only name via account");
	T_OK(!config_account_get_bool(c, "one", "imap_host"), "bool of a string is false");
	config_free(&c);
}

static void test_check(void)
{
	struct config *c = NULL;
	struct buf r = BUF_INIT;

	buf_init(&r);
	load(&c, "set sort = date\n"
	         "account good {\n set imap_host = h\n set imap_port = 993\n"
	         " set password_command = \"pass show mail/topsecret --clip\"\n}\n"
	         "account empty {\n set from = x@y.example\n}\n"
	         "account weird {\n set imap_host = h\n set tls = starttls\n set imap_port = 993\n}\n"
	         "account pop {\n set pop3_host = p\n}\n");
	T_INT(config_check(c, &r), WARY_EPARSE, "check finds the errors");
	T_OK(has(r.data, "sort = \"date\"   # t.conf:1"), "setting with its origin");
	T_OK(has(r.data, "pager_headers = \"weed\"   # default"), "default with its origin");
	T_OK(has(r.data, "error: t.conf:7: account 'empty' has neither imap_host"),
	     "account without a mailbox is an error");
	T_OK(has(r.data, "warning: t.conf:13:") && has(r.data, "starttls with imap_port 993"),
	     "starttls on 993 is a warning");
	T_OK(has(r.data, "account 'pop' uses POP3 but has no maildir"), "pop3 needs a maildir");
	T_OK(!has(r.data, "topsecret"), "password_command arguments are not printed");
	T_OK(has(r.data, "password_command = \"pass\" (arguments hidden)"), "only the program");
	T_OK(has(r.data, "2 errors, 1 warning"), "summary line");
	buf_reset(&r);
	load(&c, "account ok {\n set maildir = /m\n}\nset editor = \"\x1b]0;x\x07\"\n");
	T_INT(config_check(c, &r), WARY_EPARSE, "control characters are refused");
	buf_reset(&r);
	config_free(&c);
	c = config_new();
	config_override(c, "account.x.maildir=/m", err, sizeof(err));
	config_override(c, "editor=a\x1b[31mb", err, sizeof(err));
	T_INT(config_check(c, &r), WARY_EPARSE, "-o with ESC is an error");
	T_OK(memchr(r.data, 0x1b, r.len) == NULL, "no ESC reaches the report");
	buf_reset(&r);
	config_free(&c);
	load(&c, "account ok {\n set maildir = /m\n set tls = implicit\n set smtp_port = 465\n}\n");
	T_INT(config_check(c, &r), WARY_OK, "a clean config checks OK");
	T_OK(has(r.data, "account ok {   # t.conf:1"), "account with its origin");
	T_OK(has(r.data, "0 errors, 0 warnings"), "clean summary");
	buf_release(&r);
	config_free(&c);
}

static void test_files(void)
{
	struct buf dir = BUF_INIT;
	struct config *c = config_new();
	char *main_path, *inc, *loop;
	int fd;

	buf_init(&dir);
	if (!T_OK(fs_private_tmpdir(&dir, err, sizeof(err)) == WARY_OK, "tmpdir"))
		return;
	main_path = xasprintf("%s/config", dir.data);
	inc = xasprintf("%s/inc.conf", dir.data);
	loop = xasprintf("%s/loop.conf", dir.data);
	T_INT(config_load_file(c, main_path, err, sizeof(err)), WARY_ENOENT, "missing file");
	{
		static const char m[] = "set sort = date\nsource inc.conf\nset wrap = 1\n";
		static const char i[] = "set wrap = 5\nset sidebar = bogus\n";

		fs_write_atomic(main_path, m, strlen(m), 0600, err, sizeof(err));
		fs_write_atomic(inc, i, strlen(i), 0600, err, sizeof(err));
	}
	T_INT(config_load_file(c, main_path, err, sizeof(err)), WARY_EPARSE, "error in source");
	T_OK(str_starts_with(err, inc) && has(err, ":2:"), "error names the sourced file");
	T_INT(config_get_int(c, "wrap"), 1, "main file after source wins");
	{
		char *o = xasprintf("%s:1", main_path);

		T_STR(config_origin(c, NULL, "sort"), o, "origin is the full path and line");
		T_STR(config_get(c, "sidebar"), "no", "the bad value left the default");
		free(o);
	}
	config_free(&c);

	fs_write_atomic(loop, "source loop.conf\n", 17, 0600, err, sizeof(err));
	c = config_new();
	T_INT(config_load_file(c, loop, err, sizeof(err)), WARY_EPARSE, "source loop stops");
	T_OK(has(err, "nested more than"), err);
	config_free(&c);

	c = config_new();
	config_set_source_allowed(c, false);
	T_INT(config_load_string(c, "s", "source /etc/passwd\n", err, sizeof(err)), WARY_EPARSE,
	      "source can be disabled");
	config_free(&c);

	fd = open(main_path, O_WRONLY | O_TRUNC);
	if (fd >= 0) {
		T_INT(write(fd, "set sort = date\n\0x\n", 19), 19, "write NUL file");
		close(fd);
	}
	c = config_new();
	T_INT(config_load_file(c, main_path, err, sizeof(err)), WARY_EPARSE, "NUL byte refused");
	config_free(&c);

	{
		/* Over the size limit. */
		struct buf big = BUF_INIT;

		buf_init(&big);
		while (big.len < 1100 * 1024)
			buf_adds(&big, "# padding padding padding padding padding padding\n");
		fs_write_atomic(main_path, big.data, big.len, 0600, err, sizeof(err));
		c = config_new();
		T_INT(config_load_file(c, main_path, err, sizeof(err)), WARY_EPARSE, "huge file refused");
		config_free(&c);
		c = config_new();
		T_INT(config_load_string(c, "big", big.data, err, sizeof(err)), WARY_EPARSE,
		      "huge string refused");
		config_free(&c);
		buf_release(&big);
	}
	unlink(main_path);
	unlink(inc);
	unlink(loop);
	rmdir(dir.data);
	free(main_path);
	free(inc);
	free(loop);
	buf_release(&dir);
}

/* Every setting of the table is documented in the man page. */
static void test_man_page(void)
{
	struct buf man = BUF_INIT;
	size_t n;
	const struct config_def *d = config_defs(&n);

	buf_init(&man);
	if (fs_read_file(TOP_SRCDIR "/doc/wary.conf.5", &man, 0, err, sizeof(err)) != WARY_OK) {
		T_OK(0, "doc/wary.conf.5 readable");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char what[128], needle[128];
		snprintf(needle, sizeof(needle), ".B %s", d[i].name);
		snprintf(what, sizeof(what), "man page documents %s", d[i].name);
		T_OK(has(man.data, needle), what);
	}
	buf_release(&man);
}

/* Random garbage and mutated valid files: no crash, no leak (under
 * ASan), and every error message is located. */
static void test_garbage(void)
{
	static const char *const pieces[] = {
		"set ", "account ", "source ", "{", "}", "\"", "\\", "=", "\n", "#", " ", "\t",
		"editor", "sort", "date", "yes", "imap_host", "x", "~", "$HOME", "${", "$XDG_CACHE_HOME",
		"\xff", "\x1b", "\r", "wrap", "99999999999999999999", "-1", "a.b", "@", "tls",
	};
	unsigned seed = 12345;
	int bad_loc = 0;

	for (int round = 0; round < 3000; round++) {
		struct buf t = BUF_INIT;
		struct buf r = BUF_INIT;
		struct config *c = config_new();
		int len;

		buf_init(&t);
		buf_init(&r);
		seed = seed * 1103515245u + 12345u;
		len = (int)(seed >> 16) % 60;
		for (int i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 5 == 0) {
				char ch = (char)((seed >> 8) % 255 + 1);

				buf_addch(&t, ch);
			} else {
				buf_adds(&t, pieces[(seed >> 16) % ARRAY_SIZE(pieces)]);
			}
		}
		config_set_source_allowed(c, false);
		if (config_load_string(c, "g", t.data, err, sizeof(err)) != WARY_OK &&
		    !str_starts_with(err, "g:"))
			bad_loc++;
		config_check(c, &r);
		if (memchr(r.data, 0x1b, r.len) != NULL)
			bad_loc++;
		config_free(&c);
		buf_release(&t);
		buf_release(&r);
	}
	T_INT(bad_loc, 0, "3000 garbage inputs: every error located, no ESC in reports");
}

static void test_trust(void)
{
	struct buf dir = BUF_INIT;
	char err[WARY_ERRLEN], path[4200];
	struct config *cfg;
	const char *fpr = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
	                  "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
	struct stat st;

	if (fs_private_tmpdir(&dir, err, sizeof(err)) != WARY_OK) {
		T_OK(0, "temp dir for trust tests");
		return;
	}
	snprintf(path, sizeof(path), "%s/data/wary/trusted-certs", dir.data);
	T_INT(config_trust_record(path, "work", "imap.example.test", fpr, err, sizeof(err)), WARY_OK,
	      "a trust is recorded (directories made)");
	T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the trust file is 0600");
	T_INT(config_trust_record(path, "work", "imap.example.test", "12:34", err, sizeof(err)),
	      WARY_EPARSE, "a short fingerprint is refused");
	T_OK(config_trust_record(path, "bad name", "h", fpr, err, sizeof(err)) != WARY_OK,
	     "an account name with a space is refused");
	T_OK(config_trust_record(path, "work", "h\nwork x y", fpr, err, sizeof(err)) != WARY_OK,
	     "a host with a line break cannot forge a line");

	cfg = config_new();
	config_load_string(cfg, "c", "account work {\n set imap_host = imap.example.test\n}\n"
	                             "account home {\n set imap_host = h.test\n"
	                             " set trusted_cert_sha256 = " "00112233445566778899aabbccddeeff"
	                             "00112233445566778899aabbccddeeff\n}\n", err, sizeof(err));
	{
		FILE *f = fopen(path, "a");

		if (f) {
			fputs("garbage line\nhome abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd h\n"
			      "nosuch abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd h\n", f);
			fclose(f);
		}
	}
	T_INT(config_load_trust(cfg, path, err, sizeof(err)), WARY_OK, "the trust file loads");
	T_STR(config_account_get(cfg, "work", "trusted_cert_sha256"),
	      "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
	      "the recorded fingerprint becomes the account's trust");
	T_OK(strstr(config_origin(cfg, "work", "trusted_cert_sha256"), "trusted-certs:3") != NULL,
	     "its origin is the trust file and line");
	T_STR(config_account_get(cfg, "home", "trusted_cert_sha256"),
	      "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	      "a fingerprint in the config file wins over a recorded one");
	config_free(&cfg);
	cfg = config_new();
	snprintf(path, sizeof(path), "%s/none", dir.data);
	T_INT(config_load_trust(cfg, path, err, sizeof(err)), WARY_ENOENT, "no trust file: ENOENT");
	config_free(&cfg);
	{
		struct buf cmd = BUF_INIT;

		buf_addf(&cmd, "rm -rf '%s'", dir.data);
		if (system(cmd.data) != 0)
			T_OK(0, "clean up");
		buf_release(&cmd);
	}
	buf_release(&dir);
}

int main(void)
{
	test_defaults();
	test_paths();
	test_grammar();
	test_errors();
	test_overrides();
	test_accounts();
	test_check();
	test_files();
	test_man_page();
	test_garbage();
	test_trust();
	return t_done();
}
