//! A test-only check of JUnit documents against the rules of the JUnit
//! schema that Jenkins' xUnit plugin validates reports with (`junit-10.xsd`,
//! the strictest of the common readers): which elements hold which, which
//! attributes each allows and requires, the form of `time`, plus that the
//! document is well formed and its counts agree with its testcases. Written
//! here from the schema's rules, so the check runs offline with no XML
//! library; it reads the subset of XML `junit::render` writes (no comments,
//! CDATA or processing instructions past the declaration).

use std::collections::BTreeMap;

/// Required attributes, optional attributes, child elements, and whether
/// text may appear in the element.
type Rule = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    bool,
);

/// What the schema allows of an element; `None` for one it does not know.
fn rules(element: &str) -> Option<Rule> {
    const RESULT: &[&str] = &["type", "message"];
    Some(match element {
        "testsuites" => (
            &[],
            &["name", "time", "tests", "failures", "errors"],
            &["testsuite"],
            false,
        ),
        "testsuite" => (
            &["name", "tests", "failures", "errors"],
            &[
                "group",
                "time",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "log",
                "url",
            ],
            &[
                "testsuite",
                "properties",
                "testcase",
                "system-out",
                "system-err",
            ],
            false,
        ),
        "properties" => (&[], &[], &["property"], false),
        "property" => (&["name", "value"], &[], &[], false),
        "testcase" => (
            &["name"],
            &["time", "classname", "group"],
            &[
                "skipped",
                "error",
                "failure",
                "rerunFailure",
                "rerunError",
                "flakyFailure",
                "flakyError",
                "system-out",
                "system-err",
            ],
            false,
        ),
        "failure" | "error" | "skipped" => (&[], RESULT, &[], true),
        "system-out" | "system-err" => (&[], &[], &[], true),
        _ => return None,
    })
}

/// A parsed element: its name, attributes and children.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: BTreeMap<String, String>,
    children: Vec<Element>,
}

/// Why a JUnit file breaks the schema, or is no XML the parser reads.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum XmlError {
    #[error("the XML declaration is missing")]
    NoDeclaration,
    #[error("the root is <{0}>, not <testsuites>")]
    Root(String),
    #[error("testsuite {attribute}=\"{found}\" but {expected} testcases say so")]
    Tally {
        attribute: &'static str,
        found: String,
        expected: String,
    },
    #[error("<{0}> is not a JUnit element")]
    Unknown(String),
    #[error("<{element}> lacks the required attribute {attribute}")]
    Lacks { element: String, attribute: String },
    #[error("<{element}> may not have the attribute {attribute}")]
    Attribute { element: String, attribute: String },
    #[error("<{element}> time=\"{value}\" is not a number of seconds")]
    Time { element: String, value: String },
    #[error("<{parent}> may not hold <{child}>")]
    Child { parent: String, child: String },
    #[error("an unclosed tag")]
    UnclosedTag,
    #[error("</{0}> closes nothing")]
    ClosesNothing(String),
    #[error("</{name}> closes <{open}>")]
    ClosesOther { name: String, open: String },
    #[error("<{0}> is never closed")]
    NeverClosed(String),
    #[error("no root element")]
    NoRoot,
    #[error("a second root <{0}>")]
    SecondRoot(String),
    #[error("<{0}>: an attribute without =\"")]
    NoEquals(String),
    #[error("an unclosed attribute value")]
    UnclosedValue,
    #[error("<{element}> {attribute}: a raw < in an attribute")]
    RawLess { element: String, attribute: String },
    #[error("<{element}> repeats {attribute}")]
    Repeats { element: String, attribute: String },
    #[error("text inside <{0}>, which allows none")]
    Text(String),
    #[error("an unterminated reference")]
    Unterminated,
    #[error("an unknown reference &{0};")]
    Reference(String),
}

/// Checks `xml`; the error says where and what.
pub(super) fn check(xml: &str) -> Result<(), XmlError> {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .ok_or(XmlError::NoDeclaration)?;
    let root = parse(body)?;
    if root.name != "testsuites" {
        return Err(XmlError::Root(root.name));
    }
    validate(&root)?;
    for suite in &root.children {
        let testcases: Vec<&Element> = suite
            .children
            .iter()
            .filter(|c| c.name == "testcase")
            .collect();
        let with = |child: &str| {
            testcases
                .iter()
                .filter(|case| case.children.iter().any(|c| c.name == child))
                .count()
                .to_string()
        };
        for (attribute, expected) in [
            ("tests", testcases.len().to_string()),
            ("failures", with("failure")),
            ("errors", with("error")),
            ("skipped", with("skipped")),
        ] {
            let found = suite
                .attributes
                .get(attribute)
                .cloned()
                .unwrap_or_else(|| "0".into());
            if found != expected {
                return Err(XmlError::Tally {
                    attribute,
                    found,
                    expected,
                });
            }
        }
    }
    Ok(())
}

fn validate(element: &Element) -> Result<(), XmlError> {
    let (required, optional, children, _) =
        rules(&element.name).ok_or_else(|| XmlError::Unknown(element.name.clone()))?;
    for attribute in required {
        if !element.attributes.contains_key(*attribute) {
            return Err(XmlError::Lacks {
                element: element.name.clone(),
                attribute: attribute.to_string(),
            });
        }
    }
    for (attribute, value) in &element.attributes {
        if !required.contains(&attribute.as_str()) && !optional.contains(&attribute.as_str()) {
            return Err(XmlError::Attribute {
                element: element.name.clone(),
                attribute: attribute.clone(),
            });
        }
        if attribute == "time" && matches!(element.name.as_str(), "testsuite" | "testsuites") {
            let digits = value.replace([',', '.'], "");
            if value.matches('.').count() > 1 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(XmlError::Time {
                    element: element.name.clone(),
                    value: value.clone(),
                });
            }
        }
    }
    for child in &element.children {
        if !children.contains(&child.name.as_str()) {
            return Err(XmlError::Child {
                parent: element.name.clone(),
                child: child.name.clone(),
            });
        }
        validate(child)?;
    }
    Ok(())
}

/// A small parser for the subset written: elements, attributes in double
/// quotes, text with the five entities and numeric references.
fn parse(xml: &str) -> Result<Element, XmlError> {
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let mut rest = xml;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            text(rest, stack.last())?;
            break;
        };
        text(&rest[..open], stack.last())?;
        let close = rest[open..].find('>').ok_or(XmlError::UnclosedTag)? + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let element = stack
                .pop()
                .ok_or_else(|| XmlError::ClosesNothing(name.to_string()))?;
            if element.name != name {
                return Err(XmlError::ClosesOther {
                    name: name.to_string(),
                    open: element.name,
                });
            }
            attach(element, &mut stack, &mut root)?;
            continue;
        }
        let (tag, empty) = match tag.strip_suffix('/') {
            Some(tag) => (tag, true),
            None => (tag, false),
        };
        let element = start_tag(tag)?;
        if empty {
            attach(element, &mut stack, &mut root)?;
        } else {
            stack.push(element);
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError::NeverClosed(open.name.clone()));
    }
    root.ok_or(XmlError::NoRoot)
}

fn attach(
    element: Element,
    stack: &mut [Element],
    root: &mut Option<Element>,
) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err(XmlError::SecondRoot(element.name)),
    }
    Ok(())
}

fn start_tag(tag: &str) -> Result<Element, XmlError> {
    let tag = tag.trim_end();
    let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
    let mut element = Element {
        name: tag[..name_end].to_string(),
        ..Element::default()
    };
    let mut rest = tag[name_end..].trim_start();
    while !rest.is_empty() {
        let eq = rest
            .find("=\"")
            .ok_or_else(|| XmlError::NoEquals(element.name.clone()))?;
        let name = rest[..eq].to_string();
        let value_end = rest[eq + 2..].find('"').ok_or(XmlError::UnclosedValue)? + eq + 2;
        let value = &rest[eq + 2..value_end];
        entities(value)?;
        if value.contains('<') {
            return Err(XmlError::RawLess {
                element: element.name.clone(),
                attribute: name,
            });
        }
        if element
            .attributes
            .insert(name.clone(), value.to_string())
            .is_some()
        {
            return Err(XmlError::Repeats {
                element: element.name.clone(),
                attribute: name,
            });
        }
        rest = rest[value_end + 1..].trim_start();
    }
    Ok(element)
}

/// Text between tags: allowed only where the schema allows text (or
/// whitespace anywhere), with well-formed references.
fn text(text: &str, parent: Option<&Element>) -> Result<(), XmlError> {
    if text.trim().is_empty() {
        return Ok(());
    }
    let allowed = parent
        .and_then(|p| rules(&p.name))
        .is_some_and(|(_, _, _, text)| text);
    if !allowed {
        return Err(XmlError::Text(
            parent.map_or("(document)", |p| p.name.as_str()).to_string(),
        ));
    }
    entities(text)
}

fn entities(text: &str) -> Result<(), XmlError> {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        let end = rest[at..].find(';').ok_or(XmlError::Unterminated)? + at;
        let name = &rest[at + 1..end];
        let known = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
            || name
                .strip_prefix('#')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !known {
            return Err(XmlError::Reference(name.to_string()));
        }
        rest = &rest[end + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

    /// The check can fail: each of these breaks one rule of the schema.
    #[test]
    fn what_the_schema_refuses_is_refused() {
        let suite = |inner: &str, attrs: &str| {
            format!(
                "{HEAD}<testsuites name=\"x\"><testsuite name=\"s\" tests=\"1\" failures=\"0\" errors=\"0\"{attrs}>{inner}</testsuite></testsuites>"
            )
        };
        assert_eq!(check(&suite("<testcase name=\"a\"/>", "")), Ok(()));
        for (bad, why) in [
            (
                suite("<testcase name=\"a\" file=\"x\"/>", ""),
                "may not have the attribute file",
            ),
            (
                suite("<testcase name=\"a\"><properties/></testcase>", ""),
                "may not hold <properties>",
            ),
            (
                suite("<testcase/>", ""),
                "lacks the required attribute name",
            ),
            (
                suite("<testcase name=\"a\"/><testcase name=\"b\"/>", ""),
                "tests=\"1\"",
            ),
            (
                suite("<testcase name=\"a\"/>", " time=\"1s\""),
                "not a number of seconds",
            ),
            (
                suite("<testcase name=\"a\">x &nbsp; y</testcase>", ""),
                "text inside <testcase>",
            ),
            (
                suite(
                    "<testcase name=\"a\"><system-out>&nbsp;</system-out></testcase>",
                    "",
                ),
                "unknown reference",
            ),
            (suite("<testcase name=\"a\">", ""), "closes <testcase>"),
            (
                format!("{HEAD}<testsuites skipped=\"0\"></testsuites>"),
                "may not have the attribute skipped",
            ),
        ] {
            let err = check(&bad).expect_err(why).to_string();
            assert!(err.contains(why), "{why}: {err}");
        }
    }
}
