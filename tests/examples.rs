//! Every example of the Maniac document deserializes into its generated type and
//! serializes back to JSON that keeps all of it.

use codegen::ir::{Api, Content, MediaKind};
use codegen_tests::{contains, round_trip_as};

fn maniac() -> Api {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/maniac.yaml"))
        .unwrap();
    codegen::load(&text).unwrap()
}

/// (where, type key, example) for every JSON example: media types and schemas.
fn examples(api: &Api) -> Vec<(String, String, serde_json::Value)> {
    let mut out = Vec::new();
    let mut add = |content: &Content| {
        if !matches!(content.kind, MediaKind::Json | MediaKind::EventStream) {
            return;
        }
        if let Some(ty) = &content.ty {
            let key = codegen::emit::ty_tokens(api, ty).to_string();
            for example in &content.examples {
                out.push((example.pointer.clone(), key.clone(), example.value.clone()));
            }
        }
    };
    for op in &api.operations {
        op.body.iter().flat_map(|b| &b.content).for_each(&mut add);
        op.responses
            .iter()
            .flat_map(|r| &r.content)
            .for_each(&mut add);
    }
    for t in &api.types {
        for value in &t.examples {
            out.push((t.pointer.clone(), t.name.clone(), value.clone()));
        }
    }
    // Shared responses (`#/components/responses/...`) show up once per operation.
    let mut seen = std::collections::HashSet::new();
    out.retain(|(_, key, value)| seen.insert((key.clone(), value.to_string())));
    out
}

#[test]
fn every_example_round_trips_through_its_type() {
    let api = maniac();
    let examples = examples(&api);
    assert!(examples.len() >= 20, "only {} examples", examples.len());
    eprintln!("round-tripping {} examples", examples.len());
    let mut failures = Vec::new();
    for (at, key, value) in &examples {
        let result = round_trip_as(key, value.clone())
            .unwrap_or_else(|| panic!("no dispatcher arm for {key}"));
        match result {
            Ok(back) => {
                if let Err(diff) = contains(value, &back, "") {
                    failures.push(format!("{at} as {key}: {diff}"));
                }
                // Round-tripping again changes nothing: the Rust value is a fixed point.
                let again = round_trip_as(key, back.clone()).unwrap().unwrap();
                if again != back {
                    failures.push(format!("{at} as {key}: not stable on a second round trip"));
                }
            }
            Err(e) => failures.push(format!("{at} as {key}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
}

#[test]
fn the_issue_lists_examples_for_these_resources() {
    let api = maniac();
    let keys: Vec<String> = examples(&api).into_iter().map(|(_, key, _)| key).collect();
    for wanted in [
        "ChatReq",
        "ChatRes",
        "ChatCompletionChunk",
        "ErrorResponse",
        "ModelListResponse",
    ] {
        assert!(
            keys.iter().any(|k| k == wanted),
            "no example for {wanted}: {keys:?}"
        );
    }
    for resource in ["Container", "File", "Evaluator", "Dataset"] {
        assert!(
            keys.iter().filter(|k| k.contains(resource)).count() >= 2,
            "request and response examples for {resource}: {keys:?}"
        );
    }
}

#[test]
fn a_broken_example_is_caught() {
    // The check above can fail: a wrong type and an unknown field are both reported.
    let wrong = round_trip_as(
        "ErrorResponse",
        serde_json::json!({"error": {"code": 1, "message": "m"}}),
    )
    .unwrap();
    assert!(wrong.is_err());
    let extra = serde_json::json!({"error": {"code": "c", "message": "m", "unknown": true}});
    let back = round_trip_as("ErrorResponse", extra.clone())
        .unwrap()
        .unwrap();
    assert!(contains(&extra, &back, "")
        .unwrap_err()
        .contains("/error/unknown"));
}
