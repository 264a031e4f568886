//! A server (or database) whose TimeZone is not UTC: what keyadm writes and prints must not
//! depend on it.

use crate::support::{EventJson, KeyJson, TestDb, time};

/// A keyadm database whose sessions run in New York time (DST, offset -05:00 or -04:00).
fn new_york() -> TestDb {
    let db = TestDb::new();
    db.client()
        .batch_execute(&format!(
            "ALTER DATABASE {} SET timezone = 'America/New_York'",
            db.name
        ))
        .unwrap();
    let zone: String = db
        .client()
        .query_one("SELECT current_setting('TimeZone')", &[])
        .unwrap()
        .get(0);
    assert_eq!(zone, "America/New_York", "sessions of the test database");
    db
}

fn show(db: &TestDb, key: &str) -> KeyJson {
    db.keyadm(&["show", key, "--json"]).run().success().json()
}

fn events(db: &TestDb, key: &str) -> Vec<EventJson> {
    db.keyadm(&["audit", key, "--json"]).run().success().json()
}

/// Moves one of a key's times back by `by` (an SQL interval).
fn backdate(db: &TestDb, id: &str, column: &str, by: &str) {
    db.client()
        .execute(
            &format!(
                "UPDATE keyadm.api_keys SET {column} = {column} - $2::text::interval WHERE id = $1::text::uuid"
            ),
            &[&id, &by],
        )
        .unwrap();
}

fn detail<'a>(event: &'a EventJson, field: &str) -> &'a str {
    event.detail[field]
        .as_str()
        .unwrap_or_else(|| panic!("{} event has no {field}: {}", event.action, event.detail))
}

#[test]
fn event_details_give_times_in_utc_as_keys_print_them() {
    let db = new_york();

    // created (one key and --count) and rotated: each detail's expiry is the key's, as printed.
    let a = db.create("acme", "a", &["--expires-in", "30d"]).key;
    let created = &events(&db, &a.id)[0];
    assert_eq!(created.action, "created");
    assert_eq!(Some(detail(created, "expires_at")), a.expires_at.as_deref());
    // Sub-second digits as chrono prints them: none, 3 or 6.
    let ms = db
        .create(
            "acme",
            "ms",
            &["--expires-at", "2027-01-01T12:00:00.250+01:00"],
        )
        .key;
    assert_eq!(ms.expires_at.as_deref(), Some("2027-01-01T11:00:00.250Z"));
    assert_eq!(
        detail(&events(&db, &ms.id)[0], "expires_at"),
        "2027-01-01T11:00:00.250Z"
    );
    let out = db
        .keyadm(&[
            "create",
            "--org",
            "acme",
            "--name",
            "n",
            "--count",
            "2",
            "--json",
            "--expires-at",
            "2027-01-01",
        ])
        .run()
        .success();
    let many: Vec<KeyJson> = out.json_lines();
    assert_eq!(many.len(), 2);
    for key in &many {
        assert_eq!(key.expires_at.as_deref(), Some("2027-01-01T00:00:00Z"));
        assert_eq!(
            detail(&events(&db, &key.id)[0], "expires_at"),
            "2027-01-01T00:00:00Z"
        );
    }
    let successor: KeyJson = db
        .keyadm(&["rotate", &a.id, "--grace", "1h", "--json"])
        .run()
        .success()
        .json();
    let old = show(&db, &a.id);
    let rotated = &events(&db, &a.id)[0];
    assert_eq!(rotated.action, "rotated");
    assert_eq!(
        Some(detail(rotated, "expires_at")),
        old.expires_at.as_deref()
    );
    let created = &events(&db, &successor.id)[0];
    assert_eq!(
        Some(detail(created, "expires_at")),
        successor.expires_at.as_deref()
    );

    // expired: the expiry the sweep set.
    let b = db.create("acme", "b", &[]).key;
    backdate(&db, &b.id, "created_at", "2 days");
    db.keyadm(&["expire", "--older-than", "1d", "--grace", "7d", "--yes"])
        .run()
        .success();
    let expired = &events(&db, &b.id)[0];
    assert_eq!(expired.action, "expired");
    assert_eq!(
        Some(detail(expired, "expires_at")),
        show(&db, &b.id).expires_at.as_deref()
    );

    // pruned: the revocation and expiry of a key that is gone.
    db.keyadm(&["revoke", &b.id, "--yes"]).run().success();
    backdate(&db, &b.id, "revoked_at", "40 days");
    let dead = show(&db, &b.id);
    db.keyadm(&["prune", "--dead-for", "30d", "--yes"])
        .run()
        .success();
    let pruned = &events(&db, &b.id)[0];
    assert_eq!(pruned.action, "pruned");
    assert_eq!(
        Some(detail(pruned, "revoked_at")),
        dead.revoked_at.as_deref()
    );
    assert_eq!(
        Some(detail(pruned, "expires_at")),
        dead.expires_at.as_deref()
    );
    time(detail(pruned, "revoked_at"));
}

#[test]
fn a_rotated_key_keeps_its_lifetime_across_a_change_of_daylight_saving_time() {
    let db = new_york();
    // A lifetime in whole days over which New York's offset changes, starting now.
    let days: i32 = db
        .client()
        .query_one(
            "SELECT min(d) FROM generate_series(30, 360, 30) d
             WHERE (now() + d * interval '1 day') - now() <> d * interval '24 hours'",
            &[],
        )
        .unwrap()
        .get(0);
    let lifetime = chrono::Duration::days(days.into());
    let old = db
        .create("acme", "a", &["--expires-in", &format!("{days}d")])
        .key;
    assert_eq!(
        time(old.expires_at.as_deref().unwrap()) - time(&old.created_at),
        lifetime
    );
    let successor: KeyJson = db.keyadm(&["rotate", "a", "--json"]).run().success().json();
    assert_eq!(
        time(successor.expires_at.as_deref().unwrap()) - time(&successor.created_at),
        lifetime,
        "a {days}-day lifetime across a change of offset"
    );
}
