#!/usr/bin/env bash
# Sets everything up on a fresh machine and runs Wakil with the demo data.
# Idempotent: a second run reuses the binaries, the database and the demo.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "Compilation de wakil (release ; une dizaine de minutes la première fois)…"
cargo build --release --quiet --bin wakil
WAKIL="${CARGO_TARGET_DIR:-target}/release/wakil"

# The demo is loaded once; later runs find it.
if [ -z "$("$WAKIL" users)" ]; then
    "$WAKIL" seed --demo >/dev/null
    echo "Données de démonstration chargées."
fi

echo
echo "Utilisateurs de démonstration (wakil tool NOM '{…}' --as EMAIL ; wakil users --all pour les copropriétaires) :"
"$WAKIL" users
echo
# Until the web chat exists (`wakil serve`), the product is its tools: the impayés of the demo
# résidences, as the gestionnaire sees them.
"$WAKIL" tool query_impayes '{}' --as gestionnaire@atlas-syndic.ma --table
