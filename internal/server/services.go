package server

import (
	"strings"
	"sync"

	"github.com/niwa-cloud/niwa/internal/api"
	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	cloudformationapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	cloudfrontapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	cloudwatchapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	dynamodbstreamsapi "github.com/niwa-cloud/niwa/internal/api/dynamodbstreams"
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	rdsdataapi "github.com/niwa-cloud/niwa/internal/api/rdsdata"
	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	schedulerapi "github.com/niwa-cloud/niwa/internal/api/scheduler"
	secretsmanagerapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb"
	"github.com/niwa-cloud/niwa/internal/service/ecr"
)

// catalog is every service niwa serves, with the function that wires it:
// selfBuilt(<svc>.Build) for a service that builds itself from kit.Deps (the
// usual case: adding a service is one line here), or a wire function in
// internal/server/wire_<service>.go for a service that needs others
// wired by hand. Order matters: a wire function may use services wired
// before it (STS uses IAM), and where two services share a signing name
// the first wins requests that carry no X-Amz-Target (dynamodb before
// dynamodbstreams).
func catalog() []struct {
	spec api.Spec
	wire func(*deps) (*wiring, error)
} {
	return []struct {
		spec api.Spec
		wire func(*deps) (*wiring, error)
	}{
		{iamapi.Spec(), wireIAM},
		{stsapi.Spec(), wireSTS},
		{s3api.Spec(), wireS3},
		{sqsapi.Spec(), wireSQS},
		{snsapi.Spec(), wireSNS},
		{dynamodbapi.Spec(), wireDynamoDB},
		{dynamodbstreamsapi.Spec(), selfBuilt("dynamodb", dynamodb.BuildStreams)},
		{ec2api.Spec(), wireEC2},
		{lambdaapi.Spec(), wireLambda},
		{apigatewayapi.Spec(), wireAPIGateway},
		// After API Gateway: its REST APIs' invoke route claims their ids
		// first, this one the rest; both sign as apigateway, /v2/ is this one's.
		{apigatewayv2api.Spec(), wireAPIGatewayV2},
		{logsapi.Spec(), wireLogs},
		{eventsapi.Spec(), wireEvents},
		{schedulerapi.Spec(), wireScheduler},
		{route53api.Spec(), wireRoute53},
		{acmapi.Spec(), wireACM}, // after Route53: validation reads its zones
		{wafv2api.Spec(), wireWAFv2},
		{elbv2api.Spec(), wireELBv2}, // after EC2, Lambda, ACM, S3 and WAF
		{elbapi.Spec(), wireELB},
		{cloudfrontapi.Spec(), wireCloudFront}, // after S3, ACM and WAF: origins, alias certificates, web ACLs
		{sesapi.Spec(), wireSES},
		{sesv2api.Spec(), wireSESv2},
		{cloudwatchapi.Spec(), wireCloudWatch},
		{kmsapi.Spec(), wireKMS},
		{glueapi.Spec(), wireGlue},
		{athenaapi.Spec(), wireAthena},         // after S3 and Glue: reads and writes both as the caller
		{cloudtrailapi.Spec(), wireCloudTrail}, // after S3, SNS, Logs and KMS: it delivers to them
		{cloudformationapi.Spec(), wireCloudFormation},
		{ssmapi.Spec(), wireSSM},
		{secretsmanagerapi.Spec(), wireSecretsManager},
		{rdsapi.Spec(), wireRDS},         // after Secrets Manager: managed master passwords
		{rdsdataapi.Spec(), wireRDSData}, // after RDS and Secrets Manager
		{ecrapi.Spec(), selfBuilt("ecr", ecr.Build)},
	}
}

// selfBuilt wires a service that builds itself from kit.Deps, on its own
// store (named store).
func selfBuilt(store string, build func(kit.Deps) (kit.Declaration, error)) func(*deps) (*wiring, error) {
	return func(d *deps) (*wiring, error) {
		kd, err := d.kitDeps(store)
		if err != nil {
			return nil, err
		}
		decl, err := build(kd)
		if err != nil {
			return nil, err
		}
		return &wiring{Declaration: decl}, nil
	}
}

// kitDeps is what the platform gives a service that builds itself, on
// its own store (named store).
func (d *deps) kitDeps(store string) (kit.Deps, error) {
	st, err := d.store(store)
	if err != nil {
		return kit.Deps{}, err
	}
	return kit.Deps{Store: st, Blobs: d.backend.Blobs(), Clock: d.clock, Bus: d.bus,
		Log: d.log.With("service", store), DataDir: d.cfg.DataDir, Region: d.cfg.Region}, nil
}

// built is the wired set of services.
type built struct {
	services []*gateway.Service
	routes   []gateway.Route
	closers  []func() error
}

// buildServices wires every service in catalog order.
func buildServices(d *deps) (*built, error) {
	b := &built{}
	for _, entry := range catalog() {
		w, err := entry.wire(d)
		if err != nil {
			_ = b.close()
			return nil, err
		}
		var extra []*gateway.AltProtocol
		if w.alt != nil {
			extra = append(extra, w.alt)
		}
		svc, err := gateway.NewService(entry.spec, w.Impl, d.codecs, extra...)
		if err != nil {
			_ = b.close()
			return nil, err
		}
		svc.Limits, svc.Routing, svc.Validation, svc.NotImplemented = w.Limits, w.Routing, w.Validation, w.NotImplemented
		svc.CORS, svc.Observe, svc.Reset = w.CORS, w.Observe, w.Reset
		b.services = append(b.services, svc)
		for _, r := range w.Routes {
			b.routes = append(b.routes, gateway.Route{Name: r.Name, Match: r.Match, Handler: r.Handler})
		}
		if w.Close != nil {
			b.closers = append(b.closers, w.Close)
		}
		d.decls[entry.spec.Name] = w.Declaration
		if d.specs == nil {
			d.specs = map[string]api.Spec{}
		}
		d.specs[entry.spec.Name] = entry.spec
		if w.Authz.Policies != nil {
			d.policySources[w.Namespace] = w.Declaration
		}
		if w.Tags != nil {
			d.resourceTags[w.Namespace] = w.Declaration
		}
		if w.Names != nil {
			d.names.add(w.Names, w.EachName)
		}
		if w.ServerCertificate != nil {
			d.serverCerts = append(d.serverCerts, w.ServerCertificate)
		}
	}
	return b, nil
}

// close stops every service's background work, last wired first.
func (b *built) close() error {
	var first error
	for i := len(b.closers) - 1; i >= 0; i-- {
		if err := b.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// endpointNames are the DNS names services hand out for resources they
// serve themselves (kit.Declaration's Names and EachName); Route53's DNS
// (wired before them) asks it for names outside every hosted zone, and
// lists them for the hosts files of the code niwa runs, so both answer
// the same names the same way.
type endpointNames struct {
	mu     sync.RWMutex
	owners []func(string) (bool, error)
	lists  []func(func(string) bool) error
}

func (n *endpointNames) add(owns func(string) (bool, error), each func(func(string) bool) error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.owners = append(n.owners, owns)
	if each != nil {
		n.lists = append(n.lists, each)
	}
}

// each calls fn with every name the services hand out, until fn returns
// false.
func (n *endpointNames) each(fn func(string) bool) error {
	if n == nil {
		return nil
	}
	n.mu.RLock()
	lists := n.lists
	n.mu.RUnlock()
	more := true
	for _, l := range lists {
		err := l(func(name string) bool {
			more = fn(name)
			return more
		})
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// owns reports whether a service hands out name (with or without the
// trailing dot).
func (n *endpointNames) owns(name string) (bool, error) {
	if n == nil {
		return false, nil
	}
	n.mu.RLock()
	owners := n.owners
	n.mu.RUnlock()
	name = strings.TrimSuffix(name, ".")
	for _, o := range owners {
		ok, err := o(name)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
