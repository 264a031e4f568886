//! Integration tests: the real keyadm binary against a real PostgreSQL.

mod support;

mod check;
mod cli;
mod connect;
mod create;
mod init;
mod list;
mod revoke;
mod rotate;
mod show;
