#!/bin/bash
# bench/run.sh: every end-to-end figure in one command (not part of
# `make test`). Build first: `make build` (or cmake ... -DCMAKE_BUILD_TYPE=Release).
#
#   bench/run.sh [--quick] [--skip-100k] [--json OUT] [--plot]
#
#   bench/run.sh --json bench.json --plot    the full set (see below), JSON
#                                            to bench.json, PNGs to docs/
#   bench/run.sh --quick                     tiny jobs, 1 run each: checks
#                                            that the scripts work (~1 min)
#
# The full set, in order (each line is also one command of its own):
#   bench/peers.sh e2e          5 runs  render, 1/2/4/8 peers, master + 1/2/4/8 workers
#   bench/peers.sh slices       5 runs  4 peers, 16..512 slices
#   bench/peers.sh recovery    10 runs  per target (master, root), 5 peers
#   bench/peers.sh traffic      3 runs  4, 16, 64 peers (320x180, 64 slices)
#   bench/peers.sh unbalance    5 runs  4 peers, one at --throttle 3
#   bench/overlay.sh            3 runs  sim at 1k, 10k, 100k nodes (--skip-100k)
#   bench/plot.sh OUT docs      the PNGs (with --plot and --json; to
#                               $BENCH_PLOT_DIR instead of docs/ if set)
# RUNS overrides every section's run count. The tables go to stdout (with
# --json, to stderr and the JSON objects, one a line, to OUT). Run it on a
# quiet machine: it is 2 vCPUs, and other work shows in every figure.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
QUICK=()
SKIP=()
OUT=""
PLOT=0
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=(--quick) ;;
    --skip-100k) SKIP=(--skip-100k) ;;
    --json)
        [ $# -ge 2 ] || { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 2; }
        OUT=$2
        shift
        ;;
    --plot) PLOT=1 ;;
    *)
        sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
        exit 2
        ;;
    esac
    shift
done
if [ $PLOT = 1 ] && [ -z "$OUT" ]; then
    echo "run: --plot needs --json OUT" >&2
    exit 2
fi

runs () { [ -n "${RUNS:-}" ] && echo "--runs $RUNS"; }
json=()
if [ -n "$OUT" ]; then
    json=(--json)
    : >"$OUT" || exit 1
fi

start=$(date +%s)
step () {
    echo "== $(date +%T) $*" >&2
    if [ -n "$OUT" ]; then "$@" >>"$OUT"; else "$@"; fi || {
        echo "run: '$*' failed" >&2
        exit 1
    }
}
# shellcheck disable=SC2046
{
    step "$HERE/peers.sh" "${QUICK[@]}" "${json[@]}" $(runs) e2e
    step "$HERE/peers.sh" "${QUICK[@]}" "${json[@]}" $(runs) slices
    step "$HERE/peers.sh" "${QUICK[@]}" "${json[@]}" $(runs) recovery
    step "$HERE/peers.sh" "${QUICK[@]}" "${json[@]}" $(runs) traffic
    step "$HERE/peers.sh" "${QUICK[@]}" "${json[@]}" $(runs) unbalance
    step "$HERE/overlay.sh" "${QUICK[@]}" "${SKIP[@]}" "${json[@]}" $(runs)
}
echo "run: done in $(($(date +%s) - start)) s" >&2
if [ $PLOT = 1 ]; then
    "$HERE/plot.sh" "$OUT" ${BENCH_PLOT_DIR:+"$BENCH_PLOT_DIR"} || exit 1
fi
exit 0
