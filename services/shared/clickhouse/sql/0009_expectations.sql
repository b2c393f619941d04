-- What the detector judged each service's bucket against: its expected
-- count and, for each span ending with the bucket, the span's count, its
-- expected sum and the counts that would open "possible" and "detected"
-- (package band). Pages draw these as the usual range, so the chart shows
-- the detector's line and no other. A bucket judged again (a replay, a
-- restart) writes its row again; the newest written_at wins.
CREATE TABLE IF NOT EXISTS expectations (
    service String,
    bucket DateTime,
    bucket_seconds UInt32,
    expected Float64,
    spans Array(UInt16),
    counts Array(Float64),
    span_expected Array(Float64),
    possible Array(Float64),
    detected Array(Float64),
    written_at DateTime
) ENGINE = ReplacingMergeTree(written_at)
PARTITION BY toYYYYMMDD(bucket)
ORDER BY (service, bucket);
