import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { advice, api, IpcError } from "./client";

afterEach(() => clearMocks());

describe("the IPC client", () => {
  it("returns what the command answers", async () => {
    mockIPC((cmd) => (cmd === "overview" ? { jobs: [], candidates: 40, applications: 41, lastSyncAt: null } : null));
    const overview = await api.overview();
    expect(overview.candidates).toBe(40);
  });

  it("turns a {code, message} rejection into an IpcError with that code", async () => {
    mockIPC(() => {
      throw { code: "rate_limited", message: "the ATS is rate limiting requests" };
    });
    const error = await api.syncAts().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpcError);
    expect((error as IpcError).code).toBe("rate_limited");
    expect((error as IpcError).message).toBe("the ATS is rate limiting requests");
  });

  it("treats an unexpected rejection as internal", async () => {
    mockIPC(() => {
      throw "boom";
    });
    const error = (await api.appInfo().catch((e: unknown) => e)) as IpcError;
    expect(error.code).toBe("internal");
  });

  it("passes arguments under the names the Rust commands take", async () => {
    const seen: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return cmd === "candidates" ? { total: 0, offset: 0, rows: [] } : null;
    });
    await api.candidates({ search: "zo", jobId: null, stageId: null, status: null, offset: 0, limit: 50, sort: null, descending: false });
    await api.approve(7, { rating: 4, questionRatings: {}, comment: null, redactions: [] });
    await api.retry(3);
    expect(seen[0]).toEqual(["candidates", { query: { search: "zo", jobId: null, stageId: null, status: null, offset: 0, limit: 50, sort: null, descending: false } }]);
    expect(seen[1]).toEqual(["approve", { invitationId: 7, review: { rating: 4, questionRatings: {}, comment: null, redactions: [] } }]);
    expect(seen[2]).toEqual(["retry", { outboxId: 3 }]);
  });

  it("asks for deletions, exports and the retention period under the names the Rust commands take", async () => {
    const seen: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return null;
    });
    await api.requestErasure(42);
    await api.erasure(5);
    await api.erasures(42);
    await api.exportCandidate(42);
    await api.retention();
    await api.setRetention(90);
    await api.setRetention(null);
    expect(seen).toEqual([
      ["request_erasure", { applicationId: 42 }],
      ["erasure", { erasureId: 5 }],
      ["erasures", { applicationId: 42 }],
      ["export_candidate", { applicationId: 42 }],
      ["retention", {}],
      ["set_retention", { days: 90 }],
      ["set_retention", { days: null }],
    ]);
  });

  it("keeps the app's refusal of a retention period as a validation error", async () => {
    mockIPC(() => {
      throw { code: "validation", message: "retention: 0 days is outside 1 to 3650" };
    });
    const error = (await api.setRetention(0).catch((e: unknown) => e)) as IpcError;
    expect([error.code, error.message]).toEqual(["validation", "retention: 0 days is outside 1 to 3650"]);
  });

  it("gives advice for every code", () => {
    for (const code of ["validation", "auth_failed", "rate_limited", "unavailable", "not_found", "storage", "internal"] as const) {
      expect(advice(new IpcError(code, "x")).length).toBeGreaterThan(10);
    }
  });

  it("keeps the detail and the field, and points at a highlighted input only when there is one", async () => {
    mockIPC(() => {
      throw { code: "validation", message: "Willo URL: enter it", detail: "ftp://x is not https", field: "willoUrl" };
    });
    const error = (await api.syncAts().catch((e: unknown) => e)) as IpcError;
    expect([error.detail, error.field]).toEqual(["ftp://x is not https", "willoUrl"]);
    expect(advice(error)).toMatch(/highlighted/);
    expect(advice(new IpcError("validation", "Rating: 1 to 5"))).not.toMatch(/highlighted/);
  });
});
