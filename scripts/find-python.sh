#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 interpreter (Django 6.1 needs it), or explains how to get one.
set -u
candidates=("${PYTHON:-}" python3.12 python3.13 python3)
for version_dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[23]*; do
  [ -x "$version_dir/bin/python3" ] && candidates+=("$version_dir/bin/python3")
done
for candidate in "${candidates[@]}"; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
echo "CareLoop needs Python 3.12 or newer (Django 6.1 does not run on older versions)." >&2
echo "Install one (e.g. 'pyenv install 3.12', or your distribution's python3.12) or set PYTHON=/path/to/python3.12." >&2
exit 1
