package logs

import (
	"encoding/json"
	"fmt"
	"strings"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Resource policies (what lets services such as EventBridge or Route 53
// write into log groups), logical destinations for cross-account
// subscriptions, and data protection policies.

// maxResourcePolicies is AWS's quota of resource policies per region.
const maxResourcePolicies = 10

type resourcePolicy struct {
	Name     string `json:"name"`
	Document string `json:"doc"`
	Updated  int64  `json:"updated"`
}

// destination is a stored logical destination, keyed by name.
type destination struct {
	Name      string            `json:"name"`
	TargetARN string            `json:"target"`
	RoleARN   string            `json:"role"`
	Policy    string            `json:"policy,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	Created   int64             `json:"created"`
}

// dataProtection is a group's data protection policy, keyed by group.
type dataProtection struct {
	Document string `json:"doc"`
	Updated  int64  `json:"updated"`
}

var (
	resourcePolicies = storage.NewTable[resourcePolicy]("rpolicy")
	destinations     = storage.NewTable[destination]("destination")
	dataProtections  = storage.NewTable[dataProtection]("dataprotection")
)

// checkPolicyJSON refuses a policy document that is not a JSON object,
// as AWS does before reading it further.
func checkPolicyJSON(doc, what string) error {
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return logsapi.ErrInvalidParameterException.New("%s is not valid JSON: %v", what, err)
	}
	return nil
}

// PutResourcePolicy creates or replaces a resource policy.
func (l *Logs) PutResourcePolicy(ctx *request.Context, in *logsapi.PutResourcePolicyRequest) (*logsapi.PutResourcePolicyResponse, error) {
	sc := scope(ctx)
	name, doc := ptr.Deref(in.PolicyName), ptr.Deref(in.PolicyDocument)
	if name == "" {
		return nil, logsapi.ErrInvalidParameterException.New("1 validation error detected: Value null at 'policyName' failed to satisfy constraint: Member must not be null")
	}
	if err := checkPolicyJSON(doc, "Policy document"); err != nil {
		return nil, err
	}
	p := resourcePolicy{Name: name, Document: doc, Updated: ms(ctx.Now())}
	err := l.store.Update(func(tx storage.Tx) error {
		_, exists, err := resourcePolicies.Get(tx, sc, name)
		if err != nil {
			return err
		}
		n, err := countAll(tx, sc, resourcePolicies.Name())
		if err != nil {
			return err
		}
		if !exists && n >= maxResourcePolicies {
			return logsapi.ErrLimitExceededException.New("Resource limit exceeded.")
		}
		return resourcePolicies.Put(tx, sc, p, name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.PutResourcePolicyResponse{ResourcePolicy: &logsapi.ResourcePolicy{PolicyName: ptr.To(p.Name),
		PolicyDocument: ptr.To(p.Document), LastUpdatedTime: ptr.To(p.Updated)}}, nil
}

func countAll(tx storage.Tx, sc storage.Scope, table string) (int, error) {
	n := 0
	err := tx.Scan(sc.Prefix(table), storage.ScanOptions{}, func(_, _ []byte) bool {
		n++
		return true
	})
	return n, err
}

// DescribeResourcePolicies lists the region's resource policies.
func (l *Logs) DescribeResourcePolicies(ctx *request.Context, in *logsapi.DescribeResourcePoliciesRequest) (*logsapi.DescribeResourcePoliciesResponse, error) {
	sc := scope(ctx)
	max, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	after, err := keyToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &logsapi.DescribeResourcePoliciesResponse{ResourcePolicies: []logsapi.ResourcePolicy{}}
	err = l.store.View(func(tx storage.Tx) error {
		var last []string
		return resourcePolicies.List(tx, sc, nil, storage.ListOptions{After: after}, func(k []string, p resourcePolicy) bool {
			if len(out.ResourcePolicies) == max {
				out.NextToken = pageToken(last)
				return false
			}
			last = k
			out.ResourcePolicies = append(out.ResourcePolicies, logsapi.ResourcePolicy{PolicyName: ptr.To(p.Name),
				PolicyDocument: ptr.To(p.Document), LastUpdatedTime: ptr.To(p.Updated)})
			return true
		})
	})
	return out, err
}

// DeleteResourcePolicy deletes a resource policy.
func (l *Logs) DeleteResourcePolicy(ctx *request.Context, in *logsapi.DeleteResourcePolicyRequest) (*logsapi.DeleteResourcePolicyOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.PolicyName)
	err := l.store.Update(func(tx storage.Tx) error {
		if ok, err := resourcePolicies.DeleteExisting(tx, sc, name); err != nil || ok {
			return err
		}
		return errNotFound(fmt.Sprintf("Policy with name [%s] does not exist", name))
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteResourcePolicyOutput{}, nil
}

// Destinations.

func destinationARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:destination:%s", sc.Region, sc.Account, name)
}

func destinationShape(sc storage.Scope, d destination) *logsapi.Destination {
	return &logsapi.Destination{DestinationName: ptr.To(d.Name), TargetArn: ptr.To(d.TargetARN), RoleArn: ptr.To(d.RoleARN),
		AccessPolicy: nilIfEmpty(d.Policy), Arn: ptr.To(destinationARN(sc, d.Name)), CreationTime: ptr.To(d.Created)}
}

// PutDestination creates or updates a logical destination: a Kinesis
// stream or Firehose delivery stream other accounts' subscription
// filters deliver to.
func (l *Logs) PutDestination(ctx *request.Context, in *logsapi.PutDestinationRequest) (*logsapi.PutDestinationResponse, error) {
	sc := scope(ctx)
	name, target, role := ptr.Deref(in.DestinationName), ptr.Deref(in.TargetArn), ptr.Deref(in.RoleArn)
	if svc := events.ARNService(target); svc != "kinesis" && svc != "firehose" {
		return nil, logsapi.ErrInvalidParameterException.New("Invalid target ARN: %s. A destination's target must be a Kinesis stream or a Firehose delivery stream.", target)
	}
	if events.ARNService(role) != "iam" || !strings.Contains(role, ":role/") {
		return nil, logsapi.ErrInvalidParameterException.New("Invalid role ARN: %s", role)
	}
	var d destination
	err := l.store.Update(func(tx storage.Tx) error {
		old, ok, err := destinations.Get(tx, sc, name)
		if err != nil {
			return err
		}
		d = destination{Name: name, TargetARN: target, RoleARN: role, Tags: in.Tags, Created: ms(ctx.Now())}
		if ok {
			d.Created, d.Policy = old.Created, old.Policy
			if in.Tags == nil {
				d.Tags = old.Tags
			}
		}
		return destinations.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.PutDestinationResponse{Destination: destinationShape(sc, d)}, nil
}

// PutDestinationPolicy sets who may subscribe to a destination.
func (l *Logs) PutDestinationPolicy(ctx *request.Context, in *logsapi.PutDestinationPolicyRequest) (*logsapi.PutDestinationPolicyOutput, error) {
	sc := scope(ctx)
	name, doc := ptr.Deref(in.DestinationName), ptr.Deref(in.AccessPolicy)
	if err := checkPolicyJSON(doc, "Access policy"); err != nil {
		return nil, err
	}
	err := l.store.Update(func(tx storage.Tx) error {
		d, ok, err := destinations.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("The specified destination does not exist.")
		}
		d.Policy = doc
		return destinations.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.PutDestinationPolicyOutput{}, nil
}

// DescribeDestinations lists destinations by name prefix.
func (l *Logs) DescribeDestinations(ctx *request.Context, in *logsapi.DescribeDestinationsRequest) (*logsapi.DescribeDestinationsResponse, error) {
	sc := scope(ctx)
	max, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	after, err := keyToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &logsapi.DescribeDestinationsResponse{Destinations: []logsapi.Destination{}}
	err = l.store.View(func(tx storage.Tx) error {
		var last []string
		return destinations.List(tx, sc, nil, storage.ListOptions{Partial: ptr.Deref(in.DestinationNamePrefix), After: after}, func(k []string, d destination) bool {
			if len(out.Destinations) == max {
				out.NextToken = pageToken(last)
				return false
			}
			last = k
			out.Destinations = append(out.Destinations, *destinationShape(sc, d))
			return true
		})
	})
	return out, err
}

// DeleteDestination deletes a destination.
func (l *Logs) DeleteDestination(ctx *request.Context, in *logsapi.DeleteDestinationRequest) (*logsapi.DeleteDestinationOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.DestinationName)
	err := l.store.Update(func(tx storage.Tx) error {
		if ok, err := destinations.DeleteExisting(tx, sc, name); err != nil || ok {
			return err
		}
		return errNotFound("The specified destination does not exist.")
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteDestinationOutput{}, nil
}

// Data protection policies. niwa stores them; it does not mask the
// data they name (docs/logs.md).

// PutDataProtectionPolicy sets a group's data protection policy.
func (l *Logs) PutDataProtectionPolicy(ctx *request.Context, in *logsapi.PutDataProtectionPolicyRequest) (*logsapi.PutDataProtectionPolicyResponse, error) {
	sc := scope(ctx)
	gname, err := groupName(nil, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	doc := ptr.Deref(in.PolicyDocument)
	if err := checkPolicyJSON(doc, "Data protection policy"); err != nil {
		return nil, err
	}
	p := dataProtection{Document: doc, Updated: ms(ctx.Now())}
	err = l.store.Update(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		return dataProtections.Put(tx, sc, p, gname)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.PutDataProtectionPolicyResponse{LogGroupIdentifier: in.LogGroupIdentifier, PolicyDocument: ptr.To(doc), LastUpdatedTime: ptr.To(p.Updated)}, nil
}

// GetDataProtectionPolicy returns a group's data protection policy; a
// group without one answers with the identifier alone, as AWS does.
func (l *Logs) GetDataProtectionPolicy(ctx *request.Context, in *logsapi.GetDataProtectionPolicyRequest) (*logsapi.GetDataProtectionPolicyResponse, error) {
	sc := scope(ctx)
	gname, err := groupName(nil, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	out := &logsapi.GetDataProtectionPolicyResponse{LogGroupIdentifier: in.LogGroupIdentifier}
	err = l.store.View(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		p, ok, err := dataProtections.Get(tx, sc, gname)
		if ok {
			out.PolicyDocument, out.LastUpdatedTime = ptr.To(p.Document), ptr.To(p.Updated)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteDataProtectionPolicy removes a group's data protection policy.
func (l *Logs) DeleteDataProtectionPolicy(ctx *request.Context, in *logsapi.DeleteDataProtectionPolicyRequest) (*logsapi.DeleteDataProtectionPolicyOutput, error) {
	sc := scope(ctx)
	gname, err := groupName(nil, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	err = l.store.Update(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		if ok, err := dataProtections.DeleteExisting(tx, sc, gname); err != nil || ok {
			return err
		}
		return errNotFound("The specified log group does not have a data protection policy.")
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteDataProtectionPolicyOutput{}, nil
}
