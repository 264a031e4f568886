//! Integration tests: the real keyadm binary against a real PostgreSQL.

mod support;

mod audit;
mod batch;
mod bulk_create;
mod check;
mod cli;
mod connect;
mod create;
mod doctor;
mod expire;
mod faults;
mod generated;
mod help_snapshots;
mod init;
mod interactive;
mod list;
mod output_snapshots;
mod pgbouncer;
mod prune;
mod readme;
mod revoke;
mod rotate;
mod security;
mod show;
mod store;
mod time_zone;
mod tls;
mod unwritten_reports;
mod update;
mod verify;
