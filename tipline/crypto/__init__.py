"""Tipline's cryptography: pure functions over libsodium (PyNaCl) and `cryptography`; imports nothing from Django.

Modules, from the bottom up:
  aead            versioned XChaCha20-Poly1305 envelopes bound to a purpose and a context
  kdf             Argon2id parameters (production and the test-only fast set)
  memory          keeps what a process holds out of core dumps (Python cannot wipe bytes)
  receipts        tipster receipts: generation, typo checks, lookup id + wrapping key
  recipient_keys  recipient X25519 key pairs wrapped under a password or a recovery code
  tip_keys        per-tip keys sealed to recipients and wrapped for the tipster
  content         padded encryption of answers and messages under a tip key
  files           chunked secretstream encryption of attachments, each with its own key
  sessions        key material carried by a session: ciphertext in the row, key in the cookie
  account_secrets an account's TOTP seed, encrypted under a key only its private key gives
  encoding        base64url without padding, the text form of keys and ciphertexts
  channel_keys    offline-key channels: fingerprints, proofs, key hand-over, tipline-reader's vault
  xwing           the X-Wing hybrid KEM (ML-KEM-768 + X25519), checked against the draft's vectors
  hybrid_box      sealed boxes to an X-Wing public key and its key lines (nothing is sealed with them yet)
docs/crypto.md explains what each key protects and what a thief gets.
"""
