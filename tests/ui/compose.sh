# Writing mail in the real binary: m opens $EDITOR (a script here) and
# then the compose view; To and Subject are edited there, with Tab
# completing from the aliases file; y sends, but the outbound check
# catches the card number the text holds and shows what and where, e goes
# back to the editor, y sends the clean text (through a sendmail_command
# that keeps what it got).  r answers a message, P postpones the reply,
# R recalls it, y sends it with In-Reply-To.  The outbox is empty after.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

if ! command -v tmux >/dev/null; then
	skip "compose UI tests" "tmux missing"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'tm_stop; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
cp -a "$TOP/tests/demo/Maildir" "$tmp/"
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data HOME=$tmp
cat >"$tmp/ed.sh" <<EOF
#!/bin/sh
n=\$(cat "$tmp/ed.count" 2>/dev/null || echo 0)
n=\$((n + 1))
echo \$n >"$tmp/ed.count"
case \$n in
1) printf 'Hello from the editor.\nmy card is 4111 1111 1111 1111\nIBAN DE89 3704 0044 0532 0130 00\n' >"\$1" ;;
2) printf 'Hello, clean this time.\n' >"\$1" ;;
*) printf 'My reply.\n' >>"\$1" ;;
esac
EOF
cat >"$tmp/sm.sh" <<EOF
#!/bin/sh
echo "\$@" >>"$tmp/rcpt"
cat >>"$tmp/sent.mbox"
echo "=====" >>"$tmp/sent.mbox"
EOF
chmod +x "$tmp/ed.sh" "$tmp/sm.sh"
echo 'alias alice Alice Example <alice@example.test>' >"$tmp/aliases"
cat >"$tmp/cfg" <<EOF
set editor = "$tmp/ed.sh"
set alias_file = $tmp/aliases
set outbox = $tmp/outbox
set postponed = $tmp/drafts
set header_cache = off
set from = "Tester <tester@example.test>"
set sendmail_command = "$tmp/sm.sh"
EOF

# a message left in the outbox by an earlier run goes out when wary starts
printf 'To: carol@example.test\nSubject: queued before the start\n\nwaiting\n' >"$tmp/queued.txt"
"$WARY" -F "$tmp/cfg" send --queue "$tmp/queued.txt" >"$tmp/queued.out" 2>&1
check "a message waits in the outbox" grep -q '^queued ' "$tmp/queued.out"
tm_start 120 40 "'$WARY' -F '$tmp/cfg' -f '$tmp/Maildir' 2>'$tmp/stderr'"
tm_wait "msgs, " 15 >/dev/null
check "at start the outbox is flushed, said on the status line" tm_wait "Outbox: 1 sent"
check "the waiting message went out" grep -q '^Subject: queued before the start$' "$tmp/sent.mbox"
tm_keys m
check "m: the editor runs, then the compose view shows the sender" tm_wait "From: Tester <tester@example.test>"
check "the compose view shows the text's size" tm_wait "text/plain, [0-9]+ bytes, 3 lines"
tm_keys t
tm_wait "^To:$" >/dev/null
tm_keys "ali" Tab
check "Tab completes the alias" tm_wait "To: Alice Example <alice@example.test>"
tm_keys C-u "bob@example.test" Enter
check "To is set" tm_wait "^ +To: bob@example.test"
tm_keys s "Hello from the compose test" Enter
check "Subject is set" tm_wait "Subject: Hello from the compose test"
tm_keys '?'
check "? lists the compose keys" tm_wait "Send the message \(outbound checks first\)"
tm_keys q
check "q leaves the help, back to the message" tm_wait "Subject: Hello from the compose test"
tm_keys y
check "y: the outbound check stops it" tm_wait "Outbound check! s\)end anyway, e\)dit"
check "and says what and where" tm_wait "card-number: Visa card number ending 1111 \(body line 2\)"
check "every hit, each with its place" tm_wait "iban: IBAN DE\.\. ending 3000 \(body line 3\)"
check "how many" tm_wait "Outbound check found 2 things"
check "nothing went out" test "$(grep -c '^=====$' "$tmp/sent.mbox")" = 1
tm_keys e
check "e: back to the editor, the text is clean now" tm_wait "text/plain, [0-9]+ bytes, 1 lines"
tm_keys y
check "y: sent" tm_wait "Sent: 1 sent" 15
check "the command got the clean text" grep -q '^Hello, clean this time\.$' "$tmp/sent.mbox"
check "with the subject" grep -q '^Subject: Hello from the compose test$' "$tmp/sent.mbox"
check "to the recipient" grep -qx 'bob@example.test' "$tmp/rcpt"
check "the card number never went out" sh -c "! grep -q 4111 '$tmp/sent.mbox'"

# reply, postpone, recall, send
tm_keys Enter
tm_wait "^From:|^Date:" 10 >/dev/null
tm_keys r
check "r: the reply's subject" tm_wait "Subject: Re: "
check "r: the editor added the reply to the quoted text" test "$(cat "$tmp/ed.count")" = 3
tm_keys P
check "P: postponed" tm_wait "Message postponed"
check "the draft is on disk" sh -c "ls '$tmp/drafts/'*.draft >/dev/null 2>&1"
tm_keys R
check "R: the draft comes back" tm_wait "Subject: Re: "
tm_keys y
check "y: the reply is sent" tm_wait "Sent: 1 sent" 15
check "the reply carries In-Reply-To" grep -q '^In-Reply-To: <' "$tmp/sent.mbox"
check "and the quoted text with the reply" grep -q '^My reply\.$' "$tmp/sent.mbox"
check "the sent draft is gone" sh -c "! ls '$tmp/drafts/'*.draft >/dev/null 2>&1"
# forward inline (f) and as an attachment (Esc f)
tm_keys f
check "f: a forward" tm_wait "Subject: Fwd: "
tm_keys t
tm_wait "^To:$" >/dev/null
tm_keys "bob@example.test" Enter
tm_wait "^ +To: bob@example.test" >/dev/null
tm_keys y
check "f: sent" tm_wait "Sent: 1 sent" 15
check "f: the text forwarded inline under its header block" grep -q '^----- Forwarded message -----$' "$tmp/sent.mbox"
tm_keys Escape f
check "Esc f: the message as an attachment" tm_wait "message/rfc822"
tm_keys t
tm_wait "^To:$" >/dev/null
tm_keys "bob@example.test" Enter
tm_wait "^ +To: bob@example.test" >/dev/null
tm_keys y
check "Esc f: sent" tm_wait "Sent: 1 sent" 15
check "Esc f: a message/rfc822 part went out" grep -q '^Content-Type: message/rfc822' "$tmp/sent.mbox"
check "the outbox is empty" sh -c "[ -z \"\$(ls '$tmp/outbox/default/new')\" ]"
check "all five are in the folder's Sent" test "$(ls "$tmp/Maildir/.Sent/cur" | wc -l)" = 5
tm_keys q
tm_keys Q
tm_stop
check "no errors on stderr" test ! -s "$tmp/stderr"
t_done
