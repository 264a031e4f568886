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
