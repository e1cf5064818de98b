#!/bin/sh
# Browser tests of the pages served by sealregd: headless Debian Chromium
# driven by playwright-core (never downloads a browser).
#   tests/browser/run.sh BIN     (BIN holds sealregd and sealdemo; default bin)
# Closes with "N passed, N failed"; exits non-zero on any failure.
# SHOTS=DIR keeps the screenshots there (default: a fresh directory in /tmp).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-bin}
case "$bin" in /*) ;; *) bin=$(pwd)/$bin ;; esac

fail() {
	echo "browser: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (scripts/deps.sh browser installs it)"
command -v node >/dev/null 2>&1 || fail "node is missing (scripts/deps.sh browser installs it)"
[ -x "$bin/sealregd" ] || fail "$bin/sealregd is missing (run make)"
[ -x "$bin/sealdemo" ] || fail "$bin/sealdemo is missing (run make)"
if [ ! -d "$here/node_modules/playwright-core" ]; then
	(cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund) ||
		fail "npm ci failed in tests/browser"
fi
cd "$root" || fail "cannot cd to $root"
exec node "$here/pages.test.js" --bin "$bin" --web "$root/web-static"
