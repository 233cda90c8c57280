#!/usr/bin/env bash
# Installs the real AWS clients the API tests drive (boto3 and the AWS CLI)
# into .venv-clients, from PyPI. Safe to run again: an up-to-date venv is
# left alone. Prints the venv's python path on stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv-clients"
want="boto3==1.44.8 awscli==1.46.3"
stamp="$venv/.installed"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv" >&2
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
