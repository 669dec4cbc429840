//! The one dataset every ATS dialect serves: jobs with stages, candidates, applications, users,
//! and every write a connector makes.
//!
//! Stage names come from one shared list so the data can be served with per-job stages
//! (Greenhouse, Ashby) and with account-wide stages (Lever, Workable) alike.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// The account's pipeline stages, in order. A job uses a subset.
pub const STAGES: [&str; 7] = [
    "Application Review",
    "Screening",
    "Phone Interview",
    "Technical Interview",
    "Onsite",
    "Offer",
    "Hired",
];

#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: u64,
    pub title: String,
    pub department: String,
    pub location: String,
    pub status: String,
    /// Indices into `STAGES`, in pipeline order.
    pub stages: Vec<usize>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Application {
    pub id: u64,
    pub candidate_id: u64,
    pub job_id: u64,
    /// Index into `STAGES`.
    pub stage: usize,
    pub status: String,
    pub applied_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AtsUser {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

/// A write a connector made, as the simulated ATS recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct Write {
    pub id: u64,
    /// `greenhouse`, `lever`, `ashby` or `workable` (`Dialect::name`): which dialect received it.
    pub ats: String,
    /// `note`, `attachment`, `file`, `move`, `links`, `field`.
    pub kind: String,
    pub application_id: u64,
    pub candidate_id: u64,
    /// The user the write is attributed to, when the request named one.
    pub actor: Option<String>,
    pub body: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// What the dataset last saw of an application, to tell when it changed.
#[derive(Debug, Clone, Copy)]
struct Revision {
    /// A hash of everything a dialect shows of the application and its candidate.
    fingerprint: u64,
    /// The change number it last changed at.
    change: u64,
    /// When it last changed, as far as can be told.
    at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct Dataset {
    pub jobs: Vec<Job>,
    pub candidates: Vec<Candidate>,
    pub applications: Vec<Application>,
    pub users: Vec<AtsUser>,
    pub writes: Vec<Write>,
    /// The last write id given out: an id is never given again, even after its write is removed.
    last_write_id: u64,
    /// Applications moved to another stage and not yet announced to webhooks.
    moved: Vec<u64>,
    /// Per application, what it looked like when changes were last noted.
    revisions: HashMap<u64, Revision>,
    /// The last change number given out.
    last_change: u64,
}

impl Dataset {
    pub fn job(&self, id: u64) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id)
    }

    pub fn candidate(&self, id: u64) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.id == id)
    }

    pub fn application(&self, id: u64) -> Option<&Application> {
        self.applications.iter().find(|a| a.id == id)
    }

    /// The writes recorded so far, of one dialect (`greenhouse`, `lever`) and one kind (`note`,
    /// `move`, ...) where given, oldest first.
    pub fn writes_to(&self, ats: Option<&str>, kind: Option<&str>) -> Vec<Write> {
        self.writes
            .iter()
            .filter(|w| ats.is_none_or(|x| w.ats == x) && kind.is_none_or(|k| w.kind == k))
            .cloned()
            .collect()
    }

    /// Moves an application to a stage of its job. Refuses a stage the job does not have.
    pub fn move_application(&mut self, id: u64, stage: usize) -> Result<(), &'static str> {
        let job_id = self.application(id).ok_or("no such application")?.job_id;
        if !self.job(job_id).is_some_and(|j| j.stages.contains(&stage)) {
            return Err("the job has no such stage");
        }
        let app = self
            .applications
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or("no such application")?;
        if app.stage != stage {
            self.moved.push(id);
        }
        app.stage = stage;
        app.last_activity_at = Utc::now();
        Ok(())
    }

    /// The applications moved to another stage since last asked, in the order they moved.
    pub(crate) fn take_moves(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.moved)
    }

    /// Notes which applications changed since this was last called, however they changed (a
    /// move, a new status, a renamed candidate, a new application; the fields are compared, so
    /// a change made by editing the dataset directly counts too), and returns the current change
    /// number. An application changed after change number `n` when [`Dataset::changed_after`]
    /// says so: Ashby's `syncToken`s hold such a number.
    pub fn note_changes(&mut self) -> u64 {
        let now = Utc::now();
        let next = self.last_change + 1;
        let prints: Vec<(u64, u64, DateTime<Utc>)> = self
            .applications
            .iter()
            .map(|a| (a.id, self.fingerprint(a), a.last_activity_at))
            .collect();
        let mut changed = false;
        for (id, fingerprint, activity) in prints {
            match self.revisions.get_mut(&id) {
                Some(r) if r.fingerprint == fingerprint => {}
                Some(r) => {
                    *r = Revision {
                        fingerprint,
                        change: next,
                        // A move stamps its own time; other edits are seen now.
                        at: if activity > r.at { activity } else { now },
                    };
                    changed = true;
                }
                None => {
                    self.revisions.insert(
                        id,
                        Revision {
                            fingerprint,
                            change: next,
                            at: activity,
                        },
                    );
                    changed = true;
                }
            }
        }
        if changed {
            self.last_change = next;
        }
        self.last_change
    }

    /// Whether the application changed after change number `change` (see
    /// [`Dataset::note_changes`], which must have been called since the change).
    pub fn changed_after(&self, application: u64, change: u64) -> bool {
        self.revisions
            .get(&application)
            .is_none_or(|r| r.change > change)
    }

    /// When the application last changed, as noted by [`Dataset::note_changes`].
    pub fn updated_at(&self, application: &Application) -> DateTime<Utc> {
        self.revisions
            .get(&application.id)
            .map_or(application.last_activity_at, |r| r.at)
    }

    fn fingerprint(&self, app: &Application) -> u64 {
        let mut hasher = DefaultHasher::new();
        (
            app.candidate_id,
            app.job_id,
            app.stage,
            &app.status,
            app.applied_at,
            app.last_activity_at,
        )
            .hash(&mut hasher);
        if let Some(c) = self.candidate(app.candidate_id) {
            (&c.first_name, &c.last_name, &c.emails, &c.phones).hash(&mut hasher);
        }
        hasher.finish()
    }

    pub fn record(
        &mut self,
        ats: &str,
        kind: &str,
        application_id: u64,
        actor: Option<String>,
        body: serde_json::Value,
    ) -> Write {
        let candidate_id = self
            .application(application_id)
            .map_or(0, |a| a.candidate_id);
        let write = Write {
            id: self.last_write_id + 1,
            ats: ats.into(),
            kind: kind.into(),
            application_id,
            candidate_id,
            actor,
            body,
            at: Utc::now(),
        };
        self.last_write_id = write.id;
        self.writes.push(write.clone());
        write
    }

    /// Removes a write of one dialect and kind on one application, as an ATS deletes a note or a
    /// file. False when there is no such write.
    pub fn remove_write(&mut self, ats: &str, kind: &str, application_id: u64, id: u64) -> bool {
        let found = self.writes.iter().position(|w| {
            w.id == id && w.ats == ats && w.kind == kind && w.application_id == application_id
        });
        found.map(|at| self.writes.remove(at)).is_some()
    }

    /// The demo account with `extra` load applicants added to the first job's first stage.
    pub fn demo_with(extra: usize) -> Self {
        let mut data = Self::demo();
        let now = Utc::now();
        for n in 0..extra as u64 {
            data.candidates.push(Candidate {
                id: 8001 + n,
                first_name: format!("Load{n}"),
                last_name: "Candidate".into(),
                emails: vec![format!("load{n}@example.com")],
                phones: Vec::new(),
                created_at: now,
            });
            data.applications.push(Application {
                id: 10_001 + n,
                candidate_id: 8001 + n,
                job_id: 4001,
                stage: 0,
                status: "active".into(),
                applied_at: now,
                last_activity_at: now,
            });
        }
        data
    }

    /// The demo account: 3 jobs, 40 candidates (41 applications), 3 users.
    pub fn demo() -> Self {
        let now = Utc::now();
        let jobs = vec![
            Job {
                id: 4001,
                title: "Customer Success Associate".into(),
                department: "Customer Success".into(),
                location: "London, UK".into(),
                status: "open".into(),
                stages: vec![0, 1, 2, 4, 5, 6],
                created_at: now - Duration::days(30),
            },
            Job {
                id: 4002,
                title: "Backend Engineer".into(),
                department: "Engineering".into(),
                location: "Remote (EU)".into(),
                status: "open".into(),
                stages: vec![0, 1, 3, 4, 5, 6],
                created_at: now - Duration::days(21),
            },
            Job {
                id: 4003,
                title: "Sales Development Representative".into(),
                department: "Sales".into(),
                location: "New York, US".into(),
                status: "open".into(),
                stages: vec![0, 1, 2, 5, 6],
                created_at: now - Duration::days(12),
            },
        ];
        let mut candidates = Vec::new();
        let mut applications = Vec::new();
        for (i, (first, last, email, phone, job, stage)) in PEOPLE.iter().enumerate() {
            let n = i as u64;
            let candidate_id = 7001 + n;
            candidates.push(Candidate {
                id: candidate_id,
                first_name: (*first).into(),
                last_name: (*last).into(),
                emails: vec![(*email).into()],
                phones: phone.iter().map(|p| (*p).to_owned()).collect(),
                created_at: now - Duration::hours(i64::try_from(200 - n * 4).unwrap_or(0)),
            });
            applications.push(Application {
                id: 9001 + n,
                candidate_id,
                job_id: *job,
                stage: *stage,
                status: "active".into(),
                applied_at: now - Duration::hours(i64::try_from(200 - n * 4).unwrap_or(0)),
                last_activity_at: now - Duration::hours(i64::try_from(100 - n * 2).unwrap_or(0)),
            });
        }
        // The same person applied to a second job with the same email (one candidate, two applications).
        applications.push(Application {
            id: 9001 + PEOPLE.len() as u64,
            candidate_id: 7001,
            job_id: 4003,
            stage: 0,
            status: "active".into(),
            applied_at: now - Duration::hours(20),
            last_activity_at: now - Duration::hours(20),
        });
        let users = vec![
            AtsUser {
                id: 501,
                first_name: "Riley".into(),
                last_name: "Chen".into(),
                email: "riley.chen@acme.example".into(),
            },
            AtsUser {
                id: 502,
                first_name: "Noor".into(),
                last_name: "Haddad".into(),
                email: "noor.haddad@acme.example".into(),
            },
            AtsUser {
                id: 503,
                first_name: "Willo".into(),
                last_name: "Desk".into(),
                email: "integrations@acme.example".into(),
            },
        ];
        Self {
            jobs,
            candidates,
            applications,
            users,
            ..Self::default()
        }
    }
}

type Person = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    u64,
    usize,
);

/// Varied names (non-ASCII included), phones in many national formats, some invalid, some missing.
/// Stage is an index into `STAGES`. Phone numbers are from ranges set aside for fiction/testing.
const PEOPLE: [Person; 40] = [
    (
        "María",
        "García",
        "maria.garcia@example.com",
        Some("+34 612 345 678"),
        4001,
        1,
    ),
    (
        "Zoë",
        "Müller",
        "zoe.mueller@example.de",
        Some("+49 1512 3456789"),
        4001,
        0,
    ),
    (
        "José",
        "Álvarez",
        "jose.alvarez@example.es",
        Some("+34 622 111 222"),
        4001,
        0,
    ),
    (
        "Siobhán",
        "O'Brien",
        "siobhan.obrien@example.ie",
        Some("+353 85 123 4567"),
        4001,
        1,
    ),
    (
        "Łukasz",
        "Wiśniewski",
        "lukasz.w@example.pl",
        Some("+48 512 345 678"),
        4001,
        0,
    ),
    (
        "Aiko",
        "Tanaka",
        "aiko.tanaka@example.jp",
        Some("+81 90-1234-5678"),
        4001,
        0,
    ),
    (
        "Nguyễn",
        "Văn An",
        "an.nguyen@example.vn",
        Some("+84 91 234 56 78"),
        4001,
        2,
    ),
    (
        "Chloé",
        "Dubois",
        "chloe.dubois@example.fr",
        Some("06 12 34 56 78"),
        4001,
        0,
    ),
    (
        "Björn",
        "Andersson",
        "bjorn.andersson@example.se",
        Some("+46 70 123 45 67"),
        4001,
        1,
    ),
    (
        "Ayşe",
        "Yılmaz",
        "ayse.yilmaz@example.com.tr",
        Some("+90 532 123 45 67"),
        4001,
        0,
    ),
    (
        "Oliver",
        "Smith",
        "oliver.smith@example.co.uk",
        Some("07700 900123"),
        4001,
        0,
    ),
    (
        "Amelia",
        "Jones",
        "amelia.jones@example.co.uk",
        Some("12345"),
        4001,
        0,
    ),
    (
        "Harry",
        "Taylor",
        "harry.taylor@example.co.uk",
        None,
        4001,
        4,
    ),
    (
        "Priya",
        "Sharma",
        "priya.sharma@example.in",
        Some("+91 98765 43210"),
        4002,
        1,
    ),
    (
        "Dmitri",
        "Ivanov",
        "dmitri.ivanov@example.com",
        Some("+7 912 345-67-89"),
        4002,
        0,
    ),
    (
        "Olúwaseun",
        "Adébáyọ̀",
        "seun.adebayo@example.ng",
        Some("+234 803 123 4567"),
        4002,
        0,
    ),
    (
        "Søren",
        "Jørgensen",
        "soren.j@example.dk",
        Some("+45 20 12 34 56"),
        4002,
        0,
    ),
    (
        "Mateus",
        "Silva",
        "mateus.silva@example.com.br",
        Some("+55 11 91234-5678"),
        4002,
        1,
    ),
    (
        "Fatima",
        "Zahra",
        "fatima.zahra@example.ma",
        Some("+212 612-345678"),
        4002,
        0,
    ),
    (
        "Liam",
        "O'Connor",
        "liam.oconnor@example.com",
        Some("call after 5pm"),
        4002,
        0,
    ),
    (
        "Wei",
        "Zhang 张伟",
        "wei.zhang@example.cn",
        Some("+86 138 0013 8000"),
        4002,
        3,
    ),
    (
        "Anna",
        "Kowalska",
        "anna.kowalska@example.pl",
        None,
        4002,
        0,
    ),
    (
        "Ethan",
        "Brown",
        "ethan.brown@example.com",
        Some("+1 415 555 2671"),
        4002,
        0,
    ),
    (
        "Isabella",
        "Rossi",
        "isabella.rossi@example.it",
        Some("+39 312 345 6789"),
        4002,
        1,
    ),
    (
        "Noah",
        "Williams",
        "noah.williams@example.com",
        Some("+1 212"),
        4002,
        0,
    ),
    (
        "Mia",
        "Schneider",
        "mia.schneider@example.at",
        Some("+43 664 1234567"),
        4002,
        4,
    ),
    (
        "Lucas",
        "Martin",
        "lucas.martin@example.fr",
        Some("+33 6 98 76 54 32"),
        4002,
        0,
    ),
    (
        "Ava",
        "Johnson",
        "ava.johnson@example.com",
        Some("(415) 555-0198"),
        4003,
        0,
    ),
    (
        "James",
        "Miller",
        "james.miller@example.com",
        Some("+1 646 555 3890"),
        4003,
        1,
    ),
    (
        "Sofía",
        "Hernández",
        "sofia.hernandez@example.mx",
        Some("+52 55 1234 5678"),
        4003,
        0,
    ),
    (
        "Kwame",
        "Mensah",
        "kwame.mensah@example.gh",
        Some("+233 24 123 4567"),
        4003,
        0,
    ),
    ("Emma", "Davis", "emma.davis@example.com", None, 4003, 0),
    (
        "Arjun",
        "Patel",
        "arjun.patel@example.com",
        Some("+1 917 555 0147"),
        4003,
        1,
    ),
    (
        "Yuki",
        "Sato",
        "yuki.sato@example.jp",
        Some("090-9876-5432"),
        4003,
        0,
    ),
    (
        "Hannah",
        "Cohen",
        "hannah.cohen@example.co.il",
        Some("+972 52-123-4567"),
        4003,
        2,
    ),
    (
        "Mohammed",
        "Al-Farsi",
        "m.alfarsi@example.ae",
        Some("+971 50 123 4567"),
        4003,
        0,
    ),
    (
        "Grace",
        "Lee",
        "grace.lee@example.com",
        Some("+1 (312) 555-0110"),
        4003,
        0,
    ),
    (
        "Jack",
        "Wilson",
        "jack.wilson@example.com.au",
        Some("+61 412 345 678"),
        4003,
        0,
    ),
    (
        "Chiara",
        "Bianchi",
        "chiara.bianchi@example.it",
        Some("0039 333 1234567"),
        4003,
        5,
    ),
    (
        "Ingrid",
        "Halvorsen",
        "ingrid.halvorsen@example.no",
        Some("+47 412 34 567"),
        4003,
        0,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_data_has_the_promised_shape() {
        let data = Dataset::demo();
        assert_eq!(data.jobs.len(), 3);
        assert_eq!(data.candidates.len(), 40);
        let no_phone = data
            .candidates
            .iter()
            .filter(|c| c.phones.is_empty())
            .count();
        assert!(
            (3..10).contains(&no_phone),
            "some, not most, have no phone: {no_phone}"
        );
        assert!(
            data.candidates.iter().any(|c| !c.first_name.is_ascii()),
            "non-ASCII names are included"
        );
        let twice: Vec<_> = data
            .candidates
            .iter()
            .filter(|c| {
                data.applications
                    .iter()
                    .filter(|a| a.candidate_id == c.id)
                    .count()
                    == 2
            })
            .collect();
        assert_eq!(twice.len(), 1, "exactly one candidate applied to two jobs");
        for app in &data.applications {
            let job = data.job(app.job_id).unwrap();
            assert!(
                job.stages.contains(&app.stage),
                "application {} sits in a stage its job has",
                app.id
            );
        }
    }

    #[test]
    fn moving_to_a_stage_the_job_lacks_is_refused() {
        let mut data = Dataset::demo();
        // Job 4001 has no "Technical Interview" (index 3).
        assert!(data.move_application(9001, 3).is_err());
        assert!(data.move_application(9001, 2).is_ok());
        assert_eq!(data.application(9001).unwrap().stage, 2);
    }

    #[test]
    fn every_kind_of_change_is_noted_once() {
        let mut data = Dataset::demo();
        let start = data.note_changes();
        assert!(!data.changed_after(9001, start));
        assert_eq!(data.note_changes(), start, "nothing changed, no new number");
        data.move_application(9002, 1).unwrap();
        data.candidates
            .iter_mut()
            .find(|c| c.id == 7003)
            .unwrap()
            .last_name = "Renamed".into();
        data.applications
            .iter_mut()
            .find(|a| a.id == 9004)
            .unwrap()
            .status = "rejected".into();
        let after = data.note_changes();
        assert!(after > start);
        let changed: Vec<u64> = data
            .applications
            .iter()
            .filter(|a| data.changed_after(a.id, start))
            .map(|a| a.id)
            .collect();
        assert_eq!(changed, [9002, 9003, 9004]);
        assert!(!data.changed_after(9002, after));
        assert_eq!(data.take_moves(), [9002], "the move waits to be announced");
        assert!(data.take_moves().is_empty());
        data.move_application(9002, 1).unwrap();
        assert!(
            data.take_moves().is_empty(),
            "staying in a stage is no move"
        );
    }

    #[test]
    fn a_removed_write_is_gone_and_its_id_is_not_given_again() {
        let mut data = Dataset::demo();
        let first = data.record("lever", "note", 9001, None, serde_json::json!({}));
        let second = data.record("lever", "note", 9001, None, serde_json::json!({}));
        assert!(
            !data.remove_write("lever", "file", 9001, second.id),
            "a note is not a file"
        );
        assert!(data.remove_write("lever", "note", 9001, second.id));
        assert!(!data.remove_write("lever", "note", 9001, second.id));
        let third = data.record("lever", "note", 9001, None, serde_json::json!({}));
        assert_eq!(
            data.writes.iter().map(|w| w.id).collect::<Vec<_>>(),
            [first.id, third.id]
        );
        assert!(third.id > second.id, "ids are not reused");
    }
}
