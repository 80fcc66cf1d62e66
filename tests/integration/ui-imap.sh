# The real client on IMAP accounts of the test Dovecot, under tmux:
# the index of the server's INBOX, a message read, a flag and a delete
# that a second client (python imaplib) sees on the server, the folder
# list with its special-use folders; a certificate that does not verify
# is refused with its fingerprint and can be trusted by an explicit,
# recorded choice; and keys are answered while a big folder streams in.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/ui/tmux.bash"

if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "IMAP accounts in the UI" "the test servers are not running (tests/servers/env.sh)"
	t_done; exit 0
fi
if ! command -v tmux >/dev/null || [ ! -x /usr/bin/python3 ]; then
	skip "IMAP accounts in the UI" "tmux or python3 missing"
	t_done; exit 0
fi

tmp=$(mktemp -d /tmp/wary-uiimap.XXXXXX)
trap 'tm_stop; rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data
mkdir -p "$XDG_CONFIG_HOME/wary"

# alice's INBOX on the server holds the demo messages.
srv=$WARY_TEST_MAILDIR_ROOT/alice/Maildir
fill_alice() {
	rm -rf "$srv"
	mkdir -p "$srv/new" "$srv/cur" "$srv/tmp"
	cp "$TOP"/tests/demo/Maildir/cur/* "$TOP"/tests/demo/Maildir/new/* "$srv/new/"
	chown -R 65534:65534 "$WARY_TEST_MAILDIR_ROOT/alice"
}
fill_alice
total=$(ls "$srv/new" | wc -l)

account() { # NAME HOST PORT [extra lines]
	cat <<EOF
account $1 {
	set imap_host = $2
	set imap_port = $3
	set imap_user = $WARY_TEST_ALICE
	set ca_file = $WARY_TEST_CA
	set password_command = "printf '%s\\\\n' '$WARY_TEST_ALICE_PASS'"
	set fetch_interval = 0
$4
}
EOF
}
account work "$WARY_TEST_HOST" "$WARY_TEST_IMAPS_PORT" >"$XDG_CONFIG_HOME/wary/config"

# imap_py 'python statements using M (logged in, INBOX selected)'
imap_py() {
	/usr/bin/python3 - "$@" <<EOF
import imaplib, ssl, sys
ctx = ssl.create_default_context(cafile="$WARY_TEST_CA")
M = imaplib.IMAP4_SSL("$WARY_TEST_HOST", $WARY_TEST_IMAPS_PORT, ssl_context=ctx)
M.login("$WARY_TEST_ALICE", "$WARY_TEST_ALICE_PASS")
M.select("INBOX")
$IMAP_CODE
EOF
}

tm_start 120 40 "'$WARY' 2>'$tmp/stderr'"
check "the IMAP INBOX is listed ($total msgs)" tm_wait "wary: INBOX \[$total msgs, " 30
check "a decoded subject is on screen" tm_wait "Shared document: Q2 plan"

tm_keys / "Lunch on Friday" Enter Enter
check "a message opens in the pager" tm_wait "^-- wary: Lunch on Friday"
tm_keys q F
IMAP_CODE='
typ, d = M.search(None, "FLAGGED", "SUBJECT", "\"Lunch on Friday\"")
print(len(d[0].split()))'
n=0
for i in $(seq 50); do n=$(imap_py 2>/dev/null); [ "$n" = 1 ] && break; sleep 0.1; done
[ "$n" = 1 ] && ok "F: the server has the message \\Flagged" || not_ok "F: the server has the message \\Flagged (found $n)"
IMAP_CODE='
typ, d = M.search(None, "SEEN", "SUBJECT", "\"Lunch on Friday\"")
print(len(d[0].split()))'
[ "$(imap_py 2>/dev/null)" = 1 ] && ok "reading it set \\Seen on the server" || not_ok "reading it set \\Seen on the server"

tm_keys / "Running late" Enter d
check "d marks it deleted" tm_wait ", 1 deleted\]"
tm_keys '$'
check "\$ expunges it" tm_wait "\[$((total - 1)) msgs, .*, 0 deleted\]" 15
IMAP_CODE='
typ, d = M.search(None, "ALL"); n = len(d[0].split())
typ, e = M.search(None, "SUBJECT", "\"Running late\"")
print(n, len(e[0].split()))'
got=$(imap_py 2>/dev/null)
[ "$got" = "$((total - 1)) 0" ] && ok "the server holds $((total - 1)) messages, without the deleted one" || not_ok "server state after expunge: '$got'"

# s moves a message to Archive, C copies one to Trash: the server agrees.
tm_keys / "Plot map and the seed" Enter s C-u Archive Enter
check "s moves it" tm_wait "Moved to Archive" 15
tm_keys / "Minutes of tonight" Enter C C-u Trash Enter
check "C copies it" tm_wait "Copied to Trash" 15
IMAP_CODE='
def n(box, subj):
    M.select(box)
    typ, d = M.search(None, "SUBJECT", "\"%s\"" % subj)
    return len(d[0].split())
print(n("INBOX", "Plot map"), n("Archive", "Plot map"), n("INBOX", "Minutes of tonight"), n("Trash", "Minutes of tonight"))'
got=$(imap_py 2>/dev/null)
[ "$got" = "0 1 1 1" ] && ok "the server has the move and the copy" || not_ok "the server has the move and the copy ('$got')"

tm_keys c
check "c lists the folders" tm_wait "folders \[" 10
for f in Sent Drafts Junk Trash Archive; do
	tm_screen | grep -q " $f .*$(echo "$f" | tr 'A-Z' 'a-z')" && ok "folder $f is marked special-use" || not_ok "folder $f is marked special-use"
done
tm_keys q B
check "B shows the sidebar with the folders" tm_wait "^ *>INBOX +[0-9]+ *│" 10
tm_screen | grep -q "^ *Archive *│" && ok "the sidebar lists Archive" || not_ok "the sidebar lists Archive"
tm_keys B q
tm_stop

# A self-signed certificate: refused with its fingerprint; nothing sent.
want=$(openssl x509 -in "$WARY_TEST_SELFSIGNED_CERT" -noout -fingerprint -sha256 | sed 's/.*=//')
account odd "$WARY_TEST_HOST_SELFSIGNED" "$WARY_TEST_IMAPS_PORT" >"$XDG_CONFIG_HOME/wary/config"
tm_start 120 40 "'$WARY' 2>'$tmp/stderr2'"
check "a self-signed certificate is refused, with the question" tm_wait "accept \(o\)nce, accept \(a\)lways" 20
tm_screen | grep -qF "$want" && ok "the refusal shows the certificate's SHA-256 fingerprint" || not_ok "the refusal shows the fingerprint $want"
tm_keys r
check "rejecting leaves it unconnected" tm_wait "Certificate rejected"
tm_keys q
tm_stop
tm_start 120 40 "'$WARY' 2>'$tmp/stderr2'"
tm_wait "accept \(a\)lways" 20 >/dev/null
tm_keys a
check "accepting always connects" tm_wait "wary: INBOX \[$((total - 2)) msgs, " 30
tm_keys q
tm_stop
grep -qi "$(echo "$want" | tr -d ':' | tr 'A-F' 'a-f')" "$XDG_DATA_HOME/wary/trusted-certs" 2>/dev/null &&
	ok "the choice is recorded for the account" || not_ok "the choice is recorded for the account"
"$WARY" check-config | grep -q "trusted_cert_sha256 = .*trusted-certs:" &&
	ok "check-config shows the trust and where it is recorded" || not_ok "check-config shows the trust"
tm_start 120 40 "'$WARY' 2>'$tmp/stderr2'"
check "the next start connects without asking" tm_wait "wary: INBOX \[$((total - 2)) msgs, " 30
tm_keys q
tm_stop
# A wrong-name certificate is refused too, and trusting odd did not
# trust anything else.
account other "$WARY_TEST_HOST_WRONGNAME" "$WARY_TEST_IMAPS_PORT" >"$XDG_CONFIG_HOME/wary/config"
tm_start 120 40 "'$WARY' 2>'$tmp/stderr2'"
check "a certificate for another name is refused" tm_wait "accept \(a\)lways" 20
tm_keys r q
tm_stop

# Keys are answered while a big folder streams in: 20000 messages.
python3 - "$srv/new" <<'PY'
import os, sys
d = sys.argv[1]
body = b"x" * 600
for i in range(20000):
    with open(os.path.join(d, "big%05d.test" % i), "wb") as f:
        f.write(b"From: Bulk %d <bulk%d@example.test>\nTo: alice@example.test\n"
                b"Subject: bulk message %d\nMessage-ID: <bulk%d@example.test>\n"
                b"Date: Mon, 01 Jan 2024 00:00:00 +0000\n\n" % (i, i, i, i) + body + b"\n")
PY
chown -R 65534:65534 "$WARY_TEST_MAILDIR_ROOT/alice"
doveadm -c "$WARY_TEST_DOVECOT_CONF" index -u "$WARY_TEST_ALICE" INBOX >/dev/null 2>&1
account work "$WARY_TEST_HOST" "$WARY_TEST_IMAPS_PORT" >"$XDG_CONFIG_HOME/wary/config"
tm_start 120 40 "env WARY_TRACE='$tmp/trace' '$WARY' -o header_cache=off 2>'$tmp/stderr3'"
if tm_wait "loading [0-9]+/[0-9]+" 30; then
	ok "the status line shows progress while the index streams in"
	# Keys during the fetch: help, back, a move, help again.
	for k in "?" q j "?" q; do
		tm_keys "$k"
		sleep 0.05
	done
	tm_screen | grep -q "loading [0-9]" && ok "the fetch was still running after the keys" ||
		skip "the fetch was still running after the keys" "this machine fetched 20000 messages before the keys were sent"
	# WARY_TRACE: from reading a key to the screen that answers it.
	worst=$(awk '/^[0-9]+ key answered in/ { if ($5 > m) m = $5; n++ } END { print n + 0, m + 0 }' "$tmp/trace")
	echo "# keys answered during the fetch (count, worst ms): $worst"
	set -- $worst
	[ "$1" -ge 5 ] && [ "$2" -lt 100 ] && ok "every key is answered within 100 ms during the fetch (worst $2 ms)" ||
		not_ok "every key is answered within 100 ms during the fetch (count $1, worst $2 ms)"
else
	not_ok "the status line shows progress while the index streams in"
fi
check "the full index arrives" tm_wait "\[$((total - 2 + 20000)) msgs, " 60
tm_keys q
tm_stop

# With a header cache the thread order is kept beside it: the next open,
# nothing changed, takes it instead of threading again; a new message
# makes it thread afresh.
for run in 1 2 3; do
	if [ "$run" = 3 ]; then
		printf 'From: Late <late@example.test>\nSubject: late\nMessage-ID: <late@example.test>\nDate: Tue, 02 Jan 2024 00:00:00 +0000\n\nlate\n' >"$srv/new/late.test"
		chown 65534:65534 "$srv/new/late.test"
	fi
	want=$((total - 2 + 20000 + (run == 3 ? 1 : 0)))
	tm_start 120 40 "env WARY_TRACE='$tmp/trace-c$run' '$WARY' -o header_cache='$tmp/hc' 2>'$tmp/stderr4'"
	check "with a header cache, open $run: the full index arrives" tm_wait "\[$want msgs, " 60
	tm_keys q
	tm_stop
done
check "open 1 (cache filled): the rows are threaded" bash -c "! grep -q 'saved thread order' '$tmp/trace-c1'"
check "open 2 (nothing changed): the saved thread order is taken" \
	bash -c "grep -Eq '^[0-9]+ rebuild $((total - 2 + 20000)) rows [0-9]+ ms \(saved thread order\)' '$tmp/trace-c2'"
check "open 3 (a new message): threaded again, the saved order not taken" \
	bash -c "grep -Eq '^[0-9]+ rebuild $((total - 2 + 20001)) rows [0-9]+ ms\$' '$tmp/trace-c3'"
for f in stderr stderr2 stderr3 stderr4; do
	if [ -s "$tmp/$f" ]; then not_ok "nothing on stderr ($f)"; sed 's/^/#   /' "$tmp/$f" | head; else ok "nothing on stderr ($f)"; fi
done
t_done
