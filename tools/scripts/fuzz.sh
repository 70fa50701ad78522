#!/usr/bin/env bash
# Runs every fuzz test of the repository for FUZZTIME each (default 10s).
# Go fuzzes one target per invocation, so targets are found and run in turn.
set -euo pipefail
cd "$(dirname "$0")/../.."
time=${FUZZTIME:-10s}
git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | while read -r file; do
  pkg="./$(dirname "$file")"
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
    echo "== $pkg $target ($time)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$time" "$pkg"
  done
done
