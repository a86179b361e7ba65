//! The async client: `src/client.rs`, the per-API code from the IR. What is the same for
//! every API is the runtime crate's `client` module, re-exported as `client::runtime`.
//!
//! Each operation becomes one `Client` method: path parameters as arguments, query,
//! header and cookie parameters in a `{Op}Params` struct, the body typed. A success
//! response with both JSON and `text/event-stream` gives a second `{op}_stream` method; a
//! `limit`/`offset` list answering `{data, total}` gives an auto-paginating `{op}_stream`.

use super::{
    ast, doc_attr_list, doc_attrs, inner_doc_attrs, parse_at, parse_file, parse_items, ty_syn_in,
};
use crate::ir::{
    Api, Content, MediaKind, Operation, Param, ParamLocation, ParamStyle, PathSegment, RequestBody,
    SecurityKind, Status, Ty, TypeKind,
};
use crate::names::{ident, snake_name, type_name, Scope};
use crate::Result;
use proc_macro2::{Literal, TokenStream};
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
         operation is one async method returning the typed body wrapped in a [`Response`] \
         (status, headers, request id) or an [`Error`]. Failed calls are retried (2 times by \
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

/// The per-API items, with the runtime reached as `runtime` and the models as
/// `super::models` (so a test can compile them inside any module).
pub fn client_items(api: &Api) -> Result<Vec<Item>> {
    Ok(items_and_shows(api, &env_prefix(api))?.0)
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
        types.extend(emitted.types);
        methods.extend(emitted.methods);
        shows.push((op.name.clone(), emitted.shows));
    }

    let mut items = parse_items(quote! {
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

struct Emitted {
    types: Vec<Item>,
    methods: Vec<syn::ImplItem>,
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

fn query_style(style: ParamStyle) -> &'static str {
    match style {
        ParamStyle::SpaceDelimited => "SpaceDelimited",
        ParamStyle::PipeDelimited => "PipeDelimited",
        ParamStyle::DeepObject => "DeepObject",
        _ => "Form",
    }
}

fn path_style(style: ParamStyle) -> &'static str {
    match style {
        ParamStyle::Label => "Label",
        ParamStyle::Matrix => "Matrix",
        _ => "Simple",
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

fn method_docs(op: &Operation, extra: &str) -> Vec<syn::Attribute> {
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
    doc_attr_list(Some(&text))
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

/// The operation's methods and types, built as syntax trees (the client file holds one
/// or two methods per operation: parsing them back from tokens was most of its cost),
/// but for the rare auto-paginating method, built through tokens.
fn operation(api: &Api, op: &Operation, op_names: &[&str]) -> Result<Emitted> {
    let stem = &op.type_stem;
    let name = &op.name;
    let ty_in = |ty: &Ty| ty_syn_in(api, ty, MODELS);
    let mut types = Vec::new();
    let mut shows = Shows::default();

    // Arguments: path parameters in template order, then params, then the body.
    let mut args = vec![ast::ref_self()];
    let mut path_parts = Vec::new();
    for segment in &op.segments {
        match segment {
            PathSegment::Literal(text) => {
                path_parts.push(ast::semi(match text.chars().collect::<Vec<_>>()[..] {
                    // clippy's single_char_add_str: `/` between two parameters.
                    [c] => ast::method(var("path"), "push", [ast::lit(Literal::character(c))]),
                    _ => ast::method(var("path"), "push_str", [ast::str_lit(text)]),
                }))
            }
            PathSegment::Param(index) => {
                let p = &op.params[*index];
                let arg = ident(&argument_name(op, p));
                let ty = match &p.ty {
                    Ty::String => ast::ref_ty(named_ty("str")),
                    ty if scalar_by_value(ty) => ty_in(ty),
                    ty => ast::ref_ty(ty_in(ty)),
                };
                args.push(ast::typed_arg(arg.clone(), ty));
                if p.ty == Ty::String && p.style == ParamStyle::Simple {
                    path_parts.push(ast::semi(ast::call(
                        ast::path_expr(&["runtime", "push_path_segment"]),
                        [ast::mut_reference(var("path")), ast::ident_expr(arg)],
                    )));
                    continue;
                }
                let segment = ast::call(
                    ast::path_expr(&["runtime", "path_param"]),
                    [
                        ast::str_lit(&p.wire),
                        ast::reference(ast::ident_expr(arg)),
                        ast::path_expr(&["runtime", "PathStyle", path_style(p.style)]),
                        ast::bool_lit(p.explode),
                    ],
                );
                let invalid = ast::call(
                    var("Err"),
                    [ast::call(
                        ast::path_expr(&["Error", "InvalidRequest"]),
                        [var("message")],
                    )],
                );
                path_parts.push(ast::block_stmt(ast::match_expr(
                    segment,
                    vec![
                        ast::arm(
                            ast::tuple_struct_pat(&["Ok"], [ast::ident_pat("segment")]),
                            ast::method(var("path"), "push_str", [ast::reference(var("segment"))]),
                        ),
                        ast::arm(
                            ast::tuple_struct_pat(&["Err"], [ast::ident_pat("message")]),
                            ast::return_expr(invalid),
                        ),
                    ],
                )));
            }
        }
    }

    let other_params: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
        .collect();
    let params_ty = format!("{stem}Params");
    let security = op.security.as_ref().unwrap_or(&api.security);
    let alternatives = security
        .iter()
        .map(|alt| ast::reference(ast::array(alt.iter().map(|s| ast::str_lit(s)))));
    let mut request = ast::method(
        ast::call(
            ast::path_expr(&["runtime", "Request", "new"]),
            [
                ast::path_expr(&["runtime", "Method", op.method.as_str()]),
                var("path"),
            ],
        ),
        "security",
        [ast::reference(ast::array(alternatives))],
    );
    if !other_params.is_empty() {
        let has_default = other_params
            .iter()
            .all(|p| !p.required || ty_has_default(api, &p.ty));
        let derive_default = has_default.then(|| quote!(Default,));
        let fields = other_params
            .iter()
            .map(|p| {
                let inner = ty_in(&p.ty);
                let ty = if p.required {
                    inner
                } else {
                    generic_ty(&["Option"], inner)
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
                ast::named_field(doc_attr_list(Some(&doc)), ident(&p.name), ty)
            })
            .collect();
        let mut attrs = doc_attr_list(Some(&format!(
            "Query, header and cookie parameters of [`Client::{name}`]."
        )));
        attrs.push(ast::list_attr(
            "derive",
            quote!(Debug, Clone, PartialEq, #derive_default),
        ));
        types.push(ast::pub_struct(attrs, &params_ty, fields));
        for p in &other_params {
            let wire = ast::str_lit(&p.wire);
            let value = ast::reference(ast::field(
                var("params"),
                syn::Member::Named(ident(&p.name)),
            ));
            let explode = ast::bool_lit(p.explode);
            request = match p.location {
                ParamLocation::Query => {
                    let style = ast::path_expr(&["runtime", "QueryStyle", query_style(p.style)]);
                    ast::method(request, "query", [wire, value, style, explode])
                }
                ParamLocation::Header => ast::method(request, "header", [wire, value, explode]),
                ParamLocation::Cookie => ast::method(request, "cookie", [wire, value]),
                ParamLocation::Path => request,
            };
        }
        args.push(ast::typed_arg(
            ast::ident("params"),
            ast::ref_ty(named_ty(&params_ty)),
        ));
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
    let mut body_call = Vec::new();
    // The body has a boolean `stream` member, which the streaming form sets.
    let mut stream_flag_body = false;
    if let Some(body) = &op.body {
        if let Some(content) = chosen_body(body) {
            let required = body.required;
            let body_ty = content
                .ty
                .as_ref()
                .map(ty_in)
                .unwrap_or_else(|| ast::path_ty(ast::path(&["serde_json", "Value"])));
            let body_arg = |ty| ast::typed_arg(ast::ident("body"), ty);
            match content.kind {
                MediaKind::Json | MediaKind::FormUrlEncoded | MediaKind::EventStream => {
                    let call = if content.kind == MediaKind::FormUrlEncoded {
                        "form"
                    } else {
                        "json"
                    };
                    if required {
                        args.push(body_arg(ast::ref_ty(body_ty)));
                        body_call = vec![ast::let_stmt("request", on_request(call, [var("body")]))];
                        if content.kind == MediaKind::Json && has_stream_flag(api, content) {
                            stream_flag_body = true;
                        }
                    } else {
                        args.push(body_arg(generic_ty(&["Option"], ast::ref_ty(body_ty))));
                        let encode = ast::path_expr(&["runtime", "Request", call]);
                        body_call = vec![ast::let_stmt(
                            "request",
                            on_request("optional_body", [var("body"), encode]),
                        )];
                    }
                }
                MediaKind::Text => {
                    args.push(body_arg(named_ty("String")));
                    body_call = vec![ast::let_stmt("request", on_request("text", [var("body")]))];
                }
                MediaKind::Binary => {
                    args.push(body_arg(ast::path_ty(ast::path(&["runtime", "Upload"]))));
                    body_call = vec![ast::let_stmt(
                        "request",
                        on_request("binary", [var("body")]),
                    )];
                }
                MediaKind::Multipart if !is_struct(api, content.ty.as_ref()) => {
                    // Not an object with properties: the caller builds the parts.
                    let parts = generic_ty(&["Vec"], ast::path_ty(ast::path(&["runtime", "Part"])));
                    args.push(ast::typed_arg(ast::ident("parts"), parts));
                    let each = ast::for_loop(
                        ast::ident_pat("part"),
                        var("parts"),
                        vec![add_part("part", [var("part")])],
                    );
                    body_call = vec![
                        ast::local(ast::mut_ident_pat("request"), on_request("multipart", [])),
                        ast::block_stmt(each),
                    ];
                }
                MediaKind::Multipart => {
                    let form = multipart_form(api, op, content);
                    shows.upload = form
                        .file_field
                        .map(|field| format!("{}|{field}", form.name));
                    types.push(form.def);
                    args.push(ast::typed_arg(ast::ident("form"), named_ty(&form.name)));
                    body_call = vec![ast::local(ast::mut_ident_pat("request"), var("request"))];
                    body_call.extend(form.calls);
                }
            }
        }
    }

    let mut request_start = vec![ast::local(
        ast::mut_ident_pat("path"),
        ast::call(ast::path_expr(&["String", "new"]), []),
    )];
    request_start.extend(path_parts);
    request_start.push(ast::let_stmt("request", request));

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
    let stream_flag = |stream| {
        vec![ast::let_stmt(
            "request",
            on_request(
                "json_with_stream_flag",
                [var("body"), ast::bool_lit(stream)],
            ),
        )]
    };
    let stream_body_call = (stream_flag_body && event_stream.is_some() && !outcomes.is_empty())
        .then(|| {
            body_call = stream_flag(false);
            stream_flag(true)
        });
    let with_deprecated = |mut attrs: Vec<syn::Attribute>| {
        if op.deprecated {
            attrs.push(ast::path_attr("deprecated"));
        }
        attrs
    };
    let fn_name = ident(name);
    // The method's body: the request, its body, then `tail`.
    let statements = |body_call: &[Stmt], tail: Vec<Stmt>| {
        let mut stmts = request_start.clone();
        stmts.extend_from_slice(body_call);
        stmts.extend(tail);
        stmts
    };
    let events = || {
        ast::block_stmt(transport_await(
            "events",
            [on_request("accept", [ast::str_lit("text/event-stream")])],
        ))
    };
    let mut methods = Vec::new();

    let item_ty = |content: &Content| {
        content
            .ty
            .as_ref()
            .map(ty_in)
            .unwrap_or_else(|| ast::path_ty(ast::path(&["serde_json", "Value"])))
    };
    let envelope = || named_ty("ErrorEnvelope");

    // The plain method (or the stream method, when the operation only streams).
    if outcomes.is_empty() {
        let (ret, tail) = match event_stream {
            Some(sse) => (generic_ty(&["EventStream"], item_ty(sse)), events()),
            // No success response documented: whatever comes back is ignored.
            None => (
                ast::unit_ty(),
                ast::block_stmt(transport_await("empty", [var("request")])),
            ),
        };
        methods.push(ast::pub_method(
            with_deprecated(method_docs(op, "")),
            true,
            fn_name,
            args,
            result_of(ret),
            statements(&body_call, vec![tail]),
        ));
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
        let streamed = outcomes
            .iter()
            .any(|o| o.content.is_some_and(|c| c.kind == MediaKind::Binary));
        let mut adjust = Vec::new();
        if !accept.is_empty() || streamed {
            let mut adjusted = var("request");
            if !accept.is_empty() {
                adjusted = ast::method(adjusted, "accept", [ast::str_lit(&accept)]);
            }
            if streamed {
                adjusted = ast::method(adjusted, "streamed", []);
            }
            adjust.push(ast::let_stmt("request", adjusted));
        }
        let (ret, call) = if let [outcome] = outcomes.as_slice() {
            match outcome.content {
                None => (ast::unit_ty(), transport_await("empty", [var("request")])),
                Some(c) => match c.kind {
                    MediaKind::Text => (
                        named_ty("String"),
                        transport_await("text", [var("request")]),
                    ),
                    MediaKind::Binary => (
                        named_ty("ByteStream"),
                        transport_await("bytes", [var("request")]),
                    ),
                    _ => {
                        let ty = item_ty(c);
                        let call = ast::method_turbofish(
                            transport(),
                            "json",
                            [ty.clone(), envelope()],
                            [var("request")],
                        );
                        (ty, ast::await_expr(call))
                    }
                },
            }
        } else {
            let output = format!("{stem}Output");
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
                let variant = variant_names.claim(&base);
                let status_test = match outcome.status {
                    Status::Code(code) => ast::binary(
                        var("status"),
                        syn::BinOp::Eq(Default::default()),
                        ast::lit(Literal::u16_suffixed(code)),
                    ),
                    Status::Range(digit) => ast::binary(
                        ast::binary(
                            var("status"),
                            syn::BinOp::Div(Default::default()),
                            ast::lit(Literal::i32_unsuffixed(100)),
                        ),
                        syn::BinOp::Eq(Default::default()),
                        ast::lit(Literal::u16_suffixed(digit)),
                    ),
                    Status::Default => ast::bool_lit(true),
                };
                let media_test = match (outcome.by_media, outcome.content) {
                    (true, Some(c)) => Some(match c.kind {
                        MediaKind::Json => ast::call(
                            ast::path_expr(&["runtime", "is_json"]),
                            [ast::reference(var("media"))],
                        ),
                        MediaKind::Text => {
                            ast::method(var("media"), "starts_with", [ast::str_lit("text/")])
                        }
                        _ => ast::binary(
                            var("media"),
                            syn::BinOp::Eq(Default::default()),
                            ast::str_lit(&c.media_type.to_ascii_lowercase()),
                        ),
                    }),
                    _ => None,
                };
                let test = match media_test {
                    Some(media_test) => {
                        ast::binary(status_test, syn::BinOp::And(Default::default()), media_test)
                    }
                    None => status_test,
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
                let wrap = || ast::path_expr(&[&output, &variant]);
                let (payload, decoded) = match outcome.content {
                    None => {
                        let head = ast::call(
                            ast::path_expr(&["runtime", "head"]),
                            [ast::reference(var("response"))],
                        );
                        (
                            None,
                            ast::method(head, "map", [ast::closure([ast::unit_pat()], wrap())]),
                        )
                    }
                    Some(c) => match c.kind {
                        MediaKind::Text => {
                            let text = ast::call(
                                ast::path_expr(&["runtime", "read_text"]),
                                [var("response")],
                            );
                            (
                                Some(named_ty("String")),
                                ast::method(ast::try_expr(ast::await_expr(text)), "map", [wrap()]),
                            )
                        }
                        MediaKind::Binary => (
                            Some(named_ty("ByteStream")),
                            ast::method(
                                ast::method(transport(), "byte_stream", [var("response")]),
                                "map",
                                [wrap()],
                            ),
                        ),
                        _ => {
                            let ty = item_ty(c);
                            let decode = ast::call(
                                ast::turbofish_path(
                                    &["runtime", "decode_json"],
                                    [ty.clone(), envelope()],
                                ),
                                [var("response")],
                            );
                            (
                                Some(ty),
                                ast::method(
                                    ast::try_expr(ast::await_expr(decode)),
                                    "map",
                                    [wrap()],
                                ),
                            )
                        }
                    },
                };
                variants.push(syn::Variant {
                    attrs: vec![ast::doc_attr(&doc)],
                    ident: ast::ident(&variant),
                    fields: match payload {
                        Some(ty) => ast::tuple_fields(ty),
                        None => syn::Fields::Unit,
                    },
                    discriminant: None,
                });
                let ret = ast::return_expr(ast::call(var("Ok"), [decoded]));
                arms.push(ast::block_stmt(ast::if_expr(test, vec![ast::semi(ret)])));
            }
            let mut attrs = doc_attr_list(Some(&format!(
                "The documented success responses of [`Client::{name}`]."
            )));
            attrs.push(ast::list_attr("derive", quote!(Debug)));
            // Variants are as large as the documented bodies; boxing them would cost
            // every caller an allocation (the models' and server's enums allow it too).
            // Variant names are status and media type: one status in several media types
            // gives them all one prefix (`OkApplicationJson`, `OkTextPlain`).
            attrs.push(ast::list_attr(
                "allow",
                quote!(clippy::large_enum_variant, clippy::enum_variant_names),
            ));
            types.push(Item::Enum(syn::ItemEnum {
                attrs,
                vis: ast::public(),
                enum_token: Default::default(),
                ident: ast::ident(&output),
                generics: Default::default(),
                brace_token: Default::default(),
                variants: variants.into_iter().collect(),
            }));
            let send = ast::method_turbofish(transport(), "send", [envelope()], [var("request")]);
            let status = ast::method(ast::method(var("response"), "status", []), "as_u16", []);
            let media = ast::call(
                ast::path_expr(&["runtime", "media_type"]),
                [ast::reference(var("response"))],
            );
            let mut dispatch = vec![
                ast::local(
                    ast::ident_pat("response"),
                    ast::try_expr(ast::await_expr(send)),
                ),
                ast::local(ast::ident_pat("status"), status),
                ast::local(ast::ident_pat("media"), media),
            ];
            dispatch.extend(arms);
            dispatch.push(ast::local(
                ast::wild_pat(),
                ast::tuple_expr([var("status"), ast::reference(var("media"))]),
            ));
            let unexpected = ast::await_expr(ast::call(
                ast::path_expr(&["runtime", "unexpected"]),
                [var("response")],
            ));
            dispatch.push(ast::block_stmt(ast::call(var("Err"), [unexpected])));
            (named_ty(&output), ast::block_expr(dispatch))
        };
        let mut tail = adjust;
        tail.push(ast::block_stmt(call));
        methods.push(ast::pub_method(
            with_deprecated(method_docs(op, "")),
            true,
            fn_name.clone(),
            args.clone(),
            result_of(ret),
            statements(&body_call, tail),
        ));

        // The streaming form of an operation that answers JSON or SSE.
        let stream_name = format!("{name}_stream");
        if let Some(sse) = event_stream.filter(|_| !op_names.contains(&stream_name.as_str())) {
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
            shows.streams = stream_body_call.is_some();
            methods.push(ast::pub_method(
                with_deprecated(stream_docs),
                true,
                ident(&stream_name),
                args,
                result_of(generic_ty(&["EventStream"], item_ty(sse))),
                statements(
                    stream_body_call.as_deref().unwrap_or(&body_call),
                    vec![events()],
                ),
            ));
        } else if let Some(pages) =
            pagination(api, op, &outcomes).filter(|_| !op_names.contains(&stream_name.as_str()))
        {
            let stream_docs = with_deprecated(method_docs(
                op,
                ", every item of every page: fetches the next page (same `limit`, next \
                 `offset`) when the previous one is used up, until `total`.",
            ));
            shows.paginates = shows.plain.is_some();
            let params_ty = ast::ident(&params_ty);
            let tokens = paginate(
                &pages,
                &ty_in(&pages.item),
                &fn_name,
                &params_ty,
                &stream_docs,
                &stream_name,
            );
            methods.push(parse_at(tokens, &op.pointer)?);
        }
    }

    Ok(Emitted {
        types,
        methods,
        shows,
    })
}

/// `{op}_stream` of a paginated list, as tokens: one per list operation of a few
/// documents, so it is not worth a tree builder of its own.
fn paginate(
    pages: &Pagination,
    item: &Type,
    fn_name: &syn::Ident,
    params_ty: &syn::Ident,
    docs: &[syn::Attribute],
    stream_name: &str,
) -> TokenStream {
    let stream_fn = ident(stream_name);
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
    quote! {
        #(#docs)*
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
    }
}

/// A multipart body's `{Op}Form` struct and the statements that add its fields as parts.
struct MultipartForm {
    name: String,
    def: Item,
    calls: Vec<Stmt>,
    /// Its first required single-file field, for the usage sketch.
    file_field: Option<String>,
}

/// `{Op}Form`: the multipart body's fields, binary ones as [`Upload`]s (streamed), and
/// the request calls that add them as parts.
fn multipart_form(api: &Api, op: &Operation, content: &Content) -> MultipartForm {
    let name = format!("{}Form", op.type_stem);
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
    let upload = || ast::path_ty(ast::path(&["runtime", "Upload"]));
    let mut defs = Vec::new();
    let mut calls = Vec::new();
    for f in &fields {
        let field = ident(&f.name);
        let form_field = || ast::field(var("form"), syn::Member::Named(field.clone()));
        let file_part = |files| add_part("file_part", [ast::str_lit(&f.wire), files]);
        // A file, or a list of files, possibly optional; anything else is a text part.
        let (optional, inner) = match &f.ty {
            Ty::Option(inner) => (true, &**inner),
            ty => (false, ty),
        };
        let files = match inner {
            Ty::Bytes => Some((upload(), false)),
            Ty::List(item) if **item == Ty::Bytes => Some((generic_ty(&["Vec"], upload()), true)),
            _ => None,
        };
        if files.as_ref().is_some_and(|(_, list)| !list) && !optional && file_field.is_none() {
            file_field = Some(f.name.clone());
        }
        let (ty, call) = match files {
            Some((files_ty, list)) => {
                let files = if optional { var("files") } else { form_field() };
                let add = if list {
                    let each = vec![file_part(var("upload"))];
                    ast::block_stmt(ast::for_loop(ast::ident_pat("upload"), files, each))
                } else {
                    file_part(files)
                };
                if optional {
                    let some = ast::some_pat(ast::ident_pat("files"));
                    (
                        generic_ty(&["Option"], files_ty),
                        ast::block_stmt(ast::if_let(some, form_field(), vec![add])),
                    )
                } else {
                    (files_ty, add)
                }
            }
            None => (
                ty_syn_in(api, &f.ty, MODELS),
                add_part(
                    "text_part",
                    [ast::str_lit(&f.wire), ast::reference(form_field())],
                ),
            ),
        };
        defs.push(ast::named_field(
            doc_attr_list(f.docs.as_deref()),
            field.clone(),
            ty,
        ));
        calls.push(call);
    }
    let mut attrs = doc_attr_list(Some(&format!(
        "The `multipart/form-data` body of [`Client::{}`]; files are streamed.",
        op.name
    )));
    attrs.push(ast::list_attr("derive", quote!(Debug)));
    if fields.is_empty() {
        calls = vec![
            ast::local(ast::wild_pat(), var("form")),
            add_part("multipart", []),
        ];
    }
    MultipartForm {
        def: ast::pub_struct(attrs, &name, defs),
        name,
        calls,
        file_field,
    }
}

#[cfg(test)]
mod tests {
    /// The names a scheme setter must not take are the methods the runtime's
    /// `client_builder!` defines, and the `build` the emitter adds.
    #[test]
    fn builder_methods_are_the_runtime_builders() {
        let config = include_str!("../../runtime/src/client/config.rs");
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
