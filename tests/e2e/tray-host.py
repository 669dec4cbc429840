#!/usr/bin/python3
"""A tray for the tests: what a desktop panel does with the app's tray icon, over D-Bus.

    tray-host.py watch               takes the StatusNotifierWatcher name on the session bus and
                                     prints `item PID SENDER PATH` for each icon that registers
                                     (PID: its process), so the app's indicator shows itself
                                     here as on a desktop panel
    tray-host.py menu SENDER PATH    prints the icon's menu: one JSON object per item (label,
                                     enabled, checked), in order, separators left out
    tray-host.py click SENDER PATH LABEL
                                     clicks the item with that label, as a panel does

The icon's menu is served with the dbusmenu protocol (libayatana-appindicator). Needs
DBUS_SESSION_BUS_ADDRESS and Debian's python3 with python3-gi.
"""
import json
import sys
import time

from gi.repository import Gio, GLib

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>
"""


def watch():
    bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    items = []

    def call(connection, sender, _path, _interface, method, params, invocation):
        if method == "RegisterStatusNotifierItem":
            # The indicator names its object path (or a bus name, with the default path).
            (service,) = params.unpack()
            name, path = (sender, service) if service.startswith("/") else (service, "/StatusNotifierItem")
            items.append(f"{name}{path}")
            pid = connection.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       GLib.Variant("(s)", (name,)), GLib.VariantType("(u)"), Gio.DBusCallFlags.NONE, 5000, None).unpack()[0]
            print(f"item {pid} {name} {path}", flush=True)
            connection.emit_signal(None, "/StatusNotifierWatcher", WATCHER, "StatusNotifierItemRegistered", GLib.Variant("(s)", (f"{name}{path}",)))
        invocation.return_value(None)

    def get(_connection, _sender, _path, _interface, prop):
        return {
            "RegisteredStatusNotifierItems": GLib.Variant("as", items),
            "IsStatusNotifierHostRegistered": GLib.Variant("b", True),
            "ProtocolVersion": GLib.Variant("i", 0),
        }[prop]

    info = Gio.DBusNodeInfo.new_for_xml(WATCHER_XML)
    bus.register_object("/StatusNotifierWatcher", info.interfaces[0], call, get, None)
    Gio.bus_own_name_on_connection(bus, WATCHER, Gio.BusNameOwnerFlags.NONE, lambda *_: print("watching", flush=True), lambda *_: sys.exit("the watcher name is taken"))
    GLib.MainLoop().run()


def proxy(bus, name, path, interface):
    return Gio.DBusProxy.new_sync(bus, Gio.DBusProxyFlags.NONE, None, name, path, interface, None)


def layout(bus, name, path):
    """The menu's items as (id, properties), depth first."""
    item = proxy(bus, name, path, "org.kde.StatusNotifierItem")
    menu_path = item.get_cached_property("Menu").unpack()
    menu = proxy(bus, name, menu_path, "com.canonical.dbusmenu")
    _, (_, _, children) = menu.call_sync("GetLayout", GLib.Variant("(iias)", (0, -1, [])), Gio.DBusCallFlags.NONE, 5000, None).unpack()
    found = []

    def walk(nodes):
        for node_id, props, kids in nodes:
            found.append((node_id, props))
            walk(kids)

    walk(children)
    return menu, found


def main():
    command = sys.argv[1]
    if command == "watch":
        watch()
        return
    bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    name, path = sys.argv[2], sys.argv[3]
    menu, items = layout(bus, name, path)
    items = [(i, p) for i, p in items if p.get("type") != "separator"]
    if command == "menu":
        for _, props in items:
            print(json.dumps({
                "label": props.get("label", "").replace("_", ""),
                "enabled": props.get("enabled", True),
                "checked": props.get("toggle-state", 0) == 1 if "toggle-type" in props else None,
            }))
    elif command == "click":
        label = sys.argv[4]
        matches = [i for i, p in items if p.get("label", "").replace("_", "") == label]
        if not matches:
            sys.exit(f"no menu item labelled {label!r}")
        event = GLib.Variant("(isvu)", (matches[0], "clicked", GLib.Variant("i", 0), int(time.time())))
        menu.call_sync("Event", event, Gio.DBusCallFlags.NONE, 5000, None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
