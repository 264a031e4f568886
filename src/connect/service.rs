//! Connection service files (`pg_service.conf`), as libpq reads them: a service named by
//! `service=` in the URL or connection string, else by `PGSERVICE`, supplies the parameters
//! that the string leaves out, before the environment variables do.
//!
//! The service is looked for in the user's file (`PGSERVICEFILE`, else `~/.pg_service.conf`)
//! and then in the system's (`pg_service.conf` in `PGSYSCONFDIR`, else Debian's
//! `/etc/postgresql-common`); the first file that defines it wins. A service defined nowhere
//! is an error, as in libpq: connecting somewhere else instead would be worse.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::params::Params;
use crate::error::Error;

/// Where libpq as packaged by Debian and Ubuntu looks for the system-wide file.
const DEFAULT_SYSCONFDIR: &str = "/etc/postgresql-common";

/// The parameters of service `name`, from the files `env` points at.
/// A usage error either way: a file that defines the service wrongly says which line to
/// fix, a service defined nowhere where to define it.
pub fn lookup(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Params, Error> {
    let user_file = env("PGSERVICEFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".pg_service.conf")));
    let system_file = Path::new(&env("PGSYSCONFDIR").unwrap_or_else(|| DEFAULT_SYSCONFDIR.into()))
        .join("pg_service.conf");
    for path in user_file.iter().chain([&system_file]) {
        // A file that is missing or cannot be read defines nothing, as in libpq.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if let Some(params) = find(&text, name).map_err(|err| Error::Usage {
            message: format!(
                "connection service: {err} in service file {}",
                path.display()
            ),
            hint: Some("fix that line of the file (libpq reads it the same way)".into()),
        })? {
            return Ok(params);
        }
    }
    Err(Error::Usage {
        message: format!("connection service: definition of service \"{name}\" not found"),
        hint: Some(
            "define it in ~/.pg_service.conf (or PGSERVICEFILE), or connect without a service"
                .into(),
        ),
    })
}

/// The parameters of service `name` in the text of one file, if it defines it.
pub fn find(text: &str, name: &str) -> Result<Option<Params>, String> {
    let mut found: Option<Params> = None;
    let mut seen = HashSet::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[') {
            if found.is_some() {
                break;
            }
            // As libpq compares it: the name, then `]` (what follows is not read).
            if section
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(']'))
            {
                found = Some(Params::default());
            }
            continue;
        }
        let Some(params) = found.as_mut() else {
            continue;
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("syntax error on line {}", number + 1));
        };
        if key == "service" {
            return Err(format!(
                "a service within a service (line {}) is not supported",
                number + 1
            ));
        }
        // The first setting of a parameter wins.
        if seen.insert(key.to_owned()) {
            params
                .set(key, value.to_owned())
                .map_err(|err| format!("{err} (line {})", number + 1))?;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# services
[other]
host=elsewhere

[app]
host=db.internal
port=5433
  dbname=app
# a comment inside
dbname=ignored
sslmode=verify-full
[next]
user=nobody
";

    #[test]
    fn a_service_is_read_up_to_the_next_section_first_setting_winning() {
        let params = find(FILE, "app").unwrap().unwrap();
        assert_eq!(params.host.as_deref(), Some("db.internal"));
        assert_eq!(params.port.as_deref(), Some("5433"));
        assert_eq!(params.dbname.as_deref(), Some("app"));
        assert_eq!(params.sslmode.as_deref(), Some("verify-full"));
        assert_eq!(params.user, None);
        assert_eq!(find(FILE, "missing").unwrap(), None);
        // A prefix of a name is not the name.
        assert_eq!(find(FILE, "ap").unwrap(), None);
    }

    #[test]
    fn bad_lines_in_the_service_are_errors_others_are_not_read() {
        let text = "[a]\nhost\n[b]\nnot a setting\nrequirepeer=x\n";
        assert!(find(text, "a").unwrap_err().contains("line 2"));
        assert!(find(text, "c").unwrap().is_none());
        let text = "[b]\nrequirepeer=x\n";
        assert!(find(text, "b").unwrap_err().contains("requirepeer"));
        let text = "[b]\nservice=c\n";
        assert!(
            find(text, "b")
                .unwrap_err()
                .contains("service within a service")
        );
    }
}
