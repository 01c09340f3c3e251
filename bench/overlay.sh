#!/bin/bash
# bench/overlay.sh: the overlay on the simulator at 1k, 10k and 100k nodes
# (not part of `make test`).
#
#   bench/overlay.sh [--json] [--runs N] [--runs-100k N] [--skip-100k] [--quick]
#
# Each size runs `p2pfractal sim --nodes N --seed 1 --json` RUNS times
# (default 3; 100k nodes and more: --runs-100k, default 1; the same seed
# gives the same hops and messages, so the runs only vary the wall time)
# and reports average and maximum hops,
# messages per node, the wall time and virtual time : real time
# (virtual_ms / wall_ms). 100k nodes take ~2 min and ~3 GB each run:
# --skip-100k leaves them out; --quick runs 1k and 10k once. Sizes can be
# set with BENCH_SIM_NODES ("1000 10000 100000"). With --json, the table
# goes to stderr and stdout gets one JSON object.
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

NODES=${BENCH_SIM_NODES:-1000 10000 100000}
RUNS=3
RUNS_BIG=1
TIMEOUT=${BENCH_TIMEOUT:-900}

usage () {
    sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
    --json) JSON=1 ;;
    --runs)
        [ $# -ge 2 ] || usage
        RUNS=$2
        shift
        ;;
    --runs-100k)
        [ $# -ge 2 ] || usage
        RUNS_BIG=$2
        shift
        ;;
    --skip-100k) NODES=${NODES//100000/} ;;
    --quick)
        NODES=${BENCH_SIM_NODES:-1000 10000}
        RUNS=1
        ;;
    -h | --help) usage ;;
    *)
        echo "bench: unknown argument '$1' (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

# key LINE KEY: a number from sim's one-line JSON.
key () { sed -n "s/.*\"$2\": \\([0-9.]*\\).*/\\1/p" <<<"$1"; }

rows=()
for n in $NODES; do
    : >"$DIR/wall.$n"
    : >"$DIR/speed.$n"
    runs=$RUNS
    [ "$n" -ge 100000 ] && runs=$RUNS_BIG
    for r in $(seq "$runs"); do
        spawn "sim$n" "$BIN" sim --nodes "$n" --seed 1 --json
        wait_all || exit 1
        out=$(<"$PROC/sim$n.out")
        wall=$(key "$out" wall_ms)
        virt=$(key "$out" virtual_ms)
        awk -v w="$wall" 'BEGIN { printf "%.3f\n", w / 1000 }' >>"$DIR/wall.$n"
        awk -v w="$wall" -v v="$virt" 'BEGIN { if (w > 0) printf "%.1f\n", v / w }' >>"$DIR/speed.$n"
        say "sim run $r, $n nodes: avg hops $(key "$out" avg_hops), max $(key "$out" max_hops)," \
            "$(key "$out" messages_per_node) msgs/node, wall $(tail -1 "$DIR/wall.$n") s," \
            "virtual:real $(tail -1 "$DIR/speed.$n")"
    done
    printf '%s %s %s %s %s\n' "$n" "$(key "$out" avg_hops)" "$(key "$out" max_hops)" \
        "$(key "$out" messages_per_node)" "$(key "$out" delivered_ratio)" >>"$DIR/table"
    rows+=("$(printf '{"nodes":%d,"avg_hops":%s,"max_hops":%s,"messages_per_node":%s,"delivered_ratio":%s,"multicast_delivered_ratio":%s,"virtual_ms":%s,"wall_s":%s,"virtual_per_real":%s}' \
        "$n" "$(key "$out" avg_hops)" "$(key "$out" max_hops)" "$(key "$out" messages_per_node)" \
        "$(key "$out" delivered_ratio)" "$(key "$out" multicast_delivered_ratio)" \
        "$(key "$out" virtual_ms)" "$(json_stats "$DIR/wall.$n")" "$(json_stats "$DIR/speed.$n")")")
done
{
    echo "== overlay: p2pfractal sim --nodes N --seed 1; $RUNS run(s) each ($RUNS_BIG at 100k), median [min-max]"
    printf '%-8s %-9s %-9s %-10s %-10s %-24s %-24s\n' nodes "avg hops" "max hops" "msgs/node" \
        delivered "wall s" "virtual : real"
    while read -r n avg mx msgs del; do
        printf '%-8s %-9s %-9s %-10s %-10s %-24s %-24s\n' "$n" "$avg" "$mx" "$msgs" "$del" \
            "$(fmt_stats "$DIR/wall.$n")" "$(fmt_stats "$DIR/speed.$n")"
    done <"$DIR/table"
} | table
emit "$(printf '{"section":"overlay","seed":1,"runs":%d,"runs_100k":%d,"machine":%s,"rows":[%s]}' \
    "$RUNS" "$RUNS_BIG" "$(machine_json)" "$(IFS=,; echo "${rows[*]}")")"
