// Typed wrappers around the Tauri commands. Types come from the generated bindings only.
import { invoke } from "@tauri-apps/api/core";
import type { About } from "./bindings/About";
import type { AppError } from "./bindings/AppError";
import type { AppInfo } from "./bindings/AppInfo";
import type { AtsChoice } from "./bindings/AtsChoice";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { Overview } from "./bindings/Overview";
import type { SyncReport } from "./bindings/SyncReport";
import type { ActivityItem } from "./bindings/ActivityItem";
import type { ActivityQuery } from "./bindings/ActivityQuery";
import type { AutomationRequest } from "./bindings/AutomationRequest";
import type { AutomationState } from "./bindings/AutomationState";
import type { AutomationView } from "./bindings/AutomationView";
import type { BulkProgress } from "./bindings/BulkProgress";
import type { AtsCheck } from "./bindings/AtsCheck";
import type { CandidatePage } from "./bindings/CandidatePage";
import type { Connections } from "./bindings/Connections";
import type { WilloCheck } from "./bindings/WilloCheck";
import type { DashboardStats } from "./bindings/DashboardStats";
import type { DesktopPrefs } from "./bindings/DesktopPrefs";
import type { CandidateQuery } from "./bindings/CandidateQuery";
import type { DryRun } from "./bindings/DryRun";
import type { ErasureReport } from "./bindings/ErasureReport";
import type { ExportedFile } from "./bindings/ExportedFile";
import type { FailedWork } from "./bindings/FailedWork";
import type { Finding } from "./bindings/Finding";
import type { InboxRow } from "./bindings/InboxRow";
import type { InterviewOption } from "./bindings/InterviewOption";
import type { NoticeTarget } from "./bindings/NoticeTarget";
import type { PreSendRow } from "./bindings/PreSendRow";
import type { ReviewDetail } from "./bindings/ReviewDetail";
import type { Retention } from "./bindings/Retention";
import type { ReviewInput } from "./bindings/ReviewInput";
import type { Settings } from "./bindings/Settings";
import type { TemplateOption } from "./bindings/TemplateOption";
import type { TimelineStep } from "./bindings/TimelineStep";
import type { UpdateOffer } from "./bindings/UpdateOffer";

/**
 * A command failed. Branch on `code`; show `message` to the person, `detail` (technical, for
 * support) only behind a disclosure; `field` names the form input at fault.
 */
export class IpcError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | null;
  readonly field: string | null;
  constructor(code: ErrorCode, message: string, detail: string | null = null, field: string | null = null) {
    super(message);
    this.name = "IpcError";
    this.code = code;
    this.detail = detail;
    this.field = field;
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
    if (isAppError(error)) throw new IpcError(error.code, error.message, error.detail ?? null, error.field ?? null);
    throw new IpcError("internal", typeof error === "string" ? error : "The app did not answer.");
  }
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  overview: () => call<Overview>("overview"),
  syncAts: () => call<SyncReport>("sync_ats"),
  dashboard: () => call<DashboardStats>("dashboard"),
  candidates: (query: CandidateQuery) => call<CandidatePage>("candidates", { query }),
  timeline: (applicationId: number) => call<TimelineStep[]>("timeline", { applicationId }),
  interviews: () => call<InterviewOption[]>("interviews"),
  templates: () => call<TemplateOption[]>("templates"),
  /** The interview these applications' jobs agree on; null when there is none to offer. */
  suggestedInterview: (applicationIds: number[]) => call<string | null>("suggested_interview", { applicationIds }),
  preSend: (applicationIds: number[], interviewKey: string) =>
    call<PreSendRow[]>("pre_send", { applicationIds, interviewKey }),
  /** Progress arrives on the `send-progress` event meanwhile. */
  send: (applicationIds: number[], interviewKey: string) =>
    call<BulkProgress>("send", { applicationIds, interviewKey }),
  cancelSend: () => call<boolean>("cancel_send"),
  inbox: () => call<InboxRow[]>("inbox"),
  reviewDetail: (invitationId: number) => call<ReviewDetail>("review_detail", { invitationId }),
  approve: (invitationId: number, review: ReviewInput) =>
    call<null>("approve", { invitationId, review }),
  skip: (invitationId: number) => call<null>("skip", { invitationId }),
  /** Keeps unfinished review work; approve and skip delete it. */
  saveDraft: (invitationId: number, review: ReviewInput) => call<null>("save_draft", { invitationId, review }),
  discardDraft: (invitationId: number) => call<null>("discard_draft", { invitationId }),
  automations: () => call<AutomationView[]>("automations"),
  setAutomation: (request: AutomationRequest) => call<AutomationState>("set_automation", { request }),
  dryRun: (request: AutomationRequest) => call<DryRun>("dry_run", { request }),
  pauseAutomation: (jobId: number, paused: boolean) =>
    call<null>("pause_automation", { jobId, paused }),
  activity: (query: ActivityQuery) => call<ActivityItem[]>("activity", { query }),
  failedWork: () => call<FailedWork[]>("failed_work"),
  retry: (outboxId: number) => call<null>("retry", { outboxId }),
  exportActivity: (query: ActivityQuery) => call<ExportedFile>("export_activity", { query }),
  revealExport: (path: string) => call<null>("reveal_export", { path }),
  /** Queues the deletion of the application's interview data everywhere; follow it with `erasure`. */
  requestErasure: (applicationId: number) => call<ErasureReport>("request_erasure", { applicationId }),
  /** Where a deletion stands: `finishedAt` is null while it is under way. */
  erasure: (erasureId: number) => call<ErasureReport>("erasure", { erasureId }),
  /** The application's past deletions, newest first. */
  erasures: (applicationId: number) => call<ErasureReport[]>("erasures", { applicationId }),
  /** Everything held about the application, as a ZIP in the exports folder. */
  exportCandidate: (applicationId: number) => call<ExportedFile>("export_candidate", { applicationId }),
  retention: () => call<Retention>("retention"),
  /** 1 to 3650 days; null switches the removal off. */
  setRetention: (days: number | null) => call<Retention>("set_retention", { days }),
  settings: () => call<Settings>("settings"),
  saveSettings: (settings: Settings) => call<Settings>("save_settings", { settings }),
  doctor: () => call<Finding[]>("doctor"),
  connections: () => call<Connections | null>("connections"),
  testWillo: (connections: Connections, apiKey: string) => call<WilloCheck>("test_willo", { connections, apiKey }),
  testAts: (connections: Connections, secret: string) => call<AtsCheck>("test_ats", { connections, secret }),
  /** Tests both, keeps them (secrets in the keychain) and restarts the app on them. */
  saveConnections: (connections: Connections, willoKey: string, atsSecret: string) =>
    call<null>("save_connections", { connections, willoKey, atsSecret }),
  useSandbox: () => call<null>("use_sandbox"),
  /** Chooses the sandbox's simulated ATS and restarts on it. */
  chooseSandboxAts: (ats: AtsChoice) => call<null>("choose_sandbox_ats", { ats }),
  registerWebhooks: () => call<number>("register_webhooks"),
  /** Where a willo-desk:// link asked the window to open, once; null when none did. */
  takeOpening: () => call<NoticeTarget | null>("take_opening"),
  desktopPrefs: () => call<DesktopPrefs>("desktop_prefs"),
  setDesktopPrefs: (prefs: DesktopPrefs) => call<DesktopPrefs>("set_desktop_prefs", { prefs }),
  about: () => call<About>("about"),
  /** The doctor's report with versions and folders, for a support request. */
  diagnostics: () => call<string>("diagnostics"),
  /** A newer version on the update server; null when this is the latest. */
  checkUpdate: () => call<UpdateOffer | null>("check_update"),
  /** Downloads and verifies the offered update (progress on `update-progress`); answers its version. */
  downloadUpdate: () => call<string>("download_update"),
  /** Installs the version downloaded and verified before. */
  installUpdate: (version: string) => call<null>("install_update", { version }),
  restartApp: () => call<null>("restart_app"),
  /** Quits, engine and all, whatever "keep running in the tray" says. */
  quitApp: () => call<null>("quit_app"),
  /** Deletes this mode's local database and restarts. */
  clearLocalData: () => call<null>("clear_local_data"),
  /** Opens a link in the system browser (https only). */
  openLink: (url: string) => call<null>("open_link", { url }),
};

/** What the person can do about an error, by its code. */
export function advice(error: IpcError): string {
  switch (error.code) {
    case "auth_failed":
      return "Check the connection's credentials in Settings.";
    case "rate_limited":
      return "The service is busy; Willo Desk will try again shortly.";
    case "unavailable":
      return "The service could not be reached. Check the network and try again.";
    case "storage":
      return "The local database could not be used. See the log in the data folder.";
    case "validation":
      return error.field ? "Correct the highlighted input and try again." : "Correct it and try again.";
    case "not_found":
      return "It may have been removed; refresh to see the current state.";
    case "internal":
      return "Something unexpected happened. Restart the app; if it persists, send the log file.";
  }
}
