#!/bin/sh
# Install what tern needs to build and test, from Debian's packages.
# Run by `make`, `make run` and `make check`; installs only what is missing.
set -e

PKGS="gcc make meson ninja-build pkg-config python3 python3-pytest
      libglib2.0-dev libjson-glib-dev libzstd-dev libaio-dev liburing-dev
      check systemtap-sdt-dev socat zlib1g-dev qemu-utils"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "tern: missing build dependencies:$missing" >&2
    echo "tern: install them as root: apt-get install$missing" >&2
    exit 1
fi
echo "tern: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
