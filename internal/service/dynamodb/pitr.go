package dynamodb

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Point-in-time recovery keeps the history a restore needs: while it is
// on, every write of the table appends the item's new value (or its
// deletion) under
//
//	phist/<table>/<unix nanoseconds, 20 digits>/<item's store key, hex>
//
// and turning it on records every item as it is then. Restoring to time T
// replays the history up to T. Turning recovery off (or deleting the
// table) drops the history, as AWS drops the continuous backups.

type historyEntry struct {
	// Item is the item's value from then on; nil when it was deleted.
	Item []byte `json:"i,omitempty"`
}

func historyKey(sc storage.Scope, table string, at time.Time, itemKey []byte) []byte {
	return sc.Key("phist", table, fmt.Sprintf("%020d", at.UnixNano()), hex.EncodeToString(itemKey))
}

// recordHistory appends one write to the table's history.
func recordHistory(tx storage.Tx, sc storage.Scope, t *tableRecord, k itemKey, nw Item, now time.Time) error {
	var e historyEntry
	if nw != nil {
		data, err := encodeItem(nw)
		if err != nil {
			return err
		}
		e.Item = data
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return tx.Put(historyKey(sc, t.Name, now, t.storeKey(sc, k)), data)
}

// startHistory records every item of t as it is at now.
func (s *DynamoDB) startHistory(tx storage.Tx, sc storage.Scope, t *tableRecord, now time.Time) error {
	return s.scanItems(tx, sc.Prefix("item", t.Name), func(it Item) error {
		k, err := t.keyOfItem(it)
		if err != nil {
			return err
		}
		return recordHistory(tx, sc, t, k, it, now)
	})
}

func dropHistory(tx storage.Tx, sc storage.Scope, table string) error {
	return storage.DeletePrefix(tx, sc.Prefix("phist", table))
}

// itemsAt replays t's history up to at: each item's last value, in the
// order the items were first seen.
func itemsAt(tx storage.Tx, sc storage.Scope, table string, at time.Time) ([]Item, error) {
	last := map[string][]byte{}
	var order []string
	limit := fmt.Sprintf("%020d", at.UnixNano())
	prefix := sc.Prefix("phist", table)
	var ferr error
	err := tx.Scan(prefix, storage.ScanOptions{}, func(k, v []byte) bool {
		parts, err := storage.SplitKey(k)
		if err != nil || len(parts) != 6 {
			return true
		}
		ts, item := parts[4], parts[5]
		if ts > limit {
			return false // keys are in time order
		}
		var e historyEntry
		if err := json.Unmarshal(v, &e); err != nil {
			ferr = err
			return false
		}
		if _, seen := last[item]; !seen {
			order = append(order, item)
		}
		last[item] = e.Item
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, k := range order {
		if data := last[k]; data != nil {
			it, err := decodeItem(data)
			if err != nil {
				return nil, err
			}
			out = append(out, it)
		}
	}
	return out, nil
}

// RestoreTableToPointInTime creates a new table holding the source
// table's items as they were at the time asked for (or the latest
// restorable time), with the overrides RestoreTableFromBackup allows.
func (s *DynamoDB) RestoreTableToPointInTime(ctx *request.Context, in *dynamodbapi.RestoreTableToPointInTimeInput) (*dynamodbapi.RestoreTableToPointInTimeOutput, error) {
	sc := scopeOf(ctx)
	source := ptr.Deref(in.SourceTableName)
	if arn := ptr.Deref(in.SourceTableArn); arn != "" {
		if source != "" {
			return nil, validation("One or more parameter values were invalid: Only one of SourceTableArn or SourceTableName can be specified")
		}
		i := strings.LastIndex(arn, ":table/")
		if i < 0 {
			return nil, validation("Invalid SourceTableArn: %s", arn)
		}
		source = arn[i+len(":table/"):]
	}
	if source == "" {
		return nil, validation("One or more parameter values were invalid: Either SourceTableArn or SourceTableName must be specified")
	}
	useLatest := ptr.Deref(in.UseLatestRestorableTime)
	if useLatest && in.RestoreDateTime != nil {
		return nil, validation("One or more parameter values were invalid: Only one of RestoreDateTime or UseLatestRestorableTime can be specified")
	}
	if !useLatest && in.RestoreDateTime == nil {
		return nil, validation("One or more parameter values were invalid: Either RestoreDateTime or UseLatestRestorableTime must be specified")
	}
	target := ptr.Deref(in.TargetTableName)
	now := ctx.Now()
	var src tableRecord
	var items []Item
	var at time.Time
	err := s.store.View(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, source)
		if err != nil {
			return err
		}
		if !ok {
			return pitrTableNotFound(source)()
		}
		if t.PITR == nil || !t.PITR.Enabled {
			return dynamodbapi.ErrPointInTimeRecoveryUnavailableException.New("Point in time recovery is not enabled for table '%s'", source)
		}
		p := continuousBackups(&t, now).PointInTimeRecoveryDescription
		at = now
		if !useLatest {
			at = *in.RestoreDateTime
			if at.Before(*p.EarliestRestorableDateTime) || at.After(*p.LatestRestorableDateTime) {
				return dynamodbapi.ErrInvalidRestoreTimeException.New("Invalid restore time: RestoreDateTime must be between %s and %s",
					p.EarliestRestorableDateTime.UTC().Format(time.RFC3339), p.LatestRestorableDateTime.UTC().Format(time.RFC3339))
			}
		}
		if _, ok := tx.Get(tables.Key(sc, target)); ok {
			return dynamodbapi.ErrTableAlreadyExistsException.New("Table already exists: %s", target)
		}
		src = t
		items, err = itemsAt(tx, sc, source, at)
		return err
	})
	if err != nil {
		return nil, err
	}
	create := restoreInput(&src, &dynamodbapi.RestoreTableFromBackupInput{
		TargetTableName: in.TargetTableName, BillingModeOverride: in.BillingModeOverride,
		GlobalSecondaryIndexOverride: in.GlobalSecondaryIndexOverride, LocalSecondaryIndexOverride: in.LocalSecondaryIndexOverride,
		ProvisionedThroughputOverride: in.ProvisionedThroughputOverride, OnDemandThroughputOverride: in.OnDemandThroughputOverride,
		SSESpecificationOverride: in.SSESpecificationOverride,
	})
	if _, err := s.CreateTable(ctx, create); err != nil {
		return nil, err
	}
	d, err := s.fillRestored(ctx, target, restoreRecord{TableARN: src.ARN, At: at}, func(_ storage.Tx, put func(Item) error) error {
		for _, it := range items {
			if err := put(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.RestoreTableToPointInTimeOutput{TableDescription: d}, nil
}
