#!/usr/bin/env bash
# SIGKILL the POP3 downloader at random points, 20 times, with pop3_keep =
# no, then let it finish.  After every kill: no message is twice in the
# Maildir, every message recorded is in the Maildir, and every message
# not recorded is still on the server.  At the end: the Maildir holds
# exactly what the server held, each once, and the server is empty.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=$TOP/_build}"
. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/pop3-common.bash"
p3_setup
R=$P3_WORK/report
MD=$P3_WORK/Mail
N=200
KILLS=${WARY_POP3_KILLS:-20}

p3_server_reset
p3_server_fill $N 7
p3_hashes "$P3_SRV" >"$P3_WORK/orig.sha"

# How long a whole run takes here, so the kills spread over all of it
# (the connection, the downloads, the DELEs and the QUIT).
rm -rf "$P3_WORK/probe" && mkdir -p "$P3_WORK/probe"
t0=$(date +%s%N)
"$P3_DRIVER" fetch --port "$WARY_TEST_POP3S_PORT" --ca "$WARY_TEST_CA" --user bob \
	--maildir "$P3_WORK/probe/Mail" --cache "$P3_WORK/probe/cache" >"$R" 2>&1
span_ms=$((($(date +%s%N) - t0) / 1000000))
p3_expect "$R" fetched $N "a run without kills fetches $N (in $span_ms ms)"
rm -rf "$P3_WORK/probe"

# invariants: what must hold after any kill.
invariants() {
	local what=$1 bad=0
	p3_hashes "$MD" >"$P3_WORK/local.sha"
	p3_hashes "$P3_SRV" >"$P3_WORK/server.sha"
	# Recorded: an intent followed by its delivery line in the journal,
	# gathered over all runs (the journal and the table forget a message
	# once the server confirmed its deletion and stopped listing it).
	awk '$1 == "T" { sha[$2] = $4 } $1 == "S" && ($2 in sha) { print sha[$2] }' \
		"$MD/wary-pop3-test.uidl" 2>/dev/null | sort -u - "$P3_WORK/recorded.sha" >"$P3_WORK/rec.tmp"
	mv "$P3_WORK/rec.tmp" "$P3_WORK/recorded.sha"
	if [ -n "$(uniq -d "$P3_WORK/local.sha")" ]; then
		echo "# $what: a message is twice in the Maildir"
		bad=1
	fi
	if [ -n "$(comm -23 "$P3_WORK/local.sha" "$P3_WORK/orig.sha")" ]; then
		echo "# $what: the Maildir holds something the server never had"
		bad=1
	fi
	if [ -n "$(comm -23 <(sort -u "$P3_WORK/recorded.sha") "$P3_WORK/local.sha")" ]; then
		echo "# $what: a recorded message is not in the Maildir"
		bad=1
	fi
	if [ -n "$(comm -23 "$P3_WORK/orig.sha" <(sort -u "$P3_WORK/recorded.sha" "$P3_WORK/server.sha"))" ]; then
		echo "# $what: a message neither recorded nor on the server (lost)"
		bad=1
	fi
	if [ -n "$(comm -23 "$P3_WORK/orig.sha" <(sort -u "$P3_WORK/local.sha" "$P3_WORK/server.sha"))" ]; then
		echo "# $what: a message neither in the Maildir nor on the server (lost)"
		bad=1
	fi
	return $bad
}

killed=0 completed=0 failures=0
: >"$P3_WORK/recorded.sha"
# kill_run RUN I STEP: start download number RUN and SIGKILL it once it
# has handled about I*STEP messages (plus a random part of a step and
# a few random milliseconds, so the kill falls anywhere inside a message:
# RETR, the journal, the delivery, the record, a DELE).
kill_run() {
	local i=$1 step=$3 target pid done_n jitter
	target=$(($2 * step + RANDOM % (step + 1)))
	"$P3_DRIVER" fetch --port "$WARY_TEST_POP3S_PORT" --ca "$WARY_TEST_CA" --user bob \
		--maildir "$MD" --cache "$P3_WORK/cache" --keep no --progress >"$R.$i" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		done_n=$(sed -n 's/^progress \([0-9]*\)\/.*/\1/p' "$R.$i" | tail -1)
		[ "${done_n:-0}" -ge "$target" ] && break
		sleep 0.002
	done
	jitter=$((RANDOM % 10))
	sleep "0.00$jitter"
	if kill -9 "$pid" 2>/dev/null; then
		killed=$((killed + 1))
	else
		completed=$((completed + 1))
	fi
	wait "$pid" 2>/dev/null
	if ! invariants "after run $i (killed near message $target)"; then
		failures=$((failures + 1))
	fi
	echo "# run $i, killed near message $target: $(wc -l <"$P3_WORK/local.sha") in the Maildir, $(wc -l <"$P3_WORK/server.sha") on the server"
}

# Half the kills during the first download; then one run finishes (the
# server deletes what is recorded), more mail arrives, and the other half
# fall on a mailbox that has been through a QUIT.
half=$((KILLS / 2))
for i in $(seq 0 $((half - 1))); do
	kill_run "$i" "$i" $((N / half))
done
p3_fetch "$R" --keep no
p3_expect "$R" status ok "a run to completion in the middle"
check "the first $N are all in the Maildir, once" cmp -s <(p3_hashes "$MD") "$P3_WORK/orig.sha"
check "and gone from the server" test "$(p3_hashes "$P3_SRV" | wc -l)" = 0
p3_server_fill $N 8
p3_hashes "$P3_SRV" | sort -u - "$P3_WORK/orig.sha" >"$P3_WORK/orig2.sha"
mv "$P3_WORK/orig2.sha" "$P3_WORK/orig.sha"
for i in $(seq 0 $((KILLS - half - 1))); do
	kill_run "$((half + i))" "$i" $((N / (KILLS - half)))
done
check "$KILLS runs killed at random points ($killed killed, $completed finished first): nothing lost or duplicated after any of them" \
	test "$failures" = 0
check "most runs were really killed" test "$killed" -ge $((KILLS / 2))

p3_fetch "$R" --keep no
p3_expect "$R" status ok "a run to completion after the kills"
p3_hashes "$MD" >"$P3_WORK/local.sha"
check "the Maildir holds each of the $((2 * N)) messages exactly once" cmp -s "$P3_WORK/local.sha" "$P3_WORK/orig.sha"
check "the server holds none of them any more" test "$(p3_hashes "$P3_SRV" | wc -l)" = 0
recovered=0
for f in "$R".*; do
	v=$(p3_val "$f" recovered)
	recovered=$((recovered + ${v:-0}))
done
echo "# interrupted deliveries recognised by their intent and hash: $recovered"
t_done
