#!/usr/bin/env python3
"""Regenerates ml-engine/data/policy_packs.json: the policy packs as data.

A pack is one set of standards (NIST; NSA CNSA 2.0) with its documents, a
version and an ordered rule list. The first rule whose conditions all hold
for an algorithm (as the identity layer resolved it) and its use gives the
status timeline; every rule cites document + section/table. Edit here, run
`python3 ml-engine/tools/gen_packs.py`, review the diff, commit both.
`ml-engine/tests/policy.rs` checks each rule against its cited source.
"""
import json, os

PK_NIST = ["RSA", "DH", "DSA", "ECDSA", "ECDH", "EC", "EdDSA"]
SHOR_OTHER = ["ElGamal", "SRP", "SM2", "SM9", "GOST-R-34.10", "BLS", "J-PAKE", "OPAQUE", "SPAKE2", "SPAKE2+", "X3DH", "HPKE"]
HASH_BASED = ["HMAC", "HKDF", "PBKDF2", "PBES2", "PBMAC1", "MGF1", "KBKDF", "SP800-56C-KDF", "TLS-PRF", "SSH-KDF", "IKE-PRF"]
SHA224 = ["SHA-224", "SHA-512/224", "SHA3-224"]
WEAK_HASHES = ["MD5", "MD4", "MD2", "RIPEMD-160", "RIPEMD-128"]
NON_NIST_HASHES = ["SM3", "Streebog", "BLAKE2", "BLAKE3", "Whirlpool", "RIPEMD-256", "RIPEMD-320"]

def t(*pairs):
    return [{"from": f, "status": s} for f, s in pairs]

ALWAYS = lambda s: t((None, s))

nist_rules = [
    {"id": "nist-pre-standard-pqc", "when": {"pre_standard": True}, "timeline": ALWAYS("not_approved"),
     "cite": "FIPS 203 sec. 1.3, FIPS 204 sec. 1.3, FIPS 205 sec. 1.1: the approved algorithms differ from the round-3 Kyber/Dilithium/SPHINCS+ submissions (not interoperable)", "source": "FIPS203"},
    {"id": "nist-ml-kem", "when": {"families": ["ML-KEM"]}, "timeline": ALWAYS("acceptable"), "cite": "FIPS 203 (Aug 2024) sec. 8", "source": "FIPS203"},
    {"id": "nist-ml-dsa", "when": {"families": ["ML-DSA"]}, "timeline": ALWAYS("acceptable"), "cite": "FIPS 204 (Aug 2024) sec. 4", "source": "FIPS204"},
    {"id": "nist-slh-dsa", "when": {"families": ["SLH-DSA"]}, "timeline": ALWAYS("acceptable"), "cite": "FIPS 205 (Aug 2024) sec. 11", "source": "FIPS205"},
    {"id": "nist-stateful-hbs", "when": {"families": ["LMS", "XMSS"]}, "timeline": ALWAYS("acceptable"), "cite": "SP 800-208 sec. 1 and 4-5 (LMS/HSS, XMSS/XMSS^MT approved with SP 800-208 parameter sets)", "source": "SP800-208"},
    {"id": "nist-hybrid-kem", "when": {"families": ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"]}, "timeline": ALWAYS("acceptable"),
     "cite": "SP 800-227 sec. 4.6 and SP 800-56C Rev. 2 sec. 2: a combined shared secret with one approved component (ML-KEM) is approved", "source": "SP800-227"},
    {"id": "nist-dsa-verify", "when": {"families": ["DSA"], "ops": ["process"]}, "timeline": t((None, "legacy_use"), (2036, "disallowed")),
     "cite": "FIPS 186-5 sec. 1 (DSA only to verify signatures made before Feb 2024); SP 800-131A Rev. 2 sec. 1.2 (legacy use); IR 8547 sec. 4.1 Table 3 (disallowed after 2035)", "source": "FIPS186-5"},
    {"id": "nist-dsa-generate", "when": {"families": ["DSA"]}, "timeline": ALWAYS("disallowed"),
     "cite": "FIPS 186-5 sec. 1: DSA is no longer approved for digital signature generation", "source": "FIPS186-5"},
    {"id": "nist-weak-pk-verify", "when": {"families": PK_NIST, "max_bits": 111, "usages": ["signature", "certificate"], "ops": ["process"]},
     "timeline": t((None, "legacy_use"), (2036, "disallowed")),
     "cite": "SP 800-131A Rev. 2 sec. 3 Table 2: signature verification with < 112-bit keys is legacy use", "source": "SP800-131A-R2"},
    {"id": "nist-weak-pk", "when": {"families": PK_NIST, "max_bits": 111}, "timeline": ALWAYS("disallowed"),
     "cite": "SP 800-131A Rev. 2 sec. 3 Table 2, sec. 5 Table 4, sec. 6 Table 5: < 112-bit security disallowed", "source": "SP800-131A-R2"},
    {"id": "nist-rsa-pkcs1v15-decrypt", "when": {"families": ["RSA"], "schemes": ["PKCS1-v1.5"], "usages": ["encryption", "key_exchange"], "ops": ["process"]},
     "timeline": t((None, "legacy_use"), (2036, "disallowed")),
     "cite": "SP 800-131A Rev. 2 sec. 6 Table 5 (PKCS #1 v1.5 key transport disallowed after 2023) and sec. 1.2 (legacy use: processing already-protected data)", "source": "SP800-131A-R2"},
    {"id": "nist-rsa-pkcs1v15-encrypt", "when": {"families": ["RSA"], "schemes": ["PKCS1-v1.5"], "usages": ["encryption", "key_exchange"]},
     "timeline": ALWAYS("disallowed"), "cite": "SP 800-131A Rev. 2 sec. 6 Table 5: RSA key transport with PKCS #1 v1.5 padding disallowed after 2023", "source": "SP800-131A-R2"},
    {"id": "nist-x25519-x448", "when": {"families": ["X25519", "X448"]}, "timeline": ALWAYS("not_approved"),
     "cite": "SP 800-56A Rev. 3 sec. 5.5.1 (approved ECC key agreement uses the SP 800-186 Weierstrass curves); X25519/X448 alone are not an approved scheme", "source": "SP800-56A"},
    {"id": "nist-pk-112", "when": {"families": PK_NIST, "max_bits": 127}, "timeline": t((None, "acceptable"), (2031, "deprecated"), (2036, "disallowed")),
     "cite": "IR 8547 ipd sec. 4.1 Tables 2-3: 112-bit RSA/ECC/FFC deprecated after 2030, disallowed after 2035", "source": "IR8547"},
    {"id": "nist-pk", "when": {"families": PK_NIST}, "timeline": t((None, "acceptable"), (2036, "disallowed")),
     "cite": "IR 8547 ipd sec. 4.1 Tables 2-3: quantum-vulnerable public-key algorithms disallowed after 2035", "source": "IR8547"},
    {"id": "nist-other-public-key", "when": {"families": SHOR_OTHER}, "timeline": ALWAYS("not_approved"),
     "cite": "SP 800-140C / SP 800-140D (CMVP approved security functions): not listed", "source": "SP800-140C"},
    {"id": "nist-sha1-signature-generation", "when": {"names": ["SHA-1"], "usages": ["signature", "certificate"], "ops": ["protect"]},
     "timeline": ALWAYS("disallowed"), "cite": "SP 800-131A Rev. 2 sec. 9 Table 8: SHA-1 for digital signature generation disallowed", "source": "SP800-131A-R2"},
    {"id": "nist-sha1-signature-verification", "when": {"names": ["SHA-1"], "usages": ["signature", "certificate"]},
     "timeline": t((None, "legacy_use"), (2031, "disallowed")),
     "cite": "SP 800-131A Rev. 2 sec. 9 Table 8 (verification: legacy use); SP 800-131A Rev. 3 ipd sec. 9 (SHA-1 disallowed after 2030)", "source": "SP800-131A-R3"},
    {"id": "nist-sha1-other", "when": {"names": ["SHA-1"]}, "timeline": t((None, "acceptable"), (2031, "disallowed")),
     "cite": "SP 800-131A Rev. 2 sec. 9 Table 8 (non-signature uses acceptable); SP 800-131A Rev. 3 ipd sec. 9 (SHA-1 disallowed after 2030)", "source": "SP800-131A-R3"},
    {"id": "nist-sha1-keyed", "when": {"families": HASH_BASED, "hashes": ["SHA-1"]}, "timeline": t((None, "acceptable"), (2031, "disallowed")),
     "cite": "SP 800-131A Rev. 2 sec. 10 Table 9 (HMAC with SHA-1 acceptable) and sec. 8; SP 800-131A Rev. 3 ipd sec. 9 (SHA-1 disallowed after 2030)", "source": "SP800-131A-R3"},
    {"id": "nist-224-bit-hashes", "when": {"names": SHA224}, "timeline": t((None, "acceptable"), (2031, "disallowed")),
     "cite": "SP 800-131A Rev. 3 ipd sec. 9: SHA-224, SHA-512/224 and SHA3-224 (112-bit collision resistance) disallowed after 2030", "source": "SP800-131A-R3"},
    {"id": "nist-224-bit-keyed", "when": {"families": HASH_BASED, "hashes": SHA224}, "timeline": t((None, "acceptable"), (2031, "disallowed")),
     "cite": "SP 800-131A Rev. 3 ipd sec. 9-10: 224-bit hash functions retired after 2030 for all uses", "source": "SP800-131A-R3"},
    {"id": "nist-weak-hash", "when": {"names": WEAK_HASHES}, "timeline": ALWAYS("disallowed"),
     "cite": "SP 800-131A Rev. 2 sec. 9 (only SHA-1, SHA-2 and SHA-3 are approved); RFC 6151 (MD5 collisions)", "source": "SP800-131A-R2"},
    {"id": "nist-weak-hash-keyed", "when": {"families": HASH_BASED, "hashes": WEAK_HASHES}, "timeline": ALWAYS("disallowed"),
     "cite": "SP 800-131A Rev. 2 sec. 8-10: only approved hash functions may be used in HMAC and KDFs", "source": "SP800-131A-R2"},
    {"id": "nist-non-nist-hash-keyed", "when": {"families": HASH_BASED, "hashes": NON_NIST_HASHES}, "timeline": ALWAYS("not_approved"),
     "cite": "SP 800-131A Rev. 2 sec. 8-10: only approved hash functions may be used in HMAC and KDFs", "source": "SP800-131A-R2"},
    {"id": "nist-tdea-decrypt", "when": {"families": ["3DES"], "ops": ["process"]}, "timeline": ALWAYS("legacy_use"),
     "cite": "SP 800-131A Rev. 2 sec. 2 Table 1: three-key TDEA decryption is legacy use", "source": "SP800-131A-R2"},
    {"id": "nist-tdea-encrypt", "when": {"families": ["3DES"]}, "timeline": ALWAYS("disallowed"),
     "cite": "SP 800-131A Rev. 2 sec. 2 Table 1: TDEA encryption disallowed after 2023", "source": "SP800-131A-R2"},
    {"id": "nist-skipjack-decrypt", "when": {"families": ["Skipjack"], "ops": ["process"]}, "timeline": ALWAYS("legacy_use"),
     "cite": "SP 800-131A Rev. 2 sec. 2 Table 1: SKIPJACK decryption is legacy use", "source": "SP800-131A-R2"},
    {"id": "nist-weak", "when": {"weak": True}, "timeline": ALWAYS("disallowed"),
     "cite": "SP 800-131A Rev. 2 sec. 2 and 9 (DES, SKIPJACK, non-approved 64-bit ciphers); RFC 7465 (RC4); RFC 6151", "source": "SP800-131A-R2"},
    {"id": "nist-aes", "when": {"families": ["AES"]}, "timeline": ALWAYS("acceptable"),
     "cite": "FIPS 197; SP 800-131A Rev. 2 sec. 2 Table 1; IR 8547 ipd sec. 4.2: AES-128/192/256 remain approved", "source": "FIPS197"},
    {"id": "nist-sha2-sha3", "when": {"families": ["SHA-256", "SHA-384", "SHA-512", "SHA-512/256", "SHA3-256", "SHA3-384", "SHA3-512",
                                                  "SHAKE128", "SHAKE256", "cSHAKE128", "cSHAKE256", "KMAC128", "KMAC256",
                                                  "TupleHash128", "TupleHash256", "ParallelHash128", "ParallelHash256"]},
     "timeline": ALWAYS("acceptable"), "cite": "FIPS 180-4; FIPS 202; SP 800-185; SP 800-131A Rev. 2 sec. 9 Table 8", "source": "FIPS180-4"},
    {"id": "nist-hash-based-constructions", "when": {"families": HASH_BASED + ["CMAC", "GMAC", "CTR_DRBG", "Hash_DRBG", "HMAC_DRBG"]},
     "timeline": ALWAYS("acceptable"), "cite": "FIPS 198-1; SP 800-38B/D; SP 800-56C Rev. 2; SP 800-108 Rev. 1; SP 800-132; SP 800-90A Rev. 1; SP 800-131A Rev. 2 sec. 4, 8, 10", "source": "SP800-131A-R2"},
    {"id": "nist-ascon", "when": {"families": ["Ascon"]}, "timeline": ALWAYS("acceptable"), "cite": "SP 800-232 (Aug 2025): Ascon-AEAD128, Ascon-Hash256, Ascon-XOF128", "source": "SP800-232"},
    {"id": "nist-not-approved", "when": {}, "timeline": ALWAYS("not_approved"),
     "cite": "SP 800-140C / SP 800-140D (CMVP approved security functions): not listed (e.g. ChaCha20-Poly1305, Camellia, bcrypt/scrypt/Argon2)", "source": "SP800-140C"},
]

CNSA_PK = ["RSA", "DH", "ECDSA", "ECDH", "EC"]
cnsa_rules = [
    {"id": "cnsa2-pre-standard", "when": {"pre_standard": True}, "timeline": ALWAYS("not_approved"), "cite": "CNSA 2.0 CSA: only the NIST standards ML-KEM/ML-DSA are listed", "source": "CNSA2"},
    {"id": "cnsa2-stateful-firmware", "when": {"families": ["LMS", "XMSS"], "categories": ["software_firmware_signing"]}, "timeline": ALWAYS("acceptable"),
     "cite": "CNSA 2.0 CSA, algorithm table: LMS and XMSS (SP 800-208) for software and firmware signing", "source": "CNSA2"},
    {"id": "cnsa2-stateful-elsewhere", "when": {"families": ["LMS", "XMSS"]}, "timeline": ALWAYS("not_approved"),
     "cite": "CNSA 2.0 CSA: LMS/XMSS are approved only for software and firmware signing", "source": "CNSA2"},
    {"id": "cnsa2-ml-kem-1024", "when": {"names": ["ML-KEM-1024", "SecP384r1MLKEM1024"]}, "timeline": ALWAYS("acceptable"),
     "cite": "CNSA 2.0 CSA, algorithm table: ML-KEM-1024 (FIPS 203) for key establishment", "source": "CNSA2"},
    {"id": "cnsa2-ml-dsa-87", "when": {"names": ["ML-DSA-87"]}, "timeline": ALWAYS("acceptable"),
     "cite": "CNSA 2.0 CSA, algorithm table: ML-DSA-87 (FIPS 204) for signatures", "source": "CNSA2"},
    {"id": "cnsa2-aes-256", "when": {"families": ["AES"], "min_bits": 256}, "timeline": ALWAYS("acceptable"),
     "cite": "CNSA 2.0 CSA, algorithm table: AES-256 (FIPS 197)", "source": "CNSA2"},
    {"id": "cnsa2-sha-384-512", "when": {"names": ["SHA-384", "SHA-512"]}, "timeline": ALWAYS("acceptable"),
     "cite": "CNSA 2.0 CSA, algorithm table: SHA-384 or SHA-512 (FIPS 180-4)", "source": "CNSA2"},
    {"id": "cnsa2-keyed-sha-384-512", "when": {"families": HASH_BASED, "hashes": ["SHA-384", "SHA-512"]}, "timeline": ALWAYS("acceptable"),
     "cite": "CNSA 2.0 CSA (SHA-384/512) with CNSSP-15 Annex B: HMAC and KDFs built on them", "source": "CNSA2"},
    {"id": "cnsa2-cnsa1-rsa-dh", "when": {"families": ["RSA", "DH"], "min_bits": 128},
     "timeline": t((None, "acceptable"), ("prefer_by", "deprecated"), ("exclusive_by", "disallowed")),
     "cite": "CNSSP-15 / CNSA 1.0: RSA and DH with >= 3072-bit moduli; CNSA 2.0 CSA timeline: preferred CNSA 2.0 by the category's date, exclusive after", "source": "CNSA2"},
    {"id": "cnsa2-cnsa1-ecc", "when": {"families": ["ECDSA", "ECDH", "EC"], "min_bits": 192},
     "timeline": t((None, "acceptable"), ("prefer_by", "deprecated"), ("exclusive_by", "disallowed")),
     "cite": "CNSSP-15 / CNSA 1.0: ECDH and ECDSA on P-384; CNSA 2.0 CSA timeline: preferred CNSA 2.0 by the category's date, exclusive after", "source": "CNSA2"},
    {"id": "cnsa2-not-listed", "when": {}, "timeline": ALWAYS("not_approved"),
     "cite": "CNSA 2.0 CSA: algorithms not in the CNSA 2.0 (or, during transition, CNSA 1.0) suite", "source": "CNSA2"},
]

packs = {
    "format": 1,
    "packs": [
        {
            "id": "nist",
            "title": "NIST transition (IR 8547 ipd, SP 800-131A Rev. 2 and Rev. 3 ipd, FIPS 186-5/203/204/205, SP 800-208)",
            "version": "2026.12.1",
            "documents": {
                "IR8547": {"title": "NIST IR 8547 ipd, Transition to Post-Quantum Cryptography Standards (Nov 2024)", "draft": True},
                "SP800-131A-R2": {"title": "NIST SP 800-131A Rev. 2, Transitioning the Use of Cryptographic Algorithms and Key Lengths (Mar 2019)", "draft": False},
                "SP800-131A-R3": {"title": "NIST SP 800-131A Rev. 3 ipd (Oct 2024): SHA-1 and 224-bit hashes retired after 2030, DSA generation retired", "draft": True},
                "FIPS186-5": {"title": "NIST FIPS 186-5, Digital Signature Standard (Feb 2023)", "draft": False},
                "FIPS203": {"title": "NIST FIPS 203, ML-KEM (Aug 2024)", "draft": False},
                "FIPS204": {"title": "NIST FIPS 204, ML-DSA (Aug 2024)", "draft": False},
                "FIPS205": {"title": "NIST FIPS 205, SLH-DSA (Aug 2024)", "draft": False},
                "SP800-208": {"title": "NIST SP 800-208, Stateful Hash-Based Signature Schemes (Oct 2020)", "draft": False},
                "SP800-227": {"title": "NIST SP 800-227, Recommendations for Key-Encapsulation Mechanisms (Sept 2025)", "draft": False},
                "SP800-56A": {"title": "NIST SP 800-56A Rev. 3, Pair-Wise Key-Establishment Using Discrete Logarithm Cryptography (Apr 2018)", "draft": False},
                "SP800-140C": {"title": "NIST SP 800-140C Rev. 2 / 800-140D Rev. 2, CMVP Approved Security Functions and Key Establishment (2023)", "draft": False},
                "FIPS197": {"title": "NIST FIPS 197, Advanced Encryption Standard (upd. May 2023)", "draft": False},
                "FIPS180-4": {"title": "NIST FIPS 180-4, Secure Hash Standard (Aug 2015); FIPS 202 SHA-3 (Aug 2015)", "draft": False},
                "SP800-232": {"title": "NIST SP 800-232, Ascon-Based Lightweight Cryptography Standards (Aug 2025)", "draft": False},
            },
            "rules": nist_rules,
        },
        {
            "id": "cnsa2",
            "title": "NSA CNSA 2.0 (Commercial National Security Algorithm Suite 2.0)",
            "version": "2026.12.1",
            "documents": {
                "CNSA2": {"title": "NSA Cybersecurity Advisory, Announcing the Commercial National Security Algorithm Suite 2.0 (Sept 2022; FAQ updated Dec 2024)", "draft": False},
                "CNSSP15": {"title": "CNSSP 15, Use of Public Standards for Secure Information Sharing (Dec 2024 update): CNSA 1.0 and 2.0", "draft": False},
                "NSM10": {"title": "National Security Memorandum 10 (May 2022): quantum-resistant NSS by 2035", "draft": False},
            },
            "categories": [
                {"id": "software_firmware_signing", "prefer_by": 2025, "exclusive_by": 2030, "cite": "CNSA 2.0 CSA timeline: software/firmware signing, support and prefer by 2025, exclusively by 2030"},
                {"id": "web_browsers_servers_cloud", "prefer_by": 2025, "exclusive_by": 2033, "cite": "CNSA 2.0 CSA timeline: web browsers/servers and cloud services, prefer by 2025, exclusively by 2033"},
                {"id": "traditional_networking_equipment", "prefer_by": 2026, "exclusive_by": 2030, "cite": "CNSA 2.0 CSA timeline: traditional networking equipment (VPNs, routers), prefer by 2026, exclusively by 2030"},
                {"id": "operating_systems", "prefer_by": 2027, "exclusive_by": 2033, "cite": "CNSA 2.0 CSA timeline: operating systems, prefer by 2027, exclusively by 2033"},
                {"id": "niche_equipment", "prefer_by": 2030, "exclusive_by": 2033, "cite": "CNSA 2.0 CSA timeline: niche equipment (constrained devices, large PKI), prefer by 2030, exclusively by 2033"},
                {"id": "custom_and_legacy", "prefer_by": 2033, "exclusive_by": 2033, "cite": "CNSA 2.0 CSA timeline: custom applications and legacy equipment, update or replace by 2033"},
                {"id": "unspecified", "prefer_by": 2025, "exclusive_by": 2035, "cite": "no category given: earliest preference date (2025) and NSM-10's 2035 goal for all NSS"},
            ],
            "default_category": "unspecified",
            "rules": cnsa_rules,
        },
    ],
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "policy_packs.json")
with open(out, "w") as f:
    json.dump(packs, f, indent=1)
    f.write("\n")
print(len(nist_rules), "NIST rules,", len(cnsa_rules), "CNSA 2.0 rules")
