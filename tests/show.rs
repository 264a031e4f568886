use crate::support::{DetailJson, KeyJson, TestDb, reads_during};

fn show(db: &TestDb, args: &[&str]) -> DetailJson {
    let mut all = vec!["show", "--json"];
    all.extend_from_slice(args);
    db.keyadm(&all).run().success().json()
}

#[test]
fn a_key_is_found_by_id_prefix_start_or_name() {
    let db = TestDb::new();
    let key = db.create("acme", "ci-deploy", &["--actor", "alice"]).key;
    let compact: String = key.id.replace('-', "");
    for ident in [
        &key.id[..],
        &key.id[..23],
        &compact[..20],
        &key.start[..],
        "ci-deploy",
    ] {
        let shown = show(&db, &[ident]);
        assert_eq!(shown.key, key, "by {ident}");
    }
    let shown = show(&db, &["ci-deploy"]);
    assert_eq!(shown.chain, vec![key.id.clone()]);
    assert_eq!(shown.events.len(), 1);
    assert_eq!(shown.events[0].action, "created");
    assert_eq!(shown.events[0].actor, "alice");
    assert_eq!(shown.events[0].key_id, key.id);
    assert!(shown.events[0].id > 0);
    crate::support::time(&shown.events[0].at);
    assert_eq!(shown.events[0].detail["start"], key.start.as_str());
}

#[test]
fn show_table_names_every_field() {
    let db = TestDb::new();
    let key = db.create("acme", "ci-deploy", &["--scope", "deploy"]).key;
    let out = db.keyadm(&["show", &key.start]).run().success();
    for text in [
        &key.id[..],
        "acme",
        "ci-deploy",
        "active",
        "deploy",
        "Recent events",
        "created",
    ] {
        assert!(out.stdout.contains(text), "missing {text}:\n{}", out.stdout);
    }
}

#[test]
fn an_unknown_key_exits_3() {
    let db = TestDb::new();
    db.create("acme", "ci", &[]);
    for ident in [
        "nope",
        "sk_00000000",
        "00000000",
        "00000000-0000-0000-0000-000000000000",
    ] {
        db.keyadm(&["show", ident]).run().code(3).one_line_error();
    }
    let err = db
        .keyadm(&["show", "nope", "--json"])
        .run()
        .code(3)
        .json_error();
    assert_eq!(err.code, "not_found");
    assert!(err.message.contains("nope"));
    db.keyadm(&["show", "ci", "--org", "other"]).run().code(3);
}

#[test]
fn an_ambiguous_key_exits_4_and_lists_the_candidates() {
    let db = TestDb::new();
    let a = db.create("acme", "shared", &[]).key;
    let b = db.create("other", "shared", &[]).key;
    let out = db
        .keyadm(&["show", "shared"])
        .run()
        .code(4)
        .one_line_error();
    assert!(
        out.stderr.contains(&a.start) && out.stderr.contains(&b.start),
        "{}",
        out.stderr
    );
    assert_eq!(show(&db, &["shared", "--org", "other"]).key.id, b.id);
    // Version 7 ids made within the same minute share their first 8 characters.
    if a.id[..8] == b.id[..8] {
        db.keyadm(&["show", &a.id[..8]]).run().code(4);
    }
    let err = db
        .keyadm(&["show", "shared", "--json"])
        .run()
        .code(4)
        .json_error();
    assert_eq!(err.code, "ambiguous");
    out.stderr_has("it matches 2 keys");
}

#[test]
fn an_id_prefix_of_many_keys_says_more_match_than_are_listed() {
    let db = TestDb::new();
    db.keyadm(&["create", "--org", "acme", "--name", "k", "--count", "12"])
        .run()
        .success();
    db.client()
        .batch_execute(
            "UPDATE keyadm.api_keys k SET id = ('abcdef01-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid
               FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM keyadm.api_keys) o
              WHERE o.id = k.id",
        )
        .unwrap();
    let out = db
        .keyadm(&["show", "abcdef01"])
        .run()
        .code(4)
        .one_line_error()
        .stderr_has("KEY 'abcdef01' is ambiguous: it matches more than 10 keys\n");
    assert_eq!(out.stderr.matches("(acme/k-").count(), 10, "{}", out.stderr);
    // Ten are listed in full.
    db.client()
        .batch_execute(
            "DELETE FROM keyadm.api_keys WHERE id >= 'abcdef01-0000-7000-8000-000000000011'",
        )
        .unwrap();
    db.keyadm(&["show", "abcdef01"])
        .run()
        .code(4)
        .stderr_has("it matches 10 keys");
}

#[test]
fn a_secret_given_as_key_is_refused_and_never_sent() {
    let db = TestDb::new();
    let created = db.create("acme", "ci", &[]);
    db.keyadm(&["show", &created.secret])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("looks like a secret")
        .stderr_has(&format!(
            "hint: give its start handle instead, {};",
            created.key.start
        ));
    // Which names the key, as a leaked secret's owner needs to revoke it.
    db.keyadm(&["revoke", &created.secret, "--yes"])
        .run()
        .code(2)
        .stderr_has(&format!(
            "give its start handle instead, {};",
            created.key.start
        ));
    db.keyadm(&["revoke", &created.key.start, "--yes"])
        .run()
        .success();
    let log = crate::support::cluster().log.as_ref().expect(
        "this test reads the server log: run it against the suite's own cluster (unset KEYADM_TEST_DATABASE_URL)",
    );
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        !text.contains(&created.secret[3..]),
        "the secret reached the server log"
    );
}

#[test]
fn a_rotation_loop_written_by_hand_shows_each_key_once() {
    let db = TestDb::new();
    let [a, b, c] = ["a", "b", "c"].map(|name| db.create("acme", name, &[]).key);
    // a and b name each other; c rotated to b, which came from a.
    db.client()
        .batch_execute(&format!(
            "UPDATE keyadm.api_keys SET rotated_to = '{b}', rotated_from = '{b}' WHERE id = '{a}';
             UPDATE keyadm.api_keys SET rotated_to = '{a}', rotated_from = '{a}' WHERE id = '{b}';
             UPDATE keyadm.api_keys SET rotated_to = '{b}' WHERE id = '{c}'",
            a = a.id,
            b = b.id,
            c = c.id
        ))
        .unwrap();
    assert_eq!(show(&db, &[&a.start]).chain, [b.id.clone(), a.id.clone()]);
    assert_eq!(
        show(&db, &[&c.start]).chain,
        [c.id.clone(), b.id.clone(), a.id.clone()]
    );
    let table = db.keyadm(&["show", &a.start]).run().success();
    assert_eq!(table.section("Rotation chain").len(), 2, "{}", table.stdout);
}

#[test]
fn a_name_without_org_is_found_without_reading_the_whole_table() {
    let db = TestDb::new();
    db.create("acme", "ci-deploy", &[]);
    let old = db.create("acme", "old-name", &[]).key;
    db.keyadm(&["revoke", &old.id, "--yes"]).run().success();
    db.client()
        .batch_execute(
            "INSERT INTO keyadm.api_keys (id, org, name, prefix, start, key_hash, created_by)
             SELECT gen_random_uuid(), 'org' || (i % 200), 'k' || i, 'sk',
                    'sk_' || lpad(to_hex(i), 8, '0'), sha256(i::text::bytea), 'seed'
             FROM generate_series(1, 20000) i;
             ANALYZE keyadm.api_keys",
        )
        .unwrap();
    // Five lookups by name: one for the live key, two each (live, then any state) for the
    // names that match none.
    let (other, by_name) = reads_during(&db, "api_keys", "api_keys_name", 5, || {
        db.keyadm(&["show", "ci-deploy"])
            .run()
            .success()
            .stdout_has("acme");
        // A name that matches no live key is looked up again in any state, for the hint.
        db.keyadm(&["show", "old-name"])
            .run()
            .code(3)
            .stderr_has("revoked");
        db.keyadm(&["show", "no-such-name"]).run().code(3);
    });
    assert!(
        by_name >= 5,
        "the lookups by name used the name index {by_name} times"
    );
    assert_eq!(other, 0, "a lookup by name read api_keys another way");
}

#[test]
fn org_slash_name_as_listings_label_a_key_gets_a_hint_to_give_them_apart() {
    let db = TestDb::new();
    db.create("acme", "ci", &[]);
    // Org and name may hold slashes themselves: every split is tried.
    let slashed = db.create("my org", "team/it's", &[]).key;
    let hint = |input: &str, command: &str| {
        let out = db
            .keyadm(&[command, input, "--yes"])
            .run()
            .code(3)
            .one_line_error();
        out.stderr
            .lines()
            .find_map(|line| line.strip_prefix("hint: "))
            .unwrap_or_else(|| panic!("no hint: {}", out.stderr))
            .to_owned()
    };
    for command in ["show", "revoke", "audit", "rotate"] {
        assert_eq!(
            hint("acme/ci", command),
            "give the org and the name apart: --org acme ci",
            "{command}"
        );
    }
    assert_eq!(
        hint("my org/team/it's", "show"),
        r"give the org and the name apart: --org 'my org' 'team/it'\''s'"
    );
    // The hint, as a shell reads it, names the key.
    let shown = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "\"$0\" show --json {}",
            hint("my org/team/it's", "show")
                .trim_start_matches("give the org and the name apart: ")
        ))
        .arg(crate::support::binary())
        .env("KEYADM_DATABASE_URL", &db.conninfo)
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["id"], slashed.id.as_str());
    // No live key of that org and name: the usual hint, and nothing changed.
    assert!(!hint("acme/nope", "show").contains("--org"));
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL OR rotated_to IS NOT NULL"),
        0
    );
}

#[test]
fn the_rotation_chain_shows_each_keys_handle_status_and_end() {
    let db = TestDb::new();
    let first = db.create("acme", "ci", &[]).key;
    db.keyadm(&["rotate", "ci", "--grace", "7d"])
        .run()
        .success();
    db.keyadm(&["rotate", "ci"]).run().success();
    let [oldest, middle, newest] = show(&db, &["ci"])
        .chain
        .try_into()
        .expect("three keys in the chain");
    assert_eq!(oldest, first.id);
    let detail = |id: &str| show(&db, &[id]);
    let (middle, newest) = (detail(&middle), detail(&newest));
    db.keyadm(&["revoke", &newest.key.start, "--yes"])
        .run()
        .success();
    let expires = |key: &KeyJson| key.expires_at.as_deref().unwrap()[..16].replace('T', " ");

    let table = db.keyadm(&["show", &first.start]).run().success();
    let lines: Vec<Vec<&str>> = table
        .section("Rotation chain")
        .iter()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .collect()
        })
        .collect();
    let first_now = detail(&first.id).key;
    assert_eq!(
        lines,
        [
            vec![
                format!("* {}", first.id).as_str(),
                &first.start,
                "active",
                &format!("expires {}", expires(&first_now)),
            ],
            // Rotated without grace: it ended when the rotation did.
            vec![
                &middle.key.id,
                &middle.key.start,
                "expired",
                &expires(&middle.key)
            ],
            vec![
                &newest.key.id,
                &newest.key.start,
                "revoked",
                &detail(&newest.key.id).key.revoked_at.unwrap()[..16].replace('T', " "),
            ],
        ],
        "{}",
        table.stdout
    );
}
