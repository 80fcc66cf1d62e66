/* DKIM verification (RFC 6376, RFC 8301, RFC 8463) from the raw bytes of a
 * message.  The bytes are read as they were stored (LF or CRLF); every line
 * end counts as CRLF, which is what the signer hashed on the wire.
 *
 * Speed matters (a folder of thousands of messages from a few senders):
 * the body is canonicalised and hashed in one pass through a fixed buffer,
 * keys are parsed once per selector and kept with their EVP contexts in
 * the verifier, and nothing in the per-message path allocates except a
 * key cache miss. */
#include "auth/auth.h"
#include "auth/dkim_int.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#define MAX_FIELDS MAIL_MAX_HEADERS
#define MAX_H_NAMES 512      /* names in one h= list */
#define MAX_SIG_B64 4096     /* b= after decoding: up to 16384-bit RSA */
#define MAX_KEY_BYTES 4096   /* p= after decoding */
#define OUTBUF 16384
#define KEY_BUCKETS 256
#define KEY_MAX 4096
#define KEY_MIN_TTL 60       /* seconds a key stays cached at least */
#define KEY_MAX_TTL 86400

enum key_status { KEY_OK, KEY_NONE, KEY_TEMP, KEY_PERM };
enum { HASH_SHA1 = 1, HASH_SHA256 = 2 };
enum { KT_RSA = 1, KT_ED25519 = 2 };

struct key {
	struct key *next;
	char name[400];
	time_t expires;
	enum key_status status;
	unsigned flags;      /* AUTH_DKIM_F_* that explain a bad status */
	char reason[96];
	EVP_PKEY *pkey;
	/* verify contexts made ready once: OpenSSL 3 fetches the algorithm
	 * on every init, which cost more than the RSA verification itself */
	EVP_PKEY_CTX *pctx;  /* RSA with SHA-256 */
	EVP_PKEY_CTX *pctx1; /* RSA with SHA-1, made when first needed */
	EVP_MD_CTX *edctx;   /* Ed25519 */
	int type;            /* KT_* */
	unsigned hashes;     /* h= of the key: allowed HASH_*; 0 = all */
	bool testing, strict;
	int bits;
};

struct auth_dkim_ctx {
	struct key *bucket[KEY_BUCKETS];
	size_t nkeys;
	size_t queries;
	EVP_MD *sha256, *sha1;
	EVP_MD_CTX *hmd, *bmd, *vmd;
	size_t fstart[MAX_FIELDS], fend[MAX_FIELDS], fname[MAX_FIELDS];
	unsigned char out[OUTBUF];
	size_t olen;
};

struct tagv {
	char name[8];
	const char *v;     /* value, trimmed */
	size_t n;
	size_t vstart;     /* offset of the value in the field (for b=) */
	size_t vend;
};
#define MAX_TAGS 32

/* ---------------------------------------------------------- helpers */

static bool is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static bool is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static unsigned hash_name(const char *s)
{
	unsigned h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)tolower((unsigned char)*s);
	return h % KEY_BUCKETS;
}

enum { B64_BAD = 64, B64_FWS, B64_PAD };
/* 0-63 the digit, 64 not base64, 65 folding white space, 66 "=" */
static const unsigned char b64_val[256] = {
	64, 64, 64, 64, 64, 64, 64, 64, 64, 65, 65, 64, 64, 65, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	65, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62, 64, 64, 64, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 66, 64, 64,
	64, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 64,
	64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
	64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64,
};

/* Base64 with FWS allowed anywhere (RFC 6376 2.4); false on a bad
 * character, bad padding or overflow. */
static bool b64_decode(const char *in, size_t n, unsigned char *out, size_t max, size_t *outlen)
{
	unsigned acc = 0;
	int bits = 0, pad = 0;
	size_t o = 0, chars = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i], v;

		v = b64_val[c];
		if (v == B64_FWS)
			continue;
		if (v == B64_PAD) {
			pad++;
			chars++;
			continue;
		}
		if (pad || v == B64_BAD)
			return false;
		chars++;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= max)
				return false;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (pad > 2 || chars % 4 != 0)
		return false;
	*outlen = o;
	return true;
}

/* Parse a tag-list (RFC 6376 3.2) in [s, s+n).  Returns the count, or -1
 * for a syntax error or a duplicate tag. */
static int tag_parse(const char *s, size_t n, struct tagv *t, int max)
{
	size_t i = 0;
	int k = 0;

	for (;;) {
		size_t ns, ne, vs, ve;

		while (i < n && is_fws((unsigned char)s[i]))
			i++;
		if (i >= n)
			break; /* a trailing ';' is allowed */
		ns = i;
		if (!isalpha((unsigned char)s[i]))
			return -1;
		while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_'))
			i++;
		ne = i;
		while (i < n && is_fws((unsigned char)s[i]))
			i++;
		if (i >= n || s[i] != '=')
			return -1;
		i++;
		while (i < n && is_fws((unsigned char)s[i]))
			i++;
		vs = i;
		while (i < n && s[i] != ';')
			i++;
		ve = i;
		while (ve > vs && is_fws((unsigned char)s[ve - 1]))
			ve--;
		for (size_t j = vs; j < ve; j++) {
			unsigned char c = (unsigned char)s[j];
			/* tag-value: VALCHAR (%x21-3A / %x3C-7E) and FWS */
			if (!is_fws(c) && (c < 0x21 || c > 0x7e))
				return -1;
		}
		if (ne - ns >= sizeof(t[0].name) || k >= max)
			return -1;
		memcpy(t[k].name, s + ns, ne - ns);
		t[k].name[ne - ns] = '\0';
		for (int j = 0; j < k; j++)
			if (strcmp(t[j].name, t[k].name) == 0)
				return -1;
		t[k].v = s + vs;
		t[k].n = ve - vs;
		t[k].vstart = vs;
		t[k].vend = ve;
		k++;
		if (i >= n)
			break;
		i++; /* ';' */
		{
			/* ";;" is an empty tag-spec: not allowed */
			size_t j = i;

			while (j < n && is_fws((unsigned char)s[j]))
				j++;
			if (j < n && s[j] == ';')
				return -1;
		}
	}
	return k;
}

static const struct tagv *tag_get(const struct tagv *t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

/* A value without its FWS into dst (NUL-terminated); false if too long. */
static bool tag_copy(const struct tagv *t, char *dst, size_t max, bool lower)
{
	size_t o = 0;

	for (size_t i = 0; i < t->n; i++) {
		char c = t->v[i];

		if (is_fws((unsigned char)c))
			continue;
		if (o + 1 >= max)
			return false;
		dst[o++] = lower ? (char)tolower((unsigned char)c) : c;
	}
	dst[o] = '\0';
	return true;
}

static bool tag_is(const struct tagv *t, const char *word)
{
	size_t n = strlen(word);

	return t->n == n && str_ncasecmp(t->v, word, n) == 0;
}

/* Does the colon-separated list in t contain word (case-insensitive)? */
static bool list_has(const char *v, size_t n, const char *word, char sep)
{
	size_t wl = strlen(word), i = 0;

	while (i <= n) {
		size_t s = i, e;

		while (i < n && v[i] != sep)
			i++;
		e = i;
		while (s < e && is_fws((unsigned char)v[s]))
			s++;
		while (e > s && is_fws((unsigned char)v[e - 1]))
			e--;
		if (e - s == wl && str_ncasecmp(v + s, word, wl) == 0)
			return true;
		i++;
	}
	return false;
}

static bool parse_num(const struct tagv *t, long long *out, int maxdigits)
{
	unsigned long long v = 0;

	if (t->n == 0 || (int)t->n > maxdigits)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		if (!isdigit((unsigned char)t->v[i]))
			return false;
		if (v > (unsigned long long)LLONG_MAX / 10)
			v = (unsigned long long)LLONG_MAX; /* saturate: 76 digits are allowed */
		else
			v = v * 10 + (unsigned)(t->v[i] - '0');
		if (v > (unsigned long long)LLONG_MAX)
			v = (unsigned long long)LLONG_MAX;
	}
	*out = (long long)v;
	return true;
}

/* ---------------------------------------------------------- headers */

size_t auth_dkim_split_headers(const char *raw, size_t len, size_t *start, size_t *end,
                               size_t max, size_t *body)
{
	size_t i = 0, n = 0;

	*body = len;
	while (i < len) {
		size_t s = i;

		if (raw[i] == '\n' || (raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n')) {
			*body = i + (raw[i] == '\r' ? 2 : 1);
			return n;
		}
		/* one field: this line and every continuation line */
		for (;;) {
			const char *nl = memchr(raw + i, '\n', len - i);

			i = nl ? (size_t)(nl - raw) + 1 : len;
			if (i >= len || !is_wsp((unsigned char)raw[i]))
				break;
		}
		if (n < max) {
			start[n] = s;
			end[n] = i;
			n++;
		}
	}
	return n;
}

/* Name of field [s,e): its length before ':' with trailing WSP dropped;
 * 0 if the line has no colon. */
static size_t field_name_len(const char *f, size_t n, size_t *colon)
{
	const char *c = memchr(f, ':', n);
	size_t k;

	if (!c)
		return 0;
	*colon = (size_t)(c - f);
	k = *colon;
	while (k > 0 && is_wsp((unsigned char)f[k - 1]))
		k--;
	return k;
}

static bool field_is(const char *f, size_t n, const char *name)
{
	size_t colon, k = field_name_len(f, n, &colon), wl = strlen(name);

	return k == wl && str_ncasecmp(f, name, wl) == 0;
}

/* ---------------------------------------------------------- output */

static void out_flush(struct auth_dkim_ctx *c, EVP_MD_CTX *md)
{
	if (c->olen)
		EVP_DigestUpdate(md, c->out, c->olen);
	c->olen = 0;
}

static void out_add(struct auth_dkim_ctx *c, EVP_MD_CTX *md, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n > 0) {
		size_t room = OUTBUF - c->olen, k = n < room ? n : room;

		memcpy(c->out + c->olen, s, k);
		c->olen += k;
		s += k;
		n -= k;
		if (c->olen == OUTBUF)
			out_flush(c, md);
	}
}

static void out_ch(struct auth_dkim_ctx *c, EVP_MD_CTX *md, unsigned char ch)
{
	if (c->olen == OUTBUF)
		out_flush(c, md);
	c->out[c->olen++] = ch;
}

/* One header field [f, f+n) canonicalised into the hash.  skip_from/to
 * blank a range (the b= value of the signature itself); final_crlf false
 * for the signature field, which is hashed without its line end. */
static void canon_header(struct auth_dkim_ctx *c, EVP_MD_CTX *md, const char *f, size_t n,
                         bool relaxed, size_t skip_from, size_t skip_to, bool final_crlf)
{
	if (!relaxed) {
		size_t e = n;

		/* the field's own line end, normalised to CRLF */
		if (e > 0 && f[e - 1] == '\n')
			e--;
		if (e > 0 && f[e - 1] == '\r')
			e--;
		for (size_t i = 0; i < e; i++) {
			if (i >= skip_from && i < skip_to)
				continue;
			if (f[i] == '\n') {
				if (i == 0 || f[i - 1] != '\r')
					out_ch(c, md, '\r');
				out_ch(c, md, '\n');
			} else {
				out_ch(c, md, (unsigned char)f[i]);
			}
		}
		if (final_crlf)
			out_add(c, md, "\r\n", 2);
		return;
	}
	{
		size_t colon = 0, k = field_name_len(f, n, &colon), i;
		bool sp = false, any = false;

		for (i = 0; i < k; i++)
			out_ch(c, md, (unsigned char)tolower((unsigned char)f[i]));
		out_ch(c, md, ':');
		for (i = colon + 1; i < n; i++) {
			unsigned char ch = (unsigned char)f[i];

			if (i >= skip_from && i < skip_to)
				continue;
			if (ch == '\r' || ch == '\n')
				continue; /* unfold */
			if (is_wsp(ch)) {
				sp = true;
				continue;
			}
			if (sp && any)
				out_ch(c, md, ' ');
			sp = false;
			any = true;
			out_ch(c, md, ch);
		}
		if (final_crlf)
			out_add(c, md, "\r\n", 2);
	}
}

/* ---------------------------------------------------------- body */

struct bodyh {
	struct auth_dkim_ctx *c;
	EVP_MD_CTX *md;
	unsigned long long limit, hashed, total;
};

static inline void body_emit(struct bodyh *b, const char *p, size_t n)
{
	b->total += n;
	if (b->hashed < b->limit) {
		unsigned long long room = b->limit - b->hashed;
		size_t k = (unsigned long long)n < room ? n : (size_t)room;

		out_add(b->c, b->md, p, k);
		b->hashed += k;
	}
}

static void body_crlfs(struct bodyh *b, unsigned long long n)
{
	static const char crlfs[] = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

	while (n > 0) {
		unsigned long long k = n < 8 ? n : 8;

		body_emit(b, crlfs, (size_t)k * 2);
		n -= k;
	}
}

static void canon_body(struct bodyh *b, const char *p, size_t n, bool relaxed)
{
	unsigned long long blank = 0;
	size_t i = 0;
	bool any = false;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n, next = nl ? e + 1 : n, ce = e;

		if (nl && ce > i && p[ce - 1] == '\r')
			ce--;
		if (relaxed) {
			while (ce > i && is_wsp((unsigned char)p[ce - 1]))
				ce--;
		}
		if (ce == i) {
			blank++;
		} else {
			if (blank) {
				body_crlfs(b, blank);
				blank = 0;
			}
			any = true;
			if (!relaxed) {
				body_emit(b, p + i, ce - i);
			} else {
				size_t s = i, t = i;

				/* runs of WSP become one SP: a single space is left
				 * where it is, so most lines go out in one piece */
				while (t < ce) {
					unsigned char ch = (unsigned char)p[t];

					if (ch != ' ' && ch != '\t') {
						t++;
						continue;
					}
					if (ch == ' ' && !is_wsp((unsigned char)p[t + 1])) {
						t++; /* t + 1 < ce: trailing WSP was cut */
						continue;
					}
					body_emit(b, p + s, t - s);
					body_emit(b, " ", 1);
					while (t < ce && is_wsp((unsigned char)p[t]))
						t++;
					s = t;
				}
				body_emit(b, p + s, ce - s);
			}
			body_emit(b, "\r\n", 2);
		}
		i = next;
	}
	/* simple: an empty body is one CRLF (RFC 6376 3.4.3); relaxed: nothing */
	if (!any && !relaxed)
		body_emit(b, "\r\n", 2);
}

/* ---------------------------------------------------------- keys */

static void key_free(struct key *k)
{
	EVP_PKEY_CTX_free(k->pctx);
	EVP_PKEY_CTX_free(k->pctx1);
	EVP_MD_CTX_free(k->edctx);
	EVP_PKEY_free(k->pkey);
	free(k);
}

static void cache_flush(struct auth_dkim_ctx *c)
{
	for (size_t b = 0; b < KEY_BUCKETS; b++) {
		struct key *k = c->bucket[b];

		while (k) {
			struct key *nx = k->next;

			key_free(k);
			k = nx;
		}
		c->bucket[b] = NULL;
	}
	c->nkeys = 0;
}

static void key_bad(struct key *k, enum key_status st, unsigned flag, const char *why)
{
	k->status = st;
	k->flags |= flag;
	str_copy(k->reason, why, sizeof(k->reason));
}

/* Parse one key record (RFC 6376 3.6.1) into k. */
static void key_parse(struct key *k, const char *rec, size_t n)
{
	struct tagv t[MAX_TAGS];
	const struct tagv *v, *p, *kt, *h, *s, *fl;
	unsigned char der[MAX_KEY_BYTES];
	size_t dlen = 0;
	int nt = tag_parse(rec, n, t, MAX_TAGS);

	if (nt < 0) {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_BAD_KEY, "key record is not a valid tag list");
		return;
	}
	v = tag_get(t, nt, "v");
	if (v && (v != &t[0] || !tag_is(v, "DKIM1"))) {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_BAD_KEY, "key record v= is not DKIM1 first");
		return;
	}
	p = tag_get(t, nt, "p");
	if (!p) {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_BAD_KEY, "key record has no p=");
		return;
	}
	kt = tag_get(t, nt, "k");
	if (!kt || tag_is(kt, "rsa"))
		k->type = KT_RSA;
	else if (tag_is(kt, "ed25519"))
		k->type = KT_ED25519;
	else {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_BAD_KEY, "unknown key type k=");
		return;
	}
	if ((h = tag_get(t, nt, "h")) != NULL) {
		if (list_has(h->v, h->n, "sha1", ':'))
			k->hashes |= HASH_SHA1;
		if (list_has(h->v, h->n, "sha256", ':'))
			k->hashes |= HASH_SHA256;
		if (k->hashes == 0) {
			key_bad(k, KEY_PERM, AUTH_DKIM_F_BAD_KEY, "key h= names no known hash");
			return;
		}
	}
	if ((s = tag_get(t, nt, "s")) != NULL && !list_has(s->v, s->n, "*", ':') &&
	    !list_has(s->v, s->n, "email", ':')) {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_BAD_KEY, "key is not for email (s=)");
		return;
	}
	if ((fl = tag_get(t, nt, "t")) != NULL) {
		k->testing = list_has(fl->v, fl->n, "y", ':');
		k->strict = list_has(fl->v, fl->n, "s", ':');
	}
	if (p->n == 0) {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_REVOKED, "key revoked (empty p=)");
		return;
	}
	if (!b64_decode(p->v, p->n, der, sizeof(der), &dlen) || dlen == 0) {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_BAD_KEY, "key p= is not base64");
		return;
	}
	if (k->type == KT_ED25519) {
		if (dlen != 32) {
			key_bad(k, KEY_PERM, AUTH_DKIM_F_BAD_KEY, "Ed25519 key is not 32 bytes");
			return;
		}
		k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, dlen);
		k->bits = 256;
	} else {
		const unsigned char *q = der;

		k->pkey = d2i_PUBKEY(NULL, &q, (long)dlen);
		if (k->pkey && EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA) {
			EVP_PKEY_free(k->pkey);
			k->pkey = NULL;
		}
		if (!k->pkey) {
			/* some publish the bare RSAPublicKey (PKCS#1) */
			q = der;
			k->pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)dlen);
		}
		if (k->pkey)
			k->bits = EVP_PKEY_get_bits(k->pkey);
	}
	if (!k->pkey) {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_BAD_KEY, "key p= does not parse");
		return;
	}
	if (k->type == KT_RSA && k->bits < 1024) {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_SMALL_KEY, "RSA key under 1024 bits (RFC 8301)");
		return;
	}
	k->status = KEY_OK;
}

static struct key *key_get(struct auth_dkim_ctx *c, const struct auth_dns *dns,
                           const char *sel, const char *dom, time_t now)
{
	char name[400];
	struct key *k, **pp;
	struct auth_dns_reply r;
	unsigned b;
	int n = snprintf(name, sizeof(name), "%s._domainkey.%s", sel, dom);

	if (n < 0 || (size_t)n >= sizeof(name))
		return NULL;
	str_lower(name);
	b = hash_name(name);
	for (pp = &c->bucket[b]; (k = *pp) != NULL; pp = &k->next) {
		if (strcmp(k->name, name) != 0)
			continue;
		if (k->expires > now)
			return k;
		*pp = k->next;
		key_free(k);
		c->nkeys--;
		break;
	}
	if (c->nkeys >= KEY_MAX)
		cache_flush(c);
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	str_copy(k->name, name, sizeof(k->name));
	memset(&r, 0, sizeof(r));
	c->queries++;
	if (!dns || !dns->query || dns->query(dns->ctx, name, AUTH_RR_TXT, &r) != WARY_OK) {
		key_bad(k, KEY_TEMP, AUTH_DKIM_F_NO_KEY, "no DNS");
	} else if (r.status == AUTH_DNS_TEMPFAIL) {
		key_bad(k, KEY_TEMP, AUTH_DKIM_F_NO_KEY, "key lookup failed (temporary)");
	} else if (r.status == AUTH_DNS_NXDOMAIN || (r.status == AUTH_DNS_OK && r.n == 0)) {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_NO_KEY, "no key record");
	} else if (r.status != AUTH_DNS_OK) {
		key_bad(k, KEY_PERM, AUTH_DKIM_F_NO_KEY, "key lookup failed");
	} else {
		key_parse(k, r.rr[0], r.len[0]);
	}
	{
		unsigned ttl = r.ttl < KEY_MIN_TTL ? KEY_MIN_TTL : r.ttl > KEY_MAX_TTL ? KEY_MAX_TTL : r.ttl;

		/* a failed lookup is not kept: the next message asks again */
		k->expires = k->status == KEY_TEMP ? now : now + (time_t)ttl;
	}
	auth_dns_reply_clear(&r);
	k->next = c->bucket[b];
	c->bucket[b] = k;
	c->nkeys++;
	return k;
}

/* ---------------------------------------------------------- context */

int auth_dkim_ctx_new(struct auth_dkim_ctx **out, char *err, size_t errlen)
{
	struct auth_dkim_ctx *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return err_set(err, errlen, WARY_ENOMEM, "dkim: out of memory");
	c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	c->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	c->hmd = EVP_MD_CTX_new();
	c->bmd = EVP_MD_CTX_new();
	c->vmd = EVP_MD_CTX_new();
	if (!c->sha256 || !c->hmd || !c->bmd || !c->vmd) {
		auth_dkim_ctx_free(&c);
		return err_set(err, errlen, WARY_ERR, "dkim: OpenSSL has no SHA-256");
	}
	*out = c;
	return WARY_OK;
}

void auth_dkim_ctx_free(struct auth_dkim_ctx **ctx)
{
	struct auth_dkim_ctx *c = ctx ? *ctx : NULL;

	if (!c)
		return;
	cache_flush(c);
	EVP_MD_free(c->sha256);
	EVP_MD_free(c->sha1);
	EVP_MD_CTX_free(c->hmd);
	EVP_MD_CTX_free(c->bmd);
	EVP_MD_CTX_free(c->vmd);
	free(c);
	*ctx = NULL;
}

size_t auth_dkim_ctx_keys(const struct auth_dkim_ctx *ctx)
{
	return ctx ? ctx->nkeys : 0;
}

size_t auth_dkim_ctx_queries(const struct auth_dkim_ctx *ctx)
{
	return ctx ? ctx->queries : 0;
}

/* ---------------------------------------------------------- names */

const char *auth_dkim_result_name(enum auth_dkim_result r)
{
	switch (r) {
	case AUTH_DKIM_NONE: return "none";
	case AUTH_DKIM_PASS: return "pass";
	case AUTH_DKIM_FAIL: return "fail";
	case AUTH_DKIM_NEUTRAL: return "neutral";
	case AUTH_DKIM_POLICY: return "policy";
	case AUTH_DKIM_TEMPERROR: return "temperror";
	case AUTH_DKIM_PERMERROR: return "permerror";
	}
	return "none";
}

static const char *const hdr_names[AUTH_DKIM_H_COUNT] = {
	"from", "subject", "content-type", "to", "date", "cc", "message-id", "reply-to",
	"mime-version",
};

const char *auth_dkim_hdr_name(unsigned bit)
{
	for (unsigned i = 0; i < AUTH_DKIM_H_COUNT; i++)
		if (bit == 1u << i)
			return hdr_names[i];
	return NULL;
}

const char *auth_dkim_flag_name(unsigned bit)
{
	switch (bit) {
	case AUTH_DKIM_F_WEAK: return "weak-rsa-sha1";
	case AUTH_DKIM_F_LENGTH: return "body-length-limit";
	case AUTH_DKIM_F_TESTING: return "testing-key";
	case AUTH_DKIM_F_EXPIRED: return "expired";
	case AUTH_DKIM_F_FUTURE: return "timestamp-in-future";
	case AUTH_DKIM_F_BODY_HASH: return "body-hash-mismatch";
	case AUTH_DKIM_F_REVOKED: return "key-revoked";
	case AUTH_DKIM_F_SMALL_KEY: return "key-too-small";
	case AUTH_DKIM_F_NO_KEY: return "no-key";
	case AUTH_DKIM_F_BAD_KEY: return "bad-key";
	case AUTH_DKIM_F_IDENTITY: return "identity-mismatch";
	case AUTH_DKIM_F_SYNTAX: return "bad-signature-syntax";
	case AUTH_DKIM_F_UNSIGNED_HDR: return "unsigned-header";
	case AUTH_DKIM_F_DUPLICATED: return "duplicated-header";
	case AUTH_DKIM_F_UNSIGNED_BODY: return "unsigned-body";
	case AUTH_DKIM_F_TOO_MANY: return "too-many-signatures";
	}
	return NULL;
}

/* ---------------------------------------------------------- verify */

static void sig_fail(struct auth_dkim_sig *s, enum auth_dkim_result r, unsigned flag,
                     const char *why)
{
	s->result = r;
	s->flags |= flag;
	if (s->reason[0] == '\0')
		str_copy(s->reason, why, sizeof(s->reason));
}

/* The i-th name of h= as [*ns, *ne). */
struct hname {
	size_t s, e;
};

static int parse_h(const struct tagv *h, struct hname *v, int max, bool lax)
{
	size_t i = 0, n = h->n;
	int k = 0;

	while (i <= n) {
		size_t s = i, e;

		while (i < n && h->v[i] != ':')
			i++;
		e = i;
		while (s < e && is_fws((unsigned char)h->v[s]))
			s++;
		while (e > s && is_fws((unsigned char)h->v[e - 1]))
			e--;
		if (e == s && lax) {
			i++;
			continue;
		}
		if (e == s)
			return -1;
		for (size_t j = s; j < e; j++) {
			unsigned char c = (unsigned char)h->v[j];
			/* field-name = 1*ftext (printable, not ':') */
			if (c < 0x21 || c > 0x7e)
				return -1;
		}
		if (k >= max)
			return -1;
		v[k].s = s;
		v[k].e = e;
		k++;
		i++;
	}
	return k;
}

static bool same_name(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && str_ncasecmp(a, b, an) == 0;
}

static EVP_PKEY_CTX *rsa_ctx(EVP_PKEY *pkey, const EVP_MD *md)
{
	EVP_PKEY_CTX *p = EVP_PKEY_CTX_new(pkey, NULL);

	if (p && EVP_PKEY_verify_init(p) == 1 && EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(p, md) == 1)
		return p;
	EVP_PKEY_CTX_free(p);
	return NULL;
}

static bool sig_crypto(struct auth_dkim_ctx *c, struct key *k, int ktype, const EVP_MD *md,
                       const unsigned char *sigb, size_t siglen, const unsigned char *digest,
                       unsigned dlen)
{
	if (ktype == KT_ED25519) {
		if (siglen != 64)
			return false;
		if (k->edctx == NULL) {
			k->edctx = EVP_MD_CTX_new();
			if (!k->edctx || EVP_DigestVerifyInit(k->edctx, NULL, NULL, NULL, k->pkey) != 1) {
				EVP_MD_CTX_free(k->edctx);
				k->edctx = NULL;
				return false;
			}
		}
		/* one-shot Ed25519 leaves the context as it was: reused */
		if (EVP_DigestVerify(k->edctx, sigb, siglen, digest, dlen) == 1)
			return true;
		/* a failure is checked once more on a fresh context, so a context
		 * that could not be reused never turns a good signature bad */
		return EVP_DigestVerifyInit(c->vmd, NULL, NULL, NULL, k->pkey) == 1 &&
		       EVP_DigestVerify(c->vmd, sigb, siglen, digest, dlen) == 1;
	}
	{
		bool sha1 = md == c->sha1;
		EVP_PKEY_CTX **pp = sha1 ? &k->pctx1 : &k->pctx;

		if (*pp == NULL && (*pp = rsa_ctx(k->pkey, md)) == NULL)
			return false;
		return EVP_PKEY_verify(*pp, sigb, siglen, digest, dlen) == 1;
	}
}

void dkim_msg_split(struct auth_dkim_ctx *c, const char *raw, size_t len, struct dkim_msg *m)
{
	m->raw = raw;
	m->len = len;
	m->nf = auth_dkim_split_headers(raw, len, c->fstart, c->fend, MAX_FIELDS, &m->body);
	m->fs = c->fstart;
	m->fe = c->fend;
	/* name lengths once per message: every signature compares them */
	for (size_t i = 0; i < m->nf; i++) {
		size_t colon;

		c->fname[i] = field_name_len(raw + m->fs[i], m->fe[i] - m->fs[i], &colon);
	}
	m->fnl = c->fname;
}

bool dkim_field_is(const char *f, size_t n, const char *name)
{
	return field_is(f, n, name);
}

/* Verify the signature in field fi; fills s.  ams: an ARC-Message-Signature
 * (RFC 8617 4.1.2: no v=, i= is the instance). */
void dkim_verify_sig(struct auth_dkim_ctx *c, const struct auth_dns *dns,
                     const struct dkim_msg *m, size_t fi, time_t now, bool ams,
                     struct auth_dkim_sig *s)
{
	const char *f = m->raw + m->fs[fi];
	size_t fn = m->fe[fi] - m->fs[fi], colon = 0;
	struct tagv t[MAX_TAGS];
	struct hname hn[MAX_H_NAMES];
	const struct tagv *tv, *ta, *tb, *tbh, *td, *th, *ts, *ti, *tl, *tq, *tt, *tx, *tc;
	unsigned char sigb[MAX_SIG_B64], bh[64], digest[EVP_MAX_MD_SIZE];
	size_t siglen = 0, bhlen = 0;
	unsigned dlen = 0;
	int nt, nh, hash, ktype;
	/* an AMS without c= is read relaxed/relaxed, as ARC signers write it
	 * (the ValiMail suite's ams_fields_c_na) */
	bool hrelaxed = ams, brelaxed = ams;
	const EVP_MD *md;
	struct key *k;

	memset(s, 0, sizeof(*s));
	s->length = -1;
	s->t = s->x = -1;
	s->header_index = fi;
	s->result = AUTH_DKIM_PERMERROR;
	(void)field_name_len(f, fn, &colon);
	nt = tag_parse(f + colon + 1, fn - colon - 1, t, MAX_TAGS);
	if (nt < 0) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX,
		         "signature is not a valid tag list (or repeats a tag)");
		return;
	}
	tv = tag_get(t, nt, "v");
	ta = tag_get(t, nt, "a");
	tb = tag_get(t, nt, "b");
	tbh = tag_get(t, nt, "bh");
	td = tag_get(t, nt, "d");
	th = tag_get(t, nt, "h");
	ts = tag_get(t, nt, "s");
	ti = tag_get(t, nt, "i");
	tl = tag_get(t, nt, "l");
	tq = tag_get(t, nt, "q");
	tt = tag_get(t, nt, "t");
	tx = tag_get(t, nt, "x");
	tc = tag_get(t, nt, "c");
	if (td)
		(void)tag_copy(td, s->domain, sizeof(s->domain), true);
	if (ts)
		(void)tag_copy(ts, s->selector, sizeof(s->selector), false);
	if (ta)
		(void)tag_copy(ta, s->algorithm, sizeof(s->algorithm), true);
	if ((!tv && !ams) || !ta || !tb || !tbh || !td || !th || !ts) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX,
		         "signature lacks a required tag (v a b bh d h s)");
		return;
	}
	if (ams && tv) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "v= in an ARC-Message-Signature");
		return;
	}
	if (!ams && !tag_is(tv, "1")) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "signature v= is not 1");
		return;
	}
	if (!tag_copy(td, s->domain, sizeof(s->domain), true) || s->domain[0] == '\0' ||
	    strpbrk(s->domain, "()<>[]:;@\\,\"") != NULL) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "signature d= is not a domain");
		return;
	}
	if (!tag_copy(ts, s->selector, sizeof(s->selector), false) || s->selector[0] == '\0' ||
	    strpbrk(s->selector, "()<>[]:;@\\,\"/") != NULL) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "signature s= is not a selector");
		return;
	}
	if (tag_is(ta, "rsa-sha256")) {
		hash = HASH_SHA256;
		ktype = KT_RSA;
	} else if (tag_is(ta, "rsa-sha1") && !ams) {
		hash = HASH_SHA1;
		ktype = KT_RSA;
		s->flags |= AUTH_DKIM_F_WEAK;
	} else if (tag_is(ta, "ed25519-sha256")) {
		hash = HASH_SHA256;
		ktype = KT_ED25519;
	} else {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "unknown signature algorithm a=");
		return;
	}
	md = hash == HASH_SHA1 ? c->sha1 : c->sha256;
	if (!md) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_WEAK, "SHA-1 not available");
		return;
	}
	if (tc) {
		char cv[24];
		char *slash;

		if (!tag_copy(tc, cv, sizeof(cv), true)) {
			sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "bad c=");
			return;
		}
		slash = strchr(cv, '/');
		if (slash)
			*slash++ = '\0';
		hrelaxed = brelaxed = false;
		if (strcmp(cv, "relaxed") == 0)
			hrelaxed = true;
		else if (strcmp(cv, "simple") != 0) {
			sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "unknown canonicalization c=");
			return;
		}
		if (slash && strcmp(slash, "relaxed") == 0)
			brelaxed = true;
		else if (slash && strcmp(slash, "simple") != 0) {
			sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "unknown canonicalization c=");
			return;
		}
	}
	snprintf(s->canon, sizeof(s->canon), "%s/%s", hrelaxed ? "relaxed" : "simple",
	         brelaxed ? "relaxed" : "simple");
	if (tq && !list_has(tq->v, tq->n, "dns/txt", ':')) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "q= does not offer dns/txt");
		return;
	}
	if (tl && !parse_num(tl, &s->length, 76)) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "l= is not a number");
		return;
	}
	if (tl)
		s->flags |= AUTH_DKIM_F_LENGTH;
	if ((tt && !parse_num(tt, &s->t, 12)) || (tx && !parse_num(tx, &s->x, 12))) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "t= or x= is not a time");
		return;
	}
	if (tt && tx && s->x < s->t) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "x= is before t=");
		return;
	}
	/* identity: i= must lie in d= (RFC 6376 3.5) */
	if (ams) {
		snprintf(s->identity, sizeof(s->identity), "@%s", s->domain);
	} else if (ti) {
		char *at;
		size_t dl = strlen(s->domain), il;

		if (!tag_copy(ti, s->identity, sizeof(s->identity), false) ||
		    (at = strrchr(s->identity, '@')) == NULL) {
			sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "i= is not an identity");
			return;
		}
		at++;
		il = strlen(at);
		if (!(il == dl && str_casecmp(at, s->domain) == 0) &&
		    !(il > dl && at[il - dl - 1] == '.' && str_casecmp(at + il - dl, s->domain) == 0)) {
			sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_IDENTITY, "i= is not in d=");
			return;
		}
	} else {
		snprintf(s->identity, sizeof(s->identity), "@%s", s->domain);
	}
	/* ARC (RFC 8617 4.1.2) is read as the suites do: empty names in h=
	 * skipped, From not required, ARC-Seal never signed */
	nh = parse_h(th, hn, MAX_H_NAMES, ams);
	if (nh < 0) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "h= is not a list of field names");
		return;
	}
	{
		bool from = false;

		for (int i = 0; i < nh; i++)
			if (same_name(th->v + hn[i].s, hn[i].e - hn[i].s, "from", 4))
				from = true;
		for (int i = 0; ams && i < nh; i++)
			if (same_name(th->v + hn[i].s, hn[i].e - hn[i].s, "arc-seal", 8)) {
				sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX,
				         "an ARC-Message-Signature must not sign ARC-Seal");
				return;
			}
		if (!from && !ams) {
			sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "h= does not sign From");
			return;
		}
	}
	if (!b64_decode(tb->v, tb->n, sigb, sizeof(sigb), &siglen) || siglen == 0) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "b= is not base64");
		return;
	}
	if (!b64_decode(tbh->v, tbh->n, bh, sizeof(bh), &bhlen) || bhlen == 0) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_SYNTAX, "bh= is not base64");
		return;
	}

	/* what the signature covers, for the verdict (design 4.6) */
	for (unsigned b = 0; b < AUTH_DKIM_H_COUNT; b++) {
		const char *nm = hdr_names[b];
		size_t nl = strlen(nm), inmsg = 0, inh = 0;

		for (size_t i = 0; i < m->nf; i++)
			if (m->fnl[i] == nl && str_ncasecmp(m->raw + m->fs[i], nm, nl) == 0)
				inmsg++;
		for (int i = 0; i < nh; i++)
			if (same_name(th->v + hn[i].s, hn[i].e - hn[i].s, nm, nl))
				inh++;
		if (inh > 0)
			s->covers |= 1u << b;
		if (inmsg > inh && inh > 0)
			s->duplicated |= 1u << b;
		if (inmsg > 0 && inh == 0 && b < 5)
			s->flags |= AUTH_DKIM_F_UNSIGNED_HDR;
	}
	if (s->duplicated)
		s->flags |= AUTH_DKIM_F_DUPLICATED;

	/* the body hash first: reported even when the key is missing */
	{
		struct bodyh b = { c, c->bmd, s->length >= 0 ? (unsigned long long)s->length : ULLONG_MAX,
		                   0, 0 };
		unsigned char got[EVP_MAX_MD_SIZE];
		unsigned gl = 0;

		c->olen = 0;
		EVP_DigestInit_ex(c->bmd, md, NULL);
		canon_body(&b, m->raw + m->body, m->len - m->body, brelaxed);
		out_flush(c, c->bmd);
		EVP_DigestFinal_ex(c->bmd, got, &gl);
		s->body_checked = true;
		s->body_ok = gl == bhlen && memcmp(got, bh, gl) == 0;
		if (s->length >= 0 && b.total > (unsigned long long)s->length) {
			s->unsigned_body = b.total - (unsigned long long)s->length;
			s->flags |= AUTH_DKIM_F_UNSIGNED_BODY;
		}
		if (s->length >= 0 && b.total < (unsigned long long)s->length)
			s->body_ok = false; /* l= longer than the body: the body was cut */
	}

	/* the header hash */
	c->olen = 0;
	EVP_DigestInit_ex(c->hmd, md, NULL);
	for (int i = 0; i < nh; i++) {
		const char *nm = th->v + hn[i].s;
		size_t nl = hn[i].e - hn[i].s;
		int before = 0;
		size_t j;

		/* the k-th listing of a name takes the k-th copy from the bottom */
		for (int q = 0; q < i; q++)
			if (same_name(th->v + hn[q].s, hn[q].e - hn[q].s, nm, nl))
				before++;
		for (j = m->nf; j-- > 0;) {
			const char *g = m->raw + m->fs[j];

			if (m->fnl[j] == nl && str_ncasecmp(g, nm, nl) == 0) {
				if (before == 0)
					break;
				before--;
			}
		}
		if (j < m->nf)
			canon_header(c, c->hmd, m->raw + m->fs[j], m->fe[j] - m->fs[j], hrelaxed, 0, 0,
			             true);
	}
	{
		/* the signature field itself, b= emptied, no final CRLF */
		size_t off = colon + 1;

		canon_header(c, c->hmd, f, fn, hrelaxed, off + tb->vstart, off + tb->vend, false);
	}
	out_flush(c, c->hmd);
	EVP_DigestFinal_ex(c->hmd, digest, &dlen);

	/* the key */
	k = key_get(c, dns, s->selector, s->domain, now);
	if (!k) {
		sig_fail(s, AUTH_DKIM_TEMPERROR, AUTH_DKIM_F_NO_KEY, "key name too long or no memory");
		return;
	}
	if (k->status != KEY_OK) {
		sig_fail(s, k->status == KEY_TEMP ? AUTH_DKIM_TEMPERROR : AUTH_DKIM_PERMERROR, k->flags,
		         k->reason);
		return;
	}
	s->key_bits = k->bits;
	if (k->testing)
		s->flags |= AUTH_DKIM_F_TESTING;
	if (k->type != ktype) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_BAD_KEY, "key type does not match a=");
		return;
	}
	if (k->hashes && !(k->hashes & (unsigned)hash)) {
		sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_BAD_KEY, "key h= does not allow this hash");
		return;
	}
	if (k->strict) {
		const char *at = strrchr(s->identity, '@');

		if (!at || str_casecmp(at + 1, s->domain) != 0) {
			sig_fail(s, AUTH_DKIM_PERMERROR, AUTH_DKIM_F_IDENTITY,
			         "key t=s needs i= in exactly d=");
			return;
		}
	}
	if (!sig_crypto(c, k, ktype, md, sigb, siglen, digest, dlen)) {
		sig_fail(s, AUTH_DKIM_FAIL, 0, "signature does not verify");
		return;
	}
	if (!s->body_ok) {
		sig_fail(s, AUTH_DKIM_FAIL, AUTH_DKIM_F_BODY_HASH, "body hash does not match (bh=)");
		return;
	}
	if (s->x >= 0 && s->x < (long long)now) {
		sig_fail(s, AUTH_DKIM_FAIL, AUTH_DKIM_F_EXPIRED, "signature expired (x=)");
		return;
	}
	/* clocks drift: a timestamp up to an hour ahead is accepted */
	if (s->t >= 0 && s->t > (long long)now + 3600) {
		sig_fail(s, AUTH_DKIM_FAIL, AUTH_DKIM_F_FUTURE, "signature timestamp in the future (t=)");
		return;
	}
	s->result = AUTH_DKIM_PASS;
}

int auth_dkim_verify(struct auth_dkim_ctx *ctx, const struct auth_dns *dns, const char *raw,
                     size_t len, time_t now, struct auth_dkim *out, char *err, size_t errlen)
{
	struct auth_dkim_ctx *own = NULL;
	struct dkim_msg m;
	int rc = WARY_OK;

	out->n = 0;
	out->total = 0;
	if (!ctx) {
		rc = auth_dkim_ctx_new(&own, err, errlen);
		if (rc != WARY_OK)
			goto out;
		ctx = own;
	}
	dkim_msg_split(ctx, raw, len, &m);
	for (size_t i = 0; i < m.nf; i++) {
		if (!field_is(raw + m.fs[i], m.fe[i] - m.fs[i], "dkim-signature"))
			continue;
		out->total++;
		if (out->n >= AUTH_DKIM_MAX_SIGS) {
			out->sig[AUTH_DKIM_MAX_SIGS - 1].flags |= AUTH_DKIM_F_TOO_MANY;
			continue;
		}
		dkim_verify_sig(ctx, dns, &m, i, now, false, &out->sig[out->n]);
		out->n++;
	}
out:
	auth_dkim_ctx_free(&own);
	return rc;
}

/* ---------------------------------------------------------- ARC-Seal */

enum auth_dkim_result dkim_seal_check(struct auth_dkim_ctx *c, const struct auth_dns *dns,
                                      const struct dkim_msg *m, const size_t *fields, size_t n,
                                      size_t seal_fi, time_t now, char *domain, size_t dlen,
                                      char *reason, size_t rlen)
{
	const char *f = m->raw + m->fs[seal_fi];
	size_t fn = m->fe[seal_fi] - m->fs[seal_fi], colon = 0, siglen = 0;
	struct tagv t[MAX_TAGS];
	const struct tagv *ta, *tb, *td, *ts, *ti, *tcv;
	unsigned char sigb[MAX_SIG_B64], digest[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	char sel[128];
	int nt, ktype;
	struct key *k;

	domain[0] = '\0';
	(void)field_name_len(f, fn, &colon);
	nt = tag_parse(f + colon + 1, fn - colon - 1, t, MAX_TAGS);
	if (nt < 0) {
		str_copy(reason, "ARC-Seal is not a valid tag list", rlen);
		return AUTH_DKIM_PERMERROR;
	}
	ta = tag_get(t, nt, "a");
	tb = tag_get(t, nt, "b");
	td = tag_get(t, nt, "d");
	ts = tag_get(t, nt, "s");
	ti = tag_get(t, nt, "i");
	tcv = tag_get(t, nt, "cv");
	if (td)
		(void)tag_copy(td, domain, dlen, true);
	if (!ta || !tb || !td || !ts || !ti || !tcv) {
		str_copy(reason, "ARC-Seal lacks a required tag (i a b d s cv)", rlen);
		return AUTH_DKIM_PERMERROR;
	}
	if (tag_get(t, nt, "h")) {
		str_copy(reason, "ARC-Seal has h= (RFC 8617 4.1.3)", rlen);
		return AUTH_DKIM_PERMERROR;
	}
	if (tag_is(ta, "rsa-sha256"))
		ktype = KT_RSA;
	else if (tag_is(ta, "ed25519-sha256"))
		ktype = KT_ED25519;
	else {
		str_copy(reason, "ARC-Seal algorithm unknown", rlen);
		return AUTH_DKIM_PERMERROR;
	}
	if (!tag_copy(ts, sel, sizeof(sel), false) || !sel[0] || !domain[0] ||
	    strpbrk(sel, "()<>[]:;@\\,\"/") || strpbrk(domain, "()<>[]:;@\\,\"")) {
		str_copy(reason, "ARC-Seal d= or s= malformed", rlen);
		return AUTH_DKIM_PERMERROR;
	}
	if (!b64_decode(tb->v, tb->n, sigb, sizeof(sigb), &siglen) || siglen == 0) {
		str_copy(reason, "ARC-Seal b= is not base64", rlen);
		return AUTH_DKIM_PERMERROR;
	}
	c->olen = 0;
	EVP_DigestInit_ex(c->hmd, c->sha256, NULL);
	for (size_t i = 0; i < n; i++)
		canon_header(c, c->hmd, m->raw + m->fs[fields[i]], m->fe[fields[i]] - m->fs[fields[i]],
		             true, 0, 0, true);
	canon_header(c, c->hmd, f, fn, true, colon + 1 + tb->vstart, colon + 1 + tb->vend, false);
	out_flush(c, c->hmd);
	EVP_DigestFinal_ex(c->hmd, digest, &dl);
	k = key_get(c, dns, sel, domain, now);
	if (!k) {
		str_copy(reason, "ARC-Seal key name too long", rlen);
		return AUTH_DKIM_PERMERROR;
	}
	if (k->status != KEY_OK) {
		str_copy(reason, k->reason, rlen);
		return k->status == KEY_TEMP ? AUTH_DKIM_TEMPERROR : AUTH_DKIM_PERMERROR;
	}
	if (k->type != ktype || (k->hashes && !(k->hashes & HASH_SHA256))) {
		str_copy(reason, "ARC-Seal key does not fit its algorithm", rlen);
		return AUTH_DKIM_PERMERROR;
	}
	if (!sig_crypto(c, k, ktype, c->sha256, sigb, siglen, digest, dl)) {
		str_copy(reason, "ARC-Seal does not verify", rlen);
		return AUTH_DKIM_FAIL;
	}
	return AUTH_DKIM_PASS;
}
