"""The web console in a real browser: Debian's Chromium driven by Selenium.

Run by `cargo test` (tests/all/console.rs), which installs Chromium,
ChromeDriver and Selenium with scripts/install-browser.sh and passes the
binary, the plugin folder and where to save screenshots through
STEPYARD_BIN, STEPYARD_PLUGINS, STEPYARD_CACHE and STEPYARD_SCREENSHOTS.

Each class starts its own `stepyard serve`, sets up state machines and
executions through the API, then looks at them in the console.
"""

import http.cookiejar
import http.server
import base64
import json
import socket
import re
import os
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STEPYARD_BIN", os.path.join(ROOT, "target", "release", "stepyard"))
PLUGINS = os.environ.get("STEPYARD_PLUGINS", os.path.join(ROOT, "plugins"))
CACHE = os.environ.get("STEPYARD_CACHE")
SHOTS = os.environ.get("STEPYARD_SCREENSHOTS", os.path.join(ROOT, "target", "console-screenshots"))
ROLE = "arn:aws:iam::123456789012:role/StepFunctionLambdaRole"
ORDER = open(os.path.join(ROOT, "workflows", "order.asl.json")).read()
# Waits are scaled by the server's --time-scale (0.05): 40 s is 2 s here.
SLOW = json.dumps({"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Next": "Hold"},
    "Hold": {"Type": "Wait", "Seconds": 40, "Next": "Finish"},
    "Finish": {"Type": "Pass", "End": True}}})
VERY_SLOW = json.dumps({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 6000, "End": True}}})
FANOUT = json.dumps({"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Result": {"items": [1, 2, 3]}, "Next": "Both"},
    "Both": {"Type": "Parallel", "Next": "Done", "Branches": [
        {"StartAt": "EachItem", "States": {"EachItem": {"Type": "Map", "ItemsPath": "$.items", "End": True,
            "ItemProcessor": {"StartAt": "Double", "States": {"Double": {"Type": "Pass", "End": True}}}}}},
        {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 2, "Next": "Note"},
                                         "Note": {"Type": "Pass", "End": True}}}]},
    "Done": {"Type": "Succeed"}}})
XSS_NAME = '<img src=x onerror="window.__xss=1">'
XSS = json.dumps({"StartAt": XSS_NAME, "States": {XSS_NAME: {"Type": "Pass", "End": True}}})

AUTH_FILE = {
    "users": [
        {"name": "admin", "accessKeyId": "AKIDADMIN000000001", "secretAccessKey": "admin-secret-key",
         "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}},
        {"name": "reader", "accessKeyId": "AKIDREADER00000001", "secretAccessKey": "reader-secret-key",
         "policy": {"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": ["states:Describe*", "states:List*", "states:Get*"], "Resource": "*"}]}},
    ],
    "roles": [{"name": "StepFunctionLambdaRole", "policy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}]}}],
}


class Server:
    """A `stepyard serve` on a free port with its own data directory."""

    def __init__(self, *extra):
        self.data = tempfile.mkdtemp(prefix="stepyard-console-")
        args = [BIN, "serve", "--listen", "127.0.0.1:0", "--data", self.data, "--plugins", PLUGINS]
        if CACHE:
            args += ["--cache", CACHE]
        self.proc = subprocess.Popen(args + list(extra), stderr=subprocess.PIPE, text=True)
        self.stderr = []
        while True:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError("serve exited: " + "".join(self.stderr))
            self.stderr.append(line)
            if "listening on http://" in line:
                self.url = "http://" + line.split("listening on http://")[1].split()[0]
                break
        threading.Thread(target=lambda: [self.stderr.append(l) for l in self.proc.stderr], daemon=True).start()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def sign_in(self, key, secret):
        """Opens a console session for API calls made through `call` (servers with --auth)."""
        request = urllib.request.Request(self.url + "/console/session", method="POST",
                                         data=json.dumps({"accessKeyId": key, "secretAccessKey": secret}).encode(),
                                         headers={"Content-Type": "application/json", "X-Stepyard-Console": "1"})
        return json.loads(self.opener.open(request).read())

    def call(self, operation, body):
        request = urllib.request.Request(self.url + "/", method="POST", data=json.dumps(body).encode(), headers={
            "X-Amz-Target": "AWSStepFunctions." + operation, "Content-Type": "application/x-amz-json-1.0",
            "X-Stepyard-Console": "1"})
        return json.loads(self.opener.open(request).read())

    def machine(self, name, definition):
        return self.call("CreateStateMachine", {"name": name, "definition": definition, "roleArn": ROLE})["stateMachineArn"]

    def start(self, machine, name, data=None):
        return self.call("StartExecution", {"stateMachineArn": machine, "name": name,
                                            "input": json.dumps(data or {})})["executionArn"]

    def ended(self, arn, limit=60):
        deadline = time.time() + limit
        while time.time() < deadline:
            d = self.call("DescribeExecution", {"executionArn": arn})
            if d["status"] != "RUNNING":
                return d
            time.sleep(0.05)
        raise AssertionError(f"{arn} still running after {limit}s")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1600,1000"]:
        options.add_argument(flag)
    options.add_argument("--user-data-dir=" + tempfile.mkdtemp(prefix="stepyard-chrome-"))
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=ChromeService(executable_path="/usr/bin/chromedriver"))


class ConsoleTest(unittest.TestCase):
    driver = None

    @classmethod
    def setUpClass(cls):
        os.makedirs(SHOTS, exist_ok=True)
        cls.driver = browser()

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()

    def open(self, path):
        self.driver.get(self.server.url + path)

    def wait(self, predicate, timeout=10, message=""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(lambda d: predicate(), message)

    def css(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def one(self, selector, timeout=10):
        return self.wait(lambda: (self.css(selector) or [None])[0], timeout, f"nothing matches {selector}")

    def attr(self, selector, name):
        """An attribute of the first element matching `selector`, read afresh (the
        page redraws parts of itself as events arrive); None when there is none."""
        try:
            found = self.css(selector)
            return found[0].get_attribute(name) if found else None
        except StaleElementReferenceException:
            return None

    def node_status(self, state):
        """The status the graph shows for a state (its node's data-status)."""
        try:
            nodes = [n for n in self.css("[data-testid=execution-graph] [data-state]")
                     if n.get_attribute("data-state") == state]
            return nodes[0].get_attribute("data-status") if nodes else None
        except StaleElementReferenceException:
            return None

    def execution_status(self):
        return self.attr("[data-testid=execution-status] .pill", "data-status")

    def execution(self, arn):
        self.open("/#/executions/" + urllib.request.quote(arn, safe=""))
        self.one("[data-testid=execution-graph] [data-state]")

    def click_tab(self, label):
        [t for t in self.css("[role=tab]") if t.text == label][0].click()

    def shot(self, name):
        """Saves the whole page (not only the window) as SHOTS/name.png."""
        self.driver.execute_script("window.scrollTo(0, 0)")
        size = self.driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        data = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size[0], "height": min(size[1], 4000), "scale": 1}})
        with open(os.path.join(SHOTS, name + ".png"), "wb") as f:
            f.write(base64.b64decode(data["data"]))

    def no_browser_errors(self):
        errors = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
        self.assertEqual(errors, [], errors)


class Console(ConsoleTest):
    """Without --auth: the order workflow's three endings, Map and Parallel, live updates, actions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = server = Server("--time-scale", "0.05")
        cls.orders = server.machine("orders", ORDER)
        # At a 0.05 time scale ProcessPayment's 30 s timeout is 1.5 s; the
        # first calls of a fresh server (plugins compiled and instantiated
        # while the other test binaries load the machine) can take that long.
        # One order first, whatever its outcome, so the three below do not.
        server.ended(server.start(cls.orders, "warm-up", {"order_id": "w-0", "total": 1}))
        cls.ok = server.start(cls.orders, "o-1", {"order_id": "o-1", "total": 42.5})
        cls.declined = server.start(cls.orders, "o-2", {"order_id": "o-2", "total": 5, "payment": {"card": "declined"}})
        cls.flaky = server.start(cls.orders, "o-3", {"order_id": "o-3", "total": 9, "payment": {"flaky_attempts": 2}})
        cls.fanout = server.start(server.machine("fanout", FANOUT), "fan-1")
        cls.xss = server.start(server.machine("xss", XSS), "x-1")
        cls.slow_machine = server.machine("slow", SLOW)
        cls.very_slow_machine = server.machine("very-slow", VERY_SLOW)
        for arn in [cls.ok, cls.declined, cls.flaky, cls.fanout, cls.xss]:
            server.ended(arn)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.server.stop()

    def test_the_machines_list_shows_each_machine_with_its_recent_executions(self):
        self.open("/")
        row = self.one("[data-machine=orders]")
        self.wait(lambda: "succeeded" in row.text, message=row.text)
        self.assertIn("STANDARD", row.text)
        # o-2 failed; o-1, o-3 (and whatever other tests started) succeeded.
        counts = [int(n) for n in re.findall(r"(\d+) succeeded", row.text)]
        self.assertTrue(counts and min(counts) >= 2, row.text)
        self.assertRegex(row.text, r"\d+ failed")
        self.no_browser_errors()

    def test_the_metrics_page_charts_executions_and_times_each_state(self):
        self.open("/#/metrics")
        row = self.one("[data-testid=machine-metrics] tr[data-machine=orders]")
        cell = lambda r, metric: int(r.find_element(By.CSS_SELECTOR, f"[data-metric={metric}]").text)
        self.assertGreaterEqual(cell(row, "ExecutionsSucceeded"), 2)
        self.assertGreaterEqual(cell(row, "ExecutionsFailed"), 1)
        self.assertRegex(row.find_element(By.CSS_SELECTOR, "[data-q=p99]").text, r"\d+(\.\d+)? (ms|s)")
        failed_bars = self.css("[data-testid=status-chart] rect[data-metric=ExecutionsFailed]")
        self.assertTrue(failed_bars, "a bar for the failed order")
        pay = self.one("[data-testid=state-metrics] tr[data-machine=orders][data-state=ProcessPayment]")
        self.assertGreaterEqual(cell(pay, "StatesFailed"), 1, "the declined card was caught")
        self.assertNotEqual(pay.find_element(By.CSS_SELECTOR, "[data-q=p50]").text, "–")
        plugin = self.one("[data-testid=plugin-metrics] tr[data-plugin=paymentProcessing]")
        self.assertGreaterEqual(cell(plugin, "TaskRetries"), 2, "o-3's two retries")
        self.shot("metrics")
        self.no_browser_errors()

    def test_a_succeeded_order_is_green_along_its_path(self):
        self.execution(self.ok)
        for state in ["PlaceOrder", "ProcessPayment", "ShipOrder", "ConfirmOrder"]:
            self.assertEqual(self.node_status(state), "succeeded", state)
        self.assertEqual(self.node_status("CancelOrder"), "not-started")
        self.assertEqual(self.execution_status(), "SUCCEEDED")
        self.shot("order-succeeded")
        self.no_browser_errors()

    def test_stepyard_graph_writes_the_graph_a_browser_shows_in_the_consoles_colours(self):
        path = os.path.join(tempfile.mkdtemp(prefix="stepyard-graph-"), "o-3.svg")
        subprocess.run([BIN, "graph", "--execution", self.flaky, "--endpoint", self.server.url, "--svg", path],
                       check=True, capture_output=True, timeout=60)
        self.driver.get("file://" + path)
        box = self.one('[data-state=ProcessPayment][data-status=succeeded] > .node-box')
        self.assertEqual(box.value_of_css_property("fill"), "rgb(227, 245, 223)", "the succeeded green")
        self.assertEqual(self.one("[data-state=ProcessPayment] .retry-badge").get_attribute("data-retries"), "2")
        untouched = self.one("[data-state=CancelOrder] > .node-box")
        self.assertEqual(untouched.value_of_css_property("fill"), "rgb(255, 255, 255)")
        self.shot("graph-file")

    def test_retries_show_as_a_badge_and_as_timeline_segments(self):
        self.execution(self.flaky)
        badge = self.one("[data-testid=execution-graph] [data-state=ProcessPayment] .retry-badge")
        self.assertIn("2", badge.text)
        self.shot("order-retried-graph")
        self.click_tab("Table view")
        row = self.one("[data-testid=execution-table] tr[data-state=ProcessPayment]")
        kinds = [s.get_attribute("data-segment") for s in row.find_elements(By.CSS_SELECTOR, "[data-segment]")]
        self.assertEqual([k for k in kinds if k != "after"],
                         ["attempt-failed", "backoff", "attempt-failed", "backoff", "attempt-ok"], kinds)
        self.shot("order-retried-table")

    def test_a_declined_payment_is_caught_and_the_fail_state_fails(self):
        self.execution(self.declined)
        self.assertEqual(self.node_status("ProcessPayment"), "caught-error")
        self.assertEqual(self.node_status("CancelOrder"), "succeeded")
        self.assertEqual(self.node_status("OrderCancelled"), "failed")
        self.assertEqual(self.node_status("ShipOrder"), "not-started")
        banner = self.one("[data-testid=error-banner]")
        self.assertIn("OrderCancelled", banner.text)
        banner.find_element(By.TAG_NAME, "button").click()
        self.assertEqual(self.one("[data-testid=step-name]").text, "OrderCancelled")
        self.shot("order-declined")

    def test_the_step_panel_shows_the_data_flow_and_the_plugins_log_lines(self):
        self.execution(self.ok)
        self.one("[data-testid=execution-graph] [data-state=ProcessPayment]").click()
        self.assertEqual(self.one("[data-testid=step-name]").text, "ProcessPayment")
        self.one("[data-action=data-flow]").click()
        step = self.one("[data-step=afterResultSelector]")
        flow = self.one("[data-testid=data-flow]")
        self.wait(lambda: "payment_id" in flow.text, message=flow.text)
        self.assertIn("ResultSelector", step.text)
        self.assertIn("After ResultPath", flow.text)
        self.shot("step-data-flow")
        self.click_tab("Logs")
        logs = self.one("[data-testid=step-logs]")
        self.wait(lambda: "payment captured" in logs.text, message=logs.text)

    def test_each_attempts_time_and_resources_are_one_click_away(self):
        self.execution(self.flaky)
        cpu = self.one("[data-testid=usage-cpu]")
        self.assertRegex(cpu.text, r"\d+(\.\d+)? (ms|s)")
        self.one("[data-testid=execution-graph] [data-state=ProcessPayment]").click()
        self.wait(lambda: [t for t in self.css("[role=tab]") if t.text == "Resources"], message="a Resources tab")
        self.click_tab("Resources")
        usage = self.one("[data-testid=step-usage] table")
        rows = usage.find_elements(By.CSS_SELECTOR, "tbody tr")
        self.assertEqual([r.get_attribute("data-attempt") for r in rows], ["0", "1", "2"])
        self.assertIn("failed-row", rows[0].get_attribute("class"))
        self.assertRegex(rows[2].find_element(By.CSS_SELECTOR, "[data-usage=memory]").text, r"\d+(\.\d)? (KiB|MiB)")
        self.shot("step-resources")
        self.no_browser_errors()

    def test_selecting_a_state_in_one_view_selects_it_in_the_others(self):
        self.execution(self.ok)
        self.click_tab("Table view")
        self.one("[data-testid=execution-table] tr[data-state=ShipOrder]").click()
        self.assertEqual(self.one("[data-testid=step-name]").text, "ShipOrder")
        self.click_tab("Event view")
        selected = self.css("[data-testid=events] tr.selected")
        self.assertTrue(selected, "the events of ShipOrder are marked")
        self.click_tab("Graph view")
        node = self.one("[data-testid=execution-graph] [data-state=ShipOrder]")
        self.wait(lambda: "selected" in (node.get_attribute("class") or ""), message=node.get_attribute("class"))

    def test_map_iterations_and_parallel_branches_are_child_rows(self):
        self.execution(self.fanout)
        for state in ["Prepare", "Both", "EachItem", "Double", "Pause", "Note", "Done"]:
            self.assertEqual(self.node_status(state), "succeeded", state)
        self.click_tab("Table view")
        self.one("[data-testid=execution-table] tr[data-state=Both] [data-toggle]").click()
        branches = self.wait(lambda: self.css("tr[data-lane-row]"))
        self.assertEqual(sorted(r.get_attribute("data-lane-row") for r in branches), ["Both[0]", "Both[1]"])
        [r for r in branches if r.get_attribute("data-lane-row") == "Both[0]"][0].click()
        self.one("tr[data-state=EachItem] [data-toggle]").click()
        iterations = self.wait(lambda: [r for r in self.css("tr[data-lane-row]") if "#" in r.get_attribute("data-lane-row")])
        self.assertEqual(len(iterations), 3)
        self.shot("map-parallel-table")

    def test_a_running_execution_updates_live(self):
        arn = self.server.start(self.slow_machine, "live-1")
        self.execution(arn)
        self.wait(lambda: self.node_status("Hold") == "in-progress", 5, "Hold in progress")
        self.assertEqual(self.node_status("Finish"), "not-started")
        self.shot("live-running")
        # No reload: the server pushes the events as they happen.
        self.wait(lambda: self.node_status("Finish") == "succeeded", 15, "Finish reached live")
        self.wait(lambda: self.execution_status() == "SUCCEEDED", 5)

    def test_the_stop_and_redrive_buttons_act_on_the_execution(self):
        arn = self.server.start(self.very_slow_machine, "stop-me")
        self.execution(arn)
        self.one("[data-action=stop]").click()
        self.driver.switch_to.alert.accept()
        self.wait(lambda: self.execution_status() == "ABORTED", 10)
        self.assertEqual(self.server.call("DescribeExecution", {"executionArn": arn})["status"], "ABORTED")
        self.assertEqual(self.node_status("Hold"), "cancelled")
        # Redrive the declined order: it re-enters the state that failed.
        self.execution(self.declined)
        self.one("[data-action=redrive]").click()
        self.wait(lambda: self.server.call("DescribeExecution", {"executionArn": self.declined}).get("redriveCount") == 1, 10)
        self.server.ended(self.declined)
        self.click_tab("Event view")
        events = self.one("[data-testid=events]")
        self.wait(lambda: "ExecutionRedriven" in events.text or self.css("[data-event-type=ExecutionRedriven]"), 10)

    def test_a_state_named_like_markup_is_shown_as_text(self):
        self.execution(self.xss)
        node = self.one("[data-testid=execution-graph] [data-state]")
        self.assertEqual(node.get_attribute("data-state"), XSS_NAME)
        # The node's label may be shortened (…), never interpreted.
        self.assertTrue(node.text.startswith('<img src=x onerror="window.'), node.text)
        self.assertFalse(self.driver.execute_script("return window.__xss === 1"))
        self.assertEqual(self.driver.execute_script("return document.querySelectorAll('img[src=x]').length"), 0)
        with self.assertRaises(NoAlertPresentException):
            self.driver.switch_to.alert.text
        self.click_tab("Table view")
        self.assertIn(XSS_NAME, self.one("[data-testid=execution-table]").text)

    def test_start_execution_checks_its_input_before_sending(self):
        self.open("/#/machines/" + urllib.request.quote(self.orders, safe=""))
        # The page draws after its requests answer, which may be after the load event.
        self.wait(lambda: [b for b in self.css("button") if b.text == "Start execution"])[0].click()
        dialog = self.one("[data-testid=start-dialog]")
        text = dialog.find_element(By.TAG_NAME, "textarea")
        start = [b for b in dialog.find_elements(By.TAG_NAME, "button") if b.text == "Start execution"][0]
        text.clear()
        text.send_keys('{"order_id": ')
        self.wait(lambda: not start.is_enabled(), 3)
        self.assertIn("not valid JSON", dialog.find_element(By.CSS_SELECTOR, "[data-testid=input-problem]").text)
        text.clear()
        text.send_keys('{"order_id": "o-ui", "total": 3}')
        self.wait(lambda: start.is_enabled(), 3)
        start.click()
        self.wait(lambda: "#/executions/" in self.driver.current_url, 10)
        self.one("[data-testid=execution-graph] [data-state]")

    def test_the_editor_marks_a_diagnostic_on_its_state(self):
        self.open("/#/machines/" + urllib.request.quote(self.orders, safe="") + "/edit")
        editor = self.one("[data-testid=definition-editor]")
        self.wait(lambda: self.css("[data-valid=true]"), 10, "the saved definition is valid")
        broken = json.loads(ORDER)
        broken["States"]["ShipOrder"]["Next"] = "Nowhere"
        self.driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                                   editor, json.dumps(broken, indent=2))
        self.wait(lambda: self.css("[data-valid=false]"), 10, "the broken definition is refused")
        problems = self.one("[data-testid=diagnostics] li")
        self.assertIn("/States/ShipOrder", problems.get_attribute("data-location"))
        self.wait(lambda: self.css("[data-testid=editor-graph] [data-state=ShipOrder].has-diagnostic")
                  or self.css("[data-testid=editor-graph] [data-state=ShipOrder] .diagnostic-marker"), 5)
        self.assertFalse(self.one("[data-action=save]").is_enabled())
        self.shot("editor-diagnostic")


class ConsoleAlerts(ConsoleTest):
    """The Alerts page of a server started with --alerts FILE."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        folder = tempfile.mkdtemp(prefix="stepyard-alerts-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            refused = s.getsockname()[1]
        rules = {
            "rules": [
                {"name": "failures <img src=x onerror=alert(1)>",
                 "pattern": {"source": ["aws.states"], "detail": {"status": ["FAILED"]}},
                 "targets": [{"webhook": f"http://127.0.0.1:{refused}/down"}, {"file": os.path.join(folder, "f.jsonl")}]},
            ],
            "alarms": [
                {"name": "orders-failing", "metric": "ExecutionsFailed", "dimensions": {"stateMachine": "orders"},
                 "statistic": "Sum", "period": 60, "evaluationPeriods": 1, "threshold": 0,
                 "comparison": "GreaterThanThreshold", "treatMissingData": "notBreaching",
                 "targets": [{"file": os.path.join(folder, "alarms.jsonl")}]},
            ],
            "retry": {"maxAttempts": 2, "intervalSeconds": 0.1},
        }
        path = os.path.join(folder, "alerts.json")
        with open(path, "w") as f:
            json.dump(rules, f)
        cls.server = server = Server("--time-scale", "0.05", "--alerts", path)
        cls.orders = orders = server.machine("orders", ORDER)
        server.ended(server.start(orders, "bad-1", {"order_id": "b-1", "total": 5, "payment": {"card": "declined"}}))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.server.stop()

    def test_a_rule_added_here_gets_the_next_failure_and_can_be_deleted(self):
        received = []

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=hook.serve_forever, daemon=True).start()
        try:
            self.open("/#/alerts")
            self.one("[data-testid=rule-name]").send_keys("from-the-console")
            targets = self.one("[data-testid=rule-targets]")
            set_value = "arguments[0].value = arguments[1]"
            # A command from the console would run anything on the server: refused.
            self.driver.execute_script(set_value, targets, json.dumps([{"command": ["touch", "/tmp/x"]}]))
            self.one("[data-action=add-rule]").click()
            self.wait(lambda: "only webhook" in self.one("[data-testid=rule-message]").text, 5, "a command is refused")
            self.driver.get_log("browser")  # the refusal's 400, expected
            url = f"http://127.0.0.1:{hook.server_address[1]}/hook"
            self.driver.execute_script(set_value, targets, json.dumps([{"webhook": url}]))
            self.one("[data-action=add-rule]").click()
            row = "[data-testid=alert-rules] tr[data-rule=from-the-console][data-origin=api]"
            self.one(row)
            self.server.ended(self.server.start(self.orders, "bad-2", {"order_id": "b-2", "total": 5,
                                                                        "payment": {"card": "declined"}}))
            self.wait(lambda: received, 15, "the webhook gets the failure")
            self.assertEqual(received[0]["detail-type"], "Step Functions Execution Status Change")
            self.assertEqual(received[0]["detail"]["status"], "FAILED")
            self.shot("alerts-added-rule")
            self.one(row + " [data-action=delete-rule]").click()
            self.wait(lambda: not self.css(row), 10, "the rule is gone")
            self.no_browser_errors()
        finally:
            hook.shutdown()

    def test_the_alerts_page_lists_rules_alarms_and_deliveries_with_failures_marked(self):
        self.open("/#/alerts")
        rule = self.one("[data-testid=alert-rules] tbody tr")
        self.assertIn("failures <img src=x onerror=alert(1)>", rule.text, "names are text, not markup")
        self.assertFalse(self.css("[data-testid=alert-rules] img"))
        alarm = self.one("[data-testid=alert-alarms] tr[data-alarm=orders-failing]")
        self.assertIn(alarm.find_element(By.CSS_SELECTOR, "[data-state]").get_attribute("data-state"),
                      ["INSUFFICIENT_DATA", "OK", "ALARM"])
        self.assertIn("ExecutionsFailed", alarm.text)
        self.wait(lambda: self.css("[data-testid=alert-deliveries] tr[data-result=failed]"), timeout=15,
                  message="the webhook's last attempt failed")
        failed = self.css("[data-testid=alert-deliveries] tr[data-result=failed]")[0]
        self.assertIn("failed-row", failed.get_attribute("class"))
        self.assertIn("cannot connect", failed.text)
        delivered = self.css("[data-testid=alert-deliveries] tr[data-result=delivered]")
        self.assertTrue(any("file" in d.text for d in delivered), [d.text for d in delivered])
        self.assertEqual(self.one("#nav a.active").get_attribute("data-section"), "alerts")
        self.shot("alerts")
        self.no_browser_errors()


class ConsoleWithAuth(ConsoleTest):
    """With --auth: signing in, and each user held to their policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        auth = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(AUTH_FILE, auth)
        auth.close()
        cls.server = server = Server("--auth", auth.name, "--time-scale", "0.05")
        server.sign_in("AKIDADMIN000000001", "admin-secret-key")
        machine = server.machine("very-slow", VERY_SLOW)
        cls.running = server.start(machine, "held")

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.server.stop()

    def sign_in(self, key, secret):
        self.driver.delete_all_cookies()
        self.open("/")
        self.one("input[name=accessKeyId]").send_keys(key)
        self.one("input[name=secretAccessKey]").send_keys(secret)
        self.one("form button[type=submit]").click()

    def test_a_wrong_secret_is_refused(self):
        self.sign_in("AKIDREADER00000001", "not-the-secret")
        problem = self.one("[data-testid=signin-problem]")
        self.wait(lambda: "not valid" in problem.text, 5, problem.text)

    def test_a_reader_sees_the_execution_but_cannot_stop_it(self):
        self.sign_in("AKIDREADER00000001", "reader-secret-key")
        self.one("[data-user=reader]")
        self.execution(self.running)
        self.assertEqual(self.node_status("Hold"), "in-progress")
        self.one("[data-action=stop]").click()
        self.driver.switch_to.alert.accept()
        toast = self.one(".toast-error")
        self.assertIn("AccessDeniedException", toast.text)
        self.assertIn("states:StopExecution", toast.text)
        self.assertEqual(self.server.call("DescribeExecution", {"executionArn": self.running})["status"], "RUNNING")
        self.shot("reader-refused")

    def test_the_audit_page_shows_a_refused_call_to_whoever_may_read_the_trail(self):
        self.sign_in("AKIDREADER00000001", "reader-secret-key")
        self.one("[data-user=reader]")
        self.execution(self.running)
        self.one("[data-action=stop]").click()
        self.driver.switch_to.alert.accept()
        self.one(".toast-error")
        # The reader may not read the trail (cloudtrail:LookupEvents).
        self.open("/#/audit")
        refused = self.one("[data-testid=audit-records] .error-text")
        self.assertIn("cloudtrail:LookupEvents", refused.text)

        self.sign_in("AKIDADMIN000000001", "admin-secret-key")
        self.one("[data-user=admin]")
        self.driver.get_log("browser")  # the reader's refusals were logged as failed requests
        self.open("/#/audit")
        # Rows, or the page's error (named in the failure if it comes).
        self.wait(lambda: self.css("[data-testid=audit-records] tbody tr[data-event]")
                  or self.css("[data-testid=audit-records] .error-text"), 10, "the audit page shows nothing")
        problems = [e.text for e in self.css("[data-testid=audit-records] .error-text")]
        self.assertEqual(problems, [], "the admin reads the trail")
        self.one("[data-testid=audit-denied]").click()
        row = "[data-testid=audit-records] tr[data-event=StopExecution][data-user=reader]"
        self.one(row)
        self.wait(lambda: all(r.get_attribute("data-result") != "ok"
                              for r in self.css("[data-testid=audit-records] tr[data-event]")), 5, "only refusals")
        self.assertEqual(self.attr(row, "data-result"), "AccessDeniedException")
        self.one(row).click()
        record = json.loads(self.one(".audit-detail pre").text)
        self.assertEqual(record["userIdentity"]["userName"], "reader")
        self.assertEqual(record["eventSource"], "states.amazonaws.com")
        # The console's stop names an error and a cause: sensitive, so hidden.
        hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"
        self.assertEqual(record["requestParameters"], {"executionArn": self.running, "error": hidden, "cause": hidden})
        self.assertIn("Chrome", record["userAgent"])
        [b for b in self.css("button") if b.text == "Verify chain"][0].click()
        self.wait(lambda: self.attr("[data-testid=audit-verify] .banner", "data-intact") == "true", 5, "the chain verifies")
        self.shot("audit")
        self.no_browser_errors()

    def test_without_a_session_the_api_refuses_console_calls(self):
        request = urllib.request.Request(self.server.url + "/", method="POST", data=b"{}", headers={
            "X-Amz-Target": "AWSStepFunctions.ListStateMachines", "X-Stepyard-Console": "1"})
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        self.assertEqual(json.loads(refused.exception.read())["__type"], "UnrecognizedClientException")


if __name__ == "__main__":
    unittest.main()
