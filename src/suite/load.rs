//! Finding and reading the case files — the suite embedded in the binary,
//! or a directory given with `--cases` — and checking them. A case that
//! cannot be read, or that cites a rule that does not exist, becomes a bug
//! in the case with its file:line:column — never a failure of the target.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;

use super::case::{By, Case, Fixture, Step, Which, parse_duration};
use super::client_half::case::{ClientCase, ClientStep};
use super::pending::Version;
use crate::spec::catalog::Catalog;
use crate::spec::yaml::{self, YamlError};

/// One case file: its permanent name and what could be made of it.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// The path below the cases directory without `.yaml`: the test's name.
    pub name: String,
    /// The file, as found (for messages).
    pub file: PathBuf,
    pub case: Result<T, YamlError>,
}

/// A server case file.
pub type LoadedCase = Loaded<Case>;
/// A client case file.
pub type LoadedClientCase = Loaded<ClientCase>;

/// Why the case files of a directory cannot be loaded at all (one file
/// that cannot be read is a bug in that case instead).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the cases under {}: {source}", dir.display())]
    Unreadable {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no case files (*.yaml) under {}: point --cases at the project's cases/ directory",
        dir.display()
    )]
    NoCaseFiles { dir: PathBuf },
}

/// Where a run's cases come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseSource {
    /// The suite built into the binary (`build.rs`, [`super::embedded`]).
    Embedded,
    /// A cases directory given with `--cases` (or `cases:`): it holds
    /// `server/` and `client/` as `cases/` does.
    Dir(PathBuf),
}

impl CaseSource {
    /// The source of a run: the directory given, else the embedded suite.
    pub fn of(given: Option<&Path>) -> Self {
        given.map_or(CaseSource::Embedded, |dir| {
            CaseSource::Dir(dir.to_path_buf())
        })
    }

    /// The suite's line in every report: which version, from where.
    pub fn describe(&self) -> String {
        let version = super::embedded::SUITE_VERSION;
        match self {
            CaseSource::Embedded => format!("{version} (embedded)"),
            CaseSource::Dir(dir) => format!("{version} with the cases of {}", dir.display()),
        }
    }
}

/// Every server case below `dir/<half>` (e.g. `cases/server`), checked.
pub fn load_cases(dir: &Path, half: &str, catalog: &Catalog) -> Result<Vec<LoadedCase>, LoadError> {
    load_cases_from(&CaseSource::Dir(dir.to_path_buf()), half, catalog)
}

/// Every server case of `source` below `<half>`, checked.
pub fn load_cases_from(
    source: &CaseSource,
    half: &str,
    catalog: &Catalog,
) -> Result<Vec<LoadedCase>, LoadError> {
    let mut cases = load_files(source, half, |file, case| check_case(file, case, catalog))?;
    check_fixture_names_agree(&mut cases);
    Ok(cases)
}

/// Every client case below `dir/client`, checked.
pub fn load_client_cases(
    dir: &Path,
    catalog: &Catalog,
) -> Result<Vec<LoadedClientCase>, LoadError> {
    load_client_cases_from(&CaseSource::Dir(dir.to_path_buf()), catalog)
}

/// Every client case of `source`, checked.
pub fn load_client_cases_from(
    source: &CaseSource,
    catalog: &Catalog,
) -> Result<Vec<LoadedClientCase>, LoadError> {
    load_files(source, "client", |file, case: ClientCase| {
        check_rules_cited(file, &case.rules, catalog)?;
        check_since(file, &case.since)?;
        for step in &case.steps {
            if let ClientStep::Cancel(cancel) = &step.value
                && let Some(code) = &cancel.expect.result_code
                && catalog.code(code).is_none()
                && !case.scripts_code(code)
            {
                return Err(YamlError::at(
                    file,
                    step.referenced,
                    format!("result code `{code}` is not in spec/result-codes.yaml"),
                ));
            }
        }
        Ok(case)
    })
}

/// Every case file of `source` below `<half>`, sorted by name, read and
/// checked.
fn load_files<T: DeserializeOwned>(
    source: &CaseSource,
    half: &str,
    check: impl Fn(&Path, T) -> Result<T, YamlError>,
) -> Result<Vec<Loaded<T>>, LoadError> {
    match source {
        CaseSource::Dir(dir) => load_dir(dir, half, check),
        CaseSource::Embedded => Ok(load_embedded(half, check)),
    }
}

/// The embedded case files below `<half>`, already sorted by path. Each
/// is named in messages as the source tree names it (`cases/server/...`),
/// which `cases export` reproduces.
fn load_embedded<T: DeserializeOwned>(
    half: &str,
    check: impl Fn(&Path, T) -> Result<T, YamlError>,
) -> Vec<Loaded<T>> {
    super::embedded::files_of(half)
        .map(|(relative, text)| {
            let file = Path::new("cases").join(relative);
            let name = relative
                .strip_suffix(".yaml")
                .unwrap_or(relative)
                .to_string();
            let case = yaml::parse::<T>(&file, text).and_then(|case| check(&file, case));
            Loaded { name, file, case }
        })
        .collect()
}

/// Every `*.yaml` below `dir/<half>`, sorted by name, read and checked.
/// Finding none is an error: a suite that runs nothing proves nothing.
fn load_dir<T: DeserializeOwned>(
    dir: &Path,
    half: &str,
    check: impl Fn(&Path, T) -> Result<T, YamlError>,
) -> Result<Vec<Loaded<T>>, LoadError> {
    let root = dir.join(half);
    let mut files = Vec::new();
    if let Err(source) = collect_yaml_files(&root, &mut files) {
        return Err(LoadError::Unreadable { dir: root, source });
    }
    if files.is_empty() {
        return Err(LoadError::NoCaseFiles { dir: root });
    }
    files.sort();
    Ok(files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(dir).unwrap_or(&file);
            let name = relative
                .with_extension("")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let case = yaml::load::<T>(&file).and_then(|case| check(&file, case));
            Loaded { name, file, case }
        })
        .collect())
}

/// Every cited rule exists.
fn check_rules_cited(
    file: &Path,
    rules: &[Spanned<String>],
    catalog: &Catalog,
) -> Result<(), YamlError> {
    if rules.is_empty() {
        return Err(YamlError {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            message:
                "`rules:` is empty: cite the rule ids from spec/rules.yaml that this case checks"
                    .into(),
        });
    }
    for rule in rules {
        if catalog.rule(&rule.value).is_none() {
            return Err(YamlError::at(
                file,
                rule.referenced,
                format!(
                    "rule `{}` is not in spec/rules.yaml: cite an existing id, or add the rule first",
                    rule.value
                ),
            ));
        }
    }
    Ok(())
}

/// `since:` is a suite version no newer than this suite: a case cannot have
/// been added by a release that does not exist yet.
fn check_since(file: &Path, since: &Spanned<String>) -> Result<(), YamlError> {
    let suite = super::embedded::SUITE_VERSION;
    match Version::parse(&since.value) {
        None => Err(YamlError::at(
            file,
            since.referenced,
            format!(
                "`since: {}` is not a suite version like {suite}: give the suite version that added this case",
                since.value
            ),
        )),
        Some(version) if Version::parse(suite).is_some_and(|suite| version > suite) => {
            Err(YamlError::at(
                file,
                since.referenced,
                format!(
                    "`since: {version}` is newer than this suite ({suite}): a new case carries the version of the next release, and Cargo.toml's version moves with it"
                ),
            ))
        }
        Some(_) => Ok(()),
    }
}

/// A case checks only rules that hold under every profile it runs in: a
/// case without `profile:` runs in all of them, so it may cite only rules
/// without `profiles:`.
fn check_profile_of_rules(file: &Path, case: &Case, catalog: &Catalog) -> Result<(), YamlError> {
    for rule in &case.rules {
        let Some(entry) = catalog.rule(&rule.value) else {
            continue;
        };
        let holds = match case.profile {
            Some(profile) => entry.holds_under(profile),
            None => entry.profiles.is_empty(),
        };
        if !holds {
            let only: Vec<&str> = entry.profiles.iter().map(|p| p.as_str()).collect();
            return Err(YamlError::at(
                file,
                rule.referenced,
                format!(
                    "rule `{}` holds only under profile {} but this case runs under {}: set `profile:` to one of those, or cite another rule",
                    rule.value,
                    only.join(", "),
                    case.profile
                        .map_or("every profile (no `profile:`)".to_string(), |p| format!(
                            "profile {p}"
                        )),
                ),
            ));
        }
    }
    Ok(())
}

/// Every `*.yaml` below `dir`. Symbolic links are not followed into
/// directories (a link can loop, or lead out of the tree), and a link to a
/// case file must stay inside the tree: either is an error naming the link.
fn collect_yaml_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let root = dir.canonicalize()?;
    collect_below(&root, dir, out)
}

fn collect_below(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let file_type = entry.file_type()?;
        if file_type.is_symlink() {
            let refused = |why: &str| {
                std::io::Error::other(format!(
                    "{} is a symbolic link {why}; the case walk does not follow it",
                    path.display()
                ))
            };
            let target = path
                .canonicalize()
                .map_err(|err| refused(&format!("that cannot be resolved ({err})")))?;
            if target.is_dir() {
                return Err(refused("to a directory"));
            }
            if path.extension().is_some_and(|ext| ext == "yaml") {
                if !target.starts_with(root) {
                    return Err(refused("to a file outside the cases"));
                }
                out.push(path);
            }
        } else if file_type.is_dir() {
            collect_below(root, &path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The checks the schema cannot express: cited rules exist, codes are
/// known, durations parse, and steps that act on a payment have one.
fn check_case(file: &Path, case: Case, catalog: &Catalog) -> Result<Case, YamlError> {
    let whole_file = |message: String| YamlError {
        file: file.to_path_buf(),
        line: 1,
        column: 1,
        message,
    };
    check_rules_cited(file, &case.rules, catalog)?;
    check_since(file, &case.since)?;
    check_profile_of_rules(file, &case, catalog)?;
    if case.steps.is_empty() {
        return Err(whole_file(
            "`steps:` is empty: a case needs at least one step".into(),
        ));
    }
    // Both payments: the run seeds each with its age, and a case whose
    // age cannot be read must never run as a payment paid just now.
    for fixture in [&case.fixture, &case.other_fixture].into_iter().flatten() {
        if let Some(age) = fixture.value.age.as_deref()
            && parse_duration(age).is_none()
        {
            return Err(YamlError::at(
                file,
                fixture.referenced,
                format!("fixture age `{age}` is not a duration like `10m` or `8d`"),
            ));
        }
    }
    for (index, spanned) in case.steps.iter().enumerate() {
        let number = index + 1;
        let step = &spanned.value;
        let bug = |message: String| YamlError::at(file, spanned.referenced, message);
        let needs = needed_payments(step);
        if let Some(bad) = bad_advance(step) {
            return Err(bug(bad));
        }
        for which in needs {
            let (present, key) = match which {
                Which::Fixture => (case.fixture.is_some(), "fixture"),
                Which::OtherFixture => (case.other_fixture.is_some(), "other_fixture"),
            };
            if !present {
                return Err(bug(format!(
                    "step {number} uses the ids of `{key}` but the case has no `{key}:`; add one or give the ids literally"
                )));
            }
        }
        let expect = match step {
            Step::Cancel(cancel) => Some(&cancel.expect),
            Step::Inquiry(inquiry) => Some(&inquiry.expect),
            _ => None,
        };
        if let Some(codes) = expect.and_then(|e| e.result_code.as_ref()) {
            for code in codes.as_slice() {
                let Some(entry) = catalog.code(code) else {
                    return Err(bug(format!(
                        "step {number}: result code `{code}` is not in spec/result-codes.yaml"
                    )));
                };
                if let Some(status) = expect.and_then(|e| e.result_status)
                    && status != entry.status
                {
                    return Err(bug(format!(
                        "step {number}: `{code}` always travels with status {}, but the step expects {status}",
                        entry.status
                    )));
                }
            }
        }
        if let Step::Fault(fault) = step
            && let Some(code) = &fault.code
            && catalog.code(code).map(|c| c.status) != Some(crate::spec::ResultStatus::U)
        {
            return Err(bug(format!(
                "step {number}: fault code `{code}` is not a U code of spec/result-codes.yaml"
            )));
        }
    }
    Ok(case)
}

/// The seeded payments a step takes ids from or acts on.
fn needed_payments(step: &Step) -> Vec<Which> {
    let from = |by: By,
                payment_id: &Option<String>,
                request_id: &Option<String>,
                id_of: Which,
                request_of: Which| {
        let mut needs = Vec::new();
        if matches!(by, By::PaymentId | By::Both) && payment_id.is_none() {
            needs.push(id_of);
        }
        if matches!(by, By::PaymentRequestId | By::Both) && request_id.is_none() {
            needs.push(request_of);
        }
        needs
    };
    match step {
        Step::Cancel(cancel) if cancel.raw_body.is_some() => Vec::new(),
        Step::Cancel(cancel) => from(
            cancel.by,
            &cancel.payment_id,
            &cancel.payment_request_id,
            cancel.payment_id_of,
            cancel.payment_request_id_of,
        ),
        Step::Inquiry(inquiry) => from(
            inquiry.by,
            &inquiry.payment_id,
            &inquiry.payment_request_id,
            inquiry.of,
            inquiry.of,
        ),
        Step::Event(_) | Step::Fault(_) | Step::Advance(_) => vec![Which::Fixture],
    }
}

fn bad_advance(step: &Step) -> Option<String> {
    match step {
        Step::Advance(advance) if parse_duration(&advance.by).is_none() => Some(format!(
            "`advance.by: {}` is not a duration like `10m` or `8d`",
            advance.by
        )),
        _ => None,
    }
}

/// A fixture name must mean one payment everywhere, since a sandbox user
/// prepares one payment per name.
fn check_fixture_names_agree(cases: &mut [LoadedCase]) {
    let mut first: BTreeMap<String, (Fixture, String)> = BTreeMap::new();
    for loaded in cases.iter_mut() {
        let Ok(case) = &loaded.case else { continue };
        let mut conflict = None;
        for spanned in case.fixture.iter().chain(&case.other_fixture) {
            let fixture = &spanned.value;
            match first.get(&fixture.name) {
                None => {
                    first.insert(fixture.name.clone(), (fixture.clone(), loaded.name.clone()));
                }
                Some((seen, seen_in)) if seen != fixture => {
                    conflict = Some(YamlError {
                        file: loaded.file.clone(),
                        line: spanned.referenced.line(),
                        column: spanned.referenced.column(),
                        message: format!(
                            "fixture `{}` is described differently in {seen_in}: one name, one payment — rename one of them",
                            fixture.name
                        ),
                    });
                }
                Some(_) => {}
            }
        }
        if let Some(error) = conflict {
            loaded.case = Err(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_come_from_the_binary_unless_a_directory_is_given() {
        assert_eq!(CaseSource::of(None), CaseSource::Embedded);
        assert_eq!(
            CaseSource::of(Some(Path::new("elsewhere"))),
            CaseSource::Dir(PathBuf::from("elsewhere"))
        );
        assert!(
            CaseSource::Embedded
                .describe()
                .contains(super::super::embedded::SUITE_VERSION)
        );
        let err = load_cases(
            Path::new("no-such-dir"),
            "server",
            &Catalog::embedded().expect("catalog"),
        )
        .expect_err("no such directory");
        assert!(matches!(err, LoadError::Unreadable { .. }), "{err}");
        assert!(err.to_string().contains("no-such-dir"), "{err}");
    }

    /// The embedded suite loads exactly as the tree it was built from.
    #[test]
    fn embedded_cases_load_as_the_tree() {
        let catalog = Catalog::embedded().expect("catalog");
        let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        let embedded =
            load_cases_from(&CaseSource::Embedded, "server", &catalog).expect("embedded");
        let on_disk = load_cases(&tree, "server", &catalog).expect("tree");
        let names = |cases: &[LoadedCase]| cases.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&embedded), names(&on_disk));
        assert!(embedded.iter().all(|case| case.case.is_ok()));
    }
}
