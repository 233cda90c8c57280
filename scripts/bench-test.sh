#!/usr/bin/env bash
# `stepyard test` speed: N cases (default 1,000) of the order workflow with
# every plugin mocked and a one-hour Wait in the path (virtual time), run
# ROUNDS times; prints the total and per-case mean of each round.
#   scripts/bench-test.sh [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
rounds="${2:-3}"
bin="${STEPYARD_BIN:-target/release/stepyard}"
[ -x "$bin" ] || cargo build --release --bin stepyard
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" "$n" <<'PY'
import json, sys
dir, n = sys.argv[1], int(sys.argv[2])
machine = json.load(open("workflows/order.asl.json"))
# An hour's cooling-off between payment and shipping.
machine["States"]["ProcessPayment"]["Next"] = "CoolingOff"
machine["States"]["CoolingOff"] = {"Type": "Wait", "Seconds": 3600, "Next": "ShipOrder"}
json.dump(machine, open(f"{dir}/order.asl.json", "w"))
paid = {"StatusCode": 200, "Payload": {"payment_id": "pay-1", "status": "PAID", "charged": 1}}
cases = []
for i in range(n):
    declined = i % 10 == 9
    cases.append({
        "name": f"order {i}",
        "input": {"order_id": f"o-{i}", "total": i},
        "mocks": {"ProcessPayment": {"error": "PaymentDeclined", "cause": "declined"}} if declined else {},
        "expect": {"error": "OrderCancelled"} if declined else
                  {"path": ["PlaceOrder", "ProcessPayment", "CoolingOff", "ShipOrder", "ConfirmOrder"],
                   "output": {"confirmation": {"status": "CONFIRMED"}}, "outputMatching": "partial"},
    })
suite = {
    "stateMachine": "order.asl.json",
    "mocks": {
        "PlaceOrder": {"result": {"status": "PLACED"}},
        "ProcessPayment": {"result": paid},
        "ShipOrder": {"result": {"status": "SHIPPED"}},
        "ConfirmOrder": {"result": {"status": "CONFIRMED"}},
        "CancelOrder": {"result": {"status": "CANCELLED"}},
    },
    "cases": cases,
}
json.dump(suite, open(f"{dir}/order.test.json", "w"))
PY
for r in $(seq "$rounds"); do
  start=$(date +%s.%N)
  "$bin" --plugins "$dir/no-plugins" test "$dir" > "$dir/out.txt"
  end=$(date +%s.%N)
  tail -n 1 "$dir/out.txt"
  python3 -c "t=$end-$start; print(f'round $r: {t:.3f} s total (process included), {t/$n*1e3:.3f} ms per case')"
done
