package sns

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
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
//	GET|DELETE /_niwa/sns/email[?to=addr]               recorded email deliveries
//	GET|DELETE /_niwa/sns/sms[?phoneNumber=+1...]       recorded texts
//	GET|DELETE /_niwa/sns/push[?endpointArn=arn]        recorded mobile pushes
//	POST /_niwa/sns/opt-out?account=&region=&phoneNumber= a recipient opts out
func (s *SNS) HTTP() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+s.CertPath(), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(s.CertPEM())
	})
	mux.HandleFunc("GET /_niwa/sns/confirm", func(w http.ResponseWriter, r *http.Request) {
		ref, ok := parseTopicARN(r.URL.Query().Get("TopicArn"))
		if !ok {
			s.docs.answer(w, "ConfirmSubscription", nil, snsapi.ErrInvalidParameterException.New("Invalid parameter: TopicArn"))
			return
		}
		arn, err := s.confirm(ref, r.URL.Query().Get("Token"))
		s.docs.answer(w, "ConfirmSubscription", map[string]any{"SubscriptionArn": arn}, err)
	})
	mux.HandleFunc("GET /_niwa/sns/unsubscribe", func(w http.ResponseWriter, r *http.Request) {
		ref, id, ok := parseSubARN(r.URL.Query().Get("SubscriptionArn"))
		if !ok {
			s.docs.answer(w, "Unsubscribe", nil, snsapi.ErrInvalidParameterException.New("Invalid parameter: SubscriptionArn"))
			return
		}
		s.docs.answer(w, "Unsubscribe", nil, s.unsubscribe(ref, id, r.Host, s.clock.Now()))
	})
	// The recorded deliveries: GET lists them, DELETE forgets them (with
	// the same filter), so that a test can start from an empty mailbox.
	mux.HandleFunc("/_niwa/sns/email", recordedRoute(s, emails, func(q url.Values) func(email) bool {
		to := q.Get("to")
		return func(e email) bool { return to == "" || strings.EqualFold(e.To, to) }
	}))
	mux.HandleFunc("/_niwa/sns/sms", recordedRoute(s, smsMessages, func(q url.Values) func(smsMessage) bool {
		n := q.Get("phoneNumber")
		return func(m smsMessage) bool { return n == "" || m.PhoneNumber == n }
	}))
	mux.HandleFunc("/_niwa/sns/push", recordedRoute(s, pushes, func(q url.Values) func(push) bool {
		arn := q.Get("endpointArn")
		return func(p push) bool { return arn == "" || p.EndpointArn == arn }
	}))
	// A recipient opting out (replying STOP on AWS).
	mux.HandleFunc("POST /_niwa/sns/opt-out", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		sc := storage.Scope{Account: q.Get("account"), Region: q.Get("region")}
		if sc.Account == "" || sc.Region == "" {
			http.Error(w, "account and region are required", http.StatusBadRequest)
			return
		}
		if err := s.OptOut(sc, q.Get("phoneNumber")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// recordedRoute serves one kind of recorded delivery: GET lists the
// records the query's filter keeps, DELETE removes them.
func recordedRoute[T any](s *SNS, table storage.Table[T], filter func(url.Values) func(T) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		keep := filter(r.URL.Query())
		switch r.Method {
		case http.MethodGet:
			out, err := recorded(s, table, keep)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			writeJSON(w, map[string]any{"messages": out})
		case http.MethodDelete:
			if err := forget(s, table, keep); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", "GET, DELETE")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	}
}

// recorded returns the records of table in every account and region that
// keep says to keep, oldest first.
func recorded[T any](s *SNS, table storage.Table[T], keep func(T) bool) ([]T, error) {
	out := []T{}
	err := s.store.View(func(tx storage.Tx) error {
		return scanRecorded(tx, table, func(_ []byte, e T) {
			if keep(e) {
				out = append(out, e)
			}
		})
	})
	return out, err
}

// forget deletes the records of table that keep says to keep.
func forget[T any](s *SNS, table storage.Table[T], keep func(T) bool) error {
	return s.store.Update(func(tx storage.Tx) error {
		var keys [][]byte
		if err := scanRecorded(tx, table, func(k []byte, e T) {
			if keep(e) {
				keys = append(keys, append([]byte(nil), k...))
			}
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// scanRecorded calls fn with every record of table, in every account and
// region.
func scanRecorded[T any](tx storage.Tx, table storage.Table[T], fn func(key []byte, v T)) error {
	return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
		parts, err := storage.SplitKey(k)
		if err != nil || len(parts) < 3 || parts[2] != table.Name() {
			return true
		}
		var e T
		if json.Unmarshal(v, &e) == nil {
			fn(k, e)
		}
		return true
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
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
	if m.Subject != "" {
		p.subject = m.Subject
	}
	if len(m.Attributes) > 0 {
		p.attrs = map[string]snsapi.MessageAttributeValue{}
		for k, v := range m.Attributes {
			dt, val := "String", v
			p.attrs[k] = snsapi.MessageAttributeValue{DataType: &dt, StringValue: &val}
		}
	}
	return s.publish(rc, ref, []*publication{p}, []bool{m.MessageGroupID != ""}, []bool{m.DeduplicationID != ""})
}

func notAuthorized() error {
	return snsapi.ErrAuthorizationErrorException.New("User is not authorized to access this resource")
}

// policyChecked tells whether AWS authorizes a service principal's
// publications by the topic policy alone.
func policyChecked(service string) bool {
	switch service {
	case "s3.amazonaws.com", "events.amazonaws.com", "cloudtrail.amazonaws.com":
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
