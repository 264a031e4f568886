//! What each command prints, as a person (table) and a script (JSON) sees it: exit code,
//! stdout and stderr in one snapshot, with ids, handles, secrets and times replaced by
//! placeholders of the same width so the table alignment stays visible.

use crate::support::{Created, Output, TestDb};

/// Replacements for the values that differ from run to run.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\b[a-z][a-z0-9_]*_[0-9a-f]{72}\b", "[SECRET]"),
        (
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX",
        ),
        (r"\bsk_[0-9a-f]{8}\b", "sk_XXXXXXXX"),
        (
            // keyadm prints every time in UTC with `Z`: an offset is not a placeholder.
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z",
            "[TIME]",
        ),
        (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "YYYY-MM-DD HH:MM"),
        (r#""db_user":"[^"]*""#, r#""db_user":"[DB_USER]""#),
    ]
}

fn snapshot(name: &str, out: &Output) {
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.code, out.stdout, out.stderr
    );
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn every_command_as_table_and_json() {
    let db = TestDb::new();
    let run = |args: &[&str]| db.keyadm(args).env("KEYADM_ACTOR", Some("alice")).run();
    snapshot("init-status", &run(&["init", "--status"]));

    let created = run(&[
        "create",
        "--org",
        "acme",
        "--name",
        "ci-deploy",
        "--scope",
        "deploy",
        "--meta",
        "team=infra",
        "--expires-in",
        "90d",
    ]);
    snapshot("create-table", &created);
    let json = run(&[
        "create", "--org", "acme", "--name", "billing", "--scope", "read", "--json",
    ]);
    snapshot("create-json", &json);
    let billing: Created = json.json();

    snapshot("list-table", &run(&["list"]));
    snapshot("list-json", &run(&["list", "--org", "acme", "--json"]));
    snapshot("show-table", &run(&["show", "ci-deploy"]));
    snapshot(
        "check-table",
        &db.keyadm(&["check"]).stdin(&billing.secret).run(),
    );
    snapshot(
        "check-json",
        &db.keyadm(&["check", "--json"]).stdin(&billing.secret).run(),
    );
    snapshot(
        "rotate-table",
        &run(&["rotate", "ci-deploy", "--grace", "7d"]),
    );
    snapshot("show-json", &run(&["show", "billing", "--json"]));
    snapshot(
        "update-table",
        &run(&[
            "update",
            "billing",
            "--add-scope",
            "write",
            "--meta",
            "owner=payments",
        ]),
    );
    snapshot(
        "update-json",
        &run(&["update", "billing", "--remove-scope", "write", "--json"]),
    );
    snapshot(
        "revoke-table",
        &run(&["revoke", "billing", "--reason", "leaked", "--yes"]),
    );
    snapshot(
        "revoke-json",
        &run(&["revoke", &billing.key.id, "--yes", "--json"]),
    );
    snapshot(
        "check-revoked",
        &db.keyadm(&["check"]).stdin(&billing.secret).run(),
    );
    snapshot("audit-table", &run(&["audit", "--org", "acme"]));
    snapshot(
        "expire-dry-run",
        &run(&["expire", "--older-than", "0s", "--dry-run"]),
    );
    snapshot(
        "expire-json-dry-run",
        &run(&["expire", "--older-than", "0s", "--dry-run", "--json"]),
    );
    snapshot(
        "prune-dry-run",
        &run(&["prune", "--dead-for", "0s", "--dry-run"]),
    );
    snapshot("list-all-table", &run(&["list", "--status", "all"]));
    snapshot("error-not-found", &run(&["show", "nope"]));
    snapshot("error-not-found-json", &run(&["show", "nope", "--json"]));
    snapshot(
        "error-conflict",
        &run(&["create", "--org", "acme", "--name", "ci-deploy"]),
    );
}
