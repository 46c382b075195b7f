#!/usr/bin/env python3
"""Checks that this Python has the pinned test peers of a requirements file.

    python3 scripts/python-peers.py tests/requirements.txt

Exit 0 when every `name[extras]==version` line is installed at exactly that
version, with the distributions its extras need; otherwise exit 1 and print
what is missing. Needs nothing beyond the standard library, so it runs on a
Python that has no pip.
"""
import re
import sys
from importlib import metadata

LINE = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[([A-Za-z0-9_,.-]+)\])?==([A-Za-z0-9_.+!-]+)$")
REQ_NAME = re.compile(r"^([A-Za-z0-9_.-]+)")
EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def missing_for(line):
    m = LINE.match(line)
    if not m:
        return [f"cannot read requirement {line!r} (expected name[extras]==version)"]
    name, extras, version = m.group(1), m.group(2), m.group(3)
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return [f"{name}=={version} is not installed"]
    if dist.version != version:
        return [f"{name} is {dist.version}, {version} is pinned"]
    problems = []
    wanted = {e.strip() for e in (extras or "").split(",") if e.strip()}
    for req in dist.requires or []:
        marker = EXTRA_MARKER.search(req)
        if not marker or marker.group(1) not in wanted:
            continue
        if "python_version" in req or "sys_platform" in req or "platform_" in req:
            continue  # conditional on the platform: too rare here to evaluate by hand
        dep = REQ_NAME.match(req.strip()).group(1)
        try:
            metadata.distribution(dep)
        except metadata.PackageNotFoundError:
            problems.append(f"{dep} (needed by {name}[{','.join(sorted(wanted))}]) is not installed")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    problems = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if line:
                problems += missing_for(line)
    for p in problems:
        print(f"{sys.executable}: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
