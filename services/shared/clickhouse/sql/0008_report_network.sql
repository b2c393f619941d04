-- The keyed hash of each report's network (see report.Report.Network), so
-- the detector can tell an incident that one network alone would carry.
-- '' for reports stored before this column existed.
ALTER TABLE reports ADD COLUMN network String DEFAULT '' AFTER reporter;
