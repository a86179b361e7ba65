//! The response steps of an operation method: which success responses it decodes, how
//! (one type, or an `{Op}Output` enum dispatching on status and media type), and the
//! auto-paginating `{op}_stream` of a `limit`/`offset` list.

use super::{named_ty, transport, transport_await, var, MODELS};
use crate::emit::naming::{status_text, status_variant};
use crate::emit::params::{presence, Presence};
use crate::emit::{ast, doc_attr_list, ty_syn_in};
use crate::ir::{Api, Content, MediaKind, Operation, Param, ParamLocation, Status, Ty, TypeKind};
use crate::names::{ident, type_name, Scope};
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::{Expr, Item, Stmt, Type};

/// One way a success response can come back.
pub(super) struct Outcome<'a> {
    status: Status,
    content: Option<&'a Content>,
    /// Several media types share the status: dispatch on the media type too.
    by_media: bool,
}

pub(super) fn is_success(status: Status) -> bool {
    matches!(status, Status::Code(200..=299) | Status::Range(2))
}

/// The success responses the method decodes, one per status and media type, `text/event-stream`
/// apart: the first success response's event stream, if any, is the streaming form's.
pub(super) fn success_outcomes(op: &Operation) -> (Vec<Outcome<'_>>, Option<&Content>) {
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
    (outcomes, event_stream)
}

/// The type a JSON (or event) body decodes to.
pub(super) fn item_ty(api: &Api, content: &Content) -> Type {
    content
        .ty
        .as_ref()
        .map(|ty| ty_syn_in(api, ty, MODELS))
        .unwrap_or_else(|| ast::path_ty(ast::path(&["serde_json", "Value"])))
}

fn envelope() -> Type {
    named_ty("ErrorEnvelope")
}

/// `let request = request.accept(...).streamed();` where the outcomes have media types or
/// a streamed binary body.
pub(super) fn accept_outcomes(outcomes: &[Outcome]) -> Option<Stmt> {
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
        .any(|o| o.content.is_some_and(|c| c.kind.response_is_bytes()));
    if accept.is_empty() && !streamed {
        return None;
    }
    let mut adjusted = var("request");
    if !accept.is_empty() {
        adjusted = ast::method(adjusted, "accept", [ast::str_lit(&accept)]);
    }
    if streamed {
        adjusted = ast::method(adjusted, "streamed", []);
    }
    Some(ast::let_stmt("request", adjusted))
}

/// The method's return type and the call that sends `request` and decodes the one
/// success outcome.
pub(super) fn decode_one(api: &Api, outcome: &Outcome) -> (Type, Expr) {
    match outcome.content {
        None => (ast::unit_ty(), transport_await("empty", [var("request")])),
        Some(c) => match c.kind {
            MediaKind::Text => (
                named_ty("String"),
                transport_await("text", [var("request")]),
            ),
            kind if kind.response_is_bytes() => (
                named_ty("ByteStream"),
                transport_await("bytes", [var("request")]),
            ),
            _ => {
                let ty = item_ty(api, c);
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
}

/// The `{Op}Output` enum of several success outcomes, its type, and the block that sends
/// `request` and dispatches on status (and media type) to decode the body.
pub(super) fn decode_many(api: &Api, op: &Operation, outcomes: &[Outcome]) -> (Item, Type, Expr) {
    let output = format!("{}Output", op.type_stem);
    let mut variant_names = Scope::default();
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    for outcome in outcomes {
        let mut base = status_variant(outcome.status);
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
        let doc = format!(" {}: {description}.", status_text(outcome.status));
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
                    let text =
                        ast::call(ast::path_expr(&["runtime", "read_text"]), [var("response")]);
                    (
                        Some(named_ty("String")),
                        ast::method(ast::try_expr(ast::await_expr(text)), "map", [wrap()]),
                    )
                }
                kind if kind.response_is_bytes() => (
                    Some(named_ty("ByteStream")),
                    ast::method(
                        ast::method(transport(), "byte_stream", [var("response")]),
                        "map",
                        [wrap()],
                    ),
                ),
                _ => {
                    let ty = item_ty(api, c);
                    let decode = ast::call(
                        ast::turbofish_path(&["runtime", "decode_json"], [ty.clone(), envelope()]),
                        [var("response")],
                    );
                    (
                        Some(ty),
                        ast::method(ast::try_expr(ast::await_expr(decode)), "map", [wrap()]),
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
        "The documented success responses of [`Client::{}`].",
        op.name
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
    let output_enum = Item::Enum(syn::ItemEnum {
        attrs,
        vis: ast::public(),
        enum_token: Default::default(),
        ident: ast::ident(&output),
        generics: Default::default(),
        brace_token: Default::default(),
        variants: variants.into_iter().collect(),
    });
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
    (output_enum, named_ty(&output), ast::block_expr(dispatch))
}

/// A `limit`/`offset` list answering `{data: [T], total}`: the item type and the
/// offset parameter's type.
pub(super) struct Pagination {
    pub(super) item: Ty,
    data_field: proc_macro2::Ident,
    total_field: proc_macro2::Ident,
    total_ty: Ty,
    offset: Param,
}

pub(super) fn pagination(api: &Api, op: &Operation, outcomes: &[Outcome]) -> Option<Pagination> {
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

/// `{op}_stream` of a paginated list, as tokens: one per list operation of a few
/// documents, so it is not worth a tree builder of its own.
pub(super) fn paginate(
    api: &Api,
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
    let plain = !matches!(presence(api, &pages.offset, MODELS), Presence::Optional);
    let (start, set_offset) = if plain {
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
