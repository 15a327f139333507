//! The spec: the API's wire shapes ([`api`]), the rule and result-code
//! catalogs ([`catalog`]) and the rule ids the code names ([`rule_id`]),
//! the documents generated from them ([`schema`]), the strict YAML reading
//! they share ([`yaml`]) and the control plane's contract
//! ([`control_plane`]).

pub mod api;
pub mod catalog;
pub mod control_plane;
pub mod docs;
pub mod id_branches;
pub mod rule_id;
pub mod schema;
pub mod validate;
pub mod yaml;

pub use api::{
    CancelRequest, CancelResponse, InquiryRequest, InquiryResponse, PaymentStatus, ResultInfo,
    ResultStatus,
};
pub use catalog::{Catalog, Rule};
pub use rule_id::RuleId;
pub use yaml::YamlError;
