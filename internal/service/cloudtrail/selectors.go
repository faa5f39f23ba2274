package cloudtrail

import (
	"strings"

	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Data resource types basic event selectors accept (AWS's list for
// DataResource.Type; advanced selectors name more in resources.type).
var dataTypes = map[string]string{
	"AWS::S3::Object":             "s3.amazonaws.com",
	"AWS::Lambda::Function":       "lambda.amazonaws.com",
	"AWS::DynamoDB::Table":        "dynamodb.amazonaws.com",
	"AWS::SQS::Queue":             "sqs.amazonaws.com",
	"AWS::SNS::Topic":             "sns.amazonaws.com",
	"AWS::KMS::Key":               "kms.amazonaws.com",
	"AWS::SecretsManager::Secret": "secretsmanager.amazonaws.com",
}

// Fields advanced event selectors may name.
var advancedFields = map[string]bool{
	"eventCategory": true, "eventSource": true, "eventName": true, "eventType": true, "readOnly": true,
	"resources.type": true, "resources.ARN": true, "userIdentity.arn": true, "errorCode": true,
	"sessionCredentialFromConsole": true, "eventTypeName": true, "vpcEndpointId": true,
}

func invalidSelectors(format string, args ...any) error {
	return cloudtrailapi.ErrInvalidEventSelectorsException.New(format, args...)
}

// validateBasic checks basic event selectors against AWS's limits: at
// most 5 selectors and 250 data resources, known types, ARN values.
func validateBasic(sels []cloudtrailapi.EventSelector) error {
	if len(sels) > 5 {
		return invalidSelectors("You can have no more than 5 event selectors per trail.")
	}
	n := 0
	for _, s := range sels {
		for _, d := range s.DataResources {
			n += len(d.Values)
			typ := ptr.Deref(d.Type)
			if _, ok := dataTypes[typ]; !ok || typ == "" {
				return invalidSelectors("Value %s for DataResources.Type is invalid.", typ)
			}
			for _, v := range d.Values {
				if !strings.HasPrefix(v, "arn:") {
					return invalidSelectors("Value %s for DataResources.Values is invalid.", v)
				}
			}
		}
		for _, src := range s.ExcludeManagementEventSources {
			if src != "kms.amazonaws.com" && src != "rdsdata.amazonaws.com" {
				return invalidSelectors("Value %s for ExcludeManagementEventSources is invalid.", src)
			}
		}
	}
	if n > 250 {
		return invalidSelectors("You can have no more than 250 data resources across all event selectors.")
	}
	return nil
}

// validateAdvanced checks advanced event selectors: each needs an
// eventCategory field, fields must be known and have at least one
// operator, and the values across selectors are bounded (500).
func validateAdvanced(sels []cloudtrailapi.AdvancedEventSelector) error {
	total := 0
	for _, s := range sels {
		hasCategory := false
		for _, f := range s.FieldSelectors {
			field := ptr.Deref(f.Field)
			if !advancedFields[field] {
				return invalidSelectors("Field %s is not valid.", field)
			}
			vals := len(f.Equals) + len(f.StartsWith) + len(f.EndsWith) + len(f.NotEquals) + len(f.NotStartsWith) + len(f.NotEndsWith)
			if vals == 0 {
				return invalidSelectors("Field %s must have at least one operator.", field)
			}
			total += vals
			if field == "eventCategory" {
				hasCategory = true
				for _, v := range f.Equals {
					if v != "Management" && v != "Data" && v != "NetworkActivity" {
						return invalidSelectors("Value %s for eventCategory is invalid.", v)
					}
				}
			}
			if field == "readOnly" {
				for _, v := range append(append([]string{}, f.Equals...), f.NotEquals...) {
					if v != "true" && v != "false" {
						return invalidSelectors("Value %s for readOnly is invalid.", v)
					}
				}
			}
		}
		if !hasCategory {
			return invalidSelectors("Each advanced event selector must have an eventCategory field.")
		}
	}
	if total > 500 {
		return invalidSelectors("Advanced event selectors can have no more than 500 conditions.")
	}
	return nil
}

// PutEventSelectors sets a trail's basic or advanced event selectors.
func (c *CloudTrail) PutEventSelectors(ctx *request.Context, in *cloudtrailapi.PutEventSelectorsInput) (*cloudtrailapi.PutEventSelectorsOutput, error) {
	switch {
	case in.EventSelectors != nil && in.AdvancedEventSelectors != nil:
		return nil, cloudtrailapi.ErrInvalidParameterCombinationException.New(
			"You cannot apply both event selectors and advanced event selectors to a trail.")
	case in.EventSelectors == nil && in.AdvancedEventSelectors == nil:
		return nil, invalidSelectors("You must specify either event selectors or advanced event selectors.")
	}
	if err := validateBasic(in.EventSelectors); err != nil {
		return nil, err
	}
	if err := validateAdvanced(in.AdvancedEventSelectors); err != nil {
		return nil, err
	}
	t, err := c.update(ctx, ptr.Deref(in.TrailName), func(t *trailRecord) error {
		t.Selectors, t.Advanced = nil, nil
		if in.AdvancedEventSelectors != nil {
			t.Advanced = in.AdvancedEventSelectors
		} else {
			t.Selectors = normalizeBasic(in.EventSelectors)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &cloudtrailapi.PutEventSelectorsOutput{TrailARN: ptr.To(t.arn())}
	out.EventSelectors, out.AdvancedEventSelectors = t.Selectors, t.Advanced
	return out, nil
}

// normalizeBasic fills the defaults AWS shows back: ReadWriteType All,
// IncludeManagementEvents true, empty lists.
func normalizeBasic(in []cloudtrailapi.EventSelector) []cloudtrailapi.EventSelector {
	out := make([]cloudtrailapi.EventSelector, len(in))
	for i, s := range in {
		if s.ReadWriteType == nil {
			s.ReadWriteType = ptr.To("All")
		}
		if s.IncludeManagementEvents == nil {
			s.IncludeManagementEvents = ptr.To(true)
		}
		if s.DataResources == nil {
			s.DataResources = []cloudtrailapi.DataResource{}
		}
		if s.ExcludeManagementEventSources == nil {
			s.ExcludeManagementEventSources = []string{}
		}
		out[i] = s
	}
	return out
}

// defaultSelectors are what a trail without custom selectors logs.
func defaultSelectors() []cloudtrailapi.EventSelector {
	return normalizeBasic([]cloudtrailapi.EventSelector{{}})
}

// GetEventSelectors returns a trail's selectors (AWS's default when none
// were put).
func (c *CloudTrail) GetEventSelectors(ctx *request.Context, in *cloudtrailapi.GetEventSelectorsInput) (*cloudtrailapi.GetEventSelectorsOutput, error) {
	t, err := c.load(ctx, ptr.Deref(in.TrailName))
	if err != nil {
		return nil, err
	}
	out := &cloudtrailapi.GetEventSelectorsOutput{TrailARN: ptr.To(t.arn())}
	switch {
	case t.Advanced != nil:
		out.AdvancedEventSelectors = t.Advanced
	case t.Selectors != nil:
		out.EventSelectors = t.Selectors
	default:
		out.EventSelectors = defaultSelectors()
	}
	return out, nil
}

// PutInsightSelectors records a trail's Insights selectors. niwa keeps
// them but produces no Insights events (docs/cloudtrail.md).
func (c *CloudTrail) PutInsightSelectors(ctx *request.Context, in *cloudtrailapi.PutInsightSelectorsInput) (*cloudtrailapi.PutInsightSelectorsOutput, error) {
	if in.EventDataStore != nil {
		return nil, cloudtrailapi.ErrUnsupportedOperationException.New("CloudTrail Lake event data stores are not implemented by niwa.")
	}
	if in.TrailName == nil {
		return nil, cloudtrailapi.ErrInvalidParameterCombinationException.New("You must specify a TrailName.")
	}
	seen := map[string]bool{}
	for _, s := range in.InsightSelectors {
		typ := ptr.Deref(s.InsightType)
		if seen[typ] {
			return nil, cloudtrailapi.ErrInvalidInsightSelectorsException.New("Duplicate InsightType %s.", typ)
		}
		seen[typ] = true
	}
	t, err := c.update(ctx, ptr.Deref(in.TrailName), func(t *trailRecord) error {
		t.Insights = in.InsightSelectors
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cloudtrailapi.PutInsightSelectorsOutput{TrailARN: ptr.To(t.arn()), InsightSelectors: t.Insights}, nil
}

// GetInsightSelectors returns a trail's Insights selectors.
func (c *CloudTrail) GetInsightSelectors(ctx *request.Context, in *cloudtrailapi.GetInsightSelectorsInput) (*cloudtrailapi.GetInsightSelectorsOutput, error) {
	if in.TrailName == nil {
		return nil, cloudtrailapi.ErrInvalidParameterCombinationException.New("You must specify a TrailName.")
	}
	t, err := c.load(ctx, ptr.Deref(in.TrailName))
	if err != nil {
		return nil, err
	}
	if len(t.Insights) == 0 {
		return nil, cloudtrailapi.ErrInsightNotEnabledException.New("Trail %s does not have Insights enabled. Edit the trail settings to enable Insights, and then try the operation again.", t.arn())
	}
	return &cloudtrailapi.GetInsightSelectorsOutput{TrailARN: ptr.To(t.arn()), InsightSelectors: t.Insights}, nil
}

// selects reports whether trail t delivers record r.
func (t *trailRecord) selects(r *histRecord) bool {
	if r.Global && !t.IncludeGlobalServiceEvents {
		return false
	}
	if t.Advanced != nil {
		for _, s := range t.Advanced {
			if advancedMatch(s, r) {
				return true
			}
		}
		return false
	}
	sels := t.Selectors
	if sels == nil {
		sels = defaultSelectors()
	}
	for _, s := range sels {
		if basicMatch(s, r) {
			return true
		}
	}
	return false
}

func rwMatch(rw string, readOnly bool) bool {
	switch rw {
	case "ReadOnly":
		return readOnly
	case "WriteOnly":
		return !readOnly
	}
	return true
}

func basicMatch(s cloudtrailapi.EventSelector, r *histRecord) bool {
	if !rwMatch(ptr.Deref(s.ReadWriteType), r.ReadOnly) {
		return false
	}
	if r.Management {
		return ptr.Deref(s.IncludeManagementEvents) && !contains(s.ExcludeManagementEventSources, r.Source)
	}
	for _, d := range s.DataResources {
		if dataTypes[ptr.Deref(d.Type)] != r.Source {
			continue
		}
		for _, v := range d.Values {
			// "arn:aws:s3" (every bucket) and "arn:aws:lambda" (every
			// function) select everything; otherwise an ARN prefix.
			for _, res := range r.Resources {
				if res.Type == ptr.Deref(d.Type) && strings.HasPrefix(res.ARN, v) {
					return true
				}
			}
			if v == "arn:aws:s3" || v == "arn:aws:lambda" || v == "arn:aws:dynamodb" {
				return true
			}
		}
	}
	return false
}

func advancedMatch(s cloudtrailapi.AdvancedEventSelector, r *histRecord) bool {
	for _, f := range s.FieldSelectors {
		if !fieldMatch(f, r.fieldValues(ptr.Deref(f.Field))) {
			return false
		}
	}
	return true
}

// fieldMatch applies one field selector: any of Equals/StartsWith/
// EndsWith must hold (when given), none of the Not operators may.
func fieldMatch(f cloudtrailapi.AdvancedFieldSelector, vals []string) bool {
	pos := len(f.Equals)+len(f.StartsWith)+len(f.EndsWith) > 0
	matched := !pos
	for _, v := range vals {
		for _, e := range f.Equals {
			matched = matched || v == e
		}
		for _, e := range f.StartsWith {
			matched = matched || strings.HasPrefix(v, e)
		}
		for _, e := range f.EndsWith {
			matched = matched || strings.HasSuffix(v, e)
		}
		for _, e := range f.NotEquals {
			if v == e {
				return false
			}
		}
		for _, e := range f.NotStartsWith {
			if strings.HasPrefix(v, e) {
				return false
			}
		}
		for _, e := range f.NotEndsWith {
			if strings.HasSuffix(v, e) {
				return false
			}
		}
	}
	return matched
}
