#!/usr/bin/env bash
# The durable send path under SIGKILL: wary send is killed at each step
# (queued in the outbox; connected; logged in; all data sent but not the
# final dot; accepted by the server; recorded as submitted; appended to
# Sent; recorded as stored; removed), then `wary outbox flush` finishes
# what is pending.  Every message must arrive exactly once at bob and
# stand exactly once in alice's Sent.  Killed between the server's
# acceptance and the record, wary cannot know, so it holds the message
# ("uncertain") instead of sending it twice, until the user confirms.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=$TOP/_build}"
. "$TOP/tests/lib.sh"
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	. "$TOP/tests/servers/env.sh" 2>/dev/null
fi
if [ -z "${WARY_TEST_SERVERS:-}" ]; then
	skip "sending under SIGKILL" "the test servers are not running (tests/servers/env.sh)"
	t_done
	exit 0
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
W=$(mktemp -d /tmp/wary-send-kill.XXXXXX)
trap 'rm -rf "$W"' EXIT
. "$TOP/tests/integration/send-common.bash"

STEPS="queued connected authenticated before-dot accepted submitted appended stored removed"
IDS=""
for step in $STEPS; do
	printf 'To: bob@example.test\nSubject: killed at %s\n\nkilled at %s\n' "$step" "$step" >"$W/$step.txt"
	WARY_TEST_SEND_KILL_AT=$step sn_send "k-$step" "$W/$step.txt"
	sn_rc "k-$step" 137 "killed at $step (SIGKILL)"
	id=$(sn_msgid "k-$step")
	check "killed at $step: the message had its Message-ID before" test -n "$id"
	IDS="$IDS $step=$id"
	"$WARY" -F "$W/cfg" outbox flush >"$W/f-$step.out" 2>"$W/f-$step.err"
	if [ "$step" = accepted ]; then
		check "killed after acceptance: the flush holds it (not sent again)" \
			grep -q '0 sent, 0 stored in Sent, 0 failed, 1 held' "$W/f-$step.out"
		check "killed after acceptance: the user is told why" grep -q 'may have been sent already' "$W/f-$step.err"
		check "killed after acceptance: listed as uncertain" sn_outbox_has uncertain
		check "killed after acceptance: it did arrive once" test -n "$(sn_wait bob "$id")"
		oid=$(sn_outbox_list | cut -f1)
		"$WARY" -F "$W/cfg" outbox confirm "$oid" >"$W/c-$step.out" 2>&1
		check "killed after acceptance: confirmed, it is stored in Sent" \
			grep -q '0 sent, 1 stored in Sent' "$W/c-$step.out"
	fi
	check "killed at $step: the outbox is empty after the flush" test -z "$(sn_outbox_list)"
done

# Let Postfix finish every delivery before counting.
for i in $(seq 1 100); do
	postqueue -c "$WARY_TEST_POSTFIX_CONF" -p 2>/dev/null | grep -q 'Mail queue is empty' && break
	sleep 0.1
done
for kv in $IDS; do
	step=${kv%%=*}
	id=${kv#*=}
	sn_wait bob "$id" >/dev/null
	n=$(sn_count bob "$id")
	check "killed at $step: delivered exactly once (got $n)" test "$n" = 1
	n=$(sn_sent "$id")
	check "killed at $step: in Sent exactly once (got $n)" test "$n" = 1
done
t_done
