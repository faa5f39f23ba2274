package ses

import (
	"time"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// ruleSet is a receipt rule set: its rules in evaluation order.
type ruleSet struct {
	Name    string
	Created time.Time
	Rules   []sesapi.ReceiptRule
}

var ruleSets = storage.NewTable[ruleSet]("ruleset")

func errNoRuleSet(name string) error {
	return sesapi.ErrRuleSetDoesNotExistException.New("Rule set does not exist: %s", name).With("Name", name)
}

func errNoRule(name string) error {
	return sesapi.ErrRuleDoesNotExistException.New("Rule does not exist: %s", name).With("Name", name)
}

// withRuleSet runs fn on a stored rule set and writes it back.
func (c *Core) withRuleSet(acct, region, name string, fn func(*ruleSet) error) error {
	return c.opt.Store.Update(func(tx storage.Tx) error {
		rs, ok, err := ruleSets.Get(tx, scope(acct, region), name)
		if err != nil {
			return err
		}
		if !ok {
			return errNoRuleSet(name)
		}
		if err := fn(&rs); err != nil {
			return err
		}
		return ruleSets.Put(tx, scope(acct, region), rs, name)
	})
}

func (c *Core) ruleSet(acct, region, name string) (ruleSet, bool, error) {
	var rs ruleSet
	var ok bool
	err := c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		rs, ok, err = ruleSets.Get(tx, scope(acct, region), name)
		return err
	})
	return rs, ok, err
}

// CreateReceiptRuleSet makes an empty, inactive rule set.
func (s *V1) CreateReceiptRuleSet(ctx *request.Context, in *sesapi.CreateReceiptRuleSetRequest) (*sesapi.CreateReceiptRuleSetResponse, error) {
	name := ptr.Deref(in.RuleSetName)
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		_, ok, err := ruleSets.Get(tx, scope(ctx.Account, ctx.Region), name)
		if err != nil {
			return err
		}
		if ok {
			return sesapi.ErrAlreadyExistsException.New("Rule set already exists: %s", name).With("Name", name)
		}
		return ruleSets.Put(tx, scope(ctx.Account, ctx.Region), ruleSet{Name: name, Created: ctx.Now()}, name)
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.CreateReceiptRuleSetResponse{}, nil
}

// DeleteReceiptRuleSet deletes an inactive rule set (a missing one is no
// error; the active one cannot be deleted).
func (s *V1) DeleteReceiptRuleSet(ctx *request.Context, in *sesapi.DeleteReceiptRuleSetRequest) (*sesapi.DeleteReceiptRuleSetResponse, error) {
	name := ptr.Deref(in.RuleSetName)
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		a, _, err := accounts.Get(tx, scope(ctx.Account, ctx.Region), "settings")
		if err != nil {
			return err
		}
		if a.ActiveRuleSet == name {
			return sesapi.ErrCannotDeleteException.New("Cannot delete active rule set: %s", name).With("Name", name)
		}
		return ruleSets.Delete(tx, scope(ctx.Account, ctx.Region), name)
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.DeleteReceiptRuleSetResponse{}, nil
}

// ListReceiptRuleSets lists rule sets by name.
func (s *V1) ListReceiptRuleSets(ctx *request.Context, _ *sesapi.ListReceiptRuleSetsRequest) (*sesapi.ListReceiptRuleSetsResponse, error) {
	out := &sesapi.ListReceiptRuleSetsResponse{RuleSets: []sesapi.ReceiptRuleSetMetadata{}}
	err := s.c.opt.Store.View(func(tx storage.Tx) error {
		return ruleSets.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(_ []string, rs ruleSet) bool {
			out.RuleSets = append(out.RuleSets, sesapi.ReceiptRuleSetMetadata{Name: ptr.To(rs.Name), CreatedTimestamp: ptr.To(rs.Created)})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeReceiptRuleSet answers a rule set and its rules.
func (s *V1) DescribeReceiptRuleSet(ctx *request.Context, in *sesapi.DescribeReceiptRuleSetRequest) (*sesapi.DescribeReceiptRuleSetResponse, error) {
	rs, ok, err := s.c.ruleSet(ctx.Account, ctx.Region, ptr.Deref(in.RuleSetName))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoRuleSet(ptr.Deref(in.RuleSetName))
	}
	return &sesapi.DescribeReceiptRuleSetResponse{Metadata: &sesapi.ReceiptRuleSetMetadata{Name: ptr.To(rs.Name), CreatedTimestamp: ptr.To(rs.Created)},
		Rules: append([]sesapi.ReceiptRule{}, rs.Rules...)}, nil
}

// SetActiveReceiptRuleSet makes a rule set the active one (no name:
// none is active).
func (s *V1) SetActiveReceiptRuleSet(ctx *request.Context, in *sesapi.SetActiveReceiptRuleSetRequest) (*sesapi.SetActiveReceiptRuleSetResponse, error) {
	name := ptr.Deref(in.RuleSetName)
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		if name != "" {
			_, ok, err := ruleSets.Get(tx, scope(ctx.Account, ctx.Region), name)
			if err != nil {
				return err
			}
			if !ok {
				return errNoRuleSet(name)
			}
		}
		a, _, err := accounts.Get(tx, scope(ctx.Account, ctx.Region), "settings")
		if err != nil {
			return err
		}
		a.ActiveRuleSet = name
		if err := setReceiver(tx, ctx.Account, ctx.Region, name != ""); err != nil {
			return err
		}
		return accounts.Put(tx, scope(ctx.Account, ctx.Region), a, "settings")
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.SetActiveReceiptRuleSetResponse{}, nil
}

// DescribeActiveReceiptRuleSet answers the active rule set (empty when
// none is active).
func (s *V1) DescribeActiveReceiptRuleSet(ctx *request.Context, _ *sesapi.DescribeActiveReceiptRuleSetRequest) (*sesapi.DescribeActiveReceiptRuleSetResponse, error) {
	a, err := s.c.accountOf(ctx.Account, ctx.Region)
	if err != nil || a.ActiveRuleSet == "" {
		return &sesapi.DescribeActiveReceiptRuleSetResponse{}, err
	}
	rs, ok, err := s.c.ruleSet(ctx.Account, ctx.Region, a.ActiveRuleSet)
	if err != nil || !ok {
		return &sesapi.DescribeActiveReceiptRuleSetResponse{}, err
	}
	return &sesapi.DescribeActiveReceiptRuleSetResponse{Metadata: &sesapi.ReceiptRuleSetMetadata{Name: ptr.To(rs.Name), CreatedTimestamp: ptr.To(rs.Created)},
		Rules: append([]sesapi.ReceiptRule{}, rs.Rules...)}, nil
}

// CreateReceiptRule adds a rule first, or right after the rule After
// names.
func (s *V1) CreateReceiptRule(ctx *request.Context, in *sesapi.CreateReceiptRuleRequest) (*sesapi.CreateReceiptRuleResponse, error) {
	if in.Rule == nil {
		return nil, errNoRule("")
	}
	rule := *in.Rule
	name := ptr.Deref(rule.Name)
	if err := s.c.checkActions(ctx, ptr.Deref(in.RuleSetName), rule); err != nil {
		return nil, err
	}
	err := s.c.withRuleSet(ctx.Account, ctx.Region, ptr.Deref(in.RuleSetName), func(rs *ruleSet) error {
		at := 0
		for i, r := range rs.Rules {
			if ptr.Deref(r.Name) == name {
				return sesapi.ErrAlreadyExistsException.New("Rule already exists: %s", name).With("Name", name)
			}
			if after := ptr.Deref(in.After); after != "" && ptr.Deref(r.Name) == after {
				at = i + 1
			}
		}
		if after := ptr.Deref(in.After); after != "" && at == 0 {
			return errNoRule(after)
		}
		if rule.Enabled == nil {
			rule.Enabled = ptr.To(false)
		}
		if rule.ScanEnabled == nil {
			rule.ScanEnabled = ptr.To(false)
		}
		if rule.TlsPolicy == nil {
			rule.TlsPolicy = ptr.To("Optional")
		}
		rs.Rules = append(rs.Rules[:at], append([]sesapi.ReceiptRule{rule}, rs.Rules[at:]...)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.CreateReceiptRuleResponse{}, nil
}

// DescribeReceiptRule answers one rule.
func (s *V1) DescribeReceiptRule(ctx *request.Context, in *sesapi.DescribeReceiptRuleRequest) (*sesapi.DescribeReceiptRuleResponse, error) {
	rs, ok, err := s.c.ruleSet(ctx.Account, ctx.Region, ptr.Deref(in.RuleSetName))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoRuleSet(ptr.Deref(in.RuleSetName))
	}
	for _, r := range rs.Rules {
		if ptr.Deref(r.Name) == ptr.Deref(in.RuleName) {
			return &sesapi.DescribeReceiptRuleResponse{Rule: &r}, nil
		}
	}
	return nil, errNoRule(ptr.Deref(in.RuleName))
}

// UpdateReceiptRule replaces a rule in place.
func (s *V1) UpdateReceiptRule(ctx *request.Context, in *sesapi.UpdateReceiptRuleRequest) (*sesapi.UpdateReceiptRuleResponse, error) {
	if in.Rule == nil {
		return nil, errNoRule("")
	}
	if err := s.c.checkActions(ctx, ptr.Deref(in.RuleSetName), *in.Rule); err != nil {
		return nil, err
	}
	err := s.c.withRuleSet(ctx.Account, ctx.Region, ptr.Deref(in.RuleSetName), func(rs *ruleSet) error {
		for i, r := range rs.Rules {
			if ptr.Deref(r.Name) == ptr.Deref(in.Rule.Name) {
				rs.Rules[i] = *in.Rule
				return nil
			}
		}
		return errNoRule(ptr.Deref(in.Rule.Name))
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.UpdateReceiptRuleResponse{}, nil
}

// DeleteReceiptRule removes a rule (a missing rule is no error; a
// missing set is).
func (s *V1) DeleteReceiptRule(ctx *request.Context, in *sesapi.DeleteReceiptRuleRequest) (*sesapi.DeleteReceiptRuleResponse, error) {
	err := s.c.withRuleSet(ctx.Account, ctx.Region, ptr.Deref(in.RuleSetName), func(rs *ruleSet) error {
		for i, r := range rs.Rules {
			if ptr.Deref(r.Name) == ptr.Deref(in.RuleName) {
				rs.Rules = append(rs.Rules[:i], rs.Rules[i+1:]...)
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.DeleteReceiptRuleResponse{}, nil
}

// checkActions checks a rule's actions as SES does when a rule is
// created or updated: SES must be able to write to an S3 action's
// bucket (its policy must grant ses.amazonaws.com s3:PutObject) and to
// invoke a Lambda action's function. WorkMail actions are refused: niwa
// has no Amazon WorkMail organizations to deliver to.
func (c *Core) checkActions(ctx *request.Context, set string, r sesapi.ReceiptRule) error {
	ruleARN := "arn:aws:ses:" + ctx.Region + ":" + ctx.Account + ":receipt-rule-set/" + set + ":receipt-rule/" + ptr.Deref(r.Name)
	for _, a := range r.Actions {
		switch {
		case a.WorkmailAction != nil:
			return awserr.InvalidParameterValue.New("WorkmailAction is not supported by niwa: it runs no Amazon WorkMail organizations to deliver to.")
		case a.S3Action != nil && c.opt.Objects != nil:
			b := ptr.Deref(a.S3Action.BucketName)
			_, _, err := c.opt.Objects.CheckObjectAccess(ctx, b, ptr.Deref(a.S3Action.ObjectKeyPrefix),
				objects.Principal{Service: sesPrincipal, Region: ctx.Region, SourceAccount: ctx.Account, SourceARN: ruleARN}, "s3:PutObject")
			if err != nil {
				return sesapi.ErrInvalidS3ConfigurationException.New("Could not write to bucket: %s", b).With("Bucket", b)
			}
		case a.LambdaAction != nil && c.opt.Bus != nil:
			fn := ptr.Deref(a.LambdaAction.FunctionArn)
			err := c.opt.Bus.Deliver(ctx, events.Message{TargetARN: fn, Validate: true, SourceService: sesPrincipal, SourceAccount: ctx.Account, SourceARN: ruleARN})
			if err != nil {
				return sesapi.ErrInvalidLambdaFunctionException.New("Could not invoke Lambda function: %s", fn).With("FunctionArn", fn)
			}
		}
	}
	return nil
}
