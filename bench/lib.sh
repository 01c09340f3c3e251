# shellcheck shell=bash
# bench/lib.sh: helpers shared by the bench/*.sh scripts (sourced, not run).
#
# Processes: `spawn NAME CMD...` starts CMD in the background under a tiny
# bash wrapper that, once CMD has exited, writes CMD's own user+sys CPU
# seconds (bash `times`, children line) to $DIR/NAME.cpu and its exit
# status to $DIR/NAME.rc. SPAWNED is CMD's own PID (the one to signal);
# the wrapper is only waited for. Every process spawned is stopped on exit
# (SIGTERM, SIGKILL after 10 s). A watchdog (`deadline S`) SIGKILLs the
# processes of a run that outlives S seconds, so `wait_all` needs no
# polling beside the processes being measured (on 2 cores a polling
# script steals measurable CPU).
#
# Output: progress lines go to stderr; each section's table to stdout, or
# with --json (JSON=1) to stderr and one JSON object per section (one line)
# to stdout.

# Numbers are read and printed with a decimal point, whatever the user's
# locale (bash's `times` follows LC_NUMERIC).
export LC_ALL=C
BIN=${P2PF_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/app/p2pfractal}
JSON=${JSON:-0}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/p2pf-bench.XXXXXX")
PROC=$DIR/proc  # spawn's files: NAME.pid, .cpu, .rc, .out, .log
mkdir "$PROC"
REAL=()  # PIDs of the processes spawned (still to stop)
WRAP=()  # their wrappers' PIDs (to wait for)
declare -A REAL_OF WRAP_OF  # by name
WATCHDOG=""

cleanup () {
    trap - EXIT INT TERM
    stop_all
    if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: logs kept in $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die () {
    echo "bench: $*" >&2
    exit 1
}

# Unix time in ms, without a fork.
# file_ms FILE: its modification time in Unix ms.
file_ms () {
    local t
    t=$(stat -c %.3Y "$1") || die "no $1"
    echo "${t/./}"
}

now_ms () {
    local t=${EPOCHREALTIME/[.,]/}
    echo "${t:0:13}"
}

# secs T1 T0: (T1 - T0) ms in seconds.
secs () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", (a - b) / 1000 }'; }

# spawn NAME CMD...: see the header. Stdout to $PROC/NAME.out, stderr to
# $PROC/NAME.log.
spawn () {
    local name=$1 end
    shift
    rm -f "$PROC/$name.pid" "$PROC/$name.cpu" "$PROC/$name.rc"
    (
        (
            echo "$BASHPID" >"$PROC/$name.pid"
            exec "$@" >"$PROC/$name.out" 2>"$PROC/$name.log"
        )
        rc=$?
        times >"$PROC/$name.cpu" # not in a pipe: a subshell has no children
        echo $rc >"$PROC/$name.rc"
        exit $rc
    ) 2>/dev/null & # no "Killed" from the wrapper: CMD's stderr is in NAME.log
    WRAP+=($!)
    end=$(($(now_ms) + 5000))
    until [ -s "$PROC/$name.pid" ]; do
        [ "$(now_ms)" -gt $end ] && die "$name did not start"
        sleep 0.002
    done
    SPAWNED=$(<"$PROC/$name.pid")
    REAL+=("$SPAWNED")
    REAL_OF[$name]=$SPAWNED
    WRAP_OF[$name]=${WRAP[-1]}
}

# crash NAME: SIGKILL the process NAME, reap it; wait_all leaves it out.
crash () {
    local p=${REAL_OF[$1]} w=${WRAP_OF[$1]} i
    kill -KILL "$p" 2>/dev/null
    wait "$w" 2>/dev/null
    for i in "${!REAL[@]}"; do
        [ "${REAL[$i]}" = "$p" ] && unset 'REAL[i]'
    done
    for i in "${!WRAP[@]}"; do
        [ "${WRAP[$i]}" = "$w" ] && unset 'WRAP[i]'
    done
    REAL=("${REAL[@]}")
    WRAP=("${WRAP[@]}")
}

# cpu_of NAME: user+sys seconds of NAME (once it has exited).
cpu_of () {
    tail -1 "$PROC/$1.cpu" | sed 's/\([0-9]*\)m\([0-9.]*\)s/\1 \2/g' |
        awk '{ printf "%.3f\n", $1 * 60 + $2 + $3 * 60 + $4 }'
}

# cpu_sum NAME...: the sum of their CPU seconds.
cpu_sum () {
    local n
    for n in "$@"; do cpu_of "$n"; done | awk '{ s += $1 } END { printf "%.3f\n", s }'
}

# deadline S: SIGKILL every process spawned so far if the run is not over
# in S seconds (leaves $DIR/timeout behind). no_deadline cancels it.
deadline () {
    no_deadline
    rm -f "$DIR/timeout"
    local pids=("${REAL[@]}")
    (
        # Killed, it takes its sleep along (nothing left holding a pipe).
        trap 'kill "$sp"; exit 0' TERM
        sleep "$1" &
        sp=$!
        wait "$sp" || exit 0
        touch "$DIR/timeout"
        kill -KILL "${pids[@]}" 2>/dev/null
    ) >/dev/null 2>&1 &
    WATCHDOG=$!
}
no_deadline () {
    if [ -n "$WATCHDOG" ]; then
        kill "$WATCHDOG" 2>/dev/null
        wait "$WATCHDOG" 2>/dev/null
    fi
    WATCHDOG=""
}

# wait_all: every process spawned has exited by itself (within $TIMEOUT
# seconds); 1 if one failed or the deadline hit.
wait_all () {
    local w rc=0
    [ -n "$WATCHDOG" ] || deadline "$TIMEOUT"
    for w in "${WRAP[@]}"; do
        wait "$w" 2>/dev/null || rc=1
    done
    no_deadline
    REAL=()
    WRAP=()
    REAL_OF=()
    WRAP_OF=()
    [ -e "$DIR/timeout" ] && { echo "bench: timed out; logs in $DIR" >&2; return 1; }
    [ $rc -eq 0 ] || echo "bench: a process failed; logs in $DIR" >&2
    return $rc
}

# stop_all: SIGTERM every process spawned, SIGKILL after 10 s (64 peers
# leaving at once on 2 vCPUs take a while), wait.
stop_all () {
    no_deadline
    if [ ${#REAL[@]} -gt 0 ]; then
        kill -TERM "${REAL[@]}" 2>/dev/null
        local end=$(($(now_ms) + 10000))
        while kill -0 "${REAL[@]}" 2>/dev/null && [ "$(now_ms)" -lt $end ]; do
            sleep 0.05
        done
        kill -KILL "${REAL[@]}" 2>/dev/null
    fi
    [ ${#WRAP[@]} -gt 0 ] && wait "${WRAP[@]}" 2>/dev/null
    REAL=()
    WRAP=()
    REAL_OF=()
    WRAP_OF=()
}

# ev FILE EVENT: the lines of FILE with that event.
ev () { grep "\"event\":\"$2\"" "$1" 2>/dev/null; }

# num FILE EVENT KEY: the numeric KEY of the first EVENT line of FILE.
num () {
    ev "$1" "$2" | head -1 | sed -n "s/.*\"$3\":\\([0-9.eE+-]*\\).*/\\1/p"
}

# stamps EVENT FILE...: the `t` of every EVENT line, one a line.
stamps () {
    local e=$1
    shift
    cat "$@" 2>/dev/null | grep "\"event\":\"$e\"" | sed -n 's/^{"t":\([0-9]*\),.*/\1/p'
}

# wait_logs EVENT N: until N logs $DIR/*.jsonl hold EVENT (polled every
# 0.2 s, $TIMEOUT s at most; 1 then).
wait_logs () {
    local end=$(($(now_ms) + TIMEOUT * 1000))
    until [ "$(grep -l "\"event\":\"$1\"" "$DIR"/*.jsonl 2>/dev/null | wc -l)" -ge "$2" ]; do
        [ "$(now_ms)" -gt $end ] && { echo "bench: no $1 from $2 peers in $TIMEOUT s; logs in $DIR" >&2; return 1; }
        sleep 0.2
    done
}

# wait_port: PORT <- peer 0's port, from its `started` line (10 s at most).
wait_port () {
    local end=$(($(now_ms) + 10000))
    PORT=""
    until [ -n "$PORT" ]; do
        PORT=$(num "$DIR/0.jsonl" started port)
        [ -n "$PORT" ] && break
        [ "$(now_ms)" -gt $end ] && die "peer 0 did not start"
        sleep 0.005
    done
}

# peer I ARGS...: start peer I (log $DIR/I.jsonl, image $DIR/I.png); for
# I = 0 wait for its port (PORT). The process is named pI.
peer () {
    local i=$1
    shift
    spawn "p$i" "$BIN" peer --headless --log-json "$DIR/$i.jsonl" -o "$DIR/$i.png" "$@"
    if [ "$i" = 0 ]; then wait_port; fi
}

# swarm N ARGS...: peers 0..N-1, the first starting the job from ARGS, the
# others joining it with the options in JOIN_ARGS (array).
swarm () {
    local n=$1 i
    shift
    rm -f "$DIR"/*.jsonl
    peer 0 "$@"
    for ((i = 1; i < n; i++)); do
        peer "$i" "${JOIN_ARGS[@]}" --join "127.0.0.1:$PORT"
    done
}

# master_cs N VIEW...: the client/server baseline, a master (named cs)
# waiting for N workers (w1..wN, --threads 1) on VIEW. CS_NAMES: all of
# them.
master_cs () {
    local n=$1 i ep="" end
    shift
    spawn cs "$BIN" master --port 0 --workers "$n" "$@" -o "$DIR/cs.png"
    end=$(($(now_ms) + 10000))
    until [ -n "$ep" ]; do
        ep=$(sed -n 's/^listening endpoint=tcp:\/\/\(.*\)/\1/p' "$PROC/cs.out" 2>/dev/null)
        [ -n "$ep" ] && break
        [ "$(now_ms)" -gt $end ] && die "the master did not start"
        sleep 0.005
    done
    CS_NAMES=(cs)
    for ((i = 1; i <= n; i++)); do
        spawn "w$i" "$BIN" worker --connect "$ep" --threads 1 --quiet
        CS_NAMES+=("w$i")
    done
}

# cs_total NAME KEY: KEY=value from the `total` line of master NAME's stdout.
cs_total () {
    sed -n "s/^total .* $2=\\([0-9.]*\\).*/\\1/p" "$PROC/$1.out"
}

# stats: "median min max n" of the numbers on stdin ("- - - 0" if none).
stats () {
    sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "- - - 0"; exit }
        m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "%.4g %.4g %.4g %d\n", m, a[1], a[NR], NR }'
}

# p99: the 99th percentile of the numbers on stdin, nearest rank (null if
# none): the smallest value at least 99% of them do not exceed.
p99 () {
    sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "null"; exit }
        r = int(NR * 0.99); if (r < NR * 0.99) r++
        print a[r] }'
}

# fmt_stats FILE: "median [min-max]" for a table.
fmt_stats () {
    stats <"$1" | awk '$4 == 0 { print "-"; exit } { printf "%s [%s-%s]\n", $1, $2, $3 }'
}

# json_stats FILE: {"median":..,"min":..,"max":..,"n":..} (null if empty).
json_stats () {
    stats <"$1" | awk '$4 == 0 { print "null"; exit }
        { printf "{\"median\":%s,\"min\":%s,\"max\":%s,\"n\":%d}\n", $1, $2, $3, $4 }'
}

# json_str S: S as a JSON string.
json_str () {
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

# ratio FILE_A FILE_B: per-line A / B (the same run's figures) on stdout.
ratio () { paste "$1" "$2" | awk '$2 > 0 { printf "%.4f\n", $1 / $2 }'; }

# words STR: the words of STR (a list of options), one a line.
words () {
    # shellcheck disable=SC2086
    printf '%s\n' $1
}

# say ...: a progress line on stderr.
say () { echo "$*" >&2; }

# table: stdout, or stderr with --json.
table () {
    if [ "$JSON" = 1 ]; then cat >&2; else cat; fi
}

# emit JSON: the section's object, with --json.
emit () {
    [ "$JSON" = 1 ] && printf '%s\n' "$1"
    return 0
}

# machine: a JSON object describing this machine and build.
machine_json () {
    local cpu load commit
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    commit=$(git -C "$(dirname "$BIN")" rev-parse --short HEAD 2>/dev/null || echo unknown)
    printf '{"cpu":%s,"cpus":%d,"loadavg_before":%s,"commit":%s,"date":%s}' \
        "$(json_str "$cpu")" "$(nproc)" "$(json_str "$load")" "$(json_str "$commit")" \
        "$(json_str "$(date -u +%FT%TZ)")"
}

[ -x "$BIN" ] || die "$BIN is missing: run 'make build' first"
