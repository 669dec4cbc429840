//! How long the simulators spent answering, in total. A benchmark subtracts it from an
//! end-to-end time to find what the client itself added.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// The simulators' answering time so far, summed over requests (admin calls included).
#[derive(Debug, Clone, Default)]
pub struct BusyTime(Arc<AtomicU64>);

impl BusyTime {
    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

/// Axum middleware adding each request's handling time (until the response head is ready; the
/// time an injected fault waits is not counted, as this runs inside the fault layer).
pub(crate) async fn measure(
    State(busy): State<BusyTime>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    busy.0.fetch_add(nanos, Ordering::Relaxed);
    response
}
