//! Key-exchange groups beyond the ones rustls ships: the CNSA 2.0 hybrid
//! `SecP384r1MLKEM1024` (code point 0x11ED), built from rustls' own
//! aws-lc-rs P-384 ECDH and ML-KEM-1024 groups.
//!
//! Layout, as draft-ietf-tls-ecdhe-mlkem gives it for the NIST-curve
//! hybrids (and as OpenSSL's EVP_PKEY-MLX-KEM(7) and aws-lc implement it):
//! the ECDH part comes first everywhere —
//!
//! - client share: the uncompressed P-384 point (97 bytes) ‖ the ML-KEM-1024
//!   encapsulation key (1568 bytes);
//! - server share: the P-384 point (97) ‖ the ML-KEM-1024 ciphertext (1568);
//! - shared secret: the ECDH secret (48) ‖ the ML-KEM secret (32).
//!
//! (X25519MLKEM768 is the exception that puts ML-KEM first.)

use rustls::crypto::aws_lc_rs::kx_group;
use rustls::crypto::{ActiveKeyExchange, CompletedKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::{Error, NamedGroup, PeerMisbehaved, ProtocolVersion};

/// IANA TLS Supported Groups code point of SecP384r1MLKEM1024.
pub const SECP384R1MLKEM1024_CODE: u16 = 0x11ed;
/// Uncompressed P-384 point (SEC 1 §2.3.3: 1 + 2 × 48).
const P384_SHARE: usize = 97;
/// ML-KEM-1024 encapsulation key (FIPS 203 Table 3).
const MLKEM1024_EK: usize = 1568;
/// ML-KEM-1024 ciphertext (FIPS 203 Table 3).
const MLKEM1024_CT: usize = 1568;

/// The `SecP384r1MLKEM1024` group.
pub static SECP384R1MLKEM1024: &dyn SupportedKxGroup = &EcdhFirstHybrid {
    classical: kx_group::SECP384R1,
    post_quantum: kx_group::MLKEM1024,
    code: SECP384R1MLKEM1024_CODE,
    classical_len: P384_SHARE,
    pq_client_len: MLKEM1024_EK,
    pq_server_len: MLKEM1024_CT,
};

/// A hybrid whose ECDH part comes first in shares and secret.
#[derive(Debug)]
struct EcdhFirstHybrid {
    classical: &'static dyn SupportedKxGroup,
    post_quantum: &'static dyn SupportedKxGroup,
    code: u16,
    classical_len: usize,
    pq_client_len: usize,
    pq_server_len: usize,
}

const INVALID_SHARE: Error = Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare);

/// Splits `share` into its ECDH and ML-KEM parts, refusing any other length.
fn split(share: &[u8], classical_len: usize, pq_len: usize) -> Result<(&[u8], &[u8]), Error> {
    if share.len() != classical_len + pq_len {
        return Err(INVALID_SHARE);
    }
    Ok(share.split_at(classical_len))
}

fn concat(first: &[u8], second: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(first.len() + second.len());
    v.extend_from_slice(first);
    v.extend_from_slice(second);
    v
}

impl SupportedKxGroup for EcdhFirstHybrid {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let classical = self.classical.start()?;
        let post_quantum = self.post_quantum.start()?;
        let pub_key = concat(classical.pub_key(), post_quantum.pub_key());
        Ok(Box::new(Active {
            classical,
            post_quantum,
            name: self.name(),
            classical_len: self.classical_len,
            pq_server_len: self.pq_server_len,
            pub_key,
        }))
    }

    /// The server side: ECDH with the client's point, encapsulation to
    /// the client's ML-KEM key.
    fn start_and_complete(&self, client_share: &[u8]) -> Result<CompletedKeyExchange, Error> {
        let (ec, pq) = split(client_share, self.classical_len, self.pq_client_len)?;
        let ec = self.classical.start_and_complete(ec)?;
        let pq = self.post_quantum.start_and_complete(pq)?;
        Ok(CompletedKeyExchange {
            group: self.name(),
            pub_key: concat(&ec.pub_key, &pq.pub_key),
            secret: SharedSecret::from(concat(ec.secret.secret_bytes(), pq.secret.secret_bytes())),
        })
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::from(self.code)
    }

    /// SP 800-56C rev 2 §2: with the approved ECDH secret first, the
    /// combination is as approved as the ECDH part.
    fn fips(&self) -> bool {
        self.classical.fips()
    }

    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        version == ProtocolVersion::TLSv1_3
    }
}

struct Active {
    classical: Box<dyn ActiveKeyExchange>,
    post_quantum: Box<dyn ActiveKeyExchange>,
    name: NamedGroup,
    classical_len: usize,
    pq_server_len: usize,
    pub_key: Vec<u8>,
}

impl ActiveKeyExchange for Active {
    /// The client side: ECDH with the server's point, decapsulation of the
    /// server's ciphertext.
    fn complete(self: Box<Self>, server_share: &[u8]) -> Result<SharedSecret, Error> {
        let (ec, pq) = split(server_share, self.classical_len, self.pq_server_len)?;
        let ec = self.classical.complete(ec)?;
        let pq = self.post_quantum.complete(pq)?;
        Ok(SharedSecret::from(concat(
            ec.secret_bytes(),
            pq.secret_bytes(),
        )))
    }

    fn pub_key(&self) -> &[u8] {
        &self.pub_key
    }

    fn group(&self) -> NamedGroup {
        self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_secret_have_the_lengths_of_fips_203_and_sec_1() {
        let client = SECP384R1MLKEM1024.start().unwrap();
        assert_eq!(client.pub_key().len(), 97 + 1568);
        // Uncompressed point marker first: the ECDH part leads.
        assert_eq!(client.pub_key()[0], 0x04);
        let server = SECP384R1MLKEM1024
            .start_and_complete(client.pub_key())
            .unwrap();
        assert_eq!(server.pub_key.len(), 97 + 1568);
        assert_eq!(server.pub_key[0], 0x04);
        let server_secret = server.secret.secret_bytes().to_vec();
        assert_eq!(server_secret.len(), 48 + 32);
        let client_secret = client.complete(&server.pub_key).unwrap();
        assert_eq!(client_secret.secret_bytes(), &server_secret[..]);
        assert_eq!(
            u16::from(SECP384R1MLKEM1024.name()),
            SECP384R1MLKEM1024_CODE
        );
    }

    #[test]
    fn a_share_of_the_wrong_length_is_refused() {
        let client = SECP384R1MLKEM1024.start().unwrap();
        let short = &client.pub_key()[..client.pub_key().len() - 1];
        assert!(SECP384R1MLKEM1024.start_and_complete(short).is_err());
        assert!(client.complete(&[4u8; 10]).is_err());
    }
}
