#!/usr/bin/env python3
"""Times GET /metrics on a server holding many state machines.

Usage: scripts/bench-scrape.py BIN [MACHINES] [SCRAPES]

Starts `BIN serve` on a fresh data directory, creates MACHINES state
machines (a Pass and a Task on the order plugins' orderPlacement, so each
has execution, state and plugin series), runs one execution of each, then
scrapes /metrics SCRAPES times and prints the median and p95 time and the
size of the answer.
"""
import json, os, statistics, subprocess, sys, tempfile, time, urllib.request

bin_, machines, scrapes = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000, int(sys.argv[3]) if len(sys.argv) > 3 else 50
data = tempfile.mkdtemp(prefix="stepyard-scrape-")
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
server = subprocess.Popen([bin_, "serve", "--listen", "127.0.0.1:0", "--data", data,
                           "--plugins", os.path.join(root, "plugins"), "--no-audit"],
                          stderr=subprocess.PIPE, text=True)
addr = None
for line in server.stderr:
    if "listening on http://" in line:
        addr = line.split("listening on http://")[1].split()[0].rstrip(";")
        break
url = f"http://{addr}"

def call(op, body):
    req = urllib.request.Request(url + "/", json.dumps(body).encode(), {
        "X-Amz-Target": f"AWSStepFunctions.{op}", "Content-Type": "application/x-amz-json-1.0"})
    return json.load(urllib.request.urlopen(req))

definition = json.dumps({"StartAt": "Note", "States": {
    "Note": {"Type": "Pass", "Next": "Place"},
    "Place": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:orderPlacement", "End": True}}})
arns = []
for i in range(machines):
    m = call("CreateStateMachine", {"name": f"m{i:04d}", "definition": definition,
                                    "roleArn": "arn:aws:iam::123456789012:role/r"})["stateMachineArn"]
    arns.append(call("StartExecution", {"stateMachineArn": m, "input": json.dumps({"order_id": f"s-{i}", "total": 1})})["executionArn"])
for arn in arns:
    while call("DescribeExecution", {"executionArn": arn})["status"] == "RUNNING":
        time.sleep(0.01)
times, size = [], 0
for _ in range(scrapes):
    t = time.perf_counter()
    body = urllib.request.urlopen(url + "/metrics").read()
    times.append((time.perf_counter() - t) * 1000)
    size = len(body)
server.terminate()
server.wait()
times.sort()
lines = body.count(b"\n")
print(f"{machines} state machines: /metrics {size / 1024:.0f} KiB, {lines} lines; "
      f"median {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95) - 1]:.1f} ms over {scrapes} scrapes")
