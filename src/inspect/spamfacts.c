/*
 * The spam filter's part of a report: the Bayes probability from the
 * user's token store, and the hybrid score's facts from what the other
 * analyses found (the sender verdict, render's links, remote references
 * and hidden text, inspect's attachments).  A fact whose analysis did
 * not run stays unknown and adds nothing to the score.
 */
#include <unistd.h>

#include "inspect/spam_int.h"
#include "send/send.h"

/* A stamp must prove this much work (hashcash's usual 20 bits). */
#define HASHCASH_BITS 20

struct inspect_sstate {
	struct spam_db *db;
	bool tried;
};

void inspect_sstate_free(struct inspect_sstate **ss)
{
	if (ss == NULL || *ss == NULL)
		return;
	spam_db_free(&(*ss)->db);
	free(*ss);
	*ss = NULL;
}

/* The user's store, only when one exists and has learnt both kinds. */
static struct spam_db *user_db(struct inspect_sstate **ss)
{
	struct inspect_sstate *s;

	if (*ss == NULL)
		*ss = xcalloc(1, sizeof(**ss));
	s = *ss;
	if (!s->tried) {
		char *path = spam_db_default_path();
		char err[WARY_ERRLEN];

		s->tried = true;
		/* inspecting a message never creates a store */
		if (path && access(path, F_OK) == 0 && spam_db_open(path, &s->db, err, sizeof(err)) != WARY_OK)
			s->db = NULL;
		free(path);
		if (s->db) {
			struct spam_stats st;

			if (spam_db_stats(s->db, &st, err, sizeof(err)) != WARY_OK || st.nspam == 0 ||
			    st.nham == 0)
				spam_db_free(&s->db);
		}
	}
	return s->db;
}

static enum spam_auth from_spf(enum auth_spf_result r)
{
	switch (r) {
	case AUTH_SPF_PASS: return SPAM_AUTH_PASS;
	case AUTH_SPF_FAIL: return SPAM_AUTH_FAIL;
	case AUTH_SPF_SOFTFAIL: return SPAM_AUTH_SOFTFAIL;
	case AUTH_SPF_NEUTRAL: return SPAM_AUTH_NEUTRAL;
	case AUTH_SPF_TEMPERROR: return SPAM_AUTH_TEMPERROR;
	case AUTH_SPF_PERMERROR: return SPAM_AUTH_PERMERROR;
	default: return SPAM_AUTH_NONE;
	}
}

static enum spam_auth from_dmarc(enum auth_dmarc_result r)
{
	switch (r) {
	case AUTH_DMARC_PASS: return SPAM_AUTH_PASS;
	case AUTH_DMARC_FAIL: return SPAM_AUTH_FAIL;
	case AUTH_DMARC_TEMPERROR: return SPAM_AUTH_TEMPERROR;
	case AUTH_DMARC_PERMERROR: return SPAM_AUTH_PERMERROR;
	default: return SPAM_AUTH_NONE;
	}
}

static void verdict_facts(const struct auth_verdict *v, struct spam_facts *f)
{
	f->from_ambiguous = v->ambiguous ? SPAM_YES : SPAM_NO;
	f->aligned_pass = v->aligned_pass ? SPAM_YES : SPAM_NO;
	if (v->spf_checked)
		f->spf = from_spf(v->spf.result);
	if (v->dmarc_checked) {
		f->dmarc = from_dmarc(v->dmarc.result);
		f->dmarc_reject = (strcmp(v->dmarc.policy, "reject") == 0 ||
		                   strcmp(v->dmarc.policy, "quarantine") == 0) ? SPAM_YES : SPAM_NO;
	}
	if (v->dkim.total == 0) {
		f->dkim = SPAM_AUTH_NONE;
	} else {
		bool pass = false, fail = false, aligned = false, pending = false;

		for (size_t i = 0; i < v->dkim.n; i++) {
			const struct auth_dkim_sig *s = &v->dkim.sig[i];

			if (s->result == AUTH_DKIM_PASS) {
				pass = true;
				if (v->domain && str_casecmp(s->domain, v->domain) == 0)
					aligned = true;
			} else if (s->result == AUTH_DKIM_FAIL || s->result == AUTH_DKIM_PERMERROR) {
				fail = true;
			} else if (s->result == AUTH_DKIM_TEMPERROR) {
				pending = true;
			}
		}
		if (v->dmarc_checked && v->dmarc.dkim_aligned)
			aligned = true;
		if (pass) {
			f->dkim = SPAM_AUTH_PASS;
			f->dkim_aligned = aligned ? SPAM_YES : SPAM_NO;
		} else if (fail) {
			f->dkim = SPAM_AUTH_FAIL;
		} else if (!pending && v->dkim.n > 0) {
			f->dkim = SPAM_AUTH_NEUTRAL;
		}
	}
}

/* A valid hashcash stamp for one of the message's recipients (To, Cc).
 * Without the user's spent-stamp table a replay is not seen here; the
 * stamp's date must still be within send's 28-day window. */
static enum spam_tri hashcash_fact(const struct mail_msg *msg)
{
	static const char *const fields[] = { "To", "Cc" };
	const char **mine = NULL;
	size_t n = 0, cap = 0;
	struct mail_addr_list lists[2];
	enum send_hashcash_result r;
	char err[WARY_ERRLEN];
	unsigned bits = 0;

	if (mail_header_get(msg, "X-Hashcash") == NULL && mail_header_get(msg, "Hashcash") == NULL)
		return SPAM_NO;
	for (size_t k = 0; k < ARRAY_SIZE(fields); k++) {
		const char *v = mail_header_get(msg, fields[k]);

		lists[k].v = NULL;
		lists[k].n = 0;
		if (v)
			mail_addr_parse(v, &lists[k], err, sizeof(err));
		for (size_t i = 0; i < lists[k].n && n < 64; i++) {
			if (lists[k].v[i].address == NULL)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				mine = xreallocarray(mine, cap, sizeof(*mine));
			}
			mine[n++] = lists[k].v[i].address;
		}
	}
	r = n ? send_hashcash_verify_msg(NULL, msg, mine, n, HASHCASH_BITS, time(NULL), &bits)
	      : SEND_HC_NONE;
	for (size_t k = 0; k < ARRAY_SIZE(fields); k++)
		mail_addr_list_clear(&lists[k]);
	free(mine);
	return r == SEND_HC_VALID ? SPAM_YES : SPAM_NO;
}

/* Every fact but the Bayes probability. */
static void analysis_facts(const struct mail_msg *msg, const struct render_doc *doc,
                           const struct auth_verdict *verdict, int lying, int exec, int dnsbl,
                           struct spam_facts *f)
{
	if (doc) {
		int deceptive = 0;

		for (size_t i = 0; i < render_link_count(doc); i++)
			if (render_link_get(doc, i)->flags != 0)
				deceptive++;
		f->deceptive_links = deceptive;
		f->trackers = (int)render_tracker_count(doc);
		f->remote_blocked = (int)render_remote_blocked(doc);
		f->hidden_text = (int)render_hidden_count(doc);
	}
	f->lying_attachments = lying;
	f->executables = exec;
	if (verdict)
		verdict_facts(verdict, f);
	f->hashcash = hashcash_fact(msg);
	f->anomalies = (int)spam_header_anomalies(msg);
	if (dnsbl >= 0)
		f->dnsbl = dnsbl ? SPAM_YES : SPAM_NO;
}

void inspect_spam_facts(struct inspect_sstate **ss, const struct mail_msg *msg,
                        const struct render_doc *doc, const struct auth_verdict *verdict,
                        int lying, int exec, int dnsbl, struct spam_facts *f,
                        struct spam_result *bayes)
{
	struct spam_db *db = user_db(ss);

	spam_facts_init(f);
	memset(bayes, 0, sizeof(*bayes));
	bayes->prob = -1;
	if (db) {
		char err[WARY_ERRLEN];

		if (spam_db_classify(db, msg, 0, bayes, err, sizeof(err)) == WARY_OK)
			f->bayes = bayes->prob;
		else
			bayes->prob = -1;
	}
	analysis_facts(msg, doc, verdict, lying, exec, dnsbl, f);
}

void inspect_spam_json(struct inspect_sstate **ss, const struct mail_msg *msg,
                       const struct render_doc *doc, const struct auth_verdict *verdict,
                       int lying, int exec, int dnsbl, struct buf *out)
{
	struct spam_facts f;
	struct spam_result r;
	struct spam_score s;

	inspect_spam_facts(ss, msg, doc, verdict, lying, exec, dnsbl, &f, &r);
	if (r.prob >= 0)
		buf_addf(out, "\"spam\":{\"probability\":%.6f,\"class\":\"%s\"}", r.prob,
		         spam_class_name(r.cls));
	else
		buf_adds(out, "\"spam\":null");
	spam_score_compute(&f, &s);
	buf_addf(out, ",\"score\":{\"total\":%.2f,\"required\":%g,\"rules\":[", s.total, s.required);
	for (size_t i = 0; i < s.nhits; i++) {
		if (i)
			buf_addch(out, ',');
		buf_adds(out, "{\"name\":");
		buf_add_json_str(out, s.hits[i].name);
		buf_addf(out, ",\"points\":%.2f}", s.hits[i].points);
	}
	buf_adds(out, "]}");
	spam_result_clear(&r);
}

void inspect_spam_text(struct inspect_sstate **ss, const struct mail_msg *msg,
                       const struct render_doc *doc, const struct auth_verdict *verdict,
                       int lying, int exec, int dnsbl, struct buf *out)
{
	struct spam_facts f;
	struct spam_result r;
	struct spam_score s;

	inspect_spam_facts(ss, msg, doc, verdict, lying, exec, dnsbl, &f, &r);
	buf_adds(out, "\nSpam:\n");
	if (r.prob >= 0)
		buf_addf(out, "  Bayes: %s, probability %.4f (%zu tokens, %zu counted)\n",
		         spam_class_name(r.cls), r.prob, r.tokens, r.used);
	else
		buf_adds(out, "  Bayes: no trained token store\n");
	spam_score_compute(&f, &s);
	buf_adds(out, "  ");
	spam_score_format(&s, out);
	buf_addch(out, '\n');
	spam_result_clear(&r);
}

/* What render, the attachments and the verdict say, for the score. */
static int message_facts(struct inspect *in, const struct mail_msg *msg, struct render_doc **doc,
                         struct auth_verdict **vout, int *lying, int *exec, char *err,
                         size_t errlen)
{
	struct render_opts o = { RENDER_HEADERS_NONE, true, 80 };
	struct inspect_attachment *atts = NULL;
	struct auth_verdict *v = xcalloc(1, sizeof(*v));
	size_t na = 0;
	int rc;

	*lying = *exec = 0;
	*vout = NULL;
	rc = render_message(msg, &o, doc, err, errlen);
	if (rc != WARY_OK) {
		free(v);
		return rc;
	}
	if (inspect_attachments(in, msg, &atts, &na, err, errlen) == WARY_OK)
		for (size_t i = 0; i < na; i++) {
			if (atts[i].flags & (INSPECT_ATT_TYPE_MISMATCH | INSPECT_ATT_DOUBLE_EXT))
				(*lying)++;
			if (atts[i].flags & INSPECT_ATT_EXECUTABLE)
				(*exec)++;
		}
	inspect_attachments_free(&atts, na);
	if (inspect_verdict(in, msg, v, err, errlen) != WARY_OK) {
		auth_verdict_clear(v);
		free(v);
		v = NULL;
	}
	*vout = v;
	return WARY_OK;
}

int inspect_spam_score(struct inspect *in, const struct mail_msg *msg, double bayes,
                       struct spam_score *out, char *err, size_t errlen)
{
	struct render_doc *doc = NULL;
	struct auth_verdict *v = NULL;
	int lying, exec, rc;
	struct spam_facts f;

	rc = message_facts(in, msg, &doc, &v, &lying, &exec, err, errlen);
	if (rc != WARY_OK)
		return rc;
	spam_facts_init(&f);
	f.bayes = bayes;
	analysis_facts(msg, doc, v, lying, exec, -1, &f);
	spam_score_compute(&f, out);
	if (v) {
		auth_verdict_clear(v);
		free(v);
	}
	render_free(&doc);
	return WARY_OK;
}

int inspect_spam_line(struct inspect *in, const struct mail_msg *msg, struct buf *out, char *err,
                      size_t errlen)
{
	struct render_doc *doc = NULL;
	struct auth_verdict *v = NULL;
	int lying, exec, rc;
	struct spam_facts f;
	struct spam_result r;
	struct spam_score s;

	rc = message_facts(in, msg, &doc, &v, &lying, &exec, err, errlen);
	if (rc != WARY_OK)
		return rc;
	inspect_spam_facts(inspect_sstate_of(in), msg, doc, v, lying, exec, -1, &f, &r);
	spam_score_compute(&f, &s);
	if (r.prob >= 0)
		buf_addf(out, "%s %.2f, ", spam_class_name(r.cls), r.prob);
	spam_score_format(&s, out);
	spam_result_clear(&r);
	if (v) {
		auth_verdict_clear(v);
		free(v);
	}
	render_free(&doc);
	return WARY_OK;
}
