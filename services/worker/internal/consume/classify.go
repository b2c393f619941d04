package consume

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/report"
	"github.com/lapor/lapor/services/shared/stream"
)

// Fields of a dead-letter entry.
const (
	DeadIDField     = "id"     // the original entry's id in the report stream
	DeadRawField    = "raw"    // the original value, as it was
	DeadReasonField = "reason" // why it can never be written
)

// ClickHouse DateTime is seconds since the epoch in a UInt32; a time
// outside it would fail every batch it is in.
var (
	minTime = time.Unix(0, 0)
	maxTime = time.Unix(1<<32-1, 0)
)

// Dead is an entry that can never be written, and why.
type Dead struct {
	ID     string
	Raw    string
	Reason string
}

// Classify turns a stream entry into a report, or, when it can never be
// written, into a Dead saying why. Exactly one of the results is set.
func Classify(msg redis.XMessage) (report.Report, *Dead) {
	dead := func(raw, reason string) (report.Report, *Dead) {
		return report.Report{}, &Dead{ID: msg.ID, Raw: raw, Reason: reason}
	}
	if msg.Values == nil {
		// A pending entry whose body was deleted (a trim, a hand edit):
		// there is nothing left to write, but it must still be acked.
		return dead("", "entry was deleted from the stream before it was written")
	}
	v, ok := msg.Values[stream.ReportField]
	if !ok {
		// Keep whatever the entry did hold, so nothing is silently lost.
		b, _ := json.Marshal(msg.Values)
		return dead(string(b), fmt.Sprintf("entry has no %q field", stream.ReportField))
	}
	raw, ok := v.(string)
	if !ok {
		return dead(fmt.Sprint(v), fmt.Sprintf("field %q is not a string", stream.ReportField))
	}
	rep, err := report.Decode(raw)
	if err != nil {
		return dead(raw, err.Error())
	}
	if rep.Time.Before(minTime) || rep.Time.After(maxTime) {
		return dead(raw, fmt.Sprintf("time %s is outside what ClickHouse DateTime can hold", rep.Time.UTC().Format(time.RFC3339)))
	}
	return rep, nil
}
