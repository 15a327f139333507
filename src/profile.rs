//! Acquirer profiles: the named behaviours the sources disagree on.
//!
//! The seed (the vendor's APO cancel guide) and the vendor's Antom guides
//! describe two acquirers that answer a cancel differently in a few places:
//! where the cancellable period starts, and which kinds of method exist.
//! (Whether a buyer can still submit a payment cancelled unpaid differs too,
//! but outside the API: the completed payment is refunded and reads
//! CANCELLED under both, per the vendor's payment-status pages.) Neither is wrong for its acquirer, so
//! the project keeps both: a rule or a case that holds for only one of them
//! names it (`profiles:` / `profile:`), the reference server plays one
//! (`serve --profile`), and a run checks one (`run --profile`), ignoring the
//! cases of the others with the reason. INTERPRETING.md §9 describes each.

use serde::{Deserialize, Serialize};

/// One acquirer's behaviour where the sources disagree.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Deserialize,
    Serialize,
    schemars::JsonSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The seed's acquirer (APO): windows count from payment; card and
    /// wallet methods only.
    #[default]
    Apo,
    /// The Antom guides: windows count from the order placement; methods
    /// never cancellable, or cancellable only before payment, exist too.
    Antom,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Apo, Profile::Antom];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Apo => "apo",
            Profile::Antom => "antom",
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a case that belongs to `case` is not run when the run checks `run`;
/// `None` when it applies.
pub fn reason_to_skip(case: Option<Profile>, run: Profile) -> Option<String> {
    let case = case?;
    (case != run).then(|| {
        format!("belongs to profile `{case}`; this run checks profile `{run}` (--profile {case} runs it)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_of_another_profile_is_skipped_with_both_names() {
        assert_eq!(reason_to_skip(None, Profile::Antom), None);
        assert_eq!(reason_to_skip(Some(Profile::Apo), Profile::Apo), None);
        let reason = reason_to_skip(Some(Profile::Antom), Profile::Apo).expect("skipped");
        assert!(
            reason.contains("`antom`") && reason.contains("`apo`"),
            "{reason}"
        );
    }
}
