package logs

import (
	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Anomaly detectors. AWS's detection is a model trained on a group's
// traffic; niwa has no equivalent, so it keeps the detectors' settings
// and finds no anomalies: ListAnomalies is empty and UpdateAnomaly has no
// anomaly or pattern to update (docs/logs.md).

type anomalyDetector struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Groups     []string          `json:"groups"`
	Frequency  string            `json:"frequency,omitempty"`
	Pattern    string            `json:"pattern,omitempty"`
	KmsKeyID   string            `json:"kms,omitempty"`
	Visibility int64             `json:"visibility"`
	Enabled    bool              `json:"enabled"`
	Tags       map[string]string `json:"tags,omitempty"`
	Created    int64             `json:"created"`
	Modified   int64             `json:"modified"`
}

var anomalyDetectors = storage.NewTable[anomalyDetector]("anomaly")

func (d anomalyDetector) status() string {
	if d.Enabled {
		return "ANALYZING"
	}
	return "PAUSED"
}

// CreateLogAnomalyDetector creates a detector over existing groups.
func (l *Logs) CreateLogAnomalyDetector(ctx *request.Context, in *logsapi.CreateLogAnomalyDetectorRequest) (*logsapi.CreateLogAnomalyDetectorResponse, error) {
	sc := scope(ctx)
	if _, err := compilePattern(ptr.Deref(in.FilterPattern)); err != nil {
		return nil, err
	}
	now := ms(ctx.Now())
	d := anomalyDetector{ID: newID(), Name: ptr.Deref(in.DetectorName), Groups: in.LogGroupArnList, Frequency: ptr.Deref(in.EvaluationFrequency),
		Pattern: ptr.Deref(in.FilterPattern), KmsKeyID: ptr.Deref(in.KmsKeyId), Visibility: 21, Enabled: true, Tags: in.Tags, Created: now, Modified: now}
	if in.AnomalyVisibilityTime != nil {
		d.Visibility = *in.AnomalyVisibilityTime
	}
	err := l.store.Update(func(tx storage.Tx) error {
		for _, arn := range d.Groups {
			name, err := arnGroup(arn)
			if err != nil {
				return err
			}
			if _, err := l.getGroup(tx, sc, name); err != nil {
				return err
			}
		}
		return anomalyDetectors.Put(tx, sc, d, d.ID)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.CreateLogAnomalyDetectorResponse{AnomalyDetectorArn: ptr.To(logsARN(sc, "anomaly-detector", d.ID))}, nil
}

func (l *Logs) detector(tx storage.Tx, sc storage.Scope, arn string) (anomalyDetector, error) {
	prefix := logsARN(sc, "anomaly-detector", "")
	if len(arn) <= len(prefix) || arn[:len(prefix)] != prefix {
		return anomalyDetector{}, logsapi.ErrInvalidParameterException.New("Invalid anomaly detector ARN: %s", arn)
	}
	return getOr(tx, sc, anomalyDetectors, arn[len(prefix):], "anomaly detector")
}

// GetLogAnomalyDetector returns a detector.
func (l *Logs) GetLogAnomalyDetector(ctx *request.Context, in *logsapi.GetLogAnomalyDetectorRequest) (*logsapi.GetLogAnomalyDetectorResponse, error) {
	sc := scope(ctx)
	var d anomalyDetector
	err := l.store.View(func(tx storage.Tx) error {
		var err error
		d, err = l.detector(tx, sc, ptr.Deref(in.AnomalyDetectorArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.GetLogAnomalyDetectorResponse{DetectorName: nilIfEmpty(d.Name), LogGroupArnList: d.Groups, EvaluationFrequency: nilIfEmpty(d.Frequency),
		FilterPattern: nilIfEmpty(d.Pattern), AnomalyDetectorStatus: ptr.To(d.status()), KmsKeyId: nilIfEmpty(d.KmsKeyID),
		CreationTimeStamp: ptr.To(d.Created), LastModifiedTimeStamp: ptr.To(d.Modified), AnomalyVisibilityTime: ptr.To(d.Visibility)}, nil
}

// ListLogAnomalyDetectors lists detectors, optionally of one group.
func (l *Logs) ListLogAnomalyDetectors(ctx *request.Context, in *logsapi.ListLogAnomalyDetectorsRequest) (*logsapi.ListLogAnomalyDetectorsResponse, error) {
	sc := scope(ctx)
	out := &logsapi.ListLogAnomalyDetectorsResponse{AnomalyDetectors: []logsapi.AnomalyDetector{}}
	tok, err := listPage(l, sc, anomalyDetectors, in.Limit, in.NextToken, func(d anomalyDetector) {
		if in.FilterLogGroupArn != nil && !contains(d.Groups, *in.FilterLogGroupArn) {
			return
		}
		out.AnomalyDetectors = append(out.AnomalyDetectors, logsapi.AnomalyDetector{AnomalyDetectorArn: ptr.To(logsARN(sc, "anomaly-detector", d.ID)),
			DetectorName: nilIfEmpty(d.Name), LogGroupArnList: d.Groups, EvaluationFrequency: nilIfEmpty(d.Frequency), FilterPattern: nilIfEmpty(d.Pattern),
			AnomalyDetectorStatus: ptr.To(d.status()), KmsKeyId: nilIfEmpty(d.KmsKeyID), CreationTimeStamp: ptr.To(d.Created),
			LastModifiedTimeStamp: ptr.To(d.Modified), AnomalyVisibilityTime: ptr.To(d.Visibility)})
	})
	out.NextToken = tok
	return out, err
}

// UpdateLogAnomalyDetector changes a detector's settings or pauses it.
func (l *Logs) UpdateLogAnomalyDetector(ctx *request.Context, in *logsapi.UpdateLogAnomalyDetectorRequest) (*logsapi.UpdateLogAnomalyDetectorOutput, error) {
	sc := scope(ctx)
	if in.FilterPattern != nil {
		if _, err := compilePattern(*in.FilterPattern); err != nil {
			return nil, err
		}
	}
	err := l.store.Update(func(tx storage.Tx) error {
		d, err := l.detector(tx, sc, ptr.Deref(in.AnomalyDetectorArn))
		if err != nil {
			return err
		}
		if in.EvaluationFrequency != nil {
			d.Frequency = *in.EvaluationFrequency
		}
		if in.FilterPattern != nil {
			d.Pattern = *in.FilterPattern
		}
		if in.AnomalyVisibilityTime != nil {
			d.Visibility = *in.AnomalyVisibilityTime
		}
		if in.Enabled != nil {
			d.Enabled = *in.Enabled
		}
		d.Modified = ms(ctx.Now())
		return anomalyDetectors.Put(tx, sc, d, d.ID)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.UpdateLogAnomalyDetectorOutput{}, nil
}

// DeleteLogAnomalyDetector deletes a detector.
func (l *Logs) DeleteLogAnomalyDetector(ctx *request.Context, in *logsapi.DeleteLogAnomalyDetectorRequest) (*logsapi.DeleteLogAnomalyDetectorOutput, error) {
	sc := scope(ctx)
	err := l.store.Update(func(tx storage.Tx) error {
		d, err := l.detector(tx, sc, ptr.Deref(in.AnomalyDetectorArn))
		if err != nil {
			return err
		}
		return anomalyDetectors.Delete(tx, sc, d.ID)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteLogAnomalyDetectorOutput{}, nil
}

// ListAnomalies lists the anomalies found: none in niwa.
func (l *Logs) ListAnomalies(ctx *request.Context, in *logsapi.ListAnomaliesRequest) (*logsapi.ListAnomaliesResponse, error) {
	sc := scope(ctx)
	if in.AnomalyDetectorArn != nil {
		if err := l.store.View(func(tx storage.Tx) error {
			_, err := l.detector(tx, sc, *in.AnomalyDetectorArn)
			return err
		}); err != nil {
			return nil, err
		}
	}
	if _, err := untoken(in.NextToken); err != nil {
		return nil, err
	}
	return &logsapi.ListAnomaliesResponse{Anomalies: []logsapi.Anomaly{}}, nil
}

// UpdateAnomaly suppresses an anomaly or pattern; niwa finds none, so
// whatever is named does not exist.
func (l *Logs) UpdateAnomaly(ctx *request.Context, in *logsapi.UpdateAnomalyRequest) (*logsapi.UpdateAnomalyOutput, error) {
	sc := scope(ctx)
	if in.AnomalyId == nil && in.PatternId == nil {
		return nil, logsapi.ErrInvalidParameterException.New("Either anomalyId or patternId must be specified.")
	}
	err := l.store.View(func(tx storage.Tx) error {
		_, err := l.detector(tx, sc, ptr.Deref(in.AnomalyDetectorArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return nil, errNotFound("The specified anomaly does not exist.")
}
