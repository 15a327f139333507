//! Finding and reading the case files — the suite embedded in the binary,
//! or a directory given with `--cases` — and checking them. A case that
//! cannot be read, or that cites a rule that does not exist, becomes a bug
//! in the case with its file:line:column — never a failure of the target.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;

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

/// What the loader and the trials need of a case format: the server's
/// (`server_half::case`) and the client's (`client_half::case`). The
/// loader and the trials are written once, for any format.
pub trait CaseFormat: DeserializeOwned + Send + Sync + 'static {
    /// The folder of this half below the cases directory (`server`).
    const FOLDER: &'static str;
    /// The checks the schema cannot express (cited rules exist, codes are
    /// known, ...): a case that fails one is a bug in the case.
    fn check(self, file: &Path, catalog: &Catalog) -> Result<Self, YamlError>;
    /// The checks across the cases of a run, once all are read.
    fn check_together(_cases: &mut [Loaded<Self>]) {}
    fn description(&self) -> &String;
    fn rules(&self) -> &[Spanned<String>];
    /// The suite version that added the case (`since:`).
    fn since(&self) -> &str;
    /// Whether the case waits on purpose (a held answer, a timeout): the
    /// harness starts those first, so their idle time overlaps the rest.
    fn waits_on_purpose(&self) -> bool;
}

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

/// Every case of format `T` in `source`, checked, sorted by name.
pub fn cases<T: CaseFormat>(
    source: &CaseSource,
    catalog: &Catalog,
) -> Result<Vec<Loaded<T>>, LoadError> {
    let mut cases = load_files(source, T::FOLDER, |file, case: T| case.check(file, catalog))?;
    T::check_together(&mut cases);
    Ok(cases)
}

/// Every case of format `T` below `dir/<its folder>` (e.g. `cases/server`).
pub fn cases_in<T: CaseFormat>(dir: &Path, catalog: &Catalog) -> Result<Vec<Loaded<T>>, LoadError> {
    cases(&CaseSource::Dir(dir.to_path_buf()), catalog)
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

/// Every cited rule exists (every case format's first check).
pub(crate) fn check_rules_cited(
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
pub(crate) fn check_since(file: &Path, since: &Spanned<String>) -> Result<(), YamlError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::server_half::case::Case;

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
        let err = cases_in::<Case>(
            Path::new("no-such-dir"),
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
        let embedded = cases::<Case>(&CaseSource::Embedded, &catalog).expect("embedded");
        let on_disk = cases_in::<Case>(&tree, &catalog).expect("tree");
        let names =
            |cases: &[Loaded<Case>]| cases.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&embedded), names(&on_disk));
        assert!(embedded.iter().all(|case| case.case.is_ok()));
    }
}
