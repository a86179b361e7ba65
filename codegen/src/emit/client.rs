//! The async client: `src/client.rs` (per-API code, from the IR) and `src/client/runtime.rs`
//! (the same for every API: [`RUNTIME`], copied verbatim).
//!
//! Each operation becomes one `Client` method: path parameters as arguments, query,
//! header and cookie parameters in a `{Op}Params` struct, the body typed. A success
//! response with both JSON and `text/event-stream` gives a second `{op}_stream` method; a
//! `limit`/`offset` list answering `{data, total}` gives an auto-paginating `{op}_stream`.

use super::{doc_attrs, inner_doc_attrs, ty_tokens_in};
use crate::ir::{
    Api, Content, MediaKind, Operation, Param, ParamLocation, ParamStyle, PathSegment, RequestBody,
    SecurityKind, Status, Ty, TypeKind,
};
use crate::names::{ident, snake_name, type_name, Scope};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The runtime module, emitted as `src/client/runtime.rs`.
pub const RUNTIME: &str = include_str!("../runtime/client.rs");

/// Methods of the runtime's `ClientBuilder`; a scheme setter of the same name is renamed.
const BUILDER_METHODS: &[&str] = &[
    "new",
    "base_url",
    "timeout",
    "connect_timeout",
    "idle_timeout",
    "max_retries",
    "default_header",
    "default_headers",
    "user_agent",
    "http_client",
    "credential",
    "token_for_every_scheme",
    "build_transport",
    "build",
];

/// `src/client.rs`: module docs, the runtime module and the per-API items.
pub fn client_rs(api: &Api) -> TokenStream {
    let env_prefix = &env_prefix(api);
    let (items, shows) = items_and_shows(api, env_prefix);
    let docs = inner_doc_attrs(&format!(
        "The async HTTP client for {} (cargo feature `client`).\n\n\
         `Client::from_env()` reads `{env_prefix}_API_KEY` and `{env_prefix}_BASE_URL`; \
         `Client::builder()` sets timeouts, retries, headers and credentials. Every \
         operation is one async method returning the typed body wrapped in a [`Response`] \
         (status, headers, request id) or an [`Error`]. Failed calls are retried (2 times by \
         default: connection errors, timeouts, 408, 409, 429, 5xx) with exponential backoff \
         and jitter, honouring `Retry-After`.\n\n{}",
        api.title,
        usage(&shows, env_prefix)
    ));
    quote! {
        #docs

        /// The code every generated client shares: errors, retries, streams, uploads.
        pub mod runtime;

        #items
    }
}

/// The per-API items, with the runtime reached as `runtime` and the models as
/// `super::models` (so a test can compile them inside any module).
pub fn client_items(api: &Api) -> TokenStream {
    items_and_shows(api, &env_prefix(api)).0
}

/// The prefix of the client's environment variables, `{PREFIX}_API_KEY` (the variable the
/// server's mock checks) and `{PREFIX}_BASE_URL`: `MANIAC` for the Maniac document.
fn env_prefix(api: &Api) -> String {
    let key_var = super::server::api_key_var(api);
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

fn items_and_shows(api: &Api, env_prefix: &str) -> (TokenStream, Vec<(String, Shows)>) {
    let models = quote!(super::models::);
    let envelope = match api.error_type {
        Some(id) => ty_tokens_in(api, &Ty::Named(id), &models),
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
        quote!(runtime::Scheme { name: #name, kind: runtime::SchemeKind::#kind })
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
        let emitted = operation(api, op, &models, &op_names);
        types.push(emitted.types);
        methods.push(emitted.methods);
        shows.push((op.name.clone(), emitted.shows));
    }

    let items = quote! {
        pub use runtime::{ClientBuilder, ErrorKind, Part, Response, Secret, Upload};

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
        pub type ItemStream<T> = futures_util::stream::BoxStream<'static, Result<T, Error>>;

        /// The document's security schemes.
        const SCHEMES: &[runtime::Scheme] = &[#(#schemes),*];

        /// The API client: cheap to clone (clones share one connection pool).
        #[derive(Debug, Clone)]
        pub struct Client {
            transport: runtime::Transport,
        }

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

            #(#methods)*
        }

        impl ClientBuilder {
            /// Checks the settings and builds the client.
            pub fn build(self) -> Result<Client, Error> {
                Ok(Client { transport: self.build_transport().map_err(Error::InvalidRequest)? })
            }

            #(#setters)*
        }

        #(#types)*
    };
    (items, shows)
}

struct Emitted {
    types: TokenStream,
    methods: TokenStream,
    /// What the module docs' usage sketch can show with this operation.
    shows: Shows,
}

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

/// One way a success response can come back.
struct Outcome<'a> {
    status: Status,
    content: Option<&'a Content>,
    /// Several media types share the status: dispatch on the media type too.
    by_media: bool,
}

fn status_word(status: Status) -> String {
    match status {
        Status::Code(200) => "Ok".into(),
        Status::Code(201) => "Created".into(),
        Status::Code(202) => "Accepted".into(),
        Status::Code(203) => "NonAuthoritative".into(),
        Status::Code(204) => "NoContent".into(),
        Status::Code(206) => "PartialContent".into(),
        Status::Code(code) => format!("Status{code}"),
        Status::Range(digit) => format!("Status{digit}xx"),
        Status::Default => "Default".into(),
    }
}

fn is_success(status: Status) -> bool {
    matches!(status, Status::Code(200..=299) | Status::Range(2))
}

/// The body's chosen media type: JSON first, then multipart, form, text, binary.
fn chosen_body(body: &RequestBody) -> Option<&Content> {
    [
        MediaKind::Json,
        MediaKind::Multipart,
        MediaKind::FormUrlEncoded,
        MediaKind::Text,
        MediaKind::Binary,
    ]
    .iter()
    .find_map(|kind| body.content.iter().find(|c| c.kind == *kind))
}

/// Whether a body's type is a struct (an object schema with properties).
fn is_struct(api: &Api, ty: Option<&Ty>) -> bool {
    ty.and_then(Ty::direct_named)
        .is_some_and(|id| matches!(api.ty(id).kind, TypeKind::Struct(_)))
}

/// Whether a JSON body is an object with a boolean `stream` property.
fn has_stream_flag(api: &Api, content: &Content) -> bool {
    let Some(id) = content.ty.as_ref().and_then(Ty::direct_named) else {
        return false;
    };
    let TypeKind::Struct(s) = &api.ty(id).kind else {
        return false;
    };
    s.fields
        .iter()
        .any(|f| f.wire == "stream" && (f.ty == Ty::Bool || f.ty == Ty::Bool.option()))
}

fn scalar_by_value(ty: &Ty) -> bool {
    matches!(ty, Ty::Bool | Ty::I32 | Ty::I64 | Ty::F64 | Ty::Uuid)
}

fn ty_has_default(api: &Api, ty: &Ty) -> bool {
    match ty {
        Ty::Named(id) => api.ty(*id).has_default,
        Ty::Box(_) => false,
        _ => true,
    }
}

fn query_style(style: ParamStyle) -> TokenStream {
    match style {
        ParamStyle::SpaceDelimited => quote!(SpaceDelimited),
        ParamStyle::PipeDelimited => quote!(PipeDelimited),
        ParamStyle::DeepObject => quote!(DeepObject),
        _ => quote!(Form),
    }
}

fn path_style(style: ParamStyle) -> TokenStream {
    match style {
        ParamStyle::Label => quote!(Label),
        ParamStyle::Matrix => quote!(Matrix),
        _ => quote!(Simple),
    }
}

/// A `limit`/`offset` list answering `{data: [T], total}`: the item type and the
/// offset parameter's type.
struct Pagination {
    item: Ty,
    data_field: proc_macro2::Ident,
    total_field: proc_macro2::Ident,
    total_ty: Ty,
    offset: Param,
}

fn pagination(api: &Api, op: &Operation, outcomes: &[Outcome]) -> Option<Pagination> {
    let integer = |ty: &Ty| matches!(ty, Ty::I32 | Ty::I64);
    let query = |wire: &str| {
        op.params
            .iter()
            .find(|p| p.location == ParamLocation::Query && p.wire == wire && integer(&p.ty))
    };
    query("limit")?;
    let offset = query("offset")?.clone();
    if op.body.is_some() || op.params.iter().any(|p| p.location == ParamLocation::Path) {
        return None;
    }
    let [Outcome {
        content: Some(content),
        ..
    }] = outcomes
    else {
        return None;
    };
    let id = content.ty.as_ref()?.direct_named()?;
    let TypeKind::Struct(s) = &api.ty(id).kind else {
        return None;
    };
    let data = s.fields.iter().find(|f| f.wire == "data")?;
    let total = s.fields.iter().find(|f| f.wire == "total")?;
    let Ty::List(item) = &data.ty else {
        return None;
    };
    if !integer(&total.ty) {
        return None;
    }
    Some(Pagination {
        item: (**item).clone(),
        data_field: ident(&data.name),
        total_field: ident(&total.name),
        total_ty: total.ty.clone(),
        offset,
    })
}

fn method_docs(op: &Operation, extra: &str) -> TokenStream {
    let mut text = String::new();
    if let Some(summary) = &op.summary {
        text.push_str(summary);
        text.push_str("\n\n");
    }
    if let Some(description) = &op.description {
        text.push_str(description);
        text.push_str("\n\n");
    }
    text.push_str(&format!("`{} {}`{extra}", op.method.as_str(), op.path));
    let errors: Vec<String> = op
        .responses
        .iter()
        .filter(|r| !is_success(r.status))
        .map(|r| {
            let status = match r.status {
                Status::Code(code) => code.to_string(),
                Status::Range(digit) => format!("{digit}XX"),
                Status::Default => "other".to_owned(),
            };
            format!("- {status}: {}", r.description.trim())
        })
        .collect();
    if !errors.is_empty() {
        text.push_str("\n\n# Errors\n\n");
        text.push_str(&errors.join("\n"));
    }
    doc_attrs(Some(&text))
}

/// The names an operation method's body and its other arguments use.
const METHOD_LOCALS: &[&str] = &[
    "path", "request", "response", "status", "media", "params", "body", "form",
];

/// A path parameter's argument name: its own, unless the method's body or other
/// arguments use that name (GitHub's `GET /repos/{owner}/{repo}/contents/{path}`), then
/// with `_param` appended (and more underscores while another parameter has that name).
fn argument_name(op: &Operation, p: &Param) -> String {
    let mut name = p.name.clone();
    if METHOD_LOCALS.contains(&name.as_str()) {
        name.push_str("_param");
        while op.params.iter().any(|other| other.name == name) {
            name.push('_');
        }
    }
    name
}

fn operation(api: &Api, op: &Operation, models: &TokenStream, op_names: &[&str]) -> Emitted {
    let stem = &op.type_stem;
    let name = &op.name;
    let mut types = Vec::new();
    let mut shows = Shows::default();

    // Arguments: path parameters in template order, then params, then the body.
    let mut args = Vec::new();
    let mut path_parts = Vec::new();
    for segment in &op.segments {
        match segment {
            PathSegment::Literal(text) => {
                path_parts.push(match text.chars().collect::<Vec<_>>()[..] {
                    // clippy's single_char_add_str: `/` between two parameters.
                    [c] => quote!(path.push(#c);),
                    _ => quote!(path.push_str(#text);),
                })
            }
            PathSegment::Param(index) => {
                let p = &op.params[*index];
                let arg = ident(&argument_name(op, p));
                let wire = &p.wire;
                let style = path_style(p.style);
                let explode = p.explode;
                let ty = match &p.ty {
                    Ty::String => quote!(&str),
                    ty if scalar_by_value(ty) => ty_tokens_in(api, ty, models),
                    ty => {
                        let ty = ty_tokens_in(api, ty, models);
                        quote!(&#ty)
                    }
                };
                args.push(quote!(#arg: #ty));
                if p.ty == Ty::String && p.style == ParamStyle::Simple {
                    path_parts.push(quote!(runtime::push_path_segment(&mut path, #arg);));
                    continue;
                }
                path_parts.push(quote! {
                    match runtime::path_param(#wire, &#arg, runtime::PathStyle::#style, #explode) {
                        Ok(segment) => path.push_str(&segment),
                        Err(message) => return Err(Error::InvalidRequest(message)),
                    }
                });
            }
        }
    }

    let other_params: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
        .collect();
    let params_ty = format_ident!("{}Params", stem);
    let mut param_calls = Vec::new();
    if !other_params.is_empty() {
        let has_default = other_params
            .iter()
            .all(|p| !p.required || ty_has_default(api, &p.ty));
        let derive_default = has_default.then(|| quote!(Default,));
        let fields = other_params.iter().map(|p| {
            let field = ident(&p.name);
            let inner = ty_tokens_in(api, &p.ty, models);
            let ty = if p.required {
                inner
            } else {
                quote!(Option<#inner>)
            };
            let mut doc = p.docs.clone().unwrap_or_default();
            let location = match p.location {
                ParamLocation::Query => "query",
                ParamLocation::Header => "header",
                ParamLocation::Cookie => "cookie",
                ParamLocation::Path => "path",
            };
            doc.push_str(&format!("\n\n`{}` ({location}", p.wire));
            if let Some(default) = &p.default {
                doc.push_str(&format!("; the server's default: `{default}`"));
            }
            doc.push(')');
            if p.deprecated {
                doc.push_str("\n\nDeprecated.");
            }
            let docs = doc_attrs(Some(&doc));
            quote!(#docs pub #field: #ty)
        });
        let doc = doc_attrs(Some(&format!(
            "Query, header and cookie parameters of [`Client::{name}`]."
        )));
        types.push(quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, #derive_default)]
            pub struct #params_ty {
                #(#fields,)*
            }
        });
        for p in &other_params {
            let field = ident(&p.name);
            let wire = &p.wire;
            let explode = p.explode;
            param_calls.push(match p.location {
                ParamLocation::Query => {
                    let style = query_style(p.style);
                    quote!(.query(#wire, &params.#field, runtime::QueryStyle::#style, #explode))
                }
                ParamLocation::Header => quote!(.header(#wire, &params.#field, #explode)),
                ParamLocation::Cookie => quote!(.cookie(#wire, &params.#field)),
                ParamLocation::Path => quote!(),
            });
        }
        args.push(quote!(params: &#params_ty));
        if has_default {
            shows.plain = Some(format!("&{params_ty}::default()"));
        }
    } else {
        shows.plain = Some(String::new());
    }
    if op.body.is_some() || op.params.iter().any(|p| p.location == ParamLocation::Path) {
        shows.plain = None;
    }

    // The body.
    let mut body_call = quote!();
    // The body has a boolean `stream` member, which the streaming form sets.
    let mut stream_flag_body = false;
    if let Some(body) = &op.body {
        if let Some(content) = chosen_body(body) {
            let required = body.required;
            let body_ty = content
                .ty
                .as_ref()
                .map(|ty| ty_tokens_in(api, ty, models))
                .unwrap_or_else(|| quote!(serde_json::Value));
            match content.kind {
                MediaKind::Json | MediaKind::FormUrlEncoded | MediaKind::EventStream => {
                    let call = if content.kind == MediaKind::FormUrlEncoded {
                        quote!(form)
                    } else {
                        quote!(json)
                    };
                    if required {
                        args.push(quote!(body: &#body_ty));
                        body_call = quote!(let request = request.#call(body););
                        if content.kind == MediaKind::Json && has_stream_flag(api, content) {
                            stream_flag_body = true;
                        }
                    } else {
                        args.push(quote!(body: Option<&#body_ty>));
                        body_call = quote! {
                            let request = request.optional_body(body, runtime::Request::#call);
                        };
                    }
                }
                MediaKind::Text => {
                    args.push(quote!(body: String));
                    body_call = quote!(let request = request.text(body););
                }
                MediaKind::Binary => {
                    args.push(quote!(body: runtime::Upload));
                    body_call = quote!(let request = request.binary(body););
                }
                MediaKind::Multipart if !is_struct(api, content.ty.as_ref()) => {
                    // Not an object with properties: the caller builds the parts.
                    args.push(quote!(parts: Vec<runtime::Part>));
                    body_call = quote! {
                        let mut request = request.multipart();
                        for part in parts { request = request.part(part); }
                    };
                }
                MediaKind::Multipart => {
                    let (form_ty, form_def, calls, file_field) =
                        multipart_form(api, op, content, models);
                    shows.upload = file_field.map(|field| format!("{form_ty}|{field}"));
                    types.push(form_def);
                    args.push(quote!(form: #form_ty));
                    body_call = quote! {
                        let mut request = request;
                        #calls
                    };
                }
            }
        }
    }

    let security = op.security.as_ref().unwrap_or(&api.security);
    let alternatives = security.iter().map(|alt| quote!(&[#(#alt),*]));
    let method = format_ident!("{}", op.method.as_str());
    let request_start = quote! {
        let mut path = String::new();
        #(#path_parts)*
        let request = runtime::Request::new(runtime::Method::#method, path)
            .security(&[#(#alternatives),*])
            #(#param_calls)*;
    };

    // Success outcomes, SSE apart.
    let successes: Vec<_> = op
        .responses
        .iter()
        .filter(|r| is_success(r.status))
        .collect();
    let mut outcomes = Vec::new();
    let mut event_stream: Option<&Content> = None;
    for response in &successes {
        let plain: Vec<&Content> = response
            .content
            .iter()
            .filter(|c| c.kind != MediaKind::EventStream)
            .collect();
        if let Some(sse) = response
            .content
            .iter()
            .find(|c| c.kind == MediaKind::EventStream)
        {
            event_stream.get_or_insert(sse);
        }
        if plain.is_empty()
            && response
                .content
                .iter()
                .all(|c| c.kind != MediaKind::EventStream)
        {
            outcomes.push(Outcome {
                status: response.status,
                content: None,
                by_media: false,
            });
        }
        let by_media = plain.len() > 1;
        outcomes.extend(plain.into_iter().map(|content| Outcome {
            status: response.status,
            content: Some(content),
            by_media,
        }));
    }

    // Where a JSON body says whether to stream, each form sends its own answer.
    let stream_body_call = (stream_flag_body && event_stream.is_some() && !outcomes.is_empty())
        .then(|| {
            body_call = quote!(let request = request.json_with_stream_flag(body, false););
            quote!(let request = request.json_with_stream_flag(body, true);)
        });
    let docs = method_docs(op, "");
    let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
    let fn_name = ident(name);
    let mut methods = Vec::new();

    let item_ty = |content: &Content| {
        content
            .ty
            .as_ref()
            .map(|ty| ty_tokens_in(api, ty, models))
            .unwrap_or_else(|| quote!(serde_json::Value))
    };

    // The plain method (or the stream method, when the operation only streams).
    if outcomes.is_empty() {
        if let Some(sse) = event_stream {
            let item = item_ty(sse);
            methods.push(quote! {
                #docs
                #deprecated
                pub async fn #fn_name(&self, #(#args),*) -> Result<Response<EventStream<#item>>, Error> {
                    #request_start
                    #body_call
                    self.transport.events(request.accept("text/event-stream")).await
                }
            });
        } else {
            // No success response documented: whatever comes back is ignored.
            methods.push(quote! {
                #docs
                #deprecated
                pub async fn #fn_name(&self, #(#args),*) -> Result<Response<()>, Error> {
                    #request_start
                    #body_call
                    self.transport.empty(request).await
                }
            });
        }
    } else {
        let mut accept: Vec<String> = Vec::new();
        for media in outcomes
            .iter()
            .filter_map(|o| o.content.map(|c| &c.media_type))
        {
            if !accept.contains(media) {
                accept.push(media.clone());
            }
        }
        let accept = accept.join(", ");
        let accept_call = (!accept.is_empty()).then(|| quote!(.accept(#accept)));
        let streamed = outcomes
            .iter()
            .any(|o| o.content.is_some_and(|c| c.kind == MediaKind::Binary));
        let streamed_call = streamed.then(|| quote!(.streamed()));
        let adjust = (accept_call.is_some() || streamed_call.is_some())
            .then(|| quote!(let request = request #accept_call #streamed_call;));
        let (ret, call) = if let [outcome] = outcomes.as_slice() {
            match outcome.content {
                None => (quote!(()), quote!(self.transport.empty(request).await)),
                Some(c) => match c.kind {
                    MediaKind::Text => (quote!(String), quote!(self.transport.text(request).await)),
                    MediaKind::Binary => (
                        quote!(ByteStream),
                        quote!(self.transport.bytes(request).await),
                    ),
                    _ => {
                        let ty = item_ty(c);
                        (
                            ty.clone(),
                            quote!(self.transport.json::<#ty, ErrorEnvelope>(request).await),
                        )
                    }
                },
            }
        } else {
            let output = format_ident!("{}Output", stem);
            let mut variant_names = Scope::default();
            let mut variants = Vec::new();
            let mut arms = Vec::new();
            for outcome in &outcomes {
                let mut base = status_word(outcome.status);
                if outcome.by_media {
                    if let Some(c) = outcome.content {
                        base.push_str(&type_name(&c.media_type, "Media"));
                    }
                }
                let variant = format_ident!("{}", variant_names.claim(&base));
                let status_test = match outcome.status {
                    Status::Code(code) => quote!(status == #code),
                    Status::Range(digit) => quote!(status / 100 == #digit),
                    Status::Default => quote!(true),
                };
                let media_test = match (outcome.by_media, outcome.content) {
                    (true, Some(c)) => match c.kind {
                        MediaKind::Json => quote!(&&runtime::is_json(&media)),
                        MediaKind::Text => quote!(&&media.starts_with("text/")),
                        _ => {
                            let exact = c.media_type.to_ascii_lowercase();
                            quote!(&& media == #exact)
                        }
                    },
                    _ => quote!(),
                };
                let description = outcome
                    .content
                    .map(|c| format!("`{}`", c.media_type))
                    .unwrap_or_else(|| "no body".to_owned());
                let status_text = match outcome.status {
                    Status::Code(code) => code.to_string(),
                    Status::Range(digit) => format!("{digit}XX"),
                    Status::Default => "default".to_owned(),
                };
                let doc = format!(" {status_text}: {description}.");
                let (payload, decode) = match outcome.content {
                    None => (
                        None,
                        quote!(Ok(runtime::head(&response).map(|()| #output::#variant))),
                    ),
                    Some(c) => match c.kind {
                        MediaKind::Text => (
                            Some(quote!(String)),
                            quote!(Ok(runtime::read_text(response).await?.map(#output::#variant))),
                        ),
                        MediaKind::Binary => (
                            Some(quote!(ByteStream)),
                            quote!(Ok(self.transport.byte_stream(response).map(#output::#variant))),
                        ),
                        _ => {
                            let ty = item_ty(c);
                            (
                                Some(ty.clone()),
                                quote!(Ok(runtime::decode_json::<#ty, ErrorEnvelope>(response).await?.map(#output::#variant))),
                            )
                        }
                    },
                };
                variants.push(match &payload {
                    Some(ty) => quote!(#[doc = #doc] #variant(#ty)),
                    None => quote!(#[doc = #doc] #variant),
                });
                arms.push(quote!(if #status_test #media_test { return #decode; }));
            }
            let doc = doc_attrs(Some(&format!(
                "The documented success responses of [`Client::{name}`]."
            )));
            types.push(quote! {
                #doc
                #[derive(Debug)]
                // Variants are as large as the documented bodies; boxing them would cost
                // every caller an allocation (the models' and server's enums allow it too).
                #[allow(clippy::large_enum_variant)]
                pub enum #output {
                    #(#variants,)*
                }
            });
            (
                quote!(#output),
                quote! {{
                    let response = self.transport.send::<ErrorEnvelope>(request).await?;
                    let status = response.status().as_u16();
                    let media = runtime::media_type(&response);
                    #(#arms)*
                    let _ = (status, &media);
                    Err(runtime::unexpected(&response))
                }},
            )
        };
        methods.push(quote! {
            #docs
            #deprecated
            pub async fn #fn_name(&self, #(#args),*) -> Result<Response<#ret>, Error> {
                #request_start
                #body_call
                #adjust
                #call
            }
        });

        // The streaming form of an operation that answers JSON or SSE.
        let stream_name = format!("{name}_stream");
        if let Some(sse) = event_stream.filter(|_| !op_names.contains(&stream_name.as_str())) {
            let item = item_ty(sse);
            let stream_fn = ident(&stream_name);
            let stream_docs = method_docs(
                op,
                &format!(
                    ", streamed: the response's Server-Sent Events, one item per `data:` \
                     event, ending at `data: [DONE]`{}.",
                    if stream_body_call.is_some() {
                        " (`\"stream\": true` is set in the body)"
                    } else {
                        ""
                    }
                ),
            );
            let body_call = stream_body_call
                .clone()
                .unwrap_or_else(|| body_call.clone());
            shows.streams = stream_body_call.is_some();
            methods.push(quote! {
                #stream_docs
                #deprecated
                pub async fn #stream_fn(&self, #(#args),*) -> Result<Response<EventStream<#item>>, Error> {
                    #request_start
                    #body_call
                    self.transport.events(request.accept("text/event-stream")).await
                }
            });
        } else if let Some(pages) =
            pagination(api, op, &outcomes).filter(|_| !op_names.contains(&stream_name.as_str()))
        {
            let stream_fn = ident(&stream_name);
            let item = ty_tokens_in(api, &pages.item, models);
            let offset_field = ident(&pages.offset.name);
            let data = &pages.data_field;
            let total = &pages.total_field;
            // Offsets travel as i64; an i32 parameter or total is converted.
            let narrow = pages.offset.ty == Ty::I32;
            let widen = |value: TokenStream| {
                if narrow {
                    quote!(i64::from(#value))
                } else {
                    value
                }
            };
            let (start, set_offset) = if pages.offset.required {
                (
                    widen(quote!(params.#offset_field)),
                    quote!(params.#offset_field = offset;),
                )
            } else if narrow {
                (
                    quote!(params.#offset_field.map(i64::from).unwrap_or(0)),
                    quote!(params.#offset_field = Some(offset);),
                )
            } else {
                (
                    quote!(params.#offset_field.unwrap_or(0)),
                    quote!(params.#offset_field = Some(offset);),
                )
            };
            let offset = if narrow {
                quote!(let offset = i32::try_from(offset).unwrap_or(i32::MAX);)
            } else {
                quote!()
            };
            let total_value = if pages.total_ty == Ty::I32 {
                quote!(i64::from(page.#total))
            } else {
                quote!(page.#total)
            };
            let stream_docs = method_docs(
                op,
                ", every item of every page: fetches the next page (same `limit`, next \
                 `offset`) when the previous one is used up, until `total`.",
            );
            shows.paginates = shows.plain.is_some();
            methods.push(quote! {
                #stream_docs
                #deprecated
                pub fn #stream_fn(&self, params: &#params_ty) -> ItemStream<#item> {
                    let client = self.clone();
                    let params = params.clone();
                    runtime::paginate(#start, move |offset| {
                        let client = client.clone();
                        let mut params = params.clone();
                        #offset
                        #set_offset
                        async move {
                            let page = client.#fn_name(&params).await?.into_inner();
                            Ok(runtime::Page { items: page.#data, total: #total_value })
                        }
                    })
                }
            });
        }
    }

    Emitted {
        types: quote!(#(#types)*),
        methods: quote!(#(#methods)*),
        shows,
    }
}

/// `{Op}Form`: the multipart body's fields, binary ones as [`Upload`]s (streamed), and
/// the request calls that add them as parts.
fn multipart_form(
    api: &Api,
    op: &Operation,
    content: &Content,
    models: &TokenStream,
) -> (TokenStream, TokenStream, TokenStream, Option<String>) {
    let form_ty = format_ident!("{}Form", op.type_stem);
    let mut file_field = None;
    let fields = match content
        .ty
        .as_ref()
        .and_then(Ty::direct_named)
        .map(|id| &api.ty(id).kind)
    {
        Some(TypeKind::Struct(s)) => s.fields.clone(),
        _ => Vec::new(),
    };
    let mut defs = Vec::new();
    let mut calls = Vec::new();
    for f in &fields {
        let field = ident(&f.name);
        let wire = &f.wire;
        let docs = doc_attrs(f.docs.as_deref());
        // A file, or a list of files, possibly optional; anything else is a text part.
        let (optional, inner) = match &f.ty {
            Ty::Option(inner) => (true, &**inner),
            ty => (false, ty),
        };
        let files = match inner {
            Ty::Bytes => Some((quote!(runtime::Upload), false)),
            Ty::List(item) if **item == Ty::Bytes => Some((quote!(Vec<runtime::Upload>), true)),
            _ => None,
        };
        if files.as_ref().is_some_and(|(_, list)| !list) && !optional && file_field.is_none() {
            file_field = Some(f.name.clone());
        }
        let (ty, call) = match files {
            Some((files_ty, list)) => {
                let files = if optional {
                    quote!(files)
                } else {
                    quote!(form.#field)
                };
                let add = if list {
                    quote!(for upload in #files { request = request.file_part(#wire, upload); })
                } else {
                    quote!(request = request.file_part(#wire, #files);)
                };
                if optional {
                    (
                        quote!(Option<#files_ty>),
                        quote!(if let Some(files) = form.#field { #add }),
                    )
                } else {
                    (files_ty, add)
                }
            }
            None => (
                ty_tokens_in(api, &f.ty, models),
                quote!(request = request.text_part(#wire, &form.#field);),
            ),
        };
        defs.push(quote!(#docs pub #field: #ty));
        calls.push(call);
    }
    let doc = doc_attrs(Some(&format!(
        "The `multipart/form-data` body of [`Client::{}`]; files are streamed.",
        op.name
    )));
    let def = quote! {
        #doc
        #[derive(Debug)]
        pub struct #form_ty {
            #(#defs,)*
        }
    };
    let calls = if fields.is_empty() {
        quote!(let _ = form; request = request.multipart();)
    } else {
        quote!(#(#calls)*)
    };
    (quote!(#form_ty), def, calls, file_field)
}
