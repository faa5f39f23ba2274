package filter

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
)

func TestWildcard(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"amzn2-ami-hvm-*", "amzn2-ami-hvm-2.0.2024-x86_64-gp2", true},
		{"*x86_64*", "al2023-ami-2023.6-kernel-6.1-x86_64", true},
		{"Windows_Server-2016-English-Full-Base-*", "Windows_Server-2019-English-Full-Base-2024", false},
		{"i-?", "i-1", true},
		{"i-?", "i-12", false},
		{"exact", "exact", true},
		{"exact", "Exact", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"*", "", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
	}
	for _, c := range cases {
		if got := Wildcard(c.p, c.s); got != c.want {
			t.Errorf("Wildcard(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

func f(name string, values ...string) ec2api.Filter {
	return ec2api.Filter{Name: &name, Values: values}
}

func tag(k, v string) ec2api.Tag { return ec2api.Tag{Key: &k, Value: &v} }

func TestMatch(t *testing.T) {
	d := New([]ec2api.Tag{tag("Name", "web-1"), tag("env", "prod")}).Add("instance-state-name", "running").Add("instance-type", "t3.micro")
	cases := []struct {
		name    string
		filters []ec2api.Filter
		want    bool
	}{
		{"no filters", nil, true},
		{"one value matches", []ec2api.Filter{f("instance-state-name", "stopped", "running")}, true},
		{"filters are ANDed", []ec2api.Filter{f("instance-state-name", "running"), f("instance-type", "t2.micro")}, false},
		{"tag:key", []ec2api.Filter{f("tag:Name", "web-*")}, true},
		{"tag:key other value", []ec2api.Filter{f("tag:env", "dev")}, false},
		{"tag-key", []ec2api.Filter{f("tag-key", "env")}, true},
		{"tag-value", []ec2api.Filter{f("tag-value", "prod")}, true},
		{"missing tag", []ec2api.Filter{f("tag:Owner", "*")}, false},
	}
	for _, c := range cases {
		if got := Match(c.filters, d); got != c.want {
			t.Errorf("%s: Match = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	known := New(nil).Add("instance-id")
	if err := Validate([]ec2api.Filter{f("instance-id", "i-1"), f("tag:x", "y"), f("tag-key", "x")}, known); err != nil {
		t.Fatal(err)
	}
	err := Validate([]ec2api.Filter{f("bogus", "x")}, known)
	if !awserr.InvalidParameterValue.Is(err) || err.Error() != "InvalidParameterValue: The filter 'bogus' is invalid" {
		t.Fatalf("unknown filter: %v", err)
	}
}
