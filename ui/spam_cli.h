#ifndef WARY_UI_SPAM_CLI_H
#define WARY_UI_SPAM_CLI_H
/* `wary spam SUBCOMMAND ...`; returns the exit status. */
int spam_cli(int argc, char **argv);
#endif
