/*
 * The untagged responses of an index FETCH, parsed in place.
 *
 * libetpan's parser builds a tree of small allocations for every
 * response (a list per FLAGS, a struct per address, a string copied a
 * byte at a time) and frees it again: at 100k messages that was most of
 * a cold open's CPU, and it needs the whole response text of a command
 * kept in one buffer, so the index had to be fetched in pieces, one round
 * trip each.  Here one response (its literals inline, as read from the
 * wire) is cut into NUL-ended strings where it lies: a quoted string is
 * unescaped over itself, a literal moved one byte back over its LF.
 * Nothing is allocated but the address array, reused from response to
 * response.
 *
 * The grammar is RFC 3501's (and RFC 7162's MODSEQ), read strictly where
 * it carries what the index shows and skipped generically (a value of any
 * shape, to a bounded depth) where it does not.  Anything else is
 * WARY_EPARSE: the caller hangs up, as it does when libetpan gives up.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/imap_int.h"
#include "store/store_int.h"

/* Deeper than any BODYSTRUCTURE a server sends for a real message; a
 * bound so that a hostile one cannot recurse through the stack. */
#define SKIP_DEPTH 64

struct cur {
	char *p, *end;
	struct imap_fetch *out;
};

static bool at(const struct cur *c, char ch)
{
	return c->p < c->end && *c->p == ch;
}

static bool eat(struct cur *c, char ch)
{
	if (!at(c, ch))
		return false;
	c->p++;
	return true;
}

/* Case-insensitive keyword (n bytes, upper case) followed by a delimiter
 * (or the end).  The first byte is compared by hand: most calls are NIL
 * tests on a quote or a parenthesis. */
#define word(c, w) word_n((c), (w), sizeof(w) - 1)
static bool word_n(struct cur *c, const char *w, size_t n)
{
	char first;

	if ((size_t)(c->end - c->p) < n)
		return false;
	first = *c->p >= 'a' && *c->p <= 'z' ? (char)(*c->p - 'a' + 'A') : *c->p;
	if (first != w[0] || strncasecmp(c->p + 1, w + 1, n - 1) != 0)
		return false;
	if (c->p + n < c->end && (isalnum((unsigned char)c->p[n]) || c->p[n] == '.'))
		return false;
	c->p += n;
	return true;
}

static bool number(struct cur *c, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		uint64_t d = (uint64_t)(*c->p - '0');

		if (n > (max - d) / 10) /* n * 10 + d > max, asked without overflowing */
			return false;
		n = n * 10 + d;
		c->p++;
	}
	*v = n;
	return c->p > s;
}

/* atom-char: anything but ( ) { SP CTL % * " \ ] (RFC 3501 9); a flag's
 * backslash is taken by the caller. */
static bool atom_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && ch != '(' && ch != ')' && ch != '{' && ch != '%' &&
	       ch != '*' && ch != '"' && ch != '\\' && ch != ']';
}

/* A literal's {n} CRLF: the count, and p at its first byte. */
static bool literal_head(struct cur *c, size_t *n)
{
	uint64_t v;

	if (!eat(c, '{') || !number(c, STORE_MAX_HEADER * 4ull, &v))
		return false;
	(void)eat(c, '+'); /* LITERAL+ from a server is not expected, but harmless */
	if (!eat(c, '}') || !eat(c, '\r') || !eat(c, '\n') || (uint64_t)(c->end - c->p) < v)
		return false;
	*n = (size_t)v;
	return true;
}

/*
 * string / NIL.  *s is the NUL-ended text (NULL for NIL); *len its bytes
 * (a NUL inside a literal shortens what C sees, never what len says).
 */
static bool nstring(struct cur *c, char **s, size_t *len)
{
	*s = NULL;
	*len = 0;
	if (eat(c, '"')) {
		char *w, *start = c->p, *q;
		size_t n;

		/* most strings have no escape and no line end: found whole by
		 * memchr, ended in place */
		q = memchr(start, '"', (size_t)(c->end - start));
		n = q != NULL ? (size_t)(q - start) : 0;
		if (q != NULL && memchr(start, '\\', n) == NULL && memchr(start, '\r', n) == NULL &&
		    memchr(start, '\n', n) == NULL) {
			*q = '\0';
			c->p = q + 1;
			*s = start;
			*len = n;
			return true;
		}
		w = c->p;
		for (;;) {
			if (c->p >= c->end || *c->p == '\r' || *c->p == '\n')
				return false;
			if (*c->p == '"')
				break;
			if (*c->p == '\\') {
				c->p++;
				if (c->p >= c->end || (*c->p != '"' && *c->p != '\\'))
					return false;
			}
			*w++ = *c->p++;
		}
		/* w <= the closing quote: the NUL lands inside the string's
		 * own bytes */
		*w = '\0';
		c->p++;
		*s = start;
		*len = (size_t)(w - start);
		return true;
	}
	if (at(c, '{')) {
		size_t n;
		char *lit;

		if (!literal_head(c, &n))
			return false;
		lit = c->p;
		/* one byte back, over the LF before it, to make room for the
		 * NUL at its end without touching what follows */
		memmove(lit - 1, lit, n);
		*(lit - 1 + n) = '\0'; /* its old last byte, or (n = 0) the LF */
		c->p = lit + n;
		*s = lit - 1;
		*len = n;
		return true;
	}
	return word(c, "NIL");
}

/* Any value: number, atom, quoted, literal, NIL, or a parenthesised
 * list of them (a BODYSTRUCTURE, an unknown item), to SKIP_DEPTH. */
static bool skip_value(struct cur *c, int depth)
{
	char *s;
	size_t n;

	if (depth > SKIP_DEPTH)
		return false;
	if (eat(c, '(')) {
		while (!at(c, ')')) {
			if (!skip_value(c, depth + 1))
				return false;
			(void)eat(c, ' ');
		}
		c->p++;
		return true;
	}
	if (at(c, '"') || at(c, '{'))
		return nstring(c, &s, &n);
	{
		char *start = c->p;

		while (c->p < c->end && (atom_char((unsigned char)*c->p) || *c->p == '\\' || *c->p == '[' ||
		                         *c->p == ']'))
			c->p++;
		return c->p > start;
	}
}

static bool flags(struct cur *c)
{
	unsigned f = 0;

	if (!eat(c, '('))
		return false;
	while (!at(c, ')')) {
		char *start = c->p;
		bool sys = eat(c, '\\');

		while (c->p < c->end && atom_char((unsigned char)*c->p))
			c->p++;
		if (c->p == start + sys)
			return false;
		f |= imap_flag_from_name(start, (size_t)(c->p - start));
		if (!eat(c, ' ') && !at(c, ')'))
			return false;
	}
	c->p++;
	c->out->flags = f;
	c->out->has_flags = true;
	return true;
}

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* date-time: "dd-Mon-yyyy hh:mm:ss +zzzz", the day maybe space-padded. */
static bool internaldate(struct cur *c)
{
	char *s;
	size_t n;
	int day, year, hh, mm, ss, zone, mon = -1;
	char mname[4], sign;
	struct tm tm;
	time_t t;

	if (!nstring(c, &s, &n) || s == NULL || n < 26)
		return false;
	if (sscanf(s, "%2d-%3c-%4d %2d:%2d:%2d %c%4d", &day, mname, &year, &hh, &mm, &ss, &sign, &zone) != 8)
		return false;
	mname[3] = '\0';
	for (int i = 0; i < 12; i++)
		if (strcasecmp(mname, months[i]) == 0)
			mon = i;
	if (mon < 0 || (sign != '+' && sign != '-') || year < 1970 || day < 1 || day > 31 || hh > 23 ||
	    mm > 59 || ss > 60 || zone < 0 || zone > 9959)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = timegm(&tm);
	{
		int off = (zone / 100) * 3600 + (zone % 100) * 60;

		t = sign == '-' ? t + off : t - off;
	}
	c->out->internal = t;
	c->out->has_internal = true;
	return true;
}

static bool address(struct cur *c, struct imap_addr *a)
{
	char *adl;
	size_t n;

	return eat(c, '(') && nstring(c, &a->name, &n) && eat(c, ' ') && nstring(c, &adl, &n) &&
	       eat(c, ' ') && nstring(c, &a->mailbox, &n) && eat(c, ' ') &&
	       nstring(c, &a->host, &n) && eat(c, ')');
}

/* "(" 1*address ")" / NIL, appended to out->addrs; *first and *count say
 * which of them are this list's. */
static bool addr_list(struct cur *c, size_t *first, size_t *count)
{
	struct imap_fetch *o = c->out;

	*first = o->naddrs;
	*count = 0;
	if (word(c, "NIL"))
		return true;
	if (!eat(c, '('))
		return false;
	while (!at(c, ')')) {
		struct imap_addr a;

		if (!address(c, &a))
			return false;
		(void)eat(c, ' '); /* some servers put one between addresses */
		/* A list is shown to STORE_MAX_VALUE bytes; 4096 addresses of
		 * the shortest form already fill that.  The rest is read, not
		 * kept. */
		if (*count >= IMAP_MAX_ADDRS)
			continue;
		if (o->naddrs == o->capaddrs) {
			o->capaddrs = o->capaddrs ? o->capaddrs * 2 : 16;
			o->addrs = xreallocarray(o->addrs, o->capaddrs, sizeof(*o->addrs));
		}
		o->addrs[o->naddrs++] = a;
		(*count)++;
	}
	c->p++;
	return true;
}

static bool envelope(struct cur *c)
{
	struct imap_fetch *o = c->out;
	size_t n, first, count;

	if (!eat(c, '(') || !nstring(c, &o->env_date, &n) || !eat(c, ' ') ||
	    !nstring(c, &o->env_subject, &n) || !eat(c, ' ') || !addr_list(c, &o->from, &o->nfrom) ||
	    !eat(c, ' ') || !addr_list(c, &first, &count) || !eat(c, ' ') || /* sender */
	    !addr_list(c, &first, &count) || !eat(c, ' ') ||                 /* reply-to */
	    !addr_list(c, &o->to, &o->nto) || !eat(c, ' ') ||
	    !addr_list(c, &first, &count) || !eat(c, ' ') ||                 /* cc */
	    !addr_list(c, &first, &count) || !eat(c, ' ') ||                 /* bcc */
	    !nstring(c, &o->env_in_reply_to, &n) || !eat(c, ' ') ||
	    !nstring(c, &o->env_message_id, &n) || !eat(c, ')'))
		return false;
	o->has_env = true;
	return true;
}

/* BODY[section]<origin> SP nstring: the section text is skipped to its
 * closing bracket (it echoes what was asked, maybe with quoted names). */
static bool body_section(struct cur *c)
{
	struct imap_fetch *o = c->out;

	if (!eat(c, '['))
		return false;
	while (!at(c, ']')) {
		if (c->p >= c->end || *c->p == '\r' || *c->p == '\n')
			return false;
		if (at(c, '"')) {
			char *s;
			size_t n;

			if (!nstring(c, &s, &n))
				return false;
			continue;
		}
		c->p++;
	}
	c->p++;
	if (eat(c, '<')) {
		uint64_t v;

		if (!number(c, UINT32_MAX, &v) || !eat(c, '>'))
			return false;
	}
	if (!eat(c, ' ') || !nstring(c, &o->body, &o->body_len))
		return false;
	o->has_body = o->body != NULL;
	return true;
}

static bool msg_att(struct cur *c)
{
	struct imap_fetch *o = c->out;

	if (!eat(c, '('))
		return false;
	while (!at(c, ')')) {
		uint64_t v;

		if (word(c, "UID")) {
			if (!eat(c, ' ') || !number(c, UINT32_MAX, &v) || v == 0)
				return false;
			o->uid = (uint32_t)v;
		} else if (word(c, "FLAGS")) {
			if (!eat(c, ' ') || !flags(c))
				return false;
		} else if (word(c, "RFC822.SIZE")) {
			if (!eat(c, ' ') || !number(c, INT64_MAX, &v))
				return false;
			o->size = (int64_t)v;
		} else if (word(c, "INTERNALDATE")) {
			if (!eat(c, ' ') || !internaldate(c))
				return false;
		} else if (word(c, "ENVELOPE")) {
			if (!eat(c, ' ') || !envelope(c))
				return false;
		} else if (word(c, "MODSEQ")) {
			if (!eat(c, ' ') || !eat(c, '(') || !number(c, INT64_MAX, &v) || !eat(c, ')'))
				return false;
			o->modseq = v;
		} else if ((size_t)(c->end - c->p) >= 5 && strncasecmp(c->p, "BODY[", 5) == 0) {
			c->p += 4;
			if (!body_section(c))
				return false;
		} else {
			/* an item we did not ask for: its name, then its value */
			char *start = c->p;

			while (c->p < c->end && (atom_char((unsigned char)*c->p) || *c->p == '[' || *c->p == ']'))
				c->p++;
			if (c->p == start || !eat(c, ' ') || !skip_value(c, 0))
				return false;
		}
		if (!eat(c, ' ') && !at(c, ')'))
			return false;
	}
	c->p++;
	return true;
}

void imap_fetch_reset(struct imap_fetch *o)
{
	struct imap_addr *addrs = o->addrs;
	size_t cap = o->capaddrs;

	memset(o, 0, sizeof(*o));
	o->addrs = addrs;
	o->capaddrs = cap;
}

void imap_fetch_release(struct imap_fetch *o)
{
	free(o->addrs);
	memset(o, 0, sizeof(*o));
}

int imap_fetch_parse(char *resp, size_t len, struct imap_fetch *out)
{
	struct cur c = { resp, resp + len, out };
	uint64_t n;

	imap_fetch_reset(out);
	out->kind = IMAP_RESP_OTHER;
	if (!eat(&c, '*') || !eat(&c, ' '))
		return WARY_EPARSE;
	if (word(&c, "BYE")) {
		out->kind = IMAP_RESP_BYE;
		return WARY_OK;
	}
	if (word(&c, "VANISHED")) {
		if (!eat(&c, ' '))
			return WARY_EPARSE;
		if (word(&c, "(EARLIER)") && !eat(&c, ' '))
			return WARY_EPARSE;
		out->kind = IMAP_RESP_VANISHED;
		out->set = c.p;
		while (c.p < c.end && (isdigit((unsigned char)*c.p) || *c.p == ':' || *c.p == ',' || *c.p == '*'))
			c.p++;
		if (c.p == out->set || c.p != c.end)
			return WARY_EPARSE;
		out->set_len = (size_t)(c.p - out->set);
		return WARY_OK;
	}
	if (c.p >= c.end || !isdigit((unsigned char)*c.p)) /* OK, NO, BAD, FLAGS, LIST...: not ours */
		return WARY_OK;
	if (!number(&c, UINT32_MAX, &n))
		return WARY_EPARSE;
	out->seq = (uint32_t)n;
	if (!eat(&c, ' '))
		return WARY_EPARSE;
	if (word(&c, "EXISTS")) {
		out->kind = IMAP_RESP_EXISTS;
	} else if (word(&c, "EXPUNGE")) {
		out->kind = IMAP_RESP_EXPUNGE;
	} else if (word(&c, "RECENT")) {
		out->kind = IMAP_RESP_OTHER;
	} else if (word(&c, "FETCH")) {
		out->kind = IMAP_RESP_FETCH;
		if (!eat(&c, ' ') || !msg_att(&c))
			return WARY_EPARSE;
	} else {
		return WARY_EPARSE;
	}
	return c.p == c.end ? WARY_OK : WARY_EPARSE;
}

void imap_addrs_format(struct buf *b, const struct imap_fetch *x, size_t first, size_t n)
{
	const struct imap_addr *a = n ? x->addrs + first : NULL;
	bool in_group = false;

	for (size_t i = 0; i < n && b->len < STORE_MAX_VALUE; i++) {
		/* RFC 3501 groups: a NIL host starts one (mailbox = its
		 * name) and a NIL host with NIL mailbox ends it. */
		if (a[i].host == NULL) {
			if (a[i].mailbox != NULL) {
				if (b->len > 0)
					buf_adds(b, ", ");
				imap_addr_format(b, NULL, a[i].mailbox, NULL);
				buf_adds(b, ":");
				in_group = true;
			} else if (in_group) {
				buf_adds(b, ";");
				in_group = false;
			}
			continue;
		}
		if (b->len > 0 && b->data[b->len - 1] != ':')
			buf_adds(b, ", ");
		else if (b->len > 0)
			buf_addch(b, ' ');
		imap_addr_format(b, a[i].name, a[i].mailbox, a[i].host);
	}
}
