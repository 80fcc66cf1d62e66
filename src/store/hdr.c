/* Reading the header block for the index without the mail module: only
 * the fields the index needs, raw, and a date.  This runs for every
 * message of a cold folder, so it scans each byte about once. */
#include <ctype.h>
#include <string.h>

#include "base/base.h"
#include "store/store_int.h"

size_t hdr_block_end(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	/* An empty first line: no headers at all. */
	if (len >= 1 && buf[0] == '\n')
		return 0;
	if (len >= 2 && buf[0] == '\r' && buf[1] == '\n')
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			break;
		p = nl + 1;
		if (p < end && *p == '\n')
			return (size_t)(p - buf);
		if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p - buf);
	}
	return SIZE_MAX;
}

enum field { F_FROM, F_TO, F_SUBJECT, F_DATE, F_MSGID, F_IRT, F_REFS, F_CTYPE, F_NONE };

static enum field field_of(const char *name, size_t n)
{
	static const struct {
		const char *name;
		enum field f;
	} fields[] = {
		{ "from", F_FROM },        { "to", F_TO },           { "subject", F_SUBJECT },
		{ "date", F_DATE },        { "message-id", F_MSGID }, { "in-reply-to", F_IRT },
		{ "references", F_REFS },  { "content-type", F_CTYPE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (strlen(fields[i].name) == n && str_ncasecmp(fields[i].name, name, n) == 0)
			return fields[i].f;
	return F_NONE;
}

/* Append [p, p+n) to b, NUL bytes made visible as U+FFFD, up to the cap. */
static void add_value(struct buf *b, const char *p, size_t n)
{
	while (n > 0 && b->len < STORE_MAX_VALUE) {
		const char *nul = memchr(p, '\0', n);
		size_t take = nul ? (size_t)(nul - p) : n;

		if (take > STORE_MAX_VALUE - b->len)
			take = STORE_MAX_VALUE - b->len;
		buf_add(b, p, take);
		p += take;
		n -= take;
		if (n > 0 && *p == '\0') {
			buf_adds(b, "\xEF\xBF\xBD");
			p++;
			n--;
		}
	}
}

static char *trim_value(struct buf *b)
{
	size_t n = b->len, start = 0;

	while (n > 0 && (b->data[n - 1] == ' ' || b->data[n - 1] == '\t' || b->data[n - 1] == '\r'))
		n--;
	while (start < n && (b->data[start] == ' ' || b->data[start] == '\t'))
		start++;
	return xstrndup(b->data + start, n - start);
}

bool hdr_parse_block(const char *buf, size_t len, struct store_row *row)
{
	bool dated = false;
	const char *p = buf, *end = buf + len;
	char *vals[F_NONE] = { NULL };
	struct buf v = BUF_INIT;
	enum field cur = F_NONE;
	bool collecting = false;

	buf_init(&v);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the empty line: end of the header block */
		if (p[0] == ' ' || p[0] == '\t') {
			/* Unfolding removes only the line break. */
			if (collecting)
				add_value(&v, p, n);
		} else {
			const char *colon = memchr(p, ':', n);

			if (collecting) {
				vals[cur] = trim_value(&v);
				collecting = false;
			}
			if (colon != NULL) {
				size_t nlen = (size_t)(colon - p);

				/* "Name :" with white space before the colon is obsolete but seen */
				while (nlen > 0 && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
					nlen--;
				cur = field_of(p, nlen);
				if (cur != F_NONE && vals[cur] == NULL) {
					buf_reset(&v);
					add_value(&v, colon + 1, (size_t)(p + n - (colon + 1)));
					collecting = true;
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (collecting)
		vals[cur] = trim_value(&v);
	buf_release(&v);

	row->from = vals[F_FROM];
	row->to = vals[F_TO];
	row->subject = vals[F_SUBJECT];
	row->message_id = vals[F_MSGID];
	row->in_reply_to = vals[F_IRT];
	row->references = vals[F_REFS];
	row->content_type = vals[F_CTYPE];
	if (vals[F_DATE] != NULL) {
		time_t t;

		if (hdr_parse_date(vals[F_DATE], &t)) {
			row->date = t;
			dated = true;
		}
		free(vals[F_DATE]);
	}
	return dated;
}

/* ---- dates ---- */

static int month_of(const char *w, size_t n)
{
	static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
		                              "jul", "aug", "sep", "oct", "nov", "dec" };

	if (n < 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (str_ncasecmp(w, months[i], 3) == 0)
			return i + 1;
	return 0;
}

/* Zone names of RFC 5322 (obs-zone); military letters count as +0000 as
 * the RFC says, since their sign was used both ways. */
static bool zone_of(const char *w, size_t n, int *minutes)
{
	static const struct {
		const char *name;
		int off;
	} zones[] = {
		{ "UT", 0 },       { "UTC", 0 },      { "GMT", 0 },      { "Z", 0 },
		{ "EST", -5 * 60 }, { "EDT", -4 * 60 }, { "CST", -6 * 60 }, { "CDT", -5 * 60 },
		{ "MST", -7 * 60 }, { "MDT", -6 * 60 }, { "PST", -8 * 60 }, { "PDT", -7 * 60 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(zones); i++)
		if (strlen(zones[i].name) == n && str_ncasecmp(zones[i].name, w, n) == 0) {
			*minutes = zones[i].off;
			return true;
		}
	if (n == 1 && isalpha((unsigned char)w[0])) {
		*minutes = 0;
		return true;
	}
	return false;
}

bool hdr_parse_date(const char *s, time_t *out)
{
	int day = -1, month = 0, year = -1, hh = -1, mm = -1, ss = 0, zone = 0;
	bool have_zone = false;
	const char *p = s;
	int64_t days, t;

	while (*p) {
		if (*p == '(') {
			/* comment, possibly nested */
			int depth = 0;

			for (; *p; p++) {
				if (*p == '\\' && p[1]) {
					p++;
					continue;
				}
				if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0) {
					p++;
					break;
				}
			}
			continue;
		}
		if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && hh >= 0 && !have_zone) {
			int sign = *p == '-' ? -1 : 1, v = 0, nd = 0;

			p++;
			while (isdigit((unsigned char)*p) && nd < 5) {
				v = v * 10 + (*p++ - '0');
				nd++;
			}
			if (nd == 4 && v % 100 < 60 && v / 100 < 24) {
				zone = sign * ((v / 100) * 60 + v % 100);
				have_zone = true;
			}
			continue;
		}
		if (isdigit((unsigned char)*p)) {
			long v = 0;
			int nd = 0;

			while (isdigit((unsigned char)*p) && nd < 9) {
				v = v * 10 + (*p++ - '0');
				nd++;
			}
			while (isdigit((unsigned char)*p))
				p++, nd++;
			if (*p == ':' && hh < 0) {
				/* hh:mm[:ss] */
				hh = (int)v;
				p++;
				if (!isdigit((unsigned char)*p))
					return false;
				mm = 0;
				for (int k = 0; k < 2 && isdigit((unsigned char)*p); k++)
					mm = mm * 10 + (*p++ - '0');
				if (*p == ':' && isdigit((unsigned char)p[1])) {
					p++;
					ss = 0;
					for (int k = 0; k < 2 && isdigit((unsigned char)*p); k++)
						ss = ss * 10 + (*p++ - '0');
				}
				continue;
			}
			if (nd <= 2 && day < 0 && (month == 0 || year < 0) && v >= 1 && v <= 31 &&
			    !(month != 0 && year < 0 && hh >= 0))
				day = (int)v;
			else if (year < 0 && nd >= 2)
				year = nd == 2 ? (v < 50 ? 2000 + (int)v : 1900 + (int)v)
				     : nd == 3 ? 1900 + (int)v : (int)v;
			else if (year < 0 && day >= 0 && nd == 1)
				year = 2000 + (int)v;
			continue;
		}
		if (isalpha((unsigned char)*p)) {
			const char *w = p;
			size_t n;
			int m, z;

			while (isalpha((unsigned char)*p))
				p++;
			n = (size_t)(p - w);
			if (month == 0 && (m = month_of(w, n)) != 0 && n <= 9)
				month = m;
			else if (hh >= 0 && !have_zone && zone_of(w, n, &z)) {
				zone = z;
				have_zone = true;
			}
			continue;
		}
		p++;
	}
	if (day < 1 || month == 0 || year < 1900 || year > 9999 || hh < 0)
		return false;
	if (hh > 23 || mm > 59 || ss > 60)
		return false;
	if (day > 31)
		return false;
	days = time_days_from_civil(year, month, day);
	t = days * 86400 + hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss) - (int64_t)zone * 60;
	*out = (time_t)t;
	return true;
}
