use super::*;

const ONE_CODE: &str = "codes:\n  - code: SUCCESS\n    status: S\n    meaning: m\n    action: a\n    confirmed: true\n    source: s\n";

#[test]
fn the_embedded_catalogs_load() {
    let catalog = Catalog::embedded().unwrap_or_else(|err| panic!("{err}"));
    assert!(!catalog.rules.is_empty());
    assert_eq!(
        catalog.code("SUCCESS").map(|c| c.status),
        Some(ResultStatus::S)
    );
}

#[test]
fn an_unknown_key_in_a_rule_is_located() {
    let rules = "rules:\n  - id: a.b\n    level: MUST\n    side: server\n    statement: s\n    source: s\n    sauce: x\n";
    let err = Catalog::parse(rules, ONE_CODE).expect_err("unknown key");
    assert_eq!(err.line, 7, "{err}");
    assert!(err.to_string().starts_with("spec/rules.yaml:7:"), "{err}");
}

#[test]
fn an_assumption_without_reason_is_located() {
    let rules = "rules:\n  - id: a.b\n    level: MUST\n    side: server\n    statement: s\n    source: s\n  - id: a.c\n    level: MAY\n    side: client\n    statement: s\n    source: s\n    assumption: true\n";
    let err = Catalog::parse(rules, ONE_CODE).expect_err("no reason");
    assert_eq!(err.line, 7, "{err}");
    assert!(err.message.contains("reason"), "{err}");
}

#[test]
fn a_duplicate_rule_id_is_located() {
    let rules = "rules:\n  - id: a.b\n    level: MUST\n    side: server\n    statement: s\n    source: s\n  - id: a.b\n    level: MUST\n    side: server\n    statement: s\n    source: s\n";
    let err = Catalog::parse(rules, ONE_CODE).expect_err("duplicate");
    assert_eq!(err.line, 7, "{err}");
}

/// Every entry of both catalogs says what it rests on and where it was
/// read; a rule or code added without them is named here.
#[test]
fn every_entry_has_sources_and_a_basis() {
    let catalog = Catalog::embedded().unwrap_or_else(|err| panic!("{err}"));
    let unsourced: Vec<&str> = catalog
        .rules
        .iter()
        .filter(|rule| rule.basis.is_none() || rule.sources.is_empty())
        .map(|rule| rule.id.value.as_str())
        .chain(
            catalog
                .codes
                .iter()
                .filter(|code| code.basis.is_none() || code.sources.is_empty())
                .map(|code| code.code.value.as_str()),
        )
        .collect();
    assert!(
        unsourced.is_empty(),
        "entries without `basis:` or `sources:`: {unsourced:?}"
    );
}

const SOURCED: &str = "rules:\n  - id: a.b\n    level: MUST\n    side: server\n    statement: s\n    source: s\n    basis: vendor-docs\n    sources:\n      - url: https://example.com/doc\n        says: it says so\n";

#[test]
fn a_sourced_rule_loads() {
    let catalog = Catalog::parse(SOURCED, ONE_CODE).unwrap_or_else(|err| panic!("{err}"));
    let rule = &catalog.rules[0];
    assert_eq!(
        rule.basis.as_ref().map(|b| b.value),
        Some(Basis::VendorDocs)
    );
    assert_eq!(rule.sources[0].place(), "https://example.com/doc");
}

#[test]
fn an_assumption_basis_without_assumption_is_located() {
    let rules = SOURCED.replace("basis: vendor-docs", "basis: assumption");
    let err = Catalog::parse(&rules, ONE_CODE).expect_err("basis/assumption mismatch");
    assert_eq!((err.line, err.column), (7, 12), "{err}");
    assert!(err.message.contains("assumption: false"), "{err}");
}

#[test]
fn an_assumption_needs_the_assumption_basis() {
    let rules = SOURCED.replace(
        "    basis: vendor-docs\n",
        "    assumption: true\n    reason: r\n    basis: sdk\n",
    );
    let err = Catalog::parse(&rules, ONE_CODE).expect_err("assumption with basis sdk");
    assert_eq!(err.line, 9, "{err}");
}

#[test]
fn an_unknown_basis_is_located() {
    let rules = SOURCED.replace("basis: vendor-docs", "basis: hearsay");
    let err = Catalog::parse(&rules, ONE_CODE).expect_err("unknown basis");
    assert_eq!(err.line, 7, "{err}");
}

#[test]
fn a_source_with_an_unknown_key_is_located() {
    let rules = SOURCED.replace("says: it says so", "says: it says so\n        said: x");
    let err = Catalog::parse(&rules, ONE_CODE).expect_err("unknown key in source");
    assert_eq!(err.line, 11, "{err}");
    assert!(err.to_string().starts_with("spec/rules.yaml:11:"), "{err}");
}

#[test]
fn a_source_names_exactly_one_place() {
    let both = SOURCED.replace(
        "      - url: https://example.com/doc\n",
        "      - url: https://example.com/doc\n        repo: o/n p@1\n",
    );
    let err = Catalog::parse(&both, ONE_CODE).expect_err("url and repo");
    assert!(err.message.contains("exactly one"), "{err}");
    let neither = SOURCED.replace(
        "      - url: https://example.com/doc\n        says",
        "      - says",
    );
    let err = Catalog::parse(&neither, ONE_CODE).expect_err("no place");
    assert!(err.message.contains("exactly one"), "{err}");
    assert_eq!(err.line, 9, "{err}");
}

#[test]
fn badly_formed_places_are_located() {
    let plain_http = SOURCED.replace("https://example.com", "http://example.com");
    let err = Catalog::parse(&plain_http, ONE_CODE).expect_err("http url");
    assert_eq!((err.line, err.column), (9, 14), "{err}");
    let no_version = SOURCED.replace(
        "url: https://example.com/doc",
        "repo: alipay/global-open-sdk-go com/alipay/api/defaultAlipayClient.go",
    );
    let err = Catalog::parse(&no_version, ONE_CODE).expect_err("repo without version");
    assert!(err.message.contains("path@version"), "{err}");
}

#[test]
fn a_confirmed_code_must_rest_on_the_vendors_word() {
    let codes = format!(
        "{ONE_CODE}    basis: assumption\n    sources:\n      - url: https://example.com/c\n        says: s\n"
    );
    let err = Catalog::parse("rules: []\n", &codes).expect_err("confirmed assumption");
    assert_eq!(err.line, 8, "{err}");
    let unconfirmed = codes.replace("confirmed: true", "confirmed: false");
    Catalog::parse("rules: []\n", &unconfirmed).unwrap_or_else(|err| panic!("{err}"));
}

/// The reports show a deviation's level and basis by these names (in
/// JSON through serde, in text through Display): as the catalog spells
/// them.
#[test]
fn levels_and_bases_are_shown_as_the_catalog_spells_them() {
    for level in [Level::Must, Level::Should, Level::May] {
        let json = serde_json::to_value(level).expect("serialises");
        assert_eq!(json, serde_json::json!(level.as_str()));
        assert_eq!(level.to_string(), level.as_str());
    }
    for basis in [
        Basis::Seed,
        Basis::VendorDocs,
        Basis::Sdk,
        Basis::Assumption,
    ] {
        let json = serde_json::to_value(basis).expect("serialises");
        assert_eq!(json, serde_json::json!(basis.as_str()));
        assert_eq!(basis.to_string(), basis.as_str());
        let read: Basis = serde_json::from_value(json).expect("reads back");
        assert_eq!(read, basis);
    }
}

#[test]
fn a_bad_status_is_located() {
    let codes = ONE_CODE.replace("status: S", "status: X");
    let rules = "rules: []\n";
    let err = Catalog::parse(rules, &codes).expect_err("bad status");
    assert_eq!(err.line, 3, "{err}");
}
