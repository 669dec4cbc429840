#!/usr/bin/env bash
# The two commands of the README, on a fresh Debian/Ubuntu machine with Rust, Node and apt:
#
#   ./tests/dev.sh app      install what is missing, build, and open Willo Desk in sandbox mode
#   ./tests/dev.sh test     install what is missing, then run every check and test CI runs
#   ./tests/dev.sh bundle   build the release app and its Linux packages (.deb, .rpm) in
#                           target/release/bundle/
#
# and two for figures (not part of the test run: they take minutes):
#
#   ./tests/dev.sh bench       every benchmark: one JSON file of figures per commit in
#                              target/figures/, and the README's table made from it
#   ./tests/dev.sh bench-app   build the release app, then time its launch and weigh its memory
#
# System packages are installed with apt-get only when absent (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

WINDOWS_TARGET=x86_64-pc-windows-gnu

SYSTEM_PACKAGES=(
  # Building the Tauri shell (GTK 3 + WebKitGTK 4.1).
  build-essential pkg-config file libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev librsvg2-dev
  libayatana-appindicator3-dev
  # Playing answer videos (WebM) inside the app.
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  # Running the real app headless in tests: a virtual display, a session bus, WebDriver.
  xvfb xauth dbus-x11 webkit2gtk-driver
  # The real keychain in tests: a Secret Service (gnome-keyring) on a private session bus.
  gnome-keyring libsecret-tools dbus
  # The tray tests: a notification server that prints what it shows, X11 from Python (to close
  # the window as a window manager's button does), and D-Bus from Python (to be the desktop
  # panel that shows the tray icon's menu). The package test checks the entry.
  dunst python3-xlib python3-gi gir1.2-glib-2.0 desktop-file-utils
  # Linting the code for Windows: the C parts of its dependencies (ring) compile with MinGW.
  gcc-mingw-w64-x86-64
  # The UI's browser tests (playwright-core drives Debian's Chromium).
  chromium
  # The team server's store, tested on a throwaway server (tests/postgres.sh).
  postgresql
)

say() { printf '\n== %s\n' "$*"; }

install_system_packages() {
  local missing=()
  for package in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing system packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_ui() {
  say "Installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
}

build_ui() {
  say "Building the UI"
  (cd ui && npm run --silent build)
}

build_release() {
  install_system_packages
  install_ui
  build_ui
  say "Building Willo Desk (release; the first build takes a few minutes)"
  cargo build --release --locked -p willo-desk
}

# The Linux packages of the release app. AppImage is left out: its tools (linuxdeploy) are
# downloaded from GitHub at build time, which a machine with only package registries cannot do.
# A release that updates itself is built with WILLO_DESK_UPDATE_PUBKEY (the release key's public
# half, built into the app) and WILLO_DESK_UPDATE_URL (where its latest.json is published); with
# TAURI_SIGNING_PRIVATE_KEY (and TAURI_SIGNING_PRIVATE_KEY_PASSWORD) in the environment, each
# package gets its .sig beside it. The private key never goes in the repository.
bundle() {
  install_system_packages
  install_ui
  local config="{}"
  if [ -n "${WILLO_DESK_UPDATE_PUBKEY:-}" ]; then
    config="$(node -e '
      const e = process.env;
      if (!e.WILLO_DESK_UPDATE_URL) throw new Error("WILLO_DESK_UPDATE_URL: where latest.json is published");
      console.log(JSON.stringify({
        plugins: { updater: { pubkey: e.WILLO_DESK_UPDATE_PUBKEY, endpoints: [e.WILLO_DESK_UPDATE_URL] } },
        bundle: { createUpdaterArtifacts: Boolean(e.TAURI_SIGNING_PRIVATE_KEY) },
      }));')"
  fi
  say "Building the release app and its packages (the first build takes a few minutes)"
  WILLO_DESK_COMMIT="$(git rev-parse --short=10 HEAD)" ui/node_modules/.bin/tauri build --ci --bundles deb,rpm --config "$config"
  ls -l target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
}

run_app() {
  build_release
  say "Starting Willo Desk in sandbox mode"
  exec ./target/release/willo-desk "$@"
}

bench_app() {
  build_release
  say "Launch time and memory of the release app under Xvfb"
  node tests/e2e/launch-figures.mjs
}

run_benchmarks() {
  build_release
  local lines commit
  lines="$(mktemp)"
  commit="$(git rev-parse --short HEAD)"
  [ -z "$(git status --porcelain)" ] || commit="$commit-dirty"
  say "Benchmarks (each figure printed next to its reference and target)"
  FIGURES_OUT="$lines" cargo bench --locked -p desk-engine --bench willo_intake
  FIGURES_OUT="$lines" cargo bench --locked -p desk-engine --bench loop_figures
  FIGURES_OUT="$lines" cargo bench --locked -p desk-store --bench candidate_list
  say "Launch time and memory of the release app under Xvfb"
  FIGURES_OUT="$lines" node tests/e2e/launch-figures.mjs
  mkdir -p target/figures
  node tests/bench/figures.mjs gather "$lines" "$commit" >"target/figures/figures-$commit.json"
  node tests/bench/figures.mjs table "target/figures/figures-$commit.json" README.md
  say "Figures written to target/figures/figures-$commit.json and README.md's table"
}

run_tests() {
  install_system_packages
  install_ui
  say "Formatting"
  cargo fmt --all -- --check
  say "UI: type check and unit tests"
  (cd ui && npm run --silent check && npm test --silent)
  build_ui
  say "UI in Chromium with mocked commands (screenshots in tests/artifacts/ui/)"
  node --test tests/ui/
  say "Lints"
  cargo clippy --locked --workspace --all-targets -- -D warnings
  say "Lints for Windows: the code compiles there (its installers are built on Windows)"
  rustup target add "$WINDOWS_TARGET"
  cargo clippy --locked --workspace --target "$WINDOWS_TARGET" -- -D warnings
  say "Rust tests (every crate, the simulators, the store, the CLI)"
  cargo test --locked --workspace
  say "The store on PostgreSQL: its own tests, and the engine's flows again on it"
  postgres_tests
  say "Generated IPC bindings match the Rust types"
  if [ -n "$(git status --porcelain -- ui/src/ipc/bindings)" ]; then
    git status --porcelain -- ui/src/ipc/bindings
    echo "The TypeScript bindings changed: run 'cargo test -p desk-app' and commit ui/src/ipc/bindings." >&2
    exit 1
  fi
  say "The real app under Xvfb (screenshots in tests/artifacts/)"
  # One app at a time: each file drives a real window, and the machine may have 2 cores.
  node --test --test-concurrency=1 tests/e2e/
  say "The Linux package of the tested binary: installed, run and removed"
  rm -rf target/debug/bundle
  ui/node_modules/.bin/tauri bundle --ci --debug --bundles deb
  tests/package/install.sh target/debug/bundle/deb/*.deb
}

# Each test gets a new database on one throwaway server. The data-rights tests stay on SQLite
# only: what they check is what is left in the database's files.
postgres_tests() {
  local scratch server
  scratch="$(mktemp -d)"
  chmod 755 "$scratch"
  server="$(tests/postgres.sh start "$scratch/server")"
  # shellcheck disable=SC2064 # the folder is fixed now
  trap "tests/postgres.sh stop '$scratch/server'; rm -rf '$scratch'" EXIT
  DESK_TEST_POSTGRES="$server" cargo test --locked -p desk-store-pg -- --include-ignored
  DESK_TEST_POSTGRES="$server" cargo test --locked -p desk-engine \
    --test ats_flows --test bulk --test catch_up --test completions --test dialects \
    --test exactly_once --test invites --test manual_send --test soak --test webhook_flood
  tests/postgres.sh stop "$scratch/server"
  rm -rf "$scratch"
  trap - EXIT
}

case "${1:-}" in
  app) shift; run_app "$@" ;;
  test) run_tests ;;
  bundle) bundle ;;
  bench) run_benchmarks ;;
  bench-app) bench_app ;;
  *)
    echo "usage: $0 app|test|bundle|bench|bench-app" >&2
    exit 2
    ;;
esac
