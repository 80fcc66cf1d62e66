/*
 * send/dlp: what should not leave by mistake.  Each detector checks what
 * makes a number real, not only its shape: card numbers pass Luhn and
 * start with an issuer's range at a length that issuer uses, IBANs have
 * their country's length and pass mod 97, SSNs keep the SSA's rules and
 * are written as SSNs are (AAA-GG-SSSS).  A digit run inside a longer
 * one, a word or a URL is not looked at, so order numbers, phone numbers
 * and tracking links stay quiet (the demo mailbox and the spam corpus are
 * the negatives in tests/unit/test_send.c).
 */
#include <ctype.h>
#include <regex.h>

#include "send/send_int.h"

#define DLP_MAX_HITS 1000

const char *send_dlp_kind_name(enum send_dlp_kind k)
{
	switch (k) {
	case SEND_DLP_CARD:
		return "card-number";
	case SEND_DLP_IBAN:
		return "iban";
	case SEND_DLP_SSN:
		return "us-ssn";
	case SEND_DLP_PRIVATE_KEY:
		return "private-key";
	case SEND_DLP_PATTERN:
		return "pattern";
	}
	return "?";
}

bool send_dlp_luhn(const char *d, size_t n)
{
	unsigned sum = 0;
	size_t i;
	bool dbl = false;

	if (n == 0)
		return false;
	for (i = n; i-- > 0;) {
		unsigned v;

		if (d[i] < '0' || d[i] > '9')
			return false;
		v = (unsigned)(d[i] - '0');
		if (dbl) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
		dbl = !dbl;
	}
	return sum % 10 == 0;
}

static unsigned prefix_num(const char *d, size_t k)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < k; i++)
		v = v * 10 + (unsigned)(d[i] - '0');
	return v;
}

/* The issuer whose range and lengths fit, or NULL. */
static const char *card_issuer(const char *d, size_t n)
{
	unsigned p1 = prefix_num(d, 1), p2 = prefix_num(d, 2), p3 = prefix_num(d, 3),
	         p4 = prefix_num(d, 4), p6 = prefix_num(d, 6);

	if (p1 == 4 && (n == 13 || n == 16 || n == 19))
		return "Visa";
	if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n == 16)
		return "Mastercard";
	if ((p2 == 34 || p2 == 37) && n == 15)
		return "American Express";
	if ((p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) && n >= 16 && n <= 19)
		return "Discover";
	if (((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) && n >= 14 && n <= 19)
		return "Diners Club";
	if (p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19)
		return "JCB";
	if (p2 == 62 && n >= 16 && n <= 19)
		return "UnionPay";
	if ((p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304 || p4 == 6759 ||
	     p6 == 676770 || p6 == 676774) && n >= 12 && n <= 19)
		return "Maestro";
	return NULL;
}

/* Characters that glue a number to a word, an URL or a longer number. */
static bool glued(unsigned char c)
{
	return isalnum(c) || c == '/' || c == '=' || c == '&' || c == '?' || c == '_' || c == '%' ||
	       c == '#' || c == '+' || c == '@' || c == '.' || c == ':' || c == '-' || c >= 0x80;
}

static void add_hit(struct send_dlp_report *r, enum send_dlp_kind k, const char *text,
                    size_t off, size_t len, const char *what)
{
	struct send_dlp_hit *h;
	size_t i;
	unsigned line = 1;

	if (r->n >= DLP_MAX_HITS)
		return;
	for (i = 0; i < off; i++)
		if (text[i] == '\n')
			line++;
	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	h = &r->v[r->n++];
	h->kind = k;
	h->offset = off;
	h->len = len;
	h->line = line;
	str_copy(h->what, what, sizeof(h->what));
}

/* Digit groups separated by one space or one dash, the same throughout. */
static void scan_cards_ssn(const char *t, size_t len, struct send_dlp_report *r)
{
	size_t i = 0;

	while (i < len) {
		char digits[24];
		size_t nd = 0, j = i, groups[8], ng = 0, gl = 0;
		char sep = 0;
		bool bad = false;

		if (!isdigit((unsigned char)t[i]) || (i > 0 && glued((unsigned char)t[i - 1]) &&
		                                      !(t[i - 1] == '-' && i > 1 &&
		                                        !glued((unsigned char)t[i - 2])))) {
			i++;
			continue;
		}
		if (i > 0 && t[i - 1] == '-') {
			/* "-1234..." after a word break: a negative or a range, not a card */
			while (i < len && (isdigit((unsigned char)t[i]) || t[i] == '-'))
				i++;
			continue;
		}
		while (j < len) {
			if (isdigit((unsigned char)t[j])) {
				if (nd < sizeof(digits) - 1)
					digits[nd] = t[j];
				nd++;
				gl++;
				j++;
			} else if ((t[j] == ' ' || t[j] == '-') && j + 1 < len &&
			           isdigit((unsigned char)t[j + 1]) && (sep == 0 || sep == t[j]) && ng < 7) {
				sep = t[j];
				groups[ng++] = gl;
				gl = 0;
				j++;
			} else {
				break;
			}
		}
		groups[ng++] = gl;
		if (j < len && glued((unsigned char)t[j]) &&
		    !((t[j] == '.' || t[j] == ':' || t[j] == '-') &&
		      (j + 1 >= len || !isalnum((unsigned char)t[j + 1]))))
			bad = true;
		if (!bad && nd >= 13 && nd <= 19 && (ng == 1 || ng >= 3)) {
			const char *iss;
			size_t g;
			bool even = true;

			digits[nd] = '\0';
			/* groups of a card are 4-4-4-4(-3), 4-6-4/5 (Amex, Diners) */
			for (g = 0; g + 1 < ng; g++)
				if (groups[g] < 4 || groups[g] > 6)
					even = false;
			iss = card_issuer(digits, nd);
			if (iss && (ng == 1 || even) && send_dlp_luhn(digits, nd)) {
				char what[96];

				snprintf(what, sizeof(what), "%s card number ending %s", iss, digits + nd - 4);
				add_hit(r, SEND_DLP_CARD, t, i, j - i, what);
			}
		} else if (!bad && nd == 9 && ng == 3 && groups[0] == 3 && groups[1] == 2 &&
		           groups[2] == 4 && sep == '-') {
			unsigned area = prefix_num(t + i, 3), grp = prefix_num(t + i + 4, 2),
			         ser = prefix_num(t + i + 7, 4);

			/* SSA: no area 000, 666 or 9xx, no group 00, no serial 0000; the
			 * numbers printed in advertisements were never anyone's */
			if (area != 0 && area != 666 && area < 900 && grp != 0 && ser != 0 &&
			    !(area == 78 && grp == 5 && ser == 1120) &&
			    !(area == 219 && grp == 9 && ser == 9999) &&
			    !(area == 123 && grp == 45 && ser == 6789)) {
				char what[96];

				snprintf(what, sizeof(what), "US social security number ***-**-%.4s", t + i + 7);
				add_hit(r, SEND_DLP_SSN, t, i, j - i, what);
			}
		}
		i = j > i ? j : i + 1;
	}
}

/* ISO 13616 lengths by country. */
static const struct {
	char cc[3];
	unsigned char len;
} iban_len[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 }, { "BA", 20 },
	{ "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BR", 29 }, { "BY", 28 }, { "CH", 21 },
	{ "CR", 22 }, { "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DK", 18 }, { "DO", 28 },
	{ "EE", 20 }, { "EG", 29 }, { "ES", 24 }, { "FI", 18 }, { "FO", 18 }, { "FR", 27 },
	{ "GB", 22 }, { "GE", 22 }, { "GI", 23 }, { "GL", 18 }, { "GR", 27 }, { "GT", 28 },
	{ "HR", 21 }, { "HU", 28 }, { "IE", 22 }, { "IL", 23 }, { "IQ", 23 }, { "IS", 26 },
	{ "IT", 27 }, { "JO", 30 }, { "KW", 30 }, { "KZ", 20 }, { "LB", 28 }, { "LC", 32 },
	{ "LI", 21 }, { "LT", 20 }, { "LU", 20 }, { "LV", 21 }, { "MC", 27 }, { "MD", 24 },
	{ "ME", 22 }, { "MK", 19 }, { "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NL", 18 },
	{ "NO", 15 }, { "PK", 24 }, { "PL", 28 }, { "PS", 29 }, { "PT", 25 }, { "QA", 29 },
	{ "RO", 24 }, { "RS", 22 }, { "SA", 24 }, { "SC", 31 }, { "SE", 24 }, { "SI", 19 },
	{ "SK", 24 }, { "SM", 27 }, { "ST", 25 }, { "SV", 28 }, { "TL", 23 }, { "TN", 24 },
	{ "TR", 26 }, { "UA", 29 }, { "VA", 22 }, { "VG", 24 }, { "XK", 20 },
};

static unsigned iban_country_len(const char *cc)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(iban_len); i++)
		if (cc[0] == iban_len[i].cc[0] && cc[1] == iban_len[i].cc[1])
			return iban_len[i].len;
	return 0;
}

bool send_dlp_iban_valid(const char *s)
{
	size_t n = strlen(s), i;
	unsigned rem = 0;

	if (n < 15 || n > 34 || iban_country_len(s) != n)
		return false;
	if (!isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[(i + 4) % n];

		if (isdigit(c)) {
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		} else if (c >= 'A' && c <= 'Z') {
			unsigned v = (unsigned)(c - 'A') + 10;

			rem = (rem * 100 + v) % 97;
		} else {
			return false;
		}
	}
	return rem == 1;
}

static void scan_ibans(const char *t, size_t len, struct send_dlp_report *r)
{
	size_t i;

	for (i = 0; i + 15 <= len; i++) {
		char compact[40];
		size_t j = i, n = 0, want, best = 0, best_end = 0;

		if (!(t[i] >= 'A' && t[i] <= 'Z' && t[i + 1] >= 'A' && t[i + 1] <= 'Z' &&
		      isdigit((unsigned char)t[i + 2]) && isdigit((unsigned char)t[i + 3])))
			continue;
		if (i > 0 && (isalnum((unsigned char)t[i - 1]) || t[i - 1] == '/' || t[i - 1] == '='))
			continue;
		want = iban_country_len(t + i);
		if (want == 0)
			continue;
		/* compact, or in groups of four separated by single spaces */
		while (j < len && n < want) {
			unsigned char c = (unsigned char)t[j];

			if (isdigit(c) || (c >= 'A' && c <= 'Z')) {
				compact[n++] = (char)c;
				j++;
			} else if (c == ' ' && n % 4 == 0 && j + 1 < len &&
			           isalnum((unsigned char)t[j + 1])) {
				j++;
			} else {
				break;
			}
		}
		if (n == want) {
			compact[n] = '\0';
			best = n;
			best_end = j;
		}
		if (best && (best_end >= len || !isalnum((unsigned char)t[best_end])) &&
		    send_dlp_iban_valid(compact)) {
			char what[96];

			snprintf(what, sizeof(what), "IBAN %.2s.. ending %s", compact, compact + best - 4);
			add_hit(r, SEND_DLP_IBAN, t, i, best_end - i, what);
			i = best_end;
		}
	}
}

static const struct {
	const char *begin;
	const char *what;
} key_markers[] = {
	{ "-----BEGIN RSA PRIVATE KEY-----", "RSA private key (PEM)" },
	{ "-----BEGIN EC PRIVATE KEY-----", "EC private key (PEM)" },
	{ "-----BEGIN DSA PRIVATE KEY-----", "DSA private key (PEM)" },
	{ "-----BEGIN PRIVATE KEY-----", "private key (PKCS#8 PEM)" },
	{ "-----BEGIN ENCRYPTED PRIVATE KEY-----", "encrypted private key (PKCS#8 PEM)" },
	{ "-----BEGIN OPENSSH PRIVATE KEY-----", "OpenSSH private key" },
	{ "-----BEGIN PGP PRIVATE KEY BLOCK-----", "OpenPGP secret key" },
	{ "-----BEGIN SSH2 ENCRYPTED PRIVATE KEY-----", "SSH2 private key" },
	{ "PuTTY-User-Key-File-", "PuTTY private key" },
};

static void scan_keys(const char *t, size_t len, struct send_dlp_report *r)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(key_markers); k++) {
		const char *p = t, *end = t + len;
		size_t ml = strlen(key_markers[k].begin);

		while (p < end && (p = memmem(p, (size_t)(end - p), key_markers[k].begin, ml)) != NULL) {
			/* a marker quoted inside a sentence is not a key: it starts a line
			 * (after quote marks) and a base64 line follows */
			const char *ls = p, *nl;
			bool at_line = true;

			while (ls > t && ls[-1] != '\n') {
				ls--;
				if (*ls != '>' && *ls != ' ' && *ls != '\t')
					at_line = false;
			}
			nl = memchr(p, '\n', (size_t)(end - p));
			if (at_line && nl != NULL) {
				const char *q = nl + 1;
				size_t b = 0;

				while (q < end && (*q == '>' || *q == ' ' || *q == '\r'))
					q++;
				while (q < end && *q != '\n' && (isalnum((unsigned char)*q) || *q == '+' ||
				                                 *q == '/' || *q == '=' || *q == ':' ||
				                                 *q == '-' || *q == ' ' || *q == '\r'))
					q++, b++;
				if (b >= 16)
					add_hit(r, SEND_DLP_PRIVATE_KEY, t, (size_t)(p - t), ml,
					        key_markers[k].what);
			}
			p += ml;
		}
	}
}

static int scan_pattern(const char *t, size_t len, const char *pattern,
                        struct send_dlp_report *r, char *err, size_t errlen)
{
	regex_t re;
	regmatch_t m;
	char *copy;
	size_t off = 0;
	int e;

	e = regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE);
	if (e != 0) {
		char msg[128];

		regerror(e, &re, msg, sizeof(msg));
		return err_set(err, errlen, WARY_EPARSE, "dlp_pattern: %s", msg);
	}
	copy = xstrndup(t, len);
	/* NULs would end the search early: a message may hold them */
	for (size_t i = 0; i < len; i++)
		if (copy[i] == '\0')
			copy[i] = ' ';
	while (off <= len && regexec(&re, copy + off, 1, &m, off ? REG_NOTBOL : 0) == 0) {
		char what[96];
		size_t ml = (size_t)(m.rm_eo - m.rm_so);

		if (ml == 0)
			break;
		snprintf(what, sizeof(what), "matches dlp_pattern (%zu characters)", ml);
		add_hit(r, SEND_DLP_PATTERN, t, off + (size_t)m.rm_so, ml, what);
		off += (size_t)m.rm_eo;
		if (r->n >= DLP_MAX_HITS)
			break;
	}
	free(copy);
	regfree(&re);
	return WARY_OK;
}

static int cmp_hit(const void *a, const void *b)
{
	const struct send_dlp_hit *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int send_dlp_scan(const char *text, size_t len, const char *pattern, struct send_dlp_report *out,
                  char *err, size_t errlen)
{
	int rc = WARY_OK;
	size_t before = out->n;

	scan_cards_ssn(text, len, out);
	scan_ibans(text, len, out);
	scan_keys(text, len, out);
	if (pattern != NULL && pattern[0] != '\0')
		rc = scan_pattern(text, len, pattern, out, err, errlen);
	if (out->n > before)
		qsort(out->v + before, out->n - before, sizeof(*out->v), cmp_hit);
	return rc;
}

void send_dlp_report_clear(struct send_dlp_report *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* where[i] for the hits [from, to): "body line 3", "attachment x line 2" */
static void push_where(char ***where, size_t from, size_t to, const char *what, const char *name,
                       const struct send_dlp_report *r)
{
	size_t i;

	if (where == NULL)
		return;
	*where = xreallocarray(*where, to ? to : 1, sizeof(**where));
	for (i = from; i < to; i++) {
		if (name)
			(*where)[i] = xasprintf("%s %s line %u", what, name, r->v[i].line);
		else if (strcmp(what, "subject") == 0)
			(*where)[i] = xstrdup(what);
		else
			(*where)[i] = xasprintf("%s line %u", what, r->v[i].line);
	}
}

int send_dlp_scan_draft(const struct send_draft *d, const char *pattern,
                        struct send_dlp_report *out, char ***where, char *err, size_t errlen)
{
	size_t i, n0;
	int rc;

	if (where)
		*where = NULL;
	n0 = out->n;
	if (d->subject) {
		rc = send_dlp_scan(d->subject, strlen(d->subject), pattern, out, err, errlen);
		if (rc != WARY_OK)
			return rc;
		push_where(where, n0, out->n, "subject", NULL, out);
	}
	n0 = out->n;
	if (d->body) {
		rc = send_dlp_scan(d->body, strlen(d->body), pattern, out, err, errlen);
		if (rc != WARY_OK)
			return rc;
		push_where(where, n0, out->n, "body", NULL, out);
	}
	for (i = 0; i < d->natt; i++) {
		const struct send_attach *a = &d->att[i];
		bool textlike = a->type && (str_istarts_with(a->type, "text/") ||
		                            str_istarts_with(a->type, "message/") ||
		                            strstr(a->type, "pem") || strstr(a->type, "pgp") ||
		                            strstr(a->type, "x-") );

		if (!textlike && memchr(a->data, '\0', a->len) == NULL)
			textlike = true; /* no NUL: text whatever the type says */
		if (!textlike)
			continue;
		n0 = out->n;
		rc = send_dlp_scan(a->data, a->len, pattern, out, err, errlen);
		if (rc != WARY_OK)
			return rc;
		push_where(where, n0, out->n, "attachment", a->name ? a->name : "(unnamed)",
		           out);
	}
	return WARY_OK;
}
