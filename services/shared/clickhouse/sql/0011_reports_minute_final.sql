-- Each closed minute's counts, written once by the finalizer
-- (FinalizeBefore, run by the detector's leader), so that reads cost in
-- proportion to buckets, not to reports. grain says what a row counts:
-- 0 the service's whole minute (symptom = country = ''), 1 a symptom
-- (country = ''), 2 a country (symptom = ''), 3 a symptom from a country.
-- reports and reporters are plain numbers from reports_minute's
-- exact-distinct states; reporters are distinct within the row's minute
-- and grain. reporters_state is a sketch of the same reporters, from the
-- raw reports: a reporter counts once over a longer span only if the
-- span's rows are merged, and uniqCombined's states merge at a cost
-- bounded per row (exact for small sets, a fixed-size HyperLogLog for
-- large ones) where uniqExact's grow with the reporters. A minute
-- finalised again (a retried run, a backfill behind the watermark) writes
-- its rows again with a higher version; readers use FINAL. Counts only
-- grow, so a newer row is never a smaller one.
CREATE TABLE IF NOT EXISTS reports_minute_final (
    grain UInt8,
    service String,
    minute DateTime,
    symptom String,
    country String,
    reports UInt64,
    reporters UInt64,
    reporters_state AggregateFunction(uniqCombined, String),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMMDD(minute)
ORDER BY (grain, service, minute, symptom, country);

-- Sketches of the reporters that reports_minute counts without raw
-- reports behind them: a backfill's synthetic ones (BackfillStage), which
-- the finalizer and the open minutes' reads add to the raw reports'.
CREATE TABLE IF NOT EXISTS reports_minute_sketch (
    service String,
    minute DateTime,
    symptom String,
    country String,
    reporters AggregateFunction(uniqCombined, String)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(minute)
ORDER BY (service, minute, symptom, country);

-- How far reports_minute_final goes: every minute before the largest
-- upto is final. One row per run of the finalizer; merges keep the
-- largest, and readers take max(upto) either way.
CREATE TABLE IF NOT EXISTS reports_minute_final_mark (
    k UInt8,
    upto DateTime
) ENGINE = ReplacingMergeTree(upto)
ORDER BY k;
