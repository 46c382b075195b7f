"""deploy/deploy.sh --dry-run end to end with neither aws nor docker on PATH and
no AWS credentials, and its usage errors (exit 2, clear messages)."""
import json
import os
import subprocess
import tempfile
import unittest

from deploy_test_util import (DEPLOY_SH, ROOT, TEST_TEMPLATE, assert_in_order, clean_env, run,
                              stripped_path)

SECRET_PARAM = "sk-test-DO-NOT-PRINT-4711"
SECRET_ENV = "fake-secret-access-key-DO-NOT-PRINT"


class DryRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.home = os.path.join(cls.tmp.name, "home")
        os.makedirs(cls.home)
        cls.bin = stripped_path(cls.tmp.name, {"aws", "docker"})
        cls.params = os.path.join(cls.tmp.name, "params.json")
        with open(cls.params, "w") as f:
            json.dump([{"ParameterKey": "WorkerMaxCount", "ParameterValue": "8"},
                       {"ParameterKey": "OpenAiApiKey", "ParameterValue": SECRET_PARAM}], f)
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        cls.commit = commit

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def env(self, **extra):
        # Credentials in the environment must never be printed either.
        return clean_env(self.home, PATH=self.bin, AWS_ACCESS_KEY_ID="AKIAFAKEFAKEFAKE",
                         AWS_SECRET_ACCESS_KEY=SECRET_ENV, **extra)

    def deploy(self, *args, **env):
        return run([DEPLOY_SH, *args], self.env(**env), timeout=120)

    def test_tools_are_really_absent(self):
        for tool in ("aws", "docker"):
            r = run(["sh", "-c", f"command -v {tool}"], self.env())
            self.assertNotEqual(r.returncode, 0, f"{tool} is still on the stripped PATH: {r.stdout}")

    def test_deploy_plan_in_order(self):
        r = self.deploy("Docpipe--Test", "--dry-run", "--template", TEST_TEMPLATE, "--params", self.params,
                        AWS_REGION="eu-central-1")
        out = r.stdout
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        repo = "docpipe-test"  # lower case, doubled hyphen squeezed
        bucket = "docpipe-test-artifacts-<account-id>-eu-central-1"
        image_prefix = f"<account-id>.dkr.ecr.eu-central-1.amazonaws.com/{repo}:{self.commit}"
        aws = "aws --region eu-central-1"
        assert_in_order(self, out, [
            "DRY RUN",
            "region from AWS_REGION",
            "MISSING  aws",
            "MISSING  docker",
            f"$ {aws} sts get-caller-identity",
            f"$ {aws} cloudformation describe-stacks --stack-name Docpipe--Test --query 'Stacks[0].StackStatus'",
            f"$ {aws} s3api head-bucket --bucket '{bucket}'",
            f"$ {aws} s3api create-bucket --bucket '{bucket}' --create-bucket-configuration LocationConstraint=eu-central-1",
            f"$ {aws} s3api put-public-access-block --bucket '{bucket}'",
            "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
            f"$ {aws} s3api put-bucket-encryption --bucket '{bucket}'",
            f"$ {aws} ecr describe-repositories --repository-names {repo}",
            f"$ {aws} ecr create-repository --repository-name {repo}",
            f"$ {aws} ecr describe-images --repository-name {repo}" if "-dirty-" not in out else "[",
            "$ env DOCKER_BUILDKIT=1 docker build --platform linux/amd64 -f " + os.path.join(ROOT, "deploy/Dockerfile")
            + f" --target runtime -t '{image_prefix}",
            f"$ {aws} ecr get-login-password '|' docker login --username AWS --password-stdin "
            "'<account-id>.dkr.ecr.eu-central-1.amazonaws.com'",
            f"$ docker push '{image_prefix}",
            "--target lambda-zip --output type=local,dest=",
            f"$ {aws} s3api head-object --bucket '{bucket}' --key 'lambda/docpipe-lambda-<sha256-of-zip>.zip'",
            f"$ {aws} s3 cp ",
            f"'s3://{bucket}/lambda/docpipe-lambda-<sha256-of-zip>.zip'",
            f"$ {aws} cloudformation deploy --stack-name Docpipe--Test --template-file {TEST_TEMPLATE}"
            " --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --no-fail-on-empty-changeset --parameter-overrides",
            f"'ImageUri={image_prefix}",
            f"'LambdaCodeBucket={bucket}'",
            "'LambdaCodeKey=lambda/docpipe-lambda-<sha256-of-zip>.zip'",
            "WorkerMaxCount=8",
            "'OpenAiApiKey=****'",
            f"$ {aws} cloudformation describe-stacks --stack-name Docpipe--Test --query 'Stacks[0].Outputs",
            f"$ {aws} ecs list-tasks",
            "open http://<public-ip>:8265/",
            f"$ {aws} secretsmanager get-secret-value --secret-id",
            "Done",
        ])
        self.assertNotIn(SECRET_PARAM, out + r.stderr)
        self.assertNotIn(SECRET_ENV, out + r.stderr)
        self.assertNotIn("AKIAFAKEFAKEFAKE", out + r.stderr)
        # Every command line is printed, none run: nothing was created in the temp dirs.
        self.assertFalse([p for p in os.listdir(self.tmp.name) if p.startswith("docpipe-deploy")])

    def test_region_precedence(self):
        r = self.deploy("s1", "--dry-run", "--template", TEST_TEMPLATE, "--region", "ap-south-1",
                        AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="us-west-2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("in ap-south-1 (region from --region)", r.stdout)
        self.assertIn("s1-artifacts-<account-id>-ap-south-1", r.stdout)
        r = self.deploy("s1", "--dry-run", "--template", TEST_TEMPLATE, AWS_DEFAULT_REGION="us-west-2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("in us-west-2 (region from AWS_DEFAULT_REGION)", r.stdout)
        # us-east-1 buckets are created without a location constraint.
        r = self.deploy("s1", "--dry-run", "--template", TEST_TEMPLATE, AWS_REGION="us-east-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("s3api create-bucket --bucket 's1-artifacts-<account-id>-us-east-1'\n", r.stdout)
        # No region anywhere (no flag, no variable, no aws CLI configuration).
        r = self.deploy("s1", "--dry-run", "--template", TEST_TEMPLATE)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("no region", r.stderr)

    def test_given_image_skips_ecr_and_image_build(self):
        r = self.deploy("s2", "--dry-run", "--template", TEST_TEMPLATE, "--image", "example.org/docpipe:v1",
                        AWS_REGION="eu-west-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("ecr ", r.stdout)
        self.assertNotIn("--target runtime", r.stdout)
        self.assertIn("--target lambda-zip", r.stdout)  # the zip is still built in Docker
        self.assertIn("ImageUri=example.org/docpipe:v1", r.stdout)
        zip_path = os.path.join(self.tmp.name, "given.zip")
        with open(zip_path, "wb") as f:
            f.write(b"PK\x05\x06" + b"\0" * 18)
        r = self.deploy("s2", "--dry-run", "--template", TEST_TEMPLATE, "--image", "example.org/docpipe:v1",
                        "--lambda-zip", zip_path, AWS_REGION="eu-west-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("docker", r.stdout)
        self.assertIn(f"using {zip_path}", r.stdout)

    def test_delete_plan_in_order(self):
        r = self.deploy("s3", "--delete", "--purge", "--dry-run", AWS_REGION="eu-west-1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        aws = "aws --region eu-west-1"
        assert_in_order(self, r.stdout, [
            "docpipe delete: stack s3",
            f"$ {aws} cloudformation describe-stacks --stack-name s3",
            f"$ {aws} cloudformation describe-stack-resources --stack-name s3 --query "
            "'StackResources[?ResourceType=='\\''AWS::S3::Bucket'\\''].PhysicalResourceId'",
            "s3api list-object-versions --bucket '<bucket>' --max-items 1000 --query '{Objects: Versions[0:1000]",
            "s3api delete-objects --bucket '<bucket>' --delete file://",
            "s3api list-object-versions --bucket '<bucket>' --max-items 1000 --query '{Objects: DeleteMarkers[0:1000]",
            "s3api delete-objects --bucket '<bucket>' --delete file://",
            f"$ {aws} cloudformation delete-stack --stack-name s3",
            f"$ {aws} cloudformation wait stack-delete-complete --stack-name s3",
            f"$ {aws} ecr delete-repository --repository-name s3 --force",
            f"$ {aws} s3api delete-bucket --bucket 's3-artifacts-<account-id>-eu-west-1'",
        ])
        # Without --purge the repository and the artifacts bucket stay.
        r = self.deploy("s3", "--delete", "--dry-run", AWS_REGION="eu-west-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("delete-repository", r.stdout)
        self.assertNotIn("delete-bucket", r.stdout)
        self.assertIn("kept: ECR repository s3", r.stdout)

    def test_long_stack_name_gives_a_valid_bucket_name(self):
        stack = "A" + "b" * 100
        r = self.deploy(stack, "--dry-run", "--template", TEST_TEMPLATE, AWS_REGION="ap-southeast-2")
        self.assertEqual(r.returncode, 0, r.stderr)
        line = next(l for l in r.stdout.splitlines() if "artifacts bucket" in l)
        name = line.split()[-1].replace("<account-id>", "123456789012")
        self.assertLessEqual(len(name), 63, name)
        self.assertRegex(name, r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")

    def test_help(self):
        r = self.deploy("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: deploy/deploy.sh STACK_NAME", r.stdout)
        self.assertIn("--dry-run", r.stdout)

    def assertUsageError(self, args, message, **env):
        r = self.deploy(*args, **env)
        self.assertEqual(r.returncode, 2, f"{args}: {r.stdout}{r.stderr}")
        self.assertIn(message, r.stderr, args)
        self.assertIn("--help", r.stderr)
        self.assertNotIn("[1]", r.stdout, "no step may run after a usage error")

    def test_usage_errors(self):
        t = ["--template", TEST_TEMPLATE, "--dry-run"]
        self.assertUsageError(["--dry-run"], "missing STACK_NAME")
        self.assertUsageError(["s", "--frobnicate"], "unknown option: --frobnicate")
        self.assertUsageError(["s", "t", *t], "one stack name only")
        self.assertUsageError(["1stack", *t], "invalid stack name '1stack'")
        self.assertUsageError(["my_stack", *t], "invalid stack name 'my_stack'")
        self.assertUsageError(["s", "--region"], "--region needs a value")
        self.assertUsageError(["s", "--dry-run=yes", "--template", TEST_TEMPLATE], "--dry-run takes no value")
        self.assertUsageError(["s", "--purge", *t], "--purge goes with --delete")
        self.assertUsageError(["s", "--dry-run", "--template", "/nonexistent.yaml"], "template not found")
        self.assertUsageError(["s", *t, "--region", "Europe"], "invalid region 'Europe'")
        self.assertUsageError(["s", *t, "--endpoint-url", "localhost:4566"], "must start with http")

    def params_error(self, content, message):
        path = os.path.join(self.tmp.name, "bad-params.json")
        with open(path, "w") as f:
            f.write(content)
        self.assertUsageError(["s", "--dry-run", "--template", TEST_TEMPLATE, "--params", path], message,
                              AWS_REGION="eu-west-1")

    def test_bad_parameters_files(self):
        self.assertUsageError(["s", "--dry-run", "--template", TEST_TEMPLATE, "--params", "/nonexistent.json"],
                              "parameters file not found", AWS_REGION="eu-west-1")
        self.params_error("[{", "not valid JSON")
        self.params_error('{"WorkerMaxCount": "2"}', "expected a JSON array")
        self.params_error('[{"ParameterKey": "WorkerMaxCount"}]', "needs ParameterKey and ParameterValue")
        self.params_error('[{"ParameterKey": "ImageUri", "ParameterValue": "x"}]', "ImageUri is set by deploy.sh")
        self.params_error('[{"ParameterKey": "WorkerMaxCont", "ParameterValue": "2"}]',
                          "parameter WorkerMaxCont (from")
        self.params_error('[{"ParameterKey": "WorkerMaxCount", "ParameterValue": "2", "UsePreviousValue": true}]',
                          "unsupported fields")
        self.params_error('[{"ParameterKey": "WorkerMaxCount", "ParameterValue": "2"},'
                          ' {"ParameterKey": "WorkerMaxCount", "ParameterValue": "3"}]', "appears twice")

    def test_delete_needs_yes_when_not_interactive(self):
        # Not a dry run: stdin is not a terminal, so it refuses before any AWS call.
        fake = os.path.join(self.tmp.name, "fake-aws-bin")
        os.makedirs(fake, exist_ok=True)
        log = os.path.join(self.tmp.name, "aws-calls.log")
        with open(os.path.join(fake, "aws"), "w") as f:
            f.write("#!/bin/sh\necho \"$*\" >> " + log + "\n"
                    "case \"$*\" in *get-caller-identity*) printf '123456789012\\tarn:aws:iam::123456789012:user/t\\n';;"
                    " *describe-stacks*) echo CREATE_COMPLETE;; esac\n")
        os.chmod(os.path.join(fake, "aws"), 0o755)
        env = self.env(AWS_REGION="eu-west-1")
        env["PATH"] = fake + os.pathsep + env["PATH"]
        r = run([DEPLOY_SH, "s4", "--delete"], env)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("add --yes", r.stderr)
        with open(log) as f:
            calls = f.read()
        self.assertNotIn("delete", calls.replace("describe", ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
