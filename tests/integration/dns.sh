#!/usr/bin/env bash
# DNS on libunbound against the test unbound, and SPF, DMARC and the
# Received chain's checks over it (tests/integration/dns-driver.c), then
# `wary inspect --json -o dns_server=...` on a fixture.  Skips, saying why,
# when the servers are not running.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib.sh"
DRV=$BUILD/tests/integration/dns-driver
make -C "$BUILD" -s tests/integration/dns-driver >/dev/null 2>&1
if [ ! -x "$DRV" ]; then
	not_ok "dns-driver is built ($DRV)"
	t_done
	exit 1
fi
if ! . "$TOP/tests/servers/env.sh" 2>/dev/null || [ -z "${WARY_TEST_DNS_PORT:-}" ]; then
	skip "DNS against unbound" "tests/servers/env.sh: the test servers are not running"
	t_done
	exit 0
fi
SERVER=$WARY_TEST_HOST@$WARY_TEST_DNS_PORT
# The driver's TAP lines, renumbered into this script's.
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) not_ok "${line#not ok * - }" ;;
	"# "*checks*failed) ;;
	*) echo "$line" ;;
	esac
done < <("$DRV" "$SERVER" 2>&1)

# wary inspect: the trace object over the real resolver.
J=$("$WARY" -o dns_server="$SERVER" inspect --json "$TOP/tests/fixtures/trace/seed-forged.eml" 2>&1)
if printf '%s' "$J" | python3 -c '
import json, sys
t = json.load(sys.stdin)["trace"]
h = t["hops"]
assert t["origin_ip"] == "234.56.67.78", t
assert len(h) == 2 and h[1]["helo"] == "google.com", h
assert "helo-mismatch" in h[1]["flags"] and "private-ip" in h[1]["flags"], h[1]
assert h[0]["delay_s"] == 86, h[0]
'; then
	ok "wary -o dns_server=... inspect --json: the seed's forged hop"
else
	not_ok "wary -o dns_server=... inspect --json: the seed's forged hop"
	printf '%s\n' "$J" | head -20 | sed 's/^/#   /'
fi
# The same fixture with and without a resolver: DNS confirms the HELO.
F=$TOP/tests/fixtures/trace/dns-confirm.eml
helo_flags() { python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["trace"]["hops"][0]["flags"]))'; }
without=$("$WARY" inspect --json "$F" 2>/dev/null | helo_flags)
with=$("$WARY" -o dns_server="$SERVER" inspect --json "$F" 2>/dev/null | helo_flags)
case ",$without," in
*,helo-mismatch,*) ok "without DNS: HELO and reverse name differ ($without)" ;;
*) not_ok "without DNS: HELO and reverse name differ (got '$without')" ;;
esac
case ",$with," in
*,helo-mismatch,*) not_ok "with -o dns_server: the HELO is forward-confirmed (got '$with')" ;;
*) ok "with -o dns_server: the HELO is forward-confirmed ($with)" ;;
esac
if "$WARY" -o dns_server=nonsense inspect --json "$F" >/dev/null 2>&1; then
	not_ok "a bad dns_server stops wary inspect"
else
	ok "a bad dns_server stops wary inspect"
fi
t_done
