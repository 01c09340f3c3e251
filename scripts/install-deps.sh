#!/bin/sh
# Install the Debian 12 packages p2pfractal needs to build, run and test.
# Installs only what is missing, so a second run does nothing. As non-root it
# prints the apt-get line it would run and exits 1.
set -eu

PKGS="
build-essential cmake pkg-config clang clang-format
libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core
libzmq3-dev libczmq-dev libsodium-dev
libprotobuf-c-dev protobuf-c-compiler
libpng-dev libcmocka-dev help2man
libmpfr-dev libgmp-dev
xvfb xauth imagemagick xdotool x11-utils
valgrind gnuplot-nox jq
evilwm
iproute2 iptables
locales
"

# A locale with a decimal comma, so the tests can prove that parameter files
# are read and written independently of the user's locale.
TEST_LOCALE=de_DE.UTF-8
have_test_locale() {
    locale -a 2>/dev/null | grep -qix 'de_DE.utf-\{0,1\}8'
}

missing=""
for p in $PKGS; do
    # dpkg-query prints "install ok installed" only for a fully installed package.
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
        "install ok installed") ;;
        *) missing="$missing $p" ;;
    esac
done

gen_test_locale() {
    have_test_locale && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: locale $TEST_LOCALE missing (locale tests will be skipped); as root:" >&2
        echo "  echo '$TEST_LOCALE UTF-8' >> /etc/locale.gen && locale-gen" >&2
        return 0
    fi
    grep -q "^$TEST_LOCALE UTF-8" /etc/locale.gen 2>/dev/null ||
        echo "$TEST_LOCALE UTF-8" >> /etc/locale.gen
    locale-gen >/dev/null
}

if [ -z "$missing" ]; then
    gen_test_locale
    echo "install-deps: all packages present"
    exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages; run as root:" >&2
    echo "  apt-get update && $cmd" >&2
    exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
gen_test_locale
