/* `wary`: runs `wary show` itself and hands every other command, and
 * the interactive client, to wary-client with the same arguments.
 * Printing messages from a script or a mailcap entry is the one job
 * that starts a process per batch of messages; this program loads only
 * the libraries that parsing and rendering need (7 shared objects, about
 * a quarter of the start-up time of wary-client's 33: libetpan, GnuTLS,
 * GPGME, libunbound, SQLite, ncurses and theirs). */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "base/base.h"
#include "config/config.h"
#include "ui/cli.h"

#ifndef WARY_LIBEXECDIR
#define WARY_LIBEXECDIR "/usr/local/libexec/wary"
#endif
#define CLIENT "wary-client"

/* wary-client beside this program (the build tree, or both copied
 * together), else where `make install` puts it.  Only ever these two:
 * never a search of PATH. */
static void exec_client(char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + sizeof(CLIENT) + 1];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int saved;

	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			slash[1] = '\0';
			snprintf(path, sizeof(path), "%s%s", self, CLIENT);
			if (access(path, X_OK) == 0)
				execv(path, argv); /* argv[0] stays as the user typed it */
		}
	}
	execv(WARY_LIBEXECDIR "/" CLIENT, argv);
	saved = errno;
	fprintf(stderr, "wary: cannot run %s/%s: %s\n", WARY_LIBEXECDIR, CLIENT, strerror(saved));
}

int main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct cli c;
	int status;

	/* Only "show" is decided here: anything else (help, version, a usage
	 * mistake) goes on unread, so the messages stay wary-client's. */
	cli_setup_locale();
	status = cli_parse(argc, argv, false, &c);
	if (status >= 0 || c.cmd == NULL || strcmp(c.cmd, "show") != 0) {
		cli_release(&c);
		exec_client(argv);
		return 127;
	}
	cfg = config_new();
	status = cli_config(&c, cfg);
	if (status < 0)
		status = cli_show(cfg, c.nrest, c.rest);
	config_free(&cfg);
	cli_release(&c);
	return status;
}
