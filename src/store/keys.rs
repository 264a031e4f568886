//! Statements on `api_keys` (and the events each change writes with it).

use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::Row;
use postgres::types::{ToSql, Type};
use serde_json::Value;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::label;
use crate::model::{Key, KeyDetail, KeyStatus, Rotation, UpdateOutcome};
use crate::timespec::seconds;

use super::Store;
use super::bulk::{KeyTemplate, NewKey};
use super::json_time::{LAST_TIME, utc_json};
use super::lenient::{PgTime, Scopes};

/// The stored columns of a [`Key`].
macro_rules! key_fields {
    () => {
        "id, org, name, prefix, start, scopes, metadata, created_at, created_by, \
         expires_at, revoked_at, revoked_by, revoke_reason, last_used_at, rotated_from, rotated_to"
    };
}

/// The columns of a [`Key`], with its status computed by the server's clock.
pub(super) const KEY_COLUMNS: &str = concat!(
    key_fields!(),
    ", CASE WHEN revoked_at IS NOT NULL THEN 'revoked' \
       WHEN expires_at <= now() THEN 'expired' ELSE 'active' END AS status"
);

/// The SQL condition of a key that is neither revoked nor expired.
pub(super) const LIVE: &str = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())";

/// How many candidates a KEY lookup reports at most.
pub const MAX_CANDIDATES: usize = 10;
/// Rows fetched for candidates: one more than are shown.
pub(super) const CANDIDATE_ROWS: i64 = MAX_CANDIDATES as i64 + 1;

/// How many recent events `show` prints.
const SHOW_EVENTS: i64 = 20;

/// The expiry requested for a new key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expiry {
    /// Never expires.
    Never,
    /// Expires this long after creation (by the server's clock).
    In(Duration),
    /// Expires at this time.
    At(DateTime<Utc>),
}

impl Expiry {
    /// `(at, seconds)` parameters for [`EXPIRY_SQL`].
    pub(super) fn params(self) -> (Option<DateTime<Utc>>, Option<f64>) {
        match self {
            Expiry::Never => (None, None),
            Expiry::In(duration) => (None, Some(seconds(duration))),
            Expiry::At(at) => (Some(at), None),
        }
    }
}

/// The new key of a rotation: everything else is copied from the key it replaces.
pub struct Successor {
    pub id: Uuid,
    pub start: String,
    pub hash: [u8; 32],
}

/// The unrevoked keys of an org at one moment of the server's clock.
pub struct Revocable {
    pub count: i64,
    pub as_of: DateTime<Utc>,
}

/// The forms a KEY identifier may take; several may apply to one string.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KeyLookup {
    /// An id, or the range of ids sharing a prefix.
    pub id_range: Option<(Uuid, Uuid)>,
    /// A `start` display handle.
    pub start: Option<String>,
    /// A name: the live head of a rotation lineage.
    pub name: Option<String>,
}

/// What `update` changes; `None` and empty lists leave a field as it is.
#[derive(Debug, Clone, Default)]
pub struct KeyChanges {
    pub name: Option<String>,
    pub add_scopes: Vec<String>,
    pub remove_scopes: Vec<String>,
    pub set_meta: Vec<(String, String)>,
    pub unset_meta: Vec<String>,
    pub expiry: Option<Expiry>,
}

/// Which statuses `list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Active,
    Expired,
    Revoked,
    All,
}

impl StatusFilter {
    fn sql(self) -> &'static str {
        match self {
            StatusFilter::Active => LIVE,
            StatusFilter::Expired => "revoked_at IS NULL AND expires_at <= now()",
            StatusFilter::Revoked => "revoked_at IS NOT NULL",
            StatusFilter::All => "true",
        }
    }
}

/// What `list` selects.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub org: Option<String>,
    pub status: StatusFilter,
    pub expiring_within: Option<Duration>,
    pub limit: Option<i64>,
}

/// A key from its row. Times and scopes are read leniently ([`lenient`](super::lenient)): a
/// row written by hand with `expires_at = 'infinity'` is a key that never expires.
pub(super) fn key_from_row(row: &Row) -> Key {
    key_with_status(row, KeyStatus::from_sql(row.get("status")))
}

/// The [`Key`] in a row of its stored columns, with `status`.
fn key_with_status(row: &Row, status: KeyStatus) -> Key {
    let time = |column: &str| row.get::<_, Option<PgTime>>(column).map(|t| t.clamped());
    Key {
        id: row.get("id"),
        org: row.get("org"),
        name: row.get("name"),
        prefix: row.get("prefix"),
        start: row.get("start"),
        scopes: row.get::<_, Scopes>("scopes").0,
        metadata: row.get("metadata"),
        created_at: row.get::<_, PgTime>("created_at").clamped(),
        created_by: row.get("created_by"),
        expires_at: row
            .get::<_, Option<PgTime>>("expires_at")
            .and_then(|t| t.expiry()),
        revoked_at: time("revoked_at"),
        revoked_by: row.get("revoked_by"),
        revoke_reason: row.get("revoke_reason"),
        last_used_at: time("last_used_at"),
        rotated_from: row.get("rotated_from"),
        rotated_to: row.get("rotated_to"),
        status,
    }
}

/// A key's status at `now`, as [`KEY_COLUMNS`] computes it: revoked, else expired once its
/// expiry has come, else active.
fn status_at(revoked: bool, expires: Option<PgTime>, now: PgTime) -> KeyStatus {
    if revoked {
        KeyStatus::Revoked
    } else if expires.is_some_and(|expires| expires <= now) {
        KeyStatus::Expired
    } else {
        KeyStatus::Active
    }
}

pub(super) type Param<'a> = (&'a (dyn ToSql + Sync), Type);

impl Store {
    /// Inserts a key and its `created` event, unless a live, unrotated key already has its
    /// org and name (then a conflict, nothing written). `before_commit` runs inside the
    /// transaction, so a secret that cannot be handed over leaves no key behind.
    pub fn create_key(
        &self,
        template: &KeyTemplate<'_>,
        new: NewKey,
        actor: &str,
        before_commit: impl FnOnce(&Key) -> Result<()>,
    ) -> Result<Key> {
        let mut conn = self.conn()?;
        let mut tx = Store::begin(&mut conn)?;
        if let Some(start) = self.lock_name(&mut tx, template.org, &new.name, None)? {
            return Err(Error::Conflict {
                message: format!(
                    "org \"{}\" already has a live key named \"{}\" ({start})",
                    template.org, new.name
                ),
                hint: Some(format!(
                    "rotate it (`keyadm rotate {start}`), revoke it, or pick another name"
                )),
            });
        }
        let (key, ()) = self
            .insert_keys(&mut tx, template, actor, vec![(new, ())])?
            .pop()
            .ok_or_else(|| Error::failure("the new key was not stored"))?;
        before_commit(&key)?;
        tx.commit()?;
        Ok(key)
    }

    /// Keys matching a KEY identifier: at most [`MAX_CANDIDATES`] and one more, which tells an
    /// ambiguity message that there are more.
    pub fn find_keys(&self, lookup: &KeyLookup, org: Option<&str>) -> Result<Vec<Key>> {
        let (low, high) = lookup.id_range.unzip();
        let rows = self.conn()?.query_typed(
            &format!(
                "SELECT {KEY_COLUMNS} FROM {keys}
                 WHERE (($1::uuid IS NOT NULL AND id BETWEEN $1 AND $2)
                     OR ($3::text IS NOT NULL AND start = $3)
                     OR ($4::text IS NOT NULL AND name = $4 AND rotated_to IS NULL AND {LIVE}))
                   AND ($5::text IS NULL OR org = $5)
                 ORDER BY created_at DESC, id DESC
                 LIMIT $6",
                keys = self.table("api_keys"),
            ),
            &[
                (&low, Type::UUID),
                (&high, Type::UUID),
                (&lookup.start, Type::TEXT),
                (&lookup.name, Type::TEXT),
                (&org, Type::TEXT),
                (&CANDIDATE_ROWS, Type::INT8),
            ],
        )?;
        Ok(rows.iter().map(key_from_row).collect())
    }

    /// Keys that have `name` whatever their state (revoked, expired, rotated), newest first,
    /// at most `limit`: what a name that matches no live key may have meant.
    pub fn keys_named(&self, name: &str, org: Option<&str>, limit: i64) -> Result<Vec<Key>> {
        let rows = self.conn()?.query_typed(
            &format!(
                "SELECT {KEY_COLUMNS} FROM {keys}
                 WHERE name = $1 AND ($2::text IS NULL OR org = $2)
                 ORDER BY created_at DESC, id DESC
                 LIMIT $3",
                keys = self.table("api_keys"),
            ),
            &[
                (&name, Type::TEXT),
                (&org, Type::TEXT),
                (&limit, Type::INT8),
            ],
        )?;
        Ok(rows.iter().map(key_from_row).collect())
    }

    /// The key with this hash, and whether it expires within `within`. The schema version
    /// check rides in the same statement (open the store without it), so verifying a secret
    /// that was issued costs one round trip after connecting; one that matches no key costs a
    /// second, for the version alone. The key's status is judged here by the server's clock
    /// (`now()` comes with the row), as [`KEY_COLUMNS`] judges it in SQL. On a fresh server
    /// connection, planning those comparisons in SQL took a fifth of the statement's time, and
    /// a join that kept a row for the version when no key matched a tenth.
    pub fn key_by_hash(
        &self,
        hash: &[u8; 32],
        within: Option<Duration>,
    ) -> Result<Option<(Key, bool)>> {
        let hash: &[u8] = hash;
        let version = self.schema_version_expr();
        let sql = format!(
            "SELECT {version} AS version, now() AS now, {fields} FROM {keys} WHERE key_hash = $1",
            fields = key_fields!(),
            keys = self.table("api_keys"),
        );
        // The connection goes back before a failure is explained: the second look at the
        // schema then reuses it instead of opening another.
        let result = self.conn()?.query_typed_opt(&sql, &[(&hash, Type::BYTEA)]);
        let Some(row) = result.map_err(|err| self.schema_or_query_error(err))? else {
            let result = self
                .conn()?
                .query_typed_one(&format!("SELECT {version}"), &[]);
            let row = result.map_err(|err| self.schema_or_query_error(err))?;
            self.judge_schema_version(row.get(0))?;
            return Ok(None);
        };
        self.judge_schema_version(row.get("version"))?;
        let now: PgTime = row.get("now");
        let revoked = row.get::<_, Option<PgTime>>("revoked_at").is_some();
        let expires: Option<PgTime> = row.get("expires_at");
        let status = status_at(revoked, expires, now);
        let expiring =
            within.is_some_and(|within| expires.is_some_and(|expires| expires <= now.plus(within)));
        Ok(Some((key_with_status(&row, status), expiring)))
    }

    /// Streams keys, newest first, to `sink`; memory does not grow with the number of keys.
    pub fn list_keys(
        &self,
        filter: &ListFilter,
        sink: &mut dyn FnMut(Key) -> Result<()>,
    ) -> Result<u64> {
        let within = filter.expiring_within.map(seconds);
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM {keys}
             WHERE ($1::text IS NULL OR org = $1) AND {status}
               AND ($2::float8 IS NULL OR expires_at <= now() + $2 * interval '1 second')
             ORDER BY created_at DESC, id DESC
             LIMIT $3",
            keys = self.table("api_keys"),
            status = filter.status.sql(),
        );
        self.stream_keys(
            &sql,
            &[
                (&filter.org, Type::TEXT),
                (&within, Type::FLOAT8),
                (&filter.limit, Type::INT8),
            ],
            sink,
        )
    }

    /// Runs a query of [`KEY_COLUMNS`] and hands each key to `sink` as it arrives.
    pub(super) fn stream_keys(
        &self,
        sql: &str,
        params: &[Param<'_>],
        sink: &mut dyn FnMut(Key) -> Result<()>,
    ) -> Result<u64> {
        self.stream_rows(sql, params, &mut |row| sink(key_from_row(row)))
    }

    /// Runs a query and hands each row to `sink` as it arrives from the server.
    pub(super) fn stream_rows(
        &self,
        sql: &str,
        params: &[Param<'_>],
        sink: &mut dyn FnMut(&Row) -> Result<()>,
    ) -> Result<u64> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut conn = self.conn()?;
        let mut rows =
            conn.query_typed_raw(sql, params.iter().map(|(value, ty)| (*value, ty.clone())))?;
        let mut count = 0;
        while let Some(row) = rows.next()? {
            sink(&row)?;
            count += 1;
        }
        Ok(count)
    }

    /// A key, its rotation lineage (oldest first) and its most recent events.
    pub fn key_detail(&self, id: Uuid) -> Result<Option<KeyDetail>> {
        let mut conn = self.conn()?;
        let keys = self.table("api_keys");
        let Some(row) = conn.query_typed_opt(
            &format!("SELECT {KEY_COLUMNS} FROM {keys} WHERE id = $1"),
            &[(&id, Type::UUID)],
        )?
        else {
            return Ok(None);
        };
        let key = key_from_row(&row);
        let chain = conn
            .query_typed(
                &format!(
                    "WITH RECURSIVE
                       back(id, link, depth) AS (
                         SELECT id, rotated_from, 0 FROM {keys} WHERE id = $1
                         UNION ALL
                         SELECT k.id, k.rotated_from, b.depth - 1 FROM {keys} k JOIN back b ON k.id = b.link
                         WHERE b.depth > -10000 AND k.id <> $1),
                       fwd(id, link, depth) AS (
                         SELECT id, rotated_to, 0 FROM {keys} WHERE id = $1
                         UNION ALL
                         SELECT k.id, k.rotated_to, f.depth + 1 FROM {keys} k JOIN fwd f ON k.id = f.link
                         WHERE f.depth < 10000 AND k.id <> $1)
                     SELECT depth, {KEY_COLUMNS}
                     FROM (SELECT l.depth, k.*
                           FROM (SELECT id, depth FROM back UNION ALL SELECT id, depth FROM fwd WHERE depth > 0) l
                           JOIN {keys} k ON k.id = l.id) lineage"
                ),
                &[(&id, Type::UUID)],
            )?
            .iter()
            .map(|row| (row.get::<_, i32>("depth"), key_from_row(row)))
            .collect();
        let chain = lineage_once(chain, |key: &Key| key.id);
        let events = self.events_of_key(&mut conn, id, SHOW_EVENTS)?;
        Ok(Some(KeyDetail { key, chain, events }))
    }

    /// How many keys of `org` are not revoked yet (only those created after `created_after`
    /// and by now, when given), and the server's time of the count: `revoke --org --all`
    /// leaves alone the keys created between its question's count and its revocation.
    pub fn count_revocable(
        &self,
        org: &str,
        created_after: Option<DateTime<Utc>>,
    ) -> Result<Revocable> {
        let row = self.conn()?.query_typed_one(
            &format!(
                "SELECT count(*), now() FROM {} WHERE org = $1 AND revoked_at IS NULL
                   AND ($2::timestamptz IS NULL OR (created_at > $2 AND created_at <= now()))",
                self.table("api_keys")
            ),
            &[(&org, Type::TEXT), (&created_after, Type::TIMESTAMPTZ)],
        )?;
        Ok(Revocable {
            count: row.get(0),
            as_of: row.get(1),
        })
    }

    /// The statement that revokes the keys of `$1` (ids) or else of `$2` (an org), leaving
    /// alone those created after `$5` (when given) and by now, writing a `revoked` event for
    /// each (`$3` actor, `$4` reason). Keys already revoked are left as they are. It returns
    /// the keys it revoked, newest first.
    fn revoke_statement(&self) -> String {
        format!(
            "WITH r AS (
                UPDATE {keys} SET revoked_at = now(), revoked_by = $3, revoke_reason = $4
                WHERE revoked_at IS NULL
                  AND ($1::uuid[] IS NULL OR id = ANY($1))
                  AND ($2::text IS NULL OR org = $2)
                  AND ($5::timestamptz IS NULL OR NOT (created_at > $5 AND created_at <= now()))
                RETURNING *),
             e AS (
                INSERT INTO {events} (key_id, org, actor, action, detail)
                SELECT id, org, $3, 'revoked', jsonb_build_object('reason', $4::text) FROM r)
             SELECT {KEY_COLUMNS} FROM r ORDER BY created_at DESC, id DESC",
            keys = self.table("api_keys"),
            events = self.table("key_events"),
        )
    }

    /// Revokes the given keys, writing a `revoked` event for each. Keys already revoked are
    /// left as they are. Returns the keys it revoked.
    pub fn revoke_keys(&self, ids: &[Uuid], actor: &str, reason: Option<&str>) -> Result<Vec<Key>> {
        let (ids, org, created_until) = (Some(ids.to_vec()), None::<&str>, None::<DateTime<Utc>>);
        let rows = self.conn()?.query_typed(
            &self.revoke_statement(),
            &[
                (&ids, Type::UUID_ARRAY),
                (&org, Type::TEXT),
                (&actor, Type::TEXT),
                (&reason, Type::TEXT),
                (&created_until, Type::TIMESTAMPTZ),
            ],
        )?;
        Ok(rows.iter().map(key_from_row).collect())
    }

    /// The keys that `ids` replaced by rotation, at any distance back, that still work (in
    /// their grace): revoking a key leaves them working, with secrets of their own. Each comes
    /// with the id of the key of `ids` it led to, newest first. A loop of rotations made by
    /// hand ends the walk.
    pub fn live_predecessors(&self, ids: &[Uuid]) -> Result<Vec<(Uuid, Key)>> {
        let rows = self.conn()?.query_typed(
            &format!(
                "WITH RECURSIVE back(id, head) AS (
                    SELECT rotated_from, id FROM {keys} WHERE id = ANY($1) AND rotated_from IS NOT NULL
                    UNION
                    SELECT k.rotated_from, b.head FROM {keys} k JOIN back b ON k.id = b.id
                    WHERE k.rotated_from IS NOT NULL)
                 SELECT head, {KEY_COLUMNS}
                 FROM (SELECT b.head, k.* FROM back b JOIN {keys} k ON k.id = b.id) s
                 WHERE {LIVE} AND NOT (id = ANY($1))
                 ORDER BY created_at DESC, id DESC",
                keys = self.table("api_keys"),
            ),
            &[(&ids, Type::UUID_ARRAY)],
        )?;
        Ok(rows
            .iter()
            .map(|row| (row.get("head"), key_from_row(row)))
            .collect())
    }

    /// Revokes every unrevoked key of `org` but those created after `created_until` and by
    /// now (a `created_at` the server's clock has not reached yet, from a hand-made row or a
    /// clock set back, would otherwise keep a key from ever being revoked), in one transaction,
    /// handing each revoked key to `sink` as it arrives (newest first), so that memory does
    /// not grow with the org; it commits once they have all arrived. Returns how many it
    /// revoked.
    pub fn revoke_org(
        &self,
        org: &str,
        created_until: DateTime<Utc>,
        actor: &str,
        reason: Option<&str>,
        sink: &mut dyn FnMut(Key) -> Result<()>,
    ) -> Result<u64> {
        use postgres::fallible_iterator::FallibleIterator;
        let ids: Option<Vec<Uuid>> = None;
        let params: [Param<'_>; 5] = [
            (&ids, Type::UUID_ARRAY),
            (&org, Type::TEXT),
            (&actor, Type::TEXT),
            (&reason, Type::TEXT),
            (&created_until, Type::TIMESTAMPTZ),
        ];
        let mut conn = self.conn()?;
        let mut tx = Store::begin(&mut conn)?;
        let mut count = 0;
        {
            let mut rows = tx.query_typed_raw(
                &self.revoke_statement(),
                params.iter().map(|(value, ty)| (*value, ty.clone())),
            )?;
            while let Some(row) = rows.next()? {
                sink(key_from_row(&row))?;
                count += 1;
            }
        }
        tx.commit()?;
        Ok(count)
    }

    /// Rotates `old_id` in one transaction holding its row lock: inserts the successor (same
    /// org, name, prefix, scopes and metadata), points the old key at it and shortens the old
    /// key's expiry to now + grace (never lengthening it), with an event on each key.
    /// `expiry` overrides the successor's expiry; by default it keeps the old key's lifetime.
    pub fn rotate_key(
        &self,
        old_id: Uuid,
        successor: &Successor,
        grace: Duration,
        expiry: Option<Expiry>,
        actor: &str,
        before_commit: impl FnOnce(&Rotation) -> Result<()>,
    ) -> Result<Rotation> {
        let mut conn = self.conn()?;
        let mut tx = Store::begin(&mut conn)?;
        let keys = self.table("api_keys");
        let old = self.lock_key(&mut tx, old_id)?;
        if let Some(next) = old.rotated_to {
            return Err(Error::Conflict {
                message: format!("key {} was already rotated (successor {next})", old.label()),
                hint: Some(format!(
                    "rotate the current key instead: `keyadm rotate {next}`"
                )),
            });
        }
        match old.status {
            KeyStatus::Active => {}
            status => {
                return Err(Error::Conflict {
                    message: format!(
                        "key {} is {}; only an active key can be rotated",
                        old.label(),
                        status.as_str()
                    ),
                    hint: Some("create a new key with `keyadm create` instead".into()),
                });
            }
        }
        let (at, secs) = expiry.unwrap_or(Expiry::Never).params();
        let inherit = expiry.is_none();
        let hash: &[u8] = &successor.hash;
        let new_row = tx.query_typed_one(
            &format!(
                "INSERT INTO {keys} (id, org, name, prefix, start, key_hash, scopes, metadata, created_by, expires_at, rotated_from)
                 SELECT $1, org, name, prefix, $2, $3, scopes, metadata, $4,
                        CASE WHEN $5::timestamptz IS NOT NULL THEN $5
                             WHEN $6::float8 IS NOT NULL THEN now() + $6 * interval '1 second'
                             -- A lifetime carries on; 'infinity' (written by hand) is none.
                             -- It ends by the year 9999, the last RFC 3339 can say (a key
                             -- created to expire then, rotated a day later, would pass it);
                             -- Epochs, not `expires_at - created_at`: that interval wraps
                             -- around past 292,000 years. Between 0 and 8e12 s (250,000
                             -- years), the sum stays in PostgreSQL's range.
                             WHEN $7 AND isfinite(expires_at) AND isfinite(created_at)
                                  THEN LEAST(now() + LEAST(GREATEST(extract(epoch FROM expires_at)
                                                                    - extract(epoch FROM created_at), 0), 8e12)
                                                     * interval '1 second',
                                             {LAST_TIME})
                        END,
                        id
                 FROM {keys} WHERE id = $8
                 RETURNING {KEY_COLUMNS}"
            ),
            &[
                (&successor.id, Type::UUID),
                (&successor.start, Type::TEXT),
                (&hash, Type::BYTEA),
                (&actor, Type::TEXT),
                (&at, Type::TIMESTAMPTZ),
                (&secs, Type::FLOAT8),
                (&inherit, Type::BOOL),
                (&old_id, Type::UUID),
            ],
        )?;
        let new_key = key_from_row(&new_row);
        let grace_secs = seconds(grace);
        let old_row = tx.query_typed_one(
            &format!(
                "UPDATE {keys} SET rotated_to = $2,
                        expires_at = LEAST(expires_at, now() + $3 * interval '1 second')
                 WHERE id = $1
                 RETURNING {KEY_COLUMNS}"
            ),
            &[
                (&old_id, Type::UUID),
                (&new_key.id, Type::UUID),
                (&grace_secs, Type::FLOAT8),
            ],
        )?;
        let old_key = key_from_row(&old_row);
        tx.query_typed(
            &format!(
                "INSERT INTO {events} (key_id, org, actor, action, detail) VALUES
                   ($1, $3, $4, 'rotated', jsonb_build_object(
                       'successor', $2::uuid, 'successor_start', $5::text,
                       'grace_seconds', $6::float8, 'expires_at', {old_expiry})),
                   ($2, $3, $4, 'created', jsonb_build_object(
                       'rotated_from', $1::uuid, 'name', $8::text, 'start', $5::text,
                       'expires_at', {new_expiry}))",
                events = self.table("key_events"),
                old_expiry = utc_json("$7::timestamptz"),
                new_expiry = utc_json("$9::timestamptz"),
            ),
            &[
                (&old_id, Type::UUID),
                (&new_key.id, Type::UUID),
                (&new_key.org, Type::TEXT),
                (&actor, Type::TEXT),
                (&new_key.start, Type::TEXT),
                (&grace_secs, Type::FLOAT8),
                (&old_key.expires_at, Type::TIMESTAMPTZ),
                (&new_key.name, Type::TEXT),
                (&new_key.expires_at, Type::TIMESTAMPTZ),
            ],
        )?;
        let rotation = Rotation {
            successor: new_key,
            predecessor: old_key,
        };
        before_commit(&rotation)?;
        tx.commit()?;
        Ok(rotation)
    }
}

impl Store {
    /// The keys with these hashes, with whether each expires within `within`.
    pub fn keys_by_hashes(
        &self,
        hashes: &[[u8; 32]],
        within: Option<Duration>,
    ) -> Result<Vec<([u8; 32], Key, bool)>> {
        let hashes: Vec<&[u8]> = hashes.iter().map(|h| &h[..]).collect();
        let within = within.map(seconds);
        let rows = self.conn()?.query_typed(
            &format!(
                "SELECT {KEY_COLUMNS}, key_hash,
                        ($2::float8 IS NOT NULL AND expires_at IS NOT NULL
                     AND expires_at <= now() + $2 * interval '1 second') AS expiring
                 FROM {} WHERE key_hash = ANY($1)",
                self.table("api_keys")
            ),
            &[(&hashes, Type::BYTEA_ARRAY), (&within, Type::FLOAT8)],
        )?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let hash: Vec<u8> = row.get("key_hash");
                let hash: [u8; 32] = hash.try_into().ok()?;
                Some((hash, key_from_row(row), row.get("expiring")))
            })
            .collect())
    }

    /// Changes a live key in one transaction, with an `updated` event recording old and new
    /// values. Nothing is written when nothing would change.
    pub fn update_key(&self, id: Uuid, changes: &KeyChanges, actor: &str) -> Result<UpdateOutcome> {
        let mut conn = self.conn()?;
        let mut tx = Store::begin(&mut conn)?;
        let keys = self.table("api_keys");
        let old = self.lock_key(&mut tx, id)?;
        if old.status != KeyStatus::Active {
            return Err(Error::Conflict {
                message: format!(
                    "key {} is {}; only a live key can be updated",
                    old.label(),
                    old.status.as_str()
                ),
                hint: Some("create a new key with `keyadm create` instead".into()),
            });
        }
        let name = changes.name.clone().unwrap_or_else(|| old.name.clone());
        // A name is a rotation's: its successor carries it on, and a key given by name is the
        // newest of its rotation. A superseded key (in its grace) keeps the name it had.
        if name != old.name
            && let Some(successor) = old.rotated_to
        {
            return Err(Error::Conflict {
                message: format!(
                    "key {} was rotated (to {successor}); only the newest key of a rotation can be renamed",
                    old.label()
                ),
                hint: Some(format!(
                    "rename the newest key instead: `keyadm show {}` lists the rotation chain",
                    old.start
                )),
            });
        }
        if name != old.name
            && let Some(start) = self.lock_name(&mut tx, &old.org, &name, Some(id))?
        {
            return Err(Error::conflict(format!(
                "org \"{}\" already has a live key named \"{name}\" ({start})",
                old.org
            )));
        }
        let mut scopes = old.scopes.clone();
        scopes.extend(changes.add_scopes.iter().cloned());
        scopes.retain(|s| !changes.remove_scopes.contains(s));
        let scopes = label::normalize_scopes(&scopes);
        let mut metadata = old.metadata.as_object().cloned().unwrap_or_default();
        for (k, v) in &changes.set_meta {
            metadata.insert(k.clone(), Value::String(v.clone()));
        }
        for k in &changes.unset_meta {
            metadata.remove(k);
        }
        let metadata = Value::Object(metadata);
        let (at, secs) = changes.expiry.unwrap_or(Expiry::Never).params();
        let set_expiry = changes.expiry.is_some();
        let row = tx.query_typed_one(
            &format!(
                "UPDATE {keys} SET name = $2, scopes = $3, metadata = $4,
                        expires_at = CASE WHEN $5 THEN COALESCE($6, now() + $7 * interval '1 second')
                                          ELSE expires_at END
                 WHERE id = $1
                 RETURNING {KEY_COLUMNS}"
            ),
            &[
                (&id, Type::UUID),
                (&name, Type::TEXT),
                (&scopes, Type::TEXT_ARRAY),
                (&metadata, Type::JSONB),
                (&set_expiry, Type::BOOL),
                (&at, Type::TIMESTAMPTZ),
                (&secs, Type::FLOAT8),
            ],
        )?;
        let new = key_from_row(&row);
        let mut diff = serde_json::Map::new();
        let mut note = |field: &str, old: Value, new: Value| {
            if old != new {
                diff.insert(field.into(), serde_json::json!({ "old": old, "new": new }));
            }
        };
        note("name", old.name.clone().into(), new.name.clone().into());
        note(
            "scopes",
            old.scopes.clone().into(),
            new.scopes.clone().into(),
        );
        note("metadata", old.metadata.clone(), new.metadata.clone());
        note(
            "expires_at",
            serde_json::json!(old.expires_at),
            serde_json::json!(new.expires_at),
        );
        if diff.is_empty() {
            // Dropping the transaction rolls the no-op update back.
            return Ok(UpdateOutcome {
                key: old,
                changes: diff,
            });
        }
        let detail = Value::Object(diff.clone());
        tx.query_typed(
            &format!(
                "INSERT INTO {} (key_id, org, actor, action, detail) VALUES ($1, $2, $3, 'updated', $4)",
                self.table("key_events")
            ),
            &[(&id, Type::UUID), (&new.org, Type::TEXT), (&actor, Type::TEXT), (&detail, Type::JSONB)],
        )?;
        tx.commit()?;
        Ok(UpdateOutcome {
            key: new,
            changes: diff,
        })
    }
}

impl Store {
    /// Locks a key's row for the rest of the transaction and returns it.
    fn lock_key(&self, tx: &mut postgres::Transaction<'_>, id: Uuid) -> Result<Key> {
        tx.query_typed_opt(
            &format!(
                "SELECT {KEY_COLUMNS} FROM {} WHERE id = $1 FOR UPDATE",
                self.table("api_keys")
            ),
            &[(&id, Type::UUID)],
        )?
        .map(|row| key_from_row(&row))
        .ok_or_else(|| Error::NotFound {
            message: format!("key {id} no longer exists"),
            hint: None,
        })
    }

    fn org_lock_key(&self, org: &str) -> String {
        format!("keyadm org {}\u{1f}{org}", self.schema_name)
    }

    /// Holds off every writer that names keys in `org` (create, rotate, rename) for the rest
    /// of the transaction: a bulk create checks and takes many names at once.
    pub(super) fn lock_org(&self, tx: &mut postgres::Transaction<'_>, org: &str) -> Result<()> {
        tx.query_typed(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[(&self.org_lock_key(org), Type::TEXT)],
        )?;
        Ok(())
    }

    /// Serialises writers of one org and name for the rest of the transaction (a partial
    /// unique index cannot say "live", which depends on the clock), and returns the start
    /// handle of a live, unrotated key with that name other than `except`, if there is one.
    fn lock_name(
        &self,
        tx: &mut postgres::Transaction<'_>,
        org: &str,
        name: &str,
        except: Option<Uuid>,
    ) -> Result<Option<String>> {
        // Shared on the org (a bulk create holds it exclusively), then exclusive on the name.
        let name_key = format!("keyadm name {}\u{1f}{org}\u{1f}{name}", self.schema_name);
        tx.query_typed(
            "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0)),
                    pg_advisory_xact_lock(hashtextextended($2, 0))",
            &[
                (&self.org_lock_key(org), Type::TEXT),
                (&name_key, Type::TEXT),
            ],
        )?;
        let row = tx.query_typed_opt(
            &format!(
                "SELECT start FROM {} WHERE org = $1 AND name = $2 AND ($3::uuid IS NULL OR id <> $3)
                   AND rotated_to IS NULL AND {LIVE} LIMIT 1",
                self.table("api_keys")
            ),
            &[(&org, Type::TEXT), (&name, Type::TEXT), (&except, Type::UUID)],
        )?;
        Ok(row.map(|row| row.get(0)))
    }
}

/// A rotation lineage as (depth, key) pairs, the key itself at depth 0, as keys oldest first
/// (`id` tells a key's id). Links written by hand may loop (A rotated to B, B to A): each key
/// is kept once, at its place nearest the key shown (of two as near, the earlier one), so
/// that the loop is not walked to the depth limit, whatever order the rows came in.
fn lineage_once<T>(mut lineage: Vec<(i32, T)>, id: impl Fn(&T) -> Uuid) -> Vec<T> {
    lineage.sort_by_key(|(depth, _)| (depth.unsigned_abs(), *depth));
    let mut seen = std::collections::HashSet::new();
    lineage.retain(|(_, key)| seen.insert(id(key)));
    lineage.sort_by_key(|(depth, _)| *depth);
    lineage.into_iter().map(|(_, key)| key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_judged_as_sql_judges_it() {
        let now = PgTime(1_000_000);
        assert_eq!(status_at(false, None, now), KeyStatus::Active);
        assert_eq!(
            status_at(false, Some(PgTime(1_000_001)), now),
            KeyStatus::Active
        );
        // `expires_at <= now()`: expired at the very microsecond.
        assert_eq!(status_at(false, Some(now), now), KeyStatus::Expired);
        // -infinity and infinity, as a table owner may write them.
        assert_eq!(
            status_at(false, Some(PgTime(i64::MIN)), now),
            KeyStatus::Expired
        );
        assert_eq!(
            status_at(false, Some(PgTime(i64::MAX)), now),
            KeyStatus::Active
        );
        assert_eq!(
            status_at(true, Some(PgTime(i64::MAX)), now),
            KeyStatus::Revoked
        );
        assert_eq!(status_at(true, None, now), KeyStatus::Revoked);
    }

    #[test]
    fn a_lineage_is_ordered_oldest_first_and_a_loop_is_walked_once() {
        let [a, b, c] = [1u128, 2, 3].map(Uuid::from_u128);
        let same = |id: &Uuid| *id;
        assert_eq!(lineage_once(vec![(1, c), (0, b), (-1, a)], same), [a, b, c]);
        // A and B point at each other: walked both ways, each shows up at every depth, and in
        // whatever order the rows come.
        let mut walked: Vec<_> = (-4..=4)
            .map(|d| (d, if d % 2 == 0 { a } else { b }))
            .collect();
        assert_eq!(lineage_once(walked.clone(), same), [b, a]);
        walked.reverse();
        assert_eq!(lineage_once(walked, same), [b, a]);
    }
}
