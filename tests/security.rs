//! Secrets never leak, and the documented grants are enough and no more.

use std::process::Command;

use crate::support::{Created, Output, Run, TestDb, cluster};

/// The part of a secret after its prefix: what must never appear anywhere.
fn body(secret: &str) -> &str {
    &secret[secret.rfind('_').unwrap() + 1..]
}

#[test]
fn no_secret_reaches_the_server_log_a_dump_stderr_or_the_audit_log() {
    let db = TestDb::new();
    let log = cluster().log.as_ref().expect(
        "this test reads the server's statement log: run it against the suite's own cluster",
    );
    let mut outputs: Vec<Output> = Vec::new();
    let mut secrets: Vec<String> = Vec::new();
    let mut run = |args: &[&str], stdin: Option<&str>| -> Output {
        let mut command = db.keyadm(args);
        if let Some(stdin) = stdin {
            command = command.stdin(stdin);
        }
        let out = command.run();
        outputs.push(Output {
            code: out.code,
            stdout: String::new(),
            stderr: out.stderr.clone(),
        });
        out
    };
    let a: Created = run(&["create", "--org", "acme", "--name", "a", "--json"], None).json();
    let b: Created = run(
        &[
            "create",
            "--org",
            "acme",
            "--name",
            "b",
            "--json",
            "--expires-in",
            "1d",
        ],
        None,
    )
    .json();
    let a2: Created = run(&["rotate", "a", "--grace", "1h", "--json"], None).json();
    secrets.extend([a.secret.clone(), b.secret.clone(), a2.secret.clone()]);
    run(&["check"], Some(&a.secret)).success();
    run(&["check", "--expiring-within", "7d"], Some(&b.secret)).code(1);
    run(&["check", "--batch"], Some(&secrets.join("\n"))).success();
    run(&["revoke", &b.key.id, "--yes"], None).success();
    run(&["update", "a", "--add-scope", "x"], None).success();
    run(&["expire", "--older-than", "0s", "--yes"], None).success();
    db.client()
        .batch_execute("UPDATE keyadm.api_keys SET expires_at = now() - interval '2 days'")
        .unwrap();
    run(&["prune", "--dead-for", "1d", "--yes"], None).success();
    run(&["audit"], None).success();

    let server_log = std::fs::read_to_string(log).unwrap();
    let dump = Command::new("pg_dump")
        .arg(&db.conninfo)
        .output()
        .expect("pg_dump");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dump = String::from_utf8_lossy(&dump.stdout);
    let events = db.dump_text("key_events");
    assert!(
        events.contains("pruned") && events.contains("rotated"),
        "the scenario did not run"
    );
    for secret in &secrets {
        let hidden = body(secret);
        assert!(
            !server_log.contains(hidden),
            "a secret is in the server's statement log"
        );
        assert!(!dump.contains(hidden), "a secret is in pg_dump's output");
        assert!(!events.contains(hidden), "a secret is in key_events");
        for out in &outputs {
            assert!(
                !out.stderr.contains(hidden),
                "a secret is on stderr: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn the_documented_operator_grants_run_every_command() {
    let db = TestDb::new();
    let role = format!("{}_ops", db.name);
    let grants = readme_operator_grants().replace("keyadm_ops", &role);
    db.client()
        .batch_execute(&format!("CREATE ROLE {role} LOGIN; {grants}"))
        .unwrap();
    let ops = |args: &[&str]| -> Run {
        db.keyadm(args).env(
            "KEYADM_DATABASE_URL",
            Some(&format!("{} user={role}", db.conninfo)),
        )
    };
    let key: Created = ops(&["create", "--org", "acme", "--name", "ci", "--json"])
        .run()
        .success()
        .json();
    ops(&["list"]).run().success();
    ops(&["show", "ci"]).run().success();
    ops(&["check"]).stdin(&key.secret).run().success();
    ops(&["check", "--batch"])
        .stdin(&key.secret)
        .run()
        .success();
    ops(&["update", "ci", "--meta", "k=v"]).run().success();
    ops(&["rotate", "ci", "--grace", "1h"]).run().success();
    ops(&["audit"]).run().success();
    ops(&["expire", "--older-than", "0s", "--yes"])
        .run()
        .success();
    ops(&["revoke", &key.key.id, "--yes"]).run().success();
    ops(&["prune", "--dead-for", "0s", "--yes"]).run().success();
    ops(&["doctor"]).run().success();
    // ...and they do not let the operator rewrite history or change the schema.
    let mut client =
        postgres::Client::connect(&format!("{} user={role}", db.conninfo), postgres::NoTls)
            .unwrap();
    assert!(
        client
            .batch_execute("DELETE FROM keyadm.key_events")
            .is_err()
    );
    assert!(client.batch_execute("DROP TABLE keyadm.api_keys").is_err());
}

/// The GRANT statements in the README's "Roles and grants" section.
fn readme_operator_grants() -> String {
    crate::support::readme_sql("-- operator grants")
}

#[test]
fn a_secret_argument_works_but_warns() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]);
    let out = Run::new(&["check", &key.secret])
        .env("KEYADM_DATABASE_URL", Some(&db.conninfo))
        .run()
        .success();
    assert!(
        out.stderr.contains("warning") && out.stderr.contains("stdin"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(body(&key.secret)));
    // A secret typed where it does not belong is not echoed back in the usage error (a CI
    // log keeps stderr): it was, whole.
    for args in [
        &["check", "extra", &key.secret][..],
        &["list", "--limit", &key.secret],
        &["audit", "--since", &key.secret],
    ] {
        let out = Run::new(args)
            .env("KEYADM_DATABASE_URL", Some(&db.conninfo))
            .run()
            .code(2)
            .one_line_error()
            .stderr_has(&format!("'{}…'", key.key.start));
        assert!(!out.stderr.contains(body(&key.secret)), "{}", out.stderr);
    }
}

/// Runs `args`, which hold `key`'s secret, and asserts a usage error that names the key by its
/// start handle in `message` (its `{}`) and never shows the secret.
#[track_caller]
fn refused_without_showing(db: &TestDb, args: &[&str], key: &Created, message: &str) {
    let out = db
        .keyadm(args)
        .run()
        .code(2)
        .one_line_error()
        .stderr_has(&message.replace("{}", &key.key.start));
    assert!(!out.stderr.contains(body(&key.secret)), "{}", out.stderr);
}

#[test]
fn a_secret_given_as_a_label_metadata_or_reason_is_refused_and_never_stored() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]);
    let quoted = format!("leaked in a CI log: {}", key.secret);
    let meta = format!("token={}", key.secret);
    // These stored the secret, showed it in every listing and copied it into the audit log.
    for args in [
        &["revoke", &key.key.id, "--reason", &quoted, "--yes"][..],
        &[
            "create", "--org", "acme", "--name", "other", "--meta", &meta,
        ],
        &["create", "--org", "acme", "--name", &key.secret],
        &["update", &key.key.id, "--meta", &meta],
        &["revoke", &key.key.id, "--yes", "--actor", &key.secret],
    ] {
        refused_without_showing(
            &db,
            args,
            &key,
            "holds a secret ({}…), and keyadm never stores one",
        );
    }
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 1);
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NULL AND metadata = '{}'"
        ),
        1
    );
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.key_events"), 1);
    // Its start handle is the way to name it.
    db.keyadm(&[
        "revoke",
        &key.key.id,
        "--reason",
        &format!("leaked: {}", key.key.start),
        "--yes",
    ])
    .run()
    .success();
}

#[test]
fn a_secret_given_as_an_org_to_look_for_is_refused_before_it_reaches_the_server() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]);
    // Sent as a query parameter, it could land in the server's statement log.
    let org = key.secret.as_str();
    for args in [
        &["list", "--org", org][..],
        &["show", "ci", "--org", org],
        &["audit", "--org", org],
        &["revoke", "--org", org, "--all", "--yes"],
        &["rotate", "ci", "--org", org],
        &["update", "ci", "--org", org, "--add-scope", "x"],
        &["expire", "--older-than", "0s", "--org", org, "--yes"],
        &["prune", "--dead-for", "0s", "--org", org, "--yes"],
    ] {
        refused_without_showing(
            &db,
            args,
            &key,
            "org holds a secret ({}…), and keyadm never sends one to the server",
        );
    }
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.key_events"), 1);
}

#[test]
fn stored_text_cannot_drive_the_terminal_of_whoever_reads_it() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;
    // Written past keyadm (an import, plain SQL): an escape sequence that would turn a
    // terminal red and set its title, a bell, and a single-byte CSI.
    let evil = "ci\u{1b}[31m\u{1b}]0;owned\u{7}\u{9b}2J";
    let mut client = db.client();
    client
        .execute(
            "UPDATE keyadm.api_keys SET name = $1, revoked_at = now(), revoked_by = $1, revoke_reason = $1 WHERE id = $2::text::uuid",
            &[&evil, &key.id],
        )
        .unwrap();
    client
        .execute(
            "INSERT INTO keyadm.key_events (key_id, org, actor, action, detail) VALUES ($1::text::uuid, 'acme', $2, 'revoked', jsonb_build_object('reason', $2::text))",
            &[&key.id, &evil],
        )
        .unwrap();
    let shown = "ci\\u{1b}[31m\\u{1b}]0;owned\\u{7}\\u{9b}2J";
    let outputs = [
        db.keyadm(&["list", "--status", "all"]).run().success(),
        db.keyadm(&["show", &key.id]).run().success(),
        db.keyadm(&["audit"]).run().success(),
        db.keyadm(&["revoke", &key.id, "--yes"]).run().success(),
    ];
    for out in &outputs {
        assert!(
            !out.stdout.contains(['\u{1b}', '\u{7}', '\u{9b}']),
            "a control character reached the terminal:\n{}",
            out.stdout.escape_debug()
        );
    }
    outputs[0].clone().stdout_has(shown);
    outputs[1]
        .clone()
        .stdout_has(&format!("by {shown}: {shown}"));
    outputs[2].clone().stdout_has("\\u{9b}");
    // Scripts get the stored text exactly (JSON escapes it its own way).
    let json: serde_json::Value = db
        .keyadm(&["show", &key.id, "--json"])
        .run()
        .success()
        .json();
    assert_eq!(json["name"], evil);
    assert_eq!(json["revoke_reason"], evil);
}

#[test]
fn a_revoke_reason_is_one_line_of_visible_text() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;
    db.keyadm(&[
        "revoke",
        &key.id,
        "--yes",
        "--reason",
        "leaked\n\u{1b}[2Jin CI",
    ])
    .run()
    .code(2)
    .one_line_error()
    .stderr_has("invalid value 'leaked\\n\\u{1b}[2Jin CI' for '--reason <TEXT>'")
    .stderr_has("U+000A");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        0
    );
}
