//! Reading what rows written by hand may hold, so that one such row never stops a listing.
//!
//! keyadm writes ordinary times and one-dimensional scope lists without NULLs. A table owner
//! may write anything the columns allow: `expires_at = 'infinity'` for "never", a year BC or
//! past 9999 (which RFC 3339 output cannot say, and past 262142 chrono cannot hold), a NULL
//! among the scopes, or a two-dimensional array. The driver's own conversions fail on those, and the command with them.

use std::error::Error;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use fallible_iterator::FallibleIterator;
use postgres::types::{FromSql, Type, accepts};

/// A `timestamptz` as sent: microseconds since 2000-01-01 UTC, `i64::MAX` for `infinity` and
/// `i64::MIN` for `-infinity`. They compare as PostgreSQL compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PgTime(pub(super) i64);

/// Microseconds from 2000-01-01 to 0001-01-01T00:00:00Z, the first time RFC 3339 output
/// (four-digit years, no era) can say.
const FIRST_MICROS: i64 = -63_082_281_600_000_000;
/// Microseconds from 2000-01-01 to 9999-12-31T23:59:59.999999Z, the last one.
const LAST_MICROS: i64 = 252_455_615_999_999_999;

impl PgTime {
    /// The time, or the nearest one that RFC 3339 can say: years 1 to 9999 (`-infinity` and
    /// years BC are 0001-01-01, `infinity` and years past 9999 are 9999-12-31T23:59:59.999999Z).
    pub fn clamped(&self) -> DateTime<Utc> {
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .expect("2000-01-01 is a date")
            .and_utc();
        epoch + TimeDelta::microseconds(self.0.clamp(FIRST_MICROS, LAST_MICROS))
    }

    /// `within` later, as `now() + interval` is (to the microsecond; `infinity` stays so).
    pub fn plus(self, within: std::time::Duration) -> PgTime {
        let micros = i64::try_from(within.as_micros()).unwrap_or(i64::MAX);
        PgTime(self.0.saturating_add(micros))
    }

    /// An expiry: `infinity` is never.
    pub fn expiry(&self) -> Option<DateTime<Utc>> {
        (self.0 != i64::MAX).then(|| self.clamped())
    }
}

impl<'a> FromSql<'a> for PgTime {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<PgTime, Box<dyn Error + Sync + Send>> {
        let bytes: [u8; 8] = raw.try_into().map_err(|_| "a timestamptz is 8 bytes")?;
        Ok(PgTime(i64::from_be_bytes(bytes)))
    }

    accepts!(TIMESTAMPTZ);
}

/// A `text[]` of scopes: every non-NULL element, in order, whatever the array's dimensions
/// (what `'deploy' = ANY(scopes)` in a service can match).
pub struct Scopes(pub Vec<String>);

impl<'a> FromSql<'a> for Scopes {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Scopes, Box<dyn Error + Sync + Send>> {
        let member = match ty.kind() {
            postgres::types::Kind::Array(member) => member,
            _ => return Err("scopes are not an array".into()),
        };
        let array = postgres_protocol::types::array_from_sql(raw)?;
        let mut scopes = Vec::new();
        let mut values = array.values();
        while let Some(value) = values.next()? {
            if let Some(bytes) = value {
                scopes.push(String::from_sql(member, bytes)?);
            }
        }
        Ok(Scopes(scopes))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), postgres::types::Kind::Array(member) if *member == Type::TEXT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_plus_a_span_saturates_and_infinity_stays_infinite() {
        let second = std::time::Duration::from_secs(1);
        assert_eq!(PgTime(5).plus(second), PgTime(1_000_005));
        assert_eq!(PgTime(i64::MAX).plus(second), PgTime(i64::MAX));
        assert_eq!(PgTime(0).plus(std::time::Duration::MAX), PgTime(i64::MAX));
        assert!(PgTime(i64::MIN) < PgTime(0) && PgTime(0) < PgTime(i64::MAX));
    }

    #[test]
    fn infinite_and_far_times_are_clamped_and_infinity_never_expires() {
        let rfc3339 = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        assert_eq!(rfc3339(PgTime(0).clamped()), "2000-01-01T00:00:00Z");
        assert_eq!(PgTime(i64::MAX).expiry(), None);
        assert_eq!(
            rfc3339(PgTime(i64::MAX).clamped()),
            "9999-12-31T23:59:59.999999Z"
        );
        assert_eq!(
            rfc3339(PgTime(i64::MIN).expiry().unwrap()),
            "0001-01-01T00:00:00Z"
        );
        // 290000-01-01, within PostgreSQL's range and past chrono's.
        assert_eq!(
            rfc3339(PgTime(9_088_000_000_000_000_000).clamped()),
            "9999-12-31T23:59:59.999999Z"
        );
        // 10000-01-01, which chrono holds but would print as +10000-01-01.
        assert_eq!(
            rfc3339(PgTime(LAST_MICROS + 1).clamped()),
            "9999-12-31T23:59:59.999999Z"
        );
        // 0044-03-15 BC.
        assert_eq!(
            rfc3339(PgTime(-64_450_000_000_000_000).clamped()),
            "0001-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(PgTime(FIRST_MICROS).clamped()),
            "0001-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(PgTime(-86_400_000_000).expiry().unwrap()),
            "1999-12-31T00:00:00Z"
        );
    }
}
