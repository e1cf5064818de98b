#!/bin/sh
# Run the whole suite and close with "N passed, N failed".
#   BIN=bin BUILD=build tests/run.sh
# Runs every cmocka unit test in $BUILD/tests, replays every fuzz corpus, then
# the integration tests (real daemon on 127.0.0.1) and the browser tests
# (headless Chromium).  Each part's own counts are summed.
set -u
BIN=${BIN:-bin}
BUILD=${BUILD:-build}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# count FILE: print the passed and failed counts a runner printed.
# Understands cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"
# and the plain "N passed, N failed" line.
count() {
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p; s/^\(.*: \)\{0,1\}\([0-9]*\) passed, [0-9]* failed.*/\2/p' "$1" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p; s/^\(.*: \)\{0,1\}[0-9]* passed, \([0-9]*\) failed.*/\2/p' "$1" | awk '{s+=$1} END {print s+0}')
	echo "$p $f"
}

# run NAME CMD...: run one part; a part that crashes or prints no counts fails once.
run() {
	name=$1
	shift
	"$@" >"$log" 2>&1
	rc=$?
	set -- $(count "$log")
	passed=$((passed + $1))
	failed=$((failed + $2))
	if [ "$rc" -ne 0 ] || [ "$2" -ne 0 ]; then
		cat "$log"
		if [ "$1" -eq 0 ] && [ "$2" -eq 0 ]; then
			failed=$((failed + 1))
		fi
		echo "FAIL $name (exit $rc)"
	else
		echo "ok   $name ($1 tests)"
	fi
}

for t in "$BUILD"/tests/*/test_*; do
	[ -x "$t" ] || continue
	run "$t" env CMOCKA_MESSAGE_OUTPUT=stdout "$t"
done
for f in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	corpus=tests/fuzz/corpus/$(basename "$f" | sed 's/^fuzz_//')
	run "$f" "$f" "$corpus"
done
if [ -f tests/integration/run.py ] && [ -z "${SKIP_INTEGRATION:-}" ]; then
	run integration python3 tests/integration/run.py --bin "$BIN"
fi
if [ -f tests/browser/run.sh ] && [ -z "${SKIP_BROWSER:-}" ]; then
	run browser tests/browser/run.sh "$BIN"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
