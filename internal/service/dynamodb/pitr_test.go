package dynamodb

import (
	"testing"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestRestoreTableToPointInTime: with recovery on, a restore to a time
// between writes gets the items as they were then (items from before
// recovery was turned on included); the latest restorable time gets
// today's; times outside the window and tables without recovery are
// refused as AWS refuses them.
func TestRestoreTableToPointInTime(t *testing.T) {
	svc, clk, ctx := newTestService(t)
	createSimple(t, svc, ctx, "src", nil)
	put := func(pk, v string) {
		t.Helper()
		if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("src"), Item: Item{"pk": s(pk), "v": n(v)}}); err != nil {
			t.Fatal(err)
		}
	}
	put("old", "1") // before recovery: must be in every restore

	_, err := svc.RestoreTableToPointInTime(ctx, &dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr.To("src"), TargetTableName: ptr.To("x"), UseLatestRestorableTime: ptr.To(true)})
	wantErr(t, err, "PointInTimeRecoveryUnavailableException", "")

	if _, err := svc.UpdateContinuousBackups(ctx, &dynamodbapi.UpdateContinuousBackupsInput{TableName: ptr.To("src"),
		PointInTimeRecoverySpecification: &dynamodbapi.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: ptr.To(true)}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	put("a", "1")
	clk.Advance(time.Minute)
	mid := ctx.Now()
	clk.Advance(time.Minute)
	put("a", "2")
	put("b", "1")
	if _, err := svc.DeleteItem(ctx, &dynamodbapi.DeleteItemInput{TableName: ptr.To("src"), Key: Item{"pk": s("old")}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)

	out, err := svc.RestoreTableToPointInTime(ctx, &dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr.To("src"), TargetTableName: ptr.To("at-mid"), RestoreDateTime: ptr.To(mid)})
	if err != nil {
		t.Fatal(err)
	}
	if *out.TableDescription.ItemCount != 2 || out.TableDescription.RestoreSummary == nil || !out.TableDescription.RestoreSummary.RestoreDateTime.Equal(mid) {
		t.Fatalf("restored at mid: %+v", out.TableDescription)
	}
	if it := getPK(t, svc, ctx, "at-mid", "a"); it == nil || *it["v"].N != "1" {
		t.Fatalf("a at mid = %v", it)
	}
	if getPK(t, svc, ctx, "at-mid", "old") == nil || getPK(t, svc, ctx, "at-mid", "b") != nil {
		t.Fatal("mid restore has the wrong items")
	}

	src := "arn:aws:dynamodb:" + ctx.Region + ":" + ctx.Account + ":table/src"
	if _, err := svc.RestoreTableToPointInTime(ctx, &dynamodbapi.RestoreTableToPointInTimeInput{SourceTableArn: ptr.To(src), TargetTableName: ptr.To("latest"), UseLatestRestorableTime: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	if it := getPK(t, svc, ctx, "latest", "a"); it == nil || *it["v"].N != "2" || getPK(t, svc, ctx, "latest", "old") != nil {
		t.Fatalf("latest restore: a=%v", it)
	}

	_, err = svc.RestoreTableToPointInTime(ctx, &dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr.To("src"), TargetTableName: ptr.To("early"), RestoreDateTime: ptr.To(t0.Add(-time.Hour))})
	wantErr(t, err, "InvalidRestoreTimeException", "")
	_, err = svc.RestoreTableToPointInTime(ctx, &dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr.To("src"), TargetTableName: ptr.To("latest"), UseLatestRestorableTime: ptr.To(true)})
	wantErr(t, err, "TableAlreadyExistsException", "")
	_, err = svc.RestoreTableToPointInTime(ctx, &dynamodbapi.RestoreTableToPointInTimeInput{SourceTableName: ptr.To("nope"), TargetTableName: ptr.To("y"), UseLatestRestorableTime: ptr.To(true)})
	wantErr(t, err, "TableNotFoundException", "")

	// Turning recovery off drops the history.
	if _, err := svc.UpdateContinuousBackups(ctx, &dynamodbapi.UpdateContinuousBackupsInput{TableName: ptr.To("src"),
		PointInTimeRecoverySpecification: &dynamodbapi.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: ptr.To(false)}}); err != nil {
		t.Fatal(err)
	}
	err = svc.store.View(func(tx storage.Tx) error {
		items, err := itemsAt(tx, scopeOf(ctx), "src", ctx.Now())
		if len(items) != 0 {
			t.Errorf("history left after disabling: %d items", len(items))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
