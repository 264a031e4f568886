//! Whether an org is known at all: an `--org` that no key or event has is most likely a typo.

use postgres::types::Type;

use crate::error::Result;

use super::Store;

/// How many orgs that differ from an unknown one only in case are named.
const LOOK_ALIKES: i64 = 3;

impl Store {
    /// `None` when some key or some event has `org`; else the orgs of keys that differ from
    /// it only in case (at most three, perhaps none). The existence checks use the org
    /// indexes; only the look-alike search, for an org that is unknown, reads the whole table.
    pub fn unknown_org(&self, org: &str) -> Result<Option<Vec<String>>> {
        let row = self.conn()?.query_typed_one(
            &format!(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM {keys} WHERE org = $1)
                               OR EXISTS (SELECT 1 FROM {events} WHERE org = $1)
                          THEN NULL
                          ELSE ARRAY(SELECT DISTINCT org FROM {keys}
                                     WHERE lower(org) = lower($1) ORDER BY org LIMIT $2)
                     END",
                keys = self.table("api_keys"),
                events = self.table("key_events"),
            ),
            &[(&org, Type::TEXT), (&LOOK_ALIKES, Type::INT8)],
        )?;
        Ok(row.get(0))
    }
}
