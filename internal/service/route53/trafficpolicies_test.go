package route53

import (
	"testing"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

const policyDoc = `{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"A","StartRule":"site",
 "Endpoints":{"a":{"Type":"value","Value":"192.0.2.1"},"b":{"Type":"value","Value":"192.0.2.2"}},
 "Rules":{"site":{"RuleType":"failover","Primary":{"EndpointReference":"a"},"Secondary":{"EndpointReference":"b"}}}}`

// TestTrafficPolicies: documents checked, versions, instances, in-use
// refusal.
func TestTrafficPolicies(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ doc, msg string }{
		{`{`, "The traffic policy document is not valid JSON: unexpected end of JSON input"},
		{`{"AWSPolicyFormatVersion":"2014-01-01","RecordType":"A","StartEndpoint":"a","Endpoints":{"a":{"Type":"value","Value":"1.2.3.4"}}}`, "AWSPolicyFormatVersion must be 2015-10-01."},
		{`{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"NS","StartEndpoint":"a","Endpoints":{"a":{"Type":"value","Value":"x"}}}`, `RecordType "NS" is not supported.`},
		{`{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"A","StartRule":"r"}`, "StartRule r is not defined in Rules."},
		{`{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"A"}`, "Exactly one of StartRule and StartEndpoint must be specified."},
		{`{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"A","StartRule":"r","Rules":{"r":{"RuleType":"random"}}}`, `Rule r has an unsupported RuleType "random".`},
	} {
		_, err := f.CreateTrafficPolicy(f.ctx, &route53api.CreateTrafficPolicyInput{Name: ptr.To("p"), Document: ptr.To(c.doc)})
		wantErr(t, err, "InvalidTrafficPolicyDocument", c.msg)
	}
	p, err := f.CreateTrafficPolicy(f.ctx, &route53api.CreateTrafficPolicyInput{Name: ptr.To("site"), Document: ptr.To(policyDoc), Comment: ptr.To("v1")})
	if err != nil {
		t.Fatal(err)
	}
	id := *p.TrafficPolicy.Id
	if *p.TrafficPolicy.Version != 1 || *p.TrafficPolicy.Type != "A" {
		t.Fatalf("policy %+v", p.TrafficPolicy)
	}
	_, err = f.CreateTrafficPolicy(f.ctx, &route53api.CreateTrafficPolicyInput{Name: ptr.To("site"), Document: ptr.To(policyDoc)})
	wantErr(t, err, "TrafficPolicyAlreadyExists", "A traffic policy with the name site already exists.")
	v2, err := f.CreateTrafficPolicyVersion(f.ctx, &route53api.CreateTrafficPolicyVersionInput{Id: ptr.To(id), Document: ptr.To(policyDoc)})
	if err != nil || *v2.TrafficPolicy.Version != 2 {
		t.Fatalf("version 2 %+v %v", v2, err)
	}
	list, err := f.ListTrafficPolicies(f.ctx, &route53api.ListTrafficPoliciesInput{})
	if err != nil || len(list.TrafficPolicySummaries) != 1 || *list.TrafficPolicySummaries[0].LatestVersion != 2 || *list.TrafficPolicySummaries[0].TrafficPolicyCount != 2 {
		t.Fatalf("list %+v %v", list, err)
	}
	z := f.zone("example.com", nil)
	inst, err := f.CreateTrafficPolicyInstance(f.ctx, &route53api.CreateTrafficPolicyInstanceInput{HostedZoneId: ptr.To(z), Name: ptr.To("www.example.com"), TTL: ptr.To(int64(60)), TrafficPolicyId: ptr.To(id), TrafficPolicyVersion: ptr.To(int32(1))})
	if err != nil || *inst.TrafficPolicyInstance.State != "Applied" || *inst.TrafficPolicyInstance.TrafficPolicyType != "A" {
		t.Fatalf("instance %+v %v", inst, err)
	}
	_, err = f.CreateTrafficPolicyInstance(f.ctx, &route53api.CreateTrafficPolicyInstanceInput{HostedZoneId: ptr.To(z), Name: ptr.To("www.example.com"), TTL: ptr.To(int64(60)), TrafficPolicyId: ptr.To(id), TrafficPolicyVersion: ptr.To(int32(2))})
	wantErr(t, err, "TrafficPolicyInstanceAlreadyExists", "There is already a traffic policy instance with the name www.example.com. and type A.")
	_, err = f.DeleteTrafficPolicy(f.ctx, &route53api.DeleteTrafficPolicyInput{Id: ptr.To(id), Version: ptr.To(int32(1))})
	wantErr(t, err, "TrafficPolicyInUse", "One or more traffic policy instances were created by using the specified traffic policy.")
	byPolicy, err := f.ListTrafficPolicyInstancesByPolicy(f.ctx, &route53api.ListTrafficPolicyInstancesByPolicyInput{TrafficPolicyId: ptr.To(id), TrafficPolicyVersion: ptr.To(int32(1))})
	if err != nil || len(byPolicy.TrafficPolicyInstances) != 1 {
		t.Fatalf("by policy %+v %v", byPolicy, err)
	}
	if _, err := f.UpdateTrafficPolicyInstance(f.ctx, &route53api.UpdateTrafficPolicyInstanceInput{Id: inst.TrafficPolicyInstance.Id, TTL: ptr.To(int64(30)), TrafficPolicyId: ptr.To(id), TrafficPolicyVersion: ptr.To(int32(2))}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DeleteTrafficPolicy(f.ctx, &route53api.DeleteTrafficPolicyInput{Id: ptr.To(id), Version: ptr.To(int32(1))}); err != nil {
		t.Fatal(err)
	}
	n, err := f.GetTrafficPolicyInstanceCount(f.ctx, nil)
	if err != nil || *n.TrafficPolicyInstanceCount != 1 {
		t.Fatalf("count %+v %v", n, err)
	}
	if _, err := f.DeleteTrafficPolicyInstance(f.ctx, &route53api.DeleteTrafficPolicyInstanceInput{Id: inst.TrafficPolicyInstance.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = f.GetTrafficPolicyInstance(f.ctx, &route53api.GetTrafficPolicyInstanceInput{Id: inst.TrafficPolicyInstance.Id})
	wantErr(t, err, "NoSuchTrafficPolicyInstance", "No traffic policy instance found with ID "+*inst.TrafficPolicyInstance.Id)
	_, err = f.GetTrafficPolicy(f.ctx, &route53api.GetTrafficPolicyInput{Id: ptr.To(id), Version: ptr.To(int32(1))})
	wantErr(t, err, "NoSuchTrafficPolicy", "No traffic policy found with ID "+id+" and version 1")
}

func FuzzCheckDocument(f *testing.F) {
	f.Add(policyDoc)
	f.Add(`{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"A","StartEndpoint":"a","Endpoints":{"a":{"Type":"value","Value":"1.2.3.4"}}}`)
	f.Add(`{"Rules":{"r":1}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		typ, err := checkDocument(doc)
		if err == nil && typ == "" {
			t.Fatalf("%q accepted without a record type", doc)
		}
	})
}
