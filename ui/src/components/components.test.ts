import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import Chip from "./Chip.svelte";
import DeletionReport from "./DeletionReport.svelte";
import Timeline from "./Timeline.svelte";
import Inbox from "../screens/Inbox.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

async function settle() {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  flushSync();
}

describe("components with mocked commands", () => {
  it("a chip names its status", () => {
    const chip = mount(Chip, { target: document.body, props: { status: "synced" } });
    expect(document.body.textContent).toBe("Synced");
    expect(document.querySelector(".chip")?.classList.contains("done")).toBe(true);
    unmount(chip);
  });

  it("the timeline asks for its application and marks failures with what to do", async () => {
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      asked.push([cmd, args]);
      return cmd === "erasures"
        ? []
        : [
            { at: 1_700_000_000_000, step: "invited", label: "Invited", detail: null, fix: null, failed: false },
            { at: 1_700_000_100_000, step: "error", label: "Writing to the ATS keeps failing", detail: "502", fix: "Retry from Activity.", failed: true },
          ];
    });
    const view = mount(Timeline, { target: document.body, props: { applicationId: 42, name: "Zoë", onclose: () => {} } });
    await settle();
    expect(asked).toEqual([
      ["timeline", { applicationId: 42 }],
      ["erasures", { applicationId: 42 }],
    ]);
    const failed = document.querySelectorAll("li.failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.textContent).toContain("What to do: Retry from Activity.");
    unmount(view);
  });

  it("a deletion report gives each step its outcome, what is left to do by hand, and what left this computer", () => {
    const opened: unknown[] = [];
    mockIPC((cmd, args) => {
      opened.push([cmd, args]);
      return null;
    });
    const report = {
      erasureId: 5,
      requestedBy: "sam",
      requestedAt: 1_700_000_000_000,
      finishedAt: 1_700_000_005_000,
      atsApplication: "9001",
      atsCandidate: "8001",
      steps: [
        { place: "willo", what: "participant p-1", outcome: "deleted" },
        { place: "ats", what: "Greenhouse note 42", outcome: "by_hand", why: "Greenhouse's API cannot delete notes.", url: "https://app.greenhouse.io/people/8001" },
        { place: "ats", what: "Greenhouse field “Willo score”", outcome: "failed", error: "the ATS had a server error" },
      ],
      local: { journalEmptied: true, invitations: 1, participants: 1, answers: 3, reviews: 1, queuedItems: 0, webhookDeliveries: 2, activity: 1, exportFiles: 0 },
      complete: false,
    } as const;
    const view = mount(DeletionReport, { target: document.body, props: { report: { ...report, steps: [...report.steps], local: { ...report.local } } } });
    const steps = [...document.querySelectorAll("[data-testid=deletion-step]")].map((li) => li.textContent?.replace(/\s+/g, " ").trim());
    expect(steps).toEqual([
      "Deleted In Willo: participant p-1",
      "Remove by hand In your ATS: Greenhouse note 42 Greenhouse's API cannot delete notes. Open in your ATS ↗",
      "Failed In your ATS: Greenhouse field “Willo score” the ATS had a server error",
    ]);
    expect(document.querySelector("[data-testid=local-removal]")?.textContent).toBe(
      "Removed from this computer: 3 answers, 1 review, 0 queued items, 2 notifications from Willo, 1 activity entry, and 0 export files.",
    );
    document.querySelector<HTMLButtonElement>("[data-testid=deletion-step] button")?.click();
    expect(opened).toEqual([["open_link", { url: "https://app.greenhouse.io/people/8001" }]]);
    unmount(view);
  });

  it("the inbox shows names as text, never as markup", () => {
    const view = mount(Inbox, {
      target: document.body,
      props: {
        rows: [{ invitationId: 1, name: "<b>Eve</b><img src=x>", interviewTitle: "Screen", jobTitle: "Job", score: null, completedAt: Date.now() }],
        error: null,
        onopen: () => {},
        onretry: () => {},
      },
    });
    expect(document.querySelector("b")).toBeNull();
    expect(document.querySelector("img")).toBeNull();
    expect(document.body.textContent).toContain("<b>Eve</b><img src=x>");
    unmount(view);
  });

  it("an empty inbox says so", () => {
    const view = mount(Inbox, { target: document.body, props: { rows: [], error: null, onopen: () => {}, onretry: () => {} } });
    expect(document.body.textContent).toContain("Nothing to review.");
    unmount(view);
  });
});
