# Sender spoofing: every From trick in tests/fixtures/spoof/ (see make.py
# there) through `wary inspect --json`: never a green verdict
# (aligned_pass false), each with the flag that names the trick, while the
# control message, vouched for by the same trusted server, is green.  No
# DNS here: what counts is what the trusted server said and what wary sees
# in the bytes.
. "$(dirname "$0")/../lib.sh"
py=/usr/bin/python3
fx=$TOP/tests/fixtures/spoof
if [ ! -x "$WARY" ] || [ ! -x "$py" ]; then
	skip "spoofing fixtures" "no wary binary or no /usr/bin/python3"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache HOME=$tmp

# verdict FILE [-o ...]: "aligned_pass|verdict flags|from flags|dkim flags"
verdict() {
	f=$1; shift
	"$WARY" "$@" inspect --json "$f" 2>"$tmp/err" | "$py" -c '
import json, sys
d = json.load(sys.stdin); v = d["verdict"]
print("%s|%s|%s|%s" % (v["aligned_pass"], ",".join(v["flags"]), ",".join(d["from"]["flags"]),
      ",".join(f for s in v["dkim"] for f in s["flags"])))'
}
trust="-o trusted_authserv_id=mx.example.test"

out=$(verdict "$fx/control.eml" $trust)
case $out in True\|*) ok "control: the trusted server's pass for the From's domain is green" ;;
	*) not_ok "control is green (got $out)"; sed 's/^/#   /' "$tmp/err" ;; esac
out=$(verdict "$fx/control.eml")
case $out in False\|*no-trusted-authentication-results*) ok "control without trusted_authserv_id: not green" ;;
	*) not_ok "control without trusted_authserv_id is not green (got $out)" ;; esac
out=$(verdict "$fx/control.eml" -o trusted_authserv_id=other.example)
case $out in False\|*) ok "control with another trusted_authserv_id: not green" ;;
	*) not_ok "control with another trusted_authserv_id is not green (got $out)" ;; esac

# With the test servers running, once more with DNS (the DKIM keys of
# example.test from the test unbound): wary's own checks must not turn a
# trick green either.
modes="offline"
if . "$TOP/tests/servers/env.sh" 2>/dev/null && [ -n "$WARY_TEST_DNS_PORT" ]; then
	modes="offline dns"
	out=$(verdict "$fx/control.eml" $trust -o dns_server=127.0.0.1@$WARY_TEST_DNS_PORT)
	case $out in True\|*) ok "control with DNS: green" ;;
		*) not_ok "control with DNS is green (got $out)"; sed 's/^/#   /' "$tmp/err" ;; esac
else
	skip "the tricks with DNS on" "test servers not running"
fi
for mode in $modes; do
opt=
[ "$mode" = dns ] && opt="-o dns_server=127.0.0.1@$WARY_TEST_DNS_PORT"
# fixture : a flag that must be reported
while read -r name flag what; do
	what="$what ($mode)"
	out=$(verdict "$fx/$name.eml" $trust $opt)
	case $out in
	False\|*"$flag"*) ok "$what: not green, flagged $flag" ;;
	True\|*) not_ok "$what: GREEN ($out)" ;;
	*) not_ok "$what: not green but $flag missing ($out)"; sed 's/^/#   /' "$tmp/err" ;;
	esac
done <<'LIST'
two-from multiple-from-headers two From headers
from-space-colon space-before-colon "From :"
folded-name address-in-display-name a folded display name holding an address
encoded-address encoded-address an encoded-word that decodes to an address
display-address address-in-display-name a display name that is an address
invisible invisible-characters invisible and bidi characters in the name
forged-authres forged-authentication-results Authentication-Results forged below the boundary
l-appended unsigned-body text appended after the l= length
duplicated-subject duplicated-subject a second Subject above the signed one
lookalike-punycode punycode a look-alike (punycode) domain
LIST
done
n=$(ls "$fx"/*.eml | wc -l)
[ "$n" = 11 ] && ok "every fixture in the folder is checked (11)" || not_ok "fixtures in the folder: $n, checked: 11"
t_done
