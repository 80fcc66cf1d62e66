# Helpers shared by the POP3 integration tests (tests/integration/pop3*.sh),
# sourced by them after tests/lib.sh; not a test itself (tests/run runs
# only *.sh).
#
# The tests use the test servers' user bob through Dovecot's POP3 and fill
# his Maildir on the server side directly (files owned by the mail user),
# so they can compare every byte they get with what the server holds.

P3_DRIVER=$BUILD/tests/integration/pop3-driver

# p3_setup: servers, driver and a work directory, or skip everything.
p3_setup() {
	if [ -z "${WARY_TEST_SERVERS:-}" ]; then
		. "$TOP/tests/servers/env.sh" 2>/dev/null
	fi
	if [ -z "${WARY_TEST_SERVERS:-}" ]; then
		skip "POP3 against Dovecot" "the test servers are not running (tests/servers/env.sh)"
		t_done
		exit 0
	fi
	if ! (cd "$BUILD" && make -s tests/integration/pop3-driver) >/dev/null 2>&1 ||
		[ ! -x "$P3_DRIVER" ]; then
		not_ok "build tests/integration/pop3-driver in $BUILD"
		t_done
		exit 1
	fi
	P3_SRV=$WARY_TEST_MAILDIR_ROOT/bob/Maildir
	P3_WORK=$(mktemp -d /tmp/wary-pop3-test.XXXXXX)
	trap 'rm -rf "$P3_WORK"' EXIT
	export WARY_POP3_PASS=$WARY_TEST_BOB_PASS
}

# p3_server_reset: empty bob's mailbox on the server (no session is open).
p3_server_reset() {
	rm -rf "$P3_SRV"
	mkdir -p "$P3_SRV/new" "$P3_SRV/cur" "$P3_SRV/tmp"
	chown -R 65534:65534 "$WARY_TEST_MAILDIR_ROOT/bob"
}

# p3_server_fill N [SEED]: N messages straight into the server's Maildir,
# with the things POP3 must carry: lines that start with dots, a lone
# dot, NUL bytes, bare CRs, 8-bit text, long lines, and sizes from a few
# bytes to a few hundred KiB.  Every message is distinct.
p3_server_fill() {
	python3 - "$P3_SRV/new" "$1" "${2:-1}" <<'EOF'
import os, random, sys
d, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
for i in range(n):
    lines = [b'From: Sender %d <s%d@example.test>' % (i, i),
             b'To: bob@example.test',
             b'Subject: message %d of %d (seed %d)' % (i, n, seed),
             b'Message-ID: <%d.%d@pop3.test>' % (seed, i), b'']
    kind = i % 7
    if kind == 0:
        lines += [b'.starts with a dot', b'..two dots', b'.', b'. dot space', b'end']
    elif kind == 1:
        lines += [b'a NUL \x00 in the middle', b'and a bare\rCR', b'\x00']
    elif kind == 2:
        lines += [('8-bit: gr\u00fc\u00dfe \u65e5\u672c').encode('utf-8'), b'\xff\xfe raw bytes']
    elif kind == 3:
        lines += [b'x' * rnd.randint(1000, 20000)]
    elif kind == 4:
        lines += [b'%064x' % rnd.getrandbits(256) for _ in range(rnd.randint(100, 4000))]
    else:
        lines += [b'line %d' % k for k in range(rnd.randint(1, 50))]
    data = b'\n'.join(lines) + b'\n'
    name = '%d.M%dP%d.pop3test' % (1700000000 + i, i, seed)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)
EOF
	chown -R 65534:65534 "$P3_SRV"
}

# p3_hashes DIR: sorted SHA-256 of every message file in DIR/new and DIR/cur.
p3_hashes() {
	find "$1/new" "$1/cur" -type f -print0 2>/dev/null | xargs -0 -r sha256sum | awk '{print $1}' | sort
}

# p3_fetch OUT ARGS...: one download into $P3_WORK/Mail; the report in OUT.
p3_fetch() {
	local out=$1
	shift
	"$P3_DRIVER" fetch --port "$WARY_TEST_POP3S_PORT" --ca "$WARY_TEST_CA" --user bob \
		--maildir "$P3_WORK/Mail" --cache "$P3_WORK/cache" "$@" >"$out" 2>&1
}

# p3_val OUT KEY: a value from a report.
p3_val() { sed -n "s/^$2=//p" "$1" | head -1; }

# p3_expect OUT KEY VALUE WHAT
p3_expect() {
	local got
	got=$(p3_val "$1" "$2")
	if [ "$got" = "$3" ]; then
		ok "$4"
	else
		not_ok "$4 ($2: got '$got', want '$3')"
		sed 's/^/# /' "$1" | head -20
	fi
}

P3_DB() { echo "$P3_WORK/cache/pop3-test.db"; }

# p3_peer SCRIPT LOG: start the scripted hostile server; sets P3_PEER_PORT
# and P3_PEER_PID.
p3_peer() {
	local script=$1 log=$2 portfile=$P3_WORK/peer.port i
	rm -f "$portfile"
	python3 "$TOP/tests/peer/peer.py" "$script" --log "$log" --timeout 10 \
		--set CERT="$WARY_TEST_RUNDIR/tls/server.crt" \
		--set KEY="$WARY_TEST_RUNDIR/tls/server.key" >"$portfile" 2>>"$log" &
	P3_PEER_PID=$!
	for i in $(seq 1 100); do
		grep -q '^port ' "$portfile" 2>/dev/null && break
		sleep 0.05
	done
	P3_PEER_PORT=$(sed -n 's/^port //p' "$portfile")
}
