//! The matrix file: the implementations one `cancel-conformance matrix` run
//! judges, each a client (through its adapter) or a server (an endpoint, or
//! the embedded reference server). An implementation's settings are the
//! settings of its half exactly as `cancel-conformance.yaml` spells them (the
//! `client:` section for a client, the top-level keys for a server), read
//! into the same types, so the matrix never lags behind a new setting.
//!
//! Read strictly like every YAML file of the project: an unknown key, a
//! duplicate key or a wrong type is an error at file:line:column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde_json::{Value, json};
use serde_saphyr::Spanned;

use crate::config_file::{ClientSection, ConfigFile};
use crate::spec::yaml::{self, YamlError};

/// The `endpoint` that names the embedded reference server.
pub const EMBEDDED: &str = "embedded";

/// A whole matrix file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Matrix")]
pub struct MatrixFile {
    /// The cases directory (holding `server/` and `client/`) every
    /// implementation is judged with, relative to this file [default: as
    /// `run` and `client` find it].
    pub cases: Option<PathBuf>,
    /// The implementations, in the order of the page's columns.
    #[schemars(with = "Vec<Implementation>", length(min = 1))]
    pub implementations: Vec<Spanned<Implementation>>,
}

/// One implementation: a column of the page.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = exactly_one_half)]
pub struct Implementation {
    /// The column's name, unique in the file (`python-sdk-1.7.1`).
    #[schemars(
        with = "String",
        length(min = 1, max = 80),
        regex(pattern = r"^[^\s/]+$")
    )]
    pub name: Spanned<String>,
    /// One line about it for the page (a version, where it came from).
    pub description: Option<String>,
    /// A client, judged through its adapter by `cancel-conformance client`:
    /// the keys of the `client:` section of cancel-conformance.yaml
    /// (`adapter` is required). Commands and paths are relative to this
    /// file's directory, where the adapter runs.
    #[serde(default)]
    #[schemars(schema_with = "client_schema")]
    pub client: Option<Spanned<ClientSection>>,
    /// A server, judged by `cancel-conformance run`: the top-level keys of
    /// cancel-conformance.yaml. `endpoint: embedded` (or no endpoint) is a
    /// reference server of its own, started for this implementation.
    /// Paths are relative to this file.
    #[serde(default)]
    #[schemars(schema_with = "server_schema")]
    pub server: Option<Spanned<ConfigFile>>,
}

/// Which half judges an implementation, with its settings.
#[derive(Debug, Clone)]
pub enum Judged {
    Client(ClientSection),
    Server(Box<ConfigFile>),
}

impl Judged {
    pub fn half(&self) -> &'static str {
        match self {
            Judged::Client(_) => "client",
            Judged::Server(_) => "server",
        }
    }
}

/// An implementation as the runner needs it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub description: Option<String>,
    pub judged: Judged,
}

impl Entry {
    /// The embedded reference server, or the endpoint; `None` for a client.
    pub fn endpoint(&self) -> Option<Option<&str>> {
        match &self.judged {
            Judged::Client(_) => None,
            Judged::Server(server) => Some(
                server
                    .endpoint
                    .as_deref()
                    .filter(|endpoint| *endpoint != EMBEDDED),
            ),
        }
    }
}

/// A matrix file as read and checked.
#[derive(Debug, Clone)]
pub struct Matrix {
    pub file: PathBuf,
    /// Where the implementations run and their paths are relative to.
    pub dir: PathBuf,
    pub cases: Option<PathBuf>,
    pub entries: Vec<Entry>,
}

/// Reads a matrix file strictly; every error is at its file:line:column.
pub fn load(file: &Path) -> Result<Matrix, YamlError> {
    let parsed: MatrixFile = yaml::load(file)?;
    let mut seen: BTreeMap<String, serde_saphyr::Location> = BTreeMap::new();
    let mut entries = Vec::new();
    for spanned in parsed.implementations {
        let implementation = spanned.value;
        let name = implementation.name.value.clone();
        let at = implementation.name.referenced;
        // A name is a column of the page and a word in the terminal: no
        // space, `/` or control character (shown escaped in the message).
        if name.is_empty()
            || name.contains(char::is_whitespace)
            || name.contains('/')
            || name.contains(char::is_control)
        {
            return Err(YamlError::at(
                file,
                at,
                format!(
                    "implementation name `{}` must be non-empty, without spaces, `/` or control characters",
                    crate::wire::text::escape_controls(&name)
                ),
            ));
        }
        if let Some(first) = seen.insert(name.clone(), at) {
            return Err(YamlError::at(
                file,
                at,
                format!(
                    "a second implementation named `{name}` (the first is at line {}); names are the page's columns and must differ",
                    first.line()
                ),
            ));
        }
        let judged = match (implementation.client, implementation.server) {
            (Some(client), None) => {
                if client.value.reports.is_some() {
                    return Err(YamlError::at(
                        file,
                        client.referenced,
                        format!(
                            "implementation `{name}`: `reports:` is not set per implementation; give --json and --html to `matrix`"
                        ),
                    ));
                }
                if client.value.adapter.is_none() {
                    return Err(YamlError::at(
                        file,
                        client.referenced,
                        format!("implementation `{name}`: a client needs `adapter: CMD ARGS`"),
                    ));
                }
                Judged::Client(client.value)
            }
            (None, Some(server)) => {
                for (key, present, instead) in [
                    (
                        "reports",
                        server.value.reports.is_some(),
                        "give --json and --html to `matrix`",
                    ),
                    (
                        "client",
                        server.value.client.is_some(),
                        "a client is an implementation of its own, with `client:`",
                    ),
                ] {
                    if present {
                        return Err(YamlError::at(
                            file,
                            server.referenced,
                            format!(
                                "implementation `{name}`: `{key}:` is not a setting of a server here; {instead}"
                            ),
                        ));
                    }
                }
                Judged::Server(Box::new(server.value))
            }
            (Some(_), Some(_)) | (None, None) => {
                return Err(YamlError::at(
                    file,
                    at,
                    format!(
                        "implementation `{name}` needs exactly one of `client:` (judged through an adapter) and `server:` (an endpoint, or `endpoint: embedded`)"
                    ),
                ));
            }
        };
        entries.push(Entry {
            name,
            description: implementation.description,
            judged,
        });
    }
    if entries.is_empty() {
        return Err(YamlError {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            message: "`implementations:` lists none".to_string(),
        });
    }
    let dir = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(Matrix {
        file: file.to_path_buf(),
        dir,
        cases: parsed.cases,
        entries,
    })
}

/// The schema of a section, without the keys a matrix sets for every
/// implementation at once.
fn section_schema<T: JsonSchema>(
    generator: &mut SchemaGenerator,
    drop: &[&str],
    describe: &[(&str, &str)],
) -> Schema {
    let mut schema = T::json_schema(generator);
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for key in drop {
            properties.remove(*key);
        }
        for (key, description) in describe {
            if let Some(property) = properties.get_mut(*key).and_then(Value::as_object_mut) {
                property.insert("description".into(), Value::String(description.to_string()));
            }
        }
    }
    schema
}

fn client_schema(generator: &mut SchemaGenerator) -> Schema {
    let mut schema = section_schema::<ClientSection>(
        generator,
        &["reports"],
        &[
            (
                "adapter",
                "The adapter command, started in this file's directory once per case (exec'd directly, or through `sh -c` when it uses shell syntax; INTERPRETING.md §8).",
            ),
            (
                "tls",
                "Serve the scripted provider over HTTPS with a self-signed certificate (CC_CA_CERT).",
            ),
            (
                "expectations",
                "The client's known deviations, relative to this file.",
            ),
        ],
    );
    schema.insert("required".into(), json!(["adapter"]));
    schema
}

fn server_schema(generator: &mut SchemaGenerator) -> Schema {
    section_schema::<ConfigFile>(
        generator,
        &["reports", "client"],
        &[
            (
                "endpoint",
                "Base URL of the server to judge, or `embedded` (the default): a reference server started for this implementation alone.",
            ),
            (
                "fixtures",
                "Fixtures file for a target without the control plane, relative to this file.",
            ),
            (
                "expectations",
                "The server's known deviations, relative to this file.",
            ),
        ],
    )
}

fn exactly_one_half(schema: &mut Schema) {
    schema.insert(
        "oneOf".into(),
        // Each branch names its property too: Ajv's strict mode wants every
        // required property defined where it is required.
        json!([
            {"properties": {"client": true}, "required": ["client"]},
            {"properties": {"server": true}, "required": ["server"]}
        ]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Matrix, YamlError> {
        let dir = std::env::temp_dir().join(format!("cc-matrix-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join(format!(
            "m{}.yaml",
            text.len() + text.bytes().map(usize::from).sum::<usize>()
        ));
        std::fs::write(&file, text).expect("write");
        load(&file)
    }

    #[test]
    fn both_halves_read_their_settings_from_the_config_types() {
        let matrix = parse(
            "cases: ../cases\nimplementations:\n  - name: sdk\n    client:\n      adapter: python a.py\n      tls: true\n      max_attempts: 3\n  - name: ref\n    server:\n      endpoint: embedded\n      key_version: 2\n  - name: remote\n    server:\n      endpoint: http://127.0.0.1:9\n",
        )
        .expect("loads");
        assert_eq!(matrix.cases, Some(PathBuf::from("../cases")));
        let [sdk, reference, remote] = &matrix.entries[..] else {
            panic!("three entries: {:?}", matrix.entries);
        };
        match &sdk.judged {
            Judged::Client(client) => {
                assert_eq!(client.adapter.as_deref(), Some("python a.py"));
                assert_eq!((client.tls, client.max_attempts), (Some(true), Some(3)));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(sdk.endpoint(), None);
        assert_eq!(reference.endpoint(), Some(None));
        assert_eq!(remote.endpoint(), Some(Some("http://127.0.0.1:9")));
        match &reference.judged {
            Judged::Server(server) => assert_eq!(server.key_version.as_deref(), Some("2")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_keys_are_located() {
        let err = parse(
            "implementations:\n  - name: a\n    client:\n      adapter: x\n      retries: 3\n",
        )
        .expect_err("unknown key");
        assert_eq!((err.line, err.column), (5, 7), "{err}");
        assert!(err.message.contains("retries"), "{err}");
        let err = parse("implementations:\n  - name: a\n    srever:\n      endpoint: x\n")
            .expect_err("unknown key");
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn an_implementation_is_one_half_with_a_unique_name() {
        let err = parse("implementations:\n  - name: a\n    description: nothing\n")
            .expect_err("no half");
        assert!(err.message.contains("exactly one of"), "{err}");
        assert_eq!(err.line, 2, "{err}");
        let err =
            parse("implementations:\n  - name: a\n    server: {}\n  - name: a\n    server: {}\n")
                .expect_err("duplicate name");
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("first is at line 2"), "{err}");
        let err = parse("implementations:\n  - name: a\n    client:\n      tls: true\n")
            .expect_err("no adapter");
        assert!(err.message.contains("adapter"), "{err}");
        let err = parse(
            "implementations:\n  - name: a\n    server:\n      reports:\n        json: x.json\n",
        )
        .expect_err("reports per implementation");
        assert!(err.message.contains("--json"), "{err}");
        let err = parse("implementations: []\n").expect_err("none");
        assert!(err.message.contains("lists none"), "{err}");
    }
}
