#ifndef WARY_PATTERN_H
#define WARY_PATTERN_H
/*
 * pattern: mutt's search patterns, parsed once and then either evaluated
 * here on index rows (Maildir, or any rows the caller holds) or turned
 * into an IMAP SEARCH key so the server does the work.
 *
 * What a pattern may say:
 *
 *   ~f S   From            ~t S   To              ~c S   Cc
 *   ~C S   To or Cc        ~s S   Subject         ~b S   the body (decoded text)
 *   ~B S   the whole message (header fields and body)
 *   ~h S   a header field: "Name: value" (value may be empty: the field exists)
 *   ~d R   date sent (the Date header), R one of
 *            DD[/MM[/YY|/YYYY]] or YYYYMMDD   that day (missing month, year: this one)
 *            MIN-MAX, -MAX, MIN-                 days from MIN through MAX, both included
 *            <Nu  less than N units ago, >Nu  more than N ago, =Nu  exactly N ago,
 *                 with u one of d (days), w (weeks), m (months), y (years)
 *          YY below 70 is 20YY.  Days are calendar days in local time.
 *   ~N new (never seen by a client, unread)   ~O old (unread, not new)
 *   ~U unread   ~R read   ~F flagged   ~D deleted   ~A all
 *   WORD    a string with no ~ of its own: ~f WORD | ~s WORD (mutt's simple search)
 *
 *   A B     both (juxtaposition is AND)     A | B   either
 *   !A      not A                           ( )     grouping
 *   Precedence as in mutt: ! binds tightest, then AND, then |.
 *
 * Strings (S) are a word that ends at white space, ')' or '|', or quoted
 * with "..." (backslash escapes the next character) or '...' (no
 * escapes); a backslash outside quotes escapes the next character too.
 * A string may not be empty or hold a line break.
 *
 * Matching is case-insensitive SUBSTRING matching, the semantics of IMAP
 * SEARCH, so the server and a local folder give the same answer.  mutt's
 * regular expressions are not supported: ".", "*", "^" are plain
 * characters.  Case folding is Unicode simple lower-casing.  From, To,
 * Cc, Subject and header values are matched after RFC 2047 decoding;
 * ~b and ~B after transfer and charset decoding of each MIME part.  Not
 * supported either: mutt's =S exact and %S group forms, ~d error margins
 * (DATE*2d), hours/minutes/seconds in relative dates, and the pattern
 * letters not listed above (each is refused with its column).
 *
 * Limits (a pattern comes from a user, or from a config file or macro
 * someone else wrote): PATTERN_MAX_LEN bytes, PATTERN_MAX_DEPTH levels of
 * ( and !, PATTERN_MAX_TERMS terms.  NUL bytes and invalid UTF-8 are
 * refused.  Errors name the column (in characters, from 1):
 * "pattern: column 7: ~d needs a date range".
 *
 * A parsed pattern is read-only: one may be used from several threads.
 */
#include "base/base.h"
#include "store/store.h"

#define PATTERN_MAX_LEN 4096
#define PATTERN_MAX_DEPTH 64
#define PATTERN_MAX_TERMS 256

struct pattern;

/* Parse text[0..len).  Relative dates (<3d) are reckoned from `now`
 * (0: the current time), so the same pattern means the same days in the
 * local evaluation and on the server.  WARY_EPARSE or WARY_ELIMIT with
 * err naming the column. */
int pattern_parse(const char *text, size_t len, time_t now, struct pattern **out, char *err,
                  size_t errlen);
void pattern_free(struct pattern **p);

/* True when some term needs more than an index row (~c, ~C, ~h, ~b, ~B):
 * pattern_match then asks for the message through its callback, unless
 * the other terms decide first.  A pattern without such terms can be
 * evaluated on the rows alone, quickly, on any thread. */
bool pattern_needs_message(const struct pattern *p);

/* The message bytes of `row` for the terms that need them (read the
 * file, fetch from the server).  Return WARY_OK with the whole message
 * appended to out, or a negative status, which pattern_match returns. */
typedef int (*pattern_msg_cb)(void *ctx, const struct store_row *row, struct buf *out);

/* Does row match?  1 yes, 0 no, or the negative status of get.  `get`
 * is called at most once per call, and only when a term needs the
 * message and the cheaper terms did not already decide; with get NULL
 * such terms do not match (so !~b X matches every row).  Row fields
 * used: from, to, subject (raw, RFC 2047 decoded here), date, flags. */
int pattern_match(const struct pattern *p, const struct store_row *row, pattern_msg_cb get,
                  void *ctx);

/*
 * The pattern as IMAP SEARCH keys (RFC 3501 6.4.4), appended to out: what
 * follows "UID SEARCH ".  ~f FROM, ~t TO, ~c CC, ~C OR TO CC, ~s SUBJECT,
 * ~b BODY, ~B TEXT, ~h HEADER, ~d SENTSINCE/SENTBEFORE/SENTON (the Date
 * header, as ~d means; the server compares the date in the header's own
 * zone, we in local time, so a message sent near midnight may fall on
 * the other side), ~N NEW, ~O OLD UNSEEN, ~U UNSEEN, ~R SEEN, ~F FLAGGED,
 * ~D DELETED, ~A ALL; NOT, OR (nested as a balanced tree), ( ) lists.
 *
 * No user string can add IMAP syntax: a string of printable ASCII other
 * than '"' and '\' is sent as a quoted string; any other string (a
 * quote, a backslash, a TAB or other control, 8-bit) as a synchronizing
 * literal "{N}\r\n" followed by its N bytes, and when some string is
 * 8-bit the keys start with "CHARSET UTF-8 ".  CR and LF never get this
 * far: pattern_parse refuses a line break inside a string (no unfolded
 * header holds one, and Dovecot takes a CRLF key as matching every
 * message); outside strings they are white space.  The text therefore
 * holds CRLF only where a literal starts: whoever sends it sends up to
 * and including each CRLF, waits for the server's "+" go-ahead, then goes
 * on with the N literal bytes and the rest (store_search does this).
 *
 * Server and local answers agree (tests/integration/pattern-imap.sh
 * checks it against Dovecot) but for: a message sent near midnight (see
 * ~d above); the server's own case folding (Dovecot's i;unicode-casemap
 * also folds titlecase and decomposes); header values are compared with
 * each run of white space as one space, as servers store them.
 */
int pattern_imap(const struct pattern *p, struct buf *out, char *err, size_t errlen);

#endif
