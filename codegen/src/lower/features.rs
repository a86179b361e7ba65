//! Cargo features per group of operations, so that a user of a large API compiles only
//! what they call: each group's operations, and each type only when an enabled group
//! reaches it.
//!
//! A group is an operation's first tag; in a document without tags, its resource: the
//! first path segment after the prefix every path shares (`/v1/customers/{id}` →
//! `customers`). Types every group reaches, and those the error envelope reaches (the
//! client and server use it whatever is enabled), are always compiled. Component
//! schemas no operation reaches get a feature of their own.

use super::cycles::kind_children;
use crate::ir::*;
use crate::names::snake_name;
use openapiv3::Tag;

/// Feature names the generated crate already uses, or that cargo gives a meaning.
const RESERVED: &[&str] = &["client", "server", "default", "schemas", "full"];

/// The group of operations without a tag, in a document that tags others.
const UNTAGGED: &str = "untagged";

/// The feature of types no operation reaches.
const UNREACHED: &str = "schemas";

/// More groups than this and the document is not grouped (crates.io takes at most 300
/// features; a feature per operation would not be a grouping).
const MAX_GROUPS: usize = 250;

/// Assigns each operation its group's feature and each type the features that reach it.
pub(super) fn assign(
    types: &mut [TypeDef],
    operations: &mut [Operation],
    error_type: Option<TypeId>,
    tags: &[Tag],
) -> Vec<Feature> {
    let (keys, tagged) = group_keys(operations);
    let mut features: Vec<Feature> = Vec::new();
    let mut op_feature = Vec::with_capacity(operations.len());
    for key in &keys {
        let name = feature_name(key);
        let index = match features.iter().position(|f| f.name == name) {
            Some(index) => index,
            None => {
                features.push(Feature {
                    docs: group_docs(key, tagged, tags),
                    name,
                });
                features.len() - 1
            }
        };
        op_feature.push(index);
    }
    if features.len() < 2 || features.len() > MAX_GROUPS {
        return Vec::new();
    }
    let groups = features.len();
    // reached[t]: the groups reaching type t, as a bitset over groups and, last, the
    // types no operation reaches.
    let words = (groups + 1).div_ceil(64);
    let mut reached = vec![vec![0u64; words]; types.len()];
    let children: Vec<Vec<TypeId>> = types.iter().map(|t| kind_children(&t.kind)).collect();
    let mark = |group: usize, mut stack: Vec<TypeId>, reached: &mut Vec<Vec<u64>>| {
        let (word, bit) = (group / 64, 1u64 << (group % 64));
        while let Some(id) = stack.pop() {
            let seen = &mut reached[id.0][word];
            if *seen & bit == 0 {
                *seen |= bit;
                stack.extend(&children[id.0]);
            }
        }
    };
    for group in 0..groups {
        let mut roots = Vec::new();
        for (op, _) in operations
            .iter()
            .zip(&op_feature)
            .filter(|(_, f)| **f == group)
        {
            op_types(op, &mut roots);
        }
        mark(group, roots, &mut reached);
    }
    let unreached: Vec<TypeId> = (0..types.len())
        .filter(|&i| reached[i].iter().all(|word| *word == 0))
        .map(TypeId)
        .collect();
    let total = if unreached.is_empty() {
        groups
    } else {
        features.push(Feature {
            name: UNREACHED.to_owned(),
            docs: "Component schemas no operation uses (event payloads, say).".to_owned(),
        });
        mark(groups, unreached, &mut reached);
        groups + 1
    };
    let mut always = vec![false; types.len()];
    let mut stack: Vec<TypeId> = error_type.into_iter().collect();
    while let Some(id) = stack.pop() {
        if !std::mem::replace(&mut always[id.0], true) {
            stack.extend(&children[id.0]);
        }
    }
    for (i, t) in types.iter_mut().enumerate() {
        let reaching: Vec<usize> = (0..total)
            .filter(|g| reached[i][g / 64] & (1 << (g % 64)) != 0)
            .collect();
        // Compiled with every feature alike: no `cfg` needed.
        t.features = (!always[i] && reaching.len() < total).then_some(reaching);
    }
    for (op, feature) in operations.iter_mut().zip(op_feature) {
        op.feature = Some(feature);
    }
    features
}

/// The named types an operation's signature holds: parameters, bodies, response headers.
fn op_types(op: &Operation, out: &mut Vec<TypeId>) {
    for param in &op.params {
        param.ty.named(out);
    }
    let bodies = op.body.iter().flat_map(|body| &body.content);
    let answers = op.responses.iter().flat_map(|r| &r.content);
    for content in bodies.chain(answers) {
        if let Some(ty) = &content.ty {
            ty.named(out);
        }
    }
    for header in op.responses.iter().flat_map(|r| &r.headers) {
        header.ty.named(out);
    }
}

/// Each operation's group: its first tag where the document tags operations (and whether
/// it does), else its resource.
fn group_keys(operations: &[Operation]) -> (Vec<String>, bool) {
    if operations.iter().any(|op| !op.tags.is_empty()) {
        let keys = operations
            .iter()
            .map(|op| op.tags.first().cloned().unwrap_or_else(|| UNTAGGED.into()))
            .collect();
        return (keys, true);
    }
    let literal_prefix = |op: &Operation| -> Vec<String> {
        op.segments
            .iter()
            .map_while(|segment| match segment {
                PathSegment::Literal(text) => Some(text.clone()),
                PathSegment::Param(_) => None,
            })
            .flat_map(|text| {
                text.split('/')
                    .filter(|part| !part.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let prefixes: Vec<Vec<String>> = operations.iter().map(literal_prefix).collect();
    let shared =
        prefixes
            .iter()
            .skip(1)
            .fold(prefixes.first().map_or(0, Vec::len), |len, prefix| {
                let common = prefixes[0]
                    .iter()
                    .zip(prefix)
                    .take_while(|(a, b)| a == b)
                    .count();
                len.min(common)
            });
    let keys = prefixes
        .iter()
        .map(|prefix| prefix.get(shared).cloned().unwrap_or_else(|| "root".into()))
        .collect();
    (keys, false)
}

/// A cargo feature name: kebab-case, not one the crate already uses.
fn feature_name(key: &str) -> String {
    let name = snake_name(key, "group").replace('_', "-");
    let name = name.trim_start_matches("r#").to_owned();
    if RESERVED.contains(&name.as_str()) {
        format!("{name}-ops")
    } else {
        name
    }
}

fn group_docs(key: &str, tagged: bool, tags: &[Tag]) -> String {
    if !tagged {
        return format!("Operations on the `{key}` resource (paths under `.../{key}`).");
    }
    if key == UNTAGGED {
        return "Operations without a tag.".to_owned();
    }
    let described = tags
        .iter()
        .find(|tag| tag.name == key)
        .and_then(|tag| tag.description.as_deref())
        .and_then(|text| text.lines().find(|line| !line.trim().is_empty()))
        .map(|line| format!(": {}", line.trim()));
    format!(
        "Operations tagged `{key}`{}.",
        described.unwrap_or_default().trim_end_matches('.')
    )
}
