package ec2

import (
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestSnapshotLocks(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vol := must(f.CreateVolume(f.ctx, &ec2api.CreateVolumeRequest{AvailabilityZone: ptr.To("us-east-1a"), Size: ptr.To(int32(3))})).VolumeId
	snap := func() *string {
		return must(f.CreateSnapshot(f.ctx, &ec2api.CreateSnapshotRequest{VolumeId: vol})).SnapshotId
	}
	gov, comp, plain := snap(), snap(), snap()
	del := func(id *string) error {
		_, err := f.DeleteSnapshot(f.ctx, &ec2api.DeleteSnapshotRequest{SnapshotId: id})
		return err
	}
	lock := func(in ec2api.LockSnapshotRequest) (*ec2api.LockSnapshotResult, error) {
		return f.LockSnapshot(f.ctx, &in)
	}

	errs := []struct {
		name string
		in   ec2api.LockSnapshotRequest
		code string
	}{
		{"no duration", ec2api.LockSnapshotRequest{SnapshotId: plain, LockMode: ptr.To("governance")}, "MissingParameter"},
		{"duration and date", ec2api.LockSnapshotRequest{SnapshotId: plain, LockMode: ptr.To("governance"), LockDuration: ptr.To(int32(1)), ExpirationDate: ptr.To(t0.Add(48 * time.Hour))}, "InvalidParameterCombination"},
		{"cool-off in governance", ec2api.LockSnapshotRequest{SnapshotId: plain, LockMode: ptr.To("governance"), LockDuration: ptr.To(int32(1)), CoolOffPeriod: ptr.To(int32(2))}, "InvalidParameterCombination"},
		{"past date", ec2api.LockSnapshotRequest{SnapshotId: plain, LockMode: ptr.To("governance"), ExpirationDate: ptr.To(t0.Add(-time.Hour))}, "InvalidParameterValue"},
		{"unknown snapshot", ec2api.LockSnapshotRequest{SnapshotId: ptr.To("snap-0123456789abcdef0"), LockMode: ptr.To("governance"), LockDuration: ptr.To(int32(1))}, "InvalidSnapshot.NotFound"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := lock(c.in)
			wantErr(t, err, c.code, "")
		})
	}

	g := must(lock(ec2api.LockSnapshotRequest{SnapshotId: gov, LockMode: ptr.To("governance"), LockDuration: ptr.To(int32(2))}))
	if ptr.Deref(g.LockState) != "governance" || !ptr.Deref(g.LockExpiresOn).Equal(t0.Add(48*time.Hour)) || ptr.Deref(g.LockDuration) != 2 {
		t.Fatalf("governance lock %+v", g)
	}
	wantErr(t, del(gov), "SnapshotLocked", "")
	// Governance locks can be shortened and unlocked.
	must(lock(ec2api.LockSnapshotRequest{SnapshotId: gov, LockMode: ptr.To("governance"), LockDuration: ptr.To(int32(1))}))
	must(f.UnlockSnapshot(f.ctx, &ec2api.UnlockSnapshotRequest{SnapshotId: gov}))
	_, err := f.UnlockSnapshot(f.ctx, &ec2api.UnlockSnapshotRequest{SnapshotId: gov})
	wantErr(t, err, "IncorrectState", "")
	if err := del(gov); err != nil {
		t.Fatalf("delete after unlock: %v", err)
	}

	c := must(lock(ec2api.LockSnapshotRequest{SnapshotId: comp, LockMode: ptr.To("compliance"), LockDuration: ptr.To(int32(3)), CoolOffPeriod: ptr.To(int32(2))}))
	if ptr.Deref(c.LockState) != "compliance-cooloff" || !ptr.Deref(c.CoolOffPeriodExpiresOn).Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("compliance lock %+v", c)
	}
	// In the cooling-off period it may still be shortened.
	must(lock(ec2api.LockSnapshotRequest{SnapshotId: comp, LockMode: ptr.To("compliance"), LockDuration: ptr.To(int32(2)), CoolOffPeriod: ptr.To(int32(1))}))
	f.clock.Advance(90 * time.Minute)
	state := func(id *string) string {
		out := must(f.DescribeLockedSnapshots(f.ctx, &ec2api.DescribeLockedSnapshotsRequest{SnapshotIds: []string{*id}})).Snapshots
		if len(out) == 0 {
			return ""
		}
		return ptr.Deref(out[0].LockState)
	}
	if s := state(comp); s != "compliance" {
		t.Fatalf("after the cooling-off period: %s", s)
	}
	_, err = f.UnlockSnapshot(f.ctx, &ec2api.UnlockSnapshotRequest{SnapshotId: comp})
	wantErr(t, err, "IncorrectState", "")
	_, err = lock(ec2api.LockSnapshotRequest{SnapshotId: comp, LockMode: ptr.To("compliance"), LockDuration: ptr.To(int32(1))})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = lock(ec2api.LockSnapshotRequest{SnapshotId: comp, LockMode: ptr.To("governance"), LockDuration: ptr.To(int32(5))})
	wantErr(t, err, "InvalidParameterValue", "")
	ext := must(lock(ec2api.LockSnapshotRequest{SnapshotId: comp, LockMode: ptr.To("compliance"), LockDuration: ptr.To(int32(3))}))
	if !ptr.Deref(ext.LockExpiresOn).Equal(t0.Add(72 * time.Hour)) {
		t.Errorf("extended lock expires %v", ext.LockExpiresOn)
	}
	wantErr(t, del(comp), "SnapshotLocked", "")

	// Filters and paging.
	byState := must(f.DescribeLockedSnapshots(f.ctx, &ec2api.DescribeLockedSnapshotsRequest{Filters: []ec2api.Filter{{Name: ptr.To("lock-state"), Values: []string{"compliance"}}}})).Snapshots
	if len(byState) != 1 || ptr.Deref(byState[0].SnapshotId) != *comp || ptr.Deref(byState[0].OwnerId) != testAccount {
		t.Errorf("lock-state filter %+v", byState)
	}
	_, err = f.DescribeLockedSnapshots(f.ctx, &ec2api.DescribeLockedSnapshotsRequest{Filters: []ec2api.Filter{{Name: ptr.To("snapshot-id"), Values: []string{*comp}}}})
	wantErr(t, err, "InvalidParameterValue", "")
	var ids []string
	for i := 0; i < 6; i++ {
		id := snap()
		ids = append(ids, *id)
		must(lock(ec2api.LockSnapshotRequest{SnapshotId: id, LockMode: ptr.To("governance"), ExpirationDate: ptr.To(t0.Add(10 * 24 * time.Hour))}))
	}
	p1 := must(f.DescribeLockedSnapshots(f.ctx, &ec2api.DescribeLockedSnapshotsRequest{MaxResults: ptr.To(int32(5))}))
	p2 := must(f.DescribeLockedSnapshots(f.ctx, &ec2api.DescribeLockedSnapshotsRequest{MaxResults: ptr.To(int32(5)), NextToken: p1.NextToken}))
	if len(p1.Snapshots) != 5 || p1.NextToken == nil || len(p2.Snapshots) != 2 || p2.NextToken != nil {
		t.Errorf("pages %d (%v), %d (%v)", len(p1.Snapshots), p1.NextToken, len(p2.Snapshots), p2.NextToken)
	}

	// The lock expires on the clock; then the snapshot can be deleted.
	f.clock.Advance(72 * time.Hour)
	if s := state(comp); s != "expired" {
		t.Fatalf("after the lock duration: %s", s)
	}
	if err := del(comp); err != nil {
		t.Fatalf("delete after expiry: %v", err)
	}
	if err := del(ptr.To(ids[0])); err == nil {
		t.Errorf("a snapshot locked until a date was deleted before it")
	}
}
