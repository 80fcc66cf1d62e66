# PGP test helpers, sourced by tests/integration/pgp*.sh and tests/ui/pgp.sh
# after tests/lib.sh.  pgp_setup makes a private GnuPG home: a copy of the
# test servers' (their alice and bob keys) when WARY_TEST_GNUPGHOME names
# one, else one with fresh keys of the same shape.  The copy keeps the
# attacks made here (extra keys, UIDs) out of the servers' home.
# pgp_cleanup stops that home's agent and removes it.
PGP_DOMAIN=example.test

pgp_setup() {
	PGP_HOME=$(mktemp -d "${TMPDIR:-/tmp}/wpg.XXXXXX") || return 1
	chmod 700 "$PGP_HOME"
	export GNUPGHOME=$PGP_HOME
	if [ -n "${WARY_TEST_GNUPGHOME:-}" ] && [ -d "$WARY_TEST_GNUPGHOME" ] &&
		[ -n "${WARY_TEST_ALICE_FPR:-}" ]; then
		cp -a "$WARY_TEST_GNUPGHOME"/pubring.kbx "$WARY_TEST_GNUPGHOME"/trustdb.gpg \
			"$WARY_TEST_GNUPGHOME"/private-keys-v1.d "$PGP_HOME"/ || return 1
		ALICE_FPR=$WARY_TEST_ALICE_FPR
		BOB_FPR=$WARY_TEST_BOB_FPR
		PGP_FROM_SERVERS=1
	else
		gpg --batch --quiet --passphrase '' --quick-gen-key "Alice Test <alice@$PGP_DOMAIN>" \
			future-default default never 2>/dev/null || return 1
		gpg --batch --quiet --passphrase '' --quick-gen-key "Bob Test <bob@$PGP_DOMAIN>" \
			future-default default never 2>/dev/null || return 1
		ALICE_FPR=$(pgp_fpr "alice@$PGP_DOMAIN")
		BOB_FPR=$(pgp_fpr "bob@$PGP_DOMAIN")
		printf '%s:6:\n%s:2:\n' "$ALICE_FPR" "$BOB_FPR" | gpg --batch --quiet --import-ownertrust 2>/dev/null
		gpg --batch --quiet --yes --default-key "$ALICE_FPR" --quick-lsign-key "$BOB_FPR" >/dev/null 2>&1
		gpg --batch --quiet --check-trustdb 2>/dev/null
		PGP_FROM_SERVERS=0
	fi
	[ -n "$ALICE_FPR" ] && [ -n "$BOB_FPR" ]
}

pgp_cleanup() {
	[ -n "${PGP_HOME:-}" ] || return 0
	GNUPGHOME=$PGP_HOME gpgconf --kill all >/dev/null 2>&1
	rm -rf "$PGP_HOME"
	PGP_HOME=
}

# The fingerprint of the (first) key with this address.
pgp_fpr() {
	gpg --batch --with-colons --fingerprint "<$1>" 2>/dev/null | awk -F: '$1=="fpr"{print $10; exit}'
}

# pgp_headers FROM [SUBJECT]
pgp_headers() {
	printf 'From: %s\r\nTo: Bob Test <bob@%s>\r\nSubject: %s\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n' \
		"$1" "$PGP_DOMAIN" "${2:-pgp test}" "$RANDOM$RANDOM" "$PGP_DOMAIN"
}

# pgp_entity TEXT: a text/plain entity, CRLF
pgp_entity() {
	printf 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s\r\n' "$1"
}

# pgp_signed_body SIGNER-FPR ENTITY-FILE: a multipart/signed entity made with gpg
pgp_signed_body() {
	local sig
	sig=$(gpg --batch --yes -u "$1" --armor --detach-sign -o - "$2" 2>/dev/null) || return 1
	printf 'Content-Type: multipart/signed; micalg=pgp-sha256;\r\n protocol="application/pgp-signature"; boundary="sig-b"\r\n\r\n--sig-b\r\n'
	cat "$2"
	printf '\r\n--sig-b\r\nContent-Type: application/pgp-signature; name="signature.asc"\r\n\r\n%s\r\n--sig-b--\r\n' "$sig"
}

# pgp_encrypted_body RECIPIENT-FPR SIGNER-FPR|"" ENTITY-FILE [gpg options]
pgp_encrypted_body() {
	local to=$1 signer=$2 f=$3 ct
	shift 3
	if [ -n "$signer" ]; then
		ct=$(gpg --batch --yes -r "$to" -u "$signer" --armor --sign --encrypt "$@" -o - "$f" 2>/dev/null) || return 1
	else
		ct=$(gpg --batch --yes -r "$to" --armor --encrypt "$@" -o - "$f" 2>/dev/null) || return 1
	fi
	printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc-b"\r\n\r\n--enc-b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--enc-b\r\nContent-Type: application/octet-stream\r\n\r\n%s\r\n--enc-b--\r\n' "$ct"
}

# pgp_json FILE EXPR: evaluate a Python expression over the "pgp" object of
# `wary inspect --json FILE` (as p); exits 0 when true.
pgp_json() {
	"$WARY" inspect --json "$1" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
p = json.load(sys.stdin)["pgp"]
ok = eval(sys.argv[1], {}, {"p": p})
if not ok:
    print("#   pgp: " + json.dumps(p))
sys.exit(0 if ok else 1)' "$2"
}
