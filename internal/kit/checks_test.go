package kit

import (
	"reflect"
	"testing"
)

// Input shapes as the generated APIs write them.
type (
	tag     struct{ Key, Value *string }
	tagKV   struct{ TagKey, TagValue *string }
	tagSpec struct {
		ResourceType *string
		Tags         []tag
	}
	mapTags struct {
		QueueName *string
		Tags      map[string]string
	}
	listTags struct {
		RoleName *string
		Tags     []tag
	}
	kvTags struct {
		KeyId *string
		Tags  []tagKV
	}
	specTags struct{ TagSpecifications []tagSpec }
)

func sp(s string) *string { return &s }

// TestRequestTags: aws:RequestTag/<key> and aws:TagKeys from the tags a
// request carries, in each shape the models use.
func TestRequestTags(t *testing.T) {
	env := Env{Account: "123456789012", Region: "us-east-1"}
	for name, in := range map[string]any{
		"map (SQS)":                  &mapTags{QueueName: sp("q"), Tags: map[string]string{"Env": "dev"}},
		"Key/Value list (IAM)":       &listTags{RoleName: sp("r"), Tags: []tag{{Key: sp("Env"), Value: sp("dev")}}},
		"TagKey/TagValue list (KMS)": &kvTags{Tags: []tagKV{{TagKey: sp("Env"), TagValue: sp("dev")}}},
		"TagSpecifications (EC2)":    &specTags{TagSpecifications: []tagSpec{{ResourceType: sp("vpc"), Tags: []tag{{Key: sp("Env"), Value: sp("dev")}}}}},
	} {
		c := Authz{}.Checks("svc", "CreateThing", in, env)[0].Context
		if !reflect.DeepEqual(c["aws:requesttag/env"], []string{"dev"}) || !reflect.DeepEqual(c["aws:tagkeys"], []string{"Env"}) {
			t.Errorf("%s: context %v", name, c)
		}
	}
}

// TestChecks: the action is <prefix>:<operation> unless renamed, the
// resources are the rule's ("*" without one), Context adds keys and
// Extra adds checks.
func TestChecks(t *testing.T) {
	a := Authz{
		Prefix:  "dynamodb",
		Renames: map[string]string{"Scan": "Read"},
		Resources: func(op string, in Input, env Env) []string {
			return []string{ARN("dynamodb", env.Region, env.Account, "table/"+in.Str("QueueName"))}
		},
		Extra: func(op string, in Input, env Env) []Check {
			return []Check{{Action: "dynamodb:Extra", Resource: "*"}}
		},
	}
	got := a.Checks("dynamodbstreams", "Scan", &mapTags{QueueName: sp("t")}, Env{Account: "1", Region: "r"})
	if len(got) != 2 || got[0].Action != "dynamodb:Read" || got[0].Resource != "arn:aws:dynamodb:r:1:table/t" || got[1].Action != "dynamodb:Extra" {
		t.Errorf("checks %+v", got)
	}
	if got := (Authz{}).Checks("sqs", "ListQueues", &mapTags{}, Env{}); len(got) != 1 || got[0].Action != "sqs:ListQueues" || got[0].Resource != "*" {
		t.Errorf("no rules: %+v", got)
	}
}

// TestPassRole: a role handed to the service (a member named Role,
// RoleArn or RoleARN, or one in Targets) asks iam:PassRole with
// iam:PassedToService; services that only name roles ask nothing.
func TestPassRole(t *testing.T) {
	type target struct{ RoleArn *string }
	type in struct {
		Role    *string
		Targets []target
	}
	r1, r2 := "arn:aws:iam::1:role/fn", "arn:aws:iam::1:role/tgt"
	got := Authz{}.Checks("events", "PutTargets", &in{Role: &r1, Targets: []target{{RoleArn: &r2}}}, Env{})
	if len(got) != 3 || got[1].Action != "iam:PassRole" || got[1].Resource != r1 || got[2].Resource != r2 ||
		!reflect.DeepEqual(got[1].Context["iam:passedtoservice"], []string{"events.amazonaws.com"}) {
		t.Errorf("checks %+v", got)
	}
	if got := (Authz{NamesRoles: true}).Checks("iam", "GetRole", &in{Role: &r1}, Env{}); len(got) != 1 {
		t.Errorf("a service naming roles asked %+v", got)
	}
}

// TestCommonFieldsAsByName: the one-pass lookup of the members every
// authorization reads finds what FieldByName finds, member by member, in
// the generated inputs that have them (and those that do not), and in a
// struct with embedded fields (promoted members, FieldByName's rules).
func TestCommonFieldsAsByName(t *testing.T) {
	type inner struct {
		RoleArn *string
		Tags    []tag
	}
	type embeds struct {
		inner
		Role *string
	}
	// The generated inputs' members that matter here, as the APIs write
	// them (kit, a platform package, does not import the generated APIs).
	type roleTarget struct{ Arn, RoleArn *string }
	type putTargets struct { // EventBridge PutTargets
		Rule, EventBusName *string
		Targets            []roleTarget
	}
	type putRule struct { // EventBridge PutRule
		Name, RoleArn *string
		Tags          []tag
	}
	type createSchedule struct { // Scheduler CreateSchedule
		Name   *string
		Target *roleTarget
	}
	type createFunction struct { // Lambda CreateFunction
		FunctionName, Role *string
		Tags               map[string]string
	}
	type createRole struct { // IAM CreateRole
		RoleName, AssumeRolePolicyDocument *string
		Tags                               []tag
	}
	type runInstances struct { // EC2 RunInstances
		ImageId           *string
		TagSpecifications []tagSpec
	}
	type getItem struct { // DynamoDB GetItem
		TableName *string
		Key       map[string]struct{ S *string }
	}
	for _, in := range []any{
		&putTargets{}, &putRule{}, &createSchedule{}, &createFunction{}, &createRole{}, &runInstances{},
		&getItem{}, &embeds{}, &mapTags{}, struct{}{}, 42,
	} {
		f, _ := NewInput(in)
		got, want := f.common(), f.commonByName()
		for i, pair := range [][2]reflect.Value{
			{got.roles[0], want.roles[0]}, {got.roles[1], want.roles[1]}, {got.roles[2], want.roles[2]},
			{got.target, want.target}, {got.targets, want.targets},
			{got.tags, want.tags}, {got.tagList, want.tagList}, {got.tagSpecs, want.tagSpecs},
		} {
			g, w := pair[0], pair[1]
			if g.IsValid() != w.IsValid() || g.IsValid() && (g.Type() != w.Type() || g.Addr().Pointer() != w.Addr().Pointer()) {
				t.Errorf("%T: member %d: %v, FieldByName's %v", in, i, g, w)
			}
		}
	}
}

// BenchmarkChecksNoRolesNoTags is the common part of an authorization's
// checks for an input with neither roles nor tags (DynamoDB GetItem).
func BenchmarkChecksNoRolesNoTags(b *testing.B) {
	in := &struct {
		TableName *string
		Key       map[string]struct{ S *string }
	}{TableName: new(string)}
	b.ReportAllocs()
	for b.Loop() {
		Authz{}.Checks("dynamodb", "GetItem", in, Env{})
	}
}

// TestCheckerMatchesChecks: the Checker's checks, with the action and
// the inputs' member indexes it keeps, are Checks' for every input shape
// (embedded fields, tags of each kind, roles handed over, no struct),
// asked twice (found, then kept).
func TestCheckerMatchesChecks(t *testing.T) {
	type inner struct {
		RoleArn *string
		Tags    []tag
	}
	type embeds struct {
		inner
		Role *string
	}
	type roleTarget struct{ Arn, RoleArn *string }
	type putTargets struct {
		Rule    *string
		Targets []roleTarget
	}
	type createSchedule struct {
		Name   *string
		Target *roleTarget
	}
	role := "arn:aws:iam::1:role/r"
	a := Authz{
		Renames: map[string]string{"Scan": "Read"},
		Resources: func(op string, in Input, env Env) []string {
			if q := in.Str("QueueName"); q != "" {
				return []string{ARN("sqs", env.Region, env.Account, q)}
			}
			return nil
		},
		PerItem: map[string]bool{"Scan": true},
	}
	env := Env{Account: "1", Region: "r"}
	var c Checker
	for _, op := range []string{"Scan", "Get"} {
		for _, in := range []any{
			&mapTags{QueueName: sp("q"), Tags: map[string]string{"Env": "dev"}},
			&listTags{RoleName: sp("r"), Tags: []tag{{Key: sp("Env"), Value: sp("dev")}}},
			&kvTags{Tags: []tagKV{{TagKey: sp("Env"), TagValue: sp("dev")}}},
			&specTags{TagSpecifications: []tagSpec{{ResourceType: sp("vpc"), Tags: []tag{{Key: sp("K"), Value: sp("v")}}}}},
			&embeds{inner: inner{RoleArn: &role, Tags: []tag{{Key: sp("E"), Value: sp("1")}}}},
			&putTargets{Targets: []roleTarget{{RoleArn: &role}}},
			&createSchedule{Target: &roleTarget{RoleArn: &role}},
			struct{}{}, 42, nil,
		} {
			want := a.Checks("svc", op, in, env)
			for range 2 {
				var buf [2]Check
				if got := c.AppendChecks(buf[:0], a, "svc", op, in, env); !reflect.DeepEqual(got, want) {
					t.Errorf("%s %T: Checker %+v, Checks %+v", op, in, got, want)
				}
			}
		}
	}
}

// TestCheckerAllocations: a request without tags or roles asks its
// checks without allocating, once its operation and input type are known.
func TestCheckerAllocations(t *testing.T) {
	in := &struct {
		TableName *string
		Key       map[string]struct{ S *string }
	}{TableName: new(string)}
	var c Checker
	a := Authz{}
	ok := true
	n := testing.AllocsPerRun(100, func() {
		var buf [2]Check
		got := c.AppendChecks(buf[:0], a, "dynamodb", "GetItem", in, Env{})
		ok = ok && len(got) == 1 && got[0].Action == "dynamodb:GetItem" && got[0].Resource == "*"
	})
	if !ok {
		t.Fatal("wrong checks")
	}
	if !raceEnabled && n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// BenchmarkCheckerNoRolesNoTags is BenchmarkChecksNoRolesNoTags through
// the Checker the authorizer keeps.
func BenchmarkCheckerNoRolesNoTags(b *testing.B) {
	in := &struct {
		TableName *string
		Key       map[string]struct{ S *string }
	}{TableName: new(string)}
	var c Checker
	b.ReportAllocs()
	for b.Loop() {
		var buf [2]Check
		c.AppendChecks(buf[:0], Authz{}, "dynamodb", "GetItem", in, Env{})
	}
}
