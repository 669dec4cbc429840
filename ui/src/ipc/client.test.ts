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

  it("gives advice for every code", () => {
    for (const code of ["validation", "auth_failed", "rate_limited", "unavailable", "not_found", "storage", "internal"] as const) {
      expect(advice(code).length).toBeGreaterThan(10);
    }
  });
});
