"""Keeps deploy/Dockerfile honest without a Docker engine: the runtime stage
installs exactly the Debian packages whose shared libraries docpipe needs
(what the binary and its HTTP server module link, ldd + dpkg -S, and the
libraries it loads on first use, deploy/on-demand-libraries.txt) and
debian:12-slim lacks, and apt will bring every library those load in turn.
Plus the stage structure (non-root, entrypoint, the module beside the binary).

The binary is the one built here, on Debian 12, from the same sources and
packages as the image's builder stage."""
import os
import re
import subprocess
import unittest

from deploy_test_util import (DOCKERFILE, ROOT, SLIM_PACKAGES, docpipe_binary, ldd_libraries, on_demand_closure,
                              on_demand_libraries, system_library)

# AddressSanitizer's and UBSan's runtimes: linked by the sanitizer build
# only, never by the Release binary the image builds.
SANITIZER_RUNTIME = re.compile(r"lib(asan|ubsan|lsan|tsan)\.so")

# Installed for reasons other than a linked library.
NOT_LIBRARIES = {"ca-certificates": "HTTPS to AWS, OpenAI and Pinecone (libcurl verifies servers)",
                 "tesseract-ocr-eng": "OCR's default language data (ocr.languages = \"eng\")",
                 "tesseract-ocr-osd": "OCR's orientation and script detection data"}


def dockerfile_stages():
    """[(base image, stage name, [instructions with continuation lines joined])]."""
    with open(DOCKERFILE) as f:
        text = f.read()
    text = re.sub(r"\\\n", " ", text)
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?$", line, re.I)
        if m:
            stages.append((m.group(1), m.group(2), []))
        elif stages:
            stages[-1][2].append(re.sub(r"\s+", " ", line))
    return stages


def apt_installs(instructions):
    pkgs = []
    for ins in instructions:
        if not ins.startswith("RUN "):
            continue
        for cmd in re.split(r"&&|;", ins[4:]):
            words = cmd.split()
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                pkgs += [w for w in after if not w.startswith("-")]
    return pkgs


def needed_entries(path):
    """The NEEDED entries of an ELF file."""
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                      subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout)


def sanitized(path):
    """Whether an ELF file is of a sanitizer build: it links GCC's runtimes
    (NEEDED libasan.so...), or carries clang's inside it (its executables
    export __asan_init)."""
    if any(SANITIZER_RUNTIME.match(lib) for lib in needed_entries(path)):
        return True
    symbols = subprocess.run(["readelf", "--dyn-syms", "-W", path], capture_output=True, text=True, check=True).stdout
    return re.search(r"\s__asan_init$", symbols, re.M) is not None


def unused_entries(path):
    """NEEDED entries nothing in `path` uses (`ldd -u`, which exits 1 when it lists some)."""
    out = subprocess.run(["ldd", "-u", path], capture_output=True, text=True).stdout
    return {os.path.basename(line.strip()) for line in out.splitlines() if line.strip().startswith("/")}


_OWNERS = {}


def _candidates(path):
    c = [path, os.path.realpath(path)]
    for p in list(c):
        c.append(p[4:] if p.startswith("/usr/") else "/usr" + p)
    return c


def dpkg_owners(paths):
    """Looks up the packages owning library paths with one `dpkg -S` call
    (usr-merged: /lib/... and /usr/lib/... both tried)."""
    todo = sorted({c for p in paths if p not in _OWNERS for c in _candidates(p)})
    if todo:
        out = subprocess.run(["dpkg", "-S", *todo], capture_output=True, text=True).stdout
        found = {}
        for line in out.splitlines():
            pkg, _, path = line.partition(": ")
            found[path.strip()] = pkg.split(":")[0].split(",")[0].strip()
        for p in paths:
            owner = next((found[c] for c in _candidates(p) if c in found), None)
            if owner is None:
                raise AssertionError(f"no Debian package owns {p}")
            _OWNERS[p] = owner
    return {p: _OWNERS[p] for p in paths}


def dpkg_owner(path):
    return dpkg_owners([path])[path]


def installed_depends():
    """{package: [[alternatives] ...]} for installed packages, and {virtual: [providers]}."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Depends}, ${Pre-Depends}\t${Provides}\n"],
                         capture_output=True, text=True, check=True).stdout
    deps, provides = {}, {}
    for line in out.splitlines():
        name, dep, prov = line.split("\t")
        groups = []
        for group in dep.split(","):
            alts = [re.sub(r"[\s(].*", "", a.strip()).split(":")[0] for a in group.split("|") if a.strip()]
            if alts:
                groups.append(alts)
        deps[name] = groups
        for p in prov.split(","):
            p = re.sub(r"[\s(].*", "", p.strip())
            if p:
                provides.setdefault(p, []).append(name)
    return deps, provides


def closure(roots, deps, provides):
    """Packages apt installs for roots (installed alternatives chosen, as here)."""
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for alts in deps.get(p, []):
            chosen = next((a for a in alts if a in deps), None)
            if chosen is None:
                chosen = next((prov for a in alts for prov in provides.get(a, [])), None)
            if chosen is not None:
                todo.append(chosen)
    return seen


class DockerfilePackagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary = docpipe_binary()
        # What docpipe needs: the binary's and its modules' NEEDED entries, and
        # the system libraries it loads on first use.
        cls.modules = [os.path.join(os.path.dirname(binary), m) for m in on_demand_libraries("module")]
        for module in cls.modules:
            if not os.path.exists(module):
                raise AssertionError(f"{module} not found: build the docpipe target (it builds its modules)")
        # `make test` runs this against its sanitizer build (scripts/run-tests.sh); the
        # image's builder stage builds Release (test_stages checks it), which links the
        # same libraries less the sanitizer runtimes and less what the sanitizer link
        # keeps unused (`ldd -u`: libharfbuzz, which only the tests' PDF maker calls).
        sanitized_build = sanitized(binary)
        cls.needed = []
        resolved = {}
        for path in [binary] + cls.modules:
            entries = needed_entries(path)
            if sanitized_build:
                unused = unused_entries(path)
                entries = [lib for lib in entries if not SANITIZER_RUNTIME.match(lib) and lib not in unused]
            cls.needed += entries
            resolved.update(ldd_libraries(path))
        cls.needed += on_demand_libraries("system")
        cls.needed = sorted(set(cls.needed))
        # What those load in turn.
        cls.ldd = {}
        for lib in cls.needed:
            if lib in resolved:
                cls.ldd[lib] = resolved[lib]
                cls.ldd.update(ldd_libraries(resolved[lib]))
        cls.ldd.update(on_demand_closure())
        with open(SLIM_PACKAGES) as f:
            cls.slim = {l.strip() for l in f if l.strip() and not l.startswith("#")}
        cls.stages = dockerfile_stages()
        cls.runtime = next(s for s in cls.stages if s[1] == "runtime")

    def test_runtime_packages_are_exactly_what_the_binary_needs(self):
        self.assertTrue(self.needed, "readelf found no NEEDED entries")
        unresolved = [lib for lib in self.needed if lib not in self.ldd]
        self.assertEqual(unresolved, [], "ldd did not resolve these")
        by_path = dpkg_owners([self.ldd[lib] for lib in self.needed])
        owners = {lib: by_path[self.ldd[lib]] for lib in self.needed}
        required = {p for p in owners.values() if p not in self.slim}
        listed = apt_installs(self.runtime[2])
        self.assertEqual(len(listed), len(set(listed)), f"a package is listed twice: {listed}")
        for extra, why in NOT_LIBRARIES.items():
            self.assertIn(extra, listed, f"{extra} must be installed: {why}")
        listed_libs = set(listed) - set(NOT_LIBRARIES)
        missing = sorted(required - listed_libs)
        unneeded = sorted(listed_libs - required)
        self.assertEqual(missing, [], "the binary links libraries of these packages, which the runtime stage does "
                         "not install and debian:12-slim lacks: "
                         + ", ".join(f"{p} ({[l for l, o in owners.items() if o == p]})" for p in missing))
        self.assertEqual(unneeded, [], "the runtime stage installs packages the binary does not link "
                         "(or that debian:12-slim already has)")
        # The packages slim is trusted to have are really base packages here too.
        for lib, pkg in owners.items():
            if pkg in self.slim:
                self.assertIn(pkg, {"libc6", "libstdc++6", "libgcc-s1", "zlib1g", "libpcre2-8-0"},
                              f"{lib} comes from {pkg}: update the Dockerfile comment that lists slim's libraries")

    def test_apt_brings_every_library_loaded_indirectly(self):
        deps, provides = installed_depends()
        listed = apt_installs(self.runtime[2])
        image = closure(set(listed) | self.slim, deps, provides)
        by_path = dpkg_owners(list(self.ldd.values()))
        for lib, path in sorted(self.ldd.items()):
            pkg = by_path[path]
            self.assertIn(pkg, image, f"{lib} ({pkg}) would be missing from the runtime image")

    def test_stages(self):
        bases = [(b, n) for b, n, _ in self.stages]
        self.assertEqual(bases[0], ("debian:12", "builder"))
        self.assertEqual(bases[-1], ("debian:12-slim", "runtime"), "the runtime stage is last (default target)")
        self.assertIn(("scratch", "lambda-zip"), bases)
        builder = self.stages[0][2]
        joined = "\n".join(builder)
        self.assertIn("scripts/install-deps.sh package", joined, "build packages come from scripts/install-deps.sh")
        self.assertIn("--target docpipe", joined)
        self.assertIn("-DCMAKE_BUILD_TYPE=Release", joined)
        self.assertNotIn("DOCPIPE_SANITIZE", joined, "the image's binary is built without sanitizers")
        runtime = self.runtime[2]
        user = [i for i in runtime if i.startswith("USER ")]
        self.assertEqual(len(user), 1)
        uid = user[0].split()[1].split(":")[0]
        self.assertTrue(uid.isdigit() and int(uid) >= 1000, f"USER must be a fixed non-root UID: {user[0]}")
        self.assertIn('ENTRYPOINT ["docpipe"]', runtime)
        self.assertIn('CMD ["worker"]', runtime)
        self.assertIn("EXPOSE 8265", runtime)
        self.assertTrue(any(i.startswith("WORKDIR /") for i in runtime))
        self.assertIn("COPY --from=builder /build/docpipe /usr/local/bin/docpipe", runtime)
        # The modules where the loader looks: ../lib/docpipe/ of the binary's folder.
        for module in on_demand_libraries("module"):
            self.assertIn(f"COPY --from=builder /build/{module} /usr/local/lib/docpipe/{module}", runtime)
        self.assertTrue(any("rm -rf /var/lib/apt/lists" in i for i in runtime if "apt-get install" in i))
        self.assertTrue(any("--no-install-recommends" in i for i in runtime if "apt-get install" in i))
        # Instructions after USER run unprivileged: no package installs there.
        after_user = runtime[runtime.index(user[0]):]
        self.assertFalse([i for i in after_user if "apt-get" in i])

    def test_dockerignore(self):
        with open(os.path.join(ROOT, ".dockerignore")) as f:
            entries = {l.strip().rstrip("/") for l in f if l.strip() and not l.startswith("#")}
        for must in (".git", "build", "build-*", "node_modules"):
            self.assertIn(must, entries)
        # What the builder needs stays in the context.
        for needed in ("src", "scripts", "cmake", "tools", "tests", "CMakeLists.txt", "package.json",
                       "package-lock.json", "deploy"):
            self.assertNotIn(needed, entries)
            self.assertTrue(os.path.exists(os.path.join(ROOT, needed)), needed)


if __name__ == "__main__":
    unittest.main(verbosity=2)
