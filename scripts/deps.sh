#!/bin/sh
# Install the Debian packages this project needs, when missing.
#   scripts/deps.sh build|test|bench|browser ...
# As root it runs apt-get; otherwise it prints the exact line to run and fails.
set -eu
build="build-essential pkg-config liblmdb-dev libevent-dev libssl-dev libqrencode-dev
libzbar-dev libpng-dev libjpeg-dev libjansson-dev libcmocka-dev libfreetype-dev
fonts-wqy-zenhei fonts-noto-cjk lmdb-utils"
test="python3 curl"
browser="chromium nodejs npm"
bench="wrk nginx python3-opencv python3-numpy"
want=""
for set in "$@"; do
	case "$set" in
	build) want="$want $build" ;;
	test) want="$want $build $test" ;;
	browser) want="$want $browser" ;;
	bench) want="$want $build $bench" ;;
	*) echo "deps.sh: unknown set '$set'" >&2; exit 2 ;;
	esac
done
missing=""
for p in $want; do
	# nodejs/npm may come from outside Debian on a developer machine
	case "$p" in nodejs) command -v node >/dev/null 2>&1 && continue ;; npm) command -v npm >/dev/null 2>&1 && continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
