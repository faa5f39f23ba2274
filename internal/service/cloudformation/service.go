// Package cloudformation is AWS CloudFormation: stacks of resources
// described by templates, created, updated and deleted in dependency
// order with AWS's statuses and events. The engine parses templates and
// resolves intrinsic functions itself; resources are made by the
// providers each service declares (kit.Declaration.Resources), which the
// platform hands over as a lookup, so this package imports no service.
package cloudformation

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Providers finds the provider of a resource type.
type Providers func(resourceType string) (kit.ResourceProvider, bool)

// Lookups are the values templates read from other services: SSM
// parameters (AWS::SSM::Parameter::Value<> parameters, {{resolve:ssm:}})
// and Secrets Manager secrets ({{resolve:secretsmanager:}}), and
// template bodies at S3 URLs. The platform provides them.
type Lookups struct {
	SSMParameter func(ctx *request.Context, name string) (string, error)
	Secret       func(ctx *request.Context, secretID, stage, versionID string) (string, error)
	TemplateURL  func(ctx *request.Context, url string) (string, error)
}

// CloudFormation is the service.
type CloudFormation struct {
	store     storage.Store
	clock     clock.Clock
	log       *slog.Logger
	providers Providers
	lookups   Lookups
	invoke    Invoker
	endpoint  func() string
	assume    func(ctx *request.Context, roleARN string) (request.Caller, error)
	pending   pending
	// signals are the signals resources and wait conditions wait for;
	// stops the running updates' cancellations.
	signals signalBoxes
	stops   cancels

	// mu serializes read-modify-write of stack records between handlers
	// and the goroutines that run stack operations.
	mu sync.Mutex
	// ops are the running stack operations, so Close and Reset can stop
	// them.
	ops    sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// Config is what the platform gives CloudFormation beyond kit.Deps.
type Config struct {
	// Providers finds resource providers among the services' declarations.
	Providers Providers
	Lookups   Lookups
	// Invoke delivers custom resource requests.
	Invoke Invoker
	// Endpoint is niwa's base URL as code running inside niwa reaches
	// it, for custom resources' ResponseURL ("" before niwa listens).
	Endpoint func() string
	// AssumeRole is CloudFormation assuming a stack's service role
	// (RoleARN): the role must trust cloudformation.amazonaws.com. nil:
	// stacks run as their caller.
	AssumeRole func(ctx *request.Context, roleARN string) (request.Caller, error)
}

// New makes the service.
func New(store storage.Store, clk clock.Clock, log *slog.Logger, cfg Config) *CloudFormation {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Providers == nil {
		cfg.Providers = func(string) (kit.ResourceProvider, bool) { return kit.ResourceProvider{}, false }
	}
	c := &CloudFormation{store: store, clock: clk, log: log, providers: cfg.Providers, lookups: cfg.Lookups,
		invoke: cfg.Invoke, endpoint: cfg.Endpoint, assume: cfg.AssumeRole}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.signals.key = []byte(awsid.Hex(32))
	return c
}

// Declare is CloudFormation as the platform sees it.
func (c *CloudFormation) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      c,
		Namespace: "cloudformation",
		Authz:     kit.Authz{Resources: resources},
		NotImplemented: kit.Reasons{}.Add("niwa runs one account and region per stack; stack sets are not implemented",
			"CreateStackSet", "DeleteStackSet", "DescribeStackSet", "ListStackSets", "UpdateStackSet",
			"CreateStackInstances", "DeleteStackInstances", "DescribeStackInstance", "ListStackInstances",
			"UpdateStackInstances", "DescribeStackSetOperation", "ListStackSetOperations",
			"ListStackSetOperationResults", "StopStackSetOperation", "ImportStacksToStackSet",
			"DetectStackSetDrift", "ListStackSetAutoDeploymentTargets", "ListStackInstanceResourceDrifts",
			"ActivateOrganizationsAccess", "DeactivateOrganizationsAccess", "DescribeOrganizationsAccess").
			Add("niwa has no CloudFormation registry: the resource types are those its services provide (docs/cloudformation.md)",
				"ActivateType", "DeactivateType", "DeregisterType", "DescribeType", "DescribeTypeRegistration", "ListTypes",
				"ListTypeRegistrations", "ListTypeVersions", "PublishType", "RegisterPublisher", "DescribePublisher", "RegisterType",
				"SetTypeConfiguration", "SetTypeDefaultVersion", "TestType", "BatchDescribeTypeConfigurations", "RecordHandlerProgress").
			Add("niwa has no prices: a template's cost is for the AWS Pricing Calculator (https://calculator.aws), which niwa does not run",
				"EstimateTemplateCost").
			Add("niwa does not scan existing resources into templates (IaC generator)",
				"CreateGeneratedTemplate", "DeleteGeneratedTemplate", "DescribeGeneratedTemplate", "GetGeneratedTemplate",
				"ListGeneratedTemplates", "UpdateGeneratedTemplate", "StartResourceScan", "DescribeResourceScan", "ListResourceScans",
				"ListResourceScanResources", "ListResourceScanRelatedResources"),
		// Custom resources answer at their ResponseURL.
		Routes: []kit.Route{c.responseRoute(), c.waitRoute()},
		Reset:  c.Reset,
		Close:  c.Close,
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	if n := in.Str("StackName"); n != "" {
		if len(n) > 4 && n[:4] == "arn:" {
			return []string{n}
		}
		return []string{kit.ARN("cloudformation", env.Region, env.Account, "stack/"+n+"/*")}
	}
	return nil
}

// Close stops running stack operations.
func (c *CloudFormation) Close() error {
	c.cancel()
	c.ops.Wait()
	return nil
}

// Reset stops running operations (their stacks are gone with the store)
// and starts afresh.
func (c *CloudFormation) Reset() error {
	c.cancel()
	c.ops.Wait()
	c.mu.Lock()
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.mu.Unlock()
	return nil
}

func validation(format string, args ...any) error {
	return awserr.ValidationError.New(format, args...)
}

// stackRec is a stack as stored.
type stackRec struct {
	ID, Name, Description    string
	Account, Region          string
	Status, StatusReason     string
	Created, Updated         time.Time
	Deleted                  time.Time
	Template                 string
	PrevTemplate             string
	Params                   []paramRec
	Tags                     []tagRec
	Capabilities             []string
	NotificationARNs         []string
	DisableRollback          bool
	TerminationProtection    bool
	RoleARN                  string
	TimeoutInMinutes         int32
	Policy                   string
	Outputs                  []outputRec
	Resources                map[string]*resourceRec
	Events                   []eventRec
	Imports                  []string
	Caller                   request.Caller
	Token                    string
	ParentID, RootID         string
	DriftStatus              string
	DriftChecked             time.Time
	Detections               []detectionRec
	LastOperationFailedTypes []string
	// PrevState is the stack before a failed update left with
	// DisableRollback (RollbackStack puts it back).
	PrevState string
}

type paramRec struct {
	Key, Value, Resolved string
	NoEcho               bool
}

type tagRec struct{ Key, Value string }

type outputRec struct {
	Key, Value, Description, ExportName string
}

type resourceRec struct {
	LogicalID, Type     string
	PhysicalID, Ref     string
	Status, Reason      string
	Updated             time.Time
	Props               map[string]any
	Attrs               map[string]any
	Metadata            string
	Description         string
	DeletionPolicy      string
	UpdateReplacePolicy string
	DependsOn           []string
	Drift               *driftRec
}

type eventRec struct {
	ID, LogicalID, PhysicalID, Type string
	Status, Reason, Properties      string
	Token                           string
	Time                            time.Time
}

var stacks = storage.NewTable[stackRec]("stacks")
