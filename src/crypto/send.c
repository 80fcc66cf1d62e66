/*
 * Sending: a MIME entity signed or encrypted as PGP/MIME (RFC 3156).
 */
#include <ctype.h>
#include <fcntl.h>
#include <unistd.h>

#include "crypto/crypto_int.h"

/* A boundary that the content does not contain. */
static void make_boundary(char *b, size_t blen, const struct buf *content)
{
	static const char hex[] = "0123456789abcdef";

	for (int attempt = 0;; attempt++) {
		unsigned char r[16];
		size_t n = 0;
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			ssize_t got = read(fd, r, sizeof(r));

			n = got > 0 ? (size_t)got : 0;
			close(fd);
		}
		for (size_t i = n; i < sizeof(r); i++) {
			/* no /dev/urandom: the clock and the content's size still
			 * make a boundary the content almost surely lacks */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			r[i] = (unsigned char)((unsigned long)ts.tv_nsec >> (i % 8) ^ content->len ^
			                       (unsigned)attempt * 131u ^ i * 17u);
		}
		{
			struct buf s = BUF_INIT;

			buf_adds(&s, "=-wary-");
			for (size_t i = 0; i < sizeof(r); i++) {
				buf_addch(&s, hex[r[i] >> 4]);
				buf_addch(&s, hex[r[i] & 15]);
			}
			str_copy(b, s.data, blen);
			buf_release(&s);
		}
		if (memmem(content->data, content->len, b, strlen(b)) == NULL || attempt > 8)
			return;
	}
}

static int add_signer(struct crypto *c, const char *signer, char *err, size_t errlen)
{
	gpgme_key_t k;
	gpgme_error_t e;
	int rc = crypto_pick_key(c, signer, true, &k, err, errlen);

	if (rc != WARY_OK)
		return rc;
	e = gpgme_signers_add(c->ctx, k);
	gpgme_key_unref(k);
	if (e)
		return crypto_gpg_err(err, errlen, WARY_ERR, "signing key", e);
	return WARY_OK;
}

/* The armoured output with CRLF line ends. */
static void add_armour(struct buf *out, const struct buf *armour)
{
	struct buf t = BUF_INIT;
	size_t n;

	crypto_crlf(&t, armour->data, armour->len);
	n = t.len;
	while (n >= 2 && t.data[n - 2] == '\r' && t.data[n - 1] == '\n')
		n -= 2;
	buf_add(out, t.data, n);
	buf_release(&t);
}

int crypto_sign_entity(struct crypto *c, const char *signer, const char *entity, size_t len,
                       struct buf *out, char *err, size_t errlen)
{
	struct buf canon = BUF_INIT, sig = BUF_INIT;
	gpgme_data_t in = NULL, d_sig = NULL;
	gpgme_error_t e;
	gpgme_sign_result_t sr;
	char boundary[64], micalg[32] = "pgp-sha256";
	int rc;

	if (signer == NULL || signer[0] == '\0')
		return err_set(err, errlen, WARY_ENOENT, "no signing key set (signing_key)");
	crypto_ctx_reset(c);
	rc = add_signer(c, signer, err, errlen);
	if (rc != WARY_OK)
		goto out;
	/* The signature covers the entity with CRLF line ends, exactly as a
	 * reader will canonicalise it (RFC 3156 section 5). */
	crypto_crlf(&canon, entity, len);
	e = crypto_data_mem(&in, canon.data, canon.len);
	if (!e)
		e = gpgme_data_new(&d_sig);
	if (!e)
		e = gpgme_op_sign(c->ctx, in, d_sig, GPGME_SIG_MODE_DETACH);
	if (e) {
		rc = crypto_gpg_err(err, errlen, WARY_ERR, "signing", e);
		goto out;
	}
	sr = gpgme_op_sign_result(c->ctx);
	if (sr == NULL || sr->signatures == NULL || sr->invalid_signers != NULL) {
		rc = err_set(err, errlen, WARY_ERR, "signing: gpg made no signature");
		goto out;
	}
	{
		const char *h = gpgme_hash_algo_name(sr->signatures->hash_algo);

		if (h != NULL) {
			struct buf m = BUF_INIT;

			buf_addf(&m, "pgp-%s", h);
			str_lower(m.data);
			str_copy(micalg, m.data, sizeof(micalg));
			buf_release(&m);
		}
	}
	crypto_data_take(&d_sig, &sig);
	make_boundary(boundary, sizeof(boundary), &canon);
	buf_addf(out,
	         "Content-Type: multipart/signed; micalg=%s;\r\n"
	         " protocol=\"application/pgp-signature\";\r\n"
	         " boundary=\"%s\"\r\n"
	         "\r\n"
	         "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
	         "--%s\r\n",
	         micalg, boundary, boundary);
	buf_add(out, canon.data, canon.len);
	buf_addf(out,
	         "\r\n--%s\r\n"
	         "Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
	         "Content-Description: OpenPGP digital signature\r\n"
	         "Content-Disposition: attachment; filename=\"signature.asc\"\r\n"
	         "\r\n",
	         boundary);
	add_armour(out, &sig);
	buf_addf(out, "\r\n--%s--\r\n", boundary);
	rc = WARY_OK;
out:
	if (in)
		gpgme_data_release(in);
	if (d_sig)
		gpgme_data_release(d_sig);
	buf_release(&canon);
	buf_release(&sig);
	crypto_ctx_reset(c);
	return rc;
}

/* The one secret key here that can encrypt, when there is exactly one. */
static gpgme_key_t only_own_key(struct crypto *c)
{
	gpgme_key_t k, found = NULL;
	size_t n = 0;

	crypto_ctx_reset(c);
	if (gpgme_op_keylist_start(c->ctx, NULL, 1) != 0)
		return NULL;
	while (gpgme_op_keylist_next(c->ctx, &k) == 0) {
		if (!k->revoked && !k->expired && !k->disabled && !k->invalid && k->can_encrypt) {
			n++;
			if (found)
				gpgme_key_unref(found);
			found = k;
		} else {
			gpgme_key_unref(k);
		}
	}
	gpgme_op_keylist_end(c->ctx);
	if (n != 1 && found) {
		gpgme_key_unref(found);
		found = NULL;
	}
	if (found) {
		/* the public half, with validity, is what encryption needs */
		gpgme_key_t pub = NULL;

		if (gpgme_get_key(c->ctx, found->fpr, &pub, 0) != 0)
			pub = NULL;
		gpgme_key_unref(found);
		found = pub;
	}
	return found;
}

int crypto_encrypt_entity(struct crypto *c, const char *const *recipients, size_t n,
                          const char *signer, const char *entity, size_t len, struct buf *out,
                          char *err, size_t errlen)
{
	gpgme_key_t *keys = NULL, own = NULL;
	size_t nk = 0;
	struct buf canon = BUF_INIT, cipher = BUF_INIT;
	gpgme_data_t in = NULL, d_out = NULL;
	gpgme_error_t e;
	char boundary[64];
	int rc = WARY_OK;

	if (n == 0)
		return err_set(err, errlen, WARY_EPARSE, "no recipients to encrypt to");
	crypto_ctx_reset(c);
	keys = xcalloc(n + 2, sizeof(*keys));
	for (size_t i = 0; i < n; i++) {
		rc = crypto_pick_key(c, recipients[i], false, &keys[nk], err, errlen);
		if (rc != WARY_OK)
			goto out;
		nk++;
	}
	if (signer != NULL && signer[0]) {
		rc = crypto_pick_key(c, signer, false, &own, err, errlen);
		if (rc != WARY_OK)
			goto out;
	} else {
		own = only_own_key(c);
	}
	if (own != NULL) {
		keys[nk++] = own;
		own = NULL;
	}
	crypto_ctx_reset(c);
	if (signer != NULL && signer[0]) {
		rc = add_signer(c, signer, err, errlen);
		if (rc != WARY_OK)
			goto out;
	}
	crypto_crlf(&canon, entity, len);
	e = crypto_data_mem(&in, canon.data, canon.len);
	if (!e)
		e = gpgme_data_new(&d_out);
	if (!e)
		e = signer && signer[0] ? gpgme_op_encrypt_sign(c->ctx, keys, 0, in, d_out)
		                        : gpgme_op_encrypt(c->ctx, keys, 0, in, d_out);
	if (e) {
		gpgme_encrypt_result_t er = gpgme_op_encrypt_result(c->ctx);

		if (er != NULL && er->invalid_recipients != NULL) {
			char *f = safe_str(er->invalid_recipients->fpr ? er->invalid_recipients->fpr : "?",
			                   SAFE_LINE);

			rc = err_set(err, errlen, WARY_ENOENT, "key %s is not usable for encryption (%s)",
			             f, gpgme_strerror(er->invalid_recipients->reason));
			free(f);
		} else {
			rc = crypto_gpg_err(err, errlen, WARY_ERR, "encryption", e);
		}
		goto out;
	}
	crypto_data_take(&d_out, &cipher);
	make_boundary(boundary, sizeof(boundary), &cipher);
	buf_addf(out,
	         "Content-Type: multipart/encrypted;\r\n"
	         " protocol=\"application/pgp-encrypted\";\r\n"
	         " boundary=\"%s\"\r\n"
	         "\r\n"
	         "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
	         "--%s\r\n"
	         "Content-Type: application/pgp-encrypted\r\n"
	         "Content-Description: PGP/MIME version identification\r\n"
	         "\r\n"
	         "Version: 1\r\n"
	         "\r\n"
	         "--%s\r\n"
	         "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
	         "Content-Description: OpenPGP encrypted message\r\n"
	         "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n"
	         "\r\n",
	         boundary, boundary, boundary);
	add_armour(out, &cipher);
	buf_addf(out, "\r\n--%s--\r\n", boundary);
	rc = WARY_OK;
out:
	for (size_t i = 0; i < nk; i++)
		gpgme_key_unref(keys[i]);
	free(keys);
	if (own)
		gpgme_key_unref(own);
	if (in)
		gpgme_data_release(in);
	if (d_out)
		gpgme_data_release(d_out);
	if (canon.data)
		explicit_bzero(canon.data, canon.len);
	buf_release(&canon);
	buf_release(&cipher);
	crypto_ctx_reset(c);
	return rc;
}
