/* libFuzzer target: HTML to text (gumbo, the nesting pre-pass, the CSS
 * scanner, link and reference collection) on arbitrary bytes.  Every line
 * that comes out must be terminal-safe, and the copy handed to a browser
 * must reference nothing remote when it is parsed again. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "tests/fuzz/terminal_check.h"
#include "render/render_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *s)
{
	fuzz_check_terminal_safe(s, strlen(s), false);
}

/* The whitespace squeeze before the parse must change nothing anyone
 * sees: the HTML rendered as it came gives the same lines, links and
 * references. */
static void check_squeeze_changes_nothing(const char *html, size_t len)
{
	struct render_doc *exact = render_doc_new(), *fast = render_doc_new();
	char err[WARY_ERRLEN];

	exact->html_exact = true;
	if (render_html_into(exact, html, len, 80, err, sizeof(err)) == WARY_OK &&
	    render_html_into(fast, html, len, 80, err, sizeof(err)) == WARY_OK) {
		if (exact->nlines != fast->nlines || exact->nlinks != fast->nlinks ||
		    exact->nrefs != fast->nrefs || exact->ntrackers != fast->ntrackers ||
		    exact->hidden != fast->hidden || exact->text.len != fast->text.len ||
		    memcmp(exact->text.data, fast->text.data, exact->text.len) != 0 ||
		    memcmp(exact->remote, fast->remote, sizeof(exact->remote)) != 0)
			abort();
		for (size_t i = 0; i < exact->nlinks; i++)
			if (strcmp(exact->links[i].href, fast->links[i].href) != 0 ||
			    strcmp(exact->links[i].text, fast->links[i].text) != 0 ||
			    exact->links[i].flags != fast->links[i].flags)
				abort();
		for (size_t i = 0; i < exact->nrefs; i++)
			if (strcmp(exact->refs[i].url, fast->refs[i].url) != 0 ||
			    exact->refs[i].kind != fast->refs[i].kind)
				abort();
	}
	render_free(&exact);
	render_free(&fast);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct render_doc *doc = NULL;
	char err[WARY_ERRLEN];

	if (render_html((const char *)data, size, 80, &doc, err, sizeof(err)) != WARY_OK)
		return 0;
	for (size_t i = 0; i < render_line_count(doc); i++)
		check_line(render_line(doc, i, NULL));
	for (size_t i = 0; i < render_link_count(doc); i++) {
		const struct render_link *l = render_link_get(doc, i);

		check_line(l->text);
		check_line(l->href);
		check_line(l->host);
	}
	for (size_t i = 0; i < render_tracker_count(doc); i++)
		check_line(render_tracker(doc, i));
	render_free(&doc);
	check_squeeze_changes_nothing((const char *)data, size);
	{
		/* The browser copy, parsed again as a browser would, references
		 * nothing remote, whatever the input. */
		struct buf copy = BUF_INIT;
		size_t removed = 0;

		buf_init(&copy);
		if (render_html_browser_copy((const char *)data, size, false, &copy, &removed, err,
		                             sizeof(err)) == WARY_OK) {
			if (render_html(copy.data, copy.len, 80, &doc, err, sizeof(err)) == WARY_OK) {
				if (render_remote_blocked(doc) != 0)
					abort();
				render_free(&doc);
			}
		}
		buf_release(&copy);
	}
	return 0;
}
