#!/usr/bin/python3
"""The real app's top-level X11 windows, as a window manager sees them, for the tray tests.

    x11-windows.py list PID    prints the titles of PID's mapped windows, one a line
    x11-windows.py close PID   asks each of them to close (WM_DELETE_WINDOW), as a title bar's
                               close button does, and prints how many were asked
    x11-windows.py size PID    prints each one's size, WIDTHxHEIGHT
    x11-windows.py resize PID WIDTH HEIGHT
                               resizes each, as a window manager does when the user drags a corner

Needs DISPLAY and Debian's python3 with python3-xlib.
"""
import sys

from Xlib import X, display, protocol


def windows_of(d, pid):
    """PID's mapped windows that have a title (the app's frames, not GTK's helpers)."""
    pid_atom = d.intern_atom("_NET_WM_PID")
    found = []
    stack = [d.screen().root]
    while stack:
        window = stack.pop()
        try:
            children = window.query_tree().children
            owner = window.get_full_property(pid_atom, X.AnyPropertyType)
            attributes = window.get_attributes()
            title = window.get_wm_name()
        except Exception:  # the window went away while we looked
            continue
        stack.extend(children)
        if owner and owner.value[0] == pid and attributes.map_state == X.IsViewable and title:
            found.append((window, title))
    return found


def main():
    command, pid = sys.argv[1], int(sys.argv[2])
    d = display.Display()
    found = windows_of(d, pid)
    if command == "list":
        for _, title in found:
            print(title)
    elif command == "close":
        protocols = d.intern_atom("WM_PROTOCOLS")
        delete = d.intern_atom("WM_DELETE_WINDOW")
        for window, _ in found:
            event = protocol.event.ClientMessage(
                window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
            )
            window.send_event(event)
        d.flush()
        print(len(found))
    elif command == "size":
        for window, _ in found:
            geometry = window.get_geometry()
            print(f"{geometry.width}x{geometry.height}")
    elif command == "resize":
        width, height = int(sys.argv[3]), int(sys.argv[4])
        for window, _ in found:
            window.configure(width=width, height=height)
        d.flush()
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
