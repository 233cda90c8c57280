#!/usr/bin/env bash
# Installs what the console's browser tests drive: Debian's Chromium and
# ChromeDriver (apt, when missing) and Selenium (PyPI, into .venv-browser).
# Safe to run again: what is installed is left alone. Prints the venv's
# python path on stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "install-browser: installing Debian's chromium and chromium-driver (apt-get)" >&2
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >&2
fi
venv="$root/.venv-browser"
want="selenium==4.50.0"
stamp="$venv/.installed"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
