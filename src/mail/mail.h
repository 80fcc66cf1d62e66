#ifndef WARY_MAIL_H
#define WARY_MAIL_H
/*
 * mail: the message model.  Bytes in, a parsed message out: headers,
 * addresses (with the strict From rules of the design, 4.6), RFC 2047 and
 * RFC 2231 decoding, charsets to UTF-8 through iconv, the MIME tree,
 * quoted-printable and base64, format=flowed, dates and JWZ threading.
 * The parsers are our own, not libetpan's: its MIME parser did not finish
 * a 7 MB message nested 100,000 deep in 20 s, and its address parser takes
 * "a@b <c@d>" as well-formed, which the From rules must not.  Knows
 * nothing of the network or the terminal: strings returned here are
 * decoded UTF-8 but NOT yet made safe; callers pass them through
 * safe_text() before display.
 *
 * Limits (design 4.9) are enforced on every parse: see MAIL_MAX_*.  A
 * message over MAIL_MAX_SIZE fails; the other limits cut the parse short
 * (fields after the 4096th ignored, a field cut at its length limit, MIME
 * parts past the depth or count limit left unparsed) with a warning, so a
 * hostile message still opens.  NUL bytes in header fields are replaced
 * by U+FFFD so that no C string ends early.
 */
#include "base/base.h"

#define MAIL_MAX_SIZE (256u * 1024 * 1024) /* whole message */
#define MAIL_MAX_HEADERS 4096              /* header fields per entity */
#define MAIL_MAX_HEADER_LEN (256u * 1024)  /* one unfolded field */
#define MAIL_MAX_DEPTH 32                  /* MIME nesting */
#define MAIL_MAX_PARTS 4096                /* MIME parts in a message */

struct mail_msg;  /* a parsed message (opaque) */
struct mail_part; /* one MIME entity inside it (opaque, owned by the msg) */

/* Parse a whole message.  Malformed input is parsed as far as it goes
 * (a message with broken MIME still shows its headers and text); only
 * limit violations and unusable input fail.  data is copied. */
int mail_parse(const char *data, size_t len, struct mail_msg **out, char *err, size_t errlen);
void mail_free(struct mail_msg **msg);
/* The bytes the message was parsed from. */
const char *mail_raw(const struct mail_msg *msg, size_t *len);
/* Problems met while parsing ("truncated MIME boundary", "2 From
 * headers", ...), for the raw view and `wary inspect`. */
size_t mail_warning_count(const struct mail_msg *msg);
const char *mail_warning(const struct mail_msg *msg, size_t i);

/* Top-level header fields, in order.  Names as written; values raw
 * (undecoded, folding kept). */
size_t mail_header_count(const struct mail_msg *msg);
const char *mail_header_name(const struct mail_msg *msg, size_t i);
const char *mail_header_value(const struct mail_msg *msg, size_t i);
/* First field with that name (case-insensitive), raw; NULL if none. */
const char *mail_header_get(const struct mail_msg *msg, const char *name);
size_t mail_header_count_named(const struct mail_msg *msg, const char *name);
/* Was field i written with white space before its colon ("From :")? */
bool mail_header_space_before_colon(const struct mail_msg *msg, size_t i);
/* Unfolded and RFC 2047-decoded to UTF-8; caller frees; NULL if absent. */
char *mail_header_decoded(const struct mail_msg *msg, const char *name);

/* Addresses. */
struct mail_addr {
	char *display; /* decoded display name, UTF-8, or NULL */
	char *local;   /* local part */
	char *domain;  /* domain, lower-cased; NULL for a group or bad address */
	char *address; /* local@domain */
};
struct mail_addr_list {
	struct mail_addr *v;
	size_t n;
};
/* Parse an address-list header value (To, Cc, From...).  Returns
 * WARY_EPARSE on malformed input; a partial list may still be filled. */
int mail_addr_parse(const char *value, struct mail_addr_list *out, char *err, size_t errlen);
void mail_addr_list_clear(struct mail_addr_list *l);

/* The sender the UI displays, by the strict rules of design 4.6. */
enum mail_from_flag {
	MAIL_FROM_NONE = 1 << 0,            /* no From header */
	MAIL_FROM_MULTIPLE_HEADERS = 1 << 1,/* more than one From field */
	MAIL_FROM_MULTIPLE_ADDRS = 1 << 2,  /* one field, several mailboxes */
	MAIL_FROM_MALFORMED = 1 << 3,       /* does not parse as RFC 5322 */
	MAIL_FROM_ADDR_IN_DISPLAY = 1 << 4, /* display name holds an address */
	MAIL_FROM_ENCODED_ADDR = 1 << 5,    /* encoded-word hides the address */
	MAIL_FROM_INVISIBLE = 1 << 6,       /* invisible/bidi characters */
	MAIL_FROM_SPACE_BEFORE_COLON = 1 << 7, /* "From :" (obsolete syntax) */
	MAIL_FROM_NON_ASCII_DOMAIN = 1 << 8,/* IDN / punycode domain */
};
struct mail_from {
	char *display; /* UTF-8 display name or NULL */
	char *address; /* the real address, always shown */
	char *domain;
	bool ambiguous; /* not exactly one well-formed From: verdicts say so */
	unsigned flags; /* enum mail_from_flag */
};
int mail_from_get(const struct mail_msg *msg, struct mail_from *out);
void mail_from_clear(struct mail_from *f);
/* Names of the set flags, e.g. "multiple-from-headers"; for JSON/UI. */
const char *mail_from_flag_name(unsigned flag);

/* Encoded words and parameters. */
/* RFC 2047: decode encoded-words in an unstructured value; unfolds.
 * Unknown charsets and bad encodings are kept as written. */
char *mail_rfc2047_decode(const char *value, size_t len);
/* Charset conversion through iconv; invalid input becomes U+FFFD.
 * charset NULL or unknown is treated as UTF-8 with fallback to
 * Windows-1252 for invalid bytes.  ISO-8859-1 is read as Windows-1252 (as
 * browsers do); UTF-7 output has its control characters replaced by
 * U+FFFD.  Returns a NUL-terminated string (outlen may be NULL). */
char *mail_to_utf8(const char *charset, const char *in, size_t len, size_t *outlen);

/* The MIME tree. */
const struct mail_part *mail_root(const struct mail_msg *msg);
size_t mail_part_count_children(const struct mail_part *p);
const struct mail_part *mail_part_child(const struct mail_part *p, size_t i);
const struct mail_part *mail_part_parent(const struct mail_part *p);
int mail_part_depth(const struct mail_part *p);
/* "text/plain" etc., lower-case; defaults per RFC 2045 when absent. */
const char *mail_part_type(const struct mail_part *p);
/* A Content-Type parameter (RFC 2231 continuations and charsets joined
 * and decoded to UTF-8), NULL if absent. */
const char *mail_part_param(const struct mail_part *p, const char *name);
/* Content-Disposition type ("inline", "attachment") or NULL. */
const char *mail_part_disposition(const struct mail_part *p);
/* File name from Content-Disposition filename or Content-Type name,
 * RFC 2231 / 2047 decoded to UTF-8; NULL if none.  Not sanitised. */
const char *mail_part_filename(const struct mail_part *p);
const char *mail_part_encoding(const struct mail_part *p); /* "base64", ... */
const char *mail_part_id(const struct mail_part *p);       /* Content-ID or NULL */
/* A header of this part (raw), NULL if absent. */
const char *mail_part_header(const struct mail_part *p, const char *name);
/* Encoded body bytes as they stand in the message. */
const char *mail_part_body(const struct mail_part *p, size_t *len);
/* The whole entity as it stands: its header block, the empty line and the
 * body (for the root, the whole message).  A signature covers these bytes
 * (RFC 3156). */
const char *mail_part_raw(const struct mail_part *p, size_t *len);
/* Transfer-decoded bytes (QP/base64 undone, QP line breaks as LF); caller
 * frees.  Broken encodings decode leniently; an unknown encoding gives
 * the bytes as they stand (and a parse warning). */
int mail_part_decode(const struct mail_part *p, struct buf *out, char *err, size_t errlen);
/* Decoded and converted to UTF-8 from the part's charset; for text/plain
 * with format=flowed, reflowed per RFC 3676.  Caller frees. */
int mail_part_text(const struct mail_part *p, struct buf *out, char *err, size_t errlen);
/* For message/rfc822 parts: the enclosed message, parsed lazily. */
const struct mail_msg *mail_part_message(const struct mail_part *p);
/* Is this part an attachment (disposition or a non-text leaf)? */
bool mail_part_is_attachment(const struct mail_part *p);

/* Transfer encodings (exposed for tests and for send/). */
void mail_qp_decode(struct buf *out, const char *in, size_t len, bool header_mode);
/* Returns false if the input had invalid characters (decoding goes on). */
bool mail_base64_decode(struct buf *out, const char *in, size_t len);
/* RFC 3676: join soft-broken lines, undo space-stuffing. */
void mail_flowed_decode(struct buf *out, const char *text, size_t len, bool delsp);

/* Dates (RFC 5322 with the obsolete forms seen in the wild). */
int mail_date_parse(const char *value, time_t *when, int *tz_minutes);
/* The same; *zone_known is false when the zone does not place the time
 * ("-0000", none, a military or unknown name): such a clock may be local. */
int mail_date_parse_zone(const char *value, time_t *when, int *tz_minutes, bool *zone_known);

/* JWZ threading. */
struct mail_thread_in {
	const char *message_id;  /* raw header values, may be NULL */
	const char *in_reply_to;
	const char *references;
	const char *subject;
	time_t date;
};
struct mail_thread_out {
	size_t index; /* into the input array */
	int depth;    /* 0 for a thread root */
};
/* Thread n messages: out (n entries) lists them in display order, roots
 * sorted by date (oldest first, or newest first when reverse), children
 * by date, with depths.  Robust to loops, duplicate IDs and missing
 * parents (dummy containers are not emitted).  O(n log n). */
int mail_thread(const struct mail_thread_in *in, size_t n, bool reverse,
                struct mail_thread_out *out, char *err, size_t errlen);
/* The same over messages kept in the caller's own array: message i's
 * fields are at base + i * stride + each offset (const char * fields,
 * may be NULL, and a time_t), so that 100k rows are threaded without a
 * copy of their pointers; order and depth (n entries) get what out's
 * index and depth would. */
struct mail_thread_view {
	const void *base;
	size_t stride;
	size_t message_id, in_reply_to, references, subject, date; /* offsets */
};
int mail_thread_view(const struct mail_thread_view *v, size_t n, bool reverse, size_t *order,
                     int *depth, char *err, size_t errlen);
/* Subject with Re:/Fwd:/[list] prefixes removed, for threading. */
char *mail_subject_base(const char *subject);

#endif
