package dynamodb

import (
	"errors"
	"fmt"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awsid"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// sseOf settles a table's encryption from an SSESpecification: nil (the
// AWS owned key, which DescribeTable does not show) unless it is
// enabled; then the KMS key it names, or the AWS managed key
// alias/aws/dynamodb (made on first use), which must exist, be enabled
// and be a symmetric encryption key. DynamoDB reports a key KMS refuses
// as a ValidationException quoting KMS's error, and describes the table
// with the key's ARN whatever the request named it by.
func (s *DynamoDB) sseOf(ctx *request.Context, sse *dynamodbapi.SSESpecification) (*sseRecord, error) {
	if sse == nil {
		return nil, nil
	}
	typ := ptr.Deref(sse.SSEType)
	if sse.KMSMasterKeyId != nil && typ != "KMS" {
		return nil, validation("SSEType KMS is required if KMSMasterKeyId is specified")
	}
	if typ != "" && typ != "KMS" {
		return nil, validation("Invalid request provided: The only valid SSEType is KMS")
	}
	if !ptr.Deref(sse.Enabled) {
		return nil, nil
	}
	keyID := ptr.Deref(sse.KMSMasterKeyId)
	if s.opts.DataKeys == nil {
		// No KMS (a unit test's DynamoDB): a key is recorded, not checked.
		if keyID == "" {
			keyID = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", ctx.Region, ctx.Account, awsid.UUID())
		}
		return &sseRecord{Enabled: true, Type: "KMS", KMSKey: keyID}, nil
	}
	k, err := s.opts.DataKeys.Key(ctx, keyID)
	if err != nil {
		return nil, kmsValidation(ctx, kmsseam.Code(err), kmsseam.Message(err))
	}
	switch {
	case k.State == "Disabled":
		return nil, kmsValidation(ctx, kmsseam.Disabled, k.ARN+" is disabled.")
	case k.State != "Enabled":
		return nil, kmsValidation(ctx, kmsseam.InvalidState, k.ARN+" is "+stateWords(k.State)+".")
	case !k.Symmetric():
		return nil, kmsValidation(ctx, kmsseam.InvalidKeyUsage, k.ARN+" key usage is "+k.Usage+" which is not valid for GenerateDataKey.")
	}
	return &sseRecord{Enabled: true, Type: "KMS", KMSKey: k.ARN}, nil
}

func stateWords(state string) string {
	switch state {
	case "PendingDeletion":
		return "pending deletion"
	case "PendingImport":
		return "pending import"
	}
	return state
}

// kmsValidation is DynamoDB's wording of a KMS refusal: the Java
// exception of KMS's SDK, as AWS answers it.
func kmsValidation(ctx *request.Context, code, msg string) error {
	return validation("KMS validation error: com.amazonaws.services.kms.model.%s: %s (Service: AWSKMS; Status Code: 400; Error Code: %s; Request ID: %s; Proxy: null)",
		code, msg, code, awsid.UUID())
}

// keyState is whether DynamoDB can use a table's KMS key now: "" when it
// can (or the table has none), else KMS's error code for the refusal and
// its message. AWS notices a disabled, deleted or pending-deletion key
// within minutes; niwa asks KMS on every request to an encrypted table.
func (s *DynamoDB) keyState(ctx *request.Context, t *tableRecord) (code, msg string) {
	if t == nil || t.SSE == nil || t.SSE.KMSKey == "" || s.opts.DataKeys == nil {
		return "", ""
	}
	k, err := s.opts.DataKeys.Key(ctx, t.SSE.KMSKey)
	switch {
	case err != nil:
		return kmsseam.Code(err), kmsseam.Message(err)
	case k.State == "Disabled":
		return kmsseam.Disabled, k.ARN + " is disabled."
	case k.State != "Enabled":
		return kmsseam.InvalidState, k.ARN + " is " + stateWords(k.State) + "."
	}
	return "", ""
}

// errKeyCheck ends an item operation's transaction that read a table
// with a KMS key before checking the key (needsKeyCheck): the operation
// then runs checkTableKeys and its transaction again. Item operations on
// tables without one (the usual case) read the table once, in their own
// transaction, instead of once more in checkTableKeys's.
var errKeyCheck = errors.New("dynamodb: the table's KMS key is to be checked first")

// needsKeyCheck reports whether checkTableKeys could refuse an item
// operation on t (keyState would ask KMS).
// itemTable is the table an item call reads in its own transaction:
// errKeyCheck for a table with a KMS key unless keyChecked (see
// withKeyCheck).
func (s *DynamoDB) itemTable(tx storage.Tx, sc storage.Scope, name *string, keyChecked bool) (*tableRecord, error) {
	t, err := s.loadTable(tx, sc, tableName(name))
	if err != nil {
		return nil, err
	}
	if !keyChecked && s.needsKeyCheck(t) {
		return nil, errKeyCheck
	}
	return t, nil
}

func (s *DynamoDB) needsKeyCheck(t *tableRecord) bool {
	return s.opts.DataKeys != nil && t.SSE != nil && t.SSE.KMSKey != ""
}

// checkTableKeys refuses an item operation on tables whose KMS key
// DynamoDB cannot use (their status is INACCESSIBLE_ENCRYPTION_CREDENTIALS):
// the request fails with the KMS error, as a ValidationException in
// DynamoDB's KMS wording. Tables that do not exist are left to the
// operation, which answers ResourceNotFoundException itself.
func (s *DynamoDB) checkTableKeys(ctx *request.Context, names ...string) error {
	if s.opts.DataKeys == nil {
		return nil
	}
	for _, name := range names {
		t, err := s.loadTableView(ctx, tableName(&name))
		if err != nil {
			continue
		}
		if code, msg := s.keyState(ctx, t); code != "" {
			return kmsValidation(ctx, code, msg)
		}
	}
	return nil
}
