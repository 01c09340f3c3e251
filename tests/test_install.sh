#!/bin/sh
# test_install: `cmake --install` into a DESTDIR, then the installed tree
# alone -- moved to a directory no path compiled into the binary names, run
# from another directory, P2PF_ASSETS_DIR unset -- renders the same PNG, byte
# for byte, as the build tree's binary. A palette that only the moved tree
# holds proves the palettes came from it (not from the source tree, nor from
# a package installed on this machine). And a P2PF_ASSETS_DIR naming an
# empty directory fails with exit 2 and one line naming the variable.
#
# usage: test_install.sh BUILD_DIR BUILT_BINARY
set -eu

build=$1
built=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "test_install: FAIL: $*" >&2
    exit 1
}

DESTDIR="$tmp/dest" cmake --install "$build" --prefix /usr >"$tmp/install.log" ||
    fail "cmake --install: $(cat "$tmp/install.log")"
for f in usr/bin/p2pfractal usr/share/p2pfractal/palettes/default.map \
    usr/share/doc/p2pfractal/README.md; do
    [ -e "$tmp/dest/$f" ] || fail "not installed: /$f"
done

# Only the installed tree, somewhere else.
mv "$tmp/dest/usr" "$tmp/moved"
rm -rf "$tmp/dest"
bin=$tmp/moved/bin/p2pfractal
mkdir "$tmp/cwd"
cp "$tmp/moved/share/p2pfractal/palettes/default.map" \
    "$tmp/moved/share/p2pfractal/palettes/only-installed.map"

view="--size 160x90 --iter 300 --threads 2"
# shellcheck disable=SC2086 # $view is a list of words
"$built" render $view -o "$tmp/built.png" 2>"$tmp/built.err" ||
    fail "build tree render: $(cat "$tmp/built.err")"
cd "$tmp/cwd"
# shellcheck disable=SC2086
env -u P2PF_ASSETS_DIR "$bin" render $view -o installed.png 2>render.err ||
    fail "installed render: $(cat render.err)"
cmp "$tmp/built.png" installed.png || fail "installed render differs from the build tree's"
# shellcheck disable=SC2086
env -u P2PF_ASSETS_DIR "$bin" render $view --palette only-installed -o probe.png 2>probe.err ||
    fail "palettes not read from the installed tree: $(cat probe.err)"

# An empty override: exit 2, one line naming P2PF_ASSETS_DIR and its value.
mkdir "$tmp/empty"
rc=0
# shellcheck disable=SC2086
P2PF_ASSETS_DIR="$tmp/empty" "$bin" render $view -o bad.png 2>bad.err || rc=$?
[ "$rc" -eq 2 ] || fail "empty P2PF_ASSETS_DIR: exit $rc, not 2"
[ "$(wc -l <bad.err)" -eq 1 ] || fail "empty P2PF_ASSETS_DIR: not one line: $(cat bad.err)"
grep -qF "P2PF_ASSETS_DIR=$tmp/empty: cannot list palettes in $tmp/empty/palettes" bad.err ||
    fail "empty P2PF_ASSETS_DIR not named: $(cat bad.err)"
[ ! -e bad.png ] || fail "an image was written without palettes"
echo "test_install: installed tree renders $(wc -c <installed.png) bytes identical to the build tree's"
