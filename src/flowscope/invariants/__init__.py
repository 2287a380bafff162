"""Business invariants: rules per workflow type, checked once on every workflow that
completes or fails, after the batch that ended it commits (docs/invariants.md)."""
