package rest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// A rest-xml body whose root element is not the one the model names (the
// payload member's locationName, the input's locationName) does not
// validate against the schema: S3 answers MalformedXML, Route 53
// InvalidInput. Reading the children of any root let <Foo/> replace an
// object's tags with none and <Foo><Status>Enabled</Status></Foo> turn
// versioning on.
func TestXMLBodyRootElement(t *testing.T) {
	codec := NewXML().(*Codec)
	const r53zone = "/2013-04-01/hostedzone/Z1/rrset/"
	const r53body = `<Comment>c</Comment><ChangeBatch><Changes><Change><Action>CREATE</Action><ResourceRecordSet><Name>a.example.com</Name><Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>1.2.3.4</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch>`
	for _, tc := range []struct {
		name, svc, method, target, body string
		op, code                        string // code "" is a body that decodes
	}{
		{"tagging", "s3", "PUT", "/b/k?tagging", `<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>`, "PutObjectTagging", ""},
		{"tagging wrong root", "s3", "PUT", "/b/k?tagging", `<Foo/>`, "PutObjectTagging", "MalformedXML"},
		{"tagging wrong root with children", "s3", "PUT", "/b/k?tagging", `<Foo><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Foo>`, "PutObjectTagging", "MalformedXML"},
		{"versioning wrong root", "s3", "PUT", "/b?versioning", `<Foo><Status>Enabled</Status></Foo>`, "PutBucketVersioning", "MalformedXML"},
		{"versioning namespaced", "s3", "PUT", "/b?versioning", `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`, "PutBucketVersioning", ""},
		{"route53 members", "route53", "POST", r53zone, `<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">` + r53body + `</ChangeResourceRecordSetsRequest>`, "ChangeResourceRecordSets", ""},
		{"route53 members wrong root", "route53", "POST", r53zone, `<Foo>` + r53body + `</Foo>`, "ChangeResourceRecordSets", "InvalidInput"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := loadModel(t, tc.svc)
			req := protocol.NewRequest(httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body)), nil)
			op, err := codec.Resolve(svc, req)
			if err != nil || op.Name != tc.op {
				t.Fatalf("resolve: %v %v", op, err)
			}
			_, err = codec.Decode(op, req)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				return
			}
			if e := awserr.As(err); e == nil || e.Code.Code != tc.code || e.Code.Status != 400 {
				t.Fatalf("got %v, want %s (400)", err, tc.code)
			}
		})
	}
}
