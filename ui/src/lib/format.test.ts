import { describe, expect, it } from "vitest";
import { ago, count, duration, percent, until } from "./format";
import { screenForKey } from "./screens";

describe("formatting", () => {
  const now = Date.UTC(2026, 10, 30, 12, 0, 0);
  it("says how long ago something happened", () => {
    expect(ago(now - 10_000, now)).toBe("just now");
    expect(ago(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(ago(now - 3 * 3_600_000, now)).toBe("3 h ago");
  });
  it("says how soon something happens", () => {
    expect(until(now, now)).toBe("shortly");
    expect(until(now - 60_000, now)).toBe("shortly");
    expect(until(now + 5 * 60_000, now)).toBe("in 5 min");
    expect(until(now + 21 * 3_600_000, now)).toBe("in 21 h");
  });
  it("counts with the right form of the noun", () => {
    expect(count(1, "answer")).toBe("1 answer");
    expect(count(0, "answer")).toBe("0 answers");
    expect(count(2, "activity entry", "activity entries")).toBe("2 activity entries");
    expect(count(12_000, "interview")).toBe("12,000 interviews");
  });
  it("says how long something takes", () => {
    expect(duration(0)).toBe("1 s");
    expect(duration(40_000)).toBe("40 s");
    expect(duration(25 * 60_000)).toBe("25 min");
    expect(duration(125 * 60_000)).toBe("2 h 5 min");
  });
  it("computes shares without dividing by zero", () => {
    expect(percent(1, 4)).toBe(25);
    expect(percent(3, 0)).toBe(0);
  });
});

describe("keyboard navigation", () => {
  it("opens screens with Ctrl or Cmd and a digit", () => {
    expect(screenForKey({ key: "2", ctrlKey: true, metaKey: false, altKey: false })).toBe("inbox");
    expect(screenForKey({ key: "5", ctrlKey: false, metaKey: true, altKey: false })).toBe("dashboard");
  });
  it("ignores plain digits, Alt combinations and other keys", () => {
    expect(screenForKey({ key: "2", ctrlKey: false, metaKey: false, altKey: false })).toBeUndefined();
    expect(screenForKey({ key: "2", ctrlKey: true, metaKey: false, altKey: true })).toBeUndefined();
    expect(screenForKey({ key: "9", ctrlKey: true, metaKey: false, altKey: false })).toBeUndefined();
  });
});
