//! Revocation as a W3C Bitstring Status List: one bit per certificate, set when it is revoked.
//!
//! A certificate's place is its id: list `id / LIST_BITS`, index `id % LIST_BITS`. The lists
//! are built from the `certificates` table on each request, so a revocation shows at once and
//! every process agrees. Each list is 131,072 bits (16 KiB, the specification's minimum for
//! group privacy), gzipped and base64url-encoded with the multibase prefix `u`.

use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};

/// Bits per list.
pub const LIST_BITS: i64 = 131_072;

/// (list, index) of a certificate.
pub fn position(certificate_id: i64) -> (i64, i64) {
    (
        certificate_id.div_euclid(LIST_BITS),
        certificate_id.rem_euclid(LIST_BITS),
    )
}

/// Where list `list` is served.
pub fn list_url(public_url: &str, list: i64) -> String {
    format!("{public_url}/api/credentials/status/{list}")
}

/// The `credentialStatus` of a certificate's credential.
pub fn entry(public_url: &str, certificate_id: i64) -> Value {
    let (list, index) = position(certificate_id);
    let url = list_url(public_url, list);
    json!({
        "id": format!("{url}#{index}"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": index.to_string(),
        "statusListCredential": url,
    })
}

/// `u` + base64url(gzip(bits)), bit 0 the most significant bit of the first byte.
pub fn encode(set: impl IntoIterator<Item = i64>) -> std::io::Result<String> {
    let mut bits = vec![0u8; (LIST_BITS / 8) as usize];
    for index in set {
        if (0..LIST_BITS).contains(&index) {
            bits[(index / 8) as usize] |= 0x80 >> (index % 8);
        }
    }
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&bits)?;
    Ok(format!("u{}", URL_SAFE_NO_PAD.encode(gz.finish()?)))
}

/// The unsigned `BitstringStatusListCredential` of list `list`.
pub fn credential(public_url: &str, issuer: Value, list: i64, encoded: String, now: &str) -> Value {
    let url = list_url(public_url, list);
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": now,
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn decode(encoded: &str) -> Vec<u8> {
        let gz = URL_SAFE_NO_PAD
            .decode(encoded.strip_prefix('u').unwrap())
            .unwrap();
        let mut bits = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut bits)
            .unwrap();
        bits
    }

    #[test]
    fn revoked_indexes_are_set_most_significant_bit_first() {
        let bits = decode(&encode([0, 9, LIST_BITS - 1]).unwrap());
        assert_eq!(bits.len() as i64, LIST_BITS / 8);
        assert_eq!(bits[0], 0b1000_0000);
        assert_eq!(bits[1], 0b0100_0000);
        assert_eq!(bits[bits.len() - 1], 0b0000_0001);
        assert_eq!(bits.iter().map(|b| b.count_ones()).sum::<u32>(), 3);
    }

    #[test]
    fn positions_spill_into_the_next_list() {
        assert_eq!(position(5), (0, 5));
        assert_eq!(position(LIST_BITS + 2), (1, 2));
        assert_eq!(entry("http://h", 7)["statusListIndex"], "7");
    }
}
