#!/usr/bin/env python3
"""Regenerates ml-engine/data/knowledge_base.json from the tables below.

The JSON file is the versioned artefact the engine loads; this script only
saves typing the repetitive families (key sizes, curves, AES modes). Edit the
tables, run `python3 ml-engine/tools/gen_kb.py`, review the diff, commit both.
"""
import json, os

SOURCES = {
    "IR8547": "NIST IR 8547 ipd, Transition to Post-Quantum Cryptography Standards (Nov 2024), Tables 2-4: 112-bit RSA/ECC/FFC deprecated after 2030, quantum-vulnerable public-key disallowed after 2035",
    "SP800-131A": "NIST SP 800-131A Rev. 2, Transitioning the Use of Cryptographic Algorithms and Key Lengths (Mar 2019)",
    "SP800-57": "NIST SP 800-57 Part 1 Rev. 5 (May 2020), Table 2: comparable security strengths",
    "FIPS186-5": "NIST FIPS 186-5, Digital Signature Standard (Feb 2023): DSA no longer approved for signature generation; EdDSA added",
    "SP800-186": "NIST SP 800-186, Recommendations for Discrete Logarithm-based Cryptography: Elliptic Curve Domain Parameters (Feb 2023)",
    "RFC5639": "RFC 5639, ECC Brainpool Standard Curves and Curve Generation",
    "SEC2": "SECG SEC 2 v2, Recommended Elliptic Curve Domain Parameters (secp256k1)",
    "RFC7748": "RFC 7748, Elliptic Curves for Security (X25519, X448)",
    "RFC8032": "RFC 8032, Edwards-Curve Digital Signature Algorithm (Ed25519, Ed448)",
    "RFC7919": "RFC 7919, Negotiated Finite Field Diffie-Hellman Ephemeral Parameters for TLS (ffdhe groups)",
    "FIPS203": "NIST FIPS 203, Module-Lattice-Based Key-Encapsulation Mechanism Standard (Aug 2024): ML-KEM-512/768/1024 = categories 1/3/5",
    "FIPS204": "NIST FIPS 204, Module-Lattice-Based Digital Signature Standard (Aug 2024): ML-DSA-44/65/87 = categories 2/3/5",
    "FIPS205": "NIST FIPS 205, Stateless Hash-Based Digital Signature Standard (Aug 2024): SLH-DSA parameter sets",
    "SP800-208": "NIST SP 800-208, Recommendation for Stateful Hash-Based Signature Schemes (LMS, XMSS) (Oct 2020)",
    "HYBRID-TLS": "draft-ietf-tls-ecdhe-mlkem, Post-quantum hybrid ECDHE-MLKEM Key Agreement for TLSv1.3 (X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024)",
    "CNSA2": "NSA CNSA 2.0 Algorithms (CSA, Sept 2022; CNSSP-15 update Dec 2024): ML-KEM-1024, ML-DSA-87, LMS/XMSS, AES-256, SHA-384/512",
    "FIPS197": "NIST FIPS 197, Advanced Encryption Standard; SP 800-38A/C/D modes; IR 8547 sec. 4.2: AES-128/192/256 remain approved",
    "SP800-67": "NIST SP 800-67 Rev. 2 (withdrawn Jan 2024) and SP 800-131A Rev. 2: TDEA encryption disallowed after 2023",
    "RFC8439": "RFC 8439, ChaCha20 and Poly1305 for IETF Protocols",
    "FIPS180-4": "NIST FIPS 180-4, Secure Hash Standard; SP 800-131A Rev. 2 sec. 9: SHA-1 disallowed for digital signature generation",
    "FIPS202": "NIST FIPS 202, SHA-3 Standard",
    "RFC6151": "RFC 6151, Updated Security Considerations for MD5",
    "RFC7465": "RFC 7465, Prohibiting RC4 Cipher Suites",
    "FIPS198-1": "NIST FIPS 198-1, The Keyed-Hash Message Authentication Code (HMAC); SP 800-131A Rev. 2 sec. 10: HMAC-SHA-1 acceptable",
    "PQC-CATEGORIES": "NIST Post-Quantum Cryptography Call for Proposals (2016), sec. 4.A.5: categories 1-5 defined by key search on AES-128/192/256 (1/3/5) and collisions on SHA-256/384 (2/4)",
    "SP800-56C": "NIST SP 800-56C Rev. 2 / SP 800-108 Rev. 1 / SP 800-132: key-derivation methods",
}

CNSA2_DEADLINES = [
    {"category": "software_firmware_signing", "prefer_by": 2025, "exclusive_by": 2030},
    {"category": "web_browsers_servers_cloud", "prefer_by": 2025, "exclusive_by": 2033},
    {"category": "traditional_networking_equipment", "prefer_by": 2026, "exclusive_by": 2030},
    {"category": "operating_systems", "prefer_by": 2027, "exclusive_by": 2033},
    {"category": "niche_equipment", "prefer_by": 2030, "exclusive_by": 2033},
    {"category": "custom_and_legacy", "prefer_by": 2033, "exclusive_by": 2033},
]

entries = []

def add(name, family, primitive, bits, threat, *, aliases=(), key_size=None, pq_cat=None,
        deprecated_after=None, disallowed_after=None, disallowed_now=False, cnsa2=False,
        target=None, sig_target=None, sources=(), note=None):
    entries.append({
        "name": name, "aliases": list(aliases), "family": family, "primitive": primitive,
        "key_size": key_size, "classical_bits": bits, "nist_pq_category": pq_cat,
        "quantum_threat": threat, "deprecated_after": deprecated_after,
        "disallowed_after": disallowed_after, "disallowed_now": disallowed_now,
        "cnsa2_approved": cnsa2, "migration_target": target,
        "signature_migration_target": sig_target, "note": note,
        "sources": list(sources),
    })

def ir8547(bits):
    # IR 8547 Table 2/4: 112-bit deprecated after 2030; all disallowed after 2035.
    return {"deprecated_after": 2030 if bits <= 112 else None, "disallowed_after": 2035}

KEX_TARGET = "X25519MLKEM768 hybrid, then ML-KEM-768 (ML-KEM-1024 for CNSA 2.0)"
SIG_TARGET = "ML-DSA-65 (ML-DSA-87 for CNSA 2.0; LMS/XMSS for firmware signing)"

# RSA (SP 800-57 Table 2 strengths; 4096 and 8192 interpolated conservatively)
for size, bits in [(1024, 80), (1536, 96), (2048, 112), (3072, 128), (4096, 152), (7680, 192), (8192, 200), (15360, 256)]:
    if bits < 112:
        add(f"RSA-{size}", "RSA", "pke", bits, "classically_weak", key_size=size,
            aliases=[f"RSA{size}"], disallowed_now=True, disallowed_after=2035, target=KEX_TARGET, sig_target=SIG_TARGET,
            sources=["SP800-131A", "SP800-57", "IR8547"], note="below 112-bit security: already disallowed")
    else:
        add(f"RSA-{size}", "RSA", "pke", bits, "shor", key_size=size, target=KEX_TARGET, sig_target=SIG_TARGET,
            sources=["IR8547", "SP800-57"], **ir8547(bits))

# Finite-field DH (MODP and RFC 7919 groups)
for size, bits in [(1024, 80), (2048, 112), (3072, 128), (4096, 152), (6144, 176), (8192, 200)]:
    al = [f"DH{size}", f"FFDHE{size}", f"FFDHE-{size}", f"MODP-{size}", f"DHE-{size}"]
    if bits < 112:
        add(f"DH-{size}", "DH", "key_agreement", bits, "classically_weak", key_size=size, aliases=al,
            disallowed_now=True, disallowed_after=2035, target=KEX_TARGET,
            sources=["SP800-131A", "SP800-57", "IR8547"], note="below 112-bit security: already disallowed")
    else:
        add(f"DH-{size}", "DH", "key_agreement", bits, "shor", key_size=size, aliases=al, target=KEX_TARGET,
            sources=["IR8547", "SP800-57", "RFC7919"], **ir8547(bits))

# DSA: FIPS 186-5 withdrew approval for signature generation.
for size, bits in [(1024, 80), (2048, 112), (3072, 128)]:
    add(f"DSA-{size}", "DSA", "signature", bits, "classically_weak" if bits < 112 else "shor", key_size=size,
        aliases=[f"DSA{size}"], disallowed_now=True, disallowed_after=2035, target=SIG_TARGET,
        sources=["FIPS186-5", "SP800-131A", "IR8547"],
        note="DSA signature generation is no longer approved (FIPS 186-5); verification of legacy signatures only")

# Elliptic curves: ECDSA and ECDH per curve.
CURVES = [
    ("P-192", 96, ["SECP192R1", "PRIME192V1"], "SP800-186"),
    ("P-224", 112, ["SECP224R1"], "SP800-186"),
    ("P-256", 128, ["SECP256R1", "PRIME256V1", "NISTP256"], "SP800-186"),
    ("P-384", 192, ["SECP384R1", "NISTP384"], "SP800-186"),
    ("P-521", 256, ["SECP521R1", "NISTP521"], "SP800-186"),
    ("secp256k1", 128, ["SECG-SECP256K1"], "SEC2"),
    ("brainpoolP256r1", 128, [], "RFC5639"),
    ("brainpoolP384r1", 192, [], "RFC5639"),
    ("brainpoolP512r1", 256, [], "RFC5639"),
]
for curve, bits, calias, src in CURVES:
    for fam, prim, target in [("ECDSA", "signature", SIG_TARGET), ("ECDH", "key_agreement", KEX_TARGET)]:
        al = [f"{fam}{c}" for c in calias] + [f"{fam}-SECG/{c}" for c in calias]
        if fam == "ECDH":
            al += [f"ECDHE-{curve}"] + [f"ECDHE{c}" for c in calias]
        if bits < 112:
            add(f"{fam}-{curve}", fam, prim, bits, "classically_weak", aliases=al, disallowed_now=True,
                disallowed_after=2035, target=target, sources=["SP800-131A", "IR8547", src],
                note="below 112-bit security: already disallowed")
        else:
            add(f"{fam}-{curve}", fam, prim, bits, "shor", aliases=al, target=target,
                sources=["IR8547", "SP800-57", src], **ir8547(bits))

add("Ed25519", "EdDSA", "signature", 128, "shor", aliases=["EdDSA-Ed25519", "EdDSA-25519", "PureEd25519"],
    target=SIG_TARGET, sources=["IR8547", "RFC8032", "FIPS186-5"], **ir8547(128))
add("Ed448", "EdDSA", "signature", 224, "shor", aliases=["EdDSA-Ed448", "EdDSA-448"],
    target=SIG_TARGET, sources=["IR8547", "RFC8032", "FIPS186-5"], **ir8547(224))
add("X25519", "ECDH", "key_agreement", 128, "shor", aliases=["ECDH-X25519", "ECDH-Curve25519", "Curve25519", "ECDHE-X25519"],
    target=KEX_TARGET, sources=["IR8547", "RFC7748", "SP800-186"], **ir8547(128))
add("X448", "ECDH", "key_agreement", 224, "shor", aliases=["ECDH-X448", "Curve448"],
    target=KEX_TARGET, sources=["IR8547", "RFC7748", "SP800-186"], **ir8547(224))

# Post-quantum standards.
for n, cat, bits in [(512, 1, 128), (768, 3, 192), (1024, 5, 256)]:
    add(f"ML-KEM-{n}", "ML-KEM", "kem", bits, "none", pq_cat=cat, aliases=[f"MLKEM{n}", f"Kyber{n}", f"CRYSTALS-Kyber-{n}"],
        cnsa2=(n == 1024), target=None if n == 1024 else "ML-KEM-1024 where CNSA 2.0 applies",
        sources=["FIPS203", "CNSA2"] if n == 1024 else ["FIPS203"])
for n, cat, bits in [(44, 2, 128), (65, 3, 192), (87, 5, 256)]:
    add(f"ML-DSA-{n}", "ML-DSA", "signature", bits, "none", pq_cat=cat, aliases=[f"MLDSA{n}", f"Dilithium{ {44: 2, 65: 3, 87: 5}[n] }"],
        cnsa2=(n == 87), target=None if n == 87 else "ML-DSA-87 where CNSA 2.0 applies",
        sources=["FIPS204", "CNSA2"] if n == 87 else ["FIPS204"])
for h in ["SHA2", "SHAKE"]:
    for lvl, cat, bits in [(128, 1, 128), (192, 3, 192), (256, 5, 256)]:
        for v in ["s", "f"]:
            add(f"SLH-DSA-{h}-{lvl}{v}", "SLH-DSA", "signature", bits, "none", pq_cat=cat,
                aliases=[f"SPHINCS+-{h}-{lvl}{v}"], sources=["FIPS205"])
add("LMS", "LMS", "signature", 256, "none", pq_cat=5, aliases=["HSS", "HSS-LMS", "LMS-SHA256"], cnsa2=True,
    sources=["SP800-208", "CNSA2"], note="stateful: state management must prevent one-time key reuse")
add("XMSS", "XMSS", "signature", 256, "none", pq_cat=5, aliases=["XMSSMT", "XMSS-MT", "XMSS-SHA2-256"], cnsa2=True,
    sources=["SP800-208", "CNSA2"], note="stateful: state management must prevent one-time key reuse")

# Hybrids (the classical half adds defence in depth; the ML-KEM half removes the Shor threat).
add("X25519MLKEM768", "hybrid", "kem", 192, "none", pq_cat=3, aliases=["X25519-ML-KEM-768", "X25519_MLKEM768"],
    target="ML-KEM-1024 (or SecP384r1MLKEM1024) where CNSA 2.0 applies", sources=["HYBRID-TLS", "FIPS203"])
add("SecP256r1MLKEM768", "hybrid", "kem", 192, "none", pq_cat=3, aliases=["P256-ML-KEM-768", "SECP256R1MLKEM768"],
    target="ML-KEM-1024 (or SecP384r1MLKEM1024) where CNSA 2.0 applies", sources=["HYBRID-TLS", "FIPS203"])
add("SecP384r1MLKEM1024", "hybrid", "kem", 256, "none", pq_cat=5, aliases=["P384-ML-KEM-1024"],
    cnsa2=True, sources=["HYBRID-TLS", "FIPS203", "CNSA2"])
add("X25519Kyber768Draft00", "hybrid", "kem", 192, "none", pq_cat=3, aliases=["X25519Kyber768"],
    target="X25519MLKEM768 (the pre-standard Kyber draft is being withdrawn from TLS stacks)", sources=["HYBRID-TLS"],
    note="pre-standard Kyber; not FIPS 203 ML-KEM")

# Symmetric ciphers: Grover halves the effective key length; AES-128 stays approved (IR 8547 4.2).
for size in [128, 192, 256]:
    for mode in [None, "GCM", "CBC", "CTR", "CCM", "XTS", "ECB", "CFB", "OFB", "KW"]:
        name = f"AES-{size}" + (f"-{mode}" if mode else "")
        al = [f"AES{size}" + (mode or ""), f"AES_{size}" + (f"_{mode}" if mode else "")]
        if mode == "GCM":
            al.append(f"AES-{size}-GCM-128-12")
        add(name, "AES", "block_cipher" if mode not in ("GCM", "CCM") else "aead", size, "grover",
            key_size=size, aliases=al, cnsa2=(size == 256), pq_cat={128: 1, 192: 3, 256: 5}[size],
            target=None if size == 256 else "AES-256 where CNSA 2.0 applies (AES-128 remains approved)",
            sources=["FIPS197", "IR8547", "PQC-CATEGORIES", "CNSA2"] if size == 256 else ["FIPS197", "IR8547", "PQC-CATEGORIES"],
            note="ECB leaks plaintext patterns; prefer an AEAD mode" if mode == "ECB" else None)
add("3DES", "TDEA", "block_cipher", 112, "classically_weak", key_size=168,
    aliases=["TDEA", "DESede", "DES-EDE3", "3DES-CBC", "DES-EDE3-CBC", "TripleDES"], disallowed_now=True,
    target="AES-256-GCM", sources=["SP800-67", "SP800-131A"], note="64-bit block (Sweet32); encryption disallowed after 2023")
add("DES", "DES", "block_cipher", 56, "classically_weak", key_size=56, aliases=["DES-CBC"], disallowed_now=True,
    target="AES-256-GCM", sources=["SP800-131A"])
add("RC4", "RC4", "stream_cipher", 0, "classically_weak", aliases=["ARC4", "ARCFOUR"], disallowed_now=True,
    target="AES-256-GCM or ChaCha20-Poly1305", sources=["RFC7465"])
add("ChaCha20-Poly1305", "ChaCha20", "aead", 256, "grover", key_size=256, aliases=["CHACHA20POLY1305", "ChaCha20"],
    target="AES-256-GCM where CNSA 2.0 / FIPS validation applies", sources=["RFC8439"],
    note="not a NIST-approved algorithm, but 256-bit keys keep 128-bit post-quantum strength")

# Hashes.
add("MD5", "MD5", "hash", 0, "classically_weak", aliases=["MD-5"], disallowed_now=True, target="SHA-384",
    sources=["RFC6151", "SP800-131A"])
add("SHA-1", "SHA-1", "hash", 63, "classically_weak", aliases=["SHA1", "SHA"], disallowed_now=True, target="SHA-384",
    sources=["FIPS180-4", "SP800-131A"], note="collisions demonstrated (SHAttered); disallowed for signatures")
for n, bits in [(224, 112), (256, 128), (384, 192), (512, 256)]:
    add(f"SHA-{n}", "SHA-2", "hash", bits, "grover", aliases=[f"SHA{n}", f"SHA2-{n}"], cnsa2=(n >= 384),
        pq_cat={224: None, 256: 2, 384: 4, 512: 4}[n],
        target=None if n >= 384 else "SHA-384 where CNSA 2.0 applies",
        sources=["FIPS180-4", "IR8547", "PQC-CATEGORIES", "CNSA2"] if n >= 384 else ["FIPS180-4", "IR8547", "PQC-CATEGORIES"])
add("SHA-512/256", "SHA-2", "hash", 128, "grover", aliases=["SHA512/256", "SHA-512-256"], sources=["FIPS180-4"])
for n, bits in [(224, 112), (256, 128), (384, 192), (512, 256)]:
    add(f"SHA3-{n}", "SHA-3", "hash", bits, "grover", aliases=[f"SHA3_{n}"], pq_cat={224: None, 256: 2, 384: 4, 512: 4}[n],
        sources=["FIPS202", "IR8547", "PQC-CATEGORIES"])
add("SHAKE128", "SHA-3", "xof", 128, "grover", sources=["FIPS202"])
add("SHAKE256", "SHA-3", "xof", 256, "grover", sources=["FIPS202"])

# MACs and KDFs.
add("HMAC-SHA1", "HMAC", "mac", 128, "grover", aliases=["HMACSHA1", "HMAC-SHA-1"], target="HMAC-SHA-384",
    sources=["FIPS198-1", "SP800-131A"], note="HMAC-SHA-1 is still acceptable for HMAC; migrate opportunistically")
for n in [256, 384, 512]:
    add(f"HMAC-SHA{n}", "HMAC", "mac", 256 if n > 256 else 256, "grover", aliases=[f"HMACSHA{n}", f"HMAC-SHA-{n}"],
        cnsa2=(n >= 384), sources=["FIPS198-1", "IR8547"])
add("HKDF-SHA256", "HKDF", "kdf", 128, "grover", aliases=["HKDF"], sources=["SP800-56C"])
add("HKDF-SHA384", "HKDF", "kdf", 192, "grover", sources=["SP800-56C"])
add("PBKDF2-HMAC-SHA256", "PBKDF2", "kdf", 128, "grover", aliases=["PBKDF2", "PBKDF2WithHmacSHA256"], sources=["SP800-56C"])
add("PBKDF2-HMAC-SHA1", "PBKDF2", "kdf", 128, "grover", aliases=["PBKDF2WithHmacSHA1"], target="PBKDF2-HMAC-SHA256",
    sources=["SP800-56C", "SP800-131A"])
add("KBKDF-HMAC-SHA256", "KBKDF", "kdf", 128, "grover", aliases=["SP800-108"], sources=["SP800-56C"])

kb = {
    "format": 1,
    "version": "2026.11.1",
    "description": "Quantun QRAP knowledge base: security strengths, quantum threat and NIST/CNSA policy per algorithm. Generated by ml-engine/tools/gen_kb.py.",
    "sources": SOURCES,
    "cnsa2_deadlines": CNSA2_DEADLINES,
    "entries": entries,
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "knowledge_base.json")
with open(out, "w") as f:
    json.dump(kb, f, indent=1)
    f.write("\n")
print(len(entries), "entries")
