/** How each interview status reads on a chip, and its tone. */
export type Tone = "idle" | "busy" | "good" | "done" | "bad";

export const STATUSES = [
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
] as const;

export type Status = (typeof STATUSES)[number];

const LABELS: Record<Status, [string, Tone]> = {
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
  const known = LABELS[status as Status];
  return known ? { label: known[0], tone: known[1] } : { label: status, tone: "idle" };
}
