#!/bin/sh
# tests/net/lab.sh BINARY: a lab of five machines on one machine.
#
# Five network namespaces (the "hosts") hang off a bridge that lives in a
# sixth (the "switch"), on documentation addresses 198.51.100.11-15/24;
# host 5 has a second interface on 203.0.113.0/24 that leads nowhere. No
# interface, route or rule is added outside these namespaces, so nothing is
# sent to any other address, and the trap deletes them all.
#
# What it checks, with peers started as a lab guide says:
#   1. Only the first host types its own address (--bind); the others give
#      just --join FIRST:5555 and listen on, and advertise, the address that
#      routes there -- host 5 picks the right one of its two.
#   2. Host 3 drops 15% of what it receives (iptables statistic: this
#      kernel has no netem).
#   3. Mid-job (a third of the slices done there) the first host -- the
#      bootstrap, first master and likely root -- is cut off (its link
#      down), and healed 5 s later.
#   4. Every host writes a PNG whose pixels equal `p2pfractal render`'s.
#   5. Then all five start at once with --lan and no address at all (host
#      5 told --iface eth0): they find each other by broadcast beacons
#      (which stay on the bridge), one starts the network, the others join
#      it, and again every PNG equals render's. Each of them, leaving once
#      its PNG is written, broadcasts a goodbye beacon: a listener on the
#      switch (perl, its own address on the bridge) hears one from every
#      host.
# Exit 0 on success, 1 on failure (the logs are kept and named), 77 when
# this machine cannot do it (not root, no namespaces, no iptables).
set -u

BIN=${1:?usage: lab.sh BINARY}
BIN=$(readlink -f "$BIN")
skip() {
    echo "lab: skipped: $*"
    exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "no ip (iproute2)"
command -v iptables >/dev/null || skip "no iptables"
command -v compare >/dev/null || skip "no ImageMagick compare"
command -v perl >/dev/null || skip "no perl (the beacon listener)"

TAG="p2pf$$"
SW="${TAG}sw"
HOSTS="1 2 3 4 5"
DIR=$(mktemp -d /tmp/p2pf-lab.XXXXXX)
PIDS=""
OK=0

# Every process inside our namespaces: $PIDS holds the `ip netns exec`
# wrappers, and a peer outlives its wrapper's SIGKILL.
kill_inside() {
    for ns in "$SW" $(for h in $HOSTS; do echo "${TAG}h$h"; done); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    done
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    PIDS=""
}

cleanup() {
    kill_inside
    for h in $HOSTS; do ip netns del "${TAG}h$h" 2>/dev/null; done
    ip netns del "$SW" 2>/dev/null
    if [ "$OK" -eq 1 ]; then rm -rf "$DIR"; else echo "lab: logs kept in $DIR"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "lab: FAILED: $*"
    for h in $HOSTS; do
        [ -f "$DIR/h$h.err" ] && { echo "--- h$h stderr (tail)"; tail -n 5 "$DIR/h$h.err"; }
    done
    exit 1
}

in_host() { # in_host N CMD...: run CMD in host N's namespace
    n=$1
    shift
    ip netns exec "${TAG}h$n" "$@"
}

# --- the network ----------------------------------------------------------
ip netns add "$SW" || skip "cannot create network namespaces"
ip -n "$SW" link add br0 type bridge || fail "bridge"
ip -n "$SW" link set br0 up
ip -n "$SW" link add br1 type bridge
ip -n "$SW" link set br1 up
for h in $HOSTS; do
    ns="${TAG}h$h"
    ip netns add "$ns" || fail "namespace $ns"
    ip -n "$ns" link set lo up
    ip link add eth0 netns "$ns" type veth peer name "p$h" netns "$SW" || fail "veth of h$h"
    ip -n "$SW" link set "p$h" master br0 up
    ip -n "$ns" addr add "198.51.100.1$h/24" dev eth0
    ip -n "$ns" link set eth0 up
done
# Host 5's second interface, on a network none of the others is on.
ip link add eth1 netns "${TAG}h5" type veth peer name q5 netns "$SW" || fail "veth eth1"
ip -n "$SW" link set q5 master br1 up
ip -n "${TAG}h5" addr add 203.0.113.15/24 dev eth1
ip -n "${TAG}h5" link set eth1 up

# --- the job --------------------------------------------------------------
VIEW="--size 320x180 --iter 300000"
# Tiles (render/slice.h) gather this view's costly middle into a few: at 48
# the dearest holds a third of the job's work (a band of 48 held 8%); at
# 192 it holds 8% again, so the job's longest slice is what it was.
SLICES=192
# shellcheck disable=SC2086
REF="$DIR/ref.png"
"$BIN" render $VIEW -o "$REF" >/dev/null 2>&1 || fail "render"

start_peer() { # start_peer N ARGS...: a headless peer on host N
    n=$1
    shift
    # shellcheck disable=SC2086
    in_host "$n" timeout 150 "$BIN" peer --headless --threads 1 --throttle 60 \
        --log-json "$DIR/h$n.json" -o "$DIR/h$n.png" "$@" \
        >"$DIR/h$n.out" 2>"$DIR/h$n.err" &
    PIDS="$PIDS $!"
}

check_pngs() { # check_pngs LABEL: every host's PNG in $DIR, within 120 s, is render's
    deadline=$(($(date +%s) + 120))
    for h in $HOSTS; do
        until [ -f "$DIR/h$h.png" ]; do
            [ "$(date +%s)" -lt "$deadline" ] || fail "$1h$h wrote no PNG within 120 s"
            sleep 0.2
        done
        diff=$(compare -metric AE "$DIR/h$h.png" "$REF" null: 2>&1)
        [ "$diff" = "0" ] || fail "$1h$h's PNG differs from render's in $diff pixels"
    done
}

# Host 1 types its address; the others only the first's.
# shellcheck disable=SC2086
start_peer 1 --bind 198.51.100.11 --port 5555 --slices $SLICES $VIEW
deadline=$(($(date +%s) + 10))
until grep -q '"event":"started"' "$DIR/h1.json" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "h1 did not start within 10 s"
    sleep 0.1
done
in_host 3 iptables -A INPUT -m statistic --mode random --probability 0.15 -j DROP ||
    fail "iptables on h3"
for h in 2 3 4 5; do
    start_peer "$h" --join 198.51.100.11:5555 --exit-when-done
done

# 1. Every joiner advertises the address that routes to h1.
deadline=$(($(date +%s) + 20))
for h in 2 3 4 5; do
    until grep -q "198.51.100.1$h" "$DIR/h$h.json" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] ||
            fail "h$h does not advertise 198.51.100.1$h (no --bind given)"
        sleep 0.1
    done
done
grep -q "203.0.113.15" "$DIR/h5.json" && fail "h5 advertises its other interface"

# 3. Cut the first host off once a third of the slices are done there.
deadline=$(($(date +%s) + 60))
while [ "$(grep -c '"event":"slice_done"' "$DIR/h1.json")" -lt $((SLICES / 3)) ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "a third of the job not done within 60 s"
    sleep 0.05
done
done_at_cut=$(grep -c '"event":"slice_done"' "$DIR/h1.json")
[ "$done_at_cut" -lt "$SLICES" ] || fail "the job was over before the cut (make it longer)"
in_host 1 ip link set eth0 down
echo "lab: h1 cut off with $done_at_cut of $SLICES slices done there"
sleep 5 # the outage itself: what is tested is that the others go on
in_host 1 ip link set eth0 up
echo "lab: h1 healed"

# 4. Every host's PNG equals render's.
check_pngs ""
drops=$(in_host 3 iptables -L INPUT -v -n | awk '/statistic/ {print $1}')
[ "${drops:-0}" -gt 0 ] || fail "h3 dropped nothing: the loss never happened"
echo "lab: 5 hosts, joiners without --bind, h3 dropped $drops packets, h1 cut off and healed:"
echo "lab: every PNG equals render's"

# --- 5. nobody types an address: --lan ------------------------------------
kill_inside
in_host 3 iptables -F INPUT
mkdir "$DIR/lan"
DIR0=$DIR
DIR="$DIR0/lan"
# The switch listens to the beacons (UDP 5670) on an address of its own on
# the bridge: one line "IP FLAGS" per beacon of ours (flags: 1 member, 2
# leaving).
ip -n "$SW" addr add 198.51.100.254/24 dev br0 || fail "the switch's address"
ip netns exec "$SW" perl -e '
    use Socket;
    socket (my $s, PF_INET, SOCK_DGRAM, 0) or die "socket: $!";
    setsockopt ($s, SOL_SOCKET, SO_REUSEADDR, 1);
    bind ($s, sockaddr_in (5670, INADDR_ANY)) or die "bind: $!";
    $| = 1;
    while (my $from = recv ($s, my $b, 1500, 0)) {
        next unless length ($b) == 48 && substr ($b, 0, 5) eq "P2PF\x01";
        my ($port, $ip) = sockaddr_in ($from);
        printf "%s %d\n", inet_ntoa ($ip), ord (substr ($b, 5, 1));
    }' >"$DIR/beacons" 2>"$DIR/beacons.err" &
LISTENER=$!
PIDS="$PIDS $LISTENER"
for h in $HOSTS; do
    iface=""
    [ "$h" = 5 ] && iface="--iface eth0"
    # shellcheck disable=SC2086
    start_peer "$h" --lan $iface --slices $SLICES $VIEW --exit-when-done
done
check_pngs "--lan: "
# One network: one host started it (heard nobody), the four others joined
# it through the addresses its beacons gave, and all worked on one job.
started=$(grep -l "starting it" "$DIR"/h*.err | wc -l)
joined=$(grep -l "joined the ring" "$DIR"/h*.err | wc -l)
[ "$started" -eq 1 ] && [ "$joined" -eq 5 ] ||
    fail "--lan: $started hosts started a network, $joined are in one (want 1 and 5)"
jobs=$(grep -ho '"event":"job_started","job":"[0-9a-f]*"' "$DIR"/h*.json | sort -u | wc -l)
[ "$jobs" -eq 1 ] || fail "--lan: $jobs different jobs (want 1)"
echo "lab: --lan, no address given: 1 host started the network, 4 joined it; every PNG equals render's"
# Each leaves once its PNG is written (--exit-when-done), saying goodbye.
for p in $PIDS; do [ "$p" = "$LISTENER" ] || wait "$p"; done
for h in $HOSTS; do
    grep -q "^198\.51\.100\.1$h 2\$" "$DIR/beacons" ||
        fail "--lan: no goodbye beacon heard from h$h when it left"
done
echo "lab: --lan: every host said goodbye on the LAN when it left" \
    "($(grep -c ' 2$' "$DIR/beacons") goodbye beacons of $(wc -l <"$DIR/beacons"))"
DIR=$DIR0
OK=1
