use desk_store::StoreError;
use desk_willo::WilloError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Willo(#[from] WilloError),
    #[error(transparent)]
    Ats(#[from] desk_ats::AtsError),
    #[error("the webhook receiver could not listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}
