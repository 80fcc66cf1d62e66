/* What the two programs of wary share (ui/cli.c).  `wary` itself runs
 * `wary show` and hands every other command to wary-client, which holds
 * the interactive client and the commands that need the network, DNS,
 * GnuPG or SQLite: printing messages in a script then does not load the
 * libraries of all the rest at every start. */
#ifndef WARY_UI_CLI_H
#define WARY_UI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "base/base.h"
#include "config/config.h"

struct cli {
	const char *cfg_path, *folder, *cmd, *account;
	char **rest;       /* the command's own arguments */
	int nrest;
	char **overrides;  /* -o NAME=VALUE, in order */
	int noverrides;
};

void cli_usage(FILE *f);
/* A UTF-8 locale (the user's, else C.UTF-8). */
void cli_setup_locale(void);
int cli_parse(int argc, char **argv, bool report, struct cli *c);
int cli_config(const struct cli *c, struct config *cfg);
void cli_release(struct cli *c);
/* A message file, or stdin for "-", up to MAIL_MAX_SIZE. */
int cli_read_message(const char *path, struct buf *out, char *err, size_t errlen);
/* An error on stderr, made safe (it may quote file names or message bytes). */
void cli_complain(const char *what, const char *err);
/* Ask for a secret on the terminal, without echo: WARY_OK when a
 * non-empty line was read into buf (its line end removed). */
int cli_ask_secret(const char *prompt, char *buf, size_t len);
/* wary show FILE...: messages as the pager shows them, on stdout. */
int cli_show(const struct config *cfg, int argc, char **argv);

#endif
