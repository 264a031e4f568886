//! Faults: a backend killed, keyadm killed or interrupted (Ctrl-C), the server stopped or
//! restarted, in the middle of work. Only whole batches (and whole rotations) may be committed, every change must carry
//! its event, and running the command again must finish the job with one event per key.

use std::time::{Duration, Instant};

use crate::expire::seed_old_keys;
use crate::support::cluster::Cluster;
use crate::support::{Output, TestDb};

const KEYS: i64 = 50_000;

/// Waits until at least `count` events of `action` exist (the run is under way).
fn wait_for_events(db: &TestDb, action: &str, count: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let sql = format!("SELECT count(*) FROM keyadm.key_events WHERE action = '{action}'");
    while db.scalar(&sql) < count {
        assert!(Instant::now() < deadline, "the run never got under way");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn terminate_backends(db: &TestDb, application: &str) {
    db.client()
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
            &[&db.name, &application],
        )
        .unwrap();
}

fn wait_for_no_backend(db: &TestDb, application: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = db
            .client()
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
                &[&db.name, &application],
            )
            .unwrap();
        if row.get::<_, i64>(0) == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "keyadm's backend never went away"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every key changed has exactly one `expired` event, and only whole batches committed.
fn assert_expire_consistent(db: &TestDb) -> i64 {
    let events = db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'expired'");
    let changed = db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE expires_at IS NOT NULL");
    let doubled = db.scalar(
        "SELECT count(*) FROM (SELECT key_id FROM keyadm.key_events WHERE action = 'expired' GROUP BY key_id HAVING count(*) > 1) t",
    );
    assert_eq!(
        (events, doubled),
        (changed, 0),
        "events and changes disagree"
    );
    if events < KEYS {
        assert_eq!(events % 1000, 0, "a partial batch was committed");
    }
    events
}

fn finish_expire(db: &TestDb) {
    db.keyadm(&["expire", "--older-than", "30d", "--yes", "--quiet"])
        .run()
        .success();
    assert_eq!(assert_expire_consistent(db), KEYS);
}

#[test]
fn a_killed_backend_mid_expire_exits_7_and_a_rerun_finishes() {
    let db = TestDb::new();
    seed_old_keys(&db, KEYS as i32);
    let child = db
        .keyadm(&["expire", "--older-than", "30d", "--yes", "--quiet"])
        .env("PGAPPNAME", Some("keyadm-fault-expire"))
        .spawn();
    wait_for_events(&db, "expired", 3000);
    terminate_backends(&db, "keyadm-fault-expire");
    let out = Output::from(child.wait_with_output().unwrap());
    out.code(7).one_line_error();
    let done = assert_expire_consistent(&db);
    assert!(
        done < KEYS,
        "the run finished before it could be interrupted"
    );
    finish_expire(&db);
}

#[test]
fn keyadm_killed_mid_expire_leaves_whole_batches_and_a_rerun_finishes() {
    let db = TestDb::new();
    seed_old_keys(&db, KEYS as i32);
    let mut child = db
        .keyadm(&["expire", "--older-than", "30d", "--yes", "--quiet"])
        .env("PGAPPNAME", Some("keyadm-fault-kill"))
        .spawn();
    wait_for_events(&db, "expired", 3000);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    wait_for_no_backend(&db, "keyadm-fault-kill");
    assert!(
        assert_expire_consistent(&db) < KEYS,
        "the run finished before it was killed"
    );
    finish_expire(&db);
}

/// Blocks every insert into key_events, so a rotation stalls after its first two writes.
fn block_events(db: &TestDb) -> postgres::Client {
    let mut blocker = db.client();
    blocker
        .batch_execute("BEGIN; LOCK TABLE keyadm.key_events IN EXCLUSIVE MODE")
        .unwrap();
    blocker
}

pub fn wait_until_blocked(db: &TestDb, application: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = db
            .client()
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND wait_event_type = 'Lock'",
                &[&db.name, &application],
            )
            .unwrap();
        if row.get::<_, i64>(0) > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "keyadm never came to wait on the lock"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn assert_rotation_undone(db: &TestDb, id: &str) {
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys"),
        1,
        "a successor survived"
    );
    let row = db
        .client()
        .query_one(
            "SELECT rotated_to IS NULL AND expires_at IS NULL FROM keyadm.api_keys WHERE id = $1::text::uuid",
            &[&id],
        )
        .unwrap();
    assert!(
        row.get::<_, bool>(0),
        "the old key was changed without its successor"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'rotated'"),
        0
    );
}

#[test]
fn a_rotation_killed_midway_leaves_no_trace() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;

    // The backend killed between the writes.
    let mut blocker = block_events(&db);
    let child = db
        .keyadm(&["rotate", &key.id])
        .env("PGAPPNAME", Some("keyadm-fault-rot1"))
        .spawn();
    wait_until_blocked(&db, "keyadm-fault-rot1");
    terminate_backends(&db, "keyadm-fault-rot1");
    Output::from(child.wait_with_output().unwrap())
        .code(7)
        .one_line_error();
    blocker.batch_execute("ROLLBACK").unwrap();
    assert_rotation_undone(&db, &key.id);

    // keyadm itself killed between the writes.
    let mut blocker = block_events(&db);
    let mut child = db
        .keyadm(&["rotate", &key.id])
        .env("PGAPPNAME", Some("keyadm-fault-rot2"))
        .spawn();
    wait_until_blocked(&db, "keyadm-fault-rot2");
    child.kill().unwrap();
    child.wait().unwrap();
    blocker.batch_execute("ROLLBACK").unwrap();
    wait_for_no_backend(&db, "keyadm-fault-rot2");
    assert_rotation_undone(&db, &key.id);

    db.keyadm(&["rotate", &key.id]).run().success();
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 2);
}

#[test]
fn the_server_stopped_mid_prune_then_a_rerun_finishes() {
    let private = Cluster::private();
    let db = TestDb::new_on(&private);
    seed_old_keys(&db, KEYS as i32);
    db.client()
        .batch_execute("UPDATE keyadm.api_keys SET revoked_at = now() - interval '40 days'")
        .unwrap();
    let child = db
        .keyadm(&["prune", "--dead-for", "30d", "--yes", "--quiet"])
        .spawn();
    wait_for_events(&db, "pruned", 3000);
    private.stop_now();
    let out = Output::from(child.wait_with_output().unwrap());
    out.code(7).one_line_error();
    private.start_again();
    let pruned = db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'pruned'");
    let left = db.scalar("SELECT count(*) FROM keyadm.api_keys");
    assert_eq!(pruned + left, KEYS, "deletions and their events disagree");
    assert!(left > 0, "the run finished before the server stopped");
    db.keyadm(&["prune", "--dead-for", "30d", "--yes", "--quiet"])
        .run()
        .success();
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 0);
    assert_eq!(
        db.scalar("SELECT count(DISTINCT key_id) FROM keyadm.key_events WHERE action = 'pruned'"),
        KEYS
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'pruned'"),
        KEYS
    );
}

#[test]
fn a_server_restart_between_commands_is_invisible() {
    let private = Cluster::private();
    let db = TestDb::new_on(&private);
    let key = db.create("acme", "ci", &[]);
    private.restart();
    db.keyadm(&["check"]).stdin(&key.secret).run().success();
    db.keyadm(&["list"])
        .run()
        .success()
        .stdout_has(&key.key.start);
}

/// Ctrl-C, as a terminal sends it.
fn send(pid: u32, signal: i32) {
    assert_eq!(unsafe { libc::kill(pid as i32, signal) }, 0);
}

#[test]
fn ctrl_c_cancels_a_revoke_waiting_on_a_lock_and_nothing_is_revoked_later() {
    let db = TestDb::new();
    ctrl_c_cancels_a_blocked_revoke(&db, &db.conninfo);
}

/// `timeout` and job schedulers stop a command with SIGTERM; a closed terminal sends SIGHUP.
#[test]
fn sigterm_and_sighup_cancel_a_revoke_waiting_on_a_lock_as_ctrl_c_does() {
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        let db = TestDb::new();
        signal_cancels_a_blocked_revoke(&db, &db.conninfo, signal);
    }
}

/// Ctrl-C while `revoke` waits on the key's row lock, connected to `db` through `url`.
pub fn ctrl_c_cancels_a_blocked_revoke(db: &TestDb, url: &str) {
    signal_cancels_a_blocked_revoke(db, url, libc::SIGINT);
}

/// `signal` while `revoke` waits on the key's row lock, connected to `db` through `url`.
fn signal_cancels_a_blocked_revoke(db: &TestDb, url: &str, signal: i32) {
    let key = db.create("acme", "ci", &[]).key;
    let mut holder = db.hold_key_locks();
    let child = db
        .keyadm(&["revoke", &key.id, "--yes"])
        .env("KEYADM_DATABASE_URL", Some(url))
        .env("PGAPPNAME", Some("keyadm-ctrl-c-revoke"))
        .spawn();
    wait_until_blocked(db, "keyadm-ctrl-c-revoke");
    send(child.id(), signal);
    let out = Output::from(child.wait_with_output().unwrap());
    // The lock released only now: a statement still queued on the server would revoke.
    holder.batch_execute("ROLLBACK").unwrap();
    wait_for_no_backend(db, "keyadm-ctrl-c-revoke");
    out.code(5)
        .one_line_error()
        .stderr_has("interrupted; nothing changed")
        .stderr_has("pg_stat_activity");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        0
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'revoked'"),
        0
    );
    db.keyadm(&["revoke", &key.id, "--yes"]).run().success();
}

/// Runs a sweep (`args`, with `--json`) and sends it `signal` (Ctrl-C's SIGINT, SIGTERM)
/// between two batches, once it has written some `action` events.
fn signal_a_sweep_midway(db: &TestDb, args: &[&str], action: &str, signal: i32) -> Output {
    let application = format!("keyadm-ctrl-c-{action}");
    let child = db.keyadm(args).env("PGAPPNAME", Some(&application)).spawn();
    let pid = child.id();
    // Its report is read as it comes, or keyadm would wait for the pipe.
    let output = std::thread::spawn(move || Output::from(child.wait_with_output().unwrap()));
    wait_for_events(db, action, 3000);
    // Taken between two batches: the next one waits for it.
    let mut blocker = block_events(db);
    wait_until_blocked(db, &application);
    send(pid, signal);
    let out = output.join().unwrap();
    blocker.batch_execute("ROLLBACK").unwrap();
    wait_for_no_backend(db, &application);
    out
}

/// A sweep interrupted after `done` keys: exit 5, the message, and what was committed
/// reported as a whole JSON document.
fn assert_stopped_after(out: Output, done: i64, message: &str) {
    assert!(done < KEYS, "the run finished before it was interrupted");
    let out = out.code(5);
    let error = out.json_error();
    assert_eq!(error.code, "aborted");
    assert_eq!(error.message, message);
    assert!(error.hint.unwrap().contains("run the same command again"));
    let report: serde_json::Value = out.json();
    assert_eq!(report["count"], done);
    assert_eq!(report["keys"].as_array().unwrap().len() as i64, done);
}

#[test]
fn ctrl_c_mid_expire_stops_after_whole_batches_and_reports_them() {
    expire_stopped_midway_by(libc::SIGINT);
}

#[test]
fn sigterm_mid_expire_stops_after_whole_batches_and_reports_them() {
    expire_stopped_midway_by(libc::SIGTERM);
}

/// An expire sent `signal` between two batches: what it committed stands and is reported.
fn expire_stopped_midway_by(signal: i32) {
    let db = TestDb::new();
    seed_old_keys(&db, KEYS as i32);
    let out = signal_a_sweep_midway(
        &db,
        &["expire", "--older-than", "30d", "--yes", "--json"],
        "expired",
        signal,
    );
    let done = assert_expire_consistent(&db);
    assert_stopped_after(
        out,
        done,
        &format!(
            "interrupted after {done} key(s) were set to expire; the others were left as they were"
        ),
    );
    finish_expire(&db);
}

#[test]
fn ctrl_c_mid_prune_stops_after_whole_batches_and_reports_them() {
    let db = TestDb::new();
    seed_old_keys(&db, KEYS as i32);
    db.client()
        .batch_execute("UPDATE keyadm.api_keys SET revoked_at = now() - interval '40 days'")
        .unwrap();
    let out = signal_a_sweep_midway(
        &db,
        &["prune", "--dead-for", "30d", "--yes", "--json"],
        "pruned",
        libc::SIGINT,
    );
    let pruned = db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'pruned'");
    let left = db.scalar("SELECT count(*) FROM keyadm.api_keys");
    assert_eq!(pruned + left, KEYS, "deletions and their events disagree");
    assert_stopped_after(
        out,
        pruned,
        &format!("interrupted after {pruned} key(s) were deleted; the others were kept"),
    );
    db.keyadm(&["prune", "--dead-for", "30d", "--yes", "--quiet"])
        .run()
        .success();
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 0);
}

#[test]
fn a_second_ctrl_c_quits_at_once_when_the_first_cannot_end_the_work() {
    a_second_signal_quits_at_once(libc::SIGINT);
}

#[test]
fn a_second_sigterm_ends_keyadm_by_sigterm() {
    a_second_signal_quits_at_once(libc::SIGTERM);
}

/// A sweep sent `signal` twice while it waits on a full pipe, where no statement runs for the
/// first one's cancel request to stop: the second ends it by that signal, as its default
/// action would (a shell shows 128 + the signal's number).
fn a_second_signal_quits_at_once(signal: i32) {
    use std::os::unix::process::ExitStatusExt;

    let db = TestDb::new();
    seed_old_keys(&db, KEYS as i32);
    // Nobody reads its report: keyadm soon waits on a full pipe.
    let mut child = db
        .keyadm(&["expire", "--older-than", "30d", "--yes", "--json"])
        .spawn();
    wait_for_events(&db, "expired", 1000);
    std::thread::sleep(Duration::from_millis(300));
    send(child.id(), signal);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "keyadm ended at the first signal while writing its report"
    );
    send(child.id(), signal);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "a second signal did not end keyadm"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        (status.code(), status.signal()),
        (None, Some(signal)),
        "keyadm did not end by the signal: {status:?}"
    );
    assert!(assert_expire_consistent(&db) < KEYS);
    finish_expire(&db);
}
