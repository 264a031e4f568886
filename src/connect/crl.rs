//! Certificate revocation lists (libpq's `sslcrl` and `sslcrldir`, else
//! `~/.postgresql/root.crl` when it exists): a server certificate they list is refused.
//!
//! As in libpq, a chain checked against revocation lists needs one from the issuer of every
//! certificate in it (the root excepted), and a list past its next update is refused. Unlike
//! libpq, which then goes on without checking, an `sslcrl` or `sslcrldir` that is missing or
//! holds no revocation list is an error: revocation was asked for, and a wrong path would
//! silently turn it off.

use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateRevocationListDer;
use rustls::pki_types::pem::PemObject;

use crate::error::{Error, Result};

use super::Target;

/// Where the revocation lists come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `sslcrl` and/or `sslcrldir`.
    Named {
        file: Option<PathBuf>,
        dir: Option<PathBuf>,
    },
    /// `~/.postgresql/root.crl`, which exists.
    Default(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Named { file, dir } => {
                let named: Vec<String> = [("sslcrl", file), ("sslcrldir", dir)]
                    .into_iter()
                    .filter_map(|(key, path)| Some(format!("{key} {}", path.as_ref()?.display())))
                    .collect();
                f.write_str(&named.join(" and "))
            }
            Source::Default(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Where the target's revocation lists come from, if it has any. libpq takes an empty value
/// as none.
pub fn source(target: &Target) -> Option<Source> {
    let named = |value: &Option<String>| {
        value
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    let (file, dir) = (named(&target.sslcrl), named(&target.sslcrldir));
    if file.is_some() || dir.is_some() {
        return Some(Source::Named { file, dir });
    }
    let default = target.home.as_ref()?.join(".postgresql/root.crl");
    default.is_file().then_some(Source::Default(default))
}

/// Reads the revocation lists of `source`: at most one from each CA (of several, webpki would
/// take the first, not the newest), so two different ones from one CA are an error naming
/// their files.
pub fn load(source: &Source) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    let mut found = Vec::new();
    match source {
        Source::Named { file, dir } => {
            if let Some(file) = file {
                if !file.is_file() {
                    return Err(missing("sslcrl", file));
                }
                found.extend(read("sslcrl", file)?);
            }
            if let Some(dir) = dir {
                found.extend(read_dir(dir)?);
            }
        }
        Source::Default(path) => found.extend(read("sslcrl", path)?),
    }
    if found.is_empty() {
        return Err(Error::Usage {
            message: format!("{source} holds no certificate revocation list"),
            hint: Some(
                "give the CA's revocation list as a PEM file (-----BEGIN X509 CRL-----)".into(),
            ),
        });
    }
    // A c_rehash directory often holds each list twice: its file and a link named by hash.
    let mut unique: Vec<Found> = Vec::new();
    for (path, crl) in found {
        if !unique.iter().any(|(_, seen)| *seen == crl) {
            unique.push((path, crl));
        }
    }
    let found = unique;
    let mut issuers: Vec<(Vec<u8>, &Path)> = Vec::new();
    for (path, crl) in &found {
        let parsed = webpki::BorrowedCertRevocationList::from_der(crl.as_ref()).map_err(|err| {
            Error::usage(format!(
                "unusable revocation list in {}: {err:?}",
                path.display()
            ))
        })?;
        let issuer = webpki::CertRevocationList::from(parsed).issuer().to_vec();
        if let Some((_, first)) = issuers.iter().find(|(seen, _)| *seen == issuer) {
            return Err(Error::Usage {
                message: format!(
                    "two revocation lists from one CA: in {} and in {}",
                    first.display(),
                    path.display()
                ),
                hint: Some("keep only the CA's current list".into()),
            });
        }
        issuers.push((issuer, path));
    }
    Ok(found.into_iter().map(|(_, crl)| crl).collect())
}

fn missing(key: &str, path: &Path) -> Error {
    Error::Usage {
        message: format!("{key} {} does not exist", path.display()),
        hint: Some(
            "check the path: sslcrl is a PEM file of revocation lists, sslcrldir a directory of them"
                .into(),
        ),
    }
}

/// A revocation list and the file it came from.
type Found = (PathBuf, CertificateRevocationListDer<'static>);

/// The revocation lists in a PEM file.
fn read(key: &str, path: &Path) -> Result<Vec<Found>> {
    let crls: Vec<CertificateRevocationListDer<'static>> =
        CertificateRevocationListDer::pem_file_iter(path)
            .and_then(|iter| iter.collect())
            .map_err(|err| Error::usage(format!("cannot read {key} {}: {err}", path.display())))?;
    Ok(crls.into_iter().map(|crl| (path.to_owned(), crl)).collect())
}

/// The revocation lists in the files of a directory (OpenSSL's `c_rehash` layout, or any
/// other names); files that hold none are passed over.
fn read_dir(dir: &Path) -> Result<Vec<Found>> {
    let entries = std::fs::read_dir(dir).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => missing("sslcrldir", dir),
        _ => Error::usage(format!("cannot read sslcrldir {}: {err}", dir.display())),
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let mut found = Vec::new();
    for path in paths {
        if let Ok(crls) = read("sslcrldir", &path) {
            found.extend(crls);
        }
    }
    Ok(found)
}
