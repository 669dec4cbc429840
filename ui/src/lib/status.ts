import type { ErasureStep } from "../ipc/bindings/ErasureStep";
import type { ListStatus } from "../ipc/bindings/ListStatus";

/** How each interview status reads on a chip, and its tone. */
export type Tone = "idle" | "busy" | "good" | "done" | "bad" | "warn";

/** The list's statuses in their course, from not sent to deleted (the filter's order). */
export const STATUSES: readonly ListStatus[] = [
  "not_sent",
  "refused",
  "queued",
  "invited",
  "opened",
  "started",
  "completed",
  "reviewed",
  "synced",
  "failed",
  "erased",
];

/** Typed by the generated bindings: a status added in Rust fails the check until it has a label. */
const LABELS: Record<ListStatus, [string, Tone]> = {
  not_sent: ["Not sent", "idle"],
  refused: ["Refused", "bad"],
  queued: ["Queued", "busy"],
  invited: ["Invited", "busy"],
  opened: ["Opened", "busy"],
  started: ["Started", "busy"],
  completed: ["Completed", "good"],
  reviewed: ["Reviewed", "done"],
  synced: ["Synced", "done"],
  failed: ["Failed", "bad"],
  erased: ["Data deleted", "done"],
};

/** The chip for a status; an unknown status shows as itself, neutrally. */
export function chip(status: string): { label: string; tone: Tone } {
  const known = LABELS[status as ListStatus];
  return known ? { label: known[0], tone: known[1] } : { label: status, tone: "idle" };
}

/** Typed by the generated bindings, like the statuses: each outcome of a step of a deletion. */
const OUTCOMES: Record<ErasureStep["outcome"], [string, Tone]> = {
  deleted: ["Deleted", "good"],
  already_gone: ["Already gone", "done"],
  by_hand: ["Remove by hand", "warn"],
  failed: ["Failed", "bad"],
};

/** The chip for the outcome of a step of a deletion. */
export function outcomeChip(outcome: ErasureStep["outcome"]): { label: string; tone: Tone } {
  const [label, tone] = OUTCOMES[outcome];
  return { label, tone };
}
