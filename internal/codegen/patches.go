package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// enumAdditions are values AWS accepts today that the frozen aws-sdk-go
// models (v1.55.8) predate. The model's enums are what niwa validates
// requests against, so without these niwa would refuse values real AWS
// and current clients use (Lambda's python3.13 and nodejs22.x runtimes,
// S3's CRC64NVME checksum algorithm).
var enumAdditions = map[string]map[string][]string{
	"lambda": {"Runtime": {"python3.13", "nodejs22.x", "ruby3.4"}},
	"s3":     {"ChecksumAlgorithm": {"CRC64NVME"}},
	// KMS's Ed25519 keys (2025).
	"kms": {"KeySpec": {"ECC_NIST_EDWARDS25519"}, "DataKeyPairSpec": {"ECC_NIST_EDWARDS25519"},
		"SigningAlgorithmSpec": {"ED25519_SHA_512", "ED25519_PH_SHA_512"}},
}

// memberCopy adds a member next to an existing one in every shape that has
// it, copying its definition with strings renamed. S3 has returned
// CRC64NVME checksums (x-amz-checksum-crc64nvme, ChecksumCRC64NVME) since
// the end of 2024; the frozen model predates them.
type memberCopy struct {
	after, name string
	rename      [2]string // old, new substring in the copied definition
	// shape, when set, limits the copy to that one shape.
	shape string
}

var memberAdditions = map[string][]memberCopy{
	"s3": {{after: "ChecksumCRC32C", name: "ChecksumCRC64NVME", rename: [2]string{"crc32c", "crc64nvme"}}},
	// DescribeTable's WarmThroughput (table and GSIs, 2024).
	"dynamodb": {
		{shape: "TableDescription", after: "OnDemandThroughput", name: "WarmThroughput", rename: [2]string{`"WarmThroughput"`, `"TableWarmThroughputDescription"`}},
		{shape: "GlobalSecondaryIndexDescription", after: "OnDemandThroughput", name: "WarmThroughput", rename: [2]string{`"WarmThroughput"`, `"GlobalSecondaryIndexWarmThroughputDescription"`}},
		// Point-in-time recovery's configurable period (2025).
		{shape: "PointInTimeRecoverySpecification", after: "PointInTimeRecoveryEnabled", name: "RecoveryPeriodInDays", rename: [2]string{`"BooleanObject"`, `"RecoveryPeriodInDays"`}},
		{shape: "PointInTimeRecoveryDescription", after: "PointInTimeRecoveryStatus", name: "RecoveryPeriodInDays"},
	},
}

// shapeAdditions are new shapes the member additions refer to.
var shapeAdditions = map[string]map[string]string{
	"s3": {"ChecksumCRC64NVME": `{"type":"string"}`},
	"dynamodb": {
		"TableWarmThroughputDescription":                `{"type":"structure","members":{"ReadUnitsPerSecond":{"shape":"PositiveLongObject"},"WriteUnitsPerSecond":{"shape":"PositiveLongObject"},"Status":{"shape":"TableStatus"}}}`,
		"RecoveryPeriodInDays":                          `{"type":"integer","min":1,"max":35}`,
		"GlobalSecondaryIndexWarmThroughputDescription": `{"type":"structure","members":{"ReadUnitsPerSecond":{"shape":"PositiveLongObject"},"WriteUnitsPerSecond":{"shape":"PositiveLongObject"},"Status":{"shape":"IndexStatus"}}}`,
	},
}

// shapeRemovals drops constraints of a shape that AWS has since lifted.
// DynamoDB's global secondary indexes take up to four partition and four
// sort key attributes (multi-attribute keys, 2025): the current model's
// KeySchema has no maximum; the service checks the limits itself.
var shapeRemovals = map[string]map[string][]string{
	"dynamodb": {"KeySchema": {"max"}},
}

// patch applies the additions above to a raw api-2.json.
func patch(service string, raw []byte) ([]byte, error) {
	adds := enumAdditions[service]
	members := memberAdditions[service]
	newShapes := shapeAdditions[service]
	removals := shapeRemovals[service]
	if len(adds) == 0 && len(members) == 0 && len(newShapes) == 0 && len(removals) == 0 {
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
	for shape, fields := range removals {
		sh, ok := shapes[shape]
		if !ok {
			return nil, fmt.Errorf("patch: %s has no shape %s", service, shape)
		}
		for _, f := range fields {
			delete(sh, f)
		}
	}
	for name, def := range newShapes {
		if _, ok := shapes[name]; ok {
			continue
		}
		var sh map[string]json.RawMessage
		if err := json.Unmarshal([]byte(def), &sh); err != nil {
			return nil, fmt.Errorf("patch: shape %s: %w", name, err)
		}
		shapes[name] = sh
	}
	for shapeName, sh := range shapes {
		if sh["members"] == nil {
			continue
		}
		for _, mc := range members {
			if mc.shape != "" && mc.shape != shapeName {
				continue
			}
			out, err := insertMember(sh["members"], mc)
			if err != nil {
				return nil, fmt.Errorf("patch: %s: %w", service, err)
			}
			sh["members"] = out
		}
	}
	var err error
	if doc["shapes"], err = json.Marshal(shapes); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// insertMember copies member mc.after as mc.name right after it, keeping
// the members' order (which is the order of the generated struct fields).
func insertMember(raw json.RawMessage, mc memberCopy) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	type kv struct {
		k string
		v json.RawMessage
	}
	var list []kv
	found, exists := false, false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		list = append(list, kv{k, v})
		found = found || k == mc.after
		exists = exists || k == mc.name
	}
	if !found || exists {
		return raw, nil
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, e := range list {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(e.v)
		if e.k == mc.after {
			def := strings.ReplaceAll(string(e.v), mc.after, mc.name)
			def = strings.ReplaceAll(def, mc.rename[0], mc.rename[1])
			n, _ := json.Marshal(mc.name)
			buf.WriteByte(',')
			buf.Write(n)
			buf.WriteByte(':')
			buf.WriteString(def)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
