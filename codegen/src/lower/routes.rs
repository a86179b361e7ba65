//! Each operation's route in the server's router (axum's, which is matchit 0.8.4). The
//! generated router registers routes at startup and panics on any it refuses, so every
//! route is decided (and tried in matchit) here, and one the router cannot take is left
//! out with a located warning instead.
//!
//! - Paths that differ only in their parameters' names (`/a/{id}` and `/a/{name}`) have
//!   the same shape. OpenAPI calls them identical (they MUST NOT both exist), yet documents
//!   have them, usually for different methods; matchit refuses the second as a conflict.
//!   They share one route, its parameters named as the first operation on that shape (in
//!   document order) names them; each handler takes the values by position under its own
//!   names (`runtime::Params::PATH_NAMES`), so its arguments and rejections keep them.
//! - Two operations with the same method on one shape are ambiguous: the first in
//!   document order is served, the later one is not (warned; the client still has it).
//! - matchit takes a parameter only at the end of a path segment (`/{a}`, `/v{a}`): a
//!   segment such as `{name}.{ext}` or `{id}.json` is not served (warned).
//! - Names matchit does not take (empty, or with `*` or `/`) or repeated in one path
//!   become `p0`, `p1`...; a literal `}` is doubled (matchit's escape).

use super::*;

/// An operation's path as a route's shape (`{}` for each parameter, a literal `}`
/// doubled) and its parameters' names in order; or why matchit cannot take it.
fn shape_and_names(op: &Operation) -> Result<(String, Vec<&str>), String> {
    let mut shape = String::new();
    let mut names = Vec::new();
    if !op.path.starts_with('/') {
        shape.push('/');
    }
    let mut after_param: Option<&str> = None;
    for segment in &op.segments {
        match segment {
            PathSegment::Literal(text) => {
                if let Some(name) = after_param {
                    let rest = text.split('/').next().unwrap_or_default();
                    if !rest.is_empty() {
                        return Err(format!(
                            "`{{{name}}}` is followed by `{rest}` in its path segment"
                        ));
                    }
                }
                after_param = None;
                shape.push_str(&text.replace('}', "}}"));
            }
            PathSegment::Param(index) => {
                let name = op.params[*index].wire.as_str();
                if let Some(before) = after_param {
                    return Err(format!(
                        "`{{{before}}}` is followed by `{{{name}}}` in its path segment"
                    ));
                }
                after_param = Some(name);
                shape.push_str("{}");
                names.push(name);
            }
        }
    }
    Ok((shape, names))
}

/// The shape with its `{}` named `names` in order.
fn template(shape: &str, names: &[String]) -> String {
    let mut out = String::with_capacity(shape.len() + names.len() * 8);
    let mut names = names.iter();
    let mut rest = shape;
    while let Some(at) = rest.find("{}") {
        out.push_str(&rest[..at]);
        out.push('{');
        out.push_str(names.next().map_or("", String::as_str));
        out.push('}');
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

/// Names for the first route of a shape: the operation's own where matchit takes them.
fn route_names(names: &[&str]) -> Vec<String> {
    let takes = |name: &str| !name.is_empty() && !name.contains(['*', '/', '{', '}']);
    let distinct = names
        .iter()
        .enumerate()
        .all(|(i, name)| !names[..i].contains(name));
    if distinct && names.iter().all(|name| takes(name)) {
        names.iter().map(|name| (*name).to_owned()).collect()
    } else {
        (0..names.len()).map(|i| format!("p{i}")).collect()
    }
}

/// The warning for an operation the router does not serve, and why.
fn not_served(op: &Operation, why: String) -> Warning {
    let (method, path) = (op.method.as_str(), &op.path);
    Warning {
        pointer: op.pointer.clone(),
        message: format!(
            "the generated server does not serve `{method} {path}`: {why}; its trait method is never called by the router (the client is unaffected)"
        ),
    }
}

/// A route's shape as registered: its parameters' names and the operations it serves.
struct Registered {
    names: Vec<String>,
    /// Method and index of each operation served.
    served: Vec<(Method, usize)>,
}

pub(super) fn assign_routes(operations: &mut [Operation], warnings: &mut Vec<Warning>) {
    let mut router = matchit::Router::new();
    let mut shapes: HashMap<String, Registered> = HashMap::new();
    for i in 0..operations.len() {
        let op = &operations[i];
        let not_served = |why: String| not_served(op, why);
        let (shape, names) = match shape_and_names(op) {
            Ok(found) => found,
            Err(why) => {
                warnings.push(not_served(format!(
                    "axum's router takes a path parameter only at the end of a path segment (`/{{a}}`, `/v{{a}}`), and {why}"
                )));
                continue;
            }
        };
        let route = match shapes.get_mut(&shape) {
            Some(Registered {
                names: route_names,
                served,
            }) => {
                if let Some((_, first)) = served.iter().find(|(m, _)| *m == op.method) {
                    let first = &operations[*first];
                    warnings.push(not_served(format!(
                        "`{} {}` ({}) comes first on a path that differs only in parameter names, which OpenAPI makes the same path, so it is served instead",
                        first.method.as_str(),
                        first.path,
                        first.pointer
                    )));
                    continue;
                }
                served.push((op.method, i));
                Route {
                    template: template(&shape, route_names),
                    own_names: route_names.iter().eq(names.iter().copied()),
                }
            }
            None => {
                let route_names = route_names(&names);
                let route = Route {
                    template: template(&shape, &route_names),
                    own_names: route_names.iter().eq(names.iter().copied()),
                };
                if let Err(e) = router.insert(route.template.as_str(), ()) {
                    warnings.push(not_served(format!(
                        "axum's router refuses its route `{}` ({e})",
                        route.template
                    )));
                    continue;
                }
                let served = vec![(op.method, i)];
                shapes.insert(
                    shape,
                    Registered {
                        names: route_names,
                        served,
                    },
                );
                route
            }
        };
        if !op.path.starts_with('/') {
            warnings.push(Warning {
                pointer: op.pointer.clone(),
                message: format!(
                    "path `{}` does not begin with `/` as OpenAPI requires; the server serves it at `{}`",
                    op.path, route.template
                ),
            });
        }
        operations[i].route = Some(route);
    }
}
