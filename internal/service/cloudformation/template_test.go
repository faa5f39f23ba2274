package cloudformation

import (
	"fmt"
	"strings"
	"testing"
)

// TestTemplateQuotas: a template past CloudFormation's quotas (500
// resources, 200 parameters, mappings and outputs) is a ValidationError
// worded as AWS words it; one at the quota parses.
func TestTemplateQuotas(t *testing.T) {
	section := func(name string, n int, entry string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"%s%d": %s`, name[:1], i, entry)
		}
		return `"` + name + `": {` + strings.Join(parts, ",") + `}`
	}
	resources := func(n int) string { return section("Resources", n, `{"Type": "AWS::SNS::Topic"}`) }
	for _, tc := range []struct {
		name, body, want string // want "" parses
	}{
		{"500 resources", `{` + resources(500) + `}`, ""},
		{"501 resources", `{` + resources(501) + `}`, "Template format error: Number of resources, 501, is greater than maximum allowed, 500"},
		{"200 parameters", `{` + section("Parameters", 200, `{"Type": "String"}`) + `,` + resources(1) + `}`, ""},
		{"201 parameters", `{` + section("Parameters", 201, `{"Type": "String"}`) + `,` + resources(1) + `}`, "Number of parameters, 201, is greater than maximum allowed, 200"},
		{"201 mappings", `{` + section("Mappings", 201, `{"k": {"v": "x"}}`) + `,` + resources(1) + `}`, "Number of mappings, 201, is greater than maximum allowed, 200"},
		{"201 outputs", `{` + resources(1) + `,` + section("Outputs", 201, `{"Value": "x"}`) + `}`, "Number of outputs, 201, is greater than maximum allowed, 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseTemplate(tc.body)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
