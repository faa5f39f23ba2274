package kit

import (
	"encoding/json"
	"testing"
)

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
