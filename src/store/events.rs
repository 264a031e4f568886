//! Statements on `key_events`, the append-only audit log.

use postgres::types::Type;
use uuid::Uuid;

use crate::error::Result;
use crate::model::Event;

use super::Store;
use super::pool::Connection;

/// The columns of an [`Event`].
const EVENT_COLUMNS: &str = "id, key_id, at, actor, db_user, action, detail";

fn event_from_row(row: &postgres::Row) -> Event {
    Event {
        id: row.get("id"),
        key_id: row.get("key_id"),
        at: row.get("at"),
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
        conn: &mut Connection,
        key_id: Uuid,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let rows = conn.query_typed(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM {} WHERE key_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
                self.table("key_events")
            ),
            &[(&key_id, Type::UUID), (&limit, Type::INT8)],
        )?;
        Ok(rows.iter().map(event_from_row).collect())
    }
}
