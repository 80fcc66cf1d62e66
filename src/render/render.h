#ifndef WARY_RENDER_H
#define WARY_RENDER_H
/*
 * render: a parsed message to lines of terminal-safe text for the pager.
 * text/plain and format=flowed, text/html through an HTML5 parser (gumbo)
 * to readable text with links as numbered footnotes, multipart/alternative
 * by preference, message/rfc822 nested, attachments listed.  Every part is
 * rendered on its own.  Rendering does no network and no file access.
 * Every line returned has been through safe_text().
 */
#include "base/base.h"
#include "mail/mail.h"

enum render_headers { RENDER_HEADERS_WEED, RENDER_HEADERS_ALL, RENDER_HEADERS_NONE };

struct render_opts {
	enum render_headers headers;
	bool prefer_html; /* multipart/alternative: html before text */
	int width;        /* wrap width for HTML text; 0 = 80 */
};

/* What a line is, so the UI can colour it; the UI maps these to theme
 * colours and never looks at the text to decide. */
enum render_kind {
	RENDER_BODY,
	RENDER_HEADER,     /* "Name: value" in the header block */
	RENDER_QUOTE1,     /* quoted text, depth 1 */
	RENDER_QUOTE2,     /* depth 2 and deeper */
	RENDER_SIGNATURE,  /* after "-- " */
	RENDER_PART,       /* a part separator: "[-- text/html, 2 KB --]" */
	RENDER_ATTACHMENT, /* an attachment line */
	RENDER_LINK,       /* a link footnote "[1] https://..." */
	RENDER_NOTICE,     /* wary's own notices (blocked images, errors) */
};

struct render_doc;
int render_message(const struct mail_msg *msg, const struct render_opts *opts,
                   struct render_doc **out, char *err, size_t errlen);
void render_free(struct render_doc **doc);
size_t render_line_count(const struct render_doc *doc);
/* A safe UTF-8 line without its newline. */
const char *render_line(const struct render_doc *doc, size_t i, enum render_kind *kind);

/* HTML to text alone (used by render_message and by tests). */
int render_html_to_text(const char *html, size_t len, int width, struct buf *out,
                        char *err, size_t errlen);

#endif
