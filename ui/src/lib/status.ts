import type { ListStatus } from "../ipc/bindings/ListStatus";

/** How each interview status reads on a chip, and its tone. */
export type Tone = "idle" | "busy" | "good" | "done" | "bad";

/** The list's statuses in their course, from not sent to in the ATS (the filter's order). */
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
};

/** The chip for a status; an unknown status shows as itself, neutrally. */
export function chip(status: string): { label: string; tone: Tone } {
  const known = LABELS[status as ListStatus];
  return known ? { label: known[0], tone: known[1] } : { label: status, tone: "idle" };
}
