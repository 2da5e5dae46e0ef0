//! Wycheproof's Ed25519 vectors (tests/vectors/wycheproof/, Apache-2.0, see LICENSE there)
//! through the public verification path: `PublicKey::from_bytes` then `PublicKey::verify`.

#![allow(clippy::unwrap_used)]

use serde::Deserialize;
use venuecode::PublicKey;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    number_of_tests: usize,
    test_groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(rename = "publicKey")]
    public_key: Key,
    tests: Vec<Case>,
}

#[derive(Deserialize)]
struct Key {
    pk: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    tc_id: u32,
    comment: String,
    msg: String,
    sig: String,
    result: String,
}

fn verifies(pk: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let (Ok(pk), Ok(sig)) = (<[u8; 32]>::try_from(pk), <[u8; 64]>::try_from(sig)) else {
        return false;
    };
    PublicKey::from_bytes(&pk).is_ok_and(|key| key.verify(msg, &sig).is_ok())
}

#[test]
fn all_wycheproof_vectors_give_the_expected_result() {
    let json = include_str!("vectors/wycheproof/ed25519_test.json");
    let file: File = serde_json::from_str(json).unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for group in &file.test_groups {
        let pk = hex::decode(&group.public_key.pk).unwrap();
        for case in &group.tests {
            let expected = match case.result.as_str() {
                "valid" => true,
                "invalid" => false,
                other => panic!("tcId {}: unexpected result {other}", case.tc_id),
            };
            let got = verifies(
                &pk,
                &hex::decode(&case.msg).unwrap(),
                &hex::decode(&case.sig).unwrap(),
            );
            if got != expected {
                wrong.push(format!(
                    "tcId {} ({}): expected {expected}",
                    case.tc_id, case.comment
                ));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, file.number_of_tests);
    assert_eq!(checked, 151);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
