#ifndef WARY_SPAM_INT_H
#define WARY_SPAM_INT_H
/* Inside the spam module only. */
#include "spam/spam.h"

struct spam_toks {
	uint64_t *slots;   /* open addressing, 0 = empty (hash 0 is mapped to 1) */
	size_t cap;        /* power of two */
	uint64_t *order;   /* insertion order */
	size_t n, ocap;
	bool keep_text;
	struct buf text;   /* NUL-separated texts, when kept */
	size_t *text_off;  /* per order entry */
	size_t tcap;
	size_t body_bytes; /* text bytes tokenized (caps, image-only) */
	size_t budget;     /* tokens left for this message */
	size_t words, capwords; /* body words, and those in capitals */
	char pfx[40];      /* the last prefix hashed, and FNV's state after it */
	size_t pfx_len;
	uint64_t pfx_state;
};

/* Add one token: prefix and word joined, hashed; kept once. */
void tok_add(struct spam_toks *t, const char *prefix, const char *w, size_t len);

/* The tokenizer's text and HTML scanners, with a prefix ("" for the
 * body, "subj:" for the subject, "hid:" for hidden HTML text). */
struct tok_ctx {
	struct spam_toks *t;
	const struct spam_tok_opts *opts;
	const char *prefix;
	/* spaced-letter runs across chunks ("v i a g r a") */
	char run[64];
	size_t runlen, runcount;
	/* the previous word, for bigrams */
	char prev[48];
	size_t prevlen;
};
void tok_text(struct tok_ctx *c, const char *s, size_t len);
void tok_text_end(struct tok_ctx *c);
void tok_url(struct spam_toks *t, const char *prefix, const char *url, size_t len);
/* HTML: visible text, hidden text, tags and attributes, URLs.
 * *images gets the number of <img> elements. */
void tok_html(struct spam_toks *t, const struct spam_tok_opts *opts, const char *html,
              size_t len, size_t *images);

#endif
