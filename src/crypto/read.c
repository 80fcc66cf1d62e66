/*
 * Reading: what of a message is signed or encrypted, judged strictly
 * (design 4.7), verified and decrypted through GPGME's result structures.
 *
 * Only the top level of the MIME tree can make a message "signed" or
 * "encrypted".  Anything PGP deeper down is a part: a signed part is
 * verified and reported as that part, never as the message; an encrypted
 * part is not decrypted at all, because a message that wraps someone's
 * ciphertext in its own parts is exactly the EFAIL and decryption-oracle
 * setup (the plaintext would be shown, or quoted in a reply, next to
 * content the attacker wrote).
 */
#include <errno.h>

#include "crypto/crypto_int.h"

#define BEGIN_SIGNED "-----BEGIN PGP SIGNED MESSAGE-----"
#define BEGIN_SIG "-----BEGIN PGP SIGNATURE-----"
#define END_SIG "-----END PGP SIGNATURE-----"
#define BEGIN_MSG "-----BEGIN PGP MESSAGE-----"
#define END_MSG "-----END PGP MESSAGE-----"
#define MAX_LEVELS 2 /* decrypted content analysed once more (signed inside encrypted) */

const char *crypto_scope_name(enum crypto_scope s)
{
	switch (s) {
	case CRYPTO_SCOPE_WHOLE: return "whole";
	case CRYPTO_SCOPE_PART: return "part";
	case CRYPTO_SCOPE_NONE:
	default: return "none";
	}
}

const char *crypto_sig_status_name(enum crypto_sig_status s)
{
	static const char *const n[] = { "good", "bad", "unknown-key", "key-expired", "key-revoked",
	                                 "expired", "error" };

	return (unsigned)s < ARRAY_SIZE(n) ? n[s] : "error";
}

const char *crypto_flag_name(unsigned flag)
{
	static const char *const n[] = {
		"part-only", "nested-ignored", "unsigned-text", "signer-not-from", "from-ambiguous",
		"bad-signature", "unknown-key", "key-expired", "key-revoked", "signature-expired",
		"untrusted-key", "decryption-failed", "no-integrity-protection", "malformed",
		"inline", "multiple-signatures", "encrypted-part-not-decrypted", "signature-error",
		"embedded-file-name", "keys-attached", "no-gpg", "autocrypt",
	};

	for (size_t i = 0; i < ARRAY_SIZE(n); i++)
		if (flag == 1u << i)
			return n[i];
	return NULL;
}

/* ---- output with a limit ----------------------------------------------
 * Decrypted data can be a compression bomb: the plaintext is collected
 * through callbacks that refuse to grow past what mail/ would parse. */
struct capped {
	struct buf b;
	size_t max;
	bool over;
};

static ssize_t capped_write(void *h, const void *p, size_t n)
{
	struct capped *c = h;

	if (c->b.len + n > c->max) {
		c->over = true;
		errno = EFBIG;
		return -1;
	}
	buf_add(&c->b, p, n);
	return (ssize_t)n;
}

static struct gpgme_data_cbs capped_cbs = { NULL, capped_write, NULL, NULL };

static void capped_wipe(struct capped *c)
{
	if (c->b.data)
		explicit_bzero(c->b.data, c->b.len);
	buf_release(&c->b);
}

/* ---- the result -------------------------------------------------------- */
static struct crypto_result *result_new(void)
{
	return xcalloc(1, sizeof(struct crypto_result));
}

static void sigs_free(struct crypto_result *r)
{
	for (size_t i = 0; i < r->nsigs; i++) {
		free(r->sigs[i].fpr);
		free(r->sigs[i].key_fpr);
		free(r->sigs[i].uid);
		free(r->sigs[i].uids);
		free(r->sigs[i].notations);
	}
	free(r->sigs);
	r->sigs = NULL;
	r->nsigs = 0;
}

void crypto_result_free(struct crypto_result **r)
{
	if (r == NULL || *r == NULL)
		return;
	sigs_free(*r);
	for (size_t i = 0; i < (*r)->nrecipients; i++)
		free((*r)->recipients[i]);
	free((*r)->recipients);
	free((*r)->error);
	free((*r)->file_name);
	if ((*r)->plain) {
		explicit_bzero((*r)->plain, (*r)->plainlen);
		free((*r)->plain);
	}
	free(*r);
	*r = NULL;
}

static void set_error(struct crypto_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_error(struct crypto_result *r, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (r->error != NULL)
		return; /* the first error is the one that matters */
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r->error = safe_str(b.data, SAFE_LINE);
	buf_release(&b);
}

/* ---- signatures ------------------------------------------------------- */
static enum crypto_sig_status sig_status(gpgme_signature_t s)
{
	switch (gpg_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		if (s->summary & GPGME_SIGSUM_KEY_REVOKED)
			return CRYPTO_SIG_KEY_REVOKED;
		if (s->summary & GPGME_SIGSUM_KEY_EXPIRED)
			return CRYPTO_SIG_KEY_EXPIRED;
		if (s->summary & GPGME_SIGSUM_SIG_EXPIRED)
			return CRYPTO_SIG_EXPIRED;
		if (s->summary & GPGME_SIGSUM_RED)
			return CRYPTO_SIG_BAD;
		return CRYPTO_SIG_GOOD;
	case GPG_ERR_BAD_SIGNATURE: return CRYPTO_SIG_BAD;
	case GPG_ERR_NO_PUBKEY: return CRYPTO_SIG_NO_KEY;
	case GPG_ERR_KEY_EXPIRED: return CRYPTO_SIG_KEY_EXPIRED;
	case GPG_ERR_CERT_REVOKED: return CRYPTO_SIG_KEY_REVOKED;
	case GPG_ERR_SIG_EXPIRED: return CRYPTO_SIG_EXPIRED;
	default: return CRYPTO_SIG_ERROR;
	}
}

static const unsigned status_flag[] = {
	0, CRYPTO_F_BAD_SIGNATURE, CRYPTO_F_UNKNOWN_KEY, CRYPTO_F_KEY_EXPIRED,
	CRYPTO_F_KEY_REVOKED, CRYPTO_F_SIG_EXPIRED, CRYPTO_F_SIG_ERROR,
};

/* Copy GPGME's verification result into r, matching the signer's valid
 * user IDs against the displayed From address (NULL when ambiguous). */
static void take_signatures(struct crypto *c, gpgme_verify_result_t vr, const char *from,
                            struct crypto_result *r)
{
	size_t n = 0;

	sigs_free(r);
	if (vr == NULL)
		return;
	for (gpgme_signature_t s = vr->signatures; s; s = s->next)
		n++;
	if (n == 0)
		return;
	r->sigs = xcalloc(n, sizeof(*r->sigs));
	for (gpgme_signature_t s = vr->signatures; s; s = s->next) {
		struct crypto_sig *cs = &r->sigs[r->nsigs++];
		struct buf uids = BUF_INIT, notes = BUF_INIT;
		gpgme_key_t k = NULL;
		const char *first_uid = NULL, *match_uid = NULL;

		cs->status = sig_status(s);
		cs->fpr = safe_str(s->fpr ? s->fpr : "", SAFE_LINE);
		cs->validity = crypto_validity_from(s->validity);
		cs->created = (time_t)s->timestamp;
		str_copy(cs->hash, gpgme_hash_algo_name(s->hash_algo) ? gpgme_hash_algo_name(s->hash_algo)
		                                                      : "?", sizeof(cs->hash));
		if (s->fpr && cs->status != CRYPTO_SIG_NO_KEY &&
		    gpgme_get_key(c->ctx, s->fpr, &k, 0) != 0)
			k = NULL;
		if (k != NULL) {
			for (gpgme_user_id_t u = k->uids; u; u = u->next) {
				char *addr;

				if (u->uid == NULL)
					continue;
				addr = crypto_uid_address(u->uid);
				buf_addf(&uids, "%s%s", uids.len ? "; " : "", u->uid);
				if (first_uid == NULL && !u->revoked)
					first_uid = u->uid;
				/* Only a user ID that is itself valid can vouch for the
				 * From address: a UID the attacker added to a real key,
				 * or a fresh key imitating the sender, is not. */
				if (from != NULL && addr[0] && str_casecmp(addr, from) == 0 && !u->revoked &&
				    !u->invalid && u->validity >= GPGME_VALIDITY_FULL) {
					cs->from_match = true;
					match_uid = u->uid;
				} else if (from != NULL && addr[0] && str_casecmp(addr, from) == 0 &&
				           match_uid == NULL) {
					match_uid = u->uid;
				}
				if (from != NULL && addr[0] && str_casecmp(addr, from) == 0)
					cs->from_named = true;
				free(addr);
			}
			cs->key_fpr = safe_str(k->fpr ? k->fpr : "", SAFE_LINE);
			/* the UIDs point into k: copied before it goes */
			cs->uid = safe_str(match_uid ? match_uid : first_uid ? first_uid : "", SAFE_LINE);
			gpgme_key_unref(k);
		} else {
			cs->key_fpr = xstrdup("");
			cs->uid = xstrdup("");
		}
		cs->uids = safe_str(uids.data ? uids.data : "", SAFE_LINE);
		for (gpgme_sig_notation_t no = s->notations; no; no = no->next)
			buf_addf(&notes, "%s%s=%s", notes.len ? "; " : "", no->name ? no->name : "(policy)",
			         no->value ? no->value : "");
		cs->notations = safe_str(notes.data ? notes.data : "", SAFE_LINE);
		buf_release(&uids);
		buf_release(&notes);
	}
}

/* Verify a detached signature over signed (or a clearsigned block when
 * signed is NULL). */
static void verify(struct crypto *c, const char *sig, size_t siglen, const char *signed_data,
                   size_t signed_len, const char *from, struct crypto_result *r)
{
	gpgme_data_t d_sig = NULL, d_text = NULL, d_plain = NULL;
	struct capped plain = { BUF_INIT, MAIL_MAX_SIZE, false };
	gpgme_error_t e;

	if (c == NULL) {
		r->flags |= CRYPTO_F_NO_CRYPTO;
		set_error(r, "gpg is not available: the signature was not checked");
		return;
	}
	crypto_ctx_reset(c);
	e = crypto_data_mem(&d_sig, sig, siglen);
	if (!e && signed_data != NULL)
		e = crypto_data_mem(&d_text, signed_data, signed_len);
	if (!e && signed_data == NULL)
		e = gpgme_data_new_from_cbs(&d_plain, &capped_cbs, &plain);
	if (!e)
		e = gpgme_op_verify(c->ctx, d_sig, d_text, d_plain);
	if (e) {
		set_error(r, "the signature could not be checked: %s", gpgme_strerror(e));
		r->flags |= CRYPTO_F_SIG_ERROR;
	} else {
		take_signatures(c, gpgme_op_verify_result(c->ctx), from, r);
		if (r->nsigs == 0) {
			set_error(r, "no signature found");
			r->flags |= CRYPTO_F_SIG_ERROR;
		}
	}
	if (d_sig)
		gpgme_data_release(d_sig);
	if (d_text)
		gpgme_data_release(d_text);
	if (d_plain)
		gpgme_data_release(d_plain);
	capped_wipe(&plain);
}

/* ---- decryption ------------------------------------------------------- */
static void take_recipients(struct crypto *c, gpgme_decrypt_result_t dr, struct crypto_result *r)
{
	for (gpgme_recipient_t rc = dr ? dr->recipients : NULL; rc; rc = rc->next) {
		gpgme_key_t k = NULL;
		struct buf b = BUF_INIT;

		buf_adds(&b, rc->keyid ? rc->keyid : "?");
		if (rc->keyid && gpgme_get_key(c->ctx, rc->keyid, &k, 0) == 0 && k != NULL) {
			if (k->uids && k->uids->uid)
				buf_addf(&b, " %s", k->uids->uid);
			gpgme_key_unref(k);
		} else {
			buf_adds(&b, " (key not here)");
		}
		if (gpg_err_code(rc->status) == GPG_ERR_NO_SECKEY)
			buf_adds(&b, " [no secret key]");
		r->recipients = xreallocarray(r->recipients, r->nrecipients + 1, sizeof(char *));
		r->recipients[r->nrecipients++] = safe_str(b.data, SAFE_LINE);
		buf_release(&b);
	}
}

/* Decrypt (and verify what is signed inside).  On any failure of
 * decryption or integrity the plaintext is wiped and WARY_ERR returned. */
static int decrypt(struct crypto *c, const char *cipher, size_t len, const char *from,
                   struct crypto_result *r, struct buf *plain_out, bool *is_mime)
{
	gpgme_data_t d_in = NULL, d_out = NULL;
	struct capped plain = { BUF_INIT, MAIL_MAX_SIZE, false };
	gpgme_decrypt_result_t dr;
	gpgme_error_t e;
	int rc = WARY_ERR;

	if (c == NULL) {
		r->flags |= CRYPTO_F_NO_CRYPTO | CRYPTO_F_DECRYPT_FAILED;
		set_error(r, "gpg is not available: nothing was decrypted");
		return WARY_ERR;
	}
	crypto_ctx_reset(c);
	e = crypto_data_mem(&d_in, cipher, len);
	if (!e)
		e = gpgme_data_new_from_cbs(&d_out, &capped_cbs, &plain);
	if (e) {
		set_error(r, "cannot decrypt: %s", gpgme_strerror(e));
		r->flags |= CRYPTO_F_DECRYPT_FAILED;
		goto out;
	}
	e = gpgme_op_decrypt_verify(c->ctx, d_in, d_out);
	dr = gpgme_op_decrypt_result(c->ctx);
	take_recipients(c, dr, r);
	if (dr != NULL && dr->file_name != NULL && dr->file_name[0]) {
		r->file_name = safe_str(dr->file_name, SAFE_LINE);
		r->flags |= CRYPTO_F_FILE_NAME;
	}
	if (dr != NULL && dr->legacy_cipher_nomdc) {
		r->flags |= CRYPTO_F_NO_MDC | CRYPTO_F_DECRYPT_FAILED;
		set_error(r, "the message is not integrity protected (no MDC): refused");
		goto out;
	}
	if (plain.over) {
		r->flags |= CRYPTO_F_DECRYPT_FAILED;
		set_error(r, "the decrypted message is larger than %u bytes", (unsigned)MAIL_MAX_SIZE);
		goto out;
	}
	if (e) {
		r->flags |= CRYPTO_F_DECRYPT_FAILED;
		/* gpg fails a message without MDC, or whose MDC or AEAD tag
		 * does not match, with these codes */
		if (gpg_err_code(e) == GPG_ERR_CANCELED || gpg_err_code(e) == GPG_ERR_NO_PASSPHRASE ||
		    gpg_err_code(e) == GPG_ERR_BAD_PASSPHRASE)
			set_error(r, "the secret key is locked: unlock it outside wary (gpg --decrypt once), "
			             "then open the message again");
		else if (gpg_err_code(e) == GPG_ERR_BAD_DATA || gpg_err_code(e) == GPG_ERR_DECRYPT_FAILED)
			set_error(r, "decryption or integrity check failed (%s): nothing is shown",
			          gpgme_strerror(e));
		else
			set_error(r, "cannot decrypt: %s", gpgme_strerror(e));
		goto out;
	}
	if (dr == NULL) {
		r->flags |= CRYPTO_F_DECRYPT_FAILED;
		set_error(r, "cannot decrypt: no result");
		goto out;
	}
	if (dr->unsupported_algorithm != NULL) {
		r->flags |= CRYPTO_F_DECRYPT_FAILED;
		set_error(r, "unsupported algorithm %s", dr->unsupported_algorithm);
		goto out;
	}
	*is_mime = dr->is_mime;
	take_signatures(c, gpgme_op_verify_result(c->ctx), from, r);
	buf_add(plain_out, plain.b.data ? plain.b.data : "", plain.b.len);
	rc = WARY_OK;
out:
	if (d_in)
		gpgme_data_release(d_in);
	if (d_out)
		gpgme_data_release(d_out);
	capped_wipe(&plain);
	return rc;
}

/* ---- building the decrypted message ------------------------------------ */
static bool is_content_field(const char *line, size_t n)
{
	return n >= 8 && str_ncasecmp(line, "Content-", 8) == 0;
}

/* Copy header fields of the block [p, p+len): only Content-* ones when
 * content is true, all others when it is false.  Returns where the body
 * starts. */
static size_t copy_fields(struct buf *out, const char *p, size_t len, bool content)
{
	size_t pos = 0;
	bool keep = false;

	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - p) + 1 : len, ll = end - pos, ce = ll;

		while (ce > 0 && (p[pos + ce - 1] == '\n' || p[pos + ce - 1] == '\r'))
			ce--;
		if (ce == 0)
			return end; /* the empty line */
		if (p[pos] != ' ' && p[pos] != '\t')
			keep = is_content_field(p + pos, ce) == content;
		if (keep) {
			buf_add(out, p + pos, ce);
			buf_adds(out, "\r\n");
		}
		pos = end;
	}
	return len;
}

/* The message to render: the top-level fields (except Content-*) of msg
 * and the decrypted entity's Content-* fields and body.  Other fields in
 * the decrypted entity are dropped, so the From the user sees stays the
 * message's. */
static void build_plain(const struct mail_msg *msg, const char *entity, size_t elen,
                        bool entity_has_headers, const char *charset, struct crypto_result *r)
{
	const struct mail_part *root = mail_root(msg);
	size_t rawlen, bodylen;
	const char *raw = mail_part_raw(root, &rawlen);
	const char *body = mail_part_body(root, &bodylen);
	struct buf out = BUF_INIT;
	size_t at = 0;

	copy_fields(&out, raw, (size_t)(body - raw), false);
	if (entity_has_headers) {
		at = copy_fields(&out, entity, elen, true);
	} else {
		buf_addf(&out, "Content-Type: text/plain; charset=\"%s\"\r\n"
		               "Content-Transfer-Encoding: 8bit\r\n",
		         charset && safe_is_clean(charset, strlen(charset)) && !strchr(charset, '"')
		                 ? charset : "utf-8");
	}
	buf_adds(&out, "\r\n");
	buf_add(&out, entity + at, elen - at);
	r->plain = buf_detach(&out, &r->plainlen);
}

/* ---- inline PGP -------------------------------------------------------- */
/* The line starting at p (at a line start) equals marker, maybe with
 * trailing white space. */
static bool line_is(const char *p, size_t len, const char *marker)
{
	size_t m = strlen(marker);

	if (len < m || memcmp(p, marker, m) != 0)
		return false;
	for (size_t i = m; i < len && p[i] != '\n'; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* Find a line equal to marker at or after from; its offset, or len. */
static size_t find_line(const char *t, size_t len, size_t from, const char *marker)
{
	size_t pos = from;

	while (pos < len) {
		const char *nl;

		if (line_is(t + pos, len - pos, marker))
			return pos;
		nl = memchr(t + pos, '\n', len - pos);
		if (nl == NULL)
			break;
		pos = (size_t)(nl - t) + 1;
	}
	return len;
}

static size_t line_end(const char *t, size_t len, size_t at)
{
	const char *nl = memchr(t + at, '\n', len - at);

	return nl ? (size_t)(nl - t) + 1 : len;
}

static bool blank(const char *t, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (t[i] != ' ' && t[i] != '\t' && t[i] != '\r' && t[i] != '\n')
			return false;
	return true;
}

struct inline_block {
	bool found;
	size_t start, end; /* the block's bytes */
	bool alone;        /* nothing but white space around it, and no second block */
};

static struct inline_block find_block(const char *t, size_t len, const char *begin,
                                      const char *end_marker)
{
	struct inline_block b = { false, 0, 0, false };
	size_t s = find_line(t, len, 0, begin), e;

	if (s == len)
		return b;
	e = find_line(t, len, s, end_marker);
	if (e == len)
		return b;
	b.found = true;
	b.start = s;
	b.end = line_end(t, len, e);
	b.alone = blank(t, s) && blank(t + b.end, len - b.end) &&
	          find_line(t, len, b.end, begin) == len;
	return b;
}

/* Inline PGP in one text part. top: the part is the message's only body. */
static void analyze_inline(struct crypto *c, const struct mail_msg *msg,
                           const struct mail_part *p, bool top, const char *from,
                           struct crypto_result *r)
{
	struct buf t = BUF_INIT;
	char err[WARY_ERRLEN];
	struct inline_block sb, eb;

	if (mail_part_decode(p, &t, err, sizeof(err)) != WARY_OK)
		goto out;
	sb = find_block(t.data, t.len, BEGIN_SIGNED, END_SIG);
	eb = find_block(t.data, t.len, BEGIN_MSG, END_MSG);
	if (sb.found && r->signed_scope == CRYPTO_SCOPE_NONE) {
		r->flags |= CRYPTO_F_INLINE;
		r->signed_scope = top && sb.alone && !eb.found ? CRYPTO_SCOPE_WHOLE : CRYPTO_SCOPE_PART;
		if (r->signed_scope == CRYPTO_SCOPE_PART)
			r->flags |= CRYPTO_F_PART_ONLY | (top || !blank(t.data, sb.start) ||
			                                  !blank(t.data + sb.end, t.len - sb.end)
			                                          ? CRYPTO_F_UNSIGNED_TEXT : 0);
		verify(c, t.data + sb.start, sb.end - sb.start, NULL, 0, from, r);
	} else if (sb.found) {
		r->flags |= CRYPTO_F_NESTED_IGNORED;
	}
	if (eb.found) {
		r->flags |= CRYPTO_F_INLINE;
		if (top && eb.alone && !sb.found && r->encrypted_scope == CRYPTO_SCOPE_NONE) {
			struct buf plain = BUF_INIT;
			bool is_mime = false;

			r->encrypted_scope = CRYPTO_SCOPE_WHOLE;
			if (decrypt(c, t.data + eb.start, eb.end - eb.start, from, r, &plain, &is_mime) ==
			    WARY_OK) {
				if (r->nsigs > 0)
					r->signed_scope = CRYPTO_SCOPE_WHOLE;
				build_plain(msg, plain.data, plain.len, is_mime,
				            mail_part_param(p, "charset"), r);
			}
			if (plain.data)
				explicit_bzero(plain.data, plain.len);
			buf_release(&plain);
		} else {
			r->encrypted_scope = CRYPTO_SCOPE_PART;
			r->flags |= CRYPTO_F_PART_ONLY | CRYPTO_F_NOT_DECRYPTED;
		}
	}
out:
	buf_release(&t);
}

/* ---- PGP/MIME ---------------------------------------------------------- */
static bool is_pgp_signed(const struct mail_part *p)
{
	const char *proto = mail_part_param(p, "protocol");

	return strcmp(mail_part_type(p), "multipart/signed") == 0 && proto != NULL &&
	       str_casecmp(proto, "application/pgp-signature") == 0;
}

static bool is_pgp_encrypted(const struct mail_part *p)
{
	const char *proto = mail_part_param(p, "protocol");

	return strcmp(mail_part_type(p), "multipart/encrypted") == 0 && proto != NULL &&
	       str_casecmp(proto, "application/pgp-encrypted") == 0;
}

/* A part the IMAP store left on the server (store/imap_body.c marks it):
 * the bytes are not here, so nothing over them can be checked. */
static bool omitted(const struct mail_part *p)
{
	size_t n = mail_part_count_children(p);

	if (mail_part_header(p, "X-Wary-Omitted") != NULL)
		return true;
	for (size_t i = 0; i < n; i++)
		if (omitted(mail_part_child(p, i)))
			return true;
	return false;
}

static void verify_mime(struct crypto *c, const struct mail_part *p, const char *from,
                        struct crypto_result *r)
{
	const struct mail_part *content, *sigp;
	struct buf sig = BUF_INIT, canon = BUF_INIT;
	const char *raw;
	size_t rawlen;
	char err[WARY_ERRLEN];

	if (mail_part_count_children(p) != 2 ||
	    strcmp(mail_part_type(mail_part_child(p, 1)), "application/pgp-signature") != 0) {
		r->flags |= CRYPTO_F_MALFORMED;
		set_error(r, "multipart/signed without exactly a content part and a signature");
		return;
	}
	content = mail_part_child(p, 0);
	sigp = mail_part_child(p, 1);
	if (omitted(content) || omitted(sigp)) {
		r->flags |= CRYPTO_F_SIG_ERROR;
		set_error(r, "parts of the message are not downloaded yet: the signature was not checked");
		return;
	}
	if (mail_part_decode(sigp, &sig, err, sizeof(err)) != WARY_OK) {
		r->flags |= CRYPTO_F_MALFORMED;
		set_error(r, "the signature part cannot be read");
		goto out;
	}
	/* The signature covers the first part's bytes as they stand, header
	 * block included, with CRLF line ends (RFC 3156 section 5). */
	raw = mail_part_raw(content, &rawlen);
	crypto_crlf(&canon, raw, rawlen);
	verify(c, sig.data, sig.len, canon.data, canon.len, from, r);
out:
	buf_release(&sig);
	buf_release(&canon);
}

static void analyze_top(struct crypto *c, const struct mail_msg *msg, const char *from,
                        int level, struct crypto_result *r);

static void decrypt_mime(struct crypto *c, const struct mail_msg *msg, const struct mail_part *p,
                         const char *from, int level, struct crypto_result *r)
{
	const struct mail_part *ver, *data;
	struct buf cipher = BUF_INIT, plain = BUF_INIT;
	char err[WARY_ERRLEN];
	bool is_mime = false;

	if (mail_part_count_children(p) != 2 ||
	    strcmp(mail_part_type(ver = mail_part_child(p, 0)), "application/pgp-encrypted") != 0 ||
	    strcmp(mail_part_type(data = mail_part_child(p, 1)), "application/octet-stream") != 0) {
		r->flags |= CRYPTO_F_MALFORMED | CRYPTO_F_DECRYPT_FAILED;
		set_error(r, "multipart/encrypted not as RFC 3156 says: not decrypted");
		return;
	}
	(void)ver;
	if (omitted(data)) {
		r->flags |= CRYPTO_F_DECRYPT_FAILED;
		set_error(r, "the encrypted part is not downloaded yet: nothing was decrypted");
		return;
	}
	if (mail_part_decode(data, &cipher, err, sizeof(err)) != WARY_OK) {
		r->flags |= CRYPTO_F_DECRYPT_FAILED;
		set_error(r, "the encrypted part cannot be read");
		goto out;
	}
	if (decrypt(c, cipher.data, cipher.len, from, r, &plain, &is_mime) != WARY_OK)
		goto out;
	if (r->nsigs > 0)
		r->signed_scope = CRYPTO_SCOPE_WHOLE;
	/* The plaintext is a MIME entity (RFC 3156 section 4). */
	build_plain(msg, plain.data, plain.len, true, NULL, r);
	if (level + 1 < MAX_LEVELS) {
		/* Signed then encrypted (RFC 3156 section 6.1): the decrypted
		 * message's top level may be multipart/signed. */
		struct mail_msg *inner = NULL;

		if (mail_parse(r->plain, r->plainlen, &inner, err, sizeof(err)) == WARY_OK) {
			struct crypto_result *sub = result_new();

			analyze_top(c, inner, from, level + 1, sub);
			if (sub->signed_scope != CRYPTO_SCOPE_NONE && r->nsigs == 0) {
				r->signed_scope = sub->signed_scope;
				r->sigs = sub->sigs;
				r->nsigs = sub->nsigs;
				sub->sigs = NULL;
				sub->nsigs = 0;
			}
			r->flags |= sub->flags & ~(unsigned)CRYPTO_F_DECRYPT_FAILED;
			if (sub->error && r->error == NULL) {
				r->error = sub->error;
				sub->error = NULL;
			}
			/* nested encryption is not unwrapped a second time */
			crypto_result_free(&sub);
		}
		mail_free(&inner);
	}
out:
	if (cipher.data)
		explicit_bzero(cipher.data, cipher.len);
	buf_release(&cipher);
	if (plain.data)
		explicit_bzero(plain.data, plain.len);
	buf_release(&plain);
}

/* "2.1": the part's number as IMAP and the pager's separators count. */
static void part_number(const struct mail_part *p, char *out, size_t len)
{
	size_t idx[MAIL_MAX_DEPTH + 2], n = 0;
	struct buf b = BUF_INIT;

	for (const struct mail_part *q = p; mail_part_parent(q) && n < ARRAY_SIZE(idx);
	     q = mail_part_parent(q)) {
		const struct mail_part *par = mail_part_parent(q);

		for (size_t i = 0; i < mail_part_count_children(par); i++)
			if (mail_part_child(par, i) == q)
				idx[n++] = i + 1;
	}
	buf_init(&b);
	while (n > 0) {
		n--;
		buf_addf(&b, "%zu%s", idx[n], n ? "." : "");
	}
	str_copy(out, b.data, len);
	buf_release(&b);
}

/* Below the top level: mark, verify the first plain signed part, never
 * decrypt. */
static void scan_parts(struct crypto *c, const struct mail_msg *msg, const struct mail_part *p,
                       const char *from, struct crypto_result *r)
{
	const char *type = mail_part_type(p);
	size_t n = mail_part_count_children(p);

	if (strcmp(type, "application/pgp-keys") == 0)
		r->flags |= CRYPTO_F_KEYS;
	if (p != mail_root(msg)) {
		bool hidden = mail_part_is_attachment(p) || mail_part_id(p) != NULL;

		if (is_pgp_signed(p)) {
			if (r->signed_scope == CRYPTO_SCOPE_NONE && !hidden) {
				r->signed_scope = CRYPTO_SCOPE_PART;
				r->flags |= CRYPTO_F_PART_ONLY;
				part_number(p, r->signed_part, sizeof(r->signed_part));
				verify_mime(c, p, from, r);
			} else {
				r->flags |= CRYPTO_F_NESTED_IGNORED;
			}
		} else if (strcmp(type, "application/pgp-signature") == 0 &&
		           !(mail_part_parent(p) && is_pgp_signed(mail_part_parent(p)))) {
			/* a detached signature loose in the message signs nothing
			 * that wary could show */
			r->flags |= CRYPTO_F_NESTED_IGNORED;
		} else if (is_pgp_encrypted(p) || strcmp(type, "application/pgp-encrypted") == 0) {
			if (!(is_pgp_encrypted(mail_part_parent(p)))) {
				if (r->encrypted_scope != CRYPTO_SCOPE_PART)
					part_number(p, r->encrypted_part, sizeof(r->encrypted_part));
				r->encrypted_scope = CRYPTO_SCOPE_PART;
				r->flags |= CRYPTO_F_PART_ONLY | CRYPTO_F_NOT_DECRYPTED;
			}
		} else if (strcmp(type, "text/plain") == 0 && !mail_part_is_attachment(p)) {
			analyze_inline(c, msg, p, false, from, r);
		} else if (strcmp(type, "text/html") == 0 || mail_part_is_attachment(p)) {
			/* armour in HTML or an attachment: a part, never decrypted */
			size_t blen;
			const char *b = mail_part_body(p, &blen);

			if (str_memcasemem(b, blen, BEGIN_MSG) != NULL) {
				r->encrypted_scope = CRYPTO_SCOPE_PART;
				r->flags |= CRYPTO_F_PART_ONLY | CRYPTO_F_NOT_DECRYPTED;
			}
			if (str_memcasemem(b, blen, BEGIN_SIGNED) != NULL)
				r->flags |= CRYPTO_F_NESTED_IGNORED;
		}
	}
	for (size_t i = 0; i < n; i++)
		scan_parts(c, msg, mail_part_child(p, i), from, r);
}

static void analyze_top(struct crypto *c, const struct mail_msg *msg, const char *from,
                        int level, struct crypto_result *r)
{
	const struct mail_part *root = mail_root(msg);
	const char *type = mail_part_type(root);

	if (is_pgp_signed(root)) {
		r->signed_scope = CRYPTO_SCOPE_WHOLE;
		verify_mime(c, root, from, r);
		/* what the signed part holds is inside the signature; anything
		 * PGP deeper is not promoted */
		if (mail_part_count_children(root) > 0)
			scan_parts(c, msg, mail_part_child(root, 0), from, r);
	} else if (is_pgp_encrypted(root)) {
		r->encrypted_scope = CRYPTO_SCOPE_WHOLE;
		if (level == 0)
			decrypt_mime(c, msg, root, from, level, r);
		else
			r->flags |= CRYPTO_F_NOT_DECRYPTED;
	} else if (strcmp(type, "text/plain") == 0) {
		analyze_inline(c, msg, root, true, from, r);
	} else {
		scan_parts(c, msg, root, from, r);
	}
}

static void judge(struct crypto_result *r, bool from_ambiguous)
{
	if (from_ambiguous)
		r->flags |= CRYPTO_F_FROM_AMBIGUOUS;
	if (r->nsigs > 1)
		r->flags |= CRYPTO_F_MULTIPLE_SIGS;
	for (size_t i = 0; i < r->nsigs; i++) {
		const struct crypto_sig *s = &r->sigs[i];

		r->flags |= status_flag[s->status];
		if (s->status == CRYPTO_SIG_GOOD && s->validity < CRYPTO_VALIDITY_FULL)
			r->flags |= CRYPTO_F_UNTRUSTED_KEY;
		if (s->status != CRYPTO_SIG_NO_KEY && !s->from_match)
			r->flags |= CRYPTO_F_SIGNER_NOT_FROM;
	}
	r->valid = r->signed_scope == CRYPTO_SCOPE_WHOLE && r->nsigs == 1 &&
	           r->sigs[0].status == CRYPTO_SIG_GOOD &&
	           r->sigs[0].validity >= CRYPTO_VALIDITY_FULL && r->sigs[0].from_match &&
	           !(r->flags & (CRYPTO_F_FROM_AMBIGUOUS | CRYPTO_F_UNSIGNED_TEXT |
	                         CRYPTO_F_PART_ONLY | CRYPTO_F_MALFORMED | CRYPTO_F_SIG_ERROR |
	                         CRYPTO_F_DECRYPT_FAILED | CRYPTO_F_NO_MDC));
}

int crypto_analyze(struct crypto *c, const struct mail_msg *msg, struct crypto_result **out,
                   char *err, size_t errlen)
{
	struct crypto_result *r = result_new();
	struct mail_from from;
	bool have_from;

	(void)err;
	(void)errlen;
	*out = NULL;
	memset(&from, 0, sizeof(from));
	have_from = mail_from_get(msg, &from) == WARY_OK;
	if (!crypto_msg_has_pgp(msg)) {
		mail_from_clear(&from);
		*out = r;
		return WARY_OK;
	}
	/* without gpg (c NULL) the structure is still judged; nothing is
	 * verified or decrypted */
	analyze_top(c, msg, have_from && !from.ambiguous ? from.address : NULL, 0, r);
	if (c != NULL)
		crypto_ctx_reset(c);
	{
		struct buf kd = BUF_INIT;

		if (crypto_autocrypt(msg, &kd, NULL, 0, NULL) == WARY_OK)
			r->flags |= CRYPTO_F_AUTOCRYPT;
		buf_release(&kd);
	}
	judge(r, !have_from || from.ambiguous);
	mail_from_clear(&from);
	*out = r;
	return WARY_OK;
}

static bool part_has_pgp(const struct mail_part *p)
{
	const char *type = mail_part_type(p);
	size_t n = mail_part_count_children(p);

	if (is_pgp_signed(p) || is_pgp_encrypted(p) || strcmp(type, "application/pgp-signature") == 0 ||
	    strcmp(type, "application/pgp-encrypted") == 0 || strcmp(type, "application/pgp-keys") == 0)
		return true;
	if (strcmp(type, "text/plain") == 0 || strcmp(type, "text/html") == 0 ||
	    strcmp(type, "application/octet-stream") == 0) {
		size_t blen;
		const char *b = mail_part_body(p, &blen);

		/* encoded bodies are decoded to look inside */
		if (str_memcasemem(b, blen, "-----BEGIN PGP ") != NULL)
			return true;
		/* a big attachment is not decoded just to look for armour */
		if (mail_part_encoding(p) != NULL && strcmp(mail_part_encoding(p), "7bit") != 0 &&
		    strcmp(mail_part_encoding(p), "8bit") != 0 && blen < (1u << 20)) {
			struct buf d = BUF_INIT;
			char err[WARY_ERRLEN];
			bool hit = mail_part_decode(p, &d, err, sizeof(err)) == WARY_OK &&
			           str_memcasemem(d.data, d.len, "-----BEGIN PGP ") != NULL;

			buf_release(&d);
			if (hit)
				return true;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (part_has_pgp(mail_part_child(p, i)))
			return true;
	return false;
}

bool crypto_msg_has_pgp(const struct mail_msg *msg)
{
	return mail_header_get(msg, "Autocrypt") != NULL || part_has_pgp(mail_root(msg));
}

static const struct mail_part *nth_key(const struct mail_part *p, size_t *i)
{
	size_t n = mail_part_count_children(p);

	if (strcmp(mail_part_type(p), "application/pgp-keys") == 0) {
		if (*i == 0)
			return p;
		(*i)--;
	}
	for (size_t k = 0; k < n; k++) {
		const struct mail_part *hit = nth_key(mail_part_child(p, k), i);

		if (hit)
			return hit;
	}
	return NULL;
}

const struct mail_part *crypto_key_part(const struct mail_msg *msg, size_t i)
{
	return nth_key(mail_root(msg), &i);
}
