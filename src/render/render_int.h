#ifndef WARY_RENDER_INT_H
#define WARY_RENDER_INT_H
/* Inside render/: the document being built and the HTML converter. */
#include "render/render.h"

struct render_line_rec {
	size_t off; /* into render_doc.text; each line is NUL-terminated there */
	enum render_kind kind;
};

struct render_doc {
	/* All lines live in one buffer: a message of thousands of lines costs
	 * one allocation that grows, not one per line. */
	struct buf text;
	struct render_line_rec *lines;
	size_t nlines, caplines;
	size_t remote[RENDER_REMOTE_KINDS];
	char **trackers;
	size_t ntrackers;
	struct render_link *links;
	size_t nlinks, caplinks;
	unsigned footnotes; /* link numbers handed out so far */
	size_t hidden;
	struct render_ref *refs;
	size_t nrefs, caprefs;
	char *receipt;      /* who asks for a read receipt; safe */
	const char *base;   /* <base href> of the HTML part being rendered; borrowed */
	bool html_exact;    /* HTML to the parser as it came (no squeeze): for tests */
};

struct render_doc *render_doc_new(void);
/* Append a line that is already safe (no LF in it). */
void render_doc_add_safe(struct render_doc *d, enum render_kind kind, const char *s, size_t len);
/* Append one line made safe with SAFE_LINE. */
void render_doc_add_line(struct render_doc *d, enum render_kind kind, const char *s, size_t len);
void render_doc_addf(struct render_doc *d, enum render_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Text with line breaks: made safe with SAFE_BODY, split into lines.
 * classify: quote depth by '>' and the signature after "-- ". */
void render_doc_add_body(struct render_doc *d, const char *text, size_t len, bool classify);
/* Record a link (raw strings; made safe here).  Returns the link. */
struct render_link *render_doc_add_link(struct render_doc *d, const char *text, size_t tlen,
                                        const char *href, size_t hlen, bool footnote);
void render_doc_add_tracker(struct render_doc *d, const char *host);
/* Record a remote reference (raw URL, resolved against base). */
struct render_ref *render_doc_add_ref(struct render_doc *d, enum render_remote_kind kind,
                                      const char *url, size_t len, const char *base);

/* CSS: every URL a browser would load from a style sheet or attribute. */
enum render_css_kind { RENDER_CSS_IMAGE, RENDER_CSS_IMPORT, RENDER_CSS_FONT };
typedef void (*render_css_cb)(void *ctx, enum render_css_kind kind, const char *url, size_t len);
void render_css_scan(const char *css, size_t len, render_css_cb cb, void *ctx);
/* URLs written in plain text go to the link list (no footnote). */
void render_doc_scan_urls(struct render_doc *d, const char *text, size_t len);

/* The HTML converter: notice, text and footnotes of one part into d. */
int render_html_into(struct render_doc *d, const char *html, size_t len, int width,
                     char *err, size_t errlen);

/* Limits on what is handed to the HTML parser: its time grows with the
 * square of the nesting depth and its memory is ~45 bytes per input byte. */
#define RENDER_HTML_MAX_BYTES (2u * 1024 * 1024)
#define RENDER_HTML_MAX_DEPTH 400
/* The tags that would nest deeper than RENDER_HTML_MAX_DEPTH dropped
 * (text kept) into out; the count dropped, out untouched when 0. */
size_t render_html_limit_depth(const char *in, size_t len, struct buf *out);
/* Runs of whitespace in text that the parser would hand to the renderer
 * as text (which collapses them) cut to their first byte, into out; the
 * bytes removed, out untouched when 0.  Tags, comments, raw text and
 * everything after an element whose whitespace counts are left alone. */
size_t render_html_squeeze(const char *in, size_t len, struct buf *out);
/* render_message with every HTML part parsed as it came, for tests that
 * compare the two. */
int render_message_exact(const struct mail_msg *msg, const struct render_opts *opts,
                         struct render_doc **out, char *err, size_t errlen);

#endif
