package dynamodb

import (
	"fmt"
	"slices"
	"strings"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// On-demand backups: CreateBackup copies the table's definition and every
// item, in one storage transaction, under
//
//	backup/<id>              backupRecord
//	bitem/<id>/<n>           the items, in key order
//
// so a backup outlives its table, as on AWS, and RestoreTableFromBackup
// creates a new table from the copy.

var backups = storage.NewTable[backupRecord]("backup")

// restoreRecord is where a restored table came from (RestoreSummary).
type restoreRecord struct {
	BackupARN, TableARN string
	At                  time.Time
}

type backupRecord struct {
	ID      string
	ARN     string
	Name    string
	Created time.Time
	Table   tableRecord
	Items   int64
	Bytes   int64
	Deleted bool `json:",omitempty"`
}

func backupNotFound(arn string) error {
	return dynamodbapi.ErrBackupNotFoundException.New("Backup not found: %s", arn)
}

// backupID returns the id of a backup ARN of this account and region.
func backupID(ctx *request.Context, arn string) (string, bool) {
	prefix := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/", ctx.Region, ctx.Account)
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return "", false
	}
	i := strings.Index(rest, "/backup/")
	if i < 0 || strings.Contains(rest[i+len("/backup/"):], "/") || rest[i+len("/backup/"):] == "" {
		return "", false
	}
	return rest[i+len("/backup/"):], true
}

func (b *backupRecord) details() *dynamodbapi.BackupDetails {
	st := "AVAILABLE"
	if b.Deleted {
		st = "DELETED"
	}
	return &dynamodbapi.BackupDetails{BackupArn: ptr.To(b.ARN), BackupName: ptr.To(b.Name), BackupSizeBytes: ptr.To(b.Bytes),
		BackupStatus: ptr.To(st), BackupType: ptr.To("USER"), BackupCreationDateTime: ptr.To(b.Created)}
}

func (b *backupRecord) description() *dynamodbapi.BackupDescription {
	t := &b.Table
	src := &dynamodbapi.SourceTableDetails{TableName: ptr.To(t.Name), TableId: ptr.To(t.ID), TableArn: ptr.To(t.ARN),
		TableSizeBytes: ptr.To(b.Bytes), KeySchema: keySchema(t.Hash, t.Range), TableCreationDateTime: ptr.To(t.Created),
		ProvisionedThroughput: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr.To(t.RCU), WriteCapacityUnits: ptr.To(t.WCU)},
		ItemCount:             ptr.To(b.Items), BillingMode: ptr.To(t.Billing)}
	f := &dynamodbapi.SourceTableFeatureDetails{}
	for _, ix := range t.GSIs {
		f.GlobalSecondaryIndexes = append(f.GlobalSecondaryIndexes, dynamodbapi.GlobalSecondaryIndexInfo{IndexName: ptr.To(ix.Name),
			KeySchema: indexKeySchema(ix), Projection: projection(ix),
			ProvisionedThroughput: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr.To(ix.RCU), WriteCapacityUnits: ptr.To(ix.WCU)}})
	}
	for _, ix := range t.LSIs {
		f.LocalSecondaryIndexes = append(f.LocalSecondaryIndexes, dynamodbapi.LocalSecondaryIndexInfo{IndexName: ptr.To(ix.Name),
			KeySchema: indexKeySchema(ix), Projection: projection(ix)})
	}
	if t.Stream != nil && t.Stream.Enabled {
		f.StreamDescription = &dynamodbapi.StreamSpecification{StreamEnabled: ptr.To(true), StreamViewType: ptr.To(t.Stream.ViewType)}
	}
	f.TimeToLiveDescription = &dynamodbapi.TimeToLiveDescription{TimeToLiveStatus: ptr.To("DISABLED")}
	if t.TTLOn {
		f.TimeToLiveDescription = &dynamodbapi.TimeToLiveDescription{TimeToLiveStatus: ptr.To("ENABLED"), AttributeName: ptr.To(t.TTLAttr)}
	}
	if t.SSE != nil {
		f.SSEDescription = &dynamodbapi.SSEDescription{Status: ptr.To("ENABLED"), SSEType: ptr.To("KMS"), KMSMasterKeyArn: ptr.To(t.SSE.KMSKey)}
	}
	return &dynamodbapi.BackupDescription{BackupDetails: b.details(), SourceTableDetails: src, SourceTableFeatureDetails: f}
}

// CreateBackup copies a table, definition and items.
func (s *DynamoDB) CreateBackup(ctx *request.Context, in *dynamodbapi.CreateBackupInput) (*dynamodbapi.CreateBackupOutput, error) {
	name := tableName(in.TableName)
	sc := scopeOf(ctx)
	now := ctx.Now()
	var b backupRecord
	err := s.store.Update(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return dynamodbapi.ErrTableNotFoundException.New("Table not found: %s", name)
		}
		id := fmt.Sprintf("%013d-%s", now.UnixMilli(), awsid.Hex(4))
		b = backupRecord{ID: id, ARN: t.ARN + "/backup/" + id, Name: ptr.Deref(in.BackupName), Created: now, Table: t}
		var n int64
		err = s.scanItems(tx, sc.Prefix("item", name), func(it Item) error {
			data, err := encodeItem(it)
			if err != nil {
				return err
			}
			n++
			b.Items, b.Bytes = n, b.Bytes+int64(itemSize(it))
			return tx.Put(sc.Key("bitem", id, fmt.Sprintf("%012d", n)), data)
		})
		if err != nil {
			return err
		}
		return backups.Put(tx, sc, b, id)
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.CreateBackupOutput{BackupDetails: b.details()}, nil
}

func (s *DynamoDB) loadBackup(tx storage.Tx, ctx *request.Context, arn string) (backupRecord, error) {
	id, ok := backupID(ctx, arn)
	if !ok {
		return backupRecord{}, backupNotFound(arn)
	}
	b, ok, err := backups.Get(tx, scopeOf(ctx), id)
	if err != nil {
		return b, err
	}
	if !ok {
		return b, backupNotFound(arn)
	}
	return b, nil
}

// DescribeBackup describes a backup.
func (s *DynamoDB) DescribeBackup(ctx *request.Context, in *dynamodbapi.DescribeBackupInput) (*dynamodbapi.DescribeBackupOutput, error) {
	var b backupRecord
	err := s.store.View(func(tx storage.Tx) (err error) {
		b, err = s.loadBackup(tx, ctx, ptr.Deref(in.BackupArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DescribeBackupOutput{BackupDescription: b.description()}, nil
}

// DeleteBackup deletes a backup and its items.
func (s *DynamoDB) DeleteBackup(ctx *request.Context, in *dynamodbapi.DeleteBackupInput) (*dynamodbapi.DeleteBackupOutput, error) {
	sc := scopeOf(ctx)
	var b backupRecord
	err := s.store.Update(func(tx storage.Tx) (err error) {
		if b, err = s.loadBackup(tx, ctx, ptr.Deref(in.BackupArn)); err != nil {
			return err
		}
		if err := storage.DeletePrefix(tx, sc.Prefix("bitem", b.ID)); err != nil {
			return err
		}
		return backups.Delete(tx, sc, b.ID)
	})
	if err != nil {
		return nil, err
	}
	b.Deleted = true
	return &dynamodbapi.DeleteBackupOutput{BackupDescription: b.description()}, nil
}

// ListBackups lists backups, oldest first, optionally of one table and
// within a creation time range, Limit at a time.
func (s *DynamoDB) ListBackups(ctx *request.Context, in *dynamodbapi.ListBackupsInput) (*dynamodbapi.ListBackupsOutput, error) {
	if bt := ptr.Deref(in.BackupType); bt == "SYSTEM" || bt == "AWS_BACKUP" {
		return &dynamodbapi.ListBackupsOutput{BackupSummaries: []dynamodbapi.BackupSummary{}}, nil
	}
	filter := ""
	if in.TableName != nil {
		filter = tableName(in.TableName)
	}
	var all []backupRecord
	err := s.store.View(func(tx storage.Tx) error {
		return backups.List(tx, scopeOf(ctx), nil, storage.ListOptions{}, func(_ []string, b backupRecord) bool {
			switch {
			case filter != "" && b.Table.Name != filter:
			case in.TimeRangeLowerBound != nil && b.Created.Before(*in.TimeRangeLowerBound):
			case in.TimeRangeUpperBound != nil && !b.Created.Before(*in.TimeRangeUpperBound):
			default:
				all = append(all, b)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	start := 0
	if in.ExclusiveStartBackupArn != nil {
		i := slices.IndexFunc(all, func(b backupRecord) bool { return b.ARN == *in.ExclusiveStartBackupArn })
		if i < 0 {
			return nil, validation("Invalid ExclusiveStartBackupArn: %s", *in.ExclusiveStartBackupArn)
		}
		start = i + 1
	}
	out := &dynamodbapi.ListBackupsOutput{BackupSummaries: []dynamodbapi.BackupSummary{}}
	for _, b := range all[start:] {
		if in.Limit != nil && len(out.BackupSummaries) == int(*in.Limit) {
			out.LastEvaluatedBackupArn = out.BackupSummaries[len(out.BackupSummaries)-1].BackupArn
			break
		}
		d := b.details()
		out.BackupSummaries = append(out.BackupSummaries, dynamodbapi.BackupSummary{TableName: ptr.To(b.Table.Name), TableId: ptr.To(b.Table.ID),
			TableArn: ptr.To(b.Table.ARN), BackupArn: d.BackupArn, BackupName: d.BackupName, BackupCreationDateTime: d.BackupCreationDateTime,
			BackupStatus: d.BackupStatus, BackupType: d.BackupType, BackupSizeBytes: d.BackupSizeBytes})
	}
	return out, nil
}

// restoreInput is CreateTable's input for a table like t, with the
// overrides RestoreTableFromBackup allows.
func restoreInput(t *tableRecord, in *dynamodbapi.RestoreTableFromBackupInput) *dynamodbapi.CreateTableInput {
	c := &dynamodbapi.CreateTableInput{TableName: in.TargetTableName, KeySchema: keySchema(t.Hash, t.Range), BillingMode: ptr.To(t.Billing)}
	if t.Class != "" {
		c.TableClass = ptr.To(t.Class)
	}
	if in.BillingModeOverride != nil {
		c.BillingMode = in.BillingModeOverride
	}
	pt := func(r, w int64) *dynamodbapi.ProvisionedThroughput {
		if ptr.Deref(c.BillingMode) != "PROVISIONED" {
			return nil
		}
		if in.ProvisionedThroughputOverride != nil {
			return in.ProvisionedThroughputOverride
		}
		return &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr.To(max(r, 1)), WriteCapacityUnits: ptr.To(max(w, 1))}
	}
	c.ProvisionedThroughput = pt(t.RCU, t.WCU)
	used := map[string]bool{t.Hash: true, t.Range: true}
	if in.GlobalSecondaryIndexOverride != nil {
		c.GlobalSecondaryIndexes = in.GlobalSecondaryIndexOverride
	} else {
		for _, ix := range t.GSIs {
			c.GlobalSecondaryIndexes = append(c.GlobalSecondaryIndexes, dynamodbapi.GlobalSecondaryIndex{IndexName: ptr.To(ix.Name),
				KeySchema: indexKeySchema(ix), Projection: projection(ix), ProvisionedThroughput: pt(ix.RCU, ix.WCU)})
		}
	}
	if in.LocalSecondaryIndexOverride != nil {
		c.LocalSecondaryIndexes = in.LocalSecondaryIndexOverride
	} else {
		for _, ix := range t.LSIs {
			c.LocalSecondaryIndexes = append(c.LocalSecondaryIndexes, dynamodbapi.LocalSecondaryIndex{IndexName: ptr.To(ix.Name),
				KeySchema: indexKeySchema(ix), Projection: projection(ix)})
		}
	}
	for _, g := range c.GlobalSecondaryIndexes {
		for _, k := range g.KeySchema {
			used[ptr.Deref(k.AttributeName)] = true
		}
	}
	for _, l := range c.LocalSecondaryIndexes {
		for _, k := range l.KeySchema {
			used[ptr.Deref(k.AttributeName)] = true
		}
	}
	for _, a := range t.AttrDefs {
		if used[a.Name] {
			c.AttributeDefinitions = append(c.AttributeDefinitions, dynamodbapi.AttributeDefinition{AttributeName: ptr.To(a.Name), AttributeType: ptr.To(a.Type)})
		}
	}
	switch {
	case in.SSESpecificationOverride != nil:
		c.SSESpecification = in.SSESpecificationOverride
	case t.SSE != nil:
		c.SSESpecification = &dynamodbapi.SSESpecification{Enabled: ptr.To(true), SSEType: ptr.To("KMS"), KMSMasterKeyId: ptr.To(t.SSE.KMSKey)}
	}
	return c
}

// fillRestored writes the items items yields into the restored table
// target (just created) and records where it came from, in one
// transaction; it returns the table's description.
func (s *DynamoDB) fillRestored(ctx *request.Context, target string, from restoreRecord, items func(tx storage.Tx, put func(Item) error) error) (*dynamodbapi.TableDescription, error) {
	sc := scopeOf(ctx)
	now := ctx.Now()
	var d *dynamodbapi.TableDescription
	err := s.store.Update(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, target)
		if err != nil {
			return err
		}
		if !ok {
			return tableNotFound(target)
		}
		err = items(tx, func(it Item) error {
			k, err := t.keyOfItem(it)
			if err != nil {
				return err
			}
			return s.write(tx, sc, &t, k, nil, it, nil, now)
		})
		if err != nil {
			return err
		}
		t.Restore = &from
		if err := tables.Put(tx, sc, t, target); err != nil {
			return err
		}
		c, _, err := counts.Get(tx, sc, target)
		if err != nil {
			return err
		}
		d = s.describe(&t, c, now)
		return nil
	})
	return d, err
}

// RestoreTableFromBackup creates a new table from a backup: its key
// schema, indexes (or the overrides), billing and encryption, and every
// item. Streams, TTL, tags and point-in-time recovery are not restored, as
// on AWS.
func (s *DynamoDB) RestoreTableFromBackup(ctx *request.Context, in *dynamodbapi.RestoreTableFromBackupInput) (*dynamodbapi.RestoreTableFromBackupOutput, error) {
	sc := scopeOf(ctx)
	target := ptr.Deref(in.TargetTableName)
	var b backupRecord
	err := s.store.View(func(tx storage.Tx) (err error) {
		if b, err = s.loadBackup(tx, ctx, ptr.Deref(in.BackupArn)); err != nil {
			return err
		}
		if _, ok := tx.Get(tables.Key(sc, target)); ok {
			return dynamodbapi.ErrTableAlreadyExistsException.New("Table already exists: %s", target)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.CreateTable(ctx, restoreInput(&b.Table, in)); err != nil {
		return nil, err
	}
	d, err := s.fillRestored(ctx, target, restoreRecord{BackupARN: b.ARN, TableARN: b.Table.ARN, At: ctx.Now()}, func(tx storage.Tx, put func(Item) error) error {
		return s.scanItems(tx, sc.Prefix("bitem", b.ID), put)
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.RestoreTableFromBackupOutput{TableDescription: d}, nil
}
