-- Comments an operator has hidden (web comments hide), keyed by the id of
-- the report that carries them: the id is what the public comments API
-- shows, so an operator can hide exactly what readers see. Unhiding writes
-- a new row with a higher version and hidden = 0; readers use FINAL to see
-- each report's latest state. service lets a page's query read only its
-- own service's rows.
CREATE TABLE IF NOT EXISTS comment_hidden (
    service String,
    report_id String,
    hidden UInt8,
    at DateTime,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (service, report_id);
