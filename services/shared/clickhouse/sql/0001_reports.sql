-- Raw reports, one row per counted report. A retried batch writes the same
-- ids again; ReplacingMergeTree folds those rows on merge and every count
-- is taken with uniqExact(id), so a retry never doubles a number.
CREATE TABLE IF NOT EXISTS reports (
    id String,
    service String,
    symptom String,
    ts DateTime,
    country String,
    region String,
    city String,
    asn UInt32,
    isp String,
    platform String,
    reporter String,
    comment String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (service, ts, id);
