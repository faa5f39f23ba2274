package ses

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// receiptNotification is SES's "Received" notification for an SNS
// action (SES Developer Guide, "Notification contents for Amazon SES
// email receiving").
type receiptNotification struct {
	NotificationType string        `json:"notificationType"`
	Mail             receivedMail  `json:"mail"`
	Receipt          receiptRecord `json:"receipt"`
	Content          string        `json:"content,omitempty"`
}

type receivedMail struct {
	Timestamp        string         `json:"timestamp"`
	Source           string         `json:"source"`
	MessageID        string         `json:"messageId"`
	Destination      []string       `json:"destination"`
	HeadersTruncated bool           `json:"headersTruncated"`
	CommonHeaders    map[string]any `json:"commonHeaders"`
}

type verdict struct {
	Status string `json:"status"`
}

type receiptRecord struct {
	Timestamp            string         `json:"timestamp"`
	ProcessingTimeMillis int            `json:"processingTimeMillis"`
	Recipients           []string       `json:"recipients"`
	SpamVerdict          verdict        `json:"spamVerdict"`
	VirusVerdict         verdict        `json:"virusVerdict"`
	SPFVerdict           verdict        `json:"spfVerdict"`
	DKIMVerdict          verdict        `json:"dkimVerdict"`
	DMARCVerdict         verdict        `json:"dmarcVerdict"`
	Action               map[string]any `json:"action"`
}

// recipientMatches reports whether a receipt rule's recipient entry
// covers addr: the address itself, its domain, or (".example.com") any
// subdomain.
func recipientMatches(entry, addr string) bool {
	entry, addr = strings.ToLower(entry), strings.ToLower(addr)
	d := domainOf(addr)
	switch {
	case entry == addr, entry == d:
		return true
	case strings.HasPrefix(entry, "."):
		return strings.HasSuffix(d, entry)
	}
	return false
}

// receive runs the account's active receipt rule set over a message it
// sent to one of its own verified domains: SNS actions publish the
// "Received" notification through the bus; a stop action ends the set.
// S3, Lambda, bounce, WorkMail and add-header actions are not run (niwa
// has no seam to those services here).
func (c *Core) receive(ctx context.Context, now time.Time, m outgoing, id string) {
	if c.opt.Bus == nil || m.Account == "" {
		return
	}
	a, err := c.accountOf(m.Account, m.Region)
	if err != nil || a.ActiveRuleSet == "" {
		return
	}
	rs, ok, err := c.ruleSet(m.Account, m.Region, a.ActiveRuleSet)
	if err != nil || !ok {
		return
	}
	var rcpts []string
	for _, r := range m.Dest.all() {
		addr := bareAddress(r)
		if ok, err := c.verified(m.Account, m.Region, domainOf(addr)); err == nil && ok {
			rcpts = append(rcpts, addr)
		}
	}
	if len(rcpts) == 0 {
		return
	}
	ts := now.UTC().Format("2006-01-02T15:04:05.000Z")
	for _, rule := range rs.Rules {
		if !ptr.Deref(rule.Enabled) {
			continue
		}
		var matched []string
		for _, addr := range rcpts {
			if len(rule.Recipients) == 0 {
				matched = append(matched, addr)
				continue
			}
			for _, e := range rule.Recipients {
				if recipientMatches(e, addr) {
					matched = append(matched, addr)
					break
				}
			}
		}
		if len(matched) == 0 {
			continue
		}
		for _, act := range rule.Actions {
			if act.StopAction != nil {
				return
			}
			if act.SNSAction == nil {
				continue
			}
			topic := ptr.Deref(act.SNSAction.TopicArn)
			enc := ptr.Deref(act.SNSAction.Encoding)
			if enc == "" {
				enc = "UTF-8"
			}
			n := receiptNotification{
				NotificationType: "Received",
				Mail: receivedMail{Timestamp: ts, Source: bareAddress(m.Source), MessageID: id, Destination: matched,
					CommonHeaders: map[string]any{"from": []string{m.Source}, "to": m.Dest.ToAddresses, "messageId": id, "subject": m.Subject}},
				Receipt: receiptRecord{Timestamp: ts, Recipients: matched,
					SpamVerdict: verdict{"PASS"}, VirusVerdict: verdict{"PASS"}, SPFVerdict: verdict{"PASS"},
					DKIMVerdict: verdict{"PASS"}, DMARCVerdict: verdict{"PASS"},
					Action: map[string]any{"type": "SNS", "topicArn": topic, "encoding": enc}},
				Content: string(m.Raw),
			}
			body, err := json.Marshal(n)
			if err != nil {
				continue
			}
			err = c.opt.Bus.Deliver(ctx, events.Message{TargetARN: topic, Body: string(body), SourceService: "ses.amazonaws.com",
				SourceAccount: m.Account, SourceARN: "arn:aws:ses:" + m.Region + ":" + m.Account + ":receipt-rule-set/" + rs.Name + ":receipt-rule/" + ptr.Deref(rule.Name)})
			if err != nil {
				c.opt.Log.Warn("SES receipt rule SNS action not delivered", "topic", topic, "error", err)
			}
		}
	}
}
