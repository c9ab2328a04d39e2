#!/usr/bin/env bash
# ansible-test sanity with the ansible-core of the Python running this (the tox environment
# sanity-py3.13-ansible-newest of make test-compat), from the collection link as make sanity runs it
# (the Makefile says why). Copies ansible-test's JUnit files to RESULTS_DIR/sanity for the summary.
#
# Usage: tests/scripts/compat-sanity.sh RESULTS_DIR [ansible-test sanity options...]
set -euo pipefail

results=${1:?usage: compat-sanity.sh RESULTS_DIR [options]}
shift
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python=$(command -v python)
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ansible-test --requirements downloads get-pip.py, which CI's network cannot reach; the shared tool
# beside the checkout (as in .ci/run) seeds ansible-test's cache with a stand-in.
offline_pip="$top/../shared/tools/ansible-test-offline-pip"
if [ -f "$offline_pip" ]; then
  bash "$offline_pip" "$python"
fi

cd "$top/build/collections/ansible_collections/backupops/veeam"
rm -rf tests/output/junit
status=0
ANSIBLE_TEST_CONTENT_ROOT=$PWD ansible-test sanity --requirements --local --junit --python "$version" "$@" \
  || status=$?
mkdir -p "$results/sanity"
cp tests/output/junit/*.xml "$results/sanity/" 2>/dev/null || true
exit "$status"
