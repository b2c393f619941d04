package consume

import (
	"encoding/json"
	"fmt"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/redis"
)

// ClickHouse DateTime is seconds since the epoch in a UInt32; a time
// outside it would fail every batch it is in.
var (
	minTime = time.Unix(0, 0)
	maxTime = time.Unix(1<<32-1, 0)
)

// Classify turns a stream entry into a report, or, when it can never be
// written, into a redis.Dead saying why. Exactly one of the results is set.
func Classify(msg redis.Entry) (lapor.Report, *redis.Dead) {
	dead := func(raw, reason string) (lapor.Report, *redis.Dead) {
		return lapor.Report{}, &redis.Dead{ID: msg.ID, Raw: raw, Reason: reason}
	}
	if msg.Values == nil {
		// A pending entry whose body was deleted (a trim, a hand edit):
		// there is nothing left to write, but it must still be acked.
		return dead("", "entry was deleted from the stream before it was written")
	}
	v, ok := msg.Values[redis.ReportField]
	if !ok {
		// Keep whatever the entry did hold, so nothing is silently lost.
		b, _ := json.Marshal(msg.Values)
		return dead(string(b), fmt.Sprintf("entry has no %q field", redis.ReportField))
	}
	raw, ok := v.(string)
	if !ok {
		return dead(fmt.Sprint(v), fmt.Sprintf("field %q is not a string", redis.ReportField))
	}
	rep, err := decodeReport(raw)
	if err != nil {
		return dead(raw, err.Error())
	}
	if rep.Time.Before(minTime) || rep.Time.After(maxTime) {
		return dead(raw, fmt.Sprintf("time %s is outside what ClickHouse DateTime can hold", rep.Time.UTC().Format(time.RFC3339)))
	}
	return rep, nil
}
