# Shell test helpers: the same "ok N - what" lines as tests/unit/t.h.
# Source it, call ok/not_ok/check/skip, end with t_done.
T_N=0
T_FAILED=0
ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $*"; }
skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # skip $2"; }
# check "what" cmd args...: ok when the command succeeds.
check() { what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
t_done() { echo "# $T_N checks, $T_FAILED failed"; [ "$T_FAILED" = 0 ]; }
: "${TOP:=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)}"
: "${BUILD:=$TOP}"
WARY="$BUILD/wary"
