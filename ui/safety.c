/* The remote-content allow list and the browser copy on the command line,
 * and the helpers that hand a private copy of a part to a program. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "render/render.h"
#include "ui/safety.h"

static void say_err(const char *what, const char *err)
{
	char *s = safe_str(err, SAFE_LINE);

	fprintf(stderr, "wary: %s: %s\n", what, s);
	free(s);
}

int safety_cli_remote(int argc, char **argv)
{
	struct render_allow *al = NULL;
	char err[WARY_ERRLEN];
	int status = 0;

	if (argc < 1 || (strcmp(argv[0], "list") != 0 && argc != 2) ||
	    (strcmp(argv[0], "list") == 0 && argc != 1)) {
		fputs("usage: wary remote list | allow ADDRESS | revoke ADDRESS\n", stderr);
		return 2;
	}
	if (render_allow_open(NULL, &al, err, sizeof(err)) != WARY_OK) {
		say_err("remote", err);
		return 1;
	}
	if (strcmp(argv[0], "list") == 0) {
		struct buf out = BUF_INIT;

		buf_init(&out);
		if (render_allow_list(al, &out, err, sizeof(err)) != WARY_OK) {
			say_err("remote", err);
			status = 1;
		}
		fwrite(out.data, 1, out.len, stdout);
		buf_release(&out);
	} else if (strcmp(argv[0], "allow") == 0) {
		if (render_allow_add(al, argv[1], err, sizeof(err)) != WARY_OK) {
			say_err("remote allow", err);
			status = 1;
		}
	} else if (strcmp(argv[0], "revoke") == 0) {
		if (render_allow_revoke(al, argv[1], err, sizeof(err)) != WARY_OK) {
			say_err("remote revoke", err);
			status = 1;
		}
	} else {
		fputs("usage: wary remote list | allow ADDRESS | revoke ADDRESS\n", stderr);
		status = 2;
	}
	render_allow_close(&al);
	return status;
}

/* Is this message's sender on the allow list?  Only a From that is not
 * ambiguous can be. */
static bool sender_allowed(const struct mail_msg *msg)
{
	struct render_allow *al = NULL;
	struct mail_from f;
	char err[WARY_ERRLEN];
	bool yes = false;

	memset(&f, 0, sizeof(f));
	if (mail_from_get(msg, &f) == WARY_OK && !f.ambiguous && f.address != NULL &&
	    render_allow_open(NULL, &al, err, sizeof(err)) == WARY_OK)
		yes = render_allow_has(al, f.address);
	render_allow_close(&al);
	mail_from_clear(&f);
	return yes;
}

static int browser_copy(const struct mail_msg *msg, struct buf *out, bool *allowed, size_t *removed,
                        char *err, size_t errlen)
{
	*allowed = sender_allowed(msg);
	return render_message_browser_copy(msg, *allowed, out, removed, err, errlen);
}

int safety_cli_browser_copy(int argc, char **argv)
{
	struct buf raw = BUF_INIT, out = BUF_INIT;
	struct mail_msg *msg = NULL;
	char err[WARY_ERRLEN];
	bool allowed = false;
	size_t removed = 0;
	int status = 1;

	if (argc != 1) {
		fputs("usage: wary browser-copy FILE\n", stderr);
		return 2;
	}
	buf_init(&raw);
	buf_init(&out);
	if (fs_read_file(argv[0], &raw, MAIL_MAX_SIZE, err, sizeof(err)) != WARY_OK ||
	    mail_parse(raw.data, raw.len, &msg, err, sizeof(err)) != WARY_OK ||
	    browser_copy(msg, &out, &allowed, &removed, err, sizeof(err)) != WARY_OK) {
		say_err(argv[0], err);
		goto out;
	}
	fwrite(out.data, 1, out.len, stdout);
	fprintf(stderr, "wary: %zu remote reference%s removed%s\n", removed, removed == 1 ? "" : "s",
	        allowed ? " (the sender is allowed: remote images kept)" : "");
	status = 0;
out:
	mail_free(&msg);
	buf_release(&raw);
	buf_release(&out);
	return status;
}

/* The private copy is handed to a mailcap command through a shell, maybe
 * two: its name keeps letters, digits, "._+,-" and every non-ASCII byte
 * (no shell gives those a meaning), anything else becomes '_', and it
 * never starts with '-' (an option to the program). */
static char *inert_name(const char *name)
{
	char *s = fs_safe_filename(name);

	for (char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x80 && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && strchr("._+,-", c) == NULL)
			*p = '_';
	}
	if (s[0] == '-')
		s[0] = '_';
	return s;
}

int safety_private_copy(const char *name, const void *data, size_t len, char **path_out,
                        char *err, size_t errlen)
{
	struct buf dir = BUF_INIT;
	char *safe = inert_name(name);
	int rc;

	buf_init(&dir);
	rc = fs_private_tmpdir(&dir, err, errlen);
	if (rc == WARY_OK)
		rc = fs_create_in_dir(dir.data, safe, data, len, path_out, err, errlen);
	free(safe);
	buf_release(&dir);
	return rc;
}

int safety_write_browser_copy(const struct mail_msg *msg, char **path_out, bool *allowed,
                              size_t *removed, char *err, size_t errlen)
{
	struct buf out = BUF_INIT;
	int rc;

	buf_init(&out);
	rc = browser_copy(msg, &out, allowed, removed, err, errlen);
	if (rc == WARY_OK)
		rc = safety_private_copy("message.html", out.data, out.len, path_out, err, errlen);
	buf_release(&out);
	return rc;
}

/* 'path' for sh: our own temp path, quoted all the same. */
static void add_quoted(struct buf *b, const char *s)
{
	buf_addch(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addch(b, *s);
	}
	buf_addch(b, '\'');
}

/*
 * %s becomes the path quoted for where it stands in the template: alone,
 * inside '...' or inside "..." (a mailcap line may write "less %s" or
 * sh -c 'view %s'), so the shell reading the command takes it as one
 * word whatever it holds.  A template that hands the text to a second
 * shell cannot be quoted for from here: the names we make are inert to
 * any shell (safety_private_copy) and URLs have their shell characters
 * percent-encoded (safety_link_answer).
 */
static char *expand(const char *tmpl, const char *path)
{
	struct buf b = BUF_INIT;
	bool had = false;
	char q = 0; /* the quote open at this point of the template */

	buf_init(&b);
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			if (q == 0) {
				add_quoted(&b, path);
			} else if (q == '\'') {
				for (const char *c = path; *c; c++) {
					if (*c == '\'')
						buf_adds(&b, "'\\''");
					else
						buf_addch(&b, *c);
				}
			} else {
				for (const char *c = path; *c; c++) {
					if (*c == '$' || *c == '`' || *c == '"' || *c == '\\')
						buf_addch(&b, '\\');
					buf_addch(&b, *c);
				}
			}
			had = true;
			p++;
			continue;
		}
		if (q == 0 && *p == '\\' && p[1] != '\0') {
			buf_addch(&b, *p++);
		} else if (q == '"' && *p == '\\' && p[1] != '\0') {
			buf_addch(&b, *p++);
		} else if (q == 0 && (*p == '\'' || *p == '"')) {
			q = *p;
		} else if (q != 0 && *p == q) {
			q = 0;
		}
		buf_addch(&b, *p);
	}
	if (!had) {
		buf_addch(&b, ' ');
		add_quoted(&b, path);
	}
	return buf_detach(&b, NULL);
}

static bool type_matches(const char *pat, size_t plen, const char *type)
{
	const char *slash = memchr(pat, '/', plen);

	if (slash != NULL && (size_t)(slash - pat) + 2 == plen && slash[1] == '*')
		return str_ncasecmp(pat, type, (size_t)(slash - pat) + 1) == 0;
	if (slash == NULL)
		return strlen(type) > plen && str_ncasecmp(pat, type, plen) == 0 && type[plen] == '/';
	return strlen(type) == plen && str_ncasecmp(pat, type, plen) == 0;
}

static char *mailcap_lookup(const char *file, const char *type)
{
	FILE *f = fopen(file, "r");
	char line[4096];
	char *found = NULL;

	if (f == NULL)
		return NULL;
	while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
		char *semi, *cmd, *flags;
		size_t tl;

		str_trim(line);
		if (line[0] == '#' || line[0] == '\0' || (semi = strchr(line, ';')) == NULL)
			continue;
		tl = (size_t)(semi - line);
		while (tl > 0 && (line[tl - 1] == ' ' || line[tl - 1] == '\t'))
			tl--;
		if (!type_matches(line, tl, type))
			continue;
		cmd = semi + 1;
		flags = cmd;
		/* the command ends at the next unescaped ';' */
		while (*flags && !(*flags == ';' && flags[-1] != '\\'))
			flags++;
		if (*flags == ';')
			*flags++ = '\0';
		if (strstr(flags, "copiousoutput") || strstr(flags, "needsterminal") || strstr(flags, "test="))
			continue;
		str_trim(cmd);
		if (*cmd)
			found = xstrdup(cmd);
	}
	fclose(f);
	return found;
}

char *safety_open_command(const char *type, const char *path)
{
	const char *browser = getenv("BROWSER");
	const char *home = getenv("HOME");
	char *tmpl = NULL, *cmd;

	if (type != NULL && str_casecmp(type, "text/html") == 0 && browser != NULL && *browser) {
		/* $BROWSER may list several, colon-separated: the first */
		tmpl = xstrndup(browser, strcspn(browser, ":"));
	}
	if (tmpl == NULL && getenv("MAILCAPS") != NULL) {
		char *list = xstrdup(getenv("MAILCAPS"));

		for (char *p = list; p && *p && tmpl == NULL;) {
			char *c = strchr(p, ':');

			if (c)
				*c = '\0';
			tmpl = mailcap_lookup(p, type);
			p = c ? c + 1 : NULL;
		}
		free(list);
	}
	if (tmpl == NULL && home != NULL) {
		char *mc = xasprintf("%s/.mailcap", home);

		tmpl = mailcap_lookup(mc, type);
		free(mc);
	}
	if (tmpl == NULL && getenv("MAILCAPS") == NULL)
		tmpl = mailcap_lookup("/etc/mailcap", type);
	if (tmpl == NULL)
		return NULL;
	cmd = expand(tmpl, path);
	free(tmpl);
	return cmd;
}

char *safety_url_for_shell(const char *url)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;

	buf_init(&b);
	for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
		/* what a shell acts on and a URL never needs raw */
		if (*p <= 0x20 || *p == 0x7f || strchr("\"'`$\\;|<>(){}!*^", *p) != NULL) {
			buf_addch(&b, '%');
			buf_addch(&b, hex[*p >> 4]);
			buf_addch(&b, hex[*p & 15]);
		} else {
			buf_addch(&b, *p);
		}
	}
	return buf_detach(&b, NULL);
}

int safety_run(const char *cmd)
{
	pid_t pid = fork();
	int st = 0;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
