#!/usr/bin/python3
"""The real app's top-level X11 windows, as a window manager sees them, and the screen, for the
real-app tests.

    x11-windows.py list PID    prints the titles of PID's mapped windows, one a line
    x11-windows.py close PID   asks each of them to close (WM_DELETE_WINDOW), as a title bar's
                               close button does, and prints how many were asked
    x11-windows.py size PID    prints each one's size, WIDTHxHEIGHT
    x11-windows.py resize PID WIDTH HEIGHT
                               resizes each, as a window manager does when the user drags a corner
    x11-windows.py screen FILE writes a PNG of the whole screen to FILE, once it has stayed the
                               same for a tenth of a second (or after two seconds)

The screen is read from the X server, so a picture shows what was drawn on it, whichever way
WebKit drew (WebKitWebDriver's own screenshots hang when WebKit draws without compositing).

Needs DISPLAY and Debian's python3 with python3-xlib.
"""
import struct
import sys
import time
import zlib

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


def screen_pixels(d):
    """The screen's width, height and pixels (32 bits each, blue, green, red, unused)."""
    root = d.screen().root
    geometry = root.get_geometry()
    image = root.get_image(0, 0, geometry.width, geometry.height, X.ZPixmap, 0xFFFFFFFF)
    return geometry.width, geometry.height, image.data


def still_screen(d, still=0.1, limit=2.0):
    """The screen once two reads `still` seconds apart agree, or the last read after `limit`."""
    deadline = time.monotonic() + limit
    last = screen_pixels(d)
    while time.monotonic() < deadline:
        time.sleep(still)
        now = screen_pixels(d)
        if now == last:
            break
        last = now
    return last


def png(width, height, pixels):
    """A PNG (8-bit RGB) of 32-bit blue-green-red-unused pixels."""
    rgb = bytearray(width * height * 3)
    rgb[0::3], rgb[1::3], rgb[2::3] = pixels[2::4], pixels[1::4], pixels[0::4]
    stride = width * 3
    rows = b"".join(b"\x00" + bytes(rgb[y * stride : (y + 1) * stride]) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")


def main():
    d = display.Display()
    if sys.argv[1] == "screen":
        with open(sys.argv[2], "wb") as file:
            file.write(png(*still_screen(d)))
        return
    command, pid = sys.argv[1], int(sys.argv[2])
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
