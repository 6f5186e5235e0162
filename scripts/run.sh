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
# Until the web chat exists (`wakil serve`), the conversation runs in the terminal: one question
# to the agent (the fast path answers it; without an Ollama model it says it is in reduced mode).
echo "Question : « Quels sont les impayés de la résidence Guéliz ? » (gestionnaire)"
"$WAKIL" ask "Quels sont les impayés de la résidence Guéliz ?" --as gestionnaire@atlas-syndic.ma
echo
echo "À essayer :"
echo "  $WAKIL ask \"chhal khassni nkhelless ?\" --as anas.mernissi@gmail.com"
echo "  $WAKIL ask \"Meryem Marrakchi a payé 1 200 DH par virement réf VIR-88\" --as comptable@atlas-syndic.ma"
echo "  $WAKIL eval --mode fast-path"
