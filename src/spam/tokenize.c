/*
 * The tokenizer: a message to the set of tokens the classifier counts.
 *
 * Each token counts once per message (a set), so repeating a word gains
 * a spammer nothing.  Header fields become tokens with a prefix of their
 * own ("subj:", "from:", "rcvd:"...), because "free" in a Subject is other
 * evidence than "free" in a body.  Bodies are tokenized after transfer
 * and charset decoding.  The known bypasses are undone, and the trick
 * itself is a token ("trick:..."), so using it is evidence too:
 *   separators inside a word   v.i.a.g.r.a, vi-agra, V*I*A*G*R*A
 *   spaced letters             v i a g r a
 *   digits and signs as letters  v1agra, c@sh, ca$h
 *   invisible characters       vi<U+200B>agra, soft hyphens
 *   look-alike letters         Cyrillic a/e/o/p/c in a Latin word, fullwidth
 *   hidden HTML text           display:none, white on white, 1px: "hid:"
 *   image-only mail            "image-only" and the attachment types
 */
#include "spam/spam_int.h"

#define MAX_WORD 40
#define MAX_TOKENS 20000            /* per message: the rest is repetition */
#define MAX_TEXT_BYTES (512u * 1024) /* per part: enough to judge */
#define MAX_HEADER_TOKENS_PER_FIELD 64

#define FNV_INIT 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv_more(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t fnv_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h ? h : 1;
}

uint64_t spam_token_hash(const char *tok, size_t len)
{
	/* FNV-1a with a final avalanche: cheap, and with 64 bits a collision
	 * among a million tokens has a chance near 3e-8. */
	return fnv_final(fnv_more(FNV_INIT, tok, len));
}

int spam_toks_new(struct spam_toks **out)
{
	struct spam_toks *t = xcalloc(1, sizeof(*t));

	t->cap = 1024;
	t->slots = xcalloc(t->cap, sizeof(*t->slots));
	t->budget = MAX_TOKENS;
	t->pfx_state = FNV_INIT; /* of the empty prefix */
	buf_init(&t->text);
	*out = t;
	return WARY_OK;
}

void spam_toks_free(struct spam_toks **tp)
{
	struct spam_toks *t = tp ? *tp : NULL;

	if (t == NULL)
		return;
	free(t->slots);
	free(t->order);
	free(t->text_off);
	buf_release(&t->text);
	free(t);
	*tp = NULL;
}

void spam_toks_clear(struct spam_toks *t)
{
	if (t->n > t->cap / 16)
		memset(t->slots, 0, t->cap * sizeof(*t->slots));
	else
		/* Last in, first out: every probe chain an entry was inserted
		 * over is still intact when it is removed. */
		for (size_t i = t->n; i-- > 0;) {
			size_t mask = t->cap - 1, j = (size_t)t->order[i] & mask;

			while (t->slots[j] != t->order[i])
				j = (j + 1) & mask;
			t->slots[j] = 0;
		}
	t->n = 0;
	t->body_bytes = 0;
	t->words = t->capwords = 0;
	t->budget = MAX_TOKENS;
	buf_reset(&t->text);
}

static void toks_grow(struct spam_toks *t)
{
	size_t ncap = t->cap * 2, mask = ncap - 1;
	uint64_t *ns = xcalloc(ncap, sizeof(*ns));

	for (size_t i = 0; i < t->n; i++) {
		size_t j = (size_t)t->order[i] & mask;

		while (ns[j] != 0)
			j = (j + 1) & mask;
		ns[j] = t->order[i];
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
}

static void toks_insert(struct spam_toks *t, uint64_t h, const char *text, size_t tlen)
{
	size_t mask = t->cap - 1, j = (size_t)h & mask;

	while (t->slots[j] != 0) {
		if (t->slots[j] == h)
			return;
		j = (j + 1) & mask;
	}
	if (t->budget == 0)
		return;
	t->budget--;
	t->slots[j] = h;
	if (t->n == t->ocap) {
		t->ocap = t->ocap ? t->ocap * 2 : 256;
		t->order = xreallocarray(t->order, t->ocap, sizeof(*t->order));
	}
	if (t->keep_text) {
		if (t->tcap < t->ocap) {
			t->tcap = t->ocap;
			t->text_off = xreallocarray(t->text_off, t->tcap, sizeof(*t->text_off));
		}
		t->text_off[t->n] = t->text.len;
		buf_add(&t->text, text, tlen);
		buf_addch(&t->text, '\0');
	}
	t->order[t->n++] = h;
	if (t->n * 2 > t->cap)
		toks_grow(t);
}

void tok_add(struct spam_toks *t, const char *prefix, const char *w, size_t len)
{
	char tmp[160];
	size_t pl = strlen(prefix), tl;
	uint64_t h;

	if (len > MAX_WORD * 2)
		len = MAX_WORD * 2;
	if (pl + len > sizeof(tmp) || pl >= sizeof(t->pfx))
		return;
	/* FNV runs left to right: the state after the prefix is kept, since
	 * runs of tokens share one */
	if (pl != t->pfx_len || memcmp(prefix, t->pfx, pl) != 0) {
		memcpy(t->pfx, prefix, pl);
		t->pfx_len = pl;
		t->pfx_state = fnv_more(FNV_INIT, prefix, pl);
	}
	h = t->pfx_state;
	memcpy(tmp, prefix, pl);
	tl = pl;
	/* a NUL inside a word is dropped: the text is kept as a C string */
	for (size_t i = 0; i < len; i++)
		if (w[i] != '\0') {
			h ^= (unsigned char)w[i];
			h *= FNV_PRIME;
			tmp[tl++] = w[i];
		}
	toks_insert(t, fnv_final(h), tmp, tl);
}

size_t spam_toks_count(const struct spam_toks *t)
{
	return t->n;
}

uint64_t spam_toks_hash(const struct spam_toks *t, size_t i)
{
	return i < t->n ? t->order[i] : 0;
}

const char *spam_toks_text(const struct spam_toks *t, size_t i)
{
	if (!t->keep_text || t->text_off == NULL || i >= t->n)
		return NULL;
	return t->text.data + t->text_off[i];
}

bool spam_toks_has(const struct spam_toks *t, const char *tok)
{
	uint64_t h = spam_token_hash(tok, strlen(tok));
	size_t mask = t->cap - 1, j = (size_t)h & mask;

	while (t->slots[j] != 0) {
		if (t->slots[j] == h)
			return true;
		j = (j + 1) & mask;
	}
	return false;
}

/* ---- words ---------------------------------------------------------- */

static const char *const leet_from = "013457@$";
static const char *const leet_to = "oieastas";

/* Latin look-alikes from Cyrillic and Greek, the ones spam uses. */
static char lookalike(uint32_t cp)
{
	switch (cp) {
	case 0x0430: case 0x0410: case 0x03b1: case 0x0391: return 'a';
	case 0x0412: case 0x0392: case 0x0432: return 'b';
	case 0x0441: case 0x0421: case 0x03f2: return 'c';
	case 0x0435: case 0x0415: case 0x0395: case 0x03b5: return 'e';
	case 0x041d: case 0x0397: case 0x043d: return 'h';
	case 0x0456: case 0x0406: case 0x03b9: case 0x0399: return 'i';
	case 0x0458: case 0x0408: return 'j';
	case 0x041a: case 0x039a: case 0x043a: case 0x03ba: return 'k';
	case 0x041c: case 0x039c: case 0x043c: return 'm';
	case 0x039d: case 0x03bd: return 'n';
	case 0x043e: case 0x041e: case 0x03bf: case 0x039f: return 'o';
	case 0x0440: case 0x0420: case 0x03c1: case 0x03a1: return 'p';
	case 0x0455: case 0x0405: return 's';
	case 0x0422: case 0x03a4: case 0x0442: case 0x03c4: return 't';
	case 0x0443: case 0x03c5: return 'y';
	case 0x0445: case 0x0425: case 0x03c7: case 0x03a7: return 'x';
	case 0x0396: return 'z';
	default: return 0;
	}
}

static bool is_sep_cp(uint32_t cp)
{
	return cp == 0xa0 || (cp >= 0x2000 && cp <= 0x200a) || (cp >= 0x2010 && cp <= 0x205f) ||
	       cp == 0x3000 || (cp >= 0x3001 && cp <= 0x303f) || (cp >= 0xff01 && cp <= 0xff0f) ||
	       cp == 0xfffd || cp == 0xab || cp == 0xbb || cp == 0xa1 || cp == 0xbf ||
	       cp == 0xb7 || cp == 0xa9 || cp == 0xae;
}

static void emit_word(struct tok_ctx *c, const char *w, size_t len)
{
	if (len < 3)
		return;
	if (len > MAX_WORD) {
		/* SpamBayes' "skip" token: a long word is evidence by its start
		 * and size, not its text. */
		char sk[32];

		snprintf(sk, sizeof(sk), "%c:%zu", w[0], len / 10);
		tok_add(c->t, c->prefix[0] ? c->prefix : "skip:", sk, strlen(sk));
		return;
	}
	tok_add(c->t, c->prefix, w, len);
	if (c->opts && c->opts->bigrams) {
		if (c->prevlen > 0 && c->prevlen + 1 + len < 96) {
			char bg[100];
			size_t bl = 0;

			memcpy(bg, c->prev, c->prevlen);
			bl = c->prevlen;
			bg[bl++] = ' ';
			memcpy(bg + bl, w, len);
			bl += len;
			tok_add(c->t, c->prefix[0] ? c->prefix : "bi:", bg, bl);
		}
		memcpy(c->prev, w, len);
		c->prevlen = len;
	}
}

static void emit_trick(struct tok_ctx *c, const char *name)
{
	tok_add(c->t, "trick:", name, strlen(name));
}

/* A finished run of one-character chunks ("v i a g r a"). */
static void run_flush(struct tok_ctx *c)
{
	if (c->runcount >= 4 && c->runlen >= 4) {
		emit_word(c, c->run, c->runlen);
		emit_trick(c, "spaced");
	}
	c->runlen = c->runcount = 0;
}

void tok_text_end(struct tok_ctx *c)
{
	run_flush(c);
	c->prevlen = 0;
}

static bool looks_email(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);

	if (at == NULL || at == s)
		return false;
	return memchr(at, '.', len - (size_t)(at - s)) != NULL;
}

/* Body text only: the words written in capitals, counted for the
 * message (shouting is evidence; one word of it is not). */
static void count_caps(struct tok_ctx *c, const char *s, size_t len)
{
	size_t up = 0, low = 0;

	if (c->prefix[0] != '\0')
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			up++;
		else if (s[i] >= 'a' && s[i] <= 'z')
			low++;
	}
	if (up + low >= 3) {
		c->t->words++;
		if (low == 0)
			c->t->capwords++;
	}
}

/* One white-space separated chunk of text, in UTF-8. */
static void chunk(struct tok_ctx *c, const char *s, size_t len)
{
	char piece[MAX_WORD * 2 + 8], joined[MAX_WORD + 8], alt[MAX_WORD * 2 + 8];
	size_t al = 0;
	bool p_ascii = false, p_look = false;
	size_t pl = 0, jl = 0, npieces = 0, short_pieces = 0, seps = 0, letters = 0;
	bool any_alpha_piece = false, piece_long = false;
	bool invisible = false, look = false, full = false, digits_only = true;
	size_t punct = 0;
	char punct_run[4];
	size_t prl = 0;

	if (len >= 4 && (str_memcasemem(s, len, "://") || str_istarts_with(s, "www."))) {
		const char *p = str_memcasemem(s, len, "http");

		if (p == NULL)
			p = s;
		run_flush(c);
		tok_url(c->t, "url:", p, len - (size_t)(p - s));
		return;
	}
	if (looks_email(s, len)) {
		const char *at = memchr(s, '@', len);
		size_t i = 0, e = len;
		char dom[96];
		size_t dl = 0;

		run_flush(c);
		while (i < len && !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		                    (s[i] >= '0' && s[i] <= '9')))
			i++;
		while (e > i && !((s[e - 1] >= 'a' && s[e - 1] <= 'z') ||
		                  (s[e - 1] >= 'A' && s[e - 1] <= 'Z') ||
		                  (s[e - 1] >= '0' && s[e - 1] <= '9')))
			e--;
		/* the domain ends where a host name cannot go on ("?subject=", ">") */
		for (const char *q = at + 1; q < s + e && dl < sizeof(dom) - 1; q++) {
			if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
			      (*q >= '0' && *q <= '9') || *q == '.' || *q == '-'))
				break;
			dom[dl++] = (char)((*q >= 'A' && *q <= 'Z') ? *q + 32 : *q);
		}
		tok_add(c->t, "email:", dom, dl);
		return;
	}

	count_caps(c, s, len);
	/* The alphanumeric content of the chunk, for the spaced-letters run. */
	{
		size_t alnum = 0;
		char one = 0;

		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)s[i];

			if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9')) {
				alnum++;
				one = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
			} else if (ch >= 0x80) {
				alnum += 2;
			}
		}
		if (alnum == 1) {
			if (c->runlen < sizeof(c->run) - 1) {
				c->run[c->runlen++] = one;
				c->runcount++;
			}
			return;
		}
		run_flush(c);
	}

	for (size_t i = 0; i <= len;) {
		uint32_t cp = 0;
		size_t n = 1;
		int kind; /* 1 word char, 0 separator, 2 skip (invisible) */
		char lc = 0;

		if (i == len) {
			kind = 0;
		} else {
			unsigned char ch = (unsigned char)s[i];

			if (ch < 0x80) {
				cp = ch;
				if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '$' ||
				    ch == '@' || ch == '\'') {
					kind = 1;
					lc = (char)ch;
				} else if (ch >= 'A' && ch <= 'Z') {
					kind = 1;
					lc = (char)(ch + 32);
				} else {
					kind = 0;
				}
			} else {
				n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
				if (n == 0) {
					n = 1;
					cp = 0xfffd;
				}
				if (safe_is_invisible(cp)) {
					kind = 2;
				} else if (cp >= 0xff21 && cp <= 0xff5a && (cp <= 0xff3a || cp >= 0xff41)) {
					/* fullwidth Latin letters */
					kind = 1;
					lc = (char)(cp - 0xfee0);
					if (lc >= 'A' && lc <= 'Z')
						lc = (char)(lc + 32);
					full = true;
				} else if (is_sep_cp(cp)) {
					kind = 0;
				} else if (lookalike(cp) != 0) {
					kind = 3;
				} else {
					kind = 1;
				}
			}
		}
		if (kind == 2) {
			invisible = true;
			i += n;
			continue;
		}
		if (kind == 3) {
			/* a look-alike: kept as written, and mapped in alt */
			if (pl + n < sizeof(piece) - 1) {
				memcpy(piece + pl, s + i, n);
				pl += n;
			} else {
				piece_long = true;
			}
			if (al < sizeof(alt) - 1)
				alt[al++] = lookalike(cp);
			p_look = true;
			digits_only = false;
			letters++;
			i += n;
			continue;
		}
		if (kind == 1) {
			if (lc) {
				if (pl < sizeof(piece) - 1)
					piece[pl++] = lc;
				if (al < sizeof(alt) - 1)
					alt[al++] = lc;
				if (lc >= 'a' && lc <= 'z')
					p_ascii = true;
				if (!(lc >= '0' && lc <= '9'))
					digits_only = false;
				if (lc >= 'a' && lc <= 'z')
					letters++;
			} else {
				if (pl + n < sizeof(piece) - 1) {
					memcpy(piece + pl, s + i, n);
					pl += n;
				} else {
					piece_long = true;
				}
				if (al + n < sizeof(alt) - 1) {
					memcpy(alt + al, s + i, n);
					al += n;
				}
				digits_only = false;
				letters++;
			}
			i += n;
			continue;
		}
		/* a separator: the piece ends */
		if (pl > 0 && p_look && p_ascii && al <= MAX_WORD) {
			/* Latin letters mixed with Cyrillic or Greek look-alikes:
			 * the word the reader sees */
			memcpy(piece, alt, al);
			pl = al;
			look = true;
		}
		p_look = p_ascii = false;
		al = 0;
		if (pl > 0) {
			size_t start = 0, end = pl;

			/* apostrophes at the ends are quotes */
			while (start < end && piece[start] == '\'')
				start++;
			while (end > start && piece[end - 1] == '\'')
				end--;
			if (end > start) {
				char *w = piece + start;
				size_t wl = end - start;
				bool has_leet = false, has_alpha = false, leet_ok = true;

				for (size_t k = 0; k < wl; k++) {
					if (w[k] >= 'a' && w[k] <= 'z')
						has_alpha = true;
					else if (strchr(leet_from, w[k]) && w[k] != '\0')
						has_leet = true;
					else if ((w[k] >= '0' && w[k] <= '9'))
						leet_ok = false;
				}
				if (piece_long)
					wl = MAX_WORD + 1;
				emit_word(c, w, wl);
				if (has_alpha && has_leet && leet_ok && wl <= MAX_WORD && wl >= 3 &&
				    w[0] >= 'a' && w[0] <= 'z') {
					char nw[MAX_WORD + 1];
					size_t letters_w = 0;

					for (size_t k = 0; k < wl; k++) {
						const char *f = strchr(leet_from, w[k]);

						nw[k] = (f && w[k]) ? leet_to[f - leet_from] : w[k];
						if (w[k] >= 'a' && w[k] <= 'z')
							letters_w++;
					}
					if (letters_w >= 2) {
						emit_word(c, nw, wl);
						emit_trick(c, "leet");
					}
				}
				if (!digits_only)
					any_alpha_piece = true;
				if (wl <= 2)
					short_pieces++;
				if (jl + wl < sizeof(joined) - 1) {
					memcpy(joined + jl, w, wl);
					jl += wl;
				} else {
					jl = sizeof(joined); /* too long to be one word */
				}
				npieces++;
			}
			pl = 0;
			digits_only = true;
			piece_long = false;
			if (i < len)
				seps++;
		}
		if (i < len && cp < 0x80 && strchr("!?$%*#", (int)cp)) {
			if (prl < sizeof(punct_run))
				punct_run[prl++] = (char)cp;
			punct++;
		}
		i += n;
	}
	if (prl >= 2)
		tok_add(c->t, "punct:", punct_run, prl);
	/* Separators inside one word: the pieces joined, when some piece is
	 * too short to be a word of its own. */
	if (npieces >= 2 && short_pieces >= 1 && any_alpha_piece && jl >= 5 && jl <= MAX_WORD &&
	    (npieces >= 3 || jl >= 6) && letters >= 4) {
		emit_word(c, joined, jl);
		emit_trick(c, "separated");
	}
	if (invisible)
		emit_trick(c, "invisible");
	if (look)
		emit_trick(c, "lookalike");
	if (full)
		emit_trick(c, "fullwidth");
	(void)punct;
}

void tok_text(struct tok_ctx *c, const char *s, size_t len)
{
	size_t i = 0;

	c->t->body_bytes += len;
	while (i < len) {
		size_t j;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
		                   s[i] == '\f' || s[i] == '\v'))
			i++;
		j = i;
		while (j < len && !(s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r' ||
		                    s[j] == '\f' || s[j] == '\v'))
			j++;
		if (j > i) {
			/* A no-break space (C2 A0) separates too. */
			size_t a = i;

			for (size_t k = i; k + 1 < j; k++) {
				if ((unsigned char)s[k] == 0xc2 && (unsigned char)s[k + 1] == 0xa0) {
					if (k > a)
						chunk(c, s + a, k - a);
					a = k + 2;
					k++;
				}
			}
			if (j > a)
				chunk(c, s + a, j - a);
		}
		i = j;
		if (c->t->budget == 0)
			break;
	}
}

/* ---- URLs ----------------------------------------------------------- */

void tok_url(struct spam_toks *t, const char *prefix, const char *url, size_t len)
{
	char host[256];
	size_t hl = 0, i = 0, k;
	char pfx[32];
	bool ipnum = true;

	if (len > 2048)
		len = 2048;
	/* strip trailing punctuation a sentence put there */
	while (len > 0 && strchr(".,;:!?)]>\"'", url[len - 1]))
		len--;
	k = 0;
	for (i = 0; i + 2 < len && i < 12; i++)
		if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/')
			break;
	if (i + 2 < len && i < 12) {
		char scheme[16];
		size_t sl = 0;

		for (size_t q = 0; q < i && sl < sizeof(scheme) - 1; q++)
			scheme[sl++] = (char)((url[q] >= 'A' && url[q] <= 'Z') ? url[q] + 32 : url[q]);
		snprintf(pfx, sizeof(pfx), "%sscheme:", prefix);
		tok_add(t, pfx, scheme, sl);
		k = i + 3;
	} else if (len >= 7 && str_ncasecmp(url, "mailto:", 7) == 0) {
		const char *at = memchr(url, '@', len);

		if (at) {
			for (const char *q = at + 1; q < url + len && hl < sizeof(host) - 1 && *q != '?'; q++)
				host[hl++] = (char)((*q >= 'A' && *q <= 'Z') ? *q + 32 : *q);
			tok_add(t, "email:", host, hl);
		}
		return;
	}
	/* userinfo: http://bank.com@evil.example/ */
	{
		size_t e = k;

		while (e < len && url[e] != '/' && url[e] != '?' && url[e] != '#')
			e++;
		for (size_t q = k; q < e; q++)
			if (url[q] == '@') {
				snprintf(pfx, sizeof(pfx), "%suserinfo", prefix);
				tok_add(t, pfx, "", 0);
				k = q + 1;
			}
	}
	for (i = k; i < len && url[i] != '/' && url[i] != '?' && url[i] != '#' && url[i] != ':' &&
	            hl < sizeof(host) - 1;
	     i++) {
		char ch = url[i];

		if (ch == '%') {
			snprintf(pfx, sizeof(pfx), "%sencoded-host", prefix);
			tok_add(t, pfx, "", 0);
		}
		if (!((ch >= '0' && ch <= '9') || ch == '.'))
			ipnum = false;
		host[hl++] = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
	}
	while (i < len && url[i] != '/' && url[i] != '?' && url[i] != '#')
		i++; /* the port */
	if (hl == 0)
		return;
	if (ipnum) {
		snprintf(pfx, sizeof(pfx), "%sip", prefix);
		tok_add(t, pfx, "", 0);
	}
	tok_add(t, prefix, host, hl);
	/* every parent domain of two labels or more */
	if (!ipnum) {
		size_t dots = 0;

		for (size_t q = hl; q-- > 0;) {
			if (host[q] == '.') {
				dots++;
				if (dots >= 2)
					tok_add(t, prefix, host + q + 1, hl - q - 1);
			}
		}
	}
	/* path pieces */
	{
		size_t segs = 0;

		snprintf(pfx, sizeof(pfx), "%spath:", prefix);
		while (i < len && segs < 12) {
			size_t a;

			while (i < len && strchr("/?&=#.;+-_~%", url[i]))
				i++;
			a = i;
			while (i < len && !strchr("/?&=#.;+-_~%", url[i]))
				i++;
			if (i - a >= 3 && i - a <= 30) {
				char seg[32];
				size_t sl = 0;

				for (size_t q = a; q < i; q++)
					seg[sl++] = (char)((url[q] >= 'A' && url[q] <= 'Z') ? url[q] + 32 : url[q]);
				tok_add(t, pfx, seg, sl);
			}
			segs++;
		}
	}
}

/* ---- headers -------------------------------------------------------- */

static void lower_into(char *dst, size_t dsz, const char *s, size_t len, size_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < dsz - 1; i++)
		dst[n++] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	dst[n] = '\0';
	*out = n;
}

static void text_with_prefix(struct spam_toks *t, const struct spam_tok_opts *opts,
                             const char *prefix, const char *s, size_t len)
{
	struct tok_ctx c = { .t = t, .opts = NULL, .prefix = prefix };
	size_t before = t->body_bytes;

	(void)opts;
	if (len > 4096)
		len = 4096;
	tok_text(&c, s, len);
	tok_text_end(&c);
	t->body_bytes = before;
}

static void addr_tokens(struct spam_toks *t, const char *prefix, const char *value,
                        const char **first_domain_out, char *dombuf, size_t domsz)
{
	struct mail_addr_list l = { NULL, 0 };
	char err[WARY_ERRLEN];
	char pfx[32];
	size_t lim;

	(void)mail_addr_parse(value, &l, err, sizeof(err));
	lim = l.n < 20 ? l.n : 20;
	for (size_t i = 0; i < lim; i++) {
		const struct mail_addr *a = &l.v[i];
		char tmp[256];
		size_t tl;

		if (a->address) {
			lower_into(tmp, sizeof(tmp), a->address, strlen(a->address), &tl);
			tok_add(t, prefix, tmp, tl);
		}
		if (a->domain) {
			snprintf(pfx, sizeof(pfx), "%s@", prefix);
			tok_add(t, pfx, a->domain, strlen(a->domain));
			if (i == 0 && first_domain_out && dombuf) {
				str_copy(dombuf, a->domain, domsz);
				*first_domain_out = dombuf;
			}
		}
		if (a->display && *a->display) {
			snprintf(pfx, sizeof(pfx), "%sname:", prefix);
			text_with_prefix(t, NULL, pfx, a->display, strlen(a->display));
		} else if (i == 0) {
			snprintf(pfx, sizeof(pfx), "%snoname", prefix);
			tok_add(t, pfx, "", 0);
		}
	}
	if (l.n == 0) {
		snprintf(pfx, sizeof(pfx), "%snone", prefix);
		tok_add(t, pfx, "", 0);
	} else {
		char cnt[16];

		snprintf(pfx, sizeof(pfx), "%scount:", prefix);
		snprintf(cnt, sizeof(cnt), "%s", l.n == 1 ? "1" : l.n == 2 ? "2" : l.n <= 5 ? "3-5"
		                                  : l.n <= 10 ? "6-10" : "many");
		tok_add(t, pfx, cnt, strlen(cnt));
	}
	mail_addr_list_clear(&l);
}

static bool is_host_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_';
}

/* Host names and addresses of a Received field. */
static void received_tokens(struct spam_toks *t, const char *v)
{
	size_t len = strlen(v), i = 0, emitted = 0;

	if (len > 2048)
		len = 2048;
	while (i < len && emitted < 16) {
		size_t a, dots = 0;
		bool digits = true;

		while (i < len && !is_host_char(v[i]))
			i++;
		a = i;
		while (i < len && is_host_char(v[i])) {
			if (v[i] == '.')
				dots++;
			else if (!(v[i] >= '0' && v[i] <= '9'))
				digits = false;
			i++;
		}
		if (dots == 0 || i - a < 4 || i - a > 100)
			continue;
		if (v[i - 1] == '.')
			continue;
		{
			char h[104];
			size_t hl;

			lower_into(h, sizeof(h), v + a, i - a, &hl);
			if (digits && dots == 3) {
				/* an IPv4 address: its /24 and /16 */
				size_t cut = hl;

				while (cut > 0 && h[cut - 1] != '.')
					cut--;
				if (cut > 1) {
					tok_add(t, "rcvd:ip:", h, cut - 1);
					while (cut > 1 && h[cut - 2] != '.')
						cut--;
					if (cut > 2)
						tok_add(t, "rcvd:ip:", h, cut - 2);
				}
			} else if (!digits) {
				size_t d2 = 0, q;

				tok_add(t, "rcvd:", h, hl);
				for (q = hl; q-- > 0;)
					if (h[q] == '.' && ++d2 == 2)
						break;
				if (d2 == 2)
					tok_add(t, "rcvd:", h + q + 1, hl - q - 1);
			}
			emitted++;
		}
	}
}

/* The shape of an identifier a program made: digits become 9, lower
 * case letters a, capitals A, runs of one class one character, other
 * characters kept.  Mailers and spam tools each write their Message-IDs,
 * Date fields and MIME boundaries their own way ("9.9aAa9@", "---=_9A_9"),
 * and the way survives when the values change with every message. */
static size_t shape_of(const char *s, size_t len, char *out, size_t osz)
{
	size_t n = 0;
	char last = 0;

	for (size_t i = 0; i < len && n + 1 < osz; i++) {
		char ch = s[i], k;

		if (ch >= '0' && ch <= '9')
			k = '9';
		else if (ch >= 'a' && ch <= 'z')
			k = 'a';
		else if (ch >= 'A' && ch <= 'Z')
			k = 'A';
		else if ((unsigned char)ch < 0x21 || (unsigned char)ch >= 0x7f)
			k = '_';
		else
			k = ch;
		if (k == last && (k == '9' || k == 'a' || k == 'A' || k == '_'))
			continue;
		out[n++] = k;
		last = k;
	}
	out[n] = '\0';
	return n;
}

static void shape_token(struct spam_toks *t, const char *prefix, const char *s, size_t len)
{
	char sh[40];
	size_t n = shape_of(s, len, sh, sizeof(sh));

	tok_add(t, prefix, sh, n);
}

static void header_tokens(struct spam_toks *t, const struct spam_tok_opts *opts,
                          const struct mail_msg *msg)
{
	size_t n = mail_header_count(msg);
	size_t nrcvd = 0;
	char fromdom[256] = "";
	const char *fd = NULL;
	static const char *const worded[] = {
		"x-mailer", "user-agent", "organization", "list-id", "precedence", "x-priority",
		"x-msmail-priority", "importance", "x-mailing-list", "errors-to", "sender",
		"x-originating-ip", "list-unsubscribe", "mailing-list", "x-mimeole", "content-class",
		"thread-index", "x-accept-language", "x-beenthere", "x-virus-scanned",
	};

	for (size_t i = 0; i < n && i < 300; i++) {
		const char *name = mail_header_name(msg, i), *val = mail_header_value(msg, i);
		char ln[48];
		size_t lnl;

		if (name == NULL || val == NULL)
			continue;
		lower_into(ln, sizeof(ln), name, strlen(name), &lnl);
		tok_add(t, "hdr:", ln, lnl);
		/* the spelling of the name: "Message-Id" and "Message-ID" are
		 * different programs */
		tok_add(t, "hname:", name, strlen(name));
		if (strcmp(ln, "x-mailer") == 0 || strcmp(ln, "user-agent") == 0) {
			/* the whole program and version, beside its words */
			char mv[64];
			size_t ml, e = strlen(val);

			while (e > 0 && (val[e - 1] == ' ' || val[e - 1] == '\t' || val[e - 1] == '\r' ||
			                 val[e - 1] == '\n'))
				e--;
			lower_into(mv, sizeof(mv), val, e, &ml);
			tok_add(t, "mailer:", mv, ml);
		}
		if (strcmp(ln, "received") == 0 && nrcvd++ < 12) {
			received_tokens(t, val);
			continue;
		}
		for (size_t w = 0; w < ARRAY_SIZE(worded); w++) {
			if (strcmp(ln, worded[w]) == 0) {
				char pfx[64];
				char *dec = mail_rfc2047_decode(val, strlen(val));

				snprintf(pfx, sizeof(pfx), "%s:", ln);
				text_with_prefix(t, opts, pfx, dec, strlen(dec));
				free(dec);
				break;
			}
		}
	}
	{
		char cnt[8];

		snprintf(cnt, sizeof(cnt), "%zu", nrcvd > 9 ? 9 : nrcvd);
		tok_add(t, "rcvd:count:", cnt, strlen(cnt));
	}
	{
		char *subj = mail_header_decoded(msg, "Subject");

		if (subj == NULL) {
			tok_add(t, "subj:none", "", 0);
		} else {
			size_t sl = strlen(subj), up = 0, low = 0;

			text_with_prefix(t, opts, "subj:", subj, sl);
			for (size_t i = 0; i < sl; i++) {
				if (subj[i] >= 'A' && subj[i] <= 'Z')
					up++;
				else if (subj[i] >= 'a' && subj[i] <= 'z')
					low++;
			}
			if (up >= 6 && up > 3 * low)
				tok_add(t, "subj:caps", "", 0);
			if (sl == 0)
				tok_add(t, "subj:empty", "", 0);
			if (strchr(subj, '!'))
				tok_add(t, "subj:!", "", 0);
			if (mail_header_get(msg, "Subject") &&
			    strstr(mail_header_get(msg, "Subject"), "=?"))
				tok_add(t, "subj:encoded", "", 0);
			free(subj);
		}
	}
	{
		const char *v = mail_header_get(msg, "From");

		if (v)
			addr_tokens(t, "from:", v, &fd, fromdom, sizeof(fromdom));
		else
			tok_add(t, "from:missing", "", 0);
	}
	{
		const char *v = mail_header_get(msg, "To");

		if (v)
			addr_tokens(t, "to:", v, NULL, NULL, 0);
		else
			tok_add(t, "to:missing", "", 0);
		v = mail_header_get(msg, "Cc");
		if (v)
			addr_tokens(t, "cc:", v, NULL, NULL, 0);
	}
	{
		const char *v = mail_header_get(msg, "Reply-To");

		if (v) {
			char rd[256] = "";
			const char *rdp = NULL;

			addr_tokens(t, "replyto:", v, &rdp, rd, sizeof(rd));
			if (rdp && fd && str_casecmp(rdp, fd) != 0)
				tok_add(t, "replyto:differs", "", 0);
		}
		v = mail_header_get(msg, "Return-Path");
		if (v) {
			const char *at = strchr(v, '@');

			if (at) {
				char d[128];
				size_t dl, e = 0;

				at++;
				while (at[e] && at[e] != '>' && at[e] != ' ' && e < 120)
					e++;
				lower_into(d, sizeof(d), at, e, &dl);
				tok_add(t, "rpath:@", d, dl);
				if (fd && str_casecmp(d, fd) != 0)
					tok_add(t, "rpath:differs", "", 0);
			} else {
				tok_add(t, "rpath:empty", "", 0);
			}
		}
	}
	{
		const char *v = mail_header_get(msg, "Message-ID");

		if (v == NULL) {
			tok_add(t, "mid:none", "", 0);
		} else {
			const char *at = strrchr(v, '@');

			if (at) {
				char d[128];
				size_t dl, e = 0;

				at++;
				while (at[e] && at[e] != '>' && e < 120)
					e++;
				lower_into(d, sizeof(d), at, e, &dl);
				tok_add(t, "mid:@", d, dl);
				{
					const char *lp = v;

					while (*lp == ' ' || *lp == '\t' || *lp == '<')
						lp++;
					if (lp < at - 1)
						shape_token(t, "mid:shape:", lp, (size_t)(at - 1 - lp));
				}
			} else {
				tok_add(t, "mid:noat", "", 0);
			}
		}
	}
	{
		const char *v = mail_header_get(msg, "Date");

		if (v == NULL) {
			tok_add(t, "date:none", "", 0);
		} else {
			const char *z = v + strlen(v);

			shape_token(t, "date:shape:", v, strlen(v));

			while (z > v && (z[-1] == ' ' || z[-1] == '\r' || z[-1] == '\n' || z[-1] == ')'))
				z--;
			while (z > v && z[-1] != ' ' && z[-1] != '(')
				z--;
			if ((*z == '+' || *z == '-') && strlen(z) >= 5)
				tok_add(t, "date:tz:", z, 5);
			else if (*z)
				tok_add(t, "date:tz:", z, strcspn(z, " )\r\n") < 8 ? strcspn(z, " )\r\n") : 8);
		}
	}
}

/* ---- the body ------------------------------------------------------- */

struct walk {
	struct spam_toks *t;
	const struct spam_tok_opts *opts;
	size_t images;      /* img tags and image parts */
	size_t text_parts;
	size_t html_parts;
	size_t parts;       /* leaf parts */
	int depth;
};

static void walk_part(struct walk *w, const struct mail_part *p);

static void walk_msg(struct walk *w, const struct mail_msg *msg)
{
	const struct mail_part *root = mail_root(msg);

	if (root)
		walk_part(w, root);
}

static void walk_part(struct walk *w, const struct mail_part *p)
{
	const char *type = mail_part_type(p);
	const char *cs = mail_part_param(p, "charset");
	const char *enc = mail_part_encoding(p);
	size_t nk = mail_part_count_children(p);
	char err[WARY_ERRLEN];

	if (w->depth > 8)
		return;
	tok_add(w->t, "part:", type, strlen(type));
	if (cs) {
		char lc[48];
		size_t ll;

		lower_into(lc, sizeof(lc), cs, strlen(cs), &ll);
		tok_add(w->t, "charset:", lc, ll);
	}
	if (enc)
		tok_add(w->t, "cte:", enc, strlen(enc));
	if (nk > 0) {
		const char *bd = mail_part_param(p, "boundary");

		if (bd)
			shape_token(w->t, "boundary:", bd, strlen(bd));
		for (size_t i = 0; i < nk && i < 64; i++) {
			w->depth++;
			walk_part(w, mail_part_child(p, i));
			w->depth--;
		}
		return;
	}
	w->parts++;
	if (strcmp(type, "message/rfc822") == 0) {
		const struct mail_msg *inner = mail_part_message(p);

		if (inner) {
			w->depth++;
			walk_msg(w, inner);
			w->depth--;
		}
		return;
	}
	if (mail_part_is_attachment(p) || !str_starts_with(type, "text/")) {
		const char *fn = mail_part_filename(p);

		tok_add(w->t, "att:", type, strlen(type));
		if (str_starts_with(type, "image/"))
			w->images++;
		if (fn) {
			const char *dot = strrchr(fn, '.');

			if (dot && strlen(dot) <= 8) {
				char e[12];
				size_t el;

				lower_into(e, sizeof(e), dot + 1, strlen(dot + 1), &el);
				tok_add(w->t, "attext:", e, el);
			}
		}
		if (!str_starts_with(type, "text/"))
			return;
	}
	{
		struct buf text = BUF_INIT;

		buf_init(&text);
		if (mail_part_text(p, &text, err, sizeof(err)) == WARY_OK) {
			size_t len = text.len > MAX_TEXT_BYTES ? MAX_TEXT_BYTES : text.len;

			if (strcmp(type, "text/html") == 0) {
				size_t imgs = 0;

				tok_html(w->t, w->opts, text.data, len, &imgs);
				w->images += imgs;
				w->html_parts++;
			} else {
				struct tok_ctx c = { .t = w->t, .opts = w->opts, .prefix = "" };

				tok_text(&c, text.data, len);
				tok_text_end(&c);
				w->text_parts++;
			}
		}
		buf_release(&text);
	}
}

int spam_tokenize(const struct mail_msg *msg, const struct spam_tok_opts *opts,
                  struct spam_toks *t, char *err, size_t errlen)
{
	struct walk w = { .t = t, .opts = opts };
	static const struct spam_tok_opts none = { false, false };

	if (msg == NULL)
		return err_set(err, errlen, WARY_ERR, "no message");
	if (opts == NULL)
		w.opts = opts = &none;
	spam_toks_clear(t);
	t->keep_text = opts->keep_text;
	header_tokens(t, opts, msg);
	walk_msg(&w, msg);
	{
		/* How much text there was, in powers of two: image-only and
		 * near-empty mail shows here. */
		size_t b = t->body_bytes;
		char k[16];
		int lg = 0;

		while (b > 1 && lg < 30) {
			b >>= 1;
			lg++;
		}
		snprintf(k, sizeof(k), "%d", lg);
		tok_add(t, "textlen:", k, strlen(k));
		if (t->body_bytes < 200 && w.images > 0)
			tok_add(t, "image-only", "", 0);
		if (w.html_parts > 0 && w.text_parts == 0)
			tok_add(t, "html-only", "", 0);
		if (t->words >= 20) {
			/* the share of words in capitals, in steps of 5% up to 40% */
			size_t pc = t->capwords * 100 / t->words;

			snprintf(k, sizeof(k), "%zu", pc >= 40 ? 40 : pc / 5 * 5);
			tok_add(t, "caps:", k, strlen(k));
		}
		snprintf(k, sizeof(k), "%s", w.parts <= 1 ? "1" : w.parts == 2 ? "2" : w.parts <= 4 ? "3-4"
		                             : w.parts <= 8 ? "5-8" : "many");
		tok_add(t, "parts:", k, strlen(k));
	}
	return WARY_OK;
}

void spam_tokenize_text(struct spam_toks *t, const char *text, size_t len,
                        const struct spam_tok_opts *opts)
{
	struct tok_ctx c = { .t = t, .opts = opts, .prefix = "" };

	if (opts && t->n == 0)
		t->keep_text = opts->keep_text;
	tok_text(&c, text, len);
	tok_text_end(&c);
}

void spam_tokenize_html(struct spam_toks *t, const char *html, size_t len,
                        const struct spam_tok_opts *opts)
{
	size_t imgs = 0;

	if (opts && t->n == 0)
		t->keep_text = opts->keep_text;
	tok_html(t, opts, html, len, &imgs);
}
