//! The async client: `src/client.rs`, the per-API code from the IR. What is the same for
//! every API is the runtime crate's `client` module, re-exported as `client::runtime`.
//!
//! Each operation becomes one `Client` method: path parameters as arguments, query,
//! header and cookie parameters in a `{Op}Params` struct, the body typed. A success
//! response with both JSON and `text/event-stream` gives a second `{op}_stream` method; a
//! `limit`/`offset` list answering `{data, total}` gives an auto-paginating `{op}_stream`.
//!
//! [`operation`] builds one operation's methods and types from named steps: [`request`]
//! (path, parameters, body) and [`response`] (decoding, streaming, pagination). Each step
//! takes the IR and returns what it built as values; nothing is shared between operations
//! but the names of the others (a `_stream` method must not take one's name).

mod operation;
mod request;
mod response;

use super::{ast, doc_attrs, inner_doc_attrs, parse_at, parse_file, parse_items, ty_syn_in};
use crate::ir::{Api, ParamLocation, SecurityKind, Ty};
use crate::names::{ident, snake_name, Scope};
use crate::Result;
use operation::operation;
use quote::{quote, ToTokens};
use syn::{Expr, Item, Stmt, Type};

/// Methods of the runtime's `ClientBuilder`; a scheme setter of the same name is renamed.
const BUILDER_METHODS: &[&str] = &[
    "new",
    "base_url",
    "timeout",
    "connect_timeout",
    "idle_timeout",
    "max_retries",
    "deadline",
    "default_header",
    "default_headers",
    "user_agent",
    "http_client",
    "credential",
    "token_for_every_scheme",
    "build_transport",
    "build",
];

/// The module the client reaches the models through.
const MODELS: &[&str] = &["super", "models"];

/// `src/client.rs`: module docs, the runtime module and the per-API items.
pub fn client_rs(api: &Api) -> Result<syn::File> {
    let env_prefix = &env_prefix(api);
    let (items, shows) = items_and_shows(api, env_prefix)?;
    let docs = inner_doc_attrs(&format!(
        "The async HTTP client for {} (cargo feature `client`).\n\n\
         `Client::from_env()` reads `{env_prefix}_API_KEY` and `{env_prefix}_BASE_URL`; \
         `Client::builder()` sets timeouts, retries, headers and credentials. Every \
         operation is one async method returning the typed body wrapped in a \
         [`Response`](crate::client::Response) (status, headers, request id) or an \
         [`Error`](crate::client::Error). Failed calls are retried (2 times by \
         default: connection errors, timeouts, 408, 409, 429, 5xx) with exponential backoff \
         and jitter, honouring `Retry-After`.\n\n{}",
        api.title,
        usage(&shows, env_prefix)
    ));
    let mut file = parse_file(quote! {
        #docs

        /// The code every generated client shares: errors, retries, streams, uploads (the
        /// runtime crate's `client` module).
        pub use codegen_runtime::client as runtime;
    })?;
    file.items.extend(items);
    Ok(file)
}

/// The prefix of the client's environment variables, `{PREFIX}_API_KEY` (the variable the
/// server's mock checks) and `{PREFIX}_BASE_URL`: `MANIAC` for the Maniac document.
pub(crate) fn env_prefix(api: &Api) -> String {
    let key_var = super::naming::api_key_var(api);
    key_var
        .strip_suffix("_API_KEY")
        .unwrap_or(&key_var)
        .to_owned()
}

/// A usage sketch naming this API's own methods: a plain call, a stream, an upload, a
/// paginated list and error handling, each where the API has one.
fn usage(shows: &[(String, Shows)], env_prefix: &str) -> String {
    let mut lines = vec![
        "# Use".to_owned(),
        String::new(),
        "```ignore".to_owned(),
        "use futures_util::{StreamExt, TryStreamExt};".to_owned(),
        format!("let client = Client::from_env()?; // {env_prefix}_API_KEY, {env_prefix}_BASE_URL"),
    ];
    if let Some((
        name,
        Shows {
            plain: Some(args), ..
        },
    )) = shows.iter().find(|(_, s)| s.plain.is_some())
    {
        lines.push(format!("let response = client.{name}({args}).await?;"));
        lines.push(
            "println!(\"{} {:?}\", response.status(), response.request_id()); // body: *response"
                .to_owned(),
        );
    }
    if let Some((name, _)) = shows.iter().find(|(_, s)| s.streams) {
        lines.push(format!(
            "let mut events = client.{name}_stream(&request).await?.into_inner(); // until [DONE]"
        ));
        lines
            .push("while let Some(event) = events.next().await { let event = event?; }".to_owned());
    }
    if let Some((
        name,
        Shows {
            upload: Some(form), ..
        },
    )) = shows.iter().find(|(_, s)| s.upload.is_some())
    {
        let (form_ty, field) = form.split_once('|').unwrap_or_default();
        lines.push(format!(
            "let created = client.{name}({form_ty} {{ {field}: Upload::from_path(\"data.bin\"), /* ... */ }}).await?; // streamed"
        ));
    }
    if let Some((
        name,
        Shows {
            plain: Some(args), ..
        },
    )) = shows.iter().find(|(_, s)| s.paginates)
    {
        lines.push(format!(
            "let mut items = client.{name}_stream({args}); // every page"
        ));
        lines.push("while let Some(item) = items.try_next().await? { /* ... */ }".to_owned());
    }
    lines.push(
        "// Errors: `e.kind()` (NotFound, RateLimited, ...), `e.envelope()`, `e.request_id()`, `e.is_retryable()`."
            .to_owned(),
    );
    lines.push("```".to_owned());
    lines.join("\n")
}

/// The once-per-API items are built through tokens; the per-operation methods and types,
/// nearly all of the file, as syntax trees put into them.
fn items_and_shows(api: &Api, env_prefix: &str) -> Result<(Vec<Item>, OperationShows)> {
    let envelope = match api.error_type {
        Some(id) => ty_syn_in(api, &Ty::Named(id), MODELS).into_token_stream(),
        None => quote!(serde_json::Value),
    };
    let schemes = api.security_schemes.iter().map(|s| {
        let name = &s.name;
        let kind = match &s.kind {
            SecurityKind::Bearer { .. } | SecurityKind::Other(_) => quote!(Bearer),
            SecurityKind::Basic => quote!(Basic),
            SecurityKind::ApiKey { name, location } => match location {
                ParamLocation::Query => quote!(Query(#name)),
                ParamLocation::Cookie => quote!(Cookie(#name)),
                ParamLocation::Header | ParamLocation::Path => quote!(Header(#name)),
            },
        };
        quote!(runtime::SecurityScheme { name: #name, kind: runtime::SchemeKind::#kind })
    });
    let default_base_url = api
        .servers
        .first()
        .map(|s| s.default_url.clone())
        .unwrap_or_else(|| "http://localhost".to_owned());
    let variables_note = api
        .servers
        .first()
        .filter(|s| s.url != s.default_url)
        .map(|s| format!(" (`{}` with each variable at its default)", s.url))
        .unwrap_or_default();
    let base_url_doc = doc_attrs(Some(&format!(
        "The document's first server, used when no base URL is given: \
         `{default_base_url}`{variables_note}."
    )));
    let key_var = format!("{env_prefix}_API_KEY");
    let url_var = format!("{env_prefix}_BASE_URL");
    let token_schemes = api
        .security_schemes
        .iter()
        .any(|s| s.kind != SecurityKind::Basic);
    let read_key = token_schemes.then(|| {
        let missing = format!("the environment variable {key_var} is not set");
        quote! {
            let key = std::env::var(#key_var).map_err(|_| Error::InvalidRequest(#missing.to_owned()))?;
            builder = builder.token_for_every_scheme(runtime::Secret::new(key));
        }
    });
    let from_env_doc = doc_attrs(Some(&format!(
        "A client for `{url_var}` (default [`Client::DEFAULT_BASE_URL`]){}.",
        if token_schemes {
            format!(", authenticated with `{key_var}` (required) for every token scheme")
        } else {
            String::new()
        }
    )));

    let mut setter_names = Scope::default();
    for taken in BUILDER_METHODS {
        setter_names.claim(taken);
    }
    let setters = api.security_schemes.iter().map(|s| {
        let base = snake_name(&s.name, "scheme");
        let setter = ident(&setter_names.claim(&base));
        let name = &s.name;
        let mut doc = format!("The credential for the `{name}` security scheme");
        if let Some(description) = &s.description {
            doc.push_str(": ");
            doc.push_str(description);
        }
        let docs = doc_attrs(Some(&doc));
        match s.kind {
            SecurityKind::Basic => quote! {
                #docs
                pub fn #setter(self, username: impl Into<String>, password: impl Into<runtime::Secret>) -> Self {
                    self.credential(#name, runtime::Credential::Basic { username: username.into(), password: password.into() })
                }
            },
            _ => quote! {
                #docs
                pub fn #setter(self, token: impl Into<runtime::Secret>) -> Self {
                    self.credential(#name, runtime::Credential::Token(token.into()))
                }
            },
        }
    });

    let op_names: Vec<&str> = api.operations.iter().map(|o| o.name.as_str()).collect();
    let mut types = Vec::new();
    let mut methods = Vec::new();
    let mut shows = Vec::new();
    for op in &api.operations {
        let emitted = operation(api, op, &op_names)?;
        let cfg = crate::emit::operation_cfg(api, op);
        types.extend(
            emitted
                .types
                .into_iter()
                .map(|item| crate::emit::with_cfg(item, &cfg)),
        );
        methods.extend(emitted.methods.into_iter().map(|mut method| {
            if let (Some(cfg), syn::ImplItem::Fn(f)) = (&cfg, &mut method) {
                crate::emit::insert_cfg(&mut f.attrs, cfg);
            }
            method
        }));
        shows.push((op.name.clone(), emitted.shows));
    }

    let shared_params = api
        .operations
        .iter()
        .any(|op| crate::emit::params::params_name(op).is_some())
        .then(|| {
            quote! {
                /// The operations' query, header and cookie parameters (shared with the server).
                pub use super::params::*;
            }
        });
    let mut items = parse_items(quote! {
        #shared_params
        pub use runtime::{ErrorKind, Part, Response, Secret, Upload};

        runtime::client_builder!();

        /// The API's error envelope, parsed from error bodies and error frames.
        pub type ErrorEnvelope = #envelope;
        /// Every way a call can fail.
        pub type Error = runtime::Error<ErrorEnvelope>;
        /// A non-success response.
        pub type ApiError = runtime::ApiError<ErrorEnvelope>;
        /// A downloaded body, chunk by chunk.
        pub type ByteStream = runtime::ByteStream<ErrorEnvelope>;
        /// A Server-Sent Events response, one decoded item per `data:` event.
        pub type EventStream<T> = runtime::EventStream<T, ErrorEnvelope>;
        /// A stream of items (a streamed response or an auto-paginated list).
        pub type ItemStream<T> = runtime::BoxStream<'static, Result<T, Error>>;

        /// The document's security schemes.
        const SCHEMES: &[runtime::SecurityScheme] = &[#(#schemes),*];

        /// The API client: cheap to clone (clones share one connection pool).
        #[derive(Debug, Clone)]
        pub struct Client {
            transport: runtime::Transport,
        }
    })?;
    let mut client_impl: syn::ItemImpl = parse_at(
        quote! {
            impl Client {
                #base_url_doc
                pub const DEFAULT_BASE_URL: &'static str = #default_base_url;

                /// A client with default settings for `base_url`, without credentials.
                pub fn new(base_url: impl Into<String>) -> Result<Self, Error> {
                    Self::builder().base_url(base_url).build()
                }

                #from_env_doc
                pub fn from_env() -> Result<Self, Error> {
                    let base_url = std::env::var(#url_var).unwrap_or_else(|_| Self::DEFAULT_BASE_URL.to_owned());
                    #[allow(unused_mut)]
                    let mut builder = Self::builder().base_url(base_url);
                    #read_key
                    builder.build()
                }

                /// Settings: base URL, timeouts, retries, default headers, user agent, an own
                /// `reqwest::Client`, credentials.
                pub fn builder() -> ClientBuilder {
                    ClientBuilder::new(Self::DEFAULT_BASE_URL, SCHEMES)
                }

                /// The transport, for requests this client has no method for.
                pub fn transport(&self) -> &runtime::Transport {
                    &self.transport
                }
            }
        },
        "#",
    )?;
    client_impl.items.extend(methods);
    items.push(Item::Impl(client_impl));
    items.extend(parse_items(quote! {
        impl ClientBuilder {
            /// Checks the settings and builds the client.
            pub fn build(self) -> Result<Client, Error> {
                Ok(Client { transport: self.build_transport().map_err(Error::InvalidRequest)? })
            }

            #(#setters)*
        }
    })?);
    items.extend(types);
    Ok((items, shows))
}

/// Each operation's name and what the usage sketch can show with it.
type OperationShows = Vec<(String, Shows)>;

/// The forms an operation's methods took, for the usage sketch.
#[derive(Default)]
struct Shows {
    /// Called with nothing, or with a params struct that has `Default`.
    plain: Option<String>,
    /// Its `_stream` method streams events for a JSON body.
    streams: bool,
    /// Its body is a multipart form with this first file field.
    upload: Option<String>,
    /// Its `_stream` method paginates.
    paginates: bool,
}

/// A local variable (or `self`) as an expression.
fn var(name: &str) -> Expr {
    ast::path_expr(&[name])
}

/// `request.name(args)`.
fn on_request(name: &str, args: impl IntoIterator<Item = Expr>) -> Expr {
    ast::method(var("request"), name, args)
}

/// `request = request.name(args);` (a multipart body, part by part).
fn add_part(name: &str, args: impl IntoIterator<Item = Expr>) -> Stmt {
    ast::semi(ast::assign(var("request"), on_request(name, args)))
}

/// `self.transport`.
fn transport() -> Expr {
    ast::field(var("self"), syn::Member::Named(ast::ident("transport")))
}

/// `self.transport.name(args).await`.
fn transport_await(name: &str, args: impl IntoIterator<Item = Expr>) -> Expr {
    ast::await_expr(ast::method(transport(), name, args))
}

/// `Result<Response<ty>, Error>`, what every operation method returns.
fn result_of(ty: Type) -> Type {
    ast::path_ty(ast::generic_path(
        &["Result"],
        [
            ast::path_ty(ast::generic_path(&["Response"], [ty])),
            named_ty("Error"),
        ],
    ))
}

/// A type of this module (or a prelude type) named by one identifier.
fn named_ty(name: &str) -> Type {
    ast::path_ty(ast::path(&[name]))
}

fn generic_ty(segments: &[&str], arg: Type) -> Type {
    ast::path_ty(ast::generic_path(segments, [arg]))
}

#[cfg(test)]
mod tests {
    /// The names a scheme setter must not take are the methods the runtime's
    /// `client_builder!` defines, and the `build` the emitter adds.
    #[test]
    fn builder_methods_are_the_runtime_builders() {
        let config = include_str!("../../../runtime/src/client/config.rs");
        let start = config.find("macro_rules! client_builder").unwrap();
        let mut defined: Vec<&str> = config[start..]
            .split("pub fn ")
            .skip(1)
            .map(|rest| rest.split(['(', '<']).next().unwrap())
            .collect();
        defined.push("build");
        let mut listed = super::BUILDER_METHODS.to_vec();
        defined.sort_unstable();
        listed.sort_unstable();
        assert_eq!(listed, defined);
    }
}
