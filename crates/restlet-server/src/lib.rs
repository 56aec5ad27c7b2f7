//! The NetSuite RESTlet platform, emulated: routing by script and deployment, Token-Based
//! Authentication, concurrency and usage governance, the built-in RESTlets over the inventory
//! store, faults, and the admin API.
//!
//! [`App::handle`] is the whole request path without a socket; [`run`] serves it over hyper;
//! [`MockNetSuite`] starts it inside a test.

mod admin;
mod app;
mod auth;
mod clock;
mod embed;
mod error;
mod faults;
mod governance;
mod journal;
mod metrics;
mod ops;
mod server;
mod wire;

pub use app::{App, BodyTooLarge, DropConnection, PeerAddr, RESTLET_PATH, ServerConfig};
pub use embed::{MockNetSuite, authorization, credentials};
pub use error::RestletError;
pub use oauth1_signature::TokenCredentials;
pub use server::run;
