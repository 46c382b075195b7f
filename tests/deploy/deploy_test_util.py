"""Shared helpers of the deployment tests (tests/deploy/*_test.py)."""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEPLOY_SH = os.path.join(ROOT, "deploy", "deploy.sh")
PACKAGE_SH = os.path.join(ROOT, "deploy", "package-lambda.sh")
DOCKERFILE = os.path.join(ROOT, "deploy", "Dockerfile")
TEST_TEMPLATE = os.path.join(ROOT, "tests", "deploy", "minimal-template.yaml")
SLIM_PACKAGES = os.path.join(ROOT, "tests", "deploy", "debian-12-slim-packages.txt")
REQUIREMENTS = os.path.join(ROOT, "tests", "requirements.txt")
INSTALL_PEERS = "install the test peers with `scripts/install-deps.sh test` (as root, in the source tree)"


def require_python_peers():
    """Fails the test program (never skips it) when this Python lacks the
    pinned peers of tests/requirements.txt (moto[server], boto3, cfn-lint...)."""
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "python-peers.py"), REQUIREMENTS],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{r.stdout}{r.stderr}the Python test peers are missing: {INSTALL_PEERS}")


def docpipe_binary():
    """The docpipe binary under test: $DOCPIPE_BINARY (set by CTest) or build/docpipe."""
    path = os.environ.get("DOCPIPE_BINARY") or os.path.join(ROOT, "build", "docpipe")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"docpipe binary not found at {path}: build it first (make build)")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(home, **extra):
    """An environment without AWS settings of the machine (credentials, profile,
    region, endpoints), HOME pointing at an empty directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = home
    env.update(extra)
    return env


def stripped_path(tmp, without):
    """A PATH of one directory holding links to every program on the current
    PATH except `without` (first match wins, as PATH lookup does)."""
    bindir = os.path.join(tmp, "stripped-bin")
    os.makedirs(bindir, exist_ok=True)
    seen = set(without)
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            if name in seen:
                continue
            full = os.path.join(d, name)
            if os.path.isfile(full) and os.access(full, os.X_OK):
                os.symlink(full, os.path.join(bindir, name))
                seen.add(name)
    return bindir


def run(argv, env, timeout=300, stdin=subprocess.DEVNULL, cwd=ROOT):
    return subprocess.run(argv, env=env, cwd=cwd, stdin=stdin, capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def moto_server():
    """A moto_server on a free port; yields its URL."""
    exe = shutil.which("moto_server")
    if exe is None:
        raise AssertionError(f"moto_server is not on PATH: {INSTALL_PEERS}")
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    raise AssertionError("moto_server did not start: " + log.read().decode(errors="replace"))
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def assert_in_order(test, text, needles):
    """Each needle occurs in text, after the previous one."""
    at = 0
    for needle in needles:
        found = text.find(needle, at)
        test.assertNotEqual(found, -1, f"expected, after offset {at}: {needle!r}\n--- output ---\n{text}")
        at = found + len(needle)


ON_DEMAND = os.path.join(ROOT, "deploy", "on-demand-libraries.txt")


def on_demand_libraries(kind):
    """The names deploy/on-demand-libraries.txt lists with `kind` ("system":
    sonames docpipe dlopens; "module": docpipe's own modules)."""
    out = []
    with open(ON_DEMAND) as f:
        for line in f:
            fields = line.split()
            if fields and not fields[0].startswith("#") and fields[1] == kind:
                out.append(fields[0])
    return out


def ldd_libraries(path):
    """{soname: resolved path} of what `ldd path` lists (the loader under its basename)."""
    libs = {}
    for line in subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[1] == "=>" and fields[2].startswith("/"):
            libs[fields[0]] = fields[2]
        elif fields and fields[0].startswith("/") and "ld-linux" in fields[0]:
            libs[os.path.basename(fields[0])] = fields[0]
    return libs


def system_library(soname):
    """Where the system's dynamic linker cache puts `soname` (x86-64)."""
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] == soname and "x86-64" in line:
            return fields[-1]
    raise AssertionError(f"{soname}, which docpipe loads on first use, is not installed")


def on_demand_closure():
    """{soname: path} of the system libraries docpipe loads on first use, with theirs."""
    libs = {}
    for soname in on_demand_libraries("system"):
        path = system_library(soname)
        libs[soname] = path
        libs.update(ldd_libraries(path))
    return libs
