#!/bin/bash
# bench/plot.sh: the benchmarks' JSON (bench/run.sh --json FILE, or the
# --json output of bench/peers.sh and bench/overlay.sh: one object per
# line) to PNGs, with gnuplot and jq.
#
#   bench/plot.sh FILE.json [OUTDIR]       (OUTDIR default: docs)
#
# Writes, for each section present in FILE:
#   bench-e2e.png       wall time vs workers: peers, client/server, render
#   bench-slices.png    wall and CPU time vs slice count (4 peers)
#   bench-recovery.png  SIGKILL of the master / the root: time to the new
#                       master, the first assignment, every survivor done
#   bench-traffic.png   bytes per peer / image bytes vs peers, the root's,
#                       the client/server master's, and the N x line a
#                       server would need to give N clients the image
# Points are medians, bars the range over the runs.
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
    exit 2
fi
IN=$1
OUT=${2:-$(cd "$(dirname "$0")/.." && pwd)/docs}
for tool in gnuplot jq; do
    command -v $tool >/dev/null || {
        echo "plot: $tool is missing (apt-get install gnuplot-nox jq)" >&2
        exit 1
    }
done
[ -r "$IN" ] || {
    echo "plot: cannot read $IN" >&2
    exit 1
}
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# section NAME: the last object of that section in IN ("" if none).
section () { jq -c "select(.section == \"$1\")" "$IN" | tail -1; }

# A stats object as "median min max" (or "? ? ?" for null, which gnuplot
# skips).
JQ_S='def s: if . == null then "? ? ?" else "\(.median) \(.min) \(.max)" end;'

COMMON='set terminal pngcairo size 900,560 font ",11"
set grid
set key top right box opaque
set style data yerrorlines
set bars 2'

plotted=0
sec=$(section e2e)
if [ -n "$sec" ]; then
    jq -r "$JQ_S"' .rows[] | select(.config == "p2p") | "\(.workers) \(.wall_s | s)"' <<<"$sec" >"$TMP/p2p"
    jq -r "$JQ_S"' .rows[] | select(.config == "client-server") | "\(.workers) \(.wall_s | s)"' <<<"$sec" >"$TMP/cs"
    r1=$(jq -r '.rows[] | select(.config == "render") | .wall_s.median' <<<"$sec")
    r2=$(jq -r '.rows[] | select(.config == "render-2-threads") | .wall_s.median' <<<"$sec")
    view=$(jq -r .view <<<"$sec")
    gnuplot <<EOF
$COMMON
set output "$OUT/bench-e2e.png"
set title "One job ($view): wall time vs workers (each --threads 1), 2 vCPUs"
set xlabel "peers / workers"
set ylabel "wall time (s)"
set logscale x 2
set xrange [0.8:10]
set yrange [0:*]
plot "$TMP/p2p" using 1:2:3:4 title "P2P peers" lw 2 pt 7, \
     "$TMP/cs" using 1:2:3:4 title "master + workers" lw 2 pt 5, \
     $r1 with lines dt 2 lw 2 title "render --threads 1", \
     $r2 with lines dt 3 lw 2 title "render --threads 2"
EOF
    plotted=$((plotted + 1))
fi

sec=$(section slices)
if [ -n "$sec" ]; then
    jq -r "$JQ_S"' .rows[] | "\(.slices) \(.wall_s | s) \(.cpu_s | s)"' <<<"$sec" >"$TMP/slices"
    r1=$(jq -r '.render.wall_s.median' <<<"$sec")
    title=$(jq -r '"\(.peers) peers (\(.view)), --threads 1"' <<<"$sec")
    gnuplot <<EOF
$COMMON
set output "$OUT/bench-slices.png"
set title "Time vs slice count: $title"
set xlabel "slices"
set ylabel "seconds"
set logscale x 2
set yrange [0:*]
plot "$TMP/slices" using 1:2:3:4 title "wall time" lw 2 pt 7, \
     "$TMP/slices" using 1:5:6:7 title "CPU time, all peers" lw 2 pt 5, \
     $r1 with lines dt 2 lw 2 title "render --threads 1 (wall)"
EOF
    plotted=$((plotted + 1))
fi

sec=$(section recovery)
if [ -n "$sec" ]; then
    jq -r "$JQ_S"' .rows[] | "\(.killed) \(.master_elected_s | s) \(.first_assignment_s | s) \(.new_root_s | s) \(.all_done_s | s)"' <<<"$sec" |
        awk '{ print NR - 1, $0 }' >"$TMP/rec"
    title=$(jq -r '"\(.peers) peers (\(.view), --throttle \(.throttle)), \(.runs) runs"' <<<"$sec")
    gnuplot <<EOF
$COMMON
set output "$OUT/bench-recovery.png"
set title "SIGKILL mid-job: $title"
set ylabel "seconds after the kill"
set xrange [-0.6:1.6]
set yrange [0:*]
set xtics ("master killed" 0, "root killed" 1)
set style data yerrorbars
plot "$TMP/rec" using (\$1-0.15):3:4:5 title "master elected" lw 2 pt 7, \
     "$TMP/rec" using (\$1-0.05):6:7:8 title "first assignment" lw 2 pt 5, \
     "$TMP/rec" using (\$1+0.05):9:10:11 title "a new root" lw 2 pt 9, \
     "$TMP/rec" using (\$1+0.15):12:13:14 title "every survivor done" lw 2 pt 11
EOF
    plotted=$((plotted + 1))
fi

sec=$(section traffic)
if [ -n "$sec" ]; then
    jq -r "$JQ_S"' .rows[] | "\(.peers) \(.recv_per_peer_median | s) \(.recv_per_peer_max | s) \(.sent_per_peer_max | s) \(.root_sent | s) \(.cs_master_recv | s)"' <<<"$sec" >"$TMP/traffic"
    title=$(jq -r '"\(.view), image = \(.image_bytes) bytes (W*H*4)"' <<<"$sec")
    gnuplot <<EOF
$COMMON
set output "$OUT/bench-traffic.png"
set title "Traffic per process / image bytes: $title"
set xlabel "peers (client/server: workers)"
set ylabel "bytes / image bytes"
set logscale xy 2
set key top left
plot "$TMP/traffic" using 1:2:3:4 title "received per peer (median)" lw 2 pt 7, \
     "$TMP/traffic" using 1:5:6:7 title "received per peer (max)" lw 2 pt 5, \
     "$TMP/traffic" using 1:8:9:10 title "sent per peer (max)" lw 2 pt 9, \
     "$TMP/traffic" using 1:11:12:13 title "sent by the root" lw 2 pt 11, \
     "$TMP/traffic" using 1:14:15:16 title "client/server master received" lw 2 pt 13 dt 2, \
     x with lines dt 4 lw 1 lc "black" title "N x image: a server sending it to N clients"
EOF
    plotted=$((plotted + 1))
fi

[ $plotted -gt 0 ] || {
    echo "plot: no e2e, slices, recovery or traffic section in $IN" >&2
    exit 1
}
echo "plot: $plotted chart(s) in $OUT"
