package apigatewayv2

import (
	"time"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
)

// Stage throttling: a token bucket per API, stage and route, refilled at
// ThrottlingRateLimit a second up to ThrottlingBurstLimit, on niwa's
// clock. The route's settings (RouteSettings[route key]) win over the
// stage's DefaultRouteSettings; with neither set, nothing is throttled
// (AWS's account-level limits of 10,000 requests a second are not
// modelled).

type bucket struct {
	tokens float64
	last   time.Time
}

// limits are the throttle settings that apply to the call's route.
func (c *call) limits() (rate float64, burst int32, ok bool) {
	pick := func(rs *apigatewayv2api.RouteSettings) {
		if rs == nil {
			return
		}
		if rs.ThrottlingRateLimit != nil {
			rate, ok = *rs.ThrottlingRateLimit, true
		}
		if rs.ThrottlingBurstLimit != nil {
			burst, ok = *rs.ThrottlingBurstLimit, true
		}
	}
	pick(c.stage.DefaultRouteSettings)
	if rs, found := c.stage.RouteSettings[c.routeKey()]; found {
		rate, burst, ok = 0, 0, false
		pick(c.stage.DefaultRouteSettings)
		pick(&rs)
	}
	return rate, burst, ok
}

// allow takes a token for the call; false when the bucket is empty.
func (s *APIGatewayV2) allow(c *call) bool {
	rate, burst, ok := c.limits()
	if !ok {
		return true
	}
	key := c.apiID + "/" + c.stageName() + "/" + c.routeKey()
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, found := s.buckets[key]
	if !found {
		b = &bucket{tokens: float64(burst), last: now}
		s.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens += el * rate
		b.last = now
	}
	if b.tokens > float64(burst) {
		b.tokens = float64(burst)
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
