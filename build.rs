//! refinery embeds `migrations/` at compile time; without the rerun line, cargo would not
//! rebuild when a migration file is added, and the binary would silently lack it.
//!
//! The schema version this binary expects (the highest `V<n>__` file) is also worked out here,
//! so that a command's start-up check does not parse the embedded migrations (refinery does
//! that with a regex compiled on every call, which cost more than the rest of a `check`).

use std::fs;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let mut version = 0;
    for entry in fs::read_dir("migrations").expect("read migrations/") {
        let name = entry.expect("read migrations/").file_name();
        let name = name.to_string_lossy();
        let number = name
            .strip_prefix('V')
            .and_then(|rest| rest.split_once("__"))
            .and_then(|(number, _)| number.parse::<i32>().ok());
        if let Some(number) = number {
            version = version.max(number);
        }
    }
    println!("cargo:rustc-env=KEYADM_SCHEMA_VERSION={version}");
}
