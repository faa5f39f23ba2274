package route53

import (
	"fmt"
	"net"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"time"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Health checks: stored here, probed by the checker (checker.go), and
// read by the DNS answers (source.go) through healthy().

type healthCheckRec struct {
	ID              string
	CallerReference string
	Config          route53api.HealthCheckConfig
	Version         int64
	Tags            map[string]string
	Created         time.Time
}

var (
	healthChecks = storage.NewTable[healthCheckRec]("health-checks")
	hcCallerRefs = storage.NewTable[string]("health-check-caller-refs")
)

func noSuchHealthCheck(id string) error {
	return route53api.ErrNoSuchHealthCheck.New("A health check with id %s does not exist.", id)
}

// defaults fills what Route53 fills in a health check's configuration.
func defaults(c route53api.HealthCheckConfig) (route53api.HealthCheckConfig, error) {
	typ := ptr.Deref(c.Type)
	switch typ {
	case "HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP":
		if c.IPAddress == nil && c.FullyQualifiedDomainName == nil {
			return c, invalidInput("Invalid parameter : Either IPAddress or FullyQualifiedDomainName must be specified for health checks of type %s", typ)
		}
		if typ == "TCP" && c.ResourcePath != nil {
			return c, invalidInput("Invalid parameter : ResourcePath is not allowed for health checks of type TCP")
		}
		if c.Port == nil {
			port := int32(80)
			if typ == "HTTPS" || typ == "HTTPS_STR_MATCH" {
				port = 443
			}
			c.Port = &port
		}
		if c.RequestInterval == nil {
			c.RequestInterval = ptr.To(int32(30))
		}
		if c.FailureThreshold == nil {
			c.FailureThreshold = ptr.To(int32(3))
		}
		if c.MeasureLatency == nil {
			c.MeasureLatency = ptr.To(false)
		}
		if c.EnableSNI == nil {
			c.EnableSNI = ptr.To(typ == "HTTPS" || typ == "HTTPS_STR_MATCH")
		}
		if c.RequestInterval != nil && *c.RequestInterval != 10 && *c.RequestInterval != 30 {
			return c, invalidInput("Invalid parameter : RequestInterval must be either 10 or 30 seconds")
		}
		if f := ptr.Deref(c.FailureThreshold); f < 1 || f > 10 {
			return c, invalidInput("Invalid parameter : FailureThreshold must be between 1 and 10")
		}
		if (typ == "HTTP_STR_MATCH" || typ == "HTTPS_STR_MATCH") && ptr.Deref(c.SearchString) == "" {
			return c, invalidInput("Invalid parameter : SearchString is required for health checks of type %s", typ)
		}
		if c.SearchString != nil && typ != "HTTP_STR_MATCH" && typ != "HTTPS_STR_MATCH" {
			return c, invalidInput("Invalid parameter : SearchString is not allowed for health checks of type %s", typ)
		}
		if c.IPAddress != nil {
			if ip := net.ParseIP(*c.IPAddress); ip == nil {
				return c, invalidInput("Invalid parameter : Invalid IP address: %s", *c.IPAddress)
			}
		}
		if len(c.ChildHealthChecks) > 0 {
			return c, invalidInput("Invalid parameter : ChildHealthChecks is only allowed for health checks of type CALCULATED")
		}
	case "CALCULATED":
		if c.HealthThreshold == nil {
			c.HealthThreshold = ptr.To(int32(len(c.ChildHealthChecks)))
		}
		if t := *c.HealthThreshold; t < 0 || t > 256 {
			return c, invalidInput("Invalid parameter : HealthThreshold must be between 0 and 256")
		}
		if len(c.ChildHealthChecks) > 256 {
			return c, invalidInput("Invalid parameter : A calculated health check can have at most 256 child health checks")
		}
		if c.IPAddress != nil || c.FullyQualifiedDomainName != nil || c.Port != nil || c.ResourcePath != nil {
			return c, invalidInput("Invalid parameter : Endpoint settings are not allowed for health checks of type CALCULATED")
		}
	case "CLOUDWATCH_METRIC":
		if c.AlarmIdentifier == nil {
			return c, invalidInput("Invalid parameter : AlarmIdentifier is required for health checks of type CLOUDWATCH_METRIC")
		}
		if c.InsufficientDataHealthStatus == nil {
			c.InsufficientDataHealthStatus = ptr.To("LastKnownStatus")
		}
	case "RECOVERY_CONTROL":
		if c.RoutingControlArn == nil {
			return c, invalidInput("Invalid parameter : RoutingControlArn is required for health checks of type RECOVERY_CONTROL")
		}
	default:
		return c, invalidInput("Invalid parameter : Unknown health check type: %s", typ)
	}
	if c.Inverted == nil {
		c.Inverted = ptr.To(false)
	}
	if c.Disabled == nil {
		c.Disabled = ptr.To(false)
	}
	return c, nil
}

func hcOut(h healthCheckRec) *route53api.HealthCheck {
	c := h.Config
	return &route53api.HealthCheck{Id: ptr.To(h.ID), CallerReference: ptr.To(h.CallerReference), HealthCheckConfig: &c, HealthCheckVersion: ptr.To(h.Version)}
}

// CreateHealthCheck stores a health check; repeating a CallerReference
// with the same configuration returns the existing one, with another
// configuration fails with HealthCheckAlreadyExists.
func (s *Route53) CreateHealthCheck(ctx *request.Context, in *route53api.CreateHealthCheckInput) (*route53api.CreateHealthCheckOutput, error) {
	if in.HealthCheckConfig == nil {
		return nil, invalidInput("Invalid request: Missing HealthCheckConfig")
	}
	cfg, err := defaults(*in.HealthCheckConfig)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var h healthCheckRec
	err = s.store.Update(func(tx storage.Tx) error {
		id, dup, err := hcCallerRefs.Get(tx, sc, ptr.Deref(in.CallerReference))
		if err != nil {
			return err
		}
		if dup {
			old, ok, err := healthChecks.Get(tx, sc, id)
			if err != nil {
				return err
			}
			if ok && reflect.DeepEqual(old.Config, cfg) {
				h = old
				return nil
			}
			return route53api.ErrHealthCheckAlreadyExists.New("A health check has already been created with the specified caller reference.")
		}
		h = healthCheckRec{ID: awsid.UUID(), CallerReference: ptr.Deref(in.CallerReference), Config: cfg, Version: 1, Created: ctx.Now()}
		if err := hcCallerRefs.Put(tx, sc, h.ID, h.CallerReference); err != nil {
			return err
		}
		if err := hcIndex.Put(tx, indexScope, true, ctx.Account, h.ID); err != nil {
			return err
		}
		return healthChecks.Put(tx, sc, h, h.ID)
	})
	if err != nil {
		return nil, err
	}
	s.wakeHealthChecks()
	return &route53api.CreateHealthCheckOutput{HealthCheck: hcOut(h), Location: ptr.To("https://route53.amazonaws.com/2013-04-01/healthcheck/" + h.ID)}, nil
}

func (s *Route53) getHealthCheck(ctx *request.Context, id string) (healthCheckRec, error) {
	var h healthCheckRec
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		h, ok, err = healthChecks.Get(tx, scope(ctx), id)
		return err
	})
	if err == nil && !ok {
		err = noSuchHealthCheck(id)
	}
	return h, err
}

// GetHealthCheck returns one health check.
func (s *Route53) GetHealthCheck(ctx *request.Context, in *route53api.GetHealthCheckInput) (*route53api.GetHealthCheckOutput, error) {
	h, err := s.getHealthCheck(ctx, ptr.Deref(in.HealthCheckId))
	if err != nil {
		return nil, err
	}
	return &route53api.GetHealthCheckOutput{HealthCheck: hcOut(h)}, nil
}

// observations reports one status per checker region (the check's
// Regions, or Route 53's default list); niwa's single probe stands for
// each of them. Before the first probe the status says so, as Route 53's
// does while a new check propagates.
func (s *Route53) observations(ctx *request.Context, id string, last bool) ([]route53api.HealthCheckObservation, error) {
	var h healthCheckRec
	var st hcStatus
	var ok, seen bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		if h, ok, err = healthChecks.Get(tx, scope(ctx), id); err != nil || !ok {
			return err
		}
		st, seen, err = hcStatuses.Get(tx, scope(ctx), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, noSuchHealthCheck(id)
	}
	if t := ptr.Deref(h.Config.Type); t == "CALCULATED" {
		return nil, invalidInput("Invalid parameter : GetHealthCheckStatus and GetHealthCheckLastFailureReason are not supported for health checks of type %s", t)
	}
	regions := h.Config.Regions
	if len(regions) == 0 {
		regions = checkerRegions
	}
	out := []route53api.HealthCheckObservation{}
	for i, region := range regions {
		report := &route53api.StatusReport{}
		switch {
		case last && !st.FailedAt.IsZero():
			report.Status, report.CheckedTime = ptr.To(st.FailedReport), ptr.To(st.FailedAt.UTC())
		case last:
			continue
		case seen:
			report.Status, report.CheckedTime = ptr.To(st.Report), ptr.To(st.Checked.UTC())
		case ptr.Deref(h.Config.Disabled):
			report.Status, report.CheckedTime = ptr.To("Success: Health check is disabled"), ptr.To(ctx.Now().UTC())
		default:
			report.Status, report.CheckedTime = ptr.To("Unknown: Health checker has not checked the endpoint yet"), ptr.To(ctx.Now().UTC())
		}
		out = append(out, route53api.HealthCheckObservation{
			Region: ptr.To(region), IPAddress: ptr.To(fmt.Sprintf("15.177.%d.%d", i*8, 1+i)), StatusReport: report,
		})
	}
	return out, nil
}

// GetHealthCheckStatus reports what the checkers last saw.
func (s *Route53) GetHealthCheckStatus(ctx *request.Context, in *route53api.GetHealthCheckStatusInput) (*route53api.GetHealthCheckStatusOutput, error) {
	obs, err := s.observations(ctx, ptr.Deref(in.HealthCheckId), false)
	if err != nil {
		return nil, err
	}
	return &route53api.GetHealthCheckStatusOutput{HealthCheckObservations: obs}, nil
}

// GetHealthCheckLastFailureReason reports the checkers' last failed
// probe (none when every probe has succeeded).
func (s *Route53) GetHealthCheckLastFailureReason(ctx *request.Context, in *route53api.GetHealthCheckLastFailureReasonInput) (*route53api.GetHealthCheckLastFailureReasonOutput, error) {
	obs, err := s.observations(ctx, ptr.Deref(in.HealthCheckId), true)
	if err != nil {
		return nil, err
	}
	return &route53api.GetHealthCheckLastFailureReasonOutput{HealthCheckObservations: obs}, nil
}

// DeleteHealthCheck deletes a health check no record set refers to.
func (s *Route53) DeleteHealthCheck(ctx *request.Context, in *route53api.DeleteHealthCheckInput) (*route53api.DeleteHealthCheckOutput, error) {
	id := ptr.Deref(in.HealthCheckId)
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		h, ok, err := healthChecks.Get(tx, sc, id)
		if err != nil {
			return err
		}
		if !ok {
			return noSuchHealthCheck(id)
		}
		inUse := false
		if err := rrsets.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, rs route53api.ResourceRecordSet) bool {
			inUse = ptr.Deref(rs.HealthCheckId) == id
			return !inUse
		}); err != nil {
			return err
		}
		if inUse {
			return route53api.ErrHealthCheckInUse.New("The health check with id %s cannot be deleted because it is referenced by a resource record set.", id)
		}
		if err := healthChecks.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, o healthCheckRec) bool {
			inUse = ptr.Deref(o.Config.Type) == "CALCULATED" && slices.Contains(o.Config.ChildHealthChecks, id)
			return !inUse
		}); err != nil {
			return err
		}
		if inUse {
			return route53api.ErrHealthCheckInUse.New("The health check with id %s cannot be deleted because it is a child of a calculated health check.", id)
		}
		if _, err := hcStatuses.DeleteExisting(tx, sc, h.ID); err != nil {
			return err
		}
		if _, err := hcIndex.DeleteExisting(tx, indexScope, ctx.Account, h.ID); err != nil {
			return err
		}
		// The caller reference stays taken: Route 53 refuses to reuse
		// a deleted check's reference (HealthCheckAlreadyExists).
		return healthChecks.Delete(tx, sc, h.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.DeleteHealthCheckOutput{}, nil
}

// UpdateHealthCheck changes the given settings; HealthCheckVersion, when
// sent, must match the current version.
func (s *Route53) UpdateHealthCheck(ctx *request.Context, in *route53api.UpdateHealthCheckInput) (*route53api.UpdateHealthCheckOutput, error) {
	id := ptr.Deref(in.HealthCheckId)
	var h healthCheckRec
	err := s.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		if h, ok, err = healthChecks.Get(tx, scope(ctx), id); err != nil {
			return err
		} else if !ok {
			return noSuchHealthCheck(id)
		}
		if in.HealthCheckVersion != nil && *in.HealthCheckVersion != h.Version {
			return route53api.ErrHealthCheckVersionMismatch.New("The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the health check.")
		}
		c := &h.Config
		set := func(dst any, src any) {
			if !reflect.ValueOf(src).IsNil() {
				reflect.ValueOf(dst).Elem().Set(reflect.ValueOf(src))
			}
		}
		set(&c.IPAddress, in.IPAddress)
		set(&c.Port, in.Port)
		set(&c.ResourcePath, in.ResourcePath)
		set(&c.FullyQualifiedDomainName, in.FullyQualifiedDomainName)
		set(&c.SearchString, in.SearchString)
		set(&c.FailureThreshold, in.FailureThreshold)
		set(&c.Inverted, in.Inverted)
		set(&c.Disabled, in.Disabled)
		set(&c.HealthThreshold, in.HealthThreshold)
		set(&c.EnableSNI, in.EnableSNI)
		set(&c.AlarmIdentifier, in.AlarmIdentifier)
		set(&c.InsufficientDataHealthStatus, in.InsufficientDataHealthStatus)
		if in.ChildHealthChecks != nil {
			c.ChildHealthChecks = in.ChildHealthChecks
		}
		if in.Regions != nil {
			c.Regions = in.Regions
		}
		// ResetElements puts elements back to their defaults (none, or
		// every checker region).
		for _, e := range in.ResetElements {
			switch e {
			case "ChildHealthChecks":
				c.ChildHealthChecks = nil
			case "FullyQualifiedDomainName":
				c.FullyQualifiedDomainName = nil
			case "Regions":
				c.Regions = nil
			case "ResourcePath":
				c.ResourcePath = nil
			}
		}
		cfg, err := defaults(*c)
		if err != nil {
			return err
		}
		h.Config = cfg
		h.Version++
		return healthChecks.Put(tx, scope(ctx), h, h.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.UpdateHealthCheckOutput{HealthCheck: hcOut(h)}, nil
}

// ListHealthChecks lists health checks in id order; Marker is the id to
// start at.
func (s *Route53) ListHealthChecks(ctx *request.Context, in *route53api.ListHealthChecksInput) (*route53api.ListHealthChecksOutput, error) {
	max, err := maxItems(in.MaxItems, 100)
	if err != nil {
		return nil, err
	}
	out := &route53api.ListHealthChecksOutput{HealthChecks: []route53api.HealthCheck{}, Marker: in.Marker, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(false)}
	err = s.store.View(func(tx storage.Tx) error {
		return healthChecks.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, h healthCheckRec) bool {
			if in.Marker != nil && h.ID < *in.Marker {
				return true
			}
			if len(out.HealthChecks) == max {
				out.IsTruncated, out.NextMarker = ptr.To(true), ptr.To(h.ID)
				return false
			}
			out.HealthChecks = append(out.HealthChecks, *hcOut(h))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetHealthCheckCount counts the account's health checks.
func (s *Route53) GetHealthCheckCount(ctx *request.Context, _ *route53api.GetHealthCheckCountInput) (*route53api.GetHealthCheckCountOutput, error) {
	var n int64
	err := s.store.View(func(tx storage.Tx) error {
		return healthChecks.List(tx, scope(ctx), nil, storage.ListOptions{}, func([]string, healthCheckRec) bool { n++; return true })
	})
	if err != nil {
		return nil, err
	}
	return &route53api.GetHealthCheckCountOutput{HealthCheckCount: &n}, nil
}

// Tags.

// tagged reads or updates the tags of a hosted zone or health check.
func (s *Route53) tagged(ctx *request.Context, typ, id string, update func(map[string]string) error) (map[string]string, error) {
	sc := scope(ctx)
	var tags map[string]string
	run := s.store.View
	if update != nil {
		run = s.store.Update
	}
	err := run(func(tx storage.Tx) error {
		switch typ {
		case "hostedzone":
			z, err := getZone(tx, sc, id)
			if err != nil {
				return err
			}
			if update != nil {
				if z.Tags == nil {
					z.Tags = map[string]string{}
				}
				if err := update(z.Tags); err != nil {
					return err
				}
				if err := zones.Put(tx, sc, z, z.ID); err != nil {
					return err
				}
			}
			tags = z.Tags
		case "healthcheck":
			h, ok, err := healthChecks.Get(tx, sc, id)
			if err != nil {
				return err
			}
			if !ok {
				return noSuchHealthCheck(id)
			}
			if update != nil {
				if h.Tags == nil {
					h.Tags = map[string]string{}
				}
				if err := update(h.Tags); err != nil {
					return err
				}
				if err := healthChecks.Put(tx, sc, h, h.ID); err != nil {
					return err
				}
			}
			tags = h.Tags
		default:
			return invalidInput("Invalid resource type: %s", typ)
		}
		return nil
	})
	return tags, err
}

func tagSet(typ, id string, tags map[string]string) route53api.ResourceTagSet {
	set := route53api.ResourceTagSet{ResourceType: ptr.To(typ), ResourceId: ptr.To(id), Tags: []route53api.Tag{}}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		set.Tags = append(set.Tags, route53api.Tag{Key: ptr.To(k), Value: ptr.To(tags[k])})
	}
	return set
}

// ChangeTagsForResource adds and removes tags (at most 50 per resource).
func (s *Route53) ChangeTagsForResource(ctx *request.Context, in *route53api.ChangeTagsForResourceInput) (*route53api.ChangeTagsForResourceOutput, error) {
	_, err := s.tagged(ctx, ptr.Deref(in.ResourceType), bareID(ptr.Deref(in.ResourceId)), func(tags map[string]string) error {
		for _, k := range in.RemoveTagKeys {
			delete(tags, k)
		}
		for _, t := range in.AddTags {
			tags[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
		}
		if len(tags) > 50 {
			return invalidInput("Number of tags exceeds the limit of 50")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &route53api.ChangeTagsForResourceOutput{}, nil
}

// ListTagsForResource lists one resource's tags.
func (s *Route53) ListTagsForResource(ctx *request.Context, in *route53api.ListTagsForResourceInput) (*route53api.ListTagsForResourceOutput, error) {
	id := bareID(ptr.Deref(in.ResourceId))
	tags, err := s.tagged(ctx, ptr.Deref(in.ResourceType), id, nil)
	if err != nil {
		return nil, err
	}
	set := tagSet(ptr.Deref(in.ResourceType), id, tags)
	return &route53api.ListTagsForResourceOutput{ResourceTagSet: &set}, nil
}

// ListTagsForResources lists the tags of several resources of one type.
func (s *Route53) ListTagsForResources(ctx *request.Context, in *route53api.ListTagsForResourcesInput) (*route53api.ListTagsForResourcesOutput, error) {
	out := &route53api.ListTagsForResourcesOutput{ResourceTagSets: []route53api.ResourceTagSet{}}
	for _, raw := range in.ResourceIds {
		id := bareID(raw)
		tags, err := s.tagged(ctx, ptr.Deref(in.ResourceType), id, nil)
		if err != nil {
			return nil, err
		}
		out.ResourceTagSets = append(out.ResourceTagSets, tagSet(ptr.Deref(in.ResourceType), id, tags))
	}
	return out, nil
}

// GetCheckerIpRanges returns the ranges Route53's health checkers use.
func (s *Route53) GetCheckerIpRanges(*request.Context, *route53api.GetCheckerIpRangesInput) (*route53api.GetCheckerIpRangesOutput, error) {
	return &route53api.GetCheckerIpRangesOutput{CheckerIpRanges: []string{"15.177.0.0/18", "54.183.255.128/26", "54.228.16.0/26"}}, nil
}
