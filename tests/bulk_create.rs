//! `create --count N`: many keys in one transaction, secrets once, all or none.

use crate::support::{Created, TestDb, mode};

#[test]
fn count_creates_numbered_keys_with_their_events_and_prints_each_secret_once() {
    let db = TestDb::new();
    let out = db
        .keyadm(&[
            "create",
            "--org",
            "acme",
            "--name",
            "ci",
            "--count",
            "7",
            "--scope",
            "read",
            "--expires-in",
            "30d",
            "--json",
            "--actor",
            "bulk-bot",
        ])
        .run()
        .success();
    let created: Vec<Created> = out.json_lines();
    let names: Vec<&str> = created.iter().map(|c| c.key.name.as_str()).collect();
    assert_eq!(
        names,
        ["ci-1", "ci-2", "ci-3", "ci-4", "ci-5", "ci-6", "ci-7"]
    );
    for c in &created {
        assert_eq!(c.key.scopes, ["read"]);
        assert!(c.key.expires_at.is_some());
        assert_eq!(c.key.created_by, "bulk-bot");
        assert_eq!(c.key.start, c.secret[..11]);
    }
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE org = 'acme'"),
        7
    );
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM keyadm.key_events e JOIN keyadm.api_keys k ON k.id = e.key_id
             WHERE e.action = 'created' AND e.actor = 'bulk-bot' AND e.detail->>'name' = k.name"
        ),
        7
    );
    let secrets: String = created.iter().map(|c| format!("{}\n", c.secret)).collect();
    db.keyadm(&["check", "--batch"])
        .stdin(&secrets)
        .run()
        .success();
    for table in ["api_keys", "key_events"] {
        let dump = db.dump_text(table);
        assert!(
            created.iter().all(|c| !dump.contains(&c.secret[3..])),
            "a secret is stored in {table}"
        );
    }
}

#[test]
fn quiet_prints_only_the_secrets_and_the_table_output_labels_them() {
    let db = TestDb::new();
    let quiet = db
        .keyadm(&["create", "--org", "a", "--name", "q", "--count", "3", "-q"])
        .run()
        .success();
    assert_eq!(quiet.stdout.lines().count(), 3);
    assert!(
        quiet
            .stdout
            .lines()
            .all(|l| l.starts_with("sk_") && l.len() == 75)
    );
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    let table = db
        .keyadm(&["create", "--org", "a", "--name", "t", "--count", "2"])
        .run()
        .success();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].contains("(a/t-1)") && lines[1].contains("(a/t-2)"),
        "{}",
        table.stdout
    );
    table
        .stderr_has("Created 2 keys")
        .stderr_has("only this once");
}

#[test]
fn secrets_can_go_to_a_private_file_that_check_batch_reads_back() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.txt");
    let out = db
        .keyadm(&[
            "create",
            "--org",
            "load",
            "--name",
            "user",
            "--count",
            "12001",
            "--secret-file",
            path.to_str().unwrap(),
            "-q",
        ])
        .run()
        .success();
    assert!(out.stdout.is_empty(), "secrets went to stdout");
    assert_eq!(mode(&path), 0o600);
    let secrets = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        secrets.lines().count(),
        12001,
        "more than two chunks of 5000"
    );
    let checked = db
        .keyadm(&["check", "--batch", "--json"])
        .stdin(&secrets)
        .run()
        .success();
    let last: serde_json::Value =
        serde_json::from_str(checked.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        last["key"]["name"], "user-12001",
        "the file is in name order"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 12001);
}

#[test]
fn a_name_in_use_is_a_conflict_and_creates_nothing() {
    let db = TestDb::new();
    let taken = db.create("acme", "ci-3", &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.txt");
    let out = db
        .keyadm(&[
            "create",
            "--org",
            "acme",
            "--name",
            "ci",
            "--count",
            "5",
            "--secret-file",
            path.to_str().unwrap(),
        ])
        .run()
        .code(4)
        .one_line_error()
        .stderr_has("ci-3")
        .stderr_has(&taken.key.start);
    assert!(out.stdout.is_empty());
    assert!(
        !path.exists(),
        "the secret file of a failed create is removed"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 1);
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.key_events"), 1);
    // Another org, or revoked keys, do not hold the names.
    db.keyadm(&[
        "create", "--org", "other", "--name", "ci", "--count", "5", "-q",
    ])
    .run()
    .success();
}

#[test]
fn bad_counts_and_names_that_grow_too_long_are_usage_errors() {
    let db = TestDb::new();
    for count in ["0", "-1", "1000001", "many"] {
        db.keyadm(&["create", "--org", "a", "--name", "n", "--count", count])
            .run()
            .code(2)
            .one_line_error();
    }
    let long = "n".repeat(126);
    db.keyadm(&["create", "--org", "a", "--name", &long, "--count", "100"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("--count 100");
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 0);
}

#[test]
fn a_concurrent_single_create_of_one_of_the_names_never_duplicates_it() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.txt");
    // Secrets to a file: nothing waits on a full pipe while the bulk transaction is open.
    let bulk = db
        .keyadm(&[
            "create",
            "--org",
            "race",
            "--name",
            "k",
            "--count",
            "20000",
            "-q",
            "--secret-file",
            path.to_str().unwrap(),
        ])
        .spawn();
    let single = db
        .keyadm(&["create", "--org", "race", "--name", "k-19999", "-q"])
        .run();
    let bulk = bulk.wait_with_output().unwrap();
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE org = 'race' AND name = 'k-19999'"),
        1,
        "exactly one live key holds the name (bulk exit {:?}, single exit {})",
        bulk.status.code(),
        single.code
    );
    assert!(
        bulk.status.success() != (single.code == 0),
        "exactly one of the two creates wins"
    );
}

#[test]
fn a_reader_that_stops_early_leaves_no_keys_and_a_failure() {
    let db = TestDb::new();
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            r#"set -o pipefail; "$0" create --org pipe --name k --count 30000 | head -n 1 > /dev/null"#,
        ])
        .arg(crate::support::binary())
        .env("KEYADM_DATABASE_URL", &db.conninfo)
        .env("KEYADM_ACTOR", "tester")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(stderr.contains("no key was created"), "{stderr}");
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 0);
}
