import { describe, expect, it } from "vitest";
import { chip, STATUSES } from "./status";
import { pagesFor, visibleRange } from "./virtual";
import { reviewAction } from "./shortcuts";

describe("status chips", () => {
  it("label every status and fall back for an unknown one", () => {
    for (const s of STATUSES) expect(chip(s).label.length).toBeGreaterThan(2);
    expect(chip("failed").tone).toBe("bad");
    expect(chip("weird")).toEqual({ label: "weird", tone: "idle" });
  });
});

describe("the virtual list", () => {
  it("renders only the rows in view plus overscan", () => {
    expect(visibleRange(0, 400, 40, 100_000, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(40 * 50_000, 400, 40, 100_000, 5)).toEqual({ start: 49_995, end: 50_015 });
    expect(visibleRange(40 * 99_999, 400, 40, 100_000, 5)).toEqual({ start: 99_994, end: 100_000 });
    expect(visibleRange(0, 400, 40, 0)).toEqual({ start: 0, end: 0 });
  });

  it("asks for the pages that hold those rows", () => {
    expect(pagesFor(0, 15, 200)).toEqual([0]);
    expect(pagesFor(190, 215, 200)).toEqual([0, 1]);
    expect(pagesFor(10, 10, 200)).toEqual([]);
  });
});

describe("review shortcuts", () => {
  const key = (k: string, target: unknown = null) =>
    reviewAction({ key: k, ctrlKey: false, metaKey: false, altKey: false, target: target as EventTarget | null });

  it("map J/K, 1–5, A, S, Space and ?", () => {
    expect(key("j")).toEqual({ kind: "next" });
    expect(key("K")).toEqual({ kind: "previous" });
    expect(key("4")).toEqual({ kind: "rate", rating: 4 });
    expect(key("6")).toBeUndefined();
    expect(key("a")).toEqual({ kind: "approve" });
    expect(key("s")).toEqual({ kind: "skip" });
    expect(key(" ")).toEqual({ kind: "play" });
    expect(key("?")).toEqual({ kind: "help" });
  });

  it("leave typing alone", () => {
    expect(key("a", { tagName: "TEXTAREA" })).toBeUndefined();
    expect(key("Escape", { tagName: "TEXTAREA" })).toEqual({ kind: "close" });
  });
});
