//! The server through its boundaries: `App::handle` in-process, and real loopback sockets.

mod support;

mod admin;
mod auth;
mod governance;
mod handlers;
mod platform;
mod props;
