//! `--help` output is snapshot-tested so that changes to the command line are deliberate.
//! After changing src/cli.rs, run scripts/regenerate and review the snapshot diff.

use crate::support::Run;

const COMMANDS: [&str; 14] = [
    "",
    "init",
    "create",
    "list",
    "show",
    "revoke",
    "rotate",
    "check",
    "expire",
    "prune",
    "audit",
    "update",
    "doctor",
    "completions",
];

#[test]
fn help_snapshots() {
    for command in COMMANDS {
        let mut args: Vec<&str> = command.split_whitespace().collect();
        args.push("--help");
        let out = Run::new(&args).run().success();
        let name = if command.is_empty() {
            "keyadm".to_owned()
        } else {
            format!("keyadm-{command}")
        };
        insta::assert_snapshot!(name, out.stdout);
    }
}
