#ifndef WARY_INSPECT_H
#define WARY_INSPECT_H
/*
 * inspect: the one place that runs every analysis on a parsed message.
 * `wary inspect FILE [--json]` is a thin face over these calls, so the
 * pager, the panel and scripts see the same results.  Analyses not built
 * yet are null in the JSON (design section 7).  Every string in the output
 * has been made safe.
 */
#include "auth/auth.h"
#include "base/base.h"
#include "mail/mail.h"

/* Human-readable report: decoded headers, the From verdict, the MIME tree
 * and the parts. */
int inspect_text(const struct mail_msg *msg, struct buf *out, char *err, size_t errlen);
/* The JSON contract of design section 7, one object, newline-terminated. */
int inspect_json(const struct mail_msg *msg, struct buf *out, char *err, size_t errlen);

/*
 * A context for many messages: it holds the libmagic cookie (the type
 * database is loaded once, not per message).  inspect_text and
 * inspect_json above make one for a single call.
 */
struct inspect;
int inspect_new(struct inspect **out, char *err, size_t errlen);
void inspect_free(struct inspect **in);
int inspect_report_text(struct inspect *in, const struct mail_msg *msg, struct buf *out,
                        char *err, size_t errlen);
int inspect_report_json(struct inspect *in, const struct mail_msg *msg, struct buf *out,
                        char *err, size_t errlen);
/*
 * The attachments of a message and what wary found about each: the type
 * libmagic sees in the decoded bytes against the declared one, and the
 * name's tricks.  Strings are safe; part is borrowed from msg.
 */
enum inspect_att_flag {
	INSPECT_ATT_TYPE_MISMATCH = 1 << 0, /* the bytes are not what the type says */
	INSPECT_ATT_EXECUTABLE = 1 << 1,    /* a program, whatever its name */
	INSPECT_ATT_DOUBLE_EXT = 1 << 2,    /* report.pdf.exe */
	INSPECT_ATT_BIDI = 1 << 3,          /* bidi controls in the name */
	INSPECT_ATT_INVISIBLE = 1 << 4,
	INSPECT_ATT_PATH = 1 << 5,          /* '/', '\\' or ".." in the name */
	INSPECT_ATT_CONTROL = 1 << 6,
};
struct inspect_attachment {
	const struct mail_part *part;
	char *name;     /* "" when the part has none */
	char *declared;
	char *detected;
	size_t size;    /* decoded bytes */
	unsigned flags; /* enum inspect_att_flag */
};
int inspect_attachments(struct inspect *in, const struct mail_msg *msg,
                        struct inspect_attachment **out, size_t *n, char *err, size_t errlen);
void inspect_attachments_free(struct inspect_attachment **v, size_t n);
/* "type-mismatch", "executable", ... for one flag bit; NULL if unknown. */
const char *inspect_att_flag_name(unsigned flag);

/* libmagic's MIME type of bytes ("application/pdf"); never NULL. */
const char *inspect_detect(struct inspect *in, const void *data, size_t len);

/*
 * The sender verdict (design 4.6) needs what the message cannot say: a
 * resolver (NULL: no lookups; wary's own DKIM/SPF/DMARC stay pending), the
 * authserv-id of the user's own receiving server, and the user's own mail
 * servers (the trust boundary of the Received chain).  Strings and dns are
 * borrowed and must outlive the context.  Without a call: nothing trusted,
 * no DNS.
 */
struct inspect_auth {
	const struct auth_dns *dns;
	const char *trusted_authserv_id;
	const char *const *trusted_hosts;
	size_t n_trusted;
	time_t now; /* 0: the clock */
};
void inspect_set_auth(struct inspect *in, const struct inspect_auth *a);
/* The verdict for msg (its DKIM keys cached in the context).  Free with
 * auth_verdict_clear(). */
int inspect_verdict(struct inspect *in, const struct mail_msg *msg, struct auth_verdict *out,
                    char *err, size_t errlen);
/* The "from" and "verdict" members of the JSON contract (no braces
 * around, no comma), and the text report's section; all made safe. */
void inspect_from_json(const struct auth_verdict *v, struct buf *out);
void inspect_verdict_json(const struct auth_verdict *v, struct buf *out);
void inspect_verdict_text(const struct auth_verdict *v, struct buf *out);

/* The spam filter's line for the pager: "spam 0.97, score=7.2, required
 * 5: BAYES_70 5.50, ..." from the user's token store ($WARY_SPAM_DB or
 * $XDG_DATA_HOME/wary/spam.db, never created here) and the analyses;
 * without a trained store only the score.  Plain ASCII. */
int inspect_spam_line(struct inspect *in, const struct mail_msg *msg, struct buf *out,
                      char *err, size_t errlen);
/* The hybrid score of msg for a Bayes probability found elsewhere (< 0:
 * none) and what this context's analyses find: render's links, remote
 * references and hidden text, the attachments, the sender verdict (no
 * DNS unless inspect_set_auth gave a resolver), a hashcash stamp.  `wary
 * spam classify` decides an unsure Bayes verdict by it. */
struct spam_score;
int inspect_spam_score(struct inspect *in, const struct mail_msg *msg, double bayes,
                       struct spam_score *out, char *err, size_t errlen);

/*
 * The Received chain's options (trusted_hosts, dnsbl_zones, the clock) and
 * the resolver its checks may use (NULL: the chain is read from the
 * headers alone).  Borrowed, like inspect_set_auth's.  Without a call: no
 * trusted hosts, no DNS.
 */
struct trace_opts;
void inspect_set_trace(struct inspect *in, const struct trace_opts *o, const struct auth_dns *dns);

#endif
