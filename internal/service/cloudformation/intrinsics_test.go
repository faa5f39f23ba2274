package cloudformation

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestIntrinsics(t *testing.T) {
	tmpl := `
Parameters:
  Env: {Type: String, Default: prod}
  Subnets: {Type: CommaDelimitedList, Default: "a,b,c"}
Mappings:
  Regions:
    us-east-1: {Ami: ami-1}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [x, x]]
  Either: !Or [!Condition NotProd, !Equals [a, b]]
Resources:
  R: {Type: Test::Thing}
`
	tpl, err := parseTemplate(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	ev := &evaluator{t: tpl, params: map[string]any{"Env": "prod", "Subnets": []any{"a", "b", "c"}}, account: "123456789012",
		region: "us-east-1", stackName: "st", stackID: "arn:aws:cloudformation:us-east-1:123456789012:stack/st/id",
		resources:   map[string]resolvedResource{"R": {Ref: "r-1", Attrs: map[string]any{"Arn": "arn:r", "List": []any{"x", "y"}}}},
		importValue: func(n string) (string, bool) { return "imported-" + n, n == "ex" }}
	cases := []struct {
		name, expr, want string
	}{
		{"ref param", `{"Ref": "Env"}`, `"prod"`},
		{"ref resource", `{"Ref": "R"}`, `"r-1"`},
		{"pseudo", `{"Fn::Join": [":", [{"Ref": "AWS::AccountId"}, {"Ref": "AWS::Region"}, {"Ref": "AWS::Partition"}, {"Ref": "AWS::URLSuffix"}, {"Ref": "AWS::StackName"}]]}`, `"123456789012:us-east-1:aws:amazonaws.com:st"`},
		{"getatt", `{"Fn::GetAtt": ["R", "Arn"]}`, `"arn:r"`},
		{"getatt dotted", `{"Fn::GetAtt": "R.Arn"}`, `"arn:r"`},
		{"sub", `{"Fn::Sub": "${R}/${R.Arn}/${AWS::Region}/${!Literal}"}`, `"r-1/arn:r/us-east-1/${Literal}"`},
		{"sub vars", `{"Fn::Sub": ["${X}-${Env}", {"X": {"Ref": "R"}}]}`, `"r-1-prod"`},
		{"select split", `{"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}`, `"b"`},
		{"select list param", `{"Fn::Select": ["2", {"Ref": "Subnets"}]}`, `"c"`},
		{"if", `{"Fn::If": ["IsProd", "big", "small"]}`, `"big"`},
		{"conditions", `[{"Condition": "NotProd"}, {"Condition": "Both"}, {"Condition": "Either"}]`, `[false,true,false]`},
		{"novalue", `{"A": {"Fn::If": ["NotProd", 1, {"Ref": "AWS::NoValue"}]}, "B": 2}`, `{"B":2}`},
		{"findinmap", `{"Fn::FindInMap": ["Regions", {"Ref": "AWS::Region"}, "Ami"]}`, `"ami-1"`},
		{"findinmap default", `{"Fn::FindInMap": ["Regions", "eu-west-1", "Ami", {"DefaultValue": "ami-0"}]}`, `"ami-0"`},
		{"getazs", `{"Fn::Select": [0, {"Fn::GetAZs": ""}]}`, `"us-east-1a"`},
		{"base64", `{"Fn::Base64": "hi"}`, `"aGk="`},
		{"cidr", `{"Fn::Cidr": ["10.0.0.0/16", 3, 8]}`, `["10.0.0.0/24","10.0.1.0/24","10.0.2.0/24"]`},
		{"import", `{"Fn::ImportValue": "ex"}`, `"imported-ex"`},
		{"length", `{"Fn::Length": {"Ref": "Subnets"}}`, `3`},
		{"tojson", `{"Fn::ToJsonString": {"a": [1, {"Ref": "R"}]}}`, `"{\"a\":[1,\"r-1\"]}"`},
		{"join list attr", `{"Fn::Join": ["+", {"Fn::GetAtt": ["R", "List"]}]}`, `"x+y"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tc.expr), &v); err != nil {
				t.Fatal(err)
			}
			got, err := ev.resolveValue(v)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got)
			if string(b) != tc.want {
				t.Fatalf("got %s want %s", b, tc.want)
			}
		})
	}
	errs := []struct{ name, expr, want string }{
		{"select out of range", `{"Fn::Select": [5, ["a"]]}`, "Fn::Select cannot select nonexistent value at index 5"},
		{"unknown attr", `{"Fn::GetAtt": ["R", "Nope"]}`, "resource R does not support attribute type Nope in Fn::GetAtt"},
		{"missing import", `{"Fn::ImportValue": "nope"}`, "No export named nope found"},
		{"unknown function", `{"Fn::Nope": 1}`, "Unrecognized function Fn::Nope"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tc.expr), &v); err != nil {
				t.Fatal(err)
			}
			_, err := ev.resolveValue(v)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v want %s", err, tc.want)
			}
		})
	}
}

// TestYAMLShortForms: the short-form tags read as their long forms.
func TestYAMLShortForms(t *testing.T) {
	doc, err := parseDocument(`
A: !Ref X
B: !GetAtt R.Arn
C: !Sub "${X}"
D: !Join [",", [!Ref X, !Base64 y]]
E: !GetAZs
F: !If [C, 1, 2]
G: 010
H: 1.5
I: true
`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	want := `{"A":{"Ref":"X"},"B":{"Fn::GetAtt":["R","Arn"]},"C":{"Fn::Sub":"${X}"},"D":{"Fn::Join":[",",[{"Ref":"X"},{"Fn::Base64":"y"}]]},"E":{"Fn::GetAZs":""},"F":{"Fn::If":["C",1,2]},"G":"010","H":1.5,"I":true}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

// FuzzParseTemplate: no template makes the parser or evaluator panic or
// hang.
func FuzzParseTemplate(f *testing.F) {
	f.Add(twoThings)
	f.Add(`{"Resources": {"A": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${A.B}"}}}}}`)
	f.Add("Resources:\n  A: &a\n    Type: T\n  B: *a\n")
	f.Add(`{"Conditions": {"C": {"Condition": "C"}}, "Resources": {"A": {"Type": "T", "Condition": "C"}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		if len(body) > maxTemplateBody {
			return
		}
		tpl, err := parseTemplate(body)
		if err != nil {
			return
		}
		ev := &evaluator{t: tpl, params: map[string]any{}, resources: map[string]resolvedResource{}}
		order, err := activeOrder(tpl, ev)
		if err != nil {
			return
		}
		for _, l := range order {
			_, _ = ev.resolveValue(tpl.Resources[l].Properties)
		}
	})
}

// TestYAMLAliasBomb: aliases cannot expand a small template without
// bound.
func TestYAMLAliasBomb(t *testing.T) {
	body := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		name := string(rune('b' + i))
		body += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = name
	}
	_, err := parseDocument(body)
	if err == nil || !strings.Contains(err.Error(), "too many nodes") {
		t.Fatalf("err %v", err)
	}
}
