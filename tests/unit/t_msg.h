#ifndef WARY_T_MSG_H
#define WARY_T_MSG_H
/*
 * Test messages from the tree, parsed: a file by its path under the
 * source tree, or a demo message by the start of its file name (the demo
 * README lists them).  NULL, with a "#" line saying why, when missing.
 * Needs TOP_SRCDIR and the mail module.
 */
#include <dirent.h>
#include <stdio.h>

#include "base/base.h"
#include "mail/mail.h"

static inline struct mail_msg *t_load_msg(const char *rel)
{
	char path[2200], err[WARY_ERRLEN];
	struct buf b = BUF_INIT;
	struct mail_msg *m = NULL;

	snprintf(path, sizeof(path), "%s/%s", TOP_SRCDIR, rel);
	buf_init(&b);
	if (fs_read_file(path, &b, 0, err, sizeof(err)) != WARY_OK ||
	    mail_parse(b.data, b.len, &m, err, sizeof(err)) != WARY_OK) {
		printf("# %s: %s\n", rel, err);
		m = NULL;
	}
	buf_release(&b);
	return m;
}

static inline struct mail_msg *t_demo_msg(const char *prefix)
{
	static const char *const subs[] = { "cur", "new" };
	struct mail_msg *m = NULL;

	for (size_t s = 0; s < 2 && m == NULL; s++) {
		char dir[1024], rel[1024];
		DIR *d;
		struct dirent *e;

		snprintf(dir, sizeof(dir), "%s/tests/demo/Maildir/%s", TOP_SRCDIR, subs[s]);
		if ((d = opendir(dir)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			if (str_starts_with(e->d_name, prefix)) {
				snprintf(rel, sizeof(rel), "tests/demo/Maildir/%s/%s", subs[s], e->d_name);
				m = t_load_msg(rel);
				break;
			}
		}
		closedir(d);
	}
	if (m == NULL)
		printf("# demo message %s not found\n", prefix);
	return m;
}
#endif
