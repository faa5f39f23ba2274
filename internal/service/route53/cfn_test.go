package route53

import (
	"encoding/json"
	"slices"
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

// TestCloudFormationHealthCheck: made from HealthCheckConfig with tags,
// changed in place (port, an unset path reset, tags), read back for
// drift, replaced for the nested properties AWS replaces it for, deleted
// twice.
func TestCloudFormationHealthCheck(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()["AWS::Route53::HealthCheck"]
	props := map[string]any{"HealthCheckConfig": map[string]any{"Type": "HTTP", "IPAddress": "192.0.2.10", "Port": "80",
		"ResourcePath": "/health", "RequestInterval": 30, "FailureThreshold": 3},
		"HealthCheckTags": []any{map[string]any{"Key": "team", "Value": "web"}, map[string]any{"Key": "old", "Value": "x"}}}
	res, err := p.Create(f.ctx, kit.ResourceRequest{LogicalID: "Hc", Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attributes["HealthCheckId"] != res.PhysicalID {
		t.Fatalf("attributes %v", res.Attributes)
	}
	upd := map[string]any{"HealthCheckConfig": map[string]any{"Type": "HTTP", "IPAddress": "192.0.2.10", "Port": 8080,
		"RequestInterval": 30, "FailureThreshold": 3}, "HealthCheckTags": []any{map[string]any{"Key": "team", "Value": "api"}}}
	if _, err := p.Update(f.ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: upd, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	got, err := f.GetHealthCheck(f.ctx, &route53api.GetHealthCheckInput{HealthCheckId: &res.PhysicalID})
	if err != nil {
		t.Fatal(err)
	}
	c := got.HealthCheck.HealthCheckConfig
	if *c.Port != 8080 || c.ResourcePath != nil || *got.HealthCheck.HealthCheckVersion != 2 {
		t.Fatalf("after update %+v version %v", c, *got.HealthCheck.HealthCheckVersion)
	}
	tags, err := f.ListTagsForResource(f.ctx, &route53api.ListTagsForResourceInput{ResourceType: ptrStr("healthcheck"), ResourceId: &res.PhysicalID})
	if err != nil || len(tags.ResourceTagSet.Tags) != 1 || *tags.ResourceTagSet.Tags[0].Value != "api" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	// Drift: the config members the template sets, and the tags.
	live, err := p.Read(f.ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: upd})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(live); string(b) != `{"HealthCheckConfig":{"FailureThreshold":3,"IPAddress":"192.0.2.10","Port":8080,"RequestInterval":30,"Type":"HTTP"},"HealthCheckTags":[{"Key":"team","Value":"api"}]}` {
		t.Fatalf("read %s", b)
	}
	if _, err := f.UpdateHealthCheck(f.ctx, &route53api.UpdateHealthCheckInput{HealthCheckId: &res.PhysicalID, FailureThreshold: ptrInt32(5)}); err != nil {
		t.Fatal(err)
	}
	if live, _ = p.Read(f.ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: upd}); kit.PropStr(kit.PropMap(live, "HealthCheckConfig"), "FailureThreshold") != "5" {
		t.Fatalf("read after an out-of-band change %v", live)
	}
	// Type, MeasureLatency and RequestInterval replace the health check
	// (CloudFormation's engine compares these paths; the stack test in
	// internal/server changes Type through it).
	if want := []string{"HealthCheckConfig.Type", "HealthCheckConfig.MeasureLatency", "HealthCheckConfig.RequestInterval"}; !slices.Equal(p.Replace, want) {
		t.Fatalf("Replace %v, want %v", p.Replace, want)
	}
	for range 2 {
		if err := p.Delete(f.ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.GetHealthCheck(f.ctx, &route53api.GetHealthCheckInput{HealthCheckId: &res.PhysicalID}); !route53api.ErrNoSuchHealthCheck.Is(err) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := p.Read(f.ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: upd}); err != kit.ErrResourceGone {
		t.Fatalf("read after delete: %v", err)
	}
}

func ptrStr(s string) *string { return &s }

func ptrInt32(i int32) *int32 { return &i }

// TestCloudFormationDNSSEC: a key-signing key, signing on, the key's
// status refused while it is the only one signing, signing off, the key
// deactivated and deleted.
func TestCloudFormationDNSSEC(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()
	zone := strings.TrimPrefix(f.zone("example.com", nil), "/hostedzone/")
	kms := "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
	kp := p["AWS::Route53::KeySigningKey"]
	kprops := map[string]any{"HostedZoneId": zone, "Name": "ksk1", "KeyManagementServiceArn": kms, "Status": "ACTIVE"}
	k, err := kp.Create(f.ctx, kit.ResourceRequest{LogicalID: "Ksk", Properties: kprops})
	if err != nil || k.PhysicalID != zone+"|ksk1" {
		t.Fatalf("ksk %+v %v", k, err)
	}
	d, err := p["AWS::Route53::DNSSEC"].Create(f.ctx, kit.ResourceRequest{LogicalID: "Sec", Properties: map[string]any{"HostedZoneId": zone}})
	if err != nil || d.PhysicalID != zone {
		t.Fatalf("dnssec %+v %v", d, err)
	}
	st, err := f.GetDNSSEC(f.ctx, &route53api.GetDNSSECInput{HostedZoneId: &zone})
	if err != nil || *st.Status.ServeSignature != "SIGNING" {
		t.Fatalf("GetDNSSEC %+v %v", st, err)
	}
	inactive := map[string]any{"HostedZoneId": zone, "Name": "ksk1", "KeyManagementServiceArn": kms, "Status": "INACTIVE"}
	if _, err := kp.Update(f.ctx, kit.ResourceRequest{PhysicalID: k.PhysicalID, Properties: inactive, OldProperties: kprops}); !route53api.ErrKeySigningKeyInUse.Is(err) {
		t.Fatalf("deactivating the only signing key: %v", err)
	}
	if err := p["AWS::Route53::DNSSEC"].Delete(f.ctx, kit.ResourceRequest{PhysicalID: zone}); err != nil {
		t.Fatal(err)
	}
	if _, err := kp.Update(f.ctx, kit.ResourceRequest{PhysicalID: k.PhysicalID, Properties: inactive, OldProperties: kprops}); err != nil {
		t.Fatal(err)
	}
	if st, _ = f.GetDNSSEC(f.ctx, &route53api.GetDNSSECInput{HostedZoneId: &zone}); *st.Status.ServeSignature != "NOT_SIGNING" || *st.KeySigningKeys[0].Status != "INACTIVE" {
		t.Fatalf("GetDNSSEC %+v", st)
	}
	if _, err := kp.Update(f.ctx, kit.ResourceRequest{PhysicalID: k.PhysicalID, Properties: kprops, OldProperties: inactive}); err != nil {
		t.Fatal(err)
	}
	// Delete deactivates the active key first.
	for range 2 {
		if err := kp.Delete(f.ctx, kit.ResourceRequest{PhysicalID: k.PhysicalID}); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ = f.GetDNSSEC(f.ctx, &route53api.GetDNSSECInput{HostedZoneId: &zone}); len(st.KeySigningKeys) != 0 {
		t.Fatalf("keys after delete %+v", st.KeySigningKeys)
	}
}

// TestCloudFormationCidrCollection: locations put, changed (a block
// dropped, a location added, one removed) and the collection deleted with
// its blocks.
func TestCloudFormationCidrCollection(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()["AWS::Route53::CidrCollection"]
	props := map[string]any{"Name": "offices", "Locations": []any{
		map[string]any{"LocationName": "tokyo", "CidrList": []any{"192.0.2.0/24", "198.51.100.0/24"}},
		map[string]any{"LocationName": "osaka", "CidrList": []any{"203.0.113.0/24"}}}}
	res, err := p.Create(f.ctx, kit.ResourceRequest{LogicalID: "C", Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attributes["Id"] != res.PhysicalID || !strings.HasSuffix(res.Attributes["Arn"].(string), ":cidrcollection/"+res.PhysicalID) {
		t.Fatalf("attributes %v", res.Attributes)
	}
	blocks := func() map[string]int {
		out, err := f.ListCidrBlocks(f.ctx, &route53api.ListCidrBlocksInput{CollectionId: &res.PhysicalID})
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, b := range out.CidrBlocks {
			n[*b.LocationName]++
		}
		return n
	}
	if n := blocks(); n["tokyo"] != 2 || n["osaka"] != 1 {
		t.Fatalf("blocks %v", n)
	}
	upd := map[string]any{"Name": "offices", "Locations": []any{
		map[string]any{"LocationName": "tokyo", "CidrList": []any{"192.0.2.0/24"}},
		map[string]any{"LocationName": "nagoya", "CidrList": []any{"100.64.0.0/24"}}}}
	if _, err := p.Update(f.ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: upd, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	if n := blocks(); n["tokyo"] != 1 || n["osaka"] != 0 || n["nagoya"] != 1 {
		t.Fatalf("blocks after update %v", n)
	}
	// A record set routes by the collection (IP-based routing).
	zone := f.zone("example.com", nil)
	rec, err := f.cfnResources()["AWS::Route53::RecordSet"].Create(f.ctx, kit.ResourceRequest{LogicalID: "Ip", Properties: map[string]any{
		"HostedZoneId": zone, "Name": "www.example.com", "Type": "A", "TTL": 60, "ResourceRecords": []any{"192.0.2.1"},
		"SetIdentifier": "tokyo", "CidrRoutingConfig": map[string]any{"CollectionId": res.PhysicalID, "LocationName": "tokyo"}}})
	if err != nil {
		t.Fatal(err)
	}
	sets, err := f.ListResourceRecordSets(f.ctx, &route53api.ListResourceRecordSetsInput{HostedZoneId: &zone, StartRecordName: ptrStr("www.example.com")})
	if err != nil || sets.ResourceRecordSets[0].CidrRoutingConfig == nil || *sets.ResourceRecordSets[0].CidrRoutingConfig.LocationName != "tokyo" {
		t.Fatalf("record %+v %v", sets, err)
	}
	// In use by a record, the collection's location cannot go.
	if err := p.Delete(f.ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID}); err == nil {
		t.Fatal("a collection a record uses was deleted")
	}
	if err := f.cfnResources()["AWS::Route53::RecordSet"].Delete(f.ctx, kit.ResourceRequest{PhysicalID: rec.PhysicalID, Properties: map[string]any{
		"HostedZoneId": zone, "Name": "www.example.com", "Type": "A", "TTL": 60, "ResourceRecords": []any{"192.0.2.1"},
		"SetIdentifier": "tokyo", "CidrRoutingConfig": map[string]any{"CollectionId": res.PhysicalID, "LocationName": "tokyo"}}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := p.Delete(f.ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.ListCidrBlocks(f.ctx, &route53api.ListCidrBlocksInput{CollectionId: &res.PhysicalID}); !route53api.ErrNoSuchCidrCollectionException.Is(err) {
		t.Fatalf("after delete: %v", err)
	}
}

// TestCloudFormationHostedZoneDetails: a private zone in two VPCs with
// tags; an update moves it to another VPC and changes its tags in place;
// a public zone's query logging is set, changed and dropped with the
// zone.
func TestCloudFormationHostedZoneDetails(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()["AWS::Route53::HostedZone"]
	vpc := func(id string) map[string]any { return map[string]any{"VPCId": id, "VPCRegion": "us-east-1"} }
	props := map[string]any{"Name": "corp.internal", "VPCs": []any{vpc("vpc-11111111"), vpc("vpc-22222222")},
		"HostedZoneTags": []any{map[string]any{"Key": "env", "Value": "dev"}}}
	z, err := p.Create(f.ctx, kit.ResourceRequest{LogicalID: "Z", Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	vpcs := func() []string {
		out, err := f.GetHostedZone(f.ctx, &route53api.GetHostedZoneInput{Id: &z.PhysicalID})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range out.VPCs {
			ids = append(ids, *v.VPCId)
		}
		return ids
	}
	if got := strings.Join(vpcs(), ","); got != "vpc-11111111,vpc-22222222" {
		t.Fatalf("vpcs %s", got)
	}
	if slices.Contains(p.Replace, "VPCs") {
		t.Fatal("VPCs change in place")
	}
	upd := map[string]any{"Name": "corp.internal", "VPCs": []any{vpc("vpc-33333333")}, "HostedZoneTags": []any{map[string]any{"Key": "env", "Value": "prod"}}}
	if _, err := p.Update(f.ctx, kit.ResourceRequest{PhysicalID: z.PhysicalID, Properties: upd, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(vpcs(), ","); got != "vpc-33333333" {
		t.Fatalf("vpcs after update %s", got)
	}
	tags, err := f.ListTagsForResource(f.ctx, &route53api.ListTagsForResourceInput{ResourceType: ptrStr("hostedzone"), ResourceId: &z.PhysicalID})
	if err != nil || len(tags.ResourceTagSet.Tags) != 1 || *tags.ResourceTagSet.Tags[0].Value != "prod" {
		t.Fatalf("tags %+v %v", tags, err)
	}

	// A query logging configuration the API refuses fails the create and
	// leaves no zone behind.
	if _, err := p.Create(f.ctx, kit.ResourceRequest{LogicalID: "Bad", Properties: map[string]any{"Name": "bad.example",
		"QueryLoggingConfig": map[string]any{"CloudWatchLogsLogGroupArn": "not-an-arn"}}}); err == nil {
		t.Fatal("a bad log group ARN was accepted")
	}
	if zs, err := f.ListHostedZonesByName(f.ctx, &route53api.ListHostedZonesByNameInput{DNSName: ptrStr("bad.example.")}); err != nil ||
		len(zs.HostedZones) != 0 && *zs.HostedZones[0].Name == "bad.example." {
		t.Fatalf("the failed zone is left: %+v %v", zs, err)
	}
	logs := func(name string) string {
		return "arn:aws:logs:us-east-1:" + testAccount + ":log-group:/aws/route53/" + name
	}
	pub := map[string]any{"Name": "example.org", "QueryLoggingConfig": map[string]any{"CloudWatchLogsLogGroupArn": logs("a")}}
	pz, err := p.Create(f.ctx, kit.ResourceRequest{LogicalID: "P", Properties: pub})
	if err != nil {
		t.Fatal(err)
	}
	qlc := func() []string {
		out, err := f.ListQueryLoggingConfigs(f.ctx, &route53api.ListQueryLoggingConfigsInput{HostedZoneId: &pz.PhysicalID})
		if err != nil {
			t.Fatal(err)
		}
		var arns []string
		for _, c := range out.QueryLoggingConfigs {
			arns = append(arns, *c.CloudWatchLogsLogGroupArn)
		}
		return arns
	}
	if got := qlc(); len(got) != 1 || got[0] != logs("a") {
		t.Fatalf("query logging %v", got)
	}
	pub2 := map[string]any{"Name": "example.org", "QueryLoggingConfig": map[string]any{"CloudWatchLogsLogGroupArn": logs("b")}}
	if _, err := p.Update(f.ctx, kit.ResourceRequest{PhysicalID: pz.PhysicalID, Properties: pub2, OldProperties: pub}); err != nil {
		t.Fatal(err)
	}
	if got := qlc(); len(got) != 1 || got[0] != logs("b") {
		t.Fatalf("query logging after update %v", got)
	}
	for _, id := range []string{pz.PhysicalID, z.PhysicalID} {
		if err := p.Delete(f.ctx, kit.ResourceRequest{PhysicalID: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.GetHostedZone(f.ctx, &route53api.GetHostedZoneInput{Id: &id}); !route53api.ErrNoSuchHostedZone.Is(err) {
			t.Fatalf("zone after delete: %v", err)
		}
	}
}
