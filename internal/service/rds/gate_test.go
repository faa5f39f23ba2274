package rds

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// fakeGate records what it is asked and answers reachable.
type fakeGate struct {
	reachable bool
	asked     []netpos.Host
	ports     []int
}

func (g *fakeGate) Admit(_ net.Conn, dst netpos.Host, port int) (netpos.Decision, error) {
	g.asked = append(g.asked, dst)
	g.ports = append(g.ports, port)
	return netpos.Decision{Reachable: g.reachable}, nil
}
func (g *fakeGate) Hold(net.Conn) {}

// TestGateAsksWithTheInstance: the accept-time check puts the instance
// to the gate as a host in the subnet of its zone, with its VPC
// security groups and public accessibility, on its endpoint port, read
// fresh (a modify applies to the next connection); no gate admits all.
// The port is the one the instance has on AWS (3306), whichever port
// niwa listens on.
func TestGateAsksWithTheInstance(t *testing.T) {
	s, h := newService(t, func(context.Context, dbengine.Spec) (*dbengine.Server, error) {
		return nil, errors.New("no server here")
	})
	g := &fakeGate{reachable: true}
	s.gate = g
	if _, err := s.CreateDBSubnetGroup(h.Ctx(), &rdsapi.CreateDBSubnetGroupInput{DBSubnetGroupName: ptr.To("db"), DBSubnetGroupDescription: ptr.To("db"),
		SubnetIds: []string{"subnet-a", "subnet-b"}}); err != nil {
		t.Fatal(err)
	}
	in := mysqlInput("shop")
	in.DBSubnetGroupName, in.VpcSecurityGroupIds, in.PubliclyAccessible = ptr.To("db"), []string{"sg-db"}, ptr.To(true)
	in.AvailabilityZone = ptr.To(h.Region + "b")
	if _, err := s.CreateDBInstance(h.Ctx(), in); err != nil {
		t.Fatal(err)
	}
	var rec instanceRec
	if err := s.store.View(func(tx storage.Tx) (err error) {
		rec, _, err = instances.Get(tx, anywhere, h.Account, h.Region, "shop")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c1, c2 := net.Pipe()
	defer func() { _ = c1.Close(); _ = c2.Close() }()
	if !s.Admit(c1, h.Account, h.Region, "shop") {
		t.Fatal("refused although the gate admits")
	}
	got := g.asked[0]
	if got.Kind != "db-instance" || got.ID != "shop" || got.SubnetID != "subnet-b" || !slices.Equal(got.SecurityGroupIDs, []string{"sg-db"}) ||
		!got.Public || g.ports[0] != 3306 || rec.AskedPort != 3306 {
		t.Fatalf("asked %+v on %d", got, g.ports[0])
	}
	// A modify reaches the next decision; a refusal refuses.
	if err := s.store.Update(func(tx storage.Tx) error {
		r, _, err := instances.Get(tx, anywhere, h.Account, h.Region, "shop")
		if err != nil {
			return err
		}
		r.PubliclyAccessible = false
		return instances.Put(tx, anywhere, r, h.Account, h.Region, "shop")
	}); err != nil {
		t.Fatal(err)
	}
	g.reachable = false
	if s.Admit(c1, h.Account, h.Region, "shop") || g.asked[1].Public {
		t.Fatalf("second decision: asked %+v", g.asked[1])
	}
	if s.Admit(c1, h.Account, h.Region, "nope") {
		t.Fatal("a connection to an unknown instance was admitted")
	}
	s.gate = nil
	if !s.Admit(c1, h.Account, h.Region, "shop") {
		t.Fatal("no gate refused")
	}
}
