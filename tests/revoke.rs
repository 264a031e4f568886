use crate::support::{KeyJson, TestDb};

fn status(db: &TestDb, id: &str) -> String {
    db.client()
        .query_one(
            "SELECT CASE WHEN revoked_at IS NULL THEN 'live' ELSE 'revoked' END FROM keyadm.api_keys WHERE id = $1::text::uuid",
            &[&id],
        )
        .unwrap()
        .get(0)
}

#[test]
fn revoke_needs_yes_without_a_terminal_and_changes_nothing() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;
    db.keyadm(&["revoke", &key.id])
        .run()
        .code(5)
        .one_line_error()
        .stderr_has("--yes");
    db.keyadm(&["revoke", &key.id, "--no-input"]).run().code(5);
    assert_eq!(status(&db, &key.id), "live");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'revoked'"),
        0
    );
}

#[test]
fn revoke_records_who_why_and_an_event_once() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;
    let revoked: Vec<KeyJson> = db
        .keyadm(&[
            "revoke",
            "ci",
            "--reason",
            "leaked in CI log",
            "--yes",
            "--json",
            "--actor",
            "bob",
        ])
        .run()
        .success()
        .json();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].status, "revoked");
    assert_eq!(
        revoked[0].revoke_reason.as_deref(),
        Some("leaked in CI log")
    );
    assert!(revoked[0].revoked_at.is_some());
    let event = db
        .client()
        .query_one(
            "SELECT actor, detail->>'reason' FROM keyadm.key_events WHERE action = 'revoked'",
            &[],
        )
        .unwrap();
    assert_eq!(
        (event.get::<_, String>(0), event.get::<_, String>(1)),
        ("bob".into(), "leaked in CI log".into())
    );

    // Again: nothing changes, no error, no second event.
    db.keyadm(&["revoke", &key.id, "--yes"])
        .run()
        .success()
        .stdout_has("Already revoked");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'revoked'"),
        1
    );

    // An empty reason (an unset shell variable) is none: null, not "".
    let other = db.create("acme", "other", &[]).key;
    let revoked: Vec<KeyJson> = db
        .keyadm(&["revoke", &other.id, "--reason", "", "--yes", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(revoked[0].revoke_reason, None);
    assert_eq!(
        db.scalar(&format!(
            "SELECT count(*) FROM keyadm.api_keys WHERE id = '{}' AND revoke_reason IS NULL \
             AND id IN (SELECT key_id FROM keyadm.key_events \
                        WHERE action = 'revoked' AND detail->'reason' = 'null')",
            other.id
        )),
        1
    );
}

#[test]
fn revoking_several_keys_is_all_or_nothing_on_unknown_keys() {
    let db = TestDb::new();
    let a = db.create("acme", "a", &[]).key;
    let b = db.create("acme", "b", &[]).key;
    db.keyadm(&["revoke", &a.id, "missing-key", "--yes"])
        .run()
        .code(3)
        .one_line_error();
    assert_eq!(status(&db, &a.id), "live");
    db.keyadm(&["revoke", &a.start, &b.id, &a.id, "--yes"])
        .run()
        .success();
    assert_eq!(
        (status(&db, &a.id), status(&db, &b.id)),
        ("revoked".into(), "revoked".into())
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'revoked'"),
        2
    );
}

#[test]
fn revoke_all_keys_of_an_org() {
    let db = TestDb::new();
    db.create("acme", "a", &[]);
    db.create("acme", "b", &[]);
    // A rotation without grace leaves an expired key: --all revokes it too.
    let expired = db.create("acme", "old", &[]).key;
    db.keyadm(&["rotate", &expired.id]).run().success();
    let other = db.create("other", "c", &[]).key;
    db.keyadm(&["revoke", "--org", "acme", "--all"])
        .run()
        .code(5);
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        0
    );
    let revoked: Vec<KeyJson> = db
        .keyadm(&["revoke", "--org", "acme", "--all", "--yes", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(revoked.len(), 4);
    assert!(revoked.iter().all(|key| key.status == "revoked"));
    assert!(revoked.iter().any(|key| key.id == expired.id));
    assert_eq!(status(&db, &other.id), "live");
    let again: Vec<KeyJson> = db
        .keyadm(&["revoke", "--org", "acme", "--all", "--json"])
        .run()
        .success()
        .json();
    assert!(
        again.is_empty(),
        "nothing left to revoke needs no confirmation"
    );
    db.keyadm(&["revoke", "--all"]).run().code(2);
}

#[test]
fn revoke_all_revokes_a_key_whose_creation_time_the_clock_has_not_reached() {
    // A row made by hand, or before the server's clock was set back: it is counted by the
    // question and must be revoked with the rest, or --all could never revoke it.
    let db = TestDb::new();
    let ahead = db.create("acme", "ahead", &[]).key;
    db.client()
        .execute(
            "UPDATE keyadm.api_keys SET created_at = now() + interval '1 day' WHERE id = $1::text::uuid",
            &[&ahead.id],
        )
        .unwrap();
    let out = db
        .keyadm(&["revoke", "--org", "acme", "--all", "--yes", "--json"])
        .run()
        .success();
    let revoked: Vec<KeyJson> = out.json();
    assert_eq!(revoked.len(), 1);
    assert_eq!(status(&db, &ahead.id), "revoked");
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

#[test]
fn a_name_that_only_revoked_expired_or_rotated_keys_have_is_named_in_the_hint() {
    let db = TestDb::new();
    let first = db.create("acme", "ci", &[]).key;
    db.keyadm(&["revoke", "ci", "--yes"]).run().success();
    // Revoking by name again: the name stands for a live key, and the hint says which it was.
    for command in [
        &["revoke", "ci", "--yes"][..],
        &["show", "ci"],
        &["audit", "ci"],
    ] {
        db.keyadm(command)
            .run()
            .code(3)
            .one_line_error()
            .stderr_has("error: no key matches 'ci'\n")
            .stderr_has(&format!(
                "hint: 'ci' names only keys that are revoked, expired or rotated: {} (acme/ci, revoked); give a start handle or id\n",
                first.start
            ));
    }
    // A rotated key in its grace is live, but the name stands for its successor.
    let old = db.create("acme", "deploy", &[]).key;
    let rotated: crate::support::Created = db
        .keyadm(&["rotate", "deploy", "--grace", "1d", "--json"])
        .run()
        .success()
        .json();
    db.keyadm(&["revoke", &rotated.key.id, "--yes"])
        .run()
        .success();
    let err = db
        .keyadm(&["show", "deploy", "--json"])
        .run()
        .code(3)
        .json_error();
    assert_eq!(
        err.hint.as_deref(),
        Some(
            format!(
                "'deploy' names only keys that are revoked, expired or rotated: {} (acme/deploy, revoked), {} (acme/deploy, rotated); give a start handle or id",
                rotated.key.start, old.start
            )
            .as_str()
        )
    );
    // A name no key ever had keeps the usual hint.
    db.keyadm(&["show", "billing"])
        .run()
        .code(3)
        .stderr_has("hint: `keyadm list --status all` shows every key and its id");
}

#[test]
fn revoking_the_newest_key_of_a_rotation_warns_of_the_earlier_ones_still_in_grace() {
    let db = TestDb::new();
    let first = db.create("acme", "ci", &[]).key;
    db.keyadm(&["rotate", "ci", "--grace", "7d"])
        .run()
        .success();
    db.keyadm(&["rotate", "ci", "--grace", "1d"])
        .run()
        .success();
    let middle: KeyJson = db
        .keyadm(&["list", "--json"])
        .run()
        .success()
        .json::<Vec<KeyJson>>()
        .into_iter()
        .find(|key| key.rotated_from.as_deref() == Some(first.id.as_str()))
        .unwrap();
    // A rotation without grace: the old key no longer works, and is not named.
    let gone = db.create("acme", "old", &[]).key;
    db.keyadm(&["rotate", "old"]).run().success();

    let out = db.keyadm(&["revoke", "ci", "--yes"]).run().success();
    let newest: Vec<KeyJson> = db
        .keyadm(&["list", "--json", "--status", "revoked"])
        .run()
        .success()
        .json();
    let newest = &newest[0];
    let warnings: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{}", out.stderr);
    for (key, line) in [&middle, &first].into_iter().zip(&warnings) {
        let lead = format!(
            "keyadm: warning: {} (acme/ci), an earlier key of {}'s rotation, still works until ",
            key.start, newest.start
        );
        let end = format!(
            "UTC: if its secret may have leaked too, `keyadm revoke {}`",
            key.start
        );
        assert!(line.starts_with(&lead) && line.ends_with(&end), "{line}");
    }

    // Revoking the middle one would name the first, still live: not under --quiet.
    let out = db
        .keyadm(&["revoke", &middle.start, "--yes", "--quiet"])
        .run()
        .success();
    assert_eq!(out.stderr, "");
    // The first does still work, and the warning's command takes it.
    assert_eq!(status(&db, &first.id), "live");
    db.keyadm(&["revoke", &first.start, "--yes"])
        .run()
        .success();
    assert_eq!(status(&db, &first.id), "revoked");

    // Revoking the rotation whose old key is already dead says nothing more.
    let out = db.keyadm(&["revoke", "old", "--yes"]).run().success();
    assert_eq!(out.stderr, "");
    assert_eq!(status(&db, &gone.id), "live", "expired, not revoked");
}
