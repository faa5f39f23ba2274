package query_test

import (
	"flag"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
	"github.com/niwa-cloud/niwa/internal/protocol/query"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current encodings")

func dump(rec *httptest.ResponseRecorder) []byte { return protocoltest.DumpResponse(rec) }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	protocoltest.Golden(t, name, got, *update)
}

type goldenOutput struct {
	name, svc, op string
	out           map[string]any
}

func TestGoldenOutputs(t *testing.T) {
	created := time.Date(2024, 3, 1, 12, 30, 45, 0, time.UTC)
	for _, g := range []goldenOutput{
		{"iam_get_role", "iam", "GetRole", map[string]any{"Role": map[string]any{
			"Path": "/service/", "RoleName": "web", "RoleId": "AROAEXAMPLEEXAMPLE123",
			"Arn": "arn:aws:iam::000000000000:role/service/web", "CreateDate": created,
			"AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D",
			"Description":              "Web <tier> & friends", "MaxSessionDuration": int64(3600),
			"Tags":         []any{map[string]any{"Key": "team", "Value": "platform"}, map[string]any{"Key": "empty", "Value": ""}},
			"RoleLastUsed": map[string]any{"LastUsedDate": created.Add(36*time.Hour + 250*time.Millisecond), "Region": "us-east-1"},
		}}},
		{"iam_delete_role", "iam", "DeleteRole", nil},
		{"sts_get_caller_identity", "sts", "GetCallerIdentity", map[string]any{
			"UserId": "AIDAEXAMPLE", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:user/alice"}},
		{"sns_get_topic_attributes", "sns", "GetTopicAttributes", map[string]any{"Attributes": map[string]any{
			"TopicArn": "arn:aws:sns:us-east-1:000000000000:t", "DisplayName": "T", "Policy": `{"Version":"2012-10-17"}`}}},
		{"ec2_describe_instances", "ec2", "DescribeInstances", map[string]any{"Reservations": []any{map[string]any{
			"ReservationId": "r-0123456789abcdef0", "OwnerId": "000000000000", "Groups": []any{},
			"Instances": []any{map[string]any{
				"InstanceId": "i-0123456789abcdef0", "ImageId": "ami-12345678", "InstanceType": "t3.micro",
				"State":          map[string]any{"Code": int64(16), "Name": "running"},
				"PrivateDnsName": "ip-10-0-1-5.ec2.internal", "PrivateIpAddress": "10.0.1.5",
				"LaunchTime": created, "Placement": map[string]any{"AvailabilityZone": "us-east-1a", "Tenancy": "default"},
				"Monitoring": map[string]any{"State": "disabled"}, "SubnetId": "subnet-1", "VpcId": "vpc-1",
				"SecurityGroups": []any{map[string]any{"GroupName": "default", "GroupId": "sg-1"}},
				"Tags":           []any{map[string]any{"Key": "Name", "Value": "web"}},
				"EbsOptimized":   false, "Architecture": "x86_64",
			}},
		}}}},
		{"ec2_attach_internet_gateway", "ec2", "AttachInternetGateway", nil},
	} {
		t.Run(g.name, func(t *testing.T) {
			svc := realModel(t, g.svc)
			op := svc.Operations[g.op]
			codec := codecFor(svc.ProtocolOf())
			resolve(t, codec, svc, op)
			rec := httptest.NewRecorder()
			if err := codec.Encode(rec, op, g.out, protocol.Meta{RequestID: "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"}); err != nil {
				t.Fatal(err)
			}
			golden(t, g.name, dump(rec))
			// And the clients read back what was written.
			got, rid, err := clientParse(svc.ProtocolOf(), op, rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if rid != "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE" {
				t.Errorf("request id %q", rid)
			}
			want := g.out
			if want == nil {
				want = map[string]any{}
			}
			if d := protocoltest.Diff(any(want), got); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestGoldenErrors(t *testing.T) {
	for _, g := range []struct {
		name, svc, op string
		err           *awserr.Error
		wantStatus    int
	}{
		{"sts_error", "sts", "AssumeRole", awserr.AccessDenied.New("User: arn:aws:iam::000000000000:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/admin"), 403},
		{"iam_error_no_such_entity", "iam", "GetRole", (&awserr.Error{Code: awserr.Code{Code: "NoSuchEntity", Shape: "NoSuchEntityException", Status: 404, Sender: true}, Message: "The role with name web cannot be found."}), 404},
		{"ec2_error", "ec2", "DescribeInstances", (&awserr.Error{Code: awserr.Code{Code: "InvalidInstanceID.NotFound", Status: 400, Sender: true}, Message: "The instance ID 'i-0123456789abcdef0' does not exist"}), 400},
		{"ec2_error_unknown_action", "ec2", "", awserr.InvalidAction.New("The action FlyToTheMoon is not valid for this web service."), 400},
	} {
		t.Run(g.name, func(t *testing.T) {
			svc := realModel(t, g.svc)
			op := svc.Operations[g.op]
			codec := codecFor(svc.ProtocolOf())
			rec := httptest.NewRecorder()
			codec.EncodeError(rec, svc, op, g.err, protocol.Meta{RequestID: "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"})
			if rec.Code != g.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, g.wantStatus)
			}
			golden(t, g.name, dump(rec))
			fields, rid, err := clientParseError(svc.ProtocolOf(), rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if fields["Code"] != g.err.Code.Code || fields["Message"] != g.err.Message || rid != "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE" {
				t.Errorf("client read %v, %q", fields, rid)
			}
		})
	}
}

// TestErrorFields checks extra error members: by the error shape's members
// when the model has the shape, else as plain elements.
func TestErrorFields(t *testing.T) {
	svc := mustModel(t, `{
	  "metadata": {"protocol": "query", "apiVersion": "2020-01-01", "endpointPrefix": "svc"},
	  "operations": {"Op": {"name": "Op", "errors": [{"shape": "Thing"}]}},
	  "shapes": {
	    "Thing": {"type": "structure", "exception": true, "error": {"code": "ThingFailed", "httpStatusCode": 409, "senderFault": true},
	      "members": {"message": {"shape": "S"}, "Reasons": {"shape": "L"}, "When": {"shape": "T", "locationName": "at"}}},
	    "L": {"type": "list", "member": {"shape": "S"}},
	    "S": {"type": "string"}, "T": {"type": "timestamp"}
	  }
	}`)
	e := &awserr.Error{Code: awserr.Code{Code: "ThingFailed", Status: 409, Sender: true}, Message: "no <way>",
		Fields: map[string]any{"Reasons": []any{"a", "b"}, "When": time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), "Extra": int64(7), "bad name": "x", "message": "dup"}}
	e.Header = map[string][]string{"x-amzn-query-error": {"ThingFailed;Sender"}}
	rec := httptest.NewRecorder()
	query.New().EncodeError(rec, svc, svc.Operations["Op"], e, protocol.Meta{RequestID: "rid"})
	want := `<ErrorResponse xmlns="https://svc.amazonaws.com/doc/2020-01-01/"><Error><Type>Sender</Type><Code>ThingFailed</Code><Message>no &lt;way&gt;</Message>` +
		`<Reasons><member>a</member><member>b</member></Reasons><at>2020-01-02T03:04:05Z</at><Extra>7</Extra></Error><RequestId>rid</RequestId></ErrorResponse>`
	if rec.Body.String() != want || rec.Code != 409 {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("X-Amzn-Query-Error") != "ThingFailed;Sender" || rec.Header().Get("x-amzn-RequestId") != "rid" || rec.Header().Get("Content-Type") != "text/xml" {
		t.Fatalf("headers %v", rec.Header())
	}
	// A nil error and a status-less code still answer something sane.
	rec = httptest.NewRecorder()
	query.NewEC2().EncodeError(rec, svc, nil, nil, protocol.Meta{})
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "<Code>InternalFailure</Code>") {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	query.New().EncodeError(rec, svc, nil, &awserr.Error{Code: awserr.Code{Code: "Oops", Sender: true}}, protocol.Meta{})
	if rec.Code != 400 {
		t.Fatalf("got %d", rec.Code)
	}
}

func TestEncodeErrorDoesNotWrite(t *testing.T) {
	svc := realModel(t, "iam")
	op := svc.Operations["GetRole"]
	rec := httptest.NewRecorder()
	err := query.New().Encode(rec, op, map[string]any{"Role": map[string]any{"CreateDate": "yesterday"}}, protocol.Meta{})
	if err == nil {
		t.Fatal("no error")
	}
	if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
		t.Fatalf("wrote %v %q", rec.Header(), rec.Body.String())
	}
}

// TestEncodeWithoutResolve: an operation the codec has not resolved
// encodes exactly as a resolved one, namespace included: the service comes
// from op.Service, not from an earlier Resolve on the same codec.
func TestEncodeWithoutResolve(t *testing.T) {
	svc := realModel(t, "sts")
	rec := httptest.NewRecorder()
	if err := query.New().Encode(rec, svc.Operations["GetCallerIdentity"], map[string]any{"Account": "1"}, protocol.Meta{RequestID: "r"}); err != nil {
		t.Fatal(err)
	}
	want := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Account>1</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	if rec.Body.String() != want {
		t.Fatal(rec.Body.String())
	}
}
