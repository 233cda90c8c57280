"""The Step Functions API of `stepyard serve`, driven by the real AWS clients:
boto3 and the AWS CLI, with and without `--auth`.

Run by `cargo test` (tests/all/clients.rs), which installs the clients with
scripts/install-clients.sh and passes the binary and plugin folder through
STEPYARD_BIN, STEPYARD_PLUGINS and STEPYARD_CACHE.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("STEPYARD_BIN", os.path.join(ROOT, "target", "release", "stepyard"))
PLUGINS = os.environ.get("STEPYARD_PLUGINS", os.path.join(ROOT, "plugins"))
CACHE = os.environ.get("STEPYARD_CACHE")
AWS = os.path.join(os.path.dirname(sys.executable), "aws")
ROLE = "arn:aws:iam::123456789012:role/StepFunctionLambdaRole"
ORDER = open(os.path.join(ROOT, "workflows", "order.asl.json")).read()
WAIT_LONG = json.dumps({
    "StartAt": "Hold",
    "States": {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}},
})
FAIL = json.dumps({
    "StartAt": "Boom",
    "States": {"Boom": {"Type": "Fail", "Error": "Broken", "Cause": "always"}},
})
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}})

ALLOW_ALL_STATES = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "states:*", "Resource": "*"}]}
AUTH_FILE = {
    "users": [
        {"name": "admin", "accessKeyId": "AKIDADMIN000000001", "secretAccessKey": "admin-secret-key",
         "policy": ALLOW_ALL_STATES},
        {"name": "reader", "accessKeyId": "AKIDREADER00000001", "secretAccessKey": "reader-secret-key",
         "policy": {"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": ["states:Describe*", "states:List*", "states:Get*"], "Resource": "*"},
             {"Effect": "Deny", "Action": "states:StartExecution", "Resource": "*"}]}},
    ],
    "roles": [
        {"name": "StepFunctionLambdaRole", "policy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:*:*:function:*"}]}},
        {"name": "PlacementOnlyRole", "policy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction",
             "Resource": "arn:aws:lambda:*:*:function:orderPlacement"}]}},
    ],
}


class Server:
    """A `stepyard serve` process on a free port with its own data directory."""

    def __init__(self, *extra):
        self.data = tempfile.mkdtemp(prefix="stepyard-clients-")
        args = [BIN, "serve", "--listen", "127.0.0.1:0", "--data", self.data, "--plugins", PLUGINS]
        if CACHE:
            args += ["--cache", CACHE]
        self.proc = subprocess.Popen(list(args) + list(extra), stderr=subprocess.PIPE, text=True)
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

    def client(self, key="AKIDANY", secret="any-secret"):
        return boto3.client(
            "stepfunctions", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id=key, aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}, inject_host_prefix=False),
        )

    def aws(self, *args, key="AKIDANY", secret="any-secret"):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        return subprocess.run([AWS, "stepfunctions", *args, "--endpoint-url", self.url, "--output", "json"],
                               env=env, capture_output=True, text=True, timeout=60)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def wait_ended(client, arn, limit=120):
    # Generous: on a loaded 2-core machine (the whole suite at once) a
    # plugin call can outlast its time limit and be retried with backoff.
    deadline = time.time() + limit
    while time.time() < deadline:
        d = client.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.05)
    events = client.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=8)["events"]
    recent = [(e["id"], e["type"], str(e.get("taskFailedEventDetails") or e.get("taskTimedOutEventDetails") or "")[:200])
              for e in events]
    raise AssertionError(f"{arn} still running after {limit}s; its last events: {recent}")


def code_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("the call succeeded")


class WithoutAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.sfn = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_order_workflow_runs_and_its_history_and_listing_paginate(self):
        sfn = self.sfn
        arn = sfn.create_state_machine(name="orders", definition=ORDER, roleArn=ROLE)["stateMachineArn"]
        runs = [sfn.start_execution(stateMachineArn=arn, name=f"order-{i}",
                                    input=json.dumps({"order_id": f"b-{i}", "total": 20 + i}))["executionArn"]
                for i in range(5)]
        for run in runs:
            d = wait_ended(sfn, run)
            self.assertEqual(d["status"], "SUCCEEDED", d)
            self.assertEqual(json.loads(d["output"])["confirmation"]["status"], "CONFIRMED")
        events = [e for page in sfn.get_paginator("get_execution_history").paginate(
            executionArn=runs[0], PaginationConfig={"PageSize": 4}) for e in page["events"]]
        self.assertEqual([e["id"] for e in events], list(range(1, len(events) + 1)))
        self.assertEqual(events[0]["type"], "ExecutionStarted")
        self.assertEqual(events[-1]["type"], "ExecutionSucceeded")
        self.assertEqual(json.loads(events[0]["executionStartedEventDetails"]["input"])["order_id"], "b-0")
        newest = sfn.get_execution_history(executionArn=runs[0], reverseOrder=True, maxResults=1)
        self.assertEqual(newest["events"][0]["id"], len(events))
        listed = [e["name"] for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=arn, PaginationConfig={"PageSize": 2}) for e in page["executions"]]
        self.assertEqual(listed, [f"order-{i}" for i in reversed(range(5))])
        succeeded = sfn.list_executions(stateMachineArn=arn, statusFilter="SUCCEEDED")["executions"]
        self.assertEqual(len(succeeded), 5)
        self.assertEqual(sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"], [])
        described = sfn.describe_state_machine_for_execution(executionArn=runs[0])
        self.assertEqual(described["definition"], ORDER)
        names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
        self.assertIn("orders", names)

    def test_stop_and_redrive(self):
        sfn = self.sfn
        arn = sfn.create_state_machine(name="hold", definition=WAIT_LONG, roleArn=ROLE)["stateMachineArn"]
        run = sfn.start_execution(stateMachineArn=arn, name="h1")["executionArn"]
        self.assertEqual(sfn.describe_execution(executionArn=run)["status"], "RUNNING")
        # Same name, same input, still running: the same execution.
        self.assertEqual(sfn.start_execution(stateMachineArn=arn, name="h1")["executionArn"], run)
        sfn.stop_execution(executionArn=run, error="Operator", cause="stopped by the test")
        d = sfn.describe_execution(executionArn=run)
        self.assertEqual((d["status"], d["error"], d["cause"]), ("ABORTED", "Operator", "stopped by the test"))
        self.assertEqual(d["redriveStatus"], "REDRIVABLE")
        last = sfn.get_execution_history(executionArn=run, reverseOrder=True)["events"][0]
        self.assertEqual(last["type"], "ExecutionAborted")
        self.assertEqual(last["executionAbortedEventDetails"]["error"], "Operator")
        sfn.redrive_execution(executionArn=run)
        d = sfn.describe_execution(executionArn=run)
        self.assertEqual((d["status"], d["redriveCount"]), ("RUNNING", 1))
        types = [e["type"] for e in sfn.get_execution_history(executionArn=run)["events"]]
        self.assertIn("ExecutionRedriven", types)
        self.assertEqual(code_of(lambda: sfn.redrive_execution(executionArn=run)), "ExecutionNotRedrivable")
        sfn.stop_execution(executionArn=run)
        self.assertEqual(code_of(lambda: sfn.start_execution(stateMachineArn=arn, name="h1")),
                         "ExecutionAlreadyExists")

    def test_each_error_code(self):
        sfn = self.sfn
        arn = sfn.create_state_machine(name="errs", definition=PASS, roleArn=ROLE)["stateMachineArn"]
        run = sfn.start_execution(stateMachineArn=arn, name="e1", input="{}")["executionArn"]
        wait_ended(sfn, run)
        missing_machine = arn.replace(":errs", ":nope")
        cases = [
            (lambda: sfn.describe_state_machine(stateMachineArn=missing_machine), "StateMachineDoesNotExist"),
            (lambda: sfn.start_execution(stateMachineArn=missing_machine), "StateMachineDoesNotExist"),
            (lambda: sfn.describe_execution(executionArn=run + "x"), "ExecutionDoesNotExist"),
            (lambda: sfn.get_execution_history(executionArn=run + "x"), "ExecutionDoesNotExist"),
            (lambda: sfn.start_execution(stateMachineArn=arn, name="e1", input='{"other": 1}'),
             "ExecutionAlreadyExists"),
            (lambda: sfn.create_state_machine(name="bad", definition='{"StartAt": "X", "States": {}}',
                                              roleArn=ROLE), "InvalidDefinition"),
            (lambda: sfn.create_state_machine(name="errs", definition=WAIT_LONG, roleArn=ROLE),
             "StateMachineAlreadyExists"),
            (lambda: sfn.create_state_machine(name="has space", definition=PASS, roleArn=ROLE), "InvalidName"),
            (lambda: sfn.describe_execution(executionArn="arn:aws:states:us-east-1:123456789012:stateMachine:x"),
             "InvalidArn"),
            (lambda: sfn.describe_state_machine(stateMachineArn="not-an-arn-at-all"), "InvalidArn"),
            (lambda: sfn.create_state_machine(name="r", definition=PASS, roleArn="arn:aws:iam::1:user/u"),
             "InvalidArn"),
            (lambda: sfn.start_execution(stateMachineArn=arn, input="{nope"), "InvalidExecutionInput"),
            (lambda: sfn.list_executions(), "ValidationException"),
            (lambda: sfn.list_executions(stateMachineArn=arn, nextToken="garbage"), "InvalidToken"),
            (lambda: sfn.update_state_machine(stateMachineArn=arn), "MissingRequiredParameter"),
            (lambda: sfn.start_sync_execution(stateMachineArn=arn), "StateMachineTypeNotSupported"),
            (lambda: sfn.redrive_execution(executionArn=run), "ExecutionNotRedrivable"),
            (lambda: sfn.list_tags_for_resource(resourceArn=missing_machine), "ResourceNotFound"),
        ]
        for call, code in cases:
            with self.subTest(code=code):
                self.assertEqual(code_of(call), code)

    def test_versions_tags_updates_validation_and_express(self):
        sfn = self.sfn
        created = sfn.create_state_machine(name="versioned", definition=PASS, roleArn=ROLE, publish=True,
                                           versionDescription="first", tags=[{"key": "team", "value": "orders"}])
        arn, v1 = created["stateMachineArn"], created["stateMachineVersionArn"]
        self.assertEqual(v1, arn + ":1")
        sfn.update_state_machine(stateMachineArn=arn, definition=FAIL)
        v2 = sfn.publish_state_machine_version(stateMachineArn=arn, description="second")["stateMachineVersionArn"]
        self.assertEqual(v2, arn + ":2")
        self.assertEqual(sfn.describe_state_machine(stateMachineArn=v1)["definition"], PASS)
        listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
        self.assertEqual([v["stateMachineVersionArn"] for v in listed], [v2, v1])
        self.assertEqual(sfn.describe_state_machine(stateMachineArn=arn)["definition"], FAIL)
        run = sfn.start_execution(stateMachineArn=v1, name="on-v1")["executionArn"]
        d = wait_ended(sfn, run)
        self.assertEqual((d["status"], d["stateMachineVersionArn"]), ("SUCCEEDED", v1))
        failed = wait_ended(sfn, sfn.start_execution(stateMachineArn=arn, name="on-latest")["executionArn"])
        self.assertEqual((failed["status"], failed["error"], failed["cause"]), ("FAILED", "Broken", "always"))
        sfn.delete_state_machine_version(stateMachineVersionArn=v2)
        self.assertEqual(code_of(lambda: sfn.describe_state_machine(stateMachineArn=v2)), "StateMachineDoesNotExist")
        sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "test"}])
        sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
        self.assertEqual(sfn.list_tags_for_resource(resourceArn=arn)["tags"], [{"key": "env", "value": "test"}])
        bad = sfn.validate_state_machine_definition(definition='{"StartAt": "X", "States": {}}')
        self.assertEqual(bad["result"], "FAIL")
        self.assertTrue(bad["diagnostics"][0]["code"])
        self.assertEqual(sfn.validate_state_machine_definition(definition=ORDER)["result"], "OK")
        express = sfn.create_state_machine(name="quick", definition=PASS, roleArn=ROLE,
                                           type="EXPRESS")["stateMachineArn"]
        sync = sfn.start_sync_execution(stateMachineArn=express, input="{}")
        self.assertEqual((sync["status"], json.loads(sync["output"])), ("SUCCEEDED", {"ok": True}))
        sfn.delete_state_machine(stateMachineArn=express)
        self.assertEqual(code_of(lambda: sfn.describe_state_machine(stateMachineArn=express)),
                         "StateMachineDoesNotExist")

    def test_an_alias_routes_starts_to_its_versions(self):
        sfn = self.sfn
        created = sfn.create_state_machine(name="aliased", definition=PASS, roleArn=ROLE, publish=True)
        arn, v1 = created["stateMachineArn"], created["stateMachineVersionArn"]
        sfn.update_state_machine(stateMachineArn=arn, definition=FAIL)
        v2 = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
        alias = sfn.create_state_machine_alias(
            name="live", description="the one users call",
            routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])["stateMachineAliasArn"]
        self.assertEqual(alias, arn + ":live")
        d = wait_ended(sfn, sfn.start_execution(stateMachineArn=alias, name="via-alias")["executionArn"])
        self.assertEqual((d["status"], d["stateMachineVersionArn"], d["stateMachineAliasArn"]), ("SUCCEEDED", v1, alias))
        sfn.update_state_machine_alias(stateMachineAliasArn=alias,
                                       routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}])
        described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
        self.assertEqual((described["name"], described["description"]), ("live", "the one users call"))
        self.assertEqual(described["routingConfiguration"], [{"stateMachineVersionArn": v2, "weight": 100}])
        d = wait_ended(sfn, sfn.start_execution(stateMachineArn=alias, name="after-update")["executionArn"])
        self.assertEqual((d["status"], d["stateMachineVersionArn"]), ("FAILED", v2))
        listed = sfn.list_executions(stateMachineArn=alias)["executions"]
        self.assertEqual(sorted(e["name"] for e in listed), ["after-update", "via-alias"])
        aliases = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
        self.assertEqual([a["stateMachineAliasArn"] for a in aliases], [alias])
        self.assertEqual(code_of(lambda: sfn.delete_state_machine_version(stateMachineVersionArn=v2)),
                         "ConflictException")
        sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
        self.assertEqual(code_of(lambda: sfn.describe_state_machine_alias(stateMachineAliasArn=alias)),
                         "ResourceNotFound")

    def test_test_state_runs_one_state(self):
        sfn = self.sfn
        pass_state = {"Type": "Pass", "Parameters": {"x.$": "$.a"}, "Next": "Later"}
        r = sfn.test_state(definition=json.dumps(pass_state), input='{"a": 1}')
        self.assertEqual((r["status"], json.loads(r["output"]), r["nextState"]), ("SUCCEEDED", {"x": 1}, "Later"))
        choice = {"Type": "Choice", "Default": "Small",
                  "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}]}
        self.assertEqual(sfn.test_state(definition=json.dumps(choice), input='{"n": 5}')["nextState"], "Big")
        self.assertEqual(sfn.test_state(definition=json.dumps(choice), input='{"n": 0}')["nextState"], "Small")
        r = sfn.test_state(definition=json.dumps({"Type": "Fail", "Error": "Bad", "Cause": "because"}))
        self.assertEqual((r["status"], r["error"], r["cause"]), ("FAILED", "Bad", "because"))
        task = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:nope", "End": True,
                "Retry": [{"ErrorEquals": ["States.ALL"]}]}
        self.assertEqual(sfn.test_state(definition=json.dumps(task))["status"], "RETRIABLE")
        del task["Retry"]
        task["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}]
        r = sfn.test_state(definition=json.dumps(task))
        self.assertEqual((r["status"], r["nextState"], r["error"]),
                         ("CAUGHT_ERROR", "Handle", "Lambda.ResourceNotFoundException"))
        started = time.time()
        r = sfn.test_state(definition=json.dumps({"Type": "Wait", "Seconds": 3600, "Next": "After"}))
        self.assertEqual((r["status"], r["nextState"]), ("SUCCEEDED", "After"))
        self.assertLess(time.time() - started, 5)
        r = sfn.test_state(definition=ORDER, stateName="PlaceOrder", input=json.dumps({"order_id": "ts-1", "total": 1}))
        self.assertEqual((r["status"], r["nextState"]), ("SUCCEEDED", "ProcessPayment"), r)
        self.assertEqual(code_of(lambda: sfn.test_state(definition='{"Type": "Nope"}')), "InvalidDefinition")
        # The November 2025 additions: mocks and the retry count so far.
        r = sfn.test_state(definition=ORDER, stateName="PlaceOrder", input='{"order_id": "ts-2"}',
                           mock={"errorOutput": {"error": "Lambda.ServiceException", "cause": "down"}},
                           stateConfiguration={"retrierRetryCount": 1})
        self.assertEqual((r["status"], r["inspectionData"]["errorDetails"]),
                         ("RETRIABLE", {"retryIndex": 0, "retryBackoffIntervalSeconds": 2}), r)
        r = sfn.test_state(definition=ORDER, stateName="ProcessPayment", input='{"order_id": "ts-2"}',
                           mock={"errorOutput": {"error": "PaymentDeclined", "cause": "card"}})
        self.assertEqual((r["status"], r["nextState"], r["inspectionData"]["errorDetails"]),
                         ("CAUGHT_ERROR", "CancelOrder", {"catchIndex": 0}), r)
        self.assertEqual(code_of(lambda: sfn.test_state(
            definition=json.dumps(pass_state), mock={"result": "1"})), "ValidationException")

    def test_a_callback_task_waits_for_send_task_success(self):
        sfn = self.sfn
        definition = json.dumps({"StartAt": "Approve", "States": {"Approve": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "orderConfirmation",
                           "Payload": {"order_id": "cb-1", "token.$": "$$.Task.Token"}},
            "End": True}}})
        arn = sfn.create_state_machine(name="approval", definition=definition, roleArn=ROLE)["stateMachineArn"]
        run = sfn.start_execution(stateMachineArn=arn, name="cb-1")["executionArn"]
        token = None
        for _ in range(200):
            for e in sfn.get_execution_history(executionArn=run)["events"]:
                if e["type"] == "TaskScheduled":
                    token = json.loads(e["taskScheduledEventDetails"]["parameters"])["Payload"]["token"]
            if token:
                break
            time.sleep(0.05)
        self.assertTrue(token)
        time.sleep(0.3)
        self.assertEqual(sfn.describe_execution(executionArn=run)["status"], "RUNNING")
        sfn.send_task_heartbeat(taskToken=token)
        sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
        d = wait_ended(sfn, run)
        self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"approved": True}))
        self.assertEqual(code_of(lambda: sfn.send_task_success(taskToken=token, output="{}")), "TaskDoesNotExist")

    def test_the_aws_cli(self):
        created = self.server.aws("create-state-machine", "--name", "cli", "--definition", ORDER,
                                  "--role-arn", ROLE)
        self.assertEqual(created.returncode, 0, created.stderr)
        arn = json.loads(created.stdout)["stateMachineArn"]
        started = self.server.aws("start-execution", "--state-machine-arn", arn, "--name", "cli-1",
                                  "--input", json.dumps({"order_id": "cli-1", "total": 5}))
        self.assertEqual(started.returncode, 0, started.stderr)
        run = json.loads(started.stdout)["executionArn"]
        wait_ended(self.sfn, run)
        described = self.server.aws("describe-execution", "--execution-arn", run)
        self.assertEqual(json.loads(described.stdout)["status"], "SUCCEEDED")
        listed = self.server.aws("list-executions", "--state-machine-arn", arn)
        self.assertEqual([e["name"] for e in json.loads(listed.stdout)["executions"]], ["cli-1"])
        missing = self.server.aws("describe-execution", "--execution-arn", run + "-nope")
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("ExecutionDoesNotExist", missing.stderr)


class WithAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        fd, cls.auth_path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(AUTH_FILE, f)
        cls.server = Server("--auth", cls.auth_path)
        cls.admin = cls.server.client("AKIDADMIN000000001", "admin-secret-key")
        cls.reader = cls.server.client("AKIDREADER00000001", "reader-secret-key")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_signed_requests_run_the_workflow_under_its_role(self):
        arn = self.admin.create_state_machine(name="orders", definition=ORDER, roleArn=ROLE)["stateMachineArn"]
        run = self.admin.start_execution(stateMachineArn=arn,
                                         input=json.dumps({"order_id": "auth-1", "total": 3}))["executionArn"]
        self.assertEqual(wait_ended(self.admin, run)["status"], "SUCCEEDED")
        # A reader may look but not start.
        self.assertEqual(self.reader.describe_execution(executionArn=run)["status"], "SUCCEEDED")
        self.assertEqual(code_of(lambda: self.reader.start_execution(stateMachineArn=arn)),
                         "AccessDeniedException")
        self.assertEqual(code_of(lambda: self.reader.create_state_machine(
            name="x", definition=PASS, roleArn=ROLE)), "AccessDeniedException")

    def test_wrong_keys_are_refused(self):
        wrong_secret = self.server.client("AKIDADMIN000000001", "not-the-secret")
        self.assertEqual(code_of(lambda: wrong_secret.list_state_machines()), "InvalidSignatureException")
        unknown = self.server.client("AKIDUNKNOWN0000001", "whatever")
        self.assertEqual(code_of(lambda: unknown.list_state_machines()), "UnrecognizedClientException")
        cli = self.server.aws("list-state-machines", key="AKIDUNKNOWN0000001", secret="whatever")
        self.assertNotEqual(cli.returncode, 0)
        self.assertIn("UnrecognizedClientException", cli.stderr)
        denied = self.server.aws("start-execution", "--state-machine-arn",
                                 "arn:aws:states:us-east-1:123456789012:stateMachine:orders",
                                 key="AKIDREADER00000001", secret="reader-secret-key")
        self.assertIn("AccessDeniedException", denied.stderr)
        ok = self.server.aws("list-state-machines", key="AKIDADMIN000000001", secret="admin-secret-key")
        self.assertEqual(ok.returncode, 0, ok.stderr)

    def test_a_role_without_invoke_permission_fails_the_task_and_says_why(self):
        role = "arn:aws:iam::123456789012:role/PlacementOnlyRole"
        arn = self.admin.create_state_machine(name="limited", definition=ORDER, roleArn=role)["stateMachineArn"]
        run = self.admin.start_execution(stateMachineArn=arn,
                                         input=json.dumps({"order_id": "auth-2", "total": 3}))["executionArn"]
        d = wait_ended(self.admin, run)
        self.assertEqual(d["status"], "FAILED", d)
        self.assertEqual(d["error"], "Lambda.AWSLambdaException")
        self.assertIn("assumed-role/PlacementOnlyRole", d["cause"])
        self.assertIn("lambda:InvokeFunction", d["cause"])
        self.assertIn("function:paymentProcessing", d["cause"])
        events = self.admin.get_execution_history(executionArn=run)["events"]
        failed = [e for e in events if e["type"] == "TaskFailed"]
        self.assertTrue(failed and "PlacementOnlyRole" in failed[0]["taskFailedEventDetails"]["cause"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
