//! `cancel-conformance schema` and `validate`: the specification's files
//! written out, and one captured message checked against them.

use std::path::Path;
use std::process::ExitCode;

use crate::spec::schema::{self, Dialect};
use crate::spec::validate::{self, Message};

/// `cancel-conformance schema --out DIR`.
pub fn schema(out: &Path, draft: Dialect) -> ExitCode {
    if let Err(err) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot create {}: {err}", out.display());
        return ExitCode::from(2);
    }
    for (name, doc) in crate::documents::generate(draft) {
        let path = out.join(&name);
        if let Err(err) = std::fs::write(&path, schema::render(&doc)) {
            eprintln!("error: cannot write {}: {err}", path.display());
            return ExitCode::from(2);
        }
        super::out(format_args!("wrote {}\n", path.display()));
    }
    ExitCode::SUCCESS
}

/// `cancel-conformance validate --message M FILE`.
pub fn validate(message: Message, file: &Path) -> ExitCode {
    let text = if file == Path::new("-") {
        let mut text = String::new();
        // Standard input is capped like any file the tool reads.
        let mut stdin = std::io::Read::take(std::io::stdin(), crate::input_file::MAX_INPUT_BYTES);
        match std::io::Read::read_to_string(&mut stdin, &mut text) {
            Ok(_) => text,
            Err(err) => {
                eprintln!("error: cannot read standard input: {err}");
                return ExitCode::from(2);
            }
        }
    } else {
        match crate::input_file::read_text(file) {
            Ok(text) => text,
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::from(2);
            }
        }
    };
    let instance: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(err) => {
            super::out(format_args!(
                "{}:{}:{}: not JSON: {err}\n",
                file.display(),
                err.line(),
                err.column()
            ));
            return ExitCode::FAILURE;
        }
    };
    let violations = validate::validate(message, &instance);
    if violations.is_empty() {
        super::out(format_args!(
            "{}: a valid {}\n",
            file.display(),
            message.name()
        ));
        return ExitCode::SUCCESS;
    }
    super::out(format_args!(
        "{}: not a valid {} ({} violation{}):\n",
        file.display(),
        message.name(),
        violations.len(),
        if violations.len() == 1 { "" } else { "s" }
    ));
    for violation in violations {
        super::out(format_args!("  {violation}\n"));
    }
    ExitCode::FAILURE
}
