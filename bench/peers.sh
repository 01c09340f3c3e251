#!/bin/bash
# bench/peers.sh: end-to-end figures of the distributed renderer, on this
# machine, over 127.0.0.1 (not part of `make test`):
#
#   bench/peers.sh speedup  [RUNS]  one job by `render --threads 1`, by 1 and
#                                   2 peers and by the client/server baseline
#                                   with 2 workers (each --threads 1)
#   bench/peers.sh recovery [RUNS]  5 peers; SIGKILL the master mid-job; time
#                                   to the first slice a new master assigns,
#                                   and to every survivor's job_done
#   bench/peers.sh unbalance [RUNS] 4 peers, one at --throttle 3: busy time
#                                   max - min over the mean (the seed's metric)
#
# Every run's figures go to stdout as one line; the last line of each
# section is the median and range. The view is the default one at 960x540
# (BENCH_VIEW overrides). Every process started is stopped on exit.
set -u
BIN=${P2PF_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/app/p2pfractal}
VIEW=${BENCH_VIEW:---size 960x540}
DIR=$(mktemp -d)
PIDS=()

cleanup () {
    [ ${#PIDS[@]} -gt 0 ] && kill -KILL "${PIDS[@]}" 2>/dev/null
    wait 2>/dev/null
    if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: logs kept in $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT INT TERM

now_ms () { date +%s%3N; }

# secs T1 T0: (T1 - T0) ms in seconds.
secs () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", (a - b) / 1000 }'; }

# stop_all: SIGTERM every process started, wait for them.
stop_all () {
    [ ${#PIDS[@]} -gt 0 ] && kill -TERM "${PIDS[@]}" 2>/dev/null
    wait 2>/dev/null
    PIDS=()
}

# field FILE EVENT KEY: KEY of the first EVENT line in FILE.
field () {
    sed -n "s/.*\"event\":\"$2\".*\"$3\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$1" 2>/dev/null | head -1
}

# wait_for FILE... : until each holds a job_done event (60 s at most).
wait_done () {
    local end=$(($(now_ms) + 60000)) f
    for f in "$@"; do
        until grep -q '"event":"job_done"' "$f" 2>/dev/null; do
            [ "$(now_ms)" -gt $end ] && { echo "bench: $f: no job_done in 60 s" >&2; return 1; }
            sleep 0.02
        done
    done
}

# wait_exit: every process started has exited (each peer --exit-when-done).
wait_exit () {
    local p rc=0
    for p in "${PIDS[@]}"; do
        wait "$p" || rc=1
    done
    PIDS=()
    [ $rc -eq 0 ] || echo "bench: a peer failed; logs in $DIR" >&2
    return $rc
}

# last_done I...: the latest job_done stamp (Unix ms) in logs I...
last_done () {
    local i
    for i in "$@"; do
        sed -n 's/^{"t":\([0-9]*\),.*"event":"job_done".*/\1/p' "$DIR/$i.jsonl"
    done | sort -n | tail -1
}

# peer I ARGS...: start a peer logging to $DIR/I.jsonl; sets PORT for I=0.
peer () {
    local i=$1
    shift
    (cd "$DIR" && exec "$BIN" peer --headless --log-json "$DIR/$i.jsonl" -o "$DIR/$i.png" \
        "$@" 2>"$DIR/$i.log") &
    PIDS+=($!)
    if [ "$i" = 0 ]; then
        local end=$(($(now_ms) + 10000))
        PORT=""
        until [ -n "$PORT" ]; do
            PORT=$(field "$DIR/0.jsonl" started port)
            [ "$(now_ms)" -gt $end ] && { echo "bench: peer 0 did not start" >&2; exit 1; }
            [ -n "$PORT" ] || sleep 0.01
        done
    fi
}

# stats: median, min, max of numbers on stdin.
stats () {
    sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "no data"; exit }
        m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "median %.3f  min %.3f  max %.3f  (n=%d)\n", m, a[1], a[NR], NR }'
}

speedup () {
    local runs=$1 r t0 t1
    : >"$DIR/render.t"; : >"$DIR/render2.t"; : >"$DIR/p1.t"; : >"$DIR/p2.t"; : >"$DIR/cs.t"
    for r in $(seq "$runs"); do
        rm -f "$DIR"/*.jsonl
        t0=$(now_ms)
        # shellcheck disable=SC2086
        "$BIN" render $VIEW --threads 1 -q -o "$DIR/ref.png" || exit 1
        t1=$(now_ms)
        secs $t1 $t0 >>"$DIR/render.t"
        # The machine's own ceiling for two workers: one process, 2 threads.
        t0=$(now_ms)
        # shellcheck disable=SC2086
        "$BIN" render $VIEW --threads 2 -q -o "$DIR/ref2.png" || exit 1
        t1=$(now_ms)
        secs $t1 $t0 >>"$DIR/render2.t"

        # Peers leave once their PNG is written; the time is the last
        # job_done's stamp (no polling beside the peers: on 2 cores it would
        # cost them CPU).
        t0=$(now_ms)
        # shellcheck disable=SC2086
        peer 0 $VIEW --threads 1 --exit-when-done
        wait_exit || exit 1
        secs "$(last_done 0)" $t0 >>"$DIR/p1.t"
        rm -f "$DIR"/*.jsonl

        t0=$(now_ms)
        # shellcheck disable=SC2086
        peer 0 $VIEW --threads 1 --exit-when-done
        peer 1 --threads 1 --exit-when-done --join "127.0.0.1:$PORT"
        wait_exit || exit 1
        secs "$(last_done 0 1)" $t0 >>"$DIR/p2.t"

        t0=$(now_ms)
        # shellcheck disable=SC2086
        "$BIN" master --port 0 --workers 2 $VIEW --quiet -o "$DIR/cs.png" >"$DIR/cs.out" &
        local mpid=$!
        PIDS+=($mpid)
        local ep=""
        until [ -n "$ep" ]; do
            ep=$(sed -n 's/^listening endpoint=tcp:\/\/\(.*\)/\1/p' "$DIR/cs.out")
            [ -n "$ep" ] || sleep 0.01
        done
        "$BIN" worker --connect "$ep" --threads 1 --quiet &
        PIDS+=($!)
        "$BIN" worker --connect "$ep" --threads 1 --quiet &
        PIDS+=($!)
        wait "$mpid"
        t1=$(now_ms)
        stop_all
        secs $t1 $t0 >>"$DIR/cs.t"
        printf 'run %d: render %s s (2 threads %s s), 1 peer %s s, 2 peers %s s, client/server 2 workers %s s\n' \
            "$r" "$(tail -1 "$DIR/render.t")" "$(tail -1 "$DIR/render2.t")" "$(tail -1 "$DIR/p1.t")" \
            "$(tail -1 "$DIR/p2.t")" "$(tail -1 "$DIR/cs.t")"
    done
    echo "render --threads 1:        $(stats <"$DIR/render.t")"
    echo "render --threads 2:        $(stats <"$DIR/render2.t")"
    echo "1 peer:                    $(stats <"$DIR/p1.t")"
    echo "2 peers:                   $(stats <"$DIR/p2.t")"
    echo "client/server, 2 workers:  $(stats <"$DIR/cs.t")"
    paste "$DIR/p1.t" "$DIR/p2.t" | awk '{ print $1 / $2 }' >"$DIR/sp.t"
    paste "$DIR/p2.t" "$DIR/cs.t" | awk '{ print $1 / $2 }' >"$DIR/pc.t"
    echo "speed-up 2 peers vs 1:     $(stats <"$DIR/sp.t")"
    paste "$DIR/render.t" "$DIR/render2.t" | awk '{ print $1 / $2 }' >"$DIR/rr.t"
    echo "speed-up render 2 thr vs 1: $(stats <"$DIR/rr.t")"
    echo "2 peers / client-server:   $(stats <"$DIR/pc.t")"
}

# The node id of the peer whose log's last role event says master.
master_index () {
    local i
    for i in "$@"; do
        if sed -n 's/.*"event":"role".*"master":\(true\|false\).*/\1/p' "$DIR/$i.jsonl" |
            tail -1 | grep -q true; then
            echo "$i"
            return
        fi
    done
}

recovery () {
    local runs=$1 r i m kill_t first done_t
    : >"$DIR/rec.t"; : >"$DIR/done.t"
    for r in $(seq "$runs"); do
        rm -f "$DIR"/*.jsonl
        # shellcheck disable=SC2086
        peer 0 $VIEW --threads 1 --throttle 3
        for i in 1 2 3 4; do
            peer "$i" --threads 1 --throttle 3 --join "127.0.0.1:$PORT"
        done
        # Mid-job: every peer has the job, a quarter of the slices are done.
        local end=$(($(now_ms) + 60000))
        until [ "$(cat "$DIR"/[0-4].jsonl | grep -c '"event":"job_started"')" -ge 5 ] &&
            [ "$(grep -c '"event":"slice_done"' "$DIR/0.jsonl")" -ge 32 ]; do
            [ "$(now_ms)" -gt $end ] && { echo "bench: job did not progress" >&2; exit 1; }
            sleep 0.01
        done
        m=$(master_index 0 1 2 3 4)
        [ -n "$m" ] || { echo "bench: no master found" >&2; exit 1; }
        kill_t=$(now_ms)
        { kill -KILL "${PIDS[$m]}" && wait "${PIDS[$m]}"; } 2>/dev/null
        local logs=()
        for i in 0 1 2 3 4; do
            [ "$i" = "$m" ] || logs+=("$DIR/$i.jsonl")
        done
        wait_done "${logs[@]}" || exit 1
        done_t=$(now_ms)
        first=$(cat "${logs[@]}" | grep '"event":"slice_assigned"' |
            sed -n 's/^{"t":\([0-9]*\),.*/\1/p' | awk -v k="$kill_t" '$1 > k' | sort -n | head -1)
        stop_all
        secs $first $kill_t >>"$DIR/rec.t"
        secs $done_t $kill_t >>"$DIR/done.t"
        printf 'run %d: master (peer %d) killed; first new assignment after %s s, all done after %s s\n' \
            "$r" "$m" "$(tail -1 "$DIR/rec.t")" "$(tail -1 "$DIR/done.t")"
    done
    echo "kill -> first new assignment: $(stats <"$DIR/rec.t")"
    echo "kill -> every survivor done:  $(stats <"$DIR/done.t")"
}

unbalance () {
    local runs=$1 r i
    : >"$DIR/unb.t"
    for r in $(seq "$runs"); do
        rm -f "$DIR"/*.jsonl
        # shellcheck disable=SC2086
        peer 0 $VIEW --threads 1 --exit-when-done
        peer 1 --threads 1 --exit-when-done --join "127.0.0.1:$PORT"
        peer 2 --threads 1 --exit-when-done --join "127.0.0.1:$PORT"
        peer 3 --threads 1 --exit-when-done --throttle 3 --join "127.0.0.1:$PORT"
        wait_exit || exit 1
        local busy=""
        for i in 0 1 2 3; do
            busy="$busy $(field "$DIR/$i.jsonl" job_done busy_s)"
        done
        echo "$busy" | awk '{ mn = $1; mx = $1; s = 0
            for (i = 1; i <= NF; i++) { s += $i; if ($i < mn) mn = $i; if ($i > mx) mx = $i }
            print (mx - mn) / (s / NF) }' >>"$DIR/unb.last"
        tail -1 "$DIR/unb.last" >>"$DIR/unb.t"
        printf 'run %d: busy s per peer (last one throttled 3x):%s; unbalance %s\n' \
            "$r" "$busy" "$(tail -1 "$DIR/unb.t")"
    done
    echo "unbalance (max-min)/mean: $(stats <"$DIR/unb.t")"
}

[ -x "$BIN" ] || { echo "bench: $BIN is missing: run 'make build' first" >&2; exit 1; }
case "${1:-}" in
speedup) speedup "${2:-5}" ;;
recovery) recovery "${2:-10}" ;;
unbalance) unbalance "${2:-5}" ;;
*)
    sed -n '2,14s/^# \{0,1\}//p' "$0"
    exit 2
    ;;
esac
