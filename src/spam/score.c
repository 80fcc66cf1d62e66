/*
 * The hybrid score: one number in the style of SpamAssassin's report,
 * "score=-2.6, required 5: BAYES_00 -2.50, SPF_PASS -0.10", from the Bayes
 * probability band and the facts the other analyses found.  A fact that
 * is unknown (its analysis did not run) adds nothing and is not listed.
 * Every weight is in the one table below; wary(1) lists the same table
 * (a unit test compares them).
 */
#include <math.h>

#include "spam/spam_int.h"

#define REQUIRED 5.0

enum {
	R_BAYES_00, R_BAYES_05, R_BAYES_20, R_BAYES_30, R_BAYES_45, R_BAYES_51, R_BAYES_55, R_BAYES_70,
	R_BAYES_90, R_BAYES_99, R_BAYES_999,
	R_SPF_PASS, R_SPF_FAIL, R_SPF_SOFTFAIL, R_SPF_NONE,
	R_DKIM_VALID_AU, R_DKIM_VALID, R_DKIM_INVALID, R_DKIM_NONE,
	R_DMARC_PASS, R_DMARC_FAIL, R_DMARC_FAIL_REJECT, R_ALIGNED_PASS,
	R_DECEPTIVE_LINK, R_TRACKING_PIXEL, R_REMOTE_CONTENT, R_HIDDEN_TEXT,
	R_LYING_ATTACHMENT, R_EXECUTABLE_ATTACHMENT, R_DNSBL_LISTED, R_HASHCASH_VALID,
	R_FROM_AMBIGUOUS,
	R_DATE_IN_FUTURE, R_DATE_IN_PAST, R_INVALID_MSGID, R_MSGID_OUTLOOK_NO_MAILER, R_SUBJ_ALL_CAPS,
	R_SUBJ_EXCLAIM, R_FROM_NAME_CAPS, R_TO_IS_FROM, R_PRIORITY_HIGH, R_MIME_NO_VERSION,
	R_COUNT
};

static const struct spam_rule_info rules[R_COUNT] = {
	/* The bands follow this filter's cut-offs (ham below 0.3, spam from
	 * 0.55): a Bayes spam alone reaches the required score. */
	[R_BAYES_00] = { "BAYES_00", -2.5, "Bayes probability below 5%" },
	[R_BAYES_05] = { "BAYES_05", -1.0, "Bayes probability 5 to 20%" },
	[R_BAYES_20] = { "BAYES_20", -0.5, "Bayes probability 20 to 30% (ham)" },
	[R_BAYES_30] = { "BAYES_30", 0.5, "Bayes probability 30 to 45% (unsure)" },
	[R_BAYES_45] = { "BAYES_45", 1.5, "Bayes probability 45 to 51% (unsure)" },
	/* The top of the unsure band, where a deceptive link (2.0, with
	 * DKIM_NONE 0.1 offline) makes spam: on the benchmark's training split
	 * (5-fold cross-validation) 4 more spam of 1517 and no ham; the edge
	 * stands 0.018 above the highest ham with such a link (0.492), and
	 * 0.50 or under would stand within 0.01 of it (tests/bench/spam/README). */
	[R_BAYES_51] = { "BAYES_51", 3.0, "Bayes probability 51 to 55% (unsure)" },
	[R_BAYES_55] = { "BAYES_55", 5.0, "Bayes probability 55 to 70% (spam)" },
	[R_BAYES_70] = { "BAYES_70", 5.5, "Bayes probability 70 to 90%" },
	[R_BAYES_90] = { "BAYES_90", 6.0, "Bayes probability 90 to 99%" },
	[R_BAYES_99] = { "BAYES_99", 6.5, "Bayes probability 99% or more" },
	[R_BAYES_999] = { "BAYES_999", 0.5, "Bayes probability 99.9% or more (adds to BAYES_99)" },
	[R_SPF_PASS] = { "SPF_PASS", -0.1, "SPF: the sending host may send for the envelope domain" },
	[R_SPF_FAIL] = { "SPF_FAIL", 1.0, "SPF: the domain says this host may not send for it" },
	[R_SPF_SOFTFAIL] = { "SPF_SOFTFAIL", 0.5, "SPF: soft fail" },
	[R_SPF_NONE] = { "SPF_NONE", 0.1, "SPF: the domain publishes no record" },
	[R_DKIM_VALID_AU] = { "DKIM_VALID_AU", -0.5, "a valid DKIM signature of the From domain" },
	[R_DKIM_VALID] = { "DKIM_VALID", -0.1, "a valid DKIM signature of another domain" },
	[R_DKIM_INVALID] = { "DKIM_INVALID", 0.5, "a DKIM signature that does not verify" },
	[R_DKIM_NONE] = { "DKIM_NONE", 0.1, "no DKIM signature" },
	[R_DMARC_PASS] = { "DMARC_PASS", -0.5, "DMARC pass for the From domain" },
	[R_DMARC_FAIL] = { "DMARC_FAIL", 1.5, "DMARC fail (policy none)" },
	[R_DMARC_FAIL_REJECT] = { "DMARC_FAIL_REJECT", 3.0,
		                  "DMARC fail where the domain asks to reject or quarantine" },
	[R_ALIGNED_PASS] = { "ALIGNED_PASS", -1.0,
		             "a trusted, aligned pass for the From that is shown (design 4.6)" },
	[R_DECEPTIVE_LINK] = { "DECEPTIVE_LINK", 2.0, "a link whose text names another host" },
	[R_TRACKING_PIXEL] = { "TRACKING_PIXEL", 0.5, "a remote tracking pixel (blocked)" },
	[R_REMOTE_CONTENT] = { "REMOTE_CONTENT", 0.2, "remote references (blocked)" },
	[R_HIDDEN_TEXT] = { "HIDDEN_TEXT", 1.0, "HTML text a reader does not see" },
	[R_LYING_ATTACHMENT] = { "LYING_ATTACHMENT", 2.5,
		                 "an attachment whose bytes are not what its name or type says" },
	[R_EXECUTABLE_ATTACHMENT] = { "EXECUTABLE_ATTACHMENT", 3.0, "a program as attachment" },
	[R_DNSBL_LISTED] = { "DNSBL_LISTED", 3.0, "the origin address is on a DNS block list" },
	[R_HASHCASH_VALID] = { "HASHCASH_VALID", -2.0, "a valid hashcash stamp for a recipient" },
	[R_FROM_AMBIGUOUS] = { "FROM_AMBIGUOUS", 1.0, "not exactly one well-formed From" },
	/* The header anomalies (anomaly.c).  Like a deceptive link, one makes
	 * spam of the band's top and two of BAYES_45; no ham of the band had
	 * one in the training split's cross-validation, where they brought
	 * 22 more spam of 1517 (2.5 points the same, 1.5 fewer; 3.5, where
	 * one is enough at BAYES_45, 4 more: tests/bench/spam/README). */
	[R_DATE_IN_FUTURE] = { "DATE_IN_FUTURE", 2.0, "Date 3 hours or more after the first Received hop's" },
	[R_DATE_IN_PAST] = { "DATE_IN_PAST", 2.0, "Date 4 days or more before the first Received hop's" },
	[R_INVALID_MSGID] = { "INVALID_MSGID", 2.0, "a Message-ID without @" },
	[R_MSGID_OUTLOOK_NO_MAILER] = { "MSGID_OUTLOOK_NO_MAILER", 2.0,
		                        "an Outlook-style Message-ID ($) without X-Mailer" },
	[R_SUBJ_ALL_CAPS] = { "SUBJ_ALL_CAPS", 2.0, "a Subject in capitals (10 or more, no lower case)" },
	[R_SUBJ_EXCLAIM] = { "SUBJ_EXCLAIM", 2.0, "two or more ! in the Subject" },
	[R_FROM_NAME_CAPS] = { "FROM_NAME_CAPS", 2.0, "a From name in capitals" },
	[R_TO_IS_FROM] = { "TO_IS_FROM", 2.0, "addressed to its own sender, not by a list" },
	[R_PRIORITY_HIGH] = { "PRIORITY_HIGH", 2.0, "X-Priority 1 (highest)" },
	[R_MIME_NO_VERSION] = { "MIME_NO_VERSION", 2.0, "multipart without MIME-Version" },
};

size_t spam_rule_count(void)
{
	return R_COUNT;
}

const struct spam_rule_info *spam_rule(size_t i)
{
	return i < R_COUNT ? &rules[i] : NULL;
}

double spam_score_required(void)
{
	return REQUIRED;
}

void spam_facts_init(struct spam_facts *f)
{
	f->bayes = -1;
	f->spf = f->dkim = f->dmarc = SPAM_AUTH_UNKNOWN;
	f->dkim_aligned = f->dmarc_reject = f->aligned_pass = SPAM_UNKNOWN;
	f->deceptive_links = f->trackers = f->remote_blocked = f->hidden_text = -1;
	f->lying_attachments = f->executables = -1;
	f->dnsbl = f->hashcash = f->from_ambiguous = SPAM_UNKNOWN;
	f->anomalies = -1;
}

static const struct {
	unsigned bit;
	int rule;
} anomaly_rules[] = {
	{ SPAM_A_DATE_FUTURE, R_DATE_IN_FUTURE },
	{ SPAM_A_DATE_PAST, R_DATE_IN_PAST },
	{ SPAM_A_MSGID_NO_AT, R_INVALID_MSGID },
	{ SPAM_A_OUTLOOK_ID_NO_MAILER, R_MSGID_OUTLOOK_NO_MAILER },
	{ SPAM_A_SUBJ_CAPS, R_SUBJ_ALL_CAPS },
	{ SPAM_A_SUBJ_EXCLAIM, R_SUBJ_EXCLAIM },
	{ SPAM_A_FROM_CAPS, R_FROM_NAME_CAPS },
	{ SPAM_A_TO_IS_FROM, R_TO_IS_FROM },
	{ SPAM_A_PRIORITY_HIGH, R_PRIORITY_HIGH },
	{ SPAM_A_MIME_NO_VERSION, R_MIME_NO_VERSION },
};

static void hit(struct spam_score *s, int r)
{
	if (s->nhits >= ARRAY_SIZE(s->hits))
		return;
	s->hits[s->nhits].name = rules[r].name;
	s->hits[s->nhits].points = rules[r].points;
	s->nhits++;
	s->total += rules[r].points;
}

void spam_score_compute(const struct spam_facts *f, struct spam_score *s)
{
	memset(s, 0, sizeof(*s));
	s->required = REQUIRED;
	if (f->bayes >= 0) {
		double p = f->bayes;

		hit(s, p < 0.05   ? R_BAYES_00
		       : p < 0.20 ? R_BAYES_05
		       : p < 0.30 ? R_BAYES_20
		       : p < 0.45 ? R_BAYES_30
		       : p < 0.51 ? R_BAYES_45
		       : p < 0.55 ? R_BAYES_51
		       : p < 0.70 ? R_BAYES_55
		       : p < 0.90 ? R_BAYES_70
		       : p < 0.99 ? R_BAYES_90
		                  : R_BAYES_99);
		if (p >= 0.999)
			hit(s, R_BAYES_999);
	}
	switch (f->spf) {
	case SPAM_AUTH_PASS: hit(s, R_SPF_PASS); break;
	case SPAM_AUTH_FAIL: hit(s, R_SPF_FAIL); break;
	case SPAM_AUTH_SOFTFAIL: hit(s, R_SPF_SOFTFAIL); break;
	case SPAM_AUTH_NONE: hit(s, R_SPF_NONE); break;
	default: break;
	}
	switch (f->dkim) {
	case SPAM_AUTH_PASS: hit(s, f->dkim_aligned == SPAM_YES ? R_DKIM_VALID_AU : R_DKIM_VALID); break;
	case SPAM_AUTH_FAIL: case SPAM_AUTH_PERMERROR: hit(s, R_DKIM_INVALID); break;
	case SPAM_AUTH_NONE: hit(s, R_DKIM_NONE); break;
	default: break;
	}
	switch (f->dmarc) {
	case SPAM_AUTH_PASS: hit(s, R_DMARC_PASS); break;
	case SPAM_AUTH_FAIL: hit(s, f->dmarc_reject == SPAM_YES ? R_DMARC_FAIL_REJECT : R_DMARC_FAIL); break;
	default: break;
	}
	if (f->aligned_pass == SPAM_YES)
		hit(s, R_ALIGNED_PASS);
	if (f->deceptive_links > 0)
		hit(s, R_DECEPTIVE_LINK);
	if (f->trackers > 0)
		hit(s, R_TRACKING_PIXEL);
	else if (f->remote_blocked > 0)
		hit(s, R_REMOTE_CONTENT);
	if (f->hidden_text > 0)
		hit(s, R_HIDDEN_TEXT);
	if (f->lying_attachments > 0)
		hit(s, R_LYING_ATTACHMENT);
	if (f->executables > 0)
		hit(s, R_EXECUTABLE_ATTACHMENT);
	if (f->dnsbl == SPAM_YES)
		hit(s, R_DNSBL_LISTED);
	if (f->hashcash == SPAM_YES)
		hit(s, R_HASHCASH_VALID);
	if (f->from_ambiguous == SPAM_YES)
		hit(s, R_FROM_AMBIGUOUS);
	if (f->anomalies > 0)
		for (size_t i = 0; i < ARRAY_SIZE(anomaly_rules); i++)
			if ((unsigned)f->anomalies & anomaly_rules[i].bit)
				hit(s, anomaly_rules[i].rule);
	/* two decimals are shown: no "-0.00" from adding */
	s->total = round(s->total * 100.0) / 100.0;
}

bool spam_score_is_spam(const struct spam_score *s)
{
	return s->total >= s->required;
}

void spam_score_format(const struct spam_score *s, struct buf *out)
{
	buf_addf(out, "score=%.1f, required %g", s->total == 0 ? 0.0 : s->total, s->required);
	for (size_t i = 0; i < s->nhits; i++)
		buf_addf(out, "%s%s %.2f", i ? ", " : ": ", s->hits[i].name, s->hits[i].points);
}
