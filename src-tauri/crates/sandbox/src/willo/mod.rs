//! The simulated Willo Integration API v2.

mod demo;
mod errors;
pub mod model;
mod page;
mod routes;
pub mod state;
mod webhooks;

pub use demo::{ADMIN_API_KEY, STANDARD_API_KEY};
pub use routes::router;
pub use state::{DeliveryPolicy, Lifecycle, WilloSim, API_PREFIX};
