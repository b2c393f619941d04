package detect_test

import (
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/redis"
	"github.com/lapor/lapor/services/shared/testenv"
)

// TestMoveOldKeys checks that an upgraded detector finds the state an
// older one kept under the keys' old names: the lease with its holder and
// expiry, the incident states and the archive cursor; and that a key
// already under its new name is not overwritten.
func TestMoveOldKeys(t *testing.T) {
	s := setup(t)
	ctx := testenv.Ctx(t)
	s.rdb.Set(ctx, "lapor:detector:lease", "old-holder", time.Minute)
	s.rdb.HSet(ctx, "lapor:detector:incidents", "inc-1", "state")
	s.rdb.Set(ctx, "lapor:detector:archived", "old-cursor", 0)
	s.rdb.Set(ctx, redis.DetectorArchivedKey, "new-cursor", 0)
	if err := redis.NewDetectorState(s.rdb).MoveOldKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.rdb.Get(ctx, redis.DetectorLeaseKey).Val(); got != "old-holder" {
		t.Errorf("lease holder %q, want the old one's", got)
	}
	if ttl := s.rdb.PTTL(ctx, redis.DetectorLeaseKey).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("lease expires in %s, want the old one's expiry", ttl)
	}
	if got := s.rdb.HGet(ctx, redis.DetectorStateKey, "inc-1").Val(); got != "state" {
		t.Errorf("incident state %q", got)
	}
	if got := s.rdb.Get(ctx, redis.DetectorArchivedKey).Val(); got != "new-cursor" {
		t.Errorf("archive cursor %q: the newer key was overwritten", got)
	}
	// Nothing left to move: a second call does nothing.
	if err := redis.NewDetectorState(s.rdb).MoveOldKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.rdb.Exists(ctx, "lapor:detector:lease", "lapor:detector:incidents").Val(); n != 0 {
		t.Errorf("%d old keys left", n)
	}
}
