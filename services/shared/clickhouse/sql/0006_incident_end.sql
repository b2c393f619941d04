-- Why a resolved incident ended: normal, faded or new_normal (see
-- spike.End); empty while it is open and for incidents resolved before
-- this column existed.
ALTER TABLE incidents ADD COLUMN end_reason String DEFAULT '' AFTER ended_at;
