package ssm

import (
	"fmt"
	"time"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// param is a parameter's head record: what all its versions share.
type param struct {
	Name string `json:"name"`
	// Latest is the newest version number; Oldest the oldest kept (AWS
	// keeps the last 100).
	Latest int64 `json:"latest"`
	Oldest int64 `json:"oldest"`
	Tags   []tag `json:"tags,omitempty"`
	// Due are the keys of this parameter's entries in the policy
	// schedule (dueTable), so an update or delete can drop them.
	Due     [][]string `json:"due,omitempty"`
	Created time.Time  `json:"created"`
}

type tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// version is one version of a parameter. A SecureString's Value is empty;
// Sealed holds the value encrypted with a data key and DataKey that key
// encrypted under KeyID by KMS.
type version struct {
	Version        int64     `json:"version"`
	Type           string    `json:"type"`
	Value          string    `json:"value,omitempty"`
	Sealed         []byte    `json:"sealed,omitempty"`
	DataKey        []byte    `json:"dataKey,omitempty"`
	KeyID          string    `json:"keyId,omitempty"`
	Description    string    `json:"description,omitempty"`
	AllowedPattern string    `json:"allowedPattern,omitempty"`
	Tier           string    `json:"tier"`
	Policies       []policy  `json:"policies,omitempty"`
	DataType       string    `json:"dataType"`
	Labels         []string  `json:"labels,omitempty"`
	Modified       time.Time `json:"modified"`
	User           string    `json:"user"`
}

// counts is a region's number of parameters per tier (the quotas).
type counts struct {
	Standard int `json:"standard"`
	Advanced int `json:"advanced"`
}

var (
	params   = storage.NewTable[param]("param")
	versions = storage.NewTable[version]("ver")
	tally    = storage.NewTable[counts]("count")
)

// verKey orders versions numerically.
func verKey(v int64) string { return fmt.Sprintf("%019d", v) }

func (v *version) secure() bool { return v.Type == "SecureString" }

// inlinePolicies is a version's policies as the API shows them.
func (v *version) inlinePolicies() []ssmapi.ParameterInlinePolicy {
	out := make([]ssmapi.ParameterInlinePolicy, 0, len(v.Policies))
	for _, p := range v.Policies {
		out = append(out, ssmapi.ParameterInlinePolicy{PolicyText: ptr.To(p.Text), PolicyType: ptr.To(p.Type), PolicyStatus: ptr.To(p.Status)})
	}
	return out
}
