# OpenPGP in the compose view, through the real binary, in a throwaway
# GnuPG home.  encrypt_drafts: the autosaved and postponed draft holds no
# clear text (gpg --decrypt of it gives the text back), the editor's file
# is gone, and R recalls (decrypts) it.  Encrypting to carol, who has two
# valid keys, shows a picker of both; the one chosen is the one encrypted
# to.  dave, without a key, is a clear refusal and nothing goes out.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"
. "$(dirname "$0")/../integration/pgp-common.bash"

if ! command -v tmux >/dev/null || ! command -v gpg >/dev/null; then
	skip "compose PGP UI tests" "tmux or gpg missing"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'tm_stop; pgp_cleanup; rm -rf "$tmp"' EXIT
. "$TOP/tests/servers/env.sh" 2>/dev/null || true
if ! pgp_setup; then
	not_ok "a GnuPG home with test keys"
	t_done; exit 1
fi
C="carol@$PGP_DOMAIN"
gpg --batch --quiet --passphrase '' --quick-gen-key "Carol One <$C>" future-default default never 2>/dev/null
sleep 1 # a different creation second, so the two are told apart by date too
gpg --batch --quiet --passphrase '' --quick-gen-key "Carol Two <$C>" future-default default never 2>/dev/null
CAROL1=$(gpg --batch --with-colons --fingerprint "Carol One" 2>/dev/null | awk -F: '$1=="fpr"{print $10; exit}')
CAROL2=$(gpg --batch --with-colons --fingerprint "Carol Two" 2>/dev/null | awk -F: '$1=="fpr"{print $10; exit}')
# encryption subkey IDs, as gpg --list-packets names recipients
subid() { gpg --batch --with-colons --list-keys "$1" 2>/dev/null | awk -F: '$1=="sub"{print $5; exit}'; }
SUB1=$(subid "$CAROL1") SUB2=$(subid "$CAROL2")
check "two keys for carol" test -n "$SUB1" -a -n "$SUB2" -a "$SUB1" != "$SUB2"

export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data HOME=$tmp
export TMPDIR=$tmp/t
mkdir -p "$TMPDIR" "$tmp/Maildir/cur" "$tmp/Maildir/new" "$tmp/Maildir/tmp"
printf 'From: Bob Test <bob@%s>\nTo: alice@%s\nSubject: The heron report\nDate: Tue, 01 Dec 2026 09:00:00 +0000\nMessage-ID: <heron@%s>\n\nThe heron nests by the weir.\n' \
	"$PGP_DOMAIN" "$PGP_DOMAIN" "$PGP_DOMAIN" >"$tmp/Maildir/cur/1000000001.1.test:2,S"
cat >"$tmp/ed.sh" <<EOF
#!/bin/sh
printf 'The meeting place is the pelican bridge.\n' >"\$1"
# an editor's backup beside the file: it must not stay either
cp "\$1" "\$1~"
EOF
cat >"$tmp/sm.sh" <<EOF
#!/bin/sh
cat >>"$tmp/sent.mbox"
echo "=====" >>"$tmp/sent.mbox"
EOF
chmod +x "$tmp/ed.sh" "$tmp/sm.sh"
cat >"$tmp/cfg" <<EOF
set editor = "$tmp/ed.sh"
set outbox = $tmp/outbox
set postponed = $tmp/drafts
set header_cache = off
set from = "Alice Test <alice@$PGP_DOMAIN>"
set sendmail_command = "$tmp/sm.sh"
set encrypt_drafts = yes
EOF

tm_start 120 40 "'$WARY' -F '$tmp/cfg' -f '$tmp/Maildir' 2>'$tmp/stderr'"
tm_wait "msgs, " 15 >/dev/null
tm_keys m
check "m: the compose view" tm_wait "From: Alice Test <alice@$PGP_DOMAIN>"
tm_keys s "Secret plans" Enter
check "the subject is set" tm_wait "Subject: Secret plans"
d=$(ls "$tmp/drafts/"*.draft 2>/dev/null | head -1)
check "the draft is autosaved" test -n "$d"
check "the draft is 0600" test "$(stat -c %a "$d")" = 600
check "no clear text in the drafts directory" sh -c "! grep -rq -e pelican -e 'Secret plans' '$tmp/drafts'"
check "the draft is a PGP/MIME message" grep -q 'multipart/encrypted' "$d"
gpg --batch --quiet --decrypt "$d" 2>/dev/null | tr -d '\r' | sed '1,/^$/d' | base64 -d >"$tmp/plain" 2>/dev/null
check "gpg --decrypt of the draft gives the text back" grep -q 'pelican bridge' "$tmp/plain"
check "and the subject" grep -q '^Subject: Secret plans' "$tmp/plain"
# (the tmux log is the one file that may be there)
check "the editor's file and its backup are gone" test -z "$(find "$TMPDIR" -mindepth 1 -type d)"
check "no clear text in the temp directory" sh -c "! grep -rq pelican '$TMPDIR'"
tm_keys P
check "P: postponed" tm_wait "Message postponed"
check "the postponed draft holds no clear text" sh -c "! grep -rq pelican '$tmp/drafts'"
tm_keys R
check "R: the encrypted draft is recalled" tm_wait "Subject: Secret plans"
check "with its text" tm_wait "text/plain, 41 bytes, 1 lines"

tm_keys t
tm_wait "^To:$" >/dev/null
tm_keys "$C" Enter
tm_wait "^ +To: $C" >/dev/null
tm_keys E
check "E: encrypt" tm_wait "PGP: encrypt"
tm_keys y
check "y: carol has two keys: the picker asks" tm_wait "$C has 2 valid OpenPGP keys"
check "the picker lists the first key" tm_wait "[12]\\) $CAROL1 "
check "and the second" tm_wait "[12]\\) $CAROL2 "
check "with user IDs and validity" tm_wait "uid \\[(full|ultimate)\\] Carol Two <$C>"
check "with the creation date" tm_wait "created [0-9]{4}-[0-9]{2}-[0-9]{2}"
check "nothing went out yet" test ! -e "$tmp/sent.mbox"
n=$(tm_screen | grep -E "[12]\\) $CAROL2 " | sed -E 's/^ *([12])\).*/\1/')
tm_keys "$n"
check "a choice: sent" tm_wait "Sent: 1 sent" 20
sed -n '/BEGIN PGP MESSAGE/,/END PGP MESSAGE/p' "$tmp/sent.mbox" | tr -d '\r' >"$tmp/msg.asc"
gpg --batch --list-packets "$tmp/msg.asc" >"$tmp/packets" 2>/dev/null
check "encrypted to the key chosen" grep -qi "keyid $SUB2" "$tmp/packets"
check "not to the other" sh -c "! grep -qi 'keyid $SUB1' '$tmp/packets'"
check "no clear text went out" sh -c "! grep -q pelican '$tmp/sent.mbox'"
check "the sent draft is gone" sh -c "! ls '$tmp/drafts/'*.draft >/dev/null 2>&1"

# a message forwarded as an attachment: its private copy beside the
# draft is encrypted too, and comes back whole on recall and send
tm_keys Escape f
check "Esc f: the message as an attachment" tm_wait "message/rfc822"
check "the forwarded copy holds no clear text" sh -c "! grep -rq heron '$tmp/drafts'"
check "the forwarded copy is there, encrypted" sh -c "grep -q multipart/encrypted '$tmp/drafts/'*.draft.eml"
tm_keys P
tm_wait "Message postponed" >/dev/null
tm_keys R
check "R: the forward comes back with its attachment" tm_wait "message/rfc822"
tm_keys t
tm_wait "^To:" >/dev/null
tm_keys C-u "bob@$PGP_DOMAIN" Enter
tm_wait "^ +To: bob@" >/dev/null
tm_keys y
check "the forward is sent" tm_wait "Sent: 1 sent" 20
check "with the forwarded message in the clear inside it" grep -q 'The heron nests by the weir' "$tmp/sent.mbox"
check "the draft and its copy are gone" test -z "$(ls -A "$tmp/drafts")"

tm_keys m
tm_wait "From: Alice Test" >/dev/null
tm_keys t
tm_wait "^To:$" >/dev/null
tm_keys "dave@$PGP_DOMAIN" Enter
tm_wait "^ +To: dave@" >/dev/null
tm_keys E y
check "dave has no key: a clear refusal" tm_wait "no usable OpenPGP key for dave@$PGP_DOMAIN: not encrypted, not sent"
check "nothing more went out" test "$(grep -c '^=====$' "$tmp/sent.mbox")" = 2
tm_keys P
tm_wait "Message postponed" >/dev/null
tm_keys q
tm_stop
check "no errors on stderr" test ! -s "$tmp/stderr"

# an own address without a key: the draft is not saved at all, never in
# the clear, and P keeps the message in the compose view
sed "s/^set from = .*/set from = \"Eve <eve@$PGP_DOMAIN>\"/; s|^set postponed = .*|set postponed = $tmp/drafts2|" "$tmp/cfg" >"$tmp/cfg2"
tm_start 120 40 "'$WARY' -F '$tmp/cfg2' -f '$tmp/Maildir' 2>'$tmp/stderr'"
tm_wait "msgs, " 15 >/dev/null
tm_keys m
check "no key of her own: autosave says it cannot" tm_wait "Cannot autosave the draft: no usable key for eve@$PGP_DOMAIN"
check "and writes no draft" sh -c "! ls '$tmp/drafts2/'* >/dev/null 2>&1"
tm_keys P
check "P: the message stays in the compose view" tm_wait "^compose -- "
check "still no clear text on disk" sh -c "! grep -rq pelican '$tmp/drafts2'"
tm_keys q
tm_stop
t_done
