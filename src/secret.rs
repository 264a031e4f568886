//! The key format: `<prefix>_<64 hex random><8 hex CRC-32>`, its display handle and its hash.
//!
//! A [`Secret`] lives only in this process: the database sees [`Secret::hash`], never the text.

use std::fmt;

use rand::TryRng;
use sha2::{Digest, Sha256};

/// Length of the random part in hex characters (32 bytes).
const RANDOM_HEX_LEN: usize = 64;
/// Length of the checksum in hex characters (CRC-32).
const CHECK_HEX_LEN: usize = 8;
/// Hex characters of the random part shown in the `start` handle.
const START_HEX_LEN: usize = 8;
/// Longest prefix allowed: `[a-z][a-z0-9_]{0,15}`.
const MAX_PREFIX_LEN: usize = 16;

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "sk";

/// A validated key prefix such as `sk` or `sk_live`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix(String);

impl Prefix {
    /// Validates `[a-z][a-z0-9_]{0,15}`.
    pub fn parse(text: &str) -> Result<Prefix, String> {
        if is_valid_prefix(text) {
            Ok(Prefix(text.to_owned()))
        } else {
            Err(format!(
                "invalid prefix '{}': use 1 to {MAX_PREFIX_LEN} characters, a lowercase letter \
                 then lowercase letters, digits or '_'",
                text.escape_debug()
            ))
        }
    }

    /// The prefix text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid_prefix(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_PREFIX_LEN
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why a string is not a well-formed secret. Never contains the secret itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Not `<prefix>_<72 lowercase hex>` with a valid prefix.
    Shape,
    /// The shape is right but the CRC-32 does not match: a typo or a truncated copy.
    Checksum,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::Shape => f.write_str("not a keyadm secret (expected <prefix>_<72 hex>)"),
            Malformed::Checksum => f.write_str("checksum mismatch (mistyped or truncated secret)"),
        }
    }
}

/// A whole secret key. Its `Debug` output is redacted so it cannot leak into logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    text: String,
    prefix_len: usize,
}

impl Secret {
    /// Makes a new secret from 32 bytes of the operating system's CSPRNG.
    pub fn generate(prefix: &Prefix) -> Result<Secret, String> {
        let mut random = [0u8; RANDOM_HEX_LEN / 2];
        rand::rngs::SysRng
            .try_fill_bytes(&mut random)
            .map_err(|err| format!("the operating system's random source failed: {err}"))?;
        let body = format!("{}_{}", prefix.as_str(), hex::encode(random));
        let text = format!("{body}{:08x}", crc32fast::hash(body.as_bytes()));
        Ok(Secret {
            text,
            prefix_len: prefix.as_str().len(),
        })
    }

    /// Parses a secret, checking its shape and checksum without touching any database.
    pub fn parse(text: &str) -> Result<Secret, Malformed> {
        let (prefix, tail) = text.rsplit_once('_').ok_or(Malformed::Shape)?;
        if !is_valid_prefix(prefix)
            || tail.len() != RANDOM_HEX_LEN + CHECK_HEX_LEN
            || !is_lower_hex(tail)
        {
            return Err(Malformed::Shape);
        }
        let body_len = prefix.len() + 1 + RANDOM_HEX_LEN;
        let expected = format!("{:08x}", crc32fast::hash(&text.as_bytes()[..body_len]));
        if expected != text[body_len..] {
            return Err(Malformed::Checksum);
        }
        Ok(Secret {
            text: text.to_owned(),
            prefix_len: prefix.len(),
        })
    }

    /// The prefix, e.g. `sk_live`.
    pub fn prefix(&self) -> &str {
        &self.text[..self.prefix_len]
    }

    /// The non-secret display handle `<prefix>_<first 8 hex of random>`.
    pub fn start(&self) -> String {
        self.text[..self.prefix_len + 1 + START_HEX_LEN].to_owned()
    }

    /// SHA-256 of the whole secret: the only form that is stored or sent to the server.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.text.as_bytes()).into()
    }

    /// The secret text, for showing it once to its owner.
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({}…)", self.start())
    }
}

/// Whether `text` looks like a secret, even mistyped or in capitals: a word whose part after
/// its last `_` is 64 to 80 letters or digits.
pub fn looks_like_secret(text: &str) -> bool {
    text.rsplit_once('_').is_some_and(|(_, tail)| {
        (64..=80).contains(&tail.len()) && tail.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// `text` with every word that looks like a secret cut to its start handle and `…`, for
/// echoing what a user typed (a secret given as an unexpected argument, say).
pub fn redacted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match word.rsplit_once('_') {
            Some((prefix, tail)) if looks_like_secret(word) => {
                out.push_str(&format!("{prefix}_{}…", &tail[..START_HEX_LEN]));
            }
            _ => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The start handle of the first whole secret (checksum and all) among the words of `text`.
pub fn secret_in(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find_map(|word| Secret::parse(word).ok())
        .map(|secret| secret.start())
}

/// The start handle of `text` when it has a secret's shape (a mistyped checksum included,
/// which leaves the handle as it was): what to name its key by instead.
pub fn start_of_secret_like(text: &str) -> Option<String> {
    let (prefix, tail) = text.rsplit_once('_')?;
    let start = format!("{prefix}_{}", tail.get(..START_HEX_LEN)?);
    (looks_like_secret(text) && looks_like_start(&start)).then_some(start)
}

/// Whether `text` has the shape of a `start` handle (`<prefix>_<8 hex>`).
pub fn looks_like_start(text: &str) -> bool {
    match text.rsplit_once('_') {
        Some((prefix, hex)) => {
            is_valid_prefix(prefix) && hex.len() == START_HEX_LEN && is_lower_hex(hex)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(text: &str) -> Prefix {
        Prefix::parse(text).unwrap()
    }

    #[test]
    fn a_secret_like_text_gives_its_start_handle() {
        let secret = Secret::generate(&prefix("sk_live")).unwrap();
        let text = secret.expose();
        assert_eq!(start_of_secret_like(text), Some(secret.start()));
        // A mistyped checksum leaves the handle as it was.
        let typo = format!("{}x", &text[..text.len() - 1]);
        assert_eq!(start_of_secret_like(&typo), Some(secret.start()));
        // No handle when the text is no secret, or its head is not hex.
        assert_eq!(start_of_secret_like("sk_9f86d081"), None);
        assert_eq!(start_of_secret_like("ci-deploy"), None);
        let not_hex = format!("sk_zz{}", &text[10..]);
        assert_eq!(start_of_secret_like(&not_hex), None);
    }

    #[test]
    fn generated_secret_round_trips_and_has_the_contract_shape() {
        let secret = Secret::generate(&prefix("sk_live")).unwrap();
        let text = secret.expose();
        assert!(text.starts_with("sk_live_"));
        assert_eq!(text.len(), "sk_live_".len() + 72);
        let parsed = Secret::parse(text).unwrap();
        assert_eq!(parsed.prefix(), "sk_live");
        assert_eq!(parsed.start(), text[..16]);
        assert_eq!(parsed.hash(), secret.hash());
        assert!(looks_like_start(&parsed.start()));
    }

    #[test]
    fn secrets_are_cut_to_their_start_handle_where_text_is_echoed() {
        let secret = Secret::generate(&prefix("sk_live")).unwrap();
        let text = format!("unexpected argument '{}' found", secret.expose());
        assert_eq!(
            redacted(&text),
            format!("unexpected argument '{}…' found", secret.start())
        );
        // Mistyped or upper-cased, still cut; ordinary words and handles are left alone.
        let upper = secret.expose().to_uppercase();
        assert!(!redacted(&upper).contains(&upper[20..]));
        let plain = "no key matches 'ci_deploy' or sk_live_9f86d081 in org \"acme\"";
        assert_eq!(redacted(plain), plain);
    }

    #[test]
    fn two_secrets_differ() {
        let a = Secret::generate(&prefix("sk")).unwrap();
        let b = Secret::generate(&prefix("sk")).unwrap();
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn checksum_is_crc32_of_prefix_and_random() {
        let body = format!("sk_{}", "ab".repeat(32));
        let text = format!("{body}{:08x}", crc32fast::hash(body.as_bytes()));
        assert!(Secret::parse(&text).is_ok());
        let mut wrong = text.clone();
        wrong.replace_range(3..4, "c");
        assert_eq!(Secret::parse(&wrong), Err(Malformed::Checksum));
    }

    #[test]
    fn malformed_shapes_are_rejected() {
        let good = Secret::generate(&prefix("sk")).unwrap().expose().to_owned();
        for bad in [
            "",
            "sk",
            "sk_",
            &good[..good.len() - 1],
            &good.to_uppercase(),
            &good.replacen("sk_", "Sk_", 1),
            &format!("{good}0"),
            &good.replacen("sk_", "_", 1),
            &format!(" {good}"),
        ] {
            assert!(Secret::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn prefix_rules() {
        for ok in ["sk", "sk_live", "svc_test", "a", "a123456789012345"] {
            assert!(Prefix::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Sk", "1sk", "_sk", "sk-live", "a1234567890123456", "ß"] {
            assert!(Prefix::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = Secret::generate(&prefix("sk")).unwrap();
        assert!(!format!("{secret:?}").contains(&secret.expose()[12..]));
    }
}
