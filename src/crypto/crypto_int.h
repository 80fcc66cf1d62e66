#ifndef WARY_CRYPTO_INT_H
#define WARY_CRYPTO_INT_H
/* Internals shared by the files of src/crypto; not part of the contract. */
#include <gpgme.h>

#include "crypto/crypto.h"

struct crypto {
	gpgme_ctx_t ctx;
};

/* An error text for a GPGME code, safe. */
int crypto_gpg_err(char *err, size_t errlen, int code, const char *what, gpgme_error_t e);
/* Reset the context to the state every operation expects (armour, no
 * signers, no text mode, the local keyring validated). */
void crypto_ctx_reset(struct crypto *c);
/* New data objects: over bytes (borrowed), or empty for output. */
gpgme_error_t crypto_data_mem(gpgme_data_t *d, const void *p, size_t len);
/* Move the output of d into out (appending) and release d. */
void crypto_data_take(gpgme_data_t *d, struct buf *out);
/* Fill a crypto_key from GPGME's key. */
void crypto_key_fill(struct crypto_key *out, gpgme_key_t k);
enum crypto_validity crypto_validity_from(gpgme_validity_t v);
/* Bare LF to CRLF (CRLF kept), for the bytes a PGP/MIME signature covers. */
void crypto_crlf(struct buf *out, const char *in, size_t len);
/* The address inside a user ID ("Name <a@b>" or "a@b"), lower-case; caller frees; "" none. */
char *crypto_uid_address(const char *uid);
/* Find exactly one key for a recipient or signer: an address (one usable
 * key required) or a fingerprint/key ID.  secret for a signer. */
int crypto_pick_key(struct crypto *c, const char *who, bool secret, gpgme_key_t *out,
                    char *err, size_t errlen);

#endif
