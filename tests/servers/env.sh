# Source this to reach the running test servers: it exports WARY_TEST_*
# (ports, hosts, users and passwords, the CA file, the GnuPG home and key
# fingerprints; the full list is in tests/servers/README).  The values are
# written by "tests/servers/servers start"; when the servers are not
# running this returns 1 and exports nothing, so a test can skip.
_wary_env=${WARY_TEST_RUNDIR:-$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/../.." 2>/dev/null && pwd)/tests/out/servers}/env
if [ -f "$_wary_env" ]; then
	. "$_wary_env"
	unset _wary_env
else
	echo "env.sh: the test servers are not running ($_wary_env missing): tests/servers/servers start" >&2
	unset _wary_env
	return 1 2>/dev/null || false
fi
