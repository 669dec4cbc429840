#!/usr/bin/env bash
# Regenerates the query metadata that lets every build check SQL offline, after a query or a
# migration changed: .sqlx/ for the SQLite store (needs sqlite3), src-tauri/crates/store-pg/.sqlx/
# for the PostgreSQL one (needs PostgreSQL, started here in a temporary folder). sqlx's macros
# write the metadata themselves when SQLX_OFFLINE_DIR is set and they can reach a database, so
# sqlx-cli is not needed.
set -euo pipefail
cd "$(dirname "$0")/.."

db="$(mktemp -d)/prepare.db"
cat src-tauri/crates/store/migrations/*.sql | sqlite3 "$db"
rm -rf .sqlx && mkdir .sqlx
touch src-tauri/crates/store/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$PWD/.sqlx" DATABASE_URL="sqlite://$db" cargo check -p desk-store
echo "wrote $(ls .sqlx | wc -l) query files to .sqlx/"

pg_crate=src-tauri/crates/store-pg
scratch="$(mktemp -d)"
chmod 755 "$scratch"
server="$(tests/postgres.sh start "$scratch/server")"
trap 'tests/postgres.sh stop "$scratch/server"; rm -rf "$scratch" "$pg_crate/.env"' EXIT
for migration in "$pg_crate"/migrations/*.sql; do
  psql "$server" -q -v ON_ERROR_STOP=1 -f "$migration"
done
rm -rf "$pg_crate/.sqlx" && mkdir "$pg_crate/.sqlx"
# The URL goes in the crate's .env, not the environment, so that only this crate's macros go
# to PostgreSQL (an empty SQLX_OFFLINE lets them); the SQLite store keeps its metadata.
echo "DATABASE_URL=$server" >"$pg_crate/.env"
touch "$pg_crate/src/lib.rs"
SQLX_OFFLINE= SQLX_OFFLINE_DIR="$PWD/$pg_crate/.sqlx" cargo check -p desk-store-pg
echo "wrote $(ls "$pg_crate/.sqlx" | wc -l) query files to $pg_crate/.sqlx/"
