#!/usr/bin/env bash
# Regenerates .sqlx/ (the query metadata that lets every build check SQL offline) after a query
# or a migration changed. Needs sqlite3. sqlx's macros write the metadata themselves when
# SQLX_OFFLINE_DIR is set and they can reach a database, so sqlx-cli is not needed.
set -euo pipefail
cd "$(dirname "$0")/.."
db="$(mktemp -d)/prepare.db"
cat src-tauri/crates/store/migrations/*.sql | sqlite3 "$db"
rm -rf .sqlx && mkdir .sqlx
touch src-tauri/crates/store/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$PWD/.sqlx" DATABASE_URL="sqlite://$db" cargo check -p desk-store
echo "wrote $(ls .sqlx | wc -l) query files to .sqlx/"
