package sns

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// HTTP serves niwa's SNS endpoints that are not API calls:
//
//	GET  /_niwa/sns/SimpleNotificationService-<id>.pem  the signing certificate
//	GET  /_niwa/sns/confirm?TopicArn=..&Token=..        SubscribeURL
//	GET  /_niwa/sns/unsubscribe?SubscriptionArn=..      UnsubscribeURL
//	GET  /_niwa/sns/email[?to=addr]                     recorded email deliveries
func (s *SNS) HTTP() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+s.CertPath(), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(s.CertPEM())
	})
	mux.HandleFunc("GET /_niwa/sns/confirm", func(w http.ResponseWriter, r *http.Request) {
		ref, ok := parseTopicARN(r.URL.Query().Get("TopicArn"))
		if !ok {
			http.Error(w, "invalid TopicArn", http.StatusBadRequest)
			return
		}
		arn, err := s.confirm(ref, r.URL.Query().Get("Token"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>` +
			arn + `</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>`))
	})
	mux.HandleFunc("GET /_niwa/sns/unsubscribe", func(w http.ResponseWriter, r *http.Request) {
		ref, id, ok := parseSubARN(r.URL.Query().Get("SubscriptionArn"))
		if !ok {
			http.Error(w, "invalid SubscriptionArn", http.StatusBadRequest)
			return
		}
		if err := s.store.Update(func(tx storage.Tx) error { return subs.Delete(tx, ref.scope, ref.name, id) }); err != nil {
			http.Error(w, "unsubscribe failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<UnsubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"></UnsubscribeResponse>`))
	})
	mux.HandleFunc("GET /_niwa/sns/email", func(w http.ResponseWriter, r *http.Request) {
		to := r.URL.Query().Get("to")
		out := []email{}
		if err := s.store.View(func(tx storage.Tx) error {
			return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
				parts, err := storage.SplitKey(k)
				if err != nil || len(parts) < 3 || parts[2] != emails.Name() {
					return true
				}
				var e email
				if json.Unmarshal(v, &e) == nil && (to == "" || strings.EqualFold(e.To, to)) {
					out = append(out, e)
				}
				return true
			})
		}); err != nil {
			http.Error(w, "reading emails failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"messages": out})
	})
	return mux
}

// Routes says which requests HTTP serves.
func (s *SNS) Matches(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/_niwa/sns/")
}

// Deliver publishes a message another service sends to a topic through
// the event bus (S3 notifications, EventBridge targets, CloudWatch
// alarms). With m.Validate it only checks the topic exists and accepts
// the sender.
//
// As on AWS, S3 and EventBridge may publish only when the topic policy
// allows their service principal sns:Publish on the topic (evaluated by
// the IAM policy engine with the aws:SourceArn and aws:SourceAccount they
// supply; the default policy, which names the owner's account through
// AWS:SourceOwner, does not). Other senders (Lambda destinations act
// with the function's role) are accepted from the topic's account only.
func (s *SNS) Deliver(ctx context.Context, m events.Message) error {
	ref, ok := parseTopicARN(m.TargetARN)
	if !ok {
		return topicMissing()
	}
	checkPolicy := policyChecked(m.SourceService)
	if !checkPolicy && m.SourceAccount != "" && m.SourceAccount != ref.scope.Account {
		return notAuthorized()
	}
	var t topic
	var found bool
	if err := s.store.View(func(tx storage.Tx) error {
		var err error
		t, found, err = topics.Get(tx, ref.scope, ref.name)
		return err
	}); err != nil {
		return err
	}
	if !found {
		return topicMissing()
	}
	if checkPolicy && !policyAllowsService(t.Attrs["Policy"], ref.arn(), m) {
		return notAuthorized()
	}
	if m.Validate {
		return nil
	}
	rc := &request.Context{Context: ctx, Account: ref.scope.Account, Region: ref.scope.Region, Clock: s.clock, Service: "sns", Operation: "Publish"}
	p := &publication{message: m.Body, groupID: m.MessageGroupID, dedupID: m.DeduplicationID}
	if m.SourceService == "s3.amazonaws.com" {
		p.subject = "Amazon S3 Notification"
	}
	if len(m.Attributes) > 0 {
		p.attrs = map[string]snsapi.MessageAttributeValue{}
		for k, v := range m.Attributes {
			dt, val := "String", v
			p.attrs[k] = snsapi.MessageAttributeValue{DataType: &dt, StringValue: &val}
		}
	}
	return s.publish(rc, ref, []*publication{p}, []bool{m.MessageGroupID != ""}, []bool{m.DeduplicationID != ""}, nil)
}

func notAuthorized() error {
	return snsapi.ErrAuthorizationErrorException.New("User is not authorized to access this resource")
}

// policyChecked tells whether AWS authorizes a service principal's
// publications by the topic policy alone.
func policyChecked(service string) bool {
	switch service {
	case "s3.amazonaws.com", "events.amazonaws.com":
		return true
	}
	return false
}

// policyAllowsService reports whether the topic policy doc lets the
// delivering service principal publish to the topic. A missing or
// unparsable policy allows nothing.
func policyAllowsService(doc, topicARN string, m events.Message) bool {
	return iam.ServiceDeliveryAllowed(doc, "sns:Publish", topicARN, m.SourceService, m.SourceARN, m.SourceAccount)
}
