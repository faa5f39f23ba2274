package elbv2

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/lb"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// checkTick is how often the checker looks for due health checks: the
// shortest HealthCheckIntervalSeconds ELBv2 allows.
const checkTick = 5 * time.Second

// probeWorkers bounds the probes in flight in one round.
const probeWorkers = 16

// round runs the health checks due at now in every account and region:
// each target group in use gets as many rounds as its interval fits in
// the time since its last (capped at the thresholds: more could not
// change a state), drained targets leave, and the healthy and unhealthy
// host counts go to CloudWatch.
func (s *ELBv2) round(now time.Time) {
	// The per-request metrics of the minutes that are over.
	s.metrics.Flush(now)
	var idx []indexRec
	if err := s.store.View(func(tx storage.Tx) error {
		return tgIndex.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, v indexRec) bool {
			idx = append(idx, v)
			return true
		})
	}); err != nil {
		s.log.Warn("elbv2: health checks", "error", err)
		return
	}
	for _, i := range idx {
		if err := s.checkGroup(storage.Scope{Account: i.Account, Region: i.Region}, i.ARN, now); err != nil {
			s.log.Warn("elbv2: health checks", "target_group", i.ARN, "error", err)
		}
	}
	s.logs.flush(now)
}

func (s *ELBv2) checkGroup(sc storage.Scope, arn string, now time.Time) error {
	var tg tgRec
	var ts []targetRec
	var users []string
	if err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		if tg, ok, err = tgs.Get(tx, sc, arn); err != nil || !ok {
			return err
		}
		u, err := tgUsers(tx, sc)
		if err != nil {
			return err
		}
		users = u[arn]
		ts, err = listTargets(tx, sc, arn)
		return err
	}); err != nil || tg.ARN == "" {
		return err
	}
	inUse := len(users) > 0
	rounds := 0
	if inUse && tg.HCEnabled {
		rounds = lb.Rounds(tg.LastRound, now, time.Duration(tg.HCInterval)*time.Second, int(max(tg.Healthy, tg.Unhealthy)))
	}
	hc := lb.HealthCheck{Protocol: tg.HCProtocol, Path: tg.HCPath, Matcher: tg.Matcher,
		Timeout: time.Duration(tg.HCTimeout) * time.Second, Healthy: int(tg.Healthy), Unhealthy: int(tg.Unhealthy)}
	next := map[string]lb.Health{}
	for _, t := range ts {
		if t.DrainUntil.IsZero() {
			next[targetKey(t.ID, t.Port)] = t.Health
		}
	}
	for range rounds {
		results := s.probeAll(sc, tg, ts, hc)
		for k, r := range results {
			next[k] = next[k].Observe(r, hc)
		}
	}
	healthy, unhealthy := 0, 0
	err := s.store.Update(func(tx storage.Tx) error {
		cur, ok, err := tgs.Get(tx, sc, arn)
		if err != nil || !ok {
			return err
		}
		if rounds > 0 {
			cur.LastRound = now
			if err := tgs.Put(tx, sc, cur, arn); err != nil {
				return err
			}
		}
		live, err := listTargets(tx, sc, arn)
		if err != nil {
			return err
		}
		for _, t := range live {
			key := targetKey(t.ID, t.Port)
			if !t.DrainUntil.IsZero() {
				if !now.Before(t.DrainUntil) {
					if err := targets.Delete(tx, sc, arn, key); err != nil {
						return err
					}
				}
				continue
			}
			if h, ok := next[key]; ok && rounds > 0 {
				t.Health = h
				if err := targets.Put(tx, sc, t, arn, key); err != nil {
					return err
				}
			}
			switch reported(cur, t, inUse).State {
			case lb.StateHealthy:
				healthy++
			case lb.StateUnhealthy:
				unhealthy++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if inUse && s.opt.Bus != nil && rounds > 0 {
		var ms []events.Metric
		for _, u := range users {
			ns := "AWS/ApplicationELB"
			if len(lbDimension(u)) > 4 && lbDimension(u)[:4] == "net/" {
				ns = "AWS/NetworkELB"
			}
			dims := map[string]string{"LoadBalancer": lbDimension(u), "TargetGroup": tgDimension(arn)}
			ms = append(ms, events.Metric{Namespace: ns, Name: "HealthyHostCount", Dimensions: dims, Value: float64(healthy), Unit: "Count", Time: now},
				events.Metric{Namespace: ns, Name: "UnHealthyHostCount", Dimensions: dims, Value: float64(unhealthy), Unit: "Count", Time: now})
		}
		s.opt.Bus.PublishMetrics(sc.Account, sc.Region, ms...)
	}
	return nil
}

// probeAll probes every registered (not draining) target once.
func (s *ELBv2) probeAll(sc storage.Scope, tg tgRec, ts []targetRec, hc lb.HealthCheck) map[string]lb.Result {
	out := map[string]lb.Result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, probeWorkers)
	for _, t := range ts {
		if !t.DrainUntil.IsZero() {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res := s.probeOne(sc, tg, t, hc)
			mu.Lock()
			out[targetKey(t.ID, t.Port)] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func (s *ELBv2) probeOne(sc storage.Scope, tg tgRec, t targetRec, hc lb.HealthCheck) lb.Result {
	ctx := context.Background()
	if tg.TargetType == "lambda" {
		return s.probeLambda(ctx, tg, t, hc)
	}
	port := t.Port
	if tg.HCPort != "" && tg.HCPort != "traffic-port" {
		if n, err := strconv.Atoi(tg.HCPort); err == nil {
			port = int32(n)
		}
	}
	addr := s.address(ctx, sc, tg, t, port)
	if addr == "" {
		return lb.Result{Reason: lb.ReasonFailedHealthChecks, Description: lb.DescFailedHealthChecks}
	}
	return lb.Probe(ctx, hc, addr)
}

// probeLambda invokes a Lambda target with a health-check request.
func (s *ELBv2) probeLambda(ctx context.Context, tg tgRec, t targetRec, hc lb.HealthCheck) lb.Result {
	fail := lb.Result{Reason: lb.ReasonFailedHealthChecks, Description: lb.DescFailedHealthChecks}
	if s.opt.Functions == nil {
		return fail
	}
	ev := albEvent{RequestContext: map[string]map[string]string{"elb": {"targetGroupArn": tg.ARN}}, HTTPMethod: "GET", Path: tg.HCPath,
		Headers: map[string]string{"user-agent": lb.UserAgent}}
	payload, err := json.Marshal(ev)
	if err != nil {
		return fail
	}
	ctx, cancel := context.WithTimeout(ctx, hc.Timeout)
	defer cancel()
	out, fnErr, err := s.opt.Functions.Invoke(ctx, t.ID, payload)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() || ctx.Err() != nil {
			return lb.Result{Reason: lb.ReasonTimeout, Description: lb.DescTimeout}
		}
		return fail
	}
	if fnErr != "" {
		return lb.Result{Reason: "Target.LambdaUserError", Description: "Lambda function returned an error"}
	}
	var resp albResponse
	if json.Unmarshal(out, &resp) != nil {
		return lb.Result{Reason: "Target.LambdaInvalidResponse", Description: "Lambda function returned an invalid response"}
	}
	if lb.MatchCode(hc.Matcher, resp.StatusCode) {
		return lb.Result{OK: true}
	}
	return lb.Result{Reason: lb.ReasonResponseCodeMismatch, Description: "Health checks failed with these codes: [" + strconv.Itoa(resp.StatusCode) + "]", Code: resp.StatusCode}
}

// RunHealthChecks runs the checks due now (tests).
func (s *ELBv2) RunHealthChecks() { s.ticker.RunNow() }
