//! Acquirer profiles: the named behaviours the sources disagree on.
//!
//! The seed (the vendor's APO cancel guide) and the vendor's Antom guides
//! describe two acquirers that answer a cancel differently in a few places:
//! whether a buyer can still pay after an unpaid payment was cancelled, and
//! where the cancellable period starts. Neither is wrong for its acquirer, so
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
    /// The seed's acquirer (APO): a buyer can still pay after an unpaid
    /// payment is cancelled; windows count from payment; an unpaid payment
    /// has none.
    #[default]
    Apo,
    /// The Antom guides: a cancel before payment stops the buyer from
    /// paying (a late payment is refunded in full, the status stays
    /// CANCELLED); windows count from the order placement, unpaid or not.
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
