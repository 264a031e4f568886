//! The cron sweeps: `expire` and `prune`, in bounded batches.
//!
//! Each batch is one statement, so one transaction touching at most [`BATCH_SIZE`] rows:
//! services verifying keys are never blocked for long, and a run stopped half-way has
//! committed only whole batches. Rows are taken with `FOR UPDATE SKIP LOCKED` and re-checked
//! against the condition, so two overlapping runs share the work and never act twice on a key.
//! A batch then changes its rows by their physical address (`ctid`, a TID scan): the row lock
//! keeps that address current until the commit, and it spares a primary-key probe per row,
//! which was most of a batch's cost (BENCHMARKS.md).

use std::time::Duration;

use postgres::types::Type;

use crate::error::Result;
use crate::model::Key;
use crate::timespec::seconds;

use super::Store;
use super::json_time::utc_json;
use super::keys::{KEY_COLUMNS, key_from_row};

/// Rows changed per transaction.
pub const BATCH_SIZE: i64 = 1000;

/// Which active keys `expire` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpirePolicy {
    /// Created more than this long ago.
    OlderThan(Duration),
    /// Not used (last_used_at, else created_at) for this long.
    UnusedFor(Duration),
}

impl ExpirePolicy {
    fn name(self) -> &'static str {
        match self {
            ExpirePolicy::OlderThan(_) => "older_than",
            ExpirePolicy::UnusedFor(_) => "unused_for",
        }
    }

    fn threshold(self) -> f64 {
        match self {
            ExpirePolicy::OlderThan(d) | ExpirePolicy::UnusedFor(d) => seconds(d),
        }
    }

    /// The age condition; `$1` is the threshold in seconds.
    fn sql(self) -> &'static str {
        match self {
            ExpirePolicy::OlderThan(_) => "created_at < now() - $1 * interval '1 second'",
            ExpirePolicy::UnusedFor(_) => {
                "COALESCE(last_used_at, created_at) < now() - $1 * interval '1 second'"
            }
        }
    }
}

/// Keys `expire` acts on: active, old or unused enough, not already set to expire by then.
/// Parameters: `$1` threshold, `$2` org, `$3` grace (seconds).
fn expire_condition(policy: ExpirePolicy) -> String {
    format!(
        "revoked_at IS NULL
         AND (expires_at IS NULL OR expires_at > now() + $3 * interval '1 second')
         AND ($2::text IS NULL OR org = $2)
         AND {}",
        policy.sql()
    )
}

/// Keys `prune` deletes. Parameters: `$1` dead-for (seconds), `$2` org.
const PRUNE_CONDITION: &str = "($2::text IS NULL OR org = $2)
    AND ((revoked_at IS NOT NULL AND revoked_at < now() - $1 * interval '1 second')
      OR (revoked_at IS NULL AND expires_at < now() - $1 * interval '1 second'))";

impl Store {
    /// How many keys `expire` would act on now.
    pub fn count_expirable(
        &self,
        policy: ExpirePolicy,
        org: Option<&str>,
        grace: Duration,
    ) -> Result<i64> {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {}",
            self.table("api_keys"),
            expire_condition(policy)
        );
        let row = self.conn()?.query_typed_one(
            &sql,
            &[
                (&policy.threshold(), Type::FLOAT8),
                (&org, Type::TEXT),
                (&seconds(grace), Type::FLOAT8),
            ],
        )?;
        Ok(row.get(0))
    }

    /// Streams the keys `expire` would act on (for `--dry-run`).
    pub fn expirable_keys(
        &self,
        policy: ExpirePolicy,
        org: Option<&str>,
        grace: Duration,
        sink: &mut dyn FnMut(Key) -> Result<()>,
    ) -> Result<u64> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM {} WHERE {} ORDER BY created_at, id",
            self.table("api_keys"),
            expire_condition(policy)
        );
        let threshold = policy.threshold();
        let grace = seconds(grace);
        self.stream_keys(
            &sql,
            &[
                (&threshold, Type::FLOAT8),
                (&org, Type::TEXT),
                (&grace, Type::FLOAT8),
            ],
            sink,
        )
    }

    /// Sets the expiry of the selected keys to now + grace, batch by batch, with an `expired`
    /// event per key; `on_batch` sees each committed batch. Returns how many keys it changed.
    ///
    /// Every key of a batch gets the same expiry, so the events' detail is built once per
    /// batch (an uncorrelated subquery), not once per key: about a tenth of a large run.
    /// Its `expires_at` is the very expression the `SET` uses, in the same transaction.
    pub fn expire_keys(
        &self,
        policy: ExpirePolicy,
        org: Option<&str>,
        grace: Duration,
        actor: &str,
        on_batch: &mut dyn FnMut(Vec<Key>) -> Result<()>,
    ) -> Result<u64> {
        let sql = format!(
            "WITH changed AS (
                UPDATE {keys} SET expires_at = now() + $3 * interval '1 second'
                WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM {keys} WHERE {condition} LIMIT $4 FOR UPDATE SKIP LOCKED))
                RETURNING *),
             logged AS (
                INSERT INTO {events} (key_id, org, actor, action, detail)
                SELECT id, org, $5, 'expired', (SELECT jsonb_build_object(
                    'policy', $6::text, 'threshold_seconds', $1::float8,
                    'grace_seconds', $3::float8, 'expires_at', {expires_at}))
                FROM changed)
             SELECT {KEY_COLUMNS} FROM changed",
            keys = self.table("api_keys"),
            events = self.table("key_events"),
            condition = expire_condition(policy),
            expires_at = utc_json("now() + $3 * interval '1 second'"),
        );
        let threshold = policy.threshold();
        let grace = seconds(grace);
        let policy_name = policy.name();
        self.run_batches(
            &sql,
            &[
                (&threshold, Type::FLOAT8),
                (&org, Type::TEXT),
                (&grace, Type::FLOAT8),
                (&BATCH_SIZE, Type::INT8),
                (&actor, Type::TEXT),
                (&policy_name, Type::TEXT),
            ],
            on_batch,
        )
    }

    /// How many keys `prune` would delete now.
    pub fn count_prunable(&self, dead_for: Duration, org: Option<&str>) -> Result<i64> {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {PRUNE_CONDITION}",
            self.table("api_keys")
        );
        let row = self.conn()?.query_typed_one(
            &sql,
            &[(&seconds(dead_for), Type::FLOAT8), (&org, Type::TEXT)],
        )?;
        Ok(row.get(0))
    }

    /// Streams the keys `prune` would delete (for `--dry-run`).
    pub fn prunable_keys(
        &self,
        dead_for: Duration,
        org: Option<&str>,
        sink: &mut dyn FnMut(Key) -> Result<()>,
    ) -> Result<u64> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM {} WHERE {PRUNE_CONDITION} ORDER BY created_at, id",
            self.table("api_keys")
        );
        let dead_for = seconds(dead_for);
        self.stream_keys(&sql, &[(&dead_for, Type::FLOAT8), (&org, Type::TEXT)], sink)
    }

    /// Deletes dead keys batch by batch, leaving their events and adding a `pruned` one.
    pub fn prune_keys(
        &self,
        dead_for: Duration,
        org: Option<&str>,
        actor: &str,
        on_batch: &mut dyn FnMut(Vec<Key>) -> Result<()>,
    ) -> Result<u64> {
        let sql = format!(
            "WITH deleted AS (
                DELETE FROM {keys}
                WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM {keys} WHERE {PRUNE_CONDITION} LIMIT $3 FOR UPDATE SKIP LOCKED))
                RETURNING *),
             logged AS (
                INSERT INTO {events} (key_id, org, actor, action, detail)
                SELECT id, org, $4, 'pruned', jsonb_build_object(
                    'name', name, 'start', start, 'revoked_at', {revoked_at},
                    'expires_at', {expires_at}, 'dead_for_seconds', $1::float8)
                FROM deleted)
             SELECT {KEY_COLUMNS} FROM deleted",
            keys = self.table("api_keys"),
            events = self.table("key_events"),
            revoked_at = utc_json("revoked_at"),
            expires_at = utc_json("expires_at"),
        );
        let dead_for = seconds(dead_for);
        self.run_batches(
            &sql,
            &[
                (&dead_for, Type::FLOAT8),
                (&org, Type::TEXT),
                (&BATCH_SIZE, Type::INT8),
                (&actor, Type::TEXT),
            ],
            on_batch,
        )
    }

    /// Runs a batch statement until it changes nothing more.
    fn run_batches(
        &self,
        sql: &str,
        params: &[(&(dyn postgres::types::ToSql + Sync), Type)],
        on_batch: &mut dyn FnMut(Vec<Key>) -> Result<()>,
    ) -> Result<u64> {
        let mut conn = self.conn()?;
        let mut total = 0;
        loop {
            if crate::interrupt::cancelled() {
                return Err(crate::interrupt::cancelled_error());
            }
            let keys: Vec<Key> = conn
                .query_typed(sql, params)?
                .iter()
                .map(key_from_row)
                .collect();
            if keys.is_empty() {
                return Ok(total);
            }
            total += keys.len() as u64;
            on_batch(keys)?;
        }
    }
}
