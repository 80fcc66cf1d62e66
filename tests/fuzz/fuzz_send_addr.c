/* libFuzzer target: address lists as a user types them (To, Cc, Bcc,
 * aliases) made into header fields, which must parse back through mail/
 * on one logical line (no injected field); the outbound checks, an EHLO
 * reply and the draft file on the same bytes. */
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "mail/mail.h"
#include "net/net.h"
#include "send/send.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size), **v = NULL, err[WARY_ERRLEN];
	struct buf f = BUF_INIT, msg = BUF_INIT;
	size_t n = 0;

	buf_init(&f);
	buf_init(&msg);
	if (send_addresses(s, &v, &n, err, sizeof(err)) == WARY_OK &&
	    send_encode_addresses(&f, s, 4, err, sizeof(err)) == WARY_OK && n > 0) {
		struct mail_msg *m = NULL;

		for (size_t i = 0; i + 1 < f.len; i++)
			if (f.data[i] == '\r' && !(f.data[i + 1] == '\n' && i + 2 < f.len && f.data[i + 2] == ' '))
				abort(); /* a line break that is not folding */
		buf_addf(&msg, "To: %s\r\nSubject: x\r\n\r\n", f.data);
		if (mail_parse(msg.data, msg.len, &m, err, sizeof(err)) == WARY_OK) {
			if (mail_header_count(m) != 2)
				abort(); /* a field was injected */
			mail_free(&m);
		}
	}
	send_strv_free(v, n);
	{
		/* the outbound checks on the same bytes: every hit inside them */
		struct send_dlp_report r = { NULL, 0 };

		(void)send_dlp_scan((const char *)data, size, NULL, &r, err, sizeof(err));
		for (size_t i = 0; i < r.n; i++)
			if (r.v[i].offset + r.v[i].len > size || r.v[i].len == 0 || r.v[i].line == 0)
				abort();
		send_dlp_report_clear(&r);
	}
	{
		/* an EHLO reply's keywords */
		struct net_smtp_caps c;

		net_smtp_caps_parse(s, &c);
		if (c.auth & ~0xfu)
			abort();
	}
	{
		/* the draft file the editor writes */
		struct send_draft d;

		send_draft_init(&d);
		(void)send_draft_from_edit(&d, (const char *)data, size, true, err, sizeof(err));
		send_draft_clear(&d);
	}
	buf_release(&f);
	buf_release(&msg);
	free(s);
	return 0;
}
