# The Authentication-Results corpus from the shared suites (RFC 8601
# examples and malformed headers, with python3-authres's parses): see
# authres_corpus.py.  Skipped, with its count, when absent.  The malformed
# headers of our own are in test_dkim.
. "$(dirname "$0")/../lib.sh"
tool=$BUILD/tests/unit/test_dkim
py=/usr/bin/python3
corpus=$TOP/../shared/auth-suites/authres-ar-corpus/ar-corpus.json
if [ ! -x "$tool" ]; then
	not_ok "test_dkim built at $tool"
	t_done; exit
fi
if [ ! -f "$corpus" ] || [ ! -x "$py" ]; then
	skip "Authentication-Results corpus (23 headers)" "not present at $corpus"
	t_done; exit
fi
"$py" "$TOP/tests/unit/authres_corpus.py" "$tool" "$corpus" >"${TMPDIR:-/tmp}/arc.$$" 2>&1
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) not_ok "${line#not ok * - }" ;;
	"# "*checks*) ;;
	*) echo "$line" ;;
	esac
done <"${TMPDIR:-/tmp}/arc.$$"
rm -f "${TMPDIR:-/tmp}/arc.$$"
t_done
