//! One operation's `Client` methods and types: the plain method, and its `_stream` form
//! where the operation streams events or pages through a list.

use super::request::{body_step, path_building, request_expr};
use super::response::{
    accept_outcomes, decode_many, decode_one, is_success, item_ty, paginate, pagination,
    success_outcomes,
};
use super::{generic_ty, named_ty, on_request, result_of, transport_await, var, Shows, MODELS};
use crate::emit::naming::status_text;
use crate::emit::params::{has_default, params_name, struct_params};
use crate::emit::{ast, doc_attr_list, parse_at, ty_syn_in};
use crate::ir::{Api, Operation, ParamLocation, Status};
use crate::names::ident;
use crate::Result;
use syn::{Item, Stmt};

/// What one operation adds to the client: module-level types and `Client` methods.
pub(super) struct Emitted {
    pub(super) types: Vec<Item>,
    pub(super) methods: Vec<syn::ImplItem>,
    /// What the module docs' usage sketch can show with this operation.
    pub(super) shows: Shows,
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
                Status::Default => "other".to_owned(),
                status => status_text(status),
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

/// The operation's methods and types, built as syntax trees (the client file holds one
/// or two methods per operation: parsing them back from tokens was most of its cost),
/// but for the rare auto-paginating method, built through tokens.
pub(super) fn operation(api: &Api, op: &Operation, op_names: &[&str]) -> Result<Emitted> {
    let name = &op.name;
    let params_ty = format!("{}Params", op.type_stem);
    let mut types = Vec::new();
    let mut shows = Shows::default();

    // Arguments: path parameters in template order, then params, then the body.
    let (path_args, path_parts) = path_building(api, op);
    let mut args = vec![ast::ref_self()];
    args.extend(path_args);
    let params = struct_params(op);
    let request = request_expr(api, op, &params);
    if params_name(op).is_none() {
        shows.plain = Some(String::new());
    } else {
        // The struct itself is the shared one, in `src/params.rs`.
        args.push(ast::typed_arg(
            ast::ident("params"),
            ast::ref_ty(named_ty(&params_ty)),
        ));
        if has_default(api, op) {
            shows.plain = Some(format!("&{params_ty}::default()"));
        }
    }
    if op.body.is_some() || op.params.iter().any(|p| p.location == ParamLocation::Path) {
        shows.plain = None;
    }
    let mut body_call = Vec::new();
    // The body has a boolean `stream` member, which the streaming form sets.
    let mut stream_flag_body = false;
    if let Some(body) = body_step(api, op) {
        shows.upload = body.upload;
        types.extend(body.form);
        args.push(body.arg);
        body_call = body.calls;
        stream_flag_body = body.stream_flag;
    }

    let mut request_start = vec![ast::local(
        ast::mut_ident_pat("path"),
        ast::call(ast::path_expr(&["String", "new"]), []),
    )];
    request_start.extend(path_parts);
    request_start.push(ast::let_stmt("request", request));

    let (outcomes, event_stream) = success_outcomes(op);

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

    // The plain method (or the stream method, when the operation only streams).
    if outcomes.is_empty() {
        let (ret, tail) = match event_stream {
            Some(sse) => (generic_ty(&["EventStream"], item_ty(api, sse)), events()),
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
        let (ret, call) = if let [outcome] = outcomes.as_slice() {
            decode_one(api, outcome)
        } else {
            let (output_enum, ret, call) = decode_many(api, op, &outcomes);
            types.push(output_enum);
            (ret, call)
        };
        let mut tail: Vec<Stmt> = accept_outcomes(&outcomes).into_iter().collect();
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
                result_of(generic_ty(&["EventStream"], item_ty(api, sse))),
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
                api,
                &pages,
                &ty_syn_in(api, &pages.item, MODELS),
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
