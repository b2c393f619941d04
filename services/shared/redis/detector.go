package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	lapor "github.com/lapor/lapor/services/shared"
)

// Redis keys of the detector's state beside the alert log, in its hash
// slot: the script that publishes events checks the lease and writes the
// states with them (AlertLog.Publish), which on a Redis Cluster needs one
// slot.
var (
	// DetectorLeaseKey is the lease only whose holder runs cycles and
	// publishes.
	DetectorLeaseKey = InSlot(Alerts, "detector:lease")
	// DetectorStateKey is a hash of incident states, one field per
	// incident ID, written with the events that announce them and cleared
	// once ClickHouse has them.
	DetectorStateKey = InSlot(Alerts, "detector:incidents")
	// DetectorArchivedKey is the cursor of the alert log up to which every
	// event is in alert_events.
	DetectorArchivedKey = InSlot(Alerts, "detector:archived")
)

// oldDetectorKeys are the names the keys above had before they moved into
// the alert log's slot.
var oldDetectorKeys = []struct{ from, to string }{
	{"lapor:detector:lease", DetectorLeaseKey},
	{"lapor:detector:incidents", DetectorStateKey},
	{"lapor:detector:archived", DetectorArchivedKey},
}

// DetectorState is the detector's state in Redis: the alert log it
// publishes to, the incident states published with the events, the
// alert_events checkpoint and the learnt records.
type DetectorState struct {
	rdb goredis.UniversalClient
	log *AlertLog
}

// NewDetectorState returns the detector's state in rdb.
func NewDetectorState(rdb goredis.UniversalClient) *DetectorState {
	return &DetectorState{rdb: rdb, log: NewAlertLog(rdb)}
}

// Ping checks that Redis answers.
func (s *DetectorState) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// MoveOldKeys renames the detector's keys of an older Lapor, so that an
// upgraded detector goes on from their state: the lease stays held by
// the old holder until it expires, and incident states and the archive
// cursor are kept. A name already taken is left alone. Only one Redis node
// can hold older keys (an older Lapor could not run on a cluster), where
// renaming between slots would fail.
func (s *DetectorState) MoveOldKeys(ctx context.Context) error {
	for _, k := range oldDetectorKeys {
		n, err := s.rdb.Exists(ctx, k.from).Result()
		if err != nil {
			return fmt.Errorf("look for old key %s: %w", k.from, err)
		}
		if n == 0 {
			continue
		}
		if err := s.rdb.RenameNX(ctx, k.from, k.to).Err(); err != nil && !errors.Is(err, goredis.Nil) {
			return fmt.Errorf("rename old key %s to %s: %w", k.from, k.to, err)
		}
	}
	return nil
}

// OldestUnwritten is OldestUnwritten over streams.
func (s *DetectorState) OldestUnwritten(ctx context.Context, streams []string) (time.Time, bool, error) {
	return OldestUnwritten(ctx, s.rdb, streams)
}

// Publish is AlertLog.Publish.
func (s *DetectorState) Publish(ctx context.Context, b AlertBatch) ([]Published, error) {
	return s.log.Publish(ctx, b)
}

// AlertsAfter is AlertLog.After.
func (s *DetectorState) AlertsAfter(ctx context.Context, cursor string, n int64) ([]AlertEntry, error) {
	return s.log.After(ctx, cursor, n)
}

// LastAlert is AlertLog.Last.
func (s *DetectorState) LastAlert(ctx context.Context) (string, error) { return s.log.Last(ctx) }

// Archived is the alert_events checkpoint (DetectorArchivedKey), "" when
// there is none.
func (s *DetectorState) Archived(ctx context.Context) (string, error) {
	cursor, err := s.rdb.Get(ctx, DetectorArchivedKey).Result()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return "", fmt.Errorf("read the alert_events checkpoint: %w", err)
	}
	return cursor, nil
}

// SetArchived moves the alert_events checkpoint to cursor.
func (s *DetectorState) SetArchived(ctx context.Context, cursor string) error {
	if err := s.rdb.Set(ctx, DetectorArchivedKey, cursor, 0).Err(); err != nil {
		return fmt.Errorf("move the alert_events checkpoint to %s: %w", cursor, err)
	}
	return nil
}

// IncidentStates are the published incident states (DetectorStateKey),
// encoded, by incident ID.
func (s *DetectorState) IncidentStates(ctx context.Context) (map[string]string, error) {
	m, err := s.rdb.HGetAll(ctx, DetectorStateKey).Result()
	if err != nil {
		return nil, fmt.Errorf("read published incident states: %w", err)
	}
	return m, nil
}

// clearScript deletes the fields of a hash that still hold the given
// values: a state replaced since it was saved stays for its own save.
// KEYS[1] the hash; ARGV field and value pairs.
var clearScript = goredis.NewScript(`local n = 0
for i = 1, #ARGV, 2 do
  if redis.call("HGET", KEYS[1], ARGV[i]) == ARGV[i + 1] then
    n = n + redis.call("HDEL", KEYS[1], ARGV[i])
  end
end
return n`)

// ClearIncidentStates removes incident states, by ID, from
// DetectorStateKey, each only while it still holds the encoded value
// given.
func (s *DetectorState) ClearIncidentStates(ctx context.Context, states map[string]string) error {
	args := make([]any, 0, 2*len(states))
	for id, v := range states {
		args = append(args, id, v)
	}
	if err := clearScript.Run(ctx, s.rdb, []string{DetectorStateKey}, args...).Err(); err != nil {
		return fmt.Errorf("clear %d saved incident states: %w", len(states), err)
	}
	return nil
}

// storedState is an incident as DetectorStateKey keeps it: the incident's
// JSON (lapor.Incident's, the API's) and beside it what the API leaves
// out.
type storedState struct {
	Incident *lapor.Incident `json:"incident"`
	Version  uint64          `json:"version"`
	Span     uint16          `json:"span"`
}

// legacyState is how states were kept before storedState, flat; a state
// written by the previous release during an upgrade is read so.
type legacyState struct {
	ID               string    `json:"id"`
	Service          string    `json:"service"`
	Level            string    `json:"level"`
	Status           string    `json:"status"`
	StartedAt        time.Time `json:"started_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	EndedAt          time.Time `json:"ended_at"`
	EndReason        string    `json:"end_reason"`
	Peak             uint32    `json:"peak"`
	PeakAt           time.Time `json:"peak_at"`
	Baseline         float64   `json:"baseline"`
	LastCount        uint32    `json:"last_count"`
	TopSymptoms      []string  `json:"top_symptoms"`
	TopSymptomShares []float64 `json:"top_symptom_shares"`
	TopCountries     []string  `json:"top_countries"`
	Version          uint64    `json:"version"`
	Span             uint16    `json:"span"`
}

// EncodeIncidentState encodes an incident as DetectorStateKey keeps it.
func EncodeIncidentState(in lapor.Incident) (string, error) {
	b, err := json.Marshal(storedState{Incident: &in, Version: in.Version, Span: in.Span})
	if err != nil {
		return "", fmt.Errorf("encode state of incident %s: %w", in.ID, err)
	}
	return string(b), nil
}

// DecodeIncidentState reads what EncodeIncidentState wrote, or what the
// previous release wrote.
func DecodeIncidentState(s string) (lapor.Incident, error) {
	var st storedState
	if err := json.Unmarshal([]byte(s), &st); err == nil && st.Incident != nil {
		in := *st.Incident
		in.Version, in.Span = st.Version, st.Span
		return in, nil
	}
	var old legacyState
	if err := json.Unmarshal([]byte(s), &old); err != nil {
		return lapor.Incident{}, fmt.Errorf("decode incident state: %w", err)
	}
	in := lapor.Incident{ID: old.ID, Service: old.Service, Level: lapor.Level(old.Level), Status: lapor.Status(old.Status),
		StartedAt: old.StartedAt, UpdatedAt: old.UpdatedAt, EndReason: lapor.EndReason(old.EndReason),
		Peak: old.Peak, PeakAt: old.PeakAt, Baseline: old.Baseline, LastCount: old.LastCount,
		TopCountries: old.TopCountries, Version: old.Version, Span: old.Span}
	if old.EndedAt.Unix() > 0 {
		in.EndedAt = old.EndedAt
	}
	for i, sym := range old.TopSymptoms {
		sh := lapor.SymptomShare{Symptom: sym}
		if i < len(old.TopSymptomShares) {
			sh.Share = old.TopSymptomShares[i]
		}
		in.TopSymptoms = append(in.TopSymptoms, sh)
	}
	return in, nil
}

// RecordsTTL is how long saved records outlive the last save: by then
// what they learnt (with a three-day half-life) has faded to a fifth, and
// a detector that is gone leaves nothing behind for good.
const RecordsTTL = 7 * 24 * time.Hour

// RecordsKey is the Redis hash of the detector's saved records, one field
// per service. Spans are counted in buckets, so each bucket size has its
// own.
func RecordsKey(bucket time.Duration) string {
	return "lapor:detector:records:" + strconv.FormatInt(int64(bucket/time.Second), 10) + "s"
}

// SaveRecords replaces the saved records of bucket size bucket with
// records (service, encoded record), in one transaction.
func (s *DetectorState) SaveRecords(ctx context.Context, bucket time.Duration, records map[string]string) error {
	key := RecordsKey(bucket)
	fields := make([]any, 0, 2*len(records))
	for svc, r := range records {
		fields = append(fields, svc, r)
	}
	_, err := s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Del(ctx, key)
		if len(fields) > 0 {
			p.HSet(ctx, key, fields...)
			p.Expire(ctx, key, RecordsTTL)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save %d learnt records: %w", len(records), err)
	}
	return nil
}

// Records are the saved records of bucket size bucket, encoded, by
// service.
func (s *DetectorState) Records(ctx context.Context, bucket time.Duration) (map[string]string, error) {
	m, err := s.rdb.HGetAll(ctx, RecordsKey(bucket)).Result()
	if err != nil {
		return nil, fmt.Errorf("read learnt records: %w", err)
	}
	return m, nil
}
