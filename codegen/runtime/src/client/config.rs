//! Configuration: the builder, base URL, timeouts, retries and credentials.

use super::*;

/// Connection settings and credentials, inside every generated crate's `ClientBuilder`
/// (see [`client_builder!`](crate::client_builder)).
#[derive(Clone)]
pub struct Settings {
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    idle_timeout: Duration,
    deadline: Option<Duration>,
    max_retries: u32,
    default_headers: HeaderMap,
    user_agent: String,
    http: Option<reqwest::Client>,
    schemes: &'static [SecurityScheme],
    credentials: BTreeMap<&'static str, Credential>,
    error: Option<String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("deadline", &self.deadline)
            .field("max_retries", &self.max_retries)
            // Names only: a caller may put a credential in a default header.
            .field(
                "default_headers",
                &self.default_headers.keys().collect::<Vec<_>>(),
            )
            .field("user_agent", &self.user_agent)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Settings for an API with these security schemes, talking to `base_url`.
    pub fn new(base_url: impl Into<String>, schemes: &'static [SecurityScheme]) -> Self {
        Settings {
            base_url: base_url.into(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            deadline: None,
            max_retries: DEFAULT_MAX_RETRIES,
            default_headers: HeaderMap::new(),
            user_agent: concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION"),
                " (rust)"
            )
            .to_owned(),
            http: None,
            schemes,
            credentials: BTreeMap::new(),
            error: None,
        }
    }

    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Timeout of each attempt, body included (for streams: until the response head).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Ignored when a caller's own `reqwest::Client` is given (it has its own).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest silence between two chunks of a streamed response.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// A limit on the whole call: every attempt and the waits between them. See the
    /// generated `ClientBuilder::deadline`.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// A header sent with every request (an invalid name or value fails `build`).
    pub fn default_header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                self.default_headers.append(name, value);
            }
            _ => self.error = Some(format!("invalid default header `{name}`")),
        }
        self
    }

    pub fn default_headers(mut self, headers: HeaderMap) -> Self {
        self.default_headers.extend(headers);
        self
    }

    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sends through the caller's own client (proxies, TLS roots, pools).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Sets the credential of the named security scheme.
    pub fn credential(mut self, scheme: &'static str, credential: Credential) -> Self {
        self.credentials.insert(scheme, credential);
        self
    }

    /// Sets one token for every scheme that takes a single secret (bearer, API keys).
    pub fn token_for_every_scheme(mut self, token: Secret) -> Self {
        for scheme in self.schemes {
            if scheme.kind != SchemeKind::Basic {
                self.credentials
                    .insert(scheme.name, Credential::Token(token.clone()));
            }
        }
        self
    }

    /// Checks the settings and builds the transport the generated client wraps.
    pub fn build_transport(self) -> Result<Transport, String> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        reqwest::Url::parse(&base_url)
            .map_err(|e| format!("invalid base URL `{base_url}`: {e}"))?;
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| format!("invalid user agent `{}`", self.user_agent))?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?,
        };
        let mut common_headers = self.default_headers;
        common_headers.insert(reqwest::header::USER_AGENT, user_agent);
        let mut credential_headers = BTreeMap::new();
        for scheme in self.schemes {
            let Some(Credential::Token(token)) = self.credentials.get(scheme.name) else {
                continue;
            };
            let header = match scheme.kind {
                SchemeKind::Bearer | SchemeKind::Basic => Some((
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {}", token.expose()),
                )),
                SchemeKind::Header(name) => HeaderName::from_bytes(name.as_bytes())
                    .ok()
                    .map(|name| (name, token.expose().to_owned())),
                SchemeKind::Cookie(name) => Some((
                    reqwest::header::COOKIE,
                    format!("{name}={}", token.expose()),
                )),
                SchemeKind::Query(_) => None,
            };
            if let Some((name, value)) = header {
                // Made once: a bad key fails here, not on every call.
                let mut value = HeaderValue::from_str(&value).map_err(|_| {
                    format!(
                        "the credential for `{}` is not a valid header value",
                        scheme.name
                    )
                })?;
                value.set_sensitive(true);
                credential_headers.insert(scheme.name, (name, value));
            }
        }
        Ok(Transport {
            http,
            base_url,
            timeout: self.timeout,
            idle_timeout: self.idle_timeout,
            deadline: self.deadline,
            max_retries: self.max_retries,
            common_headers,
            schemes: self.schemes,
            credentials: self.credentials,
            credential_headers,
        })
    }
}

/// Defines an API's `ClientBuilder`: [`Settings`] with the same methods, in the generated
/// crate so that it can add a setter per security scheme and `build` its own `Client`
/// (another crate's type cannot get inherent methods). Every method here forwards.
#[macro_export]
macro_rules! client_builder {
    () => {
        /// Connection settings and credentials: base URL, timeouts, retries, default
        /// headers, user agent, an own `reqwest::Client`, one setter per security scheme.
        #[derive(Clone, Debug)]
        #[must_use]
        pub struct ClientBuilder($crate::client::Settings);

        impl ClientBuilder {
            /// Settings for an API with these security schemes, talking to `base_url`.
            pub fn new(
                base_url: impl Into<String>,
                schemes: &'static [$crate::client::SecurityScheme],
            ) -> Self {
                ClientBuilder($crate::client::Settings::new(base_url, schemes))
            }

            /// The URL the operations' paths are appended to.
            pub fn base_url(self, base_url: impl Into<String>) -> Self {
                ClientBuilder(self.0.base_url(base_url))
            }

            /// Timeout of each attempt, body included (for streams: until the response
            /// head arrives). Retries each get it afresh; `deadline` bounds the whole call.
            pub fn timeout(self, timeout: std::time::Duration) -> Self {
                ClientBuilder(self.0.timeout(timeout))
            }

            /// Ignored when a caller's own `reqwest::Client` is given (it has its own).
            pub fn connect_timeout(self, timeout: std::time::Duration) -> Self {
                ClientBuilder(self.0.connect_timeout(timeout))
            }

            /// Longest silence between two chunks of a streamed response.
            pub fn idle_timeout(self, timeout: std::time::Duration) -> Self {
                ClientBuilder(self.0.idle_timeout(timeout))
            }

            /// A limit on the whole call, across its retries: when it passes, the call
            /// ends with `Error::Timeout`, and no retry waits past it (a retry whose wait
            /// would reach it is not made: the last error is returned). Unset by default:
            /// then `timeout` applies to each attempt alone, so a server that never
            /// answers costs up to (1 + `max_retries`) × `timeout` plus the waits. For a
            /// stream it covers the calls until the response head, not the stream itself.
            pub fn deadline(self, deadline: std::time::Duration) -> Self {
                ClientBuilder(self.0.deadline(deadline))
            }

            /// Retries after the first attempt (connection errors, a body cut short,
            /// timeouts, 408, 409, 429, 5xx; the server's `x-should-retry` overrides).
            pub fn max_retries(self, max_retries: u32) -> Self {
                ClientBuilder(self.0.max_retries(max_retries))
            }

            /// A header sent with every request (an invalid name or value fails `build`).
            pub fn default_header(self, name: &str, value: &str) -> Self {
                ClientBuilder(self.0.default_header(name, value))
            }

            /// Headers sent with every request.
            pub fn default_headers(
                self,
                headers: $crate::client::reqwest::header::HeaderMap,
            ) -> Self {
                ClientBuilder(self.0.default_headers(headers))
            }

            /// The `User-Agent` header.
            pub fn user_agent(self, user_agent: impl Into<String>) -> Self {
                ClientBuilder(self.0.user_agent(user_agent))
            }

            /// Sends through the caller's own client (proxies, TLS roots, pools).
            pub fn http_client(self, client: $crate::client::reqwest::Client) -> Self {
                ClientBuilder(self.0.http_client(client))
            }

            /// Sets the credential of the named security scheme.
            pub fn credential(
                self,
                scheme: &'static str,
                credential: $crate::client::Credential,
            ) -> Self {
                ClientBuilder(self.0.credential(scheme, credential))
            }

            /// Sets one token for every scheme that takes a single secret (bearer, API keys).
            pub fn token_for_every_scheme(self, token: $crate::client::Secret) -> Self {
                ClientBuilder(self.0.token_for_every_scheme(token))
            }

            /// Checks the settings and builds the transport the generated client wraps.
            pub fn build_transport(self) -> Result<$crate::client::Transport, String> {
                self.0.build_transport()
            }
        }
    };
}
