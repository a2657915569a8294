#!/usr/bin/env bash
# The project's virtualenv (.venv, Python 3.11+); requirements are installed again only when
# requirements.txt changed since the last install (its checksum is kept in .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

python=""
for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        python=$candidate
        break
    fi
done
if [[ -z $python ]]; then
    echo "Python 3.11 or newer is needed (python3.11 or python3 on PATH)" >&2
    exit 1
fi

if [[ ! -x .venv/bin/python ]]; then
    echo "creating .venv with $($python --version)"
    "$python" -m venv .venv
fi

stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    .venv/bin/python -m pip install --quiet -r requirements.txt
    echo "$want" >"$stamp"
fi
