package route53

import (
	"context"
	"errors"
	"strings"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Query logging configs and VPC association authorizations, stored and
// validated as Route 53 does. A query logging config names a CloudWatch
// Logs group in us-east-1; when niwa runs CloudWatch Logs (a "logs"
// handler on the events bus) the group must exist and its resource
// policy must let route53.amazonaws.com write to it, as on AWS. Every
// query the DNS server answers from a zone with a config is written to
// the group (logQuery).

type queryLogRec struct {
	ID       string
	ZoneID   string
	GroupARN string
}

var (
	queryLogs = storage.NewTable[queryLogRec]("query-logging-configs")
	// vpcAuths are (zone id, vpc id) pairs another account may associate.
	vpcAuths = storage.NewTable[vpcRec]("vpc-association-authorizations")
)

func qlOut(q queryLogRec) route53api.QueryLoggingConfig {
	return route53api.QueryLoggingConfig{Id: ptr.To(q.ID), HostedZoneId: ptr.To(q.ZoneID), CloudWatchLogsLogGroupArn: ptr.To(q.GroupARN)}
}

// checkLogGroupARN checks the ARN's shape: a log group in us-east-1.
func checkLogGroupARN(arn string) error {
	p := strings.SplitN(arn, ":", 7)
	if len(p) != 7 || p[0] != "arn" || p[2] != "logs" || p[5] != "log-group" || p[6] == "" || p[4] == "" {
		return route53api.ErrInvalidInput.New("The ARN for the CloudWatch Logs log group is invalid: %s", arn)
	}
	if p[3] != "us-east-1" {
		return route53api.ErrInvalidInput.New("The CloudWatch Logs log group must be in the us-east-1 region: %s", arn)
	}
	return nil
}

// CreateQueryLoggingConfig attaches a log group to a public zone (one
// config per zone).
func (s *Route53) CreateQueryLoggingConfig(ctx *request.Context, in *route53api.CreateQueryLoggingConfigInput) (*route53api.CreateQueryLoggingConfigOutput, error) {
	arn := ptr.Deref(in.CloudWatchLogsLogGroupArn)
	if err := checkLogGroupARN(arn); err != nil {
		return nil, err
	}
	if s.bus != nil {
		err := s.bus.Deliver(context.Background(), events.Message{TargetARN: arn, Validate: true, SourceService: "route53.amazonaws.com", SourceAccount: ctx.Account})
		switch {
		case errors.Is(err, events.ErrNoHandler):
			// niwa runs without CloudWatch Logs: nothing to check.
		case err != nil && errors.As(err, new(*awserr.Error)):
			// CloudWatch Logs' own error: the group is not there.
			return nil, route53api.ErrNoSuchCloudWatchLogsLogGroup.New("The specified CloudWatch Logs log group doesn't exist.")
		case err != nil:
			return nil, route53api.ErrInsufficientCloudWatchLogsResourcePolicy.New("The resource policy that you're using for Route 53 query logging doesn't grant Route 53 sufficient permission to create a log stream in the specified log group.")
		}
	}
	sc := scope(ctx)
	var q queryLogRec
	err := s.store.Update(func(tx storage.Tx) error {
		z, err := getZone(tx, sc, ptr.Deref(in.HostedZoneId))
		if err != nil {
			return err
		}
		if z.Private {
			return invalidInput("Query logging is not supported for private hosted zones: %s", z.ID)
		}
		exists := false
		if err := queryLogs.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, o queryLogRec) bool {
			exists = o.ZoneID == z.ID
			return !exists
		}); err != nil {
			return err
		}
		if exists {
			return route53api.ErrQueryLoggingConfigAlreadyExists.New("A query logging configuration already exists for this hosted zone.")
		}
		q = queryLogRec{ID: awsid.UUID(), ZoneID: z.ID, GroupARN: arn}
		return queryLogs.Put(tx, sc, q, q.ID)
	})
	if err != nil {
		return nil, err
	}
	out := qlOut(q)
	return &route53api.CreateQueryLoggingConfigOutput{QueryLoggingConfig: &out, Location: ptr.To("https://route53.amazonaws.com/2013-04-01/queryloggingconfig/" + q.ID)}, nil
}

func noSuchQueryLog(id string) error {
	return route53api.ErrNoSuchQueryLoggingConfig.New("There is no DNS query logging configuration with the ID %s.", id)
}

// GetQueryLoggingConfig returns one config.
func (s *Route53) GetQueryLoggingConfig(ctx *request.Context, in *route53api.GetQueryLoggingConfigInput) (*route53api.GetQueryLoggingConfigOutput, error) {
	var q queryLogRec
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		q, ok, err = queryLogs.Get(tx, scope(ctx), ptr.Deref(in.Id))
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noSuchQueryLog(ptr.Deref(in.Id))
	}
	out := qlOut(q)
	return &route53api.GetQueryLoggingConfigOutput{QueryLoggingConfig: &out}, nil
}

// DeleteQueryLoggingConfig deletes one config.
func (s *Route53) DeleteQueryLoggingConfig(ctx *request.Context, in *route53api.DeleteQueryLoggingConfigInput) (*route53api.DeleteQueryLoggingConfigOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		ok, err := queryLogs.DeleteExisting(tx, scope(ctx), ptr.Deref(in.Id))
		if err == nil && !ok {
			err = noSuchQueryLog(ptr.Deref(in.Id))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &route53api.DeleteQueryLoggingConfigOutput{}, nil
}

// ListQueryLoggingConfigs lists the account's configs (or one zone's),
// NextToken being the id to start at.
func (s *Route53) ListQueryLoggingConfigs(ctx *request.Context, in *route53api.ListQueryLoggingConfigsInput) (*route53api.ListQueryLoggingConfigsOutput, error) {
	max, err := maxItems(in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	out := &route53api.ListQueryLoggingConfigsOutput{QueryLoggingConfigs: []route53api.QueryLoggingConfig{}}
	err = s.store.View(func(tx storage.Tx) error {
		zoneID := ""
		if in.HostedZoneId != nil {
			z, err := getZone(tx, sc, *in.HostedZoneId)
			if err != nil {
				return err
			}
			zoneID = z.ID
		}
		return queryLogs.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, q queryLogRec) bool {
			if (in.NextToken != nil && q.ID < *in.NextToken) || (zoneID != "" && q.ZoneID != zoneID) {
				return true
			}
			if len(out.QueryLoggingConfigs) == max {
				out.NextToken = ptr.To(q.ID)
				return false
			}
			out.QueryLoggingConfigs = append(out.QueryLoggingConfigs, qlOut(q))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// VPC association authorizations.

// vpcAuthZone reads a private zone for the authorization operations.
func (s *Route53) vpcAuthZone(tx storage.Tx, ctx *request.Context, id string) (zoneRec, error) {
	z, err := getZone(tx, scope(ctx), id)
	if err == nil && !z.Private {
		err = invalidInput("The hosted zone %s is not a private hosted zone.", z.ID)
	}
	return z, err
}

// CreateVPCAssociationAuthorization lets another account associate a
// VPC with this account's private zone.
func (s *Route53) CreateVPCAssociationAuthorization(ctx *request.Context, in *route53api.CreateVPCAssociationAuthorizationInput) (*route53api.CreateVPCAssociationAuthorizationOutput, error) {
	if in.VPC == nil {
		return nil, invalidInput("Invalid request: Missing field 'VPC'")
	}
	v, err := s.checkVPC(ctx, in.VPC)
	if err != nil {
		return nil, err
	}
	var zoneID string
	err = s.store.Update(func(tx storage.Tx) error {
		z, err := s.vpcAuthZone(tx, ctx, ptr.Deref(in.HostedZoneId))
		if err != nil {
			return err
		}
		zoneID = z.ID
		n := 0
		if err := vpcAuths.List(tx, scope(ctx), []string{z.ID}, storage.ListOptions{}, func([]string, vpcRec) bool { n++; return true }); err != nil {
			return err
		}
		if n >= 100 {
			return route53api.ErrTooManyVPCAssociationAuthorizations.New("You've created the maximum number of authorizations that can be created for the specified hosted zone.")
		}
		return vpcAuths.Put(tx, scope(ctx), v, z.ID, v.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.CreateVPCAssociationAuthorizationOutput{HostedZoneId: ptr.To(zoneID), VPC: &route53api.VPC{VPCId: ptr.To(v.ID), VPCRegion: ptr.To(v.Region)}}, nil
}

// DeleteVPCAssociationAuthorization withdraws an authorization.
func (s *Route53) DeleteVPCAssociationAuthorization(ctx *request.Context, in *route53api.DeleteVPCAssociationAuthorizationInput) (*route53api.DeleteVPCAssociationAuthorizationOutput, error) {
	if in.VPC == nil {
		return nil, invalidInput("Invalid request: Missing field 'VPC'")
	}
	err := s.store.Update(func(tx storage.Tx) error {
		z, err := s.vpcAuthZone(tx, ctx, ptr.Deref(in.HostedZoneId))
		if err != nil {
			return err
		}
		ok, err := vpcAuths.DeleteExisting(tx, scope(ctx), z.ID, ptr.Deref(in.VPC.VPCId))
		if err == nil && !ok {
			err = route53api.ErrVPCAssociationAuthorizationNotFound.New("The VPC: %s was not authorized to associate with hosted zone %s.", ptr.Deref(in.VPC.VPCId), z.ID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &route53api.DeleteVPCAssociationAuthorizationOutput{}, nil
}

// ListVPCAssociationAuthorizations lists a zone's authorizations,
// NextToken being the VPC id to start at.
func (s *Route53) ListVPCAssociationAuthorizations(ctx *request.Context, in *route53api.ListVPCAssociationAuthorizationsInput) (*route53api.ListVPCAssociationAuthorizationsOutput, error) {
	max, err := maxItems(in.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	out := &route53api.ListVPCAssociationAuthorizationsOutput{VPCs: []route53api.VPC{}}
	err = s.store.View(func(tx storage.Tx) error {
		z, err := s.vpcAuthZone(tx, ctx, ptr.Deref(in.HostedZoneId))
		if err != nil {
			return err
		}
		out.HostedZoneId = ptr.To(z.ID)
		return vpcAuths.List(tx, scope(ctx), []string{z.ID}, storage.ListOptions{}, func(_ []string, v vpcRec) bool {
			if in.NextToken != nil && v.ID < *in.NextToken {
				return true
			}
			if len(out.VPCs) == max {
				out.NextToken = ptr.To(v.ID)
				return false
			}
			out.VPCs = append(out.VPCs, route53api.VPC{VPCId: ptr.To(v.ID), VPCRegion: ptr.To(v.Region)})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// queryLogEdge is the edge location niwa's query log lines name (AWS
// names the edge that answered, such as "FRA6").
const queryLogEdge = "LOCAL1"

// logQuery writes a query a public zone answered to the zone's query
// logging log group, in Route 53's format:
//
//	1.0 2017-12-13T08:15:50.235Z Z123412341234 example.com A NOERROR UDP FRA6 192.168.1.1 -
//
// to the stream <zone id>/<edge location>, as Route 53 writes them.
func (s *Route53) logQuery(q dns.QueryLog) {
	var cfg queryLogRec
	found := false
	err := s.store.View(func(tx storage.Tx) error {
		return queryLogs.List(tx, storage.Global(q.Zone.Account), nil, storage.ListOptions{}, func(_ []string, o queryLogRec) bool {
			if o.ZoneID == q.Zone.ID {
				cfg, found = o, true
			}
			return !found
		})
	})
	if err != nil || !found {
		return
	}
	resolver, subnet := "-", "-"
	if q.Resolver.IsValid() {
		resolver = q.Resolver.String()
	}
	if q.Subnet.IsValid() {
		subnet = q.Subnet.String()
	}
	line := strings.Join([]string{"1.0", s.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z"), q.Zone.ID, q.Name, q.Type,
		q.Rcode, q.Protocol, queryLogEdge, resolver, subnet}, " ")
	// A log group that went away (or whose policy changed) loses the
	// line, as Route 53's delivery would.
	_ = s.bus.Deliver(context.Background(), events.Message{TargetARN: strings.TrimSuffix(cfg.GroupARN, ":*"), Body: line,
		LogStream: q.Zone.ID + "/" + queryLogEdge, SourceService: "route53.amazonaws.com",
		SourceARN: "arn:aws:route53:::hostedzone/" + q.Zone.ID, SourceAccount: q.Zone.Account})
}
