package route53

import (
	"strings"
	"testing"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationProviders: a hosted zone, a record set found by the
// zone's name and a record set group, made, updated and removed through
// the providers as a stack would.
func TestCloudFormationProviders(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()
	zone, err := p["AWS::Route53::HostedZone"].Create(f.ctx, kit.ResourceRequest{LogicalID: "Zone",
		Properties: map[string]any{"Name": "example.com", "HostedZoneConfig": map[string]any{"Comment": "c1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(zone.PhysicalID, "/") || len(zone.Attributes["NameServers"].([]any)) == 0 {
		t.Fatalf("zone %+v", zone)
	}
	rec := kit.ResourceRequest{LogicalID: "Www", Properties: map[string]any{"HostedZoneName": "example.com.", "Name": "www.example.com",
		"Type": "A", "TTL": "60", "ResourceRecords": []any{"192.0.2.1"}}}
	r, err := p["AWS::Route53::RecordSet"].Create(f.ctx, rec)
	if err != nil || r.PhysicalID != "www.example.com" {
		t.Fatalf("record %+v %v", r, err)
	}
	// Made again: AWS's CREATE refuses a record that exists.
	if _, err := p["AWS::Route53::RecordSet"].Create(f.ctx, rec); !route53api.ErrInvalidChangeBatch.Is(err) {
		t.Fatalf("second create: %v", err)
	}
	upd := rec
	upd.Properties = map[string]any{"HostedZoneId": zone.PhysicalID, "Name": "www.example.com", "Type": "A", "TTL": 60,
		"ResourceRecords": []any{"192.0.2.2"}}
	upd.OldProperties, upd.PhysicalID = rec.Properties, r.PhysicalID
	if _, err := p["AWS::Route53::RecordSet"].Update(f.ctx, upd); err != nil {
		t.Fatal(err)
	}
	group := kit.ResourceRequest{LogicalID: "G", StackName: "s", Properties: map[string]any{"HostedZoneId": zone.PhysicalID,
		"RecordSets": []any{
			map[string]any{"Name": "a.example.com.", "Type": "CNAME", "TTL": 300, "ResourceRecords": []any{"www.example.com"}},
			map[string]any{"Name": "b.example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": []any{`"hi"`}},
		}}}
	g, err := p["AWS::Route53::RecordSetGroup"].Create(f.ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	list := func() string {
		out, err := f.ListResourceRecordSets(f.ctx, &route53api.ListResourceRecordSetsInput{HostedZoneId: &zone.PhysicalID})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, rs := range out.ResourceRecordSets {
			v := ""
			if len(rs.ResourceRecords) > 0 {
				v = *rs.ResourceRecords[0].Value
			}
			names = append(names, *rs.Name+" "+*rs.Type+" "+v)
		}
		return strings.Join(names, "\n")
	}
	got := list()
	for _, want := range []string{"www.example.com. A 192.0.2.2", "a.example.com. CNAME", "b.example.com. TXT"} {
		if !strings.Contains(got, want) {
			t.Fatalf("missing %q in\n%s", want, got)
		}
	}
	// The group loses b on update.
	gu := group
	gu.PhysicalID, gu.OldProperties = g.PhysicalID, group.Properties
	gu.Properties = map[string]any{"HostedZoneId": zone.PhysicalID, "RecordSets": group.Properties["RecordSets"].([]any)[:1]}
	if _, err := p["AWS::Route53::RecordSetGroup"].Update(f.ctx, gu); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(list(), "b.example.com.") {
		t.Fatal("b survived the group's update")
	}
	if err := p["AWS::Route53::RecordSetGroup"].Delete(f.ctx, gu); err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::Route53::RecordSet"].Delete(f.ctx, upd); err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::Route53::HostedZone"].Delete(f.ctx, kit.ResourceRequest{PhysicalID: zone.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	// Gone already: not an error.
	if err := p["AWS::Route53::HostedZone"].Delete(f.ctx, kit.ResourceRequest{PhysicalID: zone.PhysicalID}); err != nil {
		t.Fatal(err)
	}
}
