use crate::support::{KeyJson, TestDb, time};

#[derive(Debug, serde::Deserialize)]
struct UpdatedJson {
    #[serde(flatten)]
    key: KeyJson,
    changes: serde_json::Map<String, serde_json::Value>,
}

fn update(db: &TestDb, args: &[&str]) -> UpdatedJson {
    let mut all = vec!["update", "--json"];
    all.extend_from_slice(args);
    db.keyadm(&all).run().success().json()
}

#[test]
fn update_changes_each_field_and_records_old_and_new() {
    let db = TestDb::new();
    let key = db.create(
        "acme",
        "svc",
        &[
            "--scope", "read", "--scope", "write", "--meta", "team=a", "--meta", "tmp=1",
        ],
    );
    let out = update(
        &db,
        &[
            "svc",
            "--name",
            "svc-v2",
            "--add-scope",
            "admin",
            "--remove-scope",
            "write",
            "--meta",
            "team=b",
            "--unset-meta",
            "tmp",
            "--expires-in",
            "30d",
            "--actor",
            "dana",
        ],
    );
    assert_eq!(out.key.name, "svc-v2");
    assert_eq!(out.key.scopes, vec!["admin", "read"]);
    assert_eq!(
        serde_json::Value::Object(out.key.metadata.clone()),
        serde_json::json!({"team": "b"})
    );
    let left = time(out.key.expires_at.as_deref().unwrap()) - chrono::Utc::now();
    assert!((left.num_seconds() - 30 * 86400).abs() < 60);
    assert_eq!(
        out.changes["name"],
        serde_json::json!({"old": "svc", "new": "svc-v2"})
    );
    assert_eq!(
        out.changes["scopes"]["old"],
        serde_json::json!(["read", "write"])
    );

    let event = db
        .client()
        .query_one(
            "SELECT actor, detail FROM keyadm.key_events WHERE action = 'updated'",
            &[],
        )
        .unwrap();
    assert_eq!(event.get::<_, String>(0), "dana");
    let detail: serde_json::Value = event.get(1);
    assert_eq!(
        detail["metadata"]["old"],
        serde_json::json!({"team": "a", "tmp": "1"})
    );
    assert!(!detail.to_string().contains(&key.secret[3..]));

    let cleared = update(&db, &[&key.key.id, "--no-expiry"]);
    assert_eq!(cleared.key.expires_at, None);
    db.keyadm(&["check"]).stdin(&key.secret).run().success();
}

#[test]
fn an_update_that_changes_nothing_writes_nothing() {
    let db = TestDb::new();
    db.create("acme", "svc", &["--scope", "read"]);
    let out = update(&db, &["svc", "--add-scope", "read"]);
    assert!(out.changes.is_empty());
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'updated'"),
        0
    );
    db.keyadm(&["update", "svc"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("nothing to change");
    db.keyadm(&["update", "svc", "--add-scope", "x", "--remove-scope", "x"])
        .run()
        .code(2);
    db.keyadm(&["update", "svc", "--meta", "env=prod", "--meta", "env=dev"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("metadata key 'env' is given two values");
    // The same pair twice is one change.
    let out = update(&db, &["svc", "--meta", "env=prod", "--meta", "env=prod"]);
    assert_eq!(out.key.metadata["env"], "prod");
    db.keyadm(&["update", "svc", "--expires-at", "2001-01-01"])
        .run()
        .code(2);
}

#[test]
fn dead_keys_and_taken_names_are_refused() {
    let db = TestDb::new();
    let revoked = db.create("acme", "r", &[]).key;
    db.keyadm(&["revoke", &revoked.id, "--yes"]).run().success();
    let expired = db.create("acme", "e", &[]).key;
    db.client()
        .execute("UPDATE keyadm.api_keys SET expires_at = now() - interval '1 s' WHERE id = $1::text::uuid", &[&expired.id])
        .unwrap();
    for id in [&revoked.id, &expired.id] {
        db.keyadm(&["update", id, "--add-scope", "x"])
            .run()
            .code(4)
            .one_line_error();
    }
    db.create("acme", "taken", &[]);
    let other = db.create("acme", "free", &[]).key;
    db.keyadm(&["update", &other.id, "--name", "taken"])
        .run()
        .code(4)
        .one_line_error()
        .stderr_has("taken");
    // A key superseded by a rotation (still live in its grace) keeps its rotation's name:
    // renamed, its successor would carry the old name and the lineage two.
    let old = db.create("acme", "rotating", &[]).key;
    db.keyadm(&["rotate", &old.id, "--grace", "1d", "-q"])
        .run()
        .success();
    db.keyadm(&["update", &old.id, "--name", "renamed"])
        .run()
        .code(4)
        .one_line_error()
        .stderr_has("was rotated (to ")
        .stderr_has(&format!(
            "hint: rename the newest key instead: `keyadm show {}`",
            old.start
        ));
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'updated'"),
        0
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE name = 'rotating'"),
        2
    );
    // Its other fields may still change (say, to narrow it for the rest of its grace).
    db.keyadm(&["update", &old.id, "--add-scope", "read"])
        .run()
        .success();
}

#[test]
fn removing_a_scope_or_metadata_key_the_key_lacks_warns_and_changes_only_the_rest() {
    let db = TestDb::new();
    let key = db
        .create("acme", "svc", &["--scope", "admin", "--meta", "team=a"])
        .key;
    // A typo: the admin scope stays, and the operator must hear of it.
    let out = db
        .keyadm(&[
            "update",
            "svc",
            "--remove-scope",
            "admn",
            "--unset-meta",
            "taem",
            "--add-scope",
            "read",
            "--json",
        ])
        .run()
        .success();
    let label = format!("{} (acme/svc)", key.start);
    assert_eq!(
        out.stderr,
        format!(
            "keyadm: warning: {label} had no scope \"admn\" to remove\n\
             keyadm: warning: {label} had no metadata key \"taem\" to unset\n"
        )
    );
    let updated: UpdatedJson = out.json();
    assert_eq!(updated.key.scopes, ["admin", "read"]);
    assert_eq!(updated.key.metadata["team"], "a");

    // What the key had is taken away without a word; so is all of it under --quiet.
    let out = db
        .keyadm(&[
            "update",
            "svc",
            "--remove-scope",
            "admin",
            "--unset-meta",
            "team",
        ])
        .run()
        .success();
    assert_eq!(out.stderr, "");
    let out = db
        .keyadm(&["update", "svc", "--remove-scope", "admin", "--quiet"])
        .run()
        .success();
    assert_eq!(out.stderr, "");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'updated'"),
        2
    );

    // A comma makes one scope of two: refused for a scope to add, not for one to take away
    // (a key made by hand may have one).
    db.keyadm(&["update", "svc", "--add-scope", "read,write"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("must not contain a comma: repeat the flag, once per scope");
    db.client()
        .execute(
            "UPDATE keyadm.api_keys SET scopes = '{\"read,write\"}' WHERE id = $1::text::uuid",
            &[&key.id],
        )
        .unwrap();
    let updated = update(&db, &["svc", "--remove-scope", "read,write"]);
    assert!(updated.key.scopes.is_empty(), "{:?}", updated.key.scopes);
}
