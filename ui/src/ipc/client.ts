// Typed wrappers around the Tauri commands. Types come from the generated bindings only.
import { invoke } from "@tauri-apps/api/core";
import type { AppError } from "./bindings/AppError";
import type { AppInfo } from "./bindings/AppInfo";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { Overview } from "./bindings/Overview";
import type { SyncReport } from "./bindings/SyncReport";

/** A command failed. Branch on `code`; show `message` to the person. */
export class IpcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "IpcError";
    this.code = code;
  }
}

function isAppError(value: unknown): value is AppError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AppError).code === "string" &&
    typeof (value as AppError).message === "string"
  );
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isAppError(error)) throw new IpcError(error.code, error.message);
    throw new IpcError("internal", typeof error === "string" ? error : "The app did not answer.");
  }
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  overview: () => call<Overview>("overview"),
  syncAts: () => call<SyncReport>("sync_ats"),
};

/** What the person can do about an error, by its code. */
export function advice(code: ErrorCode): string {
  switch (code) {
    case "auth_failed":
      return "Check the connection's credentials in Settings.";
    case "rate_limited":
      return "The service is busy; Willo Desk will try again shortly.";
    case "unavailable":
      return "The service could not be reached. Check the network and try again.";
    case "storage":
      return "The local database could not be used. See the log in the data folder.";
    case "validation":
      return "Correct the highlighted input and try again.";
    case "not_found":
      return "It may have been removed; refresh to see the current state.";
    case "internal":
      return "Something unexpected happened. Restart the app; if it persists, send the log file.";
  }
}
