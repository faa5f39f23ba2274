package server

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/instances"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/service/acm"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
	"github.com/niwa-cloud/niwa/internal/service/glue"
	"github.com/niwa-cloud/niwa/internal/service/lambda"
	"github.com/niwa-cloud/niwa/internal/service/s3"
	"github.com/niwa-cloud/niwa/internal/service/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/service/ses"
	"github.com/niwa-cloud/niwa/internal/service/sqs"
	"github.com/niwa-cloud/niwa/internal/service/wafv2"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// deps is everything a service's wire function may use. Services get their
// collaborators from here, explicitly; nothing registers itself.
type deps struct {
	cfg     Config
	backend storage.Backend
	codecs  *codecs.Set
	bus     *events.Bus
	clock   clock.Clock
	log     *slog.Logger
	// static are the configured root keys.
	static auth.StaticCredentials
	// endpoint returns niwa's own base URL once it listens ("" before):
	// what code running "inside" niwa (Lambda functions, instance
	// commands) points its SDKs at.
	endpoint func() string
	// gateway is niwa's gateway once built (nil before): services'
	// requests to niwa's own hosts (CloudFront origins) are served by it
	// in process.
	gateway func() http.Handler

	stores map[string]storage.Store
	// Services wired earlier, for the wire functions of later ones that
	// need them (STS needs IAM's roles).
	iam *iamWiring
	sts *stsWiring
	// sqs is the SQS service, for Lambda's event source mappings.
	sqs *sqs.SQS
	// dynamodb is DynamoDB, for Lambda's stream event source mappings.
	dynamodb *dynamodb.DynamoDB
	// s3 is S3, for Lambda code given as an S3 object.
	s3 *s3.S3
	// ec2 is EC2, for Lambda's VpcConfig validation.
	ec2 *ec2.EC2
	// egress is the egress proxy (network position and egress), made by
	// egressProxy once EC2 is wired.
	egress *netpos.Proxy
	// instances runs EC2 instances' processes (set by wireEC2), for SSM.
	instances *instances.Runtime
	// onServe run once niwa listens (so d.endpoint answers): booting
	// again the instances that ran before a restart.
	onServe []func()
	// lambda is Lambda, for Secrets Manager's rotation functions.
	lambda *lambda.Lambda
	// acm is ACM, for the load balancers' HTTPS listener certificates.
	acm *acm.ACM
	// waf evaluates web ACLs for CloudFront and the ALB (nil until wired).
	waf *wafv2.WAF
	// secrets is Secrets Manager, for RDS's managed master passwords.
	secrets *secretsmanager.SecretsManager
	// names are the DNS names services hand out for resources they
	// serve themselves (load balancers), answered by Route53's DNS.
	names endpointNames
	// serverCerts are the services' own certificates for niwa's HTTPS
	// listener, by TLS server name (kit.Declaration.ServerCertificate).
	serverCerts []func(ctx context.Context, serverName string) (*tls.Certificate, bool, error)
	// ses is the state SES's two APIs (ses, sesv2) share.
	ses *ses.Core
	// dnsAddr is the bound address of Route53's DNS server ("" when it
	// does not listen).
	dnsAddr string
	// dnsResolver answers from Route53's zones (set by wireRoute53), for
	// ACM's DNS validation.
	dnsResolver *dns.Resolver
	// vpcLookup resolves a name as a VPC's resolver does, for the names
	// the machine's resolver does not know (set by wireVPCNames), for
	// the egress proxy.
	vpcLookup func(account, region, vpc, name string) (netip.Addr, bool, error)
	// authority is niwa's local certificate authority (set by wireACM),
	// for the HTTPS listener.
	authority *ca.CA
	// decls are the wired services' declarations, by service name, for
	// the authorizer and the audit trail.
	decls map[string]kit.Declaration
	// specs are the wired services' APIs, by service name, for calls
	// authorized as their caller's (CloudFormation's providers).
	specs map[string]api.Spec
	// policySources are the services that keep resource-based policies
	// (bucket, queue, topic, function, key policies), by ARN namespace,
	// for the policy engine.
	policySources map[string]kit.Declaration
	// resourceTags are the services that keep tags, by ARN namespace,
	// for aws:ResourceTag/<key>.
	resourceTags map[string]kit.Declaration
	// dataKeys is the KMS seam services encrypt through (dataKeysOf):
	// filled in by wireKMS and, once built, the authorizer.
	dataKeys *dataKeys
	// glue is the Glue Data Catalog, for Athena.
	glue *glue.Glue
	// callerAuth is the authorizer for services acting as their caller
	// (callerAuthOf): filled in once built.
	callerAuth *callerAuth
	// apigateway is what API Gateway's data plane needs from the built
	// server (apigatewaySeamsOf): filled in once built.
	apigateway *apigatewaySeams
}

// store returns the service's store, opening it once.
func (d *deps) store(name string) (storage.Store, error) {
	if s, ok := d.stores[name]; ok {
		return s, nil
	}
	s, err := d.backend.Store(name)
	if err != nil {
		return nil, err
	}
	d.stores[name] = s
	return s, nil
}

// wiring is what a wire function hands back: the service's own
// declaration, and what only the wiring knows (a second wire protocol).
type wiring struct {
	kit.Declaration
	// alt is a second wire protocol of the service (SQS: query beside
	// JSON), nil for most.
	alt *gateway.AltProtocol
}
