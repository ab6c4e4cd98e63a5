"""Running an instance: backups and restores, metrics, health, the checks of `tipline check`
and the demo content. Operations call the domain (tipline.core and the apps); the domain
never imports them."""
