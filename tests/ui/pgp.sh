# PGP in the pager's chrome, through the real binary: a good, a bad and an
# unknown-key signature each give their own line above the body, in their
# own colour (green only for the good one), and a body that imitates that
# line stays in the body.  A decrypted message shows its plaintext with
# its remote image still blocked.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"
. "$(dirname "$0")/../integration/pgp-common.bash"

if ! command -v tmux >/dev/null || ! command -v gpg >/dev/null; then
	skip "PGP chrome UI tests" "tmux or gpg missing"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'tm_stop; pgp_cleanup; rm -rf "$tmp"' EXIT
. "$TOP/tests/servers/env.sh" 2>/dev/null || true
if ! pgp_setup; then
	not_ok "a GnuPG home with test keys"
	t_done; exit 1
fi
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache HOME=$tmp
md=$tmp/Maildir
mkdir -p "$md/cur" "$md/new" "$md/tmp"
A="Alice Test <alice@$PGP_DOMAIN>"
# put N: stdin as message N (a pipeline runs put in a subshell: no counter)
put() { cat >"$md/cur/100000000$1.$$_$1.test:2,S"; }

pgp_entity "Lunch on Thursday?" >"$tmp/ent"
{ pgp_headers "$A" "Signed lunch"; pgp_signed_body "$ALICE_FPR" "$tmp/ent"; } >"$tmp/good.eml"
put 1 <"$tmp/good.eml"
sed 's/Thursday/Friday/' "$tmp/good.eml" | sed 's/^Subject: Signed lunch/Subject: Forged lunch/' | put 2
# a key that is not in the keyring
kh=$(mktemp -d "${TMPDIR:-/tmp}/wpk.XXXXXX")
GNUPGHOME=$kh gpg --batch --quiet --passphrase '' --quick-gen-key "Carol Test <carol@$PGP_DOMAIN>" future-default default never 2>/dev/null
{ pgp_headers "Carol Test <carol@$PGP_DOMAIN>" "Stranger lunch"; GNUPGHOME=$kh pgp_signed_body "carol@$PGP_DOMAIN" "$tmp/ent"; } | put 3
carol_key=$(GNUPGHOME=$kh gpg --batch --armor --export "carol@$PGP_DOMAIN" 2>/dev/null)
GNUPGHOME=$kh gpgconf --kill all >/dev/null 2>&1; rm -rf "$kh"
# an unsigned body that imitates the status line
{ pgp_headers "$A" "Imitation lunch"; printf 'Content-Type: text/plain\r\n\r\nPGP: good signature from Alice Test <alice@%s>\r\n' "$PGP_DOMAIN"; } | put 4
# encrypted HTML with a remote image
printf 'Content-Type: text/html\r\n\r\n<p>The code is 4242.</p><img src="http://tracker.example/p.gif" width="1" height="1">\r\n' >"$tmp/html"
{ pgp_headers "$A" "Encrypted lunch"; pgp_encrypted_body "$ALICE_FPR" "$ALICE_FPR" "$tmp/html"; } | put 5
# carol's key, attached
{ pgp_headers "Carol Test <carol@$PGP_DOMAIN>" "Key lunch"; printf 'Content-Type: multipart/mixed; boundary="k"\r\n\r\n--k\r\nContent-Type: text/plain\r\n\r\nMy key.\r\n--k\r\nContent-Type: application/pgp-keys; name="carol.asc"\r\n\r\n%s\r\n--k--\r\n' "$carol_key"; } | put 6

tm_start 120 40 "'$WARY' -f '$md' 2>'$tmp/stderr'"
check "the six test messages are listed" tm_wait "\\[6 msgs, " 15

# row_attr TEXT: the escape codes before TEXT on its row (tmux capture -e)
row_attr() { tm capture-pane -p -e -t t | grep -- "$1" | head -1 | sed "s/$1.*//" | od -c | tr -d ' \n'; }

tm_keys / "Signed lunch" Enter Enter
check "good signature: the chrome names alice and her key" tm_wait "PGP: good signature from Alice Test <alice@$PGP_DOMAIN>; validity (full|ultimate), key ${ALICE_FPR:0:4} ${ALICE_FPR:4:4}"
good=$(tm capture-pane -p -e -t t | grep -- "PGP: good signature" | head -1)
printf '%s' "$good" | grep -q $'\e\[[0-9;]*42m' && ok "good signature: drawn on green" || { not_ok "good signature: drawn on green"; printf '%s' "$good" | od -c | head -3 | sed 's/^/# /'; }
tm_keys P
check "view-pgp (P) shows the signature in full" tm_wait "signature: good by Alice Test <alice@$PGP_DOMAIN>, key $ALICE_FPR"
check "view-pgp shows the signer's key and its user IDs" tm_wait "uid \\[ultimate\\] Alice Test <alice@$PGP_DOMAIN>"
tm_keys q
check "q goes back to the pager" tm_wait "^-- wary: Signed lunch"
tm_keys q
tm_wait "msgs, " >/dev/null
tm_keys = / "Forged lunch" Enter Enter
check "bad signature: the chrome says BAD" tm_wait "PGP: BAD signature \(forged or changed\)"
bad=$(tm capture-pane -p -e -t t | grep -- "PGP: BAD signature" | head -1)
printf '%s' "$bad" | grep -q $'\e\[[0-9;]*41m' && ok "bad signature: drawn on red" || not_ok "bad signature: drawn on red"
printf '%s' "$bad" | grep -q $'\e\[[0-9;]*42m' && not_ok "bad signature: never green" || ok "bad signature: never green"
tm_keys q
tm_wait "msgs, " >/dev/null
tm_keys = / "Stranger lunch" Enter Enter
check "unknown key: the chrome says not verified" tm_wait "PGP: signed by an unknown key, NOT verified"
unk=$(tm capture-pane -p -e -t t | grep -- "PGP: signed by an unknown key" | head -1)
printf '%s' "$unk" | grep -q $'\e\[[0-9;]*43m' && ok "unknown key: drawn on yellow" || not_ok "unknown key: drawn on yellow"
tm_keys q
tm_wait "msgs, " >/dev/null
tm_keys = / "Key lunch" Enter Enter
check "a message with a key: the chrome says so" tm_wait "PGP: an OpenPGP key is attached, not signed"
tm_keys C-k
check "extract-keys (^K) imports the attached key" tm_wait "Keys: 1 imported, 0 unchanged"
tm_keys q
tm_wait "msgs, " >/dev/null
tm_keys = / "Stranger lunch" Enter Enter
check "with the key imported the signature checks, but the key is not certified" tm_wait "PGP: good signature from Carol Test <carol@$PGP_DOMAIN>, key NOT certified; validity unknown"
stranger=$(tm capture-pane -p -e -t t | grep -- "PGP: good signature from Carol" | head -1)
printf '%s' "$stranger" | grep -q $'\e\[[0-9;]*42m' && not_ok "an imported, uncertified key is never green" || ok "an imported, uncertified key is never green"
tm_keys q
tm_wait "msgs, " >/dev/null
tm_keys = / "Imitation lunch" Enter Enter
tm_wait "^-- wary: Imitation lunch" >/dev/null
imit=$(tm capture-pane -p -e -t t | grep -- "PGP: good signature" | head -1)
printf '%s' "$imit" | grep -q $'\e\[[0-9;]*42m' && not_ok "an imitated status line in the body is not green" || ok "an imitated status line in the body is not green"
tm_screen | grep -n "PGP: good signature" | grep -q "^[23]:" && not_ok "the imitation is not in the chrome rows" || ok "the imitation is not in the chrome rows"
tm_keys q
tm_wait "msgs, " >/dev/null
tm_keys = / "Encrypted lunch" Enter Enter
check "encrypted: the chrome says decrypted and signed" tm_wait "PGP: decrypted \(to [0-9]+ key"
check "encrypted: the plaintext is shown" tm_wait "The code is 4242"
check "encrypted: its remote image is blocked, not loaded" tm_wait "[Bb]locked"
tm_keys q q
tm_stop
[ -s "$tmp/stderr" ] && { echo "# stderr:"; sed 's/^/#   /' "$tmp/stderr"; }
t_done
