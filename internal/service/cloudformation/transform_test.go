package cloudformation

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of processed templates")

// TestTransformsGolden: each testdata/transform/<name>.yaml's processed
// template is testdata/transform/<name>.json (go test -run
// TestTransformsGolden -update rewrites them).
func TestTransformsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/transform/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatal("no templates", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := processedTemplate(string(body), transformEnv{})
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal([]byte(got), &v); err != nil {
				t.Fatal(err)
			}
			pretty, _ := json.MarshalIndent(v, "", "  ")
			golden := strings.TrimSuffix(f, ".yaml") + ".json"
			if *update {
				if err := os.WriteFile(golden, append(pretty, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(want)) != strings.TrimSpace(string(pretty)) {
				t.Errorf("processed template differs from %s (-update rewrites it):\n%s", golden, pretty)
			}
			// The processed template parses as a plain template.
			if _, err := parseTemplate(got); err != nil {
				t.Fatalf("processed template does not parse: %v", err)
			}
		})
	}
}

// TestSAMLogicalIDs: the resources SAM's translator makes, under its
// names, so Ref and Fn::GetAtt on them resolve.
func TestSAMLogicalIDs(t *testing.T) {
	body, err := os.ReadFile("testdata/transform/sam-function.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tm, err := parseTemplate(string(body))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Hello": "AWS::Lambda::Function", "HelloRole": "AWS::IAM::Role", "HelloUploadPermission": "AWS::Lambda::Permission",
		"HelloMessages": "AWS::Lambda::EventSourceMapping", "HelloStream": "AWS::Lambda::EventSourceMapping",
		"HelloTick": "AWS::Events::Rule", "HelloTickPermission": "AWS::Lambda::Permission",
		"HelloTock": "AWS::Scheduler::Schedule", "HelloTockRole": "AWS::IAM::Role", "HelloChanges": "AWS::Events::Rule",
		"HelloNotes": "AWS::SNS::Subscription", "HelloNotesPermission": "AWS::Lambda::Permission",
		"HelloGetPermissionProd": "AWS::Lambda::Permission", "ServerlessRestApi": "AWS::ApiGateway::RestApi",
		"ServerlessRestApiProdStage": "AWS::ApiGateway::Stage", "Table": "AWS::DynamoDB::Table",
		"Inline": "AWS::Lambda::Function", "InlineAliaslive": "AWS::Lambda::Alias", "Api": "AWS::ApiGateway::RestApi",
		"Apiv1Stage": "AWS::ApiGateway::Stage", "InlineSecurePermissionProd": "AWS::Lambda::Permission",
	}
	for id, ty := range want {
		r, ok := tm.Resources[id]
		if !ok {
			t.Errorf("no resource %s", id)
			continue
		}
		if r.Type != ty {
			t.Errorf("%s is %s, want %s", id, r.Type, ty)
		}
	}
	if _, ok := tm.Resources["InlineRole"]; ok {
		t.Error("a function with a Role got a role made")
	}
	prefixes := map[string]string{"ServerlessRestApiDeployment": "AWS::ApiGateway::Deployment", "InlineVersion": "AWS::Lambda::Version",
		"Layer": "AWS::Lambda::LayerVersion"}
	for p, ty := range prefixes {
		found := false
		for id, r := range tm.Resources {
			if strings.HasPrefix(id, p) && len(id) == len(p)+10 && r.Type == ty {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s<hash> of type %s", p, ty)
		}
	}
	if tm.Resources["Bucket"].DependsOn[0] != "HelloUploadPermission" {
		t.Errorf("bucket depends on %v", tm.Resources["Bucket"].DependsOn)
	}
	if len(tm.Transform) != 1 || tm.Transform[0] != transformServerless {
		t.Errorf("transforms %v", tm.Transform)
	}
}

func TestTransformRefusals(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"unknown transform": {"Transform: AWS::Foo\nResources: {A: {Type: AWS::SQS::Queue}}", "The transform AWS::Foo is not supported"},
		"http api": {`Transform: AWS::Serverless-2016-10-31
Resources:
  F: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handler: a.b, Runtime: python3.12, Events: {H: {Type: HttpApi}}}}`,
			"Resource with id [F] is invalid. Event with id [H] is invalid. niwa does not implement API Gateway v2"},
		"bad code uri": {`Transform: AWS::Serverless-2016-10-31
Resources:
  F: {Type: AWS::Serverless::Function, Properties: {CodeUri: ./src, Handler: a.b, Runtime: python3.12}}`,
			"'CodeUri' is not a valid S3 Uri"},
		"unknown property": {`Transform: AWS::Serverless-2016-10-31
Resources:
  F: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handlr: a.b}}`,
			"property Handlr not defined for resource of type AWS::Serverless::Function"},
		"unknown policy template": {`Transform: AWS::Serverless-2016-10-31
Resources:
  F: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handler: a.b, Runtime: python3.12, Policies: [{NoSuchPolicy: {}}]}}`,
			"Policy template 'NoSuchPolicy' is not supported"},
		"missing template parameter": {`Transform: AWS::Serverless-2016-10-31
Resources:
  F: {Type: AWS::Serverless::Function, Properties: {InlineCode: x, Handler: a.b, Runtime: python3.12, Policies: [{SQSPollerPolicy: {}}]}}`,
			"Missing parameter(s) 'QueueName' for policy template 'SQSPollerPolicy'."},
		"globals without SAM": {"Globals: {Function: {Timeout: 3}}\nResources: {A: {Type: AWS::SQS::Queue}}", "Invalid template property or properties [Globals]"},
		"foreach duplicate": {`Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::L: [X, [a, b], {Same: {Type: AWS::SQS::Queue}}]`, "the key Same is made more than once"},
		"foreach not a list": {`Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::L: [X, notalist, {"Q${X}": {Type: AWS::SQS::Queue}}]`, "the collection must be a list of strings"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseTemplate(tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzTransforms(f *testing.F) {
	for _, name := range []string{"sam-function.yaml", "foreach.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata/transform", name))
		if err == nil {
			f.Add(string(b))
		}
	}
	f.Add("Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::A: [X, [a], {\"Fn::ForEach::B\": [Y, [b], {\"Q${X}${Y}\": {Type: T}}]}]")
	f.Fuzz(func(t *testing.T, body string) {
		_, _ = parseTemplate(body)
	})
}

// TestSAMConditionPropagates: what a conditional function's expansion
// makes carries its Condition, so a false condition leaves no dangling
// permission or event source.
func TestSAMConditionPropagates(t *testing.T) {
	tm, err := parseTemplate(`Transform: AWS::Serverless-2016-10-31
Conditions:
  Never: !Equals [a, b]
Resources:
  Q: {Type: AWS::SQS::Queue}
  F:
    Type: AWS::Serverless::Function
    Condition: Never
    Properties:
      InlineCode: x
      Handler: index.h
      Runtime: python3.12
      Events:
        S: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}
        T: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"F", "FRole", "FS", "FT", "FTPermission"} {
		if r, ok := tm.Resources[id]; !ok || r.Condition != "Never" {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if tm.Resources["Q"].Condition != "" {
		t.Error("the queue got the function's condition")
	}
}
