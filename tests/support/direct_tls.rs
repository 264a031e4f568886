//! A stand-in for PostgreSQL 17's direct TLS (`sslnegotiation=direct`) in front of the suite's
//! cluster (PostgreSQL 15 has none): it takes only a connection that opens with a TLS
//! handshake, never an SSLRequest, and, as PostgreSQL 17 does, only with the ALPN protocol
//! `postgresql`; then it passes the decrypted bytes on to the cluster over plain TCP.

use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::cluster::cluster;

/// How a connection to the stand-in began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    /// A TLS handshake naming `postgresql` by ALPN: passed on.
    DirectTls,
    /// A TLS handshake without that protocol: closed.
    WithoutAlpn,
    /// Anything else (an SSLRequest, a startup message): closed.
    NotTls,
}

/// The running stand-in.
pub struct DirectTls {
    pub port: u16,
    /// Each connection's opening, in order.
    pub openings: Arc<Mutex<Vec<Opening>>>,
}

/// Starts a stand-in with the cluster's own certificate (for localhost and 127.0.0.1, signed
/// by the test CA). It lives until the test process ends.
pub fn start() -> DirectTls {
    let setup = cluster()
        .tls
        .as_ref()
        .expect("direct TLS needs the suite's own cluster");
    let tls_dir = setup.dir.join("tls");
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(tls_dir.join("server.crt"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(tls_dir.join("server.key")).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let upstream = setup.port;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let openings = Arc::new(Mutex::new(Vec::new()));
    let seen = openings.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, seen) = (acceptor.clone(), seen.clone());
                tokio::spawn(async move {
                    let record = |opening| seen.lock().unwrap().push(opening);
                    let mut first = [0u8; 1];
                    // 0x16: a TLS handshake record. An SSLRequest begins with its length.
                    if client.peek(&mut first).await.ok() != Some(1) || first[0] != 0x16 {
                        return record(Opening::NotTls);
                    }
                    let Ok(mut tls) = acceptor.accept(client).await else {
                        return record(Opening::WithoutAlpn);
                    };
                    if tls.get_ref().1.alpn_protocol() != Some(b"postgresql".as_slice()) {
                        return record(Opening::WithoutAlpn);
                    }
                    record(Opening::DirectTls);
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    let _ = copy_bidirectional(&mut tls, &mut server).await;
                });
            }
        });
    });
    DirectTls { port, openings }
}
