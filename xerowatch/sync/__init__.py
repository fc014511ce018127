"""The sync engine: mapping, validation, matching, batching, retry policy, resync."""
