//! Validation of the labels an operator gives a key: org, name, scopes and metadata.
//!
//! A label is stored exactly as given or refused with a usage error; it is never trimmed or
//! rewritten. Control characters and invisible formatting characters (bidirectional overrides,
//! zero-width characters) are refused because they make one key look like another.

use serde_json::{Map, Value};

/// Longest org, name, scope or metadata key, in characters.
pub const MAX_LABEL_CHARS: usize = 128;
/// Longest metadata value, in characters.
pub const MAX_META_VALUE_CHARS: usize = 4096;

/// Characters that render invisibly or reorder text.
pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
}

fn check_chars(what: &str, text: &str, max: usize) -> Result<(), String> {
    let count = text.chars().count();
    if count > max {
        return Err(format!(
            "{what} is too long ({count} characters, at most {max})"
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() || is_invisible_format(*c))
    {
        return Err(format!(
            "{what} contains the control or invisible character U+{:04X}",
            c as u32
        ));
    }
    // Stored, shown in every listing and copied into the audit log: no place for a secret
    // (a reason that quotes the leaked key, say).
    if let Some(start) = crate::secret::secret_in(text) {
        return Err(format!(
            "{what} holds a secret ({start}…), and keyadm never stores one: name the key by its start handle, {start}"
        ));
    }
    Ok(())
}

/// An org or a key name: 1 to 128 visible characters, no surrounding white space.
pub fn check_label(what: &str, text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    check_chars(what, text, MAX_LABEL_CHARS)?;
    if text.trim() != text {
        return Err(format!("{what} must not start or end with white space"));
    }
    Ok(())
}

/// A revoke reason: free text on one line, up to 4096 characters, no control or invisible
/// characters (it is shown in tables and the audit log).
pub fn check_reason(text: &str) -> Result<(), String> {
    check_chars("reason", text, MAX_META_VALUE_CHARS)
}

/// A scope: like a label, and without white space anywhere.
pub fn check_scope(text: &str) -> Result<(), String> {
    check_label("scope", text)?;
    if text.chars().any(char::is_whitespace) {
        return Err(format!("scope '{text}' must not contain white space"));
    }
    Ok(())
}

/// A scope to give a key: a scope, and without a comma, which would make `--scope read,write`
/// one scope that no service asking for `read` finds. (A key may still lose such a scope,
/// made by hand.)
pub fn check_new_scope(text: &str) -> Result<(), String> {
    check_scope(text)?;
    if text.contains(',') {
        return Err(format!(
            "scope '{text}' must not contain a comma: repeat the flag, once per scope"
        ));
    }
    Ok(())
}

/// Parses `K=V` metadata (the key is a label; the value may be empty).
pub fn parse_meta(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("metadata '{}' must be KEY=VALUE", text.escape_debug()))?;
    check_label("metadata key", key)?;
    check_chars("metadata value", value, MAX_META_VALUE_CHARS)?;
    Ok((key.to_owned(), value.to_owned()))
}

/// Refuses two `--meta` pairs that give one key different values (`--meta env=prod --meta
/// env=dev`): keeping either would store a value the user may not have meant. The same pair
/// twice is harmless.
pub fn check_meta_pairs(pairs: &[(String, String)]) -> Result<(), String> {
    for (at, (key, value)) in pairs.iter().enumerate() {
        if pairs[..at].iter().any(|(k, v)| k == key && v != value) {
            return Err(format!(
                "metadata key '{key}' is given two values: give --meta {key}=... once"
            ));
        }
    }
    Ok(())
}

/// Builds the metadata object from `K=V` pairs (checked by `check_meta_pairs`).
pub fn meta_object(pairs: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (key, value) in pairs {
        map.insert(key.clone(), Value::String(value.clone()));
    }
    Value::Object(map)
}

/// Sorts and de-duplicates scopes so equal sets are stored equally.
pub fn normalize_scopes(scopes: &[String]) -> Vec<String> {
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_metadata_key_may_not_be_given_two_values() {
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert!(check_meta_pairs(&[pair("env", "prod"), pair("team", "a")]).is_ok());
        assert!(check_meta_pairs(&[pair("env", "prod"), pair("env", "prod")]).is_ok());
        let err = check_meta_pairs(&[pair("a", "1"), pair("env", "prod"), pair("env", "dev")])
            .unwrap_err();
        assert_eq!(
            err,
            "metadata key 'env' is given two values: give --meta env=... once"
        );
    }

    #[test]
    fn labels_keep_quotes_and_unicode() {
        for ok in [
            "acme",
            "o'brien \"co\"",
            "back\\slash",
            "日本",
            "a; DROP TABLE x;--",
        ] {
            assert!(check_label("org", ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn labels_refuse_invisible_and_overlong_text() {
        let long = "x".repeat(MAX_LABEL_CHARS + 1);
        for bad in [
            "",
            " acme",
            "acme ",
            "a\0b",
            "a\nb",
            "a\u{202E}b",
            "a\u{200B}b",
            &long,
        ] {
            assert!(check_label("org", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_secret_is_no_label_value_or_reason() {
        let secret =
            crate::secret::Secret::generate(&crate::secret::Prefix::parse("sk").unwrap()).unwrap();
        let quoted = format!("leaked in CI: {}", secret.expose());
        let err = check_reason(&quoted).unwrap_err();
        assert!(err.contains(&secret.start()), "{err}");
        assert!(!err.contains(secret.expose()), "{err}");
        assert!(check_label("name", secret.expose()).is_err());
        assert!(parse_meta(&format!("token={}", secret.expose())).is_err());
        // Its start handle, or a hash-like word with no valid checksum, is fine.
        assert!(check_reason(&format!("leaked: {}", secret.start())).is_ok());
        assert!(parse_meta(&format!("build=ci_{}", "ab".repeat(36))).is_ok());
    }

    #[test]
    fn meta_pairs() {
        assert_eq!(
            parse_meta("team=infra").unwrap(),
            ("team".into(), "infra".into())
        );
        assert_eq!(parse_meta("k=a=b").unwrap(), ("k".into(), "a=b".into()));
        assert_eq!(parse_meta("k=").unwrap(), ("k".into(), String::new()));
        assert!(parse_meta("novalue").is_err());
        assert!(parse_meta("=v").is_err());
        assert!(parse_meta("k=a\0").is_err());
    }

    #[test]
    fn scopes() {
        assert!(check_scope("deploy:write").is_ok());
        assert!(check_scope("two words").is_err());
        assert!(check_scope("read,write").is_ok());
        assert_eq!(
            check_new_scope("read,write").unwrap_err(),
            "scope 'read,write' must not contain a comma: repeat the flag, once per scope"
        );
        assert!(check_new_scope("repo:read").is_ok());
        assert_eq!(
            normalize_scopes(&["b".into(), "a".into(), "b".into()]),
            vec!["a".to_string(), "b".to_string()]
        );
    }
}
