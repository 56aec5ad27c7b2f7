#!/usr/bin/env bash
# Fails if a pure crate gains a dependency on I/O, async or wire-format crates.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for crate in inventory-domain oauth1-signature; do
  [ -d "crates/$crate" ] || continue
  tree=$(cargo tree -p "$crate" -e normal --prefix none)
  for banned in tokio hyper rusqlite serde_json serde; do
    if grep -Eq "^$banned v" <<<"$tree"; then
      echo "error: $crate depends on $banned:" >&2
      cargo tree -p "$crate" -e normal -i "$banned" >&2 || true
      status=1
    fi
  done
done
[ $status -eq 0 ] && echo "pure crates are pure"
exit $status
