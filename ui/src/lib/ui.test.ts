import { describe, expect, it } from "vitest";
import { chip, outcomeChip, STATUSES } from "./status";
import { pagesFor, visibleRange } from "./virtual";
import { inboxAction, REVIEW_KEYS, reviewAction } from "./shortcuts";
import { phoneText, regionName } from "./phone";

describe("status chips", () => {
  it("label every status and fall back for an unknown one", () => {
    for (const s of STATUSES) expect(chip(s).label.length).toBeGreaterThan(2);
    expect(chip("failed").tone).toBe("bad");
    expect(chip("weird")).toEqual({ label: "weird", tone: "idle" });
  });

  it("say that an interview's data was deleted, and filter on it last", () => {
    expect(chip("erased")).toEqual({ label: "Data deleted", tone: "done" });
    expect(STATUSES.at(-1)).toBe("erased");
  });

  it("name each outcome of a deletion's step, with what is left to a person marked apart", () => {
    expect(outcomeChip("deleted")).toEqual({ label: "Deleted", tone: "good" });
    expect(outcomeChip("already_gone")).toEqual({ label: "Already gone", tone: "done" });
    expect(outcomeChip("by_hand")).toEqual({ label: "Remove by hand", tone: "warn" });
    expect(outcomeChip("failed")).toEqual({ label: "Failed", tone: "bad" });
  });
});

describe("the virtual list", () => {
  it("renders only the rows in view plus overscan", () => {
    expect(visibleRange(0, 400, 40, 100_000, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(40 * 50_000, 400, 40, 100_000, 5)).toEqual({ start: 49_995, end: 50_015 });
    expect(visibleRange(40 * 100_000 - 400, 400, 40, 100_000, 5)).toEqual({ start: 99_985, end: 100_000 });
    expect(visibleRange(0, 400, 40, 0)).toEqual({ start: 0, end: 0 });
  });

  it("shows the last rows, not nothing, when the scroll position lies past a list that got shorter", () => {
    // Scrolled to the bottom of 100,000 rows, then a search leaves 11: rows 0–10 are all in view.
    expect(visibleRange(40 * 100_000 - 400, 400, 40, 11, 5)).toEqual({ start: 0, end: 11 });
    expect(visibleRange(40 * 100_000, 400, 40, 30, 5)).toEqual({ start: 15, end: 30 });
  });

  it("asks for the pages that hold those rows", () => {
    expect(pagesFor(0, 15, 200)).toEqual([0]);
    expect(pagesFor(190, 215, 200)).toEqual([0, 1]);
    expect(pagesFor(10, 10, 200)).toEqual([]);
  });
});

describe("review shortcuts", () => {
  const key = (k: string, target: unknown = null, more: { code?: string; shiftKey?: boolean } = {}) =>
    reviewAction({ key: k, code: more.code ?? "", shiftKey: more.shiftKey ?? false, ctrlKey: false, metaKey: false, altKey: false, target: target as EventTarget | null });

  it("map J/K, 1–5, N/P, A, S, Space and ?", () => {
    expect(key("j")).toEqual({ kind: "next" });
    expect(key("K")).toEqual({ kind: "previous" });
    expect(key("4")).toEqual({ kind: "rate", rating: 4 });
    expect(key("6")).toBeUndefined();
    expect(key("n")).toEqual({ kind: "next-answer" });
    expect(key("P")).toEqual({ kind: "previous-answer" });
    expect(key("a")).toEqual({ kind: "approve" });
    expect(key("s")).toEqual({ kind: "skip" });
    expect(key(" ")).toEqual({ kind: "play" });
    expect(key("?")).toEqual({ kind: "help" });
  });

  it("rate the highlighted answer with Shift and a digit, whatever the digit key gives with Shift", () => {
    expect(key("#", null, { code: "Digit3", shiftKey: true })).toEqual({ kind: "rate-answer", rating: 3 });
    expect(key("3", null, { code: "Digit3" })).toEqual({ kind: "rate", rating: 3 });
    expect(key("^", null, { code: "Digit6", shiftKey: true })).toBeUndefined();
  });

  it("leave typing alone, and let Esc only leave the text box", () => {
    expect(key("a", { tagName: "TEXTAREA" })).toBeUndefined();
    expect(key("4", { tagName: "INPUT", type: "text" })).toBeUndefined();
    expect(key("Escape", { tagName: "TEXTAREA" })).toEqual({ kind: "leave-field" });
    expect(key("Escape", { tagName: "DIV" })).toEqual({ kind: "close" });
  });

  it("still work after ticking a checkbox", () => {
    expect(key("j", { tagName: "INPUT", type: "checkbox" })).toEqual({ kind: "next" });
    expect(key("Escape", { tagName: "INPUT", type: "checkbox" })).toEqual({ kind: "close" });
  });

  it("list every key in the help", () => {
    const listed = REVIEW_KEYS.map(([k]) => k);
    for (const k of ["J", "K", "1–5", "N", "P", "Shift+1–5", "A", "S", "Space", "?", "Esc"]) expect(listed).toContain(k);
  });
});

describe("inbox keys", () => {
  const key = (k: string, target: unknown = null) =>
    inboxAction({ key: k, code: "", shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, target: target as EventTarget | null });

  it("move with J/K or the arrows and open with Enter", () => {
    expect(key("j")).toBe("down");
    expect(key("ArrowDown")).toBe("down");
    expect(key("K")).toBe("up");
    expect(key("ArrowUp")).toBe("up");
    expect(key("Enter", { tagName: "BODY" })).toBe("open");
  });

  it("leave Enter to a focused button", () => {
    expect(key("Enter", { tagName: "BUTTON" })).toBeUndefined();
  });
});

describe("phones", () => {
  it("say when the country was assumed from the default region", () => {
    expect(phoneText("+447700900123", "GB")).toBe("+447700900123 · assumed United Kingdom, from the default region");
    expect(phoneText("+14155550100", null)).toBe("+14155550100");
    expect(phoneText(null, null)).toBe("—");
  });

  it("name a region, or keep a code no runtime knows", () => {
    expect(regionName("DE")).toBe("Germany");
    expect(regionName("not a region")).toBe("not a region");
  });
});
