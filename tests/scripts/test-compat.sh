#!/usr/bin/env bash
# make test-compat: run every environment of tox.ini (each an ansible-core version on a Python, in a
# virtualenv of its own) and print one summary line per environment.
#
# Each environment's Python comes from its pyX.Y name factor, found by find-python.sh (PATH, then
# pyenv; COMPAT_PYTHON_X_Y=/path names one), and is handed to tox as that environment's base_python.
# A missing Python fails here, before anything is installed. make passes TOX (the dev venv's tox);
# TOX_ENVS=a,b runs only those environments, TOX_ARGS adds tox options (e.g. -r to rebuild the
# virtualenvs, --parallel-live to watch the output).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
tox=${TOX:-tox}

if [ -n "${TOX_ENVS:-}" ]; then
  IFS=, read -r -a envs <<<"$TOX_ENVS"
else
  mapfile -t envs < <("$tox" list --no-desc -q)
fi
if [ ${#envs[@]} -eq 0 ]; then
  echo "test-compat: tox.ini lists no environment" >&2
  exit 1
fi

overrides=()
missing=0
for env in "${envs[@]}"; do
  version=$(tr - '\n' <<<"$env" | sed -n 's/^py\([0-9][0-9]*\.[0-9][0-9]*\)$/\1/p' | head -n 1)
  if [ -z "$version" ]; then
    echo "test-compat: environment '$env' has no pyX.Y factor" >&2
    exit 1
  fi
  if python=$(bash tests/scripts/find-python.sh "$version"); then
    echo "test-compat: $env on $python"
    overrides+=(-x "testenv:$env.base_python=$python")
  else
    missing=1
  fi
done
if [ "$missing" -ne 0 ]; then
  echo "test-compat: a Python that tox.ini's environments need is missing (see above); nothing was run" >&2
  exit 1
fi

rm -rf build/compat
list=$(IFS=,; echo "${envs[*]}")
status=0
# The environments run side by side: most of an integration test is waiting for simulated job runs.
# tox shows an environment's output when it fails.
# shellcheck disable=SC2086  # TOX_ARGS is a list of options
"$tox" run-parallel --parallel "${#envs[@]}" --parallel-no-spinner -e "$list" "${overrides[@]}" ${TOX_ARGS:-} \
  || status=$?

echo
echo "== make test-compat: one line per environment (details: build/compat/<environment>/*.xml)"
for env in "${envs[@]}"; do
  if [ -s "build/compat/$env/summary.txt" ]; then
    cat "build/compat/$env/summary.txt"
  else
    echo "FAILED $env: no summary; the environment failed before its tests ended (tox's output above says why)"
    status=1
  fi
done
exit "$status"
