package rds

import (
	"encoding/json"
	"sort"
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// servicePrincipal is who delivers RDS's notifications to SNS (topic
// policies match it).
const servicePrincipal = "rds.amazonaws.com"

type optionGroupRec struct {
	Name, ARN, Engine, Major, Description string
	Tags                                  []rdsapi.Tag
}

var (
	optionGroups = storage.NewTable[optionGroupRec]("option-groups")
	eventSubs    = storage.NewTable[eventSubRec]("event-subscriptions")
)

func (g optionGroupRec) describe() rdsapi.OptionGroup {
	return rdsapi.OptionGroup{OptionGroupName: ptr.To(g.Name), OptionGroupArn: ptr.To(g.ARN), EngineName: ptr.To(g.Engine),
		MajorEngineVersion: ptr.To(g.Major), OptionGroupDescription: ptr.To(g.Description), Options: []rdsapi.Option{},
		AllowsVpcAndNonVpcInstanceMemberships: ptr.To(true)}
}

// CreateOptionGroup records an option group (API level: niwa's engines
// take no options).
func (s *RDS) CreateOptionGroup(ctx *request.Context, in *rdsapi.CreateOptionGroupInput) (*rdsapi.CreateOptionGroupOutput, error) {
	engine, major := ptr.Deref(in.EngineName), ptr.Deref(in.MajorEngineVersion)
	ok := false
	for _, v := range engineVersions[engine] {
		ok = ok || strings.HasPrefix(v, major+".")
	}
	if !ok {
		return nil, awserr.InvalidParameterCombination.New("Cannot find major version %s for %s", major, engine)
	}
	name := strings.ToLower(ptr.Deref(in.OptionGroupName))
	g := optionGroupRec{Name: name, ARN: arn(ctx, "og", name), Engine: engine, Major: major, Description: ptr.Deref(in.OptionGroupDescription), Tags: in.Tags}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, found, err := optionGroups.Get(tx, scope(ctx), name); err != nil {
			return err
		} else if found {
			return rdsapi.ErrOptionGroupAlreadyExistsFault.New("Option group %s already exists.", name)
		}
		return optionGroups.Put(tx, scope(ctx), g, name)
	})
	if err != nil {
		return nil, err
	}
	d := g.describe()
	return &rdsapi.CreateOptionGroupOutput{OptionGroup: &d}, nil
}

// DescribeOptionGroups lists option groups.
func (s *RDS) DescribeOptionGroups(ctx *request.Context, in *rdsapi.DescribeOptionGroupsInput) (*rdsapi.DescribeOptionGroupsOutput, error) {
	var gs []optionGroupRec
	err := s.store.View(func(tx storage.Tx) error {
		return optionGroups.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, g optionGroupRec) bool {
			if n := strings.ToLower(ptr.Deref(in.OptionGroupName)); n != "" && g.Name != n {
				return true
			}
			if e := ptr.Deref(in.EngineName); e != "" && g.Engine != e {
				return true
			}
			if m := ptr.Deref(in.MajorEngineVersion); m != "" && g.Major != m {
				return true
			}
			gs = append(gs, g)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if ptr.Deref(in.OptionGroupName) != "" && len(gs) == 0 {
		return nil, rdsapi.ErrOptionGroupNotFoundFault.New("Specified OptionGroupName: %s not found.", ptr.Deref(in.OptionGroupName))
	}
	page, marker, err := paginate(gs, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &rdsapi.DescribeOptionGroupsOutput{Marker: marker, OptionGroupsList: []rdsapi.OptionGroup{}}
	for _, g := range page {
		out.OptionGroupsList = append(out.OptionGroupsList, g.describe())
	}
	return out, nil
}

// DeleteOptionGroup deletes an option group.
func (s *RDS) DeleteOptionGroup(ctx *request.Context, in *rdsapi.DeleteOptionGroupInput) (*rdsapi.DeleteOptionGroupOutput, error) {
	name := strings.ToLower(ptr.Deref(in.OptionGroupName))
	if strings.HasPrefix(name, "default:") {
		return nil, rdsapi.ErrInvalidOptionGroupStateFault.New("Default option group %s cannot be deleted", name)
	}
	err := s.store.Update(func(tx storage.Tx) error {
		ok, err := optionGroups.DeleteExisting(tx, scope(ctx), name)
		if err == nil && !ok {
			err = rdsapi.ErrOptionGroupNotFoundFault.New("Specified OptionGroupName: %s not found.", ptr.Deref(in.OptionGroupName))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.DeleteOptionGroupOutput{}, nil
}

// eventSubRec is an event subscription: matching events go to an SNS
// topic.
type eventSubRec struct {
	Name, ARN, Topic, SourceType, Created string
	Categories, SourceIDs                 []string
	Enabled                               bool
	Tags                                  []rdsapi.Tag
}

func (e eventSubRec) describe(account string) rdsapi.EventSubscription {
	return rdsapi.EventSubscription{CustSubscriptionId: ptr.To(e.Name), CustomerAwsId: ptr.To(account), EventSubscriptionArn: ptr.To(e.ARN),
		SnsTopicArn: ptr.To(e.Topic), Status: ptr.To("active"), SubscriptionCreationTime: ptr.To(e.Created),
		SourceType: ptr.To(e.SourceType), SourceIdsList: e.SourceIDs, EventCategoriesList: e.Categories, Enabled: ptr.To(e.Enabled)}
}

func (e eventSubRec) matches(ev eventRec) bool {
	if !e.Enabled || (e.SourceType != "" && e.SourceType != ev.Type) {
		return false
	}
	if len(e.SourceIDs) > 0 && !contains(e.SourceIDs, ev.Source) {
		return false
	}
	return len(e.Categories) == 0 || contains(e.Categories, ev.Category)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// CreateEventSubscription sends matching events to an SNS topic, which
// must let rds.amazonaws.com publish.
func (s *RDS) CreateEventSubscription(ctx *request.Context, in *rdsapi.CreateEventSubscriptionInput) (*rdsapi.CreateEventSubscriptionOutput, error) {
	name := ptr.Deref(in.SubscriptionName)
	typ := ptr.Deref(in.SourceType)
	if typ != "" && typ != "db-instance" && typ != "db-snapshot" && typ != "db-parameter-group" && typ != "db-security-group" && typ != "db-cluster" && typ != "db-cluster-snapshot" && typ != "db-proxy" {
		return nil, awserr.InvalidParameterValue.New("Invalid source type: %s", typ)
	}
	e := eventSubRec{Name: name, ARN: arn(ctx, "es", name), Topic: ptr.Deref(in.SnsTopicArn), SourceType: typ,
		Categories: in.EventCategories, SourceIDs: in.SourceIds, Enabled: in.Enabled == nil || *in.Enabled, Tags: in.Tags,
		Created: now(ctx).Format("2006-01-02 15:04:05.000")}
	if s.bus != nil {
		if err := s.bus.Deliver(ctx, events.Message{TargetARN: e.Topic, Validate: true, SourceService: servicePrincipal,
			SourceARN: e.ARN, SourceAccount: ctx.Account}); err != nil {
			return nil, rdsapi.ErrSNSInvalidTopicFault.New("SNS topic %s is invalid or rds.amazonaws.com may not publish to it.", e.Topic)
		}
	}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := eventSubs.Get(tx, scope(ctx), name); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrSubscriptionAlreadyExistFault.New("Subscription %s already exists.", name)
		}
		return eventSubs.Put(tx, scope(ctx), e, name)
	})
	if err != nil {
		return nil, err
	}
	d := e.describe(ctx.Account)
	return &rdsapi.CreateEventSubscriptionOutput{EventSubscription: &d}, nil
}

// DescribeEventSubscriptions lists event subscriptions.
func (s *RDS) DescribeEventSubscriptions(ctx *request.Context, in *rdsapi.DescribeEventSubscriptionsInput) (*rdsapi.DescribeEventSubscriptionsOutput, error) {
	var es []eventSubRec
	err := s.store.View(func(tx storage.Tx) error {
		return eventSubs.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, e eventSubRec) bool {
			if n := ptr.Deref(in.SubscriptionName); n == "" || n == e.Name {
				es = append(es, e)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if n := ptr.Deref(in.SubscriptionName); n != "" && len(es) == 0 {
		return nil, rdsapi.ErrSubscriptionNotFoundFault.New("Subscription %s not found.", n)
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Name < es[j].Name })
	page, marker, err := paginate(es, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &rdsapi.DescribeEventSubscriptionsOutput{Marker: marker, EventSubscriptionsList: []rdsapi.EventSubscription{}}
	for _, e := range page {
		out.EventSubscriptionsList = append(out.EventSubscriptionsList, e.describe(ctx.Account))
	}
	return out, nil
}

// DeleteEventSubscription deletes an event subscription.
func (s *RDS) DeleteEventSubscription(ctx *request.Context, in *rdsapi.DeleteEventSubscriptionInput) (*rdsapi.DeleteEventSubscriptionOutput, error) {
	name := ptr.Deref(in.SubscriptionName)
	var out rdsapi.EventSubscription
	err := s.store.Update(func(tx storage.Tx) error {
		e, ok, err := eventSubs.Get(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrSubscriptionNotFoundFault.New("Subscription %s not found.", name)
		}
		out = e.describe(ctx.Account)
		out.Status = ptr.To("deleting")
		return eventSubs.Delete(tx, scope(ctx), name)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.DeleteEventSubscriptionOutput{EventSubscription: &out}, nil
}

// notify sends an event to the SNS topics whose subscriptions match it,
// in the background (after the transaction that recorded it), as RDS's
// notification JSON.
func (s *RDS) notify(tx storage.Tx, account, region string, ev eventRec) error {
	if s.bus == nil {
		return nil
	}
	var subs []eventSubRec
	err := eventSubs.List(tx, storage.Scope{Account: account, Region: region}, nil, storage.ListOptions{}, func(_ []string, e eventSubRec) bool {
		if e.matches(ev) {
			subs = append(subs, e)
		}
		return true
	})
	if err != nil || len(subs) == 0 {
		return err
	}
	body, err := json.Marshal(map[string]string{
		"Event Source": ev.Type, "Event Time": ev.Date.UTC().Format("2006-01-02 15:04:05.000"),
		"Identifier Link": "https://console.aws.amazon.com/rds/home?region=" + region + "#dbinstance:id=" + ev.Source,
		"Source ID":       ev.Source, "Source ARN": ev.ARN,
		"Event ID":      "http://docs.amazonwebservices.com/AmazonRDS/latest/UserGuide/USER_Events.html",
		"Event Message": ev.Message,
	})
	if err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, e := range subs {
			err := s.bus.Deliver(s.ctx, events.Message{TargetARN: e.Topic, Body: string(body), Subject: "RDS Notification Message",
				SourceService: servicePrincipal, SourceARN: e.ARN, SourceAccount: account})
			if err != nil {
				s.log.Warn("rds: event notification", "subscription", e.Name, "err", err)
			}
		}
	}()
	return nil
}
