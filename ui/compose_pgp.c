/*
 * OpenPGP around the compose view: drafts encrypted to the user's own key
 * (encrypt_drafts), and the key picker for a recipient with several
 * valid keys.  An encrypted draft is a PGP/MIME message whose decrypted
 * entity holds the draft's edit text in base64 (so its bytes come back
 * exactly); the file never holds the text in the clear, and is written
 * through a 0600 temp file renamed over it.
 */
#include <strings.h>

#include "crypto/crypto.h"
#include "mail/mail.h"
#include "ui/app_int.h"
#include "ui/compose.h"

#define DRAFT_MAGIC "X-Wary-Draft: encrypted\r\n"

static void b64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		             (i + 2 < n ? p[i + 2] : 0);
		char q[4] = { t[v >> 18 & 63], t[v >> 12 & 63], i + 1 < n ? t[v >> 6 & 63] : '=',
		              i + 2 < n ? t[v & 63] : '=' };

		buf_add(out, q, 4);
		if ((col += 4) >= 76) {
			buf_adds(out, "\r\n");
			col = 0;
		}
	}
	buf_adds(out, "\r\n");
}

static void wipe(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap ? b->cap : b->len);
	buf_release(b);
}

int compose_draft_store(const char *path, const char *text, size_t len, const char *own,
                        char *err, size_t errlen)
{
	struct crypto *c = NULL;
	struct buf ent = BUF_INIT, out = BUF_INIT, file = BUF_INIT;
	const char *rcpt[1] = { own };
	int rc;

	if (own == NULL || *own == '\0')
		return fs_write_atomic(path, text, len, 0600, err, errlen);
	buf_init(&ent);
	buf_init(&out);
	buf_init(&file);
	buf_adds(&ent, "Content-Type: text/plain; charset=utf-8\r\n"
	               "Content-Transfer-Encoding: base64\r\n\r\n");
	b64(&ent, (const unsigned char *)text, len);
	rc = crypto_new(&c, err, errlen);
	if (rc == WARY_OK)
		rc = crypto_encrypt_entity(c, rcpt, 1, NULL, ent.data, ent.len, &out, err, errlen);
	if (rc == WARY_OK) {
		buf_adds(&file, DRAFT_MAGIC "Subject: draft\r\nMIME-Version: 1.0\r\n");
		buf_add(&file, out.data, out.len);
		/* nothing is written when encryption fails: no clear copy */
		rc = fs_write_atomic(path, file.data, file.len, 0600, err, errlen);
	}
	crypto_free(&c);
	wipe(&ent);
	buf_release(&out);
	buf_release(&file);
	return rc;
}

static bool is_encrypted(const char *data, size_t len)
{
	return len >= strlen(DRAFT_MAGIC) && memcmp(data, DRAFT_MAGIC, strlen(DRAFT_MAGIC)) == 0;
}

static int decrypt_bytes(const char *data, size_t len, struct buf *text, char *err,
                         size_t errlen)
{
	struct crypto *c = NULL;
	struct crypto_result *r = NULL;
	struct mail_msg *m = NULL, *pm = NULL;
	int rc;

	rc = mail_parse(data, len, &m, err, errlen);
	if (rc == WARY_OK)
		rc = crypto_new(&c, err, errlen);
	if (rc == WARY_OK) {
		crypto_no_pinentry(c);
		rc = crypto_analyze(c, m, &r, err, errlen);
	}
	if (rc == WARY_OK && (r->plain == NULL || r->encrypted_scope != CRYPTO_SCOPE_WHOLE))
		rc = err_set(err, errlen, WARY_ERR, "the encrypted draft could not be decrypted: %s",
		             r->error ? r->error : "no plaintext");
	if (rc == WARY_OK)
		rc = mail_parse(r->plain, r->plainlen, &pm, err, errlen);
	if (rc == WARY_OK)
		rc = mail_part_decode(mail_root(pm), text, err, errlen);
	if (r && r->plain)
		explicit_bzero(r->plain, r->plainlen);
	crypto_result_free(&r);
	mail_free(&pm);
	mail_free(&m);
	crypto_free(&c);
	return rc;
}

int compose_draft_load(const char *path, struct buf *text, char *err, size_t errlen)
{
	struct buf f = BUF_INIT;
	int rc;

	buf_init(&f);
	rc = fs_read_file(path, &f, 64u * 1024 * 1024, err, errlen);
	if (rc == WARY_OK && is_encrypted(f.data, f.len))
		rc = decrypt_bytes(f.data, f.len, text, err, errlen);
	else if (rc == WARY_OK)
		buf_add(text, f.data, f.len);
	buf_release(&f);
	return rc;
}

int compose_draft_open_attachments(struct send_draft *d, char *err, size_t errlen)
{
	for (size_t i = 0; i < d->natt; i++) {
		struct send_attach *at = &d->att[i];
		struct buf t = BUF_INIT;
		int rc;

		if (at->data == NULL || !is_encrypted(at->data, at->len))
			continue;
		buf_init(&t);
		rc = decrypt_bytes(at->data, at->len, &t, err, errlen);
		if (rc != WARY_OK) {
			buf_release(&t);
			return rc;
		}
		free(at->data);
		at->data = xmalloc(t.len + 1);
		memcpy(at->data, t.data, t.len);
		at->data[t.len] = '\0';
		at->len = t.len;
		explicit_bzero(t.data, t.cap);
		buf_release(&t);
	}
	return WARY_OK;
}

/* ------------------------------------------------------------ key picker */

struct keypick {
	char **addr, **fpr; /* the choices made for this message */
	size_t n;
	/* the recipient being asked about, and its candidates */
	char *asking;
	struct crypto_key *keys;
	size_t nkeys;
};

struct keypick *keypick_new(void)
{
	return xcalloc(1, sizeof(struct keypick));
}

static void clear_asking(struct keypick *kp)
{
	free(kp->asking);
	kp->asking = NULL;
	crypto_keys_free(&kp->keys, kp->nkeys);
	kp->nkeys = 0;
}

void keypick_reset(struct keypick *kp)
{
	if (kp == NULL)
		return;
	clear_asking(kp);
	send_strv_free(kp->addr, kp->n);
	send_strv_free(kp->fpr, kp->n);
	kp->addr = kp->fpr = NULL;
	kp->n = 0;
}

void keypick_free(struct keypick **kp)
{
	if (*kp == NULL)
		return;
	keypick_reset(*kp);
	free(*kp);
	*kp = NULL;
}

static const char *chosen(const struct keypick *kp, const char *addr)
{
	for (size_t i = 0; i < kp->n; i++)
		if (strcasecmp(kp->addr[i], addr) == 0)
			return kp->fpr[i];
	return NULL;
}

int keypick_check(struct keypick *kp, const struct send_draft *d, char *err, size_t errlen)
{
	const char *lists[] = { d->to, d->cc, d->bcc };
	struct crypto *c = NULL;
	int rc;

	clear_asking(kp);
	rc = crypto_new(&c, err, errlen);
	for (size_t k = 0; k < 3 && rc == WARY_OK; k++) {
		char **v = NULL;
		size_t n = 0;

		rc = send_addresses(lists[k], &v, &n, err, errlen);
		for (size_t i = 0; i < n && rc == WARY_OK; i++) {
			struct crypto_key *keys = NULL;
			size_t nk = 0;

			if (chosen(kp, v[i]))
				continue;
			rc = crypto_keys_for(c, v[i], false, true, &keys, &nk, err, errlen);
			if (rc != WARY_OK)
				break;
			if (nk == 0) {
				char *s = safe_str(v[i], SAFE_LINE);

				rc = err_set(err, errlen, WARY_ENOENT,
				             "no usable OpenPGP key for %s: not encrypted, not sent", s);
				free(s);
			} else if (nk > 1) {
				kp->asking = xstrdup(v[i]);
				kp->keys = keys;
				kp->nkeys = nk;
				keys = NULL;
				nk = 0;
				rc = WARY_ELIMIT; /* a choice is needed */
			}
			crypto_keys_free(&keys, nk);
		}
		send_strv_free(v, n);
	}
	crypto_free(&c);
	return rc;
}

size_t keypick_count(const struct keypick *kp)
{
	return kp->asking ? kp->nkeys : 0;
}

bool keypick_choose(struct keypick *kp, size_t i)
{
	if (kp->asking == NULL || i >= kp->nkeys)
		return false;
	kp->addr = xreallocarray(kp->addr, kp->n + 1, sizeof(*kp->addr));
	kp->fpr = xreallocarray(kp->fpr, kp->n + 1, sizeof(*kp->fpr));
	kp->addr[kp->n] = xstrdup(kp->asking);
	kp->fpr[kp->n] = xstrdup(kp->keys[i].fpr);
	kp->n++;
	clear_asking(kp);
	return true;
}

void keypick_cancel(struct keypick *kp)
{
	clear_asking(kp);
}

void keypick_arg(const struct keypick *kp, struct buf *out)
{
	for (size_t i = 0; i < kp->n; i++)
		buf_addf(out, "\n%s=%s", kp->addr[i], kp->fpr[i]);
}

static void put(struct app *a, int y, int x, const char *text, int attr)
{
	char *s = safe_str(text, SAFE_LINE);

	app_put_padded(y, x, s, COLS - x, attr);
	free(s);
}

int keypick_draw(const struct keypick *kp, struct app *a, int y, int rows)
{
	char line[600];

	if (kp->asking == NULL)
		return y;
	snprintf(line, sizeof(line), "%s has %zu valid OpenPGP keys; choose the one to encrypt to:",
	         kp->asking, kp->nkeys);
	put(a, y++, 0, line, a->attr[TH_CHROME_WARN]);
	for (size_t i = 0; i < kp->nkeys && i < 9 && y < rows; i++) {
		const struct crypto_key *k = &kp->keys[i];
		char day[16] = "?";
		struct tm tm;

		if (k->created > 0 && gmtime_r(&k->created, &tm))
			strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		snprintf(line, sizeof(line), "%zu) %s  %s  created %s  validity %s", i + 1, k->fpr,
		         k->algo, day, crypto_validity_name(k->validity));
		put(a, y++, 2, line, a->attr[TH_NORMAL]);
		for (size_t u = 0; u < k->nuids && u < 4 && y < rows; u++) {
			snprintf(line, sizeof(line), "uid [%s]%s %s",
			         crypto_validity_name(k->uids[u].validity),
			         k->uids[u].revoked ? " (revoked)" : "", k->uids[u].uid);
			put(a, y++, 7, line, a->attr[TH_NORMAL]);
		}
	}
	if (kp->nkeys > 9 && y < rows)
		put(a, y++, 2, "(more than 9 keys: only the first 9 are offered)", a->attr[TH_NORMAL]);
	return y;
}
