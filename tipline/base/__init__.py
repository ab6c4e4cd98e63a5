"""The small base every app stands on: the site's derived keys (site_keys), the key-derivation
policy (crypto_policy), the shared cache's safe backend (shared_cache) and the clock its time
windows read (clock). It imports only Django, the crypto and the standard library, never another
Tipline app."""
