"""deploy/deploy.sh for real against moto_server (S3, ECR, STS, CloudFormation):
the whole deploy from an empty account, a re-run (update), --outputs, and
--delete --purge of a versioned bucket full of versions and delete markers.

Docker is a recording stand-in (no Docker engine here): it checks the
arguments deploy.sh gives it and, for the Lambda stage, writes a zip as
`docker build --output` would. Everything AWS is real CLI calls to moto."""
import base64
import hashlib
import io
import json
import os
import subprocess
import tempfile
import unittest
import zipfile

from deploy_test_util import require_python_peers

require_python_peers()

import boto3  # noqa: E402 (after the check, so a missing peer says how to install it)
import botocore  # noqa: E402

from deploy_test_util import DEPLOY_SH, INSTALL_PEERS, ROOT, TEST_TEMPLATE, clean_env, moto_server, run  # noqa: E402

FAKE_DOCKER = r"""#!/usr/bin/env bash
# Records each call (one JSON array per line) and acts like docker where deploy.sh looks.
set -euo pipefail
python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@" >> "$FAKE_DOCKER_LOG"
case "$1" in
  info) exit 0 ;;
  buildx) exit 0 ;;
  login)
    pw=$(cat)
    [ -n "$pw" ] || { echo "no password on stdin" >&2; exit 1; }
    printf '%s' "$pw" > "$FAKE_DOCKER_LOG.password"
    ;;
  build)
    dest=""
    for a in "$@"; do case "$a" in type=local,dest=*) dest=${a#type=local,dest=} ;; esac; done
    if [ -n "$dest" ]; then mkdir -p "$dest"; cp "$FAKE_LAMBDA_ZIP" "$dest/docpipe-lambda.zip"; fi
    ;;
  push)
    # What a real push leaves in the registry: the tag, in (moto's) ECR.
    python3 - "$2" <<'PY'
import json, os, sys
import boto3
repo, tag = sys.argv[1].split("/", 1)[1].rsplit(":", 1)
ecr = boto3.client("ecr", endpoint_url=os.environ["FAKE_DOCKER_ECR_ENDPOINT"], region_name="us-east-1")
ecr.put_image(repositoryName=repo, imageTag=tag, imageManifest=json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
               "digest": "sha256:" + "0" * 64},
    "layers": []}))
PY
    ;;
  *) echo "fake docker: unexpected command $1" >&2; exit 1 ;;
esac
"""


def tiny_lambda_zip(path, content):
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 2, 0, 0, 0))
        info.external_attr = 0o100755 << 16
        z.writestr(info, "#!/bin/sh\necho " + content + "\n")


class DeployMotoTest(unittest.TestCase):
    def setUp(self):
        self._moto = moto_server()
        self.url = self._moto.__enter__()
        self.tmp = tempfile.TemporaryDirectory()
        t = self.tmp.name
        os.makedirs(os.path.join(t, "home"))
        os.makedirs(os.path.join(t, "bin"))
        with open(os.path.join(t, "bin", "docker"), "w") as f:
            f.write(FAKE_DOCKER)
        os.chmod(os.path.join(t, "bin", "docker"), 0o755)
        self.docker_log = os.path.join(t, "docker.log")
        self.zip = os.path.join(t, "lambda.zip")
        tiny_lambda_zip(self.zip, "first")
        self.params = os.path.join(t, "params.json")
        with open(self.params, "w") as f:
            json.dump([{"ParameterKey": "WorkerMaxCount", "ParameterValue": "8"}], f)
        # DOCPIPE_TEST_AWS_CLI picks the AWS CLI (e.g. Debian's v2 at /usr/bin/aws;
        # default: the first aws on PATH).
        cli = os.environ.get("DOCPIPE_TEST_AWS_CLI")
        if cli:
            if not os.access(cli, os.X_OK):
                raise AssertionError(f"{cli} is missing (Debian package awscli, the AWS CLI v2): {INSTALL_PEERS}")
            os.symlink(cli, os.path.join(t, "bin", "aws"))
        self.env = clean_env(os.path.join(t, "home"), PATH=os.path.join(t, "bin") + os.pathsep + os.environ["PATH"],
                             AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                             FAKE_DOCKER_LOG=self.docker_log, FAKE_LAMBDA_ZIP=self.zip,
                             FAKE_DOCKER_ECR_ENDPOINT=self.url)
        kw = dict(endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="testing",
                  aws_secret_access_key="testing")
        self.s3 = boto3.client("s3", **kw)
        self.ecr = boto3.client("ecr", **kw)
        self.cfn = boto3.client("cloudformation", **kw)

    def tearDown(self):
        self._moto.__exit__(None, None, None)
        self.tmp.cleanup()

    def test_cli_version(self):
        r = run(["aws", "--version"], self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        want = os.environ.get("DOCPIPE_TEST_AWS_CLI_MAJOR")
        if want:
            self.assertIn(f"aws-cli/{want}.", r.stdout + r.stderr)

    def deploy(self, *args):
        r = run([DEPLOY_SH, *args, "--region", "us-east-1", "--endpoint-url", self.url], self.env, timeout=600)
        self.assertEqual(r.returncode, 0, f"deploy.sh {args}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        return r

    def docker_calls(self):
        if not os.path.exists(self.docker_log):
            return []
        with open(self.docker_log) as f:
            return [json.loads(line) for line in f]

    def stack_params(self, stack):
        s = self.cfn.describe_stacks(StackName=stack)["Stacks"][0]
        return s, {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}

    def test_deploy_update_delete(self):
        stack = "docpipe-moto"
        artifacts = "docpipe-moto-artifacts-123456789012-us-east-1"
        r = self.deploy(stack, "--template", TEST_TEMPLATE, "--params", self.params)
        out = r.stdout + r.stderr

        # The artifacts bucket: created, encrypted, public access blocked.
        enc = self.s3.get_bucket_encryption(Bucket=artifacts)["ServerSideEncryptionConfiguration"]
        self.assertEqual(enc["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")
        pab = self.s3.get_public_access_block(Bucket=artifacts)["PublicAccessBlockConfiguration"]
        self.assertTrue(all(pab.values()), pab)
        # The Lambda zip under its content hash.
        with open(self.zip, "rb") as f:
            zip_bytes = f.read()
        key = f"lambda/docpipe-lambda-{hashlib.sha256(zip_bytes).hexdigest()}.zip"
        self.assertEqual(self.s3.get_object(Bucket=artifacts, Key=key)["Body"].read(), zip_bytes)
        # The ECR repository and the image built, tagged with the commit, pushed.
        repo = self.ecr.describe_repositories(repositoryNames=[stack])["repositories"][0]
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        s, params = self.stack_params(stack)
        self.assertEqual(s["StackStatus"], "CREATE_COMPLETE")
        image = params["ImageUri"]
        self.assertTrue(image.startswith(repo["repositoryUri"] + ":" + commit), image)
        self.assertEqual(params["LambdaCodeBucket"], artifacts)
        self.assertEqual(params["LambdaCodeKey"], key)
        self.assertEqual(params["WorkerMaxCount"], "8")
        calls = self.docker_calls()
        builds = [c for c in calls if c[0] == "build"]
        self.assertEqual(len(builds), 2, calls)
        runtime = next(c for c in builds if "runtime" in c)
        self.assertEqual(runtime[runtime.index("-t") + 1], image)
        self.assertEqual(runtime[runtime.index("--platform") + 1], "linux/amd64")
        self.assertEqual(runtime[runtime.index("-f") + 1], os.path.join(ROOT, "deploy", "Dockerfile"))
        self.assertEqual(runtime[-1], ROOT)
        self.assertTrue(any("lambda-zip" in c for c in builds))
        login = next(c for c in calls if c[0] == "login")
        self.assertEqual(login[1:], ["--username", "AWS", "--password-stdin", repo["repositoryUri"].split("/")[0]])
        self.assertIn(["push", image], calls)
        tags = [t for i in self.ecr.describe_images(repositoryName=stack)["imageDetails"] for t in i["imageTags"]]
        self.assertEqual(tags, [image.rsplit(":", 1)[1]])
        # The registry password went to docker's stdin, never to the output.
        with open(self.docker_log + ".password") as f:
            password = f.read()
        token = self.ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        self.assertEqual(password, base64.b64decode(token).decode().split(":", 1)[1])
        self.assertNotIn(password, out)
        self.assertIn("Successfully created/updated stack", out)
        self.assertIn("] Stack outputs", out)

        # Re-run: the same zip is not uploaded again; a clean tree's image is
        # not rebuilt; the stack is updated or left alone.
        r = self.deploy(stack, "--template", TEST_TEMPLATE, "--params", self.params)
        self.assertIn("already uploaded", r.stdout)
        dirty = "-dirty-" in image
        builds2 = [c for c in self.docker_calls()[len(calls):] if c[0] == "build"]
        if dirty:
            self.assertTrue(any("runtime" in c for c in builds2), "a dirty tree gets a new image tag")
        else:
            self.assertIn("already in ECR", r.stdout)
            self.assertFalse(any("runtime" in c for c in builds2))
        lambda_keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=artifacts, Prefix="lambda/")["Contents"]]
        self.assertEqual(lambda_keys, [key])
        # New code: a new key, and the stack gets it.
        tiny_lambda_zip(self.zip, "second")
        r = self.deploy(stack, "--template", TEST_TEMPLATE)
        _, params = self.stack_params(stack)
        self.assertNotEqual(params["LambdaCodeKey"], key)
        self.assertEqual(params["WorkerMaxCount"], "8", "parameters not given keep their values")

        # --delete --purge: the data bucket is versioned and full of versions and delete markers.
        data_bucket = next(res["PhysicalResourceId"] for res in
                           self.cfn.describe_stack_resources(StackName=stack)["StackResources"]
                           if res["ResourceType"] == "AWS::S3::Bucket")
        self.s3.put_bucket_versioning(Bucket=data_bucket, VersioningConfiguration={"Status": "Enabled"})
        for i in range(3):
            for k in range(12):
                self.s3.put_object(Bucket=data_bucket, Key=f"input/doc {k}.md", Body=f"v{i}".encode())
        for k in range(5):
            self.s3.delete_object(Bucket=data_bucket, Key=f"input/doc {k}.md")
        v = self.s3.list_object_versions(Bucket=data_bucket)
        self.assertEqual((len(v["Versions"]), len(v["DeleteMarkers"])), (36, 5))
        r = self.deploy(stack, "--delete", "--purge", "--yes")
        self.assertIn("deleted 36 object versions", r.stdout)
        self.assertIn("deleted 5 delete markers", r.stdout)
        with self.assertRaises(botocore.exceptions.ClientError):
            self.cfn.describe_stacks(StackName=stack)
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertNotIn(data_bucket, names)
        self.assertNotIn(artifacts, names)
        with self.assertRaises(self.ecr.exceptions.RepositoryNotFoundException):
            self.ecr.describe_repositories(repositoryNames=[stack])
        # Deleting again: nothing to do, no error.
        r = self.deploy(stack, "--delete", "--yes")
        self.assertIn("does not exist", r.stdout)

    def test_given_image_and_outputs(self):
        # --image + --lambda-zip: neither Docker nor ECR.
        stack = "given-image"
        self.deploy(stack, "--template", TEST_TEMPLATE, "--image", "example.org/docpipe:v7", "--lambda-zip", self.zip)
        self.assertEqual(self.docker_calls(), [])
        self.assertEqual(self.ecr.describe_repositories()["repositories"], [])
        _, params = self.stack_params(stack)
        self.assertEqual(params["ImageUri"], "example.org/docpipe:v7")
        # --outputs prints the stack's outputs (a stack made with create-stack:
        # moto fills outputs for those, not for change sets).
        with open(TEST_TEMPLATE) as f:
            body = f.read()
        self.cfn.create_stack(StackName="with-outputs", TemplateBody=body, Parameters=[
            {"ParameterKey": "ImageUri", "ParameterValue": "example.org/docpipe:v8"},
            {"ParameterKey": "LambdaCodeBucket", "ParameterValue": "code-bucket"},
            {"ParameterKey": "LambdaCodeKey", "ParameterValue": "lambda/x.zip"}])
        r = self.deploy("with-outputs", "--outputs")
        self.assertRegex(r.stdout, r"\n    ImageUriUsed +example.org/docpipe:v8\n")
        self.assertRegex(r.stdout, r"\n    LambdaCode +s3://code-bucket/lambda/x.zip\n")
        self.assertIn("the stack has no head service", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
