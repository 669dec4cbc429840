#!/usr/bin/env bash
# Locks every collection of the Secret Service on $DBUS_SESSION_BUS_ADDRESS, as a screen lock or
# a timeout would. (`secret-tool lock` crashes in some libsecret versions; this is the D-Bus call.)
set -euo pipefail
: "${DBUS_SESSION_BUS_ADDRESS:?no session bus}"
collections="$(gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
  --method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Service Collections |
  grep -o "'/[^']*'" | paste -sd, -)"
gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
  --method org.freedesktop.Secret.Service.Lock "[$collections]" >/dev/null
