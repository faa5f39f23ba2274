package sns

import (
	"strings"
	"testing"
	"time"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func newSNS(t *testing.T) (*SNS, *request.Context) {
	t.Helper()
	h := servicetest.New(t, "sns", servicetest.At(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
	s, err := New(h.Store(), h.Clock, nopBus{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, h.Ctx()
}

// TestTopicPolicyValidated holds that a topic Policy must be a policy (SNS
// stored any JSON): CreateTopic and SetTopicAttributes answer
// InvalidParameter with SNS's messages, and the stored policy is kept.
func TestTopicPolicyValidated(t *testing.T) {
	s, ctx := newSNS(t)
	out, err := s.CreateTopic(ctx, &snsapi.CreateTopicInput{Name: ptr.To("t")})
	if err != nil {
		t.Fatal(err)
	}
	arn := *out.TopicArn
	good := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:Publish","sns:Subscribe"],"Resource":"` + arn + `"}]}`
	const notPolicy = "Invalid parameter: Policy Error: null"
	cases := []struct {
		name, policy, msg string
	}{
		{"a policy", good, ""},
		{"not JSON", `{"Statement":`, notPolicy},
		{"JSON, not a policy", `{"hello":"world"}`, notPolicy},
		{"array", `[1,2,3]`, notPolicy},
		{"statement without Effect", `{"Statement":[{"Action":"sns:Publish","Resource":"*"}]}`, notPolicy},
		{"nested deep", strings.Repeat(`{"Statement":`, 5000) + `{}` + strings.Repeat("}", 5000), notPolicy},
		{"another service's action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}`,
			"Invalid parameter: Policy statement action out of service scope!"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.SetTopicAttributes(ctx, &snsapi.SetTopicAttributesInput{TopicArn: &arn, AttributeName: ptr.To("Policy"), AttributeValue: &c.policy})
			_, cerr := s.CreateTopic(ctx, &snsapi.CreateTopicInput{Name: ptr.To("t2"), Attributes: map[string]string{"Policy": c.policy}})
			for _, err := range []error{err, cerr} {
				if c.msg == "" {
					if err != nil {
						t.Fatal(err)
					}
					continue
				}
				ae := awserr.As(err)
				if ae == nil || ae.Code.Code != "InvalidParameter" || ae.Message != c.msg {
					t.Fatalf("err = %v, want InvalidParameter: %s", err, c.msg)
				}
			}
		})
	}
	attrs, err := s.GetTopicAttributes(ctx, &snsapi.GetTopicAttributesInput{TopicArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["Policy"] != good {
		t.Fatalf("stored policy %q", attrs.Attributes["Policy"])
	}
}

// TestFilterPolicyLimits holds SNS's documented filter policy constraints.
func TestFilterPolicyLimits(t *testing.T) {
	cases := []struct {
		name, policy, err string
	}{
		{"five keys", `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"]}`, ""},
		{"six keys", `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`, "Filter policy can not have more than 5 keys"},
		// SNS's own example: 3x4 x 2x3 x 1x3 = 216.
		{"216 combinations", `{"key_a":{"key_b":{"key_c":["1","2","3","4"]}},"key_d":{"key_e":["1","2","3"]},"key_f":["1","2","3"]}`, "Filter policy is too complex"},
		{"150 combinations", `{"a":["1","2","3","4","5","6","7","8","9","10"],"b":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15"]}`, ""},
		{"151 values", `{"a":[` + strings.TrimSuffix(strings.Repeat(`"x",`, 151), ",") + `]}`, "Filter policy is too complex"},
		{"$or alternatives add up", `{"$or":[{"a":["1","2"]},{"b":["1","2","3"]}],"c":["1","2"]}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseFilterPolicy(c.policy)
			if c.err == "" && err != nil {
				t.Fatal(err)
			}
			if c.err != "" && (err == nil || err.Error() != c.err) {
				t.Fatalf("err = %v, want %s", err, c.err)
			}
		})
	}
}
