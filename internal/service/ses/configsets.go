package ses

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// configSet is a configuration set and its event destinations.
type configSet struct {
	Name         string
	Destinations []eventDest
	// Options (both APIs): TLSPolicy REQUIRE/OPTIONAL (v1 Require/
	// Optional, kept as sent), the dedicated IP pool, reputation
	// metrics, whether sending is paused, the suppression reasons that
	// override the account's (nil: the account's), and the tracking
	// domain (HasTracking: v1's tracking options exist).
	TLSPolicy         string
	SendingPool       string
	ReputationMetrics bool
	SendingPaused     bool
	SuppressedReasons *[]string
	RedirectDomain    string
	HasTracking       bool
}

// eventDest is one event destination: SNS topic or EventBridge bus.
type eventDest struct {
	Name    string
	Enabled bool
	// Types are the matching event types, lower case ("send",
	// "delivery"), as v1 names them.
	Types       []string
	SNSTopic    string
	EventBusARN string
	// CloudWatch (nil: none), Firehose and Pinpoint destinations are
	// kept and read back; they receive nothing.
	CloudWatch                   []cwDim `json:",omitempty"`
	FirehoseStream, FirehoseRole string  `json:",omitempty"`
	PinpointApp                  string  `json:",omitempty"`
}

var configSets = storage.NewTable[configSet]("configset")

// errNoConfigSet is SES's refusal of an unknown configuration set.
func errNoConfigSet(code awserr.Code, name string) *awserr.Error {
	return code.New("Configuration set <%s> does not exist.", name)
}

func (c *Core) createConfigSet(acct, region, name string, exists func() error) error {
	return c.opt.Store.Update(func(tx storage.Tx) error {
		_, ok, err := configSets.Get(tx, scope(acct, region), name)
		if err != nil {
			return err
		}
		if ok {
			return exists()
		}
		return configSets.Put(tx, scope(acct, region), configSet{Name: name}, name)
	})
}

func (c *Core) getConfigSet(acct, region, name string) (configSet, bool, error) {
	var cs configSet
	var ok bool
	err := c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		cs, ok, err = configSets.Get(tx, scope(acct, region), name)
		return err
	})
	return cs, ok, err
}

func (c *Core) deleteConfigSet(acct, region, name string) (bool, error) {
	var ok bool
	err := c.opt.Store.Update(func(tx storage.Tx) error {
		var err error
		ok, err = configSets.DeleteExisting(tx, scope(acct, region), name)
		if err != nil || !ok {
			return err
		}
		return resourceTags.Delete(tx, scope(acct, region), "arn:aws:ses:"+region+":"+acct+":configuration-set/"+name)
	})
	return ok, err
}

func (c *Core) listConfigSets(acct, region string) ([]configSet, error) {
	var out []configSet
	err := c.opt.Store.View(func(tx storage.Tx) error {
		return configSets.List(tx, scope(acct, region), nil, storage.ListOptions{}, func(_ []string, v configSet) bool {
			out = append(out, v)
			return true
		})
	})
	return out, err
}

// updateConfigSet changes a set under fn; missing is the refusal of an
// unknown set.
func (c *Core) updateConfigSet(acct, region, name string, missing func() error, fn func(*configSet) error) error {
	return c.opt.Store.Update(func(tx storage.Tx) error {
		cs, ok, err := configSets.Get(tx, scope(acct, region), name)
		if err != nil {
			return err
		}
		if !ok {
			return missing()
		}
		if err := fn(&cs); err != nil {
			return err
		}
		return configSets.Put(tx, scope(acct, region), cs, name)
	})
}

// sesEvent is SES's event publishing record ("Contents of event data
// that Amazon SES publishes to Amazon SNS" in the SES Developer Guide).
type sesEvent struct {
	EventType string         `json:"eventType"`
	Mail      eventMail      `json:"mail"`
	Send      *struct{}      `json:"send,omitempty"`
	Delivery  *eventDelivery `json:"delivery,omitempty"`
}

type eventMail struct {
	Timestamp        string              `json:"timestamp"`
	Source           string              `json:"source"`
	SourceArn        string              `json:"sourceArn"`
	SendingAccountID string              `json:"sendingAccountId"`
	MessageID        string              `json:"messageId"`
	Destination      []string            `json:"destination"`
	HeadersTruncated bool                `json:"headersTruncated"`
	CommonHeaders    map[string]any      `json:"commonHeaders"`
	Tags             map[string][]string `json:"tags"`
}

type eventDelivery struct {
	Timestamp            string   `json:"timestamp"`
	ProcessingTimeMillis int      `json:"processingTimeMillis"`
	Recipients           []string `json:"recipients"`
	SMTPResponse         string   `json:"smtpResponse"`
	ReportingMTA         string   `json:"reportingMTA"`
}

// eventBridgeTypes are the detail-types SES gives its events on
// EventBridge.
var eventBridgeTypes = map[string]string{"Send": "Email Sent", "Delivery": "Email Delivered"}

// publish sends the Send and Delivery events of a message accepted with
// configuration set cs to its enabled destinations. Failures are logged:
// AWS does not fail a send because a destination is gone.
func (c *Core) publish(ctx context.Context, now time.Time, cs configSet, m outgoing, id string) {
	if c.opt.Bus == nil {
		return
	}
	rcpts := []string{}
	for _, r := range m.Dest.all() {
		rcpts = append(rcpts, bareAddress(r))
	}
	ts := now.UTC().Format("2006-01-02T15:04:05.000Z")
	mailRec := eventMail{
		Timestamp: ts, Source: m.Source, SendingAccountID: m.Account, MessageID: id, Destination: rcpts,
		SourceArn:     "arn:aws:ses:" + m.Region + ":" + m.Account + ":identity/" + bareAddress(m.Source),
		CommonHeaders: map[string]any{"from": []string{m.Source}, "to": m.Dest.ToAddresses, "messageId": id, "subject": m.Subject},
		Tags: map[string][]string{"ses:configuration-set": {cs.Name}, "ses:from-domain": {domainOf(bareAddress(m.Source))},
			"ses:outgoing-ip": {"127.0.0.1"}},
	}
	for _, typ := range []string{"Send", "Delivery"} {
		ev := sesEvent{EventType: typ, Mail: mailRec}
		if typ == "Send" {
			ev.Send = &struct{}{}
		} else {
			ev.Delivery = &eventDelivery{Timestamp: ts, Recipients: rcpts, SMTPResponse: "250 2.6.0 Message received",
				ReportingMTA: "a8-1.smtp-out.amazonses.com"}
		}
		body, err := json.Marshal(ev)
		if err != nil {
			continue
		}
		for _, d := range cs.Destinations {
			if !d.Enabled || !matches(d.Types, typ) {
				continue
			}
			if d.SNSTopic != "" {
				err := c.opt.Bus.Deliver(ctx, events.Message{TargetARN: d.SNSTopic, Body: string(body),
					SourceService: "ses.amazonaws.com", SourceAccount: m.Account,
					SourceARN: "arn:aws:ses:" + m.Region + ":" + m.Account + ":configuration-set/" + cs.Name})
				if err != nil {
					c.opt.Log.Warn("SES event destination not delivered", "topic", d.SNSTopic, "error", err)
				}
			}
			if d.EventBusARN != "" {
				c.opt.Bus.Publish(events.Event{ID: awsid.UUID(), Source: "aws.ses", DetailType: eventBridgeTypes[typ],
					Account: m.Account, Region: m.Region, Time: now, Resources: []string{mailRec.SourceArn}, Detail: body})
			}
		}
	}
}

func matches(types []string, typ string) bool {
	for _, t := range types {
		if strings.EqualFold(t, typ) {
			return true
		}
	}
	return false
}
