use sha2::{Digest, Sha256};

use crate::support::TestDb;

/// What a service's `SELECT keyadm.record_key_use(id)` returns: whether it wrote.
fn record_key_use(service: &mut postgres::Client, id: uuid::Uuid) -> bool {
    service
        .query_one("SELECT keyadm.record_key_use($1)", &[&id])
        .unwrap()
        .get(0)
}

#[test]
fn a_verifier_role_can_verify_and_nothing_else() {
    let db = TestDb::new();
    let valid = db.create("acme", "svc", &["--scope", "read", "--meta", "tier=gold"]);
    let revoked = db.create("acme", "old", &[]);
    db.keyadm(&["revoke", &revoked.key.id, "--yes"])
        .run()
        .success();
    let (name, mut service) = db.login_role("verifier");
    let granted = db
        .keyadm(&["init", "--grant-verify", &name])
        .run()
        .success()
        .stdout_has(&name);
    assert_eq!(
        granted.stderr, "",
        "a role kept to verifying needs no warning"
    );

    let row = service
        .query_one("SELECT * FROM keyadm.verify_key($1)", &[&valid.secret])
        .unwrap();
    assert!(row.get::<_, bool>("valid"));
    assert_eq!(row.get::<_, String>("reason"), "valid");
    assert_eq!(row.get::<_, String>("org"), "acme");
    assert_eq!(row.get::<_, Vec<String>>("scopes"), vec!["read"]);
    assert_eq!(row.get::<_, serde_json::Value>("metadata")["tier"], "gold");

    let hash = Sha256::digest(valid.secret.as_bytes()).to_vec();
    let row = service
        .query_one(
            "SELECT valid, key_id::text FROM keyadm.verify_key_hash($1)",
            &[&hash],
        )
        .unwrap();
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, String>(1), valid.key.id);

    let reason = |service: &mut postgres::Client, secret: &str| -> String {
        service
            .query_one("SELECT reason FROM keyadm.verify_key($1)", &[&secret])
            .unwrap()
            .get(0)
    };
    assert_eq!(reason(&mut service, &revoked.secret), "revoked");
    assert_eq!(reason(&mut service, "sk_not-a-key"), "not_found");
    assert_eq!(
        reason(&mut service, &valid.secret.replace("sk_", "sk_0")),
        "not_found"
    );

    for forbidden in [
        "SELECT * FROM keyadm.api_keys",
        "SELECT * FROM keyadm.key_events",
        "UPDATE keyadm.api_keys SET revoked_at = NULL",
        "INSERT INTO keyadm.key_events (key_id, org, actor, action) VALUES (gen_random_uuid(), 'x', 'x', 'x')",
    ] {
        let err = service.batch_execute(forbidden).unwrap_err();
        assert!(
            crate::support::db_message(&err).contains("permission denied"),
            "{forbidden}: {err}"
        );
    }
}

#[test]
fn granting_to_a_role_that_can_read_the_tables_warns_that_it_is_not_kept_to_verifying() {
    let db = TestDb::new();
    let (name, _service) = db.login_role("reader");
    // Read through a group role, and one column of the events through its own grant.
    let group = format!("{}_group", db.name);
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {group};
             GRANT SELECT ON keyadm.api_keys TO {group};
             GRANT {group} TO {name};
             GRANT SELECT (org) ON keyadm.key_events TO {name};"
        ))
        .unwrap();
    let out = db
        .keyadm(&["init", "--grant-verify", &name])
        .run()
        .success();
    assert_eq!(
        out.stderr.trim_end(),
        format!(
            "keyadm: warning: role \"{name}\" also has SELECT on keyadm.api_keys; SELECT on keyadm.key_events: it is not kept to verifying keys (revoke that, or the role membership that gives it)"
        )
    );
    let report: serde_json::Value = db
        .keyadm(&["init", "--grant-verify", &name, "--json"])
        .run()
        .success()
        .json();
    assert_eq!(
        report["verify_role_also_has"],
        serde_json::json!(["SELECT on keyadm.api_keys", "SELECT on keyadm.key_events"])
    );
    // The grant itself was made, as asked.
    assert_eq!(
        db.scalar(&format!(
            "SELECT count(*) FROM pg_proc WHERE proname = 'verify_key_hash' AND has_function_privilege('{name}', oid, 'EXECUTE')"
        )),
        1
    );

    // A superuser can read everything, whatever it is granted.
    let admin = format!("{}_admin", db.name);
    db.client()
        .batch_execute(&format!("CREATE ROLE {admin} SUPERUSER"))
        .expect("making a superuser needs the suite's own cluster (or a superuser's URL)");
    db.keyadm(&["init", "--grant-verify", &admin])
        .run()
        .success()
        .stderr_has(&format!("role \"{admin}\" is a superuser"));
}

#[test]
fn the_readme_statements_take_a_services_access_back() {
    let db = TestDb::new();
    let key = db.create("acme", "svc", &[]);
    let (name, mut service) = db.login_role("retired");
    db.keyadm(&["init", "--grant-verify", &name])
        .run()
        .success();
    let verify = "SELECT valid FROM keyadm.verify_key($1)";
    assert!(
        service
            .query_one(verify, &[&key.secret])
            .unwrap()
            .get::<_, bool>(0)
    );
    let revokes =
        crate::support::readme_sql("-- take a service's access back").replace("orders_api", &name);
    db.client().batch_execute(&revokes).unwrap();
    let err = service.query_one(verify, &[&key.secret]).unwrap_err();
    assert!(
        crate::support::db_message(&err).contains("permission denied"),
        "{err}"
    );
}

#[test]
fn nobody_else_may_call_the_functions() {
    let db = TestDb::new();
    let (_, mut stranger) = db.login_role("stranger");
    db.client()
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA keyadm TO {}_stranger",
            db.name
        ))
        .unwrap();
    let err = stranger
        .query("SELECT * FROM keyadm.verify_key('x')", &[])
        .unwrap_err();
    assert!(
        crate::support::db_message(&err).contains("permission denied"),
        "{err}"
    );
    let pinned: Vec<String> = db
        .client()
        .query("SELECT array_to_string(proconfig, ',') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE nspname = 'keyadm' AND prosecdef", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(pinned, vec!["search_path=keyadm, pg_temp"; 3]);
}

/// The functions run with their owner's rights, so what their names mean must not be the
/// caller's to choose. A verifier that puts a schema of its own before pg_catalog, holding
/// look-alike operators and functions, and that has a temporary `api_keys`, still gets the
/// true answers, and `record_key_use` still marks only the key named, once a minute.
#[test]
fn a_callers_search_path_cannot_change_what_the_functions_do() {
    let db = TestDb::new();
    let valid = db.create("acme", "svc", &[]);
    let expired = db.create("acme", "old", &[]);
    db.client()
        .execute(
            "UPDATE keyadm.api_keys SET expires_at = now() - interval '1 hour' WHERE id = $1::text::uuid",
            &[&expired.key.id],
        )
        .unwrap();
    let (name, mut service) = db.login_role("sly");
    db.keyadm(&["init", "--grant-verify", &name])
        .run()
        .success();
    db.client()
        .batch_execute(&format!("CREATE SCHEMA sly AUTHORIZATION {name}"))
        .unwrap();
    let bogus = Sha256::digest(b"no key has this secret").to_vec();
    service
        .batch_execute(
            "CREATE FUNCTION sly.yes(bytea, bytea) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
             CREATE OPERATOR sly.= (LEFTARG = bytea, RIGHTARG = bytea, FUNCTION = sly.yes);
             CREATE FUNCTION sly.yes(uuid, uuid) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
             CREATE OPERATOR sly.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = sly.yes);
             CREATE FUNCTION sly.yes(timestamptz, timestamptz) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
             CREATE FUNCTION sly.no(timestamptz, timestamptz) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false';
             CREATE OPERATOR sly.> (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = sly.yes);
             CREATE OPERATOR sly.< (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = sly.yes);
             CREATE OPERATOR sly.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = sly.no);
             CREATE FUNCTION sly.later(timestamptz, interval) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$SELECT 'infinity'::timestamptz$$;
             CREATE OPERATOR sly.- (LEFTARG = timestamptz, RIGHTARG = interval, FUNCTION = sly.later);
             CREATE FUNCTION sly.now() RETURNS timestamptz LANGUAGE sql AS $$SELECT '-infinity'::timestamptz$$;
             CREATE FUNCTION sly.sha256(bytea) RETURNS bytea LANGUAGE sql AS $$SELECT '\\x00'::bytea$$;
             CREATE FUNCTION sly.convert_to(text, name) RETURNS bytea LANGUAGE sql AS $$SELECT '\\x00'::bytea$$;
             CREATE FUNCTION sly.verify_key_hash(key_hash bytea)
             RETURNS TABLE (valid boolean, reason text, key_id uuid, org text, name text, scopes text[],
                            metadata jsonb, expires_at timestamptz)
             LANGUAGE sql AS $$SELECT true, 'valid', gen_random_uuid(), 'sly', 'sly', '{}'::text[], '{}'::jsonb, NULL::timestamptz$$;
             CREATE TEMP TABLE api_keys AS
                 SELECT gen_random_uuid() AS id, 'sly'::text AS org, 'sly'::text AS name, '{}'::text[] AS scopes,
                        '{}'::jsonb AS metadata, NULL::timestamptz AS expires_at, NULL::timestamptz AS revoked_at,
                        NULL::timestamptz AS last_used_at, sha256('no key has this secret') AS key_hash;
             SET search_path = sly, pg_catalog, keyadm",
        )
        .unwrap();
    // The look-alikes are live for this session: its own statements use them.
    let fooled: bool = service
        .query_one("SELECT $1::bytea = '\\x01'::bytea", &[&bogus])
        .unwrap()
        .get(0);
    assert!(fooled, "the session's own `=` should be the look-alike");

    let rows =
        |service: &mut postgres::Client, sql: &str, arg: &(dyn postgres::types::ToSql + Sync)| {
            service
                .query(sql, &[arg])
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r.get::<_, String>("reason"),
                        r.get::<_, Option<String>>("org"),
                    )
                })
                .collect::<Vec<_>>()
        };
    let by_hash = "SELECT reason, org FROM keyadm.verify_key_hash($1)";
    let by_secret = "SELECT reason, org FROM keyadm.verify_key($1)";
    assert_eq!(
        rows(&mut service, by_hash, &bogus),
        [("not_found".to_string(), None)]
    );
    assert_eq!(
        rows(&mut service, by_secret, &"no key has this secret"),
        [("not_found".to_string(), None)]
    );
    let expired_hash = Sha256::digest(expired.secret.as_bytes()).to_vec();
    assert_eq!(
        rows(&mut service, by_hash, &expired_hash),
        [("expired".to_string(), Some("acme".to_string()))]
    );
    assert_eq!(
        rows(&mut service, by_secret, &expired.secret),
        [("expired".to_string(), Some("acme".to_string()))]
    );
    assert_eq!(
        rows(&mut service, by_secret, &valid.secret),
        [("valid".to_string(), Some("acme".to_string()))]
    );

    let id: uuid::Uuid = valid.key.id.parse().unwrap();
    let record = |service: &mut postgres::Client| record_key_use(service, id);
    assert!(record(&mut service));
    assert!(
        !record(&mut service),
        "a use within the minute is not written again"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE last_used_at IS NOT NULL"),
        1,
        "only the key named was marked used"
    );
}

#[test]
fn granting_to_a_missing_role_is_a_usage_error() {
    let db = TestDb::new();
    db.keyadm(&["init", "--grant-verify", "no_such_role_anywhere"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("CREATE ROLE \"no_such_role_anywhere\" LOGIN");
    // The statement in the hint quotes the name as SQL does, so that it can be run as given.
    db.keyadm(&["init", "--grant-verify", "Svc\"x"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("role \"Svc\"\"x\" does not exist")
        .stderr_has("CREATE ROLE \"Svc\"\"x\" LOGIN");
}

#[test]
fn record_key_use_writes_at_most_once_a_minute_and_feeds_expire() {
    let db = TestDb::new();
    let key = db.create("acme", "svc", &[]).key;
    let (name, mut service) = db.login_role("svc");
    db.keyadm(&["init", "--grant-verify", &name])
        .run()
        .success();
    let id: uuid::Uuid = key.id.parse().unwrap();
    let record = |service: &mut postgres::Client| record_key_use(service, id);
    assert!(record(&mut service));
    assert!(!record(&mut service));
    let used = db.scalar(
        "SELECT count(*) FROM keyadm.api_keys WHERE last_used_at > now() - interval '1 minute'",
    );
    assert_eq!(used, 1);
    db.client()
        .batch_execute("UPDATE keyadm.api_keys SET last_used_at = now() - interval '2 minutes'")
        .unwrap();
    assert!(record(&mut service));

    // A key created long ago but used just now is not "unused".
    db.client()
        .batch_execute("UPDATE keyadm.api_keys SET created_at = now() - interval '100 days'")
        .unwrap();
    let out = db
        .keyadm(&["expire", "--unused-for", "30d", "--yes", "--json"])
        .run()
        .success();
    assert!(out.stdout.contains("\"count\":0"), "{}", out.stdout);
}

/// The first fenced block of `language` in the README.
fn readme_block(language: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find(&format!("```{language}\n"))
        .expect("README has the block")
        + language.len()
        + 4;
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].to_owned()
}

#[test]
fn the_readme_python_snippet_verifies_and_records_use() {
    let db = TestDb::new();
    let key = db.create("acme", "svc", &["--scope", "orders:read"]);
    let (name, _) = db.login_role("py");
    db.keyadm(&["init", "--grant-verify", &name])
        .run()
        .success();
    let program = format!(
        "{}\nimport json, sys\nwith psycopg.connect(sys.argv[1], autocommit=True) as conn:\n    \
         print(json.dumps([verify(conn, line.strip()) for line in sys.stdin]))\n",
        readme_block("python")
    );
    let conninfo = format!("{} user={name}", db.conninfo);
    let mut child = std::process::Command::new("python3")
        .args(["-c", &program, &conninfo])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is needed to test the README's Python example");
    use std::io::Write;
    let input = format!("{}\nsk_not_a_key\n", key.secret);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README's Python example failed (it needs psycopg: pip install 'psycopg[binary]'):\n{stderr}"
    );
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        results[0],
        serde_json::json!([true, "valid", "acme", ["orders:read"]])
    );
    assert_eq!(
        results[1],
        serde_json::json!([false, "not_found", null, null])
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE last_used_at IS NOT NULL"),
        1
    );
}
