package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// elbv2Workloads measure what an application load balancer adds to a
// request: a plain HTTP GET of the listener's own port (niwa opens one
// per listener on 127.0.0.1) answered by a fixed-response action (the
// load balancer alone), and one forwarded to a target — the trivial HTTP
// server of env.target, registered as an ip target. The target runs in
// its own process, so the server's CPU per request is the load
// balancer's alone; `go run ./bench` also measures GETs straight to the
// target and the note under the table gives the latency added.
//
// moto keeps load balancers as records only (no listener answers), so
// the rows are niwa's alone.
func elbv2Workloads(env benchEnv) []workload {
	const reason = "moto: no load-balancer data plane"
	var fixed, forward perServer[string] // listener addresses
	fixedBody := `{"ok":true,"from":"alb"}`
	return []workload{
		{name: "ELBv2 ALB fixed-response (HTTP GET)", niwaOnly: reason, setup: func(ctx context.Context, cfg aws.Config) error {
			addr, err := benchALB(ctx, cfg, "bench-fixed", types.Action{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{
				StatusCode: aws.String("200"), ContentType: aws.String("application/json"), MessageBody: aws.String(fixedBody)}})
			if err == nil {
				fixed.set(cfg, addr)
			}
			return err
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			return plainGet(ctx, "http://"+fixed.get(cfg)+"/", "", fixedBody)
		}},
		{name: "ELBv2 ALB forward to a target (HTTP GET)", niwaOnly: reason, usesTarget: true, setup: func(ctx context.Context, cfg aws.Config) error {
			host, p, err := net.SplitHostPort(env.target)
			if err != nil {
				return err
			}
			port, err := strconv.Atoi(p)
			if err != nil {
				return err
			}
			vpc, _, err := defaultSubnets(ctx, cfg)
			if err != nil {
				return err
			}
			c := elbv2.NewFromConfig(cfg)
			tg, err := c.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("bench-target"), Protocol: types.ProtocolEnumHttp,
				Port: aws.Int32(int32(port)), VpcId: aws.String(vpc), TargetType: types.TargetTypeEnumIp})
			if err != nil {
				return err
			}
			arn := tg.TargetGroups[0].TargetGroupArn
			if _, err := c.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: arn,
				Targets: []types.TargetDescription{{Id: aws.String(host), Port: aws.Int32(int32(port))}}}); err != nil {
				return err
			}
			addr, err := benchALB(ctx, cfg, "bench-forward", types.Action{Type: types.ActionTypeEnumForward, TargetGroupArn: arn})
			if err == nil {
				forward.set(cfg, addr)
			}
			return err
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			return plainGet(ctx, "http://"+forward.get(cfg)+"/", "", string(floorBody))
		}, note: func(_ string, res, target result) string {
			if target.ops == 0 {
				return ""
			}
			return fmt.Sprintf("the target alone (GETs straight to it from the same clients) answered at p50 %.2f / p99 %.2f ms using %.1f µs of its own CPU a request; "+
				"through the load balancer p50 %.2f / p99 %.2f ms: the ALB adds %.2f ms at p50 and %.1f µs of niwa's CPU a request (the target's CPU is not in it).",
				ms(target.p50), ms(target.p99), us(target.cpuPerOp), ms(res.p50), ms(res.p99), ms(res.p50-target.p50), us(res.cpuPerOp))
		}},
	}
}

// targetWorkload GETs the trivial target directly: what the forward
// workload costs without the load balancer.
func targetWorkload(env benchEnv) workload {
	return workload{name: "target alone (HTTP GET)", op: func(ctx context.Context, _ aws.Config, _ int) error {
		return plainGet(ctx, "http://"+env.target+"/", "", string(floorBody))
	}}
}

// benchALB makes an internet-facing application load balancer in two
// default subnets with an HTTP:80 listener whose default action is
// action, and returns the address of the listener's own port.
func benchALB(ctx context.Context, cfg aws.Config, name string, action types.Action) (string, error) {
	_, subnets, err := defaultSubnets(ctx, cfg)
	if err != nil {
		return "", err
	}
	c := elbv2.NewFromConfig(cfg)
	lb, err := c.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String(name), Subnets: subnets, Type: types.LoadBalancerTypeEnumApplication})
	if err != nil {
		return "", err
	}
	l, err := c.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
		Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: []types.Action{action}})
	if err != nil {
		return "", err
	}
	return listenerAddress(ctx, aws.ToString(cfg.BaseEndpoint), aws.ToString(l.Listeners[0].ListenerArn))
}

// defaultSubnets returns the default VPC and two of its default subnets
// in different Availability Zones (an ALB needs two).
func defaultSubnets(ctx context.Context, cfg aws.Config) (string, []string, error) {
	out, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil {
		return "", nil, err
	}
	zones := map[string]bool{}
	var vpc string
	var ids []string
	for _, s := range out.Subnets {
		if zones[aws.ToString(s.AvailabilityZone)] || vpc != "" && aws.ToString(s.VpcId) != vpc {
			continue
		}
		zones[aws.ToString(s.AvailabilityZone)] = true
		vpc = aws.ToString(s.VpcId)
		ids = append(ids, aws.ToString(s.SubnetId))
		if len(ids) == 2 {
			return vpc, ids, nil
		}
	}
	return "", nil, fmt.Errorf("no two default subnets in different zones: %d subnets", len(out.Subnets))
}

// listenerAddress finds the port niwa opened for a listener
// (GET /_niwa/elb/listeners).
func listenerAddress(ctx context.Context, endpoint, arn string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/_niwa/elb/listeners", nil)
	if err != nil {
		return "", err
	}
	resp, err := plainClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		Listeners []struct{ ListenerArn, Address string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("listing listeners: %w", err)
	}
	for _, l := range out.Listeners {
		if l.ListenerArn == arn {
			return l.Address, nil
		}
	}
	return "", fmt.Errorf("listener %s has no port of its own", arn)
}
