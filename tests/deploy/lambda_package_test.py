"""deploy/package-lambda.sh: the zip holds docpipe, every library it loads and
the dynamic loader; its bootstrap runs docpipe with those only (the system's
libraries, LD_LIBRARY_PATH and ld.so.cache are not consulted); it runs as a
custom runtime under @vercel/fun (the Lambda Runtime API); and the CA bundle
it picks reaches docpipe's HTTP client (SSL_CERT_FILE) — checked over TLS
against moto behind a TLS proxy with a self-signed certificate."""
import json
import os
import re
import socket
import ssl
import subprocess
import tempfile
import threading
import unittest
import zipfile

from deploy_test_util import (PACKAGE_SH, ROOT, docpipe_binary, moto_server, on_demand_closure, require_python_peers,
                              run)

require_python_peers()

BUCKET = "docpipe-lambda-test"


def s3_event(*records):
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T04:55:10.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": BUCKET, "arn": "arn:aws:s3:::" + BUCKET},
               "object": {"key": key, "size": size, "eTag": etag}}} for key, etag, size in records]}


def lambda_env(root, **extra):
    """Roughly what Lambda gives a provided.al2023 bootstrap, nothing of ours."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC",
           "LAMBDA_TASK_ROOT": root, "LAMBDA_RUNTIME_DIR": "/var/runtime",
           "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023"}
    env.update(extra)
    return env


class TlsProxy:
    """Accepts TLS on a free port with a given certificate and forwards the
    plain bytes to a TCP port (moto_server)."""

    def __init__(self, cert, key, target_port):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.target = target_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.handshakes = 0
        self.failed_handshakes = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _pipe(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _serve(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            try:
                conn = self.ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                self.failed_handshakes += 1
                raw.close()
                continue
            self.handshakes += 1
            up = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(conn, up), daemon=True).start()
            threading.Thread(target=self._pipe, args=(up, conn), daemon=True).start()

    def close(self):
        self.sock.close()


class LambdaPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.binary = docpipe_binary()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.zip = os.path.join(cls.tmp.name, "out", "docpipe-lambda.zip")  # out/ does not exist yet
        r = run([PACKAGE_SH, cls.binary, cls.zip], dict(os.environ), timeout=300)
        assert r.returncode == 0, f"package-lambda.sh exited {r.returncode}: {r.stdout}{r.stderr}"
        cls.root = os.path.join(cls.tmp.name, "task")
        # Unpacked as Lambda does: file modes from the zip.
        with zipfile.ZipFile(cls.zip) as z:
            for info in z.infolist():
                path = z.extract(info, cls.root)
                os.chmod(path, (info.external_attr >> 16) & 0o777)
        cls.ldd = {}
        for line in subprocess.run(["ldd", cls.binary], capture_output=True, text=True, check=True).stdout.splitlines():
            m = re.match(r"\s*(\S+) => (/\S+)", line)
            if m:
                cls.ldd[m.group(1)] = m.group(2)
        # Libraries that must not be used: garbage under the names docpipe
        # needs. Not libc: /bin/sh, which runs the bootstrap, needs the
        # system's (on Lambda, LD_LIBRARY_PATH holds Amazon Linux's own).
        cls.poison = os.path.join(cls.tmp.name, "poison")
        os.makedirs(cls.poison)
        # What docpipe loads on first use (libcurl, with its libraries) is packed too.
        cls.on_demand = {k: v for k, v in on_demand_closure().items() if not k.startswith("ld-linux")}
        for soname in (set(cls.ldd) | set(cls.on_demand)) - {"libc.so.6"}:
            with open(os.path.join(cls.poison, soname), "w") as f:
                f.write("not a library\n")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def bootstrap(self, *args, **env):
        return run([os.path.join(self.root, "bootstrap"), *args], lambda_env(self.root, **env), timeout=120,
                   cwd=self.root)

    def test_usage(self):
        r = run([PACKAGE_SH], dict(os.environ))
        self.assertEqual(r.returncode, 2)
        self.assertIn("Usage: deploy/package-lambda.sh BINARY OUT.zip", r.stderr)
        r = run([PACKAGE_SH, self.binary, os.path.join(self.tmp.name, "x.tar")], dict(os.environ))
        self.assertEqual(r.returncode, 2)
        self.assertIn("must end in .zip", r.stderr)
        r = run([PACKAGE_SH, "/nonexistent/docpipe", os.path.join(self.tmp.name, "x.zip")], dict(os.environ))
        self.assertEqual(r.returncode, 2)
        self.assertIn("not an executable file", r.stderr)

    def test_long_loader_cache(self):
        # A machine with many libraries lists more than a pipe holds (64 KiB)
        # after libcurl; the lookup must still read to the end, or ldconfig
        # dies of SIGPIPE and the script stops without a word.
        fake = os.path.join(self.tmp.name, "ldconfig-long")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\n/sbin/ldconfig -p\n"
                    "i=0; while [ $i -lt 20000 ]; do "
                    "echo \"\tlibfiller$i.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libfiller$i.so.1\"; "
                    "i=$((i + 1)); done\n")
        os.chmod(fake, 0o755)
        out = os.path.join(self.tmp.name, "long-cache.zip")
        r = run([PACKAGE_SH, self.binary, out], dict(os.environ, LDCONFIG=fake), timeout=300)
        self.assertEqual(r.returncode, 0, f"exit {r.returncode}: {r.stderr}")
        with zipfile.ZipFile(out) as z:
            self.assertIn("lib/libcurl.so.4", z.namelist())

    def test_zip_contents(self):
        with zipfile.ZipFile(self.zip) as z:
            infos = z.infolist()
        names = [i.filename for i in infos]
        self.assertEqual(names, sorted(names), "entries sorted (reproducible)")
        self.assertTrue(all(i.date_time == (1980, 1, 2, 0, 0, 0) for i in infos), "fixed timestamps")
        expected = {"bootstrap", "docpipe", "lib/ld-linux-x86-64.so.2", "certs/ca-certificates.crt"}
        expected |= {"lib/" + soname for soname in self.ldd}
        expected |= {"lib/" + soname for soname in self.on_demand}
        self.assertEqual(set(names), expected)
        self.assertIn("lib/libc.so.6", names)
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
        for exe in ("bootstrap", "docpipe", "lib/ld-linux-x86-64.so.2"):
            self.assertEqual(modes[exe] & 0o111, 0o111, f"{exe} must be executable")
        r = run(["shellcheck", "-s", "sh", os.path.join(self.root, "bootstrap")], dict(os.environ))
        self.assertEqual(r.returncode, 0, "bootstrap: " + r.stdout + r.stderr)
        with open(self.binary, "rb") as a, open(os.path.join(self.root, "docpipe"), "rb") as b:
            self.assertTrue(a.read() == b.read(), "docpipe is the binary, unchanged")

    def test_bundled_loader_resolves_every_library_inside_the_package(self):
        lib = os.path.join(self.root, "lib")
        everything_poisoned = os.path.join(self.tmp.name, "poison-all")
        os.makedirs(everything_poisoned, exist_ok=True)
        for soname in self.ldd:
            with open(os.path.join(everything_poisoned, soname), "w") as f:
                f.write("not a library\n")
        r = run([os.path.join(lib, "ld-linux-x86-64.so.2"), "--inhibit-cache", "--library-path", lib, "--list",
                 os.path.join(self.root, "docpipe")], {"LD_LIBRARY_PATH": everything_poisoned})
        self.assertEqual(r.returncode, 0, r.stderr)
        resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", r.stdout, re.M))
        resolved.pop("/lib64/ld-linux-x86-64.so.2", None)  # the loader itself, listed as what it maps
        self.assertEqual(set(resolved), set(self.ldd))
        outside = {k: v for k, v in resolved.items() if os.path.dirname(v) != lib}
        self.assertEqual(outside, {}, "libraries loaded from outside the package")
        # So do the libraries docpipe loads on first use.
        for soname in self.on_demand:
            if soname.startswith("libcurl"):
                r = run([os.path.join(lib, "ld-linux-x86-64.so.2"), "--inhibit-cache", "--library-path", lib,
                         "--list", os.path.join(lib, soname)], {"LD_LIBRARY_PATH": everything_poisoned})
                self.assertEqual(r.returncode, 0, r.stderr)
                resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", r.stdout, re.M))
                outside = {k: v for k, v in resolved.items() if os.path.dirname(v) != lib}
                self.assertEqual(outside, {}, f"libraries of {soname} loaded from outside the package")

    def test_bootstrap_runs_docpipe_without_the_system_libraries(self):
        version = run([self.binary, "--version"], dict(os.environ)).stdout
        self.assertRegex(version, r"^docpipe \d")
        # LD_LIBRARY_PATH full of garbage libraries: ignored.
        r = self.bootstrap("--version", LD_LIBRARY_PATH=self.poison)
        self.assertEqual((r.returncode, r.stdout), (0, version), r.stderr)
        # The same poison breaks the plain binary: the check above means something.
        r = run([self.binary, "--version"], {"LD_LIBRARY_PATH": self.poison, "PATH": "/usr/bin:/bin"})
        self.assertNotEqual(r.returncode, 0)
        # Without arguments the bootstrap is the Lambda handler (which needs the Runtime API).
        r = self.bootstrap()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("AWS_LAMBDA_RUNTIME_API is not set", r.stderr)

    def test_event_file_through_the_bundle(self):
        ws = os.path.join(self.tmp.name, "ws-event")
        event = os.path.join(self.tmp.name, "event.json")
        with open(event, "w") as f:
            json.dump(s3_event(("input/guide+one.md", "aaaa", 40), ("input/photo.xcf", "bbbb", 9)), f)
        r = self.bootstrap("lambda", "--event", event, "--bucket", BUCKET, DOCPIPE_WORKSPACE=ws,
                           LD_LIBRARY_PATH=self.poison)
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        self.assertEqual((summary["registered"], summary["skipped"]), (1, 1), summary)
        status = json.loads(run([self.binary, "--workspace", ws, "status", "--json"], dict(os.environ)).stdout)
        self.assertEqual([(s["source_key"], s["status"]) for s in status], [("input/guide one.md", "PENDING")])

    def test_runs_as_custom_runtime_under_fun(self):
        ws = os.path.join(self.tmp.name, "ws-fun")
        events = []
        for i, ev in enumerate([s3_event(("input/a.md", "e1", 10), ("input/b.txt", "e2", 20)),
                                s3_event(("input/a.md", "e1", 10))]):
            events.append(os.path.join(self.tmp.name, f"fun-{i}.json"))
            with open(events[-1], "w") as f:
                json.dump(ev, f)
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(self.tmp.name, "xdg"),
                   DOCPIPE_FUN_EXTRA_ENV=json.dumps({"LD_LIBRARY_PATH": self.poison}))
        r = run(["node", os.path.join(ROOT, "tests", "e2e", "lambda_fun_invoke.mjs"), self.zip, ws, BUCKET, *events],
                env, timeout=240)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        results = json.loads(r.stdout)
        self.assertEqual(len(results), 2, r.stdout)
        self.assertIsNone(results[0]["FunctionError"], results[0])
        self.assertEqual(results[0]["Payload"]["registered"], 2)
        self.assertEqual(results[1]["Payload"]["duplicates"], 1)
        self.assertEqual(r.stderr.count('"event":"lambda_runtime_started"'), 1, "one warm process")
        status = json.loads(run([self.binary, "--workspace", ws, "status", "--json"], dict(os.environ)).stdout)
        self.assertEqual(sorted(s["source_key"] for s in status), ["input/a.md", "input/b.txt"])

    def test_ca_bundle_reaches_the_http_client(self):
        # A self-signed certificate for 127.0.0.1; docpipe talks to moto through TLS.
        cert = os.path.join(self.tmp.name, "cert.pem")
        key = os.path.join(self.tmp.name, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        with moto_server() as url:
            aws = {"DOCPIPE_BACKEND": "aws", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing", "S3_BUCKET": BUCKET, "DOCPIPE_CLOUDWATCH_METRICS": "false",
                   "AWS_MAX_ATTEMPTS": "1"}
            r = run([self.binary, "provision"], dict(os.environ, AWS_ENDPOINT_URL=url, **aws))
            self.assertEqual(r.returncode, 0, r.stderr)
            proxy = TlsProxy(cert, key, int(url.rsplit(":", 1)[1]))
            try:
                event = os.path.join(self.tmp.name, "tls-event.json")
                with open(event, "w") as f:
                    json.dump(s3_event(("input/tls.md", "cccc", 5)), f)
                tls = dict(aws, AWS_ENDPOINT_URL=f"https://127.0.0.1:{proxy.port}",
                           DOCPIPE_WORKSPACE=os.path.join(self.tmp.name, "ws-tls"))
                # The system's bundle does not trust the certificate: TLS fails.
                r = self.bootstrap("lambda", "--event", event, **tls)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertRegex(r.stdout + r.stderr, r"(?i)ssl|certificate")
                self.assertGreater(proxy.failed_handshakes, 0)
                # SSL_CERT_FILE names a bundle that does: registered through TLS.
                r = self.bootstrap("lambda", "--event", event, SSL_CERT_FILE=cert, **tls)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertEqual(json.loads(r.stdout)["registered"], 1)
                self.assertGreater(proxy.handshakes, 0)
            finally:
                proxy.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
