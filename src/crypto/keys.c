/*
 * Keys: the ones an address has, one picked for a recipient or signer,
 * a key's details, imports.
 */
#include <ctype.h>

#include "crypto/crypto_int.h"

/* An address fit to hand GPGME as a pattern: no spaces, no controls. */
static bool address_ok(const char *a)
{
	size_t n = strlen(a);

	if (n == 0 || n > 254 || strchr(a, '@') == NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

/* 8, 16 or 40 hex digits, with an optional 0x. */
static bool looks_like_keyid(const char *s)
{
	size_t n;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n != 8 && n != 16 && n != 40 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool uid_names(gpgme_user_id_t u, const char *address)
{
	char *a = crypto_uid_address(u->uid);
	bool same = a[0] && str_casecmp(a, address) == 0;

	free(a);
	return same;
}

static bool key_usable(gpgme_key_t k, bool secret, const char *address)
{
	if (k->revoked || k->expired || k->disabled || k->invalid)
		return false;
	if (secret ? !k->can_sign : !k->can_encrypt)
		return false;
	if (secret)
		return true;
	for (gpgme_user_id_t u = k->uids; u; u = u->next)
		if (!u->revoked && !u->invalid && (address == NULL || uid_names(u, address)) &&
		    u->validity >= GPGME_VALIDITY_MARGINAL)
			return true;
	return false;
}

/* Keys with a UID of exactly this address, GPGME key references in v. */
static int list_for(struct crypto *c, const char *address, bool secret, bool usable,
                    gpgme_key_t **v, size_t *n, char *err, size_t errlen)
{
	char *pattern;
	gpgme_error_t e;
	gpgme_key_t k;

	*v = NULL;
	*n = 0;
	if (!address_ok(address))
		return err_set(err, errlen, WARY_EPARSE, "not an address a key can be looked up by");
	crypto_ctx_reset(c);
	/* "<addr>" asks gpg for an exact match of the mail address. */
	pattern = xasprintf("<%s>", address);
	e = gpgme_op_keylist_start(c->ctx, pattern, secret ? 1 : 0);
	free(pattern);
	if (e)
		return crypto_gpg_err(err, errlen, WARY_ERR, "key listing", e);
	while ((e = gpgme_op_keylist_next(c->ctx, &k)) == 0) {
		bool match = false;

		for (gpgme_user_id_t u = k->uids; u; u = u->next)
			if (uid_names(u, address))
				match = true;
		if (!match || (usable && !key_usable(k, secret, address))) {
			gpgme_key_unref(k);
			continue;
		}
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = k;
	}
	gpgme_op_keylist_end(c->ctx);
	if (gpg_err_code(e) != GPG_ERR_EOF) {
		for (size_t i = 0; i < *n; i++)
			gpgme_key_unref((*v)[i]);
		free(*v);
		*v = NULL;
		*n = 0;
		return crypto_gpg_err(err, errlen, WARY_ERR, "key listing", e);
	}
	return WARY_OK;
}

int crypto_keys_for(struct crypto *c, const char *address, bool secret, bool usable,
                    struct crypto_key **out, size_t *n, char *err, size_t errlen)
{
	gpgme_key_t *v;
	size_t nv;
	int rc;

	*out = NULL;
	*n = 0;
	rc = list_for(c, address, secret, usable, &v, &nv, err, errlen);
	if (rc != WARY_OK)
		return rc;
	if (nv)
		*out = xcalloc(nv, sizeof(**out));
	for (size_t i = 0; i < nv; i++) {
		crypto_key_fill(&(*out)[i], v[i]);
		gpgme_key_unref(v[i]);
	}
	*n = nv;
	free(v);
	return WARY_OK;
}

int crypto_key_get(struct crypto *c, const char *fpr, struct crypto_key *out, char *err,
                   size_t errlen)
{
	gpgme_key_t k = NULL;
	gpgme_error_t e;

	memset(out, 0, sizeof(*out));
	if (!looks_like_keyid(fpr))
		return err_set(err, errlen, WARY_EPARSE, "not a fingerprint or key ID");
	crypto_ctx_reset(c);
	e = gpgme_get_key(c->ctx, fpr, &k, 0);
	if (gpg_err_code(e) == GPG_ERR_EOF || (e == 0 && k == NULL))
		return err_set(err, errlen, WARY_ENOENT, "no key %s in the keyring", fpr);
	if (e)
		return crypto_gpg_err(err, errlen, WARY_ERR, "key lookup", e);
	crypto_key_fill(out, k);
	{
		gpgme_key_t s = NULL;

		if (gpgme_get_key(c->ctx, fpr, &s, 1) == 0 && s != NULL) {
			out->secret = true;
			gpgme_key_unref(s);
		}
	}
	gpgme_key_unref(k);
	return WARY_OK;
}

static void add_date(struct buf *out, const char *label, time_t t)
{
	struct tm tm;
	char d[32];

	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		buf_addf(out, "%s never", label);
		return;
	}
	strftime(d, sizeof(d), "%Y-%m-%d", &tm);
	buf_addf(out, "%s %s", label, d);
}

int crypto_key_describe(struct crypto *c, const char *fpr, struct buf *out, char *err,
                        size_t errlen)
{
	gpgme_key_t k = NULL;
	gpgme_error_t e;
	struct crypto_key ck;
	int rc;

	rc = crypto_key_get(c, fpr, &ck, err, errlen);
	if (rc != WARY_OK)
		return rc;
	buf_addf(out, "key %s (%s)%s%s%s%s\n", ck.fpr, ck.algo, ck.secret ? ", secret key here" : "",
	         ck.revoked ? ", REVOKED" : "", ck.expired ? ", EXPIRED" : "",
	         ck.disabled ? ", disabled" : "");
	add_date(out, "  created", ck.created);
	add_date(out, ", expires", ck.expires);
	buf_addf(out, "\n  validity %s\n", crypto_validity_name(ck.validity));
	for (size_t i = 0; i < ck.nuids; i++)
		buf_addf(out, "  uid [%s]%s %s\n", crypto_validity_name(ck.uids[i].validity),
		         ck.uids[i].revoked ? " (revoked)" : "", ck.uids[i].uid);
	crypto_ctx_reset(c);
	e = gpgme_get_key(c->ctx, ck.fpr, &k, 0);
	if (e == 0 && k != NULL) {
		for (gpgme_subkey_t s = k->subkeys; s; s = s->next) {
			char *algo = gpgme_pubkey_algo_string(s);

			buf_addf(out, "  %s %s %s%s%s%s%s", s == k->subkeys ? "primary" : "subkey ",
			         s->fpr ? s->fpr : (s->keyid ? s->keyid : "?"), algo ? algo : "?",
			         s->can_sign ? " sign" : "", s->can_encrypt ? " encrypt" : "",
			         s->can_certify ? " certify" : "", s->revoked ? " REVOKED" : "");
			add_date(out, ", expires", s->expires > 0 ? (time_t)s->expires : 0);
			buf_addch(out, '\n');
			gpgme_free(algo);
		}
		gpgme_key_unref(k);
	}
	crypto_key_clear(&ck);
	return WARY_OK;
}

int crypto_import(struct crypto *c, const void *data, size_t len, struct buf *summary,
                  struct buf *fprs, char *err, size_t errlen)
{
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	gpgme_import_result_t r;

	crypto_ctx_reset(c);
	e = crypto_data_mem(&d, data, len);
	if (e)
		return crypto_gpg_err(err, errlen, WARY_ERR, "import", e);
	e = gpgme_op_import(c->ctx, d);
	gpgme_data_release(d);
	if (e)
		return crypto_gpg_err(err, errlen, WARY_ERR, "import", e);
	r = gpgme_op_import_result(c->ctx);
	if (r == NULL || r->considered == 0)
		return err_set(err, errlen, WARY_EPARSE, "no OpenPGP key in the data");
	if (summary != NULL)
		buf_addf(summary, "%d imported, %d unchanged, %d not imported (of %d keys)",
		         r->imported, r->unchanged, r->not_imported, r->considered);
	if (fprs != NULL)
		for (gpgme_import_status_t s = r->imports; s; s = s->next)
			if (s->fpr && s->result == 0) {
				char *f = safe_str(s->fpr, SAFE_LINE);

				buf_addf(fprs, "%s\n", f);
				free(f);
			}
	return WARY_OK;
}

int crypto_pick_key(struct crypto *c, const char *who, bool secret, gpgme_key_t *out,
                    char *err, size_t errlen)
{
	gpgme_key_t *v = NULL, k = NULL;
	gpgme_error_t e;
	size_t n = 0;
	char *safe;
	int rc;

	*out = NULL;
	if (looks_like_keyid(who)) {
		crypto_ctx_reset(c);
		e = gpgme_get_key(c->ctx, who, &k, secret ? 1 : 0);
		safe = safe_str(who, SAFE_LINE);
		if (gpg_err_code(e) == GPG_ERR_EOF || (e == 0 && k == NULL)) {
			rc = err_set(err, errlen, WARY_ENOENT, "no %skey %s", secret ? "secret " : "", safe);
		} else if (e) {
			rc = crypto_gpg_err(err, errlen, WARY_ERR, "key lookup", e);
		} else if (k->revoked || k->expired || k->disabled || k->invalid ||
		           (secret ? !k->can_sign : !k->can_encrypt)) {
			rc = err_set(err, errlen, WARY_ENOENT, "key %s cannot %s (revoked, expired or no subkey for it)",
			             safe, secret ? "sign" : "encrypt");
			gpgme_key_unref(k);
		} else {
			*out = k;
			rc = WARY_OK;
		}
		free(safe);
		return rc;
	}
	{
		/* an address, maybe written as "Name <addr>" */
		char *addr = strchr(who, '<') ? crypto_uid_address(who) : str_lower(xstrdup(who));

		rc = list_for(c, addr, secret, true, &v, &n, err, errlen);
		safe = safe_str(addr, SAFE_LINE);
		free(addr);
	}
	if (rc != WARY_OK) {
		free(safe);
		return rc;
	}
	if (n == 0) {
		rc = err_set(err, errlen, WARY_ENOENT, "no usable %skey for %s", secret ? "secret " : "",
		             safe);
	} else if (n > 1) {
		struct buf b = BUF_INIT;

		for (size_t i = 0; i < n; i++)
			buf_addf(&b, "%s%s", i ? ", " : "", v[i]->fpr ? v[i]->fpr : "?");
		rc = err_set(err, errlen, WARY_ERR, "%s has %zu valid keys (%s): choose one by fingerprint",
		             safe, n, b.data);
		buf_release(&b);
	} else {
		*out = v[0];
		v[0] = NULL;
		rc = WARY_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i])
			gpgme_key_unref(v[i]);
	free(v);
	free(safe);
	return rc;
}
