#!/usr/bin/env bash
# Sets everything up on a fresh machine and runs Wakil with the demo data.
# Idempotent: a second run reuses the binaries, the database and the demo.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "Compilation de wakil (release ; une dizaine de minutes la première fois)…"
cargo build --release --quiet --bin wakil
WAKIL="${CARGO_TARGET_DIR:-target}/release/wakil"

# `wakil serve` loads the demo on first start (an empty database), prints the address and the
# demo logins, and serves the web chat until Ctrl-C. Without an Ollama model it answers the
# frequent requests itself (reduced mode).
exec "$WAKIL" serve "$@"
