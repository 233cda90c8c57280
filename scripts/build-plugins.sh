#!/usr/bin/env bash
# Builds the guest plugins into the plugin folders (plugins/*.wasm,
# plugins/conformance/*.wasm, plugins/test/*.wasm). Safe to run again:
# cargo rebuilds only what changed, the Python build is skipped when its
# sources did not change, and unchanged outputs are not rewritten.
#
#   scripts/build-plugins.sh            # Rust and Python plugins
#   STEPYARD_SKIP_PYTHON=1 scripts/...  # Rust plugins only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

install_if_changed() { # src dst
  if ! cmp -s "$1" "$2" 2>/dev/null; then
    cp "$1" "$2.tmp" && mv "$2.tmp" "$2"
  fi
}

echo "== Rust plugins (wasm32-wasip2)" >&2
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2 >&2
fi
cargo build --quiet --release --target wasm32-wasip2 \
  --manifest-path plugins/Cargo.toml --target-dir plugins/target
out=plugins/target/wasm32-wasip2/release
install_if_changed "$out/order_placement.wasm" plugins/orderPlacement.wasm
install_if_changed "$out/payment_processing.wasm" plugins/paymentProcessing.wasm
install_if_changed "$out/shipping_process.wasm" plugins/shippingProcess.wasm
install_if_changed "$out/order_confirmation.wasm" plugins/orderConfirmation.wasm
install_if_changed "$out/order_cancellation.wasm" plugins/orderCancellation.wasm
install_if_changed "$out/hostile.wasm" plugins/test/hostile.wasm
# One component serves every reference handler; each copy's manifest picks
# the handler (KIND). The compile cache is keyed by content, so the copies
# compile once.
for manifest in plugins/conformance/*.toml; do
  install_if_changed "$out/reference.wasm" "${manifest%.toml}.wasm"
done

if [ "${STEPYARD_SKIP_PYTHON:-0}" = "1" ]; then
  echo "== Python plugins skipped (STEPYARD_SKIP_PYTHON=1)" >&2
  exit 0
fi

echo "== Python plugins (componentize-py)" >&2
venv=.venv-plugins
if [ ! -x "$venv/bin/componentize-py" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check componentize-py==0.25.1 >&2
fi
for app in plugins/python/*/app.py; do
  dir=$(dirname "$app")
  # Projects without PLUGIN_NAME (plugins/python/order) are built by
  # `stepyard plugin build` in the tests that use them.
  [ -f "$dir/PLUGIN_NAME" ] || continue
  name=$(basename "$dir")
  target="plugins/$(cat "$dir/PLUGIN_NAME").wasm"
  stamp="$dir/.build-stamp"
  sum=$(cat "$app" plugins/python/sdk/stepyard.py wit/*.wit "$venv/bin/componentize-py" | sha256sum | cut -d' ' -f1)
  if [ -f "$target" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
    continue
  fi
  echo "   building $name" >&2
  (cd "$dir" && "$root/$venv/bin/componentize-py" -d "$root/wit" -w task-plugin componentize -p . -p "$root/plugins/python/sdk" app -o "$root/$target.tmp" >&2)
  mv "$target.tmp" "$target"
  echo "$sum" > "$stamp"
done
