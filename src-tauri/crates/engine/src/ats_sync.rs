//! Reading the ATS: the connector's records are what the store keeps.

use desk_ats::AtsConnector;
use desk_store::AtsSnapshot;

/// Everything the app shows about the ATS: open jobs, their stages, active applications and
/// their candidates.
pub async fn read_ats(ats: &dyn AtsConnector) -> Result<AtsSnapshot, desk_ats::AtsError> {
    let jobs = ats.jobs().await?;
    let stages = ats.stages(&jobs).await?;
    let applications = ats.applications(&jobs, None).await?;
    let candidates = ats.candidates(&applications).await?;
    Ok(AtsSnapshot {
        jobs,
        stages,
        candidates,
        applications,
    })
}
