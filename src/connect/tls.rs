//! TLS with libpq's `sslmode` meanings, on rustls (no OpenSSL).
//!
//! rust-postgres only knows disable/prefer/require, and its TLS connectors verify the chain and
//! host name even for `require` (PITFALLS.md). keyadm instead builds one rustls configuration
//! per mode: `prefer` and `require` encrypt without verifying (a self-signed server works, as
//! with psql), `verify-ca` checks the chain but not the host name, `verify-full` checks both.
//!
//! A client certificate is offered as libpq offers one: `sslcert`/`sslkey` (or `PGSSLCERT`/
//! `PGSSLKEY`), else `~/.postgresql/postgresql.crt` and `.key` when they exist.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{SslMode, Target, client_cert, crl};
use crate::error::{Error, Result};

/// How one connection attempt uses TLS.
pub struct TlsPlan {
    /// What the driver does: never, if offered, or always.
    pub driver_mode: postgres::config::SslMode,
    /// The connector, with the verifier of the mode.
    pub connector: MakeRustlsConnect,
    /// Set when a server asks for the client certificate offered (see
    /// [`client_cert::Offered`]).
    pub cert_requested: Option<Arc<AtomicBool>>,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS version rustls speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    V12,
    V13,
}

/// The lowest and highest TLS version a connection may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsVersions {
    pub min: TlsVersion,
    pub max: TlsVersion,
}

impl TlsVersions {
    /// libpq's parameters, case-insensitive as in libpq. Its default minimum is TLS 1.2,
    /// and rustls speaks nothing older, so a lower minimum changes nothing; a maximum below
    /// TLS 1.2 cannot be met.
    pub(super) fn parse(min: Option<&str>, max: Option<&str>) -> Result<TlsVersions> {
        let version =
            |name: &str, text: &str, lowest: bool| match text.to_ascii_lowercase().as_str() {
                "tlsv1" | "tlsv1.1" if lowest => Ok(TlsVersion::V12),
                "tlsv1.2" => Ok(TlsVersion::V12),
                "tlsv1.3" => Ok(TlsVersion::V13),
                "tlsv1" | "tlsv1.1" => Err(Error::usage(format!(
                    "{name}={text} cannot be met: keyadm speaks TLS 1.2 and 1.3 only"
                ))),
                _ => Err(Error::Usage {
                    message: format!("invalid {name} '{}'", text.escape_debug()),
                    hint: Some("use TLSv1.2 or TLSv1.3".into()),
                }),
            };
        let versions = TlsVersions {
            min: match min {
                Some(text) => version("ssl_min_protocol_version", text, true)?,
                None => TlsVersion::V12,
            },
            max: match max {
                Some(text) => version("ssl_max_protocol_version", text, false)?,
                None => TlsVersion::V13,
            },
        };
        if versions.min > versions.max {
            return Err(Error::usage(
                "ssl_min_protocol_version is above ssl_max_protocol_version",
            ));
        }
        Ok(versions)
    }
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Encrypted, the certificate taken as it comes.
    Nothing,
    /// The chain must lead to a trusted root; the host name is not compared.
    Chain,
    /// The chain and the host name.
    ChainAndName,
}

/// libpq's rules: `verify-ca` and `verify-full` as named, and in the other modes the chain is
/// checked whenever there is a root certificate (`sslrootcert`, else `~/.postgresql/root.crt`
/// when it exists), so `require` and `prefer` then act as `verify-ca`.
pub fn check(target: &Target) -> Check {
    match target.sslmode {
        SslMode::VerifyFull => Check::ChainAndName,
        SslMode::VerifyCa => Check::Chain,
        SslMode::Disable => Check::Nothing,
        SslMode::Allow | SslMode::Prefer | SslMode::Require => match roots(target) {
            Roots::Named(_) | Roots::System => Check::Chain,
            Roots::Default(path) if path.is_file() => Check::Chain,
            Roots::Default(_) => Check::Nothing,
        },
    }
}

/// Where the trusted roots come from.
enum Roots {
    /// `sslrootcert=system`: the platform's roots.
    System,
    /// A file named by `sslrootcert` (or `PGSSLROOTCERT`).
    Named(PathBuf),
    /// libpq's default, `~/.postgresql/root.crt`, which may not exist.
    Default(PathBuf),
}

fn roots(target: &Target) -> Roots {
    // libpq takes an empty sslrootcert as none.
    match target.sslrootcert.as_deref().filter(|s| !s.is_empty()) {
        Some("system") => Roots::System,
        Some(path) => Roots::Named(PathBuf::from(path)),
        None => Roots::Default(
            target
                .home
                .as_ref()
                .map(|h| h.join(".postgresql/root.crt"))
                .unwrap_or_default(),
        ),
    }
}

/// The TLS plan for a target. Over Unix sockets there is no TLS, as with libpq.
pub fn plan(target: &Target) -> Result<TlsPlan> {
    use postgres::config::SslMode as Driver;
    let only_sockets = (0..target.hosts.len()).all(|i| target.over_socket(i));
    let mode = if only_sockets {
        SslMode::Disable
    } else {
        target.sslmode
    };
    let check = if mode == SslMode::Disable {
        Check::Nothing
    } else {
        check(target)
    };
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::Nothing => Arc::new(NoVerification(provider())),
        Check::Chain | Check::ChainAndName => {
            let roots = Arc::new(root_store(roots(target))?);
            let mut builder = WebPkiServerVerifier::builder_with_provider(roots, provider());
            if let Some(source) = crl::source(target) {
                builder = builder
                    .with_crls(crl::load(&source)?)
                    .enforce_revocation_expiration();
            }
            let webpki = builder.build().map_err(|err| match err {
                rustls::client::VerifierBuilderError::InvalidCrl(why) => Error::usage(format!(
                    "unusable revocation list in {}: {why:?}",
                    crl::source(target).map_or_else(String::new, |s| s.to_string())
                )),
                err => Error::usage(format!("unusable sslrootcert: {err}")),
            })?;
            if check == Check::ChainAndName {
                webpki
            } else {
                Arc::new(ChainOnly(webpki))
            }
        }
    };
    let versions: &[&rustls::SupportedProtocolVersion] =
        match (target.tls_versions.min, target.tls_versions.max) {
            (TlsVersion::V12, TlsVersion::V12) => &[&rustls::version::TLS12],
            (TlsVersion::V13, _) => &[&rustls::version::TLS13],
            (TlsVersion::V12, TlsVersion::V13) => rustls::DEFAULT_VERSIONS,
        };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|err| Error::failure(format!("TLS setup failed: {err}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    // Read only when TLS may be used, as libpq reads it only for a TLS handshake.
    let offered = if mode == SslMode::Disable {
        None
    } else {
        client_cert::offered(target, &provider())?
    };
    let cert_requested = offered.as_ref().map(|offered| offered.requested.clone());
    let mut config = match offered {
        Some(offered) => builder.with_client_cert_resolver(Arc::new(offered)),
        None => builder.with_no_client_auth(),
    };
    config.enable_sni = target.sslsni;
    // A server taking TLS directly (sslnegotiation=direct) insists on this protocol name, so
    // that a TLS connection meant for another protocol is never read as PostgreSQL.
    if target.direct_tls {
        config.alpn_protocols = vec![b"postgresql".to_vec()];
    }
    let driver_mode = match mode {
        SslMode::Disable | SslMode::Allow => Driver::Disable,
        SslMode::Prefer => Driver::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Driver::Require,
    };
    Ok(TlsPlan {
        cert_requested,
        driver_mode,
        connector: MakeRustlsConnect::new(config),
    })
}

/// What the certificate was checked against, for an error that says it is not trusted.
pub fn roots_named(target: &Target) -> String {
    match roots(target) {
        Roots::System => "the system's root certificates".into(),
        Roots::Named(path) => format!("sslrootcert {}", path.display()),
        Roots::Default(path) => path.display().to_string(),
    }
}

/// The trusted roots: `sslrootcert` as a PEM file, `system` for the platform's roots, or
/// libpq's default `~/.postgresql/root.crt`.
fn root_store(roots: Roots) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    let path = match roots {
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(Error::usage(
                    "sslrootcert=system, but no system root certificates were found",
                ));
            }
            return Ok(store);
        }
        // Unlike libpq, which then goes on without checking: a root certificate was named to be
        // used, and a missing one is more likely a wrong path than a wish to skip the check.
        Roots::Named(path) if !path.is_file() => {
            return Err(Error::Usage {
                message: format!("sslrootcert {} does not exist", path.display()),
                hint: Some(
                    "check the path: sslrootcert is the server's CA as a PEM file (or system)"
                        .into(),
                ),
            });
        }
        Roots::Default(path) if !path.is_file() => {
            return Err(Error::Usage {
                message: format!(
                    "sslmode verify-ca/verify-full needs a root certificate, and {} does not exist",
                    path.display()
                ),
                hint: Some(
                    "give the server's CA as sslrootcert=/path/ca.pem (or sslrootcert=system)"
                        .into(),
                ),
            });
        }
        Roots::Named(path) | Roots::Default(path) => path,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&path)
        .and_then(|iter| iter.collect())
        .map_err(|err| {
            Error::usage(format!("cannot read sslrootcert {}: {err}", path.display()))
        })?;
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(Error::usage(format!(
            "sslrootcert {} holds no usable certificate",
            path.display()
        )));
    }
    Ok(store)
}

fn algorithms(provider: &CryptoProvider) -> &WebPkiSupportedAlgorithms {
    &provider.signature_verification_algorithms
}

/// `prefer` and `require`: encrypted, the server's certificate not checked (libpq's meaning).
/// The handshake signatures are still verified, so the session key belongs to the presenter.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms(&self.0))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms(&self.0))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        algorithms(&self.0).supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the host name is not compared.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain before the name, so a name error means the chain was good.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
