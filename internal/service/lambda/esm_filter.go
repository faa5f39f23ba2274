package lambda

import (
	"bytes"
	"encoding/json"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/events/pattern"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// maxFilters is how many filters a mapping may have (AWS's default quota;
// they are ORed).
const maxFilters = 5

// checkFilters validates a mapping's FilterCriteria: every pattern must be
// a valid EventBridge pattern (Lambda's event filtering uses the same
// language). An empty list clears the criteria, as it does on AWS.
func checkFilters(fc *lambdaapi.FilterCriteria) (*lambdaapi.FilterCriteria, error) {
	if fc == nil || len(fc.Filters) == 0 {
		return nil, nil
	}
	if len(fc.Filters) > maxFilters {
		return nil, errInvalidParam("The filter criteria exceeds the maximum number of filters (%d) for this event source mapping.", maxFilters)
	}
	for _, f := range fc.Filters {
		if f.Pattern == nil {
			return nil, errInvalidParam("Invalid filter pattern definition.")
		}
		if _, err := pattern.Compile(*f.Pattern); err != nil {
			return nil, errInvalidParam("Invalid filter pattern definition.")
		}
	}
	return fc, nil
}

// recordFilter is a mapping's compiled filters; empty lets every record
// through.
type recordFilter []*pattern.Pattern

func compileFilters(fc *lambdaapi.FilterCriteria) recordFilter {
	if fc == nil {
		return nil
	}
	var f recordFilter
	for _, flt := range fc.Filters {
		if p, err := pattern.Compile(ptr.Deref(flt.Pattern)); err == nil {
			f = append(f, p)
		}
	}
	return f
}

// match reports whether a record satisfies one of the filters.
func (f recordFilter) match(record map[string]any) bool {
	if len(f) == 0 {
		return true
	}
	data, err := json.Marshal(record)
	if err != nil {
		return false
	}
	ev, err := pattern.ParseEvent(data)
	if err != nil {
		return false
	}
	for _, p := range f {
		if p.MatchParsed(ev) {
			return true
		}
	}
	return false
}

// sqsFilterView is an SQS record as filters see it: a body that is JSON
// is filtered as the parsed document (so patterns can reach into it), any
// other body as its string, as AWS documents.
func sqsFilterView(record map[string]any) map[string]any {
	body, _ := record["body"].(string)
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return record
	}
	view := make(map[string]any, len(record))
	for k, val := range record {
		view[k] = val
	}
	view["body"] = v
	return view
}

// checkOnFailure refuses an on-failure destination a stream mapping
// cannot send to (SQS, SNS, S3 and Kafka are what Lambda offers), with
// Lambda's wording for a bad destination ARN.
func checkOnFailure(dc *lambdaapi.DestinationConfig) error {
	if dc == nil || dc.OnFailure == nil || ptr.Deref(dc.OnFailure.Destination) == "" {
		return nil
	}
	dest := *dc.OnFailure.Destination
	parts := strings.Split(dest, ":")
	if len(parts) < 6 || parts[0] != "arn" {
		return errInvalidParam("The destination ARN %s is invalid.", dest)
	}
	switch parts[2] {
	case "sqs", "sns":
		return nil
	case "s3", "kafka":
		// Valid on AWS, but niwa does not deliver to them yet: refusing
		// says so instead of storing a destination that never receives.
		return errInvalidParam("niwa does not implement %s on-failure destinations for event source mappings yet (SQS and SNS are supported): %s", parts[2], dest)
	}
	return errInvalidParam("The destination ARN %s is invalid.", dest)
}
