//! The baseline for `keyadm check` in the benchmarks: the least a Rust program does to look a
//! key up: connect with rust-postgres, run one query, exit. Usage:
//! `DATABASE_URL=... minimal_query <sha256 hex>`; exit 0 when the key exists.

use std::process::ExitCode;

fn main() -> ExitCode {
    let url = std::env::var("DATABASE_URL").expect("set DATABASE_URL");
    let hash = hex::decode(std::env::args().nth(1).expect("give a sha256 in hex")).expect("hex");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let row = client
        .query_opt(
            "SELECT id FROM keyadm.api_keys WHERE key_hash = $1",
            &[&hash],
        )
        .expect("query");
    if row.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
