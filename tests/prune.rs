use crate::support::{EventJson, TestDb, reads_during};

#[derive(Debug, serde::Deserialize)]
struct SweepJson {
    dry_run: bool,
    count: u64,
}

fn set(db: &TestDb, id: &str, assignment: &str) {
    db.client()
        .execute(
            &format!("UPDATE keyadm.api_keys SET {assignment} WHERE id = $1::text::uuid"),
            &[&id],
        )
        .unwrap();
}

#[test]
fn prune_deletes_long_dead_keys_and_keeps_their_story() {
    let db = TestDb::new();
    let revoked_long_ago = db.create("acme", "r-old", &[]).key;
    let expired_long_ago = db.create("acme", "e-old", &[]).key;
    let revoked_recently = db.create("acme", "r-new", &[]).key;
    let live = db.create("acme", "live", &[]).key;
    let other_org = db.create("other", "r-old", &[]).key;
    for key in [&revoked_long_ago, &revoked_recently, &other_org] {
        db.keyadm(&["revoke", &key.id, "--yes"]).run().success();
    }
    set(
        &db,
        &revoked_long_ago.id,
        "revoked_at = now() - interval '40 days'",
    );
    set(
        &db,
        &other_org.id,
        "revoked_at = now() - interval '40 days'",
    );
    set(
        &db,
        &expired_long_ago.id,
        "expires_at = now() - interval '40 days'",
    );
    let events_before = db.scalar("SELECT count(*) FROM keyadm.key_events");

    let dry: SweepJson = db
        .keyadm(&[
            "prune",
            "--dead-for",
            "30d",
            "--org",
            "acme",
            "--dry-run",
            "--json",
        ])
        .run()
        .success()
        .json();
    assert_eq!((dry.dry_run, dry.count), (true, 2));
    db.keyadm(&["prune", "--dead-for", "30d", "--org", "acme"])
        .run()
        .code(5);
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 5);

    let done: SweepJson = db
        .keyadm(&[
            "prune",
            "--dead-for",
            "30d",
            "--org",
            "acme",
            "--yes",
            "--json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(done.count, 2);
    let left: Vec<String> = db
        .client()
        .query("SELECT id::text FROM keyadm.api_keys ORDER BY name", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left.len(), 3);
    assert!(
        left.contains(&live.id)
            && left.contains(&revoked_recently.id)
            && left.contains(&other_org.id)
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events"),
        events_before + 2
    );

    // The deleted key's history is still there, by id or by start handle.
    for ident in [&revoked_long_ago.id[..], &revoked_long_ago.start[..]] {
        let events: Vec<EventJson> = db
            .keyadm(&["audit", ident, "--json"])
            .run()
            .success()
            .json();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["pruned", "revoked", "created"], "by {ident}");
        // Each of them under the key's handle, not only those that recorded it.
        assert!(
            events
                .iter()
                .all(|e| e.key_start.as_deref() == Some(&revoked_long_ago.start[..])),
            "{events:?}"
        );
    }
    // And in the whole log, where its events are among those of live keys.
    let events: Vec<EventJson> = db.keyadm(&["audit", "--json"]).run().success().json();
    let its: Vec<&EventJson> = events
        .iter()
        .filter(|e| e.key_id == revoked_long_ago.id)
        .collect();
    assert_eq!(its.len(), 3, "{events:?}");
    assert!(
        its.iter()
            .all(|e| e.key_start.as_deref() == Some(&revoked_long_ago.start[..])),
        "{its:?}"
    );
    // Commands that act on a key say that it was deleted, and where its history is, rather
    // than that nothing matches (and that `list` would show it).
    let id = &revoked_long_ago.id;
    for args in [
        &["show", &revoked_long_ago.start[..]][..],
        &["revoke", id, "--yes"],
        &["rotate", id],
        &["update", id, "--name", "again"],
    ] {
        db.keyadm(args)
            .run()
            .code(3)
            .one_line_error()
            .stderr_has(&format!("error: key {id} was deleted; its events remain"))
            .stderr_has(&format!("hint: `keyadm audit {id}` shows its history"));
    }
    let err = db
        .keyadm(&["show", id, "--json"])
        .run()
        .code(3)
        .json_error();
    assert_eq!(err.code, "not_found");
    db.keyadm(&["show", id, "--org", "other"])
        .run()
        .code(3)
        .stderr_has("no key matches");
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 3);
    let again: SweepJson = db
        .keyadm(&[
            "prune",
            "--dead-for",
            "30d",
            "--org",
            "acme",
            "--yes",
            "--json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(again.count, 0);
}

#[test]
fn show_marks_a_pruned_predecessor_as_deleted() {
    let db = TestDb::new();
    let old = db.create("acme", "ci", &[]).key;
    db.keyadm(&["rotate", "ci"]).run().success();
    let line = |db: &TestDb| -> String {
        let out = db.keyadm(&["show", "ci"]).run().success();
        out.stdout
            .lines()
            .find(|line| line.starts_with("rotated from"))
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        line(&db),
        format!("rotated from  {} ({})", old.id, old.start)
    );
    // Its grace over (none was given), the old key is dead: prune deletes it.
    db.keyadm(&["prune", "--dead-for", "0s", "--yes"])
        .run()
        .success();
    assert_eq!(
        line(&db),
        format!("rotated from  {} (deleted; its events remain)", old.id)
    );
}

#[test]
fn prune_works_in_bounded_batches() {
    let db = TestDb::new();
    crate::expire::seed_old_keys(&db, 2500);
    db.client()
        .batch_execute("UPDATE keyadm.api_keys SET revoked_at = now() - interval '40 days'")
        .unwrap();
    let done: SweepJson = db
        .keyadm(&["prune", "--dead-for", "30d", "--yes", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(done.count, 2500);
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 0);
    assert_eq!(
        db.scalar("SELECT count(DISTINCT key_id) FROM keyadm.key_events WHERE action = 'pruned'"),
        2500
    );
    let largest = db.scalar(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM keyadm.key_events WHERE action = 'pruned' GROUP BY xmin::text) t",
    );
    assert!(largest <= 1000, "one transaction pruned {largest} keys");
}

#[test]
fn an_id_prefix_that_only_deleted_keys_share_names_them_all() {
    let db = TestDb::new();
    // Two keys that only the log still knows (as prune leaves them), one id prefix apart.
    let ids = [
        "0badcafe-0000-7000-8000-000000000001",
        "0badcafe-0000-7000-8000-000000000002",
    ];
    for id in ids {
        db.client()
            .execute(
                "INSERT INTO keyadm.key_events (key_id, org, actor, action)
                 VALUES ($1::text::uuid, 'acme', 'test', 'pruned')",
                &[&id],
            )
            .unwrap();
    }
    let out = db
        .keyadm(&["show", "0badcafe"])
        .run()
        .code(3)
        .one_line_error()
        .stderr_has("no key matches '0badcafe'; 2 deleted keys do (")
        .stderr_has("hint: `keyadm audit ID` shows a deleted key's history");
    for id in ids {
        assert!(out.stderr.contains(id), "{}", out.stderr);
    }
    // A full id names one of them.
    db.keyadm(&["show", ids[0]])
        .run()
        .code(3)
        .stderr_has(&format!("error: key {} was deleted", ids[0]));
}

#[test]
fn a_start_handle_that_matches_no_key_does_not_read_the_whole_log() {
    let db = TestDb::new();
    let gone = db.create("acme", "gone", &[]).key;
    db.keyadm(&["revoke", &gone.id, "--yes"]).run().success();
    set(&db, &gone.id, "revoked_at = now() - interval '40 days'");
    db.keyadm(&["prune", "--dead-for", "30d", "--yes"])
        .run()
        .success();
    db.client()
        .batch_execute(
            "INSERT INTO keyadm.key_events (key_id, org, actor, action, detail)
             SELECT gen_random_uuid(), 'bulk', 'seed', 'created',
                    jsonb_build_object('name', 'k' || i, 'start', 'sk_' || lpad(to_hex(i), 8, '0'))
             FROM generate_series(1, 20000) i;
             ANALYZE keyadm.key_events",
        )
        .unwrap();
    // A start handle (of a deleted key, or a typo) that no live key has is looked for among
    // the deleted keys, by every command that takes a KEY.
    let (other, by_start) = reads_during(&db, "key_events", "key_events_pruned_start", 3, || {
        for command in ["show", "audit", "revoke"] {
            db.keyadm(&[command, "sk_0badf00d", "--yes"])
                .run()
                .code(3)
                .stderr_has("no key matches 'sk_0badf00d'");
        }
    });
    assert!(
        by_start >= 3,
        "the start handle index was used {by_start} times"
    );
    assert_eq!(
        other, 0,
        "a start handle that matches nothing read the log another way"
    );
    // And the deleted key is still found by its start handle.
    db.keyadm(&["show", &gone.start])
        .run()
        .code(3)
        .stderr_has(&format!("key {} was deleted", gone.id));
    let events: Vec<EventJson> = db
        .keyadm(&["audit", &gone.start, "--json"])
        .run()
        .success()
        .json();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["pruned", "revoked", "created"]);
}
