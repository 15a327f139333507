//! The Content-Type a client's cancel request must carry: `application/json`,
//! with a charset parameter only if it is UTF-8 (`sign.request-headers`).

/// What is wrong with a request's Content-Type, as the difference says it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum NotJsonUtf8 {
    #[error("absent")]
    Absent,
    #[error("media type `{0}`")]
    MediaType(String),
    #[error("parameter `{0}` is not name=value")]
    Parameter(String),
    #[error("charset `{0}`")]
    Charset(String),
}

/// `application/json`, with a charset parameter only if it is UTF-8.
pub(super) fn json_utf8(value: &str) -> Result<(), NotJsonUtf8> {
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(NotJsonUtf8::MediaType(media.to_string()));
    }
    for parameter in parts {
        let Some((name, raw)) = parameter.split_once('=') else {
            return Err(NotJsonUtf8::Parameter(parameter.trim().to_string()));
        };
        if name.trim().eq_ignore_ascii_case("charset") {
            let charset = raw.trim().trim_matches('"');
            if !charset.eq_ignore_ascii_case("utf-8") {
                return Err(NotJsonUtf8::Charset(charset.to_string()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_is_json_with_a_utf8_charset_if_any() {
        for good in [
            "application/json; charset=UTF-8",
            "application/json",
            "Application/JSON;charset=utf-8",
            "application/json; charset=\"UTF-8\"",
        ] {
            assert_eq!(json_utf8(good), Ok(()), "{good}");
        }
        for bad in [
            "text/plain; charset=UTF-8",
            "application/json; charset=ISO-8859-1",
            "application/x-www-form-urlencoded",
            "application/json; charset",
        ] {
            assert!(json_utf8(bad).is_err(), "{bad}");
        }
        // The difference shows why, in these words.
        let why = |value: &str| json_utf8(value).map_err(|err| err.to_string());
        assert_eq!(why("text/plain"), Err("media type `text/plain`".into()));
        assert_eq!(
            why("application/json; charset"),
            Err("parameter `charset` is not name=value".into())
        );
        assert_eq!(
            why("application/json; charset=latin1"),
            Err("charset `latin1`".into())
        );
        assert_eq!(NotJsonUtf8::Absent.to_string(), "absent");
    }
}
