//! Orgs: those a prompt offers, and whether an org is known at all (an `--org` that no key or
//! event has is most likely a typo, and so is a new org that differs from others only in case).

use postgres::types::Type;

use crate::error::Result;

use super::Store;

/// How many orgs a prompt for `--org` offers at most.
const PROMPTED_ORGS: i64 = 500;

/// How many orgs that differ from an unknown one only in case are named.
const LOOK_ALIKES: usize = 3;

/// How many orgs the look-alike search walks through in the org index, one probe each (about
/// 20 µs), before it stops; past them `create` names none, the others read the table.
const WALKED_ORGS: i64 = 1000;

/// An org that no key has, nor any event when this user may read the log (`log_read`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOrg {
    /// Orgs of keys that differ from it only in case: at most three, perhaps none.
    pub look_alikes: Vec<String>,
    pub log_read: bool,
}

impl Store {
    /// The orgs that have keys, in order, for completing a prompt: at most [`PROMPTED_ORGS`].
    /// Found by walking the org index (see [`Store::walked_orgs`]): a `DISTINCT` read every
    /// key of those orgs, about 120 ms at 1M keys before the prompt showed, against 4 ms.
    pub fn org_names(&self) -> Result<Vec<String>> {
        let rows = self.conn()?.query_typed(
            &format!(
                "{} SELECT org FROM orgs WHERE org IS NOT NULL",
                self.walked_orgs("$1")
            ),
            &[(&PROMPTED_ORGS, Type::INT8)],
        )?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// `None` when some key has `org`, or some event (looked for when this user may read the
    /// log). The existence checks use the org indexes; so does the look-alike search up to
    /// [`WALKED_ORGS`] orgs, past which it reads the whole table.
    pub fn unknown_org(&self, org: &str) -> Result<Option<UnknownOrg>> {
        let Some(log_read) = self.unknown_to(org)? else {
            return Ok(None);
        };
        let (look_alikes, complete) = self.walk_look_alikes(org)?;
        if complete || !look_alikes.is_empty() {
            return Ok(Some(UnknownOrg {
                look_alikes,
                log_read,
            }));
        }
        let row = self.conn()?.query_typed_one(
            &format!(
                "SELECT ARRAY(SELECT DISTINCT org FROM {} WHERE lower(org) = lower($1)
                              ORDER BY org LIMIT $2)",
                self.table("api_keys"),
            ),
            &[(&org, Type::TEXT), (&(LOOK_ALIKES as i64), Type::INT8)],
        )?;
        Ok(Some(UnknownOrg {
            look_alikes: row.get(0),
            log_read,
        }))
    }

    /// For a new key's org: the orgs of keys that differ from it only in case when it is
    /// unknown as for [`Store::unknown_org`] (at most three), looked for among the first
    /// [`WALKED_ORGS`] orgs in order, so that the first key of an org never reads the whole
    /// table. Empty for a known org.
    pub fn new_org_look_alikes(&self, org: &str) -> Result<Vec<String>> {
        if self.unknown_to(org)?.is_none() {
            return Ok(Vec::new());
        }
        Ok(self.walk_look_alikes(org)?.0)
    }

    /// `None` when some key has `org`, or some event; else whether the log was read (a user
    /// who only writes to it, as the commands that change keys may, is not asked to read it).
    fn unknown_to(&self, org: &str) -> Result<Option<bool>> {
        // Whether the log may be read rides along with the first look (see may_read_events).
        let row = self.conn()?.query_typed_one(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM {} WHERE org = $1), has_table_privilege($2, 'SELECT')",
                self.table("api_keys"),
            ),
            &[(&org, Type::TEXT), (&self.table("key_events"), Type::TEXT)],
        )?;
        if row.get(0) {
            return Ok(None);
        }
        if !*self.log_readable.get_or_init(|| row.get(1)) {
            return Ok(Some(false));
        }
        let row = self.conn()?.query_typed_one(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM {} WHERE org = $1)",
                self.table("key_events"),
            ),
            &[(&org, Type::TEXT)],
        )?;
        Ok((!row.get::<_, bool>(0)).then_some(true))
    }

    /// The look-alikes of `org` among the orgs of keys, walking the org index from one org to
    /// the next (a loose index scan), and whether the walk saw every org: it stops after
    /// [`WALKED_ORGS`].
    fn walk_look_alikes(&self, org: &str) -> Result<(Vec<String>, bool)> {
        let row = self.conn()?.query_typed_one(
            &format!(
                "{} SELECT COALESCE(array_agg(org ORDER BY org)
                                        FILTER (WHERE lower(org) = lower($1)), '{{}}'),
                           count(*) = 0 OR bool_or(org IS NULL)
                    FROM orgs",
                self.walked_orgs("$2"),
            ),
            &[(&org, Type::TEXT), (&WALKED_ORGS, Type::INT8)],
        )?;
        let mut look_alikes: Vec<String> = row.get(0);
        look_alikes.truncate(LOOK_ALIKES);
        Ok((look_alikes, row.get(1)))
    }

    /// `WITH RECURSIVE orgs(org, n)`: the orgs of keys in order, at most `cap` (a parameter),
    /// each found by one probe of the org index for the next org after the last (a loose
    /// index scan), so the cost grows with the orgs walked, not with the keys. When the walk
    /// reaches the last org, a row with a null org ends it.
    fn walked_orgs(&self, cap: &str) -> String {
        format!(
            "WITH RECURSIVE orgs(org, n) AS (
                 (SELECT org, 1::bigint FROM {keys} ORDER BY org LIMIT 1)
                 UNION ALL
                 SELECT (SELECT k.org FROM {keys} k WHERE k.org > orgs.org
                         ORDER BY k.org LIMIT 1),
                        orgs.n + 1
                 FROM orgs WHERE orgs.org IS NOT NULL AND orgs.n < {cap}
             )",
            keys = self.table("api_keys"),
        )
    }
}
