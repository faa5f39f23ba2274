package logs

import (
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestAnomalyDetectors(t *testing.T) {
	l, ctx, _ := newLogs(t)
	mustGroup(t, l, ctx, "/an")
	garn := "arn:aws:logs:us-east-1:000000000000:log-group:/an"
	if _, err := l.CreateLogAnomalyDetector(ctx, &logsapi.CreateLogAnomalyDetectorRequest{LogGroupArnList: []string{garn + "x"}}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing group: %v", err)
	}
	c, err := l.CreateLogAnomalyDetector(ctx, &logsapi.CreateLogAnomalyDetectorRequest{LogGroupArnList: []string{garn}, DetectorName: ptr.To("d"), EvaluationFrequency: ptr.To("FIVE_MIN")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := l.GetLogAnomalyDetector(ctx, &logsapi.GetLogAnomalyDetectorRequest{AnomalyDetectorArn: c.AnomalyDetectorArn})
	if err != nil || *g.AnomalyDetectorStatus != "ANALYZING" || *g.EvaluationFrequency != "FIVE_MIN" || *g.AnomalyVisibilityTime != 21 {
		t.Fatalf("get: %v %+v", err, g)
	}
	if _, err := l.UpdateLogAnomalyDetector(ctx, &logsapi.UpdateLogAnomalyDetectorRequest{AnomalyDetectorArn: c.AnomalyDetectorArn, Enabled: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	list, _ := l.ListLogAnomalyDetectors(ctx, &logsapi.ListLogAnomalyDetectorsRequest{FilterLogGroupArn: ptr.To(garn)})
	if len(list.AnomalyDetectors) != 1 || *list.AnomalyDetectors[0].AnomalyDetectorStatus != "PAUSED" {
		t.Fatalf("list %+v", list)
	}
	an, err := l.ListAnomalies(ctx, &logsapi.ListAnomaliesRequest{AnomalyDetectorArn: c.AnomalyDetectorArn})
	if err != nil || an.Anomalies == nil || len(an.Anomalies) != 0 {
		t.Fatalf("anomalies %v %+v", err, an)
	}
	if _, err := l.UpdateAnomaly(ctx, &logsapi.UpdateAnomalyRequest{AnomalyDetectorArn: c.AnomalyDetectorArn, AnomalyId: ptr.To("a")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("update anomaly: %v", err)
	}
	if _, err := l.DeleteLogAnomalyDetector(ctx, &logsapi.DeleteLogAnomalyDetectorRequest{AnomalyDetectorArn: c.AnomalyDetectorArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.GetLogAnomalyDetector(ctx, &logsapi.GetLogAnomalyDetectorRequest{AnomalyDetectorArn: c.AnomalyDetectorArn}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("deleted: %v", err)
	}
	if _, err := l.GetLogAnomalyDetector(ctx, &logsapi.GetLogAnomalyDetectorRequest{AnomalyDetectorArn: ptr.To("arn:aws:sns:x")}); code(err) != "InvalidParameterException" {
		t.Fatalf("bad arn: %v", err)
	}
}
