//! `src/server/mock.rs`, the mock implementation answering each operation with an example
//! of a documented answer, and `examples/mock.rs`, which serves it.

use super::bodies::request_body;
use super::mentions::Mentions;
use super::responses::{header_ident, variants};
use super::security::uses_auth;
use crate::emit::naming::{api_key_var, trait_name};
use crate::emit::params::{params_name, path_argument, path_params};
use crate::emit::synth;
use crate::emit::ty_syn_in;
use crate::emit::validate::{resolved, strip_options};
use crate::ir::*;
use crate::names::ident;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// The bodies one documented answer can send, each `(name, parts)` as
/// the runtime's `MockExample` holds them: the media type's examples
/// (a named one by its name), else the schema's, else one made from the schema.
fn mock_examples(api: &Api, content: &Content) -> Vec<(String, Vec<String>)> {
    let compact = |value: &serde_json::Value| value.to_string();
    let as_text = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => text.clone(),
        other => compact(other),
    };
    let parts = |value: &serde_json::Value| match content.kind {
        MediaKind::Json | MediaKind::EventStream => vec![compact(value)],
        _ => vec![as_text(value)],
    };
    let mut documented: Vec<(String, Vec<String>)> = Vec::new();
    let mut last_pointer = None;
    for example in &content.examples {
        // Lowering gives an event stream's example as one IR example per event, each at
        // the example's pointer: consecutive ones are the events of one answer.
        let same_stream =
            content.kind == MediaKind::EventStream && last_pointer == Some(&example.pointer);
        match documented.last_mut() {
            Some((_, events)) if same_stream => events.push(compact(&example.value)),
            _ => documented.push((
                example.name.clone().unwrap_or_default(),
                parts(&example.value),
            )),
        }
        last_pointer = Some(&example.pointer);
    }
    if content.kind == MediaKind::EventStream && !documented.is_empty() {
        return documented;
    }
    if documented.is_empty() {
        let schema_example = content
            .ty
            .as_ref()
            .and_then(Ty::direct_named)
            .and_then(|id| api.ty(id).examples.first().cloned());
        documented.extend(schema_example.map(|value| (String::new(), parts(&value))));
    }
    let made = match content.kind {
        // A byte body has no schema to honour: any bytes will do.
        MediaKind::Binary | MediaKind::Multipart | MediaKind::FormUrlEncoded => {
            Some(serde_json::Value::String("mock file contents\n".into()))
        }
        _ => {
            let ty = content.ty.as_ref().unwrap_or(&Ty::Any);
            synth::constrained(api, ty, &content.constraints)
        }
    };
    // Last, after the document's: what the mock sends when none of those fits the type
    // (GitHub's examples leave out members their schemas require).
    if let Some(made) = made.map(|value| (String::new(), parts(&value))) {
        let any_text_fits = !documented.is_empty()
            && matches!(
                content.kind,
                MediaKind::Binary
                    | MediaKind::Multipart
                    | MediaKind::FormUrlEncoded
                    | MediaKind::Text
            );
        if !any_text_fits && !documented.contains(&made) {
            documented.push(made);
        }
    }
    documented
}

/// An expression telling whether the request body asks to stream: `"stream": true`, when
/// the body is one JSON model with a boolean `stream` property; `None` otherwise.
fn stream_flag(api: &Api, op: &Operation) -> Option<TokenStream> {
    let body = op.body.as_ref()?;
    let [content] = body.content.as_slice() else {
        return None;
    };
    if content.kind != MediaKind::Json {
        return None;
    }
    let Ty::Named(id) = resolved(api, content.ty.as_ref()?) else {
        return None;
    };
    let TypeKind::Struct(s) = &api.ty(*id).kind else {
        return None;
    };
    let field = s.fields.iter().find(|f| f.wire == "stream")?;
    let (core, layers) = strip_options(&field.ty);
    if *resolved(api, core) != Ty::Bool {
        return None;
    }
    let name = ident(&field.name);
    let wanted = (0..layers).fold(quote!(true), |inner, _| quote!(Some(#inner)));
    let flag = if layers == 0 {
        quote!(body.#name)
    } else {
        quote!(body.#name == #wanted)
    };
    Some(if body.required {
        flag
    } else {
        quote!(body.as_ref().is_some_and(|body| #flag))
    })
}

/// The answers' example lists, each once (error responses repeat one component's examples
/// across operations), as `const EXAMPLES_<n>` in order of first use.
#[derive(Default)]
struct MockBodies {
    names: std::collections::HashMap<Vec<(String, Vec<String>)>, proc_macro2::Ident>,
    consts: Vec<TokenStream>,
}

impl MockBodies {
    /// The const holding `examples`, or an empty list inline.
    fn list(&mut self, examples: Vec<(String, Vec<String>)>) -> TokenStream {
        if examples.is_empty() {
            return quote!(&[]);
        }
        if let Some(name) = self.names.get(&examples) {
            return quote!(#name);
        }
        let name = format_ident!("EXAMPLES_{}", self.consts.len() + 1);
        let items = examples
            .iter()
            .map(|(example, parts)| quote!(MockExample::new(#example, &[#(#parts),*])));
        self.consts
            .push(quote!(const #name: &[MockExample] = &[#(#items),*];));
        self.names.insert(examples, name.clone());
        quote!(#name)
    }
}

/// `answers::op`: the operation's documented answers as a table, and the chosen one built
/// as the response enum's variant (`None` when its example does not fit its type).
fn mock_answer_fn(api: &Api, op: &Operation, bodies: &mut MockBodies) -> TokenStream {
    let cfg = crate::emit::operation_cfg(api, op);
    let name = ident(&op.name);
    let response = format_ident!("{}Response", op.type_stem);
    let variants = variants(op);
    let rows = variants.iter().map(|v| {
        let status = match v.response.status {
            Status::Code(code) => {
                let code = Literal::u16_unsuffixed(code);
                quote!(MockStatus::Code(#code))
            }
            Status::Range(digit) => {
                let digit = Literal::u16_unsuffixed(digit);
                quote!(MockStatus::Range(#digit))
            }
            Status::Default => quote!(MockStatus::Default),
        };
        let media_type = v.content.map_or("", |c| c.media_type.as_str());
        let examples = bodies.list(v.content.map(|c| mock_examples(api, c)).unwrap_or_default());
        quote!(MockAnswer::new(#status, #media_type, #examples))
    });
    let rows: Vec<TokenStream> = rows.collect();
    let arms = variants.iter().enumerate().filter_map(|(index, v)| {
        let variant = &v.name;
        let body = v.content.map(|content| match content.kind {
            MediaKind::Json => quote!(chosen.json()?),
            MediaKind::EventStream => quote!(chosen.events()?),
            MediaKind::Text => quote!(String::from(chosen.text()?)),
            _ => quote!(Binary::from_bytes(chosen.text()?)),
        });
        let value = if v.has_fields() {
            let status = (!matches!(v.response.status, Status::Code(_)))
                .then(|| quote!(status: chosen.status,));
            let body = body.map(|body| quote!(body: #body,));
            let mut headers = Vec::new();
            for h in &v.response.headers {
                let field = header_ident(h);
                headers.push(if h.required {
                    // Made at generation time; without a value the answer cannot be built.
                    let json = synth::constrained(api, &h.ty, &h.constraints)?.to_string();
                    quote!(#field: runtime::mock_value(#json)?,)
                } else {
                    quote!(#field: None,)
                });
            }
            quote!(#response::#variant { #status #body #(#headers)* })
        } else {
            match body {
                Some(body) => quote!(#response::#variant(#body)),
                None => quote!(#response::#variant),
            }
        };
        let index = Literal::usize_unsuffixed(index);
        Some(quote!(#index => #value,))
    });
    let doc = format!(
        "`{}`'s documented answers; the one the request asks for (see `runtime::MockChoice`).",
        op.id
    );
    quote! {
        #[doc = #doc]
        #cfg
        pub(super) fn #name(headers: &axum::http::HeaderMap, stream: bool) -> Option<#response> {
            const ANSWERS: &[MockAnswer] = &[#(#rows),*];
            let chosen = runtime::MockChoice::new(ANSWERS, headers, stream)?;
            let answer = match chosen.index {
                #(#arms)*
                _ => return None,
            };
            Some(answer)
        }
    }
}

/// `src/server/mock.rs`: answers each operation with a documented (or made) example of the
/// answer the request asks for (see `runtime::MockChoice`).
pub fn mock(api: &Api) -> TokenStream {
    let trait_ident = format_ident!("{}", trait_name(api));
    let key_var = api_key_var(api);
    let auth = uses_auth(api);
    let mut bodies = MockBodies::default();
    let mut answer_fns = Vec::new();
    let methods: Vec<TokenStream> = api
        .operations
        .iter()
        .map(|op| {
            let name = ident(&op.name);
            let cfg = crate::emit::operation_cfg(api, op);
            let response = format_ident!("{}Response", op.type_stem);
            let claims = if auth {
                quote!(Self::Claims)
            } else {
                quote!(())
            };
            let answered = !op.responses.is_empty();
            let ctx = if answered { quote!(ctx) } else { quote!(_ctx) };
            let mut args = vec![quote!(#ctx: RequestContext<#claims>)];
            for p in path_params(op) {
                let name = format_ident!("_{}", path_argument(op, p));
                let ty = ty_syn_in(api, &p.ty, &["models"]);
                args.push(quote!(#name: #ty));
            }
            if let Some(params) = params_name(op) {
                let params = format_ident!("{}", params);
                args.push(quote!(_params: #params));
            }
            let streams = op
                .responses
                .iter()
                .flat_map(|r| &r.content)
                .any(|c| c.kind == MediaKind::EventStream);
            let stream = stream_flag(api, op).filter(|_| streams && answered);
            // An upload is read to its end before the answer (see `runtime::Discard`).
            let upload = op.body.as_ref().is_some_and(|b| {
                b.content.len() == 1
                    && matches!(b.content[0].kind, MediaKind::Multipart | MediaKind::Binary)
            });
            // The mock module imports everything the server's does.
            if let Some((ty, _, _)) = request_body(api, op, &mut Mentions::default()) {
                let body = if stream.is_some() || upload {
                    quote!(body)
                } else {
                    quote!(_body)
                };
                args.push(quote!(#body: #ty));
            }
            let discard = upload.then(|| quote!(runtime::Discard::discard(body).await;));
            let answer = if answered {
                answer_fns.push(mock_answer_fn(api, op, &mut bodies));
                let stream = stream.unwrap_or_else(|| quote!(false));
                quote! {
                    answers::#name(&ctx.headers, #stream).unwrap_or_else(#response::not_implemented)
                }
            } else {
                quote!(#response::not_implemented())
            };
            if upload {
                return quote! {
                    #cfg
                    async fn #name(&self, #(#args),*) -> #response {
                        #discard
                        #answer
                    }
                };
            }
            // Answered at once: a ready future, not an `async fn`, whose state machine
            // cost Stripe's check 10 MiB over 452 operations.
            quote! {
                #cfg
                fn #name(&self, #(#args),*) -> impl std::future::Future<Output = #response> + Send {
                    std::future::ready(#answer)
                }
            }
        })
        .collect();
    let auth_items = auth.then(|| {
        quote! {
            type Claims = ();

            /// Only the key in the environment when it is set; any non-empty token when not.
            async fn authenticate(&self, credential: Credential<'_>) -> Result<(), Rejection> {
                match &self.api_key {
                    Some(key) if !constant_time_eq(credential.value.as_bytes(), key.as_bytes()) => {
                        Err(Rejection::unauthorized("invalid API key"))
                    }
                    _ => Ok(()),
                }
            }
        }
    });
    let doc = format!(
        "Answers every operation with an example of one of its documented answers, so clients \
         can run against the API locally: the document's example, else one the generator made \
         from the schema. By default the first documented 2xx; `Prefer: code=404` picks \
         another documented status (a range or `default` answers with the code asked for) and \
         `Prefer: example=name` a named example, as with Prism; a body's `\"stream\": true` or \
         an `Accept` preferring `text/event-stream` picks the event stream where one is \
         documented. A status or example the document does not list is ignored; an operation \
         that documents no answer answers 501. Authentication accepts only the key in \
         `{key_var}` when it is set, any non-empty credential when it is not."
    );
    let consts = &bodies.consts;
    // Without any example list (every answer empty-bodied), nothing names `MockExample`.
    let example_import = (!consts.is_empty()).then(|| {
        quote!(
            use runtime::MockExample;
        )
    });
    let answers = (!answer_fns.is_empty()).then(|| {
        quote! {
            /// Each operation's documented answers and how the chosen one is built.
            mod answers {
                use super::*;
                use runtime::{MockAnswer, MockStatus};
                #example_import

                #(#answer_fns)*

                #(#consts)*
            }
        }
    });
    quote! {
        use super::*;

        #[doc = #doc]
        #[derive(Debug, Clone, Default)]
        pub struct Mock {
            /// The one key accepted; `None` accepts any non-empty credential.
            pub api_key: Option<String>,
        }

        impl Mock {
            /// The environment variable holding the accepted key.
            pub const API_KEY_VAR: &'static str = #key_var;

            /// Reads the accepted key from the environment (unset or empty: any key).
            pub fn from_env() -> Self {
                Mock {
                    api_key: std::env::var(Self::API_KEY_VAR).ok().filter(|k| !k.is_empty()),
                }
            }
        }

        impl #trait_ident for Mock {
            #auth_items

            #(#methods)*
        }

        #answers
    }
}

/// `examples/mock.rs`: runs the mock on a loopback port.
pub fn mock_example(api: &Api, crate_name: &str) -> TokenStream {
    let krate = format_ident!("{}", crate_name.replace('-', "_"));
    let usage = format!(
        "Runs the mock server: `cargo run -p {crate_name} --features server --example mock -- --port 8080`."
    );
    let key_var = api_key_var(api);
    let auth_note = uses_auth(api).then(|| {
        let note = format!("{key_var} is not set: accepting any non-empty credential");
        quote! {
            if mock.api_key.is_none() {
                eprintln!(#note);
            }
        }
    });
    quote! {
        #![doc = #usage]

        use std::sync::Arc;

        // Laid out by prettyplease at generation time; rustfmt would make it drift.
        #[rustfmt::skip]
        #[tokio::main]
        async fn main() -> Result<(), Box<dyn std::error::Error>> {
            let mut port: u16 = 8080;
            let mut args = std::env::args().skip(1);
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "--port" => {
                        port = args.next().ok_or("--port needs a value")?.parse()?;
                    }
                    other => return Err(format!("unknown argument `{other}` (usage: --port N)").into()),
                }
            }
            let mock = #krate::server::mock::Mock::from_env();
            #auth_note
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            println!("mock listening on http://{}", listener.local_addr()?);
            // Timeouts, a connection cap, and a graceful stop on Ctrl-C or SIGTERM.
            #krate::server::Serve::new()
                .run(listener, #krate::server::router(Arc::new(mock)))
                .await?;
            Ok(())
        }
    }
}
