#!/bin/sh
# Run the benchmarks (make bench): the registry benchmark, then every other
# bench/*.sh except this one and bench/match.sh (make bench-match runs that).
#   BIN=bin BUILD=build bench/run.sh
# Each part prints its own figures; a part that fails is reported and the
# others still run; the exit status is non-zero when any part failed.
# BENCH_REGISTRY_ARGS passes options to bench_registry (see its --help),
# e.g. BENCH_REGISTRY_ARGS="--seals 200000" for a quicker run.
set -u
BIN=${BIN:-bin}
BUILD=${BUILD:-build}
export BIN BUILD
failed=""

part() {
	name=$1
	shift
	echo "== $name"
	start=$(date +%s)
	if "$@"; then
		echo "== $name: done in $(($(date +%s) - start)) s"
	else
		echo "== $name: FAILED (exit $?)"
		failed="$failed $name"
	fi
	echo
}

# shellcheck disable=SC2086
part bench_registry "$BUILD/bench/bench_registry" ${BENCH_REGISTRY_ARGS:-}
for script in bench/*.sh; do
	case $(basename "$script") in
	run.sh | match.sh) continue ;;
	esac
	[ -f "$script" ] || continue
	if [ -x "$script" ]; then
		part "$script" "$script"
	else
		part "$script" sh "$script"
	fi
done
if [ -n "$failed" ]; then
	echo "benchmarks failed:$failed"
	exit 1
fi
