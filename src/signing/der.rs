//! Just enough DER to take the SubjectPublicKeyInfo wrapper off an RSA
//! public key (and put it back on), and to tell the wrong kinds of key apart
//! in an error message.

// Minimal DER handling: the library verifies with a PKCS#1 RSAPublicKey, but the
// vendor hands out SubjectPublicKeyInfo, so the wrapper has to be taken off
// (and put back on for `to_base64_spki`). Only the few shapes needed here are
// supported.

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
pub(super) const TAG_SEQUENCE: u8 = 0x30;

/// 1.2.840.113549.1.1.1
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// 1.2.840.113549.1.1.10
const OID_RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
/// 1.2.840.10045.2.1
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// 1.3.101.112
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

pub(super) struct DerReader<'a> {
    rest: &'a [u8],
}

impl<'a> DerReader<'a> {
    pub(super) fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one element with the given tag and returns its contents.
    pub(super) fn read(&mut self, tag: u8) -> Result<&'a [u8], &'static str> {
        let (&found, rest) = self.rest.split_first().ok_or("DER structure ends early")?;
        if found != tag {
            return Err("unexpected DER element");
        }
        let (&first, mut rest) = rest.split_first().ok_or("DER structure ends early")?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 {
                return Err("indefinite length is not allowed in DER");
            }
            if count > 4 || count > rest.len() {
                return Err("DER length is invalid");
            }
            let (len_bytes, after) = rest.split_at(count);
            rest = after;
            len_bytes
                .iter()
                .fold(0usize, |acc, &byte| (acc << 8) | usize::from(byte))
        };
        if len > rest.len() {
            return Err("DER element is longer than the data");
        }
        let (contents, after) = rest.split_at(len);
        self.rest = after;
        Ok(contents)
    }
}

pub(super) struct ParsedRsaPublicKey {
    /// Re-encoded as strict DER, because the library's parser rejects the
    /// non-minimal encodings this module tolerates on input.
    pub(super) rsa_public_key: Vec<u8>,
    pub(super) modulus_bits: usize,
}

pub(super) fn parse_spki(der: &[u8]) -> Result<ParsedRsaPublicKey, &'static str> {
    let mut outer = DerReader::new(der);
    let spki = outer
        .read(TAG_SEQUENCE)
        .map_err(|_| "not a DER SEQUENCE, so not a SubjectPublicKeyInfo")?;
    if !outer.is_empty() {
        return Err("extra bytes after the key");
    }
    let mut fields = DerReader::new(spki);
    if fields.peek_tag() == Some(TAG_INTEGER) {
        // Private keys (PKCS#8 and PKCS#1) start with a small version number;
        // a PKCS#1 RSAPublicKey starts with the (large) modulus.
        let mut probe = DerReader::new(spki);
        let first = probe.read(TAG_INTEGER)?;
        return Err(if first.len() <= 1 {
            "this is a private key, not a public key"
        } else {
            "this is a PKCS#1 RSAPublicKey, not SubjectPublicKeyInfo; convert it with \
             `openssl rsa -RSAPublicKey_in -pubout`"
        });
    }
    let algorithm = fields
        .read(TAG_SEQUENCE)
        .map_err(|_| "no AlgorithmIdentifier, so not a SubjectPublicKeyInfo")?;
    let key_bits = fields
        .read(TAG_BIT_STRING)
        .map_err(|_| "no subjectPublicKey BIT STRING, so not a SubjectPublicKeyInfo")?;
    if !fields.is_empty() {
        return Err("extra fields in the SubjectPublicKeyInfo");
    }

    let mut algorithm = DerReader::new(algorithm);
    let oid = algorithm.read(TAG_OID)?;
    match oid {
        OID_RSA_ENCRYPTION => {}
        OID_EC_PUBLIC_KEY => return Err("this is an EC key; the cancel API uses RSA"),
        OID_ED25519 => return Err("this is an Ed25519 key; the cancel API uses RSA"),
        OID_RSASSA_PSS => {
            return Err("this is an RSASSA-PSS-only key; the cancel API needs rsaEncryption");
        }
        _ => return Err("the key algorithm is not rsaEncryption"),
    }
    // RFC 3279 requires NULL parameters, but some encoders omit them.
    if !algorithm.is_empty() {
        let params = algorithm.read(TAG_NULL)?;
        if !params.is_empty() || !algorithm.is_empty() {
            return Err("unexpected rsaEncryption parameters");
        }
    }

    let (&unused_bits, rsa_public_key) = key_bits.split_first().ok_or("empty subjectPublicKey")?;
    if unused_bits != 0 {
        return Err("subjectPublicKey is not a whole number of bytes");
    }
    check_rsa_public_key(rsa_public_key)
}

/// Checks a PKCS#1 RSAPublicKey against the limits this module promises
/// (2048 to 8192 bits, an odd exponent from 3 to 2^33), so that a key which
/// loads is also a key that can verify, and a refusal says why in words.
pub(super) fn check_rsa_public_key(der: &[u8]) -> Result<ParsedRsaPublicKey, &'static str> {
    let mut outer = DerReader::new(der);
    let sequence = outer.read(TAG_SEQUENCE)?;
    if !outer.is_empty() {
        return Err("extra bytes after the RSA public key");
    }
    let mut fields = DerReader::new(sequence);
    let modulus = positive_integer(fields.read(TAG_INTEGER)?)?;
    let exponent = positive_integer(fields.read(TAG_INTEGER)?)?;
    if !fields.is_empty() {
        return Err("extra fields in the RSA public key");
    }

    let (&top, _) = modulus.split_first().ok_or("the RSA modulus is zero")?;
    let modulus_bits = (modulus.len() - 1) * 8 + (8 - top.leading_zeros() as usize);
    if modulus_bits < 2048 {
        return Err("the RSA modulus is smaller than 2048 bits");
    }
    if modulus_bits > 8192 {
        return Err("the RSA modulus is larger than 8192 bits");
    }
    if modulus.last().is_some_and(|low| low & 1 == 0) {
        return Err("the RSA modulus is even");
    }

    if exponent.len() > 5 {
        return Err("the RSA public exponent is too large");
    }
    let e = exponent
        .iter()
        .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte));
    if !(3..1u64 << 33).contains(&e) || e & 1 == 0 {
        return Err("the RSA public exponent is not an odd number between 3 and 2^33");
    }

    let mut fields = encode_positive_integer(modulus);
    fields.extend_from_slice(&encode_positive_integer(exponent));
    Ok(ParsedRsaPublicKey {
        rsa_public_key: encode_der(TAG_SEQUENCE, &fields),
        modulus_bits,
    })
}

/// The magnitude of a non-negative DER INTEGER without leading zero bytes.
fn positive_integer(contents: &[u8]) -> Result<&[u8], &'static str> {
    match contents.first() {
        None => Err("empty DER INTEGER"),
        Some(&first) if first & 0x80 != 0 => Err("negative number in the RSA public key"),
        Some(_) => {
            let start = contents
                .iter()
                .position(|&byte| byte != 0)
                .unwrap_or(contents.len());
            Ok(&contents[start..])
        }
    }
}

pub(super) fn encode_der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(contents.len() + 6);
    out.push(tag);
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let len_bytes = len.to_be_bytes();
        let skip = len_bytes.iter().take_while(|&&byte| byte == 0).count();
        let significant = &len_bytes[skip..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(contents);
    out
}

/// DER INTEGER for a magnitude without leading zeros: a zero byte is put in
/// front when the top bit is set, since DER integers are signed.
fn encode_positive_integer(magnitude: &[u8]) -> Vec<u8> {
    let mut contents = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.first().is_none_or(|&top| top & 0x80 != 0) {
        contents.push(0);
    }
    contents.extend_from_slice(magnitude);
    encode_der(TAG_INTEGER, &contents)
}

pub(super) fn encode_spki(rsa_public_key: &[u8]) -> Vec<u8> {
    let mut algorithm = encode_der(TAG_OID, OID_RSA_ENCRYPTION);
    algorithm.extend_from_slice(&encode_der(TAG_NULL, &[]));
    let mut bit_string = Vec::with_capacity(rsa_public_key.len() + 1);
    bit_string.push(0);
    bit_string.extend_from_slice(rsa_public_key);
    let mut fields = encode_der(TAG_SEQUENCE, &algorithm);
    fields.extend_from_slice(&encode_der(TAG_BIT_STRING, &bit_string));
    encode_der(TAG_SEQUENCE, &fields)
}
