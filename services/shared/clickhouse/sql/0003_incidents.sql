-- Incidents: every change writes a new row with a higher version; readers
-- use FINAL (or argMax) to see the latest state of each incident.
CREATE TABLE IF NOT EXISTS incidents (
    id String,
    service String,
    level String,
    status String,
    started_at DateTime,
    updated_at DateTime,
    ended_at DateTime,
    peak UInt32,
    peak_at DateTime,
    baseline Float64,
    last_count UInt32,
    top_symptoms Array(String),
    top_symptom_shares Array(Float64),
    top_countries Array(String),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(started_at)
ORDER BY (service, started_at, id);

-- Alert events as published to the alert stream, kept for history.
CREATE TABLE IF NOT EXISTS alert_events (
    id String,
    incident_id String,
    service String,
    kind String,
    level String,
    at DateTime,
    count UInt32,
    baseline Float64,
    payload String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, id);
