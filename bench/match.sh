#!/bin/sh
# bench/match.sh - the impression matcher on the dev set, and its named peers.
#
# Runs bin/sealmatch over ../shared/seal-bench/dev (relative to the repo root;
# SEAL_BENCH_DEV overrides), scores it with the set's score.py, reports the
# per-query time (decode included, one thread) and the per-comparison time,
# then the same EERs for OpenCV's PHash and RadialVarianceHash
# (bench/peers_match.py).  Skips with a message when the set is absent.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-bin}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
SET=${SEAL_BENCH_DEV:-$ROOT/../shared/seal-bench/dev}
if [ ! -f "$SET/manifest.csv" ] && [ -f /work/shared/seal-bench/dev/manifest.csv ]; then
	SET=/work/shared/seal-bench/dev
fi
if [ ! -f "$SET/manifest.csv" ]; then
	echo "bench-match: skipped: no seal-bench dev set at $SET (clone shared/ next to the repo)"
	exit 0
fi
SCORE_PY=$(dirname "$SET")/score.py
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if [ ! -x "$BIN/sealmatch" ]; then
	echo "bench-match: $BIN/sealmatch missing; run make first" >&2
	exit 1
fi

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT INT TERM

echo "== sealmatch on $SET (one thread)"
"$BIN/sealmatch" --pairs "$SET/manifest.csv" --root "$SET" --threads 1 --figures \
	>"$OUT/figures.csv"
# The evaluated interface: pair_id,score,verdict.
cut -d, -f1-3 "$OUT/figures.csv" >"$OUT/scores.csv"
"$PY" "$SCORE_PY" --scores "$OUT/scores.csv" --set "$SET"

"$PY" - "$OUT/figures.csv" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]
# Each pair is one verification: decode the photo, then compare.
ms = [float(r['ms']) for r in rows]
cmp_us = [float(r['cmp_ms']) * 1000 for r in rows]
print('%-30s %.1f' % ('query_ms_median', pct(ms, 0.5)))
print('%-30s %.1f' % ('query_ms_p95', pct(ms, 0.95)))
print('%-30s %.0f' % ('comparison_us_median', pct(cmp_us, 0.5)))
PYEOF

echo "== named peers (OpenCV img_hash)"
if [ -f "$ROOT/bench/peers_match.py" ]; then
	"$PY" "$ROOT/bench/peers_match.py" --set "$SET" --score-py "$SCORE_PY"
fi
