export type ScreenId = "candidates" | "inbox" | "automations" | "activity" | "dashboard" | "settings";

export interface Screen {
  id: ScreenId;
  label: string;
  /** The digit that opens it with Ctrl (⌘ on macOS). */
  key: string;
  blurb: string;
}

export const SCREENS: readonly Screen[] = [
  { id: "candidates", label: "Candidates", key: "1", blurb: "Every candidate across your jobs, with their interview status." },
  { id: "inbox", label: "Inbox", key: "2", blurb: "Completed interviews waiting for your review, newest first." },
  { id: "automations", label: "Automations", key: "3", blurb: "Which interview each job sends, and at which stage." },
  { id: "activity", label: "Activity", key: "4", blurb: "Everything Willo Desk did, and anything that needs a retry." },
  { id: "dashboard", label: "Dashboard", key: "5", blurb: "Your pipeline at a glance." },
  { id: "settings", label: "Settings", key: "6", blurb: "Connections, how often to check for changes, and notifications." },
];

/** The screen a Ctrl/⌘+digit press opens, if any. */
export function screenForKey(event: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey">): ScreenId | undefined {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return undefined;
  return SCREENS.find((s) => s.key === event.key)?.id;
}
