package logs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Deliver receives what another service sends to a log group over the
// bus: an EventBridge rule's log group target. As on AWS, the group must
// exist and a resource policy (PutResourcePolicy) must allow the
// delivering service logs:CreateLogStream and logs:PutLogEvents on it;
// each event goes to a stream named by the event's id, timestamped with
// its time.
func (l *Logs) Deliver(ctx context.Context, m events.Message) error {
	parts := strings.SplitN(m.TargetARN, ":", 7)
	if len(parts) != 7 || parts[2] != "logs" || parts[5] != "log-group" {
		return fmt.Errorf("logs: %s is not a log group ARN", m.TargetARN)
	}
	sc := storage.Scope{Account: parts[4], Region: parts[3]}
	gname := strings.TrimSuffix(parts[6], ":*")
	var doc struct {
		ID   string    `json:"id"`
		Time time.Time `json:"time"`
	}
	_ = json.Unmarshal([]byte(m.Body), &doc) // a transformed input need not be an event
	now := l.clock.Now()
	sname := doc.ID
	if m.LogStream != "" {
		sname = m.LogStream
	}
	if sname == "" {
		sname = newID()
	}
	ts := doc.Time
	if ts.IsZero() {
		ts = now
	}
	var ds []delivery
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return fmt.Errorf("logs: %s: %w", m.TargetARN, err)
		}
		if m.SourceService != "" {
			ok, err := allowsService(tx, sc, gname, sname, m)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("logs: no resource policy allows %s to write to %s", m.SourceService, m.TargetARN)
			}
		}
		if m.Validate {
			return nil
		}
		var err error
		_, ds, err = l.append(tx, sc, gname, sname, []event{{Timestamp: ms(ts), Message: truncate(m.Body)}}, ms(now), true)
		return err
	})
	if err != nil {
		return err
	}
	l.deliver(ctx, ds)
	return nil
}

// allowsService evaluates the region's resource policies for a service
// principal writing to a group's stream.
func allowsService(tx storage.Tx, sc storage.Scope, gname, sname string, m events.Message) (bool, error) {
	streamARN := groupARN(sc, gname) + ":log-stream:" + sname
	ictx := iam.Context{}
	ictx.Set("aws:SourceArn", m.SourceARN)
	ictx.Set("aws:SourceAccount", m.SourceAccount)
	allowed := false
	err := resourcePolicies.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, p resourcePolicy) bool {
		pol, err := iam.Parse(p.Document)
		if err != nil {
			return true
		}
		ok := true
		for _, action := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
			a, _ := iam.ResourceAllows(pol, iam.Request{Principal: iam.Principal{Service: m.SourceService}, Action: action,
				Resource: streamARN, Context: ictx})
			ok = ok && a
		}
		allowed = ok
		return !allowed
	})
	return allowed, err
}
