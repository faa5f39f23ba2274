package route53

import (
	"strconv"
	"time"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Reusable delegation sets: four name servers that several public hosted
// zones share. A set is made fresh or from an existing public zone's
// name servers (HostedZoneId); CreateHostedZone with DelegationSetId
// gives the new zone the set's name servers.

type delegationSetRec struct {
	ID              string
	CallerReference string
	NameServers     []string
	Created         time.Time
}

var (
	delegationSets = storage.NewTable[delegationSetRec]("delegation-sets")
	dsCallerRefs   = storage.NewTable[string]("delegation-set-caller-refs")
)

// Route 53's default quotas, which the Get*Limit operations report.
const (
	maxHealthChecks      = 200
	maxHostedZones       = 500
	maxDelegationSets    = 100
	maxTrafficPolicies   = 50
	maxPolicyInstances   = 5
	maxZonesPerDelegSet  = 100
	maxVPCsPerZone       = 300
	delegationSetIDChars = 20
)

func newDelegationSetID() string { return "N" + awsid.String(idAlphabet, delegationSetIDChars) }

func noSuchDelegationSet(id string) error {
	return route53api.ErrNoSuchDelegationSet.New("Delegation set not found: %s", id)
}

func dsOut(d delegationSetRec) route53api.DelegationSet {
	return route53api.DelegationSet{Id: ptr.To("/delegationset/" + d.ID), CallerReference: ptr.To(d.CallerReference), NameServers: d.NameServers}
}

// getDelegationSet reads one of the account's sets.
func getDelegationSet(tx storage.Tx, sc storage.Scope, id string) (delegationSetRec, error) {
	id = bareID(id)
	d, ok, err := delegationSets.Get(tx, sc, id)
	if err == nil && !ok {
		err = noSuchDelegationSet(id)
	}
	return d, err
}

// zonesUsing counts the account's zones that use delegation set id.
func zonesUsing(tx storage.Tx, sc storage.Scope, id string) (int64, error) {
	var n int64
	err := zones.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, z zoneRec) bool {
		if z.DelegationSetID == id {
			n++
		}
		return true
	})
	return n, err
}

// CreateReusableDelegationSet makes a reusable set.
func (s *Route53) CreateReusableDelegationSet(ctx *request.Context, in *route53api.CreateReusableDelegationSetInput) (*route53api.CreateReusableDelegationSetOutput, error) {
	sc := scope(ctx)
	var d delegationSetRec
	err := s.store.Update(func(tx storage.Tx) error {
		ref := ptr.Deref(in.CallerReference)
		if _, dup, err := dsCallerRefs.Get(tx, sc, ref); err != nil {
			return err
		} else if dup {
			return route53api.ErrDelegationSetAlreadyCreated.New("A delegation set with the same owner and caller reference combination has already been created.")
		}
		var n int
		if err := delegationSets.List(tx, sc, nil, storage.ListOptions{}, func([]string, delegationSetRec) bool { n++; return true }); err != nil {
			return err
		}
		if n >= maxDelegationSets {
			return route53api.ErrLimitsExceeded.New("The limit on the number of reusable delegation sets (%d) has been exceeded.", maxDelegationSets)
		}
		d = delegationSetRec{ID: newDelegationSetID(), CallerReference: ref, Created: ctx.Now()}
		if in.HostedZoneId != nil {
			z, err := getZone(tx, sc, *in.HostedZoneId)
			if err != nil {
				return err
			}
			if z.Private {
				return route53api.ErrHostedZoneNotFound.New("The specified hosted zone is a private hosted zone: %s", z.ID)
			}
			if z.DelegationSetID != "" {
				return route53api.ErrDelegationSetAlreadyReusable.New("The delegation set of hosted zone %s is already reusable.", z.ID)
			}
			d.NameServers = z.NameServers
			z.DelegationSetID = d.ID
			if err := zones.Put(tx, sc, z, z.ID); err != nil {
				return err
			}
		} else {
			d.NameServers = delegationSet(d.ID)
		}
		if err := dsCallerRefs.Put(tx, sc, d.ID, ref); err != nil {
			return err
		}
		return delegationSets.Put(tx, sc, d, d.ID)
	})
	if err != nil {
		return nil, err
	}
	out := dsOut(d)
	return &route53api.CreateReusableDelegationSetOutput{DelegationSet: &out, Location: ptr.To("https://route53.amazonaws.com/2013-04-01/delegationset/" + d.ID)}, nil
}

// GetReusableDelegationSet returns one set.
func (s *Route53) GetReusableDelegationSet(ctx *request.Context, in *route53api.GetReusableDelegationSetInput) (*route53api.GetReusableDelegationSetOutput, error) {
	var d delegationSetRec
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		d, err = getDelegationSet(tx, scope(ctx), ptr.Deref(in.Id))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := dsOut(d)
	return &route53api.GetReusableDelegationSetOutput{DelegationSet: &out}, nil
}

// DeleteReusableDelegationSet deletes a set no zone uses.
func (s *Route53) DeleteReusableDelegationSet(ctx *request.Context, in *route53api.DeleteReusableDelegationSetInput) (*route53api.DeleteReusableDelegationSetOutput, error) {
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		d, err := getDelegationSet(tx, sc, ptr.Deref(in.Id))
		if err != nil {
			return err
		}
		n, err := zonesUsing(tx, sc, d.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return route53api.ErrDelegationSetInUse.New("The specified delegation set is in use by %d hosted zone(s): %s", n, d.ID)
		}
		// The caller reference stays taken, as for hosted zones.
		return delegationSets.Delete(tx, sc, d.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.DeleteReusableDelegationSetOutput{}, nil
}

// ListReusableDelegationSets lists the account's sets in id order.
func (s *Route53) ListReusableDelegationSets(ctx *request.Context, in *route53api.ListReusableDelegationSetsInput) (*route53api.ListReusableDelegationSetsOutput, error) {
	max, err := maxItems(in.MaxItems, 100)
	if err != nil {
		return nil, err
	}
	marker := bareID(ptr.Deref(in.Marker))
	out := &route53api.ListReusableDelegationSetsOutput{DelegationSets: []route53api.DelegationSet{}, Marker: in.Marker, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(false)}
	err = s.store.View(func(tx storage.Tx) error {
		return delegationSets.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, d delegationSetRec) bool {
			if marker != "" && d.ID < marker {
				return true
			}
			if len(out.DelegationSets) == max {
				out.IsTruncated, out.NextMarker = ptr.To(true), ptr.To(d.ID)
				return false
			}
			out.DelegationSets = append(out.DelegationSets, dsOut(d))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Limits.

// GetAccountLimit reports one of the account's quotas (Route 53's
// defaults) and how much of it is used.
func (s *Route53) GetAccountLimit(ctx *request.Context, in *route53api.GetAccountLimitInput) (*route53api.GetAccountLimitOutput, error) {
	typ := ptr.Deref(in.Type)
	var limit int64
	var count int64
	countIn := func(list func(tx storage.Tx) error) error { return s.store.View(list) }
	sc := scope(ctx)
	var err error
	switch typ {
	case "MAX_HEALTH_CHECKS_BY_OWNER":
		limit = maxHealthChecks
		err = countIn(func(tx storage.Tx) error {
			return healthChecks.List(tx, sc, nil, storage.ListOptions{}, func([]string, healthCheckRec) bool { count++; return true })
		})
	case "MAX_HOSTED_ZONES_BY_OWNER":
		limit = maxHostedZones
		err = countIn(func(tx storage.Tx) error {
			return zones.List(tx, sc, nil, storage.ListOptions{}, func([]string, zoneRec) bool { count++; return true })
		})
	case "MAX_REUSABLE_DELEGATION_SETS_BY_OWNER":
		limit = maxDelegationSets
		err = countIn(func(tx storage.Tx) error {
			return delegationSets.List(tx, sc, nil, storage.ListOptions{}, func([]string, delegationSetRec) bool { count++; return true })
		})
	case "MAX_TRAFFIC_POLICIES_BY_OWNER":
		limit = maxTrafficPolicies
		err = countIn(func(tx storage.Tx) error {
			last := ""
			return trafficPolicies.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, p trafficPolicyRec) bool {
				if p.ID != last {
					count++
					last = p.ID
				}
				return true
			})
		})
	case "MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER":
		limit = maxPolicyInstances
		err = countIn(func(tx storage.Tx) error {
			return policyInstances.List(tx, sc, nil, storage.ListOptions{}, func([]string, policyInstanceRec) bool { count++; return true })
		})
	default:
		return nil, invalidInput("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER, MAX_HEALTH_CHECKS_BY_OWNER, MAX_REUSABLE_DELEGATION_SETS_BY_OWNER, MAX_HOSTED_ZONES_BY_OWNER, MAX_TRAFFIC_POLICIES_BY_OWNER]", typ)
	}
	if err != nil {
		return nil, err
	}
	return &route53api.GetAccountLimitOutput{Limit: &route53api.AccountLimit{Type: ptr.To(typ), Value: ptr.To(limit)}, Count: ptr.To(count)}, nil
}

// GetHostedZoneLimit reports one of a zone's quotas and its use.
func (s *Route53) GetHostedZoneLimit(ctx *request.Context, in *route53api.GetHostedZoneLimitInput) (*route53api.GetHostedZoneLimitOutput, error) {
	typ := ptr.Deref(in.Type)
	if typ != "MAX_RRSETS_BY_ZONE" && typ != "MAX_VPCS_ASSOCIATED_BY_ZONE" {
		return nil, invalidInput("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [MAX_VPCS_ASSOCIATED_BY_ZONE, MAX_RRSETS_BY_ZONE]", typ)
	}
	var z zoneRec
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		z, err = getZone(tx, scope(ctx), ptr.Deref(in.HostedZoneId))
		return err
	})
	if err != nil {
		return nil, err
	}
	if typ == "MAX_VPCS_ASSOCIATED_BY_ZONE" {
		if !z.Private {
			return nil, route53api.ErrHostedZoneNotPrivate.New("The hosted zone %s is not a private hosted zone.", z.ID)
		}
		return &route53api.GetHostedZoneLimitOutput{Limit: &route53api.HostedZoneLimit{Type: ptr.To(typ), Value: ptr.To(int64(maxVPCsPerZone))}, Count: ptr.To(int64(len(z.VPCs)))}, nil
	}
	return &route53api.GetHostedZoneLimitOutput{Limit: &route53api.HostedZoneLimit{Type: ptr.To(typ), Value: ptr.To(int64(maxRRSetsPerZone))}, Count: ptr.To(z.RecordCount)}, nil
}

// GetReusableDelegationSetLimit reports how many zones a set may serve
// and serves.
func (s *Route53) GetReusableDelegationSetLimit(ctx *request.Context, in *route53api.GetReusableDelegationSetLimitInput) (*route53api.GetReusableDelegationSetLimitOutput, error) {
	typ := ptr.Deref(in.Type)
	if typ != "MAX_ZONES_BY_REUSABLE_DELEGATION_SET" {
		return nil, invalidInput("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [MAX_ZONES_BY_REUSABLE_DELEGATION_SET]", typ)
	}
	var n int64
	err := s.store.View(func(tx storage.Tx) error {
		d, err := getDelegationSet(tx, scope(ctx), ptr.Deref(in.DelegationSetId))
		if err != nil {
			return err
		}
		n, err = zonesUsing(tx, scope(ctx), d.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &route53api.GetReusableDelegationSetLimitOutput{Limit: &route53api.ReusableDelegationSetLimit{Type: ptr.To(typ), Value: ptr.To(int64(maxZonesPerDelegSet))}, Count: ptr.To(n)}, nil
}
