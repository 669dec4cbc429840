//! The simulated Willo Integration API v2.

mod demo;
mod errors;
pub mod model;
mod page;
mod routes;
pub mod state;
mod webhooks;

pub use demo::{ADMIN_API_KEY, DEMO_ORGANISATION, STANDARD_API_KEY};
pub use routes::{count, router};
pub use state::{
    DeliveryPolicy, Lifecycle, ListShape, RequestCount, WilloLimits, WilloSim, API_PREFIX,
};
