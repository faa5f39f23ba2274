package logs

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// exportTask is a stored export task.
type exportTask struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	Group     string `json:"group"`
	From      int64  `json:"from"`
	To        int64  `json:"to"`
	Bucket    string `json:"bucket"`
	Prefix    string `json:"prefix"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Created   int64  `json:"created"`
	Completed int64  `json:"completed,omitempty"`
}

var exportTasks = storage.NewTable[exportTask]("export")

// exportBucketError is AWS's answer when the bucket cannot be written.
const exportBucketError = "GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted permission to perform this operation."

// CreateExportTask exports a group's events between from and to into an
// S3 bucket as AWS lays them out: <prefix>/<taskId>/<stream>/000000.gz,
// gzip text with one "<RFC 3339 time> <message>" line per event. The
// objects go to S3 over the event bus (Logs never imports S3); when no
// service takes S3 deliveries the task is kept and ends FAILED with a
// message saying so.
func (l *Logs) CreateExportTask(ctx *request.Context, in *logsapi.CreateExportTaskRequest) (*logsapi.CreateExportTaskResponse, error) {
	sc := scope(ctx)
	gname, bucket := ptr.Deref(in.LogGroupName), ptr.Deref(in.Destination)
	if in.From == nil || in.To == nil {
		return nil, logsapi.ErrInvalidParameterException.New("from and to must be specified.")
	}
	from, to := *in.From, *in.To
	if from >= to {
		return nil, logsapi.ErrInvalidParameterException.New("Specified time range of '%d' and '%d' is not valid. Please make sure the values are within the retention period of the log group and from value is less than the to values", from, to)
	}
	prefix := "exportedlogs"
	if in.DestinationPrefix != nil {
		prefix = strings.Trim(*in.DestinationPrefix, "/")
	}
	now := ms(ctx.Now())
	t := exportTask{ID: newID(), Name: ptr.Deref(in.TaskName), Group: gname, From: from, To: to, Bucket: bucket, Prefix: prefix, Created: now}
	// Events per stream, oldest first.
	perStream := map[string][]event{}
	err := l.store.View(func(tx storage.Tx) error {
		g, err := l.getGroup(tx, sc, gname)
		if err != nil {
			return err
		}
		cut := retentionCutoff(g, now)
		return evs.List(tx, sc, []string{gname}, storage.ListOptions{Partial: ptr.Deref(in.LogStreamNamePrefix)}, func(k []string, e event) bool {
			if e.Timestamp >= from && e.Timestamp < to && e.Timestamp >= cut {
				perStream[k[1]] = append(perStream[k[1]], e)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if l.bus == nil {
		t.Code, t.Message = "FAILED", "niwa has no S3 delivery path for export tasks in this configuration."
	} else {
		probe := events.Message{TargetARN: "arn:aws:s3:::" + bucket, SourceService: "logs.amazonaws.com",
			SourceARN: groupARN(sc, gname) + ":*", SourceAccount: sc.Account, Validate: true}
		switch err := l.bus.Deliver(ctx, probe); {
		case errors.Is(err, events.ErrNoHandler):
			t.Code, t.Message = "FAILED", "niwa does not deliver export objects to S3 yet (no S3 delivery on the event bus); the task is recorded but nothing was written."
		case err != nil:
			return nil, logsapi.ErrInvalidParameterException.New("%s", exportBucketError)
		default:
			t.Code, t.Message = "COMPLETED", "Completed successfully"
			if err := l.writeExport(ctx, sc, t, perStream); err != nil {
				t.Code, t.Message = "FAILED", err.Error()
			}
		}
	}
	t.Completed = ms(ctx.Now())
	if err := l.store.Update(func(tx storage.Tx) error { return exportTasks.Put(tx, sc, t, t.ID) }); err != nil {
		return nil, err
	}
	return &logsapi.CreateExportTaskResponse{TaskId: ptr.To(t.ID)}, nil
}

// writeExport delivers one object per stream plus AWS's write test
// object.
func (l *Logs) writeExport(ctx *request.Context, sc storage.Scope, t exportTask, perStream map[string][]event) error {
	put := func(key string, body []byte) error {
		return l.bus.Deliver(ctx, events.Message{TargetARN: "arn:aws:s3:::" + t.Bucket + "/" + key, Body: string(body),
			SourceService: "logs.amazonaws.com", SourceARN: groupARN(sc, t.Group) + ":*", SourceAccount: sc.Account})
	}
	if err := put(strings.TrimPrefix(t.Prefix+"/aws-logs-write-test", "/"), []byte("Permission Check Successful")); err != nil {
		return err
	}
	names := make([]string, 0, len(perStream))
	for n := range perStream {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		for _, e := range perStream[n] {
			fmt.Fprintf(zw, "%s %s\n", time.UnixMilli(e.Timestamp).UTC().Format("2006-01-02T15:04:05.000Z"), e.Message)
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if err := put(strings.TrimPrefix(t.Prefix+"/"+t.ID+"/"+n+"/000000.gz", "/"), buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func exportShape(t exportTask) logsapi.ExportTask {
	out := logsapi.ExportTask{TaskId: ptr.To(t.ID), TaskName: nilIfEmpty(t.Name), LogGroupName: ptr.To(t.Group), From: ptr.To(t.From), To: ptr.To(t.To),
		Destination: ptr.To(t.Bucket), DestinationPrefix: ptr.To(t.Prefix), Status: &logsapi.ExportTaskStatus{Code: ptr.To(t.Code), Message: ptr.To(t.Message)},
		ExecutionInfo: &logsapi.ExportTaskExecutionInfo{CreationTime: ptr.To(t.Created)}}
	if t.Completed != 0 {
		out.ExecutionInfo.CompletionTime = ptr.To(t.Completed)
	}
	return out
}

// DescribeExportTasks lists export tasks, newest first.
func (l *Logs) DescribeExportTasks(ctx *request.Context, in *logsapi.DescribeExportTasksRequest) (*logsapi.DescribeExportTasksResponse, error) {
	sc := scope(ctx)
	max, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	var all []exportTask
	err = l.store.View(func(tx storage.Tx) error {
		return exportTasks.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, t exportTask) bool {
			if in.TaskId != nil && t.ID != *in.TaskId || in.StatusCode != nil && t.Code != *in.StatusCode {
				return true
			}
			all = append(all, t)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Created != all[j].Created {
			return all[i].Created > all[j].Created
		}
		return all[i].ID < all[j].ID
	})
	page, next, err := pageAfter(all, func(t exportTask) string { return t.ID }, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	out := &logsapi.DescribeExportTasksResponse{ExportTasks: []logsapi.ExportTask{}, NextToken: next}
	for _, t := range page {
		out.ExportTasks = append(out.ExportTasks, exportShape(t))
	}
	return out, nil
}

// CancelExportTask cancels a pending or running task; niwa's tasks end
// when created, so AWS's answer for a finished task is what a caller
// gets.
func (l *Logs) CancelExportTask(ctx *request.Context, in *logsapi.CancelExportTaskRequest) (*logsapi.CancelExportTaskOutput, error) {
	sc := scope(ctx)
	id := ptr.Deref(in.TaskId)
	err := l.store.Update(func(tx storage.Tx) error {
		t, ok, err := exportTasks.Get(tx, sc, id)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("The specified export task does not exist.")
		}
		if t.Code != "PENDING" && t.Code != "RUNNING" {
			return logsapi.ErrInvalidOperationException.New("The specified export task has already finished")
		}
		t.Code, t.Message = "CANCELLED", "Cancelled by user"
		return exportTasks.Put(tx, sc, t, id)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.CancelExportTaskOutput{}, nil
}
