"""The audit log: append-only, hash-chained entries of what recipients and admins did."""
