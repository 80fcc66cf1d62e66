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
/* Every line, each followed by LF, appended to out (wary show). */
void render_text(const struct render_doc *doc, struct buf *out);

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
	RENDER_REMOTE_SCRIPT,     /* script src (never run; a browser would fetch it) */
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
/* Every remote reference, in document order, resolved against the
 * part's <base href> (a relative URL without one is kept as written and
 * has no host).  Kept up to 10000; the counts above go on. */
struct render_ref {
	enum render_remote_kind kind;
	const char *url;  /* safe */
	const char *host; /* lower-case, safe; "" when none */
	bool tracker;     /* a tracking pixel */
};
size_t render_ref_count(const struct render_doc *doc);
const struct render_ref *render_ref_get(const struct render_doc *doc, size_t i);
/* The address a read receipt is asked for (Disposition-Notification-To,
 * Return-Receipt-To, X-Confirm-Reading-To), safe; NULL when none.  wary
 * never sends one. */
const char *render_receipt_request(const struct render_doc *doc);

enum render_link_flag {
	/* The visible text looks like a host or URL and names another host
	 * (full names compared, after IDN and IPv4 normalisation). */
	RENDER_LINK_TEXT_HOST_MISMATCH = 1 << 0,
	RENDER_LINK_NUMERIC_HOST = 1 << 1, /* an IP host, in any spelling (detail: dotted quad) */
	RENDER_LINK_USERINFO = 1 << 2,     /* https://paypal.com@evil.example/ */
	RENDER_LINK_PUNYCODE = 1 << 3,     /* an IDN host (detail: both forms and scripts) */
	RENDER_LINK_MIXED_SCRIPT = 1 << 4, /* scripts mixed inside one label */
	RENDER_LINK_HTTP_DOWNGRADE = 1 << 5, /* the text says https, the target is http */
	RENDER_LINK_FORM = 1 << 6,         /* a form: where typed data is sent */
	RENDER_LINK_SCRIPT_URL = 1 << 7,   /* javascript:, data:, vbscript: target */
};
/* Flags that make a link deceptive (the panel counts these). */
#define RENDER_LINK_DECEPTIVE (RENDER_LINK_TEXT_HOST_MISMATCH | RENDER_LINK_NUMERIC_HOST | \
	RENDER_LINK_USERINFO | RENDER_LINK_MIXED_SCRIPT | RENDER_LINK_HTTP_DOWNGRADE | \
	RENDER_LINK_SCRIPT_URL)
struct render_link {
	const char *text;   /* visible text, whitespace collapsed */
	const char *href;   /* the real target (resolved against <base href>) */
	const char *host;   /* host of href, lower-case; "" when it has none */
	const char *detail; /* what the flags found: "ip 203.0.113.7", "punycode ..."; "" */
	unsigned flags;     /* enum render_link_flag */
	unsigned number;    /* its footnote number; 0 for a URL found in plain text or a form */
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
/* ref resolved against base (NULL: none) as a browser does; caller frees. */
char *render_url_resolve(const char *base, const char *ref, size_t rlen);
/* Length of the scheme of u ("https" -> 5), 0 when it has none. */
size_t render_url_scheme(const char *u, size_t len);
/* A host a browser reads as IPv4 (3405803783, 0xcb007107, 0313.0.0161.7,
 * 203.7): true and the dotted quad in out. */
bool render_host_ipv4(const char *host, char out[16]);
/* A host for comparing: IPv4 as a dotted quad, IDN as lower-case
 * punycode.  Caller frees. */
char *render_host_ascii(const char *host);
/* RENDER_LINK_PUNYCODE and RENDER_LINK_MIXED_SCRIPT for a host; appends
 * "punycode A = U, scripts X+Y" to detail (may be NULL). */
unsigned render_host_idn(const char *host, struct buf *detail);
/* The userinfo before '@' of a URL with a host, or NULL.  Caller frees. */
char *render_url_userinfo(const char *url, size_t len);

/*
 * The copy of an HTML part handed to a browser (design 4.4): parsed as a
 * browser parses it and written out again with scripts, frames, objects,
 * <base>, <meta>, <link> and every remote reference removed (unless
 * allow_remote: the user allowed this sender), and a strict
 * Content-Security-Policy first in <head>, so even the browser loads
 * nothing remote.  out gets a UTF-8 document.
 */
#define RENDER_CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:; form-action 'none'"
#define RENDER_CSP_ALLOWED "default-src 'none'; style-src 'unsafe-inline' http: https:; " \
	"img-src data: cid: http: https:; font-src http: https:; media-src http: https:; form-action 'none'"
int render_html_browser_copy(const char *html, size_t len, bool allow_remote, struct buf *out,
                             size_t *removed, char *err, size_t errlen);
/* The HTML of a message as UTF-8 text (the first text/html part a reader
 * would be shown); WARY_ENOENT when it has none. */
int render_message_html(const struct mail_msg *msg, struct buf *out, char *err, size_t errlen);
/* The browser copy of a message's HTML, its inline images (cid:, up to
 * 8 MB) written in as data: URIs, since a browser reading a file cannot
 * resolve a cid: URL. */
int render_message_browser_copy(const struct mail_msg *msg, bool allow_remote, struct buf *out,
                                size_t *removed, char *err, size_t errlen);

/*
 * Senders whose remote content the user allowed, by address, in SQLite
 * ($XDG_DATA_HOME/wary/remote.db; path NULL for that).  Allowing changes
 * only the browser copy: rendering never loads anything for anyone.
 */
struct render_allow;
int render_allow_open(const char *path, struct render_allow **out, char *err, size_t errlen);
void render_allow_close(struct render_allow **a);
/* Addresses are compared lower-case. */
bool render_allow_has(struct render_allow *a, const char *address);
int render_allow_add(struct render_allow *a, const char *address, char *err, size_t errlen);
/* WARY_ENOENT when the address was not on the list. */
int render_allow_revoke(struct render_allow *a, const char *address, char *err, size_t errlen);
/* Every address with the time it was allowed, "ADDR\tYYYY-MM-DD HH:MM\n" each. */
int render_allow_list(struct render_allow *a, struct buf *out, char *err, size_t errlen);

#endif
