/** The review screen's keys. Letters and digits are ignored while typing in a field. */
export type ReviewAction =
  | { kind: "next" }
  | { kind: "previous" }
  | { kind: "rate"; rating: number }
  | { kind: "rate-answer"; rating: number }
  | { kind: "next-answer" }
  | { kind: "previous-answer" }
  | { kind: "approve" }
  | { kind: "skip" }
  | { kind: "play" }
  | { kind: "help" }
  | { kind: "leave-field" }
  | { kind: "close" };

export const REVIEW_KEYS: ReadonlyArray<[string, string]> = [
  ["J", "Next interview"],
  ["K", "Previous interview"],
  ["1–5", "Rate overall"],
  ["N", "Highlight the next answer"],
  ["P", "Highlight the previous answer"],
  ["Shift+1–5", "Rate the highlighted answer"],
  ["A", "Approve and send to your ATS"],
  ["S", "Skip (nothing is sent)"],
  ["Space", "Play or pause the highlighted answer"],
  ["?", "Show the shortcuts"],
  ["Esc", "Leave the text box; otherwise back to the Inbox"],
];

/** Inputs where keys are text, not commands (a checkbox takes no text). */
const NOT_TEXT = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"]);

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLInputElement | null;
  if (!el || typeof el.tagName !== "string") return false;
  if (el.tagName === "INPUT") return !NOT_TEXT.has(el.type);
  return el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable === true;
}

/** Elements that do something with Enter themselves. */
function control(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== "string") return false;
  return ["BUTTON", "A", "INPUT", "SELECT", "TEXTAREA", "SUMMARY"].includes(el.tagName) || el.isContentEditable === true;
}

type Key = Pick<KeyboardEvent, "key" | "code" | "shiftKey" | "ctrlKey" | "metaKey" | "altKey" | "target">;

export function reviewAction(event: Key): ReviewAction | undefined {
  // Esc in a text box only leaves it: closing the review there would look like losing the text.
  if (event.key === "Escape") return typing(event.target) ? { kind: "leave-field" } : { kind: "close" };
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return undefined;
  // By code: Shift changes the key a digit gives ("!" for 1 on a US keyboard).
  const digit = /^Digit([1-5])$/.exec(event.code);
  if (event.shiftKey && digit) return { kind: "rate-answer", rating: Number(digit[1]) };
  switch (event.key) {
    case "j":
    case "J":
      return { kind: "next" };
    case "k":
    case "K":
      return { kind: "previous" };
    case "n":
    case "N":
      return { kind: "next-answer" };
    case "p":
    case "P":
      return { kind: "previous-answer" };
    case "a":
    case "A":
      return { kind: "approve" };
    case "s":
    case "S":
      return { kind: "skip" };
    case " ":
      return { kind: "play" };
    case "?":
      return { kind: "help" };
  }
  if (/^[1-5]$/.test(event.key)) return { kind: "rate", rating: Number(event.key) };
  return undefined;
}

/** The Inbox's keys: move the selection, open it. */
export type InboxAction = "down" | "up" | "open";

export function inboxAction(event: Key): InboxAction | undefined {
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return undefined;
  switch (event.key) {
    case "j":
    case "J":
    case "ArrowDown":
      return "down";
    case "k":
    case "K":
    case "ArrowUp":
      return "up";
    case "Enter":
      // A focused button (the selected row itself, or any other) answers Enter on its own.
      return control(event.target) ? undefined : "open";
  }
  return undefined;
}
