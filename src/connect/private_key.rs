//! The client certificate's private key (`sslkey`), read from PEM as libpq reads it, and
//! decrypted with `sslpassword` when it is encrypted. keyadm reads the encrypted form OpenSSL 3
//! writes (PKCS#8 `ENCRYPTED PRIVATE KEY`, PBES2 with PBKDF2 or scrypt and AES); the older
//! OpenSSL forms are refused with the command that converts them. As in libpq, `sslpassword`
//! is ignored for a key that is not encrypted. Unlike libpq, keyadm never asks for the
//! passphrase on the terminal: it does not ask for the database password either.

use std::path::Path;

use pkcs8::EncryptedPrivateKeyInfoRef;
use pkcs8::der::{Decode, ErrorKind, Tag};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::{Error, Result};

const ENCRYPTED_BEGIN: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
const ENCRYPTED_END: &str = "-----END ENCRYPTED PRIVATE KEY-----";

/// How to turn a key keyadm cannot decrypt into one it can (the same passphrase may be given).
fn convert_hint(path: &Path) -> String {
    format!(
        "convert it: openssl pkcs8 -topk8 -v2 aes-256-cbc -in {} -out NEW.key",
        path.display()
    )
}

/// The key file `path` cannot be read, for `why`.
fn unreadable(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::usage(format!("cannot read sslkey {}: {why}", path.display()))
}

/// The private key in the PEM file at `path`, decrypted with `password` if it is encrypted.
pub fn read(path: &Path, password: Option<&str>) -> Result<PrivateKeyDer<'static>> {
    let bytes = std::fs::read(path).map_err(|err| unreadable(path, err))?;
    let text = String::from_utf8_lossy(&bytes);
    if let Some(block) = encrypted_block(&text) {
        return decrypt(path, block, password);
    }
    // OpenSSL's own older form: "Proc-Type: 4,ENCRYPTED" in an RSA or EC PRIVATE KEY block.
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(Error::Usage {
            message: format!(
                "sslkey {} is encrypted in OpenSSL's traditional format, which keyadm cannot read",
                path.display()
            ),
            hint: Some(convert_hint(path)),
        });
    }
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|err| unreadable(path, err))
}

/// The first `ENCRYPTED PRIVATE KEY` block of `text`, its BEGIN and END lines included.
fn encrypted_block(text: &str) -> Option<&str> {
    let start = text.find(ENCRYPTED_BEGIN)?;
    let end = text[start..].find(ENCRYPTED_END)? + start + ENCRYPTED_END.len();
    Some(&text[start..end])
}

/// Decrypts the PKCS#8 `block` of the key file `path` with `password`.
fn decrypt(path: &Path, block: &str, password: Option<&str>) -> Result<PrivateKeyDer<'static>> {
    let Some(password) = password else {
        return Err(Error::Usage {
            message: format!(
                "sslkey {} is encrypted, and no sslpassword is given",
                path.display()
            ),
            hint: Some(
                "give its passphrase as sslpassword, in the connection string or a service file"
                    .into(),
            ),
        });
    };
    let (_, document) =
        pkcs8::der::Document::from_pem(block).map_err(|err| unreadable(path, err))?;
    let unsupported = || Error::Usage {
        message: format!(
            "sslkey {} is encrypted with a scheme keyadm cannot decrypt",
            path.display()
        ),
        hint: Some(convert_hint(path)),
    };
    let info = match EncryptedPrivateKeyInfoRef::from_der(document.as_bytes()) {
        Ok(info) => info,
        // An algorithm the decoder does not know (the PKCS#12 schemes of older OpenSSL).
        Err(err)
            if err.kind()
                == (ErrorKind::Value {
                    tag: Tag::ObjectIdentifier,
                }) =>
        {
            return Err(unsupported());
        }
        Err(err) => return Err(unreadable(path, err)),
    };
    let wrong = || Error::Usage {
        message: format!(
            "cannot decrypt sslkey {}: wrong sslpassword",
            path.display()
        ),
        hint: None,
    };
    let plain = match info.decrypt(password) {
        Ok(plain) => plain,
        Err(pkcs8::Error::EncryptedPrivateKey(pkcs8::pkcs5::Error::DecryptFailed)) => {
            return Err(wrong());
        }
        Err(pkcs8::Error::EncryptedPrivateKey(_)) => return Err(unsupported()),
        // Decrypted, but what came out is no key: a wrong passphrase that happened to leave
        // valid padding.
        Err(_) => return Err(wrong()),
    };
    if pkcs8::PrivateKeyInfoRef::from_der(plain.as_bytes()).is_err() {
        return Err(wrong());
    }
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        plain.as_bytes().to_vec(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_encrypted_key_is_unreadable_not_an_unknown_scheme() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.key");
        // An empty SEQUENCE where the encryption algorithm and the data should be.
        std::fs::write(&path, format!("{ENCRYPTED_BEGIN}\nMAA=\n{ENCRYPTED_END}\n")).unwrap();
        let err = read(&path, Some("x")).unwrap_err().to_string();
        assert!(err.starts_with("cannot read sslkey"), "{err}");
    }
}
