#!/bin/sh
# measure-conns.sh N [SETTLE_S]: start N `p2pfractal node` processes on
# 127.0.0.1 joined into one ring, wait SETTLE_S seconds (default 20: long
# enough for two connection prunes), and print the open connections
# (DEALERs) per node: min, median and max of each node's last `conns n=`.
# Every process it starts is stopped on exit.
set -eu
N=${1:?usage: measure-conns.sh N [SETTLE_S]}
SETTLE=${2:-20}
BIN=${P2PF_BIN:-$(dirname "$0")/../build/app/p2pfractal}
DIR=$(mktemp -d)
PIDS=""
cleanup () {
    # shellcheck disable=SC2086
    [ -n "$PIDS" ] && kill $PIDS 2>/dev/null
    wait 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

"$BIN" node --port 0 >"$DIR/0.log" &
PIDS=$!
i=0
until grep -q '^started' "$DIR/0.log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 100 ] && { echo "measure-conns: first node did not start" >&2; exit 1; }
    sleep 0.1
done
EP=$(sed -n 's/^started endpoint=tcp:\/\/\([^ ]*\) .*/\1/p' "$DIR/0.log")
k=1
while [ $k -lt "$N" ]; do
    "$BIN" node --port 0 --join "$EP" >"$DIR/$k.log" &
    PIDS="$PIDS $!"
    k=$((k + 1))
done
sleep "$SETTLE"
k=0
while [ $k -lt "$N" ]; do
    grep '^conns' "$DIR/$k.log" | tail -1 | sed 's/conns n=//'
    k=$((k + 1))
done | sort -n | awk -v n="$N" '{ a[NR] = $1 }
    END { printf "nodes %d: connections min %d median %d max %d\n", n, a[1], a[int((NR + 1) / 2)], a[NR] }'
