# The ValiMail ARC validation suite (RFC 8617), from the shared suites
# when present: see arc_suite.py.  Skipped, with the count, when absent.
. "$(dirname "$0")/../lib.sh"
tool=$BUILD/tests/unit/test_dkim
py=/usr/bin/python3
suite=$TOP/../shared/auth-suites/arc-test-suite/arc-draft-validation-tests.yml
if [ ! -x "$tool" ]; then
	not_ok "test_dkim built at $tool"
	t_done; exit
fi
if [ ! -f "$suite" ]; then
	skip "ARC validation suite (171 tests)" "not present at $suite"
	t_done; exit
fi
if ! [ -x "$py" ] || ! "$py" -c 'import yaml' 2>/dev/null; then
	skip "ARC validation suite (171 tests)" "python3-yaml missing"
	t_done; exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" "$TOP/tests/unit/arc_suite.py" "$tool" "$suite" "$tmp/w" >"$tmp/out" 2>&1
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) not_ok "${line#not ok * - }" ;;
	*) echo "$line" ;;
	esac
done <"$tmp/out"
grep -q '^# ARC validation suite: ' "$tmp/out" || not_ok "the ARC suite ran to the end"
t_done
