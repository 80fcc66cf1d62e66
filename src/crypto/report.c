/*
 * The reading result in words: the JSON of `wary inspect --json`, the
 * text report, the chrome line.  Everything here is wary's own wording
 * around strings already made safe by read.c.
 */
#include "crypto/crypto_int.h"

static void json_str_or_null(struct buf *out, const char *s)
{
	if (s == NULL)
		buf_adds(out, "null");
	else
		buf_add_json_str(out, s);
}

void crypto_result_json(const struct crypto_result *r, struct buf *out)
{
	const struct crypto_sig *s = r->nsigs ? &r->sigs[0] : NULL;

	buf_adds(out, "{\"signed\":");
	buf_add_json_str(out, crypto_scope_name(r->signed_scope));
	buf_adds(out, ",\"encrypted\":");
	buf_add_json_str(out, crypto_scope_name(r->encrypted_scope));
	buf_addf(out, ",\"valid\":%s,\"signer\":", r->valid ? "true" : "false");
	/* the contract's strings: "" when nothing signed */
	buf_add_json_str(out, s ? s->uid : "");
	buf_adds(out, ",\"fingerprint\":");
	buf_add_json_str(out, s ? (s->key_fpr[0] ? s->key_fpr : s->fpr) : "");
	buf_adds(out, ",\"flags\":");
	buf_add_json_flags(out, r->flags, crypto_flag_name);
	buf_adds(out, ",\"status\":");
	json_str_or_null(out, s ? crypto_sig_status_name(s->status) : NULL);
	buf_adds(out, ",\"validity\":");
	json_str_or_null(out, s ? crypto_validity_name(s->validity) : NULL);
	buf_adds(out, ",\"recipients\":[");
	for (size_t i = 0; i < r->nrecipients; i++) {
		if (i)
			buf_addch(out, ',');
		buf_add_json_str(out, r->recipients[i]);
	}
	buf_adds(out, "],\"error\":");
	json_str_or_null(out, r->error);
	buf_adds(out, ",\"file_name\":");
	json_str_or_null(out, r->file_name);
	buf_adds(out, ",\"signed_part\":");
	json_str_or_null(out, r->signed_part[0] ? r->signed_part : NULL);
	buf_adds(out, ",\"encrypted_part\":");
	json_str_or_null(out, r->encrypted_part[0] ? r->encrypted_part : NULL);
	buf_addch(out, '}');
}

void crypto_result_text(const struct crypto_result *r, struct buf *out)
{
	struct buf line = BUF_INIT;

	buf_addf(out, "  signed: %s", crypto_scope_name(r->signed_scope));
	if (r->signed_part[0])
		buf_addf(out, " (part %s)", r->signed_part);
	buf_addf(out, ", encrypted: %s", crypto_scope_name(r->encrypted_scope));
	if (r->encrypted_part[0])
		buf_addf(out, " (part %s)", r->encrypted_part);
	buf_addf(out, ", valid: %s\n", r->valid ? "yes" : "no");
	for (size_t i = 0; i < r->nsigs; i++) {
		const struct crypto_sig *s = &r->sigs[i];

		buf_addf(out, "  signature: %s by %s, key %s, validity %s, %s\n",
		         crypto_sig_status_name(s->status), s->uid[0] ? s->uid : "(unknown)",
		         s->key_fpr[0] ? s->key_fpr : s->fpr, crypto_validity_name(s->validity),
		         s->hash);
		if (s->uids[0])
			buf_addf(out, "    user IDs: %s\n", s->uids);
		if (s->notations[0])
			buf_addf(out, "    notations: %s\n", s->notations);
	}
	for (size_t i = 0; i < r->nrecipients; i++)
		buf_addf(out, "  encrypted to: %s\n", r->recipients[i]);
	if (r->file_name)
		buf_addf(out, "  embedded file name: %s\n", r->file_name);
	if (r->error)
		buf_addf(out, "  error: %s\n", r->error);
	if (r->flags) {
		buf_adds(out, "  flags:");
		for (unsigned bit = 0; bit < 32; bit++)
			if ((r->flags & (1u << bit)) && crypto_flag_name(1u << bit))
				buf_addf(out, " %s", crypto_flag_name(1u << bit));
		buf_addch(out, '\n');
	}
	(void)crypto_result_summary(r, &line);
	if (line.len)
		buf_addf(out, "  summary: %s\n", line.data);
	buf_release(&line);
}

/* "6E71 DAD7 0FDB ..." is how people compare fingerprints aloud. */
static void add_fpr(struct buf *out, const char *f)
{
	for (size_t i = 0; f[i]; i++) {
		if (i && i % 4 == 0)
			buf_addch(out, ' ');
		buf_addch(out, f[i]);
	}
}

static enum crypto_level worst(enum crypto_level a, enum crypto_level b)
{
	return a > b ? a : b;
}

enum crypto_level crypto_result_summary(const struct crypto_result *r, struct buf *out)
{
	const struct crypto_sig *s = r->nsigs ? &r->sigs[0] : NULL;
	enum crypto_level lv = CRYPTO_LEVEL_NONE;

	if (r->signed_scope == CRYPTO_SCOPE_NONE && r->encrypted_scope == CRYPTO_SCOPE_NONE &&
	    !(r->flags & (CRYPTO_F_NESTED_IGNORED | CRYPTO_F_KEYS | CRYPTO_F_AUTOCRYPT)))
		return CRYPTO_LEVEL_NONE;
	buf_adds(out, "PGP: ");
	if (r->flags & CRYPTO_F_NO_CRYPTO) {
		buf_adds(out, "gpg is not available: nothing verified or decrypted");
		return CRYPTO_LEVEL_WARN;
	}
	if (r->encrypted_scope == CRYPTO_SCOPE_WHOLE) {
		if (r->flags & CRYPTO_F_DECRYPT_FAILED) {
			buf_addf(out, "DECRYPTION FAILED, nothing shown: %s", r->error ? r->error : "?");
			return CRYPTO_LEVEL_BAD;
		}
		if (r->flags & CRYPTO_F_NOT_DECRYPTED) {
			buf_adds(out, "encrypted again inside: not decrypted; ");
			lv = CRYPTO_LEVEL_WARN;
		} else {
			buf_addf(out, "decrypted (to %zu key%s", r->nrecipients,
			         r->nrecipients == 1 ? "" : "s");
			for (size_t i = 0; i < r->nrecipients && i < 3; i++)
				buf_addf(out, "%s%s", i ? ", " : ": ", r->recipients[i]);
			buf_adds(out, "); ");
		}
	} else if (r->encrypted_scope == CRYPTO_SCOPE_PART) {
		if (r->encrypted_part[0])
			buf_addf(out, "part %s is encrypted, NOT decrypted (it sits among other parts); ",
			         r->encrypted_part);
		else
			buf_adds(out, "a part is encrypted, NOT decrypted (it sits among other parts); ");
		lv = CRYPTO_LEVEL_WARN;
	}
	if (s == NULL) {
		if (r->signed_scope != CRYPTO_SCOPE_NONE) {
			buf_addf(out, "%s signature NOT checked: %s",
			         r->signed_scope == CRYPTO_SCOPE_PART ? "a part's" : "the",
			         r->error ? r->error : "malformed");
			lv = worst(lv, CRYPTO_LEVEL_BAD);
		} else if (r->encrypted_scope == CRYPTO_SCOPE_WHOLE) {
			buf_adds(out, "not signed");
			lv = worst(lv, CRYPTO_LEVEL_WARN);
		} else if (r->flags & CRYPTO_F_NESTED_IGNORED) {
			buf_adds(out, "a signature inside an attached or nested part is NOT the message's");
			lv = worst(lv, CRYPTO_LEVEL_WARN);
		} else if (r->flags & CRYPTO_F_KEYS) {
			buf_adds(out, "an OpenPGP key is attached, not signed (extract-keys imports it)");
			lv = worst(lv, CRYPTO_LEVEL_WARN);
		} else if (r->flags & CRYPTO_F_AUTOCRYPT) {
			buf_adds(out, "not signed; an Autocrypt header offers the sender's key (extract-keys imports it)");
			lv = worst(lv, CRYPTO_LEVEL_WARN);
		}
		if (lv == CRYPTO_LEVEL_NONE)
			lv = CRYPTO_LEVEL_WARN;
		return lv;
	}
	if (r->signed_scope == CRYPTO_SCOPE_PART && r->signed_part[0])
		buf_addf(out, "ONLY PART %s is signed, the rest is NOT: ", r->signed_part);
	else if (r->signed_scope == CRYPTO_SCOPE_PART)
		buf_adds(out, "ONLY A PART is signed, the rest is NOT: ");
	switch (s->status) {
	case CRYPTO_SIG_GOOD:
		buf_addf(out, "good signature from %s", s->uid[0] ? s->uid : "(no user ID)");
		break;
	case CRYPTO_SIG_BAD:
		buf_addf(out, "BAD signature (forged or changed), claimed by %s",
		         s->uid[0] ? s->uid : "(unknown)");
		lv = worst(lv, CRYPTO_LEVEL_BAD);
		break;
	case CRYPTO_SIG_NO_KEY:
		buf_adds(out, "signed by an unknown key, NOT verified");
		lv = worst(lv, CRYPTO_LEVEL_WARN);
		break;
	case CRYPTO_SIG_KEY_EXPIRED:
		buf_addf(out, "signature by an EXPIRED key of %s", s->uid);
		lv = worst(lv, CRYPTO_LEVEL_WARN);
		break;
	case CRYPTO_SIG_KEY_REVOKED:
		buf_addf(out, "signature by a REVOKED key of %s", s->uid);
		lv = worst(lv, CRYPTO_LEVEL_BAD);
		break;
	case CRYPTO_SIG_EXPIRED:
		buf_addf(out, "EXPIRED signature from %s", s->uid);
		lv = worst(lv, CRYPTO_LEVEL_WARN);
		break;
	case CRYPTO_SIG_ERROR:
	default:
		buf_addf(out, "signature could not be checked (%s)", r->error ? r->error : "error");
		lv = worst(lv, CRYPTO_LEVEL_BAD);
		break;
	}
	/* the warnings before the fingerprint: a narrow window cuts the end */
	if (s->status == CRYPTO_SIG_GOOD && s->validity < CRYPTO_VALIDITY_FULL)
		buf_adds(out, ", key NOT certified");
	if (r->flags & CRYPTO_F_FROM_AMBIGUOUS)
		buf_adds(out, ", the From is ambiguous");
	else if (s->status != CRYPTO_SIG_NO_KEY && !s->from_match && !s->from_named)
		buf_adds(out, ", signer is NOT the From address");
	else if (s->status != CRYPTO_SIG_NO_KEY && !s->from_match && s->validity >= CRYPTO_VALIDITY_FULL)
		buf_adds(out, ", the user ID with the From address is NOT certified");
	if (r->flags & CRYPTO_F_UNSIGNED_TEXT)
		buf_adds(out, ", text around the signed block is unsigned");
	if (r->nsigs > 1)
		buf_addf(out, " (+%zu more signatures)", r->nsigs - 1);
	buf_addf(out, "; validity %s, key ", crypto_validity_name(s->validity));
	add_fpr(out, s->key_fpr[0] ? s->key_fpr : s->fpr);
	if (r->valid)
		return CRYPTO_LEVEL_GOOD;
	return lv == CRYPTO_LEVEL_NONE ? CRYPTO_LEVEL_WARN : lv;
}
