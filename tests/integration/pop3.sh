#!/usr/bin/env bash
# POP3 download against the real Dovecot of tests/servers: 500 messages
# byte for byte, leave-on-server and delete-after-N-days, the size limit
# and a 50 MB message, a server that renumbers its UIDLs, a lost or
# corrupt table, cancel, store_open_account, and the refusals (bad
# certificates, a wrong password).
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=$TOP/_build}"
. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/pop3-common.bash"
p3_setup
R=$P3_WORK/report
MD=$P3_WORK/Mail

# ---- 500 messages, every byte --------------------------------------------
p3_server_reset
p3_server_fill 500 1
p3_hashes "$P3_SRV" >"$P3_WORK/server.sha"
check "the server holds 500 distinct messages" \
	test "$(sort -u "$P3_WORK/server.sha" | wc -l)" = 500
p3_fetch "$R" --progress
p3_expect "$R" status ok "download 500 messages over POP3S"
p3_expect "$R" fetched 500 "500 fetched"
p3_expect "$R" deleted 0 "pop3_keep (the default): nothing deleted"
p3_hashes "$MD" >"$P3_WORK/local.sha"
p3_hashes "$P3_SRV" >"$P3_WORK/server-after.sha"
if cmp -s "$P3_WORK/local.sha" "$P3_WORK/server-after.sha" && cmp -s "$P3_WORK/local.sha" "$P3_WORK/server.sha"; then
	ok "every stored message equals the server's copy, by SHA-256 (dots, NUL, bare CR, 8-bit)"
else
	not_ok "stored messages differ from the server's copies"
	diff "$P3_WORK/local.sha" "$P3_WORK/server-after.sha" | head -5 | sed 's/^/# /'
fi
check "progress was reported for every message" \
	test "$(grep -c '^progress ' "$R")" -ge 500
check "the last progress line says 500/500" grep -q '^progress 500/500 ' "$R"
check "Dovecot kept all 500 (leave on server)" test "$(p3_hashes "$P3_SRV" | wc -l)" = 500

p3_fetch "$R"
p3_expect "$R" fetched 0 "a second run fetches nothing"
p3_expect "$R" known 500 "and knows all 500"
check "still 500 files in the Maildir" test "$(p3_hashes "$MD" | wc -l)" = 500

"$P3_DRIVER" open --maildir "$MD" --cache "$P3_WORK/cache" >"$R" 2>&1
p3_expect "$R" messages 500 "store_open_account opens the POP3 account's Maildir with 500 messages"

# ---- the table lost, corrupt or of another version: no duplicates ---------
rm -f "$(P3_DB)" "$(P3_DB)-wal" "$(P3_DB)-shm"
p3_fetch "$R"
p3_expect "$R" rebuilt 1 "a deleted table is rebuilt from the Maildir's journal"
p3_expect "$R" fetched 0 "and nothing is fetched twice"
head -c 8192 /dev/urandom >"$(P3_DB)"
rm -f "$(P3_DB)-wal" "$(P3_DB)-shm"
p3_fetch "$R"
p3_expect "$R" rebuilt 1 "a table overwritten with junk is rebuilt"
p3_expect "$R" fetched 0 "and nothing is fetched twice"
sqlite3 "$(P3_DB)" 'PRAGMA user_version=7' 2>/dev/null
p3_fetch "$R"
p3_expect "$R" rebuilt 1 "a table of another schema version is rebuilt"
p3_expect "$R" known 500 "knowing all 500"
check "the Maildir still holds 500" test "$(p3_hashes "$MD" | wc -l)" = 500

# ---- the server renumbers (its UIDL state lost) ---------------------------
rm -f "$P3_SRV"/dovecot-uidlist "$P3_SRV"/dovecot-uidvalidity* "$P3_SRV"/dovecot.index*
p3_fetch "$R"
p3_expect "$R" status ok "a server whose UIDLs all changed"
p3_expect "$R" same_content 500 "all 500 recognised by content under their new UIDLs"
p3_expect "$R" fetched 0 "none stored twice"
check "the Maildir still holds 500" test "$(p3_hashes "$MD" | wc -l)" = 500

# ---- delete after N days ----------------------------------------------------
p3_fetch "$R" --keep yes --keep-days 3
p3_expect "$R" deleted 0 "pop3_keep_days 3: nothing is 3 days old yet"
# Rows of the current UIDLs only (Dovecot's UIDL ends in the UIDVALIDITY,
# and the renumbered mailbox has the newest).
sqlite3 "$(P3_DB)" "UPDATE uidl SET downloaded = downloaded - 4*86400 WHERE uidl IN
	(SELECT uidl FROM uidl WHERE substr(uidl, 9) = (SELECT max(substr(uidl, 9)) FROM uidl)
	 ORDER BY uidl LIMIT 40)"
p3_fetch "$R" --keep yes --keep-days 3
p3_expect "$R" deleted 40 "the 40 downloaded 4 days ago are deleted from the server"
check "the server holds 460" test "$(p3_hashes "$P3_SRV" | wc -l)" = 460
check "the Maildir still holds all 500" test "$(p3_hashes "$MD" | wc -l)" = 500
p3_fetch "$R" --keep yes --keep-days 3
p3_expect "$R" deleted 0 "the next run deletes nothing more"
p3_expect "$R" listed 460 "and sees 460"

# ---- pop3_keep = no ---------------------------------------------------------
p3_fetch "$R" --keep no
p3_expect "$R" deleted 460 "pop3_keep no: the recorded 460 are deleted"
check "the server is empty" test "$(p3_hashes "$P3_SRV" | wc -l)" = 0
check "the Maildir still holds all 500, each once" \
	test "$(p3_hashes "$MD" | sort -u | wc -l)" = 500
check "and they are the 500 the server held" cmp -s <(p3_hashes "$MD") "$P3_WORK/server.sha"
p3_fetch "$R" --keep no
p3_expect "$R" listed 0 "nothing left on the server"
check "rows of deleted and of renumbered messages are forgotten once the server no longer lists them" \
	test "$(sqlite3 "$(P3_DB)" 'SELECT count(*) FROM uidl')" = 0

# ---- STLS on port 110-style, AUTH PLAIN and USER/PASS -------------------------
rm -rf "$MD" "$P3_WORK/cache"
p3_server_reset
p3_server_fill 5 2
"$P3_DRIVER" fetch --port "$WARY_TEST_POP3_PORT" --starttls --ca "$WARY_TEST_CA" --user bob \
	--maildir "$MD" --cache "$P3_WORK/cache" --auth login >"$R" 2>&1
p3_expect "$R" fetched 5 "STLS (STARTTLS required) with USER/PASS"
"$P3_DRIVER" fetch --host "$WARY_TEST_HOST_STRICT" --port "$WARY_TEST_POP3_PORT" --starttls \
	--ca "$WARY_TEST_CA" --user bob --maildir "$MD" --cache "$P3_WORK/cache" --auth plain >"$R" 2>&1
p3_expect "$R" status ok "STLS with AUTH PLAIN where Dovecot enforces its plaintext rules"
p3_expect "$R" known 5 "knowing the 5"
grep -q "pop3(bob).*Disconnected: Logged out" "$WARY_TEST_RUNDIR/dovecot.log" &&
	ok "Dovecot logged the POP3 sessions out normally (QUIT)" ||
	not_ok "Dovecot logged the POP3 sessions out normally (QUIT)"

# ---- the size limit and a 50 MB message ----------------------------------------
p3_server_reset
python3 - "$P3_SRV/new/1800000000.M1P1.big" <<'EOF'
import base64, os, sys
with open(sys.argv[1], 'wb') as f:
    f.write(b'From: big@example.test\nSubject: 50 MB\nContent-Type: application/octet-stream\n'
            b'Content-Transfer-Encoding: base64\n\n')
    blob = base64.encodebytes(os.urandom(38 * 1024 * 1024))
    f.write(blob)
EOF
p3_server_fill 2 3
rm -rf "$MD" "$P3_WORK/cache"
p3_fetch "$R" --max-size 10000000
p3_expect "$R" skipped_size 1 "a message over pop3_max_size is skipped"
p3_expect "$R" fetched 2 "the others are fetched"
check "the skip is explained in a notice" grep -q 'notice: .*over pop3_max_size.*left on the server' "$R"
p3_fetch "$R" --max-size 10000000 --keep no
check "a skipped message stays on the server even with pop3_keep no" \
	test "$(p3_hashes "$P3_SRV" | wc -l)" = 1
big_sha=$(p3_hashes "$P3_SRV")
p3_fetch "$R" --keep no --progress
p3_expect "$R" fetched 1 "the 50 MB message under the default limit"
check "progress moved inside the 50 MB message" \
	test "$(grep -c '^progress 0/1 ' "$R")" -ge 20
check "it is stored byte for byte" grep -qx "$big_sha" <(p3_hashes "$MD")
check "and deleted from the server afterwards" test "$(p3_hashes "$P3_SRV" | wc -l)" = 0

# ---- cancel ---------------------------------------------------------------------
rm -rf "$MD" "$P3_WORK/cache"
p3_server_reset
p3_server_fill 10 4
p3_fetch "$R" --cancel-after 3 --keep no
p3_expect "$R" cancelled 1 "a progress callback can cancel"
p3_expect "$R" fetched 3 "after 3 messages"
p3_expect "$R" deleted 3 "and what was stored is still deleted at QUIT"
p3_fetch "$R" --keep no
p3_expect "$R" fetched 7 "the next run fetches the other 7"
check "10 messages, each once" test "$(p3_hashes "$MD" | sort -u | wc -l)" = 10

# ---- refusals ---------------------------------------------------------------------
p3_server_reset
p3_server_fill 3 5
rm -rf "$MD" "$P3_WORK/cache"
"$P3_DRIVER" fetch --host "$WARY_TEST_HOST_SELFSIGNED" --port "$WARY_TEST_POP3S_PORT" \
	--ca "$WARY_TEST_CA" --user bob --maildir "$MD" --cache "$P3_WORK/cache" >"$R" 2>&1
p3_expect "$R" status ecert "a self-signed certificate is refused"
check "with its fingerprint" grep -q 'error=.*SHA-256 fingerprint [0-9A-F:]\{95\}' "$R"
"$P3_DRIVER" fetch --host "$WARY_TEST_HOST_WRONGNAME" --port "$WARY_TEST_POP3_PORT" --starttls \
	--ca "$WARY_TEST_CA" --user bob --maildir "$MD" --cache "$P3_WORK/cache" >"$R" 2>&1
p3_expect "$R" status ecert "a certificate for another name is refused after STLS"
check "nothing was downloaded through a refused certificate" test "$(p3_hashes "$MD" | wc -l)" = 0
WARY_POP3_PASS=not-the-password p3_fetch "$R"
p3_expect "$R" status eauth "a wrong password is a login error"
"$P3_DRIVER" fetch --port "$WARY_TEST_POP3S_PORT" --ca "$WARY_TEST_CA" --user bob --apop \
	--maildir "$MD" --cache "$P3_WORK/cache" >"$R" 2>&1
p3_expect "$R" status eauth "pop3_apop against a server without an APOP timestamp: refused, not downgraded"

t_done
