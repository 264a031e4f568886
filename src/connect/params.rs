//! The libpq connection parameters keyadm understands, as written in a URL or conninfo string.

/// Raw connection parameters, before environment variables and defaults are applied.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params {
    pub host: Option<String>,
    pub hostaddr: Option<String>,
    pub port: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub dbname: Option<String>,
    pub passfile: Option<String>,
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
    pub sslcert: Option<String>,
    pub sslkey: Option<String>,
    pub sslpassword: Option<String>,
    pub sslcrl: Option<String>,
    pub sslcrldir: Option<String>,
    pub sslcertmode: Option<String>,
    pub connect_timeout: Option<String>,
    pub application_name: Option<String>,
    pub options: Option<String>,
    pub channel_binding: Option<String>,
    pub target_session_attrs: Option<String>,
    pub ssl_min_protocol_version: Option<String>,
    pub ssl_max_protocol_version: Option<String>,
    pub sslsni: Option<String>,
    pub sslnegotiation: Option<String>,
    pub load_balance_hosts: Option<String>,
    /// A service of `pg_service.conf` supplying the parameters not given.
    pub service: Option<String>,
}

impl Params {
    /// Sets one parameter by its libpq keyword. Unknown or unsupported keywords are errors,
    /// because silently ignoring e.g. `sslcrl` would connect differently than psql.
    pub fn set(&mut self, key: &str, value: String) -> Result<(), String> {
        let slot = match key {
            "host" => &mut self.host,
            "hostaddr" => &mut self.hostaddr,
            "port" => &mut self.port,
            "user" => &mut self.user,
            "password" => &mut self.password,
            "dbname" => &mut self.dbname,
            "passfile" => &mut self.passfile,
            "sslmode" => &mut self.sslmode,
            "sslrootcert" => &mut self.sslrootcert,
            "sslcert" => &mut self.sslcert,
            "sslkey" => &mut self.sslkey,
            "sslpassword" => &mut self.sslpassword,
            "sslcrl" => &mut self.sslcrl,
            "sslcrldir" => &mut self.sslcrldir,
            "sslcertmode" => &mut self.sslcertmode,
            "connect_timeout" => &mut self.connect_timeout,
            "application_name" => &mut self.application_name,
            "options" => &mut self.options,
            "channel_binding" => &mut self.channel_binding,
            "target_session_attrs" => &mut self.target_session_attrs,
            "ssl_min_protocol_version" => &mut self.ssl_min_protocol_version,
            "ssl_max_protocol_version" => &mut self.ssl_max_protocol_version,
            "sslsni" => &mut self.sslsni,
            "sslnegotiation" => &mut self.sslnegotiation,
            "load_balance_hosts" => &mut self.load_balance_hosts,
            "service" => &mut self.service,
            "fallback_application_name" => {
                if self.application_name.is_none() {
                    self.application_name = Some(value);
                }
                return Ok(());
            }
            // JDBC-style `ssl=true`, which libpq also accepts in URIs.
            "ssl" if value == "true" => &mut self.sslmode,
            // libpq's deprecated spelling: 1... is sslmode=require, anything else prefer,
            // whichever of the two comes last winning.
            "requiressl" => {
                let mode = if value.starts_with('1') {
                    "require"
                } else {
                    "prefer"
                };
                self.sslmode = Some(mode.into());
                return Ok(());
            }
            // keyadm never uses GSSAPI encryption: accept the settings that allow plain TLS.
            "gssencmode" if matches!(value.as_str(), "disable" | "allow" | "prefer") => {
                return Ok(());
            }
            // Only the default of each is what keyadm does anyway.
            // sslcompression: TLS compression is gone from TLS 1.3 and rustls (off in OpenSSL).
            "keepalives"
            | "keepalives_idle"
            | "keepalives_interval"
            | "keepalives_count"
            | "tcp_user_timeout"
            | "client_encoding"
            | "sslcompression" => return Ok(()),
            "gssencmode" => {
                return Err(format!(
                    "{key}={} is not supported by keyadm (leave it out for the default)",
                    value.escape_debug()
                ));
            }
            "requirepeer"
            | "krbsrvname"
            | "gsslib"
            | "gssdelegation"
            | "require_auth"
            | "replication"
            | "sslkeylogfile"
            | "min_protocol_version"
            | "max_protocol_version"
            | "scram_client_key"
            | "scram_server_key"
            | "oauth_issuer"
            | "oauth_client_id"
            | "oauth_client_secret"
            | "oauth_scope" => {
                return Err(format!(
                    "the connection parameter '{key}' is not supported by keyadm"
                ));
            }
            _ => return Err(format!("unknown connection parameter '{key}'")),
        };
        *slot = Some(if key == "ssl" {
            "require".into()
        } else {
            value
        });
        Ok(())
    }
}
