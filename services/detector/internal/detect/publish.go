package detect

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/redis"
)

// pendingEvent is an event with the exact payload every sink receives.
type pendingEvent struct {
	ev      lapor.AlertEvent
	payload string
}

// outbox holds what cycles decided but storage has not all taken yet, and
// writes it in an order that survives the detector dying at any instant,
// with any number of replicas, so that every state change reaches every
// channel exactly once, under one event ID:
//
//  1. Events and every incident state they change go to Redis in one
//     atomic script (redis.AlertLog.Publish): the events to the alert log that
//     webhooks, polling and SSE read, the states to redis.DetectorStateKey. The script
//     writes only while this detector holds the lease (redis.DetectorLeaseKey), so a
//     replica that lost it, even in the middle of a cycle, publishes
//     nothing. Event IDs derive from the incident and its transition
//     (eventID), and the log takes an ID once, so an event decided again
//     is not published again.
//  2. alert_events follows the alert log from a checkpoint (redis.DetectorArchivedKey):
//     events go there from the log itself, so a copy interrupted anywhere
//     is made again with the same ID, time and payload, rows that the
//     table folds.
//  3. The incident rows go to ClickHouse, and only then are their states
//     cleared from redis.DetectorStateKey.
//
// redis.DetectorStateKey is the detector's memory between step 1 and step 3: Load
// writes to ClickHouse whatever states it holds that ClickHouse lacks
// before reading the open incidents, so a restarted detector, or the
// replica that takes over, knows of every event that went out and does
// not decide it again. Every state goes through step 1, events or not,
// so whatever a replica that lost the lease may still write to ClickHouse
// is in redis.DetectorStateKey or ClickHouse when the next holder loads, and the next
// holder's versions start above it (see nextVersion).
type outbox struct {
	publish []pendingEvent            // not yet in the alert log
	save    map[string]lapor.Incident // newest state per incident, not yet in ClickHouse
	staged  map[string]string         // encoded states of save already in redis.DetectorStateKey
	archive bool                      // the alert log may hold events not yet in alert_events
	confirm map[string]string         // states in ClickHouse, to clear from redis.DetectorStateKey when still these
}

func (o *outbox) empty() bool {
	return len(o.publish) == 0 && len(o.save) == 0 && !o.archive && len(o.confirm) == 0
}

func (o *outbox) add(events []pendingEvent, incs []lapor.Incident) {
	o.publish = append(o.publish, events...)
	if o.save == nil {
		o.save = make(map[string]lapor.Incident)
	}
	for _, in := range incs {
		o.save[in.ID] = in // versions rise, so the newest state replaces older ones
		delete(o.staged, in.ID)
	}
}

// errCrashed ends a Flush that a test made stop dead (crashAt).
var errCrashed = errors.New("detector crashed here for a test")

// crashed says whether a test wants Flush to stop dead after step.
func (d *Detector) crashed(step string, events int) bool {
	return d.crashAt != nil && d.crashAt(step, events)
}

// Flush writes what earlier cycles decided and storage has not taken,
// in the outbox's order. What fails stays queued for the next cycle. It
// fails with redis.ErrFenced when this detector no longer holds the
// lease: its events are then left to the holder.
func (d *Detector) Flush(ctx context.Context) error {
	o := &d.out
	n := len(o.publish)
	if d.crashed("decided", n) {
		return errCrashed
	}
	if err := d.stage(ctx); err != nil {
		return err
	}
	if d.crashed("published", n) {
		return errCrashed
	}
	// The archive follows the log on its own: a failure there must not
	// hold the incident rows back. It is retried with the next Flush.
	var archiveErr error
	if o.archive {
		done, err := d.archiveLog(ctx, n)
		if errors.Is(err, errCrashed) {
			return err
		}
		archiveErr = err
		o.archive = !done
	}
	if d.crashed("checkpointed", n) {
		return errCrashed
	}
	if len(o.save) > 0 {
		incs := make([]lapor.Incident, 0, len(o.save))
		for _, in := range o.save {
			incs = append(incs, in)
		}
		if err := d.store.SaveIncidents(ctx, incs); err != nil {
			return errors.Join(err, archiveErr)
		}
		if o.confirm == nil {
			o.confirm = make(map[string]string)
		}
		for id, v := range o.staged {
			o.confirm[id] = v
		}
		clear(o.save)
		clear(o.staged)
	}
	if d.crashed("saved", n) {
		return errCrashed
	}
	if len(o.confirm) > 0 {
		if err := d.clearStates(ctx, o.confirm); err != nil {
			// Load clears them too; until then they cost only memory.
			d.log.Warn("clear incident states that ClickHouse has", "err", err)
		} else {
			clear(o.confirm)
		}
	}
	if d.crashed("cleared", n) {
		return errCrashed
	}
	return archiveErr
}

// stage is step 1: it publishes the pending events with every incident
// state not yet in redis.DetectorStateKey, atomically and fenced by the lease.
func (d *Detector) stage(ctx context.Context) error {
	o := &d.out
	state := make(map[string]string)
	for id, in := range o.save {
		if _, ok := o.staged[id]; ok {
			continue
		}
		v, err := redis.EncodeIncidentState(in)
		if err != nil {
			return err
		}
		state[id] = v
	}
	if len(o.publish) == 0 && len(state) == 0 {
		return nil
	}
	batch := redis.AlertBatch{
		Fence:    redis.Fence{Key: d.lease.Key(), Holder: d.lease.Holder()},
		Events:   make([]redis.Publication, len(o.publish)),
		StateKey: redis.DetectorStateKey,
		State:    state,
	}
	for i, p := range o.publish {
		batch.Events[i] = redis.Publication{ID: p.ev.ID, Payload: p.payload}
	}
	res, err := d.state.Publish(ctx, batch)
	if err != nil {
		return fmt.Errorf("publish %d alert events and %d incident states: %w", len(batch.Events), len(state), err)
	}
	for i, r := range res {
		if !r.New {
			// Decided again after a restart that lost nothing it needed:
			// worth knowing, as it should be rare.
			p := o.publish[i].ev
			d.log.Info("alert event already published", "event_id", p.ID, "kind", p.Kind, "service_slug", p.Service, "cursor", r.Cursor)
		}
	}
	if o.staged == nil {
		o.staged = make(map[string]string)
	}
	for id, v := range state {
		o.staged[id] = v
	}
	if len(o.publish) > 0 {
		o.archive = true
	}
	o.publish = nil
	return nil
}

// archiveBatch is how many alert log entries archiveLog copies at a
// time, and archiveBatches how many batches at most in one Flush, so that
// a long log to catch up on (the first start, with no checkpoint) does
// not hold a cycle up: the rest waits for the next Flush.
const (
	archiveBatch   = 1000
	archiveBatches = 10
)

// archiveLog is step 2: it copies the alert log's entries after the
// checkpoint into alert_events and moves the checkpoint past them. The
// table folds rows with the same id and time, and every copy of an event
// comes from its one entry in the log, so copying again after a failure
// or a crash leaves one event. It says whether it reached the end of the
// log.
func (d *Detector) archiveLog(ctx context.Context, events int) (bool, error) {
	cursor, err := d.state.Archived(ctx)
	if err != nil {
		return false, err
	}
	for range archiveBatches {
		es, err := d.state.AlertsAfter(ctx, cursor, archiveBatch)
		if err != nil && cursor != "" && d.logBehind(ctx, cursor, err) {
			// The log no longer holds what follows the checkpoint (trimmed,
			// or lost with Redis): copy all it holds; copies fold.
			d.log.Warn("alert_events checkpoint is off the alert log; archiving the whole log", "cursor", cursor, "err", err)
			cursor = ""
			continue
		}
		if err != nil {
			return false, fmt.Errorf("read alert log to archive: %w", err)
		}
		if len(es) == 0 {
			return true, nil
		}
		if err := d.store.SaveAlertEvents(ctx, es); err != nil {
			return false, err
		}
		if d.crashed("archived", events) {
			return false, errCrashed
		}
		cursor = es[len(es)-1].Cursor
		if err := d.state.SetArchived(ctx, cursor); err != nil {
			return false, err
		}
		if len(es) < archiveBatch {
			return true, nil
		}
	}
	return false, nil
}

// logBehind says whether reading the log after cursor failed because the
// log does not hold the entries around cursor any more: they were
// trimmed, or the log is shorter than cursor (a new Redis).
func (d *Detector) logBehind(ctx context.Context, cursor string, err error) bool {
	if errors.Is(err, redis.ErrCursorExpired) {
		return true
	}
	last, lerr := d.state.LastAlert(ctx)
	return lerr == nil && cursorLess(last, cursor)
}

// cursorLess compares two stream IDs "ms-seq" numerically; "" is first.
func cursorLess(a, b string) bool {
	am, as := splitCursor(a)
	bm, bs := splitCursor(b)
	if am != bm {
		return am < bm
	}
	return as < bs
}

func splitCursor(c string) (ms, seq uint64) {
	a, b, _ := strings.Cut(c, "-")
	ms, _ = strconv.ParseUint(a, 10, 64)
	seq, _ = strconv.ParseUint(b, 10, 64)
	return ms, seq
}

// clearStates removes incident states from redis.DetectorStateKey once ClickHouse has
// them (step 3).
func (d *Detector) clearStates(ctx context.Context, states map[string]string) error {
	return d.state.ClearIncidentStates(ctx, states)
}

// repair is the start of Load: it writes to ClickHouse the incident
// states in redis.DetectorStateKey that ClickHouse lacks (published, then the detector
// died before saving them), clears them from redis.DetectorStateKey, and returns the
// highest version it saw.
func (d *Detector) repair(ctx context.Context) (uint64, error) {
	m, err := d.state.IncidentStates(ctx)
	if err != nil {
		return 0, err
	}
	if len(m) == 0 {
		return 0, nil
	}
	states := make(map[string]lapor.Incident, len(m))
	ids := make([]string, 0, len(m))
	var top uint64
	for id, v := range m {
		in, err := redis.DecodeIncidentState(v)
		if err == nil && in.ID != id {
			err = fmt.Errorf("the state is of incident %s", in.ID)
		}
		if err != nil {
			// Only the detector writes here, so this is a bug there. It
			// is left for a look; ignoring it risks repeating one event,
			// refusing to start would stop them all.
			d.log.Error("unreadable published incident state", "incident_id", id, "state", v, "err", err)
			delete(m, id)
			continue
		}
		states[id] = in
		ids = append(ids, id)
		top = max(top, in.Version)
	}
	stored, err := d.store.IncidentVersions(ctx, ids)
	if err != nil {
		return 0, err
	}
	var newer []lapor.Incident
	for id, in := range states {
		if v, ok := stored[id]; !ok || v < in.Version {
			newer = append(newer, in)
		}
	}
	if err := d.store.SaveIncidents(ctx, newer); err != nil {
		return 0, fmt.Errorf("save published incident states: %w", err)
	}
	if len(newer) > 0 {
		d.log.Info("saved incident states that were published but not stored", "count", len(newer))
	}
	if err := d.clearStates(ctx, m); err != nil {
		d.log.Warn("clear incident states that ClickHouse has", "err", err)
	}
	return top, nil
}

// eventNamespace scopes alert event IDs.
var eventNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://lapor/alert-events"))

// eventID names the event of one transition of an incident. It is
// derived, not random, so that the same transition decided twice (by a
// restarted detector, or a replica taking over) has the same ID, and the
// alert log takes it once. An incident opens and resolves once and
// escalates once to each level; its updates announce peaks that rise each
// time, so the peak tells them apart.
func eventID(incidentID string, kind lapor.AlertKind, level lapor.Level, announced uint32) string {
	name := incidentID + "\x00" + string(kind)
	switch kind {
	case lapor.AlertEscalated:
		name += "\x00" + string(level)
	case lapor.AlertUpdated:
		name += "\x00" + strconv.FormatUint(uint64(announced), 10)
	}
	return uuid.NewSHA1(eventNamespace, []byte(name)).String()
}
