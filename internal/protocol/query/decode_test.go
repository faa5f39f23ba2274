package query_test

import (
	"errors"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
	"github.com/niwa-cloud/niwa/internal/protocol/query"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody/xmlbodytest"
)

// realModel loads the newest api-2.json of an AWS service from the
// aws-sdk-go module.
func realModel(t testing.TB, name string) *model.Service {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(protocoltest.Dir(t)), "apis", name, "*", "api-2.json"))
	if len(matches) == 0 {
		t.Fatalf("no model for %s", name)
	}
	sort.Strings(matches)
	data, err := os.ReadFile(matches[len(matches)-1])
	if err != nil {
		t.Fatal(err)
	}
	svc, err := model.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func postForm(body string) *protocol.Request {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return protocol.NewRequest(req, nil)
}

// TestDecodeRealRequests decodes requests as botocore serializes them for
// real models (bodies produced by botocore 1.43's QuerySerializer and
// EC2Serializer).
func TestDecodeRealRequests(t *testing.T) {
	ts := time.Date(2024, 1, 1, 0, 0, 0, 123e6, time.UTC)
	for _, c := range []struct {
		svc, body string
		want      map[string]any
	}{
		{"iam", "Action=CreateRole&Version=2010-05-08&RoleName=web&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D&MaxSessionDuration=3600&Tags.member.1.Key=team&Tags.member.1.Value=a+b&Tags.member.2.Key=env&Tags.member.2.Value=",
			map[string]any{"RoleName": "web", "AssumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[]}`, "MaxSessionDuration": int64(3600),
				"Tags": []any{map[string]any{"Key": "team", "Value": "a b"}, map[string]any{"Key": "env", "Value": ""}}}},
		{"ec2", "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&Filter.1.Value.1=running&Filter.1.Value.2=pending&InstanceId.1=i-1&MaxResults=10&DryRun=false",
			map[string]any{"Filters": []any{map[string]any{"Name": "instance-state-name", "Values": []any{"running", "pending"}}}, "InstanceIds": []any{"i-1"}, "MaxResults": int64(10), "DryRun": false}},
		{"ec2", "Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=2&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda&BlockDeviceMapping.1.Ebs.VolumeSize=8&BlockDeviceMapping.1.Ebs.DeleteOnTermination=true&SecurityGroupId.1=sg-1&SecurityGroupId.2=sg-2&Placement.AvailabilityZone=us-east-1a",
			map[string]any{"ImageId": "ami-1", "MinCount": int64(1), "MaxCount": int64(2),
				"TagSpecifications":   []any{map[string]any{"ResourceType": "instance", "Tags": []any{map[string]any{"Key": "Name", "Value": "web"}}}},
				"BlockDeviceMappings": []any{map[string]any{"DeviceName": "/dev/xvda", "Ebs": map[string]any{"VolumeSize": int64(8), "DeleteOnTermination": true}}},
				"SecurityGroupIds":    []any{"sg-1", "sg-2"}, "Placement": map[string]any{"AvailabilityZone": "us-east-1a"}}},
		{"ec2", "Action=ImportKeyPair&Version=2016-11-15&KeyName=k&PublicKeyMaterial=c3NoLXJzYSBBQUFB",
			map[string]any{"KeyName": "k", "PublicKeyMaterial": []byte("ssh-rsa AAAA")}},
		{"sns", "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Message=hi+%26+bye&MessageAttributes.entry.1.Name=attr&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=v&MessageAttributes.entry.2.Name=bin&MessageAttributes.entry.2.Value.DataType=Binary&MessageAttributes.entry.2.Value.BinaryValue=AAE%3D",
			map[string]any{"TopicArn": "arn:aws:sns:us-east-1:000000000000:t", "Message": "hi & bye", "MessageAttributes": map[string]any{
				"attr": map[string]any{"DataType": "String", "StringValue": "v"}, "bin": map[string]any{"DataType": "Binary", "BinaryValue": []byte{0, 1}}}}},
		{"sns", "Action=CreateTopic&Version=2010-03-31&Name=t&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=x&Attributes.entry.2.key=FifoTopic&Attributes.entry.2.value=false&Tags=",
			map[string]any{"Name": "t", "Attributes": map[string]any{"DisplayName": "x", "FifoTopic": "false"}, "Tags": []any{}}},
		{"monitoring", "Action=PutMetricData&Version=2010-08-01&Namespace=ns&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1.5&MetricData.member.1.Timestamp=2024-01-01T00%3A00%3A00.123000Z&MetricData.member.1.Dimensions.member.1.Name=d&MetricData.member.1.Dimensions.member.1.Value=v&MetricData.member.1.Values.member.1=1.0&MetricData.member.1.Values.member.2=2.5&MetricData.member.1.StorageResolution=1",
			map[string]any{"Namespace": "ns", "MetricData": []any{map[string]any{"MetricName": "m", "Value": 1.5, "Timestamp": ts,
				"Dimensions": []any{map[string]any{"Name": "d", "Value": "v"}}, "Values": []any{1.0, 2.5}, "StorageResolution": int64(1)}}}},
		{"sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName=s&DurationSeconds=900&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess",
			map[string]any{"RoleArn": "arn:aws:iam::000000000000:role/r", "RoleSessionName": "s", "DurationSeconds": int64(900),
				"PolicyArns": []any{map[string]any{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}},
		{"cloudformation", "Action=CreateStack&Version=2010-05-15&StackName=s&TemplateBody=%7B%7D&Parameters.member.1.ParameterKey=K&Parameters.member.1.ParameterValue=V&Capabilities.member.1=CAPABILITY_IAM&Tags.member.1.Key=a&Tags.member.1.Value=b",
			map[string]any{"StackName": "s", "TemplateBody": "{}", "Parameters": []any{map[string]any{"ParameterKey": "K", "ParameterValue": "V"}},
				"Capabilities": []any{"CAPABILITY_IAM"}, "Tags": []any{map[string]any{"Key": "a", "Value": "b"}}}},
	} {
		svc := realModel(t, c.svc)
		codec := codecFor(svc.ProtocolOf())
		req := postForm(c.body)
		op, err := codec.Resolve(svc, req)
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		got, err := codec.Decode(op, req)
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if d := protocoltest.Diff(c.want, got); d != "" {
			t.Errorf("%s %s:\n%s", c.svc, op.Name, d)
		}
	}
}

func TestDecodeGET(t *testing.T) {
	svc := realModel(t, "iam")
	codec := query.New()
	req := protocol.NewRequest(httptest.NewRequest(http.MethodGet, "/?Action=ListUsers&Version=2010-05-08&MaxItems=5&PathPrefix=%2Fdev%2F", nil), nil)
	op, err := codec.Resolve(svc, req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.Decode(op, req)
	if err != nil {
		t.Fatal(err)
	}
	if d := protocoltest.Diff(map[string]any{"MaxItems": int64(5), "PathPrefix": "/dev/"}, got); d != "" {
		t.Fatal(d)
	}
}

func TestResolveErrors(t *testing.T) {
	svc := realModel(t, "iam")
	for _, c := range []struct {
		body string
		code awserr.Code
		msg  string
	}{
		{"Version=2010-05-08", awserr.MissingAction, "No action was supplied with this request."},
		{"Action=&Version=2010-05-08", awserr.MissingAction, "No action was supplied with this request."},
		{"Action=FlyToTheMoon&Version=2010-05-08", awserr.InvalidAction, "The action FlyToTheMoon is not valid for this web service."},
		{"Action=ListUsers&Bad=%zz", awserr.MalformedQueryString, ""},
	} {
		for _, codec := range []*query.Codec{query.New(), query.NewEC2()} {
			_, err := codec.Resolve(svc, postForm(c.body))
			var e *awserr.Error
			if !errors.As(err, &e) || e.Code != c.code || (c.msg != "" && e.Message != c.msg) {
				t.Errorf("%s: got %v, want %s %q", c.body, err, c.code.Code, c.msg)
			}
		}
	}
}

func TestDecodeTypeErrors(t *testing.T) {
	iam := realModel(t, "iam")
	ec2 := realModel(t, "ec2")
	for _, c := range []struct {
		svc   *model.Service
		body  string
		param string
	}{
		{iam, "Action=ListUsers&MaxItems=abc", "MaxItems"},
		{iam, "Action=ListUsers&MaxItems=99999999999", "MaxItems"},
		{iam, "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=x&MaxSessionDuration=1.5", "MaxSessionDuration"},
		{ec2, "Action=DescribeInstances&DryRun=maybe", "DryRun"},
		{ec2, "Action=DescribeInstances&Filter.1.Name=x&MaxResults=ten", "MaxResults"},
		{ec2, "Action=ImportKeyPair&KeyName=k&PublicKeyMaterial=%21%21", "PublicKeyMaterial"},
		{ec2, "Action=RunInstances&BlockDeviceMapping.1.Ebs.VolumeSize=big", "BlockDeviceMapping.1.Ebs.VolumeSize"},
		{realModel(t, "monitoring"), "Action=PutMetricData&Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Timestamp=someday", "MetricData.member.1.Timestamp"},
	} {
		codec := codecFor(c.svc.ProtocolOf())
		req := postForm(c.body)
		op, err := codec.Resolve(c.svc, req)
		if err != nil {
			t.Fatal(err)
		}
		_, err = codec.Decode(op, req)
		var e *awserr.Error
		if !errors.As(err, &e) || e.Code != awserr.InvalidParameterValue || !strings.Contains(e.Message, "parameter "+c.param+" is invalid") {
			t.Errorf("%s: got %v", c.body, err)
		}
	}
}

// TestDecodeLenient covers what clients other than botocore (and people
// with curl) send: both list layouts, gaps, epoch and RFC 822 timestamps,
// booleans in any case, duplicate keys.
func TestDecodeLenient(t *testing.T) {
	m := mustModel(t, lenientModel)
	op := m.Operations["Op"]
	for body, want := range map[string]map[string]any{
		"Action=Op&L.1=a&L.3=c":                           {"L": []any{"a", "c"}},
		"Action=Op&L.member.2=b&L.member.10=j":            {"L": []any{"b", "j"}},
		"Action=Op&L.member.01=x&L.member.a=y":            {},
		"Action=Op&F.member.1=x":                          {"F": []any{"x"}},
		"Action=Op&F=":                                    {"F": []any{}},
		"Action=Op&T=1422172800":                          {"T": time.Unix(1422172800, 0).UTC()},
		"Action=Op&T=Sun%2C+25+Jan+2015+08%3A00%3A00+GMT": {"T": time.Unix(1422172800, 0).UTC()},
		"Action=Op&TU=2015-01-25T08%3A00%3A00Z":           {"TU": time.Unix(1422172800, 0).UTC()},
		"Action=Op&B=TRUE":                                {"B": true},
		"Action=Op&S=first&S=second":                      {"S": "first"},
		"Action=Op&S.x=1":                                 {},
		"Action=Op&Sub=x":                                 {},
		"Action=Op&Sub.Unknown=1":                         {},
		"Action=Op&M.entry.1.key=k":                       {},
		"Action=Op&M.entry.1.value=v":                     {},
		"Action=Op&M.1.key=k&M.1.value=v":                 {"M": map[string]any{"k": "v"}},
		"Action=Op&M.entry.1.key=k&M.entry.1.value=":      {"M": map[string]any{"k": ""}},
		"Action=Op&Unknown=1&Version=1&X-Amz-Date=x":      {},
	} {
		codec := query.New()
		req := postForm(body)
		if _, err := codec.Resolve(m, req); err != nil {
			t.Fatal(err)
		}
		got, err := codec.Decode(op, req)
		if err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		if d := protocoltest.Diff(any(want), got); d != "" {
			t.Errorf("%s:\n%s", body, d)
		}
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	m := mustModel(t, lenientModel)
	op := m.Operations["Op"]
	key := "Sub" + strings.Repeat(".Sub", 100) + ".S"
	req := postForm("Action=Op&" + key + "=x")
	_, err := query.New().Decode(op, req)
	var e *awserr.Error
	if !errors.As(err, &e) || e.Code != awserr.InvalidParameterValue {
		t.Fatalf("got %v", err)
	}
	// A key far too long to decode is ignored before it costs anything.
	req = postForm("Action=Op&Sub" + strings.Repeat(".Sub", 10000) + "=x")
	if got, err := query.New().Decode(op, req); err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v", got, err)
	}
}

const lenientModel = `{
  "metadata": {"protocol": "query", "apiVersion": "2014-01-01"},
  "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
  "shapes": {
    "In": {"type": "structure", "members": {
      "L": {"shape": "L"}, "F": {"shape": "FL"}, "T": {"shape": "T"}, "TU": {"shape": "T", "timestampFormat": "unixTimestamp"},
      "B": {"shape": "B"}, "S": {"shape": "S"}, "Sub": {"shape": "In"}, "M": {"shape": "M"}
    }},
    "L": {"type": "list", "member": {"shape": "S"}},
    "FL": {"type": "list", "member": {"shape": "S"}, "flattened": true},
    "M": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}},
    "S": {"type": "string"}, "T": {"type": "timestamp"}, "B": {"type": "boolean"}
  }
}`

func mustModel(t testing.TB, doc string) *model.Service {
	t.Helper()
	svc, err := model.Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestDecodeRoundTripProperty serializes random inputs of every operation
// of the vector models and of real query and ec2 services the way
// botocore does, and decodes them back.
func TestDecodeRoundTripProperty(t *testing.T) {
	type target struct {
		name string
		svc  *model.Service
		op   *model.Operation
	}
	var targets []target
	for _, proto := range []string{"query", "ec2"} {
		for _, c := range protocoltest.Load(t, "input", proto) {
			targets = append(targets, target{proto + "/" + c.Name, c.Service, c.Operation})
		}
	}
	for _, name := range []string{"iam", "sts", "sns", "cloudformation", "monitoring", "ec2"} {
		svc := realModel(t, name)
		for _, opName := range svc.OperationNames() {
			targets = append(targets, target{name + "/" + opName, svc, svc.Operations[opName]})
		}
	}
	r := rand.New(rand.NewSource(7))
	iterations := 10
	if testing.Short() {
		iterations = 2
	}
	n := 0
	for _, tg := range targets {
		if tg.op.Input == nil {
			continue
		}
		ec2 := tg.svc.ProtocolOf() == "ec2"
		codec := codecFor(tg.svc.ProtocolOf())
		for range iterations {
			v, _ := xmlbodytest.Value(r, tg.op.Input, xmlbodytest.Rules{NonEmptyStructs: true, NonEmptyMaps: true, NonEmptyLists: ec2, MaxDepth: 4})
			in, _ := v.(map[string]any)
			if in == nil {
				in = map[string]any{}
			}
			body := clientSerialize(ec2, tg.svc, tg.op, in)
			req := postForm(body)
			op, err := codec.Resolve(tg.svc, req)
			if err != nil {
				t.Fatalf("%s: %v", tg.name, err)
			}
			got, err := codec.Decode(op, req)
			if err != nil {
				t.Fatalf("%s: decoding %s: %v", tg.name, body, err)
			}
			if d := protocoltest.Diff(any(in), got); d != "" {
				t.Fatalf("%s: decoding %s:\n%s", tg.name, body, d)
			}
			n++
		}
	}
	t.Logf("%d random requests over %d operations", n, len(targets))
}
