#!/usr/bin/env bash
# bench/sweep.sh: the job simulator's long sweeps, in resumable chunks.
#
#   bench/sweep.sh OUTDIR [SEEDS] [LOSS]      run (or resume), then report
#   bench/sweep.sh --report OUTDIR            only the report
#
# Runs `p2pfractal sim --job SCENARIO --seeds CHUNK --seed FIRST [--loss
# LOSS] --json` for every scenario and every chunk of SEEDS seeds (default
# 10000, from SWEEP_FIRST, default 1), one process at a time under nice 19.
# Each chunk's output is kept in OUTDIR/SCENARIO-FIRST.txt once complete,
# so an interrupted sweep (a stopped session, a reboot) picks up at the
# first missing chunk; the binary is copied into OUTDIR on the first run
# and used from there, so a rebuild cannot mix two protocols in one sweep.
# Why chunks and not `--job all --seeds 10000`: 10,000 seeds of every
# scenario take hours on a 2-core machine (no-faults-200 alone ~2 s a
# seed), longer than a working session.
#
# Environment: P2PF_BIN (default build/app/p2pfractal), SWEEP_CHUNK (500),
# SWEEP_FIRST (1), SWEEP_JOBS (scenarios, default all, space-separated).
#
# The report: per scenario, seeds run, failed, the range of "done after"
# (virtual ms), the median of the chunks' medians, the worst kill -> new
# assignment, and wall seconds; then every FAILED line with its replay
# command. Exit status: 0 all passed, 1 a seed failed, 2 usage.
set -euo pipefail
export LC_ALL=C

usage () {
    sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

report () {
    local out=$1
    shopt -s nullglob
    local files=("$out"/*-[0-9]*.txt)
    [ ${#files[@]} -gt 0 ] || { echo "sweep: no chunks in $out" >&2; exit 2; }
    if [ -f "$out/settings" ]; then cat "$out/settings"; fi
    local rc=0
    # One JSON object a chunk (flat, one line): pick the fields by name.
    grep -h '^{"scenario"' "${files[@]}" | awk '
        function field(name,   m) {
            if (match($0, "\"" name "\":[^,}]*")) {
                m = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
                gsub(/"/, "", m); return m
            }
            return ""
        }
        {
            s = field("scenario")
            if (!(s in seeds)) { order[n++] = s; lo[s] = -1 }
            seeds[s] += field("seeds"); failed[s] += field("failed")
            wall[s] += field("wall_s")
            mn = field("done_ms_min") + 0; mx = field("done_ms_max") + 0
            if (lo[s] < 0 || mn < lo[s]) lo[s] = mn
            if (mx > hi[s]) hi[s] = mx
            if (field("kill_assign_ms_max") + 0 > ka[s]) ka[s] = field("kill_assign_ms_max") + 0
            med[s] = med[s] " " field("done_ms_median")
        }
        END {
            printf "| scenario | seeds | failed | done after, virtual ms: median of chunk medians (range) | kill -> assign, worst ms | wall s |\n"
            printf "| --- | --- | --- | --- | --- | --- |\n"
            for (i = 0; i < n; i++) {
                s = order[i]; k = split(med[s], v, " ")
                for (a = 1; a <= k; a++) for (b = a + 1; b <= k; b++) if (v[b] + 0 < v[a] + 0) { t = v[a]; v[a] = v[b]; v[b] = t }
                printf "| %s | %d | %d | %d (%d-%d) | %d | %.1f |\n", s, seeds[s], failed[s], v[int((k + 1) / 2)], lo[s], hi[s], ka[s], wall[s]
                tf += failed[s]; ts += seeds[s]; tw += wall[s]
            }
            printf "\n%d failed of %d runs, %.0f s of simulator time\n", tf, ts, tw
            exit tf > 0
        }' || rc=$?
    grep -h -A1 '^FAILED' "${files[@]}" || true
    return $rc
}

[ $# -ge 1 ] || usage
if [ "$1" = "--report" ]; then
    [ $# -eq 2 ] || usage
    rc=0
    report "$2" || rc=$?
    exit $rc
fi
out=$1
seeds=${2:-10000}
loss=${3:-}
chunk=${SWEEP_CHUNK:-500}
first=${SWEEP_FIRST:-1}
[[ $seeds =~ ^[1-9][0-9]*$ && $chunk =~ ^[1-9][0-9]*$ && $first =~ ^[0-9]+$ ]] || usage
mkdir -p "$out"
bin=$out/p2pfractal
if [ ! -x "$bin" ]; then
    src=${P2PF_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/app/p2pfractal}
    [ -x "$src" ] || { echo "sweep: no binary at $src (build first)" >&2; exit 2; }
    cp "$src" "$bin"
    local_loss=${loss:-"each scenario's own"}
    {
        echo "binary: $("$bin" --version | head -1), sha256 $(sha256sum "$bin" | cut -c1-16)"
        echo "sweep: seeds $first..$((first + seeds - 1)), loss $local_loss, chunks of $chunk, started $(date -u '+%F %T') UTC"
    } > "$out/settings"
fi
jobs=${SWEEP_JOBS:-$("$bin" sim --help | sed -n '/^Scenarios/,$p' | awk '/^  [a-z0-9-]+ / { print $1 }')}
lossarg=()
[ -n "$loss" ] && lossarg=(--loss "$loss")
for job in $jobs; do
    for ((s = first; s < first + seeds; s += chunk)); do
        n=$((first + seeds - s < chunk ? first + seeds - s : chunk))
        f=$out/$job-$s.txt
        [ -s "$f" ] && continue
        echo "sweep: $job seeds $s..$((s + n - 1))" >&2
        # Exit 1 only says a seed failed: the FAILED lines are the record.
        nice -n 19 "$bin" sim --job "$job" --seeds "$n" --seed "$s" "${lossarg[@]}" --json \
            > "$f.part" || [ $? -eq 1 ]
        mv "$f.part" "$f"
    done
done
report "$out"
