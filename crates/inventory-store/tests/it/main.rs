//! Integration tests of the store: real SQLite, in memory and in files.

mod crash;
mod props;
mod support;
mod work;
