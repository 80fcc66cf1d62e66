#ifndef WARY_UI_SAFETY_H
#define WARY_UI_SAFETY_H
/*
 * What render/ and inspect/ found, shown: the command line faces
 * (`wary remote`, `wary browser-copy`), the browser copy and mailcap
 * helpers the pager and the attachment view use.  The views themselves
 * (panel, details, link list) are in safety_view.c.
 */
#include "base/base.h"
#include "mail/mail.h"

/* wary remote list|allow ADDR|revoke ADDR */
int safety_cli_remote(int argc, char **argv);
/* wary browser-copy FILE: the copy a browser would get, on stdout */
int safety_cli_browser_copy(int argc, char **argv);

/* The browser copy of msg's HTML written to a new 0600 file in a new
 * private directory; *path_out (caller frees).  *allowed says whether the
 * sender's remote content was kept (the allow list). */
int safety_write_browser_copy(const struct mail_msg *msg, char **path_out, bool *allowed,
                              size_t *removed, char *err, size_t errlen);
/* The command that opens a file of this type: $BROWSER for text/html
 * when set, else the first mailcap entry (~/.mailcap, /etc/mailcap) for
 * the type that needs no terminal and does not just print.  %s is the
 * file, quoted here.  NULL when there is none.  Caller frees. */
char *safety_open_command(const char *type, const char *path);
/* A URL with the characters a shell acts on percent-encoded (quotes,
 * $, `, \, ;, |, <, >, parentheses, braces, !, *, ^, space and
 * controls), for a command line that may pass it through a second shell.
 * Caller frees. */
char *safety_url_for_shell(const char *url);
/* The command with stdin, stdout and stderr left to it; its exit status. */
int safety_run(const char *cmd);
/* Data written to a new 0600 file NAME (made safe) in a new private
 * directory; *path_out (caller frees). */
int safety_private_copy(const char *name, const void *data, size_t len, char **path_out,
                        char *err, size_t errlen);

#endif
