//! URLs, as the tool accepts them and as it shows them. Every URL a person
//! sees (run headers, transport failures, reports, the matrix) goes through
//! [`shown`], which masks any user-info; an endpoint with user-info is
//! refused before a run starts ([`endpoint`]): the cancel API
//! authenticates by signature, and has no use for `user:password@`.

/// The `user:password@` part of a URL's authority, if it has one.
fn user_info(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    Some((scheme, &rest[..at], &rest[at + 1..]))
}

/// A URL as every output shows it: the user-info, if any, masked
/// (`https://***@host/path`); control characters escaped, so that a URL
/// cannot rewrite the terminal it is printed on.
pub fn shown(url: &str) -> String {
    let masked = match user_info(url) {
        Some((scheme, _, rest)) => format!("{scheme}://***@{rest}"),
        None => url.to_string(),
    };
    crate::wire::text::escape_controls(&masked)
}

/// Checks an endpoint given by the user: an `http://` or `https://` URL
/// without user-info. Returns it without its trailing `/`; the error says
/// what is wrong, showing the URL masked.
pub fn endpoint(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "the endpoint `{}` is not an http:// or https:// URL",
            shown(url)
        ));
    }
    if user_info(url).is_some() {
        return Err(format!(
            "the endpoint `{}` carries user-info (`user:password@`): the cancel API authenticates \
             each request by its signature and has no use for it; give the URL without it",
            shown(url)
        ));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_is_masked_and_only_in_the_authority() {
        assert_eq!(
            shown("https://user:pw@host:8443/x@y"),
            "https://***@host:8443/x@y"
        );
        assert_eq!(shown("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(shown("http://host/a@b?c@d"), "http://host/a@b?c@d");
        assert_eq!(shown("http://a:b@c@host/"), "http://***@host/");
        assert_eq!(shown("http://h/\u{1b}[2J"), "http://h/\\u{1b}[2J");
    }

    #[test]
    fn an_endpoint_with_user_info_is_refused_without_showing_it() {
        let err = endpoint("http://user:s3cret@127.0.0.1:9/").unwrap_err();
        assert!(err.contains("user-info"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        assert!(endpoint("ftp://host").is_err());
        assert_eq!(
            endpoint("https://host/base/").as_deref(),
            Ok("https://host/base")
        );
    }
}
