//! mamori's rustls crypto provider: aws-lc-rs for everything (key exchange, signatures, HKDF, TLS 1.2), except
//! the AES-GCM record protection of the two TLS 1.3 AES suites, which is ring's.
//!
//! Why: record protection is most of the crypto an admission webhook does (every request and response passes
//! through it), and ring 0.17 has an AES-GCM for x86-64 CPUs with VAES and VPCLMULQDQ but without AVX-512 (AMD
//! Zen 3, recent Intel client parts), where aws-lc 0.47 falls back to its AES-NI code. Sealing 16 KiB records on
//! the benchmark machine (AMD EPYC, Zen 3): ring 5.7–6.9 GB/s, aws-lc 3.3 GB/s. On other CPUs both use comparable
//! code. Everything else stays aws-lc-rs, the provider the rest of the stack (kube, rcgen) is built on.
//!
//! The record layer below follows RFC 8446 §5.2 exactly as rustls' own providers do: the inner plaintext is the
//! payload followed by the content type, the nonce is the IV XORed with the record sequence number, the
//! additional data is the record header of the protected record. rustls keeps the sequence numbers, the key
//! updates and the per-key confidentiality limit (2^24 records for AES-GCM) on top of it.

use rustls::crypto::cipher::{
    make_tls13_aad, AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, MessageDecrypter,
    MessageEncrypter, Nonce, OutboundOpaqueMessage, OutboundPlainMessage, PrefixedPayload,
    Tls13AeadAlgorithm, UnsupportedOperationError,
};
use rustls::crypto::CryptoProvider;
use rustls::{
    CipherSuite, ConnectionTrafficSecrets, ContentType, Error, ProtocolVersion,
    SupportedCipherSuite, Tls13CipherSuite,
};
use std::sync::LazyLock;

/// The aws-lc-rs default provider with the TLS 1.3 AES-GCM suites' record protection done by ring. Same suites,
/// same order, same key exchange groups and signature algorithms as `rustls::crypto::aws_lc_rs::default_provider`.
pub fn provider() -> CryptoProvider {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    for suite in &mut provider.cipher_suites {
        *suite = with_ring_record_protection(*suite);
    }
    provider
}

/// `suite` with ring's AES-GCM as its record protection when it is a TLS 1.3 AES-GCM suite; otherwise `suite`.
fn with_ring_record_protection(suite: SupportedCipherSuite) -> SupportedCipherSuite {
    match suite.suite() {
        CipherSuite::TLS13_AES_128_GCM_SHA256 => SupportedCipherSuite::Tls13(&AES_128_GCM_SHA256),
        CipherSuite::TLS13_AES_256_GCM_SHA384 => SupportedCipherSuite::Tls13(&AES_256_GCM_SHA384),
        _ => suite,
    }
}

static AES_128_GCM_SHA256: LazyLock<Tls13CipherSuite> = LazyLock::new(|| {
    from_aws_lc(
        rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_128_GCM_SHA256,
        &RING_AES_128_GCM,
    )
});

static AES_256_GCM_SHA384: LazyLock<Tls13CipherSuite> = LazyLock::new(|| {
    from_aws_lc(
        rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_256_GCM_SHA384,
        &RING_AES_256_GCM,
    )
});

/// The aws-lc-rs suite `base` (hash, HKDF, confidentiality limit, QUIC) with `aead` as its record protection.
fn from_aws_lc(base: SupportedCipherSuite, aead: &'static RingGcm) -> Tls13CipherSuite {
    let SupportedCipherSuite::Tls13(base) = base else {
        unreachable!("the aws-lc-rs TLS 1.3 suite constants are TLS 1.3 suites")
    };
    Tls13CipherSuite {
        common: rustls::crypto::CipherSuiteCommon {
            suite: base.common.suite,
            hash_provider: base.common.hash_provider,
            confidentiality_limit: base.common.confidentiality_limit,
        },
        hkdf_provider: base.hkdf_provider,
        aead_alg: aead,
        quic: base.quic,
    }
}

static RING_AES_128_GCM: RingGcm = RingGcm(&ring::aead::AES_128_GCM);
static RING_AES_256_GCM: RingGcm = RingGcm(&ring::aead::AES_256_GCM);

/// TLS 1.3 record protection with one of ring's AES-GCM algorithms.
struct RingGcm(&'static ring::aead::Algorithm);

impl RingGcm {
    fn key(&self, key: &AeadKey) -> ring::aead::LessSafeKey {
        // rustls hands over exactly `key_len()` bytes (the key schedule expands the traffic secret to it), which
        // is the only length `UnboundKey::new` accepts for the algorithm.
        let key = ring::aead::UnboundKey::new(self.0, key.as_ref())
            .expect("rustls derives AEAD keys of key_len() bytes");
        ring::aead::LessSafeKey::new(key)
    }
}

impl Tls13AeadAlgorithm for RingGcm {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(RecordSealer {
            key: self.key(&key),
            iv,
        })
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(RecordOpener {
            key: self.key(&key),
            iv,
        })
    }

    fn key_len(&self) -> usize {
        self.0.key_len()
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        if std::ptr::eq(self.0, &ring::aead::AES_128_GCM) {
            Ok(ConnectionTrafficSecrets::Aes128Gcm { key, iv })
        } else {
            Ok(ConnectionTrafficSecrets::Aes256Gcm { key, iv })
        }
    }

    fn fips(&self) -> bool {
        false
    }
}

struct RecordSealer {
    key: ring::aead::LessSafeKey,
    iv: Iv,
}

impl MessageEncrypter for RecordSealer {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_chunks(&msg.payload);
        // TLSInnerPlaintext: the content, then the real content type (no padding).
        payload.extend_from_slice(&msg.typ.to_array());
        let nonce = ring::aead::Nonce::assume_unique_for_key(Nonce::new(&self.iv, seq).0);
        let aad = ring::aead::Aad::from(make_tls13_aad(total_len));
        self.key
            .seal_in_place_append_tag(nonce, aad, &mut payload)
            .map_err(|_| Error::EncryptError)?;
        // Every protected TLS 1.3 record is "application data" with the legacy version 0x0303 (RFC 8446 §5.2).
        Ok(OutboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            payload,
        ))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + self.key.algorithm().tag_len()
    }
}

struct RecordOpener {
    key: ring::aead::LessSafeKey,
    iv: Iv,
}

impl MessageDecrypter for RecordOpener {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let payload = &mut msg.payload;
        if payload.len() < self.key.algorithm().tag_len() {
            return Err(Error::DecryptError);
        }
        let nonce = ring::aead::Nonce::assume_unique_for_key(Nonce::new(&self.iv, seq).0);
        let aad = ring::aead::Aad::from(make_tls13_aad(payload.len()));
        let plain_len = self
            .key
            .open_in_place(nonce, aad, payload)
            .map_err(|_| Error::DecryptError)?
            .len();
        payload.truncate(plain_len);
        // Strips the padding zeros and reads the real content type from the end.
        msg.into_tls13_unpadded_message()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_suites_in_the_same_order_as_aws_lc() {
        let ours = provider();
        let stock = rustls::crypto::aws_lc_rs::default_provider();
        let names = |p: &CryptoProvider| {
            p.cipher_suites
                .iter()
                .map(|s| s.suite())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&ours), names(&stock));
        assert_eq!(ours.kx_groups.len(), stock.kx_groups.len());
        for suite in &ours.cipher_suites {
            let replaced = matches!(
                suite.suite(),
                CipherSuite::TLS13_AES_128_GCM_SHA256 | CipherSuite::TLS13_AES_256_GCM_SHA384
            );
            let is_ring = suite.tls13().is_some_and(|s| {
                std::ptr::eq(
                    s.aead_alg as *const dyn Tls13AeadAlgorithm as *const u8,
                    &RING_AES_128_GCM as *const RingGcm as *const u8,
                ) || std::ptr::eq(
                    s.aead_alg as *const dyn Tls13AeadAlgorithm as *const u8,
                    &RING_AES_256_GCM as *const RingGcm as *const u8,
                )
            });
            assert_eq!(replaced, is_ring, "{:?}", suite.suite());
        }
    }

    /// Records sealed by ring open with aws-lc-rs and the other way round, for AES-256-GCM (the one AES key
    /// length an `AeadKey` can be built with from outside rustls); AES-128-GCM is covered by whole connections
    /// in tests/interop.rs.
    #[test]
    fn records_cross_between_ring_and_aws_lc() {
        let stock = rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_256_GCM_SHA384
            .tls13()
            .unwrap()
            .aead_alg;
        let ours: &dyn Tls13AeadAlgorithm = &RING_AES_256_GCM;
        let key = || AeadKey::from([0x5a; 32]);
        let iv = || Iv::new([0x11; 12]);
        for (sealer, opener) in [(ours, stock), (stock, ours)] {
            // A fresh sealer per record: aws-lc-rs' sealing key refuses a sequence number that does not grow.
            let seal = || sealer.encrypter(key(), iv());
            let mut open = opener.decrypter(key(), iv());
            for (seq, len) in [
                (0u64, 0usize),
                (1, 1),
                (2, 100),
                (7, 16 * 1024),
                (u64::MAX - 1, 333),
            ] {
                let plain: Vec<u8> = (0..len)
                    .map(|i| (i * 7).wrapping_add(seq as usize) as u8)
                    .collect();
                let sealed = seal()
                    .encrypt(
                        OutboundPlainMessage {
                            typ: ContentType::ApplicationData,
                            version: ProtocolVersion::TLSv1_3,
                            payload: plain.as_slice().into(),
                        },
                        seq,
                    )
                    .unwrap();
                let mut wire = sealed.encode();
                let opaque = InboundOpaqueMessage::new(
                    ContentType::ApplicationData,
                    ProtocolVersion::TLSv1_2,
                    &mut wire[5..],
                );
                let opened = open.decrypt(opaque, seq).unwrap();
                assert_eq!(opened.typ, ContentType::ApplicationData);
                assert_eq!(opened.payload, plain.as_slice());
                // The wrong sequence number (nonce) or a flipped bit fails authentication.
                let mut wire = sealed_again(&mut *seal(), &plain, seq + 1);
                let opaque = InboundOpaqueMessage::new(
                    ContentType::ApplicationData,
                    ProtocolVersion::TLSv1_2,
                    &mut wire[5..],
                );
                assert!(open.decrypt(opaque, seq).is_err());
                let mut wire = sealed_again(&mut *seal(), &plain, seq);
                let last = wire.len() - 1;
                wire[last] ^= 1;
                let opaque = InboundOpaqueMessage::new(
                    ContentType::ApplicationData,
                    ProtocolVersion::TLSv1_2,
                    &mut wire[5..],
                );
                assert!(open.decrypt(opaque, seq).is_err());
            }
        }
    }

    fn sealed_again(seal: &mut dyn MessageEncrypter, plain: &[u8], seq: u64) -> Vec<u8> {
        seal.encrypt(
            OutboundPlainMessage {
                typ: ContentType::ApplicationData,
                version: ProtocolVersion::TLSv1_3,
                payload: plain.into(),
            },
            seq,
        )
        .unwrap()
        .encode()
    }

    #[test]
    fn a_record_shorter_than_the_tag_is_rejected() {
        let mut open = RING_AES_256_GCM.decrypter(AeadKey::from([1; 32]), Iv::new([0; 12]));
        let mut short = [0u8; 15];
        let opaque = InboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            &mut short,
        );
        assert!(matches!(open.decrypt(opaque, 0), Err(Error::DecryptError)));
    }
}
