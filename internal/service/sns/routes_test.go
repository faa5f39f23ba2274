package sns

import (
	"encoding/xml"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestSubscribeURL: the SubscribeURL link answers as ConfirmSubscription
// does, an XML document from the query codec carrying the subscription
// ARN; a bad link answers SNS's XML error, not plain text.
func TestSubscribeURL(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	if _, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("email"), Endpoint: ptr.To("a@example.com")}); err != nil {
		t.Fatal(err)
	}
	m := mustRecorded(t, s, emails, func(email) bool { return true })
	u, err := url.Parse(m[0].SubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.HTTP().ServeHTTP(w, httptest.NewRequest("GET", u.RequestURI(), nil))
	var ok struct {
		XMLName xml.Name `xml:"ConfirmSubscriptionResponse"`
		ARN     string   `xml:"ConfirmSubscriptionResult>SubscriptionArn"`
		ID      string   `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &ok); err != nil || w.Code != 200 || !strings.HasPrefix(ok.ARN, arn+":") || ok.ID == "" {
		t.Fatalf("confirm: %d %s (%v)", w.Code, w.Body, err)
	}
	for _, path := range []string{"/_niwa/sns/confirm?TopicArn=nope&Token=x", "/_niwa/sns/confirm?TopicArn=" + url.QueryEscape(arn) + "&Token=%3Cbad%3E",
		"/_niwa/sns/unsubscribe?SubscriptionArn=nope"} {
		w := httptest.NewRecorder()
		s.HTTP().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		var e struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Code    string   `xml:"Error>Code"`
		}
		if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code < 400 || w.Code >= 500 || e.Code == "" {
			t.Errorf("%s: %d %s (%v)", path, w.Code, w.Body, err)
		}
	}
}
