use crate::support::{EventJson, TestDb};

fn audit(db: &TestDb, args: &[&str]) -> Vec<EventJson> {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    db.keyadm(&all).run().success().json()
}

#[test]
fn audit_lists_events_newest_first_with_filters() {
    let db = TestDb::new();
    let a = db.create("acme", "a", &["--actor", "alice"]).key;
    db.keyadm(&["rotate", "a", "--grace", "1h", "--actor", "bob"])
        .run()
        .success();
    let midpoint: String = db
        .client()
        .query_one(
            "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
            &[],
        )
        .unwrap()
        .get(0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let b = db.create("other", "b", &[]).key;

    let all = audit(&db, &[]);
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["created", "created", "rotated", "created"]);
    assert_eq!(all[0].key_id, b.id);
    let orgs: Vec<&str> = all.iter().map(|e| e.org.as_str()).collect();
    assert_eq!(orgs, ["other", "acme", "acme", "acme"]);
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at));

    let of_a = audit(&db, &[&a.id]);
    assert_eq!(
        of_a.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["rotated", "created"]
    );
    assert_eq!(of_a[0].actor, "bob");
    assert_eq!(audit(&db, &["--org", "other"]).len(), 1);
    assert_eq!(audit(&db, &["--since", &midpoint]).len(), 1);
    assert_eq!(audit(&db, &["--since", "1h"]).len(), 4);
    assert_eq!(audit(&db, &["--limit", "2"]).len(), 2);
    db.keyadm(&["audit", "--since", "yesterday-ish"])
        .run()
        .code(2)
        .one_line_error();
    db.keyadm(&["audit", "no-such-key"])
        .run()
        .code(3)
        .one_line_error();

    let table = db.keyadm(&["audit", &a.start]).run().success();
    assert!(table.stdout.starts_with("AT"), "{}", table.stdout);
    assert!(table.stdout.contains(&a.start) && table.stdout.contains("rotated"));
    // Across orgs, each line says whose key it was.
    let table = db.keyadm(&["audit"]).run().success();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines[0].contains(" KEY ") && lines[0].contains(" ORG "),
        "{}",
        table.stdout
    );
    assert!(
        lines[1].contains(&format!("{}  other  created", b.start)),
        "{}",
        table.stdout
    );
    assert!(
        lines[4].contains(&format!("{}  acme   created", a.start)),
        "{}",
        table.stdout
    );
}

#[test]
fn the_log_is_append_only() {
    let db = TestDb::new();
    db.create("acme", "a", &[]);
    let mut client = db.client();
    let err = client
        .batch_execute("UPDATE keyadm.key_events SET actor = 'mallory'")
        .unwrap_err();
    assert!(
        crate::support::db_message(&err).contains("append-only"),
        "{err}"
    );
    assert!(
        client
            .batch_execute("DELETE FROM keyadm.key_events")
            .is_err()
    );
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.key_events"), 1);
}
