// What the mocked commands answer. Untrusted text carries markup on purpose: it must show as text.
export const HOSTILE = `<img src=x onerror="window.__xss = 1"><script>window.__xss = 2</script>`;

const answerOf = (n, question, transcript, segments = []) => ({
  questionKey: `q${n}`,
  position: n,
  question,
  kind: "video",
  mediaUrl: null,
  text: null,
  transcript,
  segments,
  score: null,
});

const review = (id, name) => ({
  invitationId: id,
  applicationId: 100 + id,
  name,
  email: `${name.split(" ")[0].toLowerCase()}@example.com`,
  jobTitle: "Customer Success Associate",
  interviewTitle: "Customer Success Associate: screening",
  status: "completed",
  summary: `${name} explains support work clearly. ${HOSTILE}`,
  score: 82,
  shareUrl: null,
  answers: [
    answerOf(1, "Tell us about yourself.", null, [
      { start: 0, end: 4, text: "Hello, I am glad to be here." },
      { start: 4, end: 9, text: `I like ${HOSTILE} puzzles.` },
    ]),
    answerOf(2, "Why this role?", `Because ${HOSTILE} I enjoy helping people.`),
  ],
  review: null,
  draft: null,
});

/**
 * `failing`: command → the error it rejects with ({code, message, detail, field}).
 * `edit(f)`: changes the answers for one test (it runs here, before they reach the page).
 */
export function fixtures({ candidateTotal = 240, failing = {}, edit } = {}) {
  const stages = [
    { id: 11, name: "Application Review" },
    { id: 12, name: "Screening" },
    { id: 13, name: "Phone Interview" },
  ];
  const f = {
    candidateTotal,
    failing,
    inbox: [
      { invitationId: 1, name: "Zoë Müller", interviewTitle: "Customer Success Associate: screening", jobTitle: "Customer Success Associate", score: 82, completedAt: Date.now() - 60_000 },
      { invitationId: 2, name: `Mallory ${HOSTILE}`, interviewTitle: "Customer Success Associate: screening", jobTitle: "Customer Success Associate", score: null, completedAt: Date.now() - 3_600_000 },
      { invitationId: 3, name: "Kenji Watanabe", interviewTitle: "Customer Success Associate: screening", jobTitle: "Customer Success Associate", score: 64, completedAt: Date.now() - 7_200_000 },
    ],
    reviews: { 1: { ...review(1, "Zoë Müller"), shareUrl: "https://app.willotalent.com/share/zoe" }, 2: review(2, `Mallory ${HOSTILE}`), 3: review(3, "Kenji Watanabe") },
    /** Unsaved review work by invitation, as save_draft keeps it. */
    drafts: {},
    /** Deletions made for the open application, newest first; the deletion below joins them when it finishes. */
    erasures: [],
    /** What deleting the open application's data does, once finished (request_erasure and erasure answer it). */
    erasure: {
      erasureId: 5,
      requestedBy: "sam",
      requestedAt: Date.now(),
      finishedAt: Date.now() + 2_000,
      atsApplication: "9001",
      atsCandidate: "8001",
      steps: [
        { place: "willo", what: "participant p-5521", outcome: "deleted" },
        { place: "ats", what: "Greenhouse note 77120", outcome: "by_hand", why: "Greenhouse's API cannot delete notes: delete it on the candidate's page.", url: "https://app.greenhouse.io/people/8001" },
        { place: "ats", what: "Greenhouse field “Willo score”", outcome: "already_gone" },
      ],
      local: { journalEmptied: true, invitations: 1, participants: 1, answers: 3, reviews: 1, queuedItems: 0, webhookDeliveries: 2, activity: 4, exportFiles: 1 },
      complete: false,
    },
    timeline: [
      { at: Date.now() - 86_400_000, step: "stage", label: "In stage Screening", detail: "Screening", fix: null, failed: false },
      { at: Date.now() - 86_000_000, step: "queued", label: "Invitation queued", detail: null, fix: null, failed: false },
      { at: Date.now() - 85_000_000, step: "invited", label: "Invited", detail: "sent", fix: null, failed: false },
      { at: Date.now() - 3_600_000, step: "error", label: "Writing to the ATS keeps failing", detail: "the ATS had a server error (502)", fix: "Check the ATS connection, then retry from Activity.", failed: true },
    ],
    answers: {
      app_info: { version: "0.1.0", mode: "sandbox", dataDir: "/tmp/willo-desk", sandboxOrigin: "http://127.0.0.1:4010", atsLabel: "Greenhouse (sandbox)", sandboxAts: "greenhouse", startupProblem: null, engineElsewhere: null },
      overview: {
        jobs: [
          { id: 1, title: "Backend Engineer", department: "Engineering", location: "Berlin", applications: 14, stages: [{ name: "Application Review", applications: 6 }, { name: "Screening", applications: 5 }, { name: "Phone Interview", applications: 3 }] },
          { id: 2, title: "Customer Success Associate", department: "Customer Success", location: "London", applications: 18, stages: [{ name: "Application Review", applications: 9 }, { name: "Screening", applications: 6 }, { name: "Phone Interview", applications: 3 }] },
        ],
        candidates: 32,
        applications: 32,
        lastSyncAt: Date.now() - 120_000,
      },
      dashboard: {
        funnel: [
          { jobTitle: "Backend Engineer", triggered: 40, invited: 37, opened: 31, completed: 24, reviewed: 20, synced: 19 },
          { jobTitle: "Customer Success Associate", triggered: 25, invited: 25, opened: 22, completed: 18, reviewed: 11, synced: 11 },
        ],
        days: Array.from({ length: 14 }, (_, i) => ({ day: `2026-11-${String(17 + i).padStart(2, "0")}`, invited: (i * 7) % 9 + 1, completed: (i * 5) % 7, synced: (i * 3) % 5 })),
        timeToComplete: [
          { label: "< 1 h", count: 6 }, { label: "1–6 h", count: 14 }, { label: "6–24 h", count: 11 },
          { label: "1–3 days", count: 8 }, { label: "3–7 days", count: 2 }, { label: "> 7 days", count: 1 },
        ],
        completion: [
          { interviewTitle: "Backend Engineer: screening", invited: 37, completed: 24 },
          { interviewTitle: "Customer Success Associate: screening", invited: 25, completed: 18 },
        ],
        unreviewedAge: [{ label: "< 1 day", count: 3 }, { label: "1–3 days", count: 2 }, { label: "3–7 days", count: 0 }, { label: "> 7 days", count: 1 }],
        willo: { lastDay: 33_120, dayLimit: 40_000, nearingLimit: true, lastMinute: 41, minuteLimit: 80, lastCheckAt: Date.now() - 240_000, lastCheckTookMs: 26_000, open: 1_980, checking: null, nextCheckTakesMs: 24_000 },
      },
      sync_ats: { jobs: 2, candidates: 32, applications: 32, stageChanges: 0, tookMs: 40 },
      interviews: [
        { key: "iv-1", title: "Customer Success Associate: screening", department: "Customer Success", language: "en" },
        { key: "iv-2", title: "Backend Engineer: screening", department: "Engineering", language: "en" },
      ],
      templates: [{ key: "tpl-1", name: "Customer support screen", category: "Support", questions: 4 }],
      // The generated candidates all apply to the Backend Engineer job.
      suggested_interview: "iv-2",
      automations: [
        { jobId: 1, jobTitle: "Backend Engineer", department: "Engineering", location: "Berlin", stages, automation: { interviewKey: "iv-2", interviewTitle: "Backend Engineer: screening", choice: { kind: "interview", interviewKey: "iv-2" }, triggerStageIds: [12], reviewRequired: true, moveToStageId: 13, moveMinScore: 70, notePolicy: "everything", paused: false, enabledAt: Date.now() - 86_400_000 }, suggestedInterviewKey: "iv-2" },
        { jobId: 2, jobTitle: "Customer Success Associate", department: "Customer Success", location: "London", stages, automation: null, suggestedInterviewKey: "iv-1" },
      ],
      dry_run: {
        interviewTitle: "Customer Success Associate: screening",
        reason: "chosen for this job",
        rows: [
          { applicationId: 7, name: "Zoë Müller", stage: "Screening", result: { outcome: "would_invite", email: "zoe@example.com", phone: "+447700900123", phoneAssumedRegion: "GB" } },
          { applicationId: 8, name: "Omar Haddad", stage: "Screening", result: { outcome: "refused", reasons: ["The candidate has no email address: add one in the ATS."] } },
        ],
        note: "2 candidates are in the trigger stages now. Switching the automation on does not invite them (send to them from Candidates if they should get it); it invites everyone who enters a trigger stage from then on.",
      },
      activity: [
        { id: 3, at: Date.now() - 60_000, kind: "writeback_failed", message: "Writing to the ATS failed: the ATS had a server error (502).", invitationId: 1, candidate: "Zoë Müller", job: "Customer Success Associate" },
        { id: 2, at: Date.now() - 120_000, kind: "invite_sent", message: "Invitation sent", invitationId: 1, candidate: "Zoë Müller", job: "Customer Success Associate" },
        { id: 1, at: Date.now() - 180_000, kind: "invite_refused", message: `The phone number cannot be used. ${HOSTILE}`, invitationId: 4, candidate: `Mallory ${HOSTILE}`, job: "Backend Engineer" },
      ],
      failed_work: [
        { outboxId: 9, kind: "writeback", attempts: 8, error: "the ATS had a server error (502)", fix: "Check the ATS connection and that the candidate still exists in the ATS, then retry.", failedAt: Date.now() - 60_000, invitationId: 1, candidate: "Zoë Müller" },
      ],
      retry: null,
      set_automation: null,
      export_candidate: { path: "/home/sam/Downloads/willo-desk-candidate-1-20261202-101500.zip", folder: "/home/sam/Downloads" },
      retention: { days: 180, lastRun: Date.now() - 3 * 3_600_000, lastRemoved: 2, nextRun: Date.now() + 21 * 3_600_000 },
      export_activity: { path: "/home/sam/Downloads/willo-desk-activity-20261202-101500.csv", folder: "/home/sam/Downloads" },
      reveal_export: null,
      settings: { notifications: { completed: true, inviteFailed: true, writebackFailed: true, connectionLost: false }, defaultRegion: "GB", atsPollSeconds: 120, reconcileMinutes: 10, receiverUrl: "http://127.0.0.1:40123", receiverListen: null, receiverPublicUrl: null },
      save_settings: { notifications: { completed: true, inviteFailed: true, writebackFailed: true, connectionLost: false }, defaultRegion: "GB", atsPollSeconds: 120, reconcileMinutes: 10, receiverUrl: "http://127.0.0.1:40123", receiverListen: null, receiverPublicUrl: null },
      register_webhooks: 4,
      doctor: [
        { check: "willo_key", severity: "ok", message: "Willo accepts the API key.", fix: "" },
        { check: "phones", severity: "warning", message: "Automation 1: 1 phone number in the trigger stages cannot be put in international format (ATS candidate ids: 9013).", fix: "Correct the numbers in the ATS with their country code, or set the default phone region; these invitations will be refused until then." },
      ],
      cancel_send: true,
      connections: null,
      test_willo: { scheme: "bearer", interviews: ["Customer Success Associate: screening", "Backend Engineer: screening"] },
      test_ats: { jobs: 3, actingUser: "Sam Recruiter" },
      save_connections: null,
      choose_sandbox_ats: null,
      send: { total: 3, sent: 2, refused: 1, failed: 0, cancelled: 0, remaining: 0 },
      open_link: null,
      take_opening: null,
      check_update: { version: "0.2.0", current: "0.1.0", notes: "Reviews open faster.\nThe tray shows the inbox.", date: "2026-12-01T10:00:00Z" },
      download_update: "0.2.0",
      install_update: null,
      quit_app: null,
      desktop_prefs: { keepInTray: true, startAtLogin: false },
      about: { version: "0.1.0", commit: "0123abcd45", dataDir: "/home/sam/.local/share/willo-desk", logDir: "/home/sam/.local/share/willo-desk/logs", platform: "linux x86_64" },
      diagnostics: "Willo Desk 0.1.0 (commit 0123abcd45) on linux x86_64\nMode: Sandbox, reading Greenhouse (sandbox)\n\nDoctor:\nok       Willo accepts the API key.\n",
    },
  };
  edit?.(f);
  return f;
}

/** For fixtures({ edit: firstRun }): a new install, before anything was synced or sent. */
export function firstRun(f) {
  const zero = (buckets) => buckets.map((b) => ({ ...b, count: 0 }));
  const d = f.answers.dashboard;
  f.answers.overview = { jobs: [], candidates: 0, applications: 0, lastSyncAt: null };
  f.answers.dashboard = {
    ...d,
    funnel: [],
    days: d.days.map(({ day }) => ({ day, invited: 0, completed: 0, synced: 0 })),
    timeToComplete: zero(d.timeToComplete),
    completion: [],
    unreviewedAge: zero(d.unreviewedAge),
    willo: { ...d.willo, lastDay: 0, nearingLimit: false, lastMinute: 0, lastCheckAt: null, lastCheckTookMs: null, open: 0 },
  };
  f.answers.sync_ats = { jobs: 0, candidates: 0, applications: 0, stageChanges: 0, tookMs: 40 };
}
