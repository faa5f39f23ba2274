package pattern

import (
	"strings"
	"testing"
)

// The events of the EventBridge User Guide's pattern examples
// ("Event patterns", "Content filtering in Amazon EventBridge event
// patterns", "Arrays in event patterns").
const (
	ec2Event = `{
  "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}}`
	numEvent  = `{"source": "com.mycompany.myapp", "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "neg": -2, "str-num": "5"}}`
	ipEvent   = `{"detail": {"sourceIPAddress": "10.0.0.123", "v6": "2001:db8::1", "bad": "not-an-ip"}}`
	fileEvent = `{"detail": {"FileName": "image.png", "filePath": "/usr/lib/file.jar", "location": "EUS-EAST", "eventName": "PutObject"},
  "EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus", "detail-type": "Object Created"}`
	arrEvent = `{"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
  "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f", "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"],
  "detail": {"tags": ["a", "b"], "nums": [1, 2, 30], "items": [{"name": "x", "size": 1}, {"name": "y", "size": 20}], "nested": [[ "deep" ]], "empty": []}}`
	nullEvent       = `{"detail": {"responseElements": null, "eventVersion": "", "flag": true, "off": false, "obj": {"k": "v"}}}`
	cloudwatchEvent = `{"source": "aws.cloudwatch", "metricName": "CPUUtilization", "namespace": "AWS/EC2", "metricType": "MetricType", "scope": "Service"}`
)

type confCase struct {
	name    string
	pattern string
	event   string
	want    bool
}

var conformance = []confCase{
	// Exact values and arrays as OR.
	{"exact source", `{"source":["aws.ec2"]}`, ec2Event, true},
	{"exact source miss", `{"source":["aws.s3"]}`, ec2Event, false},
	{"or of values", `{"source":["aws.s3","aws.ec2"]}`, ec2Event, true},
	{"detail-type", `{"detail-type":["EC2 Instance State-change Notification"]}`, ec2Event, true},
	{"case sensitive exact", `{"detail-type":["ec2 instance state-change notification"]}`, ec2Event, false},
	{"nested state", `{"detail":{"state":["terminated"]}}`, ec2Event, true},
	{"nested state or", `{"detail":{"state":["running","shutting-down","stopped"]}}`, ec2Event, false},
	{"S1 rule", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running","shutting-down","terminated"]}}`, ec2Event, true},
	{"all fields must match", `{"source":["aws.ec2"],"detail":{"state":["running"]}}`, ec2Event, false},
	{"missing field", `{"detail":{"nope":["x"]}}`, ec2Event, false},
	{"missing object", `{"nope":{"x":["y"]}}`, ec2Event, false},
	{"nested against scalar", `{"source":{"x":["aws.ec2"]}}`, ec2Event, false},
	{"scalar against object", `{"detail":["terminated"]}`, ec2Event, false},
	{"account", `{"account":["111122223333"]}`, ec2Event, true},
	{"region", `{"region":["us-west-1","us-east-1"]}`, ec2Event, true},
	{"exact whole string only", `{"source":["aws"]}`, ec2Event, false},
	{"exact number", `{"detail":{"c-count":[5]}}`, numEvent, true},
	{"exact number as float", `{"detail":{"c-count":[5.0]}}`, numEvent, true},
	{"exact number exponent", `{"detail":{"x-limit":[3.018e2]}}`, numEvent, true},
	{"number does not match string", `{"detail":{"str-num":[5]}}`, numEvent, false},
	{"string does not match number", `{"detail":{"c-count":["5"]}}`, numEvent, false},
	{"exact null", `{"detail":{"responseElements":[null]}}`, nullEvent, true},
	{"null does not match absent", `{"detail":{"missing":[null]}}`, nullEvent, false},
	{"empty string", `{"detail":{"eventVersion":[""]}}`, nullEvent, true},
	{"empty string vs null", `{"detail":{"responseElements":[""]}}`, nullEvent, false},
	{"true", `{"detail":{"flag":[true]}}`, nullEvent, true},
	{"false", `{"detail":{"off":[false]}}`, nullEvent, true},
	{"bool vs string", `{"detail":{"flag":["true"]}}`, nullEvent, false},
	{"deep nested", `{"detail":{"obj":{"k":["v"]}}}`, nullEvent, true},
	{"deep nested miss", `{"detail":{"obj":{"k":["w"]}}}`, nullEvent, false},

	// Arrays in events.
	{"array event any element", `{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f","arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f"]}`, arrEvent, true},
	{"array event no element", `{"resources":["arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f"]}`, arrEvent, false},
	{"array of strings", `{"detail":{"tags":["b"]}}`, arrEvent, true},
	{"array of numbers numeric", `{"detail":{"nums":[{"numeric":[">",10]}]}}`, arrEvent, true},
	{"array of numbers none", `{"detail":{"nums":[{"numeric":[">",100]}]}}`, arrEvent, false},
	{"array of objects", `{"detail":{"items":{"name":["y"]}}}`, arrEvent, true},
	{"array of objects same element", `{"detail":{"items":{"name":["y"],"size":[20]}}}`, arrEvent, true},
	{"array of objects other element", `{"detail":{"items":{"name":["y"],"size":[1]}}}`, arrEvent, false},
	{"nested arrays", `{"detail":{"nested":["deep"]}}`, arrEvent, true},
	{"empty array exists false", `{"detail":{"empty":[{"exists":false}]}}`, arrEvent, true},
	{"empty array exists true", `{"detail":{"empty":[{"exists":true}]}}`, arrEvent, false},
	{"array anything-but one differs", `{"detail":{"tags":[{"anything-but":"a"}]}}`, arrEvent, true},
	{"array anything-but all excluded", `{"detail":{"tags":[{"anything-but":["a","b"]}]}}`, arrEvent, false},
	{"array prefix", `{"resources":[{"prefix":"arn:aws:ec2:us-east-1:444455556666"}]}`, arrEvent, true},

	// prefix
	{"prefix time", `{"time":[{"prefix":"2017-12-22"}]}`, ec2Event, true},
	{"prefix time miss", `{"time":[{"prefix":"2017-10-02"}]}`, ec2Event, false},
	{"prefix is case sensitive", `{"source":[{"prefix":"AWS."}]}`, ec2Event, false},
	{"prefix equals-ignore-case", `{"detail":{"location":[{"prefix":{"equals-ignore-case":"eus-"}}]}}`, fileEvent, true},
	{"prefix equals-ignore-case miss", `{"detail":{"location":[{"prefix":{"equals-ignore-case":"eu-"}}]}}`, fileEvent, false},
	{"prefix on number", `{"detail":{"c-count":[{"prefix":"5"}]}}`, numEvent, false},
	{"prefix empty matches all strings", `{"source":[{"prefix":""}]}`, ec2Event, true},
	{"prefix whole value", `{"source":[{"prefix":"aws.ec2"}]}`, ec2Event, true},
	{"prefix longer than value", `{"source":[{"prefix":"aws.ec2x"}]}`, ec2Event, false},

	// suffix
	{"suffix png", `{"detail":{"FileName":[{"suffix":".png"}]}}`, fileEvent, true},
	{"suffix miss", `{"detail":{"FileName":[{"suffix":".jpg"}]}}`, fileEvent, false},
	{"suffix case sensitive", `{"detail":{"FileName":[{"suffix":".PNG"}]}}`, fileEvent, false},
	{"suffix equals-ignore-case", `{"detail":{"FileName":[{"suffix":{"equals-ignore-case":".PNG"}}]}}`, fileEvent, true},
	{"suffix or exact", `{"detail":{"FileName":["x.gif",{"suffix":".png"}]}}`, fileEvent, true},

	// anything-but
	{"anything-but string", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, ec2Event, true},
	{"anything-but string excluded", `{"detail":{"state":[{"anything-but":"terminated"}]}}`, ec2Event, false},
	{"anything-but list", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, ec2Event, true},
	{"anything-but list excluded", `{"detail":{"state":[{"anything-but":["stopped","terminated"]}]}}`, ec2Event, false},
	{"anything-but number", `{"detail":{"c-count":[{"anything-but":0}]}}`, numEvent, true},
	{"anything-but number excluded", `{"detail":{"c-count":[{"anything-but":[5,6]}]}}`, numEvent, false},
	{"anything-but needs the field", `{"detail":{"missing":[{"anything-but":"x"}]}}`, ec2Event, false},
	{"anything-but prefix", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, ec2Event, true},
	{"anything-but prefix excluded", `{"detail":{"state":[{"anything-but":{"prefix":"term"}}]}}`, ec2Event, false},
	{"anything-but suffix", `{"detail":{"FileName":[{"anything-but":{"suffix":".txt"}}]}}`, fileEvent, true},
	{"anything-but suffix excluded", `{"detail":{"FileName":[{"anything-but":{"suffix":".png"}}]}}`, fileEvent, false},
	{"anything-but equals-ignore-case", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["Stopped","OverLoaded"]}}]}}`, ec2Event, true},
	{"anything-but equals-ignore-case excluded", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":"TERMINATED"}}]}}`, ec2Event, false},
	{"anything-but wildcard", `{"detail":{"FileName":[{"anything-but":{"wildcard":"*/lib/*"}}]}}`, fileEvent, true},
	{"anything-but wildcard excluded", `{"detail":{"filePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}}`, fileEvent, false},
	{"anything-but wildcard list", `{"detail":{"filePath":[{"anything-but":{"wildcard":["*.txt","*/bin/*"]}}]}}`, fileEvent, true},

	// numeric
	{"numeric range", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, numEvent, true},
	{"numeric range open top", `{"detail":{"c-count":[{"numeric":[">",0,"<",5]}]}}`, numEvent, false},
	{"numeric lt", `{"detail":{"d-count":[{"numeric":["<",10]}]}}`, numEvent, true},
	{"numeric equals", `{"detail":{"x-limit":[{"numeric":["=",3.018e2]}]}}`, numEvent, true},
	{"numeric equals miss", `{"detail":{"x-limit":[{"numeric":["=",301]}]}}`, numEvent, false},
	{"numeric ge", `{"detail":{"c-count":[{"numeric":[">=",5]}]}}`, numEvent, true},
	{"numeric gt boundary", `{"detail":{"c-count":[{"numeric":[">",5]}]}}`, numEvent, false},
	{"numeric le", `{"detail":{"c-count":[{"numeric":["<=",5]}]}}`, numEvent, true},
	{"numeric negative", `{"detail":{"neg":[{"numeric":["<",0]}]}}`, numEvent, true},
	{"numeric on string", `{"detail":{"str-num":[{"numeric":[">",0]}]}}`, numEvent, false},
	{"numeric all three fields", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, numEvent, true},
	{"numeric ge-lt", `{"detail":{"d-count":[{"numeric":[">=",3,"<",4]}]}}`, numEvent, true},

	// cidr and IP addresses
	{"cidr v4", `{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}`, ipEvent, true},
	{"cidr v4 miss", `{"detail":{"sourceIPAddress":[{"cidr":"10.0.1.0/24"}]}}`, ipEvent, false},
	{"cidr v4 /8", `{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/8"}]}}`, ipEvent, true},
	{"cidr v6", `{"detail":{"v6":[{"cidr":"2001:db8::/32"}]}}`, ipEvent, true},
	{"cidr v6 miss", `{"detail":{"v6":[{"cidr":"2001:db9::/32"}]}}`, ipEvent, false},
	{"cidr non ip", `{"detail":{"bad":[{"cidr":"10.0.0.0/8"}]}}`, ipEvent, false},
	{"exact ip", `{"detail":{"sourceIPAddress":["10.0.0.123"]}}`, ipEvent, true},
	{"exact ipv6 other spelling", `{"detail":{"v6":["2001:0db8:0:0:0:0:0:1"]}}`, ipEvent, true},

	// exists
	{"exists true", `{"detail":{"state":[{"exists":true}]}}`, ec2Event, true},
	{"exists false", `{"detail":{"state":[{"exists":false}]}}`, ec2Event, false},
	{"exists false absent", `{"detail":{"nope":[{"exists":false}]}}`, ec2Event, true},
	{"exists true absent", `{"detail":{"nope":[{"exists":true}]}}`, ec2Event, false},
	{"exists on object is not a leaf", `{"detail":{"obj":[{"exists":true}]}}`, nullEvent, false},
	{"exists null value", `{"detail":{"responseElements":[{"exists":true}]}}`, nullEvent, true},
	{"exists false with other field", `{"source":["aws.ec2"],"detail":{"nope":[{"exists":false}]}}`, ec2Event, true},

	// equals-ignore-case
	{"equals-ignore-case", `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}`, ec2Event, true},
	{"equals-ignore-case miss", `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change"}]}`, ec2Event, false},
	{"equals-ignore-case number", `{"detail":{"c-count":[{"equals-ignore-case":"5"}]}}`, numEvent, false},

	// wildcard
	{"wildcard bus arn", `{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`, fileEvent, true},
	{"wildcard miss", `{"EventBusArn":[{"wildcard":"arn:aws:events:us-west-2:*:event-bus/*"}]}`, fileEvent, false},
	{"wildcard dir", `{"detail":{"filePath":[{"wildcard":"/usr/*/file.jar"}]}}`, fileEvent, true},
	{"wildcard star only", `{"detail":{"FileName":[{"wildcard":"*"}]}}`, fileEvent, true},
	{"wildcard no star is exact", `{"detail":{"FileName":[{"wildcard":"image.png"}]}}`, fileEvent, true},
	{"wildcard escaped star", `{"detail":{"FileName":[{"wildcard":"image\\*png"}]}}`, fileEvent, false},
	{"wildcard middle and end", `{"detail":{"FileName":[{"wildcard":"i*e.p*"}]}}`, fileEvent, true},
	{"wildcard must cover whole value", `{"detail":{"FileName":[{"wildcard":"*.pn"}]}}`, fileEvent, false},

	// $or
	{"or top level", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`, cloudwatchEvent, true},
	{"or second branch", `{"$or":[{"metricName":["x"]},{"namespace":["AWS/EC2"]}]}`, cloudwatchEvent, true},
	{"or no branch", `{"$or":[{"metricName":["x"]},{"namespace":["y"]}]}`, cloudwatchEvent, false},
	{"or plus and", `{"source":["aws.s3"],"$or":[{"metricName":["CPUUtilization"]},{"scope":["Service"]}]}`, cloudwatchEvent, false},
	{"or branch with two fields", `{"$or":[{"metricType":["MetricType"],"namespace":["AWS/EC2","AWS/ES"]},{"scope":["x"]}]}`, cloudwatchEvent, true},
	{"or nested in detail", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]},{"x-limit":[{"numeric":["=",3.018e2]}]}]}}`, numEvent, true},
	{"or nested in detail none", `{"detail":{"$or":[{"c-count":[{"numeric":[">",50]}]},{"d-count":[{"numeric":[">",10]}]}]}}`, numEvent, false},
	{"nested or", `{"$or":[{"source":["x"]},{"$or":[{"metricName":["y"]},{"scope":["Service"]}]}]}`, cloudwatchEvent, true},
	{"or with exists false", `{"$or":[{"nothing":[{"exists":false}]},{"scope":["x"]}]}`, cloudwatchEvent, true},

	// Several operators in one field (OR).
	{"mixed operators or", `{"detail":{"state":[{"prefix":"x"},{"suffix":"ated"}]}}`, ec2Event, true},
	{"mixed exact and numeric", `{"detail":{"c-count":["a",{"numeric":[">",4]}]}}`, numEvent, true},
	{"mixed exists false or value", `{"detail":{"state":[{"exists":false},"terminated"]}}`, ec2Event, true},
	{"resources exact arn", `{"resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}`, ec2Event, true},
	{"id prefix", `{"id":[{"prefix":"6a7e8feb"}]}`, ec2Event, true},
	{"version", `{"version":["0"]}`, ec2Event, true},
}

func TestConformance(t *testing.T) {
	if len(conformance) < 100 {
		t.Fatalf("conformance table has %d cases, want >= 100", len(conformance))
	}
	for _, c := range conformance {
		t.Run(c.name, func(t *testing.T) {
			p, err := Compile(c.pattern)
			if err != nil {
				t.Fatalf("Compile(%s): %v", c.pattern, err)
			}
			if got := p.Match([]byte(c.event)); got != c.want {
				t.Errorf("Match(%s) = %v, want %v", c.pattern, got, c.want)
			}
		})
	}
}

func TestInvalidPatterns(t *testing.T) {
	cases := []struct{ pattern, reason string }{
		{`[]`, "Filter is not an object"},
		{`"x"`, "Filter is not an object"},
		{`{"source": "aws.ec2"}`, `"source" must be an object or an array`},
		{`{"detail": {"state": "running"}}`, `"state" must be an object or an array`},
		{`{"source": ["aws.health"], "detail": {}}`, "Empty objects are not allowed"},
		{`{}`, "Empty objects are not allowed"},
		{`{"source": []}`, "Empty arrays are not allowed"},
		{`{"source": [["x"]]}`, "Match value must be String, number, true, false, or null"},
		{`{"a": [{"prefix": 1}]}`, "prefix match pattern must be a string"},
		{`{"a": [{"suffix": true}]}`, "suffix match pattern must be a string"},
		{`{"a": [{"prefix": "x", "suffix": "y"}]}`, "Only one key allowed in match expression"},
		{`{"a": [{"nope": "x"}]}`, "Unrecognized match type nope"},
		{`{"a": [{"numeric": 5}]}`, "Value of numeric must be an array."},
		{`{"a": [{"numeric": [">", "x"]}]}`, "Value of > must be numeric"},
		{`{"a": [{"numeric": ["!", 1]}]}`, "Unrecognized numeric range operator: !"},
		{`{"a": [{"numeric": [">", 1, ">", 2]}]}`, "Bad numeric range operator: >"},
		{`{"a": [{"numeric": ["<", 1, ">", 2]}]}`, "Too many elements in numeric expression"},
		{`{"a": [{"numeric": [">", 10, "<", 2]}]}`, "Bottom must be less than top"},
		{`{"a": [{"exists": "yes"}]}`, "exists match pattern must be either true or false."},
		{`{"a": [{"anything-but": ["x", 1]}]}`, "Inside anything but list, either all values are number or string, mixed type is not supported"},
		{`{"a": [{"anything-but": [null]}]}`, "Inside anything but list, start|null|boolean is not supported."},
		{`{"a": [{"anything-but": {"prefix": ""}}]}`, "Null prefix/suffix not allowed"},
		{`{"a": [{"anything-but": {"numeric": [">", 1]}}]}`, "Unsupported anything-but pattern: numeric"},
		{`{"a": [{"anything-but": true}]}`, "Inside anything-but list, start|null|boolean is not supported."},
		{`{"a": [{"wildcard": "a**b"}]}`, "Consecutive wildcard characters at pos 1"},
		{`{"a": [{"wildcard": "a\\b"}]}`, "Invalid escape character at pos 1"},
		{`{"a": [{"cidr": "10.0.0.1"}]}`, "Malformed CIDR, one '/' required"},
		{`{"a": [{"equals-ignore-case": 3}]}`, "equals-ignore-case match pattern must be a string"},
		{`{"$or": [{"a": ["x"]}]}`, "There must have at least 2 Objects in $or relationship."},
		{`{"$or": {"a": ["x"]}}`, "It must be an Array followed with $or."},
		{`{"$or": [{"a": ["x"]}, "b"]}`, "Only JSON object is allowed in array of $or relationship."},
		{`{"$or": [{"prefix": ["x"]}, {"b": ["y"]}]}`, "prefix is Ruler reserved fieldName which cannot be used inside $or."},
	}
	for _, c := range cases {
		_, err := Compile(c.pattern)
		if err == nil {
			t.Errorf("Compile(%s) succeeded, want %q", c.pattern, c.reason)
			continue
		}
		pe, ok := err.(*Error)
		if !ok || pe.Reason != c.reason {
			t.Errorf("Compile(%s) = %v, want reason %q", c.pattern, err, c.reason)
		}
		if !strings.HasPrefix(err.Error(), "Event pattern is not valid. Reason: ") {
			t.Errorf("message %q", err.Error())
		}
	}
}

func TestErrorLocation(t *testing.T) {
	_, err := Compile(`{"source": ["aws.health"], "detail": {}}`)
	want := "Event pattern is not valid. Reason: Empty objects are not allowed\n at [Source: (String)\"{\"source\": [\"aws.health\"], \"detail\": {}}\"; line: 1, column: 40]"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
