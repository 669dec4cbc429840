#!/usr/bin/env bash
# Installs a built Willo Desk .deb on this machine and checks it as a recruiter's machine gets
# it: the desktop entry (with the willo-desk:// link handler), the icons at every size, the
# willo-desk command on the PATH (--version, sandbox), the real-app sandbox test run against the
# installed binary, and a clean removal. Needs root or sudo (apt-get).
#
#   tests/package/install.sh path/to/willo-desk_<version>_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/../.."
deb="$(realpath "$1")"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
fail() { echo "install test: $*" >&2; exit 1; }

package="$(dpkg-deb --field "$deb" Package)"
[ "$package" = willo-desk ] || fail "the package is called $package, not willo-desk"
version="$(dpkg-deb --field "$deb" Version)"
# What it needs at run time is named, not left to the -dev packages this machine builds with.
depends="$(dpkg-deb --field "$deb" Depends)"
for needed in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1 gstreamer1.0-plugins-good; do
  grep -q "$needed" <<<"$depends" || fail "the package does not depend on $needed ($depends)"
done
echo "Installing $package $version from $deb"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$deb" >/dev/null

# The package owns what it installed; the rest of the checks look at those files.
files="$(dpkg -L "$package")"
entry="$(grep -E '^/usr/share/applications/.+\.desktop$' <<<"$files" | head -1)"
[ -n "$entry" ] || fail "no desktop entry installed"
grep -qx 'Type=Application' "$entry" || fail "$entry: not an application entry"
grep -qx 'Name=Willo Desk' "$entry" || fail "$entry: not named Willo Desk"
grep -qx 'Exec=willo-desk %u' "$entry" || fail "$entry: does not start willo-desk ($(grep ^Exec= "$entry"))"
grep -Eq '^MimeType=.*x-scheme-handler/willo-desk;' "$entry" || fail "$entry: does not handle willo-desk:// links"
grep -qx 'Icon=willo-desk' "$entry" || fail "$entry: no icon"
for size in 32x32 64x64 128x128 256x256@2 512x512; do
  grep -qE "^/usr/share/icons/hicolor/${size}/apps/willo-desk\.png$" <<<"$files" \
    || fail "no ${size} icon (installed: $(grep -c /icons/ <<<"$files") icon files)"
done
desktop-file-validate "$entry"
# The desktop database (updated by the package's trigger) sends willo-desk:// links to it.
grep -q "^x-scheme-handler/willo-desk=.*$(basename "$entry");" /usr/share/applications/mimeinfo.cache \
  || fail "willo-desk:// links are not registered with the desktop"

[ "$(command -v willo-desk)" = /usr/bin/willo-desk ] || fail "willo-desk is not on the PATH"
[ "$(willo-desk --version)" = "willo-desk $version" ] || fail "--version says $(willo-desk --version), the package $version"

# The simulators from the installed command: one JSON line, and they answer.
data="$(mktemp -d)"
out="$(mktemp)"
WILLO_DESK_DATA_DIR="$data" willo-desk sandbox --port 0 >"$out" 2>/dev/null &
sandbox=$!
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
origin="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).origin)' "$out")"
node -e 'fetch(process.argv[1] + "/_admin/willo/participants").then(r => process.exit(r.ok ? 0 : 1))' "$origin" \
  || fail "the installed sandbox does not answer"
kill "$sandbox"
wait "$sandbox" || true

echo "The real-app sandbox test against the installed binary"
WILLO_DESK_BIN=/usr/bin/willo-desk node --test tests/e2e/app-sandbox.test.mjs

DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get remove -y -qq "$package" >/dev/null
# Every file the package installed is gone (folders others share may stay).
while IFS= read -r path; do
  [ -d "$path" ] && continue
  [ ! -e "$path" ] || fail "$path is still there after removal"
done <<<"$files"
! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || fail "$package is still installed"
echo "Installed, ran and removed $package $version cleanly"
