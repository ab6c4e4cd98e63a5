"""tipline-reader: a recipient's own program for offline-key channels. It keeps the channel's
private key on the recipient's computer under a passphrase, fetches tips as ciphertext over
the API (or from a bundle carried to a machine that never goes online), decrypts them
locally, and seals replies and notes before they leave. It imports nothing from Django."""
