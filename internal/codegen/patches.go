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
	"lambda": {"Runtime": {"python3.13", "nodejs22.x", "ruby3.4", "nodejs24.x", "python3.14", "java25", "dotnet10", "ruby4.0"}},
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

// shapeMember is a member added to one named shape, appended after the
// shape's existing members.
type shapeMember struct {
	name, def string // def is the member's JSON definition
}

// shapeMemberAdditions are request and response members S3 documents today
// that the frozen model predates: conditional writes (If-None-Match and
// If-Match on PutObject, CompleteMultipartUpload and CopyObject) and conditional
// deletes (If-Match on DeleteObject, 2025).
var shapeMemberAdditions = map[string]map[string][]shapeMember{
	"s3": {
		"PutObjectRequest": {
			{"IfMatch", `{"shape":"IfMatch","location":"header","locationName":"If-Match"}`},
			{"IfNoneMatch", `{"shape":"IfNoneMatch","location":"header","locationName":"If-None-Match"}`},
		},
		"CompleteMultipartUploadRequest": {
			{"IfMatch", `{"shape":"IfMatch","location":"header","locationName":"If-Match"}`},
			{"IfNoneMatch", `{"shape":"IfNoneMatch","location":"header","locationName":"If-None-Match"}`},
		},
		"CopyObjectRequest": {
			{"IfMatch", `{"shape":"IfMatch","location":"header","locationName":"If-Match"}`},
			{"IfNoneMatch", `{"shape":"IfNoneMatch","location":"header","locationName":"If-None-Match"}`},
		},
		"DeleteObjectRequest": {
			{"IfMatch", `{"shape":"IfMatch","location":"header","locationName":"If-Match"}`},
		},
		// HEAD answers a Range with 206 and Content-Range, and carries
		// x-amz-tagging-count like GET.
		"HeadObjectOutput": {
			{"ContentRange", `{"shape":"ContentRange","location":"header","locationName":"Content-Range"}`},
			{"TagCount", `{"shape":"TagCount","location":"header","locationName":"x-amz-tagging-count"}`},
			{"ChecksumType", `{"shape":"ChecksumType","location":"header","locationName":"x-amz-checksum-type"}`},
		},
		// GET and HEAD name the kind of checksum they answer (2025).
		"GetObjectOutput": {
			{"ChecksumType", `{"shape":"ChecksumType","location":"header","locationName":"x-amz-checksum-type"}`},
		},
		"CompleteMultipartUploadOutput": {
			{"ChecksumType", `{"shape":"ChecksumType"}`},
		},
		// ListBuckets pagination (2024).
		"ListBucketsRequest": {
			{"MaxBuckets", `{"shape":"MaxBuckets","location":"querystring","locationName":"max-buckets"}`},
			{"ContinuationToken", `{"shape":"Token","location":"querystring","locationName":"continuation-token"}`},
			{"Prefix", `{"shape":"Prefix","location":"querystring","locationName":"prefix"}`},
			{"BucketRegion", `{"shape":"BucketRegion","location":"querystring","locationName":"bucket-region"}`},
		},
		"ListBucketsOutput": {
			{"ContinuationToken", `{"shape":"NextToken"}`},
			{"Prefix", `{"shape":"Prefix"}`},
		},
		"Bucket": {
			{"BucketRegion", `{"shape":"BucketRegion"}`},
			{"BucketArn", `{"shape":"BucketArn"}`},
		},
		// Account regional namespaces for general purpose buckets (2026):
		// CreateBucket takes x-amz-bucket-namespace; CreateBucket and
		// HeadBucket answer the bucket's ARN.
		"CreateBucketRequest": {
			{"BucketNamespace", `{"shape":"BucketNamespace","location":"header","locationName":"x-amz-bucket-namespace"}`},
		},
		"CreateBucketOutput": {
			{"BucketArn", `{"shape":"BucketArn","location":"header","locationName":"x-amz-bucket-arn"}`},
		},
		"HeadBucketOutput": {
			{"BucketArn", `{"shape":"BucketArn","location":"header","locationName":"x-amz-bucket-arn"}`},
		},
		// RestoreObject answers 202 when it starts a restore and 200 when
		// the object was already restored (S3 API Reference); the
		// frozen model has no member bound to the status.
		"RestoreObjectOutput": {
			{"StatusCode", `{"shape":"GetObjectResponseStatusCode","location":"statusCode"}`},
		},
	},
	// ListSecrets sorts by a chosen field (2025; before, by creation
	// date only).
	"secretsmanager": {
		"ListSecretsRequest": {{"SortBy", `{"shape":"SortByType"}`}},
	},
}

// newShapeAdditions are whole shapes the shape member additions need,
// added before them.
var newShapeAdditions = map[string]map[string]string{
	"s3": {
		"ChecksumType": `{"type":"string","enum":["COMPOSITE","FULL_OBJECT"]}`,
		"MaxBuckets":   `{"type":"integer","box":true,"max":10000,"min":1}`,
		"BucketRegion": `{"type":"string"}`,
		"BucketArn":    `{"type":"string"}`,
		// Bucket ABAC (2025), for operationAdditions below.
		"BucketAbacStatus":     `{"type":"string","enum":["Enabled","Disabled"]}`,
		"AbacStatus":           `{"type":"structure","members":{"Status":{"shape":"BucketAbacStatus"}}}`,
		"PutBucketAbacRequest": `{"type":"structure","required":["Bucket","AbacStatus"],"members":{"Bucket":{"shape":"BucketName","location":"uri","locationName":"Bucket"},"ContentMD5":{"shape":"ContentMD5","location":"header","locationName":"Content-MD5"},"ChecksumAlgorithm":{"shape":"ChecksumAlgorithm","location":"header","locationName":"x-amz-sdk-checksum-algorithm"},"ExpectedBucketOwner":{"shape":"AccountId","location":"header","locationName":"x-amz-expected-bucket-owner"},"AbacStatus":{"shape":"AbacStatus","locationName":"AbacStatus","xmlNamespace":{"uri":"http://s3.amazonaws.com/doc/2006-03-01/"}}},"payload":"AbacStatus"}`,
		"GetBucketAbacRequest": `{"type":"structure","required":["Bucket"],"members":{"Bucket":{"shape":"BucketName","location":"uri","locationName":"Bucket"},"ExpectedBucketOwner":{"shape":"AccountId","location":"header","locationName":"x-amz-expected-bucket-owner"}}}`,
		"GetBucketAbacOutput":  `{"type":"structure","members":{"AbacStatus":{"shape":"AbacStatus"}},"payload":"AbacStatus"}`,
		// The operations niwa routes only to refuse (S3 Metadata tables
		// need S3 Tables; RenameObject serves directory buckets): their
		// URI and header members, so that
		// their requests are told apart from the operations sharing
		// their paths, and no body.
		"UnservedBucketRequest": `{"type":"structure","required":["Bucket"],"members":{"Bucket":{"shape":"BucketName","location":"uri","locationName":"Bucket"},"ExpectedBucketOwner":{"shape":"AccountId","location":"header","locationName":"x-amz-expected-bucket-owner"}}}`,
		"UnservedObjectRequest": `{"type":"structure","required":["Bucket","Key"],"members":{"Bucket":{"shape":"BucketName","location":"uri","locationName":"Bucket"},"Key":{"shape":"ObjectKey","location":"uri","locationName":"Key"},"ExpectedBucketOwner":{"shape":"AccountId","location":"header","locationName":"x-amz-expected-bucket-owner"}}}`,
		"UnservedOutput":        `{"type":"structure","members":{}}`,
		// UpdateObjectEncryption (2026). The key ARN is a plain string
		// here: S3 answers a malformed one with its own InvalidRequest.
		"SSEKMSEncryption":               `{"type":"structure","members":{"KMSKeyArn":{"shape":"SSEKMSKeyId"},"BucketKeyEnabled":{"shape":"BucketKeyEnabled"}}}`,
		"ObjectEncryption":               `{"type":"structure","members":{"SSEKMS":{"shape":"SSEKMSEncryption","locationName":"SSE-KMS"}}}`,
		"UpdateObjectEncryptionRequest":  `{"type":"structure","required":["Bucket","Key","ObjectEncryption"],"members":{"Bucket":{"shape":"BucketName","location":"uri","locationName":"Bucket"},"Key":{"shape":"ObjectKey","location":"uri","locationName":"Key"},"VersionId":{"shape":"ObjectVersionId","location":"querystring","locationName":"versionId"},"ObjectEncryption":{"shape":"ObjectEncryption","locationName":"ObjectEncryption","xmlNamespace":{"uri":"http://s3.amazonaws.com/doc/2006-03-01/"}},"RequestPayer":{"shape":"RequestPayer","location":"header","locationName":"x-amz-request-payer"},"ExpectedBucketOwner":{"shape":"AccountId","location":"header","locationName":"x-amz-expected-bucket-owner"},"ContentMD5":{"shape":"ContentMD5","location":"header","locationName":"Content-MD5"},"ChecksumAlgorithm":{"shape":"ChecksumAlgorithm","location":"header","locationName":"x-amz-sdk-checksum-algorithm"}},"payload":"ObjectEncryption"}`,
		"UpdateObjectEncryptionResponse": `{"type":"structure","members":{"RequestCharged":{"shape":"RequestCharged","location":"header","locationName":"x-amz-request-charged"}}}`,
		"BucketNamespace":                `{"type":"string","enum":["account-regional","global"]}`,
		"ListBucketsRequest":             `{"type":"structure","members":{}}`,
	},
	"secretsmanager": {
		"SortByType": `{"type":"string","enum":["created-date","last-accessed-date","last-changed-date","name"]}`,
	},
	// Lambda's recursive loop detection setting (2024), for
	// operationAdditions below.
	"lambda": {
		"UnqualifiedFunctionName":            `{"type":"string","max":140,"min":1,"pattern":"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)"}`,
		"RecursiveLoop":                      `{"type":"string","enum":["Allow","Terminate"]}`,
		"GetFunctionRecursionConfigRequest":  `{"type":"structure","required":["FunctionName"],"members":{"FunctionName":{"shape":"UnqualifiedFunctionName","location":"uri","locationName":"FunctionName"}}}`,
		"GetFunctionRecursionConfigResponse": `{"type":"structure","members":{"RecursiveLoop":{"shape":"RecursiveLoop"}}}`,
		"PutFunctionRecursionConfigRequest":  `{"type":"structure","required":["FunctionName","RecursiveLoop"],"members":{"FunctionName":{"shape":"UnqualifiedFunctionName","location":"uri","locationName":"FunctionName"},"RecursiveLoop":{"shape":"RecursiveLoop"}}}`,
		"PutFunctionRecursionConfigResponse": `{"type":"structure","members":{"RecursiveLoop":{"shape":"RecursiveLoop"}}}`,
	},
}

// operationAdditions are whole operations current clients call that the
// frozen model predates, as botocore's model defines them (documentation
// left out); their shapes are in newShapeAdditions.
var operationAdditions = map[string]map[string]string{
	// S3 operations of 2025-2026: bucket ABAC, S3 Metadata
	// configurations, RenameObject and UpdateObjectEncryption. Without
	// them their requests would be taken for the operations that share
	// their paths (PUT /{Bucket}/{Key+}?renameObject for PutObject, DELETE
	// /{Bucket}?metadataTable for DeleteBucket).
	"s3": {
		"GetBucketAbac":                                    `{"name":"GetBucketAbac","http":{"method":"GET","requestUri":"/{Bucket}?abac"},"input":{"shape":"GetBucketAbacRequest"},"output":{"shape":"GetBucketAbacOutput"}}`,
		"PutBucketAbac":                                    `{"name":"PutBucketAbac","http":{"method":"PUT","requestUri":"/{Bucket}?abac"},"input":{"shape":"PutBucketAbacRequest"},"httpChecksum":{"requestAlgorithmMember":"ChecksumAlgorithm","requestChecksumRequired":false}}`,
		"CreateBucketMetadataConfiguration":                `{"name":"CreateBucketMetadataConfiguration","http":{"method":"POST","requestUri":"/{Bucket}?metadataConfiguration"},"input":{"shape":"UnservedBucketRequest"}}`,
		"CreateBucketMetadataTableConfiguration":           `{"name":"CreateBucketMetadataTableConfiguration","http":{"method":"POST","requestUri":"/{Bucket}?metadataTable"},"input":{"shape":"UnservedBucketRequest"}}`,
		"DeleteBucketMetadataConfiguration":                `{"name":"DeleteBucketMetadataConfiguration","http":{"method":"DELETE","requestUri":"/{Bucket}?metadataConfiguration","responseCode":204},"input":{"shape":"UnservedBucketRequest"}}`,
		"DeleteBucketMetadataTableConfiguration":           `{"name":"DeleteBucketMetadataTableConfiguration","http":{"method":"DELETE","requestUri":"/{Bucket}?metadataTable","responseCode":204},"input":{"shape":"UnservedBucketRequest"}}`,
		"GetBucketMetadataConfiguration":                   `{"name":"GetBucketMetadataConfiguration","http":{"method":"GET","requestUri":"/{Bucket}?metadataConfiguration"},"input":{"shape":"UnservedBucketRequest"},"output":{"shape":"UnservedOutput"}}`,
		"GetBucketMetadataTableConfiguration":              `{"name":"GetBucketMetadataTableConfiguration","http":{"method":"GET","requestUri":"/{Bucket}?metadataTable"},"input":{"shape":"UnservedBucketRequest"},"output":{"shape":"UnservedOutput"}}`,
		"UpdateBucketMetadataInventoryTableConfiguration":  `{"name":"UpdateBucketMetadataInventoryTableConfiguration","http":{"method":"PUT","requestUri":"/{Bucket}?metadataInventoryTable"},"input":{"shape":"UnservedBucketRequest"}}`,
		"UpdateBucketMetadataAnnotationTableConfiguration": `{"name":"UpdateBucketMetadataAnnotationTableConfiguration","http":{"method":"PUT","requestUri":"/{Bucket}?metadataAnnotationTable"},"input":{"shape":"UnservedBucketRequest"}}`,
		"UpdateBucketMetadataJournalTableConfiguration":    `{"name":"UpdateBucketMetadataJournalTableConfiguration","http":{"method":"PUT","requestUri":"/{Bucket}?metadataJournalTable"},"input":{"shape":"UnservedBucketRequest"}}`,
		"RenameObject":                                     `{"name":"RenameObject","http":{"method":"PUT","requestUri":"/{Bucket}/{Key+}?renameObject"},"input":{"shape":"UnservedObjectRequest"},"output":{"shape":"UnservedOutput"}}`,
		"UpdateObjectEncryption":                           `{"name":"UpdateObjectEncryption","http":{"method":"PUT","requestUri":"/{Bucket}/{Key+}?encryption"},"input":{"shape":"UpdateObjectEncryptionRequest"},"output":{"shape":"UpdateObjectEncryptionResponse"},"httpChecksum":{"requestAlgorithmMember":"ChecksumAlgorithm","requestChecksumRequired":true}}`,
	},
	"lambda": {
		"GetFunctionRecursionConfig": `{"name":"GetFunctionRecursionConfig","http":{"method":"GET","requestUri":"/2024-08-31/functions/{FunctionName}/recursion-config","responseCode":200},"input":{"shape":"GetFunctionRecursionConfigRequest"},"output":{"shape":"GetFunctionRecursionConfigResponse"},"errors":[{"shape":"InvalidParameterValueException"},{"shape":"ServiceException"},{"shape":"TooManyRequestsException"},{"shape":"ResourceNotFoundException"}],"readonly":true}`,
		"PutFunctionRecursionConfig": `{"name":"PutFunctionRecursionConfig","http":{"method":"PUT","requestUri":"/2024-08-31/functions/{FunctionName}/recursion-config","responseCode":200},"input":{"shape":"PutFunctionRecursionConfigRequest"},"output":{"shape":"PutFunctionRecursionConfigResponse"},"errors":[{"shape":"InvalidParameterValueException"},{"shape":"ResourceConflictException"},{"shape":"ServiceException"},{"shape":"TooManyRequestsException"},{"shape":"ResourceNotFoundException"}]}`,
	},
}

// opPatch changes an operation: the HTTP status of its success answer
// (S3 answers PutBucketTagging and PutBucketPolicy with 204, which the
// frozen model does not say) or the input shape it gained since.
type opPatch struct {
	responseCode int
	input        string
}

var opPatches = map[string]map[string]opPatch{
	"s3": {
		"PutBucketTagging": {responseCode: 204},
		"PutBucketPolicy":  {responseCode: 204},
		"ListBuckets":      {input: "ListBucketsRequest"},
	},
}

// patch applies the additions above to a raw api-2.json.
func patch(service string, raw []byte) ([]byte, error) {
	adds := enumAdditions[service]
	members := memberAdditions[service]
	shapeMembers := shapeMemberAdditions[service]
	ops := opPatches[service]
	newOps := operationAdditions[service]
	removals := shapeRemovals[service]
	// A fresh map: the package-level ones stay as declared.
	newShapes := map[string]string{}
	for _, m := range []map[string]string{shapeAdditions[service], newShapeAdditions[service]} {
		for k, v := range m {
			newShapes[k] = v
		}
	}
	if len(adds) == 0 && len(members) == 0 && len(newShapes) == 0 && len(shapeMembers) == 0 && len(ops) == 0 && len(newOps) == 0 && len(removals) == 0 {
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
	for shape, list := range shapeMembers {
		sh, ok := shapes[shape]
		if !ok {
			return nil, fmt.Errorf("patch: %s has no shape %s", service, shape)
		}
		for _, m := range list {
			out, err := appendMember(sh["members"], m)
			if err != nil {
				return nil, fmt.Errorf("patch: %s.%s: %w", service, shape, err)
			}
			sh["members"] = out
		}
	}
	var err error
	if doc["shapes"], err = json.Marshal(shapes); err != nil {
		return nil, err
	}
	if len(ops) > 0 || len(newOps) > 0 {
		var operations map[string]map[string]json.RawMessage
		if err := json.Unmarshal(doc["operations"], &operations); err != nil {
			return nil, err
		}
		for name, def := range newOps {
			if _, ok := operations[name]; ok {
				return nil, fmt.Errorf("patch: %s already has operation %s", service, name)
			}
			var op map[string]json.RawMessage
			if err := json.Unmarshal([]byte(def), &op); err != nil {
				return nil, fmt.Errorf("patch: %s.%s: %w", service, name, err)
			}
			operations[name] = op
		}
		for name, p := range ops {
			op, ok := operations[name]
			if !ok {
				return nil, fmt.Errorf("patch: %s has no operation %s", service, name)
			}
			if p.responseCode != 0 {
				var h map[string]any
				if err := json.Unmarshal(op["http"], &h); err != nil {
					return nil, fmt.Errorf("patch: %s.%s http: %w", service, name, err)
				}
				h["responseCode"] = p.responseCode
				op["http"], _ = json.Marshal(h)
			}
			if p.input != "" {
				op["input"], _ = json.Marshal(map[string]string{"shape": p.input})
			}
		}
		if doc["operations"], err = json.Marshal(operations); err != nil {
			return nil, err
		}
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

// appendMember adds m at the end of a members object, keeping the existing
// order; a member the model already has is left alone.
func appendMember(raw json.RawMessage, m shapeMember) (json.RawMessage, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, err
	}
	if _, ok := probe[m.name]; ok {
		return raw, nil
	}
	if !json.Valid([]byte(m.def)) {
		return nil, fmt.Errorf("member %s: invalid definition", m.name)
	}
	body := bytes.TrimSpace(raw)
	body = bytes.TrimSuffix(body, []byte("}"))
	var buf bytes.Buffer
	buf.Write(body)
	if len(probe) > 0 {
		buf.WriteByte(',')
	}
	n, _ := json.Marshal(m.name)
	buf.Write(n)
	buf.WriteByte(':')
	buf.WriteString(m.def)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
