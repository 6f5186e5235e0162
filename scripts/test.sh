#!/usr/bin/env bash
# The whole check, as CI runs it (.ci/run): install what is missing, then format, lint, test.
# Respects a preset CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '==> %s\n' "$*"; }

# A fresh clone (CI) gains nothing from incremental artefacts: they would double the target's size.
if [[ -n "${CI:-}" ]]; then export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"; fi

step "setup"
bash scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy -q --workspace --all-targets -- -D warnings

step "cargo test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test -q --workspace --no-fail-fast 2>&1 | tee "$log" || status=$?
# cargo's last "test result" line is an empty doc-test run: close on the workspace's totals.
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
# The tests' PostgreSQL is shared by the test processes and left running by them: stop it.
cargo run -q --bin wakil -- --data-dir "${WAKIL_TEST_DATA_DIR:-${TMPDIR:-/tmp}/wakil-test-pg}" stop
exit "$status"
