//! The library's store used directly: what a caller nesting one call inside another gets.

use std::sync::Arc;

use keyadm::connect::{self, ConnectOptions};
use keyadm::store::{ListFilter, Reporter, StatusFilter, Store};

use crate::support::{TestDb, connections_opened};

fn open(db: &TestDb) -> Store {
    let options = ConnectOptions {
        database_url: Some(db.conninfo.clone()),
        ..ConnectOptions::default()
    };
    let target = connect::resolve(&options, &|_| None).unwrap();
    let report: Reporter = Arc::new(|err| panic!("unexpected connect timeout: {err}"));
    Store::open(&target, "keyadm", &report).unwrap()
}

fn list_all() -> ListFilter {
    ListFilter {
        org: None,
        status: StatusFilter::All,
        expiring_within: None,
        limit: None,
    }
}

#[test]
fn sequential_calls_share_the_one_connection() {
    let db = TestDb::new();
    let created = db.create("acme", "ci", &[]);
    let opened = connections_opened(&db, || {
        let store = open(&db);
        for _ in 0..3 {
            let id = uuid::Uuid::parse_str(&created.key.id).unwrap();
            let detail = store.key_detail(id).unwrap().unwrap();
            assert_eq!(detail.key.name, "ci");
        }
    });
    assert_eq!(opened, 1);
}

#[test]
fn a_call_nested_in_a_stream_gets_a_second_connection_from_the_pool() {
    let db = TestDb::new();
    let names = ["a", "b", "c"];
    for name in names {
        db.create("acme", name, &[]);
    }
    let opened = connections_opened(&db, || {
        let store = open(&db);
        let mut seen = Vec::new();
        // The listing holds the first connection while it streams; each nested lookup needs
        // another, and the pool opens one and reuses it.
        let streamed = store
            .list_keys(&list_all(), &mut |key| {
                let detail = store.key_detail(key.id)?.expect("listed key exists");
                seen.push(detail.key.name);
                Ok(())
            })
            .unwrap();
        assert_eq!(streamed, 3);
        seen.sort();
        assert_eq!(seen, names);
        // Both connections are back: a later call opens nothing new.
        assert_eq!(store.org_names().unwrap(), ["acme"]);
    });
    assert_eq!(opened, 2);
}

#[test]
fn the_orgs_offered_by_a_prompt_are_the_first_distinct_ones_in_order() {
    let db = TestDb::new();
    assert!(open(&db).org_names().unwrap().is_empty());
    // Several keys per org, inserted out of order, with case variants and non-ASCII names.
    db.client()
        .batch_execute(
            "INSERT INTO keyadm.api_keys (id, org, name, prefix, start, key_hash, created_by)
             SELECT gen_random_uuid(), o, 'k' || i, 'sk', 'sk_00000000',
                    sha256((o || i)::bytea), 'test'
             FROM unnest(ARRAY['zeta', 'Acme', 'acme', 'ACME', 'béta', 'beta', '日本', 'a b'])
                  AS o, generate_series(1, 3) AS i",
        )
        .unwrap();
    let expected = |limit: i64| -> Vec<String> {
        db.client()
            .query(
                "SELECT DISTINCT org FROM keyadm.api_keys ORDER BY org LIMIT $1",
                &[&limit],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    let store = open(&db);
    let orgs = store.org_names().unwrap();
    assert_eq!(orgs.len(), 8);
    assert_eq!(orgs, expected(500));
    // Past the cap, the first 500 in order.
    db.client()
        .batch_execute(
            "INSERT INTO keyadm.api_keys (id, org, name, prefix, start, key_hash, created_by)
             SELECT gen_random_uuid(), 'org-' || lpad(i::text, 4, '0'), 'k', 'sk',
                    'sk_00000000', sha256(('many' || i)::bytea), 'test'
             FROM generate_series(1, 600) AS i",
        )
        .unwrap();
    let orgs = store.org_names().unwrap();
    assert_eq!(orgs.len(), 500);
    assert_eq!(orgs, expected(500));
}
