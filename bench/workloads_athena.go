package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// athenaWorkloads: an aggregate query over a generated data set of
// 4 MiB in S3 (four objects of 1 MiB), once as CSV (ROW FORMAT
// DELIMITED) and once as JSON lines (the OpenX JSON SerDe), each table
// made by Athena DDL in setup. One operation is StartQueryExecution,
// GetQueryExecution polled until SUCCEEDED (2 ms, doubling to 50 ms, as
// a client that wants the answer soon polls) and GetQueryResults; the
// note under the table gives the time per scanned MiB from the queries'
// statistics.
//
// moto's Athena runs no SQL (GetQueryResults answers rows queued by the
// test), so the rows are niwa's alone; the in-process servers of
// BenchmarkWorkloads link no SQL engine, so they run in `go run ./bench`
// only.
func athenaWorkloads() []workload {
	return []workload{
		athenaWorkload("CSV", "bench-athena-csv", "bench_csv",
			"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE",
			func(w *bytes.Buffer, r athenaRow) {
				fmt.Fprintf(w, "%d,%s,%.2f,%s\n", r.id, r.category, r.amount, r.note)
			}),
		athenaWorkload("JSON", "bench-athena-json", "bench_json",
			"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'",
			func(w *bytes.Buffer, r athenaRow) {
				fmt.Fprintf(w, `{"id":%d,"category":%q,"amount":%.2f,"note":%q}`+"\n", r.id, r.category, r.amount, r.note)
			}),
	}
}

const (
	athenaObjects   = 4
	athenaObjectLen = 1 << 20
	athenaResults   = "s3://bench-athena-results/"
	athenaReason    = "moto's Athena runs no SQL"
)

type athenaRow struct {
	id       int
	category string
	amount   float64
	note     string
}

func athenaWorkload(format, bucket, table, rowFormat string, write func(*bytes.Buffer, athenaRow)) workload {
	stats := &athenaStats{}
	query := "SELECT category, count(*) AS n, sum(amount) AS total, max(id) AS max_id FROM " + table + " GROUP BY category ORDER BY category"
	return workload{
		name: "Athena query over " + format + " (4 MiB)", niwaOnly: athenaReason, binaryOnly: "in-process servers link no SQL engine", ops: 40,
		setup: func(ctx context.Context, cfg aws.Config) error {
			s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
			for _, b := range []string{bucket, "bench-athena-results"} {
				_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b),
					CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(cfg.Region)}})
				if err != nil && b == bucket {
					return err // the results bucket exists when the other format ran first
				}
			}
			id := 0
			for o := 0; o < athenaObjects; o++ {
				var buf bytes.Buffer
				for buf.Len() < athenaObjectLen {
					write(&buf, athenaRow{id: id, category: fmt.Sprintf("cat-%d", id%8), amount: float64(id%1000) / 10,
						note: fmt.Sprintf("item %07d of the generated bench data set", id)})
					id++
				}
				if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("data/part-%d", o)),
					Body: bytes.NewReader(buf.Bytes())}); err != nil {
					return err
				}
			}
			ddl := "CREATE EXTERNAL TABLE " + table + " (id bigint, category string, amount double, note string) " +
				rowFormat + " LOCATION 's3://" + bucket + "/data/'"
			_, err := athenaRun(ctx, cfg, ddl)
			return err
		},
		op: func(ctx context.Context, cfg aws.Config, i int) error {
			qe, err := athenaRun(ctx, cfg, query)
			if err != nil {
				return err
			}
			out, err := athena.NewFromConfig(cfg).GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: qe.QueryExecutionId})
			if err != nil {
				return err
			}
			if n := len(out.ResultSet.Rows); n != 9 { // the column names, then one row per category
				return fmt.Errorf("query answered %d rows, want 9", n)
			}
			if i >= 0 && qe.Statistics != nil { // not the warm-up's
				stats.add(aws.ToString(cfg.BaseEndpoint), qe.Statistics)
			}
			return nil
		},
		note: func(endpoint string, res, _ result) string { return stats.note(endpoint, res) },
	}
}

// athenaRun starts a query in the default database and polls until it
// ends; a query that does not succeed is an error with its reason.
func athenaRun(ctx context.Context, cfg aws.Config, sql string) (*types.QueryExecution, error) {
	c := athena.NewFromConfig(cfg)
	start, err := c.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{QueryString: aws.String(sql),
		QueryExecutionContext: &types.QueryExecutionContext{Database: aws.String("default")},
		ResultConfiguration:   &types.ResultConfiguration{OutputLocation: aws.String(athenaResults)}})
	if err != nil {
		return nil, err
	}
	wait := 2 * time.Millisecond
	deadline := time.Now().Add(5 * time.Minute)
	for {
		out, err := c.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: start.QueryExecutionId})
		if err != nil {
			return nil, err
		}
		qe := out.QueryExecution
		switch qe.Status.State {
		case types.QueryExecutionStateSucceeded:
			return qe, nil
		case types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			return nil, fmt.Errorf("query %s: %s", qe.Status.State, aws.ToString(qe.Status.StateChangeReason))
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("query still %s after 5 minutes", qe.Status.State)
		}
		time.Sleep(wait)
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}

// athenaStats sums the measured queries' statistics per server.
type athenaStats struct {
	mu sync.Mutex
	by map[string]*athenaTotals
}

type athenaTotals struct {
	queries                    int
	scanned, engineMs, totalMs int64
}

func (s *athenaStats) add(endpoint string, st *types.QueryExecutionStatistics) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by == nil {
		s.by = map[string]*athenaTotals{}
	}
	t := s.by[endpoint]
	if t == nil {
		t = &athenaTotals{}
		s.by[endpoint] = t
	}
	t.queries++
	t.scanned += aws.ToInt64(st.DataScannedInBytes)
	t.engineMs += aws.ToInt64(st.EngineExecutionTimeInMillis)
	t.totalMs += aws.ToInt64(st.TotalExecutionTimeInMillis)
}

// note is the time per scanned MiB: the engine's (EngineExecutionTime),
// the whole execution's (TotalExecutionTime: queue, engine, writing the
// result to S3) and the server's CPU, over the measured queries.
func (s *athenaStats) note(endpoint string, res result) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.by[endpoint]
	if t == nil || t.scanned == 0 {
		return ""
	}
	mib := float64(t.scanned) / (1 << 20)
	perQuery := mib / float64(t.queries)
	return fmt.Sprintf("%d queries, each scanning %.2f MiB (DataScannedInBytes): engine time %.1f ms a query = **%.1f ms per scanned MiB**; "+
		"total execution time %.1f ms a query = %.1f ms per scanned MiB; niwa's CPU %.1f ms a query = %.1f ms per scanned MiB.",
		t.queries, perQuery, float64(t.engineMs)/float64(t.queries), float64(t.engineMs)/mib,
		float64(t.totalMs)/float64(t.queries), float64(t.totalMs)/mib, ms(res.cpuPerOp), ms(res.cpuPerOp)/perQuery)
}
