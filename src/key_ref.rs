//! KEY identifiers: a full id, a unique id prefix of 8+ characters, a `start` handle, or the
//! name of a live key. Never a secret: one given by mistake is refused before it can be sent.

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::label;
use crate::secret::{self, Secret};
use crate::store::KeyLookup;

/// The shortest id prefix accepted.
const MIN_ID_PREFIX: usize = 8;

/// How a KEY is echoed in messages: escaped, and cut after 60 characters.
pub fn shown(input: &str) -> String {
    let escaped: String = input.escape_debug().collect();
    match escaped.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &escaped[..at]),
        None => escaped,
    }
}

/// Every form `input` could take as a KEY.
pub fn lookup_for(input: &str) -> Result<KeyLookup> {
    // A secret with a mistyped checksum still must not travel to the server as a "name".
    if Secret::parse(input).is_ok() || secret::looks_like_secret(input) {
        // A leaked secret found in a log is often all an operator has of the key to revoke:
        // its start handle names that key, and is no secret.
        let hint = match secret::start_of_secret_like(input) {
            Some(start) => format!(
                "give its start handle instead, {start}; to verify a secret use `keyadm check` and pipe it on stdin"
            ),
            None => "to verify a secret use `keyadm check` and pipe it on stdin".into(),
        };
        return Err(Error::Usage {
            message:
                "that KEY looks like a secret; KEY identifies a key by id, start handle or name"
                    .into(),
            hint: Some(hint),
        });
    }
    if let Ok(id) = Uuid::parse_str(input) {
        return Ok(KeyLookup {
            id_range: Some((id, id)),
            ..KeyLookup::default()
        });
    }
    let mut lookup = KeyLookup::default();
    let hex: String = input
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    if (MIN_ID_PREFIX..32).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        let low = format!("{hex:0<32}");
        let high = format!("{hex:f<32}");
        if let (Ok(low), Ok(high)) = (Uuid::parse_str(&low), Uuid::parse_str(&high)) {
            lookup.id_range = Some((low, high));
        }
    }
    if secret::looks_like_start(input) {
        lookup.start = Some(input.to_owned());
    }
    if label::check_label("name", input).is_ok() {
        lookup.name = Some(input.to_owned());
    }
    if lookup == KeyLookup::default() {
        return Err(Error::usage(format!(
            "'{}' is not a key id, id prefix, start handle or name",
            shown(input)
        )));
    }
    Ok(lookup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Prefix;

    #[test]
    fn forms() {
        let id = Uuid::now_v7();
        assert_eq!(
            lookup_for(&id.to_string()).unwrap().id_range,
            Some((id, id))
        );
        let l = lookup_for(&id.to_string()[..8]).unwrap();
        let (low, high) = l.id_range.unwrap();
        assert!(low <= id && id <= high);
        assert_eq!(l.name.as_deref(), Some(&id.to_string()[..8]));
        let l = lookup_for("sk_live_9f86d081").unwrap();
        assert_eq!(l.start.as_deref(), Some("sk_live_9f86d081"));
        let l = lookup_for("ci-deploy").unwrap();
        assert_eq!(
            (l.id_range, l.start, l.name.as_deref()),
            (None, None, Some("ci-deploy"))
        );
        assert!(lookup_for("0193").unwrap().id_range.is_none());
    }

    #[test]
    fn secrets_and_junk_are_refused() {
        let secret = Secret::generate(&Prefix::parse("sk").unwrap()).unwrap();
        assert_eq!(lookup_for(secret.expose()).unwrap_err().exit_code(), 2);
        let mut typo = secret.expose().to_owned();
        typo.pop();
        typo.push('x');
        assert_eq!(lookup_for(&typo).unwrap_err().exit_code(), 2);
        assert!(lookup_for("").is_err());
        assert!(lookup_for("a\u{202e}b").is_err());
    }
}
