-- Partner API keys. Only a SHA-256 hash of each key's secret is kept.
-- Revoking writes a new row with a higher version and revoked_at set;
-- readers use FINAL to see each key's latest state.
CREATE TABLE IF NOT EXISTS api_keys (
    id String,
    name String,
    hash String,
    scopes Array(String),
    quota String,
    created_at DateTime,
    revoked_at DateTime,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;
