//! Inserting new keys: the one statement `create` uses for a single key and, a few thousand
//! rows at a time, for `create --count N`, which stores every key or none (one transaction).
//! Each key gets its `created` event in the same statement.

use std::collections::HashMap;

use postgres::types::Type;
use serde_json::Value;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::Key;

use super::Store;
use super::json_time::utc_json;
use super::keys::{Expiry, KEY_COLUMNS, LIVE, Param, key_from_row};

/// Keys inserted per statement.
pub const CHUNK_SIZE: usize = 5000;

/// What the new keys of one `create` share.
pub struct KeyTemplate<'a> {
    pub org: &'a str,
    pub prefix: &'a str,
    pub scopes: &'a [String],
    pub metadata: &'a Value,
    pub expiry: Expiry,
}

/// What sets one new key apart from the others of its template. Holds the hash of its
/// secret, never the secret.
pub struct NewKey {
    pub id: Uuid,
    pub name: String,
    pub start: String,
    pub hash: [u8; 32],
}

impl Store {
    /// Inserts the keys `next_chunk` hands over (until it returns none), all named in `names`,
    /// in one transaction. A live, unrotated key of the org already holding one of the names
    /// is a conflict, and nothing is written. `on_chunk` sees each chunk's stored keys, in
    /// the chunk's order, before the commit: a secret that cannot be handed over leaves no key.
    /// Each key travels with a value of the caller's (`T`, its secret) that the store never
    /// looks at, so the two cannot be paired up wrongly.
    pub fn create_keys<T>(
        &self,
        template: &KeyTemplate<'_>,
        names: &[String],
        actor: &str,
        next_chunk: &mut dyn FnMut() -> Result<Vec<(NewKey, T)>>,
        on_chunk: &mut dyn FnMut(Vec<(Key, T)>) -> Result<()>,
    ) -> Result<u64> {
        let mut conn = self.conn()?;
        let mut tx = Store::begin(&mut conn)?;
        self.lock_org(&mut tx, template.org)?;
        let taken = tx.query_typed_opt(
            &format!(
                "SELECT name, start FROM {} WHERE org = $1 AND name = ANY($2)
                   AND rotated_to IS NULL AND {LIVE} LIMIT 1",
                self.table("api_keys")
            ),
            &[(&template.org, Type::TEXT), (&names, Type::TEXT_ARRAY)],
        )?;
        if let Some(row) = taken {
            let (name, start): (String, String) = (row.get(0), row.get(1));
            return Err(Error::Conflict {
                message: format!(
                    "org \"{}\" already has a live key named \"{name}\" ({start}); nothing created",
                    template.org
                ),
                hint: Some("pick another --name, or revoke the keys in the way".into()),
            });
        }
        let mut total = 0;
        loop {
            let chunk = next_chunk()?;
            if chunk.is_empty() {
                break;
            }
            let keys = self.insert_keys(&mut tx, template, actor, chunk)?;
            total += keys.len() as u64;
            on_chunk(keys)?;
        }
        tx.commit()?;
        Ok(total)
    }

    /// Inserts new keys of one template with their `created` events (one statement) and
    /// returns them as stored, in the order given, each with what travelled beside it.
    pub(super) fn insert_keys<T>(
        &self,
        tx: &mut postgres::Transaction<'_>,
        template: &KeyTemplate<'_>,
        actor: &str,
        new: Vec<(NewKey, T)>,
    ) -> Result<Vec<(Key, T)>> {
        let sql = format!(
            "WITH k AS (
                INSERT INTO {keys} (id, org, name, prefix, start, key_hash, scopes, metadata, created_by, expires_at)
                SELECT n.id, $5, n.name, $6, n.start, n.key_hash, $7, $8, $9,
                       COALESCE($10, now() + $11 * interval '1 second')
                FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[]) AS n (id, name, start, key_hash)
                RETURNING *),
             e AS (
                INSERT INTO {events} (key_id, org, actor, action, detail)
                SELECT id, org, $9, 'created', jsonb_build_object(
                    'name', name, 'start', start, 'scopes', scopes, 'metadata', metadata,
                    'expires_at', {expires_at})
                FROM k)
             SELECT {KEY_COLUMNS} FROM k",
            keys = self.table("api_keys"),
            events = self.table("key_events"),
            expires_at = utc_json("expires_at"),
        );
        let (at, secs) = template.expiry.params();
        let ids: Vec<Uuid> = new.iter().map(|(k, _)| k.id).collect();
        let names: Vec<&str> = new.iter().map(|(k, _)| k.name.as_str()).collect();
        let starts: Vec<&str> = new.iter().map(|(k, _)| k.start.as_str()).collect();
        let hashes: Vec<&[u8]> = new.iter().map(|(k, _)| k.hash.as_slice()).collect();
        let params: [Param<'_>; 11] = [
            (&ids, Type::UUID_ARRAY),
            (&names, Type::TEXT_ARRAY),
            (&starts, Type::TEXT_ARRAY),
            (&hashes, Type::BYTEA_ARRAY),
            (&template.org, Type::TEXT),
            (&template.prefix, Type::TEXT),
            (&template.scopes, Type::TEXT_ARRAY),
            (template.metadata, Type::JSONB),
            (&actor, Type::TEXT),
            (&at, Type::TIMESTAMPTZ),
            (&secs, Type::FLOAT8),
        ];
        let mut stored: HashMap<Uuid, Key> = tx
            .query_typed(&sql, &params)?
            .iter()
            .map(|row| {
                let key = key_from_row(row);
                (key.id, key)
            })
            .collect();
        new.into_iter()
            .map(|(new, carried)| {
                stored
                    .remove(&new.id)
                    .map(|key| (key, carried))
                    .ok_or_else(|| Error::failure(format!("key {} was not stored", new.id)))
            })
            .collect()
    }
}
