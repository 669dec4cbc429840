/** The review screen's keys. Ignored while typing in a field. */
export type ReviewAction =
  | { kind: "next" }
  | { kind: "previous" }
  | { kind: "rate"; rating: number }
  | { kind: "approve" }
  | { kind: "skip" }
  | { kind: "play" }
  | { kind: "help" }
  | { kind: "close" };

export const REVIEW_KEYS: ReadonlyArray<[string, string]> = [
  ["J", "Next interview"],
  ["K", "Previous interview"],
  ["1–5", "Rate overall"],
  ["A", "Approve and send to the ATS"],
  ["S", "Skip (nothing is sent)"],
  ["Space", "Play or pause"],
  ["?", "Show the shortcuts"],
  ["Esc", "Close"],
];

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== "string") return false;
  return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable === true;
}

export function reviewAction(event: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "target">): ReviewAction | undefined {
  if (event.key === "Escape") return { kind: "close" };
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return undefined;
  switch (event.key) {
    case "j":
    case "J":
      return { kind: "next" };
    case "k":
    case "K":
      return { kind: "previous" };
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
