package ses

import (
	"net/netip"
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

// CloneReceiptRuleSet makes a new rule set with the rules of another.
func (s *V1) CloneReceiptRuleSet(ctx *request.Context, in *sesapi.CloneReceiptRuleSetRequest) (*sesapi.CloneReceiptRuleSetResponse, error) {
	name, orig := ptr.Deref(in.RuleSetName), ptr.Deref(in.OriginalRuleSetName)
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		src, ok, err := ruleSets.Get(tx, scope(ctx.Account, ctx.Region), orig)
		if err != nil {
			return err
		}
		if !ok {
			return errNoRuleSet(orig)
		}
		if _, ok, err := ruleSets.Get(tx, scope(ctx.Account, ctx.Region), name); err != nil || ok {
			if err != nil {
				return err
			}
			return sesapi.ErrAlreadyExistsException.New("Rule set already exists: %s", name).With("Name", name)
		}
		return ruleSets.Put(tx, scope(ctx.Account, ctx.Region), ruleSet{Name: name, Created: ctx.Now(), Rules: append([]sesapi.ReceiptRule{}, src.Rules...)}, name)
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.CloneReceiptRuleSetResponse{}, nil
}

// ReorderReceiptRuleSet puts a set's rules in the order named; every
// rule must be named, and only those.
func (s *V1) ReorderReceiptRuleSet(ctx *request.Context, in *sesapi.ReorderReceiptRuleSetRequest) (*sesapi.ReorderReceiptRuleSetResponse, error) {
	err := s.c.withRuleSet(ctx.Account, ctx.Region, ptr.Deref(in.RuleSetName), func(rs *ruleSet) error {
		by := map[string]sesapi.ReceiptRule{}
		for _, r := range rs.Rules {
			by[ptr.Deref(r.Name)] = r
		}
		var out []sesapi.ReceiptRule
		for _, n := range in.RuleNames {
			r, ok := by[n]
			if !ok {
				return errNoRule(n)
			}
			delete(by, n)
			out = append(out, r)
		}
		if len(by) > 0 {
			return awserr.InvalidParameterValue.New("Rules names must contain all the rules in the rule set.")
		}
		rs.Rules = out
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.ReorderReceiptRuleSetResponse{}, nil
}

// SetReceiptRulePosition moves a rule first, or right after After.
func (s *V1) SetReceiptRulePosition(ctx *request.Context, in *sesapi.SetReceiptRulePositionRequest) (*sesapi.SetReceiptRulePositionResponse, error) {
	name, after := ptr.Deref(in.RuleName), ptr.Deref(in.After)
	err := s.c.withRuleSet(ctx.Account, ctx.Region, ptr.Deref(in.RuleSetName), func(rs *ruleSet) error {
		var rule *sesapi.ReceiptRule
		rest := []sesapi.ReceiptRule{}
		for _, r := range rs.Rules {
			if ptr.Deref(r.Name) == name {
				r := r
				rule = &r
				continue
			}
			rest = append(rest, r)
		}
		if rule == nil {
			return errNoRule(name)
		}
		at := 0
		if after != "" {
			at = -1
			for i, r := range rest {
				if ptr.Deref(r.Name) == after {
					at = i + 1
				}
			}
			if at < 0 {
				return errNoRule(after)
			}
		}
		rs.Rules = append(rest[:at:at], append([]sesapi.ReceiptRule{*rule}, rest[at:]...)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.SetReceiptRulePositionResponse{}, nil
}

// receiptFilters are the account's IP address filters for inbound mail.
var receiptFilters = storage.NewTable[sesapi.ReceiptFilter]("receiptfilter")

// maxReceiptFilters is SES's quota of IP address filters per account.
const maxReceiptFilters = 100

// CreateReceiptFilter adds an IP address filter (Allow or Block a CIDR)
// for mail arriving on niwa's SMTP listener.
func (s *V1) CreateReceiptFilter(ctx *request.Context, in *sesapi.CreateReceiptFilterRequest) (*sesapi.CreateReceiptFilterResponse, error) {
	if in.Filter == nil || in.Filter.IpFilter == nil {
		return nil, awserr.InvalidParameterValue.New("Filter is required.")
	}
	cidr := ptr.Deref(in.Filter.IpFilter.Cidr)
	if _, ok := parseFilterCIDR(cidr); !ok {
		return nil, awserr.InvalidParameterValue.New("Invalid CIDR: %s", cidr)
	}
	name := ptr.Deref(in.Filter.Name)
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		n := 0
		exists := false
		err := receiptFilters.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(k []string, _ sesapi.ReceiptFilter) bool {
			n++
			exists = exists || k[len(k)-1] == name
			return true
		})
		if err != nil {
			return err
		}
		if exists {
			return sesapi.ErrAlreadyExistsException.New("Filter already exists: %s", name).With("Name", name)
		}
		if n >= maxReceiptFilters {
			return sesapi.ErrLimitExceededException.New("Maximum number of receipt filters exceeded.")
		}
		return receiptFilters.Put(tx, scope(ctx.Account, ctx.Region), *in.Filter, name)
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.CreateReceiptFilterResponse{}, nil
}

// DeleteReceiptFilter removes a filter (a missing one is no error).
func (s *V1) DeleteReceiptFilter(ctx *request.Context, in *sesapi.DeleteReceiptFilterRequest) (*sesapi.DeleteReceiptFilterResponse, error) {
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		return receiptFilters.Delete(tx, scope(ctx.Account, ctx.Region), ptr.Deref(in.FilterName))
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.DeleteReceiptFilterResponse{}, nil
}

// ListReceiptFilters lists the account's filters by name.
func (s *V1) ListReceiptFilters(ctx *request.Context, _ *sesapi.ListReceiptFiltersRequest) (*sesapi.ListReceiptFiltersResponse, error) {
	out := &sesapi.ListReceiptFiltersResponse{Filters: []sesapi.ReceiptFilter{}}
	err := s.c.opt.Store.View(func(tx storage.Tx) error {
		return receiptFilters.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(_ []string, f sesapi.ReceiptFilter) bool {
			out.Filters = append(out.Filters, f)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseFilterCIDR reads a filter's address: a CIDR block or one IPv4
// address.
func parseFilterCIDR(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return netip.PrefixFrom(a, 32), true
	}
	return netip.Prefix{}, false
}

// blockedBy reports whether the account's filters block mail from ip:
// an Allow filter covering it wins over any Block one, as on SES.
func (c *Core) blockedBy(acct, region string, ip netip.Addr) bool {
	blocked, allowed := false, false
	_ = c.opt.Store.View(func(tx storage.Tx) error {
		return receiptFilters.List(tx, scope(acct, region), nil, storage.ListOptions{}, func(_ []string, f sesapi.ReceiptFilter) bool {
			if f.IpFilter == nil {
				return true
			}
			p, ok := parseFilterCIDR(ptr.Deref(f.IpFilter.Cidr))
			if !ok || !p.Contains(ip.Unmap()) {
				return true
			}
			if ptr.Deref(f.IpFilter.Policy) == "Allow" {
				allowed = true
			} else {
				blocked = true
			}
			return true
		})
	})
	return blocked && !allowed
}
