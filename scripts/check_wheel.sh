#!/usr/bin/env bash
# The demo must work for a user who installs the package, not only from a checkout:
# build a wheel, install it in a fresh venv outside the checkout, run `inspect-sched demo`
# in an empty folder, and check that the draw verified and the commitment is the known one.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/inspect-sched-wheel.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 -m pip wheel -q --no-deps -w "$work/dist" "$repo" 2>&1 | grep -v '^WARNING' || true
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$work"/dist/*.whl 2>&1 | grep -v '^WARNING' || true
cd "$work"
out=$("$work/venv/bin/inspect-sched" demo --out "$work/demo")
echo "$out" | tail -n 12
echo "$out" | grep -q "plan 1 committed: bf894c31481386c7f588e0cfee3efcac46b670d1b3cd6b12de89d75a47468d1e"
echo "$out" | grep -q "verify: verified"
echo "wheel demo: ok"
