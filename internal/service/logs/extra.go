package logs

import (
	"fmt"
	"sort"
	"strings"
	"time"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// KMS keys, saved queries, field discovery and account policies.

// AssociateKmsKey records the key a group's data is encrypted with, once
// KMS says the key exists and its key policy lets CloudWatch Logs use it
// (kmsusable.go). niwa keeps log data unencrypted at rest.
func (l *Logs) AssociateKmsKey(ctx *request.Context, in *logsapi.AssociateKmsKeyRequest) (*logsapi.AssociateKmsKeyOutput, error) {
	key := ptr.Deref(in.KmsKeyId)
	if err := checkKeyARN(key); err != nil {
		return nil, err
	}
	name, err := kmsTarget(in.LogGroupName, in.ResourceIdentifier)
	if err != nil {
		return nil, err
	}
	if err := l.checkKey(ctx, name, key); err != nil {
		return nil, err
	}
	if err := l.updateGroup(ctx, name, func(g *group) error { g.KmsKeyID = key; return nil }); err != nil {
		return nil, err
	}
	return &logsapi.AssociateKmsKeyOutput{}, nil
}

// DisassociateKmsKey forgets a group's key.
func (l *Logs) DisassociateKmsKey(ctx *request.Context, in *logsapi.DisassociateKmsKeyRequest) (*logsapi.DisassociateKmsKeyOutput, error) {
	name, err := kmsTarget(in.LogGroupName, in.ResourceIdentifier)
	if err != nil {
		return nil, err
	}
	if err := l.updateGroup(ctx, name, func(g *group) error { g.KmsKeyID = ""; return nil }); err != nil {
		return nil, err
	}
	return &logsapi.DisassociateKmsKeyOutput{}, nil
}

// kmsTarget is the group a KMS call names; query results, the other
// resource AWS allows, are not encrypted in niwa.
func kmsTarget(name, resource *string) (string, error) {
	if name != nil && resource != nil {
		return "", logsapi.ErrInvalidParameterException.New("LogGroupName and ResourceIdentifier are mutually exclusive parameters.")
	}
	if resource != nil && strings.Contains(*resource, ":query-result:") {
		return "", logsapi.ErrInvalidParameterException.New("niwa does not encrypt query results; associate keys with log groups only.")
	}
	return groupName(name, resource)
}

// Query definitions (saved queries).

type queryDefinition struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	String   string   `json:"q"`
	Groups   []string `json:"groups,omitempty"`
	Modified int64    `json:"modified"`
}

var queryDefinitions = storage.NewTable[queryDefinition]("querydef")

// PutQueryDefinition saves a query, or updates the one with the id.
func (l *Logs) PutQueryDefinition(ctx *request.Context, in *logsapi.PutQueryDefinitionRequest) (*logsapi.PutQueryDefinitionResponse, error) {
	sc := scope(ctx)
	if _, err := compileQuery(ptr.Deref(in.QueryString)); err != nil {
		return nil, err
	}
	d := queryDefinition{ID: ptr.Deref(in.QueryDefinitionId), Name: ptr.Deref(in.Name), String: ptr.Deref(in.QueryString), Groups: in.LogGroupNames, Modified: ms(ctx.Now())}
	err := l.store.Update(func(tx storage.Tx) error {
		if d.ID != "" {
			if _, ok, err := queryDefinitions.Get(tx, sc, d.ID); err != nil {
				return err
			} else if !ok {
				return errNotFound("The specified query definition does not exist.")
			}
		} else {
			d.ID = newID()
		}
		return queryDefinitions.Put(tx, sc, d, d.ID)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.PutQueryDefinitionResponse{QueryDefinitionId: ptr.To(d.ID)}, nil
}

// DescribeQueryDefinitions lists saved queries by name.
func (l *Logs) DescribeQueryDefinitions(ctx *request.Context, in *logsapi.DescribeQueryDefinitionsRequest) (*logsapi.DescribeQueryDefinitionsResponse, error) {
	sc := scope(ctx)
	max := 1000
	if in.MaxResults != nil {
		max = int(*in.MaxResults)
	}
	var all []queryDefinition
	err := l.store.View(func(tx storage.Tx) error {
		return queryDefinitions.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, d queryDefinition) bool {
			if strings.HasPrefix(d.Name, ptr.Deref(in.QueryDefinitionNamePrefix)) {
				all = append(all, d)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Name != all[j].Name {
			return all[i].Name < all[j].Name
		}
		return all[i].ID < all[j].ID
	})
	page, next, err := pageAfter(all, func(d queryDefinition) string { return d.ID }, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	out := &logsapi.DescribeQueryDefinitionsResponse{QueryDefinitions: []logsapi.QueryDefinition{}, NextToken: next}
	for _, d := range page {
		out.QueryDefinitions = append(out.QueryDefinitions, logsapi.QueryDefinition{QueryDefinitionId: ptr.To(d.ID), Name: ptr.To(d.Name),
			QueryString: ptr.To(d.String), LastModified: ptr.To(d.Modified), LogGroupNames: d.Groups})
	}
	return out, nil
}

// DeleteQueryDefinition deletes a saved query.
func (l *Logs) DeleteQueryDefinition(ctx *request.Context, in *logsapi.DeleteQueryDefinitionRequest) (*logsapi.DeleteQueryDefinitionResponse, error) {
	sc := scope(ctx)
	id := ptr.Deref(in.QueryDefinitionId)
	err := l.store.Update(func(tx storage.Tx) error {
		if ok, err := queryDefinitions.DeleteExisting(tx, sc, id); err != nil || ok {
			return err
		}
		return errNotFound("The specified query definition does not exist.")
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteQueryDefinitionResponse{Success: ptr.To(true)}, nil
}

// GetLogGroupFields reports the fields of a group's events of the 15
// minutes before time (now by default) and the share of events having
// each, as Insights discovers them.
func (l *Logs) GetLogGroupFields(ctx *request.Context, in *logsapi.GetLogGroupFieldsRequest) (*logsapi.GetLogGroupFieldsResponse, error) {
	sc := scope(ctx)
	gname, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	end := ms(ctx.Now())
	if in.Time != nil {
		end = *in.Time * 1000
	}
	start := end - int64(15*time.Minute/time.Millisecond)
	counts := map[string]int{}
	total := 0
	err = l.store.View(func(tx storage.Tx) error {
		g, err := l.getGroup(tx, sc, gname)
		if err != nil {
			return err
		}
		cut := retentionCutoff(g, ms(ctx.Now()))
		return evs.List(tx, sc, []string{gname}, storage.ListOptions{}, func(k []string, e event) bool {
			if e.Timestamp < start || e.Timestamp > end || e.Timestamp < cut {
				return true
			}
			total++
			for f := range eventRow(sc.Account, gname, k[1], e) {
				if f != "@ptr" {
					counts[f]++
				}
			}
			return total < maxScanned
		})
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(counts))
	for f := range counts {
		names = append(names, f)
	}
	sort.Strings(names)
	out := &logsapi.GetLogGroupFieldsResponse{LogGroupFields: []logsapi.LogGroupField{}}
	for _, f := range names {
		out.LogGroupFields = append(out.LogGroupFields, logsapi.LogGroupField{Name: ptr.To(f), Percent: ptr.To(int32(counts[f] * 100 / total))})
	}
	return out, nil
}

// Account policies.

type accountPolicy struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Document  string `json:"doc"`
	Scope     string `json:"scope"`
	Selection string `json:"selection,omitempty"`
	Updated   int64  `json:"updated"`
}

var accountPolicies = storage.NewTable[accountPolicy]("accountpolicy")

func accountPolicyShape(account string, p accountPolicy) logsapi.AccountPolicy {
	return logsapi.AccountPolicy{PolicyName: ptr.To(p.Name), PolicyDocument: ptr.To(p.Document), LastUpdatedTime: ptr.To(p.Updated),
		PolicyType: ptr.To(p.Type), Scope: ptr.To(p.Scope), SelectionCriteria: nilIfEmpty(p.Selection), AccountId: ptr.To(account)}
}

// PutAccountPolicy creates or replaces an account-wide policy. niwa
// stores it; it neither masks data nor adds subscriptions from it.
func (l *Logs) PutAccountPolicy(ctx *request.Context, in *logsapi.PutAccountPolicyRequest) (*logsapi.PutAccountPolicyResponse, error) {
	sc := scope(ctx)
	if err := checkPolicyJSON(ptr.Deref(in.PolicyDocument), "Policy document"); err != nil {
		return nil, err
	}
	p := accountPolicy{Name: ptr.Deref(in.PolicyName), Type: ptr.Deref(in.PolicyType), Document: ptr.Deref(in.PolicyDocument),
		Scope: "ALL", Selection: ptr.Deref(in.SelectionCriteria), Updated: ms(ctx.Now())}
	if in.Scope != nil {
		p.Scope = *in.Scope
	}
	err := l.store.Update(func(tx storage.Tx) error {
		return accountPolicies.Put(tx, sc, p, p.Type, p.Name)
	})
	if err != nil {
		return nil, err
	}
	out := accountPolicyShape(sc.Account, p)
	return &logsapi.PutAccountPolicyResponse{AccountPolicy: &out}, nil
}

// DescribeAccountPolicies lists the account's policies of a type.
func (l *Logs) DescribeAccountPolicies(ctx *request.Context, in *logsapi.DescribeAccountPoliciesRequest) (*logsapi.DescribeAccountPoliciesResponse, error) {
	sc := scope(ctx)
	out := &logsapi.DescribeAccountPoliciesResponse{AccountPolicies: []logsapi.AccountPolicy{}}
	if len(in.AccountIdentifiers) > 0 {
		found := false
		for _, a := range in.AccountIdentifiers {
			found = found || a == sc.Account
		}
		if !found {
			return out, nil
		}
	}
	err := l.store.View(func(tx storage.Tx) error {
		return accountPolicies.List(tx, sc, []string{ptr.Deref(in.PolicyType)}, storage.ListOptions{}, func(_ []string, p accountPolicy) bool {
			if in.PolicyName == nil || *in.PolicyName == p.Name {
				out.AccountPolicies = append(out.AccountPolicies, accountPolicyShape(sc.Account, p))
			}
			return true
		})
	})
	return out, err
}

// DeleteAccountPolicy deletes an account policy.
func (l *Logs) DeleteAccountPolicy(ctx *request.Context, in *logsapi.DeleteAccountPolicyRequest) (*logsapi.DeleteAccountPolicyOutput, error) {
	sc := scope(ctx)
	typ, name := ptr.Deref(in.PolicyType), ptr.Deref(in.PolicyName)
	err := l.store.Update(func(tx storage.Tx) error {
		if ok, err := accountPolicies.DeleteExisting(tx, sc, typ, name); err != nil || ok {
			return err
		}
		return errNotFound(fmt.Sprintf("Policy with name [%s] does not exist", name))
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteAccountPolicyOutput{}, nil
}
