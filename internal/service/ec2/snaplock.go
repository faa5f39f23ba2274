package ec2

import (
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// snapshotLock is a snapshot's lock, keyed by snapshot id. Its state is
// not stored: it follows from the clock (the cooling-off period and the
// lock duration end on their own), so a lock read after the clock moved
// is already in its new state.
type snapshotLock struct {
	SnapshotID string
	Owner      string
	Mode       string // governance or compliance
	// CoolOffHours is the compliance cooling-off period (0: none).
	CoolOffHours  int32
	CoolOffEnds   time.Time
	DurationDays  int32 // 0 when the lock was given an expiration date
	Created       time.Time
	DurationStart time.Time
	Expires       time.Time
}

var snapLocks = storage.NewTable[snapshotLock]("snaplock")

// maxLockDays is the longest lock EC2 takes (100 years).
const maxLockDays = 36500

func (l snapshotLock) state(now time.Time) string {
	switch {
	case !now.Before(l.Expires):
		return "expired"
	case l.Mode == "compliance" && now.Before(l.CoolOffEnds):
		return "compliance-cooloff"
	}
	return l.Mode
}

// protects reports whether the lock still forbids deleting the snapshot.
func (l snapshotLock) protects(now time.Time) bool { return l.state(now) != "expired" }

func (l snapshotLock) info(now time.Time) ec2api.LockedSnapshotsInfo {
	out := ec2api.LockedSnapshotsInfo{OwnerId: ptr.To(l.Owner), SnapshotId: ptr.To(l.SnapshotID), LockState: ptr.To(l.state(now)),
		LockCreatedOn: ptr.To(l.Created), LockDurationStartTime: ptr.To(l.DurationStart), LockExpiresOn: ptr.To(l.Expires)}
	if l.DurationDays > 0 {
		out.LockDuration = ptr.To(l.DurationDays)
	}
	if l.CoolOffHours > 0 {
		out.CoolOffPeriod = ptr.To(l.CoolOffHours)
		out.CoolOffPeriodExpiresOn = ptr.To(l.CoolOffEnds)
	}
	return out
}

func lockDoc(l snapshotLock, now time.Time) filter.Doc {
	return filter.New(nil).Add("lock-state", l.state(now))
}

// LockSnapshot locks a snapshot against deletion, or changes its lock as
// the lock's state allows: anything while in governance mode or in the
// compliance cooling-off period, only a later expiry once a compliance
// lock's cooling-off period is over.
func (s *EC2) LockSnapshot(ctx *request.Context, in *ec2api.LockSnapshotRequest) (*ec2api.LockSnapshotResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	mode := ptr.Deref(in.LockMode)
	switch {
	case in.LockDuration == nil && in.ExpirationDate == nil:
		return nil, errMissingParameter.New("The request must contain either the parameter LockDuration or ExpirationDate.")
	case in.LockDuration != nil && in.ExpirationDate != nil:
		return nil, errInvalidParameterCombo.New("You can specify either LockDuration or ExpirationDate, but not both.")
	case in.CoolOffPeriod != nil && mode != "compliance":
		return nil, errInvalidParameterCombo.New("A cooling-off period can be specified only when locking a snapshot in compliance mode.")
	}
	now := ctx.Now().UTC()
	if d := in.ExpirationDate; d != nil && (!d.After(now) || d.After(now.AddDate(0, 0, maxLockDays))) {
		return nil, errInvalidParameterValue.New("The expiration date must be in the future and no more than %d days from now.", maxLockDays)
	}
	sc := scope(ctx)
	id := ptr.Deref(in.SnapshotId)
	var out snapshotLock
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := snapshots.get(tx, sc, id); err != nil {
			return err
		}
		cur, ok, err := snapLocks.Get(tx, sc, id)
		if err != nil {
			return err
		}
		if !ok || !cur.protects(now) {
			cur = snapshotLock{SnapshotID: id, Owner: ctx.Account, Created: now, DurationStart: now}
		}
		next := cur
		next.Mode = mode
		next.DurationDays = 0
		if in.LockDuration != nil {
			next.DurationDays = *in.LockDuration
			next.Expires = next.DurationStart.AddDate(0, 0, int(*in.LockDuration))
		} else {
			next.Expires = in.ExpirationDate.UTC()
		}
		if ok && cur.state(now) == "compliance" {
			// Past the cooling-off period only a longer lock is allowed.
			if mode != "compliance" {
				return errInvalidParameterValue.New("Snapshot %s is locked in compliance mode and its cooling-off period has expired; the lock mode cannot be changed.", id)
			}
			if in.CoolOffPeriod != nil {
				return errInvalidParameterValue.New("Snapshot %s is locked in compliance mode and its cooling-off period has expired; the cooling-off period cannot be changed.", id)
			}
			if next.Expires.Before(cur.Expires) {
				return errInvalidParameterValue.New("Snapshot %s is locked in compliance mode and its cooling-off period has expired; the lock duration can only be increased.", id)
			}
			out = next
			return snapLocks.Put(tx, sc, next, id)
		}
		next.CoolOffHours, next.CoolOffEnds = 0, time.Time{}
		if c := ptr.Deref(in.CoolOffPeriod); c > 0 {
			// The cooling-off period runs from when the snapshot was first
			// locked in compliance mode (now, coming from governance).
			start := now
			if cur.Mode == "compliance" && cur.CoolOffHours > 0 {
				start = cur.CoolOffEnds.Add(-time.Duration(cur.CoolOffHours) * time.Hour)
			}
			next.CoolOffHours, next.CoolOffEnds = c, start.Add(time.Duration(c)*time.Hour)
		}
		if !next.Expires.After(now) {
			return errInvalidParameterValue.New("The lock of snapshot %s would already have expired.", id)
		}
		out = next
		return snapLocks.Put(tx, sc, next, id)
	})
	if err != nil {
		return nil, err
	}
	i := out.info(now)
	return &ec2api.LockSnapshotResult{SnapshotId: i.SnapshotId, LockState: i.LockState, LockDuration: i.LockDuration, CoolOffPeriod: i.CoolOffPeriod,
		CoolOffPeriodExpiresOn: i.CoolOffPeriodExpiresOn, LockCreatedOn: i.LockCreatedOn, LockExpiresOn: i.LockExpiresOn, LockDurationStartTime: i.LockDurationStartTime}, nil
}

// UnlockSnapshot removes a governance lock, or a compliance lock still in
// its cooling-off period.
func (s *EC2) UnlockSnapshot(ctx *request.Context, in *ec2api.UnlockSnapshotRequest) (*ec2api.UnlockSnapshotResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := ptr.Deref(in.SnapshotId)
	now := ctx.Now()
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := snapshots.get(tx, sc, id); err != nil {
			return err
		}
		l, ok, err := snapLocks.Get(tx, sc, id)
		if err != nil {
			return err
		}
		if !ok || !l.protects(now) {
			return errIncorrectState.New("Snapshot %s is not locked.", id)
		}
		if l.state(now) == "compliance" {
			return errIncorrectState.New("Snapshot %s is locked in compliance mode and its cooling-off period has expired; it cannot be unlocked.", id)
		}
		return snapLocks.Delete(tx, sc, id)
	})
	return answer(&ec2api.UnlockSnapshotResult{SnapshotId: in.SnapshotId}, err)
}

// DescribeLockedSnapshots lists snapshot locks, expired ones included,
// filtered by lock-state and paged in snapshot id order.
func (s *EC2) DescribeLockedSnapshots(ctx *request.Context, in *ec2api.DescribeLockedSnapshotsRequest) (*ec2api.DescribeLockedSnapshotsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	now := ctx.Now()
	if err := filter.Validate(in.Filters, lockDoc(snapshotLock{}, now)); err != nil {
		return nil, err
	}
	if in.MaxResults != nil && len(in.SnapshotIds) > 0 {
		return nil, errInvalidParameterCombo.New("The parameter snapshotIds cannot be used with the parameter maxResults")
	}
	sc := scope(ctx)
	out := &ec2api.DescribeLockedSnapshotsResult{Snapshots: []ec2api.LockedSnapshotsInfo{}}
	err := s.store.View(func(tx storage.Tx) error {
		if len(in.SnapshotIds) > 0 {
			if _, err := snapshots.getEach(tx, sc, in.SnapshotIds); err != nil {
				return err
			}
			seen := map[string]bool{}
			for _, id := range in.SnapshotIds {
				l, ok, err := snapLocks.Get(tx, sc, id)
				if err != nil {
					return err
				}
				if ok && !seen[id] && filter.Match(in.Filters, lockDoc(l, now)) {
					out.Snapshots = append(out.Snapshots, l.info(now))
				}
				seen[id] = true
			}
			return nil
		}
		opts := storage.ListOptions{}
		if t := ptr.Deref(in.NextToken); t != "" {
			after, err := decodeToken(t)
			if err != nil {
				return err
			}
			opts.After = []string{after}
		}
		limit := int(ptr.Deref(in.MaxResults))
		var last string
		return snapLocks.List(tx, sc, nil, opts, func(k []string, l snapshotLock) bool {
			if limit > 0 && len(out.Snapshots) == limit {
				out.NextToken = ptr.To(encodeToken(last))
				return false
			}
			last = k[0]
			if filter.Match(in.Filters, lockDoc(l, now)) {
				out.Snapshots = append(out.Snapshots, l.info(now))
			}
			return true
		})
	})
	return answer(out, err)
}

// snapshotLocked refuses to delete a snapshot whose lock has not expired;
// an expired lock goes with the snapshot.
func snapshotLocked(tx storage.Tx, sc storage.Scope, id string, now time.Time) error {
	l, ok, err := snapLocks.Get(tx, sc, id)
	if err != nil || !ok {
		return err
	}
	if l.protects(now) {
		return code("SnapshotLocked").New("The snapshot '%s' is locked in %s mode until %s and cannot be deleted.", id, l.Mode, l.Expires.UTC().Format(time.RFC3339))
	}
	return snapLocks.Delete(tx, sc, id)
}
