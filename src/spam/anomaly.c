/*
 * Header anomalies: what ratware writes and mail programs do not, after
 * SpamAssassin's classic header tests.  Each one was kept because it is
 * rare in ham (fewer than 1 in 200 of the benchmark's training hams) and
 * because none of the hams the filter is unsure of has it; see
 * tests/bench/spam/README, "Sixth round".  They count in the hybrid score
 * (score.c), not as tokens: a token that strong still does not reach a
 * message's 30 strongest, where a rule decides the unsure band.
 */
#include <ctype.h>
#include <unictype.h>
#include <unistr.h>

#include "spam/spam_int.h"

/* Ratware stamps its own clock or a fixed date; a mail program stamps the
 * moment it sends, and the first server takes the message soon after. */
#define DATE_FUTURE_S (3L * 3600)
#define DATE_PAST_S (96L * 3600)
#define SUBJ_CAPS_MIN 10
#define NAME_CAPS_MIN 3

/* The date of the lowest Received hop that has one: when the first server
 * took the message (the headers stand newest first).  Only a date whose
 * zone places it: qmail's "-0000" is often a local clock. */
static bool first_hop_date(const struct mail_msg *msg, time_t *when)
{
	bool found = false;

	for (size_t i = 0; i < mail_header_count(msg); i++) {
		const char *semi;
		time_t t;
		int tz;
		bool zoned;

		if (str_casecmp(mail_header_name(msg, i), "Received") != 0)
			continue;
		semi = strrchr(mail_header_value(msg, i), ';');
		if (semi && mail_date_parse_zone(semi + 1, &t, &tz, &zoned) == WARY_OK && zoned) {
			*when = t;
			found = true;
		}
	}
	return found;
}

/* "18 Jul 0102": ratware that wrote tm_year + 0 as four digits.  The
 * date parser reads it as 2002 (a 3-digit year is 1900 + it), but the
 * field says a year 1900 years back.  The year stands before the time's
 * first ':'; a comment after the zone may hold any number. */
static bool year_below_1000(const char *date)
{
	for (const char *p = date; *p && *p != ':'; p++)
		if (*p == '0' && (p == date || p[-1] == ' ') && isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) && p[4] == ' ')
			return true;
	return false;
}

static unsigned date_anomaly(const struct mail_msg *msg)
{
	time_t date, hop;
	int tz;
	bool zoned;

	if (mail_date_parse_zone(mail_header_get(msg, "Date"), &date, &tz, &zoned) != WARY_OK ||
	    !zoned || !first_hop_date(msg, &hop))
		return 0;
	if (year_below_1000(mail_header_get(msg, "Date")))
		return SPAM_A_DATE_PAST;
	if (date - hop >= DATE_FUTURE_S)
		return SPAM_A_DATE_FUTURE;
	if (hop - date >= DATE_PAST_S)
		return SPAM_A_DATE_PAST;
	return 0;
}

/* Letters with case only: a name in a script without case is not shouting. */
static void count_case(const char *s, size_t *upper, size_t *lower)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + strlen(s);

	*upper = *lower = 0;
	while (p < end) {
		ucs4_t uc;
		int n = u8_mbtouc(&uc, p, (size_t)(end - p));

		if (uc_is_upper(uc))
			(*upper)++;
		else if (uc_is_lower(uc))
			(*lower)++;
		p += n > 0 ? n : 1;
	}
}

static bool shouts(const char *s, size_t min)
{
	size_t upper, lower;

	if (s == NULL)
		return false;
	count_case(s, &upper, &lower);
	return upper >= min && lower == 0;
}

static unsigned subject_anomalies(const struct mail_msg *msg)
{
	char *subj = mail_header_decoded(msg, "Subject"), *bang;
	unsigned a = 0;

	if (subj == NULL)
		return 0;
	if (shouts(subj, SUBJ_CAPS_MIN))
		a |= SPAM_A_SUBJ_CAPS;
	bang = strchr(subj, '!');
	if (bang && strchr(bang + 1, '!'))
		a |= SPAM_A_SUBJ_EXCLAIM;
	free(subj);
	return a;
}

static unsigned sender_anomalies(const struct mail_msg *msg)
{
	struct mail_from from;
	struct mail_addr_list to = { NULL, 0 };
	const char *tov = mail_header_get(msg, "To");
	char err[WARY_ERRLEN];
	unsigned a = 0;

	if (mail_from_get(msg, &from) != WARY_OK)
		return 0;
	if (shouts(from.display, NAME_CAPS_MIN))
		a |= SPAM_A_FROM_CAPS;
	/* a list hands a member's mail back to the list's own address */
	if (from.address && tov && mail_header_get(msg, "List-Id") == NULL) {
		mail_addr_parse(tov, &to, err, sizeof(err));
		for (size_t i = 0; i < to.n; i++)
			if (to.v[i].address && str_casecmp(to.v[i].address, from.address) == 0) {
				a |= SPAM_A_TO_IS_FROM;
				break;
			}
		mail_addr_list_clear(&to);
	}
	mail_from_clear(&from);
	return a;
}

/* Raw values keep their folding: a value may start on the next line. */
static const char *skip_blank(const char *v)
{
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	return v;
}

static unsigned id_anomalies(const struct mail_msg *msg)
{
	const char *mid = mail_header_get(msg, "Message-ID");
	const char *pri = mail_header_get(msg, "X-Priority");
	const char *ct = mail_header_get(msg, "Content-Type");
	unsigned a = 0;

	if (mid && strchr(mid, '@') == NULL)
		a |= SPAM_A_MSGID_NO_AT;
	/* Outlook's "<000801c2...$...$...@host>" always comes with its X-Mailer */
	if (mid && strchr(mid, '$') && mail_header_get(msg, "X-Mailer") == NULL)
		a |= SPAM_A_OUTLOOK_ID_NO_MAILER;
	if (pri && *skip_blank(pri) == '1')
		a |= SPAM_A_PRIORITY_HIGH;
	/* the type as declared: the parser reads a multipart whose body has
	 * no delimiter as text */
	if (ct && str_ncasecmp(skip_blank(ct), "multipart/", 10) == 0 &&
	    mail_header_get(msg, "MIME-Version") == NULL)
		a |= SPAM_A_MIME_NO_VERSION;
	return a;
}

unsigned spam_header_anomalies(const struct mail_msg *msg)
{
	if (msg == NULL)
		return 0;
	return date_anomaly(msg) | subject_anomalies(msg) | sender_anomalies(msg) | id_anomalies(msg);
}
