package dynamodb

import (
	"testing"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestContinuousBackups(t *testing.T) {
	svc, clk, ctx := newTestService(t)
	createTable(t, svc, ctx, "pitr", "")
	_, err := svc.DescribeContinuousBackups(ctx, &dynamodbapi.DescribeContinuousBackupsInput{TableName: ptr.To("nope")})
	wantErr(t, err, "TableNotFoundException", "Table not found: nope")
	d, err := svc.DescribeContinuousBackups(ctx, &dynamodbapi.DescribeContinuousBackupsInput{TableName: ptr.To("pitr")})
	if err != nil {
		t.Fatal(err)
	}
	c := d.ContinuousBackupsDescription
	if *c.ContinuousBackupsStatus != "ENABLED" || *c.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != "DISABLED" {
		t.Fatalf("before: %+v %+v", c, c.PointInTimeRecoveryDescription)
	}
	yes := true
	u, err := svc.UpdateContinuousBackups(ctx, &dynamodbapi.UpdateContinuousBackupsInput{TableName: ptr.To("pitr"),
		PointInTimeRecoverySpecification: &dynamodbapi.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: &yes, RecoveryPeriodInDays: ptr.To(int32(7))}})
	if err != nil {
		t.Fatal(err)
	}
	p := u.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	if *p.PointInTimeRecoveryStatus != "ENABLED" || !p.EarliestRestorableDateTime.Equal(t0) || *p.RecoveryPeriodInDays != 7 {
		t.Fatalf("enabled: %+v", p)
	}
	// The earliest restorable time moves with the recovery period.
	clk.Advance(10 * 24 * time.Hour)
	d, err = svc.DescribeContinuousBackups(ctx, &dynamodbapi.DescribeContinuousBackupsInput{TableName: ptr.To("pitr")})
	if err != nil {
		t.Fatal(err)
	}
	p = d.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	if want := t0.Add(3 * 24 * time.Hour); !p.EarliestRestorableDateTime.Equal(want) || !p.LatestRestorableDateTime.Equal(t0.Add(10*24*time.Hour)) {
		t.Fatalf("after 10 days: earliest %v latest %v", p.EarliestRestorableDateTime, p.LatestRestorableDateTime)
	}
	no := false
	u, err = svc.UpdateContinuousBackups(ctx, &dynamodbapi.UpdateContinuousBackupsInput{TableName: ptr.To("pitr"),
		PointInTimeRecoverySpecification: &dynamodbapi.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: &no}})
	if err != nil || *u.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != "DISABLED" {
		t.Fatalf("disable: %v %+v", err, u)
	}
}

func TestContributorInsights(t *testing.T) {
	svc, _, ctx := newTestService(t)
	gsiTable(t, svc, ctx)
	d, err := svc.DescribeContributorInsights(ctx, &dynamodbapi.DescribeContributorInsightsInput{TableName: ptr.To("g")})
	if err != nil || *d.ContributorInsightsStatus != "DISABLED" {
		t.Fatalf("before: %v %+v", err, d)
	}
	_, err = svc.UpdateContributorInsights(ctx, &dynamodbapi.UpdateContributorInsightsInput{TableName: ptr.To("g"), IndexName: ptr.To("nope"), ContributorInsightsAction: ptr.To("ENABLE")})
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found: Index: nope not found")
	u, err := svc.UpdateContributorInsights(ctx, &dynamodbapi.UpdateContributorInsightsInput{TableName: ptr.To("g"), IndexName: ptr.To("by-x"), ContributorInsightsAction: ptr.To("ENABLE")})
	if err != nil || *u.ContributorInsightsStatus != "ENABLING" || *u.IndexName != "by-x" {
		t.Fatalf("enable: %v %+v", err, u)
	}
	d, err = svc.DescribeContributorInsights(ctx, &dynamodbapi.DescribeContributorInsightsInput{TableName: ptr.To("g"), IndexName: ptr.To("by-x")})
	if err != nil || *d.ContributorInsightsStatus != "ENABLED" || len(d.ContributorInsightsRuleList) != 2 {
		t.Fatalf("index after enable: %v %+v", err, d)
	}
	if _, err := svc.UpdateContributorInsights(ctx, &dynamodbapi.UpdateContributorInsightsInput{TableName: ptr.To("g"), ContributorInsightsAction: ptr.To("ENABLE")}); err != nil {
		t.Fatal(err)
	}
	l, err := svc.ListContributorInsights(ctx, &dynamodbapi.ListContributorInsightsInput{MaxResults: ptr.To(int32(1))})
	if err != nil || len(l.ContributorInsightsSummaries) != 1 || l.NextToken == nil {
		t.Fatalf("list page 1: %v %+v", err, l)
	}
	l2, err := svc.ListContributorInsights(ctx, &dynamodbapi.ListContributorInsightsInput{MaxResults: ptr.To(int32(1)), NextToken: l.NextToken})
	if err != nil || len(l2.ContributorInsightsSummaries) != 1 || l2.NextToken != nil {
		t.Fatalf("list page 2: %v %+v", err, l2)
	}
	if l.ContributorInsightsSummaries[0].IndexName != nil || *l2.ContributorInsightsSummaries[0].IndexName != "by-x" {
		t.Fatalf("list order: %+v %+v", l.ContributorInsightsSummaries, l2.ContributorInsightsSummaries)
	}
}

func TestOnDemandBackups(t *testing.T) {
	svc, clk, ctx := newTestService(t)
	gsiTable(t, svc, ctx)
	for i, x := range []string{"a", "b", "c"} {
		if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("g"), Item: Item{"pk": s("p" + x), "sk": s("s"), "x": s(x), "n": n(string(rune('1' + i)))}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := svc.CreateBackup(ctx, &dynamodbapi.CreateBackupInput{TableName: ptr.To("nope"), BackupName: ptr.To("b1")})
	wantErr(t, err, "TableNotFoundException", "Table not found: nope")
	cb, err := svc.CreateBackup(ctx, &dynamodbapi.CreateBackupInput{TableName: ptr.To("g"), BackupName: ptr.To("b1")})
	if err != nil {
		t.Fatal(err)
	}
	arn := *cb.BackupDetails.BackupArn
	if *cb.BackupDetails.BackupStatus != "AVAILABLE" || *cb.BackupDetails.BackupType != "USER" {
		t.Fatalf("details: %+v", cb.BackupDetails)
	}
	// Changes after the backup are not in it, and it outlives its table.
	if _, err := svc.DeleteItem(ctx, &dynamodbapi.DeleteItemInput{TableName: ptr.To("g"), Key: Item{"pk": s("pa"), "sk": s("s")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteTable(ctx, &dynamodbapi.DeleteTableInput{TableName: ptr.To("g")}); err != nil {
		t.Fatal(err)
	}
	db, err := svc.DescribeBackup(ctx, &dynamodbapi.DescribeBackupInput{BackupArn: &arn})
	if err != nil || *db.BackupDescription.SourceTableDetails.ItemCount != 3 || len(db.BackupDescription.SourceTableFeatureDetails.GlobalSecondaryIndexes) != 1 {
		t.Fatalf("describe: %v %+v", err, db)
	}
	clk.Advance(time.Minute)
	if _, err := svc.CreateBackup(ctx, &dynamodbapi.CreateBackupInput{TableName: ptr.To("g"), BackupName: ptr.To("b2")}); err == nil {
		t.Fatal("backup of a deleted table")
	}
	r, err := svc.RestoreTableFromBackup(ctx, &dynamodbapi.RestoreTableFromBackupInput{TargetTableName: ptr.To("restored"), BackupArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if r.TableDescription.RestoreSummary == nil || *r.TableDescription.RestoreSummary.SourceBackupArn != arn || len(r.TableDescription.GlobalSecondaryIndexes) != 1 {
		t.Fatalf("restore: %+v", r.TableDescription)
	}
	q, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("restored"), IndexName: ptr.To("by-x"), KeyConditionExpression: ptr.To("x = :x"), ExpressionAttributeValues: Item{":x": s("a")}})
	if err != nil || len(q.Items) != 1 {
		t.Fatalf("restored index: %v %+v", err, q)
	}
	_, err = svc.RestoreTableFromBackup(ctx, &dynamodbapi.RestoreTableFromBackupInput{TargetTableName: ptr.To("restored"), BackupArn: &arn})
	wantErr(t, err, "TableAlreadyExistsException", "Table already exists: restored")
	l, err := svc.ListBackups(ctx, &dynamodbapi.ListBackupsInput{TableName: ptr.To("g")})
	if err != nil || len(l.BackupSummaries) != 1 || *l.BackupSummaries[0].BackupArn != arn {
		t.Fatalf("list: %v %+v", err, l)
	}
	if _, err := svc.DeleteBackup(ctx, &dynamodbapi.DeleteBackupInput{BackupArn: &arn}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.DescribeBackup(ctx, &dynamodbapi.DescribeBackupInput{BackupArn: &arn})
	wantErr(t, err, "BackupNotFoundException", "Backup not found: "+arn)
}
