use crate::support::TestDb;

/// The migrations shipped in `migrations/`, which the binary embeds.
fn migration_count() -> i64 {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".sql")
        })
        .count() as i64
}

#[test]
fn commands_on_an_uninitialised_database_exit_6_with_a_hint() {
    let db = TestDb::empty();
    for args in [
        &["list"][..],
        &["show", "x"],
        &["revoke", "x", "--yes"],
        &["rotate", "x"],
    ] {
        db.keyadm(args)
            .run()
            .code(6)
            .one_line_error()
            .stderr_has("keyadm init");
    }
    let out = db
        .keyadm(&["create", "--org", "a", "--name", "b"])
        .run()
        .code(6);
    assert!(out.stdout.is_empty());
    // check folds the schema check into its lookup: a well-formed secret still gets exit 6.
    let secret = TestDb::new().create("a", "elsewhere", &[]).secret;
    let out = db
        .keyadm(&["check"])
        .stdin(&secret)
        .run()
        .code(6)
        .one_line_error()
        .stderr_has("keyadm init");
    assert!(out.stdout.is_empty());
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'keyadm'"),
        0
    );
}

#[test]
fn init_creates_the_schema_and_is_idempotent() {
    let db = TestDb::empty();
    db.keyadm(&["init"])
        .run()
        .success()
        .stdout_has(&format!("Applied {} migration", migration_count()));
    db.keyadm(&["init"])
        .run()
        .success()
        .stdout_has("up to date");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.refinery_schema_history"),
        migration_count()
    );
    for table in ["api_keys", "key_events"] {
        assert_eq!(
            db.scalar(&format!("SELECT count(*) FROM keyadm.{table}")),
            0
        );
    }
    db.keyadm(&["list"]).run().success();
}

#[test]
fn init_status_lists_pending_and_applied_and_changes_nothing() {
    let db = TestDb::empty();
    let out = db.keyadm(&["init", "--status", "--json"]).run().success();
    let states: Vec<serde_json::Value> = out.json();
    assert_eq!(states.len() as i64, migration_count());
    assert!(states.iter().all(|s| s["applied"] == false));
    assert_eq!(states[0]["version"], 1);
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'keyadm'"),
        0
    );
    db.keyadm(&["init"]).run().success();
    let out = db.keyadm(&["init", "--status"]).run().success();
    assert!(out.stdout.contains("applied"), "{}", out.stdout);
    assert!(!out.stdout.contains("pending"), "{}", out.stdout);
}

#[test]
fn eight_concurrent_inits_all_succeed_with_one_schema() {
    let db = TestDb::empty();
    let run = db.keyadm(&["init"]);
    let children: Vec<_> = (0..8).map(|_| run.spawn()).collect();
    for child in children {
        let out = crate::support::Output::from(child.wait_with_output().unwrap());
        out.success();
    }
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.refinery_schema_history"),
        migration_count()
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'keyadm'"),
        3,
        "api_keys, key_events and the history table"
    );
    db.create("acme", "after-init", &[]);
}

#[test]
fn a_schema_newer_than_the_binary_is_refused_with_exit_6() {
    let db = TestDb::new();
    let key = db.create("acme", "before-the-upgrade", &[]).secret;
    db.client()
        .batch_execute(
            // What a migration of a newer keyadm does: a history row, and schema_version().
            "INSERT INTO keyadm.refinery_schema_history (version, name, applied_on, checksum)
             VALUES (99, 'from_the_future', '2030-01-01T00:00:00Z', '1');
             CREATE OR REPLACE FUNCTION keyadm.schema_version() RETURNS integer
             LANGUAGE sql IMMUTABLE AS 'SELECT 99'",
        )
        .unwrap();
    db.keyadm(&["list"])
        .run()
        .code(6)
        .one_line_error()
        .stderr_has("upgrade keyadm");
    let out = db
        .keyadm(&["check"])
        .stdin(&key)
        .run()
        .code(6)
        .one_line_error()
        .stderr_has("upgrade keyadm");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // A secret that matches no key is judged by the schema too, not called unknown.
    let unknown = TestDb::new().create("elsewhere", "other", &[]).secret;
    db.keyadm(&["check"])
        .stdin(&unknown)
        .run()
        .code(6)
        .one_line_error()
        .stderr_has("upgrade keyadm");
    db.keyadm(&["init"])
        .run()
        .code(6)
        .one_line_error()
        .stderr_has("99");
}

#[test]
fn a_schema_whose_migration_history_is_another_applications_is_refused() {
    // An app that runs its own refinery migrations in public: keyadm's history table has the
    // same name. It said "changed by another build of keyadm" or "upgrade keyadm", and
    // `init --status` showed the app's migrations under keyadm's names.
    let secret = TestDb::new().create("acme", "ci", &[]).secret;
    for (versions, first, version_type) in [
        (&[1_i64, 2, 7][..], "V1__app_1", "int4"),
        // Dates as versions, all past keyadm's.
        (&[20260101, 20260202], "V20260101__app_20260101", "int4"),
        // Timestamps, as refinery's int8 feature keeps them (this was an internal error).
        (
            &[20260101120000],
            "V20260101120000__app_20260101120000",
            "int8",
        ),
    ] {
        let db = TestDb::empty();
        let mut setup = format!(
            "CREATE TABLE public.refinery_schema_history (version {version_type} PRIMARY KEY,
                 name varchar(255), applied_on varchar(255), checksum varchar(255));
             CREATE TABLE public.users (id int);",
        );
        for version in versions {
            setup.push_str(&format!(
                "INSERT INTO public.refinery_schema_history
                 VALUES ({version}, 'app_{version}', '2026-01-01T00:00:00Z', '1');"
            ));
        }
        db.client().batch_execute(&setup).unwrap();
        let history = || -> String {
            db.client()
                .query_one(
                    "SELECT string_agg(h::text, ' ' ORDER BY version)
                     FROM public.refinery_schema_history h",
                    &[],
                )
                .unwrap()
                .get(0)
        };
        let before = history();
        let message = format!(
            "keyadm: error: schema \"public\" holds another application's migration history (refinery_schema_history begins with {first}, keyadm's with V1__keys_and_events)\n\
             hint: give keyadm a schema of its own: --schema NAME or KEYADM_SCHEMA (the default is keyadm)\n"
        );
        for args in [
            &["init"][..],
            &["init", "--status"],
            &["list"],
            &["create", "--org", "acme", "--name", "x"],
        ] {
            let mut args = args.to_vec();
            args.extend(["--schema", "public"]);
            let out = db.keyadm(&args).run().code(6);
            assert_eq!(out.stderr, message, "{args:?}");
            assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        }
        let out = db
            .keyadm(&["check", "--schema", "public"])
            .stdin(&secret)
            .run()
            .code(6);
        assert_eq!(out.stderr, message);
        db.keyadm(&["doctor", "--schema", "public"])
            .run()
            .code(6)
            .stdout_has(&format!(
                "another application's (its migration history begins with {first})"
            ))
            .stderr_has("hint: give keyadm a schema of its own");
        // Nothing changed: no table of keyadm's, the app's history as it was.
        assert_eq!(
            db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
            2
        );
        assert_eq!(history(), before);
        // Its own schema works.
        db.keyadm(&["init"]).run().success();
    }
}

#[test]
fn a_schema_holding_an_apps_table_of_keyadms_name_is_refused_and_nothing_changes() {
    let db = TestDb::empty();
    // A team's own key store, the very thing keyadm replaces, in the schema keyadm is given.
    db.client()
        .batch_execute(
            "CREATE TABLE public.api_keys (id serial PRIMARY KEY, key text);
             INSERT INTO public.api_keys (key) VALUES ('plain text, as teams keep them');",
        )
        .unwrap();
    db.keyadm(&["init", "--schema", "public"])
        .run()
        .code(6)
        .one_line_error()
        .stderr_has("keyadm: error: cannot create keyadm's objects in schema \"public\", which holds another application's: relation \"api_keys\" already exists\n")
        .stderr_has("hint: give keyadm a schema of its own");
    // Nothing of keyadm's was left behind, and the app's table is as it was.
    assert_eq!(
        db.scalar(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public'"
        ),
        // The table, its primary key index and its sequence.
        3
    );
    assert_eq!(db.scalar("SELECT count(*) FROM public.api_keys"), 1);
    db.keyadm(&["init"]).run().success();
}

#[test]
fn another_schema_can_be_used() {
    let db = TestDb::empty();
    db.keyadm(&["init", "--schema", "tenant one"])
        .run()
        .success();
    let created: crate::support::Created = db
        .keyadm(&[
            "create",
            "--schema",
            "tenant one",
            "--org",
            "a",
            "--name",
            "k",
            "--json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(db.scalar("SELECT count(*) FROM \"tenant one\".api_keys"), 1);
    db.keyadm(&["list"]).run().code(6);
    db.keyadm(&["check"])
        .stdin(&created.secret)
        .run()
        .code(6)
        .stderr_has("keyadm init");
    db.keyadm(&["check", "--schema", "tenant one"])
        .stdin(&created.secret)
        .run()
        .success();
    db.keyadm(&["show", &created.key.id])
        .env("KEYADM_SCHEMA", Some("tenant one"))
        .run()
        .success();
}

#[test]
fn the_schema_version_function_matches_the_newest_migration() {
    let db = TestDb::new();
    let function = db.scalar("SELECT keyadm.schema_version()::bigint");
    assert_eq!(
        function,
        migration_count(),
        "a migration forgot to redefine schema_version()"
    );
    assert_eq!(
        db.scalar("SELECT max(version)::bigint FROM keyadm.refinery_schema_history"),
        function
    );
}

/// Turns an up-to-date schema back into what keyadm's version-5 schema was (before migration 6
/// moved `record_key_use` to PL/pgSQL): the function as migration 2 made it.
const BACK_TO_VERSION_5: &str = "CREATE OR REPLACE FUNCTION keyadm.record_key_use(key_id uuid)
     RETURNS boolean LANGUAGE sql VOLATILE SECURITY DEFINER AS $$
         WITH touched AS (
             UPDATE keyadm.api_keys SET last_used_at = now()
             WHERE id = record_key_use.key_id
               AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
             RETURNING 1)
         SELECT count(*) > 0 FROM touched
     $$;
     ALTER FUNCTION keyadm.record_key_use(uuid) SET search_path = keyadm, pg_temp;
     CREATE OR REPLACE FUNCTION keyadm.schema_version() RETURNS integer
     LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 5';
     DELETE FROM keyadm.refinery_schema_history WHERE version = 6";

/// Further back, to version 4 (before the indexes of migration 5).
const BACK_TO_VERSION_4: &str = "DROP INDEX keyadm.api_keys_name;
     DROP INDEX keyadm.key_events_pruned_start;
     CREATE OR REPLACE FUNCTION keyadm.schema_version() RETURNS integer
     LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 4';
     DELETE FROM keyadm.refinery_schema_history WHERE version = 5";

/// Further back, to version 3 (before `schema_version()` of migration 4 existed).
const BACK_TO_VERSION_3: &str = "DROP FUNCTION keyadm.schema_version();
     DELETE FROM keyadm.refinery_schema_history WHERE version = 4";

#[test]
fn check_on_a_schema_behind_asks_for_init_then_works() {
    for (version, undo) in [
        ("version 5", vec![BACK_TO_VERSION_5]),
        ("version 4", vec![BACK_TO_VERSION_5, BACK_TO_VERSION_4]),
        (
            "version 3",
            vec![BACK_TO_VERSION_5, BACK_TO_VERSION_4, BACK_TO_VERSION_3],
        ),
    ] {
        let db = TestDb::new();
        let secret = db.create("acme", "old", &[]).secret;
        for sql in undo {
            db.client().batch_execute(sql).unwrap();
        }
        db.keyadm(&["check"])
            .stdin(&secret)
            .run()
            .code(6)
            .one_line_error()
            .stderr_has(version)
            .stderr_has("keyadm init");
        db.keyadm(&["show", "old"])
            .run()
            .code(6)
            .stderr_has(version);
        db.keyadm(&["init"]).run().success();
        db.keyadm(&["check"]).stdin(&secret).run().success();
        db.keyadm(&["show", "old"]).run().success();
        assert_eq!(
            db.scalar(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = 'keyadm'
                   AND indexname IN ('api_keys_name', 'key_events_pruned_start')"
            ),
            2
        );
        assert_eq!(
            db.scalar(
                "SELECT count(*) FROM pg_proc WHERE oid = 'keyadm.record_key_use(uuid)'::regprocedure
                   AND prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
                   AND proconfig = '{\"search_path=keyadm, pg_temp\"}'"
            ),
            1,
            "record_key_use as migration 6 makes it, its search_path pinned"
        );
    }
}

/// Upgrading keeps what `--grant-verify` gave: migration 6 replaces a function a service calls,
/// and the service, connected all along, must neither lose it nor notice.
#[test]
fn upgrading_record_key_use_keeps_a_services_grants() {
    let db = TestDb::new();
    let secret = db.create("acme", "svc", &[]).secret;
    let (service, mut client) = db.login_role("svc");
    db.keyadm(&["init", "--grant-verify", &service])
        .run()
        .success();
    db.client().batch_execute(BACK_TO_VERSION_5).unwrap();
    let id: uuid::Uuid = db
        .client()
        .query_one("SELECT id FROM keyadm.api_keys", &[])
        .unwrap()
        .get(0);
    let calls = |client: &mut postgres::Client| -> (String, bool) {
        let reason = client
            .query_one("SELECT reason FROM keyadm.verify_key($1)", &[&secret])
            .unwrap()
            .get(0);
        let wrote = client
            .query_one("SELECT keyadm.record_key_use($1)", &[&id])
            .unwrap()
            .get(0);
        (reason, wrote)
    };
    assert_eq!(calls(&mut client), ("valid".to_string(), true));
    db.keyadm(&["init"])
        .run()
        .success()
        .stdout_has("V6__plpgsql_record_key_use");
    assert_eq!(
        db.scalar("SELECT keyadm.schema_version()::bigint"),
        migration_count()
    );
    // Used within the minute: not written again, by the new function.
    assert_eq!(calls(&mut client), ("valid".to_string(), false));
    let as_service = format!("{} user={service}", db.conninfo);
    let mut fresh = postgres::Client::connect(&as_service, postgres::NoTls).unwrap();
    assert_eq!(calls(&mut fresh), ("valid".to_string(), false));
}

#[test]
fn init_on_an_up_to_date_schema_needs_no_right_to_create_objects() {
    let db = TestDb::new();
    let role = format!("{}_app", db.name);
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN;
             GRANT USAGE ON SCHEMA keyadm TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA keyadm TO {role};"
        ))
        .unwrap();
    let as_app = format!("{} user={role}", db.conninfo);
    // Nothing to apply: up to date, as for the schema's owner (it failed on refinery's
    // CREATE TABLE IF NOT EXISTS of its history table).
    crate::support::Run::new(&["init", "--database-url", &as_app])
        .run()
        .success()
        .stdout_has("is up to date (version");
    // Something to apply: that does need the right, and nothing changes.
    db.client().batch_execute(BACK_TO_VERSION_5).unwrap();
    crate::support::Run::new(&["init", "--database-url", &as_app])
        .run()
        .code(8)
        .one_line_error()
        .stderr_has("error: permission denied for schema keyadm");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.refinery_schema_history"),
        migration_count() - 1
    );
}

#[test]
fn init_refuses_a_schema_whose_applied_migration_is_not_this_binarys() {
    let db = TestDb::new();
    // Another build's migration 2: other SQL, so another checksum.
    db.client()
        .batch_execute(
            "UPDATE keyadm.refinery_schema_history SET checksum = '12345' WHERE version = 2",
        )
        .unwrap();
    // Up to date, so refinery itself would not look.
    db.keyadm(&["init"])
        .run()
        .code(6)
        .one_line_error()
        .stderr_has(
            "applied migration V2__verification_and_sweeps is not this keyadm's: its SQL differs",
        )
        .stderr_has("hint: the schema was changed by another build of keyadm");
    // Behind, with something to apply: refinery's check says the same, and nothing is applied.
    db.client().batch_execute(BACK_TO_VERSION_5).unwrap();
    db.keyadm(&["init"])
        .run()
        .code(6)
        .one_line_error()
        .stderr_has("applied migration V2__verification_and_sweeps is not this keyadm's");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.refinery_schema_history"),
        migration_count() - 1
    );
}

#[test]
fn a_schema_keyadm_is_not_in_names_the_ones_it_is_in_and_init_there_warns() {
    let db = TestDb::new();
    db.create("acme", "ci", &[]);
    let hint = "hint: keyadm is in schema \"keyadm\" of this database: give --schema keyadm (or \
                set KEYADM_SCHEMA so); `keyadm init` here would start a new, empty store";
    // A mistyped --schema or KEYADM_SCHEMA, for commands that read and that write, and doctor.
    for args in [
        &["list", "--schema", "keyadmm"][..],
        &["revoke", "ci", "--yes", "--schema", "keyadmm"],
        &["doctor", "--schema", "keyadmm"],
    ] {
        db.keyadm(args).run().code(6).stderr_has(hint);
    }
    db.keyadm(&["list"])
        .env("KEYADM_SCHEMA", Some("Keyadm"))
        .run()
        .code(6)
        .stderr_has(hint);

    // init --status lists every migration as pending there, and says where keyadm is.
    db.keyadm(&["init", "--status", "--schema", "keyadmm"])
        .run()
        .success()
        .stderr_has(
            "keyadm: warning: keyadm is not in schema \"keyadmm\" but is in schema \"keyadm\" \
             of this database: was --schema (or KEYADM_SCHEMA) mistyped?",
        );
    assert_eq!(db.keyadm(&["init", "--status"]).run().success().stderr, "");

    // init there makes a store all the same (it is asked to), and says what else there is.
    let out = db.keyadm(&["init", "--schema", "keyadmm"]).run().success();
    assert!(
        out.stderr.contains(
            "keyadm: warning: started a new, empty store in schema \"keyadmm\", though keyadm is \
             also in schema \"keyadm\" of this database: if --schema (or KEYADM_SCHEMA) was \
             mistyped, use that one"
        ),
        "{}",
        out.stderr
    );
    // Once: an init that applies nothing has nothing to say.
    let out = db.keyadm(&["init", "--schema", "keyadmm"]).run().success();
    assert_eq!(out.stderr, "");
    // With two stores, a third schema names both.
    db.keyadm(&["list", "--schema", "elsewhere"])
        .run()
        .code(6)
        .stderr_has(
            "hint: keyadm is in schemas \"keyadm\", \"keyadmm\" of this database: give --schema \
             (or KEYADM_SCHEMA) one of them",
        );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NULL"),
        1
    );

    // With no store anywhere, the hint is init's.
    TestDb::empty()
        .keyadm(&["list"])
        .run()
        .code(6)
        .stderr_has("hint: run `keyadm init` (with the same --schema) first");
}
