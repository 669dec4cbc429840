import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import Chip from "./Chip.svelte";
import Timeline from "./Timeline.svelte";
import Inbox from "../screens/Inbox.svelte";

afterEach(() => {
  clearMocks();
  document.body.innerHTML = "";
});

async function settle() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
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
      return [
        { at: 1_700_000_000_000, step: "invited", label: "Invited", detail: null, fix: null, failed: false },
        { at: 1_700_000_100_000, step: "error", label: "Writing to the ATS keeps failing", detail: "502", fix: "Retry from Activity.", failed: true },
      ];
    });
    const view = mount(Timeline, { target: document.body, props: { applicationId: 42, name: "Zoë", onclose: () => {} } });
    await settle();
    expect(asked).toEqual([["timeline", { applicationId: 42 }]]);
    const failed = document.querySelectorAll("li.failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.textContent).toContain("What to do: Retry from Activity.");
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
