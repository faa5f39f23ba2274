package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestELBv2RequestMetricsPerMinute: an application load balancer's
// per-request metrics reach CloudWatch summed per minute, once the
// minute is over on niwa's clock (ALB publishes at 60-second
// granularity): GetMetricStatistics then answers the sums and sample
// counts of the requests served — by the load balancer and per target
// group, per target status class, and the load balancer's own 5XX.
func TestELBv2RequestMetricsPerMinute(t *testing.T) {
	clk := niwatest.NewFakeClock(time.Now()) // signatures are checked against it
	n := niwatest.Start(t, niwatest.WithClock(clk))
	ctx := context.Background()
	cfg := n.AWSConfig()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(target.Close)
	host, p, _ := net.SplitHostPort(target.Listener.Addr().String())
	port, _ := strconv.Atoi(p)

	subnets, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil || len(subnets.Subnets) < 2 {
		t.Fatalf("default subnets: %v", err)
	}
	vpc := aws.ToString(subnets.Subnets[0].VpcId)
	c := elbv2.NewFromConfig(cfg)
	mkTG := func(name string) string {
		out, err := c.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(int32(port)), VpcId: aws.String(vpc), TargetType: elbtypes.TargetTypeEnumIp})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.TargetGroups[0].TargetGroupArn)
	}
	web, empty := mkTG("web"), mkTG("empty")
	if _, err := c.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(web),
		Targets: []elbtypes.TargetDescription{{Id: aws.String(host), Port: aws.Int32(int32(port))}}}); err != nil {
		t.Fatal(err)
	}
	lbOut, err := c.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("metrics"), Type: elbtypes.LoadBalancerTypeEnumApplication,
		Subnets: []string{aws.ToString(subnets.Subnets[0].SubnetId), aws.ToString(subnets.Subnets[1].SubnetId)}})
	if err != nil {
		t.Fatal(err)
	}
	alb := lbOut.LoadBalancers[0]
	l, err := c.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: alb.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(web)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRule(ctx, &elbv2.CreateRuleInput{ListenerArn: l.Listeners[0].ListenerArn, Priority: aws.Int32(1),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/none"}}},
		Actions:    []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(empty)}}}); err != nil {
		t.Fatal(err)
	}

	get := func(path string, want int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, n.Endpoint+path, nil)
		req.Host = aws.ToString(alb.DNSName)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	start := clk.Now()
	for range 3 {
		get("/", 200)
	}
	for range 2 {
		get("/missing", 404)
	}
	get("/none", 503)

	lbDim := cwtypes.Dimension{Name: aws.String("LoadBalancer"), Value: aws.String(lbDimension(aws.ToString(alb.LoadBalancerArn)))}
	tgDim := cwtypes.Dimension{Name: aws.String("TargetGroup"), Value: aws.String(tgDimension(web))}
	cw := cloudwatch.NewFromConfig(cfg)
	stats := func(name string, dims ...cwtypes.Dimension) (sum, count float64, ok bool) {
		t.Helper()
		out, err := cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(name),
			Dimensions: dims, StartTime: aws.Time(start.Add(-2 * time.Minute)), EndTime: aws.Time(start.Add(2 * time.Minute)), Period: aws.Int32(300),
			Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticSampleCount}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.Datapoints {
			sum += aws.ToFloat64(d.Sum)
			count += aws.ToFloat64(d.SampleCount)
			ok = true
		}
		return sum, count, ok
	}
	if _, _, ok := stats("RequestCount", lbDim); ok {
		t.Fatal("RequestCount published before its minute ended")
	}
	clk.Advance(time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, _, ok := stats("RequestCount", lbDim); ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // the round runs in the clock's timer goroutine
	}
	for _, tc := range []struct {
		name       string
		dims       []cwtypes.Dimension
		sum, count float64
	}{
		{"RequestCount", []cwtypes.Dimension{lbDim}, 6, 6},
		{"RequestCount", []cwtypes.Dimension{lbDim, tgDim}, 5, 5},
		{"HTTPCode_Target_2XX_Count", []cwtypes.Dimension{lbDim}, 3, 3},
		{"HTTPCode_Target_4XX_Count", []cwtypes.Dimension{lbDim}, 2, 2},
		{"HTTPCode_Target_4XX_Count", []cwtypes.Dimension{lbDim, tgDim}, 2, 2},
		{"HTTPCode_ELB_5XX_Count", []cwtypes.Dimension{lbDim}, 1, 1},
		{"TargetResponseTime", []cwtypes.Dimension{lbDim}, 0, 5}, // the fake clock did not move while targets answered
	} {
		sum, count, ok := stats(tc.name, tc.dims...)
		if !ok || sum != tc.sum || count != tc.count {
			t.Errorf("%s %d dims: sum %v count %v (found %v), want %v %v", tc.name, len(tc.dims), sum, count, ok, tc.sum, tc.count)
		}
	}
}

// lbDimension and tgDimension are ALB's CloudWatch dimension values
// (app/<name>/<id>, targetgroup/<name>/<id>).
func lbDimension(arn string) string {
	_, rest, _ := strings.Cut(arn, ":loadbalancer/")
	return rest
}

func tgDimension(arn string) string { return arn[strings.LastIndex(arn, ":targetgroup/")+1:] }
