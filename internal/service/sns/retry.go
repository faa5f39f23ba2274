package sns

import (
	"encoding/json"
	"math"
	"time"
)

// HTTP/S deliveries are retried as SNS's delivery policy says: a failed
// attempt (no answer, or a 5xx status) is retried after the policy's
// delays — by default 3 retries, 20 seconds apart. The topic's
// DeliveryPolicy ("http" → "defaultHealthyRetryPolicy") gives the
// default, a subscription's DeliveryPolicy ("healthyRetryPolicy")
// overrides it unless the topic disables overrides. The waits are on
// niwa's clock; niwa applies no jitter.

// retryPolicy is a healthyRetryPolicy.
type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// httpDelivery is how an HTTP/S subscription is delivered to.
type httpDelivery struct {
	retry       retryPolicy
	contentType string
}

// maxRetries bounds a policy's retries (SNS caps a policy's total retry
// time at an hour, which its validation enforces; niwa's bound keeps a
// stored policy from making unbounded work).
const maxRetries = 100

var defaultRetry = retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear"}

// effectiveDelivery reads the topic's and the subscription's delivery
// policies. Unreadable ones are ignored.
func effectiveDelivery(topicDoc, subDoc string) httpDelivery {
	d := httpDelivery{retry: defaultRetry, contentType: "text/plain; charset=UTF-8"}
	var tp struct {
		HTTP struct {
			Default         *retryPolicy `json:"defaultHealthyRetryPolicy"`
			DisableOverride bool         `json:"disableSubscriptionOverrides"`
			Request         struct {
				ContentType string `json:"headerContentType"`
			} `json:"defaultRequestPolicy"`
		} `json:"http"`
	}
	if topicDoc != "" && json.Unmarshal([]byte(topicDoc), &tp) == nil {
		if tp.HTTP.Default != nil {
			d.retry = *tp.HTTP.Default
		}
		if tp.HTTP.Request.ContentType != "" {
			d.contentType = tp.HTTP.Request.ContentType
		}
	}
	var sp struct {
		Healthy *retryPolicy `json:"healthyRetryPolicy"`
		Request struct {
			ContentType string `json:"headerContentType"`
		} `json:"requestPolicy"`
	}
	if subDoc != "" && !tp.HTTP.DisableOverride && json.Unmarshal([]byte(subDoc), &sp) == nil {
		if sp.Healthy != nil {
			d.retry = *sp.Healthy
		}
		if sp.Request.ContentType != "" {
			d.contentType = sp.Request.ContentType
		}
	}
	return d
}

// delays are the waits before each retry: the immediate phase, the
// pre-backoff phase at the minimum delay, the backoff phase from the
// minimum to the maximum (linear and arithmetic evenly, geometric and
// exponential by a constant ratio), the post-backoff phase at the maximum.
func (p retryPolicy) delays() []time.Duration {
	n := min(max(p.NumRetries, 0), maxRetries)
	lo := float64(max(p.MinDelayTarget, 0))
	hi := math.Max(float64(p.MaxDelayTarget), lo)
	noDelay := min(max(p.NumNoDelayRetries, 0), n)
	minDelay := min(max(p.NumMinDelayRetries, 0), n-noDelay)
	maxDelay := min(max(p.NumMaxDelayRetries, 0), n-noDelay-minDelay)
	backoff := n - noDelay - minDelay - maxDelay
	out := make([]time.Duration, 0, n)
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	for i := 0; i < noDelay; i++ {
		out = append(out, 0)
	}
	for i := 0; i < minDelay; i++ {
		out = append(out, sec(lo))
	}
	for i := 1; i <= backoff; i++ {
		f := float64(i) / float64(backoff)
		switch p.BackoffFunction {
		case "geometric", "exponential":
			if lo > 0 {
				out = append(out, sec(lo*math.Pow(hi/lo, f)))
				continue
			}
			fallthrough
		default:
			out = append(out, sec(lo+(hi-lo)*f))
		}
	}
	for i := 0; i < maxDelay; i++ {
		out = append(out, sec(hi))
	}
	return out
}
