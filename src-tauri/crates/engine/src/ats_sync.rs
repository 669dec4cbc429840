//! Reading the ATS, in the shape the store keeps it.

use desk_ats::{Application, AtsConnector, Candidate, Job, Stage};
use desk_store::{ApplicationRecord, AtsSnapshot, CandidateRecord, JobRecord, StageRecord};

/// Everything the app shows about the ATS: open jobs, their stages, active applications and
/// their candidates.
pub async fn read_ats(ats: &dyn AtsConnector) -> Result<AtsSnapshot, desk_ats::AtsError> {
    let jobs = ats.jobs().await?;
    let stages = ats.stages(&jobs).await?;
    let applications = ats.applications(&jobs, None).await?;
    let candidates = ats.candidates(&applications).await?;
    Ok(snapshot(jobs, stages, candidates, applications))
}

fn snapshot(
    jobs: Vec<Job>,
    stages: Vec<Stage>,
    candidates: Vec<Candidate>,
    applications: Vec<Application>,
) -> AtsSnapshot {
    AtsSnapshot {
        jobs: jobs
            .into_iter()
            .map(|j| JobRecord {
                remote_id: j.id,
                title: j.title,
                department: j.department,
                location: j.location,
                status: j.status,
                raw: j.raw,
            })
            .collect(),
        stages: stages
            .into_iter()
            .map(|s| StageRecord {
                job_remote_id: s.job_id,
                remote_id: s.id,
                name: s.name,
                position: s.position,
            })
            .collect(),
        candidates: candidates
            .into_iter()
            .map(|c| CandidateRecord {
                remote_id: c.id,
                first_name: c.first_name,
                last_name: c.last_name,
                email: c.emails.into_iter().next(),
                phone: c.phones.into_iter().next(),
                raw: c.raw,
            })
            .collect(),
        applications: applications
            .into_iter()
            .map(|a| ApplicationRecord {
                remote_id: a.id,
                candidate_remote_id: a.candidate_id,
                job_remote_id: a.job_id,
                stage_remote_id: a.stage_id,
                status: a.status,
                raw: a.raw,
            })
            .collect(),
    }
}
