// A stand-in for the Tauri runtime in a plain browser: answers the app's commands from fixtures
// and lets a test emit events, so every screen can be driven without the Rust side.

/** Runs in the page before the app: installs window.__TAURI_INTERNALS__. */
export function installMock(fixtures) {
  const callbacks = new Map();
  const listeners = new Map();
  let next = 1;
  window.__calls = [];
  // Tests change answers while the page runs.
  window.__fixtures = fixtures;
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: () => {} };

  const INTERVIEW_NAMES = ["Ada", "Ben", "Chloé", "Dmitri", "Eun-ji", "Farah"];
  const STATUSES = ["not_sent", "invited", "completed", "synced", "refused"];
  // The back end's status order: along the invitation's course.
  const STATUS_ORDER = ["not_sent", "refused", "queued", "invited", "opened", "started", "completed", "reviewed", "synced", "failed", "erased"];
  const NOW = Date.now();
  // Rows are generated from their index: "Name<n> Candidate", last active up to two days ago in
  // an order unlike the index's, so that sorting by activity shows.
  const generated = (i) => ({
    applicationId: i + 1,
    name: `${INTERVIEW_NAMES[i % 6]}${i} Candidate`,
    email: `c${i}@example.com`,
    phone: null,
    jobId: 1,
    jobTitle: "Backend Engineer",
    stage: "Screening",
    invitationId: null,
    status: STATUSES[i % 5],
    reason: i % 5 === 4 ? "The candidate has no email address: add one in the ATS." : null,
    lastActivityAt: NOW - ((i * 7_919) % 2_880) * 60_000,
  });
  const SORT_KEYS = {
    name: (r) => r.name.toLowerCase(),
    job: (r) => r.jobTitle.toLowerCase(),
    stage: (r) => r.stage,
    status: (r) => STATUS_ORDER.indexOf(r.status),
    activity: (r) => r.lastActivityAt,
  };
  let listed = { key: null, indexes: [] };
  /** The indexes of the rows matching the query: in its order (ties newest, i.e. highest id, first), or generated order without one. */
  function list(query) {
    const needle = (query.search ?? "").toLowerCase();
    const key = JSON.stringify([fixtures.candidateTotal, needle, query.sort, query.descending]);
    if (listed.key === key) return listed.indexes;
    // A search keeps rows whose name starts with it.
    const indexes = Array.from({ length: fixtures.candidateTotal }, (_, i) => i).filter(
      (i) => !needle || generated(i).name.toLowerCase().startsWith(needle),
    );
    if (query.sort) {
      const keys = new Map(indexes.map((i) => [i, SORT_KEYS[query.sort](generated(i))]));
      const direction = query.descending ? -1 : 1;
      indexes.sort((a, b) => (keys.get(a) < keys.get(b) ? -direction : keys.get(a) > keys.get(b) ? direction : b - a));
    }
    listed = { key, indexes };
    return indexes;
  }

  function candidateRows(query) {
    const indexes = list(query);
    const rows = indexes.slice(query.offset, query.offset + query.limit).map(generated);
    return { total: query.offset === 0 ? indexes.length : null, offset: query.offset, rows };
  }

  /** The deletion as request_erasure and erasure give it while it is under way. */
  const underWay = () => ({ ...fixtures.erasure, finishedAt: null, steps: [], complete: false });

  function answer(cmd, args) {
    window.__calls.push([cmd, args]);
    if (fixtures.failing?.[cmd]) throw fixtures.failing[cmd];
    switch (cmd) {
      case "plugin:event|listen": {
        const list = listeners.get(args.event) ?? [];
        list.push(args.handler);
        listeners.set(args.event, list);
        return next++;
      }
      case "plugin:event|unlisten":
        return null;
      case "candidates":
        return candidateRows(args.query);
      case "review_detail": {
        const detail = fixtures.reviews[args.invitationId];
        return detail && { ...detail, draft: fixtures.drafts[args.invitationId] ?? null };
      }
      case "save_draft":
        fixtures.drafts[args.invitationId] = args.review;
        return null;
      case "discard_draft":
        delete fixtures.drafts[args.invitationId];
        return null;
      case "approve":
      case "skip":
        // As the server does: the decision replaces the draft.
        delete fixtures.drafts[args.invitationId];
        fixtures.inbox = fixtures.inbox.filter((r) => r.invitationId !== args.invitationId);
        return null;
      case "inbox":
        return fixtures.inbox;
      case "timeline":
        return fixtures.timeline;
      case "request_erasure":
        fixtures.polls = 0;
        return underWay();
      case "erasure":
        // Under way for the first two asks, then done: the UI shows its progress first.
        fixtures.polls += 1;
        if (fixtures.polls < 3) return underWay();
        if (fixtures.polls === 3) {
          fixtures.erasures.unshift(fixtures.erasure);
          fixtures.timeline.push({ at: Date.now(), step: "erased", label: "Interview data deleted", detail: null, fix: null, failed: false });
        }
        return fixtures.erasure;
      case "erasures":
        return fixtures.erasures;
      case "set_desktop_prefs":
        fixtures.answers.desktop_prefs = args.prefs;
        return args.prefs;
      case "set_retention":
        // As the engine does: a period outside 1 to 3650 days is refused; a new one runs afresh.
        if (args.days !== null && !(args.days >= 1 && args.days <= 3650)) {
          throw { code: "validation", message: `retention: ${args.days} days is outside 1 to 3650`, detail: null, field: null };
        }
        fixtures.answers.retention = { days: args.days, lastRun: null, lastRemoved: null, nextRun: args.days === null ? null : Date.now() };
        return fixtures.answers.retention;
      case "pre_send":
        return args.applicationIds.map((id, n) => ({
          applicationId: id,
          name: `Candidate ${id}`,
          willSend: n % 3 !== 2,
          email: `c${id}@example.com`,
          phone: n % 2 ? "+441632960001" : null,
          // The second one had no country code: read as a number of the default region.
          phoneAssumedRegion: n === 1 ? "GB" : null,
          refusals: n % 3 === 2 ? ["The phone number cannot be used (too short): correct it in the ATS."] : [],
        }));
      default:
        if (cmd in fixtures.answers) return fixtures.answers[cmd];
        throw { code: "internal", message: `the mock has no answer for ${cmd}` };
    }
  }

  window.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: "main" }, currentWebview: { windowLabel: "main", label: "main" } },
    transformCallback(callback) {
      const id = next++;
      callbacks.set(id, callback);
      return id;
    },
    unregisterCallback(id) {
      callbacks.delete(id);
    },
    async invoke(cmd, args) {
      return structuredClone(answer(cmd, args ?? {}));
    },
  };
  /** Delivers an event to the app's listeners. */
  window.__emit = (event, payload) => {
    for (const handler of listeners.get(event) ?? []) callbacks.get(handler)?.({ event, id: 0, payload });
  };
}
