//! Every generated document of the project, in one list: the API's message
//! schemas and OpenAPI document ([`crate::spec::schema`]), and the schemas
//! of the files people write for the tool — server and client cases, the
//! matrix file, the results file the tool writes (`--json`) and the
//! adapter protocol's messages ([`crate::adapter_protocol`]). It sits above the spec,
//! the suite and the matrix, so the spec never imports the runner's types.

use crate::spec::schema::{Dialect, Documents, add_root, generate_api};

/// Every generated document in `dialect`, by file name under `spec/`.
pub fn generate(dialect: Dialect) -> Documents {
    let mut docs = generate_api(dialect);
    add_root::<crate::suite::server_half::case::Case>(&mut docs, dialect, "case");
    add_root::<crate::suite::client_half::case::ClientCase>(&mut docs, dialect, "client-case");
    add_root::<crate::matrix::file::MatrixFile>(&mut docs, dialect, "matrix");
    add_root::<crate::suite::report::file::ResultsFile>(&mut docs, dialect, "results");
    use crate::adapter_protocol::messages as adapter;
    add_root::<adapter::Operation>(&mut docs, dialect, "adapter-operation");
    add_root::<adapter::HelloAnswer>(&mut docs, dialect, "adapter-hello-answer");
    add_root::<adapter::CancelAnswer>(&mut docs, dialect, "adapter-cancel-answer");
    add_root::<adapter::NotifyAnswer>(&mut docs, dialect, "adapter-notify-answer");
    add_root::<adapter::StatusAnswer>(&mut docs, dialect, "adapter-status-answer");
    add_root::<adapter::NotificationBody>(&mut docs, dialect, "adapter-notification-body");
    docs
}
