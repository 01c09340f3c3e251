#!/bin/bash
# bench/preview.sh: how soon the windows show the whole picture, with the
# progressive preview and without it (not part of `make test`).
#
#   bench/preview.sh [--json] [--runs N] [--quick]
#
# Needs an X display: run it under xvfb-run, e.g.
#   xvfb-run -a -s '-screen 0 1600x900x24' bench/preview.sh
# Each run starts 3 windowed peers (p2pfractal-test, 480x270 windows,
# --exit-when-done) on one job of BENCH_VIEW (default --size 960x540 of the
# default view), the second and third joining the first, twice: with the
# preview, and with P2PF_TEST_NO_PREVIEW=1 (the window before it), in
# alternating order. A window is "whole" once >= 90% of its image area is
# out of the "missing" grey: at its `preview` event (the coarse picture
# covers the image) or at the slice_done that brings 90% of the tiles
# here (tiles are equal to within a pixel a side), whichever is first.
# From the first peer's `job_started`:
#   first  until the first peer's window is whole; and the % of the tiles
#          it had then (the issue's bar: <= 10%)
#   all    until every window is whole (the joiners' start included); and
#          the most tiles any had then, %
#   done   until every peer's `job_done`
# and all / done, within each run; and done with the preview / without it,
# the two of the same run. Medians and [min-max] over RUNS runs
# (default 5). --quick: 320x180, 1 run, to check the script works.
set -u
P2PF_BIN=${P2PF_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/app/p2pfractal-test}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

VIEW=${BENCH_VIEW:---size 960x540}
RUNS=5
TIMEOUT=${BENCH_TIMEOUT:-300}

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
    --quick)
        VIEW="--size 320x180"
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
[ -n "${DISPLAY:-}" ] || die "no X display: run it under xvfb-run (see --help)"

# wpeer I MODE ARGS...: windowed peer I (log $DIR/I.jsonl), its window
# 480x270 at column I; MODE "off" turns the preview off.
wpeer () {
    local i=$1 mode=$2
    shift 2
    local env=(env)
    [ "$mode" = off ] && env+=(P2PF_TEST_NO_PREVIEW=1)
    spawn "p$i" "${env[@]}" "$BIN" peer --log-json "$DIR/$i.jsonl" -o "$DIR/$i-$mode.png" \
        --geometry "480x270+$((i * 500))+0" --exit-when-done "$@"
    if [ "$i" = 0 ]; then wait_port; fi
}

# shown FILE K: the Unix ms of the first of FILE's `preview` and its
# ceil(0.9 K)-th slice_done; then the slices done by then.
shown () {
    local need=$((($2 * 9 + 9) / 10)) a b
    a=$(stamps preview "$1" | head -1)
    b=$(stamps slice_done "$1" | sed -n "${need}p")
    [ -n "$a" ] && { [ -z "$b" ] || [ "$a" -lt "$b" ]; } && b=$a
    echo "$b $(stamps slice_done "$1" | awk -v t="$b" '$1 <= t { n++ } END { print n + 0 }')"
}

# add NAME.MODE VALUE: one more figure.
add () { echo "$2" >>"$DIR/$1"; }

# one MODE: a run, its figures appended to $DIR/*.MODE.
one () {
    local mode=$1 i t0 k s n d all=0 done=0 tiles=0
    rm -f "$DIR"/*.jsonl
    # shellcheck disable=SC2046
    wpeer 0 "$mode" $(words "$VIEW")
    for i in 1 2; do
        wpeer "$i" "$mode" --join "127.0.0.1:$PORT"
    done
    wait_all || exit 1
    t0=$(stamps job_started "$DIR/0.jsonl" | head -1)
    k=$(num "$DIR/0.jsonl" job_started slices)
    for i in 0 1 2; do
        read -r s n < <(shown "$DIR/$i.jsonl" "$k")
        d=$(($(stamps job_done "$DIR/$i.jsonl" | head -1) - t0))
        if [ "$i" = 0 ]; then
            add "first.$mode" "$(secs "$s" "$t0")"
            add "ftiles.$mode" "$(awk -v n="$n" -v k="$k" 'BEGIN { printf "%.1f\n", 100 * n / k }')"
        fi
        [ $((s - t0)) -gt "$all" ] && all=$((s - t0))
        [ "$n" -gt "$tiles" ] && tiles=$n
        [ "$d" -gt "$done" ] && done=$d
    done
    add "all.$mode" "$(secs "$all" 0)"
    add "tiles.$mode" "$(awk -v n="$tiles" -v k="$k" 'BEGIN { printf "%.1f\n", 100 * n / k }')"
    add "done.$mode" "$(secs "$done" 0)"
    add "frac.$mode" "$(awk -v a="$all" -v b="$done" 'BEGIN { printf "%.4f\n", a / b }')"
    say "run $r, preview $mode: $k tiles; the first window whole in" \
        "$(tail -1 "$DIR/first.$mode") s ($(tail -1 "$DIR/ftiles.$mode")% of the tiles here)," \
        "every window in $(tail -1 "$DIR/all.$mode") s (at most $(tail -1 "$DIR/tiles.$mode")%);" \
        "done in $(tail -1 "$DIR/done.$mode") s"
}

FIGURES="first ftiles all tiles done frac"
for f in $FIGURES; do : >"$DIR/$f.on"; : >"$DIR/$f.off"; done
for r in $(seq "$RUNS"); do
    if [ $((r % 2)) = 1 ]; then one on; one off; else one off; one on; fi
done
ratio "$DIR/done.on" "$DIR/done.off" >"$DIR/cost"
rows=()
for mode in on off; do
    row="{\"preview\":\"$mode\""
    for f in $FIGURES; do row+=",\"$f\":$(json_stats "$DIR/$f.$mode")"; done
    rows+=("$row}")
done
{
    echo "== preview: 3 windowed peers, $VIEW; $RUNS run(s), median [min-max]"
    echo "   first: the first peer's window whole (s from job_started; % of the tiles here then);"
    echo "   all: every window whole (s; the most tiles any had then, %); done: every job_done (s)"
    printf '%-8s %-20s %-20s %-20s %-20s %-20s %-22s\n' preview "first s" "first tiles %" \
        "all s" "all tiles %" "done s" "all / done"
    for mode in on off; do
        printf '%-8s %-20s %-20s %-20s %-20s %-20s %-22s\n' "$mode" "$(fmt_stats "$DIR/first.$mode")" \
            "$(fmt_stats "$DIR/ftiles.$mode")" "$(fmt_stats "$DIR/all.$mode")" \
            "$(fmt_stats "$DIR/tiles.$mode")" "$(fmt_stats "$DIR/done.$mode")" \
            "$(fmt_stats "$DIR/frac.$mode")"
    done
    echo "done with / without the preview, same run: $(fmt_stats "$DIR/cost")"
} | table
emit "$(printf '{"section":"preview","view":%s,"runs":%d,"machine":%s,"rows":[%s],"done_on_over_off":%s}' \
    "$(json_str "$VIEW")" "$RUNS" "$(machine_json)" "$(IFS=,; echo "${rows[*]}")" \
    "$(json_stats "$DIR/cost")")"
