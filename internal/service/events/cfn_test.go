package events

import (
	"encoding/json"
	"strings"
	"testing"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCloudFormationArchiveConnectionDestination: AWS::Events::Archive,
// Connection and ApiDestination made from their templates' properties
// (SourceArn, EventPattern as an object, the connection's AuthParameters),
// updated in place, their Fn::GetAtt attributes, and deleted (a second
// delete tolerated).
func TestCloudFormationArchiveConnectionDestination(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()
	busARN := "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/default"
	ar := kit.ResourceRequest{LogicalID: "Arch", StackName: "stk", Properties: map[string]any{"SourceArn": busARN,
		"EventPattern": map[string]any{"source": []any{"shop"}}, "RetentionDays": "7"}}
	a, err := p["AWS::Events::Archive"].Create(f.ctx, ar)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.PhysicalID, "stk-Arch-") || a.Attributes["Arn"] != "arn:aws:events:"+testRegion+":"+testAccount+":archive/"+a.PhysicalID {
		t.Fatalf("archive %+v", a)
	}
	ar.PhysicalID, ar.OldProperties = a.PhysicalID, ar.Properties
	ar.Properties = map[string]any{"SourceArn": busARN, "EventPattern": map[string]any{"source": []any{"billing"}}, "RetentionDays": 30}
	if _, err := p["AWS::Events::Archive"].Update(f.ctx, ar); err != nil {
		t.Fatal(err)
	}
	d := must(f.DescribeArchive(f.ctx, &eventsapi.DescribeArchiveRequest{ArchiveName: &a.PhysicalID}))
	if *d.RetentionDays != 30 || !strings.Contains(*d.EventPattern, "billing") || *d.EventSourceArn != busARN {
		t.Fatalf("archive after update %+v", d)
	}

	cr := kit.ResourceRequest{LogicalID: "Conn", Properties: map[string]any{"Name": "partner", "AuthorizationType": "API_KEY",
		"AuthParameters": map[string]any{"ApiKeyAuthParameters": map[string]any{"ApiKeyName": "x-key", "ApiKeyValue": "s3cret"}}}}
	c, err := p["AWS::Events::Connection"].Create(f.ctx, cr)
	if err != nil {
		t.Fatal(err)
	}
	connARN := c.Attributes["Arn"].(string)
	if c.PhysicalID != "partner" || !strings.HasPrefix(connARN, "arn:aws:events:"+testRegion+":"+testAccount+":connection/partner/") ||
		c.Attributes["ArnForPolicy"] != "arn:aws:events:"+testRegion+":"+testAccount+":connection/partner" ||
		!strings.HasPrefix(c.Attributes["SecretArn"].(string), "arn:aws:secretsmanager:") {
		t.Fatalf("connection %+v", c)
	}
	cr.PhysicalID, cr.OldProperties = c.PhysicalID, cr.Properties
	cr.Properties = map[string]any{"Name": "partner", "AuthorizationType": "BASIC", "Description": "basic now",
		"AuthParameters": map[string]any{"BasicAuthParameters": map[string]any{"Username": "u", "Password": "p"}}}
	if _, err := p["AWS::Events::Connection"].Update(f.ctx, cr); err != nil {
		t.Fatal(err)
	}
	if dc := must(f.DescribeConnection(f.ctx, &eventsapi.DescribeConnectionRequest{Name: ptr.To("partner")})); *dc.AuthorizationType != "BASIC" || *dc.Description != "basic now" {
		t.Fatalf("connection after update %+v", dc)
	}

	dr := kit.ResourceRequest{LogicalID: "Dest", StackName: "stk", Properties: map[string]any{"ConnectionArn": connARN,
		"InvocationEndpoint": "https://example.com/hook", "HttpMethod": "POST", "InvocationRateLimitPerSecond": "10"}}
	ad, err := p["AWS::Events::ApiDestination"].Create(f.ctx, dr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ad.Attributes["Arn"].(string), ad.Attributes["ArnForPolicy"].(string)+"/") ||
		ad.Attributes["ArnForPolicy"] != "arn:aws:events:"+testRegion+":"+testAccount+":api-destination/"+ad.PhysicalID {
		t.Fatalf("api destination %+v", ad)
	}
	dr.PhysicalID, dr.OldProperties = ad.PhysicalID, dr.Properties
	dr.Properties = map[string]any{"ConnectionArn": connARN, "InvocationEndpoint": "https://example.com/v2", "HttpMethod": "PUT"}
	if _, err := p["AWS::Events::ApiDestination"].Update(f.ctx, dr); err != nil {
		t.Fatal(err)
	}
	if dd := must(f.DescribeApiDestination(f.ctx, &eventsapi.DescribeApiDestinationRequest{Name: &ad.PhysicalID})); *dd.HttpMethod != "PUT" || *dd.InvocationEndpoint != "https://example.com/v2" {
		t.Fatalf("api destination after update %+v", dd)
	}
	// CloudFormation deletes dependents first.
	for _, del := range []struct {
		typ string
		r   kit.ResourceRequest
	}{{"AWS::Events::ApiDestination", dr}, {"AWS::Events::Connection", cr}, {"AWS::Events::Archive", ar}} {
		for i := 0; i < 2; i++ {
			if err := p[del.typ].Delete(f.ctx, del.r); err != nil {
				t.Fatalf("delete %s (%d): %v", del.typ, i, err)
			}
		}
	}
	if _, err := f.DescribeConnection(f.ctx, &eventsapi.DescribeConnectionRequest{Name: ptr.To("partner")}); !eventsapi.ErrResourceNotFoundException.Is(err) {
		t.Fatalf("connection after delete: %v", err)
	}
	if _, err := f.DescribeArchive(f.ctx, &eventsapi.DescribeArchiveRequest{ArchiveName: &a.PhysicalID}); !eventsapi.ErrResourceNotFoundException.Is(err) {
		t.Fatalf("archive after delete: %v", err)
	}
}

// TestCloudFormationEventBusPolicy: a Statement is merged into the bus's
// policy under the StatementId, replaced on update, the older
// Action/Principal form works, and delete removes only its statement.
func TestCloudFormationEventBusPolicy(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()["AWS::Events::EventBusPolicy"]
	must(f.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To("orders")}))
	statement := func(acct string) map[string]any {
		return map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"},
			"Action": "events:PutEvents", "Resource": "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/orders"}
	}
	r := kit.ResourceRequest{LogicalID: "Pol", Properties: map[string]any{"EventBusName": "orders", "StatementId": "allow-a",
		"Statement": statement("111111111111")}}
	res, err := p.Create(f.ctx, r)
	if err != nil || res.PhysicalID != "allow-a" {
		t.Fatalf("create %+v %v", res, err)
	}
	old := kit.ResourceRequest{LogicalID: "Old", Properties: map[string]any{"EventBusName": "orders", "StatementId": "allow-b",
		"Action": "events:PutEvents", "Principal": "222222222222"}}
	if _, err := p.Create(f.ctx, old); err != nil {
		t.Fatal(err)
	}
	r.PhysicalID, r.OldProperties = res.PhysicalID, r.Properties
	r.Properties = map[string]any{"EventBusName": "orders", "StatementId": "allow-a", "Statement": statement("333333333333")}
	if _, err := p.Update(f.ctx, r); err != nil {
		t.Fatal(err)
	}
	policy := func() string {
		d := must(f.DescribeEventBus(f.ctx, &eventsapi.DescribeEventBusRequest{Name: ptr.To("orders")}))
		return ptr.Deref(d.Policy)
	}
	var doc struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(policy()), &doc); err != nil || len(doc.Statement) != 2 {
		t.Fatalf("policy %s %v", policy(), err)
	}
	if s := policy(); !strings.Contains(s, "333333333333") || strings.Contains(s, "111111111111") || !strings.Contains(s, "222222222222") {
		t.Fatalf("policy after update %s", s)
	}
	if err := p.Delete(f.ctx, r); err != nil {
		t.Fatal(err)
	}
	if s := policy(); strings.Contains(s, "allow-a") || !strings.Contains(s, "allow-b") {
		t.Fatalf("policy after delete %s", s)
	}
	if err := p.Delete(f.ctx, r); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

// TestCloudFormationEndpoint: AWS::Events::Endpoint with its routing
// config, the EndpointId/EndpointUrl/State attributes, an in-place
// update and delete.
func TestCloudFormationEndpoint(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()["AWS::Events::Endpoint"]
	must(f.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To("orders")}))
	sec := *f.ctx
	sec.Region = otherRgn
	must(f.CreateEventBus(&sec, &eventsapi.CreateEventBusRequest{Name: ptr.To("orders")}))
	props := func(desc string) map[string]any {
		return map[string]any{"Name": "orders-ge", "Description": desc,
			"RoutingConfig": map[string]any{"FailoverConfig": map[string]any{"Primary": map[string]any{"HealthCheck": hcARN},
				"Secondary": map[string]any{"Route": otherRgn}}},
			"ReplicationConfig": map[string]any{"State": "DISABLED"},
			"EventBuses":        []any{map[string]any{"EventBusArn": busInHome}, map[string]any{"EventBusArn": busInSec}}}
	}
	r := kit.ResourceRequest{LogicalID: "EP", Properties: props("one")}
	res, err := p.Create(f.ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.Attributes["EndpointId"].(string)
	if res.PhysicalID != "orders-ge" || id == "" || res.Attributes["EndpointUrl"] != "https://"+id+".endpoint.events.amazonaws.com" ||
		res.Attributes["State"] != "ACTIVE" || res.Attributes["Arn"] != "arn:aws:events:"+testRegion+":"+testAccount+":endpoint/orders-ge" {
		t.Fatalf("endpoint %+v", res)
	}
	r.PhysicalID, r.OldProperties, r.Properties = res.PhysicalID, r.Properties, props("two")
	if _, err := p.Update(f.ctx, r); err != nil {
		t.Fatal(err)
	}
	if d := must(f.DescribeEndpoint(f.ctx, &eventsapi.DescribeEndpointRequest{Name: ptr.To("orders-ge")})); ptr.Deref(d.Description) != "two" {
		t.Fatalf("after update %+v", d)
	}
	for i := 0; i < 2; i++ {
		if err := p.Delete(f.ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.DescribeEndpoint(f.ctx, &eventsapi.DescribeEndpointRequest{Name: ptr.To("orders-ge")}); !eventsapi.ErrResourceNotFoundException.Is(err) {
		t.Fatalf("after delete %v", err)
	}
}

// TestCloudFormationEventBusUpdate: AWS::Events::EventBus takes its
// Description, DeadLetterConfig and Policy at creation; an update changes
// them and the tags in place (a removed property is cleared) instead of
// replacing the bus, which would collide with its own name.
func TestCloudFormationEventBusUpdate(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()["AWS::Events::EventBus"]
	dlq := "arn:aws:sqs:" + testRegion + ":" + testAccount + ":dlq"
	policy := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Sid": "a", "Effect": "Allow",
		"Principal": map[string]any{"AWS": "arn:aws:iam::111111111111:root"}, "Action": "events:PutEvents",
		"Resource": "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/orders"}}}
	r := kit.ResourceRequest{LogicalID: "Bus", Properties: map[string]any{"Name": "orders", "Description": "one",
		"DeadLetterConfig": map[string]any{"Arn": dlq}, "Policy": policy, "Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}}
	res, err := p.Create(f.ctx, r)
	if err != nil || res.Attributes["Arn"] != "arn:aws:events:"+testRegion+":"+testAccount+":event-bus/orders" || res.Attributes["Name"] != "orders" {
		t.Fatalf("create %+v %v", res, err)
	}
	d := must(f.DescribeEventBus(f.ctx, &eventsapi.DescribeEventBusRequest{Name: ptr.To("orders")}))
	if ptr.Deref(d.Description) != "one" || d.DeadLetterConfig == nil || ptr.Deref(d.DeadLetterConfig.Arn) != dlq || !strings.Contains(ptr.Deref(d.Policy), "111111111111") {
		t.Fatalf("created %+v", d)
	}
	r.PhysicalID, r.OldProperties = res.PhysicalID, r.Properties
	r.Properties = map[string]any{"Name": "orders", "Description": "two", "Tags": []any{map[string]any{"Key": "env", "Value": "dev"}}}
	if _, err := p.Update(f.ctx, r); err != nil {
		t.Fatal(err)
	}
	d = must(f.DescribeEventBus(f.ctx, &eventsapi.DescribeEventBusRequest{Name: ptr.To("orders")}))
	if ptr.Deref(d.Description) != "two" || d.DeadLetterConfig != nil || ptr.Deref(d.Policy) != "" {
		t.Fatalf("after update %+v", d)
	}
	tags := must(f.ListTagsForResource(f.ctx, &eventsapi.ListTagsForResourceRequest{ResourceARN: d.Arn}))
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "env" {
		t.Fatalf("tags after update %+v", tags)
	}
	if err := p.Delete(f.ctx, r); err != nil {
		t.Fatal(err)
	}
}
