//! Statements on `key_events`, the append-only audit log.

use chrono::{DateTime, Utc};
use postgres::types::Type;
use uuid::Uuid;

use crate::error::Result;
use crate::model::Event;

use super::Store;
use super::keys::{CANDIDATE_ROWS, KeyLookup, Param};
use super::lenient::PgTime;

/// The columns of an [`Event`], with the handle of its key (from the key, or for a deleted
/// key from the event that recorded it).
const EVENT_COLUMNS: &str = "e.id, e.key_id, e.org, e.at, e.actor, e.db_user, e.action, e.detail,
    COALESCE(k.start, e.detail->>'start') AS key_start";

/// What `audit` selects.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub key_id: Option<Uuid>,
    pub org: Option<String>,
    /// Events at or after this time...
    pub since_time: Option<DateTime<Utc>>,
    /// ...or at most this many seconds old (by the server's clock).
    pub since_seconds: Option<f64>,
    pub limit: Option<i64>,
}

fn event_from_row(row: &postgres::Row) -> Event {
    Event {
        id: row.get("id"),
        key_id: row.get("key_id"),
        key_start: row.get("key_start"),
        org: row.get("org"),
        at: row.get::<_, PgTime>("at").clamped(),
        actor: row.get("actor"),
        db_user: row.get("db_user"),
        action: row.get("action"),
        detail: row.get("detail"),
    }
}

impl Store {
    /// The most recent `limit` events of one key, newest first.
    pub(super) fn events_of_key(
        &self,
        conn: &mut postgres::Client,
        key_id: Uuid,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let rows = conn.query_typed(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM {} e LEFT JOIN {} k ON k.id = e.key_id
                 WHERE e.key_id = $1 ORDER BY e.at DESC, e.id DESC LIMIT $2",
                self.table("key_events"),
                self.table("api_keys"),
            ),
            &[(&key_id, Type::UUID), (&limit, Type::INT8)],
        )?;
        Ok(rows.iter().map(event_from_row).collect())
    }

    /// Streams events, newest first, to `sink`.
    pub fn audit_events(
        &self,
        filter: &AuditFilter,
        sink: &mut dyn FnMut(Event) -> Result<()>,
    ) -> Result<u64> {
        // Every event of a deleted key gets its handle, from the event that recorded it (one
        // probe of the key's events, only for an event that does not carry it), not just the
        // events that carry it.
        let sql = format!(
            "SELECT e.id, e.key_id, e.org, e.at, e.actor, e.db_user, e.action, e.detail,
                    COALESCE(k.start, e.detail->>'start',
                             (SELECT r.detail->>'start' FROM {events} r
                              WHERE r.key_id = e.key_id AND r.action IN ('created', 'pruned')
                              LIMIT 1))
                      AS key_start
             FROM {events} e LEFT JOIN {keys} k ON k.id = e.key_id
             WHERE ($1::uuid IS NULL OR e.key_id = $1)
               AND ($2::text IS NULL OR e.org = $2)
               AND ($3::timestamptz IS NULL OR e.at >= $3)
               AND ($4::float8 IS NULL OR e.at >= now() - $4 * interval '1 second')
             ORDER BY e.at DESC, e.id DESC
             LIMIT $5",
            events = self.table("key_events"),
            keys = self.table("api_keys"),
        );
        let params: [Param<'_>; 5] = [
            (&filter.key_id, Type::UUID),
            (&filter.org, Type::TEXT),
            (&filter.since_time, Type::TIMESTAMPTZ),
            (&filter.since_seconds, Type::FLOAT8),
            (&filter.limit, Type::INT8),
        ];
        self.stream_rows(&sql, &params, &mut |row| sink(event_from_row(row)))
    }

    /// Whether this user may read the log. The commands that change keys only write to it
    /// (`doctor` asks no more of them), so what they look up there to explain a KEY or an
    /// `--org` that matches nothing is skipped without that right, never an error.
    /// Asked once per command.
    pub(super) fn may_read_events(&self) -> Result<bool> {
        if let Some(readable) = self.log_readable.get() {
            return Ok(*readable);
        }
        let row = self.conn()?.query_typed_one(
            "SELECT has_table_privilege($1, 'SELECT')",
            &[(&self.table("key_events"), Type::TEXT)],
        )?;
        Ok(*self.log_readable.get_or_init(|| row.get(0)))
    }

    /// Ids of keys that only the log still knows (deleted by `prune`), by id or by the start
    /// handle their `pruned` event records: at most [`super::MAX_CANDIDATES`] and one more.
    /// None when this user may not read the log.
    pub fn logged_key_ids(&self, lookup: &KeyLookup, org: Option<&str>) -> Result<Vec<Uuid>> {
        if !self.may_read_events()? {
            return Ok(Vec::new());
        }
        let (low, high) = lookup.id_range.unzip();
        // `OFFSET 0` keeps the planner from reading the whole log in `key_id` order to stop at
        // the limit. It takes no statistics from a partial index, so it guesses that 0.5 % of
        // the `pruned` events match (at 1M of them, 5,000), where one per deleted key can.
        let rows = self.conn()?.query_typed(
            &format!(
                "SELECT DISTINCT key_id FROM (
                     SELECT key_id FROM {}
                     WHERE (($1::uuid IS NOT NULL AND key_id BETWEEN $1 AND $2)
                         OR ($3::text IS NOT NULL AND action = 'pruned' AND detail->>'start' = $3))
                       AND ($4::text IS NULL OR org = $4)
                     OFFSET 0) AS logged
                 LIMIT $5",
                self.table("key_events")
            ),
            &[
                (&low, Type::UUID),
                (&high, Type::UUID),
                (&lookup.start, Type::TEXT),
                (&org, Type::TEXT),
                (&CANDIDATE_ROWS, Type::INT8),
            ],
        )?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}
