#ifndef WARY_MAIL_INT_H
#define WARY_MAIL_INT_H
/* Internals shared by the files of src/mail; not part of the contract. */
#include "mail/mail.h"

struct mail_field {
	char *name;             /* one allocation holds name and value */
	char *value;            /* raw, NUL bytes replaced by U+FFFD; inside name's block */
	bool space_before_colon; /* "From :" */
};

struct mail_param {
	char *name;  /* lower-case, RFC 2231 sections already joined */
	char *value; /* UTF-8 */
};

struct mail_part {
	struct mail_msg *msg;
	struct mail_part *parent;
	struct mail_part **kids;
	size_t nkids;
	int depth;
	const struct mail_field *fields;
	size_t nfields;
	char *type;
	struct mail_param *params;
	size_t nparams;
	char *disp;
	struct mail_param *dparams;
	size_t ndparams;
	char *encoding;
	char *id;
	char *filename;
	const char *body;
	size_t bodylen;
	const char *raw; /* header block and body */
	size_t rawlen;
	struct mail_msg *sub; /* message/rfc822, parsed on first use */
	bool sub_tried;
};

struct mail_msg {
	char *raw;
	size_t len;
	bool owns_raw;
	int base_depth; /* depth of the root: nested messages continue the count */
	struct mail_field *fields;
	size_t nfields;
	char **warnings;
	size_t nwarnings;
	struct mail_part *root;
	struct mail_part **parts; /* every part, for freeing and the part limit */
	size_t nparts;
	size_t parts_cap;
	/* per-part header blocks (the root's are fields above) */
	struct mail_field **blocks;
	size_t *block_n;
	size_t nblocks;
};

void mail_warn(struct mail_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Convert to UTF-8, appending to out.  Returns false when the charset is
 * not one we can convert (out then holds the fallback decoding). */
bool mail_charset_convert(const char *charset, const char *in, size_t len, struct buf *out);
/* Is charset usable (known and its name harmless)? */
bool mail_charset_known(const char *charset);

/* Content-Type / Content-Disposition value: "type" lower-cased (or NULL
 * when unusable) and the parameters, RFC 2231 joined and decoded. */
void mail_params_parse(const char *value, char **type, struct mail_param **params, size_t *n);
void mail_params_free(struct mail_param *params, size_t n);
const char *mail_params_find(const struct mail_param *params, size_t n, const char *name);

/* s[i] is '(': the index just after the comment that starts there
 * (RFC 5322: quoted-pairs inside, nesting counted rather than recursed, so
 * any depth is safe), or of the string's end when it never closes. */
size_t mail_skip_comment(const char *s, size_t i);

/* Address parsing with what the From rules need to know. */
struct mail_addr_extra {
	bool display_encoded; /* display name had an encoded-word */
	bool addr_encoded;    /* addr-spec held something like an encoded-word */
	bool is_group;
};
int mail_addr_parse_ex(const char *value, struct mail_addr_list *out, struct mail_addr_extra **extra,
                  char *err, size_t errlen);

#endif
