//! Parsing of `postgres://` and `postgresql[+driver]://` URLs into [`Params`].
//!
//! Error messages never repeat the URL, which may hold a password.

use super::params::Params;

/// Whether `text` is a URL (as opposed to a `key=value` conninfo string).
pub fn is_url(text: &str) -> bool {
    scheme_end(text).is_some()
}

/// The scheme of a URL for another database or driver (`mysql`, `jdbc:postgresql`), which is
/// neither a PostgreSQL URL nor a `key=value` string. Only letters, digits and `+.-:` make a
/// scheme, so the part shown can hold no password.
pub fn foreign_scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once("://")?;
    let schemelike = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-:".contains(c));
    (schemelike && !is_url(text)).then_some(scheme)
}

/// The index just past `://` for the accepted schemes, including `postgresql+psycopg://`.
fn scheme_end(text: &str) -> Option<usize> {
    let (scheme, _) = text.split_once("://")?;
    let base = scheme.split_once('+').map_or(scheme, |(base, _)| base);
    matches!(base, "postgres" | "postgresql").then_some(scheme.len() + 3)
}

/// Parses a URL: `postgresql://[user[:password]@][host][:port][,...][/dbname][?key=value&...]`.
pub fn parse(text: &str) -> Result<Params, String> {
    let start = scheme_end(text).ok_or("the URL must start with postgres:// or postgresql://")?;
    let rest = &text[start..];
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], &before_query[i + 1..]),
        None => (before_query, ""),
    };
    let mut params = Params::default();

    let hostspec = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                params.user = Some(decode(user, "user name")?);
            }
            if let Some(password) = password {
                params.password = Some(decode(password, "password")?);
            }
            &authority[at + 1..]
        }
        None => authority,
    };
    parse_hostspec(hostspec, &mut params)?;

    if !path.is_empty() {
        params.dbname = Some(decode(path, "database name")?);
    }
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("URL query parameter '{}' has no value", pair.escape_debug()))?;
        let key = decode(key, "query parameter")?;
        let value = decode(value, "query parameter value")?;
        params.set(&key, value)?;
    }
    Ok(params)
}

/// `host[:port][,host[:port]...]`, hosts possibly `[ipv6]` or a percent-encoded socket path.
fn parse_hostspec(spec: &str, params: &mut Params) -> Result<(), String> {
    if spec.is_empty() {
        return Ok(());
    }
    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    for item in spec.split(',') {
        let (host, port) = if let Some(inner) = item.strip_prefix('[') {
            let (host, after) = inner
                .split_once(']')
                .ok_or("the URL has an unclosed '[' in its host")?;
            let port = match after {
                "" => "",
                _ => after
                    .strip_prefix(':')
                    .ok_or("the URL has text after an IPv6 host")?,
            };
            (host.to_owned(), port)
        } else {
            let (host, port) = item.split_once(':').unwrap_or((item, ""));
            (decode(host, "host")?, port)
        };
        if !port.is_empty() && super::parse_port(port).is_none() {
            return Err(format!(
                "the URL's port '{}' is not a port number (1 to 65535)",
                port.escape_debug()
            ));
        }
        hosts.push(host);
        ports.push(port.to_owned());
    }
    if hosts.iter().any(|h| !h.is_empty()) {
        params.host = Some(hosts.join(","));
    }
    if ports.iter().any(|p| !p.is_empty()) {
        params.port = Some(ports.join(","));
    }
    Ok(())
}

/// Percent-decodes one URL component.
fn decode(text: &str, what: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("the URL's {what} has a bad %-escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("the URL's {what} is not valid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_url() {
        let p = parse("postgresql://alice:p%40ss:w@db.example.com:6543/keys?sslmode=disable&application_name=x").unwrap();
        assert_eq!(p.user.as_deref(), Some("alice"));
        assert_eq!(p.password.as_deref(), Some("p@ss:w"));
        assert_eq!(p.host.as_deref(), Some("db.example.com"));
        assert_eq!(p.port.as_deref(), Some("6543"));
        assert_eq!(p.dbname.as_deref(), Some("keys"));
        assert_eq!(p.sslmode.as_deref(), Some("disable"));
        assert_eq!(p.application_name.as_deref(), Some("x"));
    }

    #[test]
    fn driver_suffix_and_short_scheme() {
        assert!(is_url("postgresql+psycopg://localhost/db"));
        assert!(is_url("postgres+asyncpg://localhost/db"));
        assert!(!is_url("mysql://localhost/db"));
        assert!(!is_url("host=localhost dbname=db"));
        let p = parse("postgresql+psycopg2://u@h/d").unwrap();
        assert_eq!(
            (p.user.as_deref(), p.host.as_deref(), p.dbname.as_deref()),
            (Some("u"), Some("h"), Some("d"))
        );
    }

    #[test]
    fn other_schemes_are_named_and_nothing_after_them() {
        assert_eq!(foreign_scheme("mysql://u:pw@h/db?ssl=true"), Some("mysql"));
        assert_eq!(
            foreign_scheme("jdbc:postgresql://h/db?password=pw"),
            Some("jdbc:postgresql")
        );
        assert_eq!(foreign_scheme("postgresql://u:pw@h/db"), None);
        assert_eq!(foreign_scheme("postgres+asyncpg://h/db"), None);
        // A key=value string that happens to hold "://" has no scheme.
        assert_eq!(foreign_scheme("host=h options='-c x=y://'"), None);
        assert_eq!(foreign_scheme("password=a:b://c host=h"), None);
        assert_eq!(foreign_scheme("://h/db"), None);
    }

    #[test]
    fn a_port_is_1_to_65535() {
        assert!(parse("postgresql://h:65535/d").is_ok());
        for port in ["0", "65536", "x", "-1", " 5432"] {
            let err = parse(&format!("postgresql://u:pw@h:{port}/d")).unwrap_err();
            assert!(err.contains("is not a port number"), "{err}");
            assert!(!err.contains("pw"), "{err}");
        }
    }

    #[test]
    fn socket_paths_ipv6_and_multiple_hosts() {
        let p = parse("postgresql://%2Fvar%2Frun%2Fpostgresql/db").unwrap();
        assert_eq!(p.host.as_deref(), Some("/var/run/postgresql"));
        let p = parse("postgresql:///db?host=/tmp/sock&port=5433").unwrap();
        assert_eq!(
            (p.host.as_deref(), p.port.as_deref()),
            (Some("/tmp/sock"), Some("5433"))
        );
        let p = parse("postgresql://[::1]:5433/db").unwrap();
        assert_eq!(
            (p.host.as_deref(), p.port.as_deref()),
            (Some("::1"), Some("5433"))
        );
        let p = parse("postgresql://a:1,b:2/db").unwrap();
        assert_eq!(
            (p.host.as_deref(), p.port.as_deref()),
            (Some("a,b"), Some("1,2"))
        );
    }

    #[test]
    fn errors_never_echo_the_password() {
        for bad in [
            "postgresql://u:s3cret@h:notaport/db",
            "postgresql://u:s3cret@h/db?bogus=1",
            "postgresql://u:s3cret%zz@h/db",
            "postgresql://u:s3cret@h/db?requirepeer=x",
            "postgresql://h/db?sslpassword=s3cret%zz",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(!err.contains("s3cret"), "{err}");
        }
    }
}
