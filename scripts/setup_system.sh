#!/usr/bin/env bash
# System packages the cockpit needs, installed only when missing (a second run does nothing):
# PostgreSQL server (the test suite starts its own throwaway cluster), Chromium and its driver
# (browser tests), poppler-utils (PDF text checks), Noto CJK fonts and the Pango libraries (PDF reports),
# faketime (the suite checks that it passes when the machine's own date is a boundary instant).
set -euo pipefail

packages=(postgresql chromium chromium-driver poppler-utils fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 faketime)

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for pkg in "${packages[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done
# the tests need the server binaries themselves, whatever package brought them
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && [[ ! " ${missing[*]} " == *" postgresql "* ]]; then
    missing+=(postgresql)
fi

if ((${#missing[@]} == 0)); then
    exit 0
fi

if ! command -v apt-get >/dev/null; then
    echo "missing system packages: ${missing[*]}" >&2
    echo "this script installs them with apt-get (Debian/Ubuntu); install them with your package manager" >&2
    exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then
        sudo=(sudo)
    else
        echo "missing system packages: ${missing[*]}; run this script as root to install them" >&2
        exit 1
    fi
fi

echo "installing system packages: ${missing[*]}"
"${sudo[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
