//! The crate around the modules: `Cargo.toml` and `src/lib.rs`.

use super::naming::trait_name;
use super::server::{request_body, uses_auth, Mentions};
use super::{inner_doc_attrs, lint_allows, uses_uuid};
use crate::ir::Api;
use crate::Runtime;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

pub fn lib_rs(api: &Api, crate_name: &str) -> TokenStream {
    let mut about = format!("{} (API version {})", api.title, api.version);
    if let Some(description) = &api.description {
        about.push_str("\n\n");
        about.push_str(description);
    }
    about.push_str(
        "\n\nGenerated from the API's OpenAPI document: `models` holds one Rust type per schema; \
         `client` (cargo feature `client`) an async client with one method per operation; \
         `server` (cargo feature `server`) an axum server trait and router.",
    );
    about.push_str("\n\n");
    about.push_str(&client_docs(api));
    about.push_str(&crate_docs(api));
    about.push_str(&features_docs(api, crate_name));
    let docs = inner_doc_attrs(&about);
    let allows = lint_allows();
    let partial = super::partial_features_allow(api);
    let server = lib_item(api, &partial);
    let params = super::params::any_params(api).then(|| {
        quote! {
            /// Each operation's query, header and cookie parameters: one type the client
            /// sends and the server receives.
            #[rustfmt::skip]
            pub mod params;
        }
    });
    quote! {
        #docs
        #![allow(#allows)]
        // Proving large documents' types `Send` (the server's futures) walks their whole
        // containment graph: Stripe's goes past rustc's default of 128.
        #![recursion_limit = "512"]

        /// Request and response types: one Rust type per schema of the document.
        // Laid out by prettyplease at generation time; rustfmt would make it drift.
        #[rustfmt::skip]
        pub mod models;

        #params

        /// Schema constraints the types cannot hold, checked after deserializing (the
        /// runtime crate's).
        pub use codegen_runtime::validate;

        /// The async HTTP client: one method per operation (cargo feature `client`).
        #[cfg(feature = "client")]
        #partial
        #[rustfmt::skip]
        pub mod client;

        /// The API client, also at the crate root.
        #[cfg(feature = "client")]
        pub use client::Client;

        #server
    }
}

/// The crate docs' section on the per-group features, where the document has groups.
fn features_docs(api: &Api, crate_name: &str) -> String {
    let groups: Vec<&crate::ir::Feature> = api.features.iter().collect();
    let Some(first) = groups.first() else {
        return String::new();
    };
    let list: Vec<String> = groups
        .iter()
        .map(|f| format!("- `{}`: {}", f.name, f.docs))
        .collect();
    format!(
        "\n\n# Features\n\nBesides `client` and `server`, each group of operations is a cargo \
         feature, all on by default. To compile only what you call (a large API compiles much \
         faster), turn the defaults off and list the groups: an operation compiles only with \
         its group, and a type only when an enabled group reaches it.\n\n\
         ```toml\n[dependencies]\n{crate} = {{ path = \"...\", default-features = false, \
         features = [\"client\", \"{first}\"] }}\n```\n\n{}",
        list.join("\n"),
        crate = crate_name,
        first = first.name,
    )
}

/// The `server` module's declaration in `lib.rs`.
fn lib_item(api: &Api, partial: &Option<TokenStream>) -> TokenStream {
    let doc = format!(
        " The axum server (cargo feature `server`): the [`server::{}`] trait, [`server::router`] \
         and [`server::mock::Mock`].",
        trait_name(api)
    );
    quote! {
        #[doc = #doc]
        #[cfg(feature = "server")]
        #partial
        #[rustfmt::skip]
        pub mod server;
    }
}

/// The crate docs' client section: what to add to Cargo.toml, a plain call, and errors
/// (the `client` module's docs sketch streams, uploads and pages with this API's methods).
fn client_docs(api: &Api) -> String {
    let prefix = super::client::env_prefix(api);
    // A call any reader can run: no path parameter, no body.
    let call = api
        .operations
        .iter()
        .find(|op| op.body.is_none() && !op.params.iter().any(|p| p.location == crate::ir::ParamLocation::Path))
        .map(|op| {
            let args = if op.params.is_empty() {
                String::new()
            } else {
                format!("&{}Params::default()", op.type_stem)
            };
            format!(
                "    let answer = client.{}({args}).await?;\n    \
                 println!(\"{{:?}}\", *answer); // the typed body; also answer.status(), answer.request_id()\n",
                op.name
            )
        })
        .unwrap_or_default();
    format!(
        "# Client\n\n\
         With the cargo feature `client`, and `tokio` (features `macros`, `rt-multi-thread`) to \
         run it; streams are `futures_util::Stream`s (`futures-util`'s `StreamExt` reads them). \
         Every operation is one async method; streamed, uploading and paginated ones are \
         sketched in the [`client`] module's docs.\n\n\
         ```ignore\n\
         use client::*; // this crate's `client` module\n\n\
         #[tokio::main]\n\
         async fn main() -> Result<(), Error> {{\n\
         \x20   let client = Client::from_env()?; // {prefix}_API_KEY, {prefix}_BASE_URL\n\
         {call}\
         \x20   Ok(())\n\
         }}\n\
         ```\n\n\
         A failed call is an [`client::Error`]: its `Display` is a sentence (`404 Not Found: \
         No such file (code not_found, request id req_1)`), `kind()` says which (`NotFound`, \
         `RateLimited`...), `envelope()` is the parsed error body, `request_id()` and \
         `is_retryable()` the rest. Retries (2 by default, with backoff, honouring \
         `Retry-After`) happen before it reaches you.\n\n"
    )
}

/// The crate docs' server section: an example to copy and how to run the mock.
fn crate_docs(api: &Api) -> String {
    let trait_name = trait_name(api);
    let first = api.operations.first();
    let example_method = first.map(|op| {
        let response = format!("{}Response", op.type_stem);
        let mut args = vec!["ctx: RequestContext<Self::Claims>".to_owned()];
        if !op.params.is_empty() {
            args.push(format!("params: {}Params", op.type_stem));
        }
        if let Some((ty, _, _)) = request_body(api, op, &mut Mentions::default()) {
            let ty = ty.to_token_stream().to_string().replace(" :: ", "::").replace(" < ", "<").replace(" >", ">");
            args.push(format!("body: {ty}"));
        }
        format!(
            "    async fn {}(&self, {}) -> {response} {{\n        // ... answer with one of the documented variants, e.g. {response}::Ok(...)\n        {response}::not_implemented()\n    }}\n",
            op.name,
            args.join(", ")
        )
    });
    let auth = if uses_auth(api) {
        "    type Claims = String;\n\n    async fn authenticate(&self, credential: Credential<'_>) -> Result<String, Rejection> {\n        // Look the key up; the claims reach handlers as `ctx.claims`.\n        if credential.value.is_empty() { Err(Rejection::unauthorized(\"unknown key\")) } else { Ok(credential.value.to_owned()) }\n    }\n\n"
    } else {
        ""
    };
    format!(
        "# Server\n\n\
         With the cargo feature `server`: implement `server::{trait_name}`, serve \
         `server::router`. Methods not written answer 501 in the API's error envelope; every \
         rejection (400, 401, 404, 405, 413, 415, 422) is in the envelope too.\n\n\
         ```ignore\n\
         use std::sync::Arc;\n\
         use server::*; // this crate's `server` module\n\n\
         struct Gateway;\n\n\
         impl {trait_name} for Gateway {{\n{auth}{}}}\n\n\
         let listener = tokio::net::TcpListener::bind(\"127.0.0.1:8080\").await?;\n\
         // Timeouts, a connection cap and a graceful stop on Ctrl-C or SIGTERM; \
         `axum::serve` works too, without them.\n\
         Serve::new().run(listener, router(Arc::new(Gateway))).await?;\n\
         ```\n\n\
         The mock (`server::mock::Mock`) answers every operation with its documented \
         example (or one made from the schema), another documented status on \
         `Prefer: code=404`, events where the request asks to stream: \
         `cargo run --features server --example mock -- --port 8080`.",
        example_method.unwrap_or_default()
    )
}

/// A crate version from `info.version` when it is plain `x.y.z` (semver: no leading
/// zeros), else `0.1.0`.
fn crate_version(version: &str) -> String {
    let parts: Vec<&str> = version.split('.').collect();
    let number = |p: &&str| {
        !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && (*p == "0" || !p.starts_with('0'))
    };
    if parts.len() == 3 && parts.iter().all(number) {
        version.to_owned()
    } else {
        "0.1.0".to_owned()
    }
}

/// TOML has no quoting crate here: a basic string with every special character escaped.
fn toml_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The package name of the runtime crate (`codegen/runtime/Cargo.toml`), which lists what
/// the `client` and `server` features need: that list is written once, there.
const RUNTIME_PACKAGE: &str = "codegen-runtime";

/// The runtime dependency line, and the features that switch its parts on. Off by
/// default, so depending on the crate for its models pulls in no HTTP stack.
fn runtime_dependency(runtime: &Runtime, api: &Api) -> String {
    let path = match runtime {
        Runtime::Path(path) => path.as_str(),
        Runtime::Vendored => "runtime",
    };
    // What the models need of it: `Validate` for `uuid::Uuid`, `pattern` checks.
    let needed: Vec<&str> = [
        (uses_uuid(api), "\"uuid\""),
        (super::validate::uses_pattern(api), "\"pattern\""),
    ]
    .into_iter()
    .filter_map(|(used, feature)| used.then_some(feature))
    .collect();
    let features = if needed.is_empty() {
        String::new()
    } else {
        format!(", features = [{}]", needed.join(", "))
    };
    format!(
        "# What is the same for every API: schema checks, client and server plumbing.\n\
         {RUNTIME_PACKAGE} = {{ path = {}{features} }}\n",
        toml_string(path)
    )
}

const FEATURES: &str = "\n[features]\n\
     # The async HTTP client (`client` module).\n\
     client = [\"codegen-runtime/client\"]\n\
     # The axum server trait, router and mock (`server` module).\n\
     server = [\"codegen-runtime/server\"]\n";

/// `[features]`: `client`, `server`, and one per group of operations, all of those on by
/// default.
fn features(api: &Api) -> String {
    let mut out = String::from(FEATURES);
    if api.features.is_empty() {
        return out;
    }
    let names: Vec<String> = api.features.iter().map(|f| toml_string(&f.name)).collect();
    out.push_str(&format!(
        "# Every group of operations below. With `default-features = false`, list the groups\n\
         # you call: only their operations compile, and only the types they reach.\n\
         default = [{}]\n",
        names.join(", ")
    ));
    for feature in &api.features {
        let docs: String = feature
            .docs
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let docs: String = docs.chars().filter(|c| !c.is_control()).collect();
        out.push_str(&format!("# {docs}\n{} = []\n", feature.name));
    }
    out
}

/// The mock example and what it needs.
const EXAMPLE: &str = "\n[dev-dependencies]\n\
     tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\", \"net\", \"signal\"] }\n\
     \n[[example]]\nname = \"mock\"\nrequired-features = [\"server\"]\n";

pub fn cargo_toml(
    api: &Api,
    crate_name: &str,
    header: &str,
    standalone: bool,
    runtime: &Runtime,
) -> String {
    let mut out = format!(
        "# {header}\n[package]\nname = {}\nversion = {}\nedition = \"2021\"\ndescription = {}\n\n\
         [lib]\n# Doc comments are the document's prose, not Rust examples.\ndoctest = false\n\n\
         [dependencies]\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n",
        toml_string(crate_name),
        toml_string(&crate_version(&api.version)),
        toml_string(&format!("Generated Rust bindings for {}", api.title)),
    );
    if uses_uuid(api) {
        out.push_str("uuid = { version = \"1\", features = [\"serde\"] }\n");
    }
    out.push_str(&runtime_dependency(runtime, api));
    out.push_str(&features(api));
    out.push_str(EXAMPLE);
    if standalone {
        out.push_str("\n# Not part of any enclosing workspace.\n[workspace]\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::crate_version;

    #[test]
    fn only_semver_versions_are_kept() {
        assert_eq!(crate_version("1.2.3"), "1.2.3");
        assert_eq!(crate_version("1.0.0"), "1.0.0");
        // Cargo rejects leading zeros (an APIs.guru document has `1.0.00`).
        assert_eq!(crate_version("1.0.00"), "0.1.0");
        assert_eq!(crate_version("2024-01-01"), "0.1.0");
        assert_eq!(crate_version("v1"), "0.1.0");
    }
}
