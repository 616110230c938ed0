"""The public ledger: canonical event encoding, SHA-256 chaining and verification."""
