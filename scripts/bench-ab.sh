#!/usr/bin/env bash
# Compares two builds of the serve bench by running them alternately.
#
# A small VM's disk and CPU change speed from one minute to the next (the
# serve bench has moved by ±30 % between back-to-back runs of one build),
# so a before/after comparison is only fair when the two builds take turns
# and each gets several runs. Get a bench binary with
#
#   cargo bench --bench serve --no-run    # prints "Executable ... (PATH)"
#   cp PATH /tmp/serve-before             # then change the code, build again
#
# and compare:
#
#   scripts/bench-ab.sh /tmp/serve-before /tmp/serve-after [ROUNDS]
#
# Every BENCH_* variable (see the README) is passed on, e.g.
# BENCH_CONNECTIONS=4. Prints each run's executions/s, StartExecution
# p50/p99 and CPU per execution, then the median of each for both builds
# and the median of the B/A ratios of the rounds (each round runs both,
# in turns A-B then B-A, so a drift in the VM's speed cancels out).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 2 ]; then
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
a=$1
b=$2
rounds=${3:-3}
for bin in "$a" "$b"; do
  [ -x "$bin" ] || { echo "bench-ab: $bin is not an executable bench binary" >&2; exit 2; }
done
export STEPYARD_PLUGINS=${STEPYARD_PLUGINS:-$root/plugins}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() { # label binary
  "$2" --bench >"$out/last" 2>&1 || {
    echo "bench-ab: $2 failed:" >&2
    tail -20 "$out/last" >&2
    exit 1
  }
  local rate p50 p99 cpu
  rate=$(sed -n 's/.*durable order executions\/s : *\([0-9]*\).*/\1/p' "$out/last")
  p50=$(sed -n 's/.*StartExecution latency *: p50 \([0-9.]*\) ms.*/\1/p' "$out/last")
  p99=$(sed -n 's/.*StartExecution latency *: .*p99 \([0-9.]*\) ms.*/\1/p' "$out/last")
  cpu=$(sed -n 's/.*, \([0-9]*\) µs per execution$/\1/p' "$out/last")
  printf '%s  %6s executions/s  p50 %6s ms  p99 %6s ms  %6s µs CPU/execution\n' "$1" "$rate" "$p50" "$p99" "$cpu"
  echo "$rate $p50 $p99 $cpu" >>"$out/$1"
}

for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then
    run A "$a"
    run B "$b"
  else
    run B "$b"
    run A "$a"
  fi
done

median() { # file column
  awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}
echo
for side in A B; do
  printf '%s median  %6s executions/s  p50 %6s ms  p99 %6s ms  %6s µs CPU/execution\n' "$side" \
    "$(median "$out/$side" 1)" "$(median "$out/$side" 2)" "$(median "$out/$side" 3)" "$(median "$out/$side" 4)"
done
ratio() { # column: median over rounds of B's value / A's value
  paste -d' ' "$out/A" "$out/B" | awk -v c="$1" '$c > 0 {print $(c + 4) / $c}' | sort -g |
    awk '{v[NR]=$1} END {if (NR) printf "%.3f", (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}
printf 'B/A, median of the rounds: executions/s x%s  p50 x%s  p99 x%s  CPU/execution x%s\n' \
  "$(ratio 1)" "$(ratio 2)" "$(ratio 3)" "$(ratio 4)"
