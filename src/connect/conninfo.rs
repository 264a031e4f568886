//! Parsing of libpq `key=value` connection strings (`host=/tmp dbname='my db'`).

use super::params::Params;

/// Parses a conninfo string. Values may be single-quoted; `\'` and `\\` escape inside.
pub fn parse(text: &str) -> Result<Params, String> {
    let mut params = Params::default();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(params);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!(
                "the connection string has '{}' without '=value'",
                key.escape_debug()
            ));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\\') => value.push(chars.next().ok_or("unterminated quoted value")?),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => {
                        return Err("the connection string has an unterminated quoted value".into());
                    }
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.push(chars.next().ok_or("the connection string ends with '\\'")?);
                } else {
                    value.push(c);
                }
            }
        }
        params.set(&key, value)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_plain_values() {
        let p = parse(r"host=/tmp  port = 5433 dbname='my db' password='it\'s' user=bob").unwrap();
        assert_eq!(p.host.as_deref(), Some("/tmp"));
        assert_eq!(p.port.as_deref(), Some("5433"));
        assert_eq!(p.dbname.as_deref(), Some("my db"));
        assert_eq!(p.password.as_deref(), Some("it's"));
        assert_eq!(p.user.as_deref(), Some("bob"));
    }

    #[test]
    fn errors() {
        assert!(parse("host").is_err());
        assert!(parse("dbname='x").is_err());
        assert!(parse("nonsense=1").is_err());
        assert!(
            parse("password=hunter2 bogus=1")
                .unwrap_err()
                .contains("bogus")
        );
    }
}
