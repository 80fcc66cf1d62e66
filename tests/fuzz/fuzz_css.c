/* libFuzzer target: the CSS URL scanner and the URL tools of render/
 * (resolution against a base, IPv4 spellings, IDN and scripts, userinfo)
 * on arbitrary bytes.  The first byte picks a split: CSS and a URL. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "render/render_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void seen(void *ctx, enum render_css_kind k, const char *url, size_t len)
{
	size_t *n = ctx;

	if ((unsigned)k > RENDER_CSS_FONT || (len > 0 && url == NULL))
		abort();
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split, n = 0;
	const char *s = (const char *)data;
	char *u, *host, *res, *ui, quad[16];

	if (size == 0)
		return 0;
	split = data[0] % (size);
	render_css_scan(s + 1, size - 1, seen, &n);
	if (n > size)
		abort(); /* every URL needs at least a byte of input */
	u = xstrndup(s + 1 + (split < size - 1 ? split : 0), size - 1 - (split < size - 1 ? split : 0));
	res = render_url_resolve("http://base.example/a/b/", u, strlen(u));
	host = render_url_host(res, strlen(res));
	if (host != NULL) {
		char *a = render_host_ascii(host);
		struct buf d = BUF_INIT;

		buf_init(&d);
		render_host_ipv4(host, quad);
		render_host_idn(host, &d);
		free(a);
		buf_release(&d);
	}
	ui = render_url_userinfo(res, strlen(res));
	free(ui);
	free(host);
	free(res);
	free(u);
	return 0;
}
