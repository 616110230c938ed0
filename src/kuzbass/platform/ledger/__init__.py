"""The public ledger as stored in the database: events, the chain head, and verification."""
