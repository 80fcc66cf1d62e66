/*
 * The GPGME context and small helpers the other files share.
 */
#include <ctype.h>
#include <locale.h>

#include "crypto/crypto_int.h"

int crypto_gpg_err(char *err, size_t errlen, int code, const char *what, gpgme_error_t e)
{
	char *safe = safe_str(gpgme_strerror(e), SAFE_LINE);
	int rc = err_set(err, errlen, code, "%s: %s", what, safe);

	free(safe);
	return rc;
}

void crypto_global_init(void)
{
	(void)gpgme_check_version(NULL);
}

int crypto_new(struct crypto **out, char *err, size_t errlen)
{
	struct crypto *c;
	gpgme_error_t e;

	*out = NULL;
	/* Idempotent and thread-safe after the first call; it also sets up
	 * GPGME's own locking. */
	if (gpgme_check_version("1.13.0") == NULL)
		return err_set(err, errlen, WARY_ERR, "GPGME is older than 1.13");
	e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (e)
		return crypto_gpg_err(err, errlen, WARY_ERR, "no usable gpg", e);
	c = xcalloc(1, sizeof(*c));
	e = gpgme_new(&c->ctx);
	if (e) {
		free(c);
		return crypto_gpg_err(err, errlen, WARY_ERR, "GPGME context", e);
	}
	e = gpgme_set_protocol(c->ctx, GPGME_PROTOCOL_OpenPGP);
	if (e) {
		gpgme_release(c->ctx);
		free(c);
		return crypto_gpg_err(err, errlen, WARY_ERR, "OpenPGP protocol", e);
	}
	crypto_ctx_reset(c);
	*out = c;
	return WARY_OK;
}

void crypto_free(struct crypto **c)
{
	if (c == NULL || *c == NULL)
		return;
	gpgme_release((*c)->ctx);
	free(*c);
	*c = NULL;
}

static gpgme_error_t no_passphrase(void *hook, const char *uid_hint, const char *info,
                                   int prev_bad, int fd)
{
	(void)hook;
	(void)uid_hint;
	(void)info;
	(void)prev_bad;
	(void)fd;
	return gpg_error(GPG_ERR_CANCELED);
}

void crypto_no_pinentry(struct crypto *c)
{
	/* loopback hands the question to us, and we decline it; a key the
	 * agent holds unlocked needs no question at all */
	if (gpgme_set_pinentry_mode(c->ctx, GPGME_PINENTRY_MODE_LOOPBACK) == 0)
		gpgme_set_passphrase_cb(c->ctx, no_passphrase, NULL);
}

void crypto_ctx_reset(struct crypto *c)
{
	gpgme_set_armor(c->ctx, 1);
	gpgme_set_textmode(c->ctx, 0);
	gpgme_signers_clear(c->ctx);
	gpgme_sig_notation_clear(c->ctx);
	gpgme_set_keylist_mode(c->ctx, GPGME_KEYLIST_MODE_LOCAL | GPGME_KEYLIST_MODE_VALIDATE);
	/* Never ask gpg to reach a key server or the web for a key. */
	(void)gpgme_set_ctx_flag(c->ctx, "auto-key-retrieve", "0");
}

gpgme_error_t crypto_data_mem(gpgme_data_t *d, const void *p, size_t len)
{
	if (p == NULL)
		return gpgme_data_new(d);
	return gpgme_data_new_from_mem(d, (const char *)p, len, 0);
}

void crypto_data_take(gpgme_data_t *d, struct buf *out)
{
	size_t n = 0;
	char *p;

	if (*d == NULL)
		return;
	p = gpgme_data_release_and_get_mem(*d, &n);
	*d = NULL;
	if (p != NULL) {
		buf_add(out, p, n);
		gpgme_free(p);
	}
}

enum crypto_validity crypto_validity_from(gpgme_validity_t v)
{
	switch (v) {
	case GPGME_VALIDITY_UNDEFINED: return CRYPTO_VALIDITY_UNDEFINED;
	case GPGME_VALIDITY_NEVER: return CRYPTO_VALIDITY_NEVER;
	case GPGME_VALIDITY_MARGINAL: return CRYPTO_VALIDITY_MARGINAL;
	case GPGME_VALIDITY_FULL: return CRYPTO_VALIDITY_FULL;
	case GPGME_VALIDITY_ULTIMATE: return CRYPTO_VALIDITY_ULTIMATE;
	case GPGME_VALIDITY_UNKNOWN:
	default: return CRYPTO_VALIDITY_UNKNOWN;
	}
}

const char *crypto_validity_name(enum crypto_validity v)
{
	static const char *const n[] = { "unknown", "undefined", "never", "marginal", "full",
	                                 "ultimate" };

	return (unsigned)v < ARRAY_SIZE(n) ? n[v] : "unknown";
}

void crypto_crlf(struct buf *out, const char *in, size_t len)
{
	buf_grow(out, len + len / 32 + 2);
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			buf_addch(out, '\r');
		buf_addch(out, in[i]);
	}
}

char *crypto_uid_address(const char *uid)
{
	const char *lt, *gt, *s = uid;
	char *a;

	if (uid == NULL)
		return xstrdup("");
	lt = strrchr(uid, '<');
	if (lt != NULL) {
		gt = strchr(lt, '>');
		if (gt == NULL)
			return xstrdup("");
		a = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	} else {
		while (*s == ' ')
			s++;
		if (strchr(s, '@') == NULL || strpbrk(s, " \t()\"") != NULL)
			return xstrdup("");
		a = xstrdup(s);
	}
	str_trim(a);
	if (strchr(a, '@') == NULL || strpbrk(a, " \t<>") != NULL) {
		free(a);
		return xstrdup("");
	}
	return str_lower(a);
}

void crypto_key_fill(struct crypto_key *out, gpgme_key_t k)
{
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	out->fpr = xstrdup(k->fpr ? k->fpr : (k->subkeys && k->subkeys->fpr ? k->subkeys->fpr : ""));
	for (gpgme_user_id_t u = k->uids; u; u = u->next)
		n++;
	out->uids = n ? xcalloc(n, sizeof(*out->uids)) : NULL;
	for (gpgme_user_id_t u = k->uids; u; u = u->next) {
		struct crypto_uid *cu = &out->uids[out->nuids++];
		char *addr = crypto_uid_address(u->uid);

		cu->uid = safe_str(u->uid ? u->uid : "", SAFE_LINE);
		cu->address = safe_str(addr, SAFE_LINE);
		free(addr);
		cu->validity = crypto_validity_from(u->validity);
		cu->revoked = u->revoked;
	}
	out->validity = out->nuids ? out->uids[0].validity : CRYPTO_VALIDITY_UNKNOWN;
	for (size_t i = 0; i < out->nuids; i++)
		if (!out->uids[i].revoked && out->uids[i].validity > out->validity)
			out->validity = out->uids[i].validity;
	out->can_sign = k->can_sign;
	out->can_encrypt = k->can_encrypt;
	out->secret = k->secret;
	out->revoked = k->revoked;
	out->expired = k->expired;
	out->disabled = k->disabled;
	out->invalid = k->invalid;
	if (k->subkeys) {
		char *algo = gpgme_pubkey_algo_string(k->subkeys);

		out->created = (time_t)k->subkeys->timestamp;
		out->expires = k->subkeys->expires > 0 ? (time_t)k->subkeys->expires : 0;
		str_copy(out->algo, algo ? algo : "?", sizeof(out->algo));
		gpgme_free(algo);
	}
}

void crypto_key_clear(struct crypto_key *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->nuids; i++) {
		free(k->uids[i].uid);
		free(k->uids[i].address);
	}
	free(k->uids);
	free(k->fpr);
	memset(k, 0, sizeof(*k));
}

void crypto_keys_free(struct crypto_key **v, size_t n)
{
	if (v == NULL || *v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		crypto_key_clear(&(*v)[i]);
	free(*v);
	*v = NULL;
}
