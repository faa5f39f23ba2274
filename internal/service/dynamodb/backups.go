package dynamodb

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// pitrRecord is a table's point-in-time recovery setting; the history a
// restore replays is kept beside the table (see pitr.go).
type pitrRecord struct {
	Enabled bool
	Since   time.Time `json:",omitempty"`
	Days    int32     `json:",omitempty"`
}

// insightsRecord is contributor insights' setting of a table or index.
type insightsRecord struct {
	Enabled bool
	Updated time.Time
}

func (s *DynamoDB) tableTx(ctx *request.Context, name string, write bool, notFound func() error, fn func(t *tableRecord) error) error {
	sc := scopeOf(ctx)
	run := s.store.View
	if write {
		run = s.store.Update
	}
	return run(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return notFound()
		}
		if err := fn(&t); err != nil {
			return err
		}
		if write {
			return tables.Put(tx, sc, t, name)
		}
		return nil
	})
}

func pitrTableNotFound(name string) func() error {
	return func() error { return dynamodbapi.ErrTableNotFoundException.New("Table not found: %s", name) }
}

// continuousBackups renders the table's ContinuousBackupsDescription: the
// earliest restorable time is when recovery was enabled, within the
// recovery period (35 days unless set).
func continuousBackups(t *tableRecord, now time.Time) *dynamodbapi.ContinuousBackupsDescription {
	p := &dynamodbapi.PointInTimeRecoveryDescription{PointInTimeRecoveryStatus: ptr.To("DISABLED")}
	if r := t.PITR; r != nil && r.Enabled {
		days := r.Days
		if days == 0 {
			days = 35
		}
		earliest := r.Since
		if floor := now.Add(-time.Duration(days) * 24 * time.Hour); earliest.Before(floor) {
			earliest = floor
		}
		p = &dynamodbapi.PointInTimeRecoveryDescription{PointInTimeRecoveryStatus: ptr.To("ENABLED"),
			EarliestRestorableDateTime: ptr.To(earliest), LatestRestorableDateTime: ptr.To(now), RecoveryPeriodInDays: ptr.To(days)}
	}
	return &dynamodbapi.ContinuousBackupsDescription{ContinuousBackupsStatus: ptr.To("ENABLED"), PointInTimeRecoveryDescription: p}
}

// DescribeContinuousBackups reports point-in-time recovery's setting.
func (s *DynamoDB) DescribeContinuousBackups(ctx *request.Context, in *dynamodbapi.DescribeContinuousBackupsInput) (*dynamodbapi.DescribeContinuousBackupsOutput, error) {
	name := tableName(in.TableName)
	var d *dynamodbapi.ContinuousBackupsDescription
	err := s.tableTx(ctx, name, false, pitrTableNotFound(name), func(t *tableRecord) error {
		d = continuousBackups(t, ctx.Now())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DescribeContinuousBackupsOutput{ContinuousBackupsDescription: d}, nil
}

// UpdateContinuousBackups turns point-in-time recovery on or off.
func (s *DynamoDB) UpdateContinuousBackups(ctx *request.Context, in *dynamodbapi.UpdateContinuousBackupsInput) (*dynamodbapi.UpdateContinuousBackupsOutput, error) {
	name := tableName(in.TableName)
	spec := in.PointInTimeRecoverySpecification
	now := ctx.Now()
	var d *dynamodbapi.ContinuousBackupsDescription
	sc := scopeOf(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return pitrTableNotFound(name)()
		}
		on := ptr.Deref(spec.PointInTimeRecoveryEnabled)
		switch {
		case on && (t.PITR == nil || !t.PITR.Enabled):
			t.PITR = &pitrRecord{Enabled: true, Since: now, Days: ptr.Deref(spec.RecoveryPeriodInDays)}
			if err := s.startHistory(tx, sc, &t, now); err != nil {
				return err
			}
		case on:
			t.PITR.Days = ptr.Deref(spec.RecoveryPeriodInDays)
		default:
			t.PITR = nil
			if err := dropHistory(tx, sc, name); err != nil {
				return err
			}
		}
		d = continuousBackups(&t, now)
		return tables.Put(tx, sc, t, name)
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.UpdateContinuousBackupsOutput{ContinuousBackupsDescription: d}, nil
}

// insightsRules are the CloudWatch Contributor Insights rules DynamoDB
// creates for a table or index: most accessed and most throttled partition
// keys, and the same for partition and sort key pairs when there is a sort
// key.
func insightsRules(t *tableRecord, index string, since time.Time) []string {
	hasRange := t.Range != ""
	if ix, ok := t.index(index); ok {
		hasRange = len(ix.rangeNames()) > 0
	}
	target := t.Name
	if index != "" {
		target += "-" + index
	}
	kinds := []string{"PKC", "PKT"}
	if hasRange {
		kinds = append(kinds, "SKC", "SKT")
	}
	var out []string
	for _, k := range kinds {
		out = append(out, fmt.Sprintf("DynamoDBContributorInsights-%s-%s-%d", k, target, since.UnixMilli()))
	}
	return out
}

func (s *DynamoDB) insightsTarget(t *tableRecord, index *string) (string, error) {
	if index == nil {
		return "", nil
	}
	if _, ok := t.index(*index); !ok {
		return "", dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: Index: %s not found", *index)
	}
	return *index, nil
}

// DescribeContributorInsights reports contributor insights' setting.
func (s *DynamoDB) DescribeContributorInsights(ctx *request.Context, in *dynamodbapi.DescribeContributorInsightsInput) (*dynamodbapi.DescribeContributorInsightsOutput, error) {
	name := tableName(in.TableName)
	out := &dynamodbapi.DescribeContributorInsightsOutput{TableName: ptr.To(name), IndexName: in.IndexName, ContributorInsightsStatus: ptr.To("DISABLED")}
	err := s.tableTx(ctx, name, false, func() error { return tableNotFound(name) }, func(t *tableRecord) error {
		key, err := s.insightsTarget(t, in.IndexName)
		if err != nil {
			return err
		}
		if r, ok := t.Insights[key]; ok {
			out.LastUpdateDateTime = ptr.To(r.Updated)
			if r.Enabled {
				out.ContributorInsightsStatus = ptr.To("ENABLED")
				out.ContributorInsightsRuleList = insightsRules(t, key, r.Updated)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateContributorInsights enables or disables contributor insights; the
// change is at once (AWS answers ENABLING or DISABLING, then settles).
func (s *DynamoDB) UpdateContributorInsights(ctx *request.Context, in *dynamodbapi.UpdateContributorInsightsInput) (*dynamodbapi.UpdateContributorInsightsOutput, error) {
	name := tableName(in.TableName)
	on := ptr.Deref(in.ContributorInsightsAction) == "ENABLE"
	err := s.tableTx(ctx, name, true, func() error { return tableNotFound(name) }, func(t *tableRecord) error {
		key, err := s.insightsTarget(t, in.IndexName)
		if err != nil {
			return err
		}
		if t.Insights == nil {
			t.Insights = map[string]insightsRecord{}
		}
		t.Insights[key] = insightsRecord{Enabled: on, Updated: ctx.Now()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st := "DISABLING"
	if on {
		st = "ENABLING"
	}
	return &dynamodbapi.UpdateContributorInsightsOutput{TableName: ptr.To(name), IndexName: in.IndexName, ContributorInsightsStatus: ptr.To(st)}, nil
}

// ListContributorInsights lists the tables and indexes whose contributor
// insights were ever set, with their status, MaxResults (default 100) at a
// time.
func (s *DynamoDB) ListContributorInsights(ctx *request.Context, in *dynamodbapi.ListContributorInsightsInput) (*dynamodbapi.ListContributorInsightsOutput, error) {
	var all []dynamodbapi.ContributorInsightsSummary
	add := func(t tableRecord) {
		for _, key := range sortedKeys(t.Insights) {
			st := "DISABLED"
			if t.Insights[key].Enabled {
				st = "ENABLED"
			}
			sum := dynamodbapi.ContributorInsightsSummary{TableName: ptr.To(t.Name), ContributorInsightsStatus: ptr.To(st)}
			if key != "" {
				sum.IndexName = ptr.To(key)
			}
			all = append(all, sum)
		}
	}
	sc := scopeOf(ctx)
	err := s.store.View(func(tx storage.Tx) error {
		if in.TableName != nil {
			name := tableName(in.TableName)
			t, ok, err := tables.Get(tx, sc, name)
			if err != nil {
				return err
			}
			if !ok {
				return tableNotFound(name)
			}
			add(t)
			return nil
		}
		return tables.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, t tableRecord) bool {
			add(t)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	start := 0
	if in.NextToken != nil {
		n, err := strconv.Atoi(*in.NextToken)
		if err != nil || n < 0 || n > len(all) {
			return nil, validation("Invalid NextToken")
		}
		start = n
	}
	limit := 100
	if in.MaxResults != nil && *in.MaxResults > 0 {
		limit = int(*in.MaxResults)
	}
	out := &dynamodbapi.ListContributorInsightsOutput{ContributorInsightsSummaries: []dynamodbapi.ContributorInsightsSummary{}}
	end := min(start+limit, len(all))
	out.ContributorInsightsSummaries = append(out.ContributorInsightsSummaries, all[start:end]...)
	if end < len(all) {
		out.NextToken = ptr.To(strconv.Itoa(end))
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
