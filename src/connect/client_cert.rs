//! The client certificate keyadm offers, as libpq offers one (`sslcert`/`sslkey`, else
//! `~/.postgresql/postgresql.crt` and `.key`), and libpq 16's `sslcertmode`: `allow` (the
//! default) offers it when there is one, `disable` never does, `require` insists that the
//! server ask for it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustls::SignatureScheme;
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use super::Target;
use crate::error::{Error, Result};

/// libpq's `sslcertmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertMode {
    Disable,
    Allow,
    Require,
}

impl CertMode {
    pub fn parse(given: Option<&str>) -> Result<CertMode> {
        match given {
            None | Some("allow") => Ok(CertMode::Allow),
            Some("disable") => Ok(CertMode::Disable),
            Some("require") => Ok(CertMode::Require),
            Some(other) => Err(Error::Usage {
                message: format!("invalid sslcertmode '{}'", other.escape_debug()),
                hint: Some("use disable, allow or require".into()),
            }),
        }
    }
}

/// The certificate offered, and whether a server asked for it.
#[derive(Debug)]
pub struct Offered {
    key: Arc<CertifiedKey>,
    /// Set when a server asks (its CertificateRequest); `sslcertmode=require` needs it.
    pub requested: Arc<AtomicBool>,
}

impl ResolvesClientCert for Offered {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.requested.store(true, Ordering::SeqCst);
        Some(self.key.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The certificate to offer under the target's `sslcertmode`, if any.
pub fn offered(target: &Target, provider: &CryptoProvider) -> Result<Option<Offered>> {
    let identity = match target.sslcertmode {
        CertMode::Disable => return Ok(None),
        CertMode::Allow => client_identity(target)?,
        CertMode::Require => Some(client_identity(target)?.ok_or_else(|| {
            Error::Usage {
                message: "sslcertmode=require, and there is no client certificate to offer".into(),
                hint: Some(
                    "give sslcert and sslkey, or put them in ~/.postgresql/postgresql.crt and .key"
                        .into(),
                ),
            }
        })?),
    };
    let Some((certs, key)) = identity else {
        return Ok(None);
    };
    let key = CertifiedKey::from_der(certs, key, provider)
        .map_err(|err| Error::usage(format!("unusable client certificate or key: {err}")))?;
    Ok(Some(Offered {
        key: Arc::new(key),
        requested: Arc::new(AtomicBool::new(false)),
    }))
}

/// A client certificate with its chain, and its private key.
type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The client certificate and key to offer, if there is one.
fn client_identity(target: &Target) -> Result<Option<Identity>> {
    let default = |name: &str| {
        target
            .home
            .as_ref()
            .map(|h| h.join(".postgresql").join(name))
    };
    let cert_path = match &target.sslcert {
        Some(path) => {
            let path = PathBuf::from(path);
            // libpq would go on without it; naming the missing file says more than the
            // server's refusal would.
            if !path.is_file() {
                return Err(Error::usage(format!(
                    "sslcert {} does not exist",
                    path.display()
                )));
            }
            path
        }
        None => match default("postgresql.crt").filter(|path| path.is_file()) {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    let key_path = target
        .sslkey
        .as_ref()
        .map(PathBuf::from)
        .or_else(|| default("postgresql.key"))
        .filter(|path| path.is_file())
        .ok_or_else(|| {
            Error::usage(format!(
                "client certificate {} given, but no private key file (sslkey, or ~/.postgresql/postgresql.key)",
                cert_path.display()
            ))
        })?;
    check_key_permissions(&key_path)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .and_then(|iter| iter.collect())
        .map_err(|err| {
            Error::usage(format!(
                "cannot read sslcert {}: {err}",
                cert_path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::usage(format!(
            "sslcert {} holds no certificate",
            cert_path.display()
        )));
    }
    let key = super::private_key::read(&key_path, target.sslpassword.as_deref())?;
    Ok(Some((certs, key)))
}

/// libpq refuses a private key that others may read: 0600 or less, or 0640 if root owns it.
fn check_key_permissions(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path)
            .map_err(|err| Error::usage(format!("cannot read sslkey {}: {err}", path.display())))?;
        let forbidden = if meta.uid() == 0 { 0o037 } else { 0o077 };
        if meta.mode() & forbidden != 0 {
            return Err(Error::Usage {
                message: format!(
                    "private key file {} has group or world access",
                    path.display()
                ),
                hint: Some("chmod 0600 it (or 0640 if root owns it), as libpq requires".into()),
            });
        }
    }
    Ok(())
}
