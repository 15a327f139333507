//! The shared corpus under `spec/corpus/`: instances of each message with the
//! verdict every validator must reach, and for the invalid ones the instance
//! path one violation must point at. The same files are run by Ajv and by
//! Python's `jsonschema` (`xlang/run.sh`); here they are run by the Rust
//! validator the suite itself uses, and checked against the generated
//! schemas so that every example the schemas carry is in the corpus.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cancel_conformance::documents::generate;
use cancel_conformance::spec::schema::Dialect;
use cancel_conformance::spec::validate::{Message, validate};
use serde::Deserialize;
use serde_json::Value;

/// The message kinds the corpus holds, by the name used in its files.
const MESSAGES: [(&str, Message); 4] = [
    ("cancel-request", Message::CancelRequest),
    ("cancel-response", Message::CancelResponse),
    ("inquiry-request", Message::InquiryRequest),
    ("inquiry-response", Message::InquiryResponse),
];

/// OpenAPI component names of the messages.
const COMPONENTS: [(&str, &str); 4] = [
    ("CancelRequest", "cancel-request"),
    ("CancelResponse", "cancel-response"),
    ("InquiryRequest", "inquiry-request"),
    ("InquiryResponse", "inquiry-response"),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    message: String,
    description: String,
    valid: bool,
    instance: Value,
    #[serde(default)]
    at: Option<String>,
}

struct Located {
    /// `spec/corpus/<file>#<index>`, for messages.
    place: String,
    entry: Entry,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/corpus")
}

fn message_named(name: &str) -> Option<Message> {
    MESSAGES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, message)| *message)
}

/// Every entry of every `spec/corpus/*.json` file, in file then array order.
fn corpus() -> Vec<Located> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("spec/corpus/ is readable")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "spec/corpus/ has no *.json file");
    let mut all = Vec::new();
    for file in files {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|err| panic!("spec/corpus/{name}: {err}"));
        let entries: Vec<Entry> = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("spec/corpus/{name} is not a list of entries: {err}"));
        for (index, entry) in entries.into_iter().enumerate() {
            all.push(Located {
                place: format!("spec/corpus/{name}#{index}"),
                entry,
            });
        }
    }
    all
}

#[test]
fn corpus_entries_are_well_formed() {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for Located { place, entry } in corpus() {
        let file_stem = place
            .trim_start_matches("spec/corpus/")
            .split(".json#")
            .next()
            .unwrap_or_default()
            .to_string();
        if message_named(&entry.message).is_none() {
            problems.push(format!("{place}: unknown message {:?}", entry.message));
        } else if file_stem != entry.message {
            problems.push(format!(
                "{place}: a {} entry in the {file_stem} file",
                entry.message
            ));
        }
        if entry.description.trim().is_empty() {
            problems.push(format!("{place}: empty description"));
        }
        match (&entry.at, entry.valid) {
            (Some(at), true) => problems.push(format!("{place}: valid, yet has at {at:?}")),
            (None, false) => problems.push(format!("{place}: invalid, but no `at`")),
            (Some(at), false) if entry.instance.pointer(at).is_none() => problems.push(format!(
                "{place}: at {at:?} points at nothing in the instance"
            )),
            _ => {}
        }
        if !seen.insert((entry.message.clone(), entry.instance.to_string())) {
            problems.push(format!(
                "{place}: the same {} instance is already in the corpus",
                entry.message
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_rust_validator_agrees_with_every_corpus_entry() {
    let entries = corpus();
    let mut disagreements = Vec::new();
    for Located { place, entry } in &entries {
        let Some(message) = message_named(&entry.message) else {
            continue; // reported by corpus_entries_are_well_formed
        };
        let violations = validate(message, &entry.instance);
        let listed = || {
            violations
                .iter()
                .map(|v| format!("\n    {v}"))
                .collect::<String>()
        };
        match (entry.valid, &entry.at) {
            (true, _) if !violations.is_empty() => disagreements.push(format!(
                "{place} ({}): expected valid, got:{}",
                entry.description,
                listed()
            )),
            (false, _) if violations.is_empty() => disagreements.push(format!(
                "{place} ({}): expected invalid at {:?}, got valid",
                entry.description,
                entry.at.as_deref().unwrap_or_default()
            )),
            (false, Some(at)) if !violations.iter().any(|v| &v.instance_path == at) => {
                disagreements.push(format!(
                    "{place} ({}): expected a violation at {at:?}, got:{}",
                    entry.description,
                    listed()
                ))
            }
            _ => {}
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} corpus entries disagree with the Rust validator:\n{}",
        disagreements.len(),
        entries.len(),
        disagreements.join("\n")
    );
}

/// One example a generated document carries, with the message it is an
/// example of (None when the place does not say).
struct Example {
    place: String,
    message: Option<String>,
    value: Value,
}

/// Keywords whose value maps names to schemas: a child called `examples`
/// there is a schema (or a property name), not the keyword.
const NAME_MAPS: [&str; 6] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "schemas",
];

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The message whose schema sits at `pointer` in the generated `file`.
fn message_at(file: &str, pointer: &str) -> Option<String> {
    if pointer.is_empty() {
        let stem = file.strip_suffix(".schema.json")?;
        return message_named(stem).map(|_| stem.to_string());
    }
    if file == "openapi.json" {
        let component = pointer.strip_prefix("/components/schemas/")?;
        return COMPONENTS
            .iter()
            .find(|(name, _)| *name == component)
            .map(|(_, message)| message.to_string());
    }
    None
}

/// Every `examples` keyword anywhere in a generated document.
fn schema_examples(
    file: &str,
    value: &Value,
    pointer: &str,
    in_name_map: bool,
    out: &mut Vec<Example>,
) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                let child_pointer = format!("{pointer}/{}", escape(key));
                if !in_name_map
                    && key == "examples"
                    && let Value::Array(examples) = child
                {
                    for (index, example) in examples.iter().enumerate() {
                        out.push(Example {
                            place: format!("{file}#{child_pointer}/{index}"),
                            message: message_at(file, pointer),
                            value: example.clone(),
                        });
                    }
                    continue;
                }
                let names = !in_name_map && NAME_MAPS.contains(&key.as_str());
                schema_examples(file, child, &child_pointer, names, out);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                schema_examples(file, item, &format!("{pointer}/{index}"), false, out);
            }
        }
        _ => {}
    }
}

/// The OpenAPI media-type `example` / `examples` of every request body and
/// response, each tied to its message by the media type's schema `$ref`.
fn media_examples(doc: &Value, out: &mut Vec<Example>) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    let mut media = Vec::new();
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, operation) in item {
            let base = format!("/paths/{}/{method}", escape(path));
            if let Some(content) = operation
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
            {
                for (media_type, object) in content {
                    media.push((
                        format!("{base}/requestBody/content/{}", escape(media_type)),
                        object,
                    ));
                }
            }
            if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
                for (status, response) in responses {
                    let Some(content) = response.get("content").and_then(Value::as_object) else {
                        continue;
                    };
                    for (media_type, object) in content {
                        media.push((
                            format!("{base}/responses/{status}/content/{}", escape(media_type)),
                            object,
                        ));
                    }
                }
            }
        }
    }
    for (pointer, object) in media {
        let message = object
            .pointer("/schema/$ref")
            .and_then(Value::as_str)
            .and_then(|target| target.strip_prefix('#'))
            .and_then(|target| message_at("openapi.json", target));
        if let Some(example) = object.get("example") {
            out.push(Example {
                place: format!("openapi.json#{pointer}/example"),
                message: message.clone(),
                value: example.clone(),
            });
        }
        if let Some(examples) = object.get("examples").and_then(Value::as_object) {
            for (name, example) in examples {
                out.push(Example {
                    place: format!("openapi.json#{pointer}/examples/{}", escape(name)),
                    message: message.clone(),
                    value: example.get("value").cloned().unwrap_or(Value::Null),
                });
            }
        }
    }
}

#[test]
fn every_example_in_the_generated_documents_is_a_valid_corpus_entry() {
    let mut examples = Vec::new();
    for (file, doc) in generate(Dialect::Draft2020_12) {
        schema_examples(&file, &doc, "", false, &mut examples);
        if file == "openapi.json" {
            media_examples(&doc, &mut examples);
        }
    }
    assert!(
        examples.len() >= 4,
        "found only {} examples in the generated documents: is the search still right?",
        examples.len()
    );
    let corpus = corpus();
    let mut missing = Vec::new();
    for example in &examples {
        let Some(message) = &example.message else {
            missing.push(format!(
                "{}: an example of no message kind the corpus holds ({})",
                example.place, example.value
            ));
            continue;
        };
        let present = corpus.iter().any(|Located { entry, .. }| {
            entry.valid && &entry.message == message && entry.instance == example.value
        });
        if !present {
            missing.push(format!(
                "{}: add {{\"message\": \"{message}\", \"valid\": true, \"instance\": {}}} to spec/corpus/{message}.json",
                example.place, example.value
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} schema examples are not valid entries of spec/corpus:\n{}",
        missing.len(),
        examples.len(),
        missing.join("\n")
    );
}
