use crate::support::{KeyJson, Output, TestDb, time};

#[derive(Debug, serde::Deserialize)]
struct SweepJson {
    action: String,
    dry_run: bool,
    keys: Vec<KeyJson>,
    count: u64,
}

fn backdate(db: &TestDb, id: &str, column: &str, days: i32) {
    db.client()
        .execute(
            &format!("UPDATE keyadm.api_keys SET {column} = now() - make_interval(days => $2) WHERE id = $1::text::uuid"),
            &[&id, &days],
        )
        .unwrap();
}

fn expired_events(db: &TestDb) -> i64 {
    db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'expired'")
}

#[test]
fn expire_by_age_sets_the_expiry_and_logs_the_policy() {
    let db = TestDb::new();
    let old = db.create("acme", "old", &[]).key;
    let young = db.create("acme", "young", &[]).key;
    let theirs = db.create("other", "old", &[]).key;
    backdate(&db, &old.id, "created_at", 40);
    backdate(&db, &theirs.id, "created_at", 40);

    let report: SweepJson = db
        .keyadm(&[
            "expire",
            "--older-than",
            "30d",
            "--org",
            "acme",
            "--yes",
            "--json",
            "--actor",
            "cron",
        ])
        .run()
        .success()
        .json();
    assert_eq!(
        (report.action.as_str(), report.dry_run, report.count),
        ("expire", false, 1)
    );
    assert_eq!(report.keys[0].id, old.id);
    assert_eq!(report.keys[0].status, "expired");
    let statuses: Vec<KeyJson> = db
        .keyadm(&["list", "--json", "--status", "all"])
        .run()
        .success()
        .json();
    let status = |id: &str| statuses.iter().find(|k| k.id == id).unwrap().status.clone();
    assert_eq!(
        (status(&old.id), status(&young.id), status(&theirs.id)),
        ("expired".into(), "active".into(), "active".into())
    );
    let event = db
        .client()
        .query_one(
            "SELECT e.actor, e.detail->>'policy', (e.detail->>'threshold_seconds')::float8,
                    (e.detail->>'expires_at')::timestamptz = k.expires_at, e.key_id::text
             FROM keyadm.key_events e JOIN keyadm.api_keys k ON k.id = e.key_id
             WHERE e.action = 'expired'",
            &[],
        )
        .unwrap();
    assert_eq!(event.get::<_, String>(0), "cron");
    assert_eq!(event.get::<_, String>(1), "older_than");
    assert_eq!(event.get::<_, f64>(2), 30.0 * 86400.0);
    assert!(
        event.get::<_, bool>(3),
        "the event records the expiry the key got"
    );
    assert_eq!(event.get::<_, String>(4), old.id);
}

#[test]
fn expire_by_disuse_uses_last_use_else_creation() {
    let db = TestDb::new();
    let idle = db.create("acme", "idle", &[]).key;
    let busy = db.create("acme", "busy", &[]).key;
    let never = db.create("acme", "never-used", &[]).key;
    let fresh = db.create("acme", "fresh", &[]).key;
    for key in [&idle, &busy, &never] {
        backdate(&db, &key.id, "created_at", 100);
    }
    backdate(&db, &idle.id, "last_used_at", 60);
    backdate(&db, &busy.id, "last_used_at", 1);
    let report: SweepJson = db
        .keyadm(&["expire", "--unused-for", "30d", "--yes", "--json"])
        .run()
        .success()
        .json();
    let mut ids: Vec<&str> = report.keys.iter().map(|k| k.id.as_str()).collect();
    ids.sort();
    let mut expected = vec![idle.id.as_str(), never.id.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(!ids.contains(&fresh.id.as_str()) && !ids.contains(&busy.id.as_str()));
}

#[test]
fn grace_delays_the_expiry_and_a_rerun_changes_nothing() {
    let db = TestDb::new();
    let key = db.create("acme", "old", &[]);
    backdate(&db, &key.key.id, "created_at", 40);
    let report: SweepJson = db
        .keyadm(&[
            "expire",
            "--older-than",
            "30d",
            "--grace",
            "2d",
            "--yes",
            "--json",
        ])
        .run()
        .success()
        .json();
    let expires = time(report.keys[0].expires_at.as_deref().unwrap());
    let left = expires - chrono::Utc::now();
    assert!((left.num_seconds() - 2 * 86400).abs() < 60, "{left}");
    assert_eq!(report.keys[0].status, "active");
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM keyadm.key_events e JOIN keyadm.api_keys k ON k.id = e.key_id
             WHERE e.action = 'expired' AND (e.detail->>'grace_seconds')::float8 = 172800
               AND (e.detail->>'expires_at')::timestamptz = k.expires_at"
        ),
        1,
        "the event records the expiry the key got, grace included"
    );
    db.keyadm(&["check"]).stdin(&key.secret).run().success();

    let again: SweepJson = db
        .keyadm(&[
            "expire",
            "--older-than",
            "30d",
            "--grace",
            "2d",
            "--yes",
            "--json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(again.count, 0);
    assert_eq!(expired_events(&db), 1);
}

#[test]
fn an_earlier_expiry_is_never_extended() {
    let db = TestDb::new();
    let key = db.create("acme", "soon", &["--expires-in", "1h"]).key;
    backdate(&db, &key.id, "created_at", 40);
    let report: SweepJson = db
        .keyadm(&[
            "expire",
            "--older-than",
            "30d",
            "--grace",
            "7d",
            "--yes",
            "--json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(report.count, 0);
    let shown: crate::support::DetailJson = db
        .keyadm(&["show", "--json", &key.id])
        .run()
        .success()
        .json();
    assert_eq!(shown.key.expires_at, key.expires_at);
}

#[test]
fn dry_run_and_unconfirmed_runs_change_nothing() {
    let db = TestDb::new();
    let key = db.create("acme", "old", &[]).key;
    backdate(&db, &key.id, "created_at", 40);
    let before = db.dump_text("api_keys") + &db.dump_text("key_events");
    let report: SweepJson = db
        .keyadm(&["expire", "--older-than", "30d", "--dry-run", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(
        (report.dry_run, report.count, report.keys[0].id.as_str()),
        (true, 1, key.id.as_str())
    );
    let table = db
        .keyadm(&["expire", "--older-than", "30d", "--dry-run"])
        .run()
        .success();
    assert!(
        table.stdout.contains(&key.start)
            && table.stdout.contains("Would set to expire: 1 key(s)."),
        "{}",
        table.stdout
    );
    db.keyadm(&["expire", "--older-than", "30d"])
        .run()
        .code(5)
        .one_line_error();
    assert_eq!(
        db.dump_text("api_keys") + &db.dump_text("key_events"),
        before
    );
    db.keyadm(&["expire", "--org", "acme"]).run().code(2);
    db.keyadm(&["expire", "--older-than", "1d", "--unused-for", "1d"])
        .run()
        .code(2);
}

/// Seeds `count` keys created 40 days ago, directly in SQL.
pub fn seed_old_keys(db: &TestDb, count: i32) {
    db.client()
        .execute(
            "INSERT INTO keyadm.api_keys (id, org, name, prefix, start, key_hash, created_by, created_at)
             SELECT gen_random_uuid(), 'bulk', 'k' || i, 'sk', 'sk_' || lpad(to_hex(i), 8, '0'),
                    sha256(i::text::bytea), 'seed', now() - interval '40 days'
             FROM generate_series(1, $1) i",
            &[&count],
        )
        .unwrap();
}

#[test]
fn two_overlapping_runs_expire_each_key_exactly_once_in_bounded_batches() {
    let db = TestDb::new();
    seed_old_keys(&db, 20_000);
    let run = db.keyadm(&["expire", "--older-than", "30d", "--yes", "--json"]);
    let (a, b) = (run.spawn(), run.spawn());
    let reports: Vec<SweepJson> = [a, b]
        .into_iter()
        .map(|child| {
            Output::from(child.wait_with_output().unwrap())
                .success()
                .json()
        })
        .collect();
    assert_eq!(reports[0].count + reports[1].count, 20_000);
    let row = db
        .client()
        .query_one("SELECT count(*), count(DISTINCT key_id) FROM keyadm.key_events WHERE action = 'expired'", &[])
        .unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        (20_000, 20_000)
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE expires_at IS NULL"),
        0
    );
    // Rows written by one transaction share its xmin: no transaction changed more than a batch.
    let largest = db.scalar(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM keyadm.api_keys GROUP BY xmin::text) t",
    );
    assert!(largest <= 1000, "one transaction changed {largest} keys");
}

#[test]
fn overlapping_expire_and_prune_runs_over_50k_keys_act_once_per_key() {
    let db = TestDb::new();
    seed_old_keys(&db, 50_000);
    // Half the keys are long dead (for prune); the other half are old and active (for expire).
    db.client()
        .batch_execute("UPDATE keyadm.api_keys SET revoked_at = now() - interval '40 days' WHERE name LIKE '%0' OR name LIKE '%2' OR name LIKE '%4' OR name LIKE '%6' OR name LIKE '%8'")
        .unwrap();
    let expire = db.keyadm(&["expire", "--older-than", "30d", "--yes", "--quiet"]);
    let prune = db.keyadm(&["prune", "--dead-for", "30d", "--yes", "--quiet"]);
    let children = vec![expire.spawn(), prune.spawn(), expire.spawn(), prune.spawn()];
    for child in children {
        Output::from(child.wait_with_output().unwrap()).success();
    }
    let count = |action: &str| -> (i64, i64) {
        let row = db
            .client()
            .query_one(
                "SELECT count(*), count(DISTINCT key_id) FROM keyadm.key_events WHERE action = $1",
                &[&action],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(count("expired"), (25_000, 25_000));
    assert_eq!(count("pruned"), (25_000, 25_000));
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 25_000);
}
