#ifndef WARY_BASE_H
#define WARY_BASE_H
/*
 * base: growable buffers, small string helpers, the one function every
 * string passes through before it reaches a terminal (safe_text), file
 * helpers that never leave a half-written file.
 *
 * Everything in src/ returns a status (WARY_OK or a negative WARY_E*) and
 * fills a caller-provided error buffer; nothing here exits.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

enum wary_status {
	WARY_OK = 0,
	WARY_ERR = -1,      /* generic failure, see the error buffer */
	WARY_ENOENT = -2,   /* no such message, folder, file or setting */
	WARY_EPARSE = -3,   /* malformed input */
	WARY_ELIMIT = -4,   /* input over a parser limit */
	WARY_EIO = -5,      /* I/O failed */
	WARY_ENOMEM = -6,
	WARY_ECERT = -7,    /* a server certificate did not verify (and is not trusted) */
	WARY_EAUTH = -8,    /* the server refused the login */
	WARY_ENET = -9,     /* connection refused, dropped or timed out */
	WARY_ESECURITY = -10, /* the server broke a security rule (no STARTTLS, PREAUTH, injection) */
};

#define WARY_ERRLEN 512

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Fill err (may be NULL) and return code, for `return err_set(...)`. */
int err_set(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Allocation failure is not recoverable in a terminal client: abort(). */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Multiply-checked realloc for arrays. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* xstrdup, or NULL for NULL. */
char *xstrdup_null(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable, always NUL-terminated byte buffer (a value type, like strbuf). */
struct buf {
	char *data; /* never NULL after buf_init */
	size_t len;
	size_t cap;
};
#define BUF_INIT { NULL, 0, 0 }
void buf_init(struct buf *b);
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_truncate(struct buf *b, size_t len);
void buf_reset(struct buf *b);
/* Hand the bytes to the caller (who frees them) and reset the buffer. */
char *buf_detach(struct buf *b, size_t *len);
void buf_release(struct buf *b);
/* Append s as a JSON string literal, quotes included. */
void buf_add_json_str(struct buf *b, const char *s);
/* Append a JSON array of the names of the bits set in flags; bits whose
 * name is NULL are left out. */
void buf_add_json_flags(struct buf *b, unsigned flags, const char *(*name)(unsigned));

/* Copy with truncation; dst always terminated. Returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t dstsize);
int str_casecmp(const char *a, const char *b);            /* ASCII only */
int str_ncasecmp(const char *a, const char *b, size_t n); /* ASCII only */
bool str_starts_with(const char *s, const char *prefix);
bool str_istarts_with(const char *s, const char *prefix);
/* Strip ASCII white space at both ends, in place; returns s. */
char *str_trim(char *s);
/* Lower-case ASCII letters in place; returns s. */
char *str_lower(char *s);
/* Case-insensitive search of needle in [h, h+hlen). */
const char *str_memcasemem(const char *h, size_t hlen, const char *needle);
/* A fast 64-bit hash of n bytes for hash tables and fingerprints (not
 * for anything an attacker must not collide: it is not keyed). */
uint64_t str_hash64(const void *p, size_t n, uint64_t seed);

/*
 * Safe text.  Every string that came from a message or the network goes
 * through safe_text() after decoding and before it reaches a terminal.
 *
 * Input is treated as UTF-8; invalid sequences become U+FFFD.  Output never
 * contains ESC, C0 controls (except TAB and LF in SAFE_BODY), DEL, C1
 * controls, a bare CR or backspace, so it cannot move the cursor, set
 * titles, query the terminal, emit OSC 8 links or write the clipboard.
 * Controls are shown visibly (^[ for ESC, ^H, <U+0085>, ...) rather than
 * dropped, so the user sees that something was there.
 *
 *  SAFE_LINE  one line (a header, a file name, a UID): line breaks and tabs
 *             become a space; bidi controls and invisible code points
 *             (zero-width, BOM, tag characters, ...) are shown as <U+XXXX>.
 *  SAFE_BODY  text: TAB and LF kept, CRLF becomes LF; bidi overrides and
 *             isolates are shown as <U+XXXX>, marks (LRM/RLM) are kept.
 *  SAFE_RAW   the raw source view: every byte that is not printable ASCII
 *             or valid printable UTF-8 is shown as an escape (^[, \xNN),
 *             LF kept, CR before LF dropped.
 */
enum safe_mode { SAFE_LINE, SAFE_BODY, SAFE_RAW };
void safe_text(struct buf *out, const char *in, size_t len, enum safe_mode mode);
/* Convenience: safe_text into a new string (caller frees). */
char *safe_str(const char *in, enum safe_mode mode);
/* True when s would pass through safe_text(SAFE_LINE) unchanged. */
bool safe_is_clean(const char *s, size_t len);
/* Is this code point a bidi control, invisible or a format character? */
bool safe_is_invisible(uint32_t cp);
/* Invisible, or any other default-ignorable code point (variation
 * selectors included): nothing a file name keeps. */
bool safe_is_ignorable(uint32_t cp);
/* Decode one UTF-8 code point at s (len bytes available). Returns its
 * length (1..4) and sets *cp, or returns 0 for an invalid sequence. */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* Append code point cp as UTF-8. */
void utf8_encode(struct buf *b, uint32_t cp);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12;
 * other months give a number, not a date). */
int64_t time_days_from_civil(int64_t y, int64_t m, int64_t d);

/* Files. */
/* Read a whole file, at most max bytes (0 = no limit); WARY_ELIMIT if over. */
int fs_read_file(const char *path, struct buf *out, size_t max, char *err, size_t errlen);
/* Write via a temp file in the same directory, fsync, rename, fsync dir. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                    char *err, size_t errlen);
int fs_fsync_dir(const char *dir, char *err, size_t errlen);
/* Write all of it, again after EINTR: 0, or -1 with errno. */
int fs_write_all(int fd, const void *data, size_t len);
int fs_mkdir_p(const char *path, mode_t mode, char *err, size_t errlen);
/* Create a private (0700) temporary directory; path is returned in out. */
int fs_private_tmpdir(struct buf *out, char *err, size_t errlen);
/* A name from a message made fit to create a file with (design 4.8):
 * no '/', '\\', NUL or controls, no bidi or invisible code points (they
 * would hide the real extension), no leading dots (no hidden file, no
 * ".."), invalid UTF-8 replaced, at most 200 bytes keeping the
 * extension; "attachment" when nothing is left.  Caller frees. */
char *fs_safe_filename(const char *name);
/* Create NAME (already safe) inside DIR and write data: never through a
 * symlink, never over an existing file (" (2)", " (3)"... before the
 * extension instead), mode 0600, fsynced.  *path_out gets the file's path
 * (caller frees). */
int fs_create_in_dir(const char *dir, const char *name, const void *data, size_t len,
                     char **path_out, char *err, size_t errlen);

/* $XDG_{CONFIG,DATA,CACHE}_HOME/wary (with the usual fallbacks). */
enum fs_xdg { FS_XDG_CONFIG, FS_XDG_DATA, FS_XDG_CACHE };
char *fs_xdg_dir(enum fs_xdg which);

#include "banned.h"
#endif
