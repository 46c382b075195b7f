"""Checks of deploy/cloudformation/docpipe.yaml against the code and against moto.

Run through CTest (label "deploy"), one class per test:
  python3 tests/deploy/cloudformation_test.py LintTest
with DOCPIPE_BIN pointing at the built docpipe binary (for `docpipe provision --print-plan`,
which prints what the code creates and what each stack role's process calls).
"""

import io
import json
import os
import re
import socket
import subprocess
import sys
import unittest
import zipfile

from deploy_test_util import require_python_peers

require_python_peers()

from cfnlint.decode import decode  # noqa: E402 (after the check, so a missing peer says how to install it)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "deploy", "cloudformation", "docpipe.yaml")
EXAMPLE = os.path.join(ROOT, "deploy", "cloudformation", "parameters.example.json")
DEPLOYMENT_DOC = os.path.join(ROOT, "docs", "deployment.md")

# The template's IAM roles and the code's (src/app/iam_roles.cpp) they implement.
ROLES = {"LambdaRole": "lambda", "WorkerTaskRole": "worker", "HeadTaskRole": "head",
         "TaskExecutionRole": "task-execution"}
# Template names (resources, or parameters naming an existing one) -> the code's StackResourceName.
RESOURCE_SYMBOLS = {
    "Bucket": "bucket", "ControlTable": "control-table", "AuditTable": "audit-table",
    "MetricsTable": "metrics-table", "WorkQueue": "work-queue", "DeadLetterQueue": "dead-letter-queue",
    "OpenAiApiKeySecret": "openai-api-key-secret", "OpenAiApiKeySecretArn": "openai-api-key-secret",
    "PineconeApiKeySecret": "pinecone-api-key-secret", "PineconeApiKeySecretArn": "pinecone-api-key-secret",
    "ApiTokenSecret": "api-token-secret", "LambdaLogGroup": "lambda-log-group",
    "HeadLogGroup": "head-log-group", "WorkerLogGroup": "worker-log-group", "Repository": "image-repository",
}
# An image outside the stack: any repository of the account (its ARN cannot be derived from a URI).
ACCOUNT_REPOSITORIES = "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*"


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_template():
    template, errors = decode(TEMPLATE)
    assert not errors, errors
    return template


def plan(env_overrides=None):
    binary = os.environ.get("DOCPIPE_BIN") or os.path.join(ROOT, "build", "docpipe")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCPIPE_", "DYNAMODB_", "SQS_", "AWS_"))}
    env.update(env_overrides or {})
    out = subprocess.run([binary, "provision", "--print-plan"], env=env, capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout)


def resources_of_type(template, type_name):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def container_env(template, task_definition):
    container = template["Resources"][task_definition]["Properties"]["ContainerDefinitions"][0]
    return {e["Name"]: e["Value"] for e in container["Environment"]}


class LintTest(unittest.TestCase):
    def test_cfn_lint_prints_nothing(self):
        r = subprocess.run(["cfn-lint", TEMPLATE], capture_output=True, text=True)
        self.assertEqual((r.stdout + r.stderr).strip(), "", "cfn-lint findings")
        self.assertEqual(r.returncode, 0)

    def test_no_blanket_ignores(self):
        text = read_text(TEMPLATE)
        self.assertNotIn("ignore_checks", text.split("Resources:")[0], "template-wide cfn-lint ignores")


def resource_symbol(value):
    """The code's resource name of one IAM Resource entry of the template."""
    if value == "*":
        return "*"
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            name, attribute = value["Fn::GetAtt"]
            assert attribute == "Arn", value
            return RESOURCE_SYMBOLS[name]
        if "Ref" in value:
            return RESOURCE_SYMBOLS[value["Ref"]]
        if "Fn::Sub" in value:
            text = value["Fn::Sub"]
            if text == ACCOUNT_REPOSITORIES:
                return "image-repository"
            m = re.fullmatch(r"\$\{(\w+)\.Arn\}(/.*)", text)
            assert m, f"unexpected resource {text}"
            return RESOURCE_SYMBOLS[m.group(1)] + m.group(2)
        if "Fn::If" in value:
            _, yes, no = value["Fn::If"]
            a, b = resource_symbol(yes), resource_symbol(no)
            assert a == b, f"the branches of {value} name different resources"
            return a
    raise AssertionError(f"unexpected IAM resource {value!r}")


def as_list(v):
    return v if isinstance(v, list) else [v]


def role_permissions(role):
    """{(action, resource, condition_key)} a template role allows, and the condition values."""
    out, conditions = set(), {}
    for policy in role["Properties"].get("Policies", []):
        for st in policy["PolicyDocument"]["Statement"]:
            assert st["Effect"] == "Allow", st
            assert "NotAction" not in st and "NotResource" not in st, st
            keys = []
            for op, cond in st.get("Condition", {}).items():
                for key, value in cond.items():
                    keys.append(key)
                    conditions[key] = value
            assert len(keys) <= 1, st
            for action in as_list(st["Action"]):
                assert "*" not in action, f"wildcard action {action}"
                for resource in as_list(st["Resource"]):
                    out.add((action, resource_symbol(resource), keys[0] if keys else ""))
    return out, conditions


class IamTest(unittest.TestCase):
    """Each role allows exactly what the code's processes in it call (src/app/iam_roles.cpp,
    built from the operations each adapter declares and AwsClient enforces)."""

    @classmethod
    def setUpClass(cls):
        cls.template = load_template()
        cls.code_roles = plan()["iam_roles"]

    def test_every_role_is_checked(self):
        self.assertEqual(set(resources_of_type(self.template, "AWS::IAM::Role")), set(ROLES))
        self.assertEqual(set(self.code_roles), set(ROLES.values()))

    def test_roles_allow_exactly_what_the_code_calls(self):
        for logical, code_name in ROLES.items():
            with self.subTest(role=logical):
                allowed, _ = role_permissions(self.template["Resources"][logical])
                needed = {(p["action"], p["resource"], p.get("condition_key", "")) for p in self.code_roles[code_name]}
                self.assertEqual(sorted(needed - allowed), [], "needed by the code, not allowed")
                self.assertEqual(sorted(allowed - needed), [], "allowed, not needed by the code")

    def test_star_resources_only_without_an_arn_and_conditions_hold(self):
        namespace = container_env(self.template, "WorkerTaskDefinition")["DOCPIPE_CLOUDWATCH_NAMESPACE"]
        for logical in ROLES:
            allowed, conditions = role_permissions(self.template["Resources"][logical])
            for action, resource, key in allowed:
                if resource == "*":
                    # The code declares this action without a resource kind (kNone).
                    self.assertTrue(any(p["action"] == action and p["resource"] == "*"
                                        for p in self.code_roles[ROLES[logical]]), action)
            if "cloudwatch:namespace" in conditions:
                self.assertEqual(conditions["cloudwatch:namespace"], namespace)

    def test_roles_are_assumed_by_the_right_service(self):
        services = {"LambdaRole": "lambda.amazonaws.com"}
        for logical in ROLES:
            doc = self.template["Resources"][logical]["Properties"]["AssumeRolePolicyDocument"]
            principals = {st["Principal"]["Service"] for st in doc["Statement"]}
            self.assertEqual(principals, {services.get(logical, "ecs-tasks.amazonaws.com")})

    def test_task_definitions_use_the_roles(self):
        res = self.template["Resources"]
        for td, role in [("HeadTaskDefinition", "HeadTaskRole"), ("WorkerTaskDefinition", "WorkerTaskRole")]:
            props = res[td]["Properties"]
            self.assertEqual(props["TaskRoleArn"], {"Fn::GetAtt": [role, "Arn"]})
            self.assertEqual(props["ExecutionRoleArn"], {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]})
        self.assertEqual(res["RegisterFunction"]["Properties"]["Role"], {"Fn::GetAtt": ["LambdaRole", "Arn"]})


class SchemaTest(unittest.TestCase):
    """Tables, keys, GSIs, TTL and queue attributes equal what `docpipe provision` creates."""

    @classmethod
    def setUpClass(cls):
        cls.template = load_template()
        cls.params = cls.template["Parameters"]
        # Table names = the template's logical ids, so the plan names them directly.
        cls.plan = plan({"DYNAMODB_CONTROL_TABLE": "ControlTable", "DYNAMODB_AUDIT_TABLE": "AuditTable",
                         "DYNAMODB_METRICS_TABLE": "MetricsTable",
                         "DOCPIPE_MAX_RECEIVE_COUNT": str(cls.params["MaxReceiveCount"]["Default"])})

    def test_tables_equal_the_create_table_requests(self):
        tables = resources_of_type(self.template, "AWS::DynamoDB::Table")
        requests = {r["TableName"]: r for r in self.plan["create_table_requests"]}
        self.assertEqual(set(tables), set(requests))
        norm_attrs = lambda a: sorted((x["AttributeName"], x["AttributeType"]) for x in a)
        norm_keys = lambda k: [(x["AttributeName"], x["KeyType"]) for x in k]
        norm_gsis = lambda g: sorted((x["IndexName"], tuple(norm_keys(x["KeySchema"])),
                                      x["Projection"]["ProjectionType"]) for x in g)
        for name, req in requests.items():
            with self.subTest(table=name):
                props = tables[name]["Properties"]
                self.assertEqual(norm_attrs(props["AttributeDefinitions"]), norm_attrs(req["AttributeDefinitions"]))
                self.assertEqual(norm_keys(props["KeySchema"]), norm_keys(req["KeySchema"]))
                self.assertEqual(norm_gsis(props.get("GlobalSecondaryIndexes", [])),
                                 norm_gsis(req.get("GlobalSecondaryIndexes", [])))
                self.assertEqual(props["BillingMode"], req["BillingMode"])
                self.assertEqual(props["SSESpecification"]["SSEEnabled"], req["SSESpecification"]["Enabled"])
                self.assertTrue(props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"])

    def test_ttl_attributes_equal(self):
        ttl = self.plan["time_to_live_attributes"]
        for name, table in resources_of_type(self.template, "AWS::DynamoDB::Table").items():
            spec = table["Properties"].get("TimeToLiveSpecification")
            if name in ttl:
                self.assertEqual(spec, {"AttributeName": ttl[name], "Enabled": True}, name)
            else:
                self.assertIsNone(spec, name)

    def test_queues_equal_the_provisioned_attributes(self):
        res = self.template["Resources"]
        dlq, work = res["DeadLetterQueue"]["Properties"], res["WorkQueue"]["Properties"]
        want_dlq = self.plan["queues"]["dead_letter_queue"]["attributes"]
        self.assertEqual(str(dlq["MessageRetentionPeriod"]), want_dlq["MessageRetentionPeriod"])
        want = self.plan["queues"]["work_queue"]["attributes"]
        redrive = json.loads(want["RedrivePolicy"])
        self.assertEqual(work["RedrivePolicy"]["deadLetterTargetArn"], {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]})
        self.assertEqual(work["RedrivePolicy"]["maxReceiveCount"], {"Ref": "MaxReceiveCount"})
        self.assertEqual(redrive["maxReceiveCount"], int(self.params["MaxReceiveCount"]["Default"]))
        self.assertEqual(str(work["ReceiveMessageWaitTimeSeconds"]), want["ReceiveMessageWaitTimeSeconds"])

    def test_visibility_timeout_exceeds_every_stage_timeout(self):
        work = self.template["Resources"]["WorkQueue"]["Properties"]
        self.assertEqual(work["VisibilityTimeout"],
                         {"Fn::FindInMap": ["StageTimeouts", {"Ref": "StageTimeoutSeconds"}, "VisibilityTimeout"]})
        mapping = self.template["Mappings"]["StageTimeouts"]
        self.assertEqual(set(mapping), set(self.params["StageTimeoutSeconds"]["AllowedValues"]))
        lease = int(self.plan["queues"]["work_queue"]["attributes"]["VisibilityTimeout"])
        for stage, row in mapping.items():
            self.assertGreater(int(row["VisibilityTimeout"]), int(stage))
            self.assertGreaterEqual(int(row["VisibilityTimeout"]), lease)
            self.assertGreaterEqual(int(row["DocumentTimeout"]), int(stage))
        env = container_env(self.template, "WorkerTaskDefinition")
        self.assertEqual(env["DOCPIPE_STAGE_TIMEOUT_SECONDS"], {"Ref": "StageTimeoutSeconds"})
        self.assertEqual(env["DOCPIPE_MAX_RECEIVE_COUNT"], {"Ref": "MaxReceiveCount"})

    def test_alarms_on_docpipe_metrics_use_published_names_and_dimensions(self):
        namespace = container_env(self.template, "WorkerTaskDefinition")["DOCPIPE_CLOUDWATCH_NAMESPACE"]
        published = {m["name"]: sorted(m["dimensions"]) for m in self.plan["cloudwatch"]["metrics"]}
        seen = set()
        for name, alarm in resources_of_type(self.template, "AWS::CloudWatch::Alarm").items():
            props = alarm["Properties"]
            metrics = [props] + [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
            for m in metrics:
                if m.get("Namespace") != namespace:
                    continue
                self.assertIn(m["MetricName"], published, name)
                self.assertEqual(sorted(d["Name"] for d in m.get("Dimensions", [])), published[m["MetricName"]], name)
                seen.add(m["MetricName"])
        self.assertIn("DocumentsFailed", seen)

    def test_cloud_configuration(self):
        for td in ("HeadTaskDefinition", "WorkerTaskDefinition"):
            env = container_env(self.template, td)
            self.assertEqual(env["DOCPIPE_BACKEND"], "aws")
            self.assertEqual(env["DOCPIPE_VECTOR_STORE"], "pinecone", "a local index would be per task")
        lambda_env = self.template["Resources"]["RegisterFunction"]["Properties"]["Environment"]["Variables"]
        self.assertEqual(lambda_env["DOCPIPE_CLOUDWATCH_METRICS"], "false", "the lambda role has no PutMetricData")
        # `docpipe lambda` opens the storage alone: no adapter overrides to let it start.
        for name in ("DOCPIPE_ENRICHER", "DOCPIPE_EMBEDDER", "DOCPIPE_VECTOR_STORE"):
            self.assertNotIn(name, lambda_env, "the lambda needs no embedder or index settings")


def markdown_parameter_table():
    text = read_text(DEPLOYMENT_DOC)
    m = re.search(r"^### Template parameters\n(.*?)(?=^#|\Z)", text, re.S | re.M)
    assert m, "docs/deployment.md has no '### Template parameters' section"
    rows = {}
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("Parameter", "") or set(cells[0]) <= set("-: "):
            continue
        name = cells[0].strip("`")
        default = cells[1]
        rows[name] = None if default == "(required)" else default.strip("`").replace('""', "")
    return rows


def check_value(name, param, value):
    value = str(value)
    if "AllowedValues" in param:
        assert value in [str(v) for v in param["AllowedValues"]], f"{name}={value} not allowed"
    if "AllowedPattern" in param:
        assert re.fullmatch(param["AllowedPattern"], value), f"{name}={value} does not match"
    if param["Type"] == "Number":
        n = float(value)
        assert n >= float(param.get("MinValue", n)) and n <= float(param.get("MaxValue", n)), f"{name}={value}"


class TemplateTest(unittest.TestCase):
    """What the issue asks of the resources, where moto cannot show it."""

    @classmethod
    def setUpClass(cls):
        cls.res = load_template()["Resources"]

    def test_bucket(self):
        props = self.res["Bucket"]["Properties"]
        self.assertEqual(props["VersioningConfiguration"], {"Status": "Enabled"})
        self.assertTrue(all(props["PublicAccessBlockConfiguration"].values()))
        prefixes = {r.get("Prefix") for r in props["LifecycleConfiguration"]["Rules"]}
        self.assertTrue({"input/", "extracted/", "chunks/", "enriched/", "embeddings/", "errors/"} <= prefixes)
        note = props["NotificationConfiguration"]["LambdaConfigurations"]
        self.assertEqual([(n["Function"], n["Filter"]["S3Key"]["Rules"]) for n in note],
                         [({"Fn::GetAtt": ["RegisterFunction", "Arn"]}, [{"Name": "prefix", "Value": "input/"}])])
        policy = self.res["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        self.assertEqual([(p["Effect"], p["Condition"]) for p in policy],
                         [("Deny", {"Bool": {"aws:SecureTransport": "false"}})])

    def test_no_dependency_cycle_through_the_bucket(self):
        # moto fails on cycles, AWS too: the function and the permission name the bucket, never Ref it.
        for name in ("RegisterFunction", "LambdaInvokePermission", "LambdaRole"):
            self.assertFalse(depends_on_types(load_template(), self.res[name]["Properties"], {"AWS::S3::Bucket"}),
                             name)

    def test_cluster_and_workers(self):
        cluster = self.res["Cluster"]["Properties"]
        self.assertIn({"Name": "containerInsights", "Value": "enabled"}, cluster["ClusterSettings"])
        self.assertEqual(set(cluster["CapacityProviders"]), {"FARGATE", "FARGATE_SPOT"})
        target = self.res["WorkerScalableTarget"]["Properties"]
        self.assertEqual((target["MinCapacity"], target["MaxCapacity"]),
                         ({"Ref": "WorkerMinCount"}, {"Ref": "WorkerMaxCount"}))
        worker = self.res["WorkerTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
        self.assertEqual(worker["HealthCheck"]["Command"],
                         ["CMD", "docpipe", "health", "--file", "/tmp/docpipe-worker.health", "--max-age-seconds", "120"])
        self.assertIn("--health-file", worker["Command"])
        head = self.res["HeadTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
        self.assertEqual(head["HealthCheck"]["Command"],
                         ["CMD", "docpipe", "health", "--url", "http://127.0.0.1:8265/healthz"])

    def test_tables_keep_history(self):
        for name, r in self.res.items():
            if r["Type"] == "AWS::DynamoDB::Table":
                self.assertTrue(r["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"])
                self.assertTrue(r["Properties"]["SSESpecification"]["SSEEnabled"])


class ParametersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.params = load_template()["Parameters"]

    def test_readme_table_matches_the_template(self):
        rows = markdown_parameter_table()
        self.assertEqual(sorted(rows), sorted(self.params))
        for name, p in self.params.items():
            want = None if "Default" not in p else str(p["Default"])
            self.assertEqual(rows[name], want, name)

    def test_defaults_are_valid(self):
        for name, p in self.params.items():
            if "Default" in p and p["Default"] != "":
                check_value(name, p, p["Default"])
            elif "Default" in p and "AllowedPattern" in p:
                check_value(name, p, "")

    def test_allowed_cidr_has_no_default_and_refuses_the_world(self):
        p = self.params["AllowedCidr"]
        self.assertNotIn("Default", p)
        rules = load_template()["Rules"]["AllowedCidrIsNotTheWorld"]["Assertions"][0]["Assert"]
        self.assertEqual(rules, {"Fn::Not": [{"Fn::Equals": [{"Ref": "AllowedCidr"}, "0.0.0.0/0"]}]})

    def test_example_file_is_valid(self):
        example = json.loads(read_text(EXAMPLE))
        given = {}
        for entry in example:
            self.assertEqual(set(entry), {"ParameterKey", "ParameterValue"})
            self.assertIn(entry["ParameterKey"], self.params)
            self.assertNotIn(entry["ParameterKey"], given, "given twice")
            given[entry["ParameterKey"]] = entry["ParameterValue"]
            check_value(entry["ParameterKey"], self.params[entry["ParameterKey"]], entry["ParameterValue"])
        for name, p in self.params.items():
            if "Default" not in p:
                self.assertIn(name, given, "required parameter missing from the example")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unsupported_types():
    """The resource types moto's CloudFormation skips (it creates nothing for them)."""
    from moto.cloudformation.parsing import get_model_map
    template = load_template()
    return {r["Type"] for r in template["Resources"].values()} - set(get_model_map())


def depends_on_types(template, node, types, seen=None):
    """Whether an expression refers (through resources) to a resource of one of `types`."""
    res = template["Resources"]
    refs = set()

    def walk(n):
        if isinstance(n, dict):
            for k, v in n.items():
                if k == "Ref" and v in res:
                    refs.add(v)
                elif k == "Fn::GetAtt":
                    refs.add(v[0])
                elif k == "Fn::Sub":
                    text = v if isinstance(v, str) else v[0]
                    refs.update(x.split(".")[0] for x in re.findall(r"\$\{([^}!]+)\}", text) if x.split(".")[0] in res)
                    walk(v)
                else:
                    walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return any(res[r]["Type"] in types for r in refs)


class MotoDeployTest(unittest.TestCase):
    """The template deploys into moto's CloudFormation and what moto implements is as described.

    moto 5.2 skips whole resource types (printed on stderr: alarms, scaling, secrets, bucket policy, SNS
    subscription) and, of the types it creates, ignores some properties: a DynamoDB table's TTL, point-in-time
    recovery and SSE; a bucket's versioning, lifecycle, public access block and notification; an ECS
    cluster's settings and capacity providers. TemplateTest checks those in the template itself.
    """

    @classmethod
    def setUpClass(cls):
        import boto3
        from moto.server import ThreadedMotoServer
        cls.server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
        cls.server.start()
        host, port = cls.server.get_host_and_port()
        cls.session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                            region_name="eu-west-1")
        cls.client = lambda self_or_cls, name: cls.session.client(name, endpoint_url=f"http://{host}:{port}")
        s3 = cls.client(cls, "s3")
        s3.create_bucket(Bucket="docpipe-artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w") as z:
            z.writestr("bootstrap", "#!/bin/sh\nexec ./docpipe lambda\n")
        s3.put_object(Bucket="docpipe-artifacts", Key="lambda/docpipe-lambda.zip", Body=zipped.getvalue())
        cls.template = load_template()
        cls.parameters = {e["ParameterKey"]: e["ParameterValue"] for e in json.loads(read_text(EXAMPLE))}
        cls.parameters.update({"LambdaCodeBucket": "docpipe-artifacts", "LambdaCodeKey": "lambda/docpipe-lambda.zip",
                               "NotificationEmail": "ops@example.com", "OpenAiApiKeySecretArn": "",
                               "PineconeApiKeySecretArn": "", "ImageUri": ""})
        cf = cls.client(cls, "cloudformation")
        cf.create_stack(StackName="docpipe-test", TemplateBody=read_text(TEMPLATE),
                        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in cls.parameters.items()],
                        Capabilities=["CAPABILITY_IAM"])
        cf.get_waiter("stack_create_complete").wait(StackName="docpipe-test", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        cls.stack = cf.describe_stacks(StackName="docpipe-test")["Stacks"][0]
        cls.outputs = {o["OutputKey"]: o.get("OutputValue") for o in cls.stack.get("Outputs", [])}
        cls.skipped = unsupported_types()
        print("moto skips:", ", ".join(sorted(cls.skipped)), file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_stack_is_complete(self):
        self.assertEqual(self.stack["StackStatus"], "CREATE_COMPLETE")

    def test_outputs_resolve(self):
        self.assertLessEqual(set(self.outputs), set(self.template["Outputs"]))
        for key, out in self.template["Outputs"].items():
            with self.subTest(output=key):
                if depends_on_types(self.template, out["Value"], self.skipped):
                    continue  # moto created no such resource (it leaves the output out)
                value = self.outputs.get(key)
                self.assertTrue(value, key)
                # No unresolved intrinsic, no Python repr of one, no missing value.
                self.assertNotRegex(value, r"\$\{|Fn::|'Ref'|\{'|None")
        self.assertIn(f"--cluster {self.outputs['ClusterName']} ", self.outputs["DashboardCommand"])
        self.assertIn(f"--service-name {self.outputs['HeadServiceName']} ", self.outputs["DashboardCommand"])

    def test_only_unsupported_types_are_skipped(self):
        cf = self.client("cloudformation")
        created = {r["LogicalResourceId"] for r in
                   cf.list_stack_resources(StackName="docpipe-test")["StackResourceSummaries"]}
        conditions = {"UseNat": self.parameters["EnableNatGateway"] == "true", "CreateRepository": True,
                      "CreateOpenAiSecret": True, "CreatePineconeSecret": True, "HasNotificationEmail": True}
        for name, r in self.template["Resources"].items():
            if not conditions.get(r.get("Condition"), True):
                continue
            if r["Type"] in self.skipped:
                continue
            self.assertIn(name, created, r["Type"])

    def test_tables(self):
        ddb = self.client("dynamodb")
        control = ddb.describe_table(TableName=self.outputs["ControlTableName"])["Table"]
        self.assertEqual(sorted(g["IndexName"] for g in control["GlobalSecondaryIndexes"]),
                         ["current-stage-index", "status-updated-index"])
        self.assertEqual(control["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual([k["AttributeName"] for k in control["KeySchema"]], ["document_id", "processing_version"])

    def test_queues(self):
        sqs = self.client("sqs")
        attrs = sqs.get_queue_attributes(QueueUrl=self.outputs["WorkQueueUrl"], AttributeNames=["All"])["Attributes"]
        dlq = sqs.get_queue_attributes(QueueUrl=self.outputs["DeadLetterQueueUrl"],
                                       AttributeNames=["QueueArn"])["Attributes"]
        redrive = json.loads(attrs["RedrivePolicy"])
        self.assertEqual(redrive["deadLetterTargetArn"], dlq["QueueArn"])
        self.assertEqual(int(redrive["maxReceiveCount"]), int(self.parameters.get("MaxReceiveCount", 5)))
        stage = int(self.parameters.get("StageTimeoutSeconds", 600))
        self.assertGreater(int(attrs["VisibilityTimeout"]), stage)

    def test_lambda(self):
        fn = self.client("lambda").get_function(FunctionName=self.outputs["LambdaFunctionArn"])["Configuration"]
        self.assertEqual((fn["Runtime"], fn["Handler"]), ("provided.al2023", "bootstrap"))
        env = fn["Environment"]["Variables"]
        self.assertEqual(env["S3_BUCKET"], self.outputs["BucketName"])
        self.assertEqual(env["SQS_QUEUE_URL"], self.outputs["WorkQueueUrl"])
        self.assertEqual(env["DYNAMODB_CONTROL_TABLE"], self.outputs["ControlTableName"])

    def test_bucket(self):
        s3 = self.client("s3")
        bucket = self.outputs["BucketName"]
        s3.head_bucket(Bucket=bucket)
        enc = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        self.assertEqual(enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")

    def test_ecs(self):
        ecs = self.client("ecs")
        cluster = ecs.describe_clusters(clusters=[self.outputs["ClusterName"]])["clusters"][0]
        self.assertEqual(cluster["status"], "ACTIVE")
        services = ecs.describe_services(cluster=self.outputs["ClusterName"],
                                         services=[self.outputs["HeadServiceName"], self.outputs["WorkerServiceName"]])
        by_name = {s["serviceName"]: s for s in services["services"]}
        self.assertEqual(by_name[self.outputs["HeadServiceName"]]["desiredCount"], 1)
        self.assertEqual(by_name[self.outputs["WorkerServiceName"]]["desiredCount"],
                         int(self.parameters.get("WorkerMinCount", 0)))
        head = ecs.describe_task_definition(taskDefinition=by_name[self.outputs["HeadServiceName"]]["taskDefinition"])
        container = head["taskDefinition"]["containerDefinitions"][0]
        # serve listens on 127.0.0.1 unless told otherwise: the task must bind its
        # own interface, or the dashboard is unreachable through the security group.
        self.assertEqual(container["command"], ["serve", "--bind", "0.0.0.0", "--port", "8265"])
        self.assertEqual(container["image"], self.outputs["ImageUri"])

    def test_security_groups(self):
        ec2 = self.client("ec2")
        groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [self.outputs["VpcId"]]}])
        ingress = [(g["GroupName"], p.get("FromPort"), r["CidrIp"]) for g in groups["SecurityGroups"]
                   for p in g["IpPermissions"] for r in p.get("IpRanges", [])]
        self.assertEqual([(port, cidr) for _, port, cidr in ingress], [(8265, self.parameters["AllowedCidr"])])
        endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [self.outputs["VpcId"]]}])
        self.assertEqual(sorted(e["ServiceName"].split(".")[-1] for e in endpoints["VpcEndpoints"]), ["dynamodb", "s3"])

    def test_log_retention(self):
        logs = self.client("logs")
        groups = logs.describe_log_groups()["logGroups"]
        retention = {g["logGroupName"]: g.get("retentionInDays") for g in groups}
        want = int(self.parameters.get("LogRetentionDays", 30))
        docpipe_groups = [n for n in retention if "docpipe" in n]
        self.assertEqual(len(docpipe_groups), 3, retention)
        for name in docpipe_groups:
            self.assertEqual(retention[name], want, name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
