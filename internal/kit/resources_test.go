package kit

import (
	"encoding/json"
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

func TestShapeProps(t *testing.T) {
	type shape struct {
		Name           *string
		EventSourceArn *string
		RetentionDays  *int32
		Actions        []string
	}
	name, days := "a", int32(7)
	got := ShapeProps(&shape{Name: &name, RetentionDays: &days}, "Name", "SourceArn=EventSourceArn", "RetentionDays", "Actions")
	b, _ := json.Marshal(got)
	if want := `{"Actions":null,"Name":"a","RetentionDays":7,"SourceArn":null}`; string(b) != want {
		t.Fatalf("ShapeProps = %s, want %s", b, want)
	}
}

func TestProject(t *testing.T) {
	tests := []struct {
		name, live, tmpl, want string
	}{
		{"members the template does not set are dropped", `{"Name":"p","Comment":null,"MinTTL":0}`, `{"Name":"p"}`, `{"Name":"p"}`},
		{"a member the resource lacks is left out", `{"Name":"p"}`, `{"Name":"p","Comment":"c"}`, `{"Name":"p"}`},
		{"case-insensitive members keep the template's name", `{"ARN":"x","Extra":1}`, `{"Arn":"y"}`, `{"Arn":"x"}`},
		{"Quantity/Items wrapper to the template's list", `{"Headers":{"Quantity":1,"Items":["Origin"]}}`, `{"Headers":["Origin"]}`, `{"Headers":["Origin"]}`},
		{"empty wrapper", `{"Headers":{"Quantity":0,"Items":null}}`, `{"Headers":["Origin"]}`, `{"Headers":[]}`},
		{"Items object kept where the template has one", `{"H":{"Quantity":1,"Items":["a"]}}`, `{"H":{"Items":["a"]}}`, `{"H":{"Items":["a"]}}`},
		{"list elements projected by position, extra ones without nulls", `[{"A":1,"B":null},{"A":2,"B":null}]`, `[{"A":1}]`, `[{"A":1},{"A":2}]`},
		{"scalar", `5`, `"5"`, `5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var live, tmpl any
			if err := json.Unmarshal([]byte(tt.live), &live); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.tmpl), &tmpl); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(Project(live, tmpl))
			if string(b) != tt.want {
				t.Fatalf("Project = %s, want %s", b, tt.want)
			}
		})
	}
}
