// A stand-in for the Tauri runtime in a plain browser: answers the app's commands from fixtures
// and lets a test emit events, so every screen can be driven without the Rust side.

/** Runs in the page before the app: installs window.__TAURI_INTERNALS__. */
export function installMock(fixtures) {
  const callbacks = new Map();
  const listeners = new Map();
  let next = 1;
  window.__calls = [];
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: () => {} };

  const INTERVIEW_NAMES = ["Ada", "Ben", "Chloé", "Dmitri", "Eun-ji", "Farah"];
  function candidateRows(query) {
    const total = fixtures.candidateTotal;
    const needle = (query.search ?? "").toLowerCase();
    // Rows are generated: "Name<n> Candidate"; a search keeps rows whose name starts with it.
    const matches = (i) => !needle || `${INTERVIEW_NAMES[i % 6]}${i} candidate`.toLowerCase().startsWith(needle);
    const count = needle ? Array.from({ length: Math.min(total, 2000) }, (_, i) => i).filter(matches).length : total;
    const rows = [];
    let index = 0;
    for (let i = 0; rows.length < query.limit && i < total; i++) {
      if (!matches(i)) continue;
      if (index++ < query.offset) continue;
      rows.push({
        applicationId: i + 1,
        name: `${INTERVIEW_NAMES[i % 6]}${i} Candidate`,
        email: `c${i}@example.com`,
        phone: null,
        jobId: 1,
        jobTitle: "Backend Engineer",
        stage: "Screening",
        invitationId: null,
        status: ["not_sent", "invited", "completed", "synced", "refused"][i % 5],
        reason: i % 5 === 4 ? "The candidate has no email address: add one in the ATS." : null,
      });
    }
    return { total: query.offset === 0 ? count : null, offset: query.offset, rows };
  }

  function answer(cmd, args) {
    window.__calls.push([cmd, args]);
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
      case "review_detail":
        return fixtures.reviews[args.invitationId];
      case "approve":
      case "skip":
        fixtures.inbox = fixtures.inbox.filter((r) => r.invitationId !== args.invitationId);
        return null;
      case "inbox":
        return fixtures.inbox;
      case "timeline":
        return fixtures.timeline;
      case "pre_send":
        return args.applicationIds.map((id, n) => ({
          applicationId: id,
          name: `Candidate ${id}`,
          willSend: n % 3 !== 2,
          email: `c${id}@example.com`,
          phone: n % 2 ? "+441632960001" : null,
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
