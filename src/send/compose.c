/*
 * send: a draft made into MIME.  Encoded only where needed: ASCII text
 * stays 7bit, UTF-8 text is quoted-printable (base64 when most of it is
 * not ASCII), header words are RFC 2047 encoded only when they are not
 * ASCII, file names RFC 2231.  What comes out parses back through mail/
 * to the same structure (tests/unit/test_send.c checks it).
 */
#include <ctype.h>
#include <idn2.h>
#include <magic.h>
#include <openssl/rand.h>

#include "mail/mail.h"
#include "send/send_int.h"

#define LINE_MAX_OUT 76      /* header folding target and QP line length */
#define EW_MAX 75            /* RFC 2047: an encoded word */
#define MAX_ADDRESSES 1000

void send_draft_init(struct send_draft *d)
{
	memset(d, 0, sizeof(*d));
}

static void attach_clear(struct send_attach *a)
{
	free(a->path);
	free(a->name);
	free(a->type);
	free(a->data);
	memset(a, 0, sizeof(*a));
}

void send_draft_clear(struct send_draft *d)
{
	size_t i;

	free(d->from);
	free(d->to);
	free(d->cc);
	free(d->bcc);
	free(d->subject);
	free(d->reply_to);
	free(d->in_reply_to);
	free(d->references);
	free(d->message_id);
	free(d->body);
	for (i = 0; i < d->natt; i++)
		attach_clear(&d->att[i]);
	free(d->att);
	for (i = 0; i < d->nextra; i++)
		free(d->extra[i]);
	free(d->extra);
	memset(d, 0, sizeof(*d));
}

void send_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void send_random_hex(char *out, size_t nbytes)
{
	unsigned char r[32];
	static const char hx[] = "0123456789abcdef";
	size_t i;

	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	if (RAND_bytes(r, (int)nbytes) != 1) {
		/* OpenSSL's generator does not fail once seeded; keep going with
		 * something unique enough for a boundary. */
		for (i = 0; i < nbytes; i++)
			r[i] = (unsigned char)(rand() ^ (int)time(NULL));
	}
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hx[r[i] >> 4];
		out[2 * i + 1] = hx[r[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

/* libmagic on the bytes; the name is not trusted (design 4.8). */
char *send_detect_type(const char *data, size_t len)
{
	magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS);
	const char *t = NULL;
	char *res = NULL;

	if (m != NULL && magic_load(m, NULL) == 0)
		t = magic_buffer(m, data, len);
	if (t != NULL && strchr(t, '/') != NULL && strchr(t, ' ') == NULL)
		res = xstrdup(t);
	if (m != NULL)
		magic_close(m);
	if (res == NULL)
		res = xstrdup("application/octet-stream");
	/* An empty file: libmagic says application/x-empty, not a MIME type. */
	if (strcmp(res, "application/x-empty") == 0 || strcmp(res, "inode/x-empty") == 0) {
		free(res);
		res = xstrdup("application/octet-stream");
	}
	return res;
}

void send_draft_attach_data(struct send_draft *d, const char *name, const char *type,
                            const char *data, size_t len)
{
	struct send_attach *a;

	d->att = xreallocarray(d->att, d->natt + 1, sizeof(*d->att));
	a = &d->att[d->natt++];
	memset(a, 0, sizeof(*a));
	a->name = xstrdup_null(name);
	a->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(a->data, data, len);
	a->data[len] = '\0';
	a->len = len;
	a->type = type ? xstrdup(type) : send_detect_type(data, len);
	a->inline_msg = str_casecmp(a->type, "message/rfc822") == 0;
}

int send_draft_attach_file(struct send_draft *d, const char *path, const char *type, char *err,
                           size_t errlen)
{
	struct buf b = BUF_INIT;
	const char *base = strrchr(path, '/');
	int rc;

	buf_init(&b);
	rc = fs_read_file(path, &b, SEND_MAX_ATTACH, err, errlen);
	if (rc == WARY_OK) {
		send_draft_attach_data(d, base ? base + 1 : path, type, b.data, b.len);
		d->att[d->natt - 1].path = xstrdup(path);
	}
	buf_release(&b);
	return rc;
}

void send_draft_detach(struct send_draft *d, size_t i)
{
	if (i >= d->natt)
		return;
	attach_clear(&d->att[i]);
	memmove(&d->att[i], &d->att[i + 1], (d->natt - i - 1) * sizeof(*d->att));
	d->natt--;
}

void send_draft_add_header(struct send_draft *d, const char *name, const char *value)
{
	d->extra = xreallocarray(d->extra, d->nextra + 1, sizeof(*d->extra));
	d->extra[d->nextra++] = xasprintf("%s: %s", name, value);
}

/* ------------------------------------------------------------ headers */

static bool is_ascii_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Length of the UTF-8 sequence starting at s (1 for a stray byte). */
static size_t u8len(const char *s, size_t n)
{
	uint32_t cp;
	size_t l = utf8_decode((const unsigned char *)s, n, &cp);

	return l ? l : 1;
}

/* Q encoding of [s, s+n) as encoded words, each at most EW_MAX, joined by
 * folding white space; phrase: the stricter set of RFC 2047 5(3). */
struct fold {
	struct buf *out;
	size_t col;
};

static void fold_add(struct fold *f, const char *tok, size_t n, bool space_before)
{
	if (space_before) {
		if (f->col + 1 + n > LINE_MAX_OUT && f->col > 1) {
			buf_adds(f->out, "\r\n ");
			f->col = 1;
		} else {
			buf_addch(f->out, ' ');
			f->col++;
		}
	}
	buf_add(f->out, tok, n);
	f->col += n;
}

static bool q_plain(unsigned char c, bool phrase)
{
	if (isalnum(c))
		return true;
	if (phrase)
		return c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
	return c > 0x20 && c < 0x7f && c != '=' && c != '?' && c != '_' && c != '"' && c != '(' &&
	       c != ')' && c != ',' && c != ':' && c != ';' && c != '<' && c != '>' && c != '@' &&
	       c != '\\' && c != '[' && c != ']' && c != '.';
}

static void encode_words(struct fold *f, const char *s, size_t n, bool phrase, bool space_before)
{
	static const char pre[] = "=?UTF-8?Q?", post[] = "?=";
	struct buf w = BUF_INIT;
	size_t i = 0;

	buf_init(&w);
	while (i < n) {
		size_t l = u8len(s + i, n - i), k, need = 0;
		char enc[16];

		/* an invalid byte would make the word invalid UTF-8: U+FFFD */
		uint32_t cp;
		bool bad = (unsigned char)s[i] >= 0x80 &&
		           utf8_decode((const unsigned char *)s + i, n - i, &cp) == 0;
		const char *src = bad ? "\xef\xbf\xbd" : s + i;
		size_t srcl = bad ? 3 : l;

		enc[0] = '\0';
		for (k = 0; k < srcl; k++) {
			unsigned char c = (unsigned char)src[k];
			size_t el = strlen(enc);

			if (c == ' ')
				snprintf(enc + el, sizeof(enc) - el, "_");
			else if (q_plain(c, phrase))
				snprintf(enc + el, sizeof(enc) - el, "%c", c);
			else
				snprintf(enc + el, sizeof(enc) - el, "=%02X", c);
		}
		need = strlen(enc);
		if (w.len > 0 && sizeof(pre) - 1 + w.len + need + sizeof(post) - 1 > EW_MAX) {
			buf_adds(&w, post);
			fold_add(f, w.data, w.len, space_before);
			space_before = true;
			buf_reset(&w);
		}
		if (w.len == 0)
			buf_adds(&w, pre);
		buf_adds(&w, enc);
		i += l;
	}
	if (w.len > 0) {
		buf_adds(&w, post);
		fold_add(f, w.data, w.len, space_before);
	}
	buf_release(&w);
}

static bool word_needs_encoding(const char *s, size_t n)
{
	return !is_ascii_printable(s, n) || n > 900 ||
	       (n >= 2 && memmem(s, n, "=?", 2) != NULL);
}

void send_encode_unstructured(struct buf *out, const char *value, size_t name_len)
{
	struct fold f = { out, name_len };
	struct buf clean = BUF_INIT;
	const char *p, *end;
	bool first = true;
	size_t i;

	buf_init(&clean);
	/* No line break may reach the header: it would start a new field. */
	for (i = 0; value[i] != '\0'; i++)
		buf_addch(&clean, value[i] == '\r' || value[i] == '\n' || value[i] == '\t' ? ' ' :
		                  value[i]);
	p = clean.data;
	end = clean.data + clean.len;
	while (p < end) {
		const char *ws = p, *we;
		bool enc;

		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		ws = p;
		while (p < end && *p != ' ')
			p++;
		we = p;
		enc = word_needs_encoding(ws, (size_t)(we - ws));
		if (enc) {
			/* take the following words that need encoding too into one
			 * run, spaces included (an encoded word's spaces are _) */
			const char *q = we;

			while (q < end) {
				const char *a = q, *b;

				while (a < end && *a == ' ')
					a++;
				b = a;
				while (b < end && *b != ' ')
					b++;
				if (a == b || !word_needs_encoding(a, (size_t)(b - a)))
					break;
				we = b;
				q = b;
			}
			p = we;
			encode_words(&f, ws, (size_t)(we - ws), false, !first);
		} else {
			fold_add(&f, ws, (size_t)(we - ws), !first);
		}
		first = false;
	}
	buf_release(&clean);
}

/* atext of RFC 5322 (plus '.' and space, which a phrase may hold as words) */
static bool phrase_plain(const char *s)
{
	const char *p;

	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (!(isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~ ", c) != NULL))
			return false;
	}
	return true;
}

/* Words of a phrase: atoms stay, runs of words that need encoding are
 * encoded together (their spaces inside the encoded word). */
static bool phrase_wordwise(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && s[j] != ' ')
			j++;
		if (j > i && !word_needs_encoding(s + i, j - i)) {
			char *w = xstrndup(s + i, j - i);
			bool ok = phrase_plain(w);

			free(w);
			if (!ok)
				return false;
		}
		i = j + 1;
	}
	return true;
}

static void add_display(struct fold *f, const char *display, bool space_before)
{
	size_t n = strlen(display);

	if (!is_ascii_printable(display, n) || memmem(display, n, "=?", 2) != NULL) {
		const char *p = display, *end = display + n;

		if (!phrase_wordwise(display, n) || strstr(display, "  ") || display[0] == ' ') {
			encode_words(f, display, n, true, space_before);
			return;
		}
		while (p < end) {
			const char *ws = p, *we = p;

			while (we < end && *we != ' ')
				we++;
			if (word_needs_encoding(ws, (size_t)(we - ws))) {
				const char *q = we;

				while (q < end) {
					const char *a = q + 1, *b = a;

					while (b < end && *b != ' ')
						b++;
					if (a >= end || !word_needs_encoding(a, (size_t)(b - a)))
						break;
					we = b;
					q = b;
				}
				encode_words(f, ws, (size_t)(we - ws), true, space_before);
			} else {
				fold_add(f, ws, (size_t)(we - ws), space_before);
			}
			space_before = true;
			p = we < end ? we + 1 : end;
		}
	} else if (phrase_plain(display)) {
		fold_add(f, display, n, space_before);
	} else {
		struct buf q = BUF_INIT;
		size_t i;

		buf_init(&q);
		buf_addch(&q, '"');
		for (i = 0; i < n; i++) {
			if (display[i] == '"' || display[i] == '\\')
				buf_addch(&q, '\\');
			buf_addch(&q, display[i]);
		}
		buf_addch(&q, '"');
		fold_add(f, q.data, q.len, space_before);
		buf_release(&q);
	}
}

/* Split a user's list at commas outside quotes and angle brackets. */
static size_t split_list(const char *list, char ***out)
{
	char **v = NULL;
	size_t n = 0;
	const char *p = list, *start = list;
	bool quoted = false;
	int angle = 0;

	for (;; p++) {
		if (*p == '\0' || (*p == ',' && !quoted && angle == 0)) {
			char *item = xstrndup(start, (size_t)(p - start));

			if (str_trim(item)[0] != '\0') {
				v = xreallocarray(v, n + 1, sizeof(*v));
				v[n++] = item;
			} else {
				free(item);
			}
			if (*p == '\0')
				break;
			start = p + 1;
		} else if (*p == '\\' && quoted && p[1] != '\0') {
			p++;
		} else if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted && *p == '<') {
			angle++;
		} else if (!quoted && *p == '>' && angle > 0) {
			angle--;
		}
	}
	*out = v;
	return n;
}

/* One mailbox as the user wrote it: display (raw UTF-8, unquoted) and
 * address.  Accepts "addr", "<addr>", "Name <addr>", "\"Name\" <addr>". */
static int parse_one(const char *item, char **display, char **address, char *err, size_t errlen)
{
	const char *lt = strrchr(item, '<'), *at;
	char *addr, *disp = NULL;
	size_t i;

	*display = *address = NULL;
	{
		/* "undisclosed-recipients:;", an empty group: a display, no address */
		size_t l = strlen(item);

		if (l >= 2 && item[l - 1] == ';' && strchr(item, ':') == item + strcspn(item, ":") &&
		    strchr(item, '@') == NULL && strchr(item, '<') == NULL && strchr(item, '"') == NULL) {
			const char *c = strchr(item, ':');
			char *rest = c ? xstrndup(c + 1, (size_t)(item + l - 1 - (c + 1))) : NULL;
			bool empty = rest && str_trim(rest)[0] == '\0';

			free(rest);
			if (c && c > item && empty) {
				*display = str_trim(xstrndup(item, (size_t)(c - item)));
				return WARY_OK;
			}
		}
	}
	if (lt != NULL) {
		const char *gt = strchr(lt, '>');

		if (gt == NULL)
			return err_set(err, errlen, WARY_EPARSE, "address \"%s\": no closing >", item);
		for (i = 1; gt[i]; i++)
			if (gt[i] != ' ')
				return err_set(err, errlen, WARY_EPARSE, "address \"%s\": text after >", item);
		addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		disp = str_trim(xstrndup(item, (size_t)(lt - item)));
		if (disp[0] == '"') {
			size_t dl = strlen(disp), j = 0;

			if (dl < 2 || disp[dl - 1] != '"') {
				free(addr);
				free(disp);
				return err_set(err, errlen, WARY_EPARSE, "address \"%s\": unbalanced quote",
				               item);
			}
			for (i = 1; i + 1 < dl; i++) {
				if (disp[i] == '\\' && i + 2 < dl)
					i++;
				disp[j++] = disp[i];
			}
			disp[j] = '\0';
		}
		if (disp[0] == '\0') {
			free(disp);
			disp = NULL;
		}
	} else {
		addr = xstrdup(item);
	}
	str_trim(addr);
	at = strrchr(addr, '@');
	for (i = 0; addr[i]; i++) {
		unsigned char c = (unsigned char)addr[i];

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == '"' ||
		    c == '(' || c == ')' || c == ';' || c == '\\')
			break;
	}
	if (addr[i] != '\0' || at == NULL || at == addr || at[1] == '\0' ||
	    strchr(at + 1, '[') != NULL || at[1] == '.' || addr[0] == '.') {
		int rc = err_set(err, errlen, WARY_EPARSE, "not an address: \"%s\"", item);

		free(addr);
		free(disp);
		return rc;
	}
	if (!is_ascii_printable(at + 1, strlen(at + 1))) {
		/* an IDN domain goes out as its A-label, which needs no SMTPUTF8
		 * (only a non-ASCII local part does) */
		char *alabel = NULL;
		int r = idn2_to_ascii_8z(at + 1, &alabel, IDN2_NONTRANSITIONAL);

		if (r != IDN2_OK) {
			int rc = err_set(err, errlen, WARY_EPARSE, "not a domain name in \"%s\": %s", item,
			                 idn2_strerror(r));

			free(addr);
			free(disp);
			return rc;
		}
		{
			char *n = xasprintf("%.*s@%s", (int)(at - addr), addr, alabel);

			free(addr);
			addr = n;
		}
		idn2_free(alabel);
	}
	/* A display name with a line break or control would break the field. */
	if (disp != NULL)
		for (i = 0; disp[i]; i++)
			if ((unsigned char)disp[i] < 0x20 || disp[i] == 0x7f)
				disp[i] = ' ';
	*display = disp;
	*address = addr;
	return WARY_OK;
}

int send_addresses(const char *list, char ***out, size_t *n, char *err, size_t errlen)
{
	char **items = NULL, **v = NULL;
	size_t ni, i, nv = 0;
	int rc = WARY_OK;

	*out = NULL;
	*n = 0;
	if (list == NULL)
		return WARY_OK;
	ni = split_list(list, &items);
	if (ni > MAX_ADDRESSES) {
		rc = err_set(err, errlen, WARY_ELIMIT, "over %d addresses", MAX_ADDRESSES);
		goto out;
	}
	for (i = 0; i < ni; i++) {
		char *d, *a;

		rc = parse_one(items[i], &d, &a, err, errlen);
		if (rc != WARY_OK)
			goto out;
		free(d);
		if (a == NULL)
			continue; /* an empty group */
		v = xreallocarray(v, nv + 1, sizeof(*v));
		v[nv++] = a;
	}
out:
	send_strv_free(items, ni);
	if (rc != WARY_OK) {
		send_strv_free(v, nv);
	} else {
		*out = v;
		*n = nv;
	}
	return rc;
}

int send_encode_addresses(struct buf *out, const char *list, size_t name_len, char *err,
                          size_t errlen)
{
	struct fold f = { out, name_len };
	char **items = NULL;
	size_t ni, i;
	int rc = WARY_OK;

	ni = split_list(list, &items);
	if (ni > MAX_ADDRESSES) {
		rc = err_set(err, errlen, WARY_ELIMIT, "over %d addresses", MAX_ADDRESSES);
		goto out;
	}
	for (i = 0; i < ni; i++) {
		char *d, *a, *br;

		rc = parse_one(items[i], &d, &a, err, errlen);
		if (rc != WARY_OK)
			goto out;
		if (d != NULL)
			add_display(&f, d, i > 0);
		if (a == NULL)
			br = xasprintf(":;%s", i + 1 < ni ? "," : "");
		else
			br = xasprintf(d != NULL ? "<%s>%s" : "%s%s", a, i + 1 < ni ? "," : "");
		if (a == NULL) {
			buf_adds(out, br); /* right after the group's name */
			f.col += strlen(br);
		} else {
			fold_add(&f, br, strlen(br), i > 0 || d != NULL);
		}
		free(br);
		free(d);
		free(a);
	}
out:
	send_strv_free(items, ni);
	return rc;
}

/* ------------------------------------------------------------- bodies */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void send_base64(struct buf *out, const char *data, size_t len)
{
	size_t i, col = 0;

	for (i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)data[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (unsigned char)data[i + 1] << 8;
		if (left > 2)
			v |= (unsigned char)data[i + 2];
		buf_addch(out, b64[(v >> 18) & 63]);
		buf_addch(out, b64[(v >> 12) & 63]);
		buf_addch(out, left > 1 ? b64[(v >> 6) & 63] : '=');
		buf_addch(out, left > 2 ? b64[v & 63] : '=');
		col += 4;
		if (col >= 76) {
			buf_adds(out, "\r\n");
			col = 0;
		}
	}
	if (col > 0)
		buf_adds(out, "\r\n");
}

/* Quoted-printable of text with LF (or CRLF) line ends: hard breaks as
 * CRLF, soft breaks under 76, trailing white space and "From " and a
 * lone "." encoded so that no relay mangles them. */
static void qp_encode(struct buf *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i <= len) {
		size_t j = i, col = 0;

		while (j < len && s[j] != '\n')
			j++;
		size_t e = j;

		if (e > i && s[e - 1] == '\r')
			e--;
		for (size_t k = i; k < e; k++) {
			unsigned char c = (unsigned char)s[k];
			char tok[4];
			size_t tl;
			bool last = k + 1 == e;

			if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
				tok[0] = (char)c;
				tl = 1;
			} else {
				snprintf(tok, sizeof(tok), "=%02X", c);
				tl = 3;
			}
			if (col == 0 && k == i && (c == '.' || (c == 'F' && e - k >= 5 &&
			                                        memcmp(s + k, "From ", 5) == 0))) {
				snprintf(tok, sizeof(tok), "=%02X", c);
				tl = 3;
			}
			if (col + tl > 75) {
				buf_adds(out, "=\r\n");
				col = 0;
			}
			buf_add(out, tok, tl);
			col += tl;
		}
		if (j >= len) {
			if (e > i)
				buf_adds(out, "\r\n");
			break;
		}
		buf_adds(out, "\r\n");
		i = j + 1;
	}
}

/* Text as CRLF lines, for 7bit. */
static void crlf_text(struct buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		if (s[i] == '\n' || s[i] == '\r')
			buf_adds(out, "\r\n");
		else
			buf_addch(out, s[i]);
	}
	if (len > 0 && s[len - 1] != '\n')
		buf_adds(out, "\r\n");
}

enum text_enc { ENC_7BIT, ENC_QP, ENC_B64 };

static enum text_enc choose_text_encoding(const char *s, size_t len)
{
	size_t i, high = 0, line = 0;
	bool needs = false;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			line = 0;
			continue;
		}
		if (++line > 998)
			needs = true;
		if (c >= 0x80)
			high++;
		else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			needs = true;
		else if (c == '\r' && !(i + 1 < len && s[i + 1] == '\n'))
			needs = true;
	}
	/* trailing white space on a line may be stripped by a relay */
	for (i = 0; i < len; i++)
		if ((s[i] == ' ' || s[i] == '\t') && (i + 1 == len || s[i + 1] == '\n' ||
		                                     s[i + 1] == '\r'))
			needs = true;
	if (high * 3 > len && len > 0)
		return ENC_B64;
	return high > 0 || needs ? ENC_QP : ENC_7BIT;
}

/* RFC 2231 parameter: name="value" when plain ASCII and short, else
 * name*0*=utf-8''...; continuations of at most ~60 characters. */
void send_param(struct buf *out, const char *name, const char *value)
{
	size_t n = strlen(value), i, piece = 0, col;
	bool plain = is_ascii_printable(value, n) && n < 60;

	for (i = 0; plain && i < n; i++)
		if (value[i] == '"' || value[i] == '\\')
			plain = false;
	if (plain) {
		buf_addf(out, ";\r\n\t%s=\"%s\"", name, value);
		return;
	}
	buf_addf(out, ";\r\n\t%s*0*=utf-8''", name);
	col = strlen(name) + 12;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];

		if (col > 66) {
			piece++;
			buf_addf(out, ";\r\n\t%s*%zu*=", name, piece);
			col = strlen(name) + 6;
		}
		if (isalnum(c) || strchr("!#$&+-.^_`|~", c) != NULL) {
			buf_addch(out, (char)c);
			col++;
		} else {
			buf_addf(out, "%%%02X", c);
			col += 3;
		}
	}
}

static void add_text_entity(struct buf *e, const char *text, size_t len)
{
	enum text_enc enc = choose_text_encoding(text, len);

	buf_adds(e, "Content-Type: text/plain; charset=utf-8\r\n");
	buf_adds(e, enc == ENC_7BIT ? "Content-Transfer-Encoding: 7bit\r\n" :
	            enc == ENC_QP ? "Content-Transfer-Encoding: quoted-printable\r\n" :
	                            "Content-Transfer-Encoding: base64\r\n");
	buf_adds(e, "\r\n");
	if (enc == ENC_7BIT)
		crlf_text(e, text, len);
	else if (enc == ENC_QP)
		qp_encode(e, text, len);
	else {
		struct buf c = BUF_INIT;

		buf_init(&c);
		crlf_text(&c, text, len);
		send_base64(e, c.data, c.len);
		buf_release(&c);
	}
}

/* A message/rfc822 part may not be encoded (RFC 2046 5.2.1): its bytes as
 * they are, CRLF lines; 8bit when any byte is. */
static bool add_message_entity(struct buf *e, const struct send_attach *a)
{
	bool eight = false;
	size_t i;

	for (i = 0; i < a->len; i++)
		if ((unsigned char)a->data[i] >= 0x80)
			eight = true;
	buf_adds(e, "Content-Type: message/rfc822");
	if (a->name)
		send_param(e, "name", a->name);
	buf_adds(e, "\r\nContent-Disposition: inline");
	if (a->name)
		send_param(e, "filename", a->name);
	buf_addf(e, "\r\nContent-Transfer-Encoding: %s\r\n\r\n", eight ? "8bit" : "7bit");
	crlf_text(e, a->data, a->len);
	return eight;
}

static void add_attach_entity(struct buf *e, const struct send_attach *a)
{
	const char *type = a->type ? a->type : "application/octet-stream";
	size_t i;

	buf_adds(e, "Content-Type: ");
	/* a type from the user or libmagic: only token characters */
	for (i = 0; type[i]; i++)
		if (isalnum((unsigned char)type[i]) || strchr("/.+-_", type[i]))
			buf_addch(e, type[i]);
	if (a->name)
		send_param(e, "name", a->name);
	buf_adds(e, "\r\nContent-Disposition: attachment");
	if (a->name)
		send_param(e, "filename", a->name);
	buf_adds(e, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	send_base64(e, a->data, a->len);
}

static bool boundary_free(const struct send_draft *d, const char *b)
{
	size_t i, bl = strlen(b);

	if (d->body && memmem(d->body, strlen(d->body), b, bl) != NULL)
		return false;
	for (i = 0; i < d->natt; i++)
		if (memmem(d->att[i].data, d->att[i].len, b, bl) != NULL)
			return false;
	return true;
}

int send_build_entity(const struct send_draft *d, const struct send_build_opts *o,
                      struct buf *entity, bool *eightbit, char *err, size_t errlen)
{
	const char *body = d->body ? d->body : "";
	char bnd[80];
	size_t i;

	(void)err;
	(void)errlen;
	if (eightbit)
		*eightbit = false;
	if (d->natt == 0) {
		add_text_entity(entity, body, strlen(body));
		return WARY_OK;
	}
	if (o != NULL && o->boundary != NULL) {
		str_copy(bnd, o->boundary, sizeof(bnd));
	} else {
		do {
			char hex[33];

			send_random_hex(hex, 12);
			snprintf(bnd, sizeof(bnd), "=_wary_%s", hex);
		} while (!boundary_free(d, bnd));
	}
	buf_addf(entity, "Content-Type: multipart/mixed;\r\n\tboundary=\"%s\"\r\n\r\n", bnd);
	buf_addf(entity, "This is a message in MIME format.\r\n\r\n--%s\r\n", bnd);
	add_text_entity(entity, body, strlen(body));
	for (i = 0; i < d->natt; i++) {
		buf_addf(entity, "\r\n--%s\r\n", bnd);
		if (d->att[i].inline_msg) {
			if (add_message_entity(entity, &d->att[i]) && eightbit)
				*eightbit = true;
		} else {
			add_attach_entity(entity, &d->att[i]);
		}
	}
	buf_addf(entity, "\r\n--%s--\r\n", bnd);
	return WARY_OK;
}

void send_format_date(time_t when, char *out, size_t outlen)
{
	static const char *wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;

	localtime_r(&when, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(out, outlen, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld", wd[tm.tm_wday % 7],
	         tm.tm_mday, mo[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

static char *address_domain(const char *from)
{
	char **v = NULL;
	size_t n = 0;
	char *res = NULL, e[64];

	if (from && send_addresses(from, &v, &n, e, sizeof(e)) == WARY_OK && n > 0) {
		const char *at = strrchr(v[0], '@');

		if (at)
			res = xstrdup(at + 1);
	}
	send_strv_free(v, n);
	return res;
}

/* Raw ids as written by a server or a user: only what a msg-id may hold. */
static void add_ids(struct buf *out, const char *name, const char *ids)
{
	struct fold f = { out, strlen(name) + 2 };
	const char *p = ids;
	bool first = true;

	buf_addf(out, "%s:", name);
	while ((p = strchr(p, '<')) != NULL) {
		const char *q = strchr(p, '>');
		size_t i;
		bool ok = true;

		if (q == NULL)
			break;
		for (i = 1; p + i < q; i++)
			if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f || p[i] == '<')
				ok = false;
		if (ok && q - p > 2) {
			fold_add(&f, p, (size_t)(q - p + 1), true);
			first = false;
		}
		p = q + 1;
	}
	(void)first;
	buf_adds(out, "\r\n");
}

static bool header_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 76)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == ':')
			return false;
	return true;
}

int send_build_headers(struct send_draft *d, const struct send_build_opts *o, struct buf *out,
                       char *err, size_t errlen)
{
	char date[64];
	size_t i;
	int rc;

	if (d->from == NULL || d->from[0] == '\0')
		return err_set(err, errlen, WARY_ERR, "no From address (set from in the config)");
	if ((d->to == NULL || d->to[0] == '\0') && (d->cc == NULL || d->cc[0] == '\0') &&
	    (d->bcc == NULL || d->bcc[0] == '\0'))
		return err_set(err, errlen, WARY_ERR, "no recipients");
	send_format_date(o && o->date ? o->date : time(NULL), date, sizeof(date));
	buf_addf(out, "Date: %s\r\n", date);
	buf_adds(out, "From: ");
	rc = send_encode_addresses(out, d->from, 6, err, errlen);
	if (rc != WARY_OK)
		return rc;
	buf_adds(out, "\r\n");
	if (d->to && d->to[0]) {
		buf_adds(out, "To: ");
		if ((rc = send_encode_addresses(out, d->to, 4, err, errlen)) != WARY_OK)
			return rc;
		buf_adds(out, "\r\n");
	}
	if (d->cc && d->cc[0]) {
		buf_adds(out, "Cc: ");
		if ((rc = send_encode_addresses(out, d->cc, 4, err, errlen)) != WARY_OK)
			return rc;
		buf_adds(out, "\r\n");
	}
	if (d->bcc && d->bcc[0]) {
		/* kept in the outbox and Sent copies; cut from what is submitted */
		buf_adds(out, "Bcc: ");
		if ((rc = send_encode_addresses(out, d->bcc, 5, err, errlen)) != WARY_OK)
			return rc;
		buf_adds(out, "\r\n");
	}
	if (d->reply_to && d->reply_to[0]) {
		buf_adds(out, "Reply-To: ");
		if ((rc = send_encode_addresses(out, d->reply_to, 10, err, errlen)) != WARY_OK)
			return rc;
		buf_adds(out, "\r\n");
	}
	buf_adds(out, "Subject: ");
	send_encode_unstructured(out, d->subject ? d->subject : "", 9);
	buf_adds(out, "\r\n");
	if (d->message_id == NULL) {
		char hex[33], *dom = o && o->msgid_host ? xstrdup(o->msgid_host) : address_domain(d->from);

		send_random_hex(hex, 12);
		d->message_id = xasprintf("<%lx.%s@%s>", (unsigned long)time(NULL), hex,
		                          dom ? dom : "wary.invalid");
		free(dom);
	}
	add_ids(out, "Message-ID", d->message_id);
	if (d->in_reply_to && strchr(d->in_reply_to, '<'))
		add_ids(out, "In-Reply-To", d->in_reply_to);
	if (d->references && strchr(d->references, '<'))
		add_ids(out, "References", d->references);
	for (i = 0; i < d->nextra; i++) {
		const char *c = strchr(d->extra[i], ':');

		if (c == NULL || !header_name_ok(d->extra[i], (size_t)(c - d->extra[i])))
			return err_set(err, errlen, WARY_EPARSE, "bad header field \"%.40s\"", d->extra[i]);
		buf_add(out, d->extra[i], (size_t)(c - d->extra[i]) + 1);
		buf_addch(out, ' ');
		while (*++c == ' ')
			;
		send_encode_unstructured(out, c, (size_t)(c - d->extra[i]));
		buf_adds(out, "\r\n");
	}
	buf_adds(out, "MIME-Version: 1.0\r\n");
	return WARY_OK;
}

int send_build(struct send_draft *d, const struct send_build_opts *o, struct buf *out, char *err,
               size_t errlen)
{
	int rc = send_build_headers(d, o, out, err, errlen);

	if (rc == WARY_OK)
		rc = send_build_entity(d, o, out, NULL, err, errlen);
	return rc;
}
