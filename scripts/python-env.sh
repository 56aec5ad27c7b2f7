#!/usr/bin/env bash
# Creates .venv with the pinned third-party TBA client (requests-oauthlib) used by the
# end-to-end test, and prints the interpreter path. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv >&2
fi
if ! .venv/bin/python -c 'import requests_oauthlib' 2>/dev/null; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/clients/requirements.txt >&2
fi
echo "$PWD/.venv/bin/python"
