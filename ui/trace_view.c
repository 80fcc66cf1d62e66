/* The Received chain's hop table for the raw view (see trace_view.h). */
#include "ui/trace_view.h"
#include "mail/mail.h"
#include "trace/trace.h"

#include <stdlib.h>
#include <string.h>

void trace_view_fill(struct textview *tv, const struct config *cfg, const char *account,
                     const char *raw, size_t len)
{
	struct mail_msg *msg = NULL;
	struct trace *t = NULL;
	struct buf table = BUF_INIT;
	char err[WARY_ERRLEN];
	const char *hosts = account ? config_account_get(cfg, account, "trusted_hosts")
	                            : config_get(cfg, "trusted_hosts");
	char **v = NULL;
	size_t n = 0;

	if (mail_parse(raw, len, &msg, err, sizeof(err)) != WARY_OK)
		return;
	/* trusted_hosts: words separated by spaces or commas */
	for (const char *p = hosts ? hosts : ""; *p;) {
		const char *st;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		st = p;
		while (*p && *p != ' ' && *p != ',' && *p != '\t')
			p++;
		if (p > st) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = xstrndup(st, (size_t)(p - st));
		}
	}
	struct trace_opts o = { (const char *const *)v, n, 0, NULL, 0 };
	if (trace_build(msg, &o, &t, err, sizeof(err)) == WARY_OK && t) {
		/* trace_text makes every string from the message safe */
		trace_text(t, &table);
		textview_add_text(tv, table.data, table.len, RENDER_NOTICE);
		textview_add(tv, "", 0, RENDER_BODY);
	}
	trace_free(&t);
	mail_free(&msg);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	buf_release(&table);
}
