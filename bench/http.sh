#!/bin/sh
# HTTP benchmark (issue 3): sealregd's GET /v1/seals/{random code} against
# nginx serving a static JSON file of the same size, same machine, same run,
# alternating the two, at 64 and 256 keep-alive connections.
#
#   BIN=bin BUILD=build bench/http.sh        (SEALS=1000000 DURATION=10 ROUNDS=2)
#
# THREADS=N I/O threads; FRESH_LOG=1 (default) starts each run with an empty
# verification log (it grows by a row per lookup, ~300 bytes, and its cost
# per row grows with it: runs compare only from the same start); NOLOG=1
# adds a third server, sealregd with --query-log 0, to show the log's cost.
#
# Reports req/s, p50/p99 latency and the server's CPU microseconds per
# request (utime+stime of the server's processes over the run / requests).
set -eu
BIN=${BIN:-bin}
BUILD=${BUILD:-build}
SEALS=${SEALS:-1000000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-1}
WORK=$BUILD/bench-http
REG=$WORK/registry-$SEALS
export CODES=$WORK/codes-$SEALS.txt
mkdir -p "$WORK"

if [ ! -f "$REG/data.mdb" ]; then
	echo "== building a registry of $SEALS seals (once; cached in $REG)"
	rm -rf "$REG"
	"$BUILD/bench/fill_registry" "$REG" "$SEALS" "$CODES"
fi

pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if [ "${FRESH_LOG:-1}" = 1 ]; then
	rm -rf "$REG/verifications"
fi

# start_sealregd OUTFILE FLAGS...: start sealregd on a free port; sets spid, sport.
start_sealregd() {
	out=$1
	shift
	"$BIN/sealregd" --db "$REG" --listen 127.0.0.1:0 --threads "$THREADS" --rate 100000000 \
		--burst 100000000 --access-log 0 "$@" --log "$WORK/sealregd.log" >"$out" 2>&1 &
	spid=$!
	pids="$pids $spid"
	for i in $(seq 50); do
		grep -q 'listening on' "$out" 2>/dev/null && break
		sleep 0.1
	done
	sport=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$out" | head -1)
	[ -n "$sport" ] || { echo "sealregd did not start:"; cat "$out"; exit 1; }
}

# sealregd, rate limit out of the way, log to a file.  No access log (nginx
# has access_log off); the verification log stays on (a product requirement:
# every lookup is recorded).  EXTRA adds flags (e.g. EXTRA="--query-log 0").
start_sealregd "$WORK/sealregd.out" --query-log 1 ${EXTRA:-}
if [ "${NOLOG:-0}" = 1 ]; then
	lpid=$spid
	lport=$sport
	start_sealregd "$WORK/sealregd-nolog.out" --query-log 0 ${EXTRA:-}
	npid_nolog=$spid
	nport_nolog=$sport
	spid=$lpid
	sport=$lport
fi

# nginx, one worker, serving one JSON answer of the same size for any path.
code=$(head -1 "$CODES")
curl -s "http://127.0.0.1:$sport/v1/seals/$code" >"$WORK/seal.json"
nport=$((sport + 2))
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $PWD/$WORK/nginx/nginx.pid;
error_log $PWD/$WORK/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 100000000;
	client_body_temp_path $PWD/$WORK/nginx;
	server {
		listen 127.0.0.1:$nport;
		default_type application/json;
		location / { root $PWD/$WORK; try_files /seal.json =404; }
	}
}
CONF
nginx -c "$PWD/$WORK/nginx/nginx.conf" &
npid=$!
pids="$pids $npid"
sleep 0.5

# cpu_ticks PID...: utime+stime of the processes and their threads, in clock ticks.
cpu_ticks() {
	t=0
	for p in "$@"; do
		for c in $(pgrep -P "$p" 2>/dev/null) "$p"; do
			v=$(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)
			t=$((t + v))
		done
	done
	echo "$t"
}
hz=$(getconf CLK_TCK)

# Warm both (map pages, caches).
wrk -t1 -c16 -d3 -s bench/http-random.lua "http://127.0.0.1:$sport" >/dev/null
wrk -t1 -c16 -d3 -s bench/http-random.lua "http://127.0.0.1:$nport" >/dev/null
servers="nginx sealregd"
if [ "${NOLOG:-0}" = 1 ]; then
	wrk -t1 -c16 -d3 -s bench/http-random.lua "http://127.0.0.1:$nport_nolog" >/dev/null
	servers="nginx sealregd sealregd-nolog"
fi

printf '%-14s %5s %10s %9s %9s %12s\n' server conns 'req/s' p50 p99 'cpu us/req'
results=$WORK/results.txt
: >"$results"
for conns in 64 256; do
	for round in $(seq "$ROUNDS"); do
		for who in $servers; do
			case $who in
			nginx) port=$nport pid=$npid ;;
			sealregd) port=$sport pid=$spid ;;
			*) port=$nport_nolog pid=$npid_nolog ;;
			esac
			c0=$(cpu_ticks "$pid")
			out=$(wrk -t1 -c"$conns" -d"$DURATION" --latency -s bench/http-random.lua \
				"http://127.0.0.1:$port")
			c1=$(cpu_ticks "$pid")
			reqs=$(echo "$out" | awk '/requests in/ {print $1}')
			rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
			p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
			p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
			errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
			us=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v r="$reqs" \
				'BEGIN {printf "%.1f", c * 1e6 / hz / r}')
			printf '%-14s %5s %10s %9s %9s %12s %s\n' "$who" "$conns" "$rps" "$p50" "$p99" \
				"$us" "$errs"
			echo "$who $conns $rps $us" >>"$results"
		done
	done
done
echo
# Medians over the rounds (the machine is shared: single runs jump).
awk '
function median(key, field,    i, j, t, m, v) {
	m = n[key]
	for (i = 1; i <= m; i++) v[i] = val[key, field, i]
	for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
	return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
}
{ k = $1 " " $2; n[k]++; val[k, "r", n[k]] = $3; val[k, "u", n[k]] = $4 }
END {
	for (c = 64; c <= 256; c *= 4) {
		kn = "nginx " c; ks = "sealregd " c; kl = "sealregd-nolog " c
		if (!n[kn] || !n[ks]) continue
		rn = median(kn, "r"); rs = median(ks, "r"); un = median(kn, "u"); us = median(ks, "u")
		printf "%d connections (medians of %d): sealregd %.0f req/s vs nginx %.0f (ratio %.2f); cpu %.1f vs %.1f us/req (ratio %.2f)", c, n[ks], rs, rn, rs / rn, us, un, us / un
		if (n[kl]) printf "; without the verification log %.0f req/s, %.1f us/req", median(kl, "r"), median(kl, "u")
		printf "\n"
	}
}' "$results"
