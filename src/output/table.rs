//! Table renderings for people: readable at 80 columns, status visible at a glance.

use chrono::{DateTime, Utc};
use comfy_table::presets::NOTHING;
use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, Width};
use uuid::Uuid;

use crate::model::{DoctorReport, Event, Key, KeyDetail, KeyStatus, MigrationState};

use super::visible::{visible, visible_string};

/// Columns of `list`.
const KEY_HEADER: [&str; 6] = ["START", "ORG", "NAME", "STATUS", "CREATED", "EXPIRES"];

/// A timestamp in tables: minutes are enough for people; JSON has the exact value.
pub fn time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// How tables look: on a terminal, coloured statuses (unless NO_COLOR or --color never) and
/// times relative to now; piped, plain text and absolute UTC times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub relative: bool,
}

impl Style {
    /// A time as a column shows it: relative on a terminal ("in 6d", "3h ago").
    pub fn when(self, at: &DateTime<Utc>) -> String {
        if self.relative {
            relative(at, Utc::now())
        } else {
            time(at)
        }
    }

    /// A time in full, with the relative form on a terminal.
    pub fn both(self, at: &DateTime<Utc>) -> String {
        if self.relative {
            format!("{} ({})", time(at), relative(at, Utc::now()))
        } else {
            time(at)
        }
    }
}

/// A time that may be absent ("never").
fn optional(at: Option<&DateTime<Utc>>, style: Style) -> String {
    at.map_or_else(|| "never".to_owned(), |at| style.both(at))
}

/// "in 6d", "3h ago", "just now".
pub fn relative(at: &DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (*at - now).num_seconds();
    let magnitude = seconds.unsigned_abs();
    let (count, unit) = match magnitude {
        0..60 => return "just now".into(),
        60..3600 => (magnitude / 60, "m"),
        3600..86400 => (magnitude / 3600, "h"),
        _ => (magnitude / 86400, "d"),
    };
    if seconds > 0 {
        format!("in {count}{unit}")
    } else {
        format!("{count}{unit} ago")
    }
}

/// Narrower than this, a terminal's width is taken for unknown: a pseudo-terminal without a
/// size (`script`, `docker run -t` before it is set) says 0, and wrapping to it would give
/// every column one character.
const MIN_WRAP_WIDTH: u16 = 20;

fn plain_table(color: bool) -> Table {
    let mut table = Table::new();
    table.load_style(NOTHING);
    if table.width().is_some_and(|width| width >= MIN_WRAP_WIDTH) {
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
    if color {
        table.enforce_styling();
    }
    table
}

fn status_cell(status: KeyStatus, color: bool) -> Cell {
    let cell = Cell::new(status.as_str());
    if !color {
        return cell;
    }
    cell.fg(match status {
        KeyStatus::Active => Color::Green,
        KeyStatus::Expired => Color::Yellow,
        KeyStatus::Revoked => Color::Red,
    })
}

/// Renders one page of `list`. The first page sets the column widths later pages keep, so
/// a long listing streams without holding every key in memory.
pub fn key_page(keys: &[Key], header: bool, widths: &mut Vec<u16>, style: Style) -> String {
    let mut table = plain_table(style.color);
    if header {
        table.set_header(KEY_HEADER);
    }
    for key in keys {
        table.add_row(vec![
            Cell::new(visible(&key.start)),
            Cell::new(visible(&key.org)),
            Cell::new(visible(&key.name)),
            status_cell(key.status, style.color),
            Cell::new(style.when(&key.created_at)),
            Cell::new(expires(key, style)),
        ]);
    }
    finish_page(&mut table, widths)
}

/// A listing's EXPIRES: for a live key that a rotation replaced, marked so, since it works
/// only until its grace ends.
fn expires(key: &Key, style: Style) -> String {
    let at = key
        .expires_at
        .as_ref()
        .map_or_else(|| "never".to_owned(), |at| style.when(at));
    if key.status == KeyStatus::Active && key.rotated_to.is_some() {
        format!("{at} (rotated)")
    } else {
        at
    }
}

/// Renders a streamed page: the first page fixes the column widths, later pages keep them.
fn finish_page(table: &mut Table, widths: &mut Vec<u16>) -> String {
    if widths.is_empty() {
        *widths = table.column_max_content_widths();
    } else {
        table.set_constraints(
            widths
                .iter()
                .map(|w| ColumnConstraint::LowerBoundary(Width::Fixed(*w))),
        );
    }
    set_padding(table);
    format!("{}\n", table.trim_fmt())
}

fn set_padding(table: &mut Table) {
    let last = table.column_count().saturating_sub(1);
    for (i, column) in table.column_iter_mut().enumerate() {
        column.set_padding((0, if i == last { 0 } else { 2 }));
    }
}

/// `show` and `create`: one key, field by field.
pub fn key_fields(key: &Key, style: Style) -> String {
    key_fields_of_lineage(key, style, &[])
}

/// [`key_fields`], with the keys of its lineage that still exist: a neighbour among them is
/// shown with its start handle, and one that is not was deleted (pruned), and is marked so.
fn key_fields_of_lineage(key: &Key, style: Style, lineage: &[Key]) -> String {
    let neighbour = |id: Uuid| match lineage.iter().find(|other| other.id == id) {
        Some(other) => format!("{id} ({})", visible(&other.start)),
        None if lineage.is_empty() => id.to_string(),
        None => format!("{id} (deleted; its events remain)"),
    };
    let mut table = plain_table(style.color);
    let none = "-";
    let list = |items: &[String]| {
        if items.is_empty() {
            none.to_owned()
        } else {
            items.join(", ")
        }
    };
    let metadata = match key.metadata.as_object() {
        Some(map) if !map.is_empty() => map
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => none.to_owned(),
    };
    let revoked = key.revoked_at.as_ref().map(|at| {
        let mut text = time(at);
        if let Some(by) = &key.revoked_by {
            text.push_str(&format!(" by {}", visible(by)));
        }
        if let Some(reason) = &key.revoke_reason {
            text.push_str(&format!(": {}", visible(reason)));
        }
        text
    });
    let rows: Vec<(&str, Cell)> = vec![
        ("id", Cell::new(key.id)),
        ("start", Cell::new(visible(&key.start))),
        ("org", Cell::new(visible(&key.org))),
        ("name", Cell::new(visible(&key.name))),
        ("status", status_cell(key.status, style.color)),
        ("scopes", Cell::new(visible(&list(&key.scopes)))),
        ("metadata", Cell::new(visible(&metadata))),
        (
            "created",
            Cell::new(format!(
                "{} by {}",
                style.both(&key.created_at),
                visible(&key.created_by)
            )),
        ),
        (
            "expires",
            Cell::new(optional(key.expires_at.as_ref(), style)),
        ),
        (
            "revoked",
            Cell::new(revoked.unwrap_or_else(|| none.to_owned())),
        ),
        (
            "last used",
            Cell::new(optional(key.last_used_at.as_ref(), style)),
        ),
        (
            "rotated from",
            Cell::new(key.rotated_from.map_or_else(|| none.to_owned(), neighbour)),
        ),
        (
            "rotated to",
            Cell::new(key.rotated_to.map_or_else(|| none.to_owned(), neighbour)),
        ),
    ];
    for (field, value) in rows {
        table.add_row(vec![Cell::new(field), value]);
    }
    set_padding(&mut table);
    format!("{}\n", table.trim_fmt())
}

/// `show`: the key, its lineage and its recent events.
pub fn detail(detail: &KeyDetail, style: Style) -> String {
    let mut text = key_fields_of_lineage(&detail.key, style, &detail.chain);
    if detail.chain.len() > 1 {
        text.push_str("\nRotation chain (oldest first):\n");
        text.push_str(&chain(&detail.chain, detail.key.id, style));
    }
    text.push_str("\nRecent events:\n");
    text.push_str(&events(&detail.events, style));
    text
}

/// The keys of a rotation lineage, one per line, `*` marking the one shown: with its start
/// handle, status and expiry, since the keys before the newest may still work, in their grace.
fn chain(keys: &[Key], shown: Uuid, style: Style) -> String {
    let mut table = plain_table(style.color);
    for key in keys {
        let marker = if key.id == shown { "*" } else { " " };
        // Beside the status: since when it holds, or for a live key, until when.
        let when = match (key.status, &key.revoked_at, &key.expires_at) {
            (KeyStatus::Revoked, Some(at), _) | (KeyStatus::Expired, _, Some(at)) => style.when(at),
            (KeyStatus::Active, _, Some(at)) => format!("expires {}", style.when(at)),
            (KeyStatus::Active, _, None) => "never expires".to_owned(),
            _ => String::new(),
        };
        table.add_row(vec![
            Cell::new(format!("{marker} {}", key.id)),
            Cell::new(visible(&key.start)),
            status_cell(key.status, style.color),
            Cell::new(when),
        ]);
    }
    set_padding(&mut table);
    let text = table.trim_fmt();
    let mut out = String::new();
    for line in text.lines() {
        out.push_str("  ");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A table of events.
pub fn events(events: &[Event], style: Style) -> String {
    if events.is_empty() {
        return "  (none)\n".into();
    }
    let mut table = plain_table(false);
    table.set_header(["AT", "ACTION", "ACTOR", "DETAIL"]);
    for event in events {
        table.add_row(vec![
            style.when(&event.at),
            visible(&event.action).into_owned(),
            visible(&event.actor).into_owned(),
            visible_string(event.detail.to_string()),
        ]);
    }
    set_padding(&mut table);
    format!("{}\n", table.trim_fmt())
}

/// Renders one page of `audit`, like [`key_page`].
pub fn event_page(events: &[Event], header: bool, widths: &mut Vec<u16>, style: Style) -> String {
    let mut table = plain_table(false);
    if header {
        table.set_header(["AT", "KEY", "ORG", "ACTION", "ACTOR", "DETAIL"]);
    }
    for event in events {
        table.add_row(vec![
            style.when(&event.at),
            event.key_start.as_deref().map_or_else(
                || event.key_id.to_string(),
                |start| visible(start).into_owned(),
            ),
            visible(&event.org).into_owned(),
            visible(&event.action).into_owned(),
            visible(&event.actor).into_owned(),
            visible_string(event.detail.to_string()),
        ]);
    }
    finish_page(&mut table, widths)
}

/// `doctor`: one section each for the connection, the schema and the privileges.
pub fn doctor(report: &DoctorReport) -> String {
    let tls = if report.tls.enabled {
        format!(
            "{} ({}), certificate {}",
            report.tls.protocol.as_deref().unwrap_or("TLS"),
            report.tls.cipher.as_deref().unwrap_or("?"),
            match (report.tls.verified, report.tls.host_name_verified) {
                (true, true) => "verified",
                (true, false) => "chain verified, host name not checked (use sslmode=verify-full)",
                _ => "not verified (use sslmode=verify-full)",
            }
        ) + &match &report.tls.revocation_lists {
            Some(source) => format!(", not revoked (per {})", visible(source)),
            None => String::new(),
        } + &match &report.tls.client_certificate {
            Some(subject) => format!("; client certificate {} sent", visible(subject)),
            None => String::new(),
        }
    } else if report.address.starts_with("socket") {
        "not used over a Unix socket (local connection)".into()
    } else if let Some(why) = &report.tls.fallback_reason {
        format!(
            "off: the connection is not encrypted; the server offered TLS, and sslmode=prefer went on without it because {}",
            visible(why)
        )
    } else {
        "off: the connection is not encrypted".into()
    };
    let mut connection = plain_table(false);
    connection.add_row(vec![
        "server".to_owned(),
        // What the server says about itself is shown, not obeyed.
        format!(
            "{} (PostgreSQL {})",
            visible(&report.address),
            visible(&report.server_version)
        ),
    ]);
    connection.add_row(vec![
        "database".to_owned(),
        format!("{} as {}", visible(&report.database), visible(&report.user)),
    ]);
    connection.add_row(vec!["TLS".to_owned(), tls]);
    connection.add_row(vec![
        "writes".to_owned(),
        report.read_only.as_ref().map_or_else(
            || "allowed".into(),
            |why| format!("refused: {}", visible(why)),
        ),
    ]);
    connection.add_row(vec![
        "pooler".to_owned(),
        report.pooler.as_deref().map_or_else(
            || "none detected".into(),
            |pooler| visible(pooler).into_owned(),
        ),
    ]);
    let schema = &report.schema;
    let version = schema
        .database_version
        .map_or_else(|| "none".to_owned(), |v| v.to_string());
    let mut privileges = plain_table(false);
    for check in &report.privileges {
        let state = if check.missing.is_empty() {
            "ok".to_owned()
        } else {
            format!("missing {}", check.missing.join(", "))
        };
        privileges.add_row(vec![check.commands.clone(), state]);
    }
    if !report.privileges.is_empty() {
        privileges.add_row(vec![
            "verify (a service)".to_owned(),
            if report.may_verify {
                "ok: may call verify_key, verify_key_hash and record_key_use".to_owned()
            } else {
                "not granted (keyadm init --grant-verify ROLE grants it to a service's role)"
                    .to_owned()
            },
        ]);
    }
    for table in [&mut connection, &mut privileges] {
        set_padding(table);
    }
    let mut text = format!("Connection\n{}\n\nSchema\n", indent(&connection.trim_fmt()));
    text.push_str(&format!(
        "  {}  version {version} (this keyadm: {}): {}\n",
        schema.name, schema.binary_version, schema.state
    ));
    if !report.privileges.is_empty() {
        text.push_str(&format!(
            "\nPrivileges\n{}\n",
            indent(&privileges.trim_fmt())
        ));
    }
    let grants: Vec<&String> = report.privileges.iter().flat_map(|p| &p.grants).collect();
    if !grants.is_empty() {
        text.push_str(if report.verify_only {
            "\nThis user may verify keys and do nothing else, as `keyadm init --grant-verify` sets up a\n\
             service's role. To let it run keyadm's commands too (it could then read hashes and list\n\
             keys), as the schema's owner:\n"
        } else {
            "\nTo fix, as the schema's owner:\n"
        });
        let mut seen = Vec::new();
        for grant in grants {
            if !seen.contains(&grant) {
                // A role's name is the server's to say; shown, not obeyed.
                text.push_str(&format!("  {}\n", visible(grant)));
                seen.push(grant);
            }
        }
    }
    text.push_str(if report.ok {
        "\nEverything is usable.\n"
    } else if report.verify_only {
        "\nThis user can verify keys, as a service's role; keyadm's commands need an operator's role.\n"
    } else {
        "\nSome commands cannot work here (see above).\n"
    });
    text
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A time from refinery's history table (RFC 3339 text, to the nanosecond), as tables show
/// times; text that is not RFC 3339 is shown as it is.
fn history_time(text: &str) -> String {
    DateTime::parse_from_rfc3339(text)
        .map_or_else(|_| text.to_owned(), |at| time(&at.with_timezone(&Utc)))
}

/// `init --status`.
pub fn migrations(states: &[MigrationState]) -> String {
    let mut table = plain_table(false);
    table.set_header(["VERSION", "NAME", "STATE", "APPLIED ON"]);
    for state in states {
        table.add_row(vec![
            state.version.to_string(),
            state.name.clone(),
            if state.applied { "applied" } else { "pending" }.to_owned(),
            state
                .applied_on
                .as_deref()
                .map_or_else(|| "-".into(), history_time),
        ]);
    }
    set_padding(&mut table);
    format!("{}\n", table.trim_fmt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn relative_times() {
        let now = Utc::now();
        assert_eq!(
            relative(&(now + TimeDelta::days(6) + TimeDelta::minutes(1)), now),
            "in 6d"
        );
        assert_eq!(relative(&(now - TimeDelta::hours(3)), now), "3h ago");
        assert_eq!(relative(&(now - TimeDelta::minutes(5)), now), "5m ago");
        assert_eq!(relative(&(now + TimeDelta::seconds(10)), now), "just now");
    }
}
