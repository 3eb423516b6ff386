#!/usr/bin/env python3
"""Regenerates ml-engine/data/knowledge_base.json (format 2) from the tables below.

The JSON file is the versioned artefact the engine loads and schema-checks at
start-up; this script only saves typing. Edit the tables, run
`python3 ml-engine/tools/gen_kb.py`, review the diff, commit both. Every
family, curve, group, OID and alias cites the document it comes from
(`sources`), and `ml-engine/tests/identity.rs` checks each against its source.

Policy (which status an algorithm has in which year) is not here: it lives in
the policy packs (`data/policy_packs.json`), one per standard set.
"""
import json, os

SOURCES = {
    "SP800-57": "NIST SP 800-57 Part 1 Rev. 5 (May 2020), Table 2 (comparable strengths of RSA/DH/DSA moduli and ECC keys) and Table 3 (hash and HMAC strengths)",
    "SP800-186": "NIST SP 800-186 (Feb 2023), sec. 3: recommended elliptic curves P-224..P-521, Curve25519/448, Edwards25519/448",
    "RFC5639": "RFC 5639, ECC Brainpool Standard Curves and Curve Generation, sec. 3",
    "SEC2": "SECG SEC 2 v2 (2010), Recommended Elliptic Curve Domain Parameters, sec. 2-3 and Table 1 (OIDs)",
    "RFC7748": "RFC 7748, Elliptic Curves for Security (X25519, X448), sec. 4-5",
    "RFC8032": "RFC 8032, Edwards-Curve Digital Signature Algorithm (Ed25519, Ed448, ph/ctx variants), sec. 5",
    "RFC8410": "RFC 8410, Algorithm Identifiers for Ed25519, Ed448, X25519 and X448 in X.509, sec. 3 (OIDs 1.3.101.110-113)",
    "RFC7919": "RFC 7919, Negotiated FFDHE Parameters for TLS, Appendix A (ffdhe2048..ffdhe8192)",
    "RFC3526": "RFC 3526, More MODP Diffie-Hellman groups for IKE (groups 5, 14-18); RFC 2409 sec. 6 (groups 1-2)",
    "FIPS203": "NIST FIPS 203 (Aug 2024), ML-KEM, sec. 8 Table 2: ML-KEM-512/768/1024 = security categories 1/3/5; sec. 1.3: differences from CRYSTALS-Kyber",
    "FIPS204": "NIST FIPS 204 (Aug 2024), ML-DSA, sec. 4 Table 1: ML-DSA-44/65/87 = categories 2/3/5; sec. 5.4: HashML-DSA; sec. 1.3: differences from CRYSTALS-Dilithium",
    "FIPS205": "NIST FIPS 205 (Aug 2024), SLH-DSA, sec. 11 Table 2: twelve parameter sets, categories 1/3/5; sec. 10.2: HashSLH-DSA; sec. 1.1: differences from SPHINCS+",
    "SP800-208": "NIST SP 800-208 (Oct 2020), Stateful Hash-Based Signature Schemes (LMS/HSS, XMSS/XMSS^MT), sec. 4-5 parameter sets",
    "RFC8554": "RFC 8554, Leighton-Micali Hash-Based Signatures, sec. 5.1 (LMS_SHA256_M32_H5..H25) and RFC 9858 (SHA-256/192 and SHAKE M24 sets)",
    "RFC8391": "RFC 8391, XMSS: eXtended Merkle Signature Scheme, sec. 5 (XMSS/XMSS^MT parameter sets)",
    "HYBRID-TLS": "draft-ietf-tls-ecdhe-mlkem, Post-quantum hybrid ECDHE-MLKEM Key Agreement for TLSv1.3, sec. 2 (X25519MLKEM768 0x11EC, SecP256r1MLKEM768 0x11EB, SecP384r1MLKEM1024 0x11ED)",
    "MLKEM-TLS": "draft-ietf-tls-mlkem, ML-KEM Post-Quantum Key Agreement for TLS 1.3, sec. 3 (MLKEM512 0x0200, MLKEM768 0x0201, MLKEM1024 0x0202)",
    "XYBER-DRAFT": "draft-tls-westerbaan-xyber768d00-02, X25519Kyber768Draft00 hybrid (TLS group 0x6399): pre-standard Kyber, obsoleted by X25519MLKEM768",
    "IANA-TLS": "IANA TLS Parameters registry: TLS Cipher Suites and TLS Supported Groups (as listed by rustls::CipherSuite / rustls::NamedGroup)",
    "CNSA2": "NSA CNSA 2.0 Algorithms CSA (Sept 2022, updated FAQ Dec 2024): ML-KEM-1024, ML-DSA-87, LMS/XMSS (firmware signing), AES-256, SHA-384/512",
    "FIPS197": "NIST FIPS 197 (upd. 2023), AES-128/192/256; SP 800-38A/B/C/D/E/F modes (ECB, CBC, CFB, OFB, CTR, CMAC, CCM, GCM/GMAC, XTS, KW/KWP)",
    "SP800-67": "NIST SP 800-67 Rev. 2 (withdrawn Jan 2024): TDEA (3DES), 64-bit block, 112-bit strength",
    "FIPS46-3": "FIPS 46-3 DES (withdrawn May 2005): 56-bit keys",
    "RFC8439": "RFC 8439, ChaCha20 and Poly1305 for IETF Protocols (256-bit key)",
    "FIPS180-4": "NIST FIPS 180-4, Secure Hash Standard: SHA-1, SHA-224/256/384/512, SHA-512/224, SHA-512/256",
    "SHATTERED": "Stevens et al., The first collision for full SHA-1 (CRYPTO 2017): SHA-1 collision resistance < 2^63",
    "FIPS202": "NIST FIPS 202, SHA-3 Standard: SHA3-224..512, SHAKE128/256; SP 800-185: cSHAKE, KMAC, TupleHash, ParallelHash",
    "RFC6151": "RFC 6151, Updated Security Considerations for MD5 (collisions practical); RFC 6150 (MD4), RFC 6149 (MD2)",
    "RFC7465": "RFC 7465, Prohibiting RC4 Cipher Suites",
    "FIPS198-1": "NIST FIPS 198-1, HMAC; SP 800-107 Rev. 1 sec. 5.3 (HMAC security)",
    "SP800-108": "NIST SP 800-108 Rev. 1, KDF in counter/feedback/double-pipeline modes and KMAC",
    "SP800-56C": "NIST SP 800-56C Rev. 2, one-step (concatenation) and two-step key derivation; RFC 5869 HKDF",
    "SP800-132": "NIST SP 800-132, Password-Based Key Derivation (PBKDF2); RFC 8018 PKCS #5 v2.1 (PBKDF2, PBES2, PBMAC1)",
    "SP800-90A": "NIST SP 800-90A Rev. 1, Hash_DRBG, HMAC_DRBG, CTR_DRBG",
    "RFC8017": "RFC 8017, PKCS #1 v2.2: RSAES-OAEP, RSAES-PKCS1-v1_5, RSASSA-PSS, RSASSA-PKCS1-v1_5; Appendix C ASN.1 module (OIDs)",
    "RFC3279": "RFC 3279, Algorithms and Identifiers for the Internet X.509 PKI: id-dsa, dsa-with-sha1, ecdsa-with-SHA1, id-ecPublicKey, dhpublicnumber (sec. 2.2-2.3)",
    "RFC5758": "RFC 5758, Additional Algorithms and Identifiers for DSA and ECDSA: ecdsa-with-SHA224..512, id-dsa-with-sha224/256 (sec. 3)",
    "RFC5480": "RFC 5480, ECC SubjectPublicKeyInfo Format: id-ecPublicKey, id-ecDH, id-ecMQV, named-curve OIDs (sec. 2.1.1)",
    "RFC4231": "RFC 4231 sec. 3.1 and RFC 8018 Appendix B.1: HMAC-SHA-1/224/256/384/512 OIDs (1.2.840.113549.2.7..11)",
    "CSOR": "NIST Computer Security Objects Register (CSOR): hashAlgs 2.16.840.1.101.3.4.2.*, aes 2.16.840.1.101.3.4.1.*, sigAlgs 2.16.840.1.101.3.4.3.*, kems 2.16.840.1.101.3.4.4.*",
    "RFC9881": "RFC 9881, Algorithm Identifiers for ML-DSA in X.509 (id-ml-dsa-44/65/87 = 2.16.840.1.101.3.4.3.17/18/19)",
    "RFC9814": "RFC 9814, SLH-DSA in CMS (id-slh-dsa-sha2-128s .. id-slh-dsa-shake-256f = 2.16.840.1.101.3.4.3.20..31)",
    "RFC9935": "draft-ietf-lamps-kyber-certificates / CSOR kems arc: id-alg-ml-kem-512/768/1024 = 2.16.840.1.101.3.4.4.1/2/3",
    "RFC1321": "RFC 1321 / OIW: md5 1.2.840.113549.2.5; OIW sha1 1.3.14.3.2.26 (RFC 3279 sec. 2.2.1)",
    "JCA": "Java Security Standard Algorithm Names (JDK 21), sec. Signature/MessageDigest/Mac/SecretKeyFactory/Cipher algorithms",
    "OPENSSL": "OpenSSL object names (crypto/objects/objects.txt, e.g. prime256v1, sha256WithRSAEncryption, ecdsa-with-SHA384, id-ecPublicKey)",
    "CDX-DEFS": "CycloneDX cryptography-defs.json (2026-02-24, Apache-2.0, testdata/cyclonedx/): algorithm families, variant patterns and elliptic curves with OIDs and aliases",
    "IR8547": "NIST IR 8547 ipd (Nov 2024), Transition to Post-Quantum Cryptography Standards, sec. 4: quantum-vulnerable public-key algorithms; sec. 4.2: symmetric algorithms",
    "PQC-CATEGORIES": "NIST PQC Call for Proposals (2016) sec. 4.A.5: categories 1-5 = key search on AES-128/192/256 (1/3/5), collisions on SHA-256/384 (2/4)",
    "GROVER": "Grover (1996): key search in O(2^(n/2)); IR 8547 sec. 4.2: AES-128/192/256 remain approved",
    "SWEET32": "Bhargavan & Leurent, Sweet32 (CCS 2016): birthday attacks on 64-bit block ciphers (3DES, Blowfish, IDEA, CAST5, RC2)",
    "ETSI-3GPP": "3GPP TS 35.215-35.222 (SNOW 3G/UEA2, ZUC/128-EEA3) and TS 35.205-35.208 (MILENAGE), TS 35.231 (TUAK)",
    "GOST": "RFC 5830/7091/6986/8891: GOST 28147-89, GOST R 34.10-2012, GOST R 34.11-2012 (Streebog)",
    "SM": "GB/T 32918 (SM2), GB/T 32905 (SM3), GB/T 32907 (SM4), GB/T 38635 (SM9); RFC 8998",
    "PASSWORD-HASH": "RFC 9106 (Argon2), RFC 7914 (scrypt), Provos & Mazieres 1999 (bcrypt), yescrypt: password hashes not approved by NIST (SP 800-132 approves PBKDF2 only)",
    "PQC-ROUND3": "NIST PQC round 3 submissions: CRYSTALS-Kyber, CRYSTALS-Dilithium, SPHINCS+, Falcon (pre-standard; not FIPS 203/204/205)",
    "RFC8446-C": "RFC 5246 Appendix A.5 and F.1.1.1 / RFC 8446 Appendix C.5: NULL cipher suites give no confidentiality, anonymous suites no authentication",
    "CECPQ": "Google CECPQ1 (2016, NewHope + X25519) and CECPQ2 (HRSS + X25519) experiments: pre-standard, withdrawn",
}

# SP 800-57 Pt 1 Rev 5 Table 2: security strength of RSA/DH/DSA by modulus size.
MODULUS_STRENGTH = [[512, 40], [768, 56], [1024, 80], [2048, 112], [3072, 128], [7680, 192], [15360, 256]]

KEX = "X25519MLKEM768 hybrid, then ML-KEM-768 (ML-KEM-1024 for CNSA 2.0)"
SIG = "ML-DSA-65 (ML-DSA-87 for CNSA 2.0; LMS/XMSS for firmware signing)"
SYM = "AES-256-GCM"
HASH = "SHA-384 (SHA-256 where CNSA 2.0 does not apply)"

families = []

def fam(name, words, primitive, sizing, threat, *, bits=None, key_sizes=None, default_bits=None,
        param_sets=None, weak=False, pre_standard=False, output_bits=None, target=None,
        sig_target=None, note=None, sources=(), word_primitives=None):
    families.append({
        "name": name, "words": list(words), "primitive": primitive, "sizing": sizing,
        "threat": threat, "bits": bits, "key_sizes": key_sizes, "default_bits": default_bits,
        "param_sets": param_sets, "weak": weak, "pre_standard": pre_standard,
        "output_bits": output_bits, "word_primitives": word_primitives, "migration_target": target,
        "signature_migration_target": sig_target, "note": note, "sources": list(sources),
    })

# --- public key (Shor) ------------------------------------------------------
fam("RSA", ["RSA", "RSASSA", "RSAES", "RSAENCRYPTION", "RSAPSS", "RSAOAEP"], "pke", "modulus", "shor",
    target=KEX, sig_target=SIG, sources=["RFC8017", "SP800-57", "IR8547", "CDX-DEFS"])
fam("DH", ["DH", "DHE", "FFDH", "FFDHE", "EDH", "DIFFIEHELLMAN", "DHKEYAGREEMENT", "DHPUBLICNUMBER", "FFMQV", "MQV"],
    "key-agree", "modulus", "shor", target=KEX, sources=["SP800-57", "IR8547", "RFC7919", "CDX-DEFS"])
fam("DSA", ["DSA", "DSS"], "signature", "modulus", "shor", target=SIG,
    note="FIPS 186-5 withdrew DSA for signature generation; verification of existing signatures only",
    sources=["SP800-57", "IR8547", "RFC3279", "CDX-DEFS"])
fam("ElGamal", ["ELGAMAL"], "pke", "modulus", "shor", target=KEX, sources=["SP800-57", "IR8547", "CDX-DEFS"])
fam("SRP", ["SRP"], "key-agree", "modulus", "shor", target=KEX,
    note="password-authenticated key exchange over a finite field group", sources=["SP800-57", "IR8547", "CDX-DEFS"])
fam("ECDSA", ["ECDSA"], "signature", "curve", "shor", target=SIG, sources=["SP800-186", "SP800-57", "IR8547", "CDX-DEFS"])
fam("ECDH", ["ECDH", "ECDHE", "ECMQV", "ECCDH"], "key-agree", "curve", "shor", target=KEX,
    sources=["SP800-186", "SP800-57", "IR8547", "CDX-DEFS"])
fam("EC", ["EC", "ECC", "ECPUBLICKEY", "ECIES", "ECELGAMAL"], "pke", "curve", "shor", target=KEX, sig_target=SIG,
    note="an elliptic-curve key whose scheme (ECDSA or ECDH) the inventory does not say",
    sources=["SP800-186", "SP800-57", "IR8547", "RFC5480", "CDX-DEFS"])
fam("EdDSA", ["EDDSA", "ED25519", "ED448", "PUREEDDSA"], "signature", "curve", "shor", target=SIG,
    sources=["RFC8032", "SP800-186", "IR8547", "CDX-DEFS"])
fam("X25519", ["X25519"], "key-agree", "fixed", "shor", bits=128, target=KEX,
    note="not an SP 800-56A key-agreement scheme: not NIST-approved on its own", sources=["RFC7748", "IR8547", "CDX-DEFS"])
fam("X448", ["X448"], "key-agree", "fixed", "shor", bits=224, target=KEX,
    note="not an SP 800-56A key-agreement scheme: not NIST-approved on its own", sources=["RFC7748", "IR8547", "CDX-DEFS"])
fam("SM2", ["SM2"], "signature", "fixed", "shor", bits=128, target=SIG, sources=["SM", "CDX-DEFS"])
fam("SM9", ["SM9"], "signature", "fixed", "shor", bits=128, target=SIG, sources=["SM", "CDX-DEFS"])
fam("GOST-R-34.10", ["GOSTR3410", "GOST2001", "GOST2012", "GOST01", "GOST94", "GOSTR341001", "GOSTR341094"], "signature", "fixed", "shor",
    bits=128, target=SIG, sources=["GOST", "CDX-DEFS"])
fam("BLS", ["BLS"], "signature", "fixed", "shor", bits=128, target=SIG,
    note="pairing-based: Shor breaks the discrete logarithm in the pairing groups", sources=["CDX-DEFS", "IR8547"])
for n, words in [("J-PAKE", ["JPAKE"]), ("OPAQUE", ["OPAQUE"]), ("SPAKE2", ["SPAKE2"]), ("SPAKE2+", ["SPAKE2PLUS"]), ("X3DH", ["X3DH"])]:
    fam(n, words, "key-agree", "fixed", "shor", bits=128, target=KEX,
        note="built on elliptic-curve or finite-field Diffie-Hellman", sources=["CDX-DEFS", "IR8547"])
fam("HPKE", ["HPKE"], "pke", "fixed", "shor", bits=128, target="HPKE with an ML-KEM or X-Wing KEM",
    note="RFC 9180 with a DHKEM: its security is that of the KEM's curve", sources=["CDX-DEFS", "IR8547"])

# --- post-quantum ----------------------------------------------------------
fam("ML-KEM", ["MLKEM"], "kem", "param_set", "none",
    param_sets=[{"id": "512", "bits": 128, "pq_category": 1}, {"id": "768", "bits": 192, "pq_category": 3},
                {"id": "1024", "bits": 256, "pq_category": 5}],
    target="ML-KEM-1024 where CNSA 2.0 applies", sources=["FIPS203", "CDX-DEFS"])
fam("ML-DSA", ["MLDSA", "HASHMLDSA"], "signature", "param_set", "none",
    param_sets=[{"id": "44", "bits": 128, "pq_category": 2}, {"id": "65", "bits": 192, "pq_category": 3},
                {"id": "87", "bits": 256, "pq_category": 5}],
    target="ML-DSA-87 where CNSA 2.0 applies", sources=["FIPS204", "CDX-DEFS"])
fam("SLH-DSA", ["SLHDSA", "HASHSLHDSA"], "signature", "param_set", "none",
    param_sets=[{"id": f"{h}-{lvl}{v}", "bits": lvl, "pq_category": {128: 1, 192: 3, 256: 5}[lvl]}
                for h in ["SHA2", "SHAKE"] for lvl in [128, 192, 256] for v in ["s", "f"]],
    target="ML-DSA-87 or LMS/XMSS where CNSA 2.0 applies", sources=["FIPS205", "CDX-DEFS"])
fam("LMS", ["LMS", "HSS", "LMOTS"], "signature", "fixed", "none", bits=256, default_bits=256,
    note="stateful: state management must prevent one-time key reuse (SP 800-208 sec. 8)",
    sources=["SP800-208", "RFC8554", "CDX-DEFS"])
fam("XMSS", ["XMSS", "XMSSMT", "WOTSP"], "signature", "fixed", "none", bits=256,
    note="stateful: state management must prevent one-time key reuse (SP 800-208 sec. 8)",
    sources=["SP800-208", "RFC8391", "CDX-DEFS"])
fam("Kyber", ["KYBER"], "kem", "param_set", "none", pre_standard=True,
    param_sets=[{"id": "512", "bits": 128, "pq_category": 1}, {"id": "768", "bits": 192, "pq_category": 3},
                {"id": "1024", "bits": 256, "pq_category": 5}],
    target="ML-KEM (FIPS 203); the round-3 Kyber is not interoperable with it",
    note="pre-standard CRYSTALS-Kyber: not FIPS 203 ML-KEM", sources=["PQC-ROUND3", "FIPS203"])
fam("Dilithium", ["DILITHIUM"], "signature", "param_set", "none", pre_standard=True,
    param_sets=[{"id": "2", "bits": 128, "pq_category": 2}, {"id": "3", "bits": 192, "pq_category": 3},
                {"id": "5", "bits": 256, "pq_category": 5}],
    target="ML-DSA (FIPS 204)", note="pre-standard CRYSTALS-Dilithium: not FIPS 204 ML-DSA",
    sources=["PQC-ROUND3", "FIPS204"])
fam("SPHINCS+", ["SPHINCS", "SPHINCSPLUS"], "signature", "fixed", "none", pre_standard=True, bits=128,
    target="SLH-DSA (FIPS 205)", note="pre-standard SPHINCS+: not FIPS 205 SLH-DSA", sources=["PQC-ROUND3", "FIPS205"])
fam("Falcon", ["FALCON"], "signature", "param_set", "none", pre_standard=True,
    param_sets=[{"id": "512", "bits": 128, "pq_category": 1}, {"id": "1024", "bits": 256, "pq_category": 5}],
    target="ML-DSA (FIPS 204) until FN-DSA (FIPS 206) is final", note="pre-standard Falcon: FN-DSA (FIPS 206) is not yet final",
    sources=["PQC-ROUND3"])
fam("X25519MLKEM768", ["X25519MLKEM768"], "kem", "fixed", "none", bits=192,
    target="SecP384r1MLKEM1024 or ML-KEM-1024 where CNSA 2.0 applies", sources=["HYBRID-TLS", "FIPS203"])
fam("SecP256r1MLKEM768", ["SECP256R1MLKEM768", "P256MLKEM768"], "kem", "fixed", "none", bits=192,
    target="SecP384r1MLKEM1024 or ML-KEM-1024 where CNSA 2.0 applies", sources=["HYBRID-TLS", "FIPS203"])
fam("SecP384r1MLKEM1024", ["SECP384R1MLKEM1024", "P384MLKEM1024"], "kem", "fixed", "none", bits=256,
    sources=["HYBRID-TLS", "FIPS203", "CNSA2"])
fam("X25519Kyber768Draft00", ["X25519KYBER768DRAFT00", "X25519KYBER768"], "kem", "fixed", "none", bits=192, pre_standard=True,
    target="X25519MLKEM768", note="obsolete draft hybrid with pre-standard Kyber (not FIPS 203)", sources=["XYBER-DRAFT"])
fam("CECPQ", ["CECPQ1", "CECPQ2"], "kem", "fixed", "none", bits=128, pre_standard=True,
    target="X25519MLKEM768", note="experimental pre-standard hybrid, withdrawn", sources=["CECPQ"])

# --- symmetric ciphers (Grover) --------------------------------------------
fam("AES", ["AES", "RIJNDAEL"], "block-cipher", "key", "grover", key_sizes=[128, 192, 256],
    target="AES-256 where CNSA 2.0 applies (AES-128 remains approved)", sources=["FIPS197", "IR8547", "GROVER", "CDX-DEFS"])
fam("3DES", ["3DES", "TDEA", "DESEDE", "TRIPLEDES", "DESEDE3", "TDES", "DES3"], "block-cipher", "fixed", "classically_weak",
    bits=112, weak=True, target=SYM, note="64-bit block (Sweet32)", sources=["SP800-67", "SWEET32", "CDX-DEFS"])
fam("DES", ["DES"], "block-cipher", "fixed", "classically_weak", bits=56, weak=True, target=SYM,
    sources=["FIPS46-3", "CDX-DEFS"])
fam("ChaCha20-Poly1305", ["CHACHA20POLY1305", "XCHACHA20POLY1305"], "ae", "fixed", "grover", bits=256,
    target="AES-256-GCM where FIPS validation or CNSA 2.0 applies",
    note="not a NIST-approved algorithm; 256-bit keys keep 128-bit post-quantum strength", sources=["RFC8439", "CDX-DEFS"])
fam("ChaCha20", ["CHACHA20", "CHACHA"], "stream-cipher", "fixed", "grover", bits=256, target="AES-256-GCM",
    note="not a NIST-approved algorithm", sources=["RFC8439", "CDX-DEFS"])
fam("Poly1305", ["POLY1305"], "mac", "fixed", "grover", bits=128, target="HMAC-SHA-384 or KMAC256",
    note="not a NIST-approved algorithm", sources=["RFC8439", "CDX-DEFS"])
fam("Salsa20", ["SALSA20", "SALSA20POLY1305"], "stream-cipher", "fixed", "grover", bits=256, target=SYM,
    word_primitives={"SALSA20POLY1305": "ae"}, sources=["CDX-DEFS"])
for n, w, sizes in [("Camellia", ["CAMELLIA"], [128, 192, 256]), ("ARIA", ["ARIA"], [128, 192, 256]),
                    ("Serpent", ["SERPENT"], [128, 192, 256]), ("Twofish", ["TWOFISH"], [128, 192, 256]),
                    ("SEED", ["SEED"], [128]), ("SM4", ["SM4"], [128])]:
    fam(n, w, "block-cipher", "key", "grover", key_sizes=sizes, target=SYM,
        note="not a NIST-approved algorithm", sources=["CDX-DEFS", "GROVER"] + (["SM"] if n == "SM4" else []))
fam("GOST-28147", ["GOST28147", "GOST89", "GOST"], "block-cipher", "fixed", "classically_weak", bits=256, weak=True,
    target=SYM, note="64-bit block", sources=["GOST", "SWEET32", "CDX-DEFS"])
for n, w, bits in [("IDEA", ["IDEA"], 128), ("Blowfish", ["BLOWFISH", "BF"], 128), ("CAST5", ["CAST5", "CAST128", "CAST"], 128)]:
    fam(n, w, "block-cipher", "fixed", "classically_weak", bits=bits, weak=True, target=SYM,
        note="64-bit block (Sweet32)", sources=["SWEET32", "CDX-DEFS"])
fam("CAST6", ["CAST6", "CAST256"], "block-cipher", "key", "grover", key_sizes=[128, 160, 192, 224, 256], target=SYM,
    note="not a NIST-approved algorithm", sources=["CDX-DEFS"])
fam("RC2", ["RC2"], "block-cipher", "fixed", "classically_weak", bits=64, weak=True, target=SYM, sources=["SWEET32", "CDX-DEFS"])
fam("RC4", ["RC4", "ARC4", "ARCFOUR"], "stream-cipher", "fixed", "classically_weak", bits=0, weak=True, target=SYM,
    sources=["RFC7465", "CDX-DEFS"])
fam("RC5", ["RC5"], "block-cipher", "fixed", "classically_weak", bits=128, weak=True, target=SYM, note="64-bit block",
    sources=["SWEET32", "CDX-DEFS"])
fam("RC6", ["RC6"], "block-cipher", "key", "grover", key_sizes=[128, 192, 256], target=SYM,
    note="not a NIST-approved algorithm", sources=["CDX-DEFS"])
fam("Skipjack", ["SKIPJACK"], "block-cipher", "fixed", "classically_weak", bits=80, weak=True, target=SYM,
    sources=["CDX-DEFS", "SP800-57"])
for n, w, bits, weak in [("HC-128", ["HC128"], 128, False), ("HC-256", ["HC256"], 256, False), ("Rabbit", ["RABBIT"], 128, False),
                         ("ZUC", ["ZUC", "128EEA3", "128EIA3", "EEA3", "EIA3"], 128, False),
                         ("SNOW3G", ["SNOW3G", "128EEA1", "128EIA1", "EEA1", "EIA1", "UEA2", "UIA2"], 128, False),
                         ("A5/1", ["A51"], 64, True), ("A5/2", ["A52"], 64, True), ("CMEA", ["CMEA"], 0, True)]:
    fam(n, w, "stream-cipher" if n not in ("CMEA",) else "block-cipher", "fixed",
        "classically_weak" if weak else "grover", bits=bits, weak=weak, target=SYM,
        note=None if weak else "not a NIST-approved algorithm",
        word_primitives={w2: "mac" for w2 in w if "EIA" in w2 or "UIA" in w2} or None,
        sources=["CDX-DEFS"] + (["ETSI-3GPP"] if n in ("ZUC", "SNOW3G", "A5/1", "A5/2") else []))
fam("Ascon", ["ASCON", "ASCONAEAD128", "ASCONHASH256", "ASCONXOF128", "ASCONCXOF128"], "ae", "fixed", "grover", bits=128,
    word_primitives={"ASCONHASH256": "hash", "ASCONXOF128": "xof", "ASCONCXOF128": "xof"},
    target=None, note="NIST SP 800-232 (lightweight cryptography), 128-bit strength", sources=["CDX-DEFS"])

fam("NULL", ["NULL", "ENULL", "ANULL"], "stream-cipher", "fixed", "classically_weak", bits=0, weak=True, target=SYM,
    note="no encryption (NULL cipher) or no authentication (anonymous suite)", sources=["RFC8446-C"])

# --- hashes (Grover; collisions for classical strength) ---------------------
def hashfam(name, words, bits, out, *, weak=False, target=None, sources, note=None, threat="grover", primitive="hash",
            word_primitives=None):
    fam(name, words, primitive, "fixed", "classically_weak" if weak else threat, bits=bits, output_bits=out,
        weak=weak, target=target, sources=sources, note=note, word_primitives=word_primitives)

hashfam("SHA-1", ["SHA1", "SHA"], 63, 160, weak=True, target=HASH, sources=["FIPS180-4", "SHATTERED", "SP800-57", "CDX-DEFS"],
        note="collisions demonstrated (SHAttered)")
for n, b in [(224, 112), (256, 128), (384, 192), (512, 256)]:
    hashfam(f"SHA-{n}", [f"SHA{n}", f"SHA2{n}"], b, n, target=None if n >= 384 else HASH,
            sources=["FIPS180-4", "SP800-57", "CDX-DEFS"])
hashfam("SHA-512/224", ["SHA512224"], 112, 224, target=HASH, sources=["FIPS180-4", "SP800-57", "CDX-DEFS"])
hashfam("SHA-512/256", ["SHA512256"], 128, 256, sources=["FIPS180-4", "SP800-57", "CDX-DEFS"])
for n, b in [(224, 112), (256, 128), (384, 192), (512, 256)]:
    hashfam(f"SHA3-{n}", [f"SHA3{n}"], b, n, target=None if n >= 384 else HASH, sources=["FIPS202", "SP800-57", "CDX-DEFS"])
for n in [128, 256]:
    hashfam(f"SHAKE{n}", [f"SHAKE{n}"], n, None, sources=["FIPS202", "CDX-DEFS"], primitive="xof")
    hashfam(f"cSHAKE{n}", [f"CSHAKE{n}"], n, None, sources=["FIPS202", "CDX-DEFS"], primitive="xof")
    hashfam(f"KMAC{n}", [f"KMAC{n}", f"KMACXOF{n}"], n, None, sources=["FIPS202", "CDX-DEFS"], primitive="mac")
    hashfam(f"TupleHash{n}", [f"TUPLEHASH{n}", f"TUPLEHASHXOF{n}"], n, None, sources=["FIPS202", "CDX-DEFS"],
            word_primitives={f"TUPLEHASHXOF{n}": "xof"})
    hashfam(f"ParallelHash{n}", [f"PARALLELHASH{n}", f"PARALLELHASHXOF{n}"], n, None, sources=["FIPS202", "CDX-DEFS"],
            word_primitives={f"PARALLELHASHXOF{n}": "xof"})
hashfam("MD5", ["MD5"], 0, 128, weak=True, target=HASH, sources=["RFC6151", "CDX-DEFS"])
hashfam("MD4", ["MD4"], 0, 128, weak=True, target=HASH, sources=["RFC6151", "CDX-DEFS"])
hashfam("MD2", ["MD2"], 0, 128, weak=True, target=HASH, sources=["RFC6151", "CDX-DEFS"])
hashfam("RIPEMD-160", ["RIPEMD160", "RIPEMD", "RMD160"], 80, 160, weak=True, target=HASH, sources=["CDX-DEFS", "SP800-57"],
        note="80-bit collision resistance")
for n, b in [(128, 64), (256, 128), (320, 160)]:
    hashfam(f"RIPEMD-{n}", [f"RIPEMD{n}"], b, n, weak=b < 112, target=HASH, sources=["CDX-DEFS", "SP800-57"])
hashfam("Whirlpool", ["WHIRLPOOL"], 256, 512, target=HASH, note="not a NIST-approved algorithm", sources=["CDX-DEFS"])
hashfam("SM3", ["SM3"], 128, 256, target=HASH, note="not a NIST-approved algorithm", sources=["SM", "CDX-DEFS"])
hashfam("Streebog", ["GOSTR3411", "STREEBOG", "STREEBOG256", "STREEBOG512"], 128, 256, target=HASH,
        note="not a NIST-approved algorithm", sources=["GOST", "CDX-DEFS"])
hashfam("BLAKE2", ["BLAKE2", "BLAKE2B", "BLAKE2S"], 128, 256, target=HASH, note="not a NIST-approved algorithm", sources=["CDX-DEFS"])
hashfam("BLAKE3", ["BLAKE3"], 128, 256, target=HASH, note="not a NIST-approved algorithm", sources=["CDX-DEFS"])

# --- MACs, KDFs, password hashes, DRBGs -------------------------------------
# HMAC/HKDF/PBKDF2/MGF1 take their strength from the hash (SP 800-57 Table 3):
# sizing "hash" = look at the identity's hash.
fam("HMAC", ["HMAC", "GOSTR3411HMAC"], "mac", "hash", "grover", sources=["FIPS198-1", "SP800-57", "CDX-DEFS"])
fam("CMAC", ["CMAC", "CMACPRF"], "mac", "fixed", "grover", bits=128, sources=["FIPS197", "CDX-DEFS"])
fam("GMAC", ["GMAC"], "mac", "fixed", "grover", bits=128, sources=["FIPS197", "CDX-DEFS"])
fam("UMAC", ["UMAC"], "mac", "fixed", "grover", bits=64, target="HMAC-SHA-256", note="not a NIST-approved algorithm",
    sources=["CDX-DEFS"])
fam("SipHash", ["SIPHASH"], "mac", "fixed", "grover", bits=128, note="not a NIST-approved algorithm", sources=["CDX-DEFS"])
fam("HKDF", ["HKDF"], "kdf", "hash", "grover", sources=["SP800-56C", "CDX-DEFS"])
fam("PBKDF2", ["PBKDF2"], "kdf", "hash", "grover", sources=["SP800-132", "CDX-DEFS"])
fam("PBKDF1", ["PBKDF1"], "kdf", "hash", "classically_weak", weak=True, target="PBKDF2-HMAC-SHA-256",
    note="PKCS #5 v1: output limited to the hash length; superseded", sources=["SP800-132", "CDX-DEFS"])
fam("PBES2", ["PBES2"], "other", "hash", "grover", sources=["SP800-132", "CDX-DEFS"])
fam("PBES1", ["PBES1"], "other", "hash", "classically_weak", weak=True, target="PBES2 with PBKDF2-HMAC-SHA-256 and AES-256",
    sources=["SP800-132", "CDX-DEFS"])
fam("PBMAC1", ["PBMAC1"], "mac", "hash", "grover", sources=["SP800-132", "CDX-DEFS"])
fam("MGF1", ["MGF1"], "other", "hash", "grover", sources=["RFC8017"])
fam("KBKDF", ["KBKDF", "SP800108", "COUNTERKDF", "FEEDBACKKDF", "DOUBLEPIPELINEKDF"], "kdf", "hash", "grover",
    sources=["SP800-108", "CDX-DEFS"])
fam("SP800-56C-KDF", ["SP80056C", "ONESTEP", "TWOSTEP", "CONCATKDF", "CONCATENATIONKDF", "ANSIKDF", "X963KDF", "X942KDF", "ANSIKDFX942", "ANSIKDFX963"], "kdf", "hash", "grover",
    sources=["SP800-56C", "CDX-DEFS"])
fam("TLS-PRF", ["TLS1PRF", "TLS12PRF", "TLS13PRF", "PRF"], "kdf", "hash", "grover", sources=["SP800-56C", "CDX-DEFS"])
fam("SSH-KDF", ["SSHKDF"], "kdf", "hash", "grover", sources=["SP800-56C", "CDX-DEFS"])
fam("IKE-PRF", ["IKEPRFDERIVE", "IKE1PRFDERIVE", "IKE1EXTENDEDDERIVE", "IKE2PRFPLUSDERIVE", "IKEPRF", "IKE", "IKE1", "IKE2"], "kdf", "hash", "grover",
    sources=["SP800-56C", "CDX-DEFS"])
fam("MILENAGE", ["MILENAGE"], "mac", "fixed", "grover", bits=128, note="3GPP authentication functions (AES-based)",
    sources=["ETSI-3GPP", "CDX-DEFS"])
fam("TUAK", ["TUAK"], "mac", "fixed", "grover", bits=128, note="3GPP authentication functions (Keccak-based)",
    sources=["ETSI-3GPP", "CDX-DEFS"])
fam("3GPP-XOR", ["3GPPXOR"], "mac", "fixed", "classically_weak", bits=0, weak=True,
    note="test algorithm for 3GPP authentication, no security", sources=["CDX-DEFS"])
for n, w in [("Argon2", ["ARGON2", "ARGON2ID", "ARGON2I", "ARGON2D"]), ("scrypt", ["SCRYPT"]), ("bcrypt", ["BCRYPT"]),
             ("yescrypt", ["YESCRYPT"])]:
    fam(n, w, "kdf", "fixed", "grover", bits=128, target="PBKDF2-HMAC-SHA-256 where FIPS 140 validation applies",
        note="memory-hard password hash; not NIST-approved (SP 800-132 approves PBKDF2)", sources=["PASSWORD-HASH", "CDX-DEFS"])
for n, w in [("CTR_DRBG", ["CTRDRBG"]), ("Hash_DRBG", ["HASHDRBG"]), ("HMAC_DRBG", ["HMACDRBG"])]:
    fam(n, w, "drbg", "fixed", "grover", bits=128, sources=["SP800-90A", "CDX-DEFS"])
for n, w in [("Fortuna", ["FORTUNA"]), ("Yarrow", ["YARROW"])]:
    fam(n, w, "drbg", "fixed", "grover", bits=128, note="not a NIST-approved DRBG (SP 800-90A)", sources=["CDX-DEFS"])

# --- elliptic curves: canonical name, aliases, OID, strength ----------------
# Aliases and OIDs as in CycloneDX cryptography-defs.json (ellipticCurves),
# SEC 2 Table 1 and RFC 5639; strength = half the order size (SP 800-57 Table 2).
curves = []
def curve(name, bits, aliases, oid, sources):
    curves.append({"name": name, "bits": bits, "aliases": aliases, "oid": oid, "sources": sources})

curve("P-192", 96, ["secp192r1", "prime192v1", "nistp192", "ansip192r1"], "1.2.840.10045.3.1.1", ["SP800-186", "SEC2", "CDX-DEFS"])
curve("P-224", 112, ["secp224r1", "nistp224", "ansip224r1", "wap-wsg-idm-ecid-wtls12"], "1.3.132.0.33", ["SP800-186", "SEC2", "CDX-DEFS"])
curve("P-256", 128, ["secp256r1", "prime256v1", "nistp256"], "1.2.840.10045.3.1.7", ["SP800-186", "SEC2", "CDX-DEFS"])
curve("P-384", 192, ["secp384r1", "nistp384", "ansip384r1"], "1.3.132.0.34", ["SP800-186", "SEC2", "CDX-DEFS"])
curve("P-521", 256, ["secp521r1", "nistp521", "ansip521r1"], "1.3.132.0.35", ["SP800-186", "SEC2", "CDX-DEFS"])
curve("secp256k1", 128, ["ansip256k1"], "1.3.132.0.10", ["SEC2", "CDX-DEFS"])
curve("secp192k1", 96, ["ansip192k1"], "1.3.132.0.31", ["SEC2", "CDX-DEFS"])
curve("secp224k1", 112, ["ansip224k1"], "1.3.132.0.32", ["SEC2", "CDX-DEFS"])
curve("secp160r1", 80, ["ansip160r1", "wap-wsg-idm-ecid-wtls7"], "1.3.132.0.8", ["SEC2", "CDX-DEFS"])
for n, b, oid in [(160, 80, 1), (192, 96, 3), (224, 112, 5), (256, 128, 7), (320, 160, 9), (384, 192, 11), (512, 256, 13)]:
    curve(f"brainpoolP{n}r1", b, [], f"1.3.36.3.3.2.8.1.1.{oid}", ["RFC5639", "CDX-DEFS"])
    curve(f"brainpoolP{n}t1", b, [], f"1.3.36.3.3.2.8.1.1.{oid + 1}", ["RFC5639", "CDX-DEFS"])
for n, b, kname, koid, bname, boid in [(163, 80, "sect163k1", "1.3.132.0.1", "sect163r2", "1.3.132.0.15"),
                                        (233, 112, "sect233k1", "1.3.132.0.26", "sect233r1", "1.3.132.0.27"),
                                        (283, 128, "sect283k1", "1.3.132.0.16", "sect283r1", "1.3.132.0.17"),
                                        (409, 192, "sect409k1", "1.3.132.0.36", "sect409r1", "1.3.132.0.37"),
                                        (571, 256, "sect571k1", "1.3.132.0.38", "sect571r1", "1.3.132.0.39")]:
    curve(f"K-{n}", b, [kname, f"ansit{n}k1"], koid, ["SP800-186", "SEC2", "CDX-DEFS"])
    curve(f"B-{n}", b, [bname, "ansit" + bname[4:]], boid, ["SP800-186", "SEC2", "CDX-DEFS"])
curve("Curve25519", 128, ["X25519", "25519"], "1.3.101.110", ["RFC7748", "RFC8410", "CDX-DEFS"])
curve("Curve448", 224, ["X448", "448"], "1.3.101.111", ["RFC7748", "RFC8410", "CDX-DEFS"])
curve("Edwards25519", 128, ["Ed25519"], "1.3.101.112", ["RFC8032", "RFC8410", "SP800-186"])
curve("Edwards448", 224, ["Ed448"], "1.3.101.113", ["RFC8032", "RFC8410", "SP800-186"])
curve("SM2", 128, ["sm2p256v1"], "1.2.156.10197.1.301", ["SM", "CDX-DEFS"])
curve("FRP256v1", 128, [], "1.2.250.1.223.101.256.1", ["CDX-DEFS"])

# --- finite-field groups ----------------------------------------------------
groups = []
for n in [2048, 3072, 4096, 6144, 8192]:
    groups.append({"name": f"ffdhe{n}", "bits": n, "aliases": [f"FFDHE-{n}"], "sources": ["RFC7919"]})
for n, g in [(768, [1]), (1024, [2]), (1536, [5]), (2048, [14]), (3072, [15]), (4096, [16]), (6144, [17]), (8192, [18])]:
    groups.append({"name": f"MODP-{n}", "bits": n, "aliases": [f"modp{n}"] + [f"group{x}" for x in g] + [f"Oakley Group {x}" for x in g if x <= 2],
                   "sources": ["RFC3526"]})

# --- object identifiers → names the parser understands ----------------------
oids = []
def oid(o, name, sources):
    oids.append({"oid": o, "name": name, "sources": sources})

for o, n in [("1.1", "rsaEncryption"), ("1.2", "md2WithRSAEncryption"), ("1.4", "md5WithRSAEncryption"),
             ("1.5", "sha1WithRSAEncryption"), ("1.7", "RSAES-OAEP"), ("1.8", "MGF1"), ("1.10", "RSASSA-PSS"),
             ("1.11", "sha256WithRSAEncryption"), ("1.12", "sha384WithRSAEncryption"), ("1.13", "sha512WithRSAEncryption"),
             ("1.14", "sha224WithRSAEncryption"), ("1.15", "sha512-224WithRSAEncryption"), ("1.16", "sha512-256WithRSAEncryption")]:
    oid(f"1.2.840.113549.1.{o}", n, ["RFC8017"])
oid("1.2.840.113549.1.3.1", "DH", ["RFC3279"])
oid("1.2.840.10046.2.1", "DH", ["RFC3279"])
oid("1.2.840.113549.1.5.12", "PBKDF2", ["SP800-132"])
oid("1.2.840.113549.1.5.13", "PBES2", ["SP800-132"])
oid("1.2.840.113549.1.5.14", "PBMAC1", ["SP800-132"])
oid("1.2.840.113549.2.5", "MD5", ["RFC1321"])
oid("1.2.840.113549.2.2", "MD2", ["RFC1321"])
for o, h in [("7", "SHA1"), ("8", "SHA224"), ("9", "SHA256"), ("10", "SHA384"), ("11", "SHA512"), ("12", "SHA512-224"), ("13", "SHA512-256")]:
    oid(f"1.2.840.113549.2.{o}", f"HMAC-{h}", ["RFC4231"])
oid("1.3.14.3.2.26", "SHA-1", ["RFC1321", "RFC3279"])
oid("1.2.840.10040.4.1", "DSA", ["RFC3279"])
oid("1.2.840.10040.4.3", "DSA-SHA1", ["RFC3279"])
oid("2.16.840.1.101.3.4.3.1", "DSA-SHA224", ["RFC5758", "CSOR"])
oid("2.16.840.1.101.3.4.3.2", "DSA-SHA256", ["RFC5758", "CSOR"])
oid("1.2.840.10045.2.1", "EC", ["RFC5480"])
oid("1.3.132.1.12", "ECDH", ["RFC5480"])
oid("1.3.132.1.13", "ECMQV", ["RFC5480"])
oid("1.2.840.10045.4.1", "ECDSA-SHA1", ["RFC3279"])
for o, h in [("1", "SHA224"), ("2", "SHA256"), ("3", "SHA384"), ("4", "SHA512")]:
    oid(f"1.2.840.10045.4.3.{o}", f"ECDSA-{h}", ["RFC5758"])
oid("1.3.101.110", "X25519", ["RFC8410"])
oid("1.3.101.111", "X448", ["RFC8410"])
oid("1.3.101.112", "Ed25519", ["RFC8410"])
oid("1.3.101.113", "Ed448", ["RFC8410"])
for o, h in [("1", "SHA-256"), ("2", "SHA-384"), ("3", "SHA-512"), ("4", "SHA-224"), ("5", "SHA-512/224"), ("6", "SHA-512/256"),
             ("7", "SHA3-224"), ("8", "SHA3-256"), ("9", "SHA3-384"), ("10", "SHA3-512"), ("11", "SHAKE128"), ("12", "SHAKE256"),
             ("13", "HMAC-SHA3-224"), ("14", "HMAC-SHA3-256"), ("15", "HMAC-SHA3-384"), ("16", "HMAC-SHA3-512")]:
    oid(f"2.16.840.1.101.3.4.2.{o}", h, ["CSOR"])
for base, size in [(0, 128), (20, 192), (40, 256)]:
    for o, m in [(1, "ECB"), (2, "CBC"), (3, "OFB"), (4, "CFB"), (5, "KW"), (6, "GCM"), (7, "CCM"), (8, "KWP")]:
        oid(f"2.16.840.1.101.3.4.1.{base + o}", f"AES-{size}-{m}", ["CSOR"])
for o, n in [("17", "ML-DSA-44"), ("18", "ML-DSA-65"), ("19", "ML-DSA-87")]:
    oid(f"2.16.840.1.101.3.4.3.{o}", n, ["CSOR", "RFC9881"])
for o, n in [("32", "HashML-DSA-44-SHA512"), ("33", "HashML-DSA-65-SHA512"), ("34", "HashML-DSA-87-SHA512")]:
    oid(f"2.16.840.1.101.3.4.3.{o}", n, ["CSOR"])
i = 20
for h in ["SHA2", "SHAKE"]:
    for lvl in [128, 192, 256]:
        for v in ["s", "f"]:
            oid(f"2.16.840.1.101.3.4.3.{i}", f"SLH-DSA-{h}-{lvl}{v}", ["CSOR", "RFC9814"])
            i += 1
for o, n in [("1", "ML-KEM-512"), ("2", "ML-KEM-768"), ("3", "ML-KEM-1024")]:
    oid(f"2.16.840.1.101.3.4.4.{o}", n, ["CSOR", "RFC9935"])
oid("1.2.840.113549.1.9.16.3.17", "HSS-LMS", ["RFC8554"])
oid("1.2.643.7.1.1.1.1", "GOSTR3410-2012-256", ["GOST"])
oid("1.2.156.10197.1.301", "SM2", ["SM"])
oid("1.2.156.10197.1.401", "SM3", ["SM"])

# --- whole-name aliases (spellings the token grammar cannot infer) ----------
aliases = []
def alias(a, name, sources):
    aliases.append({"alias": a, "name": name, "sources": sources})

alias("DESede", "3DES", ["JCA"])
alias("DES-EDE3", "3DES", ["OPENSSL"])
alias("DES-EDE3-CBC", "3DES-CBC", ["OPENSSL"])
alias("DES-CBC3", "3DES-CBC", ["OPENSSL"])
alias("TripleDES", "3DES", ["JCA"])
alias("id-ecPublicKey", "EC", ["RFC5480", "OPENSSL"])
alias("dhKeyAgreement", "DH", ["OPENSSL"])
alias("PureEd25519", "Ed25519", ["RFC8032"])
alias("CRYSTALS-Kyber", "Kyber", ["PQC-ROUND3"])
alias("CRYSTALS-Dilithium", "Dilithium", ["PQC-ROUND3"])
alias("ConcatenationKDF", "SP800-56C-KDF", ["SP800-56C"])
alias("ConcatKDF", "SP800-56C-KDF", ["SP800-56C"])
alias("A5/1", "A5/1", ["CDX-DEFS"])
alias("A5/2", "A5/2", ["CDX-DEFS"])

# --- TLS named groups that rustls does not (yet) list -----------------------
tls_groups = [
    {"code": 0x11ED, "name": "SecP384r1MLKEM1024", "sources": ["HYBRID-TLS"]},
    {"code": 0x11EC, "name": "X25519MLKEM768", "sources": ["HYBRID-TLS"]},
    {"code": 0x11EB, "name": "SecP256r1MLKEM768", "sources": ["HYBRID-TLS"]},
    {"code": 0x0200, "name": "ML-KEM-512", "sources": ["MLKEM-TLS"]},
    {"code": 0x0201, "name": "ML-KEM-768", "sources": ["MLKEM-TLS"]},
    {"code": 0x0202, "name": "ML-KEM-1024", "sources": ["MLKEM-TLS"]},
    {"code": 0x6399, "name": "X25519Kyber768Draft00", "sources": ["XYBER-DRAFT"]},
]

kb = {
    "format": 2,
    "version": "2026.12.1",
    "description": "Quantun QRAP knowledge base: algorithm families (strength, quantum threat, migration target), curves, groups, OIDs and aliases, each with its sources. Generated by ml-engine/tools/gen_kb.py; policy lives in policy_packs.json.",
    "sources": SOURCES,
    "modulus_strength": MODULUS_STRENGTH,
    "families": families,
    "curves": curves,
    "groups": groups,
    "oids": oids,
    "aliases": aliases,
    "tls_groups": tls_groups,
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "knowledge_base.json")
with open(out, "w") as f:
    json.dump(kb, f, indent=1)
    f.write("\n")
print(len(families), "families,", len(curves), "curves,", len(oids), "OIDs")
