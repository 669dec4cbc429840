#!/usr/bin/env bash
# A private session bus with a real Secret Service (GNOME Keyring) on a throwaway keyring, for
# the tests that go through the OS keychain. Prints the variables to use, as `KEY=value` lines:
#
#   DBUS_SESSION_BUS_ADDRESS, KEYRING_DIR, KEYRING_BUS_PID, KEYRING_DAEMON_PID
#
# The bus activates nothing (no service directories), so a locked keyring's unlock prompt fails
# at once instead of waiting for a window, and no stray daemon starts. With NO_KEYRING=1 only the
# bus starts: "a session, but no Secret Service". Stop with `kill` on both pids.
set -euo pipefail
password="${KEYRING_PASSWORD:-willo-desk-test}"
dir="$(mktemp -d "${TMPDIR:-/tmp}/willo-desk-keyring.XXXXXX")"
mkdir -p "$dir/home" "$dir/data" "$dir/run"
chmod 700 "$dir/run"
cat > "$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
# The keyring lives in the throwaway folder, never in the user's own.
export HOME="$dir/home" XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/run"
unset DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL
started="$(dbus-daemon --config-file="$dir/bus.conf" --fork --print-address=1 --print-pid=1 2>"$dir/bus.log")"
export DBUS_SESSION_BUS_ADDRESS="$(sed -n 1p <<<"$started")"
bus_pid="$(sed -n 2p <<<"$started")"
daemon_pid=""
if [ -z "${NO_KEYRING:-}" ]; then
  # --unlock creates the "login" keyring with this password, unlocked, as the default collection.
  printf '%s' "$password" | gnome-keyring-daemon --unlock --components=secrets >"$dir/keyring.out" 2>"$dir/keyring.log"
  # It returns a little before it owns its name on the bus: wait for that.
  owner() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
      awk '/uint32/ { print $2 }'
  }
  for _ in $(seq 500); do
    daemon_pid="$(owner || true)"
    [ -n "$daemon_pid" ] && break
    sleep 0.01
  done
  if [ -z "$daemon_pid" ]; then
    echo "the keyring did not come up; see $dir/keyring.log" >&2
    kill "$bus_pid" 2>/dev/null || true
    exit 1
  fi
fi
echo "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"
echo "KEYRING_DIR=$dir"
echo "KEYRING_BUS_PID=$bus_pid"
echo "KEYRING_DAEMON_PID=$daemon_pid"
