package sqs

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/events"
)

// TestQueueMetrics: each minute of the clock the queue gauges go out on
// the bus in AWS/SQS, counting visible, in-flight and delayed messages.
func TestQueueMetrics(t *testing.T) {
	f := newFixture(t)
	url := f.create("work", nil)
	f.create("idle", nil)
	f.send(url, "a")
	f.send(url, "b")
	f.send(url, "c", func(in *sqsapi.SendMessageInput) { d := int32(60); in.DelaySeconds = &d })
	n := int32(1)
	if _, err := f.ReceiveMessage(f.ctx(), &sqsapi.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: &n}); err != nil {
		t.Fatal(err)
	}
	bus := events.New()
	got := map[string]float64{}
	bus.HandleMetrics(func(account, region string, ms []events.Metric) {
		for _, m := range ms {
			if account != "123456789012" || region != "ap-northeast-1" || m.Namespace != "AWS/SQS" {
				t.Errorf("metric %s/%s %+v", account, region, m)
			}
			got[m.Dimensions["QueueName"]+" "+m.Name] = m.Value
		}
	})
	p := f.StartMetrics(bus, time.Minute)
	defer p.Stop()
	f.clock.Advance(10 * time.Second)
	if err := f.PublishQueueMetrics(bus); err != nil {
		t.Fatal(err)
	}
	want := "idle ApproximateAgeOfOldestMessage=0 idle ApproximateNumberOfMessagesDelayed=0 idle ApproximateNumberOfMessagesNotVisible=0 idle ApproximateNumberOfMessagesVisible=0 " +
		"work ApproximateAgeOfOldestMessage=10 work ApproximateNumberOfMessagesDelayed=1 work ApproximateNumberOfMessagesNotVisible=1 work ApproximateNumberOfMessagesVisible=1"
	var keys []string
	for k, v := range got {
		keys = append(keys, k+"="+strconv.FormatFloat(v, 'g', -1, 64))
	}
	sort.Strings(keys)
	if strings.Join(keys, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(keys, " "), want)
	}
}
