#ifndef WARY_CRYPTO_H
#define WARY_CRYPTO_H
/*
 * crypto: OpenPGP through GPGME.  Reading: PGP/MIME (RFC 3156) signed and
 * encrypted messages and inline PGP (clearsigned text, armoured blocks),
 * judged strictly (design 4.7): a message is "signed" or "encrypted" only
 * when its top-level MIME structure is; a signed or encrypted part inside
 * a mixed message is that part only; a signature is never promoted from a
 * nested, attached or cid-referenced part.  Sending: a MIME entity signed
 * (multipart/signed) or encrypted (multipart/encrypted) as PGP/MIME.
 *
 * Every judgement comes from GPGME's result structures, never from gpg's
 * text.  Every string handed back here (UIDs, notations, file names,
 * error texts) has already been made safe (SAFE_LINE).
 *
 * The keyring is GnuPG's: GNUPGHOME from the environment, else ~/.gnupg.
 * A struct crypto is one GPGME context: use it from one thread at a time.
 */
#include "base/base.h"
#include "mail/mail.h"

struct crypto;
/* GPGME's one-time set-up; call it on the main thread before any thread
 * that makes a struct crypto starts (crypto_new calls it too). */
void crypto_global_init(void);
int crypto_new(struct crypto **out, char *err, size_t errlen);
void crypto_free(struct crypto **c);
/* Never ask for a passphrase: for a context used under a curses screen,
 * where a pinentry on the same terminal would draw over it.  A secret key
 * the agent has not unlocked then fails cleanly ("locked"). */
void crypto_no_pinentry(struct crypto *c);

/* ---- Sending ---------------------------------------------------------
 * entity: a complete MIME entity (its Content-* headers, an empty line,
 * the body), CRLF line ends (bare LF is taken as CRLF).  out receives the
 * entity to put in its place (headers, empty line, body; CRLF).
 * signer: a fingerprint, key ID or address naming a secret key.  */

/* multipart/signed (RFC 3156 section 5), micalg from the hash gpg used. */
int crypto_sign_entity(struct crypto *c, const char *signer, const char *entity, size_t len,
                       struct buf *out, char *err, size_t errlen);
/* multipart/encrypted (RFC 3156 section 4), signed and encrypted in one
 * OpenPGP message when signer is not NULL.  recipients: addresses or
 * fingerprints; each address must have exactly one valid encryption key:
 * none gives WARY_ENOENT naming the recipient, several give WARY_ERR
 * naming the candidates' fingerprints (pass a fingerprint instead).  The
 * signer's key (when signing), else the default secret key, is added as
 * a recipient so the Sent copy stays readable. */
int crypto_encrypt_entity(struct crypto *c, const char *const *recipients, size_t n,
                          const char *signer, const char *entity, size_t len, struct buf *out,
                          char *err, size_t errlen);

/* ---- Keys ------------------------------------------------------------ */
enum crypto_validity {
	CRYPTO_VALIDITY_UNKNOWN,
	CRYPTO_VALIDITY_UNDEFINED,
	CRYPTO_VALIDITY_NEVER,
	CRYPTO_VALIDITY_MARGINAL,
	CRYPTO_VALIDITY_FULL,
	CRYPTO_VALIDITY_ULTIMATE,
};
/* "unknown", "undefined", "never", "marginal", "full", "ultimate" */
const char *crypto_validity_name(enum crypto_validity v);

struct crypto_uid {
	char *uid;     /* the whole user ID, safe */
	char *address; /* its address, lower-case, safe; "" when none */
	enum crypto_validity validity;
	bool revoked;
};
struct crypto_key {
	char *fpr; /* primary key fingerprint, upper-case hex */
	struct crypto_uid *uids;
	size_t nuids;
	enum crypto_validity validity; /* of the key (its best user ID) */
	bool can_sign, can_encrypt;    /* has a usable subkey for it */
	bool secret;                   /* the secret key is here */
	bool revoked, expired, disabled, invalid;
	time_t created, expires;       /* expires 0: never */
	char algo[32];                 /* "ed25519", "rsa3072", ... */
};
/* Keys with a user ID of this address (an exact, case-insensitive match
 * of the address, not a substring).  secret: only keys whose secret part
 * is here.  usable: only keys that can encrypt (or sign, with secret) and
 * are neither revoked, expired, disabled nor invalid, with the address's
 * user ID at least marginally valid (or the key ours). */
int crypto_keys_for(struct crypto *c, const char *address, bool secret, bool usable,
                    struct crypto_key **out, size_t *n, char *err, size_t errlen);
/* One key by fingerprint or key ID; WARY_ENOENT when none. */
int crypto_key_get(struct crypto *c, const char *fpr, struct crypto_key *out, char *err,
                   size_t errlen);
void crypto_key_clear(struct crypto_key *k);
void crypto_keys_free(struct crypto_key **v, size_t n);
/* A key's details as safe text lines (fingerprint, user IDs and their
 * validity, subkeys, dates), for the UI and `wary pgp show`. */
int crypto_key_describe(struct crypto *c, const char *fpr, struct buf *out, char *err,
                        size_t errlen);
/* Import armoured or binary keys.  summary: "1 imported, 0 unchanged"
 * (safe); fprs (may be NULL): the fingerprints seen, one a line. */
int crypto_import(struct crypto *c, const void *data, size_t len, struct buf *summary,
                  struct buf *fprs, char *err, size_t errlen);

/* ---- Reading ---------------------------------------------------------- */
enum crypto_scope { CRYPTO_SCOPE_NONE, CRYPTO_SCOPE_WHOLE, CRYPTO_SCOPE_PART };
/* "none", "whole", "part" (the JSON contract's words) */
const char *crypto_scope_name(enum crypto_scope s);

enum crypto_sig_status {
	CRYPTO_SIG_GOOD,        /* the signature is correct (the key may still be untrusted) */
	CRYPTO_SIG_BAD,         /* does not match the signed bytes */
	CRYPTO_SIG_NO_KEY,      /* the signer's key is not in the keyring */
	CRYPTO_SIG_KEY_EXPIRED,
	CRYPTO_SIG_KEY_REVOKED,
	CRYPTO_SIG_EXPIRED,     /* the signature itself expired */
	CRYPTO_SIG_ERROR,       /* could not be checked */
};
/* "good", "bad", "unknown-key", "key-expired", "key-revoked", "expired", "error" */
const char *crypto_sig_status_name(enum crypto_sig_status s);

struct crypto_sig {
	enum crypto_sig_status status;
	char *fpr;          /* the signing key's fingerprint as GPGME gives it (may be a subkey) */
	char *key_fpr;      /* the primary key's fingerprint, "" when the key is unknown */
	char *uid;          /* the signer's user ID that names the From address, else its first; "" unknown */
	char *uids;         /* all user IDs, "; "-separated */
	char *notations;    /* "name=value; ..." or "" */
	enum crypto_validity validity; /* of the key, from GPGME */
	bool from_match;    /* a valid (full or ultimate) user ID has the From address */
	bool from_named;    /* some user ID has it, valid or not */
	time_t created;
	char hash[16];      /* "SHA256" */
};

enum crypto_flag {
	CRYPTO_F_PART_ONLY = 1 << 0,        /* signed/encrypted content is only a part of the message */
	CRYPTO_F_NESTED_IGNORED = 1 << 1,   /* a signature deeper (attached, nested, cid) was not promoted */
	CRYPTO_F_UNSIGNED_TEXT = 1 << 2,    /* inline: text before or after the signed block */
	CRYPTO_F_SIGNER_NOT_FROM = 1 << 3,  /* no valid UID of the signer has the From address */
	CRYPTO_F_FROM_AMBIGUOUS = 1 << 4,   /* not exactly one well-formed From */
	CRYPTO_F_BAD_SIGNATURE = 1 << 5,
	CRYPTO_F_UNKNOWN_KEY = 1 << 6,
	CRYPTO_F_KEY_EXPIRED = 1 << 7,
	CRYPTO_F_KEY_REVOKED = 1 << 8,
	CRYPTO_F_SIG_EXPIRED = 1 << 9,
	CRYPTO_F_UNTRUSTED_KEY = 1 << 10,   /* good signature, key validity below full */
	CRYPTO_F_DECRYPT_FAILED = 1 << 11,  /* no plaintext is shown */
	CRYPTO_F_NO_MDC = 1 << 12,          /* no integrity protection: refused */
	CRYPTO_F_MALFORMED = 1 << 13,       /* a multipart/signed or /encrypted not as RFC 3156 says */
	CRYPTO_F_INLINE = 1 << 14,          /* inline PGP, not PGP/MIME */
	CRYPTO_F_MULTIPLE_SIGS = 1 << 15,
	CRYPTO_F_NOT_DECRYPTED = 1 << 16,   /* an encrypted part inside another message: not decrypted */
	CRYPTO_F_SIG_ERROR = 1 << 17,
	CRYPTO_F_FILE_NAME = 1 << 18,       /* the encrypted data names a file (shown, never used) */
	CRYPTO_F_KEYS = 1 << 19,            /* the message carries OpenPGP keys (application/pgp-keys) */
	CRYPTO_F_NO_CRYPTO = 1 << 20,       /* GPGME/gpg is not available */
	CRYPTO_F_AUTOCRYPT = 1 << 21,       /* an Autocrypt header offers the sender's key */
};
/* "part-only", "nested-ignored", ... for one flag bit; NULL if unknown. */
const char *crypto_flag_name(unsigned flag);

struct crypto_result {
	enum crypto_scope signed_scope, encrypted_scope;
	/* The one thing drawn as good: a correct signature over the whole
	 * message by a fully valid key, not expired or revoked, whose valid
	 * user IDs include the one displayed From address. */
	bool valid;
	struct crypto_sig *sigs; /* of the signature that decides (the top level, or the part) */
	size_t nsigs;
	char **recipients;       /* encrypted to: "FPR-or-keyid UID" each, safe */
	size_t nrecipients;
	unsigned flags;          /* enum crypto_flag */
	char *error;             /* decryption or verification error, safe; NULL none */
	char *file_name;         /* embedded file name of decrypted data, safe; NULL none */
	/*
	 * Decrypted: a whole message to parse and render like any other (the
	 * top-level header fields with the decrypted entity in place of the
	 * encrypted one).  NULL when nothing was decrypted, and always NULL
	 * after a failure of decryption or integrity.
	 */
	char *plain;
	size_t plainlen;
	/* The MIME part number ("2", "1.2") of the signed part when
	 * signed_scope is part, of the encrypted part when encrypted_scope is
	 * part; "" otherwise. */
	char signed_part[32], encrypted_part[32];
};

/* Analyse a message: find its PGP structure, verify and decrypt (GPGME
 * may take a while: call it off the UI thread).  A message without PGP
 * content gives signed/encrypted none and makes no GPGME call.  c may be
 * NULL (no gpg): the structure is judged, nothing verified or decrypted. */
int crypto_analyze(struct crypto *c, const struct mail_msg *msg, struct crypto_result **out,
                   char *err, size_t errlen);
void crypto_result_free(struct crypto_result **r);
/* The result as the "pgp" object of `wary inspect --json` (design 7),
 * with status, validity, recipients, error and file_name added. */
void crypto_result_json(const struct crypto_result *r, struct buf *out);
/* The result as indented lines for `wary inspect`'s text report. */
void crypto_result_text(const struct crypto_result *r, struct buf *out);
/* One line for the pager's chrome, and how it is to be drawn: GOOD only
 * for r->valid. */
enum crypto_level { CRYPTO_LEVEL_NONE, CRYPTO_LEVEL_GOOD, CRYPTO_LEVEL_WARN, CRYPTO_LEVEL_BAD };
enum crypto_level crypto_result_summary(const struct crypto_result *r, struct buf *out);

/* Does the message hold anything PGP (without calling GPGME)? */
bool crypto_msg_has_pgp(const struct mail_msg *msg);
/* Autocrypt (Level 1): the key of the message's Autocrypt header, taken
 * only when there is exactly one, well-formed, whose addr is the one From
 * address.  keydata gets the binary key; addr (safe) and mutual
 * (prefer-encrypt=mutual) may be NULL.  WARY_ENOENT: none to take;
 * WARY_EPARSE: malformed. */
int crypto_autocrypt(const struct mail_msg *msg, struct buf *keydata, char *addr, size_t addrlen,
                     bool *mutual);
/* The part of msg that is an OpenPGP key (application/pgp-keys), i-th. */
const struct mail_part *crypto_key_part(const struct mail_msg *msg, size_t i);

#endif
