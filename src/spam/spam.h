#ifndef WARY_SPAM_H
#define WARY_SPAM_H
/*
 * spam: a personal Bayesian filter and the explainable hybrid score.
 *
 *   tokenize   a parsed message -> a set of tokens (header fields with
 *              prefixes, decoded body words, HTML text and attributes,
 *              URL hosts and paths, attachment types; hidden HTML text
 *              under its own prefix; the usual bypasses undone)
 *   bayes      Robinson's f(w) and Fisher's chi-square combining, as
 *              bogofilter and SpamBayes do, into a probability and a
 *              ham / unsure / spam class
 *   tokdb      the user's token counts in SQLite: train, untrain and
 *              retrain with message-level dedupe, pruning, and an
 *              in-memory copy for classifying many messages at once
 *   score      one number from the Bayes band and the facts the other
 *              analyses found, each rule shown with its points
 *
 * Tokens are stored as 64-bit hashes of their text, so a token store
 * holds no words of the user's mail in clear and stays small.
 */
#include "base/base.h"
#include "mail/mail.h"

/* ---- tokenizer ------------------------------------------------------ */

/* Bumped when the tokens of a message change: a store trained with
 * another version says so (untrain needs the same tokens again). */
#define SPAM_TOKENIZER_VERSION 2

struct spam_toks; /* a set of unique tokens (opaque) */

struct spam_tok_opts {
	bool bigrams;    /* also pairs of adjacent body words */
	bool keep_text;  /* keep the token text (explanations, tests), not only hashes */
};

int spam_toks_new(struct spam_toks **out);
void spam_toks_free(struct spam_toks **t);
void spam_toks_clear(struct spam_toks *t);
/* Tokenize msg into t (cleared first). */
int spam_tokenize(const struct mail_msg *msg, const struct spam_tok_opts *opts,
                  struct spam_toks *t, char *err, size_t errlen);
/* Tokenize a text fragment as a body would be (tests, tools). */
void spam_tokenize_text(struct spam_toks *t, const char *text, size_t len,
                        const struct spam_tok_opts *opts);
/* Tokenize an HTML fragment as an HTML body would be. */
void spam_tokenize_html(struct spam_toks *t, const char *html, size_t len,
                        const struct spam_tok_opts *opts);
size_t spam_toks_count(const struct spam_toks *t);
uint64_t spam_toks_hash(const struct spam_toks *t, size_t i);
/* The token's text when keep_text was set, else NULL. */
const char *spam_toks_text(const struct spam_toks *t, size_t i);
/* Is this token (by text) in the set? */
bool spam_toks_has(const struct spam_toks *t, const char *tok);
/* The hash a token text is stored under. */
uint64_t spam_token_hash(const char *tok, size_t len);

/* ---- classifier ----------------------------------------------------- */

enum spam_class { SPAM_HAM = 0, SPAM_UNSURE = 1, SPAM_SPAM = 2 };
const char *spam_class_name(enum spam_class c); /* "ham", "unsure", "spam" */

/*
 * The parameters (see wary(1), "SPAM FILTER", for how they were chosen:
 * cross-validation inside the training split of the benchmark corpus).
 */
struct spam_params {
	double s;           /* Robinson's strength of the prior */
	double s_once;      /* the same for a token seen in one message (0: s) */
	double x;           /* Robinson's prior probability of an unseen token */
	double min_dev;     /* tokens with |f - 0.5| below this are ignored */
	size_t max_tokens;  /* at most this many most extreme tokens (0: all) */
	double ham_cutoff;  /* probability below: ham */
	double spam_cutoff; /* at or above: spam; between: unsure */
	double esf;         /* effective size factor of the chi-square (0..1] */
	bool bigrams;
};
void spam_params_default(struct spam_params *p);

/* Robinson's f(w) for a token seen in good ham and bad spam messages out
 * of nham and nspam trained. */
double spam_robinson_f(uint32_t good, uint32_t bad, uint32_t nham, uint32_t nspam,
                       double s, double x);
/* f(w) with p's strengths: s_once for a token seen in one message. */
double spam_token_f(uint32_t good, uint32_t bad, uint32_t nham, uint32_t nspam,
                    const struct spam_params *p);
/* The chi-square survival function Q(x2, v) for even v (v = 2n). */
double spam_chi2q(double x2, unsigned v);
/* Fisher's combining of n probabilities: (1 + S - H) / 2 with
 * S = 1 - Q(-2 sum ln(1-f), 2n), H = 1 - Q(-2 sum ln f, 2n).  0.5 for n = 0. */
double spam_fisher(const double *f, size_t n);
/* The same with the effective size factor esf (see struct spam_params). */
double spam_fisher_esf(const double *f, size_t n, double esf);
/* Apply min_dev and max_tokens to f (reordered in place); returns how
 * many are kept at the front. */
size_t spam_select(double *f, size_t n, const struct spam_params *p);
enum spam_class spam_classify_prob(double prob, const struct spam_params *p);

/* ---- token store ---------------------------------------------------- */

struct spam_db;

/* The default file: $WARY_SPAM_DB, else $XDG_DATA_HOME/wary/spam.db
 * (caller frees). */
char *spam_db_default_path(void);
/* Open (creating it, mode 0600, and its directory) a token store. */
int spam_db_open(const char *path, struct spam_db **out, char *err, size_t errlen);
void spam_db_free(struct spam_db **db);
void spam_db_set_params(struct spam_db *db, const struct spam_params *p);
const struct spam_params *spam_db_params(const struct spam_db *db);

/* A batch of training: one transaction; counts gathered in memory and
 * written once at spam_db_commit.  Without begin, each train commits. */
int spam_db_begin(struct spam_db *db, char *err, size_t errlen);
int spam_db_commit(struct spam_db *db, char *err, size_t errlen);
void spam_db_rollback(struct spam_db *db);

enum spam_train_result {
	SPAM_TRAINED = 0,    /* counted as asked */
	SPAM_ALREADY = 1,    /* already trained that way: counted once */
	SPAM_RETRAINED = 2,  /* was trained the other way: moved */
	SPAM_UNTRAINED = 3,  /* removed */
	SPAM_NOT_TRAINED = 4,/* untrain of a message never trained */
};
/* Train the raw message as spam (is_spam) or ham.  The digest of the
 * bytes dedupes: training again counts once; training the other way
 * retrains.  *res (may be NULL) says which. */
int spam_db_train(struct spam_db *db, const char *raw, size_t len, bool is_spam,
                  enum spam_train_result *res, char *err, size_t errlen);
/* The same with the message's tokens made already (spam_tokenize of raw
 * with the store's bigrams setting; on another thread, say). */
int spam_db_train_tokenized(struct spam_db *db, const char *raw, size_t len,
                            const struct spam_toks *t, bool is_spam,
                            enum spam_train_result *res, char *err, size_t errlen);
int spam_db_untrain(struct spam_db *db, const char *raw, size_t len,
                    enum spam_train_result *res, char *err, size_t errlen);
/* Train / untrain a token set directly (tests, tools); no dedupe. */
int spam_db_train_toks(struct spam_db *db, const struct spam_toks *t, bool is_spam, int sign,
                       char *err, size_t errlen);

/* Read every token into memory: many classifications without a query
 * each.  Training afterwards keeps the copy up to date. */
int spam_db_load(struct spam_db *db, char *err, size_t errlen);
/* Is the table in memory?  Then spam_db_classify_toks only reads it and
 * may run on several threads at once (no training meanwhile). */
bool spam_db_loaded(const struct spam_db *db);

/* What classification found; tokens is the number used. */
struct spam_clue {
	char *text;      /* the token (NULL when unknown) */
	double f;
	uint32_t spam, ham;
};
struct spam_result {
	double prob;
	enum spam_class cls;
	size_t tokens;         /* tokens in the message */
	size_t used;           /* tokens that counted (past min_dev) */
	struct spam_clue *clues; /* the most extreme, when asked */
	size_t nclues;
};
void spam_result_clear(struct spam_result *r);
/* Classify a parsed message; nclues > 0 keeps that many strongest clues. */
int spam_db_classify(struct spam_db *db, const struct mail_msg *msg, size_t nclues,
                     struct spam_result *out, char *err, size_t errlen);
int spam_db_classify_toks(struct spam_db *db, const struct spam_toks *t, size_t nclues,
                          struct spam_result *out, char *err, size_t errlen);
/* Counts of one token text (tests, `wary spam stats TOKEN`). */
int spam_db_token(struct spam_db *db, const char *tok, uint32_t *spam, uint32_t *ham,
                  char *err, size_t errlen);

struct spam_stats {
	uint32_t nspam, nham;   /* messages trained */
	uint64_t tokens;        /* distinct tokens */
	uint64_t messages;      /* digests remembered */
	int64_t file_bytes;
	int tokenizer_version;
};
int spam_db_stats(struct spam_db *db, struct spam_stats *out, char *err, size_t errlen);
/* Remove tokens seen in at most max_count messages and last trained
 * days days ago or more (0: today too); *removed gets the count. */
int spam_db_prune(struct spam_db *db, unsigned max_count, unsigned days, uint64_t *removed,
                  char *err, size_t errlen);
/* For tests: the day number training stamps (days since the epoch);
 * 0 = today. */
void spam_db_set_today(struct spam_db *db, int64_t day);

/* An in-memory model: counts without a file (cross-validation). */
struct spam_model;
int spam_model_new(struct spam_model **out);
void spam_model_free(struct spam_model **m);
void spam_model_add(struct spam_model *m, const uint64_t *h, size_t n, bool is_spam, int sign);
double spam_model_prob(const struct spam_model *m, const uint64_t *h, size_t n,
                       const struct spam_params *p);

/* The messages a model trained on the rest finds hard, by a k-fold split
 * (message i is in fold[i], -1 leaves it out): a spam scoring under
 * hard_spam, a ham at or above hard_ham.  A model classifies its own
 * training messages right (their rare tokens are in it): only a held-out
 * split shows which are hard.  For `wary spam cv --heldout-retrain`, the
 * measure of training those again (tests/bench/spam/README: measured,
 * not kept).  hard[] gets the answer; returns the count. */
size_t spam_hard(const uint64_t *const *h, const size_t *nh, const bool *is_spam, const int *fold,
                 size_t n, int folds, const struct spam_params *p, double hard_spam,
                 double hard_ham, bool *hard);

/* ---- second model for the unsure band ------------------------------ */

/* Logistic regression over the same tokens (lr.c): binary presence, each
 * message a vector of unit length, L2 penalty lambda, SGD with Bottou's
 * rate eta0 / (1 + eta0 lambda t) for epochs passes in a fixed order. */
struct spam_lr_params {
	double lambda;
	int epochs;
	double eta0;
	double cutoff;  /* an unsure message at or above: spam */
};
void spam_lr_params_default(struct spam_lr_params *p);
struct spam_lr;
int spam_lr_new(struct spam_lr **out);
void spam_lr_free(struct spam_lr **m);
/* Fit on messages i with use[i] (use may be NULL: all); replaces what
 * the model held. */
int spam_lr_train(struct spam_lr *m, const uint64_t *const *h, const size_t *nh,
                  const bool *is_spam, const bool *use, size_t n,
                  const struct spam_lr_params *p, char *err, size_t errlen);
/* The model's probability of spam for a message's tokens. */
double spam_lr_prob(const struct spam_lr *m, const uint64_t *h, size_t n);
size_t spam_lr_count(const struct spam_lr *m);

/* The SHA-256 digest (hex, 65 bytes) that dedupes training. */
void spam_digest(const char *raw, size_t len, char hex[65]);

/* ---- hybrid score --------------------------------------------------- */

/* Header anomalies (anomaly.c): what ratware writes and mail programs
 * do not.  Each is a rule of the hybrid score. */
enum {
	SPAM_A_DATE_FUTURE          = 1u << 0, /* Date 3 h or more after the first hop's */
	SPAM_A_DATE_PAST            = 1u << 1, /* Date 96 h or more before it */
	SPAM_A_MSGID_NO_AT          = 1u << 2,
	SPAM_A_OUTLOOK_ID_NO_MAILER = 1u << 3, /* a "$" Message-ID without X-Mailer */
	SPAM_A_SUBJ_CAPS            = 1u << 4, /* 10 capitals or more, no lower case */
	SPAM_A_SUBJ_EXCLAIM         = 1u << 5, /* two "!" or more */
	SPAM_A_FROM_CAPS            = 1u << 6, /* a From name of capitals only */
	SPAM_A_TO_IS_FROM           = 1u << 7, /* addressed to its sender, not by a list */
	SPAM_A_PRIORITY_HIGH        = 1u << 8, /* X-Priority 1 */
	SPAM_A_MIME_NO_VERSION      = 1u << 9, /* multipart without MIME-Version */
};
unsigned spam_header_anomalies(const struct mail_msg *msg);

/* Each fact the analyses may know; SPAM_UNKNOWN when they did not run. */
enum spam_tri { SPAM_UNKNOWN = -1, SPAM_NO = 0, SPAM_YES = 1 };
enum spam_auth {
	SPAM_AUTH_UNKNOWN = 0, /* not checked */
	SPAM_AUTH_NONE,        /* no record / no signature */
	SPAM_AUTH_PASS,
	SPAM_AUTH_FAIL,
	SPAM_AUTH_SOFTFAIL,
	SPAM_AUTH_NEUTRAL,
	SPAM_AUTH_TEMPERROR,
	SPAM_AUTH_PERMERROR,
};
struct spam_facts {
	double bayes;             /* probability, < 0: unknown */
	enum spam_auth spf;
	enum spam_auth dkim;      /* the best signature's result */
	enum spam_tri dkim_aligned; /* a passing signature of the From's domain */
	enum spam_auth dmarc;
	enum spam_tri dmarc_reject; /* the failing domain's policy is reject/quarantine */
	enum spam_tri aligned_pass; /* design 4.6: trusted aligned pass */
	int deceptive_links;      /* links whose text names another host, -1 unknown */
	int trackers;             /* tracking pixels, -1 unknown */
	int remote_blocked;       /* remote references blocked, -1 unknown */
	int hidden_text;          /* hidden pieces of HTML, -1 unknown */
	int lying_attachments;    /* true type differs from name/type, -1 unknown */
	int executables;          /* program attachments, -1 unknown */
	enum spam_tri dnsbl;      /* the origin IP is listed */
	enum spam_tri hashcash;   /* a valid stamp for a recipient */
	enum spam_tri from_ambiguous;
	int anomalies;            /* SPAM_A_* bits, -1 unknown */
};
void spam_facts_init(struct spam_facts *f); /* everything unknown */

struct spam_rule_hit {
	const char *name;  /* static: "BAYES_00", "SPF_PASS", ... */
	double points;
};
struct spam_score {
	double total;
	double required;
	struct spam_rule_hit hits[32];
	size_t nhits;
};
/* The rules table (name, points, what it means), for the man page test
 * and `wary spam rules`. */
struct spam_rule_info {
	const char *name;
	double points;
	const char *what;
};
size_t spam_rule_count(void);
const struct spam_rule_info *spam_rule(size_t i);
double spam_score_required(void);
void spam_score_compute(const struct spam_facts *f, struct spam_score *out);
/* "score=-2.6, required 5: BAYES_00 -2.50, SPF_PASS -0.10" */
void spam_score_format(const struct spam_score *s, struct buf *out);
bool spam_score_is_spam(const struct spam_score *s);

#endif
