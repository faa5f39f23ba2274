package cloudwatch

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestPutMetricDataOneCallManyBuckets: a call whose data fall in the same
// minute of the same metric, in several minutes, several metrics and
// dimension orders, and (beyond 16 buckets) many of each, aggregates as
// one datum a call would: per minute and unit, in the data's order,
// per-second entries apart.
func TestPutMetricDataOneCallManyBuckets(t *testing.T) {
	for _, minutes := range []int{3, 40} {
		t.Run(fmt.Sprintf("%d minutes", minutes), func(t *testing.T) {
			f := newFixture(t)
			now := f.h.Clock.Now()
			base := now.Add(-time.Duration(minutes+1) * time.Minute)
			var data []cwapi.MetricDatum
			for m := 0; m < minutes; m++ {
				at := base.Add(time.Duration(m) * time.Minute)
				for k := 0; k < 3; k++ {
					// Dimensions in either order name the same series.
					d := datum("Lat", float64(m+k), "Service", "api", "Host", "h1")
					if k == 1 {
						d = datum("Lat", float64(m+k), "Host", "h1", "Service", "api")
					}
					d.Timestamp, d.Unit = ptr.To(at.Add(time.Duration(k*10)*time.Second)), ptr.To("Milliseconds")
					data = append(data, d)
				}
				other := datum("Lat", 1000, "Service", "api", "Host", "h1")
				other.Timestamp, other.Unit = ptr.To(at), ptr.To("Seconds")
				hi := datum("Hi", float64(m), "Service", "api")
				hi.Timestamp, hi.StorageResolution = ptr.To(at.Add(5*time.Second)), ptr.To(int32(1))
				hi2 := hi
				hi2.Value = ptr.To(float64(m + 1))
				data = append(data, other, hi, hi2)
			}
			f.put(t, "App", data...)
			dps := stats(t, f, &cwapi.GetMetricStatisticsInput{Namespace: ptr.To("App"), MetricName: ptr.To("Lat"),
				Dimensions: []cwapi.Dimension{{Name: ptr.To("Host"), Value: ptr.To("h1")}, {Name: ptr.To("Service"), Value: ptr.To("api")}},
				StartTime:  ptr.To(base), EndTime: ptr.To(now), Period: ptr.To(int32(60)), Unit: ptr.To("Milliseconds"),
				Statistics: []string{"SampleCount", "Sum", "Minimum", "Maximum"}})
			if len(dps) != minutes {
				t.Fatalf("%d minutes of Lat, want %d", len(dps), minutes)
			}
			for m, d := range dps {
				if mf := float64(m); *d.SampleCount != 3 || *d.Sum != 3*mf+3 || *d.Minimum != mf || *d.Maximum != mf+2 || *d.Unit != "Milliseconds" {
					t.Fatalf("minute %d: n %v sum %v min %v max %v %s", m, *d.SampleCount, *d.Sum, *d.Minimum, *d.Maximum, *d.Unit)
				}
			}
			all := stats(t, f, &cwapi.GetMetricStatisticsInput{Namespace: ptr.To("App"), MetricName: ptr.To("Lat"),
				Dimensions: []cwapi.Dimension{{Name: ptr.To("Service"), Value: ptr.To("api")}, {Name: ptr.To("Host"), Value: ptr.To("h1")}},
				StartTime:  ptr.To(base), EndTime: ptr.To(now), Period: ptr.To(int32(60)), Statistics: []string{"Sum"}})
			if len(all) != minutes || *all[0].Sum != 1003 || *all[0].Unit != "None" {
				t.Fatalf("every unit: %d datapoints, first %+v", len(all), all[0])
			}
			hi := stats(t, f, &cwapi.GetMetricStatisticsInput{Namespace: ptr.To("App"), MetricName: ptr.To("Hi"),
				Dimensions: []cwapi.Dimension{{Name: ptr.To("Service"), Value: ptr.To("api")}},
				StartTime:  ptr.To(base), EndTime: ptr.To(base.Add(time.Minute)), Period: ptr.To(int32(1)), Statistics: []string{"SampleCount", "Sum"}})
			if len(hi) != 1 || !hi[0].Timestamp.Equal(base.Add(5*time.Second)) || *hi[0].SampleCount != 2 || *hi[0].Sum != 1 {
				t.Fatalf("per-second data: %+v", hi)
			}
			out, err := f.c.ListMetrics(f.h.Ctx(), &cwapi.ListMetricsInput{})
			if err != nil || len(out.Metrics) != 2 {
				t.Fatalf("ListMetrics: %+v %v", out, err)
			}
		})
	}
}

// TestMetricLastPut: a metric's last put, which ListMetrics'
// RecentlyActive reads, moves with every call at a later time, not only
// the first of the series.
func TestMetricLastPut(t *testing.T) {
	f := newFixture(t)
	recent := func() string {
		out, err := f.c.ListMetrics(f.h.Ctx(), &cwapi.ListMetricsInput{RecentlyActive: ptr.To("PT3H")})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range out.Metrics {
			names = append(names, *m.MetricName)
		}
		return strings.Join(names, ",")
	}
	f.put(t, "App", datum("a", 1), datum("b", 1))
	f.h.Clock.Advance(2 * time.Hour)
	f.put(t, "App", datum("a", 2))
	f.put(t, "App", datum("a", 3)) // same second: the record is kept
	f.h.Clock.Advance(2 * time.Hour)
	if got := recent(); got != "a" {
		t.Fatalf("recently active after 4 hours: %q, want a", got)
	}
	// A datum timestamped in the past still counts as activity now.
	d := datum("b", 1)
	d.Timestamp = ptr.To(f.h.Clock.Now().Add(-10 * 24 * time.Hour))
	f.put(t, "App", d)
	if got := recent(); got != "a,b" {
		t.Fatalf("after an old datum of b: %q", got)
	}
}

// TestMergeDamagedLists: value and count lists of different lengths
// (damaged stored bytes) merge without a panic, the values without a
// count left out.
func TestMergeDamagedLists(t *testing.T) {
	damaged := entry{N: 1, V: []float64{1, 2, 3}, C: []float64{1}}
	damaged.merge(entry{N: 1, V: []float64{2, 5}, C: []float64{4}}, false)
	if !reflect.DeepEqual(damaged.V, []float64{1, 2}) || !reflect.DeepEqual(damaged.C, []float64{1, 4}) {
		t.Fatalf("damaged lists: %v %v", damaged.V, damaged.C)
	}
	var fresh entry
	fresh.merge(entry{N: 2, V: []float64{7, 8}, C: []float64{2}}, true)
	if !reflect.DeepEqual(fresh.V, []float64{7}) || !reflect.DeepEqual(fresh.C, []float64{2}) {
		t.Fatalf("damaged first entry: %v %v", fresh.V, fresh.C)
	}
}
