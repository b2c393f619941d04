-- Webhook subscriptions of partner API keys. Deleting writes a new row with
-- a higher version and deleted = 1; readers use FINAL. The secret is kept
-- as is because the dispatcher signs every delivery with it. start_cursor
-- is the alert log's position when the subscription was made: deliveries
-- begin after it.
CREATE TABLE IF NOT EXISTS webhooks (
    id String,
    owner String,
    url String,
    filter String,
    description String,
    secret String,
    start_cursor String,
    created_at DateTime,
    deleted UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (owner, id);

-- One row per delivery attempt, append-only. The attempt that ends an
-- event's delivery has status delivered or dead; the dispatcher resumes
-- each subscription after its newest such event (ordered by the alert log
-- cursor, split into its two numbers so it sorts numerically), and
-- reschedules an interrupted retry from the failed attempts after it.
-- Times are unix milliseconds: attempts with short backoffs fall in the
-- same second, and DateTime64 is missing on ClickHouse 18.16.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    webhook_id String,
    delivery_id String,
    event_id String,
    cursor String,
    cursor_ms UInt64,
    cursor_seq UInt64,
    attempt UInt32,
    at_ms UInt64,
    status String,
    status_code UInt16,
    error String,
    duration_ms UInt32,
    next_at_ms UInt64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(at_ms, 1000)))
ORDER BY (webhook_id, cursor_ms, cursor_seq, attempt);
