#!/usr/bin/env python3
"""The compile side of `make test`'s optimisation level (docs/testing.md):
CPU seconds (user + sys) to compile sample sources and tests under ASan +
UBSan at -O0, -Og, -O1 and -O2 (-g0), each level with its own precompiled
headers, with the flags of a configured sanitizer build (flags.make). CPU
time, not wall time: the machine is shared. Levels alternate per file so
that load changes hit them alike.

Usage: bench/testbuild/opt_levels.py [BUILD_DIR]   (default build-asan, after `make test` configured it)
The run side: time `docpipe ingest` of the manuals with each level's docpipe
(docs/benchmarks.md, "One build for the tests")."""
import os
import re
import resource
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-asan"))
LEVELS = ["-O0", "-Og", "-O1", "-O2"]
SAMPLE = [  # (CMake target whose flags apply, file, precompiled header)
    ("docpipe_extract", "src/extract/docx_reader.cpp", "docpipe_pch.h"),
    ("docpipe_aws", "src/aws/aws_client.cpp", "docpipe_pch.h"),
    ("docpipe_cli", "src/cli/commands.cpp", "docpipe_pch.h"),
    ("docpipe_pipeline", "src/pipeline/document_processor.cpp", "docpipe_pch.h"),
    ("unit_tests", "tests/unit/pipeline/document_processor_test.cpp", "docpipe_test_pch.h"),
    ("e2e_tests", "tests/e2e/cli_test.cpp", "docpipe_test_pch.h"),
]
PCH_TARGETS = {"docpipe_pch.h": "docpipe_pch", "docpipe_test_pch.h": "docpipe_test_pch"}


def flags(target):
    with open(f"{BUILD}/CMakeFiles/{target}.dir/flags.make") as f:
        text = f.read()
    get = lambda key: re.search(rf"^{key} = (.*)$", text, re.M).group(1)
    cxx = [f for f in get("CXX_FLAGS").split() if not re.fullmatch(r"-O.|-g\d?", f)]
    return get("CXX_DEFINES").replace('\\"', '"').split() + get("CXX_INCLUDES").split() + cxx


def cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main():
    totals = {level: 0.0 for level in LEVELS}
    with tempfile.TemporaryDirectory() as tmp:
        for level in LEVELS:
            d = os.path.join(tmp, level)
            os.makedirs(d)
            for header in PCH_TARGETS:
                with open(os.path.join(ROOT, "cmake", "pch", header)) as src, open(os.path.join(d, header), "w") as dst:
                    dst.write(src.read())
            for header, target in PCH_TARGETS.items():
                t = cpu(["c++", *flags(target), level, "-g0", "-x", "c++-header", os.path.join(d, header), "-o",
                         os.path.join(d, header + ".gch")])
                totals[level] += t
                print(f"{'precompiled ' + header:58s} {level} {t:6.2f} s", flush=True)
        for target, path, header in SAMPLE:
            row = []
            for level in LEVELS:
                t = cpu(["c++", *flags(target), level, "-g0", "-Winvalid-pch", "-include",
                         os.path.join(tmp, level, header), "-c", os.path.join(ROOT, path), "-o", os.devnull])
                totals[level] += t
                row.append(f"{level} {t:6.2f}")
            print(f"{path:58s} " + "  ".join(row), flush=True)
    print(f"{'total (CPU s)':58s} " + "  ".join(f"{level} {totals[level]:6.1f}" for level in LEVELS))


if __name__ == "__main__":
    main()
