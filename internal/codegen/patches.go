package main

import (
	"encoding/json"
	"fmt"
)

// enumAdditions are values AWS accepts today that the frozen aws-sdk-go
// models (v1.55.8) predate. The model's enums are what niwa validates
// requests against, so without these niwa would refuse values real AWS
// and current clients use (Lambda's python3.13 and nodejs22.x runtimes).
var enumAdditions = map[string]map[string][]string{
	"lambda": {"Runtime": {"python3.13", "nodejs22.x", "ruby3.4"}},
}

// patch applies enumAdditions to a raw api-2.json.
func patch(service string, raw []byte) ([]byte, error) {
	adds := enumAdditions[service]
	if len(adds) == 0 {
		return raw, nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var shapes map[string]map[string]json.RawMessage
	if err := json.Unmarshal(doc["shapes"], &shapes); err != nil {
		return nil, err
	}
	for shape, values := range adds {
		sh, ok := shapes[shape]
		if !ok {
			return nil, fmt.Errorf("patch: %s has no shape %s", service, shape)
		}
		var enum []string
		if err := json.Unmarshal(sh["enum"], &enum); err != nil {
			return nil, fmt.Errorf("patch: %s.%s is not an enum: %w", service, shape, err)
		}
		have := map[string]bool{}
		for _, v := range enum {
			have[v] = true
		}
		for _, v := range values {
			if !have[v] {
				enum = append(enum, v)
			}
		}
		sh["enum"], _ = json.Marshal(enum)
	}
	var err error
	if doc["shapes"], err = json.Marshal(shapes); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}
