//! Times inside event details that SQL writes: RFC 3339 in UTC with `Z`, whatever the
//! session's `TimeZone`.
//!
//! `jsonb_build_object` writes a `timestamptz` in the session's time zone
//! (`2026-11-24T16:51:36.05261-05:00` on a server set to New York), and the log is
//! append-only: what a detail says is written once and read as it is forever. keyadm prints
//! every other time in UTC with `Z` and with the sub-second digits there are (none, 3 or 6,
//! as chrono does); a detail written through [`utc_json`] reads the same.

/// The last time RFC 3339 (four-digit years) can say, as SQL.
pub(super) const LAST_TIME: &str = "'9999-12-31 23:59:59.999999+00'::timestamptz";
/// The first, as SQL.
const FIRST_TIME: &str = "'0001-01-01 00:00:00+00'::timestamptz";

/// SQL for `expr` (a `timestamptz`; NULL stays NULL, infinities are `infinity`) as text the
/// way keyadm prints times in JSON: a year BC or past 9999 (written by hand) is clamped to
/// the years 1 to 9999, as keyadm reads such a time from a row. `expr` is evaluated several
/// times: keep it a column, a parameter or a stable expression.
pub(super) fn utc_json(expr: &str) -> String {
    let utc = format!("(LEAST(GREATEST({expr}, {FIRST_TIME}), {LAST_TIME}) AT TIME ZONE 'UTC')");
    let micros = format!("date_part('microseconds', {utc})::int8 % 1000000");
    // `infinity` and `-infinity` (written by hand) as PostgreSQL spells them: `to_char`
    // would make them NULL, and the detail would say the time was never set.
    format!(
        "CASE WHEN isfinite({expr}) THEN \
         (to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || \
         CASE WHEN {micros} = 0 THEN '' \
              WHEN {micros} % 1000 = 0 THEN to_char({utc}, '.MS') \
              ELSE to_char({utc}, '.US') END || 'Z') \
         ELSE ({expr})::text END"
    )
}
