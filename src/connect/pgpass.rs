//! `~/.pgpass` / `PGPASSFILE` lookup with libpq's matching rules.

use std::path::Path;

/// What to look up: the first matching line wins; `*` matches anything.
pub struct Lookup<'a> {
    pub host: &'a str,
    pub port: &'a str,
    pub dbname: &'a str,
    pub user: &'a str,
}

/// The result of reading a password file.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    Text(String),
    Missing,
    /// libpq ignores a password file that others can read; so does keyadm, with a warning.
    InsecurePermissions,
}

/// Reads the password file at `path`. A missing or unreadable file is `Missing`.
pub fn read(path: &Path) -> Read {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o077 != 0 => {
                return Read::InsecurePermissions;
            }
            Ok(_) => {}
            Err(_) => return Read::Missing,
        }
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Read::Text(text),
        Err(_) => Read::Missing,
    }
}

/// Finds the password in the text of a password file.
pub fn find_in(text: &str, lookup: &Lookup<'_>) -> Option<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
        .find_map(|line| {
            let fields = split_fields(line);
            if fields.len() < 5 {
                return None;
            }
            let wanted = [lookup.host, lookup.port, lookup.dbname, lookup.user];
            let matches = fields[..4]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want);
            matches.then(|| fields[4..].join(":"))
        })
}

/// Splits on unescaped `:`, undoing `\:` and `\\`.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("never empty").push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(host: &'a str, db: &'a str) -> Lookup<'a> {
        Lookup {
            host,
            port: "5432",
            dbname: db,
            user: "alice",
        }
    }

    #[test]
    fn first_match_wins_with_wildcards_and_escapes() {
        let file = "# comment\n\
                    other:5432:*:alice:nope\n\
                    db.example.com:5432:keys:alice:pa\\:ss\\\\word\n\
                    *:*:*:alice:fallback\n";
        assert_eq!(
            find_in(file, &lookup("db.example.com", "keys")).as_deref(),
            Some("pa:ss\\word")
        );
        assert_eq!(
            find_in(file, &lookup("db.example.com", "other")).as_deref(),
            Some("fallback")
        );
        assert_eq!(
            find_in(file, &lookup("x", "y")).as_deref(),
            Some("fallback")
        );
        assert_eq!(find_in("h:5432:d:bob:pw", &lookup("h", "d")), None);
    }

    #[test]
    fn short_lines_are_skipped() {
        assert_eq!(find_in("h:5432:d\n", &lookup("h", "d")), None);
    }
}
