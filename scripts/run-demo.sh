#!/bin/sh
# make run: seed the demo registry in ./demo/ if absent, then serve it.
#   scripts/run-demo.sh [extra sealregd options]
# Builds are make's job; this only runs bin/sealdemo (once) and bin/sealregd
# on 127.0.0.1:8080 (LISTEN=host:port to change), printing the URLs and the
# demo tokens from demo/tokens.txt.  Ctrl-C stops the daemon cleanly.
set -eu
BIN=${BIN:-bin}
LISTEN=${LISTEN:-127.0.0.1:8080}
DEMO=${DEMO:-demo}

if [ ! -x "$BIN/sealregd" ]; then
	echo "run-demo: $BIN/sealregd is missing; run make first" >&2
	exit 1
fi
if [ ! -f "$DEMO/registry/data.mdb" ]; then
	if [ ! -x "$BIN/sealdemo" ]; then
		echo "run-demo: $BIN/sealdemo is missing; cannot seed $DEMO/registry" >&2
		exit 1
	fi
	mkdir -p "$DEMO"
	echo "run-demo: seeding a demo registry in $DEMO/registry ..."
	# Seed aside and move into place, so an interrupted seeding is redone.
	rm -rf "$DEMO/registry.tmp" "$DEMO/registry"
	"$BIN/sealdemo" --db "$DEMO/registry.tmp" --tokens "$DEMO/tokens.txt"
	mv "$DEMO/registry.tmp" "$DEMO/registry"
fi

url="http://$LISTEN"
cat <<EOT

  Seal registry demo
  citizen page   $url/
  engraver page  $url/engraver
  police page    $url/police
  API            $url/v1/seals/{code}    (docs/openapi.yaml)
  health         $url/healthz   metrics $url/metrics

EOT
if [ -f "$DEMO/tokens.txt" ]; then
	echo "  demo tokens (role scope token):"
	grep -v '^#' "$DEMO/tokens.txt" | sed 's/^/    /'
	echo
fi
echo "  Ctrl-C to stop."
echo
exec "$BIN/sealregd" --db "$DEMO/registry" --listen "$LISTEN" --host "$LISTEN" \
	--web web-static "$@"
