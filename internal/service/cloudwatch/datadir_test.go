package cloudwatch

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestDataDirFromJSONRecords: a --data-dir written before CloudWatch's
// records had a binary form (testdata/datadir-json/cloudwatch.db, written
// by this package at commit b0c73ca on a fake clock: a minute put 13 days
// before 2026-12-01 and rolled into its 5 minutes three days later, then
// at 2026-12-04 values, a statistic set, values with counts and two units
// in one minute of a metric with two dimensions, three one-second values
// of a high-resolution metric, and a metric published in AWS/SQS) is read
// as it was; a bucket written after the upgrade keeps its old entries and
// becomes binary, the others stay JSON and keep being read across a
// restart, and the roll-up turns old per-second buckets binary.
func TestDataDirFromJSONRecords(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("testdata/datadir-json/cloudwatch.db")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cloudwatch.db"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(3 * 24 * time.Hour)
	h := servicetest.New(t, "cloudwatch", servicetest.OnDisk(dir), servicetest.At(t1))
	var c *CloudWatch
	open := func() {
		c = New(h.Store(), h.Clock, nil, nil)
		c.Close()
	}
	open()
	latency := []cwapi.Dimension{{Name: ptr.To("Service"), Value: ptr.To("api")}, {Name: ptr.To("Host"), Value: ptr.To("h1")}}
	get := func(t *testing.T, ns, name string, dims []cwapi.Dimension, from, to time.Time, period int32, unit string, ext bool) []cwapi.Datapoint {
		t.Helper()
		in := &cwapi.GetMetricStatisticsInput{Namespace: ptr.To(ns), MetricName: ptr.To(name), Dimensions: dims,
			StartTime: ptr.To(from), EndTime: ptr.To(to), Period: ptr.To(period),
			Statistics: []string{"SampleCount", "Sum", "Minimum", "Maximum"}}
		if ext {
			in.Statistics, in.ExtendedStatistics = nil, []string{"p50"}
		}
		if unit != "" {
			in.Unit = ptr.To(unit)
		}
		out, err := c.GetMetricStatistics(h.Ctx(), in)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(out.Datapoints, func(i, j int) bool { return out.Datapoints[i].Timestamp.Before(*out.Datapoints[j].Timestamp) })
		return out.Datapoints
	}
	check := func(t *testing.T, what string, got []cwapi.Datapoint, want ...[5]float64) {
		t.Helper()
		var rows [][5]float64
		for _, d := range got {
			rows = append(rows, [5]float64{float64(d.Timestamp.Unix()), ptr.Deref(d.SampleCount), ptr.Deref(d.Sum), ptr.Deref(d.Minimum), ptr.Deref(d.Maximum)})
		}
		if len(rows) != len(want) {
			t.Fatalf("%s: %v, want %v", what, rows, want)
		}
		for i := range rows {
			if rows[i] != want[i] {
				t.Fatalf("%s: %v, want %v", what, rows, want)
			}
		}
	}
	at := func(t time.Time) float64 { return float64(t.Unix()) }
	m10, m9 := t1.Add(-10*time.Minute), t1.Add(-9*time.Minute)
	readOld := func(t *testing.T) {
		check(t, "Latency in Milliseconds", get(t, "App", "Latency", latency, t1.Add(-15*time.Minute), t1, 60, "Milliseconds", false),
			[5]float64{at(m10), 5, 19, 1, 10}, [5]float64{at(m9), 4, 20, 2, 8})
		all := get(t, "App", "Latency", latency, t1.Add(-15*time.Minute), t1, 60, "", false)
		check(t, "Latency, every unit", all, [5]float64{at(m10), 6, 26, 1, 10}, [5]float64{at(m9), 4, 20, 2, 8})
		if *all[0].Unit != "None" || *all[1].Unit != "Milliseconds" {
			t.Errorf("units %s, %s", *all[0].Unit, *all[1].Unit)
		}
		if p := get(t, "App", "Latency", latency, m10, m9, 60, "Milliseconds", true); len(p) != 1 || p[0].ExtendedStatistics["p50"] != 3 {
			t.Errorf("p50 of 1, 2, 3, 3, 10: %+v", p)
		}
		check(t, "HiRes by the second", get(t, "App", "HiRes", nil, t1.Add(-3*time.Minute), t1, 1, "", false),
			[5]float64{at(t1.Add(-2*time.Minute + time.Second)), 2, 4, 1, 3}, [5]float64{at(t1.Add(-2*time.Minute + 7*time.Second)), 1, 5, 5, 5})
		old := t0.Add(-13 * 24 * time.Hour)
		check(t, "Old, rolled up", get(t, "App", "Old", []cwapi.Dimension{{Name: ptr.To("Host"), Value: ptr.To("a")}}, old.Add(-5*time.Minute), old.Add(10*time.Minute), 300, "", false),
			[5]float64{at(old), 1, 4, 4, 4})
		check(t, "published", get(t, "AWS/SQS", "NumberOfMessagesSent", []cwapi.Dimension{{Name: ptr.To("QueueName"), Value: ptr.To("q")}}, t1.Add(-10*time.Minute), t1, 300, "Count", false),
			[5]float64{at(t1.Add(-5 * time.Minute)), 1, 3, 3, 3})
	}
	listed := func(t *testing.T) []string {
		t.Helper()
		out, err := c.ListMetrics(h.Ctx(), &cwapi.ListMetricsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range out.Metrics {
			n := *m.Namespace + "/" + *m.MetricName
			for _, d := range m.Dimensions {
				n += " " + *d.Name + "=" + *d.Value
			}
			names = append(names, n)
		}
		return names
	}

	t.Run("upgrade", func(t *testing.T) {
		readOld(t)
		want := "AWS/SQS/NumberOfMessagesSent QueueName=q|App/HiRes|App/Latency Host=h1 Service=api|App/Old Host=a"
		if got := strings.Join(listed(t), "|"); got != want {
			t.Fatalf("ListMetrics: %s, want %s", got, want)
		}
		// A minute later, into the old bucket of minute -10 (now -11).
		h.Clock.Advance(time.Minute)
		if _, err := c.PutMetricData(h.Ctx(), &cwapi.PutMetricDataInput{Namespace: ptr.To("App"), MetricData: []cwapi.MetricDatum{
			{MetricName: ptr.To("Latency"), Dimensions: latency, Timestamp: ptr.To(m10.Add(50 * time.Second)), Value: ptr.To(4.0), Unit: ptr.To("Milliseconds")},
			{MetricName: ptr.To("New"), Value: ptr.To(1.0)},
		}}); err != nil {
			t.Fatal(err)
		}
		check(t, "Latency after the put", get(t, "App", "Latency", latency, t1.Add(-15*time.Minute), t1, 60, "Milliseconds", false),
			[5]float64{at(m10), 6, 23, 1, 10}, [5]float64{at(m9), 4, 20, 2, 8})
		if p := get(t, "App", "Latency", latency, m10, m9, 60, "Milliseconds", true); len(p) != 1 || p[0].ExtendedStatistics["p50"] != 3 {
			t.Errorf("p50 of 1, 2, 3, 3, 4, 10: %+v", p)
		}
	})

	t.Run("stored forms", func(t *testing.T) {
		forms := cwStoredForms(t, h.Store())
		for rec, want := range map[string]bool{
			"data App Latency " + stamp(m10.Unix()):                  true, // rewritten
			"data App Latency " + stamp(m9.Unix()):                   false,
			"data App HiRes " + stamp(t1.Add(-2*time.Minute).Unix()): false,
			"metric App Latency":                                     true, "metric App New": true, // its Last moved; new
			"metric App HiRes": false,
		} {
			got, ok := forms[rec]
			if !ok {
				t.Errorf("no stored record %q; have %v", rec, forms)
			} else if got != want {
				t.Errorf("%s: binary=%v, want %v", rec, got, want)
			}
		}
	})

	t.Run("restart", func(t *testing.T) {
		h.Reopen()
		open()
		check(t, "Latency after the restart", get(t, "App", "Latency", latency, t1.Add(-15*time.Minute), t1, 60, "Milliseconds", false),
			[5]float64{at(m10), 6, 23, 1, 10}, [5]float64{at(m9), 4, 20, 2, 8})
		if got := len(listed(t)); got != 5 {
			t.Errorf("%d metrics listed, want 5", got)
		}
	})

	t.Run("roll-up", func(t *testing.T) {
		// Four hours on, the seconds of HiRes are collapsed into their minute.
		h.Clock.Advance(4 * time.Hour)
		if err := c.Tick(); err != nil {
			t.Fatal(err)
		}
		check(t, "HiRes by the minute", get(t, "App", "HiRes", nil, t1.Add(-3*time.Minute), t1, 60, "", false),
			[5]float64{at(t1.Add(-2 * time.Minute)), 3, 9, 1, 5})
		if p := get(t, "App", "HiRes", nil, t1.Add(-3*time.Minute), t1, 60, "", true); len(p) != 1 || p[0].ExtendedStatistics["p50"] != 3 {
			t.Errorf("p50 of 1, 3, 5: %+v", p)
		}
		if !cwStoredForms(t, h.Store())["data App HiRes "+stamp(t1.Add(-2*time.Minute).Unix())] {
			t.Error("the rolled-up bucket is not binary")
		}
	})
}

// cwStoredForms reports, per data bucket ("data NS NAME STAMP") and metric
// ("metric NS NAME"), whether its record is binary.
func cwStoredForms(t *testing.T, st storage.Store) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := st.View(func(tx storage.Tx) error {
		return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
			parts, err := storage.SplitKey(k)
			if err != nil || len(parts) < 6 {
				return true
			}
			switch parts[2] {
			case "data":
				out["data "+parts[3]+" "+parts[4]+" "+parts[6]] = storage.IsBinaryRecord(v)
			case "metric":
				out["metric "+parts[3]+" "+parts[4]] = storage.IsBinaryRecord(v)
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
