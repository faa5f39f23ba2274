package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"

	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/lb"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/acm"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
	"github.com/niwa-cloud/niwa/internal/service/elb"
	"github.com/niwa-cloud/niwa/internal/service/elbv2"
)

// wireELBv2 wires Elastic Load Balancing v2 with EC2 behind its subnets,
// security groups and instance targets, Lambda behind its Lambda
// targets, ACM behind its certificates and S3 behind its access logs.
func wireELBv2(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("elbv2")
	if err != nil {
		return nil, err
	}
	opt := elbv2.Options{Store: kd.Store, Clock: kd.Clock, Bus: kd.Bus, Log: kd.Log, Region: kd.Region, Objects: d.objectStore()}
	if d.ec2 != nil {
		n := ec2Network{d.ec2}
		opt.Network = n
		opt.Instances = instanceAddresses{d: d}
	}
	if d.lambda != nil {
		opt.Functions = targetFunctions{integrationFunctions{d.lambda, d}}
	}
	if d.acm != nil {
		opt.Certificates = acmCertificates{d.acm, d.clock, d.log}
	}
	if d.waf != nil {
		opt.Firewall = d.waf
	}
	svc := elbv2.New(opt)
	// API Gateway's VPC links forward to network load balancers.
	seams := d.apigatewaySeamsOf()
	seams.mu.Lock()
	seams.elbv2 = svc
	seams.mu.Unlock()
	svc.Start()
	return &wiring{Declaration: svc.Declare()}, nil
}

// wireELB wires Classic Elastic Load Balancing with EC2 behind its
// subnets and instances.
func wireELB(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("elb")
	if err != nil {
		return nil, err
	}
	opt := elb.Options{Store: kd.Store, Clock: kd.Clock, Bus: kd.Bus, Log: kd.Log, Objects: d.objectStore()}
	if d.ec2 != nil {
		opt.Network = ec2Network{d.ec2}
		opt.Instances = instanceAddresses{d: d}
	}
	svc := elb.New(opt)
	svc.Start()
	return &wiring{Declaration: svc.Declare()}, nil
}

// ec2Network answers the load balancers' questions about subnets and
// security groups from EC2.
type ec2Network struct{ ec2 *ec2.EC2 }

func (n ec2Network) Subnet(ctx *request.Context, id string) (string, string, bool, error) {
	out, err := n.ec2.DescribeSubnets(ctx, &ec2api.DescribeSubnetsRequest{SubnetIds: []string{id}})
	if err != nil {
		var e *awserr.Error
		if errors.As(err, &e) && e.Code.Sender {
			return "", "", false, nil
		}
		return "", "", false, err
	}
	if len(out.Subnets) == 0 {
		return "", "", false, nil
	}
	return ptr.Deref(out.Subnets[0].VpcId), ptr.Deref(out.Subnets[0].AvailabilityZone), true, nil
}

func (n ec2Network) SecurityGroup(ctx *request.Context, id string) (string, bool, error) {
	out, err := n.ec2.DescribeSecurityGroups(ctx, &ec2api.DescribeSecurityGroupsRequest{GroupIds: []string{id}})
	if err != nil {
		var e *awserr.Error
		if errors.As(err, &e) && e.Code.Sender {
			return "", false, nil
		}
		return "", false, err
	}
	if len(out.SecurityGroups) == 0 {
		return "", false, nil
	}
	return ptr.Deref(out.SecurityGroups[0].VpcId), true, nil
}

func (n ec2Network) DefaultSecurityGroup(ctx *request.Context, vpc string) (string, error) {
	out, err := n.ec2.DescribeSecurityGroups(ctx, &ec2api.DescribeSecurityGroupsRequest{Filters: []ec2api.Filter{
		{Name: ptr.To("vpc-id"), Values: []string{vpc}}, {Name: ptr.To("group-name"), Values: []string{"default"}}}})
	if err != nil {
		return "", err
	}
	if len(out.SecurityGroups) == 0 {
		return "", nil
	}
	return ptr.Deref(out.SecurityGroups[0].GroupId), nil
}

// TargetAddressTag pins the address a load balancer dials for an
// instance target: an instance tagged niwa:target-address=<host:port>
// is reached there (the port given is then ignored), for a server on
// the machine that no instance process runs. Without it, an instance
// whose processes run is reached at its host address (netpos).
const TargetAddressTag = "niwa:target-address"

// instanceAddresses resolves instance targets to dialable addresses:
// the niwa:target-address tag when the instance has one, else the
// instance runtime's address for its private IP (set by the instance
// runtime when wired), else the private IP itself.
type instanceAddresses struct{ d *deps }

func (a instanceAddresses) Dial(ctx context.Context, account, region, id string, port int) (string, error) {
	rc := &request.Context{Context: ctx, RequestID: awsid.UUID(), Service: "ec2", Operation: "DescribeInstances",
		Account: account, Region: region, Clock: a.d.clock, Log: a.d.log,
		Caller: request.Caller{Account: account, ARN: "elasticloadbalancing.amazonaws.com"}}
	out, err := a.d.ec2.DescribeInstances(rc, &ec2api.DescribeInstancesRequest{InstanceIds: []string{id}})
	if err != nil {
		return "", err
	}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			if st := in.State; st == nil || ptr.Deref(st.Name) != "running" {
				return "", fmt.Errorf("instance %s is not running", id)
			}
			for _, t := range in.Tags {
				if ptr.Deref(t.Key) == TargetAddressTag {
					return ptr.Deref(t.Value), nil
				}
			}
			ip := ptr.Deref(in.PrivateIpAddress)
			// An instance whose processes run is reached at the host
			// address standing for its private IP, when its security
			// groups (and ACLs) let the load balancer in.
			if addr, err := netip.ParseAddr(ip); err == nil && a.d.egress != nil {
				vpc := ptr.Deref(in.VpcId)
				if _, runs := a.d.egress.HostAddress(account, region, vpc, addr); runs {
					src, _ := lb.SourceFrom(ctx)
					from := netpos.Position{Account: account, Region: region, VpcID: src.VpcID, SecurityGroupIDs: src.SecurityGroupIDs}
					if from.VpcID == "" {
						from.VpcID = vpc
					}
					if len(src.SubnetIDs) > 0 {
						from.SubnetID = src.SubnetIDs[0]
					} else {
						from.SubnetID = ptr.Deref(in.SubnetId)
					}
					return a.d.egress.DialInstance(from, vpc, addr, port)
				}
			}
			if ip != "" {
				return net.JoinHostPort(ip, strconv.Itoa(port)), nil
			}
		}
	}
	return "", fmt.Errorf("instance %s not found", id)
}

// targetFunctions invokes Lambda targets as elasticloadbalancing.amazonaws.com.
type targetFunctions struct{ integrationFunctions }

func (f targetFunctions) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, string, error) {
	return f.integrationFunctions.invokeAs(ctx, fn, payload, "elasticloadbalancing.amazonaws.com")
}

// acmCertificates tells the load balancers whether a certificate exists.
type acmCertificates struct {
	acm   *acm.ACM
	clock clock.Clock
	log   *slog.Logger
}

func (c acmCertificates) Exists(ctx *request.Context, arn string) (bool, error) {
	_, err := c.acm.DescribeCertificate(ctx, &acmapi.DescribeCertificateRequest{CertificateArn: &arn})
	if err == nil {
		return true, nil
	}
	var e *awserr.Error
	if errors.As(err, &e) && (strings.Contains(e.Code.Code, "NotFound") || e.Code.Sender) {
		return false, nil
	}
	return false, err
}

// KeyPair reads an issued certificate's key pair in the listener's
// account and region.
func (c acmCertificates) KeyPair(ctx context.Context, account, region, arn string) ([]byte, []byte, error) {
	rc := &request.Context{Context: ctx, RequestID: awsid.UUID(), Service: "acm", Operation: "GetCertificate",
		Account: account, Region: region, Clock: c.clock, Log: c.log,
		Caller: request.Caller{Account: account, ARN: "elasticloadbalancing.amazonaws.com"}}
	return c.acm.KeyPair(rc, arn)
}

// SetInUse records the load balancer in the certificate's InUseBy.
func (c acmCertificates) SetInUse(ctx *request.Context, arn, resource string, inUse bool) error {
	return c.acm.SetInUse(ctx, arn, resource, inUse)
}
