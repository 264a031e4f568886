use crate::support::{Created, DetailJson, Output, TestDb, time};

fn rotate(db: &TestDb, args: &[&str]) -> Created {
    let mut all = vec!["rotate", "--json"];
    all.extend_from_slice(args);
    db.keyadm(&all).run().success().json()
}

fn show(db: &TestDb, ident: &str) -> DetailJson {
    db.keyadm(&["show", "--json", ident]).run().success().json()
}

#[test]
fn rotate_makes_a_successor_and_keeps_the_old_key_for_the_grace() {
    let db = TestDb::new();
    let old = db.create(
        "acme",
        "ci",
        &[
            "--scope",
            "deploy",
            "--meta",
            "team=infra",
            "--prefix",
            "sk_live",
        ],
    );
    let new = rotate(&db, &["ci", "--grace", "7d", "--actor", "carol"]);
    assert_ne!(new.secret, old.secret);
    assert!(new.secret.starts_with("sk_live_"));
    assert_eq!(
        (new.key.org.as_str(), new.key.name.as_str()),
        ("acme", "ci")
    );
    assert_eq!(new.key.scopes, old.key.scopes);
    assert_eq!(new.key.metadata, old.key.metadata);
    assert_eq!(new.key.rotated_from.as_deref(), Some(old.key.id.as_str()));
    assert_eq!(
        new.key.expires_at, None,
        "a key without lifetime gives a successor without one"
    );

    let before = show(&db, &old.key.id);
    assert_eq!(before.key.rotated_to.as_deref(), Some(new.key.id.as_str()));
    let grace = time(before.key.expires_at.as_deref().unwrap()) - time(&new.key.created_at);
    assert!((grace.num_seconds() - 7 * 86400).abs() <= 5, "{grace}");
    assert_eq!(before.chain, vec![old.key.id.clone(), new.key.id.clone()]);
    assert_eq!(before.events[0].action, "rotated");
    assert_eq!(before.events[0].actor, "carol");

    // Both secrets work during the grace; the name now means the successor.
    db.keyadm(&["check"]).stdin(&old.secret).run().success();
    db.keyadm(&["check"]).stdin(&new.secret).run().success();
    assert_eq!(show(&db, "ci").key.id, new.key.id);
    for table in ["api_keys", "key_events"] {
        assert!(!db.dump_text(table).contains(&new.secret[8..]));
    }
}

#[test]
fn rotate_without_grace_ends_the_old_key_now() {
    let db = TestDb::new();
    let old = db.create("acme", "ci", &[]);
    // The message says so, rather than "valid until" the rotation's own minute.
    let said = db.keyadm(&["rotate", &old.key.start]).run().success();
    assert!(
        said.stdout
            .lines()
            .next()
            .unwrap()
            .ends_with("; the old key no longer works."),
        "{}",
        said.stdout
    );
    let out = db
        .keyadm(&["check", "--json"])
        .stdin(&old.secret)
        .run()
        .code(1);
    assert_eq!(out.json::<crate::support::CheckJson>().reason, "expired");
}

#[test]
fn grace_never_extends_an_existing_expiry() {
    let db = TestDb::new();
    let old = db.create("acme", "ci", &["--expires-in", "1h"]);
    rotate(&db, &["ci", "--grace", "7d"]);
    assert_eq!(show(&db, &old.key.id).key.expires_at, old.key.expires_at);
}

#[test]
fn a_lifetime_carries_to_the_successor_unless_overridden() {
    let db = TestDb::new();
    db.create("acme", "ci", &["--expires-in", "30d"]);
    let new = rotate(&db, &["ci", "--grace", "1d"]);
    let life = time(new.key.expires_at.as_deref().unwrap()) - time(&new.key.created_at);
    assert!((life.num_seconds() - 30 * 86400).abs() <= 5, "{life}");
    let newer = rotate(&db, &["ci", "--expires-in", "2d"]);
    let life = time(newer.key.expires_at.as_deref().unwrap()) - time(&newer.key.created_at);
    assert!((life.num_seconds() - 2 * 86400).abs() <= 5, "{life}");
}

#[test]
fn a_lifetime_carried_past_the_year_9999_ends_there() {
    let db = TestDb::new();
    // The latest expiry keyadm takes, on a key made a day ago: its lifetime, carried on from
    // now, would pass the last time RFC 3339 can say (+10000-01-01 is not a time to parse).
    let far = db.create("acme", "far", &["--expires-at", "9999-12-31T23:59:59Z"]);
    // And a lifetime written by hand that no timestamp can hold (its interval wraps around).
    let vast = db.create("acme", "vast", &[]);
    db.client()
        .batch_execute(&format!(
            "UPDATE keyadm.api_keys SET created_at = created_at - interval '1 day' WHERE id = '{}';
             UPDATE keyadm.api_keys SET created_at = '4713-01-01 BC', expires_at = '294275-01-01'
               WHERE id = '{}'",
            far.key.id, vast.key.id
        ))
        .unwrap();
    for name in ["far", "vast"] {
        let new = rotate(&db, &[name, "--grace", "1h"]);
        assert_eq!(
            new.key.expires_at.as_deref(),
            Some("9999-12-31T23:59:59.999999Z"),
            "{name}"
        );
        let detail: serde_json::Value = db
            .client()
            .query_one(
                "SELECT detail FROM keyadm.key_events WHERE key_id = $1::text::uuid",
                &[&new.key.id],
            )
            .unwrap()
            .get(0);
        assert_eq!(detail["expires_at"], "9999-12-31T23:59:59.999999Z");
    }
    // The row written by hand reads as the years RFC 3339 can say.
    let vast = show(&db, &vast.key.id);
    assert_eq!(vast.key.created_at, "0001-01-01T00:00:00Z");
}

#[test]
fn a_successor_that_expires_before_the_old_key_gets_a_warning() {
    let db = TestDb::new();
    let old = db.create("acme", "ci", &[]);
    let out = db
        .keyadm(&[
            "rotate",
            "ci",
            "--grace",
            "30d",
            "--expires-in",
            "1d",
            "--json",
        ])
        .run()
        .success();
    let new: Created = out.json();
    let old_expires = show(&db, &old.key.id).key.expires_at.unwrap();
    let new_expires = new.key.expires_at.unwrap();
    assert!(time(&new_expires) < time(&old_expires));
    let minute = |at: &str| time(at).format("%Y-%m-%d %H:%M UTC").to_string();
    assert_eq!(
        out.stderr,
        format!(
            "keyadm: warning: the new key expires at {}, before the old one ({}): after that only the old key works\n",
            minute(&new_expires),
            minute(&old_expires)
        )
    );
    // The usual rotation, within the key's lifetime, says nothing more.
    let out = db
        .keyadm(&["rotate", "ci", "--grace", "1h", "--json"])
        .run()
        .success();
    assert_eq!(out.stderr, "");
}

#[test]
fn rotating_a_rotated_revoked_or_expired_key_is_a_conflict() {
    let db = TestDb::new();
    let rotated = db.create("acme", "a", &[]).key;
    rotate(&db, &["a", "--grace", "1d"]);
    let revoked = db.create("acme", "b", &[]).key;
    db.keyadm(&["revoke", &revoked.id, "--yes"]).run().success();
    let expired = db.create("acme", "c", &[]).key;
    db.client()
        .execute("UPDATE keyadm.api_keys SET expires_at = now() - interval '1 s' WHERE id = $1::text::uuid", &[&expired.id])
        .unwrap();
    let before = db.scalar("SELECT count(*) FROM keyadm.api_keys");
    for (id, word) in [
        (&rotated.id, "already rotated"),
        (&revoked.id, "revoked"),
        (&expired.id, "expired"),
    ] {
        db.keyadm(&["rotate", id])
            .run()
            .code(4)
            .one_line_error()
            .stderr_has(word);
    }
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), before);
}

#[test]
fn of_sixteen_concurrent_rotations_exactly_one_wins() {
    let db = TestDb::new();
    let old = db.create("acme", "ci", &[]).key;
    // Hold the key's row, so that all sixteen wait at the same point, then let them go at once.
    let mut holder = db.client();
    let mut hold = holder.transaction().unwrap();
    hold.execute(
        "SELECT 1 FROM keyadm.api_keys WHERE id = $1::text::uuid FOR UPDATE",
        &[&old.id],
    )
    .unwrap();
    let run = db.keyadm(&["rotate", &old.id, "--grace", "1h"]);
    let children: Vec<_> = (0..16).map(|_| run.spawn()).collect();
    db.wait_for_lock_waiters(16);
    hold.commit().unwrap();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| Output::from(c.wait_with_output().unwrap()))
        .collect();
    let winners = outputs.iter().filter(|o| o.code == 0).count();
    let losers: Vec<&Output> = outputs.iter().filter(|o| o.code != 0).collect();
    assert_eq!(winners, 1, "{outputs:#?}");
    for loser in losers {
        assert_eq!(loser.code, 4, "{loser:?}");
        assert!(loser.stderr.contains("already rotated"), "{}", loser.stderr);
    }
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 2);
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'rotated'"),
        1
    );
}

#[test]
fn revoke_racing_rotate_ends_in_one_consistent_state() {
    for round in 0..6 {
        let db = TestDb::new();
        let old = db.create("acme", &format!("race{round}"), &[]).key;
        let rotate = db.keyadm(&["rotate", &old.id, "--grace", "1h"]).spawn();
        let revoke = db.keyadm(&["revoke", &old.id, "--yes"]).spawn();
        let rotate = Output::from(rotate.wait_with_output().unwrap());
        let revoke = Output::from(revoke.wait_with_output().unwrap());
        revoke.success();
        let row = db
            .client()
            .query_one(
                "SELECT revoked_at IS NOT NULL, rotated_to::text,
                        (SELECT count(*) FROM keyadm.api_keys WHERE rotated_from = $1::text::uuid)
                 FROM keyadm.api_keys WHERE id = $1::text::uuid",
                &[&old.id],
            )
            .unwrap();
        let (revoked, rotated_to, successors): (bool, Option<String>, i64) =
            (row.get(0), row.get(1), row.get(2));
        assert!(revoked, "the revoke was lost");
        match rotate.code {
            // Rotation first: the successor stands (it has its own secret); the old key is revoked.
            0 => assert!(
                rotated_to.is_some() && successors == 1,
                "{rotated_to:?} {successors}"
            ),
            // Revocation first: the rotation was refused and made nothing.
            4 => assert!(
                rotated_to.is_none() && successors == 0,
                "{rotated_to:?} {successors}"
            ),
            other => panic!("rotate exited {other}: {}", rotate.stderr),
        }
    }
}

#[test]
fn a_new_secret_that_cannot_be_printed_rotates_nothing() {
    let db = TestDb::new();
    let old = db.create("acme", "svc", &[]);
    let args = ["rotate", &old.key.start, "--grace", "1d"];
    db.run_into_closed_pipe(&args)
        .code(8)
        .one_line_error()
        .stderr_has("nothing was rotated");
    db.run_into_full_device(&args)
        .code(8)
        .one_line_error()
        .stderr_has("No space left on device")
        .stderr_has("; nothing was rotated");
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 1);
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM keyadm.api_keys WHERE expires_at IS NULL AND rotated_to IS NULL"
        ),
        1
    );
    db.keyadm(&["check"]).stdin(&old.secret).run().success();
}

#[test]
fn the_new_secret_can_go_to_a_new_private_file() {
    let db = TestDb::new();
    let old = db.create("acme", "svc", &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("next.txt");
    let path_text = path.to_str().unwrap();
    let out = db
        .keyadm(&[
            "rotate",
            &old.key.start,
            "--grace",
            "1d",
            "--secret-file",
            path_text,
            "--json",
        ])
        .run()
        .success();
    let json: serde_json::Value = out.json();
    assert!(
        json.get("secret").is_none(),
        "secret printed despite --secret-file: {json}"
    );
    assert_eq!(json["secret_file"], path_text);
    assert_eq!(crate::support::mode(&path), 0o600);
    let secret = std::fs::read_to_string(&path).unwrap();
    assert!(!out.stdout.contains(secret.trim()));
    let checked: serde_json::Value = db
        .keyadm(&["check", "--json"])
        .stdin(&secret)
        .run()
        .success()
        .json();
    assert_eq!(checked["key"]["id"], json["id"]);
    assert_eq!(
        checked["key"]["rotated_from"].as_str(),
        Some(&old.key.id[..])
    );

    // The table says where the secret went and does not print it.
    let path = dir.path().join("after.txt");
    let rotate_into = |path: &std::path::Path| {
        db.keyadm(&[
            "rotate",
            "svc",
            "--org",
            "acme",
            "--secret-file",
            path.to_str().unwrap(),
        ])
        .run()
    };
    let out = rotate_into(&path).success().stdout_has(&format!(
        "Secret written to {} (mode 0600).",
        path.display()
    ));
    let secret = std::fs::read_to_string(&path).unwrap();
    assert!(!out.stdout.contains(secret.trim()));

    // An existing file is never overwritten, and then nothing is rotated.
    let before = db.dump_text("api_keys");
    rotate_into(&path)
        .code(2)
        .one_line_error()
        .stderr_has("already exists");
    assert_eq!(db.dump_text("api_keys"), before);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), secret);
}

#[test]
fn a_refused_rotation_leaves_no_secret_file() {
    let db = TestDb::new();
    let old = db.create("acme", "svc", &[]);
    rotate(&db, &[&old.key.id]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("next.txt");
    db.keyadm(&[
        "rotate",
        &old.key.id,
        "--secret-file",
        path.to_str().unwrap(),
    ])
    .run()
    .code(4)
    .stderr_has("already rotated");
    assert!(!path.exists());
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 2);
}
