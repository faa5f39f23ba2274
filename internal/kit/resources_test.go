package kit

import (
	"strings"
	"testing"
)

// DecodeProperties renders the JSON-valued properties a template gives as
// objects into text, converts numbers given as strings, and answers
// CloudFormation's validation message for a property the input cannot hold.
func TestDecodeProperties(t *testing.T) {
	var in struct {
		Name         *string
		EventPattern *string
		Limit        *int64
	}
	r := ResourceRequest{LogicalID: "Rule", Properties: map[string]any{
		"Name": "r", "EventPattern": map[string]any{"source": []any{"a"}}, "Limit": "5",
	}}
	if err := DecodeProperties(r, &in, "EventPattern"); err != nil {
		t.Fatal(err)
	}
	if *in.Name != "r" || *in.EventPattern != `{"source":["a"]}` || *in.Limit != 5 {
		t.Fatalf("decoded %q %q %d", *in.Name, *in.EventPattern, *in.Limit)
	}
	if _, ok := r.Properties["EventPattern"].(map[string]any); !ok {
		t.Fatal("the request's properties were changed")
	}
	r.Properties = map[string]any{"Limit": []any{"x"}}
	err := DecodeProperties(r, &in)
	if err == nil || !strings.Contains(err.Error(), "Properties validation failed for resource Rule with message:") {
		t.Fatalf("bad property: %v", err)
	}
}

// ResourceName keeps the name a resource has, then takes the template's,
// then generates one within the limit.
func TestResourceName(t *testing.T) {
	r := ResourceRequest{StackName: "stack", LogicalID: "Queue", Properties: map[string]any{"QueueName": "given"}}
	if got := ResourceName(r, "QueueName", 80); got != "given" {
		t.Fatalf("template name: %q", got)
	}
	r.PhysicalID = "had"
	if got := ResourceName(r, "QueueName", 80); got != "had" {
		t.Fatalf("existing name: %q", got)
	}
	r.PhysicalID, r.Properties = "", nil
	if got := ResourceName(r, "QueueName", 20); len(got) > 20 || !strings.HasPrefix(got, "st") {
		t.Fatalf("generated name: %q", got)
	}
}
