#!/usr/bin/env bash
# The one gate, run identically by humans and CI: format, lint, purity of the core, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets -- -D warnings

step "purity: the domain and the OAuth crate stay free of I/O, async and serialization crates"
scripts/check-purity.sh

step "third-party client environment (requests-oauthlib, pinned)"
NETSUITE_MOCK_PYTHON="$(scripts/python-env.sh)"
export NETSUITE_MOCK_PYTHON

step "build tests"
start=$(date +%s)
cargo test --workspace --no-run
echo "build: $(( $(date +%s) - start )) s"

step "tests"
start=$(date +%s)
cargo test --workspace
echo "tests: $(( $(date +%s) - start )) s"
