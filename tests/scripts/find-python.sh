#!/usr/bin/env bash
# Print the path of a working Python X.Y interpreter, or fail saying where it looked.
#
# Usage: tests/scripts/find-python.sh X.Y
#
# $COMPAT_PYTHON_X_Y (e.g. COMPAT_PYTHON_3_10=/opt/py310/bin/python3.10), when set, is the answer
# or the error. Otherwise looks at every pythonX.Y on PATH, then at pyenv's installs ($PYENV_ROOT
# or ~/.pyenv: versions/X.Y.*, newest patch first). A candidate counts only if it runs and says it
# is X.Y: a pyenv shim for a version that is installed but not selected fails ("command not found")
# and is skipped.
set -euo pipefail

want=${1:?usage: find-python.sh X.Y}
if ! [[ $want =~ ^[0-9]+\.[0-9]+$ ]]; then
  echo "find-python.sh: '$want' is not of the form X.Y" >&2
  exit 2
fi

works() {
  [ -x "$1" ] && "$1" -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] != sys.argv[1])' "$want" >/dev/null 2>&1
}

override_name=COMPAT_PYTHON_${want//./_}
if [ -n "${!override_name:-}" ]; then
  if works "${!override_name}"; then
    echo "${!override_name}"
    exit 0
  fi
  echo "find-python.sh: $override_name=${!override_name} is not a working Python $want" >&2
  exit 1
fi

candidates=()
while IFS= read -r found; do
  candidates+=("$found")
done < <(type -ap "python$want" || true)
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
while IFS= read -r found; do
  candidates+=("$found")
done < <(find "$pyenv_root/versions" -maxdepth 3 -path "*/versions/$want.*/bin/python$want" 2>/dev/null | sort -rV)

for candidate in "${candidates[@]}"; do
  if works "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

{
  echo "find-python.sh: no working Python $want found."
  echo "  looked at: python$want on PATH, $pyenv_root/versions/$want.*"
  if [ ${#candidates[@]} -gt 0 ]; then
    echo "  (tried and rejected: ${candidates[*]})"
  fi
  echo "  Install it (e.g. 'pyenv install $want', or your distribution's python$want package)"
  echo "  or name it: $override_name=/path/to/python$want"
} >&2
exit 1
