//! Tests of `crate::signing`, beside it in a file of their own.

#[test]
fn emitted_grammar_requires_key_version_and_url_encoding() {
    let good = SignatureHeader::format("1", &[0xfb, 0xff, 0x01]);
    assert!(SignatureHeader::parse_emitted(&good).is_ok(), "{good}");
    let spaced = good.replace(',', ", ").replace("%2F", "%2f");
    assert!(SignatureHeader::parse_emitted(&spaced).is_ok(), "{spaced}");

    let no_version = "algorithm=RSA256,signature=%2B%2F8B";
    assert_eq!(
        SignatureHeader::parse_emitted(no_version),
        Err(EmittedHeaderError::MissingKeyVersion)
    );
    for (raw, character) in [("+/8B", '+'), ("AB/8", '/'), ("AQ==", '=')] {
        let value = format!("algorithm=RSA256,keyVersion=1,signature={raw}");
        assert!(
            SignatureHeader::parse(&value).is_ok(),
            "the parser tolerates {value}"
        );
        assert_eq!(
            SignatureHeader::parse_emitted(&value),
            Err(EmittedHeaderError::RawCharacter { character }),
            "{value}"
        );
    }
    assert!(matches!(
        SignatureHeader::parse_emitted("keyVersion=1"),
        Err(EmittedHeaderError::Unparsable(_))
    ));
}

#[test]
fn emitted_grammar_requires_padded_standard_base64_and_names_the_character() {
    // Three bytes make four characters without padding; one byte needs two `=`.
    let padded = SignatureHeader::format("1", &[0xfb]);
    assert!(padded.ends_with("%3D%3D"), "{padded}");
    assert!(SignatureHeader::parse_emitted(&padded).is_ok());
    let fault = |value: &str| match SignatureHeader::parse_emitted(value) {
        Err(EmittedHeaderError::NotStandardBase64 { offset, reason }) => (offset, reason),
        other => panic!("{value}: {other:?}"),
    };
    let unpadded = padded.trim_end_matches("%3D");
    assert!(
        SignatureHeader::parse(unpadded).is_ok(),
        "the parser tolerates it"
    );
    assert_eq!(
        fault(unpadded).0,
        2,
        "the missing padding is at character 2"
    );
    // What the tolerant parser refuses already is refused with the
    // character it stops at.
    for value in [
        "algorithm=RSA256,keyVersion=1,signature=-_8B",
        "algorithm=RSA256,keyVersion=1,signature=AQ%3DA",
        "algorithm=RSA256,keyVersion=1,signature=AQID%0D%0ABA%3D%3D",
    ] {
        let error = SignatureHeader::parse_emitted(value).expect_err(value);
        assert!(error.to_string().contains("character"), "{value}: {error}");
    }
    let message = EmittedHeaderError::NotStandardBase64 {
        offset: 2,
        reason: "is missing",
    }
    .to_string();
    assert!(message.contains("character 2"), "{message}");
}
use super::*;

const PATH: &str = "/ams/api/v1/payments/cancel";
const CLIENT_ID: &str = "SANDBOX_5Y3A2N2YEB3U02799";
const TIME: &str = "2024-01-01T12:00:00+08:00";
const BODY: &[u8] = br#"{"paymentRequestId":"pay-1","note":"caf\u00e9 \u2603"}"#;

use test_keys::to_pem;

/// The Signature header of the merchant's signature over the standard
/// request (POST PATH, CLIENT_ID, TIME, BODY).
fn merchant_header() -> String {
    SignedContent::post(PATH, CLIENT_ID, TIME, BODY)
        .sign(&test_keys::merchant_signing(), "1")
        .expect("signing works")
}

/// Verifies `header` over the standard request with `body` instead.
fn verify_body(
    key: &VerifyingKey,
    header: &str,
    body: &[u8],
) -> Result<SignatureHeader, VerifyError> {
    SignedContent::post(PATH, CLIENT_ID, TIME, body).verify(key, header)
}

#[test]
fn content_to_sign_has_the_documented_shape() {
    let content = content_to_sign("POST", PATH, CLIENT_ID, "1700000000000", b"{\"a\":1}");
    assert_eq!(
        content,
        b"POST /ams/api/v1/payments/cancel\nSANDBOX_5Y3A2N2YEB3U02799.1700000000000.{\"a\":1}"
    );
}

#[test]
fn sign_verify_round_trip() {
    let parsed = verify_body(&test_keys::merchant_verifying(), &merchant_header(), BODY)
        .expect("signature verifies");
    assert_eq!(parsed.algorithm, "RSA256");
    assert_eq!(parsed.key_version.as_deref(), Some("1"));
    assert_eq!(parsed.signature.len(), 256);
}

#[test]
fn public_key_matches_published_public_key() {
    assert_eq!(
        test_keys::merchant_signing().public_key(),
        test_keys::merchant_verifying()
    );
    assert_eq!(
        test_keys::provider_signing().public_key().to_base64_spki(),
        test_keys::PROVIDER_PUBLIC.trim()
    );
}

#[test]
fn signatures_are_deterministic() {
    let key = test_keys::provider_signing();
    let first = key.sign(b"x").expect("signing works");
    assert_eq!(first, key.sign(b"x").expect("signing works"));
}

#[test]
fn flipped_body_byte_fails() {
    let mut tampered = BODY.to_vec();
    tampered[5] ^= 0x01;
    let result = verify_body(
        &test_keys::merchant_verifying(),
        &merchant_header(),
        &tampered,
    );
    assert_eq!(result, Err(VerifyError::Mismatch));
}

#[test]
fn other_parts_of_the_content_are_covered() {
    let verifying = test_keys::merchant_verifying();
    let header = merchant_header();
    let sandbox = "/ams/sandbox/api/v1/payments/cancel";
    for (method, path, client_id, time) in [
        ("GET", PATH, CLIENT_ID, TIME),
        ("POST", sandbox, CLIENT_ID, TIME),
        ("POST", PATH, "OTHER", TIME),
        ("POST", PATH, CLIENT_ID, "2024-01-01T12:00:01+08:00"),
    ] {
        let result = SignedContent {
            method,
            path,
            client_id,
            time,
            body: BODY,
        }
        .verify(&verifying, &header);
        assert_eq!(
            result,
            Err(VerifyError::Mismatch),
            "{method} {path} {client_id} {time}"
        );
    }
}

#[test]
fn wrong_key_fails() {
    let result = verify_body(&test_keys::provider_verifying(), &merchant_header(), BODY);
    assert_eq!(result, Err(VerifyError::Mismatch));
}

#[test]
fn truncated_signature_reports_length() {
    let signature = test_keys::merchant_signing()
        .sign(b"anything")
        .expect("signing works");
    let header = SignatureHeader::format("1", &signature[..255]);
    let result = verify_body(&test_keys::merchant_verifying(), &header, BODY);
    assert_eq!(
        result,
        Err(VerifyError::WrongSignatureLength {
            expected: 256,
            found: 255
        })
    );
}

#[test]
fn header_format_parse_round_trip() {
    // 0xfb 0xff 0xbf encodes to "+/+/" and one byte forces "==" padding,
    // so every character that needs escaping occurs.
    let signature = [0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0x01];
    let value = SignatureHeader::format("1", &signature);
    assert_eq!(
        value,
        "algorithm=RSA256,keyVersion=1,signature=%2B%2F%2B%2F%2B%2F%2B%2FAQ%3D%3D"
    );
    let parsed = SignatureHeader::parse(&value).expect("parses");
    assert_eq!(
        parsed,
        SignatureHeader {
            algorithm: "RSA256".to_string(),
            key_version: Some("1".to_string()),
            signature: signature.to_vec(),
        }
    );
}

#[test]
fn format_escapes_the_key_version() {
    let value = SignatureHeader::format("a,b=c", &[1]);
    assert!(value.starts_with("algorithm=RSA256,keyVersion=a%2Cb%3Dc,signature="));
    let parsed = SignatureHeader::parse(&value).expect("parses");
    assert_eq!(parsed.key_version.as_deref(), Some("a,b=c"));
}

#[test]
fn parse_tolerates_spaces_lowercase_escapes_and_order() {
    let signature = [0xfb, 0xff, 0xbf, 0x01];
    let expected = SignatureHeader {
        algorithm: "RSA256".to_string(),
        key_version: Some("1".to_string()),
        signature: signature.to_vec(),
    };
    for value in [
        "algorithm=RSA256, keyVersion=1, signature=%2b%2f%2b%2fAQ%3d%3d",
        "  signature = %2B%2f%2b%2FAQ%3D%3d ,KEYVERSION=1,Algorithm=RSA256,  ",
        // un-encoded: a raw '+' is the base64 character, not a space
        "algorithm=RSA256,keyVersion=1,signature=+/+/AQ==",
        // padding left off
        "algorithm=RSA256,keyVersion=1,signature=%2B%2F%2B%2FAQ",
        // unknown pairs and empty pieces are skipped
        "algorithm=RSA256,,keyVersion=1,future=x,signature=%2B%2F%2B%2FAQ%3D%3D,",
    ] {
        assert_eq!(
            SignatureHeader::parse(value),
            Ok(expected.clone()),
            "{value}"
        );
    }
}

#[test]
fn parse_without_key_version() {
    let parsed = SignatureHeader::parse("algorithm=rsa256,signature=AQ%3D%3D").expect("parses");
    assert_eq!(parsed.key_version, None);
    assert_eq!(parsed.algorithm, "rsa256");
    assert_eq!(parsed.signature, vec![1]);
}

#[test]
fn parse_errors() {
    use SignatureHeaderError as E;
    type Check = fn(&E) -> bool;
    let cases: [(&str, Check); 9] = [
        ("", |e| *e == E::Empty),
        ("   ", |e| *e == E::Empty),
        ("algorithm=RSA256,keyVersion=1", |e| {
            *e == E::MissingSignature
        }),
        ("keyVersion=1,signature=AQ%3D%3D", |e| {
            *e == E::MissingAlgorithm
        }),
        (
            "algorithm=RSA512,signature=AQ%3D%3D",
            |e| matches!(e, E::UnsupportedAlgorithm { algorithm } if algorithm == "RSA512"),
        ),
        ("algorithm=RSA256,signature=AQ,signature=AQ", |e| {
            *e == E::DuplicatePair { name: "signature" }
        }),
        ("algorithm=RSA256,signature=A*Q", |e| {
            matches!(
                e,
                E::BadEncoding {
                    field: "signature",
                    offset: Some(1),
                    ..
                }
            )
        }),
        ("algorithm=RSA256,signature=", |e| {
            matches!(
                e,
                E::BadEncoding {
                    field: "signature",
                    ..
                }
            )
        }),
        ("algorithm=RSA256,RSA256,signature=AQ", |e| {
            *e == E::MalformedPair {
                index: 1,
                reason: "no '=' between name and value",
            }
        }),
    ];
    for (value, check) in cases {
        let error = SignatureHeader::parse(value).expect_err(value);
        assert!(check(&error), "{value:?} gave {error:?}");
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn debug_output_hides_secrets() {
    let key = test_keys::merchant_signing();
    assert_eq!(format!("{key:?}"), "SigningKey(***)");
    assert_eq!(format!("{key:#?}"), "SigningKey(***)");

    let signature = key.sign(b"message").expect("signing works");
    let header = SignatureHeader::parse(&SignatureHeader::format("1", &signature)).expect("parses");
    let encoded = STANDARD.encode(&signature);
    for debug in [format!("{header:?}"), format!("{header:#?}")] {
        assert!(debug.contains("***"), "{debug}");
        assert!(!debug.contains(&encoded[..16]), "{debug}");
        assert!(!debug.contains('['), "looks like a byte list: {debug}");
    }

    let verifying = format!("{:?}", test_keys::merchant_verifying());
    assert!(verifying.contains("modulus_bits: 2048"), "{verifying}");
    assert!(
        !verifying.contains(&test_keys::MERCHANT_PUBLIC[..40]),
        "{verifying}"
    );
}

#[test]
fn keys_load_from_base64_and_pem() {
    let from_line = test_keys::merchant_verifying();

    let pem_private = to_pem("PRIVATE KEY", test_keys::MERCHANT_PRIVATE);
    let from_pem = SigningKey::from_base64_pkcs8(&pem_private).expect("PEM private key loads");
    assert_eq!(from_pem.public_key(), from_line);

    let pem_public = to_pem("PUBLIC KEY", test_keys::MERCHANT_PUBLIC);
    assert_eq!(
        VerifyingKey::from_base64_spki(&pem_public).expect("PEM public key loads"),
        from_line
    );

    // Whitespace around and inside, CRLF line ends, text before the armour.
    let messy = format!(
        "\u{feff}Bag Attributes\r\n{}\r\n\r\n",
        pem_public.replace('\n', "\r\n")
    );
    assert_eq!(
        VerifyingKey::from_base64_spki(&messy).expect("messy PEM loads"),
        from_line
    );
    let spaced = format!("  \n{}\t\n", test_keys::MERCHANT_PUBLIC.trim());
    assert_eq!(
        VerifyingKey::from_base64_spki(&spaced).expect("spaced line loads"),
        from_line
    );
    let unpadded = test_keys::MERCHANT_PUBLIC.trim().trim_end_matches('=');
    assert_eq!(
        VerifyingKey::from_base64_spki(unpadded).expect("unpadded line loads"),
        from_line
    );
    assert_eq!(
        VerifyingKey::from_base64_spki(&from_line.to_base64_spki()).expect("round trip"),
        from_line
    );
}

#[test]
fn garbage_gives_key_errors_not_panics() {
    let private = |text: &str| SigningKey::from_base64_pkcs8(text).expect_err(text);
    let public = |text: &str| VerifyingKey::from_base64_spki(text).expect_err(text);

    assert_eq!(
        private(""),
        KeyError::Empty {
            kind: PRIVATE_KEY_KIND
        }
    );
    assert_eq!(
        public(" \n "),
        KeyError::Empty {
            kind: PUBLIC_KEY_KIND
        }
    );
    assert!(matches!(
        private("not a key!"),
        KeyError::NotBase64 {
            offset: Some(7),
            ..
        }
    ));
    assert!(matches!(public("%%%%"), KeyError::NotBase64 { .. }));
    assert!(matches!(private("AAAA"), KeyError::NotAKey { .. }));
    assert!(matches!(public("AAAA"), KeyError::NotAKey { .. }));
    assert!(matches!(public("MAA="), KeyError::NotAKey { .. }));
    assert!(matches!(public("MIIBIjAN"), KeyError::NotAKey { .. }));
    assert!(matches!(
        private("-----BEGIN PRIVATE KEY-----\nAAAA\n"),
        KeyError::MalformedPem { .. }
    ));
    assert!(matches!(
        public("AAAA\n-----END PUBLIC KEY-----"),
        KeyError::MalformedPem { .. }
    ));
    assert!(matches!(
        private(&to_pem("RSA PRIVATE KEY", "AAAA")),
        KeyError::WrongPemLabel { found, .. } if found == "RSA PRIVATE KEY"
    ));
    assert!(matches!(
        public(&to_pem("CERTIFICATE", "AAAA")),
        KeyError::WrongPemLabel { found, .. } if found == "CERTIFICATE"
    ));
    let two_blocks = format!(
        "{}{}",
        to_pem("PUBLIC KEY", test_keys::MERCHANT_PUBLIC),
        to_pem("PUBLIC KEY", test_keys::PROVIDER_PUBLIC)
    );
    assert!(matches!(public(&two_blocks), KeyError::MalformedPem { .. }));

    // The two halves of a pair swapped.
    let swapped = private(test_keys::MERCHANT_PUBLIC);
    assert!(
        matches!(&swapped, KeyError::NotAKey { reason, .. } if reason.contains("public key")),
        "{swapped:?}"
    );
    let swapped = public(test_keys::MERCHANT_PRIVATE);
    assert!(
        matches!(&swapped, KeyError::NotAKey { reason, .. } if reason.contains("private key")),
        "{swapped:?}"
    );

    // PKCS#1 RSAPublicKey instead of SubjectPublicKeyInfo.
    let verifying = test_keys::merchant_verifying();
    let rsa_public_key = parse_spki(&verifying.spki).expect("parses").rsa_public_key;
    let pkcs1 = STANDARD.encode(&rsa_public_key);
    let error = public(&pkcs1);
    assert!(
        matches!(&error, KeyError::NotAKey { reason, .. } if reason.contains("PKCS#1")),
        "{error:?}"
    );

    // An EC P-256 public key (not secret, made with openssl).
    let ec = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3iM/jsJxYSzeLEixCZaDrRqnhFVY068Otez3VOcD1NtO9hu2ozblSQ6+tL77ByJZqbTLOBgCZ+0KhsTXCHZ61g==";
    let error = public(ec);
    assert!(
        matches!(&error, KeyError::NotAKey { reason, .. } if reason.contains("EC")),
        "{error:?}"
    );
}

#[test]
fn key_errors_do_not_echo_key_material() {
    let key_line = test_keys::MERCHANT_PRIVATE.trim();
    // Corrupt one character in the middle so the rest is still real key text.
    let corrupted = format!("{}!{}", &key_line[..800], &key_line[801..]);
    let error = SigningKey::from_base64_pkcs8(&corrupted).expect_err("corrupted");
    assert!(matches!(
        error,
        KeyError::NotBase64 {
            offset: Some(800),
            ..
        }
    ));
    let message = error.to_string();
    assert!(!message.contains(&key_line[790..800]), "{message}");
    assert!(!format!("{error:?}").contains(&key_line[790..800]));

    let truncated = &key_line[..1200];
    let error = SigningKey::from_base64_pkcs8(truncated).expect_err("truncated");
    let message = error.to_string();
    assert!(matches!(error, KeyError::NotAKey { .. }), "{error:?}");
    assert!(!message.contains(&key_line[..40]), "{message}");
}

#[test]
fn loose_der_is_accepted_and_normalised() {
    let canonical = test_keys::merchant_verifying();
    let der = STANDARD
        .decode(test_keys::MERCHANT_PUBLIC.trim())
        .expect("test key is base64");
    // A 2048-bit SPKI starts `30 82 01 22`; re-state that length in a
    // needlessly long form.
    assert_eq!(der[..2], [0x30, 0x82]);
    let mut loose = vec![0x30, 0x84, 0x00, 0x00, der[2], der[3]];
    loose.extend_from_slice(&der[4..]);
    let key = VerifyingKey::from_base64_spki(&STANDARD.encode(&loose)).expect("loads");
    assert_eq!(key, canonical);
    assert_eq!(key.to_base64_spki(), test_keys::MERCHANT_PUBLIC.trim());

    let signature = test_keys::merchant_signing()
        .sign(b"loose")
        .expect("signing works");
    assert!(key.verify(b"loose", &signature));
}

#[test]
fn der_length_encoding_round_trips() {
    for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
        let contents = vec![7u8; len];
        let encoded = encode_der(TAG_SEQUENCE, &contents);
        let mut reader = DerReader::new(&encoded);
        assert_eq!(reader.read(TAG_SEQUENCE), Ok(contents.as_slice()));
        assert!(reader.is_empty());
    }
}

#[test]
fn signed_content_signs_the_content_to_sign_and_verifies_it() {
    let key = test_keys::merchant_signing();
    let body = b"{\"paymentId\":\"P\"}";
    let content = SignedContent::post(PATH, CLIENT_ID, TIME, body);
    assert_eq!(content.method, "POST");
    assert_eq!(
        content.bytes(),
        content_to_sign("POST", PATH, CLIENT_ID, TIME, body)
    );
    let header = content.sign(&key, test_keys::KEY_VERSION).expect("signs");
    let parsed = SignedContent::post(PATH, CLIENT_ID, TIME, body)
        .verify(&test_keys::merchant_verifying(), &header)
        .expect("verifies");
    assert_eq!(parsed.key_version.as_deref(), Some(test_keys::KEY_VERSION));
    // Any other part signed gives a mismatch, not a pass.
    let other = SignedContent {
        path: "/ams/sandbox/api/v1/payments/cancel",
        ..content
    };
    assert_eq!(
        other
            .verify(&test_keys::merchant_verifying(), &header)
            .err(),
        Some(VerifyError::Mismatch)
    );
}
