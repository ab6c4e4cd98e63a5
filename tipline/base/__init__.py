"""The small base every app stands on: the site's derived keys (site_keys), the key-derivation
policy (crypto_policy) and the shared cache's safe backend (shared_cache). It imports only Django,
the crypto and the standard library, never another Tipline app."""
