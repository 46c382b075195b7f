#!/usr/bin/env bash
# Runs the README's commands, exactly as written, on a freshly debootstrapped
# minimal Debian 12, as root, the way a new user would, and reports how long
# each took and whether it passed.
#
# Usage: scripts/fresh-machine-check.sh [--only-demo] [WORKDIR]
#   WORKDIR (default /var/tmp/docpipe-fresh) holds the root file system, the
#   wheel folder and the logs (WORKDIR/logs/*.log, WORKDIR/report.txt).
#
# What the check adds to the bare debootstrap, and why:
#   - this machine's apt sources, apt settings and CA certificates, so apt and
#     npm inside reach the registries this machine reaches;
#   - a wheel folder rebuilt from this machine's Python (the shared tool
#     wheelhouse-from-site-packages), exported as PIP_NO_INDEX=1
#     PIP_FIND_LINKS, because no machine here reaches PyPI: pip then runs
#     unchanged against it;
#   - a clone of this repository's HEAD (commit it first).
# Needs root, debootstrap and git on this machine.
set -euo pipefail

only_demo=0
if [ "${1:-}" = "--only-demo" ]; then
  only_demo=1
  shift
fi
src=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/var/tmp/docpipe-fresh}
rootfs="$work/root"
logs="$work/logs"
report="$work/report.txt"
wheelhouse_tool=${WHEELHOUSE_TOOL:-$src/../shared/tools/wheelhouse-from-site-packages}

[ "$(id -u)" -eq 0 ] || { echo "fresh-machine-check: run as root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh-machine-check: apt-get install -y debootstrap" >&2; exit 2; }
[ -x "$wheelhouse_tool" ] || { echo "fresh-machine-check: $wheelhouse_tool is missing (set WHEELHOUSE_TOOL)" >&2; exit 2; }

# The README's commands: its first ```sh block. The first line installs the
# prerequisites; the others run in the clone.
mapfile -t commands < <(awk '/^```sh$/ {inside=1; next} inside && /^```/ {exit} inside' "$src/README.md" |
                        sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d')
[ ${#commands[@]} -ge 3 ] || { echo "fresh-machine-check: README.md's first sh block has no prerequisites + commands" >&2; exit 1; }

mounted=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m=${mounted[$i]}
    umount -l "$m" 2>/dev/null || true
  done
}
trap cleanup EXIT
mount_in() {  # SOURCE TARGET [mount options...]
  mkdir -p "$2"
  mount "${@:3}" "$1" "$2"
  mounted+=("$2")
}

# A run that was killed may have left mounts (the host's /dev among them):
# unmount before deleting anything.
{ grep -F " $rootfs/" /proc/mounts || true; } | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m"; done
if grep -qF " $rootfs/" /proc/mounts; then
  echo "fresh-machine-check: $rootfs still has mounts; not deleting it" >&2
  exit 1
fi
rm -rf "$rootfs" "$logs"
mkdir -p "$work" "$logs"
: > "$report"
say() { echo "$*" | tee -a "$report"; }

mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
say "fresh-machine-check: $(date -u +%FT%TZ), docpipe $(git -C "$src" rev-parse --short HEAD), mirror $mirror"
start=$(date +%s)
mkdir -p "$work/debootstrap-cache"
debootstrap --variant=minbase --cache-dir="$work/debootstrap-cache" bookworm "$rootfs" "$mirror" \
  > "$logs/debootstrap.log" 2>&1 || { say "debootstrap failed: $logs/debootstrap.log"; exit 1; }
say "debootstrap (minbase, bookworm): $(( $(date +%s) - start )) s"

# Reach the registries as this machine does.
rm -f "$rootfs/etc/apt/sources.list"
cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/"
cp /etc/apt/apt.conf.d/99* "$rootfs/etc/apt/apt.conf.d/" 2>/dev/null || true
mkdir -p "$rootfs/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"

"$wheelhouse_tool" "$rootfs/wheels" -r "$src/tests/requirements.txt" > "$logs/wheelhouse.log" 2>&1 ||
  { say "building the wheel folder failed: $logs/wheelhouse.log"; exit 1; }
say "wheel folder: $(find "$rootfs/wheels" -name '*.whl' | wc -l) wheels (stands in for PyPI)"

mount_in proc "$rootfs/proc" -t proc
mount_in sysfs "$rootfs/sys" -t sysfs
mount_in /dev "$rootfs/dev" --bind
mount_in devpts "$rootfs/dev/pts" -t devpts
mount_in "$src" "$rootfs/mnt/docpipe-origin" --bind -o ro

in_root() {  # LOG COMMAND: runs COMMAND with bash -lc inside, as root, timed
  local log=$1 cmd=$2 t0 rc
  t0=$(date +%s)
  set +e
  chroot "$rootfs" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels \
    /bin/bash -c "$cmd" > "$logs/$log.log" 2>&1
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - t0 ))
  return $rc
}

overall=0
prereq=${commands[0]}
if in_root prerequisites "$prereq"; then
  say "\`$prereq\`: ok in ${elapsed} s"
else
  say "\`$prereq\`: FAILED after ${elapsed} s ($logs/prerequisites.log)"
  exit 1
fi
in_root clone "git clone -q /mnt/docpipe-origin /root/docpipe" || { say "git clone failed: $logs/clone.log"; exit 1; }

for cmd in "${commands[@]:1}"; do
  [ $only_demo -eq 1 ] && [ "$cmd" != "make demo" ] && continue
  name=$(echo "$cmd" | tr -c 'a-z0-9\n' '-')
  if in_root "$name" "cd /root/docpipe && $cmd"; then
    say "\`$cmd\`: ok in $((elapsed / 60)) min $((elapsed % 60)) s"
  else
    say "\`$cmd\`: FAILED after $((elapsed / 60)) min $((elapsed % 60)) s ($logs/$name.log)"
    overall=1
  fi
  grep -E '^[0-9]+% tests passed|tests failed out of|docpipe: make test' "$logs/$name.log" | sed 's/^/    /' | tee -a "$report" || true
done
say "fresh-machine-check: $([ $overall -eq 0 ] && echo PASSED || echo FAILED); report $report"
exit $overall
