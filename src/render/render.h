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

/*
 * What rendering found.  Nothing remote is ever fetched (design 4.4):
 * every reference that a browser would load is counted here by kind, and
 * tiny remote images are reported as tracking pixels by host.  Links are
 * listed with their real targets (design 4.5).  All strings below are
 * already safe (SAFE_LINE).  The counts cover every part that was
 * rendered, so `wary inspect` renders with prefer_html.
 */
enum render_remote_kind {
	RENDER_REMOTE_IMAGE,      /* img src/srcset, background, CSS url() */
	RENDER_REMOTE_STYLESHEET, /* link rel=stylesheet, CSS @import */
	RENDER_REMOTE_FONT,       /* url() inside @font-face */
	RENDER_REMOTE_FRAME,      /* iframe, frame */
	RENDER_REMOTE_OBJECT,     /* object, embed, applet */
	RENDER_REMOTE_MEDIA,      /* video, audio, source, track */
	RENDER_REMOTE_PREFETCH,   /* link rel=prefetch/dns-prefetch/preconnect/preload */
	RENDER_REMOTE_ICON,       /* link rel=icon */
	RENDER_REMOTE_REFRESH,    /* meta http-equiv=refresh with a URL */
	RENDER_REMOTE_FORM,       /* form action */
	RENDER_REMOTE_EXTERNAL,   /* message/external-body */
	RENDER_REMOTE_KINDS
};
/* "image", "stylesheet", "font", ... for JSON and notices. */
const char *render_remote_kind_name(enum render_remote_kind kind);
size_t render_remote_blocked(const struct render_doc *doc); /* all kinds */
size_t render_remote_count(const struct render_doc *doc, enum render_remote_kind kind);
/* Hosts that tracking pixels point to, each once. */
size_t render_tracker_count(const struct render_doc *doc);
const char *render_tracker(const struct render_doc *doc, size_t i);
/* Text, elements and style that a reader would not see but a filter
 * would (display:none, white on white, 1px fonts): pieces dropped. */
size_t render_hidden_count(const struct render_doc *doc);

enum render_link_flag {
	/* The visible text looks like a host or URL and names another host. */
	RENDER_LINK_TEXT_HOST_MISMATCH = 1 << 0,
};
struct render_link {
	const char *text; /* visible text, whitespace collapsed */
	const char *href; /* the real target as written */
	const char *host; /* host of href, lower-case; "" when it has none */
	unsigned flags;   /* enum render_link_flag */
	unsigned number;  /* its footnote number; 0 for a URL found in plain text */
};
size_t render_link_count(const struct render_doc *doc);
const struct render_link *render_link_get(const struct render_doc *doc, size_t i);
/* "text-host-mismatch" etc. */
const char *render_link_flag_name(unsigned flag);

/* HTML alone to a document (notice, text, footnotes), for tests and
 * tools that need the counts without a message. */
int render_html(const char *html, size_t len, int width, struct render_doc **out,
                char *err, size_t errlen);
/* The host of a URL, lower-case, userinfo and port removed; NULL when the
 * URL has no host.  Caller frees.  Not made safe. */
char *render_url_host(const char *url, size_t len);

#endif
