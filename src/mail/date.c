/* RFC 5322 dates with the obsolete and common broken forms: no weekday,
 * two- and three-digit years, no seconds, named and military zones,
 * a trailing "(CET)", asctime order ("Mon Jan  1 10:00:00 2002").
 * Impossible dates (31 Feb, 25:61, +9900) are rejected, not guessed. */
#include "mail/mail_int.h"

#include <ctype.h>

static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
	                              "jul", "aug", "sep", "oct", "nov", "dec" };

struct zone { const char *name; int minutes; };
static const struct zone zones[] = {
	{ "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
	{ "est", -300 }, { "edt", -240 }, { "cst", -360 }, { "cdt", -300 },
	{ "mst", -420 }, { "mdt", -360 }, { "pst", -480 }, { "pdt", -420 },
	{ "cet", 60 }, { "cest", 120 }, { "bst", 60 }, { "met", 60 }, { "mest", 120 },
};

/* Read at most maxd digits; false when there are none or too many. */
static bool read_num(const char **pp, int maxd, long *out)
{
	const char *p = *pp;
	long v = 0;
	int d = 0;

	while (isdigit((unsigned char)*p)) {
		if (++d > maxd)
			return false;
		v = v * 10 + (*p - '0');
		p++;
	}
	if (d == 0)
		return false;
	*out = v;
	*pp = p;
	return true;
}

static void skip_cfws(const char **pp)
{
	const char *p = *pp;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ',')
			p++;
		if (*p != '(')
			break;
		p += mail_skip_comment(p, 0);
	}
	*pp = p;
}

static int month_of(const char *p)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(months); i++)
		if (str_ncasecmp(p, months[i], 3) == 0)
			return (int)i + 1;
	return 0;
}

static void skip_word(const char **pp)
{
	while (isalpha((unsigned char)**pp) || **pp == '.')
		(*pp)++;
}

static bool is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool read_time(const char **pp, long *h, long *mi, long *s)
{
	const char *p = *pp;

	if (!read_num(&p, 2, h) || *p != ':')
		return false;
	p++;
	if (!read_num(&p, 2, mi))
		return false;
	*s = 0;
	if (*p == ':') {
		p++;
		if (!read_num(&p, 2, s))
			return false;
	}
	*pp = p;
	return true;
}

/* *known: the zone places the time (RFC 5322 3.3: "-0000", a missing,
 * military or unknown zone say nothing of where the clock stood). */
static bool read_zone(const char **pp, int *tz, bool *known)
{
	const char *p = *pp;

	skip_cfws(&p);
	*tz = 0;
	*known = false;
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		const char *q = p + 1;
		long v;

		if (!read_num(&q, 4, &v) || q - p != 5)
			return false;
		if (v / 100 > 23 || v % 100 > 59)
			return false;
		*tz = sign * (int)(v / 100 * 60 + v % 100);
		*known = !(sign < 0 && v == 0);
		*pp = q;
		return true;
	}
	if (isalpha((unsigned char)*p)) {
		char name[8];
		size_t n = 0;
		size_t i;

		while (isalpha((unsigned char)p[n]) && n < sizeof(name) - 1) {
			name[n] = (char)tolower((unsigned char)p[n]);
			n++;
		}
		name[n] = '\0';
		for (i = 0; i < ARRAY_SIZE(zones); i++) {
			if (strcmp(zones[i].name, name) == 0) {
				*tz = zones[i].minutes;
				*known = true;
				break;
			}
		}
		/* military and unknown zones: RFC 5322 says treat as -0000 */
		p += n;
		skip_word(&p);
		if (*p == '+' || *p == '-') { /* "GMT+0100" */
			int off;
			if (read_zone(&p, &off, known))
				*tz = off;
		}
	}
	*pp = p;
	return true;
}

int mail_date_parse(const char *value, time_t *when, int *tz_minutes)
{
	return mail_date_parse_zone(value, when, tz_minutes, NULL);
}

int mail_date_parse_zone(const char *value, time_t *when, int *tz_minutes, bool *zone_known)
{
	const char *p = value;
	long day, mon = 0, year, h, mi, s, days;
	int tz = 0;
	bool known = false;
	long long t;

	if (value == NULL)
		return WARY_EPARSE;
	skip_cfws(&p);
	if (isalpha((unsigned char)*p) && month_of(p) == 0) {
		skip_word(&p); /* a weekday; no weekday shares a month's letters */
		skip_cfws(&p);
	}
	if (isalpha((unsigned char)*p)) {
		/* asctime: "Jan  1 10:00:00 2002" */
		mon = month_of(p);
		if (mon == 0)
			return WARY_EPARSE;
		skip_word(&p);
		skip_cfws(&p);
		if (!read_num(&p, 2, &day))
			return WARY_EPARSE;
		skip_cfws(&p);
		if (!read_time(&p, &h, &mi, &s))
			return WARY_EPARSE;
		skip_cfws(&p);
		if (!read_num(&p, 4, &year))
			return WARY_EPARSE;
		if (!read_zone(&p, &tz, &known))
			tz = 0;
	} else {
		if (!read_num(&p, 2, &day))
			return WARY_EPARSE;
		while (*p == ' ' || *p == '\t' || *p == '-' || *p == '\r' || *p == '\n')
			p++;
		mon = month_of(p);
		if (mon == 0)
			return WARY_EPARSE;
		skip_word(&p);
		while (*p == ' ' || *p == '\t' || *p == '-' || *p == '\r' || *p == '\n')
			p++;
		if (!read_num(&p, 4, &year))
			return WARY_EPARSE;
		skip_cfws(&p);
		if (!read_time(&p, &h, &mi, &s))
			return WARY_EPARSE;
		if (!read_zone(&p, &tz, &known))
			return WARY_EPARSE;
	}
	if (year < 50)
		year += 2000;
	else if (year < 1000)
		year += 1900;
	if (year < 1900 || year > 9999)
		return WARY_EPARSE;
	{
		static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int dim = mdays[mon - 1] + (mon == 2 && is_leap(year));
		if (day < 1 || day > dim)
			return WARY_EPARSE;
	}
	if (h > 23 || mi > 59 || s > 60)
		return WARY_EPARSE;
	if (s == 60)
		s = 59; /* a leap second: close enough, and representable */
	days = time_days_from_civil(year, mon, day);
	t = (long long)days * 86400 + h * 3600 + mi * 60 + s - (long long)tz * 60;
	if (sizeof(time_t) < 8 && (t > INT32_MAX || t < INT32_MIN))
		return WARY_EPARSE;
	if (when != NULL)
		*when = (time_t)t;
	if (tz_minutes != NULL)
		*tz_minutes = tz;
	if (zone_known != NULL)
		*zone_known = known;
	return WARY_OK;
}
