//! A change that has committed and whose report then cannot be written: a reader that stopped
//! early (a closed pipe) is no reason to stop the work, and a failure to write (a full disk)
//! says that the change stands, lest it be read as nothing having changed.

use crate::expire::seed_old_keys;
use crate::support::*;

/// A failure to write the report, in `format`: one error line, or under JSON one error object.
fn failed(out: Output, format: &str) -> Output {
    let out = out.code(8);
    if format == "json" {
        let error: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
        assert_eq!(error["error"]["code"], "failure", "{}", out.stderr);
        out
    } else {
        out.one_line_error()
    }
}

/// 2,500 keys created 40 days ago: three batches of a sweep.
const KEYS: i32 = 2_500;

fn expired_keys(db: &TestDb) -> (i64, i64) {
    (
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE expires_at IS NOT NULL"),
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'expired'"),
    )
}

fn kill_all_keys(db: &TestDb) {
    db.client()
        .batch_execute("UPDATE keyadm.api_keys SET revoked_at = now() - interval '40 days'")
        .unwrap();
}

fn pruned_keys(db: &TestDb) -> (i64, i64) {
    (
        db.scalar("SELECT count(*) FROM keyadm.api_keys"),
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'pruned'"),
    )
}

#[test]
fn a_sweep_into_a_closed_pipe_finishes_its_work_quietly() {
    for format in ["table", "json"] {
        let db = TestDb::new();
        seed_old_keys(&db, KEYS);
        let out = db
            .run_into_closed_pipe(&["expire", "--older-than", "30d", "--yes", "-o", format])
            .success();
        assert_eq!(out.stderr, "", "{format}");
        assert_eq!(expired_keys(&db), (KEYS.into(), KEYS.into()), "{format}");

        kill_all_keys(&db);
        let out = db
            .run_into_closed_pipe(&["prune", "--dead-for", "30d", "--yes", "-o", format])
            .success();
        assert_eq!(out.stderr, "", "{format}");
        assert_eq!(pruned_keys(&db), (0, KEYS.into()), "{format}");
    }
}

#[test]
fn a_sweep_whose_report_cannot_be_written_finishes_and_says_the_change_stands() {
    for format in ["table", "json"] {
        let db = TestDb::new();
        seed_old_keys(&db, KEYS);
        failed(
            db.run_into_full_device(&["expire", "--older-than", "30d", "--yes", "-o", format]),
            format,
        )
        .stderr_has("cannot write output: No space left on device")
        .stderr_has("; the change stands: 2500 key(s) set to expire");
        assert_eq!(expired_keys(&db), (KEYS.into(), KEYS.into()), "{format}");

        kill_all_keys(&db);
        failed(
            db.run_into_full_device(&["prune", "--dead-for", "30d", "--yes", "-o", format]),
            format,
        )
        .stderr_has("; the change stands: 2500 key(s) deleted");
        assert_eq!(pruned_keys(&db), (0, KEYS.into()), "{format}");

        // Nothing left to do: nothing is said to stand.
        let out = failed(
            db.run_into_full_device(&["prune", "--dead-for", "30d", "--yes", "-o", format]),
            format,
        );
        assert!(!out.stderr.contains("stands"), "{}", out.stderr);
    }
}

#[test]
fn revoking_an_org_whose_report_cannot_be_written_revokes_every_key() {
    let revoked = |db: &TestDb| {
        (
            db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
            db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'revoked'"),
        )
    };
    for format in ["table", "json"] {
        // Written as they come: the reader stops after the first line, the disk fills.
        let db = TestDb::new();
        seed_old_keys(&db, KEYS);
        let out = db
            .run_into_closed_pipe(&["revoke", "--org", "bulk", "--all", "--yes", "-o", format])
            .success();
        assert_eq!(out.stderr, "", "{format}");
        assert_eq!(revoked(&db), (KEYS.into(), KEYS.into()), "{format}");

        let db = TestDb::new();
        seed_old_keys(&db, KEYS);
        failed(
            db.run_into_full_device(&["revoke", "--org", "bulk", "--all", "--yes", "-o", format]),
            format,
        )
        .stderr_has("cannot write output: No space left on device")
        .stderr_has("; the change stands: 2500 key(s) revoked");
        assert_eq!(revoked(&db), (KEYS.into(), KEYS.into()), "{format}");
    }
}

#[test]
fn a_revoke_or_update_whose_report_cannot_be_written_says_the_change_stands() {
    let db = TestDb::new();
    let a = db.create("acme", "a", &[]);
    let b = db.create("acme", "b", &[]);
    db.run_into_full_device(&["revoke", &a.key.id, &b.key.id, "--yes"])
        .code(8)
        .one_line_error()
        .stderr_has("cannot write output: No space left on device")
        .stderr_has("; the change stands: 2 key(s) revoked");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        2
    );
    // Revoking a revoked key changes nothing, so nothing is said to stand.
    let out = db
        .run_into_full_device(&["revoke", &a.key.id, "--yes"])
        .code(8)
        .one_line_error();
    assert!(!out.stderr.contains("stands"), "{}", out.stderr);

    let c = db.create("acme", "c", &[]);
    db.run_into_full_device(&["update", &c.key.id, "--add-scope", "deploy"])
        .code(8)
        .one_line_error()
        .stderr_has("; the change stands: the key was updated");
    assert_eq!(
        db.scalar(&format!(
            "SELECT count(*) FROM keyadm.api_keys WHERE id = '{}' AND scopes = '{{deploy}}'",
            c.key.id
        )),
        1
    );
    let out = db
        .run_into_full_device(&["update", &c.key.id, "--add-scope", "deploy"])
        .code(8)
        .one_line_error();
    assert!(!out.stderr.contains("stands"), "{}", out.stderr);
}

#[test]
fn a_secret_file_written_before_the_report_failed_is_named() {
    let db = TestDb::new();
    let path = db.home.path().join("one.key");
    let path_text = path.display().to_string();
    db.run_into_full_device(&[
        "create",
        "--org",
        "acme",
        "--name",
        "filed",
        "--secret-file",
        &path_text,
    ])
    .code(8)
    .one_line_error()
    .stderr_has(&format!(
        "; the change stands: the key was created; its secret is in {path_text}"
    ));
    let secret = std::fs::read_to_string(&path).unwrap();
    db.keyadm(&["check", "-"]).stdin(&secret).run().success();

    let next = db.home.path().join("two.key");
    let next_text = next.display().to_string();
    db.run_into_full_device(&["rotate", "filed", "--secret-file", &next_text])
        .code(8)
        .one_line_error()
        .stderr_has(&format!(
            "; the change stands: the key was rotated; the new secret is in {next_text}"
        ));
    let secret = std::fs::read_to_string(&next).unwrap();
    db.keyadm(&["check", "-"]).stdin(&secret).run().success();

    // Many keys print their labels as they go, before the one commit: with the secrets in the
    // file, a label that cannot be written stops the labels, not the keys.
    let many = db.home.path().join("many.keys");
    let many_text = many.display().to_string();
    fn bulk<'a>(org: &'a str, count: &'a str, file: &'a str) -> [&'a str; 9] {
        [
            "create",
            "--org",
            org,
            "--name",
            "k",
            "--count",
            count,
            "--secret-file",
            file,
        ]
    }
    db.run_into_full_device(&bulk("bulk", "3", &many_text))
        .code(8)
        .one_line_error()
        .stderr_has(&format!(
            "; the change stands: 3 key(s) created; their secrets are in {many_text}"
        ));
    let secrets = std::fs::read_to_string(&many).unwrap();
    assert_eq!(secrets.lines().count(), 3);
    db.keyadm(&["check", "--batch", "-q"])
        .stdin(&secrets)
        .run()
        .success();
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE org = 'bulk'"),
        3
    );

    // A reader that stopped early: every key is made, quietly, in more than one chunk.
    let piped = db.home.path().join("piped.keys");
    let piped_text = piped.display().to_string();
    let out = db
        .run_into_closed_pipe(&bulk("piped", "12000", &piped_text))
        .success();
    assert_eq!(out.stderr, "");
    assert_eq!(
        std::fs::read_to_string(&piped).unwrap().lines().count(),
        12_000
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE org = 'piped'"),
        12_000
    );

    // Secrets on stdout that cannot be written are never handed over: no key is left.
    db.run_into_full_device(&["create", "--org", "bare", "--name", "k", "--count", "3"])
        .code(8)
        .one_line_error()
        .stderr_has("; no key was created");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE org = 'bare'"),
        0
    );
}

#[test]
fn an_init_whose_report_cannot_be_written_says_the_schema_stands() {
    let db = TestDb::empty();
    db.run_into_full_device(&["init"])
        .code(8)
        .one_line_error()
        .stderr_has("; the change stands: the schema is at version");
    db.keyadm(&["list"]).run().success();
    // A second init changes nothing.
    let out = db.run_into_full_device(&["init"]).code(8).one_line_error();
    assert!(!out.stderr.contains("stands"), "{}", out.stderr);
}
