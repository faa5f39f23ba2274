package gateway

import (
	"reflect"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/model"
)

// TestValidateTypedAnswersAsTree: a request validated in its typed form
// (checkTyped, for the codecs that decode straight into the typed
// input) is answered with exactly the error its dynamic form gets from
// validate, in every protocol family's wording and a service's own
// (kit.Validation.Error), and passes when that passes; an input that is
// not a generated structure is checked in its dynamic form.
func TestValidateTypedAnswersAsTree(t *testing.T) {
	own := func(op *model.Operation, vs []model.Violation) error {
		return awserr.Code{Code: "OwnWords", Status: 400, Sender: true}.New("%s: %s", op.Name, model.Summary(vs))
	}
	type adHoc struct {
		LogGroupName *string `aws:"logGroupName"`
	}
	long := strings.Repeat("a", 513)
	for _, c := range []struct {
		name       string
		spec       api.Spec
		validation kit.Validation
		op         string
		tree       map[string]any
		input      any
		want       string // "" when the input is valid
	}{
		{"json", logsapi.Spec(), kit.Validation{}, "CreateLogGroup", map[string]any{"logGroupName": long, "tags": map[string]any{"": "v", "k": "v"}},
			new(logsapi.CreateLogGroupRequest), "ValidationException: 3 validation errors detected: Value '" + long + "' at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512; Value '' at 'tags.key' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'tags.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$"},
		{"json valid", logsapi.Spec(), kit.Validation{}, "CreateLogGroup", map[string]any{"logGroupName": "g", "tags": map[string]any{"k": "v"}},
			new(logsapi.CreateLogGroupRequest), ""},
		{"declared", logsapi.Spec(), kit.Validation{Error: own}, "CreateLogGroup", map[string]any{},
			new(logsapi.CreateLogGroupRequest), "OwnWords: CreateLogGroup: 1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null"},
		{"not generated", logsapi.Spec(), kit.Validation{}, "CreateLogGroup", map[string]any{"logGroupName": long},
			new(adHoc), "ValidationException: 1 validation error detected: Value '" + long + "' at 'logGroupName'"},
		{"query", iamapi.Spec(), kit.Validation{}, "CreateRole", map[string]any{"RoleName": "a b", "AssumeRolePolicyDocument": "{}"},
			new(iamapi.CreateRoleRequest), "ValidationError: 1 validation error detected: Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"},
		{"ec2 missing", ec2api.Spec(), kit.Validation{}, "RunInstances", map[string]any{"MinCount": int64(1)},
			new(ec2api.RunInstancesRequest), "MissingParameter: The request must contain the parameter maxCount"},
		{"json nested", dynamodbapi.Spec(), kit.Validation{}, "PutItem", map[string]any{"TableName": "t", "Item": map[string]any{"k": map[string]any{"L": []any{map[string]any{"M": map[string]any{"": map[string]any{"S": "x"}}}}}}},
			new(dynamodbapi.PutItemInput), ""},
		{"json enum", dynamodbapi.Spec(), kit.Validation{}, "PutItem", map[string]any{"TableName": "", "Item": map[string]any{}, "ReturnValues": "SOME"},
			new(dynamodbapi.PutItemInput), "ValidationException: 2 validation errors detected: Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1; Value 'SOME' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc := &Service{Spec: c.spec, Impl: struct{}{}, Validation: c.validation}
			g := &Gateway{conv: &api.Converter{}, validator: &model.Validator{}}
			g.typedValidator = &api.Validator{Model: g.validator}
			m, err := svc.Model()
			if err != nil {
				t.Fatal(err)
			}
			op := m.Operations[c.op]
			if err := g.conv.ToTyped(c.tree, c.input); err != nil {
				t.Fatal(err)
			}
			want := g.validate(svc, m, op, c.tree)
			got := g.checkTyped(svc, m, op, c.input)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("typed: %v\ntree:  %v", got, want)
			}
			if c.want == "" {
				if got != nil {
					t.Fatalf("valid input answered %v", got)
				}
				return
			}
			if got == nil || !strings.HasPrefix(got.Error(), c.want) {
				t.Fatalf("got %v, want %s", got, c.want)
			}
		})
	}
}
