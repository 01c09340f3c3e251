# shellcheck shell=bash disable=SC2034  # sets DIR, PIDS, SX_PID for the caller
# swarm-x.sh: a swarm of local peers with windows on a private virtual
# display (Xvfb) -- what scripts/screenshot and scripts/animation share.
# Sourced, not run. The caller sets SX_NAME (its name, for messages) and
# BIN (the p2pfractal binary), then:
#
#   sx_check_tools               every X tool needed is there, BIN is built
#   sx_in_xvfb WxH ARGS...       run "$0" ARGS inside a new Xvfb (once; exec)
#   sx_setup                     scratch DIR, PIDS, a trap that kills them
#   sx_start_peer I [GEOM] OPTS  peer I, in DIR, window at GEOM ("" = none)
#   sx_tile I COLS W H           the geometry of tile I (1-based) of a grid
#   sx_wait_for S CMD...         poll CMD every 0.1 s, at most S seconds
#   sx_kill I                    SIGKILL peer I (quietly: no job report)
#   sx_fail MESSAGE              say why, show each peer's last log lines
#                                (DIR goes with the exit), exit 1
#   sx_press KEY                 KEY in every p2pfractal window
#   sx_free_port                 a TCP port free on 127.0.0.1, for the first
#                                peer, so the others can be started first
#   sx_windows_up N              at least N p2pfractal windows are open
#
# Peers listen on 127.0.0.1 only (the peer's default --bind) and run one
# render thread each with a fixed --seed (so each run gives them the same
# ids and colours), logging JSON events to DIR/peer-I.jsonl, which the
# sx_port_of / sx_done_slices / sx_total_slices / sx_job_done queries read.
# Xvfb does not listen on TCP either.

sx_check_tools () {
    local tool
    for tool in xvfb-run xdotool import convert; do
        command -v "$tool" >/dev/null ||
            { echo "$SX_NAME: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
    done
    [ -x "$BIN" ] || { echo "$SX_NAME: $BIN is not built (make build)" >&2; exit 1; }
}

# Re-run the calling script inside a private Xvfb screen of WxH (24-bit,
# black root window, so a peer that dies leaves a black hole), unless it is
# already inside one. The caller checks its options first (sx_abs for an
# output path), so a bad one fails before a display is started.
sx_in_xvfb () {
    local size=$1; shift
    [ -n "${P2PF_SWARM_X_INNER:-}" ] && return 0
    export P2PF_SWARM_X_INNER=1
    exec xvfb-run -a -s "-screen 0 ${size}x24 -nolisten tcp -br" "$0" "$@"
}

# An absolute path for FILE (its directory must exist, else a message and
# status 2: call it as `x=$(sx_abs F) || exit 2`).
sx_abs () {
    local d
    d=$(cd "$(dirname "$1")" 2>/dev/null && pwd) ||
        { echo "$SX_NAME: $(dirname "$1"): no such directory" >&2; return 2; }
    echo "$d/$(basename "$1")"
}

sx_setup () {
    DIR=$(mktemp -d "/tmp/p2pf-$SX_NAME.XXXXXX")
    PIDS=()
    SX_PID=()
    trap sx_cleanup EXIT
}

# Every peer killed; the scratch dir (logs, PNGs) removed, unless
# P2PF_KEEP is set (it is then named on stderr, for a post-mortem).
sx_cleanup () {
    local p
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ -n "${P2PF_KEEP:-}" ]; then
        echo "kept $DIR" >&2
    else
        rm -rf "$DIR"
    fi
}

sx_fail () {
    local f
    echo "$SX_NAME: $*" >&2
    for f in "$DIR"/peer-*.log; do
        [ -e "$f" ] || continue
        echo "--- $(basename "$f"):" >&2
        tail -n 5 "$f" >&2
    done
    exit 1
}

sx_wait_for () {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    until "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}

sx_port_of () { grep -o '"port":[0-9]*' "$DIR/peer-$1.jsonl" 2>/dev/null | head -1 | cut -d: -f2; }
sx_has_port () { [ -n "$(sx_port_of "$1")" ]; }
# Slices peer I holds (grep -c prints 0 itself when none match; nothing
# when the log is not there yet).
sx_done_slices () {
    local n
    n=$(grep -c '"event":"slice_done"' "$DIR/peer-$1.jsonl" 2>/dev/null)
    echo "${n:-0}"
}
# The job's slice count, once peer I has logged job_started (else 0).
sx_total_slices () {
    local n
    n=$(grep '"event":"job_started"' "$DIR/peer-$1.jsonl" 2>/dev/null | head -1 |
        grep -o '"slices":[0-9]*' | cut -d: -f2)
    echo "${n:-0}"
}
sx_job_done () { grep -q '"event":"job_done"' "$DIR/peer-$1.jsonl" 2>/dev/null; }
# Whether peer I's last role event says it is the master.
sx_is_master () { grep '"event":"role"' "$DIR/peer-$1.jsonl" 2>/dev/null | tail -1 | grep -q '"master":true'; }

# A TCP port nothing listens on at 127.0.0.1 (ss, iproute2), from the
# range above the kernel's ephemeral ports' usual start.
sx_free_port () {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 12000))
        [ -z "$(ss -Htln "sport = :$p")" ] && { echo "$p"; return 0; }
    done
    return 1
}

# Whether at least N p2pfractal windows are open.
sx_windows_up () { [ "$(xdotool search --name '^p2pfractal ' 2>/dev/null | wc -l)" -ge "$1" ]; }

sx_tile () {
    local i=$1 cols=$2 w=$3 h=$4
    local col=$(((i - 1) % cols)) row=$(((i - 1) / cols))
    echo "${w}x${h}+$((col * w))+$((row * h))"
}

sx_start_peer () {
    local i=$1 geom=$2; shift 2
    local geometry=()
    [ -n "$geom" ] && geometry=(--geometry "$geom")
    (cd "$DIR" && exec "$BIN" peer --threads 1 --seed "$((1000 + i))" "${geometry[@]}" \
        --log-json "peer-$i.jsonl" -o "peer-$i.png" "$@" 2>"$DIR/peer-$i.log") &
    SX_PID[i]=$!
    PIDS+=($!)
}

sx_kill () {
    kill -KILL "${SX_PID[$1]}"
    wait "${SX_PID[$1]}" 2>/dev/null
}

sx_press () {
    local wid
    for wid in $(xdotool search --name '^p2pfractal '); do
        xdotool windowfocus "$wid" key "$1" 2>/dev/null
    done
}
