# DKIM differential against dkimpy (Debian python3-dkim): see
# dkim_dkimpy.py.  Also the RFC 8463 example from the shared suites when
# present (the tree carries its own copy, checked by test_dkim).
. "$(dirname "$0")/../lib.sh"
tool=$BUILD/tests/unit/test_dkim
py=/usr/bin/python3
if [ ! -x "$tool" ]; then
	not_ok "test_dkim built at $tool"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -x "$py" ] && "$py" -c 'import dkim, nacl' 2>/dev/null && command -v openssl >/dev/null; then
	"$py" "$TOP/tests/unit/dkim_dkimpy.py" "$tool" "$TOP/tests/servers/dkim" "$tmp/diff" >"$tmp/out" 2>&1
	rc=$?
	# renumber the script's lines into this test's count
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok * - }" ;;
		"not ok "*) not_ok "${line#not ok * - }" ;;
		*) echo "$line" ;;
		esac
	done <"$tmp/out"
	[ $rc = 0 ] || [ "$T_FAILED" != 0 ] || not_ok "dkim_dkimpy.py exited $rc"
else
	skip "DKIM differential against dkimpy" "python3-dkim, python3-nacl or openssl missing"
fi
suite=$TOP/../shared/auth-suites/rfc8463-ed25519
if [ -f "$suite/signed.eml" ] && [ -x "$py" ]; then
	"$py" - "$suite/dns.json" >"$tmp/zone" <<'PY'
import json, sys
for name, rr in json.load(open(sys.argv[1])).items():
    for t in rr.get("TXT", []):
        print(name, "TXT", " ".join('"%s"' % s.replace('"', '\\"') for s in t))
PY
	out=$("$tool" verify "$tmp/zone" 1528637969 "$suite/signed.eml")
	[ "$(printf '%s\n' "$out" | awk -F'\t' '$3 == "pass"' | wc -l)" = 2 ] &&
		ok "RFC 8463 example from the shared suites: both signatures pass" ||
		{ not_ok "RFC 8463 example from the shared suites: both signatures pass"; printf '#   %s\n' "$out"; }
else
	skip "RFC 8463 example from the shared suites" "not present at $suite"
fi
t_done
