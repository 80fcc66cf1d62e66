#!/bin/sh
# wary's whole set-up in one place, for a fresh Debian 12 machine (run as root).
#
#   ./setup.sh demo   install what is missing, build, open wary on the demo mailbox
#   ./setup.sh test   install what is missing (test servers too), build, run every test
#   ./setup.sh build  install what is missing and build
#
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -eu
cd "$(dirname "$0")"
TOP=$(pwd)

BUILD_PKGS="autoconf automake make gcc pkg-config libc6-dev
libetpan-dev libsasl2-modules libssl-dev libgpgme-dev libunbound-dev libsqlite3-dev
libpsl-dev publicsuffix libidn2-dev libunistring-dev libgumbo-dev libmagic-dev libncurses-dev
ca-certificates locales"
TEST_PKGS="tmux clang libclang-rt-14-dev chromium python3-dkim python3-nacl python3-yaml python3-spf gnupg gpg-agent time"

# The test servers list their own packages, one per line.
server_pkgs() {
	[ -f tests/servers/packages ] && sed -e 's/#.*//' tests/servers/packages | tr -s ' \n' ' '
}

install_missing() {
	missing=""
	for p in $*; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
			missing="$missing $p"
		fi
	done
	if [ -z "$missing" ]; then
		echo "setup: all needed Debian packages are installed"
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing Debian packages:$missing" >&2
		echo "setup: run as root, or: apt-get install$missing" >&2
		exit 1
	fi
	echo "setup: installing:$missing"
	# Installing a server package must not start a system service (a
	# system unbound would take port 53): deny service starts meanwhile,
	# unless the machine already has its own policy.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT INT TERM
	fi
	export DEBIAN_FRONTEND=noninteractive
	# The test server Postfix runs from a private config; the system one
	# stays unconfigured and never delivers anything.
	case " $missing " in
	*" postfix "*) echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections ;;
	esac
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
	if [ -n "$policy" ]; then
		rm -f "$policy"
		trap - EXIT INT TERM
	fi
	echo "setup: installed:$missing"
}

build() {
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		echo "setup: ./autogen.sh"
		./autogen.sh
	fi
	# Out of tree, so the sanitizer and fuzz builds of tests/run can sit
	# beside it.
	mkdir -p _build
	if [ ! -f _build/Makefile ]; then
		echo "setup: configure (in _build/)"
		(cd _build && ../configure --quiet)
	fi
	echo "setup: make (in _build/)"
	make -C _build -j"$(nproc)" --no-print-directory
}

cmd=${1:-}
case $cmd in
build)
	install_missing $BUILD_PKGS
	build
	;;
demo)
	install_missing $BUILD_PKGS
	build
	# A private copy, so what the user does in the demo (delete, flag,
	# expunge) never changes the tree.
	demo=$(mktemp -d "${TMPDIR:-/tmp}/wary-demo.XXXXXX")
	cp -a tests/demo/Maildir "$demo/"
	echo "setup: opening the demo mailbox (a copy in $demo); press ? for help, q to quit"
	LANG=${LANG:-C.UTF-8}
	case $LANG in *UTF-8*|*utf8*) ;; *) LANG=C.UTF-8 ;; esac
	export LANG
	exec _build/wary -f "$demo/Maildir"
	;;
test)
	install_missing $BUILD_PKGS $TEST_PKGS $(server_pkgs)
	build
	exec tests/run
	;;
*)
	echo "usage: ./setup.sh demo|test|build" >&2
	exit 2
	;;
esac
