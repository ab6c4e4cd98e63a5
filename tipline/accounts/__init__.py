"""People who sign in: recipients and admins, their roles, sessions and logout."""
