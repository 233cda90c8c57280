#!/usr/bin/env python3
"""The console's execution page, timed in Chromium: an execution of a
100-state machine with over 1,000 history events, from navigation to its
graph drawn with every state's status (what a user waits for).

Usage (after `cargo build --release`):
  .venv-browser/bin/python tests/console/bench_render.py [ROUNDS]
Not a test: a figure for the closing note (goal < 300 ms).
"""
import json
import statistics
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from test_console import Server, browser

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
# A Map of 240 iterations (4 events each), then a chain of 98 Pass states.
states = {"Fan": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": None, "Next": "S000",
                  "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}}}}
for i in range(98):
    states[f"S{i:03d}"] = {"Type": "Pass", "Next": f"S{i + 1:03d}"} if i < 97 else {"Type": "Pass", "End": True}
definition = json.dumps({"StartAt": "Fan", "States": states})

server = Server()
try:
    machine = server.machine("big", definition)
    arn = server.start(machine, "big-1", {"items": list(range(240))})
    server.ended(arn)
    events = server.call("GetExecutionHistory", {"executionArn": arn, "maxResults": 1000})
    count = len(events["events"]) + (1000 if events.get("nextToken") else 0)
    driver = browser()
    url = server.url + "/#/executions/" + arn.replace(":", "%3A")
    times = []
    for _ in range(ROUNDS + 1):
        driver.get("about:blank")
        start = time.perf_counter()
        driver.get(url)
        WebDriverWait(driver, 30, poll_frequency=0.005).until(
            lambda d: d.execute_script(
                "return document.querySelectorAll('[data-testid=execution-graph] [data-state][data-status=succeeded]').length") >= 99)
        times.append((time.perf_counter() - start) * 1000)
    driver.quit()
    times = times[1:]  # the first load warms the browser's cache
    nav = statistics.median(times)
    print(f"execution page, {len(states) + 1} states, {count}+ events: graph drawn with statuses in "
          f"median {nav:.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms over {ROUNDS} loads")
finally:
    server.stop()
