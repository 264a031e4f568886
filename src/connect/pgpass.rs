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
pub enum Found {
    Password(String),
    NoMatch,
    /// libpq ignores a password file that others can read; so does keyadm, with a warning.
    InsecurePermissions,
}

/// Reads `path` and finds the password for `lookup`. A missing file is `NoMatch`.
pub fn find(path: &Path, lookups: &[Lookup<'_>]) -> Found {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o077 != 0 => {
                return Found::InsecurePermissions;
            }
            Ok(_) => {}
            Err(_) => return Found::NoMatch,
        }
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return Found::NoMatch;
    };
    for lookup in lookups {
        if let Some(password) = find_in(&text, lookup) {
            return Found::Password(password);
        }
    }
    Found::NoMatch
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
