-- Per-minute rollup by service, symptom and country. Both measures are
-- exact-distinct states, so the rollup is idempotent under retried inserts
-- and distinct reporters merge correctly across symptoms and countries.
CREATE TABLE IF NOT EXISTS reports_minute (
    service String,
    minute DateTime,
    symptom String,
    country String,
    reports AggregateFunction(uniqExact, String),
    reporters AggregateFunction(uniqExact, String)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(minute)
ORDER BY (service, minute, symptom, country);

CREATE MATERIALIZED VIEW IF NOT EXISTS reports_minute_mv TO reports_minute AS
SELECT
    service,
    toStartOfMinute(ts) AS minute,
    symptom,
    country,
    uniqExactState(id) AS reports,
    uniqExactState(reporter) AS reporters
FROM reports
GROUP BY service, minute, symptom, country;
