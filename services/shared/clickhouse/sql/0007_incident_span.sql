-- How many buckets the span that opened an incident summed (see
-- spike.Incident.Span): a restarted detector judges the incident's end
-- over the same span. 0 for incidents stored before this column existed.
ALTER TABLE incidents ADD COLUMN span UInt16 DEFAULT 0 AFTER version;
