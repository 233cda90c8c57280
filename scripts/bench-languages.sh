#!/usr/bin/env bash
# The same handler in every plugin language: builds `stepyard plugin new`'s
# greeting plugin in Rust, Python, JavaScript and TypeScript (timing each
# build, toolchains already installed), then benches a fresh-instance call
# of each (`plugin_call_language/greet_fresh_*` in the plugins bench).
#
#   scripts/bench-languages.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --quiet --bin stepyard
bin=target/release/stepyard
work=target/lang-bench
rm -rf "$work" && mkdir -p "$work/plugins"
export STEPYARD_TOOLCHAINS=$root/target/toolchains
for lang in rust python js ts; do
  name=greet_$lang
  "$bin" plugin new "$name" --lang "$lang" --dir "$work/$name" >/dev/null
  # A first build installs the toolchain; time the second, from a clean dist.
  CARGO_TARGET_DIR=$root/target/lang-bench/cargo "$bin" plugin build "$work/$name" >/dev/null 2>&1
  rm -rf "$work/$name/dist"
  rm -rf "$root/target/lang-bench/cargo/wasm32-wasip2/release/.fingerprint/${name}-"* 2>/dev/null || true
  start=$(date +%s.%N)
  CARGO_TARGET_DIR=$root/target/lang-bench/cargo "$bin" plugin build "$work/$name" >/dev/null 2>&1
  end=$(date +%s.%N)
  size=$(stat -c %s "$work/$name/dist/$name.wasm")
  printf 'build %-7s %6.1f s  %8d KiB\n' "$lang" "$(awk "BEGIN{print $end - $start}")" $((size / 1024))
  cp "$work/$name/dist/$name.wasm" "$work/$name/dist/$name.toml" "$work/plugins/"
done
STEPYARD_BENCH_LANG_DIR=$root/$work/plugins cargo bench -p stepyard-runtime --bench plugins -- plugin_call_language
