//! Operations' security requirements, as the runtime constants the handlers check.

use crate::ir::*;
use proc_macro2::TokenStream;
use quote::quote;

/// The security requirement of an operation: alternatives (any one suffices), each the
/// schemes it needs (those the document defines); `None` when it has none.
pub(super) fn requirement_schemes<'a>(
    api: &'a Api,
    op: &'a Operation,
) -> Option<Vec<Vec<&'a SecurityScheme>>> {
    let alternatives = op.security.as_ref().unwrap_or(&api.security);
    if alternatives.is_empty() {
        return None;
    }
    let find = |name: &String| api.security_schemes.iter().find(|s| &s.name == name);
    Some(
        alternatives
            .iter()
            .map(|alternative| alternative.iter().filter_map(find).collect())
            .collect(),
    )
}

/// The security requirement of an operation as a runtime constant, `None` when it has none.
pub(super) fn requirement(api: &Api, op: &Operation) -> Option<TokenStream> {
    let alternatives = requirement_schemes(api, op)?;
    let alternatives = alternatives.iter().map(|alternative| {
        let schemes = alternative.iter().map(|scheme| {
            let kind = match &scheme.kind {
                SecurityKind::Bearer { .. } | SecurityKind::Other(_) => {
                    quote!(runtime::SchemeKind::Bearer)
                }
                SecurityKind::Basic => quote!(runtime::SchemeKind::Basic),
                SecurityKind::ApiKey { name, location } => match location {
                    ParamLocation::Query => quote!(runtime::SchemeKind::Query(#name)),
                    ParamLocation::Cookie => quote!(runtime::SchemeKind::Cookie(#name)),
                    _ => {
                        let lower = name.to_ascii_lowercase();
                        quote!(runtime::SchemeKind::Header(#lower))
                    }
                },
            };
            let scheme_name = &scheme.name;
            quote!(runtime::SecurityScheme { name: #scheme_name, kind: #kind })
        });
        quote!(&[#(#schemes),*])
    });
    Some(quote!(&[#(#alternatives),*]))
}

pub(crate) fn uses_auth(api: &Api) -> bool {
    api.operations
        .iter()
        .any(|op| requirement(api, op).is_some())
}
