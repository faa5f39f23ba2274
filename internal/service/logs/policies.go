package logs

import "github.com/niwa-cloud/niwa/internal/storage"

// destination is a stored logical destination, keyed by name.
type destination struct {
	Name      string `json:"name"`
	TargetARN string `json:"target"`
	RoleARN   string `json:"role"`
	Policy    string `json:"policy,omitempty"`
	Created   int64  `json:"created"`
}

var destinations = storage.NewTable[destination]("destination")
